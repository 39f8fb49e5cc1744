// SPDX-License-Identifier: BSD-3-Clause
/* CWT tests: RFC 8392 Appendix A vectors, tampering, time/audience checks, create round trips. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/util.h"

#define VEC "rfc8392-cwt.txt"
/* Inside the A.1 validity window: nbf/iat 1443944944, exp 1444064944. */
#define NOW_VALID 1444000000

static void load_key(const char *name, struct gk_cose_key *k)
{
	size_t len;
	uint8_t *buf = gk_test_vector(VEC, name, &len);

	ASSERT_EQ(gk_cose_key_decode(buf, len, k), 0);
	free(buf);
}

/*
 * All three A.2 keys, so every test also exercises key selection by kid and
 * alg. RFC 8392's A.2.2 key is the 256-bit HMAC key of A.4 but says alg 10
 * (AES-CCM-16-64-128, which needs a 128-bit key); RFC 9052 §7.1 makes a
 * key's alg binding, so we drop that one wrong label here (test
 * a2_2_key_alg_is_binding shows the key as published is refused).
 */
static void all_keys(struct gk_cose_key keys[3])
{
	load_key("A2_1_KEY_SYMMETRIC128", &keys[0]);
	load_key("A2_2_KEY_SYMMETRIC256", &keys[1]);
	load_key("A2_3_KEY_ECDSA256", &keys[2]);
	keys[1].has_alg = false;
}

TEST(a2_2_key_alg_is_binding)
{
	struct gk_cose_key k;
	struct gk_cwt_verify_opts o = { .keys = &k, .n_keys = 1, .now = NOW_VALID };
	size_t len;
	uint8_t *tok = gk_test_vector(VEC, "A4_MACED", &len);
	struct gk_cwt_claims c;

	load_key("A2_2_KEY_SYMMETRIC256", &k);
	ASSERT_TRUE(k.has_alg);
	ASSERT_EQ(k.alg, GK_COSE_ALG_AES_CCM_16_64_128);
	ASSERT_EQ(k.k_len, 32);
	EXPECT_EQ(gk_cwt_verify(tok, len, &o, &c, NULL), -GK_EKEY);
	free(tok);
}

static struct gk_cwt_verify_opts opts_for(const struct gk_cose_key *keys, size_t n)
{
	struct gk_cwt_verify_opts o = { .keys = keys, .n_keys = n, .now = NOW_VALID };

	return o;
}

static int verify_vector(const char *name, const struct gk_cwt_verify_opts *o,
			 struct gk_cwt_info *info)
{
	struct gk_cwt_claims c;
	size_t len;
	uint8_t *tok = gk_test_vector(VEC, name, &len);
	int err = gk_cwt_verify(tok, len, o, &c, info);

	if (!err)
		gk_cwt_claims_free(&c);
	free(tok);
	return err;
}

/* The claims bytes a vector unwraps to must be exactly A.1. */
static void expect_a1_claims(const char *name, const struct gk_cwt_verify_opts *o)
{
	size_t a1_len, len, raw_len;
	uint8_t *a1 = gk_test_vector(VEC, "A1_CLAIMS", &a1_len);
	uint8_t *tok = gk_test_vector(VEC, name, &len);
	uint8_t *raw = NULL;

	ASSERT_EQ(gk_cwt_unprotect(tok, len, o, &raw, &raw_len, NULL), 0);
	ASSERT_EQ(raw_len, a1_len);
	ASSERT_MEMEQ(raw, a1, a1_len);
	free(raw);
	free(tok);
	free(a1);
}

static void expect_a1_fields(const struct gk_cwt_claims *c)
{
	static const uint8_t cti[] = { 0x0b, 0x71 };

	ASSERT_STREQ(c->iss, "coap://as.example.com");
	ASSERT_STREQ(c->sub, "erikw");
	ASSERT_EQ(c->n_aud, 1);
	ASSERT_STREQ(c->aud[0], "coap://light.example.com");
	ASSERT_TRUE(c->has_exp && c->has_nbf && c->has_iat);
	ASSERT_EQ(c->exp, 1444064944);
	ASSERT_EQ(c->nbf, 1443944944);
	ASSERT_EQ(c->iat, 1443944944);
	ASSERT_EQ(c->cti_len, 2);
	ASSERT_MEMEQ(c->cti, cti, 2);
	ASSERT_EQ(c->cnf_type, GK_CNF_NONE);
	ASSERT_TRUE(c->scope == NULL && !c->has_exi);
}

