/* SPDX-License-Identifier: MIT */
/* Flash: one button, the stages in SP Flash Tool's colours (with words, so
 * colour is never the only signal), bytes, MB/s and ETA, Cancel, the result. */
#include <string.h>

#include "mtkflash/status.h"
#include "run.h"
#include "worker.h"

#define NSTAGES 6

static const char *const stage_css[NSTAGES] = {"st-connect", "st-da", "st-backup", "st-write", "st-verify",
					       "st-finish"};

static void set_stage(struct gui_app *a, int i, const char *state)
{
	char *text = g_strdup_printf("%s: %s", mtk_job_stage_name((enum mtk_job_stage)i), state);
	gtk_label_set_text(GTK_LABEL(a->fv.stages[i]), text);
	gui_name(a->fv.stages[i], text);
	g_free(text);
	bool on = strcmp(state, "waiting") != 0;
	if (on)
		gtk_widget_add_css_class(a->fv.stages[i], stage_css[i]);
	else
		gtk_widget_remove_css_class(a->fv.stages[i], stage_css[i]);
}

static void reset_stages(struct gui_app *a)
{
	for (int i = 0; i < NSTAGES; i++)
		set_stage(a, i, "waiting");
	a->fv.stage = -1;
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(a->fv.progress), 0);
	gtk_progress_bar_set_text(GTK_PROGRESS_BAR(a->fv.progress), "");
	gtk_label_set_text(GTK_LABEL(a->fv.rate), "");
}

/* ------------------------------------------------ from the worker thread */

struct stage_msg {
	struct gui_app *a;
	int stage;
	bool rollback;
};

static void show_stage(void *arg)
{
	struct stage_msg *m = arg;
	if (m->rollback) {
		gui_flash_show_result(m->a, "Rolling back: putting back what was there before…", false);
		return;
	}
	for (int i = 0; i < m->stage; i++)
		set_stage(m->a, i, "done");
	set_stage(m->a, m->stage, "running");
	m->a->fv.stage = m->stage;
}

static void on_stage(void *user, enum mtk_job_stage stage, const char *event, const char *detail)
{
	(void)detail;
	struct gui_run *r = user;
	struct stage_msg *m = g_new0(struct stage_msg, 1);
	*m = (struct stage_msg){r->a, (int)stage, event && strcmp(event, "rollback") == 0};
	gui_post(show_stage, m, g_free);
}

static void show_progress(void *arg)
{
	struct gui_app *a = arg;
	g_mutex_lock(&a->fv.lock);
	struct mtk_job_progress_copy p = a->fv.latest;
	a->fv.posted = false;
	g_mutex_unlock(&a->fv.lock);
	uint64_t done = p.run_total ? p.run_done : p.done, total = p.run_total ? p.run_total : p.total;
	char *d = g_format_size(done), *t = g_format_size(total);
	char *text = g_strdup_printf("%s %s: %s of %s", mtk_job_stage_name((enum mtk_job_stage)p.stage), p.step, d, t);
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(a->fv.progress), total ? (double)done / (double)total : 0);
	gtk_progress_bar_set_text(GTK_PROGRESS_BAR(a->fv.progress), text);
	char *rate = p.eta_s >= 0 ? g_strdup_printf("%.1f MB/s, about %.0f s left", p.bytes_per_s / 1e6, p.eta_s)
				  : g_strdup_printf("%.1f MB/s", p.bytes_per_s / 1e6);
	gtk_label_set_text(GTK_LABEL(a->fv.rate), rate);
	g_free(rate);
	g_free(text);
	g_free(d);
	g_free(t);
}

/* Only the newest figures matter: one idle call at a time carries them. */
static void on_progress(void *user, const struct mtk_job_progress *p)
{
	struct gui_app *a = ((struct gui_run *)user)->a;
	g_mutex_lock(&a->fv.lock);
	a->fv.latest = (struct mtk_job_progress_copy){.stage = (int)p->stage, .done = p->done, .total = p->total,
						   .run_done = p->run_done, .run_total = p->run_total,
						   .bytes_per_s = p->bytes_per_s, .eta_s = p->eta_s};
	g_strlcpy(a->fv.latest.step, p->step ? p->step : "", sizeof a->fv.latest.step);
	bool post = !a->fv.posted;
	a->fv.posted = true;
	g_mutex_unlock(&a->fv.lock);
	if (post)
		gui_post(show_progress, a, NULL);
}

