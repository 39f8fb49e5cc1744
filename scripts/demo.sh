#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: the chain token -> join -> keys -> BPF maps -> packet verdict, in network
# namespaces it creates and always removes. A LAN (a bridge) joins five hosts:
#   kdc    groupkeyd as AS + KDC for group "demo" (239.10.0.1:5000), and gateway (bridge mode)
#          for leo, a legacy host behind it with no daemon at all
#   alice  groupkeyd in member mode (sender, receiver): token, Join over DTLS, XDP/TC fed
#   bob    groupkeyd in member mode (receiver); a plain UDP socket listens
#   carol  a member driven by hand with the CLI, who later leaves
#   eve    an attacker with raw sockets: forges, replays
# Applications are plain sockets: the kernel stamps and checks. Exit status 0 only if every
# expected behaviour was seen.
set -u
B=${1:-build}
GKD=$(realpath "$B/groupkeyd")
GK=$(realpath "$B/groupkey")
PY=/usr/bin/python3
MCAST=$(realpath "$(dirname "$0")/../tests/net/mcast.py")
G=239.10.0.1
P=5000
PSK=64656d6f2d7073652d736563726574212121
ID=$$
T=$(mktemp -d)
NS=()
PIDS=()
fails=0

cleanup() {
	local p ns ifs

	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# Each host's own interfaces: unload refuses a name the namespace does not have, and
	# carol's maps (loaded by the CLI, not a daemon) stayed pinned when it did.
	for ns in kdc alice bob carol; do
		ifs=(--ifname eth0)
		[ "$ns" != kdc ] || ifs+=(--ifname leg0)
		nsenter --net="/run/netns/gkdemo-$ns-$ID" "$GK" dataplane unload \
			--pin-dir "/sys/fs/bpf/gkdemo-$ID-$ns" "${ifs[@]}" >/dev/null 2>&1
	done
	for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces, BPF)"; exit 1; }
[ -x "$GKD" ] && [ -x "$GK" ] || { echo "build first: make"; exit 1; }

mark() { # OK TEXT
	if [ "$1" = 0 ]; then printf '  [ok]   %s\n' "$2"; else
		printf '  [FAIL] %s\n' "$2"
		fails=$((fails + 1))
	fi
}
step() { # TEXT CMD...: run, print a pass/fail mark
	local text=$1
	shift
	"$@" >"$T/out" 2>&1
	mark $? "$text"
	[ $? = 0 ] || sed 's/^/         /' "$T/out" | tail -n 15
}
in_ns() { local h=$1; shift; nsenter --net="/run/netns/gkdemo-$h-$ID" "$@"; }
wait_for() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $end ] || return 1; sleep 0.2; done
}

# --- the LAN -------------------------------------------------------------------------------
net_up() {
	local i=1 h

	ip netns add "gkdemo-lan-$ID" && NS+=("gkdemo-lan-$ID") || return 1
	ip -n "gkdemo-lan-$ID" link add br0 type bridge && ip -n "gkdemo-lan-$ID" link set br0 up
	for h in kdc alice bob carol eve; do
		ip netns add "gkdemo-$h-$ID" && NS+=("gkdemo-$h-$ID") || return 1
		ip -n "gkdemo-$h-$ID" link add eth0 type veth peer name "p-$h" \
			netns "gkdemo-lan-$ID" &&
			ip -n "gkdemo-lan-$ID" link set "p-$h" master br0 up &&
			ip -n "gkdemo-$h-$ID" link set eth0 up &&
			ip -n "gkdemo-$h-$ID" link set lo up &&
			ip -n "gkdemo-$h-$ID" route add 224.0.0.0/4 dev eth0 || return 1
		[ "$h" = kdc ] || ip -n "gkdemo-$h-$ID" addr add "10.10.0.$i/24" dev eth0 || return 1
		i=$((i + 1))
	done
	# The KDC host is also the gateway: its WAN port (eth0) and LAN port in one bridge.
	ip netns add "gkdemo-leo-$ID" && NS+=("gkdemo-leo-$ID") || return 1
	in_ns kdc ip link add br0 type bridge mcast_snooping 0 &&
		in_ns kdc ip link add leg0 type veth peer name eth0 netns "gkdemo-leo-$ID" &&
		in_ns kdc ip link set eth0 master br0 && in_ns kdc ip link set leg0 master br0 &&
		in_ns kdc ip link set leg0 up && in_ns kdc ip link set br0 up &&
		in_ns kdc ip addr add 10.10.0.1/24 dev br0 &&
		in_ns leo ip addr add 10.10.0.6/24 dev eth0 && in_ns leo ip link set eth0 up &&
		in_ns leo ip link set lo up && in_ns leo ip route add 224.0.0.0/4 dev eth0
}

