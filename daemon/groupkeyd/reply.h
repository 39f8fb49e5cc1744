/* SPDX-License-Identifier: BSD-3-Clause */
/* A CoAP reply built by protocol logic without touching libcoap: code, content format, body. */
#ifndef GKD_REPLY_H
#define GKD_REPLY_H

#include "groupkey/cbor.h"

/* Response codes as class * 100 + detail: 201 is 2.01 Created, 401 is 4.01. */
enum {
	GKD_CREATED = 201, GKD_DELETED = 202, GKD_CHANGED = 204, GKD_CONTENT = 205,
	GKD_BAD_REQUEST = 400, GKD_UNAUTHORIZED = 401, GKD_FORBIDDEN = 403, GKD_NOT_FOUND = 404,
	GKD_METHOD_NOT_ALLOWED = 405, GKD_REQUEST_TOO_LARGE = 413,
	GKD_UNSUPPORTED_FORMAT = 415, GKD_TOO_MANY_REQUESTS = 429,
	GKD_INTERNAL_ERROR = 500, GKD_SERVICE_UNAVAILABLE = 503,
};

/* Content-Formats (RFC 7252 registry). */
enum {
	GKD_CF_NONE = -1,
	GKD_CF_ACE_CBOR = 19,
	GKD_CF_CWT = 61,
	GKD_CF_PROBLEM_DETAILS = 257,
	GKD_CF_ACE_GROUPCOMM = 261,
};

struct gkd_reply {
	int code;
	int content_format; /* GKD_CF_NONE: no payload */
	struct gk_enc body;
	/* Location-Path of a 2.01 (segments joined by '/', no leading '/'); "" for none. */
	char location[112];
	/* Max-Age or other options are added by the CoAP glue where needed. */
};

void gkd_reply_init(struct gkd_reply *r);
void gkd_reply_free(struct gkd_reply *r);
/* Reset body and set an error code with an RFC 9200 error map {30: error} (ct 19). */
int gkd_reply_ace_error(struct gkd_reply *r, int code, int ace_error, const char *description);
/* Reset body and set an RFC 9290 problem-details body (ct 257), ace-groupcomm-error id >= 0. */
int gkd_reply_problem(struct gkd_reply *r, int code, const char *title, const char *detail,
		      int groupcomm_error);
/* Reset body; code only. */
void gkd_reply_status(struct gkd_reply *r, int code);

#endif
