/* SPDX-License-Identifier: MIT */
/* Scatter files of every generation (formats.md §1), normalised to one layout.
 *
 *   v1.0   "NAME 0xADDR" + "{" + "}" blocks (MT65xx, 2011-2013)
 *   OTA    "NAME 0xADDR" lines without braces (ota_scatter.txt, update_scatter.txt)
 *   V1.1.x YAML-like, one storage per file (V1.1.1 ... V1.1.8)
 *   V2.x   YAML-like, one "storage_type" block per storage (eMMC and UFS)
 *   XML    the V2.x content as <root><general>...<storage_type>... elements
 *
 * The parser takes a buffer and does no I/O.  A file that breaks the syntax
 * fails with MTK_E_PARSE naming "file:line"; a file that parses but describes
 * a questionable layout (overlaps, gaps, a file name reaching outside the
 * package, ...) parses fine and lists each finding in `problems`. */
#ifndef MTKFLASH_SCATTER_H
#define MTKFLASH_SCATTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/problems.h"
#include "mtkflash/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_scatter_format {
	MTK_SCATTER_V1_0 = 0,
	MTK_SCATTER_OTA,
	MTK_SCATTER_V1_1,
	MTK_SCATTER_V2,
	MTK_SCATTER_XML,
};
const char *mtk_scatter_format_name(enum mtk_scatter_format f); /* "v1.0", "ota", "v1.1", "v2", "xml" */

enum mtk_storage_kind {
	MTK_PKG_STORAGE_UNKNOWN = 0,
	MTK_PKG_STORAGE_EMMC,
	MTK_PKG_STORAGE_UFS,
	MTK_PKG_STORAGE_NAND,
};
const char *mtk_storage_kind_name(enum mtk_storage_kind k); /* "unknown", "emmc", "ufs", "nand" */

/* How linear_start_addr counts (formats.md §1.7). */
enum mtk_addr_space {
	MTK_ADDR_REGION = 0,  /* an offset inside the partition's region (MT6592 and later) */
	MTK_ADDR_LINEAR_BOOT, /* BOOT1‖BOOT2‖RPMB‖USER: user partitions start at boot_area_size */
};
const char *mtk_addr_space_name(enum mtk_addr_space a); /* "region", "linear-with-boot" */

enum mtk_image_type {
	MTK_IMG_NONE = 0,  /* "NONE": nothing to write */
	MTK_IMG_RAW,       /* NORMAL_ROM */
	MTK_IMG_PRELOADER, /* SV5_BL_BIN */
	MTK_IMG_EXT4,      /* EXT4_IMG: a file system, normally an Android sparse image */
	MTK_IMG_YAFFS,     /* YAFFS_IMG (on eMMC it just means "file system image") */
	MTK_IMG_UBI,       /* UBI_IMG (NAND) */
	MTK_IMG_OTHER,
};
const char *mtk_image_type_name(enum mtk_image_type t); /* "none", "raw", "preloader", "ext4", ... */

enum mtk_part_op {
	MTK_OP_UPDATE = 0,
	MTK_OP_INVISIBLE,
	MTK_OP_PROTECTED,
	MTK_OP_BINREGION,
	MTK_OP_RESERVED,
	MTK_OP_BOOTLOADERS, /* also the singular BOOTLOADER some tools write */
	MTK_OP_NEEDRESIZE,
	MTK_OP_LOGIC,
	MTK_OP_OTHER,
};
const char *mtk_part_op_name(enum mtk_part_op o); /* the scatter spelling: "UPDATE", ... */

/* What a partition is to a careful flasher. */
enum mtk_part_class {
	MTK_CLASS_SYSTEM = 0, /* firmware that a normal download replaces */
	MTK_CLASS_BOOTLOADER, /* preloader, lk, ...: a failure here can brick the device */
	MTK_CLASS_PROTECTED,  /* device-unique data: NVRAM, nvdata, protect1/2, proinfo, seccfg, ... */
	MTK_CLASS_USERDATA,   /* the user's data and caches */
	MTK_CLASS_RESERVED,   /* tail areas (BMTPOOL, OTP, flashinfo, sgpt): never written */
};
const char *mtk_part_class_name(enum mtk_part_class c); /* "system", "bootloader", "protected", ... */

struct mtk_scatter_part {
	char *name;        /* partition_name as written (may be "") */
	const char *alias; /* the other generation's name (ANDROID <-> system), or NULL */
	char *index;       /* "SYS3"; NULL for v1.0/OTA */
	unsigned line;     /* where the record starts */

