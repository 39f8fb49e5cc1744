// SPDX-License-Identifier: BSD-3-Clause
/* The [group NAME] keys (docs/config.md): values, defaults, each refusal with its line. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "harness.h"

struct fixture {
	char dir[64];
	char path[128];
	char err[1024];
	struct gkd_config *cfg;
};

static void fixture_init(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/gk-kdc-conf.XXXXXX");
	ASSERT_TRUE(mkdtemp(f->dir) != NULL);
	snprintf(f->path, sizeof(f->path), "%s/groupkeyd.conf", f->dir);
	f->cfg = calloc(1, sizeof(*f->cfg));
	ASSERT_TRUE(f->cfg != NULL);
}

static void fixture_fini(struct fixture *f)
{
	gkd_conf_wipe(f->cfg);
	free(f->cfg);
	unlink(f->path);
	rmdir(f->dir);
}

static int load(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	ASSERT_TRUE(fp != NULL);
	ASSERT_TRUE(fputs(text, fp) >= 0);
	ASSERT_EQ(fclose(fp), 0);
	return gkd_conf_load(f->path, f->cfg, f->err, sizeof(f->err));
}

static void expect_error(const char *text, unsigned line, const char *what)
{
	struct fixture f;
	char prefix[160];

	fixture_init(&f);
	EXPECT_EQ(load(&f, text), -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", f.path, line);
	TH_LOG("%s", f.err);
	EXPECT_EQ(strncmp(f.err, prefix, strlen(prefix)), 0);
	EXPECT_TRUE(strstr(f.err, what) != NULL);
	EXPECT_EQ(f.cfg->n_groups, 0);
	fixture_fini(&f);
}

TEST(group_keys)
{
	struct in6_addr a6;
	struct fixture f;
	const struct gkd_group_conf *g;

	fixture_init(&f);
	ASSERT_EQ(load(&f, "[group v4]\n"
			   "address = 239.1.2.3\n"
			   "port = 6000\n"
			   "key_lifetime = 7200\n"
			   "rekey_margin = 600\n"
			   "rekey_on_join = no\n"
			   "rekey_on_leave = off\n"
			   "recv_grace = 30\n"
			   "max_members = 100\n"
			   "require_cred = false\n"
			   "roles = receiver\n"
			   "[group v6]\n"
			   "address = ff05::1:3\n"),
		  0);
	ASSERT_EQ(f.cfg->n_groups, 2);
	g = &f.cfg->groups[0];
	EXPECT_STREQ(g->address, "239.1.2.3");
	EXPECT_EQ(g->family, AF_INET);
	EXPECT_MEMEQ(g->addr, "\xef\x01\x02\x03", 4);
	EXPECT_EQ(g->port, 6000);
	EXPECT_EQ(g->key_lifetime, 7200);
	EXPECT_EQ(g->rekey_margin, 600);
	EXPECT_FALSE(g->rekey_on_join);
	EXPECT_FALSE(g->rekey_on_leave);
	EXPECT_EQ(g->recv_grace, 30);
	EXPECT_EQ(g->max_members, 100);
	EXPECT_FALSE(g->require_cred);
	EXPECT_EQ(g->roles, GK_ROLE_BIT(GK_ROLE_RECEIVER));
	g = &f.cfg->groups[1];
	EXPECT_STREQ(g->address, "ff05::1:3");
	EXPECT_EQ(g->family, AF_INET6);
	ASSERT_EQ(inet_pton(AF_INET6, "ff05::1:3", &a6), 1);
	EXPECT_MEMEQ(g->addr, &a6, 16);
	fixture_fini(&f);
}

TEST(group_defaults)
{
	struct fixture f;
	const struct gkd_group_conf *g;

	fixture_init(&f);
	ASSERT_EQ(load(&f, "[group plain]\n"), 0);
	g = &f.cfg->groups[0];
	EXPECT_STREQ(g->address, "");
	EXPECT_EQ(g->family, 0);
	EXPECT_EQ(g->port, 5683);
	EXPECT_EQ(g->key_lifetime, 86400);
	EXPECT_EQ(g->rekey_margin, 300);
	EXPECT_TRUE(g->rekey_on_join);
	EXPECT_TRUE(g->rekey_on_leave);
	EXPECT_EQ(g->recv_grace, 60);
	EXPECT_EQ(g->max_members, 4096);
	EXPECT_TRUE(g->require_cred);
	EXPECT_EQ(g->roles, GK_ROLES_ALL);
	fixture_fini(&f);
}

TEST(group_errors)
{
	expect_error("[group g]\naddress = 10.0.0.1\n", 2, "not an IPv4 multicast address");
	expect_error("[group g]\naddress = 2001:db8::1\n", 2, "not an IPv6 multicast address");
	expect_error("[group g]\naddress = group.example\n", 2, "is not an IPv4 or IPv6 address");
	expect_error("[group g]\nport = 0\n", 2, "port: 0 is out of range 1..65535");
	expect_error("[group g]\nkey_lifetime = 59\n", 2, "key_lifetime: 59 is out of range");
	expect_error("[group g]\nmax_members = 0\n", 2, "max_members: 0 is out of range");
	expect_error("[group g]\nrecv_grace = 86401\n", 2, "recv_grace: 86401 is out of range");
	expect_error("[group g]\nrekey_on_join = maybe\n", 2, "'maybe' is not yes or no");
	expect_error("[group g]\nrequire_cred = 2\n", 2, "'2' is not yes or no");
	expect_error("[group g]\nkey_lifetime = 600\nrekey_margin = 600\n", 3,
		     "rekey_margin 600 must be less than key_lifetime 600");
	/* The default margin (300) against a short lifetime: the lifetime's line. */
	expect_error("[group g]\nkey_lifetime = 300\n", 2,
		     "rekey_margin 300 must be less than key_lifetime 300");
	expect_error("[group g]\naddress = 239.1.1.1\naddress = 239.1.1.2\n", 3,
		     "duplicate key 'address'");
}
