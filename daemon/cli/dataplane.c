// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey dataplane ...`: operator/debug commands that drive the data-plane loader by hand. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <bpf/bpf.h>

#include "cli.h"
#include "groupkey/crypto.h"
#include "groupkey/dp.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

#define DP_MAX_IFS 16

static void dataplane_usage(FILE *f)
{
	fprintf(f,
		"Usage: groupkey dataplane load [--xdp IF]... [--tc IF]... [--ifname IF]...\n"
		"                               [--mode auto|native|generic] [--exclusive] [--wait]\n"
		"       groupkey dataplane unload [--ifname IF]...\n"
		"       groupkey dataplane show\n"
		"       groupkey dataplane group-add --addr ADDR --port PORT --group ID\n"
		"                                    [--sender ID] [--send] [--strip]\n"
		"       groupkey dataplane group-del --addr ADDR --port PORT\n"
		"       groupkey dataplane key-add --group ID --name NAME --key-id N\n"
		"                                  --group-key HEX --exp UNIXTIME [--grace SECONDS]\n"
		"       groupkey dataplane key-del --group ID --key-id N\n"
		"       groupkey dataplane send-key --group ID --key-id N\n"
		"       groupkey dataplane seq-reserve --group ID --block N --state FILE\n"
		"       groupkey dataplane seq-start --group ID --state FILE\n"
		"  every command takes [--pin-dir DIR] (default " GK_DP_PIN_DIR ")\n\n"
		"Operator and debugging commands: groupkeyd normally does all of this itself.\n"
		"load      loads the XDP (ingress validation) and TC (egress stamping) programs,\n"
		"          creates or reuses the maps pinned in DIR and attaches: --xdp and --tc\n"
		"          name interfaces for one hook, --ifname for both. Programs stay attached\n"
		"          after the command exits (or, with --wait, is killed) and keep enforcing.\n"
		"unload    detaches our programs from the interfaces and removes the pins.\n"
		"show      lists protected addresses, keys (ids and deadlines, never key bytes)\n"
		"          and sequence state.\n"
		"key-add   derives the data-plane key from the group key (hex on the command line:\n"
		"          for tests only) and adds it; a present key is never rewritten.\n"
		"seq-*     reserve sequence blocks persisted in FILE / restart from FILE's mark.\n");
}

struct dp_args {
	const char *pin_dir;
	int xdp[DP_MAX_IFS], tc[DP_MAX_IFS];
	size_t n_xdp, n_tc;
	enum gk_dp_xdp_mode mode;
	bool exclusive, wait, send, strip;
	const char *addr, *name, *hex, *state;
	long long port, group, sender, key_id, exp, grace, block;
};

static int dp_num(const char *s, long long min, long long max, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	if (errno || *end || end == s || *v < min || *v > max)
		return -EINVAL;
	return 0;
}

static int dp_add_if(int *list, size_t *n, const char *name)
{
	unsigned int idx = if_nametoindex(name);

	if (!idx)
		return cli_usage_error("no interface '%s'", name);
	if (*n == DP_MAX_IFS)
		return cli_usage_error("at most %d interfaces per hook", DP_MAX_IFS);
	list[(*n)++] = (int)idx;
	return 0;
}

static int dp_mode(const char *s, enum gk_dp_xdp_mode *m)
{
	if (!strcmp(s, "auto"))
		*m = GK_DP_XDP_AUTO;
	else if (!strcmp(s, "native"))
		*m = GK_DP_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*m = GK_DP_XDP_GENERIC;
	else
		return cli_usage_error("--mode is auto, native or generic");
	return 0;
}

/* Options taking a number: its bounds, and where it goes. */
static int dp_opt_num(struct dp_args *a, int c, const char *arg)
{
	static const struct {
		int c;
		const char *name;
		long long max;
		size_t off;
	} nums[] = {
		{ 'P', "--port", 65535, offsetof(struct dp_args, port) },
		{ 'g', "--group", GK_DP_MAX_GROUPS - 1, offsetof(struct dp_args, group) },
		{ 's', "--sender", UINT32_MAX, offsetof(struct dp_args, sender) },
		{ 'k', "--key-id", UINT32_MAX, offsetof(struct dp_args, key_id) },
		{ 'e', "--exp", INT64_MAX, offsetof(struct dp_args, exp) },
		{ 'G', "--grace", UINT32_MAX, offsetof(struct dp_args, grace) },
		{ 'b', "--block", INT64_MAX, offsetof(struct dp_args, block) },
	};

	for (size_t i = 0; i < GK_ARRAY_SIZE(nums); i++) {
		if (nums[i].c != c)
			continue;
		if (dp_num(arg, 0, nums[i].max, (long long *)((char *)a + nums[i].off)))
			return cli_usage_error("%s needs a number from 0 to %lld", nums[i].name,
					       nums[i].max);
		return 0;
	}
	return 1;
}

