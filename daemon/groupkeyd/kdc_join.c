// SPDX-License-Identifier: BSD-3-Clause
/* The KDC's membership changes: Join (RFC 9594 §4.3.1), key renewal, leave, credential update. */

/*
 * Join, in this order (the first failing check answers):
 *   no payload, not a map, a known parameter of the wrong type, no cnonce,
 *   a cnonce longer than 32 bytes, a scope that is no single scope entry
 *   or names another group, a malformed get_creds, a control_uri that is
 *   not a coap/coaps URI or has the path /ace-group/G: 4.00;
 *   roles beyond the token's scope entry or the group's roles: 4.03;
 *   sender together with monitor: 4.00 (docs/profile.md REQ1);
 *   client_cred present: no N_S for the token -> 4.00 ct 261 {30: N_S};
 *   a credential we cannot use -> 4.00 error 2; no client_cred_verify ->
 *   4.00; a PoP that does not verify -> 4.00 error 3;
 *   no client_cred and none stored from an earlier Join while the group
 *   requires one: 4.00; group full or no free sender id: 5.03 error 4.
 * Without scope, the roles are those of the token's entry for the group
 * and the PoP input uses that entry as a Join scope would carry it (AIF
 * or textual like the token). The member row, the sender id counter and
 * the rekey mark (rekey_on_join, new members only) are one transaction;
 * the KDC's own PoP is computed before it, so a committed Join is never
 * answered 5.00 for want of a signature.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kdc_int.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

struct join_ctx {
	struct kdc_group *g;
	cbor_item_t *root;
	/* the request */
	const uint8_t *scope;
	size_t scope_len;
	bool get_creds;
	struct kdc_filter filter;
	const uint8_t *cred, *cnonce, *pop;
	size_t cred_len, cnonce_len, pop_len;
	const char *uri;
	size_t uri_len;
	/* what it becomes */
	uint32_t roles;
	bool rejoin;
	struct gkd_member_rec m;
	struct gk_cose_key key;
	struct gk_enc stored;
	uint8_t n_kdc[GK_GC_NONCE_LEN], sig[KDC_SIG_LEN];
	struct gkd_group_rec next;
};

static void fire_removed(struct gkd_kdc *kdc, const char *group, const char *node, int reason)
{
	if (kdc->ev.member_removed)
		kdc->ev.member_removed(kdc->ev.arg, group, node, reason);
}

/* An optional byte string: false when present with another type. */
static bool opt_bstr(const cbor_item_t *map, int64_t key, const uint8_t **p, size_t *n)
{
	const cbor_item_t *it = gk_cbor_map_get_int(map, key);

	*p = NULL;
	*n = 0;
	return !it || !gk_cbor_get_bstr(it, p, n);
}

