/* SPDX-License-Identifier: BSD-3-Clause */
/* Minimal kselftest_harness.h-style unit test harness: TEST(), ASSERT_*, EXPECT_*, TAP output. */
#ifndef GROUPKEY_TEST_HARNESS_H
#define GROUPKEY_TEST_HARNESS_H

/*
 * Each TEST() runs in its own forked child, so a crash, an abort from a
 * sanitizer or a failed ASSERT ends that test only and is reported as
 * "not ok". EXPECT_* records a failure and carries on; ASSERT_* records it
 * and ends the test. SKIP(reason) ends the test as skipped: use it only
 * for a missing kernel feature or hardware, never for a missing package.
 *
 * Output is TAP 13 as kselftest prints it:
 *   TAP version 13 / 1..N / ok 1 - name / not ok 2 - name / ok 3 - name # SKIP why
 * and diagnostics on lines starting with "# ".
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct gk_test {
	const char *name;
	void (*fn)(struct gk_test *t);
	struct gk_test *next;
};

/* Per-child state; lives in the child process only. */
struct gk_test_state {
	int failed;
	const char *skip;
};

extern struct gk_test_state gk_test_state_;

void gk_test_register_(struct gk_test *t);

#define GK_TEST_EXIT_PASS 0
#define GK_TEST_EXIT_FAIL 1
#define GK_TEST_EXIT_SKIP 4

#define TEST(name)                                                                     \
	static void test_##name(struct gk_test *_t);                                   \
	static struct gk_test gk_test_##name = { #name, test_##name, NULL };           \
	__attribute__((constructor)) static void gk_test_reg_##name(void)              \
	{                                                                              \
		gk_test_register_(&gk_test_##name);                                    \
	}                                                                              \
	static void test_##name(struct gk_test *_t __attribute__((unused)))

#define GK_FAIL_(abort_test, fmt, ...)                                                 \
	do {                                                                           \
		printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__);       \
		fflush(stdout);                                                        \
		gk_test_state_.failed = 1;                                             \
		if (abort_test)                                                        \
			_exit(GK_TEST_EXIT_FAIL);                                      \
	} while (0)

#define GK_CMP_(abort_test, a, op, b)                                                  \
	do {                                                                           \
		intmax_t _a = (intmax_t)(a), _b = (intmax_t)(b);                       \
		if (!(_a op _b))                                                       \
			GK_FAIL_(abort_test, "expected %s %s %s (%jd %s %jd)", #a, #op, #b, \
				 _a, #op, _b);                                         \
	} while (0)

#define ASSERT_EQ(a, b) GK_CMP_(1, a, ==, b)
#define ASSERT_NE(a, b) GK_CMP_(1, a, !=, b)
#define ASSERT_LT(a, b) GK_CMP_(1, a, <, b)
#define ASSERT_LE(a, b) GK_CMP_(1, a, <=, b)
#define ASSERT_GT(a, b) GK_CMP_(1, a, >, b)
#define ASSERT_GE(a, b) GK_CMP_(1, a, >=, b)
#define EXPECT_EQ(a, b) GK_CMP_(0, a, ==, b)
#define EXPECT_NE(a, b) GK_CMP_(0, a, !=, b)
#define EXPECT_LT(a, b) GK_CMP_(0, a, <, b)
#define EXPECT_LE(a, b) GK_CMP_(0, a, <=, b)
#define EXPECT_GT(a, b) GK_CMP_(0, a, >, b)
#define EXPECT_GE(a, b) GK_CMP_(0, a, >=, b)

#define GK_BOOL_(abort_test, c, want)                                                  \
	do {                                                                           \
		if ((!!(c)) != (want))                                                   \
			GK_FAIL_(abort_test, "expected %s to be %s", #c,               \
				 (want) ? "true" : "false");                           \
	} while (0)
#define ASSERT_TRUE(c) GK_BOOL_(1, c, 1)
#define ASSERT_FALSE(c) GK_BOOL_(1, c, 0)
#define EXPECT_TRUE(c) GK_BOOL_(0, c, 1)
#define EXPECT_FALSE(c) GK_BOOL_(0, c, 0)

#define GK_MEM_(abort_test, a, b, n)                                                   \
	do {                                                                           \
		if (memcmp((a), (b), (n)) != 0)                                        \
			GK_FAIL_(abort_test, "memory %s != %s over %zu bytes", #a, #b, \
				 (size_t)(n));                                         \
	} while (0)
#define ASSERT_MEMEQ(a, b, n) GK_MEM_(1, a, b, n)
#define EXPECT_MEMEQ(a, b, n) GK_MEM_(0, a, b, n)

#define GK_STR_(abort_test, a, b)                                                      \
	do {                                                                           \
		const char *_sa = (a), *_sb = (b);                                     \
		if (!_sa || !_sb || strcmp(_sa, _sb) != 0)                             \
			GK_FAIL_(abort_test, "expected %s == %s (\"%s\" vs \"%s\")", #a, \
				 #b, _sa ? _sa : "(null)", _sb ? _sb : "(null)");       \
	} while (0)
#define ASSERT_STREQ(a, b) GK_STR_(1, a, b)
#define EXPECT_STREQ(a, b) GK_STR_(0, a, b)

#define SKIP(reason)                                                                   \
	do {                                                                           \
		printf("# SKIP %s\n", reason);                                         \
		fflush(stdout);                                                        \
		_exit(GK_TEST_EXIT_SKIP);                                              \
	} while (0)

#define TH_LOG(fmt, ...) printf("# " fmt "\n", ##__VA_ARGS__)

/* Test helper: parse hex (whitespace ignored) into a malloc'd buffer; aborts the test on error. */
uint8_t *gk_test_unhex(const char *hex, size_t *len);

/* Test helper: parse hex into out, which it must fill exactly (want bytes); aborts otherwise. */
void gk_test_unhex_into(const char *hex, uint8_t *out, size_t want);

/*
 * Test helper: the vector NAME from tests/vectors/FILE ("NAME HEX" lines),
 * malloc'd; aborts the test when missing. The runner starts tests from the
 * source tree's root; GK_SRCDIR overrides.
 */
uint8_t *gk_test_vector(const char *file, const char *name, size_t *len);

#endif
