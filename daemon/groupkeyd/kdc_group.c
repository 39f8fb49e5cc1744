// SPDX-License-Identifier: BSD-3-Clause
/* The KDC's read resources: /ace-group FETCH, keying material, creds, kdc-cred, policies, num. */

/*
 * - FETCH /ace-group (RFC 9594 §4.2.1): gid is the group name (REQ13);
 *   the answer lists, in request order and once each, the requested names
 *   that are configured and in the token's scope, with guri
 *   /ace-group/NAME; no match is the zero-length byte string. A gid that
 *   is not a text string is skipped.
 * - GET /ace-group/G and GET .../nodes/N: {7 gkty, 8 key, 9 num,
 *   10 ace_groupcomm_profile, 11 exp, 12 exi, 20 rekeying_scheme}, the
 *   node resource adding -65537 sender_id. exi is exp - now, never below 0.
 * - creds (§4.4): GET selects every member with a stored credential;
 *   FETCH takes {4: [inclusion_flag, role_filter, id_filter]} (both
 *   filters empty, or get_creds null: 4.00). A role_filter element is a
 *   Tperm bitmap (uint), a role name, or an array of role names (a
 *   combination: the member must hold all of them). Ids are 4-byte
 *   sender ids; unknown ids, and ids of another length, are silently left
 *   out (REQ26). peer_roles follow the form of the requester's scope:
 *   Tperm for AIF, a role name or an array of names for the textual form.
 *   Nothing selected: the zero-length byte string.
 * - kdc-cred (§4.5): N_C is the clientchallenge of the member's latest
 *   Join; N_KDC is fresh for every response.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kdc_int.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

#define GKD_GURI_MAX (sizeof("/ace-group/") + GK_GROUP_NAME_MAX)

/* --- encoders ------------------------------------------------------------ */

/* {1: 4, 2: kid, 3: alg, -1: k, -65537: exp} (docs/profile.md REQ17). */
static void enc_key(struct gk_enc *e, const struct gkd_group_rec *r)
{
	uint8_t kid[4] = { (uint8_t)(r->num >> 24), (uint8_t)(r->num >> 16), (uint8_t)(r->num >> 8),
			   (uint8_t)r->num };

	gk_enc_map(e, 5);
	gk_enc_uint(e, GK_COSE_KEY_KTY);
	gk_enc_uint(e, GK_COSE_KTY_SYMMETRIC);
	gk_enc_uint(e, GK_COSE_KEY_KID);
	gk_enc_bstr(e, kid, sizeof(kid));
	gk_enc_uint(e, GK_COSE_KEY_ALG);
	gk_enc_int(e, GK_GC_KEY_ALG);
	gk_enc_int(e, GK_COSE_KEY_K);
	gk_enc_bstr(e, r->key, sizeof(r->key));
	gk_enc_int(e, GK_GC_KEY_EXP_LABEL);
	gk_enc_uint(e, r->exp > 0 ? (uint64_t)r->exp : 0);
}

void kdc_enc_keying(struct gk_enc *e, const struct kdc_group *g, int64_t now_ms)
{
	const struct gkd_group_rec *r = &g->rec;
	int64_t exi = r->exp - now_ms / 1000;

	gk_enc_uint(e, GK_GC_GKTY);
	gk_enc_tstr(e, GK_GC_GKTY_VALUE);
	gk_enc_uint(e, GK_GC_KEY);
	enc_key(e, r);
	gk_enc_uint(e, GK_GC_NUM);
	gk_enc_uint(e, r->num);
	gk_enc_uint(e, GK_GC_ACE_GROUPCOMM_PROFILE);
	gk_enc_int(e, GK_GC_PROFILE);
	gk_enc_uint(e, GK_GC_EXP);
	gk_enc_uint(e, r->exp > 0 ? (uint64_t)r->exp : 0);
	gk_enc_uint(e, GK_GC_EXI);
	gk_enc_uint(e, exi > 0 ? (uint64_t)exi : 0);
}

