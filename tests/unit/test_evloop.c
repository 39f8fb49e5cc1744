// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the event loop: timers, file descriptors, signals through the signalfd. */
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

#include "evloop.h"
#include "harness.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until *count reaches want or deadline_ms passes. */
static void run_until(struct gkd_loop *loop, const int *count, int want, int deadline_ms)
{
	int64_t end = now_ms() + deadline_ms;

	while (*count < want && now_ms() < end)
		ASSERT_EQ(gkd_loop_run_once(loop, 10), 0);
}

static void run_for(struct gkd_loop *loop, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end)
		ASSERT_EQ(gkd_loop_run_once(loop, 5), 0);
}

static void count_cb(void *arg)
{
	(*(int *)arg)++;
}

TEST(timer_periodic_fires_n_times)
{
	struct gkd_loop *loop;
	struct gkd_timer *t;
	int64_t start;
	int n = 0;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	start = now_ms();
	ASSERT_EQ(gkd_timer_new(loop, 20, 20, count_cb, &n, &t), 0);
	run_until(loop, &n, 3, 2000);
	EXPECT_EQ(n, 3);
	/* Three expirations 20 ms apart cannot come sooner than 60 ms. */
	EXPECT_GE(now_ms() - start, 59);
	gkd_timer_free(t);
	gkd_loop_free(loop);
}

TEST(timer_one_shot_fires_once)
{
	struct gkd_loop *loop;
	struct gkd_timer *t;
	int n = 0;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(gkd_timer_new(loop, 10, 0, count_cb, &n, &t), 0);
	run_for(loop, 100);
	EXPECT_EQ(n, 1);
	gkd_timer_free(t);
	gkd_loop_free(loop);
}

TEST(timer_disarm_and_rearm)
{
	struct gkd_loop *loop;
	struct gkd_timer *t;
	int n = 0;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(gkd_timer_new(loop, 20, 20, count_cb, &n, &t), 0);
	ASSERT_EQ(gkd_timer_arm(t, 0, 0), 0);
	run_for(loop, 80);
	EXPECT_EQ(n, 0);
	/* Periodic from 0: the first expiry is immediate, not "disarmed". */
	ASSERT_EQ(gkd_timer_arm(t, 0, 1000), 0);
	run_for(loop, 50);
	EXPECT_EQ(n, 1);
	gkd_timer_free(t);
	gkd_loop_free(loop);
}

struct pipe_ctx {
	int fd;
	int calls;
	uint32_t events;
	char got;
};

static void pipe_cb(void *arg, uint32_t events)
{
	struct pipe_ctx *p = arg;

	p->calls++;
	p->events = events;
	if (read(p->fd, &p->got, 1) != 1)
		p->got = 0;
}

TEST(fd_callback)
{
	struct pipe_ctx p = { 0 };
	struct gkd_loop *loop;
	int fds[2];

	ASSERT_EQ(pipe(fds), 0);
	p.fd = fds[0];
	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(gkd_loop_add_fd(loop, fds[0], EPOLLIN, pipe_cb, &p), 0);
	EXPECT_EQ(gkd_loop_add_fd(loop, fds[0], EPOLLIN, pipe_cb, &p), -EEXIST);
	ASSERT_EQ(gkd_loop_run_once(loop, 0), 0);
	EXPECT_EQ(p.calls, 0);
	ASSERT_EQ(write(fds[1], "x", 1), 1);
	ASSERT_EQ(gkd_loop_run_once(loop, 1000), 0);
	EXPECT_EQ(p.calls, 1);
	EXPECT_EQ(p.events, EPOLLIN);
	EXPECT_EQ(p.got, 'x');
	/* Not readable for the loop any more: the callback does not run. */
	ASSERT_EQ(gkd_loop_mod_fd(loop, fds[0], 0), 0);
	ASSERT_EQ(write(fds[1], "y", 1), 1);
	ASSERT_EQ(gkd_loop_run_once(loop, 20), 0);
	EXPECT_EQ(p.calls, 1);
	ASSERT_EQ(gkd_loop_del_fd(loop, fds[0]), 0);
	EXPECT_EQ(gkd_loop_del_fd(loop, fds[0]), -ENOENT);
	EXPECT_EQ(gkd_loop_mod_fd(loop, fds[0], EPOLLIN), -ENOENT);
	ASSERT_EQ(gkd_loop_run_once(loop, 20), 0);
	EXPECT_EQ(p.calls, 1);
	gkd_loop_free(loop);
	close(fds[0]);
	close(fds[1]);
}

