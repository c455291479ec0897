/* SPDX-License-Identifier: MIT */
/* core/: error chain, logging, byte and hex helpers, checksums, small-file helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"
#include "core/dynlib.h"
#include "core/fileutil.h"
#include "core/outfile.h"
#include "core/text.h"
#include "mtkflash/transport.h"
#include "testutil.h"

static void test_error_chain(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	assert_non_null(ctx);
	assert_string_equal(mtk_ctx_error(ctx), "");
	int rc = mtk_fail(ctx, MTK_E_VERIFY, "read-back mismatch at 0x%x", 0x3000);
	assert_int_equal(rc, MTK_E_VERIFY);
	rc = mtk_wrap(ctx, rc, "writing %s", "boot");
	assert_int_equal(rc, MTK_E_VERIFY);
	assert_int_equal(mtk_ctx_error_code(ctx), MTK_E_VERIFY);
	assert_string_equal(mtk_ctx_error(ctx), "writing boot: read-back mismatch at 0x3000");
	mtk_ctx_clear_error(ctx);
	assert_string_equal(mtk_ctx_error(ctx), "");
	/* Wrapping with nothing recorded falls back to the code's generic text. */
	mtk_wrap(ctx, MTK_E_TIMEOUT, "GET_HW_CODE");
	assert_string_equal(mtk_ctx_error(ctx), "GET_HW_CODE: the device did not answer in time");
	mtk_ctx_free(ctx);
}

static void test_error_names(void **state)
{
	(void)state;
	for (int code = 0; code >= MTK_E_LAST; code--) {
		assert_string_not_equal(mtk_error_name(code), "MTK_E_UNKNOWN");
		assert_string_not_equal(mtk_error_text(code), "unknown error");
	}
	assert_string_equal(mtk_error_name(-999), "MTK_E_UNKNOWN");
	assert_int_equal(mtk_fail(NULL, MTK_E_IO, "no context"), MTK_E_IO);
}

struct log_capture {
	int calls;
	enum mtk_log_level last_level;
	char last[512];
};

static void capture_log(void *user, enum mtk_log_level level, const char *msg)
{
	struct log_capture *c = user;
	c->calls++;
	c->last_level = level;
	strncpy(c->last, msg, sizeof c->last - 1);
}

static void test_log_levels_and_hex(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct log_capture cap = { 0 };
	mtk_ctx_set_log(ctx, capture_log, &cap, MTK_LOG_INFO);
	mtk_dbg(ctx, "hidden %d", 1);
	assert_int_equal(cap.calls, 0);
	mtk_info(ctx, "shown %d", 2);
	assert_int_equal(cap.calls, 1);
	assert_string_equal(cap.last, "shown 2");
	uint8_t b[3] = { 0xa0, 0x0a, 0x50 };
	mtk_log_hex(ctx, "H->D", b, sizeof b);
	assert_int_equal(cap.calls, 1); /* SPEW is above INFO */
	mtk_ctx_set_log(ctx, capture_log, &cap, MTK_LOG_SPEW);
	mtk_log_hex(ctx, "H->D", b, sizeof b);
	assert_int_equal(cap.last_level, MTK_LOG_SPEW);
	assert_string_equal(cap.last, "H->D [3] a0 0a 50");
	/* Long transfers keep head and tail only. */
	uint8_t big[4096];
	memset(big, 0x11, sizeof big);
	big[4095] = 0xee;
	mtk_log_hex(ctx, "D->H", big, sizeof big);
	assert_non_null(strstr(cap.last, "D->H [4096] 11 11"));
	assert_non_null(strstr(cap.last, "... "));
	assert_non_null(strstr(cap.last, " ee"));
	mtk_ctx_free(ctx);
}

