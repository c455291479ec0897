/* SPDX-License-Identifier: MIT */
/* After a flash: open its audit log, save its signed PDF report (with the
 * .minisig beside it), start the next phone. */
#include "app.h"

static void on_open_log(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	if (!a->fv.audit_log)
		return;
	char *uri = g_filename_to_uri(a->fv.audit_log, NULL, NULL);
	GError *err = NULL;
	if (uri && !g_app_info_launch_default_for_uri(uri, NULL, &err)) {
		char *msg = g_strdup_printf("No program opens %s: %s", a->fv.audit_log, err->message);
		gui_flash_show_result(a, msg, false);
		g_free(msg);
		g_error_free(err);
	}
	g_free(uri);
}

static bool copy_file(const char *from, const char *to, GError **err)
{
	GFile *src = g_file_new_for_path(from), *dst = g_file_new_for_path(to);
	bool ok = g_file_copy(src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, err);
	g_object_unref(src);
	g_object_unref(dst);
	return ok;
}

/* The report and its signature go together. */
static void save_report_to(struct gui_app *a, const char *to)
{
	GError *err = NULL;
	char *sig_from = g_strconcat(a->fv.report, ".minisig", NULL), *sig_to = g_strconcat(to, ".minisig", NULL);
	bool ok = copy_file(a->fv.report, to, &err) &&
		  (!g_file_test(sig_from, G_FILE_TEST_EXISTS) || copy_file(sig_from, sig_to, &err));
	char *msg = ok ? g_strdup_printf("Report saved: %s", to) : g_strdup_printf("Report not saved: %s", err->message);
	gtk_label_set_text(GTK_LABEL(a->fv.rate), msg);
	g_free(msg);
	if (err)
		g_error_free(err);
	g_free(sig_from);
	g_free(sig_to);
}

static void on_report_chosen(GtkNativeDialog *d, int response, gpointer user)
{
	if (response == GTK_RESPONSE_ACCEPT) {
		GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
		char *path = f ? g_file_get_path(f) : NULL;
		if (path)
			save_report_to(user, path);
		g_free(path);
		if (f)
			g_object_unref(f);
	}
	g_object_unref(d);
}

static void on_save_report(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	if (!a->fv.report)
		return;
	GtkFileChooserNative *fc = gtk_file_chooser_native_new("Save report", a->win, GTK_FILE_CHOOSER_ACTION_SAVE,
							       "_Save", "_Cancel");
	char *base = g_path_get_basename(a->fv.report);
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(fc), base);
	g_free(base);
	g_signal_connect(fc, "response", G_CALLBACK(on_report_chosen), a);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(fc));
}

static void on_next(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	gui_flash_show_result(a, "Not flashed yet.", true);
	gtk_widget_set_sensitive(a->fv.next, FALSE);
	gtk_widget_set_sensitive(a->fv.open_log, FALSE);
	gtk_widget_set_sensitive(a->fv.save_report, FALSE);
	gui_plan_refresh(a);
}

static GtkWidget *after_button(GtkWidget *row, const char *label, GCallback cb, struct gui_app *a)
{
	GtkWidget *b = gui_button(row, label, cb, a);
	gtk_widget_set_sensitive(b, FALSE);
	return b;
}

void gui_flash_after_build(struct gui_app *a, GtkWidget *box)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	a->fv.open_log = after_button(row, "Open audit log", G_CALLBACK(on_open_log), a);
	a->fv.save_report = after_button(row, "Save report", G_CALLBACK(on_save_report), a);
	a->fv.next = after_button(row, "Next phone", G_CALLBACK(on_next), a);
	gtk_box_append(GTK_BOX(box), row);
}
