// SPDX-License-Identifier: BSD-3-Clause
/* RFC 9594 §3.1 scopes: AIF and textual entries, strict decoding, deterministic encoding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/err.h"
#include "groupkey/scope.h"

static const char *const gk_role_names[GK_ROLE_MAX + 1] = {
	[GK_ROLE_SENDER] = "sender",
	[GK_ROLE_RECEIVER] = "receiver",
	[GK_ROLE_MONITOR] = "monitor",
};

/*
 * A scope is small: GK_SCOPE_MAX entries of a name and at most
 * GK_ROLE_MAX role names. Tight limits make the strict decoder refuse
 * anything bigger before libcbor allocates for it. Depth 3 is
 * scope -> entry -> textual role array.
 */
static const struct gk_cbor_limits gk_scope_limits = {
	.max_input = 2048,
	.max_depth = 3,
	.max_items = 1 + GK_SCOPE_MAX * (3 + GK_ROLE_MAX),
	.max_str_len = GK_GROUP_NAME_MAX,
};

/* One entry alone (the Join request's scope): depth 2 is entry -> textual role array. */
static const struct gk_cbor_limits gk_entry_limits = {
	.max_input = 256,
	.max_depth = 2,
	.max_items = 3 + GK_ROLE_MAX,
	.max_str_len = GK_GROUP_NAME_MAX,
};

static bool gk_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool gk_group_name_valid(const char *name, size_t len)
{
	if (!name || !len || len > GK_GROUP_NAME_MAX)
		return false;
	/* "." and ".." would change the meaning of /ace-group/GROUPNAME. */
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!gk_name_char_ok(name[i]))
			return false;
	return true;
}

int gk_role_from_name(const char *name, size_t len)
{
	for (int r = 1; r <= GK_ROLE_MAX; r++)
		if (strlen(gk_role_names[r]) == len && !memcmp(gk_role_names[r], name, len))
			return r;
	return -EINVAL;
}

const char *gk_role_name(int role)
{
	if (role < 1 || role > GK_ROLE_MAX)
		return NULL;
	return gk_role_names[role];
}

int gk_roles_format(uint32_t roles, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (roles & ~GK_ROLES_ALL)
		return -EINVAL;
	for (int r = 1; r <= GK_ROLE_MAX; r++) {
		int n;

		if (!(roles & GK_ROLE_BIT(r)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", gk_role_names[r]);
		if (n < 0 || (size_t)n >= len - used) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		used += (size_t)n;
	}
	return 0;
}

static int gk_roles_from_tperm(const cbor_item_t *it, uint32_t *roles)
{
	uint64_t v;

	if (gk_cbor_get_uint(it, &v))
		return -GK_ETYPE;
	/* Bit 0 is unused, so Tperm 1 is as meaningless as 0 (RFC 9594 Figure 3). */
	if (!v || (v & ~(uint64_t)GK_ROLES_ALL))
		return -GK_ETYPE;
	*roles = (uint32_t)v;
	return 0;
}

static int gk_role_bit_from_item(const cbor_item_t *it, uint32_t *bit)
{
	const char *s;
	size_t n;
	int r;

	if (gk_cbor_get_tstr(it, &s, &n))
		return -GK_ETYPE;
	r = gk_role_from_name(s, n);
	if (r < 0)
		return -GK_ETYPE;
	*bit = GK_ROLE_BIT(r);
	return 0;
}

/* role / [2*role] (RFC 9594 Figure 4); a role named twice is refused, not merged. */
static int gk_roles_from_text(const cbor_item_t *it, uint32_t *roles)
{
	uint32_t bit;
	size_t n;
	int err;

	if (!cbor_isa_array(it))
		return gk_role_bit_from_item(it, roles);
	n = cbor_array_size(it);
	if (n < 2)
		return -GK_ETYPE;
	*roles = 0;
	for (size_t i = 0; i < n; i++) {
		err = gk_role_bit_from_item(cbor_array_handle(it)[i], &bit);
		if (err)
			return err;
		if (*roles & bit)
			return -GK_ETYPE;
		*roles |= bit;
	}
	return 0;
}

/*
 * [gname, Tperm] or [gname, role / [2*role]]. The textual form lets the
 * role be absent; a member without a role has nothing to do in our
 * profile, so that is refused like Tperm 0. *textual reports the form.
 */
static int gk_entry_from_item(const cbor_item_t *it, struct gk_scope_entry *e, bool *textual)
{
	const cbor_item_t *name, *perm;
	const char *s;
	size_t n;

	if (!cbor_isa_array(it) || cbor_array_size(it) != 2)
		return -GK_ETYPE;
	name = cbor_array_handle(it)[0];
	perm = cbor_array_handle(it)[1];
	if (gk_cbor_get_tstr(name, &s, &n) || !gk_group_name_valid(s, n))
		return -GK_ETYPE;
	memcpy(e->group, s, n);
	e->group[n] = '\0';
	*textual = !cbor_isa_uint(perm);
	if (*textual)
		return gk_roles_from_text(perm, &e->roles);
	return gk_roles_from_tperm(perm, &e->roles);
}

static int gk_scope_from_item(const cbor_item_t *it, struct gk_scope *s)
{
	size_t n;
	int err;

	if (!cbor_isa_array(it))
		return -GK_ETYPE;
	n = cbor_array_size(it);
	if (!n)
		return -GK_EMISSING;
	if (n > GK_SCOPE_MAX)
		return -GK_ELENGTH;
	for (size_t i = 0; i < n; i++) {
		struct gk_scope_entry *e = &s->e[i];
		bool textual;

		err = gk_entry_from_item(cbor_array_handle(it)[i], e, &textual);
		if (err)
			return err;
		/* One scope, one form (RFC 9594 §3.1). */
		if (i && textual != s->textual)
			return -GK_ETYPE;
		s->textual = textual;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->e[j].group, e->group))
				return -GK_EDUPKEY;
		s->n = i + 1;
	}
	return 0;
}

