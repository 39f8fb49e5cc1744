#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The group resources of RFC 9594 §4 over the wire, each with its success and every refusal it
# can give: GET /ace-group/G, creds (GET, FETCH filters), kdc-cred, policies, num, nodes/N (GET,
# POST renewal, DELETE leave), nodes/N/cred, methods, plain CoAP, /.well-known/core.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib_daemon.sh"
source "$(dirname "$0")/kdc_lib.sh"

tap_init
require_cmd ss coap-client-gnutls
gkd_config kr || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts" gkd_start kr || tap_bail "groupkeyd start" "see above"

T=$GK_TMP

# s00000001: a (sender+receiver), s00000002: b (receiver); n holds a g1 token but never joined.
t_setup() {
	token_for kr "$T/a.cbor" g1:sender,receiver && token_for kr "$T/b.cbor" g1:receiver &&
		token_for kr "$T/n.cbor" g1:receiver &&
		gjoin 0 kr "$T/a.cbor" g1 sender,receiver -o "$T/a.member" &&
		gjoin 0 kr "$T/b.cbor" g1 receiver -o "$T/b.member" && out_is sender_id 2 &&
		expect_rc 0 post_token kr "$T/n.cbor"
}
tap_check "two members join g1, a third token is posted without joining" t_setup ||
	tap_bail "setup" "see above"

t_fetch_root() {
	printf '\xa1\x00\x82\x62g1\x62g2' >"$T/gids"
	greq kr "$T/n.cbor" FETCH ace-group "$T/gids" && out_is code 2.05 &&
		out_is payload.0.0 g1 && out_is payload.2.0 /ace-group/g1 &&
		"$PY" -c 'import json, sys; sys.exit(len(json.load(sys.stdin)["payload"]["0"]) != 1)' \
			<"$T/out"
}
tap_check "FETCH /ace-group {0: [g1, g2]}: only g1 (the token's scope), membership not needed" \
	t_fetch_root

t_group_get() {
	gcmd 0 keys kr "$T/b.cbor" g1 && out_is code 2.05 && out_is rekeying_scheme 0 &&
		"$PY" -c 'import json, sys; sys.exit("sender_id" in json.load(sys.stdin))' <"$T/out" ||
		return 1
	gcmd 1 keys kr "$T/n.cbor" g1 && refused_with 4.03 0
}
tap_check "GET /ace-group/g1: member 2.05 (no sender_id); non-member 4.03 error 0" t_group_get

