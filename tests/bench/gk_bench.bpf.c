// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Benchmark programs: an in-kernel traffic generator that stamps trailers, and plain XDP_DROP. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "groupkey/dataplane.h"

/*
 * The generator's frames come from BPF_PROG_TEST_RUN in live-frames mode:
 * one template (Ethernet, IPv4 without options, UDP, payload, trailer)
 * copied into each page once, then handed to this program for each frame it
 * sends with XDP_TX. With stamp set, each frame gets the next sequence
 * number, a fresh tag and its UDP checksum updated: the receiver's replay
 * window would otherwise drop every frame after the first. A veth hands the
 * page itself to the receiver, whose XDP may strip the trailer and rewrite
 * the lengths in place; pages come back to the generator's pool as they
 * are, so the IP and UDP headers are restored from the template every time.
 * With at_source, frames are made the same way but dropped instead of sent,
 * which measures what the generator itself costs per frame.
 */
#define GEN_HDR_LEN 28	  /* IPv4 without options + UDP */
#define GEN_SEQTAG_OFF 12 /* seq and tag: the trailer's last 16 bytes */

struct gk_bench_cfg {
	__u64 k0, k1;
	__u64 seq;
	__u32 stamp;
	__u32 plen;	 /* payload bytes before the trailer, a multiple of 8 */
	__u32 at_source; /* drop instead of sending: the generator's own cost */
	__u32 pad;
	__u8 hdr[GEN_HDR_LEN]; /* the template's IPv4 and UDP headers */
	__u16 seqtag[8];       /* the template's seq and tag, as the checksum saw them */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gk_bench_cfg);
} gk_bench_cfg SEC(".maps");

#define GEN_L4 (ETH_HLEN + sizeof(struct iphdr))
#define GEN_PAYLOAD (GEN_L4 + sizeof(struct udphdr))
#define GEN_MAX_WORDS (GK_DP_MAX_PAYLOAD / 8)

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)
#define SIPWORD(m)         \
	do {               \
		v3 ^= (m); \
		SIPROUND;  \
		SIPROUND;  \
		v0 ^= (m); \
	} while (0)

/* Global: the verifier walks the payload loop once. Returns the tag or 0 on a bad frame. */
__noinline __u64 gk_bench_tag(struct xdp_md *ctx, const struct gk_bench_cfg *cfg)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u64 v0, v1, v2, v3, m;
	__u32 nwords, i;
	__u8 *p, *tr;

	if (!cfg || cfg->plen > GK_DP_MAX_PAYLOAD || data + GEN_PAYLOAD > data_end)
		return 0;
	p = data + GEN_PAYLOAD;
	tr = p + cfg->plen;
	if (tr + GK_DP_TRAILER_LEN > (__u8 *)data_end)
		return 0;
	v0 = cfg->k0 ^ 0x736f6d6570736575ULL;
	v1 = cfg->k1 ^ 0x646f72616e646f6dULL;
	v2 = cfg->k0 ^ 0x6c7967656e657261ULL;
	v3 = cfg->k1 ^ 0x7465646279746573ULL;
	/* Tag input: ::ffff:daddr, dport, 0, the trailer's first 20 bytes. */
	m = 0;
	SIPWORD(m);
	m = 0xffff0000ULL | (__u64)(*(__u32 *)(data + ETH_HLEN + offsetof(struct iphdr, daddr)))
				    << 32;
	SIPWORD(m);
	m = *(__u16 *)(data + GEN_L4 + offsetof(struct udphdr, dest)) | (__u64)(*(__u32 *)tr) << 32;
	SIPWORD(m);
	m = *(__u64 *)(tr + 4);
	SIPWORD(m);
	m = *(__u64 *)(tr + 12);
	SIPWORD(m);
	nwords = cfg->plen / 8;
	for (i = 0; i < GEN_MAX_WORDS; i++) {
		if (i >= nwords)
			break;
		asm volatile("" : "+r"(p));
		if (p + 8 > (__u8 *)data_end)
			return 0;
		m = *(__u64 *)p;
		SIPWORD(m);
		p += 8;
	}
	m = (__u64)(GK_DP_TAG_PREFIX_LEN + cfg->plen) << 56;
	SIPWORD(m);
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * Template headers back in place, then the UDP checksum moved from the
 * template's seq and tag to this frame's (RFC 1624: HC' = ~(~HC + ~m + m')).
 * seq and tag start at an even offset from the UDP header: plain 16-bit words.
 */
static __always_inline int gk_bench_restore(struct xdp_md *ctx, const struct gk_bench_cfg *cfg,
					    __u32 plen)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + GEN_L4;
	__u16 *now;
	__u64 sum;

	if (data + GEN_PAYLOAD > data_end)
		return -1;
	__builtin_memcpy(data + ETH_HLEN, cfg->hdr, GEN_HDR_LEN);
	now = data + GEN_PAYLOAD + plen + GEN_SEQTAG_OFF;
	if ((void *)(now + 8) > data_end)
		return -1;
	sum = (__u16)~udp->check;
	for (int i = 0; i < 8; i++)
		sum += (__u16)~cfg->seqtag[i] + (__u32)now[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	udp->check = (__u16)~sum ?: 0xffff;
	return 0;
}

SEC("xdp")
int gk_bench_gen(struct xdp_md *ctx)
{
	struct gk_bench_cfg *cfg;
	void *data, *data_end;
	__u32 zero = 0, plen;
	__u8 *tr;
	__u64 tag;

	cfg = bpf_map_lookup_elem(&gk_bench_cfg, &zero);
	if (!cfg)
		return XDP_ABORTED;
	if (!cfg->stamp)
		return cfg->at_source ? XDP_DROP : XDP_TX;
	plen = cfg->plen;
	if (plen > GK_DP_MAX_PAYLOAD)
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	tr = data + GEN_PAYLOAD + plen;
	if (tr + GK_DP_TRAILER_LEN > (__u8 *)data_end)
		return XDP_ABORTED;
	*(__u64 *)(tr + offsetof(struct gk_dp_trailer, seq)) =
		bpf_cpu_to_be64(__sync_fetch_and_add(&cfg->seq, 1));
	tag = gk_bench_tag(ctx, cfg);
	/* The call may have moved packet data, as far as the verifier knows: re-derive. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	tr = data + GEN_PAYLOAD + plen;
	if (!tag || tr + GK_DP_TRAILER_LEN > (__u8 *)data_end)
		return XDP_ABORTED;
	*(__u64 *)(tr + offsetof(struct gk_dp_trailer, tag)) = tag;
	if (gk_bench_restore(ctx, cfg, plen))
		return XDP_ABORTED;
	return cfg->at_source ? XDP_DROP : XDP_TX;
}

/* The floor: every frame dropped by the cheapest possible program. */
SEC("xdp")
int gk_bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
