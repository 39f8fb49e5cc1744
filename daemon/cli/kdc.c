// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey kdc fetch-groups`: FETCH /ace-group (RFC 9594 §4.2.1) over DTLS with a token's PoP key. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "groupkey/ace_client.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/scope.h"
#include "groupkey/util.h"

#define URI_MAX 512
#define CF_ACE_GROUPCOMM 261
#define MAX_GIDS 16

static void kdc_usage(FILE *f)
{
	fprintf(f,
		"Usage: groupkey kdc fetch-groups --kdc URI --token TOKENFILE [--identity kid|token]\n"
		"                                 [--group NAME ...] [--pop-key HEX] [--timeout MS]\n"
		"                                 [--verbose] [--json]\n\n"
		"fetch-groups  asks the KDC which of the groups NAME (default: the groups of the\n"
		"              bundle's scope) it serves: FETCH /ace-group with {0 gid: [NAME...]},\n"
		"              application/ace-groupcomm+cbor (261), over DTLS-PSK with the token's\n"
		"              PoP key (RFC 9202 §3.3). URI is coaps://HOST[:PORT][/PATH] (PATH\n"
		"              defaults to /ace-group). The PSK identity is {8: {1: {1: 4, 2: kid}}}\n"
		"              naming a token posted earlier (--identity kid, the default), or the\n"
		"              whole access token (--identity token: the KDC validates it in the\n"
		"              handshake). --pop-key replaces the bundle's key (to test refusals).\n"
		"              Prints one \"GNAME GURI\" line per group found.\n\n"
		"TOKENFILE is a token bundle saved by `groupkey token request -o` (see token --help).\n");
}


static int groups_request(const struct gk_scope *groups, uint8_t **out, size_t *len)
{
	struct gk_enc e;

	gk_enc_init(&e);
	gk_enc_map(&e, 1);
	gk_enc_uint(&e, 0); /* gid */
	gk_enc_array(&e, groups->n);
	for (size_t i = 0; i < groups->n; i++)
		gk_enc_tstr(&e, groups->e[i].group);
	return gk_enc_finish(&e, out, len);
}

static int print_groups(struct cli_ctx *ctx, const struct gk_coap_response *resp)
{
	cbor_item_t *it = NULL, *gid, *gname, *guri;
	json_t *list = ctx->json ? json_array() : NULL;
	const uint8_t *p;
	size_t n = 0, plen;
	int ret = CLI_FAIL;

	if (gk_cbor_decode(resp->payload, resp->payload_len, NULL, &it))
		return cli_error(ctx, "bad_response", "KDC response is not CBOR");
	/* RFC 9594 §4.2.1: a zero-length byte string when no group matched. */
	if (!gk_cbor_get_bstr(it, &p, &plen) && !plen)
		goto print;
	gid = gk_cbor_map_get_int(it, 0);
	gname = gk_cbor_map_get_int(it, 1);
	guri = gk_cbor_map_get_int(it, 2);
	if (!gid || !gname || !guri || !cbor_isa_array(gid) || !cbor_isa_array(gname) ||
	    !cbor_isa_array(guri) || cbor_array_size(gname) != cbor_array_size(gid) ||
	    cbor_array_size(guri) != cbor_array_size(gid)) {
		cli_error(ctx, "bad_response", "KDC response lacks aligned gid/gname/guri arrays");
		goto out;
	}
	n = cbor_array_size(gid);
	for (size_t i = 0; i < n; i++) {
		cbor_item_t *nm = cbor_array_handle(gname)[i], *u = cbor_array_handle(guri)[i];
		const char *s1 = "", *s2 = "";
		size_t l1 = 0, l2 = 0;

		if (list) {
			json_array_append_new(
				list, json_pack("{s:o,s:o,s:o}", "gid",
						cli_cbor_to_json(ctx, cbor_array_handle(gid)[i],
								 CLI_LABELS_NONE),
						"gname", cli_cbor_to_json(ctx, nm, CLI_LABELS_NONE),
						"guri", cli_cbor_to_json(ctx, u, CLI_LABELS_NONE)));
			continue;
		}
		gk_cbor_get_tstr(nm, &s1, &l1);
		gk_cbor_get_tstr(u, &s2, &l2);
		printf("%.*s %.*s\n", (int)l1, s1, (int)l2, s2);
	}
print:
	if (list) {
		ret = cli_print_json(ctx, json_pack("{s:s,s:o}", "code", "2.05", "groups", list)) ?
			      CLI_FAIL :
			      CLI_OK;
		list = NULL;
	} else {
		if (!n)
			fprintf(stderr, "no group found\n");
		ret = CLI_OK;
	}
out:
	json_decref(list);
	cbor_decref(&it);
	return ret;
}

struct fetch_args {
	const char *kdc, *token;
	bool identity_token, verbose;
	struct gk_scope groups;
	uint8_t *pop_key;
	size_t pop_key_len;
	unsigned timeout_ms;
};

