// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for bpf/gk_xdp.bpf.c and bpf/gk_tc.bpf.c: crafted frames through BPF_PROG_TEST_RUN. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/magic.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "groupkey/dp.h"
#include "groupkey/dptag.h"
#include "harness.h"
#include "gk_tc.skel.h"
#include "gk_xdp.skel.h"

#define FRAME_MAX 3400 /* below BPF_PROG_TEST_RUN's one-page limit for linear data */
#define G4 1	       /* group_id of 239.1.2.3:5683 */
#define G6 2	       /* group_id of [ff3e::1234]:5684 */
#define G3 3	       /* group_id of 239.255.0.1:9999 (tag vector V3) */
#define NGROUPS 4
#define KEY_ID 1
#define SENDER 7
#define PORT4 5683
#define PORT6 5684
#define SPORT 40000
#define IP_MF 0x2000
#define PROTO_UDP 17
#define PROTO_TCP 6
#define FAR_FUTURE UINT64_MAX

static const uint8_t g4_addr[16] = { 239, 1, 2, 3 };
static const uint8_t g6_addr[16] = { 0xff, 0x3e, [14] = 0x12, 0x34 };
static const uint8_t g3_addr[16] = { 239, 255, 0, 1 };
static const uint8_t src4[16] = { 192, 0, 2, 1 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

struct cnt {
	uint64_t packets, bytes;
};

/* Both programs sharing one set of maps, and the counters the test expects them to hold. */
struct dp {
	struct gk_xdp *x;
	struct gk_tc *t;
	struct gk_dp_key key;
	struct gk_dp_group_key g4, g6;
	struct cnt want[NGROUPS][GK_DP_V_MAX];
};

/* How to build one frame; zero fields are the defaults (IPv4 to the G4 group, no tag). */
struct spec {
	int ipv6;
	uint16_t vlan;	    /* TPID of one tag, 0 for none */
	unsigned int ihl;   /* IPv4 header in 32-bit words (NOP options), 0 for 5 */
	uint16_t frag;	    /* IPv4 frag_off, host order */
	uint8_t proto;	    /* IP protocol, 0 for UDP */
	int zero_csum;	    /* send UDP checksum 0 */
	size_t pad;	    /* Ethernet padding after the IP datagram */
	const uint8_t *dst; /* NULL: the G4 or G6 group address */
	const uint8_t *src; /* NULL: src4 or src6 */
	uint16_t dport;	    /* 0: the group's port */
};

/* Only warnings reach the TAP stream, each line a "# " diagnostic so it cannot read as a result. */
__attribute__((format(printf, 2, 0))) static int dp_libbpf_print(enum libbpf_print_level level,
								 const char *fmt, va_list ap)
{
	char *msg, *line, *save = NULL;

	if (level != LIBBPF_WARN || vasprintf(&msg, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("# %s%s\n", strncmp(line, "libbpf: ", 8) ? "libbpf: " : "", line);
	free(msg);
	fflush(stdout);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ones-complement sum of big-endian 16-bit words (odd length: zero-padded), not folded. */
static uint64_t sum16(uint64_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint64_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Pseudo-header sum of a UDP datagram of ulen bytes (RFC 768, RFC 8200 8.1). */
static uint64_t pseudo_sum(int ipv6, const uint8_t *src, const uint8_t *dst, size_t ulen)
{
	uint8_t ph[40] = { 0 };

	if (!ipv6) {
		memcpy(ph, src, 4);
		memcpy(ph + 4, dst, 4);
		ph[9] = PROTO_UDP;
		put16(ph + 10, (uint16_t)ulen);
		return sum16(0, ph, 12);
	}
	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	put16(ph + 34, (uint16_t)ulen);
	ph[39] = PROTO_UDP;
	return sum16(0, ph, 40);
}

static size_t l3_offset(const struct spec *s)
{
	return ETH_HLEN + (s->vlan ? 4 : 0);
}

static size_t ip_hlen(const struct spec *s)
{
	return s->ipv6 ? 40 : (s->ihl ? s->ihl : 5) * 4;
}

/* An Ethernet frame carrying UDP payload pl; checksums computed here from scratch. */
static size_t build(uint8_t *f, const struct spec *s, const uint8_t *pl, size_t n)
{
	const uint8_t *dst = s->dst ? s->dst : s->ipv6 ? g6_addr : g4_addr;
	const uint8_t *src = s->src ? s->src : s->ipv6 ? src6 : src4;
	size_t l3 = l3_offset(s), iphl = ip_hlen(s), l4 = l3 + iphl, ulen = 8 + n;
	uint16_t check;

	ASSERT_LE(l4 + ulen + s->pad, FRAME_MAX);
	memset(f, 0, l4 + ulen + s->pad);
	memcpy(f, "\x01\x00\x5e\x01\x02\x03\x02\x00\x00\x00\x00\x01", 12);
	if (s->vlan) {
		put16(f + 12, s->vlan);
		put16(f + 14, 5);
	}
	put16(f + l3 - 2, s->ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	if (!s->ipv6) {
		f[l3] = (uint8_t)(0x40 | iphl / 4);
		put16(f + l3 + 2, (uint16_t)(iphl + ulen));
		put16(f + l3 + 4, 0x1234);
		put16(f + l3 + 6, s->frag);
		f[l3 + 8] = 64;
		f[l3 + 9] = s->proto ? s->proto : PROTO_UDP;
		memcpy(f + l3 + 12, src, 4);
		memcpy(f + l3 + 16, dst, 4);
		memset(f + l3 + 20, 1, iphl - 20);
		put16(f + l3 + 10, (uint16_t)~fold(sum16(0, f + l3, iphl)));
	} else {
		f[l3] = 0x60;
		put16(f + l3 + 4, (uint16_t)ulen);
		f[l3 + 6] = s->proto ? s->proto : PROTO_UDP;
		f[l3 + 7] = 64;
		memcpy(f + l3 + 8, src, 16);
		memcpy(f + l3 + 24, dst, 16);
	}
	put16(f + l4, SPORT);
	put16(f + l4 + 2, s->dport ? s->dport : s->ipv6 ? PORT6 : PORT4);
	put16(f + l4 + 4, (uint16_t)ulen);
	memcpy(f + l4 + 8, pl, n);
	if (!s->zero_csum) {
		check = (uint16_t)~fold(sum16(pseudo_sum(s->ipv6, src, dst, ulen), f + l4, ulen));
		put16(f + l4 + 6, check ? check : 0xffff);
	}
	return l4 + ulen + s->pad;
}

/* Independent check of an output frame: lengths and both checksums, recomputed from scratch. */
static void expect_valid_frame(const uint8_t *f, size_t len, const struct spec *s)
{
	size_t l3 = l3_offset(s), iphl = ip_hlen(s), l4 = l3 + iphl, ulen;
	const uint8_t *dst = f + l3 + (s->ipv6 ? 24 : 16), *src = f + l3 + (s->ipv6 ? 8 : 12);

	ASSERT_GE(len, l4 + 8);
	ulen = get16(f + l4 + 4);
	EXPECT_EQ(l4 + ulen, len);
	if (!s->ipv6) {
		EXPECT_EQ(get16(f + l3 + 2), iphl + ulen);
		EXPECT_EQ(fold(sum16(0, f + l3, iphl)), 0xffff);
	} else {
		EXPECT_EQ(get16(f + l3 + 4), ulen);
	}
	if (get16(f + l4 + 6))
		EXPECT_EQ(fold(sum16(pseudo_sum(s->ipv6, src, dst, ulen), f + l4, ulen)), 0xffff);
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + 1);
}

/* The frame an application would send (plain) and the one TC should make of it (stamped). */
static size_t stamped(struct dp *d, const struct spec *s, const struct gk_dp_meta *m,
		      const uint8_t *pl, size_t n, uint8_t *f)
{
	const struct gk_dp_group_key *g = s->ipv6 ? &d->g6 : &d->g4;
	uint8_t buf[FRAME_MAX];
	size_t out = 0;

	ASSERT_LE(n + GK_DP_TRAILER_LEN, sizeof(buf));
	memcpy(buf, pl, n);
	ASSERT_EQ(gk_dp_stamp(&d->key, g, m, buf, n, sizeof(buf), &out), 0);
	return build(f, s, buf, out);
}

static size_t stamped_seq(struct dp *d, const struct spec *s, uint64_t seq, const uint8_t *pl,
			  size_t n, uint8_t *f)
{
	return stamped(d, s, &(struct gk_dp_meta){ KEY_ID, SENDER, seq }, pl, n, f);
}

static void map_update(struct bpf_map *m, const void *k, size_t ks, const void *v, size_t vs)
{
	ASSERT_EQ(bpf_map__update_elem(m, k, ks, v, vs, BPF_ANY), 0);
}

/* What every writer of gk_groups owes the programs' lookup caches (dataplane.h). */
static void groups_changed(struct dp *d)
{
	struct gk_dp_ctl ctl;
	__u32 zero = 0;

	ASSERT_EQ(
		bpf_map__lookup_elem(d->x->maps.gk_ctl, &zero, sizeof(zero), &ctl, sizeof(ctl), 0),
		0);
	ctl.groups_gen++;
	map_update(d->x->maps.gk_ctl, &zero, sizeof(zero), &ctl, sizeof(ctl));
}

static void put_group(struct dp *d, const struct gk_dp_group_key *g, const struct gk_dp_group *val)
{
	map_update(d->x->maps.gk_groups, g, sizeof(*g), val, sizeof(*val));
	groups_changed(d);
}

static void add_group_as(struct dp *d, const struct gk_dp_group_key *g, uint32_t group_id,
			 uint32_t flags, uint32_t sender_id)
{
	struct gk_dp_group val = {
		.group_id = group_id, .flags = flags, .send_key_id = KEY_ID, .sender_id = sender_id
	};

	put_group(d, g, &val);
}

static void add_group(struct dp *d, const struct gk_dp_group_key *g, uint32_t group_id,
		      uint32_t flags)
{
	add_group_as(d, g, group_id, flags, SENDER);
}

static void del_group(struct dp *d, const struct gk_dp_group_key *g)
{
	ASSERT_EQ(bpf_map__delete_elem(d->x->maps.gk_groups, g, sizeof(*g), 0), 0);
	groups_changed(d);
}

/* The (addr, port 0) entry that attributes port-less traffic to a group. */
static void set_addr_entry(struct dp *d, const struct gk_dp_group_key *g, uint32_t group_id,
			   int present)
{
	struct gk_dp_group_key a = *g;

	a.port = 0;
	if (present)
		add_group(d, &a, group_id, GK_DP_GROUP_STRIP | GK_DP_GROUP_SEND);
	else
		del_group(d, &a);
}

/* Write the slot of (group_id, key_id) as is (tests only: the daemon never rewrites a live one). */
static void put_slot(struct dp *d, uint32_t group_id, uint32_t key_id, const struct gk_dp_key *v)
{
	__u32 slot = gk_dp_key_slot(group_id, key_id);

	map_update(d->x->maps.gk_keys, &slot, sizeof(slot), v, sizeof(*v));
}

/* Key version key_id of group_id, live, with k's key and deadlines. */
static void add_key(struct dp *d, uint32_t group_id, uint32_t key_id, const struct gk_dp_key *k)
{
	struct gk_dp_key v = *k;

	v.key_id = key_id;
	v.flags = GK_DP_KEY_LIVE;
	put_slot(d, group_id, key_id, &v);
}

/* The slot of (group_id, key_id) empty, as gk_dp_key_del() leaves it. */
static void del_key(struct dp *d, uint32_t group_id, uint32_t key_id)
{
	struct gk_dp_key v = { .k0 = 0x1111, .k1 = 0x2222 };

	put_slot(d, group_id, key_id, &v);
}

static void set_send(struct dp *d, uint32_t group_id, uint64_t seq, uint64_t limit)
{
	struct gk_dp_send st = { .seq = seq, .limit = limit };

	map_update(d->x->maps.gk_send, &group_id, sizeof(group_id), &st, sizeof(st));
}

static uint64_t send_seq(struct dp *d, uint32_t group_id)
{
	struct gk_dp_send st;

	ASSERT_EQ(bpf_map__lookup_elem(d->x->maps.gk_send, &group_id, sizeof(group_id), &st,
				       sizeof(st), 0),
		  0);
	return st.seq;
}

/*
 * Open with pinning off (tests must not touch the live pins), the TC object
 * on the XDP object's maps; replay_windows 0 keeps gk_replay's size.
 */
static struct dp *dp_load_sized(uint32_t max_payload, uint32_t replay_windows)
{
	static const char *const shared[] = { "gk_groups", "gk_keys",  "gk_replay",
					      "gk_send",   "gk_stats", "gk_ctl" };
	struct dp *d = calloc(1, sizeof(*d));
	struct bpf_map *m;
	int err;

	ASSERT_TRUE(d);
	libbpf_set_print(dp_libbpf_print);
	d->x = gk_xdp__open();
	d->t = gk_tc__open();
	if (!d->x || !d->t)
		GK_FAIL_(1, "open skeletons: %s", strerror(errno));
	bpf_object__for_each_map(m, d->x->obj)
		ASSERT_EQ(bpf_map__set_pin_path(m, NULL), 0);
	bpf_object__for_each_map(m, d->t->obj)
		ASSERT_EQ(bpf_map__set_pin_path(m, NULL), 0);
	d->x->rodata->gk_max_payload = max_payload;
	d->t->rodata->gk_max_payload = max_payload;
	if (replay_windows)
		ASSERT_EQ(bpf_map__set_max_entries(d->x->maps.gk_replay, replay_windows), 0);
	err = gk_xdp__load(d->x);
	if (err == -EPERM || err == -ENOSYS)
		SKIP("loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)");
	ASSERT_EQ(err, 0);
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		struct bpf_map *from = bpf_object__find_map_by_name(d->x->obj, shared[i]);
		struct bpf_map *to = bpf_object__find_map_by_name(d->t->obj, shared[i]);

		ASSERT_TRUE(from && to);
		ASSERT_EQ(bpf_map__reuse_fd(to, bpf_map__fd(from)), 0);
	}
	ASSERT_EQ(gk_tc__load(d->t), 0);
	return d;
}

static struct dp *dp_load(uint32_t max_payload)
{
	return dp_load_sized(max_payload, 0);
}

/* Loaded programs, the V1 key under (G4, 1) and (G6, 1), both groups and their address entries. */
static struct dp *dp_setup_sized(uint32_t max_payload, uint32_t flags, uint32_t replay_windows)
{
	struct dp *d = dp_load_sized(max_payload, replay_windows);
	size_t n;
	uint8_t *ikm = gk_test_unhex("000102030405060708090a0b0c0d0e0f", &n);

	ASSERT_EQ(gk_dp_derive_key(ikm, n, "gk-test", KEY_ID, &d->key), 0);
	free(ikm);
	d->key.recv_not_after_ns = FAR_FUTURE;
	d->key.send_not_after_ns = FAR_FUTURE;
	gk_dp_group_ipv4(&d->g4, g4_addr, PORT4);
	gk_dp_group_ipv6(&d->g6, g6_addr, PORT6);
	add_group(d, &d->g4, G4, flags);
	add_group(d, &d->g6, G6, flags);
	set_addr_entry(d, &d->g4, G4, 1);
	set_addr_entry(d, &d->g6, G6, 1);
	add_key(d, G4, KEY_ID, &d->key);
	add_key(d, G6, KEY_ID, &d->key);
	set_send(d, G4, 1, UINT64_MAX);
	set_send(d, G6, 1, UINT64_MAX);
	return d;
}

static struct dp *dp_setup(uint32_t max_payload, uint32_t flags)
{
	return dp_setup_sized(max_payload, flags, 0);
}

static void dp_free(struct dp *d)
{
	gk_tc__destroy(d->t);
	gk_xdp__destroy(d->x);
	free(d);
}

/* Every (group, verdict) counter, summed over CPUs, equals what the test expects. */
static void expect_counts(struct dp *d)
{
	int ncpu = libbpf_num_possible_cpus();
	struct gk_dp_counter *vals;

	ASSERT_GT(ncpu, 0);
	vals = calloc((size_t)ncpu, sizeof(*vals));
	ASSERT_TRUE(vals);
	for (__u32 g = 0; g < NGROUPS; g++) {
		for (__u32 v = 0; v < GK_DP_V_MAX; v++) {
			__u32 idx = g * GK_DP_V_MAX + v;
			struct cnt got = { 0 };

			ASSERT_EQ(bpf_map__lookup_elem(d->x->maps.gk_stats, &idx, sizeof(idx), vals,
						       (size_t)ncpu * sizeof(*vals), 0),
				  0);
			for (int c = 0; c < ncpu; c++) {
				got.packets += vals[c].packets;
				got.bytes += vals[c].bytes;
			}
			if (got.packets != d->want[g][v].packets ||
			    got.bytes != d->want[g][v].bytes)
				TH_LOG("group %u verdict %u: %" PRIu64 " packets %" PRIu64
				       " bytes, expected %" PRIu64 " / %" PRIu64,
				       g, v, got.packets, got.bytes, d->want[g][v].packets,
				       d->want[g][v].bytes);
			EXPECT_EQ(got.packets, d->want[g][v].packets);
			EXPECT_EQ(got.bytes, d->want[g][v].bytes);
		}
	}
	free(vals);
}

static void count(struct dp *d, uint32_t group, uint32_t verdict, size_t bytes)
{
	d->want[group][verdict].packets++;
	d->want[group][verdict].bytes += bytes;
}

static int run_xdp(struct dp *d, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = FRAME_MAX);

	ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(d->x->progs.gk_xdp_ingress), &o), 0);
	*out_len = o.data_size_out;
	return (int)o.retval;
}

/* XDP passes in as want; a group > 0 counts it as PASS. */
static void xdp_pass(struct dp *d, const uint8_t *in, size_t len, const uint8_t *want,
		     size_t want_len, uint32_t group)
{
	uint8_t out[FRAME_MAX];
	size_t out_len = 0;

	ASSERT_EQ(run_xdp(d, in, len, out, &out_len), XDP_PASS);
	ASSERT_EQ(out_len, want_len);
	ASSERT_MEMEQ(out, want, want_len);
	if (group)
		count(d, group, GK_DP_V_PASS, len);
}

/* Not a protected group's: passed byte for byte, counted nowhere. */
static void xdp_ignore(struct dp *d, const uint8_t *in, size_t len)
{
	xdp_pass(d, in, len, in, len, 0);
}

static void xdp_drop(struct dp *d, const uint8_t *in, size_t len, uint32_t group, uint32_t verdict)
{
	uint8_t out[FRAME_MAX];
	size_t out_len = 0;

	ASSERT_EQ(run_xdp(d, in, len, out, &out_len), XDP_DROP);
	count(d, group, verdict, len);
}

static int run_tc_ctx(struct dp *d, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len,
		      struct __sk_buff *ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = FRAME_MAX, .ctx_in = ctx,
		    .ctx_size_in = sizeof(*ctx));

	ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(d->t->progs.gk_tc_egress), &o), 0);
	*out_len = o.data_size_out;
	return (int)o.retval;
}

