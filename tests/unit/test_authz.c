// SPDX-License-Identifier: BSD-3-Clause
/* KDC authorization tests: /authz-info codes, trusted ASes, PSK identities, access checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "as.h"
#include "authz.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/util.h"

#define NOW 1700000000
#define SCOPE_DEMO "81 82 64 64656d6f 06"	/* [["demo", 6]] */
#define SCOPE_BOTH "82 82 64 64656d6f 06 82 65 6f74686572 08"

struct fx {
	struct gkd_config *cfg;
	struct gkd_store *store;
	struct gk_rng *rng;
	struct gkd_as as;
	struct gkd_authz az;
	struct gkd_reply rep;
	struct gk_cose_key ext, mac, sig; /* keys of external ASes (sig with d) */
	char dir[64];
};

static void sym_key(struct gk_cose_key *k, const char *kid, uint8_t base, size_t len)
{
	memset(k, 0, sizeof(*k));
	k->kty = GK_COSE_KTY_SYMMETRIC;
	k->kid_len = strlen(kid);
	memcpy(k->kid, kid, k->kid_len);
	for (size_t i = 0; i < len; i++)
		k->k[i] = (uint8_t)(base + i);
	k->k_len = len;
}

static void add_trusted(struct gkd_config *cfg, const char *issuer, const struct gk_cose_key *k,
			int64_t alg)
{
	struct gkd_trusted_as_conf *t = &cfg->trusted_as[cfg->n_trusted_as++];

	snprintf(t->issuer, sizeof(t->issuer), "%s", issuer);
	t->key = *k;
	t->key.has_d = false;
	memset(t->key.d, 0, sizeof(t->key.d));
	t->alg = alg;
}

