// SPDX-License-Identifier: BSD-3-Clause
/* Crypto primitives (DRBG, SHA-256/HMAC/HKDF, AES-CCM) on mbedtls 2.28; P-256 is in p256.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/ccm.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "crypto_internal.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

struct gk_rng {
	mbedtls_ctr_drbg_context drbg;
	int entropy_err; /* -errno of the last failed getrandom(), reported instead of -EIO */
};

/* Separates our DRBG stream from any other instance seeded at the same moment. */
static const unsigned char gk_drbg_pers[] = "groupkeyd ctr-drbg v1";

/* mbedtls reports failures as its own negative codes; fold them into errno values. */
int gk_mbedtls_err(int ret)
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
