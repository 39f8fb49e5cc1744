#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# KDC mode data plane ([dataplane], dpsync.c): groupkeyd programs its own host's XDP maps from
# its group state. A member joins over the wire, stamps multicast with the key it got, and the
# KDC host passes it; after the member leaves and the group is rekeyed, its old key stops
# validating at the end of the receive grace (not at the key's exp), and a restart of the
# daemon picks the pinned maps up.
#
#   root ns: groupkeyd (CoAP on 127.0.0.1), XDP on KX  <-- veth -->  NS_M: e1, member's TC
# shellcheck disable=SC2317,SC2119 # helpers below run through tap_check and busywait
set -u
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/daemon/lib_daemon.sh
source "$(dirname "$0")/../daemon/lib_daemon.sh"
# shellcheck source=tests/daemon/kdc_lib.sh
source "$(dirname "$0")/../daemon/kdc_lib.sh"

tap_init
require_root
require_cmd ip nsenter

G=239.77.0.1
P=5000
GID=3 # [group gd] is the fourth section: g1, g2, g3 come from gkd_config
T=$GK_TMP
KX=gkk$$
PIN_K=/sys/fs/bpf/gk-$$-kdc
PIN_M=/sys/fs/bpf/gk-$$-m

SEND_PY='
import socket, struct, sys
group, port, ifname, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
any4 = socket.inet_aton("0.0.0.0")
idx = socket.if_nametoindex(ifname)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("4s4si", any4, any4, idx))
for i in range(n):
    s.sendto(b"member datagram %d" % i, (group, port))
'

member_field() # FILE FIELD: hex for bytes
{
	"$PY" -c 'import cbor2, sys
v = cbor2.loads(open(sys.argv[1], "rb").read())[sys.argv[2]]
print(v.hex() if isinstance(v, bytes) else v)' "$1" "$2"
}

send_n() # N
{
	nsenter --net="/run/netns/$NS_M" "$PY" -c "$SEND_PY" "$G" "$P" e1 "$1"
}

kdc_num() # -> the KDC's num of gd, asked by the member that stays
{
	gcmd 0 num kd "$T/w.cbor" gd >/dev/null || return 1
	json_get num <"$T/out"
}

kdc_num_is() # WANT
{
	local got

	got=$(kdc_num)
	[ "$got" = "$1" ] || { echo "num '$got', want $1"; cat "$T/out" "$T/err"; return 1; }
}

stat_of() # VERDICT
{
	"$GK" stats -j --pin-dir "$PIN_K" --group "$GID" | "$PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["counters"][sys.argv[1]]["packets"])' "$1"
}

stats_are() # VERDICT=N...
{
	local pair got

	for pair in "$@"; do
		got=$(stat_of "${pair%%=*}") || return 1
		[ "$got" = "${pair#*=}" ] || {
			echo "${pair%%=*}: $got, want ${pair#*=}"
			"$GK" stats --pin-dir "$PIN_K" --group "$GID"
			return 1
		}
	done
}

expect_stats() # NAME VERDICT=N...
{
	local name=$1

	shift
	busywait 3000 stats_are "$@" >/dev/null 2>&1
	tap_check "$name" stats_are "$@"
}

net_setup()
{
	setup_ns NS_M || return 1
	ip link add "$KX" type veth peer name e1 netns "$NS_M" || return 1
	defer ip link del "$KX"
	ip addr add 10.77.0.1/24 dev "$KX" && ip link set "$KX" up &&
		ip -n "$NS_M" addr add 10.77.0.2/24 dev e1 && ip -n "$NS_M" link set e1 up
}

net_setup || tap_bail "network" "cannot set up the namespace"
defer dp_unload_left - "$PIN_K" "$KX"
defer dp_unload_left "$NS_M" "$PIN_M" e1

gkd_config kd || tap_bail "config" "cannot write the config"
gkd_add_group kd gd sender,receiver address=$G port=$P recv_grace=4 rekey_on_join=no \
	rekey_on_leave=yes
# keep_attached: the restart below must find the programs and maps where they were.
printf '\n[dataplane]\nenabled = yes\ninterfaces = %s\npin_dir = %s\nkeep_attached = yes\n' \
	"$KX" "$PIN_K" >>"$T/kd.conf"
tap_check "groupkeyd starts with [dataplane] on $KX" gkd_start kd ||
	tap_bail "groupkeyd start" "see above"

t_addr() {
	"$GK" --json dataplane show --pin-dir "$PIN_K" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
got = sorted((g["address"], g["group"]) for g in d["groups"])
want = [("239.77.0.1:0", 3), ("239.77.0.1:5000", 3)]
sys.exit(0 if got == want else "groups %r, want %r" % (got, want))'
}
tap_check "gd's address and address entry are protected as group $GID" t_addr

