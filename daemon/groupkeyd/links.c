// SPDX-License-Identifier: BSD-3-Clause
/* Link tracking with libnl-route: RTNLGRP_LINK events, and a full re-read at open and on loss. */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "links.h"
#include "groupkey/log.h"

/*
 * Datagrams read per gkd_links_process() call, so that a stream of link
 * events cannot hold the event loop; the fd stays readable for the rest.
 */
#define GKD_LINKS_BATCH 256
/* Asked for, capped by net.core.rmem_max: fewer overruns when many links change at once. */
#define GKD_LINKS_RCVBUF (1024 * 1024)

struct gkd_link_watch {
	char name[IFNAMSIZ];
	int ifindex; /* 0: absent */
	bool up;
};

struct gkd_links {
	struct nl_sock *sk;
	gkd_links_cb cb;
	void *arg;
	/* Events were lost: skip what is queued and re-dump once the queue is read. */
	bool lost;
	size_t n;
	struct gkd_link_watch w[];
};

/* libnl's own error numbers, mapped back to errno at each call. */
static const int gkd_nl_errno[NLE_MAX + 1] = {
	[NLE_INTR] = EINTR,
	[NLE_BAD_SOCK] = EBADF,
	[NLE_AGAIN] = EAGAIN,
	[NLE_NOMEM] = ENOMEM,
	[NLE_EXIST] = EEXIST,
	[NLE_INVAL] = EINVAL,
	[NLE_RANGE] = ERANGE,
	[NLE_MSGSIZE] = EMSGSIZE,
	[NLE_OPNOTSUPP] = EOPNOTSUPP,
	[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
	[NLE_OBJ_NOTFOUND] = ENOENT,
	[NLE_MSG_TRUNC] = EMSGSIZE,
	[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
	[NLE_NOACCESS] = EACCES,
	[NLE_PERM] = EPERM,
	[NLE_NODEV] = ENODEV,
	[NLE_BUSY] = EBUSY,
};

static int gkd_links_nlerr(int nlerr)
{
	int e = nlerr < 0 ? -nlerr : nlerr;

	if (e > NLE_MAX || !gkd_nl_errno[e])
		return -EIO;
	return -gkd_nl_errno[e];
}

/* Records the new state of w and reports it, if it is a change we report. */
static void gkd_links_set(struct gkd_links *l, struct gkd_link_watch *w, int ifindex, bool up)
{
	int old = w->ifindex;

	if (!ifindex)
		up = false;
	if (ifindex == old && up == w->up)
		return;
	w->ifindex = ifindex;
	w->up = up;
	if (!ifindex)
		pr_warn("links: %s is gone (was ifindex %d)", w->name, old);
	else if (!old)
		pr_info("links: %s appeared as ifindex %d, %s", w->name, ifindex,
			up ? "up" : "down");
	else if (ifindex != old)
		pr_info("links: %s is now ifindex %d (was %d), %s", w->name, ifindex, old,
			up ? "up" : "down");
	else
		pr_info("links: %s (ifindex %d) is %s", w->name, ifindex, up ? "up" : "down");
	l->cb(l->arg, w->name, ifindex, old, up);
}

/*
 * A deletion only counts for the index we hold: an older link of the same
 * name may be deleted after the current one was created. A link that keeps
 * its index under another name was renamed away from ours.
 */
static void gkd_links_event(struct gkd_links *l, int type, const char *name, int ifindex, bool up)
{
	for (size_t i = 0; i < l->n; i++) {
		struct gkd_link_watch *w = &l->w[i];

		if (type == RTM_DELLINK) {
			if (w->ifindex == ifindex)
				gkd_links_set(l, w, 0, false);
		} else if (!strcmp(w->name, name)) {
			gkd_links_set(l, w, ifindex, up);
		} else if (w->ifindex == ifindex) {
			gkd_links_set(l, w, 0, false);
		}
	}
}

static void gkd_links_on_obj(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	const char *name = rtnl_link_get_name(link);
	int ifindex = rtnl_link_get_ifindex(link);

	if (ifindex <= 0)
		return;
	gkd_links_event(arg, nl_object_get_msgtype(obj), name ? name : "", ifindex,
			rtnl_link_get_flags(link) & IFF_UP);
}

/*
 * The family is checked on the raw header: bridge port messages (AF_BRIDGE,
 * including an RTM_DELLINK when a port leaves its bridge) describe no link
 * coming or going, and libnl relabels a bridge's own messages AF_BRIDGE.
 */
static int gkd_links_on_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct gkd_links *l = arg;
	const struct ifinfomsg *ifi;
	int err;

	if (l->lost)
		return NL_SKIP;
	if (hdr->nlmsg_type != RTM_NEWLINK && hdr->nlmsg_type != RTM_DELLINK)
		return NL_SKIP;
	if (!nlmsg_valid_hdr(hdr, sizeof(*ifi)))
		return NL_SKIP;
	ifi = nlmsg_data(hdr);
	if (ifi->ifi_family != AF_UNSPEC)
		return NL_SKIP;
	err = nl_msg_parse(msg, gkd_links_on_obj, l);
	if (err < 0) {
		pr_err("links: cannot parse a link message: %s", nl_geterror(err));
		l->lost = true;
	}
	return NL_OK;
}

/* Reads every link on a socket of its own (the event socket must not see the dump's replies). */
static int gkd_links_dump(struct gkd_links *l)
{
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	int err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0)
		goto out_sock;
	err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err < 0)
		goto out_sock;
	for (size_t i = 0; i < l->n; i++) {
		struct rtnl_link *link = rtnl_link_get_by_name(cache, l->w[i].name);

		if (!link) {
			gkd_links_set(l, &l->w[i], 0, false);
			continue;
		}
		gkd_links_set(l, &l->w[i], rtnl_link_get_ifindex(link),
			      rtnl_link_get_flags(link) & IFF_UP);
		rtnl_link_put(link);
	}
	nl_cache_free(cache);
