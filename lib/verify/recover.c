/* SPDX-License-Identifier: MIT */
/* Recover from a journal: what the device holds, then roll back or finish
 * (include/mtkflash/journal.h). */
#include <stdio.h>
#include <string.h>

#include "mtkflash/flash.h"
#include "mtkflash/journal.h"

static const char *const jdev_names[] = { "unknown", "old", "new", "mixed" };

const char *mtk_jdevice_name(enum mtk_jdevice d)
{
	return (unsigned)d < sizeof jdev_names / sizeof *jdev_names ? jdev_names[d] : "?";
}

bool mtk_journal_part_is_preloader(const struct mtk_journal_part *p)
{
	return p->region <= MTK_REGION_BOOT2 && p->offset == 0;
}

bool mtk_journal_in_doubt(const struct mtk_journal_part *p)
{
	return p->state == MTK_JP_STARTED || p->state == MTK_JP_FAILED;
}

static int journal_mark(struct mtk_journal *j, const char *rec, const char *name)
{
	return mtk_journal_append(j, json_pack("{s:s, s:s}", "rec", rec, "partition", name));
}

static int close_journal(struct mtk_journal *j, const char *result)
{
	return mtk_journal_append(j, json_pack("{s:s, s:s}", "rec", "close", "result", result));
}

int mtk_recover_assess(mtk_ctx *ctx, struct mtk_da *da, struct mtk_journal_state *s)
{
	for (size_t i = 0; i < s->count; i++) {
		struct mtk_journal_part *p = &s->parts[i];
		p->device = p->state == MTK_JP_ENDED ? MTK_JDEV_NEW
			    : p->state == MTK_JP_PLANNED || p->state == MTK_JP_RESTORED ? MTK_JDEV_OLD
											: MTK_JDEV_UNKNOWN;
		if (!mtk_journal_in_doubt(p) || !p->nranges)
			continue;
		uint8_t sha[32];
		int rc = mtk_stash_device_sha256(ctx, da, p, sha);
		if (rc < 0)
			return rc;
		p->device = memcmp(sha, p->old_sha256, 32) == 0   ? MTK_JDEV_OLD
			    : memcmp(sha, p->new_sha256, 32) == 0 ? MTK_JDEV_NEW
								  : MTK_JDEV_MIXED;
	}
	return 0;
}

static void report(mtk_recover_fn fn, void *user, const struct mtk_journal_part *p, const char *action, int rc)
{
	if (fn)
		fn(user, p, action, rc);
}

/* A flash stopped while BOOT_PARTITION_ENABLE pointed at boot2: back to
 * boot1 once boot1 verifies again (rollback: before boot2 is restored;
 * finish: at the end), so that one verified copy is always selected. */
static int reset_bootsel(struct mtk_da *da, struct mtk_journal *j, struct mtk_journal_state *s)
{
	if (s->bootsel != 2)
		return 0;
	int rc = mtk_journal_append(j, json_pack("{s:s, s:i}", "rec", "bootsel", "value", 1));
	if (rc == 0)
		rc = mtk_da_set_boot_partition(da, 1, true);
	if (rc == 0)
		s->bootsel = 1;
	return rc;
}

int mtk_recover_rollback(mtk_ctx *ctx, struct mtk_da *da, struct mtk_journal *j, struct mtk_journal_state *s,
			 mtk_recover_fn fn, void *user)
{
	int first = 0;
	for (size_t i = s->count; i-- > 0;) {
		struct mtk_journal_part *p = &s->parts[i];
		/* boot2 is touched only with boot1 verified: otherwise it is the last good copy */
		if (mtk_journal_part_is_preloader(p) && p->region == MTK_REGION_BOOT2 &&
		    (first < 0 || (first = reset_bootsel(da, j, s)) < 0))
			break;
		if (p->device == MTK_JDEV_OLD)
			continue; /* never touched, restored already, or cut off before its first byte */
		int rc = mtk_stash_restore(ctx, da, mtk_journal_dir(j), p);
		if (rc == 0) {
			p->state = MTK_JP_RESTORED;
			p->device = MTK_JDEV_OLD;
			rc = journal_mark(j, "restored", p->name);
		}
		report(fn, user, p, "restore", rc);
		if (rc < 0 && first == 0)
			first = rc;
	}
	if (first == 0)
		first = reset_bootsel(da, j, s);
	if (first == 0)
		first = close_journal(j, "rolled-back");
	return first;
}

