#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Check a Join Response (RFC 9594 §4.3.1) of groupkeyd, decoded with cbor2, against
# docs/profile.md, and verify kdc_cred_verify with cryptography, independently of groupkeyd's code.
#
#   join_response.py RESPONSE NC_HEX [KDC_KEY_FILE]
#
# RESPONSE is the CBOR payload, NC_HEX the cnonce the Join sent; KDC_KEY_FILE the KDC's private
# key (STATE_DIR/kdc-cred.key, 64 hex digits): its public key must be the one in kdc_cred.
# Prints one line per check and exits 1 at the first that fails.
import sys
import time

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

GKTY, KEY, NUM, PROFILE, EXP, EXI = 7, 8, 9, 10, 11, 12
POLICIES, KDC_CRED, KDC_NONCE, KDC_CRED_VERIFY, REKEYING_SCHEME = 16, 17, 18, 19, 20
SENDER_ID = -65537
PRIVATE = -65537  # our profile's alg, ace_groupcomm_profile and COSE_Key exp label


def check(what, ok, detail=""):
    if not ok:
        print("FAIL %s %s" % (what, detail))
        sys.exit(1)
    print("ok %s" % what)


def main():
    resp = cbor2.loads(open(sys.argv[1], "rb").read())
    n_c = bytes.fromhex(sys.argv[2])
    check("a CBOR map", isinstance(resp, dict), repr(resp))
    want = {GKTY, KEY, NUM, PROFILE, EXP, EXI, POLICIES, KDC_CRED, KDC_NONCE, KDC_CRED_VERIFY,
            REKEYING_SCHEME, SENDER_ID}
    check("labels 7 8 9 10 11 12 16 17 18 19 20 -65537", set(resp) == want, sorted(resp))
    check("gkty 'groupkeyd-dp-v1' (REQ18)", resp[GKTY] == "groupkeyd-dp-v1", resp[GKTY])
    num = resp[NUM]
    check("num a uint >= 1 (REQ16)", isinstance(num, int) and num >= 1, num)
    check("ace_groupcomm_profile -65537 (REQ19)", resp[PROFILE] == PRIVATE, resp[PROFILE])
    check("rekeying_scheme 0", resp[REKEYING_SCHEME] == 0, resp[REKEYING_SCHEME])
    check("sender_id a uint32 > 0 (REQ27)", 0 < resp[SENDER_ID] < 2**32, resp[SENDER_ID])

    key = resp[KEY]
    check("key a COSE_Key map of 5 labels", isinstance(key, dict) and set(key) == {1, 2, 3, -1, PRIVATE},
          key)
    check("key kty 4 (Symmetric)", key[1] == 4, key[1])
    check("key kid = num as 4 bytes big-endian", key[2] == num.to_bytes(4, "big"), key[2])
    check("key alg -65537", key[3] == PRIVATE, key[3])
    check("key k of 16 bytes", isinstance(key[-1], bytes) and len(key[-1]) == 16, key[-1])
    check("key exp (-65537) = exp (11)", key[PRIVATE] == resp[EXP], (key[PRIVATE], resp[EXP]))
    now = int(time.time())
    check("exi = exp - now (within 5 s)", abs(resp[EXP] - now - resp[EXI]) <= 5,
          (resp[EXP], resp[EXI], now))

    pol = resp[POLICIES]
    check("group_policies {1: key_lifetime / 2, 2: recv_grace} (REQ20)",
          set(pol) == {1, 2} and all(isinstance(v, int) for v in pol.values()), pol)

    ccs = cbor2.loads(resp[KDC_CRED])
    cose = ccs[8][1]
    check("kdc_cred a CCS {2 sub, 8: {1: EC2 P-256}} (REQ8)",
          set(ccs) == {2, 8} and cose[1] == 2 and cose[-1] == 1 and len(cose[-2]) == 32
          and len(cose[-3]) == 32, ccs)
    n_kdc = resp[KDC_NONCE]
    check("kdc_nonce of 8 bytes", isinstance(n_kdc, bytes) and len(n_kdc) == 8, n_kdc)
    sig = resp[KDC_CRED_VERIFY]
    check("kdc_cred_verify of 64 bytes (r || s)", isinstance(sig, bytes) and len(sig) == 64, sig)

    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(cose[-2], "big"),
                                        int.from_bytes(cose[-3], "big"),
                                        ec.SECP256R1()).public_key()
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    signed = cbor2.dumps(n_c) + cbor2.dumps(n_kdc)
    try:
        pub.verify(der, signed, ec.ECDSA(hashes.SHA256()))
        verified = True
    except InvalidSignature:
        verified = False
    check("kdc_cred_verify: ES256 over bstr(N_C) || bstr(N_KDC) (REQ21)", verified)
    try:
        pub.verify(der, cbor2.dumps(n_kdc) + cbor2.dumps(n_c), ec.ECDSA(hashes.SHA256()))
        swapped = True
    except InvalidSignature:
        swapped = False
    check("... and not over the nonces swapped", not swapped)

    if len(sys.argv) > 3:
        d = int(open(sys.argv[3]).read().strip(), 16)
        mine = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
        check("kdc_cred is the public key of STATE_DIR/kdc-cred.key",
              mine.x.to_bytes(32, "big") == cose[-2] and mine.y.to_bytes(32, "big") == cose[-3])


if __name__ == "__main__":
    main()
