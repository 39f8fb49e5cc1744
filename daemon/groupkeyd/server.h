/* SPDX-License-Identifier: BSD-3-Clause */
/* The CoAP side of the daemon on libcoap (GnuTLS DTLS): endpoints, PSK callback, resources. */
#ifndef GKD_SERVER_H
#define GKD_SERVER_H

#include "ctx.h"
#include "kdc.h"

/*
 * Create the libcoap context with a plain CoAP endpoint (cfg->coap_port:
 * /authz-info only) and a DTLS-PSK endpoint (cfg->coaps_port: /token when
 * the AS is enabled, /authz-info, the KDC resources), register the
 * resources, hook libcoap's fd into ctx->loop and the PSK callback into
 * gkd_authz_resolve_identity(). ctx->kdc must exist: its members get their
 * node resources, and a timer on ctx->loop drives gkd_kdc_tick(). Errors:
 * -EADDRINUSE etc., -ENOTSUP if libcoap has no DTLS.
 */
int gkd_server_start(struct gkd_ctx *ctx);
/*
 * The KDC's callbacks into the server (Observe notifications on rekeys,
 * removal of node resources), for gkd_kdc_open(); arg is ctx, and events
 * before gkd_server_start() or after gkd_server_stop() are ignored.
 */
void gkd_server_kdc_events(struct gkd_ctx *ctx, struct gkd_kdc_events *ev);
void gkd_server_stop(struct gkd_ctx *ctx);

#endif
