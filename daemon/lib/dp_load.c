// SPDX-License-Identifier: BSD-3-Clause
/* Data-plane loader: pinned maps shared by both skeletons, XDP and TC attach/replace/detach. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"
#include "gk_tc.skel.h"
#include "gk_xdp.skel.h"
#include "groupkey/log.h"

#define GK_BPFFS_ROOT "/sys/fs/bpf"

/* The pinned name of every map: enum gk_dp_map's, then gk_allow (NULL past the end). */
static const char *dp_pin_name(int i)
{
	if (i < GK_DP_MAP_NR)
		return gk_dp_map_name((enum gk_dp_map)i);
	return i == GK_DP_MAP_NR ? GK_DP_ALLOW_PIN : NULL;
}

/* Any map pinned under dir? */
static bool dp_any_pinned(const char *dir)
{
	char path[PATH_MAX];

	for (int i = 0; dp_pin_name(i); i++) {
		if (!gk_dp_pin_path(dir, dp_pin_name(i), path, sizeof(path)) && !access(path, F_OK))
			return true;
	}
	return false;
}

static bool dp_is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/*
 * The pin directory must live on bpffs. Like iproute2 and bpftool, mount one
 * at /sys/fs/bpf when the directory lies there and nothing is mounted yet
 * (systemd normally does it; minimal systems and containers do not).
 */
static int dp_prepare_pin_dir(const char *dir, bool create)
{
	size_t root_len = strlen(GK_BPFFS_ROOT);
	int err;

	if (!strncmp(dir, GK_BPFFS_ROOT "/", root_len + 1) && !dp_is_bpffs(GK_BPFFS_ROOT)) {
		if (mount("bpf", GK_BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_err("cannot mount bpffs at %s: %s", GK_BPFFS_ROOT, strerror(-err));
			return err;
		}
		pr_info("mounted bpffs at %s", GK_BPFFS_ROOT);
	}
	if (create && mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_err("cannot create %s: %s", dir, strerror(-err));
		return err;
	}
	if (!dp_is_bpffs(dir)) {
		if (access(dir, F_OK))
			return -ENOENT;
		pr_err("%s is not on a bpf filesystem", dir);
		return -EINVAL;
	}
	return 0;
}

/* Our entry point for a hook. */
static struct bpf_program *dp_prog(const struct gk_dp *dp, enum gk_dp_hook hook)
{
	switch (hook) {
	case GK_DP_HOOK_XDP:
		return dp->xdp->progs.gk_xdp_ingress;
	case GK_DP_HOOK_TC_EGRESS:
		return dp->tc->progs.gk_tc_egress;
	default:
		return dp->tc->progs.gk_tc_lan_ingress;
	}
}

/* Its name as the kernel keeps it, from dp (which still knows it after maps_only). */
static const char *dp_prog_name_of(const struct gk_dp *dp, enum gk_dp_hook hook)
{
	switch (hook) {
	case GK_DP_HOOK_XDP:
		return dp->xdp_name;
	case GK_DP_HOOK_TC_EGRESS:
		return dp->tc_name;
	default:
		return dp->lan_name;
	}
}

/* Point every shared map of obj at its pin: libbpf reuses a pin that exists, else creates one. */
static int dp_set_pins(struct bpf_object *obj, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	for (int i = 0; i < GK_DP_MAP_NR; i++) {
		map = bpf_object__find_map_by_name(obj, gk_dp_map_name((enum gk_dp_map)i));
		if (!map) {
			pr_err("BPF object %s has no map %s", bpf_object__name(obj),
			       gk_dp_map_name((enum gk_dp_map)i));
			return -ENOENT;
		}
		err = gk_dp_pin_path(dir, gk_dp_map_name((enum gk_dp_map)i), path, sizeof(path));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

static void dp_copy_name(char *dst, const struct bpf_program *prog)
{
	/* The kernel keeps BPF_OBJ_NAME_LEN - 1 characters of a program name. */
	snprintf(dst, BPF_OBJ_NAME_LEN, "%s", bpf_program__name(prog));
}

/*
 * Open both skeletons (not loaded yet) and learn their entry points' names.
 * The LAN program is verified only when it is to be attached: a host that
 * is no gateway does not pay for it. gk_allow is created and pinned anyway
 * (libbpf pins it by name under the pin root).
 */
static int dp_open_skels(struct gk_dp *dp, const struct gk_dp_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = dp->pin_dir);
	int err;

	dp->xdp = gk_xdp__open_opts(&oo);
	if (!dp->xdp)
		return -errno;
	dp->tc = gk_tc__open_opts(&oo);
	if (!dp->tc)
		return -errno;
	dp_copy_name(dp->xdp_name, dp_prog(dp, GK_DP_HOOK_XDP));
	dp_copy_name(dp->tc_name, dp_prog(dp, GK_DP_HOOK_TC_EGRESS));
	dp_copy_name(dp->lan_name, dp_prog(dp, GK_DP_HOOK_TC_LAN));
	err = bpf_program__set_autoload(dp_prog(dp, GK_DP_HOOK_TC_LAN), o->n_lan > 0);
	if (!err)
		err = dp_set_pins(dp->xdp->obj, dp->pin_dir);
	if (!err)
		err = dp_set_pins(dp->tc->obj, dp->pin_dir);
	return err;
}

/*
 * Load XDP first: it creates and pins the maps (or reuses the pins); TC then
 * finds them pinned and shares them. A pinned map of another layout makes
 * libbpf refuse the reuse with -EINVAL and a log line naming the map.
 */
static int dp_load_skels(struct gk_dp *dp)
{
	int err;

	err = gk_xdp__load(dp->xdp);
	if (err) {
		pr_err("loading the XDP program failed: %s", strerror(-err));
		return err;
	}
	err = gk_tc__load(dp->tc);
	if (err)
		pr_err("loading the TC program failed: %s", strerror(-err));
	return err;
}

/* mmap() the whole of an array map: *len is set on success. */
static int dp_mmap_array(int fd, __u32 value_size, __u32 min_entries, void **p, size_t *len)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	size_t n;
	void *m;

	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.value_size != value_size || info.max_entries < min_entries)
		return -EINVAL;
	n = ((size_t)info.max_entries * info.value_size + (size_t)page - 1) & ~((size_t)page - 1);
	m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	*p = m;
	*len = n;
	return 0;
}

