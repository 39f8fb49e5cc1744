#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SIGHUP reload on a running groupkeyd: a group and a client scope added are served at once;
# a broken file, or a change that needs a restart, is refused with the reason in the log while
# the running configuration keeps serving; a group removed is no longer served.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"

tap_init
require_cmd ss
gkd_config rl || tap_bail "config" "cannot write the config"
CONF=$GK_TMP/rl.conf
LOG=$GK_TMP/rl.log
tap_check "groupkeyd starts" gkd_start rl || tap_bail "groupkeyd start" "see above"
PID=${GKD_PID[rl]}

# Count of lines in the log matching REGEX.
log_count() # REGEX
{
	grep -Ec -- "$1" "$LOG"
}

# SIGHUP, then wait until the log holds one more "reload: reading" line and the outcome
# after it ("reload: done" or an error).
hup() {
	local before

	before=$(log_count 'reload: (done|.*keeping the running configuration|.*unchanged)')
	kill -HUP "$PID" || return 1
	slowwait 10000 eval \
		'[ "$(log_count "reload: (done|.*keeping the running configuration|.*unchanged)")" -gt '"$before"' ]'
}

t_before() {
	# g4 is not configured yet, nor in alice's allowed scope: the AS refuses the token.
	! get_token rl "$GK_TMP/g4.cbor" g4:receiver >/dev/null 2>&1 &&
		expect_rc 0 get_token rl "$GK_TMP/g1.cbor" g1:sender &&
		expect_rc 0 post_token rl "$GK_TMP/g1.cbor" &&
		expect_rc 0 fetch_groups rl "$GK_TMP/g1.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g1 /ace-group/g1" ]
}
tap_check "before the reload: g1 served, no token for g4" t_before

t_add() {
	sed -i 's/^scope = g1:sender,receiver; g2:receiver$/&; g4:receiver/' "$CONF" &&
		printf '\n[group g4]\nroles = receiver, monitor\n' >>"$CONF" &&
		hup || return 1
	grep -q 'reload: group g4 added' "$LOG" && grep -q 'reload: client alice changed' "$LOG" &&
		grep -q 'reload: done: .* 4 groups, 2 clients' "$LOG" || { cat "$LOG"; return 1; }
	expect_rc 0 get_token rl "$GK_TMP/g4.cbor" g4:receiver &&
		expect_rc 0 post_token rl "$GK_TMP/g4.cbor" &&
		expect_rc 0 fetch_groups rl "$GK_TMP/g4.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g4 /ace-group/g4" ]
}
tap_check "SIGHUP with [group g4] and alice's scope added: token for g4, FETCH /ace-group finds it" \
	t_add

t_broken() {
	cp "$CONF" "$GK_TMP/good.conf" &&
		printf '[group g5]\nroles = sender, pilot\n' >>"$CONF" && hup || return 1
	grep -Eq "reload: $CONF:[0-9]+: roles: unknown role 'pilot'.*; keeping the running configuration" \
		"$LOG" || { cat "$LOG"; return 1; }
	kill -0 "$PID" &&
		expect_rc 0 fetch_groups rl "$GK_TMP/g4.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g4 /ace-group/g4" ] &&
		expect_rc 0 fetch_groups rl "$GK_TMP/g1.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g1 /ace-group/g1" ]
}
tap_check "SIGHUP with a broken file: error logged, the running configuration keeps serving" \
	t_broken

t_restart_only() {
	cp "$GK_TMP/good.conf" "$CONF" &&
		sed -i "s|^state_dir = .*|state_dir = $GK_TMP/elsewhere|" "$CONF" && hup || return 1
	grep -q 'reload: state_dir changed, which needs a restart .*; keeping the running configuration' \
		"$LOG" || { cat "$LOG"; return 1; }
	[ ! -e "$GK_TMP/elsewhere" ] && kill -0 "$PID" &&
		expect_rc 0 fetch_groups rl "$GK_TMP/g4.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g4 /ace-group/g4" ]
}
tap_check "SIGHUP with another state_dir: refused as needing a restart, nothing changed" \
	t_restart_only

t_in_place() {
	cp "$GK_TMP/good.conf" "$CONF" &&
		sed -i 's/^log_level = info$/log_level = debug/' "$CONF" && hup || return 1
	grep -q 'reload: log_level changed' "$LOG" || { cat "$LOG"; return 1; }
	# Applied without restarting the endpoints, and the debug level is in force.
	[ "$(log_count 'restarting the KDC and the CoAP endpoints')" -eq 1 ] &&
		expect_rc 0 fetch_groups rl "$GK_TMP/g1.cbor" &&
		grep -q 'debug: ' "$LOG"
}
tap_check "SIGHUP with only log_level changed: applied in place, debug output follows" t_in_place

t_unchanged() {
	hup && grep -q "reload: $CONF unchanged" "$LOG"
}
tap_check "SIGHUP with the same file: nothing to do" t_unchanged

t_remove() {
	"$PY" - "$CONF" <<'EOF' || return 1
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"\n\[group g4\]\nroles = receiver, monitor\n", "\n", s)
s = s.replace("; g4:receiver", "")
open(p, "w").write(s)
EOF
	hup || return 1
	grep -q 'reload: group g4 removed' "$LOG" || { cat "$LOG"; return 1; }
	# A token for g4 alone names no group the KDC serves any more: its handshake is refused.
	expect_rc 1 fetch_groups rl "$GK_TMP/g4.cbor" && output_has 'DTLS handshake failed' &&
		expect_rc 0 fetch_groups rl "$GK_TMP/g1.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g1 /ace-group/g1" ]
}
tap_check "SIGHUP with [group g4] removed: g4 no longer served, g1 still is" t_remove

tap_check "clean exit 0 on SIGTERM after the reloads" gkd_stop rl
tap_done
