#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The systemd units as `make install` writes them: systemd-analyze verify (executables and man
# pages found), systemd-analyze security --offline exposure (groupkeyd.service at most 3.0, the
# "OK" band), and the settings the daemon's security rests on.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon/lib_daemon.sh"

tap_init
require_cmd systemd-analyze scdoc man strace ss
STAGE=$GK_TMP/stage
UNITS=$STAGE/units
SVC=$UNITS/groupkeyd.service
MAX_EXPOSURE=3.0

# Installed under a scratch prefix, so that verify finds the binaries and man pages the
# units name (the packages install the same files under /usr).
t_install() {
	make -s -C "$GK_ROOT" O="${GK_BUILD#"$GK_ROOT"/}" install PREFIX="$STAGE/usr" \
		SYSCONFDIR="$STAGE/etc" SYSTEMDUNITDIR="$UNITS" SYSUSERSDIR="$STAGE/sysusers" \
		TMPFILESDIR="$STAGE/tmpfiles" >/dev/null &&
		[ -f "$SVC" ] && [ -f "$UNITS/groupkeyd-metrics.service" ] &&
		[ -f "$UNITS/groupkeyd-metrics.timer" ]
}
tap_check "make install writes the three units" t_install || tap_bail "install" "see above"

tap_check "install points the units at the installed binaries and configuration" \
	grep -qx "ExecStart=$STAGE/usr/sbin/groupkeyd --foreground --config $STAGE/etc/groupkeyd/groupkeyd.conf" "$SVC"

t_verify() {
	(cd "$GK_TMP" && MANPATH=$STAGE/usr/share/man systemd-analyze verify "$SVC" \
		"$UNITS/groupkeyd-metrics.service" "$UNITS/groupkeyd-metrics.timer")
}
tap_check "systemd-analyze verify: no finding (executables and man pages found)" t_verify

# "→ Overall exposure level for groupkeyd.service: 1.9 OK 🙂" -> "1.9 OK"
exposure() { # UNIT
	(cd "$GK_TMP" && systemd-analyze security --offline=true "$1" 2>/dev/null) |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p'
}

t_security() {
	local e

	e=$(exposure "$SVC")
	tap_diag "groupkeyd.service exposure: ${e:-none} (target <= $MAX_EXPOSURE, OK band)"
	[ -n "$e" ] || return 1
	awk -v v="${e% *}" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(v <= max) }' &&
		case ${e#* } in SAFE | OK) true ;; *) false ;; esac
}
# The score goes to the runner's output, not only into a failure's diagnostics.
tap_diag "groupkeyd.service exposure: $(exposure "$SVC")"
tap_diag "groupkeyd-metrics.service exposure: $(exposure "$UNITS/groupkeyd-metrics.service")"
tap_check "systemd-analyze security --offline: groupkeyd.service at most $MAX_EXPOSURE (OK)" \
	t_security
tap_check "systemd-analyze security --offline: groupkeyd-metrics.service at most 1.0 (SAFE)" \
	eval '[ "$(exposure "$UNITS/groupkeyd-metrics.service" | cut -d" " -f2)" = SAFE ]'

has() { # LINE...: each an exact line of groupkeyd.service
	local l

	for l in "$@"; do
		grep -qxF -- "$l" "$SVC" || { echo "missing: $l"; return 1; }
	done
}

tap_check "Type=notify with NotifyAccess=main, WatchdogSec, Restart=on-failure" has \
	Type=notify NotifyAccess=main WatchdogSec=30s Restart=on-failure
tap_check "ExecStartPre=groupkeyd --check-config; ExecReload sends SIGHUP (systemd 252)" has \
	"ExecStartPre=$STAGE/usr/sbin/groupkeyd --check-config --config $STAGE/etc/groupkeyd/groupkeyd.conf" \
	'ExecReload=/bin/kill -HUP $MAINPID'

t_caps() {
	local prev="" line n=0

	has User=groupkeyd Group=groupkeyd "CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN" \
		NoNewPrivileges=yes || return 1
	# Exactly the two capabilities, one per line, each right under a comment saying why.
	while IFS= read -r line; do
		if [[ $line == AmbientCapabilities=* ]]; then
			n=$((n + 1))
			[[ $prev == "#"* ]] || { echo "no comment above $line"; return 1; }
			case ${line#*=} in CAP_BPF | CAP_NET_ADMIN) ;; *) echo "unexpected $line"; return 1 ;; esac
		fi
		prev=$line
	done <"$SVC"
	[ "$n" -eq 2 ] && ! grep -q 'CAP_NET_RAW\|CAP_SYS_ADMIN' <(grep -v '^#' "$SVC")
}
tap_check "user groupkeyd with CAP_BPF and CAP_NET_ADMIN only, one commented line each" t_caps

tap_check "ProtectSystem=strict; writable: the pin directory (and StateDirectory)" has \
	ProtectSystem=strict ReadWritePaths=-/sys/fs/bpf/groupkeyd StateDirectory=groupkeyd \
	ProtectKernelTunables=yes
tap_check "address families and system calls as the daemon needs them" has \
	"RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6" \
	"SystemCallFilter=@system-service bpf adjtimex clock_adjtime" SystemCallArchitectures=native

# The names a systemd syscall-filter set stands for, groups expanded.
expand_set() { # @SET
	local s

	systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//; /^#/d; /^$/d' |
		while read -r s; do
			case $s in @*) expand_set "$s" ;; *) echo "$s" ;; esac
		done
}

