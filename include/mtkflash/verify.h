/* SPDX-License-Identifier: MIT */
/* Verified Mode, policy half: what the device is (fingerprint), what a flash
 * of a package would do to it (plan), how risky that is (risk) and whether
 * the chosen mode lets it happen (decision).  Nothing here writes to the
 * device: `mtkflash plan` runs all of it, `flash` runs it first.
 * docs/verified-mode.md explains the factors, weights, modes and scenes. */
#ifndef MTKFLASH_VERIFY_H
#define MTKFLASH_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/brom.h"
#include "mtkflash/chips.h"
#include "mtkflash/core.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/manifest.h"
#include "mtkflash/session.h" /* MTK_DEVICE_ID_MAX */
#include "mtkflash/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* da.h and scatter.h each name their storage enum MTK_STORAGE_*: this header
 * includes neither, so that a caller may include either one. */
struct mtk_da;
struct mtk_scatter;

/* ------------------------------------------------------------ fingerprint */

/* Storage facts, from the DA's report (struct mtk_da_storage). */
struct mtk_fp_storage {
	char type[8];          /* mtk_storage_type_name(): "emmc", "nand", ... */
	struct mtk_regions regions; /* boot1, boot2, rpmb, user sizes in bytes */
	uint8_t cid[16];       /* eMMC CID in CID byte order */
	uint8_t fw_version[8]; /* eMMC firmware version */
};

/* What the DA says about itself (an xflash DA's reinit, da-xflash.md §2.7). */
struct mtk_fp_da {
	char protocol[8];          /* "legacy", "xflash" */
	char version[32];          /* GET_DA_VERSION text ("" when not reported) */
	uint32_t ptable_category;  /* GET_PARTITION_TBL_CATA: 0x64 GPT, 0x65 PMT, 0 not reported */
	uint32_t write_packet_len, read_packet_len; /* GET_PACKET_LENGTH (0: not reported) */
	uint64_t ext_ram_size;     /* GET_RAM_INFO's DRAM size (0: not reported) */
};

/* Everything the device tells before anything is written. */
struct mtk_fingerprint {
	char device_id[MTK_DEVICE_ID_MAX]; /* mtk_da_device_id(): the backup store's key too */
	struct mtk_brom_info brom;         /* chip, hw/sw version, BL version, target config, ME_ID, SOC_ID */
	struct mtk_fp_storage storage;
	struct mtk_fp_da da;
	struct mtk_ptable table;           /* with layout entries (preloader, pgpt, sgpt); owned */
	uint8_t table_sha256[32];          /* of the table as listed (mtk_ptable_sha256) */
	/* The preloader in boot1, as the device holds it now. */
	bool have_preloader;
	struct mtk_preloader_info preloader; /* emi points nowhere (the buffer is gone) */
	char preloader_note[160];            /* why there is none ("boot1 holds no preloader: ...") */
	/* The flash id the DRAM (EMI) records are chosen by: eMMC CID[0:9]. */
	uint8_t dram_id[16];
	uint8_t dram_id_len;
};

/* Reads the table and boot1 through the DA.  On failure nothing is owned. */
int mtk_fingerprint_take(mtk_ctx *ctx, struct mtk_da *da, struct mtk_fingerprint *out);
void mtk_fingerprint_free(struct mtk_fingerprint *fp);
/* SHA-256 over the table's entries (name, region, start, size, in list order). */
void mtk_ptable_sha256(const struct mtk_ptable *t, uint8_t out[32]);
/* A new JSON object (hex for ids and hashes); NULL without memory. */
json_t *mtk_fingerprint_to_json(const struct mtk_fingerprint *fp);

/* ------------------------------------------------------------------- plan */

enum mtk_scene { MTK_SCENE_DOWNLOAD = 0, MTK_SCENE_UPGRADE, MTK_SCENE_FORMAT_ALL };
const char *mtk_scene_name(enum mtk_scene s); /* "download", "upgrade", "format-all" */
int mtk_scene_parse(const char *s);           /* -1 when unknown */

/* How a package partition compares with the device's table. */
enum mtk_plan_match {
	MTK_MATCH_IDENTICAL = 0, /* same name, start and size */
	MTK_MATCH_ALIAS,         /* the other era's name or case (ANDROID = system): auto-mapped */
	MTK_MATCH_MOVED,         /* found, but start or size differ: the table must change */
	MTK_MATCH_NEW,           /* the device has no such partition: the table must change */
	MTK_MATCH_REMOVED,       /* device-only partition the package lacks: the table must change */
	MTK_MATCH_IMPOSSIBLE,    /* does not fit this device's storage */
};
const char *mtk_plan_match_name(enum mtk_plan_match m);

