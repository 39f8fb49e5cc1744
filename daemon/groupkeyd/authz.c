// SPDX-License-Identifier: BSD-3-Clause
/* KDC authorization: token validation, /authz-info, PSK identity resolution, access checks. */

/*
 * Decisions, where RFC 9200 / 9202 / 9594 leave a choice:
 *
 * - Trust: a token is opened with one verifier at a time, each a key bound
 *   to an issuer: cfg->as_kdc_key with cfg->as_issuer when the embedded AS
 *   is enabled, then every [trusted-as] key with its issuer. The iss claim
 *   must equal the issuer bound to the key that opened the token (4.01),
 *   so a trusted AS cannot issue in another's name. A [trusted-as] alg is
 *   pinned onto its key, so a token cannot choose a weaker use of it.
 * - Checks and codes, in RFC 9200 §5.10.1.1 order: not a COSE/CWT
 *   structure 4.00; no verifier opens it 4.01; claims not decodable 4.00;
 *   a symmetric cnf key under a Mac0/Sign1 outer layer (it travelled in
 *   clear, so it proves nothing) 4.01; iss 4.01; no exp, exp reached
 *   (now >= exp, RFC 8392 §3.1.4) or nbf in the future 4.01; aud not
 *   cfg->kdc_audience 4.03; scope absent, a text string, undecodable, an
 *   unknown group or a role the group does not offer 4.00; no symmetric
 *   COSE_Key with a kid in cnf 4.00. exi-only tokens are refused (no exp).
 * - /authz-info errors are bare response codes (RFC 9200 defines no
 *   error payload for the RS); the reason goes to the log.
 * - /authz-info accepts Content-Format 61 (the token) and 19 ({1: token,
 *   45: null}); anything else, no Content-Format included, is 4.15. The
 *   2.01 answer is always ct 19 {46: N_S} with 8 random bytes of N_S, plus
 *   45 sign_info when asked for.
 * - sign_info (RFC 9594 §3.3.1): one entry for all groups of the token,
 *   id the group name (an array of names for several groups), sign_alg
 *   ES256 (-7), sign_parameters [[2], [2, 1]] (the algorithm's key type
 *   EC2; the key type's EC2 + P-256), sign_key_parameters [2, 1] (EC2,
 *   P-256), cred_fmt 14 (kccs: a CWT Claims Set holding a COSE_Key,
 *   RFC 9528), the smallest credential that carries a P-256 key.
 * - PSK identities, in this order: the cnf map {8: {1: {1: 4, 2: kid}}}
 *   (exactly that shape) names a stored token, which must still validate;
 *   any other CBOR is tried as a whole token, stored on success (without
 *   N_S, RFC 9594 §3.3.2 leaves N_S to the profile there); and with the AS
 *   enabled, the exact id of a [client]. Nothing else resolves.
 * - Access checks read the token from the store on every request, so a
 *   superseding or purged token takes effect at once; the token's PoP key
 *   must still be the session's PSK (a newer token under the same kid with
 *   another key does not authorize the old session). A token found expired
 *   is deleted (RFC 9202 §3.4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "authz.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

#define GKD_NS_LEN 8

/* sign_info values (see above): COSE alg, key type, curve, credential format. */
enum { GKD_SIGN_ALG = GK_COSE_ALG_ES256, GKD_SIGN_KTY = GK_COSE_KTY_EC2,
       GKD_SIGN_CRV = GK_COSE_CRV_P256, GKD_CRED_FMT_KCCS = 14 };

/*
 * The input is already bounded by cfg->max_payload; strings may exceed
 * GKD_TOKEN_MAX here so that an oversized token is told apart (4.13) from
 * malformed input (4.00).
 */
static const struct gk_cbor_limits gkd_authz_limits = {
	.max_input = 65536,
	.max_depth = 8,
	.max_items = 512,
	.max_str_len = 65536,
};

/* A key and the issuer it speaks for. */
struct gkd_verifier {
	struct gk_cose_key key;
	const char *issuer;
};

