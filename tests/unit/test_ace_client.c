// SPDX-License-Identifier: BSD-3-Clause
/* The ACE client's parsers and encoders: Access Token Responses, PSK identity, default URIs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/ace_client.h"
#include "groupkey/err.h"
#include "harness.h"

/* {1: h'0102', 2: 3600, 8: {1: {1: 4, 2: h'6b31', -1: h'00..0f'}}} */
#define RESP_OK                                                                            \
	"a30142010202190e1008a101a3010402426b3120"                                         \
	"50000102030405060708090a0b0c0d0e0f"

static int parse_hex(const char *hex, struct gk_ace_token *t)
{
	size_t n;
	uint8_t *b = gk_test_unhex(hex, &n);
	int err = gk_ace_token_response_parse(b, n, t);

	free(b);
	return err;
}

TEST(token_response_fields)
{
	struct gk_ace_token t;

	ASSERT_EQ(parse_hex(RESP_OK, &t), 0);
	ASSERT_EQ(t.token_len, 2);
	EXPECT_EQ(t.token[0], 1);
	EXPECT_EQ(t.token[1], 2);
	EXPECT_EQ(t.expires_in, 3600);
	EXPECT_EQ(t.pop.kty, GK_COSE_KTY_SYMMETRIC);
	ASSERT_EQ(t.pop.kid_len, 2);
	EXPECT_MEMEQ(t.pop.kid, "k1", 2);
	EXPECT_EQ(t.pop.k_len, 16);
	EXPECT_EQ(t.pop.k[15], 0x0f);
}

TEST(token_response_refusals)
{
	struct gk_ace_token t;

	/* not a map */
	EXPECT_EQ(parse_hex("820102", &t), -GK_ETYPE);
	/* no access_token */
	EXPECT_EQ(parse_hex("a1021910e0", &t), -GK_EMISSING);
	/* access_token a text string */
	EXPECT_EQ(parse_hex("a1016161", &t), -GK_ETYPE);
	/* empty access_token */
	EXPECT_EQ(parse_hex("a10140", &t), -GK_EMISSING);
	/* expires_in a text string */
	EXPECT_EQ(parse_hex("a201420102026178", &t), -GK_ETYPE);
	/* no cnf */
	EXPECT_EQ(parse_hex("a2014201020202", &t), -GK_EMISSING);
	/* cnf without a COSE_Key */
	EXPECT_EQ(parse_hex("a201420102" "08a10341aa", &t), -GK_EMISSING);
	/* a symmetric PoP key without kid */
	EXPECT_EQ(parse_hex("a201420102" "08a101a201042050000102030405060708090a0b0c0d0e0f", &t),
		  -GK_EKEY);
	/* truncated, and trailing bytes */
	EXPECT_EQ(parse_hex("a3014201", &t), -GK_ETRUNCATED);
	EXPECT_EQ(parse_hex(RESP_OK "00", &t), -GK_ETRAILING);
}

TEST(token_response_oversize_token)
{
	size_t n = GK_ACE_TOKEN_MAX + 1, len = 0;
	uint8_t *b = calloc(1, n + 64), *cnf;
	struct gk_ace_token t;

	ASSERT_TRUE(b != NULL);
	b[len++] = 0xa2;
	b[len++] = 0x01;
	b[len++] = 0x59; /* bstr, 2-byte length */
	b[len++] = (uint8_t)(n >> 8);
	b[len++] = (uint8_t)n;
	len += n;
	cnf = gk_test_unhex("08a101a3010402426b312050000102030405060708090a0b0c0d0e0f", &n);
	ASSERT_EQ(n, 28);
	memcpy(b + len, cnf, n);
	free(cnf);
	len += n;
	EXPECT_EQ(gk_ace_token_response_parse(b, len, &t), -E2BIG);
	free(b);
}

TEST(request_encoding_is_exact)
{
	struct gk_scope s = { .n = 1 };
	struct gk_enc e;
	size_t n;
	uint8_t *want;

	snprintf(s.e[0].group, sizeof(s.e[0].group), "g1");
	s.e[0].roles = GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_RECEIVER);
	gk_enc_init(&e);
	ASSERT_EQ(gk_ace_token_request_encode(&e, &s, "kdc"), 0);
	/* {5: "kdc", 9: h'818262673106'} : scope [["g1", 6]] (AIF, sender|receiver) */
	want = gk_test_unhex("a205636b64630946818262673106", &n);
	ASSERT_EQ(e.len, n);
	EXPECT_MEMEQ(e.buf, want, n);
	free(want);
	gk_enc_free(&e);
}

TEST(kid_identity_is_exact)
{
	struct gk_cose_key pop = { .kty = GK_COSE_KTY_SYMMETRIC, .kid = { 0x6b, 0x31 },
				   .kid_len = 2 };
	uint8_t *id = NULL, *want;
	size_t len = 0, n;

	ASSERT_EQ(gk_ace_kid_identity_buf(&pop, &id, &len), 0);
	/* {8: {1: {1: 4, 2: h'6b31'}}} */
	want = gk_test_unhex("a108a101a2010402426b31", &n);
	ASSERT_EQ(len, n);
	EXPECT_MEMEQ(id, want, n);
	free(id);
	free(want);
	pop.kid_len = 0;
	EXPECT_EQ(gk_ace_kid_identity_buf(&pop, &id, &len), -EINVAL);
}

TEST(default_authz_uri)
{
	char out[64];

	ASSERT_EQ(gk_ace_default_authz_uri("coaps://10.0.0.1:5684", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "coap://10.0.0.1:5683/authz-info");
	ASSERT_EQ(gk_ace_default_authz_uri("coaps://[fd00::1]:6000/x", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "coap://[fd00::1]:5683/authz-info");
	EXPECT_EQ(gk_ace_default_authz_uri("kdc.example", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(gk_ace_default_authz_uri("coaps://[fd00::1", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(gk_ace_default_authz_uri("coaps://", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(gk_ace_default_authz_uri("coaps://h", out, 8), -EINVAL);
}
