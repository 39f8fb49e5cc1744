/* SPDX-License-Identifier: BSD-3-Clause */
/* ACE groupcomm scope (RFC 9594 §3.1): AIF entries [group, role bitmap] and the textual form. */
#ifndef GROUPKEY_SCOPE_H
#define GROUPKEY_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/cbor.h"

/*
 * Roles of our application profile (docs/profile.md). As in RFC 9594's
 * AIF example, role r is bit (1 << r) of the Tperm bitmap and bit 0 is
 * unused, so "sender+receiver" is 6.
 */
enum gk_role {
	GK_ROLE_SENDER = 1,
	GK_ROLE_RECEIVER = 2,
	GK_ROLE_MONITOR = 3,
	GK_ROLE_MAX = 3,
};
#define GK_ROLE_BIT(r) (1u << (r))
#define GK_ROLES_ALL (GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_RECEIVER) | \
		      GK_ROLE_BIT(GK_ROLE_MONITOR))

#define GK_GROUP_NAME_MAX 64 /* bytes, without NUL; [A-Za-z0-9._-] only (a URI path segment) */
#define GK_SCOPE_MAX 8	     /* entries in one scope */

struct gk_scope_entry {
	char group[GK_GROUP_NAME_MAX + 1];
	uint32_t roles; /* bitmap of GK_ROLE_BIT() */
};

struct gk_scope {
	struct gk_scope_entry e[GK_SCOPE_MAX];
	size_t n;
	bool textual; /* entries were (or are to be) in the textual role form */
};

/* Group names are path segments: 1..64 of [A-Za-z0-9._-], not "." or "..". */
bool gk_group_name_valid(const char *name, size_t len);

/* "sender" -> GK_ROLE_SENDER; -EINVAL for anything else. */
int gk_role_from_name(const char *name, size_t len);
/* NULL for a number that is no role. */
const char *gk_role_name(int role);
/* "sender,receiver" style list of a bitmap into buf ("" for 0); -EINVAL unknown bits, -ENOSPC. */
int gk_roles_format(uint32_t roles, char *buf, size_t len);

/*
 * Decode the content of a scope byte string (the CBOR array of entries).
 * Each entry is [tstr group, uint Tperm] (AIF) or [tstr group, tstr role /
 * [2* tstr role]] (textual); one scope uses one form. Refused: a bad shape,
 * an unknown role name or bit (bit 0 included), Tperm 0, a textual entry
 * without a role or naming a role twice, an invalid group name, mixed forms
 * (-GK_ETYPE); a repeated group (-GK_EDUPKEY); no entry (-GK_EMISSING);
 * more than GK_SCOPE_MAX entries (-GK_ELENGTH); CBOR errors of the strict
 * decoder (tight limits: 2 KiB, depth 3). On failure *s is empty.
 */
int gk_scope_decode(const uint8_t *buf, size_t len, struct gk_scope *s);
/*
 * One scope entry alone, as RFC 9594 §4.3.1 puts it in the Join request's
 * scope (3) byte string, e.g. h'826667726f7570316673656e646572' =
 * ["group1", "sender"]. Same rules as one entry of gk_scope_decode();
 * *textual (may be NULL) tells the form.
 */
int gk_scope_entry_decode(const uint8_t *buf, size_t len, struct gk_scope_entry *e, bool *textual);
/*
 * Encode the CBOR array (the byte string's content, not the bstr header).
 * Textual roles: one role as a tstr, several as an array in role order.
 * -EINVAL for an empty scope, an invalid name, no role or unknown bits.
 */
int gk_scope_encode(struct gk_enc *e, const struct gk_scope *s);
/* One entry (the Join request form), AIF or textual. */
int gk_scope_entry_encode(struct gk_enc *e, const struct gk_scope_entry *en, bool textual);
/* Convenience: encode into a heap buffer. */
int gk_scope_encode_buf(const struct gk_scope *s, uint8_t **out, size_t *len);
/*
 * Command-line form "GROUP:ROLE[,ROLE]" (one entry), appended to s.
 * -EINVAL for bad syntax, an invalid name, an unknown or repeated role;
 * -EEXIST when s already has GROUP; -E2BIG when s is full.
 */
int gk_scope_parse_arg(const char *arg, struct gk_scope *s);

/* The entry for group, or NULL. */
const struct gk_scope_entry *gk_scope_find(const struct gk_scope *s, const char *group);

#endif
