// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for COSE keys and messages: RFC 8392 Appendix A vectors, round trips, rejections. */
#include <errno.h>

#include "groupkey/cose.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "harness.h"

/* RFC 8392 Appendix A, as in tests/vectors/rfc8392-cwt.txt. */
#define A1_CLAIMS                                                                            \
	"a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f" \
	"6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b71"
#define A2_1_KEY "a42050231f4c4d4d3051fdc2ec0a3851d5b3830104024c53796d6d6574726963313238030a"
#define A2_2_KEY                                                                             \
	"a4205820403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d795693880104024c53" \
	"796d6d6574726963323536030a"
#define A2_3_KEY                                                                             \
	"a72358206c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858bc206c1922582060f7" \
	"f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b9215820143329cce7868e41" \
	"6927599cf65a34f3ce2ffda55a7eca69ed8919a394d42f0f2001010202524173796d6d657472696345" \
	"434453413235360326"
#define A3_SIGNED                                                                            \
	"d28443a10126a104524173796d6d657472696345434453413235365850a70175636f61703a2f2f6173" \
	"2e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578616d706c" \
	"652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b7158405427c1ff28d23fbad1f29c4c" \
	"7c6a555e601d6fa29f9179bc3d7438bacaca5acd08c8d4d4f96131680c429a01f85951ecee743a52b9" \
	"b63632c57209120e1c9e30"
#define A4_MACED                                                                             \
	"d83dd18443a10104a1044c53796d6d65747269633235365850a70175636f61703a2f2f61732e657861" \
	"6d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578616d706c652e636f" \
	"6d041a5612aeb0051a5610d9f0061a5610d9f007420b7148093101ef6d789200"
#define A5_ENCRYPTED                                                                         \
	"d08343a1010aa2044c53796d6d6574726963313238054d99a0d7846e762c49ffe8a63e0b5858b918a1" \
	"1fd81e438b7f973d9e2e119bcb22424ba0f38a80f27562f400ee1d0d6c0fdb559c02421fd384fc2ebe" \
	"22d7071378b0ea7428fff157444d45f7e6afcda1aae5f6495830c58627087fc5b4974f319a8707a635" \
	"dd643b"
#define A6_NESTED                                                                            \
	"d08343a1010aa2044c53796d6d6574726963313238054d4a0694c0e69ee6b5956655c7b258b7f6b091" \
	"4f993de822cc47e5e57a188d7960b528a747446fe12f0e7de05650dec74724366763f167a29c002dfd" \
	"15b34d8993391cf49bc91127f545dba8703d66f5b7f1ae91237503d371e6333df9708d78c4fb8a8386" \
	"c8ff09dc49af768b23179deab78d96490a66d5724fb33900c60799d9872fac6da3bdb89043d67c2a05" \
	"414ce331b5b8f1ed8ff7138f45905db2c4d5bc8045ab372bff142631610a7e0f677b7e9b0bc73adefd" \
	"cee16d9d5d284c616abeab5d8c291ce0"

#define KID_SYM128 "53796d6d6574726963313238"	      /* "Symmetric128" */
#define KID_SYM256 "53796d6d6574726963323536"	      /* "Symmetric256" */
#define KID_EC "4173796d6d65747269634543445341323536" /* "AsymmetricECDSA256" */
/* 32 zero bytes. */
#define Z32 "0000000000000000000000000000000000000000000000000000000000000000"
#define K_SYM128 "231f4c4d4d3051fdc2ec0a3851d5b383"
#define K_SYM256 "403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388"
#define EC_X "143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a394d42f0f"
#define EC_Y "60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b9"
#define EC_D "6c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858bc206c19"

struct buf {
	uint8_t *p;
	size_t n;
};

static struct buf hexbuf(const char *hex)
{
	struct buf b;

	b.p = gk_test_unhex(hex, &b.n);
	return b;
}

static void expect_hex(const uint8_t *p, size_t n, const char *hex)
{
	struct buf want = hexbuf(hex);

	ASSERT_EQ(n, want.n);
	ASSERT_MEMEQ(p, want.p, n);
	free(want.p);
}

static void load_key(const char *hex, struct gk_cose_key *key)
{
	struct buf b = hexbuf(hex);

	ASSERT_EQ(gk_cose_key_decode(b.p, b.n, key), 0);
	free(b.p);
}

/* A.2.2 names alg 10 (AES-CCM) although A.4 uses it for HMAC 256/64: the vectors disagree. */
static void load_a4_key(struct gk_cose_key *key)
{
	load_key(A2_2_KEY, key);
	key->has_alg = false;
}

static int key_decode_hex(const char *hex)
{
	struct gk_cose_key key;
	struct buf b = hexbuf(hex);
	int err = gk_cose_key_decode(b.p, b.n, &key);

	free(b.p);
	return err;
}

static int parse_hex(const char *hex, size_t skip, int expect, struct gk_cose_msg *m)
{
	struct buf b = hexbuf(hex);
	int err = gk_cose_parse(b.p + skip, b.n - skip, expect, m);

	free(b.p);
	return err;
}

