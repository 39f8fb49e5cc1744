// SPDX-License-Identifier: BSD-3-Clause
/* The embedded Authorization Server: POST /token (RFC 9200 §5.8) issuing RFC 9594 PoP tokens. */

/*
 * Policy, where RFC 9200 leaves a choice:
 *
 * - Content-Format other than application/ace+cbor (19), or none: 4.15
 *   (RFC 7252 §5.10.3), with an invalid_request error map. Above
 *   cfg->max_payload: 4.13. Not strict CBOR, or not a map: 4.00
 *   invalid_request.
 * - Client authentication is the DTLS-PSK handshake: a client_id that is no
 *   [client] (or no DTLS at all) is 4.01 invalid_client, checked before the
 *   payload is parsed. A client_id (24) parameter naming anyone else than
 *   the authenticated identity is also 4.01 invalid_client: it is a failed
 *   client authentication in Table 3's sense.
 * - grant_type (33): absent means client_credentials (2); another integer is
 *   4.00 unsupported_grant_type; another type 4.00 invalid_request.
 * - audience (5): when present it must be a text string equal to
 *   cfg->kdc_audience, otherwise 4.00 invalid_request ("unknown audience"):
 *   Table 3 has no invalid_target, and invalid_scope would blame the scope
 *   for a wrong parameter next to it.
 * - req_cnf (4): we only issue symmetric PoP keys of our own making, so a
 *   client-chosen key is 4.00 unsupported_pop_key. ace_profile (38) may be
 *   null (RFC 9200 §5.8.1) or coap_dtls (1); another profile is 4.00
 *   incompatible_ace_profiles; the response always names the profile.
 * - scope (9): a byte string per RFC 9594 §3.1 (AIF or textual). A text
 *   string is a legal ACE scope but not one this KDC understands: 4.00
 *   invalid_scope, like an undecodable byte string; another type 4.00
 *   invalid_request. A group that is not configured: invalid_scope for the
 *   whole request.
 * - Roles beyond what the client may have: the AS grants the allowed subset
 *   (requested & client's allowed & group's roles), drops entries left
 *   empty and returns the granted scope (9) in the response because it
 *   differs (RFC 9200 §5.8.2). Nothing left: 4.00 invalid_scope.
 * - No scope: the client's whole allowed scope is the default (RFC 9200
 *   §5.8.1 lets the AS have one), returned in the response (9) so the
 *   client learns what it holds. A client with an empty allowed scope is
 *   4.00 unauthorized_client: it may obtain no token at all.
 * - The token's scope claim is always in AIF form (what the KDC reads
 *   first); the response's scope (9) keeps the form of the request.
 *
 * The token: CWT {iss, aud, exp, iat, cti, cnf {COSE_Key}, scope} in one
 * tagged COSE_Encrypt0 (AES-CCM-16-64-128) under cfg->as_kdc_key, with its
 * kid in the unprotected header; no CWT tag 61. cti is the 8-byte
 * big-endian value of the store's persistent "cti" counter, so it is never
 * reused, not even across restarts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

/*
 * libcoap 4.3.1's GnuTLS backend handles PSK identities as C strings
 * (strlen), so an identity with a 0x00 byte is cut short and the
 * handshake fails. The kid identity {8: {1: {1: 4, 2: kid}}} is NUL-free
 * when the kid is, and the token-as-identity way (RFC 9202 §3.3 way 2)
 * needs the whole token NUL-free. The token's fixed parts are (for the
 * usual sizes) NUL-free and its IV and ciphertext are uniformly random, so
 * re-encrypting under a fresh IV until no 0x00 byte is left succeeds after
 * about two attempts for a 150-byte token; the bound only stops a loop on
 * a token whose fixed part has a NUL (a kid with 0x00 in as_kdc_key, a
 * ciphertext length of 256), which is then issued anyway: way 1 works.
 */
#define GKD_AS_NUL_ATTEMPTS 64

