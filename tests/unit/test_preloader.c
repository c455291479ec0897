/* SPDX-License-Identifier: MIT */
/* image/preloader.c, bootimg.c, identify.c: synthetic preloaders laid out as
 * formats.md §4 describes (GFH chain, MTK_BLOADER_INFO, EMI records,
 * EMMC_BOOT/UFS_BOOT + BRLYT wrappers), Android boot image headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bytes.h"
#include "mtkflash/da.h"
#include "mtkflash/imagefile.h"

#define HDR_SIZE  0x300u
#define CODE_LEN  0x400u
#define REC_SIZE  0xBCu
#define SIG_LEN   0x124u
#define LOAD_ADDR 0x00200D00u

struct pl {
	uint8_t *buf;
	size_t len;
	size_t emi_off; /* where the EMI records start */
};

static void gfh(uint8_t *p, uint16_t size, uint16_t type)
{
	memcpy(p, "MMM\x01", 4);
	mtk_put_u16le(p + 4, size);
	mtk_put_u16le(p + 6, type);
}

/* FILE_INFO(0x38) BL_INFO(0x0C) BROM_CFG(0x64) BL_SEC_KEY(0x214) ANTI_CLONE(0x14) BROM_SEC_CFG(0x30), as on
 * MT6737M. */
static void gfh_chain(uint8_t *b, uint32_t file_len, uint32_t sig_len)
{
	static const uint16_t chain[][2] = {{0x0C, 1}, {0x64, 7}, {0x214, 3}, {0x14, 2}, {0x30, 8}};
	gfh(b, 0x38, 0);
	memcpy(b + 0x08, "FILE_INFO", 9);
	mtk_put_u32le(b + 0x14, 1);
	mtk_put_u16le(b + 0x18, 1);
	b[0x1A] = 5;
	b[0x1B] = 3;
	mtk_put_u32le(b + 0x1C, LOAD_ADDR);
	mtk_put_u32le(b + 0x20, file_len);
	mtk_put_u32le(b + 0x24, 0x40000);
	mtk_put_u32le(b + 0x28, HDR_SIZE);
	mtk_put_u32le(b + 0x2C, sig_len);
	mtk_put_u32le(b + 0x30, HDR_SIZE);
	mtk_put_u32le(b + 0x34, 1);
	size_t off = 0x38;
	for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
		gfh(b + off, chain[i][0], chain[i][1]);
		off += chain[i][0];
	}
}

/* The MTK_BLOADER_INFO block (§4.5, da-legacy §7 layout for v20). */
static size_t bloader_block(uint8_t *p, const char *name, uint32_t count, uint8_t seed)
{
	memset(p, 0, 0x70);
	memcpy(p, "MTK_BLOADER_INFO_v20", 20);
	strcpy((char *)p + 0x1B, name);
	memcpy(p + 0x58, "V116", 4);
	mtk_put_u32le(p + 0x5C, 0x33448822);
	memcpy(p + 0x64, "MTK_BIN", 8);
	mtk_put_u32le(p + 0x6C, count);
	for (size_t i = 0; i < count * REC_SIZE; i++)
		p[0x70 + i] = (uint8_t)(seed + i * 13);
	return 0x70 + count * REC_SIZE;
}

/* A raw preloader .bin; gap = bytes between the length word and the signature
 * (0x800 with a zero word at its end exercises mtkclient's retry). */
static void build_raw(struct pl *pl, const char *name, uint32_t count, uint8_t seed, size_t gap)
{
	size_t cap = HDR_SIZE + CODE_LEN + 0x70 + count * REC_SIZE + 4 + gap + SIG_LEN;
	uint8_t *b = calloc(1, cap);
	size_t o = HDR_SIZE;
	for (size_t i = 0; i < CODE_LEN; i++)
		b[o + i] = (uint8_t)(i * 3 + 1);
	o += CODE_LEN;
	size_t blen = name ? bloader_block(b + o, name, count, seed) : 0;
	pl->emi_off = o + 0x70;
	o += blen;
	mtk_put_u32le(b + o, (uint32_t)blen);
	o += 4 + gap;
	memset(b + o, 0x5A, SIG_LEN);
	o += SIG_LEN;
	gfh_chain(b, (uint32_t)o, SIG_LEN);
	pl->buf = b;
	pl->len = o;
}

