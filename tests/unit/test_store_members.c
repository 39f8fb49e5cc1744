// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the store's member bookkeeping: counts, token expiry, the v3 migration, cost. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "groupkey/log.h"
#include "harness.h"
#include "store.h"

/* The released v1 and v2 schemas, as a groupkeyd of schema version 2 left its database. */
static const char schema_v2[] =
	"CREATE TABLE schema_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES (1, 2);"
	"CREATE TABLE counters (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);"
	"CREATE TABLE tokens (kid BLOB PRIMARY KEY NOT NULL, token BLOB NOT NULL,"
	"  exp INTEGER NOT NULL, received INTEGER NOT NULL, ns BLOB);"
	"CREATE INDEX tokens_exp ON tokens (exp);"
	"CREATE TABLE groups (name TEXT PRIMARY KEY NOT NULL, active INTEGER NOT NULL,"
	"  num INTEGER NOT NULL, key BLOB NOT NULL, exp INTEGER NOT NULL,"
	"  prev_num INTEGER NOT NULL DEFAULT 0, prev_key BLOB,"
	"  prev_exp INTEGER NOT NULL DEFAULT 0, prev_until INTEGER NOT NULL DEFAULT 0,"
	"  next_sid INTEGER NOT NULL, rekey_due INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE members (grp TEXT NOT NULL REFERENCES groups (name), node TEXT NOT NULL,"
	"  sender_id INTEGER NOT NULL, kid BLOB NOT NULL, cred BLOB, roles INTEGER NOT NULL,"
	"  control_uri TEXT, cnonce BLOB, scope BLOB NOT NULL, joined_num INTEGER NOT NULL,"
	"  PRIMARY KEY (grp, node), UNIQUE (grp, sender_id), UNIQUE (grp, kid));"
	"CREATE INDEX members_kid ON members (kid);"
	"CREATE TABLE sender_ids (grp TEXT NOT NULL REFERENCES groups (name),"
	"  sender_id INTEGER NOT NULL, last_num INTEGER NOT NULL,"
	"  PRIMARY KEY (grp, sender_id));";

/*
 * Old data: g1 with a (token exp 500), b (exp 300), c (no token); g2 with
 * d and e (exp 900); g3 inactive and empty; a token of no member.
 */
static const char data_v2[] =
	"INSERT INTO groups (name, active, num, key, exp, next_sid) VALUES"
	"  ('g1', 1, 4, zeroblob(16), 5000, 4), ('g2', 1, 1, zeroblob(16), 5000, 3),"
	"  ('g3', 0, 9, zeroblob(16), 0, 1);"
	"INSERT INTO members (grp, node, sender_id, kid, roles, scope, joined_num) VALUES"
	"  ('g1', 'a', 1, x'0001', 6, x'00', 1), ('g1', 'b', 2, x'0002', 6, x'00', 1),"
	"  ('g1', 'c', 3, x'0003', 6, x'00', 2), ('g2', 'd', 1, x'0004', 6, x'00', 1),"
	"  ('g2', 'e', 2, x'0005', 6, x'00', 1);"
	"INSERT INTO tokens (kid, token, exp, received) VALUES"
	"  (x'0001', x'aa', 500, 0), (x'0002', x'aa', 300, 0), (x'0004', x'aa', 900, 0),"
	"  (x'0005', x'aa', 900, 0), (x'0006', x'aa', 100, 0);";

struct fixture {
	char base[64];
	char dir[128];
	char db[160];
	struct gkd_store *st;
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->base, sizeof(f->base), "/tmp/gk-store-m.XXXXXX");
	ASSERT_TRUE(mkdtemp(f->base) != NULL);
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->base);
	snprintf(f->db, sizeof(f->db), "%s/groupkeyd.db", f->dir);
	gk_log_set_level(GK_LOG_ERR);
}

static void fixture_fini(struct fixture *f)
{
	char cmd[128];

	gkd_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", f->base);
	ASSERT_EQ(system(cmd), 0);
}

/* A database as schema version 2 left it, then opened by this groupkeyd. */
static void open_v2_db(struct fixture *f)
{
	sqlite3 *h;

	ASSERT_EQ(mkdir(f->dir, 0700), 0);
	ASSERT_EQ(sqlite3_open(f->db, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, schema_v2, NULL, NULL, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, data_v2, NULL, NULL, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_close(h), SQLITE_OK);
	ASSERT_EQ(chmod(f->db, 0600), 0);
	ASSERT_EQ(gkd_store_open(f->dir, &f->st), 0);
}

static void group_init(struct gkd_group_rec *g, const char *name, bool active)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->active = active;
	g->num = 1;
	g->exp = 5000;
	g->next_sid = 1;
}

