// SPDX-License-Identifier: BSD-3-Clause
/* Strict, bounded CBOR decoder on libcbor's streaming decoder, and the tree accessors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/cbor.h"
#include "groupkey/err.h"

const struct gk_cbor_limits gk_cbor_default_limits = {
	.max_input = 64 * 1024,
	.max_depth = 16,
	.max_items = 4096,
	.max_str_len = 16 * 1024,
	.allow_indefinite = false,
};

enum gk_frame_kind { GK_FRAME_ARRAY, GK_FRAME_MAP, GK_FRAME_TAG };

/* One open container or tag: its children are attached only once complete. */
struct gk_frame {
	cbor_item_t *item;
	cbor_item_t *key; /* map key waiting for its value */
	size_t left;	  /* definite: children still to come, keys and values counted */
	enum gk_frame_kind kind;
	bool indef;
};

struct gk_dec {
	const struct gk_cbor_limits *lim;
	struct gk_frame *stack;
	size_t sp;
	size_t items;
	size_t avail; /* input bytes after the current head */
	cbor_item_t *root;
	int err;
};

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool gk_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t extra;
		uint8_t lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			extra = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (n - i <= extra)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= extra; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += extra + 1;
	}
	return true;
}

/* Every head counts as one item; checked before anything is allocated for it. */
static bool gk_dec_count(struct gk_dec *d)
{
	if (d->err)
		return false;
	if (d->items >= d->lim->max_items) {
		d->err = -GK_EITEMS;
		return false;
	}
	d->items++;
	return true;
}

/* A map key's deterministic encoding, for duplicate detection. */
struct gk_key {
	const uint8_t *p;
	size_t n;
};

static int gk_key_cmp(const void *a, const void *b)
{
	const struct gk_key *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	if (c)
		return c;
	return (x->n > y->n) - (x->n < y->n);
}

/* Keys are equal when their deterministic encodings are: sort them and compare neighbours. */
static int gk_map_check_dups(const cbor_item_t *map)
{
	struct cbor_pair *pairs = cbor_map_handle(map);
	size_t n = cbor_map_size(map), *ends;
	struct gk_key *keys;
	struct gk_enc e;
	int err = 0;

	if (n < 2)
		return 0;
	keys = calloc(n, sizeof(*keys));
	ends = calloc(n, sizeof(*ends));
	if (!keys || !ends) {
		err = -ENOMEM;
		goto out_free;
	}
	gk_enc_init(&e);
	for (size_t i = 0; i < n; i++) {
		gk_enc_item(&e, pairs[i].key);
		ends[i] = e.len;
	}
	err = e.err;
	if (err)
		goto out_enc;
	for (size_t i = 0; i < n; i++) {
		size_t start = i ? ends[i - 1] : 0;

		keys[i].p = e.buf + start;
		keys[i].n = ends[i] - start;
	}
	qsort(keys, n, sizeof(*keys), gk_key_cmp);
	for (size_t i = 1; i < n; i++) {
		if (!gk_key_cmp(&keys[i - 1], &keys[i])) {
			err = -GK_EDUPKEY;
			break;
		}
	}
out_enc:
	gk_enc_free(&e);
out_free:
	free(ends);
	free(keys);
	return err;
}

/* Hand a complete child (our reference) to the open frame; false when it failed. */
static bool gk_frame_add(struct gk_dec *d, struct gk_frame *f, cbor_item_t *item)
{
	bool ok = true;

	switch (f->kind) {
	case GK_FRAME_ARRAY:
		ok = cbor_array_push(f->item, item);
		cbor_decref(&item);
		break;
	case GK_FRAME_MAP:
		if (!f->key) {
			f->key = item;
			break;
		}
		ok = cbor_map_add(f->item, (struct cbor_pair){ .key = f->key, .value = item });
		/* cbor_decref() clears the pointer only when it frees. */
		cbor_decref(&f->key);
		f->key = NULL;
		cbor_decref(&item);
		break;
	case GK_FRAME_TAG:
		cbor_tag_set_item(f->item, item);
		cbor_decref(&item);
		break;
	}
	if (!ok) {
		d->err = -ENOMEM;
		return false;
	}
	if (!f->indef)
		f->left--;
	return true;
}

/* Close the top frame: its item, or NULL (d->err set) when a map has a duplicate key. */
static cbor_item_t *gk_dec_pop(struct gk_dec *d)
{
	struct gk_frame *f = &d->stack[--d->sp];
	cbor_item_t *item = f->item;
	int err;

	f->item = NULL;
	if (f->kind != GK_FRAME_MAP)
		return item;
	err = gk_map_check_dups(item);
	if (!err)
		return item;
	cbor_decref(&item);
	d->err = err;
	return NULL;
}

