// SPDX-License-Identifier: BSD-3-Clause
/* groupkeyd's SQLite state: file and directory modes, migrations, cached statements. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "groupkey/crypto.h"
#include "groupkey/log.h"
#include "groupkey/util.h"
#include "store.h"

#define STORE_DB_NAME "groupkeyd.db"
#define STORE_BUSY_MS 5000

/*
 * Schema migrations: migrations[i] takes the database from version i to
 * i + 1. Append only; never edit a released entry.
 */
static const char *const migrations[] = {
	/* v1: AS counters, KDC tokens. */
	"CREATE TABLE counters ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  value INTEGER NOT NULL);"
	"CREATE TABLE tokens ("
	"  kid BLOB PRIMARY KEY NOT NULL,"
	"  token BLOB NOT NULL,"
	"  exp INTEGER NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  ns BLOB);"
	"CREATE INDEX tokens_exp ON tokens (exp);",
	/* v2: KDC groups, members, sender-id reservations. */
	"CREATE TABLE groups ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  active INTEGER NOT NULL,"
	"  num INTEGER NOT NULL,"
	"  key BLOB NOT NULL,"
	"  exp INTEGER NOT NULL,"
	"  prev_num INTEGER NOT NULL DEFAULT 0,"
	"  prev_key BLOB,"
	"  prev_exp INTEGER NOT NULL DEFAULT 0,"
	"  prev_until INTEGER NOT NULL DEFAULT 0,"
	"  next_sid INTEGER NOT NULL,"
	"  rekey_due INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE members ("
	"  grp TEXT NOT NULL REFERENCES groups (name),"
	"  node TEXT NOT NULL,"
	"  sender_id INTEGER NOT NULL,"
	"  kid BLOB NOT NULL,"
	"  cred BLOB,"
	"  roles INTEGER NOT NULL,"
	"  control_uri TEXT,"
	"  cnonce BLOB,"
	"  scope BLOB NOT NULL,"
	"  joined_num INTEGER NOT NULL,"
	"  PRIMARY KEY (grp, node),"
	"  UNIQUE (grp, sender_id),"
	"  UNIQUE (grp, kid));"
	"CREATE INDEX members_kid ON members (kid);"
	"CREATE TABLE sender_ids ("
	"  grp TEXT NOT NULL REFERENCES groups (name),"
	"  sender_id INTEGER NOT NULL,"
	"  last_num INTEGER NOT NULL,"
	"  PRIMARY KEY (grp, sender_id));",
	/*
	 * v3: what a Join and a tick ask without scanning the members. The
	 * member count lives in the group row, kept by triggers; each member
	 * carries its token's exp (0: token gone), set by ST_MEMBER_PUT and
	 * kept by triggers on tokens. A trigger runs inside the statement
	 * that fires it, so inside its transaction too. The REPLACE of a
	 * member fires members_del only with recursive_triggers on, which
	 * store_pragmas() sets. The triggers find a kid's members through
	 * (grp, kid), one probe per group, so members_kid goes: one index
	 * less to write on every Join.
	 */
	"ALTER TABLE groups ADD COLUMN n_members INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE members ADD COLUMN token_exp INTEGER NOT NULL DEFAULT 0;"
	"UPDATE groups SET n_members = (SELECT count(*) FROM members m WHERE m.grp = groups.name);"
	"UPDATE members SET token_exp = "
	"  coalesce((SELECT t.exp FROM tokens t WHERE t.kid = members.kid), 0);"
	"DROP INDEX members_kid;"
	"CREATE INDEX members_expiry ON members (grp, token_exp, sender_id);"
	"CREATE TRIGGER members_ins AFTER INSERT ON members BEGIN"
	"  UPDATE groups SET n_members = n_members + 1 WHERE name = NEW.grp; END;"
	"CREATE TRIGGER members_del AFTER DELETE ON members BEGIN"
	"  UPDATE groups SET n_members = n_members - 1 WHERE name = OLD.grp; END;"
	"CREATE TRIGGER tokens_ins AFTER INSERT ON tokens BEGIN"
	"  UPDATE members SET token_exp = NEW.exp"
	"  WHERE grp IN (SELECT name FROM groups) AND kid = NEW.kid; END;"
	"CREATE TRIGGER tokens_upd AFTER UPDATE OF exp, kid ON tokens"
	"  WHEN NEW.exp IS NOT OLD.exp OR NEW.kid IS NOT OLD.kid BEGIN"
	"  UPDATE members SET token_exp = 0"
	"  WHERE grp IN (SELECT name FROM groups) AND kid = OLD.kid AND OLD.kid IS NOT NEW.kid;"
	"  UPDATE members SET token_exp = NEW.exp"
	"  WHERE grp IN (SELECT name FROM groups) AND kid = NEW.kid; END;"
	"CREATE TRIGGER tokens_del AFTER DELETE ON tokens BEGIN"
	"  UPDATE members SET token_exp = 0"
	"  WHERE grp IN (SELECT name FROM groups) AND kid = OLD.kid; END;",
};

