#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make check-packages`: run every tests/packaging/*.sh, merge their TAP into one stream and end
# with "N passed, N failed[, N skipped]". A "# TODO" result is a known gap: shown, not failed.
#
#   tests/packaging/run.sh [PKG_OUT]        # packages are built into PKG_OUT (build-packages)
#   GK_TESTS='unit man' tests/packaging/run.sh   # only the scripts whose name matches
set -u
cd "$(dirname "$0")/../.." || exit 1

export GK_PKG_OUT=$PWD/${1:-build-packages}
# The unit tests' build, for the scripts that run groupkey or groupkeyd from the tree.
export GK_BUILD=${GK_BUILD:-$PWD/build}
pass=0 fail=0 skip=0 todo=0 n=0
failed=()

selected() {
	[ -z "${GK_TESTS:-}" ] && return 0
	local w
	for w in $GK_TESTS; do [[ $1 == *"$w"* ]] && return 0; done
	return 1
}

echo "TAP version 13"
for t in tests/packaging/*.sh; do
	[ "$t" = tests/packaging/run.sh ] && continue
	[ -x "$t" ] || continue
	selected "$t" || continue
	label=${t#tests/}
	out=$(mktemp)
	timeout --foreground -k 10 "${GK_PKG_TEST_TIMEOUT:-1500}" "$t" >"$out" 2>&1 </dev/null
	rc=$?
	seen=0 bad=0
	while IFS= read -r line; do
		case $line in
		"not ok "*"# TODO"*)
			n=$((n + 1)) todo=$((todo + 1)) seen=$((seen + 1))
			echo "not ok $n - $label: ${line#not ok * - }" ;;
		"ok "*"# SKIP"*)
			n=$((n + 1)) skip=$((skip + 1)) seen=$((seen + 1))
			echo "ok $n - $label: ${line#ok * - }" ;;
		"ok "*)
			n=$((n + 1)) pass=$((pass + 1)) seen=$((seen + 1))
			echo "ok $n - $label: ${line#ok * - }" ;;
		"not ok "*)
			n=$((n + 1)) fail=$((fail + 1)) seen=$((seen + 1)) bad=1
			failed+=("$label: ${line#not ok * - }")
			echo "not ok $n - $label: ${line#not ok * - }" ;;
		1..* | "TAP version"*) ;;
		*) echo "    $line" ;;
		esac
	done <"$out"
	rm -f "$out"
	if [ "$seen" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
		n=$((n + 1)) fail=$((fail + 1))
		failed+=("$label: exited with status $rc")
		echo "not ok $n - $label: exited with status $rc after $seen results"
	fi
done
echo "1..$n"
if [ "$fail" -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failed[@]}"
fi
[ "$todo" -eq 0 ] || echo "# $todo known gap(s) marked TODO"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
