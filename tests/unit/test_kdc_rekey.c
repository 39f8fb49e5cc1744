// SPDX-License-Identifier: BSD-3-Clause
/* KDC rekeying (RFC 9594 §5, §6.1), sender ids, token expiry, persistence and crash safety. */
#include <fcntl.h>
#include <sqlite3.h>

#include "kdc_fixture.h"

static void tick(struct kfx *f, int64_t at_ms)
{
	f->now_ms = at_ms;
	ASSERT_EQ(gkd_kdc_tick(f->kdc, at_ms), 0);
}

static uint32_t group_num(struct kfx *f, const char *group)
{
	uint32_t num = 0;

	ASSERT_EQ(gkd_kdc_group_num(f->kdc, group, &num), 0);
	return num;
}

/* Through the store's own connection: it holds the database exclusively. */
static void db_exec(struct kfx *f, const char *sql)
{
	ASSERT_EQ(sqlite3_exec(gkd_store_sqlite(f->store), sql, NULL, NULL, NULL), SQLITE_OK);
}

/* Make the next sender id tried for group sid, as after a counter wrap, and restart. */
static void force_next_sid(struct kfx *f, const char *group, uint32_t sid)
{
	struct gkd_group_rec rec;

	ASSERT_EQ(gkd_store_group_get(f->store, group, &rec), 0);
	rec.next_sid = sid;
	ASSERT_EQ(gkd_store_group_put(f->store, &rec), 0);
	kfx_restart(f);
}

TEST(schema_version_3)
{
	struct kfx f;

	kfx_init(&f);
	EXPECT_EQ(gkd_store_schema_version(f.store), 3);
	kfx_fini(&f);
}

TEST(new_groups_start_at_num_1)
{
	struct gkd_group_rec rec;
	struct kfx f;

	kfx_init(&f);
	EXPECT_EQ(group_num(&f, "demo"), GK_GC_INITIAL_NUM);
	EXPECT_EQ(group_num(&f, "nocred"), GK_GC_INITIAL_NUM);
	ASSERT_EQ(gkd_store_group_get(f.store, "small", &rec), 0);
	EXPECT_TRUE(rec.active);
	EXPECT_EQ(rec.num, 1);
	EXPECT_EQ(rec.exp, NOW + 3600);
	EXPECT_EQ(rec.prev_num, 0);
	EXPECT_EQ(rec.next_sid, 1);
	EXPECT_EQ(rec.rekey_due_ms, 0);
	/* Nothing to do before the margin of the first key. */
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), (3600 - 300) * 1000);
	EXPECT_EQ(f.n_rekeyed, 0);
	kfx_fini(&f);
}

/* Three joins inside one window: one rekey, num + 1 once. */
TEST(coalesced_joins_one_rekey)
{
	struct gkd_kdc_key k1, k2;
	struct kclient c[3];
	struct kfx f;

	kfx_init(&f);
	for (int i = 0; i < 3; i++)
		kclient_init(&f, &c[i], (uint8_t)(i + 1));
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k1), 0);
	kjoin_ok(&f, &c[0]);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 200);
	f.now_ms += 50;
	kjoin_ok(&f, &c[1]);
	f.now_ms += 100;
	kjoin_ok(&f, &c[2]);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 50);
	tick(&f, NOW_MS + 199);
	EXPECT_EQ(f.n_rekeyed, 0);
	EXPECT_EQ(group_num(&f, "demo"), 1);
	tick(&f, NOW_MS + 200);
	EXPECT_EQ(f.n_rekeyed, 1);
	EXPECT_EQ(f.rk_num, 2);
	EXPECT_EQ(group_num(&f, "demo"), 2);
	tick(&f, NOW_MS + 400);
	tick(&f, NOW_MS + 5000);
	EXPECT_EQ(f.n_rekeyed, 1);
	/* A fresh key; the old one is kept for receiving during the grace only. */
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 2, &k2), 0);
	EXPECT_NE(memcmp(k1.k, k2.k, 16), 0);
	EXPECT_EQ(k2.exp, NOW + 3600);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k2), 0);
	EXPECT_MEMEQ(k1.k, k2.k, 16);
	EXPECT_EQ(k2.exp, NOW);
	EXPECT_EQ(k2.recv_until, NOW + 60);
	for (int i = 0; i < 3; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

TEST(rekey_on_join_off)
{
	struct jopt o = { .group = "nocred", .roles = 6 };
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(kjoin_to(&f, &c, "nocred", &o), GKD_CREATED);
	tick(&f, NOW_MS + 1000);
	EXPECT_EQ(f.n_rekeyed, 0);
	EXPECT_EQ(group_num(&f, "nocred"), 1);
	/* rekey_on_leave off as well. */
	ASSERT_EQ(kreq(&f, &c, GKD_DELETE, "ace-group/nocred/nodes/s00000001", NULL, 0),
		  GKD_DELETED);
	tick(&f, NOW_MS + 2000);
	EXPECT_EQ(f.n_rekeyed, 0);
	kclient_free(&c);
	kfx_fini(&f);
}

/* rekey_margin seconds before exp, without any membership change; then the grace ends. */
TEST(margin_rekey_and_grace_end)
{
	const int64_t margin_ms = (NOW + 3600 - 300) * 1000;
	struct gkd_kdc_key k;
	struct kfx f;

	kfx_init(&f);
	tick(&f, margin_ms - 1);
	EXPECT_EQ(f.n_rekeyed, 0);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 1);
	tick(&f, margin_ms);
	EXPECT_EQ(f.n_rekeyed, 3); /* every group */
	EXPECT_EQ(group_num(&f, "demo"), 2);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 2, &k), 0);
	EXPECT_EQ(k.exp, NOW + 3300 + 3600);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k), 0);
	EXPECT_EQ(k.recv_until, NOW + 3300 + 60);
	/* Next: the end of key 1's grace. */
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 60 * 1000);
	tick(&f, (NOW + 3359) * 1000);
	EXPECT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k), 0);
	tick(&f, (NOW + 3360) * 1000);
	EXPECT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k), -ENOENT);
	EXPECT_EQ(f.n_rekeyed, 3);
	kfx_fini(&f);
}

