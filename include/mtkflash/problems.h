/* SPDX-License-Identifier: MIT */
/* A list of findings about an input (a scatter file, a package), each with a
 * severity and the place it refers to.  Checks that are not fatal collect
 * problems here instead of failing, so that a user sees all of them at once. */
#ifndef MTKFLASH_PROBLEMS_H
#define MTKFLASH_PROBLEMS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_severity {
	MTK_SEV_ERROR = 0, /* the package must not be flashed as it is */
	MTK_SEV_WARNING,   /* worth a look; does not fail a check */
};
const char *mtk_severity_name(enum mtk_severity s); /* "error", "warning" */

struct mtk_problem {
	enum mtk_severity severity;
	char *file;    /* file the finding is about, NULL if none */
	unsigned line; /* 1-based line in `file`, 0 if not tied to a line */
	char *part;    /* partition concerned, NULL if none */
	char *message;
};

struct mtk_problems {
	struct mtk_problem *items;
	size_t count;
	size_t cap;
};

#if defined(__GNUC__)
#define MTK_PROBLEM_PRINTF __attribute__((format(printf, 6, 7)))
#else
#define MTK_PROBLEM_PRINTF
#endif

/* Append a finding.  Returns 0 or MTK_E_NOMEM. */
int mtk_problems_add(struct mtk_problems *p, enum mtk_severity sev, const char *file, unsigned line,
                     const char *part, const char *fmt, ...) MTK_PROBLEM_PRINTF;
size_t mtk_problems_count(const struct mtk_problems *p, enum mtk_severity sev);
void mtk_problems_clear(struct mtk_problems *p);

#ifdef __cplusplus
}
#endif
#endif
