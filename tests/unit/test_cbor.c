// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the CBOR encoder (RFC 8949 Appendix A vectors), the strict decoder and err.c. */
#include <errno.h>

#include "groupkey/cbor.h"
#include "groupkey/err.h"
#include "harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct vec {
	const char *hex;
	const char *what;
};

/* Compare what e holds with hex, then reset e for the next vector. */
static void expect_enc(struct gk_enc *e, const char *hex)
{
	size_t n;
	uint8_t *want = gk_test_unhex(hex, &n);

	ASSERT_EQ(e->err, 0);
	if (e->len != n || memcmp(e->buf, want, n)) {
		printf("# encoding mismatch, want %s\n", hex);
		ASSERT_EQ(e->len, n);
		ASSERT_MEMEQ(e->buf, want, n);
	}
	free(want);
	gk_enc_free(e);
	gk_enc_init(e);
}

static int decode_hex(const char *hex, const struct gk_cbor_limits *lim, cbor_item_t **out)
{
	size_t n;
	uint8_t *buf = gk_test_unhex(hex, &n);
	int err = gk_cbor_decode(buf, n, lim, out);

	free(buf);
	return err;
}

/* The error gk_cbor_decode() returns for hex, the tree freed on success. */
static int decode_err(const char *hex, const struct gk_cbor_limits *lim)
{
	cbor_item_t *it = NULL;
	int err = decode_hex(hex, lim, &it);

	if (!err) {
		if (!it)
			return 12345; /* success without a tree: make the caller's assert fail */
		cbor_decref(&it);
	} else if (it) {
		return 54321;
	}
	return err;
}

/* Decode, re-encode with gk_enc_item, compare with expect (or the input when NULL). */
static void roundtrip(const char *hex, const struct gk_cbor_limits *lim, const char *expect)
{
	struct gk_enc e;
	cbor_item_t *it = NULL;
	int err = decode_hex(hex, lim, &it);

	if (err)
		printf("# decoding %s: %d (%s)\n", hex, err, gk_strerror(err));
	ASSERT_EQ(err, 0);
	ASSERT_TRUE(it != NULL);
	gk_enc_init(&e);
	ASSERT_EQ(gk_enc_item(&e, it), 0);
	expect_enc(&e, expect ? expect : hex);
	gk_enc_free(&e);
	cbor_decref(&it);
}

static struct gk_cbor_limits limits(void)
{
	return gk_cbor_default_limits;
}

/* RFC 8949 Appendix A, the subset without floats, plus the COSE tags. */
static const struct vec rfc_vectors[] = {
	{ "00", "0" },
	{ "01", "1" },
	{ "0a", "10" },
	{ "17", "23" },
	{ "1818", "24" },
	{ "1819", "25" },
	{ "1864", "100" },
	{ "1903e8", "1000" },
	{ "1a000f4240", "1000000" },
	{ "1b000000e8d4a51000", "1000000000000" },
	{ "1bffffffffffffffff", "18446744073709551615" },
	{ "3bffffffffffffffff", "-18446744073709551616" },
	{ "20", "-1" },
	{ "29", "-10" },
	{ "3863", "-100" },
	{ "3903e7", "-1000" },
	{ "3b7fffffffffffffff", "INT64_MIN" },
	{ "40", "h''" },
	{ "4401020304", "h'01020304'" },
	{ "60", "\"\"" },
	{ "6161", "\"a\"" },
	{ "6449455446", "\"IETF\"" },
	{ "62225c", "\"\\\"\\\\\"" },
	{ "62c3bc", "\"\\u00fc\"" },
	{ "63e6b0b4", "\"\\u6c34\"" },
	{ "64f0908591", "\"\\ud800\\udd51\"" },
	{ "80", "[]" },
	{ "83010203", "[1,2,3]" },
	{ "8301820203820405", "[1,[2,3],[4,5]]" },
	{ "98190102030405060708090a0b0c0d0e0f101112131415161718181819", "[1..25]" },
	{ "a0", "{}" },
	{ "a201020304", "{1:2,3:4}" },
	{ "a26161016162820203", "{\"a\":1,\"b\":[2,3]}" },
	{ "826161a161626163", "[\"a\",{\"b\":\"c\"}]" },
	{ "c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")" },
	{ "c11a514b67b0", "1(1363896240)" },
	{ "d74401020304", "23(h'01020304')" },
	{ "d818456449455446", "24(h'6449455446')" },
	{ "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://...\")" },
	{ "f4", "false" },
	{ "f5", "true" },
	{ "f6", "null" },
	{ "f7", "undefined" },
	{ "d28443a10126a04040", "18([h'a10126',{},h'',h''])" },
};

/* RFC 8949 Appendix A floats: accepted and re-encoded in their shortest form. */
static const struct vec rfc_floats[] = {
	{ "f90000", "0.0" },
	{ "f98000", "-0.0" },
	{ "f93c00", "1.0" },
	{ "fb3ff199999999999a", "1.1" },
	{ "f93e00", "1.5" },
	{ "f97bff", "65504.0" },
	{ "fa47c35000", "100000.0" },
	{ "fa7f7fffff", "3.4028234663852886e+38" },
	{ "fb7e37e43c8800759c", "1.0e+300" },
	{ "f90001", "5.960464477539063e-8" },
	{ "f90400", "0.00006103515625" },
	{ "f9c400", "-4.0" },
	{ "fbc010666666666666", "-4.1" },
	{ "f97c00", "Infinity" },
	{ "f97e00", "NaN" },
	{ "f9fc00", "-Infinity" },
};

