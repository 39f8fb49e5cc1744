// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* XDP ingress: drop protected-group datagrams not under a current key, strip the trailer. */
#include "gk_dp.h"

/*
 * The tag of the payload behind the UDP header that data points at. Global,
 * so the verifier checks the tag loop once.
 */
__noinline int gk_tag_xdp(struct xdp_md *ctx, struct gk_tag_args *a)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	if (!a || data + sizeof(struct udphdr) > data_end)
		return -1;
	return gk_siphash_at(data + sizeof(struct udphdr), data_end, 1, a);
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
 * Move data to the trailer at toff and copy it into *tb. *flen is the
 * frame's length either way: the trailer ends the frame but for Ethernet
 * padding, so one helper call both reaches the trailer and, with no
 * padding behind it, gives the length as a number (data_end - data would
 * subtract packet pointers, which needs CAP_PERFMON). -1 when the frame
 * does not hold the datagram; data is not moved back (the caller drops).
 */
static __always_inline int gk_trailer_copy(struct xdp_md *ctx, __u32 toff, struct gk_tr_buf *tb,
					   __u32 *flen)
{
	void *data, *data_end;
	__u32 *w = (__u32 *)&tb->t;

	if (bpf_xdp_adjust_head(ctx, (int)toff)) {
		*flen = bpf_xdp_get_buff_len(ctx);
		return -1;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + GK_DP_TRAILER_LEN > data_end) {
		*flen = toff + bpf_xdp_get_buff_len(ctx);
		return -1;
	}
	for (int i = 0; i < GK_DP_TRAILER_LEN / 4; i++)
		w[i] = *(__u32 *)(data + 4 * i);
	*flen = toff + (data + GK_DP_TRAILER_LEN < data_end ? bpf_xdp_get_buff_len(ctx) :
							      GK_DP_TRAILER_LEN);
	return 0;
}

/*
 * The trailer's tag verifies. Moves data back from the trailer to the UDP
 * header, where gk_finish() expects it. The tag arguments live here, off
 * the paths that drop earlier: no stack to clear.
 */
static __always_inline int gk_tag_ok(struct xdp_md *ctx, const struct gk_pkt *p,
				     const struct gk_dp_key *key, const struct gk_tr_buf *tb,
				     __u32 plen)
{
	struct gk_tag_args a = {};

	if (bpf_xdp_adjust_head(ctx, -(int)(plen + sizeof(struct udphdr))))
		return 0;
	a.k0 = key->k0;
	a.k1 = key->k1;
	gk_tag_prefix(&a, p, &tb->t);
	a.plen = plen;
	if (gk_tag_xdp(ctx, &a))
		return 0;
	return a.tag == *(const __u64 *)tb->t.tag;
}

/* The IP header at l3off, one of two constant offsets from data. */
static __always_inline void *gk_l3(void *data, __u32 l3off)
{
	if (l3off == ETH_HLEN)
		gk_ptr_add(data, ETH_HLEN);
	else
		gk_ptr_add(data, ETH_HLEN + sizeof(struct gk_vlan_hdr));
	return data;
}

/*
 * Take the trailer (and any Ethernet padding behind it) off a verified
 * frame of flen bytes whose data points at the UDP header, and move data
 * back to the frame start: IP and UDP lengths, IPv4 header checksum and UDP
 * checksum fixed incrementally (RFC 1624: HC' = ~(~HC + ~m + m')). The
 * trailer starts at an odd offset from the UDP header when the payload
 * length is odd, and its 16-bit words then count byte-swapped. Without
 * GK_DP_GROUP_STRIP, only data moves back.
 */