static const struct gk_cbor_limits gkd_as_limits = {
	.max_input = 65536, /* the request is already bounded by cfg->max_payload */
	.max_depth = 6,
	.max_items = 256,
	.max_str_len = 4096,
};

struct gkd_as_req {
	const struct gkd_client_conf *client;
	struct gk_scope want;
	bool scope_given;
	struct gk_scope grant;
};

/* 0: fine; > 0: an RFC 9200 error code (and *why); < 0: internal error. */
typedef int gkd_as_check_fn(const struct gkd_as *as, const cbor_item_t *req,
			    struct gkd_as_req *r, const char **why);

static int gkd_as_refuse(struct gkd_reply *rep, const char *client, int ace_error,
			 const char *why)
{
	int code = ace_error == GKD_ACE_INVALID_CLIENT ? GKD_UNAUTHORIZED : GKD_BAD_REQUEST;

	pr_info("as: /token refused for client %s: %s (error %d)", client ? client : "(none)",
		why, ace_error);
	return gkd_reply_ace_error(rep, code, ace_error, why);
}

static int gkd_as_check_client_id(const struct gkd_as *as, const cbor_item_t *req,
				  struct gkd_as_req *r, const char **why)
{
	const cbor_item_t *it = gk_cbor_map_get_int(req, GKD_ACE_CLIENT_ID);
	const char *s;
	size_t n;

	if (!it)
		return 0;
	if (gk_cbor_get_tstr(it, &s, &n)) {
		*why = "client_id is not a text string";
		return GKD_ACE_INVALID_REQUEST;
	}
	if (n != strlen(r->client->id) || memcmp(s, r->client->id, n)) {
		*why = "client_id does not match the authenticated client";
		return GKD_ACE_INVALID_CLIENT;
	}
	return 0;
}

static int gkd_as_check_grant(const struct gkd_as *as, const cbor_item_t *req,
			      struct gkd_as_req *r, const char **why)
{
	const cbor_item_t *it = gk_cbor_map_get_int(req, GKD_ACE_GRANT_TYPE);
	uint64_t v;

	if (!it)
		return 0;
	if (gk_cbor_get_uint(it, &v)) {
		*why = "grant_type is not an unsigned integer";
		return GKD_ACE_INVALID_REQUEST;
	}
	if (v != GKD_GRANT_CLIENT_CREDENTIALS) {
		*why = "only the client_credentials grant is supported";
		return GKD_ACE_UNSUPPORTED_GRANT_TYPE;
	}
	return 0;
}

static int gkd_as_check_audience(const struct gkd_as *as, const cbor_item_t *req,
				 struct gkd_as_req *r, const char **why)
{
	const cbor_item_t *it = gk_cbor_map_get_int(req, GKD_ACE_AUDIENCE);
	const char *aud = as->cfg->kdc_audience;
	const char *s;
	size_t n;

	if (!it)
		return 0;
	if (gk_cbor_get_tstr(it, &s, &n)) {
		*why = "audience is not a text string";
		return GKD_ACE_INVALID_REQUEST;
	}
	if (n != strlen(aud) || memcmp(s, aud, n)) {
		*why = "unknown audience";
		return GKD_ACE_INVALID_REQUEST;
	}
	return 0;
}

static int gkd_as_check_pop(const struct gkd_as *as, const cbor_item_t *req,
			    struct gkd_as_req *r, const char **why)
{
	const cbor_item_t *prof = gk_cbor_map_get_int(req, GKD_ACE_PROFILE);
	uint64_t v;

	if (gk_cbor_map_get_int(req, GKD_ACE_REQ_CNF)) {
		*why = "only AS-generated symmetric PoP keys are supported";
		return GKD_ACE_UNSUPPORTED_POP_KEY;
	}
	if (!prof || gk_cbor_is_null(prof))
		return 0;
	if (gk_cbor_get_uint(prof, &v)) {
		*why = "ace_profile is neither null nor an integer";
		return GKD_ACE_INVALID_REQUEST;
	}
	if (v != GKD_ACE_PROFILE_COAP_DTLS) {
		*why = "only the coap_dtls profile is supported";
		return GKD_ACE_INCOMPATIBLE_ACE_PROFILES;
	}
	return 0;
}

