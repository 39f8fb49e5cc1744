#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `groupkey stats --prometheus` on a data plane pinned in a scratch bpffs directory: the text
# parses with python3-prometheus-client (an independent reader of the format), counters per
# group and verdict, key version, seconds to exp and senders heard come out as documented.
source "$(dirname "$0")/../lib.sh"

tap_init
require_root
require_cmd bpftool
GK=$(gk_bin groupkey) || tap_bail "groupkey" "not built"
PY=/usr/bin/python3
PIN=/sys/fs/bpf/gk-test-prom-$$
GROUP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
	tap_bail "bpffs" "/sys/fs/bpf is not bpffs and cannot be mounted"

# Parse the exposition on stdin; print "name{label=value,...} value" per sample, sorted.
parse() {
	"$PY" -c 'import sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        out.append("%s %s{%s} %d" % (fam.type, s.name, labels, s.value))
print("\n".join(sorted(out)))'
}

t_nothing_pinned() {
	"$GK" stats --prometheus --pin-dir "$PIN" >"$GK_TMP/out" || return 1
	[ "$(parse <"$GK_TMP/out")" = "gauge groupkeyd_dp_up{} 0" ]
}
tap_check "nothing pinned: groupkeyd_dp_up 0 alone, exit 0" t_nothing_pinned

tap_check "usage: --prometheus with --json is refused (exit 2)" \
	eval '"$GK" stats --prometheus --json --pin-dir "$PIN"; [ $? -eq 2 ]'

setup() {
	local now

	now=$(date +%s)
	"$GK" dataplane load --pin-dir "$PIN" &&
		"$GK" dataplane group-add --pin-dir "$PIN" --addr 239.1.2.3 --port 5000 --group 7 \
			--sender 3 --send &&
		"$GK" dataplane group-add --pin-dir "$PIN" --addr ff05::1:3 --port 5683 --group 7 &&
		"$GK" dataplane group-add --pin-dir "$PIN" --addr 239.9.9.9 --port 6000 --group 9 &&
		"$GK" dataplane key-add --pin-dir "$PIN" --group 7 --name demo --key-id 4 \
			--group-key "$GROUP_KEY" --exp $((now + 60)) &&
		"$GK" dataplane key-add --pin-dir "$PIN" --group 7 --name demo --key-id 5 \
			--group-key "$GROUP_KEY" --exp $((now + 3600)) --grace 30 &&
		"$GK" dataplane send-key --pin-dir "$PIN" --group 7 --key-id 5 &&
		"$GK" dataplane key-add --pin-dir "$PIN" --group 9 --name other --key-id 12 \
			--group-key "$GROUP_KEY" --exp $((now - 10)) || return 1
	# Replay windows: senders 1 and 2 under key 5, sender 1 under key 4. Only the keys
	# (group, sender, key version) count; the value is a fresh window, all zero.
	local k vsize zero
	vsize=$(bpftool -j map show pinned "$PIN/gk_replay" |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["bytes_value"])') || return 1
	zero=$(for ((i = 0; i < vsize; i++)); do printf '00 '; done)
	for k in "07 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00" \
		"07 00 00 00 02 00 00 00 05 00 00 00 00 00 00 00" \
		"07 00 00 00 01 00 00 00 04 00 00 00 00 00 00 00"; do
		# shellcheck disable=SC2086 # one hex byte per word, as bpftool wants them
		bpftool map update pinned "$PIN/gk_replay" key hex $k value hex $zero || return 1
	done
}
defer "$GK" dataplane unload --pin-dir "$PIN"
tap_check "a data plane pinned at $PIN with groups 7 and 9, keys and replay windows" setup ||
	tap_bail "set-up" "see above"

"$GK" stats --prometheus --pin-dir "$PIN" >"$GK_TMP/prom"
parse <"$GK_TMP/prom" >"$GK_TMP/parsed"

has() { # LINE...
	local l

	for l in "$@"; do
		grep -qxF -- "$l" "$GK_TMP/parsed" || { echo "missing: $l"; cat "$GK_TMP/parsed"; return 1; }
	done
}

tap_check "parses as Prometheus text; groupkeyd_dp_up 1" has "gauge groupkeyd_dp_up{} 1"
tap_check "a counter per group and verdict (12 verdicts x 2 groups, packets and bytes)" eval \
	'[ "$(grep -c "^counter groupkeyd_dp_packets_total{group_id=[79],verdict=" "$GK_TMP/parsed")" -eq 24 ] &&
	 [ "$(grep -c "^counter groupkeyd_dp_bytes_total{group_id=[79],verdict=" "$GK_TMP/parsed")" -eq 24 ] &&
	 has "counter groupkeyd_dp_packets_total{group_id=7,verdict=bad_tag} 0"'
tap_check "addresses as info labels, counted per group" has \
	"gauge groupkeyd_dp_group_info{address=239.1.2.3:5000,group_id=7} 1" \
	"gauge groupkeyd_dp_group_info{address=[ff05::1:3]:5683,group_id=7} 1" \
	"gauge groupkeyd_dp_group_addresses{group_id=7} 2" \
	"gauge groupkeyd_dp_group_addresses{group_id=9} 1"
tap_check "key version: the one stamped with (5 of 4, 5), else the newest (12)" has \
	"gauge groupkeyd_dp_keys{group_id=7} 2" "gauge groupkeyd_dp_key_version{group_id=7} 5" \
	"gauge groupkeyd_dp_key_version{group_id=9} 12" "gauge groupkeyd_dp_sending{group_id=7} 1" \
	"gauge groupkeyd_dp_sending{group_id=9} 0"

t_expiry() {
	local v7 v9

	v7=$(sed -n 's/^gauge groupkeyd_dp_key_expiry_seconds{group_id=7} //p' "$GK_TMP/parsed")
	v9=$(sed -n 's/^gauge groupkeyd_dp_key_expiry_seconds{group_id=9} //p' "$GK_TMP/parsed")
	tap_diag "expiry seconds: group 7 $v7 (exp now+3600), group 9 $v9 (exp now-10)"
	[ -n "$v7" ] && [ "$v7" -ge 3590 ] && [ "$v7" -le 3600 ] &&
		[ -n "$v9" ] && [ "$v9" -ge -20 ] && [ "$v9" -le -10 ]
}
tap_check "seconds to exp of the current key, negative once past it" t_expiry
tap_check "senders heard under the current key only (2 under key 5; key 4's ignored)" has \
	"gauge groupkeyd_dp_senders{group_id=7} 2" "gauge groupkeyd_dp_senders{group_id=9} 0"

t_one_group() {
	"$GK" stats --prometheus --group 9 --pin-dir "$PIN" | parse >"$GK_TMP/g9" &&
		! grep -q 'group_id=7' "$GK_TMP/g9" &&
		grep -qxF "gauge groupkeyd_dp_key_version{group_id=9} 12" "$GK_TMP/g9"
}
tap_check "--group 9: that group only" t_one_group

t_no_secret() {
	# The derived SipHash keys are in gk_keys' values: none of their bytes may leak.
	! grep -qi "$GROUP_KEY" "$GK_TMP/prom" && ! grep -q 'k0\|k1' "$GK_TMP/prom"
}
tap_check "no key material in the output" t_no_secret
tap_done
