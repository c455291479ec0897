/* SPDX-License-Identifier: MIT */
/* Batch: many phones at once, one tile per port with its stage, progress
 * and result; each phone is its own job on its own worker thread, with the
 * package, mode, scene and ticks of the window. */
#include <string.h>

#include "run.h"
#include "worker.h"

struct tile {
	struct gui_app *a;
	char *port;
	GtkWidget *stage, *bar, *result;
};

struct tile_msg {
	struct tile *t;
	int stage;
	double fraction; /* < 0: a stage message */
};

static void show_tile(void *arg)
{
	struct tile_msg *m = arg;
	if (m->fraction >= 0) {
		gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(m->t->bar), m->fraction);
		return;
	}
	char *text = g_strdup_printf("%s: running", mtk_job_stage_name((enum mtk_job_stage)m->stage));
	gtk_label_set_text(GTK_LABEL(m->t->stage), text);
	g_free(text);
}

static void post_tile(struct gui_run *r, int stage, double fraction)
{
	struct tile_msg *m = g_new0(struct tile_msg, 1);
	*m = (struct tile_msg){r->tile, stage, fraction};
	gui_post(show_tile, m, g_free);
}

static void tile_stage(void *user, enum mtk_job_stage stage, const char *event, const char *detail)
{
	(void)event;
	(void)detail;
	post_tile(user, (int)stage, -1);
}

/* Whole per-mille steps only: four phones must not flood the main loop. */
static void tile_progress(void *user, const struct mtk_job_progress *p)
{
	struct gui_run *r = user;
	if (!p->run_total)
		return;
	int permille = (int)(p->run_done * 1000 / p->run_total);
	if (permille == r->shown_permille)
		return;
	r->shown_permille = permille;
	post_tile(r, (int)p->stage, permille / 1000.0);
}

static void tile_work(void *data)
{
	struct gui_run *r = data;
	struct mtk_job_callbacks cb = {.user = r, .on_stage = tile_stage, .on_progress = tile_progress,
				       .decide = gui_flash_decide};
	r->rc = mtk_job_run(r->ctx, &r->o, &cb, &r->res);
}

static void set_result(struct tile *t, const char *text)
{
	gtk_label_set_text(GTK_LABEL(t->result), text);
	char *name = g_strdup_printf("Result %s: %s", t->port, text);
	gui_name(t->result, name);
	g_free(name);
}

static void tile_done(void *data)
{
	struct gui_run *r = data;
	struct tile *t = r->tile;
	bool good = r->res.outcome == MTK_JOB_VERIFIED;
	gtk_label_set_text(GTK_LABEL(t->stage), good ? "finish: done" : "stopped");
	if (good)
		gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(t->bar), 1);
	char *text = gui_result_text(&r->res);
	set_result(t, text);
	g_free(text);
	gtk_widget_add_css_class(t->result, good ? "result-good" : "result-bad");
	if (--t->a->batch.running == 0) {
		gtk_widget_set_sensitive(t->a->batch.start, TRUE);
		gtk_widget_set_sensitive(t->a->batch.cancel, FALSE);
	}
	gui_run_free(r);
}

static void free_tile(gpointer p)
{
	struct tile *t = p;
	g_free(t->port);
	g_free(t);
}

static struct tile *add_tile(struct gui_app *a, const char *port)
{
	struct tile *t = g_new0(struct tile, 1);
	t->a = a;
	t->port = g_strdup(port);
	GtkWidget *frame = gtk_frame_new(port);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	t->stage = gtk_label_new("waiting");
	t->bar = gtk_progress_bar_new();
	char *name = g_strdup_printf("Progress %s", port);
	gui_name(t->bar, name);
	g_free(name);
	t->result = gtk_label_new("");
	gtk_label_set_wrap(GTK_LABEL(t->result), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(t->result), 40);
	set_result(t, "not started");
	gtk_box_append(GTK_BOX(box), t->stage);
	gtk_box_append(GTK_BOX(box), t->bar);
	gtk_box_append(GTK_BOX(box), t->result);
	gtk_frame_set_child(GTK_FRAME(frame), box);
	gtk_flow_box_append(GTK_FLOW_BOX(a->batch.tiles), frame);
	g_object_set_data_full(G_OBJECT(frame), "tile", t, free_tile);
	return t;
}

