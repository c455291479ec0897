/* SPDX-License-Identifier: MIT */
/* `mtkemu provision` and the emulator's scatter reader, against the real
 * fixture scatters; the written tables are read back with lib/storage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "emu_internal.h"
#include "emu_storage.h"
#include "mtkflash/core.h"
#include "mtkflash/storage.h"
#include "testutil.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

static char *tmpdir(void)
{
	static char d[64];
	test_mkdtemp(d, sizeof(d), "test_emu_prov");
	return d;
}

static size_t count_lines_with(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[1024];
	size_t n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/* ---------------------------------------------------------- scatter reader */

static void test_fixture_scatters_parse(void **state)
{
	(void)state;
	static const char *const pats[] = {"*MT6572*", "*MT6580*", "*MT6735*", "*MT6737*", "*MT6753*"};
	size_t files = 0;
	for (size_t k = 0; k < 5; k++) {
		char pat[600];
		test_fixture_path(pat, sizeof(pat), "scatter", pats[k]);
		glob_t g;
		assert_int_equal(glob(pat, 0, NULL, &g), 0);
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct emu_scatter sc;
			char err[512];
			int rc = emu_scatter_load(g.gl_pathv[i], &sc, err, sizeof(err));
			if (rc)
				fail_msg("%s", err);
			assert_int_equal(sc.version, 11);
			assert_int_equal(sc.count, count_lines_with(g.gl_pathv[i], "partition_index:"));
			assert_int_equal(strncasecmp(sc.platform, "MT6", 3), 0);
			assert_int_not_equal(sc.parts[0].region, EMU_SR_USER); /* preloader first */
			emu_scatter_free(&sc);
			files++;
		}
		globfree(&g);
	}
	assert_true(files >= 14);
}

