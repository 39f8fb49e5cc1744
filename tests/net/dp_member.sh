#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The data plane between two members and an attacker on a bridge: applications send and
# receive plain UDP multicast (IPv4 and IPv6) and never see the trailer; forged, unknown-key,
# replayed (to the other member and to the sender itself), truncated and expired-key datagrams
# are dropped, each under its own verdict;
# other traffic passes untouched; enforcement survives kill -9 of the loader and a restart
# picks up the pinned state.
#
#   NS_M1 (e1, member 101) --+
#   NS_M2 (e2, member 102) --+-- br0 in NS_BR (no multicast snooping: floods)
#   NS_AT (e3, attacker)   --+
#
# Each member runs its own data plane (XDP on eX ingress, TC on eX egress), loaded with
# `groupkey dataplane`, pinned under /sys/fs/bpf/gk-<pid>-mN. groupkey runs through
# `nsenter --net`, not `ip netns exec`: the latter mounts a fresh /sys, and with it an
# empty /sys/fs/bpf, in a private mount namespace, so pins made there would vanish.
# shellcheck disable=SC2317,SC2119 # helpers below run through tap_check and busywait
set -u
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
G4=239.9.0.1
G6=ff05::9:1
P4=5000
P6=5001
GRP4=1
GRP6=2
OTHER4=239.9.0.2
GKEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
GKEY2=f0e0d0c0b0a090807060504030201000f0e0d0c0b0a090807060504030201000
MARK=gk-marker

# Receives datagrams until one equals MARKER (or TIMEOUT), writes each payload as hex.
RECV_PY='
import socket, struct, sys
fam, group, port, ifname, out, marker, timeout = sys.argv[1:8]
port, idx = int(port), socket.if_nametoindex(ifname)
if fam == "4":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((group, port))
    mreq = struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"), idx)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((group, port, 0, idx))
    mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", idx)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
s.settimeout(float(timeout))
print("ready", flush=True)
with open(out, "w") as f:
    try:
        while True:
            d = s.recv(65536)
            f.write(d.hex() + "\n")
            f.flush()
            if d == marker.encode():
                break
    except socket.timeout:
        pass
'

# Sends each payload spec: "LEN:TAG" (TAG repeated to LEN bytes) or a literal string.
SEND_PY='
import socket, struct, sys
fam, group, port, ifname = sys.argv[1:5]
port, idx = int(port), socket.if_nametoindex(ifname)
if fam == "4":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    any4 = socket.inet_aton("0.0.0.0")
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("4s4si", any4, any4, idx))
    dst = (group, port)
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
    dst = (group, port, 0, idx)
for spec in sys.argv[5:]:
    n, _, tag = spec.partition(":")
    data = (tag * int(n))[: int(n)].encode() if n.isdigit() and tag else spec.encode()
    s.sendto(data, dst)
'

# The expected hex lines for payload specs, as RECV_PY writes them.
EXPECT_PY='
import sys
for spec in sys.argv[1:]:
    n, _, tag = spec.partition(":")
    data = (tag * int(n))[: int(n)].encode() if n.isdigit() and tag else spec.encode()
    print(data.hex())
'

# Captures the first frame to a UDP port whose payload is long enough to hold a trailer.
CAPTURE_PY='
import socket, struct, sys
ifname, port, out, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((ifname, 0))
s.settimeout(timeout)
print("ready", flush=True)
while True:
    f, addr = s.recvfrom(65536)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    et = struct.unpack("!H", f[12:14])[0]
    if et == 0x0800 and f[23] == 17:
        l4 = 14 + (f[14] & 15) * 4
    elif et == 0x86DD and f[20] == 17:
        l4 = 54
    else:
        continue
    dport, ulen = struct.unpack("!HH", f[l4 + 2:l4 + 6])
    if dport == port and ulen >= 8 + 28:
        open(out, "w").write(f.hex())
        break
'

# Attacker: crafted datagrams (scapy), or a captured frame sent again byte for byte.
ATTACK_PY='
import os, struct, sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, sendp, conf, get_if_hwaddr
conf.verb = 0
ifname, fam, group, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# Explicit source MAC: the bridge drops frames from 00:00:00:00:00:00.
src = get_if_hwaddr(ifname)
def trailer(key_id, sender, seq, tag, version=1):
    return struct.pack("!BBHIIQ", version, 0, 0, key_id, sender, seq) + tag
