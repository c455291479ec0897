/* SPDX-License-Identifier: MIT */
/* The partition list shared by every table format, and partition names. */
#include "mtkflash/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "core/text.h"

/* MT6572-era names that were renamed for the GPT era (formats.md §1.10);
 * names that only changed case need no entry. */
static const struct {
	const char *old;
	const char *now;
} part_aliases[] = {
        {"ANDROID", "system"}, {"USRDATA", "userdata"}, {"BOOTIMG", "boot"},       {"UBOOT", "lk"},
        {"SEC_RO", "secro"},   {"PRO_INFO", "proinfo"}, {"PROTECT_F", "protect1"}, {"PROTECT_S", "protect2"},
};

static const char *const kind_names[] = {"none", "gpt", "pmt", "mbr"};

const char *mtk_ptable_kind_name(enum mtk_ptable_kind k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

void mtk_ptable_init(struct mtk_ptable *t, enum mtk_ptable_kind kind)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->sector_size = 512;
}

void mtk_ptable_free(struct mtk_ptable *t)
{
	if (!t)
		return;
	free(t->parts);
	mtk_ptable_init(t, MTK_PTABLE_NONE);
}

/* Every table kind (GPT, PMT, MBR/EBR) ends up here, so this is where a name
 * chosen by whoever wrote the device's table is checked: readback uses it as
 * a file name and printers show it, so "../x" or an escape sequence must not
 * get any further. */
static int check_part_name(mtk_ctx *ctx, const struct mtk_ptable *t, const struct mtk_part *p)
{
	char name[MTK_PART_NAME_SIZE];
	memcpy(name, p->name, sizeof name);
	name[sizeof name - 1] = '\0';
	const char *why = mtk_name_problem(name, MTK_NAME_FILE);
	if (!why)
		return 0;
	char shown[4 * MTK_PART_NAME_SIZE];
	return mtk_fail(ctx, MTK_E_PARSE, "%s entry %zu: name '%s' %s (not safe as a file name)",
	                mtk_ptable_kind_name(t->kind), t->count, mtk_escape(name, shown, sizeof shown), why);
}

int mtk_ptable_add(mtk_ctx *ctx, struct mtk_ptable *t, const struct mtk_part *p)
{
	int rc = check_part_name(ctx, t, p);
	if (rc < 0)
		return rc;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct mtk_part *n = realloc(t->parts, cap * sizeof *n);
		if (!n)
			return mtk_fail(ctx, MTK_E_NOMEM, "partition table: out of memory for %zu entries",
			                cap);
		t->parts = n;
		t->cap = cap;
	}
	t->parts[t->count] = *p;
	t->parts[t->count].name[MTK_PART_NAME_SIZE - 1] = '\0';
	t->count++;
	return 0;
}

int mtk_ptable_add_simple(mtk_ctx *ctx, struct mtk_ptable *t, const char *name, uint64_t start, uint64_t size)
{
	struct mtk_part p;
	memset(&p, 0, sizeof p);
	if (strlen(name) >= sizeof p.name)
		return mtk_fail(ctx, MTK_E_INVAL, "partition name '%.40s...' longer than %d bytes", name,
		                MTK_PART_NAME_SIZE - 1);
	strcpy(p.name, name);
	p.start = start;
	p.size = size;
	p.region = MTK_REGION_USER;
	return mtk_ptable_add(ctx, t, &p);
}

static int cmp_part(const void *a, const void *b)
{
	const struct mtk_part *x = a, *y = b;
	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

int mtk_ptable_check(mtk_ctx *ctx, struct mtk_ptable *t)
{
	if (t->count > 1)
		qsort(t->parts, t->count, sizeof *t->parts, cmp_part);
	for (size_t i = 0; i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		uint64_t end;
		if (mtk_add_overflows(p->start, p->size, &end))
			return mtk_fail(ctx, MTK_E_RANGE,
			                "partition %s: start 0x%llx + size 0x%llx overflows", p->name,
			                (unsigned long long)p->start, (unsigned long long)p->size);
		if (p->region == MTK_REGION_USER && t->disk_size && end > t->disk_size)
			return mtk_fail(ctx, MTK_E_RANGE,
			                "partition %s ends at 0x%llx, past the end of the %s area (0x%llx)",
			                p->name, (unsigned long long)end, mtk_region_name(p->region),
			                (unsigned long long)t->disk_size);
		if (i + 1 < t->count && t->parts[i + 1].region == p->region && t->parts[i + 1].start < end)
			return mtk_fail(ctx, MTK_E_RANGE,
			                "partitions %s (0x%llx..0x%llx) and %s (starts 0x%llx) overlap",
			                p->name, (unsigned long long)p->start, (unsigned long long)end,
			                t->parts[i + 1].name, (unsigned long long)t->parts[i + 1].start);
	}
	return 0;
}

const char *mtk_part_alias(const char *name)
{
	for (size_t i = 0; i < sizeof part_aliases / sizeof part_aliases[0]; i++)
		if (!strcasecmp(name, part_aliases[i].old))
			return part_aliases[i].now;
	return NULL;
}

static const char *canonical(const char *name)
{
	const char *a = mtk_part_alias(name);
	return a ? a : name;
}

bool mtk_part_name_eq(const char *a, const char *b)
{
	return !strcasecmp(a, b) || !strcasecmp(canonical(a), canonical(b));
}

const struct mtk_part *mtk_part_find(const struct mtk_ptable *t, const char *name)
{
	if (!t || !name)
		return NULL;
	for (size_t i = 0; i < t->count; i++)
		if (!strcasecmp(t->parts[i].name, name))
			return &t->parts[i];
	for (size_t i = 0; i < t->count; i++)
		if (mtk_part_name_eq(t->parts[i].name, name))
			return &t->parts[i];
	return NULL;
}

size_t mtk_part_list_names(const struct mtk_ptable *t, char *buf, size_t len)
{
	size_t want = 0;
	bool cut = false;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; t && i < t->count; i++) {
		const char *sep = i ? ", " : "";
		size_t n = strlen(sep) + strlen(t->parts[i].name);
		/* keep room for ", ..." so a cut list still says it was cut */
		if (!cut && want + n + 6 <= len) {
			snprintf(buf + want, len - want, "%s%s", sep, t->parts[i].name);
		} else if (!cut && len) {
			cut = true;
			snprintf(buf + want, len - want, "%s", i ? ", ..." : "...");
		}
		want += n;
	}
	return want;
}

int mtk_part_lookup(mtk_ctx *ctx, const struct mtk_ptable *t, const char *name, const struct mtk_part **out)
{
	*out = mtk_part_find(t, name);
	if (*out)
		return 0;
	char names[512];
	mtk_part_list_names(t, names, sizeof names);
	return mtk_fail(ctx, MTK_E_NOTFOUND, "no partition '%s' (the table has: %s)", name,
	                names[0] ? names : "no partitions");
}
