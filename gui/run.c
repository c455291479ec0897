/* SPDX-License-Identifier: MIT */
#include "run.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* An executable under the build root runs uninstalled (a developer's, the
 * test suite's): the build's synthetic DA and demo key are then the ones
 * for emulated phones.  An installed copy never looks into a build tree. */
static bool check_uninstalled(void)
{
	char exe[PATH_MAX], root[PATH_MAX];
	if (!realpath("/proc/self/exe", exe) || !realpath(MTKGUI_BUILD_ROOT, root))
		return false;
	size_t n = strlen(root);
	return strncmp(exe, root, n) == 0 && exe[n] == '/';
}

/* Decided once, at start: a rebuild replaces the executable under a running
 * window, after which /proc/self/exe names a deleted file. */
static bool running_uninstalled(void)
{
	static gsize once;
	static bool uninstalled;
	if (g_once_init_enter(&once)) {
		uninstalled = check_uninstalled();
		g_once_init_leave(&once, 1);
	}
	return uninstalled;
}

const char *gui_build_da(void)
{
	return running_uninstalled() ? MTKGUI_BUILD_DA : NULL;
}

const char *gui_build_demo_key(void)
{
	if (running_uninstalled())
		return MTKGUI_BUILD_DEMO_PUB;
	return g_file_test(MTKGUI_DEMO_PUB, G_FILE_TEST_IS_REGULAR) ? MTKGUI_DEMO_PUB : NULL;
}

static const char *const *names(char **v, size_t *n)
{
	*n = v ? g_strv_length(v) : 0;
	return (const char *const *)v;
}

static void fill_opts(struct gui_run *r)
{
	struct mtk_job_opts *o = &r->o;
	mtk_job_opts_init(o);
	o->port = r->port;
	o->scatter = r->scatter;
	o->mode = (enum mtk_flash_mode)gui_plan_mode(r->a);
	o->scene = (enum mtk_scene)gui_plan_scene(r->a);
	o->skip = names(r->skip, &o->nskip);
	o->overrides = names(r->overrides, &o->noverrides);
	if (r->passphrase && r->passphrase[0]) {
		o->passphrase = r->passphrase;
		o->passphrase_len = strlen(r->passphrase);
	}
	o->virtual_da_file = gui_build_da();
	o->virtual_trust = gui_build_demo_key();
	o->report_path = r->report;
	o->cancel = &r->a->cancel;
}

static char *report_path(void)
{
	char *dir = g_build_filename(g_get_user_state_dir(), "mtkflash", "reports", NULL);
	g_mkdir_with_parents(dir, 0700);
	GDateTime *now = g_date_time_new_now_utc();
	char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%S");
	char *name = g_strdup_printf("flash-%s-%d.pdf", stamp, (int)getpid());
	char *path = g_build_filename(dir, name, NULL);
	g_free(name);
	g_free(stamp);
	g_date_time_unref(now);
	g_free(dir);
	return path;
}

struct gui_run *gui_run_new(struct gui_app *a)
{
	if (!a->have_pkg)
		return NULL;
	struct gui_run *r = g_new0(struct gui_run, 1);
	r->a = a;
	r->ctx = mtk_ctx_new();
	if (r->ctx)
		gui_console_attach(a, r->ctx);
	r->port = g_strdup(a->port && a->port[0] ? a->port : "auto");
	r->scatter = g_strdup(a->pkg.scatter);
	r->skip = gui_package_unticked(a);
	r->overrides = gui_plan_overrides(a);
	r->passphrase = g_strdup(gtk_editable_get_text(GTK_EDITABLE(a->plan.passphrase)));
	r->accepted = gtk_check_button_get_active(GTK_CHECK_BUTTON(a->plan.accept));
	r->report = report_path();
	fill_opts(r);
	return r;
}

void gui_run_free(struct gui_run *r)
{
	if (!r)
		return;
	if (r->have_view)
		mtk_job_view_free(&r->view);
	mtk_job_result_free(&r->res);
	mtk_ctx_free(r->ctx);
	g_free(r->port);
	g_free(r->scatter);
	if (r->passphrase)
		memset(r->passphrase, 0, strlen(r->passphrase));
	g_free(r->passphrase);
	g_free(r->report);
	g_free(r->doctor);
	g_strfreev(r->skip);
	g_strfreev(r->overrides);
	g_free(r);
}