static int run_tc(struct dp *d, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	struct __sk_buff ctx = { 0 };

	return run_tc_ctx(d, in, len, out, out_len, &ctx);
}

static void tc_stamp(struct dp *d, const uint8_t *in, size_t len, const uint8_t *want,
		     size_t want_len, uint32_t group)
{
	uint8_t out[FRAME_MAX];
	size_t out_len = 0;

	ASSERT_EQ(run_tc(d, in, len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, want_len);
	ASSERT_MEMEQ(out, want, want_len);
	count(d, group, GK_DP_V_STAMPED, len);
}

static void tc_ignore(struct dp *d, const uint8_t *in, size_t len)
{
	uint8_t out[FRAME_MAX];
	size_t out_len = 0;

	ASSERT_EQ(run_tc(d, in, len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, len);
	ASSERT_MEMEQ(out, in, len);
}

static void tc_shot(struct dp *d, const uint8_t *in, size_t len, uint32_t group, uint32_t verdict)
{
	uint8_t out[FRAME_MAX];
	size_t out_len = 0;

	ASSERT_EQ(run_tc(d, in, len, out, &out_len), TC_ACT_SHOT);
	count(d, group, verdict, len);
}

static const size_t payload_lens[] = { 0, 1, 5, 7, 8, 15, 16, 63, 64, 1000, 1401 };
#define NLENS (sizeof(payload_lens) / sizeof(payload_lens[0]))

/* Stamped frames of every payload length through XDP: each comes out as the plain frame. */
static void xdp_strips(struct dp *d, const struct spec *s, uint32_t group)
{
	uint8_t pl[FRAME_MAX], in[FRAME_MAX], plain[FRAME_MAX], out[FRAME_MAX];

	for (size_t i = 0; i < NLENS; i++) {
		size_t n = payload_lens[i], in_len, plain_len, out_len = 0;
		struct spec ps = *s;

		fill(pl, n, (unsigned int)i);
		in_len = stamped_seq(d, s, 100 + i, pl, n, in);
		ps.pad = 0;
		plain_len = build(plain, &ps, pl, n);
		ASSERT_EQ(run_xdp(d, in, in_len, out, &out_len), XDP_PASS);
		if (out_len != plain_len || memcmp(out, plain, plain_len))
			TH_LOG("payload length %zu", n);
		ASSERT_EQ(out_len, plain_len);
		ASSERT_MEMEQ(out, plain, plain_len);
		expect_valid_frame(out, out_len, &ps);
		count(d, group, GK_DP_V_PASS, in_len);
	}
	expect_counts(d);
}

TEST(xdp_strips_valid_ipv4)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);

	xdp_strips(d, &(struct spec){ 0 }, G4);
	dp_free(d);
}

