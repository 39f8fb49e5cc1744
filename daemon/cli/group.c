// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey group keys, creds, leave, renew, policies, num, kdc-cred`; shared helpers. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "group.h"
#include "groupkey/ace_client.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/util.h"

#define CF_ACE_GROUPCOMM 261
#define CF_PROBLEM_DETAILS 257
#define CF_LINK_FORMAT 40
#define MEMBER_MAX (16 * 1024)
#define OBSERVE_MAX_S 86400

/* Per command: its synopsis, what it does, and its own options. */
static const struct {
	const char *name, *summary, *synopsis, *what, *options;
} group_help[] = {
	{ "join", "POST /ace-group/G: become a member, save the member file (-o)",
	  "--role R[,R] [--cred-key FILE | --save-cred-key FILE | --no-cred]\n"
	  "        [--get-creds] [--control-uri URI] [--authz-info URI] [--no-post] [-o FILE]",
	  "POST /ace-group/G (RFC 9594 §4.3.1): become a member. The token is posted to\n"
	  "/authz-info first for N_S; the Join carries our credential (a CCS) and its ES256\n"
	  "proof of possession over bstr(scope) || bstr(N_S) || bstr(N_C); a 4.00 kdcchallenge\n"
	  "is answered with a second Join; kdc_cred_verify is checked. -o saves the member\n"
	  "file (mode 0600): node, sender id, key, num, exp, N_C, the KDC's credential.",
	  "  --role R[,R]       roles to join with (sender, receiver, monitor)\n"
	  "  --cred-key FILE    our credential's key: an EC2 P-256 COSE_Key with d; without it a\n"
	  "                     key is generated (--save-cred-key FILE keeps it, mode 0600)\n"
	  "  --no-cred          join without client_cred (groups that do not require one)\n"
	  "  --get-creds        ask for the members' credentials (get_creds null)\n"
	  "  --control-uri URI  give the KDC a control_uri (stored, not used: profile REQ9)\n"
	  "  --authz-info URI   where the token is posted first for N_S (default\n"
	  "                     coap://HOST:5683/authz-info of --kdc's HOST)\n"
	  "  --no-post          do not post the token: it becomes the PSK identity and N_S\n"
	  "                     comes from the KDC's 4.00 kdcchallenge\n"
	  "  -o FILE            save the member file\n" },
	{ "keys", "GET /ace-group/G (or nodes/N): the keying material; --observe: rekeys",
	  "[--node N] [--observe SECONDS]",
	  "GET /ace-group/G, or /ace-group/G/nodes/N (with the sender id): the current keying\n"
	  "material. --observe registers for rekeys (RFC 7641) and prints the answer and every\n"
	  "notification as one JSON line each, for SECONDS; a final error ends it (exit 1).",
	  "  --node N           the member's NODENAME (default with --member: none)\n"
	  "  --observe SECONDS  observe for that long (1..86400)\n" },
	{ "creds", "GET or FETCH /ace-group/G/creds: the members' credentials",
	  "[--role R[,R]]... [--id SENDERID]...",
	  "GET /ace-group/G/creds (all members' credentials) or, with a filter, FETCH with\n"
	  "{4 get_creds: [true, roles, ids]}: a member with all roles of one --role, or one of\n"
	  "the --id sender ids.",
	  "  --role R[,R]       a role filter entry (repeatable)\n"
	  "  --id SENDERID      a sender id (repeatable)\n" },
	{ "policies", "GET /ace-group/G/policies", "",
	  "GET /ace-group/G/policies: Key Update Check Interval, Expiration Delta.", NULL },
	{ "num", "GET /ace-group/G/num: the version of the keying material", "",
	  "GET /ace-group/G/num: the version of the keying material.", NULL },
	{ "kdc-cred", "GET /ace-group/G/kdc-cred; with --member, kdc_cred_verify is checked",
	  "[--member FILE]",
	  "GET /ace-group/G/kdc-cred. With --member, the credential must be the one the Join\n"
	  "gave and kdc_cred_verify must verify over the Join's N_C and the fresh N_KDC.",
	  NULL },
	{ "renew", "POST /ace-group/G/nodes/N: a new sender id", "--node N | --member FILE",
	  "POST /ace-group/G/nodes/N: a new sender id (senders only); updates --member's file.",
	  "  --node N           the member's NODENAME\n" },
	{ "leave", "DELETE /ace-group/G/nodes/N: leave the group", "--node N | --member FILE",
	  "DELETE /ace-group/G/nodes/N: leave the group.",
	  "  --node N           the member's NODENAME\n" },
	{ "request", "any request, answer printed as JSON (a testing aid)",
	  "--method M --path P [--payload FILE] [--content-format N]",
	  "Any request (a testing aid; --group is not needed): prints the code, the\n"
	  "Content-Format, the Location-Path and the payload as JSON, and exits 0 whatever\n"
	  "the code (1 only without a response). The payload defaults to Content-Format 261.",
	  "  --method M         GET, POST, PUT, DELETE or FETCH\n"
	  "  --path P           Uri-Path (and ?query)\n"
	  "  --payload FILE     the body, raw CBOR or hex\n"
	  "  --content-format N override 261\n" },
};