static void test_byte_helpers(void **state)
{
	(void)state;
	uint8_t b[8];
	mtk_put_u32be(b, 0x11223344);
	assert_memory_equal(b, "\x11\x22\x33\x44", 4);
	assert_int_equal(mtk_get_u32be(b), 0x11223344);
	mtk_put_u32le(b, 0x11223344);
	assert_memory_equal(b, "\x44\x33\x22\x11", 4);
	assert_int_equal(mtk_get_u32le(b), 0x11223344);
	mtk_put_u16be(b, 0xabcd);
	assert_int_equal(mtk_get_u16be(b), 0xabcd);
	assert_int_equal(mtk_get_u16le(b), 0xcdab);
	mtk_put_u64le(b, 0x0102030405060708ull);
	assert_true(mtk_get_u64le(b) == 0x0102030405060708ull);
	mtk_put_u64be(b, 0x0102030405060708ull);
	assert_int_equal(b[0], 1);
	assert_true(mtk_get_u64be(b) == 0x0102030405060708ull);
}

static void test_reader_bounds(void **state)
{
	(void)state;
	const uint8_t buf[6] = { 1, 2, 3, 4, 5, 6 };
	struct mtk_rd r = mtk_rd_init(buf, sizeof buf);
	assert_int_equal(mtk_rd_u32le(&r), 0x04030201);
	assert_int_equal(mtk_rd_left(&r), 2);
	assert_false(r.bad);
	assert_int_equal(mtk_rd_u32be(&r), 0); /* only 2 left */
	assert_true(r.bad);
	assert_int_equal(mtk_rd_left(&r), 0);
	assert_int_equal(mtk_rd_u8(&r), 0); /* stays bad */
	r = mtk_rd_init(buf, sizeof buf);
	assert_false(mtk_rd_seek(&r, 7));
	assert_true(r.bad);
	r = mtk_rd_init(buf, sizeof buf);
	assert_null(mtk_rd_take(&r, SIZE_MAX)); /* no wrap-around */
	uint64_t out;
	assert_true(mtk_add_overflows(UINT64_MAX, 1, &out));
	assert_false(mtk_mul_overflows(1u << 20, 512, &out));
	assert_true(out == (1ull << 29));
}

static void test_xor16(void **state)
{
	(void)state;
	const uint8_t even[4] = { 0x01, 0x02, 0x10, 0x20 };
	assert_int_equal(mtk_xor16(even, 4), 0x0201 ^ 0x2010);
	const uint8_t odd[3] = { 0x01, 0x02, 0xff };
	/* An odd trailing byte is a word with a zero high byte. */
	assert_int_equal(mtk_xor16(odd, 3), 0x0201 ^ 0x00ff);
	/* Chunked updates give the same result whatever the split. */
	uint8_t data[257];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 37 + 5);
	uint16_t whole = mtk_xor16(data, sizeof data);
	for (size_t split = 0; split <= sizeof data; split += 17) {
		int pend = -1;
		uint16_t s = mtk_xor16_update(0, &pend, data, split);
		s = mtk_xor16_update(s, &pend, data + split, sizeof data - split);
		if (pend >= 0)
			s ^= (uint16_t)pend;
		assert_int_equal(s, whole);
	}
}

static void test_crc32(void **state)
{
	(void)state;
	/* The standard check value of CRC-32/ISO-HDLC. */
	assert_int_equal(mtk_crc32_update(0, (const uint8_t *)"123456789", 9), 0xCBF43926);
	uint32_t c = mtk_crc32_update(0, (const uint8_t *)"1234", 4);
	c = mtk_crc32_update(c, (const uint8_t *)"56789", 5);
	assert_int_equal(c, 0xCBF43926);
	assert_int_equal(mtk_crc32_update(0, NULL, 0), 0);
	assert_int_equal(mtk_sum16_update(0, (const uint8_t *)"\xff\xff\x02", 3), 0x0200);
}

/* CRC-32 by its definition, a bit at a time, for the sliced table version. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *b, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

static void test_crc32_sliced(void **state)
{
	(void)state;
	uint8_t buf[300];
	uint32_t x = 0x2545F491u;
	for (size_t i = 0; i < sizeof buf; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	/* every alignment and every tail length, split or whole */
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; off + len <= sizeof buf; len += 7) {
			uint32_t want = crc32_bitwise(0, buf + off, len);
			assert_int_equal(mtk_crc32_update(0, buf + off, len), want);
			uint32_t c = mtk_crc32_update(0, buf + off, len / 3);
			assert_int_equal(mtk_crc32_update(c, buf + off + len / 3, len - len / 3), want);
		}
}

