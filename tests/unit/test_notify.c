// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the notify protocol: datagrams seen by a socket standing in for systemd's. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "harness.h"
#include "notify.h"

struct fake_systemd {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A datagram socket bound where NOTIFY_SOCKET points: a path, or "@name" (abstract). */
static void fake_bind(struct fake_systemd *s, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;

	if (abstract)
		snprintf(s->path, sizeof(s->path), "@gk-notify-test-%d", (int)getpid());
	else
		snprintf(s->path, sizeof(s->path), "/tmp/gk-notify-test-%d.sock", (int)getpid());
	unlink(s->path);
	memcpy(sa.sun_path, s->path, strlen(s->path));
	if (abstract)
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(s->path));
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_GE(s->fd, 0);
	ASSERT_EQ(bind(s->fd, (struct sockaddr *)&sa, len), 0);
	ASSERT_EQ(setenv("NOTIFY_SOCKET", s->path, 1), 0);
}

static void fake_close(struct fake_systemd *s)
{
	close(s->fd);
	if (s->path[0] == '/')
		unlink(s->path);
}

/* The next datagram as a string, "" when none is queued. */
static void fake_recv(struct fake_systemd *s, char *buf, size_t len)
{
	ssize_t r = recv(s->fd, buf, len - 1, 0);

	if (r < 0) {
		ASSERT_EQ(errno, EAGAIN);
		r = 0;
	}
	buf[r] = '\0';
}

static void clear_env(void)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

TEST(no_notify_socket_is_a_silent_no_op)
{
	struct gkd_notify *n;
	struct gkd_loop *loop;

	clear_env();
	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	ASSERT_TRUE(n != NULL);
	EXPECT_FALSE(gkd_notify_enabled(n));
	EXPECT_EQ(gkd_notify_ready(n, loop, "x"), 0);
	EXPECT_EQ(gkd_notify_send(n, "WATCHDOG=1"), 0);
	EXPECT_EQ(gkd_notify_watchdog_ms(n), 0);
	EXPECT_EQ(gkd_notify_stopping(n), 0);
	gkd_notify_close(n);
	gkd_loop_free(loop);
}

TEST(bad_notify_socket_is_refused)
{
	struct gkd_notify *n = (struct gkd_notify *)1;

	clear_env();
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	EXPECT_EQ(gkd_notify_open(&n), -EINVAL);
	EXPECT_TRUE(n == NULL);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	EXPECT_EQ(gkd_notify_open(&n), -EINVAL);
	/* Nobody listening there: connect() fails, the caller logs it and goes on. */
	setenv("NOTIFY_SOCKET", "/nonexistent/gk/notify", 1);
	EXPECT_EQ(gkd_notify_open(&n), -ENOENT);
	gkd_notify_close(NULL);
}

/* READY=1 and STATUS= travel in one datagram, the status flattened to one line. */
static void ready_status_stopping(bool abstract)
{
	struct fake_systemd s;
	struct gkd_notify *n;
	struct gkd_loop *loop;
	char buf[512];

	clear_env();
	fake_bind(&s, abstract);
	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	EXPECT_TRUE(gkd_notify_enabled(n));
	ASSERT_EQ(gkd_notify_ready(n, loop, "coap :5683,\ncoaps :5684"), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "READY=1\nSTATUS=coap :5683, coaps :5684");
	ASSERT_EQ(gkd_notify_status(n, "1 group"), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "STATUS=1 group");
	ASSERT_EQ(gkd_notify_reloading(n), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "RELOADING=1");
	ASSERT_EQ(gkd_notify_reloaded(n, "2 groups"), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "READY=1\nSTATUS=2 groups");
	ASSERT_EQ(gkd_notify_stopping(n), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "STOPPING=1");
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "");
	gkd_notify_close(n);
	gkd_loop_free(loop);
	fake_close(&s);
}

TEST(ready_status_reload_stopping_over_a_path)
{
	ready_status_stopping(false);
}

TEST(ready_status_reload_stopping_over_an_abstract_name)
{
	ready_status_stopping(true);
}