static int dp_opt(struct dp_args *a, int c, const char *arg)
{
	int err = dp_opt_num(a, c, arg);

	if (err <= 0)
		return err;
	switch (c) {
	case 'd':
		a->pin_dir = arg;
		return 0;
	case 'x':
		return dp_add_if(a->xdp, &a->n_xdp, arg);
	case 't':
		return dp_add_if(a->tc, &a->n_tc, arg);
	case 'i':
		err = dp_add_if(a->xdp, &a->n_xdp, arg);
		return err ? err : dp_add_if(a->tc, &a->n_tc, arg);
	case 'm':
		return dp_mode(arg, &a->mode);
	case 'E':
		a->exclusive = true;
		return 0;
	case 'w':
		a->wait = true;
		return 0;
	case 'S':
		a->send = true;
		return 0;
	case 'R':
		a->strip = true;
		return 0;
	case 'a':
		a->addr = arg;
		return 0;
	case 'n':
		a->name = arg;
		return 0;
	case 'K':
		a->hex = arg;
		return 0;
	case 'f':
		a->state = arg;
		return 0;
	default:
		return CLI_USAGE;
	}
}

static int dp_parse(int argc, char **argv, struct dp_args *a)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "xdp", required_argument, NULL, 'x' },
		{ "tc", required_argument, NULL, 't' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "exclusive", no_argument, NULL, 'E' },
		{ "wait", no_argument, NULL, 'w' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'P' },
		{ "group", required_argument, NULL, 'g' },
		{ "sender", required_argument, NULL, 's' },
		{ "send", no_argument, NULL, 'S' },
		{ "strip", no_argument, NULL, 'R' },
		{ "name", required_argument, NULL, 'n' },
		{ "key-id", required_argument, NULL, 'k' },
		{ "group-key", required_argument, NULL, 'K' },
		{ "exp", required_argument, NULL, 'e' },
		{ "grace", required_argument, NULL, 'G' },
		{ "block", required_argument, NULL, 'b' },
		{ "state", required_argument, NULL, 'f' },
		{ 0 },
	};
	int c, err;

	memset(a, 0, sizeof(*a));
	a->pin_dir = GK_DP_PIN_DIR;
	a->port = a->group = a->key_id = a->exp = a->block = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		err = dp_opt(a, c, optarg);
		if (err)
			return err;
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Names of required options that were not given, for one message. */
static int dp_require(const char *verb, bool ok, const char *what)
{
	if (ok)
		return 0;
	return cli_usage_error("dataplane %s needs %s", verb, what);
}

static int dp_open_maps(struct cli_ctx *ctx, const struct dp_args *a, struct gk_dp **dp)
{
	struct gk_dp_opts o = { .pin_dir = a->pin_dir, .maps_only = true };
	int err = gk_dp_open(dp, &o);

	if (err == -ENOENT)
		return cli_error(ctx, "no_dataplane", "no data plane pinned at %s", a->pin_dir);
	if (err)
		return cli_error(ctx, "open", "%s: %s", a->pin_dir, strerror(-err));
	return 0;
}

static int dp_done(struct cli_ctx *ctx, struct gk_dp *dp, int err, const char *what)
{
	gk_dp_close(dp, true);
	if (err)
		return cli_error(ctx, "dataplane", "%s: %s", what, strerror(-err));
	return CLI_OK;
}

/* Block until SIGINT or SIGTERM: `load --wait` stands in for a daemon in tests. */
static void dp_wait_signal(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
}

static const char *dp_ifname(int ifindex, char name[IF_NAMESIZE])
{
	if (!if_indextoname((unsigned int)ifindex, name))
		snprintf(name, IF_NAMESIZE, "#%d", ifindex);
	return name;
}