/* coap:// or coaps://, printable, and not the group resource itself (RFC 9594 §4.3.1). */
static bool control_uri_ok(const char *u, size_t n, const char *group)
{
	char own[GK_GROUP_NAME_MAX + 16];
	const char *rest, *path;
	size_t skip;

	if (!n || n > GKD_CONTROL_URI_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return false;
	if (n > 7 && !strncmp(u, "coap://", 7))
		skip = 7;
	else if (n > 8 && !strncmp(u, "coaps://", 8))
		skip = 8;
	else
		return false;
	rest = u + skip;
	path = memchr(rest, '/', n - skip);
	if (path == rest)
		return false; /* no host */
	if (!path)
		return true;
	snprintf(own, sizeof(own), "/ace-group/%s", group);
	return !((size_t)(u + n - path) == strlen(own) && !memcmp(path, own, strlen(own)));
}

/* The parameters; a detail for the 4.00 or NULL. */
static const char *join_parse(struct join_ctx *j)
{
	const cbor_item_t *gc, *uri;

	if (!opt_bstr(j->root, GK_GC_SCOPE, &j->scope, &j->scope_len) ||
	    !opt_bstr(j->root, GK_GC_CLIENT_CRED, &j->cred, &j->cred_len) ||
	    !opt_bstr(j->root, GK_GC_CNONCE, &j->cnonce, &j->cnonce_len) ||
	    !opt_bstr(j->root, GK_GC_CLIENT_CRED_VERIFY, &j->pop, &j->pop_len))
		return "scope, client_cred, cnonce and client_cred_verify are byte strings";
	if (!j->cnonce || !j->cnonce_len)
		return "cnonce is required";
	if (j->cnonce_len > GKD_NONCE_MAX)
		return "cnonce is longer than 32 bytes";
	gc = gk_cbor_map_get_int(j->root, GK_GC_GET_CREDS);
	j->get_creds = gc != NULL;
	if (gc && kdc_filter_parse(gc, true, &j->filter))
		return "get_creds must be null or [true, [role...], []]";
	uri = gk_cbor_map_get_int(j->root, GK_GC_CONTROL_URI);
	if (uri && (gk_cbor_get_tstr(uri, &j->uri, &j->uri_len) ||
		    !control_uri_ok(j->uri, j->uri_len, j->g->conf->name)))
		return "control_uri must be a coap or coaps URI other than /ace-group/GROUPNAME";
	return NULL;
}

/* Roles asked for, and the scope entry bytes of the PoP input: 0, or 1 with rep set. */
static int join_roles(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct join_ctx *j,
		      struct gkd_reply *rep)
{
	const struct gk_scope_entry *granted = gk_scope_find(&req->tok->scope, j->g->conf->name);
	const uint32_t combo = GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_MONITOR);
	struct gk_scope_entry e;
	struct gk_enc enc;

	if (j->scope) {
		if (j->scope_len > sizeof(j->m.scope) ||
		    gk_scope_entry_decode(j->scope, j->scope_len, &e, NULL))
			return kdc_refuse(rep, GKD_BAD_REQUEST, -1, "scope is no scope entry");
		if (strcmp(e.group, j->g->conf->name))
			return kdc_refuse(rep, GKD_BAD_REQUEST, -1, "scope names another group");
		memcpy(j->m.scope, j->scope, j->scope_len);
		j->m.scope_len = j->scope_len;
	} else {
		e = *granted;
		gk_enc_init_fixed(&enc, j->m.scope, sizeof(j->m.scope));
		if (gk_scope_entry_encode(&enc, &e, req->tok->scope.textual))
			return kdc_internal(rep, enc.err ? enc.err : -EINVAL, "default scope");
		j->m.scope_len = enc.len;
	}
	j->roles = e.roles;
	if ((e.roles & ~granted->roles) || (e.roles & ~j->g->conf->roles))
		return kdc_refuse(rep, GKD_FORBIDDEN, -1, "roles beyond those granted");
	if ((e.roles & combo) == combo)
		return kdc_refuse(rep, GKD_BAD_REQUEST, -1,
				  "monitor may not be combined with sender");
	return 0;
}

int kdc_challenge(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		  uint8_t *ns, size_t *ns_len)
{
	struct gkd_token_rec *rec = malloc(sizeof(*rec));
	int err;

	if (!rec)
		return kdc_internal(rep, -ENOMEM, "N_S");
	err = gkd_store_token_get(kdc->store, req->tok->kid, req->tok->kid_len, rec);
	if (err == -ENOENT) {
		/* Purged between the access check and now: as if it had expired. */
		free(rec);
		gkd_reply_status(rep, GKD_UNAUTHORIZED);
		return 1;
	}
	if (!err && rec->ns_len) {
		memcpy(ns, rec->ns, rec->ns_len);
		*ns_len = rec->ns_len;
		free(rec);
		return 0;
	}
	if (!err)
		err = gk_random(kdc->rng, rec->ns, GK_GC_NONCE_LEN);
	rec->ns_len = GK_GC_NONCE_LEN;
	if (!err)
		err = gkd_store_token_put(kdc->store, rec);
	if (!err) {
		gkd_reply_status(rep, GKD_BAD_REQUEST);
		rep->content_format = GKD_CF_ACE_GROUPCOMM;
		gk_enc_map(&rep->body, 1);
		gk_enc_uint(&rep->body, GK_GC_KDCCHALLENGE);
		err = gk_enc_bstr(&rep->body, rec->ns, rec->ns_len);
	}
	free(rec);
	return err ? kdc_internal(rep, err, "N_S") : 1;
}

/*
 * client_cred with its PoP over scope (the member's scope entry): 0 with
 * *key and *stored filled, 1 with rep set, -errno.
 */
static int check_cred(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		      const uint8_t *cred, size_t cred_len, const uint8_t *pop, size_t pop_len,
		      const uint8_t *cnonce, size_t cnonce_len, const struct gkd_member_rec *m,
		      struct gk_cose_key *key, struct gk_enc *stored)
{
	uint8_t ns[GKD_NONCE_MAX];
	size_t ns_len = 0;
	int err = kdc_challenge(kdc, req, rep, ns, &ns_len);

