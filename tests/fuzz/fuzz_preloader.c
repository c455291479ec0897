/* SPDX-License-Identifier: MIT */
/* Preloader (GFH, BRLYT, MTK_BLOADER_INFO/EMI) and Android boot image
 * parsers, and the file classifier, on the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/imagefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)mtk_identify_buf(data, size);
	struct mtk_bootimg_info bi;
	if (mtk_bootimg_parse(NULL, data, size, 0, &bi) == 0 && bi.image_size > size)
		abort();
	struct mtk_preloader_info p;
	if (mtk_preloader_parse(NULL, data, size, &p) < 0)
		return 0;
	if ((uint64_t)p.gfh_offset + p.file_len > size)
		abort();
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