kdc_conf() {
	cat >"$T/kdc.conf" <<EOF
[daemon]
state_dir = $T/kdc.state
listen = 10.10.0.1

[group demo]
roles = sender,receiver
address = $G
port = $P
recv_grace = 3

[client alice]
psk = $PSK
scope = demo:sender,receiver

[client bob]
psk = $PSK
scope = demo:receiver

[client carol]
psk = $PSK
scope = demo:sender,receiver

# The gateway: this host's own membership, on behalf of leo behind its LAN port.
[client gw]
psk = $PSK
scope = demo:sender,receiver

[member demo]
kdc = coaps://10.10.0.1:5684
client_id = gw
psk = $PSK
address = $G
port = $P
allow = 10.10.0.6/32

[dataplane]
enabled = yes
pin_dir = /sys/fs/bpf/gkdemo-$ID-kdc

[gateway]
wan = eth0
lan = leg0
EOF
}

member_conf() { # HOST ROLES
	cat >"$T/$1.conf" <<EOF
[daemon]
state_dir = $T/$1.state

[as]
enabled = no

[kdc]
enabled = no

[member demo]
kdc = coaps://10.10.0.1:5684
client_id = $1
psk = $PSK
roles = $2
address = $G
port = $P

[dataplane]
enabled = yes
interfaces = eth0
pin_dir = /sys/fs/bpf/gkdemo-$ID-$1
EOF
}

start() { # HOST CONF
	nsenter --net="/run/netns/gkdemo-$1-$ID" "$GKD" --config "$2" >>"$T/$1.log" 2>&1 &
	PIDS+=($!)
}

joined() { grep -q "member demo: key .* in the data plane" "$T/$1.log"; }
show() { in_ns "$1" "$GK" --json dataplane show --pin-dir "/sys/fs/bpf/gkdemo-$ID-$1"; }
send_key() { show alice | $PY -c 'import json,sys; print([g for g in json.load(sys.stdin)["groups"] if g["address"].endswith(":'$P'")][0]["send_key_id"])'; }
stat_bob() { # VERDICT
	in_ns bob "$GK" stats -j --pin-dir "/sys/fs/bpf/gkdemo-$ID-bob" | $PY -c '
import json, sys
print(sum(g["counters"][sys.argv[1]]["packets"] for g in json.load(sys.stdin)))' "$1"
}

# HOST sends the messages from a plain socket; bob's (or TO's) plain socket must receive
# exactly WANT.
delivered() { # HOST WANT MSG...
	local h=$1 want=$2 pid

	shift 2
	rm -f "$T/rx" "$T/rx.ready"
	in_ns "${TO:-bob}" $PY "$MCAST" recv "$G" "$P" --iface eth0 --ready "$T/rx.ready" \
		>"$T/rx" &
	pid=$!
	wait_for 3 test -e "$T/rx.ready"
	in_ns "$h" $PY "$MCAST" send "$G" "$P" --iface eth0 -- "$@"
	wait "$pid"
	printf '%s received: %s\n' "${TO:-bob}" "$(tr '\n' '|' <"$T/rx")"
	[ "$(cat "$T/rx")" = "$want" ]
}