t_creds_get() {
	gcmd 0 creds kr "$T/b.cbor" g1 && out_is creds.0.sender_id 1 &&
		out_is creds.0.roles sender,receiver && out_is creds.1.sender_id 2 &&
		out_is creds.1.roles receiver &&
		"$PY" -c 'import json, sys
c = json.load(sys.stdin)["creds"]
sys.exit(len(c) != 2 or not all(x["cred"].startswith("h'"'"'a108a101a5") or
                                 x["cred"].startswith("h'"'"'a108a101a4") for x in c))' <"$T/out"
}
tap_check "GET creds: both members, sender ids 1 and 2, roles, CCS credentials" t_creds_get

t_creds_fetch() {
	gcmd 0 creds kr "$T/b.cbor" g1 --role sender && out_is creds.0.sender_id 1 &&
		"$PY" -c 'import json, sys; sys.exit(len(json.load(sys.stdin)["creds"]) != 1)' \
			<"$T/out" || return 1
	gcmd 0 creds kr "$T/b.cbor" g1 --id 2 && out_is creds.0.sender_id 2 &&
		"$PY" -c 'import json, sys; sys.exit(len(json.load(sys.stdin)["creds"]) != 1)' \
			<"$T/out" || return 1
	# An unknown id selects nothing: zero-length answer (REQ26: silently left out).
	gcmd 0 creds kr "$T/b.cbor" g1 --id 99 && out_is creds "[]" || return 1
	# Both filters empty: 4.00.
	printf '\xa1\x04\x83\xf5\x80\x80' >"$T/empty"
	greq kr "$T/b.cbor" FETCH ace-group/g1/creds "$T/empty" && raw_refused_with 4.00 - ||
		return 1
	gcmd 1 creds kr "$T/n.cbor" g1 && refused_with 4.03 0
}
tap_check "FETCH creds: by role, by id, unknown id empty, empty filters 4.00, non-member 4.03/0" \
	t_creds_fetch

t_kdc_cred() {
	gcmd 0 kdc-cred kr "$T/b.cbor" g1 --member "$T/b.member" && out_is verified ok ||
		return 1
	# b's N_C signed with another N_C: tamper with the member file's cnonce.
	"$PY" -c 'import cbor2, sys
m = cbor2.loads(open(sys.argv[1], "rb").read()); m["cnonce"] = bytes(8)
open(sys.argv[2], "wb").write(cbor2.dumps(m))' "$T/b.member" "$T/bad.member"
	gcmd 1 kdc-cred kr "$T/b.cbor" g1 --member "$T/bad.member" && out_is reason bad_sig ||
		return 1
	gcmd 1 kdc-cred kr "$T/n.cbor" g1 && refused_with 4.03 0
}
tap_check "GET kdc-cred: kdc_cred_verify over N_C || N_KDC verifies; non-member 4.03/0" t_kdc_cred

t_policies() {
	# REQ20: {1: key_lifetime / 2, 2: recv_grace}, defaults 86400 and 60.
	gcmd 0 policies kr "$T/a.cbor" g1 && out_is key_check_interval 43200 &&
		out_is exp_delta 60 && gcmd 1 policies kr "$T/n.cbor" g1 && refused_with 4.03 0
}
tap_check "GET policies: {1: 43200, 2: 60}; non-member 4.03 error 0" t_policies

t_num() {
	local num

	gcmd 0 keys kr "$T/a.cbor" g1 && num=$(json_get num <"$T/out") &&
		gcmd 0 num kr "$T/a.cbor" g1 && out_is num "$num" && greq kr "$T/a.cbor" GET \
		ace-group/g1/num && out_is payload "$num" && gcmd 1 num kr "$T/n.cbor" g1 &&
		refused_with 4.03 0
}
tap_check "GET num: a bare CBOR uint, the num of GET /ace-group/g1; non-member 4.03/0" t_num

t_node_get() {
	gcmd 0 keys kr "$T/a.cbor" g1 --node s00000001 && out_is sender_id 1 || return 1
	gcmd 1 keys kr "$T/a.cbor" g1 --node s00000002 && refused_with 4.03 0 || return 1
	gcmd 1 keys kr "$T/n.cbor" g1 --node s00000002 && refused_with 4.03 0 || return 1
	gcmd 1 keys kr "$T/a.cbor" g1 --node s0000abcd && refused_with 4.03 0
}
tap_check "GET nodes/N: own 2.05 with sender_id; another's, a non-member, no such node: 4.03/0" \
	t_node_get

t_renew() {
	gcmd 0 renew kr "$T/a.cbor" g1 --member "$T/a.member" && out_is sender_id 3 &&
		gcmd 0 keys kr "$T/a.cbor" g1 --node s00000001 && out_is sender_id 3 || return 1
	# The member file follows; the NODENAME stays.
	"$PY" -c 'import cbor2, sys
m = cbor2.loads(open(sys.argv[1], "rb").read())
sys.exit(m["sender_id"] != 3 or m["node"] != "s00000001")' "$T/a.member" || return 1
	gcmd 1 renew kr "$T/b.cbor" g1 --node s00000002 && refused_with 4.00 1 || return 1
	gcmd 1 renew kr "$T/b.cbor" g1 --node s00000001 && refused_with 4.03 0
}
tap_check "POST nodes/N: sender 2.05 new sender id 3; receiver 4.00 error 1; other's 4.03/0" \
	t_renew

t_cred_update() {
	local ns

	ns=$(post_ns kr "$T/b.cbor") &&
		join_payload "$T/cu.cbor" "$(scope_entry g1 4)" "$ns" ok &&
		greq kr "$T/b.cbor" POST ace-group/g1/nodes/s00000002/cred "$T/cu.cbor" &&
		out_is code 2.04 || return 1
	# creds now hand out the new key.
	gcmd 0 creds kr "$T/b.cbor" g1 --id 2 && "$PY" -c 'import cbor2, json, sys
c = json.load(open(sys.argv[1]))["creds"][0]["cred"][2:-1]
k = cbor2.loads(open(sys.argv[2], "rb").read())
sys.exit(cbor2.loads(bytes.fromhex(c))[8][1][-2] != k[-2])' "$T/out" "$T/cu.cbor.key" || return 1
	join_payload "$T/cu2.cbor" "$(scope_entry g1 4)" "$ns" badpop &&
		greq kr "$T/b.cbor" POST ace-group/g1/nodes/s00000002/cred "$T/cu2.cbor" &&
		raw_refused_with 4.00 3 || return 1
	join_payload "$T/cu3.cbor" "$(scope_entry g1 4)" "$ns" badcred &&
		greq kr "$T/b.cbor" POST ace-group/g1/nodes/s00000002/cred "$T/cu3.cbor" &&
		raw_refused_with 4.00 2 || return 1
	greq kr "$T/b.cbor" POST ace-group/g1/nodes/s00000001/cred "$T/cu.cbor" &&
		raw_refused_with 4.03 0
}
tap_check "POST nodes/N/cred: 2.04 (creds follow); bad PoP 4.00/3; P-384 4.00/2; other's 4.03/0" \
	t_cred_update

t_methods() {
	greq kr "$T/a.cbor" PUT ace-group/g1 && out_is code 4.05 &&
		greq kr "$T/a.cbor" DELETE ace-group/g1/num && out_is code 4.05 &&
		greq kr "$T/a.cbor" GET ace-group && out_is code 4.05 &&
		greq kr "$T/a.cbor" GET ace-group/g1/bogus && out_is code 4.04 &&
		greq kr "$T/a.cbor" GET ace-group/g1/nodes/s00000001/cred && out_is code 4.05
}
tap_check "other methods 4.05, unknown paths 4.04" t_methods

t_leave() {
	gcmd 0 leave kr "$T/b.cbor" g1 --node s00000002 && out_is code 2.02 || return 1
	gcmd 1 keys kr "$T/b.cbor" g1 && refused_with 4.03 0 || return 1
	gcmd 1 keys kr "$T/b.cbor" g1 --node s00000002 && refused_with 4.03 0 || return 1
	# A second DELETE on the vanished node: not libcoap's 2.02 for unknown resources.
	gcmd 1 leave kr "$T/b.cbor" g1 --node s00000002 && refused_with 4.03 0 || return 1
	gcmd 0 creds kr "$T/a.cbor" g1 && out_is creds.0.sender_id 3 &&
		"$PY" -c 'import json, sys; sys.exit(len(json.load(sys.stdin)["creds"]) != 1)' \
			<"$T/out"
}
tap_check "DELETE nodes/N: 2.02; then GET 4.03/0, node GET 4.03/0, DELETE again 4.03/0" t_leave

t_plain() {
	coap-client-gnutls -B 5 -m get "$(kdc_uri kr)/ace-group/g1" >"$T/cc" 2>&1
	grep -q '4\.01' "$T/cc" || { cat "$T/cc"; return 1; }
	coap-client-gnutls -B 5 -m delete "$(kdc_uri kr)/ace-group/g1/nodes/s00000001" >"$T/cc" 2>&1
	grep -q '4\.01' "$T/cc" || { cat "$T/cc"; return 1; }
}
tap_check "plain CoAP GET /ace-group/g1 and DELETE nodes/N: 4.01" t_plain

t_well_known() {
	local link

	greq kr "$T/a.cbor" GET .well-known/core && out_is content_format 40 &&
		json_get payload_text <"$T/out" >"$T/links" || return 1
	grep -q '</ace-group/g1>;rt="groupkeyd.gm";if="ace.group";ct=261;obs' "$T/links" &&
		grep -q '</ace-group>;if="ace.groups";ct=261' "$T/links" &&
		grep -q '</ace-group/g1/creds>;ct=261' "$T/links" &&
		! grep -q 'nodes' "$T/links" || { cat "$T/links"; return 1; }
	link='rt="groupkeyd.gm";if="ace.group";ct=261;obs'
	greq kr "$T/a.cbor" GET '.well-known/core?rt=groupkeyd.gm' &&
		out_is payload_text "</ace-group/g1>;$link,</ace-group/g2>;$link,</ace-group/g3>;$link" ||
		return 1
	coap-client-gnutls -B 5 -m get "$(kdc_uri kr)/.well-known/core" >"$T/cc" 2>&1
	grep -q '</ace-group>;if="ace.groups"' "$T/cc" && ! grep -q 'groupkeyd.gm' "$T/cc" ||
		{ cat "$T/cc"; return 1; }
}
tap_check "/.well-known/core: groups with rt/if over DTLS (REQ10), none over plain CoAP" \
	t_well_known

tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop kr
tap_done
