/* SPDX-License-Identifier: MIT */
/* image/scatter: every real scatter file parses; facts read by hand from the
 * files are pinned; hostile inputs are refused or flagged. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtkflash/scatter.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

/* Parse a fixture from tests/fixtures/scatter by its saved name. */
static void parse_fixture(const char *name, const char *storage, struct mtk_scatter *s)
{
	char path[4096];
	test_fixture_path(path, sizeof path, "scatter", name);
	size_t len;
	uint8_t *b = test_load(path, &len);
	mtk_ctx *ctx = mtk_ctx_new();
	int rc = mtk_scatter_parse(ctx, name, b, len, storage, s);
	if (rc < 0)
		fail_msg("%s: %s", name, mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
	free(b);
}

static int parse_text(const char *text, const char *storage, struct mtk_scatter *s, char *err, size_t cap)
{
	mtk_ctx *ctx = mtk_ctx_new();
	int rc = mtk_scatter_parse(ctx, "t.txt", (const uint8_t *)text, strlen(text), storage, s);
	if (err)
		snprintf(err, cap, "%s", mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
	return rc;
}

static const struct mtk_scatter_part *part(const struct mtk_scatter *s, const char *name)
{
	const struct mtk_scatter_part *p = mtk_scatter_find(s, name);
	if (!p)
		fail_msg("no partition %s", name);
	return p;
}

/* A problem of this severity whose message contains `needle` (and, when
 * line != 0, on that line). */
static bool has_problem(const struct mtk_scatter *s, enum mtk_severity sev, unsigned line, const char *needle)
{
	for (size_t i = 0; i < s->problems.count; i++) {
		const struct mtk_problem *q = &s->problems.items[i];
		if (q->severity == sev && (!line || q->line == line) && strstr(q->message, needle))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ the whole corpus */

static bool is_scatter_name(const char *n)
{
	size_t l = strlen(n);
	return l > 4 && (!strcmp(n + l - 4, ".txt") || !strcmp(n + l - 4, ".xml"));
}

static void test_every_fixture_parses(void **state)
{
	(void)state;
	char dir[4096];
	test_path(dir, sizeof dir, test_fixtures(), "scatter");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d))) {
		if (!is_scatter_name(e->d_name))
			continue;
		files++;
		char path[8192];
		test_path(path, sizeof path, dir, e->d_name);
		size_t len;
		uint8_t *b = test_load(path, &len);
		if (!mtk_scatter_sniff(b, len))
			fail_msg("%s not recognised as a scatter file", e->d_name);
		struct mtk_scatter s;
		parse_fixture(e->d_name, NULL, &s);
		assert_true(s.count > 0);
		assert_true(s.storage == MTK_PKG_STORAGE_EMMC || s.format == MTK_SCATTER_OTA);
		for (size_t i = 0; i < s.count; i++)
			assert_non_null(s.parts[i].name);
		if (s.layouts & (1u << MTK_PKG_STORAGE_UFS)) {
			struct mtk_scatter u;
			parse_fixture(e->d_name, "ufs", &u);
			assert_int_equal(u.storage, MTK_PKG_STORAGE_UFS);
			assert_true(u.count > 0);
			mtk_scatter_free(&u);
		}
		mtk_scatter_free(&s);
		free(b);
	}
	closedir(d);
	assert_true(files >= 40); /* the corpus holds 47 scatter files */
}

/* ------------------------------------------------------------ pinned facts */

/* MT6572, V1.1.1, MBR era: read line by line from the file. */
static void test_mt6572_nevermine17(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6572__NeverMine17_fly-iq-4407-scatter__MT6572_Android_scatter.txt", NULL, &s);
	assert_int_equal(s.format, MTK_SCATTER_V1_1);
	assert_string_equal(s.config_version, "V1.1.1");
	assert_string_equal(s.platform, "MT6572");
	assert_string_equal(s.project, "konka72_i128_emmc");
	assert_int_equal(s.storage, MTK_PKG_STORAGE_EMMC);
	assert_int_equal(s.block_size, 0x20000);
	assert_int_equal(s.count, 20);
	static const char *const names[] = {"PRELOADER", "MBR",       "EBR1",    "PRO_INFO", "NVRAM",
	                                    "PROTECT_F", "PROTECT_S", "SECCFG",  "UBOOT",    "BOOTIMG",
	                                    "RECOVERY",  "SEC_RO",    "MISC",    "LOGO",     "EXPDB",
	                                    "ANDROID",   "CACHE",     "USRDATA", "FAT",      "BMTPOOL"};
	for (size_t i = 0; i < 20; i++)
		assert_string_equal(s.parts[i].name, names[i]);
	const struct mtk_scatter_part *p = &s.parts[0];
	assert_int_equal(p->start, 0);
	assert_int_equal(p->size, 0xc00000);
	assert_int_equal(p->region, MTK_REGION_BOOT1);
	assert_string_equal(p->file, "preloader_konka72_i128_emmc.bin");
	assert_int_equal(p->type, MTK_IMG_PRELOADER);
	assert_int_equal(p->cls, MTK_CLASS_BOOTLOADER);
	assert_int_equal(p->line, 19);
	/* The linear space counts the 12 MiB boot area (formats.md §1.7). */
	assert_int_equal(s.addr_space, MTK_ADDR_LINEAR_BOOT);
	assert_int_equal(s.boot_area_size, 0xc00000);
	p = part(&s, "MBR");
	assert_int_equal(p->start, 0xc00000);
	assert_int_equal(p->offset, 0);
	p = part(&s, "ANDROID");
	assert_int_equal(p->start, 0x4340000);
	assert_int_equal(p->offset, 0x4340000 - 0xc00000);
	assert_int_equal(p->size, 0x38400000);
	assert_string_equal(p->file, "system.img");
	assert_int_equal(p->type, MTK_IMG_YAFFS);
	assert_string_equal(p->alias, "system");
	assert_ptr_equal(mtk_scatter_find(&s, "system"), p);
	assert_ptr_equal(mtk_scatter_find(&s, "userdata"), part(&s, "USRDATA"));
	assert_ptr_equal(mtk_scatter_find(&s, "lk"), part(&s, "UBOOT"));
	assert_int_equal(part(&s, "NVRAM")->cls, MTK_CLASS_PROTECTED);
	assert_int_equal(part(&s, "NVRAM")->op, MTK_OP_BINREGION);
	assert_null(part(&s, "NVRAM")->file);
	assert_false(part(&s, "NVRAM")->download);
	assert_int_equal(part(&s, "USRDATA")->cls, MTK_CLASS_USERDATA);
	p = part(&s, "BMTPOOL");
	assert_int_equal(p->start, 0xFFFF00a8);
	assert_true(p->tail);
	assert_int_equal(p->tail_units, 0xa8);
	assert_false(p->offset_known);
	assert_int_equal(p->size, 0x1500000);
	assert_int_equal(p->cls, MTK_CLASS_RESERVED);
	assert_int_equal(part(&s, "FAT")->size, 0);
	assert_true(has_problem(&s, MTK_SEV_WARNING, 289, "size is 0"));
	assert_int_equal(mtk_problems_count(&s.problems, MTK_SEV_ERROR), 0);
	mtk_scatter_free(&s);
}

static void test_v10_mt6589(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6589__GoldRenard_device_lenovo_s960_twrp_tree__MT6589_Android_scatter_emmc.txt",
	              NULL, &s);
	assert_int_equal(s.format, MTK_SCATTER_V1_0);
	assert_int_equal(s.count, 22);
	assert_int_equal(s.storage, MTK_PKG_STORAGE_EMMC);
	assert_int_equal(s.addr_space, MTK_ADDR_LINEAR_BOOT);
	assert_int_equal(s.boot_area_size, 0x600000);
	const struct mtk_scatter_part *p = part(&s, "PRELOADER");
	assert_int_equal(p->size, 0x600000); /* up to MBR at 0x600000 */
	assert_int_equal(p->region, MTK_REGION_BOOT1);
	assert_true(p->download);
	assert_string_equal(p->file_hint, "preloader");
	/* __NODL_ stripped; not downloadable. */
	p = part(&s, "NVRAM");
	assert_int_equal(p->start, 0xe00000);
	assert_false(p->download);
	assert_int_equal(p->op, MTK_OP_BINREGION);
	p = part(&s, "ANDROID");
	assert_int_equal(p->start, 0x17980000);
	assert_int_equal(p->size, 0x75580000 - 0x17980000);
	assert_string_equal(p->file_hint, "system");
	assert_string_equal(part(&s, "UBOOT")->file_hint, "uboot");
	p = part(&s, "USRDATA");
	assert_int_equal(p->start, 0x8cf80000);
	assert_true(p->fills);
	p = part(&s, "BMTPOOL");
	assert_true(p->tail);
	assert_int_equal(p->size, 0xa8 * 0x20000);
	assert_int_equal(mtk_problems_count(&s.problems, MTK_SEV_ERROR), 0);
	mtk_scatter_free(&s);
}

