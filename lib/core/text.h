/* SPDX-License-Identifier: MIT */
/* Text that comes from outside: names a device or a package chose, numbers a
 * user typed.  One validator, one escaper, one size parser, shared by the
 * partition tables, the package checks, the CLI and the emulator. */
#ifndef MTK_CORE_TEXT_H
#define MTK_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

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

#endif