static const char group_common[] =
	"Common options:\n"
	"  --kdc URI          coaps://HOST[:PORT] of the KDC\n"
	"  --token BUNDLE     token bundle from `groupkey token request -o`\n"
	"  --group G          the group\n"
	"  --member FILE      a member file from `group join -o`: --kdc, --group and --node\n"
	"                     default to its values\n"
	"  --identity kid|token  PSK identity: the posted token's kid (default) or the token\n"
	"  --timeout MS       per request (default 10000)\n"
	"  --verbose          libcoap's debug output\n"
	"  --json             JSON output; errors as {\"error\", \"reason\", \"code\", ...}\n\n"
	"Errors print the CoAP code, the problem details' title and detail and the\n"
	"ace-groupcomm error id (RFC 9594 §9), and exit 1.\n";

/* cmd NULL: the overview. */
static void group_usage(FILE *f, const char *cmd)
{
	for (size_t i = 0; cmd && i < GK_ARRAY_SIZE(group_help); i++) {
		if (strcmp(cmd, group_help[i].name))
			continue;
		fprintf(f,
			"Usage: groupkey group %s --kdc URI --token BUNDLE --group G %s\n\n%s\n\n",
			cmd, group_help[i].synopsis, group_help[i].what);
		if (group_help[i].options)
			fprintf(f, "Options of %s:\n%s\n", cmd, group_help[i].options);
		fputs(group_common, f);
		return;
	}
	fprintf(f,
		"Usage: groupkey group COMMAND --kdc coaps://HOST:PORT --token BUNDLE --group G"
		" [OPTIONS]\n"
		"       groupkey group COMMAND --help\n\n"
		"Commands (RFC 9594 over DTLS-PSK with the token's PoP key, docs/profile.md):\n");
	for (size_t i = 0; i < GK_ARRAY_SIZE(group_help); i++)
		fprintf(f, "  %-9s %s\n", group_help[i].name, group_help[i].summary);
	fputc('\n', f);
	fputs(group_common, f);
}

/* --- shared ------------------------------------------------------------------ */


int group_connect(struct cli_ctx *ctx, const struct group_args *a, bool identity_token,
		  struct group_conn *gc)
{
	struct gk_coap_conn_cfg cfg = { .timeout_ms = a->timeout_ms };
	uint8_t *id = NULL;
	size_t id_len = 0;
	int err;

	memset(gc, 0, sizeof(*gc));
	snprintf(gc->uri, sizeof(gc->uri), "%s", a->kdc);
	if (cli_bundle_load(ctx, a->token, &gc->b))
		return CLI_FAIL;
	if (!gc->b.has_pop || !gc->b.pop.k_len) {
		cli_error(ctx, "no_pop_key", "%s: no PoP key (cnf) in the file", a->token);
		goto out_fail;
	}
	err = identity_token ? 0 : gk_ace_kid_identity_buf(&gc->b.pop, &id, &id_len);
	if (err) {
		cli_error(ctx, gk_errname(err), "PSK identity: %s", gk_strerror(err));
		goto out_fail;
	}
	cfg.uri = a->kdc;
	cfg.psk_identity = identity_token ? gc->b.token : id;
	cfg.psk_identity_len = identity_token ? gc->b.token_len : id_len;
	cfg.psk_key = gc->b.pop.k;
	cfg.psk_key_len = gc->b.pop.k_len;
	gk_coap_client_verbose(a->verbose);
	err = gk_coap_conn_open(&cfg, &gc->conn);
	free(id);
	if (err) {
		cli_coap_failed(ctx, a->kdc, err);
		goto out_fail;
	}
	return CLI_OK;
out_fail:
	cli_bundle_free(&gc->b);
	return CLI_FAIL;
}

void group_disconnect(struct group_conn *gc)
{
	gk_coap_conn_close(gc->conn);
	gc->conn = NULL;
	cli_bundle_free(&gc->b);
}

int group_refused(struct cli_ctx *ctx, const struct gk_coap_msg *m)
{
	struct gk_gc_problem p = { .error_id = -1 };
	char code[16], msg[768];
	const char *name;
	json_t *o;

	gk_coap_code_str(m->code, code, sizeof(code));
	if (m->content_format == CF_PROBLEM_DETAILS && m->payload_len)
		gk_gc_problem_parse(m->payload, m->payload_len, &p);
	name = gk_gc_error_name(p.error_id);
	if (p.error_id >= 0)
		snprintf(msg, sizeof(msg),
			 "KDC refused the request: %s %s%s%s (ace-groupcomm error %d%s%s)", code,
			 p.title, p.detail[0] ? ": " : "", p.detail, p.error_id, name ? ": " : "",
			 name ? name : "");
	else
		snprintf(msg, sizeof(msg), "KDC refused the request: %s%s%s%s%s", code,
			 p.title[0] ? " " : "", p.title, p.detail[0] ? ": " : "", p.detail);
	fprintf(stderr, "Error: %s\n", msg);
	if (!ctx->json)
		return CLI_FAIL;
	o = json_pack("{s:s,s:s,s:s}", "error", msg, "reason",
		      p.error_id >= 0 ? "ace_groupcomm_error" : "coap_error", "code", code);
	if (o && p.title[0])
		json_object_set_new(o, "title", json_string(p.title));
	if (o && p.detail[0])
		json_object_set_new(o, "detail", json_string(p.detail));
	if (o && p.error_id >= 0)
		json_object_set_new(o, "error_id", json_integer(p.error_id));
	cli_print_json(ctx, o);
	return CLI_FAIL;
}

