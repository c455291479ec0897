/* SPDX-License-Identifier: MIT */
/* mtkflash-gtk [--port SPEC] [PACKAGE]: the verified flash in a window. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "emu_glue.h"
#include "run.h"
#include "style.h"

static const char usage[] = "Usage: mtkflash-gtk [--port SPEC] [--batch-port SPEC]... [PACKAGE]\n"
			    "  --port SPEC  auto (default), usb:BUS:ADDR, serial:PATH, emu:CHIP[,state=DIR]\n"
			    "  --batch-port SPEC  a phone of the Batch view (repeatable)\n"
			    "  PACKAGE      a scatter file or the folder holding one\n";

/* Our own options first: GApplication would take PACKAGE as a file to open. */
static int parse_args(struct gui_app *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		} else if (strcmp(s, "--version") == 0) {
			printf("mtkflash-gtk %s\n", MTKFLASH_VERSION);
			return 1;
		} else if (strcmp(s, "--port") == 0 && i + 1 < argc) {
			a->port = g_strdup(argv[++i]);
		} else if (strcmp(s, "--batch-port") == 0 && i + 1 < argc) {
			if (!a->batch.initial)
				a->batch.initial = g_ptr_array_new_with_free_func(g_free);
			g_ptr_array_add(a->batch.initial, g_strdup(argv[++i]));
		} else if (strncmp(s, "--port=", 7) == 0) {
			a->port = g_strdup(s + 7);
		} else if (s[0] == '-' || a->initial_pkg) {
			fprintf(stderr, "mtkflash-gtk: unexpected argument '%s'\n%s", s, usage);
			return 2;
		} else {
			a->initial_pkg = g_strdup(s);
		}
	}
	return 0;
}

static void on_activate(GtkApplication *app, gpointer user)
{
	struct gui_app *a = user;
	if (a->win) {
		gtk_window_present(a->win);
		return;
	}
	a->gtk = app;
	gui_style_install();
	gui_window_build(a);
	if (a->initial_pkg)
		gui_package_open(a, a->initial_pkg);
}

int main(int argc, char **argv)
{
	static struct gui_app app;
	int rc = parse_args(&app, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (gui_emu_register() < 0)
		fprintf(stderr, "mtkflash-gtk: the emu: port is not available\n");
	g_mutex_init(&app.fv.lock);
	gui_build_da(); /* decides now whether this copy runs from its build tree */
	gui_settings_load(&app.settings);
	GtkApplication *gtk = gtk_application_new("org.mtkflash.Gtk", G_APPLICATION_NON_UNIQUE);
	g_signal_connect(gtk, "activate", G_CALLBACK(on_activate), &app);
	char *args[] = {argv[0], NULL};
	rc = g_application_run(G_APPLICATION(gtk), 1, args);
	g_object_unref(gtk);
	gui_pkg_free(&app.pkg);
	gui_settings_free(&app.settings);
	g_free(app.port);
	g_free(app.initial_pkg);
	return rc;
}
