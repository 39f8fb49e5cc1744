// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey token request|post`: get a token from an ACE AS over DTLS-PSK and post it to a KDC. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/scope.h"
#include "groupkey/util.h"

#define BUNDLE_MAX (64 * 1024)
#define URI_MAX 512
#define CF_ACE_CBOR 19
#define CF_CWT 61
#define CF_PROBLEM_DETAILS 257
#define ACE_ERROR 30
#define ACE_ERROR_DESCRIPTION 31
#define ACE_SIGN_INFO 45
#define ACE_KDCCHALLENGE 46

void token_remote_usage(FILE *f)
{
	fprintf(f,
		"       groupkey token request --as URI --client-id ID --psk HEX\n"
		"                              --scope GROUP:ROLE[,ROLE] [--scope ...] [--audience AUD]\n"
		"                              [-o FILE] [--raw-response FILE] [--timeout MS] [--verbose]\n"
		"                              [--json]\n"
		"       groupkey token post --kdc URI [--sign-info] [--content-format N] [--timeout MS]\n"
		"                           [--verbose] [--json] TOKENFILE\n\n"
		"request asks the AS for an access token (RFC 9200 §5.8: POST /token, application/\n"
		"        ace+cbor, grant client_credentials) over DTLS-PSK with identity ID and key HEX.\n"
		"        URI is coaps://HOST[:PORT][/PATH] (PATH defaults to /token). Roles: sender,\n"
		"        receiver, monitor. -o FILE saves the token bundle (mode 0600); without -o the\n"
		"        bundle is printed as hex. --raw-response FILE keeps the AS's response payload.\n"
		"        A refusal prints the AS error (invalid_request, invalid_client, invalid_grant,\n"
		"        unauthorized_client, unsupported_grant_type, invalid_scope, ...) and exits 1.\n"
		"post    sends the token to the KDC's /authz-info (RFC 9200 §5.10.1) over plain CoAP:\n"
		"        URI is coap://HOST[:PORT][/PATH] (PATH defaults to /authz-info). The token\n"
		"        goes as application/cwt (61), or with --sign-info inside an application/\n"
		"        ace+cbor map {1: token, 45: null} (RFC 9594 §3.3). Prints the KDC's N_S\n"
		"        (kdcchallenge) as hex, and sign_info when asked. --content-format overrides\n"
		"        the format sent (for tests).\n\n"
		"TOKENFILE / token bundle: a CBOR map (raw or hex) in RFC 9200 Table 5 labels:\n"
		"  {1 access_token: bstr, 2 expires_in: uint, 5 audience: tstr (as requested),\n"
		"   8 cnf: {1 COSE_Key: {1 kty: 4, 2 kid: bstr, -1 k: bstr}}, 9 scope: bstr (the\n"
		"   granted scope), 38 ace_profile: int}; 1 and 8 are always there. `token post`\n"
		"  also takes a bare token (e.g. from `token create`).\n");
}

/* RFC 9200 Table 3 (and §8.4 registry) error codes. */
static const char *const ace_errors[] = {
	[1] = "invalid_request",	[2] = "invalid_client",
	[3] = "invalid_grant",		[4] = "unauthorized_client",
	[5] = "unsupported_grant_type", [6] = "invalid_scope",
	[7] = "unsupported_pop_key",	[8] = "incompatible_ace_profiles",
};

static const char *ace_error_name(int64_t code)
{
	if (code > 0 && (size_t)code < GK_ARRAY_SIZE(ace_errors) && ace_errors[code])
		return ace_errors[code];
	return "unknown_ace_error";
}

static const char *coap_err_reason(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNABORTED:
		return "handshake_failed";
	case -ECONNREFUSED:
		return "connection_refused";
	case -ECONNRESET:
		return "reset";
	case -EHOSTUNREACH:
		return "unknown_host";
	case -EINVAL:
		return "invalid_argument";
	default:
		return "coap";
	}
}

