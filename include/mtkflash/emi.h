/* SPDX-License-Identifier: MIT */
/* The EMI (DRAM settings) table a preloader carries in its MTK_BLOADER_INFO
 * block (formats.md §4.5.1–§4.5.3): one record per memory part the board may
 * have, each naming its part by storage class, DRAM type and flash id.
 *
 * Types only, so that lib/da (which checks a table against the device's flash
 * id before sending it) and lib/image (which parses it, imagefile.h) share
 * them without lib/da depending on the image layer. */
#ifndef MTKFLASH_EMI_H
#define MTKFLASH_EMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_EMI_MAX_RECORDS 64 /* described one by one; a longer table is still sent whole */
#define MTK_EMI_ID_MAX      16

/* Bits 11:8 of a record's type word. */
enum mtk_emi_class {
	MTK_EMI_DISCRETE = 0x0,
	MTK_EMI_NAND_MCP = 0x1,
	MTK_EMI_EMMC_MCP = 0x2,
	MTK_EMI_UFS_MCP = 0x3,
	MTK_EMI_TABLET = 0xF, /* discrete "tablet" part */
};

struct mtk_emi_record {
	uint32_t type;                /* raw type word; 0 = empty record */
	uint8_t id_len;               /* bytes of id[] the preloader compares */
	uint8_t id[MTK_EMI_ID_MAX];   /* eMMC: CID bytes in CID order; NAND: READ-ID; UFS: part string */
};

static inline unsigned mtk_emi_class_of(uint32_t type)
{
	return (type >> 8) & 0xFu;
}

static inline bool mtk_emi_is_mcp(uint32_t type)
{
	unsigned c = mtk_emi_class_of(type);
	return type != 0 && c >= MTK_EMI_NAND_MCP && c <= MTK_EMI_UFS_MCP;
}

/* The parsed table (lib/image/preloader.c fills it). */
struct mtk_emi_table {
	uint32_t version;       /* MTK_BLOADER_INFO_vNN -> NN */
	uint32_t count;         /* N, the record count word */
	uint32_t record_size;   /* S = (L - 0x70) / N; 0 when that does not divide */
	uint32_t described;     /* records in rec[] (min(N, MTK_EMI_MAX_RECORDS)), 0 when S is unknown */
	char layout_note[96];   /* why the records could not be described, "" when they could */
	struct mtk_emi_record rec[MTK_EMI_MAX_RECORDS];
};

/* Does the table name any MCP part (so a flash id can choose a record)? */
bool mtk_emi_has_mcp(const struct mtk_emi_table *t);
/* The first eMMC-MCP record whose id is a prefix-match of one of ids[]
 * (each at least MTK_EMI_ID_MAX bytes: the device's CID in the orders a DA
 * may report it), or -1.  The preloader's own choice (formats.md §4.5.3). */
int mtk_emi_match(const struct mtk_emi_table *t, const uint8_t *const ids[], size_t nids);

const char *mtk_emi_class_name(unsigned cls);  /* "discrete", "nand-mcp", "emmc-mcp", "ufs-mcp", "tablet", "?" */
const char *mtk_emi_dram_name(uint32_t type);  /* "LPDDR3", ...; "?" */

#ifdef __cplusplus
}
#endif
#endif
