/* SPDX-License-Identifier: MIT */
/* Plan and risk: what the flash would do in plain words, the risk as a
 * meter with one sentence per factor, the mode and the scene. */
#include "plan_text.h"
#include "run.h"
#include "worker.h"

static const char *const mode_labels[3] = {"Safe", "Quick", "Service"};
static const char *const mode_notes[3] = {
	"Safe: every partition is stashed first and read back after writing; risky plans are refused.",
	"Quick: like Safe, but cache and userdata are written without a stash; medium risk needs your consent.",
	"Service: for technicians; asks for the service passphrase and lets you take risk factors out.",
};
static const char *const scene_labels[3] = {"Download", "Firmware Upgrade", "Format All"};
static const char *const scene_notes[3] = {
	"Download: writes the ticked images into the partitions the phone already has.",
	"Firmware Upgrade: may change the partition layout; your IMEI partitions are backed up and restored.",
	"Format All: erases the whole phone first, then writes the package; the phone's own data is lost.",
};

static int selected(GtkWidget *const radios[3])
{
	for (int i = 0; i < 3; i++)
		if (gtk_check_button_get_active(GTK_CHECK_BUTTON(radios[i])))
			return i;
	return 0;
}

int gui_plan_mode(struct gui_app *a)
{
	return selected(a->plan.modes);
}

int gui_plan_scene(struct gui_app *a)
{
	return selected(a->plan.scenes);
}

