// SPDX-License-Identifier: BSD-3-Clause
/* Helper of scripts/bench-dataplane: in-kernel traffic generator, userspace receiver, XDP_DROP. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "groupkey/dp.h"
#include "groupkey/dptag.h"
#include "groupkey/util.h"

#define BENCH_SPORT 40000
#define BENCH_BATCH 64
#define BENCH_FRAME_MAX (GEN_PAYLOAD + GK_DP_MAX_PAYLOAD + GK_DP_TRAILER_LEN)
#define GEN_PAYLOAD (ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr))
#define GEN_REPEAT (1 << 16)
/*
 * Frames per flush: the kernel's default, as xdp-trafficgen uses it. Each
 * flush schedules the receiving veth's NAPI on this CPU, and it runs as soon
 * as the batch re-enables bottom halves: the 256-entry ring never overflows
 * and pages recycle on the CPU that owns their pool.
 */
#define GEN_BATCH 64

#define GEN_HDR_LEN 28
#define GEN_SEQTAG_OFF 12

/* Must match struct gk_bench_cfg in gk_bench.bpf.c. */
struct bench_cfg {
	uint64_t k0, k1;
	uint64_t seq;
	uint32_t stamp;
	uint32_t plen;
	uint32_t at_source;
	uint32_t pad;
	uint8_t hdr[GEN_HDR_LEN];
	uint16_t seqtag[8];
};

struct bench_args {
	const char *ifname, *obj, *name, *hex, *group, *src;
	uint32_t key_id, sender;
	int payload, cpu;
	double seconds;
	uint16_t port;
	bool stamp, bad_tag, at_source;
};

static void usage(void)
{
	fprintf(stderr,
		"Usage: gk_bench gen --obj OBJ --ifname IF --payload N --group-key HEX --name G\n"
		"                    --key-id K [--stamp] [--bad-tag] [--at-source] [--seconds S]\n"
		"                    [--cpu C]\n"
		"       gk_bench rx --ifname IF --group-key HEX --name G --key-id K [--seconds S]\n"
		"       gk_bench drop --obj OBJ --ifname IF\n"
		"common: [--group ADDR (239.77.0.1)] [--port P (5000)] [--src ADDR (10.77.0.1)]\n"
		"        [--sender ID (1)]\n");
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "gk_bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

/* This thread's time on a CPU, softirq work done in its context included (schedstat). */
static uint64_t task_ns(void)
{
	unsigned long long ns = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "gk_bench: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

static int bench_key(const struct bench_args *a, struct gk_dp_key *key, struct gk_dp_group_key *g)
{
	struct in_addr grp;
	uint8_t *k;
	size_t len;
	int err;

	if (!a->hex || !a->name || inet_pton(AF_INET, a->group, &grp) != 1)
		return -EINVAL;
	err = gk_hex_decode(a->hex, strlen(a->hex), &k, &len);
	if (err)
		return err;
	memset(key, 0, sizeof(*key));
	err = gk_dp_derive_key(k, len, a->name, a->key_id, key);
	free(k);
	key->recv_not_after_ns = UINT64_MAX;
	key->send_not_after_ns = UINT64_MAX;
	gk_dp_group_ipv4(g, &grp, a->port);
	return err;
}

/* Ones-complement sum of big-endian 16-bit words (an odd last byte padded), not folded. */
static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < len ? p[i + 1] : 0));
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The UDP checksum over the IPv4 pseudo-header; 0 when the frame's checksum verifies. */
static uint16_t udp4_csum(const struct iphdr *ip, const struct udphdr *udp)
{
	uint8_t ph[12] = { 0 };

	memcpy(ph, &ip->saddr, 4);
	memcpy(ph + 4, &ip->daddr, 4);
	ph[9] = IPPROTO_UDP;
	memcpy(ph + 10, &udp->len, 2);
	return csum_fold(csum_add(csum_add(0, ph, sizeof(ph)), udp, ntohs(udp->len)));
}

static int if_mac(const char *ifname, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

/*
 * Ethernet to the group's multicast MAC, IPv4 (TTL 1), UDP with its
 * checksum, a payload and a trailer stamped by the userspace reference, seq 0.
 */
static int build_frame(const struct bench_args *a, const struct gk_dp_key *key,
		       const struct gk_dp_group_key *g, uint8_t *f, size_t *len)
{
	struct gk_dp_meta meta = { .key_id = a->key_id, .sender_id = a->sender };
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	uint8_t *payload = (uint8_t *)(udp + 1);
	size_t dlen;
	int err;

	memset(f, 0, BENCH_FRAME_MAX);
	err = if_mac(a->ifname, eth->h_source);
	if (err)
		return err;
	memcpy(eth->h_dest, (const uint8_t[]){ 0x01, 0x00, 0x5e }, 3);
	memcpy(eth->h_dest + 3, &g->addr[13], 3);
	eth->h_dest[3] &= 0x7f;
	eth->h_proto = htons(ETH_P_IP);
	for (int i = 0; i < a->payload; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	err = gk_dp_stamp(key, g, &meta, payload, (size_t)a->payload,
			  GK_DP_MAX_PAYLOAD + GK_DP_TRAILER_LEN, &dlen);
	if (err)
		return err;
	if (a->bad_tag)
		payload[dlen - 1] ^= 0x5a;
	udp->source = htons(BENCH_SPORT);
	udp->dest = htons(a->port);
	udp->len = htons((uint16_t)(sizeof(*udp) + dlen));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 1;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + sizeof(*udp) + dlen));
	if (inet_pton(AF_INET, a->src, &ip->saddr) != 1)
		return -EINVAL;
	memcpy(&ip->daddr, &g->addr[12], 4);
	ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));
	udp->check = udp4_csum(ip, udp) ?: 0xffff;
	*len = GEN_PAYLOAD + dlen;
	return 0;
}