static void fx_init(struct fx *f)
{
	struct gkd_config *cfg;
	struct gkd_client_conf *c;

	memset(f, 0, sizeof(*f));
	gk_log_set_level(GK_LOG_WARN);
	cfg = f->cfg = calloc(1, sizeof(*f->cfg));
	ASSERT_TRUE(cfg);
	gkd_conf_defaults(cfg);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gk-test-authz-XXXXXX");
	ASSERT_TRUE(mkdtemp(f->dir));
	sym_key(&cfg->as_kdc_key, "kdc", 0xa0, 16);
	cfg->as_kdc_key_set = true;
	snprintf(cfg->groups[0].name, sizeof(cfg->groups[0].name), "demo");
	cfg->groups[0].roles = GK_ROLES_ALL;
	snprintf(cfg->groups[1].name, sizeof(cfg->groups[1].name), "other");
	cfg->groups[1].roles = GK_ROLES_ALL;
	snprintf(cfg->groups[2].name, sizeof(cfg->groups[2].name), "rxonly");
	cfg->groups[2].roles = GK_ROLE_BIT(GK_ROLE_RECEIVER);
	cfg->n_groups = 3;
	c = &cfg->clients[cfg->n_clients++];
	snprintf(c->id, sizeof(c->id), "client1");
	c->psk_len = 16;
	memset(c->psk, 0x5a, 16);
	ASSERT_EQ(gk_scope_parse_arg("demo:sender,receiver", &c->allowed), 0);
	ASSERT_EQ(gk_scope_parse_arg("other:monitor", &c->allowed), 0);
	ASSERT_EQ(gk_rng_new(&f->rng), 0);
	sym_key(&f->ext, "ext", 0xb0, 16);
	sym_key(&f->mac, "mac", 0xc0, 32);
	f->sig = (struct gk_cose_key){ .kty = GK_COSE_KTY_EC2, .crv = GK_COSE_CRV_P256,
				       .has_d = true, .kid_len = 3 };
	memcpy(f->sig.kid, "sig", 3);
	ASSERT_EQ(gk_p256_keygen(f->rng, f->sig.d, f->sig.x, f->sig.y), 0);
	ASSERT_EQ(gkd_store_open(f->dir, &f->store), 0);
	f->as = (struct gkd_as){ .cfg = cfg, .store = f->store, .rng = f->rng };
	f->az = (struct gkd_authz){ .cfg = cfg, .store = f->store, .rng = f->rng };
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

/* Claims as our AS would write them, PoP key kid "pop" + kid_byte, key bytes key_byte. */
static void claims_init(struct gk_cwt_claims *c, const char *iss, const char *scope_hex,
			uint8_t kid_byte, uint8_t key_byte)
{
	memset(c, 0, sizeof(*c));
	if (iss)
		c->iss = strdup(iss);
	ASSERT_EQ(gk_cwt_claims_set_aud(c, "groupkeyd-kdc"), 0);
	c->has_exp = c->has_iat = true;
	c->exp = NOW + 600;
	c->iat = NOW;
	c->cti = malloc(2);
	c->cti[0] = 0x01;
	c->cti[1] = kid_byte;
	c->cti_len = 2;
	c->cnf_type = GK_CNF_KEY;
	c->cnf_key.kty = GK_COSE_KTY_SYMMETRIC;
	memcpy(c->cnf_key.kid, "pop", 3);
	c->cnf_key.kid[3] = kid_byte;
	c->cnf_key.kid_len = 4;
	memset(c->cnf_key.k, key_byte, 16);
	c->cnf_key.k_len = 16;
	if (scope_hex)
		c->scope = gk_test_unhex(scope_hex, &c->scope_len);
}

static uint8_t *mint(struct fx *f, const struct gk_cwt_claims *c, const struct gk_cose_key *key,
		     int64_t alg, size_t *len)
{
	struct gk_cwt_layer l = { .key = key, .alg = alg, .flags = GK_COSE_KID };
	struct gk_enc e;
	uint8_t *out;

	gk_enc_init(&e);
	ASSERT_EQ(gk_cwt_create(&e, c, &l, 1, false, f->rng), 0);
	ASSERT_EQ(gk_enc_finish(&e, &out, len), 0);
	return out;
}

/* The usual token: our AS's issuer and key, scope demo sender+receiver. */
static uint8_t *mint_ours(struct fx *f, uint8_t kid_byte, uint8_t key_byte, size_t *len)
{
	struct gk_cwt_claims c;
	uint8_t *tok;

	claims_init(&c, "groupkeyd-as", SCOPE_DEMO, kid_byte, key_byte);
	tok = mint(f, &c, &f->cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, len);
	gk_cwt_claims_free(&c);
	return tok;
}

static int post(struct fx *f, int ct, const uint8_t *p, size_t len)
{
	return gkd_authz_info(&f->az, ct, p, len, NOW, &f->rep);
}

/* Post claims minted under key/alg, expect a code. */
static void expect_post(struct fx *f, const struct gk_cwt_claims *c, const struct gk_cose_key *key,
			int64_t alg, int code)
{
	size_t len;
	uint8_t *tok = mint(f, c, key, alg, &len);

	ASSERT_EQ(post(f, GKD_CF_CWT, tok, len), 0);
	EXPECT_EQ(f->rep.code, code);
	if (code != GKD_CREATED) {
		EXPECT_EQ(f->rep.content_format, GKD_CF_NONE);
		EXPECT_EQ(f->rep.body.len, 0);
	}
	free(tok);
}

static void expect_bare(const struct gkd_reply *rep, int code)
{
	EXPECT_EQ(rep->code, code);
	EXPECT_EQ(rep->content_format, GKD_CF_NONE);
	EXPECT_EQ(rep->body.len, 0);
}

/* The N_S of a 2.01 answer; the map must have exactly n_fields entries. */
static void take_ns(const struct gkd_reply *rep, size_t n_fields, uint8_t ns[8])
{
	cbor_item_t *m;
	const uint8_t *p;
	size_t n;

	ASSERT_EQ(rep->code, GKD_CREATED);
	ASSERT_EQ(rep->content_format, GKD_CF_ACE_CBOR);
	ASSERT_EQ(gk_cbor_decode(rep->body.buf, rep->body.len, NULL, &m), 0);
	ASSERT_TRUE(cbor_isa_map(m));
	EXPECT_EQ(cbor_map_size(m), n_fields);
	ASSERT_EQ(gk_cbor_get_bstr(gk_cbor_map_get_int(m, GKD_ACE_KDCCHALLENGE), &p, &n), 0);
	ASSERT_EQ(n, 8);
	memcpy(ns, p, 8);
	cbor_decref(&m);
}

static uint8_t *as_token(struct fx *f, size_t *len, struct gk_cose_key *pop)
{
	/* {9: h'81826464656d6f06'} */
	size_t req_len;
	uint8_t *req = gk_test_unhex("a1 09 48 81826464656d6f06", &req_len), *tok;
	cbor_item_t *m;
	const uint8_t *p;

	ASSERT_EQ(gkd_as_token(&f->as, "client1", GKD_CF_ACE_CBOR, req, req_len, NOW, &f->rep), 0);
	ASSERT_EQ(f->rep.code, GKD_CREATED);
	ASSERT_EQ(gk_cbor_decode(f->rep.body.buf, f->rep.body.len, NULL, &m), 0);
	ASSERT_EQ(gk_cbor_get_bstr(gk_cbor_map_get_int(m, GKD_ACE_ACCESS_TOKEN), &p, len), 0);
	tok = malloc(*len);
	memcpy(tok, p, *len);
	ASSERT_EQ(gk_cose_key_from_item(gk_cbor_map_get_int(gk_cbor_map_get_int(m, GKD_ACE_CNF),
							    GK_CNF_COSE_KEY), pop), 0);
	cbor_decref(&m);
	free(req);
	return tok;
}

TEST(as_token_accepted_and_stored)
{
	struct gkd_token_rec rec;
	struct gk_cose_key pop;
	uint8_t ns[8], *tok;
	unsigned count;
	size_t len;
	struct fx f;

	fx_init(&f);
	tok = as_token(&f, &len, &pop);
	ASSERT_EQ(post(&f, GKD_CF_CWT, tok, len), 0);
	take_ns(&f.rep, 1, ns);
	ASSERT_EQ(gkd_store_token_get(f.store, pop.kid, pop.kid_len, &rec), 0);
	ASSERT_EQ(rec.token_len, len);
	EXPECT_MEMEQ(rec.token, tok, len);
	ASSERT_EQ(rec.ns_len, 8);
	EXPECT_MEMEQ(rec.ns, ns, 8);
	EXPECT_EQ(rec.exp, NOW + 3600);
	EXPECT_EQ(rec.received, NOW);
	ASSERT_EQ(gkd_store_token_count(f.store, &count), 0);
	EXPECT_EQ(count, 1);
	free(tok);
	fx_fini(&f);
}

TEST(validate_fills_token)
{
	struct gkd_token t;
	const char *why = "unset";
	uint8_t *tok;
	size_t len;
	struct fx f;

	fx_init(&f);
	tok = mint_ours(&f, 7, 0x33, &len);
	ASSERT_EQ(gkd_token_validate(&f.az, tok, len, NOW, &t, &why), 0);
	EXPECT_TRUE(why == NULL);
	ASSERT_EQ(t.kid_len, 4);
	EXPECT_MEMEQ(t.kid, "pop\x07", 4);
	ASSERT_EQ(t.pop_key_len, 16);
	EXPECT_EQ(t.pop_key[0], 0x33);
	EXPECT_EQ(t.pop_key[15], 0x33);
	ASSERT_EQ(t.scope.n, 1);
	EXPECT_STREQ(t.scope.e[0].group, "demo");
	EXPECT_EQ(t.scope.e[0].roles, 6);
	EXPECT_STREQ(t.claims.iss, "groupkeyd-as");
	gkd_token_wipe(&t);
	EXPECT_EQ(t.pop_key_len, 0);
	/* The same under the refusal path: *why is set, out is empty. */
	ASSERT_EQ(gkd_token_validate(&f.az, tok, len, NOW + 600, &t, &why), GKD_UNAUTHORIZED);
	EXPECT_STREQ(why, "token expired");
	EXPECT_EQ(t.kid_len, 0);
	EXPECT_TRUE(t.claims.iss == NULL);
	free(tok);
	fx_fini(&f);
}

/* {1: token, 45: null} -> {45: [["demo", -7, [[2], [2, 1]], [2, 1], 14]], 46: N_S} */
TEST(ace_cbor_map_with_sign_info)
{
	struct gk_enc e;
	uint8_t *tok, *req, *want, ns[8];
	size_t len, req_len, want_len;
	struct fx f;

	fx_init(&f);
	tok = mint_ours(&f, 1, 0x11, &len);
	gk_enc_init(&e);
	gk_enc_map(&e, 2);
	gk_enc_uint(&e, 1), gk_enc_bstr(&e, tok, len);
	gk_enc_uint(&e, 45), gk_enc_null(&e);
	ASSERT_EQ(gk_enc_finish(&e, &req, &req_len), 0);
	ASSERT_EQ(post(&f, GKD_CF_ACE_CBOR, req, req_len), 0);
	take_ns(&f.rep, 2, ns);
	want = gk_test_unhex("a2 18 2d 81 85 64 64656d6f 26 82 81 02 82 02 01 82 02 01 0e"
			     "   18 2e 48", &want_len);
	ASSERT_EQ(f.rep.body.len, want_len + 8);
	EXPECT_MEMEQ(f.rep.body.buf, want, want_len);
	EXPECT_MEMEQ(f.rep.body.buf + want_len, ns, 8);
	free(want);
	free(req);
	free(tok);
	fx_fini(&f);
}

/* Two groups: the entry's id is the array of names. Without 45, no sign_info. */
TEST(ace_cbor_map_two_groups_and_no_sign_info)
{
	struct gk_cwt_claims c;
	struct gk_enc e;
	uint8_t *tok, *req, *want, ns[8];
	size_t len, req_len, want_len;
	struct fx f;

	fx_init(&f);
	claims_init(&c, "groupkeyd-as", SCOPE_BOTH, 2, 0x22);
	tok = mint(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, &len);
	gk_cwt_claims_free(&c);
	gk_enc_init(&e);
	gk_enc_map(&e, 2);
	gk_enc_uint(&e, 1), gk_enc_bstr(&e, tok, len);
	gk_enc_uint(&e, 45), gk_enc_null(&e);
	ASSERT_EQ(gk_enc_finish(&e, &req, &req_len), 0);
	ASSERT_EQ(post(&f, GKD_CF_ACE_CBOR, req, req_len), 0);
	take_ns(&f.rep, 2, ns);
	want = gk_test_unhex("a2 18 2d 81 85 82 64 64656d6f 65 6f74686572 26", &want_len);
	ASSERT_GT(f.rep.body.len, want_len);
	EXPECT_MEMEQ(f.rep.body.buf, want, want_len);
	free(want);
	free(req);
	gk_enc_init(&e);
	gk_enc_map(&e, 1);
	gk_enc_uint(&e, 1), gk_enc_bstr(&e, tok, len);
	ASSERT_EQ(gk_enc_finish(&e, &req, &req_len), 0);
	ASSERT_EQ(post(&f, GKD_CF_ACE_CBOR, req, req_len), 0);
	take_ns(&f.rep, 1, ns);
	free(req);
	free(tok);
	fx_fini(&f);
}

TEST(expired_and_not_yet_valid)
{
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	claims_init(&c, "groupkeyd-as", SCOPE_DEMO, 1, 0x11);
	c.exp = NOW - 1;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	c.exp = NOW; /* RFC 8392 §3.1.4: not accepted on or after exp */
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	c.exp = NOW + 1;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	c.has_nbf = true;
	c.nbf = NOW + 1;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	c.has_nbf = false;
	c.has_exp = false;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

TEST(wrong_audience_is_forbidden)
{
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	claims_init(&c, "groupkeyd-as", SCOPE_DEMO, 1, 0x11);
	free(c.aud[0]);
	c.aud[0] = strdup("another-rs");
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_FORBIDDEN);
	/* An array of audiences that names us is fine. */
	ASSERT_EQ(gk_cwt_claims_set_aud(&c, "groupkeyd-kdc"), 0);
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	/* No aud at all: not for us either. */
	for (size_t i = 0; i < c.n_aud; i++)
		free(c.aud[i]);
	c.n_aud = 0;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_FORBIDDEN);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

TEST(tampered_token)
{
	uint8_t *tok;
	size_t len;
	struct fx f;

	fx_init(&f);
	tok = mint_ours(&f, 1, 0x11, &len);
	tok[len - 1] ^= 0x01; /* the CCM tag */
	ASSERT_EQ(post(&f, GKD_CF_CWT, tok, len), 0);
	expect_bare(&f.rep, GKD_UNAUTHORIZED);
	tok[len - 1] ^= 0x01;
	tok[len - 12] ^= 0x80; /* the ciphertext */
	ASSERT_EQ(post(&f, GKD_CF_CWT, tok, len), 0);
	expect_bare(&f.rep, GKD_UNAUTHORIZED);
	tok[len - 12] ^= 0x80;
	ASSERT_EQ(post(&f, GKD_CF_CWT, tok, len), 0);
	EXPECT_EQ(f.rep.code, GKD_CREATED);
	free(tok);
	fx_fini(&f);
}

TEST(untrusted_key_and_issuer_mismatch)
{
	struct gk_cose_key stranger;
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	sym_key(&stranger, "kdc", 0x01, 16); /* same kid as ours, other key */
	claims_init(&c, "groupkeyd-as", SCOPE_DEMO, 1, 0x11);
	expect_post(&f, &c, &stranger, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	/* Our key, someone else's name. */
	free(c.iss);
	c.iss = strdup("evil-as");
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	free(c.iss);
	c.iss = NULL;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

TEST(external_encrypt0_as)
{
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	f.cfg->as_enabled = false;
	add_trusted(f.cfg, "ext-as", &f.ext, GK_COSE_ALG_AES_CCM_16_64_128);
	claims_init(&c, "ext-as", SCOPE_DEMO, 1, 0x11);
	expect_post(&f, &c, &f.ext, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	/* The key is bound to its issuer: it cannot speak for our AS... */
	free(c.iss);
	c.iss = strdup("groupkeyd-as");
	expect_post(&f, &c, &f.ext, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	/* ...and with the AS switched off, our AS key opens nothing. */
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	/* The alg is pinned: the same key with AES-CCM-16-128-128 is refused. */
	free(c.iss);
	c.iss = strdup("ext-as");
	expect_post(&f, &c, &f.ext, GK_COSE_ALG_AES_CCM_16_128_128, GKD_UNAUTHORIZED);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

TEST(both_issuers_side_by_side)
{
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	add_trusted(f.cfg, "ext-as", &f.ext, GK_COSE_ALG_AES_CCM_16_64_128);
	claims_init(&c, "ext-as", SCOPE_DEMO, 1, 0x11);
	expect_post(&f, &c, &f.ext, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	/* ext-as's name under our key. */
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_UNAUTHORIZED);
	free(c.iss);
	c.iss = strdup("groupkeyd-as");
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

/* A symmetric PoP key under Mac0/Sign1 travelled in clear: 4.01. */
TEST(mac0_sign1_symmetric_pop_in_clear)
{
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	add_trusted(f.cfg, "mac-as", &f.mac, GK_COSE_ALG_HMAC256_256);
	add_trusted(f.cfg, "sig-as", &f.sig, GK_COSE_ALG_ES256);
	claims_init(&c, "mac-as", SCOPE_DEMO, 1, 0x11);
	expect_post(&f, &c, &f.mac, GK_COSE_ALG_HMAC256_256, GKD_UNAUTHORIZED);
	/* The MAC itself verified: a kid-only cnf gets past protection to the cnf check. */
	c.cnf_type = GK_CNF_KID_ONLY;
	expect_post(&f, &c, &f.mac, GK_COSE_ALG_HMAC256_256, GKD_BAD_REQUEST);
	free(c.iss);
	c.iss = strdup("sig-as");
	c.cnf_type = GK_CNF_KEY;
	expect_post(&f, &c, &f.sig, GK_COSE_ALG_ES256, GKD_UNAUTHORIZED);
	c.cnf_type = GK_CNF_KID_ONLY;
	expect_post(&f, &c, &f.sig, GK_COSE_ALG_ES256, GKD_BAD_REQUEST);
	/* Signed by sig-as's key under mac-as's name. */
	free(c.iss);
	c.iss = strdup("mac-as");
	expect_post(&f, &c, &f.sig, GK_COSE_ALG_ES256, GKD_UNAUTHORIZED);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

TEST(scope_refusals)
{
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	claims_init(&c, "groupkeyd-as", "81 82 67 6e6f67726f7570 02", 1, 0x11); /* nogroup */
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_BAD_REQUEST);
	gk_cwt_claims_free(&c);
	/* rxonly offers receiver only; sender is an unknown role there. */
	claims_init(&c, "groupkeyd-as", "81 82 66 72786f6e6c79 02", 1, 0x11);
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_BAD_REQUEST);
	gk_cwt_claims_free(&c);
	claims_init(&c, "groupkeyd-as", "81 82 66 72786f6e6c79 04", 1, 0x11);
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	gk_cwt_claims_free(&c);
	claims_init(&c, "groupkeyd-as", "81 82 64 64656d6f 00", 1, 0x11); /* Tperm 0 */
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_BAD_REQUEST);
	c.scope_is_text = true; /* the same bytes as a text string */
	free(c.scope);
	c.scope = (uint8_t *)strdup("demo");
	c.scope_len = 4;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_BAD_REQUEST);
	free(c.scope);
	c.scope = NULL;
	c.scope_len = 0;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_BAD_REQUEST);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

TEST(pop_key_required)
{
	struct gk_cwt_claims c;
	struct fx f;

	fx_init(&f);
	claims_init(&c, "groupkeyd-as", SCOPE_DEMO, 1, 0x11);
	c.cnf_type = GK_CNF_NONE;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_BAD_REQUEST);
	c.cnf_type = GK_CNF_KEY;
	c.cnf_key.kid_len = 0; /* no handle to find it by */
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_BAD_REQUEST);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}

TEST(garbage_payloads)
{
	static const char *const cwt_garbage[] = {
		"68656c6c6f",		/* "hello" as bytes: not CBOR */
		"a1 01 02",		/* a map */
		"d0 83 40 a0 40",	/* Encrypt0 without IV nor alg */
		"d8 3d 18 2a",		/* 61(42) */
		"",
	};
	static const char *const map_garbage[] = {
		"a1 01 02",		/* token not a bstr */
		"a0",			/* no token */
		"81 41 00",		/* not a map */
		"a2 01 41 00 18 2d 01", /* sign_info request not null */
		"a1 01",		/* truncated */
	};
	uint8_t *buf;
	size_t len;
	struct fx f;

	fx_init(&f);
	for (size_t i = 0; i < GK_ARRAY_SIZE(cwt_garbage); i++) {
		buf = gk_test_unhex(cwt_garbage[i], &len);
		ASSERT_EQ(post(&f, GKD_CF_CWT, buf, len), 0);
		expect_bare(&f.rep, GKD_BAD_REQUEST);
		free(buf);
	}
	for (size_t i = 0; i < GK_ARRAY_SIZE(map_garbage); i++) {
		buf = gk_test_unhex(map_garbage[i], &len);
		ASSERT_EQ(post(&f, GKD_CF_ACE_CBOR, buf, len), 0);
		expect_bare(&f.rep, GKD_BAD_REQUEST);
		free(buf);
	}
	fx_fini(&f);
}

TEST(wrong_content_format)
{
	uint8_t *tok;
	size_t len;
	struct fx f;

	fx_init(&f);
	tok = mint_ours(&f, 1, 0x11, &len);
	ASSERT_EQ(post(&f, 0 /* text/plain */, tok, len), 0);
	expect_bare(&f.rep, GKD_UNSUPPORTED_FORMAT);
	ASSERT_EQ(post(&f, GKD_CF_NONE, tok, len), 0);
	expect_bare(&f.rep, GKD_UNSUPPORTED_FORMAT);
	ASSERT_EQ(post(&f, 60 /* application/cbor */, tok, len), 0);
	expect_bare(&f.rep, GKD_UNSUPPORTED_FORMAT);
	free(tok);
	fx_fini(&f);
}

TEST(oversize_payload)
{
	uint8_t *big = calloc(1, GKD_TOKEN_MAX + 100);
	struct gk_enc e;
	uint8_t *req;
	size_t req_len;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(post(&f, GKD_CF_CWT, big, f.cfg->max_payload + 1), 0);
	expect_bare(&f.rep, GKD_REQUEST_TOO_LARGE);
	/* Within max_payload but above what the store keeps. */
	f.cfg->max_payload = 2 * GKD_TOKEN_MAX;
	ASSERT_EQ(post(&f, GKD_CF_CWT, big, GKD_TOKEN_MAX + 1), 0);
	expect_bare(&f.rep, GKD_REQUEST_TOO_LARGE);
	gk_enc_init(&e);
	gk_enc_map(&e, 1);
	gk_enc_uint(&e, 1), gk_enc_bstr(&e, big, GKD_TOKEN_MAX + 1);
	ASSERT_EQ(gk_enc_finish(&e, &req, &req_len), 0);
	ASSERT_EQ(post(&f, GKD_CF_ACE_CBOR, req, req_len), 0);
	expect_bare(&f.rep, GKD_REQUEST_TOO_LARGE);
	free(req);
	free(big);
	fx_fini(&f);
}

TEST(newer_token_supersedes)
{
	struct gkd_token_rec rec;
	uint8_t *t1, *t2, ns1[8], ns2[8];
	size_t l1, l2;
	unsigned count;
	struct fx f;

	fx_init(&f);
	t1 = mint_ours(&f, 9, 0x11, &l1);
	t2 = mint_ours(&f, 9, 0x22, &l2); /* same kid "pop\x09", another key */
	ASSERT_EQ(post(&f, GKD_CF_CWT, t1, l1), 0);
	take_ns(&f.rep, 1, ns1);
	ASSERT_EQ(post(&f, GKD_CF_CWT, t2, l2), 0);
	take_ns(&f.rep, 1, ns2);
	EXPECT_NE(memcmp(ns1, ns2, 8), 0);
	ASSERT_EQ(gkd_store_token_count(f.store, &count), 0);
	EXPECT_EQ(count, 1);
	ASSERT_EQ(gkd_store_token_get(f.store, (const uint8_t *)"pop\x09", 4, &rec), 0);
	ASSERT_EQ(rec.token_len, l2);
	EXPECT_MEMEQ(rec.token, t2, l2);
	EXPECT_MEMEQ(rec.ns, ns2, 8);
	free(t1);
	free(t2);
	fx_fini(&f);
}

/* RFC 9202 §3.3 way 1: {8: {1: {1: 4, 2: kid}}} with kid "pop\x05". */
#define KID_IDENTITY "a1 08 a1 01 a2 01 04 02 44 706f7005"

TEST(identity_kid)
{
	struct gkd_peer peer;
	uint8_t *tok, *id;
	size_t len, id_len;
	struct fx f;

	fx_init(&f);
	id = gk_test_unhex(KID_IDENTITY, &id_len);
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, id, id_len, NOW, &peer), -ENOENT);
	tok = mint_ours(&f, 5, 0x55, &len);
	ASSERT_EQ(post(&f, GKD_CF_CWT, tok, len), 0);
	ASSERT_EQ(f.rep.code, GKD_CREATED);
	ASSERT_EQ(gkd_authz_resolve_identity(&f.az, id, id_len, NOW, &peer), 0);
	EXPECT_EQ(peer.type, GKD_PEER_TOKEN);
	ASSERT_EQ(peer.kid_len, 4);
	EXPECT_MEMEQ(peer.kid, "pop\x05", 4);
	ASSERT_EQ(peer.psk_len, 16);
	EXPECT_EQ(peer.psk[0], 0x55);
	EXPECT_EQ(peer.psk[15], 0x55);
	EXPECT_TRUE(peer.client == NULL);
	/* Once the token has expired the identity no longer resolves. */
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, id, id_len, NOW + 600, &peer), -ENOENT);
	EXPECT_EQ(peer.type, GKD_PEER_NONE);
	free(tok);
	free(id);
	fx_fini(&f);
}

