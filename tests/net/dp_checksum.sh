#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end check of the data plane's checksum handling with real packets: gk_tc stamps on the
# sender's veth with TX checksum offload on (CHECKSUM_PARTIAL) and off (complete checksums),
# gk_xdp verifies and strips on the receiver's veth, and the receiver's kernel must accept every
# UDP checksum of IPv4 (real and zero) and IPv6 datagrams of odd and even lengths.
#
# Topology: A (va) -- (ra) R (rc) -- (vc) C, R routing. Checksums are only verified where
# nobody has vouched for them, so the path is arranged to make the kernel verify them:
#  - R's rc has TX checksumming off: a CHECKSUM_PARTIAL packet from A is completed there by
#    skb_checksum_help(), over the layout TC left (trailer included);
#  - ra and vc have RX checksumming off: veth otherwise marks CHECKSUM_NONE packets
#    CHECKSUM_UNNECESSARY, and the receiving socket would never check them.
# A negative control (a datagram with a wrong checksum from a raw socket) proves C verifies.
#
# The programs are loaded with bpftool, whose libbpf pins the maps by name under /sys/fs/bpf:
# the script runs in a private mount namespace with its own bpffs there, so it never touches
# the host's pins (/sys/fs/bpf/groupkeyd included). A and C are two hosts, each with its own
# maps: TC is loaded into one bpffs, which stays reachable through a bind mount, XDP into a
# second one mounted over it (one set of maps would make C see A's sender id as its own, and
# drop A's datagrams as replays). The "groups" are C's unicast addresses: the programs match
# on (address, port) and checksums do not care about multicast.
# shellcheck disable=SC2317,SC2119 # helpers below run through tap_check and busywait
set -u
if [ -z "${GK_DP_PRIVATE_MOUNTS:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	GK_DP_PRIVATE_MOUNTS=1 exec unshare --mount --propagation private "$0" "$@"
fi
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/net/udp_py.sh
source "$(dirname "$0")/udp_py.sh"

PY=/usr/bin/python3
BPFFS=/sys/fs/bpf
BPF_C=$BPFFS # C's maps and XDP program (the bpffs mounted last)
A4=10.1.0.1 R4A=10.1.0.2 R4C=10.2.0.2 C4=10.2.0.1
A6=fd00:1::1 R6A=fd00:1::2 R6C=fd00:2::2 C6=fd00:2::1
PORT4=5683 PORT6=5684
G4=1 G6=2 KEY_ID=1 SENDER=7
LENS=0,1,2,7,8,9,100,1001,1400
V_PASS=0 V_STAMPED=1

# Map keys and values as bpftool hex arguments, from include/groupkey/dataplane.h's layouts.
HEX_PY='
import ipaddress, struct, sys

def hx(b):
    return " ".join("%02x" % c for c in b)

def addr16(a):
    ip = ipaddress.ip_address(a)
    return ip.packed if ip.version == 6 else bytes(10) + b"\xff\xff" + ip.packed

what = sys.argv[1]
if what == "group_key":      # addr port
    print(hx(addr16(sys.argv[2]) + struct.pack(">HH", int(sys.argv[3]), 0)))
elif what == "group":        # group_id flags send_key_id sender_id
    print(hx(struct.pack("<4I", *map(int, sys.argv[2:6]))))
elif what == "key_slot":     # group_id key_id: gk_dp_key_slot(), 4 slots a group
    print(hx(struct.pack("<I", int(sys.argv[2]) * 4 + int(sys.argv[3]) % 4)))
elif what == "key":          # k0 k1 key_id (not_after: never; flags GK_DP_KEY_LIVE)
    print(hx(struct.pack("<4Q2I", int(sys.argv[2], 16), int(sys.argv[3], 16), 2**64 - 1,
                         2**64 - 1, int(sys.argv[4]), 1)))
elif what == "ctl":          # groups_gen
    print(hx(struct.pack("<Q", int(sys.argv[2]))))
elif what == "u32":
    print(hx(struct.pack("<I", int(sys.argv[2]))))
elif what == "send":         # seq limit
    print(hx(struct.pack("<2Q", int(sys.argv[2]), int(sys.argv[3]))))
'

# A datagram with a deliberately wrong UDP checksum, through a raw socket: SRC DST PORT.
BADSUM_PY='
import socket, struct, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = b"bad-checksum-control"
udp = struct.pack(">HHHH", 40000, port, 8 + len(data), 0x1234) + data
ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (dst, 0))
'

