// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey stats`: per group and verdict counters of the data plane, read from the pinned maps. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stats_prom.h"
#include "groupkey/dp.h"

static void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: groupkey stats [--json | --prometheus] [--group ID] [--pin-dir DIR]\n\n"
		"Packets and bytes per protected group and verdict, summed over every CPU, read\n"
		"from the data plane's pinned maps (default " GK_DP_PIN_DIR "): works whether\n"
		"groupkeyd runs or not. Without --group: every group that has an address or a\n"
		"non-zero counter. Verdicts: passed (XDP delivered), stamped (TC), malformed,\n"
		"unknown_key, expired, bad_tag, replay, too_big, fragment (XDP drops),\n"
		"no_send_key, seq_exhausted (TC drops), not_allowed (gateway drops).\n\n"
		"--prometheus prints them in the Prometheus text format with each group's key\n"
		"version, seconds to its exp and senders heard (metric names: docs/metrics.md),\n"
		"for node_exporter's textfile collector; nothing pinned is groupkeyd_dp_up 0.\n");
}

/* "239.1.2.3:5000" strings of every address of group g. */
static json_t *stats_addrs_json(const struct gk_dp_group_entry *e, size_t n, uint32_t g)
{
	json_t *a = json_array();
	char buf[64];

	for (size_t i = 0; a && i < n; i++) {
		if (e[i].group.group_id == g && !gk_dp_group_addr_str(&e[i].addr, buf, sizeof(buf)))
			json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *stats_group_json(const struct gk_dp_stats *st, const struct gk_dp_group_entry *e,
				size_t n_e)
{
	json_t *counters = json_object();

	for (int v = 0; counters && v < GK_DP_V_MAX; v++)
		json_object_set_new(counters, gk_dp_verdict_name((enum gk_dp_verdict)v),
				    json_pack("{s:I,s:I}", "packets", (json_int_t)st->v[v].packets,
					      "bytes", (json_int_t)st->v[v].bytes));
	return json_pack("{s:I,s:o,s:o}", "group", (json_int_t)st->group_id, "addresses",
			 stats_addrs_json(e, n_e, st->group_id), "counters", counters);
}

static void stats_print_group(const struct gk_dp_stats *st, const struct gk_dp_group_entry *e,
			      size_t n_e)
{
	const char *sep = ": ";
	char buf[64];

	printf("group %" PRIu32, st->group_id);
	for (size_t i = 0; i < n_e; i++) {
		if (e[i].group.group_id != st->group_id ||
		    gk_dp_group_addr_str(&e[i].addr, buf, sizeof(buf)))
			continue;
		printf("%s%s", sep, buf);
		sep = ", ";
	}
	printf("\n  %-16s %20s %20s\n", "VERDICT", "PACKETS", "BYTES");
	for (int v = 0; v < GK_DP_V_MAX; v++)
		printf("  %-16s %20" PRIu64 " %20" PRIu64 "\n",
		       gk_dp_verdict_name((enum gk_dp_verdict)v), (uint64_t)st->v[v].packets,
		       (uint64_t)st->v[v].bytes);
}

static int stats_show(struct cli_ctx *ctx, const char *dir, int group)
{
	struct gk_dp_group_entry *e = NULL;
	struct gk_dp_stats *st;
	size_t n, n_e = 0;
	json_t *arr;
	int err;

	err = gk_dp_stats_read(dir, group, &st, &n);
	if (err == -ENOENT)
		return cli_error(ctx, "no_dataplane", "no data plane pinned at %s", dir);
	if (err)
		return cli_error(ctx, "read", "reading %s: %s", dir, strerror(-err));
	/* Addresses are labels only: a gk_groups that cannot be read just leaves them out. */
	gk_dp_groups_read(dir, &e, &n_e);
	if (ctx->json) {
		arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, stats_group_json(&st[i], e, n_e));
		err = cli_print_json(ctx, arr);
	} else {
		if (!n)
			printf("no protected group and no counter at %s\n", dir);
		for (size_t i = 0; i < n; i++)
			stats_print_group(&st[i], e, n_e);
	}
	free(e);
	free(st);
	return err ? CLI_FAIL : CLI_OK;
}

int cmd_stats(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' },
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ 0 },
	};
	const char *dir = GK_DP_PIN_DIR;
	int c, err, group = GK_DP_ALL_GROUPS;
	bool prometheus = false;
	char *end;
	long v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jpg:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx->json = true;
			break;
		case 'p':
			ctx->json = ctx->pretty = true;
			break;
		case 'g':
			errno = 0;
			v = strtol(optarg, &end, 0);
			if (errno || *end || end == optarg || v < 0 || v >= GK_DP_MAX_GROUPS)
				return cli_usage_error("--group needs a group id below %d",
						       GK_DP_MAX_GROUPS);
			group = (int)v;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			stats_usage(stdout);
			return CLI_OK;
		case 'P':
			prometheus = true;
			break;
		default:
			return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!prometheus)
		return stats_show(ctx, dir, group);
	if (ctx->json)
		return cli_usage_error("--prometheus and --json exclude each other");
	err = stats_prometheus(stdout, dir, group);
	if (err)
		return cli_error(ctx, "read", "reading %s: %s", dir, strerror(-err));
	return CLI_OK;
}
