// SPDX-License-Identifier: BSD-3-Clause
/* ACE client: Access Token Request/Response (RFC 9200 §5.8), Token Transfer, PSK identity. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "groupkey/ace_client.h"
#include "groupkey/cbor.h"
#include "groupkey/coap_client.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"

int gk_ace_token_request_encode(struct gk_enc *e, const struct gk_scope *scope,
				const char *audience)
{
	struct gk_enc s;
	int err;

	gk_enc_init(&s);
	err = gk_scope_encode(&s, scope);
	if (!err) {
		gk_enc_map(e, audience ? 2 : 1);
		if (audience) {
			gk_enc_uint(e, GK_ACE_AUDIENCE);
			gk_enc_tstr(e, audience);
		}
		gk_enc_uint(e, GK_ACE_SCOPE);
		gk_enc_bstr(e, s.buf, s.len);
		err = e->err;
	}
	gk_enc_free(&s);
	return err;
}

static int pop_from(const cbor_item_t *cnf, struct gk_cose_key *pop)
{
	const cbor_item_t *k;
	int err;

	if (!cnf || !cbor_isa_map(cnf))
		return -GK_EMISSING;
	k = gk_cbor_map_get_int(cnf, GK_CNF_COSE_KEY);
	if (!k)
		return -GK_EMISSING;
	err = gk_cose_key_from_item(k, pop);
	if (!err && (pop->kty != GK_COSE_KTY_SYMMETRIC || !pop->kid_len || !pop->k_len))
		err = -GK_EKEY;
	if (err)
		gk_cose_key_wipe(pop);
	return err;
}

int gk_ace_token_response_parse(const uint8_t *buf, size_t len, struct gk_ace_token *t)
{
	cbor_item_t *it = NULL;
	const uint8_t *tok;
	size_t n;
	int err;

	memset(t, 0, sizeof(*t));
	err = gk_cbor_decode(buf, len, NULL, &it);
	if (err)
		return err;
	if (!cbor_isa_map(it)) {
		err = -GK_ETYPE;
		goto out;
	}
	err = gk_cbor_get_bstr(gk_cbor_map_get_int(it, GK_ACE_ACCESS_TOKEN), &tok, &n);
	if (err) {
		err = gk_cbor_map_get_int(it, GK_ACE_ACCESS_TOKEN) ? err : -GK_EMISSING;
		goto out;
	}
	if (!n || n > sizeof(t->token)) {
		err = n ? -E2BIG : -GK_EMISSING;
		goto out;
	}
	memcpy(t->token, tok, n);
	t->token_len = n;
	if (gk_cbor_map_get_int(it, GK_ACE_EXPIRES_IN) &&
	    gk_cbor_get_uint(gk_cbor_map_get_int(it, GK_ACE_EXPIRES_IN), &t->expires_in)) {
		err = -GK_ETYPE;
		goto out;
	}
	err = pop_from(gk_cbor_map_get_int(it, GK_ACE_CNF), &t->pop);
out:
	cbor_decref(&it);
	if (err)
		gk_wipe(t, sizeof(*t));
	return err;
}

/* A response other than 2.01: handed to the caller, or freed. */
static int refused(struct gk_coap_response *resp, struct gk_coap_response *out)
{
	if (out)
		*out = *resp;
	else
		gk_coap_response_free(resp);
	return -EACCES;
}

int gk_ace_token_fetch(const char *as_uri, const char *client_id, const uint8_t *psk,
		       size_t psk_len, const struct gk_scope *scope, const char *audience,
		       unsigned timeout_ms, struct gk_ace_token *t,
		       struct gk_coap_response *refusal)
{
	struct gk_coap_request req = { .uri = as_uri,
				       .method = GK_COAP_POST,
				       .content_format = GK_ACE_CF_ACE_CBOR,
				       .accept = GK_COAP_NO_FORMAT,
				       .psk_identity = (const uint8_t *)client_id,
				       .psk_identity_len = strlen(client_id),
				       .psk_key = psk,
				       .psk_key_len = psk_len,
				       .timeout_ms = timeout_ms };
	struct gk_coap_response resp = { 0 };
	struct gk_enc e;
	int err;

