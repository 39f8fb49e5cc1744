// SPDX-License-Identifier: BSD-3-Clause
/* A CoAP client connection on libcoap: requests over one session, Location-Path, Observe. */

/*
 * One libcoap context and one client session per connection. Responses
 * are matched to the request by token: the pending request's token, or
 * the observation's, whose later responses are notifications. libcoap
 * does Block1/Block2 (COAP_BLOCK_SINGLE_BODY: notifications arrive whole)
 * and acknowledges confirmable notifications when the handler returns.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coap3/coap.h>

#include "coap_opt.h"
#include "groupkey/coap_conn.h"
#include "groupkey/crypto.h"

#define TOKEN_MAX 8

struct gk_coap_conn {
	coap_context_t *ctx;
	coap_session_t *session;
	unsigned timeout_ms;
	/* the request in flight */
	uint8_t token[TOKEN_MAX];
	size_t token_len;
	struct gk_coap_msg *resp;
	bool done;
	int err;
	/* the observation */
	uint8_t obs_token[TOKEN_MAX];
	size_t obs_token_len;
	int (*obs_cb)(void *arg, const struct gk_coap_msg *msg);
	void *obs_arg;
	int obs_ret;
	bool obs_active, obs_ended;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void gk_coap_msg_free(struct gk_coap_msg *m)
{
	if (m->payload) {
		gk_wipe(m->payload, m->payload_len);
		free(m->payload);
	}
	m->payload = NULL;
	m->payload_len = 0;
}

/* --- responses ---------------------------------------------------------------- */

static void location_of(const coap_pdu_t *pdu, char *out, size_t cap)
{
	coap_opt_filter_t f;
	coap_opt_iterator_t it;
	coap_opt_t *o;
	size_t n = 0;

	out[0] = '\0';
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_LOCATION_PATH);
	coap_option_iterator_init(pdu, &it, &f);
	while ((o = coap_option_next(&it))) {
		int w = snprintf(out + n, cap - n, "%s%.*s", n ? "/" : "", (int)coap_opt_length(o),
				 (const char *)coap_opt_value(o));

		if (w < 0 || (size_t)w >= cap - n) {
			out[n] = '\0';
			return;
		}
		n += (size_t)w;
	}
}

static int msg_fill(const coap_pdu_t *pdu, struct gk_coap_msg *m)
{
	const uint8_t *data = NULL;
	size_t len = 0, off = 0, total = 0;
	coap_opt_iterator_t it;
	coap_opt_t *o;
	unsigned c = coap_pdu_get_code(pdu);

	memset(m, 0, sizeof(*m));
	m->code = (int)(c >> 5) * 100 + (int)(c & 0x1f);
	o = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);
	m->content_format = o ? (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o)) :
				GK_COAP_NO_FORMAT;
	o = coap_check_option(pdu, COAP_OPTION_OBSERVE, &it);
	if (o) {
		m->has_observe = true;
		m->observe = coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
	}
	location_of(pdu, m->location, sizeof(m->location));
	if (coap_get_data_large(pdu, &len, &data, &off, &total) && len) {
		m->payload = malloc(len);
		if (!m->payload)
			return -ENOMEM;
		memcpy(m->payload, data, len);
		m->payload_len = len;
	}
	return 0;
}

static bool token_is(const coap_pdu_t *pdu, const uint8_t *t, size_t n)
{
	coap_bin_const_t tok = coap_pdu_get_token(pdu);

	return n && tok.length == n && !memcmp(tok.s, t, n);
}

