/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon's member workers: one process per [member] section, restarted when they die. */
#ifndef GKD_MEMBER_RUN_H
#define GKD_MEMBER_RUN_H

struct gkd_ctx;

/* Start a worker per [member] (after the data plane is open); a no-op without any. */
int gkd_members_start(struct gkd_ctx *ctx);
/* SIGTERM every worker and wait for it (SIGKILL after 5 s). Keys stay in the maps. */
void gkd_members_stop(struct gkd_ctx *ctx);

#endif
