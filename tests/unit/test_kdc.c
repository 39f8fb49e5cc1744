// SPDX-License-Identifier: BSD-3-Clause
/* KDC resources (RFC 9594 §4, docs/profile.md): every resource, its success and its error ids. */
#include "kdc_fixture.h"

/* --- PoP input and routing ---------------------------------------------------- */

/* RFC 9594 §4.3.1, figures "Example of PoP input" for client_cred_verify and kdc_cred_verify. */
TEST(pop_input_rfc_vectors)
{
	size_t scope_len, ns_len, nc_len, nkdc_len, want_len;
	uint8_t *scope = gk_test_unhex("826667726f7570316673656e646572", &scope_len);
	uint8_t *ns = gk_test_unhex("018a278f7faab55a", &ns_len);
	uint8_t *nc = gk_test_unhex("25a8991cd700ac01", &nc_len);
	uint8_t *nkdc = gk_test_unhex("cef04b2aa791bc6d", &nkdc_len);
	uint8_t *want;
	struct gk_scope_entry en;
	bool textual = false;
	struct gk_enc e;

	gk_enc_init(&e);
	ASSERT_EQ(gkd_kdc_pop_input(&e, scope, scope_len, ns, ns_len, nc, nc_len), 0);
	want = gk_test_unhex("4f826667726f7570316673656e64657248018a278f7faab55a4825a8991cd700ac01",
			     &want_len);
	ASSERT_EQ(e.len, want_len);
	EXPECT_MEMEQ(e.buf, want, want_len);
	free(want);
	gk_enc_free(&e);
	gk_enc_init(&e);
	ASSERT_EQ(gkd_kdc_pop_input(&e, NULL, 0, nc, nc_len, nkdc, nkdc_len), 0);
	want = gk_test_unhex("4825a8991cd700ac01 48cef04b2aa791bc6d", &want_len);
	ASSERT_EQ(e.len, want_len);
	EXPECT_MEMEQ(e.buf, want, want_len);
	/* The example scope is a textual entry ["group1", "sender"]. */
	ASSERT_EQ(gk_scope_entry_decode(scope, scope_len, &en, &textual), 0);
	EXPECT_STREQ(en.group, "group1");
	EXPECT_EQ(en.roles, GK_ROLE_BIT(GK_ROLE_SENDER));
	EXPECT_TRUE(textual);
	free(want);
	gk_enc_free(&e);
	free(scope);
	free(ns);
	free(nc);
	free(nkdc);
}

static void expect_route(const char *path, enum gkd_kdc_res res, const char *group,
			 const char *node)
{
	struct gkd_kdc_route r;

	ASSERT_EQ(gkd_kdc_route(path, strlen(path), &r), 0);
	EXPECT_EQ(r.res, res);
	EXPECT_STREQ(r.group, group);
	EXPECT_STREQ(r.node, node);
}

TEST(route_paths)
{
	static const char *const bad[] = {
		"",
		"ace-groups",
		"ace-group/",
		"ace-group/g/",
		"ace-group/g/nodes",
		"ace-group/g/nodes/",
		"ace-group/g/other",
		"ace-group/a b",
		"ace-group/..",
		"ace-group/g/num/x",
		"ace-group/g/nodes/n/cred/x",
		"ace-group/g/nodes/n/key",
		"x/ace-group",
		"ace-group/g/nodes/s0123456789abcdef0",
	};
	struct gkd_kdc_route r;

	expect_route("ace-group", GKD_RES_ROOT, "", "");
	expect_route("/ace-group", GKD_RES_ROOT, "", "");
	expect_route("ace-group/demo", GKD_RES_GROUP, "demo", "");
	expect_route("ace-group/demo/creds", GKD_RES_CREDS, "demo", "");
	expect_route("ace-group/demo/kdc-cred", GKD_RES_KDC_CRED, "demo", "");
	expect_route("ace-group/demo/policies", GKD_RES_POLICIES, "demo", "");
	expect_route("ace-group/demo/num", GKD_RES_NUM, "demo", "");
	expect_route("ace-group/demo/nodes/s00000001", GKD_RES_NODE, "demo", "s00000001");
	expect_route("ace-group/g.1/nodes/s00000001/cred", GKD_RES_NODE_CRED, "g.1", "s00000001");
	for (size_t i = 0; i < GK_ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(gkd_kdc_route(bad[i], strlen(bad[i]), &r), -ENOENT);
		EXPECT_EQ(r.res, GKD_RES_NONE);
	}
}

/* --- Join ------------------------------------------------------------------------ */

/* The KDC's public key from a CCS {.., 8: {1: COSE_Key}}. */
static void ccs_key(const uint8_t *ccs, size_t len, struct gk_cose_key *k)
{
	cbor_item_t *m;

	ASSERT_EQ(gk_cbor_decode(ccs, len, NULL, &m), 0);
	ASSERT_EQ(gk_cose_key_from_item(gk_cbor_map_get_int(gk_cbor_map_get_int(m, 8), 1), k), 0);
	cbor_decref(&m);
}

/* kdc_cred_verify over bstr(N_C) || bstr(N_KDC) with the KDC's key, N_C = CNONCE_HEX. */
static void expect_kdc_pop(struct kfx *f)
{
	const uint8_t *cred, *nonce, *sig;
	size_t cred_len, nonce_len, sig_len, nc_len;
	uint8_t *nc = gk_test_unhex(CNONCE_HEX, &nc_len);
	struct gk_cose_key k;
	struct gk_enc e;

	ASSERT_EQ(gk_cbor_get_bstr(kget(f, GK_GC_KDC_CRED), &cred, &cred_len), 0);
	ASSERT_EQ(gk_cbor_get_bstr(kget(f, GK_GC_KDC_NONCE), &nonce, &nonce_len), 0);
	ASSERT_EQ(gk_cbor_get_bstr(kget(f, GK_GC_KDC_CRED_VERIFY), &sig, &sig_len), 0);
	ASSERT_EQ(nonce_len, 8);
	ASSERT_EQ(sig_len, 64);
	ccs_key(cred, cred_len, &k);
	EXPECT_EQ(k.kty, GK_COSE_KTY_EC2);
	EXPECT_FALSE(k.has_d);
	gk_enc_init(&e);
	gk_enc_bstr(&e, nc, nc_len);
	gk_enc_bstr(&e, nonce, nonce_len);
	ASSERT_EQ(e.err, 0);
	EXPECT_EQ(gk_p256_verify(k.x, k.y, e.buf, e.len, sig), 0);
	gk_enc_free(&e);
	free(nc);
}

