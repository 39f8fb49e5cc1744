// SPDX-License-Identifier: BSD-3-Clause
/* The [member NAME] and [gateway] sections: this host as a group member, and its legacy side. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "groupkey/util.h"

#define MEMBER_DEFAULT_AUDIENCE "groupkeyd-kdc"

static struct gkd_member_conf *cur(struct conf_parse *ps)
{
	return &ps->cfg->members[ps->idx];
}

/* scheme://HOST[:PORT][/PATH]: the scheme, and something after it. */
static int parse_uri(struct conf_parse *ps, const char *key, const char *v, const char *scheme,
		     char *out, size_t cap)
{
	size_t n = strlen(scheme);

	if (strncmp(v, scheme, n) || strncmp(v + n, "://", 3) || !v[n + 3] || v[n + 3] == '/')
		return conf_fail(ps, "%s: '%s' is not a %s:// URI", key, v, scheme);
	if (strlen(v) >= cap)
		return conf_fail(ps, "%s: longer than %zu characters", key, cap - 1);
	for (const char *p = v; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return conf_fail(ps, "%s: a URI has no spaces or control characters", key);
	snprintf(out, cap, "%s", v);
	return 0;
}

static int set_group(struct conf_parse *ps, const char *key, const char *v)
{
	if (!gk_group_name_valid(v, strlen(v)))
		return conf_fail(ps, "%s: '%s' is not a group name", key, v);
	snprintf(cur(ps)->group, sizeof(cur(ps)->group), "%s", v);
	return 0;
}

static int set_kdc(struct conf_parse *ps, const char *key, const char *v)
{
	return parse_uri(ps, key, v, "coaps", cur(ps)->kdc, sizeof(cur(ps)->kdc));
}

static int set_as(struct conf_parse *ps, const char *key, const char *v)
{
	return parse_uri(ps, key, v, "coaps", cur(ps)->as_uri, sizeof(cur(ps)->as_uri));
}

static int set_authz_info(struct conf_parse *ps, const char *key, const char *v)
{
	return parse_uri(ps, key, v, "coap", cur(ps)->authz_info, sizeof(cur(ps)->authz_info));
}

static int set_audience(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_name(ps, key, v, cur(ps)->audience, sizeof(cur(ps)->audience));
}

static int set_client_id(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_name(ps, key, v, cur(ps)->client_id, sizeof(cur(ps)->client_id));
}

static int set_psk(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_hex(ps, key, v, 16, GKD_PSK_MAX, cur(ps)->psk, &cur(ps)->psk_len);
}

static int set_roles(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_roles(ps, key, v, &cur(ps)->roles);
}

static int set_address(struct conf_parse *ps, const char *key, const char *v)
{
	struct gkd_member_conf *m = cur(ps);

	return conf_parse_mcast(ps, key, v, m->address, sizeof(m->address), &m->family, m->addr);
}

static int set_port(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_port(ps, key, v, &cur(ps)->port);
}

/* "10.1.0.0/24", "fd00:1::/64" or a host address. */
static int parse_prefix(struct conf_parse *ps, const char *key, const char *p, size_t n,
			struct gkd_prefix *out)
{
	char buf[sizeof(out->text)], *slash;
	unsigned long len;
	char *end;
	int max;

	if (n >= sizeof(buf))
		return conf_fail(ps, "%s: '%.*s' is not a prefix", key, (int)n, p);
	snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
	snprintf(out->text, sizeof(out->text), "%s", buf);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(out->addr, 0, sizeof(out->addr));
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else
		return conf_fail(ps, "%s: '%s' is not an IPv4 or IPv6 address", key, buf);
	max = out->family == AF_INET ? 32 : 128;
	len = (unsigned long)max;
	if (slash) {
		len = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || len > (unsigned long)max)
			return conf_fail(ps, "%s: '%s' has no prefix length 0..%d", key, out->text,
					 max);
	}
	out->len = (uint8_t)len;
	return 0;
}