static json_t *secret_json(const struct cli_ctx *ctx, const uint8_t *p, size_t n)
{
	char buf[64];

	if (ctx->show_secrets)
		return cli_bstr_json(p, n);
	snprintf(buf, sizeof(buf), "(redacted, %zu bytes)", n);
	return json_string(buf);
}

json_t *group_keying_json(const struct cli_ctx *ctx, const struct gk_gc_keying *k, int code)
{
	uint8_t kid[4] = { (uint8_t)(k->num >> 24), (uint8_t)(k->num >> 16), (uint8_t)(k->num >> 8),
			   (uint8_t)k->num };
	char c[16];
	json_t *o;

	o = json_pack("{s:s,s:I,s:o,s:o,s:I}", "code", gk_coap_code_str(code, c, sizeof(c)), "num",
		      (json_int_t)k->num, "kid", cli_bstr_json(kid, sizeof(kid)), "key",
		      secret_json(ctx, k->k, sizeof(k->k)), "key_exp", (json_int_t)k->key_exp);
	if (o && k->has_exp)
		json_object_set_new(o, "exp", json_integer((json_int_t)k->exp));
	if (o && k->has_exi)
		json_object_set_new(o, "exi", json_integer((json_int_t)k->exi));
	if (o && k->has_profile)
		json_object_set_new(o, "ace_groupcomm_profile", json_integer(k->profile));
	if (o && k->has_rekeying_scheme)
		json_object_set_new(o, "rekeying_scheme", json_integer(k->rekeying_scheme));
	if (o && k->has_sender_id)
		json_object_set_new(o, "sender_id", json_integer(k->sender_id));
	if (o && k->has_policies)
		json_object_set_new(o, "group_policies",
				    json_pack("{s:I,s:I}", "key_check_interval",
					      (json_int_t)k->key_check_interval, "exp_delta",
					      (json_int_t)k->exp_delta));
	return o;
}

int group_save_member(struct cli_ctx *ctx, const char *path, const struct gk_gc_member *m)
{
	struct gk_enc e;
	int err, ret;

	gk_enc_init(&e);
	err = gk_gc_member_encode(&e, m);
	if (err) {
		gk_enc_free(&e);
		return cli_error(ctx, gk_errname(err), "member file: %s", gk_strerror(err));
	}
	ret = cli_write_private(ctx, path, e.buf, e.len);
	gk_wipe(e.buf, e.len);
	gk_enc_free(&e);
	return ret;
}

/* One request; 0 with *m for the wanted code, else the error is printed (CLI_FAIL). */
static int exchange(struct cli_ctx *ctx, struct group_conn *gc, enum gk_coap_method method,
		    const char *path, const uint8_t *body, size_t len, int want,
		    struct gk_coap_msg *m)
{
	int err = gk_coap_conn_request(gc->conn, method, path,
				       len ? CF_ACE_GROUPCOMM : GK_COAP_NO_FORMAT, body, len, m);

