// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for daemon/lib/dptag.c: SipHash-2-4, the data-plane key, the trailer, stamp and verify. */
#include <arpa/inet.h>
#include <errno.h>

#include "groupkey/dptag.h"
#include "groupkey/err.h"
#include "harness.h"

/* SipHash-2-4 reference outputs (vectors_sip64 of the reference code): key 00..0f, message 00..len-1. */
static const char *const sip64_vectors[64] = {
	"310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785",
	"b7877127e09427cf", "8da699cd64557618", "cee3fe586e46c9cb", "37d1018bf50002ab",
	"6224939a79f5f593", "b0e4a90bdf82009e", "f3b9dd94c5bb5d7a", "a7ad6b22462fb3f4",
	"fbe50e86bc8f1e75", "903d84c02756ea14", "eef27a8e90ca23f7", "e545be4961ca29a1",
	"db9bc2577fcc2a3f", "9447be2cf5e99a69", "9cd38d96f0b3c14b", "bd6179a71dc96dbb",
	"98eea21af25cd6be", "c7673b2eb0cbf2d0", "883ea3e395675393", "c8ce5ccd8c030ca8",
	"94af49f6c650adb8", "eab8858ade92e1bc", "f315bb5bb835d817", "adcf6b0763612e2f",
	"a5c91da7acaa4dde", "716595876650a2a6", "28ef495c53a387ad", "42c341d8fa92d832",
	"ce7cf2722f512771", "e37859f94623f3a7", "381205bb1ab0e012", "ae97a10fd434e015",
	"b4a31508beff4d31", "81396229f0907902", "4d0cf49ee5d4dcca", "5c73336a76d8bf9a",
	"d0a704536ba93e0e", "925958fcd6420cad", "a915c29bc8067318", "952b79f3bc0aa6d4",
	"f21df2e41d4535f9", "87577519048f53a9", "10a56cf5dfcd9adb", "eb75095ccd986cd0",
	"51a9cb9ecba312e6", "96afadfc2ce666c7", "72fe52975a4364ee", "5a1645b276d592a1",
	"b274cb8ebf87870a", "6f9bb4203de7b381", "eaecb2a30b22a87f", "9924a43cc1315724",
	"bd838d3aafbf8db7", "0b1a2a3265d51aea", "135079a3231ce660", "932b2846e4d70666",
	"e1915f5cb1eca46c", "f325965ca16d629f", "575ff28e60381be5", "724506eb4c328a95",
};

/* One docs/wire-format.md tag vector. */
struct tag_vector {
	const char *name;
	const char *ikm;
	const char *group;
	uint32_t key_id;
	int ipv6;
	const char *addr;
	uint16_t port;
	uint32_t sender_id;
	uint64_t seq;
	const char *payload;
	uint64_t k0, k1;
	const char *trailer;
};

static const struct tag_vector tag_vectors[] = {
	{ "V1", "000102030405060708090a0b0c0d0e0f", "gk-test", 1, 0, "239.1.2.3", 5683, 7, 1,
	  "68656c6c6f", 0x3fe504fcf9dabf93ULL, 0x2b54b2609d183c5cULL,
	  "0100000000000001000000070000000000000001662633de9d44261f" },
	{ "V2", "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f", "sensors/temp",
	  0x01020304, 1, "ff3e::1234", 5684, 0xdeadbeef, 0x0102030405060708ULL,
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
	  0x546c00ac0d51f7d4ULL, 0xc0366370f58f3d1aULL,
	  "0100000001020304deadbeef0102030405060708ad39e6d1290df6e6" },
	{ "V3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "g", 0xffffffff,
	  0, "239.255.0.1", 9999, 1, 0xffffffffffffffffULL, "", 0xf84c7ab59640ea3cULL,
	  0x73bed6a8cc55c235ULL, "01000000ffffffff00000001ffffffffffffffff546773d1288471b9" },
	{ "V4", "000102030405060708090a0b0c0d0e0f", "gk-test", 1, 0, "239.1.2.3", 5683, 7, 2,
	  "4142434445464748494a4b4c4d4e4f", 0x3fe504fcf9dabf93ULL, 0x2b54b2609d183c5cULL,
	  "010000000000000100000007000000000000000227301285d087a864" },
};

