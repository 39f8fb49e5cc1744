// SPDX-License-Identifier: BSD-3-Clause
/* Group keying material over time: start-up reconciliation, rekeying, eviction, sender ids. */

/*
 * - A rekey draws a new 16-byte key, increments num and writes the group
 *   row in one transaction; only after COMMIT does the in-memory copy
 *   change and group_rekeyed fire. A failed transaction leaves num, keys
 *   and the pending-rekey mark as they were, and the next tick retries.
 * - The key that was current becomes the previous key: it stops being a
 *   sending key at the rekey (prev_exp = min(exp, now)) and stays
 *   acceptable for receiving until prev_exp + recv_grace (the Expiration
 *   Delta policy). One previous key is kept: a second rekey within the
 *   grace ends the older key's grace early.
 * - Coalescing: membership changes only mark the group (rekey_due_ms, in
 *   the same transaction as the change, so a crash cannot lose a needed
 *   rekey); gkd_kdc_tick() rekeys once the GKD_KDC_COALESCE_MS window that
 *   the first change opened has passed. The margin rekey (rekey_margin
 *   seconds before exp) is immediate.
 * - Sender ids are handed out in increasing order from a per-group
 *   counter (1, 2, ... wrapping to 1 after 2^32-1), skipping ids a member
 *   holds, ids whose NODENAME a member still carries, and reserved ids. An
 *   id given up (leave, eviction, renewal) is reserved with the num current
 *   at that moment (the newest key it may have been used under), and is
 *   free again once every key still accepted is newer than that num
 *   (kdc_min_num() > num): its replay windows can no longer matter.
 * - Token expiry: members whose token (by kid) is no longer in the store
 *   or has reached its exp are removed at the next tick, reason 5.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kdc_int.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

static int64_t ms_to_s(int64_t ms)
{
	return ms / 1000;
}

uint32_t kdc_min_num(const struct gkd_group_rec *rec, int64_t now)
{
	return rec->prev_num && now < rec->prev_until ? rec->prev_num : rec->num;
}

void kdc_mark_due(struct gkd_group_rec *rec, int64_t now_ms)
{
	if (!rec->rekey_due_ms)
		rec->rekey_due_ms = now_ms + GKD_KDC_COALESCE_MS;
}

static uint32_t sid_next(uint32_t sid)
{
	return sid == UINT32_MAX ? 1 : sid + 1;
}

int kdc_sid_alloc(struct gkd_kdc *kdc, struct gkd_group_rec *rec, int64_t now, uint32_t *sid)
{
	uint32_t c = rec->next_sid ? rec->next_sid : 1, min_num = kdc_min_num(rec, now);
	char node[GKD_NODENAME_MAX + 1];

	for (unsigned i = 0; i < KDC_SID_TRIES; i++, c = sid_next(c)) {
		bool taken = true;
		int err;

		kdc_node_name(c, node);
		err = gkd_store_sid_taken(kdc->store, rec->name, c, node, min_num, &taken);
		if (err)
			return err;
		if (!taken) {
			*sid = c;
			rec->next_sid = sid_next(c);
			return 0;
		}
	}
	pr_warn("kdc: group %s: no free sender id in %u tries", rec->name, KDC_SID_TRIES);
	return -ENOSPC;
}

static void fire_rekeyed(struct gkd_kdc *kdc, const char *group, uint32_t num)
{
	if (kdc->ev.group_rekeyed)
		kdc->ev.group_rekeyed(kdc->ev.arg, group, num);
}

static void fire_removed(struct gkd_kdc *kdc, const char *group, const char *node, int reason)
{
	if (kdc->ev.member_removed)
		kdc->ev.member_removed(kdc->ev.arg, group, node, reason);
}

/* A fresh key in next (num + 1, exp from now); the old one becomes the previous key. */
static int next_key(struct gkd_kdc *kdc, const struct gkd_group_conf *conf,
		    struct gkd_group_rec *next, int64_t now)
{
	if (next->num == UINT32_MAX)
		return -EOVERFLOW;
	next->prev_num = next->num;
	memcpy(next->prev_key, next->key, sizeof(next->key));
	next->prev_exp = next->exp < now ? next->exp : now;
	next->prev_until = next->prev_exp + conf->recv_grace;
	next->num++;
	next->exp = now + conf->key_lifetime;
	next->rekey_due_ms = 0;
	return gk_random(kdc->rng, next->key, sizeof(next->key));
}

