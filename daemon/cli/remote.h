/* SPDX-License-Identifier: BSD-3-Clause */
/* The CLI verbs that talk CoAP to an AS or a KDC, and the token bundle file they share. */
#ifndef GROUPKEY_CLI_REMOTE_H
#define GROUPKEY_CLI_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "groupkey/coap_client.h"
#include "groupkey/cose.h"

/*
 * A token bundle: what `token request -o FILE` saves (mode 0600), a CBOR map
 * in the labels of the AS response (RFC 9200 §5.8.2, Table 5):
 *   1 access_token  bstr  the token, as the AS sent it (required)
 *   2 expires_in    uint  seconds, as the AS sent it
 *   5 audience      tstr  the audience that was requested
 *   8 cnf           map   {1: COSE_Key}: the symmetric PoP key (kty 4, kid, k)
 *   9 scope         bstr  the granted scope (the AS's, else the requested one)
 *  38 ace_profile   int   as the AS sent it
 */
enum {
	CLI_BUNDLE_TOKEN = 1,
	CLI_BUNDLE_EXPIRES_IN = 2,
	CLI_BUNDLE_AUDIENCE = 5,
	CLI_BUNDLE_CNF = 8,
	CLI_BUNDLE_SCOPE = 9,
	CLI_BUNDLE_PROFILE = 38
};

struct cli_bundle {
	uint8_t *token; /* heap */
	size_t token_len;
	bool has_pop;
	struct gk_cose_key pop; /* the PoP key: kid and k */
	uint8_t *scope;		/* heap, NULL when the bundle has none */
	size_t scope_len;
};

/*
 * Read a bundle, or a bare token: any file that is not a map with a byte
 * string under 1, e.g. `token create` output. A bare token has no PoP key
 * (has_pop false) and its bytes are taken as they are, CBOR or not, so
 * tests can post garbage. Prints the error and returns CLI_FAIL.
 */
int cli_bundle_load(const struct cli_ctx *ctx, const char *path, struct cli_bundle *b);
void cli_bundle_free(struct cli_bundle *b);

/* base, with default_path appended when base has no path of its own; -EINVAL if too long. */
int cli_coap_uri(const char *base, const char *default_path, char *out, size_t len);
/* A transport failure of gk_coap_request() as an error line; returns CLI_FAIL. */
int cli_coap_failed(const struct cli_ctx *ctx, const char *peer, int err);
/* A 4.xx/5.xx response, with the ACE error (ct 19) or problem details (ct 257) it carries. */
int cli_coap_refused(const struct cli_ctx *ctx, const char *peer,
		     const struct gk_coap_response *resp);
/* Create or replace path with mode 0600 and write buf to it; prints the error. */
int cli_write_private(const struct cli_ctx *ctx, const char *path, const uint8_t *buf, size_t len);

int cmd_token_request(struct cli_ctx *ctx, int argc, char **argv);
int cmd_token_post(struct cli_ctx *ctx, int argc, char **argv);
void token_remote_usage(FILE *f);
int cmd_kdc(struct cli_ctx *ctx, int argc, char **argv);
int cmd_group(struct cli_ctx *ctx, int argc, char **argv);

#endif