#define TEST_PORT 5683
#define TEST_KEY_ID 1

static void vector_group(const struct tag_vector *v, struct gk_dp_group_key *g)
{
	uint8_t a[16];

	ASSERT_EQ(inet_pton(v->ipv6 ? AF_INET6 : AF_INET, v->addr, a), 1);
	if (v->ipv6)
		gk_dp_group_ipv6(g, a, v->port);
	else
		gk_dp_group_ipv4(g, a, v->port);
}

static void vector_key(const struct tag_vector *v, struct gk_dp_key *k)
{
	size_t n;
	uint8_t *ikm = gk_test_unhex(v->ikm, &n);

	memset(k, 0, sizeof(*k));
	ASSERT_EQ(gk_dp_derive_key(ikm, n, v->group, v->key_id, k), 0);
	free(ikm);
}

/* The V1 key and group, receive deadline far away: the fixture of the behaviour tests. */
static void v1_setup(struct gk_dp_key *k, struct gk_dp_group_key *g)
{
	vector_key(&tag_vectors[0], k);
	vector_group(&tag_vectors[0], g);
	k->recv_not_after_ns = UINT64_MAX;
	k->send_not_after_ns = UINT64_MAX;
}

/* A key store of one key id, as a receiver would consult it for the trailer's key id. */
static const struct gk_dp_key *key_for(const struct gk_dp_key *k, const uint8_t *dgram, size_t len)
{
	struct gk_dp_meta m;
	size_t plen;

	if (gk_dp_trailer_parse(dgram, len, &m, &plen))
		return k; /* gk_dp_verify reports the parse error itself */
	return m.key_id == TEST_KEY_ID ? k : NULL;
}

static size_t stamp(const struct gk_dp_key *k, const struct gk_dp_group_key *g, uint64_t seq,
		    uint8_t *buf, size_t len, size_t cap)
{
	struct gk_dp_meta m = { .key_id = TEST_KEY_ID, .sender_id = 7, .seq = seq };
	size_t out = 0;

	ASSERT_EQ(gk_dp_stamp(k, g, &m, buf, len, cap, &out), 0);
	ASSERT_EQ(out, len + GK_DP_TRAILER_LEN);
	return out;
}

TEST(siphash24_reference_vectors)
{
	uint8_t msg[64], out[8];
	uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;

	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t len = 0; len < 64; len++) {
		uint64_t h = gk_siphash24(k0, k1, msg, len);
		uint8_t *want;
		size_t n;

		for (int i = 0; i < 8; i++)
			out[i] = (uint8_t)(h >> (8 * i));
		want = gk_test_unhex(sip64_vectors[len], &n);
		ASSERT_EQ(n, 8);
		if (memcmp(out, want, 8))
			TH_LOG("length %zu", len);
		EXPECT_MEMEQ(out, want, 8);
		free(want);
	}
}

TEST(derive_key_matches_hkdf_vectors)
{
	for (size_t i = 0; i < sizeof(tag_vectors) / sizeof(tag_vectors[0]); i++) {
		const struct tag_vector *v = &tag_vectors[i];
		struct gk_dp_key k;

		vector_key(v, &k);
		EXPECT_EQ(k.k0, v->k0);
		EXPECT_EQ(k.k1, v->k1);
		EXPECT_EQ(k.recv_not_after_ns, 0);
		EXPECT_EQ(k.send_not_after_ns, 0);
	}
}

TEST(derive_key_binds_group_and_key_id)
{
	const uint8_t ikm[16] = { 1 };
	struct gk_dp_key a = { 0 }, b = { 0 }, c = { 0 };

	ASSERT_EQ(gk_dp_derive_key(ikm, sizeof(ikm), "g1", 1, &a), 0);
	ASSERT_EQ(gk_dp_derive_key(ikm, sizeof(ikm), "g1", 2, &b), 0);
	ASSERT_EQ(gk_dp_derive_key(ikm, sizeof(ikm), "g2", 1, &c), 0);
	EXPECT_NE(a.k0, b.k0);
	EXPECT_NE(a.k0, c.k0);
	EXPECT_NE(b.k1, c.k1);
}