/* The COSE_Key of REQ17: {1: 4, 2: num (4 bytes), 3: -65537, -1: k, -65537: exp}. */
static void expect_group_key(struct kfx *f, uint32_t num, int64_t exp)
{
	const cbor_item_t *key = kget(f, GK_GC_KEY);
	struct gkd_kdc_key want;
	const uint8_t *p;
	uint8_t kid[4] = { (uint8_t)(num >> 24), (uint8_t)(num >> 16), (uint8_t)(num >> 8),
			   (uint8_t)num };
	uint64_t u;
	int64_t i;
	size_t n;

	ASSERT_TRUE(key && cbor_isa_map(key));
	EXPECT_EQ(cbor_map_size(key), 5);
	ASSERT_EQ(gk_cbor_get_uint(gk_cbor_map_get_int(key, 1), &u), 0);
	EXPECT_EQ(u, 4);
	ASSERT_EQ(gk_cbor_get_bstr(gk_cbor_map_get_int(key, 2), &p, &n), 0);
	ASSERT_EQ(n, 4);
	EXPECT_MEMEQ(p, kid, 4);
	ASSERT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(key, 3), &i), 0);
	EXPECT_EQ(i, -65537);
	ASSERT_EQ(gkd_kdc_key(f->kdc, "demo", num, &want), 0);
	ASSERT_EQ(gk_cbor_get_bstr(gk_cbor_map_get_int(key, -1), &p, &n), 0);
	ASSERT_EQ(n, 16);
	EXPECT_MEMEQ(p, want.k, 16);
	ASSERT_EQ(gk_cbor_get_uint(gk_cbor_map_get_int(key, -65537), &u), 0);
	EXPECT_EQ(u, exp);
	EXPECT_EQ(want.exp, exp);
}

TEST(join_cose_key_created)
{
	const uint8_t *ccs, *p;
	const cbor_item_t *pol;
	struct kclient c;
	size_t ccs_len, n;
	struct kfx f;
	int64_t i;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	EXPECT_STREQ(f.rep.location, "ace-group/demo/nodes/s00000001");
	ASSERT_TRUE(cbor_isa_map(f.body));
	EXPECT_EQ(cbor_map_size(f.body), 12);
	ASSERT_EQ(gk_cbor_get_tstr(kget(&f, 7), (const char **)&p, &n), 0);
	ASSERT_EQ(n, strlen("groupkeyd-dp-v1"));
	EXPECT_MEMEQ(p, "groupkeyd-dp-v1", n);
	expect_group_key(&f, 1, NOW + 3600);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 1);
	ASSERT_EQ(gk_cbor_get_int(kget(&f, GK_GC_ACE_GROUPCOMM_PROFILE), &i), 0);
	EXPECT_EQ(i, -65537);
	EXPECT_EQ(kget_uint(&f, GK_GC_EXP), NOW + 3600);
	EXPECT_EQ(kget_uint(&f, GK_GC_EXI), 3600);
	EXPECT_TRUE(kget(&f, GK_GC_CREDS) == NULL);
	EXPECT_TRUE(kget(&f, GK_GC_PEER_IDENTIFIERS) == NULL);
	pol = kget(&f, GK_GC_GROUP_POLICIES);
	ASSERT_TRUE(pol && cbor_isa_map(pol));
	EXPECT_EQ(cbor_map_size(pol), 2);
	ASSERT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(pol, 1), &i), 0);
	EXPECT_EQ(i, 1800);
	ASSERT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(pol, 2), &i), 0);
	EXPECT_EQ(i, 60);
	ASSERT_EQ(gkd_kdc_cred(f.kdc, &ccs, &ccs_len), 0);
	ASSERT_EQ(gk_cbor_get_bstr(kget(&f, GK_GC_KDC_CRED), &p, &n), 0);
	ASSERT_EQ(n, ccs_len);
	EXPECT_MEMEQ(p, ccs, n);
	expect_kdc_pop(&f);
	EXPECT_EQ(kget_uint(&f, GK_GC_REKEYING_SCHEME), 0);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 1);
	/* Backward security: a rekey is due at the end of the coalescing window. */
	EXPECT_EQ(f.n_rekeyed, 0);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), GKD_KDC_COALESCE_MS);
	kclient_free(&c);
	kfx_fini(&f);
}

/* The first creds entry, its role and id. */
static void expect_first_cred(struct kfx *f, size_t n, const uint8_t *cred, size_t cred_len,
			      uint64_t roles, uint32_t sid)
{
	const cbor_item_t *creds = kget(f, GK_GC_CREDS), *ids = kget(f, GK_GC_PEER_IDENTIFIERS);
	const cbor_item_t *rl = kget(f, GK_GC_PEER_ROLES);
	uint8_t id[4] = { (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8),
			  (uint8_t)sid };
	const uint8_t *p;
	uint64_t r;
	size_t len;

	ASSERT_TRUE(creds && ids && rl && cbor_isa_array(creds));
	ASSERT_EQ(cbor_array_size(creds), n);
	ASSERT_EQ(cbor_array_size(ids), n);
	ASSERT_EQ(cbor_array_size(rl), n);
	ASSERT_EQ(gk_cbor_get_bstr(cbor_array_handle(creds)[0], &p, &len), 0);
	ASSERT_EQ(len, cred_len);
	EXPECT_MEMEQ(p, cred, len);
	ASSERT_EQ(gk_cbor_get_bstr(cbor_array_handle(ids)[0], &p, &len), 0);
	ASSERT_EQ(len, 4);
	EXPECT_MEMEQ(p, id, 4);
	ASSERT_EQ(gk_cbor_get_uint(cbor_array_handle(rl)[0], &r), 0);
	EXPECT_EQ(r, roles);
}

/* REQ6: a CCS is kept byte for byte. */
TEST(join_ccs_credential_kept_verbatim)
{
	struct jopt o = { .roles = 6, .cred = CRED_CCS };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CREATED);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(cbor_map_size(f.body), 4);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 1);
	expect_first_cred(&f, 1, c.cred, c.cred_len, 6, 1);
	kclient_free(&c);
	kfx_fini(&f);
}

