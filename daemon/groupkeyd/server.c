// SPDX-License-Identifier: BSD-3-Clause
/* The CoAP side of groupkeyd on libcoap: endpoints, DTLS-PSK identities, resources, replies. */

/*
 * Choices made here:
 *
 * - One libcoap context; its epoll fd (which also carries libcoap's own
 *   timerfd) sits in the daemon's loop, and every wake-up runs
 *   coap_io_process(COAP_IO_NO_WAIT).
 * - Resources are shared by both endpoints (libcoap has no per-endpoint
 *   resources), so the transport is checked in the handlers: /token and
 *   /ace-group answer 4.01 unless the request came over DTLS from a peer
 *   of the right kind; /authz-info takes plain CoAP and DTLS alike.
 * - The peer resolved in the PSK callback is kept per libcoap session
 *   (app data), wiped when the DTLS association closes or fails, freed
 *   when libcoap deletes the session; sessions libcoap frees silently at
 *   shutdown are freed from our own list.
 * - Block1 (RFC 7959): libcoap hands each block to the handler; we
 *   reassemble per session up to cfg->max_payload and answer 4.13 with
 *   Size1 = max_payload as soon as a Size1 or the data passes it, so a
 *   peer cannot make us buffer more than that. Responses go out with
 *   coap_add_data_large_response(), which does Block2.
 * - Rate limit: one token per new request body at /authz-info (the first
 *   block, not every block), per source IP; 4.29 with Max-Age = seconds
 *   until a token is back (RFC 8516). authz_rate 0 disables it.
 * - FETCH /ace-group (RFC 9594 §4.2.1): gid is the group name; the answer
 *   lists, in request order, the requested names that are configured
 *   groups and in the token's scope, with guri /ace-group/NAME; no match
 *   gives the zero-length byte string 0x40. A payload in another format
 *   than 261 is 4.15, a malformed or missing one 4.00.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <coap3/coap.h>

#include "ratelimit.h"
#include "server.h"
#include "groupkey/crypto.h"
#include "groupkey/log.h"

#define RATELIMIT_SLOTS 4096
#define GKD_GURI_MAX (sizeof("/ace-group/") + GK_GROUP_NAME_MAX)

/* What we know about one libcoap session. */
struct gkd_sess {
	struct gkd_sess *prev, *next; /* gkd_server.sessions */
	coap_session_t *session;
	struct gkd_peer peer;
	coap_bin_const_t psk; /* points into peer, for libcoap */
	/* Block1 reassembly of one request body */
	const coap_resource_t *body_res;
	uint8_t *body;
	size_t body_len;
};

struct gkd_server {
	struct gkd_ctx *ctx;
	coap_context_t *coap;
	int coap_fd;
	struct gkd_sess sessions; /* list head */
	struct gkd_ratelimit *rl;
};

/* A request body: in the PDU, or reassembled from blocks (then owned). */
struct gkd_body {
	const uint8_t *p;
	size_t len;
	struct gkd_sess *sess; /* non-NULL: the body is sess->body */
};

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct gkd_server *server_of(const coap_session_t *session)
{
	return coap_get_app_data(coap_session_get_context(session));
}

/* Sessions */

static void sess_drop_body(struct gkd_sess *s)
{
	if (s->body) {
		gk_wipe(s->body, s->body_len);
		free(s->body);
	}
	s->body = NULL;
	s->body_len = 0;
	s->body_res = NULL;
}

static void sess_clear_peer(struct gkd_sess *s)
{
	gk_wipe(&s->peer, sizeof(s->peer));
	s->peer.type = GKD_PEER_NONE;
	s->psk.s = NULL;
	s->psk.length = 0;
}

static void sess_free(struct gkd_sess *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
	if (s->session)
		coap_session_set_app_data(s->session, NULL);
	sess_drop_body(s);
	sess_clear_peer(s);
	free(s);
}

static struct gkd_sess *sess_get(struct gkd_server *srv, coap_session_t *session, bool create)
{
	struct gkd_sess *s = coap_session_get_app_data(session);

