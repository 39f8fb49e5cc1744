/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * The data plane's wire format and map layouts, shared by the BPF programs
 * and userspace (daemon, CLI, tests). docs/wire-format.md explains them;
 * this header is the one definition.
 */
#ifndef GROUPKEY_DATAPLANE_H
#define GROUPKEY_DATAPLANE_H

#include <linux/bpf.h>
#include <linux/types.h>

/*
 * Security trailer, appended to the UDP payload of a protected group
 * datagram (a trailer, not a header: see docs/wire-format.md for why).
 * All multi-byte fields big-endian.
 */
#define GK_DP_VERSION 1
#define GK_DP_TRAILER_LEN 28
#define GK_DP_TAG_LEN 8

struct gk_dp_trailer {
	__u8 version;		 /* GK_DP_VERSION */
	__u8 flags;		 /* 0; reserved */
	__be16 reserved;	 /* 0 */
	__be32 key_id;		 /* the group's keying material version, RFC 9594 'num' */
	__be32 sender_id;	 /* the member's sender id from the KDC */
	__be64 seq;		 /* strictly increasing per (group, sender, key id) */
	__u8 tag[GK_DP_TAG_LEN]; /* SipHash-2-4 over the tag input */
} __attribute__((packed));

/*
 * Tag input, in order: the group address as 16 bytes (IPv4 as
 * ::ffff:a.b.c.d), the UDP destination port (2 bytes, network order), two
 * zero bytes, the trailer's first 20 bytes (version .. seq), then the UDP
 * payload without the trailer. The fixed prefix is 40 bytes: five whole
 * SipHash words before the payload starts.
 */
#define GK_DP_TAG_PREFIX_LEN 40

/*
 * Largest protected payload (without trailer) the BPF tag loop verifies;
 * larger is dropped (GK_DP_V_TOO_BIG). The programs' .rodata gk_max_payload
 * defaults to this and a loader may lower it before load (never raise it):
 * verification cost grows with it, and native XDP without multi-buffer
 * support never sees frames above one page anyway.
 */
#define GK_DP_MAX_PAYLOAD 8192

/* HKDF-SHA256 info for the per-key-version SipHash key: "groupkeyd-dp-v1" || group || key_id. */
#define GK_DP_HKDF_LABEL "groupkeyd-dp-v1"

/* Pin directory of every map the daemon and the CLI share. */
#define GK_DP_PIN_DIR "/sys/fs/bpf/groupkeyd"

#define GK_DP_MAX_GROUPS 256
#define GK_DP_KEY_SLOTS 4 /* key versions a group can hold at once; a power of two */
#define GK_DP_MAX_KEYS (GK_DP_MAX_GROUPS * GK_DP_KEY_SLOTS)
/* Replay windows (group, sender, key version) gk_replay holds before it evicts the LRU one. */
#define GK_DP_MAX_SENDERS 65536

/*
 * gk_groups: which (address, port) is a protected group. The key is also
 * the first 20 bytes of the tag input (pad 0).
 *
 * Address entries: for every protected group the loader also inserts the
 * key (addr, port 0) with that group's value (any one of them when several
 * groups share an address). The programs use it only for packets they
 * cannot attribute to a port: IPv4 fragments that do not carry the UDP
 * header, IPv6 fragments and IPv6 packets whose next header is an extension
 * header, and truncated frames. Without it those are passed (see
 * docs/wire-format.md); port 0 is never a real destination.
 */
struct gk_dp_group_key {
	__u8 addr[16]; /* IPv6, or IPv4-mapped ::ffff:a.b.c.d */
	__be16 port;
	__u16 pad; /* 0 */
};

#define GK_DP_GROUP_STRIP 0x1u /* XDP strips the trailer from valid traffic */
#define GK_DP_GROUP_SEND 0x2u  /* TC stamps outgoing traffic to this group */

struct gk_dp_group {
	__u32 group_id;	   /* dense index < GK_DP_MAX_GROUPS: counters, keys */
	__u32 flags;	   /* GK_DP_GROUP_* */
	__u32 send_key_id; /* key version TC stamps with (GK_DP_GROUP_SEND) */
	__u32 sender_id;   /* this host's sender id; with SEND, XDP drops it as REPLAY */
};