/* A member whose token expires is removed (reason 5) and the group is rekeyed. */
TEST(token_expiry_evicts_and_rekeys)
{
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init_exp(&f, &c, 1, SCOPE_ALL, NOW + 600, true);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	kjoin_ok(&f, &d);
	tick(&f, NOW_MS + 1000);
	ASSERT_EQ(f.n_rekeyed, 1);
	/* First the end of key 1's grace, then c's token. */
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 60 * 1000);
	tick(&f, (NOW + 61) * 1000);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 539 * 1000);
	tick(&f, (NOW + 599) * 1000);
	EXPECT_EQ(f.n_removed, 0);
	tick(&f, (NOW + 600) * 1000);
	EXPECT_EQ(f.n_removed, 1);
	EXPECT_STREQ(f.rm_group, "demo");
	EXPECT_STREQ(f.rm_node, "s00000001");
	EXPECT_EQ(f.rm_reason, GK_GC_ERR_MEMBERSHIP_TERMINATED);
	EXPECT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo", NULL, 0), GKD_FORBIDDEN);
	kexpect_problem(&f, GKD_FORBIDDEN, GK_GC_ERR_NOT_MEMBER);
	tick(&f, (NOW + 600) * 1000 + GKD_KDC_COALESCE_MS);
	EXPECT_EQ(f.n_rekeyed, 2);
	EXPECT_EQ(group_num(&f, "demo"), 3);
	ASSERT_EQ(kreq(&f, &d, GKD_GET, "ace-group/demo", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 3);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* A token purged or deleted from the store ends the membership as well. */
TEST(deleted_token_evicts)
{
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	ASSERT_EQ(gkd_store_token_delete(f.store, c.tok.kid, c.tok.kid_len), 0);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 0);
	tick(&f, NOW_MS + 10);
	EXPECT_EQ(f.n_removed, 1);
	EXPECT_EQ(f.rm_reason, GK_GC_ERR_MEMBERSHIP_TERMINATED);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(sender_ids_unique_and_not_reused)
{
	static const char *const nodes[] = { "s00000001", "s00000002", "s00000003" };
	struct kclient c[4];
	struct kfx f;

	kfx_init(&f);
	for (int i = 0; i < 4; i++)
		kclient_init(&f, &c[i], (uint8_t)(i + 1));
	for (int i = 0; i < 3; i++) {
		char want[64];

		kjoin_ok(&f, &c[i]);
		EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), (uint64_t)i + 1);
		snprintf(want, sizeof(want), "ace-group/demo/nodes/%s", nodes[i]);
		EXPECT_STREQ(f.rep.location, want);
	}
	ASSERT_EQ(kreq(&f, &c[1], GKD_DELETE, "ace-group/demo/nodes/s00000002", NULL, 0),
		  GKD_DELETED);
	kjoin_ok(&f, &c[3]);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 4);
	for (int i = 0; i < 4; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

/* A given-up sender id stays taken while a key it was used under is accepted. */
TEST(sender_id_reserved_until_grace_ends)
{
	struct kclient c[3];
	unsigned reserved;
	struct kfx f;

	kfx_init(&f);
	for (int i = 0; i < 3; i++)
		kclient_init(&f, &c[i], (uint8_t)(i + 1));
	kjoin_ok(&f, &c[0]);
	tick(&f, NOW_MS + 200); /* num 2 */
	ASSERT_EQ(kreq(&f, &c[0], GKD_DELETE, "ace-group/demo/nodes/s00000001", NULL, 0),
		  GKD_DELETED);
	tick(&f, NOW_MS + 400); /* num 3; key 2 (which s1 used) acceptable until NOW + 60 */
	ASSERT_EQ(group_num(&f, "demo"), 3);
	ASSERT_EQ(gkd_store_sid_count(f.store, "demo", &reserved), 0);
	EXPECT_EQ(reserved, 1);
	force_next_sid(&f, "demo", 1);
	kjoin_ok(&f, &c[1]);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 2);
	/* Grace over: key 2 is gone, and with it the reservation. */
	tick(&f, (NOW + 60) * 1000);
	ASSERT_EQ(gkd_store_sid_count(f.store, "demo", &reserved), 0);
	EXPECT_EQ(reserved, 0);
	force_next_sid(&f, "demo", 1);
	kjoin_ok(&f, &c[2]);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 1);
	EXPECT_STREQ(f.rep.location, "ace-group/demo/nodes/s00000001");
	for (int i = 0; i < 3; i++)
		kclient_free(&c[i]);
	kfx_fini(&f);
}