TEST(enc_rfc_unsigned)
{
	struct gk_enc e;

	gk_enc_init(&e);
	gk_enc_uint(&e, 0);
	expect_enc(&e, "00");
	gk_enc_uint(&e, 23);
	expect_enc(&e, "17");
	gk_enc_uint(&e, 24);
	expect_enc(&e, "1818");
	gk_enc_uint(&e, 100);
	expect_enc(&e, "1864");
	gk_enc_uint(&e, 1000);
	expect_enc(&e, "1903e8");
	gk_enc_uint(&e, 1000000);
	expect_enc(&e, "1a000f4240");
	gk_enc_uint(&e, 1000000000000ULL);
	expect_enc(&e, "1b000000e8d4a51000");
	gk_enc_uint(&e, UINT64_MAX);
	expect_enc(&e, "1bffffffffffffffff");
	gk_enc_int(&e, 0);
	expect_enc(&e, "00");
	gk_enc_int(&e, INT64_MAX);
	expect_enc(&e, "1b7fffffffffffffff");
	gk_enc_free(&e);
}

TEST(enc_rfc_negative)
{
	struct gk_enc e;

	gk_enc_init(&e);
	gk_enc_int(&e, -1);
	expect_enc(&e, "20");
	gk_enc_int(&e, -10);
	expect_enc(&e, "29");
	gk_enc_int(&e, -100);
	expect_enc(&e, "3863");
	gk_enc_int(&e, -1000);
	expect_enc(&e, "3903e7");
	gk_enc_int(&e, INT64_MIN);
	expect_enc(&e, "3b7fffffffffffffff");
	gk_enc_free(&e);
}

TEST(enc_int_width_boundaries)
{
	static const struct {
		int64_t v;
		const char *hex;
	} cases[] = {
		{ 255, "18ff" },
		{ 256, "190100" },
		{ 65535, "19ffff" },
		{ 65536, "1a00010000" },
		{ 4294967295, "1affffffff" },
		{ 4294967296, "1b0000000100000000" },
		{ -24, "37" },
		{ -25, "3818" },
		{ -256, "38ff" },
		{ -257, "390100" },
		{ -65537, "3a00010000" },
		{ -4294967297, "3b0000000100000000" },
	};
	struct gk_enc e;

	gk_enc_init(&e);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		gk_enc_int(&e, cases[i].v);
		expect_enc(&e, cases[i].hex);
	}
	gk_enc_free(&e);
}

TEST(enc_rfc_strings)
{
	static const uint8_t bytes[] = { 1, 2, 3, 4 };
	struct gk_enc e;

	gk_enc_init(&e);
	gk_enc_bstr(&e, NULL, 0);
	expect_enc(&e, "40");
	gk_enc_bstr(&e, bytes, sizeof(bytes));
	expect_enc(&e, "4401020304");
	gk_enc_tstr(&e, "");
	expect_enc(&e, "60");
	gk_enc_tstr(&e, "a");
	expect_enc(&e, "6161");
	gk_enc_tstr(&e, "IETF");
	expect_enc(&e, "6449455446");
	gk_enc_tstr(&e, "\u00fc");
	expect_enc(&e, "62c3bc");
	gk_enc_tstr(&e, "\"\\");
	expect_enc(&e, "62225c");
	gk_enc_tstrn(&e, "IETFxyz", 4);
	expect_enc(&e, "6449455446");
	gk_enc_free(&e);
}

TEST(enc_rfc_containers)
{
	struct gk_enc e;

	gk_enc_init(&e);
	gk_enc_array(&e, 0);
	expect_enc(&e, "80");
	gk_enc_array(&e, 3);
	for (int i = 1; i <= 3; i++)
		gk_enc_uint(&e, (uint64_t)i);
	expect_enc(&e, "83010203");
	gk_enc_map(&e, 0);
	expect_enc(&e, "a0");
	gk_enc_map(&e, 2);
	gk_enc_uint(&e, 1);
	gk_enc_uint(&e, 2);
	gk_enc_uint(&e, 3);
	gk_enc_uint(&e, 4);
	expect_enc(&e, "a201020304");
	gk_enc_array(&e, 25);
	for (int i = 1; i <= 25; i++)
		gk_enc_uint(&e, (uint64_t)i);
	expect_enc(&e, "98190102030405060708090a0b0c0d0e0f101112131415161718181819");
	gk_enc_map(&e, 2);
	gk_enc_tstr(&e, "a");
	gk_enc_int(&e, 1);
	gk_enc_tstr(&e, "b");
	gk_enc_array(&e, 2);
	gk_enc_uint(&e, 2);
	gk_enc_uint(&e, 3);
	expect_enc(&e, "a26161016162820203");
	gk_enc_free(&e);
}

TEST(enc_rfc_tag_and_simple)
{
	static const uint8_t raw[] = { 0x82, 0x01, 0x02 };
	struct gk_enc e;

	gk_enc_init(&e);
	gk_enc_tag(&e, 1);
	gk_enc_uint(&e, 1363896240);
	expect_enc(&e, "c11a514b67b0");
	gk_enc_tag(&e, 18);
	gk_enc_array(&e, 0);
	expect_enc(&e, "d280");
	gk_enc_tag(&e, 61);
	gk_enc_raw(&e, raw, sizeof(raw));
	expect_enc(&e, "d83d820102");
	gk_enc_bool(&e, true);
	expect_enc(&e, "f5");
	gk_enc_bool(&e, false);
	expect_enc(&e, "f4");
	gk_enc_null(&e);
	expect_enc(&e, "f6");
	gk_enc_free(&e);
}

