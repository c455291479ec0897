/* SPDX-License-Identifier: MIT */
/* mtkemu --usb DIR (usb_main.c, or a stub in builds without umockdev). */
#ifndef MTKEMU_USB_MAIN_H
#define MTKEMU_USB_MAIN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "mtkemu.h"

/* Serves emu as a umockdev USB device in a test bed at DIR (created, and
 * removed at the end) until *stop; returns the exit status.
 * unplugged: the cable goes in at the first replug (SIGUSR1). */
int emu_usb_main(struct mtkemu *emu, const char *dir, atomic_bool *stop, atomic_bool *replug, bool unplugged);

/* Re-executes the program under umockdev's preload unless it already runs
 * under it; returns 0 when it does, -1 when the exec failed. */
int emu_usb_preload(char **argv);

#endif
