/* SPDX-License-Identifier: MIT */
/* The SQLite backend: a file on the station, WAL so that readers never wait
 * for a writer, a busy timeout so that concurrent jobs (a batch's threads,
 * parallel processes) queue for the write lock instead of failing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hist_priv.h"
#include "mtkflash/util.h"

/* Long enough for 16 jobs of a batch finishing at once behind one another. */
#define BUSY_TIMEOUT_MS 30000

static int sq_fail(struct mtk_history *h, const char *what)
{
	sqlite3 *db = h->conn;
	return mtk_fail(h->ctx, MTK_E_IO, "history (sqlite): %s: %s", what, sqlite3_errmsg(db));
}

static int bind_all(struct mtk_history *h, sqlite3_stmt *st, const char *const *params, int n)
{
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "$%d", i + 1);
		int idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0)
			continue; /* a statement may leave a parameter out */
		int rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT)
				   : sqlite3_bind_null(st, idx);
		if (rc != SQLITE_OK)
			return sq_fail(h, "binding a parameter");
	}
	return 0;
}

static int sq_query(struct mtk_history *h, const char *sql, const char *const *params, int n, hist_row_fn fn,
		    void *user)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h->conn, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(h, sql);
	int rc = bind_all(h, st, params, n);
	int step;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		int ncols = sqlite3_column_count(st);
		const char *vals[32];
		if (ncols > 32)
			ncols = 32;
		for (int i = 0; i < ncols; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		rc = fn ? fn(user, ncols, vals) : 0;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = sq_fail(h, sql);
	sqlite3_finalize(st);
	return rc;
}

static int sq_exec(struct mtk_history *h, const char *sql, const char *const *params, int n)
{
	return sq_query(h, sql, params, n, NULL, NULL);
}

/* IMMEDIATE takes the write lock now: two openers never both read version
 * 0 and both create the tables. */
static int sq_begin_schema(struct mtk_history *h)
{
	return sq_exec(h, "BEGIN IMMEDIATE", NULL, 0);
}

static void sq_close(struct mtk_history *h)
{
	sqlite3_close(h->conn);
	h->conn = NULL;
}

static const struct hist_ops sqlite_ops = {
	.name = "sqlite",
	.exec = sq_exec,
	.query = sq_query,
	.begin_schema = sq_begin_schema,
	.begin_write = "BEGIN IMMEDIATE",
	.close = sq_close,
};

/* The file is made here, 0600 and never through a link, before SQLite
 * opens it (SQLite would create it with the umask's mode). */
/* A new database file is made 0600 by us (SQLite would make it 0644 less the
 * umask).  Only a new one: closing any descriptor of a file drops every
 * POSIX lock this process holds on it, so opening and closing an existing
 * database while another thread's connection (a batch phone, a load test)
 * is inside a transaction would let a third writer past its locks and lose
 * records.  open_lock orders the creation before any connection of this
 * process opens the file. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static int create_private(mtk_ctx *ctx, const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory");
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		rc = mtk_make_dirs(ctx, dir, 0700);
	}
	free(dir);
	if (rc < 0)
		return rc;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	struct stat sb;
	if (errno != EEXIST)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	if (lstat(path, &sb) != 0)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return mtk_fail(ctx, MTK_E_IO, "%s: not a regular file", path);
	return 0;
}

/* Switching a new database to WAL needs it to itself, and SQLite answers a
 * second opener at that moment "busy" at once, without its busy handler:
 * wait for the switch as the busy timeout would. */
static int use_wal(sqlite3 *db)
{
	int src = SQLITE_BUSY;
	for (int waited = 0; waited < BUSY_TIMEOUT_MS; waited += 10) {
		src = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if (src != SQLITE_BUSY && src != SQLITE_LOCKED)
			break;
		sqlite3_sleep(10);
	}
	return src;
}

int hist_sqlite_open(mtk_ctx *ctx, const char *path, struct mtk_history *h)
{
	pthread_mutex_lock(&open_lock);
	int rc = create_private(ctx, path);
	sqlite3 *db = NULL;
	int src = rc < 0 ? SQLITE_OK : sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
	pthread_mutex_unlock(&open_lock);
	if (rc < 0)
		return rc;
	if (src != SQLITE_OK) {
		rc = mtk_fail(ctx, MTK_E_IO, "history %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return rc;
	}
	h->ops = &sqlite_ops;
	h->conn = db;
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (use_wal(db) != SQLITE_OK)
		rc = mtk_fail(ctx, MTK_E_IO, "PRAGMA journal_mode=WAL: %s", sqlite3_errmsg(db));
	if (rc == 0)
		rc = sq_exec(h, "PRAGMA foreign_keys=ON", NULL, 0);
	if (rc < 0) {
		rc = mtk_wrap(ctx, rc, "history %s", path);
		sq_close(h);
	}
	return rc;
}
