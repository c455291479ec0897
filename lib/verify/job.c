/* SPDX-License-Identifier: MIT */
/* One verified flash of one phone, start to end (mtkflash/job.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/ctx.h"
#include "job_priv.h"
#include "mtkflash/util.h"

const char *mtk_job_stage_name(enum mtk_job_stage s)
{
	static const char *const names[] = { "connect", "DA", "backup", "write", "verify", "finish" };
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *mtk_job_outcome_name(enum mtk_job_outcome o)
{
	static const char *const names[] = { "verified", "refused", "rolled-back", "failed" };
	return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "?";
}

void mtk_job_opts_init(struct mtk_job_opts *o)
{
	memset(o, 0, sizeof *o);
	o->after = -1;
	o->wait_ms = 30000;
	o->device_checks = MTK_DA_CHECK_USB | MTK_DA_CHECK_STORAGE;
}

void mtk_job_result_free(struct mtk_job_result *r)
{
	mtk_flash_result_free(&r->flash);
	mtk_plan_free(&r->plan);
}

void mtk_job_view_free(struct mtk_job_view *v)
{
	mtk_plan_free(&v->plan);
	mtk_fingerprint_free(&v->fp);
	mtk_policy_free(v->policy);
	memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------- progress */

void job_stage(struct job *j, enum mtk_job_stage stage, const char *event, const char *fmt, ...)
{
	char detail[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	j->stage = stage;
	if (j->cb && j->cb->on_stage)
		j->cb->on_stage(j->cb->user, stage, event, detail);
}

/* Every chunk the library reports, with the rate and the write's ETA; the
 * caller's own progress callback still gets it as before. */
static void on_progress(void *user, const char *what, uint64_t done, uint64_t total)
{
	struct job *j = user;
	if (j->prev_progress)
		j->prev_progress(j->prev_progress_user, what, done, total);
	if (!j->cb || !j->cb->on_progress)
		return;
	long long now = mtk_now_ms(j->ctx);
	double el = (double)(now - j->step_start_ms) / 1000.0;
	double wel = (double)(now - j->write_start_ms) / 1000.0;
	uint64_t run_done = j->run_done + (j->stage == MTK_JOB_WRITE ? done : 0);
	double wrate = j->write_start_ms && wel > 0 ? (double)run_done / wel : 0;
	struct mtk_job_progress p = {
		.stage = j->stage,
		.step = j->step[0] ? j->step : what,
		.done = done,
		.total = total,
		.run_done = run_done,
		.run_total = j->run_total,
		.bytes_per_s = el > 0 ? (double)done / el : 0,
		.eta_s = wrate > 0 && j->run_total >= run_done ? (double)(j->run_total - run_done) / wrate : -1,
	};
	j->cb->on_progress(j->cb->user, &p);
}

static enum mtk_job_stage stage_of(enum mtk_flash_stage s)
{
	switch (s) {
	case MTK_FSTAGE_BACKUP:
		return MTK_JOB_BACKUP;
	case MTK_FSTAGE_RESTORE:
		return MTK_JOB_VERIFY;
	default:
		return MTK_JOB_WRITE;
	}
}

static void on_step(void *user, const struct mtk_flash_outcome *o, bool done, uint64_t bytes_done,
		    uint64_t bytes_total)
{
	struct job *j = user;
	enum mtk_job_stage st = stage_of(o->stage);
	j->run_done = bytes_done;
	j->run_total = bytes_total;
	if (!done) {
		if (st != j->stage)
			job_stage(j, st, mtk_job_stage_name(st), "%s", o->name);
		if (st == MTK_JOB_WRITE && !j->write_start_ms)
			j->write_start_ms = mtk_now_ms(j->ctx);
		snprintf(j->step, sizeof j->step, "%s", o->name);
		j->step_start_ms = mtk_now_ms(j->ctx);
	}
	if (j->cb && j->cb->on_step)
		j->cb->on_step(j->cb->user, o, done, bytes_done, bytes_total);
}

/* ------------------------------------------------------------- deciding */

/* The refusals first (decide only hears of them), then the caller's word. */
static int decide(struct job *j)
{
	job_note_refusal(j);
	const struct mtk_job_plan *p = &j->v.p;
	int rc = p->refused ? mtk_ctx_error_code(j->ctx) : 0;
	const char *how = NULL;
	if (!rc && !j->cb->decide && j->v.decision.verdict != MTK_VERDICT_ALLOW)
		rc = mtk_fail(j->ctx, MTK_E_POLICY, "risk %u/100 (%s) needs a confirmation, and no one was asked: "
			      "nothing was written", j->v.risk.score, mtk_risk_level_name(j->v.risk.level));
	if (j->cb->decide) {
		mtk_ctx *ctx = j->ctx;
		if (!p->refused)
			mtk_ctx_clear_error(ctx);
		int drc = j->cb->decide(j->cb->user, ctx, p, &how);
		if (!p->refused && drc < 0)
			rc = mtk_ctx_error_code(ctx) ? drc : mtk_fail(ctx, drc, "declined by the user: nothing was written");
	}
	if (p->refused)
		j->confirmed = j->v.policy_verdict.count ? "refused by the policy" : "refused";
	else
		j->confirmed = how ? how : rc < 0 ? "declined" : j->cb->decide ? "accepted" : "not needed";
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------- the run */

static int open_journal(struct job *j)
{
	char root[JOB_PATH_MAX];
	if (!job_dir(j->o->journal_root, "XDG_STATE_HOME", ".local/state", "mtkflash/journal", root, sizeof root))
		return mtk_fail(j->ctx, MTK_E_IO, "no place for the flash journal: set XDG_STATE_HOME or HOME");
	int rc = mtk_journal_create(j->ctx, root, j->v.fp.device_id, &j->journal);
	if (rc < 0)
		return rc;
	snprintf(j->res->journal, sizeof j->res->journal, "%s", mtk_journal_dir(j->journal));
	job_stage(j, MTK_JOB_BACKUP, "journal", "%s", mtk_journal_dir(j->journal));
	return 0;
}

/* Quick mode's partitions without a stash, as the log and the user read them. */
static const char *expendable_text(const struct job *j, char *out, size_t cap)
{
	const struct mtk_job_opts *o = j->o;
	if (o->mode != MTK_FMODE_QUICK)
		return "";
	if (!o->expendable_set)
		return "cache, userdata";
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < o->nexpendable && len < cap; i++) {
		bool all = strcmp(o->expendable[i], "all") == 0;
		if (all || strcmp(o->expendable[i], "none") == 0)
			return all ? "every partition" : "";
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", o->expendable[i]);
	}
	return out;
}

static int run_flash(struct job *j)
{
	char root[JOB_PATH_MAX], list[512];
	int rc = open_journal(j);
	if (rc < 0)
		return rc;
	const char *unstashed = expendable_text(j, list, sizeof list);
	if (*unstashed)
		job_stage(j, MTK_JOB_BACKUP, "journal",
			  "quick mode: written without a stash (a rollback leaves them as written): %s", unstashed);
	struct mtk_flash_opts fo = {
		.backup_root = job_dir(j->o->backup_root, "XDG_DATA_HOME", ".local/share", "mtkflash/backups", root,
				       sizeof root),
		.fingerprint = mtk_fingerprint_to_json(&j->v.fp),
		.audit = j->log,
		.on_step = on_step,
		.user = j,
		.device_checks = j->o->device_checks,
		.journal = j->journal,
		.mode = j->o->mode,
		.expendable = j->o->expendable_set ? j->o->expendable : NULL,
		.nexpendable = j->o->nexpendable,
	};
	if (j->log)
		mtk_audit_event(j->log, "journal", json_pack("{s:s, s:s}", "dir", mtk_journal_dir(j->journal),
							     "no_stash", unstashed));
	rc = mtk_flash_run(j->ctx, j->c.da, &j->v.fp, &j->v.plan, &fo, &j->res->flash);
	json_decref(fo.fingerprint);
	if (rc == 0)
		job_stage(j, MTK_JOB_VERIFY, "verify", "every written byte read back and equal");
	if (rc == 0)
		job_stage(j, MTK_JOB_FINISH, "finish", "every step done and verified");
	if (rc == MTK_E_ROLLEDBACK)
		job_stage(j, MTK_JOB_FINISH, "rollback", "rolled back, device as before");
	return rc;
}

/* Station key and passphrase before the port: a job that could not sign
 * its log or is not allowed its mode never touches the phone. */
static int begin(struct job *j)
{
	int rc = job_policy_open(j);
	if (rc == 0)
		rc = job_station_key(j);
	if (rc == 0 && j->o->mode == MTK_FMODE_SERVICE)
		rc = job_unlock(j);
	return rc;
}

static int flash(struct job *j, bool *refused)
{
	int rc = begin(j);
	if (rc == 0)
		rc = job_prepare(j);
	if (rc < 0) {
		*refused = rc == MTK_E_POLICY || rc == MTK_E_DENIED;
		job_disconnect(j);
		return rc;
	}
	int verdict = decide(j);
	rc = job_log_begin(j);
	if (rc == 0 && verdict == 0)
		rc = run_flash(j);
	rc = job_log_end(j, verdict < 0 ? verdict : rc);
	job_disconnect(j);
	*refused = verdict < 0;
	if (verdict < 0)
		rc = verdict;
	int rrc = job_make_report(j);
	return rc < 0 ? rc : rrc;
}

static void view_links(struct mtk_job_view *v, const struct mtk_job_opts *o)
{
	struct mtk_job_plan *p = &v->p;
	p->fp = &v->fp;
	p->plan = &v->plan;
	p->risk = &v->risk;
	p->decision = &v->decision;
	p->scene = o->scene;
	p->mode = o->mode;
	p->package = &v->package;
	p->policy = v->policy;
	p->policy_verdict = &v->policy_verdict;
	p->refusal = "";
}

static const struct mtk_job_callbacks no_callbacks;

static struct job *job_new(mtk_ctx *ctx, const struct mtk_job_opts *o, const struct mtk_job_callbacks *cb,
			   struct mtk_job_result *res)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->ctx = ctx;
	j->o = o;
	j->cb = cb ? cb : &no_callbacks;
	j->res = res;
	j->res->flash.failed = -1;
	j->c.after = o->after < 0 ? MTK_AFTER_STAY : o->after;
	j->stage = MTK_JOB_CONNECT;
	mtk_ctx_get_progress(ctx, &j->prev_progress, &j->prev_progress_user);
	mtk_ctx_set_progress(ctx, on_progress, j);
	return j;
}