	if (err)
		return err;
	err = kdc_cred_parse(cred, cred_len, key, stored);
	if (!err && stored->len > GKD_CRED_MAX)
		err = -GK_EKEY;
	if (err == -GK_EKEY)
		return kdc_refuse(rep, GKD_BAD_REQUEST, GK_GC_ERR_BAD_CRED,
				  "client_cred must be an EC2 P-256 public key (COSE_Key or CCS)");
	if (err)
		return kdc_internal(rep, err, "client_cred");
	if (!pop)
		return kdc_refuse(rep, GKD_BAD_REQUEST, -1, "client_cred_verify is required");
	err = kdc_pop_verify(key, m->scope, m->scope_len, ns, ns_len, cnonce, cnonce_len, pop,
			     pop_len);
	if (err == -GK_EBADSIG)
		return kdc_refuse(rep, GKD_BAD_REQUEST, GK_GC_ERR_BAD_POP,
				  "client_cred_verify does not verify");
	return err ? kdc_internal(rep, err, "PoP verification") : 0;
}

/* The member as the Join leaves it, before the transaction. 0, 1 (rep set), -errno. */
static int join_member(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct join_ctx *j,
		       struct gkd_reply *rep)
{
	struct gkd_member_rec *old = malloc(sizeof(*old));
	int err;

	if (!old)
		return kdc_internal(rep, -ENOMEM, "join");
	err = gkd_store_member_get_by_kid(kdc->store, j->g->rec.name, req->tok->kid,
					  req->tok->kid_len, old);
	j->rejoin = !err;
	if (err && err != -ENOENT) {
		free(old);
		return kdc_internal(rep, err, "member lookup");
	}
	if (j->rejoin) {
		memcpy(j->m.node, old->node, sizeof(j->m.node));
		j->m.sender_id = old->sender_id;
		j->m.joined_num = old->joined_num;
		memcpy(j->m.cred, old->cred, old->cred_len);
		j->m.cred_len = old->cred_len;
		memcpy(j->m.control_uri, old->control_uri, sizeof(j->m.control_uri));
	}
	gk_wipe(old, sizeof(*old));
	free(old);
	snprintf(j->m.group, sizeof(j->m.group), "%s", j->g->rec.name);
	memcpy(j->m.kid, req->tok->kid, req->tok->kid_len);
	j->m.kid_len = req->tok->kid_len;
	j->m.roles = j->roles;
	memcpy(j->m.cnonce, j->cnonce, j->cnonce_len);
	j->m.cnonce_len = j->cnonce_len;
	if (j->uri)
		snprintf(j->m.control_uri, sizeof(j->m.control_uri), "%.*s", (int)j->uri_len,
			 j->uri);
	if (j->cred) {
		err = check_cred(kdc, req, rep, j->cred, j->cred_len, j->pop, j->pop_len, j->cnonce,
				 j->cnonce_len, &j->m, &j->key, &j->stored);
		if (err)
			return err;
		memcpy(j->m.cred, j->stored.buf, j->stored.len);
		j->m.cred_len = j->stored.len;
	} else if (!j->m.cred_len && j->g->conf->require_cred) {
		return kdc_refuse(rep, GKD_BAD_REQUEST, -1,
				  "the group requires a credential (client_cred)");
	}
	return 0;
}

/* The transaction: 0, -ENOSPC (full), -errno. */
static int join_commit(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct join_ctx *j)
{
	unsigned count = 0;
	int err;

	j->next = j->g->rec;
	err = kdc_tx_begin(kdc);
	if (err)
		return err;
	if (!j->rejoin) {
		err = gkd_store_member_count(kdc->store, j->next.name, &count);
		if (!err && count >= j->g->conf->max_members)
			err = -ENOSPC;
		if (!err)
			err = kdc_sid_alloc(kdc, &j->next, req->now_ms / 1000, &j->m.sender_id);
		if (!err) {
			kdc_node_name(j->m.sender_id, j->m.node);
			j->m.joined_num = j->next.num;
			if (j->g->conf->rekey_on_join)
				kdc_mark_due(&j->next, req->now_ms);
		}
	}
	if (!err)
		err = gkd_store_member_put(kdc->store, &j->m);
	if (!err)
		err = gkd_store_group_put(kdc->store, &j->next);
	err = kdc_tx_end(kdc, err);
	if (!err)
		j->g->rec = j->next;
	return err;
}

static int join_answer(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct join_ctx *j,
		       struct gkd_reply *rep)
{
	struct gk_enc *e = &rep->body;
	size_t n;
	int err = 0;

