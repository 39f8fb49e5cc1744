// SPDX-License-Identifier: BSD-3-Clause
/* systemd's notify protocol: datagrams of KEY=VALUE lines to $NOTIFY_SOCKET, and the watchdog. */

/*
 * Choices made here:
 *
 * - No libsystemd: the protocol is one AF_UNIX datagram per message, and
 *   systemd learns the sender's pid from SO_PASSCRED on its own socket, so
 *   nothing but sendto() is needed (NotifyAccess=main accepts us).
 * - The socket is connected once at open; a message that cannot be sent
 *   is reported to the caller, never fatal: a daemon must not stop serving
 *   because its supervisor went away.
 * - WATCHDOG=1 comes from a timer on the daemon's own epoll loop, so it
 *   stops when the loop is stuck (FRR's lib/systemd.c does the same).
 *   WATCHDOG_USEC / 3 leaves two chances before systemd acts.
 * - WATCHDOG_PID, when set, must be ours: systemd passes the watchdog to
 *   the main process only, and a helper we spawned must not feed it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "evloop.h"
#include "notify.h"
#include "groupkey/log.h"

#define NOTIFY_STATUS_MAX 256

struct gkd_notify {
	int fd; /* -1: no NOTIFY_SOCKET, every call is a no-op */
	uint64_t watchdog_ms;
	struct gkd_timer *watchdog;
	bool watchdog_warned; /* a failing WATCHDOG=1 is logged once, not every few seconds */
};

/* A decimal without sign or junk; false for anything else. */
static bool parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static uint64_t watchdog_from_env(void)
{
	uint64_t usec, pid;

	if (!parse_u64(getenv("WATCHDOG_USEC"), &usec) || !usec)
		return 0;
	if (getenv("WATCHDOG_PID") &&
	    (!parse_u64(getenv("WATCHDOG_PID"), &pid) || pid != (uint64_t)getpid()))
		return 0;
	usec /= 3;
	return usec < 1000 ? 1 : usec / 1000;
}

/* "/path" or "@abstract" into an address; socklen covers exactly the name. */
static int notify_addr(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sa->sun_path))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

static int notify_connect(const char *name, int *fd_out)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, err;

	err = notify_addr(name, &sa, &len);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

int gkd_notify_open(struct gkd_notify **out)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct gkd_notify *n = calloc(1, sizeof(*n));
	int err;

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->fd = -1;
	if (name && name[0]) {
		err = notify_connect(name, &n->fd);
		if (err) {
			free(n);
			return err;
		}
		n->watchdog_ms = watchdog_from_env();
	}
	*out = n;
	return 0;
}

void gkd_notify_close(struct gkd_notify *n)
{
	if (!n)
		return;
	gkd_timer_free(n->watchdog);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
}

bool gkd_notify_enabled(const struct gkd_notify *n)
{
	return n && n->fd >= 0;
}

uint64_t gkd_notify_watchdog_ms(const struct gkd_notify *n)
{
	return gkd_notify_enabled(n) ? n->watchdog_ms : 0;
}

int gkd_notify_send(struct gkd_notify *n, const char *msg)
{
	size_t len = strlen(msg);
	ssize_t r;

	if (!gkd_notify_enabled(n))
		return 0;
	do {
		r = send(n->fd, msg, len, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EMSGSIZE;
}

/* prefix + status on one line into buf. */
static void status_msg(char *buf, size_t len, const char *prefix, const char *status)
{
	size_t off;

	snprintf(buf, len, "%sSTATUS=%s", prefix, status ? status : "");
	for (off = strlen(prefix); buf[off]; off++) {
		if ((unsigned char)buf[off] < 0x20 || buf[off] == 0x7f)
			buf[off] = ' ';
	}
}

int gkd_notify_status(struct gkd_notify *n, const char *status)
{
	char msg[NOTIFY_STATUS_MAX];

	status_msg(msg, sizeof(msg), "", status);
	return gkd_notify_send(n, msg);
}

static void watchdog_cb(void *arg)
{
	struct gkd_notify *n = arg;
	int err = gkd_notify_send(n, "WATCHDOG=1");

	if (err && !n->watchdog_warned)
		pr_warn("notify: WATCHDOG=1: %s", strerror(-err));
	n->watchdog_warned = err != 0;
}

int gkd_notify_ready(struct gkd_notify *n, struct gkd_loop *loop, const char *status)
{
	char msg[NOTIFY_STATUS_MAX];
	int err;

	if (!gkd_notify_enabled(n))
		return 0;
	status_msg(msg, sizeof(msg), "READY=1\n", status);
	err = gkd_notify_send(n, msg);
	if (!err && n->watchdog_ms && !n->watchdog)
		err = gkd_timer_new(loop, n->watchdog_ms, n->watchdog_ms, watchdog_cb, n,
				    &n->watchdog);
	return err;
}

int gkd_notify_reloading(struct gkd_notify *n)
{
	return gkd_notify_send(n, "RELOADING=1");
}

int gkd_notify_reloaded(struct gkd_notify *n, const char *status)
{
	char msg[NOTIFY_STATUS_MAX];

	status_msg(msg, sizeof(msg), "READY=1\n", status);
	return gkd_notify_send(n, msg);
}

int gkd_notify_stopping(struct gkd_notify *n)
{
	if (!n)
		return 0;
	gkd_timer_free(n->watchdog);
	n->watchdog = NULL;
	return gkd_notify_send(n, "STOPPING=1");
}

bool gkd_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}