# Sum of one gk_stats counter over CPUs: GROUP VERDICT FIELD(packets|bytes).
STAT_PY='
import json, subprocess, sys
g, v, nv = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
idx = g * nv + v
key = ["0x%02x" % ((idx >> s) & 0xff) for s in (0, 8, 16, 24)]
out = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", sys.argv[4] + "/gk_stats",
                      "key", "hex"] + [k[2:] for k in key], check=True, capture_output=True,
                     text=True).stdout
entry = json.loads(out)
total = 0
for cpu in entry["values"]:
    val = cpu["value"]
    if isinstance(val, dict):
        total += int(val["packets"])
    else:
        total += int.from_bytes(bytes(int(b, 16) for b in val[:8]), "little")
print(total)
'


hex() { "$PY" -c "$HEX_PY" "$@"; }

net_setup()
{
	setup_veth "$NS_A" va "$NS_R" ra || return 1
	setup_veth "$NS_R" rc "$NS_C" vc || return 1
	ip -n "$NS_A" addr add "$A4/24" dev va || return 1
	ip -n "$NS_A" addr add "$A6/64" dev va nodad || return 1
	ip -n "$NS_R" addr add "$R4A/24" dev ra || return 1
	ip -n "$NS_R" addr add "$R6A/64" dev ra nodad || return 1
	ip -n "$NS_R" addr add "$R4C/24" dev rc || return 1
	ip -n "$NS_R" addr add "$R6C/64" dev rc nodad || return 1
	ip -n "$NS_C" addr add "$C4/24" dev vc || return 1
	ip -n "$NS_C" addr add "$C6/64" dev vc nodad || return 1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
		return 1
	for l in "$NS_A va" "$NS_R ra" "$NS_R rc" "$NS_C vc"; do
		# shellcheck disable=SC2086 # "NS DEV"
		set -- $l
		ip -n "$1" link set dev "$2" up || return 1
	done
	ip -n "$NS_A" route add default via "$R4A" || return 1
	ip -n "$NS_A" -6 route add default via "$R6A" || return 1
	ip -n "$NS_C" route add default via "$R4C" || return 1
	ip -n "$NS_C" -6 route add default via "$R6C"
}

# Make the kernel verify checksums on the way (see the header comment).
offloads_setup()
{
	in_ns "$NS_R" ethtool -K ra rx off || return 1
	in_ns "$NS_R" ethtool -K rc tx off || return 1
	in_ns "$NS_C" ethtool -K vc rx off
}

load_programs()
{
	mount -t bpf bpf "$BPFFS" || return 1
	bpftool prog loadall "$TC_OBJ" "$BPFFS/tc" || return 1
	# A's bpffs stays reachable at $BPF_A; C's own goes on top at $BPFFS.
	mkdir -p "$BPF_A" && mount --bind "$BPFFS" "$BPF_A" || return 1
	defer umount "$BPF_A"
	mount -t bpf bpf "$BPFFS" || return 1
	bpftool prog loadall "$XDP_OBJ" "$BPFFS/xdp" || return 1
	ls "$BPF_A/gk_groups" "$BPF_A/gk_keys" "$BPF_A/gk_send" "$BPF_A/gk_stats" "$BPF_A/gk_ctl" \
		"$BPF_A/tc/gk_tc_egress" "$BPF_C/gk_groups" "$BPF_C/gk_keys" "$BPF_C/gk_stats" \
		"$BPF_C/xdp/gk_xdp_ingress"
}

map_put() # DIR MAP KEYHEX VALUEHEX
{
	# shellcheck disable=SC2086 # hex bytes are separate words
	bpftool map update pinned "$1/$2" key hex $3 value hex $4
}

