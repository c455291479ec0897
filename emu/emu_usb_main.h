/* SPDX-License-Identifier: MIT */
/* mtkemu --usb DIR (usb_main.c, or a stub in builds without umockdev). */
#ifndef MTKEMU_USB_MAIN_H
#define MTKEMU_USB_MAIN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "mtkemu.h"

struct emu_usb_main_opts {
	const char *dir;       /* the test bed, created and removed at the end */
	bool unplugged;        /* the cable goes in at the first replug (SIGUSR1) */
	struct mtkemu *second; /* NULL, or a second phone on port 1-2 of the same bus */
};

/* Serves emu as a umockdev USB device (port 1-1) in a test bed until
 * *stop; returns the exit status.  *replug concerns the first phone. */
int emu_usb_main(struct mtkemu *emu, const struct emu_usb_main_opts *o, atomic_bool *stop, atomic_bool *replug);

/* Re-executes the program under umockdev's preload unless it already runs
 * under it; returns 0 when it does, -1 when the exec failed. */
int emu_usb_preload(char **argv);

#endif
