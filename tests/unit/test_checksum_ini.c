/* SPDX-License-Identifier: MIT */
/* image/checksum_ini: the real Checksum.ini files parse; a package is
 * verified image by image. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtkflash/checksum_ini.h"
#include "testutil.h"

static void parse_fixture(const char *sub, const char *name, struct mtk_checksum_ini *c,
                          struct mtk_scatter *s)
{
	char path[4096];
	test_fixture_path(path, sizeof path, sub, name);
	size_t len;
	uint8_t *b = test_load(path, &len);
	mtk_ctx *ctx = mtk_ctx_new();
	int rc = c ? mtk_checksum_ini_parse(ctx, name, b, len, c)
	           : mtk_scatter_parse(ctx, name, b, len, NULL, s);
	if (rc < 0)
		fail_msg("%s: %s", name, mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
	free(b);
}

static void test_every_fixture_parses(void **state)
{
	(void)state;
	char dir[4096];
	test_path(dir, sizeof dir, test_fixtures(), "checksum");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 4, ".ini") != 0)
			continue;
		struct mtk_checksum_ini c;
		parse_fixture("checksum", e->d_name, &c, NULL);
		assert_string_equal(c.version, "V1");
		assert_int_equal(c.enabled, 1);
		assert_true(c.count >= 10);
		mtk_checksum_ini_free(&c);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 4);
}

/* Values read from the files by hand. */
static void test_x5511b(void **state)
{
	(void)state;
	struct mtk_checksum_ini c;
	parse_fixture("checksum", "MT6737M__ksauraj_device_x5511B_dump__Checksum.ini", &c, NULL);
	assert_string_equal(c.tool, "v5.1540.00");
	assert_string_equal(c.change_id, "1556272127");
	assert_int_equal(c.count, 11);
	assert_string_equal(c.entries[0].name, "preloader");
	assert_int_equal(c.entries[0].value, 0x7EAD);
	assert_int_equal(c.entries[0].line, 8);
	assert_int_equal(mtk_checksum_ini_find(&c, "tee1")->value, 0x85A3);
	assert_int_equal(mtk_checksum_ini_find(&c, "tee2")->value, 0x85A3);
	assert_int_equal(mtk_checksum_ini_find(&c, "system")->value, 0x09ED);
	assert_int_equal(mtk_checksum_ini_find(&c, "userdata")->value, 0xB1E1);
	assert_null(mtk_checksum_ini_find(&c, "nvram"));
	/* Every key names a partition of the same package's scatter file. */
	struct mtk_scatter s;
	parse_fixture("scatter", "MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt", NULL,
	              &s);
	for (size_t i = 0; i < c.count; i++)
		if (!mtk_scatter_find(&s, c.entries[i].name))
			fail_msg("%s not in the scatter", c.entries[i].name);
	mtk_scatter_free(&s);
	mtk_checksum_ini_free(&c);
}

static void test_mt8167_short_value(void **state)
{
	(void)state;
	struct mtk_checksum_ini c;
	parse_fixture("checksum", "MT8167__gohj99_GongChengROM__Checksum.ini", &c, NULL);
	assert_string_equal(c.tool, "v5.1832.00");
	assert_int_equal(c.count, 10);
	assert_int_equal(mtk_checksum_ini_find(&c, "system_a")->value, 0x886); /* written "0x886" */
	assert_int_equal(mtk_checksum_ini_find(&c, "lk_a")->value, 0x2CB4);
	struct mtk_scatter s;
	parse_fixture("scatter", "MT8167__gohj99_GongChengROM__MT8167_Android_scatter.txt", NULL, &s);
	for (size_t i = 0; i < c.count; i++)
		assert_non_null(mtk_scatter_find(&s, c.entries[i].name));
	mtk_scatter_free(&s);
	mtk_checksum_ini_free(&c);
}

