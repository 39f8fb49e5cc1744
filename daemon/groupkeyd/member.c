// SPDX-License-Identifier: BSD-3-Clause
/* Member mode: token from the AS, Token Transfer, Join with PoP, Observe, renewal (one worker). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "member_int.h"
#include "groupkey/cbor.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"

#define MW_TIMEOUT_MS 5000
#define MW_TICK_MS 1000
#define MW_CHECK_S 15		    /* liveness probe of the KDC session */
#define MW_OBSERVE_MS 3600000u	    /* an observation is renewed this often at the latest */
#define MW_DEFAULT_LIFETIME 3600    /* when the AS does not say expires_in */
#define MW_BACKOFF_MAX_S 30
#define MW_DP_WAIT_S 30		    /* for the daemon to pin the maps */

/* Reasons a session ends other than errors (positive, so never an errno). */
enum { MW_STOP = 1, MW_RENEW = 2 };

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static bool stop_pending(const struct gkd_mw *w)
{
	sigset_t p;

	if (sigpending(&p))
		return false;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&w->stop_set, s) == 1 && sigismember(&p, s) == 1)
			return true;
	return false;
}

/* Sleep up to s seconds; true when a stop signal came. */
static bool stop_wait(const struct gkd_mw *w, unsigned s)
{
	struct timespec ts = { .tv_sec = s };

	return sigtimedwait(&w->stop_set, NULL, &ts) > 0;
}

static void log_refusal(const struct gkd_mw *w, const char *what, int code, const uint8_t *p,
			size_t n)
{
	struct gk_gc_problem pd;
	char c[16];

	gk_coap_code_str(code, c, sizeof(c));
	if (p && !gk_gc_problem_parse(p, n, &pd))
		pr_err("member %s: %s: %s %s%s%s (error %d)", w->mc->name, what, c, pd.title,
		       pd.detail[0] ? ": " : "", pd.detail, pd.error_id);
	else
		pr_err("member %s: %s: %s", w->mc->name, what, c);
}

/* --- the access token --------------------------------------------------------------- */

static void token_set_times(struct gkd_mw *w, int64_t exp, int64_t life)
{
	int64_t margin = life / 5;

	/* Renew with a fifth of the lifetime left: at most 5 minutes, at least 1 s before exp. */
	margin = margin < 1 ? 1 : margin > 300 ? 300 : margin;
	w->tok_exp = exp;
	w->tok_renew = exp - margin;
}

static int token_fetch(struct gkd_mw *w)
{
	struct gk_scope scope = { .n = 1 };
	struct gk_coap_response r = { 0 };
	int64_t life;
	int err;

	snprintf(scope.e[0].group, sizeof(scope.e[0].group), "%s", w->mc->group);
	scope.e[0].roles = w->mc->roles;
	gk_wipe(&w->tok, sizeof(w->tok));
	w->has_tok = false;
	err = gk_ace_token_fetch(w->mc->as_uri, w->mc->client_id, w->mc->psk, w->mc->psk_len,
				 &scope, w->mc->audience, MW_TIMEOUT_MS, &w->tok, &r);
	if (err == -EACCES) {
		log_refusal(w, "AS refused the token request", r.code, r.payload, r.payload_len);
		gk_coap_response_free(&r);
		return err;
	}
	if (err) {
		pr_err("member %s: token request to %s: %s", w->mc->name, w->mc->as_uri,
		       gk_strerror(err));
		return err;
	}
	life = w->tok.expires_in ? (int64_t)w->tok.expires_in : MW_DEFAULT_LIFETIME;
	token_set_times(w, now_s() + life, life);
	w->has_tok = true;
	pr_info("member %s: token from %s (expires in %" PRId64 " s)", w->mc->name,
		w->mc->as_uri, life);
	err = gkd_mstore_token_put(w->st, &w->tok, w->tok_exp);
	return err;
}

static int token_post(struct gkd_mw *w)
{
	struct gk_coap_response r = { 0 };
	char uri[GKD_MEMBER_URI_MAX];
	int err = 0;

	if (w->mc->authz_info[0])
		snprintf(uri, sizeof(uri), "%s", w->mc->authz_info);
	else
		err = gk_ace_default_authz_uri(w->mc->kdc, uri, sizeof(uri));
	if (!err)
		err = gk_ace_token_post(uri, w->tok.token, w->tok.token_len, MW_TIMEOUT_MS, w->ns,
					sizeof(w->ns), &w->ns_len, &r);
	if (err == -EACCES) {
		log_refusal(w, "KDC refused the token", r.code, r.payload, r.payload_len);
		gk_coap_response_free(&r);
	} else if (err) {
		pr_err("member %s: token transfer to %s: %s", w->mc->name, uri, gk_strerror(err));
	}
	return err;
}

