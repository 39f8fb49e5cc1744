// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for crypto.c against published vectors (FIPS 180, RFC 4231, 5869, 3610, 6979). */
#include <errno.h>

#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "harness.h"

/* RFC 6979 A.2.5: P-256 key and the deterministic SHA-256 signature of "sample". */
#define RFC6979_D "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
#define RFC6979_X "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
#define RFC6979_Y "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
#define RFC6979_SIG                                                        \
	"efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" \
	"f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"

/* RFC 3610 packet vector #1: 8 bytes of header authenticated, 23 encrypted, M = 8, L = 2. */
#define CCM_KEY "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
#define CCM_NONCE "00000003020100a0a1a2a3a4a5"
#define CCM_AAD "0001020304050607"
#define CCM_PT "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
#define CCM_CT "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384"
#define CCM_TAG "17e8d12cfdf926e0"

struct ccm_vec {
	uint8_t *key, *nonce, *aad, *pt, *ct, *tag;
	size_t key_len, nonce_len, aad_len, pt_len, ct_len, tag_len;
};

static void ccm_vec_load(struct ccm_vec *v)
{
	v->key = gk_test_unhex(CCM_KEY, &v->key_len);
	v->nonce = gk_test_unhex(CCM_NONCE, &v->nonce_len);
	v->aad = gk_test_unhex(CCM_AAD, &v->aad_len);
	v->pt = gk_test_unhex(CCM_PT, &v->pt_len);
	v->ct = gk_test_unhex(CCM_CT, &v->ct_len);
	v->tag = gk_test_unhex(CCM_TAG, &v->tag_len);
}

static void ccm_vec_free(struct ccm_vec *v)
{
	free(v->key);
	free(v->nonce);
	free(v->aad);
	free(v->pt);
	free(v->ct);
	free(v->tag);
}

TEST(sha256_abc)
{
	uint8_t out[32], want[32];

	gk_test_unhex_into("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			   want, 32);
	ASSERT_EQ(gk_sha256("abc", 3, out), 0);
	ASSERT_MEMEQ(out, want, 32);
}

TEST(sha256_empty)
{
	uint8_t out[32], want[32];

	gk_test_unhex_into("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			   want, 32);
	ASSERT_EQ(gk_sha256(NULL, 0, out), 0);
	ASSERT_MEMEQ(out, want, 32);
	ASSERT_EQ(gk_sha256(NULL, 1, out), -EINVAL);
}

TEST(hmac_sha256_rfc4231_case1)
{
	uint8_t key[20], out[32], want[32];

	memset(key, 0x0b, sizeof(key));
	gk_test_unhex_into("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
			   want, 32);
	ASSERT_EQ(gk_hmac_sha256(key, sizeof(key), "Hi There", 8, out), 0);
	ASSERT_MEMEQ(out, want, 32);
}

TEST(hmac_sha256_rfc4231_case2)
{
	const char *data = "what do ya want for nothing?";
	uint8_t out[32], want[32];

	gk_test_unhex_into("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
			   want, 32);
	ASSERT_EQ(gk_hmac_sha256((const uint8_t *)"Jefe", 4, data, strlen(data), out), 0);
	ASSERT_MEMEQ(out, want, 32);
}

TEST(hkdf_sha256_rfc5869_case1)
{
	uint8_t ikm[22], salt[13], info[10], okm[42], want[42];

	memset(ikm, 0x0b, sizeof(ikm));
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)(0xf0 + i);
	gk_test_unhex_into("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		   "34007208d5b887185865",
		   want, 42);
	ASSERT_EQ(gk_hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info, sizeof(info), okm,
				 sizeof(okm)),
		  0);
	ASSERT_MEMEQ(okm, want, 42);
}

TEST(hkdf_sha256_output_too_long)
{
	static uint8_t okm[255 * 32 + 1];
	uint8_t ikm[16] = { 0 };

	ASSERT_EQ(gk_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, okm, sizeof(okm)), -EINVAL);
	ASSERT_EQ(gk_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, okm, sizeof(okm) - 1), 0);
}

TEST(aes_ccm_rfc3610_vector1_encrypt)
{
	struct ccm_vec v;
	uint8_t ct[23], tag[8];

	ccm_vec_load(&v);
	ASSERT_EQ(v.pt_len, sizeof(ct));
	ASSERT_EQ(gk_aes_ccm_encrypt(v.key, v.key_len, v.nonce, v.nonce_len, v.aad, v.aad_len, v.pt,
				     v.pt_len, ct, tag, sizeof(tag)),
		  0);
	ASSERT_MEMEQ(ct, v.ct, sizeof(ct));
	ASSERT_MEMEQ(tag, v.tag, sizeof(tag));
	ccm_vec_free(&v);
}

