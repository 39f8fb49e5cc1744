// SPDX-License-Identifier: BSD-3-Clause
/* KDC mode data plane: keeps this host's gk_groups/gk_keys in step with the KDC's keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpsync.h"
#include "member.h"
#include "groupkey/crypto.h"

/*
 * Per configured group: what dpsync put in the maps. Entries in gk_keys are
 * never rewritten (dp.h), so the previous key keeps the receive deadline it
 * was added with (its original exp + grace). A rekey cuts the previous key's
 * grace short (the KDC sets prev_exp = now), so dpsync deletes it itself at
 * the KDC's prev_until; otherwise a member removed by a rekey could go on
 * sending under its old key until that key's original deadline.
 */
struct dps_group {
	/* Copies: a reload replaces the configuration dpsync was made from. */
	char name[GK_GROUP_NAME_MAX + 1];
	char address[sizeof(((struct gkd_group_conf *)0)->address)];
	uint16_t port;
	uint32_t id;
	bool programmed; /* has an address */
	uint32_t cur;
	uint32_t prev;	    /* 0: none kept */
	int64_t prev_until; /* seconds: prev is deleted from then on */
};

struct gkd_dpsync {
	const struct gkd_dpsync_ops *ops;
	void *dp;
	struct gkd_dpsync_src src;
	uint32_t flags;
	size_t n;
	struct dps_group g[GKD_MAX_GROUPS];
	/* Addresses the member workers program: never pruned here. */
	struct gk_dp_group_key member_addr[2 * GKD_MAX_MEMBERS];
	size_t n_members;
};

static bool member_of(const struct gkd_config *cfg, const char *group)
{
	for (size_t i = 0; i < cfg->n_members; i++)
		if (!strcmp(cfg->members[i].group, group))
			return true;
	return false;
}

int gkd_dpsync_new(const struct gkd_config *cfg, const struct gkd_dpsync_ops *ops, void *dp,
		   const struct gkd_dpsync_src *src, uint32_t flags, struct gkd_dpsync **out)
{
	struct gkd_dpsync *s;

	*out = NULL;
	/* The KDC host holds no sender id and no sequence block: it validates only. */
	if (flags & ~GK_DP_GROUP_STRIP)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->dp = dp;
	s->src = *src;
	s->flags = flags;
	s->n = cfg->n_groups;
	for (size_t i = 0; i < s->n; i++) {
		const struct gkd_group_conf *c = &cfg->groups[i];

		snprintf(s->g[i].name, sizeof(s->g[i].name), "%s", c->name);
		snprintf(s->g[i].address, sizeof(s->g[i].address), "%s", c->address);
		s->g[i].port = c->port;
		s->g[i].id = (uint32_t)i;
		/* A group this host is also a member of is programmed by its member worker. */
		s->g[i].programmed = c->address[0] != '\0' && !member_of(cfg, c->name);
	}
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct gkd_member_conf *m = &cfg->members[i];

		s->member_addr[s->n_members++] = gkd_member_addr(m, m->port);
		s->member_addr[s->n_members++] = gkd_member_addr(m, 0);
	}
	*out = s;
	return 0;
}

void gkd_dpsync_free(struct gkd_dpsync *s)
{
	free(s);
}

static struct dps_group *group_find(struct gkd_dpsync *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->g[i].name, name))
			return &s->g[i];
	return NULL;
}

static int del_key(struct gkd_dpsync *s, const struct dps_group *g, uint32_t key_id)
{
	int err = s->ops->key_del(s->dp, g->id, key_id);

	return err == -ENOENT ? 0 : err;
}

/* Delete every key of g in the maps but keep and keep2 (0: none). */
static int prune(struct gkd_dpsync *s, const struct dps_group *g, uint32_t keep, uint32_t keep2)
{
	uint32_t ids[GK_DP_KEY_SLOTS];
	size_t n = 0;
	int err, first = 0;

	err = s->ops->keys(s->dp, g->id, ids, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && i < GK_DP_KEY_SLOTS; i++) {
		if (ids[i] == keep || (keep2 && ids[i] == keep2))
			continue;
		err = del_key(s, g, ids[i]);
		if (err && !first)
			first = err;
	}
	return first;
}

