// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Toolchain probe: an XDP program that counts frames per class in a per-CPU array, passes all. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "groupkey/probe.h"

/* Fragment offset bits of iphdr.frag_off; the kernel's IP_OFFSET is not in the uapi headers. */
#define PROBE_IP_OFFSET 0x1fff

/*
 * UDP destination port (host byte order) counted in GK_PROBE_UDP_PORT. The
 * loader writes it into .rodata before load, so the verifier sees a constant;
 * 0, the value when nothing sets it (ip link ... xdp obj), disables the class.
 */
const volatile __u16 probe_port = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GK_PROBE_NR);
	__type(key, __u32);
	__type(value, __u64);
} probe_counters SEC(".maps");

/* Per-CPU slot: no other CPU writes it, so a plain increment is exact. */
static __always_inline void probe_count(__u32 class)
{
	__u64 *slot = bpf_map_lookup_elem(&probe_counters, &class);

	if (slot)
		*slot += 1;
}

SEC("xdp")
int probe_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	struct iphdr *ip;

	probe_count(GK_PROBE_ALL);
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	/* Only the first fragment carries the UDP header; later ones hold payload there. */
	if (ip->frag_off & bpf_htons(PROBE_IP_OFFSET))
		return XDP_PASS;
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	probe_count(GK_PROBE_IPV4_UDP);
	if (probe_port && udp->dest == bpf_htons(probe_port))
		probe_count(GK_PROBE_UDP_PORT);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
