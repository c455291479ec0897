/* SPDX-License-Identifier: MIT */
/* Read journals (lib/verify/readjob_journal.c): whatever parses has its
 * chunks contiguous from 0 inside the job's range, each at most CHUNK long,
 * every bad range inside its own chunk, and text offsets inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "verify/readjob_priv.h"

static void check(const struct mtk_rj_journal *j, size_t size)
{
	uint64_t at = 0;
	size_t bad = 0;
	if (j->header_end > size)
		abort();
	for (size_t i = 0; i < j->n; i++) {
		const struct mtk_rj_chunk *c = &j->c[i];
		if (c->off != at || c->len == 0 || c->len > j->chunk || c->len > j->len - c->off || c->text_end > size)
			abort();
		if (c->first_bad != bad || c->first_bad + c->nbad > j->nbad)
			abort();
		for (size_t b = 0; b < c->nbad; b++) {
			const struct mtk_read_bad_range *r = &j->bad[c->first_bad + b];
			if (r->off < c->off || r->len == 0 || r->len > c->off + c->len - r->off)
				abort();
		}
		bad += c->nbad;
		at += c->len;
	}
	if (bad != j->nbad)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_rj_journal j;
	if (mtk_rj_parse(ctx, "fuzz", data, size, &j) == 0) {
		check(&j, size);
		mtk_rj_free(&j);
	}
	mtk_ctx_free(ctx);
	return 0;
}
