/* SPDX-License-Identifier: MIT */
/* Carrying out a plan: backup, erase, table, write+verify, restore
 * (include/mtkflash/flash.h). */
#include "mtkflash/flash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flash_priv.h"
#include "mtkflash/da.h"
#include "mtkflash/vwrite.h"

static const char *const stage_names[] = { "backup", "erase", "table", "write", "restore", "finish", "boot-select" };
static const char *const state_names[] = { "pending", "done", "failed", "interrupted" };

const char *mtk_flash_stage_name(enum mtk_flash_stage s)
{
	return (unsigned)s < sizeof stage_names / sizeof *stage_names ? stage_names[s] : "?";
}

const char *mtk_flash_state_name(enum mtk_flash_state s)
{
	return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "?";
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ the steps */

/* The device's name for an entry: backups and restores go by it. */
static const char *device_name(const struct mtk_plan_entry *e)
{
	return e->device_name[0] ? e->device_name : e->name;
}

static bool on_device(const struct mtk_plan_entry *e)
{
	return e->match != MTK_MATCH_NEW && e->match != MTK_MATCH_IMPOSSIBLE;
}

static bool needs_backup(const struct mtk_plan *p)
{
	return p->scene != MTK_SCENE_DOWNLOAD || p->protected_written || p->protected_erased;
}

static bool writes_gpt(const struct mtk_fingerprint *fp, const struct mtk_plan *p)
{
	return p->layout_change && p->scene != MTK_SCENE_DOWNLOAD && fp->table.kind == MTK_PTABLE_GPT;
}

static struct mtk_flash_outcome *add_step(struct mtk_flash_result *r, enum mtk_flash_stage st, const char *name,
					  const struct mtk_plan_entry *e)
{
	struct mtk_flash_outcome *o = &r->steps[r->count++];
	memset(o, 0, sizeof *o);
	o->stage = st;
	snprintf(o->name, sizeof o->name, "%s", name);
	if (e) {
		o->region = e->region;
		o->offset = e->offset;
		o->bytes = st == MTK_FSTAGE_WRITE ? e->bytes : e->size;
		o->image = st == MTK_FSTAGE_WRITE ? e->image : NULL;
	}
	return o;
}

static void add_protected_steps(struct mtk_flash_result *r, const struct mtk_plan *p, enum mtk_flash_stage st)
{
	for (size_t i = 0; i < p->count; i++)
		if (p->entries[i].cls == MTK_PCLASS_PROTECTED && on_device(&p->entries[i]))
			add_step(r, st, device_name(&p->entries[i]), &p->entries[i]);
}

static bool is_boot1_preloader(const struct mtk_plan_entry *e)
{
	return e->rank == 3 && !e->boot_copy && e->region == MTK_REGION_BOOT1 && e->offset == 0;
}

/* A BOOT_PARTITION_ENABLE step after the staged preloader's writes, when
 * the chip's policy and the DA allow it (mtk_preloader_substeps). */
static void add_bootsel(struct mtk_flash_result *r, const struct mtk_plan *p, const struct mtk_plan_entry *e,
			bool can_select)
{
	enum mtk_pl_substep sub[MTK_PL_MAX_SUBSTEPS];
	size_t n = p->preloader_staged ? mtk_preloader_substeps(p->boot_select, can_select, sub) : 0;
	enum mtk_pl_substep want = e->boot_copy ? MTK_PL_SELECT_BOOT2 : MTK_PL_SELECT_BOOT1;
	for (size_t k = 0; k < n; k++)
		if (sub[k] == want && (e->boot_copy || is_boot1_preloader(e)))
			add_step(r, MTK_FSTAGE_BOOTSEL, e->boot_copy ? "boot2" : "boot1", NULL)->region =
				e->boot_copy ? MTK_REGION_BOOT2 : MTK_REGION_BOOT1;
}

/* Every step the plan asks for, before any runs, so a failure leaves the
 * rest listed as not reached. */
static int list_steps(mtk_ctx *ctx, const struct mtk_fingerprint *fp, const struct mtk_plan *p, bool can_select,
		      struct mtk_flash_result *r)
{
	r->steps = calloc(p->count * 3 + 4, sizeof *r->steps);
	if (!r->steps)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory for the flash steps");
	if (needs_backup(p))
		add_protected_steps(r, p, MTK_FSTAGE_BACKUP);
	for (size_t i = 0; i < p->count; i++)
		if (p->entries[i].action == MTK_ACT_ERASE || p->entries[i].erase_first)
			add_step(r, MTK_FSTAGE_ERASE, p->entries[i].name, &p->entries[i]);
	if (writes_gpt(fp, p))
		add_step(r, MTK_FSTAGE_TABLE, "table", NULL)->region = MTK_REGION_USER;
	for (size_t i = 0; i < p->count; i++)
		if (p->entries[i].action == MTK_ACT_WRITE) {
			add_step(r, MTK_FSTAGE_WRITE, p->entries[i].name, &p->entries[i]);
			r->write_bytes += p->entries[i].bytes;
			add_bootsel(r, p, &p->entries[i], can_select);
		}
	if (p->scene == MTK_SCENE_UPGRADE && needs_backup(p))
		add_protected_steps(r, p, MTK_FSTAGE_RESTORE);
	return 0;
}

/* ------------------------------------------------------------- running */

struct run {
	mtk_ctx *ctx;
	struct mtk_da *da;
	const struct mtk_fingerprint *fp;
	const struct mtk_plan *plan;
	const struct mtk_flash_opts *o;
	struct mtk_flash_result *r;
	uint64_t write_done;
	struct mtk_journal_state js; /* what the journal says, kept in memory for the rollback */
};

static void notify(struct run *x, const struct mtk_flash_outcome *o, bool done)
{
	if (x->o->on_step)
		x->o->on_step(x->o->user, o, done, x->write_done, x->r->write_bytes);
}

static int step_failed(struct run *x, struct mtk_flash_outcome *o, int rc)
{
	o->state = rc == MTK_E_INTERRUPTED ? MTK_FLASH_INTERRUPTED : MTK_FLASH_FAILED;
	o->error = rc;
	snprintf(o->message, sizeof o->message, "%s", mtk_ctx_error(x->ctx));
	x->r->failed = (int)(o - x->r->steps);
	x->r->interrupted = rc == MTK_E_INTERRUPTED;
	x->r->bytes_written += o->stage == MTK_FSTAGE_BACKUP ? 0 : o->bytes_written;
	flash_audit_step(x->o->audit, o);
	notify(x, o, true);
	return rc;
}

static int step_done(struct run *x, struct mtk_flash_outcome *o)
{
	o->state = MTK_FLASH_DONE;
	if (o->seconds > 0)
		o->mb_per_s = (double)o->bytes / o->seconds / 1e6;
	x->r->bytes_written += o->stage == MTK_FSTAGE_BACKUP ? 0 : o->bytes_written;
	notify(x, o, true);
	return flash_audit_step(x->o->audit, o);
}

static int check_cancel(struct run *x, const struct mtk_flash_outcome *o)
{
	if (!mtk_cancelled(x->ctx))
		return 0;
	return mtk_fail(x->ctx, MTK_E_INTERRUPTED, "interrupted before %s %s", mtk_flash_stage_name(o->stage), o->name);
}

/* Backup: one store entry for all protected partitions; each step then
 * carries its partition's SHA-256 as the "before" of the flash. */
static int run_backup(struct run *x, struct mtk_flash_outcome *first, size_t n)
{
	if (!x->o->backup_root)
		return mtk_fail(x->ctx, MTK_E_POLICY, "protected partitions must be backed up first, and there is no "
				"backup store (set XDG_DATA_HOME or HOME)");
	const char **names = calloc(n + 1, sizeof *names);
	if (!names)
		return mtk_fail(x->ctx, MTK_E_NOMEM, "no memory for the backup list");
	for (size_t i = 0; i < n; i++)
		names[i] = first[i].name;
	notify(x, first, false);
	double t0 = now_s();
	int rc = mtk_backup_create(x->ctx, x->o->backup_root, x->da, names, x->o->fingerprint, x->r->backup_id);
	free(names);
	struct mtk_backup b;
	memset(&b, 0, sizeof b);
	if (rc == 0)
		rc = mtk_backup_load(x->ctx, x->o->backup_root, x->r->backup_id, &b);
	if (rc < 0)
		return mtk_wrap(x->ctx, rc, "backing up the protected partitions");
	double secs = (now_s() - t0) / (double)n;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct mtk_flash_outcome *o = &first[i];
		for (size_t k = 0; k < b.count; k++)
			if (mtk_part_name_eq(b.parts[k].name, o->name)) {
				o->have_before = true;
				memcpy(o->before_sha256, b.parts[k].sha256, 32);
				o->bytes = b.parts[k].size;
				o->region = b.parts[k].region;
				o->offset = b.parts[k].offset;
			}
		o->seconds = secs;
		rc = step_done(x, o);
	}
	mtk_backup_free(&b);
	return rc;
}