/* Device header + BRLYT, the .bin at `at`, 0xFF padding to 512 (§4.2, §4.3). */
static void wrap_boot_area(struct pl *pl, const char *dev, uint32_t unit, uint32_t at, uint32_t type)
{
	size_t padded = (pl->len + 511) / 512 * 512;
	uint8_t *b = malloc(at + padded);
	memset(b, 0xFF, at + padded);
	memset(b, 0, 12);
	memcpy(b, dev, strlen(dev));
	mtk_put_u32le(b + 0x0C, 1);
	mtk_put_u32le(b + 0x10, unit);
	uint8_t *r = b + 0x200;
	memset(r, 0, 8);
	memcpy(r, "BRLYT", 5);
	mtk_put_u32le(r + 0x08, 1);
	mtk_put_u32le(r + 0x0C, at);
	mtk_put_u32le(r + 0x10, at + (uint32_t)padded);
	mtk_put_u32le(r + 0x14, 0x42424242);
	mtk_put_u32le(r + 0x18, type);
	mtk_put_u32le(r + 0x1C, 0x0C);
	mtk_put_u32le(r + 0x20, 0x10);
	mtk_put_u32le(r + 0x24, 1);
	memcpy(b + at, pl->buf, pl->len);
	free(pl->buf);
	pl->buf = b;
	pl->len = at + padded;
	pl->emi_off += at;
}

static void test_raw(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct pl pl;
	build_raw(&pl, "preloader_k6893v1_64.bin", 2, 7, 0);
	struct mtk_preloader_info p;
	assert_int_equal(mtk_preloader_parse(ctx, pl.buf, pl.len, &p), 0);
	assert_false(p.boot_area_image);
	assert_int_equal(p.gfh_offset, 0);
	assert_int_equal(p.file_len, pl.len);
	assert_int_equal(p.load_addr, LOAD_ADDR);
	assert_int_equal(p.hdr_size, HDR_SIZE);
	assert_int_equal(p.sig_len, SIG_LEN);
	assert_int_equal(p.max_size, 0x40000);
	assert_int_equal(p.flash_dev, 5);
	assert_int_equal(p.sig_type, 3);
	assert_string_equal(p.name, "preloader_k6893v1_64.bin");
	assert_string_equal(p.board, "k6893v1_64");
	assert_string_equal(p.platform, "");
	assert_int_equal(p.bloader_info_version, 20);
	assert_int_equal(p.bloader_info_len, 0x70 + 2 * REC_SIZE);
	assert_int_equal(p.emi_count, 2);
	assert_int_equal(p.emi_len, 2 * REC_SIZE);
	assert_int_equal(p.emi_record_size, REC_SIZE);
	assert_ptr_equal(p.emi, pl.buf + pl.emi_off);
	assert_int_equal(p.gfh_count, 6);
	static const uint16_t types[] = {0, 1, 7, 3, 2, 8};
	for (int i = 0; i < 6; i++)
		assert_int_equal(p.gfh[i].type, types[i]);
	assert_int_equal(p.gfh[3].size, 0x214);
	assert_int_equal(p.gfh[5].offset, 0x2D0);
	assert_string_equal(mtk_gfh_type_name(p.gfh[3].type), "BL_SEC_KEY");
	assert_int_equal(mtk_identify_buf(pl.buf, pl.len), MTK_FILE_PRELOADER);
	free(pl.buf);
	mtk_ctx_free(ctx);
}