TEST(derive_key_rejects_bad_input)
{
	char name[GK_DP_GROUP_NAME_MAX + 2];
	const uint8_t ikm[16] = { 0 };
	struct gk_dp_key k = { .k0 = 42, .k1 = 43 };

	memset(name, 'g', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	EXPECT_EQ(gk_dp_derive_key(ikm, 0, "g", 1, &k), -EINVAL);
	EXPECT_EQ(gk_dp_derive_key(NULL, 16, "g", 1, &k), -EINVAL);
	EXPECT_EQ(gk_dp_derive_key(ikm, sizeof(ikm), NULL, 1, &k), -EINVAL);
	EXPECT_EQ(gk_dp_derive_key(ikm, sizeof(ikm), name, 1, &k), -EINVAL);
	EXPECT_EQ(k.k0, 42);
	EXPECT_EQ(k.k1, 43);
	name[GK_DP_GROUP_NAME_MAX] = '\0';
	EXPECT_EQ(gk_dp_derive_key(ikm, sizeof(ikm), name, 1, &k), 0);
	EXPECT_NE(k.k0, 42);
}

TEST(group_key_layout)
{
	static const uint8_t want4[20] = { 0,	 0,    0,   0, 0, 0, 0,	   0,	 0, 0,
					   0xff, 0xff, 239, 1, 2, 3, 0x16, 0x33, 0, 0 };
	static const uint8_t a6[16] = { 0xff, 0x3e, [14] = 0x12, 0x34 };
	struct gk_dp_group_key g;

	memset(&g, 0x5a, sizeof(g));
	gk_dp_group_ipv4(&g, (const uint8_t[4]){ 239, 1, 2, 3 }, 5683);
	ASSERT_EQ(sizeof(g), 20);
	EXPECT_MEMEQ(&g, want4, sizeof(want4));
	memset(&g, 0x5a, sizeof(g));
	gk_dp_group_ipv6(&g, a6, 0x1634);
	EXPECT_MEMEQ(g.addr, a6, 16);
	EXPECT_MEMEQ(&g.port, "\x16\x34\0\0", 4);
}

TEST(tag_vectors_stamp_exact_trailers)
{
	for (size_t i = 0; i < sizeof(tag_vectors) / sizeof(tag_vectors[0]); i++) {
		const struct tag_vector *v = &tag_vectors[i];
		struct gk_dp_meta m = { v->key_id, v->sender_id, v->seq };
		uint8_t buf[128], *payload, *trailer, tag[GK_DP_TAG_LEN];
		struct gk_dp_group_key g;
		size_t plen, tlen, out = 0;
		struct gk_dp_key k;

		vector_key(v, &k);
		vector_group(v, &g);
		payload = gk_test_unhex(v->payload, &plen);
		trailer = gk_test_unhex(v->trailer, &tlen);
		ASSERT_EQ(tlen, GK_DP_TRAILER_LEN);
		memcpy(buf, payload, plen);
		ASSERT_EQ(gk_dp_stamp(&k, &g, &m, buf, plen, sizeof(buf), &out), 0);
		ASSERT_EQ(out, plen + GK_DP_TRAILER_LEN);
		EXPECT_MEMEQ(buf, payload, plen);
		if (memcmp(buf + plen, trailer, GK_DP_TRAILER_LEN))
			TH_LOG("vector %s", v->name);
		EXPECT_MEMEQ(buf + plen, trailer, GK_DP_TRAILER_LEN);
		gk_dp_tag(&k, &g, &m, payload, plen, tag);
		EXPECT_MEMEQ(tag, trailer + 20, GK_DP_TAG_LEN);
		free(payload);
		free(trailer);
	}
}

TEST(trailer_build_and_parse)
{
	static const uint8_t tag[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct gk_dp_meta m = { 0x01020304, 0xa0b0c0d0, 0x1112131415161718ULL }, got;
	uint8_t tr[40], *want;
	size_t plen = 0, n;

	want = gk_test_unhex("01000000 01020304 a0b0c0d0 1112131415161718 0102030405060708", &n);
	memset(tr, 0xee, sizeof(tr));
	gk_dp_trailer_build(tr + 12, &m, tag);
	EXPECT_MEMEQ(tr + 12, want, GK_DP_TRAILER_LEN);
	ASSERT_EQ(gk_dp_trailer_parse(tr, sizeof(tr), &got, &plen), 0);
	EXPECT_EQ(plen, 12);
	EXPECT_EQ(got.key_id, m.key_id);
	EXPECT_EQ(got.sender_id, m.sender_id);
	EXPECT_EQ(got.seq, m.seq);
	gk_dp_trailer_build(tr, &m, NULL);
	EXPECT_MEMEQ(tr + 20, "\0\0\0\0\0\0\0\0", 8);
	free(want);
}

TEST(trailer_parse_rejects)
{
	struct gk_dp_meta m;
	uint8_t tr[GK_DP_TRAILER_LEN];
	size_t plen = 99;

	gk_dp_trailer_build(tr, &(struct gk_dp_meta){ 1, 2, 3 }, NULL);
	EXPECT_EQ(gk_dp_trailer_parse(tr, GK_DP_TRAILER_LEN - 1, &m, &plen), -GK_ETRUNCATED);
	EXPECT_EQ(gk_dp_trailer_parse(tr, 0, &m, &plen), -GK_ETRUNCATED);
	for (int i = 0; i < 4; i++) {
		uint8_t bad[GK_DP_TRAILER_LEN];

		memcpy(bad, tr, sizeof(bad));
		bad[i] ^= 0x02;
		EXPECT_EQ(gk_dp_trailer_parse(bad, sizeof(bad), &m, &plen), -GK_EMALFORMED);
	}
	EXPECT_EQ(plen, 99);
	EXPECT_EQ(gk_dp_trailer_parse(tr, sizeof(tr), &m, &plen), 0);
	EXPECT_EQ(plen, 0);
}

TEST(stamp_verify_strip_round_trip)
{
	struct gk_dp_window win = { 0 };
	struct gk_dp_group_key g;
	uint8_t buf[1500], orig[1500];
	struct gk_dp_key k;

	v1_setup(&k, &g);
	for (size_t len = 0; len < 200; len += 7) {
		size_t n, plen = 0;

		for (size_t i = 0; i < len; i++)
			orig[i] = (uint8_t)(i * 31 + len);
		memcpy(buf, orig, len);
		n = stamp(&k, &g, len + 1, buf, len, sizeof(buf));
		ASSERT_EQ(gk_dp_verify(&g, &k, 0, &win, buf, n, &plen), GK_DP_V_PASS);
		ASSERT_EQ(plen, len);
		ASSERT_MEMEQ(buf, orig, len);
	}
	EXPECT_EQ(win.top, 197);
}

TEST(stamp_limits)
{
	static uint8_t buf[GK_DP_MAX_PAYLOAD + GK_DP_TRAILER_LEN + 1];
	struct gk_dp_meta m = { TEST_KEY_ID, 7, 1 };
	struct gk_dp_group_key g;
	size_t out = 0, plen = 0;
	struct gk_dp_key k;

	v1_setup(&k, &g);
	EXPECT_EQ(gk_dp_stamp(&k, &g, &m, buf, GK_DP_MAX_PAYLOAD + 1, sizeof(buf), &out),
		  -EMSGSIZE);
	EXPECT_EQ(gk_dp_stamp(&k, &g, &m, buf, 10, 10 + GK_DP_TRAILER_LEN - 1, &out), -ENOBUFS);
	EXPECT_EQ(out, 0);
	ASSERT_EQ(gk_dp_stamp(&k, &g, &m, buf, GK_DP_MAX_PAYLOAD, sizeof(buf), &out), 0);
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, NULL, buf, out, &plen), GK_DP_V_PASS);
	EXPECT_EQ(plen, GK_DP_MAX_PAYLOAD);
	/* One more payload byte in front of a valid trailer: over the limit before anything else. */
	memmove(buf + 1, buf, out);
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, NULL, buf, out + 1, &plen), GK_DP_V_TOO_BIG);
	EXPECT_EQ(gk_dp_peek(buf, out + 1, &m, &plen), GK_DP_V_TOO_BIG);
}

