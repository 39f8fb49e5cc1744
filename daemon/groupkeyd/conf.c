// SPDX-License-Identifier: BSD-3-Clause
/* groupkeyd's configuration file: libinih splits the INI syntax, this file checks every key. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "conf_int.h"
#include "keyfile.h"
#include "groupkey/crypto.h"
#include "groupkey/dataplane.h"
#include "groupkey/err.h"
#include "groupkey/util.h"

#define CONF_MSG_MAX 256
#define AS_KDC_KEY_NAME "as-kdc.key"
#define AS_KDC_KEY_LEN 16
#define KEY_FILE_MAX 4096

/* Record the first error as "FILE:LINE: message"; later ones would only be its echoes. */
int conf_fail_at(struct conf_parse *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->err_line)
		return -EINVAL;
	ps->err_line = line;
	n = snprintf(ps->err, ps->err_len, "%s:%u: ", ps->cfg->path, line);
	if (n < 0 || (size_t)n >= ps->err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* --- value parsers ------------------------------------------------------- */

int conf_parse_uint(struct conf_parse *ps, const char *key, const char *v, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return conf_fail(ps, "%s: '%s' is not a number", key, v);
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end)
		return conf_fail(ps, "%s: '%s' is not a number", key, v);
	if (errno == ERANGE || n < min || n > max)
		return conf_fail(ps, "%s: %s is out of range %llu..%llu", key, v,
				 (unsigned long long)min, (unsigned long long)max);
	*out = n;
	return 0;
}

int conf_parse_u32(struct conf_parse *ps, const char *key, const char *v, uint32_t min,
		     uint32_t max, uint32_t *out)
{
	uint64_t n;
	int err = conf_parse_uint(ps, key, v, min, max, &n);

	if (!err)
		*out = (uint32_t)n;
	return err;
}

int conf_parse_bool(struct conf_parse *ps, const char *key, const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < GK_ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*out = !strcmp(v, yes[i]);
			return 0;
		}
	}
	return conf_fail(ps, "%s: '%s' is not yes or no", key, v);
}

/* Client ids, issuers, audiences: 1..GKD_ID_MAX printable characters, no spaces. */
static bool name_ok(const char *v)
{
	size_t n = strlen(v);

	if (!n || n > GKD_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)v[i]))
			return false;
	return true;
}

int conf_parse_name(struct conf_parse *ps, const char *key, const char *v, char *out, size_t cap)
{
	if (!name_ok(v))
		return conf_fail(ps, "%s: '%s' is not 1..%d printable characters without spaces",
				 key, v, GKD_ID_MAX);
	snprintf(out, cap, "%s", v);
	return 0;
}

/* Hex of min..max bytes into out. The value may be a secret: never echoed. */
int conf_parse_hex(struct conf_parse *ps, const char *key, const char *v, size_t min, size_t max,
		     uint8_t *out, size_t *out_len)
{
	uint8_t *bin;
	size_t n;

	if (gk_hex_decode(v, strlen(v), &bin, &n))
		return conf_fail(ps, "%s: not a hex string", key);
	if (n < min || n > max) {
		gk_wipe(bin, n);
		free(bin);
		return conf_fail(ps, "%s: %zu bytes, must be %zu..%zu", key, n, min, max);
	}
	memcpy(out, bin, n);
	*out_len = n;
	gk_wipe(bin, n);
	free(bin);
	return 0;
}

/* "sender, receiver" -> role bitmap; unknown, empty and repeated roles are refused. */
int conf_parse_roles(struct conf_parse *ps, const char *key, const char *v, uint32_t *roles)
{
	const char *p = v;

	*roles = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *next = p[n] ? p + n + 1 : NULL;
		int r;

		while (n && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (!n)
			return conf_fail(ps, "%s: empty role in '%s'", key, v);
		r = gk_role_from_name(p, n);
		if (r < 0)
			return conf_fail(ps, "%s: unknown role '%.*s' (roles: %s)", key, (int)n, p,
					 "sender, receiver, monitor");
		if (*roles & GK_ROLE_BIT(r))
			return conf_fail(ps, "%s: role '%.*s' named twice", key, (int)n, p);
		*roles |= GK_ROLE_BIT(r);
		if (!next)
			return 0;
		p = next;
	}
}

/* A raw 16-byte key, or a COSE_Key, for AES-CCM-16-64-128 between the AS and the KDC. */
static int as_kdc_key_from_bytes(const uint8_t *b, size_t n, struct gk_cose_key *key)
{
	int err;

	if (n == AS_KDC_KEY_LEN) {
		memset(key, 0, sizeof(*key));
		key->kty = GK_COSE_KTY_SYMMETRIC;
		memcpy(key->k, b, n);
		key->k_len = n;
		return 0;
	}
	err = gk_cose_key_decode(b, n, key);
	if (!err)
		err = gk_cose_key_check_alg(key, GK_COSE_ALG_AES_CCM_16_64_128);
	if (err)
		gk_cose_key_wipe(key);
	return err ? -EINVAL : 0;
}

/* --- key files ----------------------------------------------------------- */

/* Hex text (a trailing newline is fine) or binary: a raw 16-byte key or a COSE_Key. */
static int key_from_file_content(const uint8_t *buf, size_t n, const char *path,
				 struct gk_cose_key *key, char *msg, size_t len)
{
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	int err;

