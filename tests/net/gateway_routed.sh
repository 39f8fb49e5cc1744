#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Gateway mode, routed: the gateway forwards between its LAN and WAN subnets with the kernel's
# multicast routing, the routes set by smcroute (Debian's smcrouted, one per test namespace).
# groupkeyd stamps legacy traffic at LAN ingress (before the route lookup) and validates and
# strips at WAN ingress; the kernel then routes plain datagrams to the LAN. IPv4 and IPv6.
#
#   NS_L legacy eth0 (10.21.1.2) --- lan0 | NS_G: groupkeyd, smcrouted | wan0 --- eth0 (10.21.2.3) NS_M
# shellcheck disable=SC2317 # helpers below run through tap_check and busywait
set -u
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/daemon/lib_daemon.sh
source "$(dirname "$0")/../daemon/lib_daemon.sh"
# shellcheck source=tests/net/gw_lib.sh
source "$(dirname "$0")/gw_lib.sh"

tap_init
require_root
require_cmd ip nsenter ss smcrouted smcroutectl

T=$GK_TMP
PIN_G=/sys/fs/bpf/gk-$$-rgw
PIN_M=/sys/fs/bpf/gk-$$-rmem

addr() # NS IF V4 V6
{
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" addr add "$4" dev "$2" nodad &&
		ip -n "$1" link set "$2" up
}

net_setup()
{
	setup_ns NS_G NS_L NS_M || return 1
	ip -n "$NS_L" link add eth0 type veth peer name lan0 netns "$NS_G" &&
		ip -n "$NS_M" link add eth0 type veth peer name wan0 netns "$NS_G" || return 1
	addr "$NS_G" lan0 10.21.1.1/24 fd21:1::1/64 && addr "$NS_G" wan0 10.21.2.1/24 fd21:2::1/64 &&
		addr "$NS_L" eth0 10.21.1.2/24 fd21:1::2/64 &&
		addr "$NS_M" eth0 10.21.2.3/24 fd21:2::3/64 || return 1
	ip -n "$NS_L" route add default via 10.21.1.1 && ip -n "$NS_L" -6 route add default via fd21:1::1 &&
		ip -n "$NS_M" route add default via 10.21.2.1 &&
		ip -n "$NS_M" -6 route add default via fd21:2::1 || return 1
	ip -n "$NS_L" route add 224.0.0.0/4 dev eth0 && ip -n "$NS_M" route add 224.0.0.0/4 dev eth0 &&
		in_ns "$NS_G" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

smcroute_start()
{
	cat >"$T/smcroute.conf" <<EOF
phyint lan0 enable
phyint wan0 enable
mroute from lan0 group $GW_G4 to wan0
mroute from wan0 group $GW_G4 to lan0
mroute from lan0 group $GW_G6 to wan0
mroute from wan0 group $GW_G6 to lan0
EOF
	in_ns "$NS_G" smcrouted -n -N -f "$T/smcroute.conf" -u "$T/smcroute.sock" \
		-P "$T/smcroute.pid" -i "gk$$" -l info >"$T/smcroute.log" 2>&1 &
	SMC_PID=$!
	defer stop_pid "$SMC_PID"
	slowwait 5000 in_ns "$NS_G" grep -q . /proc/net/ip_mr_vif || return 1
	slowwait 5000 eval "in_ns '$NS_G' smcroutectl -u '$T/smcroute.sock' show routes | grep -q '$GW_G4'"
}

net_setup || tap_bail "network" "cannot set up the namespaces"
defer dp_unload_left "$NS_G" "$PIN_G" wan0 lan0
defer dp_unload_left "$NS_M" "$PIN_M" eth0
tap_check "smcrouted routes the groups between lan0 and wan0 (IPv4 and IPv6)" smcroute_start ||
	{ cat "$T/smcroute.log"; tap_bail "smcroute" "see above"; }

read -r COAP COAPS < <(free_udp_ports 2)
gw_config "$T/gw.conf" "$T/gw.state" 0.0.0.0 "$COAP" "$COAPS" wan0 lan0 "$PIN_G" \
	10.21.1.0/24 fd21:1::/64
# The member reaches the KDC at the gateway's WAN address.
sed -i "s|coaps://0.0.0.0:|coaps://10.21.2.1:|; s|coap://0.0.0.0:|coap://10.21.2.1:|" "$T/gw.conf"
gw_member_config "$T/mem.conf" "$T/mem.state" 10.21.2.1 "$COAP" "$COAPS" eth0 "$PIN_M"

gw_daemon_start gw "$NS_G" "$T/gw.conf" "$T/gw.log"
tap_check "the gateway's memberships join its KDC" slowwait 20000 gw_joined "$T/gw.log" ||
	{ tail -n 30 "$T/gw.log"; tap_bail "gw" "no join"; }
gw_daemon_start mem "$NS_M" "$T/mem.conf" "$T/mem.log"
tap_check "the member host joins both groups" slowwait 20000 gw_joined "$T/mem.log" ||
	{ tail -n 30 "$T/mem.log"; tap_bail "mem" "no join"; }
for g in "$GW_G4" "$GW_G6"; do
	busywait 10000 gw_same_key "$NS_G" "$PIN_G" "$NS_M" "$PIN_M" "$g"
	tap_check "legacy -> member ($g), routed: intact" \
		gw_delivered "$NS_L" eth0 "$NS_M" eth0 "$g" $'routed 1\nrouted 2' "routed 1" "routed 2"
	tap_check "member -> legacy ($g), routed: stripped, intact" \
		gw_delivered "$NS_M" eth0 "$NS_L" eth0 "$g" $'reply 1' "reply 1"
	tap_check "the member validated 2, the gateway stamped 2 ($g)" \
		eval "[ \"\$(gw_stat '$NS_M' '$PIN_M' '$g' passed)\" = 2 ] &&
			[ \"\$(gw_stat '$NS_G' '$PIN_G' '$g' stamped)\" = 2 ]"
done
tap_check "an unprotected datagram from the WAN is not routed to the LAN" \
	gw_wan_unprotected_dropped "$NS_G" "$PIN_G" "$NS_M" "$NS_L"
tap_check "gateway and member stop cleanly" eval 'gw_daemon_stop mem && gw_daemon_stop gw'

tap_done
