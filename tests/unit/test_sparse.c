/* SPDX-License-Identifier: MIT */
/* image/sparse.c: Android sparse images built here chunk by chunk, with the
 * expected expansion built alongside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "mtkflash/imagefile.h"

/* ---- a sparse image builder ---- */

struct sb {
	uint8_t *img;
	size_t len, cap;
	uint8_t *exp; /* expected expansion, holes as zeros */
	size_t exp_len, exp_cap;
	uint32_t blk, chunks, blocks;
	uint16_t hdr_sz, chunk_hdr_sz;
};

static void put(struct sb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->img = realloc(b->img, b->cap);
	}
	memcpy(b->img + b->len, p, n);
	b->len += n;
}

static void put_u16(struct sb *b, uint16_t v)
{
	uint8_t p[2];
	mtk_put_u16le(p, v);
	put(b, p, 2);
}

static void put_u32(struct sb *b, uint32_t v)
{
	uint8_t p[4];
	mtk_put_u32le(p, v);
	put(b, p, 4);
}

static void expect(struct sb *b, const uint8_t *p, size_t n)
{
	if (b->exp_len + n + 1 > b->exp_cap) {
		b->exp_cap = (b->exp_len + n + 1) * 2;
		b->exp = realloc(b->exp, b->exp_cap);
	}
	if (p)
		memcpy(b->exp + b->exp_len, p, n);
	else
		memset(b->exp + b->exp_len, 0, n);
	b->exp_len += n;
}

static void sb_init(struct sb *b, uint32_t blk, uint16_t hdr_sz, uint16_t chunk_hdr_sz)
{
	memset(b, 0, sizeof *b);
	b->blk = blk;
	b->hdr_sz = hdr_sz;
	b->chunk_hdr_sz = chunk_hdr_sz;
	put_u32(b, 0xED26FF3A);
	put_u16(b, 1);
	put_u16(b, 0);
	put_u16(b, hdr_sz);
	put_u16(b, chunk_hdr_sz);
	put_u32(b, blk);
	put_u32(b, 0); /* total_blks, patched by sb_finish */
	put_u32(b, 0); /* total_chunks */
	put_u32(b, 0); /* image_checksum */
	for (unsigned i = 28; i < hdr_sz; i++)
		put(b, "\xEE", 1);
}

static void chunk_hdr(struct sb *b, uint16_t type, uint32_t nblk, uint32_t total)
{
	put_u16(b, type);
	put_u16(b, 0);
	put_u32(b, nblk);
	put_u32(b, total);
	for (unsigned i = 12; i < b->chunk_hdr_sz; i++)
		put(b, "\xEE", 1);
	b->chunks++;
	b->blocks += nblk;
}

static void sb_raw(struct sb *b, uint32_t nblk, uint8_t seed)
{
	size_t n = (size_t)nblk * b->blk;
	uint8_t *d = malloc(n);
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	chunk_hdr(b, 0xCAC1, nblk, b->chunk_hdr_sz + (uint32_t)n);
	put(b, d, n);
	expect(b, d, n);
	free(d);
}

static void sb_fill(struct sb *b, uint32_t nblk, uint32_t pattern)
{
	chunk_hdr(b, 0xCAC2, nblk, b->chunk_hdr_sz + 4u);
	put_u32(b, pattern);
	size_t n = (size_t)nblk * b->blk;
	uint8_t *d = malloc(n);
	for (size_t i = 0; i < n; i += 4)
		mtk_put_u32le(d + i, pattern);
	expect(b, d, n);
	free(d);
}

static void sb_hole(struct sb *b, uint32_t nblk)
{
	chunk_hdr(b, 0xCAC3, nblk, b->chunk_hdr_sz);
	expect(b, NULL, (size_t)nblk * b->blk);
}

static void sb_crc(struct sb *b, int32_t delta)
{
	chunk_hdr(b, 0xCAC4, 0, b->chunk_hdr_sz + 4u);
	put_u32(b, mtk_crc32_update(0, b->exp, b->exp_len) + (uint32_t)delta);
}

static void sb_finish(struct sb *b, bool with_checksum)
{
	mtk_put_u32le(b->img + 16, b->blocks);
	mtk_put_u32le(b->img + 20, b->chunks);
	if (with_checksum)
		mtk_put_u32le(b->img + 24, mtk_crc32_update(0, b->exp, b->exp_len));
}

static void sb_free(struct sb *b)
{
	free(b->img);
	free(b->exp);
}

