// SPDX-License-Identifier: BSD-3-Clause
/*
 * The daemon's side of member mode: one worker process per [member]
 * section (`groupkeyd --member NAME`), watched through a pidfd and
 * restarted with a growing delay when it dies. A worker runs its blocking
 * CoAP client in its own process, so a KDC in this same daemon keeps
 * answering while a worker (the gateway's membership, say) joins it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "member_run.h"
#include "groupkey/log.h"

#define RESTART_MIN_MS 1000
#define RESTART_MAX_MS 30000
#define STOP_WAIT_MS 5000

struct worker {
	struct gkd_members *set;
	const char *name; /* in the configuration, which outlives us */
	pid_t pid;	  /* 0: not running */
	int pidfd;
	struct gkd_timer *restart;
	uint64_t delay_ms;
	time_t started;
};

struct gkd_members {
	struct gkd_ctx *ctx;
	size_t n;
	struct worker w[GKD_MAX_MEMBERS];
};

static int spawn(struct worker *w);

static void child_exec(const struct gkd_ctx *ctx, const char *name)
{
	char *argv[8];
	int n = 0;
	/* Dies with the daemon; gets the signals the daemon blocked for its signalfd back. */
	sigset_t none;

	/*
	 * SIGKILL, not SIGTERM: a worker keeps SIGTERM blocked between its
	 * checks, and a daemon that stops cleanly sends SIGTERM itself first.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close_range(3, ~0u, 0);
	argv[n++] = "groupkeyd";
	argv[n++] = "--config";
	argv[n++] = (char *)ctx->cfg->path;
	argv[n++] = "--member";
	argv[n++] = (char *)name;
	if (ctx->verbose)
		argv[n++] = ctx->verbose > 1 ? "-vv" : "-v";
	argv[n] = NULL;
	execv("/proc/self/exe", argv);
	fprintf(stderr, "groupkeyd: member %s: exec: %s\n", name, strerror(errno));
	_exit(127);
}

static void restart_cb(void *arg)
{
	struct worker *w = arg;

	if (!w->pid && spawn(w))
		gkd_timer_arm(w->restart, w->delay_ms, 0);
}

static void reap(struct worker *w, bool stopping)
{
	int status = 0;

	waitpid(w->pid, &status, 0);
	gkd_loop_del_fd(w->set->ctx->loop, w->pidfd);
	close(w->pidfd);
	w->pid = 0;
	w->pidfd = -1;
	if (stopping && WIFEXITED(status) && !WEXITSTATUS(status))
		pr_info("member %s: worker stopped", w->name);
	else if (WIFEXITED(status))
		pr_warn("member %s: worker exited with status %d", w->name, WEXITSTATUS(status));
	else
		pr_warn("member %s: worker killed by signal %d", w->name, WTERMSIG(status));
}

static void exited_cb(void *arg, uint32_t events)
{
	struct worker *w = arg;

	(void)events;
	reap(w, false);
	/* A worker that ran a while gets a quick restart; one that keeps failing, a slower one. */
	if (time(NULL) - w->started > RESTART_MAX_MS / 1000)
		w->delay_ms = RESTART_MIN_MS;
	pr_info("member %s: restarting the worker in %llu ms", w->name,
		(unsigned long long)w->delay_ms);
	gkd_timer_arm(w->restart, w->delay_ms, 0);
	w->delay_ms = w->delay_ms * 2 > RESTART_MAX_MS ? RESTART_MAX_MS : w->delay_ms * 2;
}

static int spawn(struct worker *w)
{
	struct gkd_ctx *ctx = w->set->ctx;
	pid_t pid;
	int fd, err;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		pr_err("member %s: fork: %s", w->name, strerror(-err));
		return err;
	}
	if (!pid)
		child_exec(ctx, w->name);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pr_err("member %s: pidfd_open: %s", w->name, strerror(-err));
		return err;
	}
	err = gkd_loop_add_fd(ctx->loop, fd, EPOLLIN, exited_cb, w);
	if (err) {
		close(fd);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	w->pid = pid;
	w->pidfd = fd;
	w->started = time(NULL);
	pr_info("member %s: worker started (pid %d)", w->name, (int)pid);
	return 0;
}

int gkd_members_start(struct gkd_ctx *ctx)
{
	struct gkd_members *set;
	int err = 0;

	if (!ctx->cfg->n_members)
		return 0;
	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	set->ctx = ctx;
	ctx->members = set;
	for (size_t i = 0; !err && i < ctx->cfg->n_members; i++) {
		struct worker *w = &set->w[set->n++];

		w->set = set;
		w->name = ctx->cfg->members[i].name;
		w->pidfd = -1;
		w->delay_ms = RESTART_MIN_MS;
		err = gkd_timer_new(ctx->loop, 0, 0, restart_cb, w, &w->restart);
		if (!err)
			err = spawn(w);
	}
	return err;
}

/* SIGTERM, then SIGKILL if it has not exited within STOP_WAIT_MS. */
static void worker_stop(struct worker *w)
{
	struct pollfd p = { .fd = w->pidfd, .events = POLLIN };

	kill(w->pid, SIGTERM);
	if (poll(&p, 1, STOP_WAIT_MS) <= 0) {
		pr_warn("member %s: worker did not stop, killing it", w->name);
		kill(w->pid, SIGKILL);
	}
	reap(w, true);
}

void gkd_members_stop(struct gkd_ctx *ctx)
{
	struct gkd_members *set = ctx->members;

	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		struct worker *w = &set->w[i];

		if (w->pid)
			worker_stop(w);
		gkd_timer_free(w->restart);
	}
	free(set);
	ctx->members = NULL;
}