static void add_group(struct fixture *f, const char *name, bool active)
{
	struct gkd_group_rec g;

	group_init(&g, name, active);
	ASSERT_EQ(gkd_store_group_put(f->st, &g), 0);
}

/* Member node of group, kid {k >> 8, k} (as x'000k' in the old data). */
static void member_init(struct gkd_member_rec *m, const char *group, const char *node,
			uint32_t sid, unsigned k)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->group, sizeof(m->group), "%s", group);
	snprintf(m->node, sizeof(m->node), "%s", node);
	m->sender_id = sid;
	m->kid[0] = (uint8_t)(k >> 8);
	m->kid[1] = (uint8_t)k;
	m->kid_len = 2;
	m->roles = 6;
	m->scope[0] = 0x83;
	m->scope_len = 1;
	m->joined_num = 1;
}

static void add_member(struct fixture *f, const char *group, const char *node, uint32_t sid,
		       unsigned k)
{
	struct gkd_member_rec m;

	member_init(&m, group, node, sid, k);
	ASSERT_EQ(gkd_store_member_put(f->st, &m), 0);
}

static void put_token(struct fixture *f, unsigned k, int64_t exp)
{
	struct gkd_token_rec *r = calloc(1, sizeof(*r));

	ASSERT_TRUE(r != NULL);
	r->kid[0] = (uint8_t)(k >> 8);
	r->kid[1] = (uint8_t)k;
	r->kid_len = 2;
	r->token[0] = 0xa0;
	r->token_len = 1;
	r->exp = exp;
	ASSERT_EQ(gkd_store_token_put(f->st, r), 0);
	free(r);
}

static void delete_token(struct fixture *f, unsigned k)
{
	uint8_t kid[2] = { (uint8_t)(k >> 8), (uint8_t)k };

	ASSERT_EQ(gkd_store_token_delete(f->st, kid, sizeof(kid)), 0);
}

static unsigned count_of(struct fixture *f, const char *group)
{
	unsigned n = 12345;

	ASSERT_EQ(gkd_store_member_count(f->st, group, &n), 0);
	return n;
}

static int64_t next_expiry(struct fixture *f)
{
	int64_t exp = -1;

	ASSERT_EQ(gkd_store_member_next_expiry(f->st, &exp), 0);
	return exp;
}

/* The expired members at now as "group/node,..." (at most max). */
static void expired(struct fixture *f, int64_t now, size_t max, char *out, size_t cap)
{
	struct gkd_member_ref *refs = NULL;
	size_t n = 99, used = 0;

	ASSERT_EQ(gkd_store_member_expired(f->st, now, max, &refs, &n), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s/%s", i ? "," : "",
					 refs[i].group, refs[i].node);
	free(refs);
}

