#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Member mode, token renewal: tokens live 15 s, so each worker renews with a fifth of that left.
# A renewal is a new token, a new DTLS session, a Join under it (a new node and sender id), then
# a Leave of the old node; traffic keeps flowing and the old node is gone at the KDC.
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

member_setup 15
tap_check "the KDC host starts with 15 s tokens" gkd_start kd || tap_bail "kdc" "see above"
member_config a "$NS_A" host-a a0 "$PIN_A" sender,receiver
member_config b "$NS_B" host-b b0 "$PIN_B" receiver
member_start a "$NS_A"
member_start b "$NS_B"
t_joined() {
	slowwait 20000 log_has_n a 1 'as node [^ ]+ \(new member\)' &&
		slowwait 20000 log_has_n b 1 'as node [^ ]+ \(new member\)'
}
tap_check "both workers join" t_joined || tap_bail "join" "$(tail -n 20 "$T/ma.log")"
node_a=$(grep -oE 'as node [^ ]+' "$T/ma.log" | head -n 1 | cut -d' ' -f3)
sid_a=$(dp_field "$NS_A" "$PIN_A" sender_id)

tap_check "traffic passes on the first tokens" exchange before 3
tap_check "A renews its token before it expires (about 12 s in)" \
	slowwait 20000 log_has_n a 1 'member gm: token renewed'
t_new_node() {
	local node

	node=$(grep -oE 'as node [^ ]+' "$T/ma.log" | tail -n 1 | cut -d' ' -f3)
	[ "$node" != "$node_a" ] || { echo "still node $node"; return 1; }
	slowwait 5000 grep -q "group gm: $node_a left" "$T/kd.log" ||
		{ echo "the KDC did not see $node_a leave"; tail -n 10 "$T/kd.log"; return 1; }
	[ "$(dp_field "$NS_A" "$PIN_A" sender_id)" != "$sid_a" ]
}
tap_check "the renewal joined as a new node, with a new sender id, and the old node left" \
	t_new_node
same_key() {
	local newest_b

	newest_b=$(dp_keys "$NS_B" "$PIN_B" | tr ' ' '\n' | sort -n | tail -n 1)
	[ "$(dp_field "$NS_A" "$PIN_A" send_key_id)" = "$newest_b" ]
}
t_following() {
	busywait 10000 same_key
}
tap_check "A and B are on the same key after the rekeys the renewals caused" t_following
tap_check "traffic still passes after the renewal" exchange after 3
tap_check "B renewed too, and no session ended in an error" \
	eval 'log_has_n b 1 "token renewed" && ! grep -q "session with .* ended" "$T/ma.log" "$T/mb.log"'
tap_check "both member daemons stop cleanly" eval 'member_stop a && member_stop b'

tap_done