/* The RFC's own example identity names a kid nobody posted. */
TEST(identity_rfc9202_example_unknown)
{
	struct gkd_peer peer;
	uint8_t *id;
	size_t len;
	struct fx f;

	fx_init(&f);
	id = gk_test_unhex("A1 08 A1 01 A2 01 04 02 48 3D 02 78 33 FC 62 67 CE", &len);
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, id, len, NOW, &peer), -ENOENT);
	free(id);
	fx_fini(&f);
}

/* Way 2: the whole token as identity, validated and stored on the fly. */
TEST(identity_token)
{
	struct gkd_token_rec rec;
	struct gk_cose_key pop;
	struct gkd_peer peer;
	unsigned count;
	uint8_t *tok;
	size_t len;
	struct fx f;

	fx_init(&f);
	tok = as_token(&f, &len, &pop);
	ASSERT_EQ(gkd_authz_resolve_identity(&f.az, tok, len, NOW, &peer), 0);
	EXPECT_EQ(peer.type, GKD_PEER_TOKEN);
	ASSERT_EQ(peer.kid_len, pop.kid_len);
	EXPECT_MEMEQ(peer.kid, pop.kid, pop.kid_len);
	ASSERT_EQ(peer.psk_len, pop.k_len);
	EXPECT_MEMEQ(peer.psk, pop.k, pop.k_len);
	ASSERT_EQ(gkd_store_token_count(f.store, &count), 0);
	EXPECT_EQ(count, 1);
	ASSERT_EQ(gkd_store_token_get(f.store, pop.kid, pop.kid_len, &rec), 0);
	EXPECT_EQ(rec.ns_len, 0);
	ASSERT_EQ(rec.token_len, len);
	EXPECT_MEMEQ(rec.token, tok, len);
	/* An invalid token as identity resolves to nothing. */
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, tok, len, NOW + 3600, &peer), -ENOENT);
	tok[len - 1] ^= 1;
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, tok, len, NOW, &peer), -ENOENT);
	free(tok);
	fx_fini(&f);
}