echo "groupkeyd demo: token -> join -> keys -> BPF maps -> packet verdict"
echo
echo "1. Control plane"
step "LAN up: kdc, alice, bob, carol, eve on one bridge; leo behind the kdc host" net_up ||
	exit 1
kdc_conf
member_conf alice sender,receiver
member_conf bob receiver
start kdc "$T/kdc.conf"
step "kdc: groupkeyd serves /token (AS) and the KDC on 10.10.0.1" \
	wait_for 15 in_ns kdc ss -Hlun "sport = :5684"
step "kdc: the gateway's own membership joins the KDC (for leo)" wait_for 40 joined kdc
start alice "$T/alice.conf"
start bob "$T/bob.conf"
step "alice: token from the AS, posted, joined over DTLS with PoP, key in her maps" \
	wait_for 40 joined alice
step "bob: the same, as a receiver" wait_for 40 joined bob
grep -h "joined demo" "$T/alice.log" "$T/bob.log" | sed 's/^groupkeyd: info: /         /'
bob_key() { grep -o "key [0-9]* of group" "$T/bob.log" | tail -n 1 | cut -d" " -f2; }
same_key() { [ "$(send_key)" = "$(bob_key)" ]; }
step "alice follows the rekey of bob's join (Observe) and stamps with the new key" \
	wait_for 10 same_key

echo
echo "2. Data plane: plain sockets, the kernel stamps (TC) and checks (XDP)"
step "alice -> bob: 3 datagrams delivered intact" \
	delivered alice $'hello 1\nhello 2\nhello 3' "hello 1" "hello 2" "hello 3"
counts() { # VERDICT=N...
	local kv
	for kv in "$@"; do [ "$(stat_bob "${kv%=*}")" = "${kv#*=}" ] || return 1; done
}
step "bob's XDP passed exactly those 3" counts passed=3

echo
echo "3. The attacker"
FORGE='
import os, socket, struct, sys
# A well-formed trailer: version 1, the current key id, a sender id, a sequence, a random tag.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.10.0.5"))
for i in range(5):
    t = struct.pack("!BBHIIQ", 1, 0, 0, int(sys.argv[3]), 77, 1000 + i) + os.urandom(8)
    s.sendto(b"forged %d" % i + t, (sys.argv[1], int(sys.argv[2])))
'
forge() {
	in_ns eve $PY -c "$FORGE" $G $P "$(send_key)" && sleep 1 && counts bad_tag=5 passed=3
}
step "eve forges 5 datagrams under the current key id: none delivered, 5 bad_tag" forge
REPLAY='
import sys
from scapy.all import IP, sniff, send, conf
conf.verb = 0
got = sniff(iface="eth0", filter="udp and dst host %s and dst port %s" % (sys.argv[1], sys.argv[2]),
            count=2, timeout=5, started_callback=lambda: open(sys.argv[3], "w").close())
# Re-sent at the IP layer from the attacker MAC: the bridge must not learn the victim MAC there.
for p in got:
    send(p[IP], iface="eth0")
print("replayed %d" % len(got))
'
replay() {
	local pid

	rm -f "$T/sniff"
	in_ns eve $PY -c "$REPLAY" "$G" "$P" "$T/sniff" >"$T/replay.out" 2>&1 &
	pid=$!
	wait_for 5 test -e "$T/sniff"
	sleep 0.3
	in_ns alice $PY "$MCAST" send "$G" "$P" --iface eth0 -- "original 1" "original 2"
	wait "$pid"
	sleep 0.5
	cat "$T/replay.out"
	grep -q "replayed 2" "$T/replay.out" && counts replay=2 passed=5
}
step "eve captures 2 of alice's datagrams and replays them: 2 replay drops" replay

