// SPDX-License-Identifier: BSD-3-Clause
/* Tests for [member NAME], [gateway] and [kdc] enabled = no: fields, defaults, each refusal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conf.h"
#include "harness.h"

#define PSK16 "000102030405060708090a0b0c0d0e0f"
#define NO_KDC "[as]\nenabled = no\n[kdc]\nenabled = no\n"
#define DP "[dataplane]\nenabled = yes\ninterfaces = eth0\n"
#define MEMBER                                                                     \
	"[member demo]\nkdc = coaps://[2001:db8::1]:5684\nclient_id = host-a\n"   \
	"psk = " PSK16 "\naddress = 239.1.2.3\n"

struct fx {
	char dir[64], path[128], err[1024];
	struct gkd_config *cfg;
};

static int load(struct fx *f, const char *text)
{
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/gk-confm.XXXXXX");
	ASSERT_TRUE(mkdtemp(f->dir) != NULL);
	snprintf(f->path, sizeof(f->path), "%s/g.conf", f->dir);
	fp = fopen(f->path, "w");
	ASSERT_TRUE(fp != NULL);
	ASSERT_TRUE(fputs(text, fp) >= 0);
	ASSERT_EQ(fclose(fp), 0);
	ASSERT_EQ(chmod(f->path, 0600), 0);
	f->cfg = calloc(1, sizeof(*f->cfg));
	ASSERT_TRUE(f->cfg != NULL);
	return gkd_conf_load(f->path, f->cfg, f->err, sizeof(f->err));
}

static void fx_free(struct fx *f)
{
	char cmd[128];

	gkd_conf_wipe(f->cfg);
	free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", f->dir);
	ASSERT_EQ(system(cmd), 0);
}

static void refused(const char *text, unsigned line, const char *what)
{
	struct fx f;
	char prefix[160];

	EXPECT_EQ(load(&f, text), -EINVAL);
	TH_LOG("%s", f.err);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", f.path, line);
	EXPECT_EQ(strncmp(f.err, prefix, strlen(prefix)), 0);
	EXPECT_TRUE(strstr(f.err, what) != NULL);
	fx_free(&f);
}

TEST(member_only_host_defaults)
{
	struct fx f;
	const struct gkd_member_conf *m;

	ASSERT_EQ(load(&f, NO_KDC MEMBER DP), 0);
	EXPECT_FALSE(f.cfg->kdc_enabled);
	ASSERT_EQ(f.cfg->n_members, 1);
	m = gkd_conf_member(f.cfg, "demo");
	ASSERT_TRUE(m != NULL);
	EXPECT_STREQ(m->group, "demo");
	EXPECT_STREQ(m->kdc, "coaps://[2001:db8::1]:5684");
	/* The AS defaults to the KDC's host and port (the embedded AS serves /token there). */
	EXPECT_STREQ(m->as_uri, "coaps://[2001:db8::1]:5684/token");
	EXPECT_STREQ(m->authz_info, "");
	EXPECT_STREQ(m->audience, "groupkeyd-kdc");
	EXPECT_STREQ(m->client_id, "host-a");
	EXPECT_EQ(m->psk_len, 16);
	EXPECT_EQ(m->roles, GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_RECEIVER));
	EXPECT_EQ(m->family, AF_INET);
	EXPECT_EQ(m->addr[0], 239);
	EXPECT_EQ(m->addr[3], 3);
	EXPECT_EQ(m->port, 5683);
	EXPECT_EQ(m->n_allow, 0);
	EXPECT_TRUE(gkd_conf_member(f.cfg, "other") == NULL);
	fx_free(&f);
}

