// SPDX-License-Identifier: BSD-3-Clause
/* gk_gc_join_result(): Join Responses signed by a fresh KDC key, and each way one is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "groupkey/ace_client.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

#define LOC_OK "ace-group/g1/nodes/s00000007"

static const uint8_t NC[GK_GC_NONCE_LEN] = { 1, 1, 2, 3, 5, 8, 13, 21 };
static const uint8_t NC_OTHER[GK_GC_NONCE_LEN] = { 1, 1, 2, 3, 5, 8, 13, 22 };
static const uint8_t NKDC[GK_GC_NONCE_LEN] = { 7, 6, 5, 4, 3, 2, 1, 0 };

/* Parameters a Join Response leaves out, one bit each. */
enum { NO_CRED = 1, NO_NONCE = 2, NO_VERIFY = 4, NO_SID = 8 };

struct kdc {
	struct gk_rng *rng;
	uint8_t d[32];
	struct gk_enc ccs; /* its credential, as the response's kdc_cred */
};

static void kdc_setup(struct kdc *kdc)
{
	uint8_t x[32], y[32];

	ASSERT_EQ(gk_rng_new(&kdc->rng), 0);
	ASSERT_EQ(gk_p256_keygen(kdc->rng, kdc->d, x, y), 0);
	gk_enc_init(&kdc->ccs);
	ASSERT_EQ(gk_gc_ccs_encode(&kdc->ccs, x, y), 0);
}

static void kdc_teardown(struct kdc *kdc)
{
	gk_wipe(kdc->d, sizeof(kdc->d));
	gk_enc_free(&kdc->ccs);
	gk_rng_free(kdc->rng);
}

/* The COSE_Key of docs/profile.md REQ17: num 3, k = 00..0f, exp 1700000000. */
static void key_encode(struct gk_enc *e)
{
	static const uint8_t kid[4] = { 0, 0, 0, 3 };
	uint8_t k[GK_GC_GROUP_KEY_LEN];

	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)i;
	gk_enc_map(e, 5);
	gk_enc_uint(e, GK_COSE_KEY_KTY);
	gk_enc_uint(e, GK_COSE_KTY_SYMMETRIC);
	gk_enc_uint(e, GK_COSE_KEY_KID);
	gk_enc_bstr(e, kid, sizeof(kid));
	gk_enc_uint(e, GK_COSE_KEY_ALG);
	gk_enc_int(e, GK_GC_KEY_ALG);
	gk_enc_int(e, GK_COSE_KEY_K);
	gk_enc_bstr(e, k, sizeof(k));
	gk_enc_int(e, GK_GC_KEY_EXP_LABEL);
	gk_enc_uint(e, 1700000000);
}

/*
 * A Join Response payload, sender id 7, exi 3600, with the KDC's PoP over
 * sig_nc || N_KDC (the signature's bit flip_bit flipped when >= 0) and
 * without the parameters in omit.
 */
static void resp_encode(struct gk_enc *e, struct kdc *kdc, const uint8_t *sig_nc, int flip_bit,
			unsigned omit)
{
	uint8_t sig[GK_GC_SIG_LEN];

	ASSERT_EQ(gk_gc_pop_sign(kdc->rng, kdc->d, NULL, 0, sig_nc, GK_GC_NONCE_LEN, NKDC,
				 sizeof(NKDC), sig),
		  0);
	if (flip_bit >= 0)
		sig[flip_bit / 8] ^= (uint8_t)(1u << (flip_bit % 8));
	gk_enc_init(e);
	gk_enc_map(e, 9 - (size_t)__builtin_popcount(omit));
	gk_enc_uint(e, GK_GC_GKTY);
	gk_enc_tstr(e, GK_GC_GKTY_VALUE);
	gk_enc_uint(e, GK_GC_KEY);
	key_encode(e);
	gk_enc_uint(e, GK_GC_NUM);
	gk_enc_uint(e, 3);
	gk_enc_uint(e, GK_GC_EXP);
	gk_enc_uint(e, 1700000000);
	gk_enc_uint(e, GK_GC_EXI);
	gk_enc_uint(e, 3600);
	if (!(omit & NO_CRED)) {
		gk_enc_uint(e, GK_GC_KDC_CRED);
		gk_enc_bstr(e, kdc->ccs.buf, kdc->ccs.len);
	}
	if (!(omit & NO_NONCE)) {
		gk_enc_uint(e, GK_GC_KDC_NONCE);
		gk_enc_bstr(e, NKDC, sizeof(NKDC));
	}
	if (!(omit & NO_VERIFY)) {
		gk_enc_uint(e, GK_GC_KDC_CRED_VERIFY);
		gk_enc_bstr(e, sig, sizeof(sig));
	}
	if (!(omit & NO_SID)) {
		gk_enc_int(e, GK_GC_SENDER_ID);
		gk_enc_uint(e, 7);
	}
	ASSERT_EQ(e->err, 0);
}