# One host's maps in DIR: both groups with FLAGS as SENDER, key KEY_ID, sequence numbers.
fill_host() # DIR FLAGS SENDER
{
	local dir=$1 flags=$2 sender=$3

	map_put "$dir" gk_groups "$(hex group_key "$C4" "$PORT4")" "$(hex group "$G4" "$flags" "$KEY_ID" "$sender")" &&
		map_put "$dir" gk_groups "$(hex group_key "$C4" 0)" "$(hex group "$G4" "$flags" "$KEY_ID" "$sender")" &&
		map_put "$dir" gk_groups "$(hex group_key "$C6" "$PORT6")" "$(hex group "$G6" "$flags" "$KEY_ID" "$sender")" &&
		map_put "$dir" gk_groups "$(hex group_key "$C6" 0)" "$(hex group "$G6" "$flags" "$KEY_ID" "$sender")" &&
		map_put "$dir" gk_ctl "$(hex u32 0)" "$(hex ctl 1)" &&
		map_put "$dir" gk_keys "$(hex key_slot "$G4" "$KEY_ID")" "$(hex key 0123456789abcdef fedcba9876543210 "$KEY_ID")" &&
		map_put "$dir" gk_keys "$(hex key_slot "$G6" "$KEY_ID")" "$(hex key 1111111122222222 3333333344444444 "$KEY_ID")" &&
		map_put "$dir" gk_send "$(hex u32 "$G4")" "$(hex send 1 1000000)" &&
		map_put "$dir" gk_send "$(hex u32 "$G6")" "$(hex send 1 1000000)"
}

# A sends and strips (3: GK_DP_GROUP_STRIP | GK_DP_GROUP_SEND) as SENDER; C likewise as another member.
fill_maps()
{
	fill_host "$BPF_A" 3 "$SENDER" && fill_host "$BPF_C" 3 "$((SENDER + 1))"
}

attach()
{
	in_ns "$NS_A" tc qdisc add dev va clsact || return 1
	in_ns "$NS_A" tc filter add dev va egress bpf da object-pinned "$BPF_A/tc/gk_tc_egress" ||
		return 1
	in_ns "$NS_C" ip link set dev vc xdpdrv pinned "$BPF_C/xdp/gk_xdp_ingress"
}

