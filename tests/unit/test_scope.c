// SPDX-License-Identifier: BSD-3-Clause
/* Scope tests: AIF and textual forms (RFC 9594 §3.1), the Join one-entry form, refusals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "groupkey/err.h"
#include "groupkey/scope.h"

#define SENDER GK_ROLE_BIT(GK_ROLE_SENDER)
#define RECEIVER GK_ROLE_BIT(GK_ROLE_RECEIVER)
#define MONITOR GK_ROLE_BIT(GK_ROLE_MONITOR)

static int decode_hex(const char *hex, struct gk_scope *s)
{
	size_t len;
	uint8_t *buf = gk_test_unhex(hex, &len);
	int err = gk_scope_decode(buf, len, s);

	free(buf);
	return err;
}

static void expect_encoding(const struct gk_scope *s, const char *hex)
{
	size_t want_len, len;
	uint8_t *want = gk_test_unhex(hex, &want_len), *out;

	ASSERT_EQ(gk_scope_encode_buf(s, &out, &len), 0);
	ASSERT_EQ(len, want_len);
	ASSERT_MEMEQ(out, want, len);
	free(out);
	free(want);
}

/* [["group1", 6]]: RFC 9594's AIF example, sender (bit 1) + receiver (bit 2). */
TEST(aif_one_entry)
{
	struct gk_scope s;

	ASSERT_EQ(decode_hex("81 82 66 67726f757031 06", &s), 0);
	ASSERT_EQ(s.n, 1);
	ASSERT_FALSE(s.textual);
	ASSERT_STREQ(s.e[0].group, "group1");
	ASSERT_EQ(s.e[0].roles, SENDER | RECEIVER);
	expect_encoding(&s, "81 82 66 67726f757031 06");
}

/* [["group1", 2], ["group2", 12]] */
TEST(aif_two_entries)
{
	struct gk_scope s;

	ASSERT_EQ(decode_hex("82 82 66 67726f757031 02 82 66 67726f757032 0c", &s), 0);
	ASSERT_EQ(s.n, 2);
	ASSERT_STREQ(s.e[0].group, "group1");
	ASSERT_EQ(s.e[0].roles, SENDER);
	ASSERT_STREQ(s.e[1].group, "group2");
	ASSERT_EQ(s.e[1].roles, RECEIVER | MONITOR);
	EXPECT_TRUE(gk_scope_find(&s, "group2") == &s.e[1]);
	EXPECT_TRUE(gk_scope_find(&s, "group3") == NULL);
}

/* The reference's Join example: h'826667726f7570316673656e646572' = ["group1", "sender"]. */
TEST(entry_textual_join_example)
{
	size_t len, out_len;
	uint8_t *buf = gk_test_unhex("826667726f7570316673656e646572", &len), *out;
	struct gk_scope_entry e;
	struct gk_enc enc;
	bool textual = false;

	ASSERT_EQ(gk_scope_entry_decode(buf, len, &e, &textual), 0);
	ASSERT_TRUE(textual);
	ASSERT_STREQ(e.group, "group1");
	ASSERT_EQ(e.roles, SENDER);
	gk_enc_init(&enc);
	ASSERT_EQ(gk_scope_entry_encode(&enc, &e, true), 0);
	ASSERT_EQ(gk_enc_finish(&enc, &out, &out_len), 0);
	ASSERT_EQ(out_len, len);
	ASSERT_MEMEQ(out, buf, len);
	free(out);
	free(buf);
}

TEST(entry_aif_and_refusals)
{
	size_t aif_len, scope_len;
	uint8_t *aif = gk_test_unhex("82 66 67726f757031 0e", &aif_len);
	uint8_t *scope = gk_test_unhex("81 82 66 67726f757031 0e", &scope_len);
	struct gk_scope_entry e;
	bool textual = true;

	ASSERT_EQ(gk_scope_entry_decode(aif, aif_len, &e, &textual), 0);
	ASSERT_FALSE(textual);
	ASSERT_STREQ(e.group, "group1");
	ASSERT_EQ(e.roles, SENDER | RECEIVER | MONITOR);
	/* A whole scope is not one entry. */
	EXPECT_EQ(gk_scope_entry_decode(scope, scope_len, &e, NULL), -GK_ETYPE);
	EXPECT_EQ(e.group[0], '\0');
	free(aif);
	free(scope);
}