/* gk_gc_join_result() on a response of code and location carrying payload. */
static int result(int code, const char *location, const struct gk_enc *payload,
		  struct gk_gc_keying *k, struct gk_gc_member *mf)
{
	struct gk_coap_msg m = { .code = code,
				 .content_format = GK_ACE_CF_GROUPCOMM,
				 .payload = payload->buf,
				 .payload_len = payload->len };

	snprintf(m.location, sizeof(m.location), "%s", location);
	return gk_gc_join_result(&m, "g1", NC, k, mf);
}

/* A well-formed response of code with one variation; the result code. */
static int try_resp(int code, const char *location, const uint8_t *sig_nc, int flip_bit,
		    unsigned omit)
{
	struct gk_gc_keying k;
	struct gk_gc_member mf;
	struct kdc kdc;
	struct gk_enc e;
	int err;

	kdc_setup(&kdc);
	resp_encode(&e, &kdc, sig_nc, flip_bit, omit);
	err = result(code, location, &e, &k, &mf);
	gk_wipe(&k, sizeof(k));
	gk_wipe(&mf, sizeof(mf));
	gk_enc_free(&e);
	kdc_teardown(&kdc);
	return err;
}

static void check_member(const struct gk_gc_member *mf, const struct kdc *kdc)
{
	EXPECT_STREQ(mf->kdc, "");
	EXPECT_STREQ(mf->group, "g1");
	EXPECT_STREQ(mf->location, LOC_OK);
	EXPECT_STREQ(mf->node, "s00000007");
	EXPECT_EQ(mf->sender_id, 7u);
	EXPECT_EQ(mf->roles, 0u);
	EXPECT_EQ(mf->num, 3u);
	for (size_t i = 0; i < sizeof(mf->key); i++)
		EXPECT_EQ(mf->key[i], i);
	EXPECT_EQ(mf->exp, 1700000000u);
	EXPECT_EQ(mf->exi, 3600u);
	ASSERT_EQ(mf->cnonce_len, sizeof(NC));
	EXPECT_MEMEQ(mf->cnonce, NC, sizeof(NC));
	ASSERT_EQ(mf->kdc_cred_len, kdc->ccs.len);
	EXPECT_MEMEQ(mf->kdc_cred, kdc->ccs.buf, kdc->ccs.len);
}

static void check_ok(int code)
{
	struct gk_gc_keying k;
	struct gk_gc_member mf;
	struct kdc kdc;
	struct gk_enc e;

	kdc_setup(&kdc);
	resp_encode(&e, &kdc, NC, -1, 0);
	ASSERT_EQ(result(code, LOC_OK, &e, &k, &mf), 0);
	check_member(&mf, &kdc);
	EXPECT_EQ(k.num, 3u);
	EXPECT_EQ(k.sender_id, 7u);
	EXPECT_EQ(k.kdc_nonce_len, sizeof(NKDC));
	gk_wipe(&k, sizeof(k));
	gk_wipe(&mf, sizeof(mf));
	gk_enc_free(&e);
	kdc_teardown(&kdc);
}

TEST(created_fills_member)
{
	check_ok(201);
}

TEST(changed_fills_member)
{
	check_ok(204);
}