/*
 * TC takes sequence numbers with an atomic add on gk_send[group].seq; raising
 * .limit through a map update would rewrite .seq too and lose increments, so
 * userspace writes single words of an mmapped array instead. gk_ctl likewise
 * takes atomic increments from every writer of gk_groups.
 */
static int dp_map_arrays(struct gk_dp *dp)
{
	void *p;
	int err;

	err = dp_mmap_array(dp->map_fd[GK_DP_MAP_SEND], sizeof(struct gk_dp_send), GK_DP_MAX_GROUPS,
			    &p, &dp->send_len);
	if (err == -EINVAL)
		pr_warn("gk_send is not an mmapable array of struct gk_dp_send: "
			"sequence reservation unavailable");
	else if (err)
		return err;
	else
		dp->send = p;
	err = dp_mmap_array(dp->map_fd[GK_DP_MAP_CTL], sizeof(struct gk_dp_ctl), 1, &p,
			    &dp->ctl_len);
	if (err) {
		pr_err("cannot map gk_ctl: %s", strerror(-err));
		return err;
	}
	dp->ctl = p;
	/* Flush what a writer that died between its change and its increment left cached. */
	gk_dp_groups_changed(dp);
	return 0;
}

void gk_dp_groups_changed(struct gk_dp *dp)
{
	if (dp->ctl)
		__atomic_fetch_add(&dp->ctl->groups_gen, 1, __ATOMIC_SEQ_CST);
}

/* Name of a loaded program by id, "" when it vanished. */
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

