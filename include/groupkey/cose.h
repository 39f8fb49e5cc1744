/* SPDX-License-Identifier: BSD-3-Clause */
/* COSE (RFC 9052/9053): COSE_Key, and Mac0 / Sign1 / Encrypt0 messages with one recipient. */
#ifndef GROUPKEY_COSE_H
#define GROUPKEY_COSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/cbor.h"
#include "groupkey/crypto.h"

/* Key types (RFC 9053 §7) and curves (§7.1). */
enum { GK_COSE_KTY_EC2 = 2, GK_COSE_KTY_SYMMETRIC = 4 };
enum { GK_COSE_CRV_P256 = 1 };

/* Algorithms (RFC 9053 §2.1, §3.1, §4.2). */
enum {
	GK_COSE_ALG_ES256 = -7,
	GK_COSE_ALG_HMAC256_64 = 4,
	GK_COSE_ALG_HMAC256_256 = 5,
	GK_COSE_ALG_AES_CCM_16_64_128 = 10,
	GK_COSE_ALG_AES_CCM_16_128_128 = 30,
};

/* Message types are their CBOR tags (RFC 9052 §2). */
enum { GK_COSE_ENCRYPT0 = 16, GK_COSE_MAC0 = 17, GK_COSE_SIGN1 = 18 };

/* The message type an alg belongs to (GK_COSE_MAC0...), 0 for an alg we do not implement. */
int gk_cose_alg_type(int64_t alg);

/* Header parameter labels (RFC 9052 §3.1). */
enum {
	GK_COSE_HDR_ALG = 1,
	GK_COSE_HDR_CRIT = 2,
	GK_COSE_HDR_CONTENT_TYPE = 3,
	GK_COSE_HDR_KID = 4,
	GK_COSE_HDR_IV = 5,
	GK_COSE_HDR_PARTIAL_IV = 6,
};

/* COSE_Key labels (RFC 9052 §7.1, RFC 9053 §7.1.1, §7.2.1 and §7.3): -1 is crv or k by kty. */
enum {
	GK_COSE_KEY_KTY = 1,
	GK_COSE_KEY_KID = 2,
	GK_COSE_KEY_ALG = 3,
	GK_COSE_KEY_K = -1,
	GK_COSE_KEY_CRV = -1,
	GK_COSE_KEY_X = -2,
	GK_COSE_KEY_Y = -3,
	GK_COSE_KEY_D = -4,
};

#define GK_COSE_KID_MAX 64
#define GK_COSE_CCM_NONCE_LEN 13

/*
 * A COSE_Key in fixed buffers (no heap: gk_cose_key_wipe() is all the
 * cleanup there is). kty EC2 fills crv, x, y and, with has_d, d; kty
 * Symmetric fills k. kid_len 0 means no kid.
 */
struct gk_cose_key {
	int kty;
	int64_t alg;
	bool has_alg;
	uint8_t kid[GK_COSE_KID_MAX];
	size_t kid_len;
	uint8_t k[32];
	size_t k_len;
	int crv;
	uint8_t x[32], y[32], d[32];
	bool has_d;
};

/*
 * Strict: a map whose kty is EC2 (crv P-256, 32-byte x and y as byte
 * strings; the compressed "y as bool" form is refused; optional 32-byte d)
 * or Symmetric (k of 16 or 32 bytes); kid a byte string of at most 64
 * bytes. EC2 points must be on the curve and a d must match them. Other
 * labels (key_ops, Base IV...) are ignored. Any of that wrong, a missing
 * or unsupported kty (OKP, RSA...) included, is -GK_EKEY; an alg that is
 * not an integer is -GK_EALG. Whether alg fits the key material is left to
 * gk_cose_key_check_alg() at use. On failure *key is wiped.
 */
int gk_cose_key_from_item(const cbor_item_t *map, struct gk_cose_key *key);
/* gk_cbor_decode() with default limits, then gk_cose_key_from_item(). */
int gk_cose_key_decode(const uint8_t *buf, size_t len, struct gk_cose_key *key);
/*
 * Deterministic encoding (labels 1, 2, 3, -1, -2, -3, -4). with_private
 * adds d to EC2 keys; a symmetric key is nothing but its secret, so asking
 * for it without with_private is -EINVAL rather than a silent leak.
 */
int gk_cose_key_encode(struct gk_enc *e, const struct gk_cose_key *key, bool with_private);
void gk_cose_key_wipe(struct gk_cose_key *key);
/*
 * -GK_EALG unless alg is one we implement and fits the key: ES256 needs an
 * EC2 P-256 key; HMAC 256/64 and 256/256 a symmetric key of at least 16
 * bytes; AES-CCM-16-64-128 and -16-128-128 a 16-byte symmetric key. A key
 * that names its own alg can only be used with that alg.
 */
int gk_cose_key_check_alg(const struct gk_cose_key *key, int64_t alg);

/*
 * A parsed COSE_Mac0, COSE_Sign1 or COSE_Encrypt0. All pointers borrow
 * from root / protected_map and live until gk_cose_msg_free().
 */
