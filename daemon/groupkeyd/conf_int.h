/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration parser's insides, shared by conf.c and conf_member.c. */
#ifndef GKD_CONF_INT_H
#define GKD_CONF_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

#define CONF_LINE_MAX 1024 /* our read buffer; the reader enforces inih's shorter limit */
#define CONF_KEYS_MAX 12

enum conf_sect {
	SECT_DAEMON,
	SECT_AS,
	SECT_KDC,
	SECT_CLIENT,
	SECT_TRUSTED_AS,
	SECT_GROUP,
	SECT_DATAPLANE,
	SECT_MEMBER,
	SECT_GATEWAY,
	SECT_NR,
};

/* Where one section instance and each of its keys were set: duplicates and late checks. */
struct conf_inst {
	unsigned line;
	unsigned key_line[CONF_KEYS_MAX]; /* 0: not set */
};

struct conf_parse;

struct conf_key {
	const char *name;
	int (*set)(struct conf_parse *ps, const char *key, const char *val);
};

struct conf_sect_def {
	const char *name;
	enum conf_sect id;
	bool named; /* [client NAME]: repeated, one instance per NAME */
	const struct conf_key *keys;
	size_t n_keys;
};

struct conf_parse {
	struct gkd_config *cfg;
	FILE *f;
	unsigned lineno;
	unsigned err_line; /* line of the first error, 0 while there is none */
	char *err;
	size_t err_len;
	const struct conf_sect_def *def; /* the section being read; NULL before the first */
	struct conf_inst *cur;
	size_t idx; /* index of the current client / trusted-as / group / member */
	struct conf_inst single[SECT_NR]; /* indexed by the singleton sections' ids */
	struct conf_inst clients[GKD_MAX_CLIENTS];
	struct conf_inst tas[GKD_MAX_TRUSTED_AS];
	struct conf_inst groups[GKD_MAX_GROUPS];
	struct conf_inst members[GKD_MAX_MEMBERS];
	char tas_name[GKD_MAX_TRUSTED_AS][GKD_ID_MAX + 1];
	char buf[CONF_LINE_MAX];
};

/* Record the first error as "FILE:LINE: message"; later ones would only be its echoes. */
__attribute__((format(printf, 3, 4))) int conf_fail_at(struct conf_parse *ps, unsigned line,
						       const char *fmt, ...);
#define conf_fail(ps, ...) conf_fail_at(ps, (ps)->lineno, __VA_ARGS__)

/* Value parsers: 0, or -EINVAL with the error recorded against the current line. */
int conf_parse_uint(struct conf_parse *ps, const char *key, const char *v, uint64_t min,
		    uint64_t max, uint64_t *out);
int conf_parse_u32(struct conf_parse *ps, const char *key, const char *v, uint32_t min,
		   uint32_t max, uint32_t *out);
int conf_parse_bool(struct conf_parse *ps, const char *key, const char *v, bool *out);
int conf_parse_name(struct conf_parse *ps, const char *key, const char *v, char *out, size_t cap);
/* Hex of min..max bytes into out. The value may be a secret: never echoed. */
int conf_parse_hex(struct conf_parse *ps, const char *key, const char *v, size_t min, size_t max,
		   uint8_t *out, size_t *out_len);
int conf_parse_roles(struct conf_parse *ps, const char *key, const char *v, uint32_t *roles);
/* A multicast address (224.0.0.0/4 or ff00::/8) into text, family and network-order bytes. */
int conf_parse_mcast(struct conf_parse *ps, const char *key, const char *v, char *text,
		     size_t cap, int *family, uint8_t addr[16]);
int conf_parse_port(struct conf_parse *ps, const char *key, const char *v, uint16_t *port);
/* "veth0 eth1" or "veth0, eth1" into names (at most GKD_DP_MAX_IFACES, no repeats). */
int conf_parse_ifnames(struct conf_parse *ps, const char *key, const char *v,
		       char names[][GKD_IFNAME_MAX], size_t *n);

/* Line where key of a section instance was set, 0 when it was not. */
unsigned conf_key_line(const struct conf_inst *inst, enum conf_sect id, const char *key);
unsigned conf_max_line(unsigned a, unsigned b);

/* conf_member.c: the [member NAME] and [gateway] sections. */
extern const struct conf_sect_def conf_member_sect, conf_gateway_sect;
int conf_open_member(struct conf_parse *ps, const char *name);
int conf_check_members(struct conf_parse *ps);

#endif
