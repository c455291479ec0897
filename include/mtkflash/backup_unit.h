/* SPDX-License-Identifier: MIT */
/* A full backup unit (`mtkflash backup full DIR`): everything needed to
 * bring one phone back exactly, in one folder (docs/backup.md).
 *
 *   DIR/unit.json             this manifest: device, every area read, what was not
 *   DIR/NAME.img              one file per area (boot1, boot2, tables, partitions);
 *                             all-zero ranges are holes
 *   DIR/CHIP_Android_scatter.txt   a flashable V1.1.x scatter of the same areas
 *   DIR/SHA256SUMS(.minisig)  every file above hashed, signed with the station key
 *
 * The manifest is hostile input on restore: its parser checks every name
 * (a file is one plain path component), region, number and hash. */
#ifndef MTKFLASH_BACKUP_UNIT_H
#define MTKFLASH_BACKUP_UNIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/session.h"
#include "mtkflash/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_UNIT_MANIFEST "unit.json"
#define MTK_UNIT_FORMAT "mtkflash-backup-unit 1"

/* What an area is to a restore. */
enum mtk_unit_class {
	MTK_UNIT_DATA = 0,
	MTK_UNIT_BOOT,      /* boot1 (the preloader) or boot2 */
	MTK_UNIT_TABLE,     /* pgpt, sgpt, MBR, EBRn, PMT: written first on blank storage */
	MTK_UNIT_PROTECTED, /* IMEI, calibration, keys (mtk_part_name_is_protected) */
};
const char *mtk_unit_class_name(enum mtk_unit_class c); /* "data", "boot", "table", "protected" */

struct mtk_unit_area {
	char name[MTK_PART_NAME_SIZE];
	char file[MTK_PART_NAME_SIZE + 8];
	enum mtk_region region;
	uint64_t offset, size;
	uint8_t sha256[32]; /* of the area's bytes as read (holes are zeros) */
	enum mtk_unit_class cls;
	bool zstd;          /* the file is NAME.img.zst ("compression": "zstd") */
};

/* A range that could not be read (zeros in the file). */
struct mtk_unit_bad_range {
	char area[MTK_PART_NAME_SIZE];
	uint64_t offset, length; /* from the area's start */
};

/* An area that is not in the unit, and why (RPMB). */
struct mtk_unit_skipped {
	char name[MTK_PART_NAME_SIZE];
	uint64_t size;
	char why[200];
};

struct mtk_unit {
	char device_id[MTK_DEVICE_ID_MAX];
	uint8_t device_id_sha256[32];
	char chip[16];
	char created[32];
	char scatter[128];   /* file name of the scatter in the folder */
	char table_kind[8];  /* "gpt", "pmt", "mbr", … */
	uint64_t bytes;      /* sum of the areas' sizes */
	struct mtk_unit_area *areas;
	size_t count;
	struct mtk_unit_bad_range *bad;
	size_t nbad;
	struct mtk_unit_skipped *skipped;
	size_t nskipped;
};
void mtk_unit_free(struct mtk_unit *u);

/* unit.json's text into u.  `name` names the file in messages. */
int mtk_unit_parse(mtk_ctx *ctx, const char *text, size_t len, const char *name, struct mtk_unit *u);

/* The manifest document for u; `facts` (may be NULL; stolen) goes in as
 * "device" (fingerprint, storage sizes, boot configuration). */
json_t *mtk_unit_to_json(const struct mtk_unit *u, json_t *facts);

/* The area named `name` (exact), or NULL. */
const struct mtk_unit_area *mtk_unit_find(const struct mtk_unit *u, const char *name);

/* The class of an area by its name and region. */
enum mtk_unit_class mtk_unit_class_of(const char *name, enum mtk_region region);

/* --compress: src (an area's file) into dst as one zstd stream (0600,
 * through mtk_outfile; out_flags may hold MTK_OUT_FORCE). */
int mtk_unit_compress(mtk_ctx *ctx, const char *src, const char *dst, unsigned out_flags);
/* dst from the zstd file src, which must hold exactly `size` bytes (never
 * more is written: MTK_E_VERIFY); all-zero blocks stay holes; sha256 gets
 * the SHA-256 of the bytes. */
int mtk_unit_decompress(mtk_ctx *ctx, const char *src, const char *dst, uint64_t size, uint8_t sha256[32]);

#ifdef __cplusplus
}
#endif
#endif
