/* SPDX-License-Identifier: MIT */
/* storage/pmt.c and storage/mbr.c against real and hand-made tables
 * (tests/fixtures/partition-tables, tests/fixtures/pmt), and hostile inputs. */
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
#include "testutil.h"

#define MIB (1024ull * 1024ull)

/* The Wiko s4050ap (MT6572) scatter, copied by hand: linear addresses. */
static const struct {
	const char *name;
	uint64_t linear, size;
} wiko[] = {
        {"PRELOADER", 0x0, 0xC00000},        {"MBR", 0xC00000, 0x80000},         {"EBR1", 0xC80000, 0x80000},
        {"PRO_INFO", 0xD00000, 0x300000},    {"NVRAM", 0x1000000, 0x500000},     {"PROTECT_F", 0x1500000, 0xA00000},
        {"PROTECT_S", 0x1F00000, 0xA00000},  {"SECCFG", 0x2900000, 0x20000},     {"UBOOT", 0x2920000, 0x60000},
        {"BOOTIMG", 0x2980000, 0x1200000},   {"RECOVERY", 0x3B80000, 0x1200000}, {"SEC_RO", 0x4D80000, 0x40000},
        {"MISC", 0x4DC0000, 0x80000},        {"LOGO", 0x4E40000, 0x300000},      {"EXPDB", 0x5140000, 0xA00000},
        {"ANDROID", 0x5B40000, 0x3E800000},  {"CACHE", 0x44340000, 0xE200000},   {"USRDATA", 0x52540000, 0x96000000},
};
#define WIKO_COUNT     (sizeof wiko / sizeof wiko[0])
#define WIKO_MBR       0xC00000ull
#define WIKO_USER_SIZE 0xE9000000ull /* a 4 GB part: USRDATA ends at user 0xE7940000 */

static uint8_t *load(const char *sub, const char *name, size_t *len)
{
	char path[600];
	test_fixture_path(path, sizeof path, sub, name);
	uint8_t *b = test_load(path, len);
	if (!b)
		fail_msg("cannot read fixture %s", path);
	return b;
}

/* Every Wiko partition where the scatter puts it: linear - MBR start in the
 * user area, PRELOADER at 0 in boot1. */
static void assert_wiko_layout(const struct mtk_ptable *t)
{
	assert_int_equal(t->count, WIKO_COUNT);
	for (size_t i = 0; i < WIKO_COUNT; i++) {
		const struct mtk_part *p = mtk_part_find(t, wiko[i].name);
		if (!p)
			fail_msg("%s missing", wiko[i].name);
		bool boot = wiko[i].linear < WIKO_MBR;
		assert_int_equal(p->region, boot ? MTK_REGION_BOOT1 : MTK_REGION_USER);
		assert_int_equal(p->start, boot ? wiko[i].linear : wiko[i].linear - WIKO_MBR);
		assert_int_equal(p->size, wiko[i].size);
	}
}

/* ------------------------------------------------------------------- PMT */

static void test_pmt_da_wiko(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = load("pmt", "wiko_s4050ap.da.bin", &len);
	struct mtk_ptable t;
	mtk_ctx *ctx = mtk_ctx_new();
	if (mtk_pmt_parse_da(ctx, buf, len, &t) != 0)
		fail_msg("%s", mtk_ctx_error(ctx));
	assert_int_equal(t.kind, MTK_PTABLE_PMT);
	assert_wiko_layout(&t);
	/* BOOTIMG: 0x2980000 linear is 0x1D80000 into the user area, not 0x2980000 */
	assert_int_equal(mtk_part_find(&t, "BOOTIMG")->start, 0x1D80000);
	assert_int_equal(mtk_part_find(&t, "BOOTIMG")->part_id, 0xFF);
	t.disk_size = WIKO_USER_SIZE;
	assert_int_equal(mtk_ptable_check(ctx, &t), 0);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	free(buf);
}

