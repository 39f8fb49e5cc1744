/* SPDX-License-Identifier: BSD-3-Clause */
/* Link tracking: follows the configured interfaces by name through RTM_NEWLINK/RTM_DELLINK. */
#ifndef GKD_LINKS_H
#define GKD_LINKS_H

#include <stdbool.h>
#include <stddef.h>

struct gkd_links;

/*
 * One change of a watched interface: ifindex is its index now (0: gone),
 * old_ifindex the one before (0: it was absent), up whether it is
 * administratively up (IFF_UP). Only appearances, disappearances, ifindex
 * changes and up/down transitions are reported; other attribute changes
 * (carrier, MTU, address, bridge membership) are not. A rename reports the
 * old name gone and the new name (if watched) appeared with the same index.
 * When one kernel event concerns several watched names, the callbacks come
 * in the order of the names given to gkd_links_open(). The callback may call
 * gkd_links_ifindex(), which already returns the new state, but must not
 * close the handle.
 */
typedef void (*gkd_links_cb)(void *arg, const char *ifname, int ifindex, int old_ifindex, bool up);

/*
 * Subscribes to RTNLGRP_LINK and reads the current links: cb runs once for
 * each watched name present now (old_ifindex 0), before this returns. Names
 * are copied; they must be non-empty, shorter than IFNAMSIZ and distinct
 * (-EINVAL). Returns 0 or a negative errno.
 */
int gkd_links_open(const char *const *ifnames, size_t n, gkd_links_cb cb, void *arg,
		   struct gkd_links **out);

/*
 * Non-blocking netlink socket, for gkd_loop_add_fd(..., EPOLLIN, ...)
 * (level-triggered). An overrun is signalled as EPOLLERR: call
 * gkd_links_process() for EPOLLERR as for EPOLLIN.
 */
int gkd_links_fd(const struct gkd_links *l);

/*
 * Call when the fd is readable: reads the pending messages (at most a
 * bounded batch: the fd stays readable when more are left) and invokes cb
 * for each change of a watched name. After a receive queue overrun
 * (ENOBUFS) or a message it could not parse, it re-reads all links and
 * reports the differences. Returns 0 or a negative errno; when that
 * re-read fails, the next call tries it again.
 */
int gkd_links_process(struct gkd_links *l);

/* The current ifindex of a watched name; 0 when it is absent or not watched. */
int gkd_links_ifindex(const struct gkd_links *l, const char *ifname);

void gkd_links_close(struct gkd_links *l);

#endif