static size_t gkd_verifiers(const struct gkd_config *cfg, struct gkd_verifier *v, size_t max)
{
	size_t n = 0;

	if (cfg->as_enabled && cfg->as_kdc_key_set && n < max) {
		v[n].key = cfg->as_kdc_key;
		v[n].issuer = cfg->as_issuer;
		if (!v[n].key.has_alg) {
			v[n].key.has_alg = true;
			v[n].key.alg = GK_COSE_ALG_AES_CCM_16_64_128;
		}
		n++;
	}
	for (size_t i = 0; i < cfg->n_trusted_as && n < max; i++, n++) {
		v[n].key = cfg->trusted_as[i].key;
		v[n].issuer = cfg->trusted_as[i].issuer;
		if (!v[n].key.has_alg && cfg->trusted_as[i].alg) {
			v[n].key.has_alg = true;
			v[n].key.alg = cfg->trusted_as[i].alg;
		}
	}
	return n;
}

/* Find the verifier that opens the token; *claims is the claims set (wipe, free). */
static int gkd_open(const struct gkd_config *cfg, const uint8_t *tok, size_t len,
		    uint8_t **claims, size_t *claims_len, struct gk_cwt_info *info,
		    const char **issuer)
{
	struct gkd_verifier v[1 + GKD_MAX_TRUSTED_AS];
	size_t n = gkd_verifiers(cfg, v, GK_ARRAY_SIZE(v));
	int err = -GK_EKEY;

	for (size_t i = 0; i < n; i++) {
		struct gk_cwt_verify_opts o = { .keys = &v[i].key, .n_keys = 1 };

		err = gk_cwt_unprotect(tok, len, &o, claims, claims_len, info);
		if (!err) {
			*issuer = v[i].issuer;
			break;
		}
		if (err == -ENOMEM)
			break;
	}
	gk_wipe(v, sizeof(v));
	return err;
}

static bool gkd_aud_is(const struct gk_cwt_claims *c, const char *aud)
{
	for (size_t i = 0; i < c->n_aud; i++)
		if (!strcmp(c->aud[i], aud))
			return true;
	return false;
}

/* Issuer, time and audience, in RFC 9200 §5.10.1.1 order. */
static int gkd_check_claims(const struct gkd_config *cfg, const struct gk_cwt_claims *c,
			    const char *issuer, int64_t now, const char **why)
{
	if (!c->iss || strcmp(c->iss, issuer)) {
		*why = "issuer is not the one bound to the key";
		return GKD_UNAUTHORIZED;
	}
	if (!c->has_exp) {
		*why = "token has no exp";
		return GKD_UNAUTHORIZED;
	}
	if (now >= c->exp) {
		*why = "token expired";
		return GKD_UNAUTHORIZED;
	}
	if (c->has_nbf && now < c->nbf) {
		*why = "token not yet valid";
		return GKD_UNAUTHORIZED;
	}
	if (!gkd_aud_is(c, cfg->kdc_audience)) {
		*why = "token is for another audience";
		return GKD_FORBIDDEN;
	}
	return 0;
}

static int gkd_check_scope(const struct gkd_config *cfg, const struct gk_cwt_claims *c,
			   struct gk_scope *s, const char **why)
{
	if (!c->scope || c->scope_is_text) {
		*why = "token has no byte-string scope";
		return GKD_BAD_REQUEST;
	}
	if (gk_scope_decode(c->scope, c->scope_len, s)) {
		*why = "token scope is malformed";
		return GKD_BAD_REQUEST;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct gkd_group_conf *g = gkd_conf_group(cfg, s->e[i].group);

		if (!g) {
			*why = "token scope names an unknown group";
			return GKD_BAD_REQUEST;
		}
		if (s->e[i].roles & ~g->roles) {
			*why = "token scope names a role the group does not offer";
			return GKD_BAD_REQUEST;
		}
	}
	return 0;
}

