/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the one-shot CoAP client and the persistent connection: address and options. */
#ifndef GROUPKEY_COAP_OPT_H
#define GROUPKEY_COAP_OPT_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

/* The URI's host resolved (getaddrinfo) with the URI's port: 0, -EINVAL, -EHOSTUNREACH. */
int gk_coap_resolve(const coap_uri_t *uri, coap_address_t *dst);
/* One option per sep-separated segment of s, percent-decoded (RFC 7252 §6.4); -EINVAL. */
int gk_coap_add_segments(coap_pdu_t *pdu, uint16_t number, const uint8_t *s, size_t len, char sep);
/* A uint option in its shortest encoding; -EINVAL. */
int gk_coap_add_uint_option(coap_pdu_t *pdu, uint16_t number, unsigned v);

#endif
