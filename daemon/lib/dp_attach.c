// SPDX-License-Identifier: BSD-3-Clause
/* Attaching the data plane: XDP and TC attach, replace and detach, and the pins that own them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

/*
 * How a program on a hook is known to be ours without BPF_PROG_GET_FD_BY_ID,
 * which takes CAP_SYS_ADMIN (the daemon has CAP_BPF and CAP_NET_ADMIN only):
 * every attachment is pinned next to the maps, as
 * prog_<hook>_<netns inode>_<ifindex>. Opening a pin and reading the id of an
 * fd we hold need no more than CAP_BPF; an attached id equal to its pin's is
 * ours, and the pin's fd is the old_prog_fd XDP_FLAGS_REPLACE wants.
 *
 * A pin per attachment, not per program: the daemon attaches a re-created
 * interface with a loader of its own (a program of its own), while the first
 * copy keeps running on the other interfaces; one pin per program would
 * forget that copy. A new program is pinned as ..._next before it is attached
 * and renamed over the pin after (rename(2) works on bpffs), so a loader
 * killed at any point leaves what runs under one of the two names.
 */
static const char *const dp_hook_pin[] = {
	[GK_DP_HOOK_XDP] = "prog_xdp",
	[GK_DP_HOOK_TC_EGRESS] = "prog_tc_egress",
	[GK_DP_HOOK_TC_LAN] = "prog_tc_lan",
};

#define DP_PIN_NEXT "_next"

static int dp_prog_pin_path(const struct gk_dp *dp, enum gk_dp_hook hook, int ifindex, bool next,
			    char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s_%lu_%d%s", dp->pin_dir, dp_hook_pin[hook], dp->netns,
			 ifindex, next ? DP_PIN_NEXT : "");

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* A program pin's hook, network namespace and ifindex from its name; false for other names. */
static bool dp_parse_prog_pin(const char *name, enum gk_dp_hook *hook, unsigned long *netns,
			      int *ifindex, bool *next)
{
	for (size_t h = 0; h < GK_ARRAY_SIZE(dp_hook_pin); h++) {
		size_t n = strlen(dp_hook_pin[h]);
		int end = 0;

		if (strncmp(name, dp_hook_pin[h], n) || name[n] != '_' ||
		    sscanf(name + n + 1, "%lu_%d%n", netns, ifindex, &end) != 2)
			continue;
		*next = !strcmp(name + n + 1 + end, DP_PIN_NEXT);
		if (!*next && name[n + 1 + end])
			continue;
		*hook = (enum gk_dp_hook)h;
		return true;
	}
	return false;
}

/* Any program pinned under dir? A data plane pinned by an older version has none. */
bool gk_dp_any_prog_pinned(const char *dir)
{
	enum gk_dp_hook hook;
	unsigned long netns;
	struct dirent *e;
	bool found = false, next;
	int ifindex;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = dp_parse_prog_pin(e->d_name, &hook, &netns, &ifindex, &next);
	closedir(d);
	return found;
}

/* Name of a loaded program by id; "" when it vanished or we may not open it (CAP_SYS_ADMIN). */
static void dp_prog_name(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd;

	name[0] = '\0';
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	close(fd);
}

/* A foreign program for a message: "'name' (id N)", or "id N" when its name is out of reach. */
static void dp_prog_desc(__u32 id, char *buf, size_t len)
{
	char name[BPF_OBJ_NAME_LEN];

	dp_prog_name(id, name);
	if (name[0])
		snprintf(buf, len, "'%s' (id %u)", name, id);
	else
		snprintf(buf, len, "id %u", id);
}

