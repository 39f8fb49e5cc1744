// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer target: /token, /authz-info, PSK identities and every KDC resource, in-process. */

/*
 * Input: byte 0 picks the entry point (mod 4):
 *   0 gkd_as_token:       byte 1 bit 0 the DTLS client "fz" (else none),
 *                         bits 1-2 the Content-Format; the rest is the body
 *   1 gkd_authz_info:     byte 1 bits 1-2 the Content-Format; the rest is the body
 *   2 PSK identity:       the rest is the identity
 *   3 gkd_kdc_handle:     byte 1 the method (1 + b % 5); byte 2 bits 0-1 the
 *                         Content-Format, bit 2 the non-member token, bit 3 a
 *                         tick first, bit 4 no token; byte 3 < 0xf0 picks a path
 *                         of the table below (%N: the member's node), otherwise
 *                         byte 4 is the length of a path that follows; the rest
 *                         is the body
 * Content-Formats: 0 none, 1 261 (or 19), 2 61, 3 60.
 *
 * The harness (test code, hence the static state) is made once per
 * process: a configuration with groups g1 and g2, an SQLite state in a
 * temporary directory (on /dev/shm when there is one: commits fsync),
 * removed at exit, two tokens from the embedded AS posted to /authz-info,
 * and token A joined to g1 with a valid proof of possession; an input
 * that made A leave is followed by a new Join, so that member-only
 * handlers stay reachable.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../daemon/groupkeyd/as.h"
#include "../../daemon/groupkeyd/authz.h"
#include "../../daemon/groupkeyd/kdc.h"
#include "groupkey/crypto.h"
#include "groupkey/gc_client.h"
#include "groupkey/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tests' AS-KDC key (tests/daemon/lib_daemon.sh), so corpus tokens made there validate. */
#define FZ_AS_KDC_KEY "a40104024641532d4b4443030a2050000102030405060708090a0b0c0d0e0f"
#define FZ_PSK "666f6f2d7365637265742d3030303031"

struct harness {
	char dir[64];
	struct gkd_config *cfg;
	struct gkd_store *store;
	struct gk_rng *rng;
	struct gkd_as as;
	struct gkd_authz az;
	struct gkd_kdc *kdc;
	struct gkd_token tok[2]; /* A joins g1, B never does */
	char node[GKD_NODENAME_MAX + 1];
	int64_t now; /* seconds, when the harness was made */
	uint8_t d[32], x[32], y[32];
};

static struct harness *hs;

static const char *const paths[] = {
	"ace-group",
	"ace-group/g1",
	"ace-group/g1/creds",
	"ace-group/g1/kdc-cred",
	"ace-group/g1/policies",
	"ace-group/g1/num",
	"ace-group/g1/nodes/%N",
	"ace-group/g1/nodes/%N/cred",
	"ace-group/g2",
	"ace-group/g1/nodes/s00000002",
};

static const int formats[] = { GKD_CF_NONE, GKD_CF_ACE_GROUPCOMM, GKD_CF_CWT, 60 };

static void die(const char *what, int err)
{
	fprintf(stderr, "fuzz_kdc harness: %s: %d\n", what, err);
	abort();
}

static void cleanup(void)
{
	static const char *const files[] = { "groupkeyd.db", "groupkeyd.db-wal", "groupkeyd.db-shm",
					     "kdc-cred.key", "groupkeyd.conf" };
	char p[128];

	if (!hs)
		return;
	gkd_kdc_free(hs->kdc);
	gkd_store_close(hs->store);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", hs->dir, files[i]);
		unlink(p);
	}
	rmdir(hs->dir);
}

