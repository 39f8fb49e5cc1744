// SPDX-License-Identifier: BSD-3-Clause
/* Names and descriptions for GK_E* protocol codes, with errno as the fallback. */
#include <limits.h>
#include <string.h>

#include "groupkey/err.h"

struct gk_err_desc {
	const char *name;
	const char *desc;
};

static const struct gk_err_desc gk_err_table[GK_EMAX - GK_EBASE] = {
	[GK_EMALFORMED - GK_EBASE] = { "malformed", "malformed CBOR" },
	[GK_ETRUNCATED - GK_EBASE] = { "truncated", "CBOR input truncated" },
	[GK_ETRAILING - GK_EBASE] = { "trailing", "trailing bytes after CBOR item" },
	[GK_EDEPTH - GK_EBASE] = { "depth", "CBOR nesting too deep" },
	[GK_EITEMS - GK_EBASE] = { "items", "too many CBOR items" },
	[GK_ELENGTH - GK_EBASE] = { "length", "CBOR string, container or input too long" },
	[GK_EINDEFINITE - GK_EBASE] = { "indefinite", "indefinite-length CBOR not allowed" },
	[GK_EDUPKEY - GK_EBASE] = { "dup_key", "duplicate map key" },
	[GK_ETYPE - GK_EBASE] = { "type", "wrong type or value out of range" },
	[GK_EMISSING - GK_EBASE] = { "missing", "required field missing" },
	[GK_EALG - GK_EBASE] = { "alg", "algorithm unknown or not allowed" },
	[GK_EKEY - GK_EBASE] = { "key", "key malformed, wrong type or not found" },
	[GK_EBADMAC - GK_EBASE] = { "bad_mac", "MAC does not verify" },
	[GK_EBADSIG - GK_EBASE] = { "bad_sig", "signature does not verify" },
	[GK_EDECRYPT - GK_EBASE] = { "decrypt", "decryption failed" },
	[GK_ECOSE - GK_EBASE] = { "cose", "malformed COSE structure" },
	[GK_EEXPIRED - GK_EBASE] = { "expired", "token expired" },
	[GK_ENOTYETVALID - GK_EBASE] = { "not_yet_valid", "token not yet valid" },
	[GK_EAUDIENCE - GK_EBASE] = { "audience", "audience does not match" },
	[GK_EISSUER - GK_EBASE] = { "issuer", "issuer not trusted" },
	[GK_ECLAIM - GK_EBASE] = { "claim", "claim of the wrong type" },
};

/* The table entry for a protocol code, NULL for anything else. */
static const struct gk_err_desc *gk_err_lookup(int code)
{
	const struct gk_err_desc *d;

	if (code <= GK_EBASE || code >= GK_EMAX)
		return NULL;
	d = &gk_err_table[code - GK_EBASE];
	return d->name ? d : NULL;
}

/* Callers pass the negative return value; tolerate the positive form too. */
static int gk_err_code(int err)
{
	if (err == INT_MIN)
		return INT_MAX; /* no such code either way */
	return err < 0 ? -err : err;
}

const char *gk_strerror(int err)
{
	int code = gk_err_code(err);
	const struct gk_err_desc *d = gk_err_lookup(code);
	const char *s;

	if (d)
		return d->desc;
	if (!code)
		return "success";
	/* strerrordesc_np() returns static text, unlike strerror()'s "Unknown error N" buffer. */
	s = strerrordesc_np(code);
	return s ? s : "unknown error";
}

const char *gk_errname(int err)
{
	int code = gk_err_code(err);
	const struct gk_err_desc *d = gk_err_lookup(code);
	const char *s;

	if (d)
		return d->name;
	if (!code)
		return "ok";
	s = strerrorname_np(code);
	return s ? s : "unknown";
}