/* MT6572-era scatters size PRELOADER as the whole linear boot window, larger
 * than boot1: what exists of it is the area. */
static void fit_area(const struct mtk_fingerprint *fp, struct mtk_flash_outcome *o)
{
	uint64_t area = fp->storage.regions.size[o->region];
	if (area && o->offset + o->bytes > area)
		o->bytes = area > o->offset ? area - o->offset : 0;
}

static int run_erase(struct run *x, struct mtk_flash_outcome *o)
{
	fit_area(x->fp, o);
	notify(x, o, false);
	double t0 = now_s();
	char what[MTK_PART_NAME_SIZE + 8];
	snprintf(what, sizeof what, "erase %s", o->name);
	int rc = mtk_da_erase(x->da, what, o->region, o->offset, o->bytes);
	o->seconds = now_s() - t0;
	if (rc < 0)
		return mtk_wrap(x->ctx, rc, "erasing %s", o->name);
	return step_done(x, o);
}

struct stash_cb {
	struct run *x;
	enum mtk_region region;
	struct mtk_journal_part *jp;
	char file[32];
	bool only_stash; /* the stash record alone: the write comes in a later step */
	bool had_stash;  /* stashed by an earlier step: only the start record now */
	bool started;    /* the start record is in the journal */
	bool cleared;    /* the preloader header was invalidated: the area changed */
};