static void test_ota_mt6750(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6750__ttefke_android_device_nb_vernee_M5__update_scatter.txt", NULL, &s);
	assert_int_equal(s.format, MTK_SCATTER_OTA);
	assert_int_equal(s.count, 52);
	assert_string_equal(s.parts[0].name, "preloader");
	assert_int_equal(s.parts[0].region, MTK_REGION_BOOT1);
	assert_string_equal(s.parts[1].name, "pgpt");
	assert_int_equal(s.addr_space, MTK_ADDR_REGION);
	assert_int_equal(part(&s, "recovery")->size, 0x3008000 - 0x8000);
	assert_int_equal(part(&s, "userdata")->start, 0x129800000ull);
	assert_true(part(&s, "sgpt")->tail);
	assert_false(part(&s, "system")->download);
	assert_true(has_problem(&s, MTK_SEV_WARNING, 0, "OTA scatter"));
	mtk_scatter_free(&s);
}

static void test_v2_emmc_and_ufs_mt6833(void **state)
{
	(void)state;
	const char *f = "MT6833__Dewil-King_Sectter-File__MT6833_Android_scatter.txt";
	struct mtk_scatter e, u, e2;
	parse_fixture(f, NULL, &e);
	parse_fixture(f, "ufs", &u);
	parse_fixture(f, "EMMC", &e2);
	assert_int_equal(e.format, MTK_SCATTER_V2);
	assert_string_equal(e.config_version, "V2.1.0");
	assert_string_equal(e.platform, "MT6833");
	assert_string_equal(e.project, "oppo6833");
	assert_int_equal(e.layouts, (1u << MTK_PKG_STORAGE_EMMC) | (1u << MTK_PKG_STORAGE_UFS));
	assert_int_equal(e.storage, MTK_PKG_STORAGE_EMMC);
	assert_int_equal(u.storage, MTK_PKG_STORAGE_UFS);
	assert_int_equal(e2.count, e.count);
	assert_int_equal(e.count, 56);
	assert_int_equal(u.count, 56);
	assert_int_equal(e.block_size, 0x20000);
	assert_int_equal(u.block_size, 0x80000);
	assert_string_equal(e.boot_channel, "MSDC_0");
	assert_string_equal(u.boot_channel, "UFSHCI_0");
	assert_string_equal(e.parts[0].region_name, "EMMC_BOOT1_BOOT2");
	assert_string_equal(u.parts[0].region_name, "UFS_LU0_LU1");
	assert_true(u.parts[0].both_boot);
	assert_string_equal(mtk_scatter_region_label(&u, &u.parts[0]), "lu0+lu1");
	assert_string_equal(mtk_scatter_region_label(&e, &e.parts[0]), "boot1+boot2");
	assert_int_equal(e.parts[0].line, 24);
	assert_int_equal(u.parts[0].line, 1045);
	assert_int_equal(part(&e, "flashinfo")->start, 0xFFFF0080);
	assert_int_equal(part(&u, "flashinfo")->start, 0xFFFF0020);
	assert_int_equal(part(&u, "userdata")->start, 0x2ea800000ull);
	assert_string_equal(mtk_scatter_region_label(&u, part(&u, "userdata")), "lu2");
	mtk_scatter_free(&e);
	mtk_scatter_free(&u);
	mtk_scatter_free(&e2);
}

