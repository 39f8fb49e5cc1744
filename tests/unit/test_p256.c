// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for p256.c: RFC 6979 vectors, range checks and interop with mbedtls' ECDSA. */
#include <errno.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>

#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "harness.h"

/* RFC 6979 A.2.5: the P-256 key, and the SHA-256 signature of "test". */
#define RFC6979_D "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
#define RFC6979_X "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
#define RFC6979_Y "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
#define RFC6979_SIG_TEST                                                   \
	"f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367" \
	"019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"

/* SEC 2: the field prime p, the group order n and the generator G. */
#define P256_P "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
#define P256_N "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
#define P256_GX "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
#define P256_GY "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

/* out = a - b over 32 big-endian bytes (a >= b). */
static void sub_be(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int t = a[i] - b[i] - borrow;

		borrow = t < 0;
		out[i] = (uint8_t)(t + (borrow ? 256 : 0));
	}
}

/* mbedtls' ECDSA on one key, the independent implementation the interop tests compare with. */
struct mb_key {
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d, r, s;
};

static void mb_load(struct mb_key *k, const uint8_t x[32], const uint8_t y[32], const uint8_t *d)
{
	mbedtls_ecp_group_init(&k->grp);
	mbedtls_ecp_point_init(&k->q);
	mbedtls_mpi_init(&k->d);
	mbedtls_mpi_init(&k->r);
	mbedtls_mpi_init(&k->s);
	ASSERT_EQ(mbedtls_ecp_group_load(&k->grp, MBEDTLS_ECP_DP_SECP256R1), 0);
	ASSERT_EQ(mbedtls_mpi_read_binary(&k->q.X, x, 32), 0);
	ASSERT_EQ(mbedtls_mpi_read_binary(&k->q.Y, y, 32), 0);
	ASSERT_EQ(mbedtls_mpi_lset(&k->q.Z, 1), 0);
	if (d)
		ASSERT_EQ(mbedtls_mpi_read_binary(&k->d, d, 32), 0);
}

static void mb_free(struct mb_key *k)
{
	mbedtls_mpi_free(&k->s);
	mbedtls_mpi_free(&k->r);
	mbedtls_mpi_free(&k->d);
	mbedtls_ecp_point_free(&k->q);
	mbedtls_ecp_group_free(&k->grp);
}

static void mb_hash(const void *msg, size_t n, uint8_t hash[32])
{
	ASSERT_EQ(mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), msg, n, hash), 0);
}

/* mbedtls' return: 0 or MBEDTLS_ERR_ECP_VERIFY_FAILED. */
static int mb_verify(struct mb_key *k, const void *msg, size_t n, const uint8_t sig[64])
{
	uint8_t hash[32];

	mb_hash(msg, n, hash);
	ASSERT_EQ(mbedtls_mpi_read_binary(&k->r, sig, 32), 0);
	ASSERT_EQ(mbedtls_mpi_read_binary(&k->s, sig + 32, 32), 0);
	return mbedtls_ecdsa_verify(&k->grp, hash, sizeof(hash), &k->q, &k->r, &k->s);
}

/* RFC 6979 when det, else a fresh random k from rng. */
static void mb_sign(struct mb_key *k, struct gk_rng *rng, int det, const void *msg, size_t n,
		    uint8_t sig[64])
{
	uint8_t hash[32];

	mb_hash(msg, n, hash);
	if (det)
		ASSERT_EQ(mbedtls_ecdsa_sign_det_ext(&k->grp, &k->r, &k->s, &k->d, hash,
						     sizeof(hash), MBEDTLS_MD_SHA256,
						     gk_rng_mbedtls, rng),
			  0);
	else
		ASSERT_EQ(mbedtls_ecdsa_sign(&k->grp, &k->r, &k->s, &k->d, hash, sizeof(hash),
					     gk_rng_mbedtls, rng),
			  0);
	ASSERT_EQ(mbedtls_mpi_write_binary(&k->r, sig, 32), 0);
	ASSERT_EQ(mbedtls_mpi_write_binary(&k->s, sig + 32, 32), 0);
}

TEST(p256_rfc6979_sha256_test_vector)
{
	uint8_t d[32], x[32], y[32], sig[64], want[64];
	struct gk_rng *rng;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_test_unhex_into(RFC6979_D, d, 32);
	gk_test_unhex_into(RFC6979_X, x, 32);
	gk_test_unhex_into(RFC6979_Y, y, 32);
	gk_test_unhex_into(RFC6979_SIG_TEST, want, 64);
	ASSERT_EQ(gk_p256_sign(rng, d, "test", 4, sig), 0);
	ASSERT_MEMEQ(sig, want, 64);
	ASSERT_EQ(gk_p256_verify(x, y, "test", 4, sig), 0);
	/* Deterministic: the same signature again, whatever rng did in between. */
	ASSERT_EQ(gk_random(rng, sig, sizeof(sig)), 0);
	ASSERT_EQ(gk_p256_sign(rng, d, "test", 4, sig), 0);
	ASSERT_MEMEQ(sig, want, 64);
	gk_rng_free(rng);
}

