// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* TC egress: stamp this host's datagrams to protected groups with the security trailer. */
#include <linux/pkt_cls.h>

#include "gk_dp.h"

/* Global, so the verifier checks the tag loop once with unknown offsets. */
__noinline int gk_tag_tc(struct __sk_buff *skb, struct gk_tag_args *a)
{
	return gk_tag_body((void *)(long)skb->data, (void *)(long)skb->data_end, a);
}

static __always_inline int gk_shot(__u32 group_id, __u32 verdict, __u64 bytes)
{
	gk_count(group_id, verdict, bytes);
	return TC_ACT_SHOT;
}

/* Sequence number to stamp with, or -1 when the daemon's reserved block is used up. */
static __always_inline int gk_next_seq(__u32 group_id, __u64 *seq)
{
	struct gk_dp_send *st = bpf_map_lookup_elem(&gk_send, &group_id);

	if (!st)
		return -1;
	*seq = __sync_fetch_and_add(&st->seq, 1);
	return *seq < st->limit ? 0 : -1;
}

/*
 * Checksums after the append. bpf_l4_csum_replace() (inet_proto_csum_*)
 * changes the UDP checksum field for a complete checksum on every call,
 * but for CHECKSUM_PARTIAL only on BPF_F_PSEUDO_HDR calls, where the field
 * holds the pseudo-header sum and the device sums csum_start..end itself:
 * so the pseudo-header length goes in with the flag, the UDP length field
 * and the appended bytes without. BPF_F_MARK_MANGLED_0 leaves a zero
 * checksum (IPv4: none; IPv6: UDP_NO_CHECK6_TX) zero and turns a computed
 * zero into 0xffff.
 */
static __always_inline int gk_fix_csums(struct __sk_buff *skb, __u32 l3off, __u32 l4off, __u32 ipv6,
					__u32 old_ulen, __u32 plen,
					const __be32 tw[GK_DP_TRAILER_LEN / 4])
{
	__u32 check_off = l4off + offsetof(struct udphdr, check), new_ulen, diff;
	__u64 mm = BPF_F_MARK_MANGLED_0;
	int err;

	new_ulen = old_ulen + GK_DP_TRAILER_LEN;
	if (!ipv6) {
		err = bpf_l3_csum_replace(skb, l3off + offsetof(struct iphdr, check),
					  bpf_htons(old_ulen + (l4off - l3off)),
					  bpf_htons(new_ulen + (l4off - l3off)), 2);
		if (err)
			return err;
		err = bpf_l4_csum_replace(skb, check_off, bpf_htons(old_ulen), bpf_htons(new_ulen),
					  BPF_F_PSEUDO_HDR | mm | 2);
	} else {
		err = bpf_l4_csum_replace(skb, check_off, bpf_htonl(old_ulen), bpf_htonl(new_ulen),
					  BPF_F_PSEUDO_HDR | mm | 4);
	}
	if (err)
		return err;
	err = bpf_l4_csum_replace(skb, check_off, bpf_htons(old_ulen), bpf_htons(new_ulen), mm | 2);
	if (err)
		return err;
	diff = bpf_csum_diff(NULL, 0, (__be32 *)tw, GK_DP_TRAILER_LEN, 0);
	if (plen & 1)
		diff = (diff >> 8) | (diff << 24);
	return bpf_l4_csum_replace(skb, check_off, 0, diff, mm);
}

/*
 * Append the trailer, fill it, tag the datagram, set the IP and UDP lengths.
 * Returns -1 when the frame cannot be stamped.
 */
