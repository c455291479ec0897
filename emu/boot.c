/* SPDX-License-Identifier: MIT */
/* Boot model: after power-on or reset the BootROM reads one boot partition
 * (per the chip's policy, formats.md §6.3) and starts the preloader it finds
 * there if the preloader was built for this SoC; the preloader brings up DRAM
 * with the EMI record naming this board's memory (formats.md §4.5), then loads
 * lk, which loads boot.  Any of these missing or wrong, the phone stays in (or
 * falls back to) BROM download mode: a brick that only talks BROM.
 *
 * Choices made here where the reference is silent:
 * - BOOT_PARTITION_ENABLE 0 (disabled), 7 (user) and the reserved values make
 *   an EXT_CSD-policy BootROM read boot1, as MediaTek's DA leaves a phone
 *   (bits 5:3 = 1); no BootROM falls back to the other boot partition.
 * - A preloader that passes the BootROM but finds no EMI record for the
 *   board's DRAM, or no valid lk/boot, is modelled as "not booting": a real
 *   one would hang or reboot, and with USBDL the next boot is BROM.
 * - lk is valid with MediaTek's partition image header (magic 0x58881688, as
 *   lk.bin in factory packages and `mtkemu mkfirmware` has it); boot with an
 *   Android boot image header ("ANDROID!").
 *
 * Called at every boot (power-on, replug, reset; device.c) unless
 * options.mode forces a personality. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "emu_internal.h"
#include "emu_storage.h"

#define SECTOR 512u
#define LK_MAGIC 0x58881688u
#define GPT_MAX_ENTRIES 256u
#define GPT_ENTRY_MAX 1024u
#define BLOADER_TAG "MTK_BLOADER_INFO_v"
#define EMI_MAX_RECORDS 128u

static const char *const select_names[] = {
	[EMU_BOOT_BOOT1_ONLY] = "boot1-only",
	[EMU_BOOT_EXT_CSD] = "ext-csd",
};

const char *emu_boot_select_name(enum emu_boot_select sel)
{
	return sel <= EMU_BOOT_EXT_CSD ? select_names[sel] : "?";
}

static void verdict_fail(struct emu_boot_verdict *v, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void verdict_fail(struct emu_boot_verdict *v, const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof v->why, fmt, ap);
	va_end(ap);
	snprintf(v->failed, sizeof v->failed, "%s", what);
	v->boots = false;
}

/* The partition the BootROM reads, per the chip's policy. */
static int boot_area_of(const struct emu_profile *prof, unsigned enable)
{
	if (prof->boot_select == EMU_BOOT_EXT_CSD && enable == 2)
		return EMU_AREA_BOOT2;
	return EMU_AREA_BOOT1;
}

/* ---- preloader ----------------------------------------------------------------- */

/* EMMC_BOOT device header and BRLYT (formats.md §4.2/§4.3); the GFH offset. */
static bool boot_headers(const uint8_t *img, size_t len, uint32_t *gfh)
{
	if (len < 0x220 || memcmp(img, "EMMC_BOOT", 9) != 0 || img[9] != 0 || mtk_get_u32le(img + 0x0C) != 1 ||
	    memcmp(img + 0x200, "BRLYT", 5) != 0 || mtk_get_u32le(img + 0x214) != 0x42424242)
		return false;
	*gfh = mtk_get_u32le(img + 0x20C);
	return true;
}

/* GFH_FILE_INFO of an ARM boot loader (formats.md §4.4): its load address
 * and file length; false when there is none at `gfh`. */
static bool gfh_file_info(const uint8_t *img, size_t len, uint32_t gfh, uint32_t *load, uint32_t *flen)
{
	struct mtk_rd r = mtk_rd_init(img, len);
	if (!mtk_rd_seek(&r, gfh))
		return false;
	const uint8_t *g = mtk_rd_take(&r, 0x38);
	if (!g || memcmp(g, "MMM\x01", 4) != 0 || memcmp(g + 8, "FILE_INFO", 9) != 0 ||
	    mtk_get_u16le(g + 0x18) != 1)
		return false;
	*load = mtk_get_u32le(g + 0x1C);
	*flen = mtk_get_u32le(g + 0x20);
	return true;
}

