# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Shared helpers for the namespace tests in tests/net (source it from bash): TAP output,
# uniquely named network namespaces, a deferred-cleanup stack, polling waits, requirements.
#
# Typical use, in the style of the kernel's tools/testing/selftests/net/lib.sh:
#
#	source "$(dirname "$0")/../lib.sh"
#	tap_init                     # plan printed by tap_done, so early bail-outs stay valid
#	require_root
#	require_cmd ip bpftool
#	setup_ns NS_A NS_B || tap_bail "namespaces" "cannot create"
#	tap_check "veth pair" setup_veth "$NS_A" va "$NS_B" vb
#	defer ip -n "$NS_B" link set dev vb xdp off
#	...
#	tap_done                     # exits: 0 only when every result was ok or skipped
#
# Sourcing installs `trap cleanup EXIT`: deferred commands run last-in first-out,
# then every namespace from setup_ns is deleted, whatever way the script ends.
# The helpers keep their state in shell variables, so call tap_*, setup_ns and
# defer in the script's own shell, never inside $(...) or a pipeline.

GK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${GK_BUILD:=$GK_ROOT/build}"
GK_TEST_NAME=$(basename "$0" .sh)

GK_TAP_N=0
GK_TAP_FAILED=0
GK_TAP_PLAN=
GK_NS_LIST=()
GK_DEFER=()
GK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gk-$GK_TEST_NAME.XXXXXX") || exit 1

# --- TAP ------------------------------------------------------------------

# Print every line of every argument as a TAP diagnostic; empty arguments print nothing.
tap_diag() # MSG...
{
	local msg line

	for msg in "$@"; do
		[ -n "$msg" ] || continue
		while IFS= read -r line; do
			printf '# %s\n' "$line"
		done <<<"$msg"
	done
}

