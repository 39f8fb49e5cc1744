/* SPDX-License-Identifier: BSD-3-Clause */
/* Crypto primitives on mbedtls and nettle, returning 0 / negative errno or GK_E* codes. */
#ifndef GROUPKEY_CRYPTO_H
#define GROUPKEY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Random bytes come from mbedtls' CTR-DRBG seeded from getrandom(2).
 * There is no global generator: the daemon context (or a test, or the
 * CLI's main) owns one and passes it down. A generator is not thread-safe
 * and must not be used on both sides of a fork(): create one per process.
 */
struct gk_rng;

int gk_rng_new(struct gk_rng **out);
void gk_rng_free(struct gk_rng *rng);
int gk_random(struct gk_rng *rng, void *buf, size_t n);
/* For mbedtls APIs that take f_rng/p_rng: p_rng is a struct gk_rng; returns MBEDTLS_ERR_*. */
int gk_rng_mbedtls(void *rng, unsigned char *buf, size_t n);

/* Wipe secrets; never optimised away. */
void gk_wipe(void *p, size_t n);

int gk_sha256(const void *in, size_t n, uint8_t out[32]);
int gk_hmac_sha256(const uint8_t *key, size_t key_len, const void *in, size_t n, uint8_t out[32]);
/* -EINVAL when okm_len exceeds 255 * 32. */
int gk_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		   const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len);
/* Constant-time comparison: 0 when equal, 1 otherwise. */
int gk_memcmp_ct(const void *a, const void *b, size_t n);

/*
 * AES-CCM with a 16- or 32-byte key, a 7..13-byte nonce and an even tag of
 * 4..16 bytes (-EINVAL otherwise); ct and pt may alias. -GK_EDECRYPT when
 * the tag fails, and then pt has been wiped.
 */
int gk_aes_ccm_encrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
		       uint8_t *ct, uint8_t *tag, size_t tag_len);
int gk_aes_ccm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
		       uint8_t *pt, const uint8_t *tag, size_t tag_len);

/*
 * ECDSA P-256 over SHA-256, signatures as fixed 64-byte r||s (COSE form).
 * Scalars and coordinates are 32-byte big-endian. Signing is deterministic
 * (RFC 6979); rng only blinds keygen's and public's computation (sign and
 * verify run on nettle, which needs no blinding).
 */
int gk_p256_keygen(struct gk_rng *rng, uint8_t d[32], uint8_t x[32], uint8_t y[32]);
/* The public point of d; -GK_EKEY when d is not in [1, n-1]. */
int gk_p256_public(struct gk_rng *rng, const uint8_t d[32], uint8_t x[32], uint8_t y[32]);
/* -GK_EKEY unless (x, y) is on the curve and, when d is not NULL, d is its private key. */
int gk_p256_check_key(const uint8_t x[32], const uint8_t y[32], const uint8_t *d);
/* -GK_EKEY when d is not in [1, n-1]. */
int gk_p256_sign(struct gk_rng *rng, const uint8_t d[32], const void *msg, size_t n,
		 uint8_t sig[64]);
/* -GK_EBADSIG when it does not verify, -GK_EKEY for a point not on the curve. */
int gk_p256_verify(const uint8_t x[32], const uint8_t y[32], const void *msg, size_t n,
		   const uint8_t sig[64]);

#endif
