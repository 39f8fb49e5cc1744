/* SPDX-License-Identifier: BSD-3-Clause */
/* SIGHUP: read the configuration again and switch to it only when it is valid and applicable. */
#ifndef GKD_RELOAD_H
#define GKD_RELOAD_H

#include <stddef.h>

#include "ctx.h"

/* How a new configuration can be applied over the running one. */
enum gkd_reload_kind {
	GKD_RELOAD_NONE,     /* identical: nothing to do */
	GKD_RELOAD_IN_PLACE, /* copied over the running one; DTLS sessions stay */
	GKD_RELOAD_SERVICES, /* the KDC and the CoAP server restart on it (sessions end) */
	GKD_RELOAD_REFUSED,  /* needs a process restart: the running one stays */
};

/*
 * Compare next with cur. what gets the first difference that decided a
 * SERVICES or REFUSED answer ("state_dir", "group g4 added",
 * "coaps_port", ...), "" otherwise.
 */
enum gkd_reload_kind gkd_reload_classify(const struct gkd_config *cur,
					 const struct gkd_config *next, char *what, size_t len);

/*
 * Reload ctx->cfg->path: parse it into a fresh configuration, refuse it
 * (logging why, and keeping the running one) when it does not parse, names
 * an unusable AS-KDC key or changes what only a restart can change;
 * otherwise apply it, logging each group and client added, removed or
 * changed. systemd hears RELOADING=1 first and READY=1 with the new
 * STATUS= line last, whatever the outcome. Returns 0 when the new
 * configuration is running, a negative errno when the old one still is
 * (or, after a failed restart of the services that could not be undone,
 * when the loop has been asked to stop).
 */
int gkd_reload(struct gkd_ctx *ctx);

/* The log level for a configured level raised by verbose -v steps. */
enum gk_log_level gkd_reload_log_level(enum gk_log_level base, int verbose);

/* "coap 127.0.0.1:5683, coaps 127.0.0.1:5684, AS on, 1 group, 1 client": STATUS= and logs. */
void gkd_reload_summary(const struct gkd_config *cfg, char *buf, size_t len);

#endif