int kdc_rekey(struct gkd_kdc *kdc, struct kdc_group *g, int64_t now_ms)
{
	struct gkd_group_rec next = g->rec;
	int64_t now = ms_to_s(now_ms);
	int err;

	err = next_key(kdc, g->conf, &next, now);
	if (!err)
		err = kdc_tx_begin(kdc);
	if (!err) {
		err = gkd_store_group_put(kdc->store, &next);
		if (!err)
			err = gkd_store_sid_purge(kdc->store, next.name, kdc_min_num(&next, now),
						  NULL);
		err = kdc_tx_end(kdc, err);
	}
	if (err) {
		pr_err("kdc: group %s: rekey to num %u failed: %s", g->rec.name, g->rec.num + 1,
		       gk_strerror(err));
		gk_wipe(&next, sizeof(next));
		return err;
	}
	g->rec = next;
	gk_wipe(&next, sizeof(next));
	pr_info("kdc: group %s rekeyed, num %u", g->rec.name, g->rec.num);
	fire_rekeyed(kdc, g->rec.name, g->rec.num);
	return 0;
}

int kdc_remove_locked(struct gkd_kdc *kdc, struct kdc_group *g, struct gkd_group_rec *next,
		      const char *node, int64_t now_ms)
{
	struct gkd_member_rec *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	err = gkd_store_member_get(kdc->store, g->rec.name, node, m);
	if (!err)
		err = gkd_store_member_delete(kdc->store, g->rec.name, node);
	if (!err)
		err = gkd_store_sid_reserve(kdc->store, g->rec.name, m->sender_id, next->num);
	if (!err && g->conf->rekey_on_leave)
		kdc_mark_due(next, now_ms);
	gk_wipe(m, sizeof(*m));
	free(m);
	return err;
}

/* Remove one member in its own transaction, then tell. */
static int remove_member(struct gkd_kdc *kdc, struct kdc_group *g, const char *node, int reason,
			 int64_t now_ms)
{
	struct gkd_group_rec next = g->rec;
	int err = kdc_tx_begin(kdc);

	if (err)
		return err;
	err = kdc_remove_locked(kdc, g, &next, node, now_ms);
	if (!err)
		err = gkd_store_group_put(kdc->store, &next);
	err = kdc_tx_end(kdc, err);
	if (!err) {
		g->rec = next;
		pr_info("kdc: group %s: member %s removed (%d)", g->rec.name, node, reason);
		fire_removed(kdc, g->rec.name, node, reason);
	}
	gk_wipe(&next, sizeof(next));
	return err == -ENOENT ? 0 : err;
}

/* --- start-up ---------------------------------------------------------------- */

struct node_list {
	struct gkd_member_ref *v;
	size_t n, cap;
	uint32_t keep_roles; /* collect members with roles outside these */
};

static int collect_node(void *arg, const struct gkd_member_rec *m)
{
	struct node_list *l = arg;

	if (!(m->roles & ~l->keep_roles))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct gkd_member_ref *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n].group, sizeof(l->v[l->n].group), "%s", m->group);
	snprintf(l->v[l->n].node, sizeof(l->v[l->n].node), "%s", m->node);
	l->n++;
	return 0;
}

/* Members whose roles the configuration no longer allows (keep 0: every member). */
static int collect_nodes(struct gkd_kdc *kdc, const char *group, uint32_t keep, struct node_list *l)
{
	memset(l, 0, sizeof(*l));
	l->keep_roles = keep;
	return gkd_store_member_foreach(kdc->store, group, collect_node, l);
}

