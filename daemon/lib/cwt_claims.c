// SPDX-License-Identifier: BSD-3-Clause
/* CWT claims set (RFC 8392 §3, RFC 8747 cnf, RFC 9200 scope/exi) <-> CBOR map. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"

static int dup_bytes(const cbor_item_t *it, uint8_t **out, size_t *len)
{
	const uint8_t *p;
	size_t n;

	if (gk_cbor_get_bstr(it, &p, &n))
		return -GK_ECLAIM;
	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, p, n);
	*len = n;
	return 0;
}

static int dup_text(const cbor_item_t *it, char **out)
{
	int err = gk_cbor_dup_tstr(it, out);

	return err == -ENOMEM ? err : err ? -GK_ECLAIM : 0;
}

static int get_time(const cbor_item_t *it, bool *has, int64_t *v)
{
	if (gk_cbor_get_int(it, v))
		return -GK_ECLAIM;
	*has = true;
	return 0;
}

static int aud_from_item(const cbor_item_t *it, struct gk_cwt_claims *c)
{
	size_t n;

	if (!cbor_isa_array(it))
		return dup_text(it, &c->aud[c->n_aud++]);
	n = cbor_array_size(it);
	if (!n || n > GK_CWT_AUD_MAX)
		return -GK_ECLAIM;
	c->aud_is_array = true;
	for (size_t i = 0; i < n; i++) {
		int err = dup_text(cbor_array_handle(it)[i], &c->aud[c->n_aud]);

		if (err)
			return err;
		c->n_aud++;
	}
	return 0;
}

static int scope_from_item(const cbor_item_t *it, struct gk_cwt_claims *c)
{
	char *s;
	int err;

	if (cbor_isa_bytestring(it))
		return dup_bytes(it, &c->scope, &c->scope_len);
	err = dup_text(it, &s);
	if (err)
		return err;
	c->scope = (uint8_t *)s;
	c->scope_len = strlen(s);
	c->scope_is_text = true;
	return 0;
}

/* cnf (RFC 8747 §3.1): exactly one confirmation method; we understand COSE_Key and kid. */
static int cnf_from_item(const cbor_item_t *it, struct gk_cwt_claims *c)
{
	cbor_item_t *key, *kid;
	const uint8_t *p;
	size_t n;
	int err;

	if (!cbor_isa_map(it) || cbor_map_size(it) != 1)
		return -GK_ECLAIM;
	key = gk_cbor_map_get_int(it, GK_CNF_COSE_KEY);
	kid = gk_cbor_map_get_int(it, GK_CNF_KID);
	if (key) {
		err = gk_cose_key_from_item(key, &c->cnf_key);
		if (err)
			return err == -ENOMEM ? err : -GK_ECLAIM;
		c->cnf_type = GK_CNF_KEY;
		return 0;
	}
	if (!kid || gk_cbor_get_bstr(kid, &p, &n) || n > sizeof(c->cnf_key.kid))
		return -GK_ECLAIM;
	memcpy(c->cnf_key.kid, p, n);
	c->cnf_key.kid_len = n;
	c->cnf_type = GK_CNF_KID_ONLY;
	return 0;
}

static int claim_from_item(int64_t key, const cbor_item_t *v, struct gk_cwt_claims *c)
{
	switch (key) {
	case GK_CWT_ISS:
		return dup_text(v, &c->iss);
	case GK_CWT_SUB:
		return dup_text(v, &c->sub);
	case GK_CWT_AUD:
		return aud_from_item(v, c);
	case GK_CWT_EXP:
		return get_time(v, &c->has_exp, &c->exp);
	case GK_CWT_NBF:
		return get_time(v, &c->has_nbf, &c->nbf);
	case GK_CWT_IAT:
		return get_time(v, &c->has_iat, &c->iat);
	case GK_CWT_CTI:
		return dup_bytes(v, &c->cti, &c->cti_len);
	case GK_CWT_CNF:
		return cnf_from_item(v, c);
	case GK_CWT_SCOPE:
		return scope_from_item(v, c);
	case GK_CWT_EXI:
		if (gk_cbor_get_uint(v, &c->exi))
			return -GK_ECLAIM;
		c->has_exi = true;
		return 0;
	default:
		return 0; /* RFC 8392 §7.1: unknown claims are ignored */
	}
}

