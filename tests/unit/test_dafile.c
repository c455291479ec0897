/* SPDX-License-Identifier: MIT */
/* DA container files: both entry layouts, hostile and truncated files, the
 * entry-selection rules, and the build's synthetic DA file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "core/bytes.h"
#include "mtkflash/chips.h"
#include "mtkflash/dafile.h"

/* ---- a DA file builder -------------------------------------------------- */

struct tent {
	uint16_t hw_code, sub, hw_ver, sw_ver, index, nregions;
	uint32_t lens[4];
	uint32_t addrs[4];
	uint32_t sigs[4];
};

/* Header, `n` entries of `stride` bytes, then each region's data (bytes
 * equal to the entry index + region index, so tests can tell them apart). */
static uint8_t *build(const struct tent *t, size_t n, unsigned stride, const char *desc, size_t *len_out)
{
	size_t data = MTK_DA_HEADER_SIZE + n * stride, total = data;
	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < t[i].nregions; r++)
			total += t[i].lens[r];
	uint8_t *f = calloc(1, total);
	memcpy(f, "MTK_DOWNLOAD_AGENT", 18);
	strcpy((char *)f + 0x20, desc);
	mtk_put_u32le(f + 0x60, 4);
	mtk_put_u32le(f + 0x64, 0x22668899);
	mtk_put_u32le(f + 0x68, (uint32_t)n);
	size_t off = data;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = f + MTK_DA_HEADER_SIZE + i * stride;
		mtk_put_u16le(e, 0xDADA);
		mtk_put_u16le(e + 2, t[i].hw_code);
		mtk_put_u16le(e + 4, t[i].sub);
		mtk_put_u16le(e + 6, t[i].hw_ver);
		uint8_t *p = e + 8;
		if (stride == MTK_DA_ENTRY_NEW) {
			mtk_put_u16le(p, t[i].sw_ver);
			p += 4;
		}
		p += 4; /* feature set */
		mtk_put_u16le(p, t[i].index);
		mtk_put_u16le(p + 2, t[i].nregions);
		p += 4;
		for (int r = 0; r < t[i].nregions; r++, p += 20) {
			mtk_put_u32le(p, (uint32_t)off);
			mtk_put_u32le(p + 4, t[i].lens[r]);
			mtk_put_u32le(p + 8, t[i].addrs[r]);
			mtk_put_u32le(p + 12, t[i].lens[r] - t[i].sigs[r]);
			mtk_put_u32le(p + 16, t[i].sigs[r]);
			memset(f + off, (int)(0x10 * i + r), t[i].lens[r]);
			off += t[i].lens[r];
		}
	}
	*len_out = total;
	return f;
}

#define LEGACY3(code, hv, sv) \
	{ code, 0, hv, sv, 1, 3, { 0x40, 0x300, 0x800, 0 }, { 0x50000000, 0x200000, 0x40000000, 0 }, { 0, 0x100, 0x100, 0 } }

static const struct tent three[] = {
	LEGACY3(0x6580, 0xCA00, 0),
	LEGACY3(0x6735, 0xCB00, 0), /* newer silicon revision than our device */
	LEGACY3(0x6735, 0xCA00, 0),
};

static void test_new_layout(void **state)
{
	(void)state;
	size_t len;
	uint8_t *f = build(three, 3, MTK_DA_ENTRY_NEW, "MTK_AllInOne_DA_v3.3001", &len);
	struct mtk_dafile d;
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "t.bin", &d), 0);
	assert_int_equal(d.entry_size, 0xDC);
	assert_int_equal(d.count, 3);
	assert_false(d.v6);
	assert_string_equal(d.description, "MTK_AllInOne_DA_v3.3001");
	const struct mtk_da_entry *e = &d.entries[2];
	assert_int_equal(e->hw_code, 0x6735);
	assert_int_equal(e->hw_version, 0xCA00);
	assert_int_equal(e->file_offset, 0x6C + 2 * 0xDC);
	assert_int_equal(e->da1, 1);
	assert_int_equal(e->da2, 2);
	assert_int_equal(e->regions[1].len, 0x300);
	assert_int_equal(e->regions[1].sig_len, 0x100);
	assert_int_equal(e->regions[1].sig_offset, 0x200);
	assert_int_equal(e->regions[2].addr, 0x40000000);
	assert_int_equal(f[e->regions[1].offset], 0x21);
	mtk_dafile_free(&d);
	free(f);
}

