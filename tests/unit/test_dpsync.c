// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for dpsync.c: the KDC-mode key rotation in the data plane, on a fake and on real maps. */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "dpsync.h"
#include "kdc_fixture.h"
#include "groupkey/log.h"

/* --- a fake data plane with gk_keys' slot rules (dp.h) ---------------------- */

struct fkey {
	bool used;
	uint32_t key_id;
	uint8_t k[GK_GC_GROUP_KEY_LEN];
	int64_t exp;
	uint32_t grace;
};

struct faddr {
	struct gk_dp_group_key addr;
	uint32_t group_id, flags, sender_id;
};

struct fdp {
	struct fkey keys[GKD_MAX_GROUPS][GK_DP_KEY_SLOTS];
	struct faddr addrs[8];
	size_t n_addrs;
	unsigned n_add, n_del;
	int fail_add; /* returned by the next key_add when non-zero */
};

static int f_group_set(void *dp, const struct gk_dp_group_key *addr, uint32_t group_id,
		       uint32_t flags, uint32_t sender_id)
{
	struct fdp *f = dp;

	if (f->n_addrs == GK_ARRAY_SIZE(f->addrs))
		return -ENOSPC;
	for (size_t i = 0; i < f->n_addrs; i++) {
		if (!memcmp(&f->addrs[i].addr, addr, sizeof(*addr))) {
			f->addrs[i] = (struct faddr){ *addr, group_id, flags, sender_id };
			return 0;
		}
	}
	f->addrs[f->n_addrs++] = (struct faddr){ *addr, group_id, flags, sender_id };
	return 0;
}

static int f_key_add(void *dp, uint32_t group_id, const char *group, uint32_t key_id,
		     const uint8_t *k, size_t len, int64_t exp, uint32_t recv_grace)
{
	struct fdp *f = dp;
	struct fkey *e = &f->keys[group_id][key_id % GK_DP_KEY_SLOTS];
	int err = f->fail_add;

	(void)group;
	f->fail_add = 0;
	if (err)
		return err;
	if (e->used)
		return e->key_id == key_id ? -EEXIST : -EBUSY;
	if (len != sizeof(e->k))
		return -EINVAL;
	*e = (struct fkey){ .used = true, .key_id = key_id, .exp = exp, .grace = recv_grace };
	memcpy(e->k, k, len);
	f->n_add++;
	return 0;
}

static int f_key_del(void *dp, uint32_t group_id, uint32_t key_id)
{
	struct fdp *f = dp;
	struct fkey *e = &f->keys[group_id][key_id % GK_DP_KEY_SLOTS];

	if (!e->used || e->key_id != key_id)
		return -ENOENT;
	memset(e, 0, sizeof(*e));
	f->n_del++;
	return 0;
}

static int f_keys(void *dp, uint32_t group_id, uint32_t ids[GK_DP_KEY_SLOTS], size_t *n)
{
	struct fdp *f = dp;

	*n = 0;
	for (size_t i = 0; i < GK_DP_KEY_SLOTS; i++)
		if (f->keys[group_id][i].used)
			ids[(*n)++] = f->keys[group_id][i].key_id;
	return 0;
}

static int f_addrs(void *dp, struct gk_dp_group_entry **out, size_t *n)
{
	struct fdp *f = dp;

	*out = calloc(f->n_addrs + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < f->n_addrs; i++) {
		(*out)[i].addr = f->addrs[i].addr;
		(*out)[i].group.group_id = f->addrs[i].group_id;
	}
	*n = f->n_addrs;
	return 0;
}

static int f_group_del(void *dp, const struct gk_dp_group_key *addr)
{
	struct fdp *f = dp;

	for (size_t i = 0; i < f->n_addrs; i++) {
		if (memcmp(&f->addrs[i].addr, addr, sizeof(*addr)))
			continue;
		f->addrs[i] = f->addrs[--f->n_addrs];
		return 0;
	}
	return -ENOENT;
}

static const struct gkd_dpsync_ops fake_ops = {
	.group_set = f_group_set,
	.key_add = f_key_add,
	.key_del = f_key_del,
	.keys = f_keys,
	.addrs = f_addrs,
	.group_del = f_group_del,
};

