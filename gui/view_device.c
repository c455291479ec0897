/* SPDX-License-Identifier: MIT */
/* Device: which port, and what the phone told about itself (filled in by
 * the plan run, which connects first). */
#include "app.h"

static const char waiting[] =
	"Waiting for a phone: power it off, hold volume-down and plug it in. The phone is read when a package is open.";

static void on_port_changed(GtkEditable *e, gpointer user)
{
	struct gui_app *a = user;
	g_free(a->port);
	a->port = g_strdup(gtk_editable_get_text(e));
	gtk_label_set_text(GTK_LABEL(a->dev.status), waiting);
}

static void on_read_clicked(GtkButton *b, gpointer user)
{
	(void)b;
	gui_plan_refresh(user);
}

void gui_device_view_build(struct gui_app *a, GtkWidget *flow)
{
	GtkWidget *box = gui_section(flow, "Device");
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *lbl = gtk_label_new("Port:");
	a->dev.port = gtk_entry_new();
	gtk_widget_set_hexpand(a->dev.port, TRUE);
	gtk_editable_set_text(GTK_EDITABLE(a->dev.port), a->port ? a->port : "auto");
	gui_name(a->dev.port, "Port");
	gtk_widget_set_tooltip_text(a->dev.port, "auto, usb:BUS:ADDR, serial:/dev/ttyACM0 or emu:CHIP,state=DIR");
	a->dev.connect = gui_button(NULL, "Read phone", G_CALLBACK(on_read_clicked), a);
	gtk_box_append(GTK_BOX(row), lbl);
	gtk_box_append(GTK_BOX(row), a->dev.port);
	gtk_box_append(GTK_BOX(row), a->dev.connect);
	gtk_box_append(GTK_BOX(box), row);
	a->dev.status = gui_label(box, waiting, NULL);
	gtk_accessible_update_property(GTK_ACCESSIBLE(a->dev.status), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
				       "Device status", -1);
	g_signal_connect(a->dev.port, "changed", G_CALLBACK(on_port_changed), a);
}

void gui_device_show(struct gui_app *a, const char *text)
{
	gtk_label_set_text(GTK_LABEL(a->dev.status), text);
}