TEST(xdp_strips_valid_ipv6)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);

	xdp_strips(d, &(struct spec){ .ipv6 = 1 }, G6);
	dp_free(d);
}

TEST(xdp_keeps_zero_udp_checksum)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);

	xdp_strips(d, &(struct spec){ .zero_csum = 1 }, G4);
	xdp_strips(d, &(struct spec){ .ipv6 = 1, .zero_csum = 1 }, G6);
	dp_free(d);
}

TEST(xdp_vlan_tagged)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);

	xdp_strips(d, &(struct spec){ .vlan = ETH_P_8021Q }, G4);
	dp_free(d);
	d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	xdp_strips(d, &(struct spec){ .vlan = ETH_P_8021AD, .ipv6 = 1 }, G6);
	dp_free(d);
}

TEST(xdp_ipv4_options)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);

	xdp_strips(d, &(struct spec){ .ihl = 6 }, G4);
	dp_free(d);
	d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	xdp_strips(d, &(struct spec){ .ihl = 15, .vlan = ETH_P_8021Q }, G4);
	dp_free(d);
}

TEST(xdp_strips_ethernet_padding_too)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);

	xdp_strips(d, &(struct spec){ .pad = 6 }, G4);
	dp_free(d);
	d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	xdp_strips(d, &(struct spec){ .ipv6 = 1, .pad = 1 }, G6);
	dp_free(d);
}

TEST(xdp_without_strip_flag_passes_frame_unchanged)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	uint8_t pl[64], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 1);
	for (int v6 = 0; v6 < 2; v6++) {
		len = stamped_seq(d, &(struct spec){ .ipv6 = v6, .pad = 3 }, 5, pl, 33, in);
		xdp_pass(d, in, len, in, len, v6 ? G6 : G4);
	}
	expect_counts(d);
	dp_free(d);
}

/* The tag vectors of docs/wire-format.md, as frames, pass the BPF check. */
TEST(xdp_accepts_doc_tag_vectors)
{
	static const struct {
		const uint8_t *addr;
		uint16_t port;
		int ipv6;
		uint32_t group, key_id;
		uint64_t k0, k1;
		const char *payload, *trailer;
	} vec[] = {
		{ g4_addr, PORT4, 0, G4, 1, 0x3fe504fcf9dabf93ULL, 0x2b54b2609d183c5cULL,
		  "68656c6c6f", "0100000000000001000000070000000000000001662633de9d44261f" },
		{ g6_addr, PORT6, 1, G6, 0x01020304, 0x546c00ac0d51f7d4ULL, 0xc0366370f58f3d1aULL,
		  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		  "0100000001020304deadbeef0102030405060708ad39e6d1290df6e6" },
		{ g3_addr, 9999, 0, G3, 0xffffffff, 0xf84c7ab59640ea3cULL, 0x73bed6a8cc55c235ULL,
		  "", "01000000ffffffff00000001ffffffffffffffff546773d1288471b9" },
		{ g4_addr, PORT4, 0, G4, 1, 0x3fe504fcf9dabf93ULL, 0x2b54b2609d183c5cULL,
		  "4142434445464748494a4b4c4d4e4f",
		  "010000000000000100000007000000000000000227301285d087a864" },
	};
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	struct gk_dp_group_key g3;

	gk_dp_group_ipv4(&g3, g3_addr, 9999);
	add_group(d, &g3, G3, GK_DP_GROUP_STRIP);
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		struct gk_dp_key k = { .k0 = vec[i].k0,
				       .k1 = vec[i].k1,
				       .recv_not_after_ns = FAR_FUTURE,
				       .send_not_after_ns = FAR_FUTURE };
		uint8_t dg[128], in[FRAME_MAX], plain[FRAME_MAX], *pl, *tr;
		struct spec s = { .ipv6 = vec[i].ipv6, .dst = vec[i].addr, .dport = vec[i].port };
		size_t n, tn, len, plain_len;

		add_key(d, vec[i].group, vec[i].key_id, &k);
		pl = gk_test_unhex(vec[i].payload, &n);
		tr = gk_test_unhex(vec[i].trailer, &tn);
		memcpy(dg, pl, n);
		memcpy(dg + n, tr, tn);
		len = build(in, &s, dg, n + tn);
		plain_len = build(plain, &s, pl, n);
		xdp_pass(d, in, len, plain, plain_len, vec[i].group);
		free(pl);
		free(tr);
	}
	expect_counts(d);
	dp_free(d);
}

/* Every proper prefix of a valid frame: passed while no address is visible, else MALFORMED. */
static void truncations(struct dp *d, const struct spec *s, uint32_t group, size_t visible,
			uint64_t seq)
{
	uint8_t pl[40], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 3);
	len = stamped_seq(d, s, seq, pl, sizeof(pl), in);
	for (size_t n = ETH_HLEN; n < len; n++) {
		if (n < visible)
			xdp_ignore(d, in, n);
		else
			xdp_drop(d, in, n, group, GK_DP_V_MALFORMED);
	}
	xdp_pass(d, in, len, in, len, group);
	expect_counts(d);
}

TEST(xdp_every_truncation)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);

	truncations(d, &(struct spec){ 0 }, G4, ETH_HLEN + 20, 1);
	truncations(d, &(struct spec){ .ihl = 7, .vlan = ETH_P_8021Q }, G4, ETH_HLEN + 4 + 20, 2);
	truncations(d, &(struct spec){ .ipv6 = 1 }, G6, ETH_HLEN + 40, 1);
	dp_free(d);
}

TEST(xdp_truncation_without_address_entry)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	uint8_t pl[40], in[FRAME_MAX];
	size_t len, udp_end = ETH_HLEN + 24 + 8;

	/* Cut inside the options or the UDP header: no port, no address entry, not ours. */
	set_addr_entry(d, &d->g4, G4, 0);
	fill(pl, sizeof(pl), 3);
	len = stamped_seq(d, &(struct spec){ .ihl = 6 }, 9, pl, sizeof(pl), in);
	for (size_t n = ETH_HLEN; n < len; n++) {
		if (n < udp_end)
			xdp_ignore(d, in, n);
		else
			xdp_drop(d, in, n, G4, GK_DP_V_MALFORMED);
	}
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_malformed_lengths_and_trailers)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	uint8_t pl[64], in[FRAME_MAX], bad[FRAME_MAX];
	size_t len, l4 = ETH_HLEN + 20, l4v6 = ETH_HLEN + 40, tr;

	fill(pl, sizeof(pl), 4);
	len = stamped_seq(d, &(struct spec){ 0 }, 9, pl, 20, in);
	tr = len - GK_DP_TRAILER_LEN;
	/* UDP length one more, one less than the IP payload; IP length beyond the frame. */
	for (int delta = -1; delta <= 1; delta += 2) {
		memcpy(bad, in, len);
		put16(bad + l4 + 4, (uint16_t)(get16(in + l4 + 4) + delta));
		xdp_drop(d, bad, len, G4, GK_DP_V_MALFORMED);
	}
	memcpy(bad, in, len);
	put16(bad + ETH_HLEN + 2, (uint16_t)(get16(in + ETH_HLEN + 2) + 1));
	xdp_drop(d, bad, len, G4, GK_DP_V_MALFORMED);
	/* Trailer: another version, non-zero flags, non-zero reserved. */
	for (size_t off = 0; off < 4; off++) {
		memcpy(bad, in, len);
		bad[tr + off] ^= 2;
		xdp_drop(d, bad, len, G4, GK_DP_V_MALFORMED);
	}
	/* A UDP payload shorter than a trailer. */
	len = build(in, &(struct spec){ 0 }, pl, GK_DP_TRAILER_LEN - 1);
	xdp_drop(d, in, len, G4, GK_DP_V_MALFORMED);
	/* UDP to port 0 of a protected address hits the address entry. */
	len = stamped_seq(d, &(struct spec){ .dport = 0 }, 9, pl, 20, in);
	put16(in + l4 + 2, 0);
	xdp_drop(d, in, len, G4, GK_DP_V_MALFORMED);
	/* IPv6: payload length 0 (jumbogram), payload length != UDP length, beyond the frame. */
	len = stamped_seq(d, &(struct spec){ .ipv6 = 1, .pad = 8 }, 9, pl, 20, in);
	for (int delta = -1; delta <= 1; delta++) {
		memcpy(bad, in, len);
		put16(bad + ETH_HLEN + 4,
		      delta ? (uint16_t)(get16(in + ETH_HLEN + 4) + delta * 4) : 0);
		xdp_drop(d, bad, len, G6, GK_DP_V_MALFORMED);
	}
	memcpy(bad, in, len);
	put16(bad + ETH_HLEN + 4, (uint16_t)(len - ETH_HLEN - 40 + 1));
	put16(bad + l4v6 + 4, (uint16_t)(len - ETH_HLEN - 40 + 1));
	xdp_drop(d, bad, len, G6, GK_DP_V_MALFORMED);
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_unknown_key)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	uint8_t pl[16], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 5);
	len = stamped(d, &(struct spec){ 0 }, &(struct gk_dp_meta){ 2, SENDER, 1 }, pl, 16, in);
	xdp_drop(d, in, len, G4, GK_DP_V_UNKNOWN_KEY);
	/* The key of another group does not count: keys are per (group, key id). */
	del_key(d, G6, KEY_ID);
	len = stamped_seq(d, &(struct spec){ .ipv6 = 1 }, 1, pl, 16, in);
	xdp_drop(d, in, len, G6, GK_DP_V_UNKNOWN_KEY);
	expect_counts(d);
	dp_free(d);
}

