// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey stats --prometheus`: counters and key state of the pinned maps, as Prometheus text. */

/*
 * Choices made here:
 *
 * - Only what the pinned maps hold: the KDC's member list lives in its
 *   database, so "senders" counts the replay windows of the current key,
 *   i.e. members heard sending since the last rekey, and groups are
 *   labelled by their data-plane id (groupkeyd_dp_group_info maps an id to
 *   its addresses).
 * - The whole text is built in memory and written at the end, so a read
 *   error leaves no half-written exposition behind.
 * - Keys come from gk_dp_keys_read(), which hands out versions and
 *   deadlines, never key bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "stats_prom.h"
#include "groupkey/dp.h"

/* What the maps say about one group, besides its counters. */
struct prom_group {
	bool listed;	   /* printed: an address, a counter or a key */
	unsigned addrs;	   /* gk_groups entries with a port (the port-0 fragment entries aside) */
	bool sending;	   /* some address has GK_DP_GROUP_SEND */
	uint32_t send_key; /* its send_key_id */
	unsigned keys;	   /* key versions in gk_keys */
	uint32_t max_key;
	uint64_t max_key_ns; /* send_not_after_ns of max_key */
	uint64_t send_key_ns;
	bool send_key_found;
	unsigned senders; /* replay windows under the current key */
};

struct prom {
	const char *dir;
	int only; /* a group id, or GK_DP_ALL_GROUPS */
	struct gk_dp_stats *st;
	size_t n_st;
	struct prom_group g[GK_DP_MAX_GROUPS];
	struct gk_dp_group_entry *e;
	size_t n_e;
};

static bool wanted(const struct prom *p, uint32_t g)
{
	return g < GK_DP_MAX_GROUPS && (p->only == GK_DP_ALL_GROUPS || (uint32_t)p->only == g);
}

static int pin_open(const char *dir, enum gk_dp_map map)
{
	char path[PATH_MAX];
	int fd, n = snprintf(path, sizeof(path), "%s/%s", dir, gk_dp_map_name(map));

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static void collect_groups(struct prom *p)
{
	for (size_t i = 0; i < p->n_e; i++) {
		const struct gk_dp_group_entry *e = &p->e[i];
		struct prom_group *g;

		if (!wanted(p, e->group.group_id))
			continue;
		g = &p->g[e->group.group_id];
		g->listed = true;
		if (e->addr.port)
			g->addrs++;
		if (e->group.flags & GK_DP_GROUP_SEND) {
			g->sending = true;
			g->send_key = e->group.send_key_id;
		}
	}
}

static int collect_keys(struct prom *p)
{
	struct gk_dp_key_entry *k;
	size_t n;
	int err = gk_dp_keys_read(p->dir, &k, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		struct prom_group *g;

		if (!wanted(p, k[i].group_id))
			continue;
		g = &p->g[k[i].group_id];
		g->listed = true;
		if (!g->keys++ || k[i].key_id > g->max_key) {
			g->max_key = k[i].key_id;
			g->max_key_ns = k[i].send_not_after_ns;
		}
		if (g->sending && k[i].key_id == g->send_key) {
			g->send_key_found = true;
			g->send_key_ns = k[i].send_not_after_ns;
		}
	}
	free(k);
	return 0;
}

/* The key version members send under now: the one we stamp with, else the newest. */
static bool current_key(const struct prom_group *g, uint32_t *id, uint64_t *deadline_ns)
{
	if (g->sending && g->send_key_found) {
		*id = g->send_key;
		*deadline_ns = g->send_key_ns;
		return true;
	}
	if (!g->keys)
		return false;
	*id = g->max_key;
	*deadline_ns = g->max_key_ns;
	return true;
}

static int collect_senders(struct prom *p)
{
	struct gk_dp_replay_id k, next;
	void *prev = NULL;
	int fd = pin_open(p->dir, GK_DP_MAP_REPLAY), err = 0;

	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint64_t ns;
		uint32_t id;

		k = next;
		prev = &k;
		if (wanted(p, k.group_id) && current_key(&p->g[k.group_id], &id, &ns) &&
		    k.key_id == id)
			p->g[k.group_id].senders++;
	}
	if (errno != ENOENT)
		err = -errno;
	close(fd);
	return err;
}

static int collect(struct prom *p)
{
	int err = gk_dp_stats_read(p->dir, p->only, &p->st, &p->n_st);

	if (err)
		return err;
	for (size_t i = 0; i < p->n_st; i++)
		p->g[p->st[i].group_id].listed = true;
	/* Addresses are labels: a gk_groups that cannot be read leaves them out. */
	if (!gk_dp_groups_read(p->dir, &p->e, &p->n_e))
		collect_groups(p);
	err = collect_keys(p);
	if (!err)
		err = collect_senders(p);
	return err;
}

