// SPDX-License-Identifier: BSD-3-Clause
/* Read-only view of a pinned data plane: map pins, per-CPU verdict counters, protected groups. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"
#include "groupkey/crypto.h"

static const char *const gk_dp_map_names[GK_DP_MAP_NR] = {
	[GK_DP_MAP_GROUPS] = "gk_groups", [GK_DP_MAP_KEYS] = "gk_keys",
	[GK_DP_MAP_REPLAY] = "gk_replay", [GK_DP_MAP_SEND] = "gk_send",
	[GK_DP_MAP_STATS] = "gk_stats",	  [GK_DP_MAP_CTL] = "gk_ctl",
};

const char *gk_dp_map_name(enum gk_dp_map map)
{
	if ((unsigned int)map >= GK_DP_MAP_NR)
		return NULL;
	return gk_dp_map_names[map];
}

int gk_dp_pin_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

void gk_dp_close_fds(int fds[GK_DP_MAP_NR])
{
	for (int i = 0; i < GK_DP_MAP_NR; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int gk_dp_open_pinned(const char *dir, int fds[GK_DP_MAP_NR])
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < GK_DP_MAP_NR; i++)
		fds[i] = -1;
	for (int i = 0; i < GK_DP_MAP_NR; i++) {
		err = gk_dp_pin_path(dir, gk_dp_map_names[i], path, sizeof(path));
		if (err)
			goto out_close;
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0) {
			err = -errno;
			goto out_close;
		}
	}
	return 0;

out_close:
	gk_dp_close_fds(fds);
	return err;
}

static const char *const gk_dp_verdict_names[GK_DP_V_MAX] = {
	[GK_DP_V_PASS] = "passed",
	[GK_DP_V_STAMPED] = "stamped",
	[GK_DP_V_MALFORMED] = "malformed",
	[GK_DP_V_UNKNOWN_KEY] = "unknown_key",
	[GK_DP_V_EXPIRED] = "expired",
	[GK_DP_V_BAD_TAG] = "bad_tag",
	[GK_DP_V_REPLAY] = "replay",
	[GK_DP_V_TOO_BIG] = "too_big",
	[GK_DP_V_FRAGMENT] = "fragment",
	[GK_DP_V_NO_SEND_KEY] = "no_send_key",
	[GK_DP_V_SEQ_EXHAUSTED] = "seq_exhausted",
	[GK_DP_V_NOT_ALLOWED] = "not_allowed",
};

const char *gk_dp_verdict_name(enum gk_dp_verdict v)
{
	if ((unsigned int)v >= GK_DP_V_MAX)
		return NULL;
	return gk_dp_verdict_names[v];
}

/* One slot summed over ncpu per-CPU values (each padded to 8 bytes, as the kernel copies them). */
static int dp_slot_sum(int fd, __u32 idx, struct gk_dp_counter *vals, int ncpu,
		       struct gk_dp_counter *sum)
{
	if (bpf_map_lookup_elem(fd, &idx, vals))
		return -errno;
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		sum->packets += vals[c].packets;
		sum->bytes += vals[c].bytes;
	}
	return 0;
}

static int dp_ncpu_buf(struct gk_dp_counter **vals, int *ncpu)
{
	_Static_assert(sizeof(struct gk_dp_counter) % 8 == 0, "per-CPU values are 8-byte rounded");
	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu <= 0)
		return *ncpu ? *ncpu : -EINVAL;
	*vals = calloc((size_t)*ncpu, sizeof(**vals));
	return *vals ? 0 : -ENOMEM;
}

int gk_dp_stats_slot(int stats_fd, uint32_t group_id, enum gk_dp_verdict v,
		     struct gk_dp_counter *sum)
{
	struct gk_dp_counter *vals;
	int ncpu, err;

	if (group_id >= GK_DP_MAX_GROUPS || (unsigned int)v >= GK_DP_V_MAX)
		return -EINVAL;
	err = dp_ncpu_buf(&vals, &ncpu);
	if (err)
		return err;
	err = dp_slot_sum(stats_fd, group_id * GK_DP_V_MAX + v, vals, ncpu, sum);
	free(vals);
	return err;
}

