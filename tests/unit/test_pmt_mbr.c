/* SPDX-License-Identifier: MIT */
/* storage/pmt.c and storage/mbr.c: round trips and hostile inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/storage.h"

#define MIB (1024ull * 1024ull)

/* ------------------------------------------------------------------- PMT */

/* The MT6572 Wiko layout (fixture scatter), user offsets = linear - 0xC00000. */
static const struct {
	const char *name;
	uint64_t start, size;
	uint8_t mbr_type;
} wiko[] = {
        {"MBR", 0x0, 0x80000, 0},
        {"EBR1", 0x80000, 0x80000, 0},
        {"PRO_INFO", 0x100000, 0x300000, 0},
        {"NVRAM", 0x400000, 0x500000, 0},
        {"PROTECT_F", 0x900000, 0xa00000, 0},
        {"PROTECT_S", 0x1300000, 0xa00000, 0},
        {"SECCFG", 0x1d00000, 0x20000, 0},
        {"UBOOT", 0x1d20000, 0x60000, 0},
        {"BOOTIMG", 0x1d80000, 0x1200000, 0},
        {"RECOVERY", 0x2f80000, 0x1200000, 0},
        {"SEC_RO", 0x4180000, 0x40000, 0x83},
        {"MISC", 0x41c0000, 0x80000, 0},
        {"LOGO", 0x4240000, 0x300000, 0},
        {"EXPDB", 0x4540000, 0xa00000, 0},
        {"ANDROID", 0x4f40000, 0x3e800000, 0x83},
        {"CACHE", 0x43740000, 0xe200000, 0x83},
        {"USRDATA", 0x51940000, 0x96000000, 0x83},
};
#define WIKO_USER_SIZE 0xE9000000ull /* 3.64 GiB: USRDATA ends at 0xE7940000, BMTPOOL after */

static void wiko_table(struct mtk_ptable *t, bool with_preloader)
{
	mtk_ptable_init(t, MTK_PTABLE_PMT);
	if (with_preloader) {
		struct mtk_part p = {
		        .name = "PRELOADER", .start = 0, .size = 0xc00000, .region = MTK_REGION_BOOT1};
		assert_int_equal(mtk_ptable_add(NULL, t, &p), 0);
	}
	for (size_t i = 0; i < sizeof wiko / sizeof wiko[0]; i++) {
		assert_int_equal(mtk_ptable_add_simple(NULL, t, wiko[i].name, wiko[i].start, wiko[i].size),
		                 0);
		t->parts[t->count - 1].mbr_type = wiko[i].mbr_type;
		t->parts[t->count - 1].attrs = i; /* mask_flags round-trip too */
	}
}

static void assert_same(const struct mtk_ptable *a, const struct mtk_ptable *b, bool regions)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->parts[i].name, b->parts[i].name);
		assert_int_equal(a->parts[i].start, b->parts[i].start);
		assert_int_equal(a->parts[i].size, b->parts[i].size);
		assert_int_equal(a->parts[i].attrs, b->parts[i].attrs);
		if (regions)
			assert_int_equal(a->parts[i].region, b->parts[i].region);
	}
}

static void test_pmt_round_trip_11(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	uint8_t buf[8192];
	wiko_table(&t, true);
	assert_int_equal(mtk_pmt_build(NULL, &t, MTK_PMT_EMMC_11, buf, sizeof buf), 0);
	assert_memory_equal(buf, "1vTP1.1", 8); /* "PTv1" little-endian, then the version */
	assert_memory_equal(buf + 4092, "1vTP", 4);
	assert_memory_equal(buf + 4096, "1TPM", 4);
	/* record 0: name, size @0x40, part_id @0x48, offset @0x50, mask @0x58 */
	assert_string_equal((const char *)buf + 8, "PRELOADER");
	assert_int_equal(mtk_get_u64le(buf + 8 + 0x40), 0xc00000);
	assert_int_equal(mtk_get_u64le(buf + 8 + 0x48), 1);
	assert_int_equal(mtk_get_u64le(buf + 8 + 0x60 + 0x48), 8);
	assert_int_equal(mtk_pmt_parse_pair(NULL, buf, sizeof buf, MTK_PMT_NONE, &r), 0);
	assert_int_equal(r.kind, MTK_PTABLE_PMT);
	assert_int_equal(r.pmt_variant, MTK_PMT_EMMC_11);
	assert_false(r.used_backup);
	assert_same(&t, &r, true);
	assert_int_equal(r.parts[0].part_id, 1);
	mtk_ptable_free(&r);
	/* the mirror alone parses too */
	assert_int_equal(mtk_pmt_parse(NULL, buf + 4096, 4096, MTK_PMT_EMMC_11, &r), 0);
	assert_same(&t, &r, true);
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
}