	if (err)
		return cli_coap_failed(ctx, gc->uri, err);
	if (m->code != want) {
		group_refused(ctx, m);
		gk_coap_msg_free(m);
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int bad_response(struct cli_ctx *ctx, const char *what, int err)
{
	return cli_error(ctx, "bad_response", "KDC response: %s: %s", what, gk_strerror(err));
}

/* --- keys ---------------------------------------------------------------------- */

static int print_keying(struct cli_ctx *ctx, const struct gk_gc_keying *k, int code)
{
	if (ctx->json)
		return cli_print_json(ctx, group_keying_json(ctx, k, code)) ? CLI_FAIL : CLI_OK;
	printf("num %" PRIu32 " exp %" PRIu64 " exi %" PRIu64, k->num, k->exp, k->exi);
	if (k->has_sender_id)
		printf(" sender_id %" PRIu32, k->sender_id);
	if (ctx->show_secrets) {
		char hex[2 * GK_GC_GROUP_KEY_LEN + 1];

		gk_hex_encode(k->k, sizeof(k->k), hex);
		printf(" key %s", hex);
	}
	printf("\n");
	return CLI_OK;
}

struct observe_state {
	struct cli_ctx *ctx;
	int ret;
};

/* One JSON line per notification, flushed at once (a reader acts on each rekey). */
static int observe_cb(void *arg, const struct gk_coap_msg *m)
{
	struct observe_state *st = arg;
	struct cli_ctx line = *st->ctx;
	struct gk_gc_keying k;
	json_t *o;
	int err;

	line.json = true;
	line.pretty = false;
	if (m->code != 205) {
		group_refused(&line, m);
		fflush(stdout);
		st->ret = CLI_FAIL;
		return 0;
	}
	err = gk_gc_keying_parse(m->payload, m->payload_len, &k);
	if (err) {
		st->ret = bad_response(&line, "keying material", err);
		fflush(stdout);
		return 1;
	}
	o = group_keying_json(&line, &k, m->code);
	gk_wipe(&k, sizeof(k));
	if (o && m->has_observe)
		json_object_set_new(o, "observe", json_integer(m->observe));
	cli_print_json(&line, o);
	fflush(stdout);
	return 0;
}

static int cmd_keys(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	struct observe_state st = { .ctx = ctx, .ret = CLI_OK };
	struct gk_coap_msg m;
	struct gk_gc_keying k;
	char path[160];
	int err;

	if (a->node)
		snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", a->group, a->node);
	else
		snprintf(path, sizeof(path), "ace-group/%s", a->group);
	if (a->observe_s) {
		err = gk_coap_conn_observe(gc->conn, path, a->observe_s * 1000, observe_cb, &st);
		if (err < 0)
			return cli_coap_failed(ctx, gc->uri, err);
		return st.ret;
	}
	if (exchange(ctx, gc, GK_COAP_GET, path, NULL, 0, 205, &m))
		return CLI_FAIL;
	err = gk_gc_keying_parse(m.payload, m.payload_len, &k);
	gk_coap_msg_free(&m);
	if (err)
		return bad_response(ctx, "keying material", err);
	err = print_keying(ctx, &k, 205);
	gk_wipe(&k, sizeof(k));
	return err;
}

/* --- creds ------------------------------------------------------------------------ */

static void enc_role_filter(struct gk_enc *e, uint32_t roles)
{
	unsigned n = 0;

	for (int r = 1; r <= GK_ROLE_MAX; r++)
		n += !!(roles & GK_ROLE_BIT(r));
	if (n > 1)
		gk_enc_array(e, n);
	for (int r = 1; r <= GK_ROLE_MAX; r++)
		if (roles & GK_ROLE_BIT(r))
			gk_enc_tstr(e, gk_role_name(r));
}

/* {4 get_creds: [true, [role...], [id...]]} (RFC 9594 §4.4.1.1) */
static int creds_request(const struct group_args *a, struct gk_enc *e)
{
	gk_enc_map(e, 1);
	gk_enc_uint(e, GK_GC_GET_CREDS);
	gk_enc_array(e, 3);
	gk_enc_bool(e, true);
	gk_enc_array(e, a->n_role_filters);
	for (size_t i = 0; i < a->n_role_filters; i++)
		enc_role_filter(e, a->role_filters[i]);
	gk_enc_array(e, a->n_ids);
	for (size_t i = 0; i < a->n_ids; i++) {
		uint8_t id[4] = { (uint8_t)(a->ids[i] >> 24), (uint8_t)(a->ids[i] >> 16),
				  (uint8_t)(a->ids[i] >> 8), (uint8_t)a->ids[i] };

		gk_enc_bstr(e, id, sizeof(id));
	}
	return e->err;
}

static json_t *roles_json(const cbor_item_t *it)
{
	char buf[64];
	uint64_t v;

	if (!gk_cbor_get_uint(it, &v) && v <= UINT32_MAX &&
	    !gk_roles_format((uint32_t)v, buf, sizeof(buf)))
		return json_string(buf);
	return NULL;
}

static int print_creds(struct cli_ctx *ctx, const struct gk_coap_msg *m)
{
	cbor_item_t *it = NULL, *creds, *roles, *ids;
	json_t *list = json_array();
	const uint8_t *p;
	size_t n = 0, len;
	uint64_t num = 0;
	int ret = CLI_FAIL;

	if (!list || gk_cbor_decode(m->payload, m->payload_len, NULL, &it)) {
		json_decref(list);
		return cli_error(ctx, "bad_response", "KDC response is not CBOR");
	}
	if (!gk_cbor_get_bstr(it, &p, &len) && !len)
		goto print; /* nothing selected (RFC 9594 §4.4.1) */
	creds = gk_cbor_map_get_int(it, GK_GC_CREDS);
	roles = gk_cbor_map_get_int(it, GK_GC_PEER_ROLES);
	ids = gk_cbor_map_get_int(it, GK_GC_PEER_IDENTIFIERS);
	if (gk_cbor_get_uint(gk_cbor_map_get_int(it, GK_GC_NUM), &num) || !creds || !ids ||
	    !cbor_isa_array(creds) || !cbor_isa_array(ids) ||
	    cbor_array_size(ids) != cbor_array_size(creds) ||
	    (roles &&
	     (!cbor_isa_array(roles) || cbor_array_size(roles) != cbor_array_size(creds)))) {
		cli_error(ctx, "bad_response",
			  "creds response lacks aligned creds/peer_identifiers");
		goto out;
	}
	n = cbor_array_size(creds);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *id;
		size_t id_len;
		json_t *o;

		if (gk_cbor_get_bstr(cbor_array_handle(ids)[i], &id, &id_len) || id_len != 4) {
			cli_error(ctx, "bad_response", "peer identifier %zu is no 4-byte sender id",
				  i);
			goto out;
		}
		o = json_pack("{s:I,s:o}", "sender_id",
			      (json_int_t)((uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
					   (uint32_t)id[2] << 8 | id[3]),
			      "cred",
			      cli_cbor_to_json(ctx, cbor_array_handle(creds)[i], CLI_LABELS_NONE));
		if (o && roles)
			json_object_set_new(o, "roles", roles_json(cbor_array_handle(roles)[i]));
		json_array_append_new(list, o);
	}
print:
	if (ctx->json) {
		ret = cli_print_json(ctx, json_pack("{s:s,s:I,s:O}", "code", "2.05", "num",
						    (json_int_t)num, "creds", list)) ?
			      CLI_FAIL :
			      CLI_OK;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);

		printf("%" JSON_INTEGER_FORMAT " %s %s\n",
		       json_integer_value(json_object_get(o, "sender_id")),
		       json_string_value(json_object_get(o, "roles")) ?
			       json_string_value(json_object_get(o, "roles")) :
			       "-",
		       json_string_value(json_object_get(o, "cred")));
	}
	if (!n)
		fprintf(stderr, "no credential selected\n");
	ret = CLI_OK;
out:
	json_decref(list);
	cbor_decref(&it);
	return ret;
}

static int cmd_creds(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	bool fetch = a->n_role_filters || a->n_ids;
	struct gk_coap_msg m;
	struct gk_enc e;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "ace-group/%s/creds", a->group);
	gk_enc_init(&e);
	if (fetch && creds_request(a, &e)) {
		gk_enc_free(&e);
		return cli_error(ctx, "nomem", "cannot encode the request");
	}
	ret = exchange(ctx, gc, fetch ? GK_COAP_FETCH : GK_COAP_GET, path, e.buf, e.len, 205, &m);
	gk_enc_free(&e);
	if (ret)
		return ret;
	ret = print_creds(ctx, &m);
	gk_coap_msg_free(&m);
	return ret;
}

