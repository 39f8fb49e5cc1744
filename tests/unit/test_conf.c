// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the configuration parser: defaults, a full file, every error class with its line. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "conf.h"
#include "groupkey/crypto.h"
#include "groupkey/util.h"
#include "harness.h"

#define PSK16 "000102030405060708090a0b0c0d0e0f"
#define PSK32 PSK16 "101112131415161718191a1b1c1d1e1f"
/* COSE_Key {1: 4, -1: h'0102...10'} */
#define SYM_COSE_KEY "a2010420500102030405060708090a0b0c0d0e0f10"

struct fixture {
	char dir[64];
	char path[128];
	char err[1024];
	struct gkd_config *cfg;
};

static void fixture_init(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/gk-conf.XXXXXX");
	ASSERT_TRUE(mkdtemp(f->dir) != NULL);
	snprintf(f->path, sizeof(f->path), "%s/groupkeyd.conf", f->dir);
	f->cfg = calloc(1, sizeof(*f->cfg));
	ASSERT_TRUE(f->cfg != NULL);
}

static void fixture_fini(struct fixture *f)
{
	char cmd[128];

	gkd_conf_wipe(f->cfg);
	free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", f->dir);
	ASSERT_EQ(system(cmd), 0);
}

static void write_file(const char *path, unsigned mode, const char *text)
{
	FILE *fp = fopen(path, "w");

	ASSERT_TRUE(fp != NULL);
	ASSERT_EQ(fputs(text, fp) >= 0, 1);
	ASSERT_EQ(fclose(fp), 0);
	ASSERT_EQ(chmod(path, mode), 0);
}

static int load(struct fixture *f, const char *text)
{
	write_file(f->path, 0600, text);
	return gkd_conf_load(f->path, f->cfg, f->err, sizeof(f->err));
}

/* The file is refused with "PATH:LINE: ..." and the message names the problem. */
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
	/* Nothing of the refused file is left behind. */
	EXPECT_EQ(f.cfg->n_clients, 0);
	EXPECT_EQ(f.cfg->n_groups, 0);
	EXPECT_EQ(f.cfg->coap_port, 5683);
	fixture_fini(&f);
}

#define GROUP_DEMO "[group demo]\nroles = sender,receiver\n"

TEST(defaults)
{
	struct gkd_config *cfg = calloc(1, sizeof(*cfg));

	ASSERT_TRUE(cfg != NULL);
	memset(cfg, 0xa5, sizeof(*cfg));
	gkd_conf_defaults(cfg);
	EXPECT_STREQ(cfg->state_dir, GK_LOCALSTATEDIR "/lib/groupkeyd");
	EXPECT_EQ(cfg->log_level, GK_LOG_INFO);
	EXPECT_STREQ(cfg->listen, "::");
	EXPECT_EQ(cfg->coap_port, 5683);
	EXPECT_EQ(cfg->coaps_port, 5684);
	EXPECT_TRUE(cfg->as_enabled);
	EXPECT_STREQ(cfg->as_issuer, "groupkeyd-as");
	EXPECT_EQ(cfg->token_lifetime, 3600);
	EXPECT_STREQ(cfg->kdc_audience, "groupkeyd-kdc");
	EXPECT_FALSE(cfg->as_kdc_key_set);
	EXPECT_STREQ(cfg->as_kdc_key_file, "");
	EXPECT_EQ(cfg->max_payload, 2048);
	EXPECT_EQ(cfg->authz_rate, 10);
	EXPECT_EQ(cfg->authz_burst, 20);
	EXPECT_EQ(cfg->purge_interval, 60);
	EXPECT_EQ(cfg->n_clients, 0);
	EXPECT_EQ(cfg->n_trusted_as, 0);
	EXPECT_EQ(cfg->n_groups, 0);
	free(cfg);
}

TEST(empty_file_is_defaults)
{
	struct fixture f;

	fixture_init(&f);
	ASSERT_EQ(load(&f, "# nothing\n\n; still nothing\n"), 0);
	EXPECT_STREQ(f.cfg->path, f.path);
	EXPECT_EQ(f.cfg->coaps_port, 5684);
	EXPECT_TRUE(f.cfg->as_enabled);
	fixture_fini(&f);
}

