// SPDX-License-Identifier: BSD-3-Clause
/* The KDC on the wire: /ace-group resources, Observe, node resources, well-known, timer. */

/*
 * Choices made here:
 *
 * - Per-path libcoap resources for what is fixed by the configuration:
 *   /ace-group, and for each group /ace-group/G (observable), .../creds,
 *   .../kdc-cred, .../policies and .../num. Everything else, the node
 *   resources /ace-group/G/nodes/N and .../cred included, reaches the
 *   unknown-resource handler, which libcoap also calls for DELETE when one
 *   is registered (libcoap would answer a DELETE of a path without a
 *   resource 2.02 by itself). No resource per member: libcoap 4.3.1 walks
 *   every resource of the context each time a session is released (its
 *   observer clean-up), which with one resource per member made every
 *   session's end cost O(members) - 82 % of the daemon's CPU at 55,000
 *   members. All of them run h_kdc() for every method: the access check
 *   comes first (RFC 9200 §5.10.2 orders 4.01 and 4.03 before 4.05), then
 *   gkd_kdc_route() and gkd_kdc_handle() decide.
 * - DTLS only: a request over plain CoAP, or over DTLS from an AS client
 *   (no token), is 4.01.
 * - Observe (RFC 7641): libcoap registers observers of /ace-group/G; the
 *   observers of nodes/N (the unknown resource, which libcoap does not let
 *   anyone observe) are registered by server_observe.c alone, which also
 *   puts the Observe option in their registration responses. The
 *   notifications of both are ours (server_observe.c explains why).
 * - Removal (RFC 9594 §4.8, §5): member_removed sends the node's observers
 *   their final 4.04; with no resource of its own, the node's path is then
 *   answered by the KDC's handler like any non-member's.
 * - control_uri is stored by the KDC but nothing is POSTed to it
 *   (docs/profile.md REQ9): that would need a DTLS client session from the
 *   KDC to the member, with credentials RFC 9594 does not define.
 * - /.well-known/core (RFC 6690) is ours, not libcoap's generated one, so
 *   that it lists no node resources: /authz-info, /token and /ace-group on
 *   either endpoint, the group resources (rt="groupkeyd.gm",
 *   if="ace.group", docs/profile.md REQ10) over DTLS only. A query filters
 *   on href, rt, if or ct, with a trailing '*' for a prefix match.
 * - The KDC timer is one-shot: after each tick it is armed for
 *   gkd_kdc_next_deadline() (capped at 60 s so that a step of the wall
 *   clock is noticed), and a Join or a leave brings it forward to what
 *   they make due (kdc_timer_after()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpsync_run.h"
#include "server_int.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

#define KDC_TIMER_MAX_MS 60000
#define KDC_TIMER_RETRY_MS 1000
#define CF_LINK_FORMAT 40
#define LINKS_MAX 8192

static const coap_request_t all_methods[] = { COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_PUT,
					      COAP_REQUEST_DELETE, COAP_REQUEST_FETCH };
static const char *const group_leaves[] = { "creds", "kdc-cred", "policies", "num" };

/* --- the KDC timer --------------------------------------------------------- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kdc_timer_arm(struct gkd_server *srv, int64_t ms)
{
	int err;

	if (ms <= 0)
		ms = 1; /* 0 would disarm */
	if (ms > KDC_TIMER_MAX_MS)
		ms = KDC_TIMER_MAX_MS;
	err = gkd_timer_arm(srv->kdc_timer, (uint64_t)ms, 0);
	if (err)
		pr_err("kdc timer: %s", strerror(-err));
	srv->kdc_due_ms = mono_ms() + ms;
}

static void kdc_timer_cb(void *arg)
{
	struct gkd_server *srv = arg;
	int64_t next;
	int err = gkd_kdc_tick(srv->ctx->kdc, gkd_srv_wall_ms());

	if (err) {
		pr_err("kdc: timer: %s (retrying)", gk_strerror(err));
		kdc_timer_arm(srv, KDC_TIMER_RETRY_MS);
		return;
	}
	next = gkd_kdc_next_deadline(srv->ctx->kdc, gkd_srv_wall_ms());
	kdc_timer_arm(srv, next < 0 ? KDC_TIMER_MAX_MS : next);
}

