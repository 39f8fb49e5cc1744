/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared fixture of the KDC tests: config, store, client tokens, Join payloads, reply checks. */
#ifndef GK_TEST_KDC_FIXTURE_H
#define GK_TEST_KDC_FIXTURE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "authz.h"
#include "kdc.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/util.h"

#define NOW 1700000000LL
#define NOW_MS (NOW * 1000)
/* The RFC 9594 §4.3.1 example N_C, used as every client's cnonce. */
#define CNONCE_HEX "25a8991cd700ac01"

enum { CRED_NONE, CRED_KEY, CRED_CCS };

struct kfx {
	struct gkd_config *cfg;
	struct gkd_store *store;
	struct gk_rng *rng;
	struct gkd_authz az;
	struct gkd_kdc *kdc;
	struct gkd_reply rep;
	cbor_item_t *body; /* the last reply's payload, decoded */
	int64_t now_ms;
	char dir[64];
	/* events */
	unsigned n_rekeyed;
	char rk_group[GK_GROUP_NAME_MAX + 1];
	uint32_t rk_num;
	unsigned n_removed;
	char rm_group[GK_GROUP_NAME_MAX + 1];
	char rm_node[GKD_NODENAME_MAX + 1];
	int rm_reason;
};

struct kclient {
	struct gkd_token tok;
	uint8_t ns[8];
	size_t ns_len;
	uint8_t d[32], x[32], y[32];
	uint8_t cred[256]; /* the client_cred it last sent */
	size_t cred_len;
	char node[GKD_NODENAME_MAX + 1]; /* from its Location-Path */
};

struct jopt {
	const char *group;    /* scope entry group; NULL: "demo" */
	uint32_t roles;	      /* AIF Tperm of the scope entry; 0: no scope parameter */
	int cred;	      /* CRED_NONE, CRED_KEY, CRED_CCS */
	const char *cred_hex; /* client_cred bytes instead of the client's key */
	bool bad_pop, no_pop, no_cnonce;
	const char *pop_scope_hex; /* scope for the PoP input when roles is 0 */
	const char *get_creds_hex; /* the get_creds item */
	const char *control_uri;
	const char *extra_hex; /* n_extra more "key value" pairs, already encoded */
	unsigned n_extra;
};

static inline void kfx_ev_rekeyed(void *arg, const char *group, uint32_t num)
{
	struct kfx *f = arg;

	f->n_rekeyed++;
	snprintf(f->rk_group, sizeof(f->rk_group), "%s", group);
	f->rk_num = num;
}

static inline void kfx_ev_removed(void *arg, const char *group, const char *node, int reason)
{
	struct kfx *f = arg;

	f->n_removed++;
	snprintf(f->rm_group, sizeof(f->rm_group), "%s", group);
	snprintf(f->rm_node, sizeof(f->rm_node), "%s", node);
	f->rm_reason = reason;
}

static inline struct gkd_group_conf *kfx_group(struct gkd_config *cfg, const char *name,
					       uint32_t roles)
{
	struct gkd_group_conf *g = &cfg->groups[cfg->n_groups++];

	snprintf(g->name, sizeof(g->name), "%s", name);
	g->roles = roles;
	gkd_conf_group_defaults(g);
	g->key_lifetime = 3600;
	g->rekey_margin = 300;
	g->recv_grace = 60;
	return g;
}

static inline void kfx_open_kdc(struct kfx *f)
{
	struct gkd_kdc_events ev = { .arg = f,
				     .group_rekeyed = kfx_ev_rekeyed,
				     .member_removed = kfx_ev_removed };
	char err[256];

	ASSERT_EQ(gkd_kdc_open(f->cfg, f->store, f->rng, &ev, f->now_ms, &f->kdc, err, sizeof(err)),
		  0);
}