/* Parse and verify or decrypt in one go; the first error wins. */
static int open_msg(const uint8_t *p, size_t n, int expect, const struct gk_cose_key *key,
		    const uint8_t *aad, size_t aad_len, struct buf *out)
{
	struct gk_cose_msg m;
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	int err;

	err = gk_cose_parse(p, n, expect, &m);
	if (err)
		return err;
	if (m.type == GK_COSE_MAC0) {
		err = gk_cose_mac0_verify(&m, key, aad, aad_len);
	} else if (m.type == GK_COSE_SIGN1) {
		err = gk_cose_sign1_verify(&m, key, aad, aad_len);
	} else {
		err = gk_cose_encrypt0_decrypt(&m, key, aad, aad_len, &pt, &pt_len);
		if (!err && out) {
			out->p = pt;
			out->n = pt_len;
			pt = NULL;
		}
		free(pt);
	}
	if (!err && out && m.type != GK_COSE_ENCRYPT0) {
		out->p = malloc(m.payload_len + 1);
		ASSERT_TRUE(out->p != NULL);
		memcpy(out->p, m.payload, m.payload_len);
		out->n = m.payload_len;
	}
	gk_cose_msg_free(&m);
	return err;
}

static int open_hex(const char *hex, size_t skip, const struct gk_cose_key *key, const uint8_t *aad,
		    size_t aad_len, struct buf *out)
{
	struct buf b = hexbuf(hex);
	int err = open_msg(b.p + skip, b.n - skip, 0, key, aad, aad_len, out);

	free(b.p);
	return err;
}

TEST(key_a2_1_symmetric128_decodes_exactly)
{
	struct gk_cose_key key;

	load_key(A2_1_KEY, &key);
	ASSERT_EQ(key.kty, GK_COSE_KTY_SYMMETRIC);
	ASSERT_TRUE(key.has_alg);
	ASSERT_EQ(key.alg, GK_COSE_ALG_AES_CCM_16_64_128);
	expect_hex(key.kid, key.kid_len, KID_SYM128);
	expect_hex(key.k, key.k_len, K_SYM128);
	ASSERT_FALSE(key.has_d);
}

TEST(key_a2_2_symmetric256_decodes_exactly)
{
	struct gk_cose_key key;

	load_key(A2_2_KEY, &key);
	ASSERT_EQ(key.kty, GK_COSE_KTY_SYMMETRIC);
	ASSERT_TRUE(key.has_alg);
	ASSERT_EQ(key.alg, 10);
	expect_hex(key.kid, key.kid_len, KID_SYM256);
	expect_hex(key.k, key.k_len, K_SYM256);
}

TEST(key_a2_3_ecdsa256_decodes_exactly)
{
	struct gk_cose_key key;

	load_key(A2_3_KEY, &key);
	ASSERT_EQ(key.kty, GK_COSE_KTY_EC2);
	ASSERT_EQ(key.crv, GK_COSE_CRV_P256);
	ASSERT_TRUE(key.has_alg);
	ASSERT_EQ(key.alg, GK_COSE_ALG_ES256);
	expect_hex(key.kid, key.kid_len, KID_EC);
	expect_hex(key.x, sizeof(key.x), EC_X);
	expect_hex(key.y, sizeof(key.y), EC_Y);
	ASSERT_TRUE(key.has_d);
	expect_hex(key.d, sizeof(key.d), EC_D);
	ASSERT_EQ(key.k_len, 0);
	gk_cose_key_wipe(&key);
	ASSERT_EQ(key.has_d, false);
	ASSERT_EQ(key.d[0], 0);
}

TEST(key_encode_is_deterministic)
{
	struct gk_cose_key key, back;
	struct gk_enc e;
	uint8_t *out;
	size_t len;

	load_key(A2_3_KEY, &key);
	gk_enc_init(&e);
	ASSERT_EQ(gk_cose_key_encode(&e, &key, true), 0);
	ASSERT_EQ(gk_enc_finish(&e, &out, &len), 0);
	expect_hex(out, len,
		   "a7010202524173796d6d6574726963454344534132353603262001215820" EC_X "225820" EC_Y
		   "235820" EC_D);
	ASSERT_EQ(gk_cose_key_decode(out, len, &back), 0);
	ASSERT_MEMEQ(&back, &key, sizeof(key));
	free(out);

	gk_enc_init(&e);
	ASSERT_EQ(gk_cose_key_encode(&e, &key, false), 0);
	ASSERT_EQ(gk_enc_finish(&e, &out, &len), 0);
	expect_hex(out, len,
		   "a6010202524173796d6d6574726963454344534132353603262001215820" EC_X
		   "225820" EC_Y);
	free(out);

	load_key(A2_1_KEY, &key);
	gk_enc_init(&e);
	ASSERT_EQ(gk_cose_key_encode(&e, &key, true), 0);
	ASSERT_EQ(gk_enc_finish(&e, &out, &len), 0);
	expect_hex(out, len, "a40104024c" KID_SYM128 "030a2050" K_SYM128);
	free(out);
	/* A symmetric key is all secret: asking for the public part is a caller bug. */
	gk_enc_init(&e);
	ASSERT_EQ(gk_cose_key_encode(&e, &key, false), -EINVAL);
	ASSERT_EQ(e.err, -EINVAL);
	gk_enc_free(&e);
}