/* The byte-at-a-time definition the word-wise mtk_sum16_update must match. */
static uint16_t sum16_bytewise(uint16_t s, const uint8_t *b, size_t n)
{
	while (n--)
		s = (uint16_t)(s + *b++);
	return s;
}

static void test_sum16(void **state)
{
	(void)state;
	static uint8_t data[(1u << 20) + 19];
	/* All 0xFF: every 16-bit lane of the word-wise sum at its maximum. */
	memset(data, 0xFF, sizeof data);
	assert_int_equal(mtk_sum16_update(0, data, sizeof data), (uint16_t)(255u * sizeof data));
	uint32_t x = 0x2545F491u;
	for (size_t i = 0; i < sizeof data; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (uint8_t)x;
	}
	/* Every alignment and tail length, lengths across a 1 KiB fold. */
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n < 1100; n += 1 + n / 64)
			assert_int_equal(mtk_sum16_update(0x1234, data + off, n), sum16_bytewise(0x1234, data + off, n));
	size_t most = sizeof data - 3;
	assert_int_equal(mtk_sum16_update(7, data + 3, most), sum16_bytewise(7, data + 3, most));
}

static void test_hex(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x00, 0x9f, 0xa0, 0xff};
	char out[9];
	assert_int_equal(mtk_hex_encode(out, b, sizeof b), 8);
	assert_string_equal(out, "009fa0ff");
	assert_int_equal(mtk_hex_encode(out, b, 0), 0);
	assert_string_equal(out, "");
	assert_int_equal(mtk_hex_digit('0'), 0);
	assert_int_equal(mtk_hex_digit('9'), 9);
	assert_int_equal(mtk_hex_digit('a'), 10);
	assert_int_equal(mtk_hex_digit('F'), 15);
	assert_int_equal(mtk_hex_digit('g'), -1);
	assert_int_equal(mtk_hex_digit('x'), -1);
	assert_int_equal(mtk_hex_digit(' '), -1);
}

static void test_path_join(void **state)
{
	(void)state;
	char *p = mtk_path_join("/pkg", "images/boot.img");
	assert_string_equal(p, "/pkg/images/boot.img");
	free(p);
	p = mtk_str_concat("keys/vendor", ".pub");
	assert_string_equal(p, "keys/vendor.pub");
	free(p);
}

/* A temporary directory holding f.bin = "0123456789", and a context. */
struct files {
	char dir[64], path[128];
	mtk_ctx *ctx;
};

static int files_setup(void **state)
{
	struct files *f = calloc(1, sizeof *f);
	assert_non_null(f);
	test_mkdtemp(f->dir, sizeof f->dir, "test_core");
	test_write_text(f->dir, "f.bin", "0123456789");
	test_path(f->path, sizeof f->path, f->dir, "f.bin");
	f->ctx = mtk_ctx_new();
	*state = f;
	return 0;
}

static int files_teardown(void **state)
{
	struct files *f = *state;
	mtk_ctx_free(f->ctx);
	int rc = test_rmtree(f->dir);
	free(f);
	return rc;
}