TEST(watchdog_interval_is_a_third_of_watchdog_usec)
{
	struct fake_systemd s;
	struct gkd_notify *n;
	char pid[32];

	clear_env();
	fake_bind(&s, true);
	setenv("WATCHDOG_USEC", "30000000", 1);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	EXPECT_EQ(gkd_notify_watchdog_ms(n), 10000);
	gkd_notify_close(n);
	/* For another process (a helper we forked would inherit the variables): none. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	EXPECT_EQ(gkd_notify_watchdog_ms(n), 0);
	gkd_notify_close(n);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	EXPECT_EQ(gkd_notify_watchdog_ms(n), 10000);
	gkd_notify_close(n);
	setenv("WATCHDOG_USEC", "0", 1);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	EXPECT_EQ(gkd_notify_watchdog_ms(n), 0);
	gkd_notify_close(n);
	setenv("WATCHDOG_USEC", "12x", 1);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	EXPECT_EQ(gkd_notify_watchdog_ms(n), 0);
	gkd_notify_close(n);
	fake_close(&s);
}

/*
 * WATCHDOG_USEC=150 ms: a keep-alive every 50 ms while the loop turns, none
 * before READY=1 and none after STOPPING=1.
 */
TEST(watchdog_cadence_from_the_loop)
{
	struct fake_systemd s;
	struct gkd_notify *n;
	struct gkd_loop *loop;
	int64_t start, t, end;
	int pings = 0;
	char buf[256];

	clear_env();
	fake_bind(&s, false);
	setenv("WATCHDOG_USEC", "150000", 1);
	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	ASSERT_EQ(gkd_notify_watchdog_ms(n), 50);
	usleep(120000);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "");
	ASSERT_EQ(gkd_notify_ready(n, loop, "up"), 0);
	fake_recv(&s, buf, sizeof(buf));
	ASSERT_STREQ(buf, "READY=1\nSTATUS=up");
	start = now_ms();
	end = start + 520;
	while ((t = now_ms()) < end) {
		ASSERT_EQ(gkd_loop_run_once(loop, 5), 0);
		for (;;) {
			fake_recv(&s, buf, sizeof(buf));
			if (!buf[0])
				break;
			ASSERT_STREQ(buf, "WATCHDOG=1");
			pings++;
			/* The k-th at k * 50 ms: never early, late only by scheduling noise. */
			t = now_ms() - start;
			EXPECT_GE(t, pings * 50 - 5);
			EXPECT_LE(t, pings * 50 + 100);
		}
	}
	printf("# %d WATCHDOG=1 in 520 ms at a 50 ms interval\n", pings);
	EXPECT_GE(pings, 8);
	EXPECT_LE(pings, 10);
	ASSERT_EQ(gkd_notify_stopping(n), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "STOPPING=1");
	end = now_ms() + 150;
	while (now_ms() < end)
		ASSERT_EQ(gkd_loop_run_once(loop, 5), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "");
	gkd_notify_close(n);
	gkd_loop_free(loop);
	fake_close(&s);
}

/* A loop that does not turn sends nothing: the watchdog catches a stuck daemon. */
TEST(stuck_loop_sends_no_watchdog)
{
	struct fake_systemd s;
	struct gkd_notify *n;
	struct gkd_loop *loop;
	char buf[256];

	clear_env();
	fake_bind(&s, true);
	setenv("WATCHDOG_USEC", "30000", 1);
	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(gkd_notify_open(&n), 0);
	ASSERT_EQ(gkd_notify_ready(n, loop, ""), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "READY=1\nSTATUS=");
	usleep(100000);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "");
	ASSERT_EQ(gkd_loop_run_once(loop, 0), 0);
	fake_recv(&s, buf, sizeof(buf));
	EXPECT_STREQ(buf, "WATCHDOG=1");
	gkd_notify_stopping(n);
	gkd_notify_close(n);
	gkd_loop_free(loop);
	fake_close(&s);
}

TEST(journal_stream_must_name_stderr)
{
	setenv("JOURNAL_STREAM", "1:2", 1);
	EXPECT_FALSE(gkd_stderr_is_journal());
	setenv("JOURNAL_STREAM", "garbage", 1);
	EXPECT_FALSE(gkd_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
	EXPECT_FALSE(gkd_stderr_is_journal());
}