/*
 * gk_ctl: one entry, created BPF_F_MMAPABLE. The programs keep a small
 * per-CPU cache of gk_groups lookups (hits and misses), valid while
 * groups_gen stays what it was when the entry was filled: every writer of
 * gk_groups increments groups_gen after its change (atomically, through
 * mmap(); gk_dp_group_set() and friends do), or CPUs may go on using the
 * old entry. A loader increments it when it opens the maps, which flushes
 * whatever a writer that died between its change and its increment left.
 */
struct gk_dp_ctl {
	__u64 groups_gen;
};

/*
 * gk_allow (gateway): which legacy hosts behind a LAN interface may send
 * to a group. An LPM trie: the key is the group, matched whole (so its byte
 * order does not matter), then the source address; the longest prefix
 * that matches decides, and it allows when its value has GK_DP_ALLOW_SEND
 * (an entry without it carves a host or subnet out of a wider one). LAN
 * ingress stamps a datagram to a protected group only from an allowed
 * source, and drops it as GK_DP_V_NOT_ALLOWED otherwise.
 */
#define GK_DP_MAX_ALLOW 4096
#define GK_DP_ALLOW_GROUP_BITS 32 /* prefixlen counts the group first */
#define GK_DP_ALLOW_SEND 0x1u

struct gk_dp_allow_key {
	__u32 prefixlen; /* GK_DP_ALLOW_GROUP_BITS + bits of addr (IPv4 /n: 96 + n) */
	__u32 group_id;
	__u8 addr[16]; /* IPv6, or IPv4-mapped ::ffff:a.b.c.d */
};

/* A (group, key version) pair: how the daemon and the CLI name a key. */
struct gk_dp_key_id {
	__u32 group_id;
	__u32 key_id;
};

/*
 * gk_keys: an array of GK_DP_KEY_SLOTS slots per group. Key version k of
 * group g lives in slot gk_dp_key_slot(g, k) and only there, with k in the
 * value: one array lookup and one comparison per packet, no hashing. A slot
 * is valid when GK_DP_KEY_LIVE is set and key_id matches the trailer's.
 *
 * Array values are written in place, so writers keep readers from ever
 * acting on a half-written slot:
 * - add, into a slot that is not live: first the whole value with flags 0
 *   (readers still see no key), then the same value with GK_DP_KEY_LIVE,
 *   which changes nothing but the flag;
 * - delete: first the value with flags 0, then key bytes overwritten with
 *   random ones (a reader that saw the slot live just before computes with
 *   a key nobody knows; zero bytes would be a key everybody knows);
 * - a live slot is never rewritten: rotation puts the next version into
 *   its own free slot before the switch, deletes the old one after it.
 * Versions k and k + GK_DP_KEY_SLOTS share a slot: one must go before the
 * other comes (gk_dp_key_add() says -EBUSY).
 */
#define GK_DP_KEY_LIVE 0x1u

static inline __attribute__((always_inline)) __u32 gk_dp_key_slot(__u32 group_id, __u32 key_id)
{
	return group_id * GK_DP_KEY_SLOTS + (key_id & (GK_DP_KEY_SLOTS - 1));
}

struct gk_dp_key {
	__u64 k0, k1;		 /* SipHash key, little-endian words of the 16 HKDF bytes */
	__u64 recv_not_after_ns; /* CLOCK_TAI: exp + receive grace */
	__u64 send_not_after_ns; /* CLOCK_TAI: exp */
	__u32 key_id;		 /* the version in this slot (gk_keys) */
	__u32 flags;		 /* GK_DP_KEY_LIVE (gk_keys) */
};

/* gk_replay key: one window per (group, sender, key version). */
struct gk_dp_replay_id {
	__u32 group_id;
	__u32 sender_id;
	__u32 key_id;
	__u32 pad; /* 0 */
};

#define GK_DP_REPLAY_WINDOW 64