/* The key versions of group_id present, as a bitmap of key ids < 32. */
static uint32_t present(const struct fdp *f, uint32_t group_id)
{
	uint32_t m = 0;

	for (size_t i = 0; i < GK_DP_KEY_SLOTS; i++)
		if (f->keys[group_id][i].used)
			m |= 1u << f->keys[group_id][i].key_id;
	return m;
}

static const struct fkey *fkey_of(const struct fdp *f, uint32_t group_id, uint32_t key_id)
{
	const struct fkey *e = &f->keys[group_id][key_id % GK_DP_KEY_SLOTS];

	return e->used && e->key_id == key_id ? e : NULL;
}

/* --- a fake key source: the KDC's current and previous key ------------------ */

struct fsrc {
	uint32_t num, prev;
	int64_t exp, prev_exp, prev_until;
	uint32_t grace;
};

static void fake_k(uint32_t num, uint8_t *k)
{
	for (size_t i = 0; i < GK_GC_GROUP_KEY_LEN; i++)
		k[i] = (uint8_t)(num * 16 + i);
}

static int s_num(void *arg, const char *group, uint32_t *num)
{
	struct fsrc *s = arg;

	if (strcmp(group, "demo"))
		return -ENOENT;
	*num = s->num;
	return 0;
}

static int s_key(void *arg, const char *group, uint32_t num, struct gkd_kdc_key *out)
{
	struct fsrc *s = arg;

	memset(out, 0, sizeof(*out));
	if (strcmp(group, "demo") || !num)
		return -ENOENT;
	out->num = num;
	fake_k(num, out->k);
	if (num == s->num) {
		out->exp = s->exp;
		out->recv_until = s->exp + s->grace;
	} else if (num == s->prev) {
		out->exp = s->prev_exp;
		out->recv_until = s->prev_until;
	} else {
		return -ENOENT;
	}
	return 0;
}

/* The KDC's rekey at now: the current key becomes the previous one, sending stops now. */
static void src_rekey(struct fsrc *s, int64_t now)
{
	s->prev = s->num;
	s->prev_exp = s->exp < now ? s->exp : now;
	s->prev_until = s->prev_exp + s->grace;
	s->num++;
	s->exp = now + 3600;
}

struct fx {
	struct gkd_config *cfg;
	struct fdp dp;
	struct fsrc src;
	struct gkd_dpsync *s;
};

#define T0 1800000000LL

/* demo (id 0) at 239.1.2.3:5000, key 1; nokey (id 1) without address. */
static void fx_init(struct fx *x, uint32_t flags)
{
	struct gkd_dpsync_src src = { .arg = &x->src, .num = s_num, .key = s_key };
	struct gkd_group_conf *g;

	memset(x, 0, sizeof(*x));
	x->cfg = calloc(1, sizeof(*x->cfg));
	ASSERT_TRUE(x->cfg);
	gkd_conf_defaults(x->cfg);
	g = kfx_group(x->cfg, "demo", GK_ROLES_ALL);
	snprintf(g->address, sizeof(g->address), "239.1.2.3");
	g->family = AF_INET;
	g->port = 5000;
	kfx_group(x->cfg, "nokey", GK_ROLES_ALL);
	x->src = (struct fsrc){ .num = 1, .exp = T0 + 3600, .grace = 60 };
	ASSERT_EQ(gkd_dpsync_new(x->cfg, &fake_ops, &x->dp, &src, flags, &x->s), 0);
}

static void fx_fini(struct fx *x)
{
	gkd_dpsync_free(x->s);
	free(x->cfg);
}

TEST(sync_programs_addresses_and_current_key)
{
	struct gk_dp_group_key a5000, a0;
	uint8_t k1[GK_GC_GROUP_KEY_LEN];
	const struct fkey *e;
	struct fx x;

	fx_init(&x, GK_DP_GROUP_STRIP);
	ASSERT_EQ(gkd_dpsync_sync(x.s, T0), 0);
	ASSERT_EQ(gk_dp_group_addr("239.1.2.3", 5000, &a5000), 0);
	ASSERT_EQ(gk_dp_group_addr("239.1.2.3", 0, &a0), 0);
	ASSERT_EQ(x.dp.n_addrs, 2);
	EXPECT_MEMEQ(&x.dp.addrs[0].addr, &a5000, sizeof(a5000));
	EXPECT_MEMEQ(&x.dp.addrs[1].addr, &a0, sizeof(a0));
	for (size_t i = 0; i < 2; i++) {
		EXPECT_EQ(x.dp.addrs[i].group_id, 0);
		EXPECT_EQ(x.dp.addrs[i].flags, GK_DP_GROUP_STRIP);
		EXPECT_EQ(x.dp.addrs[i].sender_id, 0);
	}
	EXPECT_EQ(present(&x.dp, 0), 1u << 1);
	EXPECT_EQ(present(&x.dp, 1), 0);
	e = fkey_of(&x.dp, 0, 1);
	ASSERT_TRUE(e);
	fake_k(1, k1);
	EXPECT_MEMEQ(e->k, k1, sizeof(k1));
	EXPECT_EQ(e->exp, T0 + 3600);
	EXPECT_EQ(e->grace, 60);
	EXPECT_EQ(gkd_dpsync_next_deadline(x.s, T0), -1);
	fx_fini(&x);
}

