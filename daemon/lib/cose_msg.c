// SPDX-License-Identifier: BSD-3-Clause
/* COSE message parsing (Mac0, Sign1, Encrypt0) and the helpers shared by their verify/create. */
#include <errno.h>
#include <string.h>

#include "cose_internal.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

/* Labels we process; crit may name only these (RFC 9052 §3.1). */
static const int64_t gk_cose_known_labels[] = {
	GK_COSE_HDR_ALG, GK_COSE_HDR_CRIT, GK_COSE_HDR_CONTENT_TYPE,
	GK_COSE_HDR_KID, GK_COSE_HDR_IV,   GK_COSE_HDR_PARTIAL_IV,
};

int gk_cose_alg_type(int64_t alg)
{
	switch (alg) {
	case GK_COSE_ALG_ES256:
		return GK_COSE_SIGN1;
	case GK_COSE_ALG_HMAC256_64:
	case GK_COSE_ALG_HMAC256_256:
		return GK_COSE_MAC0;
	case GK_COSE_ALG_AES_CCM_16_64_128:
	case GK_COSE_ALG_AES_CCM_16_128_128:
		return GK_COSE_ENCRYPT0;
	default:
		return 0;
	}
}

static bool gk_label_valid(const cbor_item_t *l)
{
	return cbor_isa_uint(l) || cbor_isa_negint(l) ||
	       (cbor_isa_string(l) && cbor_string_is_definite(l));
}

static bool gk_label_eq(const cbor_item_t *a, const cbor_item_t *b)
{
	if (cbor_typeof(a) != cbor_typeof(b))
		return false;
	if (cbor_isa_string(a))
		return cbor_string_length(a) == cbor_string_length(b) &&
		       !memcmp(cbor_string_handle(a), cbor_string_handle(b), cbor_string_length(a));
	return cbor_get_int(a) == cbor_get_int(b);
}

static bool gk_label_known(const cbor_item_t *l)
{
	int64_t v;

	if (gk_cbor_get_int(l, &v))
		return false;
	for (size_t i = 0; i < sizeof(gk_cose_known_labels) / sizeof(gk_cose_known_labels[0]); i++)
		if (gk_cose_known_labels[i] == v)
			return true;
	return false;
}

/*
 * Labels are ints or text, and none may appear in both buckets (RFC 9052
 * §3). Stricter than RFC 9052, which lets a recipient ignore unknown
 * labels: we refuse them. The unprotected bucket is not authenticated, so
 * an ignored label is a place where a flipped bit goes unnoticed (turning
 * kid 4 into 12 would just drop the kid); every ACE peer we serve uses only
 * the labels below.
 */
static int gk_cose_check_buckets(const cbor_item_t *prot, const cbor_item_t *unprot)
{
	struct cbor_pair *pp = prot ? cbor_map_handle(prot) : NULL;
	struct cbor_pair *up = cbor_map_handle(unprot);
	size_t np = prot ? cbor_map_size(prot) : 0, nu = cbor_map_size(unprot);

	for (size_t j = 0; j < nu; j++)
		if (!gk_label_valid(up[j].key) || !gk_label_known(up[j].key))
			return -GK_ECOSE;
	for (size_t i = 0; i < np; i++) {
		if (!gk_label_valid(pp[i].key) || !gk_label_known(pp[i].key))
			return -GK_ECOSE;
		for (size_t j = 0; j < nu; j++)
			if (gk_label_eq(pp[i].key, up[j].key))
				return -GK_ECOSE;
	}
	return 0;
}

/* crit: protected only, a non-empty array of labels we process. */
static int gk_cose_check_crit(const cbor_item_t *prot, const cbor_item_t *unprot)
{
	const cbor_item_t *crit = gk_cbor_map_get_int(prot, GK_COSE_HDR_CRIT);
	cbor_item_t **labels;
	size_t n;

	if (gk_cbor_map_get_int(unprot, GK_COSE_HDR_CRIT))
		return -GK_ECOSE;
	if (!crit)
		return 0;
	if (!cbor_isa_array(crit) || !cbor_array_size(crit))
		return -GK_ECOSE;
	labels = cbor_array_handle(crit);
	n = cbor_array_size(crit);
	for (size_t i = 0; i < n; i++)
		if (!gk_label_known(labels[i]))
			return -GK_ECOSE;
	return 0;
}

/* A header parameter from whichever bucket holds it (never both, see above). */
static const cbor_item_t *gk_cose_hdr(const struct gk_cose_msg *m, const cbor_item_t *unprot,
				      int64_t label)
{
	const cbor_item_t *it = gk_cbor_map_get_int(m->protected_map, label);

	return it ? it : gk_cbor_map_get_int(unprot, label);
}

