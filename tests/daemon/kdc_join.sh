#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Join (RFC 9594 §4.3.1) over the wire: 2.01 with Location-Path, re-join 2.04, and every refusal
# a Join can get (4.00 / 4.03 / 5.03 with their ace-groupcomm error ids), per docs/profile.md.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"
source "$(dirname "$0")/kdc_lib.sh"

tap_init
require_cmd ss
gkd_config kj || tap_bail "config" "cannot write the config"
gkd_add_group kj small receiver max_members=1
gkd_add_group kj open receiver require_cred=no
tap_check "groupkeyd starts" gkd_start kj || tap_bail "groupkeyd start" "see above"

T=$GK_TMP

t_join_new() {
	token_for kj "$T/a.cbor" g1:sender,receiver &&
		gjoin 0 kj "$T/a.cbor" g1 sender,receiver -o "$T/a.member" || return 1
	# The first member of a fresh group: sender id 1, NODENAME s00000001 (profile REQ25),
	# num 1 (REQ16: initial num), the KDC's PoP checked by the client (REQ21).
	out_is code 2.01 && out_is location ace-group/g1/nodes/s00000001 &&
		out_is node s00000001 && out_is sender_id 1 && out_is num 1 &&
		out_is kid "h'00000001'" && out_is kdc_cred_verify ok &&
		out_is ace_groupcomm_profile -65537 && out_is rekeying_scheme 0 || return 1
	[ "$(stat -c %a "$T/a.member")" = 600 ] || { echo "member file mode"; return 1; }
	"$PY" -c 'import cbor2, sys
m = cbor2.loads(open(sys.argv[1], "rb").read())
want = {"group": "g1", "node": "s00000001", "location": "ace-group/g1/nodes/s00000001",
        "sender_id": 1, "roles": 6, "num": 1}
bad = {k: m.get(k) for k in want if m.get(k) != want[k]}
sys.exit("member file: %r" % bad if bad or len(m["key"]) != 16 or len(m["cnonce"]) != 8 else 0)' \
		"$T/a.member"
}
tap_check "join: 2.01, Location-Path ace-group/g1/nodes/s00000001, sender id 1, num 1" t_join_new

t_rejoin() {
	gjoin 0 kj "$T/a.cbor" g1 sender,receiver -o "$T/a.member" &&
		out_is code 2.04 && out_is location ace-group/g1/nodes/s00000001 &&
		out_is sender_id 1
}
tap_check "re-join with the same token: 2.04, same node and sender id, Location-Path" t_rejoin

t_exp_exi() {
	local exp exi key_exp now

	gcmd 0 keys kj "$T/a.cbor" g1 || return 1
	exp=$(json_get exp <"$T/out") exi=$(json_get exi <"$T/out")
	key_exp=$(json_get key_exp <"$T/out") now=$(date +%s)
	# Default key_lifetime 86400: exp is a rekey's time + 86400, exi what is left of it.
	[ "$exp" = "$key_exp" ] && [ $((exp - now - exi)) -ge -2 ] &&
		[ $((exp - now - exi)) -le 2 ] && [ "$exi" -gt 86000 ] && [ "$exi" -le 86400 ] ||
		{ echo "exp $exp key exp $key_exp exi $exi now $now"; return 1; }
}
tap_check "exp = COSE_Key exp, exi = exp - now (key_lifetime 86400)" t_exp_exi

t_outside_scope() {
	token_for kj "$T/g2.cbor" g2:receiver &&
		gjoin 1 kj "$T/g2.cbor" g1 receiver && refused_with 4.03 - || return 1
	# Roles beyond the token's: a g1 receiver token asking for sender.
	token_for kj "$T/r.cbor" g1:receiver &&
		gjoin 1 kj "$T/r.cbor" g1 sender && refused_with 4.03 - &&
		out_is detail "roles beyond those granted"
}
tap_check "join outside the token's scope, or with roles beyond it: 4.03" t_outside_scope

t_sender_monitor() {
	# Our AS grants alice no monitor role in g1: a token made with the AS-KDC key has both.
	make_bundle_for "$T/sm.cbor" g1 10 736d01 &&
		gjoin 1 kj "$T/sm.cbor" g1 sender,monitor && refused_with 4.00 - &&
		out_is detail "monitor may not be combined with sender"
}
tap_check "sender together with monitor: 4.00 (profile REQ1)" t_sender_monitor

t_no_cnonce() {
	local ns

	token_for kj "$T/n.cbor" g1:receiver && ns=$(post_ns kj "$T/n.cbor") &&
		join_payload "$T/nocn.cbor" "$(scope_entry g1 4)" "$ns" nocnonce &&
		greq kj "$T/n.cbor" POST ace-group/g1 "$T/nocn.cbor" &&
		raw_refused_with 4.00 - && out_is payload.-2 "cnonce is required"
}
tap_check "join without cnonce: 4.00 (problem details, no error id)" t_no_cnonce

t_bad_cred() {
	local ns

	ns=$(post_ns kj "$T/n.cbor") &&
		join_payload "$T/p384.cbor" "$(scope_entry g1 4)" "$ns" badcred &&
		greq kj "$T/n.cbor" POST ace-group/g1 "$T/p384.cbor" && raw_refused_with 4.00 2
}
tap_check "join with a P-384 credential: 4.00 error 2 (incompatible credential)" t_bad_cred