static void test_v22_preloader_backup_mt6789(void **state)
{
	(void)state;
	const char *f = "MT6789__mosya234_TB350FU__MT6789_Android_scatter.txt";
	struct mtk_scatter e, u;
	parse_fixture(f, NULL, &e);
	parse_fixture(f, "ufs", &u);
	assert_string_equal(e.config_version, "V2.2.0");
	assert_int_equal(e.count, 66);
	assert_int_equal(part(&e, "preloader")->region, MTK_REGION_BOOT1);
	assert_int_equal(part(&e, "preloader_backup")->region, MTK_REGION_BOOT2);
	assert_int_equal(part(&e, "preloader_backup")->cls, MTK_CLASS_BOOTLOADER);
	assert_string_equal(part(&u, "preloader_backup")->region_name, "UFS_LU1");
	assert_int_equal(part(&e, "userdata")->op, MTK_OP_NEEDRESIZE);
	assert_int_equal(part(&e, "userdata")->size, 0xc0000000ull);
	assert_int_equal(mtk_problems_count(&e.problems, MTK_SEV_ERROR), 0);
	mtk_scatter_free(&e);
	mtk_scatter_free(&u);
}

static void assert_same_layout(const struct mtk_scatter *a, const struct mtk_scatter *b)
{
	assert_int_equal(a->count, b->count);
	assert_string_equal(a->platform, b->platform);
	assert_string_equal(a->project, b->project);
	assert_int_equal(a->block_size, b->block_size);
	for (size_t i = 0; i < a->count; i++) {
		const struct mtk_scatter_part *p = &a->parts[i], *q = &b->parts[i];
		assert_string_equal(p->name, q->name);
		assert_int_equal(p->start, q->start);
		assert_int_equal(p->size, q->size);
		assert_int_equal(p->region, q->region);
		assert_int_equal(p->download, q->download);
		assert_int_equal(p->op, q->op);
		assert_int_equal(p->type, q->type);
		assert_int_equal(p->cls, q->cls);
		assert_true((p->file == NULL) == (q->file == NULL));
		if (p->file)
			assert_string_equal(p->file, q->file);
	}
}