static void test_old_layout(void **state)
{
	(void)state;
	size_t len;
	uint8_t *f = build(three, 3, MTK_DA_ENTRY_OLD, "MTK_AllInOne_DA_v3", &len);
	struct mtk_dafile d;
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "old.bin", &d), 0);
	assert_int_equal(d.entry_size, 0xD8);
	assert_int_equal(d.entries[1].hw_code, 0x6735);
	assert_int_equal(d.entries[1].hw_version, 0xCB00);
	assert_int_equal(d.entries[1].sw_version, 0);
	assert_int_equal(d.entries[1].region_count, 3);
	assert_int_equal(d.entries[1].regions[2].len, 0x800);
	assert_int_equal(f[d.entries[1].regions[2].offset], 0x12);
	mtk_dafile_free(&d);
	free(f);

	/* One entry: no second magic to look at; the region count decides. */
	f = build(three, 1, MTK_DA_ENTRY_OLD, "x", &len);
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "one.bin", &d), 0);
	assert_int_equal(d.entry_size, 0xD8);
	assert_int_equal(d.entries[0].region_count, 3);
	mtk_dafile_free(&d);
	free(f);
}

/* IoT files: region 1 empty, DA1 named by entry_region_index (§1.4). */
static void test_iot_entry(void **state)
{
	(void)state;
	struct tent t = { 0x2625, 0, 0, 0, 2, 4, { 0x40, 0, 0x200, 0x100 }, { 0x04015000, 0, 0x04008000, 0x20000 },
			  { 0, 0, 0, 0 } };
	size_t len;
	uint8_t *f = build(&t, 1, MTK_DA_ENTRY_NEW, "MTK_AllInOne_DA_v2.7.3.00", &len);
	struct mtk_dafile d;
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "iot.bin", &d), 0);
	assert_int_equal(d.entries[0].da1, 2);
	assert_int_equal(d.entries[0].da2, 3);
	mtk_dafile_free(&d);
	free(f);
}

static void expect_parse_error(uint8_t *f, size_t len, const char *needle)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_dafile d;
	int rc = mtk_dafile_parse(ctx, f, len, "bad.bin", &d);
	assert_int_equal(rc, MTK_E_PARSE);
	const char *msg = mtk_ctx_error(ctx);
	if (!strstr(msg, needle))
		fail_msg("error '%s' lacks '%s'", msg, needle);
	assert_non_null(strstr(msg, "bad.bin"));
	mtk_ctx_free(ctx);
}

static void test_hostile(void **state)
{
	(void)state;
	size_t len;
	uint8_t *f = build(three, 3, MTK_DA_ENTRY_NEW, "d", &len);

	memcpy(f, "PK\x03\x04", 4);
	expect_parse_error(f, len, "not a DA file: header at offset 0 is \"PK\\x03\\x04");
	memcpy(f, "MTK_", 4);

	mtk_put_u32le(f + 0x64, 0x12345678);
	expect_parse_error(f, len, "magic at offset 0x64 is 0x12345678");
	mtk_put_u32le(f + 0x64, 0x22668899);

	mtk_put_u32le(f + 0x68, 0x40000000);
	expect_parse_error(f, len, "cannot hold that many entries");
	mtk_put_u32le(f + 0x68, 0);
	expect_parse_error(f, len, "at least one");
	mtk_put_u32le(f + 0x68, 3);

	size_t e1 = 0x6C + 0xDC;
	mtk_put_u16le(f + e1, 0xBEEF);
	expect_parse_error(f, len, "entry 1 at offset 0x148: magic is 0xbeef");
	mtk_put_u16le(f + e1, 0xDADA);

	mtk_put_u16le(f + e1 + 0x12, 11);
	expect_parse_error(f, len, "claims 11 regions");
	mtk_put_u16le(f + e1 + 0x12, 3);

	/* Region 2 pointing past the end, and an offset+length that wraps. */
	uint8_t *r2 = f + e1 + 0x14 + 2 * 20;
	uint32_t saved = mtk_get_u32le(r2);
	mtk_put_u32le(r2, (uint32_t)len - 0x10);
	expect_parse_error(f, len, "region 2: data");
	mtk_put_u32le(r2, 0xFFFFFF00u);
	expect_parse_error(f, len, "runs past the end of the file");
	mtk_put_u32le(r2, saved);

	mtk_put_u32le(r2 + 16, 0x900);
	expect_parse_error(f, len, "signature length 0x900 exceeds the region length 0x800");
	mtk_put_u32le(r2 + 16, 0x100);

	/* Every truncation fails cleanly (the data of the last region is at the end). */
	for (size_t cut = 0; cut < len; cut += (cut < 0x400 ? 1 : 61)) {
		struct mtk_dafile d;
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, f, cut);
		assert_true(mtk_dafile_parse(NULL, copy, cut, "cut.bin", &d) < 0);
		free(copy);
	}
	free(f);
}

