/* SPDX-License-Identifier: MIT */
/* Test helper: N jobs ending at once, each on its own thread and its own
 * connection, as a batch's phones do, for test_history.py.
 *   histload TARGET QUEUE_DIR STATION N
 * Prints each job id it saved; exit 0 when every record was stored, 1 when
 * any was queued or lost (the reason on stderr). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv)
{
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