int gk_cwt_claims_from_item(const cbor_item_t *map, struct gk_cwt_claims *c)
{
	struct cbor_pair *pairs;
	int err = 0;

	memset(c, 0, sizeof(*c));
	if (!cbor_isa_map(map))
		return -GK_ETYPE;
	pairs = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map) && !err; i++) {
		int64_t key;

		/* Text claim names are legal (RFC 8392 §3) but none we act on is one. */
		if (gk_cbor_get_int(pairs[i].key, &key))
			continue;
		err = claim_from_item(key, pairs[i].value, c);
	}
	if (err)
		gk_cwt_claims_free(c);
	return err;
}

int gk_cwt_claims_decode(const uint8_t *buf, size_t len, struct gk_cwt_claims *c)
{
	cbor_item_t *item;
	int err;

	memset(c, 0, sizeof(*c));
	err = gk_cbor_decode(buf, len, NULL, &item);
	if (err)
		return err;
	err = gk_cwt_claims_from_item(item, c);
	cbor_decref(&item);
	return err;
}

static size_t claims_count(const struct gk_cwt_claims *c)
{
	return !!c->iss + !!c->sub + !!c->n_aud + c->has_exp + c->has_nbf + c->has_iat + !!c->cti +
	       (c->cnf_type != GK_CNF_NONE) + !!c->scope + c->has_exi;
}

static void encode_cnf(struct gk_enc *e, const struct gk_cwt_claims *c)
{
	gk_enc_uint(e, GK_CWT_CNF);
	gk_enc_map(e, 1);
	if (c->cnf_type == GK_CNF_KEY) {
		gk_enc_uint(e, GK_CNF_COSE_KEY);
		gk_cose_key_encode(e, &c->cnf_key, true);
	} else {
		gk_enc_uint(e, GK_CNF_KID);
		gk_enc_bstr(e, c->cnf_key.kid, c->cnf_key.kid_len);
	}
}

/* Keys in deterministic order: 1..9 then 40. */
int gk_cwt_claims_encode(struct gk_enc *e, const struct gk_cwt_claims *c)
{
	gk_enc_map(e, claims_count(c));
	if (c->iss)
		gk_enc_uint(e, GK_CWT_ISS), gk_enc_tstr(e, c->iss);
	if (c->sub)
		gk_enc_uint(e, GK_CWT_SUB), gk_enc_tstr(e, c->sub);
	if (c->n_aud) {
		gk_enc_uint(e, GK_CWT_AUD);
		if (c->aud_is_array || c->n_aud > 1)
			gk_enc_array(e, c->n_aud);
		for (size_t i = 0; i < c->n_aud; i++)
			gk_enc_tstr(e, c->aud[i]);
	}
	if (c->has_exp)
		gk_enc_uint(e, GK_CWT_EXP), gk_enc_int(e, c->exp);
	if (c->has_nbf)
		gk_enc_uint(e, GK_CWT_NBF), gk_enc_int(e, c->nbf);
	if (c->has_iat)
		gk_enc_uint(e, GK_CWT_IAT), gk_enc_int(e, c->iat);
	if (c->cti)
		gk_enc_uint(e, GK_CWT_CTI), gk_enc_bstr(e, c->cti, c->cti_len);
	if (c->cnf_type != GK_CNF_NONE)
		encode_cnf(e, c);
	if (c->scope) {
		gk_enc_uint(e, GK_CWT_SCOPE);
		if (c->scope_is_text)
			gk_enc_tstrn(e, (const char *)c->scope, c->scope_len);
		else
			gk_enc_bstr(e, c->scope, c->scope_len);
	}
	if (c->has_exi)
		gk_enc_uint(e, GK_CWT_EXI), gk_enc_uint(e, c->exi);
	return e->err;
}

int gk_cwt_claims_set_aud(struct gk_cwt_claims *c, const char *aud)
{
	char *s;

	if (c->n_aud == GK_CWT_AUD_MAX)
		return -E2BIG;
	s = strdup(aud);
	if (!s)
		return -ENOMEM;
	c->aud[c->n_aud++] = s;
	return 0;
}

void gk_cwt_claims_free(struct gk_cwt_claims *c)
{
	free(c->iss);
	free(c->sub);
	for (size_t i = 0; i < c->n_aud; i++)
		free(c->aud[i]);
	free(c->cti);
	if (c->scope)
		gk_wipe(c->scope, c->scope_len);
	free(c->scope);
	gk_cose_key_wipe(&c->cnf_key);
	memset(c, 0, sizeof(*c));
}