static void test_boot_area(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct pl raw, emmc, ufs;
	build_raw(&raw, "preloader_rlk6737m_65_m0.bin", 3, 1, 0);
	build_raw(&emmc, "preloader_rlk6737m_65_m0.bin", 3, 1, 0);
	build_raw(&ufs, "preloader_rlk6737m_65_m0.bin", 3, 1, 0);
	wrap_boot_area(&emmc, "EMMC_BOOT", 0x200, 0x800, 0x10005);
	wrap_boot_area(&ufs, "UFS_BOOT", 0x1000, 0x1000, 0x1000C);
	struct mtk_preloader_info a, e, u;
	assert_int_equal(mtk_preloader_parse(ctx, raw.buf, raw.len, &a), 0);
	assert_int_equal(mtk_preloader_parse(ctx, emmc.buf, emmc.len, &e), 0);
	assert_int_equal(mtk_preloader_parse(ctx, ufs.buf, ufs.len, &u), 0);
	assert_true(e.boot_area_image);
	assert_string_equal(e.dev_name, "EMMC_BOOT");
	assert_int_equal(e.gfh_offset, 0x800);
	assert_int_equal(e.brlyt_type, 0x10005);
	assert_true(u.boot_area_image);
	assert_string_equal(u.dev_name, "UFS_BOOT");
	assert_int_equal(u.dev_rw_unit, 0x1000);
	assert_int_equal(u.gfh_offset, 0x1000); /* from BRLYT, not from the 0x10 field */
	assert_string_equal(e.name, "preloader_rlk6737m_65_m0.bin");
	assert_string_equal(u.board, "rlk6737m_65_m0");
	assert_int_equal(e.file_len, a.file_len);
	assert_int_equal(e.gfh[1].offset, 0x800 + 0x38);
	assert_ptr_equal(e.emi, emmc.buf + emmc.emi_off);
	/* the same preloader in three packagings carries the same DRAM settings */
	assert_int_equal(mtk_preloader_emi_compare(ctx, &a, &e), 0);
	assert_int_equal(mtk_preloader_emi_compare(ctx, &u, &e), 0);
	assert_int_equal(mtk_identify_buf(emmc.buf, emmc.len), MTK_FILE_PRELOADER);
	assert_int_equal(mtk_identify_buf(ufs.buf, ufs.len), MTK_FILE_PRELOADER);
	free(raw.buf);
	free(emmc.buf);
	free(ufs.buf);
	mtk_ctx_free(ctx);
}

static void test_emi_compare(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct pl a, b, c, none;
	build_raw(&a, "preloader_a.bin", 2, 1, 0);
	build_raw(&b, "preloader_b.bin", 3, 1, 0);
	build_raw(&c, "preloader_a.bin", 2, 1, 0);
	build_raw(&none, NULL, 0, 0, 0);
	c.buf[c.emi_off + REC_SIZE + 0x10] ^= 0x80;
	struct mtk_preloader_info pa, pb, pc, pn;
	assert_int_equal(mtk_preloader_parse(ctx, a.buf, a.len, &pa), 0);
	assert_int_equal(mtk_preloader_parse(ctx, b.buf, b.len, &pb), 0);
	assert_int_equal(mtk_preloader_parse(ctx, c.buf, c.len, &pc), 0);
	assert_int_equal(mtk_preloader_parse(ctx, none.buf, none.len, &pn), 0);
	assert_int_equal(mtk_preloader_emi_compare(ctx, &pa, &pa), 0);
	assert_int_equal(mtk_preloader_emi_compare(ctx, &pa, &pb), MTK_E_VERIFY);
	assert_string_equal(mtk_ctx_error(ctx), "EMI record count differs: 2 vs 3");
	assert_int_equal(mtk_preloader_emi_compare(ctx, &pa, &pc), MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(ctx), "record 1 at offset 0x10 (byte 0xcc of the block)"));
	/* no bloader info at all: parses, says nothing about a board */
	assert_null(pn.emi);
	assert_string_equal(pn.name, "");
	assert_string_equal(pn.board, "");
	assert_int_equal(pn.bloader_info_version, 0);
	assert_int_equal(mtk_preloader_emi_compare(ctx, &pa, &pn), MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(ctx), "no EMI settings block in the second"));
	free(a.buf);
	free(b.buf);
	free(c.buf);
	free(none.buf);
	mtk_ctx_free(ctx);
}