static int on_stashed(void *user, const struct mtk_vwrite_result *v)
{
	struct stash_cb *c = user;
	if (!c->jp)
		return 0;
	int rc = c->had_stash ? flash_txn_mark(c->x->o, "start", c->jp->name)
			      : flash_txn_stashed(c->x->o, c->jp, c->file, v, !c->only_stash);
	c->started = rc == 0 && !c->only_stash;
	return rc < 0 ? mtk_wrap(c->x->ctx, rc, "journaling the stash of %s (nothing was written)", c->jp->name) : 0;
}

/* A preloader copy: journaled first, then its header invalidated — only
 * when every chunk is rewritten, since the header rides in the first. */
static int on_stashed_preloader(void *user, const struct mtk_vwrite_result *v)
{
	struct stash_cb *c = user;
	int rc = on_stashed(user, v);
	if (rc < 0 || v->bytes_skipped)
		return rc;
	rc = mtk_preloader_clear_header(c->x->ctx, c->x->da, c->region);
	c->cleared = rc == 0;
	return rc;
}

static void stash_path(struct run *x, struct stash_cb *cb, char *path, size_t cap)
{
	snprintf(cb->file, sizeof cb->file, "stash-%03zu.bin", (size_t)(cb->jp - x->js.parts));
	snprintf(path, cap, "%s/%s", mtk_journal_dir(x->o->journal), cb->file);
}

/* With a journal: stash (read first) or, for an expendable partition in
 * quick mode, just the start record; either fsynced before the write. */