static uint32_t grace_of(const struct gkd_kdc_key *k)
{
	int64_t d = k->recv_until - k->exp;

	return d <= 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* Make g's keys in the maps {num, num - 1 while its grace lasts}: the new one before any switch. */
static int program(struct gkd_dpsync *s, struct dps_group *g, uint32_t num, int64_t now)
{
	struct gkd_kdc_key k = { 0 }, p = { 0 };
	bool have_prev;
	int err;

	err = s->src.key(s->src.arg, g->name, num, &k);
	if (err)
		return err;
	have_prev = num > 1 && !s->src.key(s->src.arg, g->name, num - 1, &p) &&
		    p.recv_until > now;
	/* Frees the slot num may share with a version that must go anyway. */
	err = prune(s, g, num, have_prev ? num - 1 : 0);
	if (err)
		goto out_wipe;
	err = s->ops->key_add(s->dp, g->id, g->name, num, k.k, sizeof(k.k), k.exp,
			      grace_of(&k));
	if (err == -EEXIST)
		err = 0; /* pinned by an earlier run: same key, same deadlines */
	if (err)
		goto out_wipe;
	g->cur = num;
	g->prev = have_prev ? num - 1 : 0;
	g->prev_until = have_prev ? p.recv_until : 0;
out_wipe:
	gk_wipe(&k, sizeof(k));
	gk_wipe(&p, sizeof(p));
	return err;
}

static int addr_set(struct gkd_dpsync *s, const struct dps_group *g)
{
	struct gk_dp_group_key a;
	int err;

	err = gk_dp_group_addr(g->address, g->port, &a);
	if (!err)
		err = s->ops->group_set(s->dp, &a, g->id, s->flags, 0);
	/* The address entry (port 0): fragments of the group's traffic carry no port. */
	if (!err)
		err = gk_dp_group_addr(g->address, 0, &a);
	if (!err)
		err = s->ops->group_set(s->dp, &a, g->id, s->flags, 0);
	return err;
}

/* Is a one of the two entries g programs (address:port, address:0)? */
static bool addr_of(const struct dps_group *g, const struct gk_dp_group_entry *e)
{
	struct gk_dp_group_key a;

	if (!g->programmed || e->group.group_id != g->id)
		return false;
	if (!gk_dp_group_addr(g->address, g->port, &a) && !memcmp(&a, &e->addr, sizeof(a)))
		return true;
	return !gk_dp_group_addr(g->address, 0, &a) && !memcmp(&a, &e->addr, sizeof(a));
}

/* Addresses left from an earlier configuration would map traffic to a group id now reused. */
static int addrs_prune(struct gkd_dpsync *s)
{
	struct gk_dp_group_entry *e;
	size_t n;
	int err, first = 0;

	err = s->ops->addrs(s->dp, &e, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		bool keep = false;

		for (size_t j = 0; j < s->n && !keep; j++)
			keep = addr_of(&s->g[j], &e[i]);
		/* The member workers' own addresses (member.c). */
		for (size_t j = 0; j < s->n_members && !keep; j++)
			keep = e[i].group.group_id >= GKD_MEMBER_GROUP_ID_BASE &&
			       !memcmp(&s->member_addr[j], &e[i].addr, sizeof(e[i].addr));
		if (keep)
			continue;
		err = s->ops->group_del(s->dp, &e[i].addr);
		if (err && err != -ENOENT && !first)
			first = err;
	}
	free(e);
	return first;
}

int gkd_dpsync_sync(struct gkd_dpsync *s, int64_t now)
{
	int first = addrs_prune(s);

	for (size_t i = 0; i < s->n; i++) {
		struct dps_group *g = &s->g[i];
		uint32_t num;
		int err;

		if (!g->programmed)
			continue;
		err = addr_set(s, g);
		if (!err)
			err = s->src.num(s->src.arg, g->name, &num);
		if (!err)
			err = program(s, g, num, now);
		if (err && !first)
			first = err;
	}
	return first;
}

int gkd_dpsync_group_rekeyed(struct gkd_dpsync *s, const char *group, uint32_t num, int64_t now)
{
	struct dps_group *g = group_find(s, group);

	if (!g || !g->programmed)
		return -ENOENT;
	return program(s, g, num, now);
}

int gkd_dpsync_tick(struct gkd_dpsync *s, int64_t now)
{
	int first = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct dps_group *g = &s->g[i];
		int err;

		if (!g->prev || g->prev_until > now)
			continue;
		err = del_key(s, g, g->prev);
		if (err) {
			if (!first)
				first = err;
			continue;
		}
		g->prev = 0;
		g->prev_until = 0;
	}
	return first;
}