static void test_pmt_round_trip_10_and_nand(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	uint8_t buf[8192];
	mtk_ctx *ctx = mtk_ctx_new();
	wiko_table(&t, false);
	assert_int_equal(mtk_pmt_build(NULL, &t, MTK_PMT_EMMC_10, buf, sizeof buf), 0);
	assert_memory_equal(buf + 4, "1.0", 4);
	assert_int_equal(mtk_get_u64le(buf + 8 + 88 + 0x48), 0x80000); /* offset follows size directly */
	assert_int_equal(mtk_pmt_parse_pair(NULL, buf, sizeof buf, MTK_PMT_NONE, &r), 0);
	assert_int_equal(r.pmt_variant, MTK_PMT_EMMC_10);
	assert_same(&t, &r, true);
	mtk_ptable_free(&r);
	/* asking for 1.1 when the table says 1.0 */
	assert_int_equal(mtk_pmt_parse(ctx, buf, 4096, MTK_PMT_EMMC_11, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "version '1.0' at byte 4, expected '1.1'"));

	assert_int_equal(mtk_pmt_build(NULL, &t, MTK_PMT_NAND32, buf, sizeof buf), 0);
	assert_string_equal((const char *)buf + 4, "MBR");
	assert_int_equal(mtk_get_u32le(buf + 4 + 76 + 68), 0x80000);
	assert_int_equal(mtk_pmt_parse_pair(NULL, buf, sizeof buf, MTK_PMT_NAND32, &r), 0);
	assert_int_equal(r.pmt_variant, MTK_PMT_NAND32);
	assert_same(&t, &r, true);
	mtk_ptable_free(&r);
	t.parts[3].size = 0x100000000ull;
	assert_int_equal(mtk_pmt_build(ctx, &t, MTK_PMT_NAND32, buf, sizeof buf), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "NVRAM does not fit the 32-bit NAND record"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

static void test_pmt_mirror_fallback(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	uint8_t buf[8192];
	mtk_ctx *ctx = mtk_ctx_new();
	wiko_table(&t, true);
	assert_int_equal(mtk_pmt_build(NULL, &t, MTK_PMT_EMMC_11, buf, sizeof buf), 0);
	memset(buf + 4092, 0, 4); /* torn main copy */
	assert_int_equal(mtk_pmt_parse_pair(ctx, buf, sizeof buf, MTK_PMT_NONE, &r), 0);
	assert_true(r.used_backup);
	assert_non_null(strstr(r.warning,
	                       "signature at byte 0xffc is 0x00000000, at byte 0 0x50547631 (torn write?)"));
	assert_non_null(strstr(r.warning, "using the mirror"));
	assert_same(&t, &r, true);
	mtk_ptable_free(&r);
	memcpy(buf + 4096, "XXXX", 4);
	assert_int_equal(mtk_pmt_parse_pair(ctx, buf, sizeof buf, MTK_PMT_NONE, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "no valid PMT: main copy: signature at byte 0xffc"));
	assert_non_null(
	        strstr(mtk_ctx_error(ctx), "mirror at byte 0x1000: no signature at byte 0 (got 0x58585858"));
	assert_int_equal(r.count, 0);
	/* only the main copy given */
	assert_int_equal(mtk_pmt_parse_pair(ctx, buf, 4096, MTK_PMT_NONE, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "mirror at byte 0x1000: 0 bytes"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

static void test_pmt_hostile(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	uint8_t buf[8192];
	mtk_ctx *ctx = mtk_ctx_new();
	wiko_table(&t, true);
	assert_int_equal(mtk_pmt_build(NULL, &t, MTK_PMT_EMMC_11, buf, sizeof buf), 0);
	memset(buf + 8 + 96 * 2, 'A', 64); /* record 2's name without a NUL */
	assert_int_equal(mtk_pmt_parse(ctx, buf, 4096, MTK_PMT_NONE, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "PMT: record at byte 0xc8: name is not NUL-terminated"));
	assert_int_equal(r.count, 0);
	memcpy(buf + 4, "2.0", 4);
	assert_int_equal(mtk_pmt_parse(ctx, buf, 4096, MTK_PMT_NONE, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "unknown version at byte 4 (32 2e 30 00)"));
	assert_int_equal(mtk_pmt_parse(ctx, buf, 4095, MTK_PMT_NONE, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "4095 bytes, a copy is 4096"));
	/* offset + size overflowing */
	assert_int_equal(mtk_pmt_build(NULL, &t, MTK_PMT_EMMC_11, buf, sizeof buf), 0);
	mtk_put_u64le(buf + 8 + 0x40, UINT64_MAX);
	mtk_put_u64le(buf + 8 + 0x50, 2);
	assert_int_equal(mtk_pmt_parse(ctx, buf, 4096, MTK_PMT_NONE, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "record PRELOADER at byte 0x8: offset 0x2 + size"));
	/* a full table (40 records, no terminator) stops at PART_MAX_COUNT */
	mtk_ptable_free(&t);
	mtk_ptable_init(&t, MTK_PTABLE_PMT);
	for (int i = 0; i < MTK_PMT_MAX_COUNT; i++) {
		char name[8];
		snprintf(name, sizeof name, "P%d", i);
		mtk_ptable_add_simple(NULL, &t, name, (uint64_t)i * MIB, MIB);
	}
	assert_int_equal(mtk_pmt_build(NULL, &t, MTK_PMT_EMMC_11, buf, sizeof buf), 0);
	assert_int_equal(mtk_pmt_parse(NULL, buf, 4096, MTK_PMT_NONE, &r), 0);
	assert_int_equal(r.count, MTK_PMT_MAX_COUNT);
	mtk_ptable_free(&r);
	mtk_ptable_add_simple(NULL, &t, "P40", 40 * MIB, MIB);
	assert_int_equal(mtk_pmt_build(ctx, &t, MTK_PMT_EMMC_11, buf, sizeof buf), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "41 partitions, at most 40"));
	memset(t.parts[0].name, 'n', 64);
	t.parts[0].name[64] = '\0';
	t.count = 1;
	assert_int_equal(mtk_pmt_build(ctx, &t, MTK_PMT_EMMC_11, buf, sizeof buf), MTK_E_INVAL);
	assert_non_null(strstr(mtk_ctx_error(ctx), "must be 1..63 bytes"));
	assert_int_equal(mtk_pmt_build(ctx, &t, MTK_PMT_EMMC_11, buf, 8191), MTK_E_INVAL);
	assert_int_equal(mtk_pmt_build(ctx, &t, MTK_PMT_NONE, buf, sizeof buf), MTK_E_INVAL);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

static void test_pmt_da_payload(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	mtk_ctx *ctx = mtk_ctx_new();
	wiko_table(&t, false);
	int len = mtk_pmt_build_da(NULL, &t, NULL, 0);
	assert_int_equal(len, (int)t.count * 0x60);
	uint8_t *buf = malloc((size_t)len + 0x60);
	assert_int_equal(mtk_pmt_build_da(NULL, &t, buf, (size_t)len), len);
	assert_int_equal(buf[0x48], 0xFF); /* what mtkclient requires (da-legacy.md §4.9) */
	assert_int_equal(mtk_get_u64le(buf + 0x60 + 0x50), 0x80000);
	assert_int_equal(mtk_pmt_parse_da(NULL, buf, (size_t)len, &r), 0);
	assert_same(&t, &r, true);
	assert_int_equal(r.parts[0].part_id, 0xFF);
	mtk_ptable_free(&r);
	/* empty records are skipped, a partial one is an error */
	memset(buf + len, 0, 0x60);
	assert_int_equal(mtk_pmt_parse_da(NULL, buf, (size_t)len + 0x60, &r), 0);
	assert_int_equal(r.count, t.count);
	mtk_ptable_free(&r);
	assert_int_equal(mtk_pmt_parse_da(ctx, buf, (size_t)len - 1, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "is not a multiple of 0x60"));
	assert_int_equal(mtk_pmt_build_da(ctx, &t, buf, 10), MTK_E_INVAL);
	uint64_t off;
	assert_int_equal(mtk_pmt_offset(NULL, WIKO_USER_SIZE, &off), 0);
	assert_int_equal(off, WIKO_USER_SIZE - MIB);
	assert_int_equal(mtk_pmt_offset(ctx, MIB, &off), MTK_E_RANGE);
	free(buf);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

/* ---------------------------------------------------------------- MBR/EBR */

/* A sparse user area: only the table sectors exist, everything else reads as zeros. */
struct sparse_disk {
	const struct mtk_mbr_image *img;
	uint64_t sectors;
};

static int sparse_read(void *user, uint64_t lba, uint32_t count, uint8_t *buf)
{
	const struct sparse_disk *d = user;
	if (lba + count > d->sectors)
		return MTK_E_IO;
	memset(buf, 0, (size_t)count * 512);
	for (uint32_t i = 0; i < count; i++)
		for (size_t k = 0; k < d->img->count; k++)
			if (d->img->offset[k] == (lba + i) * 512)
				memcpy(buf + i * 512, d->img->sector[k], 512);
	return 0;
}

static void test_mbr_wiko_layout(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct mtk_mbr_image img;
	wiko_table(&t, false);
	assert_int_equal(mtk_mbr_build(NULL, &t, true, &img), 0);
	assert_int_equal(img.count, 2);
	assert_int_equal(img.offset[0], 0);
	assert_int_equal(img.offset[1], 0x80000);
	const uint8_t *m = img.sector[0], *e = img.sector[1];
	assert_int_equal(m[510], 0x55);
	assert_int_equal(m[511], 0xAA);
	/* entry 0: extended -> EBR1 */
	assert_int_equal(m[0x1BE + 4], 0x05);
	assert_int_equal(mtk_get_u32le(m + 0x1BE + 8), 0x80000 / 512);
	assert_int_equal(mtk_get_u32le(m + 0x1BE + 12), 0xFFFFFFFF);
	/* entries 1-3: SEC_RO, ANDROID, CACHE */
	assert_int_equal(m[0x1CE + 4], 0x83);
	assert_int_equal(mtk_get_u32le(m + 0x1CE + 8), 0x4180000 / 512);
	assert_int_equal(mtk_get_u32le(m + 0x1CE + 12), 0x40000 / 512);
	assert_int_equal(mtk_get_u32le(m + 0x1EE + 8), 0x43740000 / 512);
	/* EBR1 entry 0: USRDATA counted from EBR1, "to the end" */
	uint32_t rel = (0x51940000 - 0x80000) / 512;
	assert_int_equal(e[0x1BE + 4], 0x83);
	assert_int_equal(mtk_get_u32le(e + 0x1BE + 8), rel);
	assert_int_equal(mtk_get_u32le(e + 0x1BE + 12), 0xFFFFFFFFu - rel);
	assert_int_equal(e[0x1CE + 4], 0);

	struct sparse_disk d = {&img, WIKO_USER_SIZE / 512};
	assert_int_equal(mtk_mbr_read(NULL, sparse_read, &d, d.sectors, &r), 0);
	assert_int_equal(r.kind, MTK_PTABLE_MBR);
	assert_int_equal(r.count, 4);
	const char *names[] = {"p2", "p3", "p4", "p5"};
	const size_t src[] = {10, 14, 15, 16};
	for (int i = 0; i < 4; i++) {
		assert_string_equal(r.parts[i].name, names[i]);
		assert_int_equal(r.parts[i].start, wiko[src[i]].start);
		assert_int_equal(r.parts[i].mbr_type, 0x83);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(r.parts[i].size, wiko[src[i]].size);
	assert_int_equal(r.parts[3].size, WIKO_USER_SIZE - wiko[16].start); /* clipped to the area */
	mtk_ptable_free(&r);
	mtk_ptable_free(&t);
}

static void add_linux(struct mtk_ptable *t, const char *name, uint64_t start, uint64_t size)
{
	assert_int_equal(mtk_ptable_add_simple(NULL, t, name, start, size), 0);
	t->parts[t->count - 1].mbr_type = 0x83;
}

static void test_mbr_chain_round_trip(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct mtk_mbr_image img;
	mtk_ctx *ctx = mtk_ctx_new();
	mtk_ptable_init(&t, MTK_PTABLE_MBR);
	mtk_ptable_add_simple(NULL, &t, "MBR", 0, 0x80000);
	mtk_ptable_add_simple(NULL, &t, "EBR1", 0x80000, 0x80000);
	mtk_ptable_add_simple(NULL, &t, "EBR2", 0x3000000, 0x80000);
	for (int i = 0; i < 8; i++) { /* listed out of order on purpose */
		char name[8];
		int k = (i * 5) % 8;
		snprintf(name, sizeof name, "L%d", k);
		add_linux(&t, name, (k < 6 ? 0x1000000 : 0x4000000) + (uint64_t)k * 0x200000, 0x100000);
	}
	assert_int_equal(mtk_mbr_build(ctx, &t, false, &img), 0);
	assert_int_equal(img.count, 3);
	/* EBR1 links to EBR2, counted from EBR1 */
	assert_int_equal(img.sector[1][0x1EE + 4], 0x05);
	assert_int_equal(mtk_get_u32le(img.sector[1] + 0x1EE + 8), (0x3000000 - 0x80000) / 512);
	struct sparse_disk d = {&img, 0x10000000 / 512};
	assert_int_equal(mtk_mbr_read(ctx, sparse_read, &d, d.sectors, &r), 0);
	assert_int_equal(r.count, 8);
	for (int k = 0; k < 8; k++) {
		char want[8];
		snprintf(want, sizeof want, "p%d", k + 2); /* p1 is the extended entry */
		assert_string_equal(r.parts[k].name, want);
		assert_int_equal(r.parts[k].start, (k < 6 ? 0x1000000 : 0x4000000) + (uint64_t)k * 0x200000);
		assert_int_equal(r.parts[k].size, 0x100000);
	}
	mtk_ptable_free(&r);
	/* the same through the buffer parser: the area up to the last EBR */
	size_t blen = 0x3000000 + 512;
	uint8_t *buf = calloc(1, blen);
	for (size_t k = 0; k < img.count; k++)
		memcpy(buf + img.offset[k], img.sector[k], 512);
	assert_int_equal(mtk_mbr_parse(ctx, buf, blen, 0, &r), 0);
	assert_int_equal(r.count, 8);
	mtk_ptable_free(&r);
	free(buf);

	/* 3 in the MBR + 3 per EBR: a tenth partition does not fit */
	add_linux(&t, "L8", 0x5000000, 0x100000);
	assert_int_equal(mtk_mbr_build(ctx, &t, false, &img), 0);
	add_linux(&t, "L9", 0x5200000, 0x100000);
	assert_int_equal(mtk_mbr_build(ctx, &t, false, &img), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx),
	                       "10 Linux partitions do not fit the MBR and 2 EBRs (L9 is left over)"));
	/* a partition before the EBR that must describe it */
	t.count -= 2;
	t.parts[2].start = 0x4D00000; /* EBR2 after L6 */
	assert_int_equal(mtk_mbr_build(ctx, &t, false, &img), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "cannot be described by a table at LBA"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

static void test_mbr_without_ebr(void **state)
{
	(void)state;
	struct mtk_ptable t, r;
	struct mtk_mbr_image img;
	mtk_ctx *ctx = mtk_ctx_new();
	mtk_ptable_init(&t, MTK_PTABLE_MBR);
	assert_int_equal(mtk_mbr_build(ctx, &t, false, &img), MTK_E_INVAL);
	assert_non_null(strstr(mtk_ctx_error(ctx), "no MBR partition"));
	mtk_ptable_add_simple(NULL, &t, "MBR", 0, 0x80000);
	for (int i = 0; i < 4; i++)
		add_linux(&t, "x", 0x100000 + (uint64_t)i * 0x100000, 0x100000);
	assert_int_equal(mtk_mbr_build(ctx, &t, true, &img), 0);
	assert_int_equal(img.count, 1);
	assert_int_equal(mtk_get_u32le(img.sector[0] + 0x1EE + 12), 0xFFFFFFFFu - 0x400000 / 512);
	struct sparse_disk d = {&img, 0x1000000 / 512};
	assert_int_equal(mtk_mbr_read(ctx, sparse_read, &d, d.sectors, &r), 0);
	assert_int_equal(r.count, 4);
	assert_string_equal(r.parts[0].name, "p1");
	assert_int_equal(r.parts[3].size, 0x1000000 - 0x400000);
	mtk_ptable_free(&r);
	add_linux(&t, "y", 0x500000, 0x100000);
	assert_int_equal(mtk_mbr_build(ctx, &t, false, &img), MTK_E_RANGE);
	t.count--;
	mtk_ptable_add_simple(NULL, &t, "EBR2", 0x800000, 512);
	assert_int_equal(mtk_mbr_build(ctx, &t, false, &img), MTK_E_INVAL);
	assert_non_null(strstr(mtk_ctx_error(ctx), "EBR2 present but EBR1 missing"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

static void put(uint8_t *sec, int slot, uint8_t type, uint32_t start, uint32_t size)
{
	uint8_t *e = sec + 0x1BE + 16 * slot;
	e[4] = type;
	mtk_put_u32le(e + 8, start);
	mtk_put_u32le(e + 12, size);
	sec[510] = 0x55;
	sec[511] = 0xAA;
}

static void test_mbr_hostile(void **state)
{
	(void)state;
	struct mtk_ptable r;
	mtk_ctx *ctx = mtk_ctx_new();
	uint8_t *disk = calloc(64, 512);
	/* no signature */
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(
	        strstr(mtk_ctx_error(ctx), "MBR at LBA 0: no 55 AA signature at byte 0x1FE (got 00 00)"));
	/* a GPT's protective MBR */
	put(disk, 0, 0xEE, 1, 63);
	assert_true(mtk_mbr_is_protective(disk, 512));
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "GPT protective entry"));
	/* an EBR linking to itself */
	put(disk, 0, 0x05, 8, 0xFFFFFFFF);
	put(disk + 8 * 512, 0, 0x83, 1, 1);
	put(disk + 8 * 512, 3, 0x05, 0 + 1, 0xFFFFFFFF); /* link to EBR1 + 1 = LBA 9 */
	put(disk + 9 * 512, 3, 0x05, 1, 0xFFFFFFFF);     /* ... which links to itself */
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "more than 8 tables in the EBR chain (a loop?)"));
	assert_int_equal(r.count, 0);
	/* a link pointing back at EBR1 */
	memset(disk + 8 * 512, 0, 2 * 512);
	put(disk + 8 * 512, 3, 0x05, 0, 0xFFFFFFFF);
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "EBR1 at LBA 8: link entry 3 points back at EBR1"));
	/* the chain leaves the buffer */
	memset(disk + 8 * 512, 0, 512);
	put(disk, 0, 0x05, 1000, 0xFFFFFFFF);
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 0, &r), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "reading the EBR1 at LBA 1000"));
	/* entries past the end of the area */
	memset(disk, 0, 512);
	put(disk, 1, 0x83, 100, 10);
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx),
	                       "MBR at LBA 0, entry 1: partition starts at LBA 100, past the end"));
	put(disk, 1, 0x83, 10, 60);
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "run past the end of the area (64 sectors)"));
	put(disk, 1, 0x83, 10, 0);
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "entry 1 (byte 0x1ce): size 0"));
	put(disk, 1, 0x05, 10, 10);
	put(disk, 2, 0x0F, 20, 10);
	assert_int_equal(mtk_mbr_parse(ctx, disk, 64 * 512, 64, &r), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "second extended entry at entry 2"));
	/* short buffer */
	assert_int_equal(mtk_mbr_parse(ctx, disk, 511, 64, &r), MTK_E_RANGE);
	assert_int_equal(mtk_mbr_parse(ctx, NULL, 0, 64, &r), MTK_E_RANGE);
	free(disk);
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pmt_round_trip_11),
	        cmocka_unit_test(test_pmt_round_trip_10_and_nand),
	        cmocka_unit_test(test_pmt_mirror_fallback),
	        cmocka_unit_test(test_pmt_hostile),
	        cmocka_unit_test(test_pmt_da_payload),
	        cmocka_unit_test(test_mbr_wiko_layout),
	        cmocka_unit_test(test_mbr_chain_round_trip),
	        cmocka_unit_test(test_mbr_without_ebr),
	        cmocka_unit_test(test_mbr_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