	if (s || !create)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->session = session;
	s->next = srv->sessions.next;
	s->prev = &srv->sessions;
	s->next->prev = s;
	srv->sessions.next = s;
	coap_session_set_app_data(session, s);
	return s;
}

static bool is_dtls(const coap_session_t *session)
{
	return coap_session_get_proto(session) == COAP_PROTO_DTLS;
}

static const char *peer_str(const coap_session_t *session, char *buf, size_t len)
{
	const coap_address_t *a = coap_session_get_addr_remote(session);

	if (!a || !coap_print_addr(a, (unsigned char *)buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/*
 * libcoap's PSK callback (GnuTLS server): the identity arrives as a
 * C string (libcoap takes its length with strlen()), so a binary identity
 * is cut at its first 0x00; our AS issues kids and tokens without one.
 */
static const coap_bin_const_t *psk_cb(coap_bin_const_t *identity, coap_session_t *session,
				      void *arg)
{
	struct gkd_server *srv = arg;
	struct gkd_sess *s = sess_get(srv, session, true);
	char addr[64];
	int err;

	if (!s)
		return NULL;
	sess_clear_peer(s);
	err = gkd_authz_resolve_identity(&srv->ctx->authz, identity->s, identity->length,
					 wall_now(), &s->peer);
	if (err) {
		pr_info("DTLS: %s: PSK identity of %zu bytes refused (%s)",
			peer_str(session, addr, sizeof(addr)), identity->length,
			err == -ENOENT ? "unknown or invalid" : strerror(-err));
		sess_clear_peer(s);
		return NULL;
	}
	s->psk.s = s->peer.psk;
	s->psk.length = s->peer.psk_len;
	pr_debug("DTLS: %s: identity resolved to %s", peer_str(session, addr, sizeof(addr)),
		 s->peer.type == GKD_PEER_AS_CLIENT ? "an AS client" : "a token");
	return &s->psk;
}

static int event_cb(coap_session_t *session, const coap_event_t event)
{
	struct gkd_sess *s = coap_session_get_app_data(session);

	if (!s)
		return 0;
	switch (event) {
	case COAP_EVENT_SERVER_SESSION_DEL:
		s->session = NULL;
		coap_session_set_app_data(session, NULL);
		sess_free(s);
		break;
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_DTLS_ERROR:
		sess_clear_peer(s);
		sess_drop_body(s);
		break;
	default:
		break;
	}
	return 0;
}

/* Replies */

static int content_format_of(const coap_pdu_t *pdu)
{
	coap_opt_iterator_t it;
	coap_opt_t *o = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);

	return o ? (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o)) : GKD_CF_NONE;
}

static void set_code(coap_pdu_t *resp, int code)
{
	coap_pdu_set_code(resp, (coap_pdu_code_t)COAP_RESPONSE_CODE(code));
}

struct gkd_outbuf {
	uint8_t *p;
	size_t len;
};

/* A /token body carries a PoP key: wipe whatever we handed to libcoap. */
static void release_outbuf(coap_session_t *session, void *app_ptr)
{
	struct gkd_outbuf *b = app_ptr;

	gk_wipe(b->p, b->len);
	free(b->p);
	free(b);
}

static void send_reply(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
		       const coap_string_t *query, coap_pdu_t *resp, struct gkd_reply *rep)
{
	struct gkd_outbuf *b;
	uint8_t buf[4];

	set_code(resp, rep->code ? rep->code : GKD_INTERNAL_ERROR);
	if (rep->content_format == GKD_CF_NONE)
		return;
	b = calloc(1, sizeof(*b));
	if (!b || gk_enc_finish(&rep->body, &b->p, &b->len)) {
		free(b);
		set_code(resp, GKD_INTERNAL_ERROR);
		return;
	}
	if (!b->len) {
		coap_add_option(
			resp, COAP_OPTION_CONTENT_FORMAT,
			coap_encode_var_safe(buf, sizeof(buf), (unsigned)rep->content_format), buf);
		release_outbuf(session, b);
		return;
	}
	/* On failure libcoap sets 5.00 and calls release_outbuf itself. */
	coap_add_data_large_response(res, session, req, resp, query, (uint16_t)rep->content_format,
				     -1, 0, b->len, b->p, release_outbuf, b);
}

static void send_status(coap_pdu_t *resp, int code)
{
	set_code(resp, code);
}

/* Request bodies (Block1 reassembly, see the top of the file) */

static void too_large(struct gkd_server *srv, coap_pdu_t *resp)
{
	uint8_t buf[4];
	unsigned max = (unsigned)srv->ctx->cfg->max_payload;

	coap_add_option(resp, COAP_OPTION_SIZE1, coap_encode_var_safe(buf, sizeof(buf), max), buf);
	send_status(resp, GKD_REQUEST_TOO_LARGE);
}

/*
 * true: *body is the whole request body. false: resp is set (2.31 Continue
 * for a block in the middle, 4.08, 4.13 or 5.00) and the handler is done.
 */
static bool request_body(struct gkd_server *srv, coap_resource_t *res, coap_session_t *session,
			 const coap_pdu_t *req, coap_pdu_t *resp, struct gkd_body *body)
{
	size_t max = srv->ctx->cfg->max_payload, n = 0, off = 0, total = 0;
	const uint8_t *p = NULL;
	struct gkd_sess *s = coap_session_get_app_data(session);
	uint8_t *grown;
	bool more;

	memset(body, 0, sizeof(*body));
	if (!coap_get_data_large(req, &n, &p, &off, &total))
		n = off = total = 0;
	more = total > off + n;
	if (total > max || off + n > max) {
		if (s)
			sess_drop_body(s);
		too_large(srv, resp);
		return false;
	}
	if (!off && !more) {
		body->p = p;
		body->len = n;
		return true;
	}
	s = sess_get(srv, session, true);
	if (!s) {
		send_status(resp, GKD_INTERNAL_ERROR);
		return false;
	}
	if (!off) {
		sess_drop_body(s);
		s->body_res = res;
	} else if (s->body_res != res || off != s->body_len) {
		sess_drop_body(s);
		send_status(resp, 408); /* Request Entity Incomplete */
		return false;
	}
	grown = realloc(s->body, off + n ? off + n : 1);
	if (!grown) {
		sess_drop_body(s);
		send_status(resp, GKD_INTERNAL_ERROR);
		return false;
	}
	s->body = grown;
	memcpy(s->body + off, p, n);
	s->body_len = off + n;
	if (more) {
		send_status(resp, 231); /* Continue; libcoap adds the Block1 option */
		return false;
	}
	body->p = s->body;
	body->len = s->body_len;
	body->sess = s;
	return true;
}

static void body_done(struct gkd_body *body)
{
	if (body->sess)
		sess_drop_body(body->sess);
}

/* Resource handlers */

static void h_token(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
		    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gkd_server *srv = server_of(session);
	struct gkd_sess *s = coap_session_get_app_data(session);
	const char *client_id = NULL;
	struct gkd_reply rep;
	struct gkd_body body;
	int err;

	if (!request_body(srv, res, session, req, resp, &body))
		return;
	if (is_dtls(session) && s && s->peer.type == GKD_PEER_AS_CLIENT && s->peer.client)
		client_id = s->peer.client->id;
	gkd_reply_init(&rep);
	err = gkd_as_token(&srv->ctx->as, client_id, content_format_of(req), body.p, body.len,
			   wall_now(), &rep);
	if (err)
		pr_err("/token: %s", strerror(-err));
	send_reply(res, session, req, query, resp, &rep);
	gkd_reply_free(&rep);
	body_done(&body);
}

static void h_authz_info(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
			 const coap_string_t *query, coap_pdu_t *resp)
{
	struct gkd_server *srv = server_of(session);
	const coap_address_t *from = coap_session_get_addr_remote(session);
	size_t n = 0, off = 0, total = 0;
	const uint8_t *p = NULL;
	struct gkd_reply rep;
	struct gkd_body body;
	uint64_t now = mono_ms();
	char addr[64];
	int err;

	/* One token per request body: count its first block only. */
	coap_get_data_large(req, &n, &p, &off, &total);
	if (!off && from && !gkd_ratelimit_allow(srv->rl, &from->addr.sa, now)) {
		uint8_t buf[4];
		uint32_t wait = gkd_ratelimit_retry_after(srv->rl, &from->addr.sa, now);

		pr_debug("/authz-info: %s over the rate limit",
			 peer_str(session, addr, sizeof(addr)));
		coap_add_option(resp, COAP_OPTION_MAXAGE,
				coap_encode_var_safe(buf, sizeof(buf), wait ? wait : 1), buf);
		send_status(resp, GKD_TOO_MANY_REQUESTS);
		return;
	}
	if (!request_body(srv, res, session, req, resp, &body))
		return;
	gkd_reply_init(&rep);
	err = gkd_authz_info(&srv->ctx->authz, content_format_of(req), body.p, body.len, wall_now(),
			     &rep);
	if (err)
		pr_err("/authz-info: %s", strerror(-err));
	send_reply(res, session, req, query, resp, &rep);
	gkd_reply_free(&rep);
	body_done(&body);
}

/* {0: [gid...], 1: [gname...], 2: [guri...]} for the matches, or h'' when none. */
static int ace_groups_answer(const struct gkd_config *cfg, const struct gk_scope *scope,
			     const cbor_item_t *gids, struct gkd_reply *rep)
{
	const char *match[GKD_MAX_GROUPS];
	size_t n = 0;
	struct gk_enc *e = &rep->body;

	for (size_t i = 0; i < cbor_array_size(gids) && n < GKD_MAX_GROUPS; i++) {
		char name[GK_GROUP_NAME_MAX + 1];
		const char *s;
		size_t len;
		const struct gkd_group_conf *g;

		if (gk_cbor_get_tstr(cbor_array_handle(gids)[i], &s, &len) ||
		    len > GK_GROUP_NAME_MAX)
			continue;
		memcpy(name, s, len);
		name[len] = '\0';
		g = gkd_conf_group(cfg, name);
		if (!g || !gk_scope_find(scope, g->name))
			continue;
		for (size_t k = 0; k < n && g; k++)
			if (match[k] == g->name)
				g = NULL;
		if (g)
			match[n++] = g->name;
	}
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	if (!n)
		return gk_enc_bstr(e, NULL, 0);
	gk_enc_map(e, 3);
	gk_enc_uint(e, 0);
	gk_enc_array(e, n);
	for (size_t k = 0; k < n; k++)
		gk_enc_tstr(e, match[k]);
	gk_enc_uint(e, 1);
	gk_enc_array(e, n);
	for (size_t k = 0; k < n; k++)
		gk_enc_tstr(e, match[k]);
	gk_enc_uint(e, 2);
	gk_enc_array(e, n);
	for (size_t k = 0; k < n; k++) {
		char uri[GKD_GURI_MAX];

		snprintf(uri, sizeof(uri), "/ace-group/%s", match[k]);
		gk_enc_tstr(e, uri);
	}
	return e->err;
}

/* Parse {0: [gid...]} and answer; 4.00 / 4.15 for a bad request. */
static void ace_groups(struct gkd_server *srv, const coap_pdu_t *req, const struct gkd_body *body,
		       const struct gk_scope *scope, struct gkd_reply *rep)
{
	cbor_item_t *it = NULL, *gids;
	int cf = content_format_of(req);

	if (body->len && cf != GKD_CF_ACE_GROUPCOMM) {
		gkd_reply_status(rep, GKD_UNSUPPORTED_FORMAT);
		return;
	}
	if (!body->len || gk_cbor_decode(body->p, body->len, NULL, &it) || !cbor_isa_map(it) ||
	    !(gids = gk_cbor_map_get_int(it, 0)) || !cbor_isa_array(gids)) {
		gkd_reply_problem(rep, GKD_BAD_REQUEST, "Bad Request",
				  "expected {0: [gid...]} (RFC 9594 4.2.1)", -1);
		goto out;
	}
	if (ace_groups_answer(srv->ctx->cfg, scope, gids, rep))
		gkd_reply_status(rep, GKD_INTERNAL_ERROR);
out:
	if (it)
		cbor_decref(&it);
}

static void h_ace_group_fetch(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
			      const coap_string_t *query, coap_pdu_t *resp)
{
	struct gkd_server *srv = server_of(session);
	struct gkd_sess *s = coap_session_get_app_data(session);
	struct gkd_token tok;
	struct gkd_reply rep;
	struct gkd_body body;
	int ret;

	if (!is_dtls(session) || !s || s->peer.type != GKD_PEER_TOKEN) {
		send_status(resp, GKD_UNAUTHORIZED);
		return;
	}
	memset(&tok, 0, sizeof(tok));
	ret = gkd_authz_check(&srv->ctx->authz, &s->peer, NULL, wall_now(), &tok);
	if (ret) {
		if (ret < 0)
			pr_err("/ace-group: %s", strerror(-ret));
		gkd_token_wipe(&tok);
		send_status(resp, ret < 0 ? GKD_INTERNAL_ERROR : ret);
		return;
	}
	if (!request_body(srv, res, session, req, resp, &body)) {
		gkd_token_wipe(&tok);
		return;
	}
	gkd_reply_init(&rep);
	ace_groups(srv, req, &body, &tok.scope, &rep);
	gkd_token_wipe(&tok);
	send_reply(res, session, req, query, resp, &rep);
	gkd_reply_free(&rep);
	body_done(&body);
}

/* Set-up */

static int add_resource(coap_context_t *coap, const char *path, coap_request_t method,
			coap_method_handler_t h, const char *const *attrs)
{
	coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);

	if (!r)
		return -ENOMEM;
	coap_register_handler(r, method, h);
	for (; attrs && attrs[0]; attrs += 2)
		coap_add_attr(r, coap_make_str_const(attrs[0]), coap_make_str_const(attrs[1]), 0);
	coap_add_resource(coap, r);
	return 0;
}

