/* SPDX-License-Identifier: MIT */
/* The full backup unit's manifest (unit.json): what `backup full` writes
 * parses back to the same unit, and hostile manifests are refused with the
 * file, the item and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtkflash/backup_unit.h"
#include "testutil.h"

#define DEV "mt6737-a5cb8d6cba6eb8e7"

static struct mtk_unit sample(void)
{
	static struct mtk_unit_area areas[4] = {
		{ .name = "preloader", .file = "preloader.img", .region = MTK_REGION_BOOT1, .size = 0x400000,
		  .cls = MTK_UNIT_BOOT },
		{ .name = "pgpt", .file = "pgpt.img", .region = MTK_REGION_USER, .size = 0x80000, .cls = MTK_UNIT_TABLE },
		{ .name = "nvram", .file = "nvram.img", .region = MTK_REGION_USER, .offset = 0x380000, .size = 0x500000,
		  .cls = MTK_UNIT_PROTECTED },
		{ .name = "userdata", .file = "userdata.img", .region = MTK_REGION_USER, .offset = 0x1200000,
		  .size = 0x100000, .cls = MTK_UNIT_DATA },
	};
	static struct mtk_unit_bad_range bad = { .area = "userdata", .offset = 0x10000, .length = 0x2000 };
	static struct mtk_unit_skipped rpmb = { .name = "rpmb", .size = 0x400000, .why = "authenticated frames only" };
	struct mtk_unit u = { .device_id = DEV, .chip = "MT6737", .created = "2026-12-03T11:00:00Z",
			      .scatter = "MT6737_Android_scatter.txt", .table_kind = "gpt", .areas = areas, .count = 4,
			      .bad = &bad, .nbad = 1, .skipped = &rpmb, .nskipped = 1 };
	areas[2].sha256[0] = 0xab;
	EVP_Digest(DEV, strlen(DEV), u.device_id_sha256, NULL, EVP_sha256(), NULL);
	for (size_t i = 0; i < u.count; i++)
		u.bytes += areas[i].size;
	return u;
}

static json_t *sample_doc(void)
{
	struct mtk_unit u = sample();
	return mtk_unit_to_json(&u, json_pack("{s:s}", "note", "facts"));
}

static int parse_doc(json_t *doc, struct mtk_unit *out, mtk_ctx *ctx)
{
	char *text = json_dumps(doc, 0);
	int rc = mtk_unit_parse(ctx, text, strlen(text), "unit.json", out);
	free(text);
	return rc;
}

static void round_trip(void **state)
{
	(void)state;
	json_t *doc = sample_doc();
	struct mtk_unit want = sample(), got;
	assert_int_equal(parse_doc(doc, &got, NULL), 0);
	assert_string_equal(got.device_id, DEV);
	assert_memory_equal(got.device_id_sha256, want.device_id_sha256, 32);
	assert_string_equal(got.scatter, want.scatter);
	assert_string_equal(got.table_kind, "gpt");
	assert_int_equal(got.count, 4);
	assert_int_equal(got.bytes, want.bytes);
	for (size_t i = 0; i < got.count; i++) {
		assert_string_equal(got.areas[i].name, want.areas[i].name);
		assert_string_equal(got.areas[i].file, want.areas[i].file);
		assert_int_equal(got.areas[i].region, want.areas[i].region);
		assert_int_equal(got.areas[i].offset, want.areas[i].offset);
		assert_int_equal(got.areas[i].size, want.areas[i].size);
		assert_int_equal(got.areas[i].cls, want.areas[i].cls);
		assert_memory_equal(got.areas[i].sha256, want.areas[i].sha256, 32);
	}
	assert_int_equal(got.nbad, 1);
	assert_string_equal(got.bad[0].area, "userdata");
	assert_int_equal(got.bad[0].offset, 0x10000);
	assert_int_equal(got.bad[0].length, 0x2000);
	assert_int_equal(got.nskipped, 1);
	assert_string_equal(got.skipped[0].name, "rpmb");
	assert_non_null(mtk_unit_find(&got, "nvram"));
	assert_null(mtk_unit_find(&got, "NVRAM"));
	mtk_unit_free(&got);
	json_decref(doc);
}

static void classes(void **state)
{
	(void)state;
	assert_int_equal(mtk_unit_class_of("preloader", MTK_REGION_BOOT1), MTK_UNIT_BOOT);
	assert_int_equal(mtk_unit_class_of("boot2", MTK_REGION_BOOT2), MTK_UNIT_BOOT);
	assert_int_equal(mtk_unit_class_of("EBR2", MTK_REGION_USER), MTK_UNIT_TABLE);
	assert_int_equal(mtk_unit_class_of("PMT", MTK_REGION_USER), MTK_UNIT_TABLE);
	assert_int_equal(mtk_unit_class_of("NVRAM", MTK_REGION_USER), MTK_UNIT_PROTECTED);
	assert_int_equal(mtk_unit_class_of("proinfo", MTK_REGION_USER), MTK_UNIT_PROTECTED);
	assert_int_equal(mtk_unit_class_of("system", MTK_REGION_USER), MTK_UNIT_DATA);
	assert_string_equal(mtk_unit_class_name(MTK_UNIT_PROTECTED), "protected");
}

/* One edit of the sample document and the words the refusal must hold. */
struct hostile {
	const char *what;
	void (*edit)(json_t *doc);
	const char *expect;
};

