/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend: one server for many stations.  Each job opens
 * its own connection (a batch's threads never share one), writes in one
 * transaction, and relies on the job id's primary key for a resend. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/dynlib.h"
#include "hist_priv.h"

/* libpq is opened with the first postgresql:// history (core/dynlib.h says why). */
#define PQ_CALLS(X) \
	X(PQclear) X(PQconnectdbParams) X(PQerrorMessage) X(PQexecParams) X(PQfinish) X(PQgetisnull) \
	X(PQgetvalue) X(PQnfields) X(PQntuples) X(PQresultErrorMessage) X(PQresultStatus) \
	X(PQsetNoticeProcessor) X(PQstatus)
struct pq_api {
	PQ_CALLS(MTK_DYNLIB_MEMBER)
};
#define PQ_SYM(fn) MTK_DYNLIB_SYM(struct pq_api, fn)
static const struct mtk_dynsym pq_syms[] = { PQ_CALLS(PQ_SYM) };
static struct pq_api pq_api;
static struct mtk_dynlib pq_lib = MTK_DYNLIB_INIT("libpq.so.5", "libpq5", "PostgreSQL histories", pq_syms, &pq_api);
/* Below, every libpq call goes through the table. */
#define PQclear pq_api.PQclear
#define PQconnectdbParams pq_api.PQconnectdbParams
#define PQerrorMessage pq_api.PQerrorMessage
#define PQexecParams pq_api.PQexecParams
#define PQfinish pq_api.PQfinish
#define PQgetisnull pq_api.PQgetisnull
#define PQgetvalue pq_api.PQgetvalue
#define PQnfields pq_api.PQnfields
#define PQntuples pq_api.PQntuples
#define PQresultErrorMessage pq_api.PQresultErrorMessage
#define PQresultStatus pq_api.PQresultStatus
#define PQsetNoticeProcessor pq_api.PQsetNoticeProcessor
#define PQstatus pq_api.PQstatus
/* Any constant: the advisory lock that serialises schema creation and
 * migration between stations opening the same database at once. */
#define SCHEMA_LOCK_KEY "7309463517021107001"

/* libpq's messages end with a newline. */
static int pg_fail(struct mtk_history *h, const char *what, const char *msg)
{
	char m[512];
	snprintf(m, sizeof m, "%s", msg ? msg : "");
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		m[--n] = '\0';
	return mtk_fail(h->ctx, MTK_E_IO, "history (postgresql): %s: %s", what, m);
}

static int pg_query(struct mtk_history *h, const char *sql, const char *const *params, int n, hist_row_fn fn,
		    void *user)
{
	PGresult *res = PQexecParams(h->conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_fail(h, sql, res ? PQresultErrorMessage(res) : PQerrorMessage(h->conn));
	int ncols = rc == 0 ? PQnfields(res) : 0;
	if (ncols > 32)
		ncols = 32;
	for (int row = 0; rc == 0 && fn && row < PQntuples(res); row++) {
		const char *vals[32];
		for (int i = 0; i < ncols; i++)
			vals[i] = PQgetisnull(res, row, i) ? NULL : PQgetvalue(res, row, i);
		rc = fn(user, ncols, vals);
	}
	PQclear(res);
	return rc;
}

static int pg_exec(struct mtk_history *h, const char *sql, const char *const *params, int n)
{
	return pg_query(h, sql, params, n, NULL, NULL);
}

static int pg_begin_schema(struct mtk_history *h)
{
	int rc = pg_exec(h, "BEGIN", NULL, 0);
	if (rc == 0)
		rc = pg_exec(h, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")", NULL, 0);
	return rc;
}

static void pg_close(struct mtk_history *h)
{
	PQfinish(h->conn);
	h->conn = NULL;
}

static const struct hist_ops pg_ops = {
	.name = "postgresql",
	.exec = pg_exec,
	.query = pg_query,
	.begin_schema = pg_begin_schema,
	.begin_write = "BEGIN",
	.close = pg_close,
};

/* A URI with a password in it must not reach a log line or an error. */
static void redact(const char *uri, char *out, size_t cap)
{
	const char *at = strchr(uri, '@'), *scheme = strstr(uri, "://");
	if (at && scheme && scheme < at)
		snprintf(out, cap, "%.*s***%s", (int)(scheme + 3 - uri), uri, at);
	else
		snprintf(out, cap, "%s", uri);
}

static void ignore_notice(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

int hist_pg_open(mtk_ctx *ctx, const char *uri, struct mtk_history *h)
{
	/* A station that lost its server must not hang a finished flash. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "mtkflash", uri, NULL };
	int loaded = mtk_dynlib_load(ctx, &pq_lib);
	if (loaded != 0)
		return loaded;
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	char shown[512];
	redact(uri, shown, sizeof shown);
	if (!c)
		return mtk_fail(ctx, MTK_E_NOMEM, "history %s: no memory", shown);
	h->conn = c;
	h->ops = &pg_ops;
	if (PQstatus(c) != CONNECTION_OK) {
		int rc = pg_fail(h, shown, PQerrorMessage(c));
		pg_close(h);
		return rc;
	}
	/* Notices ("relation already exists, skipping") are not ours to print. */
	PQsetNoticeProcessor(c, ignore_notice, NULL);
	return 0;
}
