/* SPDX-License-Identifier: BSD-3-Clause */
/* A member worker's durable state (STATE_DIR/member-NAME.db, mode 0600). */
#ifndef GKD_MEMBER_STORE_H
#define GKD_MEMBER_STORE_H

#include <stdint.h>

#include "groupkey/ace_client.h"

struct gkd_mstore;

int gkd_mstore_open(const char *state_dir, const char *name, struct gkd_mstore **out);
void gkd_mstore_close(struct gkd_mstore *s);

/*
 * The access token and PoP key in use, with its exp (seconds since the
 * epoch): a restarted worker connects with it and re-joins as the same node
 * (2.04) instead of becoming a new member. -ENOENT when none is kept.
 */
int gkd_mstore_token_put(struct gkd_mstore *s, const struct gk_ace_token *t, int64_t exp);
int gkd_mstore_token_get(struct gkd_mstore *s, struct gk_ace_token *t, int64_t *exp);
int gkd_mstore_token_del(struct gkd_mstore *s);

/* Sequence high-water marks (gk_dp_seq_reserve()) by group address "ADDR:PORT"; durable on return. */
int gkd_mstore_mark_put(struct gkd_mstore *s, const char *addr, uint64_t mark);
int gkd_mstore_mark_get(struct gkd_mstore *s, const char *addr, uint64_t *mark);

#endif