/* A slot answers only for the version it holds, and only while it is live. */
TEST(xdp_key_slot_must_hold_that_version_live)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	uint32_t other = KEY_ID + GK_DP_KEY_SLOTS; /* the same slot as KEY_ID */
	uint8_t pl[16], in[FRAME_MAX];
	struct gk_dp_key v = d->key;
	size_t len;

	ASSERT_EQ(gk_dp_key_slot(G4, other), gk_dp_key_slot(G4, KEY_ID));
	ASSERT_NE(gk_dp_key_slot(G4, KEY_ID), gk_dp_key_slot(G6, KEY_ID));
	fill(pl, sizeof(pl), 5);
	/* Version `other` is tagged under the very key the slot holds for KEY_ID. */
	len = stamped(d, &(struct spec){ 0 }, &(struct gk_dp_meta){ other, SENDER, 1 }, pl, 16, in);
	xdp_drop(d, in, len, G4, GK_DP_V_UNKNOWN_KEY);
	/* The right version, not live (half added or half deleted): no key either. */
	len = stamped_seq(d, &(struct spec){ 0 }, 2, pl, 16, in);
	v.key_id = KEY_ID;
	v.flags = 0;
	put_slot(d, G4, KEY_ID, &v);
	xdp_drop(d, in, len, G4, GK_DP_V_UNKNOWN_KEY);
	v.flags = GK_DP_KEY_LIVE;
	put_slot(d, G4, KEY_ID, &v);
	xdp_pass(d, in, len, in, len, G4);
	/* The slot taken over by `other`: KEY_ID is unknown, `other` validates. */
	add_key(d, G4, other, &d->key);
	len = stamped_seq(d, &(struct spec){ 0 }, 3, pl, 16, in);
	xdp_drop(d, in, len, G4, GK_DP_V_UNKNOWN_KEY);
	len = stamped(d, &(struct spec){ 0 }, &(struct gk_dp_meta){ other, SENDER, 4 }, pl, 16, in);
	xdp_pass(d, in, len, in, len, G4);
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_expired_key)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	uint8_t pl[16], in[FRAME_MAX];
	struct gk_dp_key k = d->key;
	struct timespec now;
	size_t len;

	ASSERT_EQ(clock_gettime(CLOCK_TAI, &now), 0);
	fill(pl, sizeof(pl), 6);
	len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, 16, in);
	k.recv_not_after_ns = (uint64_t)now.tv_sec * 1000000000ULL - 1;
	add_key(d, G4, KEY_ID, &k);
	xdp_drop(d, in, len, G4, GK_DP_V_EXPIRED);
	/* Checked before the tag: a forged packet under an expired key counts as expired. */
	in[len - 1] ^= 1;
	xdp_drop(d, in, len, G4, GK_DP_V_EXPIRED);
	in[len - 1] ^= 1;
	k.recv_not_after_ns = (uint64_t)(now.tv_sec + 3600) * 1000000000ULL;
	add_key(d, G4, KEY_ID, &k);
	xdp_pass(d, in, len, in, len, G4);
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_bad_tag)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	uint8_t pl[48], in[FRAME_MAX], bad[FRAME_MAX];
	struct gk_dp_group_key g3;
	size_t len, pay = ETH_HLEN + 20 + 8, tr;
	static const size_t flips[] = { 0, 1, 17, 46, 47 };
	static const size_t tr_flips[] = { 8, 11, 12, 19, 20, 27 }; /* sender, seq, tag */

	fill(pl, sizeof(pl), 7);
	len = stamped_seq(d, &(struct spec){ 0 }, 50, pl, sizeof(pl), in);
	tr = len - GK_DP_TRAILER_LEN;
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, in, len);
		bad[pay + flips[i]] ^= 0x10;
		xdp_drop(d, bad, len, G4, GK_DP_V_BAD_TAG);
	}
	for (size_t i = 0; i < sizeof(tr_flips) / sizeof(tr_flips[0]); i++) {
		memcpy(bad, in, len);
		bad[tr + tr_flips[i]] ^= 0x01;
		xdp_drop(d, bad, len, G4, GK_DP_V_BAD_TAG);
	}
	/* Sent to another group with the same key: the group address and port are tagged. */
	gk_dp_group_ipv4(&g3, g3_addr, PORT4);
	add_group(d, &g3, G3, 0);
	add_key(d, G3, KEY_ID, &d->key);
	len = stamped_seq(d, &(struct spec){ .dst = g3_addr }, 50, pl, sizeof(pl), bad);
	xdp_drop(d, bad, len, G3, GK_DP_V_BAD_TAG);
	xdp_pass(d, in, len, in, len, G4);
	expect_counts(d);
	dp_free(d);
}

static void replay_step(struct dp *d, uint32_t sender, uint32_t key_id, uint64_t seq, int ok)
{
	uint8_t pl[24], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), (unsigned int)seq);
	len = stamped(d, &(struct spec){ 0 }, &(struct gk_dp_meta){ key_id, sender, seq }, pl,
		      sizeof(pl), in);
	if (ok)
		xdp_pass(d, in, len, in, len, G4);
	else
		xdp_drop(d, in, len, G4, GK_DP_V_REPLAY);
}

TEST(xdp_replay_window)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	struct gk_dp_replay_id rid = { G4, SENDER, KEY_ID, 0 };
	struct gk_dp_replay r;
	uint8_t pl[24], in[FRAME_MAX];
	size_t len;

	replay_step(d, SENDER, KEY_ID, 10, 1);
	replay_step(d, SENDER, KEY_ID, 10, 0); /* the same packet twice */
	replay_step(d, SENDER, KEY_ID, 5, 1);  /* out of order within the window */
	replay_step(d, SENDER, KEY_ID, 5, 0);
	replay_step(d, SENDER, KEY_ID, 73, 1); /* 10 = 73 - 63: still in */
	replay_step(d, SENDER, KEY_ID, 9, 0);  /* 73 - 64: too old */
	replay_step(d, SENDER, KEY_ID, 11, 1);
	replay_step(d, SENDER, KEY_ID, 10, 0);
	/* A forged packet with a high seq must not move the window. */
	fill(pl, sizeof(pl), 1000);
	len = stamped_seq(d, &(struct spec){ 0 }, 1000, pl, sizeof(pl), in);
	in[len - 1] ^= 0x40;
	xdp_drop(d, in, len, G4, GK_DP_V_BAD_TAG);
	replay_step(d, SENDER, KEY_ID, 12, 1);
	ASSERT_EQ(bpf_map__lookup_elem(d->x->maps.gk_replay, &rid, sizeof(rid), &r, sizeof(r), 0),
		  0);
	/* Blocks of 16 numbers relative to base 0: 5, 10, 11, 12 in block 0; 73 = 4 * 16 + 9. */
	EXPECT_EQ(r.base, 0);
	EXPECT_EQ(r.top, 73);
	for (int i = 0; i < GK_DP_REPLAY_RING; i++) {
		uint64_t want = i == 0 ? 1ULL << 5 | 1ULL << 10 | 1ULL << 11 | 1ULL << 12 :
				i == 4 ? 4ULL << GK_DP_REPLAY_BLOCK | 1ULL << 9 :
					 0;

		EXPECT_EQ(r.ring[i], want);
	}
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_replay_window_per_sender_and_key)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);

	add_key(d, G4, 2, &d->key);
	replay_step(d, SENDER, KEY_ID, 500, 1);
	replay_step(d, SENDER + 1, KEY_ID, 500, 1); /* another sender: its own window */
	replay_step(d, SENDER, 2, 1, 1);	    /* the next key id starts afresh */
	replay_step(d, SENDER, 2, 1, 0);
	replay_step(d, SENDER, KEY_ID, 500, 0);
	replay_step(d, SENDER + 1, KEY_ID, 500, 0);
	expect_counts(d);
	dp_free(d);
}

/* A member's own stamped datagrams coming back are replays: it keeps no window for itself. */
TEST(xdp_own_sender_id_is_a_replay_when_sending)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	struct gk_dp_replay_id own = { G4, SENDER, KEY_ID, 0 };
	uint8_t pl[24], in[FRAME_MAX];
	struct gk_dp_replay r;
	size_t len;

	replay_step(d, SENDER, KEY_ID, 1, 0);	  /* ours, first time seen: still a replay */
	replay_step(d, SENDER + 1, KEY_ID, 1, 1); /* another member's */
	replay_step(d, SENDER + 1, KEY_ID, 1, 0);
	EXPECT_NE(bpf_map__lookup_elem(d->x->maps.gk_replay, &own, sizeof(own), &r, sizeof(r), 0),
		  0);
	/* The tag comes first: a forgery claiming our id is a bad tag. */
	fill(pl, sizeof(pl), 2);
	len = stamped_seq(d, &(struct spec){ 0 }, 2, pl, sizeof(pl), in);
	in[len - 1] ^= 1;
	xdp_drop(d, in, len, G4, GK_DP_V_BAD_TAG);
	/* A receive-only member has no own datagrams: the id is just another sender's. */
	add_group(d, &d->g4, G4, 0);
	replay_step(d, SENDER, KEY_ID, 3, 1);
	replay_step(d, SENDER, KEY_ID, 3, 0);
	expect_counts(d);
	dp_free(d);
}

/* Deterministic pseudo-random numbers (xorshift64*), so a failure can be replayed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* The next sequence number of a test stream: mostly forward, some back, repeats and jumps. */
static uint64_t next_seq(uint64_t *s, uint64_t seq)
{
	uint64_t r = rnd(s), step = r >> 32;

	switch (r % 16) {
	case 0:
		return seq; /* the same again */
	case 1:
	case 2:
		return seq > step % 140 ? seq - step % 140 : 0; /* back, across the window's edge */
	case 3:
		return seq + step % 200; /* within the ring, past the window */
	case 4:
		return seq + step % 100000; /* far ahead */
	default:
		return seq + 1 + step % 3;
	}
}

/* The lock-free window run by one CPU says what gk_dp_replay_update() says, number by number. */
TEST(replay_ring_matches_the_reference_rule)
{
	static const uint64_t starts[] = { 0, 1, 63, 64, 1000, 1ULL << 40, UINT64_MAX - 200000 };
	uint64_t s = 0x9e3779b97f4a7c15ULL;

	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		struct gk_dp_replay r = { 0 };
		__u64 top = 0, win = 0, seq = starts[k];
		int want, got;

		for (int i = 0; i < 20000; i++) {
			want = gk_dp_replay_update(&top, &win, seq);
			if (i == 0) {
				gk_dp_replay_init(&r, seq);
				got = 0;
			} else {
				got = gk_dp_replay_ring_update(&r, seq);
			}
			if (got != want)
				TH_LOG("start %" PRIu64 ", step %d, seq %" PRIu64, starts[k], i,
				       (uint64_t)seq);
			ASSERT_EQ(got, want);
			ASSERT_EQ(r.top, top);
			seq = next_seq(&s, seq);
			if (seq > UINT64_MAX - 200000 && starts[k] < UINT64_MAX - 200000)
				seq = starts[k];
		}
	}
}