static void on_notification(struct gk_coap_conn *c, const coap_pdu_t *received)
{
	struct gk_coap_msg m;
	int err = msg_fill(received, &m);

	if (err) {
		c->obs_ret = err;
		c->obs_ended = true;
		return;
	}
	/* A response without Observe means the server is not (or no longer) keeping us. */
	if (!m.has_observe)
		c->obs_ended = true;
	if (!c->obs_ended || !c->obs_ret) {
		int r = c->obs_cb(c->obs_arg, &m);

		if (r) {
			c->obs_ret = r;
			c->obs_ended = true;
		}
	}
	gk_coap_msg_free(&m);
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
				   const coap_pdu_t *received, const coap_mid_t mid)
{
	struct gk_coap_conn *c = coap_get_app_data(coap_session_get_context(session));

	if (c->obs_active && token_is(received, c->obs_token, c->obs_token_len)) {
		if (!c->obs_ended)
			on_notification(c, received);
		if (!c->done && token_is(received, c->token, c->token_len))
			c->done = true;
		return COAP_RESPONSE_OK;
	}
	if (c->done || !c->resp || !token_is(received, c->token, c->token_len))
		return COAP_RESPONSE_OK;
	c->err = msg_fill(received, c->resp);
	c->done = true;
	return COAP_RESPONSE_OK;
}

static int nack_err(coap_nack_reason_t reason)
{
	switch (reason) {
	case COAP_NACK_TOO_MANY_RETRIES:
		return -ETIMEDOUT;
	case COAP_NACK_RST:
		return -ECONNRESET;
	case COAP_NACK_TLS_FAILED:
		return -ECONNABORTED;
	case COAP_NACK_ICMP_ISSUE:
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct gk_coap_conn *c = coap_get_app_data(coap_session_get_context(session));

	if (reason == COAP_NACK_TLS_FAILED && c->obs_active) {
		c->obs_ret = -ECONNABORTED;
		c->obs_ended = true;
	}
	if (c->done)
		return;
	c->err = nack_err(reason);
	c->done = true;
}

static int on_event(coap_session_t *session, const coap_event_t event)
{
	struct gk_coap_conn *c = coap_get_app_data(coap_session_get_context(session));

	if (event != COAP_EVENT_DTLS_ERROR && event != COAP_EVENT_DTLS_CLOSED)
		return 0;
	if (c->obs_active && !c->obs_ended) {
		c->obs_ret = -ECONNABORTED;
		c->obs_ended = true;
	}
	if (!c->done) {
		c->err = -ECONNABORTED;
		c->done = true;
	}
	return 0;
}

/* --- requests ------------------------------------------------------------------ */

struct req_spec {
	enum gk_coap_method method;
	const char *path;
	int content_format;
	const uint8_t *payload;
	size_t len;
	int observe; /* -1: no Observe option */
};

/* Options in ascending order: Observe 6, Uri-Path 11, Content-Format 12, Uri-Query 15. */
static coap_pdu_t *build(struct gk_coap_conn *c, const struct req_spec *r, uint8_t *token,
			 size_t *token_len)
{
	const char *q = strchr(r->path, '?');
	size_t plen = q ? (size_t)(q - r->path) : strlen(r->path);
	coap_pdu_t *pdu;
	int err = 0;

	pdu = coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)r->method,
			    coap_new_message_id(c->session), coap_session_max_pdu_size(c->session));
	if (!pdu)
		return NULL;
	if (!*token_len) {
		*token_len = TOKEN_MAX;
		coap_session_new_token(c->session, token_len, token);
	}
	if (!coap_add_token(pdu, *token_len, token))
		err = -EINVAL;
	if (!err && r->observe >= 0)
		err = gk_coap_add_uint_option(pdu, COAP_OPTION_OBSERVE, (unsigned)r->observe);
	if (!err)
		err = gk_coap_add_segments(pdu, COAP_OPTION_URI_PATH, (const uint8_t *)r->path, plen, '/');
	if (!err && r->content_format >= 0)
		err = gk_coap_add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, (unsigned)r->content_format);
	if (!err && q)
		err = gk_coap_add_segments(pdu, COAP_OPTION_URI_QUERY, (const uint8_t *)q + 1, strlen(q + 1),
					   '&');
	if (!err && r->len &&
	    !coap_add_data_large_request(c->session, pdu, r->len, r->payload, NULL, NULL))
		err = -EINVAL;
	if (err) {
		coap_delete_pdu(pdu);
		return NULL;
	}
	return pdu;
}