/* A token that is still good (the kept one, or a new one), posted for a fresh N_S. */
static int token_ready(struct gkd_mw *w)
{
	int err;

	if (!w->has_tok || now_s() >= w->tok_renew) {
		err = token_fetch(w);
		if (err)
			return err;
	}
	err = token_post(w);
	if (err == -EACCES) {
		/* The KDC does not take the kept token any more (revoked, forgotten): a new one. */
		err = token_fetch(w);
		if (!err)
			err = token_post(w);
	}
	return err;
}

/* --- the session with the KDC ---------------------------------------------------------- */

static int connect_kdc(struct gkd_mw *w, struct gk_coap_conn **out)
{
	struct gk_coap_conn_cfg c = { .uri = w->mc->kdc, .timeout_ms = MW_TIMEOUT_MS };
	uint8_t *id = NULL;
	size_t id_len = 0;
	int err;

	err = gk_ace_kid_identity_buf(&w->tok.pop, &id, &id_len);
	if (err)
		return err;
	c.psk_identity = id;
	c.psk_identity_len = id_len;
	c.psk_key = w->tok.pop.k;
	c.psk_key_len = w->tok.pop.k_len;
	err = gk_coap_conn_open(&c, out);
	free(id);
	if (err)
		pr_err("member %s: %s: %s", w->mc->name, w->mc->kdc, gk_strerror(err));
	return err;
}

static int join_apply(struct gkd_mw *w, const struct gk_coap_msg *m, const uint8_t *nc)
{
	struct gk_gc_member *mf = calloc(1, sizeof(*mf));
	struct gk_gc_keying k = { 0 };
	int err;

	if (!mf)
		return -ENOMEM;
	err = gk_gc_join_result(m, w->mc->group, nc, &k, mf);
	if (err) {
		pr_err("member %s: Join Response: %s", w->mc->name, gk_strerror(err));
		goto out;
	}
	snprintf(w->node, sizeof(w->node), "%s", mf->node);
	w->sender_id = mf->sender_id;
	pr_info("member %s: joined %s at %s as node %s (%s), sender id %u, key %u",
		w->mc->name, w->mc->group, w->mc->kdc, w->node,
		m->code == 201 ? "new member" : "re-join", w->sender_id, k.num);
	err = gkd_mw_dp_apply(w, &k);
	if (err)
		pr_err("member %s: data plane: %s", w->mc->name, gk_strerror(err));
out:
	gk_wipe(&k, sizeof(k));
	gk_wipe(mf, sizeof(*mf));
	free(mf);
	return err;
}

static int join(struct gkd_mw *w, struct gk_coap_conn *c)
{
	struct gk_gc_join_params p = { .group = w->mc->group,
				       .roles = w->mc->roles,
				       .ccs = w->ccs.buf,
				       .ccs_len = w->ccs.len,
				       .d = w->d };
	uint8_t nc[GK_GC_NONCE_LEN];
	struct gk_coap_msg m = { 0 };
	int err;

	err = gk_gc_join_exchange(c, w->rng, &p, w->ns, sizeof(w->ns), &w->ns_len, nc, &m);
	if (err) {
		pr_err("member %s: Join: %s", w->mc->name, gk_strerror(err));
		return err;
	}
	if (m.code == 201 || m.code == 204) {
		err = join_apply(w, &m, nc);
	} else {
		log_refusal(w, "Join refused", m.code, m.payload, m.payload_len);
		/* Not a member (any more): what this host still holds must stop working now. */
		gkd_mw_dp_forget(w);
		err = -EACCES;
	}
	gk_coap_msg_free(&m);
	return err;
}

static int keys_from(struct gkd_mw *w, const struct gk_coap_msg *m)
{
	struct gk_gc_keying k = { 0 };
	int err = gk_gc_keying_parse(m->payload, m->payload_len, &k);

	if (err)
		pr_err("member %s: keying material: %s", w->mc->name, gk_strerror(err));
	else if (k.num != w->num)
		err = gkd_mw_dp_apply(w, &k);
	gk_wipe(&k, sizeof(k));
	return err;
}

