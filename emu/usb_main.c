/* SPDX-License-Identifier: MIT */
/* `mtkemu --usb DIR`: the phone in a umockdev test bed at DIR.
 *
 * umockdev makes its test bed in a fresh temp folder; a host program finds
 * it through UMOCKDEV_DIR, and its preload insists that this be the real
 * path (through a symlink the paths it rewrites no longer match).  So the
 * test bed is made next to DIR, moved to DIR, and a symlink at its old name
 * keeps libumockdev, which goes on using that name, working. */
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "emu_usb.h"
#include "emu_usb_main.h"

struct say_ctx {
	const char *dir;
	struct emu_usb *u;
	unsigned port;
};

static void say(const char *what, void *ctx)
{
	static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
	struct say_ctx *s = ctx;
	pthread_mutex_lock(&out_lock);
	if (strcmp(what, "ready") == 0 && s->u)
		fprintf(stderr, "mtkemu: port 1-%u on USB bus 1 address %u (usb:1:%u)\n", s->port, emu_usb_devnum(s->u),
			emu_usb_devnum(s->u));
	printf("%s usb %s\n", what, s->dir);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* The second phone (--usb-second) is served by its own thread. */
struct second {
	struct emu_usb *u;
	atomic_bool *stop;
	struct say_ctx s;
	pthread_t th;
	bool started;
};

static void *serve_second(void *arg)
{
	struct second *p = arg;
	if (emu_usb_run(p->u, p->stop, NULL, say, &p->s) < 0)
		atomic_store(p->stop, true);
	return NULL;
}

static int start_second(UMockdevTestbed *tb, struct mtkemu *emu2, const char *dir, atomic_bool *stop,
			struct second *p)
{
	char err[256];
	*p = (struct second){ .stop = stop, .s = { dir, NULL, 2 } };
	if (!emu2)
		return 0;
	p->u = p->s.u = emu_usb_new(tb, emu2, 2, 3, err, sizeof err);
	if (!p->u) {
		fprintf(stderr, "mtkemu: %s\n", err);
		return -1;
	}
	p->started = pthread_create(&p->th, NULL, serve_second, p) == 0;
	return p->started ? 0 : -1;
}

static void stop_second(struct second *p, atomic_bool *stop)
{
	if (p->started) {
		atomic_store(stop, true);
		pthread_join(p->th, NULL);
	}
	emu_usb_free(p->u);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The test bed's folder moved to dir (absolute, not existing yet). */
static UMockdevTestbed *make_testbed(const char *dir, char *old_root, size_t cap)
{
	char parent[2 * PATH_MAX + 2];
	snprintf(parent, sizeof parent, "%s", dir);
	/* Same file system, so the move is a rename. */
	setenv("TMPDIR", dirname(parent), 1);
	UMockdevTestbed *tb = umockdev_testbed_new();
	char *root = umockdev_testbed_get_root_dir(tb);
	snprintf(old_root, cap, "%s", root);
	g_free(root);
	if (rename(old_root, dir) < 0 || symlink(dir, old_root) < 0) {
		fprintf(stderr, "mtkemu: cannot move the umockdev test bed to %s: %s\n", dir, strerror(errno));
		g_object_unref(tb);
		return NULL;
	}
	/* Our own preload then sees the test bed where the clients see it. */
	setenv("UMOCKDEV_DIR", dir, 1);
	return tb;
}

#define PRELOAD "libumockdev-preload.so.0"

/* The test bed sends uevents through libudev, which must see the test bed's
 * /sys as the clients do: we run under umockdev's preload too, re-executed
 * with it when started without (umockdev-wrapper is just this). */
int emu_usb_preload(char **argv)
{
	const char *cur = getenv("LD_PRELOAD");
	if (cur && strstr(cur, "libumockdev-preload"))
		return 0;
	char val[4096];
	snprintf(val, sizeof val, "%s%s%s", PRELOAD, cur && *cur ? ":" : "", cur ? cur : "");
	setenv("LD_PRELOAD", val, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "mtkemu: cannot run under umockdev's preload: %s\n", strerror(errno));
	return -1;
}

int emu_usb_main(struct mtkemu *emu, const struct emu_usb_main_opts *o, atomic_bool *stop, atomic_bool *replug)
{
	const char *dir_arg = o->dir;
	char dir[2 * PATH_MAX + 2], old_root[PATH_MAX];
	struct stat st;
	if (lstat(dir_arg, &st) == 0) {
		fprintf(stderr, "mtkemu: --usb %s: it exists; name a folder to create\n", dir_arg);
		return 2;
	}
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", dir_arg);
	char *base = basename(parent), pdir[PATH_MAX], pabs[PATH_MAX];
	snprintf(pdir, sizeof pdir, "%s", dir_arg);
	if (!realpath(dirname(pdir), pabs)) {
		fprintf(stderr, "mtkemu: --usb %s: %s\n", dir_arg, strerror(errno));
		return 2;
	}
	snprintf(dir, sizeof dir, "%s/%s", pabs, base);
	UMockdevTestbed *tb = make_testbed(dir, old_root, sizeof old_root);
	if (!tb)
		return 1;
	char err[256];
	struct say_ctx s = { dir_arg, NULL, 1 };
	struct emu_usb *u = emu_usb_new(tb, emu, 1, 2, err, sizeof err);
	struct second two;
	int rc = 1;
	if (!u)
		fprintf(stderr, "mtkemu: %s\n", err);
	else if (start_second(tb, o->second, dir_arg, stop, &two) == 0) {
		s.u = u;
		if (o->unplugged)
			emu_usb_start_unplugged(u);
		rc = emu_usb_run(u, stop, replug, say, &s) < 0 ? 1 : 0;
	}
	if (u)
		stop_second(&two, stop);
	emu_usb_free(u);
	g_object_unref(tb);
	unlink(old_root);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
