/* SPDX-License-Identifier: BSD-3-Clause */
/* The data-plane handle, shared by dp_load.c, dp_attach.c, dp_keys.c, dp_allow.c and dp_stats.c. */
#ifndef GROUPKEY_DP_INTERNAL_H
#define GROUPKEY_DP_INTERNAL_H

#include <limits.h>

#include "groupkey/dp.h"

struct gk_xdp;
struct gk_tc;
struct bpf_program;

#define GK_DP_MAX_ATTACH 64

/*
 * The TC filters' place on clsact egress and (gateway LAN ports) ingress: a
 * fixed handle and priority, so a restarted loader finds (and replaces) the
 * filter an earlier one installed.
 */
#define GK_DP_TC_HANDLE 0x676b /* "gk" */
#define GK_DP_TC_PRIO 0x676b

/* The pin of gk_allow, outside enum gk_dp_map: a data plane pinned before gateways lacks it. */
#define GK_DP_ALLOW_PIN "gk_allow"

enum gk_dp_hook {
	GK_DP_HOOK_XDP,
	GK_DP_HOOK_TC_EGRESS,
	GK_DP_HOOK_TC_LAN, /* TC ingress of a gateway's LAN port */
};

struct gk_dp_attach {
	int ifindex;
	enum gk_dp_hook hook;
	__u32 xdp_flags; /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	__u32 prog_id;	 /* what we attached, so detach never removes a newer program */
	bool replaced;	 /* it took the place of an earlier copy of our program */
};

struct gk_dp {
	char pin_dir[PATH_MAX];
	int map_fd[GK_DP_MAP_NR];
	int allow_fd;	    /* gk_allow, -1 when not pinned */
	struct gk_xdp *xdp; /* NULL with maps_only */
	struct gk_tc *tc;
	/*
	 * Program names as the kernel stores them: how ours were told from foreign
	 * ones before they were pinned, still used for a pin directory of that age.
	 */
	char xdp_name[BPF_OBJ_NAME_LEN];
	char tc_name[BPF_OBJ_NAME_LEN];
	char lan_name[BPF_OBJ_NAME_LEN];
	struct gk_dp_send
		*send; /* gk_send mmapped, GK_DP_MAX_GROUPS entries; NULL if not mmapable */
	size_t send_len;
	struct gk_dp_ctl *ctl; /* gk_ctl mmapped */
	size_t ctl_len;
	struct gk_dp_attach att[GK_DP_MAX_ATTACH];
	size_t n_att;
	unsigned long netns; /* inode of our network namespace, in program pin names; 0 unknown */
	bool legacy_pins;    /* maps pinned by a version that pinned no program */
};

/* dir/name of a map pin into buf; -ENAMETOOLONG. */
int gk_dp_pin_path(const char *dir, const char *name, char *buf, size_t len);
/* Open every map pinned under dir into fds (all or nothing). */
int gk_dp_open_pinned(const char *dir, int fds[GK_DP_MAP_NR]);
void gk_dp_close_fds(int fds[GK_DP_MAP_NR]);
/* After a change to gk_groups: the programs' per-CPU lookup caches must drop the old answer. */
void gk_dp_groups_changed(struct gk_dp *dp);

/* dp_load.c: the loaded program of a hook (NULL with maps_only) and its name as the kernel has it. */
struct bpf_program *gk_dp_prog(const struct gk_dp *dp, enum gk_dp_hook hook);
const char *gk_dp_prog_name_of(const struct gk_dp *dp, enum gk_dp_hook hook);

/* dp_attach.c */
/* Attach every interface of o; the first failure stops (the caller undoes). */
int gk_dp_attach_all(struct gk_dp *dp, const struct gk_dp_opts *o);
/* After a failed open: detach what it attached to bare interfaces, keep what it replaced. */
void gk_dp_undo_fresh(struct gk_dp *dp);
/* Unpin the attachments that have gone (interface deleted, another program on the hook). */
void gk_dp_pin_gc(const struct gk_dp *dp);
/* Whether dir holds a program pin (a pin directory of this version). */
bool gk_dp_any_prog_pinned(const char *dir);
/* Remove every program pin under dir, whichever network namespace it names. */
void gk_dp_unpin_progs(const char *dir);

#endif
