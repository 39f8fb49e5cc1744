/* SPDX-License-Identifier: BSD-3-Clause */
/* The KDC's group interface (RFC 9594 §4-§6) as pure functions: requests in, gkd_reply out. */
#ifndef GKD_KDC_H
#define GKD_KDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"
#include "conf.h"
#include "reply.h"
#include "store.h"
#include "groupkey/groupcomm.h"

struct gk_rng;
struct gkd_kdc;

/*
 * Coalescing window (docs/profile.md "Rekeying"): the first membership
 * change that calls for a rekey marks the group dirty with a deadline
 * GKD_KDC_COALESCE_MS later; every change until then rides on the same
 * rekey, which gkd_kdc_tick() performs at the deadline. The window is not
 * extended by later events, so a rekey is never more than this late.
 */
#define GKD_KDC_COALESCE_MS 200

/* "s" + 8 lower-case hex digits of the sender id at join (docs/profile.md REQ25). */
#define GKD_NODENAME_MAX 16
/* "ace-group/" GROUPNAME "/nodes/" NODENAME, without a leading slash. */
#define GKD_LOCATION_MAX 112
#define GKD_CONTROL_URI_MAX 255

/* Request methods, numbered as CoAP method codes 0.01..0.05 (libcoap's COAP_REQUEST_CODE_*). */
enum gkd_method { GKD_GET = 1, GKD_POST = 2, GKD_PUT = 3, GKD_DELETE = 4, GKD_FETCH = 5 };

/* The KDC's resources (RFC 9594 §4.1). */
enum gkd_kdc_res {
	GKD_RES_NONE = 0,
	GKD_RES_ROOT,	   /* /ace-group */
	GKD_RES_GROUP,	   /* /ace-group/G */
	GKD_RES_CREDS,	   /* /ace-group/G/creds */
	GKD_RES_KDC_CRED,  /* /ace-group/G/kdc-cred */
	GKD_RES_POLICIES,  /* /ace-group/G/policies */
	GKD_RES_NUM,	   /* /ace-group/G/num */
	GKD_RES_NODE,	   /* /ace-group/G/nodes/N */
	GKD_RES_NODE_CRED, /* /ace-group/G/nodes/N/cred */
};

/* A parsed Uri-Path; the strings are NUL-terminated copies. */
struct gkd_kdc_route {
	enum gkd_kdc_res res;
	char group[GK_GROUP_NAME_MAX + 1];
	char node[GKD_NODENAME_MAX + 1];
};

/*
 * Split a Uri-Path given as its segments joined by '/' (no leading '/',
 * as libcoap's coap_resource_get_uri_path() or the joined Uri-Path
 * options give it): "ace-group", "ace-group/G", "ace-group/G/creds",
 * "ace-group/G/kdc-cred", "ace-group/G/policies", "ace-group/G/num",
 * "ace-group/G/nodes/N", "ace-group/G/nodes/N/cred". A leading '/' is
 * tolerated. -ENOENT for any other path or an invalid group name (the
 * caller answers 4.04); the group need not exist (handlers answer 4.04).
 */
int gkd_kdc_route(const char *path, size_t len, struct gkd_kdc_route *out);

/*
 * One request to a KDC resource, as the CoAP glue sees it after
 * gkd_authz_check() accepted the session's token for the group
 * (group NULL for /ace-group). Everything is borrowed for the call.
 */
struct gkd_kdc_req {
	const struct gkd_token *tok; /* validated token of the DTLS session; NULL -> 4.01 */
	enum gkd_method method;
	int content_format; /* GKD_CF_NONE when the request has none */
	const uint8_t *payload;
	size_t len;
	int64_t now_ms; /* wall clock (CLOCK_REALTIME) in milliseconds; exp/exi come from it */
	struct gkd_kdc_route route;
};