struct gk_cose_msg {
	int type; /* GK_COSE_MAC0 / _ENCRYPT0 / _SIGN1 */
	bool tagged;
	cbor_item_t *root;	    /* owned reference to the message (the tag if tagged) */
	cbor_item_t *protected_map; /* owned; NULL when the protected bstr is empty */
	/* The protected bstr's content, used verbatim in the MAC/Sig/Enc structures. */
	const uint8_t *protected_hdr;
	size_t protected_len;
	int64_t alg;
	const uint8_t *kid; /* NULL when absent */
	size_t kid_len;
	const uint8_t *iv; /* Encrypt0 only; NULL when absent */
	size_t iv_len;
	const uint8_t *payload; /* Mac0/Sign1 plaintext, Encrypt0 ciphertext || tag */
	size_t payload_len;
	const uint8_t *tag; /* Mac0 tag, Sign1 signature; NULL for Encrypt0 */
	size_t tag_len;
};

/*
 * Parse a message. expect_type 0: it must carry its tag (16, 17 or 18);
 * otherwise the type assumed for an untagged message, and a tag, if
 * present, must match. Tag 61 (CWT) is not handled here: the CWT layer
 * strips it and hands the inner item to gk_cose_parse_item().
 *
 * Refused with -GK_ECOSE: not an array of 3 (Encrypt0) / 4 (Mac0, Sign1),
 * fields of the wrong type, a detached (nil) payload, a protected bstr
 * that is not empty and not a map, a label in both buckets (RFC 9052 §3),
 * crit outside the protected bucket or naming a label we do not process,
 * kid/IV/Partial IV/content type of the wrong type, IV or Partial IV in a
 * Mac0/Sign1, IV and Partial IV together, any label other than alg, crit,
 * content type, kid, IV and Partial IV (stricter than RFC 9052: the
 * unprotected bucket is unauthenticated, see cose_msg.c), alg in the
 * unprotected bucket. An alg that is not an integer is -GK_EALG, no alg at
 * all -GK_EMISSING. kid and IV may be in either bucket. CBOR errors from
 * the strict decoder pass through.
 */
int gk_cose_parse(const uint8_t *buf, size_t len, int expect_type, struct gk_cose_msg *m);
/*
 * Same on an item already decoded by gk_cbor_decode() (whose limits and
 * duplicate-key refusal the checks here rely on), e.g. the content of tag
 * 61. m takes its own reference: the caller may decref item at once.
 */
int gk_cose_parse_item(cbor_item_t *item, int expect_type, struct gk_cose_msg *m);
void gk_cose_msg_free(struct gk_cose_msg *m);

/*
 * Verification, each after gk_cose_key_check_alg() and a check that the
 * message alg belongs to its type (-GK_EALG), and that a kid in the
 * message names the key when the key has one (-GK_EKEY). The message
 * type must match the function (-EINVAL).
 */
int gk_cose_mac0_verify(const struct gk_cose_msg *m, const struct gk_cose_key *key,
			const uint8_t *aad, size_t aad_len); /* -GK_EBADMAC */
int gk_cose_sign1_verify(const struct gk_cose_msg *m, const struct gk_cose_key *key,
			 const uint8_t *aad, size_t aad_len); /* -GK_EBADSIG */
/* -GK_EDECRYPT; -GK_ECOSE without a 13-byte IV. *pt is malloc'd: wipe it, then free(). */
int gk_cose_encrypt0_decrypt(const struct gk_cose_msg *m, const struct gk_cose_key *key,
			     const uint8_t *aad, size_t aad_len, uint8_t **pt, size_t *pt_len);

/* Creation flags. */
#define GK_COSE_TAGGED 0x1u /* emit the COSE tag */
#define GK_COSE_KID 0x2u    /* put key->kid in the unprotected header (-EINVAL if it has none) */

/*
 * Append one message to out. The protected header is {1: alg}; Encrypt0
 * puts a fresh random 13-byte IV under label 5 of the unprotected header.
 * rng is unused by Mac0 (may be NULL), blinds Sign1 (deterministic
 * ECDSA, RFC 6979) and draws the Encrypt0 IV. Sign1 needs a key with d
 * (-GK_EKEY). Errors are sticky as for the gk_enc_* calls: on entry with
 * out->err set nothing is written and out->err is returned; any failure is
 * recorded in out->err (what was appended is then garbage) and returned.
 */
int gk_cose_mac0_create(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg,
			const uint8_t *payload, size_t len, const uint8_t *aad, size_t aad_len,
			unsigned flags, struct gk_rng *rng);
int gk_cose_sign1_create(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg,
			 const uint8_t *payload, size_t len, const uint8_t *aad, size_t aad_len,
			 unsigned flags, struct gk_rng *rng);
int gk_cose_encrypt0_create(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg,
			    const uint8_t *payload, size_t len, const uint8_t *aad, size_t aad_len,
			    unsigned flags, struct gk_rng *rng);

#endif