static const struct mtk_chip *chip(const char *name)
{
	const struct mtk_chip *c = mtk_chip_by_name(name);
	assert_non_null(c);
	return c;
}

static void test_select_rules(void **state)
{
	(void)state;
	size_t len;
	uint8_t *f = build(three, 3, MTK_DA_ENTRY_NEW, "d", &len);
	struct mtk_dafile d;
	struct mtk_da_choice ch;
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "t.bin", &d), 0);

	/* MT6737 reports hw_ver 0xCA00: the 0xCB00 entry is too new, the third fits. */
	assert_int_equal(mtk_dafile_select(NULL, &d, "t.bin", chip("MT6737"), 0x8A00, 0xCA00, 0, &ch), 0);
	assert_ptr_equal(ch.entry, &d.entries[2]);
	assert_int_equal(ch.family, MTK_DA_LEGACY);
	assert_int_equal(ch.da1.addr, 0x200000);
	assert_int_equal(ch.da1.len, 0x300);
	assert_int_equal(ch.da1.sig_len, 0x100);
	assert_ptr_equal(ch.da1.data, f + d.entries[2].regions[1].offset);
	assert_int_equal(ch.da2.addr, 0x40000000);
	assert_int_equal(ch.da2.len, 0x800);

	/* hw_ver 0 means "unknown": the first entry for the code wins. */
	assert_int_equal(mtk_dafile_select(NULL, &d, "t.bin", chip("MT6735"), 0, 0, 0, &ch), 0);
	assert_ptr_equal(ch.entry, &d.entries[1]);

	/* A newer device takes the first entry that fits... */
	assert_int_equal(mtk_dafile_select(NULL, &d, "t.bin", chip("MT6753"), 0, 0xCB00, 0, &ch), 0);
	assert_ptr_equal(ch.entry, &d.entries[1]);
	/* ...even when a later one matches its hw_sub_code exactly: the first
	 * eligible entry wins (§1.5); the sub code is only reported. */
	d.entries[2].hw_sub_code = 0x8A00;
	assert_int_equal(mtk_dafile_select(NULL, &d, "t.bin", chip("MT6753"), 0x8A00, 0xCB00, 0, &ch), 0);
	assert_ptr_equal(ch.entry, &d.entries[1]);
	assert_int_equal(ch.index, 1);
	if (!strstr(ch.why, "DA entry 1 of 3 in t.bin (hw_code 0x6735 hw_ver 0xcb00") ||
	    !strstr(ch.why, "first for MT6753 not newer than the device (hw_ver 0xcb00 sw_ver 0x0000 sub 0x8a00)") ||
	    !strstr(ch.why, "legacy protocol"))
		fail_msg("why: %s", ch.why);

	/* Too old a device for every entry. */
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_dafile_select(ctx, &d, "t.bin", chip("MT6737"), 0, 0x8A00, 0, &ch), MTK_E_NOTFOUND);
	assert_non_null(strstr(mtk_ctx_error(ctx), "has 2 entries for MT6737"));

	/* No entry at all: the message says what the file covers. */
	assert_int_equal(mtk_dafile_select(ctx, &d, "t.bin", chip("MT6572"), 0, 0xCA00, 0, &ch), MTK_E_NOTFOUND);
	const char *msg = mtk_ctx_error(ctx);
	if (!strstr(msg, "no entry for MT6572 (hw_code 0x6572, da_code 0x6572) in t.bin; it covers: MT6580, "
			 "MT6735/MT6737/MT6753"))
		fail_msg("unexpected: %s", msg);
	mtk_ctx_free(ctx);

	/* An xflash chip's entry selects the xflash family. */
	mtk_dafile_free(&d);
	free(f);
	struct tent x = LEGACY3(0x6765, 0xCA00, 0);
	f = build(&x, 1, MTK_DA_ENTRY_NEW, "MTK_DA_v6 test", &len);
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "v6.bin", &d), 0);
	assert_true(d.v6);
	assert_int_equal(mtk_dafile_select(NULL, &d, "v6.bin", chip("MT6765"), 0, 0xCA00, 0, &ch), 0);
	assert_int_equal(ch.family, MTK_DA_XML);
	mtk_dafile_free(&d);
	free(f);
}