	if (gk_looks_like_hex(buf, n)) {
		err = gk_hex_decode((const char *)buf, n, &bin, &bin_len);
		if (!err)
			err = as_kdc_key_from_bytes(bin, bin_len, key);
		if (bin) {
			gk_wipe(bin, bin_len);
			free(bin);
		}
	} else {
		err = as_kdc_key_from_bytes(buf, n, key);
	}
	if (err)
		snprintf(msg, len, "%s: not a 16-byte key or an AES-CCM-16-64-128 COSE_Key", path);
	return err;
}

static int key_file_load(const char *path, bool nofollow, struct gk_cose_key *key, char *msg,
			 size_t len)
{
	uint8_t *buf = malloc(KEY_FILE_MAX);
	size_t n = 0;
	int err;

	if (!buf) {
		snprintf(msg, len, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	err = gkd_keyfile_read(path, nofollow, buf, KEY_FILE_MAX, &n, msg, len);
	if (!err)
		err = key_from_file_content(buf, n, path, key, msg, len);
	gk_wipe(buf, KEY_FILE_MAX);
	free(buf);
	return err;
}

/* --- [daemon] ------------------------------------------------------------ */

static int set_state_dir(struct conf_parse *ps, const char *key, const char *v)
{
	/* Room for the file names the daemon puts under it. */
	size_t max = sizeof(ps->cfg->state_dir) - 32;

	if (v[0] != '/')
		return conf_fail(ps, "%s: '%s' is not an absolute path", key, v);
	if (strlen(v) > max)
		return conf_fail(ps, "%s: longer than %zu characters", key, max);
	snprintf(ps->cfg->state_dir, sizeof(ps->cfg->state_dir), "%s", v);
	return 0;
}

static int set_log_level(struct conf_parse *ps, const char *key, const char *v)
{
	static const struct {
		const char *name;
		enum gk_log_level level;
	} levels[] = {
		{ "error", GK_LOG_ERR },
		{ "warning", GK_LOG_WARN },
		{ "info", GK_LOG_INFO },
		{ "debug", GK_LOG_DEBUG },
	};

	for (size_t i = 0; i < GK_ARRAY_SIZE(levels); i++) {
		if (!strcmp(v, levels[i].name)) {
			ps->cfg->log_level = levels[i].level;
			return 0;
		}
	}
	return conf_fail(ps, "%s: '%s' is not one of error, warning, info, debug", key, v);
}

static int set_listen(struct conf_parse *ps, const char *key, const char *v)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strlen(v) >= sizeof(ps->cfg->listen) ||
	    (inet_pton(AF_INET, v, &a4) != 1 && inet_pton(AF_INET6, v, &a6) != 1))
		return conf_fail(ps, "%s: '%s' is not an IPv4 or IPv6 address", key, v);
	snprintf(ps->cfg->listen, sizeof(ps->cfg->listen), "%s", v);
	return 0;
}

int conf_parse_port(struct conf_parse *ps, const char *key, const char *v, uint16_t *port)
{
	uint32_t n;
	int err = conf_parse_u32(ps, key, v, 1, 65535, &n);

	if (!err)
		*port = (uint16_t)n;
	return err;
}

static int set_coap_port(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_port(ps, key, v, &ps->cfg->coap_port);
}

static int set_coaps_port(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_port(ps, key, v, &ps->cfg->coaps_port);
}

static const struct conf_key daemon_keys[] = {
	{ .name = "state_dir", .set = set_state_dir },
	{ .name = "log_level", .set = set_log_level },
	{ .name = "listen", .set = set_listen },
	{ .name = "coap_port", .set = set_coap_port },
	{ .name = "coaps_port", .set = set_coaps_port },
};

/* --- [as] ---------------------------------------------------------------- */

static int set_as_enabled(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->as_enabled);
}

static int set_as_issuer(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_name(ps, key, v, ps->cfg->as_issuer, sizeof(ps->cfg->as_issuer));
}

static int set_token_lifetime(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 1, 30 * 86400, &ps->cfg->token_lifetime);
}

static const struct conf_key as_keys[] = {
	{ "enabled", set_as_enabled },
	{ "issuer", set_as_issuer },
	{ "token_lifetime", set_token_lifetime },
};

/* --- [kdc] --------------------------------------------------------------- */

static int set_audience(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_name(ps, key, v, ps->cfg->kdc_audience, sizeof(ps->cfg->kdc_audience));
}

static int as_kdc_key_once(struct conf_parse *ps, const char *key)
{
	if (ps->cfg->as_kdc_key_set)
		return conf_fail(ps, "%s: as_kdc_key and as_kdc_key_file are exclusive", key);
	return 0;
}

static int set_as_kdc_key(struct conf_parse *ps, const char *key, const char *v)
{
	uint8_t *bin;
	size_t n;
	int err = as_kdc_key_once(ps, key);

	if (err)
		return err;
	if (gk_hex_decode(v, strlen(v), &bin, &n))
		return conf_fail(ps, "%s: not a hex string", key);
	err = as_kdc_key_from_bytes(bin, n, &ps->cfg->as_kdc_key);
	gk_wipe(bin, n);
	free(bin);
	if (err)
		return conf_fail(ps, "%s: not 16 bytes nor an AES-CCM-16-64-128 COSE_Key", key);
	ps->cfg->as_kdc_key_set = true;
	return 0;
}

