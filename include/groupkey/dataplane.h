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
	__u8 version;	 /* GK_DP_VERSION */
	__u8 flags;	 /* 0; reserved */
	__be16 reserved; /* 0 */
	__be32 key_id;	 /* the group's keying material version, RFC 9594 'num' */
	__be32 sender_id; /* the member's sender id from the KDC */
	__be64 seq;	 /* strictly increasing per (group, sender, key id) */
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
#define GK_DP_MAX_KEYS (GK_DP_MAX_GROUPS * 4)
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
	__u16 pad;	/* 0 */
};

#define GK_DP_GROUP_STRIP 0x1u /* XDP strips the trailer from valid traffic */
#define GK_DP_GROUP_SEND 0x2u  /* TC stamps outgoing traffic to this group */

struct gk_dp_group {
	__u32 group_id;	      /* dense index < GK_DP_MAX_GROUPS: counters, keys */
	__u32 flags;	      /* GK_DP_GROUP_* */
	__u32 send_key_id;    /* key version TC stamps with (GK_DP_GROUP_SEND) */
	__u32 sender_id;      /* this host's sender id in the group */
};

/* gk_keys: one entry per (group, key version); rotation adds before it deletes. */
struct gk_dp_key_id {
	__u32 group_id;
	__u32 key_id;
};

struct gk_dp_key {
	__u64 k0, k1;		 /* SipHash key, little-endian words of the 16 HKDF bytes */
	__u64 recv_not_after_ns; /* CLOCK_TAI: exp + receive grace */
	__u64 send_not_after_ns; /* CLOCK_TAI: exp */
};

/* gk_replay: per (group, sender, key version) sliding window. */
struct gk_dp_replay_id {
	__u32 group_id;
	__u32 sender_id;
	__u32 key_id;
	__u32 pad; /* 0 */
};

#define GK_DP_REPLAY_WINDOW 64

struct gk_dp_replay {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 top;    /* highest sequence number accepted */
	__u64 window; /* bit i set: top - i was accepted */
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
	GK_DP_V_PASS = 0,	/* XDP: valid, delivered */
	GK_DP_V_STAMPED,	/* TC: trailer added */
	GK_DP_V_MALFORMED,	/* too short, bad lengths, bad version; TC: cannot be stamped */
	GK_DP_V_UNKNOWN_KEY,	/* no key for (group, key id) */
	GK_DP_V_EXPIRED,	/* key past its not-after */
	GK_DP_V_BAD_TAG,	/* tag does not verify */
	GK_DP_V_REPLAY,		/* sequence number seen or too old */
	GK_DP_V_TOO_BIG,	/* payload over gk_max_payload; TC: stamped frame over the MTU */
	GK_DP_V_FRAGMENT,	/* IP fragment of a protected group */
	GK_DP_V_NO_SEND_KEY,	/* TC: no current key to stamp with (fail closed) */
	GK_DP_V_SEQ_EXHAUSTED,	/* TC: sequence block used up, daemon has not extended it */
	GK_DP_V_NOT_ALLOWED,	/* gateway: legacy host not allowed to send to the group */
	GK_DP_V_MAX,
};

/* Bytes: the frame as the program received it (TC: before the trailer). */
struct gk_dp_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * The replay window rule, shared by the XDP program (under the entry's
 * spin lock) and userspace receivers: 0 accepts seq and records it, -1
 * rejects it as seen or older than the window. A fresh window is all zero.
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

#endif
