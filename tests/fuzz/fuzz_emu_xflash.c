/* SPDX-License-Identifier: MIT */
/* The emulator's xflash DA (emu/da_xflash.c) fed hostile host bytes.  Each
 * input runs after a valid BROM session that uploads the synthetic DA1 of an
 * xflash chip and jumps to it; with header bit EMUFUZZ_DA_AUTO the harness
 * also plays the DA1 stage (setup, EMI in BROM mode, BOOT_TO of DA2), so the
 * input drives DA2's command loop; otherwise it starts right after the C0
 * byte.  Storage and faults as emu_fuzz.h describes; emu_fuzz.c checks that
 * nothing is written outside the device's own files.  Input: the header of
 * emu_fuzz.h, then the host's bytes (framed packets, or not). */
#include <stdlib.h>

#include "emu_fuzz.h"

static struct emufuzz_da_target target = {.family = EMU_DA_XFLASH, .da1_stage = emufuzz_xflash_da1_stage};

static void free_all(void)
{
	emufuzz_da_free(&target);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	emufuzz_da_init(&target);
	atexit(free_all);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return emufuzz_da_input(&target, data, size);
}