/* A renewed member keeps its node name: that name's id is never handed out meanwhile. */
TEST(renewed_node_name_not_reissued)
{
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	ASSERT_EQ(kreq(&f, &c, GKD_POST, "ace-group/demo/nodes/s00000001", NULL, 0), GKD_CONTENT);
	/* Past every grace, so only the node name keeps id 1 taken. */
	tick(&f, NOW_MS + 200);
	tick(&f, NOW_MS + 400 + 61 * 1000);
	force_next_sid(&f, "demo", 1);
	kjoin_ok(&f, &d);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 3);
	EXPECT_STREQ(f.rep.location, "ace-group/demo/nodes/s00000003");
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* Restart: same num, keys, members; GET still works; the KDC's credential is the same. */
TEST(restart_keeps_state)
{
	struct gkd_kdc_key k1, k2, r1, r2;
	uint8_t cred[256];
	const uint8_t *p;
	size_t cred_len;
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c);
	kjoin_ok(&f, &d);
	tick(&f, NOW_MS + 200);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &k1), 0);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 2, &k2), 0);
	ASSERT_EQ(gkd_kdc_cred(f.kdc, &p, &cred_len), 0);
	memcpy(cred, p, cred_len);
	kfx_restart(&f);
	EXPECT_EQ(group_num(&f, "demo"), 2);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &r1), 0);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 2, &r2), 0);
	EXPECT_MEMEQ(&k1, &r1, sizeof(k1));
	EXPECT_MEMEQ(&k2, &r2, sizeof(k2));
	ASSERT_EQ(gkd_kdc_cred(f.kdc, &p, &cred_len), 0);
	EXPECT_MEMEQ(p, cred, cred_len);
	ASSERT_EQ(kreq(&f, &d, GKD_GET, "ace-group/demo/nodes/s00000002", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 2);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 2);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo/creds", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(cbor_array_size(kget(&f, GK_GC_CREDS)), 2);
	EXPECT_EQ(f.n_rekeyed, 1);
	EXPECT_EQ(f.n_removed, 0);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* The coalesced rekey is committed with the join: a crash before the tick does not lose it. */
TEST(restart_keeps_pending_rekey)
{
	struct kclient c;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	kfx_restart(&f);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), GKD_KDC_COALESCE_MS);
	tick(&f, NOW_MS + GKD_KDC_COALESCE_MS);
	EXPECT_EQ(f.n_rekeyed, 1);
	EXPECT_EQ(group_num(&f, "demo"), 2);
	kclient_free(&c);
	kfx_fini(&f);
}