static int add_resources(struct gkd_server *srv)
{
	static const char *const token_attrs[] = { "ct", "19", NULL };
	static const char *const authz_attrs[] = { "ct", "\"61 19\"", NULL };
	static const char *const groups_attrs[] = { "if", "\"ace.groups\"", "ct", "261", NULL };
	int err = 0;

	if (srv->ctx->cfg->as_enabled)
		err = add_resource(srv->coap, "token", COAP_REQUEST_POST, h_token, token_attrs);
	if (!err)
		err = add_resource(srv->coap, "authz-info", COAP_REQUEST_POST, h_authz_info,
				   authz_attrs);
	if (!err)
		err = add_resource(srv->coap, "ace-group", COAP_REQUEST_FETCH, h_ace_group_fetch,
				   groups_attrs);
	return err;
}

static int listen_addr(const char *listen, uint16_t port, coap_address_t *a)
{
	coap_address_init(a);
	if (inet_pton(AF_INET6, listen, &a->addr.sin6.sin6_addr) == 1) {
		a->addr.sin6.sin6_family = AF_INET6;
		a->addr.sin6.sin6_port = htons(port);
		a->size = sizeof(a->addr.sin6);
		return 0;
	}
	if (inet_pton(AF_INET, listen, &a->addr.sin.sin_addr) == 1) {
		a->addr.sin.sin_family = AF_INET;
		a->addr.sin.sin_port = htons(port);
		a->size = sizeof(a->addr.sin);
		return 0;
	}
	return -EINVAL;
}