def frame(payload):
    if fam == "4":
        o = [int(x) for x in group.split(".")]
        mac = "01:00:5e:%02x:%02x:%02x" % (o[1] & 0x7f, o[2], o[3])
        ip = IP(src="10.9.0.3", dst=group, ttl=1)
        return Ether(src=src, dst=mac) / ip / UDP(sport=40000, dport=port) / Raw(payload)
    import ipaddress
    b = ipaddress.IPv6Address(group).packed
    mac = "33:33:%02x:%02x:%02x:%02x" % tuple(b[12:])
    ip = IPv6(src="fd00:9::3", dst=group, hlim=1)
    return Ether(src=src, dst=mac) / ip / UDP(sport=40000, dport=port) / Raw(payload)
for op in sys.argv[5:]:
    kind, _, arg = op.partition("=")
    body = b"attacker payload"
    if kind == "forged":
        sendp(frame(body + trailer(int(arg), 0x66, 1, os.urandom(8))), iface=ifname)
    elif kind == "badversion":
        sendp(frame(body + trailer(int(arg), 0x66, 1, os.urandom(8), version=2)), iface=ifname)
    elif kind == "truncated":
        sendp(frame(b"x" * int(arg)), iface=ifname)
    elif kind == "replay":
        # Our own source MAC, so the bridge does not move member 1 to our port.
        f = bytes.fromhex(open(arg).read().strip())
        mac = bytes.fromhex(src.replace(":", ""))
        sendp(Raw(f[:6] + mac + f[12:]), iface=ifname)
    elif kind == "plain":
        sendp(frame(arg.encode()), iface=ifname)
    else:
        sys.exit("unknown op " + op)
'

gk()
{
	"$GK" "$@"
}

# groupkey in a namespace's network stack, with the host's mounts (and so its bpffs).
gk_ns() # NS ARGS...
{
	local ns=$1

	shift
	nsenter --net="/run/netns/$ns" "$GK" "$@"
}

# Packets counted under VERDICT for GROUP in the data plane pinned at PIN.
stat_of() # PIN GROUP VERDICT
{
	gk stats -j --pin-dir "$1" --group "$2" | "$PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["counters"][sys.argv[1]]["packets"])' "$3"
}

# Every "VERDICT=N" pair holds exactly (other verdicts are not looked at).
stats_are() # PIN GROUP VERDICT=N...
{
	local pin=$1 grp=$2 pair got

	shift 2
	for pair in "$@"; do
		got=$(stat_of "$pin" "$grp" "${pair%%=*}") || return 1
		[ "$got" = "${pair#*=}" ] || {
			echo "group $grp ${pair%%=*}: $got packets, want ${pair#*=}; all counters:"
			gk stats --pin-dir "$pin" --group "$grp"
			return 1
		}
	done
}

# Wait briefly for counters to settle on the wanted values, then report them.
expect_stats() # NAME PIN GROUP VERDICT=N...
{
	local name=$1

	shift
	busywait 3000 stats_are "$@" >/dev/null 2>&1
	tap_check "$name" stats_are "$@"
}

net_setup()
{
	local ns i

	ip -n "$NS_BR" link add br0 type bridge mcast_snooping 0 || return 1
	ip -n "$NS_BR" link set br0 up || return 1
	i=1
	for ns in "$NS_M1" "$NS_M2" "$NS_AT"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
		setup_veth "$ns" "e$i" "$NS_BR" "p$i" || return 1
		ip -n "$NS_BR" link set "p$i" master br0 up || return 1
		ip -n "$ns" addr add "10.9.0.$i/24" dev "e$i" || return 1
		ip -n "$ns" addr add "fd00:9::$i/64" dev "e$i" nodad || return 1
		ip -n "$ns" link set "e$i" up || return 1
		i=$((i + 1))
	done
}