/* The MTK_BLOADER_INFO block inside [from, to): its offset or 0.  memmem,
 * not a loop: a hostile file length makes this scan the whole boot area,
 * byte by traced byte in a fuzz build (most of fuzz_emu_boot's time). */
static size_t find_bloader(const uint8_t *img, size_t from, size_t to)
{
	if (from >= to)
		return 0;
	const uint8_t *hit = memmem(img + from, to - from, BLOADER_TAG, sizeof BLOADER_TAG - 1);
	return hit ? (size_t)(hit - img) : 0;
}

/* Does any EMI record of the block carry this board's DRAM settings?  The
 * preloader picks its record by the eMMC id and must then find the very
 * settings the DRAM needs (the first u32, sub_version, is not a setting). */
static bool emi_fits(const struct emu_profile *prof, const uint8_t *img, size_t len, size_t info)
{
	uint8_t own[EMU_EMI_RECORD_SIZE];
	emu_board_emi_record(prof, own);
	struct mtk_rd r = mtk_rd_init(img, len);
	if (!mtk_rd_seek(&r, info + 0x6C))
		return false;
	uint32_t count = mtk_rd_u32le(&r);
	for (uint32_t i = 0; i < count && i < EMI_MAX_RECORDS; i++) {
		const uint8_t *rec = mtk_rd_take(&r, EMU_EMI_RECORD_SIZE);
		if (!rec)
			return false;
		if (memcmp(rec + 4, own + 4, EMU_EMI_RECORD_SIZE - 4) == 0)
			return true;
	}
	return false;
}

/* The boot area, read as far as the checks need it: a preloader is a small
 * part of its area, and the emulator runs this at every boot. */
struct boot_img {
	struct emu_storage *s;
	int area;
	uint64_t len; /* the area's size */
	uint8_t *buf;
	size_t have;
	bool failed; /* a read failed: what is there is all there will be */
};

/* Reads up to `upto` (capped at the area's end); returns how much is there. */
static size_t img_need(struct boot_img *im, uint64_t upto)
{
	if (upto > im->len)
		upto = im->len;
	if (upto <= im->have || im->failed)
		return im->have;
	uint8_t *b = realloc(im->buf, (size_t)upto);
	if (!b || emu_emmc_read(im->s, im->area, im->have, b + im->have, (size_t)upto - im->have) != 0) {
		im->failed = true;
		if (b)
			im->buf = b;
		return im->have;
	}
	im->buf = b;
	im->have = (size_t)upto;
	return im->have;
}

static void check_preloader(const struct emu_profile *prof, struct boot_img *im, struct emu_boot_verdict *v)
{
	const char *area = emu_area_name(v->boot_area);
	uint32_t gfh, load, flen;
	size_t len = img_need(im, 0x220);
	const uint8_t *img = im->buf;
	if (!boot_headers(img, len, &gfh)) {
		verdict_fail(v, "preloader", "%s: no EMMC_BOOT + BRLYT header at 0 (erased, overwritten or never written)",
			     area);
		return;
	}
	len = img_need(im, (uint64_t)gfh + 0x38);
	img = im->buf;
	if (!gfh_file_info(img, len, gfh, &load, &flen)) {
		verdict_fail(v, "gfh", "%s: no GFH_FILE_INFO of a boot loader at 0x%x", area, gfh);
		return;
	}
	uint32_t want = emu_preloader_load_addr(prof);
	if (load != want) {
		verdict_fail(v, "gfh", "%s: preloader built for another SoC (GFH load address 0x%08x, %s loads at 0x%08x)",
			     area, load, prof->name, want);
		return;
	}
	len = img_need(im, (uint64_t)gfh + flen);
	img = im->buf;
	size_t end = (uint64_t)gfh + flen < len ? gfh + flen : len;
	size_t info = find_bloader(img, gfh, end);
	if (!info) {
		verdict_fail(v, "emi", "%s: preloader has no %s block (no EMI settings)", area, BLOADER_TAG);
		return;
	}
	len = img_need(im, info + 0x70 + (uint64_t)EMI_MAX_RECORDS * EMU_EMI_RECORD_SIZE);
	if (!emi_fits(prof, im->buf, len, info))
		verdict_fail(v, "emi", "%s: no EMI record at 0x%zx fits the board's DRAM (MR5 0x%02x): DRAM init fails",
			     area, info + 0x70, prof->dram_mr5);
}

