/* SPDX-License-Identifier: MIT */
/* lib/storage pmt.c, mbr.c and extcsd.c on hostile bytes.  Byte 0 picks the
 * parser, byte 1 its option; the rest is the input:
 *   0: PMT main + mirror (option % 4 = the record variant asked for),
 *   1: the DA's 0xA5 payload,
 *   2: an MBR/EBR chain (option bit 0: area size = the input's sectors,
 *      else unknown),
 *   3: EXT_CSD,
 *   4: an MBR/EBR chain in the first option × 512 bytes, a 0xA5 payload in
 *      the rest, merged.
 * Whatever parses must hold the promises of storage.h: an eMMC PMT comes out
 * with its MBR record at user offset 0, no two partitions of an area overlap,
 * and no boot record reaches the user area. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtkflash/storage.h"

static void sound_or_abort(const struct mtk_ptable *t, bool needs_mbr)
{
	bool mbr = false;
	for (size_t i = 0; i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		if (!strcasecmp(p->name, "MBR") && p->region == MTK_REGION_USER && p->start == 0)
			mbr = true;
		if (i + 1 < t->count && t->parts[i + 1].region == p->region && t->parts[i + 1].start < p->start + p->size)
			abort(); /* sorted by mtk_ptable_check, so neighbours are enough */
	}
	if (needs_mbr && t->count && !mbr)
		abort();
}

static void pmt_pair(const uint8_t *d, size_t n, enum mtk_pmt_variant v)
{
	struct mtk_ptable t;
	if (mtk_pmt_parse_pair(NULL, d, n, v, &t) < 0) {
		if (t.parts)
			abort();
		return;
	}
	sound_or_abort(&t, t.pmt_variant != MTK_PMT_NAND32);
	mtk_ptable_free(&t);
}

static void pmt_da(const uint8_t *d, size_t n)
{
	struct mtk_ptable t;
	if (mtk_pmt_parse_da(NULL, d, n, &t) < 0) {
		if (t.parts)
			abort();
		return;
	}
	sound_or_abort(&t, true);
	mtk_ptable_free(&t);
}

static void merged(const uint8_t *d, size_t n, size_t mbr_bytes)
{
	struct mtk_ptable mbr, pmt, out;
	if (mbr_bytes > n || mtk_mbr_parse(NULL, d, mbr_bytes, 0, &mbr) < 0)
		return;
	if (mtk_pmt_parse_da(NULL, d + mbr_bytes, n - mbr_bytes, &pmt) == 0) {
		if (mtk_pmt_merge_mbr(NULL, &mbr, &pmt, &out) == 0) {
			sound_or_abort(&out, false);
			mtk_ptable_free(&out);
		} else if (out.parts) {
			abort();
		}
		mtk_ptable_free(&pmt);
	}
	mtk_ptable_free(&mbr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const uint8_t *d = data + 2;
	size_t n = size - 2;
	struct mtk_ptable t;
	struct mtk_extcsd e;
	switch (data[0] % 5) {
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
	case 3:
		mtk_extcsd_decode(NULL, d, n, &e);
		break;
	default:
		merged(d, n, (size_t)data[1] * 512);
		break;
	}
	return 0;
}
