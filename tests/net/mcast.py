#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Plain UDP multicast sender and receiver for the namespace tests and the demo: the sockets an
# application without any groupkeyd code would use, IPv4 or IPv6 (by the group's address).
#
#   mcast.py send GROUP PORT --iface IF [--ttl N] MSG...
#   mcast.py recv GROUP PORT --iface IF [--timeout S] [--count N] [--ready FILE]
#
# send: one datagram per MSG, out of interface IF.
# recv: joins GROUP on IF, then prints every datagram's payload on a line of its own (flushed
# at once) until none came for S seconds (default 2) or N have come. FILE is created once the
# socket has joined, so a sender started after it appears cannot be missed.
import argparse
import socket
import struct
import sys


def family(group):
    return socket.AF_INET6 if ":" in group else socket.AF_INET


def ip_mreqn(group, ifindex):
    # struct ip_mreqn: multiaddr, address (any: the interface decides), ifindex
    return struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"), ifindex)


def send(args):
    fam = family(args.group)
    idx = socket.if_nametoindex(args.iface)
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, args.ttl)
        else:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, ip_mreqn("0.0.0.0", idx))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, args.ttl)
        for m in args.msg:
            s.sendto(m.encode(), (args.group, args.port))


def recv(args):
    fam = family(args.group)
    idx = socket.if_nametoindex(args.iface)
    out = sys.stdout.buffer
    n = 0
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", args.port))
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                         socket.inet_pton(fam, args.group) + struct.pack("@I", idx))
        else:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, ip_mreqn(args.group, idx))
        s.settimeout(args.timeout)
        if args.ready:
            open(args.ready, "w").close()
        while args.count is None or n < args.count:
            try:
                data = s.recv(65535)
            except socket.timeout:
                break
            out.write(data + b"\n")
            out.flush()
            n += 1


def main():
    p = argparse.ArgumentParser(description="plain UDP multicast send/receive")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, fn in (("send", send), ("recv", recv)):
        c = sub.add_parser(name)
        c.set_defaults(fn=fn)
        c.add_argument("group", help="IPv4 or IPv6 multicast address")
        c.add_argument("port", type=int)
        c.add_argument("--iface", required=True, help="interface name")
    c = sub.choices["send"]
    c.add_argument("--ttl", type=int, default=1, help="IPv4 TTL / IPv6 hop limit (default 1)")
    c.add_argument("msg", nargs="+", help="one datagram each")
    c = sub.choices["recv"]
    c.add_argument("--timeout", type=float, default=2.0,
                   help="stop after this many seconds without a datagram (default 2)")
    c.add_argument("--count", type=int, help="stop after this many datagrams")
    c.add_argument("--ready", help="file to create once the group is joined")
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
