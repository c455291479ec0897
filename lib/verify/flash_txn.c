/* SPDX-License-Identifier: MIT */
/* The transactional side of a flash: the journal's records, the stash of
 * each written partition, the rollback (include/mtkflash/flash.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "flash_priv.h"
#include "mtkflash/util.h"

bool mtk_flash_expendable(const struct mtk_flash_opts *o, const char *name)
{
	static const char *const dflt[] = { "cache", "userdata", "usrdata" /* MT6572-era scatters */ };
	const char *const *names = o->expendable ? o->expendable : dflt;
	size_t n = o->expendable ? o->nexpendable : sizeof dflt / sizeof *dflt;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(name, names[i]) == 0 || strcmp(names[i], "all") == 0)
			return true;
	return false;
}

bool flash_txn_stashes(const struct mtk_flash_opts *o, const char *name)
{
	return o->journal && !(o->mode == MTK_FMODE_QUICK && mtk_flash_expendable(o, name));
}

static int append(const struct mtk_flash_opts *o, json_t *rec)
{
	return o->journal ? mtk_journal_append(o->journal, rec) : (json_decref(rec), 0);
}

/* recover may run from another folder: the journal keeps full paths. */
static const char *image_path(const char *image, char *out, size_t cap)
{
	(void)cap; /* realpath writes at most PATH_MAX */
	if (!image)
		return "";
	return realpath(image, out) ? out : image;
}

int flash_txn_begin(mtk_ctx *ctx, const struct mtk_flash_opts *o, const struct mtk_fingerprint *fp,
		    const struct mtk_plan *p, struct mtk_journal_state *js)
{
	if (!o->journal)
		return 0;
	js->parts = calloc(p->count + 1, sizeof *js->parts);
	if (!js->parts)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory for the journal");
	json_t *plan = json_array();
	char abs[PATH_MAX];
	for (size_t i = 0; i < p->count; i++) {
		const struct mtk_plan_entry *e = &p->entries[i];
		if (e->action != MTK_ACT_WRITE)
			continue;
		struct mtk_journal_part *jp = &js->parts[js->count++];
		snprintf(jp->name, sizeof jp->name, "%s", e->name);
		jp->region = e->region;
		jp->offset = e->offset;
		jp->size = e->size;
		json_array_append_new(plan, json_pack("{s:s, s:s, s:I, s:I, s:s, s:b}", "partition", e->name, "region",
						      mtk_region_name(e->region), "offset", (json_int_t)e->offset,
						      "size", (json_int_t)e->size, "image", image_path(e->image, abs, sizeof abs),
						      "stash", flash_txn_stashes(o, e->name)));
	}
	snprintf(js->flash_id, sizeof js->flash_id, "%s", mtk_journal_id(o->journal));
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "rec", "begin", "flash_id", js->flash_id,
				"device_id", fp->device_id, "mode", mtk_mode_name(o->mode), "scene",
				mtk_scene_name(p->scene), "plan", plan, "boot_select",
				p->boot_select == MTK_BOOT_SELECT_EXT_CSD ? "ext-csd" : "boot1-only");
	/* recover, finding the phone in BROM mode, picks the preloader whose EMI
	 * fits this DRAM before it can ask the DA anything */
	char dram[2 * sizeof fp->dram_id + 1];
	if (rec && fp->dram_id_len && fp->dram_id_len <= sizeof fp->dram_id) {
		mtk_hex_encode(dram, fp->dram_id, fp->dram_id_len);
		json_object_set_new(rec, "dram_id", json_string(dram));
	}
	return append(o, rec);
}

int flash_txn_bootsel(const struct mtk_flash_opts *o, unsigned part)
{
	return append(o, json_pack("{s:s, s:i}", "rec", "bootsel", "value", (int)part));
}