/*
 * After a request: a new member (2.01) makes a rekey due at the end of the
 * coalescing window when its group rekeys on join, and its token's exp a
 * deadline of its own; a leave (2.02) makes a rekey due when the group
 * rekeys on leave. The timer is brought forward to the earliest of those.
 * gkd_kdc_next_deadline() is not asked here: it scans every member, and
 * this runs for every Join.
 */
static void kdc_timer_after(struct gkd_server *srv, const struct gkd_kdc_req *kreq, int code)
{
	const struct gkd_group_conf *g = gkd_conf_group(srv->ctx->cfg, kreq->route.group);
	int64_t ms = -1;

	if (!g || (code != GKD_CREATED && code != GKD_DELETED))
		return;
	if (code == GKD_DELETED ? g->rekey_on_leave : g->rekey_on_join)
		ms = GKD_KDC_COALESCE_MS;
	if (code == GKD_CREATED && kreq->tok->claims.has_exp) {
		int64_t left = kreq->tok->claims.exp * 1000 - gkd_srv_wall_ms();

		if (ms < 0 || left < ms)
			ms = left > 0 ? left : 1;
	}
	if (ms >= 0 && srv->kdc_due_ms > mono_ms() + ms)
		kdc_timer_arm(srv, ms);
}

/* --- resources ------------------------------------------------------------- */

static void h_kdc(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
		  const coap_string_t *query, coap_pdu_t *resp);

static int add_kdc_resource(struct gkd_server *srv, const char *path, bool observable)
{
	coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < GK_ARRAY_SIZE(all_methods); i++)
		coap_register_handler(r, all_methods[i], h_kdc);
	coap_resource_set_get_observable(r, observable);
	coap_add_resource(srv->coap, r);
	return 0;
}

/* --- KDC events -------------------------------------------------------------- */

static void group_rekeyed(void *arg, const char *group, uint32_t num)
{
	struct gkd_ctx *ctx = arg;

	gkd_dpsync_rekeyed(ctx, group, num); /* in the maps before any member learns the key */
	if (ctx->server)
		gkd_srv_obs_rekeyed(ctx->server, group);
}

static void member_removed(void *arg, const char *group, const char *node, int reason)
{
	struct gkd_ctx *ctx = arg;

	if (ctx->server)
		gkd_srv_obs_removed(ctx->server, group, node, reason);
}

void gkd_server_kdc_events(struct gkd_ctx *ctx, struct gkd_kdc_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->arg = ctx;
	ev->group_rekeyed = group_rekeyed;
	ev->member_removed = member_removed;
}

/* --- the request handler --------------------------------------------------------- */

static void add_location(coap_pdu_t *resp, const char *location)
{
	const char *p = location;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		coap_add_option(resp, COAP_OPTION_LOCATION_PATH, n, (const uint8_t *)p);
		p += n + (slash ? 1 : 0);
	}
}

/* 0 with *tok (wipe it), or the refusal's code. */
static int access_code(struct gkd_server *srv, const struct gkd_sess *s, bool dtls,
		       const struct gkd_kdc_route *route, int64_t now_ms, struct gkd_token *tok)
{
	int ret;

	if (!dtls || !s || s->peer.type != GKD_PEER_TOKEN)
		return GKD_UNAUTHORIZED;
	memset(tok, 0, sizeof(*tok));
	ret = gkd_authz_check(&srv->ctx->authz, &s->peer,
			      route->res == GKD_RES_ROOT ? NULL : route->group, now_ms / 1000, tok);
	if (!ret)
		return 0;
	if (ret < 0)
		pr_err("kdc: access check: %s", gk_strerror(ret));
	gkd_token_wipe(tok);
	return ret < 0 ? GKD_INTERNAL_ERROR : ret;
}

