// SPDX-License-Identifier: BSD-3-Clause
/* Address resolution and option encoding shared by coap_client.c and coap_conn.c. */
#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "coap_opt.h"

int gk_coap_resolve(const coap_uri_t *uri, coap_address_t *dst)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_family = AF_UNSPEC };
	struct addrinfo *res = NULL;
	char host[256];

	if (!uri->host.length || uri->host.length >= sizeof(host))
		return -EINVAL;
	memcpy(host, uri->host.s, uri->host.length);
	host[uri->host.length] = '\0';
	if (getaddrinfo(host, NULL, &hints, &res) || !res)
		return -EHOSTUNREACH;
	coap_address_init(dst);
	dst->size = res->ai_addrlen;
	memcpy(&dst->addr, res->ai_addr, res->ai_addrlen);
	if (res->ai_family == AF_INET6)
		dst->addr.sin6.sin6_port = htons(uri->port);
	else
		dst->addr.sin.sin_port = htons(uri->port);
	freeaddrinfo(res);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gk_coap_add_segments(coap_pdu_t *pdu, uint16_t number, const uint8_t *s, size_t len, char sep)
{
	uint8_t seg[256];
	size_t i = 0;

	while (i < len) {
		size_t n = 0;

		for (; i < len && s[i] != sep; i++) {
			int c = s[i];

			if (c == '%') {
				int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
				int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

				if (hi < 0 || lo < 0)
					return -EINVAL;
				c = hi << 4 | lo;
				i += 2;
			}
			if (n == sizeof(seg))
				return -EINVAL;
			seg[n++] = (uint8_t)c;
		}
		if (!coap_add_option(pdu, number, n, seg))
			return -EINVAL;
		i++; /* the separator */
	}
	return 0;
}

int gk_coap_add_uint_option(coap_pdu_t *pdu, uint16_t number, unsigned v)
{
	uint8_t buf[4];

	return coap_add_option(pdu, number, coap_encode_var_safe(buf, sizeof(buf), v), buf) ?
		       0 :
		       -EINVAL;
}
