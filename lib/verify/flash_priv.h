/* SPDX-License-Identifier: MIT */
/* Inside the flash orchestration: its table writer and audit events. */
#ifndef MTK_FLASH_PRIV_H
#define MTK_FLASH_PRIV_H

#include "mtkflash/flash.h"

/* The package's layout as a new GPT (both copies), each read back and
 * compared; partitions keep the device's GUIDs where their names match. */
int flash_write_gpt(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_fingerprint *fp, const struct mtk_plan *plan,
		    struct mtk_flash_outcome *o);
/* The step's event (its stage name; "error" or "interrupted" when it did
 * not finish).  NULL log: nothing. */
int flash_audit_step(struct mtk_audit *log, const struct mtk_flash_outcome *o);

/* preloader_stage.c: the boot2 copy of a written preloader, added to a
 * sorted plan (which has room for one more entry) right before boot1. */
void plan_stage_preloader(const struct mtk_fingerprint *fp, struct mtk_plan *p);
/* Debug log: "WHAT follows from link byte N" (bytes both ways so far). */
void flash_log_link(mtk_ctx *ctx, struct mtk_da *da, const char *what);

/* flash_txn.c: the journal, stashes and rollback of a flash. */
bool flash_txn_stashes(const struct mtk_flash_opts *o, const char *name);
int flash_txn_begin(mtk_ctx *ctx, const struct mtk_flash_opts *o, const struct mtk_fingerprint *fp,
		    const struct mtk_plan *p, struct mtk_journal_state *js);
int flash_txn_mark(const struct mtk_flash_opts *o, const char *rec, const char *name);
/* {"rec": "bootsel", "value": part}, fsynced before the DA is asked. */
int flash_txn_bootsel(const struct mtk_flash_opts *o, unsigned part);
/* After the read pass, before the first byte is written: the stash's
 * record and (start) the step's start; without start the stash alone,
 * fsynced (a later step writes). */
int flash_txn_stashed(const struct mtk_flash_opts *o, struct mtk_journal_part *jp, const char *file,
		      const struct mtk_vwrite_result *v, bool start);
/* Every changed partition back from its stash, in reverse order: returns
 * MTK_E_ROLLEDBACK, or rc with the list of partitions not as before. */
int flash_txn_rollback(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_flash_opts *o, struct mtk_journal_state *js,
		       struct mtk_flash_result *r, int rc);
void flash_txn_close(const struct mtk_flash_opts *o, const char *result);
void flash_txn_drop_stashes(const struct mtk_flash_opts *o, const struct mtk_journal_state *js);

#endif
