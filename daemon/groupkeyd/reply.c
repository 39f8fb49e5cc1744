// SPDX-License-Identifier: BSD-3-Clause
/* Building struct gkd_reply: status codes, RFC 9200 error maps and RFC 9290 problem details. */
#include <string.h>

#include "reply.h"

/* RFC 9200 §5.8.3 error response labels. */
enum { GKD_REPLY_ACE_ERROR = 30, GKD_REPLY_ACE_ERROR_DESCRIPTION = 31 };

/* RFC 9290 §2 standard keys; custom key 0 is ace-groupcomm-error (RFC 9594 §4.1.2). */
enum {
	GKD_PD_ACE_GROUPCOMM_ERROR = 0,
	GKD_PD_TITLE = -1,
	GKD_PD_DETAIL = -2,
};

void gkd_reply_init(struct gkd_reply *r)
{
	r->code = 0;
	r->content_format = GKD_CF_NONE;
	r->location[0] = '\0';
	gk_enc_init(&r->body);
}

void gkd_reply_free(struct gkd_reply *r)
{
	gk_enc_free(&r->body);
	r->code = 0;
	r->content_format = GKD_CF_NONE;
	r->location[0] = '\0';
}

void gkd_reply_status(struct gkd_reply *r, int code)
{
	gk_enc_free(&r->body);
	r->code = code;
	r->content_format = GKD_CF_NONE;
	r->location[0] = '\0';
}

/*
 * A body that failed to build must not go out half-written: the reply
 * becomes a bare 5.00 and the encoder's error is returned.
 */
static int gkd_reply_done(struct gkd_reply *r)
{
	int err = r->body.err;

	if (err)
		gkd_reply_status(r, GKD_INTERNAL_ERROR);
	return err;
}

int gkd_reply_ace_error(struct gkd_reply *r, int code, int ace_error, const char *description)
{
	gkd_reply_status(r, code);
	r->content_format = GKD_CF_ACE_CBOR;
	gk_enc_map(&r->body, description ? 2 : 1);
	gk_enc_uint(&r->body, GKD_REPLY_ACE_ERROR);
	gk_enc_int(&r->body, ace_error);
	if (description) {
		gk_enc_uint(&r->body, GKD_REPLY_ACE_ERROR_DESCRIPTION);
		gk_enc_tstr(&r->body, description);
	}
	return gkd_reply_done(r);
}

/* Keys in deterministic order: 0, then -1, -2 (encodings 0x00 < 0x20 < 0x21). */
int gkd_reply_problem(struct gkd_reply *r, int code, const char *title, const char *detail,
		      int groupcomm_error)
{
	size_t n = (groupcomm_error >= 0) + !!title + !!detail;

	gkd_reply_status(r, code);
	r->content_format = GKD_CF_PROBLEM_DETAILS;
	gk_enc_map(&r->body, n);
	if (groupcomm_error >= 0) {
		gk_enc_uint(&r->body, GKD_PD_ACE_GROUPCOMM_ERROR);
		gk_enc_map(&r->body, 1);
		gk_enc_uint(&r->body, 0); /* error-id */
		gk_enc_uint(&r->body, (uint64_t)groupcomm_error);
	}
	if (title) {
		gk_enc_int(&r->body, GKD_PD_TITLE);
		gk_enc_tstr(&r->body, title);
	}
	if (detail) {
		gk_enc_int(&r->body, GKD_PD_DETAIL);
		gk_enc_tstr(&r->body, detail);
	}
	return gkd_reply_done(r);
}
