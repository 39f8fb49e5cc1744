#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# groupkeyd's process behaviour: options and exit codes, --check-config on good and
# broken files (FILE:LINE: on stderr), then a real start on loopback with a private
# state directory: ports bound, file modes, SIGHUP survived, clean exit 0 on SIGTERM.
source "$(dirname "$0")/../lib.sh"

tap_init
require_cmd ss sha256sum

# GK_GROUPKEYD overrides the binary (a build with another layout).
GKD=${GK_GROUPKEYD:-$GK_BUILD/groupkeyd}
if [ ! -f "$GKD" ] || [ ! -x "$GKD" ]; then
	tap_bail "groupkeyd binary" "$GKD is not an executable file (make O=${GK_BUILD##*/})"
fi
SHIPPED=$GK_ROOT/packaging/groupkeyd.conf
PSK_HEX=$(sed -n 's/^psk = //p' "$SHIPPED")

# Run groupkeyd, keeping its exit status, stdout and stderr for the checks.
run_gkd() # ARGS...
{
	"$GKD" "$@" >"$GK_TMP/out" 2>"$GK_TMP/err"
	RC=$?
}

expect_rc() # WANT WHAT
{
	[ "$RC" -eq "$1" ] && return 0
	echo "exit status $RC, want $1 ($2)"
	echo "stdout: $(cat "$GK_TMP/out")"
	echo "stderr: $(cat "$GK_TMP/err")"
	return 1
}

check_help()
{
	run_gkd --help
	expect_rc 0 --help && grep -q '^Usage: groupkeyd ' "$GK_TMP/out" &&
		grep -q -- '--check-config' "$GK_TMP/out" && [ ! -s "$GK_TMP/err" ]
}

check_version()
{
	run_gkd --version
	expect_rc 0 --version && grep -Eqx 'groupkeyd [0-9]+\.[0-9]+\.[0-9]+' "$GK_TMP/out"
}

check_bad_option()
{
	run_gkd --no-such-option
	expect_rc 2 "unknown option" && grep -q '^Usage: groupkeyd ' "$GK_TMP/err" &&
		[ ! -s "$GK_TMP/out" ] || return 1
	run_gkd --check-config extra-argument
	expect_rc 2 "stray argument" && grep -q "unexpected argument 'extra-argument'" "$GK_TMP/err"
}

check_shipped_config()
{
	run_gkd --check-config --config "$SHIPPED"
	expect_rc 0 "shipped config" && [ "$(cat "$GK_TMP/out")" = "$SHIPPED: OK" ] &&
		[ ! -s "$GK_TMP/err" ]
}

# A broken file: exit 1, exactly one line on stderr starting with FILE:LINE:, nothing on stdout.
check_broken() # LINE EXPECTED-MESSAGE CONFIG-TEXT
{
	local conf=$GK_TMP/broken.conf want="$GK_TMP/broken.conf:$1: $2"

	printf '%b' "$3" >"$conf"
	run_gkd --check-config -c "$conf"
	expect_rc 1 "broken config" || return 1
	if [ "$(cat "$GK_TMP/err")" != "$want" ]; then
		echo "stderr: $(cat "$GK_TMP/err")"
		echo "want:   $want"
		return 1
	fi
	[ ! -s "$GK_TMP/out" ]
}

check_missing_config()
{
	run_gkd --check-config -c "$GK_TMP/none.conf"
	expect_rc 1 "missing config" &&
		[ "$(cat "$GK_TMP/err")" = "$GK_TMP/none.conf: No such file or directory" ]
}

tap_check "--help exits 0 with the usage on stdout" check_help
tap_check "--version exits 0" check_version
tap_check "an unknown option or argument exits 2" check_bad_option
tap_check "--check-config accepts packaging/groupkeyd.conf" check_shipped_config
tap_check "--check-config: unknown key" \
	check_broken 3 "unknown key 'colour' in [daemon]" '[daemon]\nlog_level = info\ncolour = blue\n'
tap_check "--check-config: port out of range" \
	check_broken 2 "coaps_port: 70000 is out of range 1..65535" '[daemon]\ncoaps_port = 70000\n'
