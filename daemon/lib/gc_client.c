// SPDX-License-Identifier: BSD-3-Clause
/* The member side of RFC 9594 in our profile: Join requests, PoP, responses, member files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/cose.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/gc_client.h"

#define CCS_CNF 8

static const struct gk_cbor_limits resp_limits = {
	.max_input = 65536,
	.max_depth = 8,
	.max_items = 16384,
	.max_str_len = 4096,
};

/* --- proof of possession ------------------------------------------------------ */

int gk_gc_pop_input(struct gk_enc *e, const uint8_t *scope, size_t scope_len, const uint8_t *n_s,
		    size_t n_s_len, const uint8_t *n_c, size_t n_c_len)
{
	if (scope)
		gk_enc_bstr(e, scope, scope_len);
	gk_enc_bstr(e, n_s, n_s_len);
	return gk_enc_bstr(e, n_c, n_c_len);
}

int gk_gc_pop_sign(struct gk_rng *rng, const uint8_t d[32], const uint8_t *scope, size_t scope_len,
		   const uint8_t *n_s, size_t n_s_len, const uint8_t *n_c, size_t n_c_len,
		   uint8_t sig[GK_GC_SIG_LEN])
{
	struct gk_enc e;
	int err;

	gk_enc_init(&e);
	err = gk_gc_pop_input(&e, scope, scope_len, n_s, n_s_len, n_c, n_c_len);
	if (!err)
		err = gk_p256_sign(rng, d, e.buf, e.len, sig);
	gk_enc_free(&e);
	return err;
}

/* The EC2 P-256 public key of a CCS {8: {1: key}} or a bare COSE_Key. */
static int cred_public(const uint8_t *cred, size_t len, struct gk_cose_key *key)
{
	cbor_item_t *root = NULL, *cnf, *inner;
	int err;

	memset(key, 0, sizeof(*key));
	err = gk_cbor_decode(cred, len, NULL, &root);
	if (err)
		return err == -ENOMEM ? err : -GK_EKEY;
	inner = root;
	cnf = cbor_isa_map(root) ? gk_cbor_map_get_int(root, CCS_CNF) : NULL;
	if (cnf)
		inner = cbor_isa_map(cnf) ? gk_cbor_map_get_int(cnf, GK_CNF_COSE_KEY) : NULL;
	err = inner && cbor_isa_map(inner) ? gk_cose_key_from_item(inner, key) : -GK_EKEY;
	cbor_decref(&root);
	if (err == -ENOMEM)
		return err;
	if (err || key->kty != GK_COSE_KTY_EC2 || key->crv != GK_COSE_CRV_P256) {
		gk_cose_key_wipe(key);
		return -GK_EKEY;
	}
	return 0;
}

int gk_gc_kdc_cred_verify(const uint8_t *kdc_cred, size_t cred_len, const uint8_t *n_c,
			  size_t n_c_len, const uint8_t *n_kdc, size_t n_kdc_len,
			  const uint8_t *sig, size_t sig_len)
{
	struct gk_cose_key key;
	struct gk_enc e;
	int err;

	if (sig_len != GK_GC_SIG_LEN)
		return -GK_EBADSIG;
	err = cred_public(kdc_cred, cred_len, &key);
	if (err)
		return err;
	gk_enc_init(&e);
	err = gk_gc_pop_input(&e, NULL, 0, n_c, n_c_len, n_kdc, n_kdc_len);
	if (!err)
		err = gk_p256_verify(key.x, key.y, e.buf, e.len, sig);
	gk_enc_free(&e);
	gk_cose_key_wipe(&key);
	return err;
}

int gk_gc_ccs_encode(struct gk_enc *e, const uint8_t x[32], const uint8_t y[32])
{
	gk_enc_map(e, 1);
	gk_enc_uint(e, CCS_CNF);
	gk_enc_map(e, 1);
	gk_enc_uint(e, GK_CNF_COSE_KEY);
	gk_enc_map(e, 4);
	gk_enc_uint(e, GK_COSE_KEY_KTY);
	gk_enc_uint(e, GK_COSE_KTY_EC2);
	gk_enc_int(e, GK_COSE_KEY_CRV);
	gk_enc_uint(e, GK_COSE_CRV_P256);
	gk_enc_int(e, GK_COSE_KEY_X);
	gk_enc_bstr(e, x, 32);
	gk_enc_int(e, GK_COSE_KEY_Y);
	return gk_enc_bstr(e, y, 32);
}