/* V2.x: the EMMC block only (formats.md §1.4), whichever block comes first. */
static void test_scatter_v2_emmc_block(void **state)
{
	(void)state;
	static const char *const files[] = {"MT6785__Dewil-King_Sectter-File__MT6785_Android_scatter.txt",
	                                    "MT6771T__Dewil-King_Sectter-File__MT6771T_Android_scatter_9.0.txt"};
	for (size_t k = 0; k < 2; k++) {
		char path[600];
		test_fixture_path(path, sizeof(path), "scatter", files[k]);
		struct emu_scatter sc;
		char err[512];
		if (emu_scatter_load(path, &sc, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(sc.version, 20);
		assert_string_equal(sc.storages, "EMMC, UFS");
		assert_string_equal(sc.storage, "EMMC");
		assert_int_equal(sc.count, count_lines_with(path, "partition_index:") -
		                                   count_lines_with(path, "storage: HW_STORAGE_UFS"));
		assert_int_equal(sc.parts[0].region, EMU_SR_BOOT1_BOOT2);
		assert_string_equal(sc.parts[sc.count - 1].name, "sgpt");
		emu_scatter_free(&sc);
	}
	static const char ufs_first[] =
	        "- general: MTK_PLATFORM_CFG\n  info: \n    - config_version: V2.1.0\n      platform: MT6785\n"
	        "- storage_type: UFS\n  description: \n  - general: MTK_STORAGE_CFG\n    info: \n"
	        "      - storage: UFS\n  - partition_index: SYS0\n    partition_name: ufsonly\n"
	        "    linear_start_addr: 0x0\n    partition_size: 0x1000\n    region: UFS_LU2\n"
	        "- storage_type: EMMC\n  description: \n  - partition_index: SYS0\n"
	        "    partition_name: boot\n    linear_start_addr: 0x0\n    partition_size: 0x1000\n"
	        "    region: EMMC_USER\n";
	struct emu_scatter sc;
	char err[256];
	assert_int_equal(emu_scatter_parse(ufs_first, strlen(ufs_first), "x.txt", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.count, 1);
	assert_string_equal(sc.parts[0].name, "boot");
	assert_string_equal(sc.platform, "MT6785");
	emu_scatter_free(&sc);
}

static void test_scatter_fields(void **state)
{
	(void)state;
	char p[600], err[512];
	/* a file with CRLF line ends */
	test_fixture_path(p, sizeof(p), "scatter",
	                  "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt");
	struct emu_scatter sc;
	assert_int_equal(emu_scatter_load(p, &sc, err, sizeof(err)), 0);
	assert_string_equal(sc.platform, "MT6737M");
	const struct emu_scatter_part *fi = &sc.parts[sc.count - 2];
	assert_string_equal(fi->name, "flashinfo");
	assert_int_equal(fi->linear, 0xFFFF0084);
	assert_int_equal(fi->physical, 0x3AA380000ull);
	assert_int_equal(fi->size, 0x1000000);
	assert_true(fi->reserved);
	assert_int_equal(sc.parts[0].region, EMU_SR_BOOT1);
	assert_false(sc.parts[1].download); /* pgpt */
	emu_scatter_free(&sc);
}

static void test_scatter_v10(void **state)
{
	(void)state;
	static const char text[] = "PRELOADER 0x0\n{\n}\nMBR 0xC00000\n{\n}\nEBR1 0xC80000\n{\n}\n"
	                           "__NODL_NVRAM 0xD00000\n{\n}\nUSRDATA 0x1200000\n{\n}\n"
	                           "__NODL_BMTPOOL 0xFFFF00a8\n{\n}\n\n\n";
	struct emu_scatter sc;
	char err[256];
	assert_int_equal(emu_scatter_parse(text, sizeof(text) - 1, "v10.txt", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.version, 10);
	assert_int_equal(sc.count, 6);
	assert_int_equal(sc.parts[0].region, EMU_SR_BOOT1);
	assert_int_equal(sc.parts[0].size, 0xC00000);
	assert_int_equal(sc.parts[1].size, 0x80000);
	assert_string_equal(sc.parts[3].name, "NVRAM");
	assert_false(sc.parts[3].download);
	assert_int_equal(sc.parts[3].size, 0x500000);
	assert_int_equal(sc.parts[4].size, 0); /* up to the reserved tail */
	assert_true(sc.parts[5].reserved);
	assert_int_equal(sc.parts[5].size, 0xA8 * 0x20000);
	assert_int_equal(sc.parts[4].line, 13);
	emu_scatter_free(&sc);
}

static void expect_parse_error(const char *text, const char *want)
{
	struct emu_scatter sc;
	char err[256] = "";
	assert_int_equal(emu_scatter_parse(text, strlen(text), "bad.txt", &sc, err, sizeof(err)),
	                 MTK_E_PARSE);
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
	assert_null(sc.parts);
}

static void test_scatter_errors(void **state)
{
	(void)state;
	static const char head[] = "- general: MTK_PLATFORM_CFG\n  info:\n    - config_version: V1.1.2\n"
	                           "      platform: MT6735\n";
	char buf[1024];
	snprintf(buf, sizeof(buf),
	         "%s- partition_index: SYS0\n  partition_name: boot\n  linear_start_addr: 0xZZ\n"
	         "  partition_size: 0x100\n",
	         head);
	expect_parse_error(buf, "bad.txt:7: bad value '0xZZ' for linear_start_addr");
	snprintf(buf, sizeof(buf),
	         "%s- partition_index: SYS0\n  partition_name: boot\n  partition_size: 0x100\n", head);
	expect_parse_error(buf, "bad.txt:5: partition record has no linear_start_addr");
	snprintf(buf, sizeof(buf), "%s- partition_index: SYS0\n  partition_name: a\n  partition_name: b\n",
	         head);
	expect_parse_error(buf, "bad.txt:7: partition_name given twice");
	snprintf(buf, sizeof(buf), "%s- partition_index: SYS0\n  partition_name: a\n  region: UFS_LU2\n",
	         head);
	expect_parse_error(buf, "bad.txt:7: region 'UFS_LU2'");
	snprintf(buf, sizeof(buf), "%s- partition_index: SYS0\n  this line has no colon\n", head);
	expect_parse_error(buf, "bad.txt:6: expected 'key: value'");
	expect_parse_error("- general: MTK_PLATFORM_CFG\n  info:\n    - config_version: V2.1.0\n"
	                   "- storage_type: UFS\n  description:\n  - partition_index: SYS0\n"
	                   "    partition_name: preloader\n    region: UFS_LU0\n",
	                   "bad.txt:4: this V2.x scatter has no EMMC layout (storage_type: UFS); the emulator "
	                   "models eMMC, not UFS");
	expect_parse_error("- general: MTK_PLATFORM_CFG\n  info:\n    - config_version: V2.1.0\n"
	                   "- storage_type: EMMC\n- storage_type: EMMC\n",
	                   "bad.txt:5: a second EMMC storage_type block (the first is at line 4)");
	snprintf(buf, sizeof(buf), "%s      storage: UFS\n", head);
	expect_parse_error(buf, "bad.txt:5: storage UFS: the emulator models eMMC only");
	expect_parse_error("PRELOADER 0x0\n{\n}\nMBR 0x600000\n}\n", "bad.txt:5: expected '{'");
	expect_parse_error("", "empty scatter file");
	expect_parse_error("hello world\n", "bad.txt:1: expected 'NAME 0xADDRESS'");
}

/* --------------------------------------------------------------- provision */

struct user_reader {
	struct emu_storage *s;
};

static int read_user(void *u, uint64_t lba, uint32_t count, uint8_t *buf)
{
	struct user_reader *r = u;
	return emu_emmc_read(r->s, EMU_AREA_USER, lba * 512, buf, (size_t)count * 512);
}

static const struct emu_placed_part *placed(const struct emu_provision_result *res, const char *name)
{
	for (size_t i = 0; i < res->count; i++)
		if (strcasecmp(res->parts[i].name, name) == 0 && res->parts[i].area == EMU_AREA_USER)
			return &res->parts[i];
	return NULL;
}

/* Every user-area partition of the scatter is where the scatter says
 * (linear - user base, or counted from the end for 0xFFFFxxxx) and in the
 * table read back from the device. */
static void check_against_scatter(const char *scatter, const struct emu_provision_result *res,
                                  const struct mtk_ptable *t, uint64_t user_size, bool gpt)
{
	struct emu_scatter sc;
	char err[512];
	assert_int_equal(emu_scatter_load(scatter, &sc, err, sizeof(err)), 0);
	uint64_t base = 0;
	for (size_t i = 0; i < sc.count; i++)
		if (sc.parts[i].region == EMU_SR_USER && !sc.parts[i].reserved) {
			base = sc.parts[i].linear;
			break;
		}
	uint64_t tail = user_size;
	for (size_t i = sc.count; i-- > 0;) {
		const struct emu_scatter_part *p = &sc.parts[i];
		if (p->region != EMU_SR_USER)
			continue;
		uint64_t start;
		if (p->reserved) {
			tail -= p->size;
			start = tail;
		} else {
			start = p->linear - base;
		}
		const struct emu_placed_part *pp = placed(res, p->name);
		assert_non_null(pp);
		assert_int_equal(pp->offset, start);
		if (p->size)
			assert_int_equal(pp->size, p->size);
		if (gpt && (!strcasecmp(p->name, "pgpt") || !strcasecmp(p->name, "sgpt")))
			continue;
		if (!gpt && (p->linear >> 16) == 0xFFFF) /* the PMT ends with the last user partition */
			continue;
		const struct mtk_part *tp = mtk_part_find(t, p->name);
		if (!tp)
			fail_msg("%s: partition %s not in the table read back", scatter, p->name);
		assert_int_equal(tp->start, start);
		assert_int_equal(tp->size, pp->size);
	}
	emu_scatter_free(&sc);
}

static void check_imei_and_boot(struct emu_storage *s, const struct emu_provision_result *res,
                                const char *imei)
{
	uint8_t rec[512];
	char got[16];
	assert_true(res->imei_part[0] != 0);
	assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, res->imei_offset, rec, sizeof(rec)), 0);
	assert_int_equal(emu_imei_record_parse(rec, sizeof(rec), got), 0);
	assert_string_equal(got, imei);
	assert_string_equal(res->imei, imei);
	assert_true(emu_emmc_has_preloader(s, EMU_AREA_BOOT1));
	/* the GFH FILE_INFO follows the BRLYT at 0x800 */
	uint8_t g[0x40];
	assert_int_equal(emu_emmc_read(s, EMU_AREA_BOOT1, 0x800, g, sizeof(g)), 0);
	assert_memory_equal(g, "MMM\x01\x38\x00\x00\x00", 8);
	assert_memory_equal(g + 8, "FILE_INFO", 9);
	const struct emu_placed_part *boot = placed(res, "boot");
	if (!boot)
		boot = placed(res, "BOOTIMG");
	assert_non_null(boot);
	assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, boot->offset, g, 8), 0);
	assert_memory_equal(g, "ANDROID!", 8);
}