tap_check "--check-config: unknown role in a scope" \
	check_broken 4 "scope: unknown role 'admin' (roles: sender, receiver, monitor)" \
	"[group g]\n[client c]\npsk = $PSK_HEX\nscope = g:admin\n"
tap_check "--check-config: syntax error" \
	check_broken 2 "syntax error: expected 'key = value' or '[section]'" '[as]\nenabled\n'
tap_check "--check-config: missing file exits 1" check_missing_config

# --- a real start ------------------------------------------------------------------

STATE=$GK_TMP/state
CONF=$GK_TMP/groupkeyd.conf
LOG=$GK_TMP/groupkeyd.log
PID=

port_bound() # PORT
{
	[ -n "$(ss -Hlun "sport = :$1")" ]
}

# Two consecutive free UDP ports; the daemon binding them is the real test of "free".
# Below the ephemeral range (32768..), where a client's source port could take one first.
pick_ports()
{
	local p i

	for i in $(seq 50); do
		p=$((20000 + RANDOM % 12000))
		port_bound "$p" || port_bound $((p + 1)) || { echo "$p"; return 0; }
	done
	return 1
}

write_conf() # COAP_PORT
{
	sed -e "s|^#\?state_dir = .*|state_dir = $STATE|" \
		-e "s|^#\?coap_port = .*|coap_port = $1|" \
		-e "s|^#\?coaps_port = .*|coaps_port = $(($1 + 1))|" "$SHIPPED" >"$CONF"
	chmod 600 "$CONF"
}

start_daemon()
{
	"$GKD" --foreground -vv --config "$CONF" 2>>"$LOG" &
	PID=$!
	defer stop_pid "$PID"
}

ports_up() # PORT
{
	kill -0 "$PID" 2>/dev/null && port_bound "$1" && port_bound $(($1 + 1))
}