/* --- policies, num ------------------------------------------------------------------ */

static int cmd_policies(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	cbor_item_t *it = NULL, *pol;
	struct gk_coap_msg m;
	uint64_t kci = 0, delta = 0;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "ace-group/%s/policies", a->group);
	if (exchange(ctx, gc, GK_COAP_GET, path, NULL, 0, 205, &m))
		return CLI_FAIL;
	if (gk_cbor_decode(m.payload, m.payload_len, NULL, &it) || !cbor_isa_map(it) ||
	    !(pol = gk_cbor_map_get_int(it, GK_GC_GROUP_POLICIES)) || !cbor_isa_map(pol)) {
		ret = cli_error(ctx, "bad_response", "expected {16: group_policies}");
		goto out;
	}
	gk_cbor_get_uint(gk_cbor_map_get_int(pol, GK_GP_KEY_CHECK_INTERVAL), &kci);
	gk_cbor_get_uint(gk_cbor_map_get_int(pol, GK_GP_EXP_DELTA), &delta);
	if (ctx->json) {
		ret = cli_print_json(ctx, json_pack("{s:s,s:I,s:I}", "code", "2.05",
						    "key_check_interval", (json_int_t)kci,
						    "exp_delta", (json_int_t)delta)) ?
			      CLI_FAIL :
			      CLI_OK;
	} else {
		printf("key_check_interval %" PRIu64 "\nexp_delta %" PRIu64 "\n", kci, delta);
		ret = CLI_OK;
	}
out:
	if (it)
		cbor_decref(&it);
	gk_coap_msg_free(&m);
	return ret;
}

static int cmd_num(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	cbor_item_t *it = NULL;
	struct gk_coap_msg m;
	uint64_t num = 0;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "ace-group/%s/num", a->group);
	if (exchange(ctx, gc, GK_COAP_GET, path, NULL, 0, 205, &m))
		return CLI_FAIL;
	if (gk_cbor_decode(m.payload, m.payload_len, NULL, &it) || gk_cbor_get_uint(it, &num)) {
		ret = cli_error(ctx, "bad_response", "num is not a CBOR uint");
	} else if (ctx->json) {
		ret = cli_print_json(
			      ctx, json_pack("{s:s,s:I}", "code", "2.05", "num", (json_int_t)num)) ?
			      CLI_FAIL :
			      CLI_OK;
	} else {
		printf("%" PRIu64 "\n", num);
		ret = CLI_OK;
	}
	if (it)
		cbor_decref(&it);
	gk_coap_msg_free(&m);
	return ret;
}

/* --- kdc-cred ------------------------------------------------------------------------ */

static int kdc_cred_check(struct cli_ctx *ctx, const struct group_args *a, const cbor_item_t *it,
			  const char **verdict)
{
	const uint8_t *cred, *nonce, *sig;
	size_t cred_len, nonce_len, sig_len;
	int err;

	*verdict = "not checked (no --member)";
	if (gk_cbor_get_bstr(gk_cbor_map_get_int(it, GK_GC_KDC_CRED), &cred, &cred_len) ||
	    gk_cbor_get_bstr(gk_cbor_map_get_int(it, GK_GC_KDC_NONCE), &nonce, &nonce_len) ||
	    gk_cbor_get_bstr(gk_cbor_map_get_int(it, GK_GC_KDC_CRED_VERIFY), &sig, &sig_len))
		return cli_error(ctx, "bad_response",
				 "expected {17 kdc_cred, 18 kdc_nonce, "
				 "19 kdc_cred_verify}");
	if (!a->has_mf)
		return CLI_OK;
	if (a->mf.kdc_cred_len &&
	    (cred_len != a->mf.kdc_cred_len || memcmp(cred, a->mf.kdc_cred, cred_len)))
		return cli_error(ctx, "kdc_cred_changed",
				 "the KDC's credential differs from the one in %s", a->member);
	err = gk_gc_kdc_cred_verify(cred, cred_len, a->mf.cnonce, a->mf.cnonce_len, nonce,
				    nonce_len, sig, sig_len);
	if (err)
		return cli_error(ctx, gk_errname(err), "kdc_cred_verify: %s", gk_strerror(err));
	*verdict = "ok";
	return CLI_OK;
}

