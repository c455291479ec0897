/* SPDX-License-Identifier: MIT */
/* The history's schema, its migrations and its statements, shared by both
 * backends: only SQL that SQLite (>= 3.35) and PostgreSQL (>= 9.5) both
 * take, every value passed as a text parameter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist_priv.h"

/* Version 1, as mtkflash first shipped it: the parts as one JSON column. */
const char *const hist_schema_v1[] = {
	"CREATE TABLE jobs (job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, device_id TEXT NOT NULL DEFAULT '', "
	"fingerprint TEXT NOT NULL DEFAULT '', scatter TEXT NOT NULL DEFAULT '', "
	"manifest_sha256 TEXT NOT NULL DEFAULT '', signer TEXT NOT NULL DEFAULT '', mode TEXT NOT NULL DEFAULT '', "
	"scene TEXT NOT NULL DEFAULT '', started TEXT NOT NULL, ended TEXT NOT NULL DEFAULT '', "
	"result TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', audit_log TEXT NOT NULL DEFAULT '', "
	"parts TEXT)",
	"CREATE INDEX jobs_device ON jobs (device_id)",
	"INSERT INTO mtk_schema (version) VALUES (1)",
	NULL,
};

/* Version 2: operator, role, station and chain head; one row per part, so
 * a query can ask which jobs wrote a partition. */
static const char *const schema_v2_before[] = {
	"ALTER TABLE jobs ADD COLUMN operator TEXT NOT NULL DEFAULT ''",
	"ALTER TABLE jobs ADD COLUMN role TEXT NOT NULL DEFAULT ''",
	"ALTER TABLE jobs ADD COLUMN station TEXT NOT NULL DEFAULT ''",
	"ALTER TABLE jobs ADD COLUMN chain_head TEXT NOT NULL DEFAULT ''",
	"CREATE TABLE job_parts (job_id TEXT NOT NULL REFERENCES jobs (job_id), seq INTEGER NOT NULL, "
	"name TEXT NOT NULL, stage TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT '', "
	"bytes BIGINT NOT NULL DEFAULT 0, sha256 TEXT NOT NULL DEFAULT '', verified INTEGER NOT NULL DEFAULT 0, "
	"PRIMARY KEY (job_id, seq))",
	"CREATE INDEX jobs_started ON jobs (started)",
	NULL,
};
static const char *const schema_v2_after[] = {
	"ALTER TABLE jobs DROP COLUMN parts",
	"UPDATE mtk_schema SET version = 2",
	NULL,
};

static const char insert_part_sql[] =
	"INSERT INTO job_parts (job_id, seq, name, stage, state, bytes, sha256, verified) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (job_id, seq) DO NOTHING";

