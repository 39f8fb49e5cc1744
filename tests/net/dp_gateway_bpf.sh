#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A gateway's data plane with real packets: what a legacy host sends to a protected group is
# stamped at the gateway's LAN ingress (gk_tc_lan_ingress), bridged out of its WAN port, and
# reaches a member with a correct UDP checksum (IPv4, IPv4 without checksum, IPv6; odd and
# even lengths) and a trailer the member's XDP verifies and strips; a source the allow list
# does not admit is dropped at the gateway and counted as not_allowed.
#
# Topology: L (ll) -- (gl) G (gw) -- (mw) M, where G bridges gl (LAN port) and gw (WAN
# port) in br0 and has no address. The "groups" are M's unicast addresses: the programs
# match on (address, port), and checksums do not care about multicast. Checksums are only
# verified where nobody vouched for them, so:
#  - L's ll runs with TX checksumming on (G's ingress sees CHECKSUM_PARTIAL, the field holds
#    the pseudo-header sum) and off (a complete checksum, fixed up incrementally);
#  - G's gw has TX checksumming off: a CHECKSUM_PARTIAL datagram is completed there by
#    skb_checksum_help(), over the layout the LAN program left, as a NIC would; what M
#    receives is what a wire would carry;
#  - M's mw has RX checksumming off, so M's kernel verifies every UDP checksum (counted in
#    InCsumErrors), and scapy recomputes them from the captured frames as well.
# The gateway's data plane is loaded with a helper built here against the build's
# libgroupkey.a (tests/net/dp_gateway_bpf.c: gk_dp_open with lan_ifindex, gk_dp_allow_add,
# as groupkeyd does); groups and keys go in with `groupkey dataplane`. Everything runs in a
# private mount namespace with its own bpffs, so the host's pins are never touched.
# shellcheck disable=SC2317 # helpers below run through tap_check and busywait
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
PIN_G=$BPFFS/gw
PIN_M=$BPFFS/mem
L4=10.9.0.1 L4_DENIED=10.9.0.3 M4=10.9.0.2
L6=fd00:9::1 L6_DENIED=fd00:9::3 M6=fd00:9::2
ALLOW4=10.9.0.0/31 ALLOW6=fd00:9::/127 # L's first address, not its second
PORT4=5683 PORT6=5684
G4=1 G6=2 KEY_ID=1 SENDER=7
GKEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
LENS=0,1,2,7,8,9,100,1001,1400
PKGS="libcbor libbpf libcoap-3-gnutls inih libnl-route-3.0 sqlite3 jansson"

# SNIFFER on IFACE: OUT COUNT TIMEOUT KEY_ID SENDER EXPECT... (EXPECT = TAG:LENS). Checks
# every UDP frame to the group ports: lengths, IP and UDP checksums recomputed by scapy, the
# trailer's fixed fields, seq rising per group, the payload before the trailer.
SNIFF_PY="$PAYLOAD_PY"'
import struct, sys
from scapy.all import AsyncSniffer, Ether, IP, IPv6, UDP, raw
iface, out, count, timeout, key_id, sender = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
want = {}
for spec in sys.argv[7:]:
    tag, lens = spec.split(":")
    for n in lens.split(","):
        want[payload(tag, int(n))] = want.get(payload(tag, int(n)), 0) + 1
ports = (5683, 5684)
sn = AsyncSniffer(iface=iface, count=count, timeout=timeout, store=True,
                  lfilter=lambda p: UDP in p and p[UDP].dport in ports,
                  started_callback=lambda: open(out + ".ready", "w").close())
sn.start()
sn.join()
bad, last_seq = [], {}
for p in sn.results:
    u, ip = p[UDP], p[IP] if IP in p else p[IPv6]
    data = bytes(u.payload)
    if u.len != 8 + len(data) or (IP in p and ip.len != 20 + u.len) or \
            (IPv6 in p and ip.plen != u.len):
        bad.append("lengths %r" % data[:16])
        continue
    q = p.copy()
    del q[UDP].chksum
    if IP in q:
        del q[IP].chksum
    q = Ether(raw(q))
    if IP in p and q[IP].chksum != ip.chksum:
        bad.append("IPv4 header checksum %#x, computed %#x" % (ip.chksum, q[IP].chksum))
    if not (u.chksum == 0 and IP in p) and q[UDP].chksum != u.chksum:
        bad.append("UDP checksum %#x, computed %#x (%d bytes)" % (u.chksum, q[UDP].chksum,
                                                                 len(data)))
    if len(data) < 28:
        bad.append("no trailer")
        continue
    tr, pl = data[-28:], data[:-28]
    ver, flags, res, kid, sid, seq = struct.unpack(">BBHIIQ", tr[:20])
    if (ver, flags, res, kid, sid) != (1, 0, 0, key_id, sender):
        bad.append("trailer %s" % tr.hex())
    if seq <= last_seq.get(u.dport, -1):
        bad.append("seq %d after %d" % (seq, last_seq[u.dport]))
    last_seq[u.dport] = seq
    if want.get(pl):
        want[pl] -= 1
    else:
        bad.append("unexpected payload %r" % pl[:24])
