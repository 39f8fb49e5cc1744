// SPDX-License-Identifier: BSD-3-Clause
/* Observe (RFC 7641) of the group and node resources: our own registry and notifications. */

/*
 * Why not libcoap's notifications: in libcoap 4.3.1, coap_notify_observers()
 * frees the subscription when the handler answers an error (class 4 or 5)
 * and then still uses it (obs->non_cnt, obs->session) to send that answer,
 * a use-after-free that crashes the daemon when an evicted member or a
 * leaver is notified (seen here as a SIGSEGV under glibc's tcache). And
 * the errors are exactly what RFC 9594 wants observers to get: 4.03 for a
 * member that is gone, 4.04 with error 5 on eviction. So libcoap only
 * registers observers (the resources are observable, the registration
 * response carries its Observe option) and never gets a resource marked
 * dirty; the notifications are sent from here:
 *
 * - A GET with Observe 0 answered 2.05 on /ace-group/G or its node resource
 *   registers (session, token, route); Observe 1 cancels. A session going
 *   away drops its registrations. Node paths have no libcoap resource
 *   (server_kdc.c), so their registration responses get their Observe
 *   option from here.
 * - group_rekeyed: each observer of the group's resources gets the answer
 *   a GET would get now, through the same access check and KDC handler,
 *   over its own DTLS session. 2.05 carries Observe (a server-wide counter
 *   from 3 up, above the 2 of libcoap's registration responses); any
 *   other answer is final (no Observe option) and ends the registration.
 * - member_removed: the node's observers get a final 4.04 with problem
 *   details {0: {0: 5}} (or 6), or without an error id when the member left.
 * - Notifications are NON, every 5th per observer CON (as libcoap does), so
 *   a vanished observer is found by its CON failing or being reset (the
 *   NACK handler drops it) without filling the retransmission queue, whose
 *   insertions are linear, with one CON per observer per rekey.
 * - libcoap keeps its own subscription record of a group resource's
 *   observer until the session ends; it never acts on it, since nothing
 *   marks our resources dirty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "groupkey/err.h"
#include "groupkey/log.h"

#define OBS_TOKEN_MAX sizeof(((struct gkd_observer *)0)->token)
#define OBS_MAX_NON 5
#define OBS_SEQ_FIRST 3
#define OBS_SEQ_MASK 0xffffffu

static void obs_unlink(struct gkd_server *srv, struct gkd_observer *o)
{
	o->prev->next = o->next;
	o->next->prev = o->prev;
	srv->n_observers--;
	free(o);
}

static struct gkd_observer *obs_find(struct gkd_server *srv, const coap_session_t *session,
				     const uint8_t *token, size_t len)
{
	for (struct gkd_observer *o = srv->observers.next; o != &srv->observers; o = o->next)
		if (o->sess->session == session && o->token_len == len &&
		    !memcmp(o->token, token, len))
			return o;
	return NULL;
}

void gkd_srv_obs_init(struct gkd_server *srv)
{
	srv->observers.next = srv->observers.prev = &srv->observers;
	srv->obs_seq = OBS_SEQ_FIRST;
}

void gkd_srv_obs_free(struct gkd_server *srv)
{
	while (srv->observers.next != &srv->observers)
		obs_unlink(srv, srv->observers.next);
}

/* The registration response's Observe: the last notification's; the next one is newer. */
static void obs_ack_registration(struct gkd_server *srv, coap_pdu_t *resp)
{
	uint8_t buf[4];

	if (!coap_add_option(resp, COAP_OPTION_OBSERVE,
			     coap_encode_var_safe(buf, sizeof(buf), srv->obs_seq), buf))
		pr_warn("kdc: no room for the Observe option of a registration");
}

void gkd_srv_obs_request(struct gkd_server *srv, struct gkd_sess *sess,
			 const struct gkd_kdc_route *route, const coap_pdu_t *req, int code,
			 coap_pdu_t *resp)
{
	coap_bin_const_t tok = coap_pdu_get_token(req);
	coap_opt_iterator_t it;
	coap_opt_t *opt = coap_check_option(req, COAP_OPTION_OBSERVE, &it);
	struct gkd_observer *o;
	uint32_t action;

	if (!opt || !sess || tok.length > OBS_TOKEN_MAX)
		return;
	action = coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
	o = obs_find(srv, sess->session, tok.s, tok.length);
	if (action != COAP_OBSERVE_ESTABLISH || code != GKD_CONTENT) {
		/* A cancellation, or a registration libcoap drops for its error. */
		if (o)
			obs_unlink(srv, o);
		return;
	}
	if (o) {
		o->route = *route;
		goto out_ack;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		pr_warn("kdc: no memory to register an observer of %s: it misses rekeys",
			route->group);
		return;
	}
	o->sess = sess;
	o->route = *route;
	memcpy(o->token, tok.s, tok.length);
	o->token_len = tok.length;
	/* Spread the CONs of many observers over the rekeys. */
	o->non_cnt = (unsigned)(srv->n_observers % OBS_MAX_NON);
	o->next = srv->observers.next;
	o->prev = &srv->observers;
	o->next->prev = o;
	srv->observers.next = o;
	srv->n_observers++;
out_ack:
	if (resp)
		obs_ack_registration(srv, resp);
}

