/* SPDX-License-Identifier: MIT */
/* The image side of verified writes (lib/verify/vw_image.c): which ranges a
 * sparse map makes (holes are never a range), the expanded bytes of RAW and
 * FILL spans read from the file, and an image that ends early or a read
 * that strays into a hole.  The device side runs against the emulator in
 * tests/integration/test_vwrite.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "testutil.h"
#include "verify/vwrite_priv.h"

static struct mtk_sparse_span span(enum mtk_sparse_kind k, uint64_t out, uint64_t len, uint64_t src,
				   uint32_t fill)
{
	return (struct mtk_sparse_span){ .kind = k, .out_off = out, .len = len, .src_off = src, .fill = fill };
}

/* RAW 0..8 from file offset 4, FILL 8..16, hole 16..32, RAW 32..40 from file offset 12. */
static void map_image(struct mtk_vw_image *im, const char *path)
{
	mtk_vw_image_init(im);
	im->spans = calloc(4, sizeof *im->spans);
	im->spans[0] = span(MTK_SPARSE_RAW, 0, 8, 4, 0);
	im->spans[1] = span(MTK_SPARSE_FILL, 8, 8, 0, 0xddccbbaa);
	im->spans[2] = span(MTK_SPARSE_DONT_CARE, 16, 16, 0, 0);
	im->spans[3] = span(MTK_SPARSE_RAW, 32, 8, 12, 0);
	im->nspans = 4;
	im->fd = open(path, O_RDONLY);
	assert_true(im->fd >= 0);
}

static void make_file(char *dir, size_t cap, char *path, size_t pcap, size_t len)
{
	test_mkdtemp(dir, cap, "test_vwrite");
	uint8_t data[64];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(0x10 + i);
	test_write_file(dir, "img", data, len);
	test_path(path, pcap, dir, "img");
}

static void test_ranges_skip_holes(void **state)
{
	(void)state;
	char dir[64], path[4200];
	make_file(dir, sizeof dir, path, sizeof path, 64);
	struct mtk_vw_image im;
	map_image(&im, path);
	assert_int_equal(mtk_vw_make_ranges(&im), 0);
	assert_int_equal(im.nranges, 2);
	assert_int_equal(im.ranges[0].off, 0);
	assert_int_equal(im.ranges[0].len, 16); /* RAW and FILL side by side: one write */
	assert_int_equal(im.ranges[1].off, 32);
	assert_int_equal(im.ranges[1].len, 8);
	assert_int_equal(im.ranges[1].span, 3);
	assert_int_equal(im.data_bytes, 24);
	mtk_vw_image_free(&im);
	test_rmtree(dir);
}

static void test_fill_expands_spans(void **state)
{
	(void)state;
	char dir[64], path[4200];
	make_file(dir, sizeof dir, path, sizeof path, 64);
	struct mtk_vw_image im;
	map_image(&im, path);
	uint8_t got[16];
	assert_int_equal(mtk_vw_image_fill(&im, 4, got, 10), MTK_VW_OK);
	static const uint8_t want[10] = { 0x18, 0x19, 0x1a, 0x1b, 0xaa, 0xbb, 0xcc, 0xdd, 0xaa, 0xbb };
	assert_memory_equal(got, want, 10);
	/* The pattern keeps its phase from the chunk's start. */
	assert_int_equal(mtk_vw_image_fill(&im, 13, got, 3), MTK_VW_OK);
	assert_int_equal(got[0], 0xbb);
	assert_int_equal(got[2], 0xdd);
	/* Backwards after forwards still finds the span. */
	assert_int_equal(mtk_vw_image_fill(&im, 32, got, 8), MTK_VW_OK);
	assert_int_equal(got[0], 0x1c);
	assert_int_equal(mtk_vw_image_fill(&im, 0, got, 1), MTK_VW_OK);
	assert_int_equal(got[0], 0x14);
	mtk_vw_image_free(&im);
	test_rmtree(dir);
}

