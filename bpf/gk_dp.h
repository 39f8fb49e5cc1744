/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* BPF side of the data plane shared by gk_xdp and gk_tc: pinned maps, header parsing, SipHash. */
#ifndef GK_DP_BPF_H
#define GK_DP_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "groupkey/dataplane.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the tag loop loads SipHash words as native little-endian 64-bit values"
#endif

/*
 * Every map is pinned by name: the loader opens both objects with
 * pin_root_path GK_DP_PIN_DIR, so XDP, TC, the daemon and `groupkey stats`
 * share one instance and a restarted daemon finds the live state.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, (GK_DP_MAX_GROUPS * 2)); /* group entries and address entries */
	__type(key, struct gk_dp_group_key);
	__type(value, struct gk_dp_group);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gk_groups SEC(".maps");

/* Slots indexed by gk_dp_key_slot(): no hashing on the per-packet path. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GK_DP_MAX_KEYS);
	__type(key, __u32);
	__type(value, struct gk_dp_key);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gk_keys SEC(".maps");

/* LRU: a full table evicts the least recently used window instead of failing closed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GK_DP_MAX_SENDERS);
	__type(key, struct gk_dp_replay_id);
	__type(value, struct gk_dp_replay);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gk_replay SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GK_DP_MAX_GROUPS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct gk_dp_send);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gk_send SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct gk_dp_ctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gk_ctl SEC(".maps");

/*
 * Per-CPU cache of gk_groups lookups, a few direct-mapped entries per
 * program (unpinned): hashing the 20-byte key costs more than the rest of
 * an unknown-key drop. An entry holds the answer, found or not, under the
 * groups_gen it was read with. seq is odd while an entry is written and
 * only ever grows: a program that could preempt another on this CPU (RT
 * kernels) either sees seq change under its copy and looks the map up
 * itself, or fails the compare-and-swap that claims the entry.
 */
#define GK_GCACHE_SLOTS 8

struct gk_gcache {
	__u32 seq;
	__u32 found;
	__u64 gen;
	__u64 key[3]; /* struct gk_dp_group_key and 4 zero bytes, compared as three words */
	struct gk_dp_group val;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GK_GCACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct gk_gcache);
} gk_gcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, (GK_DP_MAX_GROUPS * GK_DP_V_MAX));
	__type(key, __u32);
	__type(value, struct gk_dp_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gk_stats SEC(".maps");

/* This CPU's CLOCK_TAI reading and the jiffy it was taken in (each program its own, unpinned). */
struct gk_clock {
	__u64 jiffies;
	__u64 tai_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gk_clock);
} gk_clock SEC(".maps");

/*
 * Largest protected payload, frozen into .rodata at load: a loader may
 * lower it (never above GK_DP_MAX_PAYLOAD, the loop's bound) to verify
 * faster; the verifier only walks the tag loop this many bytes deep.
 */
const volatile __u32 gk_max_payload = GK_DP_MAX_PAYLOAD;

/* Parse result for traffic that is not a protected group's: pass it untouched. */
#define GK_NOT_OURS (-1)

/* iphdr.frag_off bits; the kernel's IP_MF and IP_OFFSET are not uapi. */
#define GK_IP_MF 0x2000
#define GK_IP_OFFSET 0x1fff
/* frag_hdr.frag_off offset bits (IPv6), likewise. */
#define GK_IP6_OFFSET 0xfff8

/* Deepest UDP header: Ethernet, one VLAN tag, IPv4 with 40 bytes of options. */
#define GK_L4_MAX (ETH_HLEN + 4 + 60)
/* Headers TC wants in the linear area before parsing. */
#define GK_HDR_PULL (GK_L4_MAX + 8 + 8)

/*
 * ptr += k as one instruction with an immediate. Without CAP_PERFMON the
 * verifier refuses to move a packet pointer by a register (it cannot mask
 * the access against speculation), even by one holding a known constant;
 * and clang, seeing a branch pick one of two constants, would add their phi
 * in a register. So every packet address is a constant offset from data, or
 * from a pointer that got there by constants; variable positions are reached
 * with helpers (bpf_xdp_adjust_head, bpf_skb_load_bytes, ...).
 */
#define gk_ptr_add(ptr, k) asm volatile("%[p] += %[n]" : [p] "+r"(ptr) : [n] "i"(k))

struct gk_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct gk_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/*
 * One parsed frame; gk is the map key and the first 20 bytes of the tag
 * input. Offsets are numbers, not pointers: a packet pointer cannot move by
 * them (gk_ptr_add), so the programs hand them to helpers.
 */
