/* SPDX-License-Identifier: MIT */
/* The package side of a job (job_scatter.c): apart from job_priv.h, which
 * includes da.h, whose storage enum clashes with scatter.h's. */
#ifndef MTK_VERIFY_JOB_SCATTER_H
#define MTK_VERIFY_JOB_SCATTER_H

#include "mtkflash/job.h"

struct mtk_scatter;
int job_scatter_load(mtk_ctx *ctx, const char *path, struct mtk_scatter **out);
void job_scatter_free(struct mtk_scatter *s);
char *job_scatter_preloader(const struct mtk_scatter *s); /* malloc'd path, NULL: none */
/* SHA256SUMS and its signature, trusting o->trust (and o->virtual_trust
 * for a software device). */
int job_package_check(mtk_ctx *ctx, const struct mtk_job_opts *o, bool virtual_device, struct mtk_job_package *v);

/* $VAR/SUB, else ~/FALLBACK/SUB; `given` wins when not NULL.  NULL when
 * none can be named. */
const char *job_dir(const char *given, const char *var, const char *fallback, const char *sub, char *out,
		    size_t cap);

#endif
