/* SPDX-License-Identifier: MIT */
/* Boot model: after power-on or reset the BootROM looks for a preloader in
 * the boot partition it reads; with one the phone comes up in preloader mode,
 * without one it stays in BROM download mode (ARCHITECTURE.md, emulator).
 *
 * Called at every boot (power-on, replug, reset; device.c) unless
 * options.mode forces a personality.  The storage model extends this: emu_emmc_has_preloader()
 * on the state directory decides it. */
#include "emu_internal.h"
#include "emu_storage.h"

/* A state directory never provisioned is a blank eMMC: nothing to boot, BROM.
 * A provisioned one boots when the boot area the BootROM reads (boot1, or
 * boot2 if PARTITION_CONFIG selects it) holds an EMMC_BOOT + BRLYT header;
 * erasing or zeroing that preloader bricks the phone into BROM mode. */
enum emu_mode emu_boot_decide_mode(struct mtkemu *e)
{
	char err[256];
	if (!emu_emmc_exists(e->state_dir) || emu_storage_open(e, err, sizeof(err)) != 0)
		return EMU_MODE_BROM;
	return emu_emmc_has_preloader(e->storage, emu_emmc_boot_area(e->storage)) ? EMU_MODE_PRELOADER
										    : EMU_MODE_BROM;
}
