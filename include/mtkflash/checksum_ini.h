/* SPDX-License-Identifier: MIT */
/* Checksum.ini, the per-image checksums SP Flash Tool's CheckSum_Gen writes
 * next to a scatter file (formats.md §2):
 *
 *   [VERSION]          VERSION=V1, TOOL=v5.1540.00, Change_ID=1556272127
 *   [IsEnableChecksum] CHECKSUM_SWITCH=1
 *   [CheckSum]         <partition_name>=0xHHHH
 *
 * V1 value = sum of every byte of the image file as shipped, mod 0x10000. */
#ifndef MTKFLASH_CHECKSUM_INI_H
#define MTKFLASH_CHECKSUM_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/scatter.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mtk_checksum_entry {
	char *name; /* partition name, as the key is written */
	uint16_t value;
	unsigned line;
};

struct mtk_checksum_ini {
	char *fname;
	char *version; /* "V1"; NULL if absent */
	char *tool;    /* "v5.1540.00" */
	char *change_id;
	int enabled; /* CHECKSUM_SWITCH: 1, 0, or -1 when absent */
	struct mtk_checksum_entry *entries;
	size_t count;
	unsigned other_sections; /* sections we do not read (e.g. an MD5 "CHECKSUM_V2") */
};

/* Parse a Checksum.ini buffer (no I/O).  MTK_E_PARSE names "file:line". */
int mtk_checksum_ini_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
                           struct mtk_checksum_ini *out);
void mtk_checksum_ini_free(struct mtk_checksum_ini *c);

/* The entry for a partition: exact name, then case-insensitive. */
const struct mtk_checksum_entry *mtk_checksum_ini_find(const struct mtk_checksum_ini *c, const char *name);

/* V1 checksum of a buffer, incrementally: start with 0. */
uint16_t mtk_checksum_v1_update(uint16_t state, const uint8_t *buf, size_t len);

/* One streaming pass over a file: size, SHA-256 (sha256 may be NULL) and the
 * V1 checksum.  Reports progress for large files. */
int mtk_image_digest_file(mtk_ctx *ctx, const char *path, uint64_t *size, uint8_t sha256[32],
                          uint16_t *sum16);

enum mtk_cks_status {
	MTK_CKS_MATCH = 0,
	MTK_CKS_MISMATCH,     /* listed, present, different value */
	MTK_CKS_NOT_LISTED,   /* the image is in the package, Checksum.ini has no entry for it */
	MTK_CKS_MISSING,      /* the image file is not in the package (listed or not) */
	MTK_CKS_NO_PARTITION, /* listed under a name the scatter does not have */
};
const char *
mtk_cks_status_name(enum mtk_cks_status s); /* "match", "mismatch", "not-listed", "missing", "no-partition" */

struct mtk_cks_result {
	const char *name; /* partition (points into the scatter or the ini) */
	const char *file; /* image file, NULL when none */
	enum mtk_cks_status status;
	uint16_t expected; /* when listed */
	uint16_t got;      /* when present */
	unsigned line;     /* of the Checksum.ini entry, 0 if not listed */
};

/* The status of one image whose checksum is `got` (present = false: the
 * file is missing). */
enum mtk_cks_status mtk_checksum_ini_judge(const struct mtk_checksum_ini *c, const char *part, bool present,
                                           uint16_t got, uint16_t *expected, unsigned *line);

/* Verify every downloadable image of the scatter found in `dir` (streaming
 * each file), plus entries naming partitions the scatter lacks.  *out is
 * malloc'ed (free it); returns the number of results that are not MATCH
 * (>= 0), or an error (I/O errors other than "file absent"). */
int mtk_checksum_ini_verify(mtk_ctx *ctx, const struct mtk_checksum_ini *c, const struct mtk_scatter *s,
                            const char *dir, struct mtk_cks_result **out, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