/* Fresh keys and messages of 0..217 bytes: byte for byte what mbedtls' RFC 6979 signing gives. */
TEST(p256_sign_matches_mbedtls_deterministic)
{
	uint8_t d[32], x[32], y[32], msg[256], sig[64], want[64];
	struct gk_rng *rng;
	struct mb_key k;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	for (size_t i = 0; i < 32; i++) {
		size_t n = i * 7;

		ASSERT_EQ(gk_p256_keygen(rng, d, x, y), 0);
		ASSERT_EQ(gk_random(rng, msg, sizeof(msg)), 0);
		mb_load(&k, x, y, d);
		mb_sign(&k, rng, 1, msg, n, want);
		mb_free(&k);
		ASSERT_EQ(gk_p256_sign(rng, d, msg, n, sig), 0);
		ASSERT_MEMEQ(sig, want, 64);
	}
	gk_rng_free(rng);
}

/*
 * A message whose SHA-256 is >= n (found by search: 1 in 2^32): RFC 6979 seeds
 * its DRBG with H(m) mod n, a step no random message reaches.
 */
TEST(p256_sign_hash_above_n_matches_mbedtls)
{
	static const char msg[] = "h>=n 0000000022f7d69b";
	uint8_t d[32], x[32], y[32], n[32], hash[32], sig[64], want[64];
	struct gk_rng *rng;
	struct mb_key k;

	gk_test_unhex_into(P256_N, n, 32);
	ASSERT_EQ(gk_sha256(msg, strlen(msg), hash), 0);
	ASSERT_GT(memcmp(hash, n, 32), 0);
	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_test_unhex_into(RFC6979_D, d, 32);
	gk_test_unhex_into(RFC6979_X, x, 32);
	gk_test_unhex_into(RFC6979_Y, y, 32);
	mb_load(&k, x, y, d);
	mb_sign(&k, rng, 1, msg, strlen(msg), want);
	mb_free(&k);
	ASSERT_EQ(gk_p256_sign(rng, d, msg, strlen(msg), sig), 0);
	ASSERT_MEMEQ(sig, want, 64);
	ASSERT_EQ(gk_p256_verify(x, y, msg, strlen(msg), sig), 0);
	gk_rng_free(rng);
}

TEST(p256_nettle_signature_verifies_with_mbedtls)
{
	uint8_t d[32], x[32], y[32], sig[64];
	char msg[] = "kdc_cred_verify";
	struct gk_rng *rng;
	struct mb_key k;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_keygen(rng, d, x, y), 0);
	ASSERT_EQ(gk_p256_sign(rng, d, msg, sizeof(msg), sig), 0);
	mb_load(&k, x, y, NULL);
	ASSERT_EQ(mb_verify(&k, msg, sizeof(msg), sig), 0);
	msg[0] ^= 0x01;
	ASSERT_EQ(mb_verify(&k, msg, sizeof(msg), sig), MBEDTLS_ERR_ECP_VERIFY_FAILED);
	msg[0] ^= 0x01;
	sig[40] ^= 0x80;
	ASSERT_EQ(mb_verify(&k, msg, sizeof(msg), sig), MBEDTLS_ERR_ECP_VERIFY_FAILED);
	mb_free(&k);
	gk_rng_free(rng);
}

TEST(p256_mbedtls_random_k_signature_verifies)
{
	uint8_t d[32], x[32], y[32], a[64], b[64], det[64];
	char msg[] = "client_cred_verify";
	struct gk_rng *rng;
	struct mb_key k;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_keygen(rng, d, x, y), 0);
	mb_load(&k, x, y, d);
	mb_sign(&k, rng, 0, msg, sizeof(msg), a);
	mb_sign(&k, rng, 0, msg, sizeof(msg), b);
	mb_free(&k);
	ASSERT_EQ(gk_p256_sign(rng, d, msg, sizeof(msg), det), 0);
	/* Really random k: three different signatures of one message. */
	ASSERT_NE(memcmp(a, b, 64), 0);
	ASSERT_NE(memcmp(a, det, 64), 0);
	ASSERT_EQ(gk_p256_verify(x, y, msg, sizeof(msg), a), 0);
	ASSERT_EQ(gk_p256_verify(x, y, msg, sizeof(msg), b), 0);
	msg[3] ^= 0x04;
	ASSERT_EQ(gk_p256_verify(x, y, msg, sizeof(msg), a), -GK_EBADSIG);
	msg[3] ^= 0x04;
	a[5] ^= 0x01;
	ASSERT_EQ(gk_p256_verify(x, y, msg, sizeof(msg), a), -GK_EBADSIG);
	gk_rng_free(rng);
}

