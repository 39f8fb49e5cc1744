/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by cose_msg.c, cose_mac0.c, cose_sign1.c and cose_encrypt0.c. */
#ifndef GROUPKEY_COSE_INTERNAL_H
#define GROUPKEY_COSE_INTERNAL_H

#include "groupkey/cose.h"

/* {1: alg} encodes to at most 1 + 1 + 9 bytes. */
#define GK_COSE_PROT_MAX 16


/* Type, alg and kid checks that precede every verification. */
int gk_cose_verify_prep(const struct gk_cose_msg *m, const struct gk_cose_key *key, int type);

/*
 * The structure that is MACed, signed or used as AEAD AAD (RFC 9052 §4.4,
 * §5.3, §6.3): [context, protected, external_aad] plus, with_payload,
 * the payload. e is initialised here; gk_enc_free() it in any case.
 */
int gk_cose_tbs(struct gk_enc *e, const char *context, const uint8_t *prot, size_t prot_len,
		const uint8_t *aad, size_t aad_len, bool with_payload, const uint8_t *payload,
		size_t payload_len);

/* Argument checks and the protected header {1: alg}; failures are recorded in out->err. */
int gk_cose_create_begin(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg, int type,
			 unsigned flags, uint8_t prot[GK_COSE_PROT_MAX], size_t *prot_len);

/* Tag, array head, protected bstr and unprotected map (kid, IV when given). */
int gk_cose_emit_head(struct gk_enc *out, int type, unsigned flags, const struct gk_cose_key *key,
		      const uint8_t *prot, size_t prot_len, const uint8_t *iv, size_t iv_len);

/* Records err in out (the first error wins) and returns out->err. */
int gk_cose_create_fail(struct gk_enc *out, int err);

#endif