TEST(enc_fixed_enospc_sticky)
{
	uint8_t buf[4] = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 99;
	struct gk_enc e;

	gk_enc_init_fixed(&e, buf, sizeof(buf));
	ASSERT_EQ(gk_enc_uint(&e, 1000), 0);
	ASSERT_EQ(e.len, 3);
	ASSERT_EQ(gk_enc_uint(&e, 1000), -ENOSPC);
	ASSERT_EQ(e.len, 3);
	/* Sticky: even a call that would fit fails the same way and writes nothing. */
	ASSERT_EQ(gk_enc_null(&e), -ENOSPC);
	ASSERT_EQ(gk_enc_tstr(&e, "a"), -ENOSPC);
	ASSERT_EQ(e.len, 3);
	ASSERT_EQ(e.err, -ENOSPC);
	ASSERT_MEMEQ(buf, "\x19\x03\xe8\x00", 4);
	ASSERT_EQ(gk_enc_finish(&e, &out, &out_len), -ENOSPC);
	ASSERT_TRUE(out == NULL);
	ASSERT_EQ(out_len, 0);
}

TEST(enc_fixed_exact_fit)
{
	uint8_t buf[5];
	uint8_t *out = NULL;
	size_t out_len = 0;
	struct gk_enc e;

	gk_enc_init_fixed(&e, buf, sizeof(buf));
	ASSERT_EQ(gk_enc_uint(&e, 1000000), 0);
	ASSERT_EQ(gk_enc_finish(&e, &out, &out_len), 0);
	ASSERT_TRUE(out == buf);
	ASSERT_EQ(out_len, 5);
	ASSERT_MEMEQ(buf, "\x1a\x00\x0f\x42\x40", 5);
}

TEST(enc_growable_large_and_empty)
{
	size_t n = 100000, out_len = 0;
	uint8_t *big = malloc(n), *out = NULL;
	struct gk_enc e;

	ASSERT_TRUE(big != NULL);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)i;
	gk_enc_init(&e);
	gk_enc_array(&e, 1);
	gk_enc_bstr(&e, big, n);
	ASSERT_EQ(gk_enc_finish(&e, &out, &out_len), 0);
	ASSERT_EQ(out_len, n + 6);
	ASSERT_MEMEQ(out, "\x81\x5a\x00\x01\x86\xa0", 6);
	ASSERT_MEMEQ(out + 6, big, n);
	ASSERT_TRUE(e.buf == NULL && e.len == 0 && e.err == 0);
	free(out);
	free(big);

	gk_enc_init(&e);
	ASSERT_EQ(gk_enc_finish(&e, &out, &out_len), 0);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(out_len, 0);
	free(out);
}

TEST(enc_sticky_einval)
{
	uint8_t *out = (uint8_t *)1;
	size_t out_len = 7;
	struct gk_enc e;

	gk_enc_init(&e);
	ASSERT_EQ(gk_enc_uint(&e, 1), 0);
	ASSERT_EQ(gk_enc_tstr(&e, NULL), -EINVAL);
	ASSERT_EQ(gk_enc_uint(&e, 2), -EINVAL);
	ASSERT_EQ(gk_enc_item(&e, NULL), -EINVAL);
	ASSERT_EQ(e.len, 1);
	ASSERT_EQ(gk_enc_finish(&e, &out, &out_len), -EINVAL);
	ASSERT_TRUE(out == NULL);
	ASSERT_EQ(out_len, 0);
	ASSERT_TRUE(e.buf == NULL);
}

TEST(dec_rfc_vectors_roundtrip)
{
	for (size_t i = 0; i < ARRAY_LEN(rfc_vectors); i++)
		roundtrip(rfc_vectors[i].hex, NULL, NULL);
}

TEST(dec_rfc_floats_roundtrip)
{
	for (size_t i = 0; i < ARRAY_LEN(rfc_floats); i++)
		roundtrip(rfc_floats[i].hex, NULL, NULL);
	/* Wider than needed in, shortest out. */
	roundtrip("fb3ff8000000000000", NULL, "f93e00");
	roundtrip("fa3fc00000", NULL, "f93e00");
	roundtrip("fb3e70000000000000", NULL, "f90001");
	roundtrip("fb7ff8000000000001", NULL, "f97e00");
}

TEST(dec_non_shortest_reencoded_shortest)
{
	roundtrip("1b0000000000000001", NULL, "01");
	roundtrip("3a000003e7", NULL, "3903e7");
	roundtrip("5900024142", NULL, "424142");
	roundtrip("980201190001", NULL, "820101");
	roundtrip("b9000101f5", NULL, "a101f5");
	roundtrip("d8010a", NULL, "c10a");
}

TEST(dec_tags_6_to_20_one_byte)
{
	char hex[8];

	/* libcbor 0.8 refuses these heads itself; COSE_Encrypt0/Mac0/Sign1 are among them. */
	for (unsigned t = 6; t <= 20; t++) {
		cbor_item_t *it = NULL;
		uint64_t v = 0;

		snprintf(hex, sizeof(hex), "%02x07", 0xc0 + t);
		ASSERT_EQ(decode_hex(hex, NULL, &it), 0);
		ASSERT_TRUE(cbor_isa_tag(it));
		ASSERT_EQ(cbor_tag_value(it), t);
		ASSERT_EQ(gk_cbor_get_uint(gk_cbor_tag_item(it), &v), 0);
		ASSERT_EQ(v, 7);
		cbor_decref(&it);
		roundtrip(hex, NULL, NULL);
	}
}