/* A role withdrawn from a group's configuration ends the memberships that held it. */
TEST(restart_with_roles_withdrawn)
{
	struct jopt rx = { .roles = 4, .cred = CRED_KEY };
	struct kclient c, d;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kclient_init(&f, &d, 2);
	kjoin_ok(&f, &c); /* sender + receiver */
	ASSERT_EQ(kjoin(&f, &d, &rx), GKD_CREATED);
	tick(&f, NOW_MS + 200);
	f.cfg->groups[0].roles = GK_ROLE_BIT(GK_ROLE_RECEIVER);
	kfx_restart(&f);
	EXPECT_EQ(f.n_removed, 1);
	EXPECT_STREQ(f.rm_node, "s00000001");
	EXPECT_EQ(f.rm_reason, GK_GC_ERR_MEMBERSHIP_TERMINATED);
	ASSERT_EQ(kreq(&f, &d, GKD_GET, "ace-group/demo", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 2);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), GKD_KDC_COALESCE_MS);
	tick(&f, NOW_MS + 200 + GKD_KDC_COALESCE_MS);
	EXPECT_EQ(group_num(&f, "demo"), 3);
	kclient_free(&c);
	kclient_free(&d);
	kfx_fini(&f);
}

/* A group leaves the configuration and comes back: num continues, no key version twice. */
TEST(removed_group_keeps_num)
{
	struct gkd_group_conf saved;
	struct gkd_group_rec rec;
	struct kclient c;
	unsigned count;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	tick(&f, NOW_MS + 200);
	ASSERT_EQ(group_num(&f, "demo"), 2);
	saved = f.cfg->groups[0];
	memmove(&f.cfg->groups[0], &f.cfg->groups[1], 2 * sizeof(f.cfg->groups[0]));
	f.cfg->n_groups = 2;
	kfx_restart(&f);
	EXPECT_EQ(f.n_removed, 1);
	EXPECT_STREQ(f.rm_group, "demo");
	EXPECT_EQ(f.rm_reason, GK_GC_ERR_GROUP_DELETED);
	EXPECT_EQ(gkd_kdc_group_num(f.kdc, "demo", &(uint32_t){ 0 }), -ENOENT);
	ASSERT_EQ(gkd_store_group_get(f.store, "demo", &rec), 0);
	EXPECT_FALSE(rec.active);
	EXPECT_EQ(rec.num, 2);
	ASSERT_EQ(gkd_store_member_count(f.store, "demo", &count), 0);
	EXPECT_EQ(count, 0);
	f.cfg->groups[f.cfg->n_groups++] = saved;
	kfx_restart(&f);
	EXPECT_EQ(group_num(&f, "demo"), 3);
	ASSERT_EQ(gkd_store_group_get(f.store, "demo", &rec), 0);
	EXPECT_TRUE(rec.active);
	EXPECT_EQ(rec.prev_num, 0);
	kclient_free(&c);
	kfx_fini(&f);
}

/*
 * Crash safety: the rekey's second statement fails (a trigger refuses the
 * purge of a stale sender-id reservation), so the transaction is rolled
 * back: num, key and the pending mark are as before, nothing is notified,
 * and the next tick, once the fault is gone, does the rekey.
 */
TEST(failed_rekey_rolls_back)
{
	struct gkd_kdc_key before, after;
	struct gkd_group_rec rec;
	struct kclient c;
	unsigned reserved;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	kjoin_ok(&f, &c);
	ASSERT_EQ(gkd_store_sid_reserve(f.store, "demo", 77, 0), 0);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &before), 0);
	db_exec(&f, "CREATE TRIGGER fault BEFORE DELETE ON sender_ids "
		    "BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
	f.now_ms = NOW_MS + 200;
	EXPECT_LT(gkd_kdc_tick(f.kdc, f.now_ms), 0);
	EXPECT_EQ(f.n_rekeyed, 0);
	EXPECT_EQ(group_num(&f, "demo"), 1);
	ASSERT_EQ(gkd_kdc_key(f.kdc, "demo", 1, &after), 0);
	EXPECT_MEMEQ(&before, &after, sizeof(before));
	EXPECT_EQ(gkd_kdc_key(f.kdc, "demo", 2, &after), -ENOENT);
	ASSERT_EQ(gkd_store_group_get(f.store, "demo", &rec), 0);
	EXPECT_EQ(rec.num, 1);
	EXPECT_MEMEQ(rec.key, before.k, 16);
	EXPECT_EQ(rec.rekey_due_ms, NOW_MS + GKD_KDC_COALESCE_MS);
	ASSERT_EQ(gkd_store_sid_count(f.store, "demo", &reserved), 0);
	EXPECT_EQ(reserved, 1);
	/* Still due; a restart sees the same committed state. */
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), 0);
	kfx_restart(&f);
	EXPECT_EQ(group_num(&f, "demo"), 1);
	db_exec(&f, "DROP TRIGGER fault");
	tick(&f, NOW_MS + 300);
	EXPECT_EQ(f.n_rekeyed, 1);
	EXPECT_EQ(group_num(&f, "demo"), 2);
	ASSERT_EQ(gkd_store_sid_count(f.store, "demo", &reserved), 0);
	EXPECT_EQ(reserved, 0);
	ASSERT_EQ(kreq(&f, &c, GKD_GET, "ace-group/demo", NULL, 0), GKD_CONTENT);
	EXPECT_EQ(kget_uint(&f, GK_GC_NUM), 2);
	kclient_free(&c);
	kfx_fini(&f);
}