char **gui_plan_overrides(struct gui_app *a)
{
	GPtrArray *v = g_ptr_array_new();
	for (guint i = 0; a->plan.override_ticks && i < a->plan.override_ticks->len; i++) {
		GtkWidget *t = g_ptr_array_index(a->plan.override_ticks, i);
		if (gtk_check_button_get_active(GTK_CHECK_BUTTON(t)))
			g_ptr_array_add(v, g_strdup(g_object_get_data(G_OBJECT(t), "factor")));
	}
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

static void clear_box(GtkWidget *box)
{
	GtkWidget *c;
	while ((c = gtk_widget_get_first_child(box)))
		gtk_box_remove(GTK_BOX(box), c);
}

static void add_factor(struct gui_app *a, const struct mtk_risk_item *it, bool service, char **kept)
{
	char *line = gui_factor_sentence(it);
	GtkWidget *l = gui_label(a->plan.factors, line, NULL);
	gtk_widget_add_css_class(l, "risk-factor");
	g_free(line);
	if (!service || (it->factor->flags & MTK_RISK_HARD))
		return;
	char *what = g_strdup_printf("Take \"%s\" out of the score (override)", it->factor->name);
	GtkWidget *t = gtk_check_button_new_with_label(what);
	g_free(what);
	g_object_set_data_full(G_OBJECT(t), "factor", g_strdup(it->factor->name), g_free);
	gtk_check_button_set_active(GTK_CHECK_BUTTON(t), kept && g_strv_contains((const char *const *)kept,
										     it->factor->name));
	g_signal_connect_swapped(t, "toggled", G_CALLBACK(gui_plan_refresh), a);
	gtk_box_append(GTK_BOX(a->plan.factors), t);
	g_ptr_array_add(a->plan.override_ticks, t);
}

static void show_risk(struct gui_app *a, const struct mtk_job_plan *p)
{
	char **kept = gui_plan_overrides(a);
	clear_box(a->plan.factors);
	g_ptr_array_set_size(a->plan.override_ticks, 0);
	gtk_level_bar_set_value(GTK_LEVEL_BAR(a->plan.meter), p->risk->score);
	char *score = g_strdup_printf("Risk %u of 100: %s.", p->risk->score, mtk_risk_level_name(p->risk->level));
	gtk_label_set_text(GTK_LABEL(a->plan.score), score);
	gtk_accessible_update_property(GTK_ACCESSIBLE(a->plan.meter), GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, score, -1);
	g_free(score);
	size_t shown = 0;
	for (size_t i = 0; i < p->risk->count; i++)
		if (p->risk->items[i].state != MTK_RISK_INACTIVE) {
			add_factor(a, &p->risk->items[i], p->mode == MTK_FMODE_SERVICE, kept);
			shown++;
		}
	if (!shown)
		gui_label(a->plan.factors, "No risk factor applies.", NULL);
	g_strfreev(kept);
}

static void show_view(struct gui_app *a, const struct mtk_job_plan *p)
{
	char *dev = gui_device_sentence(p->fp);
	gui_device_show(a, dev);
	g_free(dev);
	char *plan = gui_plan_sentence(p);
	gtk_label_set_text(GTK_LABEL(a->plan.plan), plan);
	g_free(plan);
	show_risk(a, p);
	char *verdict = gui_verdict_sentence(p);
	gtk_label_set_text(GTK_LABEL(a->plan.verdict), verdict);
	g_free(verdict);
	a->plan.decided = p->refused ? MTK_VERDICT_REFUSE : (int)p->decision->verdict;
	gtk_widget_set_visible(a->plan.accept, a->plan.decided == MTK_VERDICT_CONFIRM);
}

static void plan_work(void *data)
{
	struct gui_run *r = data;
	r->rc = mtk_job_plan(r->ctx, &r->o, NULL, &r->view);
	r->have_view = r->rc == 0;
	if (r->rc < 0) {
		g_strlcpy(r->error, mtk_ctx_error(r->ctx), sizeof r->error);
		if (gui_doctor_wanted(r->rc) && !g_str_has_prefix(r->port, "emu:"))
			r->doctor = gui_doctor_summary();
	}
}

static void plan_done(void *data)
{
	struct gui_run *r = data;
	struct gui_app *a = r->a;
	a->busy = false;
	g_free(a->plan.unlocked_with);
	a->plan.unlocked_with = r->have_view && r->o.passphrase ? g_strdup(r->passphrase) : NULL;
	if (r->have_view) {
		show_view(a, &r->view.p);
	} else {
		a->plan.decided = -1;
		if (r->doctor)
			gui_device_show(a, r->doctor);
		char *msg = g_strdup_printf("Cannot plan: %s", r->error);
		gtk_label_set_text(GTK_LABEL(a->plan.verdict), msg);
		g_free(msg);
	}
	gui_run_free(r);
	if (a->plan.dirty)
		gui_plan_refresh(a);
	else
		gui_flash_update_sensitive(a);
}

void gui_plan_refresh(struct gui_app *a)
{
	if (!a->have_pkg)
		return;
	if (a->busy) {
		a->plan.dirty = true;
		return;
	}
	a->plan.dirty = false;
	struct gui_run *r = gui_run_new(a);
	a->busy = true;
	a->plan.decided = -1;
	gui_flash_update_sensitive(a);
	gtk_label_set_text(GTK_LABEL(a->plan.verdict), "Reading the phone and planning…");
	gui_worker_run(plan_work, plan_done, r);
}

static void on_mode_toggled(GtkCheckButton *b, gpointer user)
{
	struct gui_app *a = user;
	if (!gtk_check_button_get_active(b))
		return;
	int m = gui_plan_mode(a);
	gtk_label_set_text(GTK_LABEL(a->plan.mode_note), mode_notes[m]);
	gtk_widget_set_visible(a->plan.passphrase, m == MTK_FMODE_SERVICE);
	gui_plan_refresh(a);
}

static void on_scene_toggled(GtkCheckButton *b, gpointer user)
{
	struct gui_app *a = user;
	if (!gtk_check_button_get_active(b))
		return;
	gtk_label_set_text(GTK_LABEL(a->plan.scene_note), scene_notes[gui_plan_scene(a)]);
	gui_plan_refresh(a);
}

static GtkWidget *radio_row(GtkWidget *box, const char *title, const char *const labels[3], GtkWidget *out[3],
			    GCallback cb, struct gui_app *a)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	GtkWidget *head = gtk_label_new(title);
	gtk_box_append(GTK_BOX(row), head);
	for (int i = 0; i < 3; i++) {
		/* A grouped check button is a radio button to the eye: say so to AT-SPI too. */
		out[i] = g_object_new(GTK_TYPE_CHECK_BUTTON, "label", labels[i], "accessible-role",
				      GTK_ACCESSIBLE_ROLE_RADIO, NULL);
		if (i)
			gtk_check_button_set_group(GTK_CHECK_BUTTON(out[i]), GTK_CHECK_BUTTON(out[0]));
		gtk_box_append(GTK_BOX(row), out[i]);
	}
	gtk_check_button_set_active(GTK_CHECK_BUTTON(out[0]), TRUE);
	for (int i = 0; i < 3; i++)
		g_signal_connect(out[i], "toggled", cb, a);
	gtk_box_append(GTK_BOX(box), row);
	return row;
}

