/* SPDX-License-Identifier: MIT */
/* Android boot images ("ANDROID!"), header versions 0-4 (AOSP bootimg.h
 * layouts).  Enough to say "this is a boot image, of this shape, and the file
 * is long enough to hold what the header promises". */
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/imagefile.h"

#define BOOT_MAGIC "ANDROID!"
#define V3_PAGE    4096u
#define V0_HDR_LEN 1632u /* through extra_cmdline */
#define V1_HDR_LEN 1648u
#define V2_HDR_LEN 1660u
#define V3_HDR_LEN 1580u
#define V4_HDR_LEN 1584u

bool mtk_is_bootimg(const uint8_t *buf, size_t len)
{
	return len >= 8 && memcmp(buf, BOOT_MAGIC, 8) == 0;
}

static uint64_t pages(uint64_t bytes, uint32_t page)
{
	return (bytes + page - 1) / page * page;
}

static void copy_text(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t k = 0;
	while (k < n && k + 1 < cap && src[k]) {
		dst[k] = src[k] >= 0x20 && src[k] < 0x7F ? (char)src[k] : '?';
		k++;
	}
	dst[k] = '\0';
}

static int parse_v0_2(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_bootimg_info *out)
{
	static const uint32_t need[] = {V0_HDR_LEN, V1_HDR_LEN, V2_HDR_LEN};
	uint32_t v = out->header_version;
	if (len < need[v])
		return mtk_fail(ctx, MTK_E_PARSE, "boot image: a version %u header needs %u bytes, have %zu",
		                v, need[v], len);
	out->kernel_size = mtk_get_u32le(buf + 8);
	out->ramdisk_size = mtk_get_u32le(buf + 16);
	out->second_size = mtk_get_u32le(buf + 24);
	out->page_size = mtk_get_u32le(buf + 36);
	out->os_version = mtk_get_u32le(buf + 44);
	copy_text(out->name, sizeof out->name, buf + 48, 16);
	copy_text(out->cmdline, sizeof out->cmdline, buf + 64, 512);
	if (v >= 1)
		out->recovery_dtbo_size = mtk_get_u32le(buf + 1632);
	if (v >= 2)
		out->dtb_size = mtk_get_u32le(buf + 1648);
	uint32_t p = out->page_size;
	if (p < 2048 || p > 131072 || (p & (p - 1)))
		return mtk_fail(ctx, MTK_E_PARSE,
		                "boot image: offset 36: page_size %u is not a power of two in 2048..131072",
		                p);
	out->image_size = p + pages(out->kernel_size, p) + pages(out->ramdisk_size, p) +
	                  pages(out->second_size, p) + pages(out->recovery_dtbo_size, p) +
	                  pages(out->dtb_size, p);
	return 0;
}

static int parse_v3_4(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_bootimg_info *out)
{
	uint32_t v = out->header_version;
	uint32_t need = v == 3 ? V3_HDR_LEN : V4_HDR_LEN;
	if (len < need)
		return mtk_fail(ctx, MTK_E_PARSE, "boot image: a version %u header needs %u bytes, have %zu",
		                v, need, len);
	out->kernel_size = mtk_get_u32le(buf + 8);
	out->ramdisk_size = mtk_get_u32le(buf + 12);
	out->os_version = mtk_get_u32le(buf + 16);
	uint32_t header_size = mtk_get_u32le(buf + 20);
	copy_text(out->cmdline, sizeof out->cmdline, buf + 44, 1536);
	if (v == 4)
		out->signature_size = mtk_get_u32le(buf + 1580);
	out->page_size = V3_PAGE;
	if (header_size < need || header_size > V3_PAGE)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "boot image: offset 20: header_size %u, expected %u..4096 for version %u",
		                header_size, need, v);
	out->image_size = V3_PAGE + pages(out->kernel_size, V3_PAGE) + pages(out->ramdisk_size, V3_PAGE) +
	                  pages(out->signature_size, V3_PAGE);
	return 0;
}

int mtk_bootimg_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, uint64_t file_size,
                      struct mtk_bootimg_info *out)
{
	memset(out, 0, sizeof *out);
	if (!mtk_is_bootimg(buf, len))
		return mtk_fail(ctx, MTK_E_PARSE, "boot image: no 'ANDROID!' magic at offset 0");
	if (len < 44)
		return mtk_fail(ctx, MTK_E_PARSE, "boot image: header truncated at %zu bytes", len);
	if (!file_size)
		file_size = len;
	out->header_version = mtk_get_u32le(buf + 40);
	if (out->header_version > 4)
		return mtk_fail(ctx, MTK_E_UNSUPPORTED,
		                "boot image: offset 40: header version %u (known: 0-4)", out->header_version);
	int rc = out->header_version <= 2 ? parse_v0_2(ctx, buf, len, out) : parse_v3_4(ctx, buf, len, out);
	if (rc < 0)
		return rc;
	if (out->kernel_size == 0)
		return mtk_fail(ctx, MTK_E_PARSE, "boot image: kernel_size is 0");
	if (out->image_size > file_size)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "boot image truncated: the header needs %llu bytes (kernel %u, ramdisk %u, "
		                "page %u), the "
		                "file has %llu",
		                (unsigned long long)out->image_size, out->kernel_size, out->ramdisk_size,
		                out->page_size, (unsigned long long)file_size);
	return 0;
}
