/* SPDX-License-Identifier: MIT */
/* Verified Mode, doing half: carry out a plan (verify.h) on a connected DA.
 *
 * Stages, in this order (docs/verified-mode.md "Flash"):
 *   backup   protected partitions are read into the backup store when the
 *            scene could touch them (upgrade, format-all) or one is selected;
 *   erase    format-all: every partition the plan erases;
 *   table    a layout change (upgrade, format-all): the new GPT, before any
 *            partition lands at its new place (MBR/EBR images are ordinary
 *            plan entries of rank 0 and are written first by the write stage);
 *   write    each entry the plan writes, in plan order (data, then
 *            lk/boot/recovery/tee, the preloader last), each read back and
 *            compared (mtk_vwrite: one rewrite, then MTK_E_VERIFY);
 *   restore  upgrade: the protected partitions from the backup, verified;
 *   finish.
 * The first failure stops the run: what was done so far is in the result,
 * partition by partition (the rollback of earlier partitions is a later
 * step: each outcome keeps what it needs for it).  A cancellation
 * (mtk_ctx_set_cancel) stops at a command boundary with MTK_E_INTERRUPTED.
 *
 * With an audit log every step is an event (docs/audit-log.md lists them);
 * mtk_flash_audit_begin writes what was decided before the first step. */
#ifndef MTKFLASH_FLASH_H
#define MTKFLASH_FLASH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "mtkflash/audit.h"
#include "mtkflash/backup.h"
#include "mtkflash/core.h"
#include "mtkflash/journal.h"
#include "mtkflash/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_flash_stage {
	MTK_FSTAGE_BACKUP = 0,
	MTK_FSTAGE_ERASE,
	MTK_FSTAGE_TABLE,
	MTK_FSTAGE_WRITE,
	MTK_FSTAGE_RESTORE,
	MTK_FSTAGE_FINISH,
	MTK_FSTAGE_BOOTSEL, /* the staged preloader: BOOT_PARTITION_ENABLE set (name "boot1"/"boot2") */
};
const char *mtk_flash_stage_name(enum mtk_flash_stage s); /* "backup", "erase", ... */

enum mtk_flash_state {
	MTK_FLASH_PENDING = 0, /* not reached */
	MTK_FLASH_DONE,        /* done and, for writes, verified */
	MTK_FLASH_FAILED,
	MTK_FLASH_INTERRUPTED,
};
const char *mtk_flash_state_name(enum mtk_flash_state s); /* "pending", "done", "failed", "interrupted" */

/* One step on one partition (or the table). */
struct mtk_flash_outcome {
	char name[MTK_PART_NAME_SIZE]; /* the package's name ("table" for a generated GPT) */
	enum mtk_flash_stage stage;    /* BACKUP, ERASE, TABLE, WRITE, RESTORE */
	enum mtk_flash_state state;
	enum mtk_region region;
	uint64_t offset;
	uint64_t bytes;         /* what the step puts on (or reads from) the device */
	uint64_t bytes_written; /* sent so far, rewrites included (also when failing) */
	const char *image;      /* the plan's image path (writes) */
	bool have_before;       /* the old content was read (backup) */
	uint8_t before_sha256[32];
	bool have_image;
	uint8_t file_sha256[32];     /* the image file */
	uint8_t image_sha256[32];    /* the data it puts on the device */
	uint8_t readback_sha256[32]; /* what the device holds afterwards */
	bool verified;               /* read back and equal */
	uint32_t rewrites;
	bool mismatch;               /* MTK_E_VERIFY: first_bad is the partition offset of the first bad byte */
	uint64_t first_bad;
	double seconds, mb_per_s;
	bool stashed;                /* the old bytes are in the journal's folder */
	uint64_t bytes_skipped;      /* already on the device: neither written nor verified again */
	int rollback;                /* 0 not needed, 1 restored and verified, -1 the restore failed */
	int error;                   /* MTK_E_* when failed */
	char message[240];
};

/* Called at the start (done false) and end (done true) of every step.
 * bytes_done/bytes_total count the write stage's data over the whole run. */
typedef void (*mtk_flash_step_fn)(void *user, const struct mtk_flash_outcome *o, bool done, uint64_t bytes_done,
				  uint64_t bytes_total);

struct mtk_flash_opts {
	const char *backup_root; /* the backup store; NULL refuses a plan that needs a backup */
	json_t *fingerprint;     /* borrowed: put in the backup's manifest (may be NULL) */
	struct mtk_audit *audit; /* may be NULL */
	/* The journal (may be NULL: no stash, no rollback).  With it every
	 * written partition is read first and stashed (quick mode: not the
	 * expendable ones, cache and userdata); a failure, an interruption
	 * or a lost device rolls the written partitions back in reverse order. */
	struct mtk_journal *journal;
	enum mtk_flash_mode mode;
	mtk_flash_step_fn on_step;
	void *user;
	unsigned device_checks;  /* MTK_DA_CHECK_* for every write (mtk_vwrite_req.device_checks) */
	/* Quick mode: the partitions written without a stash (no read pass,
	 * no rollback: a later failure leaves them as written).  NULL: the
	 * default, cache and userdata; a name "all" marks every partition,
	 * an empty list none. */
	const char *const *expendable;
	size_t nexpendable;
};

