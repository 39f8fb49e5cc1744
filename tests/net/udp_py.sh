# SPDX-License-Identifier: BSD-3-Clause
# Python snippets shared by the data-plane tests that check payloads byte for byte
# (dp_checksum.sh, dp_gateway_bpf.sh); sourced, run as "$PY" -c "$SEND_PY" ...

# payload(TAG, N): N bytes, distinct per tag and length.
PAYLOAD_PY='
def payload(tag, n):
    unit = ("%s-%d-" % (tag, n)).encode()
    return (unit * (n // len(unit) + 1))[:n]
'

# SENDER: MODE (v4 | v4nocsum | v6) SRC DST PORT TAG LENS; SRC "-" leaves the source to routing.
SEND_PY="$PAYLOAD_PY"'
import socket, sys
mode, src, dst, port, tag, lens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), \
    sys.argv[5], sys.argv[6]
s = socket.socket(socket.AF_INET6 if mode == "v6" else socket.AF_INET, socket.SOCK_DGRAM)
if mode == "v4nocsum":
    s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK: UDP checksum 0
if src != "-":
    s.bind((src, 0))
for n in lens.split(","):
    s.sendto(payload(tag, int(n)), (dst, port))
'

# RECEIVER: PORT4 PORT6 TIMEOUT EXPECT... (EXPECT = TAG:LENS); prints what arrived and what not.
RECV_PY="$PAYLOAD_PY"'
import select, socket, sys, time
p4, p6, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
want = {}
for spec in sys.argv[4:]:
    tag, lens = spec.split(":")
    for n in lens.split(","):
        want[payload(tag, int(n))] = want.get(payload(tag, int(n)), 0) + 1
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.bind(("0.0.0.0", p4))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s6.bind(("::", p6))
print("bound", flush=True)
end, got, unexpected = time.monotonic() + timeout, 0, []
while sum(want.values()) and time.monotonic() < end:
    for s in select.select([s4, s6], [], [], max(0, end - time.monotonic()))[0]:
        data = s.recv(65536)
        if want.get(data):
            want[data] -= 1
            got += 1
        else:
            unexpected.append(data[:40])
missing = [p[:24] for p, c in want.items() for _ in range(c)]
print("received %d, missing %d %r, unexpected %d %r" % (got, len(missing), missing,
      len(unexpected), unexpected))
sys.exit(1 if missing or unexpected else 0)
'