static void make_config(void)
{
	char path[128], msg[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/groupkeyd.conf", hs->dir);
	f = fopen(path, "w");
	if (!f)
		die("config file", -errno);
	fprintf(f,
		"[daemon]\nstate_dir = %s\n[as]\ntoken_lifetime = 2592000\n"
		"[kdc]\nas_kdc_key = %s\n"
		"[client fz]\npsk = %s\nscope = g1:sender,receiver; g2:receiver\n"
		"[group g1]\nroles = sender,receiver,monitor\n[group g2]\nroles = receiver\n",
		hs->dir, FZ_AS_KDC_KEY, FZ_PSK);
	fclose(f);
	hs->cfg = calloc(1, sizeof(*hs->cfg));
	if (!hs->cfg || gkd_conf_load(path, hs->cfg, msg, sizeof(msg)))
		die(msg, -EINVAL);
}

/* A token for fz from the AS, posted to /authz-info, validated. */
static void make_token(struct gkd_token *out)
{
	static const uint8_t req[] = { 0xa2, 0x05, 0x6d, 'g',  'r',  'o', 'u', 'p',
				       'k',  'e',  'y',	 'd',  '-',  'k', 'd', 'c',
				       0x09, 0x46, 0x81, 0x82, 0x62, 'g', '1', 0x06 };
	struct gkd_reply rep;
	cbor_item_t *it = NULL;
	const uint8_t *tok;
	const char *why;
	uint8_t *buf = NULL;
	size_t len, n;
	int err;

	gkd_reply_init(&rep);
	err = gkd_as_token(&hs->as, "fz", GKD_CF_ACE_CBOR, req, sizeof(req), hs->now, &rep);
	if (err || rep.code != GKD_CREATED || gk_enc_finish(&rep.body, &buf, &len) ||
	    gk_cbor_decode(buf, len, NULL, &it) ||
	    gk_cbor_get_bstr(gk_cbor_map_get_int(it, 1), &tok, &n))
		die("token", err ? err : rep.code);
	gkd_reply_free(&rep);
	gkd_reply_init(&rep);
	err = gkd_authz_info(&hs->az, GKD_CF_CWT, tok, n, hs->now, &rep);
	if (err || rep.code != GKD_CREATED)
		die("authz-info", err ? err : rep.code);
	gkd_reply_free(&rep);
	if (gkd_token_validate(&hs->az, tok, n, hs->now, out, &why))
		die(why, -EINVAL);
	cbor_decref(&it);
	free(buf);
}

static int kdc_call(const struct gkd_token *tok, enum gkd_method m, const char *path, int cf,
		    const uint8_t *body, size_t len, struct gkd_reply *rep)
{
	struct gkd_kdc_req req = { .tok = tok,
				   .method = m,
				   .content_format = cf,
				   .payload = body,
				   .len = len,
				   .now_ms = (hs->now + 1) * 1000 };

	gkd_kdc_route(path, strlen(path), &req.route);
	gkd_reply_init(rep);
	return gkd_kdc_handle(hs->kdc, &req, rep);
}

/* A's Join with a valid PoP; the KDC's N_S for A is in the store. */
static void join_a(void)
{
	static const uint8_t scope[] = { 0x82, 0x62, 'g', '1', 0x06 };
	uint8_t nc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, sig[64];
	struct gkd_token_rec *rec = malloc(sizeof(*rec));
	struct gk_enc ccs, body;
	struct gkd_reply rep;
	struct gk_gc_join j = { .scope = scope,
				.scope_len = sizeof(scope),
				.cnonce = nc,
				.cnonce_len = sizeof(nc),
				.client_cred_verify = sig,
				.client_cred_verify_len = sizeof(sig) };
	int err;

	if (!rec || gkd_store_token_get(hs->store, hs->tok[0].kid, hs->tok[0].kid_len, rec))
		die("N_S of A", -ENOENT);
	gk_enc_init(&ccs);
	gk_enc_init(&body);
	gk_gc_ccs_encode(&ccs, hs->x, hs->y);
	j.client_cred = ccs.buf;
	j.client_cred_len = ccs.len;
	if (gk_gc_pop_sign(hs->rng, hs->d, scope, sizeof(scope), rec->ns, rec->ns_len, nc,
			   sizeof(nc), sig) ||
	    gk_gc_join_encode(&body, &j))
		die("join request", -EINVAL);
	err = kdc_call(&hs->tok[0], GKD_POST, "ace-group/g1", GKD_CF_ACE_GROUPCOMM, body.buf,
		       body.len, &rep);
	if (err || (rep.code != GKD_CREATED && rep.code != GKD_CHANGED) ||
	    strncmp(rep.location, "ace-group/g1/nodes/", 19))
		die("join", err ? err : rep.code);
	if (strlen(rep.location + 19) >= sizeof(hs->node))
		die("node name", -ENAMETOOLONG);
	memcpy(hs->node, rep.location + 19, strlen(rep.location + 19) + 1);
	gkd_reply_free(&rep);
	gk_enc_free(&ccs);
	gk_enc_free(&body);
	free(rec);
}

static void harness_init(void)
{
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	char msg[256];

	gk_log_set_level(GK_LOG_ERR);
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		die("memory", -ENOMEM);
	snprintf(hs->dir, sizeof(hs->dir), "%s/fuzz_kdc.XXXXXX", base);
	if (!mkdtemp(hs->dir))
		die("mkdtemp", -errno);
	atexit(cleanup);
	hs->now = (int64_t)time(NULL);
	make_config();
	if (gkd_store_open(hs->dir, &hs->store) || gk_rng_new(&hs->rng) ||
	    gk_p256_keygen(hs->rng, hs->d, hs->x, hs->y))
		die("store/rng", -EIO);
	hs->as = (struct gkd_as){ .cfg = hs->cfg, .store = hs->store, .rng = hs->rng };
	hs->az = (struct gkd_authz){ .cfg = hs->cfg, .store = hs->store, .rng = hs->rng };
	if (gkd_kdc_open(hs->cfg, hs->store, hs->rng, NULL, hs->now * 1000, &hs->kdc, msg,
			 sizeof(msg)))
		die(msg, -EIO);
	make_token(&hs->tok[0]);
	make_token(&hs->tok[1]);
	join_a();
}

static void reply_done(struct gkd_reply *rep)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	/* What the glue does with a reply: finish the body. */
	if (!gk_enc_finish(&rep->body, &buf, &len))
		free(buf);
	gkd_reply_free(rep);
}