static int set_as_kdc_key_file(struct conf_parse *ps, const char *key, const char *v)
{
	struct gkd_config *cfg = ps->cfg;
	char msg[CONF_MSG_MAX + PATH_MAX];
	int err = as_kdc_key_once(ps, key);

	if (err)
		return err;
	if (v[0] != '/' || strlen(v) >= sizeof(cfg->as_kdc_key_file))
		return conf_fail(ps, "%s: '%s' is not an absolute path", key, v);
	if (key_file_load(v, false, &cfg->as_kdc_key, msg, sizeof(msg)))
		return conf_fail(ps, "%s: %s", key, msg);
	snprintf(cfg->as_kdc_key_file, sizeof(cfg->as_kdc_key_file), "%s", v);
	cfg->as_kdc_key_set = true;
	return 0;
}

static int set_max_payload(struct conf_parse *ps, const char *key, const char *v)
{
	uint64_t n;
	int err = conf_parse_uint(ps, key, v, 256, 65536, &n);

	if (!err)
		ps->cfg->max_payload = (size_t)n;
	return err;
}

static int set_authz_rate(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 0, 100000, &ps->cfg->authz_rate);
}

static int set_authz_burst(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 1, 100000, &ps->cfg->authz_burst);
}

static int set_purge_interval(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 1, 86400, &ps->cfg->purge_interval);
}

static int set_kdc_enabled(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->kdc_enabled);
}

static const struct conf_key kdc_keys[] = {
	{ "enabled", set_kdc_enabled },
	{ "audience", set_audience },
	{ "as_kdc_key", set_as_kdc_key },
	{ "as_kdc_key_file", set_as_kdc_key_file },
	{ "max_payload", set_max_payload },
	{ "authz_rate", set_authz_rate },
	{ "authz_burst", set_authz_burst },
	{ "purge_interval", set_purge_interval },
};

/* --- [client NAME] ------------------------------------------------------- */

static int set_client_psk(struct conf_parse *ps, const char *key, const char *v)
{
	struct gkd_client_conf *c = &ps->cfg->clients[ps->idx];

	return conf_parse_hex(ps, key, v, 16, GKD_PSK_MAX, c->psk, &c->psk_len);
}

/* One "GROUP:ROLE[,ROLE]" entry, spaces allowed around the parts, into allowed. */
static int add_scope_entry(struct conf_parse *ps, const char *key, const char *p, size_t n,
			   struct gk_scope *allowed)
{
	char entry[CONF_LINE_MAX], norm[GK_GROUP_NAME_MAX + 64];
	const char *colon;
	uint32_t roles;
	size_t g, len;
	int err;

	snprintf(entry, sizeof(entry), "%.*s", (int)n, p);
	colon = strchr(entry, ':');
	if (!colon)
		return conf_fail(ps, "%s: '%s' is not GROUP:ROLE[,ROLE]", key, entry);
	for (g = (size_t)(colon - entry); g && isspace((unsigned char)entry[g - 1]); g--)
		;
	if (!gk_group_name_valid(entry, g))
		return conf_fail(ps, "%s: '%.*s' is not a valid group name", key, (int)g, entry);
	err = conf_parse_roles(ps, key, colon + 1, &roles);
	if (err)
		return err;
	len = (size_t)snprintf(norm, sizeof(norm), "%.*s:", (int)g, entry);
	gk_roles_format(roles, norm + len, sizeof(norm) - len);
	err = gk_scope_parse_arg(norm, allowed);
	if (err == -EEXIST)
		return conf_fail(ps, "%s: group '%.*s' named twice", key, (int)g, entry);
	if (err == -E2BIG)
		return conf_fail(ps, "%s: more than %d groups", key, GK_SCOPE_MAX);
	if (err)
		return conf_fail(ps, "%s: '%s' is not GROUP:ROLE[,ROLE]", key, entry);
	return 0;
}

