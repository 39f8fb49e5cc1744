/* SPDX-License-Identifier: BSD-3-Clause */
/* A CoAP client connection on libcoap: several requests over one DTLS-PSK session, and Observe. */
#ifndef GROUPKEY_COAP_CONN_H
#define GROUPKEY_COAP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/coap_client.h"

struct gk_coap_conn;

/*
 * Where and how to connect: uri is coap://HOST[:PORT] or
 * coaps://HOST[:PORT] (a path is ignored here; each request names its
 * own), psk_* as in struct gk_coap_request (coaps only; an identity with a
 * 0x00 byte is refused with -EINVAL for the same reason). timeout_ms bounds
 * each request (0: GK_COAP_DEFAULT_TIMEOUT_MS).
 */
struct gk_coap_conn_cfg {
	const char *uri;
	const uint8_t *psk_identity;
	size_t psk_identity_len;
	const uint8_t *psk_key;
	size_t psk_key_len;
	unsigned timeout_ms;
};

#define GK_COAP_LOCATION_MAX 256

/* A response (or an Observe notification). */
struct gk_coap_msg {
	int code;	    /* class * 100 + detail */
	int content_format; /* GK_COAP_NO_FORMAT when absent */
	uint8_t *payload;   /* malloc'd, NULL when empty; gk_coap_msg_free() */
	size_t payload_len;
	/* Location-Path options joined by '/', without a leading '/'; "" for none. */
	char location[GK_COAP_LOCATION_MAX];
	bool has_observe;
	uint32_t observe;
};

/* Errors as gk_coap_request(): -EINVAL, -EHOSTUNREACH, -ENOTSUP, -ENOMEM, -EIO. */
int gk_coap_conn_open(const struct gk_coap_conn_cfg *cfg, struct gk_coap_conn **out);
void gk_coap_conn_close(struct gk_coap_conn *c);

/*
 * One confirmable request on the connection's session (the DTLS handshake
 * happens with the first one). path is "a/b/c" (percent-escapes decoded,
 * a '?' starts Uri-Query options). Returns 0 with *resp for any response
 * code, or -ETIMEDOUT, -ECONNABORTED (DTLS failed or closed),
 * -ECONNRESET, -ECONNREFUSED, -ENOMEM, -EIO, like gk_coap_request().
 */
int gk_coap_conn_request(struct gk_coap_conn *c, enum gk_coap_method method, const char *path,
			 int content_format, const uint8_t *payload, size_t len,
			 struct gk_coap_msg *resp);

/*
 * GET path with Observe 0 (RFC 7641) and hand cb the response and then
 * every notification, in order, until cb returns non-zero (returned), a
 * response without Observe ends the observation (e.g. a 4.xx: the server
 * dropped us; returns 0 after cb saw it), or duration_ms has passed
 * (returns 0). The observation is then cancelled (GET with Observe 1).
 * The first response must come within the request timeout (-ETIMEDOUT);
 * a DTLS failure later is -ECONNABORTED. msg is valid during cb only.
 */
int gk_coap_conn_observe(struct gk_coap_conn *c, const char *path, unsigned duration_ms,
			 int (*cb)(void *arg, const struct gk_coap_msg *msg), void *arg);

/*
 * The same, and tick(arg) every tick_ms while waiting (a long-lived
 * observer's housekeeping). tick may send requests on c itself; a non-zero
 * return ends the observation and is returned. -EINVAL for tick without
 * tick_ms.
 */
int gk_coap_conn_observe_tick(struct gk_coap_conn *c, const char *path, unsigned duration_ms,
			      int (*cb)(void *arg, const struct gk_coap_msg *msg),
			      int (*tick)(void *arg), unsigned tick_ms, void *arg);

void gk_coap_msg_free(struct gk_coap_msg *m);

#endif
