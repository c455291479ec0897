/* SPDX-License-Identifier: MIT */
/* mtkflash-gtk: the one window and what its views share.  Each view builds
 * its part of the window (view_*.c) and keeps its widgets here; the work
 * that talks to a phone or reads a package runs on a worker thread
 * (worker.c) and comes back to the main loop through g_idle_add. */
#ifndef MTKGUI_APP_H
#define MTKGUI_APP_H

#include <gtk/gtk.h>
#include <signal.h>

#include "mtkflash/history.h"
#include "pkg.h"
#include "settings.h"

struct gui_device_view {
	GtkWidget *status; /* "Waiting for a phone ..." or chip, mode, storage */
	GtkWidget *port;   /* entry: the port spec */
	GtkWidget *connect;
};

struct gui_package_view {
	GtkWidget *open; /* "Open package" */
	GtkWidget *path, *summary, *signature, *checksums;
	GtkWidget *parts; /* GtkListBox: one row per partition with a tick box */
	GtkWidget **ticks;
	size_t nticks;
};

struct gui_plan_view {
	GtkWidget *plan;    /* the plan in plain words */
	GtkWidget *meter;   /* GtkLevelBar: the risk score */
	GtkWidget *score;   /* "Risk 40 of 100: medium" */
	GtkWidget *factors; /* GtkBox: one line per active factor */
	GtkWidget *modes[3];  /* radios in enum mtk_flash_mode order: Safe, Quick, Service */
	GtkWidget *mode_note;
	GtkWidget *scenes[3]; /* enum mtk_scene order: Download, Firmware Upgrade, Format All */
	GtkWidget *scene_note;
	GPtrArray *override_ticks; /* service mode: one tick per active factor (its name in "factor") */
	int decided;          /* enum mtk_verdict of the last plan, -1 none */
	bool dirty;           /* asked again while a plan ran */
	char *unlocked_with;  /* the passphrase the last plan was made with (service mode) */
	GtkWidget *passphrase; /* service mode only */
	GtkWidget *accept;     /* "I accept this risk" when the mode asks to confirm */
	GtkWidget *verdict;
};

struct gui_flash_view {
	GtkWidget *flash, *cancel;
	GtkWidget *stages[6]; /* enum mtk_job_stage order: connect, DA, backup, write, verify, finish */
	int stage;            /* the current one, -1 before */
	GtkWidget *progress, *rate;
	GtkWidget *result;
	GtkWidget *open_log, *save_report, *next;
	char *audit_log, *report; /* of the last flash */
	/* The newest progress from the worker, shown by one idle call at a time. */
	GMutex lock;
	struct mtk_job_progress_copy {
		int stage;
		char step[64];
		uint64_t done, total, run_done, run_total;
		double bytes_per_s, eta_s;
	} latest;
	bool posted;
};

struct gui_console_view {
	GtkWidget *level; /* GtkDropDown: enum mtk_log_level */
	GtkWidget *view;  /* GtkTextView, read-only */
};

struct gui_batch_view {
	GtkWidget *ports; /* entry: port specs separated by ';' */
	GtkWidget *start, *cancel;
	GtkWidget *tiles; /* GtkFlowBox: one tile per port */
	GPtrArray *initial; /* --batch-port SPEC... */
	unsigned running;
};

struct gui_history_view {
	GtkWidget *filter;  /* GtkDropDown: any result, or one */
	GtkWidget *list;    /* GtkListBox "History": one row per job, newest first */
	GtkWidget *count, *result, *parts, *audit, *open_log;
	struct mtk_history_record *recs; /* the rows' jobs (main loop's) */
	size_t nrecs;
	bool loading, again; /* a list runs; asked again meanwhile */
};

struct gui_backups_view {
	GtkWidget *list; /* GtkListBox "Backups" */
	GtkWidget *count, *verify, *status;
	GPtrArray *ids; /* the rows' backup ids */
	bool loading, again, verifying;
};

struct gui_app {
	GtkApplication *gtk;
	GtkWindow *win;
	struct gui_settings settings;
	char *port;        /* --port SPEC (NULL: the entry's text) */
	char *initial_pkg; /* the PACKAGE argument */
	struct gui_pkg pkg;
	bool have_pkg;
	bool busy; /* a worker runs */
	volatile sig_atomic_t cancel;
	struct gui_device_view dev;
	struct gui_package_view pv;
	struct gui_plan_view plan;
	struct gui_flash_view fv;
	struct gui_console_view console;
	struct gui_batch_view batch;
	struct gui_history_view hist;
	struct gui_backups_view backups;
};

/* An accessible name for a control whose label does not say it all. */
void gui_name(GtkWidget *w, const char *name);
/* A section heading and its box. */
GtkWidget *gui_section(GtkWidget *parent, const char *title);
GtkWidget *gui_label(GtkWidget *box, const char *text, const char *name);
/* Empty a GtkListBox; add a row of one label named by its text. */
void gui_list_clear(GtkWidget *list);
void gui_list_add(GtkWidget *list, const char *text);
/* A push button whose accessible name is its label. */
GtkWidget *gui_button(GtkWidget *box, const char *label, GCallback cb, void *user);

/* Each view adds its section to the window's flow box. */
void gui_device_view_build(struct gui_app *a, GtkWidget *flow);
void gui_package_view_build(struct gui_app *a, GtkWidget *flow);
void gui_plan_view_build(struct gui_app *a, GtkWidget *flow);
void gui_flash_view_build(struct gui_app *a, GtkWidget *flow);
void gui_console_build(struct gui_app *a, GtkWidget *flow);
void gui_batch_build(struct gui_app *a, GtkWidget *flow);
void gui_history_build(struct gui_app *a, GtkWidget *flow);
void gui_backups_build(struct gui_app *a, GtkWidget *flow);
/* Read the history / the backup store again on the worker (after a flash). */
void gui_history_refresh(struct gui_app *a);
void gui_backups_refresh(struct gui_app *a);
/* $XDG_DATA_HOME/mtkflash/LEAF, where the CLI keeps the history and backups (g_free). */
char *gui_data_file(const char *leaf);
/* The library's log of ctx goes to the console at its chosen level (view_console.c). */
void gui_console_attach(struct gui_app *a, mtk_ctx *ctx);

/* Package: load a scatter file or folder on the worker (the view updates itself). */
void gui_package_open(struct gui_app *a, const char *path);
/* The file chooser's "response" handler. */
void gui_package_chosen(GtkNativeDialog *d, int response, gpointer user);
/* Partitions the user left unticked (NULL-terminated, g_strfreev). */
char **gui_package_unticked(struct gui_app *a);
/* Device + package known: plan on the worker. */
void gui_plan_refresh(struct gui_app *a);
/* Whether the Flash button may be pressed now, and set it so. */
void gui_flash_update_sensitive(struct gui_app *a);
/* The buttons under the result: audit log, PDF report, next phone (view_after.c). */
void gui_flash_after_build(struct gui_app *a, GtkWidget *box);

void gui_window_build(struct gui_app *a);
void gui_device_show(struct gui_app *a, const char *text);
/* The result line: its accessible name carries the text too ("Result: Verified ..."). */
void gui_flash_show_result(struct gui_app *a, const char *text, bool good);

#endif