/* Through a rekey: the new key is added, the old one stays exactly until the KDC's prev_until. */
TEST(rekey_keeps_previous_until_its_grace)
{
	struct fx x;

	fx_init(&x, 0);
	ASSERT_EQ(gkd_dpsync_sync(x.s, T0), 0);
	src_rekey(&x.src, T0 + 100);
	ASSERT_EQ(gkd_dpsync_group_rekeyed(x.s, "demo", 2, T0 + 100), 0);
	EXPECT_EQ(present(&x.dp, 0), (1u << 1) | (1u << 2));
	ASSERT_TRUE(fkey_of(&x.dp, 0, 2));
	EXPECT_EQ(fkey_of(&x.dp, 0, 2)->exp, T0 + 100 + 3600);
	EXPECT_EQ(fkey_of(&x.dp, 0, 2)->grace, 60);
	/* The old entry keeps its first deadlines: only dpsync cuts its grace short. */
	EXPECT_EQ(fkey_of(&x.dp, 0, 1)->exp, T0 + 3600);
	EXPECT_EQ(gkd_dpsync_next_deadline(x.s, T0 + 100), 60);
	EXPECT_EQ(gkd_dpsync_next_deadline(x.s, T0 + 200), 0);
	ASSERT_EQ(gkd_dpsync_tick(x.s, T0 + 159), 0);
	EXPECT_EQ(present(&x.dp, 0), (1u << 1) | (1u << 2));
	ASSERT_EQ(gkd_dpsync_tick(x.s, T0 + 160), 0);
	EXPECT_EQ(present(&x.dp, 0), 1u << 2);
	EXPECT_EQ(gkd_dpsync_next_deadline(x.s, T0 + 160), -1);
	EXPECT_EQ(x.dp.n_add, 2);
	EXPECT_EQ(x.dp.n_del, 1);
	fx_fini(&x);
}

/* Two rekeys within one grace: the KDC keeps one previous key, so does the data plane. */
TEST(double_rekey_drops_the_oldest_at_once)
{
	struct fx x;

	fx_init(&x, 0);
	ASSERT_EQ(gkd_dpsync_sync(x.s, T0), 0);
	src_rekey(&x.src, T0 + 10);
	ASSERT_EQ(gkd_dpsync_group_rekeyed(x.s, "demo", 2, T0 + 10), 0);
	src_rekey(&x.src, T0 + 20);
	ASSERT_EQ(gkd_dpsync_group_rekeyed(x.s, "demo", 3, T0 + 20), 0);
	EXPECT_EQ(present(&x.dp, 0), (1u << 2) | (1u << 3));
	EXPECT_EQ(gkd_dpsync_next_deadline(x.s, T0 + 20), 60);
	fx_fini(&x);
}

