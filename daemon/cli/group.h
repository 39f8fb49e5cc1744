/* SPDX-License-Identifier: BSD-3-Clause */
/* `groupkey group ...`: what the group commands' files share (options, the DTLS connection). */
#ifndef GROUPKEY_CLI_GROUP_H
#define GROUPKEY_CLI_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "remote.h"
#include "groupkey/coap_conn.h"
#include "groupkey/gc_client.h"

#define GROUP_MAX_IDS 64
#define GROUP_MAX_ROLE_FILTERS 8

struct group_args {
	const char *cmd;
	const char *kdc, *token, *group, *member, *node, *out;
	const char *cred_key, *save_cred_key, *authz_info, *control_uri;
	uint32_t roles;				       /* --role of join: Tperm bits */
	uint32_t role_filters[GROUP_MAX_ROLE_FILTERS]; /* --role of creds, one per option */
	size_t n_role_filters;
	uint32_t ids[GROUP_MAX_IDS]; /* --id of creds */
	size_t n_ids;
	bool get_creds, no_post, no_cred, identity_token, verbose;
	unsigned timeout_ms;
	unsigned observe_s; /* 0: no --observe */
	/* request */
	enum gk_coap_method method;
	const char *path, *payload;
	int content_format;	/* -1: 261 with a payload, none without */
	struct gk_gc_member mf; /* --member FILE, when given */
	bool has_mf;
};

/* A DTLS connection to the KDC with the token bundle's PoP key. */
struct group_conn {
	struct cli_bundle b;
	struct gk_coap_conn *conn;
	char uri[512]; /* for messages */
};

/*
 * Load the bundle and open the connection: identity {8: {1: {1: 4, 2: kid}}}
 * naming a token posted earlier, or the token itself (identity_token).
 * Prints the error and returns CLI_FAIL.
 */
int group_connect(struct cli_ctx *ctx, const struct group_args *a, bool identity_token,
		  struct group_conn *gc);
void group_disconnect(struct group_conn *gc);
/* A refusal: code, problem-details title/detail and ace-groupcomm error id; returns CLI_FAIL. */
int group_refused(struct cli_ctx *ctx, const struct gk_coap_msg *m);
/* The keying material as JSON (k redacted unless --show-secrets). */
json_t *group_keying_json(const struct cli_ctx *ctx, const struct gk_gc_keying *k, int code);
/* Write the member file (mode 0600). */
int group_save_member(struct cli_ctx *ctx, const char *path, const struct gk_gc_member *m);

int group_join(struct cli_ctx *ctx, struct group_args *a);

#endif