/* REQ6: a bare COSE_Key is stored as the CCS {8: {1: key}}. */
TEST(join_cose_key_stored_as_ccs)
{
	uint8_t want[300] = { 0xa1, 0x08, 0xa1, 0x01 };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	memcpy(want + 4, c.cred, c.cred_len);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	expect_first_cred(&f, 1, want, c.cred_len + 4, 6, 1);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(rejoin_is_changed_with_same_node)
{
	struct jopt o = { .roles = 2 };
	struct kclient c;
	unsigned count;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	/* Again, as sender only and without a credential: the stored one still counts. */
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CHANGED);
	EXPECT_STREQ(f.rep.location, "ace-group/demo/nodes/s00000001");
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 1);
	ASSERT_EQ(gkd_store_member_count(f.store, "demo", &count), 0);
	EXPECT_EQ(count, 1);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	ASSERT_EQ(cbor_array_size(kget(&f, GK_GC_PEER_ROLES)), 1);
	EXPECT_EQ(cbor_get_int(cbor_array_handle(kget(&f, GK_GC_PEER_ROLES))[0]), 2);
	kclient_free(&c);
	kfx_fini(&f);
}

/* No scope: the token's roles, and the PoP over the entry the token grants, in AIF. */
TEST(join_without_scope_uses_token_entry)
{
	struct jopt o = { .cred = CRED_KEY, .pop_scope_hex = "82 64 64656d6f 06" };
	struct jopt wrong = { .cred = CRED_KEY, .pop_scope_hex = "82 64 64656d6f 02" };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin(&f, &c, &wrong), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_BAD_POP);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CREATED);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(cbor_get_int(cbor_array_handle(kget(&f, GK_GC_PEER_ROLES))[0]), 6);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(join_roles_beyond_token_forbidden)
{
	struct jopt o = { .roles = 6, .cred = CRED_KEY };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	/* demo: receiver (4) only */
	kclient_init_exp(&f, &c, 1, "81 82 64 64656d6f 04", NOW + 3600, true);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, -1);
	o.roles = 4;
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CREATED);
	kclient_free(&c);
	kfx_fini(&f);
}

/* REQ1: monitor is receive-only and does not combine with sender. */
TEST(join_sender_with_monitor_bad_request)
{
	struct jopt o = { .roles = 10, .cred = CRED_KEY };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init_exp(&f, &c, 1, "81 82 64 64656d6f 0a", NOW + 3600, true);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(join_malformed_requests)
{
	static const char *const bad[] = {
		"01",	    /* not a map */
		"a1 06 01", /* cnonce not a bstr */
		"a1 03 01", /* scope not a bstr */
		"a0",	    /* no cnonce */
		"a1 06 40", /* empty cnonce */
		"a1 06 58 21 000000000000000000000000000000000000000000000000000000000000000000",
		"a2 03 42 0102 06 41 01",		 /* scope bytes are no scope entry */
		"a2 03 4a 82 65 736d616c6c 06 06 41 01", /* ["small", 6]: another group */
		"a2 05 01 06 41 01",			 /* client_cred not a bstr */
		"a2 1a 01 06 41 01",			 /* control_uri not a tstr */
		"bf ff",				 /* indefinite map */
	};
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	for (size_t i = 0; i < GK_ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(kreq_hex(&f, &c, GKD_POST, "ace-group/demo", bad[i]), GKD_BAD_REQUEST);
		kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	}
	EXPECT_EQ(kreq(&f, &c, GKD_POST, "ace-group/demo", NULL, 0), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	EXPECT_EQ(kreq_ct(&f, &c, GKD_POST, "ace-group/demo", 60, (const uint8_t *)"\xa0", 1),
		  GKD_UNSUPPORTED_FORMAT);
	kexpect_bare(&f, GKD_UNSUPPORTED_FORMAT);
	kclient_free(&c);
	kfx_fini(&f);
}

/* REQ15: a token that came as PSK identity has no N_S: 4.00 {30: N_S}, stored with it. */
TEST(join_without_ns_gets_kdcchallenge)
{
	struct jopt o = { .roles = 6, .cred = CRED_KEY };
	struct gkd_token_rec rec;
	struct kclient c;
	const uint8_t *p;
	struct kfx f;
	size_t n;

	kfx_init(&f);
	kclient_init_exp(&f, &c, 1, SCOPE_ALL, NOW + 3600, false);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	ASSERT_TRUE(cbor_isa_map(f.body));
	EXPECT_EQ(cbor_map_size(f.body), 1);
	ASSERT_EQ(gk_cbor_get_bstr(kget(&f, GK_GC_KDCCHALLENGE), &p, &n), 0);
	ASSERT_EQ(n, 8);
	ASSERT_EQ(gkd_store_token_get(f.store, c.tok.kid, c.tok.kid_len, &rec), 0);
	ASSERT_EQ(rec.ns_len, 8);
	EXPECT_MEMEQ(rec.ns, p, 8);
	memcpy(c.ns, p, 8);
	c.ns_len = 8;
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CREATED);
	kclient_free(&c);
	kfx_fini(&f);
}

/* REQ6: EC2 P-256 public keys only; anything else is error 2. */
TEST(join_bad_credential_error_2)
{
	static const char *const creds[] = {
		"a2 01 04 20 50 00112233445566778899aabbccddeeff", /* symmetric key */
		"ff",						   /* not CBOR */
		"a1 08 a1 03 41 01",				   /* CCS with a kid only */
		"a2 01 02 08 a1 01 a0",				   /* both forms */
		"a4 01 02 20 02 21 58 20 00000000000000000000000000000000"
		"00000000000000000000000000000000 22 f5", /* compressed y */
	};
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	for (size_t i = 0; i < GK_ARRAY_SIZE(creds); i++) {
		struct jopt o = { .roles = 6, .cred_hex = creds[i] };

		EXPECT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
		kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_BAD_CRED);
	}
	kclient_free(&c);
	kfx_fini(&f);
}

/* A credential holding a private key is refused too (it would be handed to every member). */
TEST(join_private_key_credential_error_2)
{
	struct kclient c;
	char hex[400], xh[65], yh[65], dh[65];
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	gk_hex_encode(c.x, 32, xh);
	gk_hex_encode(c.y, 32, yh);
	gk_hex_encode(c.d, 32, dh);
	snprintf(hex, sizeof(hex), "a5 01 02 20 01 21 5820 %s 22 5820 %s 23 5820 %s", xh, yh, dh);
	{
		struct jopt o = { .roles = 6, .cred_hex = hex };

		EXPECT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
		kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_BAD_CRED);
	}
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(join_bad_pop_error_3)
{
	struct jopt o = { .roles = 6, .cred = CRED_CCS, .bad_pop = true };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_BAD_POP);
	/* A PoP made with the right key but an N_S the KDC never gave. */
	o.bad_pop = false;
	c.ns[0] ^= 0xff;
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_BAD_POP);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(join_credential_without_pop_bad_request)
{
	struct jopt o = { .roles = 6, .cred = CRED_KEY, .no_pop = true };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	kclient_free(&c);
	kfx_fini(&f);
}