TEST(aes_ccm_rfc3610_vector1_decrypt)
{
	struct ccm_vec v;
	uint8_t pt[23];

	ccm_vec_load(&v);
	ASSERT_EQ(gk_aes_ccm_decrypt(v.key, v.key_len, v.nonce, v.nonce_len, v.aad, v.aad_len, v.ct,
				     v.ct_len, pt, v.tag, v.tag_len),
		  0);
	ASSERT_MEMEQ(pt, v.pt, sizeof(pt));
	ccm_vec_free(&v);
}

TEST(aes_ccm_tampering_is_edecrypt)
{
	static const uint8_t zero[23];
	struct ccm_vec v;
	uint8_t pt[23];

	ccm_vec_load(&v);
	v.tag[7] ^= 0x01;
	memset(pt, 0xaa, sizeof(pt));
	ASSERT_EQ(gk_aes_ccm_decrypt(v.key, v.key_len, v.nonce, v.nonce_len, v.aad, v.aad_len, v.ct,
				     v.ct_len, pt, v.tag, v.tag_len),
		  -GK_EDECRYPT);
	/* No unauthenticated plaintext is left behind. */
	ASSERT_MEMEQ(pt, zero, sizeof(pt));
	v.tag[7] ^= 0x01;
	v.ct[0] ^= 0x80;
	ASSERT_EQ(gk_aes_ccm_decrypt(v.key, v.key_len, v.nonce, v.nonce_len, v.aad, v.aad_len, v.ct,
				     v.ct_len, pt, v.tag, v.tag_len),
		  -GK_EDECRYPT);
	v.ct[0] ^= 0x80;
	v.aad[3] ^= 0x10;
	ASSERT_EQ(gk_aes_ccm_decrypt(v.key, v.key_len, v.nonce, v.nonce_len, v.aad, v.aad_len, v.ct,
				     v.ct_len, pt, v.tag, v.tag_len),
		  -GK_EDECRYPT);
	ccm_vec_free(&v);
}

TEST(aes_ccm_bad_parameters)
{
	struct ccm_vec v;
	uint8_t ct[23], tag[16];

	ccm_vec_load(&v);
	ASSERT_EQ(gk_aes_ccm_encrypt(v.key, 15, v.nonce, v.nonce_len, v.aad, v.aad_len, v.pt,
				     v.pt_len, ct, tag, 8),
		  -EINVAL);
	ASSERT_EQ(gk_aes_ccm_encrypt(v.key, v.key_len, v.nonce, 6, v.aad, v.aad_len, v.pt, v.pt_len,
				     ct, tag, 8),
		  -EINVAL);
	ASSERT_EQ(gk_aes_ccm_encrypt(v.key, v.key_len, v.nonce, v.nonce_len, v.aad, v.aad_len, v.pt,
				     v.pt_len, ct, tag, 7),
		  -EINVAL);
	ASSERT_EQ(gk_aes_ccm_decrypt(v.key, v.key_len, v.nonce, v.nonce_len, v.aad, v.aad_len, v.ct,
				     v.ct_len, ct, tag, 18),
		  -EINVAL);
	ccm_vec_free(&v);
}

TEST(p256_rfc6979_deterministic_signature)
{
	uint8_t d[32], x[32], y[32], sig[64], want[64];
	struct gk_rng *rng;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_test_unhex_into(RFC6979_D, d, 32);
	gk_test_unhex_into(RFC6979_SIG, want, 64);
	ASSERT_EQ(gk_p256_sign(rng, d, "sample", 6, sig), 0);
	ASSERT_MEMEQ(sig, want, 64);
	ASSERT_EQ(gk_p256_public(rng, d, x, y), 0);
	gk_test_unhex_into(RFC6979_X, want, 32);
	ASSERT_MEMEQ(x, want, 32);
	gk_test_unhex_into(RFC6979_Y, want, 32);
	ASSERT_MEMEQ(y, want, 32);
	ASSERT_EQ(gk_p256_verify(x, y, "sample", 6, sig), 0);
	gk_rng_free(rng);
}

TEST(p256_keygen_sign_verify_round_trip)
{
	uint8_t d[32], x[32], y[32], px[32], py[32], sig[64];
	struct gk_rng *rng;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_keygen(rng, d, x, y), 0);
	ASSERT_EQ(gk_p256_check_key(x, y, d), 0);
	ASSERT_EQ(gk_p256_public(rng, d, px, py), 0);
	ASSERT_MEMEQ(px, x, 32);
	ASSERT_MEMEQ(py, y, 32);
	ASSERT_EQ(gk_p256_sign(rng, d, "groupkey", 8, sig), 0);
	ASSERT_EQ(gk_p256_verify(x, y, "groupkey", 8, sig), 0);
	gk_rng_free(rng);
}

