/* SPDX-License-Identifier: MIT */
/* MediaTek preloader images (formats.md §4): the raw build output that starts
 * with the GFH chain, and the boot-area image that wraps it in a device
 * header and a BRLYT.  What matters to a flasher: which board the preloader
 * was built for (the name in MTK_BLOADER_INFO) and its EMI/DRAM settings,
 * because a preloader for the wrong DRAM bricks the phone. */
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/da.h"
#include "mtkflash/imagefile.h"

#define BRLYT_OFF        0x200u
#define BRLYT_MAGIC      0x42424242u
#define GFH_HDR          8u
#define FILE_INFO_SIZE   0x38u
#define BLOADER_TAG      "MTK_BLOADER_INFO_v"
#define BLOADER_NAME_OFF 0x1Bu
#define BLOADER_HDR      0x70u /* header up to the first record (§4.5.1) */
#define EMI_TAG          "MTK_BIN"
#define EMI_RETRY_STEP   0x800u /* mtkclient: a zero length word means "look 0x800 earlier" */

static const char *const dev_header_names[] = {"EMMC_BOOT", "SDMMC_BOOT", "SF_BOOT", "UFS_BOOT"};

static const struct {
	uint16_t type;
	const char *name;
} gfh_types[] = {
        {0x000, "FILE_INFO"},  {0x001, "BL_INFO"},   {0x002, "ANTI_CLONE"}, {0x003, "BL_SEC_KEY"},
        {0x004, "SCTRL_CERT"}, {0x005, "TOOL_AUTH"}, {0x007, "BROM_CFG"},   {0x008, "BROM_SEC_CFG"},
        {0x00B, "ROOT_CERT"},  {0x00C, "EXP_CHK"},   {0x00D, "EPP_PARAM"},  {0x00E, "CHIP_VER"},
        {0x010, "MD_SEC_CFG"}, {0x100, "EPP_INFO"},  {0x101, "EMI_LIST"},
};

const char *mtk_gfh_type_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof gfh_types / sizeof gfh_types[0]; i++)
		if (gfh_types[i].type == type)
			return gfh_types[i].name;
	return type >= 0x200 && type < 0x300 ? "MAUI" : NULL;
}

/* A NUL-padded name field holding exactly `name`. */
static bool padded_name_is(const uint8_t *field, size_t n, const char *name)
{
	size_t k = strlen(name);
	if (memcmp(field, name, k) != 0)
		return false;
	for (size_t i = k; i < n; i++)
		if (field[i] != 0)
			return false;
	return true;
}

static bool is_file_info(const uint8_t *p)
{
	return memcmp(p, "MMM\x01\x38\x00\x00\x00", 8) == 0;
}

static int parse_boot_area(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out)
{
	struct mtk_rd r = mtk_rd_init(buf, len);
	mtk_rd_seek(&r, 0x10);
	out->dev_rw_unit = mtk_rd_u32le(&r);
	mtk_rd_seek(&r, BRLYT_OFF);
	const uint8_t *name = mtk_rd_take(&r, 8);
	mtk_rd_u32le(&r); /* version */
	uint32_t gfh_off = mtk_rd_u32le(&r);
	mtk_rd_u32le(&r); /* total_size */
	uint32_t magic = mtk_rd_u32le(&r);
	out->brlyt_type = mtk_rd_u32le(&r);
	if (r.bad)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "preloader: %s header but the file ends before the BRLYT at 0x%x",
		                out->dev_name, BRLYT_OFF);
	if (!padded_name_is(name, 8, "BRLYT") || magic != BRLYT_MAGIC)
		return mtk_fail(ctx, MTK_E_PARSE, "preloader: offset 0x%x: no BRLYT (name or magic 0x%08x)",
		                BRLYT_OFF, BRLYT_MAGIC);
	if (gfh_off < BRLYT_OFF + 0x28 || gfh_off > len || len - gfh_off < FILE_INFO_SIZE)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "preloader: offset 0x%x: BRLYT header_size 0x%x is not inside the file",
		                BRLYT_OFF + 0x0C, gfh_off);
	out->gfh_offset = gfh_off;
	return 0;
}

