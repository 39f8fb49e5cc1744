// SPDX-License-Identifier: BSD-3-Clause
/* CWT protection layers (RFC 8392 §7): unwrap and verify, create, and keyless inspection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"

/* Tag 61 in preferred encoding; other encodings of it are refused as non-deterministic. */
static const uint8_t cwt_tag[2] = { 0xd8, 0x3d };

/* A nested layer must be a tagged COSE object (RFC 8392 §7.2 step 7). */
static bool is_cose_tag(uint8_t b)
{
	return b == 0xd0 || b == 0xd1 || b == 0xd2; /* tags 16, 17, 18 */
}

/*
 * An untagged top-level COSE object does not say what it is; the array
 * length tells Encrypt0 (3) from Mac0/Sign1 (4), and for 4 the algorithm
 * decides, which it must anyway (a MAC alg in a Sign1 is refused).
 */
static int parse_layer(const uint8_t *buf, size_t len, struct gk_cose_msg *m)
{
	int err, type;

	if (!len)
		return -GK_ETRUNCATED;
	if (is_cose_tag(buf[0]))
		return gk_cose_parse(buf, len, 0, m);
	if (buf[0] == 0x83)
		return gk_cose_parse(buf, len, GK_COSE_ENCRYPT0, m);
	err = gk_cose_parse(buf, len, GK_COSE_MAC0, m);
	if (err)
		return err;
	type = gk_cose_alg_type(m->alg);
	if (type == GK_COSE_SIGN1) {
		gk_cose_msg_free(m);
		return gk_cose_parse(buf, len, GK_COSE_SIGN1, m);
	}
	return 0;
}

static bool key_fits(const struct gk_cose_key *k, const struct gk_cose_msg *m)
{
	if (m->kid_len && k->kid_len && (m->kid_len != k->kid_len || memcmp(m->kid, k->kid, k->kid_len)))
		return false;
	return gk_cose_key_check_alg(k, m->alg) == 0;
}

static int open_with(const struct gk_cose_msg *m, const struct gk_cose_key *k,
		     const struct gk_cwt_verify_opts *o, uint8_t **out, size_t *out_len)
{
	int err;

	switch (m->type) {
	case GK_COSE_ENCRYPT0:
		return gk_cose_encrypt0_decrypt(m, k, o->external_aad, o->external_aad_len, out,
						out_len);
	case GK_COSE_MAC0:
		err = gk_cose_mac0_verify(m, k, o->external_aad, o->external_aad_len);
		break;
	case GK_COSE_SIGN1:
		err = gk_cose_sign1_verify(m, k, o->external_aad, o->external_aad_len);
		break;
	default:
		return -GK_ECOSE;
	}
	if (err)
		return err;
	*out = malloc(m->payload_len ? m->payload_len : 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, m->payload, m->payload_len);
	*out_len = m->payload_len;
	return 0;
}

/* Try every key that fits by kid and alg; the last failure is the reason. */
static int open_layer(const struct gk_cose_msg *m, const struct gk_cwt_verify_opts *o,
		      uint8_t **out, size_t *out_len)
{
	int err = -GK_EKEY;

	for (size_t i = 0; i < o->n_keys; i++) {
		if (!key_fits(&o->keys[i], m))
			continue;
		err = open_with(m, &o->keys[i], o, out, out_len);
		if (!err)
			return 0;
	}
	return err;
}

static void note_layer(struct gk_cwt_info *info, const struct gk_cose_msg *m)
{
	unsigned i = info->n_layers++;

	info->layer_type[i] = m->type;
	info->layer_alg[i] = m->alg;
	info->layer_kid_len[i] = m->kid && m->kid_len <= sizeof(info->layer_kid[i]) ? m->kid_len : 0;
	if (info->layer_kid_len[i])
		memcpy(info->layer_kid[i], m->kid, info->layer_kid_len[i]);
}

static const uint8_t *strip_tag61(const uint8_t *tok, size_t *len, bool *tagged)
{
	*tagged = *len >= sizeof(cwt_tag) && !memcmp(tok, cwt_tag, sizeof(cwt_tag));
	if (*tagged) {
		*len -= sizeof(cwt_tag);
		return tok + sizeof(cwt_tag);
	}
	return tok;
}

int gk_cwt_unprotect(const uint8_t *tok, size_t len, const struct gk_cwt_verify_opts *o,
		     uint8_t **claims, size_t *claims_len, struct gk_cwt_info *info)
{
	struct gk_cwt_info local;
	uint8_t *cur = NULL, *next;
	size_t cur_len, next_len;
	const uint8_t *p;
	int err;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	p = strip_tag61(tok, &len, &info->cwt_tag);
	cur_len = len;
	for (;;) {
		struct gk_cose_msg m;

		if (info->n_layers == GK_CWT_MAX_LAYERS) {
			err = -GK_EDEPTH;
			goto out_free;
		}
		err = parse_layer(p, cur_len, &m);
		if (err)
			goto out_free;
		note_layer(info, &m);
		err = open_layer(&m, o, &next, &next_len);
		gk_cose_msg_free(&m);
		if (err)
			goto out_free;
		if (cur) {
			gk_wipe(cur, cur_len);
			free(cur);
		}
		cur = next;
		cur_len = next_len;
		p = cur;
		if (!cur_len || !is_cose_tag(cur[0]))
			break;
	}
	*claims = cur;
	*claims_len = cur_len;
	return 0;

out_free:
	if (cur) {
		gk_wipe(cur, cur_len);
		free(cur);
	}
	return err;
}