/*
 * Why a member is gone, as given to member_removed. A positive value is
 * the ace-groupcomm-error id the glue sends to the observers of the node
 * resource in an unsolicited 4.04 (RFC 9594 §5, §4.8): 5 for a membership
 * the KDC terminated (token expired, roles withdrawn by the configuration),
 * 6 for a group removed from the configuration. GKD_KDC_LEFT: the member
 * left (DELETE); its observations just end.
 */
enum { GKD_KDC_LEFT = -1 };

/*
 * Callbacks into the CoAP glue and the data plane. Each runs after the
 * change it reports is committed to SQLite, from inside the gkd_kdc_*
 * call that made it (a handler, gkd_kdc_tick(), gkd_kdc_open()); they may
 * call back into the KDC's read-only functions (gkd_kdc_handle() for a GET,
 * gkd_kdc_key(), gkd_kdc_members(), gkd_kdc_rekey_message()) but must not
 * free it. Any may be NULL.
 */
struct gkd_kdc_events {
	void *arg;
	/* New keying material of version num: notify the observers of
	 * /ace-group/G, POST the rekey message to control_uris, load the data plane. */
	void (*group_rekeyed)(void *arg, const char *group, uint32_t num);
	/* A member is no longer in the group (reason above). */
	void (*member_removed)(void *arg, const char *group, const char *node, int reason);
};

/*
 * Create the KDC: load or create the KDC's P-256 key pair
 * (STATE_DIR/kdc-cred.key, 32-byte private key as hex, mode 0600, created
 * exclusively on first start and never overwritten), then reconcile the
 * configured groups with the store: a new group gets num 1 and a fresh
 * key; a group present in both keeps num, keys and members (members whose
 * roles the configuration no longer allows are removed and the group is
 * marked for a rekey); a group gone from the configuration loses its
 * members and keys but keeps its num, so that a group of that name
 * created again never reissues a key version. now_ms as in requests.
 * cfg, store, rng and ev must outlive the KDC. err gets "PATH: what" for
 * a key-file error. Returns 0 or -errno.
 */
int gkd_kdc_open(const struct gkd_config *cfg, struct gkd_store *store, struct gk_rng *rng,
		 const struct gkd_kdc_events *ev, int64_t now_ms, struct gkd_kdc **out, char *err,
		 size_t err_len);
void gkd_kdc_free(struct gkd_kdc *kdc);

/*
 * Serve one request: dispatch on req->route.res and req->method. rep
 * gets the answer (success or refusal, RFC 9594 codes, problem details
 * ct 257 with the ace-groupcomm-error id where RFC 9594 names one) and,
 * for a Join, rep->location. Returns 0 when rep holds the answer; a
 * negative errno for an internal failure, and then rep is a bare 5.00.
 * Methods a resource does not have get 4.05. Per resource:
 *
 *   ROOT      FETCH  {0: [gid...]} -> 2.05 {0 gid, 1 gname, 2 guri}, h'' when none
 *   GROUP     POST   Join -> 2.01 (new) / 2.04 (re-join), Location-Path
 *             GET    keying material (Observable: the glue re-runs the GET per
 *                    observer on group_rekeyed)
 *   CREDS     GET    all members' credentials; FETCH {4: [flag, roles, ids]}
 *   KDC_CRED  GET    {17 kdc_cred, 18 kdc_nonce, 19 kdc_cred_verify}
 *   POLICIES  GET    {16 group_policies}
 *   NUM       GET    bare CBOR uint num
 *   NODE      GET    keying material + sender_id (Observable); POST key renewal
 *                    (new sender id, 2.05); DELETE leave (2.02)
 *   NODE_CRED POST   {5 client_cred, 6 cnonce, 24 client_cred_verify} -> 2.04
 */
int gkd_kdc_handle(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);

