// SPDX-License-Identifier: BSD-3-Clause
/* COSE_Sign1 (RFC 9052 §4.2) with ES256 (RFC 9053 §2.1), signatures as raw r || s. */
#include <errno.h>

#include "cose_internal.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

int gk_cose_sign1_verify(const struct gk_cose_msg *m, const struct gk_cose_key *key,
			 const uint8_t *aad, size_t aad_len)
{
	struct gk_enc e;
	int err;

	err = gk_cose_verify_prep(m, key, GK_COSE_SIGN1);
	if (err)
		return err;
	/* ES256 signatures are exactly 64 bytes (RFC 9053 §2.1); DER is not COSE. */
	if (m->tag_len != 64)
		return -GK_EBADSIG;
	err = gk_cose_tbs(&e, "Signature1", m->protected_hdr, m->protected_len, aad, aad_len, true,
			  m->payload, m->payload_len);
	if (!err)
		err = gk_p256_verify(key->x, key->y, e.buf, e.len, m->tag);
	gk_enc_free(&e);
	return err;
}

int gk_cose_sign1_create(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg,
			 const uint8_t *payload, size_t len, const uint8_t *aad, size_t aad_len,
			 unsigned flags, struct gk_rng *rng)
{
	uint8_t prot[GK_COSE_PROT_MAX], sig[64];
	struct gk_enc e;
	size_t prot_len;
	int err;

	err = gk_cose_create_begin(out, key, alg, GK_COSE_SIGN1, flags, prot, &prot_len);
	if (err)
		return err;
	if (!key->has_d)
		return gk_cose_create_fail(out, -GK_EKEY);
	if (!rng)
		return gk_cose_create_fail(out, -EINVAL);
	err = gk_cose_tbs(&e, "Signature1", prot, prot_len, aad, aad_len, true, payload, len);
	if (!err)
		err = gk_p256_sign(rng, key->d, e.buf, e.len, sig);
	gk_enc_free(&e);
	if (err)
		return gk_cose_create_fail(out, err);
	gk_cose_emit_head(out, GK_COSE_SIGN1, flags, key, prot, prot_len, NULL, 0);
	gk_enc_bstr(out, payload, len);
	return gk_enc_bstr(out, sig, sizeof(sig));
}