static int gkd_as_parse_scope(const struct gkd_as *as, const cbor_item_t *req,
			      struct gkd_as_req *r, const char **why)
{
	const cbor_item_t *it = gk_cbor_map_get_int(req, GKD_ACE_SCOPE);
	const uint8_t *p;
	size_t n;
	int err;

	if (!it) {
		if (!r->client->allowed.n) {
			*why = "client may not obtain any token";
			return GKD_ACE_UNAUTHORIZED_CLIENT;
		}
		r->want = r->client->allowed;
		return 0;
	}
	if (cbor_isa_string(it)) {
		*why = "scope must be a byte string (RFC 9594 §3.1)";
		return GKD_ACE_INVALID_SCOPE;
	}
	if (gk_cbor_get_bstr(it, &p, &n)) {
		*why = "scope is not a byte string";
		return GKD_ACE_INVALID_REQUEST;
	}
	err = gk_scope_decode(p, n, &r->want);
	if (err) {
		pr_debug("as: scope refused: %s", gk_strerror(err));
		*why = "malformed scope";
		return GKD_ACE_INVALID_SCOPE;
	}
	r->scope_given = true;
	return 0;
}

/*
 * requested & client's allowed & group's roles, per group. A configured
 * default scope naming a group that is gone is skipped, not an error the
 * client could do anything about.
 */
static int gkd_as_grant(const struct gkd_as *as, const cbor_item_t *req, struct gkd_as_req *r,
			const char **why)
{
	r->grant = (struct gk_scope){ .textual = r->want.textual };
	for (size_t i = 0; i < r->want.n; i++) {
		const struct gk_scope_entry *w = &r->want.e[i];
		const struct gkd_group_conf *g = gkd_conf_group(as->cfg, w->group);
		const struct gk_scope_entry *a = gk_scope_find(&r->client->allowed, w->group);
		uint32_t roles;

		if (!g && r->scope_given) {
			*why = "unknown group";
			return GKD_ACE_INVALID_SCOPE;
		}
		roles = g && a ? w->roles & a->roles & g->roles : 0;
		if (!roles)
			continue;
		r->grant.e[r->grant.n] = *w;
		r->grant.e[r->grant.n++].roles = roles;
	}
	if (!r->grant.n) {
		*why = "none of the requested roles may be granted";
		return GKD_ACE_INVALID_SCOPE;
	}
	return 0;
}

static gkd_as_check_fn *const gkd_as_checks[] = {
	gkd_as_check_client_id, gkd_as_check_grant, gkd_as_check_audience,
	gkd_as_check_pop,	gkd_as_parse_scope, gkd_as_grant,
};

static bool gkd_scope_same(const struct gk_scope *a, const struct gk_scope *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->e[i].group, b->e[i].group) || a->e[i].roles != b->e[i].roles)
			return false;
	return true;
}

/* A PoP key with an 8-byte kid free of 0x00 bytes (see GKD_AS_NUL_ATTEMPTS). */
static int gkd_as_pop_key(struct gk_rng *rng, struct gk_cose_key *pop)
{
	int err;

	*pop = (struct gk_cose_key){ .kty = GK_COSE_KTY_SYMMETRIC,
				     .kid_len = GKD_AS_KID_LEN,
				     .k_len = GKD_AS_POP_KEY_LEN };
	err = gk_random(rng, pop->kid, pop->kid_len);
	for (size_t i = 0; !err && i < pop->kid_len; i++)
		while (!err && !pop->kid[i])
			err = gk_random(rng, &pop->kid[i], 1);
	if (!err)
		err = gk_random(rng, pop->k, pop->k_len);
	if (err)
		gk_cose_key_wipe(pop);
	return err;
}

static int gkd_as_cti(struct gkd_store *store, uint8_t cti[8])
{
	uint64_t seq;
	int err = gkd_store_next_seq(store, "cti", &seq);

	if (err)
		return err;
	for (int i = 7; i >= 0; i--, seq >>= 8)
		cti[i] = (uint8_t)seq;
	return 0;
}