static const char full_conf[] = "; every key\n"
				"[daemon]\n"
				"state_dir = /srv/gk state\n"
				"log_level = debug\n"
				"listen = ::1\n"
				"coap_port = 15683\n"
				"coaps_port = 15684 ; a comment\n"
				"\n"
				"[as]\n"
				"enabled = no\n"
				"issuer = coaps://as.example\n"
				"token_lifetime = 600\n"
				"[kdc]\n"
				"audience = kdc-1\n"
				"as_kdc_key = " SYM_COSE_KEY "\n"
				"max_payload = 1024\n"
				"authz_rate = 0\n"
				"authz_burst = 5\n"
				"purge_interval = 30\n"
				"[group demo]\n"
				"roles = sender, receiver , monitor\n"
				"[group other.grp]\n"
				"roles = monitor\n"
				"[group all]\n"
				"[client alice]\n"
				"psk = " PSK16 "\n"
				"scope = demo:sender,receiver; other.grp:monitor\n"
				"[client bob@example]\n"
				"  psk = " PSK32 PSK32 "\n"
				"  scope = all : monitor\n"
				"[trusted-as ext]\n"
				"issuer = https://ext.example/as\n"
				"key = " SYM_COSE_KEY "\n"
				"alg = HMAC256/64\n"
				"[trusted-as ext2]\n"
				"key = " SYM_COSE_KEY "\n"
				"alg = 10\n";

