#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop with Debian's coap-client-gnutls (libcoap 4.3.1 examples/coap-client.c): it posts a
# token from groupkeyd's AS to /authz-info, then FETCHes /ace-group over DTLS-PSK with
# -u {8: {1: {1: 4, 2: kid}}} -k POPKEY, which the KDC authorizes.
#
# coap-client 4.3.1 reads -u and -k as C strings (no 0x-hex form: "-k 0x..." is the literal
# bytes "0x..."), and cuts -u at 128 bytes (MAX_USER): keys holding a 00 byte cannot be given
# (a fresh token is asked for then), and no token of our AS fits as a -u identity.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon/lib_daemon.sh"

tap_init
require_cmd ss coap-client-gnutls
gkd_config cc || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts" gkd_start cc || tap_bail "groupkeyd start" "see above"

B=$GK_TMP/tok.cbor
tap_check "token from the AS (PoP key without 00 bytes)" get_token_argv_safe cc "$B" g1:sender ||
	tap_bail "token" "no usable token"
"$PY" -c 'import cbor2, sys
b = cbor2.loads(open(sys.argv[1], "rb").read())
open(sys.argv[2], "wb").write(b[1])' "$B" "$GK_TMP/tok.cwt"
printf '\xa1\x00\x81\x62g1' >"$GK_TMP/req.cbor" # {0: ["g1"]}
hex_to_arg ID "$(kid_identity_hex "$B")" || tap_bail "identity" "kid identity holds a 00 byte"
hex_to_arg KEY "$(bundle_field "$B" key)" || tap_bail "key" "PoP key holds a 00 byte"

# Decode a CBOR file and compare it with a Python literal.
cbor_is() # FILE PYTHON-LITERAL
{
	"$PY" -c 'import ast, cbor2, sys
got = cbor2.loads(open(sys.argv[1], "rb").read())
want = ast.literal_eval(sys.argv[2])
if got != want:
    sys.exit("got %r, wanted %r" % (got, want))' "$1" "$2"
}

fetch() # OUT IDENTITY KEY [EXTRA...]
{
	local out=$1 id=$2 key=$3

	shift 3
	rm -f "$out"
	coap-client-gnutls -B 5 -m fetch -t 261 -f "$GK_TMP/req.cbor" -u "$id" -k "$key" "$@" \
		-o "$out" "$(kdcs_uri cc)/ace-group" >"$GK_TMP/cc.out" 2>&1
}

t_post() {
	rm -f "$GK_TMP/ns.cbor"
	coap-client-gnutls -B 5 -m post -t 61 -f "$GK_TMP/tok.cwt" -o "$GK_TMP/ns.cbor" \
		"$(kdc_uri cc)/authz-info" >"$GK_TMP/cc.out" 2>&1
	"$PY" -c 'import cbor2, sys
m = cbor2.loads(open(sys.argv[1], "rb").read())
sys.exit(0 if set(m) == {46} and len(m[46]) == 8 else "bad answer %r" % (m,))' \
		"$GK_TMP/ns.cbor" || { cat "$GK_TMP/cc.out"; return 1; }
}
tap_check "coap-client-gnutls -m post -t 61 -f TOKEN /authz-info: 2.01 {46: 8-byte N_S}" t_post

t_fetch() {
	fetch "$GK_TMP/groups.cbor" "$ID" "$KEY" &&
		cbor_is "$GK_TMP/groups.cbor" "{0: ['g1'], 1: ['g1'], 2: ['/ace-group/g1']}" ||
		{ cat "$GK_TMP/cc.out"; return 1; }
}
tap_check "coap-client-gnutls -u KID-IDENTITY -k POPKEY -m fetch coaps /ace-group: 2.05" t_fetch

t_token_identity() {
	local len tok

	len=$(stat -c %s "$GK_TMP/tok.cwt")
	hex_to_arg tok "$(bundle_field "$B" token)" || return 1
	fetch "$GK_TMP/x.cbor" "$tok" "$KEY" -B 3
	if [ "$len" -le 128 ]; then
		cbor_is "$GK_TMP/x.cbor" "{0: ['g1'], 1: ['g1'], 2: ['/ace-group/g1']}"
		return
	fi
	# Over 128 bytes coap-client sends only the first 128: not a token, handshake refused.
	[ ! -s "$GK_TMP/x.cbor" ] || { echo "a $len-byte identity got through"; return 1; }
	# The daemon saw exactly 128 bytes of identity.
	slowwait 3000 grep -q 'PSK identity of 128 bytes refused' "$GK_TMP/cc.log" ||
		{ echo "$len-byte token:"; tail -n 5 "$GK_TMP/cc.log"; return 1; }
	expect_rc 0 fetch_groups cc "$B" --identity token
}
tap_check "token as -u identity: coap-client cuts it at 128 bytes; groupkey's client does not" \
	t_token_identity

t_plain() {
	coap-client-gnutls -B 5 -m fetch -t 261 -f "$GK_TMP/req.cbor" "$(kdc_uri cc)/ace-group" \
		>"$GK_TMP/cc.out" 2>&1
	grep -q '4\.01' "$GK_TMP/cc.out" || { cat "$GK_TMP/cc.out"; return 1; }
}
tap_check "coap-client-gnutls FETCH /ace-group over plain CoAP: 4.01" t_plain

# Wrong-key handshakes come last: libcoap 4.3.1 keeps such a server session in its handshake for
# up to 60 s and feeds any new ClientHello from the same address:port into it, so a later client
# that happened to get the same ephemeral port would fail.
t_other_key() {
	fetch "$GK_TMP/x.cbor" "$ID" "another-16B-key!" -B 3
	[ ! -s "$GK_TMP/x.cbor" ] || { echo "got an answer with another key"; return 1; }
}
tap_check "same with another key: no answer (handshake fails)" t_other_key

t_hex_key_literal() {
	fetch "$GK_TMP/x.cbor" "$ID" "0x$(bundle_field "$B" key)" -B 3
	[ ! -s "$GK_TMP/x.cbor" ] || { echo "coap-client now decodes -k 0x..."; return 1; }
}
tap_check "coap-client 4.3.1 takes -k 0xHEX literally: the hex form of the key fails" \
	t_hex_key_literal

tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop cc
tap_done