static int cmd_kdc_cred(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	cbor_item_t *it = NULL;
	struct gk_coap_msg m;
	const char *verdict;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "ace-group/%s/kdc-cred", a->group);
	if (exchange(ctx, gc, GK_COAP_GET, path, NULL, 0, 205, &m))
		return CLI_FAIL;
	if (gk_cbor_decode(m.payload, m.payload_len, NULL, &it) || !cbor_isa_map(it)) {
		ret = cli_error(ctx, "bad_response", "not a CBOR map");
		goto out;
	}
	ret = kdc_cred_check(ctx, a, it, &verdict);
	if (ret)
		goto out;
	if (ctx->json) {
		ret = cli_print_json(ctx,
				     json_pack("{s:s,s:o,s:o,s:o,s:s}", "code", "2.05", "kdc_cred",
					       cli_cbor_to_json(ctx, gk_cbor_map_get_int(it, 17),
								CLI_LABELS_NONE),
					       "kdc_nonce",
					       cli_cbor_to_json(ctx, gk_cbor_map_get_int(it, 18),
								CLI_LABELS_NONE),
					       "kdc_cred_verify",
					       cli_cbor_to_json(ctx, gk_cbor_map_get_int(it, 19),
								CLI_LABELS_NONE),
					       "verified", verdict)) ?
			      CLI_FAIL :
			      CLI_OK;
	} else {
		printf("kdc_cred_verify %s\n", verdict);
	}
out:
	if (it)
		cbor_decref(&it);
	gk_coap_msg_free(&m);
	return ret;
}

/* --- renew, leave ----------------------------------------------------------------------- */

static int cmd_renew(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	cbor_item_t *it = NULL;
	struct gk_coap_msg m;
	uint64_t sid = 0;
	char path[160];
	int ret = CLI_FAIL;

	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", a->group, a->node);
	if (exchange(ctx, gc, GK_COAP_POST, path, NULL, 0, 205, &m))
		return CLI_FAIL;
	if (gk_cbor_decode(m.payload, m.payload_len, NULL, &it) || !cbor_isa_map(it) ||
	    gk_cbor_get_uint(gk_cbor_map_get_int(it, GK_GC_SENDER_ID), &sid) || !sid ||
	    sid > UINT32_MAX) {
		cli_error(ctx, "bad_response", "expected {-65537 sender_id: uint}");
		goto out;
	}
	if (a->has_mf && !strcmp(a->mf.node, a->node)) {
		a->mf.sender_id = (uint32_t)sid;
		if (group_save_member(ctx, a->member, &a->mf))
			goto out;
	}
	if (ctx->json)
		ret = cli_print_json(ctx, json_pack("{s:s,s:s,s:I}", "code", "2.05", "node",
						    a->node, "sender_id", (json_int_t)sid)) ?
			      CLI_FAIL :
			      CLI_OK;
	else
		ret = printf("sender_id %" PRIu64 "\n", sid) < 0 ? CLI_FAIL : CLI_OK;
out:
	if (it)
		cbor_decref(&it);
	gk_coap_msg_free(&m);
	return ret;
}

static int cmd_leave(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	struct gk_coap_msg m;
	char path[160];

	snprintf(path, sizeof(path), "ace-group/%s/nodes/%s", a->group, a->node);
	if (exchange(ctx, gc, GK_COAP_DELETE, path, NULL, 0, 202, &m))
		return CLI_FAIL;
	gk_coap_msg_free(&m);
	if (ctx->json)
		return cli_print_json(ctx, json_pack("{s:s,s:s,s:s}", "code", "2.02", "group",
						     a->group, "node", a->node)) ?
			       CLI_FAIL :
			       CLI_OK;
	printf("left %s (node %s)\n", a->group, a->node);
	return CLI_OK;
}

/* --- request (testing aid) --------------------------------------------------------------- */

static enum gk_coap_method method_from_name(const char *s)
{
	static const char *const names[] = { [GK_COAP_GET] = "GET",
					     [GK_COAP_POST] = "POST",
					     [GK_COAP_PUT] = "PUT",
					     [GK_COAP_DELETE] = "DELETE",
					     [GK_COAP_FETCH] = "FETCH" };

	for (size_t i = GK_COAP_GET; i < GK_ARRAY_SIZE(names); i++)
		if (!strcasecmp(s, names[i]))
			return (enum gk_coap_method)i;
	return 0;
}

static int cmd_request(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc)
{
	uint8_t *body = NULL;
	size_t len = 0;
	cbor_item_t *it = NULL;
	struct gk_coap_msg m;
	char code[16];
	json_t *o;
	int err, cf = a->content_format;

	if (a->payload) {
		err = gk_read_cbor_or_hex(a->payload, MEMBER_MAX, &body, &len);
		if (err)
			return cli_error(ctx, gk_errname(err), "%s: %s", a->payload,
					 gk_strerror(err));
		if (cf < 0)
			cf = CF_ACE_GROUPCOMM;
	}
	err = gk_coap_conn_request(gc->conn, a->method, a->path, cf, body, len, &m);
	free(body);
	if (err)
		return cli_coap_failed(ctx, gc->uri, err);
	o = json_pack("{s:s}", "code", gk_coap_code_str(m.code, code, sizeof(code)));
	if (o && m.content_format >= 0)
		json_object_set_new(o, "content_format", json_integer(m.content_format));
	if (o && m.location[0])
		json_object_set_new(o, "location", json_string(m.location));
	if (o && m.payload_len && (m.content_format == CF_LINK_FORMAT || !m.content_format))
		json_object_set_new(o, "payload_text",
				    json_stringn((const char *)m.payload, m.payload_len));
	if (o && m.payload_len) {
		json_object_set_new(o, "payload_hex", cli_bstr_json(m.payload, m.payload_len));
		if (!gk_cbor_decode(m.payload, m.payload_len, NULL, &it)) {
			json_object_set_new(o, "payload",
					    cli_cbor_to_json(ctx, it, CLI_LABELS_NONE));
			cbor_decref(&it);
		}
	}
	gk_coap_msg_free(&m);
	return cli_print_json(ctx, o) ? CLI_FAIL : CLI_OK;
}

