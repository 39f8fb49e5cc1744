// SPDX-License-Identifier: BSD-3-Clause
/* The Join as a member runs it (RFC 9594 §4.3.1): request with PoP, N_S retry, response checks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "groupkey/ace_client.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"

static int join_body(struct gk_rng *rng, const struct gk_gc_join_params *p, const uint8_t *ns,
		     size_t ns_len, const uint8_t nc[GK_GC_NONCE_LEN], struct gk_enc *e)
{
	struct gk_scope_entry se = { .roles = p->roles };
	struct gk_gc_join j = { .get_creds = p->get_creds,
				.cnonce = nc,
				.cnonce_len = GK_GC_NONCE_LEN,
				.control_uri = p->control_uri };
	uint8_t sig[GK_GC_SIG_LEN];
	struct gk_enc scope;
	int err;

	if (snprintf(se.group, sizeof(se.group), "%s", p->group) >= (int)sizeof(se.group))
		return -EINVAL;
	gk_enc_init(&scope);
	err = gk_scope_entry_encode(&scope, &se, false);
	j.scope = scope.buf;
	j.scope_len = scope.len;
	if (!err && p->ccs) {
		/* Without N_S yet the KDC answers with one before it looks at the PoP. */
		err = gk_gc_pop_sign(rng, p->d, scope.buf, scope.len, ns, ns_len, nc,
				     GK_GC_NONCE_LEN, sig);
		j.client_cred = p->ccs;
		j.client_cred_len = p->ccs_len;
		j.client_cred_verify = sig;
		j.client_cred_verify_len = sizeof(sig);
	}
	if (!err)
		err = gk_gc_join_encode(e, &j);
	gk_enc_free(&scope);
	return err;
}

int gk_gc_join_exchange(struct gk_coap_conn *c, struct gk_rng *rng,
			const struct gk_gc_join_params *p, uint8_t *ns, size_t ns_cap,
			size_t *ns_len, uint8_t nc[GK_GC_NONCE_LEN], struct gk_coap_msg *m)
{
	char path[GK_GROUP_NAME_MAX + 16];
	int err;

	memset(m, 0, sizeof(*m));
	if (snprintf(path, sizeof(path), "ace-group/%s", p->group) >= (int)sizeof(path))
		return -EINVAL;
	err = gk_random(rng, nc, GK_GC_NONCE_LEN);
	for (int attempt = 0; !err && attempt < 2; attempt++) {
		struct gk_enc e;

		gk_enc_init(&e);
		err = join_body(rng, p, ns, *ns_len, nc, &e);
		if (!err)
			err = gk_coap_conn_request(c, GK_COAP_POST, path, GK_ACE_CF_GROUPCOMM,
						   e.buf, e.len, m);
		gk_enc_free(&e);
		if (err || attempt || m->code != 400 ||
		    m->content_format != GK_ACE_CF_GROUPCOMM ||
		    gk_gc_kdcchallenge(m->payload, m->payload_len, ns, ns_cap, ns_len))
			break;
		gk_coap_msg_free(m);
	}
	return err;
}

/* "ace-group/G/nodes/N" -> N */
static int node_of(const char *location, const char *group, char *node, size_t cap)
{
	char prefix[GK_GROUP_NAME_MAX + 20];
	size_t n;

	snprintf(prefix, sizeof(prefix), "ace-group/%s/nodes/", group);
	n = strlen(prefix);
	if (strncmp(location, prefix, n) || !location[n] || strchr(location + n, '/') ||
	    strlen(location + n) >= cap)
		return -EBADMSG;
	snprintf(node, cap, "%s", location + n);
	return 0;
}

int gk_gc_join_result(const struct gk_coap_msg *m, const char *group,
		      const uint8_t nc[GK_GC_NONCE_LEN], struct gk_gc_keying *k,
		      struct gk_gc_member *mf)
{
	int err;

	memset(mf, 0, sizeof(*mf));
	if (m->code != 201 && m->code != 204)
		return -EPROTO;
	err = gk_gc_keying_parse(m->payload, m->payload_len, k);
	if (err)
		return err;
	/*
	 * docs/profile.md REQ8, REQ21: every Join Response carries the KDC's
	 * credential and PoP; an absent PoP is missing, not a bad signature.
	 */
	err = k->kdc_cred_len && k->kdc_nonce_len && k->kdc_cred_verify_len ?
		      gk_gc_kdc_cred_verify(k->kdc_cred, k->kdc_cred_len, nc, GK_GC_NONCE_LEN,
					    k->kdc_nonce, k->kdc_nonce_len, k->kdc_cred_verify,
					    k->kdc_cred_verify_len) :
		      -GK_EMISSING;
	if (!err && !k->has_sender_id)
		err = -GK_EMISSING;
	if (!err)
		err = node_of(m->location, group, mf->node, sizeof(mf->node));
	if (err)
		return err;
	snprintf(mf->group, sizeof(mf->group), "%s", group);
	snprintf(mf->location, sizeof(mf->location), "%s", m->location);
	mf->sender_id = k->sender_id;
	mf->num = k->num;
	memcpy(mf->key, k->k, sizeof(mf->key));
	mf->exp = k->exp;
	mf->exi = k->exi;
	memcpy(mf->cnonce, nc, GK_GC_NONCE_LEN);
	mf->cnonce_len = GK_GC_NONCE_LEN;
	memcpy(mf->kdc_cred, k->kdc_cred, k->kdc_cred_len);
	mf->kdc_cred_len = k->kdc_cred_len;
	return 0;
}