/* The window's answer was given before Flash was pressed: the plan the job
 * finds now must be one the window would have let through. */
int gui_flash_decide(void *user, mtk_ctx *ctx, const struct mtk_job_plan *p, const char **confirmed)
{
	struct gui_run *r = user;
	if (p->refused)
		return mtk_fail(ctx, MTK_E_POLICY, "%s", p->refusal && p->refusal[0] ? p->refusal : "the plan is refused");
	switch (p->decision->verdict) {
	case MTK_VERDICT_ALLOW:
		*confirmed = "not needed";
		return 0;
	case MTK_VERDICT_CONFIRM:
		if (!r->accepted)
			return mtk_fail(ctx, MTK_E_POLICY, "the risk (%u) was not accepted in the window",
					p->decision->score);
		*confirmed = "window";
		return 0;
	default:
		return mtk_fail(ctx, MTK_E_POLICY, "%s", p->decision->nreasons ? p->decision->reasons[0] : "refused");
	}
}

static void flash_work(void *data)
{
	struct gui_run *r = data;
	struct mtk_job_callbacks cb = {.user = r, .on_stage = on_stage, .on_progress = on_progress, .decide = gui_flash_decide};
	r->rc = mtk_job_run(r->ctx, &r->o, &cb, &r->res);
}

/* ------------------------------------------------------------ the result */

void gui_flash_show_result(struct gui_app *a, const char *text, bool good)
{
	gtk_label_set_text(GTK_LABEL(a->fv.result), text);
	char *name = g_strdup_printf("Result: %s", text);
	gui_name(a->fv.result, name);
	g_free(name);
	gtk_widget_remove_css_class(a->fv.result, good ? "result-bad" : "result-good");
	gtk_widget_add_css_class(a->fv.result, good ? "result-good" : "result-bad");
}

static void append_explain(GString *s, const char *key)
{
	const struct mtk_status *st[1];
	if (!key || !key[0] || mtk_status_explain(key, st, 1) == 0)
		return;
	g_string_append_printf(s, "\n%s: %s", st[0]->name, st[0]->meaning);
	if (st[0]->fix && st[0]->fix[0])
		g_string_append_printf(s, "\nWhat to do: %s", st[0]->fix);
}

char *gui_result_text(const struct mtk_job_result *res)
{
	GString *s = g_string_new(NULL);
	char *size = g_format_size(res->bytes_written);
	switch (res->outcome) {
	case MTK_JOB_VERIFIED:
		g_string_append_printf(s, "✓ Verified: %s written and read back in %.1f s on %s %s.", size, res->seconds,
				       res->chip, res->device_id);
		break;
	case MTK_JOB_ROLLED_BACK:
		g_string_append_printf(s, "✗ Not flashed, rolled back: the phone is as before. %s", res->message);
		break;
	case MTK_JOB_REFUSED:
		g_string_append_printf(s, "✗ Refused, nothing written: %s", res->message);
		break;
	default:
		g_string_append_printf(s, "✗ Failed: %s", res->message);
		if (res->not_as_before[0])
			g_string_append_printf(s, "\nNot as before: %s (run mtkflash recover).", res->not_as_before);
		break;
	}
	g_free(size);
	if (res->outcome != MTK_JOB_VERIFIED)
		append_explain(s, res->status);
	return g_string_free(s, FALSE);
}

static void flash_done(void *data)
{
	struct gui_run *r = data;
	struct gui_app *a = r->a;
	a->busy = false;
	bool good = r->res.outcome == MTK_JOB_VERIFIED;
	if (good)
		for (int i = 0; i < NSTAGES; i++)
			set_stage(a, i, "done");
	else if (a->fv.stage >= 0)
		set_stage(a, a->fv.stage, r->res.outcome == MTK_JOB_ROLLED_BACK ? "rolled back" : "stopped");
	char *text = gui_result_text(&r->res);
	gui_flash_show_result(a, text, good);
	g_free(text);
	g_free(a->fv.audit_log);
	g_free(a->fv.report);
	a->fv.audit_log = r->res.audit_log[0] ? g_strdup(r->res.audit_log) : NULL;
	a->fv.report = r->res.report[0] ? g_strdup(r->res.report) : NULL;
	gtk_widget_set_sensitive(a->fv.open_log, a->fv.audit_log != NULL);
	gtk_widget_set_sensitive(a->fv.save_report, a->fv.report != NULL);
	gtk_widget_set_sensitive(a->fv.next, TRUE);
	gtk_widget_set_sensitive(a->fv.cancel, FALSE);
	gui_history_refresh(a);
	gui_backups_refresh(a);
	gui_run_free(r);
	gui_flash_update_sensitive(a);
	gtk_widget_grab_focus(a->fv.next);
}