/* r and s must be in [1, n-1]; (r, n - s) is the other valid signature, as mbedtls accepts. */
TEST(p256_verify_scalar_range)
{
	uint8_t x[32], y[32], sig[64], bad[64], n[32];
	struct mb_key k;

	gk_test_unhex_into(RFC6979_X, x, 32);
	gk_test_unhex_into(RFC6979_Y, y, 32);
	gk_test_unhex_into(RFC6979_SIG_TEST, sig, 64);
	gk_test_unhex_into(P256_N, n, 32);
	memcpy(bad, sig, 64);
	memset(bad, 0, 32);
	EXPECT_EQ(gk_p256_verify(x, y, "test", 4, bad), -GK_EBADSIG);
	memcpy(bad, sig, 64);
	memset(bad + 32, 0, 32);
	EXPECT_EQ(gk_p256_verify(x, y, "test", 4, bad), -GK_EBADSIG);
	memcpy(bad, sig, 64);
	memcpy(bad, n, 32);
	EXPECT_EQ(gk_p256_verify(x, y, "test", 4, bad), -GK_EBADSIG);
	memcpy(bad, sig, 64);
	memcpy(bad + 32, n, 32);
	EXPECT_EQ(gk_p256_verify(x, y, "test", 4, bad), -GK_EBADSIG);
	memcpy(bad, sig, 64);
	sub_be(bad + 32, n, sig + 32);
	EXPECT_EQ(gk_p256_verify(x, y, "test", 4, bad), 0);
	mb_load(&k, x, y, NULL);
	EXPECT_EQ(mb_verify(&k, "test", 4, bad), 0);
	mb_free(&k);
}

/* Verification (nettle) and gk_p256_check_key (mbedtls) refuse the same points. */
TEST(p256_verify_point_checks)
{
	uint8_t x[32], y[32], p[32], sig[64], zero[32] = { 0 };

	gk_test_unhex_into(RFC6979_X, x, 32);
	gk_test_unhex_into(RFC6979_Y, y, 32);
	gk_test_unhex_into(P256_P, p, 32);
	gk_test_unhex_into(RFC6979_SIG_TEST, sig, 64);
	y[0] ^= 0x40;
	EXPECT_EQ(gk_p256_verify(x, y, "test", 4, sig), -GK_EKEY);
	EXPECT_EQ(gk_p256_check_key(x, y, NULL), -GK_EKEY);
	y[0] ^= 0x40;
	EXPECT_EQ(gk_p256_verify(p, y, "test", 4, sig), -GK_EKEY);
	EXPECT_EQ(gk_p256_check_key(p, y, NULL), -GK_EKEY);
	EXPECT_EQ(gk_p256_verify(x, p, "test", 4, sig), -GK_EKEY);
	EXPECT_EQ(gk_p256_check_key(x, p, NULL), -GK_EKEY);
	EXPECT_EQ(gk_p256_verify(zero, zero, "test", 4, sig), -GK_EKEY);
	EXPECT_EQ(gk_p256_check_key(zero, zero, NULL), -GK_EKEY);
	/* A good point that is not the signer's key: a bad signature, not a bad key. */
	gk_test_unhex_into(P256_GX, x, 32);
	gk_test_unhex_into(P256_GY, y, 32);
	EXPECT_EQ(gk_p256_check_key(x, y, NULL), 0);
	EXPECT_EQ(gk_p256_verify(x, y, "test", 4, sig), -GK_EBADSIG);
}

TEST(p256_sign_private_scalar_bounds)
{
	uint8_t d[32], one[32] = { 0 }, x[32], y[32], gx[32], gy[32], sig[64];
	struct gk_rng *rng;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_test_unhex_into(P256_N, d, 32);
	EXPECT_EQ(gk_p256_sign(rng, d, "m", 1, sig), -GK_EKEY);
	one[31] = 1;
	sub_be(d, d, one);
	ASSERT_EQ(gk_p256_sign(rng, d, "m", 1, sig), 0);
	ASSERT_EQ(gk_p256_public(rng, d, x, y), 0);
	EXPECT_EQ(gk_p256_verify(x, y, "m", 1, sig), 0);
	/* d = 1: the public key is G itself. */
	gk_test_unhex_into(P256_GX, gx, 32);
	gk_test_unhex_into(P256_GY, gy, 32);
	ASSERT_EQ(gk_p256_sign(rng, one, "m", 1, sig), 0);
	EXPECT_EQ(gk_p256_verify(gx, gy, "m", 1, sig), 0);
	EXPECT_EQ(gk_p256_verify(x, y, "m", 1, sig), -GK_EBADSIG);
	gk_rng_free(rng);
}

TEST(p256_sign_arguments)
{
	uint8_t d[32], x[32], y[32], sig[64];
	struct gk_rng *rng;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	gk_test_unhex_into(RFC6979_D, d, 32);
	gk_test_unhex_into(RFC6979_X, x, 32);
	gk_test_unhex_into(RFC6979_Y, y, 32);
	EXPECT_EQ(gk_p256_sign(NULL, d, "m", 1, sig), -EINVAL);
	EXPECT_EQ(gk_p256_sign(rng, d, NULL, 1, sig), -EINVAL);
	EXPECT_EQ(gk_p256_verify(x, y, NULL, 1, sig), -EINVAL);
	/* The empty message is a message. */
	ASSERT_EQ(gk_p256_sign(rng, d, NULL, 0, sig), 0);
	EXPECT_EQ(gk_p256_verify(x, y, NULL, 0, sig), 0);
	EXPECT_EQ(gk_p256_verify(x, y, "", 1, sig), -GK_EBADSIG);
	gk_rng_free(rng);
}
