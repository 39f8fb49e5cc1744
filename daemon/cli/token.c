// SPDX-License-Identifier: BSD-3-Clause
/* `groupkey token decode|verify|create`: CWT access tokens for operators and tests. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "remote.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/err.h"
#include "groupkey/util.h"

#define TOKEN_MAX (64 * 1024)
#define KEYFILE_MAX 4096
#define MAX_KEYS 8

static void token_usage(FILE *f)
{
	fprintf(f,
		"Usage: groupkey token decode [FILE|-]\n"
		"       groupkey token verify --key KEYFILE [--key KEYFILE ...] [--aud AUD] [--iss ISS]\n"
		"                             [--now UNIXTIME] [--leeway SECONDS] [--require-exp]\n"
		"                             [--ignore-key-alg] [FILE|-]\n"
		"       groupkey token create --key KEYFILE --alg ALG --claims JSONFILE\n"
		"                             [--encrypt-key KEYFILE --encrypt-alg ALG] [--kid] [--tag]\n"
		"                             [-o FILE]\n");
	token_remote_usage(f);
	fprintf(f, "\n"
		"decode  prints the token's structure (CWT tag, COSE layers, algorithms, kids) and,\n"
		"        when the outer layer is not encrypted, its claims as JSON. Nothing is verified.\n"
		"verify  unwraps every layer with the given COSE_Key(s) (chosen by kid, then by alg),\n"
		"        checks exp/nbf against --now (default: the system clock) and aud/iss when\n"
		"        given; exit 0 and the claims on stdout, or exit 1 and the reason on stderr.\n"
		"        A key's alg restricts it to that algorithm (RFC 9052 §7.1); --ignore-key-alg\n"
		"        lifts that for keys with wrong metadata, such as RFC 8392's A.2.2 key (a\n"
		"        256-bit HMAC key labelled AES-CCM-16-64-128).\n"
		"create  encodes the claims of JSONFILE and protects them with KEYFILE under ALG;\n"
		"        --encrypt-key/--encrypt-alg wrap the result in a COSE_Encrypt0 (nested CWT).\n"
		"        Output: raw CBOR to -o FILE, else hex text on stdout.\n\n"
		"KEYFILE: one COSE_Key (raw CBOR or hex). ALG: ES256 | HMAC256/64 | HMAC256/256 |\n"
		"  AES-CCM-16-64-128 | AES-CCM-16-128-128, or the COSE number (-7, 4, 5, 10, 30).\n"
		"JSONFILE: {\"iss\": \"...\", \"sub\": \"...\", \"aud\": \"...\" or [...], \"exp\": N,\n"
		"  \"nbf\": N, \"iat\": N, \"exi\": N, \"cti\": \"h'hex'\", \"scope\": \"h'hex'\" (bstr) or \"text\",\n"
		"  \"cnf\": {\"COSE_Key\": {\"kty\": 4, \"kid\": \"h'..'\", \"k\": \"h'..'\", \"alg\": N}} or\n"
		"  {\"kid\": \"h'..'\"}}; EC2 keys use \"crv\", \"x\", \"y\". Unknown members are refused.\n");
}

static const struct {
	const char *name;
	int64_t alg;
} alg_names[] = {
	{ "ES256", GK_COSE_ALG_ES256 },
	{ "HMAC256/64", GK_COSE_ALG_HMAC256_64 },
	{ "HMAC256/256", GK_COSE_ALG_HMAC256_256 },
	{ "AES-CCM-16-64-128", GK_COSE_ALG_AES_CCM_16_64_128 },
	{ "AES-CCM-16-128-128", GK_COSE_ALG_AES_CCM_16_128_128 },
};

static int parse_alg(const char *s, int64_t *alg)
{
	char *end;
	long v;

	for (size_t i = 0; i < GK_ARRAY_SIZE(alg_names); i++) {
		if (!strcasecmp(s, alg_names[i].name)) {
			*alg = alg_names[i].alg;
			return 0;
		}
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return -EINVAL;
	for (size_t i = 0; i < GK_ARRAY_SIZE(alg_names); i++) {
		if (alg_names[i].alg == v) {
			*alg = v;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *alg_name(int64_t alg)
{
	for (size_t i = 0; i < GK_ARRAY_SIZE(alg_names); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "unknown";
}

static const char *layer_name(int type)
{
	switch (type) {
	case GK_COSE_MAC0:
		return "COSE_Mac0";
	case GK_COSE_ENCRYPT0:
		return "COSE_Encrypt0";
	case GK_COSE_SIGN1:
		return "COSE_Sign1";
	default:
		return "unknown";
	}
}

static int parse_int64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -EINVAL;
	*v = x;
	return 0;
}

static int load_key(const struct cli_ctx *ctx, const char *path, struct gk_cose_key *key)
{
	uint8_t *buf;
	size_t len;
	int err;

	err = gk_read_cbor_or_hex(path, KEYFILE_MAX, &buf, &len);
	if (err)
		return cli_error(ctx, "key_file", "%s: %s", path, gk_strerror(err));
	err = gk_cose_key_decode(buf, len, key);
	gk_wipe(buf, len);
	free(buf);
	if (err)
		return cli_error(ctx, gk_errname(err), "%s: not a usable COSE_Key: %s", path,
				 gk_strerror(err));
	return CLI_OK;
}

static json_t *layers_json(const struct gk_cwt_info *info)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < info->n_layers; i++) {
		json_t *l = json_pack("{s:s,s:I,s:s}", "type", layer_name(info->layer_type[i]),
				      "alg", (json_int_t)info->layer_alg[i], "alg_name",
				      alg_name(info->layer_alg[i]));

		if (l && info->layer_kid_len[i])
			json_object_set_new(l, "kid",
					    cli_bstr_json(info->layer_kid[i], info->layer_kid_len[i]));
		json_array_append_new(a, l);
	}
	return a;
}

static int token_read(const struct cli_ctx *ctx, const char *path, uint8_t **tok, size_t *len)
{
	int err = gk_read_cbor_or_hex(path, TOKEN_MAX, tok, len);

	if (err)
		return cli_error(ctx, "token_file", "%s: %s", path, gk_strerror(err));
	return CLI_OK;
}

static int token_decode(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "-";
	struct gk_cwt_info info = { 0 };
	cbor_item_t *claims = NULL;
	uint8_t *tok;
	size_t len;
	json_t *o;
	int err;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		token_usage(stdout);
		return CLI_OK;
	}
	if (argc > 2)
		return cli_usage_error("token decode takes one FILE");
	if (token_read(ctx, path, &tok, &len))
		return CLI_FAIL;
	err = gk_cwt_inspect(tok, len, &info, &claims);
	free(tok);
	if (err)
		return cli_error(ctx, gk_errname(err), "not a CWT: %s", gk_strerror(err));
	o = json_pack("{s:b,s:s,s:b,s:o}", "verified", 0, "note",
		      "structure only: no MAC, signature or time claim was checked", "cwt_tag",
		      info.cwt_tag, "layers", layers_json(&info));
	if (o)
		json_object_set_new(o, "claims",
				    claims ? cli_cbor_to_json(ctx, claims, CLI_LABELS_CLAIMS)
					   : json_string("(encrypted: decrypt with token verify)"));
	if (claims)
		cbor_decref(&claims);
	if (!ctx->json)
		ctx->pretty = true;
	return cli_print_json(ctx, o) ? CLI_FAIL : CLI_OK;
}

static int token_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },   { "aud", required_argument, NULL, 'a' },
		{ "iss", required_argument, NULL, 'i' },   { "now", required_argument, NULL, 'n' },
		{ "leeway", required_argument, NULL, 'l' }, { "require-exp", no_argument, NULL, 'e' },
		{ "ignore-key-alg", no_argument, NULL, 'I' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gk_cose_key keys[MAX_KEYS];
	struct gk_cwt_verify_opts vo = { .keys = keys, .now = time(NULL) };
	struct gk_cwt_claims claims = { 0 };
	struct gk_cwt_info info = { 0 };
	bool ignore_key_alg = false;
	uint8_t *tok = NULL, *raw = NULL;
	cbor_item_t *item = NULL;
	size_t len, raw_len;
	int c, err, ret = CLI_FAIL;

	memset(keys, 0, sizeof(keys));
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (vo.n_keys == MAX_KEYS) {
				ret = cli_usage_error("at most %d --key", MAX_KEYS);
				goto out;
			}
			if (load_key(ctx, optarg, &keys[vo.n_keys]))
				goto out;
			vo.n_keys++;
			break;
		case 'a':
			vo.audience = optarg;
			break;
		case 'i':
			vo.issuer = optarg;
			break;
		case 'n':
			if (parse_int64(optarg, &vo.now)) {
				ret = cli_usage_error("--now needs seconds since the epoch");
				goto out;
			}
			break;
		case 'l':
			if (parse_int64(optarg, &vo.leeway) || vo.leeway < 0) {
				ret = cli_usage_error("--leeway needs a non-negative number of seconds");
				goto out;
			}
			break;
		case 'e':
			vo.require_exp = true;
			break;
		case 'I':
			ignore_key_alg = true;
			break;
		case 'h':
			token_usage(stdout);
			ret = CLI_OK;
			goto out;
		default:
			ret = CLI_USAGE;
			goto out;
		}
	}
	if (!vo.n_keys) {
		ret = cli_usage_error("token verify needs --key");
		goto out;
	}
	if (argc - optind > 1) {
		ret = cli_usage_error("token verify takes one FILE");
		goto out;
	}
	for (size_t i = 0; ignore_key_alg && i < vo.n_keys; i++)
		keys[i].has_alg = false;
	if (token_read(ctx, optind < argc ? argv[optind] : "-", &tok, &len))
		goto out;
	err = gk_cwt_unprotect(tok, len, &vo, &raw, &raw_len, &info);
	if (!err)
		err = gk_cwt_claims_decode(raw, raw_len, &claims);
	if (!err) {
		err = gk_cwt_check_claims(&claims, &vo);
		gk_cwt_claims_free(&claims);
	}
	if (err) {
		cli_error(ctx, gk_errname(err), "token rejected: %s", gk_strerror(err));
		goto out;
	}
	err = gk_cbor_decode(raw, raw_len, NULL, &item);
	if (err) {
		cli_error(ctx, gk_errname(err), "claims: %s", gk_strerror(err));
		goto out;
	}
	if (!ctx->json)
		ctx->pretty = true;
	ret = cli_print_json(ctx, json_pack("{s:b,s:o,s:o}", "verified", 1, "layers",
					    layers_json(&info), "claims",
					    cli_cbor_to_json(ctx, item, CLI_LABELS_CLAIMS)))
		      ? CLI_FAIL
		      : CLI_OK;
out:
	if (item)
		cbor_decref(&item);
	if (raw) {
		gk_wipe(raw, raw_len);
		free(raw);
	}
	free(tok);
	for (size_t i = 0; i < MAX_KEYS; i++)
		gk_cose_key_wipe(&keys[i]);
	return ret;
}

static int write_token(const struct cli_ctx *ctx, const char *out_path, const uint8_t *tok,
		       size_t len)
{
	FILE *f;

	if (!out_path) {
		char *hex = malloc(2 * len + 1);

		if (!hex)
			return cli_error(ctx, "nomem", "out of memory");
		gk_hex_encode(tok, len, hex);
		if (ctx->json)
			cli_print_json(ctx, json_pack("{s:s,s:I}", "token", hex, "length",
						      (json_int_t)len));
		else
			printf("%s\n", hex);
		free(hex);
		return CLI_OK;
	}
	f = fopen(out_path, "wbx");
	if (!f && errno == EEXIST)
		f = fopen(out_path, "wb");
	if (!f || fwrite(tok, 1, len, f) != len || fclose(f)) {
		int e = errno;

		return cli_error(ctx, "write", "%s: %s", out_path, strerror(e));
	}
	return CLI_OK;
}

static int token_create(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "alg", required_argument, NULL, 'a' },
		{ "claims", required_argument, NULL, 'c' },
		{ "encrypt-key", required_argument, NULL, 'K' },
		{ "encrypt-alg", required_argument, NULL, 'A' },
		{ "kid", no_argument, NULL, 'i' },
		{ "tag", no_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *key_path = NULL, *enc_path = NULL, *claims_path = NULL, *out_path = NULL;
	struct gk_cose_key key = { 0 }, enc_key = { 0 };
	struct gk_cwt_layer layers[2] = { { 0 } };
	struct gk_cwt_claims claims = { 0 };
	bool have_alg = false, have_enc_alg = false, tag61 = false;
	unsigned flags = 0;
	struct gk_rng *rng = NULL;
	struct gk_enc enc;
	json_error_t jerr;
	json_t *j = NULL;
	uint8_t *tok = NULL;
	size_t tok_len = 0;
	char why[160];
	int c, err, ret = CLI_FAIL;

	gk_enc_init(&enc);
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:a:c:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_path = optarg;
			break;
		case 'K':
			enc_path = optarg;
			break;
		case 'c':
			claims_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'i':
			flags |= GK_COSE_KID;
			break;
		case 't':
			tag61 = true;
			break;
		case 'a':
			if (parse_alg(optarg, &layers[0].alg)) {
				ret = cli_usage_error("unknown --alg '%s'", optarg);
				goto out;
			}
			have_alg = true;
			break;
		case 'A':
			if (parse_alg(optarg, &layers[1].alg)) {
				ret = cli_usage_error("unknown --encrypt-alg '%s'", optarg);
				goto out;
			}
			have_enc_alg = true;
			break;
		case 'h':
			token_usage(stdout);
			ret = CLI_OK;
			goto out;
		default:
			ret = CLI_USAGE;
			goto out;
		}
	}
	if (!key_path || !have_alg || !claims_path) {
		ret = cli_usage_error("token create needs --key, --alg and --claims");
		goto out;
	}
	if (!enc_path != !have_enc_alg) {
		ret = cli_usage_error("--encrypt-key and --encrypt-alg go together");
		goto out;
	}
	if (optind < argc) {
		ret = cli_usage_error("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (load_key(ctx, key_path, &key) || (enc_path && load_key(ctx, enc_path, &enc_key)))
		goto out;
	j = json_load_file(claims_path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		cli_error(ctx, "claims_json", "%s:%d: %s", claims_path, jerr.line, jerr.text);
		goto out;
	}
	if (claims_from_json(j, &claims, why, sizeof(why))) {
		cli_error(ctx, "claims_json", "%s: %s", claims_path, why);
		goto out;
	}
	err = gk_rng_new(&rng);
	if (err) {
		cli_error(ctx, "rng", "random generator: %s", gk_strerror(err));
		goto out;
	}
	layers[0].key = &key;
	layers[0].flags = flags;
	layers[1].key = &enc_key;
	layers[1].flags = flags;
	err = gk_cwt_create(&enc, &claims, layers, enc_path ? 2 : 1, tag61, rng);
	if (!err)
		err = gk_enc_finish(&enc, &tok, &tok_len);
	if (err) {
		cli_error(ctx, gk_errname(err), "cannot create token: %s", gk_strerror(err));
		goto out;
	}
	ret = write_token(ctx, out_path, tok, tok_len);
out:
	free(tok);
	gk_enc_free(&enc);
	gk_rng_free(rng);
	gk_cwt_claims_free(&claims);
	json_decref(j);
	gk_cose_key_wipe(&key);
	gk_cose_key_wipe(&enc_key);
	return ret;
}

int cmd_token(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		token_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (!strcmp(argv[1], "decode"))
		return token_decode(ctx, argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return token_verify(ctx, argc - 1, argv + 1);
	if (!strcmp(argv[1], "create"))
		return token_create(ctx, argc - 1, argv + 1);
	if (!strcmp(argv[1], "request"))
		return cmd_token_request(ctx, argc - 1, argv + 1);
	if (!strcmp(argv[1], "post"))
		return cmd_token_post(ctx, argc - 1, argv + 1);
	return cli_usage_error("unknown token command '%s'", argv[1]);
}
