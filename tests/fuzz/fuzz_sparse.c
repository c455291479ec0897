/* SPDX-License-Identifier: MIT */
/* Sparse images: the in-memory check, the chunk map and the streaming reader
 * must agree, and must never run past the input or produce more output than
 * the header promises.  Output is capped so huge FILL chunks stay cheap, and
 * so are the spans: with a 1-byte buffer a FILL chunk came out a byte per
 * call, 256 Ki calls for one input. */
#include <stdint.h>
#include <stdlib.h>

#include "mtkflash/imagefile.h"

#define OUTPUT_CAP (256u << 10)
#define SPAN_CAP   4096u

static int stream(const uint8_t *data, size_t size, size_t bufsz, uint64_t *produced)
{
	static uint8_t buf[65536];
	struct mtk_sparse_mem m;
	struct mtk_sparse_src src;
	mtk_sparse_src_mem(&src, &m, data, size);
	src.skip = NULL;
	struct mtk_sparse_reader *r;
	int rc = mtk_sparse_open(NULL, &src, &r);
	if (rc < 0)
		return rc;
	uint64_t expect_off = 0, limit = mtk_sparse_reader_info(r)->expanded_size;
	struct mtk_sparse_span s;
	unsigned spans = 0;
	*produced = 0;
	while ((rc = mtk_sparse_next(r, buf, bufsz, &s)) == 1) {
		if (s.out_off != expect_off || s.len == 0 || s.out_off + s.len > limit)
			abort();
		if (s.kind != MTK_SPARSE_DONT_CARE && s.len > bufsz)
			abort();
		expect_off += s.len;
		*produced += s.len;
		if (*produced > OUTPUT_CAP || ++spans > SPAN_CAP) {
			rc = 1;
			break;
		}
	}
	if (rc == 0 && expect_off != limit)
		abort();
	mtk_sparse_close(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_sparse_info info;
	int check = mtk_sparse_check(NULL, data, size, &info);
	struct mtk_sparse_mem m;
	struct mtk_sparse_src src;
	mtk_sparse_src_mem(&src, &m, data, size);
	struct mtk_sparse_span *map;
	size_t n;
	struct mtk_sparse_info minfo;
	if (mtk_sparse_map(NULL, &src, &map, &n, &minfo) == 0) {
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++) {
			if (map[i].out_off != total ||
			    (map[i].kind == MTK_SPARSE_RAW && map[i].src_off + map[i].len > size))
				abort();
			total += map[i].len;
		}
		if (total != minfo.expanded_size)
			abort();
		free(map);
	} else if (check == 0) {
		abort(); /* the full check passed, the lighter map cannot fail */
	}
	uint64_t produced;
	size_t bufsz = size ? 1 + data[size - 1] * 16u : 1;
	int rc = stream(data, size, bufsz, &produced);
	if (rc == 0 && check != 0)
		abort(); /* the stream accepted what the check refused */
	if (check == 0 && rc < 0)
		abort();
	return 0;
}