/* An optional byte-string header: absent leaves *p NULL, any other type is -GK_ECOSE. */
static int gk_cose_hdr_bstr(const struct gk_cose_msg *m, const cbor_item_t *unprot, int64_t label,
			    const uint8_t **p, size_t *n)
{
	const cbor_item_t *it = gk_cose_hdr(m, unprot, label);

	*p = NULL;
	*n = 0;
	if (!it)
		return 0;
	return gk_cbor_get_bstr(it, p, n) ? -GK_ECOSE : 0;
}

static int gk_cose_parse_headers(struct gk_cose_msg *m, const cbor_item_t *unprot)
{
	const cbor_item_t *alg, *ct;
	bool has_iv, has_piv;
	const uint8_t *piv;
	size_t piv_len;
	int err;

	err = gk_cose_check_buckets(m->protected_map, unprot);
	if (!err)
		err = gk_cose_check_crit(m->protected_map, unprot);
	if (err)
		return err;
	/* alg must be authenticated (RFC 9052 §3.1 asks it where possible; we require it). */
	if (gk_cbor_map_get_int(unprot, GK_COSE_HDR_ALG))
		return -GK_ECOSE;
	alg = gk_cbor_map_get_int(m->protected_map, GK_COSE_HDR_ALG);
	if (!alg)
		return -GK_EMISSING;
	if (gk_cbor_get_int(alg, &m->alg))
		return -GK_EALG;
	ct = gk_cose_hdr(m, unprot, GK_COSE_HDR_CONTENT_TYPE);
	if (ct && !cbor_isa_uint(ct) && !(cbor_isa_string(ct) && cbor_string_is_definite(ct)))
		return -GK_ECOSE;
	err = gk_cose_hdr_bstr(m, unprot, GK_COSE_HDR_KID, &m->kid, &m->kid_len);
	if (!err)
		err = gk_cose_hdr_bstr(m, unprot, GK_COSE_HDR_IV, &m->iv, &m->iv_len);
	if (!err)
		err = gk_cose_hdr_bstr(m, unprot, GK_COSE_HDR_PARTIAL_IV, &piv, &piv_len);
	if (err)
		return err;
	/* Only Encrypt0 uses an IV, and IV and Partial IV exclude each other (RFC 9052 §3.1). */
	has_iv = gk_cose_hdr(m, unprot, GK_COSE_HDR_IV);
	has_piv = gk_cose_hdr(m, unprot, GK_COSE_HDR_PARTIAL_IV);
	if ((has_iv || has_piv) && m->type != GK_COSE_ENCRYPT0)
		return -GK_ECOSE;
	return has_iv && has_piv ? -GK_ECOSE : 0;
}

/* The protected bucket is a bstr wrapping a map, or empty (RFC 9052 §3). */
static int gk_cose_parse_protected(struct gk_cose_msg *m, const cbor_item_t *bstr)
{
	int err;

	if (gk_cbor_get_bstr(bstr, &m->protected_hdr, &m->protected_len))
		return -GK_ECOSE;
	if (!m->protected_len)
		return 0;
	err = gk_cbor_decode(m->protected_hdr, m->protected_len, NULL, &m->protected_map);
	if (err)
		return err;
	return cbor_isa_map(m->protected_map) ? 0 : -GK_ECOSE;
}

static int gk_cose_parse_array(struct gk_cose_msg *m, const cbor_item_t *arr)
{
	size_t want = m->type == GK_COSE_ENCRYPT0 ? 3 : 4;
	cbor_item_t **f;
	int err;

	if (!cbor_isa_array(arr) || cbor_array_size(arr) != want)
		return -GK_ECOSE;
	f = cbor_array_handle(arr);
	err = gk_cose_parse_protected(m, f[0]);
	if (err)
		return err;
	if (!cbor_isa_map(f[1]))
		return -GK_ECOSE;
	/* nil would be a detached payload: the caller would have to supply it, we never do. */
	if (gk_cbor_get_bstr(f[2], &m->payload, &m->payload_len))
		return -GK_ECOSE;
	if (want == 4 && gk_cbor_get_bstr(f[3], &m->tag, &m->tag_len))
		return -GK_ECOSE;
	return gk_cose_parse_headers(m, f[1]);
}

static bool gk_cose_type_valid(int type)
{
	return type == GK_COSE_ENCRYPT0 || type == GK_COSE_MAC0 || type == GK_COSE_SIGN1;
}