/* The same for a failure in the first statement: a Join whose transaction fails changes nothing. */
TEST(failed_join_rolls_back)
{
	struct gkd_group_rec rec;
	struct gkd_kdc_req r = { 0 };
	struct kclient c;
	unsigned count;
	uint8_t *p;
	size_t len;
	struct kfx f;

	kfx_init(&f);
	kclient_init(&f, &c, 1);
	db_exec(&f, "CREATE TRIGGER fault BEFORE UPDATE ON groups "
		    "BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
	{
		struct jopt o = { .roles = 6, .cred = CRED_KEY };

		p = kfx_join_payload(&f, &c, &o, &len);
	}
	r = (struct gkd_kdc_req){ .tok = &c.tok,
				  .method = GKD_POST,
				  .content_format = GKD_CF_ACE_GROUPCOMM,
				  .payload = p,
				  .len = len,
				  .now_ms = f.now_ms };
	ASSERT_EQ(gkd_kdc_route("ace-group/demo", 14, &r.route), 0);
	EXPECT_LT(gkd_kdc_handle(f.kdc, &r, &f.rep), 0);
	kexpect_bare(&f, GKD_INTERNAL_ERROR);
	ASSERT_EQ(gkd_store_member_count(f.store, "demo", &count), 0);
	EXPECT_EQ(count, 0);
	ASSERT_EQ(gkd_store_group_get(f.store, "demo", &rec), 0);
	EXPECT_EQ(rec.next_sid, 1);
	EXPECT_EQ(rec.rekey_due_ms, 0);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), (3600 - 300) * 1000);
	db_exec(&f, "DROP TRIGGER fault");
	kjoin_ok(&f, &c);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), 1);
	free(p);
	kclient_free(&c);
	kfx_fini(&f);
}

TEST(store_refuses_lower_num)
{
	struct gkd_group_rec rec;
	struct kfx f;

	kfx_init(&f);
	tick(&f, (NOW + 3300) * 1000); /* num 2 */
	ASSERT_EQ(gkd_store_group_get(f.store, "demo", &rec), 0);
	ASSERT_EQ(rec.num, 2);
	rec.num = 1;
	EXPECT_EQ(gkd_store_group_put(f.store, &rec), -ERANGE);
	ASSERT_EQ(gkd_store_group_get(f.store, "demo", &rec), 0);
	EXPECT_EQ(rec.num, 2);
	kfx_fini(&f);
}

/* STATE_DIR/kdc-cred.key: 0600, 64 hex digits; refused when readable by others or garbage. */
TEST(kdc_key_file)
{
	struct gkd_kdc *kdc = NULL;
	char path[128], buf[128], err[256];
	struct stat st;
	ssize_t n;
	int fd;
	struct kfx f;

	kfx_init(&f);
	snprintf(path, sizeof(path), "%s/kdc-cred.key", f.dir);
	ASSERT_EQ(stat(path, &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600);
	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ASSERT_EQ(n, 65);
	EXPECT_EQ(buf[64], '\n');
	ASSERT_EQ(chmod(path, 0640), 0);
	EXPECT_EQ(gkd_kdc_open(f.cfg, f.store, f.rng, NULL, f.now_ms, &kdc, err, sizeof(err)),
		  -EPERM);
	EXPECT_TRUE(strstr(err, "kdc-cred.key") != NULL);
	EXPECT_TRUE(kdc == NULL);
	ASSERT_EQ(chmod(path, 0600), 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "00\n", 3), 3);
	close(fd);
	EXPECT_EQ(gkd_kdc_open(f.cfg, f.store, f.rng, NULL, f.now_ms, &kdc, err, sizeof(err)),
		  -EINVAL);
	EXPECT_TRUE(kdc == NULL);
	kfx_fini(&f);
}

