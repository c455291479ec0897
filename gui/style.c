/* SPDX-License-Identifier: MIT */
#include "style.h"

#include <gtk/gtk.h>

/* SP Flash Tool paints the DA download red, the backup purple, the write
 * yellow and the end green; each label also says its state in words. */
static const char css[] =
	".stage { padding: 4px; border-radius: 4px; border: 1px solid alpha(currentColor, 0.3); }\n"
	".st-connect { background: #c62828; color: white; }\n"
	".st-da { background: #e53935; color: white; }\n"
	".st-backup { background: #7b1fa2; color: white; }\n"
	".st-write { background: #fbc02d; color: black; }\n"
	".st-verify { background: #1565c0; color: white; }\n"
	".st-finish { background: #2e7d32; color: white; }\n"
	".result-good { color: #1b5e20; font-weight: bold; }\n"
	".result-bad { color: #b71c1c; font-weight: bold; }\n"
	"levelbar block.risk-low { background: #43a047; }\n"
	"levelbar block.risk-medium { background: #fb8c00; }\n"
	"levelbar block.risk-high { background: #e53935; }\n";

void gui_style_install(void)
{
	GtkCssProvider *p = gtk_css_provider_new();
	gtk_css_provider_load_from_data(p, css, -1);
	gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(p),
						   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_unref(p);
}
