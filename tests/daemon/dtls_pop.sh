#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The PoP channel (RFC 9202 §3.3): FETCH /ace-group over DTLS-PSK with a token's key, the PSK
# identity given as {8: {1: {1: 4, 2: kid}}} or as the whole token; every way it must fail.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"

tap_init
require_cmd ss coap-client-gnutls
gkd_config pop || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts" gkd_start pop || tap_bail "groupkeyd start" "see above"

WRONG_KEY=0f0e0d0c0b0a09080706050403020100

t_kid() {
	expect_rc 0 get_token pop "$GK_TMP/a.cbor" g1:sender,receiver &&
		expect_rc 0 post_token pop "$GK_TMP/a.cbor" &&
		expect_rc 0 fetch_groups pop "$GK_TMP/a.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g1 /ace-group/g1" ]
}
tap_check "kid as psk_identity: token posted, FETCH /ace-group over DTLS with its PoP key: 2.05" t_kid

t_token_identity() {
	expect_rc 0 get_token pop "$GK_TMP/c.cbor" g2:receiver &&
		expect_rc 0 fetch_groups pop "$GK_TMP/c.cbor" --identity token &&
		[ "$(cat "$GK_TMP/out")" = "g2 /ace-group/g2" ] || return 1
	# Validated and stored in the handshake: the kid now names it, without any POST.
	expect_rc 0 fetch_groups pop "$GK_TMP/c.cbor" --identity kid &&
		[ "$(cat "$GK_TMP/out")" = "g2 /ace-group/g2" ]
}
tap_check "token as psk_identity (never posted): 2.05, and then stored under its kid" \
	t_token_identity

t_long_identity() {
	local sub

	sub=$(printf 'member-%0300d' 0)
	make_token_nul_free "$GK_TMP/long.cwt" "{\"iss\": \"groupkeyd-as\", \"aud\": \"groupkeyd-kdc\",
  \"sub\": \"$sub\", \"exp\": @NOW+600, \"scope\": \"h'818262673102'\",
  \"cnf\": {\"COSE_Key\": {\"kty\": 4, \"kid\": \"h'6c6f6e67'\",
  \"k\": \"h'$WRONG_KEY'\"}}}" >/dev/null &&
		make_bundle "$GK_TMP/long.cbor" "$GK_TMP/long.cwt" 6c6f6e67 "$WRONG_KEY" 818262673102 ||
		return 1
	[ "$(stat -c %s "$GK_TMP/long.cwt")" -gt 300 ] || return 1
	expect_rc 0 fetch_groups pop "$GK_TMP/long.cbor" --identity token &&
		[ "$(cat "$GK_TMP/out")" = "g1 /ace-group/g1" ]
}
tap_check "token of over 300 bytes as psk_identity (past libcoap's 64 and coap-client's 128)" \
	t_long_identity

t_unknown_identity() {
	expect_rc 0 get_token pop "$GK_TMP/d.cbor" g1:sender &&
		expect_rc 1 "$GK" --json kdc fetch-groups --kdc "$(kdcs_uri pop)" \
			--token "$GK_TMP/d.cbor" --timeout 5000 &&
		[ "$(json_get reason <"$GK_TMP/out")" = handshake_failed ]
}
tap_check "unknown identity (kid of a token never posted): handshake refused" t_unknown_identity

t_bad_token_identity() { # what to do to the token: tamper | expire | garbage
	case $1 in
	tamper)
		"$PY" -c 'import cbor2, sys
t = bytearray(cbor2.loads(open(sys.argv[1], "rb").read())[1]); t[-2] ^= 4
open(sys.argv[2], "wb").write(bytes(t))' "$GK_TMP/d.cbor" "$GK_TMP/bad.cwt" ;;
	expire)
		make_token_nul_free "$GK_TMP/bad.cwt" "{\"iss\": \"groupkeyd-as\", \"aud\": \"groupkeyd-kdc\",
  \"exp\": @NOW-5, \"scope\": \"h'818262673102'\", \"cnf\": {\"COSE_Key\": {\"kty\": 4,
  \"kid\": \"h'6f6c64'\", \"k\": \"h'$WRONG_KEY'\"}}}" >/dev/null ;;
	garbage)
		printf '\xa2\x01\x02\x03\x04' >"$GK_TMP/bad.cwt" ;;
	esac || return 1
	make_bundle "$GK_TMP/bad.cbor" "$GK_TMP/bad.cwt" 6f6c64 "$WRONG_KEY" 818262673102 &&
		expect_rc 1 "$GK" --json kdc fetch-groups --kdc "$(kdcs_uri pop)" \
			--token "$GK_TMP/bad.cbor" --identity token --timeout 5000 &&
		output_has '"reason":"handshake_failed"'
}
tap_check "tampered token as identity: handshake refused" t_bad_token_identity tamper
tap_check "expired token as identity: handshake refused" t_bad_token_identity expire
tap_check "CBOR that is no token as identity: handshake refused" t_bad_token_identity garbage

