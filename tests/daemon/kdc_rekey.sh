#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Point-to-point rekeying (RFC 9594 §5, §6.1) through Observe: a join and a leave each bring every
# observer num + 1, coalesced; a leaver's observation and GET end in 4.03; an expired token gets
# its member evicted (4.04 error 5 to its node's observers) and the group rekeyed; the rekey
# margin before exp rekeys without any membership change.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"
source "$(dirname "$0")/kdc_lib.sh"

tap_init
require_cmd ss
gkd_config rk || tap_bail "config" "cannot write the config"
gkd_config ex as.token_lifetime=5 || tap_bail "config" "cannot write the config"
gkd_add_group ex fast receiver key_lifetime=60 rekey_margin=57
tap_check "groupkeyd starts (two instances)" eval 'gkd_start rk && gkd_start ex' ||
	tap_bail "groupkeyd start" "see above"

T=$GK_TMP

# Observe GROUP (or its node N) with FILE's token in the background: JSON lines into OUT.
observe() # NAME FILE GROUP OUT [--node N]
{
	local name=$1 file=$2 group=$3 out=$4

	shift 4
	"$GK" group keys --kdc "$(kdcs_uri "$name")" --token "$file" --group "$group" \
		--observe 60 "$@" >"$out" 2>"$out.err" &
	OBS_PID=$!
	defer stop_pid "$OBS_PID"
	slowwait 10000 test -s "$out" || { echo "no first response"; cat "$out.err"; return 1; }
}

# The value at PATH of the last JSON line of FILE.
last_line() # FILE PATH
{
	tail -n 1 "$1" | json_get "$2"
}

has_num() # FILE NUM
{
	grep -q "\"num\":$2," "$1"
}

t_setup() {
	token_for rk "$T/a.cbor" g1:sender,receiver && token_for rk "$T/b.cbor" g1:receiver &&
		gjoin 0 rk "$T/a.cbor" g1 sender,receiver -o "$T/a.member" || return 1
	# The first join's rekey (backward security) has to be over before we start counting.
	slowwait 3000 eval '"$GK" --json group num --member "$T/a.member" --token "$T/a.cbor" |
		grep -q "\"num\":2"'
}
tap_check "a joins g1 (num 1 -> 2 by the rekey on join)" t_setup || tap_bail "setup" "see above"

t_join_notifies() {
	local t1 t2

	observe rk "$T/a.cbor" g1 "$T/obs-a" || return 1
	A_OBS=$OBS_PID
	[ "$(last_line "$T/obs-a" num)" = 2 ] && [ "$(last_line "$T/obs-a" code)" = 2.05 ] ||
		{ cat "$T/obs-a"; return 1; }
	gjoin 0 rk "$T/b.cbor" g1 receiver -o "$T/b.member" || return 1
	t1=$(gk_now_ms)
	busywait 1000 has_num "$T/obs-a" 3 || { echo "no num 3 within 1 s"; cat "$T/obs-a"; return 1; }
	t2=$(gk_now_ms)
	echo "notified $((t2 - t1)) ms after the Join Response"
	[ "$(wc -l <"$T/obs-a")" -eq 2 ] && [ "$(last_line "$T/obs-a" kid)" = "h'00000003'" ]
}
tap_check "observer of /ace-group/g1 gets num + 1 within 1 s of another member's join" \
	t_join_notifies

# The node has no libcoap resource: the registration's Observe option is the KDC's own.
t_node_observer() {
	observe rk "$T/b.cbor" g1 "$T/obs-bn" --node s00000002 &&
		[ "$(last_line "$T/obs-bn" sender_id)" = 2 ] && [ "$(last_line "$T/obs-bn" num)" = 3 ] &&
		head -n 1 "$T/obs-bn" | json_get observe | grep -Eq '^[0-9]+$'
}
tap_check "observe nodes/s00000002: 2.05 with sender_id, num 3, an Observe option" \
	t_node_observer

