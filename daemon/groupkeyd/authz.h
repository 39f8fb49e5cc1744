/* SPDX-License-Identifier: BSD-3-Clause */
/* KDC authorization: token validation, /authz-info (RFC 9200 §5.10), DTLS PSK identities (RFC 9202 §3.3), access checks. */
#ifndef GKD_AUTHZ_H
#define GKD_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "reply.h"
#include "store.h"
#include "groupkey/cwt.h"
#include "groupkey/scope.h"

struct gk_rng;

struct gkd_authz {
	const struct gkd_config *cfg;
	struct gkd_store *store;
	struct gk_rng *rng;
};

/* A validated access token, as the KDC uses it. */
struct gkd_token {
	struct gk_cwt_claims claims;
	struct gk_scope scope;
	uint8_t kid[GKD_KID_MAX]; /* kid of the PoP key: the token's handle */
	size_t kid_len;
	uint8_t pop_key[32];	  /* symmetric PoP key (the DTLS PSK) */
	size_t pop_key_len;
};

/*
 * Validate a token as RFC 9200 §5.10.1.1 orders it: not a COSE/CWT
 * structure -> 4.00; protection (decrypt / MAC / signature) under our AS
 * key or a trusted external AS's key, and the issuer bound to that key ->
 * 4.01; a symmetric cnf key under a Mac0/Sign1 outer layer (sent in clear)
 * -> 4.01; no exp, expired (now >= exp) or not yet valid -> 4.01; wrong
 * audience -> 4.03; claims malformed, scope missing, unparseable or naming
 * an unknown group or role -> 4.00; no symmetric cnf key with a kid ->
 * 4.00. Returns 0 (out filled: gkd_token_wipe() it), the reply code (out
 * empty), or a negative errno for an internal failure; *why (may be NULL)
 * gets a short reason for the log. Details at the top of authz.c.
 */
int gkd_token_validate(struct gkd_authz *az, const uint8_t *tok, size_t len, int64_t now,
		       struct gkd_token *out, const char **why);
void gkd_token_wipe(struct gkd_token *t);

/*
 * POST /authz-info (plain CoAP allowed). content_format 61: the payload is
 * the token; 19: a map {1: access_token, 45: sign_info request (null)}.
 * Valid -> stored (superseding the previous token of the same PoP key),
 * 2.01 with ct 19 {46 kdcchallenge: N_S (8 random bytes)[, 45 sign_info]}.
 * Errors as gkd_token_validate, 4.00 for a payload that is not a token, 4.15
 * for other content formats (none included), 4.13 above cfg->max_payload
 * or for a token above GKD_TOKEN_MAX. Error replies are bare codes (no
 * payload). Returns 0 when rep holds the answer; a negative errno for an
 * internal failure, and then rep is a bare 5.00.
 */
int gkd_authz_info(struct gkd_authz *az, int content_format, const uint8_t *payload, size_t len,
		   int64_t now, struct gkd_reply *rep);

/* Who is at the other end of a DTLS session, resolved from its PSK identity. */
enum gkd_peer_type { GKD_PEER_NONE = 0, GKD_PEER_AS_CLIENT, GKD_PEER_TOKEN };

struct gkd_peer {
	enum gkd_peer_type type;
	const struct gkd_client_conf *client; /* GKD_PEER_AS_CLIENT */
	uint8_t kid[GKD_KID_MAX];	      /* GKD_PEER_TOKEN: the token's handle */
	size_t kid_len;
	uint8_t psk[GKD_PSK_MAX];	      /* the key the handshake must prove */
	size_t psk_len;
};

/*
 * The DTLS server's PSK callback. The identity is, in this order:
 * a CBOR map {8: {1: {1: 4, 2: kid}}} naming a token posted earlier
 * (RFC 9202 §3.3 way 1; the token must still validate); a whole access
 * token (way 2: validated and stored on the fly, without N_S); or, with the
 * AS enabled, the client id of a [client]. Unknown or invalid -> -ENOENT,
 * and the handshake fails; other negative errno for internal failures.
 */
int gkd_authz_resolve_identity(struct gkd_authz *az, const uint8_t *id, size_t id_len,
			       int64_t now, struct gkd_peer *peer);

/*
 * Check a request on a KDC resource against the session's token (RFC 9200
 * §5.10.2, RFC 9202 §3.4): no token, token gone, no longer valid (an
 * expired one is deleted) or superseded under another PoP key than the
 * session's PSK -> 4.01; group not in the scope (group != NULL) -> 4.03;
 * method not allowed for the resource -> 4.05 (the caller decides that
 * from the resource's methods). Returns 0, the reply code, or a negative
 * errno (store failure). On success *tok holds the token (caller wipes it).
 */
int gkd_authz_check(struct gkd_authz *az, const struct gkd_peer *peer, const char *group,
		    int64_t now, struct gkd_token *tok);

/* Remove expired tokens (timer). */
int gkd_authz_purge(struct gkd_authz *az, int64_t now, unsigned *purged);

#endif