/* [["g", ["sender", "receiver"]]]: textual, several roles. */
TEST(textual_role_array)
{
	const char *hex = "81 82 61 67 82 66 73656e646572 68 7265636569766572";
	struct gk_scope s;

	ASSERT_EQ(decode_hex(hex, &s), 0);
	ASSERT_TRUE(s.textual);
	ASSERT_EQ(s.n, 1);
	ASSERT_STREQ(s.e[0].group, "g");
	ASSERT_EQ(s.e[0].roles, SENDER | RECEIVER);
	expect_encoding(&s, hex);
}

TEST(encode_exact_aif)
{
	struct gk_scope s = { .n = 2 };

	strcpy(s.e[0].group, "demo");
	s.e[0].roles = RECEIVER;
	strcpy(s.e[1].group, "group1");
	s.e[1].roles = SENDER | RECEIVER;
	expect_encoding(&s, "82 82 64 64656d6f 04 82 66 67726f757031 06");
	s.textual = true;
	expect_encoding(&s, "82 82 64 64656d6f 68 7265636569766572"
			    "   82 66 67726f757031 82 66 73656e646572 68 7265636569766572");
}

TEST(encode_refuses_bad_scopes)
{
	struct gk_scope s = { .n = 1 };
	uint8_t *out;
	size_t len;

	strcpy(s.e[0].group, "g");
	s.e[0].roles = 0;
	EXPECT_EQ(gk_scope_encode_buf(&s, &out, &len), -EINVAL);
	s.e[0].roles = 1; /* bit 0 is no role */
	EXPECT_EQ(gk_scope_encode_buf(&s, &out, &len), -EINVAL);
	s.e[0].roles = SENDER;
	strcpy(s.e[0].group, "..");
	EXPECT_EQ(gk_scope_encode_buf(&s, &out, &len), -EINVAL);
	s.n = 0;
	EXPECT_EQ(gk_scope_encode_buf(&s, &out, &len), -EINVAL);
}

TEST(bad_shapes)
{
	struct gk_scope s;

	EXPECT_EQ(decode_hex("a1 61 67 06", &s), -GK_ETYPE);		     /* a map */
	EXPECT_EQ(decode_hex("80", &s), -GK_EMISSING);		     /* no entry */
	EXPECT_EQ(decode_hex("81 83 61 67 06 06", &s), -GK_ETYPE);	     /* 3 elements */
	EXPECT_EQ(decode_hex("81 81 61 67", &s), -GK_ETYPE);	     /* no role */
	EXPECT_EQ(decode_hex("81 82 01 06", &s), -GK_ETYPE);	     /* int name */
	EXPECT_EQ(decode_hex("81 82 41 67 06", &s), -GK_ETYPE);	     /* bstr name */
	EXPECT_EQ(decode_hex("81 82 61 67 f5", &s), -GK_ETYPE);	     /* true as roles */
	EXPECT_EQ(decode_hex("81 82 61 67 06 00", &s), -GK_ETRAILING);
	EXPECT_EQ(decode_hex("81 82 61 67", &s), -GK_ETRUNCATED);
	EXPECT_EQ(decode_hex("", &s), -GK_ETRUNCATED);
	EXPECT_EQ(decode_hex("81 82 61 67 81 81 66 73656e646572", &s), -GK_EDEPTH);
	EXPECT_EQ(s.n, 0);
}

