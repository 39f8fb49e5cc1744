/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon context: the one place groupkeyd keeps its mutable state. */
#ifndef GKD_CTX_H
#define GKD_CTX_H

#include <stdbool.h>

#include "as.h"
#include "authz.h"
#include "conf.h"
#include "evloop.h"
#include "store.h"

struct gk_rng;
struct gkd_kdc;
struct gkd_notify;
struct gkd_server;
struct gkd_dpsync_run;
struct gkd_members;

struct gkd_ctx {
	struct gkd_config *cfg; /* heap: large */
	struct gkd_store *store;
	struct gk_rng *rng;
	struct gkd_loop *loop;
	struct gkd_as as;
	struct gkd_authz authz;
	struct gkd_kdc *kdc;
	struct gkd_server *server;
	bool foreground;
	/* notify.c, reload.c */
	struct gkd_notify *notify; /* systemd's notify socket; a no-op handle without one */
	int verbose;		   /* -v count: a reload recomputes the log level from it */
	struct gkd_dpsync_run *dpsync; /* dpsync_run.c: [dataplane]; NULL when disabled */
	struct gkd_members *members;   /* member_run.c: [member] workers; NULL without any */
};

#endif