static void job_free(struct job *j, volatile sig_atomic_t *cancel)
{
	mtk_ctx_set_progress(j->ctx, j->prev_progress, j->prev_progress_user);
	if (j->o->cancel)
		mtk_ctx_set_cancel(j->ctx, cancel);
	mtk_journal_free(j->journal);
	mtk_job_view_free(&j->v);
	free(j->log_path);
	OPENSSL_cleanse(&j->sk, sizeof j->sk);
	free(j);
}

static void fill_result(struct job *j, int rc, bool refused)
{
	struct mtk_job_result *r = j->res;
	const struct mtk_chip *chip = j->v.fp.brom.chip;
	r->rc = rc;
	r->outcome = rc == 0 ? MTK_JOB_VERIFIED : refused ? MTK_JOB_REFUSED
			       : rc == MTK_E_ROLLEDBACK ? MTK_JOB_ROLLED_BACK : MTK_JOB_FAILED;
	const char *status = mtk_ctx_error_status(j->ctx);
	snprintf(r->status, sizeof r->status, "%s", rc == 0 ? "" : status && *status ? status : mtk_error_name(rc));
	snprintf(r->message, sizeof r->message, "%s", rc < 0 ? mtk_ctx_error(j->ctx) : "");
	snprintf(r->device_id, sizeof r->device_id, "%s", j->v.fp.device_id);
	snprintf(r->chip, sizeof r->chip, "%s", chip ? chip->name : "");
	r->bytes_written = r->flash.bytes_written;
	r->seconds = r->flash.seconds;
	snprintf(r->audit_log, sizeof r->audit_log, "%s", j->log_path ? j->log_path : "");
	snprintf(r->backup_id, sizeof r->backup_id, "%s", r->flash.backup_id);
	snprintf(r->not_as_before, sizeof r->not_as_before, "%s", r->flash.not_as_before);
}

