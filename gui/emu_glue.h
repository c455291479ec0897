/* SPDX-License-Identifier: MIT */
/* The emu: port for rehearsals and tests, when the build has the emulator. */
#ifndef MTKGUI_EMU_GLUE_H
#define MTKGUI_EMU_GLUE_H

/* 0, or a negative MTK_E_* (a build without the emulator: MTK_E_UNSUPPORTED). */
int gui_emu_register(void);

#endif
