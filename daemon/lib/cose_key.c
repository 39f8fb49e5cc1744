// SPDX-License-Identifier: BSD-3-Clause
/* COSE_Key (RFC 9052 §7, RFC 9053 §7): strict decoding, deterministic encoding, alg policy. */
#include <errno.h>
#include <string.h>

#include "groupkey/cose.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

/* A byte string of exactly want bytes under label, or -GK_EKEY. */
static int gk_key_bstr_exact(const cbor_item_t *map, int64_t label, uint8_t *out, size_t want)
{
	const uint8_t *p;
	size_t n;

	if (gk_cbor_get_bstr(gk_cbor_map_get_int(map, label), &p, &n) || n != want)
		return -GK_EKEY;
	memcpy(out, p, n);
	return 0;
}

static int gk_key_common(const cbor_item_t *map, struct gk_cose_key *key)
{
	const cbor_item_t *it;
	const uint8_t *p;
	int64_t v;
	size_t n;

	/* A text kty is legal COSE but names nothing we implement. */
	if (gk_cbor_get_int(gk_cbor_map_get_int(map, GK_COSE_KEY_KTY), &v))
		return -GK_EKEY;
	if (v != GK_COSE_KTY_EC2 && v != GK_COSE_KTY_SYMMETRIC)
		return -GK_EKEY;
	key->kty = (int)v;

	it = gk_cbor_map_get_int(map, GK_COSE_KEY_KID);
	if (it) {
		if (gk_cbor_get_bstr(it, &p, &n) || n > sizeof(key->kid))
			return -GK_EKEY;
		if (n)
			memcpy(key->kid, p, n);
		key->kid_len = n;
	}

	it = gk_cbor_map_get_int(map, GK_COSE_KEY_ALG);
	if (it) {
		if (gk_cbor_get_int(it, &key->alg))
			return -GK_EALG;
		key->has_alg = true;
	}
	return 0;
}

static int gk_key_ec2(const cbor_item_t *map, struct gk_cose_key *key)
{
	const cbor_item_t *d;
	int64_t crv;
	int err;

	if (gk_cbor_get_int(gk_cbor_map_get_int(map, GK_COSE_KEY_CRV), &crv) ||
	    crv != GK_COSE_CRV_P256)
		return -GK_EKEY;
	key->crv = (int)crv;
	/* A bool y is the compressed form (RFC 9053 §7.1.1): refused, we never decompress. */
	err = gk_key_bstr_exact(map, GK_COSE_KEY_X, key->x, sizeof(key->x));
	if (!err)
		err = gk_key_bstr_exact(map, GK_COSE_KEY_Y, key->y, sizeof(key->y));
	if (err)
		return err;
	d = gk_cbor_map_get_int(map, GK_COSE_KEY_D);
	if (d) {
		err = gk_key_bstr_exact(map, GK_COSE_KEY_D, key->d, sizeof(key->d));
		if (err)
			return err;
		key->has_d = true;
	}
	return gk_p256_check_key(key->x, key->y, key->has_d ? key->d : NULL);
}

static int gk_key_symmetric(const cbor_item_t *map, struct gk_cose_key *key)
{
	const uint8_t *p;
	size_t n;

	if (gk_cbor_get_bstr(gk_cbor_map_get_int(map, GK_COSE_KEY_K), &p, &n))
		return -GK_EKEY;
	if (n != 16 && n != 32)
		return -GK_EKEY;
	memcpy(key->k, p, n);
	key->k_len = n;
	return 0;
}

int gk_cose_key_from_item(const cbor_item_t *map, struct gk_cose_key *key)
{
	int err;

	*key = (struct gk_cose_key){ 0 };
	if (!map || !cbor_isa_map(map))
		return -GK_EKEY;
	err = gk_key_common(map, key);
	if (!err)
		err = key->kty == GK_COSE_KTY_EC2 ? gk_key_ec2(map, key) :
						    gk_key_symmetric(map, key);
	if (err)
		gk_cose_key_wipe(key);
	return err;
}

int gk_cose_key_decode(const uint8_t *buf, size_t len, struct gk_cose_key *key)
{
	cbor_item_t *root;
	int err;

	*key = (struct gk_cose_key){ 0 };
	err = gk_cbor_decode(buf, len, NULL, &root);
	if (err)
		return err;
	err = gk_cose_key_from_item(root, key);
	cbor_decref(&root);
	return err;
}

static size_t gk_key_entries(const struct gk_cose_key *key, bool with_d)
{
	size_t n = 1 + (key->kid_len > 0) + key->has_alg;

	if (key->kty == GK_COSE_KTY_SYMMETRIC)
		return n + 1;
	return n + 3 + with_d;
}

int gk_cose_key_encode(struct gk_enc *e, const struct gk_cose_key *key, bool with_private)
{
	bool with_d = with_private && key->kty == GK_COSE_KTY_EC2 && key->has_d;

	if (e->err)
		return e->err;
	if ((key->kty != GK_COSE_KTY_EC2 && key->kty != GK_COSE_KTY_SYMMETRIC) ||
	    (key->kty == GK_COSE_KTY_SYMMETRIC && !with_private) ||
	    key->kid_len > sizeof(key->kid) || key->k_len > sizeof(key->k)) {
		e->err = -EINVAL;
		return e->err;
	}
	gk_enc_map(e, gk_key_entries(key, with_d));
	gk_enc_uint(e, GK_COSE_KEY_KTY);
	gk_enc_uint(e, (uint64_t)key->kty);
	if (key->kid_len) {
		gk_enc_uint(e, GK_COSE_KEY_KID);
		gk_enc_bstr(e, key->kid, key->kid_len);
	}
	if (key->has_alg) {
		gk_enc_uint(e, GK_COSE_KEY_ALG);
		gk_enc_int(e, key->alg);
	}
	if (key->kty == GK_COSE_KTY_SYMMETRIC) {
		gk_enc_int(e, GK_COSE_KEY_K);
		return gk_enc_bstr(e, key->k, key->k_len);
	}
	gk_enc_int(e, GK_COSE_KEY_CRV);
	gk_enc_int(e, key->crv);
	gk_enc_int(e, GK_COSE_KEY_X);
	gk_enc_bstr(e, key->x, sizeof(key->x));
	gk_enc_int(e, GK_COSE_KEY_Y);
	gk_enc_bstr(e, key->y, sizeof(key->y));
	if (with_d) {
		gk_enc_int(e, GK_COSE_KEY_D);
		gk_enc_bstr(e, key->d, sizeof(key->d));
	}
	return e->err;
}

void gk_cose_key_wipe(struct gk_cose_key *key)
{
	gk_wipe(key, sizeof(*key));
}

int gk_cose_key_check_alg(const struct gk_cose_key *key, int64_t alg)
{
	bool ok;

	if (key->has_alg && key->alg != alg)
		return -GK_EALG;
	switch (alg) {
	case GK_COSE_ALG_ES256:
		ok = key->kty == GK_COSE_KTY_EC2 && key->crv == GK_COSE_CRV_P256;
		break;
	case GK_COSE_ALG_HMAC256_64:
	case GK_COSE_ALG_HMAC256_256:
		ok = key->kty == GK_COSE_KTY_SYMMETRIC && key->k_len >= 16;
		break;
	case GK_COSE_ALG_AES_CCM_16_64_128:
	case GK_COSE_ALG_AES_CCM_16_128_128:
		ok = key->kty == GK_COSE_KTY_SYMMETRIC && key->k_len == 16;
		break;
	default:
		ok = false;
		break;
	}
	return ok ? 0 : -GK_EALG;
}