/* ---- partition table ------------------------------------------------------------------ */

struct part_loc {
	uint64_t off, size; /* user-area bytes */
};

static bool name_is_utf16(const uint8_t *e, const char *name)
{
	size_t n = strlen(name);
	if (n > 36)
		return false;
	for (size_t i = 0; i < n; i++)
		if (mtk_get_u16le(e + 56 + 2 * i) != (uint8_t)name[i])
			return false;
	return n == 36 || mtk_get_u16le(e + 56 + 2 * n) == 0;
}

/* Looks `name` up in the primary GPT of the user area. */
static int gpt_lookup(struct emu_storage *s, const char *name, struct part_loc *loc)
{
	uint8_t hdr[SECTOR];
	if (emu_emmc_read(s, EMU_AREA_USER, SECTOR, hdr, sizeof hdr) != 0 || memcmp(hdr, "EFI PART", 8) != 0)
		return -1;
	uint64_t lba = mtk_get_u64le(hdr + 0x48);
	uint32_t count = mtk_get_u32le(hdr + 0x50), esize = mtk_get_u32le(hdr + 0x54);
	if (count > GPT_MAX_ENTRIES)
		count = GPT_MAX_ENTRIES;
	if (esize < 128 || esize > GPT_ENTRY_MAX || lba > UINT64_MAX / SECTOR)
		return -1;
	uint8_t *ents = malloc((size_t)count * esize + 1);
	int rc = ents && emu_emmc_read(s, EMU_AREA_USER, lba * SECTOR, ents, (size_t)count * esize) == 0 ? 1 : -1;
	for (uint32_t i = 0; rc == 1 && i < count; i++) {
		const uint8_t *e = ents + (size_t)i * esize;
		uint64_t first = mtk_get_u64le(e + 32), last = mtk_get_u64le(e + 40);
		if (!name_is_utf16(e, name) || last < first || last >= UINT64_MAX / SECTOR)
			continue;
		loc->off = first * SECTOR;
		loc->size = (last - first + 1) * SECTOR;
		rc = 0;
	}
	free(ents);
	return rc;
}

/* Looks `name` up in the PMT (MBR era): linear addresses, the MBR record
 * marking where the user area starts. */
static int pmt_lookup(struct emu_storage *s, const char *name, struct part_loc *loc)
{
	uint64_t at;
	uint8_t raw[2 * EMU_PMT_COPY_SIZE], *recs = NULL;
	if (emu_pmt_location(emu_emmc_size(s, EMU_AREA_USER), &at) != 0 ||
	    emu_emmc_read(s, EMU_AREA_USER, at, raw, sizeof raw) != 0)
		return -1;
	size_t n = (size_t)emu_pmt_payload(raw, &recs) / EMU_PMT_RECORD;
	bool have_base = false, found = false;
	uint64_t base = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = recs + i * EMU_PMT_RECORD;
		if (strncmp((const char *)r, "MBR", EMU_PMT_NAME_LEN) == 0) {
			base = mtk_get_u64le(r + 0x50);
			have_base = true;
		}
		if (strncmp((const char *)r, name, EMU_PMT_NAME_LEN) == 0) {
			loc->off = mtk_get_u64le(r + 0x50);
			loc->size = mtk_get_u64le(r + 0x40);
			found = true;
		}
	}
	free(recs);
	if (!found || !have_base || loc->off < base)
		return -1;
	loc->off -= base;
	return 0;
}

