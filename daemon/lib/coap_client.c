// SPDX-License-Identifier: BSD-3-Clause
/* One synchronous CoAP request on libcoap, plain or DTLS-PSK, with libcoap doing Block1/Block2. */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coap3/coap.h>

#include "coap_opt.h"
#include "groupkey/coap_client.h"
#include "groupkey/crypto.h"

/* What the callbacks report back; reached through the context's app data. */
struct gk_coap_call {
	struct gk_coap_response *resp;
	int err; /* set once the call is over: 0 or -errno */
	bool done;
	bool copy_failed;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int code_from_pdu(const coap_pdu_t *pdu)
{
	unsigned c = coap_pdu_get_code(pdu);

	return (int)(c >> 5) * 100 + (int)(c & 0x1f);
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
				   const coap_pdu_t *received, const coap_mid_t mid)
{
	struct gk_coap_call *call = coap_get_app_data(coap_session_get_context(session));
	struct gk_coap_response *resp = call->resp;
	const uint8_t *data = NULL;
	size_t len = 0, offset = 0, total = 0;
	coap_opt_iterator_t it;
	coap_opt_t *opt;

	if (call->done)
		return COAP_RESPONSE_OK;
	resp->code = code_from_pdu(received);
	opt = coap_check_option(received, COAP_OPTION_CONTENT_FORMAT, &it);
	resp->content_format =
		opt ? (int)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) :
		      GK_COAP_NO_FORMAT;
	if (coap_get_data_large(received, &len, &data, &offset, &total) && len) {
		resp->payload = malloc(len);
		if (resp->payload) {
			memcpy(resp->payload, data, len);
			resp->payload_len = len;
		} else {
			call->copy_failed = true;
		}
	}
	call->err = call->copy_failed ? -ENOMEM : 0;
	call->done = true;
	return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct gk_coap_call *call = coap_get_app_data(coap_session_get_context(session));

	if (call->done)
		return;
	switch (reason) {
	case COAP_NACK_TOO_MANY_RETRIES:
		call->err = -ETIMEDOUT;
		break;
	case COAP_NACK_RST:
		call->err = -ECONNRESET;
		break;
	case COAP_NACK_TLS_FAILED:
		call->err = -ECONNABORTED;
		break;
	case COAP_NACK_ICMP_ISSUE:
		call->err = -ECONNREFUSED;
		break;
	default:
		call->err = -EIO;
		break;
	}
	call->done = true;
}

static int on_event(coap_session_t *session, const coap_event_t event)
{
	struct gk_coap_call *call = coap_get_app_data(coap_session_get_context(session));

	if (call->done)
		return 0;
	if (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED) {
		call->err = -ECONNABORTED;
		call->done = true;
	}
	return 0;
}

static coap_pdu_t *build_pdu(coap_session_t *session, const struct gk_coap_request *req,
			     const coap_uri_t *uri)
{
	uint8_t token[8];
	size_t token_len = sizeof(token);
	coap_pdu_t *pdu;
	int err = 0;

	pdu = coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)req->method,
			    coap_new_message_id(session), coap_session_max_pdu_size(session));
	if (!pdu)
		return NULL;
	coap_session_new_token(session, &token_len, token);
	if (!coap_add_token(pdu, token_len, token))
		err = -EINVAL;
	/* Options in ascending number: Uri-Path 11, Content-Format 12, Uri-Query 15, Accept 17. */
	if (!err)
		err = gk_coap_add_segments(pdu, COAP_OPTION_URI_PATH, uri->path.s, uri->path.length, '/');
	if (!err && req->content_format >= 0)
		err = gk_coap_add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT,
				      (unsigned)req->content_format);
	if (!err)
		err = gk_coap_add_segments(pdu, COAP_OPTION_URI_QUERY, uri->query.s, uri->query.length,
				   '&');
	if (!err && req->accept >= 0)
		err = gk_coap_add_uint_option(pdu, COAP_OPTION_ACCEPT, (unsigned)req->accept);
	if (!err && req->payload_len &&
	    !coap_add_data_large_request(session, pdu, req->payload_len, req->payload, NULL, NULL))
		err = -EINVAL;
	if (err) {
		coap_delete_pdu(pdu);
		return NULL;
	}
	return pdu;
}