static void test_read_small_file(void **state)
{
	struct files *f = *state;
	mtk_ctx *ctx = f->ctx;
	char path[128];
	uint8_t *buf;
	size_t len;
	bool absent = true;
	assert_int_equal(mtk_read_small_file(ctx, f->path, 10, &buf, &len, &absent), 0);
	assert_false(absent);
	assert_int_equal(len, 10);
	assert_string_equal((const char *)buf, "0123456789"); /* '\0'-terminated */
	free(buf);

	/* One byte over the cap: refused, naming the file and both sizes. */
	assert_int_equal(mtk_read_small_file(ctx, f->path, 9, &buf, &len, NULL), MTK_E_RANGE);
	assert_null(buf);
	assert_non_null(strstr(mtk_ctx_error(ctx), f->path));
	assert_non_null(strstr(mtk_ctx_error(ctx), "10 bytes, more than the 9"));

	/* Missing: no failure when the caller asks, else one naming the file. */
	test_path(path, sizeof path, f->dir, "none");
	assert_int_equal(mtk_read_small_file(ctx, path, 10, &buf, &len, &absent), 0);
	assert_true(absent);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(mtk_read_small_file(ctx, path, 10, &buf, &len, NULL), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), path));

	/* A directory, and a FIFO nobody writes to (refused, not waited on). */
	assert_int_equal(mtk_read_small_file(ctx, f->dir, 10, &buf, &len, NULL), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "not a regular file"));
	test_path(path, sizeof path, f->dir, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(mtk_read_small_file(ctx, path, 10, &buf, &len, NULL), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "not a regular file"));
}

static void test_read_file_head(void **state)
{
	struct files *f = *state;
	uint8_t *buf;
	size_t len;
	assert_int_equal(mtk_read_file_head(f->ctx, f->path, 4, &buf, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "0123", 4);
	free(buf);
	assert_int_equal(mtk_read_file_head(f->ctx, f->path, 64, &buf, &len), 0); /* shorter than max */
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "0123456789", 10);
	free(buf);
	char path[128];
	test_path(path, sizeof path, f->dir, "none");
	assert_int_equal(mtk_read_file_head(f->ctx, path, 4, &buf, &len), MTK_E_IO);
	assert_null(buf);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), path));
	/* No size to start from: the buffer grows (64 KiB, doubled) up to max. */
	assert_int_equal(mtk_read_file_head(f->ctx, "/dev/zero", 300000, &buf, &len), 0);
	assert_int_equal(len, 300000);
	assert_true(buf[0] == 0 && buf[299999] == 0);
	free(buf);
}

/* A file of 200000 bytes: whole under a 16 MiB max, cut at a smaller one. */
static void test_read_file_head_sizes(void **state)
{
	struct files *f = *state;
	uint8_t *buf;
	size_t len;
	static uint8_t big[200000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7);
	FILE *fp = fopen(f->path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(big, 1, sizeof big, fp), sizeof big);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(mtk_read_file_head(f->ctx, f->path, 16u << 20, &buf, &len), 0);
	assert_int_equal(len, sizeof big);
	assert_memory_equal(buf, big, sizeof big);
	free(buf);
	assert_int_equal(mtk_read_file_head(f->ctx, f->path, 150000, &buf, &len), 0);
	assert_int_equal(len, 150000);
	assert_memory_equal(buf, big, 150000);
	free(buf);
}

static void test_name_problem(void **state)
{
	(void)state;
	static const char *const bad_files[] = { "", ".", "..", "../x", "a/b", "a\\b", "\x1b[31m", "tab\t",
	                                         "del\x7f", "c1\xc2\x85", "bad\xff", "over\xc0\xaf", NULL };
	for (const char *const *n = bad_files; *n; n++)
		assert_non_null(mtk_name_problem(*n, MTK_NAME_FILE));
	assert_null(mtk_name_problem("boot", MTK_NAME_FILE));
	assert_null(mtk_name_problem("..boot..", MTK_NAME_FILE));
	assert_null(mtk_name_problem("syst\xc3\xa8me", MTK_NAME_FILE));
	assert_string_equal(mtk_name_problem("a/b", MTK_NAME_FILE), "contains '/'");
	/* package paths: either slash separates, no '..', no drive, no controls */
	assert_null(mtk_name_problem("images/boot.img", MTK_NAME_PACKAGE));
	assert_null(mtk_name_problem("images\\boot.img", MTK_NAME_PACKAGE));
	assert_non_null(mtk_name_problem("a\\..\\b", MTK_NAME_PACKAGE));
	assert_non_null(mtk_name_problem("C:x", MTK_NAME_PACKAGE));
	assert_non_null(mtk_name_problem("\\x", MTK_NAME_PACKAGE));
	assert_non_null(mtk_name_problem("x\ny", MTK_NAME_PACKAGE));
	/* manifest names: canonical '/' paths; sha256sum escapes odd bytes */
	assert_null(mtk_name_problem("odd\\name\nline", MTK_NAME_MANIFEST));
	assert_non_null(mtk_name_problem("a//b", MTK_NAME_MANIFEST));
	assert_non_null(mtk_name_problem("a/", MTK_NAME_MANIFEST));
	assert_non_null(mtk_name_problem("./a", MTK_NAME_MANIFEST));
}