void gkd_srv_obs_session_gone(struct gkd_server *srv, const struct gkd_sess *sess)
{
	struct gkd_observer *o = srv->observers.next, *next;

	for (; o != &srv->observers; o = next) {
		next = o->next;
		if (o->sess == sess)
			obs_unlink(srv, o);
	}
}

void gkd_srv_obs_nack(struct gkd_server *srv, coap_session_t *session, const coap_pdu_t *sent)
{
	coap_bin_const_t tok = coap_pdu_get_token(sent);
	struct gkd_observer *o = obs_find(srv, session, tok.s, tok.length);

	if (o) {
		pr_debug("kdc: an observer of %s stopped answering: dropped", o->route.group);
		obs_unlink(srv, o);
	}
}

/* One notification; final: no Observe option, the registration ends. 0 or -errno. */
static int obs_send(struct gkd_server *srv, struct gkd_observer *o, struct gkd_reply *rep,
		    bool final)
{
	coap_session_t *session = o->sess->session;
	coap_pdu_type_t type = COAP_MESSAGE_NON;
	uint8_t buf[4], *body = NULL;
	size_t len = 0;
	coap_pdu_t *pdu;
	int err = 0;

	if (rep->content_format != GKD_CF_NONE) {
		err = gk_enc_finish(&rep->body, &body, &len);
		if (err)
			return err;
	}
	if (++o->non_cnt >= OBS_MAX_NON) {
		o->non_cnt = 0;
		type = COAP_MESSAGE_CON;
	}
	pdu = coap_pdu_init(type, (coap_pdu_code_t)COAP_RESPONSE_CODE(rep->code),
			    coap_new_message_id(session), coap_session_max_pdu_size(session));
	if (!pdu || !coap_add_token(pdu, o->token_len, o->token))
		err = -ENOMEM;
	if (!err && !final &&
	    !coap_add_option(pdu, COAP_OPTION_OBSERVE,
			     coap_encode_var_safe(buf, sizeof(buf), srv->obs_seq), buf))
		err = -EMSGSIZE;
	if (!err && rep->content_format != GKD_CF_NONE &&
	    !coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
			     coap_encode_var_safe(buf, sizeof(buf), (unsigned)rep->content_format),
			     buf))
		err = -EMSGSIZE;
	/* Keying material is far below one block: no Block2 here. */
	if (!err && len && !coap_add_data(pdu, len, body))
		err = -EMSGSIZE;
	free(body);
	if (err) {
		coap_delete_pdu(pdu);
		return err;
	}
	return coap_send(session, pdu) == COAP_INVALID_MID ? -EIO : 0;
}

/* What a GET of the observer's resource answers now; then it goes out. false: registration over. */
static bool obs_notify(struct gkd_server *srv, struct gkd_observer *o, int64_t now_ms)
{
	struct gkd_reply rep;
	bool keep;
	int err;

	if (!o->sess->session || o->sess->peer.type != GKD_PEER_TOKEN)
		return false;
	gkd_reply_init(&rep);
	gkd_srv_kdc_get(srv, o->sess, &o->route, now_ms, &rep);
	keep = rep.code == GKD_CONTENT;
	err = obs_send(srv, o, &rep, !keep);
	gkd_reply_free(&rep);
	if (err)
		pr_warn("kdc: notification for %s: %s", o->route.group, gk_strerror(err));
	return keep;
}

void gkd_srv_obs_rekeyed(struct gkd_server *srv, const char *group)
{
	struct gkd_observer *o = srv->observers.next, *next;
	int64_t now_ms = gkd_srv_wall_ms();
	unsigned sent = 0, ended = 0;

	srv->obs_seq = (srv->obs_seq + 1) & OBS_SEQ_MASK;
	for (; o != &srv->observers; o = next) {
		next = o->next;
		if (strcmp(o->route.group, group))
			continue;
		sent++;
		if (!obs_notify(srv, o, now_ms)) {
			ended++;
			obs_unlink(srv, o);
		}
	}
	pr_debug("kdc: group %s: %u notifications, %u final", group, sent, ended);
}

void gkd_srv_obs_removed(struct gkd_server *srv, const char *group, const char *node, int reason)
{
	struct gkd_observer *o = srv->observers.next, *next;
	struct gkd_reply rep;
	int err;

	for (; o != &srv->observers; o = next) {
		next = o->next;
		if (o->route.res != GKD_RES_NODE || strcmp(o->route.group, group) ||
		    strcmp(o->route.node, node))
			continue;
		gkd_reply_init(&rep);
		err = gkd_reply_problem(&rep, GKD_NOT_FOUND, "Not Found",
					reason == GK_GC_ERR_GROUP_DELETED ? "group deleted" :
					reason > 0 ? "group membership terminated" :
						     "the member left",
					reason > 0 ? reason : -1);
		if (!err && o->sess->session && o->sess->peer.type == GKD_PEER_TOKEN)
			err = obs_send(srv, o, &rep, true);
		if (err)
			pr_warn("kdc: removal notice to %s/%s: %s", group, node, gk_strerror(err));
		gkd_reply_free(&rep);
		obs_unlink(srv, o);
	}
}
