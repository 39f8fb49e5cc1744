// SPDX-License-Identifier: BSD-3-Clause
/* Embedded AS tests: /token success, every RFC 9200 Table 3 refusal, token contents. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "as.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"

#define NOW 1700000000
#define SENDER GK_ROLE_BIT(GK_ROLE_SENDER)
#define RECEIVER GK_ROLE_BIT(GK_ROLE_RECEIVER)
#define MONITOR GK_ROLE_BIT(GK_ROLE_MONITOR)

/* [["demo", 6]], [["demo", 4]], [["other", 8]] */
#define SCOPE_DEMO_SR "81 82 64 64656d6f 06"
#define SCOPE_DEMO_R "81 82 64 64656d6f 04"
#define SCOPE_DEMO_S "81 82 64 64656d6f 02"

struct fx {
	struct gkd_config *cfg;
	struct gkd_store *store;
	struct gk_rng *rng;
	struct gkd_as as;
	struct gkd_reply rep;
	char dir[64];
};

static void add_client(struct gkd_config *cfg, const char *id, const char *scope)
{
	struct gkd_client_conf *c = &cfg->clients[cfg->n_clients++];

	snprintf(c->id, sizeof(c->id), "%s", id);
	c->psk_len = 16;
	memset(c->psk, 0x5a, c->psk_len);
	if (scope)
		ASSERT_EQ(gk_scope_parse_arg(scope, &c->allowed), 0);
}

static void add_group(struct gkd_config *cfg, const char *name, uint32_t roles)
{
	struct gkd_group_conf *g = &cfg->groups[cfg->n_groups++];

	snprintf(g->name, sizeof(g->name), "%s", name);
	g->roles = roles;
}

static void fx_init(struct fx *f)
{
	struct gk_cose_key *k;

	memset(f, 0, sizeof(*f));
	gk_log_set_level(GK_LOG_WARN);
	f->cfg = calloc(1, sizeof(*f->cfg));
	ASSERT_TRUE(f->cfg);
	gkd_conf_defaults(f->cfg);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gk-test-as-XXXXXX");
	ASSERT_TRUE(mkdtemp(f->dir));
	snprintf(f->cfg->state_dir, sizeof(f->cfg->state_dir), "%s", f->dir);
	k = &f->cfg->as_kdc_key;
	k->kty = GK_COSE_KTY_SYMMETRIC;
	memcpy(k->kid, "kdc", 3);
	k->kid_len = 3;
	for (int i = 0; i < 16; i++)
		k->k[i] = (uint8_t)(0xa0 + i);
	k->k_len = 16;
	f->cfg->as_kdc_key_set = true;
	add_group(f->cfg, "demo", GK_ROLES_ALL);
	add_group(f->cfg, "other", GK_ROLES_ALL);
	add_client(f->cfg, "client1", "demo:sender,receiver");
	add_client(f->cfg, "client2", "demo:receiver");
	ASSERT_EQ(gk_scope_parse_arg("other:monitor", &f->cfg->clients[1].allowed), 0);
	add_client(f->cfg, "nobody", NULL);
	ASSERT_EQ(gkd_store_open(f->dir, &f->store), 0);
	ASSERT_EQ(gk_rng_new(&f->rng), 0);
	f->as = (struct gkd_as){ .cfg = f->cfg, .store = f->store, .rng = f->rng };
	gkd_reply_init(&f->rep);
}

static void fx_fini(struct fx *f)
{
	const char *files[] = { "groupkeyd.db", "groupkeyd.db-wal", "groupkeyd.db-shm" };
	char path[128];

	gkd_reply_free(&f->rep);
	gkd_store_close(f->store);
	gk_rng_free(f->rng);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
	gkd_conf_wipe(f->cfg);
	free(f->cfg);
}

/* Request fields; NULL / false leaves a parameter out. */
struct req {
	const char *aud;
	const char *scope_hex;
	const char *client_id;
	bool grant;
	uint64_t grant_type;
};