static int dp_load(struct cli_ctx *ctx, const struct dp_args *a)
{
	struct gk_dp_opts o = { .pin_dir = a->pin_dir,
				.exclusive = a->exclusive,
				.xdp_ifindex = a->xdp,
				.n_xdp = a->n_xdp,
				.tc_ifindex = a->tc,
				.n_tc = a->n_tc,
				.xdp_mode = a->mode };
	struct gk_dp *dp;
	char name[IF_NAMESIZE];
	int err;

	gk_log_route_libraries();
	err = gk_dp_open(&dp, &o);
	if (err)
		return cli_error(ctx, "load", "loading the data plane at %s: %s", a->pin_dir,
				 strerror(-err));
	for (size_t i = 0; i < a->n_xdp; i++)
		printf("xdp %s %s\n", dp_ifname(a->xdp[i], name),
		       gk_dp_xdp_attach_mode(dp, a->xdp[i]) == XDP_FLAGS_SKB_MODE ? "generic" :
										    "native");
	for (size_t i = 0; i < a->n_tc; i++)
		printf("tc %s egress\n", dp_ifname(a->tc[i], name));
	printf("loaded %s\n", gk_dp_pin_dir(dp));
	fflush(stdout);
	if (a->wait)
		dp_wait_signal();
	gk_dp_close(dp, true);
	return CLI_OK;
}

static int dp_unload(struct cli_ctx *ctx, const struct dp_args *a)
{
	struct gk_dp *dp;
	int err = 0;

	if (dp_open_maps(ctx, a, &dp))
		return CLI_FAIL;
	for (size_t i = 0; !err && i < a->n_xdp; i++)
		err = gk_dp_detach_ifindex(dp, a->xdp[i]);
	for (size_t i = 0; !err && i < a->n_tc; i++)
		err = gk_dp_detach_ifindex(dp, a->tc[i]);
	if (err)
		return dp_done(ctx, dp, err, "detach");
	gk_dp_close(dp, false);
	return CLI_OK;
}

static int dp_group_key(const struct dp_args *a, struct gk_dp_group_key *k)
{
	if (dp_require("group-add/del", a->addr && a->port >= 0, "--addr and --port"))
		return CLI_USAGE;
	if (gk_dp_group_addr(a->addr, (uint16_t)a->port, k))
		return cli_usage_error("--addr '%s' is not an IPv4 or IPv6 address", a->addr);
	return 0;
}

static int dp_group_add(struct cli_ctx *ctx, const struct dp_args *a)
{
	uint32_t flags = (a->send ? GK_DP_GROUP_SEND : 0) | (a->strip ? GK_DP_GROUP_STRIP : 0);
	struct gk_dp_group_key k;
	struct gk_dp *dp;

	if (dp_group_key(a, &k) || dp_require("group-add", a->group >= 0, "--group"))
		return CLI_USAGE;
	if (dp_open_maps(ctx, a, &dp))
		return CLI_FAIL;
	return dp_done(ctx, dp,
		       gk_dp_group_set(dp, &k, (uint32_t)a->group, flags, (uint32_t)a->sender),
		       "group-add");
}

static int dp_group_del(struct cli_ctx *ctx, const struct dp_args *a)
{
	struct gk_dp_group_key k;
	struct gk_dp *dp;

	if (dp_group_key(a, &k))
		return CLI_USAGE;
	if (dp_open_maps(ctx, a, &dp))
		return CLI_FAIL;
	return dp_done(ctx, dp, gk_dp_group_del(dp, &k), "group-del");
}

static int dp_key_add(struct cli_ctx *ctx, const struct dp_args *a)
{
	struct gk_dp *dp;
	uint8_t *key;
	size_t len;
	int err;

	if (dp_require("key-add",
		       a->group >= 0 && a->key_id >= 0 && a->name && a->hex && a->exp >= 0,
		       "--group, --key-id, --name, --group-key and --exp"))
		return CLI_USAGE;
	if (gk_hex_decode(a->hex, strlen(a->hex), &key, &len) || !len)
		return cli_usage_error("--group-key needs hex bytes");
	if (dp_open_maps(ctx, a, &dp)) {
		err = -EIO;
	} else {
		err = gk_dp_key_add(dp, (uint32_t)a->group, a->name, (uint32_t)a->key_id, key, len,
				    a->exp, (uint32_t)(a->grace > 0 ? a->grace : 0));
		dp_done(ctx, dp, err, "key-add");
	}
	gk_wipe(key, len);
	free(key);
	return err ? CLI_FAIL : CLI_OK;
}

