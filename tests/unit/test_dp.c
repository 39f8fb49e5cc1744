// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the data-plane loader (dp_load, dp_keys, dp_allow, dp_stats) on real maps. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "groupkey/dp.h"
#include "groupkey/dptag.h"
#include "groupkey/log.h"
#include "harness.h"
#include "probe.skel.h"

#define GROUP 7
#define GROUP_NAME "g7"
#define SENDER 0x01020304u
#define EXP 1900000000LL
#define GRACE 30

static const uint8_t group_key[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

struct fixture {
	char dir[64];
	struct gk_dp *dp;
};

/* A pin directory of its own per test (each test is a process). */
static void pin_dir(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/sys/fs/bpf/gk-test-dp-%d", (int)getpid());
}

static int try_open(struct fixture *f, const struct gk_dp_opts *extra, struct gk_dp **out)
{
	struct gk_dp_opts o = { 0 };

	if (extra)
		o = *extra;
	o.pin_dir = f->dir;
	return gk_dp_open(out, &o);
}

/* Open or SKIP when this kernel or user cannot load BPF at all. */
static void open_dp(struct fixture *f, const struct gk_dp_opts *extra)
{
	int err;

	if (geteuid() != 0)
		SKIP("loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)");
	gk_log_set_level(GK_LOG_WARN);
	gk_log_route_libraries();
	err = try_open(f, extra, &f->dp);
	if (err == -EPERM || err == -ENOSYS)
		SKIP("BPF is not available here");
	if (err)
		TH_LOG("gk_dp_open(%s): %s", f->dir, strerror(-err));
	ASSERT_EQ(err, 0);
}

static void setup(struct fixture *f)
{
	pin_dir(f);
	open_dp(f, NULL);
}

static int fd_of(struct fixture *f, enum gk_dp_map m)
{
	int fd = gk_dp_map_fd(f->dp, m);

	ASSERT_GE(fd, 0);
	return fd;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static bool pinned(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static int tai_offset(void)
{
	struct timex tx = { 0 };

	ASSERT_GE(adjtimex(&tx), 0);
	return tx.tai;
}

static void group_addr(const char *a, uint16_t port, struct gk_dp_group_key *k)
{
	ASSERT_EQ(gk_dp_group_addr(a, port, k), 0);
}

static void lookup_group(struct fixture *f, const struct gk_dp_group_key *k, struct gk_dp_group *g)
{
	ASSERT_EQ(bpf_map_lookup_elem(fd_of(f, GK_DP_MAP_GROUPS), k, g), 0);
}

/* gk_keys' slot of (group, key_id) as it is, whatever it holds. */
static void read_slot(struct fixture *f, uint32_t group, uint32_t key_id, struct gk_dp_key *v)
{
	__u32 slot = gk_dp_key_slot(group, key_id);

	ASSERT_EQ(bpf_map_lookup_elem(fd_of(f, GK_DP_MAP_KEYS), &slot, v), 0);
}

/* Key version key_id of group as the programs see it: -ENOENT unless its slot holds it live. */
static int lookup_key(struct fixture *f, uint32_t group, uint32_t key_id, struct gk_dp_key *v)
{
	read_slot(f, group, key_id, v);
	return (v->flags & GK_DP_KEY_LIVE) && v->key_id == key_id ? 0 : -ENOENT;
}

static void add_key(struct fixture *f, uint32_t key_id, int64_t exp)
{
	ASSERT_EQ(gk_dp_key_add(f->dp, GROUP, GROUP_NAME, key_id, group_key, sizeof(group_key), exp,
				GRACE),
		  0);
}

static void teardown(struct fixture *f)
{
	gk_dp_close(f->dp, false);
	f->dp = NULL;
	EXPECT_FALSE(pinned(f->dir, "gk_keys"));
	EXPECT_NE(access(f->dir, F_OK), 0);
}

TEST(open_pins_every_map_and_close_removes_them)
{
	static const char *const names[] = { "gk_groups", "gk_keys",  "gk_replay",
					     "gk_send",	  "gk_stats", "gk_ctl" };
	struct fixture f;

	ASSERT_EQ(sizeof(names) / sizeof(names[0]), GK_DP_MAP_NR);
	setup(&f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		EXPECT_TRUE(pinned(f.dir, names[i]));
		EXPECT_STREQ(gk_dp_map_name((enum gk_dp_map)i), names[i]);
	}
	/* The gateway's allow list, outside enum gk_dp_map (older pins lack it). */
	EXPECT_TRUE(pinned(f.dir, "gk_allow"));
	EXPECT_EQ(gk_dp_map_fd(f.dp, GK_DP_MAP_NR), -EINVAL);
	EXPECT_TRUE(gk_dp_map_name(GK_DP_MAP_NR) == NULL);
	EXPECT_STREQ(gk_dp_pin_dir(f.dp), f.dir);
	teardown(&f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EXPECT_FALSE(pinned(f.dir, names[i]));
	EXPECT_FALSE(pinned(f.dir, "gk_allow"));
}

TEST(group_addresses_map_to_ipv4_mapped_and_back)
{
	static const uint8_t v4[16] = { [10] = 0xff, [11] = 0xff, 239, 1, 2, 3 };
	static const uint8_t v6[16] = { 0xff, 0x02, [13] = 1, [15] = 3 };
	struct gk_dp_group_key k;
	char buf[64];

	group_addr("239.1.2.3", 5000, &k);
	EXPECT_MEMEQ(k.addr, v4, 16);
	EXPECT_EQ(k.port, htons(5000));
	EXPECT_EQ(k.pad, 0);
	ASSERT_EQ(gk_dp_group_addr_str(&k, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "239.1.2.3:5000");
	EXPECT_EQ(gk_dp_group_addr_str(&k, buf, 14), -ENOSPC);
	group_addr("ff02::1:3", 6000, &k);
	EXPECT_MEMEQ(k.addr, v6, 16);
	ASSERT_EQ(gk_dp_group_addr_str(&k, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "[ff02::1:3]:6000");
	EXPECT_EQ(gk_dp_group_addr("239.1.2", 1, &k), -EINVAL);
	EXPECT_EQ(gk_dp_group_addr("", 1, &k), -EINVAL);
}

TEST(group_set_and_del_are_reflected_exactly)
{
	struct gk_dp_group_key a4, a6;
	struct gk_dp_group g;
	struct fixture f;

	setup(&f);
	group_addr("239.1.2.3", 5000, &a4);
	group_addr("ff02::1:3", 5000, &a6);
	ASSERT_EQ(gk_dp_group_set(f.dp, &a4, GROUP, GK_DP_GROUP_SEND | GK_DP_GROUP_STRIP, SENDER),
		  0);
	lookup_group(&f, &a4, &g);
	EXPECT_EQ(g.group_id, GROUP);
	EXPECT_EQ(g.flags, GK_DP_GROUP_SEND | GK_DP_GROUP_STRIP);
	EXPECT_EQ(g.send_key_id, 0);
	EXPECT_EQ(g.sender_id, SENDER);
	add_key(&f, 5, EXP);
	ASSERT_EQ(gk_dp_send_key(f.dp, GROUP, 5), 0);
	/* A second address of the group starts out stamping with the group's current key. */
	ASSERT_EQ(gk_dp_group_set(f.dp, &a6, GROUP, GK_DP_GROUP_STRIP, SENDER + 1), 0);
	lookup_group(&f, &a6, &g);
	EXPECT_EQ(g.group_id, GROUP);
	EXPECT_EQ(g.flags, GK_DP_GROUP_STRIP);
	EXPECT_EQ(g.send_key_id, 5);
	EXPECT_EQ(g.sender_id, SENDER + 1);
	/* Updating flags keeps the send key. */
	ASSERT_EQ(gk_dp_group_set(f.dp, &a4, GROUP, GK_DP_GROUP_SEND, SENDER), 0);
	lookup_group(&f, &a4, &g);
	EXPECT_EQ(g.flags, GK_DP_GROUP_SEND);
	EXPECT_EQ(g.send_key_id, 5);

	EXPECT_EQ(gk_dp_group_set(f.dp, &a4, GK_DP_MAX_GROUPS, 0, 0), -EINVAL);
	EXPECT_EQ(gk_dp_group_set(f.dp, &a4, GROUP, 0x4, 0), -EINVAL);
	ASSERT_EQ(gk_dp_group_del(f.dp, &a4), 0);
	EXPECT_NE(bpf_map_lookup_elem(fd_of(&f, GK_DP_MAP_GROUPS), &a4, &g), 0);
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(gk_dp_group_del(f.dp, &a4), -ENOENT);
	lookup_group(&f, &a6, &g);
	EXPECT_EQ(g.group_id, GROUP);
	teardown(&f);
}

TEST(key_add_writes_derived_key_and_tai_deadlines)
{
	struct gk_dp_key v, ref = { 0 };
	int64_t tai = tai_offset();
	struct fixture f;

	setup(&f);
	add_key(&f, 41, EXP);
	ASSERT_EQ(lookup_key(&f, GROUP, 41, &v), 0);
	ASSERT_EQ(gk_dp_derive_key(group_key, sizeof(group_key), GROUP_NAME, 41, &ref), 0);
	EXPECT_NE(ref.k0, 0);
	EXPECT_EQ(v.k0, ref.k0);
	EXPECT_EQ(v.k1, ref.k1);
	EXPECT_EQ(v.send_not_after_ns, (uint64_t)(EXP + tai) * 1000000000ULL);
	EXPECT_EQ(v.recv_not_after_ns, (uint64_t)(EXP + GRACE + tai) * 1000000000ULL);
	/* Other key ids and groups derive other keys. */
	add_key(&f, 42, EXP);
	ASSERT_EQ(lookup_key(&f, GROUP, 42, &v), 0);
	EXPECT_NE(v.k0, ref.k0);
	ASSERT_EQ(lookup_key(&f, GROUP + 1, 41, &v), -ENOENT);
	teardown(&f);
}

TEST(key_add_never_rewrites_a_present_key)
{
	static const uint8_t other[16] = { 1 };
	struct gk_dp_key before, after;
	struct fixture f;

	setup(&f);
	add_key(&f, 1, EXP);
	ASSERT_EQ(lookup_key(&f, GROUP, 1, &before), 0);
	EXPECT_EQ(gk_dp_key_add(f.dp, GROUP, GROUP_NAME, 1, other, sizeof(other), EXP + 100, 0),
		  -EEXIST);
	ASSERT_EQ(lookup_key(&f, GROUP, 1, &after), 0);
	EXPECT_MEMEQ(&before, &after, sizeof(before));
	EXPECT_EQ(gk_dp_key_add(f.dp, GK_DP_MAX_GROUPS, GROUP_NAME, 1, other, 16, EXP, 0), -EINVAL);
	EXPECT_EQ(gk_dp_key_add(f.dp, GROUP, GROUP_NAME, 2, other, 0, EXP, 0), -EINVAL);
	EXPECT_EQ(gk_dp_key_add(f.dp, GROUP, GROUP_NAME, 2, other, 16, -1, 0), -EINVAL);
	ASSERT_EQ(gk_dp_key_del(f.dp, GROUP, 1), 0);
	EXPECT_EQ(lookup_key(&f, GROUP, 1, &after), -ENOENT);
	EXPECT_EQ(gk_dp_key_del(f.dp, GROUP, 1), -ENOENT);
	teardown(&f);
}

/* Versions k and k + GK_DP_KEY_SLOTS share a slot: the second waits for the first to go. */
TEST(key_add_into_a_slot_held_by_another_version_is_busy)
{
	uint32_t other = 1 + GK_DP_KEY_SLOTS;
	struct gk_dp_key before, after;
	struct fixture f;

	setup(&f);
	add_key(&f, 1, EXP);
	for (uint32_t k = 2; k <= GK_DP_KEY_SLOTS; k++)
		add_key(&f, k, EXP); /* every slot of the group in use */
	ASSERT_EQ(lookup_key(&f, GROUP, 1, &before), 0);
	EXPECT_EQ(gk_dp_key_add(f.dp, GROUP, GROUP_NAME, other, group_key, sizeof(group_key), EXP,
				GRACE),
		  -EBUSY);
	ASSERT_EQ(lookup_key(&f, GROUP, 1, &after), 0);
	EXPECT_MEMEQ(&before, &after, sizeof(before));
	EXPECT_EQ(lookup_key(&f, GROUP, other, &after), -ENOENT);
	/* Another group's slots are its own. */
	ASSERT_EQ(gk_dp_key_add(f.dp, GROUP + 1, GROUP_NAME, other, group_key, sizeof(group_key),
				EXP, GRACE),
		  0);
	ASSERT_EQ(gk_dp_key_del(f.dp, GROUP, 1), 0);
	add_key(&f, other, EXP);
	ASSERT_EQ(lookup_key(&f, GROUP, other, &after), 0);
	EXPECT_EQ(after.key_id, other);
	EXPECT_EQ(lookup_key(&f, GROUP, 1, &after), -ENOENT);
	EXPECT_EQ(gk_dp_key_del(f.dp, GROUP, 1), -ENOENT);
	EXPECT_EQ(gk_dp_key_del(f.dp, GK_DP_MAX_GROUPS, 1), -EINVAL);
	teardown(&f);
}

/* A deleted slot is not live and keeps no byte of the key (nor zeros: a key anyone knows). */
TEST(key_del_empties_the_slot_and_overwrites_the_key)
{
	struct gk_dp_key before, after;
	struct fixture f;

	setup(&f);
	add_key(&f, 2, EXP);
	ASSERT_EQ(lookup_key(&f, GROUP, 2, &before), 0);
	EXPECT_EQ(before.flags, GK_DP_KEY_LIVE);
	ASSERT_EQ(gk_dp_key_del(f.dp, GROUP, 2), 0);
	read_slot(&f, GROUP, 2, &after);
	EXPECT_EQ(after.flags, 0);
	EXPECT_EQ(after.key_id, 0);
	EXPECT_EQ(after.recv_not_after_ns, 0);
	EXPECT_EQ(after.send_not_after_ns, 0);
	EXPECT_NE(after.k0, before.k0);
	EXPECT_NE(after.k1, before.k1);
	EXPECT_FALSE(after.k0 == 0 && after.k1 == 0);
	teardown(&f);
}

TEST(keys_read_lists_live_keys_without_key_bytes)
{
	struct gk_dp_key_entry *e;
	int64_t tai = tai_offset();
	struct fixture f;
	size_t n;

	setup(&f);
	add_key(&f, 9, EXP);
	add_key(&f, 6, EXP + 10);
	ASSERT_EQ(gk_dp_key_add(f.dp, 3, GROUP_NAME, 0, group_key, sizeof(group_key), EXP, 0), 0);
	ASSERT_EQ(gk_dp_keys_read(f.dir, &e, &n), 0);
	ASSERT_EQ(n, 3);
	/* Group order, then slot order: 9 (slot 1) before 6 (slot 2). */
	EXPECT_EQ(e[0].group_id, 3);
	EXPECT_EQ(e[0].key_id, 0);
	EXPECT_EQ(e[0].recv_not_after_ns, (uint64_t)(EXP + tai) * 1000000000ULL);
	EXPECT_EQ(e[1].group_id, GROUP);
	EXPECT_EQ(e[1].key_id, 9);
	EXPECT_EQ(e[1].send_not_after_ns, (uint64_t)(EXP + tai) * 1000000000ULL);
	EXPECT_EQ(e[1].recv_not_after_ns, (uint64_t)(EXP + GRACE + tai) * 1000000000ULL);
	EXPECT_EQ(e[2].group_id, GROUP);
	EXPECT_EQ(e[2].key_id, 6);
	EXPECT_EQ(e[2].send_not_after_ns, (uint64_t)(EXP + 10 + tai) * 1000000000ULL);
	free(e);
	ASSERT_EQ(gk_dp_key_del(f.dp, GROUP, 9), 0);
	ASSERT_EQ(gk_dp_keys_read(f.dir, &e, &n), 0);
	ASSERT_EQ(n, 2);
	EXPECT_EQ(e[1].key_id, 6);
	free(e);
	teardown(&f);
	EXPECT_EQ(gk_dp_keys_read(f.dir, &e, &n), -ENOENT);
	EXPECT_EQ(n, 0);
}

static void map_info(struct fixture *f, enum gk_dp_map m, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	ASSERT_EQ(bpf_obj_get_info_by_fd(fd_of(f, m), info, &len), 0);
}

/* The layouts dataplane.h documents: keys in slots, LRU windows, mmapable control words. */
TEST(maps_have_the_documented_types_and_sizes)
{
	struct bpf_map_info i;
	struct fixture f;

	setup(&f);
	map_info(&f, GK_DP_MAP_KEYS, &i);
	EXPECT_EQ(i.type, BPF_MAP_TYPE_ARRAY);
	EXPECT_EQ(i.key_size, 4);
	EXPECT_EQ(i.value_size, sizeof(struct gk_dp_key));
	EXPECT_EQ(i.max_entries, GK_DP_MAX_GROUPS * GK_DP_KEY_SLOTS);
	map_info(&f, GK_DP_MAP_REPLAY, &i);
	EXPECT_EQ(i.type, BPF_MAP_TYPE_LRU_HASH);
	EXPECT_EQ(i.key_size, sizeof(struct gk_dp_replay_id));
	EXPECT_EQ(i.value_size, sizeof(struct gk_dp_replay));
	EXPECT_EQ(i.max_entries, GK_DP_MAX_SENDERS);
	map_info(&f, GK_DP_MAP_CTL, &i);
	EXPECT_EQ(i.type, BPF_MAP_TYPE_ARRAY);
	EXPECT_TRUE(i.map_flags & BPF_F_MMAPABLE);
	EXPECT_EQ(i.value_size, sizeof(struct gk_dp_ctl));
	EXPECT_EQ(i.max_entries, 1);
	teardown(&f);
}

static uint64_t groups_gen(struct fixture *f)
{
	struct gk_dp_ctl ctl;
	__u32 zero = 0;

	ASSERT_EQ(bpf_map_lookup_elem(fd_of(f, GK_DP_MAP_CTL), &zero, &ctl), 0);
	return ctl.groups_gen;
}

/* Every change to gk_groups, and every open, moves the generation the programs' caches check. */
TEST(group_changes_move_the_cache_generation)
{
	struct gk_dp_group_key a;
	struct gk_dp *other;
	struct fixture f;
	uint64_t gen;

	setup(&f);
	gen = groups_gen(&f);
	EXPECT_GE(gen, 1); /* the open itself */
	group_addr("239.1.2.3", 5000, &a);
	ASSERT_EQ(gk_dp_group_set(f.dp, &a, GROUP, GK_DP_GROUP_SEND, SENDER), 0);
	EXPECT_EQ(groups_gen(&f), gen + 1);
	add_key(&f, 4, EXP);
	EXPECT_EQ(groups_gen(&f), gen + 1); /* keys are not cached */
	ASSERT_EQ(gk_dp_send_key(f.dp, GROUP, 4), 0);
	EXPECT_EQ(groups_gen(&f), gen + 2);
	EXPECT_EQ(gk_dp_send_key(f.dp, GROUP, 5), -ENOENT);
	EXPECT_EQ(groups_gen(&f), gen + 2);
	EXPECT_EQ(gk_dp_group_set(f.dp, &a, GK_DP_MAX_GROUPS, 0, 0), -EINVAL);
	EXPECT_EQ(groups_gen(&f), gen + 2);
	ASSERT_EQ(gk_dp_group_del(f.dp, &a), 0);
	EXPECT_EQ(groups_gen(&f), gen + 3);
	/* Another process opening the maps flushes whatever a dead writer left cached. */
	{
		struct gk_dp_opts mo = { .maps_only = true };

		ASSERT_EQ(try_open(&f, &mo, &other), 0);
	}
	EXPECT_EQ(groups_gen(&f), gen + 4);
	gk_dp_close(other, true);
	teardown(&f);
}

static void put_window(struct fixture *f, uint32_t group, uint32_t sender, uint32_t key_id)
{
	struct gk_dp_replay_id id = { .group_id = group, .sender_id = sender, .key_id = key_id };
	struct gk_dp_replay w = { .base = 0, .top = 100 };

	ASSERT_EQ(bpf_map_update_elem(fd_of(f, GK_DP_MAP_REPLAY), &id, &w, BPF_NOEXIST), 0);
}

static bool has_window(struct fixture *f, uint32_t group, uint32_t sender, uint32_t key_id)
{
	struct gk_dp_replay_id id = { .group_id = group, .sender_id = sender, .key_id = key_id };
	struct gk_dp_replay w;

	return !bpf_map_lookup_elem(fd_of(f, GK_DP_MAP_REPLAY), &id, &w);
}

TEST(key_del_drops_the_keys_replay_windows_only)
{
	struct fixture f;

	setup(&f);
	add_key(&f, 1, EXP);
	add_key(&f, 2, EXP);
	put_window(&f, GROUP, 5, 1);
	put_window(&f, GROUP, 6, 1);
	put_window(&f, GROUP, 5, 2);
	put_window(&f, GROUP + 1, 5, 1);
	ASSERT_EQ(gk_dp_key_del(f.dp, GROUP, 1), 0);
	EXPECT_FALSE(has_window(&f, GROUP, 5, 1));
	EXPECT_FALSE(has_window(&f, GROUP, 6, 1));
	EXPECT_TRUE(has_window(&f, GROUP, 5, 2));
	EXPECT_TRUE(has_window(&f, GROUP + 1, 5, 1));
	teardown(&f);
}

TEST(tai_deadline_arithmetic_follows_adjtimex)
{
	struct timespec rt, tai_now;
	int64_t tai = tai_offset();
	uint64_t d;

	ASSERT_EQ(gk_dp_tai_deadline(EXP, &d), 0);
	EXPECT_EQ(d, (uint64_t)(EXP + tai) * 1000000000ULL);
	ASSERT_EQ(gk_dp_tai_deadline(0, &d), 0);
	EXPECT_EQ(d, (uint64_t)(tai > 0 ? tai : 0) * 1000000000ULL);
	EXPECT_EQ(gk_dp_tai_deadline(-1, &d), -EINVAL);
	/* Past the year 2554 a deadline would overflow: it saturates (never expires) instead. */
	ASSERT_EQ(gk_dp_tai_deadline(INT64_MAX, &d), 0);
	EXPECT_EQ(d, UINT64_MAX);
	ASSERT_EQ(gk_dp_tai_deadline(18446744073LL, &d), 0);
	EXPECT_EQ(d, UINT64_MAX);

	/* The deadline of "now" on the wall clock is "now" on the clock BPF reads. */
	ASSERT_EQ(clock_gettime(CLOCK_REALTIME, &rt), 0);
	ASSERT_EQ(gk_dp_tai_deadline(rt.tv_sec, &d), 0);
	ASSERT_EQ(clock_gettime(CLOCK_TAI, &tai_now), 0);
	EXPECT_LE(d, (uint64_t)tai_now.tv_sec * 1000000000ULL + (uint64_t)tai_now.tv_nsec);
	EXPECT_GT(d + 2000000000ULL,
		  (uint64_t)tai_now.tv_sec * 1000000000ULL + (uint64_t)tai_now.tv_nsec);
}

TEST(rotation_keeps_both_keys_present_during_the_switch)
{
	struct gk_dp_group_key a;
	struct gk_dp_key v;
	struct gk_dp_group g;
	struct fixture f;

	setup(&f);
	group_addr("239.1.2.3", 5000, &a);
	ASSERT_EQ(gk_dp_group_set(f.dp, &a, GROUP, GK_DP_GROUP_SEND, SENDER), 0);
	EXPECT_EQ(gk_dp_send_key(f.dp, GROUP, 1), -ENOENT); /* not added yet */
	add_key(&f, 1, EXP);
	ASSERT_EQ(gk_dp_send_key(f.dp, GROUP, 1), 0);
	EXPECT_EQ(gk_dp_send_key(f.dp, GROUP + 1, 1), -ENOENT); /* no such key nor group */

	add_key(&f, 2, EXP + 3600);
	EXPECT_EQ(lookup_key(&f, GROUP, 1, &v), 0);
	EXPECT_EQ(lookup_key(&f, GROUP, 2, &v), 0);
	ASSERT_EQ(gk_dp_send_key(f.dp, GROUP, 2), 0);
	lookup_group(&f, &a, &g);
	EXPECT_EQ(g.send_key_id, 2);
	EXPECT_EQ(g.sender_id, SENDER);
	/* Right after the switch the old key still validates receivers' in-flight traffic. */
	EXPECT_EQ(lookup_key(&f, GROUP, 1, &v), 0);
	EXPECT_EQ(lookup_key(&f, GROUP, 2, &v), 0);
	/* The key being stamped with cannot go; the old one can, after its grace. */
	EXPECT_EQ(gk_dp_key_del(f.dp, GROUP, 2), -EBUSY);
	EXPECT_EQ(lookup_key(&f, GROUP, 2, &v), 0);
	ASSERT_EQ(gk_dp_key_del(f.dp, GROUP, 1), 0);
	EXPECT_EQ(lookup_key(&f, GROUP, 1, &v), -ENOENT);
	EXPECT_EQ(gk_dp_send_key(f.dp, GROUP, 1), -ENOENT);
	lookup_group(&f, &a, &g);
	EXPECT_EQ(g.send_key_id, 2);
	teardown(&f);
}

TEST(reopen_reuses_the_pinned_maps_and_their_entries)
{
	struct gk_dp_opts excl = { .exclusive = true }, ro = { .maps_only = true };
	__u32 ids[GK_DP_MAP_NR];
	struct gk_dp_group_key a;
	struct gk_dp *other;
	struct gk_dp_group g;
	struct gk_dp_key v;
	struct fixture f;

	setup(&f);
	for (int i = 0; i < GK_DP_MAP_NR; i++)
		ids[i] = map_id(fd_of(&f, (enum gk_dp_map)i));
	group_addr("239.1.2.3", 5000, &a);
	ASSERT_EQ(gk_dp_group_set(f.dp, &a, GROUP, GK_DP_GROUP_STRIP, SENDER), 0);
	add_key(&f, 9, EXP);
	gk_dp_close(f.dp, true);
	EXPECT_TRUE(pinned(f.dir, "gk_groups"));

	EXPECT_EQ(try_open(&f, &excl, &other), -EEXIST);
	open_dp(&f, NULL);
	for (int i = 0; i < GK_DP_MAP_NR; i++)
		EXPECT_EQ(map_id(fd_of(&f, (enum gk_dp_map)i)), ids[i]);
	lookup_group(&f, &a, &g);
	EXPECT_EQ(g.group_id, GROUP);
	EXPECT_EQ(g.sender_id, SENDER);
	EXPECT_EQ(lookup_key(&f, GROUP, 9, &v), 0);

	/* maps_only opens the same maps without loading programs. */
	ASSERT_EQ(try_open(&f, &ro, &other), 0);
	for (int i = 0; i < GK_DP_MAP_NR; i++)
		EXPECT_EQ(map_id(gk_dp_map_fd(other, (enum gk_dp_map)i)), ids[i]);
	gk_dp_close(other, true);
	teardown(&f);
	EXPECT_EQ(try_open(&f, &ro, &other), -ENOENT);
}

/* Per-CPU values written directly, one distinct value per CPU, summed back exactly. */
static void write_percpu(struct fixture *f, uint32_t group, enum gk_dp_verdict v, uint64_t base)
{
	int ncpu = libbpf_num_possible_cpus();
	struct gk_dp_counter *vals;
	__u32 idx = group * GK_DP_V_MAX + v;

	ASSERT_GT(ncpu, 0);
	vals = calloc((size_t)ncpu, sizeof(*vals));
	ASSERT_TRUE(vals);
	for (int c = 0; c < ncpu; c++) {
		vals[c].packets = base + (uint64_t)c;
		vals[c].bytes = (base + (uint64_t)c) * 100;
	}
	ASSERT_EQ(bpf_map_update_elem(fd_of(f, GK_DP_MAP_STATS), &idx, vals, BPF_ANY), 0);
	free(vals);
}

static uint64_t percpu_sum(uint64_t base)
{
	uint64_t n = (uint64_t)libbpf_num_possible_cpus();

	return n * base + n * (n - 1) / 2;
}

TEST(stats_sum_every_cpu_exactly)
{
	struct gk_dp_group_key a;
	struct gk_dp_counter c;
	struct gk_dp_stats *st;
	struct fixture f;
	size_t n;

	setup(&f);
	write_percpu(&f, GROUP, GK_DP_V_PASS, 1000);
	write_percpu(&f, GROUP, GK_DP_V_BAD_TAG, 7);
	write_percpu(&f, GK_DP_MAX_GROUPS - 1, GK_DP_V_NOT_ALLOWED, 1);
	ASSERT_EQ(gk_dp_stats_slot(fd_of(&f, GK_DP_MAP_STATS), GROUP, GK_DP_V_PASS, &c), 0);
	EXPECT_EQ(c.packets, percpu_sum(1000));
	EXPECT_EQ(c.bytes, percpu_sum(1000) * 100);
	EXPECT_EQ(gk_dp_stats_slot(fd_of(&f, GK_DP_MAP_STATS), GROUP, GK_DP_V_MAX, &c), -EINVAL);

	ASSERT_EQ(gk_dp_stats_read(f.dir, GROUP, &st, &n), 0);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(st[0].group_id, GROUP);
	for (int v = 0; v < GK_DP_V_MAX; v++) {
		uint64_t want = v == GK_DP_V_PASS    ? percpu_sum(1000) :
				v == GK_DP_V_BAD_TAG ? percpu_sum(7) :
						       0;

		EXPECT_EQ(st[0].v[v].packets, want);
		EXPECT_EQ(st[0].v[v].bytes, want * 100);
	}
	free(st);

	/* All groups: those with counters and those configured (group 3, all zero). */
	group_addr("239.1.2.3", 5000, &a);
	ASSERT_EQ(gk_dp_group_set(f.dp, &a, 3, 0, 0), 0);
	ASSERT_EQ(gk_dp_stats_read(f.dir, GK_DP_ALL_GROUPS, &st, &n), 0);
	ASSERT_EQ(n, 3);
	EXPECT_EQ(st[0].group_id, 3);
	EXPECT_EQ(st[0].v[GK_DP_V_PASS].packets, 0);
	EXPECT_EQ(st[1].group_id, GROUP);
	EXPECT_EQ(st[1].v[GK_DP_V_BAD_TAG].packets, percpu_sum(7));
	EXPECT_EQ(st[2].group_id, GK_DP_MAX_GROUPS - 1);
	EXPECT_EQ(st[2].v[GK_DP_V_NOT_ALLOWED].bytes, percpu_sum(1) * 100);
	free(st);

	EXPECT_EQ(gk_dp_stats_read(f.dir, GK_DP_MAX_GROUPS, &st, &n), -EINVAL);
	EXPECT_EQ(gk_dp_stats_read(f.dir, -2, &st, &n), -EINVAL);
	EXPECT_STREQ(gk_dp_verdict_name(GK_DP_V_PASS), "passed");
	EXPECT_STREQ(gk_dp_verdict_name(GK_DP_V_SEQ_EXHAUSTED), "seq_exhausted");
	EXPECT_TRUE(gk_dp_verdict_name(GK_DP_V_MAX) == NULL);
	teardown(&f);
	EXPECT_EQ(gk_dp_stats_read(f.dir, GROUP, &st, &n), -ENOENT);
}

TEST(groups_read_lists_every_address)
{
	struct gk_dp_group_entry *e;
	struct gk_dp_group_key a, b;
	struct fixture f;
	size_t n;

	setup(&f);
	group_addr("239.1.2.3", 5000, &a);
	group_addr("ff05::7", 5001, &b);
	ASSERT_EQ(gk_dp_group_set(f.dp, &a, 1, 0, 0), 0);
	ASSERT_EQ(gk_dp_group_set(f.dp, &b, 2, GK_DP_GROUP_SEND, 77), 0);
	ASSERT_EQ(gk_dp_groups_read(f.dir, &e, &n), 0);
	ASSERT_EQ(n, 2);
	if (e[0].group.group_id != 1) {
		struct gk_dp_group_entry t = e[0];

		e[0] = e[1];
		e[1] = t;
	}
	EXPECT_MEMEQ(&e[0].addr, &a, sizeof(a));
	EXPECT_EQ(e[0].group.group_id, 1);
	EXPECT_MEMEQ(&e[1].addr, &b, sizeof(b));
	EXPECT_EQ(e[1].group.sender_id, 77);
	free(e);
	teardown(&f);
}

struct persisted {
	uint32_t group;
	uint64_t mark;
	int calls;
	int fail;
	struct gk_dp *dp;
	uint64_t limit_seen; /* the limit while persist ran */
};

static int persist(void *arg, uint32_t group, uint64_t mark)
{
	struct persisted *p = arg;
	uint64_t seq;

	p->calls++;
	p->group = group;
	ASSERT_EQ(gk_dp_seq_read(p->dp, group, &seq, &p->limit_seen), 0);
	if (p->fail)
		return p->fail;
	p->mark = mark;
	return 0;
}

TEST(seq_limit_rises_only_after_the_mark_is_persisted)
{
	struct persisted p = { 0 };
	uint64_t seq, limit;
	struct fixture f;

	setup(&f);
	p.dp = f.dp;
	ASSERT_EQ(gk_dp_seq_read(f.dp, GROUP, &seq, &limit), 0);
	EXPECT_EQ(seq, 0);
	EXPECT_EQ(limit, 0);
	ASSERT_EQ(gk_dp_seq_reserve(f.dp, GROUP, 1000, persist, &p, &limit), 0);
	EXPECT_EQ(p.calls, 1);
	EXPECT_EQ(p.group, GROUP);
	EXPECT_EQ(p.mark, 1000);
	EXPECT_EQ(p.limit_seen, 0); /* not raised before persist returned */
	EXPECT_EQ(limit, 1000);

	/* A failed persist leaves the limit where it was. */
	p.fail = -EIO;
	EXPECT_EQ(gk_dp_seq_reserve(f.dp, GROUP, 1000, persist, &p, &limit), -EIO);
	ASSERT_EQ(gk_dp_seq_read(f.dp, GROUP, &seq, &limit), 0);
	EXPECT_EQ(limit, 1000);
	p.fail = 0;

	/* After a reboot: start at the persisted mark, never below what is there. */
	ASSERT_EQ(gk_dp_seq_start(f.dp, GROUP, 5000), 0);
	ASSERT_EQ(gk_dp_seq_start(f.dp, GROUP, 10), 0);
	ASSERT_EQ(gk_dp_seq_read(f.dp, GROUP, &seq, &limit), 0);
	EXPECT_EQ(seq, 5000);
	/* The next block starts above the sequence, not above the stale limit. */
	ASSERT_EQ(gk_dp_seq_reserve(f.dp, GROUP, 100, persist, &p, &limit), 0);
	EXPECT_EQ(p.mark, 5100);
	EXPECT_EQ(limit, 5100);
	ASSERT_EQ(gk_dp_seq_read(f.dp, GROUP + 1, &seq, &limit), 0);
	EXPECT_EQ(limit, 0);

	EXPECT_EQ(gk_dp_seq_reserve(f.dp, GROUP, 0, persist, &p, &limit), -EINVAL);
	EXPECT_EQ(gk_dp_seq_reserve(f.dp, GK_DP_MAX_GROUPS, 1, persist, &p, &limit), -EINVAL);
	ASSERT_EQ(gk_dp_seq_start(f.dp, GROUP, UINT64_MAX - 1), 0);
	EXPECT_EQ(gk_dp_seq_reserve(f.dp, GROUP, 2, persist, &p, &limit), -ERANGE);
	teardown(&f);
}

/* A fresh network namespace for this test process, with a veth pair named va/vb up. */
static void private_netns_with_veth(void)
{
	if (unshare(CLONE_NEWNET))
		SKIP("cannot create a network namespace");
	ASSERT_EQ(system("ip link set dev lo up && ip link add va type veth peer name vb && "
			 "ip link set dev va up && ip link set dev vb up"),
		  0);
}

static __u32 xdp_prog_on(int ifindex, __u32 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	ASSERT_EQ(bpf_xdp_query(ifindex, 0, &q), 0);
	*mode = q.attach_mode;
	return q.prog_id;
}

static __u32 tc_prog_at(int ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = 0x676b, .priority = 0x676b);

	return bpf_tc_query(&hook, &q) ? 0 : q.prog_id;
}

static __u32 tc_prog_on(int ifindex)
{
	return tc_prog_at(ifindex, BPF_TC_EGRESS);
}

/* The name the kernel keeps for program id (15 characters at most). */
static void prog_name(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
}

TEST(attach_native_replace_on_reopen_and_detach)
{
	struct gk_dp_opts o = { 0 };
	__u32 xid, tid, mode;
	struct fixture f;
	int va;

	pin_dir(&f);
	private_netns_with_veth();
	va = (int)if_nametoindex("va");
	ASSERT_GT(va, 0);
	o.xdp_ifindex = &va;
	o.n_xdp = 1;
	o.tc_ifindex = &va;
	o.n_tc = 1;
	open_dp(&f, &o);
	EXPECT_EQ(gk_dp_xdp_attach_mode(f.dp, va), XDP_FLAGS_DRV_MODE);
	xid = xdp_prog_on(va, &mode);
	EXPECT_NE(xid, 0);
	EXPECT_EQ(mode, XDP_ATTACHED_DRV);
	tid = tc_prog_on(va);
	EXPECT_NE(tid, 0);

	/* A restarted loader (no detach: kill -9) swaps in its own copy, in place. */
	gk_dp_close(f.dp, true);
	EXPECT_EQ(xdp_prog_on(va, &mode), xid);
	EXPECT_EQ(tc_prog_on(va), tid);
	open_dp(&f, &o);
	EXPECT_NE(xdp_prog_on(va, &mode), 0);
	EXPECT_NE(xdp_prog_on(va, &mode), xid);
	EXPECT_EQ(mode, XDP_ATTACHED_DRV);
	EXPECT_NE(tc_prog_on(va), 0);
	EXPECT_NE(tc_prog_on(va), tid);

	ASSERT_EQ(gk_dp_detach(f.dp), 0);
	EXPECT_EQ(xdp_prog_on(va, &mode), 0);
	EXPECT_EQ(tc_prog_on(va), 0);
	EXPECT_EQ(gk_dp_xdp_attach_mode(f.dp, va), -ENOENT);
	teardown(&f);
}

TEST(attach_falls_back_to_generic_where_native_is_missing)
{
	struct gk_dp_opts o = { 0 };
	struct gk_dp *ro;
	__u32 mode;
	struct fixture f;
	int lo;

	pin_dir(&f);
	private_netns_with_veth();
	lo = (int)if_nametoindex("lo");
	o.xdp_ifindex = &lo;
	o.n_xdp = 1;
	open_dp(&f, &o);
	EXPECT_EQ(gk_dp_xdp_attach_mode(f.dp, lo), XDP_FLAGS_SKB_MODE);
	EXPECT_NE(xdp_prog_on(lo, &mode), 0);
	EXPECT_EQ(mode, XDP_ATTACHED_SKB);
	gk_dp_close(f.dp, true);

	/* Another process (maps only) removes what an earlier one attached. */
	{
		struct gk_dp_opts mo = { .maps_only = true };

		ASSERT_EQ(try_open(&f, &mo, &ro), 0);
	}
	ASSERT_EQ(gk_dp_detach_ifindex(ro, lo), 0);
	EXPECT_EQ(xdp_prog_on(lo, &mode), 0);
	f.dp = ro;
	teardown(&f);
}

TEST(foreign_xdp_program_is_not_replaced)
{
	struct gk_dp_opts o = { 0 };
	struct probe *probe;
	struct gk_dp *dp;
	struct fixture f;
	__u32 id, mode;
	int va;

	pin_dir(&f);
	private_netns_with_veth();
	va = (int)if_nametoindex("va");
	probe = probe__open_and_load();
	if (!probe && (errno == EPERM || geteuid()))
		SKIP("BPF is not available here");
	ASSERT_TRUE(probe);
	ASSERT_EQ(bpf_xdp_attach(va, bpf_program__fd(probe->progs.probe_xdp), XDP_FLAGS_DRV_MODE,
				 NULL),
		  0);
	id = xdp_prog_on(va, &mode);
	o.xdp_ifindex = &va;
	o.n_xdp = 1;
	gk_log_set_level(GK_LOG_ERR - 1); /* the refusal is expected: keep it off the TAP stream */
	EXPECT_EQ(try_open(&f, &o, &dp), -EBUSY);
	EXPECT_EQ(xdp_prog_on(va, &mode), id);
	/* The failed open removed nothing and left its pins for the next try. */
	open_dp(&f, NULL);
	teardown(&f);
	probe__destroy(probe);
}

/* A gateway's LAN port: TC ingress at the fixed handle, replaced by a restart, detached after. */
TEST(lan_ingress_attach_replace_on_reopen_and_detach)
{
	struct gk_dp_opts o = { 0 }, mo = { .maps_only = true };
	char name[BPF_OBJ_NAME_LEN];
	struct gk_dp *ro;
	struct fixture f;
	__u32 lid, tid;
	int va, vb;

	pin_dir(&f);
	private_netns_with_veth();
	va = (int)if_nametoindex("va");
	vb = (int)if_nametoindex("vb");
	o.tc_ifindex = &vb;
	o.n_tc = 1;
	o.lan_ifindex = &va;
	o.n_lan = 1;
	open_dp(&f, &o);
	lid = tc_prog_at(va, BPF_TC_INGRESS);
	ASSERT_NE(lid, 0);
	prog_name(lid, name);
	EXPECT_STREQ(name, "gk_tc_lan_ingre");
	EXPECT_EQ(tc_prog_at(va, BPF_TC_EGRESS), 0);
	tid = tc_prog_at(vb, BPF_TC_EGRESS);
	ASSERT_NE(tid, 0);
	prog_name(tid, name);
	EXPECT_STREQ(name, "gk_tc_egress");
	EXPECT_EQ(tc_prog_at(vb, BPF_TC_INGRESS), 0);
	EXPECT_EQ(gk_dp_xdp_attach_mode(f.dp, va), -ENOENT);

	/* A restarted loader swaps its own copy in, in place. */
	gk_dp_close(f.dp, true);
	EXPECT_EQ(tc_prog_at(va, BPF_TC_INGRESS), lid);
	open_dp(&f, &o);
	EXPECT_NE(tc_prog_at(va, BPF_TC_INGRESS), 0);
	EXPECT_NE(tc_prog_at(va, BPF_TC_INGRESS), lid);
	lid = tc_prog_at(va, BPF_TC_INGRESS);
	ASSERT_EQ(gk_dp_detach(f.dp), 0);
	EXPECT_EQ(tc_prog_at(va, BPF_TC_INGRESS), 0);
	EXPECT_EQ(tc_prog_at(vb, BPF_TC_EGRESS), 0);
	gk_dp_close(f.dp, true);

	/* A loader that kept no handle (maps only) removes it by name, every hook. */
	open_dp(&f, &o);
	gk_dp_close(f.dp, true);
	EXPECT_EQ(try_open(&f, &(struct gk_dp_opts){ .maps_only = true, .n_lan = 1 }, &ro),
		  -EINVAL);
	ASSERT_EQ(try_open(&f, &mo, &ro), 0);
	ASSERT_EQ(gk_dp_detach_ifindex(ro, va), 0);
	EXPECT_EQ(tc_prog_at(va, BPF_TC_INGRESS), 0);
	EXPECT_NE(tc_prog_at(vb, BPF_TC_EGRESS), 0);
	ASSERT_EQ(gk_dp_detach_ifindex(ro, vb), 0);
	EXPECT_EQ(tc_prog_at(vb, BPF_TC_EGRESS), 0);
	f.dp = ro;
	teardown(&f);
}

static void allow_key(uint32_t group, const char *prefix, __u32 prefixlen, const char *addr)
{
	struct gk_dp_allow_key k, want = { .prefixlen = prefixlen, .group_id = group };
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		want.addr[10] = 0xff;
		want.addr[11] = 0xff;
		memcpy(want.addr + 12, &a4, 4);
	} else {
		ASSERT_EQ(inet_pton(AF_INET6, addr, want.addr), 1);
	}
	ASSERT_EQ(gk_dp_allow_key(group, prefix, &k), 0);
	if (memcmp(&k, &want, sizeof(k)))
		TH_LOG("prefix %s", prefix);
	EXPECT_MEMEQ(&k, &want, sizeof(k));
}

/* Prefix length counts the group's 32 bits, then IPv4 as ::ffff:0:0/96 + n; host bits cleared. */
TEST(allow_keys_are_group_then_prefix)
{
	static const char *const bad[] = { "10.0.0.0/33",  "fd00::/129",  "10.0.0.0/",
					   "10.0.0.0/-1",  "10.0.0.0/+8", "10.0.0.0/ 8",
					   "10.0.0.0/24x", "10.0.0",	  "",
					   "fd00::/64/1",  "host.example" };
	struct gk_dp_allow_key k;

	allow_key(3, "10.0.0.0/24", 32 + 96 + 24, "10.0.0.0");
	allow_key(3, "10.0.0.77/24", 32 + 96 + 24, "10.0.0.0");
	allow_key(3, "10.1.2.3", 32 + 128, "10.1.2.3");
	allow_key(3, "10.1.2.3/32", 32 + 128, "10.1.2.3");
	allow_key(3, "10.255.255.255/9", 32 + 96 + 9, "10.128.0.0");
	allow_key(3, "0.0.0.0/0", 32 + 96, "0.0.0.0");
	allow_key(GK_DP_MAX_GROUPS - 1, "fd00::/64", 32 + 64, "fd00::");
	allow_key(0, "fd00:1:2:3:4:5:6:7/61", 32 + 61, "fd00:1:2::");
	allow_key(0, "fd00::1", 32 + 128, "fd00::1");
	allow_key(0, "::/0", 32, "::");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gk_dp_allow_key(1, bad[i], &k) != -EINVAL)
			TH_LOG("prefix '%s' accepted", bad[i]);
		EXPECT_EQ(gk_dp_allow_key(1, bad[i], &k), -EINVAL);
	}
	EXPECT_EQ(gk_dp_allow_key(GK_DP_MAX_GROUPS, "10.0.0.0/8", &k), -EINVAL);
	EXPECT_EQ(gk_dp_allow_key(1, NULL, &k), -EINVAL);
}

/* What a source address finds in gk_allow, as the LAN program looks it up: flags, or -ENOENT. */
static int allow_lookup(struct fixture *f, uint32_t group, const char *host, __u32 *flags)
{
	struct gk_dp_allow_key k;
	char path[128];
	int fd, err;

	ASSERT_EQ(gk_dp_allow_key(group, host, &k), 0);
	ASSERT_EQ(k.prefixlen, 32 + 128);
	snprintf(path, sizeof(path), "%s/gk_allow", f->dir);
	fd = bpf_obj_get(path);
	ASSERT_GE(fd, 0);
	err = bpf_map_lookup_elem(fd, &k, flags) ? -errno : 0;
	close(fd);
	return err;
}

TEST(allow_add_del_read_and_longest_prefix)
{
	static const char *const want[] = { "10.0.0.0/24", "fd00::/64", "::/0", "192.0.2.7/32" };
	static const uint32_t want_group[] = { 1, 1, 2, 2 };
	struct gk_dp_allow_entry *e = NULL;
	struct fixture f;
	char buf[64];
	__u32 flags;
	size_t n = 9;

	setup(&f);
	ASSERT_EQ(gk_dp_allow_read(f.dir, &e, &n), 0);
	EXPECT_EQ(n, 0);
	free(e);
	ASSERT_EQ(gk_dp_allow_add(f.dp, 1, "fd00::/64"), 0);
	ASSERT_EQ(gk_dp_allow_add(f.dp, 2, "::/0"), 0);
	ASSERT_EQ(gk_dp_allow_add(f.dp, 1, "10.0.0.9/24"), 0);
	ASSERT_EQ(gk_dp_allow_add(f.dp, 2, "192.0.2.7"), 0);
	/* Present already: no error, no second entry. */
	ASSERT_EQ(gk_dp_allow_add(f.dp, 1, "10.0.0.0/24"), 0);
	EXPECT_EQ(gk_dp_allow_add(f.dp, 1, "10.0.0.0/40"), -EINVAL);

	ASSERT_EQ(gk_dp_allow_read(f.dir, &e, &n), 0);
	ASSERT_EQ(n, 4);
	/* By group, then address bytes: ::/0 before the IPv4-mapped ::ffff:192.0.2.7. */
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(gk_dp_allow_str(&e[i], buf, sizeof(buf)), 0);
		EXPECT_STREQ(buf, want[i]);
		EXPECT_EQ(e[i].group_id, want_group[i]);
		EXPECT_EQ(e[i].flags, GK_DP_ALLOW_SEND);
	}
	EXPECT_EQ(e[0].bits, 96 + 24);
	EXPECT_EQ(e[2].bits, 0);
	EXPECT_EQ(e[3].bits, 128);
	EXPECT_EQ(gk_dp_allow_str(&e[0], buf, 11), -ENOSPC);
	free(e);

	/* The longest prefix decides, per group. */
	EXPECT_EQ(allow_lookup(&f, 1, "10.0.0.200", &flags), 0);
	EXPECT_EQ(flags, GK_DP_ALLOW_SEND);
	EXPECT_EQ(allow_lookup(&f, 1, "10.0.1.1", &flags), -ENOENT);
	EXPECT_EQ(allow_lookup(&f, 1, "fd00::abcd", &flags), 0);
	EXPECT_EQ(allow_lookup(&f, 1, "fd00:0:0:1::1", &flags), -ENOENT);
	EXPECT_EQ(allow_lookup(&f, 3, "10.0.0.200", &flags), -ENOENT);
	EXPECT_EQ(allow_lookup(&f, 2, "10.0.0.200", &flags), 0); /* ::/0 holds IPv4 too */

	ASSERT_EQ(gk_dp_allow_del(f.dp, 1, "10.0.0.0/24"), 0);
	EXPECT_EQ(gk_dp_allow_del(f.dp, 1, "10.0.0.0/24"), -ENOENT);
	EXPECT_EQ(gk_dp_allow_del(f.dp, 1, "10.0.0.0/25"), -ENOENT);
	EXPECT_EQ(gk_dp_allow_del(f.dp, GK_DP_MAX_GROUPS, "10.0.0.0/24"), -EINVAL);
	EXPECT_EQ(allow_lookup(&f, 1, "10.0.0.200", &flags), -ENOENT);
	ASSERT_EQ(gk_dp_allow_read(f.dir, &e, &n), 0);
	EXPECT_EQ(n, 3);
	free(e);
	teardown(&f);
	EXPECT_EQ(gk_dp_allow_read(f.dir, &e, &n), -ENOENT);
	EXPECT_TRUE(e == NULL);
	EXPECT_EQ(n, 0);
}

/* A data plane pinned before gateways existed has no gk_allow: its other maps still open. */
TEST(allow_without_gk_allow_pinned_is_enoent)
{
	struct gk_dp_opts mo = { .maps_only = true };
	struct gk_dp_allow_entry *e;
	struct fixture f;
	char path[128];
	size_t n;

	setup(&f);
	gk_dp_close(f.dp, true);
	snprintf(path, sizeof(path), "%s/gk_allow", f.dir);
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(try_open(&f, &mo, &f.dp), 0);
	EXPECT_EQ(gk_dp_allow_add(f.dp, 1, "10.0.0.0/8"), -ENOENT);
	EXPECT_EQ(gk_dp_allow_del(f.dp, 1, "10.0.0.0/8"), -ENOENT);
	EXPECT_EQ(gk_dp_allow_read(f.dir, &e, &n), -ENOENT);
	gk_dp_close(f.dp, true);
	/* A full load creates it next to the maps it reuses. */
	open_dp(&f, NULL);
	EXPECT_TRUE(pinned(f.dir, "gk_allow"));
	EXPECT_EQ(gk_dp_allow_add(f.dp, 1, "10.0.0.0/8"), 0);
	teardown(&f);
}
