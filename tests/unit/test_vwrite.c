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

/* make_file's 64 bytes, mapped by map_image, with the file's hash begun. */
static void hashed_image(struct mtk_vw_image *im, char *dir, size_t dcap, char *path, size_t pcap)
{
	make_file(dir, dcap, path, pcap, 64);
	map_image(im, path);
	im->file_size = 64;
	assert_int_equal(mtk_vw_image_hash_begin(im), 0);
}

/* The hash ends (into sha) as make_file's whole 64 bytes. */
static void assert_whole_file_hash(struct mtk_vw_image *im, uint8_t sha[32])
{
	uint8_t want[32], file[64];
	assert_int_equal(mtk_vw_image_hash_end(im, sha), MTK_VW_OK);
	for (size_t i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)(0x10 + i);
	sha256_of(file, sizeof file, want);
	assert_memory_equal(sha, want, 32);
}

/* The file's SHA-256 follows the fills: the chunk headers between what
 * they read and the tail after the last chunk are fed from the file, a read
 * behind the hash (a rewrite) adds nothing, and the result is the hash of
 * the whole file, read once. */
static void test_file_hash_follows_fills(void **state)
{
	(void)state;
	char dir[64], path[4200];
	struct mtk_vw_image im;
	hashed_image(&im, dir, sizeof dir, path, sizeof path);
	uint8_t got[16], sha[32], again[32];
	assert_int_equal(mtk_vw_image_fill(&im, 4, got, 6), MTK_VW_OK); /* file 8..12 and a FILL */
	assert_int_equal(im.file_hashed, 12);
	assert_int_equal(mtk_vw_image_fill(&im, 0, got, 8), MTK_VW_OK); /* behind: file 4..12 */
	assert_int_equal(im.file_hashed, 12);
	assert_int_equal(mtk_vw_image_fill(&im, 32, got, 8), MTK_VW_OK); /* file 12..20 */
	assert_int_equal(im.file_hashed, 20);
	assert_whole_file_hash(&im, sha);
	assert_null(im.file_md);
	/* Once ended, fills hash nothing and a second end changes nothing. */
	memcpy(again, sha, sizeof again);
	assert_int_equal(mtk_vw_image_fill(&im, 32, got, 8), MTK_VW_OK);
	assert_int_equal(mtk_vw_image_hash_end(&im, again), MTK_VW_OK);
	assert_memory_equal(sha, again, 32);
	/* A file that shrank since it was mapped cannot be hashed to its end. */
	im.file_size = 80;
	assert_int_equal(mtk_vw_image_hash_begin(&im), 0);
	assert_int_equal(mtk_vw_image_hash_end(&im, sha), MTK_VW_SHORT);
	mtk_vw_image_free(&im);
	test_rmtree(dir);
}

/* A FILL span is its 4 bytes repeated from the span's start, whatever the
 * offset and length of a fill (the bytes double by memcpy), and nothing is
 * written past the length asked. */
static void test_fill_pattern_phases(void **state)
{
	(void)state;
	struct mtk_vw_image im;
	mtk_vw_image_init(&im);
	im.spans = calloc(1, sizeof *im.spans);
	im.spans[0] = span(MTK_SPARSE_FILL, 100, 5000, 0, 0x44332211);
	im.nspans = 1;
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 4095, 4096, 4097 };
	uint8_t got[5001];
	for (uint64_t at = 100; at < 108; at++) {
		for (size_t k = 0; k <= sizeof lens / sizeof *lens; k++) {
			size_t len = k < sizeof lens / sizeof *lens ? lens[k] : (size_t)(5100 - at); /* to the span's end */
			memset(got, 0xEE, sizeof got);
			assert_int_equal(mtk_vw_image_fill(&im, at, got, len), MTK_VW_OK);
			for (size_t i = 0; i < len; i++)
				assert_int_equal(got[i], (uint8_t)(0x11 * (1 + (at - 100 + i) % 4)));
			assert_int_equal(got[len], 0xEE);
		}
	}
	mtk_vw_image_free(&im);
}

/* While hash_later is set, a fill leaves the file's SHA-256 where it stood;
 * the next fill without it reads the skipped bytes from the file first, so
 * the hash is still the whole file's, in file order. */
static void test_hash_later_catches_up(void **state)
{
	(void)state;
	char dir[64], path[4200];
	struct mtk_vw_image im;
	hashed_image(&im, dir, sizeof dir, path, sizeof path);
	uint8_t got[16], sha[32];
	im.hash_later = true;
	assert_int_equal(mtk_vw_image_fill(&im, 0, got, 16), MTK_VW_OK); /* file 4..12 and a FILL */
	assert_int_equal(im.file_hashed, 0);
	im.hash_later = false;
	assert_int_equal(mtk_vw_image_fill(&im, 32, got, 8), MTK_VW_OK); /* file 12..20, after 0..12 */
	assert_int_equal(im.file_hashed, 20);
	assert_whole_file_hash(&im, sha);
	mtk_vw_image_free(&im);
	test_rmtree(dir);
}

/* The stash holds the device's bytes at their partition offsets, from an
 * offset inside a block: runs of data blocks are written, 4 KiB blocks of
 * zeros stay holes, and partial blocks at either end are stored as they are. */
static void test_stash_put_holes(void **state)
{
	(void)state;
	char dir[64], path[4200];
	test_mkdtemp(dir, sizeof dir, "test_vwrite");
	test_path(path, sizeof path, dir, "stash");
	enum { B = 4096, POS = 3 * B - 1024, N = 8 * B + 1024 + 512 };
	uint8_t *buf = malloc(N), *back = malloc(POS + N);
	for (size_t i = 0; i < N; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	/* Blocks (file offsets): 2 part data, 3 zeros, 4-5 data, 6-7 zeros, 8 data
	 * with one zero byte short of all-zero, 9 zeros, 10 part zeros. */
	memset(buf + (3 * B - POS), 0, B);
	memset(buf + (6 * B - POS), 0, 2 * B);
	memset(buf + (8 * B - POS), 0, B - 1);
	memset(buf + (9 * B - POS), 0, N - (9 * B - POS));
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_vwrite_req req = { .stash = path };
	struct mtk_vw v = { .ctx = ctx, .req = &req, .stash_open = true };
	v.stash.fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(v.stash.fd >= 0);
	assert_int_equal(ftruncate(v.stash.fd, POS + N), 0);
	assert_int_equal(mtk_vw_stash_put(&v, POS, buf, N), 0);
	assert_int_equal(pread(v.stash.fd, back, POS + N, 0), POS + N);
	for (size_t i = 0; i < POS; i++)
		assert_int_equal(back[i], 0);
	assert_memory_equal(back + POS, buf, N);
	assert_int_equal(lseek(v.stash.fd, 3 * B, SEEK_DATA), 4 * B);
	assert_int_equal(lseek(v.stash.fd, 4 * B, SEEK_HOLE), 6 * B);
	assert_int_equal(lseek(v.stash.fd, 6 * B, SEEK_DATA), 8 * B);
	assert_int_equal(lseek(v.stash.fd, 8 * B, SEEK_HOLE), 9 * B);
	close(v.stash.fd);
	mtk_ctx_free(ctx);
	free(buf);
	free(back);
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
		cmocka_unit_test(test_fill_pattern_phases),
		cmocka_unit_test(test_hash_later_catches_up),
		cmocka_unit_test(test_stash_put_holes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
