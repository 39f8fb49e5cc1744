/* SPDX-License-Identifier: BSD-3-Clause */
/* CBOR Web Tokens (RFC 8392): claims codec, protection layers and validation. */
#ifndef GROUPKEY_CWT_H
#define GROUPKEY_CWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/cbor.h"
#include "groupkey/cose.h"

/* Claim keys: RFC 8392 §4, RFC 8747 (cnf), RFC 9200 §8.14 (scope, exi). */
enum {
	GK_CWT_ISS = 1,
	GK_CWT_SUB = 2,
	GK_CWT_AUD = 3,
	GK_CWT_EXP = 4,
	GK_CWT_NBF = 5,
	GK_CWT_IAT = 6,
	GK_CWT_CTI = 7,
	GK_CWT_CNF = 8,
	GK_CWT_SCOPE = 9,
	GK_CWT_EXI = 40,
};

/* cnf map keys (RFC 8747 §3.1). */
enum { GK_CNF_COSE_KEY = 1, GK_CNF_ENCRYPTED_KEY = 2, GK_CNF_KID = 3 };

#define GK_CWT_TAG 61
#define GK_CWT_AUD_MAX 8

enum gk_cnf_type { GK_CNF_NONE = 0, GK_CNF_KEY, GK_CNF_KID_ONLY };

/*
 * Decoded claims. Strings and byte strings are heap copies owned by the
 * struct (gk_cwt_claims_free wipes and frees them); the cnf key is inline.
 * Times are NumericDate as integer seconds: RFC 8392 allows a float, we
 * refuse it (GK_ECLAIM) as no ACE deployment we interoperate with sends one.
 */
struct gk_cwt_claims {
	char *iss;
	char *sub;
	char *aud[GK_CWT_AUD_MAX];
	size_t n_aud;
	bool aud_is_array; /* aud was an array on the wire (kept for re-encoding) */
	bool has_exp, has_nbf, has_iat, has_exi;
	int64_t exp, nbf, iat;
	uint64_t exi;
	uint8_t *cti;
	size_t cti_len;
	uint8_t *scope; /* raw bytes of the bstr (or text) scope */
	size_t scope_len;
	bool scope_is_text;
	enum gk_cnf_type cnf_type;
	struct gk_cose_key cnf_key; /* GK_CNF_KEY: the key; GK_CNF_KID_ONLY: kid only */
};

/* Claims <-> CBOR map. Unknown claims are ignored on decode; known claims of the wrong type are -GK_ECLAIM. */
int gk_cwt_claims_from_item(const cbor_item_t *map, struct gk_cwt_claims *c);
int gk_cwt_claims_decode(const uint8_t *buf, size_t len, struct gk_cwt_claims *c);
int gk_cwt_claims_encode(struct gk_enc *e, const struct gk_cwt_claims *c);
void gk_cwt_claims_free(struct gk_cwt_claims *c);
int gk_cwt_claims_set_aud(struct gk_cwt_claims *c, const char *aud);

/* Structure found while unwrapping, outermost layer first. */
#define GK_CWT_MAX_LAYERS 2
struct gk_cwt_info {
	bool cwt_tag; /* outermost item carried tag 61 */
	unsigned n_layers;
	int layer_type[GK_CWT_MAX_LAYERS]; /* GK_COSE_MAC0 / _ENCRYPT0 / _SIGN1 */
	int64_t layer_alg[GK_CWT_MAX_LAYERS];
	uint8_t layer_kid[GK_CWT_MAX_LAYERS][64];
	size_t layer_kid_len[GK_CWT_MAX_LAYERS];
};

struct gk_cwt_verify_opts {
	const struct gk_cose_key *keys; /* candidate keys; chosen per layer by kid and alg */
	size_t n_keys;
	const char *audience; /* NULL: aud not checked */
	const char *issuer;   /* NULL: iss not checked */
	int64_t now;	      /* seconds since the epoch; the caller owns the clock */
	int64_t leeway;	      /* seconds of clock skew tolerated on exp/nbf */
	bool require_exp;     /* a token without exp is refused (ACE PoP tokens must have one) */
	const uint8_t *external_aad;
	size_t external_aad_len;
};

/*
 * Peel the protection layers (tag 61 optional; Encrypt0 / Mac0 / Sign1,
 * nested at most GK_CWT_MAX_LAYERS deep) and return the claims bytes.
 * Does not look at the claims. Errors: -GK_EBADMAC, -GK_EBADSIG,
 * -GK_EDECRYPT, -GK_EKEY (no key fits), -GK_EALG, -GK_ECOSE, CBOR codes.
 */
int gk_cwt_unprotect(const uint8_t *tok, size_t len, const struct gk_cwt_verify_opts *o,
		     uint8_t **claims, size_t *claims_len, struct gk_cwt_info *info);

/* Time, audience and issuer checks: -GK_EEXPIRED, -GK_ENOTYETVALID, -GK_EAUDIENCE, -GK_EISSUER. */
int gk_cwt_check_claims(const struct gk_cwt_claims *c, const struct gk_cwt_verify_opts *o);

/* unprotect + decode + check. On failure *out is left empty (nothing to free). */
int gk_cwt_verify(const uint8_t *tok, size_t len, const struct gk_cwt_verify_opts *o,
		  struct gk_cwt_claims *out, struct gk_cwt_info *info);

/* One protection layer; layers[0] wraps the claims, layers[1] wraps layers[0]. */
struct gk_cwt_layer {
	const struct gk_cose_key *key;
	int64_t alg;
	unsigned flags; /* GK_COSE_KID: put the key's kid in the unprotected header */
};

/* Encode and protect. tag61 adds the CWT tag outside; inner COSE objects are always tagged. */
int gk_cwt_create(struct gk_enc *out, const struct gk_cwt_claims *c, const struct gk_cwt_layer *layers,
		  size_t n_layers, bool tag61, struct gk_rng *rng);

/* Walk a token without any key: layer types, algs, kids; the claims if the outer layer is not encrypted. */
int gk_cwt_inspect(const uint8_t *tok, size_t len, struct gk_cwt_info *info, cbor_item_t **claims);

#endif