/* --- Join Request ------------------------------------------------------------- */

int gk_gc_join_encode(struct gk_enc *e, const struct gk_gc_join *j)
{
	size_t n = 1;

	if (!j->cnonce || !j->cnonce_len)
		return -EINVAL;
	n += !!j->scope + j->get_creds + !!j->client_cred + !!j->client_cred_verify +
	     !!j->control_uri;
	gk_enc_map(e, n);
	if (j->scope) {
		gk_enc_uint(e, GK_GC_SCOPE);
		gk_enc_bstr(e, j->scope, j->scope_len);
	}
	if (j->get_creds) {
		gk_enc_uint(e, GK_GC_GET_CREDS);
		gk_enc_null(e);
	}
	if (j->client_cred) {
		gk_enc_uint(e, GK_GC_CLIENT_CRED);
		gk_enc_bstr(e, j->client_cred, j->client_cred_len);
	}
	gk_enc_uint(e, GK_GC_CNONCE);
	gk_enc_bstr(e, j->cnonce, j->cnonce_len);
	if (j->client_cred_verify) {
		gk_enc_uint(e, GK_GC_CLIENT_CRED_VERIFY);
		gk_enc_bstr(e, j->client_cred_verify, j->client_cred_verify_len);
	}
	if (j->control_uri) {
		gk_enc_uint(e, GK_GC_CONTROL_URI);
		gk_enc_tstr(e, j->control_uri);
	}
	return e->err;
}

/* --- responses ------------------------------------------------------------------ */

/* An optional uint no larger than max: 0 absent (*has false), -GK_ETYPE. */
static int opt_uint(const cbor_item_t *map, int64_t key, uint64_t max, uint64_t *v, bool *has)
{
	const cbor_item_t *it = gk_cbor_map_get_int(map, key);

	*has = it != NULL;
	if (!it)
		return 0;
	return gk_cbor_get_uint(it, v) || *v > max ? -GK_ETYPE : 0;
}

static int opt_int(const cbor_item_t *map, int64_t key, int64_t *v, bool *has)
{
	const cbor_item_t *it = gk_cbor_map_get_int(map, key);

	*has = it != NULL;
	return it && gk_cbor_get_int(it, v) ? -GK_ETYPE : 0;
}

/* An optional byte string copied into buf (at most cap bytes). */
static int opt_bstr(const cbor_item_t *map, int64_t key, uint8_t *buf, size_t cap, size_t *len)
{
	const cbor_item_t *it = gk_cbor_map_get_int(map, key);
	const uint8_t *p;
	size_t n;

	*len = 0;
	if (!it)
		return 0;
	if (gk_cbor_get_bstr(it, &p, &n))
		return -GK_ETYPE;
	if (n > cap)
		return -GK_ELENGTH;
	memcpy(buf, p, n);
	*len = n;
	return 0;
}

/* The COSE_Key of docs/profile.md REQ17 for version num. */
static int parse_key(const cbor_item_t *key, uint32_t num, struct gk_gc_keying *out)
{
	const uint8_t want_kid[4] = { (uint8_t)(num >> 24), (uint8_t)(num >> 16),
				      (uint8_t)(num >> 8), (uint8_t)num };
	const uint8_t *kid, *k;
	size_t kid_len, k_len;
	uint64_t kty;
	int64_t alg;

	if (!cbor_isa_map(key))
		return -GK_ETYPE;
	if (gk_cbor_get_uint(gk_cbor_map_get_int(key, GK_COSE_KEY_KTY), &kty) ||
	    kty != GK_COSE_KTY_SYMMETRIC ||
	    gk_cbor_get_bstr(gk_cbor_map_get_int(key, GK_COSE_KEY_KID), &kid, &kid_len) ||
	    kid_len != sizeof(want_kid) || memcmp(kid, want_kid, sizeof(want_kid)) ||
	    gk_cbor_get_int(gk_cbor_map_get_int(key, GK_COSE_KEY_ALG), &alg) ||
	    alg != GK_GC_KEY_ALG ||
	    gk_cbor_get_bstr(gk_cbor_map_get_int(key, GK_COSE_KEY_K), &k, &k_len) ||
	    k_len != GK_GC_GROUP_KEY_LEN ||
	    gk_cbor_get_uint(gk_cbor_map_get_int(key, GK_GC_KEY_EXP_LABEL), &out->key_exp))
		return -GK_EKEY;
	memcpy(out->k, k, k_len);
	return 0;
}

