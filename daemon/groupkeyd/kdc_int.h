/* SPDX-License-Identifier: BSD-3-Clause */
/* What the KDC's source files share and nothing else sees: the KDC state and helpers. */
#ifndef GKD_KDC_INT_H
#define GKD_KDC_INT_H

#include "kdc.h"
#include "groupkey/cose.h"

#define KDC_SIG_LEN 64
#define KDC_CRED_BUF 192 /* our CCS: sub + a P-256 COSE_Key */
#define KDC_SID_TRIES 1024
#define KDC_EVICT_BATCH 64

/* One configured group and its committed state (a copy of its row). */
struct kdc_group {
	const struct gkd_group_conf *conf;
	struct gkd_group_rec rec;
};

struct gkd_kdc {
	const struct gkd_config *cfg;
	struct gkd_store *store;
	struct gk_rng *rng;
	struct gkd_kdc_events ev;
	uint8_t d[32], x[32], y[32]; /* the KDC's P-256 key pair */
	uint8_t cred[KDC_CRED_BUF];  /* its CCS */
	size_t cred_len;
	struct kdc_group groups[GKD_MAX_GROUPS];
	size_t n_groups;
};

/* kdc.c */
struct kdc_group *kdc_group_find(struct gkd_kdc *kdc, const char *name);
/* Problem details (title from the code) and 0; err_id < 0: no ace-groupcomm-error. */
int kdc_problem(struct gkd_reply *rep, int code, int err_id, const char *detail);
/* kdc_problem(), then 1 (rep holds the refusal) or its -errno. */
int kdc_refuse(struct gkd_reply *rep, int code, int err_id, const char *detail);
/* Logs, makes rep a bare 5.00 and returns err. */
int kdc_internal(struct gkd_reply *rep, int err, const char *what);
int kdc_tx_begin(struct gkd_kdc *kdc);
/* Commit when err is 0, else (or when the commit fails) roll back; returns the outcome. */
int kdc_tx_end(struct gkd_kdc *kdc, int err);
void kdc_node_name(uint32_t sid, char node[GKD_NODENAME_MAX + 1]);
/*
 * Common checks of a request on /ace-group/G...: 4.01 without a token,
 * 4.04 for a group not configured, 4.03 when the token's scope lacks it.
 * 0 with *g set; 1 when rep holds the refusal.
 */
int kdc_prologue(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		 struct kdc_group **g);
/*
 * The requester's membership (by its token's kid): 0 with *m filled; 1 when
 * it is no member and rep holds 4.03 error 0; -errno. With node set, the
 * member must also be that node (4.03 error 0 otherwise).
 */
int kdc_member(struct gkd_kdc *kdc, struct kdc_group *g, const struct gkd_kdc_req *req,
	       const char *node, struct gkd_member_rec *m, struct gkd_reply *rep);
/* Decode a CBOR request body of ct 261 (4.15 / 4.00 / 4.13 into rep, returning 1). */
int kdc_body(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
	     cbor_item_t **out);

/* kdc_group.c: encoders */
/* Entries 7 gkty, 8 key, 9 num, 10 ace_groupcomm_profile, 11 exp, 12 exi (6 pairs). */
void kdc_enc_keying(struct gk_enc *e, const struct kdc_group *g, int64_t now_ms);
/* 16 group_policies (the pair). */
void kdc_enc_policies(struct gk_enc *e, const struct kdc_group *g);

/* Selection of members for creds (RFC 9594 §4.4.1). */
#define KDC_FILTER_ROLES 16
#define KDC_FILTER_IDS 1024
struct kdc_filter {
	bool all;
	bool include;
	uint32_t roles[KDC_FILTER_ROLES];
	size_t n_roles;
	uint32_t ids[KDC_FILTER_IDS];
	size_t n_ids;
};
/* get_creds item -> filter; -EINVAL when malformed. join: [true, non-empty, []] or null. */
int kdc_filter_parse(const cbor_item_t *it, bool join, struct kdc_filter *f);
/* Appends 13 creds, 14 peer_roles, 15 peer_identifiers (3 pairs); *n selected. */
int kdc_enc_creds(struct gkd_kdc *kdc, struct kdc_group *g, const struct kdc_filter *f,
		  bool textual, struct gk_enc *e, size_t *n);
/* Count selected members only. */
int kdc_count_creds(struct gkd_kdc *kdc, struct kdc_group *g, const struct kdc_filter *f,
		    size_t *n);

/* kdc_join.c */
int kdc_renew(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int kdc_leave(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
/*
 * N_S of the request's token: 0 with *ns, *ns_len; 1 when there is none,
 * and then a fresh one is stored with the token and rep holds the 4.00
 * ct 261 {30: N_S} answer (RFC 9594 §4.3.1, REQ15).
 */
int kdc_challenge(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		  uint8_t *ns, size_t *ns_len);

/* kdc_cred.c */
int kdc_cred_init(struct gkd_kdc *kdc, char *err, size_t err_len);
/*
 * A client_cred: a CCS ({8: {1: COSE_Key}}, other claims allowed) or a bare
 * COSE_Key, EC2 P-256 public (no d), alg absent or ES256. -GK_EKEY for
 * anything else. stored gets what the KDC keeps and returns in creds: the
 * CCS as sent, or the COSE_Key's public part wrapped as {8: {1: key}}.
 */
int kdc_cred_parse(const uint8_t *buf, size_t len, struct gk_cose_key *key, struct gk_enc *stored);
/* 0, -GK_EBADSIG (also for a signature of the wrong length), -errno. */
int kdc_pop_verify(const struct gk_cose_key *key, const uint8_t *scope, size_t scope_len,
		   const uint8_t *n_s, size_t n_s_len, const uint8_t *n_c, size_t n_c_len,
		   const uint8_t *sig, size_t sig_len);
/* N_KDC (fresh, GK_GC_NONCE_LEN bytes) and ES256 over bstr(N_C) || bstr(N_KDC). */
int kdc_pop_sign(struct gkd_kdc *kdc, const uint8_t *n_c, size_t n_c_len,
		 uint8_t n_kdc[GK_GC_NONCE_LEN], uint8_t sig[KDC_SIG_LEN]);

/* kdc_rekey.c */
/* Lowest key version still accepted at now (seconds). */
uint32_t kdc_min_num(const struct gkd_group_rec *rec, int64_t now);
/* Next free sender id into *sid (and rec->next_sid past it); -ENOSPC when none. Inside a tx. */
int kdc_sid_alloc(struct gkd_kdc *kdc, struct gkd_group_rec *rec, int64_t now, uint32_t *sid);
/* Start the coalescing window unless one is running. */
void kdc_mark_due(struct gkd_group_rec *rec, int64_t now_ms);
/* New key, num + 1, committed; then group_rekeyed. */
int kdc_rekey(struct gkd_kdc *kdc, struct kdc_group *g, int64_t now_ms);
/* Remove a member inside a running tx: delete, reserve its sender id, mark for rekey. */
int kdc_remove_locked(struct gkd_kdc *kdc, struct kdc_group *g, struct gkd_group_rec *next,
		      const char *node, int64_t now_ms);
/* Reconcile configured groups with the store (gkd_kdc_open). */
int kdc_groups_load(struct gkd_kdc *kdc, int64_t now_ms);

#endif
