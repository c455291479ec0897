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

#endif
