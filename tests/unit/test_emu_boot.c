/* SPDX-License-Identifier: MIT */
/* The emulator's boot model (emu/boot.c): each reason a phone does not boot,
 * each chip's boot partition policy, the EXT_CSD selection, and the client's
 * chip table agreeing with the emulator's on the policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "emu_internal.h"
#include "emu_storage.h"
#include "mtkflash/chips.h"
#include "testutil.h"

struct phone {
	char dir[64];
	const struct emu_profile *prof;
	struct emu_storage *s;
	struct emu_provision_result res;
};

static struct phone *provisioned(const char *chip)
{
	struct phone *p = calloc(1, sizeof *p);
	assert_non_null(p);
	test_mkdtemp(p->dir, sizeof p->dir, "test_emu_boot");
	struct emu_provision_opts o = { .chip = chip, .state_dir = p->dir, .force = true };
	char err[512] = "";
	assert_int_equal(emu_provision(&o, &p->res, err, sizeof err), 0);
	p->prof = emu_profile_find(chip);
	assert_non_null(p->prof);
	assert_int_equal(emu_emmc_open(p->dir, &p->s, err, sizeof err), 0);
	return p;
}

static void discard(struct phone *p)
{
	emu_emmc_close(p->s);
	test_rmtree(p->dir);
	free(p);
}

static struct emu_boot_verdict verdict(struct phone *p)
{
	struct emu_boot_verdict v;
	emu_boot_check(p->prof, p->s, &v);
	return v;
}

static void expect_fails(struct phone *p, const char *what, const char *why_part)
{
	struct emu_boot_verdict v = verdict(p);
	assert_false(v.boots);
	assert_string_equal(v.failed, what);
	if (!strstr(v.why, why_part))
		fail_msg("why '%s' does not say '%s'", v.why, why_part);
}

static const struct emu_placed_part *part(const struct phone *p, const char *name)
{
	for (size_t i = 0; i < p->res.count; i++)
		if (strcmp(p->res.parts[i].name, name) == 0)
			return &p->res.parts[i];
	fail_msg("no partition %s", name);
	return NULL;
}

static void spoil(struct phone *p, int area, uint64_t off)
{
	uint8_t junk[512];
	memset(junk, 0x5A, sizeof junk);
	assert_int_equal(emu_emmc_write(p->s, area, off, junk, sizeof junk), 0);
}

static void set_enable(struct phone *p, unsigned enable)
{
	uint8_t cfg = emu_emmc_ext_csd(p->s)[EMU_EXT_CSD_PARTITION_CONFIG];
	cfg = (uint8_t)((cfg & ~0x38u) | enable << 3);
	assert_int_equal(emu_emmc_switch(p->s, EMU_EXT_CSD_PARTITION_CONFIG, cfg), 0);
}

/* The board's preloader with one change, written at the start of `area`. */
static void write_preloader(struct phone *p, int area, uint32_t load, uint8_t mr5)
{
	struct emu_preloader_spec spec = { .load_addr = load, .code_len = 0x1000, .code_seed = 7 };
	snprintf(spec.name, sizeof spec.name, "preloader_test.bin");
	emu_board_emi_record(p->prof, spec.emi);
	mtk_put_u32le(spec.emi + EMU_EMI_MR5_OFF, mr5);
	size_t n = emu_preloader_size(spec.code_len);
	uint8_t *img = calloc(1, n);
	assert_int_equal(emu_preloader_build(img, n, &spec), n);
	assert_int_equal(emu_emmc_write(p->s, area, 0, img, n), 0);
	free(img);
}

static void test_factory_phone_boots(void **state)
{
	(void)state;
	static const char *const chips[] = { "mt6572", "mt6580", "mt6737", "mt6739", "mt6765" };
	for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
		struct phone *p = provisioned(chips[i]);
		struct emu_boot_verdict v = verdict(p);
		assert_true(v.boots);
		assert_int_equal(v.boot_area, EMU_AREA_BOOT1);
		assert_int_equal(v.enable, 1);
		assert_string_equal(v.failed, "");
		discard(p);
	}
}

static void test_no_preloader(void **state)
{
	(void)state;
	struct phone *p = provisioned("mt6737");
	assert_int_equal(emu_emmc_erase(p->s, EMU_AREA_BOOT1, 0, 0x1000), 0);
	expect_fails(p, "preloader", "boot1: no EMMC_BOOT + BRLYT header");
	discard(p);
}

static void test_preloader_for_another_chip(void **state)
{
	(void)state;
	struct phone *p = provisioned("mt6737");
	write_preloader(p, EMU_AREA_BOOT1, 0x02007200, p->prof->dram_mr5);
	expect_fails(p, "gfh", "another SoC (GFH load address 0x02007200");
	discard(p);
}

static void test_gfh_missing(void **state)
{
	(void)state;
	struct phone *p = provisioned("mt6737");
	spoil(p, EMU_AREA_BOOT1, 0x800); /* the GFH: headers intact */
	expect_fails(p, "gfh", "no GFH_FILE_INFO");
	discard(p);
}

