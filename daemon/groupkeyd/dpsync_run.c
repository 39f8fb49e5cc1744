// SPDX-License-Identifier: BSD-3-Clause
/* Daemon side of dpsync: opens this host's data plane, drives dpsync from KDC events and a timer. */
#include <errno.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "dpsync.h"
#include "dpsync_run.h"
#include "links.h"
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
	struct gkd_links *links; /* the configured interfaces, followed by name */
	bool links_ready;	 /* past gkd_links_open()'s initial reports */
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
	o.lan_ifindex = lan;
	o.n_lan = cfg->gw_n_lan;
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

/*
 * Attach our programs to a (re)created interface in its configured role: a
 * loader over the same pinned maps, dropped again once it has attached (the
 * attachment belongs to the interface, the maps to their pins).
 */
static void attach_one(struct gkd_dpsync_run *r, const char *ifname, int ifindex)
{
	const struct gkd_config *cfg = r->ctx->cfg;
	bool dp = gkd_conf_ifname_listed(cfg->dp_ifnames, cfg->dp_n_ifaces, ifname);
	bool wan = gkd_conf_ifname_listed(cfg->gw_wan, cfg->gw_n_wan, ifname);
	bool lan = gkd_conf_ifname_listed(cfg->gw_lan, cfg->gw_n_lan, ifname);
	struct gk_dp_opts o = { .pin_dir = cfg->dp_pin_dir };
	struct gk_dp *h = NULL;
	int err;

	o.xdp_ifindex = &ifindex;
	o.n_xdp = dp || wan;
	o.tc_ifindex = &ifindex;
	o.n_tc = dp;
	o.lan_ifindex = &ifindex;
	o.n_lan = lan;
	err = gk_dp_open(&h, &o);
	if (err) {
		pr_err("dataplane: attaching to %s (ifindex %d): %s", ifname, ifindex,
		       gk_strerror(err));
		return;
	}
	gk_dp_close(h, true);
	pr_info("dataplane: programs attached to %s (ifindex %d)", ifname, ifindex);
}

static void link_cb(void *arg, const char *ifname, int ifindex, int old_ifindex, bool up)
{
	struct gkd_dpsync_run *r = arg;

	(void)up;
	if (!r->links_ready || ifindex == old_ifindex)
		return; /* the initial state (attached by run_open), or an up/down change */
	if (!ifindex) {
		pr_warn("dataplane: %s is gone; its programs went with it (re-attached when it "
			"comes back)",
			ifname);
		return;
	}
	attach_one(r, ifname, ifindex);
}

static void links_readable(void *arg, uint32_t events)
{
	struct gkd_dpsync_run *r = arg;
	int err;

	(void)events;
	err = gkd_links_process(r->links);
	if (err)
		pr_err("dataplane: link tracking: %s", strerror(-err));
}

static int links_open(struct gkd_ctx *ctx, struct gkd_dpsync_run *r)
{
	const struct gkd_config *cfg = ctx->cfg;
	const char *names[3 * GKD_DP_MAX_IFACES];
	size_t n = 0;
	int err;

	for (size_t i = 0; i < cfg->dp_n_ifaces; i++)
		names[n++] = cfg->dp_ifnames[i];
	for (size_t i = 0; i < cfg->gw_n_wan; i++)
		names[n++] = cfg->gw_wan[i];
	for (size_t i = 0; i < cfg->gw_n_lan; i++)
		names[n++] = cfg->gw_lan[i];
	err = gkd_links_open(names, n, link_cb, r, &r->links);
	if (!err)
		err = gkd_loop_add_fd(ctx->loop, gkd_links_fd(r->links), EPOLLIN | EPOLLERR,
				      links_readable, r);
	if (err)
		pr_err("dataplane: link tracking: %s", strerror(-err));
	r->links_ready = true;
	return err;
}

static void run_free(struct gkd_dpsync_run *r)
{
	if (r->links) {
		gkd_loop_del_fd(r->ctx->loop, gkd_links_fd(r->links));
		gkd_links_close(r->links);
	}
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
	if (!err)
		err = links_open(ctx, r);
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

/* Programs off every configured interface (whoever attached them), then the pins. */
static void detach_all(struct gkd_dpsync_run *r)
{
	const struct gkd_config *cfg = r->ctx->cfg;
	const char(*lists[])[GKD_IFNAME_MAX] = { cfg->dp_ifnames, cfg->gw_wan, cfg->gw_lan };
	const size_t counts[] = { cfg->dp_n_ifaces, cfg->gw_n_wan, cfg->gw_n_lan };

	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			int idx = r->links ? gkd_links_ifindex(r->links, lists[l][i]) : 0;
			int err = idx ? gk_dp_detach_ifindex(r->dp, idx) : 0;

			if (err && err != -ENOENT)
				pr_err("dataplane: detaching from %s: %s", lists[l][i],
				       gk_strerror(err));
		}
	}
	gk_dp_close(r->dp, false);
	r->dp = NULL;
	pr_info("dataplane: programs detached, maps unpinned");
}

void gkd_dpsync_stop(struct gkd_ctx *ctx)
{
	struct gkd_dpsync_run *r = ctx->dpsync;

	if (!r)
		return;
	if (!ctx->cfg->dp_keep_attached && r->dp)
		detach_all(r);
	run_free(r);
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
	struct gkd_dpsync_src src;
	struct gkd_dpsync *next;
	int err;

	if (!r)
		return;
	/*
	 * The groups as the configuration has them now (a reload may have added
	 * or removed some): a dpsync made afresh, which takes the keys and their
	 * graces from the KDC and prunes addresses no group has any more.
	 */
	gkd_dpsync_kdc_src(&ctx->kdc, &src);
	err = gkd_dpsync_new(ctx->cfg, &gkd_dpsync_dp_ops, r->dp, &src,
			     ctx->cfg->dp_strip ? GK_DP_GROUP_STRIP : 0, &next);
	if (!err) {
		gkd_dpsync_free(r->sync);
		r->sync = next;
	} else {
		pr_err("dataplane: %s (keeping the groups it had)", strerror(-err));
	}
	err = gkd_dpsync_sync(r->sync, wall_s());
	if (err)
		pr_err("dataplane: programming the groups: %s", gk_strerror(err));
	timer_rearm(r, 0);
}