static int set_allow(struct conf_parse *ps, const char *key, const char *v)
{
	struct gkd_member_conf *m = cur(ps);
	const char *p = v;

	m->n_allow = 0;
	while (*p) {
		size_t n;
		int err;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (!n)
			break;
		if (m->n_allow == GKD_MAX_ALLOW)
			return conf_fail(ps, "%s: more than %d prefixes", key, GKD_MAX_ALLOW);
		err = parse_prefix(ps, key, p, n, &m->allow[m->n_allow++]);
		if (err)
			return err;
		p += n;
	}
	if (!m->n_allow)
		return conf_fail(ps, "%s: no prefix", key);
	return 0;
}

static const struct conf_key member_keys[] = {
	{ "group", set_group },
	{ "kdc", set_kdc },
	{ "as", set_as },
	{ "authz_info", set_authz_info },
	{ "audience", set_audience },
	{ "client_id", set_client_id },
	{ "psk", set_psk },
	{ "roles", set_roles },
	{ "address", set_address },
	{ "port", set_port },
	{ "allow", set_allow },
};

const struct conf_sect_def conf_member_sect = { "member", SECT_MEMBER, true, member_keys,
						GK_ARRAY_SIZE(member_keys) };

static int set_wan(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_ifnames(ps, key, v, ps->cfg->gw_wan, &ps->cfg->gw_n_wan);
}

static int set_lan(struct conf_parse *ps, const char *key, const char *v)
{
	return conf_parse_ifnames(ps, key, v, ps->cfg->gw_lan, &ps->cfg->gw_n_lan);
}

static const struct conf_key gateway_keys[] = {
	{ "wan", set_wan },
	{ "lan", set_lan },
};

const struct conf_sect_def conf_gateway_sect = { "gateway", SECT_GATEWAY, false, gateway_keys,
						 GK_ARRAY_SIZE(gateway_keys) };

int conf_open_member(struct conf_parse *ps, const char *name)
{
	struct gkd_config *cfg = ps->cfg;
	struct gkd_member_conf *m;

	if (!gk_group_name_valid(name, strlen(name)))
		return conf_fail(ps, "[member %s]: a name is 1..%d of A-Z a-z 0-9 . _ -", name,
				 GK_GROUP_NAME_MAX);
	for (size_t i = 0; i < cfg->n_members; i++)
		if (!strcmp(cfg->members[i].name, name))
			return conf_fail(ps, "duplicate [member %s] (first at line %u)", name,
					 ps->members[i].line);
	if (cfg->n_members == GKD_MAX_MEMBERS)
		return conf_fail(ps, "more than %d [member] sections", GKD_MAX_MEMBERS);
	ps->idx = cfg->n_members++;
	m = &cfg->members[ps->idx];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->group, sizeof(m->group), "%s", name);
	snprintf(m->audience, sizeof(m->audience), "%s", MEMBER_DEFAULT_AUDIENCE);
	m->roles = GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_RECEIVER);
	m->port = GKD_GROUP_DEFAULT_PORT;
	ps->cur = &ps->members[ps->idx];
	return 0;
}

/* --- checks across keys ---------------------------------------------------- */

/* coaps://HOST[:PORT]/token from the KDC's coaps://HOST[:PORT][/...]. */
static int default_as_uri(struct gkd_member_conf *m)
{
	const char *host = m->kdc + strlen("coaps://");
	size_t n = strcspn(host, "/");

	if (n + strlen("coaps:///token") >= sizeof(m->as_uri))
		return -EINVAL;
	memcpy(m->as_uri, "coaps://", 8);
	memcpy(m->as_uri + 8, host, n);
	memcpy(m->as_uri + 8 + n, "/token", 7);
	return 0;
}