/* 2^48 blocks of 16 past its first number, a window saturates: it rejects, it never wraps. */
TEST(replay_ring_saturates_closed)
{
	struct gk_dp_replay r = { 0 };

	gk_dp_replay_init(&r, 5);
	EXPECT_EQ(gk_dp_replay_ring_update(&r, GK_DP_REPLAY_REL_MAX * GK_DP_REPLAY_BLOCK - 1), 0);
	EXPECT_EQ(gk_dp_replay_ring_update(&r, GK_DP_REPLAY_REL_MAX * GK_DP_REPLAY_BLOCK), -1);
	EXPECT_EQ(gk_dp_replay_ring_update(&r, UINT64_MAX), -1);
	EXPECT_EQ(gk_dp_replay_ring_update(&r, GK_DP_REPLAY_REL_MAX * GK_DP_REPLAY_BLOCK - 1), -1);
}

struct ring_race {
	struct gk_dp_replay *r;
	uint32_t *accepted; /* per sequence number, across threads */
	uint64_t n;
};

static void *ring_racer(void *arg)
{
	struct ring_race *rr = arg;

	for (uint64_t seq = 1; seq < rr->n; seq++) {
		if (!gk_dp_replay_ring_update(rr->r, seq))
			__atomic_fetch_add(&rr->accepted[seq], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Four CPUs offered the same numbers at once: none is ever accepted twice. */
TEST(replay_ring_never_accepts_a_number_twice_under_contention)
{
	struct gk_dp_replay r = { 0 };
	struct ring_race rr = { .r = &r, .n = 200000 };
	pthread_t t[4];
	uint64_t total = 0;

	rr.accepted = calloc(rr.n, sizeof(*rr.accepted));
	ASSERT_TRUE(rr.accepted);
	gk_dp_replay_init(&r, 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, ring_racer, &rr), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_join(t[i], NULL), 0);
	for (uint64_t seq = 1; seq < rr.n; seq++) {
		if (rr.accepted[seq] > 1)
			TH_LOG("seq %" PRIu64 " accepted %u times", seq, rr.accepted[seq]);
		ASSERT_LE(rr.accepted[seq], 1);
		total += rr.accepted[seq];
	}
	/* Lost compare-and-swap races drop a few numbers, never most of them. */
	EXPECT_GT(total, rr.n / 2);
	EXPECT_EQ(r.top, rr.n - 1);
	free(rr.accepted);
}

/* The same streams through the XDP program: its verdicts are the reference rule's. */
TEST(xdp_replay_verdicts_match_the_reference_rule)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	uint64_t s = 0x1234567887654321ULL;

	for (uint32_t sender = 100; sender < 103; sender++) {
		__u64 top = 0, win = 0, seq = sender == 101 ? 1ULL << 33 : sender;

		for (int i = 0; i < 150; i++) {
			replay_step(d, sender, KEY_ID, seq, !gk_dp_replay_update(&top, &win, seq));
			seq = next_seq(&s, seq);
		}
	}
	expect_counts(d);
	dp_free(d);
}

static void pin_to_one_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set)) {
			CPU_ZERO(&set);
			CPU_SET(c, &set);
			ASSERT_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
			return;
		}
	}
}

static size_t replay_windows(struct dp *d)
{
	struct gk_dp_replay_id k, next;
	void *prev = NULL;
	size_t n = 0;

	while (!bpf_map__get_next_key(d->x->maps.gk_replay, prev, &next, sizeof(next))) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/*
 * More senders than windows: the least recently used windows go, nobody is
 * refused (a full table used to fail closed for every new sender). The cost,
 * as docs/wire-format.md states it: an evicted sender's old datagram is
 * accepted once more; a recent one stays a replay.
 */
TEST(xdp_full_replay_table_evicts_instead_of_failing_closed)
{
	struct dp *d = dp_setup_sized(GK_DP_MAX_PAYLOAD, 0, 256);

	pin_to_one_cpu();
	for (uint32_t sender = 1000; sender < 2024; sender++)
		replay_step(d, sender, KEY_ID, 1, 1);
	EXPECT_LE(replay_windows(d), 256);
	EXPECT_GT(replay_windows(d), 0);
	replay_step(d, 2023, KEY_ID, 1, 0);
	replay_step(d, 1000, KEY_ID, 1, 1); /* evicted long ago */
	replay_step(d, 1000, KEY_ID, 1, 0);
	expect_counts(d);
	dp_free(d);
}

/* The per-CPU clock is at most a jiffy old: a deadline passing is seen at once. */
TEST(xdp_expiry_is_seen_within_a_jiffy)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	struct timespec now, nap = { .tv_nsec = 300 * 1000000L };
	struct gk_dp_key k = d->key;

	pin_to_one_cpu();
	ASSERT_EQ(clock_gettime(CLOCK_TAI, &now), 0);
	k.recv_not_after_ns =
		(uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec + 200 * 1000000ULL;
	add_key(d, G4, KEY_ID, &k);
	replay_step(d, SENDER, KEY_ID, 1, 1);
	ASSERT_EQ(nanosleep(&nap, NULL), 0);
	{
		uint8_t pl[24], in[FRAME_MAX];
		size_t len;

		fill(pl, sizeof(pl), 2);
		len = stamped_seq(d, &(struct spec){ 0 }, 2, pl, sizeof(pl), in);
		xdp_drop(d, in, len, G4, GK_DP_V_EXPIRED);
	}
	expect_counts(d);
	dp_free(d);
}

/*
 * gk_groups lookups are cached per CPU under gk_ctl.groups_gen: a change
 * with its increment is seen by the next packet, hits and misses alike; a
 * change without it is not (the contract dataplane.h states).
 */
TEST(xdp_group_cache_follows_the_generation)
{
	static const uint8_t other4[16] = { 239, 1, 2, 4 };
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, 0);
	uint8_t pl[24], in[FRAME_MAX], other[FRAME_MAX];
	struct gk_dp_group_key og;
	size_t len, olen;

	pin_to_one_cpu();
	fill(pl, sizeof(pl), 3);
	len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, sizeof(pl), in);
	xdp_pass(d, in, len, in, len, G4);
	del_group(d, &d->g4);
	xdp_ignore(d, in, len);
	add_group(d, &d->g4, G4, 0);
	xdp_drop(d, in, len, G4, GK_DP_V_REPLAY); /* protected again, same window */
	/* A miss is cached too, and forgotten with the increment. */
	gk_dp_group_ipv4(&og, other4, PORT4);
	olen = stamped(d, &(struct spec){ .dst = other4 },
		       &(struct gk_dp_meta){ KEY_ID, SENDER, 1 }, pl, sizeof(pl), other);
	xdp_ignore(d, other, olen);
	xdp_ignore(d, other, olen);
	add_group(d, &og, G3, 0);
	add_key(d, G3, KEY_ID, &d->key);
	xdp_drop(d, other, olen, G3, GK_DP_V_BAD_TAG); /* tagged for G4's address, not G3's */
	/* Without the increment this CPU keeps the answer it had. */
	ASSERT_EQ(bpf_map__delete_elem(d->x->maps.gk_groups, &og, sizeof(og), 0), 0);
	xdp_drop(d, other, olen, G3, GK_DP_V_BAD_TAG);
	groups_changed(d);
	xdp_ignore(d, other, olen);
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_too_big)
{
	struct dp *d = dp_setup(256, GK_DP_GROUP_STRIP);
	uint8_t pl[512], in[FRAME_MAX], plain[FRAME_MAX];
	size_t len, plain_len;

	fill(pl, sizeof(pl), 8);
	len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, 256, in);
	plain_len = build(plain, &(struct spec){ 0 }, pl, 256);
	xdp_pass(d, in, len, plain, plain_len, G4);
	len = stamped_seq(d, &(struct spec){ 0 }, 2, pl, 257, in);
	xdp_drop(d, in, len, G4, GK_DP_V_TOO_BIG);
	/* Size is checked before the trailer is read. */
	in[len - GK_DP_TRAILER_LEN] = 9;
	xdp_drop(d, in, len, G4, GK_DP_V_TOO_BIG);
	len = stamped_seq(d, &(struct spec){ .ipv6 = 1 }, 3, pl, 300, in);
	xdp_drop(d, in, len, G6, GK_DP_V_TOO_BIG);
	expect_counts(d);
	dp_free(d);
}

/* An IPv6 frame whose next header is ext (a Fragment header or an 8-byte options header). */
static size_t ipv6_ext(uint8_t *f, const uint8_t *dst, uint8_t ext, uint16_t frag_off,
		       const uint8_t *pl, size_t n)
{
	uint8_t inner[FRAME_MAX];
	size_t len, l3 = ETH_HLEN;

	len = build(inner, &(struct spec){ .ipv6 = 1, .dst = dst }, pl, n);
	memcpy(f, inner, l3 + 40);
	memcpy(f + l3 + 48, inner + l3 + 40, len - l3 - 40);
	f[l3 + 6] = ext;
	put16(f + l3 + 4, (uint16_t)(get16(inner + l3 + 4) + 8));
	memset(f + l3 + 40, 0, 8);
	f[l3 + 40] = PROTO_UDP;
	if (ext == 44)
		put16(f + l3 + 42, frag_off);
	return len + 8;
}

TEST(xdp_fragments)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	uint8_t pl[64], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 9);
	/* First fragment (MF, offset 0): the UDP header names the group, address entry or not. */
	len = stamped_seq(d, &(struct spec){ .frag = IP_MF }, 1, pl, 64, in);
	xdp_drop(d, in, len, G4, GK_DP_V_FRAGMENT);
	/* Later fragments carry no port: the address entry attributes them. */
	len = stamped_seq(d, &(struct spec){ .frag = 185 }, 1, pl, 64, in);
	xdp_drop(d, in, len, G4, GK_DP_V_FRAGMENT);
	len = stamped_seq(d, &(struct spec){ .frag = IP_MF | 1 }, 1, pl, 64, in);
	xdp_drop(d, in, len, G4, GK_DP_V_FRAGMENT);
	len = ipv6_ext(in, g6_addr, 44, 0x0001, pl, 64);
	xdp_drop(d, in, len, G6, GK_DP_V_FRAGMENT);
	len = ipv6_ext(in, g6_addr, 44, 0x0100, pl, 64);
	xdp_drop(d, in, len, G6, GK_DP_V_FRAGMENT);
	set_addr_entry(d, &d->g4, G4, 0);
	set_addr_entry(d, &d->g6, G6, 0);
	len = stamped_seq(d, &(struct spec){ .frag = IP_MF }, 1, pl, 64, in);
	xdp_drop(d, in, len, G4, GK_DP_V_FRAGMENT);
	len = ipv6_ext(in, g6_addr, 44, 0x0001, pl, 64);
	xdp_drop(d, in, len, G6, GK_DP_V_FRAGMENT);
	/* Without it, a later fragment cannot be attributed and passes (it never reassembles). */
	len = stamped_seq(d, &(struct spec){ .frag = 185 }, 1, pl, 64, in);
	xdp_ignore(d, in, len);
	len = ipv6_ext(in, g6_addr, 44, 0x0100, pl, 64);
	xdp_ignore(d, in, len);
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_ipv6_extension_headers)
{
	static const uint8_t other6[16] = { 0xff, 0x3e, [15] = 9 };
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	static const uint8_t exts[] = { 0, 43, 60 }; /* Hop-by-Hop, Routing, Destination */
	uint8_t pl[32], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 10);
	for (size_t i = 0; i < sizeof(exts); i++) {
		len = ipv6_ext(in, g6_addr, exts[i], 0, pl, sizeof(pl));
		xdp_drop(d, in, len, G6, GK_DP_V_MALFORMED);
		len = ipv6_ext(in, other6, exts[i], 0, pl, sizeof(pl));
		xdp_ignore(d, in, len);
	}
	expect_counts(d);
	dp_free(d);
}