tap_init() # [PLAN]
{
	echo "TAP version 13"
	[ $# -eq 0 ] || tap_plan "$1"
}

tap_plan() # N
{
	GK_TAP_PLAN=$1
	echo "1..$1"
}

tap_ok() # NAME
{
	GK_TAP_N=$((GK_TAP_N + 1))
	echo "ok $GK_TAP_N - $1"
}

tap_fail() # NAME [DIAGNOSTIC...]
{
	GK_TAP_N=$((GK_TAP_N + 1))
	GK_TAP_FAILED=$((GK_TAP_FAILED + 1))
	echo "not ok $GK_TAP_N - $1"
	shift
	[ $# -eq 0 ] || tap_diag "$@"
	return 1
}

tap_skip() # NAME REASON
{
	GK_TAP_N=$((GK_TAP_N + 1))
	echo "ok $GK_TAP_N - $1 # SKIP $2"
}

# Run CMD (output captured, shown only on failure) and report it as one result.
# Returns the command's exit status, so `tap_check ... || tap_bail ...` stops early.
tap_check() # NAME CMD...
{
	local name=$1 out rc

	shift
	out=$(mktemp "${TMPDIR:-/tmp}/gk-check.XXXXXX") || return 1
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		tap_ok "$name"
	else
		tap_fail "$name" "\$ $*" "exit status $rc" "$(cat "$out")"
	fi
	rm -f -- "$out"
	return "$rc"
}

# Print the plan unless it came first, and exit: non-zero after any failure or a
# count that does not match the plan. The EXIT trap then runs the cleanup.
tap_done()
{
	if [ -z "$GK_TAP_PLAN" ]; then
		echo "1..$GK_TAP_N"
	elif [ "$GK_TAP_N" -ne "$GK_TAP_PLAN" ]; then
		tap_diag "planned $GK_TAP_PLAN tests but ran $GK_TAP_N"
		GK_TAP_FAILED=$((GK_TAP_FAILED + 1))
	fi
	[ "$GK_TAP_FAILED" -eq 0 ] && exit 0
	exit 1
}

# Report a failure that leaves nothing meaningful to test, and stop.
tap_bail() # NAME [DIAGNOSTIC...]
{
	tap_fail "$@"
	tap_done
}

# --- requirements ----------------------------------------------------------

# A missing command is a broken installation, not a missing kernel feature: fail.
require_cmd() # CMD...
{
	local c missing=()

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	tap_bail "$GK_TEST_NAME: required commands" "missing: ${missing[*]}" \
		"scripts/deps.sh installs the packages the tests need"
}

# Namespaces, veths and BPF need root; without it the whole script is skipped.
require_root()
{
	[ "$(id -u)" -eq 0 ] && return 0
	tap_skip "$GK_TEST_NAME" "needs root (network namespaces, BPF)"
	tap_done
}

# Path of a build product under $GK_BUILD; fails, with a diagnostic, if it was not built.
gk_bin() # NAME
{
	local path=$GK_BUILD/$1

	if [ ! -e "$path" ]; then
		echo "# gk_bin: $path does not exist (build it with make O=${GK_BUILD##*/})" >&2
		return 1
	fi
	printf '%s\n' "$path"
}

# --- deferred cleanup ------------------------------------------------------

# Queue CMD to run at cleanup; arguments are quoted now, so later changes to
# the variables they came from do not matter.
defer() # CMD...
{
	GK_DEFER+=("$(printf '%q ' "$@")")
}

# Run the deferred commands newest first, delete our namespaces and the scratch
# directory. Safe to call more than once; keeps the caller's exit status.
cleanup()
{
	local rc=$? i

	for ((i = ${#GK_DEFER[@]} - 1; i >= 0; i--)); do
		eval "${GK_DEFER[i]}" >/dev/null 2>&1 ||
			tap_diag "cleanup: '${GK_DEFER[i]% }' failed (ignored)"
	done
	GK_DEFER=()
	cleanup_all_ns || tap_diag "cleanup: a namespace could not be deleted"
	[ -d "$GK_TMP" ] && rm -rf -- "$GK_TMP"
	return "$rc"
}

# End background processes this script started, by pid, and reap them; pids
# that already exited are fine. Meant for defer: `cmd & defer stop_pid $!`.
stop_pid() # PID...
{
	local pid

	for pid in "$@"; do
		kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 0
}

trap cleanup EXIT
# Let timeout(1) and Ctrl-C end the script through the EXIT trap, so cleanup runs.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- network namespaces -----------------------------------------------------

# Create one namespace per variable name, named gk-<pid>-<random>-<var>, bring up
# its loopback, register it for cleanup and store its name in the variable.
setup_ns() # VAR...
{
	local var ns

	for var in "$@"; do
		ns=$(printf 'gk-%d-%08x-%s' "$$" "${SRANDOM:-$RANDOM}" "${var,,}")
		if ! ip netns add "$ns"; then
			tap_diag "setup_ns: cannot create namespace $ns"
			return 1
		fi
		GK_NS_LIST+=("$ns")
		printf -v "$var" '%s' "$ns"
		ip -n "$ns" link set dev lo up || return 1
	done
}

# Delete every namespace setup_ns made. Processes still inside them were started
# by this script (the names are unique to it) and are ended by pid first.
cleanup_all_ns()
{
	local ns pids rc=0

	for ns in "${GK_NS_LIST[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086 # one pid per word
		[ -z "$pids" ] || kill $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
		[ ! -e "/run/netns/$ns" ] || rc=1
	done
	GK_NS_LIST=()
	return "$rc"
}

# Run CMD in NS's network namespace only: unlike `ip netns exec`, which mounts a fresh /sys,
# the caller's bpffs (and our pins under it) stays visible. To start a daemon in the
# background, call nsenter itself: `in_ns NS daemon &` would leave a subshell's pid in $!.
in_ns() # NS CMD...
{
	local ns=$1

	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# A test's safety net: unload the data plane pinned at PIN from NS's interfaces, if it is still
# pinned (a daemon's clean stop has unpinned it already; NS "-" is our own namespace).
dp_unload_left() # NS PIN IFNAME...
{
	local ns=$1 pin=$2 ifname args=()

	shift 2
	[ -e "$pin/gk_groups" ] || return 0
	for ifname in "$@"; do args+=(--ifname "$ifname"); done
	if [ "$ns" = - ]; then
		"$(gk_bin groupkey)" dataplane unload --pin-dir "$pin" "${args[@]}"
	else
		in_ns "$ns" "$(gk_bin groupkey)" dataplane unload --pin-dir "$pin" "${args[@]}"
	fi
}

# A veth pair with one end in each namespace; both ends stay down.
setup_veth() # NS_A DEV_A NS_B DEV_B
{
	ip -n "$1" link add name "$2" type veth peer name "$4" netns "$3"
}

# --- waiting ----------------------------------------------------------------

gk_now_ms()
{
	local us=${EPOCHREALTIME/[.,]/}

	echo $((us / 1000))
}

# Retry CMD until it succeeds or TIMEOUT_MS passes, pausing PAUSE seconds between tries.
gk_poll() # PAUSE TIMEOUT_MS CMD...
{
	local pause=$1 timeout=$2 start rc

	shift 2
	start=$(gk_now_ms)
	while :; do
		"$@" && return 0
		rc=$?
		[ $(($(gk_now_ms) - start)) -lt "$timeout" ] || return "$rc"
		[ "$pause" = 0 ] || sleep "$pause"
	done
}

# For short waits (a packet crossing a veth): retry at once. Returns CMD's last status.
busywait() # TIMEOUT_MS CMD...
{
	gk_poll 0 "$@"
}

# For slow waits (a process starting up): retry every 100 ms. Returns CMD's last status.
slowwait() # TIMEOUT_MS CMD...
{
	gk_poll 0.1 "$@"
}