TEST(migration_v2_to_v3_counts_and_expiry)
{
	struct fixture f;
	char got[256];

	fixture_init(&f);
	open_v2_db(&f);
	EXPECT_EQ(gkd_store_schema_version(f.st), 3);
	EXPECT_EQ(count_of(&f, "g1"), 3);
	EXPECT_EQ(count_of(&f, "g2"), 2);
	EXPECT_EQ(count_of(&f, "g3"), 0);
	EXPECT_EQ(count_of(&f, "nosuch"), 0);
	/* c has no token: due at once. */
	EXPECT_EQ(next_expiry(&f), 0);
	expired(&f, 400, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g1/c,g1/b");
	expired(&f, 900, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g1/c,g1/b,g1/a,g2/d,g2/e");
	expired(&f, 900, 2, got, sizeof(got));
	EXPECT_STREQ(got, "g1/c,g1/b");
	expired(&f, 299, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g1/c");
	/* The migrated rows go on being kept up to date. */
	put_token(&f, 3, 700);
	EXPECT_EQ(next_expiry(&f), 300);
	delete_token(&f, 5);
	expired(&f, 299, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g2/e");
	add_member(&f, "g2", "f", 3, 7);
	EXPECT_EQ(count_of(&f, "g2"), 3);
	ASSERT_EQ(gkd_store_member_delete(f.st, "g1", "a"), 0);
	EXPECT_EQ(count_of(&f, "g1"), 2);
	/* A second open finds version 3 and migrates nothing. */
	gkd_store_close(f.st);
	f.st = NULL;
	ASSERT_EQ(gkd_store_open(f.dir, &f.st), 0);
	EXPECT_EQ(gkd_store_schema_version(f.st), 3);
	EXPECT_EQ(count_of(&f, "g1"), 2);
	EXPECT_EQ(count_of(&f, "g2"), 3);
	fixture_fini(&f);
}

TEST(migration_v3_schema_objects)
{
	static const char *const names[] = { "members_expiry", "members_ins", "members_del",
					     "tokens_ins", "tokens_upd", "tokens_del" };
	int found = -1;
	struct fixture f;
	sqlite3_stmt *s;
	sqlite3 *h;

	fixture_init(&f);
	open_v2_db(&f);
	h = gkd_store_sqlite(f.st); /* the store holds the file exclusively */
	ASSERT_EQ(sqlite3_prepare_v2(h,
				     "SELECT count(*) FROM sqlite_master WHERE name = ?1 AND "
				     "tbl_name = CASE WHEN ?1 LIKE 'tokens%' THEN 'tokens' "
				     "ELSE 'members' END",
				     -1, &s, NULL),
		  SQLITE_OK);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sqlite3_bind_text(s, 1, names[i], -1, SQLITE_STATIC);
		ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
		EXPECT_EQ(sqlite3_column_int(s, 0), 1);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	/* Replaced by (grp, kid): the triggers probe it per group. */
	ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master WHERE name = 'members_kid'",
				     -1, &s, NULL),
		  SQLITE_OK);
	ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
	found = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	EXPECT_EQ(found, 0);
	fixture_fini(&f);
}

TEST(count_follows_put_replace_delete_and_rollback)
{
	struct gkd_member_rec m;
	struct fixture f;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &f.st), 0);
	add_group(&f, "g", true);
	add_group(&f, "h", true);
	EXPECT_EQ(count_of(&f, "g"), 0);
	add_member(&f, "g", "a", 1, 1);
	add_member(&f, "g", "b", 2, 2);
	add_member(&f, "h", "a", 1, 1);
	EXPECT_EQ(count_of(&f, "g"), 2);
	EXPECT_EQ(count_of(&f, "h"), 1);
	/* Re-join and renewal replace the row: still one member each. */
	member_init(&m, "g", "a", 5, 1);
	ASSERT_EQ(gkd_store_member_put(f.st, &m), 0);
	EXPECT_EQ(count_of(&f, "g"), 2);
	/* A row that takes b's kid replaces b as well. */
	member_init(&m, "g", "c", 6, 2);
	ASSERT_EQ(gkd_store_member_put(f.st, &m), 0);
	EXPECT_EQ(count_of(&f, "g"), 2);
	EXPECT_EQ(gkd_store_member_get(f.st, "g", "b", &m), -ENOENT);
	/* Counted in the transaction of the change, and undone with it. */
	ASSERT_EQ(gkd_store_begin(f.st), 0);
	add_member(&f, "g", "d", 7, 3);
	EXPECT_EQ(count_of(&f, "g"), 3);
	gkd_store_rollback(f.st);
	EXPECT_EQ(count_of(&f, "g"), 2);
	ASSERT_EQ(gkd_store_member_delete(f.st, "g", "a"), 0);
	ASSERT_EQ(gkd_store_member_delete(f.st, "g", "a"), 0); /* nothing left to delete */
	EXPECT_EQ(count_of(&f, "g"), 1);
	EXPECT_EQ(count_of(&f, "h"), 1);
	fixture_fini(&f);
}

