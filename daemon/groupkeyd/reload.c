// SPDX-License-Identifier: BSD-3-Clause
/* SIGHUP: parse the configuration into a fresh struct, switch to it only if valid and applicable. */

/*
 * Choices made here (BIRD's way: parse first, switch only to a valid one):
 *
 * - All or nothing. A file that does not parse, an AS-KDC key that cannot
 *   be read, or a change to what only a new process can take (state_dir:
 *   the open database; purge_interval: the main loop's timer) leaves the
 *   running configuration untouched, and the log says why.
 * - The AS, the token checks, the KDC and the CoAP server all read the
 *   configuration through ctx->cfg (the KDC also keeps &cfg->groups[i]),
 *   so a new configuration is copied into that same struct, never swapped
 *   for another pointer.
 * - What the KDC and the server took in when they started (the groups,
 *   the audience in the KDC's credential, address, ports, the AS switch,
 *   the /authz-info rate limit) is applied by restarting those two on the
 *   new configuration: gkd_kdc_open() reconciles the groups with the store
 *   as at start-up (a group still configured keeps members, num and keys;
 *   a removed one loses its members). DTLS sessions and observations end
 *   and clients come back with their stored tokens. Should the restart
 *   fail, the previous configuration is put back and restarted the same
 *   way; should even that fail, the daemon stops and systemd restarts it.
 *   reload_services() is the one place to call an in-place
 *   gkd_kdc_reconfigure() once the KDC offers one. The data plane is then
 *   programmed again from the reopened KDC; its own settings and the groups
 *   it programs are the ones it started with until the next start
 *   (docs/config.md [dataplane]).
 * - Everything else (log level, clients, trusted ASes, the AS's issuer and
 *   token lifetime, the AS-KDC key, max_payload) is copied in place and
 *   sessions stay. A session that authenticated as an AS client keeps that
 *   identity only when the client still exists with the same PSK; otherwise
 *   it is left without one, and its next /token is 4.01.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reload.h"
#include "dpsync_run.h"
#include "notify.h"
#include "server.h"
#include "server_int.h"
#include "groupkey/crypto.h"
#include "groupkey/log.h"

#define RELOAD_MSG_MAX 1024
#define RELOAD_STATUS_MAX 256

enum gk_log_level gkd_reload_log_level(enum gk_log_level base, int verbose)
{
	static const enum gk_log_level steps[] = { GK_LOG_ERR, GK_LOG_WARN, GK_LOG_INFO,
						   GK_LOG_DEBUG };
	int i = 0;

	while (i < 3 && steps[i] != base)
		i++;
	i += verbose > 0 ? verbose : 0;
	return steps[i > 3 ? 3 : i];
}

static void endpoint_str(const char *addr, unsigned port, char *buf, size_t len)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

void gkd_reload_summary(const struct gkd_config *cfg, char *buf, size_t len)
{
	char coap[80], coaps[80];

	endpoint_str(cfg->listen, cfg->coap_port, coap, sizeof(coap));
	endpoint_str(cfg->listen, cfg->coaps_port, coaps, sizeof(coaps));
	snprintf(buf, len, "coap %s, coaps %s, AS %s, %zu group%s, %zu client%s", coap, coaps,
		 cfg->as_enabled ? "on" : "off", cfg->n_groups, cfg->n_groups == 1 ? "" : "s",
		 cfg->n_clients, cfg->n_clients == 1 ? "" : "s");
}

/* --- what changed ---------------------------------------------------------- */

static bool group_equal(const struct gkd_group_conf *a, const struct gkd_group_conf *b)
{
	return !strcmp(a->name, b->name) && a->roles == b->roles &&
	       !strcmp(a->address, b->address) && a->family == b->family &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr)) && a->port == b->port &&
	       a->key_lifetime == b->key_lifetime && a->rekey_margin == b->rekey_margin &&
	       a->recv_grace == b->recv_grace && a->max_members == b->max_members &&
	       a->rekey_on_join == b->rekey_on_join && a->rekey_on_leave == b->rekey_on_leave &&
	       a->require_cred == b->require_cred;
}

static const struct gkd_group_conf *group_find(const struct gkd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_groups; i++) {
		if (!strcmp(cfg->groups[i].name, name))
			return &cfg->groups[i];
	}
	return NULL;
}

/* The first group difference as "group NAME added/removed/changed", or "group order". */
static bool groups_differ(const struct gkd_config *cur, const struct gkd_config *next, char *what,
			  size_t len)
{
	const struct gkd_group_conf *g;

	for (size_t i = 0; i < next->n_groups; i++) {
		g = group_find(cur, next->groups[i].name);
		if (!g || !group_equal(g, &next->groups[i])) {
			snprintf(what, len, "group %s %s", next->groups[i].name,
				 g ? "changed" : "added");
			return true;
		}
	}
	for (size_t i = 0; i < cur->n_groups; i++) {
		if (!group_find(next, cur->groups[i].name)) {
			snprintf(what, len, "group %s removed", cur->groups[i].name);
			return true;
		}
	}
	/* Same groups in another order: the KDC's &cfg->groups[i] would point elsewhere. */
	for (size_t i = 0; i < cur->n_groups; i++) {
		if (strcmp(cur->groups[i].name, next->groups[i].name)) {
			snprintf(what, len, "group order");
			return true;
		}
	}
	return false;
}