static void provision_gpt_fixture(const char *file, const char *chip)
{
	char scatter[600], err[512];
	test_fixture_path(scatter, sizeof(scatter), "scatter", file);
	char *dir = tmpdir();
	struct emu_provision_opts o = {
	        .chip = chip, .state_dir = dir, .scatter = scatter, .imei = "35209900176148"};
	static struct emu_provision_result res;
	int rc = emu_provision(&o, &res, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_string_equal(res.table, "gpt");
	struct emu_storage *s;
	assert_int_equal(emu_emmc_open(dir, &s, err, sizeof(err)), 0);
	uint64_t user = emu_emmc_size(s, EMU_AREA_USER);
	assert_int_equal(user, 8 * GIB);
	struct user_reader r = {s};
	struct mtk_ptable t;
	mtk_ptable_init(&t, MTK_PTABLE_NONE);
	mtk_ctx *ctx = mtk_ctx_new();
	rc = mtk_gpt_read(ctx, read_user, &r, 512, user / 512, &t);
	if (rc)
		fail_msg("%s", mtk_ctx_error(ctx));
	assert_false(t.used_backup);
	check_against_scatter(scatter, &res, &t, user, true);
	check_imei_and_boot(s, &res, "352099001761481");
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	emu_emmc_close(s);
	/* the 8 GiB user area is a sparse file */
	char p[128];
	struct stat st;
	snprintf(p, sizeof(p), "%s/user.bin", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 < 64 * MIB);
	test_rmtree(dir);
}

static void test_provision_mt6580(void **s)
{
	(void)s;
	provision_gpt_fixture("MT6580__Dewil-King_Sectter-File__MT6580_Android_scatter.txt", "mt6580");
}
static void test_provision_mt6735(void **s)
{
	(void)s;
	provision_gpt_fixture("MT6735__Dewil-King_Sectter-File__MT6735_Android_scatter.txt", "mt6735");
}
static void test_provision_mt6737(void **s)
{
	(void)s;
	provision_gpt_fixture("MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt", "mt6737");
}
static void test_provision_mt6753(void **s)
{
	(void)s;
	provision_gpt_fixture("MT6753__Dewil-King_Sectter-File__MT6753_Android_scatter.txt", "mt6753");
}

static struct emu_storage *provision_mbr_era(const char *file, const char *chip, uint64_t user_size,
                                             char **dir, struct emu_provision_result *res, char *scatter,
                                             size_t cap)
{
	char err[512];
	test_fixture_path(scatter, cap, "scatter", file);
	*dir = tmpdir();
	struct emu_provision_opts o = {.chip = chip,
	                               .state_dir = *dir,
	                               .scatter = scatter,
	                               .user_size = user_size,
	                               .imei = "352099001761481"};
	if (emu_provision(&o, res, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(res->table, "mbr+pmt");
	struct emu_storage *s;
	assert_int_equal(emu_emmc_open(*dir, &s, err, sizeof(err)), 0);
	return s;
}

/* The stored PMT as MediaTek writes it: linear offsets, PRELOADER at 0, the
 * MBR record at the scatter's MBR address, 0xFF at 0x48 of the first record. */
static void check_raw_pmt(const uint8_t *pmt, uint64_t mbr_linear)
{
	assert_memory_equal(pmt, "\x31\x76\x54\x50" "1.1", 8);
	assert_memory_equal(pmt + 4092, "\x31\x76\x54\x50", 4);
	assert_memory_equal(pmt + 4096, "\x31\x54\x50\x4D" "1.1", 8);
	const uint8_t *rec = pmt + 8;
	assert_string_equal((const char *)rec, "PRELOADER");
	assert_int_equal(rec[0x48], 0xFF);
	assert_int_equal(mtk_get_u64le(rec + 0x50), 0);
	assert_string_equal((const char *)rec + 0x60, "MBR");
	assert_int_equal(mtk_get_u64le(rec + 0x60 + 0x50), mbr_linear);
}

static void test_provision_mt6572_pmt_mbr(void **state)
{
	(void)state;
	char scatter[600], *dir;
	static struct emu_provision_result res;
	struct emu_storage *s = provision_mbr_era("MT6572__peterpt_Mobiwire_S10__MT6572_Android_scatter.txt",
	                                          "mt6572", 0, &dir, &res, scatter, sizeof(scatter));
	assert_string_equal(res.imei_part, "NVRAM");
	uint64_t user = emu_emmc_size(s, EMU_AREA_USER);
	/* PMT at user_size - 1 MiB, main + mirror */
	uint8_t pmt[8192];
	assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, user - MIB, pmt, sizeof(pmt)), 0);
	assert_int_equal(placed(&res, "MBR")->linear, 0x1400000);
	check_raw_pmt(pmt, 0x1400000);
	struct mtk_ptable t, mbr, merged;
	mtk_ptable_init(&t, MTK_PTABLE_NONE);
	mtk_ctx *ctx = mtk_ctx_new();
	if (mtk_pmt_parse_pair(ctx, pmt, sizeof(pmt), MTK_PMT_NONE, &t))
		fail_msg("%s", mtk_ctx_error(ctx));
	assert_false(t.used_backup);
	check_against_scatter(scatter, &res, &t, user, false);
	/* the MBR/EBR chain agrees with the PMT: every entry gets a PMT name */
	struct user_reader r = {s};
	if (mtk_mbr_read(ctx, read_user, &r, user / 512, &mbr))
		fail_msg("%s", mtk_ctx_error(ctx));
	assert_true(mbr.count >= 3);
	if (mtk_pmt_merge_mbr(ctx, &mbr, &t, &merged))
		fail_msg("%s", mtk_ctx_error(ctx));
	for (size_t i = 0; i < merged.count; i++)
		assert_false(merged.parts[i].name[0] == 'p' && merged.parts[i].name[1] >= '1' &&
		             merged.parts[i].name[1] <= '9');
	assert_int_equal(mtk_part_find(&merged, "ANDROID")->mbr_type, 0x83);
	mtk_ptable_free(&merged);
	mtk_ptable_free(&mbr);
	mtk_ptable_free(&t);
	mtk_ctx_free(ctx);
	check_imei_and_boot(s, &res, "352099001761481");
	emu_emmc_close(s);
	test_rmtree(dir);
}

/* Provisioned from the Wiko s4050ap scatter, the emulator writes the MBR
 * and EBR1 that phone really has, byte for byte. */
static void test_provision_wiko_real_tables(void **state)
{
	(void)state;
	char scatter[600], path[600], *dir;
	static struct emu_provision_result res;
	struct emu_storage *s = provision_mbr_era(
	        "MT6572__WikoSunset2-LineageOS_wiko_s4050ap_part_layout__MT6572_Android_scatter.txt", "mt6572",
	        0xE9000000ull, &dir, &res, scatter, sizeof(scatter));
	static const struct {
		const char *file;
		uint64_t at;
	} real[] = {{"MT6572_wiko_s4050ap/MBR", 0}, {"MT6572_wiko_s4050ap/EBR1", 0x80000}};
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		test_fixture_path(path, sizeof(path), "partition-tables", real[i].file);
		uint8_t *want = test_load(path, &len), got[512];
		assert_non_null(want);
		assert_int_equal(len, 512);
		assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, real[i].at, got, 512), 0);
		assert_memory_equal(got, want, 512);
		free(want);
	}
	uint8_t pmt[8192];
	assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, 0xE9000000ull - MIB, pmt, sizeof(pmt)), 0);
	check_raw_pmt(pmt, 0xC00000);
	emu_emmc_close(s);
	test_rmtree(dir);
}