/* The claims borrow everything; they are encoded, never freed. */
static int gkd_as_seal(const struct gkd_as *as, const struct gk_cwt_claims *c, uint8_t **tok,
		       size_t *tok_len)
{
	const struct gk_cose_key *key = &as->cfg->as_kdc_key;
	struct gk_cwt_layer layer = { .key = key, .alg = GK_COSE_ALG_AES_CCM_16_64_128,
				      .flags = key->kid_len ? GK_COSE_KID : 0 };
	int err = 0;

	*tok = NULL;
	for (int i = 0; i < GKD_AS_NUL_ATTEMPTS; i++) {
		struct gk_enc e;

		if (*tok)
			free(*tok);
		gk_enc_init(&e);
		gk_cwt_create(&e, c, &layer, 1, false, as->rng);
		err = gk_enc_finish(&e, tok, tok_len);
		if (err || !memchr(*tok, 0, *tok_len))
			return err;
	}
	pr_warn("as: token keeps a 0x00 byte after %d IVs; it cannot be a libcoap PSK identity",
		GKD_AS_NUL_ATTEMPTS);
	return 0;
}

static int gkd_as_make_token(const struct gkd_as *as, const struct gk_scope *grant,
			     const struct gk_cose_key *pop, int64_t now, uint8_t **tok,
			     size_t *tok_len, uint64_t *cti_out)
{
	struct gk_scope aif = *grant;
	struct gk_cwt_claims c = { 0 };
	uint8_t cti[8], *scope;
	size_t scope_len;
	int err;

	aif.textual = false;
	err = gkd_as_cti(as->store, cti);
	if (err)
		return err;
	err = gk_scope_encode_buf(&aif, &scope, &scope_len);
	if (err)
		return err;
	c.iss = (char *)as->cfg->as_issuer;
	c.aud[0] = (char *)as->cfg->kdc_audience;
	c.n_aud = 1;
	c.has_exp = c.has_iat = true;
	c.iat = now;
	c.exp = now + as->cfg->token_lifetime;
	c.cti = cti;
	c.cti_len = sizeof(cti);
	c.cnf_type = GK_CNF_KEY;
	c.cnf_key = *pop;
	c.scope = scope;
	c.scope_len = scope_len;
	err = gkd_as_seal(as, &c, tok, tok_len);
	gk_cose_key_wipe(&c.cnf_key);
	free(scope);
	*cti_out = 0;
	for (size_t i = 0; i < sizeof(cti); i++)
		*cti_out = *cti_out << 8 | cti[i];
	return err;
}

/* Deterministic key order: 1, 2, 8, 9, 38. */
static int gkd_as_reply(const struct gkd_as *as, const struct gkd_as_req *r, const uint8_t *tok,
			size_t tok_len, const struct gk_cose_key *pop, struct gkd_reply *rep)
{
	bool echo = !r->scope_given || !gkd_scope_same(&r->want, &r->grant);
	struct gk_enc *e = &rep->body;
	uint8_t *scope = NULL;
	size_t scope_len = 0;
	int err = 0;

	if (echo)
		err = gk_scope_encode_buf(&r->grant, &scope, &scope_len);
	if (err)
		return err;
	gkd_reply_status(rep, GKD_CREATED);
	rep->content_format = GKD_CF_ACE_CBOR;
	gk_enc_map(e, 4 + echo);
	gk_enc_uint(e, GKD_ACE_ACCESS_TOKEN);
	gk_enc_bstr(e, tok, tok_len);
	gk_enc_uint(e, GKD_ACE_EXPIRES_IN);
	gk_enc_uint(e, as->cfg->token_lifetime);
	gk_enc_uint(e, GKD_ACE_CNF);
	gk_enc_map(e, 1);
	gk_enc_uint(e, GK_CNF_COSE_KEY);
	gk_cose_key_encode(e, pop, true);
	if (echo) {
		gk_enc_uint(e, GKD_ACE_SCOPE);
		gk_enc_bstr(e, scope, scope_len);
	}
	gk_enc_uint(e, GKD_ACE_PROFILE);
	gk_enc_uint(e, GKD_ACE_PROFILE_COAP_DTLS);
	free(scope);
	return e->err;
}

