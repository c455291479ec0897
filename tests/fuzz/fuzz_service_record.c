/* SPDX-License-Identifier: MIT */
/* Service passphrase files: whatever parses asks scrypt for parameters a
 * check can afford (n a power of two, memory 128*r*n within the limit). */
#include <stdint.h>
#include <stdlib.h>

#include "mtkflash/service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_service_record r;
	if (mtk_service_parse(NULL, data, size, "fuzz", &r) < 0)
		return 0;
	const struct mtk_scrypt_params *p = &r.params;
	if (p->n < 2 || (p->n & (p->n - 1)) || p->r == 0 || p->p == 0 || 128ull * p->r * p->n > (256ull << 20))
		abort();
	return 0;
}