static void test_provision_default_layouts(void **state)
{
	(void)state;
	static const char *const chips[] = {"mt6572", "mt6580", "mt6737"};
	for (size_t i = 0; i < 3; i++) {
		char *dir = tmpdir(), err[512];
		struct emu_provision_opts o = {.chip = chips[i], .state_dir = dir, .user_size = 4 * GIB};
		static struct emu_provision_result res;
		int rc = emu_provision(&o, &res, err, sizeof(err));
		if (rc)
			fail_msg("%s: %s", chips[i], err);
		/* IMEI derived from the state path: 15 digits, valid Luhn */
		assert_int_equal(strlen(res.imei), 15);
		int sum = 0;
		for (int k = 0; k < 15; k++) {
			int v = res.imei[k] - '0';
			if (k % 2 == 1 && (v *= 2) > 9)
				v -= 9;
			sum += v;
		}
		assert_int_equal(sum % 10, 0);
		struct emu_storage *s;
		assert_int_equal(emu_emmc_open(dir, &s, err, sizeof(err)), 0);
		assert_int_equal(emu_emmc_size(s, EMU_AREA_USER), 4 * GIB);
		check_imei_and_boot(s, &res, res.imei);
		emu_emmc_close(s);
		test_rmtree(dir);
	}
}

/* fill_wanted: the window it asks for */
static bool first_mib_only(void *ctx, int area, uint64_t off, uint64_t len)
{
	(void)ctx;
	(void)len;
	return area != EMU_AREA_USER || off < MIB;
}