static int gkd_take_pop(struct gkd_token *t, const char **why)
{
	const struct gk_cose_key *k = &t->claims.cnf_key;

	if (t->claims.cnf_type != GK_CNF_KEY || k->kty != GK_COSE_KTY_SYMMETRIC) {
		*why = "token has no symmetric PoP key";
		return GKD_BAD_REQUEST;
	}
	if (!k->kid_len || k->kid_len > sizeof(t->kid) || k->k_len > sizeof(t->pop_key)) {
		*why = "token PoP key has no usable kid";
		return GKD_BAD_REQUEST;
	}
	memcpy(t->kid, k->kid, k->kid_len);
	t->kid_len = k->kid_len;
	memcpy(t->pop_key, k->k, k->k_len);
	t->pop_key_len = k->k_len;
	return 0;
}

static int gkd_validate_claims(struct gkd_authz *az, struct gkd_token *out,
			       const struct gk_cwt_info *info, const char *issuer, int64_t now,
			       const char **why)
{
	const struct gk_cwt_claims *c = &out->claims;
	int res;

	if (c->cnf_type == GK_CNF_KEY && c->cnf_key.kty == GK_COSE_KTY_SYMMETRIC &&
	    info->layer_type[0] != GK_COSE_ENCRYPT0) {
		*why = "symmetric PoP key sent in clear";
		return GKD_UNAUTHORIZED;
	}
	res = gkd_check_claims(az->cfg, c, issuer, now, why);
	if (!res)
		res = gkd_check_scope(az->cfg, c, &out->scope, why);
	if (!res)
		res = gkd_take_pop(out, why);
	return res;
}

int gkd_token_validate(struct gkd_authz *az, const uint8_t *tok, size_t len, int64_t now,
		       struct gkd_token *out, const char **why)
{
	struct gk_cwt_info info;
	const char *issuer = NULL, *dummy;
	cbor_item_t *peek = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int err, res;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(out, 0, sizeof(*out));
	/* A keyless look first tells "not a token" (4.00) from "not ours" (4.01). */
	err = gk_cwt_inspect(tok, len, &info, &peek);
	if (peek)
		cbor_decref(&peek);
	if (err == -ENOMEM)
		return err;
	if (err) {
		*why = "not a COSE-protected CWT";
		return GKD_BAD_REQUEST;
	}
	err = gkd_open(az->cfg, tok, len, &raw, &raw_len, &info, &issuer);
	if (err == -ENOMEM)
		return err;
	if (err) {
		pr_debug("authz: no trusted key opens the token: %s", gk_strerror(err));
		*why = "token not protected by a trusted AS";
		return GKD_UNAUTHORIZED;
	}
	err = gk_cwt_claims_decode(raw, raw_len, &out->claims);
	gk_wipe(raw, raw_len);
	free(raw);
	if (err == -ENOMEM)
		return err;
	if (err) {
		*why = "token claims are malformed";
		return GKD_BAD_REQUEST;
	}
	res = gkd_validate_claims(az, out, &info, issuer, now, why);
	if (res)
		gkd_token_wipe(out);
	return res;
}

void gkd_token_wipe(struct gkd_token *t)
{
	gk_cwt_claims_free(&t->claims);
	gk_wipe(t, sizeof(*t));
}

/* {1: token, 45: null}; the token borrows from *root. */
static int gkd_authz_unwrap(const uint8_t *payload, size_t len, cbor_item_t **root,
			    const uint8_t **tok, size_t *tok_len, bool *sign_info)
{
	const cbor_item_t *si;
	int err;

	err = gk_cbor_decode(payload, len, &gkd_authz_limits, root);
	if (err)
		return err == -ENOMEM ? err : GKD_BAD_REQUEST;
	if (gk_cbor_get_bstr(gk_cbor_map_get_int(*root, GKD_ACE_ACCESS_TOKEN), tok, tok_len))
		return GKD_BAD_REQUEST;
	si = gk_cbor_map_get_int(*root, GKD_ACE_SIGN_INFO);
	if (si && !gk_cbor_is_null(si))
		return GKD_BAD_REQUEST;
	*sign_info = si != NULL;
	return 0;
}

