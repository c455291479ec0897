/* SPDX-License-Identifier: MIT */
/* Recording a job in the flash history (lib/history): every command that
 * changes or reads a whole phone begins a job and ends it; a history that
 * cannot be written is a warning, never the job's failure. */
#ifndef MTK_CLI_HISTORY_H
#define MTK_CLI_HISTORY_H

#include "cli.h"
#include "mtkflash/history.h"

/* --history, else $MTKFLASH_HISTORY, else $XDG_DATA_HOME/mtkflash/history.db;
 * NULL when none can be named. */
const char *cli_history_target(const struct cli *cli, char *out, size_t cap);
/* $XDG_STATE_HOME/mtkflash/history-queue: records waiting for the database. */
const char *cli_history_queue_dir(char *out, size_t cap);

/* A new record: job id, kind, start time, station ($MTKFLASH_STATION or
 * the host name), operator ($MTKFLASH_OPERATOR or the login name). */
void cli_job_begin(struct mtk_history_record *rec, const char *kind);
/* "verified", "rolled-back", "refused" or "failed" for a job's code. */
const char *cli_job_result(int rc, bool refused);
/* The end time, result and error, then store it (or queue it, warning on
 * the job's diagnostics); the job id goes into the JSON document.  Frees
 * the record's parts. */
void cli_job_end(struct cli *cli, struct mtk_history_record *rec, int rc, bool refused, const char *error);

#endif