static struct emu_storage *provision_mem(const char *chip, struct mtkemu_memstate *m, bool filtered,
                                         struct emu_provision_result *res)
{
	char err[512];
	struct emu_provision_opts o = {.chip = chip,
	                               .state_dir = emu_memstate_name(m),
	                               .user_size = 4 * GIB,
	                               .memstate = m,
	                               .fill_wanted = filtered ? first_mib_only : NULL};
	if (emu_provision(&o, res, err, sizeof(err)) != 0)
		fail_msg("%s: %s", chip, err);
	struct emu_storage *s;
	assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof(err)), 0);
	return s;
}

/* A filtered provisioning writes the same bytes where the filter wants
 * contents (and all tables, wherever they are), and leaves the filler of the
 * other partitions zero. */
static void test_provision_fill_filter(void **state)
{
	(void)state;
	static const char *const chips[] = {"mt6572", "mt6737"};
	static uint8_t a[MIB], b[MIB];
	static struct emu_provision_result res;
	for (size_t i = 0; i < 2; i++) {
		struct mtkemu_memstate *ma = mtkemu_memstate_new("full"), *mb = mtkemu_memstate_new("full");
		struct emu_storage *full = provision_mem(chips[i], ma, false, &res),
		                   *part = provision_mem(chips[i], mb, true, &res);
		for (int area = EMU_AREA_BOOT1; area <= EMU_AREA_USER; area++) {
			uint64_t end = area == EMU_AREA_USER ? MIB : emu_emmc_size(full, area);
			for (uint64_t off = 0; off < end; off += MIB) {
				size_t n = end - off < MIB ? (size_t)(end - off) : MIB;
				assert_int_equal(emu_emmc_read(full, area, off, a, n), 0);
				assert_int_equal(emu_emmc_read(part, area, off, b, n), 0);
				assert_memory_equal(a, b, n);
			}
		}
		/* the PMT / secondary GPT at the end is a table: written */
		uint64_t tail = 4 * GIB - MIB;
		assert_int_equal(emu_emmc_read(full, EMU_AREA_USER, tail, a, MIB), 0);
		assert_int_equal(emu_emmc_read(part, EMU_AREA_USER, tail, b, MIB), 0);
		assert_memory_equal(a, b, MIB);
		/* past the first MiB, filler in the full one only */
		size_t filled = 0; /* filled in the full one, left out of the other */
		for (size_t k = 0; k < res.count; k++) {
			const struct emu_placed_part *p = &res.parts[k];
			if (p->area != EMU_AREA_USER || p->offset < MIB || p->offset >= tail ||
			    strcmp(p->name, res.imei_part) == 0 || p->size < 4096)
				continue;
			assert_int_equal(emu_emmc_read(full, EMU_AREA_USER, p->offset, a, 4096), 0);
			assert_int_equal(emu_emmc_read(part, EMU_AREA_USER, p->offset, b, 4096), 0);
			static const uint8_t zero[4096];
			filled += memcmp(a, zero, 4096) != 0 && memcmp(b, zero, 4096) == 0;
			if (memcmp(b, zero, 4096) != 0 && memcmp(a, b, 4096) != 0)
				fail_msg("%s: %s differs", chips[i], p->name);
		}
		assert_true(filled > 3);
		emu_emmc_close(full);
		emu_emmc_close(part);
		mtkemu_memstate_free(ma);
		mtkemu_memstate_free(mb);
	}
}

