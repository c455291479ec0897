/* SPDX-License-Identifier: MIT */
/* storage/gpt.c: writer -> reader round trips, backup fallback, hostile headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"
#include "mtkflash/storage.h"

#define SS           512u
#define DISK_SECTORS 131072u /* 64 MiB */
#define HEAD_BYTES   (34u * SS)
#define TAIL_BYTES   (33u * SS)

struct gpt_img {
	uint8_t head[HEAD_BYTES];
	uint8_t tail[TAIL_BYTES];
};

/* The layout of da-legacy.md §8.5: boot @2048 8 MiB, recovery @18432 8 MiB, system, userdata. */
static void demo_table(struct mtk_ptable *t)
{
	mtk_ptable_init(t, MTK_PTABLE_GPT);
	assert_int_equal(mtk_ptable_add_simple(NULL, t, "boot", 2048 * SS, 8u << 20), 0);
	assert_int_equal(mtk_ptable_add_simple(NULL, t, "recovery", 18432 * SS, 8u << 20), 0);
	assert_int_equal(mtk_ptable_add_simple(NULL, t, "system", 34816ull * SS, 32u << 20), 0);
	assert_int_equal(
	        mtk_ptable_add_simple(NULL, t, "userdata", 100352ull * SS, (131072ull - 34 - 100352) * SS),
	        0);
}

static void build(const struct mtk_ptable *t, uint64_t seed, struct gpt_img *img)
{
	int rc = mtk_gpt_build(NULL, t, SS, DISK_SECTORS, seed, img->head, sizeof img->head, img->tail,
	                       sizeof img->tail);
	assert_int_equal(rc, 0);
}

static int parse(mtk_ctx *ctx, const struct gpt_img *img, struct mtk_ptable *out)
{
	return mtk_gpt_parse(ctx, img->head, sizeof img->head, img->tail, sizeof img->tail, SS, DISK_SECTORS,
	                     out);
}

static void assert_same_parts(const struct mtk_ptable *a, const struct mtk_ptable *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->parts[i].name, b->parts[i].name);
		assert_int_equal(a->parts[i].start, b->parts[i].start);
		assert_int_equal(a->parts[i].size, b->parts[i].size);
	}
}

static void test_round_trip(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct gpt_img *img = calloc(1, sizeof *img);
	demo_table(&t);
	build(&t, 42, img);
	/* protective MBR as mtkclient expects it */
	assert_int_equal(img->head[0x1BE], 0x00);
	assert_int_equal(img->head[0x1BE + 4], 0xEE);
	assert_int_equal(mtk_get_u32le(img->head + 0x1BE + 8), 1);
	assert_int_equal(mtk_get_u32le(img->head + 0x1BE + 12), DISK_SECTORS - 1);
	assert_true(mtk_mbr_is_protective(img->head, SS));
	assert_memory_equal(img->head + SS, "EFI PART", 8);
	assert_int_equal(mtk_get_u32le(img->head + SS + 8), 0x00010000);
	assert_int_equal(mtk_get_u64le(img->head + SS + 72), 2); /* entries at LBA 2 */
	assert_int_equal(mtk_get_u64le(img->tail + 32 * SS + 24), DISK_SECTORS - 1);

	assert_int_equal(parse(NULL, img, &r), 0);
	assert_int_equal(r.kind, MTK_PTABLE_GPT);
	assert_false(r.used_backup);
	assert_string_equal(r.warning, "");
	assert_int_equal(r.first_usable, 34);
	assert_int_equal(r.last_usable, DISK_SECTORS - 34);
	assert_int_equal(r.disk_size, (uint64_t)DISK_SECTORS * SS);
	assert_same_parts(&t, &r);
	char guid[40];
	mtk_guid_format(r.parts[0].type_guid, guid, sizeof guid);
	assert_string_equal(guid, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
	for (size_t i = 0; i < r.count; i++) {
		assert_int_equal(r.parts[i].region, MTK_REGION_USER);
		assert_int_equal(r.parts[i].uuid[7] >> 4, 4); /* version 4 shape */
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(r.parts[i].uuid, r.parts[j].uuid, 16);
		assert_memory_not_equal(r.parts[i].uuid, r.disk_guid, 16);
	}
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
	free(img);
}

static void test_deterministic_seed(void **state)
{
	(void)state;
	struct mtk_ptable t;
	struct gpt_img *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b), *c = calloc(1, sizeof *c);
	demo_table(&t);
	build(&t, 7, a);
	build(&t, 7, b);
	build(&t, 8, c);
	assert_memory_equal(a, b, sizeof *a);
	assert_memory_not_equal(a->head + SS + 56, c->head + SS + 56, 16); /* disk GUID */
	assert_memory_not_equal(a->head + 2 * SS + 16, c->head + 2 * SS + 16, 16);
	/* given GUIDs are kept */
	memset(t.parts[0].uuid, 0x11, 16);
	memset(t.disk_guid, 0x22, 16);
	build(&t, 7, c);
	assert_memory_equal(c->head + 2 * SS + 16, t.parts[0].uuid, 16);
	assert_memory_equal(c->head + SS + 56, t.disk_guid, 16);
	mtk_ptable_free(&t);
	free(a);
	free(b);
	free(c);
}

