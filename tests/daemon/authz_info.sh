#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Token transfer to groupkeyd's /authz-info over plain CoAP (RFC 9200 §5.10.1, RFC 9594 §3.3):
# the success path and every refusal with its code, Block1 bodies, 4.13, 4.29 and 4.05.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"

tap_init
require_cmd ss coap-client-gnutls
gkd_config kdc kdc.max_payload=1500 || tap_bail "config" "cannot write the config"
gkd_config rl kdc.authz_rate=1 kdc.authz_burst=3 || tap_bail "config" "cannot write the config"
gkd_config short as.token_lifetime=3 || tap_bail "config" "cannot write the config"
tap_check "three groupkeyd instances start" eval 'gkd_start kdc && gkd_start rl && gkd_start short' ||
	tap_bail "groupkeyd start" "see above"

expect_post() { # CODE FILE [ARGS...]: token post fails with CODE (e.g. 4.01)
	local code=$1 file=$2

	shift 2
	expect_rc 1 "$GK" --json token post --kdc "$(kdc_uri kdc)" "$@" "$file" &&
		[ "$(json_get code <"$GK_TMP/out")" = "$code" ] && return 0
	cat "$GK_TMP/out" "$GK_TMP/err"
	return 1
}

KEY=00112233445566778899aabbccddeeff
CLAIMS_OK='"iss": "groupkeyd-as", "exp": @NOW+600, "iat": @NOW-0, "cti": "h'"'0a0b'"'",
  "cnf": {"COSE_Key": {"kty": 4, "kid": "h'"'6b69643031'"'", "k": "h'"'$KEY'"'"}}'
SCOPE_G1='"scope": "h'"'818262673102'"'"'

t_post() {
	expect_rc 0 get_token kdc "$GK_TMP/a.cbor" g1:sender,receiver &&
		expect_rc 0 post_token kdc "$GK_TMP/a.cbor" &&
		grep -Eq '^kdcchallenge [0-9a-f]{16}$' "$GK_TMP/out" &&
		cp "$GK_TMP/out" "$GK_TMP/ns1" &&
		expect_rc 0 post_token kdc "$GK_TMP/a.cbor" &&
		! cmp -s "$GK_TMP/out" "$GK_TMP/ns1"
}
tap_check "token from the AS accepted: 2.01 with an 8-byte N_S, fresh on every post" t_post

t_sign_info() {
	expect_rc 0 "$GK" --json token post --kdc "$(kdc_uri kdc)" --sign-info "$GK_TMP/a.cbor" &&
		[ "$(json_get code <"$GK_TMP/out")" = 2.01 ] &&
		[ "$(json_get sign_info.0.0 <"$GK_TMP/out")" = g1 ] &&
		[ "$(json_get kdcchallenge <"$GK_TMP/out" | wc -c)" -eq 20 ]
}
tap_check "sign_info asked in an ace+cbor map (ct 19): returned with N_S" t_sign_info

t_tampered() {
	"$PY" - "$GK_TMP/a.cbor" "$GK_TMP/tampered.cwt" <<'EOF' || return 1
import cbor2, sys
t = bytearray(cbor2.loads(open(sys.argv[1], "rb").read())[1])
t[-3] ^= 0x01
open(sys.argv[2], "wb").write(bytes(t))
EOF
	expect_post 4.01 "$GK_TMP/tampered.cwt"
}
tap_check "tampered token: 4.01" t_tampered

t_garbage() {
	printf '\xff\xfe\xfd garbage' >"$GK_TMP/garbage.bin" &&
		expect_post 4.00 "$GK_TMP/garbage.bin" &&
		printf '\xa1\x01\x02' >"$GK_TMP/map.bin" &&
		expect_post 4.00 "$GK_TMP/map.bin"
}
tap_check "garbage CBOR and CBOR that is no token: 4.00" t_garbage

t_content_format() {
	expect_post 4.15 "$GK_TMP/a.cbor" --content-format 0 &&
		expect_post 4.15 "$GK_TMP/a.cbor" --content-format 50
}
tap_check "wrong Content-Format (text/plain, JSON): 4.15" t_content_format

t_block1() {
	# 1400 bytes go in two Block1 blocks; reassembled, they are refused as no token (4.00).
	head -c 1400 /dev/zero | tr '\0' x >"$GK_TMP/x1400" &&
		expect_post 4.00 "$GK_TMP/x1400" &&
		head -c 1501 /dev/zero | tr '\0' x >"$GK_TMP/x1501" &&
		expect_post 4.13 "$GK_TMP/x1501" &&
		head -c 20000 /dev/zero | tr '\0' x >"$GK_TMP/x20000" &&
		expect_post 4.13 "$GK_TMP/x20000"
}
tap_check "Block1 body reassembled (1400 B: 4.00); above max_payload 1500: 4.13" t_block1