static struct bpf_program *find_prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p)
		fprintf(stderr, "gk_bench: no program %s in %s\n", name, bpf_object__name(obj));
	return p;
}

/* One frame through the generator (not live): it must verify with the reference, twice. */
static int gen_selfcheck(int prog_fd, const uint8_t *f, size_t len, const struct gk_dp_key *key,
			 const struct gk_dp_group_key *g, __u32 verdict)
{
	struct gk_dp_window win = { 0 };
	static uint8_t out[BENCH_FRAME_MAX];
	size_t plen;
	int v;

	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -errno;
		if (o.retval != verdict || o.data_size_out != len ||
		    udp4_csum((void *)(out + ETH_HLEN),
			      (void *)(out + ETH_HLEN + sizeof(struct iphdr)))) {
			fprintf(stderr, "gk_bench: generated frame %d: wrong length or checksum\n",
				i);
			return -EPROTO;
		}
		v = gk_dp_verify(g, key, now_ns(CLOCK_TAI), &win, out + GEN_PAYLOAD,
				 len - GEN_PAYLOAD, &plen);
		if (v != GK_DP_V_PASS) {
			fprintf(stderr, "gk_bench: generated frame %d: verdict %s\n", i,
				gk_dp_verdict_name((enum gk_dp_verdict)v));
			return -EPROTO;
		}
	}
	return 0;
}

static int gen_run(int prog_fd, const uint8_t *f, size_t len, int ifindex, double seconds,
		   uint64_t *sent)
{
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = (__u32)ifindex };
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);

	*sent = 0;
	while (now_ns(CLOCK_MONOTONIC) < end) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = GEN_REPEAT,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = GEN_BATCH);

		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -errno;
		*sent += GEN_REPEAT;
	}
	return 0;
}

static int cmd_gen(const struct bench_args *a)
{
	static uint8_t frame[BENCH_FRAME_MAX];
	struct bench_cfg cfg = { 0 };
	struct gk_dp_group_key g;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct gk_dp_key key;
	uint64_t sent;
	size_t len;
	__u32 zero = 0;
	int ifindex, err;

	if (a->payload < 0 || a->payload % 8 || a->payload > GK_DP_MAX_PAYLOAD)
		return fail("--payload must be a multiple of 8 up to 8192", EINVAL);
	ifindex = (int)if_nametoindex(a->ifname);
	if (!ifindex)
		return fail(a->ifname, errno);
	err = bench_key(a, &key, &g);
	if (!err)
		err = build_frame(a, &key, &g, frame, &len);
	if (err)
		return fail("building the frame", err);
	obj = bpf_object__open_file(a->obj, NULL);
	if (!obj)
		return fail(a->obj, errno);
	err = bpf_object__load(obj);
	prog = err ? NULL : find_prog(obj, "gk_bench_gen");
	if (!prog) {
		bpf_object__close(obj);
		return fail("loading the generator", err ? err : ENOENT);
	}
	cfg.k0 = key.k0;
	cfg.k1 = key.k1;
	cfg.seq = 1;
	cfg.stamp = a->stamp;
	cfg.at_source = a->at_source;
	cfg.plen = (uint32_t)a->payload;
	memcpy(cfg.hdr, frame + ETH_HLEN, GEN_HDR_LEN);
	memcpy(cfg.seqtag, frame + len - GK_DP_TRAILER_LEN + GEN_SEQTAG_OFF, sizeof(cfg.seqtag));
	err = bpf_map__update_elem(bpf_object__find_map_by_name(obj, "gk_bench_cfg"), &zero,
				   sizeof(zero), &cfg, sizeof(cfg), 0);
	if (!err && a->stamp)
		err = gen_selfcheck(bpf_program__fd(prog), frame, len, &key, &g,
				    a->at_source ? XDP_DROP : XDP_TX);
	pin_cpu(a->cpu);
	if (!err)
		err = gen_run(bpf_program__fd(prog), frame, len, ifindex, a->seconds, &sent);
	bpf_object__close(obj);
	if (err)
		return fail("generator", err);
	printf("sent %" PRIu64 " frames of %zu bytes cpu_ns %" PRIu64 "\n", sent, len, task_ns());
	return 0;
}