	gkd_reply_status(rep, j->rejoin ? GKD_CHANGED : GKD_CREATED);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	gk_enc_map(e, 12 + (j->get_creds ? 3 : 0));
	kdc_enc_keying(e, j->g, req->now_ms);
	if (j->get_creds)
		err = kdc_enc_creds(kdc, j->g, &j->filter, req->tok->scope.textual, e, &n);
	kdc_enc_policies(e, j->g);
	gk_enc_uint(e, GK_GC_KDC_CRED);
	gk_enc_bstr(e, kdc->cred, kdc->cred_len);
	gk_enc_uint(e, GK_GC_KDC_NONCE);
	gk_enc_bstr(e, j->n_kdc, sizeof(j->n_kdc));
	gk_enc_uint(e, GK_GC_KDC_CRED_VERIFY);
	gk_enc_bstr(e, j->sig, sizeof(j->sig));
	gk_enc_uint(e, GK_GC_REKEYING_SCHEME);
	gk_enc_uint(e, GK_GC_REKEYING_POINT_TO_POINT);
	gk_enc_int(e, GK_GC_SENDER_ID);
	gk_enc_uint(e, j->m.sender_id);
	if (!err)
		err = e->err;
	if (err)
		return kdc_internal(rep, err, "Join Response");
	snprintf(rep->location, sizeof(rep->location), "ace-group/%s/nodes/%s", j->g->rec.name,
		 j->m.node);
	pr_info("kdc: group %s: %s %s (sender id %u)", j->g->rec.name,
		j->rejoin ? "re-join of" : "new member", j->m.node, j->m.sender_id);
	return 0;
}

static int join_run(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct join_ctx *j,
		    struct gkd_reply *rep)
{
	const char *bad;
	int err;

	bad = join_parse(j);
	if (bad)
		return kdc_problem(rep, GKD_BAD_REQUEST, -1, bad);
	err = join_roles(kdc, req, j, rep);
	if (!err)
		err = join_member(kdc, req, j, rep);
	if (err)
		return err < 0 ? err : 0;
	err = kdc_pop_sign(kdc, j->cnonce, j->cnonce_len, j->n_kdc, j->sig);
	if (err)
		return kdc_internal(rep, err, "KDC PoP");
	err = join_commit(kdc, req, j);
	if (err == -ENOSPC)
		return kdc_problem(rep, GKD_SERVICE_UNAVAILABLE, GK_GC_ERR_NO_KEYING_MATERIAL,
				   "the group is full or has no free sender id");
	if (err)
		return kdc_internal(rep, err, "join transaction");
	return join_answer(kdc, req, j, rep);
}

int gkd_kdc_join(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	struct join_ctx *j;
	struct kdc_group *g;
	int err;

	if (kdc_prologue(kdc, req, rep, &g))
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j)
		return kdc_internal(rep, -ENOMEM, "join");
	j->g = g;
	gk_enc_init(&j->stored);
	err = kdc_body(kdc, req, rep, &j->root);
	if (!err)
		err = join_run(kdc, req, j, rep);
	if (j->root)
		cbor_decref(&j->root);
	gk_enc_free(&j->stored);
	gk_wipe(j, sizeof(*j));
	free(j);
	return err < 0 ? err : 0;
}

/* --- nodes/NODENAME ---------------------------------------------------------- */

/* Prologue plus "this node is the requester's": 0 with *g and *m, 1 with rep set, -errno. */
static int own_node(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		    struct kdc_group **g, struct gkd_member_rec *m)
{
	if (kdc_prologue(kdc, req, rep, g))
		return 1;
	return kdc_member(kdc, *g, req, req->route.node, m, rep);
}

static int renew_commit(struct gkd_kdc *kdc, struct kdc_group *g, struct gkd_member_rec *m,
			int64_t now_ms)
{
	struct gkd_group_rec next = g->rec;
	uint32_t old = m->sender_id;
	int err = kdc_tx_begin(kdc);

	if (err)
		return err;
	err = kdc_sid_alloc(kdc, &next, now_ms / 1000, &m->sender_id);
	if (!err)
		err = gkd_store_sid_reserve(kdc->store, next.name, old, next.num);
	if (!err)
		err = gkd_store_member_put(kdc->store, m);
	if (!err)
		err = gkd_store_group_put(kdc->store, &next);
	err = kdc_tx_end(kdc, err);
	if (!err)
		g->rec = next;
	gk_wipe(&next, sizeof(next));
	return err;
}