TEST(key_decode_rejections)
{
	/* No kty. */
	ASSERT_EQ(key_decode_hex("a12050231f4c4d4d3051fdc2ec0a3851d5b383"), -GK_EKEY);
	/* kty as text. */
	ASSERT_EQ(key_decode_hex("a20163454332"
				 "2050231f4c4d4d3051fdc2ec0a3851d5b383"),
		  -GK_EKEY);
	/* Symmetric with a 15-byte k, and with no k. */
	ASSERT_EQ(key_decode_hex("a20104204f231f4c4d4d3051fdc2ec0a3851d5b3"), -GK_EKEY);
	ASSERT_EQ(key_decode_hex("a10104"), -GK_EKEY);
	/* OKP (kty 1, Ed25519): unsupported key type. */
	ASSERT_EQ(key_decode_hex("a3010120062158201111111111111111111111111111111111111111111111"
				 "111111111111111111"),
		  -GK_EKEY);
	/* EC2 with a 31-byte x. */
	ASSERT_EQ(key_decode_hex("a40102200121581f"
				 "3329cce7868e416927599cf65a34f3ce2ffda55a7eca"
				 "69ed8919a394d42f0f225820" EC_Y),
		  -GK_EKEY);
	/* EC2 with y in the compressed (bool) form. */
	ASSERT_EQ(key_decode_hex("a401022001215820" EC_X "22f5"), -GK_EKEY);
	/* EC2 on another curve (crv 2, P-384). */
	ASSERT_EQ(key_decode_hex("a401022002215820" EC_X "225820" EC_Y), -GK_EKEY);
	/* EC2 point not on the curve (last byte of y changed). */
	ASSERT_EQ(
		key_decode_hex("a401022001215820" EC_X "225820"
			       "60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b8"),
		-GK_EKEY);
	/* EC2 whose d is not the private key of (x, y). */
	ASSERT_EQ(
		key_decode_hex("a501022001215820" EC_X "225820" EC_Y "235820"
			       "6c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858bc206c18"),
		-GK_EKEY);
	/* kid of 65 bytes (64 is the most we keep), kid as text. */
	ASSERT_EQ(key_decode_hex("a30104025841" Z32 Z32 "00"
				 "2050231f4c4d4d3051fdc2ec0a3851d5b383"),
		  -GK_EKEY);
	ASSERT_EQ(key_decode_hex("a30104025840" Z32 Z32 "2050231f4c4d4d3051fdc2ec0a3851d5b383"), 0);
	ASSERT_EQ(key_decode_hex("a301040261612050231f4c4d4d3051fdc2ec0a3851d5b383"), -GK_EKEY);
	/* alg named by text. */
	ASSERT_EQ(key_decode_hex("a3010403614120"
				 "50231f4c4d4d3051fdc2ec0a3851d5b383"),
		  -GK_EALG);
	/* Not a map; duplicate label (strict decoder); trailing byte. */
	ASSERT_EQ(key_decode_hex("820104"), -GK_EKEY);
	ASSERT_EQ(key_decode_hex("a301040104"
				 "2050231f4c4d4d3051fdc2ec0a3851d5b383"),
		  -GK_EDUPKEY);
	ASSERT_EQ(key_decode_hex(A2_1_KEY "00"), -GK_ETRAILING);
}

TEST(key_unknown_labels_ignored)
{
	struct gk_cose_key key;

	/* key_ops (4) and a private label (-70000) next to a valid symmetric key. */
	ASSERT_EQ(key_decode_hex("a40104048102"
				 "3a0001116f01"
				 "2050231f4c4d4d3051fdc2ec0a3851d5b383"),
		  0);
	load_key("a20104"
		 "2050231f4c4d4d3051fdc2ec0a3851d5b383",
		 &key);
	ASSERT_EQ(key.kid_len, 0);
	ASSERT_FALSE(key.has_alg);
}

TEST(key_check_alg_policy)
{
	struct gk_cose_key s128, s256, ec;

	load_key(A2_1_KEY, &s128);
	load_key(A2_2_KEY, &s256);
	load_key(A2_3_KEY, &ec);
	/* The key's own alg binds it. */
	ASSERT_EQ(gk_cose_key_check_alg(&s128, GK_COSE_ALG_AES_CCM_16_64_128), 0);
	ASSERT_EQ(gk_cose_key_check_alg(&s128, GK_COSE_ALG_AES_CCM_16_128_128), -GK_EALG);
	ASSERT_EQ(gk_cose_key_check_alg(&s128, GK_COSE_ALG_HMAC256_64), -GK_EALG);
	ASSERT_EQ(gk_cose_key_check_alg(&ec, GK_COSE_ALG_ES256), 0);
	s128.has_alg = false;
	s256.has_alg = false;
	ec.has_alg = false;
	ASSERT_EQ(gk_cose_key_check_alg(&s128, GK_COSE_ALG_AES_CCM_16_128_128), 0);
	ASSERT_EQ(gk_cose_key_check_alg(&s128, GK_COSE_ALG_HMAC256_64), 0);
	ASSERT_EQ(gk_cose_key_check_alg(&s128, GK_COSE_ALG_HMAC256_256), 0);
	ASSERT_EQ(gk_cose_key_check_alg(&s128, GK_COSE_ALG_ES256), -GK_EALG);
	/* AES-CCM-16-*-128 wants exactly a 128-bit key. */
	ASSERT_EQ(gk_cose_key_check_alg(&s256, GK_COSE_ALG_AES_CCM_16_64_128), -GK_EALG);
	ASSERT_EQ(gk_cose_key_check_alg(&s256, GK_COSE_ALG_HMAC256_256), 0);
	ASSERT_EQ(gk_cose_key_check_alg(&ec, GK_COSE_ALG_HMAC256_64), -GK_EALG);
	ASSERT_EQ(gk_cose_key_check_alg(&ec, GK_COSE_ALG_AES_CCM_16_64_128), -GK_EALG);
	/* Algs we do not implement: A128GCM (1), ES384 (-35), EdDSA (-8). */
	ASSERT_EQ(gk_cose_key_check_alg(&s128, 1), -GK_EALG);
	ASSERT_EQ(gk_cose_key_check_alg(&ec, -35), -GK_EALG);
	ASSERT_EQ(gk_cose_key_check_alg(&ec, -8), -GK_EALG);
}

