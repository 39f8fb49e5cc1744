// SPDX-License-Identifier: BSD-3-Clause
/* Member-side RFC 9594 helpers: PoP input, signatures, Join encoding, responses, member files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/gc_client.h"

/* A Join Response of docs/profile.md: num 3, k = 00..0f, exp 1700000000, exi 3600, sender id 7. */
#define RESP_OK                                                                                \
	"a9076f67726f75706b6579642d64702d763108a50104024400000003033a000100002050000102030405" \
	"060708090a0b0c0d0e0f3a000100001a6553f10009030a3a000100000b1a6553f1000c190e1010a20119" \
	"a8c002183c14003a0001000007"

static int parse_hex(const char *hex, struct gk_gc_keying *k)
{
	size_t len;
	uint8_t *buf = gk_test_unhex(hex, &len);
	int err = gk_gc_keying_parse(buf, len, k);

	free(buf);
	return err;
}

/* RFC 9594 §4.3.1: scope ["group1", "sender"], N_S 018a278f7faab55a, N_C 25a8991cd700ac01. */
TEST(pop_input_rfc9594_example)
{
	size_t n_scope, n_ns, n_nc, n_want;
	uint8_t *scope = gk_test_unhex("826667726f7570316673656e646572", &n_scope);
	uint8_t *ns = gk_test_unhex("018a278f7faab55a", &n_ns);
	uint8_t *nc = gk_test_unhex("25a8991cd700ac01", &n_nc);
	uint8_t *want = gk_test_unhex("4f826667726f7570316673656e646572"
				      "48018a278f7faab55a4825a8991cd700ac01",
				      &n_want);
	struct gk_enc e;

	gk_enc_init(&e);
	ASSERT_EQ(gk_gc_pop_input(&e, scope, n_scope, ns, n_ns, nc, n_nc), 0);
	ASSERT_EQ(e.len, n_want);
	ASSERT_MEMEQ(e.buf, want, n_want);
	gk_enc_free(&e);
	free(scope);
	free(ns);
	free(nc);
	free(want);
}

/* The KDC's form: bstr(N_C) || bstr(N_KDC), RFC 9594 §4.3.1's example bytes. */
TEST(pop_input_kdc_form)
{
	size_t n_nc, n_kdc, n_want;
	uint8_t *nc = gk_test_unhex("25a8991cd700ac01", &n_nc);
	uint8_t *nk = gk_test_unhex("cef04b2aa791bc6d", &n_kdc);
	uint8_t *want = gk_test_unhex("4825a8991cd700ac0148cef04b2aa791bc6d", &n_want);
	struct gk_enc e;

	gk_enc_init(&e);
	ASSERT_EQ(gk_gc_pop_input(&e, NULL, 0, nc, n_nc, nk, n_kdc), 0);
	ASSERT_EQ(e.len, n_want);
	ASSERT_MEMEQ(e.buf, want, n_want);
	gk_enc_free(&e);
	free(nc);
	free(nk);
	free(want);
}

