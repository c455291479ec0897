/* SPDX-License-Identifier: MIT */
/* History: the jobs the flash history holds (this window's flashes and the
 * CLI's alike, one database), filtered by result, and the selected job's
 * partitions and audit log.  Read on the worker; each refresh replaces the
 * rows. */
#include "app.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

/* The filter's entries: the first shows every job, the others are results as stored. */
static const char *const filters[] = {"Any result", "verified", "failed", "rolled-back", "refused", "done", NULL};

char *gui_data_file(const char *leaf)
{
	/* The CLI's rule (XDG): a relative $XDG_DATA_HOME is ignored, then ~/.local/share. */
	const char *xdg = g_getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/')
		return g_build_filename(xdg, "mtkflash", leaf, NULL);
	return g_build_filename(g_get_home_dir(), ".local", "share", "mtkflash", leaf, NULL);
}

/* The target the library's jobs write to (mtkflash/job.h): $MTKFLASH_HISTORY, else the default file. */
static char *history_target(void)
{
	const char *env = g_getenv("MTKFLASH_HISTORY");
	return env && env[0] ? g_strdup(env) : gui_data_file("history.db");
}

struct hist_load {
	struct gui_app *a;
	char *target, *result;
	struct mtk_history_record *recs;
	size_t n;
	int rc;
	char error[320];
};

static bool is_server(const char *t)
{
	return g_str_has_prefix(t, "postgresql://") || g_str_has_prefix(t, "postgres://");
}

static void hist_work(void *data)
{
	struct hist_load *l = data;
	/* Looking must not create an empty database where no job ran yet. */
	if (!is_server(l->target) && !g_file_test(l->target, G_FILE_TEST_EXISTS))
		return;
	mtk_ctx *ctx = mtk_ctx_new();
	if (!ctx) {
		l->rc = -1;
		g_strlcpy(l->error, "out of memory", sizeof l->error);
		return;
	}
	struct mtk_history *h = NULL;
	struct mtk_history_filter f = {.result = l->result, .limit = 500};
	l->rc = mtk_history_open(ctx, l->target, NULL, &h);
	if (l->rc >= 0)
		l->rc = mtk_history_list(h, &f, &l->recs, &l->n);
	if (l->rc < 0)
		g_strlcpy(l->error, mtk_ctx_error(ctx), sizeof l->error);
	mtk_history_close(h);
	mtk_ctx_free(ctx);
}

static void free_recs(struct mtk_history_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mtk_history_record_free(&r[i]);
	free(r);
}

/* The scatter's folder names the package; its file name alone is the chip's. */
static char *package_name(const char *scatter)
{
	if (!scatter[0])
		return g_strdup("-");
	char *dir = g_path_get_dirname(scatter), *folder = g_path_get_basename(dir), *file = g_path_get_basename(scatter);
	char *name = g_build_filename(folder, file, NULL);
	g_free(dir);
	g_free(folder);
	g_free(file);
	return name;
}

static char *row_text(const struct mtk_history_record *r)
{
	char *pkg = package_name(r->scatter);
	char *t = g_strdup_printf("%s  %s  %s  %s  %s", r->started, r->device_id[0] ? r->device_id : "-", r->kind,
				  r->result[0] ? r->result : "-", pkg);
	g_free(pkg);
	return t;
}

static void show_detail(struct gui_app *a, const struct mtk_history_record *r)
{
	struct gui_history_view *v = &a->hist;
	char *res = r ? g_strdup_printf("Job %s: %s%s%s", r->job_id, r->result, r->error[0] ? " — " : "", r->error)
		      : g_strdup("No job selected.");
	gtk_label_set_text(GTK_LABEL(v->result), res);
	char *name = g_strdup_printf("Job result: %s", res);
	gui_name(v->result, name);
	GString *parts = g_string_new(NULL);
	for (size_t i = 0; r && i < r->nparts; i++)
		g_string_append_printf(parts, "%s%s %s: %s, %" G_GUINT64_FORMAT " bytes%s", i ? "\n" : "",
				       r->parts[i].stage, r->parts[i].name, r->parts[i].state, r->parts[i].bytes,
				       r->parts[i].verified ? ", verified" : "");
	gtk_label_set_text(GTK_LABEL(v->parts), parts->len ? parts->str : "No partitions recorded.");
	bool log = r && r->audit_log[0];
	char *audit = g_strdup_printf("Audit log: %s", log ? r->audit_log : "none");
	gtk_label_set_text(GTK_LABEL(v->audit), audit);
	gtk_widget_set_sensitive(v->open_log, log);
	g_free(audit);
	g_string_free(parts, TRUE);
	g_free(name);
	g_free(res);
}