/* raw 2, fill 3, hole 4, crc, raw 1 (block size 512) */
static void build_mixed(struct sb *b)
{
	sb_init(b, 512, 28, 12);
	sb_raw(b, 2, 1);
	sb_fill(b, 3, 0xDEADBEEF);
	sb_hole(b, 4);
	sb_crc(b, 0);
	sb_raw(b, 1, 9);
	sb_finish(b, true);
}

static uint8_t *expand(mtk_ctx *ctx, const uint8_t *img, size_t len, size_t bufsz, size_t *out_len, int *rc)
{
	struct mtk_sparse_mem m;
	struct mtk_sparse_src src;
	mtk_sparse_src_mem(&src, &m, img, len);
	struct mtk_sparse_reader *r;
	*rc = mtk_sparse_open(ctx, &src, &r);
	if (*rc < 0)
		return NULL;
	uint64_t total = mtk_sparse_reader_info(r)->expanded_size;
	uint8_t *out = malloc(total + bufsz);
	uint8_t *buf = malloc(bufsz);
	size_t o = 0;
	int n;
	while ((n = mtk_sparse_read(r, buf, bufsz)) > 0) {
		assert_true(o + (size_t)n <= total);
		memcpy(out + o, buf, (size_t)n);
		o += (size_t)n;
	}
	*rc = n;
	free(buf);
	mtk_sparse_close(r);
	*out_len = o;
	return out;
}

static void test_expand(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct sb b;
	build_mixed(&b);
	static const size_t sizes[] = {1, 3, 100, 511, 512, 4096, 1 << 20};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len;
		int rc;
		uint8_t *out = expand(ctx, b.img, b.len, sizes[i], &len, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(len, b.exp_len);
		assert_int_equal(len, 10 * 512);
		assert_memory_equal(out, b.exp, len);
		free(out);
	}
	struct mtk_sparse_info info;
	assert_true(mtk_is_sparse(b.img, b.len));
	assert_int_equal(mtk_sparse_check(ctx, b.img, b.len, &info), 0);
	assert_int_equal(info.block_size, 512);
	assert_int_equal(info.total_blocks, 10);
	assert_int_equal(info.total_chunks, 5);
	assert_int_equal(info.expanded_size, 5120);
	sb_free(&b);
	mtk_ctx_free(ctx);
}

/* What a writer sees: data spans with their output offsets; holes as one span. */
static void test_spans(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct sb b;
	build_mixed(&b);
	struct mtk_sparse_mem m;
	struct mtk_sparse_src src;
	mtk_sparse_src_mem(&src, &m, b.img, b.len);
	struct mtk_sparse_reader *r;
	assert_int_equal(mtk_sparse_open(ctx, &src, &r), 0);
	uint8_t buf[700];
	struct mtk_sparse_span s;
	static const struct {
		enum mtk_sparse_kind kind;
		uint64_t off, len;
		uint32_t chunk;
	} want[] = {
	        {MTK_SPARSE_RAW, 0, 700, 0},     {MTK_SPARSE_RAW, 700, 324, 0},
	        {MTK_SPARSE_FILL, 1024, 700, 1}, {MTK_SPARSE_FILL, 1724, 700, 1},
	        {MTK_SPARSE_FILL, 2424, 136, 1}, {MTK_SPARSE_DONT_CARE, 2560, 2048, 2},
	        {MTK_SPARSE_RAW, 4608, 512, 4},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_int_equal(mtk_sparse_next(r, buf, sizeof buf, &s), 1);
		assert_int_equal(s.kind, want[i].kind);
		assert_int_equal(s.out_off, want[i].off);
		assert_int_equal(s.len, want[i].len);
		assert_int_equal(s.chunk, want[i].chunk);
		if (s.kind != MTK_SPARSE_DONT_CARE)
			assert_memory_equal(buf, b.exp + s.out_off, s.len);
		if (s.kind == MTK_SPARSE_RAW)
			assert_memory_equal(b.img + s.src_off, b.exp + s.out_off, s.len);
		if (s.kind == MTK_SPARSE_FILL)
			assert_int_equal(s.fill, 0xDEADBEEF);
	}
	assert_int_equal(mtk_sparse_next(r, buf, sizeof buf, &s), 0);
	assert_int_equal(mtk_sparse_next(r, buf, sizeof buf, &s), 0);
	mtk_sparse_close(r);

	/* The map: one span per data chunk, from the headers alone. */
	struct mtk_sparse_span *map;
	size_t n;
	struct mtk_sparse_info info;
	mtk_sparse_src_mem(&src, &m, b.img, b.len);
	assert_int_equal(mtk_sparse_map(ctx, &src, &map, &n, &info), 0);
	assert_int_equal(n, 4);
	assert_int_equal(map[0].len, 1024);
	assert_int_equal(map[0].src_off, 28 + 12);
	assert_int_equal(map[1].kind, MTK_SPARSE_FILL);
	assert_int_equal(map[2].kind, MTK_SPARSE_DONT_CARE);
	assert_int_equal(map[2].len, 2048);
	assert_int_equal(map[3].out_off, 4608);
	assert_memory_equal(b.img + map[3].src_off, b.exp + 4608, 512);
	assert_int_equal(info.total_chunks, 5);
	free(map);
	sb_free(&b);
	mtk_ctx_free(ctx);
}

