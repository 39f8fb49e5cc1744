/* SPDX-License-Identifier: BSD-3-Clause */
/* Data-plane loader and key-push API: the XDP/TC programs, their pinned maps, what feeds them. */
#ifndef GROUPKEY_DP_H
#define GROUPKEY_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/dataplane.h"

/*
 * One data plane is the set of maps pinned under a directory of bpffs
 * (GK_DP_PIN_DIR by default) plus the programs that use them. Every state the
 * kernel needs lives in those maps, so the process that loaded them may die at
 * any moment: the programs stay attached (netlink attachments belong to the
 * interface, not to a process or a link fd), the maps stay pinned, and keys
 * stop validating at their own deadline (fail closed). A new gk_dp_open() on
 * the same directory reuses the pinned maps and atomically replaces the
 * programs on the interfaces, so enforcement never stops across a restart.
 *
 * Attachment choices (see docs/wire-format.md for the wire side):
 * - XDP through netlink (bpf_xdp_attach), native mode first, generic mode
 *   with a warning when the driver has none. libxdp multiprog is not used yet:
 *   an interface that already runs a foreign XDP program is refused (-EBUSY).
 *   (Its dispatcher needs freplace programs, which some kernels refuse.)
 * - TC egress through a clsact qdisc and a netlink filter at a fixed handle and
 *   priority (bpf_tc_attach), not tcx links: Debian 12's libbpf 1.1 has no tcx
 *   API, and a tcx link would have to be pinned to outlive the process anyway.
 * - Gateway LAN ports: TC ingress, the same way, at the same handle and
 *   priority on the ingress hook. It stamps what legacy hosts send to groups
 *   this host sends to, from sources gk_allow admits (gk_dp_allow_add); the
 *   kernel then forwards it, bridged or routed. WAN ports take XDP only.
 *
 * The programs load with CAP_BPF and CAP_NET_ADMIN alone: they never move a
 * packet pointer by a variable amount, which the verifier allows only with
 * CAP_PERFMON (docs/wire-format.md, Size limit).
 *
 * Deadlines use CLOCK_TAI (bpf_ktime_get_tai_ns): deadline = (exp + TAI - UTC
 * offset from adjtimex) * 1e9, so the BPF check is one comparison. CLOCK_TAI
 * is CLOCK_REALTIME plus that offset: when the wall clock is stepped, TAI
 * steps with it, so an 'exp' keeps meaning the same wall-clock second (a key
 * expires early if the clock jumps forward, late if it jumps back, exactly as
 * the KDC's own exp check does). A leap second changes the offset, not the
 * deadlines already written: they are at most one second off until the next
 * rekey writes fresh ones. Without a TAI offset set in the kernel (no NTP
 * daemon told it), the offset is 0 and CLOCK_TAI equals CLOCK_REALTIME.
 *
 * Pins live in the caller's mount namespace. `ip netns exec` mounts a fresh
 * /sys, hiding /sys/fs/bpf: drive a data plane in another network namespace
 * with `nsenter --net=/run/netns/NAME` instead, which keeps the mounts.
 */
struct gk_dp;

enum gk_dp_map {
	GK_DP_MAP_GROUPS,
	GK_DP_MAP_KEYS,
	GK_DP_MAP_REPLAY,
	GK_DP_MAP_SEND,
	GK_DP_MAP_STATS,
	GK_DP_MAP_CTL, /* gk_ctl: groups_gen, bumped after every gk_groups change */
	GK_DP_MAP_NR,
};

enum gk_dp_xdp_mode {
	GK_DP_XDP_AUTO = 0, /* native, else generic with a warning */
	GK_DP_XDP_NATIVE,
	GK_DP_XDP_GENERIC,
};

struct gk_dp_opts {
	const char *pin_dir;	/* NULL: GK_DP_PIN_DIR; must be on bpffs */
	bool maps_only;		/* open the pinned maps, load no program: -ENOENT if absent */
	bool exclusive;		/* -EEXIST when maps are already pinned (default: reuse them) */
	const int *xdp_ifindex; /* ingress XDP validation on these interfaces */
	size_t n_xdp;
	const int *tc_ifindex; /* egress TC stamping on these interfaces */
	size_t n_tc;
	const int *lan_ifindex; /* gateway: ingress TC stamping of legacy hosts' traffic */
	size_t n_lan;
	enum gk_dp_xdp_mode xdp_mode;
};

