// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for links.c: link tracking of veth and bridge links in a private network namespace. */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "harness.h"
#include "links.h"
#include "groupkey/log.h"

struct ev {
	char name[IFNAMSIZ];
	int ifindex, old;
	bool up;
};

struct rec {
	struct ev ev[16];
	size_t n; /* callbacks seen, also past the end of ev */
};

static void rec_cb(void *arg, const char *ifname, int ifindex, int old_ifindex, bool up)
{
	struct rec *r = arg;

	if (r->n < sizeof(r->ev) / sizeof(r->ev[0])) {
		struct ev *e = &r->ev[r->n];

		snprintf(e->name, sizeof(e->name), "%s", ifname);
		e->ifindex = ifindex;
		e->old = old_ifindex;
		e->up = up;
	}
	r->n++;
}

#define ASSERT_EV(r, i, nm, idx, oldidx, isup)        \
	do {                                          \
		ASSERT_LT((i), (r)->n);               \
		EXPECT_STREQ((r)->ev[i].name, (nm));  \
		EXPECT_EQ((r)->ev[i].ifindex, (idx)); \
		EXPECT_EQ((r)->ev[i].old, (oldidx));  \
		EXPECT_EQ((r)->ev[i].up, (isup));     \
	} while (0)

/* Each test runs in its own forked child: the namespace and its links die with it. */
static void private_netns(void)
{
	gk_log_set_level(GK_LOG_ERR);
	if (unshare(CLONE_NEWNET))
		SKIP("cannot create a network namespace");
}

static void sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		TH_LOG("'%s' exited with status %d", cmd, rc);
	ASSERT_EQ(rc, 0);
}

/*
 * Processes until the fd has been quiet for a moment; waits up to
 * first_ms for the first message. The kernel queues the event of an
 * `ip link` change before `ip` returns. Returns how many times the fd was
 * readable.
 */
static int pump(struct gkd_links *l, int first_ms)
{
	struct pollfd p = { .fd = gkd_links_fd(l), .events = POLLIN };
	int rounds = 0;

	while (poll(&p, 1, rounds ? 50 : first_ms) == 1) {
		/* An overrun is signalled as POLLERR, with the queued messages still to read. */
		ASSERT_EQ(p.revents & ~(POLLIN | POLLERR), 0);
		ASSERT_EQ(gkd_links_process(l), 0);
		ASSERT_LT(++rounds, 1000);
	}
	return rounds;
}

static int idx(const char *name)
{
	int i = (int)if_nametoindex(name);

	ASSERT_GT(i, 0);
	return i;
}