void gkd_srv_kdc_get(struct gkd_server *srv, struct gkd_sess *sess,
		     const struct gkd_kdc_route *route, int64_t now_ms, struct gkd_reply *rep)
{
	struct gkd_kdc_req kreq = {
		.method = GKD_GET, .content_format = GKD_CF_NONE, .now_ms = now_ms, .route = *route
	};
	struct gkd_token tok;
	int code = access_code(srv, sess, true, route, now_ms, &tok), err;

	if (code) {
		gkd_reply_status(rep, code);
		return;
	}
	kreq.tok = &tok;
	err = gkd_kdc_handle(srv->ctx->kdc, &kreq, rep);
	if (err)
		pr_err("kdc: %s: %s", route->group, gk_strerror(err));
	gkd_token_wipe(&tok);
}

static void kdc_call(struct gkd_server *srv, coap_resource_t *res, coap_session_t *session,
		     const coap_pdu_t *req, const coap_string_t *query, coap_pdu_t *resp,
		     struct gkd_kdc_req *kreq)
{
	struct gkd_reply rep;
	struct gkd_body body;
	int err;

	if (!gkd_srv_request_body(srv, res, session, req, resp, &body))
		return;
	kreq->content_format = gkd_srv_content_format(req);
	kreq->payload = body.p;
	kreq->len = body.len;
	kreq->now_ms = gkd_srv_wall_ms();
	gkd_reply_init(&rep);
	err = gkd_kdc_handle(srv->ctx->kdc, kreq, &rep);
	if (err)
		pr_err("kdc: %s: %s", kreq->route.group[0] ? kreq->route.group : "/ace-group",
		       gk_strerror(err));
	if ((rep.code == GKD_CREATED || rep.code == GKD_CHANGED) && rep.location[0])
		add_location(resp, rep.location);
	/* libcoap registered (or cancelled) an observer of /ace-group/G; node observers are ours. */
	if ((kreq->route.res == GKD_RES_GROUP || kreq->route.res == GKD_RES_NODE) &&
	    kreq->method == GKD_GET)
		gkd_srv_obs_request(srv, coap_session_get_app_data(session), &kreq->route, req,
				    rep.code, res == srv->unknown ? resp : NULL);
	kdc_timer_after(srv, kreq, rep.code);
	gkd_srv_send_reply(res, session, req, query, resp, &rep);
	gkd_reply_free(&rep);
	gkd_srv_body_done(&body);
}

static void h_kdc(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
		  const coap_string_t *query, coap_pdu_t *resp)
{
	struct gkd_server *srv = gkd_srv_of(session);
	struct gkd_kdc_req kreq = { 0 };
	coap_string_t *path = coap_get_uri_path(req);
	struct gkd_token tok;
	int ret;

	ret = path ? gkd_kdc_route((const char *)path->s, path->length, &kreq.route) : -ENOENT;
	coap_delete_string(path);
	if (ret) {
		gkd_srv_status(resp, GKD_NOT_FOUND);
		return;
	}
	kreq.method = (enum gkd_method)coap_pdu_get_code(req);
	ret = access_code(srv, coap_session_get_app_data(session), gkd_srv_is_dtls(session),
			  &kreq.route, gkd_srv_wall_ms(), &tok);
	if (ret) {
		gkd_srv_status(resp, ret);
		return;
	}
	kreq.tok = &tok;
	kdc_call(srv, res, session, req, query, resp, &kreq);
	gkd_token_wipe(&tok);
}

/* --- /.well-known/core ------------------------------------------------------------ */

struct link {
	char href[GKD_LOCATION_MAX];
	const char *rt, *ifs, *ct; /* attribute values, NULL when absent */
	bool obs;
};

struct links_out {
	char *buf;
	size_t len, cap;
	const char *key, *val; /* the query filter, key NULL for none */
	size_t val_len;
	bool prefix;
};

