/* SPDX-License-Identifier: MIT */
/* Flash journals: whatever parses has every range inside its partition and
 * stash file names that are plain names (recover opens them in the folder). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_journal_state s;
	if (mtk_journal_parse(NULL, data, size, &s) < 0)
		return 0;
	for (size_t i = 0; i < s.count; i++) {
		const struct mtk_journal_part *p = &s.parts[i];
		for (size_t k = 0; k < p->nranges; k++)
			if (p->ranges[k].off > p->size || p->ranges[k].len > p->size - p->ranges[k].off)
				abort();
		if (p->stashed && (strchr(p->stash, '/') || !p->stash[0]))
			abort();
	}
	mtk_journal_state_free(&s);
	return 0;
}