TEST(a3_sign1_verifies)
{
	struct gk_cose_key key;
	struct gk_cose_msg m;
	struct buf out;

	load_key(A2_3_KEY, &key);
	ASSERT_EQ(parse_hex(A3_SIGNED, 0, 0, &m), 0);
	ASSERT_EQ(m.type, GK_COSE_SIGN1);
	ASSERT_TRUE(m.tagged);
	ASSERT_EQ(m.alg, GK_COSE_ALG_ES256);
	expect_hex(m.protected_hdr, m.protected_len, "a10126");
	expect_hex(m.kid, m.kid_len, KID_EC);
	ASSERT_EQ(m.tag_len, 64);
	ASSERT_EQ(gk_cose_sign1_verify(&m, &key, NULL, 0), 0);
	expect_hex(m.payload, m.payload_len, A1_CLAIMS);
	gk_cose_msg_free(&m);
	ASSERT_EQ(open_hex(A3_SIGNED, 0, &key, NULL, 0, &out), 0);
	expect_hex(out.p, out.n, A1_CLAIMS);
	free(out.p);
}

TEST(a4_mac0_verifies)
{
	struct gk_cose_key key;
	struct gk_cose_msg m;
	cbor_item_t *cwt;
	struct buf tok = hexbuf(A4_MACED);

	load_a4_key(&key);
	/* After the CWT tag (d8 3d) comes a tagged Mac0. */
	ASSERT_EQ(gk_cose_parse(tok.p + 2, tok.n - 2, 0, &m), 0);
	ASSERT_EQ(m.type, GK_COSE_MAC0);
	ASSERT_TRUE(m.tagged);
	ASSERT_EQ(m.alg, GK_COSE_ALG_HMAC256_64);
	expect_hex(m.kid, m.kid_len, KID_SYM256);
	expect_hex(m.tag, m.tag_len, "093101ef6d789200");
	ASSERT_EQ(gk_cose_mac0_verify(&m, &key, NULL, 0), 0);
	expect_hex(m.payload, m.payload_len, A1_CLAIMS);
	gk_cose_msg_free(&m);

	/* The CWT layer's way: decode the whole token, hand over the inner item of tag 61. */
	ASSERT_EQ(gk_cbor_decode(tok.p, tok.n, NULL, &cwt), 0);
	ASSERT_TRUE(cbor_isa_tag(cwt));
	ASSERT_EQ(cbor_tag_value(cwt), 61);
	{
		cbor_item_t *inner = cbor_tag_item(cwt);

		ASSERT_EQ(gk_cose_parse_item(inner, 0, &m), 0);
		cbor_decref(&inner);
	}
	cbor_decref(&cwt);
	/* m holds its own reference: still valid after the caller let go. */
	ASSERT_EQ(gk_cose_mac0_verify(&m, &key, NULL, 0), 0);
	expect_hex(m.payload, m.payload_len, A1_CLAIMS);
	gk_cose_msg_free(&m);
	/* Tag 61 itself is not a COSE tag. */
	ASSERT_EQ(gk_cose_parse(tok.p, tok.n, 0, &m), -GK_ECOSE);
	ASSERT_EQ(gk_cose_parse(tok.p, tok.n, GK_COSE_MAC0, &m), -GK_ECOSE);
	free(tok.p);
}

TEST(a5_encrypt0_decrypts)
{
	struct gk_cose_key key;
	struct gk_cose_msg m;
	uint8_t *pt;
	size_t pt_len;

	load_key(A2_1_KEY, &key);
	ASSERT_EQ(parse_hex(A5_ENCRYPTED, 0, 0, &m), 0);
	ASSERT_EQ(m.type, GK_COSE_ENCRYPT0);
	ASSERT_EQ(m.alg, GK_COSE_ALG_AES_CCM_16_64_128);
	expect_hex(m.iv, m.iv_len, "99a0d7846e762c49ffe8a63e0b");
	expect_hex(m.kid, m.kid_len, KID_SYM128);
	ASSERT_TRUE(m.tag == NULL);
	ASSERT_EQ(gk_cose_encrypt0_decrypt(&m, &key, NULL, 0, &pt, &pt_len), 0);
	expect_hex(pt, pt_len, A1_CLAIMS);
	free(pt);
	gk_cose_msg_free(&m);
}

TEST(a6_nested_sign1_in_encrypt0)
{
	struct gk_cose_key enc, sig;
	struct buf inner, claims;

	load_key(A2_1_KEY, &enc);
	load_key(A2_3_KEY, &sig);
	ASSERT_EQ(open_hex(A6_NESTED, 0, &enc, NULL, 0, &inner), 0);
	expect_hex(inner.p, inner.n, A3_SIGNED);
	ASSERT_EQ(open_msg(inner.p, inner.n, 0, &sig, NULL, 0, &claims), 0);
	expect_hex(claims.p, claims.n, A1_CLAIMS);
	free(inner.p);
	free(claims.p);
}

TEST(wrong_key_exact_errors)
{
	struct gk_cose_key key, other;
	struct gk_rng *rng;

	/* Same kid, other secret. */
	load_a4_key(&key);
	key.k[31] ^= 0x01;
	ASSERT_EQ(open_hex(A4_MACED, 2, &key, NULL, 0, NULL), -GK_EBADMAC);
	load_key(A2_1_KEY, &key);
	key.k[0] ^= 0x01;
	ASSERT_EQ(open_hex(A5_ENCRYPTED, 0, &key, NULL, 0, NULL), -GK_EDECRYPT);
	load_key(A2_3_KEY, &key);
	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_keygen(rng, key.d, key.x, key.y), 0);
	ASSERT_EQ(open_hex(A3_SIGNED, 0, &key, NULL, 0, NULL), -GK_EBADSIG);
	gk_rng_free(rng);
	/* A key that fits the alg but whose kid names another key. */
	load_key(A2_1_KEY, &other);
	other.has_alg = false;
	ASSERT_EQ(open_hex(A4_MACED, 2, &other, NULL, 0, NULL), -GK_EKEY);
	/* No kid on the key: the kid in the message cannot disagree, the MAC decides. */
	other.kid_len = 0;
	ASSERT_EQ(open_hex(A4_MACED, 2, &other, NULL, 0, NULL), -GK_EBADMAC);
}

