// SPDX-License-Identifier: BSD-3-Clause
/* ECDSA P-256: signing and verification on nettle, key generation and key checks on mbedtls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>

#include "crypto_internal.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

/*
 * Every Join costs the KDC one signature and one verification, and nettle's
 * P-256 (already in the process through GnuTLS) does them several times
 * faster than mbedtls 2.28. The scalars are moved between our 32-byte
 * big-endian form and GMP limbs here, so no mpz ever holds d or k.
 */
#define GK_P256_LIMBS (32 / sizeof(mp_limb_t))
_Static_assert(GMP_NAIL_BITS == 0 && 32 % sizeof(mp_limb_t) == 0, "limbs must tile 256 bits");

/* RFC 6979 takes the next k when one is >= n (odds near 2^-32) or gives r or s = 0 (far less). */
#define GK_P256_SIGN_TRIES 16

/* The group order n, big-endian. */
static const uint8_t gk_p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
	0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* Everything a signature derives from d or k, in one block that is wiped as a whole. */
struct gk_p256_sign_state {
	mbedtls_hmac_drbg_context drbg;
	uint8_t hash[32];
	uint8_t seed[64]; /* int2octets(d) || bits2octets(H(m)), RFC 6979 3.2 d */
	uint8_t k[32];
	mp_limb_t d[GK_P256_LIMBS], kl[GK_P256_LIMBS], r[GK_P256_LIMBS], s[GK_P256_LIMBS];
	mp_limb_t scratch[]; /* ecc_ecdsa_sign_itch() limbs: k's multiples of G live here */
};

static void gk_p256_to_limbs(mp_limb_t out[GK_P256_LIMBS], const uint8_t in[32])
{
	for (size_t i = 0; i < GK_P256_LIMBS; i++) {
		const uint8_t *p = in + 32 - (i + 1) * sizeof(mp_limb_t);
		mp_limb_t l = 0;

		for (size_t j = 0; j < sizeof(mp_limb_t); j++)
			l = l << 8 | p[j];
		out[i] = l;
	}
}

static void gk_p256_from_limbs(uint8_t out[32], const mp_limb_t in[GK_P256_LIMBS])
{
	for (size_t i = 0; i < GK_P256_LIMBS; i++) {
		uint8_t *p = out + 32 - (i + 1) * sizeof(mp_limb_t);
		mp_limb_t l = in[i];

		for (size_t j = sizeof(mp_limb_t); j-- > 0; l >>= 8)
			p[j] = (uint8_t)l;
	}
}

/* 1 when 0 < v < n. No branch on v's bytes: v is d or k. */
static int gk_p256_scalar_ok(const uint8_t v[32])
{
	unsigned int borrow = 0, any = 0;

	for (size_t i = 32; i-- > 0;) {
		borrow = (((unsigned int)v[i] - gk_p256_n[i] - borrow) >> 8) & 1;
		any |= v[i];
	}
	return (int)(borrow & ((any + 0xff) >> 8));
}

/* v mod n for v < 2^256 < 2n: at most one subtraction, chosen by mask. */
static void gk_p256_mod_n(uint8_t v[32])
{
	unsigned int borrow = 0, t, keep;
	uint8_t diff[32];

	for (size_t i = 32; i-- > 0;) {
		t = (unsigned int)v[i] - gk_p256_n[i] - borrow;
		diff[i] = (uint8_t)t;
		borrow = (t >> 8) & 1;
	}
	keep = 0u - borrow; /* all ones when v < n */
	for (size_t i = 0; i < 32; i++)
		v[i] = (uint8_t)((v[i] & keep) | (diff[i] & ~keep));
	gk_wipe(diff, sizeof(diff));
}

static int gk_p256_limbs_zero(const mp_limb_t l[GK_P256_LIMBS])
{
	mp_limb_t any = 0;

	for (size_t i = 0; i < GK_P256_LIMBS; i++)
		any |= l[i];
	return !any;
}