#define STORE_SCHEMA_VERSION ((int)GK_ARRAY_SIZE(migrations))

enum store_stmt {
	ST_NEXT_SEQ,
	ST_TOKEN_PUT,
	ST_TOKEN_GET,
	ST_TOKEN_DELETE,
	ST_TOKEN_PURGE,
	ST_TOKEN_COUNT,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_GROUP_GET,
	ST_GROUP_PUT,
	ST_GROUP_ALL,
	ST_MEMBER_PUT,
	ST_MEMBER_GET,
	ST_MEMBER_GET_KID,
	ST_MEMBER_DELETE,
	ST_MEMBER_COUNT,
	ST_MEMBER_ALL,
	ST_MEMBER_EXPIRED,
	ST_MEMBER_NEXT_EXPIRY,
	ST_SID_TAKEN,
	ST_SID_RESERVE,
	ST_SID_PURGE,
	ST_SID_COUNT,
	ST_NR,
};

#define GROUP_COLS "name, active, num, key, exp, prev_num, prev_key, prev_exp, prev_until, " \
		   "next_sid, rekey_due"
#define MEMBER_COLS "grp, node, sender_id, kid, cred, roles, control_uri, cnonce, scope, " \
		    "joined_num"


static const char *const stmt_sql[ST_NR] = {
	[ST_NEXT_SEQ] = "INSERT INTO counters (name, value) VALUES (?1, 1) "
			"ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
	[ST_TOKEN_PUT] = "INSERT INTO tokens (kid, token, exp, received, ns) "
			 "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kid) DO UPDATE SET "
			 "token = excluded.token, exp = excluded.exp, "
			 "received = excluded.received, ns = excluded.ns",
	[ST_TOKEN_GET] = "SELECT token, exp, received, ns FROM tokens WHERE kid = ?1",
	[ST_TOKEN_DELETE] = "DELETE FROM tokens WHERE kid = ?1",
	[ST_TOKEN_PURGE] = "DELETE FROM tokens WHERE exp < ?1",
	[ST_TOKEN_COUNT] = "SELECT count(*) FROM tokens",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GROUP_GET] = "SELECT " GROUP_COLS " FROM groups WHERE name = ?1",
	/* num never decreases: an update that would lower it changes nothing. */
	[ST_GROUP_PUT] = "INSERT INTO groups (" GROUP_COLS ") "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
			 "ON CONFLICT (name) DO UPDATE SET active = excluded.active, "
			 "num = excluded.num, key = excluded.key, exp = excluded.exp, "
			 "prev_num = excluded.prev_num, prev_key = excluded.prev_key, "
			 "prev_exp = excluded.prev_exp, prev_until = excluded.prev_until, "
			 "next_sid = excluded.next_sid, rekey_due = excluded.rekey_due "
			 "WHERE excluded.num >= groups.num",
	[ST_GROUP_ALL] = "SELECT " GROUP_COLS " FROM groups ORDER BY name",
	[ST_MEMBER_PUT] = "INSERT OR REPLACE INTO members (" MEMBER_COLS ", token_exp) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			  "coalesce((SELECT exp FROM tokens WHERE kid = ?4), 0))",
	[ST_MEMBER_GET] = "SELECT " MEMBER_COLS " FROM members WHERE grp = ?1 AND node = ?2",
	[ST_MEMBER_GET_KID] = "SELECT " MEMBER_COLS " FROM members WHERE grp = ?1 AND kid = ?2",
	[ST_MEMBER_DELETE] = "DELETE FROM members WHERE grp = ?1 AND node = ?2",
	[ST_MEMBER_COUNT] = "SELECT coalesce((SELECT n_members FROM groups WHERE name = ?1), 0)",
	[ST_MEMBER_ALL] = "SELECT " MEMBER_COLS " FROM members WHERE grp = ?1 ORDER BY sender_id",
	/*
	 * Members of active groups only (the others are removed when their
	 * group retires). CROSS JOIN keeps groups the outer loop, so that
	 * each group is one range of members_expiry read in index order (no
	 * sort, LIMIT stops the scan) rather than a scan of the whole index.
	 */
	[ST_MEMBER_EXPIRED] = "SELECT m.grp, m.node FROM groups g "
			      "CROSS JOIN members m ON m.grp = g.name AND m.token_exp <= ?1 "
			      "WHERE g.active "
			      "ORDER BY g.name, m.token_exp, m.sender_id LIMIT ?2",
	/* One index lookup per group: min() of a correlated subquery over members_expiry. */
	[ST_MEMBER_NEXT_EXPIRY] = "SELECT min((SELECT min(m.token_exp) FROM members m "
				  "WHERE m.grp = g.name)) FROM groups g WHERE g.active",
	[ST_SID_TAKEN] = "SELECT EXISTS (SELECT 1 FROM members WHERE grp = ?1 AND "
			 "(sender_id = ?2 OR node = ?3)) OR EXISTS (SELECT 1 FROM sender_ids "
			 "WHERE grp = ?1 AND sender_id = ?2 AND last_num >= ?4)",
	[ST_SID_RESERVE] = "INSERT INTO sender_ids (grp, sender_id, last_num) VALUES (?1, ?2, ?3) "
			   "ON CONFLICT (grp, sender_id) DO UPDATE SET "
			   "last_num = max(last_num, excluded.last_num)",
	[ST_SID_PURGE] = "DELETE FROM sender_ids WHERE grp = ?1 AND last_num < ?2",
	[ST_SID_COUNT] = "SELECT count(*) FROM sender_ids WHERE grp = ?1",
};