t_expired() {
	make_token "$GK_TMP/expired.cwt" "{\"aud\": \"groupkeyd-kdc\", \"exp\": @NOW-10, $SCOPE_G1,
  \"iss\": \"groupkeyd-as\", \"cnf\": {\"COSE_Key\": {\"kty\": 4, \"kid\": \"h'6b6964'\",
  \"k\": \"h'$KEY'\"}}}" >/dev/null || return 1
	expect_post 4.01 "$GK_TMP/expired.cwt"
}
tap_check "expired token: 4.01" t_expired

t_expires_live() {
	local f=$GK_TMP/short.cbor

	expect_rc 0 get_token short "$f" g1:sender &&
		expect_rc 0 "$GK" token post --kdc "$(kdc_uri short)" "$f" || return 1
	# token_lifetime is 3 s: poll until the KDC calls it expired.
	slowwait 10000 expect_rc 1 "$GK" --json token post --kdc "$(kdc_uri short)" "$f" &&
		[ "$(json_get code <"$GK_TMP/out")" = 4.01 ]
}
tap_check "AS token with a 3 s lifetime: 2.01, then 4.01 once expired" t_expires_live

t_claims() { # CODE CLAIMS-JSON
	make_token "$GK_TMP/made.cwt" "$2" >/dev/null || return 1
	expect_post "$1" "$GK_TMP/made.cwt"
}
tap_check "token created under the AS-KDC key accepted (2.01 reference case)" \
	eval 'make_token "$GK_TMP/made.cwt" "{\"aud\": \"groupkeyd-kdc\", $SCOPE_G1, $CLAIMS_OK}" >/dev/null &&
	expect_rc 0 post_token kdc "$GK_TMP/made.cwt"'
tap_check "wrong audience: 4.03" t_claims 4.03 "{\"aud\": \"other-kdc\", $SCOPE_G1, $CLAIMS_OK}"
tap_check "untrusted issuer under the right key: 4.01" t_claims 4.01 \
	"{\"aud\": \"groupkeyd-kdc\", $SCOPE_G1, ${CLAIMS_OK/groupkeyd-as/evil-as}}"
tap_check "scope naming an unknown group: 4.00" t_claims 4.00 \
	"{\"aud\": \"groupkeyd-kdc\", \"scope\": \"h'81826573706f6f6602'\", $CLAIMS_OK}"
tap_check "no scope: 4.00" t_claims 4.00 "{\"aud\": \"groupkeyd-kdc\", $CLAIMS_OK}"

t_methods() {
	coap-client-gnutls -B 5 -m get "$(kdc_uri kdc)/authz-info" >"$GK_TMP/out" 2>&1
	grep -q '4\.05' "$GK_TMP/out" || { cat "$GK_TMP/out"; return 1; }
	coap-client-gnutls -B 5 -m delete "$(kdc_uri kdc)/authz-info" >"$GK_TMP/out" 2>&1
	grep -q '4\.05' "$GK_TMP/out" || { cat "$GK_TMP/out"; return 1; }
}
tap_check "GET and DELETE on /authz-info: 4.05" t_methods

t_well_known() {
	coap-client-gnutls -B 5 -m get "$(kdc_uri kdc)/.well-known/core" >"$GK_TMP/out" 2>&1
	grep -q '</ace-group>;[^,]*if="ace.groups"' "$GK_TMP/out" &&
		grep -q '</authz-info>' "$GK_TMP/out" && grep -q '</token>' "$GK_TMP/out" && return 0
	cat "$GK_TMP/out"
	return 1
}
tap_check "/.well-known/core lists /token, /authz-info and /ace-group (if=ace.groups)" t_well_known

t_rate_limit() {
	local i ok=0 code

	expect_rc 0 get_token rl "$GK_TMP/rl.cbor" g2:receiver || return 1
	# Burst 3 at 1/s: posting back to back, at least 3 pass and then one is refused.
	for i in $(seq 10); do
		"$GK" --json token post --kdc "$(kdc_uri rl)" "$GK_TMP/rl.cbor" >"$GK_TMP/out" 2>/dev/null
		code=$(json_get code <"$GK_TMP/out")
		[ "$code" = 2.01 ] || break
		ok=$((ok + 1))
	done
	[ "$ok" -ge 3 ] && [ "$code" = 4.29 ] || { echo "$ok accepted, then $code"; return 1; }
	# A token comes back within a second.
	slowwait 3000 expect_rc 0 "$GK" token post --kdc "$(kdc_uri rl)" "$GK_TMP/rl.cbor"
}
tap_check "rate limit (1/s, burst 3): back-to-back posts get 4.29 after the burst, pass again later" t_rate_limit

tap_check "all instances stop cleanly on SIGTERM" eval 'gkd_stop kdc && gkd_stop rl && gkd_stop short'
tap_done
