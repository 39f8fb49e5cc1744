// SPDX-License-Identifier: BSD-3-Clause
/* CBOR to JSON for the CLI's output, with claim, cnf and COSE_Key labels named and secrets redacted. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "groupkey/util.h"

struct label_name {
	int64_t label;
	const char *name;
	enum cli_labels child; /* how to label a map found under this key */
	bool secret;	       /* redact unless --show-secrets */
};

#define L(l, n) { .label = (l), .name = (n) }
#define L_CHILD(l, n, c) { .label = (l), .name = (n), .child = (c) }
#define L_SECRET(l, n) { .label = (l), .name = (n), .secret = true }
#define L_END { .name = NULL }

static const struct label_name claim_names[] = {
	L(1, "iss"),	L(2, "sub"),   L(3, "aud"), L(4, "exp"), L(5, "nbf"),
	L(6, "iat"),	L(7, "cti"),   L_CHILD(8, "cnf", CLI_LABELS_CNF),
	L(9, "scope"),	L(38, "ace_profile"), L(39, "cnonce"), L(40, "exi"), L_END,
};

static const struct label_name cnf_names[] = {
	L_CHILD(1, "COSE_Key", CLI_LABELS_COSE_KEY), L(2, "Encrypted_COSE_Key"), L(3, "kid"), L_END,
};

/* COSE_Key labels (RFC 9052 §7.1, RFC 9053 §7); -1 is k for Symmetric and crv for EC2. */
static const struct label_name key_names[] = {
	L(1, "kty"), L(2, "kid"), L(3, "alg"), L(4, "key_ops"), L(5, "Base IV"),
	L(-2, "x"),  L(-3, "y"),  L_SECRET(-4, "d"), L_END,
};

static const struct label_name header_names[] = {
	L(1, "alg"), L(2, "crit"), L(3, "content type"), L(4, "kid"), L(5, "IV"),
	L(6, "Partial IV"), L_END,
};

json_t *cli_bstr_json(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 4);
	json_t *j;

	if (!s)
		return NULL;
	s[0] = 'h';
	s[1] = '\'';
	gk_hex_encode(p, n, s + 2);
	strcat(s, "'");
	j = json_string(s);
	free(s);
	return j;
}

int cli_json_bstr(const json_t *v, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(v);

	if (!s)
		return -EINVAL;
	return gk_hex_decode(s, strlen(s), out, len);
}

static const struct label_name *label_table(enum cli_labels labels)
{
	switch (labels) {
	case CLI_LABELS_CLAIMS:
		return claim_names;
	case CLI_LABELS_CNF:
		return cnf_names;
	case CLI_LABELS_COSE_KEY:
		return key_names;
	case CLI_LABELS_HEADER:
		return header_names;
	default:
		return NULL;
	}
}

/* Name of an integer map key in this context; k/crv share -1 so kty decides. */
static const struct label_name *find_label(enum cli_labels labels, int64_t key, bool symmetric)
{
	static const struct label_name sym_k = L_SECRET(-1, "k");
	static const struct label_name ec_crv = L(-1, "crv");
	const struct label_name *t = label_table(labels);

	if (labels == CLI_LABELS_COSE_KEY && key == -1)
		return symmetric ? &sym_k : &ec_crv;
	for (; t && t->name; t++)
		if (t->label == key)
			return t;
	return NULL;
}

static json_t *secret_json(const struct cli_ctx *ctx, const cbor_item_t *it)
{
	char buf[64];

	if (ctx->show_secrets)
		return cli_cbor_to_json(ctx, it, CLI_LABELS_NONE);
	snprintf(buf, sizeof(buf), "(redacted, %zu bytes)",
		 cbor_isa_bytestring(it) ? cbor_bytestring_length(it) : (size_t)0);
	return json_string(buf);
}

static json_t *map_to_json(const struct cli_ctx *ctx, const cbor_item_t *it, enum cli_labels labels)
{
	struct cbor_pair *pairs = cbor_map_handle(it);
	size_t n = cbor_map_size(it);
	bool symmetric = false;
	json_t *o = json_object();
	cbor_item_t *kty = gk_cbor_map_get_int(it, 1);
	uint64_t v;

	if (labels == CLI_LABELS_COSE_KEY && kty && !gk_cbor_get_uint(kty, &v))
		symmetric = v == 4;
	for (size_t i = 0; o && i < n; i++) {
		const struct label_name *ln = NULL;
		char keybuf[32];
		const char *key;
		int64_t k;
		json_t *val;

		if (!gk_cbor_get_int(pairs[i].key, &k))
			ln = find_label(labels, k, symmetric);
		if (ln) {
			key = ln->name;
		} else if (!gk_cbor_get_int(pairs[i].key, &k)) {
			snprintf(keybuf, sizeof(keybuf), "%" PRId64, k);
			key = keybuf;
		} else if (cbor_isa_string(pairs[i].key) && cbor_string_is_definite(pairs[i].key)) {
			snprintf(keybuf, sizeof(keybuf), "%.*s",
				 (int)cbor_string_length(pairs[i].key),
				 (const char *)cbor_string_handle(pairs[i].key));
			key = keybuf;
		} else {
			key = "(non-scalar key)";
		}
		if (ln && ln->secret)
			val = secret_json(ctx, pairs[i].value);
		else
			val = cli_cbor_to_json(ctx, pairs[i].value, ln ? ln->child : CLI_LABELS_NONE);
		json_object_set_new(o, key, val ? val : json_null());
	}
	return o;
}

json_t *cli_cbor_to_json(const struct cli_ctx *ctx, const cbor_item_t *it, enum cli_labels labels)
{
	const uint8_t *p;
	const char *s;
	size_t n;
	int64_t i;
	bool b;

	if (!gk_cbor_get_int(it, &i))
		return json_integer(i);
	if (!gk_cbor_get_bstr(it, &p, &n))
		return cli_bstr_json(p, n);
	if (!gk_cbor_get_tstr(it, &s, &n))
		return json_stringn(s, n);
	if (!gk_cbor_get_bool(it, &b))
		return json_boolean(b);
	if (gk_cbor_is_null(it))
		return json_null();
	if (cbor_isa_array(it)) {
		json_t *a = json_array();

		for (size_t k = 0; a && k < cbor_array_size(it); k++)
			json_array_append_new(a, cli_cbor_to_json(ctx, cbor_array_handle(it)[k],
								  CLI_LABELS_NONE));
		return a;
	}
	if (cbor_isa_map(it))
		return map_to_json(ctx, it, labels);
	if (cbor_isa_tag(it)) {
		cbor_item_t *inner = cbor_tag_item(it);
		json_t *o = json_pack("{s:I,s:o}", "tag", (json_int_t)cbor_tag_value(it), "value",
				      cli_cbor_to_json(ctx, inner, labels));

		cbor_decref(&inner);
		return o;
	}
	if (cbor_isa_uint(it) || cbor_isa_negint(it))
		return json_string("(integer out of range)");
	return json_string("(unsupported CBOR item)");
}