static json_t *area(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "areas"), i);
}

static void path_file(json_t *d) { json_object_set_new(area(d, 3), "file", json_string("../userdata.img")); }
static void slash_file(json_t *d) { json_object_set_new(area(d, 3), "file", json_string("a/b")); }
static void bad_region(json_t *d) { json_object_set_new(area(d, 0), "region", json_string("rpmb2")); }
static void short_sha(json_t *d) { json_object_set_new(area(d, 1), "sha256", json_string("abcd")); }
static void neg_size(json_t *d) { json_object_set_new(area(d, 2), "size", json_integer(-1)); }
static void overflow(json_t *d)
{
	for (size_t i = 1; i < 4; i++)
		json_object_set_new(area(d, i), "size", json_integer(INT64_MAX));
}
/* A protected partition dressed as data would slip past the foreign-phone check. */
static void wrong_class(json_t *d) { json_object_set_new(area(d, 2), "class", json_string("data")); }
static void dup_name(json_t *d)
{
	json_object_set_new(area(d, 3), "name", json_string("nvram"));
	json_object_set_new(area(d, 3), "class", json_string("protected"));
}
static void dup_file(json_t *d) { json_object_set_new(area(d, 3), "file", json_string("nvram.img")); }
static void no_areas(json_t *d) { json_object_set_new(d, "areas", json_array()); }
static void other_format(json_t *d) { json_object_set_new(d, "format", json_string("mtkflash-backup 1")); }
static void dev_hash(json_t *d) { json_object_set_new(d, "device_id", json_string("mt6737-0000000000000000")); }
static void scatter_path(json_t *d) { json_object_set_new(d, "scatter", json_string("../x.txt")); }
static void bad_outside(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "bad_ranges"), 0), "length", json_integer(0x200000));
}
static void bad_unknown(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "bad_ranges"), 0), "area", json_string("nope"));
}
static void skipped_why(json_t *d) { json_object_del(json_array_get(json_object_get(d, "not_backed_up"), 0), "why"); }

