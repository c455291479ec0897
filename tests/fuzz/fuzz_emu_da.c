/* SPDX-License-Identifier: MIT */
/* The emulator's legacy DA personality (emu/da_legacy.c) fed hostile host
 * bytes.  Each input runs after a valid BROM session that uploads the
 * synthetic DA1 for a legacy chip and jumps to it; with header bit
 * EMUFUZZ_DA_AUTO the harness also plays the DA1 stage (stage-2 block, EMI
 * exchange, DA2 upload), so the input goes straight to DA2's command loop.
 * Otherwise the input plays the DA1 stage itself.  Storage is a 64 MiB eMMC
 * (blank or provisioned) or the emulator's own default; emu_fuzz.c checks that
 * nothing is written outside it.  Input: the header of emu_fuzz.h, then the
 * host's bytes. */
#include <stdlib.h>

#include "emu_fuzz.h"
#include "fuzz_options.h"

static struct emufuzz_da_target target = {.family = EMU_DA_LEGACY, .da1_stage = emufuzz_da1_stage};

static void free_all(void)
{
	emufuzz_da_free(&target);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_max_len(argc, argv, EMUFUZZ_MAX_LEN);
	emufuzz_da_init(&target);
	atexit(free_all);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return emufuzz_da_input(&target, data, size);
}
