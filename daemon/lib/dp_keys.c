// SPDX-License-Identifier: BSD-3-Clause
/* Data-plane state the daemon pushes: protected groups, keys with TAI deadlines, seq blocks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timex.h>

#include <bpf/bpf.h>

#include "dp_internal.h"
#include "groupkey/crypto.h"
#include "groupkey/dptag.h"

#define NSEC_PER_SEC 1000000000ULL

int gk_dp_group_addr(const char *addr, uint16_t port, struct gk_dp_group_key *key)
{
	struct in_addr a4;

	memset(key, 0, sizeof(*key));
	key->port = htons(port);
	if (inet_pton(AF_INET6, addr, key->addr) == 1)
		return 0;
	if (inet_pton(AF_INET, addr, &a4) != 1)
		return -EINVAL;
	key->addr[10] = 0xff;
	key->addr[11] = 0xff;
	memcpy(key->addr + 12, &a4, sizeof(a4));
	return 0;
}

static bool dp_addr_is_v4(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

int gk_dp_group_addr_str(const struct gk_dp_group_key *key, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool v4 = dp_addr_is_v4(key->addr);
	int n;

	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? key->addr + 12 : key->addr, a, sizeof(a)))
		return -errno;
	n = snprintf(buf, len, v4 ? "%s:%u" : "[%s]:%u", a, ntohs(key->port));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

int gk_dp_tai_deadline(int64_t exp, uint64_t *deadline_ns)
{
	struct timex tx = { 0 }; /* modes 0: read only */
	int64_t t;

	if (exp < 0)
		return -EINVAL;
	if (adjtimex(&tx) < 0)
		return -errno;
	/* Beyond the year 2554 the nanoseconds overflow: never expire rather than wrap. */
	if ((uint64_t)exp > UINT64_MAX / NSEC_PER_SEC - 3600) {
		*deadline_ns = UINT64_MAX;
		return 0;
	}
	t = exp + tx.tai;
	*deadline_ns = t < 0 ? 0 : (uint64_t)t * NSEC_PER_SEC;
	return 0;
}

#define DP_GROUPS_ENTRIES (GK_DP_MAX_GROUPS * 2) /* gk_groups' max_entries (bpf/gk_dp.h) */

/*
 * Walk gk_groups: fn(key, value, arg) for each; stops at fn's first non-zero
 * return. The keys are read first and visited after: fn may update entries,
 * and a hash map update links the new element at the head of its bucket, so
 * a get_next_key walk interleaved with updates can revisit elements of one
 * bucket for ever (seen with the two entries of a group in one bucket).
 */
static int dp_groups_each(int fd,
			  int (*fn)(const struct gk_dp_group_key *, struct gk_dp_group *, void *),
			  void *arg)
{
	const size_t cap = DP_GROUPS_ENTRIES;
	struct gk_dp_group_key *keys = calloc(cap, sizeof(*keys));
	struct gk_dp_group g;
	size_t n = 0;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (n < cap && !bpf_map_get_next_key(fd, n ? &keys[n - 1] : NULL, &keys[n]))
		n++;
	if (n < cap && errno != ENOENT)
		err = -errno;
	for (size_t i = 0; !err && i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &g))
			continue; /* deleted meanwhile */
		err = fn(&keys[i], &g, arg);
	}
	free(keys);
	return err;
}

struct dp_group_match {
	uint32_t group_id;
	uint32_t key_id; /* in: for busy checks; out: a current send key */
	bool found;
	int fd;
};

static int dp_find_group(const struct gk_dp_group_key *k, struct gk_dp_group *g, void *arg)
{
	struct dp_group_match *m = arg;

	if (g->group_id != m->group_id)
		return 0;
	m->found = true;
	m->key_id = g->send_key_id;
	return 1;
}

int gk_dp_group_set(struct gk_dp *dp, const struct gk_dp_group_key *addr, uint32_t group_id,
		    uint32_t flags, uint32_t sender_id)
{
	struct dp_group_match m = { .group_id = group_id };
	int fd = dp->map_fd[GK_DP_MAP_GROUPS];
	struct gk_dp_group_key k = *addr;
	struct gk_dp_group g = { 0 };
	int err;

	if (group_id >= GK_DP_MAX_GROUPS || (flags & ~(GK_DP_GROUP_STRIP | GK_DP_GROUP_SEND)))
		return -EINVAL;
	k.pad = 0;
	/* A second address of a group stamps with the key the group already uses. */
	if (!bpf_map_lookup_elem(fd, &k, &g) && g.group_id == group_id) {
		m.key_id = g.send_key_id;
	} else {
		err = dp_groups_each(fd, dp_find_group, &m);
		if (err < 0)
			return err;
	}
	g.group_id = group_id;
	g.flags = flags;
	g.send_key_id = m.key_id;
	g.sender_id = sender_id;
	if (bpf_map_update_elem(fd, &k, &g, BPF_ANY))
		return -errno;
	gk_dp_groups_changed(dp);
	return 0;
}

