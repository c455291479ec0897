/* SPDX-License-Identifier: MIT */
/* The chip table: everything the BootROM protocol needs to know per SoC.
 * Values from brom-protocol.md §5.2 (identity, DA mode, core addresses) and
 * §5.3 (misc_lock, ME_ID/SOC_ID and eFuse addresses).  Data only: code that
 * behaves differently per chip reads a field here instead of testing names. */
#include "mtkflash/chips.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Watchdog (TOPRGU WDT_MODE) register and the value that stops it, §3.11:
 * key 0x22 in the top byte.  The MT6735 class keeps its watchdog elsewhere
 * and takes a value without the 0x64 bits. */
#define WDT_TOPRGU 0x10007000u, 0x22000064u
#define WDT_MT6735 0x10212000u, 0x22000000u

/* Entries sharing a hw_code are listed canonical name first: that is the
 * one a lookup by hw_code answers (MT6761 before MT6762, MT6755 before
 * MT6750), and the others are found by name. */
/* Boot partition policy (formats.md §6.3/§6.4): chips whose preloader trees
 * carry MediaTek's A/B preloader code (MT6580, MT6739, MT6755/MT6750, MT6757,
 * MT6761 onward) flip BOOT_PARTITION_ENABLE and reset, so their BootROMs boot
 * the partition it selects.  For MT6572/MT6582/MT6735/MT6737/MT6753 no code
 * was found that ever selects boot2: keep boot1.  No BootROM is known to fall
 * back to boot2 by itself. */
#define BOOT1_ONLY_HW(hw) ((hw) == 0x6572 || (hw) == 0x6582 || (hw) == 0x0321 || (hw) == 0x0335 || (hw) == 0x0337)
#define BOOT_SELECT(hw) (BOOT1_ONLY_HW(hw) ? MTK_BOOT_SELECT_BOOT1_ONLY : MTK_BOOT_SELECT_EXT_CSD)

#define ROW(...) ROW_(__VA_ARGS__) /* lets WDT_* expand to two arguments first */
#define ROW_(nm, al, hw, dac, fam, wa, wv, uart, brom_pl, da_pl, pl_pl, misc, meid, socid, efuse, alt)         \
	{                                                                                                      \
		.name = nm, .aliases = al, .hw_code = hw, .da_code = dac, .da_family = fam, .wdt_addr = wa,    \
		.wdt_value = wv, .uart_addr = uart, .brom_payload_addr = brom_pl, .da_payload_addr = da_pl,    \
		.pl_payload_addr = pl_pl, .misc_lock = misc, .meid_addr = meid, .socid_addr = socid,           \
		.efuse_addr = efuse, .alt_hw_code = alt, .boot_select = BOOT_SELECT(hw),                       \
	}

#define L MTK_DA_LEGACY
#define X MTK_DA_XFLASH