static void test_hole_and_short_file(void **state)
{
	(void)state;
	char dir[64], path[4200];
	make_file(dir, sizeof dir, path, sizeof path, 16); /* the last RAW span needs bytes 12..20 */
	struct mtk_vw_image im;
	map_image(&im, path);
	uint8_t got[16];
	assert_int_equal(mtk_vw_image_fill(&im, 12, got, 8), MTK_VW_HOLE);
	assert_int_equal(mtk_vw_image_fill(&im, 40, got, 1), MTK_VW_HOLE);
	assert_int_equal(mtk_vw_image_fill(&im, 32, got, 8), MTK_VW_SHORT);
	mtk_vw_image_free(&im);
	assert_int_equal(im.fd, -1);
	test_rmtree(dir);
}

static void sha256_of(const uint8_t *buf, size_t len, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, buf, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, out, NULL), 1);
	EVP_MD_CTX_free(md);
}

/* The file's SHA-256 follows the fills: the chunk headers between what
 * they read and the tail after the last chunk are fed from the file, a read
 * behind the hash (a rewrite) adds nothing, and the result is the hash of
 * the whole file, read once. */
static void test_file_hash_follows_fills(void **state)
{
	(void)state;
	char dir[64], path[4200];
	make_file(dir, sizeof dir, path, sizeof path, 64);
	struct mtk_vw_image im;
	map_image(&im, path);
	im.file_size = 64;
	assert_int_equal(mtk_vw_image_hash_begin(&im), 0);
	uint8_t got[16], sha[32], want[32];
	assert_int_equal(mtk_vw_image_fill(&im, 4, got, 6), MTK_VW_OK); /* file 8..12 and a FILL */
	assert_int_equal(im.file_hashed, 12);
	assert_int_equal(mtk_vw_image_fill(&im, 0, got, 8), MTK_VW_OK); /* behind: file 4..12 */
	assert_int_equal(im.file_hashed, 12);
	assert_int_equal(mtk_vw_image_fill(&im, 32, got, 8), MTK_VW_OK); /* file 12..20 */
	assert_int_equal(im.file_hashed, 20);
	assert_int_equal(mtk_vw_image_hash_end(&im, sha), MTK_VW_OK);
	uint8_t file[64];
	for (size_t i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)(0x10 + i);
	sha256_of(file, sizeof file, want);
	assert_memory_equal(sha, want, 32);
	assert_null(im.file_md);
	/* Once ended, fills hash nothing and a second end changes nothing. */
	assert_int_equal(mtk_vw_image_fill(&im, 32, got, 8), MTK_VW_OK);
	assert_int_equal(mtk_vw_image_hash_end(&im, sha), MTK_VW_OK);
	assert_memory_equal(sha, want, 32);
	/* A file that shrank since it was mapped cannot be hashed to its end. */
	im.file_size = 80;
	assert_int_equal(mtk_vw_image_hash_begin(&im), 0);
	assert_int_equal(mtk_vw_image_hash_end(&im, sha), MTK_VW_SHORT);
	mtk_vw_image_free(&im);
	test_rmtree(dir);
}

static void test_raw_image_is_one_range(void **state)
{
	(void)state;
	struct mtk_vw_image im;
	mtk_vw_image_init(&im);
	im.file_size = 1000;
	assert_int_equal(mtk_vw_image_raw(&im), 0);
	assert_int_equal(mtk_vw_make_ranges(&im), 0);
	assert_int_equal(im.nranges, 1);
	assert_int_equal(im.ranges[0].len, 1000);
	assert_int_equal(im.expanded, 1000);
	mtk_vw_image_free(&im);
	/* An empty image writes nothing. */
	mtk_vw_image_init(&im);
	assert_int_equal(mtk_vw_image_raw(&im), 0);
	assert_int_equal(mtk_vw_make_ranges(&im), 0);
	assert_int_equal(im.nranges, 0);
	mtk_vw_image_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_skip_holes),
		cmocka_unit_test(test_fill_expands_spans),
		cmocka_unit_test(test_hole_and_short_file),
		cmocka_unit_test(test_raw_image_is_one_range),
		cmocka_unit_test(test_file_hash_follows_fills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
