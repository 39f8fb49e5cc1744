// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for bpf/probe.bpf.c: load the skeleton, run crafted frames with BPF_PROG_TEST_RUN. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "groupkey/probe.h"
#include "harness.h"
#include "probe.skel.h"

#define PROBE_PORT 5683
#define OTHER_PORT 5684
#define IP_NOP_OPTION 0x01
#define IP_FLAG_MF 0x2000

struct frame {
	uint8_t b[128];
	size_t len;
};

/* Only warnings reach the TAP stream, each line a "# " diagnostic so it cannot read as a result. */
__attribute__((format(printf, 2, 0))) static int probe_libbpf_print(enum libbpf_print_level level,
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

/* Opens the skeleton, sets the port the verifier will see as a constant, loads. */
static struct probe *probe_load_port(uint16_t port)
{
	struct probe *skel;
	int err;

	libbpf_set_print(probe_libbpf_print);
	skel = probe__open();
	if (!skel)
		GK_FAIL_(1, "probe__open: %s", strerror(errno));
	skel->rodata->probe_port = port;
	err = probe__load(skel);
	if (err == -EPERM) {
		probe__destroy(skel);
		SKIP("loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)");
	}
	ASSERT_EQ(err, 0);
	return skel;
}

/*
 * Ethernet + IPv4 header of ihl 32-bit words (any options are NOPs) + UDP to
 * dport + 8 payload bytes. The program ignores checksums, so they stay zero.
 */
static void frame_udp(struct frame *f, unsigned int ihl, uint16_t frag_off, uint16_t dport)
{
	static const uint8_t dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct ethhdr eth = { .h_proto = htons(ETH_P_IP) };
	struct udphdr udp = { .source = htons(40000), .dest = htons(dport) };
	struct iphdr iph = { .version = 4, .ihl = ihl & 0xf, .ttl = 64, .protocol = IPPROTO_UDP };
	size_t iplen = (size_t)ihl * 4, off = 0;

	ASSERT_LE(sizeof(eth) + iplen + sizeof(udp) + 8, sizeof(f->b));
	memcpy(eth.h_dest, dst, sizeof(dst));
	memcpy(eth.h_source, src, sizeof(src));
	iph.tot_len = htons((uint16_t)(iplen + sizeof(udp) + 8));
	iph.frag_off = htons(frag_off);
	iph.saddr = htonl(0x0a000001);
	iph.daddr = htonl(0x0a000002);
	udp.len = htons((uint16_t)(sizeof(udp) + 8));

	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, &eth, sizeof(eth));
	off += sizeof(eth);
	memcpy(f->b + off, &iph, sizeof(iph));
	memset(f->b + off + sizeof(iph), IP_NOP_OPTION, iplen - sizeof(iph));
	off += iplen;
	memcpy(f->b + off, &udp, sizeof(udp));
	off += sizeof(udp);
	memcpy(f->b + off, "gkprobe!", 8);
	f->len = off + 8;
}

/* One BPF_PROG_TEST_RUN of the frame, repeat times: must pass it through unchanged. */
static void run_frame(struct probe *skel, const struct frame *f, unsigned int repeat)
{
	uint8_t out[sizeof(f->b)] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (__u32)f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.probe_xdp), &opts);
	ASSERT_EQ(err, 0);
	ASSERT_EQ(opts.retval, XDP_PASS);
	ASSERT_EQ(opts.data_size_out, f->len);
	ASSERT_MEMEQ(out, f->b, f->len);
}

/* Per-CPU slots summed over every possible CPU, compared with the exact expected totals. */
static void expect_counts(struct probe *skel, uint64_t all, uint64_t udp, uint64_t port)
{
	const uint64_t want[GK_PROBE_NR] = { all, udp, port };
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	ASSERT_GT(ncpu, 0);
	vals = calloc((size_t)ncpu, sizeof(*vals));
	ASSERT_TRUE(vals);
	for (__u32 k = 0; k < GK_PROBE_NR; k++) {
		uint64_t sum = 0;
		int err;

		err = bpf_map__lookup_elem(skel->maps.probe_counters, &k, sizeof(k), vals,
					   (size_t)ncpu * sizeof(*vals), 0);
		ASSERT_EQ(err, 0);
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		if (sum != want[k])
			TH_LOG("class %u: %" PRIu64 " frames, expected %" PRIu64, k, sum, want[k]);
		EXPECT_EQ(sum, want[k]);
	}
	free(vals);
}