/* The XML and text scatter of the same vivo MT6893 build say the same. */
static void test_xml_matches_text_mt6893(void **state)
{
	(void)state;
	const char *base =
	        "MT6893__douchey-dumps_PD2135F_EX_A_1.16.26_vivo_mtk_alps-release-r0.mp2-pre4_mt6891__"
	        "MT6893_Android_scatter";
	char txt[512], xml[512];
	snprintf(txt, sizeof txt, "%s.txt", base);
	snprintf(xml, sizeof xml, "%s.xml", base);
	const char *storages[] = {"emmc", "ufs"};
	for (int k = 0; k < 2; k++) {
		struct mtk_scatter t, x;
		parse_fixture(txt, storages[k], &t);
		parse_fixture(xml, storages[k], &x);
		assert_int_equal(x.format, MTK_SCATTER_XML);
		assert_string_equal(x.config_version, "V2.1.0");
		assert_int_equal(x.count, 60);
		assert_same_layout(&t, &x);
		mtk_scatter_free(&t);
		mtk_scatter_free(&x);
	}
	struct mtk_scatter x;
	parse_fixture(xml, NULL, &x);
	assert_string_equal(x.parts[0].name, "preloader");
	assert_string_equal(x.parts[0].file, "preloader_k6893v1_64.bin");
	assert_int_equal(x.parts[0].line, 17);
	assert_int_equal(part(&x, "recovery")->size, 0x6000000);
	mtk_scatter_free(&x);
}

/* MT6765: otp/flashinfo/sgpt at 0xFFFF01d8/0080/0000; placing them from the
 * real end of the user area reproduces the units (formats.md §1.8). */
static void test_resolve_tail_mt6765(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6765__Dewil-King_Sectter-File__MT6765_Android_scatter.txt", NULL, &s);
	assert_string_equal(s.config_version, "V1.1.2");
	assert_int_equal(s.count, 40);
	assert_int_equal(part(&s, "preloader")->size, 0x40000);
	assert_int_equal(part(&s, "sgpt")->size, 0x4200);
	mtk_ctx *ctx = mtk_ctx_new();
	const uint64_t user = 0x747c00000ull; /* a 32 GB part */
	assert_int_equal(mtk_scatter_resolve(ctx, &s, MTK_REGION_USER, user), 0);
	const struct mtk_scatter_part *sgpt = part(&s, "sgpt"), *fi = part(&s, "flashinfo"),
	                              *otp = part(&s, "otp");
	assert_true(sgpt->offset_known);
	assert_int_equal(sgpt->offset, user - 0x4200);
	assert_int_equal(fi->offset, user - 0x4200 - 0x1000000);
	assert_int_equal(otp->offset, user - 0x4200 - 0x1000000 - 0x2b00000);
	assert_int_equal(sgpt->start, 0xFFFF0000); /* the raw value is kept */
	assert_false(has_problem(&s, MTK_SEV_WARNING, 0, "blocks from the end"));
	assert_int_equal(mtk_problems_count(&s.problems, MTK_SEV_ERROR), 0);
	/* Too small a device for the tail. */
	assert_int_equal(mtk_scatter_resolve(ctx, &s, MTK_REGION_USER, 0x1000), MTK_E_RANGE);
	mtk_ctx_free(ctx);
	mtk_scatter_free(&s);
}

/* A readback tool wrote absolute addresses; sgpt really overlaps userdata. */
static void test_readback_overlap_mt6739(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6739__ReimuNotMoe_Philips-E289-Hack__MT6739_Android_scatter.txt", NULL, &s);
	assert_string_equal(s.config_version, "V1.1.6");
	assert_int_equal(s.count, 37);
	const struct mtk_scatter_part *sgpt = part(&s, "sgpt");
	assert_int_equal(sgpt->start, 0xE87FBD80);
	assert_false(sgpt->tail);
	assert_true(sgpt->reserved);
	assert_int_equal(part(&s, "userdata")->size, 0x6FFFBE00);
	assert_true(has_problem(&s, MTK_SEV_ERROR, 632, "overlaps userdata"));
	mtk_scatter_free(&s);
}

static void test_v118_mt6768(void **state)
{
	(void)state;
	struct mtk_scatter a, b;
	parse_fixture("MT6768__Carlitoshsh_scatter__MT6768_Android_scatter.txt", NULL, &a);
	parse_fixture("MT6768__Dewil-King_Sectter-File__MT6768_Android_scatter.txt", NULL, &b);
	assert_string_equal(a.config_version, "V1.1.8");
	assert_string_equal(b.config_version, "V1.1.8");
	assert_int_equal(a.count, 58);
	assert_int_equal(b.count, 57);
	assert_string_equal(a.project, "selene");
	assert_string_equal(a.parts[0].file, "preloader_selene.bin");
	assert_int_equal(a.parts[0].size, 0x80000);
	assert_int_equal(part(&a, "otp")->tail_units, 0x1d8);
	assert_int_equal(part(&a, "misc")->start, 0x8000);
	mtk_scatter_free(&a);
	mtk_scatter_free(&b);
}