struct gkd_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_NR];
	int version;
	bool in_tx;
};

/* Map an SQLite result code to -errno, logging what SQLite says. */
static int store_err(struct gkd_store *st, int rc, const char *what)
{
	int err = -EIO;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		err = -EBUSY;
	else if (rc == SQLITE_NOMEM)
		err = -ENOMEM;
	pr_err("store: %s: %s", what, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	return err;
}

static int store_exec(struct gkd_store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_err(st, rc, what);
}

/* Bound, run to completion (no rows expected), reset. */
static int stmt_run(struct gkd_store *st, enum store_stmt id, const char *what)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, what);
}

static void stmt_done(struct gkd_store *st, enum store_stmt id)
{
	sqlite3_reset(st->stmt[id]);
	sqlite3_clear_bindings(st->stmt[id]);
}

/* --- files --------------------------------------------------------------- */

/* The state directory: ours only. An existing one of ours with wider modes is narrowed. */
static int store_dir(const char *dir)
{
	struct stat sb;
	int err;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		pr_err("store: cannot create %s: %s", dir, strerror(-err));
		return err;
	}
	if (stat(dir, &sb) < 0) {
		err = -errno;
		pr_err("store: %s: %s", dir, strerror(-err));
		return err;
	}
	if (!S_ISDIR(sb.st_mode)) {
		pr_err("store: %s is not a directory", dir);
		return -ENOTDIR;
	}
	if (!(sb.st_mode & 077))
		return 0;
	if (sb.st_uid != geteuid()) {
		pr_err("store: %s has mode %04o and is not ours: refusing it", dir,
		       (unsigned)(sb.st_mode & 07777));
		return -EPERM;
	}
	pr_warn("store: %s had mode %04o, now 0700", dir, (unsigned)(sb.st_mode & 07777));
	return chmod(dir, 0700) < 0 ? -errno : 0;
}

/* Create the database file 0600 before SQLite does, so it never exists with wider modes. */
static int store_db_file(const char *path)
{
	struct stat sb;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		pr_err("store: cannot open %s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &sb) < 0) {
		err = -errno;
	} else if (!S_ISREG(sb.st_mode)) {
		pr_err("store: %s is not a regular file", path);
		err = -EINVAL;
	} else if (sb.st_mode & 077) {
		pr_warn("store: %s had mode %04o, now 0600", path, (unsigned)(sb.st_mode & 07777));
		if (fchmod(fd, 0600) < 0)
			err = -errno;
	}
	close(fd);
	return err;
}

/* --- schema -------------------------------------------------------------- */

static int store_pragmas(struct gkd_store *st)
{
	sqlite3_stmt *s;
	bool wal;
	int rc, err;

	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/*
	 * EXCLUSIVE, set before the first WAL access: the daemon is the
	 * database's only user. SQLite then takes its file locks once and keeps
	 * them, instead of about 18 fcntl() calls per Join (a token and a member
	 * committed), and uses no shared-memory index. A second daemon on the
	 * same state directory fails at start-up (database is locked) rather than
	 * sharing it; the sqlite3 shell can read the file once the daemon stops.
	 */
	err = store_exec(st, "PRAGMA locking_mode = EXCLUSIVE", "locking_mode");
	if (err)
		return err;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "journal_mode");
	rc = sqlite3_step(s);
	wal = rc == SQLITE_ROW && !sqlite3_stricmp((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	if (!wal) {
		pr_err("store: the database refuses WAL mode");
		return -EIO;
	}
	return store_exec(st,
			  "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
			  "PRAGMA secure_delete = ON; PRAGMA recursive_triggers = ON;",
			  "pragmas");
}

static int store_read_version(struct gkd_store *st, int *version)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT version FROM schema_version WHERE id = 1", -1, &s,
				NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "schema_version");
	rc = sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "schema_version");
}