TEST(open_refuses_unusable_group_conf)
{
	struct gkd_kdc *kdc = NULL;
	char err[256];
	struct kfx f;

	kfx_init(&f);
	f.cfg->groups[1].key_lifetime = 0;
	EXPECT_EQ(gkd_kdc_open(f.cfg, f.store, f.rng, NULL, f.now_ms, &kdc, err, sizeof(err)),
		  -EINVAL);
	f.cfg->groups[1].key_lifetime = 300;
	EXPECT_EQ(gkd_kdc_open(f.cfg, f.store, f.rng, NULL, f.now_ms, &kdc, err, sizeof(err)),
		  -EINVAL);
	EXPECT_TRUE(kdc == NULL);
	kfx_fini(&f);
}

/* n members already in nocred (tokens valid for two hours), its sender ids past them. */
static void populate(struct kfx *f, unsigned n)
{
	struct gkd_token_rec *t = calloc(1, sizeof(*t));
	struct gkd_member_rec *m = calloc(1, sizeof(*m));

	ASSERT_TRUE(t && m);
	ASSERT_EQ(gkd_store_begin(f->store), 0);
	for (uint32_t i = 1; i <= n; i++) {
		memcpy(t->kid, "bulk", 4);
		memcpy(t->kid + 4, &i, sizeof(i));
		t->kid_len = 8;
		t->token[0] = 0xa0;
		t->token_len = 1;
		t->exp = NOW + 7200;
		ASSERT_EQ(gkd_store_token_put(f->store, t), 0);
		memset(m, 0, sizeof(*m));
		snprintf(m->group, sizeof(m->group), "nocred");
		snprintf(m->node, sizeof(m->node), "s%08x", i);
		m->sender_id = i;
		memcpy(m->kid, t->kid, t->kid_len);
		m->kid_len = t->kid_len;
		m->roles = 6;
		m->scope[0] = 0x82;
		m->scope_len = 1;
		m->joined_num = 1;
		ASSERT_EQ(gkd_store_member_put(f->store, m), 0);
	}
	ASSERT_EQ(gkd_store_commit(f->store), 0);
	free(t);
	free(m);
	force_next_sid(f, "nocred", n + 1);
}

/* The store's work for a Join, a leave and the ticks after them, with n members already in. */
static uint64_t membership_work(unsigned n)
{
	struct jopt o = { .group = "nocred", .roles = 6 };
	uint64_t steps = 0;
	struct kclient c;
	struct kfx f;
	char path[64];

	kfx_init(&f);
	populate(&f, n);
	kclient_init(&f, &c, 1);
	ASSERT_EQ(gkd_store_vm_steps(f.store, &steps), 0);
	ASSERT_EQ(kjoin_to(&f, &c, "nocred", &o), GKD_CREATED);
	EXPECT_EQ(kget_uint(&f, GK_GC_SENDER_ID), n + 1);
	tick(&f, NOW_MS + 1000);
	EXPECT_EQ(gkd_kdc_next_deadline(f.kdc, f.now_ms), (3600 - 300 - 1) * 1000);
	snprintf(path, sizeof(path), "ace-group/nocred/nodes/s%08x", n + 1);
	ASSERT_EQ(kreq(&f, &c, GKD_DELETE, path, NULL, 0), GKD_DELETED);
	tick(&f, NOW_MS + 2000);
	/* The leave only: none of the n was evicted. */
	EXPECT_EQ(f.n_removed, 1);
	EXPECT_STREQ(f.rm_node, path + strlen("ace-group/nocred/nodes/"));
	ASSERT_EQ(gkd_store_vm_steps(f.store, &steps), 0);
	kclient_free(&c);
	kfx_fini(&f);
	return steps;
}

/* Neither a Join nor a tick reads every member: the same SQLite work at 3 and 3,000. */
TEST(membership_work_independent_of_group_size)
{
	uint64_t small = membership_work(3), large = membership_work(3000);

	TH_LOG("SQLite VM steps: %" PRIu64 " with 3 members, %" PRIu64 " with 3000", small,
	       large);
	EXPECT_GT(small, 0);
	EXPECT_EQ(large, small);
}
