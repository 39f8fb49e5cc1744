#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# How the unprivileged daemon reaches its pin directory on bpffs, tested with the shipped
# tmpfiles.d file (the user and the directory renamed to scratch ones): systemd mounts
# /sys/fs/bpf 0700, so without the file's "z /sys/fs/bpf 0711" a non-root user cannot get to a
# directory below it; with it, a user holding only CAP_BPF pins and reads maps there, and holding
# CAP_BPF and CAP_NET_ADMIN loads and attaches the data plane, loads it again over itself, unloads
# it, and refuses to replace a foreign program. `nobody` stands in for groupkeyd.
source "$(dirname "$0")/../lib.sh"

tap_init
require_root
require_cmd systemd-tmpfiles setpriv bpftool ip nsenter tc clang
GK=$(gk_bin groupkey) || tap_bail "groupkey" "not built"
BPFFS=/sys/fs/bpf
PIN=$BPFFS/gk-test-pin-$$
NS=gk-pin-$$
USR=nobody

mountpoint -q "$BPFFS" || tap_bail "bpffs" "$BPFFS is not mounted"
MODE=$(stat -c %a "$BPFFS")
defer chmod "$MODE" "$BPFFS"
defer rm -rf "$PIN"
chmod 0700 "$BPFFS" # as systemd mounts it

# Run CMD as the stand-in user with exactly the capabilities CAPS (e.g. +bpf,+net_admin).
as_user() # CAPS CMD...
{
	local caps=$1

	shift
	setpriv --reuid="$USR" --regid=nogroup --clear-groups --inh-caps=-all,"$caps" \
		--ambient-caps=-all,"$caps" --bounding-set=-all,"$caps" "$@"
}

# The shipped file with groupkeyd's name and directory replaced; only its bpffs lines matter.
sed -e "s|/sys/fs/bpf/groupkeyd|$PIN|" -e "s/groupkeyd groupkeyd/$USR nogroup/" \
	"$GK_ROOT/packaging/tmpfiles/groupkeyd.conf" | grep -E "^[dz] +$BPFFS" >"$GK_TMP/gk.conf"

t_blocked() {
	mkdir "$PIN" && chown "$USR:nogroup" "$PIN" && chmod 0700 "$PIN" || return 1
	! as_user +bpf bpftool map create "$PIN/probe" type array key 4 value 4 entries 1 name probe \
		2>"$GK_TMP/err" && grep -q 'Permission denied' "$GK_TMP/err"
}
tap_check "without the tmpfiles.d line: /sys/fs/bpf (0700) keeps the user out of its own directory" \
	t_blocked

t_tmpfiles() {
	rm -rf "$PIN"
	systemd-tmpfiles --create "$GK_TMP/gk.conf" &&
		[ "$(stat -c %a "$BPFFS")" = 711 ] &&
		[ "$(stat -c '%a %U' "$PIN")" = "700 $USR" ]
}
tap_check "systemd-tmpfiles --create: /sys/fs/bpf 0711, the pin directory 0700 the user's" t_tmpfiles

t_pin_map() {
	as_user +bpf bpftool map create "$PIN/probe" type array key 4 value 4 entries 1 name probe &&
		[ "$(stat -c '%a %U' "$PIN/probe")" = "600 $USR" ] &&
		as_user +bpf bpftool map show pinned "$PIN/probe" >/dev/null &&
		rm -f "$PIN/probe"
}
tap_check "with it, CAP_BPF alone creates and pins a map there (0600, the user's)" t_pin_map

t_listing() {
	# Traversal only: another user lists neither bpffs nor the daemon's directory.
	! as_user +bpf ls "$BPFFS" >/dev/null 2>&1 && ! as_user +bpf ls "$PIN/.." >/dev/null 2>&1
}
tap_check "bpffs stays unlistable for non-root users" t_listing

ip netns add "$NS" || tap_bail "netns" "cannot create $NS"
defer ip netns del "$NS"
ip -n "$NS" link add va type veth peer name vb && ip -n "$NS" link set va up &&
	ip -n "$NS" link set vb up || tap_bail "veth" "cannot create va/vb in $NS"
defer nsenter --net="/run/netns/$NS" "$GK" dataplane unload --pin-dir "$PIN" --ifname va \
	--ifname vb

# The verifier, too, sees only these capabilities: without CAP_PERFMON it refuses a packet
# pointer moved by a register, which the programs therefore never do.
dp_as_user() # CAPS ARGS...: groupkey in $NS as the user with exactly the capabilities CAPS
{
	local caps=$1

	shift
	nsenter --net="/run/netns/$NS" setpriv --reuid="$USR" --regid=nogroup --clear-groups \
		--inh-caps=-all,"$caps" --ambient-caps=-all,"$caps" --bounding-set=-all,"$caps" \
		"$GK" "$@"
}

