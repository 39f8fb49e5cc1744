// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey group join`: token transfer, Join with PoP (RFC 9594 §4.3.1), the member file. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "groupkey/ace_client.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/util.h"

#define KEY_FILE_MAX 1024
#define URI_MAX 512

struct join_state {
	struct gk_rng *rng;
	struct gk_cose_key cred; /* our key pair, when we send a credential */
	bool has_cred;
	struct gk_enc ccs;
	struct gk_enc scope; /* the Join's scope entry */
	uint8_t ns[GK_GC_NONCE_MAX];
	size_t ns_len;
	uint8_t nc[GK_GC_NONCE_LEN];
};

/* --- our credential -------------------------------------------------------- */

static int cred_load(struct cli_ctx *ctx, const char *path, struct gk_cose_key *key)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = gk_read_cbor_or_hex(path, KEY_FILE_MAX, &buf, &len);

	if (!err)
		err = gk_cose_key_decode(buf, len, key);
	if (buf) {
		gk_wipe(buf, len);
		free(buf);
	}
	if (!err && (key->kty != GK_COSE_KTY_EC2 || key->crv != GK_COSE_CRV_P256 || !key->has_d ||
		     gk_p256_check_key(key->x, key->y, key->d)))
		err = -GK_EKEY;
	if (err) {
		gk_cose_key_wipe(key);
		return cli_error(ctx, gk_errname(err),
				 "%s: not an EC2 P-256 COSE_Key with its private key d: %s", path,
				 gk_strerror(err));
	}
	return CLI_OK;
}

static int cred_make(struct cli_ctx *ctx, struct join_state *st, const char *save)
{
	struct gk_cose_key *k = &st->cred;
	struct gk_enc e;
	int err, ret;

	memset(k, 0, sizeof(*k));
	k->kty = GK_COSE_KTY_EC2;
	k->crv = GK_COSE_CRV_P256;
	k->has_d = true;
	err = gk_p256_keygen(st->rng, k->d, k->x, k->y);
	if (err)
		return cli_error(ctx, gk_errname(err), "key generation: %s", gk_strerror(err));
	if (!save)
		return CLI_OK;
	gk_enc_init(&e);
	err = gk_cose_key_encode(&e, k, true);
	ret = err ? cli_error(ctx, gk_errname(err), "cannot encode the key: %s", gk_strerror(err)) :
		    cli_write_private(ctx, save, e.buf, e.len);
	gk_wipe(e.buf, e.len);
	gk_enc_free(&e);
	return ret;
}

static int cred_setup(struct cli_ctx *ctx, const struct group_args *a, struct join_state *st)
{
	int ret;

	if (a->no_cred)
		return CLI_OK;
	ret = a->cred_key ? cred_load(ctx, a->cred_key, &st->cred) :
			    cred_make(ctx, st, a->save_cred_key);
	if (ret)
		return ret;
	st->has_cred = true;
	if (gk_gc_ccs_encode(&st->ccs, st->cred.x, st->cred.y))
		return cli_error(ctx, "nomem", "cannot encode the credential");
	return CLI_OK;
}

/* --- token transfer (RFC 9200 §5.10.1) --------------------------------------- */

static int post_token(struct cli_ctx *ctx, const struct group_args *a, const struct cli_bundle *b,
		      struct join_state *st)
{
	struct gk_coap_response resp = { 0 };
	char uri[URI_MAX];
	int err;

	err = a->authz_info ? cli_coap_uri(a->authz_info, "/authz-info", uri, sizeof(uri)) :
			      gk_ace_default_authz_uri(a->kdc, uri, sizeof(uri));
	if (err)
		return cli_usage_error("bad --authz-info / --kdc URI");
	err = gk_ace_token_post(uri, b->token, b->token_len, a->timeout_ms, st->ns, sizeof(st->ns),
				&st->ns_len, &resp);
	if (err == -EACCES) {
		err = cli_coap_refused(ctx, "KDC /authz-info", &resp);
		gk_coap_response_free(&resp);
		return err;
	}
	if (err == -GK_EMISSING)
		return cli_error(ctx, "bad_response",
				 "/authz-info: no kdcchallenge (46) in the answer");
	return err ? cli_coap_failed(ctx, uri, err) : CLI_OK;
}

/* --- the Join --------------------------------------------------------------- */

/* POST, and once more with the N_S of a 4.00 kdcchallenge (docs/profile.md REQ15). */
static int join_exchange(struct cli_ctx *ctx, const struct group_args *a, struct group_conn *gc,
			 struct join_state *st, struct gk_coap_msg *m)
{
	struct gk_gc_join_params p = { .group = a->group,
				       .roles = a->roles,
				       .get_creds = a->get_creds,
				       .control_uri = a->control_uri };
	int err;

