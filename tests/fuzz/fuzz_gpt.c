/* SPDX-License-Identifier: MIT */
/* lib/storage/gpt.c on hostile disks.  Byte 0 picks the sector size (bit 0:
 * 4096, else 512); the rest is the whole disk, served both as the head (from
 * LBA 0) and as the tail (ending at the last LBA), so the primary copy, the
 * backup copy and the fallback between them are all reachable.
 *
 * Whatever parses must survive a write -> read round trip unchanged whenever
 * the writer accepts it (it refuses overlaps and odd geometry); the writer
 * replaces only zero GUIDs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/storage.h"

static int all_zero(const uint8_t g[16])
{
	for (int i = 0; i < 16; i++)
		if (g[i])
			return 0;
	return 1;
}

static void round_trip(const struct mtk_ptable *t, uint32_t ss, uint64_t n)
{
	size_t hl = mtk_gpt_head_bytes(ss), tl = mtk_gpt_tail_bytes(ss);
	uint8_t *head = malloc(hl), *tail = malloc(tl);
	struct mtk_ptable r;
	if (head && tail && mtk_gpt_build(NULL, t, ss, n, 1, head, hl, tail, tl) == 0) {
		if (mtk_gpt_parse(NULL, head, hl, tail, tl, ss, n, &r) != 0 || r.used_backup ||
		    r.count != t->count)
			abort();
		for (size_t i = 0; i < r.count; i++)
			if (strcmp(r.parts[i].name, t->parts[i].name) ||
			    r.parts[i].start != t->parts[i].start || r.parts[i].size != t->parts[i].size ||
			    (!all_zero(t->parts[i].uuid) && memcmp(r.parts[i].uuid, t->parts[i].uuid, 16)))
				abort();
		mtk_ptable_free(&r);
	}
	free(head);
	free(tail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t ss = (data[0] & 1) ? 4096 : 512;
	const uint8_t *disk = data + 1;
	size_t len = size - 1;
	uint64_t n = len / ss;
	struct mtk_ptable t;
	if (mtk_gpt_parse(NULL, disk, len, disk, n * ss, ss, n, &t) == 0) {
		round_trip(&t, ss, n);
		mtk_ptable_free(&t);
	} else if (t.parts || t.count) {
		abort(); /* a failed parse must leave an empty table */
	}
	return 0;
}
