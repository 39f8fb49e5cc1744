// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer target: strict CBOR decoder, COSE_Key/COSE message parsing and CWT validation. */
#include <stdint.h>
#include <stdlib.h>

#include "groupkey/cbor.h"
#include "groupkey/cose.h"
#include "groupkey/cwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8392 A.2.1 and A.2.2 keys, so MAC and decryption paths are reached too. */
static const uint8_t key128[] = {
	0xa4, 0x20, 0x50, 0x23, 0x1f, 0x4c, 0x4d, 0x4d, 0x30, 0x51, 0xfd, 0xc2, 0xec, 0x0a,
	0x38, 0x51, 0xd5, 0xb3, 0x83, 0x01, 0x04, 0x02, 0x4c, 0x53, 0x79, 0x6d, 0x6d, 0x65,
	0x74, 0x72, 0x69, 0x63, 0x31, 0x32, 0x38, 0x03, 0x0a,
};
static const uint8_t key256[] = {
	0xa4, 0x20, 0x58, 0x20, 0x40, 0x36, 0x97, 0xde, 0x87, 0xaf, 0x64, 0x61, 0x1c, 0x1d,
	0x32, 0xa0, 0x5d, 0xab, 0x0f, 0xe1, 0xfc, 0xb7, 0x15, 0xa8, 0x6a, 0xb4, 0x35, 0xf1,
	0xec, 0x99, 0x19, 0x2d, 0x79, 0x56, 0x93, 0x88, 0x01, 0x04, 0x02, 0x4c, 0x53, 0x79,
	0x6d, 0x6d, 0x65, 0x74, 0x72, 0x69, 0x63, 0x32, 0x35, 0x36, 0x03, 0x0a,
};

/* Whatever the strict decoder accepts must re-encode and decode again. */
static void cbor_round_trip(const uint8_t *data, size_t size)
{
	cbor_item_t *item, *again;
	struct gk_enc e;
	uint8_t *out;
	size_t len;

	if (gk_cbor_decode(data, size, NULL, &item))
		return;
	gk_enc_init(&e);
	gk_enc_item(&e, item);
	if (!gk_enc_finish(&e, &out, &len)) {
		if (gk_cbor_decode(out, len, NULL, &again))
			abort();
		cbor_decref(&again);
		free(out);
	}
	cbor_decref(&item);
}

static void cose_parse_all(const uint8_t *data, size_t size)
{
	static const int types[] = { 0, GK_COSE_MAC0, GK_COSE_SIGN1, GK_COSE_ENCRYPT0 };
	struct gk_cose_msg m;
	struct gk_cose_key k;

	if (!gk_cose_key_decode(data, size, &k))
		gk_cose_key_wipe(&k);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!gk_cose_parse(data, size, types[i], &m))
			gk_cose_msg_free(&m);
}

static void cwt_all(const uint8_t *data, size_t size)
{
	struct gk_cose_key keys[2];
	struct gk_cwt_verify_opts o = { .keys = keys, .n_keys = 2, .now = 1444000000,
					.audience = "coap://light.example.com" };
	struct gk_cwt_claims c;
	struct gk_cwt_info info;
	cbor_item_t *claims;

	if (gk_cose_key_decode(key128, sizeof(key128), &keys[0]) ||
	    gk_cose_key_decode(key256, sizeof(key256), &keys[1]))
		abort();
	if (!gk_cwt_verify(data, size, &o, &c, &info))
		gk_cwt_claims_free(&c);
	if (!gk_cwt_inspect(data, size, &info, &claims) && claims)
		cbor_decref(&claims);
	if (!gk_cwt_claims_decode(data, size, &c))
		gk_cwt_claims_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cbor_round_trip(data, size);
	cose_parse_all(data, size);
	cwt_all(data, size);
	return 0;
}
