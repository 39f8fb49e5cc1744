// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the SQLite store: file modes, WAL, migrations, counters and the token table. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "groupkey/log.h"
#include "harness.h"
#include "store.h"

#define LATEST_VERSION 3 /* v3: member counts and token expiry kept per row */

struct fixture {
	char base[64]; /* mkdtemp'd */
	char dir[128]; /* base/state, created by the store */
	char db[160];
};

static void fixture_init(struct fixture *f)
{
	snprintf(f->base, sizeof(f->base), "/tmp/gk-store.XXXXXX");
	ASSERT_TRUE(mkdtemp(f->base) != NULL);
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->base);
	snprintf(f->db, sizeof(f->db), "%s/groupkeyd.db", f->dir);
	gk_log_set_level(GK_LOG_ERR);
}

static void fixture_fini(struct fixture *f)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", f->base);
	ASSERT_EQ(system(cmd), 0);
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0xffff;
	return st.st_mode & 07777;
}

static void set_version(const char *db, int version)
{
	char sql[128];
	sqlite3 *h;

	ASSERT_EQ(sqlite3_open(db, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d WHERE id = 1", version);
	ASSERT_EQ(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_changes(h), 1);
	ASSERT_EQ(sqlite3_close(h), SQLITE_OK);
}

static void rec_init(struct gkd_token_rec *r, uint8_t kid0, size_t token_len, int64_t exp)
{
	memset(r, 0, sizeof(*r));
	r->kid[0] = kid0;
	r->kid[1] = 0xaa;
	r->kid_len = 2;
	for (size_t i = 0; i < token_len; i++)
		r->token[i] = (uint8_t)(i * 7 + kid0);
	r->token_len = token_len;
	r->exp = exp;
	r->received = exp - 3600;
	memset(r->ns, 0x5a ^ kid0, 8);
	r->ns_len = 8;
}

TEST(open_creates_dir_0700_and_db_0600)
{
	struct gkd_store *st;
	struct fixture f;
	uint64_t v;
	char wal[192];

	fixture_init(&f);
	/* Under the tests' usual umask 022, not the daemon's 077. */
	umask(022);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	EXPECT_EQ(mode_of(f.dir), 0700);
	EXPECT_EQ(mode_of(f.db), 0600);
	/* SQLite gives the WAL the database's mode. */
	ASSERT_EQ(gkd_store_next_seq(st, "x", &v), 0);
	snprintf(wal, sizeof(wal), "%s-wal", f.db);
	EXPECT_EQ(mode_of(wal), 0600);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(open_narrows_modes_of_our_files)
{
	struct gkd_store *st;
	struct fixture f;

	fixture_init(&f);
	ASSERT_EQ(mkdir(f.dir, 0755), 0);
	ASSERT_EQ(chmod(f.dir, 0755), 0);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	gkd_store_close(st);
	ASSERT_EQ(chmod(f.db, 0644), 0);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	EXPECT_EQ(mode_of(f.dir), 0700);
	EXPECT_EQ(mode_of(f.db), 0600);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(open_refuses_missing_parent_and_file_as_dir)
{
	struct gkd_store *st = NULL;
	struct fixture f;
	char path[192];
	FILE *fp;

	fixture_init(&f);
	snprintf(path, sizeof(path), "%s/no/such", f.base);
	EXPECT_EQ(gkd_store_open(path, &st), -ENOENT);
	snprintf(path, sizeof(path), "%s/file", f.base);
	fp = fopen(path, "w");
	ASSERT_TRUE(fp != NULL);
	fclose(fp);
	EXPECT_EQ(gkd_store_open(path, &st), -ENOTDIR);
	EXPECT_TRUE(st == NULL);
	fixture_fini(&f);
}

TEST(wal_mode_and_schema_version)
{
	struct gkd_store *st;
	struct fixture f;
	sqlite3_stmt *s;
	sqlite3 *h;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	EXPECT_EQ(gkd_store_schema_version(st), LATEST_VERSION);
	/* While the store is open, it holds the file: a second connection cannot read it. */
	ASSERT_EQ(sqlite3_open(f.db, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, "SELECT version FROM schema_version", NULL, NULL, NULL),
		  SQLITE_BUSY);
	sqlite3_close(h);
	gkd_store_close(st);
	st = NULL;
	/* WAL is a property of the file: a later connection sees it. */
	ASSERT_EQ(sqlite3_open(f.db, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
	EXPECT_STREQ((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT version FROM schema_version", -1, &s, NULL),
		  SQLITE_OK);
	ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
	EXPECT_EQ(sqlite3_column_int(s, 0), LATEST_VERSION);
	EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(h);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(reopen_keeps_version_and_data)
{
	struct gkd_token_rec r, got;
	struct gkd_store *st;
	struct fixture f;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	rec_init(&r, 1, 100, 2000000000);
	ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	gkd_store_close(st);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	EXPECT_EQ(gkd_store_schema_version(st), LATEST_VERSION);
	ASSERT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), 0);
	EXPECT_EQ(got.token_len, 100);
	EXPECT_MEMEQ(got.token, r.token, 100);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(newer_schema_refused)
{
	struct gkd_store *st = NULL;
	struct fixture f;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	gkd_store_close(st);
	st = NULL;
	set_version(f.db, LATEST_VERSION + 1);
	EXPECT_EQ(gkd_store_open(f.dir, &st), -EPROTO);
	EXPECT_TRUE(st == NULL);
	/* Refusing did not touch it. */
	set_version(f.db, LATEST_VERSION);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(next_seq_increases_and_persists)
{
	struct gkd_store *st;
	struct fixture f;
	uint64_t v;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	for (uint64_t want = 1; want <= 5; want++) {
		ASSERT_EQ(gkd_store_next_seq(st, "cti", &v), 0);
		EXPECT_EQ(v, want);
	}
	/* Counters are independent. */
	ASSERT_EQ(gkd_store_next_seq(st, "other", &v), 0);
	EXPECT_EQ(v, 1);
	EXPECT_EQ(gkd_store_next_seq(st, "", &v), -EINVAL);
	gkd_store_close(st);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	ASSERT_EQ(gkd_store_next_seq(st, "cti", &v), 0);
	EXPECT_EQ(v, 6);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(token_put_get_exact)
{
	struct gkd_token_rec r, got;
	struct gkd_store *st;
	struct fixture f;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	rec_init(&r, 7, GKD_TOKEN_MAX, 1700000000);
	ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	memset(&got, 0xee, sizeof(got));
	ASSERT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), 0);
	EXPECT_EQ(got.kid_len, 2);
	EXPECT_MEMEQ(got.kid, r.kid, 2);
	EXPECT_EQ(got.token_len, GKD_TOKEN_MAX);
	EXPECT_MEMEQ(got.token, r.token, GKD_TOKEN_MAX);
	EXPECT_EQ(got.exp, 1700000000);
	EXPECT_EQ(got.received, 1700000000 - 3600);
	EXPECT_EQ(got.ns_len, 8);
	EXPECT_MEMEQ(got.ns, r.ns, 8);
	/* A token without N_S comes back with ns_len 0. */
	rec_init(&r, 8, 10, 1700000000);
	r.ns_len = 0;
	ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	ASSERT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), 0);
	EXPECT_EQ(got.ns_len, 0);
	EXPECT_EQ(got.token_len, 10);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(token_get_missing_and_bad_args)
{
	struct gkd_token_rec r, got;
	struct gkd_store *st;
	struct fixture f;
	uint8_t kid[GKD_KID_MAX + 1] = { 1 };

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	EXPECT_EQ(gkd_store_token_get(st, kid, 1, &got), -ENOENT);
	EXPECT_EQ(gkd_store_token_get(st, kid, 0, &got), -EINVAL);
	EXPECT_EQ(gkd_store_token_get(st, kid, GKD_KID_MAX + 1, &got), -EINVAL);
	rec_init(&r, 1, 10, 100);
	r.token_len = 0;
	EXPECT_EQ(gkd_store_token_put(st, &r), -EINVAL);
	r.token_len = GKD_TOKEN_MAX + 1;
	EXPECT_EQ(gkd_store_token_put(st, &r), -EINVAL);
	r.token_len = 10;
	r.ns_len = GKD_NONCE_MAX + 1;
	EXPECT_EQ(gkd_store_token_put(st, &r), -EINVAL);
	r.ns_len = 0;
	r.kid_len = 0;
	EXPECT_EQ(gkd_store_token_put(st, &r), -EINVAL);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(token_replace_same_kid)
{
	struct gkd_token_rec r, got;
	struct gkd_store *st;
	struct fixture f;
	unsigned n;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	rec_init(&r, 3, 50, 1000);
	ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	r.token[0] ^= 0xff;
	r.token_len = 40;
	r.exp = 5000;
	r.ns_len = 0;
	ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	ASSERT_EQ(gkd_store_token_count(st, &n), 0);
	EXPECT_EQ(n, 1);
	ASSERT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), 0);
	EXPECT_EQ(got.token_len, 40);
	EXPECT_MEMEQ(got.token, r.token, 40);
	EXPECT_EQ(got.exp, 5000);
	EXPECT_EQ(got.ns_len, 0);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(token_delete_and_count)
{
	struct gkd_token_rec r, got;
	struct gkd_store *st;
	struct fixture f;
	unsigned n = 99;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	ASSERT_EQ(gkd_store_token_count(st, &n), 0);
	EXPECT_EQ(n, 0);
	for (uint8_t i = 0; i < 3; i++) {
		rec_init(&r, i, 20, 1000);
		ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	}
	ASSERT_EQ(gkd_store_token_count(st, &n), 0);
	EXPECT_EQ(n, 3);
	rec_init(&r, 1, 20, 1000);
	ASSERT_EQ(gkd_store_token_delete(st, r.kid, r.kid_len), 0);
	EXPECT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), -ENOENT);
	/* Deleting what is not there is not an error: delete is idempotent. */
	EXPECT_EQ(gkd_store_token_delete(st, r.kid, r.kid_len), 0);
	ASSERT_EQ(gkd_store_token_count(st, &n), 0);
	EXPECT_EQ(n, 2);
	rec_init(&r, 2, 20, 1000);
	EXPECT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), 0);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(token_purge_exact_count)
{
	struct gkd_token_rec r, got;
	struct gkd_store *st;
	struct fixture f;
	unsigned n = 99;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	/* exp 100, 200, ..., 500; purge at 300 removes exp < 300: two. */
	for (uint8_t i = 1; i <= 5; i++) {
		rec_init(&r, i, 20, 100 * i);
		ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	}
	ASSERT_EQ(gkd_store_token_purge(st, 300, &n), 0);
	EXPECT_EQ(n, 2);
	rec_init(&r, 2, 20, 0);
	EXPECT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), -ENOENT);
	rec_init(&r, 3, 20, 0);
	EXPECT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), 0);
	ASSERT_EQ(gkd_store_token_purge(st, 300, &n), 0);
	EXPECT_EQ(n, 0);
	ASSERT_EQ(gkd_store_token_purge(st, 1000, NULL), 0);
	ASSERT_EQ(gkd_store_token_count(st, &n), 0);
	EXPECT_EQ(n, 0);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(transaction_commit_rollback_nested)
{
	struct gkd_token_rec r, got;
	struct gkd_store *st;
	struct fixture f;
	unsigned n;

	fixture_init(&f);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	ASSERT_EQ(gkd_store_begin(st), 0);
	EXPECT_EQ(gkd_store_begin(st), -EBUSY);
	rec_init(&r, 1, 20, 1000);
	ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	gkd_store_rollback(st);
	ASSERT_EQ(gkd_store_token_count(st, &n), 0);
	EXPECT_EQ(n, 0);
	ASSERT_EQ(gkd_store_begin(st), 0);
	ASSERT_EQ(gkd_store_token_put(st, &r), 0);
	ASSERT_EQ(gkd_store_commit(st), 0);
	EXPECT_EQ(gkd_store_commit(st), -EINVAL);
	gkd_store_close(st);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	EXPECT_EQ(gkd_store_token_get(st, r.kid, r.kid_len, &got), 0);
	gkd_store_close(st);
	fixture_fini(&f);
}

TEST(migration_from_empty_v0_database)
{
	struct gkd_store *st;
	struct fixture f;
	sqlite3 *h;

	fixture_init(&f);
	ASSERT_EQ(mkdir(f.dir, 0700), 0);
	/* A database with an unrelated table and no schema_version: version 0. */
	ASSERT_EQ(sqlite3_open(f.db, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, "CREATE TABLE junk (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ASSERT_EQ(chmod(f.db, 0600), 0);
	ASSERT_EQ(gkd_store_open(f.dir, &st), 0);
	EXPECT_EQ(gkd_store_schema_version(st), LATEST_VERSION);
	gkd_store_close(st);
	fixture_fini(&f);
}