no_secret_logged()
{
	local key

	key=$(head -c 32 "$STATE/as-kdc.key") || return 1
	[ ${#key} -eq 32 ] && [ ${#PSK_HEX} -ge 32 ] || return 1
	! grep -qi -e "$PSK_HEX" -e "$key" "$LOG"
}

mode_is() # MODE PATH
{
	local m

	m=$(stat -c %a "$2") || return 1
	[ "$m" = "$1" ] || { echo "$2 has mode $m, want $1"; return 1; }
}

gone()
{
	! kill -0 "$PID" 2>/dev/null
}

# The signal, then exit status 0 within 5 s.
stop_daemon() # SIGNAL
{
	local rc

	kill -"$1" "$PID" || return 1
	if ! slowwait 5000 gone; then
		echo "still running 5 s after SIG$1"
		kill -KILL "$PID"
		return 1
	fi
	wait "$PID"
	rc=$?
	[ "$rc" -eq 0 ] || { echo "exit status $rc"; tail -n 20 "$LOG"; return 1; }
}

P=$(pick_ports) || tap_bail "free UDP ports" "found no two free consecutive ports"
write_conf "$P"
start_daemon
tap_check "groupkeyd binds coap :$P and coaps :$((P + 1))" slowwait 10000 ports_up "$P" ||
	tap_bail "daemon start" "$(cat "$LOG")"
tap_check "start-up line names ports, AS and groups" grep -q \
	"groupkeyd [0-9.]* started: coap :$P, coaps :$((P + 1)), AS on, 1 group, 0 memberships\$" "$LOG"
tap_check "state directory is 0700" mode_is 700 "$STATE"
tap_check "database is 0600" mode_is 600 "$STATE/groupkeyd.db"
tap_check "generated AS-KDC key is 0600" mode_is 600 "$STATE/as-kdc.key"
KEY_SUM=$(sha256sum <"$STATE/as-kdc.key")

kill -HUP "$PID"
tap_check "SIGHUP reloads (the same file: nothing to change) and is survived" \
	slowwait 5000 grep -q 'reload: .* unchanged$' "$LOG"
tap_check "still running after SIGHUP" kill -0 "$PID"
tap_check "SIGTERM: clean exit 0" stop_daemon TERM
tap_check "ports released" eval "! port_bound $P && ! port_bound $((P + 1))"
tap_check "shutdown logged" grep -q 'groupkeyd stopped$' "$LOG"

# A restart keeps the state and the key, and shuts down cleanly again.
start_daemon
tap_check "restart binds the ports again" slowwait 10000 ports_up "$P"
tap_check "restart reuses the AS-KDC key" eval '[ "$(sha256sum <"$STATE/as-kdc.key")" = "$KEY_SUM" ]'
tap_check "SIGINT: clean exit 0" stop_daemon INT
tap_check "no secret in the log" no_secret_logged
tap_diag "$(cat "$LOG")"

# --- --member NAME: refused before a worker starts ---------------------------------

MCONF=$GK_TMP/member.conf
MSTATE=$GK_TMP/member.state

# A member-only config with one [member gm]; nothing listens at its KDC address.
write_member_conf()
{
	cat >"$MCONF" <<EOF
[daemon]
state_dir = $MSTATE

[as]
enabled = no

[kdc]
enabled = no

[member gm]
kdc = coaps://127.0.0.1:9
authz_info = coap://127.0.0.1:9/authz-info
client_id = alice
psk = $PSK_HEX
roles = sender
address = 239.255.70.1
port = 5000

[dataplane]
enabled = yes
interfaces = lo
pin_dir = $GK_TMP/pins
EOF
	chmod 600 "$MCONF"
}

# Exit 2 with nothing on stdout and a first stderr line matching REGEX, followed by
# nothing or by the usage. The timeout turns a worker that started anyway into a failure.
check_refused() # REGEX ARGS...
{
	local re=$1

	shift
	timeout 10 "$GKD" "$@" >"$GK_TMP/out" 2>"$GK_TMP/err"
	RC=$?
	expect_rc 2 "$*" || return 1
	if ! head -n 1 "$GK_TMP/err" | grep -Eq -- "$re" ||
		{ [ "$(wc -l <"$GK_TMP/err")" -gt 1 ] &&
			! sed -n 2p "$GK_TMP/err" | grep -q '^Usage: groupkeyd '; }; then
		echo "stderr: $(cat "$GK_TMP/err")"
		echo "want one line matching /$re/ (then the usage or nothing)"
		return 1
	fi
	[ ! -s "$GK_TMP/out" ]
}

write_member_conf
run_gkd --check-config -c "$MCONF"
tap_check "--check-config accepts the [member gm] config" expect_rc 0 "member config"
tap_check "--member without a name exits 2" \
	check_refused "^[^ ]*groupkeyd: option '--member' requires an argument\$" -c "$MCONF" --member
tap_check "--member with no such [member] section exits 2" \
	check_refused "^groupkeyd: error: no \\[member nosuch\\] in $MCONF\$" -c "$MCONF" --member nosuch
tap_check "--member names are case-sensitive" \
	check_refused "^groupkeyd: error: no \\[member GM\\] in $MCONF\$" -c "$MCONF" --member GM
tap_check "--member with an empty name exits 2" \
	check_refused "^groupkeyd: error: no \\[member \\] in $MCONF\$" -c "$MCONF" --member ""
tap_check "--member given twice (same name) exits 2" \
	check_refused '^groupkeyd: --member given twice$' -c "$MCONF" --member gm --member gm
tap_check "--member given twice (two names) exits 2" \
	check_refused '^groupkeyd: --member given twice$' --member gm -c "$MCONF" --member nosuch
tap_check "--member with --check-config exits 2" \
	check_refused '^groupkeyd: --member cannot be combined with --check-config$' \
	-c "$MCONF" --member gm --check-config
tap_check "--check-config with --member of no section exits 2 (no OK)" \
	check_refused '^groupkeyd: --member cannot be combined with --check-config$' \
	--check-config -c "$MCONF" --member nosuch
tap_check "no refused --member ran a worker (state directory untouched)" test ! -e "$MSTATE"

tap_done