static int find_gfh(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out)
{
	if (len >= 12 && memcmp(buf, "BOOTLOADER!", 11) == 0)
		return mtk_fail(ctx, MTK_E_UNSUPPORTED,
		                "preloader: NAND boot header (BOOTLOADER!) is not supported");
	for (size_t i = 0; i < sizeof dev_header_names / sizeof dev_header_names[0]; i++) {
		if (len >= 12 && padded_name_is(buf, 12, dev_header_names[i])) {
			snprintf(out->dev_name, sizeof out->dev_name, "%s", dev_header_names[i]);
			out->boot_area_image = true;
			return parse_boot_area(ctx, buf, len, out);
		}
	}
	out->gfh_offset = 0;
	return 0;
}

static int read_file_info(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out)
{
	size_t g = out->gfh_offset;
	if (len - g < FILE_INFO_SIZE || !is_file_info(buf + g))
		return mtk_fail(
		        ctx, MTK_E_PARSE,
		        "preloader: offset 0x%zx: no GFH FILE_INFO (expected 4D 4D 4D 01 38 00 00 00)", g);
	struct mtk_rd r = mtk_rd_init(buf + g, FILE_INFO_SIZE);
	mtk_rd_seek(&r, 0x18);
	out->file_type = mtk_rd_u16le(&r);
	out->flash_dev = mtk_rd_u8(&r);
	out->sig_type = mtk_rd_u8(&r);
	out->load_addr = mtk_rd_u32le(&r);
	out->file_len = mtk_rd_u32le(&r);
	out->max_size = mtk_rd_u32le(&r);
	out->hdr_size = mtk_rd_u32le(&r);
	out->sig_len = mtk_rd_u32le(&r);
	out->jump_offset = mtk_rd_u32le(&r);
	if (out->file_len > len - g)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "preloader: offset 0x%zx: file_len 0x%x runs past the end of the file (0x%zx "
		                "bytes from "
		                "the GFH at 0x%zx)",
		                g + 0x20, out->file_len, len - g, g);
	if (out->hdr_size < FILE_INFO_SIZE || out->hdr_size > out->file_len)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "preloader: offset 0x%zx: hdr_size 0x%x is outside 0x38..file_len 0x%x",
		                g + 0x28, out->hdr_size, out->file_len);
	if (out->sig_len > out->file_len - out->hdr_size)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "preloader: offset 0x%zx: sig_len 0x%x is larger than the code (0x%x)",
		                g + 0x2C, out->sig_len, out->file_len - out->hdr_size);
	return 0;
}

/* Records follow each other until something that is not "MMM"; all must fit in hdr_size. */
static int walk_gfh(mtk_ctx *ctx, const uint8_t *buf, struct mtk_preloader_info *out)
{
	size_t off = out->gfh_offset;
	size_t end = off + out->hdr_size;
	out->gfh_count = 0;
	while (end - off >= GFH_HDR && memcmp(buf + off, "MMM", 3) == 0) {
		uint16_t size = mtk_get_u16le(buf + off + 4);
		uint16_t type = mtk_get_u16le(buf + off + 6);
		if (size < GFH_HDR)
			return mtk_fail(ctx, MTK_E_PARSE,
			                "preloader: GFH record at offset 0x%zx: size 0x%x is below 8", off,
			                size);
		if (size > end - off)
			return mtk_fail(ctx, MTK_E_PARSE,
			                "preloader: GFH record at offset 0x%zx (type 0x%x, size 0x%x) runs "
			                "past hdr_size",
			                off, type, size);
		if (out->gfh_count < sizeof out->gfh / sizeof out->gfh[0])
			out->gfh[out->gfh_count] =
			        (struct mtk_gfh_record){(uint32_t)off, size, type, buf[off + 3]};
		out->gfh_count++;
		off += size;
	}
	return 0;
}

static void take_name(const uint8_t *block, size_t len, struct mtk_preloader_info *out)
{
	if (len <= BLOADER_NAME_OFF)
		return;
	const uint8_t *p = block + BLOADER_NAME_OFF;
	size_t max = len - BLOADER_NAME_OFF;
	size_t n = 0;
	while (n < max && n < sizeof out->name && p[n] >= 0x20 && p[n] < 0x7F)
		n++;
	if (n == 0 || n >= sizeof out->name || n == max || p[n] != 0)
		return; /* not a clean NUL-terminated name: say nothing rather than guess */
	memcpy(out->name, p, n);
	out->name[n] = '\0';
	const char *b = out->name;
	size_t bl = n;
	if (bl > 10 && strncmp(b, "preloader_", 10) == 0) {
		b += 10;
		bl -= 10;
	}
	if (bl > 4 && strcmp(b + bl - 4, ".bin") == 0)
		bl -= 4;
	snprintf(out->board, sizeof out->board, "%.*s", (int)bl, b);
}