TEST(wrong_alg_for_key_is_ealg)
{
	struct gk_cose_key key;
	struct gk_cose_msg m;

	/* A.2.2 as published says alg 10, so it cannot verify A.4's HMAC 256/64. */
	load_key(A2_2_KEY, &key);
	ASSERT_EQ(open_hex(A4_MACED, 2, &key, NULL, 0, NULL), -GK_EALG);
	/* Symmetric key for ES256, EC2 key for HMAC and for AES-CCM. */
	load_key(A2_1_KEY, &key);
	ASSERT_EQ(open_hex(A3_SIGNED, 0, &key, NULL, 0, NULL), -GK_EALG);
	load_key(A2_3_KEY, &key);
	key.has_alg = false;
	ASSERT_EQ(open_hex(A4_MACED, 2, &key, NULL, 0, NULL), -GK_EALG);
	ASSERT_EQ(open_hex(A5_ENCRYPTED, 0, &key, NULL, 0, NULL), -GK_EALG);
	/* 256-bit key (kid made to match) for AES-CCM-16-64-128. */
	load_a4_key(&key);
	memcpy(key.kid, "Symmetric128", 12);
	ASSERT_EQ(open_hex(A5_ENCRYPTED, 0, &key, NULL, 0, NULL), -GK_EALG);
	/* Right key, wrong function: the message type decides. */
	load_a4_key(&key);
	ASSERT_EQ(parse_hex(A4_MACED, 2, 0, &m), 0);
	ASSERT_EQ(gk_cose_sign1_verify(&m, &key, NULL, 0), -EINVAL);
	gk_cose_msg_free(&m);
}

TEST(external_aad_mismatch)
{
	static const uint8_t aad[] = { 0x01 };
	struct gk_cose_key key;

	load_a4_key(&key);
	ASSERT_EQ(open_hex(A4_MACED, 2, &key, aad, sizeof(aad), NULL), -GK_EBADMAC);
	load_key(A2_3_KEY, &key);
	ASSERT_EQ(open_hex(A3_SIGNED, 0, &key, aad, sizeof(aad), NULL), -GK_EBADSIG);
	load_key(A2_1_KEY, &key);
	ASSERT_EQ(open_hex(A5_ENCRYPTED, 0, &key, aad, sizeof(aad), NULL), -GK_EDECRYPT);
}

TEST(mac0_create_reproduces_a4)
{
	struct gk_cose_key key;
	struct buf a1 = hexbuf(A1_CLAIMS);
	struct gk_enc e;
	uint8_t *out;
	size_t len;

	load_a4_key(&key);
	gk_enc_init(&e);
	ASSERT_EQ(gk_enc_tag(&e, 61), 0);
	ASSERT_EQ(gk_cose_mac0_create(&e, &key, GK_COSE_ALG_HMAC256_64, a1.p, a1.n, NULL, 0,
				      GK_COSE_TAGGED | GK_COSE_KID, NULL),
		  0);
	ASSERT_EQ(gk_enc_finish(&e, &out, &len), 0);
	expect_hex(out, len, A4_MACED);
	free(out);
	free(a1.p);
}

/* create -> parse -> verify/decrypt, tagged and untagged, then a wrong AAD. */
static void round_trip(const struct gk_cose_key *key, int type, int64_t alg, unsigned flags,
		       int bad_aad_err)
{
	static const uint8_t payload[] = "group key material";
	static const uint8_t aad[] = { 0xa0, 0x01 };
	struct gk_cose_msg m;
	struct gk_rng *rng;
	struct gk_enc e;
	struct buf got;
	uint8_t *out;
	size_t len;
	int err;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_enc_init(&e);
	if (type == GK_COSE_MAC0)
		err = gk_cose_mac0_create(&e, key, alg, payload, sizeof(payload), aad, sizeof(aad),
					  flags, rng);
	else if (type == GK_COSE_SIGN1)
		err = gk_cose_sign1_create(&e, key, alg, payload, sizeof(payload), aad, sizeof(aad),
					   flags, rng);
	else
		err = gk_cose_encrypt0_create(&e, key, alg, payload, sizeof(payload), aad,
					      sizeof(aad), flags, rng);
	ASSERT_EQ(err, 0);
	ASSERT_EQ(gk_enc_finish(&e, &out, &len), 0);

	ASSERT_EQ(gk_cose_parse(out, len, (flags & GK_COSE_TAGGED) ? 0 : type, &m), 0);
	ASSERT_EQ(m.type, type);
	ASSERT_EQ(m.tagged, !!(flags & GK_COSE_TAGGED));
	ASSERT_EQ(m.alg, alg);
	ASSERT_EQ(m.kid_len, (flags & GK_COSE_KID) ? key->kid_len : 0);
	ASSERT_EQ(m.iv_len, type == GK_COSE_ENCRYPT0 ? 13 : 0);
	gk_cose_msg_free(&m);
	/* The tag is optional on input when the type is known, but must then agree. */
	ASSERT_EQ(gk_cose_parse(out, len, type, &m), 0);
	gk_cose_msg_free(&m);
	if (flags & GK_COSE_TAGGED)
		ASSERT_EQ(gk_cose_parse(out, len,
					type == GK_COSE_MAC0 ? GK_COSE_SIGN1 : GK_COSE_MAC0, &m),
			  -GK_ECOSE);
	else
		ASSERT_EQ(gk_cose_parse(out, len, 0, &m), -GK_ECOSE);

	ASSERT_EQ(open_msg(out, len, type, key, aad, sizeof(aad), &got), 0);
	ASSERT_EQ(got.n, sizeof(payload));
	ASSERT_MEMEQ(got.p, payload, sizeof(payload));
	free(got.p);
	ASSERT_EQ(open_msg(out, len, type, key, aad, 1, NULL), bad_aad_err);
	free(out);
	gk_rng_free(rng);
}