TEST(identity_client_and_unknown)
{
	struct gkd_peer peer;
	struct fx f;

	fx_init(&f);
	ASSERT_EQ(gkd_authz_resolve_identity(&f.az, (const uint8_t *)"client1", 7, NOW, &peer), 0);
	EXPECT_EQ(peer.type, GKD_PEER_AS_CLIENT);
	EXPECT_TRUE(peer.client == &f.cfg->clients[0]);
	ASSERT_EQ(peer.psk_len, 16);
	EXPECT_MEMEQ(peer.psk, f.cfg->clients[0].psk, 16);
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, (const uint8_t *)"client", 6, NOW, &peer),
		  -ENOENT);
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, (const uint8_t *)"client12", 8, NOW, &peer),
		  -ENOENT);
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, (const uint8_t *)"\xa0", 1, NOW, &peer),
		  -ENOENT);
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, (const uint8_t *)"", 0, NOW, &peer), -ENOENT);
	EXPECT_EQ(peer.type, GKD_PEER_NONE);
	/* With the AS off, [client] identities mean nothing. */
	f.cfg->as_enabled = false;
	EXPECT_EQ(gkd_authz_resolve_identity(&f.az, (const uint8_t *)"client1", 7, NOW, &peer),
		  -ENOENT);
	fx_fini(&f);
}