static int group_create(struct gkd_kdc *kdc, struct kdc_group *g, const struct gkd_group_rec *old,
			int64_t now)
{
	struct gkd_group_rec next = { 0 };
	int err;

	snprintf(next.name, sizeof(next.name), "%s", g->conf->name);
	next.active = true;
	next.num = old ? old->num + 1 : GK_GC_INITIAL_NUM;
	next.exp = now + g->conf->key_lifetime;
	next.next_sid = old && old->next_sid ? old->next_sid : 1;
	if (old && old->num == UINT32_MAX)
		return -EOVERFLOW;
	err = gk_random(kdc->rng, next.key, sizeof(next.key));
	if (!err)
		err = kdc_tx_begin(kdc);
	if (!err)
		err = kdc_tx_end(kdc, gkd_store_group_put(kdc->store, &next));
	if (!err) {
		g->rec = next;
		pr_info("kdc: group %s %s, num %u", next.name, old ? "re-created" : "created",
			next.num);
	}
	gk_wipe(&next, sizeof(next));
	return err;
}

/* An existing group: drop members holding roles no longer offered. */
static int group_resume(struct gkd_kdc *kdc, struct kdc_group *g, int64_t now_ms)
{
	struct node_list l;
	int err = collect_nodes(kdc, g->rec.name, g->conf->roles, &l);

	for (size_t i = 0; !err && i < l.n; i++)
		err = remove_member(kdc, g, l.v[i].node, GK_GC_ERR_MEMBERSHIP_TERMINATED, now_ms);
	free(l.v);
	return err;
}

static int group_load(struct gkd_kdc *kdc, struct kdc_group *g, int64_t now_ms)
{
	struct gkd_group_rec *old = malloc(sizeof(*old));
	int err;

	if (!old)
		return -ENOMEM;
	err = gkd_store_group_get(kdc->store, g->conf->name, old);
	if (err == -ENOENT) {
		err = group_create(kdc, g, NULL, ms_to_s(now_ms));
	} else if (!err && !old->active) {
		err = group_create(kdc, g, old, ms_to_s(now_ms));
	} else if (!err) {
		g->rec = *old;
		err = group_resume(kdc, g, now_ms);
	}
	gk_wipe(old, sizeof(*old));
	free(old);
	return err;
}

/* A group gone from the configuration: members and keys go, num stays. */
static int group_retire(struct gkd_kdc *kdc, const struct gkd_group_rec *rec)
{
	struct gkd_group_rec next = *rec;
	struct node_list l;
	bool began = false;
	int err = collect_nodes(kdc, rec->name, 0, &l);

	if (!err) {
		err = kdc_tx_begin(kdc);
		began = !err;
	}
	for (size_t i = 0; !err && i < l.n; i++)
		err = gkd_store_member_delete(kdc->store, rec->name, l.v[i].node);
	if (!err)
		err = gkd_store_sid_purge(kdc->store, rec->name, UINT32_MAX, NULL);
	next.active = false;
	memset(next.key, 0, sizeof(next.key));
	memset(next.prev_key, 0, sizeof(next.prev_key));
	next.prev_num = 0;
	next.prev_exp = next.prev_until = 0;
	next.rekey_due_ms = 0;
	if (!err)
		err = gkd_store_group_put(kdc->store, &next);
	if (began)
		err = kdc_tx_end(kdc, err);
	for (size_t i = 0; !err && i < l.n; i++)
		fire_removed(kdc, rec->name, l.v[i].node, GK_GC_ERR_GROUP_DELETED);
	if (!err)
		pr_info("kdc: group %s is no longer configured: %zu member(s) removed", rec->name,
			l.n);
	free(l.v);
	gk_wipe(&next, sizeof(next));
	return err;
}

struct retire_list {
	struct gkd_kdc *kdc;
	char (*names)[GKD_GROUP_NAME_MAX + 1];
	size_t n;
};

static int collect_retired(void *arg, const struct gkd_group_rec *rec)
{
	struct retire_list *r = arg;

	if (rec->active && !kdc_group_find(r->kdc, rec->name) && r->n < GKD_MAX_GROUPS * 4)
		snprintf(r->names[r->n++], sizeof(r->names[0]), "%s", rec->name);
	return 0;
}

static int groups_retire(struct gkd_kdc *kdc)
{
	struct retire_list r = { .kdc = kdc };
	struct gkd_group_rec *rec;
	int err;

	r.names = calloc(GKD_MAX_GROUPS * 4, sizeof(r.names[0]));
	rec = malloc(sizeof(*rec));
	err = r.names && rec ? 0 : -ENOMEM;
	if (!err)
		err = gkd_store_group_foreach(kdc->store, collect_retired, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		err = gkd_store_group_get(kdc->store, r.names[i], rec);
		if (!err)
			err = group_retire(kdc, rec);
	}
	if (rec)
		gk_wipe(rec, sizeof(*rec));
	free(rec);
	free(r.names);
	return err;
}