static uint8_t *build_req(const struct req *r, size_t *len)
{
	size_t n = !!r->aud + !!r->scope_hex + !!r->client_id + r->grant;
	uint8_t *out, *scope = NULL;
	size_t scope_len = 0;
	struct gk_enc e;

	if (r->scope_hex)
		scope = gk_test_unhex(r->scope_hex, &scope_len);
	gk_enc_init(&e);
	gk_enc_map(&e, n);
	if (r->aud)
		gk_enc_uint(&e, GKD_ACE_AUDIENCE), gk_enc_tstr(&e, r->aud);
	if (scope)
		gk_enc_uint(&e, GKD_ACE_SCOPE), gk_enc_bstr(&e, scope, scope_len);
	if (r->client_id)
		gk_enc_uint(&e, GKD_ACE_CLIENT_ID), gk_enc_tstr(&e, r->client_id);
	if (r->grant)
		gk_enc_uint(&e, GKD_ACE_GRANT_TYPE), gk_enc_uint(&e, r->grant_type);
	ASSERT_EQ(gk_enc_finish(&e, &out, len), 0);
	free(scope);
	return out;
}

static int post(struct fx *f, const char *client, const struct req *r)
{
	size_t len;
	uint8_t *buf = build_req(r, &len);
	int err = gkd_as_token(&f->as, client, GKD_CF_ACE_CBOR, buf, len, NOW, &f->rep);

	free(buf);
	return err;
}

static int post_hex(struct fx *f, const char *client, int ct, const char *hex)
{
	size_t len;
	uint8_t *buf = gk_test_unhex(hex, &len);
	int err = gkd_as_token(&f->as, client, ct, buf, len, NOW, &f->rep);

	free(buf);
	return err;
}

static cbor_item_t *body(const struct gkd_reply *rep)
{
	cbor_item_t *it = NULL;

	ASSERT_EQ(rep->content_format, GKD_CF_ACE_CBOR);
	ASSERT_EQ(gk_cbor_decode(rep->body.buf, rep->body.len, NULL, &it), 0);
	ASSERT_TRUE(cbor_isa_map(it));
	return it;
}

static void expect_error(const struct gkd_reply *rep, int code, int ace_error, const char *why)
{
	cbor_item_t *m;
	uint64_t v;
	const char *s;
	size_t n;

	ASSERT_EQ(rep->code, code);
	m = body(rep);
	EXPECT_EQ(cbor_map_size(m), 2);
	ASSERT_EQ(gk_cbor_get_uint(gk_cbor_map_get_int(m, GKD_ACE_ERROR), &v), 0);
	EXPECT_EQ(v, ace_error);
	ASSERT_EQ(gk_cbor_get_tstr(gk_cbor_map_get_int(m, GKD_ACE_ERROR_DESCRIPTION), &s, &n), 0);
	if (why) {
		EXPECT_EQ(n, strlen(why));
		EXPECT_MEMEQ(s, why, strlen(why));
	}
	cbor_decref(&m);
}

/* A 2.01 answer, split: the token bytes (malloc'd), the cnf key, and the scope (9) if any. */
struct issued {
	uint8_t *tok;
	size_t tok_len;
	struct gk_cose_key pop;
	uint8_t scope[64];
	size_t scope_len; /* 0: no scope in the response */
	size_t n_fields;
};

static void take_issued(const struct gkd_reply *rep, struct issued *out)
{
	cbor_item_t *m, *cnf;
	const uint8_t *p;
	uint64_t v;
	size_t n;

	memset(out, 0, sizeof(*out));
	ASSERT_EQ(rep->code, GKD_CREATED);
	m = body(rep);
	out->n_fields = cbor_map_size(m);
	ASSERT_EQ(gk_cbor_get_bstr(gk_cbor_map_get_int(m, GKD_ACE_ACCESS_TOKEN), &p, &n), 0);
	out->tok = malloc(n);
	memcpy(out->tok, p, n);
	out->tok_len = n;
	ASSERT_EQ(gk_cbor_get_uint(gk_cbor_map_get_int(m, GKD_ACE_EXPIRES_IN), &v), 0);
	EXPECT_EQ(v, 3600);
	ASSERT_EQ(gk_cbor_get_uint(gk_cbor_map_get_int(m, GKD_ACE_PROFILE), &v), 0);
	EXPECT_EQ(v, GKD_ACE_PROFILE_COAP_DTLS);
	cnf = gk_cbor_map_get_int(m, GKD_ACE_CNF);
	ASSERT_TRUE(cnf && cbor_isa_map(cnf) && cbor_map_size(cnf) == 1);
	ASSERT_EQ(gk_cose_key_from_item(gk_cbor_map_get_int(cnf, GK_CNF_COSE_KEY), &out->pop), 0);
	if (!gk_cbor_get_bstr(gk_cbor_map_get_int(m, GKD_ACE_SCOPE), &p, &n)) {
		ASSERT_LE(n, sizeof(out->scope));
		memcpy(out->scope, p, n);
		out->scope_len = n;
	}
	cbor_decref(&m);
}