static void test_other_dram(void **state)
{
	(void)state;
	struct phone *p = provisioned("mt6580");
	write_preloader(p, EMU_AREA_BOOT1, emu_preloader_load_addr(p->prof), 0x01);
	expect_fails(p, "emi", "no EMI record");
	/* The same image with the board's own DRAM boots: only the record differed. */
	write_preloader(p, EMU_AREA_BOOT1, emu_preloader_load_addr(p->prof), p->prof->dram_mr5);
	assert_true(verdict(p).boots);
	discard(p);
}

static void test_lk_and_boot(void **state)
{
	(void)state;
	struct phone *p = provisioned("mt6737");
	const struct emu_placed_part *lk = part(p, "lk"), *boot = part(p, "boot");
	spoil(p, EMU_AREA_USER, boot->offset);
	expect_fails(p, "boot", "no Android boot image header");
	spoil(p, EMU_AREA_USER, lk->offset);
	expect_fails(p, "lk", "lk at user 0x");
	discard(p);

	p = provisioned("mt6572"); /* MBR era: found through the PMT */
	spoil(p, EMU_AREA_USER, part(p, "BOOTIMG")->offset);
	expect_fails(p, "boot", "BOOTIMG at user 0x");
	discard(p);
}

static void test_no_partition_table(void **state)
{
	(void)state;
	struct phone *p = provisioned("mt6737");
	spoil(p, EMU_AREA_USER, 512); /* primary GPT header */
	expect_fails(p, "table", "no GPT entry named lk");
	discard(p);
}

/* Chips with the A/B preloader code boot what BOOT_PARTITION_ENABLE selects
 * and never fall back to the other partition. */
static void test_ext_csd_policy(void **state)
{
	(void)state;
	static const char *const chips[] = { "mt6580", "mt6739" };
	for (size_t i = 0; i < 2; i++) {
		struct phone *p = provisioned(chips[i]);
		assert_int_equal(p->prof->boot_select, EMU_BOOT_EXT_CSD);
		set_enable(p, 2);
		/* Some factory layouts keep a copy in boot2 (EMMC_BOOT1_BOOT2): start from none. */
		assert_int_equal(emu_emmc_erase(p->s, EMU_AREA_BOOT2, 0, 0x1000), 0);
		struct emu_boot_verdict v = verdict(p);
		assert_int_equal(v.boot_area, EMU_AREA_BOOT2);
		assert_int_equal(v.enable, 2);
		expect_fails(p, "preloader", "boot2: no EMMC_BOOT");
		write_preloader(p, EMU_AREA_BOOT2, emu_preloader_load_addr(p->prof), p->prof->dram_mr5);
		assert_true(verdict(p).boots);
		/* Back at boot1 with boot1 erased: boot2's good copy does not help. */
		set_enable(p, 1);
		assert_int_equal(emu_emmc_erase(p->s, EMU_AREA_BOOT1, 0, 0x1000), 0);
		expect_fails(p, "preloader", "boot1:");
		discard(p);
	}
}

static void test_boot1_only_policy(void **state)
{
	(void)state;
	static const char *const chips[] = { "mt6572", "mt6582", "mt6735", "mt6737", "mt6753" };
	for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
		struct phone *p = provisioned(chips[i]);
		assert_int_equal(p->prof->boot_select, EMU_BOOT_BOOT1_ONLY);
		set_enable(p, 2); /* boot2 is empty: ignored */
		struct emu_boot_verdict v = verdict(p);
		assert_true(v.boots);
		assert_int_equal(v.boot_area, EMU_AREA_BOOT1);
		discard(p);
	}
}

/* Disabled, user area and reserved values: boot1, as the DA leaves it. */
static void test_other_enable_values(void **state)
{
	(void)state;
	struct phone *p = provisioned("mt6765");
	static const unsigned values[] = { 0, 3, 7 };
	for (size_t i = 0; i < 3; i++) {
		set_enable(p, values[i]);
		struct emu_boot_verdict v = verdict(p);
		assert_int_equal(v.boot_area, EMU_AREA_BOOT1);
		assert_true(v.boots);
	}
	discard(p);
}

/* Both tables state the same fact; neither reads the other. */
static void test_chip_tables_agree(void **state)
{
	(void)state;
	for (const char *const *n = mtkemu_chip_names(); *n; n++) {
		const struct emu_profile *prof = emu_profile_find(*n);
		const struct mtk_chip *chip = mtk_chip_by_name(*n);
		assert_non_null(chip);
		bool emu_ext = prof->boot_select == EMU_BOOT_EXT_CSD;
		bool lib_ext = chip->boot_select == MTK_BOOT_SELECT_EXT_CSD;
		if (emu_ext != lib_ext)
			fail_msg("%s: the emulator says %s, lib/brom/chips.c the other", *n,
				 emu_boot_select_name(prof->boot_select));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_factory_phone_boots),
		cmocka_unit_test(test_no_preloader),
		cmocka_unit_test(test_preloader_for_another_chip),
		cmocka_unit_test(test_gfh_missing),
		cmocka_unit_test(test_other_dram),
		cmocka_unit_test(test_lk_and_boot),
		cmocka_unit_test(test_no_partition_table),
		cmocka_unit_test(test_ext_csd_policy),
		cmocka_unit_test(test_boot1_only_policy),
		cmocka_unit_test(test_other_enable_values),
		cmocka_unit_test(test_chip_tables_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