/* Settings read once by the process, by the KDC or by the server: which one differs. */
static const char *process_setting(const struct gkd_config *cur, const struct gkd_config *next)
{
	if (strcmp(cur->state_dir, next->state_dir))
		return "state_dir";
	if (cur->purge_interval != next->purge_interval)
		return "purge_interval";
	if (cur->kdc_enabled != next->kdc_enabled)
		return "kdc.enabled";
	return NULL;
}

static const char *services_setting(const struct gkd_config *cur, const struct gkd_config *next)
{
	if (strcmp(cur->listen, next->listen))
		return "listen";
	if (cur->coap_port != next->coap_port)
		return "coap_port";
	if (cur->coaps_port != next->coaps_port)
		return "coaps_port";
	if (cur->as_enabled != next->as_enabled)
		return "as.enabled";
	if (cur->authz_rate != next->authz_rate)
		return "authz_rate";
	if (cur->authz_burst != next->authz_burst)
		return "authz_burst";
	if (strcmp(cur->kdc_audience, next->kdc_audience))
		return "audience";
	return NULL;
}

enum gkd_reload_kind gkd_reload_classify(const struct gkd_config *cur,
					 const struct gkd_config *next, char *what, size_t len)
{
	const char *s;

	what[0] = '\0';
	s = process_setting(cur, next);
	if (s) {
		snprintf(what, len, "%s", s);
		return GKD_RELOAD_REFUSED;
	}
	if (groups_differ(cur, next, what, len))
		return GKD_RELOAD_SERVICES;
	s = services_setting(cur, next);
	if (s) {
		snprintf(what, len, "%s", s);
		return GKD_RELOAD_SERVICES;
	}
	/* Both come from gkd_conf_load(), which starts from a zeroed struct. */
	return memcmp(cur, next, sizeof(*cur)) ? GKD_RELOAD_IN_PLACE : GKD_RELOAD_NONE;
}

static bool client_equal(const struct gkd_client_conf *a, const struct gkd_client_conf *b)
{
	return a->psk_len == b->psk_len && !memcmp(a->psk, b->psk, a->psk_len) &&
	       !memcmp(&a->allowed, &b->allowed, sizeof(a->allowed));
}

/* One line per group and client added, removed or changed, for the operator. */
static void log_changes(const struct gkd_config *cur, const struct gkd_config *next)
{
	const struct gkd_client_conf *c;
	const struct gkd_group_conf *g;

	for (size_t i = 0; i < next->n_groups; i++) {
		g = group_find(cur, next->groups[i].name);
		if (!g || !group_equal(g, &next->groups[i]))
			pr_info("reload: group %s %s", next->groups[i].name,
				g ? "changed" : "added");
	}
	for (size_t i = 0; i < cur->n_groups; i++) {
		if (!group_find(next, cur->groups[i].name))
			pr_info("reload: group %s removed", cur->groups[i].name);
	}
	for (size_t i = 0; i < next->n_clients; i++) {
		const char *id = next->clients[i].id;

		c = gkd_conf_client(cur, id, strlen(id));
		if (!c || !client_equal(c, &next->clients[i]))
			pr_info("reload: client %s %s", id, c ? "changed" : "added");
	}
	for (size_t i = 0; i < cur->n_clients; i++) {
		const char *id = cur->clients[i].id;

		if (!gkd_conf_client(next, id, strlen(id)))
			pr_info("reload: client %s removed", id);
	}
	if (cur->log_level != next->log_level)
		pr_info("reload: log_level changed");
	if (cur->dp_enabled != next->dp_enabled || cur->dp_strip != next->dp_strip ||
	    cur->dp_n_ifaces != next->dp_n_ifaces || strcmp(cur->dp_pin_dir, next->dp_pin_dir) ||
	    memcmp(cur->dp_ifnames, next->dp_ifnames, sizeof(cur->dp_ifnames)))
		pr_warn("reload: [dataplane] changed: it takes effect at the next start");
}

/* --- applying it ------------------------------------------------------------ */

/*
 * Before next is copied over ctx->cfg: re-point the AS-client sessions at
 * the same client in next (same offset once copied), or strip them.
 */
static void rebind_sessions(struct gkd_ctx *ctx, const struct gkd_config *next)
{
	struct gkd_server *srv = ctx->server;
	struct gkd_sess *s;

	if (!srv)
		return;
	for (s = srv->sessions.next; s != &srv->sessions; s = s->next) {
		const struct gkd_client_conf *c;

		if (s->peer.type != GKD_PEER_AS_CLIENT || !s->peer.client)
			continue;
		c = gkd_conf_client(next, s->peer.client->id, strlen(s->peer.client->id));
		if (c && c->psk_len == s->peer.psk_len &&
		    !memcmp(c->psk, s->peer.psk, c->psk_len)) {
			s->peer.client = &ctx->cfg->clients[c - next->clients];
			continue;
		}
		gk_wipe(&s->peer, sizeof(s->peer));
		s->peer.type = GKD_PEER_NONE;
		s->psk.s = NULL;
		s->psk.length = 0;
	}
}