static void expect_scope(const uint8_t *got, size_t len, const char *hex)
{
	size_t want_len;
	uint8_t *want = gk_test_unhex(hex, &want_len);

	ASSERT_EQ(len, want_len);
	ASSERT_MEMEQ(got, want, len);
	free(want);
}

static void open_token(struct fx *f, const struct issued *is, struct gk_cwt_claims *c,
		       struct gk_cwt_info *info)
{
	struct gk_cwt_verify_opts o = { .keys = &f->cfg->as_kdc_key, .n_keys = 1, .now = NOW,
					.audience = "groupkeyd-kdc", .issuer = "groupkeyd-as",
					.require_exp = true };

	ASSERT_EQ(gk_cwt_verify(is->tok, is->tok_len, &o, c, info), 0);
}

static uint64_t cti_value(const struct gk_cwt_claims *c)
{
	uint64_t v = 0;

	for (size_t i = 0; i < c->cti_len; i++)
		v = v << 8 | c->cti[i];
	return v;
}

TEST(issue_success_and_token_contents)
{
	struct req r = { .aud = "groupkeyd-kdc", .scope_hex = SCOPE_DEMO_SR };
	struct gk_cwt_claims c;
	struct gk_cwt_info info;
	struct issued is;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client1", &r), 0);
	take_issued(&f.rep, &is);
	EXPECT_EQ(is.n_fields, 4); /* granted == requested: no scope (9) */
	EXPECT_EQ(is.scope_len, 0);
	EXPECT_EQ(is.pop.kty, GK_COSE_KTY_SYMMETRIC);
	ASSERT_EQ(is.pop.kid_len, GKD_AS_KID_LEN);
	EXPECT_TRUE(memchr(is.pop.kid, 0, is.pop.kid_len) == NULL);
	EXPECT_EQ(is.pop.k_len, GKD_AS_POP_KEY_LEN);
	EXPECT_FALSE(is.pop.has_alg);
	EXPECT_TRUE(memchr(is.tok, 0, is.tok_len) == NULL);
	/* A tagged Encrypt0, no CWT tag: d0 83 43 a1 01 0a (protected {1: 10}). */
	ASSERT_GT(is.tok_len, 6);
	EXPECT_MEMEQ(is.tok, "\xd0\x83\x43\xa1\x01\x0a", 6);

	open_token(&f, &is, &c, &info);
	EXPECT_EQ(info.n_layers, 1);
	EXPECT_EQ(info.layer_type[0], GK_COSE_ENCRYPT0);
	EXPECT_EQ(info.layer_alg[0], GK_COSE_ALG_AES_CCM_16_64_128);
	EXPECT_EQ(info.layer_kid_len[0], 3);
	EXPECT_MEMEQ(info.layer_kid[0], "kdc", 3);
	EXPECT_FALSE(info.cwt_tag);
	EXPECT_STREQ(c.iss, "groupkeyd-as");
	ASSERT_EQ(c.n_aud, 1);
	EXPECT_STREQ(c.aud[0], "groupkeyd-kdc");
	EXPECT_TRUE(c.has_exp && c.has_iat);
	EXPECT_EQ(c.iat, NOW);
	EXPECT_EQ(c.exp, NOW + 3600);
	EXPECT_FALSE(c.has_nbf);
	ASSERT_EQ(c.cti_len, 8);
	EXPECT_EQ(cti_value(&c), 1);
	EXPECT_FALSE(c.scope_is_text);
	expect_scope(c.scope, c.scope_len, SCOPE_DEMO_SR);
	ASSERT_EQ(c.cnf_type, GK_CNF_KEY);
	EXPECT_EQ(c.cnf_key.kty, GK_COSE_KTY_SYMMETRIC);
	ASSERT_EQ(c.cnf_key.kid_len, is.pop.kid_len);
	EXPECT_MEMEQ(c.cnf_key.kid, is.pop.kid, is.pop.kid_len);
	ASSERT_EQ(c.cnf_key.k_len, is.pop.k_len);
	EXPECT_MEMEQ(c.cnf_key.k, is.pop.k, is.pop.k_len);
	gk_cwt_claims_free(&c);
	free(is.tok);
	fx_fini(&f);
}