/* Switching from buffered spans to NULL mid-FILL-chunk keeps the CRCs right. */
static void test_mixed_modes(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct sb b;
	build_mixed(&b);
	struct mtk_sparse_mem m;
	struct mtk_sparse_src src;
	mtk_sparse_src_mem(&src, &m, b.img, b.len);
	struct mtk_sparse_reader *r;
	assert_int_equal(mtk_sparse_open(ctx, &src, &r), 0);
	uint8_t buf[700];
	struct mtk_sparse_span s;
	assert_int_equal(mtk_sparse_next(r, buf, 700, &s), 1);
	assert_int_equal(mtk_sparse_next(r, buf, 700, &s), 1);
	assert_int_equal(mtk_sparse_next(r, buf, 7, &s), 1);
	assert_int_equal(s.kind, MTK_SPARSE_FILL);
	assert_int_equal(mtk_sparse_next(r, NULL, 0, &s), 1);
	assert_int_equal(s.kind, MTK_SPARSE_FILL);
	assert_int_equal(s.out_off, 1024 + 7);
	assert_int_equal(s.len, 1536 - 7);
	int rc;
	while ((rc = mtk_sparse_next(r, NULL, 0, &s)) == 1)
		;
	assert_int_equal(rc, 0); /* the CRC32 chunk and the header checksum both held */
	mtk_sparse_close(r);
	sb_free(&b);
	mtk_ctx_free(ctx);
}

/* Larger file and chunk headers than 28/12 are skipped, as the format allows. */
static void test_extended_headers(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct sb b;
	sb_init(&b, 4096, 32, 16);
	sb_raw(&b, 1, 3);
	sb_hole(&b, 2);
	sb_fill(&b, 1, 0x01020304);
	sb_crc(&b, 0);
	sb_finish(&b, true);
	size_t len;
	int rc;
	uint8_t *out = expand(ctx, b.img, b.len, 1000, &len, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(len, 4 * 4096);
	assert_memory_equal(out, b.exp, len);
	free(out);
	sb_free(&b);
	mtk_ctx_free(ctx);
}

/* CRCs over holes and fills are computed without producing the bytes:
 * compare with a CRC over the real bytes. */
static void test_crc_arithmetic(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct sb b;
	sb_init(&b, 4096, 28, 12);
	sb_raw(&b, 1, 5);
	sb_hole(&b, 300);
	sb_crc(&b, 0);
	sb_fill(&b, 517, 0xA5C3F00F);
	sb_crc(&b, 0);
	sb_hole(&b, 1);
	sb_fill(&b, 1, 0);
	sb_finish(&b, true);
	struct mtk_sparse_info info;
	assert_int_equal(mtk_sparse_check(ctx, b.img, b.len, &info), 0);
	assert_int_equal(info.expanded_size, b.exp_len);
	/* and one off: the same image with a wrong CRC chunk */
	sb_free(&b);
	sb_init(&b, 4096, 28, 12);
	sb_hole(&b, 300);
	sb_fill(&b, 517, 0xA5C3F00F);
	sb_crc(&b, 1);
	sb_finish(&b, false);
	assert_int_equal(mtk_sparse_check(ctx, b.img, b.len, &info), MTK_E_VERIFY);
	assert_non_null(
	        strstr(mtk_ctx_error(ctx), "sparse chunk 2 (header at offset 0x38): CRC32 chunk says"));
	sb_free(&b);
	mtk_ctx_free(ctx);
}

static void assert_check_fails(const struct sb *b, int code, const char *msg)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_sparse_info info;
	assert_int_equal(mtk_sparse_check(ctx, b->img, b->len, &info), code);
	if (!strstr(mtk_ctx_error(ctx), msg))
		fail_msg("error '%s' does not mention '%s'", mtk_ctx_error(ctx), msg);
	/* The streaming reader says the same. */
	size_t len;
	int rc;
	free(expand(ctx, b->img, b->len, 333, &len, &rc));
	assert_int_equal(rc, code);
	mtk_ctx_free(ctx);
}