TEST(tag_item_borrows)
{
	cbor_item_t *it = NULL, *inner;

	ASSERT_EQ(decode_hex("d2820102", NULL, &it), 0);
	inner = gk_cbor_tag_item(it);
	ASSERT_TRUE(inner != NULL);
	ASSERT_TRUE(cbor_isa_array(inner));
	ASSERT_EQ(cbor_refcount(inner), 1);
	ASSERT_EQ(cbor_array_size(inner), 2);
	ASSERT_TRUE(gk_cbor_tag_item(inner) == NULL);
	ASSERT_TRUE(gk_cbor_tag_item(NULL) == NULL);
	cbor_decref(&it);
}

TEST(limit_max_input)
{
	struct gk_cbor_limits lim = limits();

	lim.max_input = 5;
	EXPECT_EQ(decode_err("4401020304", &lim), 0);
	lim.max_input = 4;
	EXPECT_EQ(decode_err("4401020304", &lim), -GK_ELENGTH);
	/* The default is 64 KiB. */
	{
		size_t n = 65536 + 1;
		uint8_t *buf = calloc(1, n);
		cbor_item_t *it = NULL;

		ASSERT_TRUE(buf != NULL);
		memcpy(buf, "\x5a\x00\x00\xff\xfb", 5);
		EXPECT_EQ(gk_cbor_decode(buf, n - 1, NULL, &it), -GK_ELENGTH); /* string too long */
		EXPECT_EQ(gk_cbor_decode(buf, n, NULL, &it), -GK_ELENGTH);
		ASSERT_TRUE(it == NULL);
		free(buf);
	}
}

TEST(limit_max_depth)
{
	struct gk_cbor_limits lim = limits();

	lim.max_depth = 2;
	EXPECT_EQ(decode_err("818101", &lim), 0);	     /* [[1]] */
	EXPECT_EQ(decode_err("81818101", &lim), -GK_EDEPTH); /* [[[1]]] */
	EXPECT_EQ(decode_err("c18101", &lim), 0);	     /* 1([1]): tags count as a level */
	EXPECT_EQ(decode_err("c1c18101", &lim), -GK_EDEPTH);
	EXPECT_EQ(decode_err("a101a10102", &lim), 0);
	EXPECT_EQ(decode_err("a101a101a10102", &lim), -GK_EDEPTH);
	lim.max_depth = 1;
	EXPECT_EQ(decode_err("01", &lim), 0);
	EXPECT_EQ(decode_err("83010203", &lim), 0);
	EXPECT_EQ(decode_err("8180", &lim), -GK_EDEPTH); /* [[]] is 2 even though empty */
	lim.max_depth = 0;
	EXPECT_EQ(decode_err("01", &lim), -GK_EDEPTH);
}

TEST(limit_max_depth_default)
{
	char hex[64] = "";

	/* 16 nested arrays around 0 pass the default depth, 17 do not. */
	for (int i = 0; i < 16; i++)
		strcat(hex, "81");
	EXPECT_EQ(decode_err(strcat(hex, "00"), NULL), 0);
	hex[32] = '\0';
	EXPECT_EQ(decode_err(strcat(hex, "8100"), NULL), -GK_EDEPTH);
}

TEST(limit_max_items)
{
	struct gk_cbor_limits lim = limits();

	lim.max_items = 4;
	EXPECT_EQ(decode_err("83010203", &lim), 0);
	EXPECT_EQ(decode_err("8401020304", &lim), -GK_EITEMS);
	lim.max_items = 3;
	EXPECT_EQ(decode_err("a10102", &lim), 0);
	EXPECT_EQ(decode_err("a1018102", &lim), -GK_EITEMS);
	EXPECT_EQ(decode_err("c18101", &lim), 0); /* tag, array, 1 */
	EXPECT_EQ(decode_err("c1818101", &lim), -GK_EITEMS);
	lim.max_items = 1;
	EXPECT_EQ(decode_err("00", &lim), 0);
	EXPECT_EQ(decode_err("8100", &lim), -GK_EITEMS);
}

TEST(limit_announced_entries)
{
	struct gk_cbor_limits lim = limits();

	lim.max_items = 4;
	/* Refused on the head, before the entries (even when they are there). */
	EXPECT_EQ(decode_err("850102030405", &lim), -GK_ELENGTH);
	lim.max_items = 5;
	EXPECT_EQ(decode_err("a3010203040506", &lim), -GK_ELENGTH);
	EXPECT_EQ(decode_err("a201020304", &lim), 0);
}

TEST(limit_max_str_len_bstr)
{
	struct gk_cbor_limits lim = limits();

	lim.max_str_len = 3;
	EXPECT_EQ(decode_err("43010203", &lim), 0);
	EXPECT_EQ(decode_err("4401020304", &lim), -GK_ELENGTH);
	EXPECT_EQ(decode_err("8143010203", &lim), 0);
	EXPECT_EQ(decode_err("814401020304", &lim), -GK_ELENGTH);
}

TEST(limit_max_str_len_tstr)
{
	struct gk_cbor_limits lim = limits();

	lim.max_str_len = 3;
	EXPECT_EQ(decode_err("63616263", &lim), 0);
	EXPECT_EQ(decode_err("6461626364", &lim), -GK_ELENGTH);
	EXPECT_EQ(decode_err("a163616263f6", &lim), 0);
	EXPECT_EQ(decode_err("a16461626364f6", &lim), -GK_ELENGTH);
}

