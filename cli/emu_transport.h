/* SPDX-License-Identifier: MIT */
/* The in-process emulator as the "emu:" port (emu_transport.c). */
#ifndef MTKFLASH_CLI_EMU_TRANSPORT_H
#define MTKFLASH_CLI_EMU_TRANSPORT_H

/* Makes mtk_transport_open() accept "emu:CHIP[,...]"; 0 or MTK_E_*. */
int cli_emu_transport_register(void);

#endif