int cli_coap_failed(const struct cli_ctx *ctx, const char *peer, int err)
{
	const char *what = strerror(-err);

	if (err == -ETIMEDOUT)
		what = "no response (a DTLS handshake with a wrong key ends this way too)";
	else if (err == -ECONNABORTED)
		what = "DTLS handshake failed (identity or key refused)";
	else if (err == -EINVAL)
		what = "invalid URI, identity or key (a PSK identity cannot hold a 0x00 byte)";
	return cli_error(ctx, coap_err_reason(err), "%s: %s", peer, what);
}

/* {30: error, 31: description} of ct 19, or {-1 title, -2 detail} of ct 257. */
static void refusal_detail(const struct gk_coap_response *resp, const char **name, char *desc,
			   size_t desc_len)
{
	cbor_item_t *it = NULL, *v;
	const char *s;
	int64_t code;
	size_t n;

	*name = NULL;
	desc[0] = '\0';
	if (!resp->payload_len || gk_cbor_decode(resp->payload, resp->payload_len, NULL, &it))
		return;
	if (resp->content_format == CF_ACE_CBOR) {
		if (!gk_cbor_get_int(gk_cbor_map_get_int(it, ACE_ERROR), &code))
			*name = ace_error_name(code);
		v = gk_cbor_map_get_int(it, ACE_ERROR_DESCRIPTION);
	} else if (resp->content_format == CF_PROBLEM_DETAILS) {
		v = gk_cbor_map_get_int(it, -2);
		if (!v)
			v = gk_cbor_map_get_int(it, -1);
	} else {
		v = NULL;
	}
	if (!gk_cbor_get_tstr(v, &s, &n))
		snprintf(desc, desc_len, "%.*s", (int)n, s);
	cbor_decref(&it);
}

int cli_coap_refused(const struct cli_ctx *ctx, const char *peer,
		     const struct gk_coap_response *resp)
{
	char code[16], desc[256], msg[512];
	const char *name;

	gk_coap_code_str(resp->code, code, sizeof(code));
	refusal_detail(resp, &name, desc, sizeof(desc));
	snprintf(msg, sizeof(msg), "%s refused the request: %s%s%s%s%s", peer, code,
		 name ? " " : "", name ? name : "", desc[0] ? ": " : "", desc);
	fprintf(stderr, "Error: %s\n", msg);
	if (ctx->json)
		cli_print_json(ctx, json_pack("{s:s,s:s,s:s}", "error", msg, "reason",
					      name ? name : "coap_error", "code", code));
	return CLI_FAIL;
}

int cli_write_private(const struct cli_ctx *ctx, const char *path, const uint8_t *buf, size_t len)
{
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		return cli_error(ctx, "write", "%s: %s", path, strerror(-err));
	}
	/* An existing file keeps its mode through O_CREAT: tighten it. */
	err = fchmod(fd, 0600) ? -errno : gk_write_all(fd, buf, len);
	if (close(fd) && !err)
		err = -errno;
	if (err)
		return cli_error(ctx, "write", "%s: %s", path, strerror(-err));
	return CLI_OK;
}

int cli_coap_uri(const char *base, const char *default_path, char *out, size_t len)
{
	const char *auth = strstr(base, "://");
	const char *path = auth ? strchr(auth + 3, '/') : NULL;
	int n;

	if (!auth)
		return -EINVAL;
	if (path && path[1])
		n = snprintf(out, len, "%s", base);
	else
		n = snprintf(out, len, "%.*s%s", (int)(path ? path - base : (long)strlen(base)),
			     base, default_path);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

void cli_bundle_free(struct cli_bundle *b)
{
	free(b->token);
	free(b->scope);
	gk_cose_key_wipe(&b->pop);
	memset(b, 0, sizeof(*b));
}

static int dup_bytes(const uint8_t *p, size_t n, uint8_t **out, size_t *out_len)
{
	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, p, n);
	*out_len = n;
	return 0;
}