static __u32 dp_prog_id(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* The program this handle loaded for hook, if it is id: a new fd of it, else -ENOENT. */
static int dp_own_fd(const struct gk_dp *dp, enum gk_dp_hook hook, __u32 id)
{
	int fd;

	if (!dp->xdp || !dp->tc)
		return -ENOENT;
	fd = bpf_program__fd(gk_dp_prog(dp, hook));
	if (fd < 0 || dp_prog_id(fd) != id)
		return -ENOENT;
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* Our pin of (hook, ifindex) if it holds program id: its fd, else -ENOENT. */
static int dp_pinned_fd(const struct gk_dp *dp, enum gk_dp_hook hook, int ifindex, __u32 id)
{
	char path[PATH_MAX];
	int fd, err;

	for (int next = 0; next < 2; next++) {
		err = dp_prog_pin_path(dp, hook, ifindex, next, path, sizeof(path));
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0 && errno != ENOENT)
			return -errno;
		if (fd < 0)
			continue;
		if (dp_prog_id(fd) == id)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/*
 * Pins of a version that pinned no program (an upgrade): the programs it left
 * attached are recognised by name, as that version did. This needs
 * BPF_PROG_GET_FD_BY_ID, so CAP_SYS_ADMIN: run the first load after the
 * upgrade, or `groupkey dataplane unload`, as root.
 */
static int dp_legacy_fd(const struct gk_dp *dp, enum gk_dp_hook hook, __u32 id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd;

	if (!dp->legacy_pins)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -ENOENT;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    !strcmp(info.name, gk_dp_prog_name_of(dp, hook)))
		return fd;
	close(fd);
	return -ENOENT;
}

/* An fd of program id, attached to (hook, ifindex), when it is ours; -ENOENT when foreign. */
static int dp_claim(const struct gk_dp *dp, enum gk_dp_hook hook, int ifindex, __u32 id)
{
	int fd = dp_own_fd(dp, hook, id);

	if (fd == -ENOENT)
		fd = dp_pinned_fd(dp, hook, ifindex, id);
	if (fd == -ENOENT)
		fd = dp_legacy_fd(dp, hook, id);
	return fd;
}

static const char *dp_legacy_hint(const struct gk_dp *dp)
{
	return dp->legacy_pins ? " (the pins there are an older version's, which pinned no "
				 "program: only root can tell its programs by name)" :
				 "";
}

/* Pin prog_fd as the next program of (hook, ifindex), over what a killed loader left there. */
static int dp_pin_next(const struct gk_dp *dp, enum gk_dp_hook hook, int ifindex, int prog_fd)
{
	char path[PATH_MAX];
	int err;

	err = dp_prog_pin_path(dp, hook, ifindex, true, path, sizeof(path));
	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	if (bpf_obj_pin(prog_fd, path))
		return -errno;
	return 0;
}

/* The next program is attached: it takes the pin's name in one step. */
static int dp_pin_commit(const struct gk_dp *dp, enum gk_dp_hook hook, int ifindex)
{
	char next[PATH_MAX], path[PATH_MAX];
	int err;

	err = dp_prog_pin_path(dp, hook, ifindex, true, next, sizeof(next));
	if (!err)
		err = dp_prog_pin_path(dp, hook, ifindex, false, path, sizeof(path));
	if (err)
		return err;
	if (rename(next, path))
		return -errno;
	return 0;
}

/* Unpin the next program of (hook, ifindex), or (all) its program as well. */
static void dp_pin_drop(const struct gk_dp *dp, enum gk_dp_hook hook, int ifindex, bool all)
{
	char path[PATH_MAX];

	for (int next = 1; next >= !all; next--) {
		if (!dp_prog_pin_path(dp, hook, ifindex, next, path, sizeof(path)) &&
		    unlink(path) && errno != ENOENT)
			pr_warn("cannot unpin %s: %s", path, strerror(errno));
	}
}

static void dp_ifname(int ifindex, char buf[IF_NAMESIZE])
{
	if (!if_indextoname((unsigned int)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
}

static int dp_record(struct gk_dp *dp, int ifindex, enum gk_dp_hook hook, __u32 xdp_flags,
		     int prog_fd, bool replaced)
{
	struct gk_dp_attach *a;

	for (size_t i = 0; i < dp->n_att; i++) {
		a = &dp->att[i];
		if (a->ifindex == ifindex && a->hook == hook)
			goto out_fill;
	}
	if (dp->n_att == GK_DP_MAX_ATTACH)
		return -ENOSPC;
	a = &dp->att[dp->n_att++];
out_fill:
	a->ifindex = ifindex;
	a->hook = hook;
	a->xdp_flags = xdp_flags;
	a->prog_id = dp_prog_id(prog_fd);
	a->replaced = replaced;
	return 0;
}

/* Attached: the pin takes the new program, and the handle remembers it (for detach and undo). */
static int dp_attached(struct gk_dp *dp, int ifindex, enum gk_dp_hook hook, __u32 xdp_flags,
		       int prog_fd, bool replaced)
{
	char ifname[IF_NAMESIZE];
	int err, rec;

	err = dp_pin_commit(dp, hook, ifindex);
	if (err) {
		/* Still pinned as ..._next, so still recognised. */
		dp_ifname(ifindex, ifname);
		pr_err("%s: cannot rename the pin of our %s program: %s", ifname,
		       dp_hook_pin[hook] + strlen("prog_"), strerror(-err));
	}
	rec = dp_record(dp, ifindex, hook, xdp_flags, prog_fd, replaced);
	return err ? err : rec;
}

/* The XDP program now on ifindex (any mode) and its mode flag, id 0 when none. */
static int dp_xdp_current(int ifindex, __u32 *id, __u32 *mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	*id = 0;
	*mode_flag = 0;
	if (q.drv_prog_id) {
		*id = q.drv_prog_id;
		*mode_flag = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		*id = q.skb_prog_id;
		*mode_flag = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		*id = q.hw_prog_id;
		*mode_flag = XDP_FLAGS_HW_MODE;
	}
	return 0;
}

static enum bpf_tc_attach_point dp_tc_point(enum gk_dp_hook hook)
{
	return hook == GK_DP_HOOK_TC_LAN ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

static const char *dp_tc_point_name(enum gk_dp_hook hook)
{
	return hook == GK_DP_HOOK_TC_LAN ? "ingress" : "egress";
}

/* The program of our TC filter on (hook, ifindex), 0 when there is none (or no clsact). */
static int dp_tc_current(int ifindex, enum gk_dp_hook hook, __u32 *id)
{
	LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = ifindex, .attach_point = dp_tc_point(hook));
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = GK_DP_TC_HANDLE, .priority = GK_DP_TC_PRIO);
	int err;

	*id = 0;
	err = bpf_tc_query(&th, &q);
	if (err)
		return err == -ENOENT || err == -EINVAL ? 0 : err;
	*id = q.prog_id;
	return 0;
}

/* The program on any of our hooks of ifindex; *xdp_flag is its XDP mode (0 for TC). */
static int dp_hook_current(int ifindex, enum gk_dp_hook hook, __u32 *id, __u32 *xdp_flag)
{
	*xdp_flag = 0;
	if (hook == GK_DP_HOOK_XDP)
		return dp_xdp_current(ifindex, id, xdp_flag);
	return dp_tc_current(ifindex, hook, id);
}

/* Swap our program in for an earlier copy of it, in the mode that one runs in: no gap. */
static int dp_xdp_replace(int ifindex, int prog_fd, int old_fd, __u32 mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = old_fd);

	return bpf_xdp_attach(ifindex, prog_fd, mode_flag | XDP_FLAGS_REPLACE, &ao);
}

/* XDP on an interface that runs none: *flag gets the mode used. */
static int dp_xdp_fresh(int ifindex, int prog_fd, enum gk_dp_xdp_mode mode, const char *ifname,
			__u32 *flag)
{
	int err;

	*flag = mode == GK_DP_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	err = bpf_xdp_attach(ifindex, prog_fd, *flag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err && mode == GK_DP_XDP_AUTO) {
		pr_warn("%s: native XDP failed (%s), falling back to generic mode", ifname,
			strerror(-err));
		*flag = XDP_FLAGS_SKB_MODE;
		err = bpf_xdp_attach(ifindex, prog_fd, *flag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	}
	return err;
}

/* An fd of our program old_id on ifindex, or -EBUSY (logged) when it is foreign. */
static int dp_xdp_claim(const struct gk_dp *dp, int ifindex, __u32 old_id, const char *ifname)
{
	char desc[64];
	int fd;

	fd = dp_claim(dp, GK_DP_HOOK_XDP, ifindex, old_id);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT) {
		pr_err("%s: cannot open the pin of XDP program id %u: %s", ifname, old_id,
		       strerror(-fd));
		return fd;
	}
	dp_prog_desc(old_id, desc, sizeof(desc));
	pr_err("%s: XDP program %s is attached already; multiprog (libxdp) is not supported yet%s",
	       ifname, desc, dp_legacy_hint(dp));
	return -EBUSY;
}

static int dp_attach_xdp(struct gk_dp *dp, int ifindex, enum gk_dp_xdp_mode mode)
{
	int prog_fd = bpf_program__fd(gk_dp_prog(dp, GK_DP_HOOK_XDP));
	char ifname[IF_NAMESIZE];
	__u32 old_id, flag;
	int old_fd = -1, err;

	dp_ifname(ifindex, ifname);
	err = dp_xdp_current(ifindex, &old_id, &flag);
	if (err) {
		pr_err("%s: cannot query XDP: %s", ifname, strerror(-err));
		return err;
	}
	if (old_id) {
		old_fd = dp_xdp_claim(dp, ifindex, old_id, ifname);
		if (old_fd < 0)
			return old_fd;
	}
	err = dp_pin_next(dp, GK_DP_HOOK_XDP, ifindex, prog_fd);
	if (err) {
		pr_err("%s: cannot pin the XDP program in %s: %s", ifname, dp->pin_dir,
		       strerror(-err));
		goto out_close;
	}
	if (old_fd >= 0)
		err = dp_xdp_replace(ifindex, prog_fd, old_fd, flag);
	else
		err = dp_xdp_fresh(ifindex, prog_fd, mode, ifname, &flag);
	if (err) {
		pr_err("%s: attaching XDP failed: %s", ifname, strerror(-err));
		dp_pin_drop(dp, GK_DP_HOOK_XDP, ifindex, false);
		goto out_close;
	}
	if (old_fd >= 0)
		pr_info("%s: replaced XDP program id %u", ifname, old_id);
	err = dp_attached(dp, ifindex, GK_DP_HOOK_XDP, flag, prog_fd, old_fd >= 0);
out_close:
	if (old_fd >= 0)
		close(old_fd);
	return err;
}

/* A filter at our handle and priority already: replace it if it is our program. */
static int dp_tc_replace(struct gk_dp *dp, enum gk_dp_hook hook, const struct bpf_tc_hook *tch,
			 struct bpf_tc_opts *a, const char *ifname)
{
	char desc[64];
	__u32 id;
	int fd, err;

	err = dp_tc_current(tch->ifindex, hook, &id);
	if (err) {
		pr_err("%s: cannot query TC %s: %s", ifname, dp_tc_point_name(hook),
		       strerror(-err));
		return err;
	}
	fd = dp_claim(dp, hook, tch->ifindex, id);
	if (fd == -ENOENT) {
		dp_prog_desc(id, desc, sizeof(desc));
		pr_err("%s: TC %s filter %#x/%#x holds program %s, not ours%s", ifname,
		       dp_tc_point_name(hook), GK_DP_TC_HANDLE, GK_DP_TC_PRIO, desc,
		       dp_legacy_hint(dp));
		return -EBUSY;
	}
	if (fd < 0)
		return fd;
	close(fd);
	a->flags = BPF_TC_F_REPLACE;
	return bpf_tc_attach(tch, a);
}

/* TC egress stamping, or a gateway LAN port's ingress stamping. */
static int dp_attach_tc(struct gk_dp *dp, int ifindex, enum gk_dp_hook hook)
{
	int prog_fd = bpf_program__fd(gk_dp_prog(dp, hook));
	LIBBPF_OPTS(bpf_tc_hook, tch, .ifindex = ifindex, .attach_point = dp_tc_point(hook));
	LIBBPF_OPTS(bpf_tc_opts, a, .handle = GK_DP_TC_HANDLE, .priority = GK_DP_TC_PRIO,
		    .prog_fd = prog_fd);
	char ifname[IF_NAMESIZE];
	int err;

	dp_ifname(ifindex, ifname);
	err = bpf_tc_hook_create(&tch);
	if (err && err != -EEXIST) {
		pr_err("%s: cannot create the clsact qdisc: %s", ifname, strerror(-err));
		return err;
	}
	err = dp_pin_next(dp, hook, ifindex, prog_fd);
	if (err) {
		pr_err("%s: cannot pin the TC program in %s: %s", ifname, dp->pin_dir,
		       strerror(-err));
		return err;
	}
	/* Exclusive first: the usual case, a bare interface, needs no query. */
	err = bpf_tc_attach(&tch, &a);
	if (err == -EEXIST)
		err = dp_tc_replace(dp, hook, &tch, &a, ifname);
	if (err) {
		pr_err("%s: attaching TC %s failed: %s", ifname, dp_tc_point_name(hook),
		       strerror(-err));
		dp_pin_drop(dp, hook, ifindex, false);
		return err;
	}
	return dp_attached(dp, ifindex, hook, 0, prog_fd, a.flags & BPF_TC_F_REPLACE);
}

/* Take program fd (ours) off (hook, ifindex); XDP only while fd is still what runs there. */
static int dp_remove(int ifindex, enum gk_dp_hook hook, int fd, __u32 xdp_flag)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = fd);
	LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = ifindex, .attach_point = dp_tc_point(hook));
	LIBBPF_OPTS(bpf_tc_opts, d, .handle = GK_DP_TC_HANDLE, .priority = GK_DP_TC_PRIO);
	int err;

	/* The clsact qdisc stays: other filters may hang on it. */
	if (hook != GK_DP_HOOK_XDP)
		return bpf_tc_detach(&th, &d);
	/* REPLACE with fd -1: detach only if it is still this program. */
	err = bpf_xdp_detach(ifindex, xdp_flag | XDP_FLAGS_REPLACE, &ao);
	return err == -EEXIST ? 0 : err;
}

