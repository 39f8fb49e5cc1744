/* SPDX-License-Identifier: BSD-3-Clause */
/* `groupkey stats --prometheus`: the pinned data plane in the Prometheus text exposition format. */
#ifndef GROUPKEY_CLI_STATS_PROM_H
#define GROUPKEY_CLI_STATS_PROM_H

#include <stdio.h>

/*
 * Write the metrics of docs/metrics.md for group (or GK_DP_ALL_GROUPS) of
 * the data plane pinned at dir to f. Nothing pinned there is not an error:
 * groupkeyd_dp_up 0 alone, so that node_exporter's textfile collector
 * reports a stopped data plane rather than stale numbers. Returns 0 or a
 * negative errno (the maps exist but cannot be read: -EPERM without
 * CAP_BPF or access to the pins), with nothing written.
 */
int stats_prometheus(FILE *f, const char *dir, int group);

#endif
