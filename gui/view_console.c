/* SPDX-License-Identifier: MIT */
/* The Advanced console, for technicians: the library's live log at a
 * chosen level, in a pane folded away by default. */
#include "run.h"
#include "worker.h"

/* Older lines are dropped past this many, so a SPEW session stays usable. */
#define CONSOLE_MAX_LINES 5000

static const char *const level_names[] = {"Errors", "Warnings", "Info", "Debug", "Every transfer (spew)", NULL};

struct log_line {
	struct gui_app *a;
	char *text;
};

static void free_line(void *p)
{
	struct log_line *l = p;
	g_free(l->text);
	g_free(l);
}

static void show_line(void *p)
{
	struct log_line *l = p;
	GtkTextBuffer *b = gtk_text_view_get_buffer(GTK_TEXT_VIEW(l->a->console.view));
	GtkTextIter end;
	gtk_text_buffer_get_end_iter(b, &end);
	gtk_text_buffer_insert(b, &end, l->text, -1);
	gtk_text_buffer_insert(b, &end, "\n", 1);
	if (gtk_text_buffer_get_line_count(b) > CONSOLE_MAX_LINES) {
		GtkTextIter start, cut;
		gtk_text_buffer_get_start_iter(b, &start);
		gtk_text_buffer_get_iter_at_line(b, &cut, gtk_text_buffer_get_line_count(b) - CONSOLE_MAX_LINES);
		gtk_text_buffer_delete(b, &start, &cut);
	}
}

/* Called on the worker thread by the library. */
static void on_log(void *user, enum mtk_log_level level, const char *msg)
{
	struct gui_app *a = user;
	static const char *const tags[] = {"error", "warn", "info", "debug", "spew"};
	struct log_line *l = g_new0(struct log_line, 1);
	l->a = a;
	l->text = g_strdup_printf("%s: %s", tags[level <= MTK_LOG_SPEW ? level : MTK_LOG_SPEW], msg);
	gui_post(show_line, l, free_line);
}

void gui_console_attach(struct gui_app *a, mtk_ctx *ctx)
{
	guint level = gtk_drop_down_get_selected(GTK_DROP_DOWN(a->console.level));
	mtk_ctx_set_log(ctx, on_log, a, level <= MTK_LOG_SPEW ? (enum mtk_log_level)level : MTK_LOG_INFO);
}

static void on_clear(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(a->console.view)), "", 0);
}

void gui_console_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *exp = gtk_expander_new("Advanced console");
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_append(GTK_BOX(row), gtk_label_new("Log level:"));
	a->console.level = gtk_drop_down_new_from_strings(level_names);
	gtk_drop_down_set_selected(GTK_DROP_DOWN(a->console.level), MTK_LOG_INFO);
	gui_name(a->console.level, "Log level");
	gtk_box_append(GTK_BOX(row), a->console.level);
	gui_button(row, "Clear log", G_CALLBACK(on_clear), a);
	gtk_box_append(GTK_BOX(box), row);
	a->console.view = gtk_text_view_new();
	gtk_text_view_set_editable(GTK_TEXT_VIEW(a->console.view), FALSE);
	gtk_text_view_set_monospace(GTK_TEXT_VIEW(a->console.view), TRUE);
	gui_name(a->console.view, "Log");
	GtkWidget *scroll = gtk_scrolled_window_new();
	gtk_widget_set_size_request(scroll, -1, 220);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), a->console.view);
	gtk_box_append(GTK_BOX(box), scroll);
	gtk_expander_set_child(GTK_EXPANDER(exp), box);
	gtk_box_append(GTK_BOX(flow), exp);
}