static void test_pmt_da_mt6582(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = load("pmt", "mt6582_wish.da.bin", &len);
	struct mtk_ptable t;
	assert_int_equal(mtk_pmt_parse_da(NULL, buf, len, &t), 0);
	assert_int_equal(t.count, 18);
	assert_int_equal(mtk_part_find(&t, "PRELOADER")->region, MTK_REGION_BOOT1);
	assert_int_equal(mtk_part_find(&t, "MBR")->start, 0);
	assert_int_equal(mtk_part_find(&t, "BOOTIMG")->start, 0x3180000 - 0x1400000);
	assert_int_equal(mtk_part_find(&t, "USRDATA")->start, 0x6E700000 - 0x1400000);
	mtk_ptable_free(&t);
	free(buf);
}

static void test_pmt_stored_copy(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = load("pmt", "wiko_s4050ap.pmt.bin", &len);
	assert_int_equal(len, 8192);
	struct mtk_ptable t;
	mtk_ctx *ctx = mtk_ctx_new();
	if (mtk_pmt_parse_pair(ctx, buf, len, MTK_PMT_NONE, &t) != 0)
		fail_msg("%s", mtk_ctx_error(ctx));
	assert_false(t.used_backup);
	assert_int_equal(t.pmt_variant, MTK_PMT_EMMC_11);
	assert_wiko_layout(&t);
	mtk_ptable_free(&t);
	/* a torn main copy: the mirror stands in */
	buf[4095] ^= 0xFF;
	assert_int_equal(mtk_pmt_parse_pair(ctx, buf, len, MTK_PMT_NONE, &t), 0);
	assert_true(t.used_backup);
	assert_non_null(strstr(t.warning, "torn"));
	assert_wiko_layout(&t);
	mtk_ptable_free(&t);
	/* one copy alone */
	assert_int_equal(mtk_pmt_parse(ctx, buf + 4096, 4096, MTK_PMT_EMMC_11, &t), 0);
	assert_wiko_layout(&t);
	mtk_ptable_free(&t);
	assert_int_equal(mtk_pmt_parse(ctx, buf, 4096, MTK_PMT_NONE, &t), MTK_E_PARSE);
	assert_int_equal(mtk_pmt_parse(ctx, buf + 4096, 4095, MTK_PMT_NONE, &t), MTK_E_PARSE);
	mtk_ctx_free(ctx);
	free(buf);
}

static void expect_refusal(const char *file, const char *needle1, const char *needle2)
{
	size_t len;
	uint8_t *buf = load("pmt", file, &len);
	struct mtk_ptable t;
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_pmt_parse_da(ctx, buf, len, &t), MTK_E_PARSE);
	assert_int_equal(t.count, 0);
	const char *msg = mtk_ctx_error(ctx);
	if (!strstr(msg, needle1) || (needle2 && !strstr(msg, needle2)))
		fail_msg("%s: message '%s' does not name '%s'", file, msg, needle1);
	mtk_ctx_free(ctx);
	free(buf);
}

static void test_pmt_refusals(void **state)
{
	(void)state;
	expect_refusal("bad_no_mbr.da.bin", "no MBR record", NULL);
	expect_refusal("bad_no_marker.da.bin", "PRELOADER", "0xFF marker");
	expect_refusal("bad_overlap.da.bin", "UBOOT", "BOOTIMG");
	expect_refusal("bad_into_user.da.bin", "PRELOADER", "MBR record");
	/* past the storage: once the user area's size is known */
	size_t len;
	uint8_t *buf = load("pmt", "bad_past_end.da.bin", &len);
	struct mtk_ptable t;
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_pmt_parse_da(ctx, buf, len, &t), 0);
	t.disk_size = WIKO_USER_SIZE;
	assert_int_equal(mtk_ptable_check(ctx, &t), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "USRDATA"));
	mtk_ptable_free(&t);
	/* a partial record, and an empty payload (no PMT) */
	assert_int_equal(mtk_pmt_parse_da(ctx, buf, len - 1, &t), MTK_E_PARSE);
	assert_int_equal(mtk_pmt_parse_da(ctx, buf, 0, &t), 0);
	assert_int_equal(t.count, 0);
	mtk_ctx_free(ctx);
	free(buf);
}

