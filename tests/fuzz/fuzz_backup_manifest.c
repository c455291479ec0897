/* SPDX-License-Identifier: MIT */
/* Backup manifests: whatever parses names only plain files (a manifest
 * must never make the store read or write outside a backup's folder) and
 * has at least one partition; sizes add up without overflow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_backup b;
	if (mtk_backup_manifest_parse(NULL, (const char *)data, size, "fuzz", &b) < 0)
		return 0;
	uint64_t sum = 0;
	if (b.count == 0 || strchr(b.device_id, '/') || strchr(b.timestamp, '/') || b.device_id[0] == '.')
		abort();
	for (size_t i = 0; i < b.count; i++) {
		const char *f = b.parts[i].file;
		if (!f[0] || f[0] == '.' || strchr(f, '/'))
			abort();
		sum += b.parts[i].size;
	}
	if (sum != b.bytes)
		abort();
	mtk_backup_free(&b);
	return 0;
}
