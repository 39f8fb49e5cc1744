#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The .rpm, built with rpmbuild from Debian's rpm package (macros.fallback standing in for
# systemd-rpm-macros): its file list (rpm -qlp), the config as %config(noreplace) 0640
# root:groupkeyd, the state directory groupkeyd's, and the scriptlets the systemd macros make.
source "$(dirname "$0")/../lib.sh"

tap_init
require_cmd rpmbuild rpm
OUT=${GK_PKG_OUT:-$GK_ROOT/build-packages}
VERSION=$(sed -n 's/^VERSION := //p' "$GK_ROOT/Makefile")
# shellcheck disable=SC2034 # read inside eval below
SPEC=$GK_ROOT/packaging/rpm/groupkeyd.spec

t_build() {
	rm -f "$OUT"/groupkeyd-"$VERSION"-*.rpm
	"$GK_ROOT/packaging/pkg.sh" rpm "$OUT" "$VERSION" >"$GK_TMP/built" || return 1
	RPM=$(cat "$GK_TMP/built")
	[ -f "$RPM" ]
}
tap_check "make rpm: rpmbuild -bb from a tarball of the tree, unit tests in %check" t_build ||
	tap_bail "rpm" "not built"
RPM=$(cat "$GK_TMP/built")
tap_check "the %check step ran the unit tests" grep -q '^ok .* - ' "$OUT/rpm/build.log"

cat >"$GK_TMP/want" <<'EOF2'
/etc/groupkeyd
/etc/groupkeyd/groupkeyd.conf
/usr/bin/groupkey
/usr/lib/systemd/system/groupkeyd-metrics.service
/usr/lib/systemd/system/groupkeyd-metrics.timer
/usr/lib/systemd/system/groupkeyd.service
/usr/lib/sysusers.d/groupkeyd.conf
/usr/lib/tmpfiles.d/groupkeyd.conf
/usr/sbin/groupkeyd
/usr/share/bash-completion/completions/groupkey
/usr/share/bash-completion/completions/groupkeyd
/usr/share/doc/groupkeyd
/usr/share/doc/groupkeyd/README.md
/usr/share/doc/groupkeyd/config.md
/usr/share/doc/groupkeyd/metrics.md
/usr/share/licenses/groupkeyd
/usr/share/licenses/groupkeyd/copyright
/usr/share/man/man5/groupkeyd.conf.5
/usr/share/man/man8/groupkey.8
/usr/share/man/man8/groupkeyd.8
/var/lib/groupkeyd
EOF2
t_list() {
	# Debug-id links come and go with the distribution's debuginfo settings; man pages may be
	# compressed.
	rpm -qlp "$RPM" | grep -v '^/usr/lib/\.build-id' | sed 's/\.\(gz\|bz2\|xz\|zst\)$//' |
		sort >"$GK_TMP/have"
	diff -u "$GK_TMP/want" "$GK_TMP/have"
}
tap_check "rpm -qlp: daemon, CLI, units, sysusers, tmpfiles, man pages, completion, config" t_list
tap_diag "rpm -qlp $(basename "$RPM"):" "$(rpm -qlp "$RPM" | grep -v '^/usr/lib/\.build-id')"

attrs() { # PATH
	rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' \
		"$RPM" | awk -v p="$1" '$NF == p { $NF = ""; print }' | sed 's/ *$//'
}
t_attrs() {
	[ "$(attrs /etc/groupkeyd/groupkeyd.conf)" = "-rw-r----- root groupkeyd cn" ] &&
		[ "$(attrs /etc/groupkeyd)" = "drwxr-x--- root groupkeyd" ] &&
		[ "$(attrs /var/lib/groupkeyd)" = "drwx------ groupkeyd groupkeyd" ]
}
tap_check "%config(noreplace) 0640 root:groupkeyd; /var/lib/groupkeyd 0700 groupkeyd" t_attrs

t_scripts() {
	rpm -qp --scripts "$RPM" >"$GK_TMP/scripts" || return 1
	sed -n '/^preinstall/,/^postinstall/p' "$GK_TMP/scripts" |
		grep -q 'u *groupkeyd ' || return 1
	sed -n '/^postinstall/,/^preuninstall/p' "$GK_TMP/scripts" | grep -q 'preset groupkeyd.service' &&
		sed -n '/^postinstall/,/^preuninstall/p' "$GK_TMP/scripts" | grep -q 'systemd-tmpfiles --create' &&
		sed -n '/^preuninstall/,/^postuninstall/p' "$GK_TMP/scripts" | grep -q 'disable --now groupkeyd.service' &&
		sed -n '/^postuninstall/,$p' "$GK_TMP/scripts" | grep -q 'try-restart groupkeyd.service'
}
tap_check "scriptlets: sysusers in %pre, preset and tmpfiles in %post, stop on erase, restart on upgrade" \
	t_scripts
tap_check "the spec uses the systemd macros, never systemctl itself" eval \
	'grep -q "^%systemd_post groupkeyd.service" "$SPEC" && grep -q "^%systemd_preun " "$SPEC" &&
	 grep -q "^%systemd_postun_with_restart groupkeyd.service" "$SPEC" &&
	 grep -q "^%sysusers_create_compat " "$SPEC" && ! grep -q "systemctl" "$SPEC"'
tap_done