/* The synthetic DA check: emu_pattern's stream, any flipped byte outside the
 * hole refused (in the word-at-a-time part and at the ragged ends). */
static void test_xorshift_matches(void **state)
{
	(void)state;
	uint8_t buf[1000];
	const uint32_t seed = 0x9E3779B9u;
	emu_pattern(buf + 13, sizeof buf - 13, seed);
	assert_true(emu_xorshift_matches(buf, 13, sizeof buf, seed, 0, 0));
	assert_false(emu_xorshift_matches(buf, 13, sizeof buf, seed + 1, 0, 0));
	static const size_t flips[] = {13, 14, 20, 500, 997, 999};
	for (size_t k = 0; k < sizeof flips / sizeof flips[0]; k++) {
		buf[flips[k]] ^= 0x40;
		assert_false(emu_xorshift_matches(buf, 13, sizeof buf, seed, 0, 0));
		assert_true(emu_xorshift_matches(buf, 13, sizeof buf, seed, flips[k], flips[k] + 1));
		assert_true(emu_xorshift_matches(buf, 13, flips[k], seed, 0, 0));
		buf[flips[k]] ^= 0x40;
	}
	memset(buf + 301, 0xEE, 0x40);
	assert_false(emu_xorshift_matches(buf, 13, sizeof buf, seed, 302, 301 + 0x40));
	assert_true(emu_xorshift_matches(buf, 13, sizeof buf, seed, 301, 301 + 0x40));
}