TEST(full_file_exact_fields)
{
	const struct gkd_client_conf *c;
	struct gkd_config *cfg;
	struct fixture f;
	size_t n;
	uint8_t *k;

	fixture_init(&f);
	cfg = f.cfg;
	ASSERT_EQ(load(&f, full_conf), 0);
	EXPECT_STREQ(f.err, "");
	EXPECT_STREQ(cfg->state_dir, "/srv/gk state");
	EXPECT_EQ(cfg->log_level, GK_LOG_DEBUG);
	EXPECT_STREQ(cfg->listen, "::1");
	EXPECT_EQ(cfg->coap_port, 15683);
	EXPECT_EQ(cfg->coaps_port, 15684);
	EXPECT_FALSE(cfg->as_enabled);
	EXPECT_STREQ(cfg->as_issuer, "coaps://as.example");
	EXPECT_EQ(cfg->token_lifetime, 600);
	EXPECT_STREQ(cfg->kdc_audience, "kdc-1");
	EXPECT_TRUE(cfg->as_kdc_key_set);
	EXPECT_EQ(cfg->as_kdc_key.kty, GK_COSE_KTY_SYMMETRIC);
	EXPECT_EQ(cfg->as_kdc_key.k_len, 16);
	k = gk_test_unhex("0102030405060708090a0b0c0d0e0f10", &n);
	EXPECT_MEMEQ(cfg->as_kdc_key.k, k, 16);
	EXPECT_STREQ(cfg->as_kdc_key_file, "");
	EXPECT_EQ(cfg->max_payload, 1024);
	EXPECT_EQ(cfg->authz_rate, 0);
	EXPECT_EQ(cfg->authz_burst, 5);
	EXPECT_EQ(cfg->purge_interval, 30);

	ASSERT_EQ(cfg->n_groups, 3);
	EXPECT_STREQ(cfg->groups[0].name, "demo");
	EXPECT_EQ(cfg->groups[0].roles, GK_ROLES_ALL);
	EXPECT_STREQ(cfg->groups[1].name, "other.grp");
	EXPECT_EQ(cfg->groups[1].roles, GK_ROLE_BIT(GK_ROLE_MONITOR));
	/* A group section without roles allows all three. */
	EXPECT_STREQ(cfg->groups[2].name, "all");
	EXPECT_EQ(cfg->groups[2].roles, GK_ROLES_ALL);
	EXPECT_TRUE(gkd_conf_group(cfg, "other.grp") == &cfg->groups[1]);
	EXPECT_TRUE(gkd_conf_group(cfg, "nope") == NULL);

	ASSERT_EQ(cfg->n_clients, 2);
	c = &cfg->clients[0];
	EXPECT_STREQ(c->id, "alice");
	EXPECT_EQ(c->psk_len, 16);
	free(k);
	k = gk_test_unhex(PSK16, &n);
	EXPECT_MEMEQ(c->psk, k, 16);
	free(k);
	ASSERT_EQ(c->allowed.n, 2);
	EXPECT_STREQ(c->allowed.e[0].group, "demo");
	EXPECT_EQ(c->allowed.e[0].roles,
		  GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_RECEIVER));
	EXPECT_STREQ(c->allowed.e[1].group, "other.grp");
	EXPECT_EQ(c->allowed.e[1].roles, GK_ROLE_BIT(GK_ROLE_MONITOR));
	c = &cfg->clients[1];
	EXPECT_STREQ(c->id, "bob@example");
	EXPECT_EQ(c->psk_len, 64);
	k = gk_test_unhex(PSK32 PSK32, &n);
	EXPECT_MEMEQ(c->psk, k, 64);
	free(k);
	ASSERT_EQ(c->allowed.n, 1);
	EXPECT_STREQ(c->allowed.e[0].group, "all");
	EXPECT_EQ(c->allowed.e[0].roles, GK_ROLE_BIT(GK_ROLE_MONITOR));
	EXPECT_TRUE(gkd_conf_client(cfg, "alice", 5) == &cfg->clients[0]);
	EXPECT_TRUE(gkd_conf_client(cfg, "alicex", 5) == &cfg->clients[0]);
	EXPECT_TRUE(gkd_conf_client(cfg, "alice", 4) == NULL);
	EXPECT_TRUE(gkd_conf_client(cfg, "bob@example", 11) == &cfg->clients[1]);

	ASSERT_EQ(cfg->n_trusted_as, 2);
	EXPECT_STREQ(cfg->trusted_as[0].issuer, "https://ext.example/as");
	EXPECT_EQ(cfg->trusted_as[0].alg, GK_COSE_ALG_HMAC256_64);
	EXPECT_EQ(cfg->trusted_as[0].key.kty, GK_COSE_KTY_SYMMETRIC);
	EXPECT_EQ(cfg->trusted_as[0].key.k_len, 16);
	/* Without an issuer key the issuer is the section's name. */
	EXPECT_STREQ(cfg->trusted_as[1].issuer, "ext2");
	EXPECT_EQ(cfg->trusted_as[1].alg, GK_COSE_ALG_AES_CCM_16_64_128);
	fixture_fini(&f);
}

TEST(shipped_example_config)
{
	struct gkd_config *cfg = calloc(1, sizeof(*cfg));
	const char *src = getenv("GK_SRCDIR");
	char path[PATH_MAX], err[1024];

	ASSERT_TRUE(cfg != NULL);
	snprintf(path, sizeof(path), "%s/packaging/groupkeyd.conf", src ? src : ".");
	ASSERT_EQ(gkd_conf_load(path, cfg, err, sizeof(err)), 0);
	EXPECT_STREQ(cfg->listen, "127.0.0.1");
	EXPECT_TRUE(cfg->as_enabled);
	EXPECT_FALSE(cfg->as_kdc_key_set);
	ASSERT_EQ(cfg->n_groups, 1);
	EXPECT_STREQ(cfg->groups[0].name, "demo");
	EXPECT_EQ(cfg->groups[0].roles, GK_ROLES_ALL);
	ASSERT_EQ(cfg->n_clients, 1);
	EXPECT_STREQ(cfg->clients[0].id, "demo-client");
	EXPECT_EQ(cfg->clients[0].psk_len, 32);
	EXPECT_EQ(cfg->n_trusted_as, 0);
	gkd_conf_wipe(cfg);
	free(cfg);
}