/* A zero length word: look again 0x800 bytes earlier, as mtkclient does. */
static void test_zero_length_retry(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct pl pl;
	build_raw(&pl, "preloader_retry.bin", 1, 3, 0x800);
	struct mtk_preloader_info p;
	assert_int_equal(mtk_preloader_parse(ctx, pl.buf, pl.len, &p), 0);
	assert_string_equal(p.name, "preloader_retry.bin");
	assert_int_equal(p.emi_count, 1);
	free(pl.buf);
	mtk_ctx_free(ctx);
}

static void assert_parse_fails(const uint8_t *buf, size_t len, int code, const char *msg)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_preloader_info p;
	assert_int_equal(mtk_preloader_parse(ctx, buf, len, &p), code);
	if (!strstr(mtk_ctx_error(ctx), msg))
		fail_msg("error '%s' does not mention '%s'", mtk_ctx_error(ctx), msg);
	mtk_ctx_free(ctx);
}

static void test_hostile(void **state)
{
	(void)state;
	struct pl pl;
	build_raw(&pl, "preloader_x.bin", 2, 1, 0);
	uint8_t *b = pl.buf;
	assert_parse_fails(b, pl.len - 1, MTK_E_PARSE, "offset 0x20: file_len 0x");
	mtk_put_u32le(b + 0x28, (uint32_t)pl.len + 1);
	assert_parse_fails(b, pl.len, MTK_E_PARSE, "offset 0x28: hdr_size");
	mtk_put_u32le(b + 0x28, HDR_SIZE);
	mtk_put_u32le(b + 0x2C, (uint32_t)pl.len);
	assert_parse_fails(b, pl.len, MTK_E_PARSE, "offset 0x2c: sig_len");
	mtk_put_u32le(b + 0x2C, SIG_LEN);
	mtk_put_u16le(b + 0x38 + 4, 4); /* BL_INFO size below a header */
	assert_parse_fails(b, pl.len, MTK_E_PARSE, "GFH record at offset 0x38: size 0x4 is below 8");
	mtk_put_u16le(b + 0x38 + 4, 0x1000); /* runs past hdr_size */
	assert_parse_fails(b, pl.len, MTK_E_PARSE,
	                   "GFH record at offset 0x38 (type 0x1, size 0x1000) runs past hdr_size");
	mtk_put_u16le(b + 0x38 + 4, 0x0C);
	b[0] = 'X';
	assert_parse_fails(b, pl.len, MTK_E_PARSE, "offset 0x0: no GFH FILE_INFO");
	b[0] = 'M';
	assert_parse_fails((const uint8_t *)"BOOTLOADER!\0V006", 16, MTK_E_UNSUPPORTED, "NAND");
	/* a length word pointing before the code, or an unterminated name: no info, no crash */
	struct mtk_preloader_info p;
	size_t lw = pl.len - SIG_LEN - 4;
	uint32_t saved = mtk_get_u32le(b + lw);
	mtk_put_u32le(b + lw, 0xFFFFFF00);
	assert_int_equal(mtk_preloader_parse(NULL, b, pl.len, &p), 0);
	assert_null(p.emi);
	mtk_put_u32le(b + lw, saved);
	memset(b + HDR_SIZE + CODE_LEN + 0x1B, 'a', 0x64 - 0x1B); /* name runs into MTK_BIN */
	assert_int_equal(mtk_preloader_parse(NULL, b, pl.len, &p), 0);
	assert_string_equal(p.name, "");
	assert_non_null(p.emi);
	/* every truncation of the file is refused cleanly (ASan watches the reads) */
	for (size_t n = 0; n < pl.len; n++)
		assert_true(mtk_preloader_parse(NULL, b, n, &p) < 0);
	free(pl.buf);

	struct pl w;
	build_raw(&w, "preloader_x.bin", 1, 1, 0);
	wrap_boot_area(&w, "EMMC_BOOT", 0x200, 0x800, 0x10005);
	w.buf[0x214] ^= 1;
	assert_parse_fails(w.buf, w.len, MTK_E_PARSE, "offset 0x200: no BRLYT");
	w.buf[0x214] ^= 1;
	mtk_put_u32le(w.buf + 0x20C, 0x7FFFFFFF);
	assert_parse_fails(w.buf, w.len, MTK_E_PARSE, "offset 0x20c: BRLYT header_size 0x7fffffff");
	mtk_put_u32le(w.buf + 0x20C, 0x800);
	for (size_t n = 0; n < w.len; n += 7)
		(void)mtk_preloader_parse(NULL, w.buf, n, &p);
	free(w.buf);
}

