#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# KDC state across restarts (RFC 9594 §4.7.1, §10.2): after SIGTERM the same num, key and members,
# node resources back (observable); after kill -9 right after a burst of joins, one committed num
# and key that every member fetches, never lower than any member saw.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"
source "$(dirname "$0")/kdc_lib.sh"

tap_init
require_cmd ss
gkd_config kt || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts" gkd_start kt || tap_bail "groupkeyd start" "see above"

T=$GK_TMP

# num and key (hex) GET /ace-group/g1 gives FILE's member: "NUM KEY".
material() # FILE
{
	"$GK" --json --show-secrets group keys --kdc "$(kdcs_uri kt)" --token "$1" --group g1 |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["num"], d["key"])'
}

num_settled() # FILE
{
	local a b

	a=$(material "$1") && sleep 0.4 && b=$(material "$1") && [ "$a" = "$b" ] &&
		printf '%s\n' "$a" >"$T/settled"
}

t_before() {
	token_for kt "$T/a.cbor" g1:sender,receiver && token_for kt "$T/b.cbor" g1:receiver &&
		gjoin 0 kt "$T/a.cbor" g1 sender,receiver -o "$T/a.member" &&
		gjoin 0 kt "$T/b.cbor" g1 receiver -o "$T/b.member" &&
		slowwait 3000 num_settled "$T/a.cbor" && cp "$T/settled" "$T/before" &&
		[ "$(material "$T/b.cbor")" = "$(cat "$T/before")" ]
}
tap_check "before: two members, both fetch the same num and key" t_before

tap_check "SIGTERM" gkd_stop kt
tap_check "restart on the same state" gkd_start kt || tap_bail "restart" "see above"

t_after() {
	[ "$(material "$T/a.cbor")" = "$(cat "$T/before")" ] &&
		[ "$(material "$T/b.cbor")" = "$(cat "$T/before")" ] ||
		{ echo "before $(cat "$T/before"), after $(material "$T/a.cbor")"; return 1; }
	gcmd 0 creds kt "$T/a.cbor" g1 && out_is creds.0.sender_id 1 &&
		out_is creds.1.sender_id 2 && out_is creds.1.roles receiver
}
tap_check "after: same num, same key, same members (sender ids 1 and 2)" t_after

t_node_after() {
	# The node resource is back: an Observe registration on it takes (only real resources can).
	timeout 20 "$GK" group keys --kdc "$(kdcs_uri kt)" --token "$T/b.cbor" --group g1 \
		--node s00000002 --observe 1 >"$T/obs" 2>&1 &&
		[ "$(head -n 1 "$T/obs" | json_get sender_id)" = 2 ] &&
		[ -n "$(head -n 1 "$T/obs" | json_get observe)" ] || { cat "$T/obs"; return 1; }
	gcmd 0 kdc-cred kt "$T/a.cbor" g1 --member "$T/a.member" && out_is verified ok
}
tap_check "after: nodes/s00000002 observable again; kdc-cred verifies (same KDC key)" t_node_after

t_crash() {
	local i pids=() seen=0 n max after got f

	for i in 1 2 3 4 5 6; do
		token_for kt "$T/c$i.cbor" g1:receiver || return 1
	done
	for i in 1 2 3 4 5 6; do
		"$GK" --json group join --kdc "$(kdcs_uri kt)" --token "$T/c$i.cbor" \
			--authz-info "$(kdc_uri kt)/authz-info" --group g1 --role receiver \
			>"$T/c$i.out" 2>/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	# Inside the coalescing window of the burst: the rekey is due, or being written.
	kill -9 "${GKD_PID[kt]}"
	wait "${GKD_PID[kt]}" 2>/dev/null
	max=$(cut -d' ' -f1 "$T/before")
	for i in 1 2 3 4 5 6; do
		n=$(json_get num <"$T/c$i.out" 2>/dev/null) || continue
		seen=$((seen + 1))
		[ "$n" -le "$max" ] || max=$n
	done
	echo "$seen joins answered before the kill, highest num seen $max"
	gkd_start kt || return 1
	slowwait 3000 num_settled "$T/a.cbor" || return 1
	after=$(cat "$T/settled")
	[ "${after%% *}" -ge "$max" ] || { echo "num went back: $after < $max"; return 1; }
	for f in "$T/b.cbor" "$T"/c?.cbor; do
		got=$(material "$f" 2>/dev/null)
		# A join the kill cut off before its answer may or may not have been committed.
		[ -z "$got" ] && [ "$f" != "$T/b.cbor" ] && ! grep -qs '"num"' "${f%.cbor}.out" &&
			continue
		[ "$got" = "$after" ] || { echo "$f: '$got' vs $after"; return 1; }
	done
	echo "after the restart: num and key $after for every member"
}
tap_check "kill -9 after a burst of joins: one committed num (>= any seen), key for all" \
	t_crash

tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop kt
tap_done