int kdc_groups_load(struct gkd_kdc *kdc, int64_t now_ms)
{
	int err = 0;

	for (size_t i = 0; i < kdc->cfg->n_groups; i++) {
		kdc->groups[i].conf = &kdc->cfg->groups[i];
		kdc->n_groups++;
	}
	for (size_t i = 0; !err && i < kdc->n_groups; i++)
		err = group_load(kdc, &kdc->groups[i], now_ms);
	if (!err)
		err = groups_retire(kdc);
	return err;
}

/* --- timers ------------------------------------------------------------------ */

static int evict_expired(struct gkd_kdc *kdc, int64_t now_ms)
{
	struct gkd_member_ref *refs;
	size_t n;
	int err = gkd_store_member_expired(kdc->store, ms_to_s(now_ms), KDC_EVICT_BATCH, &refs, &n);

	for (size_t i = 0; !err && i < n; i++) {
		struct kdc_group *g = kdc_group_find(kdc, refs[i].group);

		if (g)
			err = remove_member(kdc, g, refs[i].node, GK_GC_ERR_MEMBERSHIP_TERMINATED,
					    now_ms);
	}
	free(refs);
	return err;
}

/* The previous key's grace is over: forget it, free the sender ids it held. */
static int drop_prev(struct gkd_kdc *kdc, struct kdc_group *g, int64_t now)
{
	struct gkd_group_rec next = g->rec;
	int err;

	next.prev_num = 0;
	memset(next.prev_key, 0, sizeof(next.prev_key));
	next.prev_exp = next.prev_until = 0;
	err = kdc_tx_begin(kdc);
	if (!err) {
		err = gkd_store_group_put(kdc->store, &next);
		if (!err)
			err = gkd_store_sid_purge(kdc->store, next.name, kdc_min_num(&next, now),
						  NULL);
		err = kdc_tx_end(kdc, err);
	}
	if (!err)
		g->rec = next;
	gk_wipe(&next, sizeof(next));
	return err;
}

static bool rekey_due(const struct kdc_group *g, int64_t now_ms)
{
	const struct gkd_group_rec *r = &g->rec;

	return (r->rekey_due_ms && now_ms >= r->rekey_due_ms) ||
	       ms_to_s(now_ms) >= r->exp - (int64_t)g->conf->rekey_margin;
}

int gkd_kdc_tick(struct gkd_kdc *kdc, int64_t now_ms)
{
	int first = 0, err = evict_expired(kdc, now_ms);

	first = err;
	for (size_t i = 0; i < kdc->n_groups; i++) {
		struct kdc_group *g = &kdc->groups[i];

		err = rekey_due(g, now_ms) ? kdc_rekey(kdc, g, now_ms) : 0;
		if (!first)
			first = err;
		err = g->rec.prev_num && ms_to_s(now_ms) >= g->rec.prev_until ?
			      drop_prev(kdc, g, ms_to_s(now_ms)) :
			      0;
		if (!first)
			first = err;
	}
	return first;
}

static void earliest(int64_t *best, int64_t t)
{
	if (*best < 0 || t < *best)
		*best = t;
}

int64_t gkd_kdc_next_deadline(struct gkd_kdc *kdc, int64_t now_ms)
{
	int64_t best = -1, exp;

	for (size_t i = 0; i < kdc->n_groups; i++) {
		const struct kdc_group *g = &kdc->groups[i];

		if (g->rec.rekey_due_ms)
			earliest(&best, g->rec.rekey_due_ms);
		earliest(&best, (g->rec.exp - (int64_t)g->conf->rekey_margin) * 1000);
		if (g->rec.prev_num)
			earliest(&best, g->rec.prev_until * 1000);
	}
	if (!gkd_store_member_next_expiry(kdc->store, &exp))
		earliest(&best, exp * 1000);
	if (best < 0)
		return -1;
	return best > now_ms ? best - now_ms : 0;
}