static void hostile(void **state)
{
	(void)state;
	static const struct hostile cases[] = {
		{ "path as file", path_file, "areas[3]: file '../userdata.img' is not a plain file name" },
		{ "slash in file", slash_file, "not a plain file name" },
		{ "unknown region", bad_region, "areas[0] (preloader): bad region" },
		{ "short sha256", short_sha, "areas[1] (pgpt)" },
		{ "negative size", neg_size, "areas[2] (nvram)" },
		{ "sizes overflow", overflow, "sizes overflow" },
		{ "protected named data", wrong_class, "class data, but a user area is protected" },
		{ "same name twice", dup_name, "same name or file" },
		{ "same file twice", dup_file, "same name or file" },
		{ "no areas", no_areas, "no areas" },
		{ "store manifest", other_format, "not a backup unit manifest" },
		{ "device id changed", dev_hash, "is not the SHA-256 of device_id" },
		{ "scatter path", scatter_path, "scatter is not a plain file name" },
		{ "bad range outside", bad_outside, "bad_ranges[0]" },
		{ "bad range of no area", bad_unknown, "bad_ranges[0]" },
		{ "skipped without why", skipped_why, "not_backed_up[0]" },
	};
	mtk_ctx *ctx = mtk_ctx_new();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *doc = sample_doc();
		cases[i].edit(doc);
		struct mtk_unit u;
		int rc = parse_doc(doc, &u, ctx);
		json_decref(doc);
		if (rc != MTK_E_PARSE || !strstr(mtk_ctx_error(ctx), cases[i].expect))
			fail_msg("%s: rc %d, '%s' (wanted '%s')", cases[i].what, rc, mtk_ctx_error(ctx), cases[i].expect);
		assert_null(u.areas);
		mtk_ctx_clear_error(ctx);
	}
	mtk_ctx_free(ctx);
}

static void not_json(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_unit u;
	static const char text[] = "{\"format\": \"mtkflash-backup-unit 1\",\n \"format\": 2}";
	assert_int_equal(mtk_unit_parse(ctx, text, strlen(text), "DIR/unit.json", &u), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "DIR/unit.json: line 2"));
	assert_int_equal(mtk_unit_parse(ctx, "[1]", 3, "DIR/unit.json", &u), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "not a JSON object"));
	mtk_ctx_free(ctx);
}

/* --compress and its way back: the bytes and their SHA-256 come back, zero
 * blocks as holes; a stream longer than the area, a cut one, or not zstd at
 * all is refused without writing past the area. */
static void zstd_round_trip(void **state)
{
	(void)state;
	char dir[256], img[300], zst[300], out[300];
	test_mkdtemp(dir, sizeof dir, "test_backup_unit");
	enum { SIZE = 3 << 20 };
	uint8_t *data = calloc(1, SIZE);
	for (size_t i = 0; i < 4096; i++)
		data[(1 << 20) + i] = (uint8_t)(i * 7 + 1);
	test_write_file(dir, "a.img", data, SIZE);
	test_path(img, sizeof img, dir, "a.img");
	test_path(zst, sizeof zst, dir, "a.img.zst");
	test_path(out, sizeof out, dir, "out.img");
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_unit_compress(ctx, img, zst, 0), 0);
	uint8_t sha[32], want[32];
	EVP_Digest(data, SIZE, want, NULL, EVP_sha256(), NULL);
	assert_int_equal(mtk_unit_decompress(ctx, zst, out, SIZE, sha), 0);
	assert_memory_equal(sha, want, 32);
	size_t len;
	uint8_t *back = test_load(out, &len);
	assert_int_equal(len, SIZE);
	assert_memory_equal(back, data, SIZE);
	free(back);
	unlink(out);

	assert_int_equal(mtk_unit_decompress(ctx, zst, out, SIZE - 512, sha), MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(ctx), "holds more than the area's"));
	assert_int_equal(access(out, F_OK), -1);
	assert_int_equal(mtk_unit_decompress(ctx, zst, out, SIZE + 512, sha), MTK_E_VERIFY);

	uint8_t *z = test_load(zst, &len);
	test_write_file(dir, "cut.zst", z, len / 2);
	test_path(zst, sizeof zst, dir, "cut.zst");
	assert_int_equal(mtk_unit_decompress(ctx, zst, out, SIZE, sha), MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(ctx), "cut short"));
	test_write_file(dir, "junk.zst", "not zstd at all", 15);
	test_path(zst, sizeof zst, dir, "junk.zst");
	assert_int_equal(mtk_unit_decompress(ctx, zst, out, SIZE, sha), MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(ctx), "not a whole zstd stream"));
	assert_int_equal(access(out, F_OK), -1);
	free(z);
	free(data);
	mtk_ctx_free(ctx);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(classes),
		cmocka_unit_test(hostile),
		cmocka_unit_test(not_json),
		cmocka_unit_test(zstd_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