/* Two ready fds; the first callback removes the second, which then must not run. */
struct del_ctx {
	struct gkd_loop *loop;
	int fd[2];
	int calls[2];
};

static void del_cb0(void *arg, uint32_t events)
{
	struct del_ctx *d = arg;

	d->calls[0]++;
	gkd_loop_del_fd(d->loop, d->fd[1]);
	gkd_loop_del_fd(d->loop, d->fd[0]);
}

static void del_cb1(void *arg, uint32_t events)
{
	struct del_ctx *d = arg;

	d->calls[1]++;
	gkd_loop_del_fd(d->loop, d->fd[0]);
	gkd_loop_del_fd(d->loop, d->fd[1]);
}

TEST(fd_removed_during_dispatch)
{
	struct del_ctx d = { 0 };
	int a[2], b[2];

	ASSERT_EQ(pipe(a), 0);
	ASSERT_EQ(pipe(b), 0);
	ASSERT_EQ(write(a[1], "x", 1), 1);
	ASSERT_EQ(write(b[1], "x", 1), 1);
	d.fd[0] = a[0];
	d.fd[1] = b[0];
	ASSERT_EQ(gkd_loop_new(&d.loop), 0);
	ASSERT_EQ(gkd_loop_add_fd(d.loop, a[0], EPOLLIN, del_cb0, &d), 0);
	ASSERT_EQ(gkd_loop_add_fd(d.loop, b[0], EPOLLIN, del_cb1, &d), 0);
	ASSERT_EQ(gkd_loop_run_once(d.loop, 1000), 0);
	/* Whichever ran first removed both: exactly one callback ran. */
	EXPECT_EQ(d.calls[0] + d.calls[1], 1);
	gkd_loop_free(d.loop);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

TEST(signal_sighup_sets_reload_once)
{
	struct gkd_loop *loop;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	EXPECT_FALSE(gkd_loop_take_reload(loop));
	ASSERT_EQ(raise(SIGHUP), 0);
	ASSERT_EQ(gkd_loop_run_once(loop, 1000), 0);
	EXPECT_TRUE(gkd_loop_take_reload(loop));
	EXPECT_FALSE(gkd_loop_take_reload(loop));
	EXPECT_FALSE(gkd_loop_stop_requested(loop));
	gkd_loop_free(loop);
}

TEST(signal_sigterm_requests_stop)
{
	struct gkd_loop *loop;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	EXPECT_FALSE(gkd_loop_stop_requested(loop));
	ASSERT_EQ(raise(SIGTERM), 0);
	ASSERT_EQ(gkd_loop_run_once(loop, 1000), 0);
	EXPECT_TRUE(gkd_loop_stop_requested(loop));
	EXPECT_FALSE(gkd_loop_take_reload(loop));
	gkd_loop_free(loop);
}

TEST(signal_sigint_requests_stop)
{
	struct gkd_loop *loop;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(raise(SIGINT), 0);
	ASSERT_EQ(gkd_loop_run_once(loop, 1000), 0);
	EXPECT_TRUE(gkd_loop_stop_requested(loop));
	gkd_loop_free(loop);
}

TEST(request_stop_and_mask_restored)
{
	struct gkd_loop *loop;
	sigset_t cur;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	ASSERT_EQ(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	EXPECT_EQ(sigismember(&cur, SIGTERM), 1);
	gkd_loop_request_stop(loop);
	EXPECT_TRUE(gkd_loop_stop_requested(loop));
	gkd_loop_free(loop);
	ASSERT_EQ(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	EXPECT_EQ(sigismember(&cur, SIGTERM), 0);
	EXPECT_EQ(sigismember(&cur, SIGHUP), 0);
}

TEST(run_once_times_out)
{
	struct gkd_loop *loop;
	int64_t start;

	ASSERT_EQ(gkd_loop_new(&loop), 0);
	start = now_ms();
	ASSERT_EQ(gkd_loop_run_once(loop, 50), 0);
	EXPECT_GE(now_ms() - start, 49);
	gkd_loop_free(loop);
}
