/* SPDX-License-Identifier: MIT */
/* Backups: the NVRAM backup store the flashes and `mtkflash backup create`
 * fill ($XDG_DATA_HOME/mtkflash/backups), and a check of the selected one.
 * Making and restoring backups stay with the CLI (docs/gui.md). */
#include "app.h"
#include "mtkflash/backup.h"
#include "worker.h"

#include <inttypes.h>
#include <string.h>

struct bk_load {
	struct gui_app *a;
	char *root;
	struct mtk_backup_list list;
	int rc;
	char error[320];
	char id[MTK_BACKUP_ID_MAX]; /* verify: the backup checked */
	char *verdict;              /* verify: the result in words */
};

static struct bk_load *bk_new(struct gui_app *a)
{
	struct bk_load *l = g_new0(struct bk_load, 1);
	l->a = a;
	l->root = gui_data_file("backups");
	return l;
}

static void bk_free(struct bk_load *l)
{
	mtk_backup_list_free(&l->list);
	g_free(l->root);
	g_free(l->verdict);
	g_free(l);
}

/* Runs fn on the worker with a fresh context; its error text is kept. */
static void with_ctx(struct bk_load *l, int (*fn)(mtk_ctx *ctx, struct bk_load *l))
{
	mtk_ctx *ctx = mtk_ctx_new();
	l->rc = ctx ? fn(ctx, l) : -1;
	if (l->rc < 0)
		g_strlcpy(l->error, ctx ? mtk_ctx_error(ctx) : "out of memory", sizeof l->error);
	mtk_ctx_free(ctx);
}

static int list_fn(mtk_ctx *ctx, struct bk_load *l)
{
	return mtk_backup_list(ctx, l->root, NULL, &l->list);
}

static void list_work(void *data)
{
	with_ctx(data, list_fn);
}

static char *row_text(const struct mtk_backup *b)
{
	if (b->damaged[0])
		return g_strdup_printf("%s  damaged: %s", b->id, b->damaged);
	return g_strdup_printf("%s  %s  %s  %zu partitions  %" PRIu64 " bytes", b->id, b->device_id, b->created,
			       b->count, b->bytes);
}

static void fill_rows(struct gui_app *a, const struct mtk_backup_list *list)
{
	GtkListBox *box = GTK_LIST_BOX(a->backups.list);
	gui_list_clear(a->backups.list);
	g_ptr_array_set_size(a->backups.ids, 0);
	for (size_t i = 0; i < list->count; i++) {
		char *t = row_text(&list->items[i]);
		gui_list_add(a->backups.list, t);
		g_ptr_array_add(a->backups.ids, g_strdup(list->items[i].id));
		g_free(t);
	}
	if (list->count)
		gtk_list_box_select_row(box, gtk_list_box_get_row_at_index(box, (int)list->count - 1));
}

static void list_done(void *data)
{
	struct bk_load *l = data;
	struct gui_app *a = l->a;
	char *count = l->rc < 0 ? g_strdup_printf("The backup store cannot be read: %s", l->error)
				: g_strdup_printf("%zu backups in %s", l->list.count, l->root);
	gtk_label_set_text(GTK_LABEL(a->backups.count), count);
	g_free(count);
	fill_rows(a, &l->list);
	a->backups.loading = false;
	bk_free(l);
	if (a->backups.again) {
		a->backups.again = false;
		gui_backups_refresh(a);
	}
}

void gui_backups_refresh(struct gui_app *a)
{
	if (a->backups.loading) {
		a->backups.again = true;
		return;
	}
	a->backups.loading = true;
	gui_worker_run(list_work, list_done, bk_new(a));
}

static char *verdict(const struct mtk_backup *b, int rc, const char *error)
{
	if (rc >= 0)
		return g_strdup_printf("Backup %s verifies: all %zu partitions present with their recorded size and "
				       "SHA-256.", b->id, b->count);
	return g_strdup_printf("Backup %s does not verify: %s", b->id[0] ? b->id : "?", error);
}

static int verify_fn(mtk_ctx *ctx, struct bk_load *l)
{
	struct mtk_backup b;
	memset(&b, 0, sizeof b);
	int rc = mtk_backup_verify(ctx, l->root, l->id, &b);
	if (!b.id[0])
		g_strlcpy(b.id, l->id, sizeof b.id);
	l->verdict = verdict(&b, rc, mtk_ctx_error(ctx));
	mtk_backup_free(&b);
	return rc;
}

static void verify_work(void *data)
{
	with_ctx(data, verify_fn);
}

static void show_status(struct gui_app *a, const char *text)
{
	gtk_label_set_text(GTK_LABEL(a->backups.status), text);
	char *name = g_strdup_printf("Backup check: %s", text);
	gui_name(a->backups.status, name);
	g_free(name);
}

static void verify_done(void *data)
{
	struct bk_load *l = data;
	struct gui_app *a = l->a;
	show_status(a, l->verdict ? l->verdict : l->error);
	a->backups.verifying = false;
	gtk_widget_set_sensitive(a->backups.verify, TRUE);
	bk_free(l);
}

static void on_verify(GtkButton *b, gpointer user)
{
	(void)b;
	struct gui_app *a = user;
	GtkListBoxRow *row = gtk_list_box_get_selected_row(GTK_LIST_BOX(a->backups.list));
	int i = row ? gtk_list_box_row_get_index(row) : -1;
	if (a->backups.verifying || i < 0 || (guint)i >= a->backups.ids->len) {
		if (i < 0)
			show_status(a, "Choose a backup in the list first.");
		return;
	}
	struct bk_load *l = bk_new(a);
	g_strlcpy(l->id, g_ptr_array_index(a->backups.ids, i), sizeof l->id);
	a->backups.verifying = true;
	gtk_widget_set_sensitive(a->backups.verify, FALSE);
	show_status(a, "Checking the backup's files…");
	gui_worker_run(verify_work, verify_done, l);
}

static void on_refresh(GtkButton *b, gpointer user)
{
	(void)b;
	gui_backups_refresh(user);
}

void gui_backups_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *box = gui_section(flow, "Backups");
	a->backups.ids = g_ptr_array_new_with_free_func(g_free);
	a->backups.count = gui_label(box, "Reading the backup store…", NULL);
	a->backups.list = gtk_list_box_new();
	gui_name(a->backups.list, "Backups");
	GtkWidget *scroll = gtk_scrolled_window_new();
	gtk_widget_set_size_request(scroll, -1, 120);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), a->backups.list);
	gtk_box_append(GTK_BOX(box), scroll);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	a->backups.verify = gui_button(row, "Verify backup", G_CALLBACK(on_verify), a);
	gui_button(row, "Refresh backups", G_CALLBACK(on_refresh), a);
	gtk_box_append(GTK_BOX(box), row);
	a->backups.status = gui_label(box, "", "Backup check: not checked yet");
	gui_backups_refresh(a);
}