static int dp_key_del(struct cli_ctx *ctx, const struct dp_args *a, bool switch_to)
{
	struct gk_dp *dp;

	if (dp_require(switch_to ? "send-key" : "key-del", a->group >= 0 && a->key_id >= 0,
		       "--group and --key-id"))
		return CLI_USAGE;
	if (dp_open_maps(ctx, a, &dp))
		return CLI_FAIL;
	if (switch_to)
		return dp_done(ctx, dp, gk_dp_send_key(dp, (uint32_t)a->group, (uint32_t)a->key_id),
			       "send-key");
	return dp_done(ctx, dp, gk_dp_key_del(dp, (uint32_t)a->group, (uint32_t)a->key_id),
		       "key-del");
}

/* The mark in FILE: one decimal number; 0 when FILE does not exist yet. */
static int dp_state_read(const char *path, uint64_t *mark)
{
	long long v;
	uint8_t *buf;
	size_t len;
	int err;

	err = gk_read_file(path, 64, &buf, &len);
	if (err == -ENOENT) {
		*mark = 0;
		return 0;
	}
	if (err)
		return err;
	buf[strcspn((char *)buf, "\n")] = '\0';
	err = dp_num((char *)buf, 0, INT64_MAX, &v);
	free(buf);
	*mark = (uint64_t)v;
	return err;
}

/* Replace FILE durably: temporary file, fsync, rename, fsync of the directory. */
static int dp_state_persist(void *arg, uint32_t group_id, uint64_t mark)
{
	const char *path = arg;
	char tmp[PATH_MAX], line[32], dir[PATH_MAX];
	int fd, dfd, err, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	n = snprintf(line, sizeof(line), "%" PRIu64 "\n", mark);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = gk_write_all(fd, line, (size_t)n);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = fsync(dfd) ? -errno : 0;
	close(dfd);
	return err;
}

static int dp_seq(struct cli_ctx *ctx, const struct dp_args *a, bool start)
{
	uint64_t mark, limit, seq;
	struct gk_dp *dp;
	int err;

	if (dp_require(start ? "seq-start" : "seq-reserve",
		       a->group >= 0 && a->state && (start || a->block > 0),
		       start ? "--group and --state" : "--group, --block and --state"))
		return CLI_USAGE;
	if (dp_open_maps(ctx, a, &dp))
		return CLI_FAIL;
	if (start) {
		err = dp_state_read(a->state, &mark);
		if (!err)
			err = gk_dp_seq_start(dp, (uint32_t)a->group, mark);
	} else {
		err = gk_dp_seq_reserve(dp, (uint32_t)a->group, (uint64_t)a->block,
					dp_state_persist, (void *)a->state, &limit);
	}
	if (!err)
		err = gk_dp_seq_read(dp, (uint32_t)a->group, &seq, &limit);
	if (!err)
		printf("seq %" PRIu64 " limit %" PRIu64 "\n", seq, limit);
	return dp_done(ctx, dp, err, start ? "seq-start" : "seq-reserve");
}

/* A CLOCK_TAI deadline back in seconds since the epoch, for display. */
static long long dp_deadline_unix(__u64 ns, long long tai)
{
	if (ns == UINT64_MAX)
		return -1; /* never */
	return (long long)(ns / 1000000000ULL) - tai;
}

/* Live keys through gk_dp_keys_read(): it knows the slot layout and hands out no key bytes. */
static json_t *dp_keys_json(const char *pin_dir)
{
	struct gk_dp_key_entry *e = NULL;
	uint64_t tai_check = 0;
	json_t *arr = json_array();
	size_t n = 0;
	long long tai;

	/* The offset the deadlines were computed with: the deadline of second 0. */
	gk_dp_tai_deadline(0, &tai_check);
	tai = (long long)(tai_check / 1000000000ULL);
	if (gk_dp_keys_read(pin_dir, &e, &n))
		return arr;
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(
			arr, json_pack("{s:I,s:I,s:I,s:I}", "group", (json_int_t)e[i].group_id,
				       "key_id", (json_int_t)e[i].key_id, "exp",
				       (json_int_t)dp_deadline_unix(e[i].send_not_after_ns, tai),
				       "recv_until",
				       (json_int_t)dp_deadline_unix(e[i].recv_not_after_ns, tai)));
	free(e);
	return arr;
}

