/* SPDX-License-Identifier: MIT */
/* The sysfs attribute parsers behind port discovery (lib/transport/discover.c)
 * on hostile text.  An accepted value must be what the digits say: it is
 * printed back and parsed again, and must not exceed its bound. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t h;
	if (mtk_sysfs_hex16(data, size, &h) == 0) {
		char back[8];
		int n = snprintf(back, sizeof back, "%x", h);
		uint16_t again;
		if (mtk_sysfs_hex16((const uint8_t *)back, (size_t)n, &again) != 0 || again != h)
			abort();
	}
	unsigned max = size ? data[0] * 300u : 0, v;
	if (mtk_sysfs_uint(data, size, max, &v) == 0 && v > max)
		abort();
	if (mtk_parse_dec((const char *)data, size, 65535, &v) == 0) {
		char back[16];
		int n = snprintf(back, sizeof back, "%u", v);
		/* Leading zeros are allowed ("001"), so compare values, not text. */
		unsigned again;
		if (v > 65535 || mtk_parse_dec(back, (size_t)n, 65535, &again) != 0 || again != v)
			abort();
	}
	return 0;
}
