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
#include "mtkflash/emi.h"

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
	MTK_FILE_EMI, /* a bare MTK_BLOADER_INFO block (mtkclient's Loader/Preloader files) */
};
/* "preloader", "boot", "sparse", "da", "scatter", "emi", "unknown" */
const char *mtk_file_kind_name(enum mtk_file_kind k);

/* Classify by content (magic bytes; a scatter by its text).  Give it the
 * first bytes of the file; 64 KiB is plenty. */
enum mtk_file_kind mtk_identify_buf(const uint8_t *buf, size_t len);
/* Read the head of PATH and classify it.  MTK_E_IO (naming the file) when it
 * cannot be read; an empty or unrecognised file is MTK_FILE_UNKNOWN. */
int mtk_identify_file(mtk_ctx *ctx, const char *path, enum mtk_file_kind *kind);
#define MTK_IDENTIFY_HEAD (64 * 1024)

struct mtk_preloader_info {
	bool boot_area_image;   /* starts with the EMMC_BOOT/BRLYT device header */
	bool bare_emi;          /* the file is only the MTK_BLOADER_INFO block: no GFH fields */
	uint32_t file_len;      /* GFH file length */
	uint32_t load_addr;
	char name[64];          /* embedded image name, e.g. "preloader_k6893v1_64.bin"; "" if none */
	char board[64];         /* board/project derived from the name, "" if unknown */
	char platform[16];      /* "MT6765" when a string reliably says so, else "" */
	uint32_t bloader_info_version;
	const uint8_t *emi;     /* EMI/DRAM settings block inside the parsed buffer; NULL if none */
	size_t emi_len;
	uint32_t emi_count;     /* number of EMI settings records */
	/* Extensions: the rest of what the headers say. */
	char dev_name[13];      /* "EMMC_BOOT", "UFS_BOOT", ... ("" for a raw .bin) */
	uint32_t dev_rw_unit;   /* device header u32 at 0x10 */
	uint32_t brlyt_type;    /* BRLYT type (0x10005 eMMC, 0x1000C UFS) */
	uint32_t gfh_offset;    /* where the GFH chain starts in the buffer */
	uint8_t flash_dev;
	uint8_t sig_type;
	uint16_t file_type;
	uint32_t max_size;
	uint32_t hdr_size;
	uint32_t sig_len;
	uint32_t jump_offset;
	uint32_t emi_record_size; /* emi_len / emi_count when that divides, else 0 */
	uint32_t bloader_info_len; /* the whole MTK_BLOADER_INFO block */
	uint32_t gfh_count;
	struct mtk_gfh_record {
		uint32_t offset; /* from the start of the buffer */
		uint16_t size;
		uint16_t type;
		uint8_t version;
	} gfh[16];
	struct mtk_emi_table emi_table; /* the records' part ids (formats.md §4.5.2) */
};
const char *mtk_gfh_type_name(uint16_t type); /* "FILE_INFO", ..., or NULL */

/* Parse a preloader (raw .bin or boot-area image).  Errors give the offset. */
int mtk_preloader_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out);
/* A bare MTK_BLOADER_INFO block: "MTK_BLOADER_INFO_vNN" at offset 0. */
bool mtk_is_emi_block(const uint8_t *buf, size_t len);
/* Parse a bare block, with or without its trailing length word, into the
 * fields a preloader's block gives (name, board, version, emi*, emi_table);
 * bare_emi is set and the GFH fields stay 0. */
int mtk_emi_block_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out);
/* Whichever of the two buf is: what --preloader accepts. */
int mtk_preloader_or_emi_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out);
/* 0 when the two EMI blocks are identical, MTK_E_VERIFY (with the reason) otherwise. */
int mtk_preloader_emi_compare(mtk_ctx *ctx, const struct mtk_preloader_info *a, const struct mtk_preloader_info *b);

struct mtk_sparse_info {
	uint32_t block_size;
	uint32_t total_blocks;
	uint32_t total_chunks;
	uint64_t expanded_size; /* block_size * total_blocks */
	bool has_crc;           /* a CRC in the header or a CRC32 chunk: checked only when payloads are read */
};
/* Validate a whole sparse image in memory (headers, sizes, CRC when present). */
int mtk_sparse_check(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_sparse_info *out);
bool mtk_is_sparse(const uint8_t *buf, size_t len);
bool mtk_is_bootimg(const uint8_t *buf, size_t len);

/* ---- streaming sparse images ----
 * The reader pulls the image through `read` (and `skip`, if given, to pass
 * over RAW payloads when only the map is wanted) and never holds more than
 * the caller's buffer.  Every chunk header is checked before its data is
 * produced; totals and CRCs are checked when the end is reached.  Errors name
 * the chunk index and its byte offset in the sparse file. */