static void fuzz_as(const uint8_t *d, size_t n)
{
	struct gkd_reply rep;

	gkd_reply_init(&rep);
	gkd_as_token(&hs->as, d[0] & 1 ? "fz" : NULL,
		     d[0] & 2 ? GKD_CF_ACE_CBOR : formats[(d[0] >> 1) & 3], d + 1, n - 1, hs->now,
		     &rep);
	reply_done(&rep);
}

static void fuzz_authz_info(const uint8_t *d, size_t n)
{
	struct gkd_reply rep;
	int cf = (d[0] >> 1) & 3;

	gkd_reply_init(&rep);
	gkd_authz_info(&hs->az, cf == 1 ? GKD_CF_ACE_CBOR : formats[cf], d + 1, n - 1, hs->now,
		       &rep);
	reply_done(&rep);
}

static void fuzz_identity(const uint8_t *d, size_t n)
{
	struct gkd_peer peer;

	gkd_authz_resolve_identity(&hs->az, d, n, hs->now, &peer);
	gk_wipe(&peer, sizeof(peer));
}

/* The path of byte 3 (and 4...): a table entry with %N replaced, or raw bytes. */
static size_t pick_path(const uint8_t *d, size_t n, char *path, size_t cap)
{
	const char *p, *mark;
	size_t len;

	if (d[0] < 0xf0) {
		p = paths[d[0] % (sizeof(paths) / sizeof(paths[0]))];
		mark = strstr(p, "%N");
		if (mark)
			snprintf(path, cap, "%.*s%s%s", (int)(mark - p), p, hs->node, mark + 2);
		else
			snprintf(path, cap, "%s", p);
		return 1;
	}
	len = n > 1 ? d[1] : 0;
	if (len > n - 2 || len >= cap)
		len = n > 2 ? n - 2 : 0;
	if (len >= cap)
		len = cap - 1;
	memcpy(path, d + 2, len);
	path[len] = '\0';
	return 2 + len;
}

static void fuzz_kdc(const uint8_t *d, size_t n)
{
	struct gkd_kdc_req req = { .now_ms = (hs->now + 1) * 1000 };
	struct gkd_reply rep;
	char path[256];
	size_t used;

	if (n < 3)
		return;
	req.method = (enum gkd_method)(1 + d[0] % 5);
	req.content_format = formats[d[1] & 3];
	if (d[1] & 8)
		gkd_kdc_tick(hs->kdc, req.now_ms + 1000);
	used = pick_path(d + 2, n - 2, path, sizeof(path));
	req.tok = d[1] & 16 ? NULL : &hs->tok[(d[1] >> 2) & 1];
	req.payload = d + 2 + used;
	req.len = n - 2 - used;
	if (gkd_kdc_route(path, strlen(path), &req.route))
		return;
	gkd_reply_init(&rep);
	gkd_kdc_handle(hs->kdc, &req, &rep);
	reply_done(&rep);
	/* A left (or was made to): join again for the next input. */
	if (kdc_call(&hs->tok[0], GKD_GET, "ace-group/g1", GKD_CF_NONE, NULL, 0, &rep) ||
	    rep.code == GKD_FORBIDDEN) {
		gkd_reply_free(&rep);
		join_a();
		return;
	}
	gkd_reply_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!hs)
		harness_init();
	if (size < 2)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_as(data + 1, size - 1);
		break;
	case 1:
		fuzz_authz_info(data + 1, size - 1);
		break;
	case 2:
		fuzz_identity(data + 1, size - 1);
		break;
	default:
		fuzz_kdc(data + 1, size - 1);
		break;
	}
	return 0;
}
