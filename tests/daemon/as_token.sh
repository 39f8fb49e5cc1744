#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The embedded AS end to end: `groupkey token request` against groupkeyd's POST /token over
# DTLS-PSK on loopback, success and each refusal (RFC 9200 §5.8, Table 3).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"

tap_init
require_cmd ss
gkd_config as || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts and listens on coap and coaps" gkd_start as ||
	tap_bail "groupkeyd start" "see above"

t_issue() {
	local f=$GK_TMP/t1.cbor

	expect_rc 0 get_token as "$f" g1:sender || return 1
	[ "$(stat -c %a "$f")" = 600 ] || { echo "mode $(stat -c %a "$f")"; return 1; }
	[ "$(bundle_field "$f" kid | wc -c)" -eq 17 ] && [ "$(bundle_field "$f" key | wc -c)" -eq 33 ] &&
		[ "$(bundle_field "$f" scope)" = 818262673102 ] || return 1
	# The token must be opaque to the client: decode sees an Encrypt0 and no claims.
	bundle_field "$f" token | expect_rc 0 "$GK" --json token decode - &&
		[ "$(json_get layers.0.type <"$GK_TMP/out")" = COSE_Encrypt0 ] &&
		[ "$(json_get layers.0.alg <"$GK_TMP/out")" = 10 ]
}
tap_check "token issued: bundle 0600 with an 8-byte kid, 16-byte key, scope; token encrypted" t_issue

t_fresh_kid() {
	expect_rc 0 get_token as "$GK_TMP/t2.cbor" g1:sender &&
		[ "$(bundle_field "$GK_TMP/t1.cbor" kid)" != "$(bundle_field "$GK_TMP/t2.cbor" kid)" ] &&
		[ "$(bundle_field "$GK_TMP/t1.cbor" key)" != "$(bundle_field "$GK_TMP/t2.cbor" key)" ]
}
tap_check "every token gets a fresh PoP kid and key" t_fresh_kid

t_unknown_client() {
	expect_rc 1 "$GK" --json token request --as "$(as_uri as)" --client-id mallory \
		--psk "$ALICE_PSK" --scope g1:sender --timeout 5000 &&
		[ "$(json_get reason <"$GK_TMP/out")" = handshake_failed ]
}
tap_check "unknown client id: the handshake is refused at once" t_unknown_client

t_bad_scope() { # SCOPE [CLIENT PSK]
	expect_rc 1 "$GK" --json token request --as "$(as_uri as)" --client-id "${2:-alice}" \
		--psk "${3:-$ALICE_PSK}" --scope "$1" &&
		[ "$(json_get reason <"$GK_TMP/out")" = invalid_scope ] &&
		[ "$(json_get code <"$GK_TMP/out")" = 4.00 ]
}
tap_check "bad scope (unknown group): 4.00 invalid_scope" t_bad_scope nosuch:sender
tap_check "scope outside the client's (bob asks g1): 4.00 invalid_scope" \
	t_bad_scope g1:receiver bob "$BOB_PSK"

t_escalation() {
	expect_rc 0 get_token as "$GK_TMP/t3.cbor" g1:sender,receiver,monitor &&
		[ "$(bundle_field "$GK_TMP/t3.cbor" scope)" = 818262673106 ] &&
		expect_rc 0 "$GK" token request --as "$(as_uri as)" --client-id alice \
			--psk "$ALICE_PSK" --scope g1:sender --scope g3:sender -o "$GK_TMP/t4.cbor" &&
		[ "$(bundle_field "$GK_TMP/t4.cbor" scope)" = 818262673102 ]
}
tap_check "scope escalation: only the allowed subset is granted (roles and groups)" t_escalation

t_plain() {
	expect_rc 1 "$GK" --json token request --as "$(kdc_uri as)" --client-id alice \
		--psk "$ALICE_PSK" --scope g1:sender &&
		[ "$(json_get reason <"$GK_TMP/out")" = invalid_client ] &&
		[ "$(json_get code <"$GK_TMP/out")" = 4.01 ]
}
tap_check "/token over plain CoAP: 4.01 invalid_client" t_plain

t_audience() {
	expect_rc 1 "$GK" --json token request --as "$(as_uri as)" --client-id alice \
		--psk "$ALICE_PSK" --scope g1:sender --audience some-other-rs &&
		[ "$(json_get reason <"$GK_TMP/out")" = invalid_request ]
}
tap_check "audience that is not the KDC: 4.00 invalid_request" t_audience

t_json_redacts() {
	expect_rc 0 "$GK" --json token request --as "$(as_uri as)" --client-id bob --psk "$BOB_PSK" \
		--scope g2:monitor &&
		[ "$(json_get cnf.COSE_Key.k <"$GK_TMP/out")" = "(redacted, 16 bytes)" ] &&
		[ "$(json_get expires_in <"$GK_TMP/out")" = 3600 ] &&
		! grep -q bundle "$GK_TMP/out"
}
tap_check "--json summary redacts the PoP key" t_json_redacts

# Wrong-key handshakes come last: libcoap 4.3.1 keeps such a server session in its handshake for
# up to 60 s and feeds any new ClientHello from the same address:port into it, so a later client
# that happened to get the same ephemeral port would fail.
t_wrong_psk() {
	expect_rc 1 "$GK" --json token request --as "$(as_uri as)" --client-id alice \
		--psk "$BOB_PSK" --scope g1:sender --timeout 2000 || return 1
	case $(json_get reason <"$GK_TMP/out") in
	timeout | handshake_failed) return 0 ;;
	*) cat "$GK_TMP/out"; return 1 ;;
	esac
}
tap_check "wrong PSK: the DTLS handshake fails, no token" t_wrong_psk

t_usage() {
	expect_rc 2 "$GK" token request --as "$(as_uri as)" --client-id alice --psk zz \
		--scope g1:sender &&
		expect_rc 2 "$GK" token request --as "$(as_uri as)" --client-id alice \
			--psk "$ALICE_PSK" --scope g1:pilot &&
		expect_rc 2 "$GK" token request --client-id alice --psk "$ALICE_PSK" --scope g1:sender &&
		expect_rc 2 "$GK" token post "$GK_TMP/t1.cbor" &&
		expect_rc 2 "$GK" kdc fetch-groups --token "$GK_TMP/t1.cbor" &&
		expect_rc 2 "$GK" kdc fetch-groups --kdc "$(kdcs_uri as)" --token x --identity psk
}
tap_check "usage errors exit 2" t_usage

tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop as
tap_done
