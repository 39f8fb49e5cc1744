// SPDX-License-Identifier: BSD-3-Clause
/* Daemon side of dpsync: opens this host's data plane, drives dpsync from KDC events and a timer. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "dpsync.h"
#include "dpsync_run.h"
#include "groupkey/err.h"
#include "groupkey/log.h"

struct gkd_dpsync_run {
	struct gkd_ctx *ctx;
	struct gk_dp *dp;
	struct gkd_dpsync *sync;
	struct gkd_timer *timer;
	/*
	 * A rekey reported while no KDC is reachable through ctx->kdc: a reload
	 * reopening the KDC (gkd_kdc_open() reports before it returns the KDC).
	 * The timer then programs everything once the reload is done.
	 */
	bool resync;
};

#define DPSYNC_RETRY_MS 1000

static int64_t wall_s(void)
{
	return (int64_t)time(NULL);
}

static void timer_rearm(struct gkd_dpsync_run *r, int failed)
{
	int64_t next = gkd_dpsync_next_deadline(r->sync, wall_s());
	uint64_t ms;
	int err;

	if (failed)
		ms = DPSYNC_RETRY_MS;
	else if (next < 0)
		ms = 0; /* nothing pending: disarmed */
	else
		ms = next ? (uint64_t)next * 1000 : 1;
	err = gkd_timer_arm(r->timer, ms, 0);
	if (err)
		pr_err("dataplane: timer: %s", strerror(-err));
}

static void timer_cb(void *arg)
{
	struct gkd_dpsync_run *r = arg;
	int err;

	if (r->resync) {
		r->resync = false;
		gkd_dpsync_resync(r->ctx);
	}
	err = gkd_dpsync_tick(r->sync, wall_s());

	if (err)
		pr_err("dataplane: removing an old key: %s (retrying)", gk_strerror(err));
	timer_rearm(r, err);
}

static int ifindexes(char names[][GKD_IFNAME_MAX], size_t n, int *idx)
{
	for (size_t i = 0; i < n; i++) {
		idx[i] = (int)if_nametoindex(names[i]);
		if (!idx[i]) {
			int err = -errno;

			pr_err("dataplane: interface %s: %s", names[i], strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * XDP validates on the [dataplane] interfaces and the gateway's WAN ports;
 * TC stamps egress on the [dataplane] interfaces only (traffic forwarded out
 * of a WAN port was stamped at LAN ingress already) and ingress on LAN ports.
 */
static int run_open(struct gkd_ctx *ctx, struct gkd_dpsync_run *r)
{
	struct gkd_config *cfg = ctx->cfg;
	int xdp[2 * GKD_DP_MAX_IFACES] = { 0 }, lan[GKD_DP_MAX_IFACES] = { 0 };
	struct gk_dp_opts o = { 0 };
	struct gkd_dpsync_src src;
	int err;

	err = ifindexes(cfg->dp_ifnames, cfg->dp_n_ifaces, xdp);
	if (!err)
		err = ifindexes(cfg->gw_wan, cfg->gw_n_wan, xdp + cfg->dp_n_ifaces);
	if (!err)
		err = ifindexes(cfg->gw_lan, cfg->gw_n_lan, lan);
	if (err)
		return err;
	o.pin_dir = cfg->dp_pin_dir;
	o.xdp_ifindex = xdp;
	o.n_xdp = cfg->dp_n_ifaces + cfg->gw_n_wan;
	o.tc_ifindex = xdp;
	o.n_tc = cfg->dp_n_ifaces;
#if 0 /* XXX-ALLOW */
	o.lan_ifindex = lan;
	o.n_lan = cfg->gw_n_lan;
#endif
	(void)lan;
	err = gk_dp_open(&r->dp, &o);
	if (err) {
		pr_err("dataplane: loading into %s: %s", cfg->dp_pin_dir, gk_strerror(err));
		return err;
	}
	gkd_dpsync_kdc_src(&ctx->kdc, &src);
	err = gkd_dpsync_new(cfg, &gkd_dpsync_dp_ops, r->dp, &src,
			     cfg->dp_strip ? GK_DP_GROUP_STRIP : 0, &r->sync);
	if (err)
		return err;
	return gkd_timer_new(ctx->loop, 0, 0, timer_cb, r, &r->timer);
}

static void run_free(struct gkd_dpsync_run *r)
{
	gkd_timer_free(r->timer);
	gkd_dpsync_free(r->sync);
	/* Pins stay: enforcement goes on, and keys stop validating at their own deadline. */
	if (r->dp)
		gk_dp_close(r->dp, true);
	free(r);
}

int gkd_dpsync_start(struct gkd_ctx *ctx)
{
	struct gkd_dpsync_run *r;
	int err;

	if (!ctx->cfg->dp_enabled)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ctx = ctx;
	err = run_open(ctx, r);
	if (err) {
		run_free(r);
		return err;
	}
	ctx->dpsync = r;
	gkd_dpsync_resync(ctx);
	pr_info("dataplane: %zu interface%s, %zu wan, %zu lan, maps in %s", ctx->cfg->dp_n_ifaces,
		ctx->cfg->dp_n_ifaces == 1 ? "" : "s", ctx->cfg->gw_n_wan, ctx->cfg->gw_n_lan,
		ctx->cfg->dp_pin_dir);
	return 0;
}

void gkd_dpsync_stop(struct gkd_ctx *ctx)
{
	if (!ctx->dpsync)
		return;
	run_free(ctx->dpsync);
	ctx->dpsync = NULL;
}

void gkd_dpsync_rekeyed(struct gkd_ctx *ctx, const char *group, uint32_t num)
{
	struct gkd_dpsync_run *r = ctx->dpsync;
	int err;

	if (!r)
		return;
	if (!ctx->kdc) {
		r->resync = true;
		err = gkd_timer_arm(r->timer, 1, 0);
		if (err)
			pr_err("dataplane: timer: %s", strerror(-err));
		return;
	}
	err = gkd_dpsync_group_rekeyed(r->sync, group, num, wall_s());
	if (err == -ENOENT)
		return; /* no address: a KDC-only group */
	if (err)
		pr_err("dataplane: group %s key %u: %s", group, num, gk_strerror(err));
	else
		pr_debug("dataplane: group %s key %u loaded", group, num);
	timer_rearm(r, 0);
}

void gkd_dpsync_resync(struct gkd_ctx *ctx)
{
	struct gkd_dpsync_run *r = ctx->dpsync;
	int err;

	if (!r)
		return;
	err = gkd_dpsync_sync(r->sync, wall_s());
	if (err)
		pr_err("dataplane: programming the groups: %s", gk_strerror(err));
	timer_rearm(r, 0);
}
