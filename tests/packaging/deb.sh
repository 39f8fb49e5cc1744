#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The .deb: built from a copy of the tree (dpkg-buildpackage -b), exactly the expected files,
# the conffile, the maintainer scripts debhelper generates (users before directories, the unit
# enabled, the metrics timer not), and lintian without errors or warnings.
source "$(dirname "$0")/../lib.sh"

tap_init
require_cmd dpkg-buildpackage dpkg-deb lintian
OUT=${GK_PKG_OUT:-$GK_ROOT/build-packages}
VERSION=$(sed -n 's/^VERSION := //p' "$GK_ROOT/Makefile")
DEB=$OUT/groupkeyd_${VERSION}_$(dpkg --print-architecture).deb

t_build() {
	rm -f "$DEB"
	"$GK_ROOT/packaging/pkg.sh" deb "$OUT" "$VERSION" && [ -f "$DEB" ]
}
tap_check "make deb: dpkg-buildpackage -b in a copy of the tree, unit tests in its check step" \
	t_build || tap_bail "deb" "not built"
tap_check "the package build ran the unit tests" \
	grep -q '^ok .* - ' "$OUT/deb/build.log"

cat >"$GK_TMP/want" <<'EOF'
./etc/groupkeyd/groupkeyd.conf
./lib/systemd/system/groupkeyd-metrics.service
./lib/systemd/system/groupkeyd-metrics.timer
./lib/systemd/system/groupkeyd.service
./usr/bin/groupkey
./usr/lib/sysusers.d/groupkeyd.conf
./usr/lib/tmpfiles.d/groupkeyd.conf
./usr/sbin/groupkeyd
./usr/share/bash-completion/completions/groupkey
./usr/share/bash-completion/completions/groupkeyd
./usr/share/doc/groupkeyd/changelog.gz
./usr/share/doc/groupkeyd/config.md.gz
./usr/share/doc/groupkeyd/copyright
./usr/share/doc/groupkeyd/metrics.md
./usr/share/man/man5/groupkeyd.conf.5.gz
./usr/share/man/man8/groupkey.8.gz
./usr/share/man/man8/groupkeyd.8.gz
EOF
t_contents() {
	dpkg-deb -c "$DEB" | grep -v '^d' | awk '{ print $6 }' | sort >"$GK_TMP/have"
	diff -u "$GK_TMP/want" "$GK_TMP/have"
}
tap_check "dpkg-deb -c: daemon, CLI, units, sysusers, tmpfiles, man pages, completion, config" \
	t_contents
tap_diag "$(dpkg-deb -c "$DEB" | grep -v '^d' | awk '{ print $1, $6, $7, $8 }')"

t_control() {
	dpkg-deb -e "$DEB" "$GK_TMP/ctrl" || return 1
	[ "$(cat "$GK_TMP/ctrl/conffiles")" = /etc/groupkeyd/groupkeyd.conf ] &&
		dpkg-deb -f "$DEB" Depends | grep -q 'systemd | systemd-standalone-sysusers' &&
		dpkg-deb -f "$DEB" Depends | grep -q 'libbpf1' &&
		dpkg-deb -f "$DEB" Depends | grep -q 'libcoap3'
}
tap_check "conffile /etc/groupkeyd/groupkeyd.conf; Depends from shlibs and on sysusers" t_control

t_scripts() {
	local p=$GK_TMP/ctrl/postinst su tf en

	su=$(grep -n 'systemd-sysusers .*groupkeyd.conf' "$p" | cut -d: -f1)
	tf=$(grep -n 'systemd-tmpfiles .*--create groupkeyd.conf' "$p" | cut -d: -f1)
	en=$(grep -n "deb-systemd-helper enable 'groupkeyd.service'" "$p" | head -n 1 | cut -d: -f1)
	[ -n "$su" ] && [ -n "$tf" ] && [ -n "$en" ] && [ "$su" -lt "$tf" ] && [ "$tf" -lt "$en" ] ||
		{ echo "sysusers line $su, tmpfiles $tf, enable $en"; return 1; }
	# The timer: enabled only if the administrator had (dh_installsystemd --no-enable), never
	# started by the package; nothing calls systemctl by hand.
	grep -q "if deb-systemd-helper debian-installed 'groupkeyd-metrics.timer'" "$p" &&
		! grep -q "deb-systemd-invoke .*groupkeyd-metrics" "$p" &&
		grep -q "deb-systemd-invoke \$_dh_action 'groupkeyd.service'" "$p" &&
		! grep -q '^[^#]*systemctl \(start\|enable\|restart\)' "$p" &&
		grep -q 'rm -rf /var/lib/groupkeyd' "$GK_TMP/ctrl/postrm"
}
tap_check "postinst: sysusers, then tmpfiles, then enable and (re)start; purge drops the state" \
	t_scripts

t_lintian() {
	# lintian warns about running as root, which is not a finding about the package.
	lintian --no-tag-display-limit -I "$OUT/groupkeyd_${VERSION}_$(dpkg --print-architecture).changes" \
		>"$GK_TMP/lintian" 2>/dev/null
	echo "lintian: $(grep -c '^E:' "$GK_TMP/lintian") errors, $(grep -c '^W:' "$GK_TMP/lintian") warnings, $(grep -c '^I:' "$GK_TMP/lintian") infos"
	cat "$GK_TMP/lintian"
	! grep -q '^[EW]:' "$GK_TMP/lintian"
}
tap_check "lintian: no error, no warning" t_lintian
tap_diag "$(t_lintian 2>&1)"
tap_done