/* Run libcoap until *done or deadline (ms, monotonic); -ETIMEDOUT at the deadline. */
static int run_until(struct gk_coap_conn *c, const bool *done, uint64_t deadline)
{
	while (!*done) {
		uint64_t now = mono_ms();
		unsigned wait;

		if (now >= deadline)
			return -ETIMEDOUT;
		wait = deadline - now > 100 ? 100 : (unsigned)(deadline - now);
		if (coap_io_process(c->ctx, wait) < 0)
			return -EIO;
	}
	return 0;
}

static int send_and_wait(struct gk_coap_conn *c, const struct req_spec *r, uint8_t *token,
			 size_t *token_len, struct gk_coap_msg *resp)
{
	coap_pdu_t *pdu;
	int err;

	c->token_len = 0;
	c->done = false;
	c->err = 0;
	c->resp = resp;
	pdu = build(c, r, token, token_len);
	if (!pdu)
		return -EINVAL;
	memcpy(c->token, token, *token_len);
	c->token_len = *token_len;
	if (coap_send(c->session, pdu) == COAP_INVALID_MID)
		return -EIO;
	err = run_until(c, &c->done, mono_ms() + c->timeout_ms);
	c->resp = NULL;
	return err ? err : c->err;
}

int gk_coap_conn_request(struct gk_coap_conn *c, enum gk_coap_method method, const char *path,
			 int content_format, const uint8_t *payload, size_t len,
			 struct gk_coap_msg *resp)
{
	struct req_spec r = { .method = method,
			      .path = path,
			      .content_format = content_format,
			      .payload = payload,
			      .len = len,
			      .observe = -1 };
	uint8_t token[TOKEN_MAX];
	size_t token_len = 0;
	int err;

	memset(resp, 0, sizeof(*resp));
	resp->content_format = GK_COAP_NO_FORMAT;
	if (method < GK_COAP_GET || method > GK_COAP_FETCH || !path)
		return -EINVAL;
	err = send_and_wait(c, &r, token, &token_len, resp);
	if (err)
		gk_coap_msg_free(resp);
	return err;
}

/* Until the observation ends or end (ms, monotonic), calling tick every tick_ms. */
static int observe_wait(struct gk_coap_conn *c, uint64_t end, int (*tick)(void *arg),
			unsigned tick_ms, void *arg)
{
	while (!c->obs_ended) {
		uint64_t now = mono_ms(), until = end;
		int err;

		if (tick && now + tick_ms < until)
			until = now + tick_ms;
		err = run_until(c, &c->obs_ended, until);
		if (err != -ETIMEDOUT)
			return err;
		if (until >= end)
			return 0;
		err = tick(arg);
		if (err) {
			c->obs_ret = err;
			c->obs_ended = true;
		}
	}
	return 0;
}

int gk_coap_conn_observe_tick(struct gk_coap_conn *c, const char *path, unsigned duration_ms,
			      int (*cb)(void *arg, const struct gk_coap_msg *msg),
			      int (*tick)(void *arg), unsigned tick_ms, void *arg)
{
	struct req_spec r = { .method = GK_COAP_GET,
			      .path = path,
			      .content_format = GK_COAP_NO_FORMAT,
			      .observe = 0 };
	uint64_t end = mono_ms() + duration_ms;
	coap_binary_t tok;
	int err;

	if (tick && !tick_ms)
		return -EINVAL;
	c->obs_cb = cb;
	c->obs_arg = arg;
	c->obs_ret = 0;
	c->obs_ended = false;
	c->obs_token_len = 0;
	c->obs_active = true;
	/* The first response goes through on_notification() too (same token). */
	err = send_and_wait(c, &r, c->obs_token, &c->obs_token_len, NULL);
	if (!err && !c->obs_ended)
		err = observe_wait(c, end, tick, tick_ms, arg);
	if (!c->obs_ended || c->obs_ret != -ECONNABORTED) {
		tok.s = c->obs_token;
		tok.length = c->obs_token_len;
		/* Best effort: the server also drops us when our session goes. */
		if (coap_cancel_observe(c->session, &tok, COAP_MESSAGE_CON))
			coap_io_process(c->ctx, 50);
	}
	c->obs_active = false;
	return err ? err : c->obs_ret;
}

