#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""COSE/CWT interop against an implementation nobody here wrote.

Tokens created by `groupkey token create` are decoded with Debian's cbor2
and verified with Debian's cryptography (HMAC, AES-CCM, ECDSA P-256); and
tokens that this script builds from those libraries are verified by
`groupkey token verify`. Prints TAP. Usage: cose_interop.py GROUPKEY_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

import cbor2
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

GROUPKEY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="gk-interop-")
NOW = 1700000000
results = []


def tap(name, ok, diag=""):
    results.append(ok)
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), name))
    if diag and not ok:
        for line in str(diag).splitlines():
            print("# " + line)
    sys.stdout.flush()


def run(*args, stdin=None):
    p = subprocess.run([GROUPKEY, *args], input=stdin, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


# --- keys, made here and handed to groupkey as COSE_Key CBOR files ----------
SYM16 = os.urandom(16)
SYM32 = os.urandom(32)
EC_PRIV = ec.generate_private_key(ec.SECP256R1())
_nums = EC_PRIV.private_numbers()
EC_X = _nums.public_numbers.x.to_bytes(32, "big")
EC_Y = _nums.public_numbers.y.to_bytes(32, "big")
EC_D = _nums.private_value.to_bytes(32, "big")

KEYS = {
    "sym16": {1: 4, 2: b"py-sym16", -1: SYM16},
    "sym32": {1: 4, 2: b"py-sym32", -1: SYM32},
    "ec": {1: 2, 2: b"py-ec", -1: 1, -2: EC_X, -3: EC_Y, -4: EC_D},
}
KEYFILES = {n: write(n + ".key", cbor2.dumps(k)) for n, k in KEYS.items()}
KEYFILES["ec-public"] = write("ec-public.key", cbor2.dumps(
    {1: 2, 2: b"py-ec", -1: 1, -2: EC_X, -3: EC_Y}))

CLAIMS = {
    "iss": "groupkeyd-as",
    "sub": "client-7",
    "aud": "groupkeyd-kdc",
    "exp": NOW + 3600,
    "nbf": NOW - 10,
    "iat": NOW - 10,
    "cti": "h'0102a0b0'",
    "scope": "h'818266677270303102'",
    "cnf": {"COSE_Key": {"kty": 4, "kid": "h'c0ffee'", "k": "h'" + "11" * 16 + "'"}},
}
EXPECT = {1: "groupkeyd-as", 2: "client-7", 3: "groupkeyd-kdc", 4: NOW + 3600,
          5: NOW - 10, 6: NOW - 10, 7: bytes.fromhex("0102a0b0"),
          8: {1: {1: 4, 2: bytes.fromhex("c0ffee"), -1: bytes([0x11] * 16)}},
          9: bytes.fromhex("818266677270303102")}
CLAIMS_FILE = write("claims.json", json.dumps(CLAIMS).encode())


# --- COSE by hand with cbor2 + cryptography ----------------------------------
def hmac256(key, data, trunc):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()[:trunc]


def mac0_verify(msg, key, alg):
    prot, _unprot, payload, tag = msg
    assert cbor2.loads(prot)[1] == alg
    mac_structure = cbor2.dumps(["MAC0", prot, b"", payload])
    want = hmac256(key, mac_structure, 8 if alg == 4 else 32)
    if want != tag:
        raise ValueError("MAC mismatch")
    return payload


def sign1_verify(msg, pub):
    prot, _unprot, payload, sig = msg
    assert cbor2.loads(prot)[1] == -7 and len(sig) == 64
    sig_structure = cbor2.dumps(["Signature1", prot, b"", payload])
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                     int.from_bytes(sig[32:], "big"))
    pub.verify(der, sig_structure, ec.ECDSA(hashes.SHA256()))
    return payload


def encrypt0_decrypt(msg, key, alg):
    prot, unprot, ct = msg
    assert cbor2.loads(prot)[1] == alg
    iv = unprot[5]
    assert len(iv) == 13
    enc_structure = cbor2.dumps(["Encrypt0", prot, b""])
    return AESCCM(key, tag_length=8 if alg == 10 else 16).decrypt(iv, ct, enc_structure)


def unwrap(obj):
    """Returns (tag, [fields]) from a decoded tagged COSE object."""
    assert isinstance(obj, cbor2.CBORTag), "COSE object must be tagged here"
    return obj.tag, obj.value


