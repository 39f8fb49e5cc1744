#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A Join with Debian's coap-client-gnutls (libcoap 4.3.1 examples): the token posted to
# /authz-info for N_S, a Join payload prepared in Python (cbor2 + cryptography: P-256 key, PoP
# over bstr(scope) || bstr(N_S) || bstr(N_C)), POSTed over DTLS-PSK with the kid identity and the
# PoP key; join_response.py checks every label of the answer, the COSE_Key and kdc_cred_verify.
# coap-client takes -u/-k as C strings (see coap_client_gnutls.sh): tokens are asked for until the
# PoP key and the identity hold no 00 byte.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon/lib_daemon.sh"
source "$(dirname "$0")/../daemon/kdc_lib.sh"

tap_init
require_cmd ss coap-client-gnutls
gkd_config cj || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts" gkd_start cj || tap_bail "groupkeyd start" "see above"

T=$GK_TMP
B=$T/tok.cbor

argv_safe_token() {
	local i

	for i in $(seq 20); do
		get_token_argv_safe cj "$B" g1:sender,receiver || return 1
		hex_to_arg ID "$(kid_identity_hex "$B")" && hex_to_arg KEY "$(bundle_field "$B" key)" &&
			return 0
	done
	return 1
}
tap_check "token from the AS (PoP key and kid identity without 00 bytes)" argv_safe_token ||
	tap_bail "token" "no usable token"
"$PY" -c 'import cbor2, sys
open(sys.argv[2], "wb").write(cbor2.loads(open(sys.argv[1], "rb").read())[1])' "$B" "$T/tok.cwt"

cc() # OUT ARGS... (coap-client's messages in $T/cc.out)
{
	local out=$1

	shift
	rm -f "$out"
	coap-client-gnutls -B 5 "$@" -o "$out" >"$T/cc.out" 2>&1
}

t_post() {
	cc "$T/ns.cbor" -m post -t 61 -f "$T/tok.cwt" "$(kdc_uri cj)/authz-info" &&
		NS=$("$PY" -c 'import cbor2, sys
print(cbor2.loads(open(sys.argv[1], "rb").read())[46].hex())' "$T/ns.cbor") &&
		[ ${#NS} -eq 16 ] || { cat "$T/cc.out"; return 1; }
}
tap_check "coap-client POST /authz-info: N_S (8 bytes)" t_post || tap_bail "N_S" "none"

t_join() {
	join_payload "$T/join.cbor" "$(scope_entry g1 6)" "$NS" ok &&
		cc "$T/resp.cbor" -m post -t 261 -f "$T/join.cbor" -u "$ID" -k "$KEY" \
			"$(kdcs_uri cj)/ace-group/g1" && [ -s "$T/resp.cbor" ] ||
		{ cat "$T/cc.out"; return 1; }
}
tap_check "coap-client -m post -t 261 -f JOIN -u KID-IDENTITY -k POPKEY coaps /ace-group/g1" \
	t_join

t_check() {
	"$PY" "$(dirname "$0")/join_response.py" "$T/resp.cbor" "$(cat "$T/join.cbor.nc")" \
		"$T/cj.state/kdc-cred.key"
}
tap_check "join_response.py: every label, the COSE_Key, kdc_cred_verify (cbor2, cryptography)" \
	t_check

t_member() {
	# The same coap-client, now a member: GET /ace-group/g1 answers with the same num.
	cc "$T/get.cbor" -m get -u "$ID" -k "$KEY" "$(kdcs_uri cj)/ace-group/g1" &&
		"$PY" -c 'import cbor2, sys
j = cbor2.loads(open(sys.argv[1], "rb").read()); g = cbor2.loads(open(sys.argv[2], "rb").read())
# The Join is followed by the rekey on join (backward security) within 200 ms: num or num + 1.
ok = g[9] in (j[9], j[9] + 1) and g[8][2] == g[9].to_bytes(4, "big") and -65537 not in g
sys.exit(0 if ok and (g[9] != j[9] or g[8] == j[8]) else "get %r join %r" % (g, j))' \
			"$T/resp.cbor" "$T/get.cbor" || { cat "$T/cc.out"; return 1; }
	# And the CLI sees coap-client's member among the credentials: the CCS it registered.
	gcmd 0 creds cj "$B" g1 && "$PY" -c 'import cbor2, json, sys
c = json.load(open(sys.argv[1]))["creds"]
k = cbor2.loads(open(sys.argv[2], "rb").read())
sys.exit(len(c) != 1 or cbor2.loads(bytes.fromhex(c[0]["cred"][2:-1]))[8][1][-2] != k[-2])' \
		"$T/out" "$T/join.cbor.key"
}
tap_check "coap-client as a member: GET /ace-group/g1 2.05 (num, or num + 1); creds list it" \
	t_member

t_refused() {
	local hex

	# A second Join signed over a stale N_S: 4.00 with problem details error 3. coap-client
	# prints an error's payload with '.' for every unprintable byte; at -v 7 it dumps the PDU.
	join_payload "$T/bad.cbor" "$(scope_entry g1 6)" "$NS" badpop &&
		cc "$T/bad.out" -v 7 -m post -t 261 -f "$T/bad.cbor" -u "$ID" -k "$KEY" \
			"$(kdcs_uri cj)/ace-group/g1"
	hex=$(grep -a -A1 't:ACK c:4.00' "$T/cc.out" | sed -n '2s/^<<\([0-9a-f]*\)>>.*/\1/p')
	[ -n "$hex" ] && grep -aq 'Content-Format:257' "$T/cc.out" && "$PY" -c 'import cbor2, sys
p = cbor2.loads(bytes.fromhex(sys.argv[1]))
sys.exit(0 if p[0] == {0: 3} else "problem details %r" % p)' "$hex" ||
		{ grep -a -v DTLS "$T/cc.out" | tail; return 1; }
}
tap_check "coap-client Join with a bad PoP: 4.00, problem details {0: {0: 3}}" t_refused

tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop cj
tap_done
