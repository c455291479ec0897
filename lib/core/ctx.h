/* SPDX-License-Identifier: MIT */
/* Library-internal side of the context: raising errors, logging, progress. */
#ifndef MTK_CORE_CTX_H
#define MTK_CORE_CTX_H

#include <stdbool.h>
#include "mtkflash/core.h"

#if defined(__GNUC__)
#define MTK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MTK_PRINTF(a, b)
#endif

/* Record a new failure and return `code`, so callers can write
 *   return mtk_fail(ctx, MTK_E_PROTO, "bad echo 0x%02x", b);
 * `ctx` may be NULL (parsers used without a context); then nothing is kept. */
int mtk_fail(mtk_ctx *ctx, int code, const char *fmt, ...) MTK_PRINTF(3, 4);

/* Prefix the current message with what the caller was doing, keep the code:
 *   return mtk_wrap(ctx, rc, "writing %s", name);  ->  "writing boot: <inner>"
 * If no message was recorded yet, the generic text for `code` is the inner one. */
int mtk_wrap(mtk_ctx *ctx, int code, const char *fmt, ...) MTK_PRINTF(3, 4);

void mtk_log(mtk_ctx *ctx, enum mtk_log_level level, const char *fmt, ...) MTK_PRINTF(3, 4);
bool mtk_log_enabled(const mtk_ctx *ctx, enum mtk_log_level level);
/* SPEW-level hex dump, `dir` is "H->D" or "D->H"; long buffers are elided in the middle. */
void mtk_log_hex(mtk_ctx *ctx, const char *dir, const uint8_t *buf, size_t len);
void mtk_progress(mtk_ctx *ctx, const char *what, uint64_t done, uint64_t total);
/* Until reset with (0, 0): progress reports are of a piece starting at
 * `base` of an operation of `total` bytes, and shown as that whole. */
void mtk_progress_span(mtk_ctx *ctx, uint64_t base, uint64_t total);
/* The progress callback the caller set, so an operation made of several
 * transfers can relay their reports as one whole. */
void mtk_ctx_get_progress(const mtk_ctx *ctx, mtk_progress_fn *fn, void **user);

#define mtk_err(ctx, ...) mtk_log(ctx, MTK_LOG_ERROR, __VA_ARGS__)
#define mtk_warn(ctx, ...) mtk_log(ctx, MTK_LOG_WARN, __VA_ARGS__)
#define mtk_info(ctx, ...) mtk_log(ctx, MTK_LOG_INFO, __VA_ARGS__)
#define mtk_dbg(ctx, ...) mtk_log(ctx, MTK_LOG_DEBUG, __VA_ARGS__)

#endif
