/* SPDX-License-Identifier: MIT */
/* Preloader (GFH, BRLYT, MTK_BLOADER_INFO/EMI, bare EMI blocks) and Android boot image
 * parsers, and the file classifier, on the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/imagefile.h"

/* The record table never claims more than the bytes it came from. */
static void check_emi_table(const struct mtk_preloader_info *p, const uint8_t *data, size_t size)
{
	const struct mtk_emi_table *t = &p->emi_table;
	if (p->emi && (p->emi < data || p->emi + p->emi_len > data + size))
		abort();
	if (t->described > MTK_EMI_MAX_RECORDS || t->described > t->count)
		abort();
	if (t->described && (uint64_t)t->record_size * t->count != p->emi_len)
		abort();
	for (uint32_t i = 0; i < t->described; i++)
		if (t->rec[i].id_len > MTK_EMI_ID_MAX)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_preloader_info e;
	if (mtk_emi_block_parse(NULL, data, size, &e) == 0)
		check_emi_table(&e, data, size);
	(void)mtk_identify_buf(data, size);
	struct mtk_bootimg_info bi;
	if (mtk_bootimg_parse(NULL, data, size, 0, &bi) == 0 && bi.image_size > size)
		abort();
	struct mtk_preloader_info p;
	if (mtk_preloader_parse(NULL, data, size, &p) < 0)
		return 0;
	if ((uint64_t)p.gfh_offset + p.file_len > size)
		abort();
	check_emi_table(&p, data, size);
	if (p.emi) {
		if (p.emi < data || p.emi + p.emi_len > data + size)
			abort();
		if (mtk_preloader_emi_compare(NULL, &p, &p) != 0)
			abort();
	}
	if (strlen(p.name) >= sizeof p.name || strlen(p.board) > strlen(p.name))
		abort();
	return 0;
}