static void keep_log(void *user, enum mtk_log_level level, const char *msg)
{
	if (level <= MTK_LOG_WARN)
		snprintf(user, 512, "%s", msg);
}

/* MT65xx entries (MT6580 aside) come from an "mt6590" file (§1.5); from
 * another file the only entry is still used, with a warning. */
static void test_select_mt6590_rule(void **state)
{
	(void)state;
	static const struct tent t[] = { LEGACY3(0x6572, 0xCA00, 0), LEGACY3(0x6580, 0xCA00, 0) };
	size_t len;
	uint8_t *f = build(t, 2, MTK_DA_ENTRY_NEW, "d", &len);
	struct mtk_dafile d;
	struct mtk_da_choice ch;
	char warned[512] = "";
	mtk_ctx *ctx = mtk_ctx_new();
	mtk_ctx_set_log(ctx, keep_log, warned, MTK_LOG_INFO);
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "t.bin", &d), 0);
	assert_int_equal(mtk_dafile_select(ctx, &d, "/x/MTK_AllInOne_DA_mt6590.bin", chip("MT6572"), 0, 0xCA00, 0,
					   &ch), 0);
	assert_ptr_equal(ch.entry, &d.entries[0]);
	assert_string_equal(warned, "");
	assert_int_equal(mtk_dafile_select(ctx, &d, "/x/MTK_AllInOne_DA.bin", chip("MT6572"), 0, 0xCA00, 0, &ch), 0);
	assert_ptr_equal(ch.entry, &d.entries[0]);
	assert_non_null(strstr(warned, "lacks \"mt6590\""));
	warned[0] = '\0';
	assert_int_equal(mtk_dafile_select(ctx, &d, "/x/MTK_AllInOne_DA.bin", chip("MT6580"), 0, 0xCA00, 0, &ch), 0);
	assert_ptr_equal(ch.entry, &d.entries[1]);
	assert_string_equal(warned, "");
	mtk_dafile_free(&d);
	free(f);
	mtk_ctx_free(ctx);
}

/* A V6 (XML) file cannot serve a legacy chip. */
static void test_select_family(void **state)
{
	(void)state;
	struct tent x = LEGACY3(0x6735, 0xCA00, 0);
	size_t len;
	uint8_t *f = build(&x, 1, MTK_DA_ENTRY_NEW, "MTK_DA_v6 test", &len);
	struct mtk_dafile d;
	struct mtk_da_choice ch;
	mtk_ctx *ctx = mtk_ctx_new();
	assert_int_equal(mtk_dafile_parse(NULL, f, len, "v6.bin", &d), 0);
	assert_int_equal(mtk_dafile_select(ctx, &d, "v6.bin", chip("MT6737"), 0, 0xCA00, 0, &ch), MTK_E_NOTFOUND);
	assert_non_null(strstr(mtk_ctx_error(ctx), "v6.bin is a V6 (XML protocol) DA; MT6737 takes a legacy DA"));
	mtk_dafile_free(&d);
	free(f);
	mtk_ctx_free(ctx);
}

/* ---- the synthetic file the build makes (docs/da-synthetic.md) ---------- */

/* xflash DA1: the 0x40 bytes before the signature are SHA-256 of DA2's code,
 * 16 zero bytes and the "MMU MAP: VA" anchor (docs/da-synthetic.md). */
static void check_da2_hash(const struct mtk_da_stage *da1, const struct mtk_da_stage *da2)
{
	const uint8_t *slot = da1->data + da1->len - da1->sig_len - 0x40;
	uint8_t md[EVP_MAX_MD_SIZE], want[0x40] = {0};
	unsigned n = 0;
	assert_true(EVP_Digest(da2->data, da2->len - da2->sig_len, md, &n, EVP_sha256(), NULL));
	assert_int_equal(n, 32);
	memcpy(want, md, 32);
	memcpy(want + 0x30, "MMU MAP: VA", 11);
	assert_memory_equal(slot, want, sizeof want);
}