TEST(xdp_non_group_traffic_untouched)
{
	static const uint8_t other4[16] = { 239, 1, 2, 4 };
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP);
	uint8_t pl[64], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 11);
	len = stamped_seq(d, &(struct spec){ .dport = PORT4 + 1 }, 1, pl, 20, in);
	xdp_ignore(d, in, len);
	len = stamped_seq(d, &(struct spec){ .dst = other4 }, 1, pl, 20, in);
	xdp_ignore(d, in, len);
	len = stamped_seq(d, &(struct spec){ .proto = PROTO_TCP }, 1, pl, 20, in);
	xdp_ignore(d, in, len);
	len = stamped_seq(d, &(struct spec){ .ipv6 = 1, .proto = 58 }, 1, pl, 20, in);
	xdp_ignore(d, in, len);
	len = stamped_seq(d, &(struct spec){ .ipv6 = 1, .dport = PORT4 }, 1, pl, 20, in);
	xdp_ignore(d, in, len);
	/* The IPv4 group address and port behind an IPv6 EtherType, and ARP. */
	len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, 20, in);
	put16(in + 12, ETH_P_IPV6);
	xdp_ignore(d, in, len);
	put16(in + 12, ETH_P_ARP);
	xdp_ignore(d, in, len);
	/* Two VLAN tags: not parsed beyond the first. */
	len = stamped_seq(d, &(struct spec){ .vlan = ETH_P_8021AD }, 1, pl, 20, in);
	put16(in + 16, ETH_P_8021Q);
	xdp_ignore(d, in, len);
	xdp_ignore(d, in, ETH_HLEN);
	expect_counts(d);
	dp_free(d);
}

/* The verifier's work for the tag loop at its full length: docs/wire-format.md quotes it. */
TEST(verified_insns_at_max_payload)
{
	struct dp *d = dp_load(GK_DP_MAX_PAYLOAD);
	struct bpf_prog_info xi = { 0 }, ti = { 0 }, li = { 0 };
	__u32 xl = sizeof(xi), tl = sizeof(ti), ll = sizeof(li);

	ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(d->x->progs.gk_xdp_ingress), &xi, &xl), 0);
	ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(d->t->progs.gk_tc_egress), &ti, &tl), 0);
	ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(d->t->progs.gk_tc_lan_ingress), &li, &ll),
		  0);
	TH_LOG("verified instructions at %u payload bytes: XDP %u, TC egress %u, TC LAN %u",
	       GK_DP_MAX_PAYLOAD, xi.verified_insns, ti.verified_insns, li.verified_insns);
	EXPECT_GT(xi.verified_insns, 0);
	EXPECT_LT(xi.verified_insns, 1000000);
	EXPECT_LT(ti.verified_insns, 1000000);
	EXPECT_LT(li.verified_insns, 1000000);
	dp_free(d);
}

/* Plain frames of every payload length through TC: each comes out as the stamped frame. */
static void tc_stamps(struct dp *d, const struct spec *s, uint32_t group)
{
	uint8_t pl[FRAME_MAX], in[FRAME_MAX], want[FRAME_MAX];
	uint64_t seq0 = send_seq(d, group);

	for (size_t i = 0; i < NLENS; i++) {
		size_t n = payload_lens[i], in_len, want_len;

		fill(pl, n, (unsigned int)i + 20);
		in_len = build(in, s, pl, n);
		want_len = stamped_seq(d, s, seq0 + i, pl, n, want);
		tc_stamp(d, in, in_len, want, want_len, group);
		expect_valid_frame(want, want_len, s);
	}
	EXPECT_EQ(send_seq(d, group), seq0 + NLENS);
	expect_counts(d);
}

TEST(tc_stamps_ipv4)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);

	tc_stamps(d, &(struct spec){ 0 }, G4);
	dp_free(d);
}

TEST(tc_stamps_ipv4_zero_checksum)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);

	tc_stamps(d, &(struct spec){ .zero_csum = 1 }, G4);
	dp_free(d);
}

TEST(tc_stamps_ipv6)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);

	tc_stamps(d, &(struct spec){ .ipv6 = 1 }, G6);
	dp_free(d);
}

TEST(tc_stamps_vlan_and_ipv4_options)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);

	tc_stamps(d, &(struct spec){ .vlan = ETH_P_8021Q, .ihl = 7 }, G4);
	tc_stamps(d, &(struct spec){ .vlan = ETH_P_8021AD, .ipv6 = 1 }, G6);
	dp_free(d);
}

TEST(tc_seq_exhausted)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	uint8_t pl[16], in[FRAME_MAX], want[FRAME_MAX];
	size_t len, want_len;

	fill(pl, sizeof(pl), 12);
	len = build(in, &(struct spec){ 0 }, pl, sizeof(pl));
	set_send(d, G4, 41, 43);
	want_len = stamped_seq(d, &(struct spec){ 0 }, 41, pl, sizeof(pl), want);
	tc_stamp(d, in, len, want, want_len, G4);
	want_len = stamped_seq(d, &(struct spec){ 0 }, 42, pl, sizeof(pl), want);
	tc_stamp(d, in, len, want, want_len, G4);
	tc_shot(d, in, len, G4, GK_DP_V_SEQ_EXHAUSTED);
	tc_shot(d, in, len, G4, GK_DP_V_SEQ_EXHAUSTED);
	/* The daemon raises the limit: numbers taken while exhausted are never used. */
	set_send(d, G4, send_seq(d, G4), 100);
	want_len = stamped_seq(d, &(struct spec){ 0 }, 45, pl, sizeof(pl), want);
	tc_stamp(d, in, len, want, want_len, G4);
	EXPECT_EQ(send_seq(d, G4), 46);
	expect_counts(d);
	dp_free(d);
}

TEST(tc_no_send_key)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	uint8_t pl[16], in[FRAME_MAX], want[FRAME_MAX];
	struct gk_dp_key k = d->key;
	struct timespec now;
	size_t len, want_len;

	ASSERT_EQ(clock_gettime(CLOCK_TAI, &now), 0);
	fill(pl, sizeof(pl), 13);
	len = build(in, &(struct spec){ 0 }, pl, sizeof(pl));
	k.send_not_after_ns = (uint64_t)now.tv_sec * 1000000000ULL - 1;
	add_key(d, G4, KEY_ID, &k);
	tc_shot(d, in, len, G4, GK_DP_V_NO_SEND_KEY);
	del_key(d, G4, KEY_ID);
	tc_shot(d, in, len, G4, GK_DP_V_NO_SEND_KEY);
	/* Another version in the send key's slot is no send key either. */
	add_key(d, G4, KEY_ID + GK_DP_KEY_SLOTS, &d->key);
	tc_shot(d, in, len, G4, GK_DP_V_NO_SEND_KEY);
	/* No sequence number was spent on the dropped packets. */
	EXPECT_EQ(send_seq(d, G4), 1);
	k.send_not_after_ns = (uint64_t)(now.tv_sec + 3600) * 1000000000ULL;
	add_key(d, G4, KEY_ID, &k);
	want_len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, sizeof(pl), want);
	tc_stamp(d, in, len, want, want_len, G4);
	expect_counts(d);
	dp_free(d);
}

TEST(tc_leaves_other_traffic_untouched)
{
	static const uint8_t other4[16] = { 239, 1, 2, 4 };
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_STRIP); /* receive only */
	uint8_t pl[32], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 14);
	len = build(in, &(struct spec){ 0 }, pl, sizeof(pl));
	tc_ignore(d, in, len);
	len = build(in, &(struct spec){ .ipv6 = 1 }, pl, sizeof(pl));
	tc_ignore(d, in, len);
	len = build(in, &(struct spec){ .dst = other4 }, pl, sizeof(pl));
	tc_ignore(d, in, len);
	len = build(in, &(struct spec){ .dport = 53 }, pl, sizeof(pl));
	tc_ignore(d, in, len);
	len = build(in, &(struct spec){ .frag = IP_MF }, pl, sizeof(pl));
	tc_ignore(d, in, len);
	EXPECT_EQ(send_seq(d, G4), 1);
	expect_counts(d);
	dp_free(d);
}

TEST(tc_drops_what_it_cannot_stamp)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	struct __sk_buff ctx = { .gso_segs = 2, .gso_size = 100 };
	uint8_t pl[256], in[FRAME_MAX], out[FRAME_MAX];
	size_t len, out_len;

	fill(pl, sizeof(pl), 15);
	len = build(in, &(struct spec){ 0 }, pl, 200);
	ASSERT_EQ(run_tc_ctx(d, in, len, out, &out_len, &ctx), TC_ACT_SHOT);
	count(d, G4, GK_DP_V_MALFORMED, len);
	len = build(in, &(struct spec){ .frag = IP_MF }, pl, 64);
	tc_shot(d, in, len, G4, GK_DP_V_FRAGMENT);
	len = build(in, &(struct spec){ .frag = 100 }, pl, 64);
	tc_shot(d, in, len, G4, GK_DP_V_FRAGMENT);
	len = ipv6_ext(in, g6_addr, 44, 0x0001, pl, 64);
	tc_shot(d, in, len, G6, GK_DP_V_FRAGMENT);
	len = ipv6_ext(in, g6_addr, 0, 0, pl, 64);
	tc_shot(d, in, len, G6, GK_DP_V_MALFORMED);
	len = build(in, &(struct spec){ 0 }, pl, 64);
	put16(in + ETH_HLEN + 20 + 4, 73);
	tc_shot(d, in, len, G4, GK_DP_V_MALFORMED);
	EXPECT_EQ(send_seq(d, G4), 1);
	expect_counts(d);
	dp_free(d);
}