static const uint8_t *find_tag(const uint8_t *hay, size_t n, const char *tag)
{
	size_t k = strlen(tag) + 1; /* with its NUL */
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, tag, k) == 0)
			return hay + i;
	return NULL;
}

/* Where a record keeps its type, id length and id, per MTK_BLOADER_INFO
 * version (formats.md §4.5.2).  The one table to correct when a sample shows
 * another layout. */
struct emi_layout {
	uint8_t type_off, id_off, id_max;
	uint8_t idlen_off; /* NO_IDLEN: fixed by storage class (v08) */
	uint8_t min_size;  /* a record smaller than this cannot hold those fields */
};
#define NO_IDLEN 0xFFu
static const struct emi_layout layout_standard = {0x04, 0x10, 16, 0x08, 0x20};
static const struct emi_layout layout_v08 = {0x00, 0x04, 12, NO_IDLEN, 0x10};
static const struct emi_layout layout_v11 = {0x00, 0x04, 16, 0x14, 0x18};
static const struct emi_layout layout_v49 = {0x00, 0x08, 16, 0x04, 0x18};

static const struct emi_layout *emi_layout_for(uint32_t version)
{
	if (version == 8)
		return &layout_v08;
	if (version == 11 || version == 14)
		return &layout_v11;
	/* v49 and v52 are verified; v50/v51 lie between them and are assumed alike [inferred]. */
	if (version >= 49 && version <= 52)
		return &layout_v49;
	return &layout_standard;
}

/* v08 has no length field: the SDK's fixed eMMC and NAND id lengths. */
static uint32_t v08_id_len(uint32_t type)
{
	unsigned c = mtk_emi_class_of(type);
	return c == MTK_EMI_EMMC_MCP ? 9 : c == MTK_EMI_NAND_MCP ? 5 : 0;
}

static int describe_record(const uint8_t *rec, const struct emi_layout *lay, struct mtk_emi_record *out)
{
	memset(out, 0, sizeof *out);
	out->type = mtk_get_u32le(rec + lay->type_off);
	uint32_t n = lay->idlen_off == NO_IDLEN ? v08_id_len(out->type) : mtk_get_u32le(rec + lay->idlen_off);
	if (n > lay->id_max)
		return -1;
	out->id_len = (uint8_t)n;
	memcpy(out->id, rec + lay->id_off, n);
	return 0;
}

static void describe_records(const uint8_t *block, struct mtk_preloader_info *out)
{
	struct mtk_emi_table *t = &out->emi_table;
	const struct emi_layout *lay = emi_layout_for(t->version);
	if (!t->record_size) {
		snprintf(t->layout_note, sizeof t->layout_note,
		         "0x%zx bytes of records do not divide into %u records", out->emi_len, t->count);
		return;
	}
	if (t->record_size < lay->min_size) {
		snprintf(t->layout_note, sizeof t->layout_note,
		         "0x%x-byte records are too small for the v%02u layout", t->record_size, t->version);
		return;
	}
	uint32_t n = t->count < MTK_EMI_MAX_RECORDS ? t->count : MTK_EMI_MAX_RECORDS;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *rec = out->emi + (size_t)i * t->record_size;
		if (describe_record(rec, lay, &t->rec[i]) < 0) {
			snprintf(t->layout_note, sizeof t->layout_note,
			         "record %u at block offset 0x%zx: id_length 0x%x exceeds %u", i,
			         (size_t)(rec - block), mtk_get_u32le(rec + lay->idlen_off), lay->id_max);
			return;
		}
	}
	t->described = n;
}

static void take_emi(const uint8_t *block, size_t len, struct mtk_preloader_info *out)
{
	const uint8_t *m = len > BLOADER_NAME_OFF
	                           ? find_tag(block + BLOADER_NAME_OFF, len - BLOADER_NAME_OFF, EMI_TAG)
	                           : NULL;
	if (!m || (size_t)(block + len - m) < 0x0C)
		return;
	out->emi_count = mtk_get_u32le(m + 8);
	out->emi = m + 0x0C;
	out->emi_len = (size_t)(block + len - out->emi);
	if (out->emi_count && out->emi_len % out->emi_count == 0)
		out->emi_record_size = (uint32_t)(out->emi_len / out->emi_count);
	out->emi_table.count = out->emi_count;
	out->emi_table.record_size = out->emi_record_size;
	describe_records(block, out);
}

