/* SPDX-License-Identifier: MIT */
#include "worker.h"

#include <gio/gio.h>

struct work {
	gui_work_fn work;
	gui_done_fn done;
	void *data;
};

static void in_thread(GTask *task, gpointer src, gpointer task_data, GCancellable *c)
{
	(void)src;
	(void)c;
	struct work *w = task_data;
	w->work(w->data);
	g_task_return_boolean(task, TRUE);
}

static void on_done(GObject *src, GAsyncResult *res, gpointer user)
{
	(void)src;
	(void)res;
	struct work *w = user;
	w->done(w->data);
	g_free(w);
}

void gui_worker_run(gui_work_fn work, gui_done_fn done, void *data)
{
	struct work *w = g_new0(struct work, 1);
	*w = (struct work){work, done, data};
	GTask *t = g_task_new(NULL, NULL, on_done, w);
	g_task_set_task_data(t, w, NULL);
	g_task_run_in_thread(t, in_thread);
	g_object_unref(t);
}

struct post {
	void (*fn)(void *);
	void *arg;
	GDestroyNotify free_arg;
};

static gboolean run_post(gpointer user)
{
	struct post *p = user;
	p->fn(p->arg);
	if (p->free_arg)
		p->free_arg(p->arg);
	g_free(p);
	return G_SOURCE_REMOVE;
}

void gui_post(void (*fn)(void *arg), void *arg, GDestroyNotify free_arg)
{
	struct post *p = g_new0(struct post, 1);
	*p = (struct post){fn, arg, free_arg};
	g_idle_add(run_post, p);
}
