# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Helpers for the gateway tests (source after tests/lib.sh, lib_daemon.sh, kdc_lib.sh): a
# gateway host running groupkeyd as AS + KDC + gateway member, a member host in member mode, a
# legacy host and a host the gateway does not admit, and plain-socket senders and receivers.
# Not executable on purpose: tests/run.sh runs only the executable tests/net/*.sh.

GW_G4=239.20.0.1
GW_G6=ff15::20:1
GW_PORT=5000
GW_PSK=$ALICE_PSK
GW_MCAST=$GK_ROOT/tests/net/mcast.py
declare -A GW_PID


# groupkeyd in NS on CONF, log appended to LOG; nsenter itself so that $! is the daemon.
gw_daemon_start() # KEY NS CONF LOG
{
	nsenter --net="/run/netns/$2" "$GKD" --config "$3" >>"$4" 2>&1 &
	GW_PID[$1]=$!
	defer stop_pid "${GW_PID[$1]}"
	[ -z "${GK_KEEP_LOGS:-}" ] || defer cp "$4" "$GK_KEEP_LOGS/$GK_TEST_NAME-$1.log"
}

gw_daemon_stop() # KEY
{
	kill -TERM "${GW_PID[$1]}" 2>/dev/null && wait "${GW_PID[$1]}"
}

# The gateway host's config: AS + KDC on CTL (an address of the gateway), groups gw4 and gw6,
# clients gw and mem, and the gateway's own membership of both groups with the legacy host's
# addresses allowed. WAN and LAN are interface lists.
gw_config() # FILE STATE CTL COAP COAPS WAN LAN PIN ALLOW4 ALLOW6
{
	cat >"$1" <<EOF
[daemon]
state_dir = $2
listen = $3
coap_port = $4
coaps_port = $5

[kdc]
authz_rate = 1000
authz_burst = 1000

[group gw4]
roles = sender,receiver
address = $GW_G4
port = $GW_PORT
recv_grace = 5

[group gw6]
roles = sender,receiver
address = $GW_G6
port = $GW_PORT
recv_grace = 5

[client gw]
psk = $GW_PSK
scope = gw4:sender,receiver; gw6:sender,receiver

[client mem]
psk = $GW_PSK
scope = gw4:sender,receiver; gw6:sender,receiver

[member gw4]
kdc = coaps://$(gw_uri_host "$3"):$5
authz_info = coap://$(gw_uri_host "$3"):$4/authz-info
client_id = gw
psk = $GW_PSK
address = $GW_G4
port = $GW_PORT
allow = $9

[member gw6]
kdc = coaps://$(gw_uri_host "$3"):$5
authz_info = coap://$(gw_uri_host "$3"):$4/authz-info
client_id = gw
psk = $GW_PSK
address = $GW_G6
port = $GW_PORT
allow = ${10}

[dataplane]
enabled = yes
pin_dir = $8

[gateway]
wan = $6
lan = $7
EOF
	chmod 600 "$1"
}

gw_uri_host() # ADDR -> ADDR, or [ADDR] for IPv6
{
	case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac
}

# A member-only host: both groups, XDP/TC on IFACE.
gw_member_config() # FILE STATE KDCHOST COAP COAPS IFACE PIN
{
	local m

	cat >"$1" <<EOF
[daemon]
state_dir = $2

[as]
enabled = no

[kdc]
enabled = no

[dataplane]
enabled = yes
interfaces = $6
pin_dir = $7
EOF
	for m in "gw4 $GW_G4" "gw6 $GW_G6"; do
		cat >>"$1" <<EOF

[member ${m% *}]
kdc = coaps://$(gw_uri_host "$3"):$5
authz_info = coap://$(gw_uri_host "$3"):$4/authz-info
client_id = mem
psk = $GW_PSK
address = ${m#* }
port = $GW_PORT
EOF
	done
	chmod 600 "$1"
}

# Both memberships of a daemon log have their key in the data plane.
gw_joined() # LOG
{
	grep -q 'member gw4: key [0-9]* of group gw4 in the data plane' "$1" &&
		grep -q 'member gw6: key [0-9]* of group gw6 in the data plane' "$1"
}

# The key version the data plane under PIN stamps GROUP's traffic with (its member id).
gw_send_key() # NS PIN GROUPADDR
{
	in_ns "$1" "$GK" --json dataplane show --pin-dir "$2" | "$PY" -c '
import json, sys
for g in json.load(sys.stdin)["groups"]:
    if g["address"] in (sys.argv[1] + ":5000", "[" + sys.argv[1] + "]:5000"):
        print(g["send_key_id"])' "$3"
}

# Both ends stamp GROUPADDR with the same key version (the member followed every rekey).
gw_same_key() # NS_A PIN_A NS_B PIN_B GROUPADDR
{
	local a b

	a=$(gw_send_key "$1" "$2" "$5") && b=$(gw_send_key "$3" "$4" "$5") &&
		[ -n "$a" ] && [ "$a" = "$b" ]
}

# FROM_NS sends MSG... to GROUPADDR out of FROM_IF; TO_NS listening on TO_IF must receive WANT
# (newline-separated, "" for nothing).
gw_delivered() # FROM_NS FROM_IF TO_NS TO_IF GROUPADDR WANT MSG...
{
	local fns=$1 fif=$2 tns=$3 tif=$4 g=$5 want=$6 pid got

	shift 6
	rm -f "$GK_TMP/rx" "$GK_TMP/rx.ready"
	in_ns "$tns" "$PY" "$GW_MCAST" recv "$g" "$GW_PORT" --iface "$tif" \
		--ready "$GK_TMP/rx.ready" >"$GK_TMP/rx" &
	pid=$!
	busywait 3000 test -e "$GK_TMP/rx.ready" || return 1
	# TTL 8: the routed gateway forwards between subnets (a TTL of 1 would end there).
	in_ns "$fns" "$PY" "$GW_MCAST" send "$g" "$GW_PORT" --iface "$fif" --ttl 8 -- "$@"
	wait "$pid"
	got=$(cat "$GK_TMP/rx")
	[ "$got" = "$want" ] || { echo "received '$got', want '$want'"; return 1; }
}

# Packets of VERDICT for the data-plane group with address GROUPADDR under PIN.
gw_stat() # NS PIN GROUPADDR VERDICT
{
	in_ns "$1" "$GK" stats -j --pin-dir "$2" | "$PY" -c '
import json, sys
for g in json.load(sys.stdin):
    if any(a.rsplit(":", 1)[0].strip("[]") == sys.argv[1] for a in g.get("addresses", [])):
        print(g["counters"][sys.argv[2]]["packets"])
        break
else:
    print(0)' "$3" "$4"
}

# The member's TC program removed: its plain datagram to the IPv4 group must stop at the
# gateway's XDP (counted malformed) and never reach the legacy host. Both on eth0.
gw_wan_unprotected_dropped() # NS_G PIN_G NS_M NS_L
{
	local before

	before=$(gw_stat "$1" "$2" "$GW_G4" malformed)
	in_ns "$3" tc filter del dev eth0 egress 2>/dev/null
	gw_delivered "$3" eth0 "$4" eth0 "$GW_G4" "" "unprotected" || return 1
	[ "$(gw_stat "$1" "$2" "$GW_G4" malformed)" -gt "$before" ]
}