TEST(unknown_roles_refused)
{
	struct gk_scope s;

	EXPECT_EQ(decode_hex("81 82 61 67 65 61646d696e", &s), -GK_ETYPE); /* "admin" */
	EXPECT_EQ(decode_hex("81 82 61 67 01", &s), -GK_ETYPE);	     /* bit 0 */
	EXPECT_EQ(decode_hex("81 82 61 67 10", &s), -GK_ETYPE);	     /* bit 4 */
	EXPECT_EQ(decode_hex("81 82 61 67 07", &s), -GK_ETYPE);	     /* 6 plus bit 0 */
	EXPECT_EQ(decode_hex("81 82 61 67 1b 0000000100000002", &s), -GK_ETYPE);
	/* [2*role]: one role in an array, or a role twice, is not that. */
	EXPECT_EQ(decode_hex("81 82 61 67 81 66 73656e646572", &s), -GK_ETYPE);
	EXPECT_EQ(decode_hex("81 82 61 67 82 66 73656e646572 66 73656e646572", &s), -GK_ETYPE);
}

TEST(tperm_zero_refused)
{
	struct gk_scope s;

	EXPECT_EQ(decode_hex("81 82 66 67726f757031 00", &s), -GK_ETYPE);
	EXPECT_EQ(s.n, 0);
}

TEST(invalid_group_names)
{
	struct gk_scope s;
	char name65[66];

	EXPECT_EQ(decode_hex("81 82 60 06", &s), -GK_ETYPE);	     /* "" */
	EXPECT_EQ(decode_hex("81 82 61 2e 06", &s), -GK_ETYPE);	     /* "." */
	EXPECT_EQ(decode_hex("81 82 62 2e2e 06", &s), -GK_ETYPE);	     /* ".." */
	EXPECT_EQ(decode_hex("81 82 63 612f62 06", &s), -GK_ETYPE);    /* "a/b" */
	EXPECT_EQ(decode_hex("81 82 63 612062 06", &s), -GK_ETYPE);    /* "a b" */
	EXPECT_EQ(decode_hex("81 82 63 610062 06", &s), -GK_ETYPE);    /* NUL */
	EXPECT_EQ(decode_hex("81 82 62 c3a9 06", &s), -GK_ETYPE);	     /* "é" */
	EXPECT_EQ(decode_hex("81 82 63 2e2e2e 06", &s), 0);	     /* "..." is a name */
	memset(name65, 'a', sizeof(name65));
	EXPECT_TRUE(gk_group_name_valid(name65, 64));
	EXPECT_FALSE(gk_group_name_valid(name65, 65));
	EXPECT_TRUE(gk_group_name_valid("A-z_0.9", 7));
	EXPECT_FALSE(gk_group_name_valid(NULL, 0));
}

TEST(group_name_64_decodes_65_does_not)
{
	uint8_t buf[80] = { 0x81, 0x82, 0x78, 64 };
	struct gk_scope s;

	memset(buf + 4, 'x', 64);
	buf[68] = 0x02;
	ASSERT_EQ(gk_scope_decode(buf, 69, &s), 0);
	ASSERT_EQ(strlen(s.e[0].group), 64);
	buf[3] = 65;
	memset(buf + 4, 'x', 65);
	buf[69] = 0x02;
	/* The decoder's string limit refuses it before the name check. */
	EXPECT_EQ(gk_scope_decode(buf, 70, &s), -GK_ELENGTH);
}

static size_t build_scope(uint8_t *buf, unsigned n)
{
	size_t len = 0;

	buf[len++] = (uint8_t)(0x80 | n);
	for (unsigned i = 0; i < n; i++) {
		buf[len++] = 0x82;
		buf[len++] = 0x62;
		buf[len++] = 'g';
		buf[len++] = (uint8_t)('0' + i);
		buf[len++] = 0x02;
	}
	return len;
}

TEST(too_many_entries)
{
	uint8_t buf[64];
	struct gk_scope s;
	size_t len;

	len = build_scope(buf, GK_SCOPE_MAX);
	ASSERT_EQ(gk_scope_decode(buf, len, &s), 0);
	ASSERT_EQ(s.n, GK_SCOPE_MAX);
	ASSERT_STREQ(s.e[7].group, "g7");
	len = build_scope(buf, GK_SCOPE_MAX + 1);
	EXPECT_EQ(gk_scope_decode(buf, len, &s), -GK_ELENGTH);
}

