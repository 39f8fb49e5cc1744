// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* XDP ingress: drop protected-group datagrams not under a current key, strip the trailer. */
#include "gk_dp.h"

/* Global, so the verifier checks the tag loop once with unknown offsets. */
__noinline int gk_tag_xdp(struct xdp_md *ctx, struct gk_tag_args *a)
{
	return gk_tag_body((void *)(long)ctx->data, (void *)(long)ctx->data_end, a);
}

/*
 * Replay window of (group, sender, key id), created on the first verified
 * packet. No lock: gk_replay is an LRU hash, which takes no bpf_spin_lock,
 * and the window's words change by compare-and-swap (dataplane.h).
 */
static __always_inline int gk_replay_ok(__u32 group_id, __u32 sender_id, __u32 key_id, __u64 seq)
{
	struct gk_dp_replay_id rid = { .group_id = group_id,
				       .sender_id = sender_id,
				       .key_id = key_id };
	struct gk_dp_replay *r, fresh = {};

	r = bpf_map_lookup_elem(&gk_replay, &rid);
	if (r)
		return gk_dp_replay_ring_update(r, seq) == 0;
	gk_dp_replay_init(&fresh, seq);
	if (!bpf_map_update_elem(&gk_replay, &rid, &fresh, BPF_NOEXIST))
		return 1;
	/* -EEXIST: another CPU created it first; check against what it recorded. */
	r = bpf_map_lookup_elem(&gk_replay, &rid);
	return r && gk_dp_replay_ring_update(r, seq) == 0;
}

/*
 * Take the trailer (and any Ethernet padding behind it) off a verified
 * frame: IP and UDP lengths, IPv4 header checksum and UDP checksum fixed
 * incrementally (RFC 1624: HC' = ~(~HC + ~m + m')). The trailer starts at
 * an odd offset from the UDP header when the payload length is odd, and its
 * 16-bit words then count byte-swapped.
 */
static __always_inline int gk_strip(struct xdp_md *ctx, const struct gk_pkt *p, __u32 plen)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 l3off = p->l3off, l4off = p->l4off, tsum;
	__be16 old_len, new_len;
	struct udphdr *udp;
	__u64 sum = 0;
	void *tr;

	if (l3off > ETH_HLEN + 4 || l4off > GK_L4_MAX || plen > GK_DP_MAX_PAYLOAD)
		return -1;
	udp = data + l4off;
	if ((void *)(udp + 1) > data_end)
		return -1;
	tr = (void *)(udp + 1) + plen;
	if (tr + GK_DP_TRAILER_LEN > data_end)
		return -1;
	for (int i = 0; i < GK_DP_TRAILER_LEN; i += 4)
		sum += *(__u32 *)(tr + i);
	tsum = gk_csum_fold(sum);
	if (plen & 1)
		tsum = ((tsum >> 8) | (tsum << 8)) & 0xffff;

	old_len = udp->len;
	new_len = bpf_htons(bpf_ntohs(old_len) - GK_DP_TRAILER_LEN);
	if (udp->check) {
		/* The length counts twice: UDP header and pseudo-header (IPv6: low half of 32 bits). */
		sum = (__u16)~udp->check + (~tsum & 0xffff) +
		      2 * ((__u32)(__u16)~old_len + (__u32)new_len);
		udp->check = ~gk_csum_fold(sum) & 0xffff ?: 0xffff;
	}
	udp->len = new_len;

	if (p->ipv6) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		ip6->payload_len = new_len;
	} else {
		struct iphdr *ip = data + l3off;
		__be16 old_tot;

		if ((void *)(ip + 1) > data_end)
			return -1;
		old_tot = ip->tot_len;
		ip->tot_len = bpf_htons(bpf_ntohs(old_tot) - GK_DP_TRAILER_LEN);
		sum = (__u16)~ip->check + (__u32)(__u16)~old_tot + (__u32)ip->tot_len;
		ip->check = ~gk_csum_fold(sum) & 0xffff;
	}
	return bpf_xdp_adjust_tail(ctx, -(int)(data_end - tr));
}

static __always_inline int gk_drop(const struct gk_pkt *p, __u32 verdict, __u64 bytes)
{
	gk_count(p->grp.group_id, verdict, bytes);
	return XDP_DROP;
}