static __u32 dp_prog_id(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
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

/* Swap our program in for an earlier copy of it, in the mode that one runs in: no gap. */
static int dp_xdp_replace(int ifindex, int prog_fd, __u32 old_id, __u32 mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	int old_fd, err;

	old_fd = bpf_prog_get_fd_by_id(old_id);
	if (old_fd < 0)
		return -errno;
	ao.old_prog_fd = old_fd;
	err = bpf_xdp_attach(ifindex, prog_fd, mode_flag | XDP_FLAGS_REPLACE, &ao);
	close(old_fd);
	return err;
}

static int dp_attach_xdp(struct gk_dp *dp, int ifindex, enum gk_dp_xdp_mode mode)
{
	int prog_fd = bpf_program__fd(dp_prog(dp, GK_DP_HOOK_XDP));
	char ifname[IF_NAMESIZE], name[BPF_OBJ_NAME_LEN];
	__u32 old_id, flag;
	int err;

	dp_ifname(ifindex, ifname);
	err = dp_xdp_current(ifindex, &old_id, &flag);
	if (err) {
		pr_err("%s: cannot query XDP: %s", ifname, strerror(-err));
		return err;
	}
	if (old_id) {
		dp_prog_name(old_id, name);
		if (strcmp(name, dp->xdp_name)) {
			pr_err("%s: XDP program '%s' (id %u) is attached already; "
			       "multiprog (libxdp) is not supported yet",
			       ifname, name, old_id);
			return -EBUSY;
		}
		err = dp_xdp_replace(ifindex, prog_fd, old_id, flag);
		if (!err)
			pr_info("%s: replaced XDP program id %u", ifname, old_id);
	} else {
		flag = mode == GK_DP_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		err = bpf_xdp_attach(ifindex, prog_fd, flag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (err && mode == GK_DP_XDP_AUTO) {
			pr_warn("%s: native XDP failed (%s), falling back to generic mode", ifname,
				strerror(-err));
			flag = XDP_FLAGS_SKB_MODE;
			err = bpf_xdp_attach(ifindex, prog_fd, flag | XDP_FLAGS_UPDATE_IF_NOEXIST,
					     NULL);
		}
	}
	if (err) {
		pr_err("%s: attaching XDP failed: %s", ifname, strerror(-err));
		return err;
	}
	return dp_record(dp, ifindex, GK_DP_HOOK_XDP, flag, prog_fd, old_id != 0);
}

static enum bpf_tc_attach_point dp_tc_point(enum gk_dp_hook hook)
{
	return hook == GK_DP_HOOK_TC_LAN ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

static const char *dp_tc_point_name(enum gk_dp_hook hook)
{
	return hook == GK_DP_HOOK_TC_LAN ? "ingress" : "egress";
}

/* A filter at our handle and priority already: replace it if it is our program. */
static int dp_tc_replace(struct gk_dp *dp, enum gk_dp_hook hook, const struct bpf_tc_hook *tch,
			 struct bpf_tc_opts *a, const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = GK_DP_TC_HANDLE, .priority = GK_DP_TC_PRIO);
	char name[BPF_OBJ_NAME_LEN];
	int err;

	err = bpf_tc_query(tch, &q);
	if (err) {
		pr_err("%s: cannot query TC %s: %s", ifname, dp_tc_point_name(hook),
		       strerror(-err));
		return err;
	}
	dp_prog_name(q.prog_id, name);
	if (strcmp(name, dp_prog_name_of(dp, hook))) {
		pr_err("%s: TC %s filter %#x/%#x holds program '%s'", ifname,
		       dp_tc_point_name(hook), GK_DP_TC_HANDLE, GK_DP_TC_PRIO, name);
		return -EBUSY;
	}
	a->flags = BPF_TC_F_REPLACE;
	return bpf_tc_attach(tch, a);
}

/* TC egress stamping, or a gateway LAN port's ingress stamping. */
static int dp_attach_tc(struct gk_dp *dp, int ifindex, enum gk_dp_hook hook)
{
	int prog_fd = bpf_program__fd(dp_prog(dp, hook));
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
	/* Exclusive first: the usual case, a bare interface, needs no query. */
	err = bpf_tc_attach(&tch, &a);
	if (err == -EEXIST)
		err = dp_tc_replace(dp, hook, &tch, &a, ifname);
	if (err) {
		pr_err("%s: attaching TC %s failed: %s", ifname, dp_tc_point_name(hook),
		       strerror(-err));
		return err;
	}
	return dp_record(dp, ifindex, hook, 0, prog_fd, a.flags & BPF_TC_F_REPLACE);
}

static int dp_detach_xdp_id(int ifindex, __u32 id, __u32 flag)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ao.old_prog_fd = fd;
	/* REPLACE with fd -1: detach only if it is still this program. */
	err = bpf_xdp_detach(ifindex, flag | XDP_FLAGS_REPLACE, &ao);
	close(fd);
	return err == -EEXIST ? 0 : err;
}

static int dp_detach_tc_name(int ifindex, enum bpf_tc_attach_point point, const char *ours,
			     __u32 only_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = GK_DP_TC_HANDLE, .priority = GK_DP_TC_PRIO);
	LIBBPF_OPTS(bpf_tc_opts, d, .handle = GK_DP_TC_HANDLE, .priority = GK_DP_TC_PRIO);
	char name[BPF_OBJ_NAME_LEN];
	int err;

	err = bpf_tc_query(&hook, &q);
	if (err)
		return err == -ENOENT || err == -EINVAL ? 0 : err;
	dp_prog_name(q.prog_id, name);
	if (strcmp(name, ours) || (only_id && q.prog_id != only_id))
		return 0;
	/* The clsact qdisc stays: other filters may hang on it. */
	return bpf_tc_detach(&hook, &d);
}