static void test_escape(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(mtk_escape("\x1b[2Jx\\y\xff\xc3\xa8\xc2\x9b", out, sizeof out),
	                    "\\x1b[2Jx\\x5cy\\xff\xc3\xa8\\xc2\\x9b");
	/* a short buffer cuts before a whole escape, never inside one */
	assert_string_equal(mtk_escape("ab\x01", out, 5), "ab");
	assert_string_equal(mtk_escape("\xe2\x82\xac", out, 3), "");
}

static void test_parse_size(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	uint64_t v = 1;
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = { { "0", 0 }, { "4096", 4096 }, { "0x1000", 4096 }, { "0X1f", 31 }, { "4K", 4096 },
	             { "2M", 2u << 20 }, { "1GiB", 1u << 30 }, { "3KB", 3072 }, { "1t", 1ull << 40 },
	             { "18446744073709551615", UINT64_MAX } };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(mtk_parse_size(ctx, good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
	}
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "010", "0x", "nan", "1.5", "4X",
	                                   "18446744073709551616", "16777216T", "0x1G1", NULL };
	for (const char *const *s = bad; *s; s++)
		assert_int_equal(mtk_parse_size(ctx, *s, &v), MTK_E_INVAL);
	assert_non_null(strstr(mtk_ctx_error(ctx), "not a size"));
	assert_int_equal(mtk_parse_size(ctx, "010", &v), MTK_E_INVAL);
	assert_non_null(strstr(mtk_ctx_error(ctx), "octal"));
	mtk_ctx_free(ctx);
}

static mode_t file_mode(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_outfile(void **state)
{
	const char *dir = ((struct files *)*state)->dir;
	char path[4096], link[4096];
	test_path(path, sizeof path, dir, "out.bin");
	test_path(link, sizeof link, dir, "link.bin");
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_write_file_safely(ctx, path, "old", 3, MTK_OUT_PRIVATE), 0);
	assert_int_equal(file_mode(path), 0600);
	/* existing: refused without FORCE, the old content stays */
	assert_int_equal(mtk_write_file_safely(ctx, path, "new", 3, 0), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "--force"));
	/* a failure half-way leaves the old file and no temporary file */
	struct mtk_outfile o;
	assert_int_equal(mtk_outfile_open(ctx, path, MTK_OUT_FORCE, &o), 0);
	assert_int_equal(mtk_write_all(ctx, o.fd, "partial", 7, path), 0);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", o.tmp);
	assert_int_equal(file_mode(tmp), 0600);
	mtk_outfile_abort(&o);
	struct stat st;
	assert_int_not_equal(lstat(tmp, &st), 0);
	size_t n;
	uint8_t *buf;
	assert_int_equal(mtk_read_small_file(ctx, path, 100, &buf, &n, NULL), 0);
	assert_memory_equal(buf, "old", 3);
	free(buf);
	/* FORCE replaces; public files are 0644 */
	assert_int_equal(mtk_write_file_safely(ctx, path, "newer", 5, MTK_OUT_FORCE), 0);
	assert_int_equal(file_mode(path), 0644);
	/* a symlink at the final name is never written through, even with FORCE */
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(mtk_write_file_safely(ctx, link, "evil", 4, MTK_OUT_FORCE), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "symbolic link"));
	assert_int_equal(mtk_read_small_file(ctx, path, 100, &buf, &n, NULL), 0);
	assert_int_equal(n, 5);
	free(buf);
	mtk_ctx_free(ctx);
}