missing = [p[:24] for p, c in want.items() for _ in range(c)]
print("captured %d, missing %d %r, bad %d %r" % (len(sn.results), len(missing), missing,
      len(bad), bad[:5]))
sys.exit(1 if missing or bad else 0)
'

# The helper, built like scripts/bench-dataplane builds its own; sanitized with the library.
build_helper()
{
	local san=""

	nm "$GK_BUILD/libgroupkey.a" 2>/dev/null | grep -q __asan_init &&
		san="-fsanitize=address,undefined"
	# shellcheck disable=SC2046,SC2086 # pkg-config output and $san are word lists
	cc -std=c11 -D_GNU_SOURCE -O1 -g $san -Wall -Wextra -Werror -I"$GK_ROOT/include" \
		$(pkg-config --cflags $PKGS) "$GK_ROOT/tests/net/dp_gateway_bpf.c" \
		"$GK_BUILD/libgroupkey.a" $(pkg-config --libs $PKGS) -lmbedtls -lmbedx509 \
		-lmbedcrypto -o "$HELPER"
}

net_setup()
{
	setup_veth "$NS_L" ll "$NS_G" gl || return 1
	setup_veth "$NS_G" gw "$NS_M" mw || return 1
	ip -n "$NS_G" link add br0 type bridge || return 1
	ip -n "$NS_G" link set gl master br0 && ip -n "$NS_G" link set gw master br0 || return 1
	ip -n "$NS_L" addr add "$L4/24" dev ll && ip -n "$NS_L" addr add "$L4_DENIED/24" dev ll &&
		ip -n "$NS_L" addr add "$L6/64" dev ll nodad &&
		ip -n "$NS_L" addr add "$L6_DENIED/64" dev ll nodad || return 1
	ip -n "$NS_M" addr add "$M4/24" dev mw && ip -n "$NS_M" addr add "$M6/64" dev mw nodad ||
		return 1
	for l in "$NS_L ll" "$NS_G gl" "$NS_G gw" "$NS_G br0" "$NS_M mw"; do
		# shellcheck disable=SC2086 # "NS DEV"
		set -- $l
		ip -n "$1" link set dev "$2" up || return 1
	done
	in_ns "$NS_G" ethtool -K gw tx off >/dev/null && in_ns "$NS_M" ethtool -K mw rx off >/dev/null
}

gk() { "$GK" "$@" >/dev/null; }

# One data plane's groups and keys: FLAGS (--send, --strip) as SENDER, both groups.
fill_maps() # PIN SENDER FLAGS...
{
	local pin=$1 sender=$2 exp

	shift 2
	exp=$(($(date +%s) + 3600))
	for g in "$G4 $M4 $PORT4" "$G6 $M6 $PORT6"; do
		# shellcheck disable=SC2086 # "GROUP ADDR PORT"
		set -- $g "$@"
		gk dataplane group-add --pin-dir "$pin" --group "$1" --addr "$2" --port "$3" \
			--sender "$sender" "${@:4}" &&
			gk dataplane group-add --pin-dir "$pin" --group "$1" --addr "$2" --port 0 \
				--sender "$sender" "${@:4}" &&
			gk dataplane key-add --pin-dir "$pin" --group "$1" --name "gw-test-$1" \
				--key-id "$KEY_ID" --group-key "$GKEY" --exp "$exp" &&
			gk dataplane send-key --pin-dir "$pin" --group "$1" --key-id "$KEY_ID" ||
			return 1
		shift 3
	done
}