TEST(p256_verify_rejects_flipped_bits)
{
	uint8_t x[32], y[32], sig[64];
	char msg[] = "sample";

	gk_test_unhex_into(RFC6979_X, x, 32);
	gk_test_unhex_into(RFC6979_Y, y, 32);
	gk_test_unhex_into(RFC6979_SIG, sig, 64);
	ASSERT_EQ(gk_p256_verify(x, y, msg, 6, sig), 0);
	for (size_t i = 0; i < sizeof(sig); i++) {
		sig[i] ^= 0x01;
		EXPECT_EQ(gk_p256_verify(x, y, msg, 6, sig), -GK_EBADSIG);
		sig[i] ^= 0x01;
	}
	msg[0] ^= 0x20;
	ASSERT_EQ(gk_p256_verify(x, y, msg, 6, sig), -GK_EBADSIG);
	msg[0] ^= 0x20;
	/* r = 0 and s = 0 are out of range, not a crash or an "ok". */
	memset(sig, 0, sizeof(sig));
	ASSERT_EQ(gk_p256_verify(x, y, msg, 6, sig), -GK_EBADSIG);
	memset(sig, 0xff, sizeof(sig));
	ASSERT_EQ(gk_p256_verify(x, y, msg, 6, sig), -GK_EBADSIG);
}

TEST(p256_point_not_on_curve_is_ekey)
{
	uint8_t x[32], y[32], d[32], sig[64];

	gk_test_unhex_into(RFC6979_X, x, 32);
	gk_test_unhex_into(RFC6979_Y, y, 32);
	gk_test_unhex_into(RFC6979_D, d, 32);
	gk_test_unhex_into(RFC6979_SIG, sig, 64);
	ASSERT_EQ(gk_p256_check_key(x, y, d), 0);
	y[31] ^= 0x01;
	ASSERT_EQ(gk_p256_verify(x, y, "sample", 6, sig), -GK_EKEY);
	ASSERT_EQ(gk_p256_check_key(x, y, NULL), -GK_EKEY);
	y[31] ^= 0x01;
	/* On the curve, but not the public key of this d. */
	d[31] ^= 0x01;
	ASSERT_EQ(gk_p256_check_key(x, y, d), -GK_EKEY);
	/* x >= p is not a coordinate at all. */
	memset(x, 0xff, sizeof(x));
	ASSERT_EQ(gk_p256_check_key(x, y, NULL), -GK_EKEY);
}

TEST(p256_private_scalar_out_of_range_is_ekey)
{
	uint8_t d[32] = { 0 }, x[32], y[32], sig[64];
	struct gk_rng *rng;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_sign(rng, d, "m", 1, sig), -GK_EKEY);
	ASSERT_EQ(gk_p256_public(rng, d, x, y), -GK_EKEY);
	memset(d, 0xff, sizeof(d));
	ASSERT_EQ(gk_p256_sign(rng, d, "m", 1, sig), -GK_EKEY);
	gk_rng_free(rng);
}

TEST(random_fills_and_differs)
{
	uint8_t a[64], b[64], zero[64] = { 0 };
	static uint8_t big[5000];
	struct gk_rng *rng;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_random(rng, a, sizeof(a)), 0);
	ASSERT_EQ(gk_random(rng, b, sizeof(b)), 0);
	ASSERT_NE(memcmp(a, zero, sizeof(a)), 0);
	ASSERT_NE(memcmp(b, zero, sizeof(b)), 0);
	ASSERT_NE(memcmp(a, b, sizeof(a)), 0);
	/* More than one DRBG request: the tail must be filled too. */
	ASSERT_EQ(gk_random(rng, big, sizeof(big)), 0);
	ASSERT_NE(memcmp(big + sizeof(big) - 64, zero, 64), 0);
	ASSERT_EQ(gk_random(rng, NULL, 1), -EINVAL);
	gk_rng_free(rng);
}

TEST(memcmp_ct_and_wipe)
{
	uint8_t a[16], b[16];

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	ASSERT_EQ(gk_memcmp_ct(a, b, sizeof(a)), 0);
	b[15] ^= 0x80;
	ASSERT_EQ(gk_memcmp_ct(a, b, sizeof(a)), 1);
	b[15] ^= 0x80;
	b[0] ^= 0x01;
	ASSERT_EQ(gk_memcmp_ct(a, b, sizeof(a)), 1);
	ASSERT_EQ(gk_memcmp_ct(a, b, 0), 0);
	gk_wipe(a, sizeof(a));
	memset(b, 0, sizeof(b));
	ASSERT_MEMEQ(a, b, sizeof(a));
}
