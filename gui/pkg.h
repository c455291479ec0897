/* SPDX-License-Identifier: MIT */
/* A firmware package as the Package view shows it: the scatter file, each
 * image with its size, SHA-256 and Checksum.ini status, the signature of
 * SHA256SUMS, and which partitions are ticked by default and why not.
 * Plain library calls (no GTK): it runs on a worker thread. */
#ifndef MTKGUI_PKG_H
#define MTKGUI_PKG_H

#include <stdbool.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/scatter.h"

struct gui_pkg_image {
	const char *name; /* points into the scatter */
	const char *file; /* NULL: the partition has no image */
	bool present;
	uint64_t size;
	char sha256[65];
	char checksum[24]; /* "match", "mismatch", "not-listed", "" without Checksum.ini */
	bool tick;         /* ticked by default */
	char why[120];     /* why it is not ticked ("" when it is) */
};

struct gui_pkg {
	char *scatter; /* path */
	char *dir;
	struct mtk_scatter sc;
	struct gui_pkg_image *img;
	size_t nimg;
	char signature[512]; /* one sentence: signed by whom, or why not */
	char checksums[200]; /* one sentence on Checksum.ini */
	size_t problems;     /* errors among the scatter's findings */
};

/* A folder is searched for its *_scatter.txt (or *.xml scatter).  The
 * trusted keys are the *.pub files in trust_dir (may be NULL), and
 * virtual_key (may be NULL): the emulator's demo key when the port is an
 * emulated phone, as the job trusts it. */
int gui_pkg_load(mtk_ctx *ctx, const char *path, const char *trust_dir, const char *virtual_key,
		 struct gui_pkg *out);
void gui_pkg_free(struct gui_pkg *p);
/* The scatter file of a folder, or NULL (caller frees). */
char *gui_pkg_find_scatter(const char *dir);

#endif