static int set_client_scope(struct conf_parse *ps, const char *key, const char *v)
{
	struct gk_scope *allowed = &ps->cfg->clients[ps->idx].allowed;
	const char *p = v;

	for (;;) {
		size_t n = strcspn(p, ";");
		const char *next = p[n] ? p + n + 1 : NULL;
		int err;

		while (n && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (!n)
			return conf_fail(ps, "%s: empty entry in '%s'", key, v);
		err = add_scope_entry(ps, key, p, n, allowed);
		if (err)
			return err;
		if (!next)
			return 0;
		p = next;
	}
}

static const struct conf_key client_keys[] = {
	{ "psk", set_client_psk },
	{ "scope", set_client_scope },
};

/* --- [trusted-as NAME] --------------------------------------------------- */

static int set_tas_issuer(struct conf_parse *ps, const char *key, const char *v)
{
	struct gkd_trusted_as_conf *t = &ps->cfg->trusted_as[ps->idx];

	return conf_parse_name(ps, key, v, t->issuer, sizeof(t->issuer));
}

static int set_tas_key(struct conf_parse *ps, const char *key, const char *v)
{
	struct gkd_trusted_as_conf *t = &ps->cfg->trusted_as[ps->idx];
	uint8_t *bin;
	size_t n;
	int err;

	if (gk_hex_decode(v, strlen(v), &bin, &n))
		return conf_fail(ps, "%s: not a hex string", key);
	err = gk_cose_key_decode(bin, n, &t->key);
	gk_wipe(bin, n);
	free(bin);
	if (err)
		return conf_fail(ps, "%s: not a valid COSE_Key (%s)", key, gk_strerror(err));
	if (t->key.has_d)
		return conf_fail(ps, "%s: holds a private key (d); give the public key only", key);
	return 0;
}

static int set_tas_alg(struct conf_parse *ps, const char *key, const char *v)
{
	static const struct {
		const char *name;
		int64_t alg;
	} algs[] = {
		{ "ES256", GK_COSE_ALG_ES256 },
		{ "HMAC256/64", GK_COSE_ALG_HMAC256_64 },
		{ "HMAC256/256", GK_COSE_ALG_HMAC256_256 },
		{ "AES-CCM-16-64-128", GK_COSE_ALG_AES_CCM_16_64_128 },
		{ "AES-CCM-16-128-128", GK_COSE_ALG_AES_CCM_16_128_128 },
	};
	struct gkd_trusted_as_conf *t = &ps->cfg->trusted_as[ps->idx];

	for (size_t i = 0; i < GK_ARRAY_SIZE(algs); i++) {
		char num[24];

		snprintf(num, sizeof(num), "%lld", (long long)algs[i].alg);
		if (!strcmp(v, algs[i].name) || !strcmp(v, num)) {
			t->alg = algs[i].alg;
			return 0;
		}
	}
	return conf_fail(ps,
			 "%s: '%s' is not one of ES256 (-7), HMAC256/64 (4), HMAC256/256 (5), "
			 "AES-CCM-16-64-128 (10), AES-CCM-16-128-128 (30)",
			 key, v);
}

static const struct conf_key tas_keys[] = {
	{ "issuer", set_tas_issuer },
	{ "key", set_tas_key },
	{ "alg", set_tas_alg },
};

/* --- [group NAME] -------------------------------------------------------- */

static int set_group_roles(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_roles(ps, key, v, &ps->cfg->groups[ps->idx].roles);
}

int conf_parse_mcast(struct conf_parse *ps, const char *key, const char *v, char *text,
		     size_t cap, int *family, uint8_t addr[16])
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strlen(v) < cap && inet_pton(AF_INET, v, &a4) == 1) {
		if (!IN_MULTICAST(ntohl(a4.s_addr)))
			return conf_fail(ps, "%s: %s is not an IPv4 multicast address (224/4)", key,
					 v);
		*family = AF_INET;
		memset(addr, 0, 16);
		memcpy(addr, &a4, sizeof(a4));
	} else if (strlen(v) < cap && inet_pton(AF_INET6, v, &a6) == 1) {
		if (!IN6_IS_ADDR_MULTICAST(&a6))
			return conf_fail(ps, "%s: %s is not an IPv6 multicast address (ff00::/8)",
					 key, v);
		*family = AF_INET6;
		memcpy(addr, &a6, sizeof(a6));
	} else {
		return conf_fail(ps, "%s: '%s' is not an IPv4 or IPv6 address", key, v);
	}
	snprintf(text, cap, "%s", v);
	return 0;
}

static int set_group_address(struct conf_parse *ps, const char *key, const char *v)
{
	struct gkd_group_conf *g = &ps->cfg->groups[ps->idx];

	return conf_parse_mcast(ps, key, v, g->address, sizeof(g->address), &g->family, g->addr);
}

static int set_group_port(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_port(ps, key, v, &ps->cfg->groups[ps->idx].port);
}

static int set_group_key_lifetime(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 60, 366 * 86400, &ps->cfg->groups[ps->idx].key_lifetime);
}

static int set_group_rekey_margin(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 0, 366 * 86400, &ps->cfg->groups[ps->idx].rekey_margin);
}

static int set_group_rekey_on_join(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->groups[ps->idx].rekey_on_join);
}

static int set_group_rekey_on_leave(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->groups[ps->idx].rekey_on_leave);
}

static int set_group_recv_grace(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 0, 86400, &ps->cfg->groups[ps->idx].recv_grace);
}

static int set_group_max_members(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_u32(ps, key, v, 1, GKD_GROUP_MAX_MEMBERS,
			 &ps->cfg->groups[ps->idx].max_members);
}

static int set_group_require_cred(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->groups[ps->idx].require_cred);
}

static const struct conf_key group_keys[] = {
	{ "roles", set_group_roles },
	{ "address", set_group_address },
	{ "port", set_group_port },
	{ "key_lifetime", set_group_key_lifetime },
	{ "rekey_margin", set_group_rekey_margin },
	{ "rekey_on_join", set_group_rekey_on_join },
	{ "rekey_on_leave", set_group_rekey_on_leave },
	{ "recv_grace", set_group_recv_grace },
	{ "max_members", set_group_max_members },
	{ "require_cred", set_group_require_cred },
};

/* --- [dataplane] (dpsync.c) ----------------------------------------------- */

static int set_dp_enabled(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->dp_enabled);
}

static int set_dp_strip(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->dp_strip);
}

static bool ifname_ok(const char *p, size_t n)
{
	if (!n || n >= GKD_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)p[i]) || p[i] == '/' || p[i] == ':')
			return false;
	return true;
}

int conf_parse_ifnames(struct conf_parse *ps, const char *key, const char *v,
		       char names[][GKD_IFNAME_MAX], size_t *count)
{
	const char *p = v;

	*count = 0;
	while (*p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (!n)
			break;
		if (!ifname_ok(p, n))
			return conf_fail(ps, "%s: '%.*s' is not an interface name", key, (int)n, p);
		if (*count == GKD_DP_MAX_IFACES)
			return conf_fail(ps, "%s: more than %d interfaces", key, GKD_DP_MAX_IFACES);
		for (size_t i = 0; i < *count; i++)
			if (strlen(names[i]) == n && !strncmp(names[i], p, n))
				return conf_fail(ps, "%s: %.*s twice", key, (int)n, p);
		snprintf(names[(*count)++], GKD_IFNAME_MAX, "%.*s", (int)n, p);
		p += n;
	}
	if (!*count)
		return conf_fail(ps, "%s: no interface", key);
	return 0;
}

