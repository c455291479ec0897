/* SPDX-License-Identifier: MIT */
/* DA session records: whatever parses must format, and the formatted text
 * must parse back to a record that formats to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[8192], b[8192];
	struct mtk_session_record r, again;
	if (mtk_session_parse(NULL, data, size, "fuzz", &r) < 0)
		return 0;
	int na = mtk_session_format(&r, a, sizeof a);
	if (na < 0)
		abort();
	if (mtk_session_parse(NULL, (const uint8_t *)a, (size_t)na, "again", &again) < 0)
		abort();
	int nb = mtk_session_format(&again, b, sizeof b);
	if (nb != na || memcmp(a, b, (size_t)na) != 0)
		abort();
	return 0;
}
