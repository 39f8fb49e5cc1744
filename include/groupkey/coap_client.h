/* SPDX-License-Identifier: BSD-3-Clause */
/* A small synchronous CoAP client on libcoap: one request over coap:// or coaps:// (DTLS-PSK). */
#ifndef GROUPKEY_COAP_CLIENT_H
#define GROUPKEY_COAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request methods (RFC 7252 §12.1.1, RFC 8132). */
enum gk_coap_method {
	GK_COAP_GET = 1,
	GK_COAP_POST = 2,
	GK_COAP_PUT = 3,
	GK_COAP_DELETE = 4,
	GK_COAP_FETCH = 5,
};

#define GK_COAP_NO_FORMAT (-1)
#define GK_COAP_PSK_MAX 64 /* bytes of key; libcoap's COAP_DTLS_MAX_PSK */
#define GK_COAP_DEFAULT_TIMEOUT_MS 10000

/*
 * uri is coap://HOST[:PORT]/PATH or coaps://HOST[:PORT]/PATH (HOST a name,
 * an IPv4 literal or a bracketed IPv6 literal; percent-escapes in the path
 * are decoded; a query becomes Uri-Query options). coaps needs psk_identity
 * and psk_key: the DTLS handshake is PSK only.
 *
 * The identity travels as a C string through libcoap 4.3.1's GnuTLS glue
 * and GnuTLS's legacy PSK callbacks (both take its length with strlen), so
 * an identity holding a 0x00 byte would be cut short on the wire: it is
 * refused with -EINVAL instead. The key is binary (1..64 bytes).
 *
 * Bodies larger than one block go out with Block1 and come back reassembled
 * from Block2 (RFC 7959), both handled by libcoap.
 */
struct gk_coap_request {
	const char *uri;
	enum gk_coap_method method;
	int content_format; /* GK_COAP_NO_FORMAT: no Content-Format option */
	int accept;	    /* GK_COAP_NO_FORMAT: no Accept option */
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *psk_identity;
	size_t psk_identity_len;
	const uint8_t *psk_key;
	size_t psk_key_len;
	unsigned timeout_ms; /* 0: GK_COAP_DEFAULT_TIMEOUT_MS */
};

struct gk_coap_response {
	int code;	    /* class * 100 + detail: 205 is 2.05 Content */
	int content_format; /* GK_COAP_NO_FORMAT when the option is absent */
	uint8_t *payload;   /* malloc'd (NULL when empty); gk_coap_response_free() */
	size_t payload_len;
};

/*
 * Send one confirmable request and wait for its response. Returns 0 with
 * *resp filled for any response code (4.xx and 5.xx included), or:
 * -EINVAL bad URI, scheme, identity or key; -EHOSTUNREACH the host does not
 * resolve; -ETIMEDOUT no response in time (also what a DTLS handshake with
 * a wrong key looks like: GnuTLS drops records it cannot decrypt);
 * -ECONNABORTED the DTLS handshake failed with an alert (e.g. the server
 * refused the identity); -ECONNRESET the server answered with a Reset;
 * -ECONNREFUSED ICMP port unreachable; -ENOTSUP coaps without DTLS in
 * libcoap; -ENOMEM; -EIO other libcoap failures.
 */
int gk_coap_request(const struct gk_coap_request *req, struct gk_coap_response *resp);
void gk_coap_response_free(struct gk_coap_response *resp);

/*
 * libcoap's own messages (process-wide in libcoap): debug output when
 * verbose, otherwise none, since a tool reports the failure itself.
 */
void gk_coap_client_verbose(bool verbose);

/* "2.05" style text of a code (class * 100 + detail) into buf. */
const char *gk_coap_code_str(int code, char *buf, size_t len);

#endif