TEST(expiry_follows_tokens)
{
	struct fixture f;
	char got[256];
	unsigned purged = 0;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &f.st), 0);
	EXPECT_EQ(gkd_store_member_next_expiry(f.st, &(int64_t){ 0 }), -ENOENT);
	add_group(&f, "g", true);
	add_group(&f, "off", false);
	/* A token stored before its member joins gives the member its exp. */
	put_token(&f, 1, 1000);
	put_token(&f, 2, 2000);
	add_member(&f, "g", "a", 1, 1);
	add_member(&f, "g", "b", 2, 2);
	EXPECT_EQ(next_expiry(&f), 1000);
	/* A member of an inactive group is not due, whatever its token. */
	add_member(&f, "off", "x", 1, 9);
	EXPECT_EQ(next_expiry(&f), 1000);
	expired(&f, 5000, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g/a,g/b");
	/* A newer token under the same kid moves the member's exp. */
	put_token(&f, 1, 3000);
	EXPECT_EQ(next_expiry(&f), 2000);
	expired(&f, 2000, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g/b");
	expired(&f, 1999, 10, got, sizeof(got));
	EXPECT_STREQ(got, "");
	/* Purged or deleted: gone, so due now. */
	ASSERT_EQ(gkd_store_token_purge(f.st, 2500, &purged), 0);
	EXPECT_EQ(purged, 1);
	EXPECT_EQ(next_expiry(&f), 0);
	expired(&f, 1, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g/b");
	delete_token(&f, 1);
	expired(&f, 1, 10, got, sizeof(got));
	EXPECT_STREQ(got, "g/a,g/b");
	/* A member that joins without a stored token is due at once too. */
	ASSERT_EQ(gkd_store_member_delete(f.st, "g", "a"), 0);
	ASSERT_EQ(gkd_store_member_delete(f.st, "g", "b"), 0);
	EXPECT_EQ(gkd_store_member_next_expiry(f.st, &(int64_t){ 0 }), -ENOENT);
	add_member(&f, "g", "c", 3, 3);
	EXPECT_EQ(next_expiry(&f), 0);
	fixture_fini(&f);
}

/* The SQLite work of what runs per Join and per tick, for a group of n members. */
static uint64_t work_at(unsigned n)
{
	struct gkd_member_ref *refs = NULL;
	struct gkd_member_rec m;
	struct fixture f;
	uint64_t steps = 0;
	size_t got = 0;
	unsigned count = 0;
	int64_t exp = 0;
	bool taken = true;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &f.st), 0);
	add_group(&f, "g", true);
	ASSERT_EQ(gkd_store_begin(f.st), 0);
	for (unsigned i = 1; i <= n; i++) {
		char node[16];

		snprintf(node, sizeof(node), "s%08x", i);
		put_token(&f, i, 100000 + i);
		add_member(&f, "g", node, i, i);
	}
	ASSERT_EQ(gkd_store_commit(f.st), 0);
	ASSERT_EQ(gkd_store_vm_steps(f.st, &steps), 0);
	/* A Join... */
	put_token(&f, n + 1, 200000);
	ASSERT_EQ(gkd_store_begin(f.st), 0);
	ASSERT_EQ(gkd_store_member_get_by_kid(f.st, "g", (uint8_t[]){ 0xff, 0xff }, 2, &m),
		  -ENOENT);
	ASSERT_EQ(gkd_store_member_count(f.st, "g", &count), 0);
	ASSERT_EQ(count, n);
	ASSERT_EQ(gkd_store_sid_taken(f.st, "g", n + 1, "snew", 1, &taken), 0);
	ASSERT_FALSE(taken);
	member_init(&m, "g", "snew", n + 1, n + 1);
	ASSERT_EQ(gkd_store_member_put(f.st, &m), 0);
	ASSERT_EQ(gkd_store_commit(f.st), 0);
	/* A member's newer token, a token deleted (authz), a purge of nothing... */
	put_token(&f, n / 2 + 1, 300000);
	delete_token(&f, n + 1);
	ASSERT_EQ(gkd_store_token_purge(f.st, 1000, NULL), 0);
	/* ...and a tick with nothing expired. */
	ASSERT_EQ(gkd_store_member_expired(f.st, 1000, 64, &refs, &got), 0);
	ASSERT_EQ(got, 1); /* snew, whose token went */
	EXPECT_STREQ(refs[0].node, "snew");
	free(refs);
	ASSERT_EQ(gkd_store_member_next_expiry(f.st, &exp), 0);
	ASSERT_EQ(exp, 0);
	ASSERT_EQ(gkd_store_vm_steps(f.st, &steps), 0);
	fixture_fini(&f);
	return steps;
}

TEST(join_and_tick_work_independent_of_group_size)
{
	uint64_t small = work_at(10), large = work_at(5000);

	TH_LOG("SQLite VM steps: %" PRIu64 " with 10 members, %" PRIu64 " with 5000", small,
	       large);
	EXPECT_GT(small, 0);
	EXPECT_EQ(large, small);
}