static int prepare_txn(struct run *x, struct mtk_vwrite_req *req, struct stash_cb *cb, char *path, size_t cap)
{
	cb->x = x;
	cb->jp = x->o->journal ? mtk_journal_part_find(&x->js, req->partition) : NULL;
	if (!cb->jp)
		return 0;
	if (!flash_txn_stashes(x->o, req->partition)) {
		int rc = flash_txn_mark(x->o, "start", req->partition);
		cb->started = rc == 0;
		return rc;
	}
	cb->had_stash = cb->jp->stashed;
	if (!cb->had_stash)
		stash_path(x, cb, path, cap);
	req->read_first = true;
	req->stash = cb->had_stash ? NULL : path;
	req->on_stashed = on_stashed;
	req->user = cb;
	return 0;
}

/* Before the boot2 copy is written, boot1's old preloader is stashed too:
 * both boot areas are on the host before either is touched. */
static int prestash_boot1(struct run *x, const struct mtk_plan_entry *copy)
{
	const struct mtk_plan_entry *b1 = copy + 1; /* plan_stage_preloader put the copy right before it */
	if (b1 >= x->plan->entries + x->plan->count || !is_boot1_preloader(b1))
		return 0;
	struct stash_cb cb = { .x = x, .only_stash = true };
	cb.jp = x->o->journal ? mtk_journal_part_find(&x->js, b1->name) : NULL;
	if (!cb.jp || cb.jp->stashed || !flash_txn_stashes(x->o, b1->name))
		return 0;
	char path[4400];
	stash_path(x, &cb, path, sizeof path);
	struct mtk_vwrite_req req = {
		.partition = b1->name, .region = b1->region, .offset = b1->offset, .max_len = b1->size,
		.image = b1->image, .read_first = true, .stash = path, .stash_only = true,
		.on_stashed = on_stashed, .user = &cb,
	};
	struct mtk_vwrite_result v;
	memset(&v, 0, sizeof v);
	int rc = mtk_vwrite(x->ctx, x->da, &req, &v);
	mtk_vwrite_result_free(&v);
	return rc;
}

static void take_vwrite(struct mtk_flash_outcome *o, const struct mtk_vwrite_result *v, int rc)
{
	o->bytes = v->data_bytes ? v->data_bytes : o->bytes;
	o->bytes_written = v->bytes_written;
	o->have_image = v->data_bytes > 0 || rc == 0;
	memcpy(o->file_sha256, v->file_sha256, 32);
	memcpy(o->image_sha256, v->image_sha256, 32);
	memcpy(o->readback_sha256, v->readback_sha256, 32);
	o->verified = v->verified;
	o->rewrites = v->rewrites;
	o->mismatch = v->mismatch;
	o->first_bad = v->first_bad;
	o->seconds = v->seconds;
	o->stashed = v->stashed;
	o->bytes_skipped = v->bytes_skipped;
	/* The stash read saw the old bytes: the audit log (and the report made
	 * from it) can say what each write replaced. */
	if (v->read_done) {
		o->have_before = true;
		memcpy(o->before_sha256, v->old_sha256, 32);
	}
}

static int run_write(struct run *x, struct mtk_flash_outcome *o, const struct mtk_plan_entry *e)
{
	notify(x, o, false);
	struct mtk_vwrite_req req = {
		.partition = o->name,
		.region = e->region,
		.offset = e->offset,
		.max_len = e->size,
		.image = e->image,
		.format = MTK_VWRITE_AUTO,
		.retries = 1,
		.device_checks = x->o->device_checks,
	};
	struct stash_cb cb;
	memset(&cb, 0, sizeof cb);
	char stash[4400];
	int rc = prepare_txn(x, &req, &cb, stash, sizeof stash);
	if (rc < 0)
		return rc;
	if (e->boot_copy && (rc = prestash_boot1(x, e)) < 0)
		return rc;
	if (e->rank == 3 && e->offset == 0 && e->region <= MTK_REGION_BOOT2) {
		cb.region = e->region;
		req.read_first = true;
		req.on_stashed = on_stashed_preloader;
		req.user = &cb;
	}
	struct mtk_vwrite_result v;
	memset(&v, 0, sizeof v);
	char what[MTK_PART_NAME_SIZE + 16];
	snprintf(what, sizeof what, "the write of %s", o->name);
	flash_log_link(x->ctx, x->da, what);
	rc = mtk_vwrite(x->ctx, x->da, &req, &v);
	take_vwrite(o, &v, rc);
	if (cb.cleared) /* counted, so that a rollback restores the header even when the image never went out */
		o->bytes_written += 512;
	mtk_vwrite_result_free(&v);
	x->r->bytes_skipped += o->bytes_skipped;
	if (cb.started && flash_txn_mark(x->o, rc < 0 ? "failed" : "end", o->name) < 0 && rc == 0)
		rc = mtk_wrap(x->ctx, MTK_E_IO, "journaling the end of %s", o->name);
	if (rc < 0)
		return rc;
	x->write_done += o->bytes;
	return step_done(x, o);
}