/* ---- Android boot images ---- */

static uint8_t *bootimg(uint32_t version, uint32_t page, uint32_t kernel, uint32_t ramdisk, size_t *len)
{
	uint32_t p = version >= 3 ? 4096 : page;
	size_t n = p + (kernel + p - 1) / p * p + (ramdisk + p - 1) / p * p;
	uint8_t *b = calloc(1, n);
	memcpy(b, "ANDROID!", 8);
	mtk_put_u32le(b + 8, kernel);
	if (version >= 3) {
		mtk_put_u32le(b + 12, ramdisk);
		mtk_put_u32le(b + 20, version == 3 ? 1580 : 1584);
		strcpy((char *)b + 44, "console=ttyS0");
	} else {
		mtk_put_u32le(b + 16, ramdisk);
		mtk_put_u32le(b + 36, page);
		strcpy((char *)b + 48, "k6765v1_64");
		strcpy((char *)b + 64, "bootopt=64S3,32N2,64N2");
		if (version >= 1)
			mtk_put_u32le(b + 1644, version == 1 ? 1648 : 1660);
	}
	mtk_put_u32le(b + 40, version);
	*len = n;
	return b;
}

static void test_bootimg(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_bootimg_info bi;
	for (uint32_t v = 0; v <= 4; v++) {
		size_t len;
		uint8_t *b = bootimg(v, 2048, 5000, 3000, &len);
		assert_int_equal(mtk_identify_buf(b, len), MTK_FILE_BOOTIMG);
		assert_int_equal(mtk_bootimg_parse(ctx, b, len, len, &bi), 0);
		assert_int_equal(bi.header_version, v);
		assert_int_equal(bi.kernel_size, 5000);
		assert_int_equal(bi.ramdisk_size, 3000);
		assert_int_equal(bi.page_size, v >= 3 ? 4096 : 2048);
		assert_int_equal(bi.image_size, len);
		if (v < 3)
			assert_string_equal(bi.name, "k6765v1_64");
		/* one byte short of what the header promises */
		assert_int_equal(mtk_bootimg_parse(ctx, b, len - 1, 0, &bi), MTK_E_PARSE);
		assert_non_null(strstr(mtk_ctx_error(ctx), "truncated"));
		free(b);
	}
	size_t len;
	uint8_t *b = bootimg(0, 2048, 100, 100, &len);
	mtk_put_u32le(b + 36, 3000);
	assert_int_equal(mtk_bootimg_parse(ctx, b, len, len, &bi), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "offset 36: page_size 3000"));
	mtk_put_u32le(b + 36, 2048);
	mtk_put_u32le(b + 40, 9);
	assert_int_equal(mtk_bootimg_parse(ctx, b, len, len, &bi), MTK_E_UNSUPPORTED);
	assert_non_null(strstr(mtk_ctx_error(ctx), "header version 9"));
	assert_int_equal(mtk_bootimg_parse(ctx, b, 40, 0, &bi), MTK_E_PARSE);
	b[0] = 'a';
	assert_false(mtk_is_bootimg(b, len));
	free(b);
	mtk_ctx_free(ctx);
}

