// SPDX-License-Identifier: BSD-3-Clause
/* gk_dp_send_key() over a full gk_groups: every entry switched, in bounded time. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "groupkey/dp.h"
#include "groupkey/log.h"
#include "harness.h"

#define GROUP 7

static const uint8_t group_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/*
 * A walk of gk_groups that updates entries as it goes used to revisit the
 * elements of one hash bucket for ever (an update links the new element at
 * the bucket's head), which hung member workers whose two entries happened
 * to share a bucket. With hundreds of entries of one group, buckets are
 * shared for sure: the switch must still end, and reach every entry.
 */
TEST(send_key_switches_every_entry_of_a_full_map)
{
	char dir[64];
	struct gk_dp_opts o = { 0 };
	struct gk_dp_group_key a;
	struct gk_dp_group g;
	struct gk_dp *dp = NULL;
	int fd, err;
	char addr[32];

	if (geteuid() != 0)
		SKIP("loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)");
	gk_log_set_level(GK_LOG_WARN);
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/gk-test-walk-%d", (int)getpid());
	o.pin_dir = dir;
	err = gk_dp_open(&dp, &o);
	if (err == -EPERM || err == -ENOSYS)
		SKIP("BPF is not available here");
	ASSERT_EQ(err, 0);
	fd = gk_dp_map_fd(dp, GK_DP_MAP_GROUPS);
	for (int i = 0; i < 2 * GK_DP_MAX_GROUPS; i++) {
		snprintf(addr, sizeof(addr), "239.7.%d.%d", i / 250, i % 250 + 1);
		ASSERT_EQ(gk_dp_group_addr(addr, 5000, &a), 0);
		ASSERT_EQ(gk_dp_group_set(dp, &a, GROUP, GK_DP_GROUP_SEND, 42), 0);
	}
	for (uint32_t k = 1; k <= 3; k++) {
		ASSERT_EQ(gk_dp_key_add(dp, GROUP, "g7", k, group_key, sizeof(group_key),
					1900000000LL, 30),
			  0);
		alarm(20); /* the old walk never returned: fail rather than hang */
		ASSERT_EQ(gk_dp_send_key(dp, GROUP, k), 0);
		alarm(0);
		for (int i = 0; i < 2 * GK_DP_MAX_GROUPS; i++) {
			snprintf(addr, sizeof(addr), "239.7.%d.%d", i / 250, i % 250 + 1);
			ASSERT_EQ(gk_dp_group_addr(addr, 5000, &a), 0);
			ASSERT_EQ(bpf_map_lookup_elem(fd, &a, &g), 0);
			ASSERT_EQ(g.send_key_id, k);
		}
	}
	gk_dp_close(dp, false);
}