/* --- options ------------------------------------------------------------------------------ */

static int parse_roles(const char *s, uint32_t *bits)
{
	*bits = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		int r = gk_role_from_name(s, n);

		if (r < 0 || (*bits & GK_ROLE_BIT(r)))
			return -EINVAL;
		*bits |= GK_ROLE_BIT(r);
		s += n + (s[n] == ',');
	}
	return *bits ? 0 : -EINVAL;
}

static int parse_num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || end == s || s[0] == '-' || *v > max ? -EINVAL : 0;
}

static int load_member(struct cli_ctx *ctx, struct group_args *a)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = gk_read_cbor_or_hex(a->member, MEMBER_MAX, &buf, &len);

	if (!err)
		err = gk_gc_member_decode(buf, len, &a->mf);
	if (buf) {
		gk_wipe(buf, len);
		free(buf);
	}
	if (err)
		return cli_error(ctx, gk_errname(err), "%s: not a member file: %s", a->member,
				 gk_strerror(err));
	a->has_mf = true;
	if (!a->kdc)
		a->kdc = a->mf.kdc;
	if (!a->group)
		a->group = a->mf.group;
	if (!a->node && strcmp(a->cmd, "keys"))
		a->node = a->mf.node;
	return CLI_OK;
}

enum {
	O_KDC = 256,
	O_TOKEN,
	O_GROUP,
	O_MEMBER,
	O_NODE,
	O_ROLE,
	O_ID,
	O_CRED_KEY,
	O_SAVE_KEY,
	O_NO_CRED,
	O_GET_CREDS,
	O_CONTROL,
	O_AUTHZ,
	O_NO_POST,
	O_IDENTITY,
	O_TIMEOUT,
	O_OBSERVE,
	O_VERBOSE,
	O_JSON,
	O_METHOD,
	O_PATH,
	O_PAYLOAD,
	O_CF,
};