struct gk_pkt {
	union {
		struct gk_dp_group_key gk;
		__u64 gkw[3]; /* gk and 4 zero bytes, as words: the cache compares these */
	};
	struct gk_dp_group grp; /* a copy of gk's gk_groups value, when found */
	__u32 l3off;		/* IP header: ETH_HLEN, or ETH_HLEN + 4 behind a VLAN tag */
	__u32 l4off;		/* UDP header */
	/*
	 * UDP length, header included, consistent with the IP header. Whether
	 * the frame holds all of it is the caller's check: l4off + ulen
	 * against the frame length, which only the caller has as a number.
	 */
	__u32 ulen;
	__u32 ipv6;
};

/* Input and output of the tag loop, kept in one stack struct for the global subprogram. */
struct gk_tag_args {
	__u64 k0, k1;
	__u64 pre[GK_DP_TAG_PREFIX_LEN / 8]; /* the tag input before the payload */
	__u32 l4off;			     /* UDP header offset from the frame start (TC) */
	__u32 plen;			     /* payload length */
	__u64 tag;			     /* out: SipHash-2-4 value; its LE bytes are the tag */
};

/*
 * A trailer on the stack, 4 bytes into an 8-byte aligned slot: the stack
 * only takes aligned accesses, and so placed the trailer's 8-byte fields
 * (seq, tag) and the tag prefix's words (gk_tag_prefix) fall on 8-byte
 * boundaries.
 */
struct gk_tr_buf {
	__u32 pad;
	struct gk_dp_trailer t;
} __attribute__((aligned(8)));

static __always_inline void gk_count(__u32 group_id, __u32 verdict, __u64 bytes)
{
	struct gk_dp_counter *c;
	__u32 idx;

	if (group_id >= GK_DP_MAX_GROUPS || verdict >= GK_DP_V_MAX)
		return;
	idx = group_id * GK_DP_V_MAX + verdict;
	c = bpf_map_lookup_elem(&gk_stats, &idx);
	if (c) {
		/* Per-CPU slot: no other CPU writes it. */
		c->packets += 1;
		c->bytes += bytes;
	}
}

/*
 * CLOCK_TAI for the deadline checks, read at most once per jiffy on each
 * CPU: the clock read costs ~30 ns on a paravirtual clocksource, jiffies is
 * one load. A deadline is therefore seen at most one jiffy (1/HZ s) late.
 * The time goes in before the jiffy: a program interrupted between the two
 * stores leaves a newer time under an older jiffy, which the next reader
 * replaces, never an older time under the current jiffy.
 */
static __always_inline __u64 gk_now_tai(void)
{
	struct gk_clock *c;
	__u32 zero = 0;
	__u64 j;

	c = bpf_map_lookup_elem(&gk_clock, &zero);
	if (!c)
		return bpf_ktime_get_tai_ns();
	j = bpf_jiffies64();
	if (c->jiffies != j || !c->tai_ns) {
		c->tai_ns = bpf_ktime_get_tai_ns();
		asm volatile("" ::: "memory");
		c->jiffies = j;
	}
	return c->tai_ns;
}

/* Key version key_id of group_id, or NULL: its slot must be live and hold that version. */
static __always_inline struct gk_dp_key *gk_key_lookup(__u32 group_id, __u32 key_id)
{
	__u32 slot = gk_dp_key_slot(group_id, key_id);
	struct gk_dp_key *k = bpf_map_lookup_elem(&gk_keys, &slot);

	if (!k || k->key_id != key_id || !(k->flags & GK_DP_KEY_LIVE))
		return NULL;
	return k;
}

/* Write an entry we found unchanged at seq (even): claim it first, or leave it. */
static __always_inline void gk_gcache_fill(struct gk_gcache *c, __u32 seq, __u64 gen,
					   const struct gk_pkt *p, int found)
{
	if (__sync_val_compare_and_swap(&c->seq, seq, seq + 1) != seq)
		return;
	c->gen = gen;
	c->key[0] = p->gkw[0];
	c->key[1] = p->gkw[1];
	c->key[2] = p->gkw[2];
	c->found = found;
	c->val = p->grp;
	asm volatile("" ::: "memory");
	__sync_fetch_and_add(&c->seq, 1);
}

