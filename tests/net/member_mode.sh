#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Member mode ([member], member.c): two hosts run groupkeyd as members only. Each worker gets a
# token from the KDC host's AS, posts it, joins over DTLS with PoP and programs its own data
# plane; plain UDP sockets then talk through XDP/TC unchanged. Rekeys reach the maps through
# Observe; a restart re-joins as the same node with the kept token; after a "reboot" (maps
# gone) the sequence continues from the persisted mark, so the receiver does not see replays; a
# killed worker is restarted.
# (tests/net/member_lib.sh has the topology.) Token renewal: member_renew.sh.
# shellcheck disable=SC2317 # helpers below run through tap_check and busywait
set -u
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/daemon/lib_daemon.sh
source "$(dirname "$0")/../daemon/lib_daemon.sh"
# shellcheck source=tests/daemon/kdc_lib.sh
source "$(dirname "$0")/../daemon/kdc_lib.sh"

tap_init
require_root
require_cmd ip nsenter ss

# shellcheck source=tests/net/member_lib.sh
source "$(dirname "$0")/member_lib.sh"

member_setup 3600
tap_check "the KDC host starts (AS + KDC)" gkd_start kd || tap_bail "kdc" "see above"

member_config a "$NS_A" host-a a0 "$PIN_A" sender,receiver
member_config b "$NS_B" host-b b0 "$PIN_B" receiver
tap_check "a member-only config passes --check-config" \
	"$GKD" --check-config --config "$T/ma.conf"

member_start a "$NS_A"
member_start b "$NS_B"
t_joined() {
	slowwait 20000 log_has_n a 1 'member gm: key [0-9]+ of group gm in the data plane' &&
		slowwait 20000 log_has_n b 1 'member gm: key [0-9]+ of group gm in the data plane' ||
		{ tail -n 30 "$T/ma.log" "$T/mb.log"; return 1; }
}
tap_check "both workers get a token, join over DTLS and program their maps" t_joined ||
	tap_bail "join" "see above"

t_maps() {
	local sid

	sid=$(dp_field "$NS_A" "$PIN_A" sender_id) || return 1
	grep -q "joined gm at .* sender id $sid," "$T/ma.log" &&
		[ "$(dp_field "$NS_A" "$PIN_A" send)" = True ] &&
		[ "$(dp_field "$NS_B" "$PIN_B" send)" = False ] &&
		[ "$(dp_field "$NS_B" "$PIN_B" strip)" = True ]
}
tap_check "A stamps as its sender id from the KDC, B (receiver) only validates" t_maps
# B's join rekeyed the group after A's: A must be on B's key version (Observe).
t_same_key() {
	local ka kb

	ka=$(dp_field "$NS_A" "$PIN_A" send_key_id) && kb=$(dp_keys "$NS_B" "$PIN_B") &&
		[ -n "$ka" ] && [ "${kb##* }" = "$ka" ]
}
tap_check "A followed the rekey of B's join through Observe" busywait 10000 t_same_key

tap_check "plain sockets: A's 5 datagrams reach B intact" exchange first 5
tap_check "B's XDP passed them" test "$(stat_b passed)" = 5

t_rekey() {
	local before after

	before=$(dp_field "$NS_A" "$PIN_A" send_key_id)
	token_for kd "$T/c.cbor" gm:receiver gm-client &&
		gjoin 0 kd "$T/c.cbor" gm receiver >/dev/null || return 1
	after=$((before + 1))
	busywait 10000 send_key_is "$after" || { echo "A stamps with $(dp_field "$NS_A" "$PIN_A" send_key_id), want $after"; return 1; }
	busywait 10000 eval '[ "$(dp_keys "$NS_B" "$PIN_B")" = "$before $after" ]' ||
		{ echo "B's keys: $(dp_keys "$NS_B" "$PIN_B")"; return 1; }
}
tap_check "a third member joins: both workers install the new key, the old one stays in grace" \
	t_rekey
tap_check "traffic under the new key passes" exchange second 3
t_grace_over() {
	[ "$(dp_keys "$NS_B" "$PIN_B" | wc -w)" = 1 ]
}
tap_check "the previous key leaves B's maps when its grace (5 s) ends" busywait 12000 t_grace_over