/* Groups: demo (all roles, 4 members), small (2 members), nocred (no credential, no rekeys). */
static inline void kfx_init(struct kfx *f)
{
	struct gkd_config *cfg;
	struct gkd_group_conf *g;

	memset(f, 0, sizeof(*f));
	gk_log_set_level(GK_LOG_ERR);
	f->now_ms = NOW_MS;
	cfg = f->cfg = calloc(1, sizeof(*f->cfg));
	ASSERT_TRUE(cfg);
	gkd_conf_defaults(cfg);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gk-test-kdc-XXXXXX");
	ASSERT_TRUE(mkdtemp(f->dir));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", f->dir);
	cfg->as_kdc_key.kty = GK_COSE_KTY_SYMMETRIC;
	memset(cfg->as_kdc_key.k, 0xa0, 16);
	cfg->as_kdc_key.k_len = 16;
	cfg->as_kdc_key_set = true;
	g = kfx_group(cfg, "demo", GK_ROLES_ALL);
	g->max_members = 4;
	g = kfx_group(cfg, "small", GK_ROLES_ALL);
	g->max_members = 2;
	g = kfx_group(cfg, "nocred", GK_ROLES_ALL);
	g->require_cred = false;
	g->rekey_on_join = false;
	g->rekey_on_leave = false;
	ASSERT_EQ(gk_rng_new(&f->rng), 0);
	ASSERT_EQ(gkd_store_open(f->dir, &f->store), 0);
	f->az = (struct gkd_authz){ .cfg = cfg, .store = f->store, .rng = f->rng };
	gkd_reply_init(&f->rep);
	kfx_open_kdc(f);
}

/* A restart: KDC and store closed and opened again, the config as it is now. */
static inline void kfx_restart(struct kfx *f)
{
	gkd_kdc_free(f->kdc);
	f->kdc = NULL;
	gkd_store_close(f->store);
	ASSERT_EQ(gkd_store_open(f->dir, &f->store), 0);
	f->az.store = f->store;
	kfx_open_kdc(f);
}