echo
echo "4. A member leaves"
carol_join() {
	in_ns carol "$GK" token request --as coaps://10.10.0.1:5684 --client-id carol --psk "$PSK" \
		--scope demo:sender,receiver -o "$T/carol.tok" &&
		in_ns carol "$GK" group join --kdc coaps://10.10.0.1:5684 --token "$T/carol.tok" \
			--group demo --role sender,receiver -o "$T/carol.member"
}
carol_num() { $PY -c 'import cbor2, sys; print(cbor2.load(open(sys.argv[1], "rb"))["num"])' "$T/carol.member"; }
past_carol_join() { [ "$(send_key)" -gt "$(carol_num)" ]; }
# Her join rekeyed the group (backward security): she fetches the new key, as an observer would.
carol_maps() {
	local k sid num pin=/sys/fs/bpf/gkdemo-$ID-carol

	wait_for 10 past_carol_join || return 1
	read -r num k < <(in_ns carol "$GK" --json --show-secrets group keys \
		--kdc coaps://10.10.0.1:5684 --token "$T/carol.tok" --group demo |
		$PY -c 'import json, sys; d = json.load(sys.stdin); print(d["num"], d["key"])')
	sid=$($PY -c 'import cbor2, sys; print(cbor2.load(open(sys.argv[1], "rb"))["sender_id"])' \
		"$T/carol.member")
	[ "$num" = "$(send_key)" ] || return 1
	in_ns carol "$GK" dataplane load --ifname eth0 --pin-dir "$pin" &&
		in_ns carol "$GK" dataplane group-add --pin-dir "$pin" --addr $G --port $P --group 1 \
			--sender "$sid" --send &&
		in_ns carol "$GK" dataplane key-add --pin-dir "$pin" --group 1 --name demo \
			--key-id "$num" --group-key "$k" --exp $(($(date +%s) + 3600)) --grace 60 &&
		in_ns carol "$GK" dataplane send-key --pin-dir "$pin" --group 1 --key-id "$num" &&
		in_ns carol "$GK" dataplane seq-reserve --pin-dir "$pin" --group 1 --block 100000 \
			--state "$T/carol.seq"
}
step "carol joins with the CLI (token from the AS, Join with PoP)" carol_join
step "carol fetches the new key and loads it into her own data plane" carol_maps
step "carol -> bob: delivered while she is a member" delivered carol "carol 1" "carol 1"
before=$(send_key)
newer_key() { [ "$(send_key)" -gt "$before" ]; }
carol_leave() {
	in_ns carol "$GK" group leave --kdc coaps://10.10.0.1:5684 --token "$T/carol.tok" \
		--group demo --member "$T/carol.member" && wait_for 10 newer_key
}
step "carol leaves (DELETE her node): the KDC rekeys, alice and bob follow" carol_leave
sleep 4
carol_dropped() {
	local u

	u=$(stat_bob unknown_key)
	! delivered carol "carol 2" "carol 2" && [ "$(stat_bob unknown_key)" -gt "$u" ]
}
step "after the receive grace (3 s), carol's traffic under her old key is dropped" carol_dropped
step "alice -> bob still delivered under the new key" delivered alice "after 1" "after 1"

echo
echo "5. A legacy host behind the gateway (no daemon, no keys, plain sockets)"
step "leo -> bob: stamped by the gateway's LAN port, validated by bob, intact" \
	delivered leo "from leo" "from leo"
leo_rx() { TO=leo delivered alice "to leo" "to leo"; }
step "alice -> leo: validated and stripped by the gateway, intact" leo_rx
leo_forged() { TO=leo delivered eve "" "forged for leo"; }
step "eve -> leo: an unprotected datagram stops at the gateway" leo_forged

echo
echo "6. bob's counters (groupkey stats)"
in_ns bob "$GK" stats --pin-dir "/sys/fs/bpf/gkdemo-$ID-bob" | sed 's/^/   /'
echo
if [ "$fails" = 0 ]; then
	echo "demo: every step behaved as expected"
else
	rm -rf /tmp/groupkeyd-demo-logs && mkdir -p /tmp/groupkeyd-demo-logs &&
		cp "$T"/*.log /tmp/groupkeyd-demo-logs/
	echo "demo: $fails step(s) FAILED; daemon logs in /tmp/groupkeyd-demo-logs"
	exit 1
fi
