#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end XDP check of bpf/probe.bpf.o: attached with iproute2 to a veth between two
# namespaces, it must pass every UDP datagram and count each one exactly once.
#
# ip link ... xdp obj cannot set .rodata, so probe_port stays 0 and the
# port class (slot 2, see include/groupkey/probe.h) must stay empty; the unit
# test tests/unit/test_bpf_probe.c covers that class. IPv6 is off and the
# neighbours are static, so the only frames reaching vb are the datagrams sent
# here and the counts can be compared exactly.
# shellcheck disable=SC2317,SC2119 # helpers below run through tap_check and busywait
set -u
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
ADDR_A=192.0.2.1
ADDR_B=192.0.2.2
PORT=5683
CLOSED_PORT=5684
N_OPEN=25
N_CLOSED=7
PAYLOAD=gk-probe

# Prints "ALL IPV4_UDP UDP_PORT" (sums over CPUs) or, with "port", the probe_port in .rodata.
PROBE_READ_PY='
import json, subprocess, sys

def bpftool(*args):
    out = subprocess.run(["bpftool", "-j", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)

def number(hexbytes):
    return int.from_bytes(bytes(int(b, 16) for b in hexbytes), sys.byteorder)

what, prog = sys.argv[1], sys.argv[2]
ids = bpftool("prog", "show", "id", prog)["map_ids"]
maps = [bpftool("map", "show", "id", str(i)) for i in ids]
if what == "port":
    (m,) = [m for m in maps if m["name"].endswith(".rodata")]
    print(number(bpftool("map", "dump", "id", str(m["id"]))[0]["value"]))
    sys.exit(0)
(m,) = [m for m in maps if m["name"] == "probe_counters"]
sums = {number(e["key"]): sum(number(v["value"]) for v in e["values"])
        for e in bpftool("map", "dump", "id", str(m["id"]))}
print(" ".join(str(sums[k]) for k in range(3)))
'

# Receives WANT datagrams (10 s timeout), checks each payload, prints how many arrived.
LISTENER_PY='
import socket, sys

addr, port, want, payload = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(10)
got = 0
try:
    while got < want:
        data = s.recv(2048)
        if data != payload.encode():
            sys.exit("unexpected payload %r" % data)
        got += 1
except socket.timeout:
    pass
print(got)
'

net_setup()
{
	local ns mac_a mac_b

	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	setup_veth "$NS_A" va "$NS_B" vb || return 1
	ip -n "$NS_A" addr add "$ADDR_A/24" dev va || return 1
	ip -n "$NS_B" addr add "$ADDR_B/24" dev vb || return 1
	mac_a=$(ip netns exec "$NS_A" cat /sys/class/net/va/address) || return 1
	mac_b=$(ip netns exec "$NS_B" cat /sys/class/net/vb/address) || return 1
	ip -n "$NS_A" neigh add "$ADDR_B" lladdr "$mac_b" dev va nud permanent || return 1
	ip -n "$NS_B" neigh add "$ADDR_A" lladdr "$mac_a" dev vb nud permanent || return 1
	ip -n "$NS_A" link set dev va up || return 1
	ip -n "$NS_B" link set dev vb up
}

# Id of the XDP program on vb and its attach mode (1 = native/driver), as "ID MODE".
xdp_on_vb()
{
	ip -j -n "$NS_B" link show dev vb | "$PY" -c '
import json, sys
xdp = json.load(sys.stdin)[0].get("xdp")
print(xdp["prog"]["id"], xdp["mode"]) if xdp else sys.exit("no xdp program on vb")'
}

xdp_attached_natively()
{
	local id mode name

	read -r id mode < <(xdp_on_vb) || return 1
	name=$(bpftool -j prog show id "$id" |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["name"])')
	echo "prog $id name $name mode $mode"
	[ "$name" = probe_xdp ] && [ "$mode" = 1 ] && PROG_ID=$id
}

probe_counts()
{
	"$PY" -c "$PROBE_READ_PY" counts "$PROG_ID"
}

counts_are() # "ALL UDP PORT"
{
	[ "$(probe_counts)" = "$1" ]
}

expect_counts() # NAME "ALL UDP PORT"
{
	local got

	busywait 2000 counts_are "$2"
	got=$(probe_counts)
	if [ "$got" = "$2" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "counters (all ipv4_udp udp_port): got '$got', expected '$2'"
	fi
}

send_udp() # NS ADDR PORT COUNT
{
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$1" bash -c '
		for ((i = 0; i < $3; i++)); do
			printf "%s" "$4" >"/dev/udp/$1/$2" || exit 1
		done' _ "$2" "$3" "$4" "$PAYLOAD"
}

udp_bound() # NS PORT
{
	[ -n "$(ip netns exec "$1" ss -Hnlu "sport = :$2")" ]
}

prog_gone() # ID
{
	! bpftool prog show id "$1" >/dev/null 2>&1
}

no_xdp_on_vb()
{
	! xdp_on_vb >/dev/null 2>&1
}

namespaces_gone() # NS...
{
	local ns

	for ns in "$@"; do
		[ ! -e "/run/netns/$ns" ] || return 1
	done
}

tap_init
require_root
require_cmd ip ss bpftool sysctl timeout "$PY"

obj=$(gk_bin bpf/probe.bpf.o) || tap_bail "probe.bpf.o is built" "GK_BUILD=$GK_BUILD"
setup_ns NS_A NS_B || tap_bail "create namespaces"
tap_check "veth $ADDR_A <-> $ADDR_B, no IPv6, static neighbours" net_setup ||
	tap_done
defer ip -n "$NS_B" link set dev vb xdp off
tap_check "ip link set dev vb xdp obj probe.bpf.o sec xdp" \
	ip -n "$NS_B" link set dev vb xdp obj "$obj" sec xdp || tap_done
PROG_ID=
tap_check "probe_xdp attached to vb in native mode" xdp_attached_natively || tap_done
tap_check "probe_port in .rodata is 0 when loaded by ip" \
	test "$("$PY" -c "$PROBE_READ_PY" port "$PROG_ID")" = 0
tap_check "counters start at zero" counts_are "0 0 0"

ip netns exec "$NS_B" timeout 30 "$PY" -c "$LISTENER_PY" "$ADDR_B" "$PORT" "$N_OPEN" \
	"$PAYLOAD" >"$GK_TMP/listener.out" 2>&1 &
listener=$!
defer stop_pid "$listener"
tap_check "listener bound to $ADDR_B:$PORT" slowwait 5000 udp_bound "$NS_B" "$PORT"
tap_check "send $N_OPEN datagrams to port $PORT" send_udp "$NS_A" "$ADDR_B" "$PORT" "$N_OPEN"
wait "$listener"
rc=$?
got=$(cat "$GK_TMP/listener.out")
if [ "$rc" -eq 0 ] && [ "$got" = "$N_OPEN" ]; then
	tap_ok "XDP_PASS: listener received all $N_OPEN datagrams"
else
	tap_fail "XDP_PASS: listener received all $N_OPEN datagrams" \
		"listener exit status $rc, output: $got"
fi
expect_counts "counted $N_OPEN frames as IPv4 UDP" "$N_OPEN $N_OPEN 0"

tap_check "send $N_CLOSED datagrams to closed port $CLOSED_PORT" \
	send_udp "$NS_A" "$ADDR_B" "$CLOSED_PORT" "$N_CLOSED"
total=$((N_OPEN + N_CLOSED))
expect_counts "counted $total frames as IPv4 UDP, none in the port class" "$total $total 0"

tap_check "ip link set dev vb xdp off" ip -n "$NS_B" link set dev vb xdp off
tap_check "no XDP program on vb after detach" no_xdp_on_vb
tap_check "program $PROG_ID freed after detach" busywait 5000 prog_gone "$PROG_ID"
ns_list=("$NS_A" "$NS_B")
tap_check "cleanup deletes both namespaces" cleanup
tap_check "namespaces gone after cleanup" namespaces_gone "${ns_list[@]}"
tap_done