/* clang-format off */
static const struct mtk_chip chips[] = {
	/*  name     aliases                                          hw      dacode  DA  WDT(addr,val) UART        brom_pl      da_pl        pl_pl        misc_lock    meid_addr    socid_addr   efuse_addr   alt */
	ROW("MT6572", "",                                              0x6572, 0x6572, L, WDT_TOPRGU, 0x11005000u, 0x010036A0u, 0x02008000u, 0x81E00000u, 0x1000141Cu, 0x11142C34u, 0,          0x10009000u, 0),
	ROW("MT6580", "",                                              0x6580, 0x6580, L, WDT_TOPRGU, 0x11005000u, 0x00100A00u, 0x00201000u, 0x80001000u, 0x10001838u, 0x001030B4u, 0,          0x10009000u, 0),
	ROW("MT6582", "MT6574/MT8382",                                 0x6582, 0x6582, L, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x80001000u, 0x10002050u, 0x001030CCu, 0,          0x10206000u, 0),
	ROW("MT6735", "MT6735M/MT6735T/MT6735P/MT8735A",               0x0321, 0x6735, L, WDT_MT6735, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x10001838u, 0x001030B0u, 0,          0x11C50000u, 0),
	ROW("MT6737", "MT6737M/MT6737T/MT6735G",                       0x0335, 0x6735, L, WDT_MT6735, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0,           0x001030B0u, 0,          0x10206000u, 0),
	ROW("MT6739", "MT6731/MT8765",                                 0x0699, 0x6739, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102AF8u, 0x00102B08u, 0x11C00000u, 0),
	ROW("MT6755", "MT6750/MT6750M/MT6750T/MT6750S",                0x0326, 0x6755, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x10001838u, 0x001030ACu, 0,          0x10206000u, 0),
	ROW("MT6750", "MT6755/MT6750M/MT6750T/MT6750S",                0x0326, 0x6755, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x10001838u, 0x001030ACu, 0,          0x10206000u, 0x0601),
	ROW("MT6753", "",                                              0x0337, 0x6735, L, WDT_MT6735, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x10001838u, 0x001030B0u, 0,          0,           0),
	ROW("MT6757", "MT6757D",                                       0x0551, 0x6757, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x10001838u, 0x001030B4u, 0,          0x10206000u, 0),
	ROW("MT6761", "MT6762/MT3369/MT8766B/MT8761/AC8259/AC8257",    0x0717, 0x6761, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102AF8u, 0x00102B08u, 0x11C50000u, 0),
	ROW("MT6762", "MT6761/MT3369/MT8766B/MT8761/AC8259/AC8257",    0x0717, 0x6761, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102AF8u, 0x00102B08u, 0x11C50000u, 0),
	ROW("MT6763", "MT6763V/MT6763T",                              0x0690, 0x6763, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102B78u, 0x00102B88u, 0x11F10000u, 0),
	ROW("MT6765", "MT8768T",                                       0x0766, 0x6765, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102AF8u, 0x00102B08u, 0x11C50000u, 0),
	ROW("MT6768", "MT6769",                                        0x0707, 0x6768, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102AF8u, 0x00102B08u, 0x11CE0000u, 0),
	ROW("MT6771", "MT6771T/MT6771V/MT8385/MT8183/MT8666",          0x0788, 0x6771, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102B38u, 0x00102B48u, 0x11F10000u, 0),
	ROW("MT6785", "",                                              0x0813, 0x6785, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x1001A100u, 0x00102B38u, 0x00102B48u, 0x11C10000u, 0),
	ROW("MT6797", "MT6767",                                        0x0279, 0x6797, X, WDT_TOPRGU, 0x11002000u, 0x00100A00u, 0x00201000u, 0x40200000u, 0x10002050u, 0x001030ACu, 0,          0x10206000u, 0),
	{ 0 },
};
/* clang-format on */

#undef L
#undef X

#define CHIP_COUNT (sizeof chips / sizeof chips[0] - 1)

const struct mtk_chip *mtk_chip_table(size_t *count)
{
	if (count)
		*count = CHIP_COUNT;
	return chips;
}

const struct mtk_chip *mtk_chip_by_hw_code(uint16_t hw_code)
{
	for (size_t i = 0; i < CHIP_COUNT; i++)
		if (chips[i].hw_code == hw_code)
			return &chips[i];
	/* Only when no part claims the code as its main one. */
	for (size_t i = 0; i < CHIP_COUNT; i++)
		if (chips[i].alt_hw_code && chips[i].alt_hw_code == hw_code)
			return &chips[i];
	return NULL;
}

/* aliases is "A/B/C"; compare each token case-insensitively. */
static bool alias_matches(const char *aliases, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = aliases; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len + (end ? 1 : 0);
	}
	return false;
}

const struct mtk_chip *mtk_chip_by_name(const char *name)
{
	if (!name || !*name)
		return NULL;
	for (size_t i = 0; i < CHIP_COUNT; i++)
		if (strcasecmp(chips[i].name, name) == 0)
			return &chips[i];
	for (size_t i = 0; i < CHIP_COUNT; i++)
		if (alias_matches(chips[i].aliases, name))
			return &chips[i];
	return NULL;
}

const char *mtk_da_family_name(enum mtk_da_family family)
{
	switch (family) {
	case MTK_DA_LEGACY:
		return "legacy";
	case MTK_DA_XFLASH:
		return "xflash";
	case MTK_DA_XML:
		return "xml";
	}
	return NULL;
}
