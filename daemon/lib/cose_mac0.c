// SPDX-License-Identifier: BSD-3-Clause
/* COSE_Mac0 (RFC 9052 §6.2) with HMAC 256/64 and HMAC 256/256 (RFC 9053 §3.1). */
#include <errno.h>

#include "cose_internal.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

static size_t gk_mac0_tag_len(int64_t alg)
{
	return alg == GK_COSE_ALG_HMAC256_64 ? 8 : 32;
}

/* HMAC over MAC_structure ["MAC0", protected, external_aad, payload]. */
static int gk_mac0_compute(const struct gk_cose_key *key, const uint8_t *prot, size_t prot_len,
			   const uint8_t *aad, size_t aad_len, const uint8_t *payload, size_t len,
			   uint8_t mac[32])
{
	struct gk_enc e;
	int err;

	err = gk_cose_tbs(&e, "MAC0", prot, prot_len, aad, aad_len, true, payload, len);
	if (!err)
		err = gk_hmac_sha256(key->k, key->k_len, e.buf, e.len, mac);
	gk_enc_free(&e);
	return err;
}

int gk_cose_mac0_verify(const struct gk_cose_msg *m, const struct gk_cose_key *key,
			const uint8_t *aad, size_t aad_len)
{
	uint8_t mac[32];
	size_t tag_len;
	int err;

	err = gk_cose_verify_prep(m, key, GK_COSE_MAC0);
	if (err)
		return err;
	err = gk_mac0_compute(key, m->protected_hdr, m->protected_len, aad, aad_len, m->payload,
			      m->payload_len, mac);
	if (err)
		goto out_wipe;
	tag_len = gk_mac0_tag_len(m->alg);
	if (m->tag_len != tag_len || gk_memcmp_ct(mac, m->tag, tag_len))
		err = -GK_EBADMAC;
out_wipe:
	gk_wipe(mac, sizeof(mac));
	return err;
}

int gk_cose_mac0_create(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg,
			const uint8_t *payload, size_t len, const uint8_t *aad, size_t aad_len,
			unsigned flags, struct gk_rng *rng)
{
	uint8_t prot[GK_COSE_PROT_MAX], mac[32];
	size_t prot_len;
	int err;

	err = gk_cose_create_begin(out, key, alg, GK_COSE_MAC0, flags, prot, &prot_len);
	if (err)
		return err;
	err = gk_mac0_compute(key, prot, prot_len, aad, aad_len, payload, len, mac);
	if (!err) {
		gk_cose_emit_head(out, GK_COSE_MAC0, flags, key, prot, prot_len, NULL, 0);
		gk_enc_bstr(out, payload, len);
		gk_enc_bstr(out, mac, gk_mac0_tag_len(alg));
	}
	gk_wipe(mac, sizeof(mac));
	return err ? gk_cose_create_fail(out, err) : out->err;
}