udp_in_csum_errors() # prints "IPv4 IPv6" InCsumErrors of C
{
	local v4 v6

	# shellcheck disable=SC2016 # awk programs
	v4=$(in_ns "$NS_C" awk '/^Udp: [0-9]/ { for (i = 1; i <= NF; i++) v[i] = $i }
		/^Udp: [A-Za-z]/ { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") col = i }
		END { print v[col] }' /proc/net/snmp)
	# shellcheck disable=SC2016 # awk program
	v6=$(in_ns "$NS_C" awk '$1 == "Udp6InCsumErrors" { print $2 }' /proc/net/snmp6)
	echo "${v4:-?} ${v6:-?}"
}

tx_checksumming_is() # on|off
{
	in_ns "$NS_A" ethtool -k va | grep -qx "tx-checksumming: $1"
}

receiver_bound()
{
	grep -q bound "$GK_TMP/recv.out"
}

stat_of() # GROUP VERDICT DIR
{
	"$PY" -c "$STAT_PY" "$1" "$2" 12 "$3"
}

# One round: offload on or off at the sender, every payload length over IPv4, IPv4 without
# checksum and IPv6; the receiver must get all of them, and no checksum error may be counted.
round() # on|off
{
	local mode=$1 before after rc tag4="v4-$1" tag0="nocsum-$1" tag6="v6-$1"

	tap_check "tx-checksumming $mode on va" in_ns "$NS_A" ethtool -K va tx "$mode" || return
	tap_check "va reports tx-checksumming: $mode" tx_checksumming_is "$mode"
	before=$(udp_in_csum_errors)
	in_ns "$NS_C" timeout 30 "$PY" -c "$RECV_PY" "$PORT4" "$PORT6" 10 "$tag4:$LENS" \
		"$tag0:$LENS" "$tag6:$LENS" >"$GK_TMP/recv.out" 2>&1 &
	local recv=$!
	defer stop_pid "$recv"
	tap_check "receiver bound in C" slowwait 5000 receiver_bound
	tap_check "send IPv4 datagrams of lengths $LENS (tx $mode)" \
		in_ns "$NS_A" "$PY" -c "$SEND_PY" v4 - "$C4" "$PORT4" "$tag4" "$LENS"
	tap_check "send IPv4 datagrams with UDP checksum 0 (tx $mode)" \
		in_ns "$NS_A" "$PY" -c "$SEND_PY" v4nocsum - "$C4" "$PORT4" "$tag0" "$LENS"
	tap_check "send IPv6 datagrams of lengths $LENS (tx $mode)" \
		in_ns "$NS_A" "$PY" -c "$SEND_PY" v6 - "$C6" "$PORT6" "$tag6" "$LENS"
	wait "$recv"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		tap_ok "tx $mode: C received every datagram, payload intact, trailer stripped"
	else
		tap_fail "tx $mode: C received every datagram, payload intact, trailer stripped" \
			"$(cat "$GK_TMP/recv.out")"
	fi
	after=$(udp_in_csum_errors)
	if [ "$before" = "$after" ]; then
		tap_ok "tx $mode: no UDP checksum errors at C ($after)"
	else
		tap_fail "tx $mode: no UDP checksum errors at C" "before '$before', after '$after'"
	fi
}

tap_init
require_root
require_cmd ip tc ethtool bpftool nsenter unshare mount timeout awk "$PY"
[ -n "${GK_DP_PRIVATE_MOUNTS:-}" ] || tap_bail "private mount namespace" "unshare failed"

TC_OBJ=$(gk_bin bpf/gk_tc.bpf.o) || tap_bail "gk_tc.bpf.o is built" "GK_BUILD=$GK_BUILD"
XDP_OBJ=$(gk_bin bpf/gk_xdp.bpf.o) || tap_bail "gk_xdp.bpf.o is built" "GK_BUILD=$GK_BUILD"
BPF_A=$GK_TMP/bpf-a # A's maps and TC program
setup_ns NS_A NS_R NS_C || tap_bail "create namespaces"
tap_check "A -- R -- C, IPv4 and IPv6, R routing" net_setup || tap_done
tap_check "ra, vc rx-checksumming off; rc tx-checksumming off" offloads_setup || tap_done
tap_check "load gk_tc (A) and gk_xdp (C) with bpftool into private bpffs, maps of their own" \
	load_programs || tap_done
tap_check "fill A's and C's gk_groups, gk_keys, gk_send, gk_ctl with bpftool" fill_maps || tap_done
tap_check "attach gk_tc to va egress, gk_xdp to vc (native)" attach || tap_done

round on
round off

n_sent=$(($(tr -cd , <<<"$LENS" | wc -c) + 1))
want4=$((4 * n_sent)) want6=$((2 * n_sent))
tap_check "STAMPED at A: $want4 IPv4 and $want6 IPv6 datagrams" \
	test "$(stat_of $G4 $V_STAMPED "$BPF_A") $(stat_of $G6 $V_STAMPED "$BPF_A")" = "$want4 $want6"
tap_check "PASS: the same counts at C's XDP" \
	test "$(stat_of $G4 $V_PASS "$BPF_C") $(stat_of $G6 $V_PASS "$BPF_C")" = "$want4 $want6"

# Negative control: the path above does make C verify checksums.
before=$(udp_in_csum_errors)
in_ns "$NS_C" timeout 10 "$PY" -c "$RECV_PY" "$PORT4" "$PORT6" 2 "control:20" \
	>"$GK_TMP/recv.out" 2>&1 &
recv=$!
defer stop_pid "$recv"
tap_check "receiver bound in C" slowwait 5000 receiver_bound
tap_check "send a datagram with a wrong UDP checksum from a raw socket" \
	in_ns "$NS_A" "$PY" -c "$BADSUM_PY" "$A4" "$C4" "$PORT4"
wait "$recv"
tap_check "control: stamped by TC and passed by XDP" \
	test "$(stat_of $G4 $V_STAMPED "$BPF_A") $(stat_of $G4 $V_PASS "$BPF_C")" = "$((want4 + 1)) $((want4 + 1))"
after=$(udp_in_csum_errors)
tap_check "control: C dropped it as a checksum error ($before -> $after)" \
	test "${after% *}" = "$((${before% *} + 1))"

tap_done