static void test_pmt_offset(void **state)
{
	(void)state;
	uint64_t off;
	assert_int_equal(mtk_pmt_offset(NULL, WIKO_USER_SIZE, &off), 0);
	assert_int_equal(off, WIKO_USER_SIZE - MIB);
	assert_int_equal(mtk_pmt_offset(NULL, MIB, &off), MTK_E_RANGE);
}

/* -------------------------------------------- the real Wiko MBR and EBR1 */

/* The Wiko user area: only MBR (LBA 0) and EBR1 (0x80000) hold data. */
struct wiko_disk {
	uint8_t *mbr, *ebr1;
};

static int wiko_read(void *user, uint64_t lba, uint32_t count, uint8_t *buf)
{
	const struct wiko_disk *d = user;
	if (lba + count > WIKO_USER_SIZE / 512)
		return MTK_E_IO;
	memset(buf, 0, (size_t)count * 512);
	for (uint32_t i = 0; i < count; i++) {
		if (lba + i == 0)
			memcpy(buf + i * 512, d->mbr, 512);
		if (lba + i == 0x80000 / 512)
			memcpy(buf + i * 512, d->ebr1, 512);
	}
	return 0;
}

static void load_wiko_disk(struct wiko_disk *d)
{
	size_t a, b;
	d->mbr = load("partition-tables", "MT6572_wiko_s4050ap/MBR", &a);
	d->ebr1 = load("partition-tables", "MT6572_wiko_s4050ap/EBR1", &b);
	assert_int_equal(a, 512);
	assert_int_equal(b, 512);
}

static const char *const wiko_linux[] = {"PROTECT_F", "PROTECT_S", "ANDROID", "CACHE", "USRDATA"};

static uint64_t wiko_linear(const char *name)
{
	for (size_t i = 0; i < WIKO_COUNT; i++)
		if (!strcmp(wiko[i].name, name))
			return wiko[i].linear;
	fail_msg("no %s", name);
	return 0;
}

static void test_mbr_wiko_fixture(void **state)
{
	(void)state;
	struct wiko_disk d;
	load_wiko_disk(&d);
	struct mtk_ptable r;
	mtk_ctx *ctx = mtk_ctx_new();
	if (mtk_mbr_read(ctx, wiko_read, &d, WIKO_USER_SIZE / 512, &r) != 0)
		fail_msg("%s", mtk_ctx_error(ctx));
	assert_int_equal(r.count, 5);
	for (size_t i = 0; i < 5; i++) {
		const struct mtk_part *p = &r.parts[i];
		assert_int_equal(p->mbr_type, 0x83);
		assert_int_equal(p->start, wiko_linear(wiko_linux[i]) - WIKO_MBR);
	}
	assert_int_equal(r.parts[0].size, 0xA00000);
	assert_int_equal(r.parts[2].size, 0x3E800000);
	assert_int_equal(r.parts[3].size, 0xE200000);
	/* USRDATA runs "to the end" (0xFFFFFFFF - start), clipped to the area */
	assert_int_equal(r.parts[4].size, WIKO_USER_SIZE - (0x52540000 - WIKO_MBR));
	mtk_ptable_free(&r);
	mtk_ctx_free(ctx);
	free(d.mbr);
	free(d.ebr1);
}

static void merged_wiko(const char *pmt_file, int want, struct mtk_ptable *out, mtk_ctx *ctx)
{
	struct wiko_disk d;
	load_wiko_disk(&d);
	size_t len;
	uint8_t *buf = load("pmt", pmt_file, &len);
	struct mtk_ptable mbr, pmt;
	assert_int_equal(mtk_mbr_read(ctx, wiko_read, &d, WIKO_USER_SIZE / 512, &mbr), 0);
	assert_int_equal(mtk_pmt_parse_da(ctx, buf, len, &pmt), 0);
	assert_int_equal(mtk_pmt_merge_mbr(ctx, &mbr, &pmt, out), want);
	mtk_ptable_free(&mbr);
	mtk_ptable_free(&pmt);
	free(buf);
	free(d.mbr);
	free(d.ebr1);
}

