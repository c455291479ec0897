/* SPDX-License-Identifier: MIT */
/* Recovering a phone found in BROM mode: which preloader's EMI settings to
 * bring up its DRAM with (include/mtkflash/journal.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/emi.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/journal.h"
#include "mtkflash/util.h"

#define PRELOADER_MAX (16u << 20)

/* The newest unfinished journal of any device: flash ids start with the UTC
 * time, so the greatest folder name is the newest. */
static int newest_open(mtk_ctx *ctx, const char *root, char *best, size_t cap)
{
	DIR *d = opendir(root);
	if (!d)
		return 0;
	struct dirent *e;
	const char *best_id = NULL;
	while ((e = readdir(d)) != NULL) {
		char dir[4200];
		if (e->d_name[0] == '.' || mtk_journal_find_open(ctx, root, e->d_name, dir, sizeof dir) != 1)
			continue;
		const char *id = strrchr(dir, '/') + 1;
		if (!best_id || strcmp(id, best_id) > 0) {
			snprintf(best, cap, "%s", dir);
			best_id = strrchr(best, '/') + 1;
		}
	}
	closedir(d);
	mtk_ctx_clear_error(ctx);
	return best_id != NULL;
}

/* -1: no EMI at all; -2: EMI but none for this DRAM; else the record (or
 * 0 when the journal names no DRAM id). */
static int emi_fit(mtk_ctx *ctx, const char *path, const struct mtk_journal_state *s)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct mtk_preloader_info info;
	int fit = -1;
	if (mtk_read_file_head(ctx, path, PRELOADER_MAX, &buf, &len) == 0 &&
	    mtk_preloader_or_emi_parse(ctx, buf, len, &info) == 0 && info.emi_count > 0) {
		uint8_t id[MTK_EMI_ID_MAX] = { 0 };
		memcpy(id, s->dram_id, s->dram_id_len < sizeof id ? s->dram_id_len : sizeof id);
		const uint8_t *const ids[] = { id };
		fit = !s->dram_id_len ? 0 : mtk_emi_match(&info.emi_table, ids, 1);
		fit = fit < 0 ? -2 : fit;
	}
	free(buf);
	mtk_ctx_clear_error(ctx);
	return fit;
}

static const struct mtk_journal_part *preloader_part(const struct mtk_journal_state *s, enum mtk_region r)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->parts[i].region == r && mtk_journal_part_is_preloader(&s->parts[i]))
			return &s->parts[i];
	return NULL;
}

static bool try_candidate(mtk_ctx *ctx, const struct mtk_journal_state *s, const char *path, const char *source,
			  struct mtk_recover_preloader *out)
{
	int fit = emi_fit(ctx, path, s);
	mtk_dbg(ctx, "BROM recovery: %s (%s): %s", source, path,
		fit >= 0 ? "EMI fits" : fit == -1 ? "no EMI records" : "no EMI record for this DRAM");
	if (fit < 0)
		return false;
	snprintf(out->path, sizeof out->path, "%s", path);
	snprintf(out->source, sizeof out->source, "%s", source);
	out->emi_record = s->dram_id_len ? fit : -1;
	return true;
}

static bool pick_from(mtk_ctx *ctx, const char *dir, const struct mtk_journal_state *s,
		      struct mtk_recover_preloader *out)
{
	const struct mtk_journal_part *b1 = preloader_part(s, MTK_REGION_BOOT1);
	const struct mtk_journal_part *b2 = preloader_part(s, MTK_REGION_BOOT2);
	char path[4400];
	if (b1 && b1->stashed && snprintf(path, sizeof path, "%s/%s", dir, b1->stash) < (int)sizeof path &&
	    try_candidate(ctx, s, path, "the old preloader (boot1 stash)", out))
		return true;
	if (b2 && b2->stashed && snprintf(path, sizeof path, "%s/%s", dir, b2->stash) < (int)sizeof path &&
	    try_candidate(ctx, s, path, "the old boot2 copy (its stash)", out))
		return true;
	const struct mtk_journal_part *img = b1 ? b1 : b2;
	return img && img->image && try_candidate(ctx, s, img->image, "the package's preloader", out);
}

int mtk_recover_pick_preloader(mtk_ctx *ctx, const char *root, struct mtk_recover_preloader *out)
{
	memset(out, 0, sizeof *out);
	if (!newest_open(ctx, root, out->journal, sizeof out->journal))
		return 0;
	struct mtk_journal_state s;
	if (mtk_journal_load(ctx, out->journal, &s) < 0) {
		mtk_ctx_clear_error(ctx);
		return 0;
	}
	bool found = pick_from(ctx, out->journal, &s, out);
	mtk_journal_state_free(&s);
	return found;
}