/*
 * Take our program off (hook, ifindex) and unpin it. With only_id, any other
 * program stays, pins included: a newer copy another loader attached.
 */
static int dp_detach_hook(struct gk_dp *dp, int ifindex, enum gk_dp_hook hook, __u32 only_id)
{
	__u32 id, flag;
	int fd, err;

	err = dp_hook_current(ifindex, hook, &id, &flag);
	if (err)
		return err;
	if (id && only_id && id != only_id)
		return 0;
	if (id) {
		fd = dp_claim(dp, hook, ifindex, id);
		if (fd < 0 && fd != -ENOENT)
			return fd;
		/* A foreign program there: our pins of that hook are stale. */
		if (fd >= 0) {
			err = dp_remove(ifindex, hook, fd, flag);
			close(fd);
			if (err)
				return err;
		}
	}
	dp_pin_drop(dp, hook, ifindex, true);
	return 0;
}

static int dp_detach_one(struct gk_dp *dp, const struct gk_dp_attach *a)
{
	int err = dp_detach_hook(dp, a->ifindex, a->hook, a->prog_id);

	return err == -ENODEV ? 0 : err;
}

int gk_dp_detach(struct gk_dp *dp)
{
	int err, first = 0;

	for (size_t i = 0; i < dp->n_att; i++) {
		err = dp_detach_one(dp, &dp->att[i]);
		if (err && !first)
			first = err;
	}
	dp->n_att = 0;
	return first;
}