static int check_member(struct conf_parse *ps, size_t i)
{
	struct gkd_config *cfg = ps->cfg;
	struct gkd_member_conf *m = &cfg->members[i];
	const struct conf_inst *inst = &ps->members[i];
	static const char *const required[] = { "kdc", "client_id", "psk", "address" };
	uint32_t sm = GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_MONITOR);

	for (size_t k = 0; k < GK_ARRAY_SIZE(required); k++)
		if (!conf_key_line(inst, SECT_MEMBER, required[k]))
			return conf_fail_at(ps, inst->line, "[member %s] has no %s", m->name,
					    required[k]);
	if ((m->roles & sm) == sm)
		return conf_fail_at(ps, conf_key_line(inst, SECT_MEMBER, "roles"),
				    "roles: sender and monitor exclude each other "
				    "(docs/profile.md REQ1)");
	if (!m->as_uri[0] && default_as_uri(m))
		return conf_fail_at(ps, conf_key_line(inst, SECT_MEMBER, "kdc"),
				    "kdc: too long to derive the AS URI from");
	if (!cfg->dp_enabled)
		return conf_fail_at(ps, inst->line,
				    "[member %s] feeds the data plane: [dataplane] enabled = yes",
				    m->name);
	if (m->n_allow && !(m->roles & GK_ROLE_BIT(GK_ROLE_SENDER)))
		return conf_fail_at(ps, conf_key_line(inst, SECT_MEMBER, "allow"),
				    "allow: legacy hosts send through us, which needs role sender");
	if (m->n_allow && !cfg->gw_n_lan)
		return conf_fail_at(ps, conf_key_line(inst, SECT_MEMBER, "allow"),
				    "allow: no [gateway] lan interfaces to admit them on");
	for (size_t j = 0; j < i; j++)
		if (cfg->members[j].port == m->port && cfg->members[j].family == m->family &&
		    !memcmp(cfg->members[j].addr, m->addr, sizeof(m->addr)))
			return conf_fail_at(ps, conf_key_line(inst, SECT_MEMBER, "address"),
					    "address: [member %s] has %s port %u already",
					    cfg->members[j].name, m->address, m->port);
	return 0;
}

bool gkd_conf_ifname_listed(const char names[][GKD_IFNAME_MAX], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static int check_gateway(struct conf_parse *ps)
{
	struct gkd_config *cfg = ps->cfg;
	const struct conf_inst *inst = &ps->single[SECT_GATEWAY];
	unsigned lan_line = conf_key_line(inst, SECT_GATEWAY, "lan");

	if (!inst->line)
		return 0;
	if (!cfg->gw_n_lan || !cfg->gw_n_wan)
		return conf_fail_at(ps, inst->line, "[gateway] needs both wan and lan");
	if (!cfg->dp_enabled)
		return conf_fail_at(ps, inst->line, "[gateway] needs [dataplane] enabled = yes");
	for (size_t i = 0; i < cfg->gw_n_lan; i++)
		if (gkd_conf_ifname_listed(cfg->gw_wan, cfg->gw_n_wan, cfg->gw_lan[i]) ||
		    gkd_conf_ifname_listed(cfg->dp_ifnames, cfg->dp_n_ifaces, cfg->gw_lan[i]))
			return conf_fail_at(ps, lan_line,
					    "lan: %s is also a wan or [dataplane] interface",
					    cfg->gw_lan[i]);
	for (size_t i = 0; i < cfg->n_members; i++)
		if (cfg->members[i].n_allow)
			return 0;
	return conf_fail_at(ps, inst->line,
			    "[gateway]: no [member] has an allow list, so no legacy host may send");
}

int conf_check_members(struct conf_parse *ps)
{
	int err = 0;

	for (size_t i = 0; !err && i < ps->cfg->n_members; i++)
		err = check_member(ps, i);
	return err ? err : check_gateway(ps);
}

const struct gkd_member_conf *gkd_conf_member(const struct gkd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_members; i++)
		if (!strcmp(cfg->members[i].name, name))
			return &cfg->members[i];
	return NULL;
}