TEST(every_bit_flip_is_rejected)
{
	struct gk_dp_group_key g;
	uint8_t buf[128], bad[128];
	struct gk_dp_key k;
	size_t n;

	v1_setup(&k, &g);
	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)i;
	n = stamp(&k, &g, 5, buf, 37, sizeof(buf));
	for (size_t bit = 0; bit < n * 8; bit++) {
		size_t byte = bit / 8, plen = 12345, t = byte >= 37 ? byte - 37 : SIZE_MAX;
		enum gk_dp_verdict want = GK_DP_V_BAD_TAG, got;
		struct gk_dp_window win = { 0 };

		if (t < 4)
			want = GK_DP_V_MALFORMED; /* version, flags, reserved */
		else if (t < 8)
			want = GK_DP_V_UNKNOWN_KEY; /* another key id: no key */
		memcpy(bad, buf, n);
		bad[byte] ^= (uint8_t)(1u << (bit % 8));
		got = gk_dp_verify(&g, key_for(&k, bad, n), 0, &win, bad, n, &plen);
		if (got != want)
			TH_LOG("bit %zu: verdict %d, expected %d", bit, got, want);
		EXPECT_EQ(got, want);
		EXPECT_EQ(plen, 12345);
		EXPECT_EQ(win.top, 0);
		EXPECT_EQ(win.window, 0);
	}
}