TEST(cti_strictly_increasing_and_keys_fresh)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR };
	struct gk_cwt_claims c1, c2;
	struct issued a, b;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client1", &r), 0);
	take_issued(&f.rep, &a);
	ASSERT_EQ(post(&f, "client1", &r), 0);
	take_issued(&f.rep, &b);
	open_token(&f, &a, &c1, NULL);
	open_token(&f, &b, &c2, NULL);
	EXPECT_GT(cti_value(&c2), cti_value(&c1));
	EXPECT_FALSE(a.pop.kid_len == b.pop.kid_len && !memcmp(a.pop.kid, b.pop.kid, 8));
	EXPECT_FALSE(!memcmp(a.pop.k, b.pop.k, 16));
	gk_cwt_claims_free(&c1);
	gk_cwt_claims_free(&c2);
	free(a.tok);
	free(b.tok);
	fx_fini(&f);
}

/* libcoap/GnuTLS takes PSK identities as C strings: kid and token must be NUL-free. */
TEST(issued_tokens_have_no_nul)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR };
	struct fx f;

	fx_init(&f);
	/* Without the re-encryption loop about 45% of tokens this size hold a 0x00. */
	for (int i = 0; i < 40; i++) {
		struct issued is;

		ASSERT_EQ(post(&f, "client1", &r), 0);
		take_issued(&f.rep, &is);
		ASSERT_TRUE(memchr(is.tok, 0, is.tok_len) == NULL);
		ASSERT_TRUE(memchr(is.pop.kid, 0, is.pop.kid_len) == NULL);
		free(is.tok);
	}
	fx_fini(&f);
}

TEST(explicit_client_credentials_grant)
{
	struct req r = { .scope_hex = SCOPE_DEMO_R, .grant = true, .grant_type = 2,
			 .client_id = "client2", .aud = "groupkeyd-kdc" };
	struct issued is;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client2", &r), 0);
	take_issued(&f.rep, &is);
	EXPECT_EQ(is.n_fields, 4);
	free(is.tok);
	fx_fini(&f);
}

TEST(unsupported_grant_type)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR, .grant = true, .grant_type = 0 };
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client1", &r), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_UNSUPPORTED_GRANT_TYPE,
		     "only the client_credentials grant is supported");
	r.grant_type = 3;
	ASSERT_EQ(post(&f, "client1", &r), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_UNSUPPORTED_GRANT_TYPE, NULL);
	/* {33: "2"}: not even an integer. */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 18 21 61 32"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST, NULL);
	fx_fini(&f);
}

TEST(unknown_client)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR };
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "mallory", &r), 0);
	expect_error(&f.rep, GKD_UNAUTHORIZED, GKD_ACE_INVALID_CLIENT, "unknown client");
	ASSERT_EQ(post(&f, NULL, &r), 0);
	expect_error(&f.rep, GKD_UNAUTHORIZED, GKD_ACE_INVALID_CLIENT, "unknown client");
	fx_fini(&f);
}

TEST(client_id_mismatch)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR, .client_id = "client2" };
	struct issued is;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client1", &r), 0);
	expect_error(&f.rep, GKD_UNAUTHORIZED, GKD_ACE_INVALID_CLIENT,
		     "client_id does not match the authenticated client");
	r.client_id = "client1";
	ASSERT_EQ(post(&f, "client1", &r), 0);
	take_issued(&f.rep, &is);
	free(is.tok);
	fx_fini(&f);
}

/* client2 may be receiver in demo: asking for sender+receiver gets receiver, said in (9). */
TEST(scope_escalation_grants_subset)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR };
	struct gk_cwt_claims c;
	struct issued is;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client2", &r), 0);
	take_issued(&f.rep, &is);
	EXPECT_EQ(is.n_fields, 5);
	expect_scope(is.scope, is.scope_len, SCOPE_DEMO_R);
	open_token(&f, &is, &c, NULL);
	expect_scope(c.scope, c.scope_len, SCOPE_DEMO_R);
	gk_cwt_claims_free(&c);
	free(is.tok);
	fx_fini(&f);
}

