/* SPDX-License-Identifier: MIT */
/* pty plumbing for the mtkemu program.
 *
 * Linux pty facts this relies on (checked on the target kernel): termios
 * settings made on the slave survive the slave being closed and reopened
 * while the master stays open; the master reads EIO and polls POLLHUP while
 * no process has the slave open, but a host that closes and reopens at once
 * clears that before we may look, so session boundaries come from inotify
 * open/close events on the slave instead.  Answers the host never read stay
 * queued for the next opener: a host flushes its input after opening, as
 * serial tools do.  We keep one slave fd of our own, opened before the watch
 * is set (so every event is still the host's): it lets emu_pty_drain() see
 * what the host has not read yet. */
#include "emu_pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 50

/* Returns the slave fd we keep (see emu_pty.hold), or -1. */
static int set_raw(const char *slave, char *err, size_t errlen)
{
	int fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", slave, strerror(errno));
		return -1;
	}
	struct termios t;
	int rc = tcgetattr(fd, &t);
	if (rc == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		rc = tcsetattr(fd, TCSANOW, &t);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot set raw mode on %s: %s", slave, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void count_event(struct emu_pty *p, uint32_t mask)
{
	if ((mask & IN_OPEN) && p->opens++ == 0)
		p->opened++;
	if ((mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) && p->opens > 0 && --p->opens == 0)
		p->closed++;
}

void emu_pty_events(struct emu_pty *p)
{
	_Alignas(struct inotify_event) char buf[4096];
	for (;;) {
		ssize_t n = read(p->inotify, buf, sizeof buf);
		if (n <= 0)
			return;
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
			count_event(p, ev->mask);
			off += (ssize_t)(sizeof *ev + ev->len);
		}
	}
}

int emu_pty_open(struct emu_pty *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->inotify = p->hold = -1;
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0) {
		snprintf(err, errlen, "posix_openpt: %s", strerror(errno));
		return -1;
	}
	if (grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
	    ptsname_r(p->master, p->slave, sizeof p->slave) != 0) {
		snprintf(err, errlen, "cannot set up the pty: %s", strerror(errno));
		emu_pty_close(p);
		return -1;
	}
	if ((p->hold = set_raw(p->slave, err, errlen)) < 0) {
		emu_pty_close(p);
		return -1;
	}
	/* Watch only after our own open in set_raw: every event is the host's. */
	p->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (p->inotify < 0 || inotify_add_watch(p->inotify, p->slave, IN_OPEN | IN_CLOSE) < 0) {
		snprintf(err, errlen, "cannot watch %s: %s", p->slave, strerror(errno));
		emu_pty_close(p);
		return -1;
	}
	return 0;
}

void emu_pty_close(struct emu_pty *p)
{
	if (p->inotify >= 0)
		close(p->inotify);
	if (p->master >= 0)
		close(p->master);
	if (p->hold >= 0)
		close(p->hold);
	p->inotify = p->master = p->hold = -1;
}

/* Closing the master throws away what the host has not read yet, and a
 * device that resets (FINISH, a speed switch) has just sent its last answer:
 * give the host up to max_ms to read it.  Queued bytes are counted on the
 * slave side; "empty" must be seen twice, 2 ms apart, so bytes still on their
 * way from the master to the slave's queue are not missed. */
void emu_pty_drain(struct emu_pty *p, unsigned max_ms)
{
	unsigned empty = 0;
	for (unsigned waited = 0; waited < max_ms && empty < 2; waited += 2) {
		int queued = 0;
		emu_pty_events(p);
		if (p->hold < 0 || ioctl(p->hold, FIONREAD, &queued) < 0 || p->opens == 0)
			return; /* nobody left to read */
		empty = queued == 0 ? empty + 1 : 0;
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

static int wait_count(struct emu_pty *p, const unsigned *count, unsigned n, const atomic_bool *stop)
{
	while (!atomic_load(stop)) {
		emu_pty_events(p);
		if (*count >= n)
			return 0;
		struct pollfd pf = { .fd = p->inotify, .events = POLLIN };
		poll(&pf, 1, WAIT_MS);
	}
	return -1;
}

int emu_pty_wait_opened(struct emu_pty *p, unsigned n, const atomic_bool *stop)
{
	return wait_count(p, &p->opened, n, stop);
}

int emu_pty_wait_closed(struct emu_pty *p, unsigned n, const atomic_bool *stop)
{
	return wait_count(p, &p->closed, n, stop);
}

int emu_pty_link(const char *path, const char *target, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "refusing to replace '%s': it exists and is not a symlink", path);
		return -1;
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.mtkemu-new", path);
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot create the link '%s': %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void emu_pty_unlink(const char *path, const char *target)
{
	char cur[256];
	ssize_t n = readlink(path, cur, sizeof cur - 1);
	if (n < 0)
		return;
	cur[n] = '\0';
	/* Someone else's link by now: leave it. */
	if (strcmp(cur, target) == 0)
		unlink(path);
}
