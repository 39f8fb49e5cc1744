#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `groupkey token` end to end: the RFC 8392 Appendix A tokens verify with the A.2 keys,
# tampered/expired/misaddressed ones are refused with the reason, usage errors exit 2.
source "$(dirname "$0")/../lib.sh"

tap_init
GK=$(gk_bin groupkey)
V=$GK_ROOT/tests/vectors/rfc8392-cwt.txt
NOW=1444000000

vec() { awk -v n="$1" '$1 == n { print $2 }' "$V"; }
for n in A2_1_KEY_SYMMETRIC128 A2_2_KEY_SYMMETRIC256 A2_3_KEY_ECDSA256 \
	A3_SIGNED A4_MACED A5_ENCRYPTED A6_NESTED; do
	vec "$n" >"$GK_TMP/$n.hex"
done
K1=$GK_TMP/A2_1_KEY_SYMMETRIC128.hex
K2=$GK_TMP/A2_2_KEY_SYMMETRIC256.hex
K3=$GK_TMP/A2_3_KEY_ECDSA256.hex
# RFC 8392's A.2.2 key is a 256-bit HMAC key whose alg says AES-CCM-16-64-128 (10);
# RFC 9052 §7.1 makes a key's alg binding, so using it for A.4 takes --ignore-key-alg.
KEYS=(--key "$K1" --key "$K2" --key "$K3" --ignore-key-alg)