int gk_cose_parse_item(cbor_item_t *item, int expect_type, struct gk_cose_msg *m)
{
	const cbor_item_t *arr = item;
	int err = -GK_ECOSE;

	*m = (struct gk_cose_msg){ 0 };
	if (!item || (expect_type && !gk_cose_type_valid(expect_type)))
		return -EINVAL;
	m->root = cbor_incref(item);
	m->type = expect_type;
	if (cbor_isa_tag(item)) {
		uint64_t tag = cbor_tag_value(item);

		m->tagged = true;
		m->type = tag <= GK_COSE_SIGN1 && gk_cose_type_valid((int)tag) ? (int)tag : 0;
		arr = gk_cbor_tag_item(item);
	}
	/* Untagged needs expect_type; a tag must be a COSE one and agree with expect_type. */
	if (m->type && (!expect_type || m->type == expect_type))
		err = gk_cose_parse_array(m, arr);
	if (err)
		gk_cose_msg_free(m);
	return err;
}

int gk_cose_parse(const uint8_t *buf, size_t len, int expect_type, struct gk_cose_msg *m)
{
	cbor_item_t *root;
	int err;

	*m = (struct gk_cose_msg){ 0 };
	err = gk_cbor_decode(buf, len, NULL, &root);
	if (err)
		return err;
	err = gk_cose_parse_item(root, expect_type, m);
	cbor_decref(&root);
	return err;
}

void gk_cose_msg_free(struct gk_cose_msg *m)
{
	if (m->protected_map)
		cbor_decref(&m->protected_map);
	if (m->root)
		cbor_decref(&m->root);
	*m = (struct gk_cose_msg){ 0 };
}

int gk_cose_verify_prep(const struct gk_cose_msg *m, const struct gk_cose_key *key, int type)
{
	int err;

	if (!m || !key || !m->root || m->type != type)
		return -EINVAL;
	if (gk_cose_alg_type(m->alg) != type)
		return -GK_EALG;
	err = gk_cose_key_check_alg(key, m->alg);
	if (err)
		return err;
	/* The kid is unprotected and only picks the key, but one naming another key is refused. */
	if (m->kid_len && key->kid_len &&
	    (m->kid_len != key->kid_len || memcmp(m->kid, key->kid, key->kid_len)))
		return -GK_EKEY;
	return 0;
}

int gk_cose_tbs(struct gk_enc *e, const char *context, const uint8_t *prot, size_t prot_len,
		const uint8_t *aad, size_t aad_len, bool with_payload, const uint8_t *payload,
		size_t payload_len)
{
	gk_enc_init(e);
	gk_enc_array(e, with_payload ? 4 : 3);
	gk_enc_tstr(e, context);
	gk_enc_bstr(e, prot, prot_len);
	gk_enc_bstr(e, aad, aad_len);
	if (with_payload)
		gk_enc_bstr(e, payload, payload_len);
	return e->err;
}

int gk_cose_create_fail(struct gk_enc *out, int err)
{
	if (!out->err)
		out->err = err;
	return out->err;
}

int gk_cose_create_begin(struct gk_enc *out, const struct gk_cose_key *key, int64_t alg, int type,
			 unsigned flags, uint8_t prot[GK_COSE_PROT_MAX], size_t *prot_len)
{
	struct gk_enc pe;
	int err;

	if (out->err)
		return out->err;
	if (!key || (flags & ~(GK_COSE_TAGGED | GK_COSE_KID)) ||
	    ((flags & GK_COSE_KID) && !key->kid_len))
		return gk_cose_create_fail(out, -EINVAL);
	if (gk_cose_alg_type(alg) != type)
		return gk_cose_create_fail(out, -GK_EALG);
	err = gk_cose_key_check_alg(key, alg);
	if (err)
		return gk_cose_create_fail(out, err);
	gk_enc_init_fixed(&pe, prot, GK_COSE_PROT_MAX);
	gk_enc_map(&pe, 1);
	gk_enc_uint(&pe, GK_COSE_HDR_ALG);
	gk_enc_int(&pe, alg);
	if (pe.err)
		return gk_cose_create_fail(out, pe.err);
	*prot_len = pe.len;
	return 0;
}

int gk_cose_emit_head(struct gk_enc *out, int type, unsigned flags, const struct gk_cose_key *key,
		      const uint8_t *prot, size_t prot_len, const uint8_t *iv, size_t iv_len)
{
	bool kid = flags & GK_COSE_KID;

	if (flags & GK_COSE_TAGGED)
		gk_enc_tag(out, (uint64_t)type);
	gk_enc_array(out, type == GK_COSE_ENCRYPT0 ? 3 : 4);
	gk_enc_bstr(out, prot, prot_len);
	/* Unprotected labels in deterministic order: kid (4) before IV (5). */
	gk_enc_map(out, (size_t)kid + (iv != NULL));
	if (kid) {
		gk_enc_uint(out, GK_COSE_HDR_KID);
		gk_enc_bstr(out, key->kid, key->kid_len);
	}
	if (iv) {
		gk_enc_uint(out, GK_COSE_HDR_IV);
		gk_enc_bstr(out, iv, iv_len);
	}
	return out->err;
}
