/* SPDX-License-Identifier: MIT */
/* Queued history records (history-queue/JOB.json) as the drain reads them:
 * whatever parses has a job id, and survives the trip back to JSON and in
 * again unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/history.h"

static void same_or_abort(const struct mtk_history_record *a, const struct mtk_history_record *b)
{
	if (strcmp(a->job_id, b->job_id) || strcmp(a->device_id, b->device_id) || a->nparts != b->nparts)
		abort();
	for (size_t i = 0; i < a->nparts; i++)
		if (strcmp(a->parts[i].name, b->parts[i].name) || a->parts[i].bytes != b->parts[i].bytes)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *j = json_loadb((const char *)data, size, 0, &err);
	struct mtk_history_record r, back;
	if (!j || mtk_history_record_from_json(NULL, j, &r) < 0) {
		json_decref(j);
		return 0;
	}
	json_decref(j);
	if (!r.job_id[0])
		abort();
	json_t *again = mtk_history_record_to_json(&r);
	if (mtk_history_record_from_json(NULL, again, &back) < 0)
		abort();
	same_or_abort(&r, &back);
	json_decref(again);
	mtk_history_record_free(&back);
	mtk_history_record_free(&r);
	return 0;
}
