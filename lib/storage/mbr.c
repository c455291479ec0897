/* SPDX-License-Identifier: MIT */
/* MediaTek's MBR/EBR chain of the MT6572/MT6582 era (formats.md §5.1).
 *
 * The reference states: MBR at the start of the user area, its entry 0 an
 * extended (0x05) entry pointing at EBR1, Linux partitions typed 0x83, LBAs
 * counted from the table's own position, the last size written as
 * 0xFFFFFFFF - start.  Where it is silent we follow what MTK's ptgen
 * generator of that era writes (formats.md §8 sources): three Linux entries
 * after the extended one in the MBR, up to three per EBR in entries 0-2, a
 * link to the next EBR in entry 3 counted from EBR1 (the DOS rule for
 * links), extended entries sized 0xFFFFFFFF.  MBR entries carry no names;
 * partitions are named like Linux numbers them: p1-p4 by MBR slot, p5 on in
 * chain order. */
#include "mtkflash/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "core/ctx.h"

#define SECTOR          512u
#define ENTRIES_AT      0x1BE
#define TO_END          0xFFFFFFFFu
#define TYPE_LINUX      0x83
#define TYPE_EXTENDED   0x05
#define TYPE_PROTECTIVE 0xEE

static bool is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0F || type == 0x85;
}

bool mtk_mbr_is_valid(const uint8_t *sec, size_t len)
{
	return len >= SECTOR && sec[510] == 0x55 && sec[511] == 0xAA;
}

bool mtk_mbr_is_protective(const uint8_t *sec, size_t len)
{
	return mtk_mbr_is_valid(sec, len) && sec[ENTRIES_AT + 4] == TYPE_PROTECTIVE;
}

/* ------------------------------------------------------------------ reader */

struct mbr_walk {
	mtk_ctx *ctx;
	mtk_read_sectors_fn rd;
	void *user;
	uint64_t disk_sectors;
	uint64_t ext_base; /* LBA of EBR1; 0 = no extended partition */
	uint64_t next_ebr; /* set by an EBR's link entry */
	unsigned next_number;
	struct mtk_ptable *out;
};

/* ptgen's "to the end" sizes are 0xFFFFFFFF minus a start counted from the
 * table, from EBR1 or from the MBR; any of them marks the last partition. */
static bool size_means_to_end(uint32_t size, uint32_t rel, uint64_t abs, uint64_t ext_base)
{
	uint64_t s = size;
	return s == TO_END || s + rel == TO_END || s + abs == TO_END ||
	       (ext_base && abs >= ext_base && s + (abs - ext_base) == TO_END);
}

static int add_entry(struct mbr_walk *w, const uint8_t *e, uint64_t table_lba, const char *table, int slot,
                     unsigned number)
{
	uint32_t rel = mtk_get_u32le(e + 8), size = mtk_get_u32le(e + 12);
	uint64_t start = table_lba + rel, sectors = size;
	struct mtk_part p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "p%u", number);
	if (rel == 0 || size == 0)
		return mtk_fail(w->ctx, MTK_E_PARSE, "%s at LBA %llu, entry %d (byte 0x%x): %s 0", table,
		                (unsigned long long)table_lba, slot, ENTRIES_AT + 16 * slot,
		                rel == 0 ? "start" : "size");
	if (w->disk_sectors && start >= w->disk_sectors)
		return mtk_fail(w->ctx, MTK_E_PARSE,
		                "%s at LBA %llu, entry %d: partition starts at LBA %llu, past "
		                "the end of the area (%llu sectors)",
		                table, (unsigned long long)table_lba, slot, (unsigned long long)start,
		                (unsigned long long)w->disk_sectors);
	if (size_means_to_end(size, rel, start, w->ext_base) && w->disk_sectors)
		sectors = w->disk_sectors - start;
	else if (w->disk_sectors && start + sectors > w->disk_sectors)
		return mtk_fail(w->ctx, MTK_E_PARSE,
		                "%s at LBA %llu, entry %d: partition LBAs %llu+%llu run past "
		                "the end of the area (%llu sectors)",
		                table, (unsigned long long)table_lba, slot, (unsigned long long)start,
		                (unsigned long long)sectors, (unsigned long long)w->disk_sectors);
	p.start = start * SECTOR;
	p.size = sectors * SECTOR;
	p.region = MTK_REGION_USER;
	p.mbr_type = e[4];
	return mtk_ptable_add(w->ctx, w->out, &p);
}