static int parse_one(struct cli_ctx *ctx, struct group_args *a, int c)
{
	unsigned long v;
	uint32_t bits;

	switch (c) {
	case O_KDC:
		a->kdc = optarg;
		break;
	case O_TOKEN:
		a->token = optarg;
		break;
	case O_GROUP:
		if (!gk_group_name_valid(optarg, strlen(optarg)))
			return cli_usage_error("bad --group '%s'", optarg);
		a->group = optarg;
		break;
	case O_MEMBER:
		a->member = optarg;
		break;
	case O_NODE:
		if (!optarg[0] || strlen(optarg) > GK_GC_NODE_MAX || strchr(optarg, '/'))
			return cli_usage_error("bad --node '%s'", optarg);
		a->node = optarg;
		break;
	case O_ROLE:
		if (parse_roles(optarg, &bits))
			return cli_usage_error("bad --role '%s' (sender, receiver, monitor)",
					       optarg);
		if (!strcmp(a->cmd, "join"))
			a->roles = bits;
		else if (a->n_role_filters < GROUP_MAX_ROLE_FILTERS)
			a->role_filters[a->n_role_filters++] = bits;
		else
			return cli_usage_error("at most %d --role", GROUP_MAX_ROLE_FILTERS);
		break;
	case O_ID:
		if (parse_num(optarg, UINT32_MAX, &v) || !v || a->n_ids == GROUP_MAX_IDS)
			return cli_usage_error("bad --id '%s' (a sender id, at most %d)", optarg,
					       GROUP_MAX_IDS);
		a->ids[a->n_ids++] = (uint32_t)v;
		break;
	case O_CRED_KEY:
		a->cred_key = optarg;
		break;
	case O_SAVE_KEY:
		a->save_cred_key = optarg;
		break;
	case O_NO_CRED:
		a->no_cred = true;
		break;
	case O_GET_CREDS:
		a->get_creds = true;
		break;
	case O_CONTROL:
		a->control_uri = optarg;
		break;
	case O_AUTHZ:
		a->authz_info = optarg;
		break;
	case O_NO_POST:
		a->no_post = true;
		break;
	case O_IDENTITY:
		if (strcmp(optarg, "kid") && strcmp(optarg, "token"))
			return cli_usage_error("--identity is kid or token");
		a->identity_token = !strcmp(optarg, "token");
		break;
	case O_TIMEOUT:
		if (parse_num(optarg, 3600000, &v) || !v)
			return cli_usage_error("--timeout needs milliseconds");
		a->timeout_ms = (unsigned)v;
		break;
	case O_OBSERVE:
		if (parse_num(optarg, OBSERVE_MAX_S, &v) || !v)
			return cli_usage_error("--observe needs 1..%d seconds", OBSERVE_MAX_S);
		a->observe_s = (unsigned)v;
		break;
	case O_VERBOSE:
		a->verbose = true;
		break;
	case O_METHOD:
		a->method = method_from_name(optarg);
		if (!a->method)
			return cli_usage_error("--method is GET, POST, PUT, DELETE or FETCH");
		break;
	case O_PATH:
		a->path = optarg[0] == '/' ? optarg + 1 : optarg;
		break;
	case O_PAYLOAD:
		a->payload = optarg;
		break;
	case O_CF:
		if (parse_num(optarg, 65535, &v))
			return cli_usage_error("--content-format needs 0..65535");
		a->content_format = (int)v;
		break;
	case O_JSON:
		ctx->json = true;
		break;
	case 'o':
		a->out = optarg;
		break;
	default:
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* Which options each command takes, beyond the common ones. */
static bool option_allowed(const char *cmd, int c)
{
	switch (c) {
	case O_ROLE:
		return !strcmp(cmd, "join") || !strcmp(cmd, "creds");
	case O_ID:
		return !strcmp(cmd, "creds");
	case O_CRED_KEY:
	case O_SAVE_KEY:
	case O_NO_CRED:
	case O_GET_CREDS:
	case O_CONTROL:
	case O_AUTHZ:
	case O_NO_POST:
	case 'o':
		return !strcmp(cmd, "join");
	case O_OBSERVE:
		return !strcmp(cmd, "keys");
	case O_METHOD:
	case O_PATH:
	case O_PAYLOAD:
	case O_CF:
		return !strcmp(cmd, "request");
	case O_NODE:
		return !strcmp(cmd, "keys") || !strcmp(cmd, "renew") || !strcmp(cmd, "leave");
	default:
		return true;
	}
}

static int parse_args(struct cli_ctx *ctx, int argc, char **argv, struct group_args *a)
{
	static const struct option opts[] = {
		{ "kdc", required_argument, NULL, O_KDC },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "group", required_argument, NULL, O_GROUP },
		{ "member", required_argument, NULL, O_MEMBER },
		{ "node", required_argument, NULL, O_NODE },
		{ "role", required_argument, NULL, O_ROLE },
		{ "id", required_argument, NULL, O_ID },
		{ "cred-key", required_argument, NULL, O_CRED_KEY },
		{ "save-cred-key", required_argument, NULL, O_SAVE_KEY },
		{ "no-cred", no_argument, NULL, O_NO_CRED },
		{ "get-creds", no_argument, NULL, O_GET_CREDS },
		{ "control-uri", required_argument, NULL, O_CONTROL },
		{ "authz-info", required_argument, NULL, O_AUTHZ },
		{ "no-post", no_argument, NULL, O_NO_POST },
		{ "identity", required_argument, NULL, O_IDENTITY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "observe", required_argument, NULL, O_OBSERVE },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "method", required_argument, NULL, O_METHOD },
		{ "path", required_argument, NULL, O_PATH },
		{ "payload", required_argument, NULL, O_PAYLOAD },
		{ "content-format", required_argument, NULL, O_CF },
		{ "json", no_argument, NULL, O_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		if (c == 'h') {
			group_usage(stdout, a->cmd);
			return -1;
		}
		if (c != '?' && !option_allowed(a->cmd, c))
			return cli_usage_error("option %s does not apply to group %s",
					       argv[optind - 1], a->cmd);
		ret = parse_one(ctx, a, c);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->member && load_member(ctx, a))
		return CLI_FAIL;
	if (!strcmp(a->cmd, "request")) {
		if (!a->kdc || !a->token || !a->method || !a->path)
			return cli_usage_error("group request needs --kdc, --token, --method and "
					       "--path");
		return CLI_OK;
	}
	if (!a->kdc || !a->token || !a->group)
		return cli_usage_error("group %s needs --kdc, --token and --group (or --member)",
				       a->cmd);
	if (!a->node && (!strcmp(a->cmd, "renew") || !strcmp(a->cmd, "leave")))
		return cli_usage_error("group %s needs --node (or --member)", a->cmd);
	if (!strcmp(a->cmd, "join") && !a->roles)
		return cli_usage_error("group join needs --role");
	return CLI_OK;
}

static const struct {
	const char *name;
	int (*fn)(struct cli_ctx *ctx, struct group_args *a, struct group_conn *gc);
} commands[] = {
	{ "keys", cmd_keys },	{ "creds", cmd_creds },	      { "policies", cmd_policies },
	{ "num", cmd_num },	{ "kdc-cred", cmd_kdc_cred }, { "renew", cmd_renew },
	{ "leave", cmd_leave }, { "request", cmd_request },
};

static int run(struct cli_ctx *ctx, struct group_args *a)
{
	struct group_conn gc;
	int ret = CLI_FAIL;

	if (!strcmp(a->cmd, "join"))
		return group_join(ctx, a);
	if (group_connect(ctx, a, a->identity_token, &gc))
		return CLI_FAIL;
	for (size_t i = 0; i < GK_ARRAY_SIZE(commands); i++)
		if (!strcmp(a->cmd, commands[i].name))
			ret = commands[i].fn(ctx, a, &gc);
	group_disconnect(&gc);
	return ret;
}

int cmd_group(struct cli_ctx *ctx, int argc, char **argv)
{
	struct group_args *a;
	bool known = false;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		group_usage(argc < 2 ? stderr : stdout, NULL);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	known = !strcmp(argv[1], "join");
	for (size_t i = 0; i < GK_ARRAY_SIZE(commands); i++)
		known |= !strcmp(argv[1], commands[i].name);
	if (!known)
		return cli_usage_error("unknown group command '%s'", argv[1]);
	a = calloc(1, sizeof(*a));
	if (!a)
		return cli_error(ctx, "nomem", "out of memory");
	a->cmd = argv[1];
	a->content_format = -1;
	ret = parse_args(ctx, argc - 1, argv + 1, a);
	if (!ret)
		ret = run(ctx, a);
	else if (ret < 0)
		ret = CLI_OK;
	gk_wipe(a, sizeof(*a));
	free(a);
	return ret;
}