enum mtk_plan_action { MTK_ACT_WRITE = 0, MTK_ACT_SKIP, MTK_ACT_BACKUP, MTK_ACT_ERASE, MTK_ACT_KEEP };
const char *mtk_plan_action_name(enum mtk_plan_action a); /* "write", "skip", "backup", "erase", "keep" */

enum mtk_plan_class { MTK_PCLASS_DATA = 0, MTK_PCLASS_BOOTLOADER, MTK_PCLASS_PROTECTED, MTK_PCLASS_TABLE,
		      MTK_PCLASS_RESERVED };
const char *mtk_plan_class_name(enum mtk_plan_class c); /* "data", "bootloader", "protected", "table", "reserved" */

struct mtk_plan_entry {
	char name[MTK_PART_NAME_SIZE];        /* the package's (scatter) name; "" for MTK_MATCH_REMOVED */
	char device_name[MTK_PART_NAME_SIZE]; /* the device's name when it differs or is the only one */
	enum mtk_plan_match match;
	enum mtk_plan_action action;
	bool erase_first;       /* format-all: the partition is erased before it is written */
	enum mtk_plan_class cls;
	enum mtk_region region;
	uint64_t offset;        /* where the package puts it, bytes from the region start */
	uint64_t size;          /* partition size in the package */
	uint64_t bytes;         /* bytes to send: the image's size; sparse: RAW + FILL data only */
	bool sparse;
	bool missing;           /* the image file is not there */
	char *image;            /* path of the image file; NULL when the partition has none */
	char note[200];
	unsigned rank;          /* order class: 0 table, 1 data, 2 lk/boot/recovery/tee, 3 preloader */
	bool boot_copy;         /* the staged preloader's copy in boot2, written before boot1 */
};

struct mtk_plan_opts {
	enum mtk_scene scene;
	const char *const *only; /* narrow the writes to these partitions (any era's name); NULL = all */
	size_t nonly;
	const char *const *skip; /* and never these */
	size_t nskip;
	const char *image_dir;   /* where the images are; NULL = the scatter file's folder */
};

/* Why a plan cannot go ahead at all (one line each). */
#define MTK_PLAN_MAX_REFUSALS 8

struct mtk_plan {
	enum mtk_scene scene;
	struct mtk_plan_entry *entries; /* in flash order (writes first in order, then the rest) */
	size_t count;
	char chip_note[160];   /* "package MT6737M, device MT6737 (variant of the same BROM)" */
	bool layout_change;    /* SP Flash Tool's STATUS_PMT_CHANGED */
	bool impossible;       /* something does not fit the storage, or another chip/storage type */
	bool incomplete;       /* a selected image is missing */
	bool preloader_selected;
	bool protected_written, protected_erased;
	uint64_t total_bytes;  /* of the writes */
	/* The package's preloader, for EMI (DRAM) records and its chip/board. */
	bool have_pkg_preloader;
	struct mtk_preloader_info pkg_preloader;
	int emi_pick;          /* record matching the device's DRAM id; -1 none; -2 discrete/unchecked */
	/* The staged preloader (docs/verified-mode.md): a copy in boot2 first,
	 * then boot1; which partition the BootROM reads is the chip table's. */
	bool preloader_staged;
	enum mtk_boot_select boot_select;
	char preloader_note[320];
	char refusals[MTK_PLAN_MAX_REFUSALS][240];
	size_t nrefusals;
};

/* Builds the plan.  `s` is resolved against the device's area sizes
 * (tail partitions placed), hence not const.  Unknown names in only/skip
 * fail with MTK_E_NOTFOUND.  A plan the scene cannot carry out is not an
 * error: it comes back with refusals. */
int mtk_plan_build(mtk_ctx *ctx, const struct mtk_fingerprint *fp, struct mtk_scatter *s,
		   const struct mtk_plan_opts *opts, struct mtk_plan *out);
void mtk_plan_free(struct mtk_plan *p);
json_t *mtk_plan_to_json(const struct mtk_plan *p);

/* Package platform vs device chip: 0 same chip or a variant sharing its
 * BROM (the chip table's aliases), MTK_E_POLICY another chip, with a note. */
int mtk_plan_match_chip(const char *platform, const struct mtk_brom_info *dev, char *note, size_t cap);

