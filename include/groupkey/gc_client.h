/* SPDX-License-Identifier: BSD-3-Clause */
/* The member side of RFC 9594 in our profile: Join requests, PoP, responses, member files. */
#ifndef GROUPKEY_GC_CLIENT_H
#define GROUPKEY_GC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/cbor.h"
#include "groupkey/groupcomm.h"
#include "groupkey/scope.h"

struct gk_rng;

#define GK_GC_SIG_LEN 64
#define GK_GC_CRED_MAX 512
#define GK_GC_NONCE_MAX 32
#define GK_GC_NODE_MAX 16
#define GK_GC_URI_MAX 255

/*
 * The PoP input of RFC 9594 §4.3.1, appended to e: bstr(scope) ||
 * bstr(N_S) || bstr(N_C), each a CBOR byte string. With scope NULL it is
 * the KDC's form bstr(N_C) || bstr(N_KDC) (n_s = N_C, n_c = N_KDC).
 */
int gk_gc_pop_input(struct gk_enc *e, const uint8_t *scope, size_t scope_len, const uint8_t *n_s,
		    size_t n_s_len, const uint8_t *n_c, size_t n_c_len);
/* client_cred_verify: ES256 with d over the PoP input (docs/profile.md REQ14). */
int gk_gc_pop_sign(struct gk_rng *rng, const uint8_t d[32], const uint8_t *scope, size_t scope_len,
		   const uint8_t *n_s, size_t n_s_len, const uint8_t *n_c, size_t n_c_len,
		   uint8_t sig[GK_GC_SIG_LEN]);
/*
 * kdc_cred_verify (docs/profile.md REQ21): kdc_cred must be a CCS
 * {8: {1: EC2 P-256 COSE_Key}} (or a bare COSE_Key) and sig its ES256
 * signature over bstr(N_C) || bstr(N_KDC). 0, -GK_EBADSIG, -GK_EKEY for an
 * unusable credential.
 */
int gk_gc_kdc_cred_verify(const uint8_t *kdc_cred, size_t cred_len, const uint8_t *n_c,
			  size_t n_c_len, const uint8_t *n_kdc, size_t n_kdc_len,
			  const uint8_t *sig, size_t sig_len);
/* Our credential as a CCS {8: {1: {1: 2, -1: 1, -2: x, -3: y}}} (cred_fmt 14). */
int gk_gc_ccs_encode(struct gk_enc *e, const uint8_t x[32], const uint8_t y[32]);

/* A Join Request (RFC 9594 §4.3.1); NULL / 0 leaves a parameter out. */
struct gk_gc_join {
	const uint8_t *scope; /* one scope entry (gk_scope_entry_encode) */
	size_t scope_len;
	bool get_creds; /* get_creds: null (every member's credential) */
	const uint8_t *client_cred;
	size_t client_cred_len;
	const uint8_t *cnonce; /* required */
	size_t cnonce_len;
	const uint8_t *client_cred_verify;
	size_t client_cred_verify_len;
	const char *control_uri;
};

/* The request map, keys in ascending order; -EINVAL without cnonce. */
int gk_gc_join_encode(struct gk_enc *e, const struct gk_gc_join *j);

/*
 * Keying material as a Join Response, a GET of /ace-group/G or of
 * nodes/N, or a rekey notification carries it (RFC 9594 §4.3.1, §6.1).
 */
struct gk_gc_keying {
	uint32_t num;
	uint8_t k[GK_GC_GROUP_KEY_LEN];
	uint64_t key_exp;  /* the COSE_Key's exp (label -65537) */
	uint64_t exp, exi; /* 11, 12; 0 when absent */
	bool has_exp, has_exi;
	bool has_profile, has_rekeying_scheme, has_sender_id;
	int64_t profile;	 /* 10 */
	int64_t rekeying_scheme; /* 20 */
	uint32_t sender_id;	 /* -65537 (REQ27) */
	/* group_policies (16) */
	bool has_policies;
	uint64_t key_check_interval, exp_delta;
	/* Join Response: the KDC's credential and PoP */
	uint8_t kdc_cred[GK_GC_CRED_MAX];
	size_t kdc_cred_len;
	uint8_t kdc_nonce[GK_GC_NONCE_MAX];
	size_t kdc_nonce_len;
	uint8_t kdc_cred_verify[GK_GC_SIG_LEN];
	size_t kdc_cred_verify_len;
	size_t n_creds; /* entries of creds (13) */
};

/*
 * Parse and check against docs/profile.md: gkty must be "groupkeyd-dp-v1";
 * key a COSE_Key {1: 4, 2: num as 4 bytes big-endian, 3: -65537, -1: 16
 * bytes, -65537: uint}; num a uint32 > 0. -GK_EMISSING for a missing
 * gkty, key or num; -GK_ETYPE for a parameter of the wrong type or value
 * (gkty, profile, a map that is no map); -GK_EKEY for a key that breaks the
 * profile (kty, alg, k length, kid other than num, no exp); CBOR errors.
 * The caller wipes *out (it holds k).
 */
int gk_gc_keying_parse(const uint8_t *buf, size_t len, struct gk_gc_keying *out);

/* Problem details (ct 257): title, detail and the ace-groupcomm-error id (-1 when none). */
struct gk_gc_problem {
	char title[128];
	char detail[256];
	int error_id;
};
int gk_gc_problem_parse(const uint8_t *buf, size_t len, struct gk_gc_problem *out);
/* RFC 9594 §9 name of an error id ("Group membership terminated"); NULL for unknown ids. */
const char *gk_gc_error_name(int error_id);
/* The N_S of a 4.00 {30 kdcchallenge: bstr} (ct 261); -GK_EMISSING when absent. */
int gk_gc_kdcchallenge(const uint8_t *buf, size_t len, uint8_t *ns, size_t cap, size_t *ns_len);

/*
 * A member file (the state `groupkey group join -o FILE` writes, mode
 * 0600): a CBOR map with text keys
 *   "kdc" tstr coaps URI, "group" tstr, "node" tstr NODENAME,
 *   "location" tstr Location-Path, "sender_id" uint, "roles" uint (Tperm),
 *   "num" uint, "key" bstr (16 bytes), "exp" uint, "exi" uint,
 *   "cnonce" bstr (N_C of the latest Join: verifies GET kdc-cred),
 *   "kdc_cred" bstr (the credential the Join Response carried).
 */
struct gk_gc_member {
	char kdc[GK_GC_URI_MAX + 1];
	char group[GK_GROUP_NAME_MAX + 1];
	char node[GK_GC_NODE_MAX + 1];
	char location[GK_GC_URI_MAX + 1];
	uint32_t sender_id;
	uint32_t roles;
	uint32_t num;
	uint8_t key[GK_GC_GROUP_KEY_LEN];
	uint64_t exp, exi;
	uint8_t cnonce[GK_GC_NONCE_MAX];
	size_t cnonce_len;
	uint8_t kdc_cred[GK_GC_CRED_MAX];
	size_t kdc_cred_len;
};

int gk_gc_member_encode(struct gk_enc *e, const struct gk_gc_member *m);
/* -GK_EMISSING / -GK_ETYPE / -GK_ELENGTH for a file that is not one; the caller wipes *m. */
int gk_gc_member_decode(const uint8_t *buf, size_t len, struct gk_gc_member *m);

#endif