/* One migration and its version bump, in one transaction. */
static int store_migrate_one(struct gkd_store *st, int to)
{
	char sql[96];
	int err;

	err = store_exec(st, "BEGIN IMMEDIATE", "migration");
	if (err)
		return err;
	err = store_exec(st, migrations[to - 1], "migration");
	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO schema_version (id, version) "
		 "VALUES (1, %d)",
		 to);
	if (!err)
		err = store_exec(st, sql, "migration");
	if (!err)
		err = store_exec(st, "COMMIT", "migration");
	if (err) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		pr_err("store: migration to schema version %d failed", to);
		return err;
	}
	pr_info("store: schema version %d", to);
	return 0;
}

static int store_migrate(struct gkd_store *st)
{
	int err, version;

	err = store_exec(st,
			 "CREATE TABLE IF NOT EXISTS schema_version ("
			 "id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
			 "schema_version");
	if (!err)
		err = store_read_version(st, &version);
	if (err)
		return err;
	if (version > STORE_SCHEMA_VERSION) {
		pr_err("store: schema version %d is newer than this groupkeyd's %d", version,
		       STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	while (version < STORE_SCHEMA_VERSION) {
		err = store_migrate_one(st, ++version);
		if (err)
			return err;
	}
	st->version = version;
	return 0;
}

static int store_prepare(struct gkd_store *st)
{
	for (int i = 0; i < ST_NR; i++) {
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[i], NULL);

		if (rc != SQLITE_OK)
			return store_err(st, rc, "prepare");
	}
	return 0;
}

/* --- open / close -------------------------------------------------------- */

sqlite3 *gkd_store_sqlite(struct gkd_store *st)
{
	return st->db;
}

static int store_connect(struct gkd_store *st, const char *path)
{
	int rc = sqlite3_open_v2(path, &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
				 NULL);

	if (rc != SQLITE_OK)
		return store_err(st, rc, path);
	sqlite3_extended_result_codes(st->db, 0);
	return 0;
}

int gkd_store_open(const char *state_dir, struct gkd_store **out)
{
	struct gkd_store *st;
	char path[PATH_MAX];
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, STORE_DB_NAME) >= sizeof(path))
		return -ENAMETOOLONG;
	err = store_dir(state_dir);
	if (!err)
		err = store_db_file(path);
	if (err)
		return err;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	err = store_connect(st, path);
	if (!err)
		err = store_pragmas(st);
	if (!err)
		err = store_migrate(st);
	if (!err)
		err = store_prepare(st);
	if (err) {
		gkd_store_close(st);
		return err;
	}
	*out = st;
	return 0;
}

void gkd_store_close(struct gkd_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST_NR; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		pr_err("store: close: %s", sqlite3_errmsg(st->db));
	free(st);
}

int gkd_store_schema_version(struct gkd_store *st)
{
	return st->version;
}

int gkd_store_vm_steps(struct gkd_store *st, uint64_t *steps)
{
	uint64_t sum = 0;

	for (int i = 0; i < ST_NR; i++)
		sum += (unsigned)sqlite3_stmt_status(st->stmt[i], SQLITE_STMTSTATUS_VM_STEP, 1);
	*steps = sum;
	return 0;
}

/* --- counters ------------------------------------------------------------ */

int gkd_store_next_seq(struct gkd_store *st, const char *counter, uint64_t *value)
{
	sqlite3_stmt *s = st->stmt[ST_NEXT_SEQ];
	sqlite3_int64 v = 0;
	int rc;

	if (!counter || !counter[0])
		return -EINVAL;
	sqlite3_bind_text(s, 1, counter, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	stmt_done(st, ST_NEXT_SEQ);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, "next_seq");
	if (v <= 0)
		return -EOVERFLOW;
	*value = (uint64_t)v;
	return 0;
}

/* --- tokens -------------------------------------------------------------- */

static bool kid_ok(const uint8_t *kid, size_t kid_len)
{
	return kid && kid_len && kid_len <= GKD_KID_MAX;
}

