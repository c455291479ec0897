/* SPDX-License-Identifier: MIT */
/* The flash journal and the stashes (docs/verified-mode.md "Stash and
 * rollback", "Journal and recover").
 *
 * A flash writes a journal before it touches the device: one folder per
 * flash, ROOT/<device id>/<flash id>/ (0700), holding journal.jsonl (0600,
 * JSON lines, each fsynced before the step it announces) and one stash file
 * per partition written: the partition's old bytes over the ranges the
 * write covers, at their partition offsets, with zero blocks left as holes.
 *
 * Records ("rec"): begin (flash id, device id, mode, scene, the planned
 * writes), stash (partition, file, the ranges, SHA-256 of the old and of the
 * new bytes over them), start, end, restored, finished, close (result).  A
 * journal without a close record is unfinished: `mtkflash recover`. */
#ifndef MTKFLASH_JOURNAL_H
#define MTKFLASH_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/da.h"
#include "mtkflash/session.h"
#include "mtkflash/storage.h"
#include "mtkflash/vwrite.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_JOURNAL_FILE "journal.jsonl"
#define MTK_FLASH_ID_MAX 48

enum mtk_jpart_state {
	MTK_JP_PLANNED = 0, /* not started */
	MTK_JP_STARTED,     /* the device may hold old, new or a mix: in doubt */
	MTK_JP_ENDED,       /* written and verified */
	MTK_JP_FAILED,      /* the step ended with an error: in doubt */
	MTK_JP_RESTORED,    /* written back from its stash and verified */
};
const char *mtk_jpart_state_name(enum mtk_jpart_state s);

/* What the device holds over a partition's ranges (recover). */
enum mtk_jdevice {
	MTK_JDEV_UNKNOWN = 0, /* not checked, or no stash record to compare with */
	MTK_JDEV_OLD,
	MTK_JDEV_NEW,
	MTK_JDEV_MIXED, /* neither: a write was cut short */
};
const char *mtk_jdevice_name(enum mtk_jdevice d);

struct mtk_journal_part {
	char name[MTK_PART_NAME_SIZE];
	enum mtk_region region;
	uint64_t offset, size;
	char *image; /* the image path the flash used */
	bool stashed;
	char stash[MTK_PART_NAME_SIZE + 8]; /* file name inside the journal folder */
	uint8_t old_sha256[32], new_sha256[32];
	struct mtk_stash_range *ranges;
	size_t nranges;
	enum mtk_jpart_state state;
	enum mtk_jdevice device; /* mtk_recover_assess */
};

struct mtk_journal_state {
	char flash_id[MTK_FLASH_ID_MAX];
	char device_id[MTK_DEVICE_ID_MAX];
	char mode[16], scene[16];
	struct mtk_journal_part *parts; /* in plan order */
	size_t count;
	bool closed;
	char result[32]; /* the close record's */
	/* The staged preloader: the DRAM id the flash saw (to pick a preloader
	 * whose EMI fits when the phone is found in BROM mode), the chip's boot
	 * policy, and the last BOOT_PARTITION_ENABLE the flash set (0: none). */
	uint8_t dram_id[16];
	size_t dram_id_len;
	char boot_select[16];
	unsigned bootsel;
};

/* Parse a journal's bytes (no I/O: fuzzed).  A torn last line (a crash
 * while appending) is ignored; anything else malformed is MTK_E_PARSE naming
 * the line.  Free with mtk_journal_state_free. */
int mtk_journal_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_journal_state *out);
void mtk_journal_state_free(struct mtk_journal_state *s);
struct mtk_journal_part *mtk_journal_part_find(struct mtk_journal_state *s, const char *name);

struct mtk_journal;
/* A new journal folder under root for this device; its id is the UTC time
 * and a random suffix. */
int mtk_journal_create(mtk_ctx *ctx, const char *root, const char *device_id, struct mtk_journal **out);
/* An existing journal folder, to append to (recover). */
int mtk_journal_reopen(mtk_ctx *ctx, const char *dir, struct mtk_journal **out);
const char *mtk_journal_dir(const struct mtk_journal *j);
const char *mtk_journal_id(const struct mtk_journal *j);
/* Append one record (rec is taken) and fsync it. */
int mtk_journal_append(struct mtk_journal *j, json_t *rec);
/* Append without fsync: for a record whose loss only costs recover a
 * re-read (an end record), or one the next fsynced append carries along. */