static bool opts_ok(mtk_ctx *ctx, const struct mtk_job_opts *o, struct mtk_job_result *res)
{
	memset(res, 0, sizeof *res);
	res->flash.failed = -1;
	if (o && o->scatter)
		return true;
	res->rc = mtk_fail(ctx, MTK_E_INVAL, "a job needs a scatter file");
	res->outcome = MTK_JOB_FAILED;
	snprintf(res->message, sizeof res->message, "%s", mtk_ctx_error(ctx));
	return false;
}

int mtk_job_run(mtk_ctx *ctx, const struct mtk_job_opts *o, const struct mtk_job_callbacks *cb,
		struct mtk_job_result *res)
{
	if (!opts_ok(ctx, o, res))
		return res->rc;
	volatile sig_atomic_t *cancel = mtk_ctx_get_cancel(ctx);
	struct job *j = job_new(ctx, o, cb, res);
	if (!j)
		return res->rc = mtk_fail(ctx, MTK_E_NOMEM, "no memory");
	if (o->cancel)
		mtk_ctx_set_cancel(ctx, o->cancel);
	view_links(&j->v, o);
	struct mtk_history_record rec;
	mtk_history_record_begin(&rec, o->history_kind);
	bool refused = false;
	int rc = flash(j, &refused);
	if (rc < 0 && !mtk_ctx_error_code(ctx)) /* a step that lost the chain must not lose the failure */
		mtk_fail(ctx, rc, "%s", mtk_error_text(rc));
	fill_result(j, rc, refused);
	job_history_end(j, &rec, rc, refused);
	res->plan = j->v.plan; /* the steps' image paths point into it */
	memset(&j->v.plan, 0, sizeof j->v.plan);
	job_free(j, cancel);
	return rc;
}