TEST(a1_claims_decode_exact)
{
	struct gk_cwt_claims c;
	size_t len;
	uint8_t *buf = gk_test_vector(VEC, "A1_CLAIMS", &len);

	ASSERT_EQ(gk_cwt_claims_decode(buf, len, &c), 0);
	expect_a1_fields(&c);
	gk_cwt_claims_free(&c);
	free(buf);
}

TEST(a1_claims_encode_is_byte_exact)
{
	struct gk_cwt_claims c;
	struct gk_enc e;
	size_t len, out_len;
	uint8_t *buf = gk_test_vector(VEC, "A1_CLAIMS", &len), *out;

	ASSERT_EQ(gk_cwt_claims_decode(buf, len, &c), 0);
	gk_enc_init(&e);
	ASSERT_EQ(gk_cwt_claims_encode(&e, &c), 0);
	ASSERT_EQ(gk_enc_finish(&e, &out, &out_len), 0);
	ASSERT_EQ(out_len, len);
	ASSERT_MEMEQ(out, buf, len);
	free(out);
	gk_cwt_claims_free(&c);
	free(buf);
}

TEST(a3_signed_verifies_to_a1)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;
	struct gk_cwt_info info;

	all_keys(keys);
	o = opts_for(keys, 3);
	ASSERT_EQ(verify_vector("A3_SIGNED", &o, &info), 0);
	EXPECT_EQ(info.n_layers, 1);
	EXPECT_EQ(info.layer_type[0], GK_COSE_SIGN1);
	EXPECT_EQ(info.layer_alg[0], GK_COSE_ALG_ES256);
	EXPECT_FALSE(info.cwt_tag);
	expect_a1_claims("A3_SIGNED", &o);
}

TEST(a4_maced_verifies_to_a1)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;
	struct gk_cwt_info info;
	struct gk_cwt_claims c;
	size_t len;
	uint8_t *tok = gk_test_vector(VEC, "A4_MACED", &len);

	all_keys(keys);
	o = opts_for(keys, 3);
	ASSERT_EQ(gk_cwt_verify(tok, len, &o, &c, &info), 0);
	expect_a1_fields(&c);
	EXPECT_TRUE(info.cwt_tag);
	EXPECT_EQ(info.layer_type[0], GK_COSE_MAC0);
	EXPECT_EQ(info.layer_alg[0], GK_COSE_ALG_HMAC256_64);
	gk_cwt_claims_free(&c);
	free(tok);
	expect_a1_claims("A4_MACED", &o);
}

TEST(a5_encrypted_decrypts_to_a1)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;
	struct gk_cwt_info info;

	all_keys(keys);
	o = opts_for(keys, 3);
	ASSERT_EQ(verify_vector("A5_ENCRYPTED", &o, &info), 0);
	EXPECT_EQ(info.layer_type[0], GK_COSE_ENCRYPT0);
	EXPECT_EQ(info.layer_alg[0], GK_COSE_ALG_AES_CCM_16_64_128);
	expect_a1_claims("A5_ENCRYPTED", &o);
}

TEST(a6_nested_unwraps_both_layers_to_a1)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;
	struct gk_cwt_info info;

	all_keys(keys);
	o = opts_for(keys, 3);
	ASSERT_EQ(verify_vector("A6_NESTED", &o, &info), 0);
	ASSERT_EQ(info.n_layers, 2);
	EXPECT_EQ(info.layer_type[0], GK_COSE_ENCRYPT0);
	EXPECT_EQ(info.layer_type[1], GK_COSE_SIGN1);
	expect_a1_claims("A6_NESTED", &o);
}

TEST(a6_nested_needs_both_keys)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;

	all_keys(keys);
	o = opts_for(keys, 1); /* only the Encrypt0 key */
	EXPECT_EQ(verify_vector("A6_NESTED", &o, NULL), -GK_EKEY);
	o = opts_for(&keys[2], 1); /* only the signature key */
	EXPECT_EQ(verify_vector("A6_NESTED", &o, NULL), -GK_EKEY);
}

/* The right kid but the wrong secret: the exact cryptographic failure is reported. */
static void wrong_secret(const char *name, int key_index, int expect)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;

	all_keys(keys);
	keys[key_index].k[0] ^= 1;
	keys[key_index].d[0] ^= 1;
	keys[key_index].x[0] ^= 1; /* off-curve point must be refused, never trusted */
	o = opts_for(&keys[key_index], 1);
	EXPECT_EQ(verify_vector(name, &o, NULL), expect);
}

