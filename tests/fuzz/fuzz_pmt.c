/* SPDX-License-Identifier: MIT */
/* lib/storage pmt.c, mbr.c and extcsd.c on hostile bytes.  Byte 0 picks the
 * parser, byte 1 its option; the rest is the input:
 *   0: PMT main + mirror (option % 4 = the record variant asked for),
 *   1: the DA's 0xA5 payload,
 *   2: an MBR/EBR chain (option bit 0: area size = the input's sectors,
 *      else unknown),
 *   3: EXT_CSD.
 * A PMT that parses must come back unchanged through the writer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/storage.h"

static void same_or_abort(const struct mtk_ptable *a, const struct mtk_ptable *b)
{
	if (a->count != b->count)
		abort();
	for (size_t i = 0; i < a->count; i++) {
		const struct mtk_part *x = &a->parts[i], *y = &b->parts[i];
		if (strcmp(x->name, y->name) || x->start != y->start || x->size != y->size ||
		    x->attrs != y->attrs || x->region != y->region)
			abort();
	}
}

static void pmt_pair(const uint8_t *d, size_t n, enum mtk_pmt_variant v)
{
	static uint8_t buf[2 * MTK_PMT_REGION_SIZE];
	struct mtk_ptable t, r;
	if (mtk_pmt_parse_pair(NULL, d, n, v, &t) < 0)
		return;
	if (mtk_pmt_build(NULL, &t, t.pmt_variant, buf, sizeof buf) != 0)
		abort();
	if (mtk_pmt_parse_pair(NULL, buf, sizeof buf, t.pmt_variant, &r) != 0 || r.used_backup)
		abort();
	same_or_abort(&t, &r);
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
}

static void pmt_da(const uint8_t *d, size_t n)
{
	struct mtk_ptable t, r;
	if (mtk_pmt_parse_da(NULL, d, n, &t) < 0)
		return;
	if (t.count > 1024) { /* more than the writer sends */
		mtk_ptable_free(&t);
		return;
	}
	int len = mtk_pmt_build_da(NULL, &t, NULL, 0);
	uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
	if (len < 0 || !buf || mtk_pmt_build_da(NULL, &t, buf, (size_t)len) != len)
		abort();
	if (mtk_pmt_parse_da(NULL, buf, (size_t)len, &r) != 0)
		abort();
	same_or_abort(&t, &r);
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const uint8_t *d = data + 2;
	size_t n = size - 2;
	struct mtk_ptable t;
	struct mtk_extcsd e;
	switch (data[0] % 4) {
	case 0:
		pmt_pair(d, n, (enum mtk_pmt_variant)(data[1] % 4));
		break;
	case 1:
		pmt_da(d, n);
		break;
	case 2:
		if (mtk_mbr_parse(NULL, d, n, (data[1] & 1) ? n / 512 : 0, &t) == 0)
			mtk_ptable_free(&t);
		else if (t.parts)
			abort();
		break;
	default:
		mtk_extcsd_decode(NULL, d, n, &e);
		break;
	}
	return 0;
}