int gk_dp_detach_ifindex(struct gk_dp *dp, int ifindex)
{
	static const enum gk_dp_hook hooks[] = { GK_DP_HOOK_XDP, GK_DP_HOOK_TC_EGRESS,
						 GK_DP_HOOK_TC_LAN };
	int err = 0;

	for (size_t i = 0; !err && i < GK_ARRAY_SIZE(hooks); i++)
		err = dp_detach_hook(dp, ifindex, hooks[i], 0);
	if (err)
		return err;
	for (size_t i = dp->n_att; i-- > 0;) {
		if (dp->att[i].ifindex == ifindex)
			dp->att[i] = dp->att[--dp->n_att];
	}
	return 0;
}

/*
 * Unpin attachments that are gone: the interface was deleted, or its hook
 * holds another program now (pinned under its own name if it is ours). Else
 * every re-created interface would keep a program alive. A ..._next pin may
 * be another loader's attach in flight: only a deleted interface drops it.
 */
void gk_dp_pin_gc(const struct gk_dp *dp)
{
	char path[PATH_MAX];
	enum gk_dp_hook hook;
	unsigned long netns;
	struct dirent *e;
	__u32 id, flag;
	int ifindex, fd, err;
	bool next, stale;
	DIR *d;

	d = opendir(dp->pin_dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!dp_parse_prog_pin(e->d_name, &hook, &netns, &ifindex, &next) ||
		    netns != dp->netns)
			continue;
		err = dp_hook_current(ifindex, hook, &id, &flag);
		if (err && err != -ENODEV)
			continue;
		stale = err == -ENODEV;
		if (!stale && !next &&
		    !gk_dp_pin_path(dp->pin_dir, e->d_name, path, sizeof(path))) {
			fd = bpf_obj_get(path);
			stale = fd >= 0 && dp_prog_id(fd) != id;
			if (fd >= 0)
				close(fd);
		}
		if (stale && unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT)
			pr_warn("cannot unpin %s/%s: %s", dp->pin_dir, e->d_name, strerror(errno));
	}
	closedir(d);
}