# Flip one hex digit at a character offset of a hex file.
flip() { # IN OFFSET OUT
	/usr/bin/python3 -c 'import sys
s = open(sys.argv[1]).read().strip(); i = int(sys.argv[2])
open(sys.argv[3], "w").write(s[:i] + format(int(s[i], 16) ^ 1, "x") + s[i + 1:])' "$@"
}
json_get() { /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1"; }

expect_rc() { # WANT CMD... (stdout to $GK_TMP/out, stderr to $GK_TMP/err)
	local want=$1 rc
	shift
	"$@" >"$GK_TMP/out" 2>"$GK_TMP/err"
	rc=$?
	[ "$rc" -eq "$want" ] || { echo "exit $rc, wanted $want"; cat "$GK_TMP/err"; return 1; }
}

t_help() {
	expect_rc 0 "$GK" --help && grep -q token "$GK_TMP/out" &&
		expect_rc 0 "$GK" token --help && grep -q -- "--claims" "$GK_TMP/out" &&
		grep -q verify "$GK_TMP/out"
}
tap_check "groupkey --help and token --help document the commands" t_help

t_verify_vector() { # NAME
	expect_rc 0 "$GK" token verify "${KEYS[@]}" --now $NOW "$GK_TMP/$1.hex" || return 1
	[ "$(json_get claims.iss <"$GK_TMP/out")" = "coap://as.example.com" ] &&
		[ "$(json_get claims.exp <"$GK_TMP/out")" = 1444064944 ] &&
		[ "$(json_get claims.cti <"$GK_TMP/out")" = "h'0b71'" ] &&
		[ "$(json_get verified <"$GK_TMP/out")" = True ]
}
for t in A3_SIGNED A4_MACED A5_ENCRYPTED A6_NESTED; do
	tap_check "verify RFC 8392 $t with the A.2 keys" t_verify_vector "$t"
done

t_raw() {
	/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' \
		"$GK_TMP/A4_MACED.hex" >"$GK_TMP/a4.cbor" &&
		expect_rc 0 "$GK" token verify "${KEYS[@]}" --now $NOW "$GK_TMP/a4.cbor" &&
		expect_rc 0 "$GK" token verify "${KEYS[@]}" --now $NOW - <"$GK_TMP/a4.cbor"
}
tap_check "raw CBOR file and stdin accepted as well as hex" t_raw

t_reject() { # FILE REASON-REGEX EXTRA...
	local f=$1 re=$2
	shift 2
	expect_rc 1 "$GK" token verify "${KEYS[@]}" --now $NOW "$@" "$f" || return 1
	grep -Eq "$re" "$GK_TMP/err" || { cat "$GK_TMP/err"; return 1; }
}
# A.4: the 8-byte tag is the last 16 hex digits. A.5: the ciphertext ends the token.
flip "$GK_TMP/A4_MACED.hex" $(($(wc -c <"$GK_TMP/A4_MACED.hex") - 5)) "$GK_TMP/a4-bad.hex"
flip "$GK_TMP/A5_ENCRYPTED.hex" 200 "$GK_TMP/a5-bad.hex"
flip "$GK_TMP/A3_SIGNED.hex" 100 "$GK_TMP/a3-bad.hex"
tap_check "tampered A.4 refused: bad MAC" t_reject "$GK_TMP/a4-bad.hex" "MAC"
tap_check "tampered A.5 refused: decryption failure" t_reject "$GK_TMP/a5-bad.hex" "decrypt"
tap_check "tampered A.3 refused: bad signature" t_reject "$GK_TMP/a3-bad.hex" "signature"
tap_check "A.4 after exp refused: expired" t_reject "$GK_TMP/A4_MACED.hex" "expired" --now 1500000000
tap_check "A.4 before nbf refused: not yet valid" t_reject "$GK_TMP/A4_MACED.hex" "not yet valid" --now 1400000000
tap_check "A.5 for another audience refused" t_reject "$GK_TMP/A5_ENCRYPTED.hex" "audience" --aud coap://kdc.example
tap_check "A.3 with the other issuer refused" t_reject "$GK_TMP/A3_SIGNED.hex" "issuer" --iss coap://other

t_wrong_key() {
	expect_rc 1 "$GK" token verify --key "$K1" --now $NOW "$GK_TMP/A4_MACED.hex" &&
		grep -q "key" "$GK_TMP/err"
}
tap_check "A.4 with only the AES key refused: no usable key" t_wrong_key

t_key_alg_binding() {
	expect_rc 1 "$GK" token verify --key "$K2" --now $NOW "$GK_TMP/A4_MACED.hex" &&
		grep -q "key" "$GK_TMP/err"
}
tap_check "A.2.2 key's alg (10) is binding without --ignore-key-alg" t_key_alg_binding

t_garbage() {
	printf 'ff00ff00' >"$GK_TMP/garbage.hex"
	expect_rc 1 "$GK" token verify --key "$K1" "$GK_TMP/garbage.hex" &&
		expect_rc 1 "$GK" token decode "$GK_TMP/garbage.hex" &&
		head -c 100000 /dev/zero >"$GK_TMP/big.bin" &&
		expect_rc 1 "$GK" token decode "$GK_TMP/big.bin" && grep -qi "large" "$GK_TMP/err" &&
		expect_rc 1 "$GK" token verify --key "$GK_TMP/missing.key" "$GK_TMP/A4_MACED.hex" &&
		expect_rc 1 "$GK" token verify --key "$GK_TMP/A4_MACED.hex" "$GK_TMP/A4_MACED.hex" &&
		grep -q "COSE_Key" "$GK_TMP/err"
}
tap_check "garbage, oversize, missing and non-key files refused with a reason" t_garbage

t_usage() {
	expect_rc 2 "$GK" token verify "$GK_TMP/A4_MACED.hex" &&
		expect_rc 2 "$GK" token verify --key "$K1" --now soon "$GK_TMP/A4_MACED.hex" &&
		expect_rc 2 "$GK" token create --key "$K1" --alg nosuch --claims x &&
		expect_rc 2 "$GK" token frobnicate && expect_rc 2 "$GK" nosuchobject &&
		expect_rc 2 "$GK"
}
tap_check "usage errors exit 2" t_usage

t_json_error() {
	expect_rc 1 "$GK" --json token verify "${KEYS[@]}" --now 1500000000 "$GK_TMP/A4_MACED.hex" &&
		[ "$(json_get reason <"$GK_TMP/out")" = expired ] &&
		json_get error <"$GK_TMP/out" | grep -q expired
}
tap_check "--json reports errors as {\"error\", \"reason\"}" t_json_error

t_decode() {
	expect_rc 0 "$GK" token decode "$GK_TMP/A4_MACED.hex" &&
		[ "$(json_get verified <"$GK_TMP/out")" = False ] &&
		[ "$(json_get cwt_tag <"$GK_TMP/out")" = True ] &&
		[ "$(json_get layers.0.type <"$GK_TMP/out")" = COSE_Mac0 ] &&
		[ "$(json_get claims.sub <"$GK_TMP/out")" = erikw ] &&
		expect_rc 0 "$GK" token decode "$GK_TMP/A5_ENCRYPTED.hex" &&
		[ "$(json_get layers.0.kid <"$GK_TMP/out")" = "h'53796d6d6574726963313238'" ] &&
		json_get claims <"$GK_TMP/out" | grep -q encrypted
}
tap_check "decode shows structure and claims, says it did not verify" t_decode

cat >"$GK_TMP/claims.json" <<JSON
{"iss": "groupkeyd-as", "aud": ["groupkeyd-kdc", "other"], "exp": 2000000000,
 "iat": 1700000000, "cti": "h'00ff'", "scope": "h'8182667465737400'",
 "cnf": {"COSE_Key": {"kty": 4, "kid": "h'0a0b'", "k": "h'000102030405060708090a0b0c0d0e0f'"}}}
JSON
t_create() {
	rm -f "$GK_TMP/tok.cbor"
	expect_rc 0 "$GK" token create --key "$K3" --alg ES256 --encrypt-key "$K1" \
		--encrypt-alg AES-CCM-16-64-128 --kid --tag --claims "$GK_TMP/claims.json" \
		-o "$GK_TMP/tok.cbor" || return 1
	expect_rc 0 "$GK" token verify "${KEYS[@]}" --aud groupkeyd-kdc --now 1800000000 \
		--require-exp "$GK_TMP/tok.cbor" || return 1
	[ "$(json_get layers.0.type <"$GK_TMP/out")" = COSE_Encrypt0 ] &&
		[ "$(json_get layers.1.type <"$GK_TMP/out")" = COSE_Sign1 ] &&
		[ "$(json_get claims.cnf.COSE_Key.k <"$GK_TMP/out")" = "(redacted, 16 bytes)" ] &&
		expect_rc 0 "$GK" --show-secrets token verify "${KEYS[@]}" --now 1800000000 "$GK_TMP/tok.cbor" &&
		[ "$(json_get claims.cnf.COSE_Key.k <"$GK_TMP/out")" = "h'000102030405060708090a0b0c0d0e0f'" ]
}
tap_check "create nested token, verify it, PoP key redacted unless --show-secrets" t_create

t_bad_claims() {
	echo '{"iss": 5}' >"$GK_TMP/bad1.json"
	echo '{"colour": "red"}' >"$GK_TMP/bad2.json"
	echo '{"exp": ' >"$GK_TMP/bad3.json"
	for f in bad1 bad2 bad3; do
		expect_rc 1 "$GK" token create --key "$K2" --alg HMAC256/64 --claims "$GK_TMP/$f.json" || return 1
	done
	expect_rc 1 "$GK" token create --key "$K1" --alg ES256 --claims "$GK_TMP/claims.json" &&
		grep -qi "alg" "$GK_TMP/err"
}
tap_check "create refuses bad claims JSON and an alg that does not fit the key" t_bad_claims

tap_done