# What the daemon asks of the kernel, traced: start, SIGHUP with a group added (the KDC and
# the server restart), SIGHUP with a broken file, SIGTERM; and the data-plane library through
# the CLI (load, stats, unload), which the daemon links too.
trace_daemon() {
	local conf=$GK_TMP/t.conf pid

	gkd_config t || return 1
	strace -f -qq -o "$GK_TMP/strace.daemon" "$GKD" --config "$GK_TMP/t.conf" \
		>"$GK_TMP/t.log" 2>&1 &
	slowwait 15000 port_bound "${GKD_COAPS[t]}" || { cat "$GK_TMP/t.log"; return 1; }
	# The daemon is strace's child: signals go to it, not to strace.
	pid=$(cat "/proc/$!/task/$!/children")
	[ -n "$pid" ] || return 1
	printf '\n[group g9]\n' >>"$conf"
	kill -HUP "$pid"
	slowwait 10000 grep -q 'reload: done' "$GK_TMP/t.log" || { cat "$GK_TMP/t.log"; return 1; }
	printf '[bogus\n' >>"$conf"
	kill -HUP "$pid"
	slowwait 10000 grep -q 'keeping the running configuration' "$GK_TMP/t.log" || return 1
	kill -TERM "$pid"
	wait
}

trace_dataplane() {
	local pin=/sys/fs/bpf/gk-test-strace-$$ ns=gk-strace-$$ rc=0

	[ "$(id -u)" -eq 0 ] && [ -d /sys/fs/bpf ] || return 0
	ip netns add "$ns" || return 1
	ip -n "$ns" link add va type veth peer name vb &&
		ip -n "$ns" link set va up && ip -n "$ns" link set vb up &&
		strace -f -qq -o "$GK_TMP/strace.dp" nsenter --net="/run/netns/$ns" \
			"$GK" dataplane load --pin-dir "$pin" --xdp va --tc vb >/dev/null &&
		strace -f -qq -o "$GK_TMP/strace.key" "$GK" dataplane key-add --pin-dir "$pin" \
			--group 1 --name g1 --key-id 1 --exp 4102444800 \
			--group-key 000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f &&
		strace -f -qq -o "$GK_TMP/strace.stats" "$GK" stats --prometheus --pin-dir "$pin" \
			>/dev/null || rc=1
	nsenter --net="/run/netns/$ns" "$GK" dataplane unload --pin-dir "$pin" --ifname va \
		--ifname vb >/dev/null 2>&1
	ip netns del "$ns"
	return "$rc"
}

# Syscall names in strace output ("PID<one or more spaces>name(": strace pads short PIDs).
syscalls_of() { # FILE...
	sed -n 's/^[0-9]* \+\([a-z_0-9]*\)(.*/\1/p' "$@" | sort -u
}

t_syscalls() {
	local bad

	expand_set @system-service | sort -u >"$GK_TMP/allowed"
	expand_set @resources | sort -u >"$GK_TMP/denied"
	# What @system-service lacks, hence named in the unit.
	grep -qx -e bpf -e adjtimex -e clock_adjtime "$GK_TMP/allowed" && return 1
	printf 'bpf\nadjtimex\nclock_adjtime\n' >>"$GK_TMP/allowed"
	trace_daemon || return 1
	trace_dataplane || return 1
	# nsenter's own setns() is not the daemon's.
	syscalls_of "$GK_TMP"/strace.* | grep -vx -e execve -e setns >"$GK_TMP/used"
	bad=$(comm -23 "$GK_TMP/used" <(sort -u "$GK_TMP/allowed"))
	bad+=$(comm -12 "$GK_TMP/used" "$GK_TMP/denied")
	echo "$(wc -l <"$GK_TMP/used") distinct system calls traced, outside the filter: ${bad:-none}"
	[ -z "$bad" ] || return 1
	# As root the trace covers the data plane: the two additions are then really used.
	[ "$(id -u)" -ne 0 ] || { grep -qx bpf "$GK_TMP/used" &&
		grep -qx -e adjtimex -e clock_adjtime "$GK_TMP/used"; }
}
tap_check "SystemCallFilter admits every system call the daemon and the data plane make" t_syscalls

tap_check "metrics timer: every 15 s; its service as groupkeyd with CAP_BPF only" eval \
	'grep -qx "OnUnitActiveSec=15s" "$UNITS/groupkeyd-metrics.timer" &&
	 grep -qx "CapabilityBoundingSet=CAP_BPF" "$UNITS/groupkeyd-metrics.service" &&
	 grep -qx "User=groupkeyd" "$UNITS/groupkeyd-metrics.service" &&
	 grep -qx "ExecStart=$STAGE/usr/bin/groupkey stats --prometheus" "$UNITS/groupkeyd-metrics.service"'
tap_done
