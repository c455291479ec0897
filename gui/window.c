/* SPDX-License-Identifier: MIT */
/* The window: a header bar with "Open package", then the flow from top to
 * bottom (Device, Package, Plan and risk, Flash), in the order Tab walks it. */
#include "app.h"

void gui_name(GtkWidget *w, const char *name)
{
	gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

GtkWidget *gui_section(GtkWidget *parent, const char *title)
{
	GtkWidget *frame = gtk_frame_new(NULL);
	GtkWidget *head = gtk_label_new(NULL);
	char *markup = g_markup_printf_escaped("<b>%s</b>", title);
	gtk_label_set_markup(GTK_LABEL(head), markup);
	g_free(markup);
	gtk_frame_set_label_widget(GTK_FRAME(frame), head);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_set_margin_start(box, 10);
	gtk_widget_set_margin_end(box, 10);
	gtk_widget_set_margin_top(box, 6);
	gtk_widget_set_margin_bottom(box, 10);
	gtk_frame_set_child(GTK_FRAME(frame), box);
	gtk_box_append(GTK_BOX(parent), frame);
	return box;
}

GtkWidget *gui_label(GtkWidget *box, const char *text, const char *name)
{
	GtkWidget *l = gtk_label_new(text);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_selectable(GTK_LABEL(l), FALSE);
	if (name)
		gui_name(l, name);
	gtk_box_append(GTK_BOX(box), l);
	return l;
}

/* Plain labels, no mnemonics: GTK 4.8 puts the underscore into the accessible name. */
GtkWidget *gui_button(GtkWidget *box, const char *label, GCallback cb, void *user)
{
	GtkWidget *b = gtk_button_new_with_label(label);
	g_signal_connect(b, "clicked", cb, user);
	if (box)
		gtk_box_append(GTK_BOX(box), b);
	return b;
}

static void on_open_clicked(GtkButton *b, gpointer user);

static gboolean on_drop(GtkDropTarget *t, const GValue *v, double x, double y, gpointer user)
{
	(void)t;
	(void)x;
	(void)y;
	if (!G_VALUE_HOLDS(v, GDK_TYPE_FILE_LIST))
		return FALSE;
	GSList *files = g_value_get_boxed(v);
	char *path = files ? g_file_get_path(files->data) : NULL;
	if (path)
		gui_package_open(user, path);
	g_free(path);
	return path != NULL;
}

static void add_drop_target(struct gui_app *a, GtkWidget *w)
{
	GtkDropTarget *t = gtk_drop_target_new(GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
	g_signal_connect(t, "drop", G_CALLBACK(on_drop), a);
	gtk_widget_add_controller(w, GTK_EVENT_CONTROLLER(t));
}

static gboolean on_close(GtkWindow *w, gpointer user)
{
	struct gui_app *a = user;
	gtk_window_get_default_size(w, &a->settings.width, &a->settings.height);
	if (a->busy)
		__atomic_store_n(&a->cancel, 1, __ATOMIC_RELAXED);
	gui_settings_save(&a->settings);
	return FALSE;
}

static GtkWidget *header(struct gui_app *a)
{
	GtkWidget *hb = gtk_header_bar_new();
	GtkWidget *open = gui_button(NULL, "Open package", G_CALLBACK(on_open_clicked), a);
	gtk_widget_set_tooltip_text(open, "Choose a scatter file or a firmware folder (Ctrl+O); or drop one here");
	gtk_header_bar_pack_start(GTK_HEADER_BAR(hb), open);
	a->pv.open = open;
	return hb;
}

static void on_open_clicked(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	GtkFileChooserNative *fc = gtk_file_chooser_native_new("Open package", a->win, GTK_FILE_CHOOSER_ACTION_OPEN,
							       "_Open", "_Cancel");
	if (a->settings.last_folder) {
		GFile *f = g_file_new_for_path(a->settings.last_folder);
		gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(fc), f, NULL);
		g_object_unref(f);
	}
	GtkFileFilter *flt = gtk_file_filter_new();
	gtk_file_filter_set_name(flt, "Scatter files");
	gtk_file_filter_add_pattern(flt, "*_scatter.txt");
	gtk_file_filter_add_pattern(flt, "*_scatter.xml");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(fc), flt);
	g_signal_connect(fc, "response", G_CALLBACK(gui_package_chosen), a);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(fc));
}

static void add_shortcut(struct gui_app *a)
{
	GtkEventController *sc = gtk_shortcut_controller_new();
	gtk_shortcut_controller_set_scope(GTK_SHORTCUT_CONTROLLER(sc), GTK_SHORTCUT_SCOPE_GLOBAL);
	GtkShortcut *s = gtk_shortcut_new(gtk_shortcut_trigger_parse_string("<Control>o"),
					  gtk_signal_action_new("clicked"));
	gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(sc), s);
	gtk_widget_add_controller(a->pv.open, sc);
}

void gui_window_build(struct gui_app *a)
{
	GtkWidget *w = gtk_application_window_new(a->gtk);
	a->win = GTK_WINDOW(w);
	gtk_window_set_title(a->win, "mtkflash");
	gtk_window_set_icon_name(a->win, "mtkflash-gtk");
	gtk_window_set_default_size(a->win, a->settings.width, a->settings.height);
	gtk_window_set_titlebar(a->win, header(a));
	GtkWidget *flow = gtk_box_new(GTK_ORIENTATION_VERTICAL, 10);
	gtk_widget_set_margin_start(flow, 12);
	gtk_widget_set_margin_end(flow, 12);
	gtk_widget_set_margin_top(flow, 12);
	gtk_widget_set_margin_bottom(flow, 12);
	gui_device_view_build(a, flow);
	gui_package_view_build(a, flow);
	gui_plan_view_build(a, flow);
	gui_flash_view_build(a, flow);
	gui_batch_build(a, flow);
	gui_history_build(a, flow);
	gui_backups_build(a, flow);
	gui_console_build(a, flow);
	GtkWidget *scroll = gtk_scrolled_window_new();
	/* Text wraps to the window's width; only the flow scrolls, downwards. */
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), flow);
	gtk_window_set_child(a->win, scroll);
	add_drop_target(a, w);
	add_shortcut(a);
	g_signal_connect(w, "close-request", G_CALLBACK(on_close), a);
	gtk_window_present(a->win);
}

/* GTK 4.8 has no gtk_list_box_remove_all. */
void gui_list_clear(GtkWidget *list)
{
	GtkWidget *row;
	while ((row = gtk_widget_get_first_child(list)))
		gtk_list_box_remove(GTK_LIST_BOX(list), row);
}

/* A row that reads as its text, for the screen reader and the tests. */
void gui_list_add(GtkWidget *list, const char *text)
{
	GtkWidget *l = gtk_label_new(text);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gui_name(l, text);
	gtk_list_box_append(GTK_LIST_BOX(list), l);
}