t_member() {
	local key sid num exp

	token_for kd "$T/m.cbor" gd:sender,receiver gd-client &&
		gjoin 0 kd "$T/m.cbor" gd sender,receiver -o "$T/m.member" || return 1
	key=$(member_field "$T/m.member" key) && sid=$(member_field "$T/m.member" sender_id) &&
		num=$(member_field "$T/m.member" num) || return 1
	[ "$num" = 1 ] || { echo "joined under num $num"; return 1; }
	exp=$(($(date +%s) + 3600))
	nsenter --net="/run/netns/$NS_M" "$GK" dataplane load --ifname e1 --pin-dir "$PIN_M" &&
		"$GK" dataplane group-add --pin-dir "$PIN_M" --addr "$G" --port "$P" --group 1 \
			--sender "$sid" --send &&
		"$GK" dataplane key-add --pin-dir "$PIN_M" --group 1 --name gd --key-id 1 \
			--group-key "$key" --exp "$exp" --grace 60 &&
		"$GK" dataplane send-key --pin-dir "$PIN_M" --group 1 --key-id 1 &&
		"$GK" dataplane seq-reserve --pin-dir "$PIN_M" --group 1 --block 100000 \
			--state "$T/m.seq" >/dev/null
}
tap_check "a member joins gd and stamps with the key it got" t_member ||
	tap_bail "member" "see above"

t_witness() {
	token_for kd "$T/w.cbor" gd:receiver gd-client &&
		gjoin 0 kd "$T/w.cbor" gd receiver -o "$T/w.member" && kdc_num_is 1
}
tap_check "a second member joins (no rekey on join: num stays 1)" t_witness

send_n 5
expect_stats "the KDC host passes the member's 5 datagrams" passed=5 unknown_key=0 bad_tag=0

t_leave() {
	gcmd 0 leave kd "$T/m.cbor" gd --member "$T/m.member"
}
tap_check "the member leaves" t_leave
tap_check "the KDC rekeys gd to num 2" busywait 3000 kdc_num_is 2
send_n 3
expect_stats "within the grace (4 s), old-key traffic still passes" passed=8 unknown_key=0
sleep 5
send_n 4
expect_stats "after it, the removed member's traffic is dropped as unknown_key" passed=8 \
	unknown_key=4

# The member that stays stamps with key 2 from NS_M's data plane, under its own sender id.
t_rotate() {
	local num key sid exp

	read -r num key < <("$GK" --json --show-secrets group keys --kdc "$(kdcs_uri kd)" \
		--token "$T/w.cbor" --group gd |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["num"], d["key"])')
	[ "$num" = 2 ] || { echo "keys: num '$num'"; return 1; }
	sid=$(member_field "$T/w.member" sender_id) && exp=$(($(date +%s) + 3600)) || return 1
	"$GK" dataplane group-add --pin-dir "$PIN_M" --addr "$G" --port "$P" --group 1 \
		--sender "$sid" --send &&
		"$GK" dataplane key-add --pin-dir "$PIN_M" --group 1 --name gd --key-id 2 \
			--group-key "$key" --exp "$exp" --grace 60 &&
		"$GK" dataplane send-key --pin-dir "$PIN_M" --group 1 --key-id 2
}
tap_check "the remaining member moves to key 2" t_rotate
send_n 3
expect_stats "its traffic under key 2 passes at the KDC host" passed=11 unknown_key=4

t_reload_adds() {
	gkd_add_group kd ge sender,receiver address=239.77.0.2 port=$P &&
		kill -HUP "${GKD_PID[kd]}" || return 1
	busywait 10000 eval '"$GK" --json dataplane show --pin-dir "$PIN_K" | "$PY" -c "
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(g[\"address\"] == \"239.77.0.2:$P\" and g[\"group\"] == 4 for g in d[\"groups\"])
         and any(k[\"group\"] == 4 and k[\"key_id\"] == 1 for k in d[\"keys\"]) else 1)"' ||
		{ "$GK" dataplane show --pin-dir "$PIN_K"; tail -n 5 "$T/kd.log"; return 1; }
}
tap_check "a group added by SIGHUP reaches the data plane with its first key" t_reload_adds
tap_check "the daemon stops (SIGTERM)" gkd_stop kd
send_n 2
expect_stats "enforcement goes on while it is down" passed=13 unknown_key=4
tap_check "it starts again over the pinned maps" gkd_start kd
send_n 2
expect_stats "key 2 still validates after the restart" passed=15 unknown_key=4
"$GK" dataplane send-key --pin-dir "$PIN_M" --group 1 --key-id 1
send_n 2
expect_stats "and key 1 stays out" passed=15 unknown_key=6

tap_done