	char *region_name; /* as written; v1.0/OTA: the implied one */
	bool region_known;
	enum mtk_region region; /* BOOT1 for both-boot regions; USER for NAND */
	bool both_boot;         /* EMMC_BOOT1_BOOT2 / UFS_LU0_LU1: one image, both boot areas */

	uint64_t start;      /* linear_start_addr exactly as written */
	uint64_t physical;   /* physical_start_addr as written (0 when absent) */
	bool tail;           /* start is a 0xFFFFnnnn end-relative address (§1.8) */
	uint32_t tail_units; /* nnnn: whole block_size units from the region end, rounded down */
	uint64_t offset;     /* bytes from the start of the region, when offset_known */
	bool offset_known;   /* false for tail addresses until mtk_scatter_resolve() */
	uint64_t size;       /* partition_size; v1.0/OTA: next start minus this one */
	bool size_implicit;  /* derived from the next record (v1.0/OTA) or from the region size */
	bool fills;          /* size 0 or NEEDRESIZE: reaches up to the next partition */

	char *file;      /* image file relative to the scatter's folder; NULL for NONE */
	char *file_hint; /* v1.0/OTA: the name prefix tools pick the image by; else NULL */
	char *type_name; /* as written, NULL if absent */
	enum mtk_image_type type;
	char *op_name; /* as written, NULL if absent */
	enum mtk_part_op op;
	enum mtk_part_class cls;
	bool download;       /* is_download */
	bool reserved;       /* is_reserved */
	bool boundary_check; /* the image must fit partition_size */
	bool upgradable;     /* is_upgradable */
};

struct mtk_scatter {
	char *fname; /* as given to the parser, used in messages */
	enum mtk_scatter_format format;
	char *config_version; /* "V1.1.2"; NULL for v1.0/OTA */
	char *platform;       /* "MT6765"; NULL when the file does not say */
	char *project;
	char *boot_channel;
	enum mtk_storage_kind storage; /* of the selected layout */
	uint64_t block_size;           /* unit of tail addresses; 0 when unknown */
	unsigned layouts;              /* bit (1u << enum mtk_storage_kind) for each layout in the file */
	enum mtk_addr_space addr_space;
	uint64_t boot_area_size; /* MTK_ADDR_LINEAR_BOOT: linear address of the user area */
	struct mtk_scatter_part *parts;
	size_t count;
	uint64_t region_size[MTK_REGION_COUNT]; /* set by mtk_scatter_resolve(); 0 = unknown */
	struct mtk_problems notes;              /* findings of the parser itself (unknown keys, ...) */
	struct mtk_problems problems;           /* notes + validation; refilled by validate/resolve */
};

/* Parse a scatter file of any generation.  `storage` selects the layout of a
 * V2.x file: "emmc", "ufs" or NULL (= the eMMC layout, else the first).
 * MTK_E_NOTFOUND when the file has no layout for the requested storage,
 * MTK_E_PARSE ("file:line: ...") for syntax errors, MTK_E_INVAL for a bad
 * `storage` string.  On success the layout is validated (see problems). */
int mtk_scatter_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len, const char *storage,
                      struct mtk_scatter *out);

/* Place the tail partitions of `region` now that the region's real size is
 * known (for MTK_ADDR_LINEAR_BOOT user partitions: the user area's size),
 * give size-0/NEEDRESIZE partitions the room up to them, and re-validate.
 * The raw start addresses are kept.  MTK_E_RANGE if the tail does not fit. */
int mtk_scatter_resolve(mtk_ctx *ctx, struct mtk_scatter *s, enum mtk_region region, uint64_t region_size);

/* (Re)compute s->problems from the layout. */
int mtk_scatter_validate(struct mtk_scatter *s);

/* By name, then case-insensitively, then through the old/new alias. */
const struct mtk_scatter_part *mtk_scatter_find(const struct mtk_scatter *s, const char *name);

/* "boot1", "boot1+boot2", "user", "lu0", "lu0+lu1", "lu2", "nand", "?" */
const char *mtk_scatter_region_label(const struct mtk_scatter *s, const struct mtk_scatter_part *p);

/* Does the buffer look like a scatter file (any generation)?  Cheap: looks at
 * the first meaningful lines only. */
bool mtk_scatter_sniff(const uint8_t *buf, size_t len);

/* A file name a package may use: relative, no ".." component (either slash),
 * no drive letter, no control characters. */
bool mtk_scatter_file_name_ok(const char *name);

void mtk_scatter_free(struct mtk_scatter *s);

#ifdef __cplusplus
}
#endif
#endif
