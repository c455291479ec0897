/* SPDX-License-Identifier: MIT */
/* Resumable reads of damaged storage (issue 15 items 3 and 4).
 *
 * mtk_read_job() reads a byte range of an eMMC area into a file, one chunk
 * at a time, and keeps a chunk journal beside the output ("OUT.rdjournal":
 * offset, length and SHA-256 of every chunk written, each line fsynced; the
 * data itself is fsynced at the end, and a resume trusts no line unchecked).  The
 * data goes to "OUT.part" (0600, never through a symbolic link) and is
 * renamed to OUT only when the whole range is done, then the journal goes.
 * After a cable pull, a crash or Ctrl-C the same call with `resume` set
 * re-hashes what the journal lists, keeps every chunk that still matches and
 * reads on from the first that does not: the final file is byte-identical to
 * an uninterrupted read.
 *
 * All-zero blocks are not written (holes).  A range the device fails to read
 * is retried in smaller pieces down to `min_unit`; a unit that still fails
 * after `retries` attempts is skipped, left as zeros in the file and listed
 * in the result's bad ranges, and the read goes on.  The SHA-256 covers the
 * whole range as written (zeros where a range was bad). */
#ifndef MTKFLASH_READJOB_H
#define MTKFLASH_READJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/da.h"
#include "mtkflash/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mtk_read_job's return value when the whole range was gone through but some
 * ranges could not be read (listed in the result): the file is complete
 * apart from those.  The CLI maps it to exit status 5. */
#define MTK_READ_JOB_BAD_RANGES 1

/* Default journal chunk: on a high-speed link (the DA's usb_speed) 32 MiB,
 * under a second of reading, few enough commands that the link stays busy;
 * at full speed (about 1 MB/s) 4 MiB, so a cable pull loses seconds, not
 * half a minute.  A resume without --chunk takes the journal's. */
#define MTK_READ_JOB_CHUNK (32u << 20)
#define MTK_READ_JOB_CHUNK_SLOW (4u << 20)
#define MTK_READ_JOB_UNIT 4096u        /* default smallest unit retried and skipped */
#define MTK_READ_JOB_RETRIES 2u        /* default extra attempts of a smallest unit */

/* A range the device could not read: offsets in the area (not the file). */
struct mtk_read_bad_range {
	uint64_t off, len;
};

/* Progress of the whole job: bytes of the range gone through (read, resumed
 * or skipped as bad) and bytes found bad so far. */
typedef void (*mtk_read_job_progress_fn)(void *user, uint64_t done, uint64_t total, uint64_t bad);

/* When the link itself fails (the session is gone, not just one range): a
 * new session in *da (the old one is the caller's to close), or a negative
 * MTK_E_* to end the job (the journal stays for a resume). */
typedef int (*mtk_read_job_reconnect_fn)(void *user, struct mtk_da **da);

struct mtk_read_job_opts {
	uint32_t chunk;        /* journal chunk in bytes (multiple of 512); 0 = MTK_READ_JOB_CHUNK */
	uint32_t min_unit;     /* smallest retried/skipped unit (multiple of 512); 0 = MTK_READ_JOB_UNIT */
	unsigned retries;      /* extra attempts of a smallest unit; 0 = MTK_READ_JOB_RETRIES */
	bool no_retry;         /* fail the job on the first read error instead (retries/skip off) */
	bool resume;           /* continue from OUT.rdjournal / OUT.part when they are there */
	bool force;            /* replace an existing OUT (and a stale journal when not resuming) */
	mtk_read_job_progress_fn progress;
	void *progress_user;
	mtk_read_job_reconnect_fn reconnect; /* NULL: a lost link ends the job */
	void *reconnect_user;
	unsigned max_reconnects;             /* 0 = 3 */
};

struct mtk_read_job_result {
	uint64_t bytes_total;    /* the range's length */
	uint64_t bytes_read;     /* read from the device in this call */
	uint64_t bytes_resumed;  /* taken over from a previous run, re-verified */
	uint64_t bytes_bad;      /* in bad ranges (zeros in the file) */
	uint64_t bytes_zero;     /* all-zero blocks left as holes (bad ranges not counted) */
	unsigned retries;        /* read attempts that failed and were retried or skipped */
	unsigned reconnects;     /* sessions replaced through opts.reconnect */
	struct mtk_read_bad_range *bad; /* sorted by offset, merged; free with mtk_read_job_result_free */
	size_t nbad;
	uint8_t sha256[32];      /* of the whole range as written */
	bool complete;           /* OUT exists and holds the whole range */
};

/* Read `len` bytes at `off` of region r into out_path.  `what` names it in
 * messages and progress ("userdata").  Returns 0, MTK_READ_JOB_BAD_RANGES, or
 * a negative MTK_E_* (MTK_E_INTERRUPTED for Ctrl-C, MTK_E_DISCONNECTED /
 * MTK_E_TIMEOUT for a lost link): then OUT.part and the journal stay for a
 * resume and `res` tells how far it got.  o may be NULL (defaults). */
int mtk_read_job(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		 const char *out_path, const struct mtk_read_job_opts *o, struct mtk_read_job_result *res);
void mtk_read_job_result_free(struct mtk_read_job_result *res);

/* Covered share of the range in millionths (1000000 = everything read). */
uint32_t mtk_read_job_coverage_ppm(const struct mtk_read_job_result *res);

/* The journal's name for an output ("OUT.rdjournal") and the partial data's
 * ("OUT.part"): new strings, NULL when out of memory. */
char *mtk_read_job_journal_path(const char *out_path);
char *mtk_read_job_part_path(const char *out_path);

#ifdef __cplusplus
}
#endif
#endif