/* A complete item: attach it, then close every definite frame it completes. */
static void gk_dec_attach(struct gk_dec *d, cbor_item_t *item)
{
	for (;;) {
		struct gk_frame *f;

		if (!d->sp) {
			d->root = item;
			return;
		}
		f = &d->stack[d->sp - 1];
		if (!gk_frame_add(d, f, item))
			return;
		if (f->indef || f->left)
			return;
		item = gk_dec_pop(d);
		if (!item)
			return;
	}
}

static void gk_dec_leaf(struct gk_dec *d, cbor_item_t *item)
{
	if (!item) {
		d->err = -ENOMEM;
		return;
	}
	gk_dec_attach(d, item);
}

/* A scalar: counted, then built. */
#define GK_DEC_SCALAR(d, build)                \
	do {                                   \
		if (gk_dec_count(d))           \
			gk_dec_leaf(d, build); \
	} while (0)

static void gk_dec_open(struct gk_dec *d, cbor_item_t *item, enum gk_frame_kind kind, size_t left,
			bool indef)
{
	if (!item) {
		d->err = -ENOMEM;
		return;
	}
	if (!indef && !left) {
		gk_dec_attach(d, item);
		return;
	}
	d->stack[d->sp++] =
		(struct gk_frame){ .item = item, .kind = kind, .left = left, .indef = indef };
}

/* Containers and tags open a level; the frame stack has max_depth slots. */
static bool gk_dec_level(struct gk_dec *d)
{
	if (!gk_dec_count(d))
		return false;
	if (d->sp >= d->lim->max_depth) {
		d->err = -GK_EDEPTH;
		return false;
	}
	return true;
}

static void gk_cb_uint8(void *ctx, uint8_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_uint8(v));
}

static void gk_cb_uint16(void *ctx, uint16_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_uint16(v));
}

static void gk_cb_uint32(void *ctx, uint32_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_uint32(v));
}

static void gk_cb_uint64(void *ctx, uint64_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_uint64(v));
}

static void gk_cb_negint8(void *ctx, uint8_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_negint8(v));
}

static void gk_cb_negint16(void *ctx, uint16_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_negint16(v));
}

static void gk_cb_negint32(void *ctx, uint32_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_negint32(v));
}

static void gk_cb_negint64(void *ctx, uint64_t v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_negint64(v));
}

static void gk_cb_bstr(void *ctx, cbor_data p, size_t n)
{
	struct gk_dec *d = ctx;

	if (!gk_dec_count(d))
		return;
	if (n > d->lim->max_str_len) {
		d->err = -GK_ELENGTH;
		return;
	}
	gk_dec_leaf(d, cbor_build_bytestring(p, n));
}

static void gk_cb_tstr(void *ctx, cbor_data p, size_t n)
{
	struct gk_dec *d = ctx;

	if (!gk_dec_count(d))
		return;
	if (n > d->lim->max_str_len) {
		d->err = -GK_ELENGTH;
		return;
	}
	if (!gk_utf8_valid(p, n)) {
		d->err = -GK_EMALFORMED;
		return;
	}
	gk_dec_leaf(d, cbor_build_stringn((const char *)p, n));
}

static void gk_cb_indef_string(void *ctx)
{
	struct gk_dec *d = ctx;

	if (!d->err)
		d->err = -GK_EINDEFINITE;
}

static void gk_cb_array(void *ctx, size_t n)
{
	struct gk_dec *d = ctx;

	if (!gk_dec_level(d))
		return;
	if (n > d->lim->max_items) {
		d->err = -GK_ELENGTH;
		return;
	}
	if (n > d->avail) {
		d->err = -GK_ETRUNCATED;
		return;
	}
	gk_dec_open(d, cbor_new_definite_array(n), GK_FRAME_ARRAY, n, false);
}

static void gk_cb_map(void *ctx, size_t n)
{
	struct gk_dec *d = ctx;

	if (!gk_dec_level(d))
		return;
	if (n > d->lim->max_items / 2) {
		d->err = -GK_ELENGTH;
		return;
	}
	if (n > d->avail / 2) {
		d->err = -GK_ETRUNCATED;
		return;
	}
	gk_dec_open(d, cbor_new_definite_map(n), GK_FRAME_MAP, 2 * n, false);
}

static void gk_cb_indef_array(void *ctx)
{
	struct gk_dec *d = ctx;

	if (!gk_dec_level(d))
		return;
	if (!d->lim->allow_indefinite) {
		d->err = -GK_EINDEFINITE;
		return;
	}
	gk_dec_open(d, cbor_new_indefinite_array(), GK_FRAME_ARRAY, 0, true);
}

static void gk_cb_indef_map(void *ctx)
{
	struct gk_dec *d = ctx;

	if (!gk_dec_level(d))
		return;
	if (!d->lim->allow_indefinite) {
		d->err = -GK_EINDEFINITE;
		return;
	}
	gk_dec_open(d, cbor_new_indefinite_map(), GK_FRAME_MAP, 0, true);
}