int gkd_store_token_put(struct gkd_store *st, const struct gkd_token_rec *rec)
{
	sqlite3_stmt *s = st->stmt[ST_TOKEN_PUT];

	if (!kid_ok(rec->kid, rec->kid_len) || !rec->token_len || rec->token_len > GKD_TOKEN_MAX ||
	    rec->ns_len > GKD_NONCE_MAX)
		return -EINVAL;
	sqlite3_bind_blob(s, 1, rec->kid, (int)rec->kid_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, rec->token, (int)rec->token_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, rec->exp);
	sqlite3_bind_int64(s, 4, rec->received);
	if (rec->ns_len)
		sqlite3_bind_blob(s, 5, rec->ns, (int)rec->ns_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	return stmt_run(st, ST_TOKEN_PUT, "token_put");
}

/* Copy a BLOB column into a fixed buffer; a row that does not fit is corrupt. */
static int column_blob(sqlite3_stmt *s, int col, uint8_t *buf, size_t cap, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	int n = sqlite3_column_bytes(s, col);

	if (n < 0 || (size_t)n > cap)
		return -EIO;
	if (n)
		memcpy(buf, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

static int token_row(sqlite3_stmt *s, struct gkd_token_rec *out)
{
	int err;

	err = column_blob(s, 0, out->token, sizeof(out->token), &out->token_len);
	if (!err)
		err = column_blob(s, 3, out->ns, sizeof(out->ns), &out->ns_len);
	out->exp = sqlite3_column_int64(s, 1);
	out->received = sqlite3_column_int64(s, 2);
	if (err)
		pr_err("store: a stored token does not fit its buffers");
	return err;
}

int gkd_store_token_get(struct gkd_store *st, const uint8_t *kid, size_t kid_len,
			struct gkd_token_rec *out)
{
	sqlite3_stmt *s = st->stmt[ST_TOKEN_GET];
	int rc, err = 0;

	if (!kid_ok(kid, kid_len))
		return -EINVAL;
	sqlite3_bind_blob(s, 1, kid, (int)kid_len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memcpy(out->kid, kid, kid_len);
		out->kid_len = kid_len;
		err = token_row(s, out);
	} else if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else {
		err = store_err(st, rc, "token_get");
	}
	stmt_done(st, ST_TOKEN_GET);
	return err;
}

int gkd_store_token_delete(struct gkd_store *st, const uint8_t *kid, size_t kid_len)
{
	if (!kid_ok(kid, kid_len))
		return -EINVAL;
	sqlite3_bind_blob(st->stmt[ST_TOKEN_DELETE], 1, kid, (int)kid_len, SQLITE_STATIC);
	return stmt_run(st, ST_TOKEN_DELETE, "token_delete");
}

int gkd_store_token_purge(struct gkd_store *st, int64_t now, unsigned *purged)
{
	int err;

	sqlite3_bind_int64(st->stmt[ST_TOKEN_PURGE], 1, now);
	err = stmt_run(st, ST_TOKEN_PURGE, "token_purge");
	if (!err && purged)
		*purged = (unsigned)sqlite3_changes(st->db);
	return err;
}

int gkd_store_token_count(struct gkd_store *st, unsigned *count)
{
	sqlite3_stmt *s = st->stmt[ST_TOKEN_COUNT];
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*count = (unsigned)sqlite3_column_int64(s, 0);
	stmt_done(st, ST_TOKEN_COUNT);
	return rc == SQLITE_ROW ? 0 : store_err(st, rc, "token_count");
}

/* --- transactions -------------------------------------------------------- */

int gkd_store_begin(struct gkd_store *st)
{
	int err;

	if (st->in_tx)
		return -EBUSY;
	err = stmt_run(st, ST_BEGIN, "begin");
	if (!err)
		st->in_tx = true;
	return err;
}

int gkd_store_commit(struct gkd_store *st)
{
	int err;

	if (!st->in_tx)
		return -EINVAL;
	err = stmt_run(st, ST_COMMIT, "commit");
	/* A failed COMMIT leaves the transaction open for the caller to roll back. */
	if (!err)
		st->in_tx = false;
	return err;
}

void gkd_store_rollback(struct gkd_store *st)
{
	if (!st->in_tx)
		return;
	if (sqlite3_get_autocommit(st->db) == 0)
		stmt_run(st, ST_ROLLBACK, "rollback");
	st->in_tx = false;
}

/* --- KDC groups ---------------------------------------------------------- */

static bool name_ok(const char *name, size_t max)
{
	size_t n = name ? strnlen(name, max + 1) : 0;

	return n && n <= max;
}

/* A text column into a fixed buffer; too long is corrupt. */
static int column_text(sqlite3_stmt *s, int col, char *buf, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(s, col);
	int n = sqlite3_column_bytes(s, col);

	if (n < 0 || (size_t)n >= cap)
		return -EIO;
	if (n)
		memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	return 0;
}

/* A BLOB column that must be exactly n bytes (or NULL, then zeros when null_ok). */
static int column_fixed(sqlite3_stmt *s, int col, uint8_t *buf, size_t n, bool null_ok)
{
	size_t len = 0;
	int err;

	if (null_ok && sqlite3_column_type(s, col) == SQLITE_NULL) {
		memset(buf, 0, n);
		return 0;
	}
	err = column_blob(s, col, buf, n, &len);
	return err ? err : (len == n ? 0 : -EIO);
}

static int group_row(sqlite3_stmt *s, struct gkd_group_rec *g)
{
	int err;

	memset(g, 0, sizeof(*g));
	err = column_text(s, 0, g->name, sizeof(g->name));
	g->active = sqlite3_column_int(s, 1) != 0;
	g->num = (uint32_t)sqlite3_column_int64(s, 2);
	if (!err)
		err = column_fixed(s, 3, g->key, sizeof(g->key), false);
	g->exp = sqlite3_column_int64(s, 4);
	g->prev_num = (uint32_t)sqlite3_column_int64(s, 5);
	if (!err)
		err = column_fixed(s, 6, g->prev_key, sizeof(g->prev_key), true);
	g->prev_exp = sqlite3_column_int64(s, 7);
	g->prev_until = sqlite3_column_int64(s, 8);
	g->next_sid = (uint32_t)sqlite3_column_int64(s, 9);
	g->rekey_due_ms = sqlite3_column_int64(s, 10);
	if (err)
		pr_err("store: a stored group does not fit its buffers");
	return err;
}

int gkd_store_group_get(struct gkd_store *st, const char *name, struct gkd_group_rec *out)
{
	sqlite3_stmt *s = st->stmt[ST_GROUP_GET];
	int rc, err;

	if (!name_ok(name, GKD_GROUP_NAME_MAX))
		return -EINVAL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		err = group_row(s, out);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = store_err(st, rc, "group_get");
	stmt_done(st, ST_GROUP_GET);
	return err;
}

int gkd_store_group_put(struct gkd_store *st, const struct gkd_group_rec *g)
{
	sqlite3_stmt *s = st->stmt[ST_GROUP_PUT];
	int err;

	if (!name_ok(g->name, GKD_GROUP_NAME_MAX))
		return -EINVAL;
	sqlite3_bind_text(s, 1, g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, g->active);
	sqlite3_bind_int64(s, 3, g->num);
	sqlite3_bind_blob(s, 4, g->key, sizeof(g->key), SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, g->exp);
	sqlite3_bind_int64(s, 6, g->prev_num);
	if (g->prev_num)
		sqlite3_bind_blob(s, 7, g->prev_key, sizeof(g->prev_key), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
	sqlite3_bind_int64(s, 8, g->prev_exp);
	sqlite3_bind_int64(s, 9, g->prev_until);
	sqlite3_bind_int64(s, 10, g->next_sid);
	sqlite3_bind_int64(s, 11, g->rekey_due_ms);
	err = stmt_run(st, ST_GROUP_PUT, "group_put");
	if (!err && sqlite3_changes(st->db) == 0) {
		pr_err("store: refusing to lower num of group %s to %u", g->name, g->num);
		err = -ERANGE;
	}
	return err;
}

int gkd_store_group_foreach(struct gkd_store *st,
			    int (*cb)(void *arg, const struct gkd_group_rec *rec), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_GROUP_ALL];
	struct gkd_group_rec *g = malloc(sizeof(*g));
	int rc, err = 0;

	if (!g)
		return -ENOMEM;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		err = group_row(s, g);
		if (!err)
			err = cb(arg, g);
	}
	if (!err && rc != SQLITE_DONE)
		err = store_err(st, rc, "group_foreach");
	stmt_done(st, ST_GROUP_ALL);
	gk_wipe(g, sizeof(*g));
	free(g);
	return err;
}

/* --- members ------------------------------------------------------------- */

static void bind_blob_or_null(sqlite3_stmt *s, int col, const void *p, size_t n)
{
	if (n)
		sqlite3_bind_blob(s, col, p, (int)n, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

static bool member_ok(const struct gkd_member_rec *m)
{
	return name_ok(m->group, GKD_GROUP_NAME_MAX) && name_ok(m->node, GKD_NODE_MAX) &&
	       kid_ok(m->kid, m->kid_len) && m->cred_len <= GKD_CRED_MAX &&
	       m->cnonce_len <= GKD_NONCE_MAX && m->scope_len &&
	       m->scope_len <= GKD_SCOPE_ENTRY_MAX &&
	       strnlen(m->control_uri, sizeof(m->control_uri)) < sizeof(m->control_uri);
}

int gkd_store_member_put(struct gkd_store *st, const struct gkd_member_rec *m)
{
	sqlite3_stmt *s = st->stmt[ST_MEMBER_PUT];

	if (!member_ok(m))
		return -EINVAL;
	sqlite3_bind_text(s, 1, m->group, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, m->sender_id);
	sqlite3_bind_blob(s, 4, m->kid, (int)m->kid_len, SQLITE_STATIC);
	bind_blob_or_null(s, 5, m->cred, m->cred_len);
	sqlite3_bind_int64(s, 6, m->roles);
	if (m->control_uri[0])
		sqlite3_bind_text(s, 7, m->control_uri, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
	bind_blob_or_null(s, 8, m->cnonce, m->cnonce_len);
	sqlite3_bind_blob(s, 9, m->scope, (int)m->scope_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, m->joined_num);
	return stmt_run(st, ST_MEMBER_PUT, "member_put");
}

static int member_row(sqlite3_stmt *s, struct gkd_member_rec *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	err = column_text(s, 0, m->group, sizeof(m->group));
	if (!err)
		err = column_text(s, 1, m->node, sizeof(m->node));
	m->sender_id = (uint32_t)sqlite3_column_int64(s, 2);
	if (!err)
		err = column_blob(s, 3, m->kid, sizeof(m->kid), &m->kid_len);
	if (!err)
		err = column_blob(s, 4, m->cred, sizeof(m->cred), &m->cred_len);
	m->roles = (uint32_t)sqlite3_column_int64(s, 5);
	if (!err)
		err = column_text(s, 6, m->control_uri, sizeof(m->control_uri));
	if (!err)
		err = column_blob(s, 7, m->cnonce, sizeof(m->cnonce), &m->cnonce_len);
	if (!err)
		err = column_blob(s, 8, m->scope, sizeof(m->scope), &m->scope_len);
	m->joined_num = (uint32_t)sqlite3_column_int64(s, 9);
	if (err)
		pr_err("store: a stored member does not fit its buffers");
	return err;
}

/* Step a bound single-row query into *out: 0, -ENOENT or a store error. */
static int member_one(struct gkd_store *st, enum store_stmt id, struct gkd_member_rec *out)
{
	int rc = sqlite3_step(st->stmt[id]), err;

	if (rc == SQLITE_ROW)
		err = member_row(st->stmt[id], out);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = store_err(st, rc, "member_get");
	stmt_done(st, id);
	return err;
}

int gkd_store_member_get(struct gkd_store *st, const char *group, const char *node,
			 struct gkd_member_rec *out)
{
	sqlite3_stmt *s = st->stmt[ST_MEMBER_GET];

	if (!name_ok(group, GKD_GROUP_NAME_MAX) || !name_ok(node, GKD_NODE_MAX))
		return -EINVAL;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, node, -1, SQLITE_STATIC);
	return member_one(st, ST_MEMBER_GET, out);
}

int gkd_store_member_get_by_kid(struct gkd_store *st, const char *group, const uint8_t *kid,
				size_t kid_len, struct gkd_member_rec *out)
{
	sqlite3_stmt *s = st->stmt[ST_MEMBER_GET_KID];

	if (!name_ok(group, GKD_GROUP_NAME_MAX) || !kid_ok(kid, kid_len))
		return -EINVAL;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, kid, (int)kid_len, SQLITE_STATIC);
	return member_one(st, ST_MEMBER_GET_KID, out);
}

int gkd_store_member_delete(struct gkd_store *st, const char *group, const char *node)
{
	sqlite3_stmt *s = st->stmt[ST_MEMBER_DELETE];

	if (!name_ok(group, GKD_GROUP_NAME_MAX) || !name_ok(node, GKD_NODE_MAX))
		return -EINVAL;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, node, -1, SQLITE_STATIC);
	return stmt_run(st, ST_MEMBER_DELETE, "member_delete");
}

/* A bound "SELECT count(*)" style query with one integer result. */
static int stmt_int(struct gkd_store *st, enum store_stmt id, int64_t *v, const char *what)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	stmt_done(st, id);
	return rc == SQLITE_ROW ? 0 : store_err(st, rc, what);
}

int gkd_store_member_count(struct gkd_store *st, const char *group, unsigned *count)
{
	int64_t v = 0;
	int err;

	if (!name_ok(group, GKD_GROUP_NAME_MAX))
		return -EINVAL;
	sqlite3_bind_text(st->stmt[ST_MEMBER_COUNT], 1, group, -1, SQLITE_STATIC);
	err = stmt_int(st, ST_MEMBER_COUNT, &v, "member_count");
	if (!err)
		*count = (unsigned)v;
	return err;
}

int gkd_store_member_foreach(struct gkd_store *st, const char *group,
			     int (*cb)(void *arg, const struct gkd_member_rec *rec), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_MEMBER_ALL];
	struct gkd_member_rec *m;
	int rc = SQLITE_DONE, err = 0;

	if (!name_ok(group, GKD_GROUP_NAME_MAX))
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		err = member_row(s, m);
		if (!err)
			err = cb(arg, m);
	}
	if (!err && rc != SQLITE_DONE)
		err = store_err(st, rc, "member_foreach");
	stmt_done(st, ST_MEMBER_ALL);
	free(m);
	return err;
}

