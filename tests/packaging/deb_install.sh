#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The .deb installed into a fresh Debian 12 root made by debootstrap (minbase plus the package's
# dependencies, from the mirror apt is configured with): user, modes and enablement as the
# maintainer scripts leave them, `groupkeyd --check-config` on the shipped file, `groupkey
# --help`, then the daemon started from that root as its own user on the untouched config and
# used as groupkey(8)'s example does, reloaded, stopped; finally purged.
source "$(dirname "$0")/../lib.sh"

tap_init
require_root
require_cmd debootstrap dpkg-deb chroot ip systemctl
OUT=${GK_PKG_OUT:-$GK_ROOT/build-packages}
VERSION=$(sed -n 's/^VERSION := //p' "$GK_ROOT/Makefile")
DEB=$OUT/groupkeyd_${VERSION}_$(dpkg --print-architecture).deb
ROOT=$GK_TMP/root
NS=gk-debroot-$$
PSK=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

if [ ! -f "$DEB" ]; then
	"$GK_ROOT/packaging/pkg.sh" deb "$OUT" "$VERSION" >/dev/null || tap_bail "deb" "not built"
fi

# The first bookworm mirror of apt's configuration (deb822 or one-line format).
mirror() {
	local m

	m=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u { print u; exit }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}

# The package's dependencies, first alternatives, without versions: debootstrap --include.
deps() {
	dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/ //g' | grep . |
		sort -u | paste -sd, -
}

# debootstrap once per dependency set; later runs unpack the tarball it leaves in OUT.
make_root() {
	local inc cache

	inc=$(deps)
	cache=$OUT/debootstrap-bookworm-$(printf '%s' "$inc" | sha256sum | cut -c1-12).tar
	mkdir -p "$ROOT"
	if [ -f "$cache" ]; then
		tar -C "$ROOT" -xf "$cache" && return 0
	fi
	echo "debootstrap bookworm from $(mirror) with $inc"
	debootstrap --variant=minbase --include="$inc" bookworm "$ROOT" "$(mirror)" \
		>"$GK_TMP/debootstrap.log" 2>&1 || { tail -n 30 "$GK_TMP/debootstrap.log"; return 1; }
	tar -C "$ROOT" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
}
START=$(date +%s)
tap_check "a Debian 12 root with the package's dependencies (debootstrap minbase)" make_root ||
	tap_bail "root" "no root to install into"
tap_diag "root ready in $(($(date +%s) - START)) s"

in_root() { # CMD...
	chroot "$ROOT" "$@"
}

# systemd-tmpfiles (the postinst runs it) refuses to work without /proc, as on any real system.
mount -t proc proc "$ROOT/proc" || tap_bail "proc" "cannot mount /proc in the root"
defer umount -l "$ROOT/proc"

t_install() {
	cp "$DEB" "$ROOT/tmp/" && in_root dpkg -i "/tmp/${DEB##*/}"
}
tap_check "dpkg -i: unpacked and configured (sysusers and tmpfiles run by postinst)" t_install ||
	tap_bail "install" "see above"

t_files() {
	in_root dpkg -L groupkeyd | grep -vx "/\." | sort >"$GK_TMP/listed"
	dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\.||; s|/$||' | grep . | sort >"$GK_TMP/want"
	diff -u "$GK_TMP/want" "$GK_TMP/listed" && cat "$GK_TMP/listed"
}
tap_check "dpkg -L groupkeyd lists what the .deb holds" t_files
tap_diag "dpkg -L groupkeyd:" "$(grep -v '^/\(usr\|etc\|lib\)\?$' "$GK_TMP/listed" 2>/dev/null)"

t_user() {
	local pw

	pw=$(in_root getent passwd groupkeyd) || return 1
	echo "$pw"
	IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
	[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/groupkeyd ] &&
		case $shell in */nologin) true ;; *) false ;; esac
}
tap_check "system user groupkeyd (uid < 1000, no login shell, home the state directory)" t_user