static void gk_cb_tag(void *ctx, uint64_t tag)
{
	struct gk_dec *d = ctx;

	if (!gk_dec_level(d))
		return;
	gk_dec_open(d, cbor_new_tag(tag), GK_FRAME_TAG, 1, false);
}

static void gk_cb_float2(void *ctx, float v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_float2(v));
}

static void gk_cb_float4(void *ctx, float v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_float4(v));
}

static void gk_cb_float8(void *ctx, double v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_float8(v));
}

static void gk_cb_undef(void *ctx)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_new_undef());
}

static void gk_cb_null(void *ctx)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_new_null());
}

static void gk_cb_bool(void *ctx, bool v)
{
	GK_DEC_SCALAR((struct gk_dec *)ctx, cbor_build_bool(v));
}

/* A break closes an indefinite container, and only one with no key left waiting. */
static void gk_cb_break(void *ctx)
{
	struct gk_dec *d = ctx;
	struct gk_frame *f;
	cbor_item_t *item;

	if (d->err)
		return;
	f = d->sp ? &d->stack[d->sp - 1] : NULL;
	if (!f || !f->indef || f->key) {
		d->err = -GK_EMALFORMED;
		return;
	}
	item = gk_dec_pop(d);
	if (item)
		gk_dec_attach(d, item);
}

/* Wired by what cbor_stream_decode() calls; libcbor 0.8 swaps some of these fields' comments. */
static const struct cbor_callbacks gk_dec_callbacks = {
	.uint8 = gk_cb_uint8,
	.uint16 = gk_cb_uint16,
	.uint32 = gk_cb_uint32,
	.uint64 = gk_cb_uint64,
	.negint8 = gk_cb_negint8,
	.negint16 = gk_cb_negint16,
	.negint32 = gk_cb_negint32,
	.negint64 = gk_cb_negint64,
	.byte_string_start = gk_cb_indef_string,
	.byte_string = gk_cb_bstr,
	.string = gk_cb_tstr,
	.string_start = gk_cb_indef_string,
	.indef_array_start = gk_cb_indef_array,
	.array_start = gk_cb_array,
	.indef_map_start = gk_cb_indef_map,
	.map_start = gk_cb_map,
	.tag = gk_cb_tag,
	.float2 = gk_cb_float2,
	.float4 = gk_cb_float4,
	.float8 = gk_cb_float8,
	.undefined = gk_cb_undef,
	.null = gk_cb_null,
	.boolean = gk_cb_bool,
	.indef_break = gk_cb_break,
};

/* Length of the head starting with ib (initial byte plus its argument). */
static size_t gk_head_len(uint8_t ib)
{
	uint8_t ai = ib & 0x1f;

	if (ai < 24 || ai > 27)
		return 1;
	return 1 + ((size_t)1 << (ai - 24));
}

/* One head (and a definite string's content); returns bytes consumed, 0 on error. */
static size_t gk_dec_step(struct gk_dec *d, const uint8_t *p, size_t n)
{
	struct cbor_decoder_result res;
	size_t head = gk_head_len(p[0]);

	d->avail = n > head ? n - head : 0;
	/* libcbor 0.8 refuses these one-byte tag heads; they are ordinary tags 6..20. */
	if (p[0] >= 0xc6 && p[0] <= 0xd4) {
		gk_cb_tag(d, p[0] - 0xc0);
		return d->err ? 0 : 1;
	}
	res = cbor_stream_decode(p, n, &gk_dec_callbacks, d);
	if (d->err)
		return 0;
	switch (res.status) {
	case CBOR_DECODER_FINISHED:
		return res.read;
	case CBOR_DECODER_NEDATA:
		d->err = -GK_ETRUNCATED;
		return 0;
	case CBOR_DECODER_ERROR:
		break;
	}
	d->err = -GK_EMALFORMED;
	return 0;
}

static void gk_dec_release(struct gk_dec *d)
{
	while (d->sp) {
		struct gk_frame *f = &d->stack[--d->sp];

		if (f->key)
			cbor_decref(&f->key);
		cbor_decref(&f->item);
	}
	if (d->root)
		cbor_decref(&d->root);
}