/* The "before" of a written protected partition is its backup's hash. */
static void copy_before(struct mtk_flash_result *r, struct mtk_flash_outcome *o)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->steps[i].stage == MTK_FSTAGE_BACKUP && r->steps[i].have_before &&
		    mtk_part_name_eq(r->steps[i].name, o->name)) {
			o->have_before = true;
			memcpy(o->before_sha256, r->steps[i].before_sha256, 32);
		}
}

static int run_restore(struct run *x, struct mtk_flash_outcome *first, size_t n)
{
	if (!x->r->backup_id[0])
		return 0;
	notify(x, first, false);
	double t0 = now_s();
	struct mtk_backup b;
	memset(&b, 0, sizeof b);
	int rc = mtk_backup_restore(x->ctx, x->o->backup_root, x->da, x->r->backup_id, NULL, &b);
	double secs = (now_s() - t0) / (double)n;
	for (size_t i = 0; i < n; i++) {
		struct mtk_flash_outcome *o = &first[i];
		copy_before(x->r, o);
		o->seconds = secs;
		for (size_t k = 0; k < b.count; k++)
			if (mtk_part_name_eq(b.parts[k].name, o->name) && b.parts[k].state == MTK_BACKUP_OK) {
				o->bytes = o->bytes_written = b.parts[k].size;
				o->have_image = o->verified = true;
				memcpy(o->image_sha256, b.parts[k].sha256, 32);
				memcpy(o->readback_sha256, b.parts[k].sha256, 32);
			}
		if (rc == 0)
			rc = step_done(x, o);
	}
	mtk_backup_free(&b);
	return rc < 0 ? mtk_wrap(x->ctx, rc, "restoring the protected partitions from backup %s", x->r->backup_id) : 0;
}

/* BOOT_PARTITION_ENABLE, journaled first: recover must know to set it
 * back to boot1 if the flash stops in between. */
static int run_bootsel(struct run *x, struct mtk_flash_outcome *o)
{
	notify(x, o, false);
	unsigned part = o->region == MTK_REGION_BOOT2 ? 2 : 1;
	int rc = flash_txn_bootsel(x->o, part);
	if (rc == 0)
		rc = mtk_da_set_boot_partition(x->da, part, true);
	if (rc < 0)
		return mtk_wrap(x->ctx, rc, "pointing BOOT_PARTITION_ENABLE at boot%u", part);
	return step_done(x, o);
}

static const struct mtk_plan_entry *entry_of(const struct mtk_plan *p, const struct mtk_flash_outcome *o)
{
	for (size_t i = 0; i < p->count; i++)
		if (p->entries[i].action == MTK_ACT_WRITE && strcmp(p->entries[i].name, o->name) == 0)
			return &p->entries[i];
	return NULL;
}

/* Steps of one stage that run as one operation (backup, restore). */
static size_t stage_run_length(const struct mtk_flash_result *r, size_t i)
{
	size_t n = 0;
	while (i + n < r->count && r->steps[i + n].stage == r->steps[i].stage)
		n++;
	return n;
}