/* Names only, resolved to ifindexes at start. */
static int set_dp_interfaces(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_ifnames(ps, key, v, ps->cfg->dp_ifnames, &ps->cfg->dp_n_ifaces);
}

static int set_dp_pin_dir(struct conf_parse *ps, const char *key, const char *v)
{
	if (v[0] != '/' || strlen(v) >= sizeof(ps->cfg->dp_pin_dir))
		return conf_fail(ps, "%s: not an absolute path", key);
	snprintf(ps->cfg->dp_pin_dir, sizeof(ps->cfg->dp_pin_dir), "%s", v);
	return 0;
}

static int set_dp_keep_attached(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_bool(ps, key, v, &ps->cfg->dp_keep_attached);
}

static const struct conf_key dataplane_keys[] = {
	{ "enabled", set_dp_enabled },
	{ "interfaces", set_dp_interfaces },
	{ "pin_dir", set_dp_pin_dir },
	{ "strip", set_dp_strip },
	{ "keep_attached", set_dp_keep_attached },
};

static const struct conf_sect_def sections[] = {
	{ "daemon", SECT_DAEMON, false, daemon_keys, GK_ARRAY_SIZE(daemon_keys) },
	{ "as", SECT_AS, false, as_keys, GK_ARRAY_SIZE(as_keys) },
	{ "kdc", SECT_KDC, false, kdc_keys, GK_ARRAY_SIZE(kdc_keys) },
	{ "client", SECT_CLIENT, true, client_keys, GK_ARRAY_SIZE(client_keys) },
	{ "trusted-as", SECT_TRUSTED_AS, true, tas_keys, GK_ARRAY_SIZE(tas_keys) },
	{ "group", SECT_GROUP, true, group_keys, GK_ARRAY_SIZE(group_keys) },
	{ "dataplane", SECT_DATAPLANE, false, dataplane_keys, GK_ARRAY_SIZE(dataplane_keys) },
};

/* The section definition of id: the table above, then conf_member.c's. */
static const struct conf_sect_def *sect_def(size_t id)
{
	if (id < GK_ARRAY_SIZE(sections))
		return &sections[id];
	return id == SECT_MEMBER ? &conf_member_sect : &conf_gateway_sect;
}

/* --- sections ------------------------------------------------------------ */

static int open_client(struct conf_parse *ps, const char *name)
{
	struct gkd_config *cfg = ps->cfg;

	if (!name_ok(name))
		return conf_fail(ps, "[client %s]: not 1..%d printable characters", name,
				 GKD_ID_MAX);
	for (size_t i = 0; i < cfg->n_clients; i++)
		if (!strcmp(cfg->clients[i].id, name))
			return conf_fail(ps, "duplicate [client %s] (first at line %u)", name,
					 ps->clients[i].line);
	if (cfg->n_clients == GKD_MAX_CLIENTS)
		return conf_fail(ps, "more than %d [client] sections", GKD_MAX_CLIENTS);
	ps->idx = cfg->n_clients++;
	snprintf(cfg->clients[ps->idx].id, sizeof(cfg->clients[ps->idx].id), "%s", name);
	ps->cur = &ps->clients[ps->idx];
	return 0;
}

static int open_trusted_as(struct conf_parse *ps, const char *name)
{
	struct gkd_config *cfg = ps->cfg;

	if (!name_ok(name))
		return conf_fail(ps, "[trusted-as %s]: not 1..%d printable characters", name,
				 GKD_ID_MAX);
	for (size_t i = 0; i < cfg->n_trusted_as; i++)
		if (!strcmp(ps->tas_name[i], name))
			return conf_fail(ps, "duplicate [trusted-as %s] (first at line %u)", name,
					 ps->tas[i].line);
	if (cfg->n_trusted_as == GKD_MAX_TRUSTED_AS)
		return conf_fail(ps, "more than %d [trusted-as] sections", GKD_MAX_TRUSTED_AS);
	ps->idx = cfg->n_trusted_as++;
	snprintf(ps->tas_name[ps->idx], sizeof(ps->tas_name[ps->idx]), "%s", name);
	/* The issuer is the section's name unless an issuer key says otherwise. */
	snprintf(cfg->trusted_as[ps->idx].issuer, sizeof(cfg->trusted_as[ps->idx].issuer), "%s",
		 name);
	ps->cur = &ps->tas[ps->idx];
	return 0;
}

static int open_group(struct conf_parse *ps, const char *name)
{
	struct gkd_config *cfg = ps->cfg;

	if (!gk_group_name_valid(name, strlen(name)))
		return conf_fail(ps, "[group %s]: a group name is 1..%d of A-Z a-z 0-9 . _ -", name,
				 GK_GROUP_NAME_MAX);
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (!strcmp(cfg->groups[i].name, name))
			return conf_fail(ps, "duplicate [group %s] (first at line %u)", name,
					 ps->groups[i].line);
	if (cfg->n_groups == GKD_MAX_GROUPS)
		return conf_fail(ps, "more than %d [group] sections", GKD_MAX_GROUPS);
	ps->idx = cfg->n_groups++;
	snprintf(cfg->groups[ps->idx].name, sizeof(cfg->groups[ps->idx].name), "%s", name);
	cfg->groups[ps->idx].roles = GK_ROLES_ALL;
	gkd_conf_group_defaults(&cfg->groups[ps->idx]);
	ps->cur = &ps->groups[ps->idx];
	return 0;
}