TEST(dec_huge_announcement_no_alloc)
{
	struct gk_cbor_limits lim = limits();

	/* 2^32 entries: over max_items, refused on the head. */
	EXPECT_EQ(decode_err("9b0000000100000000", NULL), -GK_ELENGTH);
	EXPECT_EQ(decode_err("bb0000000100000000", NULL), -GK_ELENGTH);
	EXPECT_EQ(decode_err("9affffffff", NULL), -GK_ELENGTH);
	/* Without an item limit the input length still bounds it: no 32 GiB allocation. */
	lim.max_items = SIZE_MAX;
	EXPECT_EQ(decode_err("9b0000000100000000", &lim), -GK_ETRUNCATED);
	EXPECT_EQ(decode_err("bb0000000100000000", &lim), -GK_ETRUNCATED);
	EXPECT_EQ(decode_err("9bffffffffffffffff00", &lim), -GK_ETRUNCATED);
	EXPECT_EQ(decode_err("83010203", &lim), 0);
	/* A string announcing more than there is: truncated, nothing allocated. */
	EXPECT_EQ(decode_err("5bffffffffffffffff00", NULL), -GK_ETRUNCATED);
	EXPECT_EQ(decode_err("7a0000ffff616263", NULL), -GK_ETRUNCATED);
}

TEST(dec_truncated_every_prefix)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	struct gk_enc e;
	cbor_item_t *it = NULL;

	/* {1: [h'0102', "ab", {2: 1000000}], 3: 1(1363896240), "k": -1000, 4: [true, null, 1.5]} */
	gk_enc_init(&e);
	gk_enc_map(&e, 4);
	gk_enc_uint(&e, 1);
	gk_enc_array(&e, 3);
	gk_enc_bstr(&e, "\x01\x02", 2);
	gk_enc_tstr(&e, "ab");
	gk_enc_map(&e, 1);
	gk_enc_uint(&e, 2);
	gk_enc_uint(&e, 1000000);
	gk_enc_uint(&e, 3);
	gk_enc_tag(&e, 1);
	gk_enc_uint(&e, 1363896240);
	gk_enc_uint(&e, 4);
	gk_enc_array(&e, 3);
	gk_enc_bool(&e, true);
	gk_enc_null(&e);
	gk_enc_raw(&e, "\xf9\x3e\x00", 3);
	gk_enc_tstr(&e, "k");
	gk_enc_int(&e, -1000);
	ASSERT_EQ(gk_enc_finish(&e, &msg, &len), 0);
	ASSERT_EQ(len, 35);
	for (size_t n = 0; n < len; n++) {
		int err = gk_cbor_decode(msg, n, NULL, &it);

		if (err != -GK_ETRUNCATED)
			printf("# prefix %zu: %d\n", n, err);
		ASSERT_EQ(err, -GK_ETRUNCATED);
		ASSERT_TRUE(it == NULL);
	}
	ASSERT_EQ(gk_cbor_decode(msg, len, NULL, &it), 0);
	ASSERT_TRUE(cbor_isa_map(it));
	cbor_decref(&it);
	free(msg);
}

TEST(dec_trailing_bytes)
{
	EXPECT_EQ(decode_err("0100", NULL), -GK_ETRAILING);
	EXPECT_EQ(decode_err("810101", NULL), -GK_ETRAILING);
	EXPECT_EQ(decode_err("a0ff", NULL), -GK_ETRAILING);
	EXPECT_EQ(decode_err("f6f6", NULL), -GK_ETRAILING);
	EXPECT_EQ(decode_err("", NULL), -GK_ETRUNCATED);
}

TEST(dec_indefinite_strings_refused)
{
	struct gk_cbor_limits lim = limits();

	EXPECT_EQ(decode_err("5f42010243030405ff", NULL), -GK_EINDEFINITE);
	EXPECT_EQ(decode_err("7f657374726561646d696e67ff", NULL), -GK_EINDEFINITE);
	EXPECT_EQ(decode_err("5fff", NULL), -GK_EINDEFINITE);
	EXPECT_EQ(decode_err("817fff", NULL), -GK_EINDEFINITE);
	lim.allow_indefinite = true;
	EXPECT_EQ(decode_err("5f42010243030405ff", &lim), -GK_EINDEFINITE);
	EXPECT_EQ(decode_err("7f657374726561646d696e67ff", &lim), -GK_EINDEFINITE);
}

TEST(dec_indefinite_containers)
{
	struct gk_cbor_limits lim = limits();

	EXPECT_EQ(decode_err("9fff", NULL), -GK_EINDEFINITE);
	EXPECT_EQ(decode_err("9f0102ff", NULL), -GK_EINDEFINITE);
	EXPECT_EQ(decode_err("bf61610161629f0203ffff", NULL), -GK_EINDEFINITE);
	lim.allow_indefinite = true;
	roundtrip("9fff", &lim, "80");
	roundtrip("9f018202039f0405ffff", &lim, "8301820203820405");
	roundtrip("bf61610161629f0203ffff", &lim, "a26161016162820203");
	roundtrip("826161bf61626163ff", &lim, "826161a161626163");
	EXPECT_EQ(decode_err("9f01", &lim), -GK_ETRUNCATED);
	EXPECT_EQ(decode_err("bf01ff", &lim), -GK_EMALFORMED); /* break after a key */
	EXPECT_EQ(decode_err("bf0102010bff", &lim), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("9f01ff00", &lim), -GK_ETRAILING);
	lim.max_depth = 1;
	EXPECT_EQ(decode_err("9f9fffff", &lim), -GK_EDEPTH);
	lim.max_depth = 16;
	lim.max_items = 3;
	EXPECT_EQ(decode_err("9f0102ff", &lim), 0);
	EXPECT_EQ(decode_err("9f010203ff", &lim), -GK_EITEMS);
}

