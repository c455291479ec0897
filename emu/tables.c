/* SPDX-License-Identifier: MIT */
/* The emulator's own partition tables and EXT_CSD, written from formats.md
 * §5 and §6 and pinned by the real Wiko s4050ap MBR/EBR1 (tests), never from
 * the client's lib/storage: a misreading shared by both sides would pass
 * every test (ARCHITECTURE.md, the emulator's layer rule).
 *
 * MBR/EBR (§5.1) as MediaTek's generator writes them for the MT6572/MT6582
 * era, checked byte for byte against the Wiko tables: the MBR's entry 0 is
 * an extended (0x05) entry to EBR1 sized 0xFFFFFFFF, its entries 1-3 and an
 * EBR's entries 0-2 are Linux (0x83) partitions counted from that table's
 * own LBA, the last partition's size is 0xFFFFFFFF minus its written start,
 * CHS fields and boot flags are zero.  With more than one EBR, entry 3 of an
 * EBR links to the next one counted from EBR1 (the DOS rule) — no real
 * table with two EBRs was available to check this [inferred].
 *
 * PMT (§5.2): eMMC "1.1" records of 0x60 bytes with LINEAR offsets (the
 * scatter's linear_start_addr: PRELOADER at 0, MBR at MBR_START_ADDRESS),
 * main copy PTv1 at user_size - 1 MiB, mirror MPT1 in the next 4 KiB.
 * The 0xA5 command serves the records as they are stored. */
#include "emu_storage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "mtkflash/core.h"

#define SECTOR 512u
#define TO_END 0xFFFFFFFFu

static int terr(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int terr(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* ------------------------------------------------------------------ EXT_CSD */

static uint8_t mult_of(uint64_t size)
{
	return (uint8_t)(size / EMU_EMMC_MULT_UNIT);
}

int emu_ext_csd_encode(uint8_t e[512], const struct emu_emmc_geometry *g)
{
	uint64_t sec = g->size[EMU_AREA_USER] / SECTOR;
	if (g->size[EMU_AREA_BOOT1] % EMU_EMMC_MULT_UNIT || g->size[EMU_AREA_RPMB] % EMU_EMMC_MULT_UNIT ||
	    g->size[EMU_AREA_BOOT1] / EMU_EMMC_MULT_UNIT > 0xFF ||
	    g->size[EMU_AREA_RPMB] / EMU_EMMC_MULT_UNIT > 0xFF || g->size[EMU_AREA_USER] % SECTOR ||
	    sec > 0xFFFFFFFFu)
		return MTK_E_RANGE;
	memset(e, 0, 512);
	e[EMU_EXT_CSD_BOOT_SIZE_MULT] = mult_of(g->size[EMU_AREA_BOOT1]);
	e[EMU_EXT_CSD_RPMB_SIZE_MULT] = mult_of(g->size[EMU_AREA_RPMB]);
	mtk_put_u32le(e + EMU_EXT_CSD_SEC_COUNT, (uint32_t)sec);
	e[EMU_EXT_CSD_PARTITION_CONFIG] = EMU_PARTITION_CONFIG_DEFAULT;
	e[EMU_EXT_CSD_BOOT_INFO] = 0x07; /* alternate boot, DDR and HS boot supported */
	e[EMU_EXT_CSD_REV] = 7;          /* eMMC 5.0, the generation of these phones */
	e[EMU_EXT_CSD_ERASED_MEM_CONT] = 0; /* erased memory reads 0x00, as the model does */
	return 0;
}

void emu_ext_csd_sizes(const uint8_t e[512], uint64_t size[EMU_AREA_COUNT])
{
	size[EMU_AREA_BOOT1] = size[EMU_AREA_BOOT2] = (uint64_t)e[EMU_EXT_CSD_BOOT_SIZE_MULT] * EMU_EMMC_MULT_UNIT;
	size[EMU_AREA_RPMB] = (uint64_t)e[EMU_EXT_CSD_RPMB_SIZE_MULT] * EMU_EMMC_MULT_UNIT;
	size[EMU_AREA_USER] = (uint64_t)mtk_get_u32le(e + EMU_EXT_CSD_SEC_COUNT) * SECTOR;
}

/* ------------------------------------------------------------------ MBR/EBR */

static const struct emu_table_part *find_named(const struct emu_table_part *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].user && strcasecmp(p[i].name, name) == 0)
			return &p[i];
	return NULL;
}