TEST(gateway_with_allow_list)
{
	struct fx f;
	const struct gkd_member_conf *m;

	ASSERT_EQ(load(&f, MEMBER "group = sensors\nas = coaps://as.example:6000/token\n"
			       "allow = 10.1.0.0/24, fd00:1::/64 192.0.2.7\nport = 5000\n"
			       "[gateway]\nwan = eth0\nlan = eth1 eth2\n"
			       "[dataplane]\nenabled = yes\n"),
		  0);
	m = &f.cfg->members[0];
	EXPECT_STREQ(m->group, "sensors");
	EXPECT_STREQ(m->as_uri, "coaps://as.example:6000/token");
	EXPECT_EQ(m->port, 5000);
	ASSERT_EQ(m->n_allow, 3);
	EXPECT_EQ(m->allow[0].family, AF_INET);
	EXPECT_EQ(m->allow[0].len, 24);
	EXPECT_STREQ(m->allow[0].text, "10.1.0.0/24");
	EXPECT_EQ(m->allow[1].family, AF_INET6);
	EXPECT_EQ(m->allow[1].len, 64);
	EXPECT_EQ(m->allow[2].len, 32);
	EXPECT_EQ(f.cfg->gw_n_wan, 1);
	ASSERT_EQ(f.cfg->gw_n_lan, 2);
	EXPECT_STREQ(f.cfg->gw_lan[1], "eth2");
	fx_free(&f);
}

TEST(err_member_incomplete)
{
	refused(NO_KDC "[member demo]\nkdc = coaps://h\nclient_id = a\naddress = 239.1.1.1\n" DP, 5,
		"[member demo] has no psk");
	refused(NO_KDC "[member demo]\nclient_id = a\npsk = " PSK16 "\naddress = 239.1.1.1\n" DP,
		5, "[member demo] has no kdc");
}

TEST(err_member_values)
{
	refused(NO_KDC "[member demo]\nkdc = coap://h:5683\n", 6, "not a coaps:// URI");
	refused(NO_KDC "[member demo]\nkdc = coaps://\n", 6, "not a coaps:// URI");
	refused(NO_KDC "[member demo]\nauthz_info = coaps://h/authz-info\n", 6,
		"not a coap:// URI");
	refused(NO_KDC "[member demo]\naddress = 10.0.0.1\n", 6, "not an IPv4 multicast");
	refused(NO_KDC "[member demo]\nallow = 10.0.0.0/33\n", 6, "no prefix length 0..32");
	refused(NO_KDC "[member demo]\nallow = fd00::/129\n", 6, "no prefix length 0..128");
	refused(NO_KDC "[member demo]\nallow = host.example\n", 6, "not an IPv4 or IPv6");
	refused(NO_KDC "[member demo]\npsk = 0011\n", 6, "bytes, must be 16..64");
	refused(NO_KDC "[member demo]\nroles = sender,admin\n", 6, "unknown role 'admin'");
	refused(NO_KDC "[member demo]\ngroup = a/b\n", 6, "not a group name");
	refused(NO_KDC "[member a/b]\n", 5, "a name is 1..64");
}

TEST(err_member_combinations)
{
	refused(NO_KDC MEMBER "roles = sender, monitor\n" DP, 10, "exclude each other");
	refused(NO_KDC MEMBER, 5, "[dataplane] enabled = yes");
	refused(NO_KDC MEMBER "allow = 10.0.0.0/8\n" DP, 10, "no [gateway] lan");
	refused(NO_KDC MEMBER "roles = receiver\nallow = 10.0.0.0/8\n" DP, 11, "needs role sender");
	refused(NO_KDC MEMBER "[member other]\nkdc = coaps://h\nclient_id = b\npsk = " PSK16
			      "\naddress = 239.1.2.3\n" DP,
		14, "has 239.1.2.3 port 5683 already");
	refused(NO_KDC MEMBER "[member demo]\n", 10, "duplicate [member demo]");
}

TEST(err_gateway)
{
	refused(NO_KDC MEMBER "[gateway]\nwan = eth1\n" DP, 10, "needs both wan and lan");
	refused(NO_KDC MEMBER "allow = 10.0.0.0/8\n[gateway]\nwan = eth1\nlan = eth0\n" DP, 13,
		"eth0 is also a wan or [dataplane] interface");
	refused(NO_KDC MEMBER "[gateway]\nwan = eth1\nlan = eth2\n" DP, 10, "no [member] has an allow");
}

TEST(err_no_kdc)
{
	refused("[kdc]\nenabled = no\n" MEMBER DP, 2, "needs [as] enabled = no too");
	refused(NO_KDC "[group g]\nroles = sender\n" MEMBER DP, 4, "would serve nothing");
	refused(NO_KDC, 4, "nothing to do");
}
