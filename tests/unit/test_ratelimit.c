// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the per-address token buckets behind /authz-info's 4.29, on a hand-driven clock. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "harness.h"
#include "ratelimit.h"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

#define SA(a) ((const struct sockaddr *)&(a))

TEST(burst_then_rate)
{
	struct sockaddr_in a = v4("192.0.2.1", 5683);
	struct gkd_ratelimit *rl;

	ASSERT_EQ(gkd_ratelimit_new(1, 3, 64, 42, &rl), 0);
	for (int i = 0; i < 3; i++)
		EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 1000));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a), 1000));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a), 1999));
	/* One token per second comes back, exactly at 1000 ms. */
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 2000));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a), 2000));
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 3000));
	gkd_ratelimit_free(rl);
}

TEST(refill_capped_at_burst)
{
	struct sockaddr_in a = v4("192.0.2.1", 1);
	struct gkd_ratelimit *rl;
	int n = 0;

	ASSERT_EQ(gkd_ratelimit_new(10, 5, 64, 1, &rl), 0);
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 0));
	/* A day idle refills to 5 tokens, not 864000. */
	while (gkd_ratelimit_allow(rl, SA(a), 86400000))
		n++;
	EXPECT_EQ(n, 5);
	/* 10/s: one token per 100 ms. */
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a), 86400099));
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 86400100));
	gkd_ratelimit_free(rl);
}

TEST(addresses_are_separate_ports_are_not)
{
	struct sockaddr_in a = v4("192.0.2.1", 1000), a2 = v4("192.0.2.1", 2000);
	struct sockaddr_in b = v4("192.0.2.2", 1000);
	struct gkd_ratelimit *rl;

	ASSERT_EQ(gkd_ratelimit_new(1, 1, 64, 7, &rl), 0);
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 0));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a2), 0));
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(b), 0));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(b), 0));
	gkd_ratelimit_free(rl);
}

TEST(ipv4_and_v4_mapped_share_a_bucket)
{
	struct sockaddr_in a = v4("198.51.100.7", 1);
	struct sockaddr_in6 m = v6("::ffff:198.51.100.7", 2), o = v6("2001:db8::7", 3);
	struct gkd_ratelimit *rl;

	ASSERT_EQ(gkd_ratelimit_new(1, 2, 64, 9, &rl), 0);
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 0));
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(m), 0));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a), 0));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(m), 0));
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(o), 0));
	gkd_ratelimit_free(rl);
}

TEST(rate_zero_disables)
{
	struct sockaddr_in a = v4("192.0.2.1", 1);
	struct gkd_ratelimit *rl;

	ASSERT_EQ(gkd_ratelimit_new(0, 1, 64, 0, &rl), 0);
	for (int i = 0; i < 1000; i++)
		ASSERT_TRUE(gkd_ratelimit_allow(rl, SA(a), 0));
	EXPECT_EQ(gkd_ratelimit_retry_after(rl, SA(a), 0), 0);
	gkd_ratelimit_free(rl);
}

TEST(other_families_pass)
{
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	struct gkd_ratelimit *rl;

	ASSERT_EQ(gkd_ratelimit_new(1, 1, 64, 0, &rl), 0);
	for (int i = 0; i < 10; i++)
		ASSERT_TRUE(gkd_ratelimit_allow(rl, SA(u), 0));
	gkd_ratelimit_free(rl);
}

TEST(retry_after_rounds_up_to_seconds)
{
	struct sockaddr_in a = v4("192.0.2.1", 1);
	struct gkd_ratelimit *rl;

	ASSERT_EQ(gkd_ratelimit_new(1, 1, 64, 3, &rl), 0);
	EXPECT_EQ(gkd_ratelimit_retry_after(rl, SA(a), 0), 0);
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 0));
	EXPECT_EQ(gkd_ratelimit_retry_after(rl, SA(a), 0), 1);
	EXPECT_EQ(gkd_ratelimit_retry_after(rl, SA(a), 999), 1);
	EXPECT_EQ(gkd_ratelimit_retry_after(rl, SA(a), 1000), 0);
	gkd_ratelimit_free(rl);

	/* At 3/s a third of a second is still reported as 1 s. */
	ASSERT_EQ(gkd_ratelimit_new(3, 1, 64, 3, &rl), 0);
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a), 0));
	EXPECT_EQ(gkd_ratelimit_retry_after(rl, SA(a), 0), 1);
	gkd_ratelimit_free(rl);
}

TEST(full_set_evicts_least_recent)
{
	struct sockaddr_in a[5];
	struct gkd_ratelimit *rl;

	/* 4 slots: one set, so a fifth address must take the oldest slot. */
	ASSERT_EQ(gkd_ratelimit_new(1, 1, 4, 5, &rl), 0);
	for (int i = 0; i < 5; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		a[i] = v4(ip, 1);
	}
	for (int i = 0; i < 4; i++)
		EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a[i]), (uint64_t)i));
	/* a[1..3] are still tracked and empty. */
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a[1]), 10));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a[2]), 11));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a[3]), 12));
	/* a[4] evicts a[0], the least recently seen; a[0] then comes back with a full bucket. */
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a[4]), 13));
	EXPECT_FALSE(gkd_ratelimit_allow(rl, SA(a[4]), 14));
	EXPECT_TRUE(gkd_ratelimit_allow(rl, SA(a[0]), 15));
	gkd_ratelimit_free(rl);
}

TEST(bad_parameters)
{
	struct gkd_ratelimit *rl = NULL;

	EXPECT_EQ(gkd_ratelimit_new(1, 0, 64, 0, &rl), -EINVAL);
	EXPECT_EQ(gkd_ratelimit_new(1, 1, 0, 0, &rl), -EINVAL);
	EXPECT_TRUE(rl == NULL);
}
