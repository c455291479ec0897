/* SPDX-License-Identifier: MIT */
/* The generated catalogue (tools/gen_status.py writes status_table.c). */
#ifndef MTK_CORE_STATUS_TABLE_H
#define MTK_CORE_STATUS_TABLE_H

#include <stdint.h>

#include "mtkflash/status.h"

struct mtk_status_table {
	const char *key, *desc;
};
extern const struct mtk_status_table mtk_status_tables[]; /* NULL-terminated */
extern const struct mtk_status mtk_status_entries[];
extern const size_t mtk_status_entry_count;
/* mtk_status_entry_count positions in mtk_status_entries, sorted by name
 * without regard to case (ASCII), equal names in the entries' order. */
extern const uint16_t mtk_status_by_name[];

#endif
