/* SPDX-License-Identifier: BSD-3-Clause */
/* A member worker's state, shared by member.c (ACE and KDC side) and member_dp.c (data plane). */
#ifndef GKD_MEMBER_INT_H
#define GKD_MEMBER_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "member.h"
#include "member_store.h"
#include "groupkey/ace_client.h"
#include "groupkey/dp.h"

struct gkd_mw {
	const struct gkd_config *cfg;
	const struct gkd_member_conf *mc;
	uint32_t gid; /* data-plane group id */
	char addr_key[80]; /* "ADDR:PORT": names the sequence mark */
	struct gk_dp *dp;
	struct gkd_mstore *st;
	struct gk_rng *rng;
	sigset_t stop_set;
	/* our credential for the Join: an EC2 P-256 key made at start */
	uint8_t d[32];
	struct gk_enc ccs;
	/* the access token */
	struct gk_ace_token tok;
	bool has_tok;
	int64_t tok_exp, tok_renew; /* seconds since the epoch */
	/* the session with the KDC */
	struct gk_coap_conn *conn;
	uint8_t ns[GK_GC_NONCE_MAX];
	size_t ns_len;
	char node[GK_GC_NODE_MAX + 1];
	uint32_t sender_id;
	/* keys in the maps */
	uint32_t num, prev; /* 0: none */
	int64_t prev_until;
	uint32_t grace; /* seconds: group_policies' Expiration Delta from the Join */
	int64_t next_check; /* liveness probe of the session */
};

/* member_dp.c */
/* Put k (a Join Response, a notification) into the maps: key, addresses, send key, rotation. */
int gkd_mw_dp_apply(struct gkd_mw *w, const struct gk_gc_keying *k);
/*
 * The membership ended (removed by the KDC, a Join refused): stop stamping and
 * delete every key of the group, so that its traffic is dropped as unknown_key
 * (fail closed) until a new Join brings a key back.
 */
void gkd_mw_dp_forget(struct gkd_mw *w);
/* Housekeeping every tick: previous key after its grace, sequence block refill. */
int gkd_mw_dp_tick(struct gkd_mw *w, int64_t now);
/* The sequence number to start from after a reboot: the persisted mark (member_store.h). */
int gkd_mw_dp_seq_init(struct gkd_mw *w);

#endif