t_leave() {
	B_NODE_OBS=$OBS_PID
	gcmd 0 leave rk "$T/a.cbor" g1 --node s00000001 && out_is code 2.02 || return 1
	# b, still a member, is rekeyed (forward security) on its node observation.
	busywait 2000 has_num "$T/obs-bn" 4 || { cat "$T/obs-bn"; return 1; }
	# a's own observation of the group ends with the 4.03 the rekey's notification brings.
	slowwait 3000 eval '! kill -0 '"$A_OBS"' 2>/dev/null' || { echo "a still observing"; return 1; }
	wait "$A_OBS"
	[ $? -eq 1 ] && [ "$(last_line "$T/obs-a" code)" = 4.03 ] &&
		[ "$(last_line "$T/obs-a" error_id)" = 0 ] && ! has_num "$T/obs-a" 4 ||
		{ cat "$T/obs-a"; return 1; }
	gcmd 1 keys rk "$T/a.cbor" g1 && refused_with 4.03 0
}
tap_check "leave: the rest get num + 1; the leaver's observation ends 4.03/0, its GET 4.03/0" \
	t_leave

t_coalesce() {
	local i pids=() before after

	before=$(last_line "$T/obs-bn" num)
	for i in 1 2 3 4; do
		token_for rk "$T/c$i.cbor" g1:receiver || return 1
	done
	for i in 1 2 3 4; do
		"$GK" group join --kdc "$(kdcs_uri rk)" --authz-info "$(kdc_uri rk)/authz-info" \
			--token "$T/c$i.cbor" --group g1 --role receiver >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || { echo "a join failed"; return 1; }
	done
	sleep 1
	after=$(last_line "$T/obs-bn" num)
	echo "num $before -> $after for 4 joins"
	# Four joins within about one coalescing window (200 ms): fewer rekeys than joins.
	[ "$after" -gt "$before" ] && [ $((after - before)) -lt 4 ]
}
tap_check "4 concurrent joins: fewer than 4 rekeys (coalescing window)" t_coalesce

t_evict() {
	local node

	# o: a long-lived token (made with the AS-KDC key); e: the AS's, 5 s.
	make_bundle_for "$T/o.cbor" g2 4 6f627301 && token_for ex "$T/e.cbor" g2:receiver &&
		gjoin 0 ex "$T/o.cbor" g2 receiver && gjoin 0 ex "$T/e.cbor" g2 receiver &&
		node=$(json_get node <"$T/out") || return 1
	observe ex "$T/o.cbor" g2 "$T/obs-o" && observe ex "$T/e.cbor" g2 "$T/obs-e" --node "$node" ||
		return 1
	E_OBS=$OBS_PID
	# The token expires within 5 s; the KDC evicts at its exp and rekeys.
	slowwait 12000 eval '! kill -0 '"$E_OBS"' 2>/dev/null' || { cat "$T/obs-e"; return 1; }
	wait "$E_OBS"
	[ $? -eq 1 ] && [ "$(last_line "$T/obs-e" code)" = 4.04 ] &&
		[ "$(last_line "$T/obs-e" error_id)" = 5 ] || { cat "$T/obs-e"; return 1; }
	slowwait 3000 has_num "$T/obs-o" 3 || { cat "$T/obs-o"; return 1; }
	grep -q "member $node removed (5)" "$T/ex.log" || { tail "$T/ex.log"; return 1; }
	# Its token is gone: no DTLS session any more.
	gcmd 1 keys ex "$T/e.cbor" g2 --timeout 3000 && out_is reason handshake_failed
}
tap_check "token expiry: eviction, 4.04 error 5 to the node's observer, the rest rekeyed" t_evict

t_margin() {
	local exp now

	make_bundle_for "$T/f.cbor" fast 4 66617301 && gjoin 0 ex "$T/f.cbor" fast receiver ||
		return 1
	observe ex "$T/f.cbor" fast "$T/obs-f" || return 1
	# key_lifetime 60, rekey_margin 57: a rekey every 3 s, membership or not.
	slowwait 9000 eval '[ "$(wc -l <"$T/obs-f")" -ge 3 ]' || { cat "$T/obs-f"; return 1; }
	exp=$(last_line "$T/obs-f" exp) now=$(date +%s)
	[ $((exp - now)) -ge 56 ] && [ $((exp - now)) -le 61 ] &&
		[ "$(sed -n 3p "$T/obs-f" | json_get num)" = \
			$(($(sed -n 1p "$T/obs-f" | json_get num) + 2)) ] || { cat "$T/obs-f"; return 1; }
}
tap_check "rekey margin: key_lifetime 60, margin 57 -> a rekey every 3 s, exp = now + 60" t_margin

tap_check "groupkeyd stops cleanly on SIGTERM" eval 'gkd_stop rk && gkd_stop ex'
tap_done