/* Even with a perfect payload, only 2.01 and 2.04 are a Join Response; *mf stays empty. */
TEST(other_codes_eproto)
{
	static const int codes[] = { 400, 205, 200, 401, 403, 500 };
	struct gk_gc_keying k;
	struct gk_gc_member mf, zero = { 0 };
	struct kdc kdc;
	struct gk_enc e;

	kdc_setup(&kdc);
	resp_encode(&e, &kdc, NC, -1, 0);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		memset(&mf, 0xa5, sizeof(mf));
		EXPECT_EQ(result(codes[i], LOC_OK, &e, &k, &mf), -EPROTO);
		EXPECT_MEMEQ(&mf, &zero, sizeof(mf));
	}
	gk_enc_free(&e);
	kdc_teardown(&kdc);
}

TEST(missing_kdc_cred)
{
	EXPECT_EQ(try_resp(201, LOC_OK, NC, -1, NO_CRED), -GK_EMISSING);
}

TEST(missing_kdc_nonce)
{
	EXPECT_EQ(try_resp(201, LOC_OK, NC, -1, NO_NONCE), -GK_EMISSING);
}

TEST(missing_kdc_cred_verify)
{
	EXPECT_EQ(try_resp(201, LOC_OK, NC, -1, NO_VERIFY), -GK_EMISSING);
	EXPECT_EQ(try_resp(204, LOC_OK, NC, -1, NO_VERIFY | NO_SID), -GK_EMISSING);
}

/* A PoP the KDC made for another Join (another N_C) is no PoP for this one. */
TEST(pop_over_other_nc)
{
	EXPECT_EQ(try_resp(201, LOC_OK, NC_OTHER, -1, 0), -GK_EBADSIG);
}

TEST(pop_bit_flipped)
{
	EXPECT_EQ(try_resp(201, LOC_OK, NC, 0, 0), -GK_EBADSIG);
	EXPECT_EQ(try_resp(201, LOC_OK, NC, 300, 0), -GK_EBADSIG);
	EXPECT_EQ(try_resp(201, LOC_OK, NC, GK_GC_SIG_LEN * 8 - 1, 0), -GK_EBADSIG);
}

TEST(missing_sender_id)
{
	EXPECT_EQ(try_resp(201, LOC_OK, NC, -1, NO_SID), -GK_EMISSING);
}

TEST(location_path_refused)
{
	EXPECT_EQ(try_resp(201, "ace-group/g2/nodes/s00000007", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "ace-group/g10/nodes/s00000007", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "ace-group/g1/nodes/s00000007/x", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "ace-group/g1/nodes/", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "ace-group/g1/nodes", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "ace-group/g1", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "/ace-group/g1/nodes/s00000007", NC, -1, 0), -EBADMSG);
	EXPECT_EQ(try_resp(201, "ace-group/g1/members/s00000007", NC, -1, 0), -EBADMSG);
}

/* GK_GC_NODE_MAX characters fit *mf's node, one more does not. */
TEST(location_node_length)
{
	char loc[64];

	snprintf(loc, sizeof(loc), "ace-group/g1/nodes/%.*s", GK_GC_NODE_MAX,
		 "0123456789abcdefghijklmnop");
	EXPECT_EQ(try_resp(201, loc, NC, -1, 0), 0);
	snprintf(loc, sizeof(loc), "ace-group/g1/nodes/%.*s", GK_GC_NODE_MAX + 1,
		 "0123456789abcdefghijklmnop");
	EXPECT_EQ(try_resp(201, loc, NC, -1, 0), -EBADMSG);
}

/* The keying material parser's own reasons come through unchanged. */
TEST(unparsable_payload)
{
	struct gk_gc_keying k;
	struct gk_gc_member mf;
	struct kdc kdc;
	struct gk_enc e, empty = { 0 };

	kdc_setup(&kdc);
	resp_encode(&e, &kdc, NC, -1, 0);
	e.len--;
	EXPECT_EQ(result(201, LOC_OK, &e, &k, &mf), -GK_ETRUNCATED);
	e.len++;
	e.buf[0] = 0x40; /* a bstr, no map */
	EXPECT_EQ(result(201, LOC_OK, &e, &k, &mf), -GK_ETRAILING);
	e.buf[0] = 0xff;
	EXPECT_EQ(result(201, LOC_OK, &e, &k, &mf), -GK_EMALFORMED);
	EXPECT_EQ(result(201, LOC_OK, &empty, &k, &mf), -GK_ETRUNCATED);
	gk_enc_free(&e);
	gk_wipe(&k, sizeof(k));
	kdc_teardown(&kdc);
}
