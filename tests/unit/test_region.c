/* SPDX-License-Identifier: MIT */
/* storage/region.c, ptable.c names and extcsd.c: the eMMC area model, the
 * MT6572-era linear address space, partition-name aliases, EXT_CSD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ctx.h"
#include "mtkflash/storage.h"
#include "testutil.h"

#define MIB (1024ull * 1024ull)

static void test_region_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum mtk_region r;
		int rc;
	} cases[] = {
	        {"boot1", MTK_REGION_BOOT1, 0},       {"EMMC_BOOT_1", MTK_REGION_BOOT1, 0},
	        {"emmc_boot1", MTK_REGION_BOOT1, 0},  {"EMMC_BOOT2", MTK_REGION_BOOT2, 0},
	        {"EMMC_RPMB", MTK_REGION_RPMB, 0},    {"EMMC_USER", MTK_REGION_USER, 0},
	        {"UFS_LU2", MTK_REGION_USER, 0},      {"EMMC_BOOT1_BOOT2", MTK_REGION_BOOT1, 1},
	        {"UFS_LU0_LU1", MTK_REGION_BOOT1, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum mtk_region r = MTK_REGION_COUNT;
		assert_int_equal(mtk_region_from_name(cases[i].name, &r), cases[i].rc);
		assert_int_equal(r, cases[i].r);
	}
	enum mtk_region r;
	assert_int_equal(mtk_region_from_name("EMMC_GP1", &r), MTK_E_NOTFOUND);
	assert_int_equal(mtk_region_from_name(NULL, &r), MTK_E_NOTFOUND);
	assert_string_equal(mtk_region_name(MTK_REGION_RPMB), "rpmb");
	assert_string_equal(mtk_region_name(MTK_REGION_COUNT), "?");
	/* DA ids of formats.md §6.1 */
	assert_int_equal(mtk_region_da_id(MTK_REGION_BOOT1), 1);
	assert_int_equal(mtk_region_da_id(MTK_REGION_RPMB), 3);
	assert_int_equal(mtk_region_da_id(MTK_REGION_USER), 8);
	assert_int_equal(mtk_region_from_da_id(8, &r), 0);
	assert_int_equal(r, MTK_REGION_USER);
	assert_int_equal(mtk_region_from_da_id(10, &r), 0);
	assert_int_equal(r, MTK_REGION_BOOT1);
	assert_int_equal(mtk_region_from_da_id(4, &r), MTK_E_NOTFOUND);
	assert_int_equal(mtk_region_from_da_id(0xFF, &r), MTK_E_NOTFOUND);
}

/* A device of the MT6572 era: 4 MiB boot areas, 4 MiB RPMB, 3.6 GiB user. */
static void mt6572_device(struct mtk_regions *rg)
{
	rg->size[MTK_REGION_BOOT1] = 4 * MIB;
	rg->size[MTK_REGION_BOOT2] = 4 * MIB;
	rg->size[MTK_REGION_RPMB] = 4 * MIB;
	rg->size[MTK_REGION_USER] = 0xE9000000ull;
}