static int check_request(const struct gk_coap_request *req, const coap_uri_t *uri)
{
	if (req->method < GK_COAP_GET || req->method > GK_COAP_FETCH)
		return -EINVAL;
	if (uri->scheme == COAP_URI_SCHEME_COAP)
		return 0;
	if (uri->scheme != COAP_URI_SCHEME_COAPS)
		return -EINVAL;
	if (!req->psk_identity || !req->psk_identity_len || !req->psk_key || !req->psk_key_len ||
	    req->psk_key_len > GK_COAP_PSK_MAX)
		return -EINVAL;
	/* See coap_client.h: a 0x00 would end the identity early on the wire. */
	if (memchr(req->psk_identity, 0, req->psk_identity_len))
		return -EINVAL;
	return 0;
}

static coap_session_t *open_session(coap_context_t *ctx, const struct gk_coap_request *req,
				    const coap_uri_t *uri, const coap_address_t *dst)
{
	coap_dtls_cpsk_t cpsk = { 0 };

	if (uri->scheme == COAP_URI_SCHEME_COAP)
		return coap_new_client_session(ctx, NULL, dst, COAP_PROTO_UDP);
	cpsk.version = COAP_DTLS_CPSK_SETUP_VERSION;
	cpsk.psk_info.identity.s = req->psk_identity;
	cpsk.psk_info.identity.length = req->psk_identity_len;
	cpsk.psk_info.key.s = req->psk_key;
	cpsk.psk_info.key.length = req->psk_key_len;
	return coap_new_client_session_psk2(ctx, NULL, dst, COAP_PROTO_DTLS, &cpsk);
}

static int run(coap_context_t *ctx, struct gk_coap_call *call, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	while (!call->done) {
		uint64_t now = now_ms();
		unsigned wait;

		if (now >= deadline)
			return -ETIMEDOUT;
		wait = deadline - now > 100 ? 100 : (unsigned)(deadline - now);
		if (coap_io_process(ctx, wait) < 0)
			return -EIO;
	}
	return call->err;
}

int gk_coap_request(const struct gk_coap_request *req, struct gk_coap_response *resp)
{
	struct gk_coap_call call = { .resp = resp };
	coap_session_t *session = NULL;
	coap_context_t *ctx = NULL;
	coap_address_t dst;
	coap_pdu_t *pdu;
	coap_uri_t uri;
	int err;

	memset(resp, 0, sizeof(*resp));
	resp->content_format = GK_COAP_NO_FORMAT;
	if (!req->uri || coap_split_uri((const uint8_t *)req->uri, strlen(req->uri), &uri))
		return -EINVAL;
	err = check_request(req, &uri);
	if (err)
		return err;
	coap_startup();
	if (uri.scheme == COAP_URI_SCHEME_COAPS && !coap_dtls_is_supported())
		return -ENOTSUP;
	err = gk_coap_resolve(&uri, &dst);
	if (err)
		return err;
	ctx = coap_new_context(NULL);
	if (!ctx)
		return -ENOMEM;
	coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_set_app_data(ctx, &call);
	coap_register_response_handler(ctx, on_response);
	coap_register_nack_handler(ctx, on_nack);
	coap_register_event_handler(ctx, on_event);
	session = open_session(ctx, req, &uri, &dst);
	if (!session) {
		err = -EIO;
		goto out_free_ctx;
	}
	pdu = build_pdu(session, req, &uri);
	if (!pdu) {
		err = -EINVAL;
		goto out_release_session;
	}
	if (coap_send(session, pdu) == COAP_INVALID_MID) {
		err = -EIO;
		goto out_release_session;
	}
	err = run(ctx, &call, req->timeout_ms ? req->timeout_ms : GK_COAP_DEFAULT_TIMEOUT_MS);
out_release_session:
	coap_session_release(session);
out_free_ctx:
	coap_free_context(ctx);
	if (err)
		gk_coap_response_free(resp);
	return err;
}

void gk_coap_response_free(struct gk_coap_response *resp)
{
	/* A /token response carries a PoP key. */
	if (resp->payload)
		gk_wipe(resp->payload, resp->payload_len);
	free(resp->payload);
	resp->payload = NULL;
	resp->payload_len = 0;
}

void gk_coap_client_verbose(bool verbose)
{
	coap_startup();
	coap_set_log_level(verbose ? LOG_DEBUG : LOG_EMERG);
}

const char *gk_coap_code_str(int code, char *buf, size_t len)
{
	snprintf(buf, len, "%d.%02d", code / 100, code % 100);
	return buf;
}
