/* SPDX-License-Identifier: MIT */
/* Full backup unit manifests (unit.json): whatever parses names only plain
 * files (a restore must never read outside the unit's folder), each area's
 * class is the one its name and region give (a protected partition cannot
 * pass as data), areas and files are unique, sizes add up without
 * overflow, and every bad range lies inside its area. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/backup_unit.h"

static void check_file(const char *f)
{
	if (!f[0] || f[0] == '.' || strchr(f, '/'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_unit u;
	if (mtk_unit_parse(NULL, (const char *)data, size, "fuzz", &u) < 0)
		return 0;
	uint64_t sum = 0;
	if (u.count == 0)
		abort();
	check_file(u.scatter);
	for (size_t i = 0; i < u.count; i++) {
		const struct mtk_unit_area *a = &u.areas[i];
		check_file(a->file);
		if (a->cls != mtk_unit_class_of(a->name, a->region) || a->offset + a->size < a->offset)
			abort();
		for (size_t k = i + 1; k < u.count; k++)
			if (!strcmp(a->name, u.areas[k].name) || !strcmp(a->file, u.areas[k].file))
				abort();
		sum += a->size;
	}
	for (size_t i = 0; i < u.nbad; i++) {
		const struct mtk_unit_area *a = mtk_unit_find(&u, u.bad[i].area);
		if (!a || u.bad[i].offset + u.bad[i].length > a->size)
			abort();
	}
	if (sum != u.bytes)
		abort();
	mtk_unit_free(&u);
	return 0;
}