static void check_marker(const struct mtk_da_stage *s, const char *tag, uint16_t code, unsigned stage,
                         bool hash_slot)
{
	/* an xflash DA1's hash slot replaces the filler's last 0x40 bytes */
	size_t skip_to = s->len - s->sig_len, skip_from = hash_slot ? skip_to - 0x40 : skip_to;
	char want[64];
	snprintf(want, sizeof want, "MTKFLASH-SYNTHETIC-%s hw=0x%04x", tag, code);
	assert_string_equal((const char *)s->data, want);
	for (size_t i = strlen(want); i < 64; i++)
		assert_int_equal(s->data[i], 0);
	uint32_t x = 0x9E3779B9u ^ ((uint32_t)code << 8) ^ stage;
	for (uint32_t i = 64; i < s->len - s->sig_len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if ((i < skip_from || i >= skip_to) && s->data[i] != (uint8_t)x)
			fail_msg("%s of 0x%04x: filler differs at %u", tag, code, i);
	}
	snprintf(want, sizeof want, "MTKFLASH-SYNTHETIC-SIG hw=0x%04x stage=%u", code, stage);
	assert_string_equal((const char *)s->data + s->len - s->sig_len, want);
}

/* An installed library must not find files in the tree it was built in. */
static void test_synthetic_paths_only_installed(void **state)
{
	(void)state;
	const char *const *p = mtk_dafile_synthetic_paths();
	assert_non_null(p[0]);
	for (; *p; p++) {
		assert_null(strstr(*p, MTKFLASH_BUILD_ROOT));
		assert_non_null(strstr(*p, MTK_DA_SYNTHETIC_NAME));
	}
}

static void test_synthetic_file(void **state)
{
	(void)state;
	const char *path = MTKFLASH_BUILD_DA; /* the build's copy: tests run uninstalled */
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_dafile d;
	int rc = mtk_dafile_load(ctx, path, &d);
	if (rc < 0)
		fail_msg("%s", mtk_ctx_error(ctx));
	assert_int_equal(d.entry_size, 0xDC);
	assert_int_equal(d.info_ver, 4);
	size_t n = 0;
	const struct mtk_chip *t = mtk_chip_table(&n);
	assert_true(n >= 18);
	for (size_t i = 0; i < n; i++) {
		struct mtk_da_choice ch;
		rc = mtk_dafile_select(ctx, &d, path, &t[i], 0x8A00, 0xCA00, 0, &ch);
		if (rc < 0)
			fail_msg("%s: %s", t[i].name, mtk_ctx_error(ctx));
		assert_int_equal(ch.entry->hw_code, t[i].da_code);
		assert_int_equal(ch.family, t[i].da_family);
		assert_int_equal(ch.da1.len, 0x2000);
		assert_int_equal(ch.da1.sig_len, 0x100);
		assert_int_equal(ch.da2.len, 0x8000);
		assert_int_equal(ch.da2.sig_len, 0x100);
		assert_int_equal(ch.entry->regions[1].sig_offset, 0x1F00);
		bool xflash = t[i].da_family == MTK_DA_XFLASH;
		check_marker(&ch.da1, "DA1", t[i].da_code, 1, xflash);
		check_marker(&ch.da2, "DA2", t[i].da_code, 2, false);
		if (xflash)
			check_da2_hash(&ch.da1, &ch.da2);
		uint32_t want1 = t[i].da_code == 0x6572 ? 0x02007000u : 0x00200000u;
		uint32_t want2 = t[i].da_code == 0x6580 || t[i].da_code == 0x6572 || t[i].da_code == 0x6582
					 ? 0x80000000u
					 : 0x40000000u;
		assert_int_equal(ch.da1.addr, want1);
		assert_int_equal(ch.da2.addr, want2);
	}
	/* One entry per da_code: MT6735/37/53 share one, as on real files. */
	for (uint32_t i = 0; i < d.count; i++)
		for (uint32_t j = i + 1; j < d.count; j++)
			assert_int_not_equal(d.entries[i].hw_code, d.entries[j].hw_code);
	mtk_dafile_free_loaded(&d);
	mtk_ctx_free(ctx);
}

static void test_load_errors(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_dafile d;
	assert_int_equal(mtk_dafile_load(ctx, "/nonexistent/MTK_DA.bin", &d), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "/nonexistent/MTK_DA.bin"));
	assert_int_equal(mtk_dafile_load(ctx, "/", &d), MTK_E_PARSE);
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_layout),    cmocka_unit_test(test_old_layout),
		cmocka_unit_test(test_iot_entry),     cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_select_rules), cmocka_unit_test(test_select_mt6590_rule),
		cmocka_unit_test(test_select_family),  cmocka_unit_test(test_synthetic_file),
		cmocka_unit_test(test_synthetic_paths_only_installed),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