TEST(round_trip_mac0_hmac256_64)
{
	struct gk_cose_key key;

	load_a4_key(&key);
	round_trip(&key, GK_COSE_MAC0, GK_COSE_ALG_HMAC256_64, GK_COSE_TAGGED | GK_COSE_KID,
		   -GK_EBADMAC);
	round_trip(&key, GK_COSE_MAC0, GK_COSE_ALG_HMAC256_64, 0, -GK_EBADMAC);
}

TEST(round_trip_mac0_hmac256_256)
{
	struct gk_cose_key key;

	load_a4_key(&key);
	round_trip(&key, GK_COSE_MAC0, GK_COSE_ALG_HMAC256_256, GK_COSE_TAGGED, -GK_EBADMAC);
	round_trip(&key, GK_COSE_MAC0, GK_COSE_ALG_HMAC256_256, GK_COSE_KID, -GK_EBADMAC);
}

TEST(round_trip_encrypt0_ccm_16_64_128)
{
	struct gk_cose_key key;

	load_key(A2_1_KEY, &key);
	round_trip(&key, GK_COSE_ENCRYPT0, GK_COSE_ALG_AES_CCM_16_64_128,
		   GK_COSE_TAGGED | GK_COSE_KID, -GK_EDECRYPT);
	round_trip(&key, GK_COSE_ENCRYPT0, GK_COSE_ALG_AES_CCM_16_64_128, 0, -GK_EDECRYPT);
}

TEST(round_trip_encrypt0_ccm_16_128_128)
{
	struct gk_cose_key key;

	load_key(A2_1_KEY, &key);
	key.has_alg = false;
	round_trip(&key, GK_COSE_ENCRYPT0, GK_COSE_ALG_AES_CCM_16_128_128, GK_COSE_TAGGED,
		   -GK_EDECRYPT);
	round_trip(&key, GK_COSE_ENCRYPT0, GK_COSE_ALG_AES_CCM_16_128_128, GK_COSE_KID,
		   -GK_EDECRYPT);
}

TEST(round_trip_sign1_es256)
{
	struct gk_cose_key key;
	struct gk_rng *rng;

	load_key(A2_3_KEY, &key);
	round_trip(&key, GK_COSE_SIGN1, GK_COSE_ALG_ES256, GK_COSE_TAGGED | GK_COSE_KID,
		   -GK_EBADSIG);
	round_trip(&key, GK_COSE_SIGN1, GK_COSE_ALG_ES256, 0, -GK_EBADSIG);
	/* And a fresh key without kid or alg. */
	key = (struct gk_cose_key){ .kty = GK_COSE_KTY_EC2,
				    .crv = GK_COSE_CRV_P256,
				    .has_d = true };
	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_keygen(rng, key.d, key.x, key.y), 0);
	gk_rng_free(rng);
	round_trip(&key, GK_COSE_SIGN1, GK_COSE_ALG_ES256, GK_COSE_TAGGED, -GK_EBADSIG);
}

TEST(create_refusals)
{
	struct gk_cose_key sym, ec;
	struct gk_rng *rng;
	struct gk_enc e;

	load_key(A2_1_KEY, &sym);
	load_key(A2_3_KEY, &ec);
	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_enc_init(&e);
	/* Alg of another message type, alg the key does not allow. */
	ASSERT_EQ(gk_cose_mac0_create(&e, &sym, GK_COSE_ALG_AES_CCM_16_64_128, NULL, 0, NULL, 0, 0,
				      rng),
		  -GK_EALG);
	gk_enc_free(&e);
	ASSERT_EQ(gk_cose_encrypt0_create(&e, &ec, GK_COSE_ALG_AES_CCM_16_64_128, NULL, 0, NULL, 0,
					  0, rng),
		  -GK_EALG);
	ASSERT_EQ(e.err, -GK_EALG);
	/* Sticky: a later call writes nothing and returns the first error. */
	ASSERT_EQ(gk_cose_sign1_create(&e, &ec, GK_COSE_ALG_ES256, NULL, 0, NULL, 0, 0, rng),
		  -GK_EALG);
	ASSERT_EQ(e.len, 0);
	gk_enc_free(&e);
	/* Sign1 without d; KID flag on a key without kid. */
	ec.has_d = false;
	ASSERT_EQ(gk_cose_sign1_create(&e, &ec, GK_COSE_ALG_ES256, NULL, 0, NULL, 0, 0, rng),
		  -GK_EKEY);
	gk_enc_free(&e);
	sym.kid_len = 0;
	ASSERT_EQ(gk_cose_encrypt0_create(&e, &sym, GK_COSE_ALG_AES_CCM_16_64_128, NULL, 0, NULL, 0,
					  GK_COSE_KID, rng),
		  -EINVAL);
	gk_enc_free(&e);
	gk_rng_free(rng);
}