/* The per-resource handlers gkd_kdc_handle() dispatches to (same contract). */
int gkd_kdc_groups_fetch(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_join(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_group_get(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_creds(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_kdc_cred(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_policies(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_num(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_node(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);
int gkd_kdc_node_cred(struct gkd_kdc *kdc, const struct gkd_kdc_req *req, struct gkd_reply *rep);

/*
 * Timers: performs what is due at now_ms, in this order: evicts members
 * whose token is gone from the store or expired (member_removed, reason
 * 5; group marked for rekey when rekey_on_leave), rekeys groups whose
 * coalescing deadline has passed or whose key is within rekey_margin of
 * its exp (group_rekeyed), drops the previous key once its receive grace
 * is over and sender-id reservations that no key can use any more.
 * Returns 0 or the first -errno (a failed rekey is retried on the next
 * tick; nothing half-done is left behind).
 */
int gkd_kdc_tick(struct gkd_kdc *kdc, int64_t now_ms);
/*
 * Milliseconds from now_ms until gkd_kdc_tick() has something to do (0: now),
 * -1: nothing. After a failed tick the same work is due again at once: the
 * caller should wait a little (say a second) before retrying.
 */
int64_t gkd_kdc_next_deadline(struct gkd_kdc *kdc, int64_t now_ms);

/* The material of one key version, for the data plane. */
struct gkd_kdc_key {
	uint32_t num;
	uint8_t k[GK_GC_GROUP_KEY_LEN];
	int64_t exp;	    /* NumericDate: no sending under this key from then on */
	int64_t recv_until; /* NumericDate: receiving ends (exp + Expiration Delta) */
};

/*
 * Key num of group: the current key, or the previous one while its
 * receive grace lasts. -ENOENT for an unknown group or a num no longer
 * (or not yet) held. The caller wipes *out.
 */
int gkd_kdc_key(struct gkd_kdc *kdc, const char *group, uint32_t num, struct gkd_kdc_key *out);

/* One member, as the glue needs it for notifications. */
struct gkd_kdc_member {
	char node[GKD_NODENAME_MAX + 1];
	uint32_t sender_id;
	uint32_t roles;		  /* GK_ROLE_BIT() bitmap */
	uint8_t kid[GKD_KID_MAX]; /* kid of the member's token: finds its DTLS session */
	size_t kid_len;
	char control_uri[GKD_CONTROL_URI_MAX + 1]; /* "" when none was given */
};

/*
 * Call cb for every member of group (in sender-id order); a non-zero
 * return from cb stops the walk and is returned. -ENOENT for an unknown group.
 */
int gkd_kdc_members(struct gkd_kdc *kdc, const char *group,
		    int (*cb)(void *arg, const struct gkd_kdc_member *m), void *arg);

/*
 * The rekey message of RFC 9594 §6.1 for POST to a control_uri: 2.05-style
 * reply, ct 261, {7 gkty, 8 key, 9 num, 10 ace_groupcomm_profile, 11 exp,
 * 12 exi, 20 rekeying_scheme} at now_ms (rep->code is GKD_CONTENT).
 */
int gkd_kdc_rekey_message(struct gkd_kdc *kdc, const char *group, int64_t now_ms,
			  struct gkd_reply *rep);

/* num of a configured group; -ENOENT otherwise. */
int gkd_kdc_group_num(struct gkd_kdc *kdc, const char *group, uint32_t *num);

/*
 * The PoP input of RFC 9594 §4.3.1: bstr(scope) || bstr(N_S) || bstr(N_C),
 * each a CBOR byte string, appended to e (the client signs it with
 * client_cred's key; the KDC's own PoP uses bstr(N_C) || bstr(N_KDC), the
 * same function with scope NULL).
 */
int gkd_kdc_pop_input(struct gk_enc *e, const uint8_t *scope, size_t scope_len, const uint8_t *n_s,
		      size_t n_s_len, const uint8_t *n_c, size_t n_c_len);

/* The KDC's credential: a CCS {2 sub, 8 cnf: {1 COSE_Key: EC2 P-256}} (docs/profile.md REQ8). */
int gkd_kdc_cred(struct gkd_kdc *kdc, const uint8_t **ccs, size_t *len);

#endif