TEST(every_truncation_and_extension_is_rejected)
{
	struct gk_dp_group_key g;
	uint8_t buf[128];
	struct gk_dp_key k;
	size_t n, plen;

	v1_setup(&k, &g);
	/* 0xa5 payload: wherever a truncation puts the trailer, its version byte is wrong. */
	memset(buf, 0xa5, sizeof(buf));
	n = stamp(&k, &g, 5, buf, 40, sizeof(buf));
	for (size_t len = 0; len < n; len++) {
		plen = 777;
		EXPECT_EQ(gk_dp_verify(&g, &k, 0, NULL, buf, len, &plen), GK_DP_V_MALFORMED);
		EXPECT_EQ(plen, 777);
	}
	buf[n] = 0;
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, NULL, buf, n + 1, &plen), GK_DP_V_MALFORMED);
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, NULL, buf, n, &plen), GK_DP_V_PASS);
}

TEST(tag_binds_group_address_and_port)
{
	struct gk_dp_group_key g, other;
	uint8_t buf[64];
	struct gk_dp_key k;
	size_t n, plen;

	v1_setup(&k, &g);
	memcpy(buf, "payload", 7);
	n = stamp(&k, &g, 5, buf, 7, sizeof(buf));
	gk_dp_group_ipv4(&other, (const uint8_t[4]){ 239, 1, 2, 4 }, TEST_PORT);
	EXPECT_EQ(gk_dp_verify(&other, &k, 0, NULL, buf, n, &plen), GK_DP_V_BAD_TAG);
	gk_dp_group_ipv4(&other, (const uint8_t[4]){ 239, 1, 2, 3 }, TEST_PORT + 1);
	EXPECT_EQ(gk_dp_verify(&other, &k, 0, NULL, buf, n, &plen), GK_DP_V_BAD_TAG);
	k.k1 ^= 1;
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, NULL, buf, n, &plen), GK_DP_V_BAD_TAG);
	k.k1 ^= 1;
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, NULL, buf, n, &plen), GK_DP_V_PASS);
}

