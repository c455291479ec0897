/* SPDX-License-Identifier: MIT */
/* Libraries that only one feature needs (cairo for the PDF report, libpq for
 * a PostgreSQL history) are opened when that feature is first used, not at
 * every start: each one linked costs every run of mtkflash its loading and
 * relocation (about 4 ms for cairo, 8 ms for libpq and what it pulls in) and,
 * under LeakSanitizer, a scan of its data.  A station without them still
 * flashes, and says what to install when asked for the feature. */
#ifndef MTK_CORE_DYNLIB_H
#define MTK_CORE_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

#include "mtkflash/core.h"

struct mtk_dynsym {
	const char *name;
	size_t offset; /* of its function pointer in the caller's table */
};

struct mtk_dynlib {
	const char *soname;  /* "libcairo.so.2": the ABI the headers we build with describe */
	const char *package; /* the Debian package that holds it, for the message */
	const char *feature; /* "PDF reports" */
	const struct mtk_dynsym *syms;
	size_t nsyms;
	void *table; /* filled with one function pointer per symbol */
	/* Below: state, zero-initialised. */
	pthread_mutex_t lock;
	int state; /* 0 not tried, 1 loaded, -1 failed */
	char why[256];
};

#define MTK_DYNLIB_INIT(so, pkg, feat, syms_, table_)                                                  \
	{ .soname = (so), .package = (pkg), .feature = (feat), .syms = (syms_),                        \
	  .nsyms = sizeof(syms_) / sizeof((syms_)[0]), .table = (table_), .lock = PTHREAD_MUTEX_INITIALIZER }

/* The table's member for function `fn` and its entry in the symbol list. */
#define MTK_DYNLIB_MEMBER(fn) __typeof__(fn) *fn;
#define MTK_DYNLIB_SYM(type, fn) { #fn, offsetof(type, fn) },

/* Opens the library and fills the table, once per process (thread-safe); 0,
 * or MTK_E_UNSUPPORTED naming the feature, the library and the package to
 * install.  A failure is remembered: the next call says the same. */
int mtk_dynlib_load(mtk_ctx *ctx, struct mtk_dynlib *lib);

#endif
