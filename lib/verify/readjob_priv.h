/* SPDX-License-Identifier: MIT */
/* The chunk journal of mtk_read_job (readjob.c), parsed by readjob_journal.c.
 *
 * A text file, one record a line, numbers in lower-case hex without 0x:
 *   mtkflash-read-journal 1 REGION OFF LEN CHUNK    the job: area, range, chunk size
 *   b OFF LEN                                        a bad range of the next chunk
 *   c OFF LEN SHA256                                 a chunk that is on disk
 * OFF is relative to the job's start.  A chunk's "b" lines and its "c" line
 * are appended in one write and fsynced after the chunk's data, so a crash
 * leaves at most a torn tail, which the parser drops: "b" lines with no "c"
 * after them and a last line without its newline. */
#ifndef MTK_VERIFY_READJOB_PRIV_H
#define MTK_VERIFY_READJOB_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "mtkflash/readjob.h"

#define MTK_RJ_MAGIC "mtkflash-read-journal 1"

struct mtk_rj_chunk {
	uint64_t off, len;
	uint8_t sha256[32];
	size_t first_bad, nbad; /* its bad ranges in mtk_rj_journal.bad (job-relative) */
	size_t text_end;        /* byte offset just past its line in the journal */
};

struct mtk_rj_journal {
	enum mtk_region region;
	uint64_t off, len;
	uint32_t chunk;
	size_t header_end; /* byte offset just past the header line */
	struct mtk_rj_chunk *c;
	size_t n;
	struct mtk_read_bad_range *bad;
	size_t nbad;
};

/* Parses a journal (`name` for messages).  Chunks are contiguous from 0,
 * each at most CHUNK long and inside LEN; bad ranges inside their chunk, in
 * order.  MTK_E_PARSE naming the line for anything else. */
int mtk_rj_parse(mtk_ctx *ctx, const char *name, const uint8_t *buf, size_t len, struct mtk_rj_journal *out);
void mtk_rj_free(struct mtk_rj_journal *j);
/* Room for `need` elements in *arr (capacity doubles). */
int mtk_rj_grow(mtk_ctx *ctx, void **arr, size_t *cap, size_t need, size_t elem);

#endif