int gk_scope_decode(const uint8_t *buf, size_t len, struct gk_scope *s)
{
	cbor_item_t *root;
	int err;

	*s = (struct gk_scope){ 0 };
	err = gk_cbor_decode(buf, len, &gk_scope_limits, &root);
	if (err)
		return err;
	err = gk_scope_from_item(root, s);
	cbor_decref(&root);
	if (err)
		*s = (struct gk_scope){ 0 };
	return err;
}

int gk_scope_entry_decode(const uint8_t *buf, size_t len, struct gk_scope_entry *e, bool *textual)
{
	cbor_item_t *root;
	bool text = false;
	int err;

	*e = (struct gk_scope_entry){ 0 };
	err = gk_cbor_decode(buf, len, &gk_entry_limits, &root);
	if (err)
		return err;
	err = gk_entry_from_item(root, e, &text);
	cbor_decref(&root);
	if (err)
		*e = (struct gk_scope_entry){ 0 };
	else if (textual)
		*textual = text;
	return err;
}

static unsigned gk_popcount(uint32_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* One role as a text string, several as an array in role order (deterministic). */
static int gk_roles_encode_text(struct gk_enc *e, uint32_t roles)
{
	unsigned n = gk_popcount(roles);

	if (n > 1)
		gk_enc_array(e, n);
	for (int r = 1; r <= GK_ROLE_MAX; r++)
		if (roles & GK_ROLE_BIT(r))
			gk_enc_tstr(e, gk_role_names[r]);
	return e->err;
}

int gk_scope_entry_encode(struct gk_enc *e, const struct gk_scope_entry *en, bool textual)
{
	size_t len = strnlen(en->group, sizeof(en->group));

	if (e->err)
		return e->err;
	if (!gk_group_name_valid(en->group, len) || !en->roles || (en->roles & ~GK_ROLES_ALL)) {
		e->err = -EINVAL;
		return e->err;
	}
	gk_enc_array(e, 2);
	gk_enc_tstrn(e, en->group, len);
	if (textual)
		return gk_roles_encode_text(e, en->roles);
	return gk_enc_uint(e, en->roles);
}

int gk_scope_encode(struct gk_enc *e, const struct gk_scope *s)
{
	if (e->err)
		return e->err;
	if (!s->n || s->n > GK_SCOPE_MAX) {
		e->err = -EINVAL;
		return e->err;
	}
	gk_enc_array(e, s->n);
	for (size_t i = 0; i < s->n; i++)
		gk_scope_entry_encode(e, &s->e[i], s->textual);
	return e->err;
}

int gk_scope_encode_buf(const struct gk_scope *s, uint8_t **out, size_t *len)
{
	struct gk_enc e;

	gk_enc_init(&e);
	gk_scope_encode(&e, s);
	return gk_enc_finish(&e, out, len);
}

/* "sender,receiver" -> bitmap; empty items and repeated roles are mistakes, not no-ops. */
static int gk_roles_parse(const char *p, uint32_t *roles)
{
	*roles = 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int r = gk_role_from_name(p, n);

		if (r < 0 || (*roles & GK_ROLE_BIT(r)))
			return -EINVAL;
		*roles |= GK_ROLE_BIT(r);
		if (!end)
			return 0;
		p = end + 1;
	}
}

int gk_scope_parse_arg(const char *arg, struct gk_scope *s)
{
	struct gk_scope_entry e = { 0 };
	const char *colon = strchr(arg, ':');
	size_t n;
	int err;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - arg);
	if (!gk_group_name_valid(arg, n))
		return -EINVAL;
	memcpy(e.group, arg, n);
	e.group[n] = '\0';
	err = gk_roles_parse(colon + 1, &e.roles);
	if (err)
		return err;
	if (gk_scope_find(s, e.group))
		return -EEXIST;
	if (s->n >= GK_SCOPE_MAX)
		return -E2BIG;
	s->e[s->n++] = e;
	return 0;
}

const struct gk_scope_entry *gk_scope_find(const struct gk_scope *s, const char *group)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].group, group))
			return &s->e[i];
	return NULL;
}
