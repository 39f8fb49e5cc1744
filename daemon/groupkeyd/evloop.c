// SPDX-License-Identifier: BSD-3-Clause
/* The daemon's event loop: epoll over file descriptors, a signalfd and timerfds. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "groupkey/log.h"

#define LOOP_MAX_EVENTS 32

enum src_type { SRC_FD, SRC_SIGNAL, SRC_TIMER };

/*
 * What an epoll event points to. A source removed while a batch of events
 * is being dispatched may still be named by a later event of that batch, so
 * it is only marked dead and freed after the batch.
 */
struct gkd_source {
	enum src_type type;
	int fd;
	bool dead;
	struct gkd_source *next; /* live list (fds) or graveyard */
};

struct gkd_fd_src {
	struct gkd_source src; /* first: epoll data points here */
	gkd_fd_cb cb;
	void *arg;
};

struct gkd_timer {
	struct gkd_source src;
	struct gkd_loop *loop;
	gkd_timer_cb cb;
	void *arg;
};

struct gkd_loop {
	int epfd;
	struct gkd_source sig;
	sigset_t old_mask;
	struct gkd_source *fds;	      /* live struct gkd_fd_src list */
	struct gkd_source *graveyard; /* removed during dispatch, freed after it */
	bool dispatching;
	bool stop;
	bool reload;
};

static int loop_ctl(struct gkd_loop *loop, int op, struct gkd_source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(loop->epfd, op, src->fd, &ev) < 0 ? -errno : 0;
}

/* Free now, or after the batch being dispatched. */
static void loop_bury(struct gkd_loop *loop, struct gkd_source *src)
{
	src->dead = true;
	if (loop->dispatching) {
		src->next = loop->graveyard;
		loop->graveyard = src;
	} else {
		free(src);
	}
}

static void loop_empty_graveyard(struct gkd_loop *loop)
{
	while (loop->graveyard) {
		struct gkd_source *src = loop->graveyard;

		loop->graveyard = src->next;
		free(src);
	}
}

/* --- loop ---------------------------------------------------------------- */

static int loop_signals(struct gkd_loop *loop)
{
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &loop->old_mask) < 0)
		return -errno;
	loop->sig.type = SRC_SIGNAL;
	loop->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (loop->sig.fd < 0) {
		err = -errno;
		sigprocmask(SIG_SETMASK, &loop->old_mask, NULL);
		return err;
	}
	return 0;
}

int gkd_loop_new(struct gkd_loop **out)
{
	struct gkd_loop *loop = calloc(1, sizeof(*loop));
	int err;

	if (!loop)
		return -ENOMEM;
	loop->sig.fd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		err = -errno;
		goto out_free;
	}
	err = loop_signals(loop);
	if (err)
		goto out_epoll;
	err = loop_ctl(loop, EPOLL_CTL_ADD, &loop->sig, EPOLLIN);
	if (err)
		goto out_signals;
	*out = loop;
	return 0;

out_signals:
	close(loop->sig.fd);
	sigprocmask(SIG_SETMASK, &loop->old_mask, NULL);
out_epoll:
	close(loop->epfd);
out_free:
	free(loop);
	return err;
}

/* Timers still armed belong to their owners, who free them before the loop. */
void gkd_loop_free(struct gkd_loop *loop)
{
	if (!loop)
		return;
	while (loop->fds) {
		struct gkd_source *src = loop->fds;

		loop->fds = src->next;
		free(src);
	}
	loop_empty_graveyard(loop);
	close(loop->sig.fd);
	close(loop->epfd);
	sigprocmask(SIG_SETMASK, &loop->old_mask, NULL);
	free(loop);
}

/* --- file descriptors ---------------------------------------------------- */

static struct gkd_source **loop_find_fd(struct gkd_loop *loop, int fd)
{
	struct gkd_source **pp;

	for (pp = &loop->fds; *pp; pp = &(*pp)->next)
		if ((*pp)->fd == fd)
			return pp;
	return NULL;
}

int gkd_loop_add_fd(struct gkd_loop *loop, int fd, uint32_t events, gkd_fd_cb cb, void *arg)
{
	struct gkd_fd_src *f;
	int err;

	if (fd < 0 || !cb)
		return -EINVAL;
	if (loop_find_fd(loop, fd))
		return -EEXIST;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->src.type = SRC_FD;
	f->src.fd = fd;
	f->cb = cb;
	f->arg = arg;
	err = loop_ctl(loop, EPOLL_CTL_ADD, &f->src, events);
	if (err) {
		free(f);
		return err;
	}
	f->src.next = loop->fds;
	loop->fds = &f->src;
	return 0;
}