TEST(repeated_group_and_mixed_forms)
{
	struct gk_scope s;

	EXPECT_EQ(decode_hex("82 82 61 67 02 82 61 67 04", &s), -GK_EDUPKEY);
	EXPECT_EQ(decode_hex("82 82 61 67 02 82 61 68 66 73656e646572", &s), -GK_ETYPE);
	EXPECT_EQ(decode_hex("82 82 61 68 66 73656e646572 82 61 67 02", &s), -GK_ETYPE);
}

TEST(parse_arg)
{
	struct gk_scope s = { 0 };

	ASSERT_EQ(gk_scope_parse_arg("demo:sender,receiver", &s), 0);
	ASSERT_EQ(s.n, 1);
	ASSERT_STREQ(s.e[0].group, "demo");
	ASSERT_EQ(s.e[0].roles, SENDER | RECEIVER);
	ASSERT_EQ(gk_scope_parse_arg("other:monitor", &s), 0);
	ASSERT_EQ(s.n, 2);
	ASSERT_EQ(s.e[1].roles, MONITOR);
	EXPECT_EQ(gk_scope_parse_arg("demo:sender", &s), -EEXIST);
	EXPECT_EQ(gk_scope_parse_arg("demo", &s), -EINVAL);
	EXPECT_EQ(gk_scope_parse_arg("x:", &s), -EINVAL);
	EXPECT_EQ(gk_scope_parse_arg(":sender", &s), -EINVAL);
	EXPECT_EQ(gk_scope_parse_arg("x:admin", &s), -EINVAL);
	EXPECT_EQ(gk_scope_parse_arg("x:sender,,receiver", &s), -EINVAL);
	EXPECT_EQ(gk_scope_parse_arg("x:sender,sender", &s), -EINVAL);
	EXPECT_EQ(gk_scope_parse_arg("x:sender,", &s), -EINVAL);
	EXPECT_EQ(gk_scope_parse_arg("a/b:sender", &s), -EINVAL);
	EXPECT_EQ(s.n, 2);
}

TEST(parse_arg_full)
{
	struct gk_scope s = { 0 };
	char arg[32];

	for (int i = 0; i < GK_SCOPE_MAX; i++) {
		snprintf(arg, sizeof(arg), "g%d:sender", i);
		ASSERT_EQ(gk_scope_parse_arg(arg, &s), 0);
	}
	EXPECT_EQ(gk_scope_parse_arg("last:sender", &s), -E2BIG);
}

TEST(role_names_and_format)
{
	char buf[32];

	EXPECT_EQ(gk_role_from_name("sender", 6), GK_ROLE_SENDER);
	EXPECT_EQ(gk_role_from_name("receiver", 8), GK_ROLE_RECEIVER);
	EXPECT_EQ(gk_role_from_name("monitor", 7), GK_ROLE_MONITOR);
	EXPECT_EQ(gk_role_from_name("send", 4), -EINVAL);
	EXPECT_EQ(gk_role_from_name("senderx", 7), -EINVAL);
	EXPECT_STREQ(gk_role_name(GK_ROLE_RECEIVER), "receiver");
	EXPECT_TRUE(gk_role_name(0) == NULL);
	EXPECT_TRUE(gk_role_name(4) == NULL);
	ASSERT_EQ(gk_roles_format(SENDER | RECEIVER, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "sender,receiver");
	ASSERT_EQ(gk_roles_format(GK_ROLES_ALL, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "sender,receiver,monitor");
	ASSERT_EQ(gk_roles_format(0, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "");
	EXPECT_EQ(gk_roles_format(1, buf, sizeof(buf)), -EINVAL);
	EXPECT_EQ(gk_roles_format(SENDER | RECEIVER, buf, 10), -ENOSPC);
	EXPECT_STREQ(buf, "");
}