static void test_bad_headers(void **state)
{
	(void)state;
	struct sb b;
	build_mixed(&b);
	b.img[0] ^= 1;
	assert_check_fails(&b, MTK_E_PARSE, "sparse header: bad magic");
	b.img[0] ^= 1;
	b.img[4] = 2;
	assert_check_fails(&b, MTK_E_PARSE, "major version");
	b.img[4] = 1;
	b.img[12] = 0x01; /* blk_sz 0x201 */
	b.img[13] = 0x02;
	assert_check_fails(&b, MTK_E_PARSE, "blk_sz");
	b.img[12] = 0;
	b.img[8] = 20;
	assert_check_fails(&b, MTK_E_PARSE, "file_hdr_sz");
	b.img[8] = 28;
	b.img[10] = 8;
	assert_check_fails(&b, MTK_E_PARSE, "chunk_hdr_sz");
	b.img[10] = 12;
	/* header of chunk 1 (FILL) at 28 + 12 + 1024 = 0x428 */
	b.img[0x428 + 8] = 17;
	assert_check_fails(&b, MTK_E_PARSE, "sparse chunk 1 (header at offset 0x428): total_sz is 17");
	b.img[0x428 + 8] = 16;
	b.img[0x428] = 0xC5;
	assert_check_fails(&b, MTK_E_PARSE,
	                   "sparse chunk 1 (header at offset 0x428): unknown chunk type 0xcac5");
	b.img[0x428] = 0xC2;
	mtk_put_u32le(b.img + 16, 9); /* total_blks below what the chunks cover */
	assert_check_fails(&b, MTK_E_PARSE, "runs past total_blks");
	mtk_put_u32le(b.img + 16, 11); /* above */
	assert_check_fails(&b, MTK_E_PARSE, "cover 10 blocks, the header says total_blks 11");
	mtk_put_u32le(b.img + 16, 10);
	b.img[24] ^= 0x40;
	assert_check_fails(&b, MTK_E_VERIFY, "CRC32 of the expanded data");
	b.img[24] ^= 0x40;
	b.img[0x428 + 12] ^= 1; /* fill pattern: the CRC32 chunk (chunk 3) no longer matches */
	assert_check_fails(&b, MTK_E_VERIFY, "sparse chunk 3");
	b.img[0x428 + 12] ^= 1;
	mtk_put_u32le(b.img + 20, 6); /* one chunk more than there is */
	assert_check_fails(&b, MTK_E_PARSE, "truncated: file ends at offset 0x");
	mtk_put_u32le(b.img + 20, 5);
	struct sb t = b;
	t.len -= 100; /* into the last RAW chunk's data */
	assert_check_fails(&t, MTK_E_PARSE, "inside RAW chunk data (chunk 4");
	t.len = 20;
	assert_check_fails(&t, MTK_E_PARSE, "sparse header: sparse image truncated");
	sb_free(&b);
}

static void test_fd_source(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct sb b;
	build_mixed(&b);
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fwrite(b.img, 1, b.len, f), b.len);
	fflush(f);
	int fd = fileno(f);
	lseek(fd, 0, SEEK_SET);
	struct mtk_sparse_src src;
	mtk_sparse_src_fd(&src, &fd);
	struct mtk_sparse_reader *r;
	assert_int_equal(mtk_sparse_open(ctx, &src, &r), 0);
	uint8_t *out = malloc(b.exp_len + 777);
	size_t o = 0;
	int n;
	while ((n = mtk_sparse_read(r, out + o, 777)) > 0)
		o += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(o, b.exp_len);
	assert_memory_equal(out, b.exp, o);
	mtk_sparse_close(r);
	free(out);
	fclose(f);
	sb_free(&b);
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_expand),           cmocka_unit_test(test_spans),
	        cmocka_unit_test(test_extended_headers), cmocka_unit_test(test_crc_arithmetic),
	        cmocka_unit_test(test_bad_headers),      cmocka_unit_test(test_fd_source),
	        cmocka_unit_test(test_mixed_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