/* gk_groups[p->gk] into p->grp: 1 when found. */
static __always_inline int gk_group_find(struct gk_pkt *p)
{
	__u32 zero = 0, idx, seq = 1;
	struct gk_dp_group *v;
	struct gk_dp_ctl *ctl;
	struct gk_gcache *c;
	__u64 gen = 0;
	int found;

	ctl = bpf_map_lookup_elem(&gk_ctl, &zero);
	idx = (*(__u32 *)&p->gk.addr[12] ^ p->gk.port) % GK_GCACHE_SLOTS;
	c = bpf_map_lookup_elem(&gk_gcache, &idx);
	if (ctl && c) {
		gen = *(volatile __u64 *)&ctl->groups_gen;
		seq = *(volatile __u32 *)&c->seq;
		if (!(seq & 1) && c->gen == gen && c->key[0] == p->gkw[0] &&
		    c->key[1] == p->gkw[1] && c->key[2] == p->gkw[2]) {
			found = c->found;
			p->grp = c->val;
			asm volatile("" ::: "memory");
			if (*(volatile __u32 *)&c->seq == seq)
				return found;
		}
	}
	v = bpf_map_lookup_elem(&gk_groups, &p->gk);
	found = v != NULL;
	if (v)
		p->grp = *v;
	if (ctl && c && !(seq & 1))
		gk_gcache_fill(c, seq, gen, p, found);
	return found;
}

/* The address entry (addr, port 0): a protected address for traffic without a visible port. */
static __always_inline int gk_addr_verdict(struct gk_pkt *p, int verdict)
{
	p->gk.port = 0;
	return gk_group_find(p) ? verdict : GK_NOT_OURS;
}

static __always_inline int gk_port_lookup(struct gk_pkt *p, __be16 port)
{
	p->gk.port = port;
	return gk_group_find(p);
}

/*
 * The UDP header behind an IPv4 header of ihl bytes, copied when the frame
 * holds it. One case per header length, each reached by an immediate add;
 * the one without options tested first.
 */
static __always_inline int gk_udp4(const void *ip, __u32 ihl, const void *data_end,
				   struct udphdr *u)
{
	const void *q = ip;

	switch (__builtin_expect(ihl, sizeof(struct iphdr))) {
#define GK_IHL_CASE(n)              \
	case (n):                   \
		gk_ptr_add(q, (n)); \
		break;
		GK_IHL_CASE(20)
		GK_IHL_CASE(24)
		GK_IHL_CASE(28)
		GK_IHL_CASE(32)
		GK_IHL_CASE(36)
		GK_IHL_CASE(40)
		GK_IHL_CASE(44)
		GK_IHL_CASE(48)
		GK_IHL_CASE(52)
		GK_IHL_CASE(56)
		GK_IHL_CASE(60)
#undef GK_IHL_CASE
	default:
		return -1;
	}
	if (q + sizeof(*u) > data_end)
		return -1;
	*u = *(const struct udphdr *)q;
	return 0;
}

static __always_inline int gk_parse4(void *ip_start, void *data_end, struct gk_pkt *p)
{
	struct iphdr *ip = ip_start;
	struct udphdr udp;
	__u32 ihl, tot;
	int have_udp;

	if ((void *)(ip + 1) > data_end)
		return GK_NOT_OURS;
	if (ip->version != 4 || ip->protocol != IPPROTO_UDP)
		return GK_NOT_OURS;
	p->gk.addr[10] = 0xff;
	p->gk.addr[11] = 0xff;
	__builtin_memcpy(&p->gk.addr[12], &ip->daddr, 4);
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	have_udp = !gk_udp4(ip, ihl, data_end, &udp);
	if (ip->frag_off & bpf_htons(GK_IP_MF | GK_IP_OFFSET)) {
		/* Only the first fragment names the port; later ones need the address entry. */
		if (!(ip->frag_off & bpf_htons(GK_IP_OFFSET)) && have_udp &&
		    gk_port_lookup(p, udp.dest))
			return GK_DP_V_FRAGMENT;
		return gk_addr_verdict(p, GK_DP_V_FRAGMENT);
	}
	if (!have_udp)
		return gk_addr_verdict(p, GK_DP_V_MALFORMED);
	if (!gk_port_lookup(p, udp.dest))
		return GK_NOT_OURS;
	/* Ethernet padding may follow the datagram; a short UDP length may not. */
	if (!udp.dest || tot < ihl + sizeof(udp) || bpf_ntohs(udp.len) != tot - ihl)
		return GK_DP_V_MALFORMED;
	p->l4off = p->l3off + ihl;
	p->ulen = tot - ihl;
	p->ipv6 = 0;
	return GK_DP_V_PASS;
}

