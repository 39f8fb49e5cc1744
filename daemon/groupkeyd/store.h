/* SPDX-License-Identifier: BSD-3-Clause */
/* Persistent state in SQLite: schema versions, AS counters, KDC tokens, N_S challenges, groups. */
#ifndef GKD_STORE_H
#define GKD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GKD_KID_MAX 64
#define GKD_NONCE_MAX 32
#define GKD_TOKEN_MAX 4096

struct gkd_store;

/*
 * Open (creating if needed) STATE_DIR/groupkeyd.db with mode 0600, WAL
 * journal, synchronous=FULL (a committed change survives kill -9 and power
 * loss), foreign keys on; run the migrations up to the current schema
 * version in one transaction each. The directory is created 0700 if absent.
 * Errors: -errno, -EIO for SQLite failures (logged with the SQLite message),
 * -EPROTO for a database from a newer groupkeyd (schema version too high).
 */
int gkd_store_open(const char *state_dir, struct gkd_store **out);
void gkd_store_close(struct gkd_store *st);
/*
 * The store's own SQLite connection. The database is opened in EXCLUSIVE
 * locking mode, so no second connection can read it while the store is
 * open: tests inspect it and inject faults through this one.
 */
struct sqlite3 *gkd_store_sqlite(struct gkd_store *st);
int gkd_store_schema_version(struct gkd_store *st);

/* AS: next value of a persistent, strictly increasing counter (cti sequence); never reused. */
int gkd_store_next_seq(struct gkd_store *st, const char *counter, uint64_t *value);

/*
 * KDC token store. A token is stored whole, as received (so the PoP key of
 * an encrypted token is never at rest in clear); it is found by the kid of
 * its PoP key. One token per PoP key: put replaces the previous one.
 */
struct gkd_token_rec {
	uint8_t kid[GKD_KID_MAX];
	size_t kid_len;
	uint8_t token[GKD_TOKEN_MAX];
	size_t token_len;
	int64_t exp;	     /* token's exp, for purging */
	int64_t received;    /* when it was stored */
	uint8_t ns[GKD_NONCE_MAX]; /* N_S (kdcchallenge) given with it, ns_len 0 if none */
	size_t ns_len;
};

int gkd_store_token_put(struct gkd_store *st, const struct gkd_token_rec *rec);
int gkd_store_token_get(struct gkd_store *st, const uint8_t *kid, size_t kid_len,
			struct gkd_token_rec *out); /* -ENOENT */
int gkd_store_token_delete(struct gkd_store *st, const uint8_t *kid, size_t kid_len);
/* Delete tokens with exp < now; *purged counts them (may be NULL). */
int gkd_store_token_purge(struct gkd_store *st, int64_t now, unsigned *purged);
int gkd_store_token_count(struct gkd_store *st, unsigned *count);

/*
 * KDC groups (schema v2). A group row outlives its [group] section: when
 * the section goes, the row stays inactive (keys wiped, members gone) so
 * that num, and with it every key version, is never issued twice.
 */
#define GKD_GROUP_NAME_MAX 64
#define GKD_GROUP_KEY_LEN 16
#define GKD_NODE_MAX 16
#define GKD_CRED_MAX 512
#define GKD_URI_MAX 255
#define GKD_SCOPE_ENTRY_MAX 128

struct gkd_group_rec {
	char name[GKD_GROUP_NAME_MAX + 1];
	bool active;		      /* configured now */
	uint32_t num;		      /* version of key; never decreases */
	uint8_t key[GKD_GROUP_KEY_LEN];
	int64_t exp;		      /* NumericDate */
	uint32_t prev_num;	      /* 0: no previous key kept */
	uint8_t prev_key[GKD_GROUP_KEY_LEN];
	int64_t prev_exp;	      /* when it stopped being the sending key */
	int64_t prev_until;	      /* NumericDate: receiving under it ends */
	uint32_t next_sid;	      /* next sender id to try */
	int64_t rekey_due_ms;	      /* a coalesced rekey is due then (wall ms); 0: none */
};

