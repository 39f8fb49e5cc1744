#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Gateway mode, bridged: the gateway host runs groupkeyd as AS + KDC + gateway member; its WAN
# port (XDP: validate, strip) and LAN ports (TC ingress: admit and stamp) are in one bridge, a
# bump in the wire. A legacy host with no daemon and plain sockets talks with a member-mode host
# over the protected groups, IPv4 and IPv6; a LAN host not on the allow list is dropped; the
# LAN link is deleted and recreated while the daemon runs, and traffic resumes.
#
#   NS_L legacy  eth0 --- lan0 \
#   NS_E other   eth0 --- lan1 -- br0 (NS_G: groupkeyd, 10.20.1.1) -- wan0 --- eth0  NS_M member
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
require_cmd ip nsenter ss

T=$GK_TMP
PIN_G=/sys/fs/bpf/gk-$$-gw
PIN_M=/sys/fs/bpf/gk-$$-mem

link() # NS_A IF_A NS_B IF_B
{
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
}

addr() # NS IF V4 V6
{
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" addr add "$4" dev "$2" nodad &&
		ip -n "$1" link set "$2" up
}

net_setup()
{
	setup_ns NS_G NS_L NS_E NS_M || return 1
	ip -n "$NS_G" link add br0 type bridge mcast_snooping 0 &&
		link "$NS_L" eth0 "$NS_G" lan0 && link "$NS_E" eth0 "$NS_G" lan1 &&
		link "$NS_M" eth0 "$NS_G" wan0 || return 1
	for p in lan0 lan1 wan0; do
		ip -n "$NS_G" link set "$p" master br0 && ip -n "$NS_G" link set "$p" up || return 1
	done
	addr "$NS_G" br0 10.20.1.1/24 fd20:1::1/64 &&
		addr "$NS_L" eth0 10.20.1.2/24 fd20:1::2/64 &&
		addr "$NS_E" eth0 10.20.1.66/24 fd20:1::66/64 &&
		addr "$NS_M" eth0 10.20.1.3/24 fd20:1::3/64 || return 1
	for ns in "$NS_L" "$NS_E" "$NS_M"; do
		ip -n "$ns" route add 224.0.0.0/4 dev eth0 || return 1
	done
}

net_setup || tap_bail "network" "cannot set up the namespaces"
defer dp_unload_left "$NS_G" "$PIN_G" wan0 lan0 lan1
defer dp_unload_left "$NS_M" "$PIN_M" eth0

read -r COAP COAPS < <(free_udp_ports 2)
gw_config "$T/gw.conf" "$T/gw.state" 10.20.1.1 "$COAP" "$COAPS" wan0 "lan0 lan1" "$PIN_G" \
	10.20.1.2/32 fd20:1::2/128
gw_member_config "$T/mem.conf" "$T/mem.state" 10.20.1.1 "$COAP" "$COAPS" eth0 "$PIN_M"
tap_check "the gateway's config passes --check-config" "$GKD" --check-config --config "$T/gw.conf"

gw_daemon_start gw "$NS_G" "$T/gw.conf" "$T/gw.log"
tap_check "the gateway's own memberships join its KDC (both groups)" \
	slowwait 20000 gw_joined "$T/gw.log" || { tail -n 30 "$T/gw.log"; tap_bail "gw" "no join"; }
gw_daemon_start mem "$NS_M" "$T/mem.conf" "$T/mem.log"
tap_check "the member host joins both groups" slowwait 20000 gw_joined "$T/mem.log" ||
	{ tail -n 30 "$T/mem.log"; tap_bail "mem" "no join"; }
for g in "$GW_G4" "$GW_G6"; do
	tap_check "gateway and member stamp $g with the same key (rekeys followed)" \
		busywait 10000 gw_same_key "$NS_G" "$PIN_G" "$NS_M" "$PIN_M" "$g"
done

for g in "$GW_G4" "$GW_G6"; do
	tap_check "legacy -> member ($g): the plain datagrams arrive intact" \
		gw_delivered "$NS_L" eth0 "$NS_M" eth0 "$g" $'from legacy 1\nfrom legacy 2' \
		"from legacy 1" "from legacy 2"
	tap_check "member -> legacy ($g): stripped by the gateway, arrive intact" \
		gw_delivered "$NS_M" eth0 "$NS_L" eth0 "$g" $'from member 1\nfrom member 2' \
		"from member 1" "from member 2"
	tap_check "a LAN host off the allow list ($g): dropped at the gateway" \
		gw_delivered "$NS_E" eth0 "$NS_M" eth0 "$g" "" "not allowed"
	tap_check "... counted as not_allowed" \
		test "$(gw_stat "$NS_G" "$PIN_G" "$g" not_allowed)" = 1
	tap_check "... and the member validated exactly the legacy host's 2" \
		test "$(gw_stat "$NS_M" "$PIN_M" "$g" passed)" = 2
done

tap_check "an unprotected datagram from the WAN never reaches the legacy host" \
	gw_wan_unprotected_dropped "$NS_G" "$PIN_G" "$NS_M" "$NS_L"
gw_daemon_stop mem
gw_daemon_start mem "$NS_M" "$T/mem.conf" "$T/mem.log"
tap_check "the member restarts (its TC program re-attached)" \
	slowwait 20000 eval '[ "$(grep -c "re-join" "$T/mem.log")" -ge 2 ]'

t_flap() {
	ip -n "$NS_G" link del lan0 && link "$NS_L" eth0 "$NS_G" lan0 &&
		ip -n "$NS_G" link set lan0 master br0 && ip -n "$NS_G" link set lan0 up &&
		addr "$NS_L" eth0 10.20.1.2/24 fd20:1::2/64 &&
		ip -n "$NS_L" route add 224.0.0.0/4 dev eth0 || return 1
	slowwait 10000 grep -q "programs attached to lan0" "$T/gw.log" ||
		{ tail -n 10 "$T/gw.log"; return 1; }
}
tap_check "LAN link deleted and recreated: the gateway re-attaches its program" t_flap
tap_check "legacy -> member flows again" \
	gw_delivered "$NS_L" eth0 "$NS_M" eth0 "$GW_G4" "after flap" "after flap"
tap_check "member -> legacy flows again" \
	gw_delivered "$NS_M" eth0 "$NS_L" eth0 "$GW_G4" "back" "back"
tap_check "the gateway logged the LAN link going away and kept running" \
	eval 'grep -q "lan0 is gone" "$T/gw.log" && kill -0 "${GW_PID[gw]}"'
tap_check "gateway and member stop cleanly" eval 'gw_daemon_stop mem && gw_daemon_stop gw'

tap_done
