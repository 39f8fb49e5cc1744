// SPDX-License-Identifier: BSD-3-Clause
/* Member mode's data-plane side: the group's keys, sender id and sequence block in the maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "member_int.h"
#include "groupkey/err.h"
#include "groupkey/log.h"

/* Sequence numbers are reserved in blocks; a block is refilled when half of it is used. */
#define MW_SEQ_BLOCK (1ull << 24)

struct gk_dp_group_key gkd_member_addr(const struct gkd_member_conf *m, uint16_t port)
{
	struct gk_dp_group_key k = { 0 };

	/* Validated by the configuration parser: cannot fail. */
	gk_dp_group_addr(m->address, port, &k);
	return k;
}

static uint32_t flags_of(const struct gkd_mw *w)
{
	uint32_t f = w->cfg->dp_strip ? GK_DP_GROUP_STRIP : 0;

	if (w->mc->roles & GK_ROLE_BIT(GK_ROLE_SENDER))
		f |= GK_DP_GROUP_SEND;
	return f;
}

/* Both entries of the group (ADDR:PORT, and ADDR:0 for its fragments) with our sender id. */
static int addrs_set(struct gkd_mw *w)
{
	struct gk_dp_group_key a = gkd_member_addr(w->mc, w->mc->port);
	int err = gk_dp_group_set(w->dp, &a, w->gid, flags_of(w), w->sender_id);

	if (!err) {
		a = gkd_member_addr(w->mc, 0);
		err = gk_dp_group_set(w->dp, &a, w->gid, flags_of(w), w->sender_id);
	}
	return err;
}

/* Legacy hosts that may send through us ([member] allow, gateway mode). */
static int allow_set(struct gkd_mw *w)
{
	for (size_t i = 0; i < w->mc->n_allow; i++) {
		int err = gk_dp_allow_add(w->dp, w->gid, w->mc->allow[i].text);

		if (err && err != -EEXIST)
			return err;
	}
	return 0;
}

/* Delete our group's keys other than keep1/keep2 (stale versions from an earlier run). */
static int keys_prune(struct gkd_mw *w, uint32_t keep1, uint32_t keep2)
{
	struct gk_dp_key_entry *e = NULL;
	size_t n = 0;
	int err, first = 0;

	err = gk_dp_keys_read(w->cfg->dp_pin_dir, &e, &n);
	if (err)
		return err == -ENOENT ? 0 : err;
	for (size_t i = 0; i < n; i++) {
		if (e[i].group_id != w->gid || e[i].key_id == keep1 || e[i].key_id == keep2)
			continue;
		err = gk_dp_key_del(w->dp, w->gid, e[i].key_id);
		if (err && err != -ENOENT && !first)
			first = err;
	}
	free(e);
	return first;
}

/* Expiration Delta (the receive grace): the Join Response's policies; notifications carry none. */
static uint32_t grace_of(struct gkd_mw *w, const struct gk_gc_keying *k)
{
	if (k->has_policies)
		w->grace = k->exp_delta < UINT32_MAX ? (uint32_t)k->exp_delta : UINT32_MAX;
	return w->grace;
}

int gkd_mw_dp_apply(struct gkd_mw *w, const struct gk_gc_keying *k)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t exp = k->has_exp ? k->exp : k->key_exp;
	uint32_t old = w->num, grace = grace_of(w, k);
	int err;

	/* A version change keeps the key we had for its grace; a re-join of the same num keeps all. */
	if (old != k->num) {
		err = keys_prune(w, old, k->num);
		if (err)
			return err;
	}
	err = gk_dp_key_add(w->dp, w->gid, w->mc->group, k->num, k->k, sizeof(k->k),
			    exp > INT64_MAX ? INT64_MAX : (int64_t)exp, grace);
	if (err && err != -EEXIST)
		return err;
	err = addrs_set(w);
	if (!err)
		err = allow_set(w);
	if (!err && (flags_of(w) & GK_DP_GROUP_SEND))
		err = gk_dp_send_key(w->dp, w->gid, k->num);
	if (err)
		return err;
	if (old && old != k->num) {
		w->prev = old;
		w->prev_until = now + grace;
	}
	w->num = k->num;
	pr_info("member %s: key %u of group %s in the data plane (exp %llu, sender id %u)",
		w->mc->name, k->num, w->mc->group, (unsigned long long)exp, w->sender_id);
	return 0;
}

void gkd_mw_dp_forget(struct gkd_mw *w)
{
	uint32_t flags = flags_of(w) & ~GK_DP_GROUP_SEND;
	struct gk_dp_group_key a;
	int err = 0;

	if (!w->num)
		return;
	/* Stamping off first: a key being stamped with cannot be deleted (-EBUSY). */
	a = gkd_member_addr(w->mc, w->mc->port);
	err = gk_dp_group_set(w->dp, &a, w->gid, flags, w->sender_id);
	a = gkd_member_addr(w->mc, 0);
	if (!err)
		err = gk_dp_group_set(w->dp, &a, w->gid, flags, w->sender_id);
	if (!err)
		err = keys_prune(w, 0, 0);
	if (err) {
		pr_err("member %s: removing the group's keys: %s", w->mc->name, gk_strerror(err));
		return;
	}
	pr_info("member %s: membership ended: keys of group %s removed from the data plane",
		w->mc->name, w->mc->group);
	w->num = 0;
	w->prev = 0;
}

static int persist_mark(void *arg, uint32_t group_id, uint64_t mark)
{
	struct gkd_mw *w = arg;

	(void)group_id;
	return gkd_mstore_mark_put(w->st, w->addr_key, mark);
}

static int seq_refill(struct gkd_mw *w)
{
	uint64_t seq, limit;
	int err;

	if (!(flags_of(w) & GK_DP_GROUP_SEND))
		return 0;
	err = gk_dp_seq_read(w->dp, w->gid, &seq, &limit);
	if (err || (limit > seq && limit - seq > MW_SEQ_BLOCK / 2))
		return err;
	err = gk_dp_seq_reserve(w->dp, w->gid, MW_SEQ_BLOCK, persist_mark, w, &limit);
	if (!err)
		pr_debug("member %s: sequence numbers up to %llu reserved", w->mc->name,
			 (unsigned long long)limit);
	return err;
}

int gkd_mw_dp_seq_init(struct gkd_mw *w)
{
	uint64_t mark = 0;
	int err = gkd_mstore_mark_get(w->st, w->addr_key, &mark);

	if (err == -ENOENT)
		return seq_refill(w);
	if (!err)
		err = gk_dp_seq_start(w->dp, w->gid, mark);
	return err ? err : seq_refill(w);
}

int gkd_mw_dp_tick(struct gkd_mw *w, int64_t now)
{
	int err;

	if (w->prev && now >= w->prev_until) {
		err = gk_dp_key_del(w->dp, w->gid, w->prev);
		if (err && err != -ENOENT)
			return err;
		pr_debug("member %s: key %u removed after its grace", w->mc->name, w->prev);
		w->prev = 0;
	}
	return seq_refill(w);
}
