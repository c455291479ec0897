/* SPDX-License-Identifier: MIT */
/* mtkemu built without umockdev: --usb is refused. */
#include <stdio.h>

#include "emu_usb_main.h"

int emu_usb_main(struct mtkemu *emu, const struct emu_usb_main_opts *o, atomic_bool *stop, atomic_bool *replug)
{
	const char *dir = o->dir;
	(void)emu;
	(void)stop;
	(void)replug;
	fprintf(stderr, "mtkemu: --usb %s: this mtkemu was built without umockdev (apt-get install libumockdev-dev)\n",
		dir);
	return 2;
}

int emu_usb_preload(char **argv)
{
	(void)argv;
	return 0;
}