/* CRLF, upper-case GPT names, mixed hex case, absolute tail address. */
static void test_crlf_mt6580(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6580__collinskasyoki_weird_finds__MT6580_Android_scatter.txt", NULL, &s);
	assert_string_equal(s.config_version, "V1.1.1");
	assert_string_equal(s.platform, "MT6580");
	assert_int_equal(s.count, 23);
	assert_int_equal(s.addr_space, MTK_ADDR_REGION);
	const struct mtk_scatter_part *p = part(&s, "PRELOADER");
	assert_int_equal(p->size, 0x400000);
	assert_false(p->download);
	assert_null(p->file);
	assert_int_equal(part(&s, "USERDATA")->start, 0xDA800000);
	assert_int_equal(part(&s, "USERDATA")->size, 0x2B4780000ull);
	assert_int_equal(part(&s, "FLASHINFO")->start, 0x38EF80000ull);
	assert_int_equal(part(&s, "PROINFO")->cls, MTK_CLASS_PROTECTED);
	assert_int_equal(part(&s, "PROINFO")->line, 49);
	mtk_scatter_free(&s);
}

/* Tool-made: an empty partition_name, BOOTLOADER (singular), a record at 0x0
 * inside the boot area. */
static void test_tool_made_mt6572(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6572__smichalowski_accu-check_solo_scatter__MT6572_Android_scatter.txt", NULL, &s);
	assert_int_equal(s.count, 21);
	assert_int_equal(s.parts[0].op, MTK_OP_BOOTLOADERS);
	assert_string_equal(s.parts[0].op_name, "BOOTLOADER");
	assert_string_equal(s.parts[20].name, "");
	assert_string_equal(s.parts[20].index, "SYS20");
	assert_true(has_problem(&s, MTK_SEV_WARNING, 319, "empty name"));
	assert_true(has_problem(&s, MTK_SEV_ERROR, 319, "inside the boot area"));
	mtk_scatter_free(&s);
}

static void test_download_without_file_mt6572(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6572__kirito96_android_kernel_alcatel_5036__MT6572_Android_scatter.txt", NULL, &s);
	assert_int_equal(s.count, 23);
	assert_int_equal(s.boot_area_size, 0x600000);
	const struct mtk_scatter_part *p = part(&s, "CUSTPACK");
	assert_true(p->download);
	assert_null(p->file);
	assert_true(has_problem(&s, MTK_SEV_WARNING, p->line, "file_name is NONE"));
	assert_int_equal(part(&s, "OTP")->tail_units, 0x200);
	mtk_scatter_free(&s);
}

static void test_x5511b_mt6737m(void **state)
{
	(void)state;
	struct mtk_scatter s;
	parse_fixture("MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt", NULL, &s);
	assert_int_equal(s.count, 26);
	assert_string_equal(s.project, "rlk6737m_65_m0");
	assert_string_equal(s.parts[0].file, "preloader_rlk6737m_65_m0.bin");
	assert_int_equal(part(&s, "userdata")->start, 0xf7800000);
	assert_int_equal(part(&s, "userdata")->size, 0x60000000);
	assert_int_equal(part(&s, "sgpt")->tail_units, 4);
	assert_int_equal(part(&s, "sgpt")->line, 419);
	mtk_scatter_free(&s);
}

/* ------------------------------------------------------------ synthetic inputs */

#define HDR                                                                                                  \
	"- general: MTK_PLATFORM_CFG\n  info: \n    - config_version: V1.1.2\n      platform: MT6765\n"      \
	"      project: t\n      storage: EMMC\n      boot_channel: MSDC_0\n      block_size: 0x20000\n"
#define REC(name, file, start, size)                                                                         \
	"- partition_index: SYS0\n  partition_name: " name "\n  file_name: " file "\n  is_download: true\n"  \
	"  type: NORMAL_ROM\n  linear_start_addr: " start "\n  physical_start_addr: " start "\n"             \
	"  partition_size: " size "\n  region: EMMC_USER\n  storage: HW_STORAGE_EMMC\n"                      \
	"  boundary_check: true\n  is_reserved: false\n  operation_type: UPDATE\n  reserve: 0x00\n\n"

static void test_synthetic_ok(void **state)
{
	(void)state;
	struct mtk_scatter s;
	char err[512];
	int rc = parse_text(HDR REC("boot", "boot.img", "0x0", "0x1000")
	                            REC("system", "system.img", "0x1000", "0x2000"),
	                    NULL, &s, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.problems.count, 0);
	assert_int_equal(s.parts[1].line, 24);
	mtk_scatter_free(&s);
}