static bool value_match(const struct links_out *o, const char *v, size_t n)
{
	return o->prefix ? n >= o->val_len && !memcmp(v, o->val, o->val_len) :
			   n == o->val_len && !memcmp(v, o->val, n);
}

/* A relation-type-like attribute matches when one of its space-separated values does. */
static bool attr_match(const struct links_out *o, const char *attr)
{
	while (attr && *attr) {
		size_t n = strcspn(attr, " ");

		if (value_match(o, attr, n))
			return true;
		attr += n + (attr[n] == ' ');
	}
	return false;
}

static bool link_selected(const struct links_out *o, const struct link *l)
{
	if (!o->key)
		return true;
	if (!strcmp(o->key, "href"))
		return value_match(o, l->href, strlen(l->href));
	if (!strcmp(o->key, "rt"))
		return attr_match(o, l->rt);
	if (!strcmp(o->key, "if"))
		return attr_match(o, l->ifs);
	if (!strcmp(o->key, "ct"))
		return attr_match(o, l->ct);
	return false;
}

static int links_add(struct links_out *o, const struct link *l)
{
	char one[GKD_LOCATION_MAX + 128];
	int n;

	if (!link_selected(o, l))
		return 0;
	n = snprintf(one, sizeof(one), "%s</%s>%s%s%s%s%s%s%s%s%s%s", o->len ? "," : "", l->href,
		     l->rt ? ";rt=\"" : "", l->rt ? l->rt : "", l->rt ? "\"" : "",
		     l->ifs ? ";if=\"" : "", l->ifs ? l->ifs : "", l->ifs ? "\"" : "",
		     l->ct ? (strchr(l->ct, ' ') ? ";ct=\"" : ";ct=") : "", l->ct ? l->ct : "",
		     l->ct && strchr(l->ct, ' ') ? "\"" : "", l->obs ? ";obs" : "");
	if (n < 0 || (size_t)n >= sizeof(one) || o->len + (size_t)n > LINKS_MAX)
		return -ENOSPC;
	if (o->len + (size_t)n > o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 1024;
		char *p;

		while (cap < o->len + (size_t)n)
			cap *= 2;
		p = realloc(o->buf, cap);
		if (!p)
			return -ENOMEM;
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, one, (size_t)n);
	o->len += (size_t)n;
	return 0;
}

static int links_groups(struct links_out *o, const struct gkd_config *cfg)
{
	int err = 0;

	for (size_t i = 0; !err && i < cfg->n_groups; i++) {
		struct link l = {
			.rt = "groupkeyd.gm", .ifs = "ace.group", .ct = "261", .obs = true
		};

		snprintf(l.href, sizeof(l.href), "ace-group/%s", cfg->groups[i].name);
		err = links_add(o, &l);
		for (size_t k = 0; !err && k < GK_ARRAY_SIZE(group_leaves); k++) {
			struct link leaf = { .ct = "261" };

			snprintf(leaf.href, sizeof(leaf.href), "ace-group/%s/%s",
				 cfg->groups[i].name, group_leaves[k]);
			err = links_add(o, &leaf);
		}
	}
	return err;
}

static int links_build(struct links_out *o, const struct gkd_config *cfg, bool dtls)
{
	struct link authz = { .href = "authz-info", .ct = "61 19" };
	struct link token = { .href = "token", .ct = "19" };
	struct link root = { .href = "ace-group", .ifs = "ace.groups", .ct = "261" };
	int err = links_add(o, &authz);

	if (!err && cfg->as_enabled)
		err = links_add(o, &token);
	if (!err)
		err = links_add(o, &root);
	if (!err && dtls)
		err = links_groups(o, cfg);
	return err;
}