TEST(wrong_key_rejected_with_precise_reason)
{
	wrong_secret("A4_MACED", 1, -GK_EBADMAC);
	wrong_secret("A5_ENCRYPTED", 0, -GK_EDECRYPT);
}

TEST(wrong_signature_key_rejected)
{
	struct gk_cose_key keys[3], other;
	struct gk_cwt_verify_opts o;
	struct gk_rng *rng;

	all_keys(keys);
	ASSERT_EQ(gk_rng_new(&rng), 0);
	other = keys[2];
	ASSERT_EQ(gk_p256_keygen(rng, other.d, other.x, other.y), 0);
	o = opts_for(&other, 1);
	EXPECT_EQ(verify_vector("A3_SIGNED", &o, NULL), -GK_EBADSIG);
	gk_rng_free(rng);
}

TEST(wrong_alg_for_key_rejected)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;

	all_keys(keys);
	/* The 256-bit MAC key for the AES-CCM-16-64-128 token: no key fits. */
	o = opts_for(&keys[1], 1);
	EXPECT_EQ(verify_vector("A5_ENCRYPTED", &o, NULL), -GK_EKEY);
	/* The AES key without kid for the Mac0: its alg (10) does not fit alg 4. */
	keys[0].kid_len = 0;
	o = opts_for(&keys[0], 1);
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), -GK_EKEY);
	/* The EC key for the Mac0. */
	keys[2].kid_len = 0;
	o = opts_for(&keys[2], 1);
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), -GK_EKEY);
}

static void every_flip_rejected(const char *name)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;
	struct gk_cwt_claims c;
	size_t len, accepted = 0;
	uint8_t *tok = gk_test_vector(VEC, name, &len);

	all_keys(keys);
	o = opts_for(keys, 3);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			tok[i] ^= (uint8_t)(1 << bit);
			if (!gk_cwt_verify(tok, len, &o, &c, NULL)) {
				TH_LOG("%s: flip of bit %d in byte %zu accepted", name, bit, i);
				gk_cwt_claims_free(&c);
				accepted++;
			}
			tok[i] ^= (uint8_t)(1 << bit);
		}
	}
	EXPECT_EQ(accepted, 0);
	/* And the untouched token still verifies: the loop restored every byte. */
	EXPECT_EQ(gk_cwt_verify(tok, len, &o, &c, NULL), 0);
	gk_cwt_claims_free(&c);
	free(tok);
}

/* Includes the optional CWT tag 61 of A.4: another tag number is refused, not skipped. */
TEST(a4_every_bit_flip_rejected)
{
	every_flip_rejected("A4_MACED");
}

TEST(a5_every_bit_flip_rejected)
{
	every_flip_rejected("A5_ENCRYPTED");
}

TEST(a3_a6_every_byte_flip_rejected)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;
	struct gk_cwt_claims c;
	const char *names[] = { "A3_SIGNED", "A6_NESTED" };

	all_keys(keys);
	o = opts_for(keys, 3);
	for (size_t v = 0; v < 2; v++) {
		size_t len;
		uint8_t *tok = gk_test_vector(VEC, names[v], &len);

		for (size_t i = 0; i < len; i++) {
			tok[i] ^= 0x01;
			if (!gk_cwt_verify(tok, len, &o, &c, NULL)) {
				TH_LOG("%s: flip in byte %zu accepted", names[v], i);
				gk_cwt_claims_free(&c);
				EXPECT_TRUE(0);
			}
			tok[i] ^= 0x01;
		}
		free(tok);
	}
}

TEST(every_truncation_rejected)
{
	static const char *names[] = { "A3_SIGNED", "A4_MACED", "A5_ENCRYPTED", "A6_NESTED" };
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;
	struct gk_cwt_claims c;

	all_keys(keys);
	o = opts_for(keys, 3);
	for (size_t v = 0; v < GK_ARRAY_SIZE(names); v++) {
		size_t len;
		uint8_t *tok = gk_test_vector(VEC, names[v], &len);

		for (size_t n = 0; n < len; n++) {
			uint8_t *copy = malloc(n ? n : 1);

			memcpy(copy, tok, n);
			if (!gk_cwt_verify(copy, n, &o, &c, NULL)) {
				TH_LOG("%s truncated to %zu accepted", names[v], n);
				gk_cwt_claims_free(&c);
				EXPECT_TRUE(0);
			}
			free(copy);
		}
		free(tok);
	}
}

