/* SPDX-License-Identifier: BSD-3-Clause */
/* The embedded ACE Authorization Server: the /token endpoint (RFC 9200 §5.8) for RFC 9594 scopes. */
#ifndef GKD_AS_H
#define GKD_AS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "reply.h"
#include "store.h"

/* RFC 9200 Table 3 error codes and §5.8 parameter labels used here. */
enum {
	GKD_ACE_INVALID_REQUEST = 1,
	GKD_ACE_INVALID_CLIENT = 2,
	GKD_ACE_INVALID_GRANT = 3,
	GKD_ACE_UNAUTHORIZED_CLIENT = 4,
	GKD_ACE_UNSUPPORTED_GRANT_TYPE = 5,
	GKD_ACE_INVALID_SCOPE = 6,
	GKD_ACE_UNSUPPORTED_POP_KEY = 7,
	GKD_ACE_INCOMPATIBLE_ACE_PROFILES = 8,
};

/* RFC 9200 §5.8 / Table 5 parameters (application/ace+cbor map keys) and values used here. */
enum {
	GKD_ACE_ACCESS_TOKEN = 1,
	GKD_ACE_EXPIRES_IN = 2,
	GKD_ACE_REQ_CNF = 4,
	GKD_ACE_AUDIENCE = 5,
	GKD_ACE_CNF = 8,
	GKD_ACE_SCOPE = 9,
	GKD_ACE_CLIENT_ID = 24,
	GKD_ACE_ERROR = 30,
	GKD_ACE_ERROR_DESCRIPTION = 31,
	GKD_ACE_GRANT_TYPE = 33,
	GKD_ACE_PROFILE = 38,
	GKD_ACE_SIGN_INFO = 45,	   /* RFC 9594 §3.3 */
	GKD_ACE_KDCCHALLENGE = 46, /* RFC 9594 §3.3 */
};
enum { GKD_GRANT_CLIENT_CREDENTIALS = 2 };
enum { GKD_ACE_PROFILE_COAP_DTLS = 1 };

/* Bytes of the PoP key's kid and key (AES-CCM-16-64-128 / TLS_PSK_WITH_AES_128_CCM_8). */
#define GKD_AS_KID_LEN 8
#define GKD_AS_POP_KEY_LEN 16

struct gk_rng;

struct gkd_as {
	const struct gkd_config *cfg;
	struct gkd_store *store;
	struct gk_rng *rng;
};

/*
 * POST /token from the DTLS-PSK client identified by client_id (the PSK
 * identity the handshake authenticated; NULL when the request did not come
 * over DTLS, which is refused with 4.01 invalid_client). Fills rep: 2.01
 * with {1 access_token, 2 expires_in, 8 cnf, 38 ace_profile = 1 (coap_dtls)}
 * (and 9 scope when the granted scope differs from the requested one), or
 * 4.00/4.01/4.13/4.15 with {30 error, 31 error_description}; the policy
 * choices are documented at the top of as.c. Returns 0 when rep holds the
 * answer, success or refusal; a negative errno for an internal failure
 * (store, RNG, memory), and then rep is a bare 5.00.
 */
int gkd_as_token(struct gkd_as *as, const char *client_id, int content_format,
		 const uint8_t *req, size_t len, int64_t now, struct gkd_reply *rep);

#endif