int gk_dp_xdp_attach_mode(const struct gk_dp *dp, int ifindex)
{
	for (size_t i = 0; i < dp->n_att; i++) {
		if (dp->att[i].ifindex == ifindex && dp->att[i].hook == GK_DP_HOOK_XDP)
			return (int)dp->att[i].xdp_flags;
	}
	return -ENOENT;
}

/*
 * A failed open removes the attachments it made on bare interfaces, but not
 * the ones where it replaced an earlier copy of our program: removing those
 * would leave the interface unprotected, and the new copy enforces the same maps.
 */
void gk_dp_undo_fresh(struct gk_dp *dp)
{
	for (size_t i = 0; i < dp->n_att; i++) {
		if (!dp->att[i].replaced)
			dp_detach_one(dp, &dp->att[i]);
	}
	dp->n_att = 0;
}

int gk_dp_attach_all(struct gk_dp *dp, const struct gk_dp_opts *o)
{
	int err;

	for (size_t i = 0; i < o->n_xdp; i++) {
		err = dp_attach_xdp(dp, o->xdp_ifindex[i], o->xdp_mode);
		if (err)
			return err;
	}
	for (size_t i = 0; i < o->n_tc; i++) {
		err = dp_attach_tc(dp, o->tc_ifindex[i], GK_DP_HOOK_TC_EGRESS);
		if (err)
			return err;
	}
	for (size_t i = 0; i < o->n_lan; i++) {
		err = dp_attach_tc(dp, o->lan_ifindex[i], GK_DP_HOOK_TC_LAN);
		if (err)
			return err;
	}
	return 0;
}

/* Every program pin under dir, whichever network namespace it names. */
void gk_dp_unpin_progs(const char *dir)
{
	enum gk_dp_hook hook;
	unsigned long netns;
	struct dirent *e;
	int ifindex;
	bool next;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (dp_parse_prog_pin(e->d_name, &hook, &netns, &ifindex, &next) &&
		    unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT)
			pr_warn("cannot unpin %s/%s: %s", dir, e->d_name, strerror(errno));
	}
	closedir(d);
}