static void test_old_space_known_values(void **state)
{
	(void)state;
	struct mtk_regions rg;
	struct mtk_old_space s;
	enum mtk_region reg;
	uint64_t off, avail, lin;
	mtk_ctx *ctx = mtk_ctx_new();
	mt6572_device(&rg);
	mtk_old_space_init(&s, &rg);
	assert_int_equal(s.user_base, 12 * MIB); /* the Wiko scatter's MBR address 0xC00000 */
	/* PRELOADER 0x0 -> boot1 */
	assert_int_equal(mtk_old_to_region(ctx, &s, 0, &reg, &off, &avail), 0);
	assert_int_equal(reg, MTK_REGION_BOOT1);
	assert_int_equal(off, 0);
	assert_int_equal(avail, 4 * MIB);
	assert_int_equal(mtk_old_to_region(ctx, &s, 0x500000, &reg, &off, NULL), 0);
	assert_int_equal(reg, MTK_REGION_BOOT2);
	assert_int_equal(off, 0x100000);
	assert_int_equal(mtk_old_to_region(ctx, &s, 0xBFFFFF, &reg, &off, &avail), 0);
	assert_int_equal(reg, MTK_REGION_RPMB);
	assert_int_equal(avail, 1);
	/* Wiko: MBR 0xc00000 -> user 0, ANDROID 0x5B40000 -> 0x4F40000 */
	assert_int_equal(mtk_old_to_region(ctx, &s, 0xc00000, &reg, &off, NULL), 0);
	assert_int_equal(reg, MTK_REGION_USER);
	assert_int_equal(off, 0);
	assert_int_equal(mtk_old_to_region(ctx, &s, 0x5B40000, &reg, &off, &avail), 0);
	assert_int_equal(off, 0x4F40000);
	assert_int_equal(avail, 0xE9000000ull - 0x4F40000);
	assert_int_equal(mtk_region_to_old(ctx, &s, MTK_REGION_USER, 0x4F40000, &lin), 0);
	assert_int_equal(lin, 0x5B40000);
	assert_int_equal(mtk_region_to_old(ctx, &s, MTK_REGION_BOOT2, 0x10, &lin), 0);
	assert_int_equal(lin, 4 * MIB + 0x10);
	/* past the user area, and offsets outside an area */
	assert_int_equal(mtk_old_to_region(ctx, &s, 12 * MIB + 0xE9000000ull, &reg, &off, NULL), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "past the end of the user area"));
	assert_int_equal(mtk_region_to_old(ctx, &s, MTK_REGION_BOOT1, 4 * MIB, &lin), MTK_E_RANGE);
	assert_non_null(
	        strstr(mtk_ctx_error(ctx), "offset 0x400000 is outside the boot1 area (0x400000 bytes)"));
	/* ptgen reserved 20 MiB for a board whose parts have 12: the gap addresses nothing */
	s.user_base = 20 * MIB;
	assert_int_equal(mtk_old_to_region(ctx, &s, 16 * MIB, &reg, &off, NULL), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx),
	                       "lies between the end of the boot areas (0xc00000) and the user "
	                       "area (0x1400000)"));
	/* region checks */
	assert_int_equal(mtk_region_check(ctx, &rg, MTK_REGION_BOOT1, 4 * MIB - 512, 512), 0);
	assert_int_equal(mtk_region_check(ctx, &rg, MTK_REGION_BOOT1, 4 * MIB - 512, 513), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "do not fit the boot1 area"));
	assert_int_equal(mtk_region_check(ctx, &rg, MTK_REGION_USER, UINT64_MAX, 2), MTK_E_RANGE);
	mtk_ctx_free(ctx);
}

/* Minimal reader for the fixture's V1.1.1 records: name, linear, physical, region, reserved. */
struct rec {
	char name[128], region[128];
	uint64_t linear, physical;
	int reserved;
};

static size_t read_fixture(const char *file, struct rec *recs, size_t max)
{
	char path[4200], line[512];
	test_fixture_path(path, sizeof path, "scatter", file);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		char key[64], val[128];
		if (sscanf(line, " %63[a-z_]: %127s", key, val) != 2)
			continue;
		if (!strcmp(key, "partition_name") && n < max)
			snprintf(recs[n++].name, sizeof recs->name, "%s", val);
		else if (n && !strcmp(key, "linear_start_addr"))
			recs[n - 1].linear = strtoull(val, NULL, 16);
		else if (n && !strcmp(key, "physical_start_addr"))
			recs[n - 1].physical = strtoull(val, NULL, 16);
		else if (n && !strcmp(key, "region"))
			snprintf(recs[n - 1].region, sizeof recs->region, "%s", val);
		else if (n && !strcmp(key, "is_reserved"))
			recs[n - 1].reserved = !strcmp(val, "true");
	}
	fclose(f);
	return n;
}