static json_t *dp_groups_json(struct gk_dp *dp, const struct gk_dp_group_entry *e, size_t n)
{
	json_t *arr = json_array();
	uint64_t seq, limit;
	char buf[64];

	for (size_t i = 0; arr && i < n; i++) {
		const struct gk_dp_group *g = &e[i].group;
		json_t *o;

		if (gk_dp_group_addr_str(&e[i].addr, buf, sizeof(buf)))
			continue;
		o = json_pack("{s:s,s:I,s:b,s:b,s:I,s:I}", "address", buf, "group",
			      (json_int_t)g->group_id, "send", !!(g->flags & GK_DP_GROUP_SEND),
			      "strip", !!(g->flags & GK_DP_GROUP_STRIP), "send_key_id",
			      (json_int_t)g->send_key_id, "sender_id", (json_int_t)g->sender_id);
		if (o && !gk_dp_seq_read(dp, g->group_id, &seq, &limit)) {
			json_object_set_new(o, "seq", json_integer((json_int_t)seq));
			json_object_set_new(o, "seq_limit", json_integer((json_int_t)limit));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static void dp_show_text(json_t *groups, json_t *keys)
{
	json_t *o;
	size_t i;

	for (i = 0; (o = json_array_get(groups, i)); i++) {
		printf("group %lld %s%s%s sender %lld send_key %lld seq %lld limit %lld\n",
		       (long long)json_integer_value(json_object_get(o, "group")),
		       json_string_value(json_object_get(o, "address")),
		       json_is_true(json_object_get(o, "send")) ? " send" : "",
		       json_is_true(json_object_get(o, "strip")) ? " strip" : "",
		       (long long)json_integer_value(json_object_get(o, "sender_id")),
		       (long long)json_integer_value(json_object_get(o, "send_key_id")),
		       (long long)json_integer_value(json_object_get(o, "seq")),
		       (long long)json_integer_value(json_object_get(o, "seq_limit")));
	}
	for (i = 0; (o = json_array_get(keys, i)); i++) {
		printf("key group %lld id %lld exp %lld recv_until %lld\n",
		       (long long)json_integer_value(json_object_get(o, "group")),
		       (long long)json_integer_value(json_object_get(o, "key_id")),
		       (long long)json_integer_value(json_object_get(o, "exp")),
		       (long long)json_integer_value(json_object_get(o, "recv_until")));
	}
}

static int dp_show(struct cli_ctx *ctx, const struct dp_args *a)
{
	struct gk_dp_group_entry *e;
	json_t *groups, *keys;
	struct gk_dp *dp;
	size_t n;
	int err;

	if (dp_open_maps(ctx, a, &dp))
		return CLI_FAIL;
	err = gk_dp_groups_read(a->pin_dir, &e, &n);
	if (err)
		return dp_done(ctx, dp, err, "reading gk_groups");
	groups = dp_groups_json(dp, e, n);
	keys = dp_keys_json(a->pin_dir);
	free(e);
	gk_dp_close(dp, true);
	if (ctx->json)
		return cli_print_json(ctx, json_pack("{s:o,s:o}", "groups", groups, "keys", keys)) ?
			       CLI_FAIL :
			       CLI_OK;
	dp_show_text(groups, keys);
	json_decref(groups);
	json_decref(keys);
	return CLI_OK;
}

int cmd_dataplane(struct cli_ctx *ctx, int argc, char **argv)
{
	struct dp_args a;
	const char *verb;
	int err;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		dataplane_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	err = dp_parse(argc - 1, argv + 1, &a);
	if (err)
		return err;
	if (!strcmp(verb, "load"))
		return dp_load(ctx, &a);
	if (!strcmp(verb, "unload"))
		return dp_unload(ctx, &a);
	if (!strcmp(verb, "show"))
		return dp_show(ctx, &a);
	if (!strcmp(verb, "group-add"))
		return dp_group_add(ctx, &a);
	if (!strcmp(verb, "group-del"))
		return dp_group_del(ctx, &a);
	if (!strcmp(verb, "key-add"))
		return dp_key_add(ctx, &a);
	if (!strcmp(verb, "key-del") || !strcmp(verb, "send-key"))
		return dp_key_del(ctx, &a, !strcmp(verb, "send-key"));
	if (!strcmp(verb, "seq-reserve") || !strcmp(verb, "seq-start"))
		return dp_seq(ctx, &a, !strcmp(verb, "seq-start"));
	return cli_usage_error("unknown dataplane command '%s'", verb);
}
