/* SPDX-License-Identifier: MIT */
/* What is this file?  Classification by content, never by name: MediaTek
 * packages call sparse images .img, .bin or nothing at all. */
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "core/fileutil.h"
#include "mtkflash/imagefile.h"

const char *mtk_file_kind_name(enum mtk_file_kind k)
{
	static const char *const names[] = {"unknown", "preloader", "boot", "sparse", "da", "scatter", "emi"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

static bool is_preloader_head(const uint8_t *buf, size_t len)
{
	static const char *const dev[] = {"EMMC_BOOT", "SDMMC_BOOT", "SF_BOOT", "UFS_BOOT"};
	if (len >= 8 && memcmp(buf, "MMM\x01\x38\x00\x00\x00", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) {
		size_t k = strlen(dev[i]);
		/* The name alone is too weak for a whole file kind: want the BRLYT too. */
		if (len >= 0x208 && memcmp(buf, dev[i], k) == 0 && buf[k] == 0 &&
		    memcmp(buf + 0x200, "BRLYT", 6) == 0)
			return true;
	}
	return false;
}

static bool is_da_head(const uint8_t *buf, size_t len)
{
	return len >= 0x6C && memcmp(buf, "MTK_DOWNLOAD_AGENT", 18) == 0 && buf[18] == 0;
}

static bool looks_textual(const uint8_t *buf, size_t len)
{
	if (len == 0 || memchr(buf, 0, len))
		return false;
	size_t odd = 0;
	for (size_t i = 0; i < len; i++)
		odd += buf[i] < 0x09 || (buf[i] > 0x0D && buf[i] < 0x20) || buf[i] == 0x7F;
	return odd * 100 < len;
}

static bool contains(const uint8_t *buf, size_t len, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= len; i++)
		if (buf[i] == (uint8_t)s[0] && memcmp(buf + i, s, k) == 0)
			return true;
	return false;
}

/* v1.0 and OTA scatters have no header: they open with "PRELOADER 0x0". */
static bool starts_with_preloader_line(const uint8_t *buf, size_t len)
{
	size_t i = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	const char *t = len - i >= 9 ? (const char *)buf + i : NULL;
	if (!t || (strncmp(t, "PRELOADER", 9) != 0 && strncmp(t, "preloader", 9) != 0))
		return false;
	i += 9;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	return len - i >= 3 && buf[i] == '0' && (buf[i + 1] == 'x' || buf[i + 1] == 'X');
}

static bool is_scatter_head(const uint8_t *buf, size_t len)
{
	if (!looks_textual(buf, len))
		return false;
	return contains(buf, len, "MTK_PLATFORM_CFG") || contains(buf, len, "partition_index") ||
	       starts_with_preloader_line(buf, len);
}

enum mtk_file_kind mtk_identify_buf(const uint8_t *buf, size_t len)
{
	if (mtk_is_sparse(buf, len))
		return MTK_FILE_SPARSE;
	if (mtk_is_bootimg(buf, len))
		return MTK_FILE_BOOTIMG;
	if (is_da_head(buf, len))
		return MTK_FILE_DA;
	if (is_preloader_head(buf, len))
		return MTK_FILE_PRELOADER;
	if (mtk_is_emi_block(buf, len))
		return MTK_FILE_EMI;
	if (is_scatter_head(buf, len))
		return MTK_FILE_SCATTER;
	return MTK_FILE_UNKNOWN;
}

int mtk_identify_file(mtk_ctx *ctx, const char *path, enum mtk_file_kind *kind)
{
	*kind = MTK_FILE_UNKNOWN;
	uint8_t *buf;
	size_t got;
	int rc = mtk_read_file_head(ctx, path, MTK_IDENTIFY_HEAD, &buf, &got);
	if (rc == 0)
		*kind = mtk_identify_buf(buf, got);
	free(buf);
	return rc;
}
