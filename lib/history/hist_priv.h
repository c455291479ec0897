/* SPDX-License-Identifier: MIT */
/* The history's backends: each one only runs SQL with text parameters; the
 * schema, its migrations and every statement are shared (schema.c), so
 * SQLite and PostgreSQL hold the same tables. */
#ifndef MTK_HISTORY_PRIV_H
#define MTK_HISTORY_PRIV_H

#include "core/ctx.h"
#include "mtkflash/history.h"

/* One result row: ncols values as text, NULL for SQL NULL.  A negative
 * return stops the query with that code. */
typedef int (*hist_row_fn)(void *user, int ncols, const char *const *vals);

struct hist_ops {
	const char *name;
	/* Statements with $1..$n parameters, all passed as text (NULL: SQL NULL). */
	int (*exec)(struct mtk_history *h, const char *sql, const char *const *params, int n);
	int (*query)(struct mtk_history *h, const char *sql, const char *const *params, int n, hist_row_fn fn,
		     void *user);
	/* Starts the transaction that creates or migrates the schema, holding
	 * off every other connection doing the same. */
	int (*begin_schema)(struct mtk_history *h);
	/* Starts a transaction that writes. */
	const char *begin_write;
	void (*close)(struct mtk_history *h);
};

struct mtk_history {
	mtk_ctx *ctx;
	const struct hist_ops *ops;
	void *conn;
};

int hist_sqlite_open(mtk_ctx *ctx, const char *path, struct mtk_history *h);
int hist_pg_open(mtk_ctx *ctx, const char *uri, struct mtk_history *h);

/* The record's text fields: JSON key = column name, in the order of the
 * jobs table's columns as schema.c selects them. */
#define HIST_NTEXT 18
struct hist_text_field {
	const char *key;
	size_t off, cap;
};
extern const struct hist_text_field hist_text_fields[HIST_NTEXT];

/* Create the schema or migrate it to MTK_HISTORY_SCHEMA (schema.c). */
int hist_schema_ensure(struct mtk_history *h);
/* The v1 tables, as an older mtkflash made them: for the migration's tests. */
extern const char *const hist_schema_v1[];

/* Insert a record and its parts in one transaction (idempotent on job id). */
int hist_put(struct mtk_history *h, const struct mtk_history_record *r);

/* Run a statement list in the transaction already begun; commit on success. */
int hist_exec_all(struct mtk_history *h, const char *const *sql);
/* ROLLBACK, keeping the error already recorded. */
void hist_rollback(struct mtk_history *h);

#endif