/* Observe: every notification carries the whole keying material (RFC 9594 §4.3.2). */
static int on_keys(void *arg, const struct gk_coap_msg *m)
{
	struct gkd_mw *w = arg;

	if (m->code != 205) {
		log_refusal(w, "observation ended", m->code, m->payload, m->payload_len);
		/*
		 * Not a member any more: 4.04 with error 5 when the KDC removed us
		 * (RFC 9594 §6.1), 4.03 with error 0 when our node was deleted.
		 */
		if (m->code == 404 || m->code == 403)
			gkd_mw_dp_forget(w);
		return -ENOTCONN;
	}
	return keys_from(w, m) ? -EPROTO : 0;
}

/* GET num (liveness and a missed notification), then the material when num moved. */
static int probe(struct gkd_mw *w)
{
	char path[GK_GROUP_NAME_MAX + 16];
	struct gk_coap_msg m = { 0 };
	cbor_item_t *it = NULL;
	uint64_t num = 0;
	int err;

	snprintf(path, sizeof(path), "ace-group/%s/num", w->mc->group);
	err = gk_coap_conn_request(w->conn, GK_COAP_GET, path, GK_COAP_NO_FORMAT, NULL, 0, &m);
	if (!err && m.code != 205)
		err = -ENOTCONN;
	if (!err && (gk_cbor_decode(m.payload, m.payload_len, NULL, &it) ||
		     gk_cbor_get_uint(it, &num)))
		err = -EPROTO;
	if (it)
		cbor_decref(&it);
	gk_coap_msg_free(&m);
	if (err || num == w->num)
		return err;
	pr_info("member %s: key %" PRIu64 " missed, fetching it", w->mc->name, num);
	snprintf(path, sizeof(path), "ace-group/%s", w->mc->group);
	err = gk_coap_conn_request(w->conn, GK_COAP_GET, path, GK_COAP_NO_FORMAT, NULL, 0, &m);
	if (!err)
		err = m.code == 205 ? keys_from(w, &m) : -ENOTCONN;
	gk_coap_msg_free(&m);
	return err;
}

static int on_tick(void *arg)
{
	struct gkd_mw *w = arg;
	int64_t now = now_s();
	int err;

	if (stop_pending(w))
		return MW_STOP;
	err = gkd_mw_dp_tick(w, now);
	if (err)
		pr_err("member %s: data plane: %s", w->mc->name, gk_strerror(err));
	if (now >= w->tok_renew)
		return MW_RENEW;
	if (now < w->next_check)
		return 0;
	w->next_check = now + MW_CHECK_S;
	err = probe(w);
	if (err)
		pr_warn("member %s: KDC session: %s", w->mc->name, gk_strerror(err));
	return err;
}

static int leave(struct gkd_mw *w, struct gk_coap_conn *c, const char *node)
{
	char path[GK_GROUP_NAME_MAX + GK_GC_NODE_MAX + 24];
	struct gk_coap_msg m = { 0 };
	int err;

	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", w->mc->group, node);
	err = gk_coap_conn_request(c, GK_COAP_DELETE, path, GK_COAP_NO_FORMAT, NULL, 0, &m);
	if (!err && m.code != 202)
		err = -EPROTO;
	gk_coap_msg_free(&m);
	if (err)
		pr_warn("member %s: leaving as node %s: %s", w->mc->name, node, gk_strerror(err));
	return err;
}

/* A new token, a new session and Join under it, then the old node leaves. */
static int renew(struct gkd_mw *w)
{
	struct gk_coap_conn *old = w->conn, *c = NULL;
	char old_node[sizeof(w->node)];
	int err;

	snprintf(old_node, sizeof(old_node), "%s", w->node);
	err = token_fetch(w);
	if (!err)
		err = token_post(w);
	if (!err)
		err = connect_kdc(w, &c);
	if (!err)
		err = join(w, c);
	if (err) {
		gk_coap_conn_close(c);
		return err;
	}
	w->conn = c;
	if (strcmp(old_node, w->node))
		leave(w, old, old_node);
	gk_coap_conn_close(old);
	pr_info("member %s: token renewed", w->mc->name);
	return 0;
}

