# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Helpers for the daemon tests (source after tests/lib.sh): start groupkeyd on loopback with a
# scratch config and state, wait for its ports, stop it with SIGTERM, run the CLI against it.
# Not executable on purpose: tests/run.sh runs only the executable tests/daemon/*.sh.

GK=$(gk_bin groupkey) || tap_bail "groupkey CLI" "not built"
GKD=$(gk_bin groupkeyd) || tap_bail "groupkeyd" "not built"
PY=/usr/bin/python3 # Debian's interpreter, with python3-cbor2

# The AS-KDC key of every test config: a COSE_Key {1: 4, 2: h'41532d4b4443', 3: 10, -1: K}.
AS_KDC_K=000102030405060708090a0b0c0d0e0f
AS_KDC_KID=41532d4b4443
AS_KDC_KEY=a40104024641532d4b4443030a2050$AS_KDC_K
ALICE_PSK=616c6963652d7365637265742d30303031
BOB_PSK=626f622d7365637265742d3030303031

declare -A GKD_PID GKD_COAP GKD_COAPS

# Print N distinct free UDP ports on 127.0.0.1 (held together while they are chosen).
free_udp_ports() # N
{
	"$PY" - "$1" <<'EOF'
import random, socket, sys
socks = []
# Below the kernel's ephemeral range (ip_local_port_range starts at 32768), so a
# client's source port cannot take one between this choice and the daemon's bind.
while len(socks) < int(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", random.randrange(20000, 32000)))
    except OSError:
        s.close()
        continue
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Write $GK_TMP/NAME.conf: loopback, fresh ports, state in $GK_TMP/NAME.state, the test AS-KDC
# key, clients alice (g1 sender+receiver, g2 receiver) and bob (g2 monitor), groups g1..g3.
# Extra [kdc]/[as] keys come as KEY=VALUE arguments: "as.token_lifetime=3" "kdc.authz_rate=1".
gkd_config() # NAME [SECTION.KEY=VALUE...]
{
	local name=$1 ports kv key as_keys="" kdc_keys=""
	local -A kdc=([as_kdc_key]=$AS_KDC_KEY [authz_rate]=1000 [authz_burst]=1000)

	shift
	ports=$(free_udp_ports 2) || return 1
	GKD_COAP[$name]=${ports% *}
	GKD_COAPS[$name]=${ports#* }
	for kv in "$@"; do
		case $kv in
		as.*=*) as_keys+="${kv#as.}"$'\n' ;;
		kdc.*=*) key=${kv#kdc.}; kdc[${key%%=*}]=${key#*=} ;;
		*) echo "gkd_config: bad argument $kv"; return 1 ;;
		esac
	done
	for key in "${!kdc[@]}"; do
		kdc_keys+="$key = ${kdc[$key]}"$'\n'
	done
	cat >"$GK_TMP/$name.conf" <<EOF
[daemon]
state_dir = $GK_TMP/$name.state
listen = 127.0.0.1
coap_port = ${GKD_COAP[$name]}
coaps_port = ${GKD_COAPS[$name]}
log_level = info

[as]
$as_keys
[kdc]
$kdc_keys
[client alice]
psk = $ALICE_PSK
scope = g1:sender,receiver; g2:receiver

[client bob]
psk = $BOB_PSK
scope = g2:monitor

[group g1]
roles = sender,receiver,monitor

[group g2]
roles = receiver,monitor

[group g3]
roles = sender
EOF
	chmod 600 "$GK_TMP/$name.conf"
}

port_bound() # PORT
{
	[ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]
}

gkd_alive() # NAME
{
	kill -0 "${GKD_PID[$1]}" 2>/dev/null
}

gkd_ready() # NAME
{
	gkd_alive "$1" && port_bound "${GKD_COAP[$1]}" && port_bound "${GKD_COAPS[$1]}"
}

# Start groupkeyd on NAME's config (log: $GK_TMP/NAME.log, appended) and wait for both ports.
gkd_start() # NAME
{
	local name=$1

	"$GKD" --config "$GK_TMP/$name.conf" --foreground >>"$GK_TMP/$name.log" 2>&1 &
	GKD_PID[$name]=$!
	# GK_KEEP_LOGS=DIR keeps the daemon's log past the scratch directory's removal.
	[ -z "${GK_KEEP_LOGS:-}" ] ||
		defer cp "$GK_TMP/$name.log" "$GK_KEEP_LOGS/$GK_TEST_NAME-$name.log"
	defer stop_pid "${GKD_PID[$name]}"
	if ! slowwait 15000 gkd_ready "$name"; then
		echo "groupkeyd $name did not come up:"
		cat "$GK_TMP/$name.log"
		return 1
	fi
}

# SIGTERM, then require a clean exit (status 0: under ASan that includes no leak).
gkd_stop() # NAME
{
	local name=$1 rc

	kill -TERM "${GKD_PID[$name]}" 2>/dev/null || return 1
	wait "${GKD_PID[$name]}"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "groupkeyd $name exited with status $rc:"
		tail -n 40 "$GK_TMP/$name.log"
		return 1
	fi
}

as_uri() { echo "coaps://127.0.0.1:${GKD_COAPS[$1]}"; }
kdc_uri() { echo "coap://127.0.0.1:${GKD_COAP[$1]}"; }
kdcs_uri() { echo "coaps://127.0.0.1:${GKD_COAPS[$1]}"; }

# Run CMD with stdout in $GK_TMP/out and stderr in $GK_TMP/err; succeed iff it exits WANT.
expect_rc() # WANT CMD...
{
	local want=$1 rc

	shift
	"$@" >"$GK_TMP/out" 2>"$GK_TMP/err"
	rc=$?
	[ "$rc" -eq "$want" ] && return 0
	echo "\$ $*"
	echo "exit $rc, wanted $want"
	cat "$GK_TMP/out" "$GK_TMP/err"
	return 1
}

# The value at a dotted path of the JSON on stdin (list indexes as numbers).
json_get() # PATH
{
	"$PY" -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1"
}

# Fail with the files' content unless stderr or stdout matches REGEX.
output_has() # REGEX
{
	grep -Eq -- "$1" "$GK_TMP/out" "$GK_TMP/err" && return 0
	echo "no match for /$1/ in:"
	cat "$GK_TMP/out" "$GK_TMP/err"
	return 1
}

# Ask NAME's AS for a token as alice (or CLIENT with PSK) and save the bundle to FILE.
get_token() # NAME FILE SCOPE [CLIENT PSK]
{
	"$GK" token request --as "$(as_uri "$1")" --client-id "${4:-alice}" \
		--psk "${5:-$ALICE_PSK}" --scope "$3" --audience groupkeyd-kdc -o "$2"
}

post_token() # NAME FILE [ARGS...]
{
	local name=$1 file=$2

	shift 2
	"$GK" token post --kdc "$(kdc_uri "$name")" "$@" "$file"
}

fetch_groups() # NAME FILE [ARGS...]
{
	local name=$1 file=$2

	shift 2
	"$GK" kdc fetch-groups --kdc "$(kdcs_uri "$name")" --token "$file" "$@"
}

# A field of a token bundle, as hex: token | kid | key | scope.
bundle_field() # FILE FIELD
{
	"$PY" - "$1" "$2" <<'EOF'
import cbor2, sys
b = cbor2.loads(open(sys.argv[1], "rb").read())
f = sys.argv[2]
v = {"token": lambda: b[1], "kid": lambda: b[8][1][2], "key": lambda: b[8][1][-1],
     "scope": lambda: b[9]}[f]()
print(v.hex())
EOF
}

# Create a token with `groupkey token create` under the AS-KDC key: CLAIMS is JSON text in
# which @NOW+N / @NOW-N become times relative to now. Output (raw CBOR) to FILE.
make_token() # FILE CLAIMS
{
	local now claims

	now=$(date +%s)
	claims=$("$PY" -c 'import re, sys
now = int(sys.argv[2])
print(re.sub(r"@NOW([+-]\d+)", lambda m: str(now + int(m.group(1))), sys.argv[1]))' "$2" "$now")
	printf '%s' "$AS_KDC_KEY" >"$GK_TMP/as-kdc.key"
	printf '%s\n' "$claims" >"$GK_TMP/claims.json"
	"$GK" token create --key "$GK_TMP/as-kdc.key" --alg AES-CCM-16-64-128 --kid \
		--claims "$GK_TMP/claims.json" -o "$1"
}

# make_token, redrawn (fresh IV) until the token has no 00 byte, so that it can be a PSK
# identity: libcoap 4.3.1 + GnuTLS carry identities as C strings.
make_token_nul_free() # FILE CLAIMS
{
	local i

	for i in $(seq 100); do
		make_token "$@" || return 1
		"$PY" -c 'import sys; sys.exit(b"\0" in open(sys.argv[1], "rb").read())' "$1" &&
			return 0
	done
	echo "100 tokens in a row held a 00 byte"
	return 1
}

# Wrap a bare token into a bundle with PoP key KEY (hex) named KID (hex) and scope SCOPE (hex).
make_bundle() # OUT TOKENFILE KID KEY SCOPE
{
	"$PY" - "$@" <<'EOF2'
import cbor2, sys
out, tok, kid, key, scope = sys.argv[1:]
b = {1: open(tok, "rb").read(), 8: {1: {1: 4, 2: bytes.fromhex(kid), -1: bytes.fromhex(key)}},
     9: bytes.fromhex(scope)}
open(out, "wb").write(cbor2.dumps(b))
EOF2
}

# The RFC 9202 §3.3 identity {8: {1: {1: 4, 2: kid}}} of a bundle's PoP key, as hex.
kid_identity_hex() # FILE
{
	"$PY" -c 'import cbor2, sys
b = cbor2.loads(open(sys.argv[1], "rb").read())
print(cbor2.dumps({8: {1: {1: 4, 2: b[8][1][2]}}}).hex())' "$1"
}

# Set VAR to the bytes of HEX, for a command-line argument (fails on a 00 byte: argv cannot
# carry it).
hex_to_arg() # VAR HEX
{
	local hex=$2 esc="" i

	for ((i = 0; i < ${#hex}; i += 2)); do
		[ "${hex:i:2}" != 00 ] || return 1
		esc+="\\x${hex:i:2}"
	done
	printf -v "$1" '%b' "$esc"
}

# get_token, retried until the PoP key has no 00 byte (1 in 17 keys has one) so that
# coap-client-gnutls, which reads -k as a C string, can use it.
get_token_argv_safe() # NAME FILE SCOPE
{
	local i key

	for i in $(seq 20); do
		get_token "$@" >/dev/null || return 1
		hex_to_arg key "$(bundle_field "$2" key)" && return 0
	done
	echo "20 PoP keys in a row held a 00 byte"
	return 1
}