static int read_table(struct mbr_walk *w, uint64_t lba, const char *table, uint8_t *sec)
{
	int rc = w->rd(w->user, lba, 1, sec);
	if (rc < 0)
		return mtk_wrap(w->ctx, rc, "reading the %s at LBA %llu", table, (unsigned long long)lba);
	if (!mtk_mbr_is_valid(sec, SECTOR))
		return mtk_fail(w->ctx, MTK_E_PARSE,
		                "%s at LBA %llu: no 55 AA signature at byte 0x1FE (got %02x %02x)", table,
		                (unsigned long long)lba, sec[510], sec[511]);
	return 0;
}

static int walk_mbr(struct mbr_walk *w, uint8_t *sec)
{
	int rc = read_table(w, 0, "MBR", sec);
	if (rc < 0)
		return rc;
	if (mtk_mbr_is_protective(sec, SECTOR))
		return mtk_fail(w->ctx, MTK_E_PARSE,
		                "MBR: entry 0 is a GPT protective entry (type 0xEE), read the GPT");
	for (int i = 0; i < 4 && rc == 0; i++) {
		const uint8_t *e = sec + ENTRIES_AT + 16 * i;
		if (e[4] == 0)
			continue;
		if (!is_extended(e[4])) {
			rc = add_entry(w, e, 0, "MBR", i, (unsigned)i + 1);
			continue;
		}
		if (w->ext_base)
			return mtk_fail(w->ctx, MTK_E_PARSE, "MBR: second extended entry at entry %d", i);
		w->ext_base = mtk_get_u32le(e + 8);
		if (w->ext_base == 0)
			return mtk_fail(w->ctx, MTK_E_PARSE, "MBR: extended entry %d points at LBA 0", i);
	}
	return rc;
}

static int walk_ebr(struct mbr_walk *w, uint64_t lba, unsigned index, uint8_t *sec)
{
	char table[16];
	snprintf(table, sizeof table, "EBR%u", index);
	int rc = read_table(w, lba, table, sec);
	w->next_ebr = 0;
	for (int i = 0; i < 4 && rc == 0; i++) {
		const uint8_t *e = sec + ENTRIES_AT + 16 * i;
		if (e[4] == 0)
			continue;
		if (!is_extended(e[4])) {
			rc = add_entry(w, e, lba, table, i, w->next_number++);
			continue;
		}
		if (w->next_ebr)
			return mtk_fail(w->ctx, MTK_E_PARSE, "%s at LBA %llu: second link entry at entry %d",
			                table, (unsigned long long)lba, i);
		w->next_ebr = w->ext_base + mtk_get_u32le(e + 8);
		if (w->next_ebr <= w->ext_base)
			return mtk_fail(w->ctx, MTK_E_PARSE,
			                "%s at LBA %llu: link entry %d points back at EBR1", table,
			                (unsigned long long)lba, i);
	}
	return rc;
}

int mtk_mbr_read(mtk_ctx *ctx, mtk_read_sectors_fn rd, void *user, uint64_t disk_sectors,
                 struct mtk_ptable *out)
{
	uint8_t sec[SECTOR];
	struct mbr_walk w = {ctx, rd, user, disk_sectors, 0, 0, 5, out};
	mtk_ptable_init(out, MTK_PTABLE_MBR);
	if (mtk_mul_overflows(disk_sectors, SECTOR, &out->disk_size))
		return mtk_fail(ctx, MTK_E_INVAL, "MBR: %llu sectors overflow",
		                (unsigned long long)disk_sectors);
	int rc = walk_mbr(&w, sec);
	uint64_t lba = w.ext_base;
	/* Each EBR is a table; MTK_MBR_MAX_SECTORS also ends a looping chain. */
	for (unsigned n = 1; rc == 0 && lba; n++, lba = w.next_ebr) {
		if (n + 1 > MTK_MBR_MAX_SECTORS)
			rc = mtk_fail(ctx, MTK_E_PARSE,
			              "MBR: more than %d tables in the EBR chain (a loop?) at LBA %llu",
			              MTK_MBR_MAX_SECTORS, (unsigned long long)lba);
		else
			rc = walk_ebr(&w, lba, n, sec);
	}
	if (rc < 0)
		mtk_ptable_free(out);
	return rc;
}