int mtk_journal_append_lazy(struct mtk_journal *j, json_t *rec);
void mtk_journal_free(struct mtk_journal *j);
/* Load dir/journal.jsonl. */
int mtk_journal_load(mtk_ctx *ctx, const char *dir, struct mtk_journal_state *out);
/* The newest unfinished journal of the device under root: 1 and its folder
 * in dir (cap bytes), or 0 when there is none. */
int mtk_journal_find_open(mtk_ctx *ctx, const char *root, const char *device_id, char *dir, size_t cap);

/* The stash record of a partition (after mtk_vwrite stashed it). */
json_t *mtk_journal_stash_record(const char *name, const char *file, const struct mtk_vwrite_result *v);

/* Write a partition's stash back over its ranges and read it back: 0 when
 * the device holds the old bytes again, MTK_E_VERIFY when not. */
int mtk_stash_restore(mtk_ctx *ctx, struct mtk_da *da, const char *dir, const struct mtk_journal_part *p);
/* SHA-256 of the device's bytes over a partition's stash ranges. */
int mtk_stash_device_sha256(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_journal_part *p, uint8_t out[32]);

/* ---- recover ----------------------------------------------------------- */

/* A preloader copy: a write at the start of boot1 or boot2. */
bool mtk_journal_part_is_preloader(const struct mtk_journal_part *p);

/* A partition is in doubt when its step started and did not end. */
bool mtk_journal_in_doubt(const struct mtk_journal_part *p);
/* Reads the device over every in-doubt partition's ranges and compares
 * with the journal's old and new hashes (p->device); ended ones are NEW. */
int mtk_recover_assess(mtk_ctx *ctx, struct mtk_da *da, struct mtk_journal_state *s);

/* Called after each partition recover acted on: action "restore",
 * "finish" or "as-before"/"as-new" (nothing to write); rc 0 or MTK_E_*. */
typedef void (*mtk_recover_fn)(void *user, const struct mtk_journal_part *p, const char *action, int rc);
/* Every partition the flash changed back from its stash, last first;
 * journaled ("restored"), closed "rolled-back" when all are as before.
 * 0, or the first failure's code (the others are still tried). */
int mtk_recover_rollback(mtk_ctx *ctx, struct mtk_da *da, struct mtk_journal *j, struct mtk_journal_state *s,
			 mtk_recover_fn fn, void *user);
/* Every planned partition not yet new written (verified, read first and
 * stashed), in plan order; closed "verified" when all are. */
int mtk_recover_finish(mtk_ctx *ctx, struct mtk_da *da, struct mtk_journal *j, struct mtk_journal_state *s,
		       mtk_recover_fn fn, void *user);

/* Protected partitions (NVRAM, IMEI, calibration) a rollback left not as
 * before — their stash could not be written back — from the newest backup
 * of the device in the store (backup_root) that holds them all, each read
 * back and compared, journaled "restored"; the journal is closed
 * "rolled-back" when every partition is then as before.  0 when none was
 * needed or all were restored (*restored counts them, backup_id names the
 * backup used); MTK_E_NOTFOUND when no backup holds them; else the
 * restore's error. */
int mtk_recover_protected_from_backup(mtk_ctx *ctx, struct mtk_da *da, const char *backup_root, struct mtk_journal *j,
				      struct mtk_journal_state *s, size_t *restored, char *backup_id, size_t cap);

/* ---- the phone found in BROM mode (docs/verified-mode.md "Recovery routine")
 * A phone whose preloader write was cut short comes up in BROM mode with
 * DRAM down, and the DA needs the EMI settings before it can report the
 * device's identity: the preloader for them comes from the newest
 * unfinished journal on this host, in this order: the old preloader (the
 * boot1 stash), the old boot2 copy (its stash), the package's preloader —
 * the first whose EMI records hold one for the DRAM id the flash saw (any
 * with EMI records when the journal has none).  1 with *out filled, 0 when
 * no journal offers one. */
struct mtk_recover_preloader {
	char path[4400];
	char source[64];                   /* "the old preloader (boot1 stash)", … */
	char journal[4200];                /* the journal folder it came from */
	int emi_record;                    /* the record matching the DRAM id, -1 unchecked */
};
int mtk_recover_pick_preloader(mtk_ctx *ctx, const char *root, struct mtk_recover_preloader *out);

#ifdef __cplusplus
}
#endif
#endif
