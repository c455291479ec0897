/* SPDX-License-Identifier: MIT */
/* xflash (DA v5) status words: their names come from the status catalogue
 * (data/status/, mtkflash/status.h), MediaTek's STATUS_* first. */
#include <string.h>

#include "mtkflash/da.h"
#include "mtkflash/status.h"

const char *mtk_xflash_status_name(uint32_t status)
{
	/* STATUS_OK shares 0 with S_DONE, and the OTP aliases share their values:
	 * the first STATUS_* of the catalogue (the header's order) is the name. */
	for (size_t i = 0; i < mtk_status_count(); i++) {
		const struct mtk_status *e = mtk_status_at(i);
		if (e->value == status && strcmp(e->table, "spft5") == 0 && strncmp(e->name, "STATUS_", 7) == 0)
			return e->name;
	}
	const struct mtk_status *x = mtk_status_find("xflash", status);
	return x ? x->name : NULL;
}
