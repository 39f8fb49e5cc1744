/* SPDX-License-Identifier: BSD-3-Clause */
/* groupkeyd configuration: INI file parsed with libinih, validated into struct gkd_config. */
#ifndef GKD_CONF_H
#define GKD_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groupkey/cose.h"
#include "groupkey/log.h"
#include "groupkey/scope.h"

#define GKD_DEFAULT_CONFIG GK_SYSCONFDIR "/groupkeyd/groupkeyd.conf"
#define GKD_DEFAULT_STATE_DIR GK_LOCALSTATEDIR "/lib/groupkeyd"
#define GKD_ID_MAX 128	     /* client ids, issuer and audience names */
#define GKD_PSK_MAX 64	     /* bytes; libcoap's COAP_DTLS_MAX_PSK */
#define GKD_MAX_CLIENTS 256
#define GKD_MAX_TRUSTED_AS 8
#define GKD_MAX_GROUPS 64
#define GKD_DP_MAX_IFACES 8
#define GKD_IFNAME_MAX 16 /* IF_NAMESIZE */
#define GKD_MAX_MEMBERS 8
#define GKD_MAX_ALLOW 16
#define GKD_MEMBER_URI_MAX 256

/* [client NAME]: an ACE client the embedded AS knows (RFC 9200 client credentials). */
struct gkd_client_conf {
	char id[GKD_ID_MAX + 1];
	uint8_t psk[GKD_PSK_MAX];
	size_t psk_len;
	struct gk_scope allowed; /* groups and roles this client may be granted */
};

/* [trusted-as NAME]: an external AS whose tokens the KDC accepts. */
struct gkd_trusted_as_conf {
	char issuer[GKD_ID_MAX + 1];
	struct gk_cose_key key; /* Encrypt0 key (symmetric), Mac0 key, or Sign1 public key */
	int64_t alg;		/* the COSE alg its tokens use with that key */
};

/* [group NAME]: a group the KDC serves (docs/config.md). */
struct gkd_group_conf {
	char name[GK_GROUP_NAME_MAX + 1];
	uint32_t roles; /* roles a member of this group may hold */
	/* Multicast destination of the group's traffic, for the data plane. */
	char address[48];     /* as written; "" when not given (a KDC-only group) */
	int family;	      /* AF_INET, AF_INET6, or 0 when address is "" */
	uint8_t addr[16];     /* network order; 4 bytes used for AF_INET */
	uint16_t port;	      /* default 5683 */
	uint32_t key_lifetime; /* seconds from a rekey to the key's exp */
	uint32_t rekey_margin; /* rekey this many seconds before exp; < key_lifetime */
	uint32_t recv_grace;   /* seconds an old key stays acceptable for receiving */
	uint32_t max_members;
	bool rekey_on_join;    /* backward security */
	bool rekey_on_leave;   /* forward security (leave, eviction, token expiry) */
	bool require_cred;     /* a Join must register (or have) a credential */
};

/* An IPv4 or IPv6 prefix (a host address is a /32 or /128). */
struct gkd_prefix {
	char text[64];	/* as written */
	int family;	/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t len;	/* prefix length */
};

/*
 * [member NAME]: this host joins a group at a KDC as an ACE client
 * (member.c) and feeds its data plane with the keys (docs/config.md).
 */
struct gkd_member_conf {
	char name[GK_GROUP_NAME_MAX + 1];
	char group[GK_GROUP_NAME_MAX + 1]; /* the group at the KDC; default: name */
	char kdc[GKD_MEMBER_URI_MAX];		   /* coaps://HOST[:PORT] */
	char as_uri[GKD_MEMBER_URI_MAX];	   /* coaps://HOST[:PORT]/token; default: the KDC's host */
	char authz_info[GKD_MEMBER_URI_MAX];	   /* default coap://KDCHOST:5683/authz-info */
	char audience[GKD_ID_MAX + 1];	   /* default "groupkeyd-kdc" */
	char client_id[GKD_ID_MAX + 1];	   /* our identity at the AS */
	uint8_t psk[GKD_PSK_MAX];
	size_t psk_len;
	uint32_t roles; /* default sender, receiver */
	char address[48]; /* the group's multicast destination */
	int family;
	uint8_t addr[16];
	uint16_t port;
	struct gkd_prefix allow[GKD_MAX_ALLOW]; /* gateway: legacy hosts that may send */
	size_t n_allow;
};

/* Group defaults (docs/config.md); [group] sections start from these. */
#define GKD_GROUP_DEFAULT_PORT 5683
#define GKD_GROUP_DEFAULT_KEY_LIFETIME 86400
#define GKD_GROUP_DEFAULT_REKEY_MARGIN 300
#define GKD_GROUP_DEFAULT_RECV_GRACE 60
#define GKD_GROUP_DEFAULT_MAX_MEMBERS 4096
#define GKD_GROUP_MAX_MEMBERS 1000000