struct mtk_flash_result {
	struct mtk_flash_outcome *steps; /* in the order they ran (or would have) */
	size_t count;
	char backup_id[MTK_BACKUP_ID_MAX]; /* "" when no backup was taken */
	uint64_t bytes_written;            /* over all steps */
	uint64_t write_bytes;              /* the write stage's data (the plan's total_bytes) */
	double seconds;
	int failed;                        /* index of the failed step, -1 */
	bool interrupted;
	uint64_t bytes_skipped;            /* over all writes */
	bool rolled_back;                  /* every changed partition is as before */
	char not_as_before[512];           /* after a failed rollback: the partitions, comma separated */
};

/* ---- the staged preloader (docs/verified-mode.md "Staged preloader") ----
 * The plan writes the new preloader twice: first a copy into boot2 (its
 * entry's name ends in MTK_BOOT_COPY_SUFFIX, boot_copy set), then boot1.
 * Each write stashes the area first and invalidates its device header
 * before the image goes out (the header is rewritten with the image), so a
 * write cut short leaves no half-valid preloader: the BootROM then stays in
 * download mode, where `mtkflash recover` can reach it.  On chips whose
 * BootROM boots the partition BOOT_PARTITION_ENABLE selects, and with a DA
 * that can set it, it points at boot2 while boot1 is written and returns to
 * boot1 afterwards; elsewhere it stays at boot1 and the journal covers the
 * window.  At no moment are both copies unverified. */
#define MTK_BOOT_COPY_SUFFIX "@boot2"
enum mtk_pl_substep {
	MTK_PL_WRITE_BOOT2,  /* the new preloader into boot2, verified */
	MTK_PL_SELECT_BOOT2, /* BOOT_PARTITION_ENABLE = 2 while boot1 is written */
	MTK_PL_WRITE_BOOT1,  /* boot1, verified */
	MTK_PL_SELECT_BOOT1, /* BOOT_PARTITION_ENABLE = 1, as MediaTek's DA leaves it */
};
#define MTK_PL_MAX_SUBSTEPS 4
const char *mtk_pl_substep_name(enum mtk_pl_substep s); /* "write-boot2", "select-boot2", … */
/* The sub-steps for a chip's policy and what the DA can do, in order. */
size_t mtk_preloader_substeps(enum mtk_boot_select sel, bool da_can_select, enum mtk_pl_substep out[MTK_PL_MAX_SUBSTEPS]);
/* One line saying how boot1's window is covered (plan, log, audit). */
const char *mtk_preloader_policy_text(enum mtk_boot_select sel, bool da_can_select);
/* Invalidate the device header of a boot area (its first sector, zeros):
 * a preloader write cut short then leaves no image the BootROM could take. */
int mtk_preloader_clear_header(mtk_ctx *ctx, struct mtk_da *da, enum mtk_region region);

/* Whether quick mode writes `name` without a stash (opts->expendable). */
bool mtk_flash_expendable(const struct mtk_flash_opts *opts, const char *name);

/* Run the plan.  The plan must have no refusals (MTK_E_POLICY otherwise):
 * the caller has decided the risk.  0 when every step was done and verified;
 * else the first failure's code with *out saying what was done; with a
 * journal, MTK_E_ROLLEDBACK when every changed partition was restored. */
int mtk_flash_run(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_fingerprint *fp, const struct mtk_plan *plan,
		  const struct mtk_flash_opts *opts, struct mtk_flash_result *out);
void mtk_flash_result_free(struct mtk_flash_result *r);
json_t *mtk_flash_outcome_to_json(const struct mtk_flash_outcome *o);
json_t *mtk_flash_result_to_json(const struct mtk_flash_result *r);

/* What was decided before anything is written, for the audit log. */
struct mtk_flash_decided {
	const struct mtk_fingerprint *fp;
	const struct mtk_plan *plan;
	const struct mtk_risk *risk;
	const struct mtk_decision *decision;
	enum mtk_flash_mode mode;
	const char *scatter;  /* path */
	json_t *package;      /* borrowed: hashes and signature status */
	const char *confirmed; /* "terminal", "--yes", "not needed" */
};
/* Events start, fingerprint, package, plan, risk, one override per factor
 * taken out, decision. */
int mtk_flash_audit_begin(struct mtk_audit *log, const struct mtk_flash_decided *d);
/* Event end: ok, exit code name, bytes, seconds. */
int mtk_flash_audit_end(struct mtk_audit *log, int rc, const struct mtk_flash_result *r);

#ifdef __cplusplus
}
#endif
#endif