/* --- output ---------------------------------------------------------------- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void print_counters(FILE *f, const struct prom *p, bool bytes)
{
	for (size_t i = 0; i < p->n_st; i++) {
		for (int v = 0; v < GK_DP_V_MAX; v++) {
			const struct gk_dp_counter *c = &p->st[i].v[v];

			fprintf(f, "%s{group_id=\"%" PRIu32 "\",verdict=\"%s\"} %" PRIu64 "\n",
				bytes ? "groupkeyd_dp_bytes_total" : "groupkeyd_dp_packets_total",
				p->st[i].group_id, gk_dp_verdict_name((enum gk_dp_verdict)v),
				(uint64_t)(bytes ? c->bytes : c->packets));
		}
	}
}

static void print_info(FILE *f, const struct prom *p)
{
	char addr[64];

	family(f, "groupkeyd_dp_group_info", "gauge",
	       "Protected destination (address:port) of a data-plane group id; always 1.");
	for (size_t i = 0; i < p->n_e; i++) {
		const struct gk_dp_group_entry *e = &p->e[i];

		if (!wanted(p, e->group.group_id) || !e->addr.port ||
		    gk_dp_group_addr_str(&e->addr, addr, sizeof(addr)))
			continue;
		fprintf(f, "groupkeyd_dp_group_info{group_id=\"%" PRIu32 "\",address=\"%s\"} 1\n",
			e->group.group_id, addr);
	}
}

enum gauge { G_ADDRS, G_KEYS, G_VERSION, G_EXPIRY, G_SENDERS, G_SENDING };

static const struct {
	const char *name;
	const char *help;
} gauges[] = {
	[G_ADDRS] = { "groupkeyd_dp_group_addresses",
		      "Protected address:port pairs of the group." },
	[G_KEYS] = { "groupkeyd_dp_keys", "Key versions installed for the group." },
	[G_VERSION] = { "groupkeyd_dp_key_version",
			"Current key version (RFC 9594 num): the one stamped with, else the newest." },
	[G_EXPIRY] = { "groupkeyd_dp_key_expiry_seconds",
		       "Seconds until the current key's exp (negative once past it)." },
	[G_SENDERS] = { "groupkeyd_dp_senders",
			"Sender ids heard under the current key (replay windows)." },
	[G_SENDING] = { "groupkeyd_dp_sending", "1 when this host stamps the group's traffic." },
};

static bool gauge_value(const struct prom_group *g, enum gauge which, int64_t tai_s, int64_t *v)
{
	uint64_t ns = 0;
	uint32_t id = 0;
	bool have = current_key(g, &id, &ns);

	switch (which) {
	case G_ADDRS:
		*v = g->addrs;
		return true;
	case G_KEYS:
		*v = g->keys;
		return true;
	case G_VERSION:
		*v = id;
		return have;
	case G_EXPIRY:
		*v = (int64_t)(ns / 1000000000u) - tai_s;
		return have;
	case G_SENDERS:
		*v = g->senders;
		return have;
	case G_SENDING:
		*v = g->sending;
		return true;
	}
	return false;
}

static void print_gauges(FILE *f, const struct prom *p)
{
	struct timespec ts;
	int64_t v;

	/* Deadlines are CLOCK_TAI, as the programs compare them (dp.h). */
	clock_gettime(CLOCK_TAI, &ts);
	for (size_t w = 0; w < sizeof(gauges) / sizeof(gauges[0]); w++) {
		family(f, gauges[w].name, "gauge", gauges[w].help);
		for (uint32_t g = 0; g < GK_DP_MAX_GROUPS; g++) {
			if (p->g[g].listed && gauge_value(&p->g[g], (enum gauge)w, ts.tv_sec, &v))
				fprintf(f, "%s{group_id=\"%" PRIu32 "\"} %" PRId64 "\n",
					gauges[w].name, g, v);
		}
	}
}

static void print_all(FILE *f, const struct prom *p)
{
	family(f, "groupkeyd_dp_up", "gauge", "1 when the data plane's maps are pinned and read.");
	fprintf(f, "groupkeyd_dp_up 1\n");
	family(f, "groupkeyd_dp_packets_total", "counter",
	       "Packets per data-plane group and verdict, summed over CPUs.");
	print_counters(f, p, false);
	family(f, "groupkeyd_dp_bytes_total", "counter",
	       "Bytes per data-plane group and verdict, summed over CPUs.");
	print_counters(f, p, true);
	print_info(f, p);
	print_gauges(f, p);
}

int stats_prometheus(FILE *f, const char *dir, int group)
{
	struct prom *p = calloc(1, sizeof(*p));
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	if (!p)
		return -ENOMEM;
	p->dir = dir;
	p->only = group;
	err = collect(p);
	if (err == -ENOENT && !p->n_st) {
		family(f, "groupkeyd_dp_up", "gauge",
		       "1 when the data plane's maps are pinned and read.");
		fprintf(f, "groupkeyd_dp_up 0\n");
		err = 0;
		goto out_free;
	}
	if (err)
		goto out_free;
	mem = open_memstream(&text, &len);
	if (!mem) {
		err = -errno;
		goto out_free;
	}
	print_all(mem, p);
	if (fclose(mem)) {
		err = -ENOMEM;
		goto out_free;
	}
	if (fwrite(text, 1, len, f) != len)
		err = -EIO;
out_free:
	free(text);
	free(p->e);
	free(p->st);
	free(p);
	return err;
}