int64_t gkd_dpsync_next_deadline(const struct gkd_dpsync *s, int64_t now)
{
	int64_t best = -1;

	for (size_t i = 0; i < s->n; i++) {
		const struct dps_group *g = &s->g[i];
		int64_t d;

		if (!g->prev)
			continue;
		d = g->prev_until > now ? g->prev_until - now : 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

/* --- the real data plane and the real KDC ---------------------------------- */

static int dp_group_set(void *dp, const struct gk_dp_group_key *addr, uint32_t group_id,
			uint32_t flags, uint32_t sender_id)
{
	return gk_dp_group_set(dp, addr, group_id, flags, sender_id);
}

static int dp_key_add(void *dp, uint32_t group_id, const char *group, uint32_t key_id,
		      const uint8_t *k, size_t len, int64_t exp, uint32_t recv_grace)
{
	return gk_dp_key_add(dp, group_id, group, key_id, k, len, exp, recv_grace);
}

static int dp_key_del(void *dp, uint32_t group_id, uint32_t key_id)
{
	return gk_dp_key_del(dp, group_id, key_id);
}

static int dp_keys(void *dp, uint32_t group_id, uint32_t ids[GK_DP_KEY_SLOTS], size_t *n)
{
	struct gk_dp_key_entry *e;
	size_t ne;
	int err;

	*n = 0;
	err = gk_dp_keys_read(gk_dp_pin_dir(dp), &e, &ne);
	if (err)
		return err;
	for (size_t i = 0; i < ne && *n < GK_DP_KEY_SLOTS; i++)
		if (e[i].group_id == group_id)
			ids[(*n)++] = e[i].key_id;
	free(e);
	return 0;
}

static int dp_addrs(void *dp, struct gk_dp_group_entry **out, size_t *n)
{
	return gk_dp_groups_read(gk_dp_pin_dir(dp), out, n);
}

static int dp_group_del(void *dp, const struct gk_dp_group_key *addr)
{
	return gk_dp_group_del(dp, addr);
}

const struct gkd_dpsync_ops gkd_dpsync_dp_ops = {
	.group_set = dp_group_set,
	.key_add = dp_key_add,
	.key_del = dp_key_del,
	.keys = dp_keys,
	.addrs = dp_addrs,
	.group_del = dp_group_del,
};

static int kdc_num(void *arg, const char *group, uint32_t *num)
{
	struct gkd_kdc *const *kdc = arg;

	return *kdc ? gkd_kdc_group_num(*kdc, group, num) : -ENOENT;
}

static int kdc_key(void *arg, const char *group, uint32_t num, struct gkd_kdc_key *out)
{
	struct gkd_kdc *const *kdc = arg;

	memset(out, 0, sizeof(*out));
	return *kdc ? gkd_kdc_key(*kdc, group, num, out) : -ENOENT;
}

void gkd_dpsync_kdc_src(struct gkd_kdc *const *kdc, struct gkd_dpsync_src *src)
{
	src->arg = (void *)kdc;
	src->num = kdc_num;
	src->key = kdc_key;
}
