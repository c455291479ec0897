/* SPDX-License-Identifier: MIT */
/* Host diagnostics for `mtkflash doctor`: what stands between this machine
 * and a phone in download mode (no device, permissions, ModemManager,
 * brltty, cdc_acm, autosuspend, a port held by another program, groups).
 *
 * Every check reads the system through paths below a root folder: "" (or
 * NULL) is the running system; a test plants a tree (sys/, dev/, proc/,
 * etc/, lib/, usr/lib/, run/) that shows one problem.  Nothing is changed:
 * each finding comes with the command that fixes it, for a person to run. */
#ifndef MTKFLASH_DOCTOR_H
#define MTKFLASH_DOCTOR_H

#include <stddef.h>

#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_check_status {
	MTK_CHECK_OK,
	MTK_CHECK_WARN, /* worth fixing; flashing may still work */
	MTK_CHECK_FAIL, /* blocks flashing until fixed */
};

struct mtk_check {
	const char *id; /* stable: "device", "permissions", "udev-rule", "modemmanager", … (static) */
	enum mtk_check_status status;
	char finding[640]; /* one line */
	char fix[512];     /* the command(s) to run; "" when there is nothing to do */
};

struct mtk_doctor_env {
	const char *root;           /* "" or NULL: "/" */
	const char *user;           /* login name, for group membership; NULL skips that check */
	unsigned uid;               /* 0: root, who needs no group nor permission */
	const char *kernel_release; /* `uname -r`, for lib/modules/RELEASE; NULL skips modules files */
};

/* How many checks mtk_doctor_run fills. */
#define MTK_DOCTOR_CHECKS 9

/* Runs every check into out[0..MTK_DOCTOR_CHECKS).  Returns how many
 * failed (0: nothing blocks flashing), or a negative MTK_E_* code when the
 * root itself is unusable or max is too small. */
int mtk_doctor_run(mtk_ctx *ctx, const struct mtk_doctor_env *env, struct mtk_check *out, size_t max);

/* "ok", "warn", "fail". */
const char *mtk_check_status_name(enum mtk_check_status s);

#ifdef __cplusplus
}
#endif
#endif
