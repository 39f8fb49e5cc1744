// SPDX-License-Identifier: BSD-3-Clause
/* COSE_Encrypt0 (RFC 9052 §5.2) with AES-CCM-16-64-128 and -16-128-128 (RFC 9053 §4.2). */
#include <errno.h>
#include <stdlib.h>

#include "cose_internal.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

/* Both algs: L = 2, hence a 13-byte nonce; they differ in the tag length only. */
static size_t gk_ccm_tag_len(int64_t alg)
{
	return alg == GK_COSE_ALG_AES_CCM_16_64_128 ? 8 : 16;
}

int gk_cose_encrypt0_decrypt(const struct gk_cose_msg *m, const struct gk_cose_key *key,
			     const uint8_t *aad, size_t aad_len, uint8_t **pt, size_t *pt_len)
{
	size_t tag_len, ct_len;
	struct gk_enc e;
	uint8_t *buf;
	int err;

	*pt = NULL;
	*pt_len = 0;
	err = gk_cose_verify_prep(m, key, GK_COSE_ENCRYPT0);
	if (err)
		return err;
	if (!m->iv || m->iv_len != GK_COSE_CCM_NONCE_LEN)
		return -GK_ECOSE;
	tag_len = gk_ccm_tag_len(m->alg);
	if (m->payload_len < tag_len)
		return -GK_EDECRYPT;
	ct_len = m->payload_len - tag_len;
	buf = malloc(ct_len ? ct_len : 1);
	if (!buf)
		return -ENOMEM;
	err = gk_cose_tbs(&e, "Encrypt0", m->protected_hdr, m->protected_len, aad, aad_len, false,
			  NULL, 0);
	if (!err)
		err = gk_aes_ccm_decrypt(key->k, key->k_len, m->iv, m->iv_len, e.buf, e.len,
					 m->payload, ct_len, buf, m->payload + ct_len, tag_len);
	gk_enc_free(&e);
	if (err) {
		gk_wipe(buf, ct_len);
		free(buf);
		return err;
	}
	*pt = buf;
	*pt_len = ct_len;
	return 0;
}

int gk_cose_encrypt0_create(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg,
			    const uint8_t *payload, size_t len, const uint8_t *aad, size_t aad_len,
			    unsigned flags, struct gk_rng *rng)
{
	uint8_t prot[GK_COSE_PROT_MAX], iv[GK_COSE_CCM_NONCE_LEN];
	size_t prot_len, tag_len = gk_ccm_tag_len(alg);
	struct gk_enc e;
	uint8_t *ct;
	int err;

	err = gk_cose_create_begin(out, key, alg, GK_COSE_ENCRYPT0, flags, prot, &prot_len);
	if (err)
		return err;
	if (!rng || len > SIZE_MAX - tag_len)
		return gk_cose_create_fail(out, -EINVAL);
	/* A fresh random IV per message: with 104 bits, collisions under one key are negligible. */
	err = gk_random(rng, iv, sizeof(iv));
	if (err)
		return gk_cose_create_fail(out, err);
	ct = malloc(len + tag_len);
	if (!ct)
		return gk_cose_create_fail(out, -ENOMEM);
	err = gk_cose_tbs(&e, "Encrypt0", prot, prot_len, aad, aad_len, false, NULL, 0);
	if (!err)
		err = gk_aes_ccm_encrypt(key->k, key->k_len, iv, sizeof(iv), e.buf, e.len, payload,
					 len, ct, ct + len, tag_len);
	gk_enc_free(&e);
	if (!err) {
		gk_cose_emit_head(out, GK_COSE_ENCRYPT0, flags, key, prot, prot_len, iv,
				  sizeof(iv));
		gk_enc_bstr(out, ct, len + tag_len);
	}
	free(ct);
	return err ? gk_cose_create_fail(out, err) : out->err;
}