out_sock:
	nl_socket_free(sk);
	return err < 0 ? gkd_links_nlerr(err) : 0;
}

static int gkd_links_check_names(const char *const *ifnames, size_t n)
{
	if (n && !ifnames)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t len = ifnames[i] ? strnlen(ifnames[i], IFNAMSIZ) : 0;

		if (!len || len == IFNAMSIZ)
			return -EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(ifnames[i], ifnames[j]))
				return -EINVAL;
		}
	}
	return 0;
}

static int gkd_links_subscribe(struct gkd_links *l)
{
	int err;

	l->sk = nl_socket_alloc();
	if (!l->sk)
		return -ENOMEM;
	/* Notifications carry sequence number 0: nothing to check them against. */
	nl_socket_disable_seq_check(l->sk);
	err = nl_socket_modify_cb(l->sk, NL_CB_VALID, NL_CB_CUSTOM, gkd_links_on_msg, l);
	if (!err)
		err = nl_connect(l->sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_set_buffer_size(l->sk, GKD_LINKS_RCVBUF, 0);
	if (!err)
		err = nl_socket_add_membership(l->sk, RTNLGRP_LINK);
	if (!err)
		err = nl_socket_set_nonblocking(l->sk);
	return err < 0 ? gkd_links_nlerr(err) : 0;
}

int gkd_links_open(const char *const *ifnames, size_t n, gkd_links_cb cb, void *arg,
		   struct gkd_links **out)
{
	struct gkd_links *l;
	int err;

	if (!cb || !out || n > (SIZE_MAX - sizeof(*l)) / sizeof(l->w[0]))
		return -EINVAL;
	err = gkd_links_check_names(ifnames, n);
	if (err)
		return err;
	l = calloc(1, sizeof(*l) + n * sizeof(l->w[0]));
	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	l->n = n;
	for (size_t i = 0; i < n; i++)
		snprintf(l->w[i].name, sizeof(l->w[i].name), "%s", ifnames[i]);
	/* Subscribed before the dump, so that no change falls between the two. */
	err = gkd_links_subscribe(l);
	if (err)
		goto out_free;
	err = gkd_links_dump(l);
	if (err)
		goto out_free;
	*out = l;
	return 0;

out_free:
	nl_socket_free(l->sk);
	free(l);
	return err;
}

int gkd_links_fd(const struct gkd_links *l)
{
	return nl_socket_get_fd(l->sk);
}

/*
 * libnl reports ENOBUFS (the kernel dropped events for us) as NLE_NOMEM,
 * the same as a failed allocation; a re-dump is the answer to both, and
 * fails with -ENOMEM itself when memory is really short.
 */
int gkd_links_process(struct gkd_links *l)
{
	int err;

	for (int i = 0; i < GKD_LINKS_BATCH; i++) {
		err = nl_recvmsgs_default(l->sk);
		if (err == -NLE_AGAIN)
			break;
		if (err == -NLE_NOMEM) {
			if (!l->lost)
				pr_warn("links: netlink events lost, re-reading all links");
			l->lost = true;
		} else if (err < 0) {
			pr_err("links: netlink receive: %s", nl_geterror(err));
			return gkd_links_nlerr(err);
		}
	}
	if (!l->lost)
		return 0;
	l->lost = false;
	err = gkd_links_dump(l);
	if (err) {
		/* Try again on the next call rather than trust the state we have. */
		l->lost = true;
		pr_err("links: re-reading the links: %s", strerror(-err));
	}
	return err;
}

int gkd_links_ifindex(const struct gkd_links *l, const char *ifname)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->w[i].name, ifname))
			return l->w[i].ifindex;
	}
	return 0;
}

void gkd_links_close(struct gkd_links *l)
{
	if (!l)
		return;
	nl_socket_free(l->sk);
	free(l);
}
