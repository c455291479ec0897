/* SPDX-License-Identifier: MIT */
/* Long work off the main loop: `work` runs on a worker thread, then `done`
 * on the main loop (GTask).  What the worker wants shown on the way goes
 * through gui_post, which hands a copy to the main loop (g_idle_add), so no
 * widget is ever touched from the worker. */
#ifndef MTKGUI_WORKER_H
#define MTKGUI_WORKER_H

#include <glib.h>

typedef void (*gui_work_fn)(void *data);
typedef void (*gui_done_fn)(void *data);

void gui_worker_run(gui_work_fn work, gui_done_fn done, void *data);

/* Calls fn(arg) once on the main loop; free_arg(arg) afterwards (may be NULL). */
void gui_post(void (*fn)(void *arg), void *arg, GDestroyNotify free_arg);

#endif
