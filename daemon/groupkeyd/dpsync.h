/* SPDX-License-Identifier: BSD-3-Clause */
/* KDC mode data plane: programs this host's XDP/TC maps from the KDC's own group state. */
#ifndef GKD_DPSYNC_H
#define GKD_DPSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "kdc.h"
#include "groupkey/dp.h"

/*
 * What dpsync needs from a data plane: the gk_dp_* calls it makes, behind
 * pointers so that the rotation logic can be tested without BPF. keys()
 * fills ids with the key versions of group_id present in the maps (at most
 * GK_DP_KEY_SLOTS). All return 0 or -errno as their gk_dp_* counterparts.
 */
struct gkd_dpsync_ops {
	int (*group_set)(void *dp, const struct gk_dp_group_key *addr, uint32_t group_id,
			 uint32_t flags, uint32_t sender_id);
	int (*key_add)(void *dp, uint32_t group_id, const char *group, uint32_t key_id,
		       const uint8_t *k, size_t len, int64_t exp, uint32_t recv_grace);
	int (*key_del)(void *dp, uint32_t group_id, uint32_t key_id);
	int (*keys)(void *dp, uint32_t group_id, uint32_t ids[GK_DP_KEY_SLOTS], size_t *n);
	/* Every protected address and its group id; *out malloc'd. */
	int (*addrs)(void *dp, struct gk_dp_group_entry **out, size_t *n);
	int (*group_del)(void *dp, const struct gk_dp_group_key *addr);
};

/* Where the keys come from: the KDC (gkd_kdc_group_num/gkd_kdc_key) or a test double. */
struct gkd_dpsync_src {
	void *arg;
	int (*num)(void *arg, const char *group, uint32_t *num);
	int (*key)(void *arg, const char *group, uint32_t num, struct gkd_kdc_key *out);
};

struct gkd_dpsync;

/*
 * A dpsync over an open data plane (not owned). Group ids are the indexes
 * of the configured groups in cfg->groups; only groups with an address are
 * programmed. flags: GK_DP_GROUP_* given to every group address (STRIP
 * only: the KDC host validates, it does not send). Group names, addresses
 * and ports are copied from cfg.
 */
int gkd_dpsync_new(const struct gkd_config *cfg, const struct gkd_dpsync_ops *ops, void *dp,
		   const struct gkd_dpsync_src *src, uint32_t flags, struct gkd_dpsync **out);
void gkd_dpsync_free(struct gkd_dpsync *s);

/* The gk_dp_* functions as dpsync ops (dp is a struct gk_dp *). */
extern const struct gkd_dpsync_ops gkd_dpsync_dp_ops;
/*
 * The KDC as key source, read through *kdc at each call (NULL: -ENOENT), so
 * that a KDC reopened by a reload is used without a new dpsync.
 */
void gkd_dpsync_kdc_src(struct gkd_kdc *const *kdc, struct gkd_dpsync_src *src);

/*
 * Program every group: its address entries, its current key and the
 * previous key while in grace; keys the KDC no longer holds and addresses
 * no configured group has (pins left by an earlier run, a configuration
 * edited since) are deleted. now in seconds since the epoch. Returns 0
 * or the first -errno; the other groups are still done.
 */
int gkd_dpsync_sync(struct gkd_dpsync *s, int64_t now);

/*
 * Group got key version num (gkd_kdc_events.group_rekeyed): add it (a key
 * already present is kept), keep the previous one until the end of its
 * receive grace, delete any other. -ENOENT for a group dpsync does not
 * program (no address): nothing to do.
 */
int gkd_dpsync_group_rekeyed(struct gkd_dpsync *s, const char *group, uint32_t num, int64_t now);

/* Delete previous keys whose receive grace ended at or before now. 0 or the first -errno. */
int gkd_dpsync_tick(struct gkd_dpsync *s, int64_t now);
/* Seconds from now until gkd_dpsync_tick() has work (0: now), -1: nothing pending. */
int64_t gkd_dpsync_next_deadline(const struct gkd_dpsync *s, int64_t now);

#endif