/* [[id, -7, [[2], [2, 1]], [2, 1], 14]] with id a name or an array of names. */
static void gkd_encode_sign_info(struct gk_enc *e, const struct gk_scope *s)
{
	gk_enc_array(e, 1);
	gk_enc_array(e, 5);
	if (s->n > 1)
		gk_enc_array(e, s->n);
	for (size_t i = 0; i < s->n; i++)
		gk_enc_tstr(e, s->e[i].group);
	gk_enc_int(e, GKD_SIGN_ALG);
	gk_enc_array(e, 2);
	gk_enc_array(e, 1);
	gk_enc_uint(e, GKD_SIGN_KTY);
	gk_enc_array(e, 2);
	gk_enc_uint(e, GKD_SIGN_KTY);
	gk_enc_uint(e, GKD_SIGN_CRV);
	gk_enc_array(e, 2);
	gk_enc_uint(e, GKD_SIGN_KTY);
	gk_enc_uint(e, GKD_SIGN_CRV);
	gk_enc_uint(e, GKD_CRED_FMT_KCCS);
}

static int gkd_authz_store(struct gkd_authz *az, const struct gkd_token *t, const uint8_t *tok,
			   size_t tok_len, const uint8_t *ns, size_t ns_len, int64_t now)
{
	struct gkd_token_rec *rec = calloc(1, sizeof(*rec));
	int err;

	if (!rec)
		return -ENOMEM;
	memcpy(rec->kid, t->kid, t->kid_len);
	rec->kid_len = t->kid_len;
	memcpy(rec->token, tok, tok_len);
	rec->token_len = tok_len;
	rec->exp = t->claims.exp;
	rec->received = now;
	if (ns_len)
		memcpy(rec->ns, ns, ns_len);
	rec->ns_len = ns_len;
	err = gkd_store_token_put(az->store, rec);
	free(rec);
	return err;
}

/* Deterministic key order: 45, 46. */
static int gkd_authz_accept(struct gkd_authz *az, const struct gkd_token *t, const uint8_t *tok,
			    size_t tok_len, bool sign_info, int64_t now, struct gkd_reply *rep)
{
	uint8_t ns[GKD_NS_LEN];
	int err;

	err = gk_random(az->rng, ns, sizeof(ns));
	if (!err)
		err = gkd_authz_store(az, t, tok, tok_len, ns, sizeof(ns), now);
	if (err)
		return err;
	gkd_reply_status(rep, GKD_CREATED);
	rep->content_format = GKD_CF_ACE_CBOR;
	gk_enc_map(&rep->body, 1 + sign_info);
	if (sign_info) {
		gk_enc_uint(&rep->body, GKD_ACE_SIGN_INFO);
		gkd_encode_sign_info(&rep->body, &t->scope);
	}
	gk_enc_uint(&rep->body, GKD_ACE_KDCCHALLENGE);
	gk_enc_bstr(&rep->body, ns, sizeof(ns));
	return rep->body.err;
}

static int gkd_authz_refuse(struct gkd_reply *rep, int code, const char *why)
{
	pr_info("authz: /authz-info refused with %d.%02d: %s", code / 100, code % 100, why);
	gkd_reply_status(rep, code);
	return 0;
}

static int gkd_authz_internal(struct gkd_reply *rep, int err)
{
	pr_err("authz: /authz-info failed: %s", gk_strerror(err));
	gkd_reply_status(rep, GKD_INTERNAL_ERROR);
	return err;
}

static int gkd_authz_token(struct gkd_authz *az, const uint8_t *tok, size_t tok_len,
			   bool sign_info, int64_t now, struct gkd_reply *rep)
{
	struct gkd_token t;
	const char *why = NULL;
	int res;

	if (tok_len > GKD_TOKEN_MAX)
		return gkd_authz_refuse(rep, GKD_REQUEST_TOO_LARGE, "token too large to store");
	res = gkd_token_validate(az, tok, tok_len, now, &t, &why);
	if (res < 0)
		return gkd_authz_internal(rep, res);
	if (res)
		return gkd_authz_refuse(rep, res, why);
	res = gkd_authz_accept(az, &t, tok, tok_len, sign_info, now, rep);
	if (!res)
		pr_info("authz: token for %zu group(s) stored, expires at %lld", t.scope.n,
			(long long)t.claims.exp);
	gkd_token_wipe(&t);
	return res ? gkd_authz_internal(rep, res) : 0;
}

