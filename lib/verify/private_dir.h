/* SPDX-License-Identifier: MIT */
/* Folders for what the verify layer keeps on the host (backups, the service
 * passphrase): private to the user and never reached through a link. */
#ifndef MTK_VERIFY_PRIVATE_DIR_H
#define MTK_VERIFY_PRIVATE_DIR_H

#include "core/ctx.h"

/* mkdir -p with mode 0700 for what it creates; `dir` itself must end up a
 * real folder, not a symbolic link. */
int vf_make_private_dirs(mtk_ctx *ctx, const char *dir);

#endif