static void test_traversal_names(void **state)
{
	(void)state;
	const char *bad[] = {"../../etc/passwd", "/etc/passwd", "..\\\\vbmeta_system.img", "C:\\\\x.img",
	                     "sub/../../x.img"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[4096];
		snprintf(text, sizeof text, HDR REC("boot", "%s", "0x0", "0x1000"), bad[i]);
		struct mtk_scatter s;
		assert_int_equal(parse_text(text, NULL, &s, NULL, 0), 0);
		if (!has_problem(&s, MTK_SEV_ERROR, 9, "leaves the package folder"))
			fail_msg("'%s' not refused", s.parts[0].file);
		mtk_scatter_free(&s);
	}
	assert_false(mtk_scatter_file_name_ok("../x"));
	assert_false(mtk_scatter_file_name_ok("a/.."));
	assert_false(mtk_scatter_file_name_ok("a\\..\\..\\b"));
	assert_false(mtk_scatter_file_name_ok("x\ny"));
	assert_false(mtk_scatter_file_name_ok(""));
	assert_true(mtk_scatter_file_name_ok("images/boot.img"));
	assert_true(mtk_scatter_file_name_ok("..boot.img"));
	assert_true(mtk_scatter_file_name_ok("boot..img"));
}

static void test_overlap_duplicate_zero(void **state)
{
	(void)state;
	struct mtk_scatter s;
	const char *text =
	        HDR REC("boot", "boot.img", "0x0", "0x2000") REC("boot", "b2.img", "0x1000", "0x1000")
	                REC("logo", "logo.bin", "0x3000", "0x0") REC("misc", "NONE", "0x8000", "0x1000");
	assert_int_equal(parse_text(text, NULL, &s, NULL, 0), 0);
	assert_true(has_problem(&s, MTK_SEV_ERROR, 24, "duplicate partition name 'boot' (first at line 9)"));
	assert_true(has_problem(&s, MTK_SEV_ERROR, 24, "overlaps boot (line 9)"));
	assert_true(has_problem(&s, MTK_SEV_WARNING, 39, "size is 0"));
	assert_true(has_problem(&s, MTK_SEV_WARNING, 24, "gap") == false);
	assert_true(has_problem(&s, MTK_SEV_WARNING, 39, "gap of 0x1000 bytes"));
	assert_null(part(&s, "misc")->file);
	assert_true(has_problem(&s, MTK_SEV_WARNING, 54, "file_name is NONE"));
	mtk_scatter_free(&s);
}

static size_t problems_with(const struct mtk_scatter *s, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < s->problems.count; i++)
		n += strstr(s->problems.items[i].message, needle) != NULL;
	return n;
}

/* A name given three times: one finding for each repeat, naming the first;
 * a case variant of it: one warning, and an exact repeat after the variant
 * is still an error. */
static void test_duplicate_once_each(void **state)
{
	(void)state;
	struct mtk_scatter s;
	const char *text = HDR REC("boot", "a.img", "0x0", "0x1000") REC("Boot", "b.img", "0x1000", "0x1000")
	        REC("boot", "c.img", "0x2000", "0x1000") REC("boot", "d.img", "0x3000", "0x1000");
	assert_int_equal(parse_text(text, NULL, &s, NULL, 0), 0);
	assert_int_equal(problems_with(&s, "duplicate partition name 'boot' (first at line 9)"), 2);
	assert_int_equal(problems_with(&s, "duplicate partition name"), 2);
	assert_int_equal(problems_with(&s, "only in case"), 1);
	assert_true(has_problem(&s, MTK_SEV_WARNING, 24, "'Boot' differs from 'boot' (line 9) only in case"));
	mtk_scatter_free(&s);
}

static void test_order_region_storage(void **state)
{
	(void)state;
	struct mtk_scatter s;
	char text[8192];
	snprintf(text, sizeof text, "%s%s%s", HDR, REC("b", "b.img", "0x4000", "0x1000"),
	         REC("a", "a.img", "0x0", "0x4000"));
	assert_int_equal(parse_text(text, NULL, &s, NULL, 0), 0);
	assert_true(has_problem(&s, MTK_SEV_WARNING, 24, "listed after b"));
	assert_int_equal(mtk_problems_count(&s.problems, MTK_SEV_ERROR), 0);
	mtk_scatter_free(&s);

	char *t2 = strdup(HDR REC("a", "a.img", "0x0", "0x4000"));
	char *r = strstr(t2, "EMMC_USER");
	memcpy(r, "EMMC_MARS", 9);
	assert_int_equal(parse_text(t2, NULL, &s, NULL, 0), 0);
	assert_true(has_problem(&s, MTK_SEV_ERROR, 9, "unknown region 'EMMC_MARS'"));
	mtk_scatter_free(&s);
	free(t2);

	char err[512];
	assert_int_equal(parse_text(HDR REC("a", "a.img", "0x0", "0x4000"), "ufs", &s, err, sizeof err),
	                 MTK_E_NOTFOUND);
	assert_non_null(strstr(err, "no ufs layout (it has: emmc)"));
	assert_int_equal(parse_text(HDR REC("a", "a.img", "0x0", "0x4000"), "sdcard", &s, err, sizeof err),
	                 MTK_E_INVAL);
}

