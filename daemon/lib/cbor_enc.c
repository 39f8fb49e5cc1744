// SPDX-License-Identifier: BSD-3-Clause
/* Deterministic CBOR encoder on libcbor's cbor_encode_* primitives, with sticky errors. */
#include <errno.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "groupkey/cbor.h"
#include "groupkey/err.h"

/* Longest item head: initial byte plus an 8-byte argument. */
#define GK_ENC_HEAD_MAX 9

void gk_enc_init(struct gk_enc *e)
{
	*e = (struct gk_enc){ 0 };
}

void gk_enc_init_fixed(struct gk_enc *e, uint8_t *buf, size_t cap)
{
	*e = (struct gk_enc){ .buf = buf, .cap = cap, .fixed = true };
}

void gk_enc_free(struct gk_enc *e)
{
	/* A fixed buffer belongs to the caller, who may still be reading it. */
	if (!e->fixed && e->buf) {
		mbedtls_platform_zeroize(e->buf, e->cap);
		free(e->buf);
	}
	*e = (struct gk_enc){ 0 };
}

static int gk_enc_fail(struct gk_enc *e, int err)
{
	e->err = err;
	return err;
}

/* Grow by copying so that no stale copy of a secret is left behind by realloc(). */
static int gk_enc_reserve(struct gk_enc *e, size_t n)
{
	size_t want, cap;
	uint8_t *nbuf;

	if (n > SIZE_MAX - e->len)
		return gk_enc_fail(e, -EOVERFLOW);
	want = e->len + n;
	if (want <= e->cap)
		return 0;
	if (e->fixed)
		return gk_enc_fail(e, -ENOSPC);
	cap = e->cap ? e->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	nbuf = malloc(cap);
	if (!nbuf)
		return gk_enc_fail(e, -ENOMEM);
	if (e->buf) {
		memcpy(nbuf, e->buf, e->len);
		mbedtls_platform_zeroize(e->buf, e->cap);
		free(e->buf);
	}
	e->buf = nbuf;
	e->cap = cap;
	return 0;
}

int gk_enc_raw(struct gk_enc *e, const void *p, size_t n)
{
	int err;

	if (e->err)
		return e->err;
	if (!n)
		return 0;
	if (!p)
		return gk_enc_fail(e, -EINVAL);
	err = gk_enc_reserve(e, n);
	if (err)
		return err;
	memcpy(e->buf + e->len, p, n);
	e->len += n;
	return 0;
}

/* libcbor's encoders write into a bounded buffer and return 0 when it is too small. */
static int gk_enc_head(struct gk_enc *e, const uint8_t *head, size_t n)
{
	if (e->err)
		return e->err;
	if (!n)
		return gk_enc_fail(e, -EINVAL);
	return gk_enc_raw(e, head, n);
}

int gk_enc_uint(struct gk_enc *e, uint64_t v)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	return gk_enc_head(e, h, cbor_encode_uint(v, h, sizeof(h)));
}

int gk_enc_int(struct gk_enc *e, int64_t v)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	if (v >= 0)
		return gk_enc_uint(e, (uint64_t)v);
	/* -1 - v cannot overflow for any negative int64, INT64_MIN included. */
	return gk_enc_head(e, h, cbor_encode_negint((uint64_t)(-1 - v), h, sizeof(h)));
}

int gk_enc_bstr(struct gk_enc *e, const void *p, size_t n)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	if (gk_enc_head(e, h, cbor_encode_bytestring_start(n, h, sizeof(h))))
		return e->err;
	return gk_enc_raw(e, p, n);
}

int gk_enc_tstrn(struct gk_enc *e, const char *s, size_t n)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	if (gk_enc_head(e, h, cbor_encode_string_start(n, h, sizeof(h))))
		return e->err;
	return gk_enc_raw(e, s, n);
}

int gk_enc_tstr(struct gk_enc *e, const char *s)
{
	if (e->err)
		return e->err;
	if (!s)
		return gk_enc_fail(e, -EINVAL);
	return gk_enc_tstrn(e, s, strlen(s));
}

int gk_enc_array(struct gk_enc *e, size_t n)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	return gk_enc_head(e, h, cbor_encode_array_start(n, h, sizeof(h)));
}

int gk_enc_map(struct gk_enc *e, size_t n)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	return gk_enc_head(e, h, cbor_encode_map_start(n, h, sizeof(h)));
}

int gk_enc_tag(struct gk_enc *e, uint64_t tag)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	return gk_enc_head(e, h, cbor_encode_tag(tag, h, sizeof(h)));
}

int gk_enc_bool(struct gk_enc *e, bool v)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	return gk_enc_head(e, h, cbor_encode_bool(v, h, sizeof(h)));
}

int gk_enc_null(struct gk_enc *e)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	return gk_enc_head(e, h, cbor_encode_null(h, sizeof(h)));
}

int gk_enc_finish(struct gk_enc *e, uint8_t **out, size_t *out_len)
{
	int err = e->err;

	*out = NULL;
	*out_len = 0;
	if (!err && !e->buf && !e->fixed) {
		/* An empty message still hands back a pointer the caller can free(). */
		e->buf = malloc(1);
		if (!e->buf)
			err = -ENOMEM;
	}
	if (err) {
		gk_enc_free(e);
		return err;
	}
	*out = e->buf;
	*out_len = e->len;
	*e = (struct gk_enc){ 0 };
	return 0;
}

/*
 * Shortest float that keeps the value (RFC 8949 §4.2.2), computed on the
 * bits because libcbor's cbor_encode_half() drops subnormal mantissas.
 */
