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
#include <string.h>

#include "emu_fuzz.h"

#define MAX_CHIPS 32

static const struct emu_profile *chips[MAX_CHIPS];
static size_t nchips;
static struct emufuzz_buf prefix[MAX_CHIPS][2][2];
static struct emufuzz_buf input;

static void free_all(void)
{
	for (size_t c = 0; c < MAX_CHIPS; c++)
		for (int m = 0; m < 2; m++)
			for (int a = 0; a < 2; a++)
				emufuzz_free(&prefix[c][m][a]);
	emufuzz_free(&input);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const struct emu_profile *all[MAX_CHIPS];
	emufuzz_init();
	size_t n = emufuzz_chips(all, MAX_CHIPS, false);
	for (size_t i = 0; i < n; i++)
		if (all[i]->da_family == EMU_DA_XFLASH)
			chips[nchips++] = all[i];
	atexit(free_all);
	return 0;
}

static const struct emufuzz_buf *prefix_for(size_t chip, enum emu_mode mode, bool auto_da1)
{
	struct emufuzz_buf *b = &prefix[chip][mode == EMU_MODE_PRELOADER][auto_da1];
	if (!b->len) {
		emufuzz_brom_to_da(b, chips[chip]);
		if (auto_da1)
			emufuzz_xflash_da1_stage(b, chips[chip], mode);
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
	emufuzz_decode(hdr, chips, nchips, pre->len, &dev);
	input.len = 0;
	emufuzz_put(&input, pre->p, pre->len);
	emufuzz_put(&input, data + EMUFUZZ_HDR, size - EMUFUZZ_HDR);
	emufuzz_session(&dev, input.p, input.len, input.len);
	return 0;
}
