/* SPDX-License-Identifier: BSD-3-Clause */
/* One epoll loop: file descriptors, a signalfd for SIGTERM/SIGINT/SIGHUP, and timerfds. */
#ifndef GKD_EVLOOP_H
#define GKD_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct gkd_loop;
struct gkd_timer;

typedef void (*gkd_fd_cb)(void *arg, uint32_t events);
typedef void (*gkd_timer_cb)(void *arg);

/* Blocks SIGTERM, SIGINT, SIGHUP and takes them through a signalfd. */
int gkd_loop_new(struct gkd_loop **out);
void gkd_loop_free(struct gkd_loop *loop);

int gkd_loop_add_fd(struct gkd_loop *loop, int fd, uint32_t events, gkd_fd_cb cb, void *arg);
int gkd_loop_mod_fd(struct gkd_loop *loop, int fd, uint32_t events);
int gkd_loop_del_fd(struct gkd_loop *loop, int fd);

/* Periodic (interval_ms > 0) timer on CLOCK_MONOTONIC; first expiry after first_ms. */
int gkd_timer_new(struct gkd_loop *loop, uint64_t first_ms, uint64_t interval_ms, gkd_timer_cb cb,
		  void *arg, struct gkd_timer **out);
int gkd_timer_arm(struct gkd_timer *t, uint64_t first_ms, uint64_t interval_ms); /* 0, 0 disarms */
void gkd_timer_free(struct gkd_timer *t);

/*
 * Wait up to timeout_ms (-1: forever) and dispatch. Returns 0, or -EINTR
 * style negative errno on a fatal error. Signals only set flags, read
 * with gkd_loop_stop_requested() / gkd_loop_take_reload().
 */
int gkd_loop_run_once(struct gkd_loop *loop, int timeout_ms);
bool gkd_loop_stop_requested(const struct gkd_loop *loop);
bool gkd_loop_take_reload(struct gkd_loop *loop); /* true once per SIGHUP */
void gkd_loop_request_stop(struct gkd_loop *loop);

#endif