static void test_identify(void **state)
{
	(void)state;
	const char *scatter = "- general: MTK_PLATFORM_CFG\n  info:\n";
	const char *v10 = "\r\nPRELOADER 0x0\n{\n}\n";
	const char *ota = "preloader 0x0\npgpt 0x0\n";
	assert_int_equal(mtk_identify_buf((const uint8_t *)scatter, strlen(scatter)), MTK_FILE_SCATTER);
	assert_int_equal(mtk_identify_buf((const uint8_t *)v10, strlen(v10)), MTK_FILE_SCATTER);
	assert_int_equal(mtk_identify_buf((const uint8_t *)ota, strlen(ota)), MTK_FILE_SCATTER);
	assert_int_equal(mtk_identify_buf((const uint8_t *)"hello\n", 6), MTK_FILE_UNKNOWN);
	assert_int_equal(mtk_identify_buf((const uint8_t *)"", 0), MTK_FILE_UNKNOWN);
	uint8_t da[0x6C] = "MTK_DOWNLOAD_AGENT";
	assert_int_equal(mtk_identify_buf(da, sizeof da), MTK_FILE_DA);
	uint8_t sp[28] = {0x3A, 0xFF, 0x26, 0xED};
	assert_int_equal(mtk_identify_buf(sp, sizeof sp), MTK_FILE_SPARSE);
	/* "EMMC_BOOT" alone, without a BRLYT, is not enough */
	uint8_t eb[0x300] = "EMMC_BOOT";
	assert_int_equal(mtk_identify_buf(eb, sizeof eb), MTK_FILE_UNKNOWN);
	assert_string_equal(mtk_file_kind_name(MTK_FILE_BOOTIMG), "boot");
	assert_string_equal(mtk_file_kind_name(MTK_FILE_SCATTER), "scatter");
}

/* ---- bare MTK_BLOADER_INFO blocks, record layouts per version (§4.5.2) ---- */

struct rec_layout {
	uint8_t type_off, idlen_off, id_off; /* idlen_off 0xFF: no length field (v08) */
};
static const struct rec_layout L_STD = {0x04, 0x08, 0x10}, L_V11 = {0x00, 0x14, 0x04},
                               L_V49 = {0x00, 0x04, 0x08}, L_V08 = {0x00, 0xFF, 0x04};

struct rec_spec {
	uint32_t type;
	const char *id; /* bytes (CIDs hold 0x00) */
	size_t id_len;
};
#define ID(s) s, sizeof(s) - 1

/* A block as MediaTek's emigen writes it (§4.5.1); returns its length. */
static size_t emi_block(uint8_t *p, const char *tag, uint32_t S, const struct rec_layout *L,
                        const struct rec_spec *r, uint32_t n, bool length_word)
{
	memset(p, 0, 0x70 + n * S + 4);
	memcpy(p, tag, strlen(tag));
	strcpy((char *)p + 0x1B, "preloader_up40_h405f_meo.bin");
	memcpy(p + 0x58, "V116", 4);
	memcpy(p + 0x5C, "\x22\x88\x44\x33\x90\x00\x70\x00", 8);
	memcpy(p + 0x64, "MTK_BIN", 8);
	mtk_put_u32le(p + 0x6C, n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *rec = p + 0x70 + i * S;
		for (uint32_t k = 0; k < S; k++)
			rec[k] = (uint8_t)(0x40 + k); /* DRAM timings: anything */
		size_t idl = r[i].id_len;
		mtk_put_u32le(rec + L->type_off, r[i].type);
		memset(rec + L->id_off, 0, L == &L_V08 ? 12 : 16);
		memcpy(rec + L->id_off, r[i].id, idl);
		if (L->idlen_off != 0xFF)
			mtk_put_u32le(rec + L->idlen_off, (uint32_t)idl);
	}
	size_t len = 0x70 + n * S;
	if (length_word) {
		mtk_put_u32le(p + len, (uint32_t)len);
		len += 4;
	}
	return len;
}

static void assert_record(const struct mtk_emi_record *r, uint32_t type, const char *id, size_t id_len)
{
	assert_int_equal(r->type, type);
	assert_int_equal(r->id_len, id_len);
	if (id_len)
		assert_memory_equal(r->id, id, id_len);
}