/* Every byte inverted in turn: each variant must be refused, with whatever error. */
static void flip_all(const char *hex, size_t skip, const struct gk_cose_key *key)
{
	struct buf b = hexbuf(hex);
	uint8_t *p = b.p + skip;
	size_t n = b.n - skip, accepted = 0;

	ASSERT_EQ(open_msg(p, n, 0, key, NULL, 0, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		int err;

		p[i] ^= 0xff;
		err = open_msg(p, n, 0, key, NULL, 0, NULL);
		p[i] ^= 0xff;
		if (err >= 0) {
			TH_LOG("byte %zu inverted was accepted", i);
			accepted++;
		}
	}
	ASSERT_EQ(accepted, 0);
	free(b.p);
}

TEST(every_byte_flip_of_a4_rejected)
{
	struct gk_cose_key key;

	load_a4_key(&key);
	flip_all(A4_MACED, 2, &key);
}

TEST(every_byte_flip_of_a5_rejected)
{
	struct gk_cose_key key;

	load_key(A2_1_KEY, &key);
	flip_all(A5_ENCRYPTED, 0, &key);
}

TEST(every_byte_flip_of_a3_rejected)
{
	struct gk_cose_key key;

	load_key(A2_3_KEY, &key);
	flip_all(A3_SIGNED, 0, &key);
}

/* Every proper prefix is refused by the strict decoder before any crypto. */
static void truncate_all(const char *hex, size_t skip)
{
	struct buf b = hexbuf(hex);
	struct gk_cose_msg m;

	for (size_t n = 0; n < b.n - skip; n++)
		EXPECT_EQ(gk_cose_parse(b.p + skip, n, 0, &m), -GK_ETRUNCATED);
	ASSERT_EQ(gk_cose_parse(b.p + skip, b.n - skip, 0, &m), 0);
	gk_cose_msg_free(&m);
	free(b.p);
}

TEST(every_truncation_rejected)
{
	truncate_all(A4_MACED, 2);
	truncate_all(A5_ENCRYPTED, 0);
	truncate_all(A3_SIGNED, 0);
}

TEST(label_in_both_buckets_is_ecose)
{
	struct gk_cose_msg m;

	/* Baseline: {1: 4} protected, {4: h'01'} unprotected parses. */
	ASSERT_EQ(parse_hex("d18443a10104a104410140480000000000000000", 0, 0, &m), 0);
	gk_cose_msg_free(&m);
	/* alg in both. */
	ASSERT_EQ(parse_hex("d18443a10104a1010440480000000000000000", 0, 0, &m), -GK_ECOSE);
	/* kid in both. */
	ASSERT_EQ(parse_hex("d18446a201040441"
			    "01a104410140480000000000000000",
			    0, 0, &m),
		  -GK_ECOSE);
	/* A text label in both. */
	ASSERT_EQ(parse_hex("d18446a2010461780aa161780a40480000000000000000", 0, 0, &m), -GK_ECOSE);
	/* Same label in another width on the wire: 01 protected, 18 01 unprotected. */
	ASSERT_EQ(parse_hex("d08343a1010aa218010a054d00000000000000000000000000"
			    "4101",
			    0, 0, &m),
		  -GK_ECOSE);
}

TEST(parse_structure_rejections)
{
	struct gk_cose_msg m;

	/* Untagged with expect_type 0; foreign tag; tag disagreeing with expect_type. */
	ASSERT_EQ(parse_hex("8443a10104a040480000000000000000", 0, 0, &m), -GK_ECOSE);
	ASSERT_EQ(parse_hex("8443a10104a040480000000000000000", 0, GK_COSE_MAC0, &m), 0);
	gk_cose_msg_free(&m);
	ASSERT_EQ(parse_hex("d8628443a10104a040480000000000000000", 0, 0, &m), -GK_ECOSE);
	ASSERT_EQ(parse_hex("d18443a10104a040480000000000000000", 0, GK_COSE_SIGN1, &m), -GK_ECOSE);
	/* Wrong array length for the type. */
	ASSERT_EQ(parse_hex("d18343a10104a040", 0, 0, &m), -GK_ECOSE);
	ASSERT_EQ(parse_hex("d08443a1010aa04040", 0, 0, &m), -GK_ECOSE);
	/* Detached payload (nil). */
	ASSERT_EQ(parse_hex("d18443a10104a0f6480000000000000000", 0, 0, &m), -GK_ECOSE);
	/* Protected as a map instead of a bstr; protected bstr wrapping a non-map. */
	ASSERT_EQ(parse_hex("d184a10104a040480000000000000000", 0, 0, &m), -GK_ECOSE);
	ASSERT_EQ(parse_hex("d1844104a040480000000000000000", 0, 0, &m), -GK_ECOSE);
	/* Protected bstr with trailing garbage inside. */
	ASSERT_EQ(parse_hex("d18444a1010400a040480000000000000000", 0, 0, &m), -GK_ETRAILING);
	/* No alg; alg as text; kid as text. */
	ASSERT_EQ(parse_hex("d18440a040480000000000000000", 0, 0, &m), -GK_EMISSING);
	ASSERT_EQ(parse_hex("d18445a101624134a040480000000000000000", 0, 0, &m), -GK_EALG);
	ASSERT_EQ(parse_hex("d18443a10104a1046101"
			    "40480000000000000000",
			    0, 0, &m),
		  -GK_ECOSE);
	/* IV in a Mac0; IV and Partial IV together in an Encrypt0. */
	ASSERT_EQ(parse_hex("d18443a10104a1054d00000000000000000000000000"
			    "40480000000000000000",
			    0, 0, &m),
		  -GK_ECOSE);
	ASSERT_EQ(parse_hex("d08343a1010aa2054d0000000000000000000000000006410140", 0, 0, &m),
		  -GK_ECOSE);
	/* crit: unprotected, empty, naming an unknown label; naming kid is fine. */
	ASSERT_EQ(parse_hex("d18443a10104a102810440480000000000000000", 0, 0, &m), -GK_ECOSE);
	ASSERT_EQ(parse_hex("d18445a201040280a040480000000000000000", 0, 0, &m), -GK_ECOSE);
	ASSERT_EQ(parse_hex("d18447a2010402811863a040480000000000000000", 0, 0, &m), -GK_ECOSE);
	ASSERT_EQ(parse_hex("d18446a20104028104a040480000000000000000", 0, 0, &m), 0);
	gk_cose_msg_free(&m);
	/* Content type as a byte string. */
	ASSERT_EQ(parse_hex("d18443a10104a1034100"
			    "40480000000000000000",
			    0, 0, &m),
		  -GK_ECOSE);
	/* Bytes after the message. */
	ASSERT_EQ(parse_hex("d18443a10104a04048000000000000000000", 0, 0, &m), -GK_ETRAILING);
}

TEST(encrypt0_iv_and_tag_length_checks)
{
	struct gk_cose_key key;
	struct gk_cose_msg m;
	uint8_t *pt = (uint8_t *)&m;
	size_t pt_len = 1;

	load_key(A2_1_KEY, &key);
	/* 12-byte IV. */
	ASSERT_EQ(parse_hex("d08343a1010aa1054c000000000000000000000000"
			    "480000000000000000",
			    0, 0, &m),
		  0);
	ASSERT_EQ(gk_cose_encrypt0_decrypt(&m, &key, NULL, 0, &pt, &pt_len), -GK_ECOSE);
	ASSERT_TRUE(pt == NULL);
	ASSERT_EQ(pt_len, 0);
	gk_cose_msg_free(&m);
	/* Partial IV only: no Base IV support, so no nonce. */
	ASSERT_EQ(parse_hex("d08343a1010aa1064101"
			    "480000000000000000",
			    0, 0, &m),
		  0);
	ASSERT_EQ(gk_cose_encrypt0_decrypt(&m, &key, NULL, 0, &pt, &pt_len), -GK_ECOSE);
	gk_cose_msg_free(&m);
	/* Ciphertext shorter than the tag. */
	ASSERT_EQ(parse_hex("d08343a1010aa1054d00000000000000000000000000"
			    "4700000000000000",
			    0, 0, &m),
		  0);
	ASSERT_EQ(gk_cose_encrypt0_decrypt(&m, &key, NULL, 0, &pt, &pt_len), -GK_EDECRYPT);
	gk_cose_msg_free(&m);
}

TEST(mac0_tag_length_must_match_alg)
{
	struct gk_cose_key key;
	struct buf a4 = hexbuf(A4_MACED);
	struct gk_cose_msg m;

	load_a4_key(&key);
	/* Claim HMAC 256/256 over A.4's protected header bytes: the 8-byte tag no longer fits. */
	ASSERT_EQ(parse_hex("d18443a10105a040480000000000000000", 0, 0, &m), 0);
	ASSERT_EQ(gk_cose_mac0_verify(&m, &key, NULL, 0), -GK_EBADMAC);
	gk_cose_msg_free(&m);
	/* A.4 with its tag cut to 7 bytes (and the bstr head adjusted). */
	a4.p[a4.n - 9] = 0x47;
	ASSERT_EQ(gk_cose_parse(a4.p + 2, a4.n - 3, 0, &m), 0);
	ASSERT_EQ(gk_cose_mac0_verify(&m, &key, NULL, 0), -GK_EBADMAC);
	gk_cose_msg_free(&m);
	free(a4.p);
}

/* Replace the first occurrence of from by to in the hex of vector name, then parse. */
static int parse_edited(const char *name, const char *from, const char *to)
{
	char line[2048], *p, hex[2048];
	struct gk_cose_msg m;
	size_t len, off = 0;
	uint8_t *buf = gk_test_vector("rfc8392-cwt.txt", name, &len);
	int err;

	for (size_t i = 0; i < len; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%02x", buf[i]);
	free(buf);
	p = strstr(line, from);
	ASSERT_TRUE(p != NULL);
	snprintf(hex, sizeof(hex), "%.*s%s%s", (int)(p - line), line, to, p + strlen(from));
	buf = gk_test_unhex(hex + 4, &len); /* skip the CWT tag d83d */
	err = gk_cose_parse(buf, len, 0, &m);
	if (!err)
		gk_cose_msg_free(&m);
	free(buf);
	return err;
}

/* Our profile is stricter than RFC 9052 on unknown labels: see cose_msg.c. */
TEST(unknown_header_label_is_ecose)
{
	/* A.4's unprotected {4: kid} gains {12: 0}; then the same with label 4 -> 12. */
	EXPECT_EQ(parse_edited("A4_MACED", "a1044c53796d6d6574726963323536",
			       "a2044c53796d6d65747269633235360c00"),
		  -GK_ECOSE);
	EXPECT_EQ(parse_edited("A4_MACED", "a1044c53796d6d6574726963323536",
			       "a10c4c53796d6d6574726963323536"),
		  -GK_ECOSE);
	/* Unchanged, it parses: the edit helper itself works. */
	EXPECT_EQ(parse_edited("A4_MACED", "a1044c", "a1044c"), 0);
}

TEST(unprotected_alg_is_ecose)
{
	/* Protected {1: 4} moved to the unprotected bucket: an empty protected bstr. */
	EXPECT_EQ(parse_edited("A4_MACED", "43a10104a1044c53796d6d6574726963323536",
			       "40a20104044c53796d6d6574726963323536"),
		  -GK_ECOSE);
}