static int gkd_as_issue(struct gkd_as *as, const struct gkd_as_req *r, int64_t now,
			struct gkd_reply *rep)
{
	struct gk_cose_key pop;
	uint8_t *tok = NULL;
	size_t tok_len = 0;
	uint64_t cti;
	int err;

	err = gkd_as_pop_key(as->rng, &pop);
	if (err)
		return err;
	err = gkd_as_make_token(as, &r->grant, &pop, now, &tok, &tok_len, &cti);
	if (!err)
		err = gkd_as_reply(as, r, tok, tok_len, &pop, rep);
	if (!err)
		pr_info("as: issued token cti %llu to client %s (%zu group(s), %u s)",
			(unsigned long long)cti, r->client->id, r->grant.n,
			as->cfg->token_lifetime);
	gk_cose_key_wipe(&pop);
	if (tok) {
		gk_wipe(tok, tok_len);
		free(tok);
	}
	return err;
}

static int gkd_as_internal(struct gkd_reply *rep, int err)
{
	pr_err("as: /token failed: %s", gk_strerror(err));
	gkd_reply_status(rep, GKD_INTERNAL_ERROR);
	return err;
}

static int gkd_as_process(struct gkd_as *as, const cbor_item_t *req, struct gkd_as_req *r,
			  int64_t now, struct gkd_reply *rep)
{
	int err;

	for (size_t i = 0; i < GK_ARRAY_SIZE(gkd_as_checks); i++) {
		const char *why = NULL;
		int res = gkd_as_checks[i](as, req, r, &why);

		if (res < 0)
			return gkd_as_internal(rep, res);
		if (res > 0)
			return gkd_as_refuse(rep, r->client->id, res, why);
	}
	err = gkd_as_issue(as, r, now, rep);
	return err ? gkd_as_internal(rep, err) : 0;
}

int gkd_as_token(struct gkd_as *as, const char *client_id, int content_format,
		 const uint8_t *req, size_t len, int64_t now, struct gkd_reply *rep)
{
	struct gkd_as_req r = { 0 };
	cbor_item_t *root;
	int err;

	if (content_format != GKD_CF_ACE_CBOR) {
		pr_info("as: /token with Content-Format %d refused", content_format);
		return gkd_reply_ace_error(rep, GKD_UNSUPPORTED_FORMAT, GKD_ACE_INVALID_REQUEST,
					   "Content-Format must be application/ace+cbor");
	}
	if (len > as->cfg->max_payload) {
		pr_info("as: /token payload of %zu bytes refused", len);
		return gkd_reply_ace_error(rep, GKD_REQUEST_TOO_LARGE, GKD_ACE_INVALID_REQUEST,
					   "request too large");
	}
	if (!as->cfg->as_enabled || !as->cfg->as_kdc_key_set) {
		gkd_reply_status(rep, GKD_NOT_FOUND);
		return 0;
	}
	r.client = client_id ? gkd_conf_client(as->cfg, client_id, strlen(client_id)) : NULL;
	if (!r.client)
		return gkd_as_refuse(rep, "(unknown)", GKD_ACE_INVALID_CLIENT, "unknown client");
	err = gk_cbor_decode(req, len, &gkd_as_limits, &root);
	if (err == -ENOMEM)
		return gkd_as_internal(rep, err);
	if (err)
		return gkd_as_refuse(rep, client_id, GKD_ACE_INVALID_REQUEST, "malformed CBOR");
	if (!cbor_isa_map(root))
		err = gkd_as_refuse(rep, client_id, GKD_ACE_INVALID_REQUEST,
				    "request is not a CBOR map");
	else
		err = gkd_as_process(as, root, &r, now, rep);
	cbor_decref(&root);
	return err;
}