static int cmp_offset(const void *a, const void *b)
{
	const struct emu_table_part *x = *(const struct emu_table_part *const *)a,
	                            *y = *(const struct emu_table_part *const *)b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void put_entry(uint8_t *sec, int slot, uint8_t type, uint32_t start, uint32_t size)
{
	uint8_t *e = sec + 0x1BE + 16 * slot;
	e[4] = type;
	mtk_put_u32le(e + 8, start);
	mtk_put_u32le(e + 12, size);
}

static uint8_t *new_table(struct emu_mbr_sectors *out, uint64_t offset)
{
	uint8_t *sec = out->sector[out->count];
	out->offset[out->count++] = offset;
	memset(sec, 0, SECTOR);
	sec[510] = 0x55;
	sec[511] = 0xAA;
	return sec;
}

static int put_linux(uint8_t *sec, int slot, const struct emu_table_part *p, uint64_t table_lba, bool last,
                     char *err, size_t errlen)
{
	uint64_t lba = p->offset / SECTOR, n = p->size / SECTOR;
	if (p->offset % SECTOR || p->size % SECTOR || lba <= table_lba || lba - table_lba > TO_END ||
	    n > TO_END)
		return terr(err, errlen, MTK_E_RANGE,
		            "'%s' (0x%llx+0x%llx) cannot be an entry of the table at LBA %llu", p->name,
		            (unsigned long long)p->offset, (unsigned long long)p->size,
		            (unsigned long long)table_lba);
	uint32_t rel = (uint32_t)(lba - table_lba);
	put_entry(sec, slot, 0x83, rel, last ? TO_END - rel : (uint32_t)n);
	return 0;
}

/* The EBRs named EBR1, EBR2, ... in the layout, in number order. */
static size_t collect_ebrs(const struct emu_table_part *parts, size_t n, const struct emu_table_part **ebr)
{
	size_t k = 0;
	char name[8];
	for (; k + 1 < EMU_MBR_MAX_TABLES; k++) {
		snprintf(name, sizeof(name), "EBR%zu", k + 1);
		if (!(ebr[k] = find_named(parts, n, name)))
			break;
	}
	return k;
}

static int fill_chain(const struct emu_table_part **lin, size_t nl, const struct emu_table_part **ebr,
                      size_t ne, struct emu_mbr_sectors *out, char *err, size_t errlen)
{
	uint8_t *sec = new_table(out, 0);
	size_t next = 0;
	int slot = 0, rc = 0;
	uint64_t ebr1 = ne ? ebr[0]->offset / SECTOR : 0;
	if (ne)
		put_entry(sec, slot++, 0x05, (uint32_t)ebr1, TO_END);
	for (; slot < 4 && next < nl && rc == 0; slot++, next++)
		rc = put_linux(sec, slot, lin[next], 0, next + 1 == nl, err, errlen);
	for (size_t k = 0; k < ne && next < nl && rc == 0; k++) {
		uint64_t at = ebr[k]->offset / SECTOR;
		sec = new_table(out, ebr[k]->offset);
		for (slot = 0; slot < 3 && next < nl && rc == 0; slot++, next++)
			rc = put_linux(sec, slot, lin[next], at, next + 1 == nl, err, errlen);
		if (next < nl && k + 1 < ne)
			put_entry(sec, 3, 0x05, (uint32_t)(ebr[k + 1]->offset / SECTOR - ebr1), TO_END);
	}
	if (rc == 0 && next < nl)
		rc = terr(err, errlen, MTK_E_RANGE, "%zu Linux partitions do not fit the MBR and %zu EBRs ('%s' is left over)",
		          nl, ne, lin[next]->name);
	return rc;
}

int emu_mbr_build(const struct emu_table_part *parts, size_t n, struct emu_mbr_sectors *out, char *err,
                  size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const struct emu_table_part *mbr = find_named(parts, n, "MBR"), *ebr[EMU_MBR_MAX_TABLES];
	if (!mbr || mbr->offset != 0)
		return terr(err, errlen, MTK_E_INVAL, "the layout has no MBR partition at the start of the user area");
	size_t ne = collect_ebrs(parts, n, ebr), nl = 0;
	const struct emu_table_part **lin = calloc(n ? n : 1, sizeof(*lin));
	if (!lin)
		return terr(err, errlen, MTK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (parts[i].user && parts[i].in_mbr)
			lin[nl++] = &parts[i];
	qsort(lin, nl, sizeof(*lin), cmp_offset);
	int rc = fill_chain(lin, nl, ebr, ne, out, err, errlen);
	free(lin);
	return rc;
}

/* ---------------------------------------------------------------------- PMT */

static void put_pmt_record(uint8_t *rec, const struct emu_table_part *p)
{
	memcpy(rec, p->name, strnlen(p->name, EMU_PMT_NAME_LEN - 1));
	mtk_put_u64le(rec + 0x40, p->pmt_size);
	mtk_put_u64le(rec + 0x48, EMU_PMT_PART_ID);
	mtk_put_u64le(rec + 0x50, p->linear);
	mtk_put_u64le(rec + 0x58, 0); /* mask_flags */
}

static void put_pmt_copy(uint8_t *copy, uint32_t sig, const struct emu_table_part *parts, size_t n)
{
	memset(copy, 0, EMU_PMT_COPY_SIZE);
	mtk_put_u32le(copy, sig);
	memcpy(copy + 4, "1.1", 4);
	mtk_put_u32le(copy + EMU_PMT_COPY_SIZE - 4, sig);
	uint8_t *rec = copy + 8;
	for (size_t i = 0; i < n; i++)
		if (parts[i].in_pmt) {
			put_pmt_record(rec, &parts[i]);
			rec += EMU_PMT_RECORD;
		}
}

int emu_pmt_build(const struct emu_table_part *parts, size_t n, uint8_t buf[2 * EMU_PMT_COPY_SIZE], char *err,
                  size_t errlen)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += parts[i].in_pmt;
	if (count > EMU_PMT_MAX_RECORDS)
		return terr(err, errlen, MTK_E_RANGE, "%zu partitions do not fit a PMT (at most %d)", count,
		            EMU_PMT_MAX_RECORDS);
	put_pmt_copy(buf, EMU_PMT_SIG_MAIN, parts, n);
	put_pmt_copy(buf + EMU_PMT_COPY_SIZE, EMU_PMT_SIG_MIRROR, parts, n);
	return 0;
}

int emu_pmt_location(uint64_t user_size, uint64_t *off)
{
	if (user_size < (1u << 20) + 2 * EMU_PMT_COPY_SIZE)
		return MTK_E_RANGE;
	*off = user_size - (1u << 20);
	return 0;
}

/* Records of one stored copy, or 0 when the copy is not a valid 1.1 table. */
static size_t copy_records(const uint8_t *copy, uint32_t sig)
{
	if (mtk_get_u32le(copy) != sig || mtk_get_u32le(copy + EMU_PMT_COPY_SIZE - 4) != sig ||
	    memcmp(copy + 4, "1.1", 4) != 0)
		return 0;
	size_t n = 0;
	while (n < EMU_PMT_MAX_RECORDS && copy[8 + n * EMU_PMT_RECORD] != 0)
		n++;
	return n;
}

int emu_pmt_payload(const uint8_t stored[2 * EMU_PMT_COPY_SIZE], uint8_t **out)
{
	const uint8_t *copy = stored;
	size_t n = copy_records(copy, EMU_PMT_SIG_MAIN);
	if (n == 0) { /* the mirror stands in for a torn main copy, as in MTK's pmt.c */
		copy = stored + EMU_PMT_COPY_SIZE;
		n = copy_records(copy, EMU_PMT_SIG_MIRROR);
	}
	*out = n ? malloc(n * EMU_PMT_RECORD) : NULL;
	if (!*out)
		return 0;
	memcpy(*out, copy + 8, n * EMU_PMT_RECORD);
	return (int)(n * EMU_PMT_RECORD);
}

/* ---------------------------------------------------------------------- GPT */

#define GPT_ENTRIES   128u
#define GPT_ENTRY     128u
#define GPT_ENTRY_LBA (GPT_ENTRIES * GPT_ENTRY / SECTOR) /* 32 */

/* "basic data" EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 in on-disk byte order */
static const uint8_t basic_data[16] = {0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
                                       0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7};

/* A random-looking version-4 GUID that only depends on (seed, index), so a
 * provision is reproducible. */
static void make_guid(uint64_t seed, uint32_t index, uint8_t g[16])
{
	uint64_t x = seed ^ ((uint64_t)index * 0x9E3779B97F4A7C15ull);
	for (int i = 0; i < 16; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		g[i] = (uint8_t)(x >> 24);
	}
	g[7] = (uint8_t)((g[7] & 0x0F) | 0x40); /* version 4 (high nibble of the third group) */
	g[8] = (uint8_t)((g[8] & 0x3F) | 0x80); /* RFC 4122 variant */
}

static int put_gpt_entry(uint8_t *e, const struct emu_table_part *p, uint64_t seed, uint32_t index,
                         uint64_t last_usable, char *err, size_t errlen)
{
	size_t len = strlen(p->name);
	if (p->offset % SECTOR || p->size % SECTOR || p->size == 0 || p->offset / SECTOR < 34 ||
	    (p->offset + p->size) / SECTOR - 1 > last_usable || len > 36)
		return terr(err, errlen, MTK_E_RANGE, "'%s' (0x%llx+0x%llx) cannot be a GPT entry", p->name,
		            (unsigned long long)p->offset, (unsigned long long)p->size);
	memcpy(e, basic_data, 16);
	make_guid(seed, index, e + 16);
	mtk_put_u64le(e + 32, p->offset / SECTOR);
	mtk_put_u64le(e + 40, (p->offset + p->size) / SECTOR - 1);
	for (size_t i = 0; i < len; i++) /* scatter names are ASCII: one UTF-16 unit each */
		mtk_put_u16le(e + 56 + 2 * i, (uint8_t)p->name[i]);
	return 0;
}

static void put_gpt_header(uint8_t *h, uint64_t my, uint64_t alt, uint64_t entries_lba, uint64_t sectors,
                           const uint8_t disk_guid[16], uint32_t entries_crc)
{
	memset(h, 0, SECTOR);
	memcpy(h, "EFI PART", 8);
	mtk_put_u32le(h + 8, 0x00010000);
	mtk_put_u32le(h + 12, 92);
	mtk_put_u64le(h + 24, my);
	mtk_put_u64le(h + 32, alt);
	mtk_put_u64le(h + 40, 34);
	mtk_put_u64le(h + 48, sectors - 34);
	memcpy(h + 56, disk_guid, 16);
	mtk_put_u64le(h + 72, entries_lba);
	mtk_put_u32le(h + 80, GPT_ENTRIES);
	mtk_put_u32le(h + 84, GPT_ENTRY);
	mtk_put_u32le(h + 88, entries_crc);
	mtk_put_u32le(h + 16, mtk_crc32_update(0, h, 92));
}

static void put_protective_mbr(uint8_t *sec, uint64_t sectors)
{
	memset(sec, 0, SECTOR);
	uint8_t *e = sec + 0x1BE;
	e[2] = 0x02; /* CHS of LBA 1 */
	e[4] = 0xEE;
	e[5] = e[6] = e[7] = 0xFF;
	mtk_put_u32le(e + 8, 1);
	mtk_put_u32le(e + 12, sectors - 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)(sectors - 1));
	sec[510] = 0x55;
	sec[511] = 0xAA;
}

