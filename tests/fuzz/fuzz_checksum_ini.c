/* SPDX-License-Identifier: MIT */
/* lib/image/checksum_ini.c on hostile text.  A parsed file must be
 * consistent: every entry is found again by its own name, with its value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/checksum_ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_checksum_ini c;
	if (mtk_checksum_ini_parse(ctx, "Checksum.ini", data, size, &c) == 0) {
		for (size_t i = 0; i < c.count; i++) {
			const struct mtk_checksum_entry *e = mtk_checksum_ini_find(&c, c.entries[i].name);
			if (!e || strcmp(e->name, c.entries[i].name) != 0 || e->value != c.entries[i].value)
				abort();
			uint16_t expected;
			unsigned line;
			if (mtk_checksum_ini_judge(&c, e->name, true, e->value, &expected, &line) !=
			            MTK_CKS_MATCH ||
			    line != e->line)
				abort();
		}
		if (c.enabled < -1 || c.enabled > 1)
			abort();
		mtk_checksum_ini_free(&c);
	} else if (c.entries || c.count) {
		abort();
	}
	mtk_ctx_free(ctx);
	return 0;
}
