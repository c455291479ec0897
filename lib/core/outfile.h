/* SPDX-License-Identifier: MIT */
/* Output files written so that nothing is lost: the data goes to a temporary
 * file next to the final name (O_EXCL, mode 0600), is fsynced, and is renamed
 * into place only when complete, then the directory is fsynced.  A symbolic
 * link at the final name is refused (never written through); an existing
 * file is refused unless MTK_OUT_FORCE.  On any failure, or abort, the
 * temporary file is removed and an old file at the final name is untouched. */
#ifndef MTK_CORE_OUTFILE_H
#define MTK_CORE_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

enum mtk_out_flags {
	MTK_OUT_FORCE = 1 << 0,   /* replace an existing regular file */
	MTK_OUT_PRIVATE = 1 << 1, /* keep mode 0600: device data, backups, keys */
};

struct mtk_outfile {
	int fd;          /* write here (or with mtk_write_all / mtk_pwrite_all) */
	char *path;      /* the final name */
	char *tmp;       /* the temporary file while open */
	unsigned flags;
	mtk_ctx *ctx;
};

/* Checks the final name and creates the temporary file.  MTK_E_IO for an
 * existing file without FORCE, a symbolic link or anything the system
 * refuses (a host file that cannot be written: exit status 8). */
int mtk_outfile_open(mtk_ctx *ctx, const char *path, unsigned flags, struct mtk_outfile *o);
/* fsync, rename into place, fsync the directory; the outfile is closed
 * either way.  Without FORCE a file that appeared meanwhile is not replaced. */
int mtk_outfile_commit(struct mtk_outfile *o);
/* Close and remove the temporary file; safe to call after commit or twice. */
void mtk_outfile_abort(struct mtk_outfile *o);

/* fsync the directory holding `path`, so a new name in it survives a crash
 * (best effort: some file systems refuse fsync on directories). */
void mtk_fsync_parent(const char *path);

/* A whole small file in one go: open, write, commit. */
int mtk_write_file_safely(mtk_ctx *ctx, const char *path, const void *buf, size_t len, unsigned flags);

/* The one write loop: all of buf, retrying EINTR and short writes.  Errors
 * name `what` (a path). */
int mtk_write_all(mtk_ctx *ctx, int fd, const void *buf, size_t len, const char *what);
int mtk_pwrite_all(mtk_ctx *ctx, int fd, const void *buf, size_t len, uint64_t off, const char *what);

#endif