static void test_emi_block_v11(void **state)
{
	(void)state;
	static uint8_t b[0x70 + 2 * 0xA8 + 4];
	const struct rec_spec r[] = {{0x0202, ID("\x15\x01\x00MKB4D")}, {0x0202, ID("\x90\x01\x4aH8G2e")}};
	/* mtkclient's files: no length word */
	size_t len = emi_block(b, "MTK_BLOADER_INFO_v11", 0xA8, &L_V11, r, 2, false);
	struct mtk_preloader_info p;
	assert_int_equal(mtk_identify_buf(b, len), MTK_FILE_EMI);
	assert_string_equal(mtk_file_kind_name(MTK_FILE_EMI), "emi");
	assert_int_equal(mtk_preloader_or_emi_parse(NULL, b, len, &p), 0);
	assert_true(p.bare_emi);
	assert_int_equal(p.bloader_info_version, 11);
	assert_string_equal(p.name, "preloader_up40_h405f_meo.bin");
	assert_string_equal(p.board, "up40_h405f_meo");
	assert_int_equal(p.emi_table.record_size, 0xA8);
	assert_int_equal(p.emi_table.described, 2);
	assert_string_equal(p.emi_table.layout_note, "");
	assert_record(&p.emi_table.rec[0], 0x0202, ID("\x15\x01\x00MKB4D"));
	assert_record(&p.emi_table.rec[1], 0x0202, ID("\x90\x01\x4aH8G2e"));
	/* MediaTek's own block keeps the length word: same result */
	len = emi_block(b, "MTK_BLOADER_INFO_v11", 0xA8, &L_V11, r, 2, true);
	assert_int_equal(mtk_emi_block_parse(NULL, b, len, &p), 0);
	assert_int_equal(p.emi_table.record_size, 0xA8);
	assert_int_equal(p.emi_len, 2 * 0xA8);
	/* what the DA gets: the records from MTK_BIN + 0x0C, and their ids */
	struct mtk_da_emi e;
	assert_int_equal(mtk_preloader_da_emi(NULL, &p, &e), 0);
	assert_ptr_equal(e.data, b + 0x70);
	assert_int_equal(e.len, 2 * 0xA8);
	assert_int_equal(e.version, 11);
	assert_ptr_equal(e.table, &p.emi_table);
}

static void test_emi_block_versions(void **state)
{
	(void)state;
	static uint8_t b[0x70 + 3 * 0xBC + 4];
	struct mtk_preloader_info p;
	/* v20 (MT6737M): two eMMC MCP parts, then a discrete LPDDR3 one */
	const struct rec_spec v20[] = {{0x0203, ID("\x15\x01\x00QE63MB")}, {0x0203, ID("\x90\x01\x4aH9TP32")},
	                               {0x0003, ID("")}};
	size_t len = emi_block(b, "MTK_BLOADER_INFO_v20", 0xBC, &L_STD, v20, 3, true);
	assert_int_equal(mtk_emi_block_parse(NULL, b, len, &p), 0);
	assert_int_equal(p.emi_table.version, 20);
	assert_int_equal(p.emi_table.record_size, 0xBC);
	assert_int_equal(p.emi_table.described, 3);
	assert_record(&p.emi_table.rec[1], 0x0203, ID("\x90\x01\x4aH9TP32"));
	assert_record(&p.emi_table.rec[2], 0x0003, ID(""));
	assert_string_equal(mtk_emi_class_name(mtk_emi_class_of(0x0203)), "emmc-mcp");
	assert_string_equal(mtk_emi_dram_name(0x0203), "LPDDR3");
	assert_false(mtk_emi_is_mcp(0x0003));
	/* v30 (0xA0, standard layout): a UFS part named by a 14-byte string */
	const struct rec_spec v30[] = {{0x0305, ID("H9HQ16AFAMMDAR")}};
	len = emi_block(b, "MTK_BLOADER_INFO_v30", 0xA0, &L_STD, v30, 1, false);
	assert_int_equal(mtk_emi_block_parse(NULL, b, len, &p), 0);
	assert_int_equal(p.emi_table.record_size, 0xA0);
	assert_record(&p.emi_table.rec[0], 0x0305, ID("H9HQ16AFAMMDAR"));
	assert_string_equal(mtk_emi_class_name(mtk_emi_class_of(0x0305)), "ufs-mcp");
	/* v49 (0x54): type, id_length, ID */
	const struct rec_spec v49[] = {{0x0206, ID("\x13\x01\x4eS0J9N8")}, {0x0206, ID("\x15\x01\x00GD6BMB")}};
	len = emi_block(b, "MTK_BLOADER_INFO_v49", 0x54, &L_V49, v49, 2, false);
	assert_int_equal(mtk_emi_block_parse(NULL, b, len, &p), 0);
	assert_int_equal(p.emi_table.record_size, 0x54);
	assert_record(&p.emi_table.rec[1], 0x0206, ID("\x15\x01\x00GD6BMB"));
	/* v08 (0x88): no length field, 9 bytes for eMMC, 5 for NAND */
	const struct rec_spec v08[] = {{0x0202, ID("\x15\x01\x00KMKJS2")}, {0x0102, ID("\xec\xbc\x00\x55\x54")}};
	len = emi_block(b, "MTK_BLOADER_INFO_v08", 0x88, &L_V08, v08, 2, true);
	assert_int_equal(mtk_emi_block_parse(NULL, b, len, &p), 0);
	assert_record(&p.emi_table.rec[0], 0x0202, ID("\x15\x01\x00KMKJS2"));
	assert_record(&p.emi_table.rec[1], 0x0102, ID("\xec\xbc\x00\x55\x54"));
}

