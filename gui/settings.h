/* SPDX-License-Identifier: MIT */
/* What the window remembers between runs: its size and the last package
 * folder, in $XDG_CONFIG_HOME/mtkflash/gtk.ini (GKeyFile). */
#ifndef MTKGUI_SETTINGS_H
#define MTKGUI_SETTINGS_H

struct gui_settings {
	int width, height;
	char *last_folder; /* NULL until a package was opened */
};

void gui_settings_load(struct gui_settings *s);
/* 0, or -1 (the window goes on without remembering). */
int gui_settings_save(const struct gui_settings *s);
void gui_settings_free(struct gui_settings *s);

#endif
