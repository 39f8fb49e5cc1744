/* SPDX-License-Identifier: BSD-3-Clause */
/* CBOR on libcbor: a deterministic encoder and a strict, bounded decoder for network input. */
#ifndef GROUPKEY_CBOR_H
#define GROUPKEY_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cbor.h>

/*
 * Encoder
 *
 * Writes preferred (shortest-form) serialization as RFC 8949 §4.2.1 asks,
 * definite lengths only. Map key order is the caller's: emit keys in the
 * deterministic order (bytewise lexicographic of their encodings, which for
 * small integer keys is 0,1,2,...,23,24,...,-1,-2,...).
 *
 * Errors are sticky: after the first failure every call is a no-op and
 * returns the same error, so a message can be built without checking each
 * call and the result checked once with gk_enc_finish() or e->err.
 */
struct gk_enc {
	uint8_t *buf;
	size_t len;
	size_t cap;
	int err;
	bool fixed; /* buf is caller-owned and must not grow */
};

void gk_enc_init(struct gk_enc *e);				    /* growable, heap */
void gk_enc_init_fixed(struct gk_enc *e, uint8_t *buf, size_t cap); /* -ENOSPC when full */
/* Wipes and frees a growable buffer; a fixed buffer is left to its owner untouched. */
void gk_enc_free(struct gk_enc *e);

int gk_enc_uint(struct gk_enc *e, uint64_t v);
int gk_enc_int(struct gk_enc *e, int64_t v);
int gk_enc_bstr(struct gk_enc *e, const void *p, size_t n);
int gk_enc_tstr(struct gk_enc *e, const char *s);
int gk_enc_tstrn(struct gk_enc *e, const char *s, size_t n);
int gk_enc_array(struct gk_enc *e, size_t n);
int gk_enc_map(struct gk_enc *e, size_t n);
int gk_enc_tag(struct gk_enc *e, uint64_t tag);
int gk_enc_bool(struct gk_enc *e, bool v);
int gk_enc_null(struct gk_enc *e);
int gk_enc_raw(struct gk_enc *e, const void *p, size_t n); /* an already encoded item */
/*
 * Serialize a decoded tree deterministically: definite lengths (chunked
 * strings are joined), shortest ints, floats in the shortest width that
 * keeps the value (NaN as f97e00). Map entries keep the tree's order.
 */
int gk_enc_item(struct gk_enc *e, const cbor_item_t *item);

/*
 * Hands the buffer to the caller and resets e. Returns e->err; on error
 * *out is NULL and a growable buffer is freed. A growable buffer is
 * malloc'd (free() it; non-NULL even when empty); a fixed one is the
 * caller's own buffer.
 */
int gk_enc_finish(struct gk_enc *e, uint8_t **out, size_t *out_len);

