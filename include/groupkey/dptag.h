/* SPDX-License-Identifier: BSD-3-Clause */
/* Userspace reference of the data plane's security trailer: key derivation, tag, stamp, verify. */
#ifndef GROUPKEY_DPTAG_H
#define GROUPKEY_DPTAG_H

#include <stddef.h>
#include <stdint.h>

#include "groupkey/dataplane.h"

/*
 * The same rules as bpf/gk_xdp.bpf.c and bpf/gk_tc.bpf.c, on UDP payloads
 * (what a socket sends and receives), for the tests, the benchmark's
 * userspace baseline and the gateway. docs/wire-format.md is the spec.
 */

/* Longest group name gk_dp_derive_key() takes. */
#define GK_DP_GROUP_NAME_MAX 255

/* The trailer's fields other than the tag, in host order. */
struct gk_dp_meta {
	uint32_t key_id;
	uint32_t sender_id;
	uint64_t seq;
};

/* A receiver's replay state for one (group, sender, key id); all zero when fresh. */
struct gk_dp_window {
	__u64 top; /* __u64: the type gk_dp_replay_update() takes */
	__u64 window;
};

/* SipHash-2-4 under (k0, k1); the tag is the result's 8 little-endian bytes. */
uint64_t gk_siphash24(uint64_t k0, uint64_t k1, const void *msg, size_t len);

/* Fill a group key: IPv4 (4 bytes, network order) as ::ffff:a.b.c.d, or IPv6; port in host order. */
void gk_dp_group_ipv4(struct gk_dp_group_key *g, const void *addr, uint16_t port);
void gk_dp_group_ipv6(struct gk_dp_group_key *g, const void *addr, uint16_t port);

/*
 * The SipHash key of one key version: HKDF-SHA256 (empty salt, IKM the
 * group key, info GK_DP_HKDF_LABEL || group || key_id as 4 big-endian
 * bytes, 16 bytes) into out->k0/k1; the other fields are left alone.
 * -EINVAL for an empty key or a group name over GK_DP_GROUP_NAME_MAX.
 */
int gk_dp_derive_key(const uint8_t *group_key, size_t key_len, const char *group, uint32_t key_id,
		     struct gk_dp_key *out);

/* Trailer bytes for meta and tag (tag NULL: zeros). */
void gk_dp_trailer_build(uint8_t out[GK_DP_TRAILER_LEN], const struct gk_dp_meta *meta,
			 const uint8_t *tag);
/*
 * The trailer at the end of a UDP payload: *plen is the payload length in
 * front of it. -GK_ETRUNCATED when len is shorter than a trailer,
 * -GK_EMALFORMED for another version or non-zero flags/reserved.
 */
int gk_dp_trailer_parse(const uint8_t *dgram, size_t len, struct gk_dp_meta *meta, size_t *plen);

/* Tag over the tag input: group key, the trailer's fields (meta) and len payload bytes. */
void gk_dp_tag(const struct gk_dp_key *key, const struct gk_dp_group_key *g,
	       const struct gk_dp_meta *meta, const uint8_t *payload, size_t len,
	       uint8_t tag[GK_DP_TAG_LEN]);

/*
 * Sender: append the trailer for meta to the len payload bytes in buf (cap
 * bytes large), as TC does. *out_len = len + GK_DP_TRAILER_LEN. -EMSGSIZE
 * over GK_DP_MAX_PAYLOAD, -ENOBUFS when cap is too small.
 */
int gk_dp_stamp(const struct gk_dp_key *key, const struct gk_dp_group_key *g,
		const struct gk_dp_meta *meta, uint8_t *buf, size_t len, size_t cap,
		size_t *out_len);

/*
 * Receiver, first step: GK_DP_V_MALFORMED, GK_DP_V_TOO_BIG or GK_DP_V_PASS
 * with the trailer's fields in *meta (to find the key) and the payload
 * length in *plen.
 */
enum gk_dp_verdict gk_dp_peek(const uint8_t *dgram, size_t len, struct gk_dp_meta *meta,
			      size_t *plen);

/*
 * Receiver, every check in the XDP program's order: gk_dp_peek's, then key
 * (NULL: GK_DP_V_UNKNOWN_KEY), now_tai_ns past key->recv_not_after_ns, tag,
 * replay window (NULL: not checked; updated only when all else passed).
 * GK_DP_V_PASS (0): the first *plen bytes of dgram are the datagram to
 * deliver. Any other value is the verdict that drops it.
 */
enum gk_dp_verdict gk_dp_verify(const struct gk_dp_group_key *g, const struct gk_dp_key *key,
				uint64_t now_tai_ns, struct gk_dp_window *win, const uint8_t *dgram,
				size_t len, size_t *plen);

#endif