TEST(tc_too_big)
{
	struct dp *d = dp_setup(256, GK_DP_GROUP_SEND);
	uint8_t pl[512], in[FRAME_MAX], want[FRAME_MAX];
	size_t len, want_len;

	fill(pl, sizeof(pl), 16);
	len = build(in, &(struct spec){ 0 }, pl, 256);
	want_len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, 256, want);
	tc_stamp(d, in, len, want, want_len, G4);
	len = build(in, &(struct spec){ 0 }, pl, 257);
	tc_shot(d, in, len, G4, GK_DP_V_TOO_BIG);
	len = build(in, &(struct spec){ .ipv6 = 1 }, pl, 257);
	tc_shot(d, in, len, G6, GK_DP_V_TOO_BIG);
	EXPECT_EQ(send_seq(d, G4), 2);
	expect_counts(d);
	dp_free(d);
}

/* Set the MTU of this network namespace's loopback, the device BPF_PROG_TEST_RUN's skb uses. */
static void set_lo_mtu(int mtu)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_GE(fd, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ifr.ifr_mtu = mtu;
	ASSERT_EQ(ioctl(fd, SIOCSIFMTU, &ifr), 0);
	close(fd);
}

TEST(tc_stamped_frame_must_fit_the_mtu)
{
	uint8_t pl[1500], in[FRAME_MAX], want[FRAME_MAX];
	size_t len, want_len, fits = 1000 - 20 - 8 - GK_DP_TRAILER_LEN;
	struct dp *d;

	if (unshare(CLONE_NEWNET))
		SKIP("no private network namespace for a loopback with a small MTU");
	set_lo_mtu(1000);
	d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	fill(pl, sizeof(pl), 17);
	len = build(in, &(struct spec){ 0 }, pl, fits);
	want_len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, fits, want);
	tc_stamp(d, in, len, want, want_len, G4);
	len = build(in, &(struct spec){ 0 }, pl, fits + 1);
	tc_shot(d, in, len, G4, GK_DP_V_TOO_BIG);
	expect_counts(d);
	dp_free(d);
}

/* The doc's tag vectors come out of TC byte for byte. */
TEST(tc_stamps_doc_tag_vectors)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	struct gk_dp_group v2 = { .group_id = G6,
				  .flags = GK_DP_GROUP_SEND,
				  .send_key_id = 0x01020304,
				  .sender_id = 0xdeadbeef };
	struct gk_dp_key k2 = { .k0 = 0x546c00ac0d51f7d4ULL,
				.k1 = 0xc0366370f58f3d1aULL,
				.send_not_after_ns = FAR_FUTURE };
	uint8_t pl[64], in[FRAME_MAX], out[FRAME_MAX], *tr;
	size_t len, out_len, tn;

	/* V1: the default G4 setup (key id 1, sender 7) at seq 1. */
	len = build(in, &(struct spec){ 0 }, (const uint8_t *)"hello", 5);
	ASSERT_EQ(run_tc(d, in, len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, len + GK_DP_TRAILER_LEN);
	tr = gk_test_unhex("0100000000000001000000070000000000000001662633de9d44261f", &tn);
	EXPECT_MEMEQ(out + len, tr, tn);
	free(tr);
	count(d, G4, GK_DP_V_STAMPED, len);
	/* V2: IPv6, its own key id, sender and seq. */
	put_group(d, &d->g6, &v2);
	add_key(d, G6, 0x01020304, &k2);
	set_send(d, G6, 0x0102030405060708ULL, UINT64_MAX);
	for (int i = 0; i < 64; i++)
		pl[i] = (uint8_t)i;
	len = build(in, &(struct spec){ .ipv6 = 1 }, pl, 64);
	ASSERT_EQ(run_tc(d, in, len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, len + GK_DP_TRAILER_LEN);
	tr = gk_test_unhex("0100000001020304deadbeef0102030405060708ad39e6d1290df6e6", &tn);
	EXPECT_MEMEQ(out + len, tr, tn);
	free(tr);
	count(d, G6, GK_DP_V_STAMPED, len);
	expect_counts(d);
	dp_free(d);
}

/*
 * What TC sends, another host's XDP accepts and turns back into what the
 * application sent; the sender's own XDP drops it should it come back.
 */
TEST(tc_then_xdp_round_trip)
{
	static const struct spec specs[] = {
		{ 0 }, { .ipv6 = 1 }, { .zero_csum = 1 }, { .vlan = ETH_P_8021Q, .ihl = 9 }
	};
	struct dp *tx = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND | GK_DP_GROUP_STRIP);
	struct dp *rx = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND | GK_DP_GROUP_STRIP);
	uint8_t pl[FRAME_MAX], in[FRAME_MAX], mid[FRAME_MAX], out[FRAME_MAX];

	/* The receiver is another member: its own sender id is not the sender's. */
	add_group_as(rx, &rx->g4, G4, GK_DP_GROUP_SEND | GK_DP_GROUP_STRIP, SENDER + 1);
	add_group_as(rx, &rx->g6, G6, GK_DP_GROUP_SEND | GK_DP_GROUP_STRIP, SENDER + 1);
	for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		uint32_t group = specs[s].ipv6 ? G6 : G4;

		for (size_t i = 0; i < NLENS; i++) {
			size_t n = payload_lens[i], len, mid_len = 0, out_len = 0;

			fill(pl, n, (unsigned int)(s * 100 + i));
			len = build(in, &specs[s], pl, n);
			ASSERT_EQ(run_tc(tx, in, len, mid, &mid_len), TC_ACT_OK);
			count(tx, group, GK_DP_V_STAMPED, len);
			expect_valid_frame(mid, mid_len, &specs[s]);
			ASSERT_EQ(run_xdp(rx, mid, mid_len, out, &out_len), XDP_PASS);
			count(rx, group, GK_DP_V_PASS, mid_len);
			ASSERT_EQ(out_len, len);
			ASSERT_MEMEQ(out, in, len);
			/* Replayed: the window saw it. */
			ASSERT_EQ(run_xdp(rx, mid, mid_len, out, &out_len), XDP_DROP);
			count(rx, group, GK_DP_V_REPLAY, mid_len);
			/* Reflected back to the sender: its own sender id. */
			ASSERT_EQ(run_xdp(tx, mid, mid_len, out, &out_len), XDP_DROP);
			count(tx, group, GK_DP_V_REPLAY, mid_len);
		}
	}
	expect_counts(tx);
	expect_counts(rx);
	dp_free(tx);
	dp_free(rx);
}

/* Both objects pin their maps by name under one root and share them; a reload reuses them. */
TEST(maps_pinned_by_name_are_shared)
{
	static const char *const names[] = { "gk_groups", "gk_keys",  "gk_replay",
					     "gk_send",	  "gk_stats", "gk_ctl" };
	char root[64], path[128];
	struct gk_xdp *x, *x2;
	struct statfs sfs;
	struct gk_tc *t;
	int err;

	if (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC)
		SKIP("no BPF filesystem at /sys/fs/bpf");
	snprintf(root, sizeof(root), "/sys/fs/bpf/gk-test-dp-%d", (int)getpid());
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = root);
	libbpf_set_print(dp_libbpf_print);
	ASSERT_EQ(mkdir(root, 0700), 0);
	x = gk_xdp__open_opts(&opts);
	t = gk_tc__open_opts(&opts);
	x2 = gk_xdp__open_opts(&opts);
	ASSERT_TRUE(x && t && x2);
	err = gk_xdp__load(x);
	if (err == -EPERM)
		SKIP("loading BPF programs needs root");
	ASSERT_EQ(err, 0);
	ASSERT_EQ(gk_tc__load(t), 0);
	gk_xdp__destroy(x); /* the pins keep the maps alive, as over a daemon restart */
	ASSERT_EQ(gk_xdp__load(x2), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bpf_map_info a = { 0 }, b = { 0 };
		__u32 al = sizeof(a), bl = sizeof(b);

		ASSERT_EQ(bpf_obj_get_info_by_fd(
				  bpf_map__fd(bpf_object__find_map_by_name(t->obj, names[i])), &a,
				  &al),
			  0);
		ASSERT_EQ(bpf_obj_get_info_by_fd(
				  bpf_map__fd(bpf_object__find_map_by_name(x2->obj, names[i])), &b,
				  &bl),
			  0);
		EXPECT_EQ(a.id, b.id);
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		EXPECT_EQ(access(path, F_OK), 0);
		EXPECT_EQ(unlink(path), 0);
	}
	/* The gateway's allow list lives in the TC object only, pinned by name as well. */
	EXPECT_TRUE(bpf_object__find_map_by_name(x2->obj, "gk_allow") == NULL);
	snprintf(path, sizeof(path), "%s/gk_allow", root);
	EXPECT_EQ(access(path, F_OK), 0);
	EXPECT_EQ(unlink(path), 0);
	EXPECT_EQ(rmdir(root), 0);
	gk_tc__destroy(t);
	gk_xdp__destroy(x2);
}

/* --- Gateway: gk_tc_lan_ingress on a LAN port ------------------------------------------- */

/* A gk_allow entry: SEND as gk_dp_allow_add() writes it, or 0 to carve a prefix out. */
static void allow(struct dp *d, uint32_t group, const char *prefix, __u32 flags)
{
	struct gk_dp_allow_key k;

	ASSERT_EQ(gk_dp_allow_key(group, prefix, &k), 0);
	map_update(d->t->maps.gk_allow, &k, sizeof(k), &flags, sizeof(flags));
}

static int run_lan(struct dp *d, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	struct __sk_buff ctx = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = FRAME_MAX, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));

	ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(d->t->progs.gk_tc_lan_ingress), &o), 0);
	*out_len = o.data_size_out;
	return (int)o.retval;
}

static void lan_shot(struct dp *d, const uint8_t *in, size_t len, uint32_t group, uint32_t verdict)
{
	uint8_t out[FRAME_MAX];
	size_t out_len = 0;

	ASSERT_EQ(run_lan(d, in, len, out, &out_len), TC_ACT_SHOT);
	count(d, group, verdict, len);
}