TEST(port_is_frozen_into_rodata)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	__u32 zero = 0;
	uint16_t val = 1;
	int err;

	ASSERT_EQ(skel->rodata->probe_port, PROBE_PORT);
	/* Frozen: user space cannot change what the verifier already treated as a constant. */
	err = bpf_map__update_elem(skel->maps.rodata, &zero, sizeof(zero), &val, sizeof(val), 0);
	ASSERT_EQ(err, -EPERM);
	expect_counts(skel, 0, 0, 0);
	probe__destroy(skel);
}

TEST(udp_to_probe_port_counts_in_every_class)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	struct frame f;

	frame_udp(&f, 5, 0, PROBE_PORT);
	run_frame(skel, &f, 1);
	expect_counts(skel, 1, 1, 1);
	probe__destroy(skel);
}

TEST(udp_to_other_port_skips_port_class)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	struct frame f;

	frame_udp(&f, 5, 0, OTHER_PORT);
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, 0, (uint16_t)(PROBE_PORT << 8 | PROBE_PORT >> 8));
	run_frame(skel, &f, 1);
	expect_counts(skel, 2, 2, 0);
	probe__destroy(skel);
}

TEST(runt_frames_count_only_in_all)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	struct frame f;

	frame_udp(&f, 5, 0, PROBE_PORT);
	f.len = ETH_HLEN; /* the shortest frame BPF_PROG_TEST_RUN accepts */
	run_frame(skel, &f, 1);
	f.len = ETH_HLEN + sizeof(struct iphdr) - 1;
	run_frame(skel, &f, 1);
	f.len = ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) - 1;
	run_frame(skel, &f, 1);
	/* Options push the UDP header past the end of a frame that would hold it without them. */
	frame_udp(&f, 15, 0, PROBE_PORT);
	f.len = ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr);
	run_frame(skel, &f, 1);
	expect_counts(skel, 4, 0, 0);
	probe__destroy(skel);
}

TEST(ip_options_move_the_udp_header)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	struct frame f;

	/* A parser that ignored ihl would read the NOP options (port 257) as the UDP ports. */
	frame_udp(&f, 6, 0, PROBE_PORT);
	run_frame(skel, &f, 1);
	frame_udp(&f, 15, 0, PROBE_PORT);
	run_frame(skel, &f, 1);
	expect_counts(skel, 2, 2, 2);
	probe__destroy(skel);
}

TEST(only_first_fragment_has_udp_header)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	struct frame f;

	frame_udp(&f, 5, IP_FLAG_MF, PROBE_PORT);
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, IP_FLAG_MF | 185, PROBE_PORT);
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, 1, PROBE_PORT);
	run_frame(skel, &f, 1);
	expect_counts(skel, 3, 1, 1);
	probe__destroy(skel);
}

TEST(non_udp_and_non_ipv4_count_only_in_all)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	struct frame f;

	frame_udp(&f, 5, 0, PROBE_PORT);
	f.b[ETH_HLEN + offsetof(struct iphdr, protocol)] = IPPROTO_TCP;
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, 0, PROBE_PORT);
	f.b[ETH_HLEN] = 0x65; /* version 6 behind an IPv4 EtherType */
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, 0, PROBE_PORT);
	f.b[ETH_HLEN] = 0x44; /* ihl 4: shorter than the fixed header */
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, 0, PROBE_PORT);
	f.b[12] = ETH_P_IPV6 >> 8;
	f.b[13] = ETH_P_IPV6 & 0xff;
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, 0, PROBE_PORT);
	f.b[12] = ETH_P_ARP >> 8;
	f.b[13] = ETH_P_ARP & 0xff;
	run_frame(skel, &f, 1);
	expect_counts(skel, 5, 0, 0);
	probe__destroy(skel);
}

TEST(port_zero_disables_port_class)
{
	struct probe *skel = probe_load_port(0);
	struct frame f;

	frame_udp(&f, 5, 0, 0);
	run_frame(skel, &f, 1);
	frame_udp(&f, 5, 0, PROBE_PORT);
	run_frame(skel, &f, 1);
	expect_counts(skel, 2, 2, 0);
	probe__destroy(skel);
}

TEST(repeat_counts_every_run)
{
	struct probe *skel = probe_load_port(PROBE_PORT);
	struct frame f;

	frame_udp(&f, 5, 0, PROBE_PORT);
	run_frame(skel, &f, 1000);
	frame_udp(&f, 5, 0, OTHER_PORT);
	run_frame(skel, &f, 7);
	f.len = ETH_HLEN;
	run_frame(skel, &f, 3);
	expect_counts(skel, 1010, 1007, 1000);
	probe__destroy(skel);
}