TEST(dec_dup_int_keys)
{
	EXPECT_EQ(decode_err("a201020103", NULL), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("a2200120f6", NULL), -GK_EDUPKEY);
	/* Same value in another width is the same key. */
	EXPECT_EQ(decode_err("a20102180103", NULL), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("a3010203040105", NULL), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("a30102030420f6", NULL), 0);
}

TEST(dec_dup_text_keys)
{
	EXPECT_EQ(decode_err("a2616101616102", NULL), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("a2616101616201", NULL), 0);
	EXPECT_EQ(decode_err("a2600160f6", NULL), -GK_EDUPKEY);
	/* Byte and text strings with the same content differ. */
	EXPECT_EQ(decode_err("a2416101616101", NULL), 0);
	EXPECT_EQ(decode_err("a2416101416101", NULL), -GK_EDUPKEY);
	/* Containers as keys compare by content too. */
	EXPECT_EQ(decode_err("a282010200820102f6", NULL), -GK_EDUPKEY);
}

TEST(dec_dup_keys_nested)
{
	EXPECT_EQ(decode_err("a101a2020002f5", NULL), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("8201a2616b00616b01", NULL), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("d2a2010001f6", NULL), -GK_EDUPKEY);
	EXPECT_EQ(decode_err("a101a2020003f5", NULL), 0);
}

TEST(dec_int_and_text_key_not_dup)
{
	cbor_item_t *it = NULL;
	int64_t v = 0;

	ASSERT_EQ(decode_hex("a2010a613114", NULL, &it), 0); /* {1: 10, "1": 20} */
	ASSERT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, 1), &v), 0);
	ASSERT_EQ(v, 10);
	ASSERT_EQ(gk_cbor_get_int(gk_cbor_map_get_str(it, "1"), &v), 0);
	ASSERT_EQ(v, 20);
	cbor_decref(&it);
	EXPECT_EQ(decode_err("a2000020f6", NULL), 0);	/* 0 and -1 */
	EXPECT_EQ(decode_err("a20100c101f6", NULL), 0); /* 1 and 1(1) */
}

TEST(dec_invalid_utf8)
{
	static const char *const bad[] = {
		"6180",	      /* lone continuation byte */
		"61ff",	      /* never valid */
		"62c328",     /* bad continuation */
		"61c3",	      /* sequence cut by the string's end */
		"62c080",     /* overlong NUL */
		"63e08080",   /* overlong 3-byte */
		"63eda080",   /* surrogate U+D800 */
		"64f4908080", /* above U+10FFFF */
		"64f8888080", /* 5-byte form */
		"8161fe",     /* inside an array */
		"a161c001",   /* as a map key */
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		int err = decode_err(bad[i], NULL);

		if (err != -GK_EMALFORMED)
			printf("# %s: %d\n", bad[i], err);
		EXPECT_EQ(err, -GK_EMALFORMED);
	}
	EXPECT_EQ(decode_err("64f09f9880", NULL), 0);
	EXPECT_EQ(decode_err("64f48fbfbf", NULL), 0);
	EXPECT_EQ(decode_err("63ed9fbf", NULL), 0);
	EXPECT_EQ(decode_err("627f00", NULL), 0);
}

TEST(dec_reserved_additional_info)
{
	static const char *const bad[] = { "1c", "1d", "1e", "1f",    "3c",	 "3f",
					   "5c", "7d", "9e", "bc",    "dc",	 "df",
					   "fc", "fd", "fe", "81 1c", "a1 01 3e" };

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		int err = decode_err(bad[i], NULL);

		if (err != -GK_EMALFORMED)
			printf("# %s: %d\n", bad[i], err);
		EXPECT_EQ(err, -GK_EMALFORMED);
	}
}