t_nul_identity() {
	printf '\xd0\x83\x43\xa1\x01\x0a\xa1\x04\x41\x00\x41\x00' >"$GK_TMP/nul.cwt" &&
		make_bundle "$GK_TMP/nul.cbor" "$GK_TMP/nul.cwt" 00 "$WRONG_KEY" 818262673102 &&
		expect_rc 1 "$GK" --json kdc fetch-groups --kdc "$(kdcs_uri pop)" \
			--token "$GK_TMP/nul.cbor" --identity token &&
		[ "$(json_get reason <"$GK_TMP/out")" = invalid_argument ] && output_has '0x00' &&
		expect_rc 1 fetch_groups pop "$GK_TMP/nul.cbor" --identity kid && output_has '0x00'
}
tap_check "identity holding 0x00 refused by the client (libcoap/GnuTLS would cut it)" \
	t_nul_identity

t_scope_filter() {
	expect_rc 0 "$GK" --json kdc fetch-groups --kdc "$(kdcs_uri pop)" --token "$GK_TMP/c.cbor" \
		--group g1 --group g2 --group g3 --group nosuch &&
		[ "$(json_get groups.0.gname <"$GK_TMP/out")" = g2 ] &&
		[ "$(json_get groups.0.guri <"$GK_TMP/out")" = /ace-group/g2 ] &&
		"$PY" -c 'import json, sys; sys.exit(len(json.load(sys.stdin)["groups"]) != 1)' \
			<"$GK_TMP/out" &&
		expect_rc 0 "$GK" --json kdc fetch-groups --kdc "$(kdcs_uri pop)" \
			--token "$GK_TMP/c.cbor" --group g1 &&
		[ "$(json_get groups <"$GK_TMP/out")" = "[]" ]
}
tap_check "only groups in the token's scope are listed; none: zero-length answer" t_scope_filter

t_not_token_peer() {
	printf '\xa1\x00\x81\x62g1' >"$GK_TMP/req.cbor"
	coap-client-gnutls -B 5 -m fetch -t 261 -f "$GK_TMP/req.cbor" \
		"$(kdc_uri pop)/ace-group" >"$GK_TMP/out" 2>&1
	grep -q '4\.01' "$GK_TMP/out" || { cat "$GK_TMP/out"; return 1; }
	# alice's AS credentials open a DTLS session, but hold no token.
	coap-client-gnutls -B 5 -m fetch -t 261 -f "$GK_TMP/req.cbor" -u alice \
		-k alice-secret-0001 \
		"$(kdcs_uri pop)/ace-group" >"$GK_TMP/out" 2>&1
	grep -q '4\.01' "$GK_TMP/out" || { cat "$GK_TMP/out"; return 1; }
}
tap_check "FETCH /ace-group over plain CoAP, or over DTLS as an AS client: 4.01" t_not_token_peer

t_bad_fetch() {
	local id key

	expect_rc 0 get_token_argv_safe pop "$GK_TMP/e.cbor" g1:sender &&
		expect_rc 0 post_token pop "$GK_TMP/e.cbor" &&
		hex_to_arg id "$(kid_identity_hex "$GK_TMP/e.cbor")" &&
		hex_to_arg key "$(bundle_field "$GK_TMP/e.cbor" key)" || return 1
	printf 'not cbor' >"$GK_TMP/junk"
	coap-client-gnutls -B 5 -m fetch -t 261 -f "$GK_TMP/junk" -u "$id" -k "$key" \
		"$(kdcs_uri pop)/ace-group" >"$GK_TMP/out" 2>&1
	grep -q '4\.00' "$GK_TMP/out" || { cat "$GK_TMP/out"; return 1; }
	coap-client-gnutls -B 5 -m fetch -t 60 -f "$GK_TMP/req.cbor" -u "$id" -k "$key" \
		"$(kdcs_uri pop)/ace-group" >"$GK_TMP/out" 2>&1
	grep -q '4\.15' "$GK_TMP/out" || { cat "$GK_TMP/out"; return 1; }
	coap-client-gnutls -B 5 -m get -u "$id" -k "$key" \
		"$(kdcs_uri pop)/ace-group" >"$GK_TMP/out" 2>&1
	grep -q '4\.05' "$GK_TMP/out" || { cat "$GK_TMP/out"; return 1; }
}
tap_check "valid PoP session: bad payload 4.00, other format 4.15, GET 4.05" t_bad_fetch

# Wrong-key handshakes come last: libcoap 4.3.1 keeps such a server session in its handshake for
# up to 60 s and feeds any new ClientHello from the same address:port into it, so a later client
# that happened to get the same ephemeral port would fail.
t_other_key() {
	expect_rc 0 get_token pop "$GK_TMP/b.cbor" g1:receiver &&
		expect_rc 0 post_token pop "$GK_TMP/b.cbor" || return 1
	expect_rc 1 fetch_groups pop "$GK_TMP/a.cbor" --pop-key "$WRONG_KEY" --timeout 2000 &&
		output_has 'no response|handshake failed' || return 1
	# The key of another valid token is just as wrong.
	expect_rc 1 fetch_groups pop "$GK_TMP/a.cbor" \
		--pop-key "$(bundle_field "$GK_TMP/b.cbor" key)" --timeout 2000 || return 1
	# Token as identity: validated, but the handshake still needs its own key.
	expect_rc 1 fetch_groups pop "$GK_TMP/c.cbor" --identity token --pop-key "$WRONG_KEY" \
		--timeout 2000
}
tap_check "kid or token as identity with any other key: the handshake fails" t_other_key

tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop pop
tap_done