static void test_emi_block_hostile(void **state)
{
	(void)state;
	static uint8_t b[0x70 + 2 * 0xBC + 4];
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_preloader_info p;
	const struct rec_spec r[] = {{0x0203, ID("\x15\x01\x00QE63MB")}, {0x0203, ID("\x90\x01\x4aH9TP32")}};
	size_t len = emi_block(b, "MTK_BLOADER_INFO_v20", 0xBC, &L_STD, r, 2, false);
	/* an id_length past the 16-byte field: the records are not described, and the note says where */
	mtk_put_u32le(b + 0x70 + 0xBC + 0x08, 0x40);
	assert_int_equal(mtk_emi_block_parse(ctx, b, len, &p), 0);
	assert_int_equal(p.emi_table.described, 0);
	assert_non_null(strstr(p.emi_table.layout_note, "record 1 at block offset 0x12c"));
	/* records that do not divide the block */
	len = emi_block(b, "MTK_BLOADER_INFO_v20", 0xBC, &L_STD, r, 2, false);
	assert_int_equal(mtk_emi_block_parse(ctx, b, len - 3, &p), 0);
	assert_int_equal(p.emi_table.record_size, 0);
	assert_int_equal(p.emi_table.described, 0);
	assert_non_null(strstr(p.emi_table.layout_note, "do not divide into 2 records"));
	/* too short for the header, no MTK_BIN, no marker */
	assert_int_equal(mtk_emi_block_parse(ctx, b, 0x40, &p), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "shorter than its 0x70-byte header"));
	memcpy(b + 0x64, "MTK_BIM", 7);
	assert_int_equal(mtk_emi_block_parse(ctx, b, len, &p), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "MTK_BIN"));
	b[18] = 'x';
	assert_int_equal(mtk_emi_block_parse(ctx, b, len, &p), MTK_E_PARSE);
	assert_int_equal(mtk_identify_buf(b, len), MTK_FILE_UNKNOWN);
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_raw),         cmocka_unit_test(test_boot_area),
	        cmocka_unit_test(test_emi_compare), cmocka_unit_test(test_zero_length_retry),
	        cmocka_unit_test(test_hostile),     cmocka_unit_test(test_bootimg),
	        cmocka_unit_test(test_identify),    cmocka_unit_test(test_emi_block_v11),
	        cmocka_unit_test(test_emi_block_versions), cmocka_unit_test(test_emi_block_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