t_restart() {
	local node

	node=$(grep -oE 'as node [^ ]+' "$T/mb.log" | tail -n 1)
	member_stop b || return 1
	member_start b "$NS_B"
	slowwait 20000 log_has_n b 1 'as node [^ ]+ \(re-join\)' || { tail -n 20 "$T/mb.log"; return 1; }
	[ "$(grep -oE 'as node [^ ]+' "$T/mb.log" | tail -n 1)" = "$node" ]
}
tap_check "B restarts and re-joins as the same node with its kept token (2.04)" t_restart

t_reboot() {
	local sid

	sid=$(dp_field "$NS_A" "$PIN_A" sender_id)
	# A clean stop (keep_attached = no) takes maps and pins away, as a reboot would.
	member_stop a && [ ! -e "$PIN_A" ] || return 1
	member_start a "$NS_A"
	slowwait 20000 log_has_n a 1 'as node [^ ]+ \(re-join\)' ||
		{ tail -n 20 "$T/ma.log"; return 1; }
	[ "$(dp_field "$NS_A" "$PIN_A" sender_id)" = "$sid" ] ||
		{ echo "sender id changed across the re-join"; return 1; }
}
tap_check "A comes back after its maps were removed (a reboot), same sender id" t_reboot
t_no_replay() {
	local replay

	replay=$(stat_b replay)
	exchange third 3 && [ "$(stat_b replay)" = "$replay" ]
}
tap_check "its sequence continues from the persisted mark: B passes, no replay drop" \
	t_no_replay

t_worker_killed() {
	local pid

	pid=$(pgrep -P "${MPID[a]}" -f "member gm" | head -n 1)
	[ -n "$pid" ] || { echo "no worker process"; return 1; }
	kill -KILL "$pid"
	slowwait 15000 log_has_n a 1 'worker killed by signal 9' &&
		slowwait 20000 log_has_n a 2 'as node [^ ]+ \(re-join\)' ||
		{ tail -n 20 "$T/ma.log"; return 1; }
}
tap_check "a killed worker is restarted by the daemon and joins again" t_worker_killed
tap_check "traffic still passes" exchange fourth 2

# The KDC removes B's node (a DELETE with B's own token, read from its state): B's worker gets
# 4.04 on its observation, takes the group's keys out of its maps, and joins again as a new node.
t_removed() {
	local node

	node=$(grep -oE 'as node [^ ]+' "$T/mb.log" | tail -n 1 | cut -d' ' -f3)
	"$PY" - "$T/mb.state/member-gm.db" "$T/b.bundle" <<'PY' || return 1
import cbor2, sqlite3, sys
tok, pop = sqlite3.connect(sys.argv[1]).execute("SELECT token, pop FROM token").fetchone()
open(sys.argv[2], "wb").write(cbor2.dumps({1: tok, 8: {1: cbor2.loads(pop)}}))
PY
	greq kd "$T/b.bundle" DELETE "ace-group/gm/nodes/$node" >/dev/null &&
		out_is code 2.02 || return 1
	slowwait 10000 log_has_n b 1 'membership ended: keys of group gm removed' &&
		slowwait 20000 eval '[ "$(grep -oE "as node [^ ]+ \(new member\)" "$T/mb.log" |
			wc -l)" -ge 2 ]' || { tail -n 15 "$T/mb.log"; return 1; }
}
tap_check "B removed by the KDC: its keys leave its maps, then it joins again" t_removed
tap_check "and traffic passes to B again" busywait 10000 exchange fifth 2

t_stop_clean() {
	member_stop a && member_stop b
}
tap_check "both member daemons stop cleanly on SIGTERM (workers included)" t_stop_clean
tap_check "no worker is left behind" eval '! pgrep -f -- "--config $T/m[ab].conf"'
t_detached() {
	local h ns dev pin

	for h in "a $NS_A a0 $PIN_A" "b $NS_B b0 $PIN_B"; do
		read -r h ns dev pin <<<"$h"
		[ ! -e "$pin" ] || { echo "$pin still pinned"; return 1; }
		! ip -n "$ns" link show "$dev" | grep -q xdp || { echo "XDP left on $dev"; return 1; }
		! in_ns "$ns" tc filter show dev "$dev" egress | grep -q bpf ||
			{ echo "TC left on $dev"; return 1; }
	done
}
tap_check "a clean stop (keep_attached = no) detached the programs and removed the pins" t_detached

tap_done