/*
 * gk_replay value (an LRU hash: see docs/wire-format.md for what eviction
 * costs): the sliding window without a lock, so that the XDP program can
 * update it with compare-and-swap from any CPU. Sequence numbers fall in
 * blocks of GK_DP_REPLAY_BLOCK; block b is tracked by ring[b % RING] as one
 * 64-bit word: (b - base) << GK_DP_REPLAY_BLOCK | bitmap of the block's
 * numbers seen. A word only ever moves to a later block, and within a block
 * only gains bits, so no number is accepted twice. The ring spans 128
 * numbers, more than the window: a number within GK_DP_REPLAY_WINDOW of top
 * always finds its own block in its word (or an older one, never seen).
 */
#define GK_DP_REPLAY_BLOCK 16
#define GK_DP_REPLAY_RING 8
#define GK_DP_REPLAY_REL_MAX (1ULL << (64 - GK_DP_REPLAY_BLOCK))

struct gk_dp_replay {
	__u64 base; /* block the ring's relative block numbers count from (set once) */
	__u64 top;  /* highest sequence number accepted (raised with compare-and-swap) */
	__u64 ring[GK_DP_REPLAY_RING];
};

/*
 * gk_send: this host's sequence state per group (TC), an array indexed by
 * group_id and created BPF_F_MMAPABLE. TC takes seq with an atomic add, so
 * a whole-element map update from userspace can lose increments made in
 * between: initialise an entry before setting GK_DP_GROUP_SEND, and later
 * only raise limit, with one aligned 8-byte store through mmap() of the
 * map. Never lower seq, not even on a key change: one counter across key
 * ids keeps every (sender, key id) strictly increasing.
 */
struct gk_dp_send {
	__u64 seq;   /* next sequence number (atomic add) */
	__u64 limit; /* exclusive: the daemon persisted a high-water mark up to here */
};

/* gk_stats: per-CPU counters, index group_id * GK_DP_V_MAX + verdict. */
enum gk_dp_verdict {
	GK_DP_V_PASS = 0,      /* XDP: valid, delivered */
	GK_DP_V_STAMPED,       /* TC: trailer added */
	GK_DP_V_MALFORMED,     /* too short, bad lengths, bad version; TC: cannot be stamped */
	GK_DP_V_UNKNOWN_KEY,   /* no key for (group, key id) */
	GK_DP_V_EXPIRED,       /* key past its not-after */
	GK_DP_V_BAD_TAG,       /* tag does not verify */
	GK_DP_V_REPLAY,	       /* sequence number seen or too old */
	GK_DP_V_TOO_BIG,       /* payload over gk_max_payload; TC: stamped frame over the MTU */
	GK_DP_V_FRAGMENT,      /* IP fragment of a protected group */
	GK_DP_V_NO_SEND_KEY,   /* TC: no current key to stamp with (fail closed) */
	GK_DP_V_SEQ_EXHAUSTED, /* TC: sequence block used up, daemon has not extended it */
	GK_DP_V_NOT_ALLOWED,   /* gateway: legacy host not allowed to send to the group */
	GK_DP_V_MAX,
};

/* Bytes: the frame as the program received it (TC: before the trailer). */
struct gk_dp_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * The replay window rule, for a receiver that owns its window (userspace:
 * gk_dp_verify()): 0 accepts seq and records it, -1 rejects it as seen or
 * older than the window. A fresh window is all zero. The XDP program keeps
 * the same rule in struct gk_dp_replay, shared by CPUs: below.
 */
static inline __attribute__((always_inline)) int gk_dp_replay_update(__u64 *top, __u64 *window,
								     __u64 seq)
{
	__u64 diff;

	if (seq > *top) {
		diff = seq - *top;
		*window = diff >= GK_DP_REPLAY_WINDOW ? 1 : (*window << diff) | 1;
		*top = seq;
		return 0;
	}
	diff = *top - seq;
	if (diff >= GK_DP_REPLAY_WINDOW || (*window >> diff) & 1)
		return -1;
	*window |= 1ULL << diff;
	return 0;
}

/* Compare-and-swap attempts on one word before a packet is dropped (contention: never seen). */
#define GK_DP_REPLAY_TRIES 4

/*
 * The window a sender's first accepted number creates, in r. Every word is
 * written at a constant index: r may be on a BPF stack, which takes no
 * variable offset without CAP_PERFMON.
 */
