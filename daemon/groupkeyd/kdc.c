// SPDX-License-Identifier: BSD-3-Clause
/* The KDC: creation, routing of /ace-group paths, dispatch, shared checks and read accessors. */

/*
 * Decisions common to every resource (the per-resource ones sit with
 * their handlers, the profile's in docs/profile.md):
 *
 * - The CoAP glue has already run gkd_authz_check() for the group of the
 *   path (4.01 / 4.03 / 4.05 are its answers); the checks are repeated
 *   here so that a handler is never the only line of defence: no token
 *   4.01 (bare), a group not configured 4.04, a group outside the token's
 *   scope 4.03 (problem details without an error id).
 * - Membership is the pair (group, kid of the token's PoP key): a Join
 *   with the same token is a re-join (2.04); a new token under a new kid
 *   joins as a new member, and the old membership ends when its token
 *   expires. Every member-only resource answers a non-member, or a member
 *   asking for someone else's node, 4.03 with error 0.
 * - Request bodies: Content-Format 261 or none (4.15 otherwise); above
 *   cfg->max_payload 4.13; not a CBOR map 4.00. Unknown map keys are
 *   ignored; a known key of the wrong type is 4.00.
 * - Errors use RFC 9290 problem details (ct 257) whose title is the
 *   response code's name; 4.01, 4.05, 4.13 and 4.15 are bare codes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kdc_int.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

_Static_assert(GKD_LOCATION_MAX == sizeof(((struct gkd_reply *)0)->location),
	       "Location-Path buffer");

static const struct gk_cbor_limits kdc_limits = {
	.max_input = 65536,
	.max_depth = 8,
	.max_items = 4 * KDC_FILTER_IDS,
	.max_str_len = 4096,
};

/* --- shared helpers ------------------------------------------------------ */

struct kdc_group *kdc_group_find(struct gkd_kdc *kdc, const char *name)
{
	for (size_t i = 0; name && i < kdc->n_groups; i++)
		if (!strcmp(kdc->groups[i].conf->name, name))
			return &kdc->groups[i];
	return NULL;
}

