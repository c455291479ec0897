/* SPDX-License-Identifier: MIT */
/* Package: the scatter file or folder, what `inspect` finds in it, and the
 * partition list with SP Flash Tool's tick boxes. */
#include "app.h"
#include "run.h"
#include "worker.h"

struct load_job {
	struct gui_app *a;
	char *path;
	char *trust_dir;
	const char *virtual_key;
	struct gui_pkg pkg;
	int rc;
	char error[512];
};

static void load_work(void *data)
{
	struct load_job *j = data;
	mtk_ctx *ctx = mtk_ctx_new();
	j->rc = ctx ? gui_pkg_load(ctx, j->path, j->trust_dir, j->virtual_key, &j->pkg) : MTK_E_NOMEM;
	if (j->rc < 0)
		g_strlcpy(j->error, ctx ? mtk_ctx_error(ctx) : "out of memory", sizeof j->error);
	mtk_ctx_free(ctx);
}

static char *human_size(uint64_t n)
{
	return g_format_size_full(n, G_FORMAT_SIZE_IEC_UNITS);
}

static GtkWidget *part_row(struct gui_app *a, const struct gui_pkg_image *im, size_t i)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	GtkWidget *tick = gtk_check_button_new_with_label(im->name);
	gtk_check_button_set_active(GTK_CHECK_BUTTON(tick), im->tick);
	gtk_widget_set_sensitive(tick, im->file && im->present);
	gtk_widget_set_size_request(tick, 160, -1);
	if (im->why[0])
		gtk_accessible_update_property(GTK_ACCESSIBLE(tick), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, im->why, -1);
	char *size = human_size(im->size);
	char *info = im->present ? g_strdup_printf("%s  SHA-256 %.16s…%s%s", size, im->sha256,
						  im->checksum[0] ? "  Checksum.ini: " : "", im->checksum)
				 : g_strdup(im->file ? im->file : "");
	GtkWidget *detail = gtk_label_new(info);
	gtk_label_set_xalign(GTK_LABEL(detail), 0);
	gtk_label_set_ellipsize(GTK_LABEL(detail), PANGO_ELLIPSIZE_END);
	gtk_widget_set_hexpand(detail, TRUE);
	GtkWidget *why = gtk_label_new(im->why[0] ? im->why : "");
	gtk_label_set_xalign(GTK_LABEL(why), 0);
	gtk_label_set_wrap(GTK_LABEL(why), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(why), 40);
	gtk_widget_add_css_class(why, "dim-label");
	gtk_box_append(GTK_BOX(row), tick);
	gtk_box_append(GTK_BOX(row), detail);
	gtk_box_append(GTK_BOX(row), why);
	g_free(size);
	g_free(info);
	a->pv.ticks[i] = tick;
	g_signal_connect_swapped(tick, "toggled", G_CALLBACK(gui_plan_refresh), a);
	return row;
}

static void clear_parts(struct gui_app *a)
{
	GtkWidget *c;
	while ((c = gtk_widget_get_first_child(a->pv.parts)))
		gtk_list_box_remove(GTK_LIST_BOX(a->pv.parts), c);
	g_free(a->pv.ticks);
	a->pv.ticks = NULL;
	a->pv.nticks = 0;
}

static void show_package(struct gui_app *a)
{
	const struct gui_pkg *p = &a->pkg;
	clear_parts(a);
	a->pv.ticks = g_new0(GtkWidget *, p->nimg ? p->nimg : 1);
	a->pv.nticks = p->nimg;
	size_t found = 0;
	for (size_t i = 0; i < p->nimg; i++) {
		found += p->img[i].present;
		gtk_list_box_append(GTK_LIST_BOX(a->pv.parts), part_row(a, &p->img[i], i));
	}
	char *sum = g_strdup_printf("%s scatter for %s: %zu partitions, %zu images found%s.",
				    mtk_scatter_format_name(p->sc.format), p->sc.platform ? p->sc.platform : "an unnamed chip",
				    p->nimg, found, p->problems ? ", with problems in the layout" : "");
	gtk_label_set_text(GTK_LABEL(a->pv.summary), sum);
	g_free(sum);
	gtk_label_set_text(GTK_LABEL(a->pv.signature), p->signature);
	gtk_label_set_text(GTK_LABEL(a->pv.checksums), p->checksums);
}

static void load_done(void *data)
{
	struct load_job *j = data;
	struct gui_app *a = j->a;
	a->busy = false;
	gtk_widget_set_sensitive(a->pv.open, TRUE);
	if (j->rc < 0) {
		gtk_label_set_text(GTK_LABEL(a->pv.summary), j->error);
	} else {
		gui_pkg_free(&a->pkg);
		a->pkg = j->pkg;
		a->have_pkg = true;
		gtk_label_set_text(GTK_LABEL(a->pv.path), a->pkg.scatter);
		g_free(a->settings.last_folder);
		a->settings.last_folder = g_strdup(a->pkg.dir);
		show_package(a);
		gui_plan_refresh(a);
	}
	g_free(j->path);
	g_free(j->trust_dir);
	g_free(j);
}

void gui_package_open(struct gui_app *a, const char *path)
{
	if (a->busy)
		return;
	struct load_job *j = g_new0(struct load_job, 1);
	j->a = a;
	j->path = g_strdup(path);
	j->trust_dir = g_build_filename(g_get_user_config_dir(), "mtkflash", "trusted-keys", NULL);
	if (a->port && g_str_has_prefix(a->port, "emu:"))
		j->virtual_key = gui_build_demo_key();
	a->busy = true;
	gtk_widget_set_sensitive(a->pv.open, FALSE);
	gtk_label_set_text(GTK_LABEL(a->pv.summary), "Reading the package and hashing its images…");
	gui_worker_run(load_work, load_done, j);
}

void gui_package_chosen(GtkNativeDialog *d, int response, gpointer user)
{
	if (response == GTK_RESPONSE_ACCEPT) {
		GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
		char *path = f ? g_file_get_path(f) : NULL;
		if (path)
			gui_package_open(user, path);
		g_free(path);
		if (f)
			g_object_unref(f);
	}
	g_object_unref(d);
}

char **gui_package_unticked(struct gui_app *a)
{
	GPtrArray *v = g_ptr_array_new();
	for (size_t i = 0; i < a->pv.nticks; i++)
		if (!gtk_check_button_get_active(GTK_CHECK_BUTTON(a->pv.ticks[i])))
			g_ptr_array_add(v, g_strdup(a->pkg.img[i].name));
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

void gui_package_view_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *box = gui_section(flow, "Package");
	a->pv.path = gui_label(box, "No package open: use Open package (Ctrl+O) or drop a scatter file or folder here.",
			       NULL);
	a->pv.summary = gui_label(box, "", NULL);
	a->pv.signature = gui_label(box, "", NULL);
	a->pv.checksums = gui_label(box, "", NULL);
	a->pv.parts = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(a->pv.parts), GTK_SELECTION_NONE);
	gui_name(a->pv.parts, "Partitions");
	gtk_box_append(GTK_BOX(box), a->pv.parts);
}