struct mtk_sparse_src {
	/* Read up to len bytes (len <= 1 GiB); return the count, 0 at end of input, or a negative MTK_E_*. */
	int (*read)(void *user, uint8_t *buf, size_t len);
	/* Optional: pass over len bytes; return 0 or a negative MTK_E_*. */
	int (*skip)(void *user, uint64_t len);
	void *user;
};
/* Sources over a buffer and over a file descriptor (at its current offset). */
struct mtk_sparse_mem {
	const uint8_t *buf;
	size_t len, off;
};
void mtk_sparse_src_mem(struct mtk_sparse_src *src, struct mtk_sparse_mem *m, const uint8_t *buf, size_t len);
void mtk_sparse_src_fd(struct mtk_sparse_src *src, int *fd);

enum mtk_sparse_kind {
	MTK_SPARSE_RAW = 0,
	MTK_SPARSE_FILL,
	MTK_SPARSE_DONT_CARE,
};
const char *mtk_sparse_kind_name(enum mtk_sparse_kind k); /* "raw", "fill", "dont-care" */

/* One piece of the expanded image. */
struct mtk_sparse_span {
	enum mtk_sparse_kind kind;
	uint64_t out_off;  /* offset in the expanded image */
	uint64_t len;      /* bytes */
	uint64_t src_off;  /* RAW: offset of these bytes in the sparse file */
	uint32_t fill;     /* FILL: the 4-byte pattern (little-endian, as stored) */
	uint32_t chunk;    /* chunk index */
};

struct mtk_sparse_reader;
/* Reads and checks the file header. */
int mtk_sparse_open(mtk_ctx *ctx, const struct mtk_sparse_src *src, struct mtk_sparse_reader **out);
const struct mtk_sparse_info *mtk_sparse_reader_info(const struct mtk_sparse_reader *r);
/* The next span of output.  With a buffer: RAW and FILL bytes are put in
 * buf[0..span->len) (span->len <= cap; a chunk may come in several spans),
 * while a DONT_CARE span covers the whole hole and leaves buf alone.  With
 * buf == NULL each chunk is one span and no bytes are produced (RAW payloads
 * are still read for the CRC check).  Returns 1 for a span, 0 at the end
 * (after the final checks), or a negative MTK_E_*. */
int mtk_sparse_next(struct mtk_sparse_reader *r, uint8_t *buf, size_t cap, struct mtk_sparse_span *span);
/* The expanded image as a plain byte stream (holes read as zeros): returns
 * the count put in buf (<= cap, <= 1 GiB), 0 at the end, or a negative MTK_E_*. */
int mtk_sparse_read(struct mtk_sparse_reader *r, uint8_t *buf, size_t cap);
void mtk_sparse_close(struct mtk_sparse_reader *r);
/* All spans, one per chunk, reading only headers when src->skip is set (then
 * RAW payloads and CRCs are not checked).  Caller frees *out. */
int mtk_sparse_map(mtk_ctx *ctx, const struct mtk_sparse_src *src, struct mtk_sparse_span **out, size_t *n,
		   struct mtk_sparse_info *info);

/* ---- Android boot images ("ANDROID!", header versions 0-4) ---- */
struct mtk_bootimg_info {
	uint32_t header_version;
	uint32_t page_size;
	uint32_t kernel_size;
	uint32_t ramdisk_size;
	uint32_t second_size;
	uint32_t recovery_dtbo_size; /* v1, v2 */
	uint32_t dtb_size;           /* v2 */
	uint32_t signature_size;     /* v4 */
	uint32_t os_version;
	uint64_t image_size;         /* bytes the header says the image occupies */
	char name[17];               /* v0-v2 board name */
	char cmdline[128];           /* start of the command line, for display */
};
/* Check the header in buf (at least its first 1660 bytes when it is that
 * long) against file_size, the length of the whole file (0 = len). */
int mtk_bootimg_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, uint64_t file_size,
		      struct mtk_bootimg_info *out);

struct mtk_da_emi; /* mtkflash/da.h */
/* The EMI (DRAM) settings a legacy DA wants in BROM mode (da-legacy.md §7),
 * taken from a parsed preloader; MTK_E_NOTFOUND when it has none.  The
 * result points into the preloader's buffer. */
int mtk_preloader_da_emi(mtk_ctx *ctx, const struct mtk_preloader_info *pl, struct mtk_da_emi *out);

#ifdef __cplusplus
}
#endif
/* By name alone, the classes `inspect` reports (one list, lib/image/
 * scatter_layout.c): the boot chain (preloader, lk/uboot, tee*, ...) and
 * device-unique data (nvram, nvdata, protect1/2, proinfo, persist, seccfg and
 * their MT6572-era names). */
bool mtk_part_name_is_bootloader(const char *name);
bool mtk_part_name_is_protected(const char *name);

#endif
