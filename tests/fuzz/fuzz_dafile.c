/* SPDX-License-Identifier: MIT */
/* DA container parser and entry selection on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/chips.h"
#include "mtkflash/dafile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_dafile f;
	if (mtk_dafile_parse(NULL, data, size, "fuzz", &f) < 0)
		return 0;
	size_t n = 0;
	const struct mtk_chip *t = mtk_chip_table(&n);
	for (size_t i = 0; i < n; i++) {
		struct mtk_da_choice ch;
		if (mtk_dafile_select(NULL, &f, "fuzz", &t[i], 0x8A00, 0xCA00, 0, &ch) == 0) {
			/* Touch both ends of each stage: they must lie inside the buffer. */
			volatile uint8_t sink = ch.da1.data[0] ^ ch.da1.data[ch.da1.len - 1];
			sink ^= ch.da2.data[0] ^ ch.da2.data[ch.da2.len - 1];
			(void)sink;
		}
	}
	mtk_dafile_free(&f);
	return 0;
}