static void test_counts(void **state)
{
	(void)state;
	struct mtk_checksum_ini c;
	parse_fixture("checksum", "MT6765__Omargamal7_Lenovo-ksu__Checksum.ini", &c, NULL);
	assert_int_equal(c.count, 21);
	assert_int_equal(mtk_checksum_ini_find(&c, "lenovocust")->value, 0x9960);
	mtk_checksum_ini_free(&c);
	parse_fixture("checksum", "MT6765__pangudeals_Infinix_Hot_11_Play_x688b_v865_FIles__Checksum.ini", &c,
	              NULL);
	assert_int_equal(c.count, 25);
	assert_string_equal(c.tool, "v5.2128.02");
	assert_int_equal(mtk_checksum_ini_find(&c, "gz1")->value, 0x0437);
	mtk_checksum_ini_free(&c);
}

static void expect_error(const char *text, const char *needle)
{
	struct mtk_checksum_ini c;
	mtk_ctx *ctx = mtk_ctx_new();
	int rc = mtk_checksum_ini_parse(ctx, "C.ini", (const uint8_t *)text, strlen(text), &c);
	if (rc != MTK_E_PARSE || !strstr(mtk_ctx_error(ctx), needle))
		fail_msg("rc %d, '%s' lacks '%s'", rc, mtk_ctx_error(ctx), needle);
	mtk_ctx_free(ctx);
}

static void test_hostile(void **state)
{
	(void)state;
	expect_error("[CheckSum]\nboot=0xZZ\n", "C.ini:2: checksum is not a 0x-hex number");
	expect_error("[CheckSum]\nboot=1234\n", "C.ini:2: checksum is not a 0x-hex number");
	expect_error("[CheckSum]\nboot=0x10000\n", "C.ini:2: checksum does not fit 16 bits");
	expect_error("[CheckSum]\nboot=0x1\nboot=0x2\n", "C.ini:3: 'boot' listed twice (first at line 2)");
	expect_error("boot=0x1\n", "C.ini:1: key outside any [section]");
	expect_error("[VERSION]\nVERSION=V1\n", "C.ini: no [CheckSum] section");
	expect_error("[CheckSum\nboot=0x1\n", "C.ini:1: section header without ']'");
	expect_error("[IsEnableChecksum]\nCHECKSUM_SWITCH=2\n[CheckSum]\n", "C.ini:2: CHECKSUM_SWITCH");
	expect_error("[CheckSum]\njunk\n", "C.ini:2: expected 'key=value'");
	/* Unknown sections (an MD5 "V2" block) are skipped, CRLF is fine. */
	struct mtk_checksum_ini c;
	const char *ok =
	        "[VERSION]\r\nVERSION=V1\r\n[CHECKSUM_V2]\r\nboot=d41d8cd98f00b204e9800998ecf8427e\r\n"
	        "[CheckSum]\r\nboot = 0x00ff \r\n; comment\r\n";
	assert_int_equal(mtk_checksum_ini_parse(NULL, "ok.ini", (const uint8_t *)ok, strlen(ok), &c), 0);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.entries[0].value, 0xFF);
	assert_int_equal(c.other_sections, 1);
	assert_int_equal(c.enabled, -1);
	mtk_checksum_ini_free(&c);
}

/* ------------------------------------------------------------ verifying a package */

static char tmpdir[256];

/* The V1 rule stated independently: add every byte, keep 16 bits. */
static unsigned byte_sum(const uint8_t *b, size_t n)
{
	unsigned long total = 0;
	for (size_t i = 0; i < n; i++)
		total += b[i];
	return (unsigned)(total % 65536);
}

#define REC(name, file, start)                                                                               \
	"- partition_index: SYS0\n  partition_name: " name "\n  file_name: " file "\n  is_download: true\n"  \
	"  linear_start_addr: " start "\n  partition_size: 0x100000\n  region: EMMC_USER\n"