/* CRC a header would carry after `mutate`, to check the message's numbers. */
static uint32_t header_crc(const uint8_t *hdr)
{
	uint8_t tmp[92];
	memcpy(tmp, hdr, sizeof tmp);
	mtk_put_u32le(tmp + 16, 0);
	return mtk_crc32_update(0, tmp, sizeof tmp);
}

static void test_primary_header_crc_falls_back(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct gpt_img *img = calloc(1, sizeof *img);
	demo_table(&t);
	build(&t, 1, img);
	uint32_t stored = mtk_get_u32le(img->head + SS + 16);
	img->head[SS + 60] ^= 0x01; /* a disk GUID byte */
	uint32_t computed = header_crc(img->head + SS);
	assert_int_equal(parse(NULL, img, &r), 0);
	assert_true(r.used_backup);
	char want[160];
	snprintf(want, sizeof want, "primary GPT header CRC mismatch (stored 0x%08x, computed 0x%08x)",
	         stored, computed);
	assert_non_null(strstr(r.warning, want));
	assert_non_null(strstr(r.warning, "using the backup GPT"));
	assert_same_parts(&t, &r);
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
	free(img);
}

static void test_primary_entries_crc_falls_back(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct gpt_img *img = calloc(1, sizeof *img);
	demo_table(&t);
	build(&t, 1, img);
	img->head[2 * SS + 56] = 'B'; /* first name character */
	assert_int_equal(parse(NULL, img, &r), 0);
	assert_true(r.used_backup);
	assert_non_null(strstr(r.warning, "primary GPT entries CRC mismatch (stored 0x"));
	assert_string_equal(r.parts[0].name, "boot");
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
	free(img);
}