TEST(appended_bytes_rejected)
{
	static const char *names[] = { "A3_SIGNED", "A4_MACED", "A5_ENCRYPTED", "A6_NESTED" };
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;

	all_keys(keys);
	o = opts_for(keys, 3);
	for (size_t v = 0; v < GK_ARRAY_SIZE(names); v++) {
		size_t len;
		uint8_t *tok = gk_test_vector(VEC, names[v], &len);
		uint8_t *longer = malloc(len + 1);
		struct gk_cwt_claims c;

		memcpy(longer, tok, len);
		longer[len] = 0x00;
		EXPECT_EQ(gk_cwt_verify(longer, len + 1, &o, &c, NULL), -GK_ETRAILING);
		free(longer);
		free(tok);
	}
}

TEST(time_claims_enforced)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;

	all_keys(keys);
	o = opts_for(keys, 3);
	o.now = 1444064943; /* the last second before exp */
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), 0);
	o.now = 1444064944; /* == exp: RFC 7519 §4.1.4, no longer accepted */
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), -GK_EEXPIRED);
	o.leeway = 1;
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), 0);
	o.now = 1444064945;
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), -GK_EEXPIRED);
	o.leeway = 0;
	o.now = 1443944943;
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), -GK_ENOTYETVALID);
	o.now = 1443944944;
	EXPECT_EQ(verify_vector("A4_MACED", &o, NULL), 0);
}

TEST(audience_and_issuer_enforced)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_verify_opts o;

	all_keys(keys);
	o = opts_for(keys, 3);
	o.audience = "coap://light.example.com";
	o.issuer = "coap://as.example.com";
	EXPECT_EQ(verify_vector("A5_ENCRYPTED", &o, NULL), 0);
	o.audience = "coap://kdc.example.com";
	EXPECT_EQ(verify_vector("A5_ENCRYPTED", &o, NULL), -GK_EAUDIENCE);
	o.audience = NULL;
	o.issuer = "coap://evil.example.com";
	EXPECT_EQ(verify_vector("A5_ENCRYPTED", &o, NULL), -GK_EISSUER);
	o.issuer = NULL;
	o.require_exp = true;
	EXPECT_EQ(verify_vector("A5_ENCRYPTED", &o, NULL), 0);
}

static void sample_claims(struct gk_cwt_claims *c)
{
	static const uint8_t scope[] = { 0x81, 0x82, 0x66, 'g', 'r', 'o', 'u', 'p', '1', 0x02 };
	static const uint8_t cti[] = { 1, 2, 3, 4 };

	memset(c, 0, sizeof(*c));
	c->iss = strdup("groupkeyd-as");
	ASSERT_EQ(gk_cwt_claims_set_aud(c, "groupkeyd-kdc"), 0);
	c->has_exp = c->has_iat = true;
	c->exp = NOW_VALID + 3600;
	c->iat = NOW_VALID;
	c->cti = malloc(sizeof(cti));
	memcpy(c->cti, cti, sizeof(cti));
	c->cti_len = sizeof(cti);
	c->scope = malloc(sizeof(scope));
	memcpy(c->scope, scope, sizeof(scope));
	c->scope_len = sizeof(scope);
	c->cnf_type = GK_CNF_KEY;
	c->cnf_key.kty = GK_COSE_KTY_SYMMETRIC;
	c->cnf_key.kid_len = 2;
	c->cnf_key.kid[0] = 0xab;
	c->cnf_key.kid[1] = 0xcd;
	c->cnf_key.k_len = 16;
	memset(c->cnf_key.k, 0x5a, 16);
}

