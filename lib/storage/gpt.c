/* SPDX-License-Identifier: MIT */
/* GUID partition table: reader with backup fallback, and a writer
 * (formats.md §5.3, da-legacy.md §6.6 and §8.1). */
#include "mtkflash/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"
#include "core/text.h"

#define GPT_SIG           "EFI PART"
#define GPT_REVISION      0x00010000u
#define GPT_HEADER_SIZE   92u
#define GPT_ENTRIES_BYTES (MTK_GPT_ENTRY_COUNT * MTK_GPT_ENTRY_SIZE)
/* A header may declare any entry array; we refuse to fetch more than this. */
#define GPT_MAX_ARRAY_BYTES (1u << 20)

/* Header field offsets (UEFI 2.x §5.3.2). */
enum {
	H_SIG = 0,
	H_REV = 8,
	H_SIZE = 12,
	H_CRC = 16,
	H_MY_LBA = 24,
	H_ALT_LBA = 32,
	H_FIRST = 40,
	H_LAST = 48,
	H_DISK_GUID = 56,
	H_ENTRIES_LBA = 72,
	H_NUM = 80,
	H_ENTRY_SIZE = 84,
	H_ENTRIES_CRC = 88,
};
/* Entry field offsets. */
enum { E_TYPE = 0, E_UUID = 16, E_FIRST = 32, E_LAST = 40, E_ATTRS = 48, E_NAME = 56 };

/* "Basic data" — what MediaTek's GPT-era layouts use for every partition. */
static const uint8_t basic_data_guid[16] = {0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
                                            0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7};

uint32_t mtk_gpt_entry_sectors(uint32_t sector_size)
{
	return sector_size ? (GPT_ENTRIES_BYTES + sector_size - 1) / sector_size : 0;
}

size_t mtk_gpt_head_bytes(uint32_t sector_size)
{
	return (size_t)(2 + mtk_gpt_entry_sectors(sector_size)) * sector_size;
}

size_t mtk_gpt_tail_bytes(uint32_t sector_size)
{
	return (size_t)(1 + mtk_gpt_entry_sectors(sector_size)) * sector_size;
}

static bool sector_size_ok(uint32_t ss)
{
	return ss >= 512 && ss <= 65536 && (ss & (ss - 1)) == 0;
}

void mtk_guid_format(const uint8_t g[16], char *buf, size_t len)
{
	snprintf(buf, len, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", (unsigned)mtk_get_u32le(g),
	         (unsigned)mtk_get_u16le(g + 4), (unsigned)mtk_get_u16le(g + 6), g[8], g[9], g[10], g[11],
	         g[12], g[13], g[14], g[15]);
}

/* ------------------------------------------------------------ UTF-16 names */

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* 36 UTF-16LE units -> UTF-8; unpaired surrogates become U+FFFD, which keeps
 * the worst case at 3 bytes a unit (108 + NUL fits the name field). */