static void expect_parse_error(const char *text, const char *needle)
{
	struct mtk_scatter s;
	char err[512];
	int rc = parse_text(text, NULL, &s, err, sizeof err);
	if (rc != MTK_E_PARSE)
		fail_msg("expected MTK_E_PARSE for '%s', got %d", needle, rc);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
	assert_int_equal(s.count, 0);
	assert_null(s.parts);
}

static void test_hard_errors(void **state)
{
	(void)state;
	/* Truncated: the last record stops before its size. */
	expect_parse_error(HDR "- partition_index: SYS0\n  partition_name: boot\n  linear_start_addr: 0x0\n",
	                   "t.txt:9: partition record SYS0 has no partition_size");
	expect_parse_error(HDR "- partition_index: SYS0\n  partition_name: boot\n  linear_start_addr: 0xZZ\n",
	                   "t.txt:11: linear_start_addr: '0xZZ' is not a number");
	expect_parse_error(HDR "- partition_index: SYS0\n  partition_name: boot\n  is_download: maybe\n",
	                   "t.txt:11: is_download: 'maybe' is neither true nor false");
	expect_parse_error(HDR "- partition_index: SYS0\n  partition_name: a\n  partition_name: b\n",
	                   "t.txt:11: 'partition_name' given twice");
	expect_parse_error(HDR "- partition_index: SYS0\n  this line has no colon\n",
	                   "t.txt:10: expected 'key: value'");
	expect_parse_error(HDR "- partition_index: SYS0\n  linear_start_addr: 0x10000000000000000\n",
	                   "is not a number");
	expect_parse_error("hello world\n", "t.txt:1: not a scatter file");
	expect_parse_error("", "not a scatter file");
	expect_parse_error(HDR, "t.txt: no partition records");
	/* v1.0: a block never closed, a block with content, a missing block. */
	expect_parse_error("PRELOADER 0x0\n{\n}\nMBR 0x600000\n{\n",
	                   "t.txt:5: the block of 'MBR' is never closed");
	expect_parse_error("PRELOADER 0x0\n{\nfile = x\n}\n",
	                   "t.txt:3: unexpected 'file = x' inside the block");
	expect_parse_error("PRELOADER 0x0\n{\n}\nMBR 0x600000\n", "t.txt:4: 'MBR' has no '{' '}' block");
	expect_parse_error("PRELOADER 0x0\nMBR zz\n", "t.txt:2: expected 'NAME 0xADDRESS'");
	/* XML: unclosed, mismatched, junk. */
	expect_parse_error("<?xml version=\"1.0\"?>\n<root>\n<general name=\"MTK_PLATFORM_CFG\">\n",
	                   "t.txt:3: <general> is never closed");
	expect_parse_error("<root>\n<partition_index name=\"SYS0\">\n<partition_name>a</file_name>\n",
	                   "t.txt:3: '</file_name>' closes <partition_name>");
	expect_parse_error("<root><partition_index name=\"SYS0\"><partition_name>a&bogus;</partition_name>",
	                   "unsupported entity");
	/* A NUL byte. */
	struct mtk_scatter s;
	char err[256];
	mtk_ctx *ctx = mtk_ctx_new();
	static const uint8_t nul[] = "- general: MTK_PLATFORM_CFG\n\0\n";
	assert_int_equal(mtk_scatter_parse(ctx, "n.txt", nul, sizeof nul, NULL, &s), MTK_E_PARSE);
	snprintf(err, sizeof err, "%s", mtk_ctx_error(ctx));
	assert_non_null(strstr(err, "n.txt:2: NUL byte"));
	mtk_ctx_free(ctx);
}

/* CRLF, tabs, upper-case hex, quotes, trailing blanks: all the same file. */
static void test_crlf_tabs_hexcase(void **state)
{
	(void)state;
	const char *text =
	        "- general: MTK_PLATFORM_CFG\r\n  info: \r\n\t- config_version: V1.1.2\t\r\n"
	        "      platform: \"MT6765\"\r\n      storage: EMMC\r\n      block_size: 0X20000\r\n"
	        "- partition_index: SYS0\r\n\tpartition_name: boot   \r\n  file_name: boot.img\r\n"
	        "  is_download: TRUE\r\n  linear_start_addr: 0x00\r\n  partition_size: 0xABCDEF00\r\n"
	        "  region: emmc_user\r\n";
	struct mtk_scatter s;
	char err[256];
	assert_int_equal(parse_text(text, NULL, &s, err, sizeof err), 0);
	assert_string_equal(s.platform, "MT6765");
	assert_int_equal(s.block_size, 0x20000);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.parts[0].name, "boot");
	assert_true(s.parts[0].download);
	assert_int_equal(s.parts[0].size, 0xABCDEF00);
	assert_int_equal(s.parts[0].region, MTK_REGION_USER);
	assert_int_equal(s.parts[0].line, 7);
	mtk_scatter_free(&s);
}

