// SPDX-License-Identifier: BSD-3-Clause
/* groupkeyd's entry point: options, start-up in order, the main loop and a clean shutdown. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctx.h"
#include "member.h"
#include "member_run.h"
#include "dpsync_run.h"
#include "notify.h"
#include "reload.h"
#include "server.h"
#include "groupkey/crypto.h"
#include "groupkey/log.h"

#define EXIT_USAGE 2
#define CONF_ERR_MAX 1024

struct opts {
	const char *config;
	bool check_config;
	bool foreground;
	int verbose;
	const char *member; /* --member NAME: run as that [member]'s worker */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: groupkeyd [OPTION]...\n"
		"ACE Key Distribution Center with an embedded Authorization Server.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"      --check-config  load and validate the configuration, then exit\n"
		"  -f, --foreground    run in the foreground (the only mode for now)\n"
		"  -v                  more log output (-vv: even more)\n"
		"      --member NAME   run only the worker of [member NAME] (the daemon starts\n"
		"                      one per [member] section itself)\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"SIGTERM and SIGINT stop the daemon; SIGHUP reloads the configuration\n"
		"(applied only when valid: otherwise the running one stays and the log says why).\n",
		GKD_DEFAULT_CONFIG);
}

/* 0: run; 1: done, exit 0; -1: usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_CHECK_CONFIG = 256, OPT_MEMBER };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "foreground", no_argument, NULL, 'f' },
		{ "member", required_argument, NULL, OPT_MEMBER },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = GKD_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:fhvV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_CHECK_CONFIG:
			o->check_config = true;
			break;
		case OPT_MEMBER:
			/* One process is one worker: a second name would silently win. */
			if (o->member) {
				fprintf(stderr, "groupkeyd: --member given twice\n");
				usage(stderr);
				return -1;
			}
			o->member = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("groupkeyd %s\n", GK_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "groupkeyd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	/* --check-config would say OK without looking for the member at all. */
	if (o->member && o->check_config) {
		fprintf(stderr, "groupkeyd: --member cannot be combined with --check-config\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The file holds PSKs: say so if anyone may read it. */
static void warn_config_mode(const struct gkd_config *cfg)
{
	struct stat st;

	if (stat(cfg->path, &st) == 0 && (st.st_mode & 004) &&
	    (cfg->n_clients || (cfg->as_kdc_key_set && !cfg->as_kdc_key_file[0])))
		pr_warn("%s holds secrets and is world-readable (chmod o-r)", cfg->path);
}

static void purge_cb(void *arg)
{
	struct gkd_ctx *ctx = arg;
	unsigned n = 0;
	int err;

	err = gkd_authz_purge(&ctx->authz, (int64_t)time(NULL), &n);
	if (err)
		pr_err("purging expired tokens: %s", strerror(-err));
	else if (n)
		pr_info("purged %u expired token%s", n, n == 1 ? "" : "s");
}

/* The KDC before the server: the server makes resources for its members. */
static int kdc_start(struct gkd_ctx *ctx)
{
	struct gkd_kdc_events ev;
	char msg[CONF_ERR_MAX];
	struct timespec ts;
	int err;

	gkd_server_kdc_events(ctx, &ev);
	clock_gettime(CLOCK_REALTIME, &ts);
	err = gkd_kdc_open(ctx->cfg, ctx->store, ctx->rng, &ev,
			   (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &ctx->kdc, msg,
			   sizeof(msg));
	if (err)
		pr_err("KDC: %s", msg[0] ? msg : strerror(-err));
	return err;
}

/* The AS-KDC key, the AS and authorization state, and the KDC. */
static int kdc_services_start(struct gkd_ctx *ctx)
{
	char msg[CONF_ERR_MAX];
	int err;

	err = gkd_conf_ensure_as_kdc_key(ctx->cfg, ctx->rng, msg, sizeof(msg));
	if (err) {
		pr_err("AS-KDC key: %s", msg);
		return err;
	}
	if (ctx->cfg->as_kdc_key_file[0])
		pr_info("AS-KDC key from %s", ctx->cfg->as_kdc_key_file);
	ctx->as = (struct gkd_as){ .cfg = ctx->cfg, .store = ctx->store, .rng = ctx->rng };
	ctx->authz = (struct gkd_authz){ .cfg = ctx->cfg, .store = ctx->store, .rng = ctx->rng };
	return kdc_start(ctx);
}

/* Everything up to a listening server. Undone by ctx_stop() whatever the step reached. */
static int ctx_start(struct gkd_ctx *ctx)
{
	int err;

	err = gkd_loop_new(&ctx->loop);
	if (err) {
		pr_err("event loop: %s", strerror(-err));
		return err;
	}
	err = gkd_store_open(ctx->cfg->state_dir, &ctx->store);
	if (err) {
		pr_err("cannot open the state in %s: %s", ctx->cfg->state_dir, strerror(-err));
		return err;
	}
	err = gk_rng_new(&ctx->rng);
	if (err) {
		pr_err("random generator: %s", strerror(-err));
		return err;
	}
	if (ctx->cfg->kdc_enabled) {
		err = kdc_services_start(ctx);
		if (err)
			return err;
	}
	err = gkd_dpsync_start(ctx);
	if (!err && ctx->cfg->kdc_enabled) {
		err = gkd_server_start(ctx);
		if (err)
			pr_err("cannot start the CoAP server: %s", strerror(-err));
	}
	/* Last: a worker may be about to join the KDC that was just started. */
	if (!err)
		err = gkd_members_start(ctx);
	return err;
}

static void ctx_stop(struct gkd_ctx *ctx)
{
	if (ctx->server)
		gkd_server_stop(ctx);
	gkd_members_stop(ctx);
	gkd_dpsync_stop(ctx);
	gkd_kdc_free(ctx->kdc);
	gk_rng_free(ctx->rng);
	gkd_store_close(ctx->store);
	gkd_loop_free(ctx->loop);
}

static int run(struct gkd_ctx *ctx)
{
	const struct gkd_config *cfg = ctx->cfg;
	uint64_t every = (uint64_t)cfg->purge_interval * 1000;
	struct gkd_timer *purge = NULL;
	char status[256];
	int err;

	err = gkd_timer_new(ctx->loop, every, every, purge_cb, ctx, &purge);
	if (err) {
		pr_err("purge timer: %s", strerror(-err));
		return err;
	}
	if (cfg->kdc_enabled)
		pr_info("groupkeyd %s started: coap :%u, coaps :%u, AS %s, %zu group%s, "
			"%zu membership%s",
			GK_VERSION, cfg->coap_port, cfg->coaps_port, cfg->as_enabled ? "on" : "off",
			cfg->n_groups, cfg->n_groups == 1 ? "" : "s", cfg->n_members,
			cfg->n_members == 1 ? "" : "s");
	else
		pr_info("groupkeyd %s started: member only (no KDC, no CoAP server), "
			"%zu membership%s",
			GK_VERSION, cfg->n_members, cfg->n_members == 1 ? "" : "s");
	gkd_reload_summary(cfg, status, sizeof(status));
	if (gkd_notify_ready(ctx->notify, ctx->loop, status))
		pr_warn("notify: READY=1 could not be sent");
	/* libcoap's timers live in its timerfd, inside our epoll set; libcoap re-arms it. */
	for (;;) {
		err = gkd_loop_run_once(ctx->loop, -1);
		if (err) {
			pr_err("event loop: %s", strerror(-err));
			break;
		}
		if (gkd_loop_stop_requested(ctx->loop))
			break;
		if (gkd_loop_take_reload(ctx->loop))
			gkd_reload(ctx);
	}
	gkd_notify_stopping(ctx->notify);
	gkd_timer_free(purge);
	return err;
}

static int load_config(const struct opts *o, struct gkd_config *cfg)
{
	char msg[CONF_ERR_MAX];

	if (gkd_conf_load(o->config, cfg, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	if (o->check_config)
		printf("%s: OK\n", o->config);
	return 0;
}

int main(int argc, char **argv)
{
	struct gkd_ctx ctx = { 0 };
	struct opts o = { 0 };
	int ret, err;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	ctx.cfg = calloc(1, sizeof(*ctx.cfg));
	if (!ctx.cfg) {
		fprintf(stderr, "groupkeyd: %s\n", strerror(ENOMEM));
		return EXIT_FAILURE;
	}
	ctx.foreground = true; /* no daemonizing: systemd runs us in the foreground */
	err = load_config(&o, ctx.cfg);
	if (err || o.check_config)
		goto out_cfg;
	/* Whatever we create (the database, its WAL, the key file) is ours alone. */
	umask(077);
	ctx.verbose = o.verbose;
	gk_log_set_syslog_prefix(gkd_stderr_is_journal());
	gk_log_set_level(gkd_reload_log_level(ctx.cfg->log_level, o.verbose));
	gk_log_route_libraries();
	warn_config_mode(ctx.cfg);
	if (o.member) {
		ret = gkd_member_main(ctx.cfg, o.member);
		gkd_conf_wipe(ctx.cfg);
		free(ctx.cfg);
		return ret;
	}
	err = gkd_notify_open(&ctx.notify);
	if (err)
		pr_warn("NOTIFY_SOCKET: %s: systemd will not hear from us", strerror(-err));
	err = ctx_start(&ctx);
	if (!err)
		err = run(&ctx);
	gkd_notify_close(ctx.notify);
	ctx_stop(&ctx);
	pr_info("groupkeyd stopped");
out_cfg:
	gkd_conf_wipe(ctx.cfg);
	free(ctx.cfg);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