static void meter(struct gui_app *a, GtkWidget *box)
{
	a->plan.meter = gtk_level_bar_new_for_interval(0, 100);
	GtkLevelBar *lb = GTK_LEVEL_BAR(a->plan.meter);
	gtk_level_bar_remove_offset_value(lb, GTK_LEVEL_BAR_OFFSET_LOW);
	gtk_level_bar_remove_offset_value(lb, GTK_LEVEL_BAR_OFFSET_HIGH);
	gtk_level_bar_remove_offset_value(lb, GTK_LEVEL_BAR_OFFSET_FULL);
	gtk_level_bar_add_offset_value(lb, "risk-low", MTK_RISK_MEDIUM_AT);
	gtk_level_bar_add_offset_value(lb, "risk-medium", MTK_RISK_HIGH_AT);
	gtk_level_bar_add_offset_value(lb, "risk-high", 100);
	gui_name(a->plan.meter, "Risk meter");
	gtk_box_append(GTK_BOX(box), a->plan.meter);
}

void gui_plan_view_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *box = gui_section(flow, "Plan and risk");
	a->plan.decided = -1;
	a->plan.override_ticks = g_ptr_array_new();
	a->plan.plan = gui_label(box, "Open a package to see what would be written.", NULL);
	meter(a, box);
	a->plan.score = gui_label(box, "", NULL);
	a->plan.factors = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	gtk_box_append(GTK_BOX(box), a->plan.factors);
	radio_row(box, "Mode:", mode_labels, a->plan.modes, G_CALLBACK(on_mode_toggled), a);
	a->plan.mode_note = gui_label(box, mode_notes[0], NULL);
	a->plan.passphrase = gtk_password_entry_new();
	gui_name(a->plan.passphrase, "Service passphrase");
	gtk_widget_set_visible(a->plan.passphrase, FALSE);
	/* Typing only re-checks the button; Enter unlocks (plans with the passphrase). */
	g_signal_connect_swapped(a->plan.passphrase, "changed", G_CALLBACK(gui_flash_update_sensitive), a);
	g_signal_connect_swapped(a->plan.passphrase, "activate", G_CALLBACK(gui_plan_refresh), a);
	gtk_widget_set_tooltip_text(a->plan.passphrase, "Type the service passphrase, then press Enter");
	gtk_box_append(GTK_BOX(box), a->plan.passphrase);
	radio_row(box, "Scene:", scene_labels, a->plan.scenes, G_CALLBACK(on_scene_toggled), a);
	a->plan.scene_note = gui_label(box, scene_notes[0], NULL);
	a->plan.verdict = gui_label(box, "", NULL);
	a->plan.accept = gtk_check_button_new_with_label("I accept this risk");
	gtk_widget_set_visible(a->plan.accept, FALSE);
	g_signal_connect_swapped(a->plan.accept, "toggled", G_CALLBACK(gui_flash_update_sensitive), a);
	gtk_box_append(GTK_BOX(box), a->plan.accept);
}