int gk_cbor_decode(const uint8_t *buf, size_t len, const struct gk_cbor_limits *limits,
		   cbor_item_t **out)
{
	struct gk_dec d = { .lim = limits ? limits : &gk_cbor_default_limits };
	size_t off = 0, slots;
	int err;

	if (!out || (!buf && len))
		return -EINVAL;
	*out = NULL;
	if (len > d.lim->max_input)
		return -GK_ELENGTH;
	if (!d.lim->max_depth)
		return -GK_EDEPTH;
	/* Each level takes at least one byte, so the input bounds the stack too. */
	slots = d.lim->max_depth < len ? d.lim->max_depth : len;
	d.stack = calloc(slots ? slots : 1, sizeof(*d.stack));
	if (!d.stack)
		return -ENOMEM;
	while (!d.root && off < len) {
		size_t used = gk_dec_step(&d, buf + off, len - off);

		if (!used)
			break;
		off += used;
	}
	err = d.err;
	if (!err && !d.root)
		err = -GK_ETRUNCATED;
	if (!err && off < len)
		err = -GK_ETRAILING;
	if (!err) {
		*out = d.root;
		d.root = NULL;
	}
	gk_dec_release(&d);
	free(d.stack);
	return err;
}

int gk_cbor_get_uint(const cbor_item_t *it, uint64_t *v)
{
	if (!it)
		return -GK_EMISSING;
	if (!cbor_isa_uint(it))
		return -GK_ETYPE;
	*v = cbor_get_int(it);
	return 0;
}

int gk_cbor_get_int(const cbor_item_t *it, int64_t *v)
{
	uint64_t u;

	if (!it)
		return -GK_EMISSING;
	if (!cbor_isa_uint(it) && !cbor_isa_negint(it))
		return -GK_ETYPE;
	u = cbor_get_int(it);
	if (u > INT64_MAX)
		return -GK_ETYPE;
	/* A negint n means -1 - n; with n <= INT64_MAX that is >= INT64_MIN. */
	*v = cbor_isa_uint(it) ? (int64_t)u : -1 - (int64_t)u;
	return 0;
}

int gk_cbor_get_bstr(const cbor_item_t *it, const uint8_t **p, size_t *n)
{
	if (!it)
		return -GK_EMISSING;
	if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return -GK_ETYPE;
	*p = cbor_bytestring_handle(it);
	*n = cbor_bytestring_length(it);
	return 0;
}

int gk_cbor_get_tstr(const cbor_item_t *it, const char **p, size_t *n)
{
	if (!it)
		return -GK_EMISSING;
	if (!cbor_isa_string(it) || !cbor_string_is_definite(it))
		return -GK_ETYPE;
	*p = (const char *)cbor_string_handle(it);
	*n = cbor_string_length(it);
	return 0;
}

/* libcbor's cbor_is_bool()/cbor_is_null() assert when handed a float. */
static bool gk_is_ctrl(const cbor_item_t *it)
{
	return cbor_isa_float_ctrl(it) && cbor_float_ctrl_is_ctrl(it);
}

int gk_cbor_get_bool(const cbor_item_t *it, bool *v)
{
	if (!it)
		return -GK_EMISSING;
	if (!gk_is_ctrl(it) || !cbor_is_bool(it))
		return -GK_ETYPE;
	*v = cbor_get_bool(it);
	return 0;
}

bool gk_cbor_is_null(const cbor_item_t *it)
{
	return it && gk_is_ctrl(it) && cbor_is_null(it);
}

cbor_item_t *gk_cbor_tag_item(const cbor_item_t *it)
{
	if (!it || !cbor_isa_tag(it))
		return NULL;
	return it->metadata.tag_metadata.tagged_item;
}

/* Integer keys match by value whatever width they were sent in. */
static bool gk_key_is_int(const cbor_item_t *k, int64_t key)
{
	if (key >= 0)
		return cbor_isa_uint(k) && cbor_get_int(k) == (uint64_t)key;
	return cbor_isa_negint(k) && cbor_get_int(k) == (uint64_t)(-1 - key);
}

cbor_item_t *gk_cbor_map_get_int(const cbor_item_t *map, int64_t key)
{
	struct cbor_pair *p;
	size_t n;

	if (!map || !cbor_isa_map(map))
		return NULL;
	p = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (size_t i = 0; i < n; i++)
		if (gk_key_is_int(p[i].key, key))
			return p[i].value;
	return NULL;
}

cbor_item_t *gk_cbor_map_get_str(const cbor_item_t *map, const char *key)
{
	size_t klen, n;
	struct cbor_pair *p;

	if (!map || !key || !cbor_isa_map(map))
		return NULL;
	klen = strlen(key);
	p = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t sn;

		if (gk_cbor_get_tstr(p[i].key, &s, &sn))
			continue;
		if (sn == klen && !memcmp(s, key, klen))
			return p[i].value;
	}
	return NULL;
}

int gk_cbor_dup_tstr(const cbor_item_t *it, char **out)
{
	const char *s;
	size_t n;
	char *copy;
	int err;

	err = gk_cbor_get_tstr(it, &s, &n);
	if (err)
		return err;
	if (memchr(s, '\0', n))
		return -GK_ETYPE;
	copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, n);
	copy[n] = '\0';
	*out = copy;
	return 0;
}