static __always_inline int gk_parse6(void *ip_start, void *data_end, struct gk_pkt *p)
{
	struct ipv6hdr *ip6 = ip_start;
	struct gk_frag_hdr *fh;
	struct udphdr *udp;
	__u32 plen;

	if ((void *)(ip6 + 1) > data_end)
		return GK_NOT_OURS;
	if (ip6->version != 6)
		return GK_NOT_OURS;
	__builtin_memcpy(p->gk.addr, &ip6->daddr, sizeof(p->gk.addr));
	switch (ip6->nexthdr) {
	case IPPROTO_UDP:
		break;
	case IPPROTO_FRAGMENT:
		fh = (void *)(ip6 + 1);
		udp = (void *)(fh + 1);
		if ((void *)(udp + 1) <= data_end && fh->nexthdr == IPPROTO_UDP &&
		    !(fh->frag_off & bpf_htons(GK_IP6_OFFSET)) && gk_port_lookup(p, udp->dest))
			return GK_DP_V_FRAGMENT;
		return gk_addr_verdict(p, GK_DP_V_FRAGMENT);
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
		/* The stack would deliver a UDP datagram behind them; we do not chase them. */
		return gk_addr_verdict(p, GK_DP_V_MALFORMED);
	default:
		return GK_NOT_OURS;
	}
	udp = (void *)(ip6 + 1);
	if ((void *)(udp + 1) > data_end)
		return gk_addr_verdict(p, GK_DP_V_MALFORMED);
	if (!gk_port_lookup(p, udp->dest))
		return GK_NOT_OURS;
	plen = bpf_ntohs(ip6->payload_len);
	/* payload_len 0 is a jumbogram (RFC 2675): never a protected datagram. */
	if (!udp->dest || plen < sizeof(*udp) || bpf_ntohs(udp->len) != plen)
		return GK_DP_V_MALFORMED;
	p->l4off = p->l3off + sizeof(*ip6);
	p->ulen = plen;
	p->ipv6 = 1;
	return GK_DP_V_PASS;
}

/*
 * Ethernet, at most one 802.1Q/802.1ad tag, IPv4 or IPv6, UDP. Returns
 * GK_NOT_OURS (p->grp unset), or p->grp and GK_DP_V_PASS for a UDP
 * datagram to a protected group whose headers agree (the caller checks
 * that the frame holds all of it), or the verdict that drops the frame.
 * No packet pointer outlives it: the verifier would have to walk the rest
 * of a program once per header layout.
 */