static __always_inline int gk_stamp(struct __sk_buff *skb, const struct gk_pkt *p,
				    const struct gk_dp_key *key, __u32 key_id, __u32 sender_id,
				    __u64 seq)
{
	__u32 l3off = p->l3off, l4off = p->l4off, ulen = p->ulen, plen = ulen - 8;
	__be32 tw[GK_DP_TRAILER_LEN / 4] = {};
	struct gk_tag_args a = {};
	struct gk_dp_trailer *tr;
	struct udphdr *udp;
	void *data, *data_end;

	if (bpf_skb_change_tail(skb, skb->len + GK_DP_TRAILER_LEN, 0))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (l3off > ETH_HLEN + 4 || l4off > GK_L4_MAX || plen > GK_DP_MAX_PAYLOAD)
		return -1;
	udp = data + l4off;
	if ((void *)(udp + 1) > data_end)
		return -1;
	tr = (void *)(udp + 1) + plen;
	if ((void *)(tr + 1) > data_end)
		return -1;
	tr->version = GK_DP_VERSION;
	tr->flags = 0;
	tr->reserved = 0;
	tr->key_id = bpf_htonl(key_id);
	tr->sender_id = bpf_htonl(sender_id);
	tr->seq = bpf_cpu_to_be64(seq);

	a.k0 = key->k0;
	a.k1 = key->k1;
	gk_tag_prefix(&a, p, tr);
	a.poff = l4off + sizeof(*udp);
	a.plen = plen;
	if (gk_tag_tc(skb, &a))
		return -1;
	/* The subprogram does not change the packet, but re-derive pointers for older verifiers. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	udp = data + l4off;
	if ((void *)(udp + 1) > data_end)
		return -1;
	tr = (void *)(udp + 1) + plen;
	if ((void *)(tr + 1) > data_end)
		return -1;
	*(__u64 *)tr->tag = a.tag;
	__builtin_memcpy(tw, tr, sizeof(tw));
	udp->len = bpf_htons(ulen + GK_DP_TRAILER_LEN);
	if (p->ipv6) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		ip6->payload_len = udp->len;
	} else {
		struct iphdr *ip = data + l3off;

		if ((void *)(ip + 1) > data_end)
			return -1;
		ip->tot_len = bpf_htons(ulen + GK_DP_TRAILER_LEN + (l4off - l3off));
	}
	return gk_fix_csums(skb, l3off, l4off, p->ipv6, ulen, plen, tw) ? -1 : 0;
}

SEC("tc")
int gk_tc_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	__u32 group_id, sender_id, key_id, mtu_len = 0, plen;
	__u64 bytes = skb->len, seq;
	struct gk_pkt p = {};
	struct gk_dp_key *key;
	int v;

	/* Local datagrams have their headers linear; pull only when they are not. */
	if (data + GK_HDR_PULL > data_end && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < GK_HDR_PULL ? skb->len : GK_HDR_PULL);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	v = gk_parse(data, data_end, &p);
	if (v == GK_NOT_OURS || !(p.grp.flags & GK_DP_GROUP_SEND))
		return TC_ACT_OK;
	group_id = p.grp.group_id;
	key_id = p.grp.send_key_id;
	sender_id = p.grp.sender_id;
	if (v != GK_DP_V_PASS)
		return gk_shot(group_id, v, bytes);
	/* One trailer per datagram: a GSO super-packet would be segmented after us. */
	if (skb->gso_size)
		return gk_shot(group_id, GK_DP_V_MALFORMED, bytes);
	plen = p.ulen - sizeof(struct udphdr);
	if (plen > gk_max_payload ||
	    bpf_check_mtu(skb, 0, &mtu_len, GK_DP_TRAILER_LEN, 0) != BPF_MTU_CHK_RET_SUCCESS)
		return gk_shot(group_id, GK_DP_V_TOO_BIG, bytes);

	key = gk_key_lookup(group_id, key_id);
	if (!key || gk_now_tai() > key->send_not_after_ns)
		return gk_shot(group_id, GK_DP_V_NO_SEND_KEY, bytes);
	if (gk_next_seq(group_id, &seq))
		return gk_shot(group_id, GK_DP_V_SEQ_EXHAUSTED, bytes);
	if (gk_stamp(skb, &p, key, key_id, sender_id, seq))
		return gk_shot(group_id, GK_DP_V_MALFORMED, bytes);
	gk_count(group_id, GK_DP_V_STAMPED, bytes);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