static int run_list(struct mtk_history *h, const char *const *sql)
{
	for (; *sql; sql++) {
		int rc = h->ops->exec(h, *sql, NULL, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void hist_rollback(struct mtk_history *h)
{
	char keep[512];
	int code = mtk_ctx_error_code(h->ctx);
	snprintf(keep, sizeof keep, "%s", mtk_ctx_error(h->ctx));
	h->ops->exec(h, "ROLLBACK", NULL, 0);
	mtk_ctx_clear_error(h->ctx);
	if (code < 0)
		mtk_fail(h->ctx, code, "%s", keep);
}

int hist_exec_all(struct mtk_history *h, const char *const *sql)
{
	int rc = run_list(h, sql);
	if (rc == 0)
		rc = h->ops->exec(h, "COMMIT", NULL, 0);
	if (rc < 0)
		hist_rollback(h);
	return rc;
}

/* ---------------------------------------------------------------- parts */

static int insert_part(struct mtk_history *h, const char *job_id, size_t seq, const struct mtk_history_part *p)
{
	char seqs[24], bytes[24];
	snprintf(seqs, sizeof seqs, "%zu", seq);
	snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)p->bytes);
	const char *v[] = { job_id, seqs, p->name, p->stage, p->state, bytes, p->sha256, p->verified ? "1" : "0" };
	return h->ops->exec(h, insert_part_sql, v, 8);
}

struct v1_row {
	struct mtk_history *h;
	int rc;
};

/* One v1 job: its JSON parts become rows (parsed as the queue's records are). */
static int move_v1_parts(void *user, int ncols, const char *const *vals)
{
	struct v1_row *m = user;
	if (ncols != 2 || !vals[0] || !vals[1])
		return 0;
	json_error_t err;
	json_t *parts = json_loads(vals[1], 0, &err);
	json_t *rec = json_pack("{s:s, s:o}", "job_id", vals[0], "parts", parts ? parts : json_array());
	struct mtk_history_record r;
	int rc = mtk_history_record_from_json(m->h->ctx, rec, &r);
	json_decref(rec);
	if (rc < 0)
		return mtk_wrap(m->h->ctx, rc, "migrating job %s to schema 2", vals[0]);
	for (size_t i = 0; i < r.nparts && rc == 0; i++)
		rc = insert_part(m->h, r.job_id, i, &r.parts[i]);
	mtk_history_record_free(&r);
	return rc;
}

static int migrate_v2(struct mtk_history *h)
{
	int rc = run_list(h, schema_v2_before);
	struct v1_row m = { h, 0 };
	if (rc == 0)
		rc = h->ops->query(h, "SELECT job_id, parts FROM jobs WHERE parts IS NOT NULL", NULL, 0,
				   move_v1_parts, &m);
	if (rc == 0)
		rc = run_list(h, schema_v2_after);
	return rc < 0 ? mtk_wrap(h->ctx, rc, "migrating the history to schema 2") : 0;
}

static int take_version(void *user, int ncols, const char *const *vals)
{
	int *v = user;
	if (ncols >= 1 && vals[0])
		*v = atoi(vals[0]);
	return 0;
}

int hist_schema_ensure(struct mtk_history *h)
{
	int rc = h->ops->begin_schema(h);
	if (rc < 0)
		return rc;
	int version = 0;
	rc = h->ops->exec(h, "CREATE TABLE IF NOT EXISTS mtk_schema (version INTEGER NOT NULL)", NULL, 0);
	if (rc == 0)
		rc = h->ops->query(h, "SELECT version FROM mtk_schema", NULL, 0, take_version, &version);
	if (rc == 0 && version > MTK_HISTORY_SCHEMA)
		rc = mtk_fail(h->ctx, MTK_E_UNSUPPORTED, "the history database is at schema %d; this mtkflash "
			      "knows up to %d: use a newer mtkflash", version, MTK_HISTORY_SCHEMA);
	if (rc == 0 && version < 1)
		rc = run_list(h, hist_schema_v1);
	if (rc == 0 && version < 2)
		rc = migrate_v2(h);
	if (rc == 0)
		rc = h->ops->exec(h, "COMMIT", NULL, 0);
	if (rc < 0)
		hist_rollback(h);
	return rc;
}

int mtk_history_schema_version(struct mtk_history *h)
{
	int v = 0;
	int rc = h->ops->query(h, "SELECT version FROM mtk_schema", NULL, 0, take_version, &v);
	return rc < 0 ? rc : v;
}

/* --------------------------------------------------------------- writing */

/* "INSERT INTO jobs (c1, ...) VALUES ($1, ...)" from the field table. */
static void insert_job_sql(char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "INSERT INTO jobs (");
	for (size_t i = 0; i < HIST_NTEXT; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", hist_text_fields[i].key);
	n += (size_t)snprintf(out + n, cap - n, ") VALUES (");
	for (size_t i = 0; i < HIST_NTEXT; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s$%zu", i ? ", " : "", i + 1);
	snprintf(out + n, cap - n, ") ON CONFLICT (job_id) DO NOTHING");
}

int hist_put(struct mtk_history *h, const struct mtk_history_record *r)
{
	char sql[1024];
	const char *v[HIST_NTEXT];
	insert_job_sql(sql, sizeof sql);
	for (size_t i = 0; i < HIST_NTEXT; i++)
		v[i] = (const char *)r + hist_text_fields[i].off;
	int rc = h->ops->exec(h, h->ops->begin_write, NULL, 0);
	if (rc < 0)
		return rc;
	rc = h->ops->exec(h, sql, v, HIST_NTEXT);
	for (size_t i = 0; i < r->nparts && rc == 0; i++)
		rc = insert_part(h, r->job_id, i, &r->parts[i]);
	if (rc == 0)
		rc = h->ops->exec(h, "COMMIT", NULL, 0);
	if (rc < 0)
		hist_rollback(h);
	return rc;
}

/* --------------------------------------------------------------- reading */

struct job_list {
	struct mtk_history *h;
	struct mtk_history_record *v;
	size_t n, cap;
};

static int take_job(void *user, int ncols, const char *const *vals)
{
	struct job_list *l = user;
	if (ncols != HIST_NTEXT)
		return mtk_fail(l->h->ctx, MTK_E_PROTO, "history query: %d columns, expected %d", ncols, HIST_NTEXT);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct mtk_history_record *nv = realloc(l->v, cap * sizeof *nv);
		if (!nv)
			return mtk_fail(l->h->ctx, MTK_E_NOMEM, "no memory for the history");
		l->v = nv;
		l->cap = cap;
	}
	struct mtk_history_record *r = &l->v[l->n++];
	memset(r, 0, sizeof *r);
	for (int i = 0; i < ncols; i++)
		snprintf((char *)r + hist_text_fields[i].off, hist_text_fields[i].cap, "%s", vals[i] ? vals[i] : "");
	return 0;
}

static int take_part(void *user, int ncols, const char *const *vals)
{
	struct mtk_history_record *r = ((void **)user)[1];
	struct mtk_history *h = ((void **)user)[0];
	if (ncols != 6)
		return mtk_fail(h->ctx, MTK_E_PROTO, "history query: %d columns for a part, expected 6", ncols);
	struct mtk_history_part p = {0};
	snprintf(p.name, sizeof p.name, "%s", vals[0] ? vals[0] : "");
	snprintf(p.stage, sizeof p.stage, "%s", vals[1] ? vals[1] : "");
	snprintf(p.state, sizeof p.state, "%s", vals[2] ? vals[2] : "");
	p.bytes = vals[3] ? strtoull(vals[3], NULL, 10) : 0;
	snprintf(p.sha256, sizeof p.sha256, "%s", vals[4] ? vals[4] : "");
	p.verified = vals[5] && strcmp(vals[5], "1") == 0;
	return mtk_history_add_part(h->ctx, r, &p);
}

static int load_parts(struct mtk_history *h, struct mtk_history_record *r)
{
	void *user[2] = { h, r };
	const char *v[] = { r->job_id };
	return h->ops->query(h, "SELECT name, stage, state, bytes, sha256, verified FROM job_parts WHERE job_id = $1 "
			     "ORDER BY seq", v, 1, take_part, user);
}

static void free_list(struct job_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		mtk_history_record_free(&l->v[i]);
	free(l->v);
}

/* SELECT every job column WHERE the conditions given, newest first. */
static int select_jobs(struct mtk_history *h, const char *where, const char *const *params, int n, size_t limit,
		       struct job_list *l)
{
	char sql[1024];
	size_t len = (size_t)snprintf(sql, sizeof sql, "SELECT ");
	for (size_t i = 0; i < HIST_NTEXT; i++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s", i ? ", " : "", hist_text_fields[i].key);
	len += (size_t)snprintf(sql + len, sizeof sql - len, " FROM jobs%s ORDER BY started DESC, job_id", where);
	if (limit)
		snprintf(sql + len, sizeof sql - len, " LIMIT %zu", limit);
	int rc = h->ops->query(h, sql, params, n, take_job, l);
	for (size_t i = 0; i < l->n && rc == 0; i++)
		rc = load_parts(h, &l->v[i]);
	if (rc < 0)
		free_list(l);
	return rc;
}

int mtk_history_list(struct mtk_history *h, const struct mtk_history_filter *f, struct mtk_history_record **out,
		     size_t *n)
{
	static const char *const cols[] = { "device_id = ", "started >= ", "result = " };
	const char *vals[] = { f ? f->device_id : NULL, f ? f->since : NULL, f ? f->result : NULL };
	const char *params[3];
	char where[256] = "";
	size_t len = 0;
	int np = 0;
	for (int i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		params[np++] = vals[i];
		len += (size_t)snprintf(where + len, sizeof where - len, "%s%s$%d", np > 1 ? " AND " : " WHERE ",
					cols[i], np);
	}
	struct job_list l = { .h = h };
	int rc = select_jobs(h, where, params, np, f ? f->limit : 0, &l);
	*out = l.v;
	*n = rc < 0 ? 0 : l.n;
	if (rc < 0)
		*out = NULL;
	return rc;
}

int mtk_history_get(struct mtk_history *h, const char *job_id, struct mtk_history_record *out)
{
	size_t len = strlen(job_id);
	if (len == 0 || len >= MTK_HISTORY_ID_SIZE || strspn(job_id, "0123456789abcdef") != len)
		return mtk_fail(h->ctx, MTK_E_INVAL, "'%s' is not a job id (lower-case hex digits)", job_id);
	char pattern[MTK_HISTORY_ID_SIZE + 1];
	snprintf(pattern, sizeof pattern, "%s%%", job_id);
	const char *params[] = { pattern };
	struct job_list l = { .h = h };
	int rc = select_jobs(h, " WHERE job_id LIKE $1", params, 1, 2, &l);
	if (rc < 0)
		return rc;
	if (l.n != 1) {
		free_list(&l);
		return mtk_fail(h->ctx, l.n ? MTK_E_INVAL : MTK_E_NOTFOUND,
				l.n ? "job id %s is ambiguous: give more of it" : "no job %s in the history", job_id);
	}
	*out = l.v[0];
	free(l.v);
	return 0;
}