static void name_from_utf16(const uint8_t *src, char *dst)
{
	size_t o = 0;
	for (int i = 0; i < MTK_GPT_NAME_UNITS; i++) {
		uint32_t u = mtk_get_u16le(src + 2 * i);
		if (u == 0)
			break;
		if (u >= 0xD800 && u < 0xDC00 && i + 1 < MTK_GPT_NAME_UNITS) {
			uint32_t lo = mtk_get_u16le(src + 2 * i + 2);
			if (lo >= 0xDC00 && lo < 0xE000) {
				o += put_utf8(dst + o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
				i++;
				continue;
			}
		}
		o += put_utf8(dst + o, (u >= 0xD800 && u < 0xE000) ? 0xFFFD : u);
	}
	dst[o] = '\0';
}

static int name_to_utf16(mtk_ctx *ctx, const char *name, uint8_t *dst)
{
	const unsigned char *s = (const unsigned char *)name;
	int units = 0;
	while (*s) {
		uint32_t cp;
		size_t n = mtk_utf8_decode(s, strlen((const char *)s), &cp);
		if (!n)
			return mtk_fail(ctx, MTK_E_INVAL, "partition name '%s': invalid UTF-8 at byte %zu",
			                name, (size_t)(s - (const unsigned char *)name));
		int need = cp >= 0x10000 ? 2 : 1;
		if (units + need > MTK_GPT_NAME_UNITS)
			return mtk_fail(ctx, MTK_E_RANGE,
			                "partition name '%s' is longer than %d UTF-16 units", name,
			                MTK_GPT_NAME_UNITS);
		if (need == 2) {
			mtk_put_u16le(dst + 2 * units++, (uint16_t)(0xD800 + ((cp - 0x10000) >> 10)));
			mtk_put_u16le(dst + 2 * units++, (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
		} else {
			mtk_put_u16le(dst + 2 * units++, (uint16_t)cp);
		}
		s += n;
	}
	return 0;
}

/* ------------------------------------------------------------------ reader */

struct gpt_src {
	mtk_read_sectors_fn rd;
	void *user;
	uint32_t ss;
	uint64_t disk_sectors;
};

/* Why one copy is unusable, for the warning or the final error. */
struct gpt_why {
	int code;
	char msg[160];
};

static int why(struct gpt_why *w, int code, const char *fmt, ...) MTK_PRINTF(3, 4);
static int why(struct gpt_why *w, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof w->msg, fmt, ap);
	va_end(ap);
	w->code = code;
	return code;
}

struct gpt_hdr {
	uint64_t my_lba, alt_lba, first, last, entries_lba;
	uint32_t num, entry_size, entries_crc;
	uint8_t disk_guid[16];
};

static int read_header(const struct gpt_src *src, uint64_t lba, const char *which, uint8_t *sec,
                       struct gpt_hdr *h, struct gpt_why *w)
{
	int rc = src->rd(src->user, lba, 1, sec);
	if (rc < 0)
		return why(w, rc, "cannot read the %s GPT header at LBA %llu (%s)", which,
		           (unsigned long long)lba, mtk_error_name(rc));
	if (memcmp(sec + H_SIG, GPT_SIG, 8))
		return why(w, MTK_E_PARSE, "no %s GPT header ('EFI PART') at LBA %llu", which,
		           (unsigned long long)lba);
	uint32_t hsize = mtk_get_u32le(sec + H_SIZE);
	if (hsize < GPT_HEADER_SIZE || hsize > src->ss)
		return why(w, MTK_E_PARSE, "%s GPT header size %u at byte 0x%x is not in %u..%u", which,
		           hsize, H_SIZE, GPT_HEADER_SIZE, src->ss);
	uint32_t stored = mtk_get_u32le(sec + H_CRC);
	mtk_put_u32le(sec + H_CRC, 0);
	uint32_t computed = mtk_crc32_update(0, sec, hsize);
	mtk_put_u32le(sec + H_CRC, stored);
	if (stored != computed)
		return why(w, MTK_E_PARSE, "%s GPT header CRC mismatch (stored 0x%08x, computed 0x%08x)",
		           which, stored, computed);
	h->my_lba = mtk_get_u64le(sec + H_MY_LBA);
	h->alt_lba = mtk_get_u64le(sec + H_ALT_LBA);
	h->first = mtk_get_u64le(sec + H_FIRST);
	h->last = mtk_get_u64le(sec + H_LAST);
	h->entries_lba = mtk_get_u64le(sec + H_ENTRIES_LBA);
	h->num = mtk_get_u32le(sec + H_NUM);
	h->entry_size = mtk_get_u32le(sec + H_ENTRY_SIZE);
	h->entries_crc = mtk_get_u32le(sec + H_ENTRIES_CRC);
	memcpy(h->disk_guid, sec + H_DISK_GUID, 16);
	return 0;
}

static int check_header(const struct gpt_src *src, uint64_t lba, const char *which, const struct gpt_hdr *h,
                        struct gpt_why *w)
{
	uint64_t n = src->disk_sectors;
	if (h->my_lba != lba)
		return why(w, MTK_E_PARSE, "%s GPT header at LBA %llu says it is at LBA %llu", which,
		           (unsigned long long)lba, (unsigned long long)h->my_lba);
	if (h->first > h->last || (n && h->last >= n))
		return why(w, MTK_E_PARSE, "%s GPT usable LBAs %llu..%llu do not fit a disk of %llu sectors",
		           which, (unsigned long long)h->first, (unsigned long long)h->last,
		           (unsigned long long)n);
	if (h->entry_size < MTK_GPT_ENTRY_SIZE || h->entry_size % 8)
		return why(w, MTK_E_PARSE, "%s GPT entry size %u is not a multiple of 8 >= 128", which,
		           h->entry_size);
	if ((uint64_t)h->num * h->entry_size > GPT_MAX_ARRAY_BYTES)
		return why(w, MTK_E_PARSE, "%s GPT declares %u entries of %u bytes (over %u bytes)", which,
		           h->num, h->entry_size, GPT_MAX_ARRAY_BYTES);
	uint64_t secs = ((uint64_t)h->num * h->entry_size + src->ss - 1) / src->ss, end;
	if (mtk_add_overflows(h->entries_lba, secs, &end) || (n && end > n) ||
	    (lba >= h->entries_lba && lba < end))
		return why(w, MTK_E_PARSE,
		           "%s GPT entry array at LBA %llu (%llu sectors) is outside the disk", which,
		           (unsigned long long)h->entries_lba, (unsigned long long)secs);
	return 0;
}

static int parse_entry(const uint8_t *e, uint32_t idx, const char *which, const struct gpt_hdr *h,
                       uint32_t ss, struct mtk_part *p, struct gpt_why *w)
{
	memset(p, 0, sizeof *p);
	memcpy(p->type_guid, e + E_TYPE, 16);
	memcpy(p->uuid, e + E_UUID, 16);
	uint64_t first = mtk_get_u64le(e + E_FIRST), last = mtk_get_u64le(e + E_LAST);
	p->attrs = mtk_get_u64le(e + E_ATTRS);
	p->region = MTK_REGION_USER;
	name_from_utf16(e + E_NAME, p->name);
	if (first > last || first < h->first || last > h->last)
		return why(w, MTK_E_PARSE,
		           "%s GPT entry %u (%s): LBAs %llu..%llu outside the usable %llu..%llu", which, idx,
		           p->name, (unsigned long long)first, (unsigned long long)last,
		           (unsigned long long)h->first, (unsigned long long)h->last);
	/* last <= h->last < disk_sectors, and disk bytes were checked to fit */
	p->start = first * ss;
	p->size = (last - first + 1) * ss;
	return 0;
}

static int read_entries(mtk_ctx *ctx, const struct gpt_src *src, const char *which, const struct gpt_hdr *h,
                        struct mtk_ptable *out, struct gpt_why *w)
{
	size_t bytes = (size_t)h->num * h->entry_size;
	uint32_t secs = (uint32_t)((bytes + src->ss - 1) / src->ss);
	uint8_t *buf = malloc(secs ? (size_t)secs * src->ss : 1);
	if (!buf)
		return why(w, MTK_E_NOMEM, "out of memory for %u GPT entry sectors", secs);
	int rc = secs ? src->rd(src->user, h->entries_lba, secs, buf) : 0;
	if (rc < 0) {
		why(w, rc, "cannot read the %s GPT entries at LBA %llu (%s)", which,
		    (unsigned long long)h->entries_lba, mtk_error_name(rc));
		goto out;
	}
	uint32_t computed = mtk_crc32_update(0, buf, bytes);
	if (computed != h->entries_crc) {
		rc = why(w, MTK_E_PARSE, "%s GPT entries CRC mismatch (stored 0x%08x, computed 0x%08x)",
		         which, h->entries_crc, computed);
		goto out;
	}
	for (uint32_t i = 0; i < h->num; i++) {
		const uint8_t *e = buf + (size_t)i * h->entry_size;
		struct mtk_part p;
		if (mtk_all_zero(e + E_TYPE, 16))
			continue;
		rc = parse_entry(e, i, which, h, src->ss, &p, w);
		if (rc < 0)
			goto out;
		rc = mtk_ptable_add(ctx, out, &p);
		if (rc < 0) {
			/* keep the list's reason (an unsafe name) in this copy's message */
			why(w, rc, "%s", ctx && *mtk_ctx_error(ctx) ? mtk_ctx_error(ctx) : "cannot add a GPT entry");
			goto out;
		}
	}
out:
	free(buf);
	return rc;
}

static int try_copy(mtk_ctx *ctx, const struct gpt_src *src, uint64_t lba, const char *which,
                    struct mtk_ptable *out, struct gpt_why *w)
{
	uint8_t *sec = malloc(src->ss);
	struct gpt_hdr h = {0};
	if (!sec)
		return why(w, MTK_E_NOMEM, "out of memory for a GPT header sector");
	int rc = read_header(src, lba, which, sec, &h, w);
	free(sec);
	if (rc == 0)
		rc = check_header(src, lba, which, &h, w);
	mtk_ptable_init(out, MTK_PTABLE_GPT);
	if (rc == 0)
		rc = read_entries(ctx, src, which, &h, out, w);
	if (rc < 0) {
		mtk_ptable_free(out);
		return rc;
	}
	out->sector_size = src->ss;
	out->disk_size = src->disk_sectors * src->ss;
	out->first_usable = h.first;
	out->last_usable = h.last;
	memcpy(out->disk_guid, h.disk_guid, 16);
	return 0;
}

int mtk_gpt_read(mtk_ctx *ctx, mtk_read_sectors_fn rd, void *user, uint32_t sector_size,
                 uint64_t disk_sectors, struct mtk_ptable *out)
{
	struct gpt_src src = {rd, user, sector_size, disk_sectors};
	struct gpt_why wp = {0, ""}, wb = {0, ""};
	uint64_t disk_bytes;
	mtk_ptable_init(out, MTK_PTABLE_GPT);
	if (!sector_size_ok(sector_size))
		return mtk_fail(ctx, MTK_E_INVAL, "GPT: sector size %u is not a power of two in 512..65536",
		                sector_size);
	if (disk_sectors < 3 || mtk_mul_overflows(disk_sectors, sector_size, &disk_bytes))
		return mtk_fail(ctx, MTK_E_INVAL, "GPT: a disk of %llu sectors cannot hold a GPT",
		                (unsigned long long)disk_sectors);
	if (try_copy(ctx, &src, 1, "primary", out, &wp) == 0)
		return 0;
	if (try_copy(ctx, &src, disk_sectors - 1, "backup", out, &wb) == 0) {
		out->used_backup = true;
		snprintf(out->warning, sizeof out->warning, "%s; using the backup GPT", wp.msg);
		return 0;
	}
	int code = wp.code == MTK_E_PARSE || wb.code == MTK_E_PARSE ? MTK_E_PARSE : wp.code;
	return mtk_fail(ctx, code, "no valid GPT: %s; %s", wp.msg, wb.msg);
}

/* Serves mtk_gpt_parse's buffers as a disk: LBAs in head count from 0, tail
 * ends at the last LBA; anything else is unreadable. */
struct mem_disk {
	const uint8_t *head, *tail;
	size_t head_len, tail_len;
	uint32_t ss;
	uint64_t disk_bytes;
};

static int mem_read(void *user, uint64_t lba, uint32_t count, uint8_t *buf)
{
	const struct mem_disk *m = user;
	uint64_t off, len = (uint64_t)count * m->ss, end;
	if (mtk_mul_overflows(lba, m->ss, &off) || mtk_add_overflows(off, len, &end) || end > m->disk_bytes)
		return MTK_E_RANGE;
	if (m->head && end <= m->head_len) {
		memcpy(buf, m->head + off, len);
		return 0;
	}
	uint64_t tail_at = m->disk_bytes - m->tail_len;
	if (m->tail && m->tail_len <= m->disk_bytes && off >= tail_at) {
		memcpy(buf, m->tail + (off - tail_at), len);
		return 0;
	}
	return MTK_E_RANGE;
}

int mtk_gpt_parse(mtk_ctx *ctx, const uint8_t *head, size_t head_len, const uint8_t *tail, size_t tail_len,
                  uint32_t sector_size, uint64_t disk_sectors, struct mtk_ptable *out)
{
	struct mem_disk m = {head, tail, head ? head_len : 0, tail ? tail_len : 0, sector_size, 0};
	if (sector_size_ok(sector_size) && mtk_mul_overflows(disk_sectors, sector_size, &m.disk_bytes)) {
		mtk_ptable_init(out, MTK_PTABLE_GPT);
		return mtk_fail(ctx, MTK_E_INVAL, "GPT: %llu sectors overflow",
		                (unsigned long long)disk_sectors);
	}
	return mtk_gpt_read(ctx, mem_read, &m, sector_size, disk_sectors, out);
}

/* ------------------------------------------------------------------ writer */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A version-4-shaped GUID that depends only on (seed, index), so an emulator
 * provisioned twice from the same scatter holds identical bytes. */
static void derive_guid(uint64_t seed, uint32_t index, uint8_t g[16])
{
	uint64_t x = seed ^ ((uint64_t)index * 0xD1B54A32D192ED03ull);
	mtk_put_u64le(g, splitmix64(&x));
	mtk_put_u64le(g + 8, splitmix64(&x));
	g[7] = (uint8_t)((g[7] & 0x0F) | 0x40); /* time_hi_and_version is stored little-endian */
	g[8] = (uint8_t)((g[8] & 0x3F) | 0x80);
}

struct gpt_geom {
	uint32_t ss, es; /* sector size, entry-array sectors */
	uint64_t n, first, last;
};

static int geom_init(mtk_ctx *ctx, const struct mtk_ptable *t, uint32_t ss, uint64_t n, struct gpt_geom *g)
{
	uint64_t bytes;
	if (!sector_size_ok(ss))
		return mtk_fail(ctx, MTK_E_INVAL, "GPT: sector size %u is not a power of two in 512..65536",
		                ss);
	g->ss = ss;
	g->es = mtk_gpt_entry_sectors(ss);
	g->n = n;
	if (n < 2 * (uint64_t)g->es + 4 || mtk_mul_overflows(n, ss, &bytes))
		return mtk_fail(ctx, MTK_E_RANGE, "GPT: a disk of %llu sectors of %u bytes cannot hold a GPT",
		                (unsigned long long)n, ss);
	uint64_t min_first = 2 + g->es, max_last = n - 2 - g->es;
	g->first = t->first_usable ? t->first_usable : min_first;
	g->last = t->last_usable ? t->last_usable : max_last;
	if (g->first < min_first || g->last > max_last || g->first > g->last)
		return mtk_fail(ctx, MTK_E_RANGE, "GPT: usable LBAs %llu..%llu not inside %llu..%llu",
		                (unsigned long long)g->first, (unsigned long long)g->last,
		                (unsigned long long)min_first, (unsigned long long)max_last);
	return 0;
}

static int check_part(mtk_ctx *ctx, const struct gpt_geom *g, const struct mtk_part *p)
{
	if (p->region != MTK_REGION_USER)
		return mtk_fail(ctx, MTK_E_INVAL, "GPT: partition %s is in the %s area, not the user area",
		                p->name, mtk_region_name(p->region));
	if (p->start % g->ss || p->size % g->ss || p->size == 0)
		return mtk_fail(ctx, MTK_E_INVAL,
		                "GPT: partition %s (0x%llx, 0x%llx bytes) is not a whole number of "
		                "%u-byte sectors",
		                p->name, (unsigned long long)p->start, (unsigned long long)p->size, g->ss);
	uint64_t first = p->start / g->ss, last = first + p->size / g->ss - 1;
	if (first < g->first || last > g->last || last < first)
		return mtk_fail(ctx, MTK_E_RANGE,
		                "GPT: partition %s (LBAs %llu..%llu) is outside the usable LBAs "
		                "%llu..%llu",
		                p->name, (unsigned long long)first, (unsigned long long)last,
		                (unsigned long long)g->first, (unsigned long long)g->last);
	return 0;
}

static int check_overlaps(mtk_ctx *ctx, const struct mtk_ptable *t)
{
	for (size_t i = 0; i < t->count; i++)
		for (size_t j = i + 1; j < t->count; j++) {
			const struct mtk_part *a = &t->parts[i], *b = &t->parts[j];
			if (a->start < b->start + b->size && b->start < a->start + a->size)
				return mtk_fail(ctx, MTK_E_RANGE, "GPT: partitions %s and %s overlap",
				                a->name, b->name);
		}
	return 0;
}

static int build_entries(mtk_ctx *ctx, const struct mtk_ptable *t, const struct gpt_geom *g, uint64_t seed,
                         uint8_t *arr)
{
	memset(arr, 0, GPT_ENTRIES_BYTES);
	for (size_t i = 0; i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		uint8_t *e = arr + i * MTK_GPT_ENTRY_SIZE;
		int rc = check_part(ctx, g, p);
		if (rc == 0)
			rc = name_to_utf16(ctx, p->name, e + E_NAME);
		if (rc < 0)
			return rc;
		memcpy(e + E_TYPE, mtk_all_zero(p->type_guid, 16) ? basic_data_guid : p->type_guid, 16);
		if (mtk_all_zero(p->uuid, 16))
			derive_guid(seed, (uint32_t)i + 1, e + E_UUID);
		else
			memcpy(e + E_UUID, p->uuid, 16);
		mtk_put_u64le(e + E_FIRST, p->start / g->ss);
		mtk_put_u64le(e + E_LAST, (p->start + p->size) / g->ss - 1);
		mtk_put_u64le(e + E_ATTRS, p->attrs);
	}
	return 0;
}

static void build_header(uint8_t *sec, const struct gpt_geom *g, const uint8_t disk_guid[16], bool primary,
                         uint32_t entries_crc)
{
	memset(sec, 0, g->ss);
	memcpy(sec + H_SIG, GPT_SIG, 8);
	mtk_put_u32le(sec + H_REV, GPT_REVISION);
	mtk_put_u32le(sec + H_SIZE, GPT_HEADER_SIZE);
	mtk_put_u64le(sec + H_MY_LBA, primary ? 1 : g->n - 1);
	mtk_put_u64le(sec + H_ALT_LBA, primary ? g->n - 1 : 1);
	mtk_put_u64le(sec + H_FIRST, g->first);
	mtk_put_u64le(sec + H_LAST, g->last);
	memcpy(sec + H_DISK_GUID, disk_guid, 16);
	mtk_put_u64le(sec + H_ENTRIES_LBA, primary ? 2 : g->n - 1 - g->es);
	mtk_put_u32le(sec + H_NUM, MTK_GPT_ENTRY_COUNT);
	mtk_put_u32le(sec + H_ENTRY_SIZE, MTK_GPT_ENTRY_SIZE);
	mtk_put_u32le(sec + H_ENTRIES_CRC, entries_crc);
	mtk_put_u32le(sec + H_CRC, mtk_crc32_update(0, sec, GPT_HEADER_SIZE));
}

/* Protective MBR: one 0xEE entry from LBA 1 over the whole disk (capped at
 * 32 bits), boot flag 0, as mtkclient's MBR parser expects (da-legacy §8.1). */
static void build_pmbr(uint8_t *sec, const struct gpt_geom *g)
{
	static const uint8_t chs_start[3] = {0x00, 0x02, 0x00}, chs_end[3] = {0xFF, 0xFF, 0xFF};
	uint8_t *e = sec + 0x1BE;
	memset(sec, 0, g->ss);
	memcpy(e + 1, chs_start, 3);
	e[4] = 0xEE;
	memcpy(e + 5, chs_end, 3);
	mtk_put_u32le(e + 8, 1);
	mtk_put_u32le(e + 12, g->n - 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)(g->n - 1));
	sec[510] = 0x55;
	sec[511] = 0xAA;
}

int mtk_gpt_build(mtk_ctx *ctx, const struct mtk_ptable *t, uint32_t sector_size, uint64_t disk_sectors,
                  uint64_t seed, uint8_t *head, size_t head_len, uint8_t *tail, size_t tail_len)
{
	struct gpt_geom g;
	int rc = geom_init(ctx, t, sector_size, disk_sectors, &g);
	if (rc < 0)
		return rc;
	if (head_len < mtk_gpt_head_bytes(g.ss) || tail_len < mtk_gpt_tail_bytes(g.ss))
		return mtk_fail(ctx, MTK_E_INVAL, "GPT: buffers of %zu/%zu bytes, need %zu/%zu", head_len,
		                tail_len, mtk_gpt_head_bytes(g.ss), mtk_gpt_tail_bytes(g.ss));
	if (t->count > MTK_GPT_ENTRY_COUNT)
		return mtk_fail(ctx, MTK_E_RANGE, "GPT: %zu partitions, at most %d fit", t->count,
		                MTK_GPT_ENTRY_COUNT);
	uint8_t *arr = head + 2 * (size_t)g.ss;
	memset(arr, 0, (size_t)g.es * g.ss);
	rc = build_entries(ctx, t, &g, seed, arr);
	if (rc == 0)
		rc = check_overlaps(ctx, t);
	if (rc < 0)
		return rc;
	uint8_t disk_guid[16];
	if (mtk_all_zero(t->disk_guid, 16))
		derive_guid(seed, 0, disk_guid);
	else
		memcpy(disk_guid, t->disk_guid, 16);
	uint32_t crc = mtk_crc32_update(0, arr, GPT_ENTRIES_BYTES);
	build_pmbr(head, &g);
	build_header(head + g.ss, &g, disk_guid, true, crc);
	memcpy(tail, arr, (size_t)g.es * g.ss);
	build_header(tail + (size_t)g.es * g.ss, &g, disk_guid, false, crc);
	return 0;
}

int mtk_gpt_write(mtk_ctx *ctx, const struct mtk_ptable *t, uint32_t sector_size, uint64_t disk_sectors,
                  uint64_t seed, mtk_write_sectors_fn wr, void *user)
{
	if (!sector_size_ok(sector_size))
		return mtk_fail(ctx, MTK_E_INVAL, "GPT: sector size %u is not a power of two in 512..65536",
		                sector_size);
	size_t hl = mtk_gpt_head_bytes(sector_size), tl = mtk_gpt_tail_bytes(sector_size);
	uint8_t *head = malloc(hl), *tail = malloc(tl);
	int rc = head && tail ? 0 : mtk_fail(ctx, MTK_E_NOMEM, "GPT: out of memory");
	if (rc == 0)
		rc = mtk_gpt_build(ctx, t, sector_size, disk_sectors, seed, head, hl, tail, tl);
	if (rc == 0)
		rc = wr(user, 0, (uint32_t)(hl / sector_size), head);
	if (rc == 0)
		rc = wr(user, disk_sectors - tl / sector_size, (uint32_t)(tl / sector_size), tail);
	if (rc < 0 && rc != MTK_E_NOMEM)
		rc = mtk_wrap(ctx, rc, "writing the GPT");
	free(head);
	free(tail);
	return rc;
}