static int fetch_parse(struct cli_ctx *ctx, int argc, char **argv, struct fetch_args *a)
{
	static const struct option opts[] = {
		{ "kdc", required_argument, NULL, 'K' },
		{ "token", required_argument, NULL, 'T' },
		{ "identity", required_argument, NULL, 'i' },
		{ "group", required_argument, NULL, 'g' },
		{ "pop-key", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'K':
			a->kdc = optarg;
			break;
		case 'T':
			a->token = optarg;
			break;
		case 'i':
			if (strcmp(optarg, "kid") && strcmp(optarg, "token"))
				return cli_usage_error("--identity is kid or token");
			a->identity_token = !strcmp(optarg, "token");
			break;
		case 'g':
			if (a->groups.n == GK_SCOPE_MAX ||
			    !gk_group_name_valid(optarg, strlen(optarg)))
				return cli_usage_error("bad --group '%s' (or more than %d)", optarg,
						       GK_SCOPE_MAX);
			snprintf(a->groups.e[a->groups.n++].group, sizeof(a->groups.e[0].group),
				 "%s", optarg);
			break;
		case 'k':
			free(a->pop_key);
			a->pop_key = NULL;
			if (gk_hex_decode(optarg, strlen(optarg), &a->pop_key, &a->pop_key_len) ||
			    !a->pop_key_len || a->pop_key_len > GK_COAP_PSK_MAX)
				return cli_usage_error("--pop-key needs 1 to %d bytes in hex",
						       GK_COAP_PSK_MAX);
			break;
		case 't':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > 3600000)
				return cli_usage_error("--timeout needs milliseconds");
			a->timeout_ms = (unsigned)v;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			kdc_usage(stdout);
			return -1;
		default:
			return CLI_USAGE;
		}
	}
	if (!a->kdc || !a->token)
		return cli_usage_error("kdc fetch-groups needs --kdc and --token");
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	return CLI_OK;
}

/* The groups to ask for: --group, else every group of the bundle's scope. */
static int pick_groups(struct cli_ctx *ctx, const struct cli_bundle *b, struct gk_scope *groups)
{
	int err;

	if (groups->n)
		return CLI_OK;
	if (!b->scope)
		return cli_usage_error("the token file has no scope: name the groups with --group");
	err = gk_scope_decode(b->scope, b->scope_len, groups);
	if (err)
		return cli_error(ctx, gk_errname(err), "bundle scope: %s", gk_strerror(err));
	return CLI_OK;
}

static int fetch_groups(struct cli_ctx *ctx, struct fetch_args *a)
{
	struct gk_coap_request req = { .method = GK_COAP_FETCH,
				       .content_format = CF_ACE_GROUPCOMM,
				       .accept = GK_COAP_NO_FORMAT,
				       .timeout_ms = a->timeout_ms };
	struct gk_coap_response resp = { 0 };
	struct cli_bundle b;
	uint8_t *id = NULL, *body = NULL;
	size_t id_len = 0, body_len = 0;
	char uri[URI_MAX];
	int err, ret = CLI_FAIL;

	if (cli_coap_uri(a->kdc, "/ace-group", uri, sizeof(uri)))
		return cli_usage_error("bad --kdc URI '%s'", a->kdc);
	if (cli_bundle_load(ctx, a->token, &b))
		return CLI_FAIL;
	if (!b.has_pop || !b.pop.k_len) {
		ret = cli_error(ctx, "no_pop_key", "%s: no PoP key (cnf) in the file", a->token);
		goto out;
	}
	ret = pick_groups(ctx, &b, &a->groups);
	if (ret)
		goto out;
	ret = CLI_FAIL;
	err = a->identity_token ? 0 : gk_ace_kid_identity_buf(&b.pop, &id, &id_len);
	if (!err)
		err = groups_request(&a->groups, &body, &body_len);
	if (err) {
		cli_error(ctx, gk_errname(err), "cannot encode: %s", gk_strerror(err));
		goto out;
	}
	req.uri = uri;
	req.payload = body;
	req.payload_len = body_len;
	req.psk_identity = a->identity_token ? b.token : id;
	req.psk_identity_len = a->identity_token ? b.token_len : id_len;
	req.psk_key = a->pop_key ? a->pop_key : b.pop.k;
	req.psk_key_len = a->pop_key ? a->pop_key_len : b.pop.k_len;
	gk_coap_client_verbose(a->verbose);
	err = gk_coap_request(&req, &resp);
	if (err)
		ret = cli_coap_failed(ctx, uri, err);
	else if (resp.code != 205)
		ret = cli_coap_refused(ctx, "KDC", &resp);
	else
		ret = print_groups(ctx, &resp);
out:
	gk_coap_response_free(&resp);
	free(body);
	free(id);
	cli_bundle_free(&b);
	return ret;
}

int cmd_kdc(struct cli_ctx *ctx, int argc, char **argv)
{
	struct fetch_args a = { 0 };
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		kdc_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "fetch-groups"))
		return cli_usage_error("unknown kdc command '%s'", argv[1]);
	ret = fetch_parse(ctx, argc - 1, argv + 1, &a);
	if (!ret)
		ret = fetch_groups(ctx, &a);
	else if (ret < 0)
		ret = CLI_OK;
	if (a.pop_key) {
		gk_wipe(a.pop_key, a.pop_key_len);
		free(a.pop_key);
	}
	return ret;
}