static int dp_detach_one(struct gk_dp *dp, const struct gk_dp_attach *a)
{
	__u32 id, flag;
	int err;

	if (a->hook != GK_DP_HOOK_XDP)
		return dp_detach_tc_name(a->ifindex, dp_tc_point(a->hook),
					 dp_prog_name_of(dp, a->hook), a->prog_id);
	err = dp_xdp_current(a->ifindex, &id, &flag);
	if (err)
		return err == -ENODEV ? 0 : err;
	if (id != a->prog_id)
		return 0;
	return dp_detach_xdp_id(a->ifindex, id, flag);
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
	char name[BPF_OBJ_NAME_LEN];
	__u32 id, flag;
	int err;

	err = dp_xdp_current(ifindex, &id, &flag);
	if (err)
		return err;
	if (id) {
		dp_prog_name(id, name);
		if (!strcmp(name, dp->xdp_name))
			err = dp_detach_xdp_id(ifindex, id, flag);
	}
	if (!err)
		err = dp_detach_tc_name(ifindex, BPF_TC_EGRESS, dp->tc_name, 0);
	if (!err)
		err = dp_detach_tc_name(ifindex, BPF_TC_INGRESS, dp->lan_name, 0);
	if (err)
		return err;
	for (size_t i = dp->n_att; i-- > 0;) {
		if (dp->att[i].ifindex == ifindex)
			dp->att[i] = dp->att[--dp->n_att];
	}
	return 0;
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
static void dp_undo_fresh(struct gk_dp *dp)
{
	for (size_t i = 0; i < dp->n_att; i++) {
		if (!dp->att[i].replaced)
			dp_detach_one(dp, &dp->att[i]);
	}
	dp->n_att = 0;
}

static int dp_attach_all(struct gk_dp *dp, const struct gk_dp_opts *o)
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

/* The pin directory without trailing slashes: pin paths compare equal however it was written. */
static int dp_set_dir(struct gk_dp *dp, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!n || n >= sizeof(dp->pin_dir))
		return n ? -ENAMETOOLONG : -EINVAL;
	memcpy(dp->pin_dir, dir, n);
	dp->pin_dir[n] = '\0';
	return 0;
}