/* ------------------------------------------------------------------- risk */

enum mtk_risk_state { MTK_RISK_INACTIVE = 0, MTK_RISK_ACTIVE, MTK_RISK_UNKNOWN };
const char *mtk_risk_state_name(enum mtk_risk_state s); /* "no", "yes", "unknown" */

#define MTK_RISK_HARD 0x1u          /* always refused, never overridable (physically impossible) */
#define MTK_RISK_SAFE_REFUSES 0x2u  /* safe mode refuses whatever the score */
#define MTK_RISK_QUICK_REFUSES 0x4u /* quick mode too; only a service-mode override lets it pass */

struct mtk_risk_factor {
	const char *name; /* "preloader_selected": what --override takes */
	unsigned weight;  /* points added to the score when active */
	unsigned flags;
	const char *what; /* one line for people */
};
/* The table (docs/verified-mode.md lists it). */
const struct mtk_risk_factor *mtk_risk_factors(size_t *count);
const struct mtk_risk_factor *mtk_risk_factor_by_name(const char *name);

enum mtk_risk_level { MTK_RISK_LOW = 0, MTK_RISK_MEDIUM, MTK_RISK_HIGH };
const char *mtk_risk_level_name(enum mtk_risk_level l);
#define MTK_RISK_MEDIUM_AT 35
#define MTK_RISK_HIGH_AT 60
enum mtk_risk_level mtk_risk_level_of(unsigned score);

/* What the caller knows beyond the fingerprint and plan. */
struct mtk_risk_input {
	bool have_manifest;         /* the package has a SHA256SUMS */
	enum mtk_sig_state sig;     /* its signature */
	bool checksum_mismatch;     /* Checksum.ini or SHA256SUMS disagrees with an image */
	char checksum_detail[160];
	bool nvram_backup_on_record;
	int battery_mv;             /* -1 = the DA does not report it */
};

#define MTK_RISK_MAX 16
struct mtk_risk_item {
	const struct mtk_risk_factor *factor;
	enum mtk_risk_state state;
	unsigned contribution; /* weight when active, else 0 */
	char detail[200];
};

struct mtk_risk {
	unsigned score; /* 0-100 */
	enum mtk_risk_level level;
	struct mtk_risk_item items[MTK_RISK_MAX]; /* one per factor, in table order */
	size_t count;
};

int mtk_risk_assess(mtk_ctx *ctx, const struct mtk_fingerprint *fp, const struct mtk_plan *plan,
		    const struct mtk_risk_input *in, struct mtk_risk *out);
const struct mtk_risk_item *mtk_risk_item(const struct mtk_risk *r, const char *name);
json_t *mtk_risk_to_json(const struct mtk_risk *r);

enum mtk_flash_mode { MTK_FMODE_SAFE = 0, MTK_FMODE_QUICK, MTK_FMODE_SERVICE };
const char *mtk_mode_name(enum mtk_flash_mode m); /* "safe", "quick", "service" */
int mtk_mode_parse(const char *s);          /* -1 when unknown */

enum mtk_verdict { MTK_VERDICT_ALLOW = 0, MTK_VERDICT_CONFIRM, MTK_VERDICT_REFUSE };
const char *mtk_verdict_name(enum mtk_verdict v); /* "allow", "confirm", "refuse" */

struct mtk_overrides {
	const char *const *names; /* factor names (--override) */
	size_t count;
	bool service_unlocked;    /* the service passphrase was given and checked */
};

#define MTK_DECISION_MAX_REASONS 8
struct mtk_decision {
	enum mtk_verdict verdict;
	unsigned score; /* after overrides */
	enum mtk_risk_level level;
	char reasons[MTK_DECISION_MAX_REASONS][240];
	size_t nreasons;
	const char *overridden[MTK_RISK_MAX]; /* factor names taken out of the score */
	size_t noverridden;
};

/* The mode's policy on a risk: ALLOW, CONFIRM (proceed only on an explicit
 * yes: a terminal answer or --yes), REFUSE; each with reasons.  Overrides
 * outside service mode, of unknown factors, or of hard factors: MTK_E_INVAL. */
int mtk_risk_decide(mtk_ctx *ctx, const struct mtk_risk *risk, enum mtk_flash_mode mode, const struct mtk_overrides *ov,
		    struct mtk_decision *out);
json_t *mtk_decision_to_json(const struct mtk_decision *d);

#ifdef __cplusplus
}
#endif
#endif
