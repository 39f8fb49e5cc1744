#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Top-level test runner: runs every test program and namespace script against
# each build directory given, merges their TAP into one stream and ends with
# "N passed, N failed[, N skipped]". Exits non-zero on any failure.
#
#   tests/run.sh build build-asan      # what `make check` runs
#   GK_TESTS='cbor cose' tests/run.sh build   # only tests whose file name matches
set -u
cd "$(dirname "$0")/.." || exit 1

[ $# -ge 1 ] || set -- build
pass=0 fail=0 skip=0 n=0
failed_names=()

emit() { # verdict name [directive]
	n=$((n + 1))
	case $1 in
	ok) pass=$((pass + 1)); echo "ok $n - $2" ;;
	skip) skip=$((skip + 1)); echo "ok $n - $2 # SKIP${3:+ $3}" ;;
	*) fail=$((fail + 1)); failed_names+=("$2"); echo "not ok $n - $2" ;;
	esac
}

selected() {
	[ -z "${GK_TESTS:-}" ] && return 0
	local w
	for w in $GK_TESTS; do [[ $1 == *"$w"* ]] && return 0; done
	return 1
}

# Run one TAP-speaking program; re-number its results into our stream.
run_tap() { # label cmd...
	local label=$1; shift
	local out rc line seen=0 bad=0 plan=""
	out=$(mktemp)
	timeout --foreground -k 10 "${GK_TEST_TIMEOUT:-600}" "$@" >"$out" 2>&1 </dev/null
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*)
			seen=$((seen + 1))
			local nm=${line#ok * - }
			local why=${line##*# SKIP}
			emit skip "$label: ${nm%% # SKIP*}" "${why# }" ;;
		"ok "*)
			seen=$((seen + 1)); emit ok "$label: ${line#ok * - }" ;;
		"not ok "*)
			seen=$((seen + 1)); bad=1; emit fail "$label: ${line#not ok * - }" ;;
		1..*) plan=${line#1..} ;;
		"TAP version"*) ;;
		*) echo "    $line" ;;
		esac
	done <"$out"
	rm -f "$out"
	if [ -n "$plan" ] && [ "$seen" -lt "$plan" ]; then
		emit fail "$label: only $seen of $plan planned tests reported"
	elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		emit fail "$label: exited with status $rc"
	elif [ "$seen" -eq 0 ]; then
		emit fail "$label: reported no test"
	fi
}

echo "TAP version 13"
for b in "$@"; do
	if [ ! -d "$b/tests" ]; then
		emit fail "[$b] build directory missing (run make first)"
		continue
	fi
	tag=${b##*/}
	export GK_BUILD=$PWD/$b
	for t in "$b"/tests/test_* "$b"/tests/fuzz_*-replay; do
		[ -x "$t" ] || continue
		case $t in *.o|*.d) continue ;; esac
		selected "$t" || continue
		if [[ $t == *-replay ]]; then
			nm=${t##*/}; nm=${nm%-replay}
			run_tap "[$tag] $nm" "$t" "tests/fuzz/corpus/${nm#fuzz_}"
		else
			run_tap "[$tag] ${t##*/}" "$t"
		fi
	done
	for t in tests/cli/*.sh tests/daemon/*.sh tests/net/*.sh tests/interop/*.sh; do
		[ -x "$t" ] || continue
		selected "$t" || continue
		run_tap "[$tag] ${t#tests/}" "$t"
	done
done

echo "1..$n"
if [ "$fail" -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failed_names[@]}"
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