/*
 * Load (or, with maps_only, just open) the data plane and attach it. With
 * pinned maps present they are reused as they are (entries, ids, counters);
 * otherwise they are created and pinned. A mount of bpffs is made at
 * /sys/fs/bpf when the pin dir lies there and nothing is mounted. Every
 * attachment is pinned too (prog_<hook>_<netns>_<ifindex>, dp_attach.c): a
 * program already on a hook is ours when its id is its pin's, and is then
 * replaced in place; that needs no CAP_SYS_ADMIN. Errors:
 * -EBUSY (a foreign program holds the hook), -EINVAL (pinned maps of another
 * layout: an upgrade that changes a map needs `groupkey dataplane unload`),
 * -EPERM (no CAP_BPF/CAP_NET_ADMIN), -ENODEV (bad ifindex), -ENOENT. A
 * failed open detaches what it attached to bare interfaces but leaves the new
 * program where it replaced an earlier copy (removing it would leave the
 * interface unprotected), and leaves the pins.
 */
int gk_dp_open(struct gk_dp **out, const struct gk_dp_opts *opts);
/* Remove our programs from every interface this handle attached them to. */
int gk_dp_detach(struct gk_dp *dp);
/* Remove our programs (ours: this handle's or pinned) from every hook of ifindex. */
int gk_dp_detach_ifindex(struct gk_dp *dp, int ifindex);
/*
 * Free the handle. keep_pins: the maps stay pinned (and attached programs keep
 * using them); otherwise the pins and the pin directory are removed, and the
 * maps live only as long as an attached program still holds them.
 */
void gk_dp_close(struct gk_dp *dp, bool keep_pins);

const char *gk_dp_pin_dir(const struct gk_dp *dp);
/* The map's fd, owned by dp; -EINVAL for an unknown map. */
int gk_dp_map_fd(const struct gk_dp *dp, enum gk_dp_map map);
/* The pinned name of a map ("gk_groups", ...), NULL for an unknown one. */
const char *gk_dp_map_name(enum gk_dp_map map);
/* XDP mode actually used on ifindex by this handle: XDP_FLAGS_DRV_MODE/SKB_MODE, or -ENOENT. */
int gk_dp_xdp_attach_mode(const struct gk_dp *dp, int ifindex);

/* "239.1.2.3" or "ff02::1:3" and a port into a group map key (IPv4 as ::ffff:a.b.c.d). */
int gk_dp_group_addr(const char *addr, uint16_t port, struct gk_dp_group_key *key);
/* The reverse, "239.1.2.3:5000" or "[ff02::1:3]:5000"; -ENOSPC when len is too small. */
int gk_dp_group_addr_str(const struct gk_dp_group_key *key, char *buf, size_t len);

/*
 * Protect (addr, port) as group_id (< GK_DP_MAX_GROUPS) with flags
 * GK_DP_GROUP_*; sender_id is this host's id when it sends (GK_DP_GROUP_SEND).
 * Port 0 is the address entry: it protects the address's IP fragments, which
 * carry no port. Updating an address keeps its send key; a new address of a
 * group starts with the key the group's other addresses stamp with. These
 * calls, and gk_dp_send_key(), increment gk_ctl.groups_gen after the change,
 * so the programs' per-CPU lookup caches drop what they held (dataplane.h).
 */
int gk_dp_group_set(struct gk_dp *dp, const struct gk_dp_group_key *addr, uint32_t group_id,
		    uint32_t flags, uint32_t sender_id);
int gk_dp_group_del(struct gk_dp *dp, const struct gk_dp_group_key *addr);

/*
 * Derive the data-plane key of key_id from the group key (HKDF, dptag.c) and
 * add it with deadlines exp (send) and exp + recv_grace (receive), exp in
 * seconds since the epoch, into its slot of gk_keys (dataplane.h). A key
 * already present is never rewritten: -EEXIST (a half-written entry could be
 * read by a running program). -EBUSY when key_id's slot holds another live
 * version (key_id +- GK_DP_KEY_SLOTS): at most GK_DP_KEY_SLOTS consecutive
 * versions of a group are present at once.
 */
int gk_dp_key_add(struct gk_dp *dp, uint32_t group_id, const char *group_name, uint32_t key_id,
		  const uint8_t *group_key, size_t key_len, int64_t exp, uint32_t recv_grace);
/*
 * -ENOENT when absent, -EBUSY while an address of the group stamps with it,
 * -EINVAL for a group_id out of range. The slot is emptied without a moment
 * where a program could use a half-cleared key, and its key bytes are
 * overwritten. The key's replay windows go too: gk_replay would evict them
 * in time (LRU), but only after they pushed out windows still in use.
 */
int gk_dp_key_del(struct gk_dp *dp, uint32_t group_id, uint32_t key_id);
/*
 * Stamp outgoing traffic of group_id with key_id from now on: -ENOENT unless
 * that key is present (rotation: key_add(next), send_key(next), key_del(old)
 * after its grace; both keys validate meanwhile).
 */
int gk_dp_send_key(struct gk_dp *dp, uint32_t group_id, uint32_t key_id);

/* (exp + offset) * 1e9 with offset = TAI - UTC from adjtimex, saturating; -EINVAL for exp < 0. */
int gk_dp_tai_deadline(int64_t exp, uint64_t *deadline_ns);