static __always_inline int gk_finish(struct xdp_md *ctx, const struct gk_pkt *p,
				     const struct gk_tr_buf *tb, __u32 plen, __u32 flen)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	const __u32 *w = (const __u32 *)&tb->t;
	__be16 old_len, new_len;
	struct udphdr *udp = data;
	__u64 sum = 0;
	__u32 tsum;

	if (!(p->grp.flags & GK_DP_GROUP_STRIP))
		return bpf_xdp_adjust_head(ctx, -(int)p->l4off);
	if ((void *)(udp + 1) > data_end)
		return -1;
	for (int i = 0; i < GK_DP_TRAILER_LEN / 4; i++)
		sum += w[i];
	tsum = gk_csum_fold(sum);
	if (plen & 1)
		tsum = ((tsum >> 8) | (tsum << 8)) & 0xffff;
	old_len = udp->len;
	new_len = bpf_htons(bpf_ntohs(old_len) - GK_DP_TRAILER_LEN);
	if (udp->check) {
		/* The length counts twice: UDP header, pseudo-header (IPv6: low half of 32). */
		sum = (__u16)~udp->check + (~tsum & 0xffff) +
		      2 * ((__u32)(__u16)~old_len + (__u32)new_len);
		udp->check = ~gk_csum_fold(sum) & 0xffff ?: 0xffff;
	}
	udp->len = new_len;

	if (bpf_xdp_adjust_head(ctx, -(int)p->l4off))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (p->ipv6) {
		struct ipv6hdr *ip6 = gk_l3(data, p->l3off);

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		ip6->payload_len = new_len;
	} else {
		struct iphdr *ip = gk_l3(data, p->l3off);
		__be16 old_tot;

		if ((void *)(ip + 1) > data_end)
			return -1;
		old_tot = ip->tot_len;
		ip->tot_len = bpf_htons(bpf_ntohs(old_tot) - GK_DP_TRAILER_LEN);
		sum = (__u16)~ip->check + (__u32)(__u16)~old_tot + (__u32)ip->tot_len;
		ip->check = ~gk_csum_fold(sum) & 0xffff;
	}
	/* The trailer lies inside the frame (gk_trailer_copy): flen exceeds the datagram. */
	return bpf_xdp_adjust_tail(ctx, -(int)(flen - (p->l4off + sizeof(*udp) + plen)));
}

static __always_inline int gk_drop(const struct gk_pkt *p, __u32 verdict, __u64 bytes)
{
	gk_count(p->grp.group_id, verdict, bytes);
	return XDP_DROP;
}

SEC("xdp")
int gk_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	/*
	 * 64-bit locals: clang spills 32-bit values with 32-bit stores, and
	 * where such a store lands on a slot that held a spilled pointer, the
	 * verifier refuses it without CAP_PERFMON.
	 */
	__u64 plen, group_id, key_id, sender_id;
	struct gk_pkt p = {};
	__u32 flen;
	struct gk_dp_key *key;
	struct gk_tr_buf tb;
	int v;

	v = gk_parse(data, data_end, &p);
	if (v == GK_NOT_OURS)
		return XDP_PASS;
	if (v != GK_DP_V_PASS)
		return gk_drop(&p, v, bpf_xdp_get_buff_len(ctx));
	if (p.ulen < sizeof(struct udphdr) + GK_DP_TRAILER_LEN)
		return gk_drop(&p, GK_DP_V_MALFORMED, bpf_xdp_get_buff_len(ctx));
	plen = p.ulen - sizeof(struct udphdr) - GK_DP_TRAILER_LEN;
	/* From here on data points at the trailer, later at the UDP header (gk_tag_ok). */
	if (gk_trailer_copy(ctx, p.l4off + sizeof(struct udphdr) + plen, &tb, &flen))
		return gk_drop(&p, GK_DP_V_MALFORMED, flen);
	if (plen > gk_max_payload || plen > GK_DP_MAX_PAYLOAD)
		return gk_drop(&p, GK_DP_V_TOO_BIG, flen);
	if (tb.t.version != GK_DP_VERSION || tb.t.flags || tb.t.reserved)
		return gk_drop(&p, GK_DP_V_MALFORMED, flen);

	group_id = p.grp.group_id;
	key_id = bpf_ntohl(tb.t.key_id);
	key = gk_key_lookup(group_id, key_id);
	if (!key)
		return gk_drop(&p, GK_DP_V_UNKNOWN_KEY, flen);
	if (gk_now_tai() > key->recv_not_after_ns)
		return gk_drop(&p, GK_DP_V_EXPIRED, flen);

	if (!gk_tag_ok(ctx, &p, key, &tb, plen))
		return gk_drop(&p, GK_DP_V_BAD_TAG, flen);

	/*
	 * Our own datagrams never come back to us legitimately (multicast loop
	 * is local, a bridge does not reflect): one that does is a replay, and
	 * we keep no window for our own sender id.
	 */
	sender_id = bpf_ntohl(tb.t.sender_id);
	if ((p.grp.flags & GK_DP_GROUP_SEND) && sender_id == p.grp.sender_id)
		return gk_drop(&p, GK_DP_V_REPLAY, flen);
	if (!gk_replay_ok(group_id, sender_id, key_id, bpf_be64_to_cpu(tb.t.seq)))
		return gk_drop(&p, GK_DP_V_REPLAY, flen);

	/* Cannot fail for a frame this long; if it did, the headers no longer match: drop. */
	if (gk_finish(ctx, &p, &tb, plen, flen))
		return gk_drop(&p, GK_DP_V_MALFORMED, flen);
	gk_count(group_id, GK_DP_V_PASS, flen);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