static int bundle_from_item(const cbor_item_t *map, struct cli_bundle *b)
{
	cbor_item_t *cnf = gk_cbor_map_get_int(map, CLI_BUNDLE_CNF);
	const uint8_t *p;
	size_t n;
	int err;

	err = gk_cbor_get_bstr(gk_cbor_map_get_int(map, CLI_BUNDLE_TOKEN), &p, &n);
	if (!err)
		err = dup_bytes(p, n, &b->token, &b->token_len);
	if (!err && cnf) {
		err = gk_cose_key_from_item(gk_cbor_map_get_int(cnf, GK_CNF_COSE_KEY), &b->pop);
		b->has_pop = !err;
	}
	if (!err && !gk_cbor_get_bstr(gk_cbor_map_get_int(map, CLI_BUNDLE_SCOPE), &p, &n))
		err = dup_bytes(p, n, &b->scope, &b->scope_len);
	return err;
}

int cli_bundle_load(const struct cli_ctx *ctx, const char *path, struct cli_bundle *b)
{
	cbor_item_t *it = NULL;
	const uint8_t *tok;
	size_t len, tok_len;
	uint8_t *buf;
	int err;

	memset(b, 0, sizeof(*b));
	err = gk_read_cbor_or_hex(path, BUNDLE_MAX, &buf, &len);
	if (err)
		return cli_error(ctx, "token_file", "%s: %s", path, gk_strerror(err));
	if (!gk_cbor_decode(buf, len, NULL, &it) && cbor_isa_map(it) &&
	    !gk_cbor_get_bstr(gk_cbor_map_get_int(it, CLI_BUNDLE_TOKEN), &tok, &tok_len)) {
		err = bundle_from_item(it, b);
		gk_wipe(buf, len);
		free(buf);
	} else {
		b->token = buf; /* a bare token, or whatever the file holds */
		b->token_len = len;
	}
	if (it)
		cbor_decref(&it);
	if (err) {
		cli_bundle_free(b);
		return cli_error(ctx, gk_errname(err), "%s: not a token bundle: %s", path,
				 gk_strerror(err));
	}
	return CLI_OK;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *v > max || s[0] == '-')
		return -EINVAL;
	return 0;
}

struct request_args {
	const char *as, *client_id, *audience, *out, *raw_out;
	uint8_t *psk;
	size_t psk_len;
	struct gk_scope scope;
	unsigned timeout_ms;
};

/* {5: audience, 9: bstr(scope)}; grant_type left out: client_credentials is the default. */
static int encode_token_request(const struct request_args *a, uint8_t **out, size_t *len)
{
	uint8_t *scope = NULL;
	size_t scope_len = 0;
	struct gk_enc e;
	int err;

	err = gk_scope_encode_buf(&a->scope, &scope, &scope_len);
	if (err)
		return err;
	gk_enc_init(&e);
	gk_enc_map(&e, a->audience ? 2 : 1);
	if (a->audience) {
		gk_enc_uint(&e, CLI_BUNDLE_AUDIENCE);
		gk_enc_tstr(&e, a->audience);
	}
	gk_enc_uint(&e, CLI_BUNDLE_SCOPE);
	gk_enc_bstr(&e, scope, scope_len);
	free(scope);
	return gk_enc_finish(&e, out, len);
}

/* The bundle from a 2.01 response map; the requested scope stands in when the AS sent none. */
static int encode_bundle(const cbor_item_t *rsp, const struct request_args *a, struct gk_enc *e)
{
	static const int64_t copied[] = { CLI_BUNDLE_TOKEN, CLI_BUNDLE_EXPIRES_IN, CLI_BUNDLE_CNF,
					  CLI_BUNDLE_SCOPE, CLI_BUNDLE_PROFILE };
	cbor_item_t *v[GK_ARRAY_SIZE(copied)];
	uint8_t *scope = NULL;
	size_t scope_len = 0, n;
	const uint8_t *p;
	int err;

	for (size_t i = 0; i < GK_ARRAY_SIZE(copied); i++)
		v[i] = gk_cbor_map_get_int(rsp, copied[i]);
	if (gk_cbor_get_bstr(v[0], &p, &n) || !v[2] || !cbor_isa_map(v[2]))
		return -GK_EMISSING;
	if (!v[3]) {
		err = gk_scope_encode_buf(&a->scope, &scope, &scope_len);
		if (err)
			return err;
	}
	n = a->audience ? 1 : 0;
	for (size_t i = 0; i < GK_ARRAY_SIZE(copied); i++)
		n += v[i] || (copied[i] == CLI_BUNDLE_SCOPE && scope);
	/* Keys in deterministic order: 1, 2, 5, 8, 9, 38. */
	gk_enc_map(e, n);
	for (size_t i = 0; i < GK_ARRAY_SIZE(copied); i++) {
		if (copied[i] == CLI_BUNDLE_CNF && a->audience) {
			gk_enc_uint(e, CLI_BUNDLE_AUDIENCE);
			gk_enc_tstr(e, a->audience);
		}
		if (v[i]) {
			gk_enc_uint(e, (uint64_t)copied[i]);
			gk_enc_item(e, v[i]);
		} else if (copied[i] == CLI_BUNDLE_SCOPE && scope) {
			gk_enc_uint(e, CLI_BUNDLE_SCOPE);
			gk_enc_bstr(e, scope, scope_len);
		}
	}
	free(scope);
	return e->err;
}