/* require_cred (default yes): no client_cred and none stored is 4.00; nocred takes it. */
TEST(join_credential_required_by_group)
{
	struct jopt o = { .roles = 6 };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	o.group = "nocred";
	ASSERT_EQ(kjoin_to(&f, &c, "nocred", &o), GKD_CREATED);
	EXPECT_STREQ(f.rep.location, "ace-group/nocred/nodes/s00000001");
	/* Members without a credential do not show in creds. */
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/nocred/creds", NULL, 0), GKD_CONTENT);
	ASSERT_EQ(f.rep.body.len, 1);
	EXPECT_EQ(f.rep.body.buf[0], 0x40);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(join_group_full_error_4)
{
	struct jopt o = { .group = "small", .roles = 6, .cred = CRED_KEY };
	struct kclient c[3];
	struct kfx f;

	kfx_init(&f);
	for (int i = 0; i < 3; i++)
		kclient_init(&f, &c[i], (uint8_t)(i + 1));
	ASSERT_EQ(kjoin_to(&f, &c[0], "small", &o), GKD_CREATED);
	ASSERT_EQ(kjoin_to(&f, &c[1], "small", &o), GKD_CREATED);
	ASSERT_EQ(kjoin_to(&f, &c[2], "small", &o), GKD_SERVICE_UNAVAILABLE);
	kexpect_problem(&f, GKD_SERVICE_UNAVAILABLE, GK_GC_ERR_NO_KEYING_MATERIAL);
	/* A member may still re-join a full group. */
	ASSERT_EQ(kjoin_to(&f, &c[0], "small", &o), GKD_CHANGED);
	for (int i = 0; i < 3; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

TEST(join_unknown_fields_ignored)
{
	/* {99: 1, 999: null, 25 creds_repo: "abc", -7: h''} */
	struct jopt o = { .roles = 6,
			  .cred = CRED_KEY,
			  .extra_hex = "18 63 01 19 03e7 f6 18 19 63 616263 26 40",
			  .n_extra = 4 };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CREATED);
	EXPECT_EQ(cbor_map_size(f.body), 12);
	kclient_free(&c);
	kfx_fini(&f);
}

/* get_creds null: every member's credential, in sender-id order, the joiner's included. */
TEST(join_get_creds_all_and_by_role)
{
	struct jopt rx = { .roles = 4, .cred = CRED_KEY, .get_creds_hex = "f6" };
	struct jopt by_role = { .roles = 4,
				.cred = CRED_CCS,
				.get_creds_hex = "83 f5 81 66 73656e646572 80" };
	uint8_t first[300] = { 0xa1, 0x08, 0xa1, 0x01 };
	struct kclient c[3];
	struct kfx f;

	kfx_init(&f);
	for (int i = 0; i < 3; i++)
		kclient_init(&f, &c[i], (uint8_t)(i + 1));
	kjoin_ok(&f, &c[0]);
	memcpy(first + 4, c[0].cred, c[0].cred_len);
	ASSERT_EQ(kjoin(&f, &c[1], &rx), GKD_CREATED);
	EXPECT_EQ(cbor_map_size(f.body), 15);
	expect_first_cred(&f, 2, first, c[0].cred_len + 4, 6, 1);
	EXPECT_EQ(cbor_get_int(cbor_array_handle(kget(&f, GK_GC_PEER_ROLES))[1]), 4);
	/* ["sender"]: c[0] only (c[1] and c[2] are receivers). */
	ASSERT_EQ(kjoin(&f, &c[2], &by_role), GKD_CREATED);
	expect_first_cred(&f, 1, first, c[0].cred_len + 4, 6, 1);
	for (int i = 0; i < 3; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

TEST(join_get_creds_malformed)
{
	static const char *const bad[] = {
		"83 f4 81 02 80",	      /* inclusion_flag false in a Join */
		"83 f5 80 80",		      /* no role */
		"83 f5 81 02 81 44 00000001", /* ids in a Join */
		"83 f5 81 66 6d61737465 80",  /* unknown role name "maste" */
		"83 f5 81 01 80",	      /* Tperm bit 0 */
		"82 f5 81 02",		      /* two elements */
		"01",
	};
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	for (size_t i = 0; i < GK_ARRAY_SIZE(bad); i++) {
		struct jopt o = { .roles = 6, .cred = CRED_KEY, .get_creds_hex = bad[i] };

		EXPECT_EQ(kjoin(&f, &c, &o), GKD_BAD_REQUEST);
		kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	}
	kclient_free(&c);
	kfx_fini(&f);
}

static int grab_member(void *arg, const struct gkd_kdc_member *m)
{
	*(struct gkd_kdc_member *)arg = *m;
	return 0;
}

TEST(join_control_uri)
{
	static const char *const bad[] = {
		"coap://[ff02::fd]/ace-group/demo",
		"http://node/x",
		"coap:///x",
		"coap://a b/x",
	};
	struct jopt o = { .roles = 6,
			  .cred = CRED_KEY,
			  .control_uri = "coaps://node1.example:5684/ace-group/demo/node" };
	struct gkd_kdc_member m;
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	for (size_t i = 0; i < GK_ARRAY_SIZE(bad); i++) {
		struct jopt b = { .roles = 6, .cred = CRED_KEY, .control_uri = bad[i] };

		EXPECT_EQ(kjoin(&f, &c, &b), GKD_BAD_REQUEST);
		kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	}
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CREATED);
	ASSERT_EQ(gkd_kdc_members(f.kdc, "demo", grab_member, &m), 0);
	EXPECT_STREQ(m.control_uri, "coaps://node1.example:5684/ace-group/demo/node");
	EXPECT_STREQ(m.node, "s00000001");
	EXPECT_EQ(m.sender_id, 1);
	EXPECT_EQ(m.roles, 6);
	ASSERT_EQ(m.kid_len, 4);
	EXPECT_MEMEQ(m.kid, "pop\x01", 4);
	EXPECT_EQ(gkd_kdc_members(f.kdc, "nope", grab_member, &m), -ENOENT);
	kclient_free(&c);
	kfx_fini(&f);
}

/* --- common refusals ---------------------------------------------------------------- */

TEST(no_token_unauthorized)
{
	struct kfx f;

	kfx_init(&f);
	EXPECT_EQ(kreq(&f, NULL, GKD_GET, "ace-group/demo", NULL, 0), GKD_UNAUTHORIZED);
	kexpect_bare(&f, GKD_UNAUTHORIZED);
	EXPECT_EQ(kreq_hex(&f, NULL, GKD_FETCH, "ace-group", "a1 00 81 64 64656d6f"),
		  GKD_UNAUTHORIZED);
	kexpect_bare(&f, GKD_UNAUTHORIZED);
	EXPECT_EQ(kreq(&f, NULL, GKD_DELETE, "ace-group/demo/nodes/s00000001", NULL, 0),
		  GKD_UNAUTHORIZED);
	kexpect_bare(&f, GKD_UNAUTHORIZED);
	kfx_fini(&f);
}

TEST(unknown_group_not_found_and_scope_forbidden)
{
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init_exp(&f, &c, 1, "81 82 64 64656d6f 06", NOW + 3600, true);
	EXPECT_EQ(kreq(&f, &c, GKD_GET, "ace-group/nope", NULL, 0), GKD_NOT_FOUND);
	kexpect_problem(&f, GKD_NOT_FOUND, -1);
	EXPECT_EQ(kreq(&f, &c, GKD_GET, "ace-group/small/num", NULL, 0), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, -1);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(methods_not_allowed)
{
	static const struct {
		enum gkd_method m;
		const char *path;
	} cases[] = {
		{ GKD_GET, "ace-group" },
		{ GKD_PUT, "ace-group/demo" },
		{ GKD_DELETE, "ace-group/demo" },
		{ GKD_POST, "ace-group/demo/creds" },
		{ GKD_FETCH, "ace-group/demo/kdc-cred" },
		{ GKD_POST, "ace-group/demo/policies" },
		{ GKD_DELETE, "ace-group/demo/num" },
		{ GKD_FETCH, "ace-group/demo/nodes/s1" },
		{ GKD_GET, "ace-group/demo/nodes/s1/cred" },
	};
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	for (size_t i = 0; i < GK_ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(kreq(&f, &c, cases[i].m, cases[i].path, NULL, 0), GKD_METHOD_NOT_ALLOWED);
		kexpect_bare(&f, GKD_METHOD_NOT_ALLOWED);
	}
	kclient_free(&c);
	kfx_fini(&f);
}

/* --- FETCH /ace-group ---------------------------------------------------------------- */

TEST(fetch_ace_group)
{
	size_t want_len;
	uint8_t *want;
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init_exp(&f, &d, 2, "81 82 64 64656d6f 06", NOW + 3600, true);
	/* {0: ["demo", "nope", "demo", 5, "small"]}: configured, in scope, once each. */
	ASSERT_EQ(kreq_hex(&f, &c, GKD_FETCH, "ace-group",
			   "a1 00 85 64 64656d6f 64 6e6f7065 64 64656d6f 05 65 736d616c6c"),
		  GKD_CONTENT);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	want = gk_test_unhex("a3 00 82 64 64656d6f 65 736d616c6c 01 82 64 64656d6f 65 736d616c6c"
			     " 02 82 6f 2f6163652d67726f75702f64656d6f"
			     " 70 2f6163652d67726f75702f736d616c6c",
			     &want_len);
	ASSERT_EQ(f.rep.body.len, want_len);
	EXPECT_MEMEQ(f.rep.body.buf, want, want_len);
	free(want);
	/* Out of d's scope: the zero-length byte string. */
	ASSERT_EQ(kreq_hex(&f, &d, GKD_FETCH, "ace-group", "a1 00 81 65 736d616c6c"), GKD_CONTENT);
	ASSERT_EQ(f.rep.body.len, 1);
	EXPECT_EQ(f.rep.body.buf[0], 0x40);
	EXPECT_EQ(kreq_hex(&f, &c, GKD_FETCH, "ace-group", "a1 01 02"), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	EXPECT_EQ(kreq(&f, &c, GKD_FETCH, "ace-group", NULL, 0), GKD_BAD_REQUEST);
	EXPECT_EQ(kreq_ct(&f, &c, GKD_FETCH, "ace-group", 50, (const uint8_t *)"\xa0", 1),
		  GKD_UNSUPPORTED_FORMAT);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* --- GET group, nodes ------------------------------------------------------------------- */

TEST(group_get_member)
{
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	f.now_ms += 10 * 1000;
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	EXPECT_EQ(cbor_map_size(f.body), 7);
	expect_group_key(&f, 1, NOW + 3600);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 1);
	EXPECT_EQ(kget_uint(&f, GK_GC_EXP), NOW + 3600);
	EXPECT_EQ(kget_uint(&f, GK_GC_EXI), 3590);
	EXPECT_EQ(kget_uint(&f, GK_GC_REKEYING_SCHEME), 0);
	EXPECT_TRUE(kget(&f, GK_GC_SENDER_ID) == NULL);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(member_only_resources_refuse_non_members)
{
	static const char *const paths[] = {
		"ace-group/demo",	   "ace-group/demo/creds", "ace-group/demo/kdc-cred",
		"ace-group/demo/policies", "ace-group/demo/num",   "ace-group/demo/nodes/s00000001",
	};
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	for (size_t i = 0; i < GK_ARRAY_SIZE(paths); i++) {
		EXPECT_EQ(kreq(&f, &d, GKD_GET, paths[i], NULL, 0), GKD_FORBIDDEN);
		kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	}
	EXPECT_EQ(kreq_hex(&f, &d, GKD_FETCH, "ace-group/demo/creds", "a1 04 83 f5 81 02 80"),
		  GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	EXPECT_EQ(kreq(&f, &d, GKD_DELETE, "ace-group/demo/nodes/s00000001", NULL, 0),
		  GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

TEST(node_get_own_and_other)
{
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	kjoin_ok(&f, &d);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(cbor_map_size(f.body), 8);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 1);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 1);
	expect_group_key(&f, 1, NOW + 3600);
	/* Another member's node, and a node that does not exist. */
	EXPECT_EQ(kreq(&f, &d, GKD_GET, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	EXPECT_EQ(kreq(&f, &d, GKD_GET, "ace-group/demo/nodes/s00000009", NULL, 0), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	EXPECT_EQ(kreq(&f, &d, GKD_POST, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* --- creds ------------------------------------------------------------------------------------ */

/* Three members: s1 sender+receiver (6), s2 receiver (4), s3 sender (2). */
static void three_members(struct kfx *f, struct kclient c[3])
{
	uint32_t roles[3] = { 6, 4, 2 };

	for (int i = 0; i < 3; i++) {
		struct jopt o = { .roles = roles[i], .cred = CRED_KEY };

		kclient_init(f, &c[i], (uint8_t)(i + 1));
		ASSERT_EQ(kjoin(f, &c[i], &o), GKD_CREATED);
	}
}

/* FETCH creds with get_creds_hex; the sender ids selected, in order. */
static void expect_fetch(struct kfx *f, struct kclient *c, const char *get_creds_hex,
			 const uint32_t *sids, size_t n)
{
	char hex[512];
	const cbor_item_t *ids;

	snprintf(hex, sizeof(hex), "a1 04 %s", get_creds_hex);
	ASSERT_EQ(kreq_hex(f, c, GKD_FETCH, "ace-group/demo/creds", hex), GKD_CONTENT);
	EXPECT_EQ(f->rep.content_format, GKD_CF_ACE_GROUPCOMM);
	if (!n) {
		ASSERT_EQ(f->rep.body.len, 1);
		EXPECT_EQ(f->rep.body.buf[0], 0x40);
		return;
	}
	EXPECT_EQ(cbor_map_size(f->body), 4);
	EXPECT_EQ(kget_uint(f, GK_GC_NUM), 1);
	ids = kget(f, GK_GC_PEER_IDENTIFIERS);
	ASSERT_TRUE(ids && cbor_isa_array(ids));
	ASSERT_EQ(cbor_array_size(ids), n);
	ASSERT_EQ(cbor_array_size(kget(f, GK_GC_CREDS)), n);
	ASSERT_EQ(cbor_array_size(kget(f, GK_GC_PEER_ROLES)), n);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p;
		size_t len;

		ASSERT_EQ(gk_cbor_get_bstr(cbor_array_handle(ids)[i], &p, &len), 0);
		ASSERT_EQ(len, 4);
		EXPECT_EQ((uint32_t)p[3] | (uint32_t)p[2] << 8, sids[i]);
	}
}

TEST(creds_get_all)
{
	struct kclient c[3];
	struct kfx f;

	kfx_init(&f);
	three_members(&f, c);
	ASSERT_EQ(kreq(&f, &c[1], GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(cbor_map_size(f.body), 4);
	ASSERT_EQ(cbor_array_size(kget(&f, GK_GC_CREDS)), 3);
	EXPECT_EQ(cbor_get_int(cbor_array_handle(kget(&f, GK_GC_PEER_ROLES))[0]), 6);
	EXPECT_EQ(cbor_get_int(cbor_array_handle(kget(&f, GK_GC_PEER_ROLES))[1]), 4);
	EXPECT_EQ(cbor_get_int(cbor_array_handle(kget(&f, GK_GC_PEER_ROLES))[2]), 2);
	for (int i = 0; i < 3; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

TEST(creds_fetch_filters)
{
	static const uint32_t s1[] = { 1 }, s2[] = { 2 }, s12[] = { 1, 2 }, s13[] = { 1, 3 },
			      s123[] = { 1, 2, 3 }, s23[] = { 2, 3 };
	struct kclient c[3];
	struct kfx f;

	kfx_init(&f);
	three_members(&f, c);
	expect_fetch(&f, &c[0], "83 f5 81 02 80", s13, 2);		    /* Tperm sender */
	expect_fetch(&f, &c[0], "83 f5 81 68 7265636569766572 80", s12, 2); /* "receiver" */
	expect_fetch(&f, &c[0], "83 f5 81 06 80", s1, 1);		    /* Tperm both */
	expect_fetch(&f, &c[0], "83 f5 81 82 66 73656e646572 68 7265636569766572 80", s1, 1);
	expect_fetch(&f, &c[0], "83 f5 80 81 44 00000002", s2, 1);	/* ids only */
	expect_fetch(&f, &c[0], "83 f5 81 02 81 44 00000002", s123, 3); /* union */
	expect_fetch(&f, &c[0], "83 f4 80 81 44 00000001", s23, 2);	/* exclude id */
	expect_fetch(&f, &c[0], "83 f4 81 04 81 44 00000001", s2, 1);	/* receivers but s1 */
	for (int i = 0; i < 3; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

/* REQ26: unknown ids (and ids of another size) are left out silently. */
TEST(creds_fetch_unknown_ids_ignored)
{
	static const uint32_t s3[] = { 3 };
	struct kclient c[3];
	struct kfx f;

	kfx_init(&f);
	three_members(&f, c);
	expect_fetch(&f, &c[0], "83 f5 80 82 44 000000ff 41 01", NULL, 0);
	expect_fetch(&f, &c[0], "83 f5 80 82 44 000000ff 44 00000003", s3, 1);
	for (int i = 0; i < 3; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

TEST(creds_fetch_malformed)
{
	static const char *const bad[] = {
		"a1 04 83 f5 80 80", /* both filters empty */
		"a1 04 83 f4 80 80",
		"a1 04 f6",		   /* null: use GET */
		"a0",			   /* no get_creds */
		"a1 04 83 f5 81 02 81 02", /* id not a bstr */
		"a1 04 83 01 81 02 80",	   /* flag not a bool */
		"a1 04 83 f5 81 80 80",	   /* empty combination */
		"a1 04 83 f5 81 10 80",	   /* Tperm bit 4 */
	};
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	for (size_t i = 0; i < GK_ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(kreq_hex(&f, &c, GKD_FETCH, "ace-group/demo/creds", bad[i]),
			  GKD_BAD_REQUEST);
		kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	}
	kclient_free(&c);
	kfx_fini(&f);
}

/* peer_roles follow the requester's scope form: textual names for a textual token. */
TEST(creds_textual_roles)
{
	struct kclient c, t;
	const cbor_item_t *rl, *r0;
	const char *s;
	size_t n;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	/* [["demo", ["sender", "receiver"]]] */
	kclient_init_exp(&f, &t, 2, "81 82 64 64656d6f 82 66 73656e646572 68 7265636569766572",
			 NOW + 3600, true);
	{
		struct jopt o = { .cred = CRED_KEY,
				  .pop_scope_hex = "82 64 64656d6f 82 66 73656e646572 68 "
						   "7265636569766572" };

		ASSERT_EQ(kjoin(&f, &t, &o), GKD_CREATED);
	}
	ASSERT_EQ(kreq(&f, &t, GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	rl = kget(&f, GK_GC_PEER_ROLES);
	ASSERT_TRUE(rl && cbor_array_size(rl) == 2);
	r0 = cbor_array_handle(rl)[0];
	ASSERT_TRUE(cbor_isa_array(r0) && cbor_array_size(r0) == 2);
	ASSERT_EQ(gk_cbor_get_tstr(cbor_array_handle(r0)[0], &s, &n), 0);
	ASSERT_EQ(n, 6);
	EXPECT_MEMEQ(s, "sender", 6);
	kclient_free(&c);
	kclient_free(&t);
	kfx_fini(&f);
}

/* --- kdc-cred, policies, num ---------------------------------------------------------------- */

TEST(kdc_cred_get)
{
	uint8_t nonce1[8];
	const uint8_t *p;
	struct kclient c;
	struct kfx f;
	size_t n;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/kdc-cred", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	EXPECT_EQ(cbor_map_size(f.body), 3);
	/* Signed over the clientchallenge: the Join's cnonce. */
	expect_kdc_pop(&f);
	ASSERT_EQ(gk_cbor_get_bstr(kget(&f, GK_GC_KDC_NONCE), &p, &n), 0);
	memcpy(nonce1, p, 8);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/kdc-cred", NULL, 0), GKD_CONTENT);
	ASSERT_EQ(gk_cbor_get_bstr(kget(&f, GK_GC_KDC_NONCE), &p, &n), 0);
	EXPECT_NE(memcmp(nonce1, p, 8), 0);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(policies_and_num)
{
	size_t want_len;
	uint8_t *want;
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/policies", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	/* {16: {1: 1800, 2: 60}} (REQ20: key lifetime / 2, receive grace) */
	want = gk_test_unhex("a1 10 a2 01 19 0708 02 18 3c", &want_len);
	ASSERT_EQ(f.rep.body.len, want_len);
	EXPECT_MEMEQ(f.rep.body.buf, want, want_len);
	free(want);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/num", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	ASSERT_EQ(f.rep.body.len, 1);
	EXPECT_EQ(f.rep.body.buf[0], 0x01);
	f.now_ms += GKD_KDC_COALESCE_MS;
	ASSERT_EQ(gkd_kdc_tick(f.kdc, f.now_ms), 0);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/num", NULL, 0), GKD_CONTENT);
	ASSERT_EQ(f.rep.body.len, 1);
	EXPECT_EQ(f.rep.body.buf[0], 0x02);
	kclient_free(&c);
	kfx_fini(&f);
}

/* --- renewal, leave ------------------------------------------------------------------ */

TEST(renewal_gives_new_sender_id)
{
	size_t want_len;
	uint8_t *want;
	unsigned reserved;
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	want = gk_test_unhex("a1 3a 00010000 02", &want_len); /* {-65537: 2} */
	ASSERT_EQ(f.rep.body.len, want_len);
	EXPECT_MEMEQ(f.rep.body.buf, want, want_len);
	free(want);
	/* The node keeps its name; the old id stays reserved. */
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 2);
	ASSERT_EQ(gkd_store_sid_count(f.store, "demo", &reserved), 0);
	EXPECT_EQ(reserved, 1);
	/* PUT, as drafts up to -19 had it. */
	ASSERT_EQ(kreq(&f, &c, GKD_PUT, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 3);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(renewal_needs_sender_role_error_1)
{
	struct jopt o = { .roles = 4, .cred = CRED_KEY };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin(&f, &c, &o), GKD_CREATED);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, "ace-group/demo/nodes/s00000001", NULL, 0),
		  GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_ROLES);
	kclient_free(&c);
	kfx_fini(&f);
}

/* Every candidate id reserved: renewal and Join both get 5.03 error 4. */
TEST(no_free_sender_id_error_4)
{
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	for (uint32_t sid = 2; sid < 2 + 1024; sid++)
		ASSERT_EQ(gkd_store_sid_reserve(f.store, "demo", sid, 1), 0);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, "ace-group/demo/nodes/s00000001", NULL, 0),
		  GKD_SERVICE_UNAVAILABLE);
	kexpect_problem(&f, GKD_SERVICE_UNAVAILABLE, GK_GC_ERR_NO_KEYING_MATERIAL);
	{
		struct jopt o = { .roles = 6, .cred = CRED_KEY };

		ASSERT_EQ(kjoin(&f, &d, &o), GKD_SERVICE_UNAVAILABLE);
		kexpect_problem(&f, GKD_SERVICE_UNAVAILABLE, GK_GC_ERR_NO_KEYING_MATERIAL);
	}
	/* Nothing changed: still sender id 1. */
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 1);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* Leave -> 2.02; the leaver is no member any more (4.03 error 0); the rekey follows. */
TEST(leave_then_rekey_then_forbidden)
{
	struct gkd_kdc_key k;
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	kjoin_ok(&f, &d);
	f.now_ms += 1000;
	ASSERT_EQ(gkd_kdc_tick(f.kdc, f.now_ms), 0);
	ASSERT_EQ(f.n_rekeyed, 1); /* the joins' rekey */
	ASSERT_EQ(kreq(&f, &c, GKD_DELETE, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_DELETED);
	kexpect_bare(&f, GKD_DELETED);
	EXPECT_EQ(f.n_removed, 1);
	EXPECT_STREQ(f.rm_node, "s00000001");
	EXPECT_EQ(f.rm_reason, GKD_KDC_LEFT);
	EXPECT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo", NULL, 0), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	EXPECT_EQ(kreq(&f, &c, GKD_DELETE, "ace-group/demo/nodes/s00000001", NULL, 0),
		  GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	/* Forward security: rekey at the end of the window. */
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), GKD_KDC_COALESCE_MS);
	ASSERT_EQ(gkd_kdc_tick(f.kdc, f.now_ms + GKD_KDC_COALESCE_MS - 1), 0);
	EXPECT_EQ(f.n_rekeyed, 1);
	ASSERT_EQ(gkd_kdc_tick(f.kdc, f.now_ms + GKD_KDC_COALESCE_MS), 0);
	EXPECT_EQ(f.n_rekeyed, 2);
	EXPECT_EQ(f.rk_num, 3);
	EXPECT_STREQ(f.rk_group, "demo");
	ASSERT_EQ(kreq(&f, &d, GKD_GET, "ace-group/demo", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 3);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 3, &k), 0);
	EXPECT_EQ(k.exp, NOW + 1 + 3600);
	/* The leaver cannot fetch the new material; a re-join with its token is a new node. */
	EXPECT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	kjoin_ok(&f, &c);
	EXPECT_STREQ(f.rep.location, "ace-group/demo/nodes/s00000003");
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* --- credential update ---------------------------------------------------------------------- */

/* {5: new COSE_Key, 6: N_C, 24: PoP over the Join's scope entry}, signed by key_of. */
static uint8_t *cred_update(struct kfx *f, struct kclient *c, const struct kclient *key_of,
			    bool bad_pop, const char *cred_hex, size_t *len)
{
	static const uint8_t scope[] = { 0x82, 0x64, 'd', 'e', 'm', 'o', 0x06 };
	static const uint8_t nc[] = { 0x04, 0x46, 0xba, 0xef, 0xc5, 0x61, 0x11, 0xbf };
	struct kclient tmp = *key_of;
	uint8_t sig[64], *out;
	struct gk_enc e;

	memcpy(tmp.ns, c->ns, sizeof(tmp.ns));
	tmp.ns_len = c->ns_len;
	if (cred_hex) {
		uint8_t *b = gk_test_unhex(cred_hex, &tmp.cred_len);

		memcpy(tmp.cred, b, tmp.cred_len);
		free(b);
	} else {
		kfx_cred(&tmp, CRED_KEY);
	}
	kfx_pop(f, &tmp, scope, sizeof(scope), nc, sizeof(nc), sig);
	if (bad_pop)
		sig[0] ^= 1;
	gk_enc_init(&e);
	gk_enc_map(&e, 3);
	gk_enc_uint(&e, 5), gk_enc_bstr(&e, tmp.cred, tmp.cred_len);
	gk_enc_uint(&e, 6), gk_enc_bstr(&e, nc, sizeof(nc));
	gk_enc_uint(&e, 24), gk_enc_bstr(&e, sig, sizeof(sig));
	ASSERT_EQ(gk_enc_finish(&e, &out, len), 0);
	memcpy(c->cred, tmp.cred, tmp.cred_len);
	c->cred_len = tmp.cred_len;
	memset(&tmp.tok, 0, sizeof(tmp.tok));
	return out;
}

TEST(node_cred_update)
{
	static const char path[] = "ace-group/demo/nodes/s00000001/cred";
	uint8_t want[300] = { 0xa1, 0x08, 0xa1, 0x01 }, *p;
	struct kclient c, k2;
	struct kfx f;
	size_t len;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &k2, 2); /* only its key pair is used */
	kjoin_ok(&f, &c);
	p = cred_update(&f, &c, &k2, true, NULL, &len);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, path, p, len), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_BAD_POP);
	free(p);
	p = cred_update(&f, &c, &k2, false, "a2 01 04 20 41 00", &len);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, path, p, len), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, GK_GC_ERR_BAD_CRED);
	free(p);
	EXPECT_EQ(kreq_hex(&f, &c, GKD_POST, path, "a1 06 41 01"), GKD_BAD_REQUEST);
	kexpect_problem(&f, GKD_BAD_REQUEST, -1);
	p = cred_update(&f, &c, &k2, false, NULL, &len);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, path, p, len), GKD_CHANGED);
	kexpect_bare(&f, GKD_CHANGED);
	free(p);
	memcpy(want + 4, c.cred, c.cred_len);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	expect_first_cred(&f, 1, want, c.cred_len + 4, 6, 1);
	kclient_free(&c);
	kclient_free(&k2);
	kfx_fini(&f);
}

TEST(node_cred_update_refusals)
{
	struct gkd_token_rec rec;
	struct kclient c, d;
	const uint8_t *ns;
	uint8_t *p;
	size_t len, n;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	kjoin_ok(&f, &d);
	/* d on c's node */
	p = cred_update(&f, &d, &d, false, NULL, &len);
	ASSERT_EQ(kreq(&f, &d, GKD_POST, "ace-group/demo/nodes/s00000001/cred", p, len),
		  GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	free(p);
	/* N_S lost: 4.00 with a fresh kdcchallenge. */
	ASSERT_EQ(gkd_store_token_get(f.store, c.tok.kid, c.tok.kid_len, &rec), 0);
	rec.ns_len = 0;
	ASSERT_EQ(gkd_store_token_put(f.store, &rec), 0);
	p = cred_update(&f, &c, &c, false, NULL, &len);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, "ace-group/demo/nodes/s00000001/cred", p, len),
		  GKD_BAD_REQUEST);
	EXPECT_EQ(f.rep.content_format, GKD_CF_ACE_GROUPCOMM);
	ASSERT_EQ(gk_cbor_get_bstr(kget(&f, GK_GC_KDCCHALLENGE), &ns, &n), 0);
	ASSERT_EQ(n, 8);
	free(p);
	memcpy(c.ns, ns, 8);
	p = cred_update(&f, &c, &c, false, NULL, &len);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, "ace-group/demo/nodes/s00000001/cred", p, len),
		  GKD_CHANGED);
	free(p);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* --- accessors for the glue and the data plane -------------------------------------- */

TEST(rekey_message_and_key_accessor)
{
	struct gkd_kdc_key k;
	struct gkd_reply rep;
	uint32_t num = 0;
	struct kfx f;

	kfx_init(&f);
	ASSERT_EQ(gkd_kdc_group_num(f.kdc, "demo", &num), 0);
	EXPECT_EQ(num, 1);
	EXPECT_EQ(gkd_kdc_group_num(f.kdc, "nope", &num), -ENOENT);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k), 0);
	EXPECT_EQ(k.num, 1);
	EXPECT_EQ(k.exp, NOW + 3600);
	EXPECT_EQ(k.recv_until, NOW + 3600 + 60);
	EXPECT_EQ(gkd_kdc_key(f.kdc, "demo", 2, &k), -ENOENT);
	EXPECT_EQ(gkd_kdc_key(f.kdc, "demo", 0, &k), -ENOENT);
	gkd_reply_init(&rep);
	ASSERT_EQ(gkd_kdc_rekey_message(f.kdc, "demo", NOW_MS + 600 * 1000, &rep), 0);
	EXPECT_EQ(rep.code, GKD_CONTENT);
	EXPECT_EQ(rep.content_format, GKD_CF_ACE_GROUPCOMM);
	f.body = NULL;
	ASSERT_EQ(gk_cbor_decode(rep.body.buf, rep.body.len, NULL, &f.body), 0);
	EXPECT_EQ(cbor_map_size(f.body), 7);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 1);
	EXPECT_EQ(kget_uint(&f, GK_GC_EXI), 3000);
	expect_group_key(&f, 1, NOW + 3600);
	gkd_reply_free(&rep);
	EXPECT_EQ(gkd_kdc_rekey_message(f.kdc, "nope", NOW_MS, &rep), -ENOENT);
	kfx_fini(&f);
}