static void test_verify_package(void **state)
{
	(void)state;
	test_mkdtemp(tmpdir, sizeof tmpdir, "test_checksum_ini");
	/* boot.img: 1000 bytes of 0xFF plus a tail, so the sum wraps 16 bits. */
	uint8_t boot[1003];
	memset(boot, 0xFF, 1000);
	boot[1000] = 1, boot[1001] = 2, boot[1002] = 3;
	unsigned boot_sum = byte_sum(boot, sizeof boot);
	assert_int_equal(boot_sum, (1000 * 255 + 6) & 0xFFFF);
	test_write_file(tmpdir, "boot.img", boot, sizeof boot);
	const uint8_t logo[] = "logo";
	test_write_file(tmpdir, "logo.bin", logo, 4);
	test_write_file(tmpdir, "lk.bin", "abc", 3);
	char ini[512];
	snprintf(ini, sizeof ini,
	         "[VERSION]\nVERSION=V1\n[IsEnableChecksum]\nCHECKSUM_SWITCH=1\n[CheckSum]\nboot=0x%04X\n"
	         "logo=0x%04X\nrecovery=0x1234\nghost=0x0001\n",
	         boot_sum, (byte_sum(logo, 4) + 1) & 0xFFFF);
	const char *sc = "- general: MTK_PLATFORM_CFG\n  info: \n    - config_version: V1.1.2\n      "
	                 "storage: EMMC\n" REC("boot", "boot.img", "0x0") REC("logo", "logo.bin", "0x100000")
	                         REC("lk", "lk.bin", "0x200000") REC("recovery", "recovery.img", "0x300000");
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_checksum_ini c;
	struct mtk_scatter s;
	assert_int_equal(mtk_checksum_ini_parse(ctx, "Checksum.ini", (const uint8_t *)ini, strlen(ini), &c),
	                 0);
	assert_int_equal(mtk_scatter_parse(ctx, "s.txt", (const uint8_t *)sc, strlen(sc), NULL, &s), 0);
	struct mtk_cks_result *r;
	size_t n;
	int bad = mtk_checksum_ini_verify(ctx, &c, &s, tmpdir, &r, &n);
	assert_int_equal(bad, 4);
	assert_int_equal(n, 5);
	assert_string_equal(r[0].name, "boot");
	assert_int_equal(r[0].status, MTK_CKS_MATCH);
	assert_int_equal(r[0].got, boot_sum);
	assert_int_equal(r[1].status, MTK_CKS_MISMATCH);
	assert_int_equal(r[1].got, byte_sum(logo, 4));
	assert_int_equal(r[1].expected, (byte_sum(logo, 4) + 1) & 0xFFFF);
	assert_int_equal(r[1].line, 7);
	assert_int_equal(r[2].status, MTK_CKS_NOT_LISTED);
	assert_int_equal(r[2].got, 'a' + 'b' + 'c');
	assert_int_equal(r[3].status, MTK_CKS_MISSING);
	assert_string_equal(r[4].name, "ghost");
	assert_int_equal(r[4].status, MTK_CKS_NO_PARTITION);
	free(r);

	/* One pass gives size, SHA-256 (FIPS 180-2 "abc") and the V1 sum. */
	char path[512];
	test_path(path, sizeof path, tmpdir, "lk.bin");
	uint64_t size;
	uint8_t sha[32];
	uint16_t sum;
	assert_int_equal(mtk_image_digest_file(ctx, path, &size, sha, &sum), 0);
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	                                0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	                                0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	assert_memory_equal(sha, abc, 32);
	assert_int_equal(size, 3);
	assert_int_equal(sum, 0x126);
	test_path(path, sizeof path, tmpdir, "nope.img");
	assert_int_equal(mtk_image_digest_file(ctx, path, &size, sha, &sum), MTK_E_NOTFOUND);

	mtk_scatter_free(&s);
	mtk_checksum_ini_free(&c);
	mtk_ctx_free(ctx);
	test_rmtree(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_fixture_parses),
	        cmocka_unit_test(test_x5511b),
	        cmocka_unit_test(test_mt8167_short_value),
	        cmocka_unit_test(test_counts),
	        cmocka_unit_test(test_hostile),
	        cmocka_unit_test(test_verify_package),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
