/* SPDX-License-Identifier: MIT */
/* What the protocol needs to know about each SoC: a data table (brom/chips.c). */
#ifndef MTKFLASH_CHIPS_H
#define MTKFLASH_CHIPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_da_family { MTK_DA_LEGACY = 3, MTK_DA_XFLASH = 5, MTK_DA_XML = 6 };

/* Which eMMC boot partition the chip's BootROM reads (formats.md §6.3). */
enum mtk_boot_select {
	MTK_BOOT_SELECT_BOOT1_ONLY, /* boot1, whatever BOOT_PARTITION_ENABLE says */
	MTK_BOOT_SELECT_EXT_CSD,    /* the partition EXT_CSD[179] BOOT_PARTITION_ENABLE selects */
};

struct mtk_chip {
	const char *name;       /* "MT6737" */
	const char *aliases;    /* other marketing names sharing the hw_code, "MT6737M/MT6735G" */
	uint16_t hw_code;       /* GET_HW_CODE answer */
	uint16_t da_code;       /* key of the chip's entry in a DA file */
	enum mtk_da_family da_family;
	uint32_t wdt_addr;      /* watchdog register, written with wdt_value to stop it */
	uint32_t wdt_value;
	uint32_t uart_addr;
	uint32_t da_payload_addr;
	uint32_t misc_lock;     /* 0 when unknown */
	uint32_t meid_addr;
	uint32_t socid_addr;    /* 0: the chip has no SOC_ID */
	uint32_t efuse_addr;
	uint16_t alt_hw_code;       /* a second GET_HW_CODE answer some parts give (MT6750: 0x0601); 0 = none */
	uint32_t brom_payload_addr; /* where exploit payloads go when SLA/DAA is set (not used when flashing) */
	uint32_t pl_payload_addr;   /* where a stage loaded through the preloader goes */
	enum mtk_boot_select boot_select; /* what a staged preloader write may rely on */
};

/* NULL-terminated order of the table; lookups return NULL when unknown. */
const struct mtk_chip *mtk_chip_table(size_t *count);
const struct mtk_chip *mtk_chip_by_hw_code(uint16_t hw_code);
const struct mtk_chip *mtk_chip_by_name(const char *name); /* case-insensitive, "mt6737" or "MT6737" */

/* "legacy", "xflash", "xml", or NULL for a value outside the enum. */
const char *mtk_da_family_name(enum mtk_da_family family);

#ifdef __cplusplus
}
#endif
#endif
