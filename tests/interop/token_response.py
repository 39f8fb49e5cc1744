#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check a /token response of groupkeyd's AS with Debian's cbor2 and cryptography.

The response payload (saved by `groupkey token request --raw-response FILE`) is
decoded label by label (RFC 9200 §5.8.2, RFC 9201 cnf, RFC 9202 ace_profile),
then the access token is taken apart as a COSE_Encrypt0 (RFC 9052 §5.2,
AES-CCM-16-64-128) and decrypted with the AS-KDC key to check the CWT claims
(RFC 8392) against the response. Prints TAP.

Usage: token_response.py RESPONSE KEY_HEX KID_HEX ISSUER AUDIENCE LIFETIME SCOPE_HEX GRANTED
  SCOPE_HEX  the scope the token must carry (the content of the scope byte string)
  GRANTED    "yes" when the response must name the granted scope (label 9), else "no"
"""
import sys

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

(RESPONSE, KEY_HEX, KID_HEX, ISSUER, AUDIENCE, LIFETIME, SCOPE_HEX,
 GRANTED) = sys.argv[1:9]
KEY = bytes.fromhex(KEY_HEX)
KID = bytes.fromhex(KID_HEX)
SCOPE = bytes.fromhex(SCOPE_HEX)
results = []


def tap(name, ok, diag=""):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), name))
    if diag and not ok:
        for line in str(diag).splitlines():
            print("# " + line)
    sys.stdout.flush()


def check(name, fn):
    """Run fn, which returns None when fine or a diagnostic string."""
    try:
        why = fn()
    except Exception as e:  # a malformed structure is a failure, not a crash
        why = "%s: %s" % (type(e).__name__, e)
    tap(name, why is None, why)


with open(RESPONSE, "rb") as f:
    raw = f.read()
rsp = cbor2.loads(raw)
state = {}


def t_map():
    if not isinstance(rsp, dict):
        return "not a map: %r" % (rsp,)
    allowed = {1, 2, 8, 9, 38}
    if not set(rsp) <= allowed or not {1, 2, 8, 38} <= set(rsp):
        return "labels %r, expected 1, 2, 8, 38 and maybe 9" % sorted(rsp)
    if cbor2.dumps(rsp) != raw:
        return "not in deterministic encoding: %s" % raw.hex()
    return None


def t_access_token():
    tok = rsp[1]
    if not isinstance(tok, bytes) or len(tok) < 40:
        return "access_token (1) is not a byte string of a token: %r" % (tok,)
    if b"\0" in tok:
        return "access_token holds a 00 byte: it could not be a PSK identity"
    return None


def t_expires_in():
    if type(rsp[2]) is not int or rsp[2] != int(LIFETIME):
        return "expires_in (2) = %r, wanted %s" % (rsp[2], LIFETIME)
    return None


def t_profile():
    return None if rsp[38] == 1 else "ace_profile (38) = %r, wanted 1 (coap_dtls)" % rsp[38]


def t_cnf():
    cnf = rsp[8]
    if not isinstance(cnf, dict) or set(cnf) != {1}:
        return "cnf (8) is not {1: COSE_Key}: %r" % (cnf,)
    key = cnf[1]
    if key.get(1) != 4:
        return "kty (1) = %r, wanted 4 (Symmetric)" % key.get(1)
    if not isinstance(key.get(2), bytes) or not key[2] or b"\0" in key[2]:
        return "kid (2) missing, empty or holding a 00 byte: %r" % key.get(2)
    if not isinstance(key.get(-1), bytes) or len(key[-1]) != 16:
        return "k (-1) is not 16 bytes: %r" % key.get(-1)
    if not set(key) <= {1, 2, 3, -1} or key.get(3, 10) != 10:
        return "unexpected COSE_Key labels or alg: %r" % sorted(key)
    state["pop"] = key
    return None


def t_scope_param():
    if GRANTED == "yes":
        if rsp.get(9) != SCOPE:
            return "scope (9) = %r, wanted the granted %s" % (rsp.get(9), SCOPE_HEX)
    elif 9 in rsp:
        return "scope (9) present although the request was granted as asked: %r" % rsp[9]
    return None


def t_encrypt0():
    tok = cbor2.loads(rsp[1])
    if isinstance(tok, cbor2.CBORTag):
        if tok.tag != 16:
            return "tag %d, wanted 16 (COSE_Encrypt0) or none" % tok.tag
        tok = tok.value
    if not isinstance(tok, list) or len(tok) != 3:
        return "not a 3-element COSE_Encrypt0 array: %r" % (tok,)
    prot_bytes, unprot, ct = tok
    prot = cbor2.loads(prot_bytes)
    if prot != {1: 10}:
        return "protected header %r, wanted {1: 10} (AES-CCM-16-64-128)" % (prot,)
    if not isinstance(unprot.get(5), bytes) or len(unprot[5]) != 13:
        return "IV (5) is not 13 bytes: %r" % (unprot,)
    if unprot.get(4) != KID:
        return "kid (4) in the unprotected header = %r, wanted %r" % (unprot.get(4), KID)
    if set(unprot) != {4, 5}:
        return "unexpected unprotected labels %r" % sorted(unprot)
    state["enc"] = (prot_bytes, unprot[5], ct)
    return None


def t_decrypt():
    prot_bytes, iv, ct = state["enc"]
    aad = cbor2.dumps(["Encrypt0", prot_bytes, b""])
    try:
        state["claims"] = cbor2.loads(AESCCM(KEY, tag_length=8).decrypt(iv, ct, aad))
    except InvalidTag:
        return "AES-CCM-16-64-128 under the AS-KDC key does not authenticate"
    return None


def t_claims():
    c = state["claims"]
    if not isinstance(c, dict):
        return "claims are not a map"
    want = {1, 3, 4, 6, 7, 8, 9}
    if not want <= set(c):
        return "claims %r lack some of iss, aud, exp, iat, cti, cnf, scope" % sorted(c)
    if c[1] != ISSUER:
        return "iss %r, wanted %r" % (c[1], ISSUER)
    aud = c[3] if isinstance(c[3], list) else [c[3]]
    if AUDIENCE not in aud:
        return "aud %r does not name %r" % (c[3], AUDIENCE)
    if type(c[4]) is not int or type(c[6]) is not int or c[4] - c[6] != int(LIFETIME):
        return "exp %r - iat %r is not the lifetime %s" % (c[4], c[6], LIFETIME)
    if not isinstance(c[7], bytes) or not c[7]:
        return "cti %r is not a non-empty byte string" % (c[7],)
    if c[8] != {1: state["pop"]}:
        return "cnf claim %r differs from the response's cnf" % (c[8],)
    if c[9] != SCOPE:
        return "scope claim %r, wanted %s" % (c[9], SCOPE_HEX)
    aif = cbor2.loads(c[9])
    if not all(isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and
               isinstance(e[1], int) for e in aif):
        return "scope claim is not AIF [[group, Tperm], ...]: %r" % (aif,)
    return None


check("response is a deterministic map with labels 1, 2, 8, 38 (and 9 when granted differs)",
      t_map)
check("access_token (1): a byte string without 00 bytes", t_access_token)
check("expires_in (2) = token_lifetime", t_expires_in)
check("ace_profile (38) = 1 (coap_dtls)", t_profile)
check("cnf (8) = {1: COSE_Key kty 4, kid, 16-byte k}", t_cnf)
check("scope (9) present exactly when the grant differs from the request", t_scope_param)
check("token: COSE_Encrypt0 (tag 16), protected {1: 10}, kid, 13-byte IV", t_encrypt0)
check("token decrypts under the AS-KDC key (cryptography's AES-CCM)", t_decrypt)
check("CWT claims: iss, aud, exp - iat = lifetime, cti, cnf = response cnf, AIF scope", t_claims)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