static inline __attribute__((always_inline)) void gk_dp_replay_init(struct gk_dp_replay *r,
								    __u64 seq)
{
	__u64 low = seq >= GK_DP_REPLAY_WINDOW - 1 ? seq - (GK_DP_REPLAY_WINDOW - 1) : 0;
	__u64 blk = seq / GK_DP_REPLAY_BLOCK, word;
	int i;

	/* The oldest block the window can ever accept from: relative numbers stay >= 0. */
	r->base = low / GK_DP_REPLAY_BLOCK;
	r->top = seq;
	word = (blk - r->base) << GK_DP_REPLAY_BLOCK | 1ULL << (seq % GK_DP_REPLAY_BLOCK);
	for (i = 0; i < GK_DP_REPLAY_RING; i++)
		r->ring[i] = (__u64)i == blk % GK_DP_REPLAY_RING ? word : 0;
}

/*
 * &r->ring[blk % GK_DP_REPLAY_RING]. In BPF, by one immediate add per ring
 * slot: without CAP_PERFMON the verifier takes a variable offset into a map
 * value only when every path to the instruction agrees on its bounds, which
 * the paths through gk_dp_replay_init() do not.
 */
static inline __attribute__((always_inline)) __u64 *gk_dp_replay_word(struct gk_dp_replay *r,
								      __u64 blk)
{
#ifdef __bpf__
	__u64 *w = r->ring;

	switch (blk % GK_DP_REPLAY_RING) {
#define GK_DP_RING_CASE(k)                                                           \
	case (k):                                                                    \
		__asm__ __volatile__("%[w] += %[o]" : [w] "+r"(w) : [o] "i"((k)*8)); \
		break;
		GK_DP_RING_CASE(1)
		GK_DP_RING_CASE(2)
		GK_DP_RING_CASE(3)
		GK_DP_RING_CASE(4)
		GK_DP_RING_CASE(5)
		GK_DP_RING_CASE(6)
		GK_DP_RING_CASE(7)
#undef GK_DP_RING_CASE
	}
	return w;
#else
	return &r->ring[blk % GK_DP_REPLAY_RING];
#endif
}

/*
 * gk_dp_replay_update()'s rule on a shared struct gk_dp_replay, without a
 * lock: 0 accepts seq and records it, -1 rejects it (seen, 64 or more
 * below top, or a word other CPUs kept changing: fail closed). Run
 * sequentially, it gives gk_dp_replay_update()'s verdicts exactly. Run
 * concurrently, no number is ever accepted twice; top may lag a moment,
 * which only makes the age check stricter.
 */
static inline __attribute__((always_inline)) int gk_dp_replay_ring_update(struct gk_dp_replay *r,
									  __u64 seq)
{
	const __u64 bits = (1ULL << GK_DP_REPLAY_BLOCK) - 1;
	__u64 top = *(volatile __u64 *)&r->top, blk = seq / GK_DP_REPLAY_BLOCK, base = r->base;
	__u64 rel, bit, old, now, *w;
	int i;

	if (seq < top && top - seq >= GK_DP_REPLAY_WINDOW)
		return -1;
	/* Below base: older than the window ever reached. 2^48 blocks on: saturated. */
	if (blk < base || blk - base >= GK_DP_REPLAY_REL_MAX)
		return -1;
	rel = (blk - base) << GK_DP_REPLAY_BLOCK;
	bit = 1ULL << (seq % GK_DP_REPLAY_BLOCK);
	w = gk_dp_replay_word(r, blk);
	for (i = 0; i < GK_DP_REPLAY_TRIES; i++) {
		old = *(volatile __u64 *)w;
		if ((old & ~bits) > rel)
			return -1; /* the word moved on to a later block: seq is too old */
		if ((old & ~bits) == rel && (old & bit))
			return -1;
		now = (old & ~bits) == rel ? old | bit : rel | bit;
		if (__sync_val_compare_and_swap(w, old, now) == old)
			break;
	}
	if (i == GK_DP_REPLAY_TRIES)
		return -1;
	for (i = 0; i < GK_DP_REPLAY_TRIES; i++) {
		old = *(volatile __u64 *)&r->top;
		if (old >= seq || __sync_val_compare_and_swap(&r->top, old, seq) == old)
			break;
	}
	return 0;
}

#endif