/* "MTK_BLOADER_INFO_vNN" -> NN, or -1. */
static int bloader_version(const uint8_t *block, size_t len)
{
	size_t k = strlen(BLOADER_TAG);
	if (len < k + 2 || memcmp(block, BLOADER_TAG, k) != 0)
		return -1;
	const uint8_t *t = block + k;
	if (t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9')
		return -1;
	return (t[0] - '0') * 10 + (t[1] - '0');
}

/* One MTK_BLOADER_INFO block of l bytes (without its length word), §4.5.1. */
static void take_bloader_block(const uint8_t *block, size_t l, struct mtk_preloader_info *out)
{
	out->bloader_info_version = (uint32_t)bloader_version(block, l);
	out->emi_table.version = out->bloader_info_version;
	out->bloader_info_len = (uint32_t)l;
	take_name(block, l, out);
	take_emi(block, l, out);
}

/* The block sits just before the signature, its length in the last u32 before it (§4.5). */
static void find_bloader_info(const uint8_t *buf, struct mtk_preloader_info *out)
{
	size_t code_start = out->gfh_offset + out->hdr_size;
	size_t code_end = out->gfh_offset + out->file_len - out->sig_len;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (code_end < code_start + 4)
			return;
		uint32_t l = mtk_get_u32le(buf + code_end - 4);
		if (l == 0 && attempt == 0 && code_end >= code_start + EMI_RETRY_STEP) {
			code_end -= EMI_RETRY_STEP;
			continue;
		}
		if (l < sizeof BLOADER_TAG + 1 || l > code_end - 4 - code_start)
			return;
		const uint8_t *block = buf + code_end - 4 - l;
		if (bloader_version(block, l) >= 0)
			take_bloader_block(block, l, out);
		return;
	}
}

bool mtk_is_emi_block(const uint8_t *buf, size_t len)
{
	return bloader_version(buf, len) >= 0;
}

/* mtkclient's files drop the trailing length word, MediaTek's block keeps it:
 * the word is there when the last u32 counts exactly the bytes before it. */
static size_t bare_block_len(const uint8_t *buf, size_t len)
{
	if (len >= BLOADER_HDR + 4 && mtk_get_u32le(buf + len - 4) == len - 4)
		return len - 4;
	return len;
}

int mtk_emi_block_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out)
{
	memset(out, 0, sizeof *out);
	if (!mtk_is_emi_block(buf, len))
		return mtk_fail(ctx, MTK_E_PARSE, "EMI block: offset 0: no \"%sNN\" marker", BLOADER_TAG);
	if (len < BLOADER_HDR)
		return mtk_fail(ctx, MTK_E_PARSE, "EMI block: %zu bytes, shorter than its 0x%x-byte header", len,
		                BLOADER_HDR);
	out->bare_emi = true;
	take_bloader_block(buf, bare_block_len(buf, len), out);
	if (!out->emi)
		return mtk_fail(ctx, MTK_E_PARSE, "EMI block: no \"%s\" record header after offset 0x%x",
		                EMI_TAG, BLOADER_NAME_OFF);
	return 0;
}

int mtk_preloader_or_emi_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out)
{
	if (mtk_is_emi_block(buf, len))
		return mtk_emi_block_parse(ctx, buf, len, out);
	return mtk_preloader_parse(ctx, buf, len, out);
}

const char *mtk_emi_class_name(unsigned cls)
{
	switch (cls) {
	case MTK_EMI_DISCRETE:
		return "discrete";
	case MTK_EMI_NAND_MCP:
		return "nand-mcp";
	case MTK_EMI_EMMC_MCP:
		return "emmc-mcp";
	case MTK_EMI_UFS_MCP:
		return "ufs-mcp";
	case MTK_EMI_TABLET:
		return "tablet";
	default:
		return "?";
	}
}

