# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Helpers for the member-mode tests (source after tests/lib.sh, lib_daemon.sh, kdc_lib.sh): a KDC
# in the root namespace and two member-only hosts A and B in their own namespaces, joined for
# control through veths to the root and for data through a veth between them; plain-socket
# senders and receivers; the member daemons' logs and maps. Not executable on purpose.
#
#   root ns: KDC + AS (0.0.0.0), kA, kB        NS_A: a-ctl, a0 ---- b0, b-ctl: NS_B
#            kA <-> a-ctl (10.78.1.0/24)            (data, 10.78.3.0/24)
#            kB <-> b-ctl (10.78.2.0/24)

G=239.78.0.1
P=5000
GID=128 # the first [member] section's data-plane group id (member.h)
T=$GK_TMP
MCAST=$GK_ROOT/tests/net/mcast.py
KA=gka$$
KB=gkb$$
PIN_A=/sys/fs/bpf/gk-$$-a
PIN_B=/sys/fs/bpf/gk-$$-b
declare -A MPID


net_setup()
{
	setup_ns NS_A NS_B || return 1
	ip link add "$KA" type veth peer name a-ctl netns "$NS_A" &&
		ip link add "$KB" type veth peer name b-ctl netns "$NS_B" || return 1
	defer ip link del "$KA"
	defer ip link del "$KB"
	ip addr add 10.78.1.1/24 dev "$KA" && ip link set "$KA" up &&
		ip addr add 10.78.2.1/24 dev "$KB" && ip link set "$KB" up &&
		ip -n "$NS_A" addr add 10.78.1.2/24 dev a-ctl && ip -n "$NS_A" link set a-ctl up &&
		ip -n "$NS_B" addr add 10.78.2.2/24 dev b-ctl && ip -n "$NS_B" link set b-ctl up &&
		ip -n "$NS_A" link add a0 type veth peer name b0 netns "$NS_B" &&
		ip -n "$NS_A" addr add 10.78.3.1/24 dev a0 && ip -n "$NS_A" link set a0 up &&
		ip -n "$NS_B" addr add 10.78.3.2/24 dev b0 && ip -n "$NS_B" link set b0 up &&
		ip -n "$NS_A" route add 224.0.0.0/4 dev a0 && ip -n "$NS_B" route add 224.0.0.0/4 dev b0
}

# A member-only groupkeyd config for host H (a or b) as client CLIENT of group gm.
member_config() # H NS CLIENT IFACE PIN ROLES
{
	local h=$1 ns=$2 client=$3 ifc=$4 pin=$5 roles=$6 ctl

	ctl=$([ "$h" = a ] && echo 10.78.1.1 || echo 10.78.2.1)
	cat >"$T/m$h.conf" <<EOF
[daemon]
state_dir = $T/m$h.state
log_level = info

[as]
enabled = no

[kdc]
enabled = no

[member gm]
kdc = coaps://$ctl:${GKD_COAPS[kd]}
authz_info = coap://$ctl:${GKD_COAP[kd]}/authz-info
client_id = $client
psk = $ALICE_PSK
roles = $roles
address = $G
port = $P

[dataplane]
enabled = yes
interfaces = $ifc
pin_dir = $pin
EOF
	chmod 600 "$T/m$h.conf"
}

member_start() # H NS
{
	# nsenter itself, not in_ns: $! must be the daemon, not a subshell running a function.
	nsenter --net="/run/netns/$2" "$GKD" --config "$T/m$1.conf" >>"$T/m$1.log" 2>&1 &
	MPID[$1]=$!
	defer stop_pid "${MPID[$1]}"
	[ -z "${GK_KEEP_LOGS:-}" ] || defer cp "$T/m$1.log" "$GK_KEEP_LOGS/$GK_TEST_NAME-m$1.log"
}

member_stop() # H
{
	kill -TERM "${MPID[$1]}" 2>/dev/null && wait "${MPID[$1]}"
}

log_count() # H REGEX -> how many lines of mH.log match
{
	grep -cE "$2" "$T/m$1.log"
}

log_has_n() # H N REGEX
{
	[ "$(log_count "$1" "$3")" -ge "$2" ]
}

# The field of gm's address entry in PIN's maps ("send_key_id", "sender_id", ...).
dp_field() # NS PIN FIELD
{
	in_ns "$1" "$GK" --json dataplane show --pin-dir "$2" | "$PY" -c '
import json, sys
for g in json.load(sys.stdin)["groups"]:
    if g["address"] == sys.argv[1]:
        print(g[sys.argv[2]])' "$G:$P" "$3"
}

dp_keys() # NS PIN -> the key ids of gm, sorted
{
	in_ns "$1" "$GK" --json dataplane show --pin-dir "$2" | "$PY" -c '
import json, sys
print(" ".join(str(k["key_id"]) for k in sorted(json.load(sys.stdin)["keys"],
      key=lambda k: k["key_id"]) if k["group"] == int(sys.argv[1])))' "$GID"
}

send_key_is() # WANT
{
	[ "$(dp_field "$NS_A" "$PIN_A" send_key_id)" = "$1" ]
}

# A sends N datagrams tagged TAG from a plain socket; B's plain socket must get exactly them.
exchange() # TAG N
{
	local tag=$1 n=$2 want got pid msgs

	rm -f "$T/rx" "$T/rx.ready"
	want=$(for ((i = 0; i < n; i++)); do echo "$tag $i"; done)
	in_ns "$NS_B" "$PY" "$MCAST" recv "$G" "$P" --iface b0 --timeout 5 --count "$n" \
		--ready "$T/rx.ready" >"$T/rx" &
	pid=$!
	busywait 3000 test -e "$T/rx.ready" || return 1
	mapfile -t msgs <<<"$want"
	in_ns "$NS_A" "$PY" "$MCAST" send "$G" "$P" --iface a0 -- "${msgs[@]}"
	wait "$pid"
	got=$(cat "$T/rx" 2>/dev/null)
	[ "$got" = "$want" ] || {
		echo "received:"; echo "$got"; echo "wanted:"; echo "$want"
		in_ns "$NS_B" "$GK" stats --pin-dir "$PIN_B"
		return 1
	}
}

stat_b() # VERDICT
{
	in_ns "$NS_B" "$GK" stats -j --pin-dir "$PIN_B" --group "$GID" | "$PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["counters"][sys.argv[1]]["packets"])' "$1"
}

# Namespaces, the KDC's config with group gm and clients host-a/host-b (tokens of LIFETIME s).
member_setup() # LIFETIME
{
	net_setup || tap_bail "network" "cannot set up the namespaces"
	defer dp_unload_left "$NS_A" "$PIN_A" a0
	defer dp_unload_left "$NS_B" "$PIN_B" b0
	gkd_config kd "as.token_lifetime=$1" || tap_bail "config" "cannot write the config"
	sed -i 's/^listen = 127.0.0.1$/listen = 0.0.0.0/' "$T/kd.conf"
	gkd_add_group kd gm sender,receiver address=$G port=$P recv_grace=5 rekey_on_join=yes
	printf '\n[client host-a]\npsk = %s\nscope = gm:sender,receiver\n' "$ALICE_PSK" \
		>>"$T/kd.conf"
	printf '\n[client host-b]\npsk = %s\nscope = gm:receiver\n' "$ALICE_PSK" >>"$T/kd.conf"
}