t_bad_pop() {
	local ns

	ns=$(post_ns kj "$T/n.cbor") &&
		join_payload "$T/badpop.cbor" "$(scope_entry g1 4)" "$ns" badpop &&
		greq kj "$T/n.cbor" POST ace-group/g1 "$T/badpop.cbor" && raw_refused_with 4.00 3 ||
		return 1
	# The same request signed over the right N_S is accepted: only the PoP was wrong.
	join_payload "$T/goodpop.cbor" "$(scope_entry g1 4)" "$ns" ok &&
		greq kj "$T/n.cbor" POST ace-group/g1 "$T/goodpop.cbor" && out_is code 2.01 &&
		out_is payload.-65537 2
}
tap_check "join with a PoP over another N_S: 4.00 error 3; over N_S: 2.01" t_bad_pop

t_no_pop() {
	local ns

	token_for kj "$T/np.cbor" g1:receiver && ns=$(post_ns kj "$T/np.cbor") &&
		join_payload "$T/nopop.cbor" "$(scope_entry g1 4)" "$ns" nopop &&
		greq kj "$T/np.cbor" POST ace-group/g1 "$T/nopop.cbor" && raw_refused_with 4.00 -
}
tap_check "client_cred without client_cred_verify: 4.00" t_no_pop

t_challenge() {
	token_for kj "$T/c.cbor" g1:receiver || return 1
	# Never posted: the token is the PSK identity and the KDC holds no N_S for it (REQ15).
	join_payload "$T/ch.cbor" "$(scope_entry g1 4)" 0000000000000000 ok &&
		greq kj "$T/c.cbor" POST ace-group/g1 "$T/ch.cbor" --identity token &&
		out_is code 4.00 && out_is content_format 261 &&
		"$PY" -c 'import json, sys
p = json.load(sys.stdin)["payload"]
sys.exit(0 if list(p) == ["30"] and len(p["30"]) == len("h'"'"''"'"'") + 16 else "bad %r" % p)' \
			<"$T/out" || return 1
	# The CLI takes the challenge and repeats the Join.
	gjoin 0 kj "$T/c.cbor" g1 receiver --no-post && out_is code 2.01 &&
		out_is kdc_cred_verify ok
}
tap_check "missing N_S: 4.00 {30: kdcchallenge (8 bytes)}, then the repeated Join: 2.01" t_challenge

t_full() {
	token_for kj "$T/s1.cbor" small:receiver small-client &&
		token_for kj "$T/s2.cbor" small:receiver small-client || return 1
	gjoin 0 kj "$T/s1.cbor" small receiver && out_is code 2.01 || return 1
	gjoin 1 kj "$T/s2.cbor" small receiver && refused_with 5.03 4 || return 1
	# A re-join is no new member: the full group still answers it.
	gjoin 0 kj "$T/s1.cbor" small receiver && out_is code 2.04
}
tap_check "group full (max_members 1): 5.03 error 4; a re-join still 2.04" t_full

t_require_cred() {
	token_for kj "$T/nc.cbor" g1:receiver &&
		gjoin 1 kj "$T/nc.cbor" g1 receiver --no-cred && refused_with 4.00 - &&
		out_is detail "the group requires a credential (client_cred)" || return 1
	token_for kj "$T/o.cbor" open:receiver open-client &&
		gjoin 0 kj "$T/o.cbor" open receiver --no-cred && out_is code 2.01
}
tap_check "no client_cred: 4.00 where require_cred (default), 2.01 where not" t_require_cred

t_get_creds() {
	gjoin 0 kj "$T/a.cbor" g1 sender,receiver --get-creds -o "$T/a.member" &&
		out_is code 2.04 &&
		# a (s00000001), goodpop (s00000002), c (s00000003): all with a credential
		out_is creds 3
}
tap_check "join with get_creds: the members' credentials come along (3)" t_get_creds

t_bad_bodies() {
	printf 'not cbor' >"$T/junk"
	greq kj "$T/a.cbor" POST ace-group/g1 "$T/junk" && raw_refused_with 4.00 - || return 1
	printf '\xa1\x06\x48\x01\x02\x03\x04\x05\x06\x07\x08' >"$T/cbor"
	greq kj "$T/a.cbor" POST ace-group/g1 "$T/cbor" --content-format 60 && out_is code 4.15 ||
		return 1
	# cnonce as a text string: a known parameter of the wrong type.
	printf '\xa1\x06\x62hi' >"$T/badtype"
	greq kj "$T/a.cbor" POST ace-group/g1 "$T/badtype" && raw_refused_with 4.00 -
}
tap_check "join: not CBOR 4.00, Content-Format 60 4.15, cnonce of the wrong type 4.00" t_bad_bodies

t_control_uri() {
	gjoin 1 kj "$T/a.cbor" g1 sender,receiver --control-uri coap://h/ace-group/g1 &&
		refused_with 4.00 - || return 1
	gjoin 0 kj "$T/a.cbor" g1 sender,receiver --control-uri coaps://127.0.0.1/cb \
		-o "$T/a.member" && out_is code 2.04
}
tap_check "control_uri /ace-group/GROUPNAME: 4.00; another one is accepted (REQ9: unused)" \
	t_control_uri

t_plain() {
	coap-client-gnutls -B 5 -m post -t 261 -f "$T/cbor" "$(kdc_uri kj)/ace-group/g1" \
		>"$T/cc" 2>&1
	grep -q '4\.01' "$T/cc" || { cat "$T/cc"; return 1; }
}
tap_check "join over plain CoAP: 4.01" t_plain

tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop kj
tap_done
