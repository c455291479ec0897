/* SPDX-License-Identifier: MIT */
/* A phone on a pty (emu_phone.h): one host session per open of the slave;
 * the phone keeps what it runs in between, and a phone that leaves the bus
 * comes back on a new pty at the same link. */
#include "emu_phone.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "emu_internal.h"

/* How long a phone that resets gives the host to read its last answer. */
#define DRAIN_MS 2000

void emu_phone_init(struct emu_phone *ph, struct mtkemu *emu, const char *link, const char *tag)
{
	memset(ph, 0, sizeof *ph);
	ph->emu = emu;
	ph->link = link;
	ph->tag = tag;
	ph->pty.master = ph->pty.inotify = ph->pty.hold = -1;
	atomic_init(&ph->stop, false);
	atomic_init(&ph->plug, false);
	atomic_init(&ph->wake, false);
}

void emu_phone_stop(struct emu_phone *ph)
{
	atomic_store(&ph->stop, true);
	mtkemu_stop(ph->emu);
	atomic_store(&ph->wake, true);
}

void emu_phone_replug(struct emu_phone *ph, bool power_cycle)
{
	if (power_cycle)
		mtkemu_power_cycle(ph->emu);
	else
		mtkemu_replug(ph->emu);
	atomic_store(&ph->plug, true);
	atomic_store(&ph->wake, true);
}

/* One whole line per phone: bench phones print from their own threads. */
static void say(const struct emu_phone *ph, const char *what)
{
	flockfile(stdout);
	printf("%s %s%s%s\n", what, ph->link ? ph->link : ph->pty.slave, ph->tag ? " " : "", ph->tag ? ph->tag : "");
	fflush(stdout);
	funlockfile(stdout);
}

int emu_phone_plug_in(struct emu_phone *ph)
{
	char err[512];
	if (emu_pty_open(&ph->pty, err, sizeof err) < 0 ||
	    (ph->link && emu_pty_link(ph->link, ph->pty.slave, err, sizeof err) < 0)) {
		fprintf(stderr, "mtkemu: %s\n", err);
		return -1;
	}
	say(ph, "ready");
	return 0;
}

void emu_phone_unplug(struct emu_phone *ph)
{
	if (ph->link && ph->pty.master >= 0)
		emu_pty_unlink(ph->link, ph->pty.slave);
	emu_pty_close(&ph->pty);
}

/* The phone left the bus and came back: a new pty (a new number, since the
 * old one is still open), the link re-pointed in one rename, then the old
 * master closed, so the host's open fd hangs up. */
static int reenumerate(struct emu_phone *ph)
{
	struct emu_pty old = ph->pty;
	int rc = emu_phone_plug_in(ph);
	emu_pty_close(&old);
	return rc;
}

/* Off the bus until a replug or power cycle; then back as after a
 * re-enumeration.  Waiting on a signal: a 50 ms poll is the emulator's own
 * idle loop, not a synchronisation anyone relies on. */
static int gone(struct emu_phone *ph)
{
	if (ph->link)
		emu_pty_unlink(ph->link, ph->pty.slave);
	say(ph, "gone");
	emu_pty_close(&ph->pty);
	while (!atomic_load(&ph->plug) && !atomic_load(&ph->stop))
		poll(NULL, 0, 50);
	if (atomic_load(&ph->stop))
		return 0;
	atomic_store(&ph->plug, false);
	atomic_store(&ph->wake, false);
	return emu_phone_plug_in(ph) < 0 ? -1 : 1;
}

struct session {
	struct emu_pty *pty;
	unsigned n;
};

static bool host_gone(void *ctx)
{
	struct session *s = ctx;
	emu_pty_events(s->pty);
	return s->pty->closed >= s->n;
}

static int serve_once(struct emu_phone *ph, struct session *s)
{
	struct emu_session_watch w = { ph->pty.inotify, host_gone, s };
	emu_link_watch(ph->emu, &w);
	int rc = mtkemu_serve(ph->emu, ph->pty.master);
	emu_link_watch(ph->emu, NULL);
	return rc;
}

/* A plug event while no session runs: the port goes away and comes back;
 * the emulator boots the phone at the next serve. */
static bool take_plug(struct emu_phone *ph)
{
	atomic_store(&ph->wake, false);
	return atomic_exchange(&ph->plug, false);
}

/* After a session that ended with the phone off the bus or back under a
 * new identity: 0 go on serving, 1 stop (exit status *status). */
static int after_session(struct emu_phone *ph, struct session *s, int rc, int *status)
{
	if (rc == MTKEMU_END_GONE) {
		int g = gone(ph);
		*status = g < 0;
		s->n = 0;
		return g <= 0;
	}
	/* A plug event was taken by the serve itself. */
	if (rc == MTKEMU_END_REENUMERATE) {
		atomic_store(&ph->plug, false);
		emu_pty_drain(&ph->pty, DRAIN_MS);
	}
	s->n = 0;
	*status = reenumerate(ph) < 0;
	return *status;
}

int emu_phone_serve(struct emu_phone *ph)
{
	struct session s = { &ph->pty, 0 };
	int status = 0;
	while (!atomic_load(&ph->stop)) {
		if (take_plug(ph)) {
			if (reenumerate(ph) < 0)
				return 1;
			s.n = 0;
			continue;
		}
		s.n++;
		if (emu_pty_wait_opened(&ph->pty, s.n, &ph->wake) < 0) {
			s.n--;
			continue;
		}
		int rc = serve_once(ph, &s);
		if (atomic_load(&ph->stop))
			break;
		if (rc == MTKEMU_END_GONE || rc == MTKEMU_END_REENUMERATE || rc == MTKEMU_END_FAULT) {
			if (after_session(ph, &s, rc, &status))
				return status;
			continue;
		}
		/* Bytes the host sent and never waited for are not flushed: by
		 * now they may already be the next session's first bytes. */
		if (emu_pty_wait_closed(&ph->pty, s.n, &ph->wake) < 0 && !atomic_load(&ph->plug))
			break;
	}
	return 0;
}