static inline void kfx_fini(struct kfx *f)
{
	const char *files[] = { "groupkeyd.db", "groupkeyd.db-wal", "groupkeyd.db-shm",
				"kdc-cred.key" };
	char path[128];

	if (f->body)
		cbor_decref(&f->body);
	gkd_reply_free(&f->rep);
	gkd_kdc_free(f->kdc);
	gkd_store_close(f->store);
	gk_rng_free(f->rng);
	for (size_t i = 0; i < GK_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
	gkd_conf_wipe(f->cfg);
	free(f->cfg);
}

static inline void kclient_free(struct kclient *c)
{
	gkd_token_wipe(&c->tok);
}

/* A token from our AS for scope_hex (the scope's CBOR array), PoP kid "pop" + kid_byte. */
static inline uint8_t *kfx_mint(struct kfx *f, uint8_t kid_byte, const char *scope_hex, int64_t exp,
				size_t *len)
{
	struct gk_cwt_layer l = { .key = &f->cfg->as_kdc_key,
				  .alg = GK_COSE_ALG_AES_CCM_16_64_128 };
	struct gk_cwt_claims c = { 0 };
	struct gk_enc e;
	uint8_t *tok;

	c.iss = strdup("groupkeyd-as");
	ASSERT_EQ(gk_cwt_claims_set_aud(&c, "groupkeyd-kdc"), 0);
	c.has_exp = c.has_iat = true;
	c.exp = exp;
	c.iat = NOW;
	c.cnf_type = GK_CNF_KEY;
	c.cnf_key.kty = GK_COSE_KTY_SYMMETRIC;
	memcpy(c.cnf_key.kid, "pop", 3);
	c.cnf_key.kid[3] = kid_byte;
	c.cnf_key.kid_len = 4;
	memset(c.cnf_key.k, kid_byte, 16);
	c.cnf_key.k_len = 16;
	c.scope = gk_test_unhex(scope_hex, &c.scope_len);
	gk_enc_init(&e);
	ASSERT_EQ(gk_cwt_create(&e, &c, &l, 1, false, f->rng), 0);
	ASSERT_EQ(gk_enc_finish(&e, &tok, len), 0);
	gk_cwt_claims_free(&c);
	return tok;
}

/* The client's token posted to /authz-info (with_ns) or stored as a PSK identity would be. */
static inline void kclient_init_exp(struct kfx *f, struct kclient *c, uint8_t kid_byte,
				    const char *scope_hex, int64_t exp, bool with_ns)
{
	struct gkd_peer peer;
	cbor_item_t *m;
	const uint8_t *p;
	size_t len, n;
	uint8_t *tok;

	memset(c, 0, sizeof(*c));
	tok = kfx_mint(f, kid_byte, scope_hex, exp, &len);
	if (with_ns) {
		ASSERT_EQ(gkd_authz_info(&f->az, GKD_CF_CWT, tok, len, NOW, &f->rep), 0);
		ASSERT_EQ(f->rep.code, GKD_CREATED);
		ASSERT_EQ(gk_cbor_decode(f->rep.body.buf, f->rep.body.len, NULL, &m), 0);
		ASSERT_EQ(gk_cbor_get_bstr(gk_cbor_map_get_int(m, 46), &p, &n), 0);
		ASSERT_EQ(n, 8);
		memcpy(c->ns, p, n);
		c->ns_len = n;
		cbor_decref(&m);
	} else {
		ASSERT_EQ(gkd_authz_resolve_identity(&f->az, tok, len, NOW, &peer), 0);
	}
	ASSERT_EQ(gkd_token_validate(&f->az, tok, len, NOW, &c->tok, NULL), 0);
	ASSERT_EQ(gk_p256_keygen(f->rng, c->d, c->x, c->y), 0);
	free(tok);
}

/* demo:6 (sender+receiver), small:6, nocred:6 */
#define SCOPE_ALL "83 82 64 64656d6f 06 82 65 736d616c6c 06 82 66 6e6f63726564 06"

static inline void kclient_init(struct kfx *f, struct kclient *c, uint8_t kid_byte)
{
	kclient_init_exp(f, c, kid_byte, SCOPE_ALL, NOW + 3600, true);
}

static inline void kfx_enc_cose_key(struct gk_enc *e, const struct kclient *c)
{
	gk_enc_map(e, 4);
	gk_enc_uint(e, 1), gk_enc_uint(e, 2);
	gk_enc_int(e, -1), gk_enc_uint(e, 1);
	gk_enc_int(e, -2), gk_enc_bstr(e, c->x, 32);
	gk_enc_int(e, -3), gk_enc_bstr(e, c->y, 32);
}

static inline void kfx_cred(struct kclient *c, int form)
{
	struct gk_enc e;

	if (form == CRED_NONE) {
		c->cred_len = 0;
		return;
	}
	gk_enc_init_fixed(&e, c->cred, sizeof(c->cred));
	if (form == CRED_CCS) {
		gk_enc_map(&e, 2);
		gk_enc_uint(&e, 2), gk_enc_tstr(&e, "client");
		gk_enc_uint(&e, 8), gk_enc_map(&e, 1), gk_enc_uint(&e, 1);
	}
	kfx_enc_cose_key(&e, c);
	ASSERT_EQ(e.err, 0);
	c->cred_len = e.len;
}

/* ES256 by the client over bstr(scope) || bstr(N_S) || bstr(N_C). */
static inline void kfx_pop(struct kfx *f, const struct kclient *c, const uint8_t *scope,
			   size_t scope_len, const uint8_t *n_c, size_t n_c_len, uint8_t sig[64])
{
	struct gk_enc e;

	gk_enc_init(&e);
	ASSERT_EQ(gkd_kdc_pop_input(&e, scope, scope_len, c->ns, c->ns_len, n_c, n_c_len), 0);
	ASSERT_EQ(gk_p256_sign(f->rng, c->d, e.buf, e.len, sig), 0);
	gk_enc_free(&e);
}

static inline uint8_t *kfx_join_payload(struct kfx *f, struct kclient *c, const struct jopt *o,
					size_t *len)
{
	struct gk_scope_entry en = { 0 };
	uint8_t scope[64], sig[64], *cnonce, *out, *extra = NULL, *gc = NULL, *ps = NULL;
	size_t scope_len = 0, cnonce_len, extra_len = 0, gc_len = 0, ps_len = 0;
	unsigned n = o->n_extra;
	struct gk_enc e;

	cnonce = gk_test_unhex(CNONCE_HEX, &cnonce_len);
	if (o->roles) {
		gk_enc_init_fixed(&e, scope, sizeof(scope));
		snprintf(en.group, sizeof(en.group), "%s", o->group ? o->group : "demo");
		en.roles = o->roles;
		ASSERT_EQ(gk_scope_entry_encode(&e, &en, false), 0);
		scope_len = e.len;
		n++;
	} else if (o->pop_scope_hex) {
		ps = gk_test_unhex(o->pop_scope_hex, &ps_len);
		memcpy(scope, ps, ps_len);
		scope_len = ps_len;
	}
	if (o->get_creds_hex) {
		gc = gk_test_unhex(o->get_creds_hex, &gc_len);
		n++;
	}
	if (o->cred_hex) {
		uint8_t *cb = gk_test_unhex(o->cred_hex, &c->cred_len);

		ASSERT_LE(c->cred_len, sizeof(c->cred));
		memcpy(c->cred, cb, c->cred_len);
		free(cb);
	} else {
		kfx_cred(c, o->cred);
	}
	if (o->cred || o->cred_hex) {
		n += 1 + !o->no_pop;
		kfx_pop(f, c, scope, scope_len, cnonce, cnonce_len, sig);
		if (o->bad_pop)
			sig[5] ^= 1;
	}
	n += !o->no_cnonce + !!o->control_uri;
	if (o->extra_hex)
		extra = gk_test_unhex(o->extra_hex, &extra_len);
	gk_enc_init(&e);
	gk_enc_map(&e, n);
	if (o->roles)
		gk_enc_uint(&e, 3), gk_enc_bstr(&e, scope, scope_len);
	if (gc)
		gk_enc_uint(&e, 4), gk_enc_raw(&e, gc, gc_len);
	if (o->cred || o->cred_hex)
		gk_enc_uint(&e, 5), gk_enc_bstr(&e, c->cred, c->cred_len);
	if (!o->no_cnonce)
		gk_enc_uint(&e, 6), gk_enc_bstr(&e, cnonce, cnonce_len);
	if ((o->cred || o->cred_hex) && !o->no_pop)
		gk_enc_uint(&e, 24), gk_enc_bstr(&e, sig, 64);
	if (o->control_uri)
		gk_enc_uint(&e, 26), gk_enc_tstr(&e, o->control_uri);
	if (extra)
		gk_enc_raw(&e, extra, extra_len);
	ASSERT_EQ(gk_enc_finish(&e, &out, len), 0);
	free(cnonce);
	free(extra);
	free(gc);
	free(ps);
	return out;
}

/* Run one request; the reply lands in f->rep and, decoded, f->body. Returns the code. */
static inline int kreq_ct(struct kfx *f, struct kclient *c, enum gkd_method m, const char *path,
			  int ct, const uint8_t *p, size_t len)
{
	struct gkd_kdc_req r = { .tok = c ? &c->tok : NULL,
				 .method = m,
				 .content_format = ct,
				 .payload = p,
				 .len = len,
				 .now_ms = f->now_ms };

	ASSERT_EQ(gkd_kdc_route(path, strlen(path), &r.route), 0);
	if (f->body)
		cbor_decref(&f->body);
	gkd_reply_free(&f->rep);
	gkd_reply_init(&f->rep);
	ASSERT_EQ(gkd_kdc_handle(f->kdc, &r, &f->rep), 0);
	if (f->rep.content_format != GKD_CF_NONE && f->rep.body.len)
		ASSERT_EQ(gk_cbor_decode(f->rep.body.buf, f->rep.body.len, NULL, &f->body), 0);
	return f->rep.code;
}

static inline int kreq(struct kfx *f, struct kclient *c, enum gkd_method m, const char *path,
		       const uint8_t *p, size_t len)
{
	return kreq_ct(f, c, m, path, len ? GKD_CF_ACE_GROUPCOMM : GKD_CF_NONE, p, len);
}

static inline int kreq_hex(struct kfx *f, struct kclient *c, enum gkd_method m, const char *path,
			   const char *hex)
{
	size_t len;
	uint8_t *p = gk_test_unhex(hex, &len);
	int code = kreq(f, c, m, path, p, len);

	free(p);
	return code;
}

static inline int kjoin_to(struct kfx *f, struct kclient *c, const char *group,
			   const struct jopt *o)
{
	char path[96];
	size_t len;
	uint8_t *p = kfx_join_payload(f, c, o, &len);
	int code;

	snprintf(path, sizeof(path), "ace-group/%s", group);
	code = kreq(f, c, GKD_POST, path, p, len);
	free(p);
	if (code == GKD_CREATED || code == GKD_CHANGED) {
		const char *slash = strrchr(f->rep.location, '/');

		ASSERT_TRUE(slash);
		snprintf(c->node, sizeof(c->node), "%s", slash + 1);
	}
	return code;
}

static inline int kjoin(struct kfx *f, struct kclient *c, const struct jopt *o)
{
	return kjoin_to(f, c, "demo", o);
}

/* A plain successful join to demo as sender+receiver with a COSE_Key. */
static inline void kjoin_ok(struct kfx *f, struct kclient *c)
{
	struct jopt o = { .roles = 6, .cred = CRED_KEY };

	ASSERT_EQ(kjoin(f, c, &o), GKD_CREATED);
}

static inline cbor_item_t *kget(struct kfx *f, int64_t key)
{
	return gk_cbor_map_get_int(f->body, key);
}

static inline uint64_t kget_uint(struct kfx *f, int64_t key)
{
	uint64_t v = 0;

	ASSERT_EQ(gk_cbor_get_uint(kget(f, key), &v), 0);
	return v;
}

/* Problem details with code and (err_id >= 0) ace-groupcomm-error err_id, or none (-1). */
static inline void kexpect_problem(struct kfx *f, int code, int err_id)
{
	cbor_item_t *inner;
	uint64_t id;
	const char *s;
	size_t n;

	ASSERT_EQ(f->rep.code, code);
	ASSERT_EQ(f->rep.content_format, GKD_CF_PROBLEM_DETAILS);
	ASSERT_TRUE(f->body && cbor_isa_map(f->body));
	ASSERT_EQ(gk_cbor_get_tstr(kget(f, -1), &s, &n), 0);
	ASSERT_EQ(gk_cbor_get_tstr(kget(f, -2), &s, &n), 0);
	inner = kget(f, 0);
	if (err_id < 0) {
		EXPECT_TRUE(inner == NULL);
		EXPECT_EQ(cbor_map_size(f->body), 2);
		return;
	}
	ASSERT_TRUE(inner && cbor_isa_map(inner));
	ASSERT_EQ(cbor_map_size(inner), 1);
	ASSERT_EQ(gk_cbor_get_uint(gk_cbor_map_get_int(inner, 0), &id), 0);
	EXPECT_EQ(id, err_id);
}

static inline void kexpect_bare(struct kfx *f, int code)
{
	EXPECT_EQ(f->rep.code, code);
	EXPECT_EQ(f->rep.content_format, GKD_CF_NONE);
	EXPECT_EQ(f->rep.body.len, 0);
}

static inline void knode_path(char *buf, size_t len, const char *group, const char *node,
			      const char *tail)
{
	snprintf(buf, len, "ace-group/%s/nodes/%s%s", group, node, tail ? tail : "");
}

#endif