static void on_flash(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	if (a->busy || !gtk_widget_get_sensitive(a->fv.flash))
		return;
	struct gui_run *r = gui_run_new(a);
	if (!r)
		return;
	a->busy = true;
	__atomic_store_n(&a->cancel, 0, __ATOMIC_RELAXED);
	reset_stages(a);
	gui_flash_show_result(a, "Flashing…", true);
	gtk_widget_set_sensitive(a->fv.cancel, TRUE);
	gui_flash_update_sensitive(a);
	gtk_widget_grab_focus(a->fv.cancel);
	gui_worker_run(flash_work, flash_done, r);
}

static void on_cancel(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	__atomic_store_n(&a->cancel, 1, __ATOMIC_RELAXED);
	gui_flash_show_result(a, "Cancelling: undoing what was written…", false);
}

void gui_flash_update_sensitive(struct gui_app *a)
{
	bool service = gui_plan_mode(a) == MTK_FMODE_SERVICE;
	const char *typed = gtk_editable_get_text(GTK_EDITABLE(a->plan.passphrase));
	/* Service mode: the plan on show must be the one the passphrase unlocked. */
	bool pass = typed[0] && a->plan.unlocked_with && strcmp(typed, a->plan.unlocked_with) == 0;
	bool accepted = gtk_check_button_get_active(GTK_CHECK_BUTTON(a->plan.accept));
	bool ok = a->have_pkg && !a->busy && (!service || pass) &&
		  (a->plan.decided == MTK_VERDICT_ALLOW || (a->plan.decided == MTK_VERDICT_CONFIRM && accepted));
	gtk_widget_set_sensitive(a->fv.flash, ok);
	if (service && !pass && !a->busy && a->plan.decided >= 0)
		gtk_label_set_text(GTK_LABEL(a->plan.verdict),
				   typed[0] ? "Press Enter in the passphrase field to unlock service mode."
					    : "Service mode needs the service passphrase.");
}

static GtkWidget *stage_row(struct gui_app *a)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_set_homogeneous(GTK_BOX(row), TRUE);
	for (int i = 0; i < NSTAGES; i++) {
		a->fv.stages[i] = gtk_label_new("");
		gtk_widget_add_css_class(a->fv.stages[i], "stage");
		gtk_box_append(GTK_BOX(row), a->fv.stages[i]);
	}
	return row;
}

void gui_flash_view_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *box = gui_section(flow, "Flash");
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	a->fv.flash = gui_button(row, "Flash", G_CALLBACK(on_flash), a);
	gtk_widget_add_css_class(a->fv.flash, "suggested-action");
	a->fv.cancel = gui_button(row, "Cancel", G_CALLBACK(on_cancel), a);
	gtk_widget_set_sensitive(a->fv.flash, FALSE);
	gtk_widget_set_sensitive(a->fv.cancel, FALSE);
	gtk_box_append(GTK_BOX(box), row);
	gtk_box_append(GTK_BOX(box), stage_row(a));
	a->fv.progress = gtk_progress_bar_new();
	gtk_progress_bar_set_show_text(GTK_PROGRESS_BAR(a->fv.progress), TRUE);
	gui_name(a->fv.progress, "Progress");
	gtk_box_append(GTK_BOX(box), a->fv.progress);
	a->fv.rate = gui_label(box, "", NULL);
	a->fv.result = gui_label(box, "", NULL);
	gtk_label_set_selectable(GTK_LABEL(a->fv.result), TRUE);
	gui_flash_show_result(a, "Not flashed yet.", true);
	gui_flash_after_build(a, box);
	reset_stages(a);
}