/* A restart over pins of an earlier run: stale versions go, one still right is kept as is. */
TEST(sync_over_stale_pins)
{
	struct fx x;

	fx_init(&x, 0);
	x.src.num = 5; /* version 1 shares slot 1 with it */
	x.src.exp = T0 + 3600;
	x.dp.keys[0][1] = (struct fkey){ .used = true, .key_id = 1 };
	x.dp.keys[0][2] = (struct fkey){ .used = true, .key_id = 2 };
	x.dp.keys[0][3] = (struct fkey){ .used = true, .key_id = 3 };
	ASSERT_EQ(gkd_dpsync_sync(x.s, T0), 0);
	EXPECT_EQ(present(&x.dp, 0), 1u << 5);
	EXPECT_EQ(x.dp.n_del, 3);

	/* Version 4 still in grace and 5 already pinned: nothing is written. */
	fx_fini(&x);
	fx_init(&x, 0);
	x.src.num = 5;
	x.src.prev = 4;
	x.src.prev_exp = T0 - 5;
	x.src.prev_until = T0 + 55;
	x.dp.keys[0][0] = (struct fkey){ .used = true, .key_id = 4, .exp = 7 };
	x.dp.keys[0][1] = (struct fkey){ .used = true, .key_id = 5, .exp = 8 };
	ASSERT_EQ(gkd_dpsync_sync(x.s, T0), 0);
	EXPECT_EQ(present(&x.dp, 0), (1u << 4) | (1u << 5));
	EXPECT_EQ(fkey_of(&x.dp, 0, 5)->exp, 8);
	EXPECT_EQ(x.dp.n_add, 0);
	EXPECT_EQ(x.dp.n_del, 0);
	EXPECT_EQ(gkd_dpsync_next_deadline(x.s, T0), 55);
	fx_fini(&x);
}

/* Addresses of an earlier configuration go; the configured ones are (re)written. */
TEST(sync_prunes_stale_addresses)
{
	struct gk_dp_group_key a5000, a0, other, moved;
	struct fx x;

	fx_init(&x, 0);
	ASSERT_EQ(gk_dp_group_addr("239.1.2.3", 5000, &a5000), 0);
	ASSERT_EQ(gk_dp_group_addr("239.1.2.3", 0, &a0), 0);
	ASSERT_EQ(gk_dp_group_addr("ff05::7", 7000, &other), 0);
	ASSERT_EQ(gk_dp_group_addr("239.1.2.3", 6000, &moved), 0);
	ASSERT_EQ(f_group_set(&x.dp, &other, 5, 0, 0), 0);   /* a group since removed */
	ASSERT_EQ(f_group_set(&x.dp, &moved, 0, 0, 0), 0);   /* demo's old port */
	ASSERT_EQ(f_group_set(&x.dp, &a5000, 1, 0, 0), 0);   /* demo's address, another id */
	ASSERT_EQ(gkd_dpsync_sync(x.s, T0), 0);
	ASSERT_EQ(x.dp.n_addrs, 2);
	for (size_t i = 0; i < 2; i++) {
		EXPECT_EQ(x.dp.addrs[i].group_id, 0);
		EXPECT_TRUE(!memcmp(&x.dp.addrs[i].addr, &a5000, sizeof(a5000)) ||
			    !memcmp(&x.dp.addrs[i].addr, &a0, sizeof(a0)));
	}
	EXPECT_FALSE(!memcmp(&x.dp.addrs[0].addr, &x.dp.addrs[1].addr, sizeof(a0)));
	fx_fini(&x);
}

TEST(errors)
{
	struct gkd_dpsync_src src = { .arg = NULL, .num = s_num, .key = s_key };
	struct gkd_dpsync *s = (void *)1;
	struct fx x;

	fx_init(&x, 0);
	EXPECT_EQ(gkd_dpsync_new(x.cfg, &fake_ops, &x.dp, &src, GK_DP_GROUP_SEND, &s), -EINVAL);
	EXPECT_TRUE(s == NULL);
	EXPECT_EQ(gkd_dpsync_group_rekeyed(x.s, "nokey", 1, T0), -ENOENT);
	EXPECT_EQ(gkd_dpsync_group_rekeyed(x.s, "nosuch", 1, T0), -ENOENT);
	ASSERT_EQ(gkd_dpsync_sync(x.s, T0), 0);
	/* A failed add leaves the state it found: the old key still tracked, still present. */
	src_rekey(&x.src, T0 + 10);
	x.dp.fail_add = -ENOSPC;
	EXPECT_EQ(gkd_dpsync_group_rekeyed(x.s, "demo", 2, T0 + 10), -ENOSPC);
	EXPECT_EQ(present(&x.dp, 0), 1u << 1);
	EXPECT_EQ(gkd_dpsync_next_deadline(x.s, T0 + 10), -1);
	/* A version the KDC does not hold. */
	EXPECT_EQ(gkd_dpsync_group_rekeyed(x.s, "demo", 9, T0 + 10), -ENOENT);
	ASSERT_EQ(gkd_dpsync_group_rekeyed(x.s, "demo", 2, T0 + 10), 0);
	EXPECT_EQ(present(&x.dp, 0), (1u << 1) | (1u << 2));
	fx_fini(&x);
}

