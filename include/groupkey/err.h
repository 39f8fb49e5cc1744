/* SPDX-License-Identifier: BSD-3-Clause */
/* Error codes: negative errno for system failures, GK_E* for protocol-level reasons. */
#ifndef GROUPKEY_ERR_H
#define GROUPKEY_ERR_H

/*
 * Every function of the core library returns 0 on success and a negative
 * value on failure: either a negative errno (-ENOMEM, -EINVAL, -EIO, ...)
 * or one of the codes below, which name the precise reason a piece of
 * network input was refused. The codes start far above the errno range
 * so the two never collide; gk_strerror() names both.
 */
enum gk_err {
	GK_EBASE = 4096,
	/* CBOR decoding (strict decoder) */
	GK_EMALFORMED,	   /* not well-formed CBOR, or reserved/unsupported encoding */
	GK_ETRUNCATED,	   /* input ends inside an item */
	GK_ETRAILING,	   /* bytes after the top-level item */
	GK_EDEPTH,	   /* nesting deeper than the limit */
	GK_EITEMS,	   /* more items than the limit */
	GK_ELENGTH,	   /* string/array/map longer than the limit, or input too large */
	GK_EINDEFINITE,	   /* indefinite length where it is not allowed */
	GK_EDUPKEY,	   /* duplicate map key */
	GK_ETYPE,	   /* item of the wrong major type or value out of range */
	GK_EMISSING,	   /* a required field is absent */
	/* COSE */
	GK_EALG,	   /* algorithm unknown, unsupported or not allowed for the key */
	GK_EKEY,	   /* key malformed, of the wrong type or no matching key */
	GK_EBADMAC,	   /* MAC tag does not verify */
	GK_EBADSIG,	   /* signature does not verify */
	GK_EDECRYPT,	   /* AEAD decryption/authentication failed */
	GK_ECOSE,	   /* COSE structure malformed */
	/* CWT validation */
	GK_EEXPIRED,	   /* exp claim in the past */
	GK_ENOTYETVALID,   /* nbf claim in the future */
	GK_EAUDIENCE,	   /* aud does not name us */
	GK_EISSUER,	   /* iss not trusted */
	GK_ECLAIM,	   /* a claim has the wrong type */
	GK_EMAX,
};

/* Static description of err (negative); never NULL. */
const char *gk_strerror(int err);

/* Short stable identifier ("bad_mac", "expired", ...) for JSON output and logs. */
const char *gk_errname(int err);

#endif