static int print_bundle_summary(struct cli_ctx *ctx, const struct request_args *a,
				const cbor_item_t *rsp, const uint8_t *bundle, size_t len)
{
	cbor_item_t *cnf = gk_cbor_map_get_int(rsp, CLI_BUNDLE_CNF);
	uint64_t expires = 0;
	json_t *o;

	gk_cbor_get_uint(gk_cbor_map_get_int(rsp, CLI_BUNDLE_EXPIRES_IN), &expires);
	if (!ctx->json) {
		if (a->out) {
			printf("token saved to %s (expires in %" PRIu64 " s)\n", a->out, expires);
		} else {
			char *hex = malloc(2 * len + 1);

			if (!hex)
				return cli_error(ctx, "nomem", "out of memory");
			gk_hex_encode(bundle, len, hex);
			printf("%s\n", hex);
			gk_wipe(hex, 2 * len);
			free(hex);
		}
		return CLI_OK;
	}
	o = json_pack(
		"{s:o,s:I,s:o}", "access_token",
		cli_cbor_to_json(ctx, gk_cbor_map_get_int(rsp, CLI_BUNDLE_TOKEN), CLI_LABELS_NONE),
		"expires_in", (json_int_t)expires, "cnf",
		cli_cbor_to_json(ctx, cnf, CLI_LABELS_CNF));
	if (o && a->out)
		json_object_set_new(o, "file", json_string(a->out));
	else if (o && ctx->show_secrets)
		json_object_set_new(o, "bundle", cli_bstr_json(bundle, len));
	return cli_print_json(ctx, o) ? CLI_FAIL : CLI_OK;
}

static int handle_token_response(struct cli_ctx *ctx, const struct request_args *a,
				 const struct gk_coap_response *resp)
{
	uint8_t *bundle = NULL;
	size_t len = 0;
	cbor_item_t *rsp = NULL;
	struct gk_enc e;
	int err, ret = CLI_FAIL;

	if (a->raw_out && cli_write_private(ctx, a->raw_out, resp->payload, resp->payload_len))
		return CLI_FAIL;
	if (resp->code != 201)
		return cli_coap_refused(ctx, "AS", resp);
	gk_enc_init(&e);
	err = gk_cbor_decode(resp->payload, resp->payload_len, NULL, &rsp);
	if (!err)
		err = encode_bundle(rsp, a, &e);
	if (!err)
		err = gk_enc_finish(&e, &bundle, &len);
	if (err) {
		cli_error(ctx, gk_errname(err), "AS response is not a token response: %s",
			  gk_strerror(err));
		goto out;
	}
	if (a->out && cli_write_private(ctx, a->out, bundle, len))
		goto out;
	ret = print_bundle_summary(ctx, a, rsp, bundle, len);
out:
	if (bundle) {
		gk_wipe(bundle, len);
		free(bundle);
	}
	gk_enc_free(&e);
	if (rsp)
		cbor_decref(&rsp);
	return ret;
}