/*
 * Strict decoder
 *
 * Everything that comes from the network, a file or a command line goes
 * through gk_cbor_decode(). Before libcbor builds a tree, a streaming pass
 * enforces the limits, so a hostile input cannot make us allocate more than
 * its own size allows. Refused, each with its own code (err.h):
 *   not well-formed, reserved additional info, simple values 24..31 encoded
 *   in two bytes (GK_EMALFORMED); input ending inside an item
 *   (GK_ETRUNCATED); bytes after the item (GK_ETRAILING); nesting deeper
 *   than max_depth (GK_EDEPTH); more than max_items items in all
 *   (GK_EITEMS); a string longer than max_str_len, an array/map announcing
 *   more than max_items entries or input over max_input bytes (GK_ELENGTH);
 *   indefinite-length strings always and indefinite arrays/maps unless
 *   allow_indefinite (GK_EINDEFINITE); duplicate keys in any map
 *   (GK_EDUPKEY); invalid UTF-8 in text strings (GK_EMALFORMED).
 *
 * Details:
 * - Simple values: false, true, null and undefined are accepted; every
 *   other simple value (e0..f3, f8 xx) is GK_EMALFORMED, libcbor has no
 *   item for them. Floats (half, single, double) are accepted as
 *   well-formed but no accessor returns them.
 * - Integers and lengths need not be in shortest form; duplicate keys are
 *   found by comparing the keys' deterministic re-encodings, so 1 and
 *   0x1801 are the same key while 1 and "1" are not.
 * - Depth: every array, map and tag opens a level; a scalar at the top is
 *   depth 1, [1] is depth 1, [[1]] and 1([1]) are depth 2.
 * - Items: every head counts once (containers, tags, keys, values, scalars).
 * - A definite array/map is refused before anything is allocated for it:
 *   GK_ELENGTH when it announces more than max_items entries (a map of n
 *   pairs announces 2n), GK_ETRUNCATED when the rest of the input is too
 *   short to hold that many entries. An empty input is GK_ETRUNCATED.
 * - libcbor 0.8 refuses tags 6..20 in their one-byte form (0xc6..0xd4,
 *   COSE_Encrypt0/Mac0/Sign1 among them); the decoder reads those heads
 *   itself and builds the tree with its own callbacks, not cbor_load().
 */
struct gk_cbor_limits {
	size_t max_input;      /* bytes */
	unsigned max_depth;    /* 1 = a scalar or a flat container */
	size_t max_items;      /* data items in all, keys and values counted */
	size_t max_str_len;    /* bytes in one byte or text string */
	bool allow_indefinite; /* arrays and maps only */
};

/* Defaults for protocol messages: 64 KiB, depth 16, 4096 items, 16 KiB strings. */
extern const struct gk_cbor_limits gk_cbor_default_limits;

/* limits may be NULL for the defaults. On success *out is owned by the caller (cbor_decref). */
int gk_cbor_decode(const uint8_t *buf, size_t len, const struct gk_cbor_limits *limits,
		   cbor_item_t **out);

/*
 * Accessors: 0, -GK_ETYPE (wrong major type / out of range) or -GK_EMISSING
 * when it is NULL (so a map lookup can be passed straight in). Pointers
 * borrow from the item.
 */
int gk_cbor_get_uint(const cbor_item_t *it, uint64_t *v);
int gk_cbor_get_int(const cbor_item_t *it, int64_t *v); /* major type 0 or 1, fits int64 */
int gk_cbor_get_bstr(const cbor_item_t *it, const uint8_t **p, size_t *n);
int gk_cbor_get_tstr(const cbor_item_t *it, const char **p, size_t *n); /* not NUL-terminated */
int gk_cbor_get_bool(const cbor_item_t *it, bool *v);
bool gk_cbor_is_null(const cbor_item_t *it);
/* Borrowed content of a tag, NULL if it is not a tag (cbor_tag_item() takes a reference). */
cbor_item_t *gk_cbor_tag_item(const cbor_item_t *it);

/* Map lookup; NULL when absent or when map is not a map. */
cbor_item_t *gk_cbor_map_get_int(const cbor_item_t *map, int64_t key);
cbor_item_t *gk_cbor_map_get_str(const cbor_item_t *map, const char *key);

/* Copy a text string into a fresh NUL-terminated heap string; -GK_ETYPE if it has a NUL. */
int gk_cbor_dup_tstr(const cbor_item_t *it, char **out);

/*
 * Diagnostic output as JSON (for `groupkey ... decode`): byte strings as
 * "h'hex'", tags as {"tag": N, "value": ...}, non-text map keys as strings
 * (ints in decimal, byte strings as h'hex', others as their compact JSON),
 * undefined as null, NaN/Infinity as strings. indent (0..16) is the number
 * of spaces per level; 0 prints everything on one line without spaces. No
 * trailing newline. Returns 0, -EINVAL or -EIO when the stream fails.
 */
int gk_cbor_print_json(FILE *f, const cbor_item_t *item, int indent);

#endif