static void peer_of(struct fx *f, uint8_t kid_byte, struct gkd_peer *peer)
{
	char hex[64];
	uint8_t *id;
	size_t len;

	snprintf(hex, sizeof(hex), "a1 08 a1 01 a2 01 04 02 44 706f70%02x", kid_byte);
	id = gk_test_unhex(hex, &len);
	ASSERT_EQ(gkd_authz_resolve_identity(&f->az, id, len, NOW, peer), 0);
	free(id);
}

TEST(check_scope_and_expiry)
{
	struct gkd_token tok;
	struct gkd_peer peer;
	uint8_t *t;
	size_t len;
	unsigned count;
	struct fx f;

	fx_init(&f);
	t = mint_ours(&f, 3, 0x33, &len);
	ASSERT_EQ(post(&f, GKD_CF_CWT, t, len), 0);
	peer_of(&f, 3, &peer);
	ASSERT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW, &tok), 0);
	EXPECT_STREQ(tok.scope.e[0].group, "demo");
	EXPECT_EQ(tok.scope.e[0].roles, 6);
	gkd_token_wipe(&tok);
	ASSERT_EQ(gkd_authz_check(&f.az, &peer, NULL, NOW, &tok), 0);
	gkd_token_wipe(&tok);
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "other", NOW, &tok), GKD_FORBIDDEN);
	EXPECT_EQ(tok.kid_len, 0);
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW + 599, &tok), 0);
	gkd_token_wipe(&tok);
	/* Expired: refused, and the token is gone. */
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW + 600, &tok), GKD_UNAUTHORIZED);
	ASSERT_EQ(gkd_store_token_count(f.store, &count), 0);
	EXPECT_EQ(count, 0);
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW, &tok), GKD_UNAUTHORIZED);
	free(t);
	fx_fini(&f);
}