static int parse_policies(const cbor_item_t *map, struct gk_gc_keying *out)
{
	const cbor_item_t *p = gk_cbor_map_get_int(map, GK_GC_GROUP_POLICIES);
	bool has;
	int err;

	out->has_policies = p != NULL;
	if (!p)
		return 0;
	if (!cbor_isa_map(p))
		return -GK_ETYPE;
	err = opt_uint(p, GK_GP_KEY_CHECK_INTERVAL, UINT64_MAX, &out->key_check_interval, &has);
	if (!err)
		err = opt_uint(p, GK_GP_EXP_DELTA, UINT64_MAX, &out->exp_delta, &has);
	return err;
}

static int parse_optional(const cbor_item_t *map, struct gk_gc_keying *out)
{
	const cbor_item_t *creds = gk_cbor_map_get_int(map, GK_GC_CREDS);
	uint64_t sid = 0;
	int err;

	err = opt_uint(map, GK_GC_EXP, UINT64_MAX, &out->exp, &out->has_exp);
	if (!err)
		err = opt_uint(map, GK_GC_EXI, UINT64_MAX, &out->exi, &out->has_exi);
	if (!err)
		err = opt_int(map, GK_GC_ACE_GROUPCOMM_PROFILE, &out->profile, &out->has_profile);
	if (!err && out->has_profile && out->profile != GK_GC_PROFILE)
		err = -GK_ETYPE;
	if (!err)
		err = opt_int(map, GK_GC_REKEYING_SCHEME, &out->rekeying_scheme,
			      &out->has_rekeying_scheme);
	if (!err)
		err = opt_uint(map, GK_GC_SENDER_ID, UINT32_MAX, &sid, &out->has_sender_id);
	out->sender_id = (uint32_t)sid;
	if (!err)
		err = parse_policies(map, out);
	if (!err)
		err = opt_bstr(map, GK_GC_KDC_CRED, out->kdc_cred, sizeof(out->kdc_cred),
			       &out->kdc_cred_len);
	if (!err)
		err = opt_bstr(map, GK_GC_KDC_NONCE, out->kdc_nonce, sizeof(out->kdc_nonce),
			       &out->kdc_nonce_len);
	if (!err)
		err = opt_bstr(map, GK_GC_KDC_CRED_VERIFY, out->kdc_cred_verify,
			       sizeof(out->kdc_cred_verify), &out->kdc_cred_verify_len);
	if (!err && creds && !cbor_isa_array(creds))
		err = -GK_ETYPE;
	if (!err && creds)
		out->n_creds = cbor_array_size(creds);
	/* RFC 9594 §4.3.1: exp comes with exi. */
	if (!err && out->has_exp && !out->has_exi)
		err = -GK_EMISSING;
	return err;
}