TEST(dec_break_misplaced)
{
	struct gk_cbor_limits lim = limits();

	EXPECT_EQ(decode_err("ff", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("81ff", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("a101ff", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("c1ff", NULL), -GK_EMALFORMED);
	lim.allow_indefinite = true;
	EXPECT_EQ(decode_err("ff", &lim), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("9f81ffff", &lim), -GK_EMALFORMED);
}

TEST(dec_simple_values)
{
	cbor_item_t *it = NULL;

	ASSERT_EQ(decode_hex("84f4f5f6f7", NULL, &it), 0);
	ASSERT_EQ(cbor_array_size(it), 4);
	ASSERT_TRUE(cbor_is_undef(cbor_array_handle(it)[3]));
	cbor_decref(&it);
	/* Unassigned simple values, one- and two-byte, and 24..31 in two bytes. */
	EXPECT_EQ(decode_err("e0", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("f3", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("f818", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("f81f", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("f820", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("f8ff", NULL), -GK_EMALFORMED);
	EXPECT_EQ(decode_err("8201f0", NULL), -GK_EMALFORMED);
}

TEST(get_wrong_type)
{
	cbor_item_t *it = NULL, *v;
	const uint8_t *bp;
	const char *sp;
	uint64_t u;
	int64_t i;
	size_t n;
	bool b;

	/* [1, -1, h'01', "a", true, null, 1.5, [], {}, 1(0)] */
	ASSERT_EQ(decode_hex("8a012041016161f5f6f93e0080a0c100", NULL, &it), 0);
	for (size_t k = 0; k < 10; k++) {
		v = cbor_array_handle(it)[k];
		EXPECT_EQ(gk_cbor_get_uint(v, &u), k == 0 ? 0 : -GK_ETYPE);
		EXPECT_EQ(gk_cbor_get_int(v, &i), k <= 1 ? 0 : -GK_ETYPE);
		EXPECT_EQ(gk_cbor_get_bstr(v, &bp, &n), k == 2 ? 0 : -GK_ETYPE);
		EXPECT_EQ(gk_cbor_get_tstr(v, &sp, &n), k == 3 ? 0 : -GK_ETYPE);
		EXPECT_EQ(gk_cbor_get_bool(v, &b), k == 4 ? 0 : -GK_ETYPE);
		EXPECT_EQ(gk_cbor_is_null(v), k == 5);
	}
	EXPECT_EQ(gk_cbor_get_uint(NULL, &u), -GK_EMISSING);
	EXPECT_EQ(gk_cbor_get_int(NULL, &i), -GK_EMISSING);
	EXPECT_EQ(gk_cbor_get_bstr(NULL, &bp, &n), -GK_EMISSING);
	EXPECT_EQ(gk_cbor_get_tstr(NULL, &sp, &n), -GK_EMISSING);
	EXPECT_EQ(gk_cbor_get_bool(NULL, &b), -GK_EMISSING);
	EXPECT_FALSE(gk_cbor_is_null(NULL));
	ASSERT_EQ(gk_cbor_get_bstr(cbor_array_handle(it)[2], &bp, &n), 0);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(bp[0], 1);
	ASSERT_EQ(gk_cbor_get_bool(cbor_array_handle(it)[4], &b), 0);
	ASSERT_TRUE(b);
	cbor_decref(&it);
}

TEST(get_int_range)
{
	cbor_item_t *it = NULL;
	int64_t v = 0;
	uint64_t u = 0;

	ASSERT_EQ(decode_hex("1b7fffffffffffffff", NULL, &it), 0);
	EXPECT_EQ(gk_cbor_get_int(it, &v), 0);
	EXPECT_TRUE(v == INT64_MAX);
	cbor_decref(&it);
	ASSERT_EQ(decode_hex("1b8000000000000000", NULL, &it), 0);
	EXPECT_EQ(gk_cbor_get_int(it, &v), -GK_ETYPE);
	EXPECT_EQ(gk_cbor_get_uint(it, &u), 0);
	EXPECT_TRUE(u == 0x8000000000000000ULL);
	cbor_decref(&it);
	ASSERT_EQ(decode_hex("3b7fffffffffffffff", NULL, &it), 0);
	EXPECT_EQ(gk_cbor_get_int(it, &v), 0);
	EXPECT_TRUE(v == INT64_MIN);
	cbor_decref(&it);
	/* -2^63 - 1: below INT64_MIN. */
	ASSERT_EQ(decode_hex("3b8000000000000000", NULL, &it), 0);
	EXPECT_EQ(gk_cbor_get_int(it, &v), -GK_ETYPE);
	cbor_decref(&it);
	ASSERT_EQ(decode_hex("3903e7", NULL, &it), 0);
	EXPECT_EQ(gk_cbor_get_int(it, &v), 0);
	EXPECT_EQ(v, -1000);
	cbor_decref(&it);
}

TEST(map_get_int_negative_keys)
{
	cbor_item_t *it = NULL;
	int64_t v = 0;

	/* {1: 2, -1: 1, -2: 3, -256: 4, -257: 5, "x": 6, 24: 7} */
	ASSERT_EQ(decode_hex("a70102200121033900ff04390100056178061818 07", NULL, &it), 0);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, 1), &v), 0);
	EXPECT_EQ(v, 2);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, -1), &v), 0);
	EXPECT_EQ(v, 1);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, -2), &v), 0);
	EXPECT_EQ(v, 3);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, -256), &v), 0);
	EXPECT_EQ(v, 4);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, -257), &v), 0);
	EXPECT_EQ(v, 5);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, 24), &v), 0);
	EXPECT_EQ(v, 7);
	EXPECT_TRUE(gk_cbor_map_get_int(it, 0) == NULL);
	EXPECT_TRUE(gk_cbor_map_get_int(it, -3) == NULL);
	EXPECT_TRUE(gk_cbor_map_get_int(it, INT64_MIN) == NULL);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_int(it, 2), &v), -GK_EMISSING);
	EXPECT_EQ(gk_cbor_get_int(gk_cbor_map_get_str(it, "x"), &v), 0);
	EXPECT_EQ(v, 6);
	EXPECT_TRUE(gk_cbor_map_get_str(it, "y") == NULL);
	EXPECT_TRUE(gk_cbor_map_get_str(it, "") == NULL);
	EXPECT_TRUE(gk_cbor_map_get_int(NULL, 1) == NULL);
	EXPECT_TRUE(gk_cbor_map_get_int(gk_cbor_map_get_int(it, 1), 1) == NULL);
	EXPECT_TRUE(gk_cbor_map_get_str(gk_cbor_map_get_int(it, 1), "x") == NULL);
	cbor_decref(&it);
	/* INT64_MIN as a key. */
	ASSERT_EQ(decode_hex("a13b7fffffffffffffff01", NULL, &it), 0);
	EXPECT_TRUE(gk_cbor_map_get_int(it, INT64_MIN) != NULL);
	EXPECT_TRUE(gk_cbor_map_get_int(it, INT64_MAX) == NULL);
	cbor_decref(&it);
}

