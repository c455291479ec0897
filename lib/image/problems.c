/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/core.h"
#include "mtkflash/problems.h"

const char *mtk_severity_name(enum mtk_severity s)
{
	return s == MTK_SEV_ERROR ? "error" : "warning";
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int grow(struct mtk_problems *p)
{
	if (p->count < p->cap)
		return 0;
	size_t cap = p->cap ? p->cap * 2 : 16;
	struct mtk_problem *n = realloc(p->items, cap * sizeof *n);
	if (!n)
		return MTK_E_NOMEM;
	p->items = n;
	p->cap = cap;
	return 0;
}

int mtk_problems_add(struct mtk_problems *p, enum mtk_severity sev, const char *file, unsigned line,
                     const char *part, const char *fmt, ...)
{
	if (grow(p) < 0)
		return MTK_E_NOMEM;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	struct mtk_problem *q = &p->items[p->count];
	*q = (struct mtk_problem){.severity = sev, .line = line};
	q->message = strdup(buf);
	q->file = dup_or_null(file);
	q->part = dup_or_null(part);
	if (!q->message || (file && !q->file) || (part && !q->part)) {
		free(q->message);
		free(q->file);
		free(q->part);
		return MTK_E_NOMEM;
	}
	p->count++;
	return 0;
}

size_t mtk_problems_count(const struct mtk_problems *p, enum mtk_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < p->count; i++)
		n += p->items[i].severity == sev;
	return n;
}

void mtk_problems_clear(struct mtk_problems *p)
{
	for (size_t i = 0; i < p->count; i++) {
		free(p->items[i].file);
		free(p->items[i].part);
		free(p->items[i].message);
	}
	free(p->items);
	*p = (struct mtk_problems){0};
}