/* emu_pattern is the xorshift32 stream a byte at a time (the factory
 * contents, the synthetic DA and mkfirmware's images all depend on it),
 * whatever the length and alignment: here against the definition. */
static void test_pattern_stream(void **state)
{
	(void)state;
	static uint8_t got[4099];
	for (size_t len = 0; len <= sizeof got - 3; len += len < 40 ? 1 : 1021) {
		for (size_t at = 0; at < 3; at++) {
			memset(got, 0xA5, sizeof got);
			emu_pattern(got + at, len, 0x1234567u);
			uint32_t x = 0x1234567u;
			for (size_t i = 0; i < len; i++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				assert_int_equal(got[at + i], (uint8_t)x);
			}
			assert_int_equal(got[at + len], 0xA5); /* nothing past the end */
		}
	}
	uint8_t zero_seed[3];
	emu_pattern(zero_seed, sizeof zero_seed, 0); /* seed 0 would give zeros forever */
	assert_false(zero_seed[0] == 0 && zero_seed[1] == 0 && zero_seed[2] == 0);
}

static void test_provision_errors(void **state)
{
	(void)state;
	char *dir = tmpdir(), err[512], scatter[600];
	static struct emu_provision_result res;
	struct emu_provision_opts o = {.chip = "mt9999", .state_dir = dir};
	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), MTK_E_NOTFOUND);
	assert_non_null(strstr(err, "unknown chip 'mt9999'"));

	o.chip = "mt6735";
	o.scatter = "/nonexistent/scatter.txt";
	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), MTK_E_IO);
	assert_non_null(strstr(err, "/nonexistent/scatter.txt"));

	test_fixture_path(scatter, sizeof(scatter), "scatter", "MT6735__Dewil-King_Sectter-File__MT6735_Android_scatter.txt");
	o.scatter = scatter;
	o.user_size = 2 * GIB; /* userdata ends at 4.6 GiB */
	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), MTK_E_RANGE);
	assert_non_null(strstr(err, "does not fit"));
	assert_non_null(strstr(err, "MT6735_Android_scatter.txt:"));
	assert_false(emu_emmc_exists(dir)); /* nothing written on a layout error */

	o.user_size = 0;
	o.imei = "12345";
	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), MTK_E_INVAL);
	assert_non_null(strstr(err, "--imei"));
	o.imei = "352099001761482"; /* wrong check digit */
	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), MTK_E_INVAL);
	o.imei = NULL;

	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), 0);
	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), MTK_E_INVAL);
	assert_non_null(strstr(err, "not empty"));
	o.force = true;
	assert_int_equal(emu_provision(&o, &res, err, sizeof(err)), 0);
	test_rmtree(dir);
}