TEST(expiry_is_inclusive_and_checked_before_the_tag)
{
	struct gk_dp_group_key g;
	uint8_t buf[64];
	struct gk_dp_key k;
	size_t n, plen;

	v1_setup(&k, &g);
	k.recv_not_after_ns = 1000;
	n = stamp(&k, &g, 5, buf, 0, sizeof(buf));
	EXPECT_EQ(gk_dp_verify(&g, &k, 1000, NULL, buf, n, &plen), GK_DP_V_PASS);
	EXPECT_EQ(gk_dp_verify(&g, &k, 1001, NULL, buf, n, &plen), GK_DP_V_EXPIRED);
	buf[n - 1] ^= 1;
	EXPECT_EQ(gk_dp_verify(&g, &k, 1001, NULL, buf, n, &plen), GK_DP_V_EXPIRED);
	EXPECT_EQ(gk_dp_verify(&g, &k, 1000, NULL, buf, n, &plen), GK_DP_V_BAD_TAG);
	EXPECT_EQ(gk_dp_verify(&g, NULL, 0, NULL, buf, n, &plen), GK_DP_V_UNKNOWN_KEY);
}

TEST(replay_window_through_verify)
{
	static const struct {
		uint64_t seq;
		enum gk_dp_verdict want;
	} steps[] = {
		{ 10, GK_DP_V_PASS },	{ 10, GK_DP_V_REPLAY },	 { 9, GK_DP_V_PASS },
		{ 9, GK_DP_V_REPLAY },	{ 74, GK_DP_V_PASS },	 { 11, GK_DP_V_PASS },
		{ 10, GK_DP_V_REPLAY }, { 12, GK_DP_V_PASS },	 { 74, GK_DP_V_REPLAY },
		{ 200, GK_DP_V_PASS },	{ 136, GK_DP_V_REPLAY }, { 137, GK_DP_V_PASS },
	};
	struct gk_dp_window win = { 0 };
	struct gk_dp_group_key g;
	struct gk_dp_key k;
	uint8_t buf[64];

	v1_setup(&k, &g);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum gk_dp_verdict got;
		size_t n, plen;

		n = stamp(&k, &g, steps[i].seq, buf, 3, sizeof(buf));
		got = gk_dp_verify(&g, &k, 0, &win, buf, n, &plen);
		if (got != steps[i].want)
			TH_LOG("step %zu (seq %" PRIu64 ")", i, steps[i].seq);
		EXPECT_EQ(got, steps[i].want);
	}
	EXPECT_EQ(win.top, 200);
}

TEST(replay_window_rule)
{
	__u64 top = 0, window = 0;

	EXPECT_EQ(gk_dp_replay_update(&top, &window, 0), 0);
	EXPECT_EQ(gk_dp_replay_update(&top, &window, 0), -1);
	EXPECT_EQ(gk_dp_replay_update(&top, &window, 100), 0);
	EXPECT_EQ(top, 100);
	EXPECT_EQ(window, 1);
	EXPECT_EQ(gk_dp_replay_update(&top, &window, 37),
		  0); /* top - 63: the oldest in the window */
	EXPECT_EQ(gk_dp_replay_update(&top, &window, 36), -1); /* top - 64: too old */
	EXPECT_EQ(gk_dp_replay_update(&top, &window, 37), -1);
	EXPECT_EQ(window, 1ULL << 63 | 1);
	EXPECT_EQ(gk_dp_replay_update(&top, &window, 101), 0);
	EXPECT_EQ(window, 3); /* 37 fell out of the window */
	EXPECT_EQ(gk_dp_replay_update(&top, &window, UINT64_MAX), 0);
	EXPECT_EQ(window, 1);
	EXPECT_EQ(gk_dp_replay_update(&top, &window, UINT64_MAX), -1);
	EXPECT_EQ(gk_dp_replay_update(&top, &window, 101), -1);
}

TEST(forged_packet_leaves_window_alone)
{
	struct gk_dp_window win = { 0 };
	struct gk_dp_group_key g;
	struct gk_dp_key k;
	uint8_t buf[64];
	size_t n, plen;

	v1_setup(&k, &g);
	n = stamp(&k, &g, 1000, buf, 8, sizeof(buf));
	buf[0] ^= 0x80;
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, &win, buf, n, &plen), GK_DP_V_BAD_TAG);
	EXPECT_EQ(win.top, 0);
	EXPECT_EQ(win.window, 0);
	buf[0] ^= 0x80;
	EXPECT_EQ(gk_dp_verify(&g, &k, 0, &win, buf, n, &plen), GK_DP_V_PASS);
	EXPECT_EQ(win.top, 1000);
}