/* Blocks SIGINT/SIGTERM so the loops can poll for them without a handler. */
static void block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static bool stop_requested(const sigset_t *set)
{
	struct timespec zero = { 0 };

	return sigtimedwait(set, NULL, &zero) > 0;
}

static int rx_socket(const struct bench_args *a, int ifindex)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port) };
	struct timeval tv = { .tv_usec = 100000 };
	struct ip_mreqn mr = { .imr_ifindex = ifindex };
	int fd, one = 1, buf = 8 << 20;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, a->group, &sa.sin_addr);
	mr.imr_multiaddr = sa.sin_addr;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

/*
 * The userspace alternative to XDP: recvmmsg() batches, each datagram
 * checked with the reference verifier (key, expiry, tag, replay window).
 */
static int cmd_rx(const struct bench_args *a)
{
	static uint8_t bufs[BENCH_BATCH][GK_DP_MAX_PAYLOAD + GK_DP_TRAILER_LEN];
	struct mmsghdr msgs[BENCH_BATCH];
	struct iovec iov[BENCH_BATCH];
	struct gk_dp_window win = { 0 };
	uint64_t got = 0, valid = 0, end;
	struct gk_dp_group_key g;
	struct gk_dp_key key;
	sigset_t stop;
	size_t plen;
	int fd, n, err;

	err = bench_key(a, &key, &g);
	if (err)
		return fail("key", err);
	fd = rx_socket(a, (int)if_nametoindex(a->ifname));
	if (fd < 0)
		return fail("socket", fd);
	block_stop_signals(&stop);
	pin_cpu(a->cpu);
	printf("ready\n");
	fflush(stdout);
	end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(a->seconds * 1e9);
	while (!stop_requested(&stop) && now_ns(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < BENCH_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
								 .msg_iovlen = 1 } };
		}
		n = recvmmsg(fd, msgs, BENCH_BATCH, 0, NULL);
		if (n <= 0)
			continue;
		got += (uint64_t)n;
		for (int i = 0; i < n; i++)
			valid += gk_dp_verify(&g, &key, now_ns(CLOCK_TAI), &win, bufs[i],
					      msgs[i].msg_len, &plen) == GK_DP_V_PASS;
	}
	close(fd);
	printf("received %" PRIu64 " valid %" PRIu64 " cpu_ns %" PRIu64 "\n", got, valid, cpu_ns());
	return 0;
}

static int cmd_drop(const struct bench_args *a)
{
	struct bpf_object *obj = bpf_object__open_file(a->obj, NULL);
	struct bpf_program *prog;
	int err, ifindex = (int)if_nametoindex(a->ifname);

	if (!obj)
		return fail(a->obj, errno);
	err = bpf_object__load(obj);
	prog = err ? NULL : find_prog(obj, "gk_bench_drop");
	if (prog)
		err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL);
	bpf_object__close(obj);
	return err || !prog ? fail("attaching XDP_DROP", err ? err : ENOENT) : 0;
}

static int parse(int argc, char **argv, struct bench_args *a)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "obj", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "group-key", required_argument, NULL, 'K' },
		{ "key-id", required_argument, NULL, 'k' },
		{ "sender", required_argument, NULL, 's' },
		{ "payload", required_argument, NULL, 'l' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ "stamp", no_argument, NULL, 'S' },
		{ "bad-tag", no_argument, NULL, 'B' },
		{ "at-source", no_argument, NULL, 'A' },
		{ "group", required_argument, NULL, 'g' },
		{ "port", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 'r' },
		{ 0 },
	};
	int c;

	*a = (struct bench_args){ .group = "239.77.0.1",
				  .src = "10.77.0.1",
				  .port = 5000,
				  .sender = 1,
				  .cpu = -1,
				  .seconds = 2 };
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			a->ifname = optarg;
			break;
		case 'o':
			a->obj = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'K':
			a->hex = optarg;
			break;
		case 'k':
			a->key_id = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			a->sender = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			a->payload = atoi(optarg);
			break;
		case 'c':
			a->cpu = atoi(optarg);
			break;
		case 't':
			a->seconds = atof(optarg);
			break;
		case 'S':
			a->stamp = true;
			break;
		case 'B':
			a->bad_tag = true;
			break;
		case 'A':
			a->at_source = true;
			break;
		case 'g':
			a->group = optarg;
			break;
		case 'p':
			a->port = (uint16_t)atoi(optarg);
			break;
		case 'r':
			a->src = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	return a->ifname ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct bench_args a;

	if (argc < 2 || parse(argc, argv, &a)) {
		usage();
		return 2;
	}
	if (!strcmp(argv[1], "gen") && a.obj)
		return cmd_gen(&a);
	if (!strcmp(argv[1], "rx"))
		return cmd_rx(&a);
	if (!strcmp(argv[1], "drop") && a.obj)
		return cmd_drop(&a);
	usage();
	return 2;
}