TEST(missing_file)
{
	struct fixture f;
	char want[192];

	fixture_init(&f);
	EXPECT_EQ(gkd_conf_load(f.path, f.cfg, f.err, sizeof(f.err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", f.path);
	EXPECT_STREQ(f.err, want);
	EXPECT_EQ(gkd_conf_load(f.dir, f.cfg, f.err, sizeof(f.err)), -EINVAL);
	fixture_fini(&f);
}

/* --- one test per error class: exact file:line ---------------------------- */

TEST(err_unknown_section)
{
	expect_error("[daemon]\nlog_level = info\n\n[deamon]\n", 4, "unknown section [deamon]");
	/* An empty unknown section is found too: the reader sees headers. */
	expect_error("[as]\n[frobnicate]\n[kdc]\n", 2, "unknown section [frobnicate]");
}

TEST(err_unknown_key)
{
	expect_error("[daemon]\nlog_level = info\nlog_lvl = debug\n", 3,
		     "unknown key 'log_lvl' in [daemon]");
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = demo:sender\nkey = 1\n", 6,
		     "unknown key 'key' in [client]");
}

TEST(err_key_outside_section)
{
	expect_error("# top\nlog_level = info\n", 2, "before any [section]");
}

TEST(err_duplicate_key)
{
	expect_error("[daemon]\ncoap_port = 1000\n[as]\n[daemon]\ncoap_port = 2000\n", 5,
		     "duplicate key 'coap_port' (first at line 2)");
}

TEST(err_bad_number)
{
	expect_error("[as]\ntoken_lifetime = 12x\n", 2, "token_lifetime: '12x' is not a number");
	expect_error("[as]\ntoken_lifetime = -5\n", 2, "is not a number");
	expect_error("[kdc]\nauthz_rate = \n", 2, "authz_rate: '' is not a number");
	expect_error("[kdc]\npurge_interval = 99999999999999999999999\n", 2, "out of range");
}

TEST(err_port_range)
{
	expect_error("[daemon]\n\ncoap_port = 0\n", 3, "coap_port: 0 is out of range 1..65535");
	expect_error("[daemon]\ncoaps_port = 70000\n", 2,
		     "coaps_port: 70000 is out of range 1..65535");
	expect_error("[daemon]\ncoaps_port = 6000\ncoap_port = 6000\n", 3,
		     "coap_port and coaps_port are both 6000");
}

TEST(err_bad_hex)
{
	expect_error(GROUP_DEMO "[client a]\npsk = 00112233445566778899aabbccddeefg\n", 4,
		     "psk: not a hex string");
	expect_error("[kdc]\nas_kdc_key = abc\n", 2, "as_kdc_key: not a hex string");
	expect_error("[trusted-as x]\nkey = zz\nalg = 10\n", 2, "key: not a hex string");
}

TEST(err_psk_length)
{
	expect_error(GROUP_DEMO "[client a]\nscope = demo:sender\n"
				"psk = 000102030405060708090a0b0c0d0e\n",
		     5, "psk: 15 bytes, must be 16..64");
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK32 PSK32 "00\n", 4,
		     "psk: 65 bytes, must be 16..64");
}

TEST(err_secret_never_echoed)
{
	struct fixture f;

	fixture_init(&f);
	EXPECT_EQ(load(&f, GROUP_DEMO "[client a]\npsk = 0badc0ffee0badc0ffee0badc0ffee\n"),
		  -EINVAL);
	EXPECT_TRUE(strstr(f.err, "0badc0ffee") == NULL);
	fixture_fini(&f);
}

TEST(err_bad_log_level)
{
	expect_error("[daemon]\nlog_level = verbose\n", 2,
		     "log_level: 'verbose' is not one of error, warning, info, debug");
}

TEST(err_bad_values)
{
	expect_error("[daemon]\nlisten = localhost\n", 2, "is not an IPv4 or IPv6 address");
	expect_error("[daemon]\nstate_dir = var/lib\n", 2, "is not an absolute path");
	expect_error("[as]\nenabled = maybe\n", 2, "enabled: 'maybe' is not yes or no");
	expect_error("[as]\nissuer = two words\n", 2, "issuer: 'two words' is not");
	expect_error("[kdc]\nmax_payload = 100\n", 2, "out of range 256..65536");
	expect_error("[trusted-as x]\nkey = " SYM_COSE_KEY "\nalg = RS256\n", 3,
		     "alg: 'RS256' is not one of");
}

TEST(err_bad_scope_syntax)
{
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = demo\n", 5,
		     "scope: 'demo' is not GROUP:ROLE[,ROLE]");
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = demo:sender;;\n", 5,
		     "scope: empty entry");
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = de/mo:sender\n", 5,
		     "scope: 'de/mo' is not a valid group name");
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = demo:sender;demo:receiver\n",
		     5, "scope: group 'demo' named twice");
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = demo:sender,\n", 5,
		     "scope: empty role");
}