/*
 * Sequence numbers: TC takes them from gk_send[group].seq and stamps only
 * below .limit. The daemon reserves blocks: persist(arg, group, mark) must
 * store mark durably before it returns 0; only then is the limit raised to it,
 * so a crash can never reuse a number. After a reboot (fresh maps), start
 * with gk_dp_seq_start(persisted mark). Both raise values atomically and only
 * ever upwards (the map is mmapped: a map update would lose TC's concurrent
 * increments).
 */
typedef int (*gk_dp_persist_fn)(void *arg, uint32_t group_id, uint64_t mark);
int gk_dp_seq_reserve(struct gk_dp *dp, uint32_t group_id, uint64_t block, gk_dp_persist_fn persist,
		      void *arg, uint64_t *limit);
int gk_dp_seq_start(struct gk_dp *dp, uint32_t group_id, uint64_t mark);
int gk_dp_seq_read(const struct gk_dp *dp, uint32_t group_id, uint64_t *seq, uint64_t *limit);

/* Counters of one group, each verdict summed over every CPU. */
struct gk_dp_stats {
	uint32_t group_id;
	struct gk_dp_counter v[GK_DP_V_MAX];
};

#define GK_DP_ALL_GROUPS (-1)

/*
 * Read gk_stats pinned under pin_dir (NULL: GK_DP_PIN_DIR) without loading
 * anything: group_id, or GK_DP_ALL_GROUPS for every group that has an address
 * in gk_groups or a non-zero counter, in group order. *out is malloc'd.
 * -ENOENT when nothing is pinned there.
 */
int gk_dp_stats_read(const char *pin_dir, int group_id, struct gk_dp_stats **out, size_t *n);
/* One gk_groups entry: a protected (address, port) and what it maps to. */
struct gk_dp_group_entry {
	struct gk_dp_group_key addr;
	struct gk_dp_group group;
};

/* Every gk_groups entry pinned under pin_dir (NULL: default), *out malloc'd; -ENOENT. */
int gk_dp_groups_read(const char *pin_dir, struct gk_dp_group_entry **out, size_t *n);
/* One key present in gk_keys: which version of which group, and its deadlines (no key bytes). */
struct gk_dp_key_entry {
	uint32_t group_id;
	uint32_t key_id;
	uint64_t recv_not_after_ns; /* CLOCK_TAI */
	uint64_t send_not_after_ns;
};

/* Every live key pinned under pin_dir (NULL: default), in group order, *out malloc'd; -ENOENT. */
int gk_dp_keys_read(const char *pin_dir, struct gk_dp_key_entry **out, size_t *n);
/*
 * Gateway: legacy hosts that may send to a group through a LAN port
 * (gk_allow, dataplane.h). prefix is "10.0.0.0/24", "fd00::/64", or an
 * address for one host; bits past the length are ignored, and "::/0"
 * covers IPv4 sources too (they are ::ffff:a.b.c.d). Adding a present
 * prefix succeeds; deleting an absent one is -ENOENT. -EINVAL for a bad
 * prefix or a group_id out of range, -ENOENT when the maps were pinned by a
 * loader without gk_allow (load once to create it).
 */
int gk_dp_allow_add(struct gk_dp *dp, uint32_t group_id, const char *prefix);
int gk_dp_allow_del(struct gk_dp *dp, uint32_t group_id, const char *prefix);
/* The gk_allow key of (group_id, prefix), as the two calls above write it. */
int gk_dp_allow_key(uint32_t group_id, const char *prefix, struct gk_dp_allow_key *key);

/* One gk_allow entry. */
struct gk_dp_allow_entry {
	uint32_t group_id;
	uint8_t addr[16]; /* IPv6, or IPv4-mapped */
	uint8_t bits;	  /* prefix length of addr, 0..128 (IPv4 /n: 96 + n) */
	uint32_t flags;	  /* GK_DP_ALLOW_* */
};

/* Every gk_allow entry pinned under pin_dir (NULL: default), by group and prefix; -ENOENT. */
int gk_dp_allow_read(const char *pin_dir, struct gk_dp_allow_entry **out, size_t *n);
/* "10.0.0.0/24" or "fd00::/64" (IPv4 when the prefix lies in ::ffff:0:0/96); -ENOSPC. */
int gk_dp_allow_str(const struct gk_dp_allow_entry *e, char *buf, size_t len);

/* Sum over every possible CPU of one slot of the per-CPU gk_stats (fd from bpf_obj_get or dp). */
int gk_dp_stats_slot(int stats_fd, uint32_t group_id, enum gk_dp_verdict v,
		     struct gk_dp_counter *sum);
/* Stable verdict names for output ("passed", "bad_tag", ...); NULL when out of range. */
const char *gk_dp_verdict_name(enum gk_dp_verdict v);

#endif
