/* SPDX-License-Identifier: MIT */
/* The emulator's BROM and preloader personalities (emu/brom.c) fed hostile host
 * bytes: every chip, both personalities, every security setting, with and
 * without storage, one session or two on the same device (the host opening the
 * port again).  The device must answer or end the session, never crash,
 * hang, leak or write outside its state directory (emu_fuzz.c checks).
 * Input: the selector header of emu_fuzz.h, then what the host sends. */
#include <stddef.h>
#include <stdint.h>

#include "emu_fuzz.h"
#include "fuzz_options.h"

static const struct emu_profile *chips[64];
static size_t nchips;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_max_len(argc, argv, EMUFUZZ_MAX_LEN);
	emufuzz_init();
	nchips = emufuzz_chips(chips, sizeof chips / sizeof chips[0], false);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < EMUFUZZ_HDR)
		return 0;
	struct emufuzz_dev dev;
	emufuzz_decode(data, chips, nchips, 0, &dev);
	size_t len = size - EMUFUZZ_HDR;
	emufuzz_session(&dev, data + EMUFUZZ_HDR, len, data[1] & EMUFUZZ_TWO_SESSIONS ? len / 2 : len);
	return 0;
}
