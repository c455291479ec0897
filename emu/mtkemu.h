/* SPDX-License-Identifier: MIT */
/* libmtkemu: a software MediaTek device.
 *
 * Written from the reference documents, independently of the client code in
 * lib/brom, lib/da and lib/storage (it shares only lib/core byte helpers), so
 * that one misreading of the protocol or a table layout cannot pass its own
 * tests.
 *
 * A device is created from options, then served over any connected byte
 * stream (a pty master, one end of a socketpair).  Serving blocks the calling
 * thread the way firmware does: read a command, answer it, repeat. */
#ifndef MTKEMU_H
#define MTKEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The emulator's time: every timer (listen windows, the link model's
 * bandwidth, receive timeouts) reads now_ns and waits with sleep_until_ns.
 * A virtual clock makes sleeping free (sleep_until_ns just sets now); the
 * fuzz harnesses use one, with mtkemu_serve_script() so that no wait ever
 * blocks.  now_ns must never go backwards. */
struct mtkemu_clock {
	uint64_t (*now_ns)(void *user);
	void (*sleep_until_ns)(void *user, uint64_t t_ns);
	void *user;
};

/* A state folder held in memory: the eMMC areas and the folder's small files
 * (device.ini, ext_csd.bin, identity.ini, power.ini) with no file system
 * access at all, for fuzzers and unit tests that run many sessions.  What a
 * device writes goes into 4 KiB pages over a snapshot, so a reset puts back
 * only the pages written since.  One emulator at a time uses one (as the
 * state folder's lock would have it); it outlives the emulators that use it. */
struct mtkemu_memstate;
/* `name` stands for the folder path: it seeds the identity and the CID and
 * names the state in messages.  NULL when out of memory. */
struct mtkemu_memstate *mtkemu_memstate_new(const char *name);
void mtkemu_memstate_free(struct mtkemu_memstate *m);
/* What it holds now becomes what a reset goes back to (before the first
 * snapshot: empty, a folder never provisioned). */
void mtkemu_memstate_snapshot(struct mtkemu_memstate *m);
void mtkemu_memstate_reset(struct mtkemu_memstate *m);
/* The small files it holds now (a folder listing); returns the count. */
size_t mtkemu_memstate_files(const struct mtkemu_memstate *m, const char **names, size_t cap);
/* eMMC pages written or erased since the last snapshot or reset. */
size_t mtkemu_memstate_pages_written(const struct mtkemu_memstate *m);

struct mtkemu_options {
	const char *chip;      /* "mt6737" (case-insensitive); required */
	const char *state_dir; /* storage and persistent state; NULL = a private temp dir removed at free */
	struct mtkemu_memstate *memstate; /* non-NULL: the state lives here, not in a folder
	                                   * (state_dir must be NULL); fuzzers and unit tests */
	const char *mode;      /* "brom" | "preloader"; NULL = decided by the boot model / profile */
	const char *faults;    /* fault spec, e.g. "disconnect-after=4096"; NULL = none */
	const char *speed;     /* link model: "usb2-hs" | "usb2-fs" | "none"; NULL = none */
	const char *security;  /* "sbc,sla,daa" flag list or a hex target_config; NULL = profile default */
	const char *preloader; /* preloader handshake model: "real" (default: listen phase, READY
	                        * banners, first A0 eaten, listen window) | "simple" (answers the
	                        * first A0, no window) */
	unsigned listen_ms;    /* the real preloader's listen window; 0 = 2500 ms */
	const struct mtkemu_clock *clock; /* NULL = CLOCK_MONOTONIC (copied at mtkemu_new) */
	bool persist_session;  /* keep what the phone runs in STATE_DIR/power.ini across
	                        * mtkemu_free()/mtkemu_new() (one process per host session,
	                        * as the in-process emu: port does); needs state_dir */
	/* Last, so callers that list the fields above in order keep working. */
	const char *auth_key;  /* the fused root public key (`mtkemu mkauth` root.pub); NULL = none:
	                        * every certificate and authentication file is refused */
	bool quiet_violations; /* count host protocol violations (mtkemu_violations) without a
	                        * line on stderr each: fuzzers, whose hostile hosts make many */
};

struct mtkemu;

/* Returns 0, or -1 with a sentence in err (unknown chip, bad fault spec…). */
int mtkemu_new(const struct mtkemu_options *opt, struct mtkemu **out, char *err, size_t errlen);

/* How one mtkemu_serve() ended. */
enum mtkemu_serve_end {
	MTKEMU_END_CLOSED = 0,      /* the host closed the port, or mtkemu_stop(): the
	                             * phone keeps running what it ran (a DA stays in
	                             * its command loop); serve the same fd or a new
	                             * one to continue */
	MTKEMU_END_FAULT = 1,       /* an injected fault cut the link */
	MTKEMU_END_REENUMERATE = 2, /* the phone left the bus and came back under a new
	                             * USB identity (DA speed switch, FINISH/reset,
	                             * replug): the frontend gives it a new port (pty:
	                             * a new pty at the same link; in-process: a new
	                             * socketpair) and serves again */
	MTKEMU_END_GONE = 3,        /* the phone left the bus and stays off it (booted
	                             * to the system, powered off): no port until
	                             * mtkemu_replug() or mtkemu_power_cycle() */
};

/* Serve the device on fd until one of the ends above; returns an
 * enum mtkemu_serve_end.  Does not close fd. */
int mtkemu_serve(struct mtkemu *emu, int fd);

/* A host whose every byte is known in advance: it sends in[0, len), closes
 * its side and reads every answer, unplugging once it has read more than
 * out_cap bytes (0: no cap).  `sink` (may be NULL) sees the answers.  No fd
 * and no thread: a read past the host's bytes is the host closing the port,
 * at once, so a session never waits.  For fuzzers and tests; returns an
 * enum mtkemu_serve_end as mtkemu_serve() does. */
struct mtkemu_host_script {
	const uint8_t *in;
	size_t len;
	size_t out_cap;
	void (*sink)(void *user, const uint8_t *buf, size_t len);
	void *user;
};
int mtkemu_serve_script(struct mtkemu *emu, const struct mtkemu_host_script *host);
/* Cable out and back in (the battery stays): the USB session ends and the
 * phone boots again per its boot model.  Power cycle: cable and battery out,
 * nothing volatile survives.  Both are safe from another thread or a signal
 * handler's flag; a running mtkemu_serve() returns MTKEMU_END_REENUMERATE. */
void mtkemu_replug(struct mtkemu *emu);
void mtkemu_power_cycle(struct mtkemu *emu);

/* Ask a running mtkemu_serve() to return soon; safe from another thread. */
void mtkemu_stop(struct mtkemu *emu);

void mtkemu_free(struct mtkemu *emu);

/* Host protocol violations the device saw so far (a handshake byte sent into
 * a running DA); each also printed as one "mtkemu: VIOLATION: ..." line on
 * stderr.  For tests. */
unsigned mtkemu_violations(const struct mtkemu *emu);

/* Names of the chips the emulator has profiles for, NULL-terminated. */
const char *const *mtkemu_chip_names(void);

#ifdef __cplusplus
}
#endif
#endif