static void test_v2_synthetic(void **state)
{
	(void)state;
	const char *text =
	        "- general: MTK_PLATFORM_CFG\n  info: \n    - config_version: V2.1.0\n      platform: "
	        "MT6833\n"
	        "- storage_type: UFS\n  description: \n  - general: MTK_STORAGE_CFG\n    info: \n"
	        "      - storage: UFS\n        boot_channel: UFSHCI_0\n        block_size: 0x80000\n"
	        "  - partition_index: SYS0\n    partition_name: a\n    linear_start_addr: 0x0\n"
	        "    partition_size: 0x1000\n    region: UFS_LU2\n"
	        "- storage_type: EMMC\n  description: \n  - general: MTK_STORAGE_CFG\n    info: \n"
	        "      - storage: EMMC\n        block_size: 0x20000\n"
	        "  - partition_index: SYS0\n    partition_name: b\n    linear_start_addr: 0x0\n"
	        "    partition_size: 0x2000\n    region: EMMC_USER\n";
	struct mtk_scatter s;
	assert_int_equal(parse_text(text, NULL, &s, NULL, 0), 0);
	/* Default: the eMMC layout even though UFS comes first. */
	assert_int_equal(s.storage, MTK_PKG_STORAGE_EMMC);
	assert_string_equal(s.parts[0].name, "b");
	assert_int_equal(s.block_size, 0x20000);
	mtk_scatter_free(&s);
	assert_int_equal(parse_text(text, "ufs", &s, NULL, 0), 0);
	assert_string_equal(s.parts[0].name, "a");
	assert_int_equal(s.parts[0].line, 12);
	mtk_scatter_free(&s);
	expect_parse_error("- storage_type: EMMC\n- storage_type: EMMC\n", "t.txt:2: a second EMMC layout");
	/* The layout asked for exists but is empty. */
	const char *empty = "- general: MTK_PLATFORM_CFG\n- storage_type: UFS\n  description: \n"
	                    "- storage_type: EMMC\n  - partition_index: SYS0\n    partition_name: b\n"
	                    "    linear_start_addr: 0x0\n    partition_size: 0x2000\n    region: EMMC_USER\n";
	char err[256];
	assert_int_equal(parse_text(empty, "ufs", &s, err, sizeof err), MTK_E_PARSE);
	assert_non_null(strstr(err, "t.txt:2: the ufs layout has no partition records"));
	assert_int_equal(parse_text(empty, NULL, &s, err, sizeof err), 0);
	assert_int_equal(s.count, 1);
	mtk_scatter_free(&s);
}

static void test_sniff(void **state)
{
	(void)state;
	assert_true(mtk_scatter_sniff((const uint8_t *)"PRELOADER 0x0\n{\n}\n", 18));
	assert_true(mtk_scatter_sniff((const uint8_t *)"#x\n- general: MTK_PLATFORM_CFG\n", 32));
	assert_false(mtk_scatter_sniff((const uint8_t *)"ANDROID!\0\0\0", 11));
	assert_false(mtk_scatter_sniff((const uint8_t *)"<html><body>", 12));
	assert_false(mtk_scatter_sniff((const uint8_t *)"hello: world\n", 13));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_fixture_parses),
	        cmocka_unit_test(test_mt6572_nevermine17),
	        cmocka_unit_test(test_v10_mt6589),
	        cmocka_unit_test(test_ota_mt6750),
	        cmocka_unit_test(test_v2_emmc_and_ufs_mt6833),
	        cmocka_unit_test(test_v22_preloader_backup_mt6789),
	        cmocka_unit_test(test_xml_matches_text_mt6893),
	        cmocka_unit_test(test_resolve_tail_mt6765),
	        cmocka_unit_test(test_readback_overlap_mt6739),
	        cmocka_unit_test(test_v118_mt6768),
	        cmocka_unit_test(test_crlf_mt6580),
	        cmocka_unit_test(test_tool_made_mt6572),
	        cmocka_unit_test(test_download_without_file_mt6572),
	        cmocka_unit_test(test_x5511b_mt6737m),
	        cmocka_unit_test(test_synthetic_ok),
	        cmocka_unit_test(test_traversal_names),
	        cmocka_unit_test(test_overlap_duplicate_zero),
	        cmocka_unit_test(test_duplicate_once_each),
	        cmocka_unit_test(test_order_region_storage),
	        cmocka_unit_test(test_hard_errors),
	        cmocka_unit_test(test_crlf_tabs_hexcase),
	        cmocka_unit_test(test_v2_synthetic),
	        cmocka_unit_test(test_sniff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