/* The readback-made MT6572/MT6582 scatters carry the user offset in
 * physical_start_addr: our mapping must reproduce it for every user
 * partition, with user_base = the MBR's linear address (formats.md §1.7). */
static void check_fixture(const char *file, uint64_t want_base, size_t want_records)
{
	struct rec recs[64];
	memset(recs, 0, sizeof recs);
	size_t n = read_fixture(file, recs, 64);
	if (n == 0) {
		print_message("fixture %s not found (MTK_FIXTURES unset?)\n", file);
		skip();
	}
	assert_int_equal(n, want_records);
	struct mtk_regions rg;
	struct mtk_old_space s;
	mt6572_device(&rg);
	mtk_old_space_init(&s, &rg);
	const struct mtk_part *mbr = NULL;
	struct mtk_ptable t;
	mtk_ptable_init(&t, MTK_PTABLE_PMT);
	for (size_t i = 0; i < n; i++)
		mtk_ptable_add_simple(NULL, &t, recs[i].name, recs[i].linear, 0);
	mbr = mtk_part_find(&t, "mbr");
	assert_non_null(mbr);
	s.user_base = mbr->start;
	assert_int_equal(s.user_base, want_base);
	size_t checked = 0;
	for (size_t i = 0; i < n; i++) {
		enum mtk_region reg, want_reg;
		uint64_t off, lin;
		int both = mtk_region_from_name(recs[i].region, &want_reg);
		assert_true(both >= 0);
		if (recs[i].reserved)
			continue; /* 0xFFFF.... tail addresses count from the end */
		assert_int_equal(mtk_old_to_region(NULL, &s, recs[i].linear, &reg, &off, NULL), 0);
		assert_int_equal(reg, want_reg);
		if (reg == MTK_REGION_USER) {
			if (off != recs[i].physical)
				fail_msg("%s: linear 0x%llx -> user 0x%llx, scatter says 0x%llx",
				         recs[i].name, (unsigned long long)recs[i].linear,
				         (unsigned long long)off, (unsigned long long)recs[i].physical);
			checked++;
		}
		assert_int_equal(mtk_region_to_old(NULL, &s, reg, off, &lin), 0);
		assert_int_equal(lin, recs[i].linear);
	}
	assert_int_equal(checked, want_records - 2); /* all but PRELOADER and BMTPOOL */
	mtk_ptable_free(&t);
}

static void test_old_space_mt6572_fixture(void **state)
{
	(void)state;
	check_fixture("MT6572__peterpt_Mobiwire_S10__MT6572_Android_scatter.txt", 0x1400000, 19);
}

static void test_old_space_mt6582_fixture(void **state)
{
	(void)state;
	check_fixture("MT6582__sindastra_android_device_acer_acer_e39__MT6582_Android_scatter.txt", 0xc00000,
	              19);
}