int gkd_store_member_expired(struct gkd_store *st, int64_t now, size_t max,
			     struct gkd_member_ref **out, size_t *n)
{
	sqlite3_stmt *s = st->stmt[ST_MEMBER_EXPIRED];
	struct gkd_member_ref *refs;
	size_t got = 0;
	int rc = SQLITE_DONE, err = 0;

	*out = NULL;
	*n = 0;
	refs = calloc(max ? max : 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while (!err && got < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		err = column_text(s, 0, refs[got].group, sizeof(refs[got].group));
		if (!err)
			err = column_text(s, 1, refs[got].node, sizeof(refs[got].node));
		got++;
	}
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = store_err(st, rc, "member_expired");
	stmt_done(st, ST_MEMBER_EXPIRED);
	if (err) {
		free(refs);
		return err;
	}
	*out = refs;
	*n = got;
	return 0;
}

int gkd_store_member_next_expiry(struct gkd_store *st, int64_t *exp)
{
	sqlite3_stmt *s = st->stmt[ST_MEMBER_NEXT_EXPIRY];
	int rc = sqlite3_step(s), err = 0;

	if (rc != SQLITE_ROW)
		err = store_err(st, rc, "member_next_expiry");
	else if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		err = -ENOENT;
	else
		*exp = sqlite3_column_int64(s, 0);
	stmt_done(st, ST_MEMBER_NEXT_EXPIRY);
	return err;
}

/* --- sender-id reservations ---------------------------------------------- */

int gkd_store_sid_taken(struct gkd_store *st, const char *group, uint32_t sid, const char *node,
			uint32_t min_num, bool *taken)
{
	sqlite3_stmt *s = st->stmt[ST_SID_TAKEN];
	int64_t v = 0;
	int err;

	if (!name_ok(group, GKD_GROUP_NAME_MAX) || !name_ok(node, GKD_NODE_MAX))
		return -EINVAL;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, sid);
	sqlite3_bind_text(s, 3, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, min_num);
	err = stmt_int(st, ST_SID_TAKEN, &v, "sid_taken");
	if (!err)
		*taken = v != 0;
	return err;
}

