/* SPDX-License-Identifier: MIT */
/* Who and where a job runs, as its history record begins (history.h). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtkflash/history.h"

static void set_station(char *out, size_t cap)
{
	const char *env = getenv("MTKFLASH_STATION");
	char host[256] = "";
	if (env && env[0]) {
		snprintf(out, cap, "%s", env);
		return;
	}
	if (gethostname(host, sizeof host - 1) < 0)
		snprintf(host, sizeof host, "unknown");
	snprintf(out, cap, "%s", host);
}

static void set_operator(char *out, size_t cap)
{
	const char *env = getenv("MTKFLASH_OPERATOR");
	struct passwd pw, *res = NULL;
	char buf[1024];
	if (env && env[0])
		snprintf(out, cap, "%s", env);
	else if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res)
		snprintf(out, cap, "%s", res->pw_name);
}

void mtk_history_record_begin(struct mtk_history_record *rec, const char *kind)
{
	memset(rec, 0, sizeof *rec);
	mtk_ctx *ctx = mtk_ctx_new(); /* the caller's error chain is none of this */
	if (!ctx || mtk_history_new_job_id(ctx, rec->job_id) < 0)
		rec->job_id[0] = '\0';
	mtk_ctx_free(ctx);
	snprintf(rec->kind, sizeof rec->kind, "%s", kind ? kind : "flash");
	mtk_history_now(rec->started);
	set_station(rec->station, sizeof rec->station);
	set_operator(rec->operator_name, sizeof rec->operator_name);
}