int gk_dp_group_del(struct gk_dp *dp, const struct gk_dp_group_key *addr)
{
	struct gk_dp_group_key k = *addr;

	k.pad = 0;
	if (bpf_map_delete_elem(dp->map_fd[GK_DP_MAP_GROUPS], &k))
		return -errno;
	gk_dp_groups_changed(dp);
	return 0;
}

/* Read slot of (group_id, key_id); *live tells whether it holds that very version, live. */
static int dp_slot_read(int fd, uint32_t group_id, uint32_t key_id, __u32 *slot,
			struct gk_dp_key *v, bool *live)
{
	*slot = gk_dp_key_slot(group_id, key_id);
	if (bpf_map_lookup_elem(fd, slot, v))
		return -errno;
	*live = (v->flags & GK_DP_KEY_LIVE) && v->key_id == key_id;
	return 0;
}

/*
 * Two writes, so a program never acts on a half-written slot: the value
 * with flags 0 (the slot reads as empty meanwhile), then the same value
 * live, which only changes the flag.
 */
static int dp_slot_publish(int fd, __u32 slot, struct gk_dp_key *v)
{
	v->flags = 0;
	if (bpf_map_update_elem(fd, &slot, v, BPF_EXIST))
		return -errno;
	v->flags = GK_DP_KEY_LIVE;
	if (bpf_map_update_elem(fd, &slot, v, BPF_EXIST))
		return -errno;
	return 0;
}

int gk_dp_key_add(struct gk_dp *dp, uint32_t group_id, const char *group_name, uint32_t key_id,
		  const uint8_t *group_key, size_t key_len, int64_t exp, uint32_t recv_grace)
{
	int fd = dp->map_fd[GK_DP_MAP_KEYS];
	struct gk_dp_key v = { 0 };
	uint64_t send_ns, recv_ns;
	bool live = false;
	__u32 slot;
	int err;

	if (group_id >= GK_DP_MAX_GROUPS || !group_name || !group_key || !key_len)
		return -EINVAL;
	err = gk_dp_tai_deadline(exp, &send_ns);
	if (!err)
		err = gk_dp_tai_deadline(
			exp > INT64_MAX - recv_grace ? INT64_MAX : exp + recv_grace, &recv_ns);
	if (!err)
		err = dp_slot_read(fd, group_id, key_id, &slot, &v, &live);
	if (err)
		goto out_wipe;
	/* A live slot is never rewritten: a running program could read it half-updated. */
	if (v.flags & GK_DP_KEY_LIVE) {
		err = live ? -EEXIST : -EBUSY;
		goto out_wipe;
	}
	err = gk_dp_derive_key(group_key, key_len, group_name, key_id, &v);
	if (err)
		goto out_wipe;
	v.send_not_after_ns = send_ns;
	v.recv_not_after_ns = recv_ns;
	v.key_id = key_id;
	err = dp_slot_publish(fd, slot, &v);
out_wipe:
	gk_wipe(&v, sizeof(v));
	return err;
}

static int dp_uses_key(const struct gk_dp_group_key *k, struct gk_dp_group *g, void *arg)
{
	const struct dp_group_match *m = arg;

	return g->group_id == m->group_id && (g->flags & GK_DP_GROUP_SEND) &&
	       g->send_key_id == m->key_id;
}