TEST(err_unknown_role)
{
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = demo:sender,admin\n", 5,
		     "scope: unknown role 'admin'");
	expect_error("[group g]\nroles = sender,reciever\n", 2, "roles: unknown role 'reciever'");
	expect_error("[group g]\nroles = sender,sender\n", 2, "roles: role 'sender' named twice");
}

TEST(scope_may_name_a_later_group)
{
	struct fixture f;

	fixture_init(&f);
	ASSERT_EQ(load(&f, "[client a]\npsk = " PSK16 "\nscope = demo:sender\n" GROUP_DEMO), 0);
	ASSERT_EQ(f.cfg->n_clients, 1);
	EXPECT_STREQ(f.cfg->clients[0].allowed.e[0].group, "demo");
	fixture_fini(&f);
}

TEST(err_scope_outside_groups)
{
	/* Checked after the whole file: reported at the scope line. */
	expect_error("[client a]\npsk = " PSK16 "\nscope = nope:sender\n" GROUP_DEMO, 3,
		     "scope: no [group nope] section");
	expect_error("[client a]\npsk = " PSK16 "\nscope = demo:monitor,sender\n" GROUP_DEMO, 3,
		     "scope: group demo has no role monitor");
}

TEST(err_client_incomplete)
{
	expect_error(GROUP_DEMO "\n[client a]\nscope = demo:sender\n", 4, "[client a] has no psk");
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\n", 3, "[client a] has no scope");
}

TEST(err_duplicate_client)
{
	expect_error(GROUP_DEMO "[client a]\npsk = " PSK16 "\nscope = demo:sender\n"
				"[client b]\npsk = " PSK16 "\nscope = demo:sender\n"
				"[client a]\n",
		     9, "duplicate [client a] (first at line 3)");
}

TEST(err_duplicate_group)
{
	expect_error(GROUP_DEMO "[group demo]\n", 3, "duplicate [group demo] (first at line 1)");
}

TEST(err_section_names)
{
	expect_error("[client]\n", 1, "[client] needs a name: [client NAME]");
	expect_error("[daemon main]\n", 1, "[daemon] takes no name");
	expect_error("[group a b]\n", 1, "one name at most");
	expect_error("[group ..]\n", 1, "[group ..]: a group name is");
	expect_error("[group demo\n", 1, "section header without ']'");
	expect_error("[group demo] roles = x\n", 1, "text after the section header");
}

TEST(err_syntax)
{
	/* inih's own error (no '='), numbered like ours. */
	expect_error("[daemon]\nlog_level = info\njust words\n", 3, "syntax error");
	/* Values are one line: an indented line is not a continuation. */
	expect_error("[client a]\npsk = " PSK16 "\n    " PSK16 "\n", 3, "syntax error");
}

TEST(err_long_line)
{
	char text[600];

	snprintf(text, sizeof(text), "[kdc]\naudience = %0*d\n", 300, 0);
	expect_error(text, 2, "line longer than 197 characters");
}

