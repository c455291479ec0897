/* SPDX-License-Identifier: MIT */
/* The pty frontend of the mtkemu program: the emulator holds the master, the
 * host opens the slave like a serial port (reference/testing.md §2). */
#ifndef MTKEMU_PTY_H
#define MTKEMU_PTY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct emu_pty {
	int master;
	char slave[128]; /* /dev/pts/N */
	/* Sessions: a host session starts when the slave's open count goes
	 * 0 -> 1 and ends when it drops back to 0, counted from inotify
	 * open/close events, which are queued in order during the host's
	 * open()/close() calls, so even a host that closes and reopens
	 * faster than we look is seen doing so before its new bytes. */
	int inotify;
	int hold;                /* our own slave fd: FIONREAD = what the host has not read */
	int opens;               /* open file descriptions of the slave */
	unsigned opened, closed; /* 0->1 and 1->0 transitions so far */
};

/* A new pty whose slave is in raw mode (no echo, no CR/LF translation), so
 * the line discipline never alters a protocol byte. */
int emu_pty_open(struct emu_pty *p, char *err, size_t errlen);
void emu_pty_close(struct emu_pty *p);

/* Takes in the open/close events queued so far (never blocks). */
void emu_pty_events(struct emu_pty *p);

/* Wait until the host opened the port for session n (1, 2, ...) / closed it
 * again; -1 when *stop became true first. */
int emu_pty_wait_opened(struct emu_pty *p, unsigned n, const atomic_bool *stop);
int emu_pty_wait_closed(struct emu_pty *p, unsigned n, const atomic_bool *stop);

/* Waits (up to max_ms) until the host read everything queued for it, or
 * closed the port. */
void emu_pty_drain(struct emu_pty *p, unsigned max_ms);

/* Points the symlink `path` at `target`, replacing an existing symlink but
 * never any other kind of file. */
int emu_pty_link(const char *path, const char *target, char *err, size_t errlen);
void emu_pty_unlink(const char *path, const char *target);

#endif