# A member's data plane: programs on eN, both groups sending and stripping, key 1.
member_setup() # NS IF PIN SENDER STATEFILE
{
	local ns=$1 ifc=$2 pin=$3 sender=$4 state=$5 exp

	exp=$(($(date +%s) + 3600))
	gk_ns "$ns" dataplane load --ifname "$ifc" --pin-dir "$pin" || return 1
	gk dataplane group-add --pin-dir "$pin" --addr "$G4" --port "$P4" --group "$GRP4" \
		--sender "$sender" --send --strip || return 1
	gk dataplane group-add --pin-dir "$pin" --addr "$G6" --port "$P6" --group "$GRP6" \
		--sender "$sender" --send --strip || return 1
	for grp in "$GRP4" "$GRP6"; do
		gk dataplane key-add --pin-dir "$pin" --group "$grp" --name "g$grp" --key-id 1 \
			--group-key "$GKEY" --exp "$exp" --grace 5 || return 1
		gk dataplane send-key --pin-dir "$pin" --group "$grp" --key-id 1 || return 1
		gk dataplane seq-reserve --pin-dir "$pin" --group "$grp" --block 100000 \
			--state "$state.$grp" >/dev/null || return 1
	done
}

# Start a receiver in NS; RECV_PID, and its output in $GK_TMP/recv.N.
start_recv() # NS FAM GROUP PORT IF TIMEOUT
{
	RECV_OUT=$GK_TMP/recv.$((++RECV_N))
	ip netns exec "$1" timeout 30 "$PY" -c "$RECV_PY" "$2" "$3" "$4" "$5" "$RECV_OUT" \
		"$MARK" "$6" >"$RECV_OUT.log" 2>&1 &
	RECV_PID=$!
	defer stop_pid "$RECV_PID"
	slowwait 5000 grep -q ready "$RECV_OUT.log"
}

send() # NS FAM GROUP PORT IF SPEC...
{
	local ns=$1

	shift
	ip netns exec "$ns" "$PY" -c "$SEND_PY" "$@"
}

# Wait for the receiver; its payloads must be exactly SPEC... then the marker.
recv_got() # SPEC...
{
	local want

	wait "$RECV_PID"
	want=$("$PY" -c "$EXPECT_PY" "$@" "$MARK")
	if [ "$(cat "$RECV_OUT")" != "$want" ]; then
		echo "received:"
		cat "$RECV_OUT"
		echo "expected:"
		echo "$want"
		return 1
	fi
}

attack() # FAM GROUP PORT OP...
{
	ip netns exec "$NS_AT" "$PY" -c "$ATTACK_PY" e3 "$@"
}

# One exchange: M1 sends SPECs then the marker, M2's application receives exactly them.
exchange() # FAM GROUP PORT SPEC...
{
	local fam=$1 grp=$2 port=$3

	shift 3
	start_recv "$NS_M2" "$fam" "$grp" "$port" e2 10 || return 1
	send "$NS_M1" "$fam" "$grp" "$port" e1 "$@" "$MARK" || return 1
	recv_got "$@"
}

xdp_id() # NS IF
{
	ip -j -n "$1" link show dev "$2" | "$PY" -c '
import json, sys
x = json.load(sys.stdin)[0].get("xdp")
print(x["prog"]["id"] if x else 0)'
}

