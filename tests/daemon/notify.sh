#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# groupkeyd under a stand-in for systemd's notify socket: READY=1 only once both CoAP ports are
# bound, STATUS= with the summary, WATCHDOG=1 at WATCHDOG_USEC/3, RELOADING=1 then READY=1 on
# SIGHUP, STOPPING=1 on SIGTERM.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"

tap_init
require_cmd ss
gkd_config nt || tap_bail "config" "cannot write the config"
SOCK=$GK_TMP/notify.sock
REC=$GK_TMP/notify.log

# The receiver logs "MONOTONIC_MS<TAB>message" per datagram (newlines as '|'). On READY=1 it
# looks at /proc/net/udp at once: were both ports bound when the daemon said it was ready?
"$PY" - "$SOCK" "$REC" "${GKD_COAP[nt]}" "${GKD_COAPS[nt]}" <<'EOF' &
import os, socket, sys, time
path, rec, ports = sys.argv[1], sys.argv[2], {int(p) for p in sys.argv[3:5]}
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
def bound():
    found = set()
    for line in open("/proc/net/udp").readlines()[1:]:
        found.add(int(line.split()[1].split(":")[1], 16))
    return ports <= found
with open(rec, "a", buffering=1) as f:
    while True:
        msg = s.recv(4096).decode()
        extra = ""
        if msg.startswith("READY=1"):
            extra = "\tports_bound=%s" % ("yes" if bound() else "no")
        f.write("%d\t%s%s\n" % (time.monotonic() * 1000, msg.replace("\n", "|"), extra))
EOF
defer stop_pid $!
slowwait 5000 test -S "$SOCK" || tap_bail "notify receiver" "no socket at $SOCK"

export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=300000
tap_check "groupkeyd starts with NOTIFY_SOCKET set" gkd_start nt || tap_bail "start" "see above"
unset NOTIFY_SOCKET WATCHDOG_USEC

rec_has() # REGEX
{
	grep -Eq -- "$1" "$REC"
}

t_ready() {
	slowwait 5000 rec_has '^[0-9]+	READY=1' || { cat "$REC"; return 1; }
	rec_has "^[0-9]+	READY=1\\|STATUS=coap 127.0.0.1:${GKD_COAP[nt]}, coaps 127.0.0.1:${GKD_COAPS[nt]}, AS on, 3 groups, 2 clients	ports_bound=yes\$" ||
		{ cat "$REC"; return 1; }
	# Nothing but the watchdog came before it.
	[ "$(grep -v '	WATCHDOG=1$' "$REC" | head -n 1 | cut -f 2-)" = \
		"READY=1|STATUS=coap 127.0.0.1:${GKD_COAP[nt]}, coaps 127.0.0.1:${GKD_COAPS[nt]}, AS on, 3 groups, 2 clients	ports_bound=yes" ]
}
tap_check "READY=1 with STATUS= sent once both ports are bound" t_ready

t_watchdog() {
	local times

	sleep 1.1
	# Spacing, from the receiver's clock: 100 ms apart, give or take scheduling; and at
	# least the 10 a second that makes (a slow start under ASan only adds earlier ones).
	times=$(grep '	WATCHDOG=1$' "$REC" | cut -f 1)
	"$PY" -c 'import sys
t = [int(x) for x in sys.argv[1].split()]
gaps = [b - a for a, b in zip(t, t[1:])]
print("WATCHDOG=1 x%d for WATCHDOG_USEC=300000, gaps (ms):" % len(t), gaps)
sys.exit(not (len(t) >= 9 and all(60 <= g <= 180 for g in gaps)))' "$times"
}
tap_check "WATCHDOG=1 every WATCHDOG_USEC/3 from the main loop" t_watchdog

t_reload() {
	sed -i 's/^\[group g3\]$/[group g3]\n\n[group g9]/' "$GK_TMP/nt.conf" &&
		kill -HUP "${GKD_PID[nt]}" || return 1
	slowwait 5000 rec_has 'READY=1\|STATUS=.* 4 groups, 2 clients' || { cat "$REC"; return 1; }
	# RELOADING=1 precedes the READY=1 that closes the reload.
	grep -v '	WATCHDOG=1$' "$REC" | tail -n 2 | cut -f 2 | tr '\n' ' ' |
		grep -Eq '^RELOADING=1 READY=1\|STATUS=.* 4 groups, 2 clients $'
}
tap_check "SIGHUP: RELOADING=1, then READY=1 with the new STATUS=" t_reload

t_stop() {
	gkd_stop nt || return 1
	[ "$(grep -v '	WATCHDOG=1$' "$REC" | tail -n 1 | cut -f 2)" = "STOPPING=1" ]
}
tap_check "SIGTERM: STOPPING=1 last, clean exit 0" t_stop

t_no_socket() {
	# Not under systemd: nothing to tell, and nothing fails for it.
	gkd_config plain && gkd_start plain && gkd_stop plain &&
		! grep -q NOTIFY_SOCKET "$GK_TMP/plain.log"
}
tap_check "without NOTIFY_SOCKET: starts and stops as before" t_no_socket
tap_done