static int run_one(struct run *x, size_t *i)
{
	struct mtk_flash_outcome *o = &x->r->steps[*i];
	size_t n = 1;
	int rc = check_cancel(x, o);
	if (rc < 0)
		return rc;
	switch (o->stage) {
	case MTK_FSTAGE_BACKUP:
		n = stage_run_length(x->r, *i);
		rc = run_backup(x, o, n);
		break;
	case MTK_FSTAGE_ERASE:
		rc = run_erase(x, o);
		break;
	case MTK_FSTAGE_TABLE:
		rc = flash_write_gpt(x->ctx, x->da, x->fp, x->plan, o);
		rc = rc < 0 ? rc : step_done(x, o);
		break;
	case MTK_FSTAGE_WRITE:
		copy_before(x->r, o);
		rc = run_write(x, o, entry_of(x->plan, o));
		break;
	case MTK_FSTAGE_RESTORE:
		n = stage_run_length(x->r, *i);
		rc = run_restore(x, o, n);
		break;
	case MTK_FSTAGE_BOOTSEL:
		rc = run_bootsel(x, o);
		break;
	default:
		break;
	}
	*i += n;
	return rc;
}

/* The MT6572 era keeps its layout in the PMT, which the DA serves but this
 * tool does not rewrite yet: moving partitions there would leave the phone
 * with a table that lies. */
static int check_supported(mtk_ctx *ctx, const struct mtk_fingerprint *fp, const struct mtk_plan *p)
{
	if (p->nrefusals)
		return mtk_fail(ctx, MTK_E_POLICY, "the plan is refused: %s", p->refusals[0]);
	if (p->layout_change && fp->table.kind != MTK_PTABLE_GPT)
		return mtk_fail(ctx, MTK_E_POLICY, "the layout must change and the device keeps it in a %s table, "
				"which mtkflash cannot rewrite yet; nothing was written",
				mtk_ptable_kind_name(fp->table.kind));
	return 0;
}

/* The DA's own checks (an xflash DA's SET_CHECKSUM_LEVEL) act on writes
 * only, so they are set once for the whole flash instead of on and off
 * around each partition's write pass: two commands a partition, each a few
 * link turnarounds.  A legacy DA has none (MTK_E_UNSUPPORTED): nothing to do.
 * A failure to set them is left to the first write, which reports it. */
static bool checks_on(struct run *x)
{
	if (!x->o->device_checks || mtk_da_device_checks(x->da) == x->o->device_checks)
		return false;
	if (mtk_da_set_device_checks(x->da, x->o->device_checks) == 0)
		return true;
	mtk_ctx_clear_error(x->ctx);
	return false;
}

/* Back as found after a flash that went well (after a failure the message
 * must stay the failure's, and the DA may be gone). */
static void checks_off(struct run *x, unsigned before)
{
	if (mtk_da_set_device_checks(x->da, before) < 0) {
		mtk_warn(x->ctx, "%s", mtk_ctx_error(x->ctx));
		mtk_ctx_clear_error(x->ctx);
	}
}

int mtk_flash_run(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_fingerprint *fp, const struct mtk_plan *plan,
		  const struct mtk_flash_opts *opts, struct mtk_flash_result *out)
{
	memset(out, 0, sizeof *out);
	out->failed = -1;
	int rc = check_supported(ctx, fp, plan);
	if (rc == 0)
		rc = list_steps(ctx, fp, plan, mtk_da_can_set_boot_partition(da), out);
	if (rc < 0)
		return rc;
	struct run x = { .ctx = ctx, .da = da, .fp = fp, .plan = plan, .o = opts, .r = out };
	double t0 = now_s();
	unsigned checks_before = mtk_da_device_checks(da);
	bool checks_set = checks_on(&x);
	rc = flash_txn_begin(ctx, opts, fp, plan, &x.js);
	size_t i = 0;
	while (rc == 0 && i < out->count) {
		size_t at = i;
		rc = run_one(&x, &i);
		if (rc < 0 && out->failed < 0)
			step_failed(&x, &out->steps[at], rc);
	}
	if (rc < 0)
		rc = flash_txn_rollback(ctx, da, opts, &x.js, out, rc);
	else if (opts->journal) {
		flash_txn_close(opts, "verified");
		flash_txn_drop_stashes(opts, &x.js);
	}
	mtk_journal_state_free(&x.js);
	if (rc == 0 && checks_set)
		checks_off(&x, checks_before);
	out->seconds = now_s() - t0;
	return rc;
}

void mtk_flash_result_free(struct mtk_flash_result *r)
{
	free(r->steps);
	memset(r, 0, sizeof *r);
	r->failed = -1;
}