static void dp_free(struct gk_dp *dp)
{
	if (dp->send)
		munmap(dp->send, dp->send_len);
	if (dp->ctl)
		munmap(dp->ctl, dp->ctl_len);
	gk_dp_close_fds(dp->map_fd);
	if (dp->allow_fd >= 0)
		close(dp->allow_fd);
	gk_tc__destroy(dp->tc);
	gk_xdp__destroy(dp->xdp);
	free(dp);
}

/* gk_allow's pin into dp->allow_fd; a data plane pinned before gateways has none. */
static int dp_open_allow(struct gk_dp *dp)
{
	char path[PATH_MAX];
	int err;

	err = gk_dp_pin_path(dp->pin_dir, GK_DP_ALLOW_PIN, path, sizeof(path));
	if (err)
		return err;
	dp->allow_fd = bpf_obj_get(path);
	if (dp->allow_fd < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int dp_load(struct gk_dp *dp, const struct gk_dp_opts *o)
{
	int err;

	err = dp_open_skels(dp, o);
	if (err)
		return err;
	if (o->maps_only) {
		/* The names stay known, for gk_dp_detach_ifindex; the objects are not needed. */
		gk_tc__destroy(dp->tc);
		gk_xdp__destroy(dp->xdp);
		dp->tc = NULL;
		dp->xdp = NULL;
	} else {
		err = dp_load_skels(dp);
	}
	if (!err)
		err = gk_dp_open_pinned(dp->pin_dir, dp->map_fd);
	if (!err)
		err = dp_open_allow(dp);
	return err;
}

int gk_dp_open(struct gk_dp **out, const struct gk_dp_opts *opts)
{
	const struct gk_dp_opts none = { 0 };
	const struct gk_dp_opts *o = opts ? opts : &none;
	struct gk_dp *dp;
	int err;

	*out = NULL;
	if ((o->maps_only && (o->n_xdp || o->n_tc || o->n_lan || o->exclusive)) ||
	    (unsigned int)o->xdp_mode > GK_DP_XDP_GENERIC)
		return -EINVAL;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	for (int i = 0; i < GK_DP_MAP_NR; i++)
		dp->map_fd[i] = -1;
	dp->allow_fd = -1;
	err = dp_set_dir(dp, o->pin_dir ? o->pin_dir : GK_DP_PIN_DIR);
	if (err)
		goto out_free;
	err = dp_prepare_pin_dir(dp->pin_dir, !o->maps_only);
	if (err)
		goto out_free;
	if (o->exclusive && dp_any_pinned(dp->pin_dir)) {
		err = -EEXIST;
		goto out_free;
	}
	err = dp_load(dp, o);
	if (!err)
		err = dp_map_arrays(dp);
	if (err)
		goto out_free;
	err = dp_attach_all(dp, o);
	if (err)
		goto out_detach;
	*out = dp;
	return 0;

out_detach:
	dp_undo_fresh(dp);
out_free:
	dp_free(dp);
	return err;
}

static void dp_unpin(const char *dir)
{
	char path[PATH_MAX];

	for (int i = 0; dp_pin_name(i); i++) {
		if (!gk_dp_pin_path(dir, dp_pin_name(i), path, sizeof(path)) && unlink(path) &&
		    errno != ENOENT)
			pr_warn("cannot unpin %s: %s", path, strerror(errno));
	}
	/* Fails harmlessly when someone else keeps files there. */
	rmdir(dir);
}

void gk_dp_close(struct gk_dp *dp, bool keep_pins)
{
	if (!dp)
		return;
	if (!keep_pins)
		dp_unpin(dp->pin_dir);
	dp_free(dp);
}

const char *gk_dp_pin_dir(const struct gk_dp *dp)
{
	return dp->pin_dir;
}

int gk_dp_map_fd(const struct gk_dp *dp, enum gk_dp_map map)
{
	if ((unsigned int)map >= GK_DP_MAP_NR)
		return -EINVAL;
	return dp->map_fd[map];
}
