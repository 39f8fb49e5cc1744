// SPDX-License-Identifier: BSD-3-Clause
/* A member worker's durable state: its access token and PoP key, and its sequence marks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "member_store.h"
#include "groupkey/crypto.h"
#include "groupkey/log.h"

#define MSTORE_BUSY_MS 5000

struct gkd_mstore {
	sqlite3 *db;
};

static const char schema[] =
	"PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;"
	"CREATE TABLE IF NOT EXISTS token (id INTEGER PRIMARY KEY CHECK (id = 1),"
	" token BLOB NOT NULL, pop BLOB NOT NULL, exp INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS seq (addr TEXT PRIMARY KEY, mark INTEGER NOT NULL);";

static int db_err(struct gkd_mstore *s, const char *what)
{
	pr_err("member state: %s: %s", what, sqlite3_errmsg(s->db));
	return -EIO;
}

/* Create the file 0600 before SQLite does, so that it never exists with looser modes. */
static int create_private(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

int gkd_mstore_open(const char *state_dir, const char *name, struct gkd_mstore **out)
{
	struct gkd_mstore *s;
	char path[4096];
	int err;

	if (snprintf(path, sizeof(path), "%s/member-%s.db", state_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = create_private(path);
	if (err) {
		pr_err("member state: %s: %s", path, strerror(-err));
		return err;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK) {
		err = db_err(s, path);
		goto out_close;
	}
	sqlite3_busy_timeout(s->db, MSTORE_BUSY_MS);
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		err = db_err(s, "schema");
		goto out_close;
	}
	*out = s;
	return 0;
out_close:
	gkd_mstore_close(s);
	return err;
}

void gkd_mstore_close(struct gkd_mstore *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

/* Prepare sql; NULL after logging the failure. */
static sqlite3_stmt *prep(struct gkd_mstore *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(s, "prepare");
		return NULL;
	}
	return st;
}

/* Step a statement that returns no row, then finalize it. */
static int step_done(struct gkd_mstore *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(s, what);
}

int gkd_mstore_token_put(struct gkd_mstore *s, const struct gk_ace_token *t, int64_t exp)
{
	sqlite3_stmt *st;
	struct gk_enc e;
	int err;

	gk_enc_init(&e);
	err = gk_cose_key_encode(&e, &t->pop, true);
	if (err)
		goto out;
	st = prep(s, "INSERT OR REPLACE INTO token (id, token, pop, exp) VALUES (1, ?, ?, ?)");
	err = -EIO;
	if (!st)
		goto out;
	sqlite3_bind_blob(st, 1, t->token, (int)t->token_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, e.buf, (int)e.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, exp);
	err = step_done(s, st, "saving the token");
out:
	gk_wipe(e.buf, e.len);
	gk_enc_free(&e);
	return err;
}

int gkd_mstore_token_get(struct gkd_mstore *s, struct gk_ace_token *t, int64_t *exp)
{
	sqlite3_stmt *st = prep(s, "SELECT token, pop, exp FROM token WHERE id = 1");
	const void *tok, *pop;
	int n, pn, err, rc;

	memset(t, 0, sizeof(*t));
	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? -ENOENT : db_err(s, "reading the token");
		goto out;
	}
	tok = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	pop = sqlite3_column_blob(st, 1);
	pn = sqlite3_column_bytes(st, 1);
	err = -EBADMSG;
	if (!tok || n <= 0 || (size_t)n > sizeof(t->token) || !pop || pn <= 0)
		goto out;
	memcpy(t->token, tok, (size_t)n);
	t->token_len = (size_t)n;
	err = gk_cose_key_decode(pop, (size_t)pn, &t->pop);
	*exp = sqlite3_column_int64(st, 2);
out:
	sqlite3_finalize(st);
	if (err)
		gk_wipe(t, sizeof(*t));
	return err;
}

int gkd_mstore_token_del(struct gkd_mstore *s)
{
	sqlite3_stmt *st = prep(s, "DELETE FROM token");

	return st ? step_done(s, st, "forgetting the token") : -EIO;
}

int gkd_mstore_mark_put(struct gkd_mstore *s, const char *addr, uint64_t mark)
{
	sqlite3_stmt *st;

	if (mark > INT64_MAX)
		return -ERANGE;
	st = prep(s, "INSERT OR REPLACE INTO seq (addr, mark) VALUES (?, ?)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)mark);
	return step_done(s, st, "saving a sequence mark");
}

int gkd_mstore_mark_get(struct gkd_mstore *s, const char *addr, uint64_t *mark)
{
	sqlite3_stmt *st = prep(s, "SELECT mark FROM seq WHERE addr = ?");
	int rc, err = 0;

	*mark = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) >= 0)
		*mark = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = db_err(s, "reading a sequence mark");
	sqlite3_finalize(st);
	return err;
}