int gk_coap_conn_observe(struct gk_coap_conn *c, const char *path, unsigned duration_ms,
			 int (*cb)(void *arg, const struct gk_coap_msg *msg), void *arg)
{
	return gk_coap_conn_observe_tick(c, path, duration_ms, cb, NULL, 0, arg);
}

/* --- connection ------------------------------------------------------------------ */

static int check_cfg(const struct gk_coap_conn_cfg *cfg, const coap_uri_t *uri)
{
	if (uri->scheme == COAP_URI_SCHEME_COAP)
		return 0;
	if (uri->scheme != COAP_URI_SCHEME_COAPS)
		return -EINVAL;
	if (!cfg->psk_identity || !cfg->psk_identity_len || !cfg->psk_key || !cfg->psk_key_len ||
	    cfg->psk_key_len > GK_COAP_PSK_MAX)
		return -EINVAL;
	/* See coap_client.h: a 0x00 would end the identity early on the wire. */
	if (memchr(cfg->psk_identity, 0, cfg->psk_identity_len))
		return -EINVAL;
	return coap_dtls_is_supported() ? 0 : -ENOTSUP;
}

static coap_session_t *new_session(coap_context_t *ctx, const struct gk_coap_conn_cfg *cfg,
				   const coap_uri_t *uri, const coap_address_t *dst)
{
	coap_dtls_cpsk_t cpsk = { 0 };

	if (uri->scheme == COAP_URI_SCHEME_COAP)
		return coap_new_client_session(ctx, NULL, dst, COAP_PROTO_UDP);
	cpsk.version = COAP_DTLS_CPSK_SETUP_VERSION;
	cpsk.psk_info.identity.s = cfg->psk_identity;
	cpsk.psk_info.identity.length = cfg->psk_identity_len;
	cpsk.psk_info.key.s = cfg->psk_key;
	cpsk.psk_info.key.length = cfg->psk_key_len;
	return coap_new_client_session_psk2(ctx, NULL, dst, COAP_PROTO_DTLS, &cpsk);
}

int gk_coap_conn_open(const struct gk_coap_conn_cfg *cfg, struct gk_coap_conn **out)
{
	struct gk_coap_conn *c;
	coap_address_t dst;
	coap_uri_t uri;
	int err;

	if (!cfg->uri || coap_split_uri((const uint8_t *)cfg->uri, strlen(cfg->uri), &uri))
		return -EINVAL;
	coap_startup();
	err = check_cfg(cfg, &uri);
	if (!err)
		err = gk_coap_resolve(&uri, &dst);
	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : GK_COAP_DEFAULT_TIMEOUT_MS;
	c->ctx = coap_new_context(NULL);
	if (!c->ctx) {
		free(c);
		return -ENOMEM;
	}
	coap_context_set_block_mode(c->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_set_app_data(c->ctx, c);
	coap_register_response_handler(c->ctx, on_response);
	coap_register_nack_handler(c->ctx, on_nack);
	coap_register_event_handler(c->ctx, on_event);
	c->session = new_session(c->ctx, cfg, &uri, &dst);
	if (!c->session) {
		gk_coap_conn_close(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

void gk_coap_conn_close(struct gk_coap_conn *c)
{
	if (!c)
		return;
	if (c->session)
		coap_session_release(c->session);
	coap_free_context(c->ctx);
	free(c);
}