static void round_trip(const struct gk_cwt_layer *layers, size_t n, bool tag61,
		       const struct gk_cose_key *keys, size_t n_keys)
{
	struct gk_cwt_verify_opts o = { .keys = keys, .n_keys = n_keys, .now = NOW_VALID,
					.audience = "groupkeyd-kdc", .require_exp = true };
	struct gk_cwt_claims in, out;
	struct gk_cwt_info info;
	struct gk_rng *rng;
	struct gk_enc e;
	uint8_t *tok;
	size_t len;

	sample_claims(&in);
	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_enc_init(&e);
	ASSERT_EQ(gk_cwt_create(&e, &in, layers, n, tag61, rng), 0);
	ASSERT_EQ(gk_enc_finish(&e, &tok, &len), 0);
	ASSERT_EQ(gk_cwt_verify(tok, len, &o, &out, &info), 0);
	EXPECT_EQ(info.n_layers, n);
	EXPECT_EQ(info.cwt_tag, tag61);
	EXPECT_STREQ(out.iss, "groupkeyd-as");
	EXPECT_EQ(out.exp, NOW_VALID + 3600);
	EXPECT_EQ(out.scope_len, in.scope_len);
	EXPECT_MEMEQ(out.scope, in.scope, in.scope_len);
	EXPECT_EQ(out.cnf_type, GK_CNF_KEY);
	EXPECT_EQ(out.cnf_key.k_len, 16);
	EXPECT_MEMEQ(out.cnf_key.k, in.cnf_key.k, 16);
	EXPECT_MEMEQ(out.cnf_key.kid, in.cnf_key.kid, 2);
	gk_cwt_claims_free(&out);
	gk_cwt_claims_free(&in);
	free(tok);
	gk_rng_free(rng);
}

TEST(create_round_trips_every_alg)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_layer l = { 0 };

	all_keys(keys);
	l.key = &keys[0];
	l.alg = GK_COSE_ALG_AES_CCM_16_64_128;
	round_trip(&l, 1, true, keys, 3);
	l.key = &keys[1];
	l.alg = GK_COSE_ALG_HMAC256_64;
	keys[1].has_alg = false;
	round_trip(&l, 1, false, keys, 3);
	l.alg = GK_COSE_ALG_HMAC256_256;
	round_trip(&l, 1, true, keys, 3);
	l.key = &keys[2];
	l.alg = GK_COSE_ALG_ES256;
	l.flags = GK_COSE_KID;
	round_trip(&l, 1, false, keys, 3);
}

/* The embedded AS's form: a signed (or MACed) CWT inside a COSE_Encrypt0. */
TEST(create_nested_round_trip)
{
	struct gk_cose_key keys[3];
	struct gk_cwt_layer l[2] = { { 0 } };

	all_keys(keys);
	l[0].key = &keys[2];
	l[0].alg = GK_COSE_ALG_ES256;
	l[1].key = &keys[0];
	l[1].alg = GK_COSE_ALG_AES_CCM_16_64_128;
	l[1].flags = GK_COSE_KID;
	round_trip(l, 2, true, keys, 3);
}

TEST(claims_of_wrong_type_rejected)
{
	/* {1: 5} iss as int; {4: "x"} exp as text; {8: {1: 1}} cnf with a non-map key; {3: []} */
	static const char *bad[] = { "a10105", "a1046178", "a108a10101", "a10380", "a104fb3ff0000000000000" };
	struct gk_cwt_claims c;

	for (size_t i = 0; i < GK_ARRAY_SIZE(bad); i++) {
		size_t len;
		uint8_t *buf = gk_test_unhex(bad[i], &len);

		EXPECT_EQ(gk_cwt_claims_decode(buf, len, &c), -GK_ECLAIM);
		free(buf);
	}
}

TEST(unknown_claims_ignored)
{
	/* {1: "a", 100: h'00', "x": 1} */
	struct gk_cwt_claims c;
	size_t len;
	uint8_t *buf = gk_test_unhex("a301616118644100617801", &len);

	ASSERT_EQ(gk_cwt_claims_decode(buf, len, &c), 0);
	EXPECT_STREQ(c.iss, "a");
	gk_cwt_claims_free(&c);
	free(buf);
}

TEST(inspect_without_key)
{
	struct gk_cwt_info info;
	cbor_item_t *claims;
	size_t len;
	uint8_t *tok = gk_test_vector(VEC, "A4_MACED", &len);

	ASSERT_EQ(gk_cwt_inspect(tok, len, &info, &claims), 0);
	ASSERT_TRUE(claims != NULL);
	EXPECT_TRUE(cbor_isa_map(claims));
	EXPECT_EQ(cbor_map_size(claims), 7);
	cbor_decref(&claims);
	free(tok);
	tok = gk_test_vector(VEC, "A5_ENCRYPTED", &len);
	ASSERT_EQ(gk_cwt_inspect(tok, len, &info, &claims), 0);
	EXPECT_TRUE(claims == NULL);
	EXPECT_EQ(info.layer_type[0], GK_COSE_ENCRYPT0);
	EXPECT_EQ(info.layer_kid_len[0], 12); /* "Symmetric128" */
	free(tok);
}