/* RFC 6979 3.2 b-g: HMAC_DRBG (SHA-256) instantiated on int2octets(d) || bits2octets(h1). */
static int gk_p256_rfc6979_seed(struct gk_p256_sign_state *st, const uint8_t d[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	memcpy(st->seed, d, 32);
	memcpy(st->seed + 32, st->hash, 32);
	gk_p256_mod_n(st->seed + 32);
	return gk_mbedtls_err(
		mbedtls_hmac_drbg_seed_buf(&st->drbg, md, st->seed, sizeof(st->seed)));
}

/*
 * RFC 6979 3.2 h: each mbedtls_hmac_drbg_random() call is one round of h.2
 * (T = V = HMAC_K(V), one block for qlen = 256) and ends with the
 * K = HMAC_K(V || 0x00), V = HMAC_K(V) step that h.3 takes before a retry.
 */
static int gk_p256_sign_det(struct gk_p256_sign_state *st, uint8_t sig[64])
{
	const struct ecc_curve *ecc = nettle_get_secp_256r1();
	int ret;

	for (int i = 0; i < GK_P256_SIGN_TRIES; i++) {
		ret = mbedtls_hmac_drbg_random(&st->drbg, st->k, sizeof(st->k));
		if (ret)
			return gk_mbedtls_err(ret);
		if (!gk_p256_scalar_ok(st->k))
			continue;
		gk_p256_to_limbs(st->kl, st->k);
		ecc_ecdsa_sign(ecc, st->d, st->kl, sizeof(st->hash), st->hash, st->r, st->s,
			       st->scratch);
		if (gk_p256_limbs_zero(st->r) || gk_p256_limbs_zero(st->s))
			continue;
		gk_p256_from_limbs(sig, st->r);
		gk_p256_from_limbs(sig + 32, st->s);
		return 0;
	}
	return -EIO;
}

/*
 * rng is not used: k comes from RFC 6979 alone (no hedging, so signatures
 * stay reproducible and testable against the RFC's vectors), and nettle's
 * scalar multiplication runs in constant time with nothing to blind. NULL is
 * still -EINVAL, as it was, so callers keep one contract.
 */
int gk_p256_sign(struct gk_rng *rng, const uint8_t d[32], const void *msg, size_t n,
		 uint8_t sig[64])
{
	size_t size = sizeof(struct gk_p256_sign_state) +
		      (size_t)ecc_ecdsa_sign_itch(nettle_get_secp_256r1()) * sizeof(mp_limb_t);
	struct gk_p256_sign_state *st;
	int err;

	if (!rng || !d || !sig)
		return -EINVAL;
	st = calloc(1, size);
	if (!st)
		return -ENOMEM;
	mbedtls_hmac_drbg_init(&st->drbg);
	err = gk_sha256(msg, n, st->hash);
	if (!err && !gk_p256_scalar_ok(d))
		err = -GK_EKEY;
	if (!err)
		err = gk_p256_rfc6979_seed(st, d);
	if (!err) {
		gk_p256_to_limbs(st->d, d);
		err = gk_p256_sign_det(st, sig);
	}
	mbedtls_hmac_drbg_free(&st->drbg);
	gk_wipe(st, size);
	free(st);
	return err;
}

/*
 * nettle's high-level calls allocate through GMP, which aborts when out of
 * memory instead of failing: so does every GnuTLS handshake in this process.
 */
int gk_p256_verify(const uint8_t x[32], const uint8_t y[32], const void *msg, size_t n,
		   const uint8_t sig[64])
{
	mp_limb_t xl[GK_P256_LIMBS], yl[GK_P256_LIMBS], rl[GK_P256_LIMBS], sl[GK_P256_LIMBS];
	struct dsa_signature rs;
	struct ecc_point q;
	uint8_t hash[32];
	mpz_t mx, my;
	int err;

	if (!x || !y || !sig)
		return -EINVAL;
	err = gk_sha256(msg, n, hash);
	if (err)
		return err;
	gk_p256_to_limbs(xl, x);
	gk_p256_to_limbs(yl, y);
	gk_p256_to_limbs(rl, sig);
	gk_p256_to_limbs(sl, sig + 32);
	/* Read-only views of the limbs above: nothing allocated, nothing to mpz_clear(). */
	mpz_roinit_n(mx, xl, (mp_size_t)GK_P256_LIMBS);
	mpz_roinit_n(my, yl, (mp_size_t)GK_P256_LIMBS);
	mpz_roinit_n(rs.r, rl, (mp_size_t)GK_P256_LIMBS);
	mpz_roinit_n(rs.s, sl, (mp_size_t)GK_P256_LIMBS);
	ecc_point_init(&q, nettle_get_secp_256r1());
	/* ecc_point_set() refuses a coordinate >= p and a point off the curve. */
	if (!ecc_point_set(&q, mx, my))
		err = -GK_EKEY;
	/* ecdsa_verify() refuses r or s of 0 or >= n like any other bad signature. */
	else if (!ecdsa_verify(&q, sizeof(hash), hash, &rs))
		err = -GK_EBADSIG;
	ecc_point_clear(&q);
	return err;
}

/*
 * Key generation, d -> Q and key checks stay on mbedtls. None is per Join:
 * keygen and public run at start-up or once per member, and check_key on a
 * public key only evaluates the curve equation. mbedtls blinds its scalar
 * multiplication and zeroises every temporary, where nettle's
 * ecc_point_mul_g() leaves points that depend on d in stack scratch it does
 * not wipe; its speed is not needed there.
 */

/* A keypair with the group loaded; mbedtls_ecp_keypair_free() wipes its scalars. */
static int gk_p256_init(mbedtls_ecp_keypair *kp)
{
	mbedtls_ecp_keypair_init(kp);
	return gk_mbedtls_err(mbedtls_ecp_group_load(&kp->grp, MBEDTLS_ECP_DP_SECP256R1));
}

/* -GK_EKEY unless d is a valid private scalar. */
static int gk_p256_read_d(mbedtls_ecp_keypair *kp, const uint8_t d[32])
{
	int ret = mbedtls_mpi_read_binary(&kp->d, d, 32);

	if (ret)
		return gk_mbedtls_err(ret);
	return mbedtls_ecp_check_privkey(&kp->grp, &kp->d) ? -GK_EKEY : 0;
}

/* -GK_EKEY unless (x, y) is a point on the curve other than infinity. */
static int gk_p256_read_q(mbedtls_ecp_keypair *kp, const uint8_t x[32], const uint8_t y[32])
{
	int ret;

	ret = mbedtls_mpi_read_binary(&kp->Q.X, x, 32);
	if (!ret)
		ret = mbedtls_mpi_read_binary(&kp->Q.Y, y, 32);
	if (!ret)
		ret = mbedtls_mpi_lset(&kp->Q.Z, 1);
	if (ret)
		return gk_mbedtls_err(ret);
	return mbedtls_ecp_check_pubkey(&kp->grp, &kp->Q) ? -GK_EKEY : 0;
}

static int gk_p256_write_q(const mbedtls_ecp_keypair *kp, uint8_t x[32], uint8_t y[32])
{
	int ret = mbedtls_mpi_write_binary(&kp->Q.X, x, 32);

	if (!ret)
		ret = mbedtls_mpi_write_binary(&kp->Q.Y, y, 32);
	return gk_mbedtls_err(ret);
}

int gk_p256_keygen(struct gk_rng *rng, uint8_t d[32], uint8_t x[32], uint8_t y[32])
{
	mbedtls_ecp_keypair kp;
	int err;

	if (!rng)
		return -EINVAL;
	err = gk_p256_init(&kp);
	if (!err)
		err = gk_mbedtls_err(
			mbedtls_ecp_gen_keypair(&kp.grp, &kp.d, &kp.Q, gk_rng_mbedtls, rng));
	if (!err)
		err = gk_mbedtls_err(mbedtls_mpi_write_binary(&kp.d, d, 32));
	if (!err)
		err = gk_p256_write_q(&kp, x, y);
	mbedtls_ecp_keypair_free(&kp);
	if (err)
		gk_wipe(d, 32);
	return err;
}

int gk_p256_public(struct gk_rng *rng, const uint8_t d[32], uint8_t x[32], uint8_t y[32])
{
	mbedtls_ecp_keypair kp;
	int err;

	if (!rng)
		return -EINVAL;
	err = gk_p256_init(&kp);
	if (!err)
		err = gk_p256_read_d(&kp, d);
	if (!err)
		err = gk_mbedtls_err(
			mbedtls_ecp_mul(&kp.grp, &kp.Q, &kp.d, &kp.grp.G, gk_rng_mbedtls, rng));
	if (!err)
		err = gk_p256_write_q(&kp, x, y);
	mbedtls_ecp_keypair_free(&kp);
	return err;
}

int gk_p256_check_key(const uint8_t x[32], const uint8_t y[32], const uint8_t *d)
{
	mbedtls_ecp_keypair kp;
	int err;

	err = gk_p256_init(&kp);
	if (!err)
		err = gk_p256_read_q(&kp, x, y);
	if (!err && d)
		err = gk_p256_read_d(&kp, d);
	/* Recomputes d*G and compares it with Q; mbedtls blinds with its internal DRBG. */
	if (!err && d && mbedtls_ecp_check_pub_priv(&kp, &kp))
		err = -GK_EKEY;
	mbedtls_ecp_keypair_free(&kp);
	return err;
}