/* "key=value" of the query; false for none or an unusable one. */
static bool links_filter(const coap_string_t *query, char *key, size_t key_cap, struct links_out *o)
{
	const char *q = query ? (const char *)query->s : NULL;
	size_t n = query ? query->length : 0;
	const char *eq = q ? memchr(q, '=', n) : NULL;

	if (!eq || (size_t)(eq - q) >= key_cap)
		return false;
	memcpy(key, q, (size_t)(eq - q));
	key[eq - q] = '\0';
	o->key = key;
	o->val = eq + 1;
	o->val_len = n - (size_t)(eq - q) - 1;
	/* Our hrefs are kept without their leading '/'. */
	if (!strcmp(key, "href") && o->val_len && o->val[0] == '/') {
		o->val++;
		o->val_len--;
	}
	if (o->val_len && o->val[o->val_len - 1] == '*') {
		o->prefix = true;
		o->val_len--;
	}
	return true;
}

static void release_links(coap_session_t *session, void *app_ptr)
{
	free(app_ptr);
}

static void h_well_known(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
			 const coap_string_t *query, coap_pdu_t *resp)
{
	struct gkd_server *srv = gkd_srv_of(session);
	struct links_out o = { 0 };
	char key[8];
	int err;

	if (query && query->length && !links_filter(query, key, sizeof(key), &o)) {
		gkd_srv_status(resp, GKD_BAD_REQUEST);
		return;
	}
	err = links_build(&o, srv->ctx->cfg, gkd_srv_is_dtls(session));
	if (err) {
		free(o.buf);
		pr_err("/.well-known/core: %s", strerror(-err));
		gkd_srv_status(resp, GKD_INTERNAL_ERROR);
		return;
	}
	gkd_srv_status(resp, GKD_CONTENT);
	if (!o.len) {
		/* Nothing matched: 2.05 without payload (RFC 6690 §4.1 allows 4.04 too). */
		free(o.buf);
		return;
	}
	coap_add_data_large_response(res, session, req, resp, query, CF_LINK_FORMAT, -1, 0, o.len,
				     (const uint8_t *)o.buf, release_links, o.buf);
}

/* --- set-up ---------------------------------------------------------------------- */

static int add_static(struct gkd_server *srv)
{
	const struct gkd_config *cfg = srv->ctx->cfg;
	coap_resource_t *r;
	int err = add_kdc_resource(srv, "ace-group", false);

	for (size_t i = 0; !err && i < cfg->n_groups; i++) {
		char path[GKD_LOCATION_MAX];

		snprintf(path, sizeof(path), "ace-group/%s", cfg->groups[i].name);
		err = add_kdc_resource(srv, path, true);
		for (size_t k = 0; !err && k < GK_ARRAY_SIZE(group_leaves); k++) {
			snprintf(path, sizeof(path), "ace-group/%s/%s", cfg->groups[i].name,
				 group_leaves[k]);
			err = add_kdc_resource(srv, path, false);
		}
	}
	if (err)
		return err;
	r = coap_resource_unknown_init(h_kdc);
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < GK_ARRAY_SIZE(all_methods); i++)
		coap_register_handler(r, all_methods[i], h_kdc);
	coap_add_resource(srv->coap, r);
	srv->unknown = r;
	r = coap_resource_init(coap_make_str_const(".well-known/core"), 0);
	if (!r)
		return -ENOMEM;
	coap_register_handler(r, COAP_REQUEST_GET, h_well_known);
	coap_add_resource(srv->coap, r);
	return 0;
}

int gkd_srv_kdc_start(struct gkd_server *srv)
{
	int err;

	if (!srv->ctx->kdc)
		return -EINVAL;
	err = add_static(srv);
	if (err) {
		pr_err("kdc: resources: %s", gk_strerror(err));
		return err;
	}
	/* The first tick at once: evictions and rekeys that came due while we were down. */
	return gkd_timer_new(srv->ctx->loop, 1, 0, kdc_timer_cb, srv, &srv->kdc_timer);
}

void gkd_srv_kdc_stop(struct gkd_server *srv)
{
	gkd_srv_obs_free(srv);
	gkd_timer_free(srv->kdc_timer);
	srv->kdc_timer = NULL;
}