/*
 * The trailer's tag verifies; *trp is the trailer again afterwards. The tag
 * arguments live here, off the paths that drop earlier: no stack to clear.
 */
static __always_inline int gk_tag_ok(struct xdp_md *ctx, const struct gk_pkt *p,
				     const struct gk_dp_key *key, void **trp, __u32 plen)
{
	struct gk_tag_args a = {};
	void *tr = *trp;

	a.k0 = key->k0;
	a.k1 = key->k1;
	gk_tag_prefix(&a, p, tr);
	a.poff = p->l4off + sizeof(struct udphdr);
	a.plen = plen;
	if (gk_tag_xdp(ctx, &a))
		return 0;
	/* The subprogram leaves the packet alone, but re-derive pointers for older verifiers. */
	tr = (void *)(long)ctx->data + p->l4off + sizeof(struct udphdr) + plen;
	if (p->l4off > GK_L4_MAX || plen > GK_DP_MAX_PAYLOAD ||
	    tr + GK_DP_TRAILER_LEN > (void *)(long)ctx->data_end)
		return 0;
	*trp = tr;
	return a.tag == *(__u64 *)(tr + offsetof(struct gk_dp_trailer, tag));
}

SEC("xdp")
int gk_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 plen, group_id, key_id, sender_id;
	struct gk_pkt p = {};
	struct gk_dp_key *key;
	__u64 bytes = data_end - data;
	void *tr;
	int v;

	v = gk_parse(data, data_end, &p);
	if (v == GK_NOT_OURS)
		return XDP_PASS;
	if (v != GK_DP_V_PASS)
		return gk_drop(&p, v, bytes);
	if (p.ulen < sizeof(struct udphdr) + GK_DP_TRAILER_LEN)
		return gk_drop(&p, GK_DP_V_MALFORMED, bytes);
	plen = p.ulen - sizeof(struct udphdr) - GK_DP_TRAILER_LEN;
	if (plen > gk_max_payload || plen > GK_DP_MAX_PAYLOAD)
		return gk_drop(&p, GK_DP_V_TOO_BIG, bytes);
	if (p.l4off > GK_L4_MAX)
		return gk_drop(&p, GK_DP_V_MALFORMED, bytes);
	tr = data + p.l4off + sizeof(struct udphdr) + plen;
	if (tr + GK_DP_TRAILER_LEN > data_end)
		return gk_drop(&p, GK_DP_V_MALFORMED, bytes);
	if (((struct gk_dp_trailer *)tr)->version != GK_DP_VERSION ||
	    ((struct gk_dp_trailer *)tr)->flags || ((struct gk_dp_trailer *)tr)->reserved)
		return gk_drop(&p, GK_DP_V_MALFORMED, bytes);

	group_id = p.grp.group_id;
	key_id = bpf_ntohl(((struct gk_dp_trailer *)tr)->key_id);
	key = gk_key_lookup(group_id, key_id);
	if (!key)
		return gk_drop(&p, GK_DP_V_UNKNOWN_KEY, bytes);
	if (gk_now_tai() > key->recv_not_after_ns)
		return gk_drop(&p, GK_DP_V_EXPIRED, bytes);

	if (!gk_tag_ok(ctx, &p, key, &tr, plen))
		return gk_drop(&p, GK_DP_V_BAD_TAG, bytes);

	/*
	 * Our own datagrams never come back to us legitimately (multicast loop
	 * is local, a bridge does not reflect): one that does is a replay, and
	 * we keep no window for our own sender id.
	 */
	sender_id = bpf_ntohl(((struct gk_dp_trailer *)tr)->sender_id);
	if ((p.grp.flags & GK_DP_GROUP_SEND) && sender_id == p.grp.sender_id)
		return gk_drop(&p, GK_DP_V_REPLAY, bytes);
	if (!gk_replay_ok(group_id, sender_id, key_id,
			  bpf_be64_to_cpu(((struct gk_dp_trailer *)tr)->seq)))
		return gk_drop(&p, GK_DP_V_REPLAY, bytes);

	/* Cannot fail for a frame this long; if it did, the headers no longer match: drop. */
	if ((p.grp.flags & GK_DP_GROUP_STRIP) && gk_strip(ctx, &p, plen))
		return gk_drop(&p, GK_DP_V_MALFORMED, bytes);
	gk_count(group_id, GK_DP_V_PASS, bytes);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
