/* SPDX-License-Identifier: MIT */
/* One trip to the phone through the library's job API (mtkflash/job.h):
 * the plan (mtk_job_plan) or the verified flash (mtk_job_run).  The
 * options are copied from the window on the main loop; the trip runs on a
 * worker thread, and what it reports reaches the main loop through
 * gui_post. */
#ifndef MTKGUI_RUN_H
#define MTKGUI_RUN_H

#include "app.h"
#include "mtkflash/job.h"

struct gui_run {
	struct gui_app *a;
	mtk_ctx *ctx;
	struct mtk_job_opts o;
	char *port, *scatter, *passphrase, *report;
	char **skip, **overrides;
	bool accepted;    /* the user ticked "I accept this risk" */
	struct mtk_job_view view; /* plan */
	bool have_view;
	struct mtk_job_result res; /* flash */
	int rc;
	char error[512];
	char status[64];
	char *doctor; /* the host's problems when no phone answered (NULL: none asked) */
	void *tile;   /* a Batch tile's run: its tile */
	int shown_permille; /* the last progress a tile was sent (worker side) */
};

/* The window's answer to the job's decide hook (user: the gui_run), and the
 * result in words (g_free), for the Flash view and each Batch tile. */
int gui_flash_decide(void *user, mtk_ctx *ctx, const struct mtk_job_plan *p, const char **confirmed);
char *gui_result_text(const struct mtk_job_result *res);

/* Options from the window's current state; NULL when there is no package. */
struct gui_run *gui_run_new(struct gui_app *a);
void gui_run_free(struct gui_run *r);

/* Whether a failure to reach the phone is worth a doctor's look, and its findings (g_free). */
bool gui_doctor_wanted(int rc);
char *gui_doctor_summary(void);

/* Where the uninstalled build keeps its synthetic DA and demo key (NULL when installed). */
const char *gui_build_da(void);
const char *gui_build_demo_key(void);

/* The selected mode/scene radio (0, 1, 2: enum mtk_flash_mode / enum mtk_scene). */
int gui_plan_mode(struct gui_app *a);
int gui_plan_scene(struct gui_app *a);
/* Factors the user overrides (service mode), NULL-terminated (g_strfreev). */
char **gui_plan_overrides(struct gui_app *a);

#endif