def make_mac0(key, alg, payload, kid=None):
    prot = cbor2.dumps({1: alg})
    tag = hmac256(key, cbor2.dumps(["MAC0", prot, b"", payload]), 8 if alg == 4 else 32)
    unprot = {4: kid} if kid else {}
    return cbor2.dumps(cbor2.CBORTag(17, [prot, unprot, payload, tag]))


def make_sign1(priv, payload, kid=None):
    prot = cbor2.dumps({1: -7})
    der = priv.sign(cbor2.dumps(["Signature1", prot, b"", payload]), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    unprot = {4: kid} if kid else {}
    return cbor2.dumps(cbor2.CBORTag(18, [prot, unprot, payload,
                                          r.to_bytes(32, "big") + s.to_bytes(32, "big")]))


def make_encrypt0(key, alg, payload, kid=None):
    prot = cbor2.dumps({1: alg})
    iv = os.urandom(13)
    ct = AESCCM(key, tag_length=8 if alg == 10 else 16).encrypt(
        iv, payload, cbor2.dumps(["Encrypt0", prot, b""]))
    unprot = {5: iv}
    if kid:
        unprot[4] = kid
    return cbor2.dumps(cbor2.CBORTag(16, [prot, unprot, ct]))


# --- ours -> theirs ----------------------------------------------------------
def create(keyname, alg, extra=()):
    out = os.path.join(TMP, "tok-%s-%s.cbor" % (keyname, alg.replace("/", "_")))
    if os.path.exists(out):
        os.unlink(out)
    rc, _o, err = run("token", "create", "--key", KEYFILES[keyname], "--alg", alg,
                      "--claims", CLAIMS_FILE, "-o", out, *extra)
    if rc != 0:
        raise RuntimeError("groupkey token create failed: " + err)
    with open(out, "rb") as f:
        return f.read()


def check_claims(payload):
    claims = cbor2.loads(payload)
    if claims != EXPECT:
        raise ValueError("claims differ: %r" % claims)
    # Deterministic encoding: re-encoding with canonical cbor2 gives the same bytes.
    if cbor2.dumps(claims, canonical=True) != payload:
        raise ValueError("claims are not deterministically encoded")


def ours_to_theirs(name, fn):
    try:
        fn()
        tap(name, True)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, reported
        tap(name, False, repr(e))


def t_mac0(alg_name, alg, key):
    def f():
        tok = cbor2.loads(create(key, alg_name, ["--tag"]))
        assert isinstance(tok, cbor2.CBORTag) and tok.tag == 61, "CWT tag 61 expected"
        t, msg = unwrap(tok.value)
        assert t == 17
        check_claims(mac0_verify(msg, KEYS[key][-1], alg))
    return f


def t_encrypt0(alg_name, alg):
    def f():
        t, msg = unwrap(cbor2.loads(create("sym16", alg_name, ["--kid"])))
        assert t == 16 and msg[1][4] == b"py-sym16"
        check_claims(encrypt0_decrypt(msg, SYM16, alg))
    return f


def t_sign1():
    t, msg = unwrap(cbor2.loads(create("ec", "ES256")))
    assert t == 18
    check_claims(sign1_verify(msg, EC_PRIV.public_key()))


def t_nested():
    out = os.path.join(TMP, "nested.cbor")
    rc, _o, err = run("token", "create", "--key", KEYFILES["ec"], "--alg", "ES256",
                      "--encrypt-key", KEYFILES["sym16"], "--encrypt-alg", "AES-CCM-16-64-128",
                      "--claims", CLAIMS_FILE, "-o", out)
    assert rc == 0, err
    with open(out, "rb") as f:
        t, msg = unwrap(cbor2.loads(f.read()))
    assert t == 16
    t2, inner = unwrap(cbor2.loads(encrypt0_decrypt(msg, SYM16, 10)))
    assert t2 == 18
    check_claims(sign1_verify(inner, EC_PRIV.public_key()))


def t_tamper_detected_by_python():
    t, msg = unwrap(cbor2.loads(create("sym32", "HMAC256/256")))
    msg[2] = msg[2][:-1] + bytes([msg[2][-1] ^ 1])
    try:
        mac0_verify(msg, SYM32, 5)
    except ValueError:
        return
    raise AssertionError("python accepted a tampered MAC")


ours_to_theirs("ours->python: Mac0 HMAC 256/64 tagged CWT", t_mac0("HMAC256/64", 4, "sym32"))
ours_to_theirs("ours->python: Mac0 HMAC 256/256", t_mac0("HMAC256/256", 5, "sym16"))
ours_to_theirs("ours->python: Encrypt0 AES-CCM-16-64-128", t_encrypt0("AES-CCM-16-64-128", 10))
ours_to_theirs("ours->python: Encrypt0 AES-CCM-16-128-128", t_encrypt0("AES-CCM-16-128-128", 30))
ours_to_theirs("ours->python: Sign1 ES256", t_sign1)
ours_to_theirs("ours->python: nested Sign1 in Encrypt0", t_nested)
ours_to_theirs("ours->python: tampered MAC refused by python", t_tamper_detected_by_python)


# --- theirs -> ours ----------------------------------------------------------
CLAIMS_CBOR = cbor2.dumps(EXPECT)


def verify(tok, keys, *extra):
    path = write("theirs.cbor", tok)
    args = ["token", "verify", "--now", str(NOW)]
    for k in keys:
        args += ["--key", KEYFILES[k]]
    return run(*args, *extra, path)


def theirs_to_ours(name, tok, keys, expect_ok=True, reason=None, extra=()):
    rc, out, err = verify(tok, keys, *extra)
    ok = (rc == 0) if expect_ok else (rc == 1 and (reason is None or reason in err))
    if ok and expect_ok:
        claims = json.loads(out)["claims"]
        ok = claims.get("iss") == "groupkeyd-as" and claims.get("exp") == NOW + 3600
    tap(name, ok, "rc=%d stderr=%s stdout=%s" % (rc, err, out[:300]))


theirs_to_ours("python->ours: Mac0 256/64", make_mac0(SYM32, 4, CLAIMS_CBOR), ["sym32"])
theirs_to_ours("python->ours: Mac0 256/256 with kid",
               make_mac0(SYM16, 5, CLAIMS_CBOR, b"py-sym16"), ["sym32", "sym16"])
theirs_to_ours("python->ours: Encrypt0 AES-CCM-16-64-128",
               make_encrypt0(SYM16, 10, CLAIMS_CBOR), ["sym16"])
theirs_to_ours("python->ours: Encrypt0 AES-CCM-16-128-128 with kid",
               make_encrypt0(SYM16, 30, CLAIMS_CBOR, b"py-sym16"), ["sym16"])
theirs_to_ours("python->ours: Sign1 ES256 (public key only)",
               make_sign1(EC_PRIV, CLAIMS_CBOR), ["ec-public"])
theirs_to_ours("python->ours: nested Sign1 in Encrypt0",
               make_encrypt0(SYM16, 10, make_sign1(EC_PRIV, CLAIMS_CBOR)), ["sym16", "ec-public"])
theirs_to_ours("python->ours: CWT tag 61 around Mac0",
               cbor2.dumps(cbor2.CBORTag(61, cbor2.loads(make_mac0(SYM32, 4, CLAIMS_CBOR)))),
               ["sym32"])

bad = bytearray(make_mac0(SYM32, 4, CLAIMS_CBOR))
bad[-1] ^= 0x80
theirs_to_ours("python->ours: tampered Mac0 refused (bad MAC)", bytes(bad), ["sym32"],
               expect_ok=False, reason="MAC")
bad = bytearray(make_encrypt0(SYM16, 10, CLAIMS_CBOR))
bad[-3] ^= 0x01
theirs_to_ours("python->ours: tampered Encrypt0 refused", bytes(bad), ["sym16"],
               expect_ok=False, reason="decrypt")
other = ec.generate_private_key(ec.SECP256R1())
theirs_to_ours("python->ours: Sign1 by another key refused", make_sign1(other, CLAIMS_CBOR),
               ["ec-public"], expect_ok=False, reason="signature")
theirs_to_ours("python->ours: expired token refused", make_mac0(SYM32, 4, CLAIMS_CBOR),
               ["sym32"], expect_ok=False, reason="expired", extra=("--now", str(NOW + 7200)))
theirs_to_ours("python->ours: wrong audience refused", make_mac0(SYM32, 4, CLAIMS_CBOR),
               ["sym32"], expect_ok=False, reason="audience", extra=("--aud", "someone-else"))

print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
