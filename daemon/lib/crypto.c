// SPDX-License-Identifier: BSD-3-Clause
/* Crypto primitives (DRBG, SHA-256/HMAC/HKDF, AES-CCM, P-256 ECDSA) on mbedtls 2.28. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/ccm.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "groupkey/crypto.h"
#include "groupkey/err.h"

struct gk_rng {
	mbedtls_ctr_drbg_context drbg;
	int entropy_err; /* -errno of the last failed getrandom(), reported instead of -EIO */
};

/* Separates our DRBG stream from any other instance seeded at the same moment. */
static const unsigned char gk_drbg_pers[] = "groupkeyd ctr-drbg v1";

/* mbedtls reports failures as its own negative codes; fold them into errno values. */
static int gk_mbedtls_err(int ret)
{
	switch (ret) {
	case 0:
		return 0;
	case MBEDTLS_ERR_MPI_ALLOC_FAILED:
	case MBEDTLS_ERR_ECP_ALLOC_FAILED:
	case MBEDTLS_ERR_MD_ALLOC_FAILED:
		return -ENOMEM;
	case MBEDTLS_ERR_MPI_BAD_INPUT_DATA:
	case MBEDTLS_ERR_ECP_BAD_INPUT_DATA:
	case MBEDTLS_ERR_MD_BAD_INPUT_DATA:
	case MBEDTLS_ERR_HKDF_BAD_INPUT_DATA:
	case MBEDTLS_ERR_CCM_BAD_INPUT:
	case MBEDTLS_ERR_CTR_DRBG_REQUEST_TOO_BIG:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Entropy callback for CTR-DRBG: the kernel pool, nothing else. */
static int gk_getrandom_entropy(void *ctx, unsigned char *buf, size_t n)
{
	struct gk_rng *rng = ctx;

	while (n) {
		ssize_t got = getrandom(buf, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			rng->entropy_err = -errno;
			return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
		}
		buf += got;
		n -= (size_t)got;
	}
	return 0;
}

static int gk_rng_err(struct gk_rng *rng, int ret)
{
	if (ret == MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED)
		return rng->entropy_err ? rng->entropy_err : -EIO;
	return gk_mbedtls_err(ret);
}

int gk_rng_new(struct gk_rng **out)
{
	struct gk_rng *rng;
	int ret;

	rng = calloc(1, sizeof(*rng));
	if (!rng)
		return -ENOMEM;
	mbedtls_ctr_drbg_init(&rng->drbg);
	ret = mbedtls_ctr_drbg_seed(&rng->drbg, gk_getrandom_entropy, rng, gk_drbg_pers,
				    sizeof(gk_drbg_pers) - 1);
	if (ret) {
		ret = gk_rng_err(rng, ret);
		gk_rng_free(rng);
		return ret;
	}
	*out = rng;
	return 0;
}

void gk_rng_free(struct gk_rng *rng)
{
	if (!rng)
		return;
	mbedtls_ctr_drbg_free(&rng->drbg);
	free(rng);
}

int gk_rng_mbedtls(void *p_rng, unsigned char *buf, size_t n)
{
	struct gk_rng *rng = p_rng;

	while (n) {
		size_t chunk = n < MBEDTLS_CTR_DRBG_MAX_REQUEST ? n : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		int ret = mbedtls_ctr_drbg_random(&rng->drbg, buf, chunk);

		if (ret)
			return ret;
		buf += chunk;
		n -= chunk;
	}
	return 0;
}

int gk_random(struct gk_rng *rng, void *buf, size_t n)
{
	int ret;

	if (!rng || (!buf && n))
		return -EINVAL;
	ret = gk_rng_mbedtls(rng, buf, n);
	if (ret) {
		gk_wipe(buf, n);
		return gk_rng_err(rng, ret);
	}
	return 0;
}

void gk_wipe(void *p, size_t n)
{
	if (p && n)
		mbedtls_platform_zeroize(p, n);
}

int gk_sha256(const void *in, size_t n, uint8_t out[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	if (!in && n)
		return -EINVAL;
	return gk_mbedtls_err(mbedtls_md(md, in, n, out));
}

int gk_hmac_sha256(const uint8_t *key, size_t key_len, const void *in, size_t n, uint8_t out[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	if ((!key && key_len) || (!in && n))
		return -EINVAL;
	return gk_mbedtls_err(mbedtls_md_hmac(md, key, key_len, in, n, out));
}

int gk_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		   const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	if ((!salt && salt_len) || (!ikm && ikm_len) || (!info && info_len) || !okm)
		return -EINVAL;
	return gk_mbedtls_err(
		mbedtls_hkdf(md, salt, salt_len, ikm, ikm_len, info, info_len, okm, okm_len));
}

int gk_memcmp_ct(const void *a, const void *b, size_t n)
{
	return mbedtls_ct_memcmp(a, b, n) ? 1 : 0;
}

/* Checked here rather than left to mbedtls so a bad size is -EINVAL, never a crypto failure. */
static int gk_ccm_params_ok(size_t key_len, size_t nonce_len, size_t tag_len)
{
	return (key_len == 16 || key_len == 32) && nonce_len >= 7 && nonce_len <= 13 &&
	       tag_len >= 4 && tag_len <= 16 && tag_len % 2 == 0;
}

int gk_aes_ccm_encrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
		       uint8_t *ct, uint8_t *tag, size_t tag_len)
{
	mbedtls_ccm_context ccm;
	int ret;

	if (!gk_ccm_params_ok(key_len, nonce_len, tag_len) || !key || !nonce || !tag ||
	    (!aad && aad_len) || ((!pt || !ct) && len))
		return -EINVAL;
	mbedtls_ccm_init(&ccm);
	ret = mbedtls_ccm_setkey(&ccm, MBEDTLS_CIPHER_ID_AES, key, (unsigned int)key_len * 8);
	if (!ret)
		ret = mbedtls_ccm_encrypt_and_tag(&ccm, len, nonce, nonce_len, aad, aad_len, pt, ct,
						  tag, tag_len);
	mbedtls_ccm_free(&ccm);
	return gk_mbedtls_err(ret);
}

int gk_aes_ccm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
		       uint8_t *pt, const uint8_t *tag, size_t tag_len)
{
	mbedtls_ccm_context ccm;
	int ret;

	if (!gk_ccm_params_ok(key_len, nonce_len, tag_len) || !key || !nonce || !tag ||
	    (!aad && aad_len) || ((!pt || !ct) && len))
		return -EINVAL;
	mbedtls_ccm_init(&ccm);
	ret = mbedtls_ccm_setkey(&ccm, MBEDTLS_CIPHER_ID_AES, key, (unsigned int)key_len * 8);
	if (!ret)
		ret = mbedtls_ccm_auth_decrypt(&ccm, len, nonce, nonce_len, aad, aad_len, ct, pt,
					       tag, tag_len);
	mbedtls_ccm_free(&ccm);
	if (ret == MBEDTLS_ERR_CCM_AUTH_FAILED) {
		gk_wipe(pt, len);
		return -GK_EDECRYPT;
	}
	return gk_mbedtls_err(ret);
}

/* Working state of one P-256 operation; freeing it wipes the scalars. */
struct gk_p256 {
	mbedtls_ecp_keypair kp;
	mbedtls_mpi r, s;
};

static int gk_p256_init(struct gk_p256 *c)
{
	mbedtls_ecp_keypair_init(&c->kp);
	mbedtls_mpi_init(&c->r);
	mbedtls_mpi_init(&c->s);
	return gk_mbedtls_err(mbedtls_ecp_group_load(&c->kp.grp, MBEDTLS_ECP_DP_SECP256R1));
}

static void gk_p256_free(struct gk_p256 *c)
{
	mbedtls_mpi_free(&c->r);
	mbedtls_mpi_free(&c->s);
	mbedtls_ecp_keypair_free(&c->kp);
}

/* -GK_EKEY unless d is a valid private scalar. */
static int gk_p256_read_d(struct gk_p256 *c, const uint8_t d[32])
{
	int ret = mbedtls_mpi_read_binary(&c->kp.d, d, 32);

	if (ret)
		return gk_mbedtls_err(ret);
	return mbedtls_ecp_check_privkey(&c->kp.grp, &c->kp.d) ? -GK_EKEY : 0;
}

/* -GK_EKEY unless (x, y) is a point on the curve other than infinity. */
static int gk_p256_read_q(struct gk_p256 *c, const uint8_t x[32], const uint8_t y[32])
{
	int ret;

	ret = mbedtls_mpi_read_binary(&c->kp.Q.X, x, 32);
	if (!ret)
		ret = mbedtls_mpi_read_binary(&c->kp.Q.Y, y, 32);
	if (!ret)
		ret = mbedtls_mpi_lset(&c->kp.Q.Z, 1);
	if (ret)
		return gk_mbedtls_err(ret);
	return mbedtls_ecp_check_pubkey(&c->kp.grp, &c->kp.Q) ? -GK_EKEY : 0;
}

static int gk_p256_write_q(const struct gk_p256 *c, uint8_t x[32], uint8_t y[32])
{
	int ret = mbedtls_mpi_write_binary(&c->kp.Q.X, x, 32);

	if (!ret)
		ret = mbedtls_mpi_write_binary(&c->kp.Q.Y, y, 32);
	return gk_mbedtls_err(ret);
}

int gk_p256_keygen(struct gk_rng *rng, uint8_t d[32], uint8_t x[32], uint8_t y[32])
{
	struct gk_p256 c;
	int err;

	if (!rng)
		return -EINVAL;
	err = gk_p256_init(&c);
	if (!err)
		err = gk_mbedtls_err(
			mbedtls_ecp_gen_keypair(&c.kp.grp, &c.kp.d, &c.kp.Q, gk_rng_mbedtls, rng));
	if (!err)
		err = gk_mbedtls_err(mbedtls_mpi_write_binary(&c.kp.d, d, 32));
	if (!err)
		err = gk_p256_write_q(&c, x, y);
	gk_p256_free(&c);
	if (err)
		gk_wipe(d, 32);
	return err;
}

int gk_p256_public(struct gk_rng *rng, const uint8_t d[32], uint8_t x[32], uint8_t y[32])
{
	struct gk_p256 c;
	int err;

	if (!rng)
		return -EINVAL;
	err = gk_p256_init(&c);
	if (!err)
		err = gk_p256_read_d(&c, d);
	if (!err)
		err = gk_mbedtls_err(mbedtls_ecp_mul(&c.kp.grp, &c.kp.Q, &c.kp.d, &c.kp.grp.G,
						     gk_rng_mbedtls, rng));
	if (!err)
		err = gk_p256_write_q(&c, x, y);
	gk_p256_free(&c);
	return err;
}

int gk_p256_check_key(const uint8_t x[32], const uint8_t y[32], const uint8_t *d)
{
	struct gk_p256 c;
	int err;

	err = gk_p256_init(&c);
	if (!err)
		err = gk_p256_read_q(&c, x, y);
	if (!err && d)
		err = gk_p256_read_d(&c, d);
	/* Recomputes d*G and compares it with Q; mbedtls blinds with its internal DRBG. */
	if (!err && d && mbedtls_ecp_check_pub_priv(&c.kp, &c.kp))
		err = -GK_EKEY;
	gk_p256_free(&c);
	return err;
}

int gk_p256_sign(struct gk_rng *rng, const uint8_t d[32], const void *msg, size_t n,
		 uint8_t sig[64])
{
	uint8_t hash[32];
	struct gk_p256 c;
	int err;

	if (!rng)
		return -EINVAL;
	err = gk_sha256(msg, n, hash);
	if (err)
		return err;
	err = gk_p256_init(&c);
	if (!err)
		err = gk_p256_read_d(&c, d);
	if (!err)
		err = gk_mbedtls_err(mbedtls_ecdsa_sign_det_ext(
			&c.kp.grp, &c.r, &c.s, &c.kp.d, hash, sizeof(hash), MBEDTLS_MD_SHA256,
			gk_rng_mbedtls, rng));
	if (!err)
		err = gk_mbedtls_err(mbedtls_mpi_write_binary(&c.r, sig, 32));
	if (!err)
		err = gk_mbedtls_err(mbedtls_mpi_write_binary(&c.s, sig + 32, 32));
	gk_p256_free(&c);
	gk_wipe(hash, sizeof(hash));
	return err;
}

int gk_p256_verify(const uint8_t x[32], const uint8_t y[32], const void *msg, size_t n,
		   const uint8_t sig[64])
{
	uint8_t hash[32];
	struct gk_p256 c;
	int err, ret;

	err = gk_sha256(msg, n, hash);
	if (err)
		return err;
	err = gk_p256_init(&c);
	if (!err)
		err = gk_p256_read_q(&c, x, y);
	if (!err)
		err = gk_mbedtls_err(mbedtls_mpi_read_binary(&c.r, sig, 32));
	if (!err)
		err = gk_mbedtls_err(mbedtls_mpi_read_binary(&c.s, sig + 32, 32));
	if (!err) {
		/* r or s of 0 or >= n also end up as VERIFY_FAILED. */
		ret = mbedtls_ecdsa_verify(&c.kp.grp, hash, sizeof(hash), &c.kp.Q, &c.r, &c.s);
		if (ret == MBEDTLS_ERR_ECP_VERIFY_FAILED)
			err = -GK_EBADSIG;
		else
			err = gk_mbedtls_err(ret);
	}
	gk_p256_free(&c);
	return err;
}
