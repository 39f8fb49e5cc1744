#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo` as a test: scripts/demo.sh runs the whole chain (AS + KDC + gateway host, a legacy
# host behind it, two member-mode daemons, a CLI member who leaves, an attacker) in its own
# namespaces; every step it reports becomes a TAP line here, and the script's exit status must
# agree with them.
source "$(dirname "$0")/../lib.sh"

tap_init
require_root
require_cmd ip nsenter ss
gk_bin groupkeyd >/dev/null || tap_bail "groupkeyd" "not built"

out=$GK_TMP/demo.out
bash "$GK_ROOT/scripts/demo.sh" "$GK_BUILD" >"$out" 2>&1
rc=$?
n_ok=0
while IFS= read -r line; do
	case $line in
	"  [ok]   "*) tap_ok "demo: ${line#  \[ok\]   }"; n_ok=$((n_ok + 1)) ;;
	"  [FAIL] "*) tap_fail "demo: ${line#  \[FAIL\] }" ;;
	esac
done <"$out"
if [ "$rc" != 0 ] && [ -d /tmp/groupkeyd-demo-logs ]; then
	for f in /tmp/groupkeyd-demo-logs/*.log; do
		tap_diag "--- $f"
		grep -v '^v:1\|^<<' "$f" | tail -n 15 | while IFS= read -r l; do tap_diag "$l"; done
	done
fi
# 19 steps today: a step that silently disappears from the script is a failure too.
tap_check "demo: exit status 0 and all 19 steps seen" test "$rc:$n_ok" = "0:19"
tap_done
