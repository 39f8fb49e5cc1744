#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian 12 packages that building, testing and the demo need.
# Idempotent: when every package is already installed it makes no apt call.
set -eu

# Build: compiler, BPF toolchain, libraries.
BUILD_PKGS="gcc make pkg-config clang llvm libclang-rt-14-dev clang-format
	libbpf-dev bpftool libcbor-dev libmbedtls-dev nettle-dev libgmp-dev libcoap3-dev
	libnl-3-dev libnl-route-3-dev libsqlite3-dev libsystemd-dev libinih-dev
	libjansson-dev"
# Tests and demo: namespaces, packet tools, independent CBOR/COSE/CoAP peers, and smcroute for
# the routed gateway (kernel multicast routes, set by a tool nobody here wrote).
TEST_PKGS="iproute2 nftables ethtool python3 python3-cbor2 python3-cryptography
	python3-scapy libcoap3-bin procps smcroute"
# Packages and their tests (make deb rpm check-packages): builders, checkers, man pages, a root to
# install into, the tracer behind the syscall-filter test, a reader of the Prometheus format.
PKG_PKGS="dpkg-dev debhelper lintian rpm scdoc man-db debootstrap systemd strace bash-completion
	python3-prometheus-client"

missing=""
for p in $BUILD_PKGS $TEST_PKGS $PKG_PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing" >&2
	echo "deps: run as root (sudo scripts/deps.sh) to install them" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