	gk_enc_init(&e);
	err = gk_ace_token_request_encode(&e, scope, audience);
	if (!err) {
		req.payload = e.buf;
		req.payload_len = e.len;
		err = gk_coap_request(&req, &resp);
	}
	gk_enc_free(&e);
	if (err)
		return err;
	if (resp.code != 201)
		return refused(&resp, refusal);
	err = gk_ace_token_response_parse(resp.payload, resp.payload_len, t);
	gk_wipe(resp.payload, resp.payload_len);
	gk_coap_response_free(&resp);
	return err;
}

static int ns_from(const struct gk_coap_response *resp, uint8_t *ns, size_t cap, size_t *ns_len)
{
	cbor_item_t *it = NULL;
	const uint8_t *p;
	size_t n = 0;
	int err;

	err = gk_cbor_decode(resp->payload, resp->payload_len, NULL, &it);
	if (!err && (!cbor_isa_map(it) ||
		     gk_cbor_get_bstr(gk_cbor_map_get_int(it, GK_ACE_KDCCHALLENGE), &p, &n) ||
		     !n || n > cap))
		err = -GK_EMISSING;
	if (!err) {
		memcpy(ns, p, n);
		*ns_len = n;
	}
	if (it)
		cbor_decref(&it);
	return err;
}

int gk_ace_token_post(const char *authz_uri, const uint8_t *token, size_t token_len,
		      unsigned timeout_ms, uint8_t *ns, size_t ns_cap, size_t *ns_len,
		      struct gk_coap_response *refusal)
{
	struct gk_coap_request req = { .uri = authz_uri,
				       .method = GK_COAP_POST,
				       .content_format = GK_ACE_CF_CWT,
				       .accept = GK_COAP_NO_FORMAT,
				       .payload = token,
				       .payload_len = token_len,
				       .timeout_ms = timeout_ms };
	struct gk_coap_response resp = { 0 };
	int err;

	*ns_len = 0;
	err = gk_coap_request(&req, &resp);
	if (err)
		return err;
	if (resp.code != 201)
		return refused(&resp, refusal);
	err = ns_from(&resp, ns, ns_cap, ns_len);
	gk_coap_response_free(&resp);
	return err;
}

int gk_ace_default_authz_uri(const char *kdc, char *out, size_t len)
{
	const char *host = strstr(kdc, "://"), *end;
	int n;

	if (!host)
		return -EINVAL;
	host += 3;
	if (*host == '[')
		end = strchr(host, ']') ? strchr(host, ']') + 1 : NULL;
	else
		end = host + strcspn(host, ":/");
	if (!end || end == host)
		return -EINVAL;
	n = snprintf(out, len, "coap://%.*s:5683/authz-info", (int)(end - host), host);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

int gk_ace_kid_identity(struct gk_enc *e, const struct gk_cose_key *pop)
{
	if (!pop->kid_len)
		return -EINVAL;
	gk_enc_map(e, 1);
	gk_enc_uint(e, GK_CWT_CNF);
	gk_enc_map(e, 1);
	gk_enc_uint(e, GK_CNF_COSE_KEY);
	gk_enc_map(e, 2);
	gk_enc_uint(e, GK_COSE_KEY_KTY);
	gk_enc_uint(e, GK_COSE_KTY_SYMMETRIC);
	gk_enc_uint(e, GK_COSE_KEY_KID);
	gk_enc_bstr(e, pop->kid, pop->kid_len);
	return e->err;
}

int gk_ace_kid_identity_buf(const struct gk_cose_key *pop, uint8_t **out, size_t *len)
{
	struct gk_enc e;

	int err;

	gk_enc_init(&e);
	err = gk_ace_kid_identity(&e, pop);
	if (err) {
		gk_enc_free(&e);
		return err;
	}
	return gk_enc_finish(&e, out, len);
}