TEST(open_reports_present_links)
{
	const char *names[] = { "va", "vx" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };
	int va;

	private_netns();
	sh("ip link add va type veth peer name vb && ip link set va up");
	va = idx("va");
	ASSERT_EQ(gkd_links_open(names, 2, rec_cb, &r, &l), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", va, 0, true);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), va);
	EXPECT_EQ(gkd_links_ifindex(l, "vx"), 0);
	EXPECT_EQ(gkd_links_ifindex(l, "vb"), 0); /* present, but not watched */
	EXPECT_EQ(pump(l, 100), 0);
	EXPECT_EQ(r.n, 1);
	gkd_links_close(l);
}

TEST(delete_and_recreate)
{
	const char *names[] = { "va" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };
	int old, now;

	private_netns();
	sh("ip link add va type veth peer name vb");
	old = idx("va");
	ASSERT_EQ(gkd_links_open(names, 1, rec_cb, &r, &l), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", old, 0, false);

	r.n = 0;
	sh("ip link del va");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", 0, old, false);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), 0);

	r.n = 0;
	sh("ip link add va type veth peer name vb");
	now = idx("va");
	EXPECT_NE(now, old);
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", now, 0, false);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), now);
	gkd_links_close(l);
}

TEST(up_down_only_other_changes_ignored)
{
	const char *names[] = { "va" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };
	int va, i;

	private_netns();
	sh("ip link add va type veth peer name vb");
	va = idx("va");
	ASSERT_EQ(gkd_links_open(names, 1, rec_cb, &r, &l), 0);
	ASSERT_EQ(r.n, 1);

	r.n = 0;
	sh("ip link set va up");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", va, va, true);

	r.n = 0;
	sh("ip link set va mtu 1400 && ip link set va address 02:00:00:00:00:01");
	EXPECT_GT(pump(l, 1000), 0);
	EXPECT_EQ(r.n, 0);

	/* The carrier comes up through the kernel's linkwatch, asynchronously. */
	sh("ip link set vb up");
	for (i = 0; i < 100 && system("ip link show va | grep -q 'state UP'"); i++)
		pump(l, 50);
	ASSERT_LT(i, 100);
	pump(l, 200);
	EXPECT_EQ(r.n, 0);

	sh("ip link set va down");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", va, va, false);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), va);
	gkd_links_close(l);
}

TEST(rename_is_gone_and_appeared)
{
	const char *names[] = { "va", "vc" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };
	int va, va2;

	private_netns();
	sh("ip link add va type veth peer name vb");
	va = idx("va");
	ASSERT_EQ(gkd_links_open(names, 2, rec_cb, &r, &l), 0);
	ASSERT_EQ(r.n, 1);

	r.n = 0;
	sh("ip link set va name vc");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 2);
	ASSERT_EV(&r, 0, "va", 0, va, false);
	ASSERT_EV(&r, 1, "vc", va, 0, false);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), 0);
	EXPECT_EQ(gkd_links_ifindex(l, "vc"), va);

	r.n = 0;
	sh("ip link set vc name vz");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "vc", 0, va, false);

	r.n = 0;
	sh("ip link set vz name va");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", va, 0, false);

	/* Deleting the old link under its new name does not touch the new va. */
	r.n = 0;
	sh("ip link set va name vz && ip link add va type veth peer name vd");
	va2 = idx("va");
	sh("ip link del vz");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 2);
	ASSERT_EV(&r, 0, "va", 0, va, false);
	ASSERT_EV(&r, 1, "va", va2, 0, false);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), va2);
	gkd_links_close(l);
}

TEST(unwatched_links_are_ignored)
{
	const char *names[] = { "va" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };

	private_netns();
	ASSERT_EQ(gkd_links_open(names, 1, rec_cb, &r, &l), 0);
	EXPECT_EQ(r.n, 0);
	sh("ip link add ua type veth peer name ub && ip link set ua up && ip link set ub up");
	EXPECT_GT(pump(l, 1000), 0);
	sh("ip link set ub down && ip link set ub name uc && ip link del ua");
	EXPECT_GT(pump(l, 1000), 0);
	EXPECT_EQ(r.n, 0);
	EXPECT_EQ(gkd_links_ifindex(l, "ua"), 0);

	/* A watched name also counts when it is created as the peer of another link. */
	sh("ip link add xa type veth peer name va");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", idx("va"), 0, false);
	gkd_links_close(l);
}

TEST(bridge_port_messages_are_ignored)
{
	const char *names[] = { "va", "br0" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };
	int va, br;

	private_netns();
	sh("ip link add va type veth peer name vb");
	va = idx("va");
	ASSERT_EQ(gkd_links_open(names, 2, rec_cb, &r, &l), 0);
	ASSERT_EQ(r.n, 1);

	r.n = 0;
	if (system("ip link add br0 type bridge 2>/dev/null"))
		SKIP("no bridge support in this kernel");
	br = idx("br0");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "br0", br, 0, false);

	/* Leaving the bridge sends an AF_BRIDGE RTM_DELLINK for va, which still exists. */
	r.n = 0;
	sh("ip link set va master br0 && ip link set va up && ip link set va nomaster");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", va, va, true);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), va);

	r.n = 0;
	sh("ip link set br0 up");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "br0", br, br, true);
	gkd_links_close(l);
}