static const char *code_title(int code)
{
	switch (code) {
	case GKD_BAD_REQUEST:
		return "Bad Request";
	case GKD_FORBIDDEN:
		return "Forbidden";
	case GKD_NOT_FOUND:
		return "Not Found";
	case GKD_SERVICE_UNAVAILABLE:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

int kdc_problem(struct gkd_reply *rep, int code, int err_id, const char *detail)
{
	int err = gkd_reply_problem(rep, code, code_title(code), detail, err_id);

	pr_debug("kdc: %d.%02d: %s", code / 100, code % 100, detail);
	return err ? kdc_internal(rep, err, "problem details") : 0;
}

int kdc_refuse(struct gkd_reply *rep, int code, int err_id, const char *detail)
{
	int err = kdc_problem(rep, code, err_id, detail);

	return err ? err : 1;
}

int kdc_internal(struct gkd_reply *rep, int err, const char *what)
{
	pr_err("kdc: %s: %s", what, gk_strerror(err));
	gkd_reply_status(rep, GKD_INTERNAL_ERROR);
	return err ? err : -EIO;
}

int kdc_tx_begin(struct gkd_kdc *kdc)
{
	return gkd_store_begin(kdc->store);
}

int kdc_tx_end(struct gkd_kdc *kdc, int err)
{
	if (!err)
		err = gkd_store_commit(kdc->store);
	if (err)
		gkd_store_rollback(kdc->store);
	return err;
}

void kdc_node_name(uint32_t sid, char node[GKD_NODENAME_MAX + 1])
{
	snprintf(node, GKD_NODENAME_MAX + 1, "s%08x", sid);
}

int kdc_prologue(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		 struct kdc_group **g)
{
	if (!req->tok) {
		gkd_reply_status(rep, GKD_UNAUTHORIZED);
		return 1;
	}
	*g = kdc_group_find(kdc, req->route.group);
	if (!*g) {
		kdc_problem(rep, GKD_NOT_FOUND, -1, "no such group");
		return 1;
	}
	if (!gk_scope_find(&req->tok->scope, (*g)->conf->name)) {
		kdc_problem(rep, GKD_FORBIDDEN, -1, "the token's scope does not cover the group");
		return 1;
	}
	return 0;
}

int kdc_member(struct gkd_kdc *kdc, struct kdc_group *g, const struct gkd_kdc_req *req,
	       const char *node, struct gkd_member_rec *m, struct gkd_reply *rep)
{
	int err = gkd_store_member_get_by_kid(kdc->store, g->conf->name, req->tok->kid,
					      req->tok->kid_len, m);

	if (err == -ENOENT || (!err && node && strcmp(node, m->node))) {
		kdc_problem(rep, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER,
			    err ? "operation permitted only to group members" :
				  "operation permitted only on the requester's own node");
		return 1;
	}
	return err ? kdc_internal(rep, err, "member lookup") : 0;
}

int kdc_body(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
	     cbor_item_t **out)
{
	int err;

	*out = NULL;
	if (req->len > kdc->cfg->max_payload) {
		gkd_reply_status(rep, GKD_REQUEST_TOO_LARGE);
		return 1;
	}
	if (req->len && req->content_format != GKD_CF_ACE_GROUPCOMM &&
	    req->content_format != GKD_CF_NONE) {
		gkd_reply_status(rep, GKD_UNSUPPORTED_FORMAT);
		return 1;
	}
	if (!req->len) {
		kdc_problem(rep, GKD_BAD_REQUEST, -1, "the request needs a CBOR map payload");
		return 1;
	}
	err = gk_cbor_decode(req->payload, req->len, &kdc_limits, out);
	if (err == -ENOMEM)
		return kdc_internal(rep, err, "decode");
	if (err || !cbor_isa_map(*out)) {
		if (*out)
			cbor_decref(out);
		kdc_problem(rep, GKD_BAD_REQUEST, -1, "the payload is not a CBOR map");
		return 1;
	}
	return 0;
}

/* --- routing ------------------------------------------------------------- */

/* Next '/'-separated segment of [*p, end) into seg; false when there is none or it is too long. */
static bool next_seg(const char **p, const char *end, char *seg, size_t cap)
{
	const char *s = *p, *slash;
	size_t n;

	if (s >= end)
		return false;
	slash = memchr(s, '/', (size_t)(end - s));
	n = slash ? (size_t)(slash - s) : (size_t)(end - s);
	if (!n || n >= cap)
		return false;
	memcpy(seg, s, n);
	seg[n] = '\0';
	*p = slash ? slash + 1 : end;
	/* A trailing '/' would leave an empty last segment: not one of our paths. */
	return !(slash && *p == end);
}

static enum gkd_kdc_res leaf_res(const char *seg)
{
	static const struct {
		const char *name;
		enum gkd_kdc_res res;
	} leaves[] = {
		{ "creds", GKD_RES_CREDS },
		{ "kdc-cred", GKD_RES_KDC_CRED },
		{ "policies", GKD_RES_POLICIES },
		{ "num", GKD_RES_NUM },
	};

	for (size_t i = 0; i < GK_ARRAY_SIZE(leaves); i++)
		if (!strcmp(seg, leaves[i].name))
			return leaves[i].res;
	return GKD_RES_NONE;
}

/* After "ace-group/G/": a leaf, "nodes/N" or "nodes/N/cred". */
static int route_sub(const char *p, const char *end, struct gkd_kdc_route *r)
{
	char seg[32];

	if (!next_seg(&p, end, seg, sizeof(seg)))
		return -ENOENT;
	if (strcmp(seg, "nodes")) {
		r->res = p == end ? leaf_res(seg) : GKD_RES_NONE;
		return r->res == GKD_RES_NONE ? -ENOENT : 0;
	}
	if (!next_seg(&p, end, r->node, sizeof(r->node)))
		return -ENOENT;
	r->res = GKD_RES_NODE;
	if (p == end)
		return 0;
	if (!next_seg(&p, end, seg, sizeof(seg)) || strcmp(seg, "cred") || p != end)
		return -ENOENT;
	r->res = GKD_RES_NODE_CRED;
	return 0;
}

int gkd_kdc_route(const char *path, size_t len, struct gkd_kdc_route *out)
{
	const char *p = path, *end = path + len;
	char seg[GK_GROUP_NAME_MAX + 1];
	int err;

	memset(out, 0, sizeof(*out));
	if (len && *p == '/')
		p++;
	if (!next_seg(&p, end, seg, sizeof(seg)) || strcmp(seg, "ace-group"))
		goto out_none;
	if (p == end) {
		out->res = GKD_RES_ROOT;
		return 0;
	}
	if (!next_seg(&p, end, out->group, sizeof(out->group)) ||
	    !gk_group_name_valid(out->group, strlen(out->group)))
		goto out_none;
	out->res = GKD_RES_GROUP;
	if (p == end)
		return 0;
	err = route_sub(p, end, out);
	if (!err)
		return 0;
out_none:
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

/* --- dispatch ------------------------------------------------------------ */

static int method_not_allowed(struct gkd_reply *rep)
{
	gkd_reply_status(rep, GKD_METHOD_NOT_ALLOWED);
	return 0;
}

int gkd_kdc_handle(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	enum gkd_method m = req->method;

	switch (req->route.res) {
	case GKD_RES_ROOT:
		return m == GKD_FETCH ? gkd_kdc_groups_fetch(kdc, req, rep) :
					method_not_allowed(rep);
	case GKD_RES_GROUP:
		if (m == GKD_POST)
			return gkd_kdc_join(kdc, req, rep);
		return m == GKD_GET ? gkd_kdc_group_get(kdc, req, rep) : method_not_allowed(rep);
	case GKD_RES_CREDS:
		return m == GKD_GET || m == GKD_FETCH ? gkd_kdc_creds(kdc, req, rep) :
							method_not_allowed(rep);
	case GKD_RES_KDC_CRED:
		return m == GKD_GET ? gkd_kdc_kdc_cred(kdc, req, rep) : method_not_allowed(rep);
	case GKD_RES_POLICIES:
		return m == GKD_GET ? gkd_kdc_policies(kdc, req, rep) : method_not_allowed(rep);
	case GKD_RES_NUM:
		return m == GKD_GET ? gkd_kdc_num(kdc, req, rep) : method_not_allowed(rep);
	case GKD_RES_NODE:
		return m == GKD_FETCH ? method_not_allowed(rep) : gkd_kdc_node(kdc, req, rep);
	case GKD_RES_NODE_CRED:
		return m == GKD_POST ? gkd_kdc_node_cred(kdc, req, rep) : method_not_allowed(rep);
	default:
		gkd_reply_status(rep, GKD_NOT_FOUND);
		return 0;
	}
}

int gkd_kdc_node(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	switch (req->method) {
	case GKD_GET:
		return gkd_kdc_group_get(kdc, req, rep);
	case GKD_POST:
	case GKD_PUT: /* RFC 9594 drafts up to -19 renewed with PUT */
		return kdc_renew(kdc, req, rep);
	case GKD_DELETE:
		return kdc_leave(kdc, req, rep);
	default:
		return method_not_allowed(rep);
	}
}

/* --- life cycle ---------------------------------------------------------- */

static int kdc_check_conf(const struct gkd_config *cfg)
{
	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct gkd_group_conf *g = &cfg->groups[i];

		/* A zero lifetime would rekey on every tick: defaults were not applied. */
		if (!g->key_lifetime || g->rekey_margin >= g->key_lifetime || !g->max_members) {
			pr_err("kdc: group %s: key_lifetime/rekey_margin/max_members unusable "
			       "(gkd_conf_group_defaults() not applied?)",
			       g->name);
			return -EINVAL;
		}
	}
	return 0;
}

int gkd_kdc_open(const struct gkd_config *cfg, struct gkd_store *store, struct gk_rng *rng,
		 const struct gkd_kdc_events *ev, int64_t now_ms, struct gkd_kdc **out, char *err,
		 size_t err_len)
{
	struct gkd_kdc *kdc;
	int ret;

	if (err_len)
		err[0] = '\0';
	ret = kdc_check_conf(cfg);
	if (ret) {
		snprintf(err, err_len, "invalid group configuration");
		return ret;
	}
	kdc = calloc(1, sizeof(*kdc));
	if (!kdc)
		return -ENOMEM;
	kdc->cfg = cfg;
	kdc->store = store;
	kdc->rng = rng;
	if (ev)
		kdc->ev = *ev;
	ret = kdc_cred_init(kdc, err, err_len);
	if (!ret)
		ret = kdc_groups_load(kdc, now_ms);
	if (ret) {
		if (err_len && !err[0])
			snprintf(err, err_len, "loading the groups: %s", gk_strerror(ret));
		gkd_kdc_free(kdc);
		return ret;
	}
	*out = kdc;
	return 0;
}

void gkd_kdc_free(struct gkd_kdc *kdc)
{
	if (!kdc)
		return;
	gk_wipe(kdc, sizeof(*kdc));
	free(kdc);
}

/* --- read accessors ------------------------------------------------------ */

int gkd_kdc_group_num(struct gkd_kdc *kdc, const char *group, uint32_t *num)
{
	struct kdc_group *g = kdc_group_find(kdc, group);

	if (!g)
		return -ENOENT;
	*num = g->rec.num;
	return 0;
}

int gkd_kdc_key(struct gkd_kdc *kdc, const char *group, uint32_t num, struct gkd_kdc_key *out)
{
	struct kdc_group *g = kdc_group_find(kdc, group);
	const struct gkd_group_rec *r;

	memset(out, 0, sizeof(*out));
	if (!g)
		return -ENOENT;
	r = &g->rec;
	if (num == r->num) {
		out->num = num;
		memcpy(out->k, r->key, sizeof(out->k));
		out->exp = r->exp;
		out->recv_until = r->exp + g->conf->recv_grace;
		return 0;
	}
	if (num && num == r->prev_num) {
		out->num = num;
		memcpy(out->k, r->prev_key, sizeof(out->k));
		out->exp = r->prev_exp;
		out->recv_until = r->prev_until;
		return 0;
	}
	return -ENOENT;
}

struct members_walk {
	int (*cb)(void *arg, const struct gkd_kdc_member *m);
	void *arg;
	struct gkd_kdc_member m;
};

static int members_one(void *arg, const struct gkd_member_rec *rec)
{
	struct members_walk *w = arg;

	memset(&w->m, 0, sizeof(w->m));
	snprintf(w->m.node, sizeof(w->m.node), "%s", rec->node);
	w->m.sender_id = rec->sender_id;
	w->m.roles = rec->roles;
	memcpy(w->m.kid, rec->kid, rec->kid_len);
	w->m.kid_len = rec->kid_len;
	snprintf(w->m.control_uri, sizeof(w->m.control_uri), "%s", rec->control_uri);
	return w->cb(w->arg, &w->m);
}

int gkd_kdc_members(struct gkd_kdc *kdc, const char *group,
		    int (*cb)(void *arg, const struct gkd_kdc_member *m), void *arg)
{
	struct members_walk w = { .cb = cb, .arg = arg };

	if (!kdc_group_find(kdc, group))
		return -ENOENT;
	return gkd_store_member_foreach(kdc->store, group, members_one, &w);
}

int gkd_kdc_rekey_message(struct gkd_kdc *kdc, const char *group, int64_t now_ms,
			  struct gkd_reply *rep)
{
	struct kdc_group *g = kdc_group_find(kdc, group);

	if (!g)
		return -ENOENT;
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	gk_enc_map(&rep->body, 7);
	kdc_enc_keying(&rep->body, g, now_ms);
	gk_enc_uint(&rep->body, GK_GC_REKEYING_SCHEME);
	gk_enc_uint(&rep->body, GK_GC_REKEYING_POINT_TO_POINT);
	return rep->body.err ? kdc_internal(rep, rep->body.err, "rekey message") : 0;
}

int gkd_kdc_cred(struct gkd_kdc *kdc, const uint8_t **ccs, size_t *len)
{
	*ccs = kdc->cred;
	*len = kdc->cred_len;
	return 0;
}
