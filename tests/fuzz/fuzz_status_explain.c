/* SPDX-License-Identifier: MIT */
/* `mtkflash explain`'s parser (lib/core/status.c) on whatever is pasted: it must
 * stay inside the string (ASan), and agree with a plain rule: a known name put
 * in front of the same bytes is always found. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "BROM ERROR : S_FT_DA_NO_RESPONSE (4001) ";
	char *q = malloc(sizeof head + size);
	if (!q)
		return 0;
	memcpy(q + sizeof head - 1, data, size);
	q[sizeof head - 1 + size] = '\0';
	const struct mtk_status *m[64];
	size_t n = mtk_status_explain(q + sizeof head - 1, m, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		if (!m[i]->name || !m[i]->meaning)
			abort();
	memcpy(q, head, sizeof head - 1);
	n = mtk_status_explain(q, m, 64);
	/* The name leads, so no limit (64 matches, 4096 bytes read) can drop it. */
	int found = 0;
	for (size_t i = 0; i < n && i < 64; i++)
		found |= strcmp(m[i]->name, "S_FT_DA_NO_RESPONSE") == 0;
	if (!found)
		abort();
	free(q);
	return 0;
}