static bool aud_matches(const struct gk_cwt_claims *c, const char *aud)
{
	for (size_t i = 0; i < c->n_aud; i++)
		if (!strcmp(c->aud[i], aud))
			return true;
	return false;
}

/* RFC 8392 §7.2 / RFC 9200 §5.10.1.1 order: issuer, expiry, not-before, audience. */
int gk_cwt_check_claims(const struct gk_cwt_claims *c, const struct gk_cwt_verify_opts *o)
{
	if (o->issuer && (!c->iss || strcmp(c->iss, o->issuer)))
		return -GK_EISSUER;
	if (o->require_exp && !c->has_exp)
		return -GK_EMISSING;
	/* RFC 7519 §4.1.4/§4.1.5: valid from nbf on, and only before exp. */
	if (c->has_exp && o->now >= c->exp && o->now - c->exp >= o->leeway)
		return -GK_EEXPIRED;
	if (c->has_nbf && o->now < c->nbf && c->nbf - o->now > o->leeway)
		return -GK_ENOTYETVALID;
	if (o->audience && !aud_matches(c, o->audience))
		return -GK_EAUDIENCE;
	return 0;
}

int gk_cwt_verify(const uint8_t *tok, size_t len, const struct gk_cwt_verify_opts *o,
		  struct gk_cwt_claims *out, struct gk_cwt_info *info)
{
	uint8_t *raw;
	size_t raw_len;
	int err;

	memset(out, 0, sizeof(*out));
	err = gk_cwt_unprotect(tok, len, o, &raw, &raw_len, info);
	if (err)
		return err;
	err = gk_cwt_claims_decode(raw, raw_len, out);
	gk_wipe(raw, raw_len);
	free(raw);
	if (err)
		return err;
	err = gk_cwt_check_claims(out, o);
	if (err)
		gk_cwt_claims_free(out);
	return err;
}

static int protect_layer(struct gk_enc *out, const struct gk_cwt_layer *l, const uint8_t *payload,
			 size_t len, struct gk_rng *rng)
{
	unsigned flags = l->flags | GK_COSE_TAGGED;

	switch (gk_cose_alg_type(l->alg)) {
	case GK_COSE_MAC0:
		return gk_cose_mac0_create(out, l->key, l->alg, payload, len, NULL, 0, flags, rng);
	case GK_COSE_SIGN1:
		return gk_cose_sign1_create(out, l->key, l->alg, payload, len, NULL, 0, flags, rng);
	case GK_COSE_ENCRYPT0:
		return gk_cose_encrypt0_create(out, l->key, l->alg, payload, len, NULL, 0, flags,
					       rng);
	default:
		return -GK_EALG;
	}
}

int gk_cwt_create(struct gk_enc *out, const struct gk_cwt_claims *c, const struct gk_cwt_layer *layers,
		  size_t n_layers, bool tag61, struct gk_rng *rng)
{
	struct gk_enc cur;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (!n_layers || n_layers > GK_CWT_MAX_LAYERS)
		return -EINVAL;
	gk_enc_init(&cur);
	err = gk_cwt_claims_encode(&cur, c);
	for (size_t i = 0; !err && i < n_layers; i++) {
		err = gk_enc_finish(&cur, &buf, &len);
		if (err)
			break;
		gk_enc_init(&cur);
		err = protect_layer(&cur, &layers[i], buf, len, rng);
		gk_wipe(buf, len);
		free(buf);
		buf = NULL;
	}
	if (!err && tag61)
		gk_enc_tag(out, GK_CWT_TAG);
	if (!err)
		err = gk_enc_raw(out, cur.buf, cur.len);
	gk_enc_free(&cur);
	return err;
}

/* Keyless walk: only an outermost Mac0/Sign1 exposes its claims (nested ones are not followed). */
int gk_cwt_inspect(const uint8_t *tok, size_t len, struct gk_cwt_info *info, cbor_item_t **claims)
{
	struct gk_cose_msg m;
	const uint8_t *p;
	int err;

	memset(info, 0, sizeof(*info));
	*claims = NULL;
	p = strip_tag61(tok, &len, &info->cwt_tag);
	err = parse_layer(p, len, &m);
	if (err)
		return err;
	note_layer(info, &m);
	if (m.type != GK_COSE_ENCRYPT0 && m.payload_len && !is_cose_tag(m.payload[0]))
		err = gk_cbor_decode(m.payload, m.payload_len, NULL, claims);
	gk_cose_msg_free(&m);
	return err;
}