int flash_txn_mark(const struct mtk_flash_opts *o, const char *rec, const char *name)
{
	json_t *r = json_pack("{s:s, s:s}", "rec", rec, "partition", name);
	/* An end lost in a crash leaves the step in doubt: recover re-reads it
	 * and finds it new.  The next fsync (the next start, the close) carries it. */
	if (o->journal && strcmp(rec, "end") == 0)
		return mtk_journal_append_lazy(o->journal, r);
	return append(o, r);
}

/* After the read pass, before the first byte is written: the stash's
 * record, then the step's start, each fsynced. */
int flash_txn_stashed(const struct mtk_flash_opts *o, struct mtk_journal_part *jp, const char *file,
		      const struct mtk_vwrite_result *v, bool start)
{
	free(jp->ranges);
	jp->ranges = calloc(v->nstash_ranges + 1, sizeof *jp->ranges);
	if (!jp->ranges)
		return MTK_E_NOMEM;
	memcpy(jp->ranges, v->stash_ranges, v->nstash_ranges * sizeof *jp->ranges);
	jp->nranges = v->nstash_ranges;
	memcpy(jp->old_sha256, v->old_sha256, 32);
	memcpy(jp->new_sha256, v->new_sha256, 32);
	jp->stashed = v->stashed;
	if (file)
		snprintf(jp->stash, sizeof jp->stash, "%s", file);
	json_t *rec = mtk_journal_stash_record(jp->name, v->stashed ? file : NULL, v);
	if (!start)
		return mtk_journal_append(o->journal, rec);
	/* one fsync for both: the start is what must be durable before the write */
	int rc = mtk_journal_append_lazy(o->journal, rec);
	return rc < 0 ? rc : flash_txn_mark(o, "start", jp->name);
}

/* A step changed the device when it sent anything. */
static bool changed(const struct mtk_flash_outcome *s)
{
	if (s->stage == MTK_FSTAGE_ERASE || s->stage == MTK_FSTAGE_TABLE || s->stage == MTK_FSTAGE_BOOTSEL)
		return s->state == MTK_FLASH_DONE;
	return s->stage == MTK_FSTAGE_WRITE && s->bytes_written > 0;
}

static void note_not_as_before(struct mtk_flash_result *r, const char *name)
{
	size_t n = strlen(r->not_as_before);
	snprintf(r->not_as_before + n, sizeof r->not_as_before - n, "%s%s", n ? ", " : "", name);
}

/* Undoing "point at boot2" is pointing back at boot1 — reached, in the
 * reverse order, after boot1 is as before and before boot2 is restored. */
static int unselect(struct mtk_da *da, const struct mtk_flash_opts *o, const struct mtk_flash_outcome *s)
{
	if (s->region != MTK_REGION_BOOT2)
		return 0;
	int rc = flash_txn_bootsel(o, 1);
	return rc < 0 ? rc : mtk_da_set_boot_partition(da, 1, true);
}

static int restore_one(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_flash_opts *o,
		       struct mtk_journal_state *js, struct mtk_flash_outcome *s)
{
	if (s->stage == MTK_FSTAGE_BOOTSEL)
		return unselect(da, o, s);
	struct mtk_journal_part *jp = mtk_journal_part_find(js, s->name);
	if (!jp || s->stage != MTK_FSTAGE_WRITE)
		return mtk_fail(ctx, MTK_E_UNSUPPORTED, "%s was %s, which keeps no stash", s->name,
				s->stage == MTK_FSTAGE_WRITE ? "written" : s->stage == MTK_FSTAGE_ERASE ? "erased" : "rewritten");
	int rc = mtk_stash_restore(ctx, da, mtk_journal_dir(o->journal), jp);
	if (rc == 0) {
		mtk_log(ctx, MTK_LOG_INFO, "%s restored from its stash and verified", s->name);
		jp->state = MTK_JP_RESTORED;
		rc = flash_txn_mark(o, "restored", s->name);
	}
	return rc;
}

static bool device_lost(int rc)
{
	return rc == MTK_E_TIMEOUT || rc == MTK_E_NODEV || rc == MTK_E_DISCONNECTED;
}

