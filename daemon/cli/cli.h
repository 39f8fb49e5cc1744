/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared state and helpers of the groupkey command-line tool. */
#ifndef GROUPKEY_CLI_H
#define GROUPKEY_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "groupkey/cbor.h"

/* Exit statuses: bpftool-like, plus a distinct one for usage errors. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

struct cli_ctx {
	bool json;	   /* -j/--json: machine-readable output */
	bool pretty;	   /* -p/--pretty: indented JSON */
	bool show_secrets; /* print symmetric keys and private scalars instead of redacting them */
};

/* "Error: ..." on stderr; with --json also {"error": ...} on stdout. Returns CLI_FAIL. */
int cli_error(const struct cli_ctx *ctx, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON value (steals the reference) followed by a newline. */
int cli_print_json(const struct cli_ctx *ctx, json_t *v);

/* CBOR <-> JSON in the notation the CLI reads and writes: byte strings as "h'hex'". */
enum cli_labels { CLI_LABELS_NONE, CLI_LABELS_CLAIMS, CLI_LABELS_COSE_KEY, CLI_LABELS_CNF,
		  CLI_LABELS_HEADER };
json_t *cli_cbor_to_json(const struct cli_ctx *ctx, const cbor_item_t *it, enum cli_labels labels);
json_t *cli_bstr_json(const uint8_t *p, size_t n);
/* Parse "h'hex'" (or bare hex) into a heap buffer. */
int cli_json_bstr(const json_t *v, uint8_t **out, size_t *len);

struct gk_cwt_claims;
/* Claims JSON (the notation `token decode` prints) into claims; why names the offending member. */
int claims_from_json(const json_t *j, struct gk_cwt_claims *c, char *why, size_t why_len);

int cmd_token(struct cli_ctx *ctx, int argc, char **argv);
int cmd_stats(struct cli_ctx *ctx, int argc, char **argv);
int cmd_dataplane(struct cli_ctx *ctx, int argc, char **argv);

#endif
