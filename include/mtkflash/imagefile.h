/* SPDX-License-Identifier: MIT */
/* Identifying the loose files of a firmware download: preloader, Android
 * boot image, sparse image, DA file, scatter.  Parsers take a buffer and do
 * no I/O; mtk_identify_file() reads just enough of a file to classify it. */
#ifndef MTKFLASH_IMAGEFILE_H
#define MTKFLASH_IMAGEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_file_kind {
	MTK_FILE_UNKNOWN = 0,
	MTK_FILE_PRELOADER,
	MTK_FILE_BOOTIMG,
	MTK_FILE_SPARSE,
	MTK_FILE_DA,
	MTK_FILE_SCATTER,
};
const char *mtk_file_kind_name(enum mtk_file_kind k); /* "preloader", "boot", "sparse", "da", "scatter", "unknown" */

struct mtk_preloader_info {
	bool boot_area_image;   /* starts with the EMMC_BOOT/BRLYT device header */
	uint32_t file_len;      /* GFH file length */
	uint32_t load_addr;
	char name[64];          /* embedded image name, e.g. "preloader_k6893v1_64.bin"; "" if none */
	char board[64];         /* board/project derived from the name, "" if unknown */
	char platform[16];      /* "MT6765" when a string reliably says so, else "" */
	uint32_t bloader_info_version;
	const uint8_t *emi;     /* EMI/DRAM settings block inside the parsed buffer; NULL if none */
	size_t emi_len;
	uint32_t emi_count;     /* number of EMI settings records */
};

/* Parse a preloader (raw .bin or boot-area image).  Errors give the offset. */
int mtk_preloader_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out);
/* 0 when the two EMI blocks are identical, MTK_E_VERIFY (with the reason) otherwise. */
int mtk_preloader_emi_compare(mtk_ctx *ctx, const struct mtk_preloader_info *a, const struct mtk_preloader_info *b);

struct mtk_sparse_info {
	uint32_t block_size;
	uint32_t total_blocks;
	uint32_t total_chunks;
	uint64_t expanded_size; /* block_size * total_blocks */
};
/* Validate a whole sparse image in memory (headers, sizes, CRC when present). */
int mtk_sparse_check(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_sparse_info *out);
bool mtk_is_sparse(const uint8_t *buf, size_t len);
bool mtk_is_bootimg(const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