static const struct mtk_history_record *selected(struct gui_app *a)
{
	GtkListBoxRow *row = gtk_list_box_get_selected_row(GTK_LIST_BOX(a->hist.list));
	int i = row ? gtk_list_box_row_get_index(row) : -1;
	return i >= 0 && (size_t)i < a->hist.nrecs ? &a->hist.recs[i] : NULL;
}

static void on_selected(GtkListBox *box, GtkListBoxRow *row, gpointer user)
{
	(void)box;
	(void)row;
	struct gui_app *a = user;
	show_detail(a, selected(a));
}

static void fill_rows(struct gui_app *a)
{
	GtkListBox *list = GTK_LIST_BOX(a->hist.list);
	gui_list_clear(a->hist.list);
	for (size_t i = 0; i < a->hist.nrecs; i++) {
		char *t = row_text(&a->hist.recs[i]);
		gui_list_add(a->hist.list, t);
		g_free(t);
	}
	if (a->hist.nrecs)
		gtk_list_box_select_row(list, gtk_list_box_get_row_at_index(list, 0));
	else
		show_detail(a, NULL);
}

static void hist_done(void *data)
{
	struct hist_load *l = data;
	struct gui_app *a = l->a;
	free_recs(a->hist.recs, a->hist.nrecs);
	a->hist.recs = l->recs;
	a->hist.nrecs = l->rc < 0 ? 0 : l->n;
	char *count = l->rc < 0 ? g_strdup_printf("The history cannot be read: %s", l->error)
				: g_strdup_printf("%zu jobs in %s", a->hist.nrecs, l->target);
	gtk_label_set_text(GTK_LABEL(a->hist.count), count);
	g_free(count);
	fill_rows(a);
	a->hist.loading = false;
	g_free(l->target);
	g_free(l->result);
	g_free(l);
	if (a->hist.again) {
		a->hist.again = false;
		gui_history_refresh(a);
	}
}

void gui_history_refresh(struct gui_app *a)
{
	if (a->hist.loading) {
		a->hist.again = true;
		return;
	}
	a->hist.loading = true;
	struct hist_load *l = g_new0(struct hist_load, 1);
	l->a = a;
	l->target = history_target();
	guint f = gtk_drop_down_get_selected(GTK_DROP_DOWN(a->hist.filter));
	l->result = f > 0 && f < G_N_ELEMENTS(filters) - 1 ? g_strdup(filters[f]) : NULL;
	gui_worker_run(hist_work, hist_done, l);
}

static void on_filter(GObject *o, GParamSpec *ps, gpointer user)
{
	(void)o;
	(void)ps;
	gui_history_refresh(user);
}

static void on_refresh(GtkButton *b, gpointer user)
{
	(void)b;
	gui_history_refresh(user);
}

static void on_open_log(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	const struct mtk_history_record *r = selected(a);
	if (!r || !r->audit_log[0])
		return;
	char *uri = g_filename_to_uri(r->audit_log, NULL, NULL);
	GError *err = NULL;
	if (uri && !g_app_info_launch_default_for_uri(uri, NULL, &err)) {
		char *msg = g_strdup_printf("No program opens %s: %s", r->audit_log, err->message);
		gtk_label_set_text(GTK_LABEL(a->hist.audit), msg);
		g_free(msg);
		g_error_free(err);
	}
	g_free(uri);
}

static GtkWidget *toolbar(struct gui_app *a)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_append(GTK_BOX(row), gtk_label_new("Show:"));
	a->hist.filter = gtk_drop_down_new_from_strings(filters);
	gui_name(a->hist.filter, "Result filter");
	g_signal_connect(a->hist.filter, "notify::selected", G_CALLBACK(on_filter), a);
	gtk_box_append(GTK_BOX(row), a->hist.filter);
	gui_button(row, "Refresh history", G_CALLBACK(on_refresh), a);
	return row;
}

void gui_history_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *box = gui_section(flow, "History");
	gtk_box_append(GTK_BOX(box), toolbar(a));
	a->hist.count = gui_label(box, "Reading the history…", NULL);
	a->hist.list = gtk_list_box_new();
	gui_name(a->hist.list, "History");
	g_signal_connect(a->hist.list, "row-selected", G_CALLBACK(on_selected), a);
	GtkWidget *scroll = gtk_scrolled_window_new();
	gtk_widget_set_size_request(scroll, -1, 160);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), a->hist.list);
	gtk_box_append(GTK_BOX(box), scroll);
	a->hist.result = gui_label(box, "No job selected.", "Job result: No job selected.");
	a->hist.parts = gui_label(box, "", NULL);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	a->hist.audit = gui_label(row, "Audit log: none", NULL);
	a->hist.open_log = gui_button(row, "Open audit log", G_CALLBACK(on_open_log), a);
	gui_name(a->hist.open_log, "Open the job's audit log");
	gtk_widget_set_sensitive(a->hist.open_log, FALSE);
	gtk_box_append(GTK_BOX(box), row);
	gui_history_refresh(a);
}
