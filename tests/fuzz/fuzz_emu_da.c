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
#include <string.h>

#include "emu_fuzz.h"

#define MAX_LEGACY 16

static const struct emu_profile *chips[MAX_LEGACY];
static size_t nchips;
/* Harness prefixes by chip, personality and "DA1 stage too". */
static struct emufuzz_buf prefix[MAX_LEGACY][2][2];
static struct emufuzz_buf input;

static void free_all(void)
{
	for (size_t c = 0; c < MAX_LEGACY; c++)
		for (int m = 0; m < 2; m++)
			for (int a = 0; a < 2; a++)
				emufuzz_free(&prefix[c][m][a]);
	emufuzz_free(&input);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	emufuzz_init();
	nchips = emufuzz_chips(chips, MAX_LEGACY, true);
	atexit(free_all);
	return 0;
}

static const struct emufuzz_buf *prefix_for(size_t chip, enum emu_mode mode, bool auto_da1)
{
	struct emufuzz_buf *b = &prefix[chip][mode == EMU_MODE_PRELOADER][auto_da1];
	if (!b->len) {
		emufuzz_brom_to_da(b, chips[chip]);
		if (auto_da1)
			emufuzz_da1_stage(b, chips[chip], mode);
	}
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < EMUFUZZ_HDR)
		return 0;
	uint8_t hdr[EMUFUZZ_HDR];
	memcpy(hdr, data, sizeof hdr);
	hdr[2] &= (uint8_t)~0x07; /* no SBC/SLA/DAA: the synthetic DA is unsigned and must get in */
	size_t chip = hdr[0] % nchips;
	struct emufuzz_dev dev;
	emufuzz_decode(hdr, chips, nchips, 0, &dev);
	const struct emufuzz_buf *pre = prefix_for(chip, emufuzz_mode(&dev), hdr[1] & EMUFUZZ_DA_AUTO);
	/* A disconnect fault counts from the end of the prefix (roughly: the
	 * device's own replies to it are small). */
	emufuzz_decode(hdr, chips, nchips, pre->len, &dev);
	input.len = 0;
	emufuzz_put(&input, pre->p, pre->len);
	emufuzz_put(&input, data + EMUFUZZ_HDR, size - EMUFUZZ_HDR);
	emufuzz_session(&dev, input.p, input.len, input.len);
	return 0;
}
