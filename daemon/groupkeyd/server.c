// SPDX-License-Identifier: BSD-3-Clause
/* The CoAP side of groupkeyd on libcoap: endpoints, DTLS-PSK identities, resources, replies. */

/*
 * Choices made here:
 *
 * - One libcoap context; its epoll fd (which also carries libcoap's own
 *   timerfd) sits in the daemon's loop, and its events go to
 *   coap_io_do_epoll() (see coap_fd_cb()).
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
 * - The KDC's resources (/ace-group and below, /.well-known/core) live in
 *   server_kdc.c; this file keeps what every resource shares.
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
#include "server_int.h"
#include "groupkey/crypto.h"
#include "groupkey/log.h"

#define RATELIMIT_SLOTS 4096
#define COAP_FD_EVENTS 32
/* Handshakes libcoap lets run at once (its default is 100): a burst of joins exceeds that. */
#define MAX_HANDSHAKES 1024

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

int64_t gkd_srv_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct gkd_server *gkd_srv_of(const coap_session_t *session)
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

bool gkd_srv_is_dtls(const coap_session_t *session)
{
	return coap_session_get_proto(session) == COAP_PROTO_DTLS;
}

const char *gkd_srv_peer_str(const coap_session_t *session, char *buf, size_t len)
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
			gkd_srv_peer_str(session, addr, sizeof(addr)), identity->length,
			err == -ENOENT ? "unknown or invalid" : strerror(-err));
		sess_clear_peer(s);
		return NULL;
	}
	s->psk.s = s->peer.psk;
	s->psk.length = s->peer.psk_len;
	pr_debug("DTLS: %s: identity resolved to %s", gkd_srv_peer_str(session, addr, sizeof(addr)),
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
		gkd_srv_obs_session_gone(gkd_srv_of(session), s);
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

/* A notification of ours was reset or never acknowledged. */
static void nack_cb(coap_session_t *session, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	if (reason == COAP_NACK_RST || reason == COAP_NACK_TOO_MANY_RETRIES)
		gkd_srv_obs_nack(gkd_srv_of(session), session, sent);
}

/* Replies */

int gkd_srv_content_format(const coap_pdu_t *pdu)
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

void gkd_srv_send_reply(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
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

void gkd_srv_status(coap_pdu_t *resp, int code)
{
	set_code(resp, code);
}

/* Request bodies (Block1 reassembly, see the top of the file) */

static void too_large(struct gkd_server *srv, coap_pdu_t *resp)
{
	uint8_t buf[4];
	unsigned max = (unsigned)srv->ctx->cfg->max_payload;

	coap_add_option(resp, COAP_OPTION_SIZE1, coap_encode_var_safe(buf, sizeof(buf), max), buf);
	gkd_srv_status(resp, GKD_REQUEST_TOO_LARGE);
}

bool gkd_srv_request_body(struct gkd_server *srv, coap_resource_t *res, coap_session_t *session,
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
		gkd_srv_status(resp, GKD_INTERNAL_ERROR);
		return false;
	}
	if (!off) {
		sess_drop_body(s);
		s->body_res = res;
	} else if (s->body_res != res || off != s->body_len) {
		sess_drop_body(s);
		gkd_srv_status(resp, 408); /* Request Entity Incomplete */
		return false;
	}
	grown = realloc(s->body, off + n ? off + n : 1);
	if (!grown) {
		sess_drop_body(s);
		gkd_srv_status(resp, GKD_INTERNAL_ERROR);
		return false;
	}
	s->body = grown;
	memcpy(s->body + off, p, n);
	s->body_len = off + n;
	if (more) {
		gkd_srv_status(resp, 231); /* Continue; libcoap adds the Block1 option */
		return false;
	}
	body->p = s->body;
	body->len = s->body_len;
	body->sess = s;
	return true;
}

void gkd_srv_body_done(struct gkd_body *body)
{
	if (body->sess)
		sess_drop_body(body->sess);
}

/* Resource handlers */

static void h_token(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
		    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gkd_server *srv = gkd_srv_of(session);
	struct gkd_sess *s = coap_session_get_app_data(session);
	const char *client_id = NULL;
	struct gkd_reply rep;
	struct gkd_body body;
	int err;

	if (!gkd_srv_request_body(srv, res, session, req, resp, &body))
		return;
	if (gkd_srv_is_dtls(session) && s && s->peer.type == GKD_PEER_AS_CLIENT && s->peer.client)
		client_id = s->peer.client->id;
	gkd_reply_init(&rep);
	err = gkd_as_token(&srv->ctx->as, client_id, gkd_srv_content_format(req), body.p, body.len,
			   wall_now(), &rep);
	if (err)
		pr_err("/token: %s", strerror(-err));
	gkd_srv_send_reply(res, session, req, query, resp, &rep);
	gkd_reply_free(&rep);
	gkd_srv_body_done(&body);
}

static void h_authz_info(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
			 const coap_string_t *query, coap_pdu_t *resp)
{
	struct gkd_server *srv = gkd_srv_of(session);
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
			 gkd_srv_peer_str(session, addr, sizeof(addr)));
		coap_add_option(resp, COAP_OPTION_MAXAGE,
				coap_encode_var_safe(buf, sizeof(buf), wait ? wait : 1), buf);
		gkd_srv_status(resp, GKD_TOO_MANY_REQUESTS);
		return;
	}
	if (!gkd_srv_request_body(srv, res, session, req, resp, &body))
		return;
	gkd_reply_init(&rep);
	err = gkd_authz_info(&srv->ctx->authz, gkd_srv_content_format(req), body.p, body.len,
			     wall_now(), &rep);
	if (err)
		pr_err("/authz-info: %s", strerror(-err));
	gkd_srv_send_reply(res, session, req, query, resp, &rep);
	gkd_reply_free(&rep);
	gkd_srv_body_done(&body);
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
	int err = 0;

	if (srv->ctx->cfg->as_enabled)
		err = add_resource(srv->coap, "token", COAP_REQUEST_POST, h_token, token_attrs);
	if (!err)
		err = add_resource(srv->coap, "authz-info", COAP_REQUEST_POST, h_authz_info,
				   authz_attrs);
	if (!err)
		err = gkd_srv_kdc_start(srv);
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

/*
 * libcoap's epoll fd is readable: its sockets or its timerfd. Rather than
 * coap_io_process() (a pass over every session before and after the
 * epoll_wait()), take the events and hand them to coap_io_do_epoll(),
 * which ends with one such pass: with 10,000 observers' sessions that pass
 * is what a datagram costs.
 */
static void coap_fd_cb(void *arg, uint32_t events)
{
	struct gkd_server *srv = arg;
	struct epoll_event ev[COAP_FD_EVENTS];
	int n = epoll_wait(srv->coap_fd, ev, COAP_FD_EVENTS, 0);

	if (n < 0 && errno != EINTR)
		pr_err("libcoap epoll_wait: %s", strerror(errno));
	if (n > 0)
		coap_io_do_epoll(srv->coap, ev, (size_t)n);
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
	coap_context_set_max_handshake_sessions(srv->coap, MAX_HANDSHAKES);
	coap_register_event_handler(srv->coap, event_cb);
	coap_register_nack_handler(srv->coap, nack_cb);
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
	gkd_srv_kdc_stop(srv);
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
	gkd_srv_obs_init(srv);
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
