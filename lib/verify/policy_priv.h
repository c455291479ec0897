/* SPDX-License-Identifier: MIT */
/* What the policy files share inside lib/verify. */
#ifndef MTK_VERIFY_POLICY_PRIV_H
#define MTK_VERIFY_POLICY_PRIV_H

#include "mtkflash/core.h"

/* MTK_E_PARSE with "FNAME: PATH: message" (PATH a JSON path, "$.modes[1]"). */
int policy_fail(mtk_ctx *ctx, const char *fname, const char *path, const char *fmt, ...) MTK_PRINTF(4, 5);

#endif