/* Delete every replay window of (group, key id), whatever sender. */
static int dp_replay_purge(int fd, uint32_t group_id, uint32_t key_id)
{
	struct gk_dp_replay_id k, next;
	bool more;

	more = !bpf_map_get_next_key(fd, NULL, &next);
	while (more) {
		k = next;
		/* The successor first: deleting k would lose our place. */
		more = !bpf_map_get_next_key(fd, &k, &next);
		if (k.group_id == group_id && k.key_id == key_id && bpf_map_delete_elem(fd, &k) &&
		    errno != ENOENT)
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Take a slot out of service: flags 0 first (readers see no key from now
 * on), then random key bytes in place of the secret. A program that found
 * the slot live just before may still load k0/k1 after the second write:
 * random bytes give it a key nobody knows, zero bytes would give it one
 * everybody knows.
 */
static int dp_slot_retire(int fd, __u32 slot, struct gk_dp_key *v)
{
	struct gk_dp_key r = { 0 };
	__u64 rnd[2];
	int err = 0;

	v->flags = 0;
	if (bpf_map_update_elem(fd, &slot, v, BPF_EXIST))
		return -errno;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return errno ? -errno : -EIO;
	r.k0 = rnd[0];
	r.k1 = rnd[1];
	if (bpf_map_update_elem(fd, &slot, &r, BPF_EXIST))
		err = -errno;
	gk_wipe(&r, sizeof(r));
	gk_wipe(rnd, sizeof(rnd));
	return err;
}

int gk_dp_key_del(struct gk_dp *dp, uint32_t group_id, uint32_t key_id)
{
	struct dp_group_match m = { .group_id = group_id, .key_id = key_id };
	int fd = dp->map_fd[GK_DP_MAP_KEYS];
	struct gk_dp_key v = { 0 };
	bool live = false;
	__u32 slot;
	int err;

	if (group_id >= GK_DP_MAX_GROUPS)
		return -EINVAL;
	err = dp_groups_each(dp->map_fd[GK_DP_MAP_GROUPS], dp_uses_key, &m);
	if (err)
		return err < 0 ? err : -EBUSY;
	err = dp_slot_read(fd, group_id, key_id, &slot, &v, &live);
	if (!err && !live)
		err = -ENOENT;
	if (!err)
		err = dp_slot_retire(fd, slot, &v);
	gk_wipe(&v, sizeof(v));
	if (err)
		return err;
	return dp_replay_purge(dp->map_fd[GK_DP_MAP_REPLAY], group_id, key_id);
}

static int dp_switch_key(const struct gk_dp_group_key *k, struct gk_dp_group *g, void *arg)
{
	struct dp_group_match *m = arg;
	struct gk_dp_group n = *g;

	if (g->group_id != m->group_id)
		return 0;
	m->found = true;
	n.send_key_id = m->key_id;
	/* A hash update swaps in a new element: readers see the old or the new, whole. */
	if (bpf_map_update_elem(m->fd, k, &n, BPF_EXIST))
		return -errno;
	return 0;
}

int gk_dp_send_key(struct gk_dp *dp, uint32_t group_id, uint32_t key_id)
{
	struct dp_group_match m = { .group_id = group_id,
				    .key_id = key_id,
				    .fd = dp->map_fd[GK_DP_MAP_GROUPS] };
	struct gk_dp_key v = { 0 };
	bool live = false;
	__u32 slot;
	int err;

	if (group_id >= GK_DP_MAX_GROUPS)
		return -ENOENT;
	/* The new key must be in place before any packet is stamped with it. */
	err = dp_slot_read(dp->map_fd[GK_DP_MAP_KEYS], group_id, key_id, &slot, &v, &live);
	gk_wipe(&v, sizeof(v));
	if (err)
		return err;
	if (!live)
		return -ENOENT;
	err = dp_groups_each(m.fd, dp_switch_key, &m);
	/* Even after a partial failure: the addresses switched so far must be seen. */
	if (m.found)
		gk_dp_groups_changed(dp);
	if (err)
		return err;
	return m.found ? 0 : -ENOENT;
}

static int dp_send_slot(const struct gk_dp *dp, uint32_t group_id, struct gk_dp_send **s)
{
	if (group_id >= GK_DP_MAX_GROUPS)
		return -EINVAL;
	if (!dp->send)
		return -EOPNOTSUPP;
	*s = &dp->send[group_id];
	return 0;
}

/* Raise *p to at least v, never lowering it, atomically with TC's own atomic adds. */
static void dp_raise(__u64 *p, __u64 v)
{
	__u64 cur = __atomic_load_n(p, __ATOMIC_ACQUIRE);

	while (cur < v &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

int gk_dp_seq_read(const struct gk_dp *dp, uint32_t group_id, uint64_t *seq, uint64_t *limit)
{
	struct gk_dp_send *s;
	int err;

	err = dp_send_slot(dp, group_id, &s);
	if (err)
		return err;
	*seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	*limit = __atomic_load_n(&s->limit, __ATOMIC_ACQUIRE);
	return 0;
}

int gk_dp_seq_reserve(struct gk_dp *dp, uint32_t group_id, uint64_t block, gk_dp_persist_fn persist,
		      void *arg, uint64_t *limit)
{
	uint64_t seq, cur, base, mark;
	struct gk_dp_send *s;
	int err;

	if (!block || !persist)
		return -EINVAL;
	err = dp_send_slot(dp, group_id, &s);
	if (err)
		return err;
	seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	cur = __atomic_load_n(&s->limit, __ATOMIC_ACQUIRE);
	/* TC may have counted past the limit while exhausted; those numbers were never sent. */
	base = seq > cur ? seq : cur;
	if (base > UINT64_MAX - block)
		return -ERANGE;
	mark = base + block;
	err = persist(arg, group_id, mark);
	if (err)
		return err;
	dp_raise(&s->limit, mark);
	if (limit)
		*limit = __atomic_load_n(&s->limit, __ATOMIC_ACQUIRE);
	return 0;
}

int gk_dp_seq_start(struct gk_dp *dp, uint32_t group_id, uint64_t mark)
{
	struct gk_dp_send *s;
	int err;

	err = dp_send_slot(dp, group_id, &s);
	if (err)
		return err;
	/*
	 * Every number TC ever stamped is below the limit, and the limit never
	 * exceeds the persisted mark: starting at the mark reuses none of them.
	 */
	dp_raise(&s->seq, mark);
	return 0;
}