int gkd_authz_info(struct gkd_authz *az, int content_format, const uint8_t *payload, size_t len,
		   int64_t now, struct gkd_reply *rep)
{
	cbor_item_t *root = NULL;
	const uint8_t *tok = payload;
	size_t tok_len = len;
	bool sign_info = false;
	int res;

	if (content_format != GKD_CF_CWT && content_format != GKD_CF_ACE_CBOR)
		return gkd_authz_refuse(rep, GKD_UNSUPPORTED_FORMAT, "unsupported Content-Format");
	if (len > az->cfg->max_payload)
		return gkd_authz_refuse(rep, GKD_REQUEST_TOO_LARGE, "payload too large");
	if (content_format == GKD_CF_ACE_CBOR) {
		res = gkd_authz_unwrap(payload, len, &root, &tok, &tok_len, &sign_info);
		if (res) {
			if (root)
				cbor_decref(&root);
			return res < 0 ? gkd_authz_internal(rep, res) :
					 gkd_authz_refuse(rep, res, "not an ace+cbor token map");
		}
	}
	res = gkd_authz_token(az, tok, tok_len, sign_info, now, rep);
	if (root)
		cbor_decref(&root);
	return res;
}

static void gkd_peer_token(struct gkd_peer *peer, const struct gkd_token *t)
{
	peer->type = GKD_PEER_TOKEN;
	memcpy(peer->kid, t->kid, t->kid_len);
	peer->kid_len = t->kid_len;
	memcpy(peer->psk, t->pop_key, t->pop_key_len);
	peer->psk_len = t->pop_key_len;
}

/* {8: {1: {1: 4, 2: kid}}} exactly; the kid borrows from it. */
static bool gkd_kid_identity(const cbor_item_t *root, const uint8_t **kid, size_t *kid_len)
{
	const cbor_item_t *cnf, *key;
	uint64_t kty;

	if (!cbor_isa_map(root) || cbor_map_size(root) != 1)
		return false;
	cnf = gk_cbor_map_get_int(root, GK_CWT_CNF);
	if (!cnf || !cbor_isa_map(cnf) || cbor_map_size(cnf) != 1)
		return false;
	key = gk_cbor_map_get_int(cnf, GK_CNF_COSE_KEY);
	if (!key || !cbor_isa_map(key) || cbor_map_size(key) != 2)
		return false;
	if (gk_cbor_get_uint(gk_cbor_map_get_int(key, GK_COSE_KEY_KTY), &kty) ||
	    kty != GK_COSE_KTY_SYMMETRIC)
		return false;
	return !gk_cbor_get_bstr(gk_cbor_map_get_int(key, GK_COSE_KEY_KID), kid, kid_len) &&
	       *kid_len && *kid_len <= GKD_KID_MAX;
}

/* The stored token of kid, validated again now; 0, a positive reply code or -errno. */
static int gkd_stored_token(struct gkd_authz *az, const uint8_t *kid, size_t kid_len, int64_t now,
			    struct gkd_token *t, const char **why)
{
	struct gkd_token_rec *rec = calloc(1, sizeof(*rec));
	int res;

	memset(t, 0, sizeof(*t));
	if (!rec)
		return -ENOMEM;
	res = gkd_store_token_get(az->store, kid, kid_len, rec);
	if (res == -ENOENT) {
		*why = "no token for this kid";
		res = GKD_UNAUTHORIZED;
	} else if (!res) {
		res = gkd_token_validate(az, rec->token, rec->token_len, now, t, why);
		/* Whatever no longer validates authorizes nothing (RFC 9202 §3.4). */
		if (res > 0)
			res = GKD_UNAUTHORIZED;
		if (res > 0 && now >= rec->exp)
			gkd_store_token_delete(az->store, kid, kid_len);
		if (!res && (t->kid_len != kid_len || memcmp(t->kid, kid, kid_len))) {
			gkd_token_wipe(t);
			*why = "stored token has another kid";
			res = GKD_UNAUTHORIZED;
		}
	}
	free(rec);
	return res;
}

static int gkd_resolve_kid(struct gkd_authz *az, const uint8_t *kid, size_t kid_len, int64_t now,
			   struct gkd_peer *peer)
{
	struct gkd_token t;
	const char *why = NULL;
	int res = gkd_stored_token(az, kid, kid_len, now, &t, &why);