load_gateway()
{
	mount -t bpf bpf "$BPFFS" || return 1
	in_ns "$NS_G" "$HELPER" load "$PIN_G" lan=gl xdp=gw || return 1
	fill_maps "$PIN_G" "$SENDER" --send --strip || return 1
	for g in $G4 $G6; do
		gk dataplane seq-reserve --pin-dir "$PIN_G" --group "$g" --block 1000000 \
			--state "$GK_TMP/seq-$g" || return 1
	done
	"$HELPER" allow "$PIN_G" "$G4" "$ALLOW4" && "$HELPER" allow "$PIN_G" "$G6" "$ALLOW6"
}

# The allow list reads back as written (bits past the length ignored).
allow_listed()
{
	[ "$("$HELPER" list "$PIN_G" | tr '\n' ' ')" = "$G4 $ALLOW4 0x1 $G6 $ALLOW6 0x1 " ]
}

# M, receive only (another sender id), keys of the same group key: its XDP attached later.
load_member()
{
	in_ns "$NS_M" "$HELPER" load "$PIN_M" && fill_maps "$PIN_M" $((SENDER + 1)) --strip
}

tc_ingress_prog() # NS DEV: the program name on DEV's clsact ingress
{
	in_ns "$1" tc filter show dev "$2" ingress | grep -o 'gk_tc_lan_ingre[a-z_]*' | head -1
}

stat_of() # PIN GROUP VERDICT: packets
{
	"$GK" stats -j --pin-dir "$1" --group "$2" |
		"$PY" -c 'import json, sys
print(json.load(sys.stdin)[0]["counters"][sys.argv[1]]["packets"])' "$3"
}

