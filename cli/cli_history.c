/* SPDX-License-Identifier: MIT */
/* Jobs into the flash history; see cli_history.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_history.h"
#include "cli_output.h"
#include "mtkflash/flash.h"
#include "mtkflash/util.h"

const char *cli_history_target(const struct cli *cli, char *out, size_t cap)
{
	const char *env = getenv("MTKFLASH_HISTORY");
	const char *t = cli->history && cli->history[0] ? cli->history : env && env[0] ? env : NULL;
	if (t) {
		snprintf(out, cap, "%s", t);
		return out;
	}
	return cli_xdg_dir("XDG_DATA_HOME", ".local/share", "mtkflash/history.db", out, cap);
}

const char *cli_history_queue_dir(char *out, size_t cap)
{
	return cli_xdg_dir("XDG_STATE_HOME", ".local/state", "mtkflash/history-queue", out, cap);
}

void cli_job_begin(struct mtk_history_record *rec, const char *kind)
{
	mtk_history_record_begin(rec, kind);
}

const char *cli_job_result(int rc, bool refused)
{
	if (refused || rc == MTK_E_POLICY || rc == MTK_E_DENIED)
		return "refused";
	if (rc == 0)
		return "verified";
	return rc == MTK_E_ROLLEDBACK ? "rolled-back" : "failed";
}

/* Its own context: the job's error chain stays as the job left it. */
static void save(struct cli *cli, const struct mtk_history_record *rec)
{
	char target[4096], queue[4096];
	mtk_ctx *ctx = mtk_ctx_new();
	if (!ctx)
		return;
	/* Warnings (a damaged queued record) go where the job's own go. */
	struct cli hc = *cli;
	hc.ctx = ctx;
	hc.json = false;
	hc.out = NULL;
	cli_output_init(&hc);
	const char *qdir = cli_history_queue_dir(queue, sizeof queue);
	int rc = cli_history_target(cli, target, sizeof target)
		 ? mtk_history_save(ctx, target, qdir, rec)
		 : mtk_fail(ctx, MTK_E_IO, "no place for the history: set XDG_DATA_HOME or HOME");
	if (rc != 0)
		fprintf(cli_diag(cli), "warning: history: %s\n", mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
}

void cli_job_end(struct cli *cli, struct mtk_history_record *rec, int rc, bool refused, const char *error)
{
	if (rec->job_id[0]) {
		mtk_history_now(rec->ended);
		snprintf(rec->result, sizeof rec->result, "%s", cli_job_result(rc, refused));
		snprintf(rec->error, sizeof rec->error, "%s", rc < 0 && error ? error : "");
		save(cli, rec);
		if (cli->json && cli->out)
			json_object_set_new(cli->out, "job_id", json_string(rec->job_id));
	}
	mtk_history_record_free(rec);
}