	if (res > 0) {
		pr_info("authz: PSK identity refused: %s", why);
		return -ENOENT;
	}
	if (res)
		return res;
	gkd_peer_token(peer, &t);
	gkd_token_wipe(&t);
	return 0;
}

/* RFC 9202 §3.3 way 2: the identity is the token; validate and store it. 1: not a token. */
static int gkd_resolve_token(struct gkd_authz *az, const uint8_t *tok, size_t len, int64_t now,
			     struct gkd_peer *peer)
{
	struct gkd_token t;
	const char *why = NULL;
	int res;

	if (len > GKD_TOKEN_MAX)
		return 1;
	res = gkd_token_validate(az, tok, len, now, &t, &why);
	if (res > 0) {
		pr_debug("authz: PSK identity is no valid token: %s", why);
		return 1;
	}
	if (res)
		return res;
	res = gkd_authz_store(az, &t, tok, len, NULL, 0, now);
	if (!res) {
		gkd_peer_token(peer, &t);
		pr_info("authz: token received as PSK identity stored");
	}
	gkd_token_wipe(&t);
	return res;
}

static int gkd_resolve_client(struct gkd_authz *az, const uint8_t *id, size_t id_len,
			      struct gkd_peer *peer)
{
	const struct gkd_client_conf *c;

	if (!az->cfg->as_enabled)
		return -ENOENT;
	c = gkd_conf_client(az->cfg, (const char *)id, id_len);
	if (!c || c->psk_len > sizeof(peer->psk))
		return -ENOENT;
	peer->type = GKD_PEER_AS_CLIENT;
	peer->client = c;
	memcpy(peer->psk, c->psk, c->psk_len);
	peer->psk_len = c->psk_len;
	return 0;
}

int gkd_authz_resolve_identity(struct gkd_authz *az, const uint8_t *id, size_t id_len,
			       int64_t now, struct gkd_peer *peer)
{
	cbor_item_t *root = NULL;
	const uint8_t *kid;
	size_t kid_len;
	int res;

	memset(peer, 0, sizeof(*peer));
	if (!id || !id_len)
		return -ENOENT;
	res = gk_cbor_decode(id, id_len, &gkd_authz_limits, &root);
	if (res == -ENOMEM)
		return res;
	if (!res) {
		if (gkd_kid_identity(root, &kid, &kid_len))
			res = gkd_resolve_kid(az, kid, kid_len, now, peer);
		else
			res = gkd_resolve_token(az, id, id_len, now, peer);
		cbor_decref(&root);
		if (res <= 0)
			return res;
	}
	res = gkd_resolve_client(az, id, id_len, peer);
	if (res)
		pr_info("authz: unknown PSK identity (%zu bytes)", id_len);
	return res;
}

int gkd_authz_check(struct gkd_authz *az, const struct gkd_peer *peer, const char *group,
		    int64_t now, struct gkd_token *tok)
{
	const char *why = NULL;
	int res;

	memset(tok, 0, sizeof(*tok));
	if (!peer || peer->type != GKD_PEER_TOKEN) {
		pr_debug("authz: request without a token");
		return GKD_UNAUTHORIZED;
	}
	res = gkd_stored_token(az, peer->kid, peer->kid_len, now, tok, &why);
	if (res > 0)
		pr_info("authz: request refused: %s", why);
	if (res)
		return res;
	if (tok->pop_key_len != peer->psk_len ||
	    gk_memcmp_ct(tok->pop_key, peer->psk, peer->psk_len)) {
		pr_info("authz: request refused: token was superseded under another PoP key");
		res = GKD_UNAUTHORIZED;
	} else if (group && !gk_scope_find(&tok->scope, group)) {
		pr_info("authz: request refused: group %s is outside the token's scope", group);
		res = GKD_FORBIDDEN;
	}
	if (res)
		gkd_token_wipe(tok);
	return res;
}

int gkd_authz_purge(struct gkd_authz *az, int64_t now, unsigned *purged)
{
	return gkd_store_token_purge(az->store, now, purged);
}