TEST(dup_tstr)
{
	cbor_item_t *it = NULL;
	char *s = NULL;

	ASSERT_EQ(decode_hex("83636162636361006240", NULL, &it), 0);
	ASSERT_EQ(gk_cbor_dup_tstr(cbor_array_handle(it)[0], &s), 0);
	ASSERT_STREQ(s, "abc");
	free(s);
	s = NULL;
	EXPECT_EQ(gk_cbor_dup_tstr(cbor_array_handle(it)[1], &s), -GK_ETYPE); /* "a\0b" */
	EXPECT_TRUE(s == NULL);
	EXPECT_EQ(gk_cbor_dup_tstr(cbor_array_handle(it)[2], &s), -GK_ETYPE); /* h'' */
	EXPECT_EQ(gk_cbor_dup_tstr(NULL, &s), -GK_EMISSING);
	cbor_decref(&it);
	ASSERT_EQ(decode_hex("60", NULL, &it), 0);
	ASSERT_EQ(gk_cbor_dup_tstr(it, &s), 0);
	ASSERT_STREQ(s, "");
	free(s);
	cbor_decref(&it);
}

static char *json_of(const char *hex, int indent)
{
	cbor_item_t *it = NULL;
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	ASSERT_EQ(decode_hex(hex, NULL, &it), 0);
	f = open_memstream(&text, &n);
	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(gk_cbor_print_json(f, it, indent), 0);
	ASSERT_EQ(fclose(f), 0);
	cbor_decref(&it);
	return text;
}

TEST(print_json_compact)
{
	char *s;

	/* {1: h'0102', "a": [1, -2, true, null], -1: 1("x\n"), h'ff': 1.5, [1]: {}} */
	s = json_of("a5014201026161840121f5f620c162780a41fff93e008101a0", 0);
	ASSERT_STREQ(s, "{\"1\":\"h'0102'\",\"a\":[1,-2,true,null],\"-1\":{\"tag\":1,"
			"\"value\":\"x\\n\"},\"h'ff'\":1.5,\"[1]\":{}}");
	free(s);
	s = json_of("3bffffffffffffffff", 0);
	ASSERT_STREQ(s, "-18446744073709551616");
	free(s);
	s = json_of("8462c3bc6122fb3ff199999999999af97e00", 0);
	ASSERT_STREQ(s, "[\"\u00fc\",\"\\\"\",1.1,\"NaN\"]");
	free(s);
}

TEST(print_json_indented)
{
	char *s = json_of("a2016161626b31820203", 2);

	ASSERT_STREQ(s, "{\n  \"1\": \"a\",\n  \"k1\": [\n    2,\n    3\n  ]\n}");
	free(s);
	s = json_of("a180f6", 4);
	ASSERT_STREQ(s, "{\n    \"[]\": null\n}");
	free(s);
}

TEST(print_json_einval)
{
	cbor_item_t *it = NULL;
	FILE *f = fopen("/dev/null", "w");

	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(decode_hex("01", NULL, &it), 0);
	EXPECT_EQ(gk_cbor_print_json(NULL, it, 0), -EINVAL);
	EXPECT_EQ(gk_cbor_print_json(f, NULL, 0), -EINVAL);
	EXPECT_EQ(gk_cbor_print_json(f, it, -1), -EINVAL);
	EXPECT_EQ(gk_cbor_print_json(f, it, 2), 0);
	fclose(f);
	cbor_decref(&it);
}

TEST(strerror_distinct)
{
	for (int a = GK_EBASE + 1; a < GK_EMAX; a++) {
		const char *sa = gk_strerror(-a), *na = gk_errname(-a);

		ASSERT_TRUE(sa && *sa);
		ASSERT_TRUE(na && *na);
		EXPECT_TRUE(strcmp(sa, "unknown error") != 0);
		EXPECT_TRUE(strcmp(na, "unknown") != 0);
		for (int b = GK_EBASE + 1; b < a; b++) {
			EXPECT_TRUE(strcmp(sa, gk_strerror(-b)) != 0);
			EXPECT_TRUE(strcmp(na, gk_errname(-b)) != 0);
		}
	}
	EXPECT_STREQ(gk_errname(-GK_EBADMAC), "bad_mac");
	EXPECT_STREQ(gk_errname(-GK_EEXPIRED), "expired");
	EXPECT_STREQ(gk_errname(-GK_ETRUNCATED), "truncated");
}

TEST(strerror_errno_fallback)
{
	EXPECT_STREQ(gk_strerror(-ENOMEM), strerror(ENOMEM));
	EXPECT_STREQ(gk_strerror(-ENOSPC), strerror(ENOSPC));
	EXPECT_STREQ(gk_errname(-ENOMEM), "ENOMEM");
	EXPECT_STREQ(gk_errname(-EINVAL), "EINVAL");
	EXPECT_STREQ(gk_strerror(GK_EDUPKEY), gk_strerror(-GK_EDUPKEY));
	EXPECT_STREQ(gk_strerror(0), "success");
	EXPECT_STREQ(gk_errname(0), "ok");
	EXPECT_STREQ(gk_strerror(-GK_EBASE), "unknown error");
	EXPECT_STREQ(gk_strerror(-GK_EMAX), "unknown error");
	EXPECT_STREQ(gk_errname(-GK_EMAX), "unknown");
	EXPECT_STREQ(gk_strerror(INT32_MIN), "unknown error");
}