TEST(client_pop_verifies_with_p256)
{
	static const uint8_t scope[] = { 0x82, 0x62, 'g', '1', 0x02 };
	static const uint8_t ns[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, nc[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	uint8_t d[32], x[32], y[32], sig[64];
	struct gk_rng *rng;
	struct gk_enc e;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_keygen(rng, d, x, y), 0);
	ASSERT_EQ(gk_gc_pop_sign(rng, d, scope, sizeof(scope), ns, sizeof(ns), nc, sizeof(nc), sig),
		  0);
	gk_enc_init(&e);
	ASSERT_EQ(gk_gc_pop_input(&e, scope, sizeof(scope), ns, sizeof(ns), nc, sizeof(nc)), 0);
	EXPECT_EQ(gk_p256_verify(x, y, e.buf, e.len, sig), 0);
	/* Another N_S: another input, the signature no longer holds. */
	e.buf[e.len - 10] ^= 1;
	EXPECT_EQ(gk_p256_verify(x, y, e.buf, e.len, sig), -GK_EBADSIG);
	gk_enc_free(&e);
	gk_rng_free(rng);
}

TEST(kdc_cred_verify)
{
	static const uint8_t nc[8] = { 1, 1, 2, 3, 5, 8, 13, 21 },
			     nk[8] = { 7, 6, 5, 4, 3, 2, 1, 0 };
	uint8_t d[32], x[32], y[32], sig[64];
	struct gk_rng *rng;
	struct gk_enc ccs;

	ASSERT_EQ(gk_rng_new(&rng), 0);
	ASSERT_EQ(gk_p256_keygen(rng, d, x, y), 0);
	ASSERT_EQ(gk_gc_pop_sign(rng, d, NULL, 0, nc, sizeof(nc), nk, sizeof(nk), sig), 0);
	gk_enc_init(&ccs);
	ASSERT_EQ(gk_gc_ccs_encode(&ccs, x, y), 0);
	/* {8: {1: {1: 2, -1: 1, -2: x, -3: y}}} */
	ASSERT_EQ(ccs.len, 2u + 2 + 1 + 4 + 2 * 35);
	EXPECT_EQ(ccs.buf[0], 0xa1);
	EXPECT_EQ(ccs.buf[1], 0x08);
	EXPECT_EQ(gk_gc_kdc_cred_verify(ccs.buf, ccs.len, nc, sizeof(nc), nk, sizeof(nk), sig, 64),
		  0);
	EXPECT_EQ(gk_gc_kdc_cred_verify(ccs.buf, ccs.len, nk, sizeof(nk), nc, sizeof(nc), sig, 64),
		  -GK_EBADSIG);
	EXPECT_EQ(gk_gc_kdc_cred_verify(ccs.buf, ccs.len, nc, sizeof(nc), nk, sizeof(nk), sig, 63),
		  -GK_EBADSIG);
	/* crv 2 (P-384) is no credential of ours. */
	ccs.buf[8] = 0x02;
	EXPECT_EQ(gk_gc_kdc_cred_verify(ccs.buf, ccs.len, nc, sizeof(nc), nk, sizeof(nk), sig, 64),
		  -GK_EKEY);
	gk_enc_free(&ccs);
	gk_rng_free(rng);
}

TEST(join_encode_exact)
{
	static const uint8_t scope[] = { 0x82, 0x62, 'g', '1', 0x0a };
	static const uint8_t cred[] = { 0xa1 }, nc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t pop[] = { 0x55, 0x55 };
	struct gk_gc_join j = { .scope = scope,
				.scope_len = sizeof(scope),
				.get_creds = true,
				.client_cred = cred,
				.client_cred_len = sizeof(cred),
				.cnonce = nc,
				.cnonce_len = sizeof(nc),
				.client_cred_verify = pop,
				.client_cred_verify_len = sizeof(pop),
				.control_uri = "coap://h/x" };
	size_t n;
	uint8_t *want = gk_test_unhex("a60345826267310a04f60541a1064801020304050607081818425555181a"
				      "6a636f61703a2f2f682f78",
				      &n);
	struct gk_enc e;

	gk_enc_init(&e);
	ASSERT_EQ(gk_gc_join_encode(&e, &j), 0);
	ASSERT_EQ(e.len, n);
	ASSERT_MEMEQ(e.buf, want, n);
	gk_enc_free(&e);
	free(want);
	j.cnonce = NULL;
	gk_enc_init(&e);
	EXPECT_EQ(gk_gc_join_encode(&e, &j), -EINVAL);
	gk_enc_free(&e);
}

TEST(keying_parse_ok)
{
	struct gk_gc_keying k;

	ASSERT_EQ(parse_hex(RESP_OK, &k), 0);
	EXPECT_EQ(k.num, 3u);
	EXPECT_EQ(k.k[0], 0x00);
	EXPECT_EQ(k.k[15], 0x0f);
	EXPECT_EQ(k.key_exp, 1700000000u);
	EXPECT_TRUE(k.has_exp);
	EXPECT_EQ(k.exp, 1700000000u);
	EXPECT_EQ(k.exi, 3600u);
	EXPECT_TRUE(k.has_profile);
	EXPECT_EQ(k.profile, GK_GC_PROFILE);
	EXPECT_TRUE(k.has_rekeying_scheme);
	EXPECT_EQ(k.rekeying_scheme, 0);
	EXPECT_TRUE(k.has_sender_id);
	EXPECT_EQ(k.sender_id, 7u);
	EXPECT_TRUE(k.has_policies);
	EXPECT_EQ(k.key_check_interval, 43200u);
	EXPECT_EQ(k.exp_delta, 60u);
	EXPECT_EQ(k.kdc_cred_len, 0u);
}

/* Each deviation from docs/profile.md REQ17/REQ18 is refused, with its reason. */
TEST(keying_parse_refusals)
{
	struct gk_gc_keying k;

	/* kid 00000004 under num 3 */
	EXPECT_EQ(parse_hex("a9076f67726f75706b6579642d64702d763108a50104024400000004033a0001000020"
			    "50000102030405060708090a0b0c0d0e0f3a000100001a6553f10009030a3a000100"
			    "000b1a6553f1000c190e1010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_EKEY);
	/* k of 15 bytes */
	EXPECT_EQ(parse_hex("a9076f67726f75706b6579642d64702d763108a50104024400000003033a0001000020"
			    "4f000102030405060708090a0b0c0d0e3a000100001a6553f10009030a3a00010000"
			    "0b1a6553f1000c190e1010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_EKEY);
	/* no exp (-65537) in the COSE_Key */
	EXPECT_EQ(parse_hex("a9076f67726f75706b6579642d64702d763108a40104024400000003033a0001000020"
			    "50000102030405060708090a0b0c0d0e0f09030a3a000100000b1a6553f1000c190e"
			    "1010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_EKEY);
	/* alg ES256 instead of -65537 */
	EXPECT_EQ(parse_hex("a9076f67726f75706b6579642d64702d763108a5010402440000000303262050000102"
			    "030405060708090a0b0c0d0e0f3a000100001a6553f10009030a3a000100000b1a65"
			    "53f1000c190e1010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_EKEY);
	/* gkty "groupkeyd-dp-v2" */
	EXPECT_EQ(parse_hex("a9076f67726f75706b6579642d64702d763208a50104024400000003033a0001000020"
			    "50000102030405060708090a0b0c0d0e0f3a000100001a6553f10009030a3a000100"
			    "000b1a6553f1000c190e1010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_ETYPE);
	/* no num */
	EXPECT_EQ(parse_hex("a8076f67726f75706b6579642d64702d763108a50104024400000003033a0001000020"
			    "50000102030405060708090a0b0c0d0e0f3a000100001a6553f1000a3a000100000b"
			    "1a6553f1000c190e1010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_EMISSING);
	/* exp without exi */
	EXPECT_EQ(parse_hex("a8076f67726f75706b6579642d64702d763108a50104024400000003033a0001000020"
			    "50000102030405060708090a0b0c0d0e0f3a000100001a6553f10009030a3a000100"
			    "000b1a6553f10010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_EMISSING);
	/* ace_groupcomm_profile 1 (Group OSCORE's), not ours */
	EXPECT_EQ(parse_hex("a9076f67726f75706b6579642d64702d763108a50104024400000003033a0001000020"
			    "50000102030405060708090a0b0c0d0e0f3a000100001a6553f10009030a010b1a65"
			    "53f1000c190e1010a20119a8c002183c14003a0001000007",
			    &k),
		  -GK_ETYPE);
	/* not a map */
	EXPECT_EQ(parse_hex("40", &k), -GK_ETYPE);
}

TEST(problem_details)
{
	size_t n;
	uint8_t *buf =
		gk_test_unhex("a300a1000520694e6f7420466f756e6421781b67726f7570206d656d626572"
			      "73686970207465726d696e61746564",
			      &n);
	struct gk_gc_problem p;

	ASSERT_EQ(gk_gc_problem_parse(buf, n, &p), 0);
	EXPECT_EQ(p.error_id, 5);
	ASSERT_STREQ(p.title, "Not Found");
	ASSERT_STREQ(p.detail, "group membership terminated");
	ASSERT_STREQ(gk_gc_error_name(p.error_id), "Group membership terminated");
	EXPECT_TRUE(gk_gc_error_name(7) == NULL);
	free(buf);
	/* {-1: "Forbidden"}: no error id */
	buf = gk_test_unhex("a12069466f7262696464656e", &n);
	ASSERT_EQ(gk_gc_problem_parse(buf, n, &p), 0);
	EXPECT_EQ(p.error_id, -1);
	ASSERT_STREQ(p.title, "Forbidden");
	free(buf);
}

TEST(kdcchallenge)
{
	size_t n, ns_len;
	uint8_t *buf = gk_test_unhex("a1181e480102030405060708", &n), ns[32];

	ASSERT_EQ(gk_gc_kdcchallenge(buf, n, ns, sizeof(ns), &ns_len), 0);
	ASSERT_EQ(ns_len, 8u);
	EXPECT_EQ(ns[0], 1);
	EXPECT_EQ(ns[7], 8);
	free(buf);
	buf = gk_test_unhex("a1181d48010203040506070a", &n); /* 29, not 30 */
	EXPECT_EQ(gk_gc_kdcchallenge(buf, n, ns, sizeof(ns), &ns_len), -GK_EMISSING);
	free(buf);
}

TEST(member_file_round_trip)
{
	struct gk_gc_member m = { .kdc = "coaps://127.0.0.1:5684",
				  .group = "g1",
				  .node = "s00000007",
				  .location = "ace-group/g1/nodes/s00000007",
				  .sender_id = 7,
				  .roles = 6,
				  .num = 3,
				  .exp = 1700000000,
				  .exi = 3600,
				  .cnonce_len = 8,
				  .kdc_cred_len = 1 };
	struct gk_gc_member back;
	struct gk_enc e;

	for (int i = 0; i < 16; i++)
		m.key[i] = (uint8_t)i;
	memset(m.cnonce, 0xcc, 8);
	m.kdc_cred[0] = 0xa0;
	gk_enc_init(&e);
	ASSERT_EQ(gk_gc_member_encode(&e, &m), 0);
	ASSERT_EQ(gk_gc_member_decode(e.buf, e.len, &back), 0);
	ASSERT_STREQ(back.kdc, m.kdc);
	ASSERT_STREQ(back.group, "g1");
	ASSERT_STREQ(back.node, "s00000007");
	ASSERT_STREQ(back.location, m.location);
	EXPECT_EQ(back.sender_id, 7u);
	EXPECT_EQ(back.roles, 6u);
	EXPECT_EQ(back.num, 3u);
	ASSERT_MEMEQ(back.key, m.key, 16);
	EXPECT_EQ(back.exp, 1700000000u);
	EXPECT_EQ(back.exi, 3600u);
	EXPECT_EQ(back.cnonce_len, 8u);
	EXPECT_EQ(back.kdc_cred_len, 1u);
	/* a map that is a token bundle, not a member file */
	EXPECT_EQ(gk_gc_member_decode((const uint8_t *)"\xa1\x01\x40", 3, &back), -GK_EMISSING);
	gk_enc_free(&e);
}