TEST(long_comment_is_fine)
{
	struct fixture f;
	char text[3000];

	fixture_init(&f);
	snprintf(text, sizeof(text), "# %0*d\n[daemon]\n; %0*d\ncoap_port = 1\n", 400, 0, 2500, 0);
	ASSERT_EQ(load(&f, text), 0);
	EXPECT_EQ(f.cfg->coap_port, 1);
	/* Line numbers still count the long comments as one line each. */
	snprintf(text, sizeof(text), "# %0*d\n[daemon]\n; %0*d\ncoap_port = 0\n", 400, 0, 2500, 0);
	ASSERT_EQ(load(&f, text), -EINVAL);
	EXPECT_TRUE(strstr(f.err, ".conf:4: coap_port: 0 is out of range") != NULL);
	fixture_fini(&f);
}

TEST(err_no_token_source)
{
	expect_error("[daemon]\n[as]\nenabled = no\n", 3,
		     "the AS is disabled and there is no [trusted-as]: "
		     "the KDC could accept no token");
	/* The AS-KDC key serves the embedded AS only: it is no token source without it. */
	expect_error("[kdc]\nas_kdc_key = " PSK16 "\n[as]\nenabled = no\n", 4,
		     "the KDC could accept no token");
}

TEST(err_trusted_as)
{
	expect_error("[trusted-as x]\nalg = 10\n", 1, "[trusted-as x] has no key");
	expect_error("[trusted-as x]\nkey = " SYM_COSE_KEY "\n", 1, "[trusted-as x] has no alg");
	expect_error("[trusted-as x]\nkey = " SYM_COSE_KEY "\nalg = ES256\n", 3,
		     "alg: -7 does not fit the key");
	expect_error("[trusted-as x]\nkey = a1\nalg = ES256\n", 2, "key: not a valid COSE_Key");
	expect_error("[trusted-as x]\nkey = " SYM_COSE_KEY "\nalg = 10\n[trusted-as x]\n", 4,
		     "duplicate [trusted-as x] (first at line 1)");
}

/* --- the AS-KDC key ------------------------------------------------------- */

TEST(as_kdc_key_raw_hex)
{
	struct fixture f;
	uint8_t *k;
	size_t n;

	fixture_init(&f);
	ASSERT_EQ(load(&f, "[kdc]\nas_kdc_key = h'" PSK16 "'\n"), 0);
	EXPECT_TRUE(f.cfg->as_kdc_key_set);
	EXPECT_EQ(f.cfg->as_kdc_key.kty, GK_COSE_KTY_SYMMETRIC);
	ASSERT_EQ(f.cfg->as_kdc_key.k_len, 16);
	k = gk_test_unhex(PSK16, &n);
	EXPECT_MEMEQ(f.cfg->as_kdc_key.k, k, 16);
	free(k);
	fixture_fini(&f);
	/* 32 bytes is neither a raw AES-128 key nor a COSE_Key. */
	expect_error("[kdc]\nas_kdc_key = " PSK32 "\n", 2, "as_kdc_key: not 16 bytes nor");
}

TEST(as_kdc_key_file)
{
	struct fixture f;
	char key[160], text[256];

	fixture_init(&f);
	snprintf(key, sizeof(key), "%s/as.key", f.dir);
	write_file(key, 0600, PSK16 "\n");
	snprintf(text, sizeof(text), "[kdc]\nas_kdc_key_file = %s\n", key);
	ASSERT_EQ(load(&f, text), 0);
	EXPECT_TRUE(f.cfg->as_kdc_key_set);
	EXPECT_STREQ(f.cfg->as_kdc_key_file, key);
	EXPECT_EQ(f.cfg->as_kdc_key.k_len, 16);
	EXPECT_EQ(f.cfg->as_kdc_key.k[15], 0x0f);
	/* A key file others can read is refused. */
	ASSERT_EQ(chmod(key, 0640), 0);
	EXPECT_EQ(load(&f, text), -EINVAL);
	EXPECT_TRUE(strstr(f.err, ":2: as_kdc_key_file: ") != NULL);
	EXPECT_TRUE(strstr(f.err, "mode 0640 gives group or others access") != NULL);
	/* Key and file together are a contradiction. */
	ASSERT_EQ(chmod(key, 0600), 0);
	snprintf(text, sizeof(text), "[kdc]\nas_kdc_key_file = %s\nas_kdc_key = " PSK16 "\n", key);
	EXPECT_EQ(load(&f, text), -EINVAL);
	EXPECT_TRUE(strstr(f.err, ":3: as_kdc_key: as_kdc_key and as_kdc_key_file are "
				  "exclusive") != NULL);
	snprintf(text, sizeof(text), "[kdc]\nas_kdc_key_file = %s/none\n", f.dir);
	EXPECT_EQ(load(&f, text), -EINVAL);
	EXPECT_TRUE(strstr(f.err, "none: No such file or directory") != NULL);
	fixture_fini(&f);
}