static void test_aliases(void **state)
{
	(void)state;
	struct mtk_ptable t;
	mtk_ctx *ctx = mtk_ctx_new();
	mtk_ptable_init(&t, MTK_PTABLE_PMT);
	const char *names[] = {"PRELOADER", "NVRAM", "UBOOT",   "BOOTIMG",  "RECOVERY",  "SEC_RO",
	                       "ANDROID",   "CACHE", "USRDATA", "PRO_INFO", "PROTECT_F", "PROTECT_S"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		mtk_ptable_add_simple(NULL, &t, names[i], i * MIB, MIB);
	static const struct {
		const char *ask, *found;
	} cases[] = {
	        {"system", "ANDROID"},    {"userdata", "USRDATA"},    {"boot", "BOOTIMG"},
	        {"lk", "UBOOT"},          {"cache", "CACHE"},         {"secro", "SEC_RO"},
	        {"recovery", "RECOVERY"}, {"preloader", "PRELOADER"}, {"nvram", "NVRAM"},
	        {"proinfo", "PRO_INFO"},  {"protect1", "PROTECT_F"},  {"protect2", "PROTECT_S"},
	        {"android", "ANDROID"},   {"SYSTEM", "ANDROID"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct mtk_part *p = mtk_part_find(&t, cases[i].ask);
		if (!p || strcmp(p->name, cases[i].found))
			fail_msg("'%s' found %s, expected %s", cases[i].ask, p ? p->name : "nothing",
			         cases[i].found);
	}
	assert_null(mtk_part_find(&t, "vendor"));
	assert_true(mtk_part_name_eq("USRDATA", "userdata"));
	assert_true(mtk_part_name_eq("sec_ro", "SECRO"));
	assert_false(mtk_part_name_eq("system", "vendor"));
	assert_string_equal(mtk_part_alias("Android"), "system");
	assert_null(mtk_part_alias("CACHE"));

	/* a GPT-era table answers the old names too, and an exact name wins over an alias */
	struct mtk_ptable g;
	mtk_ptable_init(&g, MTK_PTABLE_GPT);
	mtk_ptable_add_simple(NULL, &g, "system", 0, MIB);
	mtk_ptable_add_simple(NULL, &g, "android", MIB, MIB);
	assert_int_equal(mtk_part_find(&g, "ANDROID")->start, MIB);
	assert_int_equal(mtk_part_find(&g, "SYSTEM")->start, 0);
	assert_null(mtk_part_find(&g, "USRDATA"));

	const struct mtk_part *p = NULL;
	assert_int_equal(mtk_part_lookup(ctx, &t, "boot", &p), 0);
	assert_string_equal(p->name, "BOOTIMG");
	assert_int_equal(mtk_part_lookup(ctx, &g, "vendor", &p), MTK_E_NOTFOUND);
	assert_null(p);
	assert_string_equal(mtk_ctx_error(ctx), "no partition 'vendor' (the table has: system, android)");
	char small[24];
	size_t want = mtk_part_list_names(&t, small, sizeof small);
	assert_string_equal(small, "PRELOADER, NVRAM, ...");
	assert_true(want > sizeof small);
	char big[256];
	assert_int_equal(mtk_part_list_names(&g, big, sizeof big), strlen("system, android"));
	mtk_ptable_free(&g);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

static void test_ptable_check(void **state)
{
	(void)state;
	struct mtk_ptable t;
	mtk_ctx *ctx = mtk_ctx_new();
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	mtk_ptable_add_simple(NULL, &t, "b", 2 * MIB, MIB);
	mtk_ptable_add_simple(NULL, &t, "a", 0, MIB);
	struct mtk_part pl = {.name = "preloader", .start = 0, .size = MIB, .region = MTK_REGION_BOOT1};
	mtk_ptable_add(NULL, &t, &pl);
	t.disk_size = 3 * MIB;
	assert_int_equal(mtk_ptable_check(ctx, &t), 0);
	assert_string_equal(t.parts[0].name, "preloader"); /* sorted by area, then start */
	assert_string_equal(t.parts[1].name, "a");
	mtk_ptable_add_simple(NULL, &t, "c", 2 * MIB + 512, 512);
	assert_int_equal(mtk_ptable_check(ctx, &t), MTK_E_RANGE);
	assert_string_equal(mtk_ctx_error(ctx),
	                    "partitions b (0x200000..0x300000) and c (starts 0x200200) overlap");
	t.parts[3].start = 3 * MIB;
	assert_int_equal(mtk_ptable_check(ctx, &t), MTK_E_RANGE);
	assert_non_null(
	        strstr(mtk_ctx_error(ctx), "partition c ends at 0x300200, past the end of the user area"));
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
}

static void test_extcsd(void **state)
{
	(void)state;
	uint8_t reg[512];
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_extcsd in = {0}, out;
	in.boot_size = 4 * MIB;
	in.rpmb_size = 4 * MIB;
	in.user_size = 0xE9000000ull;
	in.partition_config = mtk_partcfg_make(1, MTK_BOOT_EN_BOOT1, MTK_ACCESS_USER);
	in.boot_bus_conditions = 0x02;
	assert_int_equal(in.partition_config, 0x48); /* "Boot 1 with ACK enabled" (formats.md §6.2) */
	assert_int_equal(mtk_extcsd_encode(ctx, &in, reg, sizeof reg), 0);
	assert_int_equal(reg[226], 32);
	assert_int_equal(reg[168], 32);
	assert_int_equal(reg[179], 0x48);
	assert_int_equal(reg[177], 0x02);
	assert_int_equal(reg[192], 8);
	assert_int_equal(reg[212] | reg[213] << 8 | reg[214] << 16 | (uint32_t)reg[215] << 24,
	                 0xE9000000u / 512);
	assert_int_equal(mtk_extcsd_decode(ctx, reg, sizeof reg, &out), 0);
	assert_int_equal(out.boot_size, 4 * MIB);
	assert_int_equal(out.rpmb_size, 4 * MIB);
	assert_int_equal(out.user_size, 0xE9000000ull);
	assert_int_equal(mtk_partcfg_enable(out.partition_config), MTK_BOOT_EN_BOOT1);
	assert_int_equal(mtk_partcfg_access(out.partition_config), MTK_ACCESS_USER);
	struct mtk_regions rg;
	mtk_extcsd_regions(&out, &rg);
	assert_int_equal(rg.size[MTK_REGION_BOOT2], 4 * MIB);
	assert_int_equal(rg.size[MTK_REGION_USER], 0xE9000000ull);
	/* GP areas: 24-bit multiples of HC_WP_GRP_SIZE x HC_ERASE_GRP_SIZE x 512 KiB */
	in.gp_size[1] = 3 * MIB;
	in.hc_erase_grp_size = 2;
	in.hc_wp_grp_size = 0;
	assert_int_equal(mtk_extcsd_encode(ctx, &in, reg, sizeof reg), 0);
	assert_int_equal(reg[146], 3);
	assert_int_equal(reg[221], 1);
	assert_int_equal(mtk_extcsd_decode(ctx, reg, sizeof reg, &out), 0);
	assert_int_equal(out.gp_size[1], 3 * MIB);
	assert_int_equal(out.gp_size[0], 0);
	/* access values and areas */
	enum mtk_region r;
	assert_int_equal(mtk_partcfg_access_region(MTK_ACCESS_RPMB, &r), 0);
	assert_int_equal(r, MTK_REGION_RPMB);
	assert_int_equal(mtk_partcfg_access_region(4, &r), MTK_E_UNSUPPORTED);
	assert_int_equal(mtk_region_access(MTK_REGION_BOOT2), MTK_ACCESS_BOOT2);
	/* sizes that cannot be encoded */
	in.gp_size[1] = 0;
	in.boot_size = 4 * MIB + 512;
	assert_int_equal(mtk_extcsd_encode(ctx, &in, reg, sizeof reg), MTK_E_RANGE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "boot area size 0x400200 is not a multiple of 0x20000"));
	in.boot_size = 256 * 128 * 1024;
	assert_int_equal(mtk_extcsd_encode(ctx, &in, reg, sizeof reg), MTK_E_RANGE);
	in.boot_size = 4 * MIB;
	in.user_size = 0x20000000000ull; /* 2 TiB: SEC_COUNT overflows */
	assert_int_equal(mtk_extcsd_encode(ctx, &in, reg, sizeof reg), MTK_E_RANGE);
	assert_int_equal(mtk_extcsd_encode(ctx, &in, reg, 511), MTK_E_INVAL);
	assert_int_equal(mtk_extcsd_decode(ctx, reg, 100, &out), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "EXT_CSD: 100 bytes, the register is 512"));
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_region_names),
	        cmocka_unit_test(test_old_space_known_values),
	        cmocka_unit_test(test_old_space_mt6572_fixture),
	        cmocka_unit_test(test_old_space_mt6582_fixture),
	        cmocka_unit_test(test_aliases),
	        cmocka_unit_test(test_ptable_check),
	        cmocka_unit_test(test_extcsd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