static void lan_ignore(struct dp *d, const uint8_t *in, size_t len)
{
	uint8_t out[FRAME_MAX];
	size_t out_len = 0;

	ASSERT_EQ(run_lan(d, in, len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, len);
	ASSERT_MEMEQ(out, in, len);
}

/* The stamped datagram in f verifies with the userspace reference, and carries n payload bytes. */
static void expect_trailer_verifies(struct dp *d, const uint8_t *f, size_t len,
				    const struct spec *s, size_t n)
{
	size_t l4 = l3_offset(s) + ip_hlen(s), ulen = get16(f + l4 + 4), plen = 0;
	struct gk_dp_window win = { 0 };

	ASSERT_LE(l4 + ulen, len);
	EXPECT_EQ(gk_dp_verify(s->ipv6 ? &d->g6 : &d->g4, &d->key, 0, &win, f + l4 + 8, ulen - 8,
			       &plen),
		  GK_DP_V_PASS);
	EXPECT_EQ(plen, n);
}

/* Plain frames from an allowed source come out as TC egress would stamp them, and verify. */
static void lan_stamps(struct dp *d, const struct spec *s, uint32_t group)
{
	uint8_t pl[FRAME_MAX], in[FRAME_MAX], want[FRAME_MAX], out[FRAME_MAX];
	uint64_t seq0 = send_seq(d, group);

	for (size_t i = 0; i < NLENS; i++) {
		size_t n = payload_lens[i], in_len, want_len, out_len = 0;

		fill(pl, n, (unsigned int)i + 40);
		in_len = build(in, s, pl, n);
		want_len = stamped_seq(d, s, seq0 + i, pl, n, want);
		ASSERT_EQ(run_lan(d, in, in_len, out, &out_len), TC_ACT_OK);
		ASSERT_EQ(out_len, want_len);
		ASSERT_MEMEQ(out, want, want_len);
		expect_valid_frame(out, out_len, s);
		expect_trailer_verifies(d, out, out_len, s, n);
		count(d, group, GK_DP_V_STAMPED, in_len);
	}
	EXPECT_EQ(send_seq(d, group), seq0 + NLENS);
	expect_counts(d);
}

TEST(lan_stamps_allowed_sources)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);

	allow(d, G4, "192.0.2.0/24", GK_DP_ALLOW_SEND);
	allow(d, G6, "2001:db8::/64", GK_DP_ALLOW_SEND);
	lan_stamps(d, &(struct spec){ 0 }, G4);
	lan_stamps(d, &(struct spec){ .zero_csum = 1 }, G4);
	lan_stamps(d, &(struct spec){ .ipv6 = 1 }, G6);
	lan_stamps(d, &(struct spec){ .vlan = ETH_P_8021Q, .ihl = 7 }, G4);
	lan_stamps(d, &(struct spec){ .vlan = ETH_P_8021AD, .ipv6 = 1 }, G6);
	dp_free(d);
}

/*
 * A frame received from Ethernet may carry padding after a short datagram:
 * the trailer goes right after the datagram, the padding moves behind it.
 */
TEST(lan_stamps_behind_ethernet_padding)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	uint8_t pl[8], in[FRAME_MAX], want[FRAME_MAX], out[FRAME_MAX];
	size_t in_len, want_len, out_len = 0;

	allow(d, G4, "192.0.2.1", GK_DP_ALLOW_SEND);
	fill(pl, sizeof(pl), 50);
	in_len = build(in, &(struct spec){ .pad = 14 }, pl, 4); /* 46 bytes padded to 60 */
	ASSERT_EQ(in_len, 60);
	want_len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, 4, want);
	ASSERT_EQ(run_lan(d, in, in_len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, in_len + GK_DP_TRAILER_LEN);
	ASSERT_MEMEQ(out, want, want_len);
	for (size_t i = want_len; i < out_len; i++)
		EXPECT_EQ(out[i], 0);
	expect_trailer_verifies(d, out, want_len, &(struct spec){ 0 }, 4);
	count(d, G4, GK_DP_V_STAMPED, in_len);
	expect_counts(d);
	dp_free(d);
}

TEST(lan_drops_sources_not_allowed)
{
	static const uint8_t other4[16] = { 192, 0, 2, 2 };
	static const uint8_t other6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 1 };
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	uint8_t pl[32], in[FRAME_MAX], want[FRAME_MAX], out[FRAME_MAX];
	size_t len, want_len, out_len;

	fill(pl, sizeof(pl), 51);
	len = build(in, &(struct spec){ 0 }, pl, sizeof(pl));
	/* Nobody allowed; then the source allowed for another group only; then another subnet. */
	lan_shot(d, in, len, G4, GK_DP_V_NOT_ALLOWED);
	allow(d, G6, "192.0.2.0/24", GK_DP_ALLOW_SEND);
	lan_shot(d, in, len, G4, GK_DP_V_NOT_ALLOWED);
	allow(d, G4, "192.0.3.0/24", GK_DP_ALLOW_SEND);
	lan_shot(d, in, len, G4, GK_DP_V_NOT_ALLOWED);
	/* Whatever the parse says, a source that may not send counts as that. */
	len = build(in, &(struct spec){ .frag = IP_MF }, pl, sizeof(pl));
	lan_shot(d, in, len, G4, GK_DP_V_NOT_ALLOWED);
	EXPECT_EQ(send_seq(d, G4), 1);

	/* Its subnet allowed: stamped; a carve-out for the host itself: dropped again. */
	allow(d, G4, "192.0.2.0/24", GK_DP_ALLOW_SEND);
	len = build(in, &(struct spec){ 0 }, pl, sizeof(pl));
	want_len = stamped_seq(d, &(struct spec){ 0 }, 1, pl, sizeof(pl), want);
	ASSERT_EQ(run_lan(d, in, len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, want_len);
	ASSERT_MEMEQ(out, want, want_len);
	count(d, G4, GK_DP_V_STAMPED, len);
	allow(d, G4, "192.0.2.1/32", 0);
	lan_shot(d, in, len, G4, GK_DP_V_NOT_ALLOWED);
	len = build(in, &(struct spec){ .src = other4 }, pl, sizeof(pl));
	ASSERT_EQ(run_lan(d, in, len, out, &out_len), TC_ACT_OK);
	ASSERT_EQ(out_len, len + GK_DP_TRAILER_LEN);
	count(d, G4, GK_DP_V_STAMPED, len);
	/* From an allowed source, the parse's own verdict stands. */
	len = build(in, &(struct spec){ .src = other4, .frag = IP_MF }, pl, sizeof(pl));
	lan_shot(d, in, len, G4, GK_DP_V_FRAGMENT);
	EXPECT_EQ(send_seq(d, G4), 3);

	/* IPv6: an IPv4 entry admits no IPv6 source, nor does a neighbouring /64. */
	len = build(in, &(struct spec){ .ipv6 = 1 }, pl, sizeof(pl));
	lan_shot(d, in, len, G6, GK_DP_V_NOT_ALLOWED);
	allow(d, G6, "2001:db8:0:1::/64", GK_DP_ALLOW_SEND);
	lan_shot(d, in, len, G6, GK_DP_V_NOT_ALLOWED);
	len = build(in, &(struct spec){ .ipv6 = 1, .src = other6 }, pl, sizeof(pl));
	ASSERT_EQ(run_lan(d, in, len, out, &out_len), TC_ACT_OK);
	count(d, G6, GK_DP_V_STAMPED, len);
	EXPECT_EQ(send_seq(d, G6), 2);
	expect_counts(d);
	dp_free(d);
}

TEST(lan_no_send_key)
{
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	uint8_t pl[16], in[FRAME_MAX];
	struct gk_dp_key k = d->key;
	struct timespec now;
	size_t len;

	ASSERT_EQ(clock_gettime(CLOCK_TAI, &now), 0);
	allow(d, G4, "0.0.0.0/0", GK_DP_ALLOW_SEND);
	allow(d, G6, "::/0", GK_DP_ALLOW_SEND);
	fill(pl, sizeof(pl), 52);
	len = build(in, &(struct spec){ 0 }, pl, sizeof(pl));
	k.send_not_after_ns = (uint64_t)now.tv_sec * 1000000000ULL - 1;
	add_key(d, G4, KEY_ID, &k);
	lan_shot(d, in, len, G4, GK_DP_V_NO_SEND_KEY);
	del_key(d, G4, KEY_ID);
	lan_shot(d, in, len, G4, GK_DP_V_NO_SEND_KEY);
	del_key(d, G6, KEY_ID);
	len = build(in, &(struct spec){ .ipv6 = 1 }, pl, sizeof(pl));
	lan_shot(d, in, len, G6, GK_DP_V_NO_SEND_KEY);
	EXPECT_EQ(send_seq(d, G4), 1);
	EXPECT_EQ(send_seq(d, G6), 1);
	expect_counts(d);
	dp_free(d);
}

/* Non-group traffic, and traffic of groups the gateway does not send to, passes as it came. */
TEST(lan_passes_other_traffic_untouched)
{
	static const uint8_t other4[16] = { 239, 1, 2, 4 };
	struct dp *d = dp_setup(GK_DP_MAX_PAYLOAD, GK_DP_GROUP_SEND);
	uint8_t pl[32], in[FRAME_MAX];
	size_t len;

	fill(pl, sizeof(pl), 53);
	len = build(in, &(struct spec){ .dst = other4 }, pl, sizeof(pl));
	lan_ignore(d, in, len);
	len = build(in, &(struct spec){ .dport = 53 }, pl, sizeof(pl));
	lan_ignore(d, in, len);
	len = build(in, &(struct spec){ .proto = PROTO_TCP }, pl, sizeof(pl));
	lan_ignore(d, in, len);
	len = build(in, &(struct spec){ .ipv6 = 1, .dport = 53 }, pl, sizeof(pl));
	lan_ignore(d, in, len);
	/* A receive-only group: nothing to stamp with, nothing to refuse. */
	add_group(d, &d->g4, G4, GK_DP_GROUP_STRIP);
	len = build(in, &(struct spec){ 0 }, pl, sizeof(pl));
	lan_ignore(d, in, len);
	EXPECT_EQ(send_seq(d, G4), 1);
	expect_counts(d);
	dp_free(d);
}

/* --- Capabilities ---------------------------------------------------------------------- */

/* Keep only CAP_BPF and CAP_NET_ADMIN, as groupkeyd.service grants them. */
static void drop_to_bpf_and_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2] = { { 0 } };

	c[0].effective = c[0].permitted = 1u << CAP_NET_ADMIN;
	c[1].effective = c[1].permitted = 1u << (CAP_BPF - 32);
	ASSERT_EQ(syscall(SYS_capset, &h, c), 0);
}

/* An XDP program that moves a packet pointer by a register: what needs CAP_PERFMON. */
static int load_pointer_arithmetic(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4, .imm = ETH_HLEN },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 2, .src_reg = 4 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "gk_ptr_arith", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * What the hardened unit gives groupkeyd: the verifier withholds the
 * pointer tricks it allows CAP_PERFMON (the control shows this process
 * lacks it), and all three programs load regardless.
 */
TEST(programs_load_with_cap_bpf_and_cap_net_admin_only)
{
	struct dp *d;

	if (geteuid() != 0 || load_pointer_arithmetic())
		SKIP("loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)");
	drop_to_bpf_and_net_admin();
	ASSERT_EQ(load_pointer_arithmetic(), -EACCES);
	d = dp_load(GK_DP_MAX_PAYLOAD);
	EXPECT_GE(bpf_program__fd(d->x->progs.gk_xdp_ingress), 0);
	EXPECT_GE(bpf_program__fd(d->t->progs.gk_tc_egress), 0);
	EXPECT_GE(bpf_program__fd(d->t->progs.gk_tc_lan_ingress), 0);
	dp_free(d);
}