static bool boot2_is_last_copy(const struct mtk_flash_result *r, const struct mtk_flash_outcome *s)
{
	if (s->region != MTK_REGION_BOOT2 || (s->stage != MTK_FSTAGE_WRITE && s->stage != MTK_FSTAGE_BOOTSEL))
		return false;
	for (size_t i = 0; i < r->count; i++)
		if (r->steps[i].rollback < 0 && r->steps[i].region == MTK_REGION_BOOT1 && r->steps[i].offset == 0 &&
		    r->steps[i].stage == MTK_FSTAGE_WRITE)
			return true;
	return false;
}

static void audit_rollback(struct mtk_audit *log, const struct mtk_flash_outcome *s, const char *why)
{
	if (!log)
		return;
	json_t *f = json_pack("{s:s, s:b}", "partition", s->name, "restored", s->rollback > 0);
	if (why)
		json_object_set_new(f, "error", json_string(why));
	mtk_audit_event(log, "rollback", f);
}

int flash_txn_rollback(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_flash_opts *o, struct mtk_journal_state *js,
		       struct mtk_flash_result *r, int rc)
{
	if (!o->journal)
		return rc;
	bool any = false;
	for (size_t i = 0; i < r->count; i++)
		any |= changed(&r->steps[i]);
	if (!any) {
		flash_txn_close(o, "unchanged");
		return rc;
	}
	char first[512];
	snprintf(first, sizeof first, "%s", mtk_ctx_error(ctx));
	volatile sig_atomic_t *cancel = mtk_ctx_get_cancel(ctx);
	mtk_ctx_set_cancel(ctx, NULL);
	bool gone = false;
	for (size_t i = r->count; i-- > 0;) {
		struct mtk_flash_outcome *s = &r->steps[i];
		if (!changed(s))
			continue;
		/* A device that stopped answering would make each further restore
		 * wait out the same timeout: the user learns the outcome now.  Once
		 * boot1 could not be restored, boot2 (and the selection of it) is
		 * the one verified copy left: it is not touched. */
		int rrc = gone		      ? mtk_fail(ctx, MTK_E_DISCONNECTED, "not tried: the device stopped answering")
			  : boot2_is_last_copy(r, s) ? mtk_fail(ctx, MTK_E_VERIFY, "%s kept: boot1 could not be restored, "
							       "so this copy stays the verified one", s->name)
						     : restore_one(ctx, da, o, js, s);
		gone |= device_lost(rrc);
		s->rollback = rrc == 0 ? 1 : -1;
		audit_rollback(o->audit, s, rrc == 0 ? NULL : mtk_ctx_error(ctx));
		if (rrc < 0)
			note_not_as_before(r, s->name);
	}
	mtk_ctx_set_cancel(ctx, cancel);
	if (r->not_as_before[0])
		return mtk_fail(ctx, rc, "%s; the rollback failed: not as before: %s. The journal in %s keeps the old "
				"bytes: when the device answers again, run `mtkflash recover`", first, r->not_as_before,
				mtk_journal_dir(o->journal));
	r->rolled_back = true;
	flash_txn_close(o, "rolled-back");
	return mtk_fail(ctx, MTK_E_ROLLEDBACK, "%s; rolled back, device as before", first);
}

void flash_txn_close(const struct mtk_flash_opts *o, const char *result)
{
	append(o, json_pack("{s:s, s:s}", "rec", "close", "result", result));
}

/* After success the stashes are no longer needed (a system stash can be
 * gigabytes); the journal itself stays, closed, for the record. */
void flash_txn_drop_stashes(const struct mtk_flash_opts *o, const struct mtk_journal_state *js)
{
	for (size_t i = 0; o->journal && i < js->count; i++) {
		char path[4400];
		if (!js->parts[i].stash[0])
			continue;
		snprintf(path, sizeof path, "%s/%s", mtk_journal_dir(o->journal), js->parts[i].stash);
		unlink(path);
	}
}
