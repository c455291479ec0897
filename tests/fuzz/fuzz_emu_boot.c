/* SPDX-License-Identifier: MIT */
/* The emulator's boot model on hostile storage: the input is what boot1 and
 * the user area's first sectors hold (the preloader's headers, GFH and EMI
 * block; the GPT header and entries), plus PARTITION_CONFIG.
 *
 * Input: [0] PARTITION_CONFIG, [1] chip selector, then up to 64 KiB for
 * boot1 and the rest for the user area from offset 0. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"
#include "emu_storage.h"

#define BOOT_PART (64u << 10)
#define USER_PART (256u << 10)

static struct mtkemu_memstate *mem;

static void free_mem(void)
{
	mtkemu_memstate_free(mem);
}

/* In memory, snapshotted all zero: each input starts from a reset, which
 * puts back only the pages the previous one wrote. */
static struct emu_storage *storage(void)
{
	static struct emu_storage *s;
	if (s)
		return s;
	char err[256];
	struct emu_emmc_geometry g = { .size = { 128u << 10, 128u << 10, 128u << 10, 64u << 20 } };
	snprintf(g.chip, sizeof g.chip, "mt6737");
	mem = mtkemu_memstate_new("fuzz_emu_boot");
	if (!mem || emu_emmc_create_mem(mem, &g, err, sizeof err) != 0 ||
	    emu_emmc_open_mem(mem, &s, err, sizeof err) != 0)
		abort();
	mtkemu_memstate_snapshot(mem);
	atexit(free_mem);
	return s;
}

static void put(struct emu_storage *s, int area, const uint8_t *data, size_t len)
{
	if (len && emu_emmc_write(s, area, 0, data, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const chips[] = { "mt6737", "mt6572", "mt6580", "mt6765" };
	if (size < 2)
		return 0;
	struct emu_storage *s = storage();
	mtkemu_memstate_reset(mem);
	const struct emu_profile *prof = emu_profile_find(chips[data[1] % 4]);
	if (emu_emmc_switch(s, EMU_EXT_CSD_PARTITION_CONFIG, data[0]) != 0)
		abort();
	data += 2;
	size -= 2;
	size_t boot = size < BOOT_PART ? size : BOOT_PART;
	size_t user = size - boot < USER_PART ? size - boot : USER_PART;
	put(s, EMU_AREA_BOOT1, data, boot);
	put(s, EMU_AREA_BOOT2, data, boot);
	put(s, EMU_AREA_USER, data + boot, user);
	struct emu_boot_verdict v;
	emu_boot_check(prof, s, &v);
	if (v.boots && v.failed[0])
		abort();
	return 0;
}