map_id() # PIN MAP
{
	bpftool -j map show pinned "$1/$2" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

# Start a loader that stays in the foreground (like the daemon would): LOADER_PID.
start_loader() # NS IF PIN
{
	local log=$GK_TMP/loader.$((++RECV_N))

	nsenter --net="/run/netns/$1" "$GK" dataplane load --ifname "$2" --pin-dir "$3" --wait \
		>"$log" 2>&1 &
	LOADER_PID=$!
	defer stop_pid "$LOADER_PID"
	slowwait 10000 grep -q '^loaded ' "$log" || { cat "$log"; return 1; }
}

capture_start() # PORT OUT
{
	ip netns exec "$NS_AT" timeout 20 "$PY" -c "$CAPTURE_PY" e3 "$1" "$2" 15 \
		>"$2.log" 2>&1 &
	CAP_PID=$!
	defer stop_pid "$CAP_PID"
	slowwait 5000 grep -q ready "$2.log"
}

captured() # OUT
{
	wait "$CAP_PID" && [ -s "$1" ]
}

tap_init
require_root
require_cmd ip tc ethtool nsenter bpftool sysctl timeout "$PY"
"$PY" -c 'import scapy.all' 2>/dev/null || tap_bail "python3-scapy" "cannot import scapy"

GK=$(gk_bin groupkey) || tap_bail "groupkey is built" "GK_BUILD=$GK_BUILD"
PIN1=/sys/fs/bpf/gk-$$-m1
PIN2=/sys/fs/bpf/gk-$$-m2
RECV_N=0
setup_ns NS_BR NS_M1 NS_M2 NS_AT || tap_bail "create namespaces"
defer rm -rf -- "$PIN1" "$PIN2"
tap_check "bridge with two members and an attacker" net_setup || tap_done
tap_check "member 1 data plane (XDP + TC on e1, key 1)" \
	member_setup "$NS_M1" e1 "$PIN1" 101 "$GK_TMP/m1.seq" || tap_done
tap_check "member 2 data plane (XDP + TC on e2, key 1)" \
	member_setup "$NS_M2" e2 "$PIN2" 102 "$GK_TMP/m2.seq" || tap_done

# Odd and even lengths: the trailer's checksum contribution is byte-swapped at odd offsets.
SPECS=(1:a 7:bcdefgh 8:ijklmnop 100:q 1001:r 1400:s)
N=${#SPECS[@]}
for csum in on off; do
	tap_check "tx checksum offload $csum on e1" ip netns exec "$NS_M1" ethtool -K e1 tx "$csum"
	tap_check "IPv4 multicast, tx csum $csum: payloads arrive exactly, no trailer" \
		exchange 4 "$G4" "$P4" "${SPECS[@]}"
	tap_check "IPv6 multicast, tx csum $csum: payloads arrive exactly, no trailer" \
		exchange 6 "$G6" "$P6" "${SPECS[@]}"
done
expect_stats "member 1 stamped every group datagram (IPv4)" "$PIN1" "$GRP4" \
	stamped=$((2 * (N + 1))) no_send_key=0 seq_exhausted=0 malformed=0
expect_stats "member 1 stamped every group datagram (IPv6)" "$PIN1" "$GRP6" \
	stamped=$((2 * (N + 1)))
expect_stats "member 2 passed every one (IPv4)" "$PIN2" "$GRP4" passed=$((2 * (N + 1))) \
	bad_tag=0 malformed=0 replay=0 unknown_key=0 expired=0
expect_stats "member 2 passed every one (IPv6)" "$PIN2" "$GRP6" passed=$((2 * (N + 1))) \
	bad_tag=0 malformed=0 replay=0
tap_check "tx checksum offload back on" ip netns exec "$NS_M1" ethtool -K e1 tx on

# The other direction works the same.
reverse()
{
	start_recv "$NS_M1" 4 "$G4" "$P4" e1 10 || return 1
	send "$NS_M2" 4 "$G4" "$P4" e2 "50:from-m2" "$MARK" || return 1
	recv_got "50:from-m2"
}
tap_check "member 2 to member 1 (IPv4)" reverse
P2=$((2 * (N + 1)))

# Traffic that is not a protected (address, port) is neither stamped nor checked.
other()
{
	start_recv "$NS_M2" 4 "$OTHER4" "$P4" e2 10 || return 1
	send "$NS_M1" 4 "$OTHER4" "$P4" e1 "20:unprotected" "$MARK" || return 1
	recv_got "20:unprotected" || return 1
	start_recv "$NS_M2" 4 "$G4" $((P4 + 1)) e2 10 || return 1
	send "$NS_M1" 4 "$G4" $((P4 + 1)) e1 "20:otherport" "$MARK" || return 1
	recv_got "20:otherport"
}
tap_check "non-group traffic passes untouched (other address, other port)" other
expect_stats "... and is not counted" "$PIN2" "$GRP4" passed="$P2" malformed=0
expect_stats "... nor stamped" "$PIN1" "$GRP4" stamped="$P2"

# The attacker: a legitimate datagram captured off the bridge, then forgeries and replays.
capture_then_attack() # FAM GROUP PORT GRP
{
	local fam=$1 grp=$2 port=$3 cap=$GK_TMP/cap.$1

	capture_start "$port" "$cap" || return 1
	exchange "$fam" "$grp" "$port" "30:legit" || return 1
	captured "$cap" || { echo "nothing captured"; return 1; }
	start_recv "$NS_M2" "$fam" "$grp" "$port" e2 10 || return 1
	attack "$fam" "$grp" "$port" forged=1 forged=1 forged=999 truncated=5 truncated=27 \
		badversion=1 "replay=$cap" "replay=$cap" || return 1
	# The marker last, from member 1: the application must see it alone.
	send "$NS_M1" "$fam" "$grp" "$port" e1 "$MARK" || return 1
	recv_got
}
tap_check "IPv4 attack: nothing forged, replayed or truncated reaches the application" \
	capture_then_attack 4 "$G4" "$P4"
P2=$((P2 + 3)) # the legitimate datagram and two markers
expect_stats "IPv4 attack counted: bad_tag 2, unknown_key 1, malformed 3, replay 2" \
	"$PIN2" "$GRP4" bad_tag=2 unknown_key=1 malformed=3 replay=2 passed="$P2" expired=0
# The bridge floods the replays to member 1 too: its own datagrams, which it never accepts.
expect_stats "member 1 dropped its own replayed datagrams as replays (IPv4)" \
	"$PIN1" "$GRP4" replay=2 bad_tag=2 unknown_key=1 malformed=3
tap_check "IPv6 attack: nothing forged, replayed or truncated reaches the application" \
	capture_then_attack 6 "$G6" "$P6"
expect_stats "IPv6 attack counted: bad_tag 2, unknown_key 1, malformed 3, replay 2" \
	"$PIN2" "$GRP6" bad_tag=2 unknown_key=1 malformed=3 replay=2 \
	passed=$((2 * (N + 1) + 3))
expect_stats "member 1 dropped its own replayed datagrams as replays (IPv6)" \
	"$PIN1" "$GRP6" replay=2 bad_tag=2 unknown_key=1 malformed=3

# Unprotected traffic from the attacker is not the data plane's business.
plain_attack()
{
	start_recv "$NS_M2" 4 "$OTHER4" "$P4" e2 10 || return 1
	attack 4 "$OTHER4" "$P4" "plain=$MARK"
	recv_got
}
tap_check "attacker's datagram to an unprotected group is delivered" plain_attack

# Kill -9 of the loader: programs stay attached, maps pinned, enforcement goes on.
tap_check "member 2 loader running in the foreground" start_loader "$NS_M2" e2 "$PIN2"
ids_before="$(map_id "$PIN2" gk_keys) $(map_id "$PIN2" gk_stats)"
xdp_before=$(xdp_id "$NS_M2" e2)
{
	kill -9 "$LOADER_PID"
	wait "$LOADER_PID"
} 2>/dev/null
tap_check "loader killed with SIGKILL, XDP program still attached" \
	test "$(xdp_id "$NS_M2" e2)" = "$xdp_before" -a "$xdp_before" != 0
tap_check "valid traffic still passes after the kill" exchange 4 "$G4" "$P4" "64:after-kill"
forged_after_kill()
{
	start_recv "$NS_M2" 4 "$G4" "$P4" e2 10 || return 1
	attack 4 "$G4" "$P4" forged=1 || return 1
	send "$NS_M1" 4 "$G4" "$P4" e1 "$MARK" || return 1
	recv_got
}
tap_check "forged traffic still dropped after the kill" forged_after_kill
P2=$((P2 + 3))
expect_stats "... and counted by the orphaned programs" "$PIN2" "$GRP4" bad_tag=3 passed="$P2"

# Restart: same maps (ids, keys, counters), programs swapped in place.
tap_check "loader restarted" start_loader "$NS_M2" e2 "$PIN2"
tap_check "restart reused the pinned maps" \
	test "$(map_id "$PIN2" gk_keys) $(map_id "$PIN2" gk_stats)" = "$ids_before"
xdp_after=$(xdp_id "$NS_M2" e2)
tap_check "restart replaced the XDP program in place" \
	test "$xdp_after" != 0 -a "$xdp_after" != "$xdp_before"
tap_check "traffic passes after the restart" exchange 4 "$G4" "$P4" "64:after-restart"
P2=$((P2 + 2))
expect_stats "counters continue across the restart" "$PIN2" "$GRP4" passed="$P2" bad_tag=3

# Member 1 restarts from its persisted sequence mark: numbers move on, member 2 accepts them.
seq_restart()
{
	local mark

	mark=$(cat "$GK_TMP/m1.seq.$GRP4") || return 1
	gk dataplane seq-start --pin-dir "$PIN1" --group "$GRP4" --state "$GK_TMP/m1.seq.$GRP4" |
		grep -qx "seq $mark limit $mark" || return 1
	gk dataplane seq-reserve --pin-dir "$PIN1" --group "$GRP4" --block 1000 \
		--state "$GK_TMP/m1.seq.$GRP4" | grep -qx "seq $mark limit $((mark + 1000))" ||
		return 1
	exchange 4 "$G4" "$P4" "10:after-seq-start"
}
tap_check "member 1 restarts at its persisted sequence mark, member 2 accepts" seq_restart
P2=$((P2 + 2))

# A key expires on its own, with the loader dead: fail closed on both sides.
expiry()
{
	local exp cap=$GK_TMP/cap.exp

	exp=$(($(date +%s) + 3))
	for pin in "$PIN1" "$PIN2"; do
		gk dataplane key-add --pin-dir "$pin" --group "$GRP4" --name "g$GRP4" \
			--key-id 7 --group-key "$GKEY" --exp "$exp" --grace 1 || return 1
	done
	gk dataplane send-key --pin-dir "$PIN1" --group "$GRP4" --key-id 7 || return 1
	capture_start "$P4" "$cap" || return 1
	exchange 4 "$G4" "$P4" "20:short-lived" || return 1
	captured "$cap" || return 1
	# Past exp + grace on member 2's clock (CLOCK_TAI: the same second boundary).
	while [ "$(date +%s)" -le $((exp + 1)) ]; do sleep 0.2; done
	sleep 0.3
	start_recv "$NS_M2" 4 "$G4" "$P4" e2 3 || return 1
	send "$NS_M1" 4 "$G4" "$P4" e1 "20:too-late" || return 1
	attack 4 "$G4" "$P4" "replay=$cap" forged=7 || return 1
	wait "$RECV_PID"
	[ ! -s "$RECV_OUT" ] || { echo "delivered:"; cat "$RECV_OUT"; return 1; }
}
tap_check "short-lived key: traffic passes, then nothing once it expired" expiry
expect_stats "member 1 stopped stamping (no_send_key)" "$PIN1" "$GRP4" no_send_key=1
expect_stats "member 2 dropped the late datagrams as expired" "$PIN2" "$GRP4" expired=2 \
	passed=$((P2 + 2)) bad_tag=3

# Rekey without member 1 (it left): member 2 moves to key 2 and drops member 1's traffic.
rekey_without_m1()
{
	gk dataplane key-add --pin-dir "$PIN2" --group "$GRP4" --name "g$GRP4" --key-id 2 \
		--group-key "$GKEY2" --exp $(($(date +%s) + 3600)) || return 1
	gk dataplane send-key --pin-dir "$PIN2" --group "$GRP4" --key-id 2 || return 1
	gk dataplane key-del --pin-dir "$PIN2" --group "$GRP4" --key-id 1 || return 1
	gk dataplane key-del --pin-dir "$PIN2" --group "$GRP4" --key-id 7 || return 1
	gk dataplane send-key --pin-dir "$PIN1" --group "$GRP4" --key-id 1 || return 1
	start_recv "$NS_M2" 4 "$G4" "$P4" e2 3 || return 1
	send "$NS_M1" 4 "$G4" "$P4" e1 "20:left-member" || return 1
	wait "$RECV_PID"
	[ ! -s "$RECV_OUT" ]
}
tap_check "after member 1 left and the group was rekeyed, its packets are dropped" \
	rekey_without_m1
expect_stats "... as unknown_key" "$PIN2" "$GRP4" unknown_key=2

unload()
{
	gk_ns "$NS_M1" dataplane unload --ifname e1 --pin-dir "$PIN1" || return 1
	gk_ns "$NS_M2" dataplane unload --ifname e2 --pin-dir "$PIN2" || return 1
	[ "$(xdp_id "$NS_M2" e2)" = 0 ] && [ ! -e "$PIN1" ] && [ ! -e "$PIN2" ]
}
tap_check "unload detaches and removes the pins" unload
no_dataplane()
{
	local err rc

	err=$(gk stats --pin-dir "$PIN2" 2>&1 >/dev/null)
	rc=$?
	echo "exit $rc: $err"
	[ "$rc" -eq 1 ] && [ "$err" = "Error: no data plane pinned at $PIN2" ]
}
tap_check "stats without a data plane: exit 1 and the reason" no_dataplane
tap_done