t_modes() {
	# stat in the root: names from its passwd, not the host's.
	[ "$(in_root stat -c '%a %U %G' /etc/groupkeyd/groupkeyd.conf)" = "640 root groupkeyd" ] &&
		[ "$(in_root stat -c '%a %U %G' /etc/groupkeyd)" = "750 root groupkeyd" ] &&
		[ "$(in_root stat -c '%a %U %G' /var/lib/groupkeyd)" = "700 groupkeyd groupkeyd" ] ||
		{ in_root stat -c '%n %a %U %G' /etc/groupkeyd /etc/groupkeyd/groupkeyd.conf \
			/var/lib/groupkeyd; return 1; }
}
tap_check "config 0640 root:groupkeyd, state directory 0700 groupkeyd" t_modes

t_enabled() {
	[ "$(systemctl --root="$ROOT" is-enabled groupkeyd.service)" = enabled ] &&
		[ "$(systemctl --root="$ROOT" is-enabled groupkeyd-metrics.timer)" = disabled ]
}
tap_check "groupkeyd.service enabled by the package, groupkeyd-metrics.timer not" t_enabled

tap_check "groupkeyd --check-config on the shipped file, as the groupkeyd user" eval \
	'[ "$(in_root setpriv --reuid=groupkeyd --regid=groupkeyd --init-groups \
		groupkeyd --check-config)" = "/etc/groupkeyd/groupkeyd.conf: OK" ]'
tap_check "groupkey --help" eval 'in_root groupkey --help | grep -q "^Usage: groupkey "'
tap_check "man pages in place for man(1)" eval \
	'zcat "$ROOT/usr/share/man/man8/groupkeyd.8.gz" | grep -q "^\.TH \"groupkeyd\" \"8\""'

# The daemon from the root, in a network namespace of its own, on the untouched config.
ip netns add "$NS" || tap_bail "netns" "cannot create $NS"
defer ip netns del "$NS"
ip -n "$NS" link set lo up

in_ns_root() { # CMD...
	ip netns exec "$NS" chroot "$ROOT" "$@"
}

LOG=$GK_TMP/daemon.log
ip netns exec "$NS" chroot --userspec=groupkeyd:groupkeyd "$ROOT" /usr/sbin/groupkeyd \
	--foreground >"$LOG" 2>&1 &
PID=$!
defer stop_pid "$PID"

t_start() {
	slowwait 15000 grep -q 'started: coap :5683, coaps :5684' "$LOG" || { cat "$LOG"; return 1; }
	[ "$(in_root stat -c '%U %a' /var/lib/groupkeyd/groupkeyd.db)" = "groupkeyd 600" ] &&
		! grep -q 'world-readable' "$LOG"
}
tap_check "groupkeyd starts as groupkeyd on the shipped config, state in /var/lib/groupkeyd" \
	t_start

t_example() {
	in_ns_root groupkey token request --as coaps://127.0.0.1 --client-id demo-client \
		--psk "$PSK" --scope demo:sender,receiver -o /tmp/demo.token &&
		in_ns_root groupkey token post --kdc coap://127.0.0.1 /tmp/demo.token &&
		[ "$(in_ns_root groupkey kdc fetch-groups --kdc coaps://127.0.0.1 \
			--token /tmp/demo.token)" = "demo /ace-group/demo" ]
}
tap_check "groupkey(8)'s example: token from the AS, posted, group demo found" t_example

t_stop() {
	kill -HUP "$PID" && slowwait 5000 grep -q 'reload: .* unchanged' "$LOG" || return 1
	kill -TERM "$PID" && wait "$PID" && grep -q 'groupkeyd stopped$' "$LOG"
}
tap_check "SIGHUP reloads, SIGTERM stops it cleanly (exit 0)" t_stop

t_purge() {
	in_root dpkg --purge groupkeyd >/dev/null &&
		[ ! -e "$ROOT/var/lib/groupkeyd" ] && [ ! -e "$ROOT/usr/sbin/groupkeyd" ] &&
		[ ! -e "$ROOT/etc/groupkeyd/groupkeyd.conf" ]
}
tap_check "dpkg --purge: files, config and state gone" t_purge
tap_done
