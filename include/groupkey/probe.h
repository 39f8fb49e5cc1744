/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter slots of the toolchain-probe XDP program, shared by bpf/probe.bpf.c and its tests. */
#ifndef GROUPKEY_PROBE_H
#define GROUPKEY_PROBE_H

/*
 * Index into the per-CPU array probe_counters. The classes nest: every
 * frame counts in GK_PROBE_ALL, an IPv4 UDP datagram with a complete UDP
 * header also in GK_PROBE_IPV4_UDP, and one whose destination port is the
 * probe_port set before load also in GK_PROBE_UDP_PORT. tests/net/probe_xdp.sh
 * reads the slots by number, so keep these values stable.
 */
enum gk_probe_class {
	GK_PROBE_ALL = 0,
	GK_PROBE_IPV4_UDP = 1,
	GK_PROBE_UDP_PORT = 2,
	GK_PROBE_NR,
};

#endif