/* A virtual clock for the tests below: sleeping moves it, nothing else. */
struct vclock {
	long long now;
	int sleeps;
};

static long long vclock_now(void *user)
{
	return ((struct vclock *)user)->now;
}

static void vclock_sleep(void *user, int ms)
{
	struct vclock *v = user;
	v->now += ms;
	v->sleeps++;
}

static void test_clock_real_by_default(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	assert_false(mtk_ctx_clock_is_virtual(ctx));
	long long a = mtk_now_ms(ctx);
	mtk_sleep_ms(ctx, 20);
	long long b = mtk_now_ms(ctx);
	assert_true(b - a >= 20);
	/* Half a clock (no sleep hook) is refused: it would block for real. */
	struct mtk_clock half = { .now_ms = vclock_now };
	mtk_ctx_set_clock(ctx, &half);
	assert_false(mtk_ctx_clock_is_virtual(ctx));
	mtk_ctx_free(ctx);
}

static void test_clock_virtual_sleep(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct vclock v = { .now = 1000 };
	struct mtk_clock c = { vclock_now, vclock_sleep, &v };
	mtk_ctx_set_clock(ctx, &c);
	assert_true(mtk_ctx_clock_is_virtual(ctx));
	assert_int_equal(mtk_now_ms(ctx), 1000);
	mtk_sleep_ms(ctx, 3600 * 1000); /* an hour, at once */
	mtk_sleep_ms(ctx, 0);
	mtk_sleep_ms(ctx, -5);
	assert_int_equal(mtk_now_ms(ctx), 1000 + 3600 * 1000);
	assert_int_equal(v.sleeps, 1);
	mtk_ctx_set_clock(ctx, NULL);
	assert_false(mtk_ctx_clock_is_virtual(ctx));
	mtk_ctx_free(ctx);
}

/* A device with nothing to say: on the virtual clock the read times out at
 * once, the clock having moved by the whole timeout; a byte that is there
 * is read without moving it. */
static void test_clock_virtual_fd_timeout(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(mtk_fd_set_nonblock(sv[0]), 0);
	mtk_ctx *ctx = mtk_ctx_new();
	struct vclock v = { 0 };
	struct mtk_clock c = { vclock_now, vclock_sleep, &v };
	mtk_ctx_set_clock(ctx, &c);
	uint8_t b;
	assert_int_equal(mtk_fd_read(ctx, sv[0], &b, 1, 60000), MTK_E_TIMEOUT);
	assert_true(v.now >= 60000);
	long long before = v.now;
	assert_int_equal(write(sv[1], "\x5a", 1), 1);
	assert_int_equal(mtk_fd_read(ctx, sv[0], &b, 1, 60000), 1);
	assert_int_equal(b, 0x5a);
	assert_int_equal(v.now, before);
	mtk_ctx_free(ctx);
	close(sv[0]);
	close(sv[1]);
}

/* mtk_utc_tm agrees with gmtime_r field by field: around the epoch, across
 * century and 400-year leap rules, and at a stride that walks every
 * weekday and month over six centuries. */
static void expect_same_as_gmtime(int64_t t)
{
	struct tm want, got;
	time_t tt = (time_t)t;
	assert_non_null(gmtime_r(&tt, &want));
	mtk_utc_tm(t, &got);
	assert_int_equal(got.tm_year, want.tm_year);
	assert_int_equal(got.tm_mon, want.tm_mon);
	assert_int_equal(got.tm_mday, want.tm_mday);
	assert_int_equal(got.tm_hour, want.tm_hour);
	assert_int_equal(got.tm_min, want.tm_min);
	assert_int_equal(got.tm_sec, want.tm_sec);
	assert_int_equal(got.tm_wday, want.tm_wday);
	assert_int_equal(got.tm_yday, want.tm_yday);
	assert_int_equal(got.tm_isdst, 0);
}

