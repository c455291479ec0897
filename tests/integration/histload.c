/* SPDX-License-Identifier: MIT */
/* Test helper: N jobs ending at once, each on its own thread and its own
 * connection, as a batch's phones do, for test_history.py.
 *   histload TARGET QUEUE_DIR STATION N
 * Prints each job id it saved; exit 0 when every record was stored, 1 when
 * any was queued or lost (the reason on stderr).
 *   histload TARGET v1
 * Makes TARGET (an empty database) a history as the previous version left
 * it: schema 1, job c0ffee with two parts in its JSON column, so that the
 * next open migrates it on the real backend. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history/hist_priv.h"
#include "mtkflash/history.h"

#define MAX_JOBS 64

struct job {
	const char *target, *queue, *station;
	int index, rc;
	char id[MTK_HISTORY_ID_SIZE];
	char why[512];
};

static void *save(void *arg)
{
	struct job *j = arg;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_history_record r = {0};
	j->rc = ctx ? mtk_history_new_job_id(ctx, j->id) : MTK_E_NOMEM;
	snprintf(r.job_id, sizeof r.job_id, "%s", j->id);
	snprintf(r.kind, sizeof r.kind, "batch");
	snprintf(r.device_id, sizeof r.device_id, "load-%s-%02d", j->station, j->index);
	snprintf(r.station, sizeof r.station, "%s", j->station);
	snprintf(r.result, sizeof r.result, "verified");
	mtk_history_now(r.started);
	mtk_history_now(r.ended);
	struct mtk_history_part p = { .bytes = 512, .verified = true };
	snprintf(p.name, sizeof p.name, "boot");
	snprintf(p.stage, sizeof p.stage, "write");
	snprintf(p.state, sizeof p.state, "done");
	if (j->rc == 0)
		j->rc = mtk_history_add_part(ctx, &r, &p);
	if (j->rc == 0)
		j->rc = mtk_history_save(ctx, j->target, j->queue, &r);
	if (j->rc != 0 && ctx)
		snprintf(j->why, sizeof j->why, "%s", mtk_ctx_error(ctx));
	mtk_history_record_free(&r);
	mtk_ctx_free(ctx);
	return NULL;
}

static const char v1_insert[] =
	"INSERT INTO jobs (job_id, kind, device_id, started, result, parts) VALUES ('c0ffee', 'flash', 'old-dev', "
	"'2026-01-02T03:04:05.000Z', 'verified', '[{\"name\":\"boot\",\"stage\":\"write\",\"state\":\"done\","
	"\"bytes\":512,\"sha256\":\"\",\"verified\":true},{\"name\":\"lk\",\"stage\":\"write\","
	"\"state\":\"failed\",\"bytes\":7}]')";

static int make_v1(const char *target)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_history h = { .ctx = ctx };
	int rc = strncmp(target, "postgres", 8) == 0 ? hist_pg_open(ctx, target, &h) : hist_sqlite_open(ctx, target, &h);
	if (rc == 0)
		rc = h.ops->exec(&h, "CREATE TABLE mtk_schema (version INTEGER NOT NULL)", NULL, 0);
	for (const char *const *s = hist_schema_v1; rc == 0 && *s; s++)
		rc = h.ops->exec(&h, *s, NULL, 0);
	if (rc == 0)
		rc = h.ops->exec(&h, v1_insert, NULL, 0);
	if (rc < 0)
		fprintf(stderr, "histload: %s\n", mtk_ctx_error(ctx));
	if (h.conn)
		h.ops->close(&h);
	mtk_ctx_free(ctx);
	return rc < 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "v1") == 0)
		return make_v1(argv[1]);
	int n = argc == 5 ? atoi(argv[4]) : 0;
	if (n < 1 || n > MAX_JOBS) {
		fprintf(stderr, "usage: histload TARGET QUEUE_DIR STATION N (1..%d)\n", MAX_JOBS);
		return 2;
	}
	static struct job jobs[MAX_JOBS];
	pthread_t t[MAX_JOBS];
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .target = argv[1], .queue = argv[2], .station = argv[3], .index = i };
		if (pthread_create(&t[i], NULL, save, &jobs[i]) != 0) {
			fprintf(stderr, "histload: no thread\n");
			return 1;
		}
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (jobs[i].rc != 0) {
			fprintf(stderr, "histload: job %d: %s\n", i, jobs[i].why);
			bad = 1;
		} else {
			printf("%s\n", jobs[i].id);
		}
	}
	return bad;
}