/* [["demo", 2], ["other", 8]]: demo/sender is not client2's, other/monitor is. */
TEST(scope_escalation_drops_empty_entries)
{
	struct req r = { .scope_hex = "82 82 64 64656d6f 02 82 65 6f74686572 08" };
	struct gk_cwt_claims c;
	struct issued is;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client2", &r), 0);
	take_issued(&f.rep, &is);
	expect_scope(is.scope, is.scope_len, "81 82 65 6f74686572 08");
	open_token(&f, &is, &c, NULL);
	expect_scope(c.scope, c.scope_len, "81 82 65 6f74686572 08");
	gk_cwt_claims_free(&c);
	free(is.tok);
	fx_fini(&f);
}

TEST(empty_subset_is_invalid_scope)
{
	struct req r = { .scope_hex = SCOPE_DEMO_S };
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client2", &r), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_SCOPE,
		     "none of the requested roles may be granted");
	fx_fini(&f);
}

TEST(unknown_group_is_invalid_scope)
{
	/* [["demo", 6], ["nogroup", 2]]: one unknown group refuses it all. */
	struct req r = { .scope_hex = "82 82 64 64656d6f 06 82 67 6e6f67726f7570 02" };
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client1", &r), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_SCOPE, "unknown group");
	fx_fini(&f);
}

TEST(bad_scope_values)
{
	struct fx f;

	fx_init(&f);
	/* {9: "demo"}: a text scope */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 09 64 64656d6f"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_SCOPE,
		     "scope must be a byte string (RFC 9594 §3.1)");
	/* {9: h'8182646465'} truncated array inside */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 09 45 8182646465"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_SCOPE, "malformed scope");
	/* {9: h'81826464656d6f00'} Tperm 0 */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 09 48 81826464656d6f00"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_SCOPE, "malformed scope");
	/* {9: 6} */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 09 06"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST,
		     "scope is not a byte string");
	fx_fini(&f);
}

/* A textual request keeps its form in (9); the token's claim is AIF. */
TEST(textual_scope_request)
{
	/* [["demo", ["sender", "receiver"]]] asked by client2 (receiver only) */
	struct req r = { .scope_hex = "81 82 64 64656d6f 82 66 73656e646572 68 7265636569766572" };
	struct gk_cwt_claims c;
	struct issued is;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client2", &r), 0);
	take_issued(&f.rep, &is);
	expect_scope(is.scope, is.scope_len, "81 82 64 64656d6f 68 7265636569766572");
	open_token(&f, &is, &c, NULL);
	expect_scope(c.scope, c.scope_len, SCOPE_DEMO_R);
	gk_cwt_claims_free(&c);
	free(is.tok);
	fx_fini(&f);
}

TEST(missing_scope_gets_default)
{
	struct req r = { 0 };
	struct gk_cwt_claims c;
	struct issued is;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client2", &r), 0);
	take_issued(&f.rep, &is);
	EXPECT_EQ(is.n_fields, 5);
	expect_scope(is.scope, is.scope_len, "82 82 64 64656d6f 04 82 65 6f74686572 08");
	open_token(&f, &is, &c, NULL);
	expect_scope(c.scope, c.scope_len, "82 82 64 64656d6f 04 82 65 6f74686572 08");
	gk_cwt_claims_free(&c);
	free(is.tok);
	/* A client allowed nothing gets nothing. */
	ASSERT_EQ(post(&f, "nobody", &r), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_UNAUTHORIZED_CLIENT,
		     "client may not obtain any token");
	fx_fini(&f);
}

TEST(malformed_requests)
{
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 09"), 0); /* truncated */
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST, "malformed CBOR");
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a0 00"), 0); /* trailing */
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST, "malformed CBOR");
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a2 09 40 09 40"), 0); /* dup key */
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST, "malformed CBOR");
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, ""), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST, "malformed CBOR");
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "81 09"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST,
		     "request is not a CBOR map");
	fx_fini(&f);
}

