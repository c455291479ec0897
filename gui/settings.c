/* SPDX-License-Identifier: MIT */
#include "settings.h"

#include <glib.h>
#include <glib/gstdio.h>

#define GROUP "window"

/* g_get_user_config_dir honours $XDG_CONFIG_HOME, which the tests set. */
static char *settings_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "mtkflash", "gtk.ini", NULL);
}

static int int_or(GKeyFile *kf, const char *key, int fallback, int lo, int hi)
{
	GError *err = NULL;
	int v = g_key_file_get_integer(kf, GROUP, key, &err);
	if (err) {
		g_error_free(err);
		return fallback;
	}
	return v < lo || v > hi ? fallback : v;
}

void gui_settings_load(struct gui_settings *s)
{
	s->width = 900;
	s->height = 760;
	s->last_folder = NULL;
	char *path = settings_path();
	GKeyFile *kf = g_key_file_new();
	if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL)) {
		s->width = int_or(kf, "width", s->width, 320, 16384);
		s->height = int_or(kf, "height", s->height, 240, 16384);
		s->last_folder = g_key_file_get_string(kf, GROUP, "last-folder", NULL);
	}
	g_key_file_free(kf);
	g_free(path);
}

int gui_settings_save(const struct gui_settings *s)
{
	char *path = settings_path();
	char *dir = g_path_get_dirname(path);
	GKeyFile *kf = g_key_file_new();
	g_key_file_set_integer(kf, GROUP, "width", s->width);
	g_key_file_set_integer(kf, GROUP, "height", s->height);
	if (s->last_folder)
		g_key_file_set_string(kf, GROUP, "last-folder", s->last_folder);
	/* g_key_file_save_to_file writes a temporary file and renames it. */
	int rc = g_mkdir_with_parents(dir, 0700) == 0 && g_key_file_save_to_file(kf, path, NULL) ? 0 : -1;
	g_key_file_free(kf);
	g_free(dir);
	g_free(path);
	return rc;
}

void gui_settings_free(struct gui_settings *s)
{
	g_free(s->last_folder);
	s->last_folder = NULL;
}