/*
 * 2000 changes while nobody reads, into the smallest receive buffer: the
 * kernel drops events and reports ENOBUFS. Reporting the queued remains
 * would replay stale states; the re-dump reports only the net difference.
 */
TEST(overrun_resyncs_to_final_state)
{
	const char *names[] = { "va", "vc" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };
	int old, va, vc, small = 1;
	FILE *ip;

	private_netns();
	sh("ip link add va type veth peer name vb");
	old = idx("va");
	ASSERT_EQ(gkd_links_open(names, 2, rec_cb, &r, &l), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EQ(setsockopt(gkd_links_fd(l), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);

	r.n = 0;
	ip = popen("ip -batch -", "w");
	ASSERT_TRUE(ip);
	for (int i = 0; i < 1996; i++)
		fprintf(ip, "link set va %s\n", i % 2 ? "down" : "up");
	fprintf(ip, "link del va\nlink add va type veth peer name vb\nlink set va up\n"
		    "link add vc type veth peer name vd\n");
	ASSERT_EQ(pclose(ip), 0);
	va = idx("va");
	vc = idx("vc");

	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 2);
	ASSERT_EV(&r, 0, "va", va, old, true);
	ASSERT_EV(&r, 1, "vc", vc, 0, false);
	EXPECT_EQ(gkd_links_ifindex(l, "va"), va);
	EXPECT_EQ(gkd_links_ifindex(l, "vc"), vc);

	/* Events are followed again after the re-dump. */
	r.n = 0;
	sh("ip link set va down");
	EXPECT_GT(pump(l, 1000), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EV(&r, 0, "va", va, va, false);
	gkd_links_close(l);
}

TEST(open_rejects_bad_names)
{
	const char *too_long[] = { "abcdefghijklmnop" }; /* IFNAMSIZ characters, no room for NUL */
	const char *empty[] = { "" };
	const char *dup[] = { "va", "vb", "va" };
	const char *null_name[] = { NULL };
	const char *ok[] = { "va" };
	struct gkd_links *l = NULL;
	struct rec r = { 0 };

	private_netns();
	EXPECT_EQ(gkd_links_open(too_long, 1, rec_cb, &r, &l), -EINVAL);
	EXPECT_EQ(gkd_links_open(empty, 1, rec_cb, &r, &l), -EINVAL);
	EXPECT_EQ(gkd_links_open(dup, 3, rec_cb, &r, &l), -EINVAL);
	EXPECT_EQ(gkd_links_open(null_name, 1, rec_cb, &r, &l), -EINVAL);
	EXPECT_EQ(gkd_links_open(NULL, 1, rec_cb, &r, &l), -EINVAL);
	EXPECT_EQ(gkd_links_open(ok, 1, NULL, &r, &l), -EINVAL);
	EXPECT_EQ(gkd_links_open(ok, 1, rec_cb, &r, NULL), -EINVAL);
	EXPECT_TRUE(l == NULL);
	EXPECT_EQ(r.n, 0);

	/* Fifteen characters is the longest name the kernel takes. */
	too_long[0] = "abcdefghijklmno";
	ASSERT_EQ(gkd_links_open(too_long, 1, rec_cb, &r, &l), 0);
	EXPECT_EQ(r.n, 0);
	gkd_links_close(l);
}

TEST(no_names_and_close_with_pending_events)
{
	struct gkd_links *l = NULL;
	struct rec r = { 0 };
	struct pollfd p = { .events = POLLIN };

	private_netns();
	ASSERT_EQ(gkd_links_open(NULL, 0, rec_cb, &r, &l), 0);
	EXPECT_EQ(gkd_links_ifindex(l, "lo"), 0);
	sh("ip link add va type veth peer name vb");
	p.fd = gkd_links_fd(l);
	EXPECT_EQ(poll(&p, 1, 1000), 1);
	/* Closing with messages queued must free them all (LeakSanitizer checks at exit). */
	gkd_links_close(l);
	gkd_links_close(NULL);
	EXPECT_EQ(r.n, 0);
}