int gkd_loop_mod_fd(struct gkd_loop *loop, int fd, uint32_t events)
{
	struct gkd_source **pp = loop_find_fd(loop, fd);

	if (!pp)
		return -ENOENT;
	return loop_ctl(loop, EPOLL_CTL_MOD, *pp, events);
}

int gkd_loop_del_fd(struct gkd_loop *loop, int fd)
{
	struct gkd_source **pp = loop_find_fd(loop, fd);
	struct gkd_source *src;

	if (!pp)
		return -ENOENT;
	src = *pp;
	*pp = src->next;
	/* The fd may already be closed, which removed it from the epoll set. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop_bury(loop, src);
	return 0;
}

/* --- timers -------------------------------------------------------------- */

static struct timespec ms_to_ts(uint64_t ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	return ts;
}

int gkd_timer_arm(struct gkd_timer *t, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = { .it_value = ms_to_ts(first_ms),
				  .it_interval = ms_to_ts(interval_ms) };

	/* it_value 0 would disarm: a periodic timer asked to start now starts in 1 ns. */
	if (!first_ms && interval_ms)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(t->src.fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int gkd_timer_new(struct gkd_loop *loop, uint64_t first_ms, uint64_t interval_ms, gkd_timer_cb cb,
		  void *arg, struct gkd_timer **out)
{
	struct gkd_timer *t;
	int err;

	if (!cb)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->src.type = SRC_TIMER;
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->src.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->src.fd < 0) {
		err = -errno;
		goto out_free;
	}
	err = gkd_timer_arm(t, first_ms, interval_ms);
	if (!err)
		err = loop_ctl(loop, EPOLL_CTL_ADD, &t->src, EPOLLIN);
	if (err)
		goto out_close;
	*out = t;
	return 0;

out_close:
	close(t->src.fd);
out_free:
	free(t);
	return err;
}

void gkd_timer_free(struct gkd_timer *t)
{
	if (!t)
		return;
	/* Closing the fd takes it out of the epoll set. */
	close(t->src.fd);
	t->src.fd = -1;
	loop_bury(t->loop, &t->src);
}

/* --- dispatch ------------------------------------------------------------ */

static void loop_signal(struct gkd_loop *loop)
{
	struct signalfd_siginfo si;

	while (read(loop->sig.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			loop->reload = true;
		} else {
			loop->stop = true;
			pr_info("signal %u: stopping", si.ssi_signo);
		}
	}
}

/* Several expirations since the last run are one call: the callback looks at the clock. */
static void loop_timer(struct gkd_timer *t)
{
	uint64_t n;

	if (read(t->src.fd, &n, sizeof(n)) == (ssize_t)sizeof(n) && n)
		t->cb(t->arg);
}

static void loop_dispatch(struct gkd_loop *loop, const struct epoll_event *ev)
{
	struct gkd_source *src = ev->data.ptr;

	if (src->dead)
		return;
	switch (src->type) {
	case SRC_SIGNAL:
		loop_signal(loop);
		break;
	case SRC_TIMER:
		loop_timer((struct gkd_timer *)src);
		break;
	case SRC_FD: {
		struct gkd_fd_src *f = (struct gkd_fd_src *)src;

		f->cb(f->arg, ev->events);
		break;
	}
	}
}

int gkd_loop_run_once(struct gkd_loop *loop, int timeout_ms)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];
	int n;

	n = epoll_wait(loop->epfd, ev, LOOP_MAX_EVENTS, timeout_ms < 0 ? -1 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching = true;
	for (int i = 0; i < n; i++)
		loop_dispatch(loop, &ev[i]);
	loop->dispatching = false;
	loop_empty_graveyard(loop);
	return 0;
}

bool gkd_loop_stop_requested(const struct gkd_loop *loop)
{
	return loop->stop;
}

bool gkd_loop_take_reload(struct gkd_loop *loop)
{
	bool r = loop->reload;

	loop->reload = false;
	return r;
}

void gkd_loop_request_stop(struct gkd_loop *loop)
{
	loop->stop = true;
}