static void apply_in_place(struct gkd_ctx *ctx, const struct gkd_config *next)
{
	rebind_sessions(ctx, next);
	gkd_conf_wipe(ctx->cfg);
	memcpy(ctx->cfg, next, sizeof(*ctx->cfg));
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The KDC, then the server on it, as main.c starts them. */
static int services_start(struct gkd_ctx *ctx)
{
	struct gkd_kdc_events ev;
	char msg[RELOAD_MSG_MAX];
	int err;

	if (!ctx->cfg->kdc_enabled)
		return 0; /* a member-only host serves nothing */
	gkd_server_kdc_events(ctx, &ev);
	err = gkd_kdc_open(ctx->cfg, ctx->store, ctx->rng, &ev, wall_ms(), &ctx->kdc, msg,
			   sizeof(msg));
	if (err) {
		pr_err("reload: KDC: %s", msg[0] ? msg : strerror(-err));
		return err;
	}
	err = gkd_server_start(ctx);
	if (err)
		pr_err("reload: CoAP server: %s", strerror(-err));
	return err;
}

static void services_stop(struct gkd_ctx *ctx)
{
	gkd_server_stop(ctx);
	gkd_kdc_free(ctx->kdc);
	ctx->kdc = NULL;
}

static int reload_services(struct gkd_ctx *ctx, const struct gkd_config *next)
{
	struct gkd_config *prev = malloc(sizeof(*prev));
	int err;

	if (!prev)
		return -ENOMEM;
	memcpy(prev, ctx->cfg, sizeof(*prev));
	services_stop(ctx);
	memcpy(ctx->cfg, next, sizeof(*ctx->cfg));
	err = services_start(ctx);
	if (err) {
		services_stop(ctx);
		gkd_conf_wipe(ctx->cfg);
		memcpy(ctx->cfg, prev, sizeof(*ctx->cfg));
		if (services_start(ctx)) {
			pr_err("reload: the previous configuration cannot be restarted either: "
			       "stopping");
			gkd_loop_request_stop(ctx->loop);
		} else {
			pr_warn("reload: back on the previous configuration");
		}
	}
	/* The KDC it read keys from is a new one, whichever configuration won. */
	gkd_dpsync_resync(ctx);
	gkd_conf_wipe(prev);
	free(prev);
	return err;
}

/* Parse and check; 0 with *out set, or the reason logged. */
static int reload_load(struct gkd_ctx *ctx, struct gkd_config **out)
{
	struct gkd_config *next = calloc(1, sizeof(*next));
	char msg[RELOAD_MSG_MAX];
	int err;

	*out = NULL;
	if (!next)
		return -ENOMEM;
	err = gkd_conf_load(ctx->cfg->path, next, msg, sizeof(msg));
	if (!err) {
		err = gkd_conf_ensure_as_kdc_key(next, ctx->rng, msg, sizeof(msg));
		if (err)
			pr_err("reload: AS-KDC key: %s; keeping the running configuration", msg);
	} else {
		pr_err("reload: %s; keeping the running configuration", msg);
	}
	if (err) {
		gkd_conf_wipe(next);
		free(next);
		return err;
	}
	*out = next;
	return 0;
}

static int reload_apply(struct gkd_ctx *ctx, const struct gkd_config *next)
{
	char what[GK_GROUP_NAME_MAX + 32];
	enum gkd_reload_kind kind = gkd_reload_classify(ctx->cfg, next, what, sizeof(what));

	switch (kind) {
	case GKD_RELOAD_NONE:
		pr_info("reload: %s unchanged", ctx->cfg->path);
		return 0;
	case GKD_RELOAD_REFUSED:
		pr_err("reload: %s changed, which needs a restart (systemctl restart groupkeyd); "
		       "keeping the running configuration",
		       what);
		return -EBUSY;
	case GKD_RELOAD_IN_PLACE:
		log_changes(ctx->cfg, next);
		apply_in_place(ctx, next);
		return 0;
	case GKD_RELOAD_SERVICES:
		log_changes(ctx->cfg, next);
		pr_info("reload: %s: restarting the KDC and the CoAP endpoints", what);
		return reload_services(ctx, next);
	}
	return -EINVAL;
}

int gkd_reload(struct gkd_ctx *ctx)
{
	char status[RELOAD_STATUS_MAX];
	struct gkd_config *next;
	int err;

	gkd_notify_reloading(ctx->notify);
	pr_info("reload: reading %s", ctx->cfg->path);
	err = reload_load(ctx, &next);
	if (!err) {
		err = reload_apply(ctx, next);
		gkd_conf_wipe(next);
		free(next);
	}
	gk_log_set_level(gkd_reload_log_level(ctx->cfg->log_level, ctx->verbose));
	gkd_reload_summary(ctx->cfg, status, sizeof(status));
	if (!err)
		pr_info("reload: done: %s", status);
	gkd_notify_reloaded(ctx->notify, status);
	return err;
}