static int write_gpt_copies(struct emu_storage *s, uint64_t sectors, const uint8_t *entries, uint64_t seed,
                            char *err, size_t errlen)
{
	uint8_t sec[SECTOR], guid[16];
	uint32_t crc = mtk_crc32_update(0, entries, GPT_ENTRIES * GPT_ENTRY);
	make_guid(seed, 0, guid);
	struct {
		uint64_t lba;
		const void *buf;
		size_t len;
	} w[3];
	put_protective_mbr(sec, sectors);
	int rc = emu_emmc_write(s, EMU_AREA_USER, 0, sec, SECTOR);
	put_gpt_header(sec, 1, sectors - 1, 2, sectors, guid, crc);
	w[0].lba = 1;
	w[0].buf = sec;
	w[0].len = SECTOR;
	w[1].lba = 2;
	w[1].buf = entries;
	w[1].len = GPT_ENTRIES * GPT_ENTRY;
	w[2].lba = sectors - 1 - GPT_ENTRY_LBA;
	w[2].buf = entries;
	w[2].len = GPT_ENTRIES * GPT_ENTRY;
	for (int i = 0; rc == 0 && i < 3; i++)
		rc = emu_emmc_write(s, EMU_AREA_USER, w[i].lba * SECTOR, w[i].buf, w[i].len);
	if (rc == 0) {
		put_gpt_header(sec, sectors - 1, 1, sectors - 1 - GPT_ENTRY_LBA, sectors, guid, crc);
		rc = emu_emmc_write(s, EMU_AREA_USER, (sectors - 1) * SECTOR, sec, SECTOR);
	}
	return rc ? terr(err, errlen, rc, "%s", emu_emmc_error(s)) : 0;
}

int emu_gpt_write(struct emu_storage *s, const struct emu_table_part *parts, size_t n, uint64_t seed, char *err,
                  size_t errlen)
{
	uint64_t sectors = emu_emmc_size(s, EMU_AREA_USER) / SECTOR;
	if (sectors < 2 * 34 + 1)
		return terr(err, errlen, MTK_E_RANGE, "a user area of %llu sectors has no room for a GPT",
		            (unsigned long long)sectors);
	uint8_t *entries = calloc(GPT_ENTRIES, GPT_ENTRY);
	if (!entries)
		return terr(err, errlen, MTK_E_NOMEM, "out of memory");
	uint32_t k = 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!parts[i].user || !parts[i].in_gpt)
			continue;
		if (k == GPT_ENTRIES)
			rc = terr(err, errlen, MTK_E_RANGE, "more than %u partitions for the GPT", GPT_ENTRIES);
		else
			rc = put_gpt_entry(entries + k * GPT_ENTRY, &parts[i], seed, k + 1, sectors - 34, err,
			                   errlen);
		k++;
	}
	if (rc == 0)
		rc = write_gpt_copies(s, sectors, entries, seed, err, errlen);
	free(entries);
	return rc;
}