static void test_merge_wiko(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_ptable t;
	merged_wiko("wiko_s4050ap.da.bin", 0, &t, ctx);
	assert_int_equal(t.kind, MTK_PTABLE_MBR);
	assert_int_equal(t.count, WIKO_COUNT);
	for (size_t i = 0; i < 5; i++) { /* the chain's partitions carry the PMT's names */
		const struct mtk_part *p = mtk_part_find(&t, wiko_linux[i]);
		assert_non_null(p);
		assert_int_equal(p->mbr_type, 0x83);
		assert_int_equal(p->start, wiko_linear(wiko_linux[i]) - WIKO_MBR);
	}
	assert_null(mtk_part_find(&t, "p5"));
	/* USRDATA takes the chain's extent: to the end of the area */
	assert_int_equal(mtk_part_find(&t, "USRDATA")->size, WIKO_USER_SIZE - (0x52540000 - WIKO_MBR));
	const struct mtk_part *b = mtk_part_find(&t, "BOOTIMG");
	assert_int_equal(b->region, MTK_REGION_USER);
	assert_int_equal(b->start, 0x2980000 - WIKO_MBR);
	assert_int_equal(b->mbr_type, 0);
	assert_int_equal(mtk_part_find(&t, "PRELOADER")->region, MTK_REGION_BOOT1);
	mtk_ptable_free(&t);
	/* a PMT that moves CACHE disagrees with the real EBR1: refused, saying where */
	merged_wiko("bad_mbr_disagree.da.bin", MTK_E_PARSE, &t, ctx);
	const char *msg = mtk_ctx_error(ctx);
	if (!strstr(msg, "CACHE") || !strstr(msg, "disagree") || !strstr(msg, "0x43740000"))
		fail_msg("unclear: %s", msg);
	assert_int_equal(t.count, 0);
	mtk_ctx_free(ctx);
}

/* The client's MBR writer reproduces the real tables from the same layout. */
static void test_mbr_build_matches_wiko(void **state)
{
	(void)state;
	struct wiko_disk d;
	load_wiko_disk(&d);
	struct mtk_ptable t;
	struct mtk_mbr_image img;
	mtk_ptable_init(&t, MTK_PTABLE_MBR);
	for (size_t i = 1; i < WIKO_COUNT; i++) {
		assert_int_equal(mtk_ptable_add_simple(NULL, &t, wiko[i].name, wiko[i].linear - WIKO_MBR, wiko[i].size), 0);
		for (size_t k = 0; k < 5; k++)
			if (!strcmp(wiko[i].name, wiko_linux[k]))
				t.parts[t.count - 1].mbr_type = 0x83;
	}
	assert_int_equal(mtk_mbr_build(NULL, &t, true, &img), 0);
	assert_int_equal(img.count, 2);
	assert_memory_equal(img.sector[0], d.mbr, 512);
	assert_int_equal(img.offset[1], 0x80000);
	assert_memory_equal(img.sector[1], d.ebr1, 512);
	mtk_ptable_free(&t);
	free(d.mbr);
	free(d.ebr1);
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
	        cmocka_unit_test(test_pmt_da_wiko),
	        cmocka_unit_test(test_pmt_da_mt6582),
	        cmocka_unit_test(test_pmt_stored_copy),
	        cmocka_unit_test(test_pmt_refusals),
	        cmocka_unit_test(test_pmt_offset),
	        cmocka_unit_test(test_mbr_wiko_fixture),
	        cmocka_unit_test(test_merge_wiko),
	        cmocka_unit_test(test_mbr_build_matches_wiko),
	        cmocka_unit_test(test_mbr_chain_round_trip),
	        cmocka_unit_test(test_mbr_without_ebr),
	        cmocka_unit_test(test_mbr_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