TEST(check_without_token)
{
	struct gkd_token tok;
	struct gkd_peer peer = { 0 };
	struct fx f;

	fx_init(&f);
	EXPECT_EQ(gkd_authz_check(&f.az, NULL, "demo", NOW, &tok), GKD_UNAUTHORIZED);
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW, &tok), GKD_UNAUTHORIZED);
	ASSERT_EQ(gkd_authz_resolve_identity(&f.az, (const uint8_t *)"client1", 7, NOW, &peer), 0);
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW, &tok), GKD_UNAUTHORIZED);
	fx_fini(&f);
}

/* A session keyed with the old PoP key loses its rights when a new key takes the kid. */
TEST(check_superseded_by_other_key)
{
	struct gkd_token tok;
	struct gkd_peer peer;
	uint8_t *t1, *t2;
	size_t l1, l2;
	struct fx f;

	fx_init(&f);
	t1 = mint_ours(&f, 4, 0x11, &l1);
	t2 = mint_ours(&f, 4, 0x22, &l2);
	ASSERT_EQ(post(&f, GKD_CF_CWT, t1, l1), 0);
	peer_of(&f, 4, &peer);
	ASSERT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW, &tok), 0);
	gkd_token_wipe(&tok);
	ASSERT_EQ(post(&f, GKD_CF_CWT, t2, l2), 0);
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW, &tok), GKD_UNAUTHORIZED);
	peer_of(&f, 4, &peer);
	EXPECT_EQ(peer.psk[0], 0x22);
	EXPECT_EQ(gkd_authz_check(&f.az, &peer, "demo", NOW, &tok), 0);
	gkd_token_wipe(&tok);
	free(t1);
	free(t2);
	fx_fini(&f);
}

TEST(purge_expired)
{
	struct gk_cwt_claims c;
	unsigned purged = 99, count;
	struct fx f;

	fx_init(&f);
	claims_init(&c, "groupkeyd-as", SCOPE_DEMO, 1, 0x11);
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	c.cnf_key.kid[3] = 2;
	c.exp = NOW + 100;
	expect_post(&f, &c, &f.cfg->as_kdc_key, GK_COSE_ALG_AES_CCM_16_64_128, GKD_CREATED);
	ASSERT_EQ(gkd_authz_purge(&f.az, NOW + 101, &purged), 0);
	EXPECT_EQ(purged, 1);
	ASSERT_EQ(gkd_store_token_count(f.store, &count), 0);
	EXPECT_EQ(count, 1);
	gk_cwt_claims_free(&c);
	fx_fini(&f);
}