static bool gk_half_bits(uint64_t u, uint16_t *half)
{
	uint16_t sign = (uint16_t)(u >> 48) & 0x8000;
	int exp = (int)((u >> 52) & 0x7ff) - 1023;
	uint64_t mant = (u & 0xfffffffffffffULL) | (1ULL << 52);
	unsigned shift;

	if (exp >= -14 && exp <= 15) {
		if (u & ((1ULL << 42) - 1))
			return false;
		*half = sign | (uint16_t)((exp + 15) << 10) | (uint16_t)((u >> 42) & 0x3ff);
		return true;
	}
	if (exp < -24 || exp > 15)
		return false;
	shift = (unsigned)(28 - exp);
	if (mant & ((1ULL << shift) - 1))
		return false;
	*half = sign | (uint16_t)(mant >> shift);
	return true;
}

static int gk_enc_float(struct gk_enc *e, double d)
{
	uint8_t h[GK_ENC_HEAD_MAX];
	uint16_t half;
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	if (d != d) {
		half = 0x7e00;
	} else if ((u & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL || !(u << 1)) {
		half = (uint16_t)((u >> 48) & 0x8000) | (d == 0 ? 0 : 0x7c00);
	} else if (!gk_half_bits(u, &half)) {
		if (d >= -FLT_MAX && d <= FLT_MAX && (double)(float)d == d)
			return gk_enc_head(e, h, cbor_encode_single((float)d, h, sizeof(h)));
		return gk_enc_head(e, h, cbor_encode_double(d, h, sizeof(h)));
	}
	h[0] = 0xf9;
	h[1] = (uint8_t)(half >> 8);
	h[2] = (uint8_t)half;
	return gk_enc_head(e, h, 3);
}

/* Definite or chunked string: one definite string of the concatenated chunks. */
static int gk_enc_string_item(struct gk_enc *e, const cbor_item_t *it, bool text)
{
	uint8_t h[GK_ENC_HEAD_MAX];
	cbor_item_t **chunks;
	size_t n, total = 0;

	if (text ? cbor_string_is_definite(it) : cbor_bytestring_is_definite(it)) {
		if (text)
			return gk_enc_tstrn(e, (const char *)cbor_string_handle(it),
					    cbor_string_length(it));
		return gk_enc_bstr(e, cbor_bytestring_handle(it), cbor_bytestring_length(it));
	}
	chunks = text ? cbor_string_chunks_handle(it) : cbor_bytestring_chunks_handle(it);
	n = text ? cbor_string_chunk_count(it) : cbor_bytestring_chunk_count(it);
	for (size_t i = 0; i < n; i++)
		total += text ? cbor_string_length(chunks[i]) : cbor_bytestring_length(chunks[i]);
	if (text)
		gk_enc_head(e, h, cbor_encode_string_start(total, h, sizeof(h)));
	else
		gk_enc_head(e, h, cbor_encode_bytestring_start(total, h, sizeof(h)));
	for (size_t i = 0; i < n; i++) {
		if (text)
			gk_enc_raw(e, cbor_string_handle(chunks[i]), cbor_string_length(chunks[i]));
		else
			gk_enc_raw(e, cbor_bytestring_handle(chunks[i]),
				   cbor_bytestring_length(chunks[i]));
	}
	return e->err;
}

static int gk_enc_ctrl_item(struct gk_enc *e, const cbor_item_t *it)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	if (cbor_float_get_width(it) != CBOR_FLOAT_0)
		return gk_enc_float(e, cbor_float_get_float(it));
	return gk_enc_head(e, h, cbor_encode_ctrl(cbor_ctrl_value(it), h, sizeof(h)));
}

int gk_enc_item(struct gk_enc *e, const cbor_item_t *it)
{
	uint8_t h[GK_ENC_HEAD_MAX];

	if (e->err)
		return e->err;
	if (!it)
		return gk_enc_fail(e, -EINVAL);
	switch (cbor_typeof(it)) {
	case CBOR_TYPE_UINT:
		return gk_enc_uint(e, cbor_get_int(it));
	case CBOR_TYPE_NEGINT:
		return gk_enc_head(e, h, cbor_encode_negint(cbor_get_int(it), h, sizeof(h)));
	case CBOR_TYPE_BYTESTRING:
		return gk_enc_string_item(e, it, false);
	case CBOR_TYPE_STRING:
		return gk_enc_string_item(e, it, true);
	case CBOR_TYPE_ARRAY: {
		cbor_item_t **v = cbor_array_handle(it);
		size_t n = cbor_array_size(it);

		gk_enc_array(e, n);
		for (size_t i = 0; i < n && !e->err; i++)
			gk_enc_item(e, v[i]);
		return e->err;
	}
	case CBOR_TYPE_MAP: {
		struct cbor_pair *p = cbor_map_handle(it);
		size_t n = cbor_map_size(it);

		gk_enc_map(e, n);
		for (size_t i = 0; i < n && !e->err; i++) {
			gk_enc_item(e, p[i].key);
			gk_enc_item(e, p[i].value);
		}
		return e->err;
	}
	case CBOR_TYPE_TAG:
		gk_enc_tag(e, cbor_tag_value(it));
		return gk_enc_item(e, gk_cbor_tag_item(it));
	case CBOR_TYPE_FLOAT_CTRL:
		return gk_enc_ctrl_item(e, it);
	}
	return gk_enc_fail(e, -EINVAL);
}
