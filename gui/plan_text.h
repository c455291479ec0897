/* SPDX-License-Identifier: MIT */
/* The plan, the device and the risk in plain sentences (caller g_free()s). */
#ifndef MTKGUI_PLAN_TEXT_H
#define MTKGUI_PLAN_TEXT_H

#include "mtkflash/job.h"

char *gui_device_sentence(const struct mtk_fingerprint *fp);
/* "boot, system and 6 more will be written (1.2 GB); your IMEI partitions ..." */
char *gui_plan_sentence(const struct mtk_job_plan *p);
/* "Signature check: the package ... (+25 points)" */
char *gui_factor_sentence(const struct mtk_risk_item *it);
/* "Allowed in safe mode." / "Refused: ..." */
char *gui_verdict_sentence(const struct mtk_job_plan *p);

#endif