static int open_section(struct conf_parse *ps, const struct conf_sect_def *def, const char *name)
{
	int err = 0;

	if (def->named && !name[0])
		return conf_fail(ps, "[%s] needs a name: [%s NAME]", def->name, def->name);
	if (!def->named && name[0])
		return conf_fail(ps, "[%s] takes no name", def->name);
	switch (def->id) {
	case SECT_CLIENT:
		err = open_client(ps, name);
		break;
	case SECT_TRUSTED_AS:
		err = open_trusted_as(ps, name);
		break;
	case SECT_GROUP:
		err = open_group(ps, name);
		break;
	case SECT_MEMBER:
		err = conf_open_member(ps, name);
		break;
	default:
		/* A singleton section may be reopened; its keys still count once. */
		ps->cur = &ps->single[def->id];
		break;
	}
	if (err)
		return err;
	if (!ps->cur->line)
		ps->cur->line = ps->lineno;
	ps->def = def;
	return 0;
}

/* "[type]" or "[type NAME]", seen by the reader so that empty sections are checked too. */
static int conf_header(struct conf_parse *ps, const char *line)
{
	char hdr[CONF_LINE_MAX], *type, *name, *extra, *save = NULL;
	const char *end = strchr(line, ']');
	const char *rest;

	if (!end)
		return conf_fail(ps, "section header without ']'");
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#')
		return conf_fail(ps, "text after the section header");
	snprintf(hdr, sizeof(hdr), "%.*s", (int)(end - line - 1), line + 1);
	type = strtok_r(hdr, " \t", &save);
	name = type ? strtok_r(NULL, " \t", &save) : NULL;
	extra = name ? strtok_r(NULL, " \t", &save) : NULL;
	if (!type)
		return conf_fail(ps, "empty section header");
	if (extra)
		return conf_fail(ps, "[%s %s %s...]: one name at most", type, name, extra);
	for (size_t i = 0; i < SECT_NR; i++)
		if (!strcmp(type, sect_def(i)->name))
			return open_section(ps, sect_def(i), name ? name : "");
	return conf_fail(ps, "unknown section [%s]", type);
}

static void conf_skip_line(FILE *f)
{
	int c;

	do
		c = getc(f);
	while (c != EOF && c != '\n');
}

/*
 * inih's reader, one line per call. Besides counting lines it removes
 * indentation (so inih never joins a line to the previous value: values
 * are one line), refuses lines longer than inih's buffer (inih would
 * split them silently) and opens sections. Returning NULL ends the parse.
 */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *ps = stream;
	char *p = ps->buf;
	size_t n;

	if (ps->err_line || !fgets(ps->buf, sizeof(ps->buf), ps->f))
		return NULL;
	ps->lineno++;
	if (ps->lineno == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strlen(ps->buf);
	if (n == sizeof(ps->buf) - 1 && ps->buf[n - 1] != '\n') {
		if (*p != ';' && *p != '#') {
			conf_fail(ps, "line longer than %d characters", num - 3);
			return NULL;
		}
		conf_skip_line(ps->f);
	}
	n = strcspn(p, "\r\n");
	if (*p == ';' || *p == '#')
		n = 1; /* a comment, whatever its length */
	if (num < 3 || n > (size_t)num - 3) {
		conf_fail(ps, "line longer than %d characters", num - 3);
		return NULL;
	}
	if (*p == '[' && conf_header(ps, p))
		return NULL;
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static int conf_set(struct conf_parse *ps, const char *name, const char *value)
{
	const struct conf_sect_def *def = ps->def;

	if (!def)
		return conf_fail(ps, "'%s' before any [section]", name);
	for (size_t i = 0; i < def->n_keys; i++) {
		if (strcmp(name, def->keys[i].name))
			continue;
		if (ps->cur->key_line[i])
			return conf_fail(ps, "duplicate key '%s' (first at line %u)", name,
					 ps->cur->key_line[i]);
		ps->cur->key_line[i] = ps->lineno;
		return def->keys[i].set(ps, name, value);
	}
	return conf_fail(ps, "unknown key '%s' in [%s]", name, def->name);
}

/* inih's handler: nonzero means the line was fine. */
static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *ps = user;

	return !ps->err_line && !conf_set(ps, name, value);
}

/* --- checks across keys, after the whole file is read -------------------- */

unsigned conf_key_line(const struct conf_inst *inst, enum conf_sect id, const char *key)
{
	const struct conf_sect_def *def = sect_def(id);

	for (size_t i = 0; i < def->n_keys; i++)
		if (!strcmp(def->keys[i].name, key))
			return inst->key_line[i];
	return 0;
}