/* --- the real KDC on real pinned maps (root) --------------------------------- */

static void real_keys(struct gk_dp *dp, uint32_t group_id, struct gk_dp_key_entry *out, size_t *n)
{
	struct gk_dp_key_entry *e;
	size_t ne;

	*n = 0;
	ASSERT_EQ(gk_dp_keys_read(gk_dp_pin_dir(dp), &e, &ne), 0);
	for (size_t i = 0; i < ne; i++)
		if (e[i].group_id == group_id && *n < GK_DP_KEY_SLOTS)
			out[(*n)++] = e[i];
	free(e);
}

static void expect_entry(const struct gk_dp_key_entry *e, uint32_t key_id, int64_t exp,
			 int64_t recv_until)
{
	uint64_t send_ns, recv_ns;

	ASSERT_EQ(gk_dp_tai_deadline(exp, &send_ns), 0);
	ASSERT_EQ(gk_dp_tai_deadline(recv_until, &recv_ns), 0);
	EXPECT_EQ(e->key_id, key_id);
	EXPECT_EQ(e->send_not_after_ns, send_ns);
	EXPECT_EQ(e->recv_not_after_ns, recv_ns);
}

TEST(kdc_rekey_on_real_maps)
{
	struct gk_dp_opts o = { 0 };
	struct gk_dp_key_entry e[GK_DP_KEY_SLOTS];
	struct gk_dp_group_entry *ge;
	struct gkd_dpsync_src src;
	struct gkd_dpsync *s;
	struct gkd_kdc_key k1, k2;
	struct gk_dp *dp;
	char dir[64];
	struct kfx f;
	size_t n;
	int err;

	if (geteuid() != 0)
		SKIP("loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)");
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/gk-test-dpsync-%d", (int)getpid());
	o.pin_dir = dir;
	kfx_init(&f);
	snprintf(f.cfg->groups[0].address, sizeof(f.cfg->groups[0].address), "ff05::1:3");
	f.cfg->groups[0].family = AF_INET6;
	err = gk_dp_open(&dp, &o);
	if (err == -EPERM || err == -ENOSYS)
		SKIP("BPF is not available here");
	ASSERT_EQ(err, 0);
	gkd_dpsync_kdc_src(&f.kdc, &src);
	ASSERT_EQ(gkd_dpsync_new(f.cfg, &gkd_dpsync_dp_ops, dp, &src, GK_DP_GROUP_STRIP, &s), 0);

	ASSERT_EQ(gkd_dpsync_sync(s, NOW), 0);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k1), 0);
	real_keys(dp, 0, e, &n);
	ASSERT_EQ(n, 1);
	expect_entry(&e[0], 1, k1.exp, k1.exp + 60);
	real_keys(dp, 1, e, &n); /* "small" has no address */
	EXPECT_EQ(n, 0);
	ASSERT_EQ(gk_dp_groups_read(gk_dp_pin_dir(dp), &ge, &n), 0);
	ASSERT_EQ(n, 2); /* ff05::1:3 port 5683 and its address entry (port 0) */
	EXPECT_EQ(ge[0].group.group_id, 0);
	EXPECT_EQ(ge[1].group.group_id, 0);
	EXPECT_EQ(ge[0].group.flags | ge[1].group.flags, GK_DP_GROUP_STRIP);
	EXPECT_EQ(ntohs(ge[0].addr.port) + ntohs(ge[1].addr.port), 5683);
	free(ge);

	/* Within rekey_margin of exp the KDC rekeys; its event drives dpsync. */
	f.n_rekeyed = 0;
	f.now_ms = NOW_MS + 3300 * 1000LL;
	ASSERT_EQ(gkd_kdc_tick(f.kdc, f.now_ms), 0);
	ASSERT_GE(f.n_rekeyed, 1);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 2, &k2), 0);
	ASSERT_EQ(gkd_dpsync_group_rekeyed(s, "demo", 2, NOW + 3300), 0);
	real_keys(dp, 0, e, &n);
	ASSERT_EQ(n, 2);
	/* Slot order: version 1 in slot 1, version 2 in slot 2; 1 keeps its first deadlines. */
	expect_entry(&e[0], 1, k1.exp, k1.exp + 60);
	expect_entry(&e[1], 2, k2.exp, k2.exp + 60);
	EXPECT_EQ(gkd_dpsync_next_deadline(s, NOW + 3300), 60);

	ASSERT_EQ(gkd_dpsync_tick(s, NOW + 3359), 0);
	real_keys(dp, 0, e, &n);
	EXPECT_EQ(n, 2);
	ASSERT_EQ(gkd_dpsync_tick(s, NOW + 3360), 0);
	real_keys(dp, 0, e, &n);
	ASSERT_EQ(n, 1);
	expect_entry(&e[0], 2, k2.exp, k2.exp + 60);

	/* A restart over the pins: nothing changes. */
	gkd_dpsync_free(s);
	ASSERT_EQ(gkd_dpsync_new(f.cfg, &gkd_dpsync_dp_ops, dp, &src, GK_DP_GROUP_STRIP, &s), 0);
	ASSERT_EQ(gkd_dpsync_sync(s, NOW + 3360), 0);
	real_keys(dp, 0, e, &n);
	ASSERT_EQ(n, 1);
	expect_entry(&e[0], 2, k2.exp, k2.exp + 60);

	gk_wipe(&k1, sizeof(k1));
	gk_wipe(&k2, sizeof(k2));
	gkd_dpsync_free(s);
	gk_dp_close(dp, false);
	kfx_fini(&f);
}