static int request_parse(struct cli_ctx *ctx, int argc, char **argv, struct request_args *a,
			 bool *verbose)
{
	static const struct option opts[] = {
		{ "as", required_argument, NULL, 'A' },
		{ "client-id", required_argument, NULL, 'c' },
		{ "psk", required_argument, NULL, 'k' },
		{ "scope", required_argument, NULL, 's' },
		{ "audience", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "raw-response", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'A':
			a->as = optarg;
			break;
		case 'c':
			a->client_id = optarg;
			break;
		case 'k':
			free(a->psk);
			a->psk = NULL;
			if (gk_hex_decode(optarg, strlen(optarg), &a->psk, &a->psk_len) ||
			    !a->psk_len || a->psk_len > GK_COAP_PSK_MAX)
				return cli_usage_error("--psk needs 1 to %d bytes in hex",
						       GK_COAP_PSK_MAX);
			break;
		case 's':
			if (gk_scope_parse_arg(optarg, &a->scope))
				return cli_usage_error("bad --scope '%s' (GROUP:ROLE[,ROLE])",
						       optarg);
			break;
		case 'a':
			a->audience = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'R':
			a->raw_out = optarg;
			break;
		case 't':
			if (parse_uint(optarg, 3600000, &v) || !v)
				return cli_usage_error("--timeout needs milliseconds");
			a->timeout_ms = (unsigned)v;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'v':
			*verbose = true;
			break;
		case 'h':
			token_remote_usage(stdout);
			return -1;
		default:
			return CLI_USAGE;
		}
	}
	if (!a->as || !a->client_id || !a->psk || !a->scope.n)
		return cli_usage_error("token request needs --as, --client-id, --psk and --scope");
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	return CLI_OK;
}

int cmd_token_request(struct cli_ctx *ctx, int argc, char **argv)
{
	struct request_args a = { 0 };
	struct gk_coap_request req = { .method = GK_COAP_POST,
				       .content_format = CF_ACE_CBOR,
				       .accept = GK_COAP_NO_FORMAT };
	struct gk_coap_response resp = { 0 };
	char uri[URI_MAX];
	uint8_t *body = NULL;
	size_t body_len = 0;
	bool verbose = false;
	int err, ret;

	ret = request_parse(ctx, argc, argv, &a, &verbose);
	if (ret) {
		ret = ret < 0 ? CLI_OK : ret;
		goto out;
	}
	gk_coap_client_verbose(verbose);
	if (cli_coap_uri(a.as, "/token", uri, sizeof(uri))) {
		ret = cli_usage_error("bad --as URI '%s'", a.as);
		goto out;
	}
	err = encode_token_request(&a, &body, &body_len);
	if (err) {
		ret = cli_error(ctx, gk_errname(err), "cannot encode the request: %s",
				gk_strerror(err));
		goto out;
	}
	req.uri = uri;
	req.payload = body;
	req.payload_len = body_len;
	req.psk_identity = (const uint8_t *)a.client_id;
	req.psk_identity_len = strlen(a.client_id);
	req.psk_key = a.psk;
	req.psk_key_len = a.psk_len;
	req.timeout_ms = a.timeout_ms;
	err = gk_coap_request(&req, &resp);
	ret = err ? cli_coap_failed(ctx, uri, err) : handle_token_response(ctx, &a, &resp);
out:
	gk_coap_response_free(&resp);
	free(body);
	if (a.psk) {
		gk_wipe(a.psk, a.psk_len);
		free(a.psk);
	}
	return ret;
}

/* {1: token, 45: null} (RFC 9594 §3.3) or the bare token. */
static int encode_post_body(const struct cli_bundle *b, bool sign_info, uint8_t **out, size_t *len)
{
	struct gk_enc e;

	if (!sign_info)
		return dup_bytes(b->token, b->token_len, out, len);
	gk_enc_init(&e);
	gk_enc_map(&e, 2);
	gk_enc_uint(&e, CLI_BUNDLE_TOKEN);
	gk_enc_bstr(&e, b->token, b->token_len);
	gk_enc_uint(&e, ACE_SIGN_INFO);
	gk_enc_null(&e);
	return gk_enc_finish(&e, out, len);
}

