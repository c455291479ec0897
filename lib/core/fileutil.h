/* SPDX-License-Identifier: MIT */
/* Small host-file and path helpers shared by the library, the CLI and the
 * emulator.  Failures are recorded on `ctx` (which may be NULL) and name the path. */
#ifndef MTK_CORE_FILEUTIL_H
#define MTK_CORE_FILEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/* A new "dir/name", or NULL when out of memory.  Free it. */
char *mtk_path_join(const char *dir, const char *name);

/* A new "a" followed by "b" ("key" + ".pub"), or NULL when out of memory.  Free it. */
char *mtk_str_concat(const char *a, const char *b);

/* The whole regular file, at most `max` bytes, into a new buffer (free it) with
 * a '\0' after the last byte so text parsers may stop there.  With `absent`
 * non-NULL a file that does not exist is no failure: 0 is returned with
 * *absent set and *out NULL.  A FIFO or device is refused, never waited on. */
int mtk_read_small_file(mtk_ctx *ctx, const char *path, size_t max, uint8_t **out, size_t *len, bool *absent);

/* `dir` and its missing parents, each created with `mode` (existing ones are
 * left as they are).  Errors name the component that failed. */
int mtk_make_dirs(mtk_ctx *ctx, const char *dir, unsigned mode);

/* Up to `max` bytes from the start of a file of any size (less when it is
 * shorter), into a new buffer of `max` bytes (free it). */
/* Remove dir and everything below it, not following symlinks.  Keeps going
 * past entries it cannot remove; 0 when dir is gone afterwards, else -1. */
int mtk_remove_tree(const char *dir);

int mtk_read_file_head(mtk_ctx *ctx, const char *path, size_t max, uint8_t **out, size_t *len);

#endif
