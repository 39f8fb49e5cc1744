// SPDX-License-Identifier: BSD-3-Clause
/* Data-plane loader: the skeletons, their maps pinned and shared, the mmapped arrays. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "groupkey/util.h"

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
struct bpf_program *gk_dp_prog(const struct gk_dp *dp, enum gk_dp_hook hook)
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
const char *gk_dp_prog_name_of(const struct gk_dp *dp, enum gk_dp_hook hook)
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
	dp_copy_name(dp->xdp_name, gk_dp_prog(dp, GK_DP_HOOK_XDP));
	dp_copy_name(dp->tc_name, gk_dp_prog(dp, GK_DP_HOOK_TC_EGRESS));
	dp_copy_name(dp->lan_name, gk_dp_prog(dp, GK_DP_HOOK_TC_LAN));
	err = bpf_program__set_autoload(gk_dp_prog(dp, GK_DP_HOOK_TC_LAN), o->n_lan > 0);
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

/* What the pin directory held before this open: how to name and recognise program pins. */
static void dp_survey_pins(struct gk_dp *dp)
{
	struct stat st;

	/* An ifindex means something in one network namespace only. */
	if (!stat("/proc/self/ns/net", &st))
		dp->netns = (unsigned long)st.st_ino;
	dp->legacy_pins = dp_any_pinned(dp->pin_dir) && !gk_dp_any_prog_pinned(dp->pin_dir);
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
	dp_survey_pins(dp);
	err = dp_load(dp, o);
	if (!err)
		err = dp_map_arrays(dp);
	if (err)
		goto out_free;
	err = gk_dp_attach_all(dp, o);
	if (err)
		goto out_detach;
	if (!o->maps_only)
		gk_dp_pin_gc(dp);
	*out = dp;
	return 0;

out_detach:
	gk_dp_undo_fresh(dp);
out_free:
	dp_free(dp);
	return err;
}

static void dp_unpin(const char *dir)
{
	char path[PATH_MAX];

	gk_dp_unpin_progs(dir);

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
