// SPDX-License-Identifier: BSD-3-Clause
/* JSON rendering of decoded CBOR trees for the CLI's diagnostic output. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/cbor.h"

struct gk_json {
	FILE *f;
	int indent;
};

static void gk_json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

static void gk_json_hex(FILE *f, const uint8_t *p, size_t n)
{
	fputs("\"h'", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputs("'\"", f);
}

static void gk_json_newline(const struct gk_json *j, unsigned level)
{
	if (!j->indent)
		return;
	fputc('\n', j->f);
	fprintf(j->f, "%*s", (int)(level * (unsigned)j->indent), "");
}

/* -1 - n for a negint; n = UINT64_MAX is one past what uint64_t holds. */
static void gk_json_negint(FILE *f, uint64_t n)
{
	if (n == UINT64_MAX)
		fputs("-18446744073709551616", f);
	else
		fprintf(f, "-%" PRIu64, n + 1);
}

/* Fewest digits that read back as the same double. */
static void gk_json_float(FILE *f, double d)
{
	char buf[40];

	if (isnan(d)) {
		fputs("\"NaN\"", f);
		return;
	}
	if (isinf(d)) {
		fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	fputs(buf, f);
}

static void gk_json_item(const struct gk_json *j, const cbor_item_t *it, unsigned level);

/* Chunked text only comes from caller-built trees: join it through a memory stream. */
static void gk_json_chunked_text(FILE *f, const cbor_item_t *it)
{
	char *joined = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&joined, &n);

	if (!m) {
		fputs("\"\"", f);
		return;
	}
	for (size_t i = 0; i < cbor_string_chunk_count(it); i++) {
		const cbor_item_t *c = cbor_string_chunks_handle(it)[i];

		fwrite(cbor_string_handle(c), 1, cbor_string_length(c), m);
	}
	fclose(m);
	gk_json_string(f, joined ? joined : "", joined ? n : 0);
	free(joined);
}

static void gk_json_strings(FILE *f, const cbor_item_t *it)
{
	if (cbor_isa_bytestring(it)) {
		if (cbor_bytestring_is_definite(it)) {
			gk_json_hex(f, cbor_bytestring_handle(it), cbor_bytestring_length(it));
			return;
		}
		fputs("\"h'", f);
		for (size_t i = 0; i < cbor_bytestring_chunk_count(it); i++) {
			const cbor_item_t *c = cbor_bytestring_chunks_handle(it)[i];

			for (size_t k = 0; k < cbor_bytestring_length(c); k++)
				fprintf(f, "%02x", cbor_bytestring_handle(c)[k]);
		}
		fputs("'\"", f);
		return;
	}
	if (cbor_string_is_definite(it)) {
		gk_json_string(f, (const char *)cbor_string_handle(it), cbor_string_length(it));
		return;
	}
	gk_json_chunked_text(f, it);
}

/* JSON object keys must be strings: render other keys compactly, then quote that. */
static void gk_json_key(const struct gk_json *j, const cbor_item_t *key)
{
	struct gk_json compact = { .indent = 0 };
	char *text = NULL;
	size_t n = 0;

	if (cbor_isa_string(key) || cbor_isa_bytestring(key)) {
		gk_json_strings(j->f, key);
		return;
	}
	if (cbor_isa_uint(key)) {
		fprintf(j->f, "\"%" PRIu64 "\"", cbor_get_int(key));
		return;
	}
	if (cbor_isa_negint(key)) {
		fputc('"', j->f);
		gk_json_negint(j->f, cbor_get_int(key));
		fputc('"', j->f);
		return;
	}
	compact.f = open_memstream(&text, &n);
	if (!compact.f) {
		fputs("\"\"", j->f);
		return;
	}
	gk_json_item(&compact, key, 0);
	fclose(compact.f);
	gk_json_string(j->f, text ? text : "", text ? n : 0);
	free(text);
}

static void gk_json_array(const struct gk_json *j, const cbor_item_t *it, unsigned level)
{
	cbor_item_t **v = cbor_array_handle(it);
	size_t n = cbor_array_size(it);

	fputc('[', j->f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', j->f);
		gk_json_newline(j, level + 1);
		gk_json_item(j, v[i], level + 1);
	}
	if (n)
		gk_json_newline(j, level);
	fputc(']', j->f);
}

static void gk_json_map(const struct gk_json *j, const cbor_item_t *it, unsigned level)
{
	struct cbor_pair *p = cbor_map_handle(it);
	size_t n = cbor_map_size(it);

	fputc('{', j->f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', j->f);
		gk_json_newline(j, level + 1);
		gk_json_key(j, p[i].key);
		fputs(j->indent ? ": " : ":", j->f);
		gk_json_item(j, p[i].value, level + 1);
	}
	if (n)
		gk_json_newline(j, level);
	fputc('}', j->f);
}

static void gk_json_tag(const struct gk_json *j, const cbor_item_t *it, unsigned level)
{
	const char *sep = j->indent ? ": " : ":";

	fputc('{', j->f);
	gk_json_newline(j, level + 1);
	fprintf(j->f, "\"tag\"%s%" PRIu64 ",", sep, cbor_tag_value(it));
	gk_json_newline(j, level + 1);
	fprintf(j->f, "\"value\"%s", sep);
	gk_json_item(j, gk_cbor_tag_item(it), level + 1);
	gk_json_newline(j, level);
	fputc('}', j->f);
}

static void gk_json_ctrl(FILE *f, const cbor_item_t *it)
{
	if (cbor_float_get_width(it) != CBOR_FLOAT_0)
		gk_json_float(f, cbor_float_get_float(it));
	else if (cbor_is_bool(it))
		fputs(cbor_get_bool(it) ? "true" : "false", f);
	else
		fputs("null", f); /* null, and undefined which JSON lacks */
}

static void gk_json_item(const struct gk_json *j, const cbor_item_t *it, unsigned level)
{
	if (!it) {
		fputs("null", j->f);
		return;
	}
	switch (cbor_typeof(it)) {
	case CBOR_TYPE_UINT:
		fprintf(j->f, "%" PRIu64, cbor_get_int(it));
		break;
	case CBOR_TYPE_NEGINT:
		gk_json_negint(j->f, cbor_get_int(it));
		break;
	case CBOR_TYPE_BYTESTRING:
	case CBOR_TYPE_STRING:
		gk_json_strings(j->f, it);
		break;
	case CBOR_TYPE_ARRAY:
		gk_json_array(j, it, level);
		break;
	case CBOR_TYPE_MAP:
		gk_json_map(j, it, level);
		break;
	case CBOR_TYPE_TAG:
		gk_json_tag(j, it, level);
		break;
	case CBOR_TYPE_FLOAT_CTRL:
		gk_json_ctrl(j->f, it);
		break;
	}
}

int gk_cbor_print_json(FILE *f, const cbor_item_t *item, int indent)
{
	struct gk_json j = { .f = f, .indent = indent };

	if (!f || !item || indent < 0 || indent > 16)
		return -EINVAL;
	gk_json_item(&j, item, 0);
	return ferror(f) ? -EIO : 0;
}