/* --- [dataplane] in the configuration ----------------------------------------- */

static int load_conf(const char *body, struct gkd_config *cfg, char *err, size_t err_len)
{
	char path[] = "/tmp/gk-test-dpsync-conf-XXXXXX";
	int fd = mkstemp(path);
	int ret;

	if (fd < 0)
		return -errno;
	if (write(fd, body, strlen(body)) != (ssize_t)strlen(body)) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	ret = gkd_conf_load(path, cfg, err, err_len);
	unlink(path);
	return ret;
}

TEST(conf_dataplane)
{
	struct gkd_config *cfg = calloc(1, sizeof(*cfg));
	char err[512];

	ASSERT_TRUE(cfg);
	ASSERT_EQ(load_conf("[daemon]\nlog_level = info\n", cfg, err, sizeof(err)), 0);
	EXPECT_FALSE(cfg->dp_enabled);
	EXPECT_EQ(cfg->dp_n_ifaces, 0);
	EXPECT_STREQ(cfg->dp_pin_dir, GK_DP_PIN_DIR);
	EXPECT_TRUE(cfg->dp_strip);

	ASSERT_EQ(load_conf("[dataplane]\nenabled = yes\ninterfaces = veth0, eth1  br-x\n"
			    "pin_dir = /sys/fs/bpf/gk-x\nstrip = no\n",
			    cfg, err, sizeof(err)),
		  0);
	EXPECT_TRUE(cfg->dp_enabled);
	ASSERT_EQ(cfg->dp_n_ifaces, 3);
	EXPECT_STREQ(cfg->dp_ifnames[0], "veth0");
	EXPECT_STREQ(cfg->dp_ifnames[1], "eth1");
	EXPECT_STREQ(cfg->dp_ifnames[2], "br-x");
	EXPECT_STREQ(cfg->dp_pin_dir, "/sys/fs/bpf/gk-x");
	EXPECT_FALSE(cfg->dp_strip);

	EXPECT_EQ(load_conf("[dataplane]\ninterfaces = a b a\n", cfg, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, ":2: interfaces: a twice") != NULL);
	EXPECT_EQ(load_conf("[dataplane]\ninterfaces = a0123456789abcdef\n", cfg, err, sizeof(err)),
		  -EINVAL);
	EXPECT_TRUE(strstr(err, "is not an interface name") != NULL);
	EXPECT_EQ(load_conf("[dataplane]\ninterfaces = a b c d e f g h i\n", cfg, err, sizeof(err)),
		  -EINVAL);
	EXPECT_TRUE(strstr(err, "more than 8 interfaces") != NULL);
	EXPECT_EQ(load_conf("[dataplane]\npin_dir = bpf\n", cfg, err, sizeof(err)), -EINVAL);
	EXPECT_EQ(load_conf("[dataplane]\nenabled = maybe\n", cfg, err, sizeof(err)), -EINVAL);
	EXPECT_EQ(load_conf("[dataplane x]\n", cfg, err, sizeof(err)), -EINVAL);
	EXPECT_EQ(load_conf("[dataplane]\nsend = yes\n", cfg, err, sizeof(err)), -EINVAL);
	free(cfg);
}