/* POST (or PUT) nodes/N: a new sender id for a member that sends (docs/profile.md REQ27). */
int kdc_renew(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	struct gkd_member_rec *m = malloc(sizeof(*m));
	struct kdc_group *g;
	int err;

	if (!m)
		return kdc_internal(rep, -ENOMEM, "renewal");
	err = own_node(kdc, req, rep, &g, m);
	if (err)
		goto out;
	if (!(m->roles & GK_ROLE_BIT(GK_ROLE_SENDER))) {
		err = kdc_problem(rep, GKD_BAD_REQUEST, GK_GC_ERR_ROLES,
				  "only members with the sender role renew their sender id");
		goto out;
	}
	err = renew_commit(kdc, g, m, req->now_ms);
	if (err == -ENOSPC) {
		err = kdc_problem(rep, GKD_SERVICE_UNAVAILABLE, GK_GC_ERR_NO_KEYING_MATERIAL,
				  "no free sender id");
		goto out;
	}
	if (err) {
		err = kdc_internal(rep, err, "renewal transaction");
		goto out;
	}
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	gk_enc_map(&rep->body, 1);
	gk_enc_int(&rep->body, GK_GC_SENDER_ID);
	gk_enc_uint(&rep->body, m->sender_id);
	if (rep->body.err)
		err = kdc_internal(rep, rep->body.err, "renewal");
out:
	gk_wipe(m, sizeof(*m));
	free(m);
	return err < 0 ? err : 0;
}

/* DELETE nodes/N (RFC 9594 §4.8.3, §5): 2.02, then the removal's rekey mark. */
int kdc_leave(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	struct gkd_member_rec *m = malloc(sizeof(*m));
	struct gkd_group_rec next;
	struct kdc_group *g;
	int err;

	if (!m)
		return kdc_internal(rep, -ENOMEM, "leave");
	err = own_node(kdc, req, rep, &g, m);
	if (err)
		goto out;
	next = g->rec;
	err = kdc_tx_begin(kdc);
	if (!err) {
		err = kdc_remove_locked(kdc, g, &next, m->node, req->now_ms);
		if (!err)
			err = gkd_store_group_put(kdc->store, &next);
		err = kdc_tx_end(kdc, err);
	}
	if (!err)
		g->rec = next;
	gk_wipe(&next, sizeof(next));
	if (err) {
		err = kdc_internal(rep, err, "leave transaction");
		goto out;
	}
	pr_info("kdc: group %s: %s left", g->rec.name, m->node);
	gkd_reply_status(rep, GKD_DELETED);
	fire_removed(kdc, g->rec.name, m->node, GKD_KDC_LEFT);
out:
	gk_wipe(m, sizeof(*m));
	free(m);
	return err < 0 ? err : 0;
}

/* --- nodes/NODENAME/cred ------------------------------------------------------- */

struct cred_ctx {
	struct gkd_member_rec m;
	struct gk_cose_key key;
	struct gk_enc stored;
	cbor_item_t *root;
};

static int cred_run(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		    struct cred_ctx *c)
{
	const uint8_t *cred, *cnonce, *pop;
	size_t cred_len, cnonce_len, pop_len;
	struct kdc_group *g;
	int err = own_node(kdc, req, rep, &g, &c->m);

	if (!err)
		err = kdc_body(kdc, req, rep, &c->root);
	if (err)
		return err;
	if (!opt_bstr(c->root, GK_GC_CLIENT_CRED, &cred, &cred_len) ||
	    !opt_bstr(c->root, GK_GC_CNONCE, &cnonce, &cnonce_len) ||
	    !opt_bstr(c->root, GK_GC_CLIENT_CRED_VERIFY, &pop, &pop_len) || !cred || !cnonce ||
	    !cnonce_len || cnonce_len > GKD_NONCE_MAX || !pop)
		return kdc_refuse(rep, GKD_BAD_REQUEST, -1,
				  "client_cred, cnonce (1..32 bytes) and client_cred_verify "
				  "are required byte strings");
	err = check_cred(kdc, req, rep, cred, cred_len, pop, pop_len, cnonce, cnonce_len, &c->m,
			 &c->key, &c->stored);
	if (err)
		return err;
	memcpy(c->m.cred, c->stored.buf, c->stored.len);
	c->m.cred_len = c->stored.len;
	err = kdc_tx_begin(kdc);
	if (!err)
		err = kdc_tx_end(kdc, gkd_store_member_put(kdc->store, &c->m));
	if (err)
		return kdc_internal(rep, err, "credential update");
	pr_info("kdc: group %s: %s has a new credential", g->rec.name, c->m.node);
	gkd_reply_status(rep, GKD_CHANGED);
	return 0;
}

int gkd_kdc_node_cred(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	struct cred_ctx *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return kdc_internal(rep, -ENOMEM, "credential update");
	gk_enc_init(&c->stored);
	err = cred_run(kdc, req, rep, c);
	if (c->root)
		cbor_decref(&c->root);
	gk_enc_free(&c->stored);
	gk_wipe(c, sizeof(*c));
	free(c);
	return err < 0 ? err : 0;
}
