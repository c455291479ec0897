/* SPDX-License-Identifier: MIT */
/* Opening a history, storing a record, and the local queue that keeps a
 * record the database could not take until a later run sends it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hist_priv.h"
#include "mtkflash/audit.h"
#include "mtkflash/util.h"

/* A queued record is small; anything bigger is not one of ours. */
#define QUEUE_FILE_MAX (1u << 20)

static bool is_postgres(const char *target)
{
	return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

int mtk_history_open(mtk_ctx *ctx, const char *target, const char *queue_dir, struct mtk_history **out)
{
	*out = NULL;
	if (!target || !target[0])
		return mtk_fail(ctx, MTK_E_INVAL, "no history database named");
	struct mtk_history *h = calloc(1, sizeof *h);
	if (!h)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory");
	h->ctx = ctx;
	int rc = is_postgres(target) ? hist_pg_open(ctx, target, h) : hist_sqlite_open(ctx, target, h);
	if (rc == 0)
		rc = hist_schema_ensure(h);
	if (rc == 0 && queue_dir && (rc = mtk_history_drain(h, queue_dir)) > 0)
		mtk_info(ctx, "history: sent %d queued record(s)", rc);
	if (rc < 0) {
		mtk_history_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void mtk_history_close(struct mtk_history *h)
{
	if (!h)
		return;
	if (h->conn)
		h->ops->close(h);
	free(h);
}

const char *mtk_history_backend(const struct mtk_history *h)
{
	return h->ops->name;
}

int mtk_history_put(struct mtk_history *h, const struct mtk_history_record *r)
{
	if (!r->job_id[0] || !r->started[0])
		return mtk_fail(h->ctx, MTK_E_INVAL, "a history record needs a job id and a start time");
	if (r->chain_head[0] || !r->audit_log[0])
		return hist_put(h, r);
	/* The head is read back from the signed log: what a verifier sees. */
	struct mtk_history_record copy = *r;
	struct mtk_audit_report rep;
	if (mtk_audit_verify(h->ctx, r->audit_log, NULL, 0, &rep) == 0)
		snprintf(copy.chain_head, sizeof copy.chain_head, "%s", rep.head);
	else
		mtk_ctx_clear_error(h->ctx);
	return hist_put(h, &copy);
}

/* ----------------------------------------------------------------- queue */

static int queue_path(mtk_ctx *ctx, const char *dir, const char *job_id, char *out, size_t cap)
{
	if (!job_id[0] || strspn(job_id, "0123456789abcdef") != strlen(job_id))
		return mtk_fail(ctx, MTK_E_INVAL, "history queue: job id '%s' is not hex", job_id);
	if ((size_t)snprintf(out, cap, "%s/%s.json", dir, job_id) >= cap)
		return mtk_fail(ctx, MTK_E_INVAL, "history queue: path too long");
	return 0;
}

int mtk_history_queue(mtk_ctx *ctx, const char *queue_dir, const struct mtk_history_record *r)
{
	char path[4096];
	int rc = queue_path(ctx, queue_dir, r->job_id, path, sizeof path);
	if (rc == 0)
		rc = mtk_make_dirs(ctx, queue_dir, 0700);
	if (rc < 0)
		return rc;
	json_t *j = mtk_history_record_to_json(r);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory for a queued history record");
	/* FORCE: queuing the same job twice keeps one file, the later copy. */
	struct mtk_outfile o;
	rc = mtk_outfile_open(ctx, path, MTK_OUT_FORCE | MTK_OUT_PRIVATE, &o);
	if (rc == 0 && (rc = mtk_write_all(ctx, o.fd, text, strlen(text), path)) < 0)
		mtk_outfile_abort(&o);
	else if (rc == 0)
		rc = mtk_outfile_commit(&o);
	free(text);
	return rc;
}

/* Send one queued file and remove it once the database holds the record. */
static int send_queued(struct mtk_history *h, const char *path)
{
	uint8_t *buf = NULL;
	size_t len;
	bool absent = false;
	int rc = mtk_read_small_file(h->ctx, path, QUEUE_FILE_MAX, &buf, &len, &absent);
	if (absent) {
		mtk_ctx_clear_error(h->ctx); /* another run sent it meanwhile */
		return 0;
	}
	if (rc < 0)
		return rc;
	json_error_t err;
	json_t *j = json_loadb((const char *)buf, len, 0, &err);
	free(buf);
	if (!j)
		return mtk_fail(h->ctx, MTK_E_PARSE, "%s: line %d, byte %d: %s", path, err.line, err.position,
				err.text);
	struct mtk_history_record r;
	rc = mtk_history_record_from_json(h->ctx, j, &r);
	json_decref(j);
	if (rc < 0)
		return mtk_wrap(h->ctx, rc, "%s", path);
	rc = mtk_history_put(h, &r);
	mtk_history_record_free(&r);
	if (rc == 0 && unlink(path) < 0 && errno != ENOENT)
		return mtk_fail(h->ctx, MTK_E_IO, "%s: sent, but cannot remove it: %s", path, strerror(errno));
	return rc < 0 ? rc : 1;
}

static bool is_queue_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".json") == 0 && strspn(name, "0123456789abcdef") == n - 5;
}

int mtk_history_drain(struct mtk_history *h, const char *queue_dir)
{
	DIR *d = opendir(queue_dir);
	if (!d)
		return errno == ENOENT ? 0 : mtk_fail(h->ctx, MTK_E_IO, "%s: %s", queue_dir, strerror(errno));
	int sent = 0, rc = 0;
	struct dirent *e;
	while (rc >= 0 && (e = readdir(d)) != NULL) {
		if (!is_queue_name(e->d_name))
			continue; /* temp files of a queue being written, strangers */
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", queue_dir, e->d_name);
		rc = send_queued(h, path);
		if (rc == MTK_E_PARSE) {
			/* One damaged file must not hold back every later record. */
			mtk_warn(h->ctx, "history queue: %s; left in place for a person to look at",
				 mtk_ctx_error(h->ctx));
			mtk_ctx_clear_error(h->ctx);
			rc = 0;
		}
		sent += rc > 0;
	}
	closedir(d);
	return rc < 0 ? rc : sent;
}

int mtk_history_save(mtk_ctx *ctx, const char *target, const char *queue_dir, const struct mtk_history_record *r)
{
	struct mtk_history *h = NULL;
	int rc = mtk_history_open(ctx, target, queue_dir, &h);
	if (rc == 0)
		rc = mtk_history_put(h, r);
	mtk_history_close(h);
	if (rc == 0 || !queue_dir)
		return rc;
	char why[512];
	snprintf(why, sizeof why, "%s", mtk_ctx_error(ctx));
	mtk_ctx_clear_error(ctx);
	int qrc = mtk_history_queue(ctx, queue_dir, r);
	if (qrc < 0)
		return mtk_wrap(ctx, qrc, "history: %s; queuing the record failed too", why);
	mtk_fail(ctx, rc, "%s; the record is queued in %s and is sent on the next run that reaches it", why,
		 queue_dir);
	return 1;
}