static int session(struct gkd_mw *w)
{
	char path[GK_GROUP_NAME_MAX + 16];
	int err;

	err = token_ready(w);
	if (!err)
		err = connect_kdc(w, &w->conn);
	if (!err)
		err = join(w, w->conn);
	snprintf(path, sizeof(path), "ace-group/%s", w->mc->group);
	w->next_check = now_s() + MW_CHECK_S;
	while (!err) {
		err = gk_coap_conn_observe_tick(w->conn, path, MW_OBSERVE_MS, on_keys, on_tick,
						MW_TICK_MS, w);
		if (err == MW_RENEW)
			err = renew(w);
	}
	gk_coap_conn_close(w->conn);
	w->conn = NULL;
	return err;
}

/* --- the worker --------------------------------------------------------------------- */

static int dp_open(struct gkd_mw *w)
{
	struct gk_dp_opts o = { .pin_dir = w->cfg->dp_pin_dir, .maps_only = true };
	int err;

	/* The daemon pins the maps before it starts us; a restart may race with that. */
	for (int i = 0; i < MW_DP_WAIT_S; i++) {
		err = gk_dp_open(&w->dp, &o);
		if (err != -ENOENT || stop_wait(w, 1))
			break;
	}
	if (err)
		pr_err("member %s: data plane in %s: %s", w->mc->name, w->cfg->dp_pin_dir,
		       gk_strerror(err));
	return err;
}

static int credential_make(struct gkd_mw *w)
{
	uint8_t x[32], y[32];
	int err = gk_p256_keygen(w->rng, w->d, x, y);

	if (!err)
		err = gk_gc_ccs_encode(&w->ccs, x, y);
	return err;
}

static int worker_open(struct gkd_mw *w)
{
	struct gk_dp_group_key a = gkd_member_addr(w->mc, w->mc->port);
	int64_t exp;
	int err;

	err = gk_dp_group_addr_str(&a, w->addr_key, sizeof(w->addr_key));
	if (!err)
		err = gk_rng_new(&w->rng);
	if (!err)
		err = credential_make(w);
	if (!err)
		err = gkd_mstore_open(w->cfg->state_dir, w->mc->name, &w->st);
	if (!err)
		err = dp_open(w);
	if (!err)
		err = gkd_mw_dp_seq_init(w);
	if (err)
		return err;
	if (!gkd_mstore_token_get(w->st, &w->tok, &exp) && exp > now_s()) {
		w->has_tok = true;
		token_set_times(w, exp, exp - now_s());
	}
	return 0;
}

static void worker_close(struct gkd_mw *w)
{
	gk_coap_conn_close(w->conn);
	if (w->dp)
		gk_dp_close(w->dp, true);
	gkd_mstore_close(w->st);
	gk_rng_free(w->rng);
	gk_enc_free(&w->ccs);
	gk_wipe(w, sizeof(*w));
}

static void run(struct gkd_mw *w)
{
	unsigned backoff = 1;

	for (;;) {
		int64_t start = now_s();
		int err = session(w);

		if (err == MW_STOP || stop_pending(w))
			return;
		if (now_s() - start > 2 * MW_BACKOFF_MAX_S)
			backoff = 1;
		pr_warn("member %s: session with %s ended (%s); again in %u s", w->mc->name,
			w->mc->kdc, gk_strerror(err), backoff);
		if (stop_wait(w, backoff))
			return;
		backoff = backoff * 2 > MW_BACKOFF_MAX_S ? MW_BACKOFF_MAX_S : backoff * 2;
	}
}

int gkd_member_main(const struct gkd_config *cfg, const char *name)
{
	struct gkd_mw *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return 1;
	w->cfg = cfg;
	w->mc = gkd_conf_member(cfg, name);
	if (!w->mc) {
		pr_err("no [member %s] in %s", name, cfg->path);
		free(w);
		return 2;
	}
	w->gid = GKD_MEMBER_GROUP_ID_BASE + (uint32_t)(w->mc - cfg->members);
	gk_enc_init(&w->ccs);
	sigemptyset(&w->stop_set);
	sigaddset(&w->stop_set, SIGTERM);
	sigaddset(&w->stop_set, SIGINT);
	sigprocmask(SIG_BLOCK, &w->stop_set, NULL);
	err = worker_open(w);
	if (!err) {
		pr_info("member %s: group %s at %s (data-plane group id %u)", name, w->mc->group,
			w->mc->kdc, w->gid);
		run(w);
		pr_info("member %s: stopping (keys stay in the maps until they expire)", name);
	}
	worker_close(w);
	free(w);
	return err ? 1 : 0;
}