/* name and roles are left alone; everything else gets its default. */
void gkd_conf_group_defaults(struct gkd_group_conf *g);

struct gkd_config {
	char path[PATH_MAX]; /* the file it came from, for messages */
	/* [daemon] */
	char state_dir[PATH_MAX];
	enum gk_log_level log_level;
	char listen[64];      /* address to bind, default "::" (v4-mapped too) */
	uint16_t coap_port;   /* plain CoAP: /authz-info only; default 5683 */
	uint16_t coaps_port;  /* DTLS: /token, group resources; default 5684 */
	/* [as] */
	bool as_enabled;	     /* default true */
	char as_issuer[GKD_ID_MAX + 1]; /* iss of our tokens; default "groupkeyd-as" */
	uint32_t token_lifetime;     /* seconds, default 3600 */
	/* [kdc] */
	bool kdc_enabled;		   /* default true; no: a member-only host (no CoAP server) */
	char kdc_audience[GKD_ID_MAX + 1]; /* aud we accept; default "groupkeyd-kdc" */
	struct gk_cose_key as_kdc_key;	   /* AES-CCM-16-64-128 key shared by AS and KDC */
	bool as_kdc_key_set;
	char as_kdc_key_file[PATH_MAX];	   /* where it came from; "" when given inline */
	size_t max_payload;		   /* bytes accepted at /authz-info and /token; 4.13 above */
	uint32_t authz_rate;		   /* /authz-info requests per second per source address */
	uint32_t authz_burst;
	uint32_t purge_interval;	   /* seconds between expired-token purges */
	/* repeated sections */
	struct gkd_client_conf clients[GKD_MAX_CLIENTS];
	size_t n_clients;
	struct gkd_trusted_as_conf trusted_as[GKD_MAX_TRUSTED_AS];
	size_t n_trusted_as;
	struct gkd_group_conf groups[GKD_MAX_GROUPS];
	size_t n_groups;
	/* [dataplane] (dpsync.c): this host's XDP/TC data plane, fed from the KDC's keys */
	bool dp_enabled;			      /* default false */
	char dp_ifnames[GKD_DP_MAX_IFACES][GKD_IFNAME_MAX]; /* XDP ingress and TC egress */
	size_t dp_n_ifaces;
	char dp_pin_dir[PATH_MAX];		      /* default GK_DP_PIN_DIR */
	bool dp_strip;				      /* XDP strips the trailer; default true */
	bool dp_keep_attached; /* on stop: leave programs and pins (hitless restart); default no */
	/* [member NAME] (member.c) */
	struct gkd_member_conf members[GKD_MAX_MEMBERS];
	size_t n_members;
	/* [gateway]: WAN ports validate (XDP), LAN ports stamp their legacy hosts' traffic (TC) */
	char gw_wan[GKD_DP_MAX_IFACES][GKD_IFNAME_MAX];
	size_t gw_n_wan;
	char gw_lan[GKD_DP_MAX_IFACES][GKD_IFNAME_MAX];
	size_t gw_n_lan;
};

/*
 * Parse and validate. On error, a message naming "FILE:LINE: what" is
 * written to err (and nothing else is changed in the caller's state); the
 * return value is -EINVAL (bad content), -ENOENT/-EACCES (file), -ENOMEM.
 * cfg is heap-allocated by the caller (it is large) and fully initialised
 * with defaults first.
 */
int gkd_conf_load(const char *path, struct gkd_config *cfg, char *err, size_t err_len);
void gkd_conf_defaults(struct gkd_config *cfg);
/* Wipes PSKs and keys. */
void gkd_conf_wipe(struct gkd_config *cfg);

/*
 * The AS-KDC key when the file names none and the AS is enabled: read
 * STATE_DIR/as-kdc.key, or create it on first start (16 random bytes as
 * hex, mode 0600, never overwritten). Call after the state directory exists.
 * A no-op when a key is set or the AS is disabled. err gets "PATH: what".
 */
struct gk_rng;
int gkd_conf_ensure_as_kdc_key(struct gkd_config *cfg, struct gk_rng *rng, char *err,
			       size_t err_len);

const struct gkd_client_conf *gkd_conf_client(const struct gkd_config *cfg, const char *id,
					      size_t id_len);
const struct gkd_group_conf *gkd_conf_group(const struct gkd_config *cfg, const char *name);
/* Is name one of the n interface names (a [dataplane] or [gateway] list)? */
bool gkd_conf_ifname_listed(const char names[][GKD_IFNAME_MAX], size_t n, const char *name);
/* The [member] section NAME, or NULL. */
const struct gkd_member_conf *gkd_conf_member(const struct gkd_config *cfg, const char *name);

#endif