int gk_gc_keying_parse(const uint8_t *buf, size_t len, struct gk_gc_keying *out)
{
	const cbor_item_t *gkty, *key, *num;
	cbor_item_t *root = NULL;
	const char *s;
	uint64_t v;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	err = gk_cbor_decode(buf, len, &resp_limits, &root);
	if (err)
		return err;
	if (!cbor_isa_map(root)) {
		err = -GK_ETYPE;
		goto out;
	}
	gkty = gk_cbor_map_get_int(root, GK_GC_GKTY);
	key = gk_cbor_map_get_int(root, GK_GC_KEY);
	num = gk_cbor_map_get_int(root, GK_GC_NUM);
	if (!gkty || !key || !num) {
		err = -GK_EMISSING;
		goto out;
	}
	if (gk_cbor_get_tstr(gkty, &s, &n) || n != strlen(GK_GC_GKTY_VALUE) ||
	    memcmp(s, GK_GC_GKTY_VALUE, n) || gk_cbor_get_uint(num, &v) || !v || v > UINT32_MAX) {
		err = -GK_ETYPE;
		goto out;
	}
	out->num = (uint32_t)v;
	err = parse_key(key, out->num, out);
	if (!err)
		err = parse_optional(root, out);
out:
	cbor_decref(&root);
	if (err)
		gk_wipe(out, sizeof(*out));
	return err;
}

int gk_gc_problem_parse(const uint8_t *buf, size_t len, struct gk_gc_problem *out)
{
	cbor_item_t *root = NULL, *ext;
	const char *s;
	int64_t id;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	out->error_id = -1;
	err = gk_cbor_decode(buf, len, &resp_limits, &root);
	if (err)
		return err;
	if (!cbor_isa_map(root)) {
		cbor_decref(&root);
		return -GK_ETYPE;
	}
	if (!gk_cbor_get_tstr(gk_cbor_map_get_int(root, GK_PD_TITLE), &s, &n))
		snprintf(out->title, sizeof(out->title), "%.*s", (int)n, s);
	if (!gk_cbor_get_tstr(gk_cbor_map_get_int(root, GK_PD_DETAIL), &s, &n))
		snprintf(out->detail, sizeof(out->detail), "%.*s", (int)n, s);
	ext = gk_cbor_map_get_int(root, GK_PD_ACE_GROUPCOMM_ERROR);
	if (ext && cbor_isa_map(ext) &&
	    !gk_cbor_get_int(gk_cbor_map_get_int(ext, GK_PD_ERROR_ID), &id) && id >= 0 && id < 1000)
		out->error_id = (int)id;
	cbor_decref(&root);
	return 0;
}