TEST(as_kdc_key_generated_once)
{
	struct gk_rng *rng;
	struct fixture f;
	char keyfile[160];
	uint8_t first[16];
	struct stat st;

	fixture_init(&f);
	ASSERT_EQ(gk_rng_new(&rng), 0);
	gkd_conf_defaults(f.cfg);
	snprintf(f.cfg->state_dir, sizeof(f.cfg->state_dir), "%s", f.dir);
	snprintf(keyfile, sizeof(keyfile), "%s/as-kdc.key", f.dir);
	ASSERT_EQ(gkd_conf_ensure_as_kdc_key(f.cfg, rng, f.err, sizeof(f.err)), 0);
	EXPECT_TRUE(f.cfg->as_kdc_key_set);
	EXPECT_STREQ(f.cfg->as_kdc_key_file, keyfile);
	ASSERT_EQ(f.cfg->as_kdc_key.k_len, 16);
	memcpy(first, f.cfg->as_kdc_key.k, 16);
	ASSERT_EQ(stat(keyfile, &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600);
	EXPECT_EQ(st.st_size, 33);
	/* The next start reads the same key. */
	f.cfg->as_kdc_key_set = false;
	memset(&f.cfg->as_kdc_key, 0, sizeof(f.cfg->as_kdc_key));
	ASSERT_EQ(gkd_conf_ensure_as_kdc_key(f.cfg, rng, f.err, sizeof(f.err)), 0);
	EXPECT_MEMEQ(f.cfg->as_kdc_key.k, first, 16);
	/* ... unless someone else could read it. */
	f.cfg->as_kdc_key_set = false;
	ASSERT_EQ(chmod(keyfile, 0644), 0);
	EXPECT_EQ(gkd_conf_ensure_as_kdc_key(f.cfg, rng, f.err, sizeof(f.err)), -EPERM);
	EXPECT_FALSE(f.cfg->as_kdc_key_set);
	gk_rng_free(rng);
	fixture_fini(&f);
}

TEST(as_kdc_key_not_generated_without_as)
{
	struct gk_rng *rng;
	struct fixture f;
	char keyfile[160];
	struct stat st;

	fixture_init(&f);
	ASSERT_EQ(gk_rng_new(&rng), 0);
	gkd_conf_defaults(f.cfg);
	f.cfg->as_enabled = false;
	snprintf(f.cfg->state_dir, sizeof(f.cfg->state_dir), "%s", f.dir);
	snprintf(keyfile, sizeof(keyfile), "%s/as-kdc.key", f.dir);
	ASSERT_EQ(gkd_conf_ensure_as_kdc_key(f.cfg, rng, f.err, sizeof(f.err)), 0);
	EXPECT_FALSE(f.cfg->as_kdc_key_set);
	EXPECT_EQ(stat(keyfile, &st), -1);
	gk_rng_free(rng);
	fixture_fini(&f);
}

TEST(wipe_clears_secrets)
{
	struct fixture f;
	uint8_t zero[GKD_PSK_MAX] = { 0 };

	fixture_init(&f);
	ASSERT_EQ(load(&f, full_conf), 0);
	gkd_conf_wipe(f.cfg);
	EXPECT_MEMEQ(f.cfg->clients[0].psk, zero, sizeof(zero));
	EXPECT_MEMEQ(f.cfg->as_kdc_key.k, zero, 16);
	EXPECT_EQ(f.cfg->n_clients, 0);
	fixture_fini(&f);
}