static void test_utc_tm(void **state)
{
	(void)state;
	static const int64_t fixed[] = {
		0, -1, 1, 86399, 86400, -86400, -86401,
		951782400,  /* 2000-02-29 (a 400-year leap day) */
		951868800,  /* 2000-03-01 */
		4107542400, /* 2100-03-01 (2100 is no leap year) */
		4107456000, /* 2100-02-28 */
		13569465600, /* 2400-01-01 */
		-2208988800, /* 1900-01-01 */
		1796256000,  /* 2026-12-03 */
	};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		expect_same_as_gmtime(fixed[i]);
	for (int64_t t = -6000000000LL; t < 14000000000LL; t += 7654321)
		expect_same_as_gmtime(t);
}

/* A library opened on first use: its functions work through the table; a
 * missing library or symbol is named with the package to install, and the
 * verdict is kept (a second call gives the same without trying again). */
struct libc_api {
	size_t (*len)(const char *);
	int (*absolute)(int);
};
static const struct mtk_dynsym libc_syms[] = {
	{ "strlen", offsetof(struct libc_api, len) },
	{ "abs", offsetof(struct libc_api, absolute) },
};

static void test_dynlib_loads_and_fills(void **state)
{
	(void)state;
	struct libc_api api = { 0 };
	struct mtk_dynlib lib = MTK_DYNLIB_INIT("libc.so.6", "libc6", "Counting", libc_syms, &api);
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_dynlib_load(ctx, &lib), 0);
	assert_int_equal(api.len("four"), 4);
	assert_int_equal(api.absolute(-7), 7);
	assert_int_equal(mtk_dynlib_load(ctx, &lib), 0);
	mtk_ctx_free(ctx);
}

static void test_dynlib_missing_library(void **state)
{
	(void)state;
	struct libc_api api = { 0 };
	struct mtk_dynlib lib = MTK_DYNLIB_INIT("libmtk-not-there.so.9", "libmtk-nothing9", "Imaginary reports", libc_syms, &api);
	mtk_ctx *ctx = mtk_ctx_new();
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mtk_dynlib_load(ctx, &lib), MTK_E_UNSUPPORTED);
		const char *m = mtk_ctx_error(ctx);
		assert_non_null(strstr(m, "Imaginary reports need libmtk-not-there.so.9"));
		assert_non_null(strstr(m, "install the package libmtk-nothing9"));
	}
	assert_null(api.len);
	mtk_ctx_free(ctx);
}

static void test_dynlib_missing_symbol(void **state)
{
	(void)state;
	static const struct mtk_dynsym syms[] = {
		{ "strlen", offsetof(struct libc_api, len) },
		{ "mtk_no_such_function", offsetof(struct libc_api, absolute) },
	};
	struct libc_api api = { 0 };
	struct mtk_dynlib lib = MTK_DYNLIB_INIT("libc.so.6", "libc6", "Counting", syms, &api);
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_dynlib_load(ctx, &lib), MTK_E_UNSUPPORTED);
	assert_non_null(strstr(mtk_ctx_error(ctx), "libc.so.6 has no mtk_no_such_function (too old; upgrade the package libc6)"));
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_chain),
		cmocka_unit_test(test_dynlib_loads_and_fills),
		cmocka_unit_test(test_dynlib_missing_library),
		cmocka_unit_test(test_dynlib_missing_symbol),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_log_levels_and_hex),
		cmocka_unit_test(test_byte_helpers),
		cmocka_unit_test(test_reader_bounds),
		cmocka_unit_test(test_xor16),
		cmocka_unit_test(test_crc32), cmocka_unit_test(test_crc32_sliced),
		cmocka_unit_test(test_sum16),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test_setup_teardown(test_read_small_file, files_setup, files_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_head, files_setup, files_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_head_sizes, files_setup, files_teardown),
		cmocka_unit_test(test_name_problem),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_utc_tm),
		cmocka_unit_test_setup_teardown(test_outfile, files_setup, files_teardown),
		cmocka_unit_test(test_clock_real_by_default),
		cmocka_unit_test(test_clock_virtual_sleep),
		cmocka_unit_test(test_clock_virtual_fd_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