static int add_endpoint(struct gkd_server *srv, uint16_t port, coap_proto_t proto)
{
	const struct gkd_config *cfg = srv->ctx->cfg;
	coap_address_t a;
	int err = listen_addr(cfg->listen, port, &a);

	if (err)
		return err;
	errno = 0;
	if (!coap_new_endpoint(srv->coap, &a, proto)) {
		err = errno ? -errno : -EIO;
		pr_err("cannot listen on [%s]:%u (%s): %s", cfg->listen, port,
		       proto == COAP_PROTO_DTLS ? "coaps" : "coap", strerror(-err));
		return err;
	}
	return 0;
}

static void coap_fd_cb(void *arg, uint32_t events)
{
	struct gkd_server *srv = arg;

	if (coap_io_process(srv->coap, COAP_IO_NO_WAIT) < 0)
		pr_err("libcoap I/O processing failed");
}

static int setup_psk(struct gkd_server *srv)
{
	coap_dtls_spsk_t spsk = { 0 };

	spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
	spsk.validate_id_call_back = psk_cb;
	spsk.id_call_back_arg = srv;
	return coap_context_set_psk2(srv->coap, &spsk) ? 0 : -EIO;
}

static int setup_coap(struct gkd_server *srv)
{
	const struct gkd_config *cfg = srv->ctx->cfg;
	int err;

	srv->coap = coap_new_context(NULL);
	if (!srv->coap)
		return -ENOMEM;
	coap_set_app_data(srv->coap, srv);
	coap_context_set_block_mode(srv->coap, COAP_BLOCK_USE_LIBCOAP);
	coap_register_event_handler(srv->coap, event_cb);
	err = setup_psk(srv);
	if (!err)
		err = add_resources(srv);
	if (!err)
		err = add_endpoint(srv, cfg->coap_port, COAP_PROTO_UDP);
	if (!err)
		err = add_endpoint(srv, cfg->coaps_port, COAP_PROTO_DTLS);
	if (err)
		return err;
	srv->coap_fd = coap_context_get_coap_fd(srv->coap);
	if (srv->coap_fd < 0) {
		pr_err("libcoap was built without epoll support");
		return -ENOTSUP;
	}
	return 0;
}

