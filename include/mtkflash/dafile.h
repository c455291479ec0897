/* SPDX-License-Identifier: MIT */
/* Download Agent container files (MTK_AllInOne_DA*.bin, MTK_DA_V5/V6.bin).
 * Byte-level reference: docs/reference/da-legacy.md §1 (shared).
 *
 * The parser takes the whole file as a buffer, does no I/O, and checks every
 * offset; the parsed entries point into that buffer, which must outlive them. */
#ifndef MTKFLASH_DAFILE_H
#define MTKFLASH_DAFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/chips.h"
#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_DA_FILE_IDENT "MTK_DOWNLOAD_AGENT"
#define MTK_DA_FILE_MAGIC 0x22668899u
#define MTK_DA_HEADER_SIZE 0x6Cu
#define MTK_DA_ENTRY_NEW 0xDCu /* with sw_version (V3+/V5/V6 and IoT files) */
#define MTK_DA_ENTRY_OLD 0xD8u /* without sw_version */
#define MTK_DA_MAX_REGIONS 10

/* One load region (da-legacy.md §1.3).  `len` includes the trailing signature. */
struct mtk_da_region {
	uint32_t offset;     /* absolute file offset of the bytes */
	uint32_t len;
	uint32_t addr;       /* load address (and jump address for DA1) */
	uint32_t sig_offset; /* m_start_offset: len - sig_len in signed files, else 0 */
	uint32_t sig_len;
};

struct mtk_da_entry {
	size_t file_offset; /* where the entry starts in the file */
	uint16_t hw_code;   /* the chip's da_code, e.g. 0x6735 */
	uint16_t hw_sub_code;
	uint16_t hw_version;
	uint16_t sw_version; /* 0 in old-layout files */
	uint32_t feature_set;
	uint16_t region_index; /* entry_region_index */
	uint16_t region_count;
	struct mtk_da_region regions[MTK_DA_MAX_REGIONS];
	int da1, da2; /* indexes of the DA1/DA2 regions, -1 when absent */
};

struct mtk_dafile {
	char description[65]; /* build string at 0x20, e.g. "MTK_AllInOne_DA_v3.3001…" */
	uint32_t info_ver;
	unsigned entry_size;  /* MTK_DA_ENTRY_NEW or MTK_DA_ENTRY_OLD */
	bool v6;              /* "MTK_DA_v6" in the header: an XML-protocol DA */
	uint32_t count;
	struct mtk_da_entry *entries; /* `count` entries, owned */
	const uint8_t *buf;           /* the parsed file, not owned */
	size_t len;
};

/* Parse a DA file.  `name` (may be NULL) is used in error messages.  On
 * success *out owns an entries array: release it with mtk_dafile_free(). */
int mtk_dafile_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, struct mtk_dafile *out);
void mtk_dafile_free(struct mtk_dafile *f);

/* Read a whole DA file from disk and parse it; the buffer is owned by *out
 * and released by mtk_dafile_free_loaded(). */
int mtk_dafile_load(mtk_ctx *ctx, const char *path, struct mtk_dafile *out);
void mtk_dafile_free_loaded(struct mtk_dafile *f);

/* What SEND_DA / the DA2 upload carry, pointing into the file's buffer. */
struct mtk_da_stage {
	uint32_t addr;
	const uint8_t *data;
	uint32_t len;     /* including the signature */
	uint32_t sig_len;
};

struct mtk_da_choice {
	const struct mtk_da_entry *entry;
	struct mtk_da_stage da1, da2;
	enum mtk_da_family family; /* the chip's family, or XML for an entry from a V6 file */
	uint32_t index;            /* of the entry in the file */
	char why[512];             /* which entry and why, for the log ("entry 2 of X: ...") */
};

/* Pick the entry for a chip (da-legacy.md §1.5): the first entry in file
 * order whose hw_code is the chip's da_code and that passes the version rule
 * (entry hw_version <= hw_ver or hw_ver == 0; the same for sw).  MT65xx
 * entries other than MT6580 count only in a file whose name contains
 * "mt6590" (mtkclient's rule); when the file has no other, its entry is used
 * with a warning (an info line for our synthetic DA, not a MediaTek file).  The file's protocol (V6 = XML) must suit the chip's family.
 * `hw_sub_code` is only reported.  `name` is used in messages; out->why says
 * which entry and why (also logged at info level).  MTK_E_NOTFOUND says which
 * chips the file does cover. */
int mtk_dafile_select(mtk_ctx *ctx, const struct mtk_dafile *f, const char *name, const struct mtk_chip *chip,
		      uint16_t hw_sub_code, uint16_t hw_ver, uint16_t sw_ver, struct mtk_da_choice *out);

/* "MT6735/MT6737/MT6753" for a da_code, from the chip table; "0x1234" when no
 * chip in the table has it.  Writes at most cap bytes. */
void mtk_da_code_names(uint16_t da_code, char *buf, size_t cap);

/* Where `meson install` puts the synthetic DA file (tools/mkda.c,
 * docs/da-synthetic.md): a NULL-terminated list of paths.  The copy in a build
 * tree is not listed: an installed program must not pick up files from
 * whatever build folder it was made in. */
const char *const *mtk_dafile_synthetic_paths(void);
/* The first MTK_AllInOne_DA*.bin (a regular file) in dir, in name order
 * for a stable choice: its path into out.  False when there is none. */
bool mtk_dafile_find_in_dir(const char *dir, char *out, size_t cap);
#define MTK_DA_SYNTHETIC_NAME "MTK_AllInOne_DA_synthetic.bin"

#ifdef __cplusplus
}
#endif
#endif