static __always_inline int gk_parse(void *data, void *data_end, struct gk_pkt *p)
{
	struct ethhdr *eth = data;
	struct gk_vlan_hdr *vh;
	void *l3 = data;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return GK_NOT_OURS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		vh = (void *)(eth + 1);
		if ((void *)(vh + 1) > data_end)
			return GK_NOT_OURS;
		proto = vh->proto;
		gk_ptr_add(l3, ETH_HLEN + sizeof(*vh));
		p->l3off = ETH_HLEN + sizeof(*vh);
	} else {
		gk_ptr_add(l3, ETH_HLEN);
		p->l3off = ETH_HLEN;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return gk_parse4(l3, data_end, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return gk_parse6(l3, data_end, p);
	return GK_NOT_OURS;
}

/*
 * The tag input's first five words: group key (20 bytes) and the trailer's
 * first 20 bytes, tr being a struct gk_tr_buf's (its words are aligned).
 */
static __always_inline void gk_tag_prefix(struct gk_tag_args *a, const struct gk_pkt *p,
					  const struct gk_dp_trailer *tr)
{
	__u32 port_pad;

	__builtin_memcpy(&a->pre[0], p->gk.addr, 16);
	__builtin_memcpy(&port_pad, &p->gk.port, 4);
	a->pre[2] = port_pad | (__u64)(*(const __u32 *)tr) << 32;
	a->pre[3] = *(const __u64 *)((const void *)tr + 4);
	a->pre[4] = *(const __u64 *)((const void *)tr + 12);
}

#define GK_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define GK_SIPROUND                   \
	do {                          \
		v0 += v1;             \
		v1 = GK_ROTL(v1, 13); \
		v1 ^= v0;             \
		v0 = GK_ROTL(v0, 32); \
		v2 += v3;             \
		v3 = GK_ROTL(v3, 16); \
		v3 ^= v2;             \
		v0 += v3;             \
		v3 = GK_ROTL(v3, 21); \
		v3 ^= v0;             \
		v2 += v1;             \
		v1 = GK_ROTL(v1, 17); \
		v1 ^= v2;             \
		v2 = GK_ROTL(v2, 32); \
	} while (0)
#define GK_SIPWORD(m)        \
	do {                 \
		v3 ^= (m);   \
		GK_SIPROUND; \
		GK_SIPROUND; \
		v0 ^= (m);   \
	} while (0)

/*
 * SipHash-2-4 over a->pre and a->plen payload bytes starting at p. Packet
 * memory up to end when pkt (a constant: every read is bounds-checked), else
 * a map buffer, which must hold GK_DP_MAX_PAYLOAD + 32 readable bytes from
 * p (end unused: without CAP_PERFMON the verifier takes no pointer test but
 * packet ones, and a buffer that large needs none). Callers run it from a
 * global subprogram so the verifier walks the loop once, not once per parse
 * path.
 *
 * p only ever moves by immediates (gk_ptr_add), so the verifier walks the
 * loop round by round, and each of its exits on to the reads after it: the
 * 0..3 whole words left and the last partial word, always four words read
 * (a packet has the trailer behind the payload, so at least 28 bytes) and
 * chosen by rem. Past those reads no pointer is live, and the exits are
 * pruned against each other (nwords, whose bounds differ at each exit, is
 * dead there; rem and the length byte were computed before the loop).
 */
static __always_inline int gk_siphash_at(const void *p, const void *end, const int pkt,
					 struct gk_tag_args *a)
{
	__u64 v0, v1, v2, v3, m, tail, lenb, r0, r1, r2, r3;
	__u32 plen = a->plen, nquads, rem, tbits, i;

	if (plen > gk_max_payload || plen > GK_DP_MAX_PAYLOAD)
		return -1;
	nquads = plen / 32;
	rem = (plen / 8) & 3;
	tbits = (plen & 7) * 8;
	lenb = (__u64)(GK_DP_TAG_PREFIX_LEN + plen) << 56;
	v0 = a->k0 ^ 0x736f6d6570736575ULL;
	v1 = a->k1 ^ 0x646f72616e646f6dULL;
	v2 = a->k0 ^ 0x6c7967656e657261ULL;
	v3 = a->k1 ^ 0x7465646279746573ULL;
	GK_SIPWORD(a->pre[0]);
	GK_SIPWORD(a->pre[1]);
	GK_SIPWORD(a->pre[2]);
	GK_SIPWORD(a->pre[3]);
	GK_SIPWORD(a->pre[4]);

	for (i = 0; i < GK_DP_MAX_PAYLOAD / 32; i++) {
		if (i >= nquads)
			break;
		if (pkt && p + 32 > end)
			return -1;
		m = *(const __u64 *)p;
		GK_SIPWORD(m);
		m = *(const __u64 *)(p + 8);
		GK_SIPWORD(m);
		m = *(const __u64 *)(p + 16);
		GK_SIPWORD(m);
		m = *(const __u64 *)(p + 24);
		GK_SIPWORD(m);
		gk_ptr_add(p, 32);
	}
	if (pkt && p + 24 > end)
		return -1;
	r0 = *(const __u64 *)p;
	r1 = *(const __u64 *)(p + 8);
	r2 = *(const __u64 *)(p + 16);
	r3 = 0;
	/* A fourth word is only needed when three whole ones precede the tail: then it is there. */
	if (!pkt || p + 32 <= end)
		r3 = *(const __u64 *)(p + 24);
	tail = rem == 0 ? r0 : rem == 1 ? r1 : rem == 2 ? r2 : r3;
	if (rem)
		GK_SIPWORD(r0);
	if (rem >= 2)
		GK_SIPWORD(r1);
	if (rem == 3)
		GK_SIPWORD(r2);
	tail = (tail & ((1ULL << tbits) - 1)) | lenb;
	GK_SIPWORD(tail);
	v2 ^= 0xff;
	GK_SIPROUND;
	GK_SIPROUND;
	GK_SIPROUND;
	GK_SIPROUND;
	a->tag = v0 ^ v1 ^ v2 ^ v3;
	return 0;
}

/* Ones-complement sum folded to 16 bits, in memory byte order. */
static __always_inline __u32 gk_csum_fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u32)((s & 0xffff) + (s >> 16));
}

#endif