struct finish_cb {
	mtk_ctx *ctx;
	struct mtk_da *da;
	struct mtk_journal *j;
	struct mtk_journal_part *p;
	bool journal_stash; /* the part had no stash yet: journal this one */
};

static int finish_stashed(void *user, const struct mtk_vwrite_result *v)
{
	struct finish_cb *c = user;
	int rc = 0;
	if (c->journal_stash) {
		rc = mtk_journal_append(c->j, mtk_journal_stash_record(c->p->name, v->stashed ? c->p->stash : NULL, v));
		rc = rc < 0 ? rc : journal_mark(c->j, "start", c->p->name);
	}
	/* a preloader copy is written as the flash writes it: header invalidated first */
	if (rc == 0 && mtk_journal_part_is_preloader(c->p) && !v->bytes_skipped)
		rc = mtk_preloader_clear_header(c->ctx, c->da, c->p->region);
	return rc;
}

/* A partition that never started gets its stash now, like in the flash; one
 * in doubt keeps the stash it has (the old bytes), so it is only read first. */
static int finish_one(mtk_ctx *ctx, struct mtk_da *da, struct mtk_journal *j, struct mtk_journal_part *p, size_t i)
{
	char path[4400];
	struct finish_cb cb = { ctx, da, j, p, !p->stashed };
	struct mtk_vwrite_req req = {
		.partition = p->name,
		.region = p->region,
		.offset = p->offset,
		.max_len = p->size,
		.image = p->image,
		.retries = 1,
		.read_first = true,
		.on_stashed = finish_stashed,
		.user = &cb,
	};
	if (!p->stashed) {
		snprintf(p->stash, sizeof p->stash, "stash-%03zu.bin", i);
		snprintf(path, sizeof path, "%s/%s", mtk_journal_dir(j), p->stash);
		req.stash = path;
	} else if (!mtk_journal_part_is_preloader(p))
		req.on_stashed = NULL;
	struct mtk_vwrite_result v;
	memset(&v, 0, sizeof v);
	int rc = cb.journal_stash ? 0 : journal_mark(j, "start", p->name);
	if (rc == 0)
		rc = mtk_vwrite(ctx, da, &req, &v);
	if (rc == 0 && req.stash)
		p->stashed = v.stashed;
	mtk_vwrite_result_free(&v);
	int jrc = journal_mark(j, rc == 0 ? "end" : "failed", p->name);
	if (rc == 0) {
		p->state = MTK_JP_ENDED;
		p->device = MTK_JDEV_NEW;
	}
	return rc < 0 ? rc : jrc;
}

int mtk_recover_finish(mtk_ctx *ctx, struct mtk_da *da, struct mtk_journal *j, struct mtk_journal_state *s,
		       mtk_recover_fn fn, void *user)
{
	for (size_t i = 0; i < s->count; i++) {
		struct mtk_journal_part *p = &s->parts[i];
		if (p->state == MTK_JP_ENDED)
			continue;
		int rc;
		if (p->device == MTK_JDEV_NEW) {
			rc = journal_mark(j, "end", p->name); /* the write had finished, its end record had not */
			p->state = MTK_JP_ENDED;
			report(fn, user, p, "as-new", rc);
		} else {
			rc = finish_one(ctx, da, j, p, i);
			report(fn, user, p, "finish", rc);
		}
		if (rc < 0)
			return rc; /* stop like a flash: the journal still allows a rollback */
	}
	int rc = reset_bootsel(da, j, s);
	return rc < 0 ? rc : close_journal(j, "verified");
}
