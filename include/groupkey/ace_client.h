/* SPDX-License-Identifier: BSD-3-Clause */
/* The ACE client side (RFC 9200/9202): a token from the AS, its transfer, and the Join on top. */
#ifndef GROUPKEY_ACE_CLIENT_H
#define GROUPKEY_ACE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/coap_conn.h"
#include "groupkey/cose.h"
#include "groupkey/gc_client.h"
#include "groupkey/scope.h"

struct gk_rng;

/* Parameter labels of RFC 9200 Table 5 / 9594 that the client side uses. */
enum {
	GK_ACE_ACCESS_TOKEN = 1,
	GK_ACE_EXPIRES_IN = 2,
	GK_ACE_AUDIENCE = 5,
	GK_ACE_CNF = 8,
	GK_ACE_SCOPE = 9,
	GK_ACE_PROFILE = 38,
	GK_ACE_KDCCHALLENGE = 46,
};

#define GK_ACE_CF_CWT 61
#define GK_ACE_CF_ACE_CBOR 19
#define GK_ACE_CF_GROUPCOMM 261
#define GK_ACE_TOKEN_MAX 4096

/* What an Access Token Response (2.01) gives a client. */
struct gk_ace_token {
	uint8_t token[GK_ACE_TOKEN_MAX];
	size_t token_len;
	struct gk_cose_key pop; /* cnf: the symmetric PoP key (kid, k) */
	uint64_t expires_in;	/* 0 when the AS did not say */
};

/* The Access Token Request {5: audience (when non-NULL), 9: bstr(scope)}. */
int gk_ace_token_request_encode(struct gk_enc *e, const struct gk_scope *scope,
				const char *audience);
/*
 * Parse a 2.01 payload. -GK_EMISSING without access_token or a cnf COSE_Key,
 * -GK_EKEY for a PoP key that is not symmetric with a kid, -E2BIG for a token
 * over GK_ACE_TOKEN_MAX; CBOR errors. The caller wipes *t.
 */
int gk_ace_token_response_parse(const uint8_t *buf, size_t len, struct gk_ace_token *t);

/*
 * POST /token over DTLS-PSK with the client's credentials (RFC 9200 §5.8,
 * client_credentials). Returns 0 with *t on 2.01; any other response is
 * -EACCES, and is handed over in *refusal when that is non-NULL (the caller
 * frees it); transport errors as gk_coap_request().
 */
int gk_ace_token_fetch(const char *as_uri, const char *client_id, const uint8_t *psk,
		       size_t psk_len, const struct gk_scope *scope, const char *audience,
		       unsigned timeout_ms, struct gk_ace_token *t,
		       struct gk_coap_response *refusal);

/*
 * Token Transfer: POST the token to authz_uri (coap://HOST[:PORT]/authz-info,
 * RFC 9200 §5.10.1) and take N_S from the 2.01's kdcchallenge (46). A
 * refusal is -EACCES (and *refusal as for gk_ace_token_fetch()),
 * -GK_EMISSING when the 2.01 has no usable N_S.
 */
int gk_ace_token_post(const char *authz_uri, const uint8_t *token, size_t token_len,
		      unsigned timeout_ms, uint8_t *ns, size_t ns_cap, size_t *ns_len,
		      struct gk_coap_response *refusal);

/* coap://HOST:5683/authz-info for a KDC at coaps://HOST[:PORT][/...]. */
int gk_ace_default_authz_uri(const char *kdc_uri, char *out, size_t len);

/*
 * The DTLS PSK identity that names a token posted earlier (RFC 9202 §3.1):
 * {8: {1: {1: 4, 2: kid}}}. -EINVAL for a key without kid.
 */
int gk_ace_kid_identity(struct gk_enc *e, const struct gk_cose_key *pop);
/* The same into a heap buffer (free()). */
int gk_ace_kid_identity_buf(const struct gk_cose_key *pop, uint8_t **out, size_t *len);

/* One Join (RFC 9594 §4.3.1) as a member makes it. */
struct gk_gc_join_params {
	const char *group;
	uint32_t roles;
	bool get_creds;
	const char *control_uri;
	/* Our credential (a CCS with the EC2 P-256 key) and its private key; NULL: none. */
	const uint8_t *ccs;
	size_t ccs_len;
	const uint8_t *d;
};

/*
 * POST ace-group/GROUP on c with a fresh N_C (written to nc) and, when
 * there is a credential, its PoP over N_S (*ns, from the Token Transfer;
 * *ns_len 0 when unknown). A 4.00 with a kdcchallenge is answered once with
 * the new N_S (docs/profile.md REQ15), which is stored back into ns. Returns
 * 0 with *m holding the final response, whatever its code.
 */
int gk_gc_join_exchange(struct gk_coap_conn *c, struct gk_rng *rng,
			const struct gk_gc_join_params *p, uint8_t *ns, size_t ns_cap,
			size_t *ns_len, uint8_t nc[GK_GC_NONCE_LEN], struct gk_coap_msg *m);

/*
 * A 2.01/2.04 Join Response: parse the keying material into *k, check the
 * KDC's PoP (kdc_cred_verify over N_C) and that the Location-Path is
 * ace-group/GROUP/nodes/NODE, and fill *mf (kdc, roles left to the caller).
 * -EPROTO for another response code; -GK_EMISSING when the KDC credential,
 * its PoP or sender_id is missing; -GK_EBADSIG; -EBADMSG for a bad
 * Location-Path; parse errors. The caller wipes *k and *mf.
 */
int gk_gc_join_result(const struct gk_coap_msg *m, const char *group,
		      const uint8_t nc[GK_GC_NONCE_LEN], struct gk_gc_keying *k,
		      struct gk_gc_member *mf);

#endif
