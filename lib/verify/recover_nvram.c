/* SPDX-License-Identifier: MIT */
/* A rollback that could not write back a protected partition's stash falls
 * back on the device's NVRAM backup (include/mtkflash/journal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/backup.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/journal.h"

static bool not_as_before(const struct mtk_journal_part *p)
{
	return p->device != MTK_JDEV_OLD;
}

static size_t protected_left(const struct mtk_journal_state *s, const char **names, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < s->count && n < cap; i++)
		if (not_as_before(&s->parts[i]) && mtk_part_name_is_protected(s->parts[i].name))
			names[n++] = s->parts[i].name;
	return n;
}

static bool holds(const struct mtk_backup *b, const char *const *names, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		bool found = false;
		for (size_t i = 0; i < b->count && !found; i++)
			found = mtk_part_name_eq(b->parts[i].name, names[k]);
		if (!found)
			return false;
	}
	return true;
}

/* The newest undamaged backup of the device holding every name. */
static int newest_holding(mtk_ctx *ctx, const char *root, const char *device_id, const char *const *names, size_t n,
			  char *id, size_t cap)
{
	struct mtk_backup_list l;
	int rc = mtk_backup_list(ctx, root, device_id, &l);
	if (rc < 0)
		return rc;
	rc = MTK_E_NOTFOUND;
	for (size_t i = l.count; i-- > 0 && rc == MTK_E_NOTFOUND;)
		if (!l.items[i].damaged[0] && holds(&l.items[i], names, n)) {
			snprintf(id, cap, "%s", l.items[i].id);
			rc = 0;
		}
	mtk_backup_list_free(&l);
	return rc == 0 ? 0 : mtk_fail(ctx, rc, "no backup of device %s holds %s", device_id, names[0]);
}

static bool all_as_before(const struct mtk_journal_state *s)
{
	for (size_t i = 0; i < s->count; i++)
		if (not_as_before(&s->parts[i]))
			return false;
	return true;
}

static int journal_restored(struct mtk_journal *j, struct mtk_journal_state *s, const char *const *names, size_t n)
{
	int rc = 0;
	for (size_t k = 0; k < n && rc == 0; k++) {
		struct mtk_journal_part *p = mtk_journal_part_find(s, names[k]);
		p->state = MTK_JP_RESTORED;
		p->device = MTK_JDEV_OLD;
		rc = mtk_journal_append(j, json_pack("{s:s, s:s, s:s}", "rec", "restored", "partition", p->name, "from",
						     "backup"));
	}
	if (rc == 0 && all_as_before(s))
		rc = mtk_journal_append(j, json_pack("{s:s, s:s}", "rec", "close", "result", "rolled-back"));
	return rc;
}

int mtk_recover_protected_from_backup(mtk_ctx *ctx, struct mtk_da *da, const char *backup_root, struct mtk_journal *j,
				      struct mtk_journal_state *s, size_t *restored, char *backup_id, size_t cap)
{
	const char *names[64];
	size_t n = protected_left(s, names, sizeof names / sizeof *names);
	*restored = 0;
	if (!n)
		return 0;
	int rc = newest_holding(ctx, backup_root, s->device_id, names, n, backup_id, cap);
	struct mtk_backup b;
	memset(&b, 0, sizeof b);
	const char **sel = calloc(n + 1, sizeof *sel);
	if (rc == 0 && !sel)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "no memory for the restore list");
	if (rc == 0) {
		memcpy(sel, names, n * sizeof *names);
		rc = mtk_backup_restore(ctx, backup_root, da, backup_id, sel, &b);
	}
	free(sel);
	mtk_backup_free(&b);
	if (rc == 0)
		rc = journal_restored(j, s, names, n);
	if (rc == 0)
		*restored = n;
	return rc < 0 ? mtk_wrap(ctx, rc, "restoring %s from the NVRAM backup", names[0]) : 0;
}