const char *gk_gc_error_name(int error_id)
{
	static const char *const names[] = {
		[GK_GC_ERR_NOT_MEMBER] = "Operation permitted only to group members",
		[GK_GC_ERR_ROLES] = "Request inconsistent with the current roles",
		[GK_GC_ERR_BAD_CRED] =
			"Authentication credential incompatible with the group configuration",
		[GK_GC_ERR_BAD_POP] = "Invalid proof-of-possession evidence",
		[GK_GC_ERR_NO_KEYING_MATERIAL] = "No available individual keying material",
		[GK_GC_ERR_MEMBERSHIP_TERMINATED] = "Group membership terminated",
		[GK_GC_ERR_GROUP_DELETED] = "Group deleted",
	};

	if (error_id < 0 || (size_t)error_id >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[error_id];
}

int gk_gc_kdcchallenge(const uint8_t *buf, size_t len, uint8_t *ns, size_t cap, size_t *ns_len)
{
	cbor_item_t *root = NULL;
	int err = gk_cbor_decode(buf, len, &resp_limits, &root);

	*ns_len = 0;
	if (err)
		return err;
	err = cbor_isa_map(root) ? opt_bstr(root, GK_GC_KDCCHALLENGE, ns, cap, ns_len) : -GK_ETYPE;
	if (!err && !*ns_len)
		err = -GK_EMISSING;
	cbor_decref(&root);
	return err;
}

/* --- member files ------------------------------------------------------------------ */

int gk_gc_member_encode(struct gk_enc *e, const struct gk_gc_member *m)
{
	gk_enc_map(e, 12);
	gk_enc_tstr(e, "kdc");
	gk_enc_tstr(e, m->kdc);
	gk_enc_tstr(e, "group");
	gk_enc_tstr(e, m->group);
	gk_enc_tstr(e, "node");
	gk_enc_tstr(e, m->node);
	gk_enc_tstr(e, "location");
	gk_enc_tstr(e, m->location);
	gk_enc_tstr(e, "sender_id");
	gk_enc_uint(e, m->sender_id);
	gk_enc_tstr(e, "roles");
	gk_enc_uint(e, m->roles);
	gk_enc_tstr(e, "num");
	gk_enc_uint(e, m->num);
	gk_enc_tstr(e, "key");
	gk_enc_bstr(e, m->key, sizeof(m->key));
	gk_enc_tstr(e, "exp");
	gk_enc_uint(e, m->exp);
	gk_enc_tstr(e, "exi");
	gk_enc_uint(e, m->exi);
	gk_enc_tstr(e, "cnonce");
	gk_enc_bstr(e, m->cnonce, m->cnonce_len);
	gk_enc_tstr(e, "kdc_cred");
	return gk_enc_bstr(e, m->kdc_cred, m->kdc_cred_len);
}

static int get_str(const cbor_item_t *map, const char *key, char *out, size_t cap)
{
	const char *s;
	size_t n;

	if (gk_cbor_get_tstr(gk_cbor_map_get_str(map, key), &s, &n))
		return gk_cbor_map_get_str(map, key) ? -GK_ETYPE : -GK_EMISSING;
	if (n >= cap || memchr(s, 0, n))
		return -GK_ELENGTH;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int get_u(const cbor_item_t *map, const char *key, uint64_t max, uint64_t *v)
{
	const cbor_item_t *it = gk_cbor_map_get_str(map, key);

	if (!it)
		return -GK_EMISSING;
	return gk_cbor_get_uint(it, v) || *v > max ? -GK_ETYPE : 0;
}

static int get_b(const cbor_item_t *map, const char *key, uint8_t *out, size_t cap, size_t *len)
{
	const cbor_item_t *it = gk_cbor_map_get_str(map, key);
	const uint8_t *p;
	size_t n;

	if (!it)
		return -GK_EMISSING;
	if (gk_cbor_get_bstr(it, &p, &n))
		return -GK_ETYPE;
	if (n > cap)
		return -GK_ELENGTH;
	memcpy(out, p, n);
	*len = n;
	return 0;
}

static int member_fields(const cbor_item_t *map, struct gk_gc_member *m)
{
	uint64_t sid = 0, roles = 0, num = 0;
	size_t key_len = 0;
	int err;

	err = get_str(map, "kdc", m->kdc, sizeof(m->kdc));
	if (!err)
		err = get_str(map, "group", m->group, sizeof(m->group));
	if (!err)
		err = get_str(map, "node", m->node, sizeof(m->node));
	if (!err)
		err = get_str(map, "location", m->location, sizeof(m->location));
	if (!err)
		err = get_u(map, "sender_id", UINT32_MAX, &sid);
	if (!err)
		err = get_u(map, "roles", UINT32_MAX, &roles);
	if (!err)
		err = get_u(map, "num", UINT32_MAX, &num);
	if (!err)
		err = get_b(map, "key", m->key, sizeof(m->key), &key_len);
	if (!err && key_len != sizeof(m->key))
		err = -GK_ELENGTH;
	if (!err)
		err = get_u(map, "exp", UINT64_MAX, &m->exp);
	if (!err)
		err = get_u(map, "exi", UINT64_MAX, &m->exi);
	if (!err)
		err = get_b(map, "cnonce", m->cnonce, sizeof(m->cnonce), &m->cnonce_len);
	if (!err)
		err = get_b(map, "kdc_cred", m->kdc_cred, sizeof(m->kdc_cred), &m->kdc_cred_len);
	m->sender_id = (uint32_t)sid;
	m->roles = (uint32_t)roles;
	m->num = (uint32_t)num;
	return err;
}

int gk_gc_member_decode(const uint8_t *buf, size_t len, struct gk_gc_member *m)
{
	cbor_item_t *root = NULL;
	int err;

	memset(m, 0, sizeof(*m));
	err = gk_cbor_decode(buf, len, &resp_limits, &root);
	if (err)
		return err;
	err = cbor_isa_map(root) ? member_fields(root, m) : -GK_ETYPE;
	cbor_decref(&root);
	if (err)
		gk_wipe(m, sizeof(*m));
	return err;
}