void kdc_enc_policies(struct gk_enc *e, const struct kdc_group *g)
{
	gk_enc_uint(e, GK_GC_GROUP_POLICIES);
	gk_enc_map(e, 2);
	gk_enc_uint(e, GK_GP_KEY_CHECK_INTERVAL);
	gk_enc_uint(e, g->conf->key_lifetime / 2);
	gk_enc_uint(e, GK_GP_EXP_DELTA);
	gk_enc_uint(e, g->conf->recv_grace);
}

static void enc_roles(struct gk_enc *e, uint32_t roles, bool textual)
{
	unsigned n = 0;

	if (!textual) {
		gk_enc_uint(e, roles);
		return;
	}
	for (int r = 1; r <= GK_ROLE_MAX; r++)
		n += !!(roles & GK_ROLE_BIT(r));
	if (n > 1)
		gk_enc_array(e, n);
	for (int r = 1; r <= GK_ROLE_MAX; r++)
		if (roles & GK_ROLE_BIT(r))
			gk_enc_tstr(e, gk_role_name(r));
}

/* --- creds selection ----------------------------------------------------- */

static int role_item(const cbor_item_t *it, uint32_t *bits)
{
	const char *s;
	size_t n;
	uint64_t v;
	int r;

	if (!gk_cbor_get_uint(it, &v)) {
		if (!v || (v & ~(uint64_t)GK_ROLES_ALL))
			return -EINVAL;
		*bits |= (uint32_t)v;
		return 0;
	}
	if (gk_cbor_get_tstr(it, &s, &n))
		return -EINVAL;
	r = gk_role_from_name(s, n);
	if (r < 0)
		return -EINVAL;
	*bits |= GK_ROLE_BIT(r);
	return 0;
}

static int role_filter_parse(const cbor_item_t *a, struct kdc_filter *f)
{
	size_t n = cbor_array_size(a);

	if (n > KDC_FILTER_ROLES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const cbor_item_t *it = cbor_array_handle(a)[i];
		uint32_t bits = 0;
		int err = 0;

		if (cbor_isa_array(it)) {
			if (!cbor_array_size(it))
				return -EINVAL;
			for (size_t k = 0; !err && k < cbor_array_size(it); k++)
				err = role_item(cbor_array_handle(it)[k], &bits);
		} else {
			err = role_item(it, &bits);
		}
		if (err)
			return err;
		f->roles[f->n_roles++] = bits;
	}
	return 0;
}