const char *mtk_emi_dram_name(uint32_t type)
{
	static const char *const names[] = {"none",    "DDR1",   "LPDDR2",  "LPDDR3",
	                                    "PCDDR3",  "LPDDR4", "LPDDR4X", "LPDDR4P"};
	unsigned t = type & 0xFu;
	return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

int mtk_preloader_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_preloader_info *out)
{
	memset(out, 0, sizeof *out);
	int rc = find_gfh(ctx, buf, len, out);
	if (rc == 0)
		rc = read_file_info(ctx, buf, len, out);
	if (rc == 0)
		rc = walk_gfh(ctx, buf, out);
	if (rc < 0)
		return rc;
	find_bloader_info(buf, out);
	/* No string in a preloader names its SoC reliably (the MT6737M one says
	 * MT6752, §4.5); the hw_code from the handshake does.  Leave it empty. */
	out->platform[0] = '\0';
	return 0;
}

int mtk_preloader_emi_compare(mtk_ctx *ctx, const struct mtk_preloader_info *a,
                              const struct mtk_preloader_info *b)
{
	if (!a->emi || !b->emi)
		return mtk_fail(ctx, MTK_E_VERIFY, "no EMI settings block in the %s preloader",
		                !a->emi ? "first" : "second");
	if (a->emi_count != b->emi_count)
		return mtk_fail(ctx, MTK_E_VERIFY, "EMI record count differs: %u vs %u", a->emi_count,
		                b->emi_count);
	if (a->emi_len != b->emi_len)
		return mtk_fail(ctx, MTK_E_VERIFY, "EMI block length differs: %zu vs %zu bytes", a->emi_len,
		                b->emi_len);
	for (size_t i = 0; i < a->emi_len; i++) {
		if (a->emi[i] == b->emi[i])
			continue;
		if (a->emi_record_size)
			return mtk_fail(ctx, MTK_E_VERIFY,
			                "EMI settings differ in record %zu at offset 0x%zx (byte 0x%zx of "
			                "the block): "
			                "0x%02x vs 0x%02x",
			                i / a->emi_record_size, i % a->emi_record_size, i, a->emi[i],
			                b->emi[i]);
		return mtk_fail(ctx, MTK_E_VERIFY,
		                "EMI settings differ at byte 0x%zx of the block: 0x%02x vs 0x%02x", i,
		                a->emi[i], b->emi[i]);
	}
	return 0;
}

/* The DA layer takes EMI bytes, not preloaders: the conversion lives here,
 * above it, so lib/da never depends on the image layer. */
int mtk_preloader_da_emi(mtk_ctx *ctx, const struct mtk_preloader_info *pl, struct mtk_da_emi *out)
{
	static const char info_tag[] = "MTK_BLOADER_INFO_v";
	memset(out, 0, sizeof *out);
	if (!pl || !pl->emi || pl->emi_len == 0)
		return mtk_fail(ctx, MTK_E_NOTFOUND, "the preloader has no EMI (DRAM) settings block");
	out->data = pl->emi;
	out->len = pl->emi_len;
	out->version = pl->bloader_info_version;
	out->table = &pl->emi_table;
	/* An xflash DA takes the whole MTK_BLOADER_INFO block, from its tag
	 * (§2.4): the records end where the block ends. */
	if (pl->bloader_info_len >= pl->emi_len) {
		out->block = pl->emi + pl->emi_len - pl->bloader_info_len;
		out->block_len = pl->bloader_info_len;
	} else {
		out->block = pl->emi;
		out->block_len = pl->emi_len;
	}
	/* Given the whole bloader-info block, send from MTK_BIN + 0x0C (§7.5). */
	if (pl->emi_len > sizeof info_tag && memcmp(pl->emi, info_tag, sizeof info_tag - 1) == 0) {
		if (!out->version) {
			const uint8_t *v = pl->emi + sizeof info_tag - 1;
			if (v[0] >= '0' && v[0] <= '9' && v[1] >= '0' && v[1] <= '9')
				out->version = (uint32_t)((v[0] - '0') * 10 + (v[1] - '0'));
		}
		const uint8_t *bin = memmem(pl->emi, pl->emi_len, "MTK_BIN", 7);
		if (!bin || (size_t)(bin - pl->emi) + 0x0C > pl->emi_len)
			return mtk_fail(ctx, MTK_E_PARSE, "the preloader's EMI block has no MTK_BIN records");
		size_t skip = (size_t)(bin - pl->emi) + 0x0C;
		out->data = pl->emi + skip;
		out->len = pl->emi_len - skip;
	}
	return 0;
}