static void test_both_damaged(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct gpt_img *img = calloc(1, sizeof *img);
	mtk_ctx *ctx = mtk_ctx_new();
	demo_table(&t);
	build(&t, 1, img);
	img->head[SS + 60] ^= 0x01;
	img->tail[100] ^= 0x01; /* backup entries */
	assert_int_equal(parse(ctx, img, &r), MTK_E_PARSE);
	const char *msg = mtk_ctx_error(ctx);
	assert_non_null(strstr(msg, "no valid GPT"));
	assert_non_null(strstr(msg, "primary GPT header CRC mismatch"));
	assert_non_null(strstr(msg, "backup GPT entries CRC mismatch"));
	assert_int_equal(r.count, 0);
	assert_null(r.parts);
	/* signature gone from both */
	build(&t, 1, img);
	img->head[SS] = 'X';
	img->tail[32 * SS] = 'X';
	assert_int_equal(parse(ctx, img, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "no primary GPT header ('EFI PART') at LBA 1"));
	assert_non_null(strstr(mtk_ctx_error(ctx), "no backup GPT header ('EFI PART') at LBA 131071"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	free(img);
}

static void test_zero_and_128_partitions(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct gpt_img *img = calloc(1, sizeof *img);
	mtk_ctx *ctx = mtk_ctx_new();
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	build(&t, 3, img);
	assert_int_equal(parse(NULL, img, &r), 0);
	assert_int_equal(r.count, 0);
	mtk_ptable_free(&r);
	for (int i = 0; i < 128; i++) {
		char name[16];
		snprintf(name, sizeof name, "part%03d", i);
		assert_int_equal(mtk_ptable_add_simple(NULL, &t, name, (64ull + 8 * i) * SS, 8 * SS), 0);
	}
	build(&t, 3, img);
	assert_int_equal(parse(NULL, img, &r), 0);
	assert_int_equal(r.count, 128);
	assert_same_parts(&t, &r);
	mtk_ptable_free(&r);
	assert_int_equal(mtk_ptable_add_simple(NULL, &t, "one_more", 4096 * SS, SS), 0);
	assert_int_equal(
	        mtk_gpt_build(ctx, &t, SS, DISK_SECTORS, 3, img->head, HEAD_BYTES, img->tail, TAIL_BYTES),
	        MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "129 partitions"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	free(img);
}

static void test_names(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct gpt_img *img = calloc(1, sizeof *img);
	mtk_ctx *ctx = mtk_ctx_new();
	const char *n36 = "abcdefghijklmnopqrstuvwxyz0123456789";
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	assert_int_equal(mtk_ptable_add_simple(NULL, &t, n36, 64 * SS, SS), 0);
	assert_int_equal(mtk_ptable_add_simple(NULL, &t, "syst\xc3\xa8me", 65 * SS, SS), 0);     /* è */
	assert_int_equal(mtk_ptable_add_simple(NULL, &t, "x\xf0\x9f\x98\x80y", 66 * SS, SS), 0); /* U+1F600 */
	/* 35 three-byte characters plus one: 36 UTF-16 units, 108 UTF-8 bytes */
	char wide[120] = "";
	for (int i = 0; i < 36; i++)
		strcat(wide, "\xe2\x82\xac"); /* € */
	assert_int_equal(mtk_ptable_add_simple(NULL, &t, wide, 67 * SS, SS), 0);
	build(&t, 5, img);
	assert_int_equal(parse(NULL, img, &r), 0);
	assert_same_parts(&t, &r);
	/* the surrogate pair is stored as two units */
	assert_int_equal(mtk_get_u16le(img->head + 2 * SS + 2 * 128 + 56 + 2), 0xD83D);
	mtk_ptable_free(&r);

	char n37[40];
	snprintf(n37, sizeof n37, "%sX", n36);
	snprintf(t.parts[0].name, sizeof t.parts[0].name, "%s", n37);
	assert_int_equal(
	        mtk_gpt_build(ctx, &t, SS, DISK_SECTORS, 5, img->head, HEAD_BYTES, img->tail, TAIL_BYTES),
	        MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "longer than 36 UTF-16 units"));
	snprintf(t.parts[0].name, sizeof t.parts[0].name, "bad\xff");
	assert_int_equal(
	        mtk_gpt_build(ctx, &t, SS, DISK_SECTORS, 5, img->head, HEAD_BYTES, img->tail, TAIL_BYTES),
	        MTK_E_INVAL);
	assert_non_null(strstr(mtk_ctx_error(ctx), "invalid UTF-8 at byte 3"));

	/* an unpaired surrogate on disk reads as U+FFFD */
	snprintf(t.parts[0].name, sizeof t.parts[0].name, "ab");
	build(&t, 5, img);
	mtk_put_u16le(img->head + 2 * SS + 56 + 2, 0xDC00);
	uint8_t *hdr = img->head + SS;
	mtk_put_u32le(hdr + 88, mtk_crc32_update(0, img->head + 2 * SS, 128 * 128));
	mtk_put_u32le(hdr + 16, header_crc(hdr));
	assert_int_equal(parse(NULL, img, &r), 0);
	assert_false(r.used_backup);
	assert_string_equal(r.parts[0].name, "a\xef\xbf\xbd");
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	free(img);
}

/* Names come from whoever wrote the device's table: one that would walk out
 * of a backup folder or drive a terminal must stop the table at the reader. */
static void test_hostile_names(void **state)
{
	(void)state;
	static const char *const hostile[] = { "../../escaped", "a/b", "back\\slash", "..", "\x1b[2Jclear",
	                                       "bell\x07", "c1\xc2\x9b" };
	struct gpt_img *img = calloc(1, sizeof *img);
	mtk_ctx *ctx = mtk_ctx_new();
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		struct mtk_ptable t, r;
		demo_table(&t);
		/* Written straight into the list: the table builder would refuse it. */
		snprintf(t.parts[1].name, sizeof t.parts[1].name, "%s", hostile[i]);
		build(&t, 9, img);
		assert_int_equal(parse(ctx, img, &r), MTK_E_PARSE);
		const char *msg = mtk_ctx_error(ctx);
		assert_non_null(strstr(msg, "not safe as a file name"));
		for (const char *c = msg; *c; c++)
			assert_true((unsigned char)*c >= 0x20 && *c != 0x7f); /* the message is escaped too */
		assert_null(strstr(msg, "\xc2\x9b"));
		mtk_ptable_free(&t);
	}
	mtk_ctx_free(ctx);
	free(img);
}

static void test_writer_rejects_bad_layouts(void **state)
{
	(void)state;
	struct mtk_ptable t;
	struct gpt_img *img = calloc(1, sizeof *img);
	mtk_ctx *ctx = mtk_ctx_new();
	struct {
		uint64_t start, size;
		int rc;
		const char *msg;
	} cases[] = {
	        {64 * SS + 1, SS, MTK_E_INVAL, "not a whole number"},
	        {64 * SS, 0, MTK_E_INVAL, "not a whole number"},
	        {33 * SS, SS, MTK_E_RANGE, "outside the usable LBAs 34..131038"},
	        {131038ull * SS, 2 * SS, MTK_E_RANGE, "outside the usable"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mtk_ptable_init(&t, MTK_PTABLE_GPT);
		mtk_ptable_add_simple(NULL, &t, "p", cases[i].start, cases[i].size);
		assert_int_equal(mtk_gpt_build(ctx, &t, SS, DISK_SECTORS, 0, img->head, HEAD_BYTES, img->tail,
		                               TAIL_BYTES),
		                 cases[i].rc);
		assert_non_null(strstr(mtk_ctx_error(ctx), cases[i].msg));
		mtk_ptable_free(&t);
	}
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	mtk_ptable_add_simple(NULL, &t, "a", 64 * SS, 16 * SS);
	mtk_ptable_add_simple(NULL, &t, "b", 72 * SS, 16 * SS);
	assert_int_equal(
	        mtk_gpt_build(ctx, &t, SS, DISK_SECTORS, 0, img->head, HEAD_BYTES, img->tail, TAIL_BYTES),
	        MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "partitions a and b overlap"));
	t.parts[1].region = MTK_REGION_BOOT1;
	assert_int_equal(
	        mtk_gpt_build(ctx, &t, SS, DISK_SECTORS, 0, img->head, HEAD_BYTES, img->tail, TAIL_BYTES),
	        MTK_E_INVAL);
	assert_int_equal(mtk_gpt_build(ctx, &t, SS, 60, 0, img->head, HEAD_BYTES, img->tail, TAIL_BYTES),
	                 MTK_E_RANGE);
	assert_int_equal(
	        mtk_gpt_build(ctx, &t, 513, DISK_SECTORS, 0, img->head, HEAD_BYTES, img->tail, TAIL_BYTES),
	        MTK_E_INVAL);
	assert_int_equal(
	        mtk_gpt_build(ctx, &t, SS, DISK_SECTORS, 0, img->head, HEAD_BYTES - 1, img->tail, TAIL_BYTES),
	        MTK_E_INVAL);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	free(img);
}

/* Rewrites the primary header's CRC after a field change, so the field check (not the CRC) must catch it. */
static void resign_primary(struct gpt_img *img)
{
	mtk_put_u32le(img->head + SS + 16, header_crc(img->head + SS));
}

static void test_hostile_headers(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct gpt_img *img = calloc(1, sizeof *img);
	mtk_ctx *ctx = mtk_ctx_new();
	demo_table(&t);
	struct {
		size_t off;
		int width;
		uint64_t value;
		const char *msg;
	} cases[] = {
	        {12, 4, 91, "header size 91"},        {24, 8, 5, "says it is at LBA 5"},
	        {48, 8, DISK_SECTORS, "usable LBAs"}, {80, 4, 0x100000, "declares 1048576 entries"},
	        {84, 4, 100, "entry size 100"},       {72, 8, DISK_SECTORS - 3, "is outside the disk"},
	        {72, 8, 1, "is outside the disk"},    {40, 8, 3000, "outside the usable 3000..131038"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		build(&t, 9, img);
		uint8_t *f = img->head + SS + cases[i].off;
		if (cases[i].width == 4)
			mtk_put_u32le(f, (uint32_t)cases[i].value);
		else
			mtk_put_u64le(f, cases[i].value);
		resign_primary(img);
		assert_int_equal(parse(ctx, img, &r), 0);
		assert_true(r.used_backup);
		if (!strstr(r.warning, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, r.warning, cases[i].msg);
		mtk_ptable_free(&r);
	}
	/* an entry whose last LBA precedes its first */
	build(&t, 9, img);
	mtk_put_u64le(img->head + 2 * SS + 40, 10);
	mtk_put_u32le(img->head + SS + 88, mtk_crc32_update(0, img->head + 2 * SS, 128 * 128));
	resign_primary(img);
	assert_int_equal(parse(ctx, img, &r), 0);
	assert_non_null(strstr(r.warning, "primary GPT entry 0 (boot): LBAs 2048..10"));
	mtk_ptable_free(&r);
	/* nothing readable */
	assert_int_equal(mtk_gpt_parse(ctx, NULL, 0, NULL, 0, SS, DISK_SECTORS, &r), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "cannot read the primary GPT header at LBA 1"));
	assert_int_equal(mtk_gpt_parse(ctx, img->head, HEAD_BYTES, NULL, 0, SS, 2, &r), MTK_E_INVAL);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	free(img);
}

/* A whole disk in memory that counts which LBAs the reader touched. */
struct mem_disk {
	uint8_t *data;
	uint64_t sectors;
	uint32_t ss;
	uint64_t max_read_lba, reads;
	bool fail_head;
};

static int disk_read(void *user, uint64_t lba, uint32_t count, uint8_t *buf)
{
	struct mem_disk *d = user;
	if (lba + count > d->sectors || (d->fail_head && lba < 34))
		return MTK_E_IO;
	memcpy(buf, d->data + lba * d->ss, (size_t)count * d->ss);
	if (lba + count - 1 > d->max_read_lba)
		d->max_read_lba = lba + count - 1;
	d->reads++;
	return 0;
}

static int disk_write(void *user, uint64_t lba, uint32_t count, const uint8_t *buf)
{
	struct mem_disk *d = user;
	if (lba + count > d->sectors)
		return MTK_E_IO;
	memcpy(d->data + lba * d->ss, buf, (size_t)count * d->ss);
	return 0;
}

static void test_callbacks(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct mem_disk d = {calloc(8192, SS), 8192, SS, 0, 0, false};
	mtk_ctx *ctx = mtk_ctx_new();
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	mtk_ptable_add_simple(NULL, &t, "boot", 2048 * SS, 1024 * SS);
	assert_int_equal(mtk_gpt_write(ctx, &t, SS, d.sectors, 11, disk_write, &d), 0);
	assert_int_equal(mtk_gpt_read(ctx, disk_read, &d, SS, d.sectors, &r), 0);
	assert_int_equal(d.max_read_lba, 33); /* a good primary needs nothing from the tail */
	assert_same_parts(&t, &r);
	mtk_ptable_free(&r);
	d.fail_head = true;
	assert_int_equal(mtk_gpt_read(ctx, disk_read, &d, SS, d.sectors, &r), 0);
	assert_true(r.used_backup);
	assert_non_null(strstr(r.warning, "cannot read the primary GPT header at LBA 1 (MTK_E_IO)"));
	assert_same_parts(&t, &r);
	mtk_ptable_free(&r);
	/* a write failure is reported with what was being done */
	d.sectors = 20;
	assert_int_equal(mtk_gpt_write(ctx, &t, SS, 8192, 11, disk_write, &d), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "writing the GPT"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	free(d.data);
}

static void test_4k_sectors(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	const uint32_t ss = 4096;
	const uint64_t n = 16384; /* 64 MiB */
	assert_int_equal(mtk_gpt_entry_sectors(ss), 4);
	assert_int_equal(mtk_gpt_head_bytes(ss), 6 * ss);
	assert_int_equal(mtk_gpt_tail_bytes(ss), 5 * ss);
	uint8_t *head = calloc(6, ss), *tail = calloc(5, ss);
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	mtk_ptable_add_simple(NULL, &t, "system", 6 * ss, 100 * ss);
	assert_int_equal(mtk_gpt_build(NULL, &t, ss, n, 1, head, 6 * ss, tail, 5 * ss), 0);
	assert_int_equal(mtk_gpt_parse(NULL, head, 6 * ss, tail, 5 * ss, ss, n, &r), 0);
	assert_int_equal(r.first_usable, 6);
	assert_int_equal(r.sector_size, ss);
	assert_same_parts(&t, &r);
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
	free(head);
	free(tail);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_deterministic_seed),
	        cmocka_unit_test(test_primary_header_crc_falls_back),
	        cmocka_unit_test(test_primary_entries_crc_falls_back),
	        cmocka_unit_test(test_both_damaged),
	        cmocka_unit_test(test_zero_and_128_partitions),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_hostile_names),
	        cmocka_unit_test(test_writer_rejects_bad_layouts),
	        cmocka_unit_test(test_hostile_headers),
	        cmocka_unit_test(test_callbacks),
	        cmocka_unit_test(test_4k_sectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