static int id_filter_parse(const cbor_item_t *a, struct kdc_filter *f)
{
	size_t n = cbor_array_size(a);

	if (n > KDC_FILTER_IDS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p;
		size_t len;

		if (gk_cbor_get_bstr(cbor_array_handle(a)[i], &p, &len))
			return -EINVAL;
		/* Not a sender id of ours: no member can match it (REQ26). */
		if (len != 4)
			continue;
		f->ids[f->n_ids++] =
			(uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	}
	return 0;
}

int kdc_filter_parse(const cbor_item_t *it, bool join, struct kdc_filter *f)
{
	const cbor_item_t *roles, *ids;
	bool flag;

	memset(f, 0, sizeof(*f));
	if (!it)
		return -EINVAL;
	if (gk_cbor_is_null(it)) {
		f->all = true;
		return join ? 0 : -EINVAL;
	}
	if (!cbor_isa_array(it) || cbor_array_size(it) != 3)
		return -EINVAL;
	roles = cbor_array_handle(it)[1];
	ids = cbor_array_handle(it)[2];
	if (gk_cbor_get_bool(cbor_array_handle(it)[0], &flag) || !cbor_isa_array(roles) ||
	    !cbor_isa_array(ids))
		return -EINVAL;
	if (!cbor_array_size(roles) && !cbor_array_size(ids))
		return -EINVAL;
	if (join && (!flag || !cbor_array_size(roles) || cbor_array_size(ids)))
		return -EINVAL;
	f->include = flag;
	if (role_filter_parse(roles, f) || id_filter_parse(ids, f))
		return -EINVAL;
	return 0;
}

static bool filter_match(const struct kdc_filter *f, const struct gkd_member_rec *m)
{
	bool role = false, id = false;

	if (f->all)
		return true;
	for (size_t i = 0; i < f->n_roles && !role; i++)
		role = (m->roles & f->roles[i]) == f->roles[i];
	for (size_t i = 0; i < f->n_ids && !id; i++)
		id = m->sender_id == f->ids[i];
	if (f->include)
		return role || id;
	return (!f->n_roles || role) && !id;
}

struct creds_walk {
	const struct kdc_filter *f;
	bool textual;
	struct gk_enc creds, roles, ids;
	size_t n;
	bool count_only;
};

static int creds_one(void *arg, const struct gkd_member_rec *m)
{
	struct creds_walk *w = arg;
	uint8_t id[4] = { (uint8_t)(m->sender_id >> 24), (uint8_t)(m->sender_id >> 16),
			  (uint8_t)(m->sender_id >> 8), (uint8_t)m->sender_id };

	if (!m->cred_len || !filter_match(w->f, m))
		return 0;
	w->n++;
	if (w->count_only)
		return 0;
	gk_enc_bstr(&w->creds, m->cred, m->cred_len);
	enc_roles(&w->roles, m->roles, w->textual);
	gk_enc_bstr(&w->ids, id, sizeof(id));
	return w->creds.err ? w->creds.err : w->roles.err ? w->roles.err : w->ids.err;
}

int kdc_count_creds(struct gkd_kdc *kdc, struct kdc_group *g, const struct kdc_filter *f, size_t *n)
{
	struct creds_walk w = { .f = f, .count_only = true };
	int err = gkd_store_member_foreach(kdc->store, g->rec.name, creds_one, &w);

	*n = w.n;
	return err;
}

int kdc_enc_creds(struct gkd_kdc *kdc, struct kdc_group *g, const struct kdc_filter *f,
		  bool textual, struct gk_enc *e, size_t *n)
{
	struct creds_walk w = { .f = f, .textual = textual };
	int err;

	gk_enc_init(&w.creds);
	gk_enc_init(&w.roles);
	gk_enc_init(&w.ids);
	err = gkd_store_member_foreach(kdc->store, g->rec.name, creds_one, &w);
	if (!err) {
		gk_enc_uint(e, GK_GC_CREDS);
		gk_enc_array(e, w.n);
		gk_enc_raw(e, w.creds.buf, w.creds.len);
		gk_enc_uint(e, GK_GC_PEER_ROLES);
		gk_enc_array(e, w.n);
		gk_enc_raw(e, w.roles.buf, w.roles.len);
		gk_enc_uint(e, GK_GC_PEER_IDENTIFIERS);
		gk_enc_array(e, w.n);
		err = gk_enc_raw(e, w.ids.buf, w.ids.len);
	}
	gk_enc_free(&w.creds);
	gk_enc_free(&w.roles);
	gk_enc_free(&w.ids);
	*n = w.n;
	return err;
}

/* --- FETCH /ace-group ---------------------------------------------------- */

static void groups_answer(const char *const *match, size_t n, struct gk_enc *e)
{
	gk_enc_map(e, 3);
	for (unsigned key = GK_GC_GID; key <= GK_GC_GURI; key++) {
		gk_enc_uint(e, key);
		gk_enc_array(e, n);
		for (size_t k = 0; k < n; k++) {
			char uri[GKD_GURI_MAX];

			snprintf(uri, sizeof(uri), "/ace-group/%s", match[k]);
			gk_enc_tstr(e, key == GK_GC_GURI ? uri : match[k]);
		}
	}
}

int gkd_kdc_groups_fetch(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	const char *match[GKD_MAX_GROUPS];
	cbor_item_t *root, *gids;
	size_t n = 0;
	int ret;

	if (!req->tok) {
		gkd_reply_status(rep, GKD_UNAUTHORIZED);
		return 0;
	}
	ret = kdc_body(kdc, req, rep, &root);
	if (ret)
		return ret < 0 ? ret : 0;
	gids = gk_cbor_map_get_int(root, GK_GC_GID);
	if (!gids || !cbor_isa_array(gids)) {
		cbor_decref(&root);
		return kdc_problem(rep, GKD_BAD_REQUEST, -1,
				   "expected {0: [gid...]} (RFC 9594 4.2.1)");
	}
	for (size_t i = 0; i < cbor_array_size(gids) && n < GKD_MAX_GROUPS; i++) {
		char name[GK_GROUP_NAME_MAX + 1];
		struct kdc_group *g;
		const char *s;
		size_t len;

		if (gk_cbor_get_tstr(cbor_array_handle(gids)[i], &s, &len) ||
		    len > GK_GROUP_NAME_MAX)
			continue;
		memcpy(name, s, len);
		name[len] = '\0';
		g = kdc_group_find(kdc, name);
		if (!g || !gk_scope_find(&req->tok->scope, name))
			continue;
		for (size_t k = 0; k < n && g; k++)
			if (match[k] == g->conf->name)
				g = NULL;
		if (g)
			match[n++] = g->conf->name;
	}
	cbor_decref(&root);
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	if (n)
		groups_answer(match, n, &rep->body);
	else
		gk_enc_bstr(&rep->body, NULL, 0);
	return rep->body.err ? kdc_internal(rep, rep->body.err, "FETCH /ace-group") : 0;
}

/* --- keying material ----------------------------------------------------- */

int gkd_kdc_group_get(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	bool node = req->route.res == GKD_RES_NODE;
	struct gkd_member_rec *m;
	struct kdc_group *g;
	int ret;

	if (kdc_prologue(kdc, req, rep, &g))
		return 0;
	m = malloc(sizeof(*m));
	if (!m)
		return kdc_internal(rep, -ENOMEM, "GET");
	ret = kdc_member(kdc, g, req, node ? req->route.node : NULL, m, rep);
	if (ret) {
		free(m);
		return ret < 0 ? ret : 0;
	}
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	gk_enc_map(&rep->body, node ? 8 : 7);
	kdc_enc_keying(&rep->body, g, req->now_ms);
	gk_enc_uint(&rep->body, GK_GC_REKEYING_SCHEME);
	gk_enc_uint(&rep->body, GK_GC_REKEYING_POINT_TO_POINT);
	if (node) {
		gk_enc_int(&rep->body, GK_GC_SENDER_ID);
		gk_enc_uint(&rep->body, m->sender_id);
	}
	free(m);
	return rep->body.err ? kdc_internal(rep, rep->body.err, "GET keying material") : 0;
}

/* --- creds --------------------------------------------------------------- */

static int creds_filter(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
			struct kdc_filter *f)
{
	cbor_item_t *root;
	int ret;

	if (req->method == GKD_GET) {
		memset(f, 0, sizeof(*f));
		f->all = true;
		return 0;
	}
	ret = kdc_body(kdc, req, rep, &root);
	if (ret)
		return ret;
	ret = kdc_filter_parse(gk_cbor_map_get_int(root, GK_GC_GET_CREDS), false, f);
	cbor_decref(&root);
	if (!ret)
		return 0;
	ret = kdc_problem(
		rep, GKD_BAD_REQUEST, -1,
		"get_creds must be [bool, role_filter, id_filter], not both filters empty");
	return ret ? ret : 1;
}

int gkd_kdc_creds(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	struct gkd_member_rec *m = NULL;
	struct kdc_filter *f = NULL;
	struct kdc_group *g;
	size_t n = 0;
	int ret;

	if (kdc_prologue(kdc, req, rep, &g))
		return 0;
	m = malloc(sizeof(*m));
	f = malloc(sizeof(*f));
	if (!m || !f) {
		ret = kdc_internal(rep, -ENOMEM, "creds");
		goto out;
	}
	ret = kdc_member(kdc, g, req, NULL, m, rep);
	if (!ret)
		ret = creds_filter(kdc, req, rep, f);
	if (!ret)
		ret = kdc_count_creds(kdc, g, f, &n);
	if (ret)
		goto out;
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	if (!n) {
		gk_enc_bstr(&rep->body, NULL, 0);
	} else {
		gk_enc_map(&rep->body, 4);
		gk_enc_uint(&rep->body, GK_GC_NUM);
		gk_enc_uint(&rep->body, g->rec.num);
		ret = kdc_enc_creds(kdc, g, f, req->tok->scope.textual, &rep->body, &n);
	}
	if (!ret && rep->body.err)
		ret = rep->body.err;
	if (ret)
		ret = kdc_internal(rep, ret, "creds");
out:
	free(m);
	free(f);
	return ret < 0 ? ret : 0;
}

/* --- kdc-cred, policies, num --------------------------------------------- */

int gkd_kdc_kdc_cred(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	uint8_t n_kdc[GK_GC_NONCE_LEN], sig[KDC_SIG_LEN];
	struct gkd_member_rec *m;
	struct kdc_group *g;
	int ret;

	if (kdc_prologue(kdc, req, rep, &g))
		return 0;
	m = malloc(sizeof(*m));
	if (!m)
		return kdc_internal(rep, -ENOMEM, "kdc-cred");
	ret = kdc_member(kdc, g, req, NULL, m, rep);
	if (!ret)
		ret = kdc_pop_sign(kdc, m->cnonce, m->cnonce_len, n_kdc, sig);
	free(m);
	if (ret > 0)
		return 0;
	if (ret)
		return kdc_internal(rep, ret, "kdc-cred signature");
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	gk_enc_map(&rep->body, 3);
	gk_enc_uint(&rep->body, GK_GC_KDC_CRED);
	gk_enc_bstr(&rep->body, kdc->cred, kdc->cred_len);
	gk_enc_uint(&rep->body, GK_GC_KDC_NONCE);
	gk_enc_bstr(&rep->body, n_kdc, sizeof(n_kdc));
	gk_enc_uint(&rep->body, GK_GC_KDC_CRED_VERIFY);
	gk_enc_bstr(&rep->body, sig, sizeof(sig));
	return rep->body.err ? kdc_internal(rep, rep->body.err, "kdc-cred") : 0;
}

/* Member-only resources with a body that depends on the group alone. */
static int member_only(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep,
		       struct kdc_group **g)
{
	struct gkd_member_rec *m;
	int ret;

	if (kdc_prologue(kdc, req, rep, g))
		return 1;
	m = malloc(sizeof(*m));
	if (!m)
		return kdc_internal(rep, -ENOMEM, "member");
	ret = kdc_member(kdc, *g, req, NULL, m, rep);
	free(m);
	return ret;
}

int gkd_kdc_policies(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	struct kdc_group *g;
	int ret = member_only(kdc, req, rep, &g);

	if (ret)
		return ret < 0 ? ret : 0;
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	gk_enc_map(&rep->body, 1);
	kdc_enc_policies(&rep->body, g);
	return rep->body.err ? kdc_internal(rep, rep->body.err, "policies") : 0;
}

int gkd_kdc_num(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep)
{
	struct kdc_group *g;
	int ret = member_only(kdc, req, rep, &g);

	if (ret)
		return ret < 0 ? ret : 0;
	gkd_reply_status(rep, GKD_CONTENT);
	rep->content_format = GKD_CF_ACE_GROUPCOMM;
	gk_enc_uint(&rep->body, g->rec.num);
	return rep->body.err ? kdc_internal(rep, rep->body.err, "num") : 0;
}