udp_in_csum_errors() # prints "IPv4 IPv6" InCsumErrors of M
{
	local v4 v6

	# shellcheck disable=SC2016 # awk programs
	v4=$(in_ns "$NS_M" awk '/^Udp: [0-9]/ { for (i = 1; i <= NF; i++) v[i] = $i }
		/^Udp: [A-Za-z]/ { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") col = i }
		END { print v[col] }' /proc/net/snmp)
	# shellcheck disable=SC2016 # awk program
	v6=$(in_ns "$NS_M" awk '$1 == "Udp6InCsumErrors" { print $2 }' /proc/net/snmp6)
	echo "${v4:-?} ${v6:-?}"
}

ready() { test -e "$GK_TMP/$1.ready"; }
bound() { grep -q bound "$GK_TMP/recv.out"; }

send_all() # SRC4 SRC6 TAG
{
	in_ns "$NS_L" "$PY" -c "$SEND_PY" v4 "$1" "$M4" "$PORT4" "v4-$3" "$LENS" &&
		in_ns "$NS_L" "$PY" -c "$SEND_PY" v4nocsum "$1" "$M4" "$PORT4" "nocsum-$3" "$LENS" &&
		in_ns "$NS_L" "$PY" -c "$SEND_PY" v6 "$2" "$M6" "$PORT6" "v6-$3" "$LENS"
}

N_LENS=$(($(tr -cd , <<<"$LENS" | wc -c) + 1))

# Capture at M what L sends with TX checksumming MODE: every frame stamped and checksummed.
capture_round() # on|off
{
	local mode=$1 before after pid rc

	tap_check "tx-checksumming $mode on ll" in_ns "$NS_L" ethtool -K ll tx "$mode" || return
	before=$(udp_in_csum_errors)
	rm -f "$GK_TMP/sniff.ready"
	in_ns "$NS_M" timeout 60 "$PY" -c "$SNIFF_PY" mw "$GK_TMP/sniff" $((3 * N_LENS)) 20 \
		"$KEY_ID" "$SENDER" "v4-$mode:$LENS" "nocsum-$mode:$LENS" "v6-$mode:$LENS" \
		>"$GK_TMP/sniff.out" 2>&1 &
	pid=$!
	defer stop_pid "$pid"
	tap_check "scapy capturing on M's mw" slowwait 20000 ready sniff
	tap_check "L sends IPv4, IPv4 without checksum and IPv6 datagrams ($LENS bytes, tx $mode)" \
		send_all "$L4" "$L6" "$mode"
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		tap_ok "tx $mode: M captured every datagram stamped, checksums right (scapy)"
	else
		tap_fail "tx $mode: M captured every datagram stamped, checksums right (scapy)" \
			"$(cat "$GK_TMP/sniff.out")"
	fi
	after=$(udp_in_csum_errors)
	tap_check "tx $mode: M's kernel counted no UDP checksum error ($before -> $after)" \
		test "$before" = "$after"
}

tap_init
require_root
require_cmd ip ethtool nsenter unshare mount timeout awk tc cc pkg-config nm "$PY"
[ -n "${GK_DP_PRIVATE_MOUNTS:-}" ] || tap_bail "private mount namespace" "unshare failed"
"$PY" -c 'import scapy.all' 2>/dev/null || tap_bail "scapy" "$PY cannot import scapy"
GK=$(gk_bin groupkey) || tap_bail "groupkey" "not built"
gk_bin libgroupkey.a >/dev/null || tap_bail "libgroupkey.a" "not built"
HELPER=$GK_TMP/dp_gateway_bpf

tap_check "build the helper against $GK_BUILD/libgroupkey.a" build_helper || tap_done
setup_ns NS_L NS_G NS_M || tap_bail "create namespaces"
tap_check "L -- G (br0: gl + gw) -- M; gw tx and mw rx checksumming off" net_setup || tap_done
tap_check "gateway: LAN ingress on gl, XDP on gw, groups, keys, sequence blocks, allow list" \
	load_gateway || tap_done
tap_check "the LAN port runs gk_tc_lan_ingress" test "$(tc_ingress_prog "$NS_G" gl)" = \
	gk_tc_lan_ingre
tap_check "allow list reads back: $ALLOW4, $ALLOW6" allow_listed
tap_check "member: receive-only groups, the same keys (no XDP yet)" load_member || tap_done

capture_round on
capture_round off
tap_check "gateway STAMPED: $((4 * N_LENS)) IPv4 and $((2 * N_LENS)) IPv6" \
	test "$(stat_of "$PIN_G" $G4 stamped) $(stat_of "$PIN_G" $G6 stamped)" = \
	"$((4 * N_LENS)) $((2 * N_LENS))"

# A source the allow list does not admit: dropped at G, counted, nothing reaches M.
rm -f "$GK_TMP/denied.ready"
in_ns "$NS_M" timeout 60 "$PY" -c "$SNIFF_PY" mw "$GK_TMP/denied" 1 4 "$KEY_ID" "$SENDER" \
	>"$GK_TMP/denied.out" 2>&1 &
pid=$!
defer stop_pid "$pid"
tap_check "scapy capturing on M's mw" slowwait 20000 ready denied
tap_check "L sends from $L4_DENIED and $L6_DENIED" send_all "$L4_DENIED" "$L6_DENIED" denied
wait "$pid"
tap_check "nothing from the denied sources reached M" \
	grep -q '^captured 0, missing 0' "$GK_TMP/denied.out"
tap_check "gateway NOT_ALLOWED: $((2 * N_LENS)) IPv4 and $N_LENS IPv6; STAMPED unchanged" \
	test "$(stat_of "$PIN_G" $G4 not_allowed) $(stat_of "$PIN_G" $G6 not_allowed) \
$(stat_of "$PIN_G" $G4 stamped)" = "$((2 * N_LENS)) $N_LENS $((4 * N_LENS))"

# M's own XDP verifies the tags and strips the trailers: the application gets the payloads.
tap_check "member: gk_xdp on mw" in_ns "$NS_M" "$HELPER" load "$PIN_M" xdp=mw
before=$(udp_in_csum_errors)
in_ns "$NS_M" timeout 30 "$PY" -c "$RECV_PY" "$PORT4" "$PORT6" 10 "v4-xdp:$LENS" \
	"nocsum-xdp:$LENS" "v6-xdp:$LENS" >"$GK_TMP/recv.out" 2>&1 &
pid=$!
defer stop_pid "$pid"
tap_check "receiver bound in M" slowwait 5000 bound
tap_check "L sends again (tx off)" send_all "$L4" "$L6" xdp
wait "$pid"
tap_check "M's XDP verified every tag, the receiver got every payload without its trailer" \
	grep -q 'missing 0 \[\], unexpected 0' "$GK_TMP/recv.out"
tap_check "M PASS: $((2 * N_LENS)) IPv4 and $N_LENS IPv6, no BAD_TAG" \
	test "$(stat_of "$PIN_M" $G4 passed) $(stat_of "$PIN_M" $G6 passed) \
$(stat_of "$PIN_M" $G4 bad_tag)" = "$((2 * N_LENS)) $N_LENS 0"
after=$(udp_in_csum_errors)
tap_check "no UDP checksum error at M after stripping ($before -> $after)" test "$before" = "$after"
tap_done