unsigned conf_max_line(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* A member-only host: no AS, no KDC, so nothing that would only serve them. */
static int check_no_kdc(struct conf_parse *ps)
{
	const struct gkd_config *cfg = ps->cfg;
	unsigned line = conf_key_line(&ps->single[SECT_KDC], SECT_KDC, "enabled");

	if (cfg->as_enabled)
		return conf_fail_at(ps, line, "[kdc] enabled = no needs [as] enabled = no too");
	if (cfg->n_groups || cfg->n_clients)
		return conf_fail_at(ps, line, "[kdc] enabled = no: [group] and [client] sections "
					      "would serve nothing");
	if (!cfg->n_members)
		return conf_fail_at(ps, line, "[kdc] enabled = no and no [member]: nothing to do");
	return 0;
}

static int check_daemon(struct conf_parse *ps)
{
	const struct gkd_config *cfg = ps->cfg;
	const struct conf_inst *d = &ps->single[SECT_DAEMON];

	if (cfg->coap_port == cfg->coaps_port)
		return conf_fail_at(ps,
				    conf_max_line(conf_key_line(d, SECT_DAEMON, "coap_port"),
					     conf_key_line(d, SECT_DAEMON, "coaps_port")),
				    "coap_port and coaps_port are both %u", cfg->coap_port);
	if (!cfg->kdc_enabled)
		return check_no_kdc(ps);
	if (!cfg->as_enabled && !cfg->n_trusted_as)
		return conf_fail_at(ps, conf_key_line(&ps->single[SECT_AS], SECT_AS, "enabled"),
				    "the AS is disabled and there is no [trusted-as]: "
				    "the KDC could accept no token");
	return 0;
}

static int check_client(struct conf_parse *ps, size_t i)
{
	const struct gkd_config *cfg = ps->cfg;
	const struct gkd_client_conf *c = &cfg->clients[i];
	const struct conf_inst *inst = &ps->clients[i];
	unsigned scope_line = conf_key_line(inst, SECT_CLIENT, "scope");

	if (!c->psk_len)
		return conf_fail_at(ps, inst->line, "[client %s] has no psk", c->id);
	if (!scope_line)
		return conf_fail_at(ps, inst->line, "[client %s] has no scope", c->id);
	for (size_t j = 0; j < c->allowed.n; j++) {
		const struct gk_scope_entry *e = &c->allowed.e[j];
		const struct gkd_group_conf *g = gkd_conf_group(cfg, e->group);
		char extra[64];

		if (!g)
			return conf_fail_at(ps, scope_line, "scope: no [group %s] section",
					    e->group);
		if (e->roles & ~g->roles) {
			gk_roles_format(e->roles & ~g->roles, extra, sizeof(extra));
			return conf_fail_at(ps, scope_line, "scope: group %s has no role %s",
					    e->group, extra);
		}
	}
	return 0;
}

static int check_trusted_as(struct conf_parse *ps, size_t i)
{
	const struct gkd_trusted_as_conf *t = &ps->cfg->trusted_as[i];
	const struct conf_inst *inst = &ps->tas[i];

	if (!conf_key_line(inst, SECT_TRUSTED_AS, "key"))
		return conf_fail_at(ps, inst->line, "[trusted-as %s] has no key", ps->tas_name[i]);
	if (!conf_key_line(inst, SECT_TRUSTED_AS, "alg"))
		return conf_fail_at(ps, inst->line, "[trusted-as %s] has no alg", ps->tas_name[i]);
	if (gk_cose_key_check_alg(&t->key, t->alg))
		return conf_fail_at(ps, conf_key_line(inst, SECT_TRUSTED_AS, "alg"),
				    "alg: %lld does not fit the key", (long long)t->alg);
	return 0;
}

static int check_group(struct conf_parse *ps, size_t i)
{
	const struct gkd_group_conf *g = &ps->cfg->groups[i];
	const struct conf_inst *inst = &ps->groups[i];

	if (g->rekey_margin >= g->key_lifetime)
		return conf_fail_at(ps,
				    conf_max_line(conf_key_line(inst, SECT_GROUP, "rekey_margin"),
					     conf_max_line(conf_key_line(inst, SECT_GROUP, "key_lifetime"),
						      inst->line)),
				    "[group %s]: rekey_margin %u must be less than key_lifetime %u",
				    g->name, g->rekey_margin, g->key_lifetime);
	return 0;
}

static int conf_check(struct conf_parse *ps)
{
	int err = check_daemon(ps);

	for (size_t i = 0; !err && i < ps->cfg->n_groups; i++)
		err = check_group(ps, i);

	for (size_t i = 0; !err && i < ps->cfg->n_clients; i++)
		err = check_client(ps, i);
	for (size_t i = 0; !err && i < ps->cfg->n_trusted_as; i++)
		err = check_trusted_as(ps, i);
	if (!err)
		err = conf_check_members(ps);
	return err;
}

/* --- public API ---------------------------------------------------------- */

void gkd_conf_defaults(struct gkd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", GKD_DEFAULT_STATE_DIR);
	cfg->log_level = GK_LOG_INFO;
	snprintf(cfg->listen, sizeof(cfg->listen), "::");
	cfg->coap_port = 5683;
	cfg->coaps_port = 5684;
	cfg->as_enabled = true;
	cfg->kdc_enabled = true;
	snprintf(cfg->as_issuer, sizeof(cfg->as_issuer), "groupkeyd-as");
	cfg->token_lifetime = 3600;
	snprintf(cfg->kdc_audience, sizeof(cfg->kdc_audience), "groupkeyd-kdc");
	cfg->max_payload = 2048;
	cfg->authz_rate = 10;
	cfg->authz_burst = 20;
	cfg->purge_interval = 60;
	snprintf(cfg->dp_pin_dir, sizeof(cfg->dp_pin_dir), "%s", GK_DP_PIN_DIR);
	cfg->dp_strip = true;
}

static int conf_open(struct conf_parse *ps, const char *path)
{
	struct stat st;
	int err;

	ps->f = fopen(path, "re");
	if (!ps->f) {
		err = -errno;
		snprintf(ps->err, ps->err_len, "%s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fileno(ps->f), &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(ps->err, ps->err_len, "%s: not a regular file", path);
		fclose(ps->f);
		ps->f = NULL;
		return -EINVAL;
	}
	return 0;
}

static int conf_parse_file(struct conf_parse *ps)
{
	int ret = ini_parse_stream(conf_reader, ps, conf_handler, ps);

	if (ret == -2) {
		snprintf(ps->err, ps->err_len, "%s: %s", ps->cfg->path, strerror(ENOMEM));
		return -ENOMEM;
	}
	/* A line inih refused on its own (no '=', no ']') comes before ours, if any. */
	if (ret > 0 && (!ps->err_line || (unsigned)ret < ps->err_line)) {
		ps->err_line = 0;
		return conf_fail_at(ps, (unsigned)ret,
				    "syntax error: expected 'key = value' or '[section]'");
	}
	if (ps->err_line)
		return -EINVAL;
	if (ferror(ps->f)) {
		snprintf(ps->err, ps->err_len, "%s: read error", ps->cfg->path);
		return -EIO;
	}
	return conf_check(ps);
}

int gkd_conf_load(const char *path, struct gkd_config *cfg, char *err, size_t err_len)
{
	struct conf_parse *ps;
	int ret;

	gkd_conf_defaults(cfg);
	if (err_len)
		err[0] = '\0';
	if (strlen(path) >= sizeof(cfg->path)) {
		snprintf(err, err_len, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		snprintf(err, err_len, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	ps->cfg = cfg;
	ps->err = err;
	ps->err_len = err_len;
	ret = conf_open(ps, path);
	if (!ret) {
		ret = conf_parse_file(ps);
		fclose(ps->f);
	}
	/* The line buffer held PSKs and keys. */
	gk_wipe(ps, sizeof(*ps));
	free(ps);
	if (ret) {
		gkd_conf_wipe(cfg);
		gkd_conf_defaults(cfg);
		snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	}
	return ret;
}

void gkd_conf_wipe(struct gkd_config *cfg)
{
	gk_wipe(cfg, sizeof(*cfg));
}

const struct gkd_client_conf *gkd_conf_client(const struct gkd_config *cfg, const char *id,
					      size_t id_len)
{
	for (size_t i = 0; i < cfg->n_clients; i++) {
		const struct gkd_client_conf *c = &cfg->clients[i];

		if (strlen(c->id) == id_len && !memcmp(c->id, id, id_len))
			return c;
	}
	return NULL;
}

void gkd_conf_group_defaults(struct gkd_group_conf *g)
{
	g->address[0] = '\0';
	g->family = 0;
	memset(g->addr, 0, sizeof(g->addr));
	g->port = GKD_GROUP_DEFAULT_PORT;
	g->key_lifetime = GKD_GROUP_DEFAULT_KEY_LIFETIME;
	g->rekey_margin = GKD_GROUP_DEFAULT_REKEY_MARGIN;
	g->recv_grace = GKD_GROUP_DEFAULT_RECV_GRACE;
	g->max_members = GKD_GROUP_DEFAULT_MAX_MEMBERS;
	g->rekey_on_join = true;
	g->rekey_on_leave = true;
	g->require_cred = true;
}

const struct gkd_group_conf *gkd_conf_group(const struct gkd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (!strcmp(cfg->groups[i].name, name))
			return &cfg->groups[i];
	return NULL;
}

/* --- the generated AS-KDC key -------------------------------------------- */

static int key_file_create(const char *path, struct gk_rng *rng, struct gk_cose_key *key, char *err,
			   size_t err_len)
{
	uint8_t k[AS_KDC_KEY_LEN];
	int ret;

	ret = gk_random(rng, k, sizeof(k));
	if (ret) {
		snprintf(err, err_len, "%s: no random bytes", path);
		return ret;
	}
	ret = gkd_keyfile_create_hex(path, k, sizeof(k), err, err_len);
	if (!ret)
		ret = as_kdc_key_from_bytes(k, sizeof(k), key);
	gk_wipe(k, sizeof(k));
	return ret;
}

int gkd_conf_ensure_as_kdc_key(struct gkd_config *cfg, struct gk_rng *rng, char *err,
			       size_t err_len)
{
	char path[PATH_MAX];
	int ret;

	if (cfg->as_kdc_key_set || !cfg->as_enabled)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, AS_KDC_KEY_NAME) >=
	    sizeof(path)) {
		snprintf(err, err_len, "%s: %s", cfg->state_dir, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	ret = key_file_load(path, true, &cfg->as_kdc_key, err, err_len);
	if (ret == -ENOENT)
		ret = key_file_create(path, rng, &cfg->as_kdc_key, err, err_len);
	/* Lost a creation race with another instance: take its key. */
	if (ret == -EEXIST)
		ret = key_file_load(path, true, &cfg->as_kdc_key, err, err_len);
	if (ret)
		return ret;
	snprintf(cfg->as_kdc_key_file, sizeof(cfg->as_kdc_key_file), "%s", path);
	cfg->as_kdc_key_set = true;
	return 0;
}
