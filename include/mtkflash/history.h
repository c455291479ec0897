/* SPDX-License-Identifier: MIT */
/* Flash history: one record per job (flash, recover, backup, readback, each
 * phone of a batch) in a database many stations can share (docs/history.md).
 *
 * Two backends behind one interface and one schema: SQLite, a file on the
 * station (WAL, busy timeout, mode 0600), and PostgreSQL through libpq, for
 * several stations writing to one server.  A record that cannot be stored
 * (server down, database locked past the timeout) is queued as a file in a
 * local folder and sent by the next mtk_history_open that reaches the
 * database; records are keyed by job id, so a resend never duplicates. */
#ifndef MTKFLASH_HISTORY_H
#define MTKFLASH_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema this library writes; older databases are migrated on open. */
#define MTK_HISTORY_SCHEMA 2

#define MTK_HISTORY_ID_SIZE 40
#define MTK_HISTORY_TEXT 256
#define MTK_HISTORY_PATH 1024

/* One step of a job: a partition written, backed up, erased, restored. */
struct mtk_history_part {
	char name[128];
	char stage[16]; /* "write", "backup", ... (mtk_flash_stage_name) */
	char state[24]; /* "done", "failed", "rolled-back", ... */
	uint64_t bytes;
	char sha256[65]; /* what the device holds afterwards, "" when unknown */
	bool verified;
};

/* Strings are "" when unknown; times are UTC RFC 3339 with milliseconds. */
struct mtk_history_record {
	char job_id[MTK_HISTORY_ID_SIZE];
	char kind[16];                       /* flash, recover, backup, readback, batch */
	char device_id[128];
	char fingerprint[MTK_HISTORY_TEXT];  /* summary: chip, hw code, storage */
	char scatter[MTK_HISTORY_PATH];
	char manifest_sha256[65];            /* of the package's SHA256SUMS */
	char signer[17];                     /* key id of the package's signer */
	char mode[16];                       /* safe, quick, service */
	char scene[16];                      /* download, upgrade, format-all */
	char operator_name[64];
	char role[32];                       /* filled by a policy, when there is one */
	char station[64];
	char started[32], ended[32];
	char result[16];                     /* verified, failed, rolled-back, refused, done */
	char error[MTK_HISTORY_TEXT];
	char audit_log[MTK_HISTORY_PATH];
	char chain_head[65];                 /* of the audit log (read from it when "") */
	struct mtk_history_part *parts;      /* owned (mtk_history_record_free) */
	size_t nparts;
};

void mtk_history_record_free(struct mtk_history_record *r);
/* Append a part (copied); MTK_E_NOMEM. */
int mtk_history_add_part(mtk_ctx *ctx, struct mtk_history_record *r, const struct mtk_history_part *p);
/* A new random job id (32 lower-case hex digits) in out. */
int mtk_history_new_job_id(mtk_ctx *ctx, char out[MTK_HISTORY_ID_SIZE]);
/* The current UTC time as the records hold it, in out (at least 32 bytes). */
void mtk_history_now(char *out);
/* A record of a job that begins now: a new job id (none when no random id
 * can be had: such a record is never stored), kind, start time, station
 * ($MTKFLASH_STATION or the host name), operator ($MTKFLASH_OPERATOR or the
 * login name).  Every front end begins its jobs' records here. */
void mtk_history_record_begin(struct mtk_history_record *rec, const char *kind);

/* JSON for --json and for the queue; and back (errors name the field). */
json_t *mtk_history_record_to_json(const struct mtk_history_record *r);
int mtk_history_record_from_json(mtk_ctx *ctx, const json_t *j, struct mtk_history_record *out);

struct mtk_history;

/* Open the history named by target: "postgresql://..." or "postgres://..."
 * (a libpq connection URI), otherwise the path of an SQLite database (its
 * folder is made 0700, the file 0600).  The schema is created or migrated.
 * With queue_dir, records queued there earlier are sent now (and removed
 * once stored).  MTK_E_IO when the database cannot be reached. */
int mtk_history_open(mtk_ctx *ctx, const char *target, const char *queue_dir, struct mtk_history **out);
void mtk_history_close(struct mtk_history *h);
/* "sqlite" or "postgresql". */
const char *mtk_history_backend(const struct mtk_history *h);
/* The schema version the database is at (after open: MTK_HISTORY_SCHEMA). */
int mtk_history_schema_version(struct mtk_history *h);

/* Store one record; a record with the same job id already there is left as
 * it is (0 too).  Fills chain_head from the audit log when it is empty. */
int mtk_history_put(struct mtk_history *h, const struct mtk_history_record *r);

/* Write the record into queue_dir as JOB_ID.json (0600, temp and rename). */
int mtk_history_queue(mtk_ctx *ctx, const char *queue_dir, const struct mtk_history_record *r);
/* Send every queued record; returns how many were sent, or a negative code
 * (the records not sent stay queued). */
int mtk_history_drain(struct mtk_history *h, const char *queue_dir);

/* What a job's end does: open, put, close; when any of it fails the record
 * is queued instead and 1 is returned, the reason left in the context's
 * error for a warning.  Negative only when even the queue failed. */
int mtk_history_save(mtk_ctx *ctx, const char *target, const char *queue_dir, const struct mtk_history_record *r);

struct mtk_history_filter {
	const char *device_id; /* NULL: any */
	const char *since;     /* "2026-12-01" or a full timestamp: started at or after; NULL: any */
	const char *result;    /* NULL: any */
	size_t limit;          /* 0: no limit */
};
/* Records matching f, newest first; *out is a malloc'd array of n records
 * (free each with mtk_history_record_free, then the array). */
int mtk_history_list(struct mtk_history *h, const struct mtk_history_filter *f, struct mtk_history_record **out,
		     size_t *n);
/* One job by id, or by a unique prefix of it; MTK_E_NOTFOUND when none. */
int mtk_history_get(struct mtk_history *h, const char *job_id, struct mtk_history_record *out);

#ifdef __cplusplus
}
#endif
#endif
