#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# State across a restart: tokens posted to groupkeyd (or given as PSK identity) before a SIGTERM
# still open the PoP channel after it starts again on the same state_dir (SQLite).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"

tap_init
require_cmd ss
gkd_config rs || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts" gkd_start rs || tap_bail "groupkeyd start" "see above"

t_before() {
	expect_rc 0 get_token rs "$GK_TMP/posted.cbor" g1:sender &&
		expect_rc 0 post_token rs "$GK_TMP/posted.cbor" &&
		expect_rc 0 fetch_groups rs "$GK_TMP/posted.cbor" &&
		expect_rc 0 get_token rs "$GK_TMP/ident.cbor" g2:receiver &&
		expect_rc 0 fetch_groups rs "$GK_TMP/ident.cbor" --identity token
}
tap_check "before: one token posted, one given as PSK identity, both open the channel" t_before

t_state_file() {
	local db=$GK_TMP/rs.state/groupkeyd.db

	[ -f "$db" ] && [ "$(stat -c %a "$db")" = 600 ] && return 0
	ls -la "$GK_TMP/rs.state"
	return 1
}
tap_check "state database exists with mode 0600" t_state_file

tap_check "SIGTERM: clean stop" gkd_stop rs
tap_check "restart on the same state_dir" gkd_start rs || tap_bail "groupkeyd restart" "see above"

t_after() {
	expect_rc 0 fetch_groups rs "$GK_TMP/posted.cbor" &&
		[ "$(cat "$GK_TMP/out")" = "g1 /ace-group/g1" ] &&
		expect_rc 0 fetch_groups rs "$GK_TMP/ident.cbor" --identity kid &&
		[ "$(cat "$GK_TMP/out")" = "g2 /ace-group/g2" ]
}
tap_check "after: both tokens still honoured by kid (no new POST)" t_after

t_new_kid() {
	expect_rc 0 get_token rs "$GK_TMP/new.cbor" g1:sender &&
		[ "$(bundle_field "$GK_TMP/new.cbor" kid)" != "$(bundle_field "$GK_TMP/posted.cbor" kid)" ] &&
		[ "$(bundle_field "$GK_TMP/new.cbor" kid)" != "$(bundle_field "$GK_TMP/ident.cbor" kid)" ]
}
tap_check "after: a new token gets a kid of its own" t_new_kid

# Wrong-key handshakes come last: libcoap 4.3.1 keeps such a server session in its handshake for
# up to 60 s and feeds any new ClientHello from the same address:port into it, so a later client
# that happened to get the same ephemeral port would fail.
t_after_wrong_key() {
	expect_rc 1 fetch_groups rs "$GK_TMP/posted.cbor" --timeout 2000 \
		--pop-key 0f0e0d0c0b0a09080706050403020100
}
tap_check "after: still refused with another key" t_after_wrong_key

tap_check "SIGTERM: clean stop" gkd_stop rs
tap_done