load_dp() # CAPS
{
	dp_as_user "$1" dataplane load --pin-dir "$PIN" --xdp va --tc vb
}

tap_check "CAP_BPF + CAP_NET_ADMIN: the data plane loads, pins its maps and attaches XDP and TC" \
	load_dp +bpf,+net_admin
LOAD_RC=$?

t_attached() {
	ip -n "$NS" link show dev va | grep -q 'prog/xdp id [1-9]' &&
		ip netns exec "$NS" tc filter show dev vb egress | grep -q 'gk_tc_egress' &&
		[ "$(stat -c %U "$PIN/gk_groups")" = "$USR" ] &&
		[ "$(stat -c %U "$PIN/gk_allow")" = "$USR" ]
}
tap_check "its programs are on va (XDP) and vb (TC egress), its pins the user's" t_attached

t_stats() {
	# What groupkeyd-metrics.service does: read the pins with CAP_BPF only.
	[ "$LOAD_RC" -eq 0 ] || "$GK" dataplane load --pin-dir "$PIN" >/dev/null 2>&1 || return 1
	chown -R "$USR:nogroup" "$PIN"
	as_user +bpf "$GK" stats --prometheus --pin-dir "$PIN" >"$GK_TMP/prom" &&
		grep -qx 'groupkeyd_dp_up 1' "$GK_TMP/prom"
}
tap_check "CAP_BPF alone reads the pinned maps (groupkey stats --prometheus, as the metrics timer)" \
	t_stats

# Our programs are known by their pins, not by name: reading a program's name by id
# (BPF_PROG_GET_FD_BY_ID) needs CAP_SYS_ADMIN, which the daemon does not have.
xdp_id() # DEV: id of the XDP program on DEV in $NS, empty when none
{
	ip -n "$NS" link show dev "$1" | sed -n 's|.*prog/xdp[a-z]* id \([0-9]*\).*|\1|p'
}

tc_egress() # DEV: our TC egress filter on DEV in $NS, as tc shows it
{
	ip netns exec "$NS" tc filter show dev "$1" egress | grep 'gk_tc_egress'
}

t_reload() {
	local before after

	before=$(xdp_id va)
	[ -n "$before" ] || { echo "no XDP program on va"; return 1; }
	load_dp +bpf,+net_admin || return 1
	after=$(xdp_id va)
	echo "XDP program on va: id $before, then id ${after:-none}"
	[ -n "$after" ] && [ "$after" != "$before" ] && tc_egress vb
}
tap_check "a second load as the user replaces its own attached programs (new XDP id on va)" \
	t_reload

t_unload() {
	dp_as_user +bpf,+net_admin dataplane unload --pin-dir "$PIN" --ifname va --ifname vb ||
		return 1
	ip -n "$NS" link show dev va
	# The directory itself stays: only root may remove an entry of /sys/fs/bpf.
	[ -z "$(xdp_id va)" ] && ! tc_egress vb && [ -z "$(ls -A "$PIN")" ]
}
tap_check "groupkey dataplane unload as the user takes both programs off and unpins" t_unload

# A program of someone else's on va: never replaced, and the refusal says why.
cat >"$GK_TMP/foreign.c" <<'EOC'
__attribute__((section("xdp"), used)) int foreign_xdp(void *ctx)
{
	return 2; /* XDP_PASS */
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOC
t_foreign() {
	local id

	# On its own, whatever the checks above left attached.
	ip -n "$NS" link set dev va xdp off && ip netns exec "$NS" tc qdisc del dev vb clsact
	clang -O2 -target bpf -c "$GK_TMP/foreign.c" -o "$GK_TMP/foreign.o" &&
		ip -n "$NS" link set dev va xdp obj "$GK_TMP/foreign.o" sec xdp || return 1
	id=$(xdp_id va)
	[ -n "$id" ] || return 1
	! load_dp +bpf,+net_admin >"$GK_TMP/foreign.out" 2>&1 || return 1
	cat "$GK_TMP/foreign.out"
	grep -q "va: XDP program id $id is attached already" "$GK_TMP/foreign.out" &&
		grep -q 'Device or resource busy' "$GK_TMP/foreign.out" &&
		[ "$(xdp_id va)" = "$id" ] && ! tc_egress vb
}
tap_check "a foreign XDP program on va: the user's load fails with EBUSY, naming its id" t_foreign
tap_done
