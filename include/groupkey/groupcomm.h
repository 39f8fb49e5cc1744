/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 9594 (ACE key provisioning for group communication) numbers, and our profile's (docs/profile.md). */
#ifndef GROUPKEY_GROUPCOMM_H
#define GROUPKEY_GROUPCOMM_H

/* ACE Groupcomm Parameters (RFC 9594 §8): map keys in application/ace-groupcomm+cbor (261). */
enum {
	GK_GC_GID = 0,
	GK_GC_GNAME = 1,
	GK_GC_GURI = 2,
	GK_GC_SCOPE = 3,
	GK_GC_GET_CREDS = 4,
	GK_GC_CLIENT_CRED = 5,
	GK_GC_CNONCE = 6,
	GK_GC_GKTY = 7,
	GK_GC_KEY = 8,
	GK_GC_NUM = 9,
	GK_GC_ACE_GROUPCOMM_PROFILE = 10,
	GK_GC_EXP = 11,
	GK_GC_EXI = 12,
	GK_GC_CREDS = 13,
	GK_GC_PEER_ROLES = 14,
	GK_GC_PEER_IDENTIFIERS = 15,
	GK_GC_GROUP_POLICIES = 16,
	GK_GC_KDC_CRED = 17,
	GK_GC_KDC_NONCE = 18,
	GK_GC_KDC_CRED_VERIFY = 19,
	GK_GC_REKEYING_SCHEME = 20,
	GK_GC_CLIENT_CRED_VERIFY = 24,
	GK_GC_CREDS_REPO = 25,
	GK_GC_CONTROL_URI = 26,
	GK_GC_MGT_KEY_MATERIAL = 27,
	GK_GC_CONTROL_GROUP_URI = 28,
	GK_GC_SIGN_INFO = 29,
	GK_GC_KDCCHALLENGE = 30,
	/* Our profile (docs/profile.md, REQ27): individual keying material, private use. */
	GK_GC_SENDER_ID = -65537,
};

/* ace-groupcomm-error ids (RFC 9594 §9, in problem details {0: {0: id}}). */
enum {
	GK_GC_ERR_NOT_MEMBER = 0,
	GK_GC_ERR_ROLES = 1,
	GK_GC_ERR_BAD_CRED = 2,
	GK_GC_ERR_BAD_POP = 3,
	GK_GC_ERR_NO_KEYING_MATERIAL = 4,
	GK_GC_ERR_MEMBERSHIP_TERMINATED = 5,
	GK_GC_ERR_GROUP_DELETED = 6,
};

/* Problem details (RFC 9290) keys and the ace-groupcomm-error custom key (RFC 9594 §4.1.2). */
enum { GK_PD_TITLE = -1, GK_PD_DETAIL = -2, GK_PD_ACE_GROUPCOMM_ERROR = 0, GK_PD_ERROR_ID = 0 };

/* Group policies (RFC 9594 §4.3.1, registry §11.10). */
enum { GK_GP_SEQ_SYNC = 0, GK_GP_KEY_CHECK_INTERVAL = 1, GK_GP_EXP_DELTA = 2 };

#define GK_GC_REKEYING_POINT_TO_POINT 0

/* Our profile's values (docs/profile.md REQ17-REQ19): private use, nothing registered. */
#define GK_GC_GKTY_VALUE "groupkeyd-dp-v1"
#define GK_GC_PROFILE (-65537)
#define GK_GC_KEY_ALG (-65537)	   /* COSE alg of the group key: groupkeyd data plane v1 */
#define GK_GC_KEY_EXP_LABEL (-65537) /* COSE_Key label carrying the seed draft's 'exp' */
#define GK_GC_INITIAL_NUM 1
#define GK_GC_GROUP_KEY_LEN 16
#define GK_GC_NONCE_LEN 8

#endif