TEST(wrong_content_format)
{
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_CWT, "a0"), 0);
	expect_error(&f.rep, GKD_UNSUPPORTED_FORMAT, GKD_ACE_INVALID_REQUEST,
		     "Content-Format must be application/ace+cbor");
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_NONE, "a0"), 0);
	expect_error(&f.rep, GKD_UNSUPPORTED_FORMAT, GKD_ACE_INVALID_REQUEST, NULL);
	ASSERT_EQ(post_hex(&f, "client1", 60 /* application/cbor */, "a0"), 0);
	expect_error(&f.rep, GKD_UNSUPPORTED_FORMAT, GKD_ACE_INVALID_REQUEST, NULL);
	fx_fini(&f);
}

TEST(wrong_audience)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR, .aud = "another-rs" };
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, "client1", &r), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST, "unknown audience");
	/* {5: h'00'} */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 05 41 00"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_REQUEST,
		     "audience is not a text string");
	fx_fini(&f);
}

TEST(pop_key_and_profile_parameters)
{
	struct issued is;
	struct fx f;

	fx_init(&f);
	/* {4: {}} req_cnf */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 04 a0"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_UNSUPPORTED_POP_KEY, NULL);
	/* {38: 2} coap_oscore */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 18 26 02"), 0);
	expect_error(&f.rep, GKD_BAD_REQUEST, GKD_ACE_INCOMPATIBLE_ACE_PROFILES, NULL);
	/* {38: null}: asks for the profile, which is always sent */
	ASSERT_EQ(post_hex(&f, "client1", GKD_CF_ACE_CBOR, "a1 18 26 f6"), 0);
	take_issued(&f.rep, &is);
	free(is.tok);
	fx_fini(&f);
}

TEST(oversize_request)
{
	uint8_t *big;
	struct fx f;

	fx_init(&f);
	big = calloc(1, f.cfg->max_payload + 1);
	ASSERT_EQ(gkd_as_token(&f.as, "client1", GKD_CF_ACE_CBOR, big, f.cfg->max_payload + 1,
			       NOW, &f.rep), 0);
	expect_error(&f.rep, GKD_REQUEST_TOO_LARGE, GKD_ACE_INVALID_REQUEST, "request too large");
	free(big);
	fx_fini(&f);
}

TEST(as_disabled)
{
	struct req r = { .scope_hex = SCOPE_DEMO_SR };
	struct fx f;

	fx_init(&f);
	f.cfg->as_enabled = false;
	ASSERT_EQ(post(&f, "client1", &r), 0);
	EXPECT_EQ(f.rep.code, GKD_NOT_FOUND);
	EXPECT_EQ(f.rep.content_format, GKD_CF_NONE);
	EXPECT_EQ(f.rep.body.len, 0);
	fx_fini(&f);
}

TEST(reply_helpers_exact_bytes)
{
	struct gkd_reply rep;
	size_t len;
	uint8_t *want;

	gkd_reply_init(&rep);
	ASSERT_EQ(gkd_reply_ace_error(&rep, GKD_BAD_REQUEST, GKD_ACE_INVALID_SCOPE, "x"), 0);
	want = gk_test_unhex("a2 18 1e 06 18 1f 61 78", &len);
	EXPECT_EQ(rep.code, 400);
	EXPECT_EQ(rep.content_format, 19);
	ASSERT_EQ(rep.body.len, len);
	EXPECT_MEMEQ(rep.body.buf, want, len);
	free(want);
	/* RFC 9594 §4.1.2: {0: {0: 4}, -1: "t", -2: "d"} */
	ASSERT_EQ(gkd_reply_problem(&rep, GKD_SERVICE_UNAVAILABLE, "t", "d", 4), 0);
	want = gk_test_unhex("a3 00 a1 00 04 20 61 74 21 61 64", &len);
	EXPECT_EQ(rep.code, 503);
	EXPECT_EQ(rep.content_format, 257);
	ASSERT_EQ(rep.body.len, len);
	EXPECT_MEMEQ(rep.body.buf, want, len);
	free(want);
	gkd_reply_status(&rep, GKD_CHANGED);
	EXPECT_EQ(rep.code, 204);
	EXPECT_EQ(rep.content_format, GKD_CF_NONE);
	EXPECT_EQ(rep.body.len, 0);
	gkd_reply_free(&rep);
}
