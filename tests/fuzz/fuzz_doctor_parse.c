/* SPDX-License-Identifier: MIT */
/* The parsers behind `mtkflash doctor` (lib/transport/doctor_parse.c) on
 * hostile files: /etc/group, udev rules and database entries, module lists.
 * Each must stay inside the buffer (ASan) and agree with a plain rule: a
 * group line that lists the user is found. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/doctor_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mtk_group_has_member(data, size, "dialout", "nobody");
	mtk_udev_rules_ignore_mm(data, size, size ? (uint16_t)(data[0] << 8 | 0x8d) : 0x0e8d);
	mtk_text_has_line(data, size, "E:ID_MM_DEVICE_IGNORE=1");
	mtk_modules_list_has(data, size, "cdc_acm");
	/* The same bytes followed by a line that must be found. */
	static const char tail[] = "\ndialout:x:20:a,nobody\n";
	uint8_t *buf = malloc(size + sizeof tail);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf + size, tail, sizeof tail - 1);
	if (!mtk_group_has_member(buf, size + sizeof tail - 1, "dialout", "nobody"))
		abort();
	free(buf);
	return 0;
}