int gkd_store_sid_reserve(struct gkd_store *st, const char *group, uint32_t sid,
			  uint32_t last_num)
{
	sqlite3_stmt *s = st->stmt[ST_SID_RESERVE];

	if (!name_ok(group, GKD_GROUP_NAME_MAX))
		return -EINVAL;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, sid);
	sqlite3_bind_int64(s, 3, last_num);
	return stmt_run(st, ST_SID_RESERVE, "sid_reserve");
}

int gkd_store_sid_purge(struct gkd_store *st, const char *group, uint32_t min_num,
			unsigned *purged)
{
	sqlite3_stmt *s = st->stmt[ST_SID_PURGE];
	int err;

	if (!name_ok(group, GKD_GROUP_NAME_MAX))
		return -EINVAL;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, min_num);
	err = stmt_run(st, ST_SID_PURGE, "sid_purge");
	if (!err && purged)
		*purged = (unsigned)sqlite3_changes(st->db);
	return err;
}

int gkd_store_sid_count(struct gkd_store *st, const char *group, unsigned *count)
{
	int64_t v = 0;
	int err;

	if (!name_ok(group, GKD_GROUP_NAME_MAX))
		return -EINVAL;
	sqlite3_bind_text(st->stmt[ST_SID_COUNT], 1, group, -1, SQLITE_STATIC);
	err = stmt_int(st, ST_SID_COUNT, &v, "sid_count");
	if (!err)
		*count = (unsigned)v;
	return err;
}
