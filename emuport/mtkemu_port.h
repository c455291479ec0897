/* SPDX-License-Identifier: MIT */
/* The in-process emulator as the "emu:" port (mtkemu_port.c), for every
 * front end: a static library that links libmtkflash and libmtkemu, so that
 * the library itself never carries the emulator. */
#ifndef MTKEMU_PORT_H
#define MTKEMU_PORT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Makes mtk_transport_open() accept "emu:CHIP[,...]"; 0 or MTK_E_*. */
int mtkemu_port_register(void);

#ifdef __cplusplus
}
#endif

#endif
