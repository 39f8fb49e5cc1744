// SPDX-License-Identifier: BSD-3-Clause
/* groupkey: the command-line tool (`groupkey OBJECT VERB ...`, shaped like bpftool). */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "remote.h"

struct cli_object {
	const char *name;
	int (*fn)(struct cli_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct cli_object objects[] = {
	{ "token", cmd_token, "decode, verify and create ACE access tokens (CWT, RFC 8392)" },
	{ "kdc", cmd_kdc, "talk to a KDC over DTLS with a token's PoP key (RFC 9594)" },
	{ "group", cmd_group, "join a group, fetch and observe its keys, leave (RFC 9594)" },
	{ "stats", cmd_stats, "data-plane counters per group and verdict (pinned maps)" },
	{ "dataplane", cmd_dataplane, "operator/debug: load the data plane, push groups and keys" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: groupkey [OPTIONS] OBJECT COMMAND [ARGS]\n"
		   "       groupkey OBJECT --help\n\n"
		   "Objects:\n");
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		fprintf(f, "  %-10s %s\n", objects[i].name, objects[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -j, --json          machine-readable JSON output (errors as {\"error\": ...})\n"
		   "  -p, --pretty        indented JSON (implies --json)\n"
		   "      --show-secrets  print symmetric keys and private keys instead of redacting\n"
		   "  -V, --version       print the version\n"
		   "  -h, --help          this text\n\n"
		   "Input files hold raw CBOR or hex text (detected); '-' reads standard input.\n"
		   "Exit status: 0 success, 1 failure (the reason on stderr), 2 usage error.\n");
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	return CLI_USAGE;
}

int cli_error(const struct cli_ctx *ctx, const char *reason, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "Error: %s\n", msg);
	if (ctx->json) {
		json_t *o = json_pack("{s:s}", "error", msg);

		if (o && reason)
			json_object_set_new(o, "reason", json_string(reason));
		cli_print_json(ctx, o);
	}
	return CLI_FAIL;
}

int cli_print_json(const struct cli_ctx *ctx, json_t *v)
{
	size_t flags = JSON_PRESERVE_ORDER | (ctx->pretty ? JSON_INDENT(2) : JSON_COMPACT);
	int err;

	if (!v)
		return -1;
	err = json_dumpf(v, stdout, flags);
	json_decref(v);
	fputc('\n', stdout);
	return err ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli_ctx ctx = { 0 };
	int c;

	/* '+': stop at the first non-option, the object name. */
	while ((c = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx.json = true;
			break;
		case 'p':
			ctx.json = ctx.pretty = true;
			break;
		case 'S':
			ctx.show_secrets = true;
			break;
		case 'V':
			printf("groupkey %s\n", GK_VERSION);
			return CLI_OK;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (!strcmp(argv[optind], objects[i].name))
			return objects[i].fn(&ctx, argc - optind, argv + optind);
	}
	return cli_usage_error("unknown object '%s'", argv[optind]);
}