/* -ENOENT when absent. */
int gkd_store_group_get(struct gkd_store *st, const char *name, struct gkd_group_rec *out);
/* Insert or update; an update that would lower num is refused with -ERANGE. */
int gkd_store_group_put(struct gkd_store *st, const struct gkd_group_rec *rec);
/* Every stored group, in name order; a non-zero cb return stops and is returned. */
int gkd_store_group_foreach(struct gkd_store *st,
			    int (*cb)(void *arg, const struct gkd_group_rec *rec), void *arg);

struct gkd_member_rec {
	char group[GKD_GROUP_NAME_MAX + 1];
	char node[GKD_NODE_MAX + 1];
	uint32_t sender_id;
	uint8_t kid[GKD_KID_MAX]; /* the member's token */
	size_t kid_len;
	uint8_t cred[GKD_CRED_MAX]; /* CCS; cred_len 0: none */
	size_t cred_len;
	uint32_t roles;
	char control_uri[GKD_URI_MAX + 1]; /* "" when none */
	uint8_t cnonce[GKD_NONCE_MAX];	    /* clientchallenge: N_C of the latest Join */
	size_t cnonce_len;
	uint8_t scope[GKD_SCOPE_ENTRY_MAX]; /* the Join's scope entry (PoP input of cred updates) */
	size_t scope_len;
	uint32_t joined_num; /* num when it joined */
};

/* Insert or replace the member (group, node); sender id and kid are unique in the group. */
int gkd_store_member_put(struct gkd_store *st, const struct gkd_member_rec *rec);
int gkd_store_member_get(struct gkd_store *st, const char *group, const char *node,
			 struct gkd_member_rec *out); /* -ENOENT */
int gkd_store_member_get_by_kid(struct gkd_store *st, const char *group, const uint8_t *kid,
				size_t kid_len, struct gkd_member_rec *out); /* -ENOENT */
int gkd_store_member_delete(struct gkd_store *st, const char *group, const char *node);
/* From the group row (schema v3), not a count over the members: 0 for an unknown group. */
int gkd_store_member_count(struct gkd_store *st, const char *group, unsigned *count);
/* Members of group in sender-id order; rec is valid during the call only. */
int gkd_store_member_foreach(struct gkd_store *st, const char *group,
			     int (*cb)(void *arg, const struct gkd_member_rec *rec), void *arg);

/* A member named by group and node. */
struct gkd_member_ref {
	char group[GKD_GROUP_NAME_MAX + 1];
	char node[GKD_NODE_MAX + 1];
};

/*
 * Members of active groups whose token (by kid) is no longer stored or has
 * exp <= now, at most max of them, by group name, token exp (gone tokens
 * first), sender id: *out is malloc'd (free()), *n may be 0. Like
 * next_expiry, an index range per group: no scan of the members.
 */
int gkd_store_member_expired(struct gkd_store *st, int64_t now, size_t max,
			     struct gkd_member_ref **out, size_t *n);
/*
 * Earliest exp of the token of a member of an active group (0 for a member
 * whose token is gone); -ENOENT: no members.
 */
int gkd_store_member_next_expiry(struct gkd_store *st, int64_t *exp);

/*
 * Sender-id reservations: a sender id given up (leave, renewal) under key
 * version last_num stays taken while a key of version >= last_num can
 * still be accepted. taken: a member holds sid or the node name node, or
 * a reservation with last_num >= min_num exists.
 */
int gkd_store_sid_taken(struct gkd_store *st, const char *group, uint32_t sid, const char *node,
			uint32_t min_num, bool *taken);
int gkd_store_sid_reserve(struct gkd_store *st, const char *group, uint32_t sid,
			  uint32_t last_num);
/* Drop reservations with last_num < min_num; *purged may be NULL. */
int gkd_store_sid_purge(struct gkd_store *st, const char *group, uint32_t min_num,
			unsigned *purged);
int gkd_store_sid_count(struct gkd_store *st, const char *group, unsigned *count);

/*
 * SQLite virtual-machine steps run by the store's statements since the
 * previous call (or the open), summed into *steps: a measure of the work
 * of an operation that does not depend on timing, so that tests can check
 * that it does not grow with the number of members.
 */
int gkd_store_vm_steps(struct gkd_store *st, uint64_t *steps);

/* Transactions for multi-step changes (join, leave, rekey). Nested begin is -EBUSY. */
int gkd_store_begin(struct gkd_store *st);
int gkd_store_commit(struct gkd_store *st);
void gkd_store_rollback(struct gkd_store *st);

#endif
