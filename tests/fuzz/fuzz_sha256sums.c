/* SPDX-License-Identifier: MIT */
/* SHA256SUMS parser: whatever parses must format and parse back to the same
 * names and hashes, and every name must be one a manifest may list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_manifest m, again;
	if (mtk_sha256sums_parse(NULL, "fuzz", data, size, &m) < 0)
		return 0;
	size_t len;
	char *text = mtk_sha256sums_format(&m, &len);
	if (!text)
		abort();
	if (mtk_sha256sums_parse(NULL, "again", (const uint8_t *)text, len, &again) < 0 ||
	    again.count != m.count)
		abort();
	for (size_t i = 0; i < m.count; i++) {
		if (!mtk_manifest_name_ok(m.entries[i].name) ||
		    strcmp(m.entries[i].name, again.entries[i].name) != 0 ||
		    memcmp(m.entries[i].sha256, again.entries[i].sha256, 32) != 0)
			abort();
		if (mtk_manifest_lookup(&m, m.entries[i].name) == NULL)
			abort();
	}
	free(text);
	mtk_manifest_free(&again);
	mtk_manifest_free(&m);
	return 0;
}
