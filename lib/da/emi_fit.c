/* SPDX-License-Identifier: MIT */
/* Does a preloader's EMI table fit this board?  The preloader's (and the
 * DA's) record choice made on the host before anything is sent, for the
 * legacy and xflash clients alike (formats.md §4.5.3, da-xflash.md §2.4). */
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "da/da_priv.h"

/* ------------------------------------- does the EMI table fit this board? */

#define EMI_NO_RECORD (-1)

static void hex_bytes(const uint8_t *p, size_t n, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < n && 2 * i + 3 <= cap; i++)
		snprintf(out + 2 * i, cap - 2 * i, "%02x", p[i]);
}

/* The DA's byte order for the DRAM-info CID is unknown (§4.5): mtkclient
 * tries it as sent and with each u32 swapped; so do we. */
static void swap_words(const uint8_t in[16], uint8_t out[16])
{
	for (int w = 0; w < 16; w += 4)
		for (int i = 0; i < 4; i++)
			out[w + i] = in[w + 3 - i];
}

static bool record_matches(const struct mtk_emi_record *r, const uint8_t *const ids[], size_t nids)
{
	if (r->type == 0 || mtk_emi_class_of(r->type) != MTK_EMI_EMMC_MCP || r->id_len == 0)
		return false;
	for (size_t k = 0; k < nids; k++)
		if (memcmp(r->id, ids[k], r->id_len) == 0)
			return true;
	return false;
}

/* "150100424a54414252 (emmc-mcp), ..." for the refusal message. */
static void list_ids(const struct mtk_emi_table *t, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < t->described && n + 48 < cap; i++) {
		char id[2 * MTK_EMI_ID_MAX + 1];
		hex_bytes(t->rec[i].id, t->rec[i].id_len, id, sizeof id);
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", t->rec[i].id_len ? id : "(no id)");
	}
}

static int first_discrete(const struct mtk_emi_table *t)
{
	for (uint32_t i = 0; i < t->described; i++)
		if (t->rec[i].type != 0 && !mtk_emi_is_mcp(t->rec[i].type))
			return (int)i;
	return EMI_NO_RECORD;
}

bool mtk_emi_has_mcp(const struct mtk_emi_table *t)
{
	for (uint32_t i = 0; t && i < t->described; i++)
		if (mtk_emi_is_mcp(t->rec[i].type))
			return true;
	return false;
}

int mtk_emi_match(const struct mtk_emi_table *t, const uint8_t *const ids[], size_t nids)
{
	for (uint32_t i = 0; t && i < t->described; i++)
		if (record_matches(&t->rec[i], ids, nids))
			return (int)i;
	return -1;
}

static int emi_no_match(struct mtk_da *da, const struct mtk_emi_table *t, const uint8_t flash_id[9], int *pick)
{
	char dev[19], ids[640];
	hex_bytes(flash_id, 9, dev, sizeof dev);
	*pick = first_discrete(t);
	if (*pick != EMI_NO_RECORD) {
		mtk_warn(da->ctx, "EMI: no record matches this device's flash id %s; the board may have discrete "
			 "DRAM, chosen by its vendor id (MR5), which the host cannot read: not checked", dev);
		return 0;
	}
	list_ids(t, ids, sizeof ids);
	return mtk_fail(da->ctx, MTK_E_POLICY, "this preloader's EMI (DRAM) settings do not fit this board: the "
			"device's flash id (eMMC CID[0:9]) is %s, the preloader supports %s; a DA given them "
			"cannot start its DRAM. Use the preloader of this device's own firmware; nothing was sent",
			dev, ids);
}

/* The preloader's record choice (formats.md §4.5.3) made on the host, before
 * anything is sent: an MCP board whose flash id no record names would not
 * come up, and a legacy DA often goes silent then.  *pick is the record the
 * board uses (or the one a discrete board most likely uses). */
int mtk_da_emi_fits(struct mtk_da *da, const struct mtk_emi_table *t, const uint8_t dram_info[16], int *pick)
{
	*pick = 0;
	if (t && t->count == 0)
		return mtk_fail(da->ctx, MTK_E_POLICY, "the preloader's EMI table has no records; nothing was sent");
	if (!t || !t->described)
		return mtk_fail(da->ctx, MTK_E_POLICY, "the preloader's EMI records could not be read (%s), so "
				"whether they fit this board cannot be checked; nothing was sent",
				t && *t->layout_note ? t->layout_note : "no record table");
	if (!mtk_emi_has_mcp(t)) {
		mtk_info(da->ctx, "EMI: the preloader lists only discrete DRAM parts (%u records); their vendor id "
			 "(MR5) cannot be read from the host, so the fit is not checked", t->count);
		return 0;
	}
	if (da->storage.type != MTK_STORAGE_EMMC) {
		mtk_warn(da->ctx, "EMI: the flash id check covers eMMC boards; this one reports %s: not checked",
			 mtk_storage_type_name(da->storage.type));
		return 0;
	}
	/* The legacy DA's DRAM-info CID comes in an unknown byte order; the
	 * xflash DA's eMMC CID order is assumed, not known (da-xflash.md §7.13). */
	uint8_t swapped[16];
	swap_words(dram_info ? dram_info : da->storage.cid, swapped);
	const uint8_t *const ids[] = { da->storage.cid, swapped, dram_info };
	int i = mtk_emi_match(t, ids, dram_info ? 3 : 2);
	if (i >= 0) {
		char id[2 * MTK_EMI_ID_MAX + 1];
		hex_bytes(t->rec[i].id, t->rec[i].id_len, id, sizeof id);
		mtk_info(da->ctx, "EMI: record %d of %u matches this device's flash id %s", i, t->count, id);
		*pick = i;
		return 0;
	}
	return emi_no_match(da, t, da->storage.cid, pick);
}