int mtk_job_plan(mtk_ctx *ctx, const struct mtk_job_opts *o, const struct mtk_job_callbacks *cb,
		 struct mtk_job_view *out)
{
	struct mtk_job_result res;
	memset(out, 0, sizeof *out);
	if (!opts_ok(ctx, o, &res))
		return res.rc;
	struct job *j = job_new(ctx, o, cb, &res);
	if (!j)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory");
	int rc = job_policy_open(j);
	if (rc == 0 && o->mode == MTK_FMODE_SERVICE && o->passphrase)
		rc = job_unlock(j); /* without it the plan shows service mode locked */
	if (rc == 0)
		rc = job_prepare(j);
	job_disconnect(j);
	if (rc == 0) {
		job_note_refusal(j);
		mtk_ctx_clear_error(ctx);
	}
	bool nvram = j->v.p.nvram_backup;
	*out = j->v; /* the job's view moves to the caller */
	memset(&j->v, 0, sizeof j->v);
	view_links(out, o);
	out->p.role = mtk_policy_role(out->policy, j->unlocked);
	out->p.nvram_backup = nvram;
	snprintf(out->refusal, sizeof out->refusal, "%s", j->refusal);
	out->p.refused = out->refusal[0] != '\0';
	out->p.refusal = out->refusal;
	job_free(j, mtk_ctx_get_cancel(ctx));
	return rc;
}