static int dp_open_one(const char *pin_dir, enum gk_dp_map map)
{
	char path[PATH_MAX];
	int fd, err;

	err = gk_dp_pin_path(pin_dir ? pin_dir : GK_DP_PIN_DIR, gk_dp_map_name(map), path,
			     sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int dp_groups_collect(int fd, struct gk_dp_group_entry **out, size_t *n)
{
	struct gk_dp_group_entry *v = NULL, *nv;
	struct gk_dp_group_key k, next;
	size_t cap = 0, cnt = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt].addr = k;
		if (!bpf_map_lookup_elem(fd, &k, &v[cnt].group))
			cnt++;
	}
	if (errno != ENOENT) {
		free(v);
		return -errno;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int gk_dp_groups_read(const char *pin_dir, struct gk_dp_group_entry **out, size_t *n)
{
	int fd, err;

	*out = NULL;
	*n = 0;
	fd = dp_open_one(pin_dir, GK_DP_MAP_GROUPS);
	if (fd < 0)
		return fd;
	err = dp_groups_collect(fd, out, n);
	close(fd);
	return err;
}

/* The live slots of gk_keys (fd), deadlines only: key bytes never leave this function. */
static int dp_keys_collect(int fd, struct gk_dp_key_entry *e, size_t *n)
{
	struct gk_dp_key v;
	int err = 0;

	*n = 0;
	for (__u32 slot = 0; slot < GK_DP_MAX_KEYS; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, &v)) {
			err = -errno;
			break;
		}
		if (!(v.flags & GK_DP_KEY_LIVE) ||
		    gk_dp_key_slot(slot / GK_DP_KEY_SLOTS, v.key_id) != slot)
			continue;
		e[*n] = (struct gk_dp_key_entry){ .group_id = slot / GK_DP_KEY_SLOTS,
						  .key_id = v.key_id,
						  .recv_not_after_ns = v.recv_not_after_ns,
						  .send_not_after_ns = v.send_not_after_ns };
		(*n)++;
	}
	gk_wipe(&v, sizeof(v));
	return err;
}

int gk_dp_keys_read(const char *pin_dir, struct gk_dp_key_entry **out, size_t *n)
{
	struct gk_dp_key_entry *e;
	int fd, err;

	*out = NULL;
	*n = 0;
	fd = dp_open_one(pin_dir, GK_DP_MAP_KEYS);
	if (fd < 0)
		return fd;
	e = calloc(GK_DP_MAX_KEYS, sizeof(*e));
	err = e ? dp_keys_collect(fd, e, n) : -ENOMEM;
	close(fd);
	if (err) {
		free(e);
		*n = 0;
		return err;
	}
	*out = e;
	return 0;
}

/* Fill st for group g; *nonzero tells whether any counter is set. */
static int dp_group_stats(int fd, uint32_t g, struct gk_dp_counter *vals, int ncpu,
			  struct gk_dp_stats *st, bool *nonzero)
{
	int err;

	st->group_id = g;
	*nonzero = false;
	for (int v = 0; v < GK_DP_V_MAX; v++) {
		err = dp_slot_sum(fd, g * GK_DP_V_MAX + (__u32)v, vals, ncpu, &st->v[v]);
		if (err)
			return err;
		*nonzero |= st->v[v].packets || st->v[v].bytes;
	}
	return 0;
}

/* Which groups have an address in gk_groups (a missing map just marks none). */
static void dp_mark_configured(const char *pin_dir, bool present[GK_DP_MAX_GROUPS])
{
	struct gk_dp_group_entry *e;
	size_t n;

	if (gk_dp_groups_read(pin_dir, &e, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (e[i].group.group_id < GK_DP_MAX_GROUPS)
			present[e[i].group.group_id] = true;
	}
	free(e);
}

static int dp_stats_collect(const char *pin_dir, int fd, int group_id, struct gk_dp_stats *res,
			    size_t *n)
{
	bool present[GK_DP_MAX_GROUPS] = { 0 }, nonzero;
	uint32_t first = 0, last = GK_DP_MAX_GROUPS - 1;
	struct gk_dp_counter *vals;
	int ncpu, err;

	err = dp_ncpu_buf(&vals, &ncpu);
	if (err)
		return err;
	if (group_id == GK_DP_ALL_GROUPS)
		dp_mark_configured(pin_dir, present);
	else
		first = last = (uint32_t)group_id;
	*n = 0;
	for (uint32_t g = first; g <= last; g++) {
		err = dp_group_stats(fd, g, vals, ncpu, &res[*n], &nonzero);
		if (err)
			break;
		if (nonzero || present[g] || group_id != GK_DP_ALL_GROUPS)
			(*n)++;
	}
	free(vals);
	return err;
}

int gk_dp_stats_read(const char *pin_dir, int group_id, struct gk_dp_stats **out, size_t *n)
{
	struct gk_dp_stats *res;
	int fd, err;

	*out = NULL;
	*n = 0;
	if (group_id != GK_DP_ALL_GROUPS && (group_id < 0 || group_id >= GK_DP_MAX_GROUPS))
		return -EINVAL;
	fd = dp_open_one(pin_dir, GK_DP_MAP_STATS);
	if (fd < 0)
		return fd;
	res = calloc(group_id == GK_DP_ALL_GROUPS ? GK_DP_MAX_GROUPS : 1, sizeof(*res));
	if (!res) {
		err = -ENOMEM;
		goto out_close;
	}
	err = dp_stats_collect(pin_dir, fd, group_id, res, n);
	if (err) {
		free(res);
		*n = 0;
		goto out_close;
	}
	*out = res;
out_close:
	close(fd);
	return err;
}
