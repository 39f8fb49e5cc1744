// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* TC: stamp datagrams to protected groups, this host's (egress) and a gateway's LAN hosts'. */
#include <linux/pkt_cls.h>

#include "gk_dp.h"

/* Gateway: the legacy sources allowed to send to a group (dataplane.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, GK_DP_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct gk_dp_allow_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gk_allow SEC(".maps");

/*
 * The datagram being tagged, copied out of the skb: TC has no way to move
 * data to the payload, which starts at a variable offset, so the tag loop
 * reads a copy at constant offsets instead. Per CPU, and TC runs with
 * bottom halves off, so nothing else on this CPU uses it meanwhile (on an
 * RT kernel a preempting program could: the tag then comes out wrong and
 * receivers drop the datagram, which fails closed).
 */
struct gk_scratch {
	__u8 b[GK_DP_MAX_PAYLOAD + 64]; /* UDP header, payload, and slack for the last reads */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gk_scratch);
} gk_scratch SEC(".maps");

/* The tag of the datagram at a->l4off. Global, so the verifier checks the tag loop once. */
__noinline int gk_tag_tc(struct __sk_buff *skb, struct gk_tag_args *a)
{
	struct gk_scratch *s;
	__u32 zero = 0, len;

	if (!a)
		return -1;
	len = a->plen + sizeof(struct udphdr);
	if (len < sizeof(struct udphdr) || len > GK_DP_MAX_PAYLOAD + sizeof(struct udphdr))
		return -1;
	s = bpf_map_lookup_elem(&gk_scratch, &zero);
	if (!s || bpf_skb_load_bytes(skb, a->l4off, s->b, len))
		return -1;
	return gk_siphash_at(s->b + sizeof(struct udphdr), NULL, 0, a);
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
 * Tag the datagram, append the trailer, set the IP and UDP lengths, with
 * p->grp's key and sender id. Every write goes through a helper: the
 * positions vary, and a packet pointer may not (gk_ptr_add). Returns -1
 * when the frame cannot be stamped. A call of its own, not inlined: its
 * stack frame is its own, where clang cannot put a 4-byte value into a
 * slot that held a spilled pointer, which the verifier refuses without
 * CAP_PERFMON.
 */
static __noinline int gk_stamp(struct __sk_buff *skb, const struct gk_pkt *p,
			       const struct gk_dp_key *key, __u64 seq)
{
	__u32 l3off = p->l3off, l4off = p->l4off, ulen = p->ulen;
	__u32 key_id = p->grp.send_key_id, sender_id = p->grp.sender_id;
	struct gk_tag_args a = {};
	struct gk_tr_buf tb = {};
	__be16 len;

	tb.t.version = GK_DP_VERSION;
	tb.t.key_id = bpf_htonl(key_id);
	tb.t.sender_id = bpf_htonl(sender_id);
	tb.t.seq = bpf_cpu_to_be64(seq);
	a.k0 = key->k0;
	a.k1 = key->k1;
	gk_tag_prefix(&a, p, &tb.t);
	a.l4off = l4off;
	a.plen = ulen - sizeof(struct udphdr);
	if (gk_tag_tc(skb, &a))
		return -1;
	*(__u64 *)tb.t.tag = a.tag;
	/* Ethernet padding (LAN ingress) stays behind the trailer, right after the datagram. */
	if (bpf_skb_change_tail(skb, skb->len + GK_DP_TRAILER_LEN, 0) ||
	    bpf_skb_store_bytes(skb, l4off + ulen, &tb.t, GK_DP_TRAILER_LEN, 0))
		return -1;
	len = bpf_htons(ulen + GK_DP_TRAILER_LEN);
	if (bpf_skb_store_bytes(skb, l4off + offsetof(struct udphdr, len), &len, sizeof(len), 0))
		return -1;
	if (p->ipv6) {
		if (bpf_skb_store_bytes(skb, l3off + offsetof(struct ipv6hdr, payload_len), &len,
					sizeof(len), 0))
			return -1;
	} else {
		len = bpf_htons(ulen + GK_DP_TRAILER_LEN + (l4off - l3off));
		if (bpf_skb_store_bytes(skb, l3off + offsetof(struct iphdr, tot_len), &len,
					sizeof(len), 0))
			return -1;
	}
	return gk_fix_csums(skb, l3off, l4off, p->ipv6, ulen, a.plen, (const __be32 *)&tb.t) ? -1 :
											       0;
}

/*
 * The headers in the linear area, parsed (gk_parse). Not inlined, like
 * gk_stamp(): the parse spills pointers, the stamping path 4-byte values.
 */
static __noinline int gk_tc_parse(struct __sk_buff *skb, struct gk_pkt *p)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	/*
	 * Local datagrams have their headers linear; pull them when they are
	 * not. Tested against a constant: the linear length as a number would
	 * need data_end - data, which takes CAP_PERFMON; a short frame is
	 * pulled whole, which is cheap when it is linear already.
	 */
	if (data + GK_HDR_PULL > data_end) {
		bpf_skb_pull_data(skb, skb->len < GK_HDR_PULL ? skb->len : GK_HDR_PULL);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	return gk_parse(data, data_end, p);
}

/*
 * Stamp a datagram to a group this host sends to, p and v from
 * gk_tc_parse(), or drop it: TC_ACT_OK or TC_ACT_SHOT.
 */
static __always_inline int gk_tc_send(struct __sk_buff *skb, const struct gk_pkt *p, int v,
				      __u64 bytes)
{
	__u32 group_id = p->grp.group_id, key_id = p->grp.send_key_id, mtu_len = 0, plen;
	struct gk_dp_key *key;
	__u64 seq;

	if (v != GK_DP_V_PASS)
		return gk_shot(group_id, v, bytes);
	/* One trailer per datagram: a GSO super-packet would be segmented after us. */
	if (skb->gso_size)
		return gk_shot(group_id, GK_DP_V_MALFORMED, bytes);
	/* Ethernet padding may follow the datagram; a short frame may not. */
	if (p->l4off + p->ulen > skb->len)
		return gk_shot(group_id, GK_DP_V_MALFORMED, bytes);
	plen = p->ulen - sizeof(struct udphdr);
	if (plen > gk_max_payload ||
	    bpf_check_mtu(skb, 0, &mtu_len, GK_DP_TRAILER_LEN, 0) != BPF_MTU_CHK_RET_SUCCESS)
		return gk_shot(group_id, GK_DP_V_TOO_BIG, bytes);

	key = gk_key_lookup(group_id, key_id);
	if (!key || gk_now_tai() > key->send_not_after_ns)
		return gk_shot(group_id, GK_DP_V_NO_SEND_KEY, bytes);
	if (gk_next_seq(group_id, &seq))
		return gk_shot(group_id, GK_DP_V_SEQ_EXHAUSTED, bytes);
	if (gk_stamp(skb, p, key, seq))
		return gk_shot(group_id, GK_DP_V_MALFORMED, bytes);
	gk_count(group_id, GK_DP_V_STAMPED, bytes);
	return TC_ACT_OK;
}

SEC("tc")
int gk_tc_egress(struct __sk_buff *skb)
{
	__u64 bytes = skb->len;
	struct gk_pkt p = {};
	int v;

	v = gk_tc_parse(skb, &p);
	if (v == GK_NOT_OURS || !(p.grp.flags & GK_DP_GROUP_SEND))
		return TC_ACT_OK;
	return gk_tc_send(skb, &p, v, bytes);
}

/* The source of a parsed datagram may send to its group through us (gk_allow). */
static __always_inline int gk_allowed(struct __sk_buff *skb, const struct gk_pkt *p)
{
	struct gk_dp_allow_key k = { .prefixlen = GK_DP_ALLOW_GROUP_BITS + 128,
				     .group_id = p->grp.group_id };
	__u32 *flags;
	int err;

	if (p->ipv6) {
		err = bpf_skb_load_bytes(skb, p->l3off + offsetof(struct ipv6hdr, saddr), k.addr,
					 sizeof(k.addr));
	} else {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		err = bpf_skb_load_bytes(skb, p->l3off + offsetof(struct iphdr, saddr), &k.addr[12],
					 4);
	}
	if (err)
		return 0;
	flags = bpf_map_lookup_elem(&gk_allow, &k);
	return flags && (*flags & GK_DP_ALLOW_SEND);
}

/*
 * Gateway, on a LAN interface's ingress: what legacy hosts send to a group
 * the gateway sends to is stamped as the gateway's own, when gk_allow lets
 * the source send, and dropped otherwise. The kernel then forwards it
 * (bridged or routed) out of a WAN interface, where nothing more happens.
 */
SEC("tc")
int gk_tc_lan_ingress(struct __sk_buff *skb)
{
	__u64 bytes = skb->len;
	struct gk_pkt p = {};
	int v;

	v = gk_tc_parse(skb, &p);
	if (v == GK_NOT_OURS || !(p.grp.flags & GK_DP_GROUP_SEND))
		return TC_ACT_OK;
	if (!gk_allowed(skb, &p))
		return gk_shot(p.grp.group_id, GK_DP_V_NOT_ALLOWED, bytes);
	return gk_tc_send(skb, &p, v, bytes);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
