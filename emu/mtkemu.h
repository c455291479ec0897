/* SPDX-License-Identifier: MIT */
/* libmtkemu: a software MediaTek device.
 *
 * Written from the reference documents, independently of the client code in
 * lib/brom and lib/da (it shares only lib/core byte helpers and lib/storage
 * table writers), so that one misreading of the protocol cannot pass its own
 * tests.
 *
 * A device is created from options, then served over any connected byte
 * stream (a pty master, one end of a socketpair).  Serving blocks the calling
 * thread the way firmware does: read a command, answer it, repeat. */
#ifndef MTKEMU_H
#define MTKEMU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mtkemu_options {
	const char *chip;      /* "mt6737" (case-insensitive); required */
	const char *state_dir; /* storage and persistent state; NULL = a private temp dir removed at free */
	const char *mode;      /* "brom" | "preloader"; NULL = decided by the boot model / profile */
	const char *faults;    /* fault spec, e.g. "disconnect-after=4096"; NULL = none */
	const char *speed;     /* link model: "usb2-hs" | "usb2-fs" | "none"; NULL = none */
	const char *security;  /* "sbc,sla,daa" flag list or a hex target_config; NULL = profile default */
};

struct mtkemu;

/* Returns 0, or -1 with a sentence in err (unknown chip, bad fault spec…). */
int mtkemu_new(const struct mtkemu_options *opt, struct mtkemu **out, char *err, size_t errlen);

/* Serve the device on fd until the peer closes it (returns 0), mtkemu_stop()
 * is called (returns 0), or an injected fault ends the link (returns 1).
 * Does not close fd. */
int mtkemu_serve(struct mtkemu *emu, int fd);

/* Ask a running mtkemu_serve() to return soon; safe from another thread. */
void mtkemu_stop(struct mtkemu *emu);

void mtkemu_free(struct mtkemu *emu);

/* Names of the chips the emulator has profiles for, NULL-terminated. */
const char *const *mtkemu_chip_names(void);

#ifdef __cplusplus
}
#endif
#endif