/* A partition's first bytes, by its era's name, and where it is; false
 * (with the verdict set) when the table or the partition is not there. */
static bool part_head(const struct emu_profile *prof, struct emu_storage *s, const char *gpt_name,
		      const char *pmt_name, uint8_t *buf, size_t len, char where[96], struct emu_boot_verdict *v)
{
	bool gpt = prof->table == EMU_TABLE_GPT;
	const char *name = gpt ? gpt_name : pmt_name;
	struct part_loc loc;
	if ((gpt ? gpt_lookup(s, name, &loc) : pmt_lookup(s, name, &loc)) != 0) {
		verdict_fail(v, "table", "user: no %s entry named %s (the preloader cannot find it)",
			     gpt ? "GPT" : "PMT", name);
		return false;
	}
	snprintf(where, 96, "%s at user 0x%llx", name, (unsigned long long)loc.off);
	if (loc.size < len || emu_emmc_read(s, EMU_AREA_USER, loc.off, buf, len) != 0) {
		verdict_fail(v, "table", "%s: not readable", where);
		return false;
	}
	return true;
}

static void check_lk_boot(const struct emu_profile *prof, struct emu_storage *s, struct emu_boot_verdict *v)
{
	uint8_t head[8];
	char where[96];
	if (!part_head(prof, s, "lk", "UBOOT", head, sizeof head, where, v))
		return;
	if (mtk_get_u32le(head) != LK_MAGIC) {
		verdict_fail(v, "lk", "%s: no MediaTek image header (0x%08x, found 0x%08x)", where, LK_MAGIC,
			     mtk_get_u32le(head));
		return;
	}
	if (!part_head(prof, s, "boot", "BOOTIMG", head, sizeof head, where, v))
		return;
	if (memcmp(head, "ANDROID!", 8) != 0)
		verdict_fail(v, "boot", "%s: no Android boot image header (ANDROID!)", where);
}

/* ---- the verdict ------------------------------------------------------------------- */

void emu_boot_check(const struct emu_profile *prof, struct emu_storage *s, struct emu_boot_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->enable = EMU_BOOT_ENABLE(emu_emmc_ext_csd(s)[EMU_EXT_CSD_PARTITION_CONFIG]);
	v->boot_area = boot_area_of(prof, v->enable);
	struct boot_img im = {.s = s, .area = v->boot_area, .len = emu_emmc_size(s, v->boot_area)};
	v->boots = true;
	check_preloader(prof, &im, v);
	free(im.buf);
	if (im.failed) {
		verdict_fail(v, "preloader", "%s: not readable", emu_area_name(v->boot_area));
		return;
	}
	if (v->boots)
		check_lk_boot(prof, s, v);
	if (v->boots)
		snprintf(v->why, sizeof v->why, "%s: preloader for %s with the board's EMI record; lk and boot valid",
			 emu_area_name(v->boot_area), prof->name);
}

/* A state directory never provisioned is a blank eMMC: nothing to boot. */
static enum emu_mode decide(struct mtkemu *e)
{
	char err[256];
	if (!emu_state_has_device(e) || emu_storage_open(e, err, sizeof(err)) != 0)
		return EMU_MODE_BROM;
	struct emu_boot_verdict v;
	emu_boot_check(e->prof, e->storage, &v);
	return v.boots ? EMU_MODE_PRELOADER : EMU_MODE_BROM;
}

/* In memory, the same storage gives the same verdict (memstate.c keeps it). */
enum emu_mode emu_boot_decide_mode(struct mtkemu *e)
{
	int mode;
	if (e->memstate && emu_memstate_boot_get(e->memstate, e->prof, &mode))
		return (enum emu_mode)mode;
	enum emu_mode m = decide(e);
	if (e->memstate)
		emu_memstate_boot_set(e->memstate, e->prof, (int)m);
	return m;
}