struct mbr_mem {
	const uint8_t *buf;
	size_t len;
};

static int mbr_mem_read(void *user, uint64_t lba, uint32_t count, uint8_t *dst)
{
	const struct mbr_mem *m = user;
	uint64_t off, end;
	if (mtk_mul_overflows(lba, SECTOR, &off) || mtk_add_overflows(off, (uint64_t)count * SECTOR, &end) ||
	    end > m->len)
		return MTK_E_RANGE;
	memcpy(dst, m->buf + off, (size_t)count * SECTOR);
	return 0;
}

int mtk_mbr_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, uint64_t disk_sectors, struct mtk_ptable *out)
{
	struct mbr_mem m = {buf, buf ? len : 0};
	return mtk_mbr_read(ctx, mbr_mem_read, &m, disk_sectors, out);
}

/* ------------------------------------------------------------------ writer */

struct mbr_plan {
	const struct mtk_part *ebr[MTK_MBR_MAX_SECTORS]; /* [0] unused: the MBR */
	size_t n_ebr;
	const struct mtk_part **linux; /* entries in start order */
	size_t n_linux;
};

static int cmp_start(const void *a, const void *b)
{
	const struct mtk_part *x = *(const struct mtk_part *const *)a,
	                      *y = *(const struct mtk_part *const *)b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* "EBR3" -> 3; 0 for any other name. */
static unsigned ebr_number(const char *name)
{
	if (strncasecmp(name, "EBR", 3) || name[3] < '1' || name[3] > '9' || name[4])
		return 0;
	return (unsigned)(name[3] - '0');
}

static int plan_tables(mtk_ctx *ctx, const struct mtk_ptable *t, struct mbr_plan *pl)
{
	bool have_mbr = false;
	for (size_t i = 0; i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		unsigned k = ebr_number(p->name);
		if (p->region != MTK_REGION_USER)
			continue;
		if (!strcasecmp(p->name, "MBR")) {
			if (p->start != 0)
				return mtk_fail(ctx, MTK_E_INVAL,
				                "MBR partition at user offset 0x%llx, must be 0",
				                (unsigned long long)p->start);
			have_mbr = true;
		} else if (k) {
			if (k >= MTK_MBR_MAX_SECTORS || pl->ebr[k])
				return mtk_fail(ctx, MTK_E_INVAL,
				                "%s: EBRs must be numbered 1..%d, once each", p->name,
				                MTK_MBR_MAX_SECTORS - 1);
			if (p->start == 0 || p->start % SECTOR || p->start / SECTOR > TO_END)
				return mtk_fail(ctx, MTK_E_INVAL,
				                "%s at 0x%llx: not a sector inside the 32-bit LBA range",
				                p->name, (unsigned long long)p->start);
			pl->ebr[k] = p;
		} else if (p->mbr_type) {
			pl->linux[pl->n_linux++] = p;
		}
	}
	if (!have_mbr)
		return mtk_fail(ctx, MTK_E_INVAL, "the table has no MBR partition at user offset 0");
	while (pl->n_ebr + 1 < MTK_MBR_MAX_SECTORS && pl->ebr[pl->n_ebr + 1])
		pl->n_ebr++;
	for (size_t k = pl->n_ebr + 1; k < MTK_MBR_MAX_SECTORS; k++)
		if (pl->ebr[k])
			return mtk_fail(ctx, MTK_E_INVAL, "%s present but EBR%zu missing", pl->ebr[k]->name,
			                pl->n_ebr + 1);
	qsort(pl->linux, pl->n_linux, sizeof *pl->linux, cmp_start);
	return 0;
}

static void put_entry(uint8_t *sec, int slot, uint8_t type, uint32_t start, uint32_t size)
{
	uint8_t *e = sec + ENTRIES_AT + 16 * slot;
	e[4] = type;
	mtk_put_u32le(e + 8, start);
	mtk_put_u32le(e + 12, size);
}

/* One Linux entry of a table at `table_lba`; `last` gets the to-the-end size. */
static int put_linux(mtk_ctx *ctx, uint8_t *sec, int slot, const struct mtk_part *p, uint64_t table_lba,
                     uint64_t ebr1_lba, bool last)
{
	uint64_t lba = p->start / SECTOR, n = p->size / SECTOR;
	if (p->start % SECTOR || p->size % SECTOR || n == 0)
		return mtk_fail(ctx, MTK_E_INVAL,
		                "%s: start 0x%llx / size 0x%llx not whole non-empty sectors", p->name,
		                (unsigned long long)p->start, (unsigned long long)p->size);
	if (lba <= table_lba || lba - table_lba > TO_END || n > TO_END)
		return mtk_fail(ctx, MTK_E_RANGE, "%s at LBA %llu cannot be described by a table at LBA %llu",
		                p->name, (unsigned long long)lba, (unsigned long long)table_lba);
	uint32_t rel = (uint32_t)(lba - table_lba);
	/* ptgen: counted from EBR1 when there is one; the reference's "0xFFFFFFFF - start" otherwise */
	uint64_t base_rel = ebr1_lba ? lba - ebr1_lba : lba;
	uint32_t size = last ? (uint32_t)(TO_END - (base_rel > TO_END ? TO_END : base_rel)) : (uint32_t)n;
	put_entry(sec, slot, p->mbr_type, rel, size);
	return 0;
}

static void new_sector(struct mtk_mbr_image *out, uint64_t offset)
{
	out->offset[out->count] = offset;
	memset(out->sector[out->count], 0, SECTOR);
	out->sector[out->count][510] = 0x55;
	out->sector[out->count][511] = 0xAA;
	out->count++;
}

static int fill_tables(mtk_ctx *ctx, const struct mbr_plan *pl, bool last_to_end, struct mtk_mbr_image *out)
{
	uint64_t ebr1 = pl->n_ebr ? pl->ebr[1]->start / SECTOR : 0;
	size_t next = 0;
	int rc = 0;
	new_sector(out, 0);
	int slot = 0;
	if (pl->n_ebr)
		put_entry(out->sector[0], slot++, TYPE_EXTENDED, (uint32_t)ebr1, TO_END);
	for (; slot < 4 && next < pl->n_linux && rc == 0; slot++, next++)
		rc = put_linux(ctx, out->sector[0], slot, pl->linux[next], 0, ebr1,
		               last_to_end && next + 1 == pl->n_linux);
	for (size_t k = 1; k <= pl->n_ebr && rc == 0; k++) {
		uint64_t at = pl->ebr[k]->start / SECTOR;
		new_sector(out, pl->ebr[k]->start);
		uint8_t *sec = out->sector[out->count - 1];
		for (slot = 0; slot < 3 && next < pl->n_linux && rc == 0; slot++, next++)
			rc = put_linux(ctx, sec, slot, pl->linux[next], at, ebr1,
			               last_to_end && next + 1 == pl->n_linux);
		if (next < pl->n_linux && k < pl->n_ebr)
			put_entry(sec, 3, TYPE_EXTENDED, (uint32_t)(pl->ebr[k + 1]->start / SECTOR - ebr1),
			          TO_END);
	}
	if (rc == 0 && next < pl->n_linux)
		rc = mtk_fail(ctx, MTK_E_RANGE,
		              "%zu Linux partitions do not fit the MBR and %zu EBRs (%s is left over)",
		              pl->n_linux, pl->n_ebr, pl->linux[next]->name);
	return rc;
}

int mtk_mbr_build(mtk_ctx *ctx, const struct mtk_ptable *t, bool last_to_end, struct mtk_mbr_image *out)
{
	struct mbr_plan pl;
	memset(&pl, 0, sizeof pl);
	memset(out, 0, sizeof *out);
	pl.linux = malloc((t->count ? t->count : 1) * sizeof *pl.linux);
	if (!pl.linux)
		return mtk_fail(ctx, MTK_E_NOMEM, "MBR: out of memory");
	int rc = plan_tables(ctx, t, &pl);
	if (rc == 0)
		rc = fill_tables(ctx, &pl, last_to_end, out);
	free(pl.linux);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}
