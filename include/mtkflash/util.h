/* SPDX-License-Identifier: MIT */
/* Host-side helpers the library uses itself and offers to programs built on
 * it (the mtkflash CLI among them), so that every program writes outputs,
 * reads small files, shows untrusted names and parses sizes by the same rules.
 *
 * Failures are recorded on `ctx` (which may be NULL) and name the path. */
#ifndef MTKFLASH_UTIL_H
#define MTKFLASH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- time ----------------------------------------------------------------- */

struct tm;
/* The UTC calendar fields of a Unix time, as gmtime_r gives them (tm_isdst
 * 0), for strftime formats without %Z/%z: no time-zone file is read. */
void mtk_utc_tm(int64_t unix_seconds, struct tm *out);

/* ---- paths and small files ---------------------------------------------- */

/* A new "dir/name", or NULL when out of memory.  Free it. */
char *mtk_path_join(const char *dir, const char *name);

/* A new "a" followed by "b" ("key" + ".pub"), or NULL when out of memory.  Free it. */
char *mtk_str_concat(const char *a, const char *b);

/* The whole regular file, at most `max` bytes, into a new buffer (free it) with
 * a '\0' after the last byte so text parsers may stop there.  With `absent`
 * non-NULL a file that does not exist is no failure: 0 is returned with
 * *absent set and *out NULL.  A FIFO or device is refused, never waited on. */
int mtk_read_small_file(mtk_ctx *ctx, const char *path, size_t max, uint8_t **out, size_t *len, bool *absent);

/* Up to `max` bytes from the start of a file of any size (less when it is
 * shorter), into a new buffer of at least *len bytes (free it). */
int mtk_read_file_head(mtk_ctx *ctx, const char *path, size_t max, uint8_t **out, size_t *len);

/* Remove dir and everything below it, not following symlinks.  Keeps going
 * past entries it cannot remove; 0 when dir is gone afterwards, else -1. */
int mtk_remove_tree(const char *dir);

/* `dir` and its missing parents, each created with `mode` (existing ones are
 * left as they are).  Errors name the component that failed. */
int mtk_make_dirs(mtk_ctx *ctx, const char *dir, unsigned mode);

/* ---- output files ------------------------------------------------------- */

/* Output files written so that nothing is lost: the data goes to a temporary
 * file next to the final name (O_EXCL, mode 0600), is fsynced, and is renamed
 * into place only when complete, then the directory is fsynced.  A symbolic
 * link at the final name is refused (never written through); an existing
 * file is refused unless MTK_OUT_FORCE.  On any failure, or abort, the
 * temporary file is removed and an old file at the final name is untouched. */
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

/* ---- text from outside: names a device or a package chose, numbers a user typed */

/* Length of the well-formed UTF-8 sequence at s (at most `left` bytes;
 * shortest form, no surrogates, at most U+10FFFF) with its code point in
 * *cp, or 0 when malformed. */
size_t mtk_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp);

enum mtk_name_kind {
	/* One file name: a partition name that becomes NAME.img.  No '/', no '\',
	 * not "." or "..", no control byte, valid UTF-8, not empty. */
	MTK_NAME_FILE,
	/* A relative path inside a firmware package as a scatter file names it:
	 * '/' and '\' both separate components (Windows tools write either), no
	 * ".." component, not absolute, no drive letter, no control byte, UTF-8. */
	MTK_NAME_PACKAGE,
	/* A path as a SHA256SUMS manifest lists it: '/' separates, no empty, "."
	 * or ".." component, not absolute.  Backslash and newline are legal name
	 * bytes there (sha256sum escapes them), so only those rules apply. */
	MTK_NAME_MANIFEST,
};

/* NULL when `name` is acceptable as `kind`, else why not ("contains '/'"),
 * a static string for error messages. */
const char *mtk_name_problem(const char *name, enum mtk_name_kind kind);

/* `in` made safe to show on a terminal or in a log: control bytes (C0, DEL,
 * C1), backslash and bytes that are not UTF-8 become \xNN; valid UTF-8 is
 * kept.  Always NUL-terminates; cuts at a whole escape when out is short.
 * Returns out. */
char *mtk_escape(const char *in, char *out, size_t cap);
/* Same, for `len` bytes that need not end with NUL. */
char *mtk_escape_n(const char *in, size_t len, char *out, size_t cap);

/* The size/offset syntax of every command line: decimal or 0x-hex, with an
 * optional binary K/M/G/T suffix (also KiB/KB forms).  Refused: empty,
 * signs, spaces, octal-looking "010", overflow.  0 or MTK_E_INVAL with a
 * message on ctx (may be NULL). */
int mtk_parse_size(mtk_ctx *ctx, const char *s, uint64_t *out);

/* Lower-case hex of `n` bytes: 2n digits and a '\0' into `out`; returns 2n. */
static inline size_t mtk_hex_encode(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
	return 2 * n;
}

/* Whether n bytes are all zero: the first is, and each equals the next (the
 * C library's memcmp, many bytes a step: this runs over every byte of a
 * stash, a backup and a read, where a byte loop cost a millisecond per MiB). */
static inline bool mtk_all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

#ifdef __cplusplus
}
#endif
#endif