static void start_tile(struct gui_app *a, struct tile *t)
{
	struct gui_run *r = gui_run_new(a);
	if (!r)
		return;
	g_free(r->port);
	r->port = g_strdup(t->port);
	r->o.port = r->port;
	r->o.report_path = NULL; /* one report per phone is the CLI's batch business */
	r->tile = t;
	r->shown_permille = -1;
	a->batch.running++;
	gui_worker_run(tile_work, tile_done, r);
}

/* GtkFlowBox has no remove_all before GTK 4.12. */
static void remove_tiles(GtkWidget *fb)
{
	GtkWidget *c;
	while ((c = gtk_widget_get_first_child(fb)))
		gtk_flow_box_remove(GTK_FLOW_BOX(fb), c);
}

static void on_start(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	if (a->batch.running || !a->have_pkg)
		return;
	remove_tiles(a->batch.tiles);
	char **ports = g_strsplit(gtk_editable_get_text(GTK_EDITABLE(a->batch.ports)), ";", -1);
	__atomic_store_n(&a->cancel, 0, __ATOMIC_RELAXED);
	for (char **p = ports; *p; p++) {
		char *port = g_strstrip(*p);
		if (port[0])
			start_tile(a, add_tile(a, port));
	}
	g_strfreev(ports);
	gtk_widget_set_sensitive(a->batch.start, a->batch.running == 0);
	gtk_widget_set_sensitive(a->batch.cancel, a->batch.running > 0);
}

static void on_cancel(GtkButton *b, gpointer user)
{
	(void)b;
	__atomic_store_n(&((struct gui_app *)user)->cancel, 1, __ATOMIC_RELAXED);
}

static char *initial_ports(struct gui_app *a)
{
	if (!a->batch.initial)
		return g_strdup("");
	g_ptr_array_add(a->batch.initial, NULL);
	char *s = g_strjoinv("; ", (char **)a->batch.initial->pdata);
	g_ptr_array_set_size(a->batch.initial, a->batch.initial->len - 1);
	return s;
}

void gui_batch_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *exp = gtk_expander_new("Batch: many phones at once");
	gtk_expander_set_expanded(GTK_EXPANDER(exp), a->batch.initial != NULL);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_append(GTK_BOX(row), gtk_label_new("Ports:"));
	a->batch.ports = gtk_entry_new();
	gtk_widget_set_hexpand(a->batch.ports, TRUE);
	gui_name(a->batch.ports, "Batch ports");
	gtk_widget_set_tooltip_text(a->batch.ports, "port specs separated by ';'");
	char *ports = initial_ports(a);
	gtk_editable_set_text(GTK_EDITABLE(a->batch.ports), ports);
	g_free(ports);
	gtk_box_append(GTK_BOX(row), a->batch.ports);
	a->batch.start = gui_button(row, "Flash all", G_CALLBACK(on_start), a);
	a->batch.cancel = gui_button(row, "Cancel all", G_CALLBACK(on_cancel), a);
	gtk_widget_set_sensitive(a->batch.cancel, FALSE);
	gtk_box_append(GTK_BOX(box), row);
	a->batch.tiles = gtk_flow_box_new();
	gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(a->batch.tiles), GTK_SELECTION_NONE);
	gtk_flow_box_set_max_children_per_line(GTK_FLOW_BOX(a->batch.tiles), 4);
	gtk_box_append(GTK_BOX(box), a->batch.tiles);
	gtk_expander_set_child(GTK_EXPANDER(exp), box);
	gtk_box_append(GTK_BOX(flow), exp);
}