static void test_provision_cli(void **state)
{
	(void)state;
	char *dir = tmpdir();
	char d[80];
	snprintf(d, sizeof(d), "%s/dev", dir);
	char *argv1[] = {"provision", "--chip", "mt6580", "--state", d, "--user-size", "4G", NULL};
	assert_int_equal(emu_provision_main(7, argv1), 0);
	assert_true(emu_emmc_exists(d));
	char *argv2[] = {"provision", "--chip", "mt6580", "--state", d, "--user-size", "four", NULL};
	assert_int_equal(emu_provision_main(7, argv2), 2);
	char *argv3[] = {"provision", "--state", d, NULL};
	assert_int_equal(emu_provision_main(3, argv3), 2);
	char *argv4[] = {"provision", "--chip", "mt6580", "--state", d, NULL};
	assert_int_equal(emu_provision_main(5, argv4), 1); /* not empty */
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fixture_scatters_parse),
	        cmocka_unit_test(test_scatter_fields),
	        cmocka_unit_test(test_scatter_v2_emmc_block),
	        cmocka_unit_test(test_scatter_v10),
	        cmocka_unit_test(test_scatter_errors),
	        cmocka_unit_test(test_provision_mt6580),
	        cmocka_unit_test(test_provision_mt6735),
	        cmocka_unit_test(test_provision_mt6737),
	        cmocka_unit_test(test_provision_mt6753),
	        cmocka_unit_test(test_provision_mt6572_pmt_mbr),
	        cmocka_unit_test(test_provision_wiko_real_tables),
	        cmocka_unit_test(test_provision_default_layouts),
	        cmocka_unit_test(test_provision_fill_filter),
	        cmocka_unit_test(test_xorshift_matches),
	        cmocka_unit_test(test_pattern_stream),
	        cmocka_unit_test(test_provision_errors),
	        cmocka_unit_test(test_provision_cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
