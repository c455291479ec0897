/* SPDX-License-Identifier: MIT */
/* One phone served on a pty: the loop of `mtkemu` (one phone) and of every
 * phone of `mtkemu bench` (one thread each).  Everything a phone's serving
 * needs is in struct emu_phone, so phones in one process share nothing but
 * stdout. */
#ifndef MTKEMU_PHONE_H
#define MTKEMU_PHONE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "emu_pty.h"
#include "mtkemu.h"

struct emu_phone {
	struct mtkemu *emu;
	struct emu_pty pty;
	const char *link; /* the symlink re-pointed at each new pty; may be NULL */
	const char *tag;  /* printed after PATH on "ready"/"gone" lines; NULL: nothing */
	atomic_bool stop; /* serve no more */
	atomic_bool plug; /* a replug or power cycle came: the port goes away and comes back */
	atomic_bool wake; /* any of the above: stop waiting for the host */
};

void emu_phone_init(struct emu_phone *ph, struct mtkemu *emu, const char *link, const char *tag);

/* Async-signal-safe (atomic stores only): a signal handler or another
 * thread may call them while emu_phone_serve() runs. */
void emu_phone_stop(struct emu_phone *ph);
void emu_phone_replug(struct emu_phone *ph, bool power_cycle);

/* The first pty, linked, and its "ready PATH[ TAG]" line; -1 (said on stderr). */
int emu_phone_plug_in(struct emu_phone *ph);
/* Serves host sessions until emu_phone_stop(); the exit status (0, or 1
 * when a new pty could not be made). */
int emu_phone_serve(struct emu_phone *ph);
/* Removes the link (if still ours) and closes the pty. */
void emu_phone_unplug(struct emu_phone *ph);

/* `mtkemu bench ...` (bench.c). */
int emu_bench_main(int argc, char **argv);

#endif