static int print_post_result(struct cli_ctx *ctx, const struct gk_coap_response *resp)
{
	cbor_item_t *it = NULL, *sign_info;
	const uint8_t *ns = NULL;
	size_t ns_len = 0;
	char *hex;
	int ret = CLI_FAIL;

	if (!resp->payload_len || gk_cbor_decode(resp->payload, resp->payload_len, NULL, &it) ||
	    gk_cbor_get_bstr(gk_cbor_map_get_int(it, ACE_KDCCHALLENGE), &ns, &ns_len)) {
		cli_error(ctx, "bad_response", "KDC accepted the token but sent no kdcchallenge");
		goto out;
	}
	sign_info = gk_cbor_map_get_int(it, ACE_SIGN_INFO);
	if (ctx->json) {
		json_t *o = json_pack("{s:s,s:o}", "code", "2.01", "kdcchallenge",
				      cli_bstr_json(ns, ns_len));

		if (o && sign_info)
			json_object_set_new(o, "sign_info",
					    cli_cbor_to_json(ctx, sign_info, CLI_LABELS_NONE));
		ret = cli_print_json(ctx, o) ? CLI_FAIL : CLI_OK;
		goto out;
	}
	hex = malloc(2 * ns_len + 1);
	if (!hex) {
		cli_error(ctx, "nomem", "out of memory");
		goto out;
	}
	gk_hex_encode(ns, ns_len, hex);
	printf("kdcchallenge %s\n", hex);
	free(hex);
	if (sign_info) {
		struct cli_ctx compact = *ctx;

		compact.pretty = false;
		printf("sign_info ");
		fflush(stdout);
		cli_print_json(&compact, cli_cbor_to_json(ctx, sign_info, CLI_LABELS_NONE));
	}
	ret = CLI_OK;
out:
	if (it)
		cbor_decref(&it);
	return ret;
}

int cmd_token_post(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kdc", required_argument, NULL, 'K' },
		{ "sign-info", no_argument, NULL, 'S' },
		{ "content-format", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gk_coap_request req = { .method = GK_COAP_POST, .accept = GK_COAP_NO_FORMAT };
	struct gk_coap_response resp = { 0 };
	struct cli_bundle b = { 0 };
	const char *kdc = NULL;
	bool sign_info = false, verbose = false;
	long cf = -1;
	uint8_t *body = NULL;
	size_t body_len = 0;
	unsigned long v;
	char uri[URI_MAX];
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'K':
			kdc = optarg;
			break;
		case 'S':
			sign_info = true;
			break;
		case 'C':
			if (parse_uint(optarg, 65535, &v))
				return cli_usage_error("--content-format needs 0..65535");
			cf = (long)v;
			break;
		case 't':
			if (parse_uint(optarg, 3600000, &v) || !v)
				return cli_usage_error("--timeout needs milliseconds");
			req.timeout_ms = (unsigned)v;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			token_remote_usage(stdout);
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (!kdc || argc - optind != 1)
		return cli_usage_error("token post needs --kdc and one TOKENFILE");
	if (cli_coap_uri(kdc, "/authz-info", uri, sizeof(uri)))
		return cli_usage_error("bad --kdc URI '%s'", kdc);
	gk_coap_client_verbose(verbose);
	if (cli_bundle_load(ctx, argv[optind], &b))
		return CLI_FAIL;
	err = encode_post_body(&b, sign_info, &body, &body_len);
	if (err) {
		cli_bundle_free(&b);
		return cli_error(ctx, gk_errname(err), "cannot encode: %s", gk_strerror(err));
	}
	req.uri = uri;
	req.content_format = cf >= 0 ? (int)cf : sign_info ? CF_ACE_CBOR : CF_CWT;
	req.payload = body;
	req.payload_len = body_len;
	err = gk_coap_request(&req, &resp);
	if (err)
		c = cli_coap_failed(ctx, uri, err);
	else if (resp.code != 201)
		c = cli_coap_refused(ctx, "KDC", &resp);
	else
		c = print_post_result(ctx, &resp);
	gk_coap_response_free(&resp);
	free(body);
	cli_bundle_free(&b);
	return c;
}
