/* SPDX-License-Identifier: BSD-3-Clause */
/* What the CoAP glue's files (server*.c) share: sessions, observers, request bodies, replies. */
#ifndef GKD_SERVER_INT_H
#define GKD_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "kdc.h"
#include "server.h"

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

/* A registered observer of /ace-group/G or its node resource (server_observe.c). */
struct gkd_observer {
	struct gkd_observer *prev, *next; /* gkd_server.observers */
	struct gkd_sess *sess;
	struct gkd_kdc_route route; /* GKD_RES_GROUP or GKD_RES_NODE */
	uint8_t token[8];
	size_t token_len;
	unsigned non_cnt;
};

struct gkd_server {
	struct gkd_ctx *ctx;
	coap_context_t *coap;
	int coap_fd;
	struct gkd_sess sessions; /* list head */
	struct gkd_ratelimit *rl;
	/* server_kdc.c */
	struct gkd_timer *kdc_timer;
	int64_t kdc_due_ms; /* CLOCK_MONOTONIC ms the timer fires at */
	coap_resource_t *unknown;      /* owned by libcoap */
	/* server_observe.c */
	struct gkd_observer observers; /* list head */
	size_t n_observers;
	uint32_t obs_seq;
};

/* A request body: in the PDU, or reassembled from blocks (then owned). */
struct gkd_body {
	const uint8_t *p;
	size_t len;
	struct gkd_sess *sess; /* non-NULL: the body is sess->body */
};

/* server.c */
struct gkd_server *gkd_srv_of(const coap_session_t *session);
bool gkd_srv_is_dtls(const coap_session_t *session);
const char *gkd_srv_peer_str(const coap_session_t *session, char *buf, size_t len);
int gkd_srv_content_format(const coap_pdu_t *pdu);
void gkd_srv_status(coap_pdu_t *resp, int code);
/* rep into resp (Block2 through libcoap); a body that cannot be finished becomes 5.00. */
void gkd_srv_send_reply(coap_resource_t *res, coap_session_t *session, const coap_pdu_t *req,
			const coap_string_t *query, coap_pdu_t *resp, struct gkd_reply *rep);
/*
 * true: *body is the whole request body. false: resp is set (2.31 Continue
 * for a block in the middle, 4.08, 4.13 or 5.00) and the handler is done.
 */
bool gkd_srv_request_body(struct gkd_server *srv, coap_resource_t *res, coap_session_t *session,
			  const coap_pdu_t *req, coap_pdu_t *resp, struct gkd_body *body);
void gkd_srv_body_done(struct gkd_body *body);
int64_t gkd_srv_wall_ms(void);

/* server_kdc.c */
/* Resources of the KDC and /.well-known/core, node resources of stored members, the tick timer. */
int gkd_srv_kdc_start(struct gkd_server *srv);
void gkd_srv_kdc_stop(struct gkd_server *srv);
/* What a GET of route answers now for the session's token (the access check included). */
void gkd_srv_kdc_get(struct gkd_server *srv, struct gkd_sess *sess,
		     const struct gkd_kdc_route *route, int64_t now_ms, struct gkd_reply *rep);

/* server_observe.c */
void gkd_srv_obs_init(struct gkd_server *srv);
void gkd_srv_obs_free(struct gkd_server *srv);
/*
 * Every GET with an Observe option on /ace-group/G or nodes/N, after the answer (code) and
 * before its options: resp when the registration response's Observe option is ours to add
 * (a path libcoap has no resource for), NULL when libcoap adds it.
 */
void gkd_srv_obs_request(struct gkd_server *srv, struct gkd_sess *sess,
			 const struct gkd_kdc_route *route, const coap_pdu_t *req, int code,
			 coap_pdu_t *resp);
void gkd_srv_obs_session_gone(struct gkd_server *srv, const struct gkd_sess *sess);
/* libcoap's NACK for a PDU we sent on session (a reset or unanswered notification). */
void gkd_srv_obs_nack(struct gkd_server *srv, coap_session_t *session, const coap_pdu_t *sent);
void gkd_srv_obs_rekeyed(struct gkd_server *srv, const char *group);
void gkd_srv_obs_removed(struct gkd_server *srv, const char *group, const char *node, int reason);

#endif
