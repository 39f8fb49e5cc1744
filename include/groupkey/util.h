/* SPDX-License-Identifier: BSD-3-Clause */
/* Small shared helpers: hex codec and bounded file input. */
#ifndef GROUPKEY_UTIL_H
#define GROUPKEY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Lower-case hex of n bytes into out (2n+1 bytes incl. NUL). */
void gk_hex_encode(const uint8_t *in, size_t n, char *out);
/*
 * Decode hex text; whitespace between digit pairs is ignored, an optional
 * "h'...'" wrapper (CBOR diagnostic notation) too. -EINVAL on anything
 * else. *out is heap-allocated (free()).
 */
int gk_hex_decode(const char *in, size_t len, uint8_t **out, size_t *out_len);
/* True when the buffer holds only hex digits and whitespace (and at least one digit pair). */
bool gk_looks_like_hex(const uint8_t *buf, size_t len);

/*
 * Read a whole file ("-" is stdin) of at most max bytes: -EFBIG beyond.
 * The buffer gets one extra NUL byte after len for text users.
 */
int gk_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* gk_read_file, then hex-decode if the content is hex text (binary CBOR otherwise). */
int gk_read_cbor_or_hex(const char *path, size_t max, uint8_t **out, size_t *len);
/* Write all bytes (retrying short writes); -errno on failure. */
int gk_write_all(int fd, const void *buf, size_t n);

#endif
