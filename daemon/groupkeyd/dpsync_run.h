/* SPDX-License-Identifier: BSD-3-Clause */
/* Daemon side of dpsync: the [dataplane] of a KDC host, opened at start-up and kept in step. */
#ifndef GKD_DPSYNC_RUN_H
#define GKD_DPSYNC_RUN_H

#include <stdint.h>

struct gkd_ctx;

/*
 * With [dataplane] enabled: open the data plane (reusing pinned maps, so
 * enforcement never stops across a restart) on the configured interfaces,
 * program every group with an address from the KDC (call after the KDC is
 * open), and keep a timer that removes previous keys when their grace ends.
 * Sets ctx->dpsync; a no-op returning 0 when disabled.
 */
int gkd_dpsync_start(struct gkd_ctx *ctx);
/*
 * Stop feeding the maps. With [dataplane] keep_attached the programs and
 * pins stay (enforcement goes on, keys expire on their own, a restart picks
 * them up); otherwise the programs leave every configured interface and the
 * pins go.
 */
void gkd_dpsync_stop(struct gkd_ctx *ctx);
/* gkd_kdc_events.group_rekeyed's share: push key num of group. A no-op without a data plane. */
void gkd_dpsync_rekeyed(struct gkd_ctx *ctx, const char *group, uint32_t num);
/*
 * Program everything again from the KDC and the configuration's groups
 * (after a reload reopened the KDC): added groups get their addresses and
 * keys, removed ones lose them.
 */
void gkd_dpsync_resync(struct gkd_ctx *ctx);

#endif
