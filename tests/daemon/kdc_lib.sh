# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Helpers for the KDC tests (source after tests/lib.sh and lib_daemon.sh): joins and raw requests
# with `groupkey group`, Join payloads built in Python (cbor2 + cryptography) for the refusals
# the CLI never produces, extra [group]/[client] sections. Not executable on purpose.

# Append a [group NAME] with KEY=VALUE lines, and a [client NAME-client] with the same PSK as
# alice that may ask for ROLES in it, to NAME's config (before it starts).
gkd_add_group() # CONF GROUP ROLES [KEY=VALUE...]
{
	local conf=$1 group=$2 roles=$3 kv

	shift 3
	{
		printf '\n[group %s]\nroles = %s\n' "$group" "$roles"
		for kv in "$@"; do
			printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
		done
		printf '\n[client %s-client]\npsk = %s\nscope = %s:%s\n' "$group" "$ALICE_PSK" \
			"$group" "$roles"
	} >>"$GK_TMP/$conf.conf"
}

# A token for CLIENT's GROUP:ROLES into FILE (the client of gkd_add_group, or alice).
token_for() # NAME FILE GROUP:ROLES [CLIENT]
{
	get_token "$1" "$2" "$3" "${4:-alice}" "$ALICE_PSK" >/dev/null
}

# groupkey group join against NAME with token FILE; output as expect_rc leaves it.
gjoin() # WANT NAME FILE GROUP ROLES [ARGS...]
{
	local want=$1 name=$2 file=$3 group=$4 roles=$5

	shift 5
	expect_rc "$want" "$GK" --json group join --kdc "$(kdcs_uri "$name")" \
		--authz-info "$(kdc_uri "$name")/authz-info" --token "$file" --group "$group" \
		--role "$roles" "$@"
}

# groupkey group CMD with the common options.
gcmd() # WANT CMD NAME FILE GROUP [ARGS...]
{
	local want=$1 cmd=$2 name=$3 file=$4 group=$5

	shift 5
	expect_rc "$want" "$GK" --json group "$cmd" --kdc "$(kdcs_uri "$name")" --token "$file" \
		--group "$group" "$@"
}

# A raw request; the JSON answer ({code, content_format, location, payload}) in $GK_TMP/out.
greq() # NAME FILE METHOD PATH [PAYLOADFILE] [ARGS...]
{
	local name=$1 file=$2 method=$3 path=$4 payload=${5:-}

	shift 4
	[ $# -eq 0 ] || shift
	expect_rc 0 "$GK" --json group request --kdc "$(kdcs_uri "$name")" --token "$file" \
		--method "$method" --path "$path" ${payload:+--payload "$payload"} "$@"
}

# Succeed iff the JSON in $GK_TMP/out has VALUE at PATH.
out_is() # PATH VALUE
{
	local got

	got=$(json_get "$1" <"$GK_TMP/out" 2>/dev/null)
	[ "$got" = "$2" ] && return 0
	echo "$1: got '$got', wanted '$2' in:"
	cat "$GK_TMP/out" "$GK_TMP/err"
	return 1
}

# A refusal with problem details: CODE and ace-groupcomm error id ID ("-" for none).
refused_with() # CODE ID
{
	out_is code "$1" || return 1
	if [ "$2" = - ]; then
		"$PY" -c 'import json, sys; sys.exit("error_id" in json.load(sys.stdin))' \
			<"$GK_TMP/out" || { echo "unexpected error_id"; cat "$GK_TMP/out"; return 1; }
	else
		out_is error_id "$2"
	fi
}

# Same, for greq output: payload {0: {0: ID}}.
raw_refused_with() # CODE ID
{
	out_is code "$1" && out_is content_format 257 || return 1
	[ "$2" = - ] || out_is payload.0.0 "$2"
}

# N_S of FILE's token as hex (posting it again: the KDC makes a fresh N_S each time).
post_ns() # NAME FILE
{
	"$GK" --json token post --kdc "$(kdc_uri "$1")" "$2" | json_get kdcchallenge |
		sed "s/^h'//; s/'$//"
}

# Write a Join payload (CBOR) to OUT: scope entry SCOPE (hex), N_S NS (hex), and a fresh P-256
# key; MODE is ok | badpop (signature over another N_S) | nocnonce | badcred (a P-384 key) |
# nopop (no client_cred_verify) | nocred (no client_cred). Its private key goes to OUT.key (a
# COSE_Key), N_C to OUT.nc (hex).
join_payload() # OUT SCOPE NS MODE
{
	"$PY" - "$@" <<'EOF'
import cbor2, os, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

out, scope, ns, mode = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), sys.argv[4]
curve = ec.SECP384R1() if mode == "badcred" else ec.SECP256R1()
size = 48 if mode == "badcred" else 32
key = ec.generate_private_key(curve)
pub = key.public_key().public_numbers()
cose = {1: 2, -1: 2 if mode == "badcred" else 1, -2: pub.x.to_bytes(size, "big"),
        -3: pub.y.to_bytes(size, "big")}
cred = cbor2.dumps({8: {1: cose}})
nc = os.urandom(8)
signed_ns = os.urandom(8) if mode == "badpop" else ns
der = key.sign(cbor2.dumps(scope) + cbor2.dumps(signed_ns) + cbor2.dumps(nc),
               ec.ECDSA(hashes.SHA256()))
r, s = decode_dss_signature(der)
sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
req = {3: scope, 5: cred, 6: nc, 24: sig}
if mode == "nocnonce":
    del req[6]
if mode == "nopop":
    del req[24]
if mode == "nocred":
    del req[5], req[24]
open(out, "wb").write(cbor2.dumps(req))
open(out + ".nc", "w").write(nc.hex())
d = key.private_numbers().private_value.to_bytes(size, "big")
open(out + ".key", "wb").write(cbor2.dumps({1: 2, -1: 1, -2: cose[-2], -3: cose[-3], -4: d}))
EOF
}

# The AIF scope entry [GROUP, Tperm] as hex, e.g. scope_entry g1 6.
scope_entry() # GROUP TPERM
{
	"$PY" -c 'import cbor2, sys; print(cbor2.dumps([sys.argv[1], int(sys.argv[2])]).hex())' \
		"$1" "$2"
}

# A bundle of a token made with the AS-KDC key for [[GROUP, TPERM]], PoP key id KIDHEX (no 00
# byte), a fresh PoP key, valid SECONDS (default 600).
make_bundle_for() # OUT GROUP TPERM KIDHEX [SECONDS]
{
	local scope key

	scope=$("$PY" -c 'import cbor2, sys
print(cbor2.dumps([[sys.argv[1], int(sys.argv[2])]]).hex())' "$2" "$3")
	key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	make_token "$1.cwt" "{\"iss\": \"groupkeyd-as\", \"aud\": \"groupkeyd-kdc\",
  \"exp\": @NOW+${5:-600}, \"scope\": \"h'$scope'\", \"cnf\": {\"COSE_Key\": {\"kty\": 4,
  \"kid\": \"h'$4'\", \"k\": \"h'$key'\"}}}" >/dev/null &&
		make_bundle "$1" "$1.cwt" "$4" "$key" "$scope"
}
