/* SPDX-License-Identifier: BSD-3-Clause */
/* systemd's notify protocol (sd_notify(3)) spoken over $NOTIFY_SOCKET without libsystemd. */
#ifndef GKD_NOTIFY_H
#define GKD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct gkd_loop;
struct gkd_notify;

/*
 * Read NOTIFY_SOCKET (a path, or "@name" for the abstract namespace),
 * WATCHDOG_USEC and WATCHDOG_PID from the environment. Without
 * NOTIFY_SOCKET (not started by systemd, or Type= is not notify) *out is
 * still a valid handle and every call below succeeds doing nothing.
 * Errors: -EINVAL (NOTIFY_SOCKET too long or of an unsupported kind, e.g.
 * vsock), -ENOMEM, or the socket() errno. gkd_notify_close(NULL) is fine.
 */
int gkd_notify_open(struct gkd_notify **out);
void gkd_notify_close(struct gkd_notify *n);
bool gkd_notify_enabled(const struct gkd_notify *n);

/*
 * One datagram of newline-separated KEY=VALUE assignments, as is. Returns
 * 0 or the sendto() errno; systemd gone away (-ECONNREFUSED, -ENOENT) is
 * an error the caller may log but must not stop for.
 */
int gkd_notify_send(struct gkd_notify *n, const char *msg);
/* "STATUS=" + status made one line (control characters become spaces). */
int gkd_notify_status(struct gkd_notify *n, const char *status);
/*
 * "READY=1" and the status in one datagram, then WATCHDOG=1 from a timer on
 * loop every gkd_notify_watchdog_ms(): a stuck main loop stops feeding it,
 * which is the point. Call once everything the daemon serves is up.
 */
int gkd_notify_ready(struct gkd_notify *n, struct gkd_loop *loop, const char *status);
/* "RELOADING=1" before a reload; gkd_notify_reloaded() ("READY=1" + status) after it. */
int gkd_notify_reloading(struct gkd_notify *n);
int gkd_notify_reloaded(struct gkd_notify *n, const char *status);
/* "STOPPING=1" and the watchdog timer freed: call before the loop goes. */
int gkd_notify_stopping(struct gkd_notify *n);
/* Milliseconds between two WATCHDOG=1: WATCHDOG_USEC / 3; 0 when no watchdog is wanted. */
uint64_t gkd_notify_watchdog_ms(const struct gkd_notify *n);

/*
 * Whether stderr is the journal's stream (JOURNAL_STREAM names its device
 * and inode, systemd.exec(5)): then "<N>" priority prefixes are read.
 */
bool gkd_stderr_is_journal(void);

#endif