	if (st->has_cred) {
		p.ccs = st->ccs.buf;
		p.ccs_len = st->ccs.len;
		p.d = st->cred.d;
	}
	err = gk_gc_join_exchange(gc->conn, st->rng, &p, st->ns, sizeof(st->ns), &st->ns_len,
				  st->nc, m);
	if (!err)
		return CLI_OK;
	return err == -ENOMEM || err == -EINVAL ?
		       cli_error(ctx, gk_errname(err), "Join: %s", gk_strerror(err)) :
		       cli_coap_failed(ctx, gc->uri, err);
}

static int join_print(struct cli_ctx *ctx, const struct group_args *a, const struct gk_gc_keying *k,
		      const struct gk_gc_member *mf, int code)
{
	json_t *o;

	if (!ctx->json) {
		printf("joined %s as %s (%s): sender id %" PRIu32 ", num %" PRIu32 ", exp %" PRIu64
		       ", kdc_cred_verify ok\n",
		       a->group, mf->node, code == 201 ? "new member" : "re-join", mf->sender_id,
		       k->num, k->exp);
		return CLI_OK;
	}
	o = group_keying_json(ctx, k, code);
	if (!o)
		return cli_error(ctx, "nomem", "out of memory");
	json_object_set_new(o, "group", json_string(a->group));
	json_object_set_new(o, "node", json_string(mf->node));
	json_object_set_new(o, "location", json_string(mf->location));
	json_object_set_new(o, "kdc_cred_verify", json_string("ok"));
	json_object_set_new(o, "creds", json_integer((json_int_t)k->n_creds));
	if (a->out)
		json_object_set_new(o, "member_file", json_string(a->out));
	return cli_print_json(ctx, o) ? CLI_FAIL : CLI_OK;
}

static int join_finish(struct cli_ctx *ctx, const struct group_args *a, struct join_state *st,
		       const struct gk_coap_msg *m)
{
	struct gk_gc_member *mf = NULL;
	struct gk_gc_keying k = { 0 };
	int err, ret = CLI_FAIL;

	if (m->code != 201 && m->code != 204)
		return group_refused(ctx, m);
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return cli_error(ctx, "nomem", "out of memory");
	err = gk_gc_join_result(m, a->group, st->nc, &k, mf);
	if (err == -EBADMSG)
		cli_error(ctx, "bad_response", "Location-Path '%s' is not ace-group/%s/nodes/N",
			  m->location, a->group);
	else if (err == -GK_EMISSING && k.kdc_cred_len && k.kdc_nonce_len)
		cli_error(ctx, "bad_response", "Join Response without sender_id (-65537)");
	else if (err == -GK_EMISSING || err == -GK_EBADSIG || err == -GK_EKEY)
		cli_error(ctx, gk_errname(err), "kdc_cred_verify: %s", gk_strerror(err));
	else if (err)
		cli_error(ctx, "bad_response", "Join Response: %s", gk_strerror(err));
	if (err)
		goto out;
	snprintf(mf->kdc, sizeof(mf->kdc), "%s", a->kdc);
	mf->roles = a->roles;
	if (a->out && group_save_member(ctx, a->out, mf))
		goto out;
	ret = join_print(ctx, a, &k, mf, m->code);
out:
	gk_wipe(mf, sizeof(*mf));
	free(mf);
	gk_wipe(&k, sizeof(k));
	return ret;
}

static int join_prepare(struct cli_ctx *ctx, const struct group_args *a, struct join_state *st)
{
	struct gk_scope_entry e = { .roles = a->roles };
	int err;

	snprintf(e.group, sizeof(e.group), "%s", a->group);
	err = gk_rng_new(&st->rng);
	if (!err)
		err = gk_scope_entry_encode(&st->scope, &e, false);
	if (err)
		return cli_error(ctx, gk_errname(err), "cannot prepare the Join: %s",
				 gk_strerror(err));
	return cred_setup(ctx, a, st);
}

int group_join(struct cli_ctx *ctx, struct group_args *a)
{
	struct join_state *st = calloc(1, sizeof(*st));
	struct gk_coap_msg m = { 0 };
	struct group_conn gc = { 0 };
	struct cli_bundle b;
	int ret;

	if (!st)
		return cli_error(ctx, "nomem", "out of memory");
	gk_enc_init(&st->ccs);
	gk_enc_init(&st->scope);
	ret = join_prepare(ctx, a, st);
	if (!ret && !a->no_post) {
		ret = cli_bundle_load(ctx, a->token, &b);
		if (!ret) {
			ret = post_token(ctx, a, &b, st);
			cli_bundle_free(&b);
		}
	}
	/* Without a Token Transfer the token itself is the PSK identity (RFC 9202 §3.3). */
	if (!ret)
		ret = group_connect(ctx, a, a->no_post || a->identity_token, &gc);
	if (!ret) {
		ret = join_exchange(ctx, a, &gc, st, &m);
		if (!ret)
			ret = join_finish(ctx, a, st, &m);
		gk_coap_msg_free(&m);
		group_disconnect(&gc);
	}
	gk_rng_free(st->rng);
	gk_enc_free(&st->ccs);
	gk_enc_free(&st->scope);
	gk_cose_key_wipe(&st->cred);
	gk_wipe(st, sizeof(*st));
	free(st);
	return ret;
}
