/* SPDX-License-Identifier: MIT */
/* Library-internal side of the context: transfer dumps and progress.  (Raising
 * errors and logging are public, in mtkflash/core.h.) */
#ifndef MTK_CORE_CTX_H
#define MTK_CORE_CTX_H

#include <stdbool.h>
#include "mtkflash/core.h"

/* SPEW-level hex dump, `dir` is "H->D" or "D->H"; long buffers are elided in the middle. */
void mtk_log_hex(mtk_ctx *ctx, const char *dir, const uint8_t *buf, size_t len);
void mtk_progress(mtk_ctx *ctx, const char *what, uint64_t done, uint64_t total);
/* Until reset with (0, 0): progress reports are of a piece starting at
 * `base` of an operation of `total` bytes, and shown as that whole. */
void mtk_progress_span(mtk_ctx *ctx, uint64_t base, uint64_t total);
/* The progress callback the caller set, so an operation made of several
 * transfers can relay their reports as one whole. */
void mtk_ctx_get_progress(const mtk_ctx *ctx, mtk_progress_fn *fn, void **user);

#endif
