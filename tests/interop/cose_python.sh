#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# COSE/CWT interop with Debian's python3-cbor2 and python3-cryptography (see cose_interop.py).
set -u
cd "$(dirname "$0")/../.." || exit 1
# Debian's interpreter: the python3 first on PATH may lack Debian's modules.
exec /usr/bin/python3 tests/interop/cose_interop.py "${GK_BUILD:-$PWD/build}/groupkey"