static void server_free(struct gkd_server *srv)
{
	if (srv->coap)
		coap_free_context(srv->coap);
	/* Sessions libcoap freed without telling us (context teardown). */
	while (srv->sessions.next != &srv->sessions) {
		srv->sessions.next->session = NULL;
		sess_free(srv->sessions.next);
	}
	gkd_ratelimit_free(srv->rl);
	free(srv);
}

int gkd_server_start(struct gkd_ctx *ctx)
{
	const struct gkd_config *cfg = ctx->cfg;
	struct gkd_server *srv;
	uint64_t seed;
	int err;

	coap_startup();
	if (!coap_dtls_is_supported()) {
		pr_err("libcoap has no DTLS support");
		return -ENOTSUP;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->ctx = ctx;
	srv->coap_fd = -1;
	srv->sessions.next = srv->sessions.prev = &srv->sessions;
	err = gk_random(ctx->rng, &seed, sizeof(seed));
	if (!err)
		err = gkd_ratelimit_new(cfg->authz_rate, cfg->authz_burst ? cfg->authz_burst : 1,
					RATELIMIT_SLOTS, seed, &srv->rl);
	if (!err)
		err = setup_coap(srv);
	if (!err)
		err = gkd_loop_add_fd(ctx->loop, srv->coap_fd, EPOLLIN, coap_fd_cb, srv);
	if (err) {
		server_free(srv);
		return err;
	}
	ctx->server = srv;
	return 0;
}

int gkd_server_process(struct gkd_ctx *ctx)
{
	struct gkd_server *srv = ctx->server;
	coap_tick_t now;
	unsigned next;

	if (!srv)
		return -1;
	if (coap_io_process(srv->coap, COAP_IO_NO_WAIT) < 0)
		pr_err("libcoap I/O processing failed");
	/* Re-arms libcoap's timerfd inside its epoll fd, which our loop watches. */
	coap_ticks(&now);
	next = coap_io_prepare_epoll(srv->coap, now);
	return next ? (int)(next > INT32_MAX ? INT32_MAX : next) : -1;
}

void gkd_server_stop(struct gkd_ctx *ctx)
{
	struct gkd_server *srv = ctx->server;

	if (!srv)
		return;
	if (srv->coap_fd >= 0)
		gkd_loop_del_fd(ctx->loop, srv->coap_fd);
	server_free(srv);
	ctx->server = NULL;
	coap_cleanup();
}
