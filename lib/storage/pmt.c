/* SPDX-License-Identifier: MIT */
/* MediaTek's partition management table (formats.md §5.2) and the legacy DA's
 * 0xA5 SDMMC_READ_PMT payload (da-legacy.md §4.9).
 *
 * One copy is a 4 KiB region: signature | version "1.0"/"1.1" | records |
 * zero fill | the signature again in the last 4 bytes.  The main copy is
 * signed PTv1, the mirror MPT1 (the reference names both signatures and says
 * the mirror follows; which one a mirror carries is our reading).  The
 * reference is silent on:
 *  - the NAND copy's framing: we use the eMMC framing without a version
 *    string (records from byte 4);
 *  - what `offset` counts from: we store and return it untouched and take
 *    the area from part_id (the DA/ptgen `Region` ids, formats.md §6.1) in
 *    1.1 records; 1.0 and NAND records carry no area and read back as user.
 * PART_MAX_COUNT is 40 in MediaTek's generated headers.  The table's place
 * (user_size - 1 MiB, mtk_pmt_offset) is the reference's "fixed address"
 * scheme; it also notes kernels that put it 0x600000 lower, which callers
 * probing a real device may want to try too. */
#include "mtkflash/storage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"

#define NAME_LEN       64
#define USER_TAIL      (1024u * 1024u)
#define DA_MAX_RECORDS 1024

struct pmt_fmt {
	const char *version; /* NULL: no version string */
	size_t rec;          /* record size */
	bool wide;           /* u64 fields */
	bool has_part_id;
};

static const struct pmt_fmt fmts[] = {
        [MTK_PMT_NAND32] = {NULL, 76, false, false},
        [MTK_PMT_EMMC_10] = {"1.0", 88, true, false},
        [MTK_PMT_EMMC_11] = {"1.1", 96, true, true},
};

struct pmt_why {
	char msg[160];
};

static int why(struct pmt_why *w, const char *fmt, ...) MTK_PRINTF(2, 3);
static int why(struct pmt_why *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof w->msg, fmt, ap);
	va_end(ap);
	return MTK_E_PARSE;
}

int mtk_pmt_offset(mtk_ctx *ctx, uint64_t user_size, uint64_t *off)
{
	if (user_size < USER_TAIL + 2 * MTK_PMT_REGION_SIZE)
		return mtk_fail(ctx, MTK_E_RANGE,
		                "PMT: a user area of 0x%llx bytes has no room for the table at "
		                "size - 1 MiB",
		                (unsigned long long)user_size);
	*off = user_size - USER_TAIL;
	return 0;
}

static enum mtk_region region_of(uint64_t part_id)
{
	enum mtk_region r;
	return mtk_region_from_da_id(part_id, &r) == 0 ? r : MTK_REGION_USER;
}

/* name[64] must hold a NUL; "" ends the table. Returns 1 for the end. */
static int read_name(const uint8_t *rec, size_t at, struct mtk_part *p, struct pmt_why *w)
{
	if (rec[0] == 0)
		return 1;
	const uint8_t *nul = memchr(rec, 0, NAME_LEN);
	if (!nul)
		return why(w, "record at byte 0x%zx: name is not NUL-terminated within 64 bytes", at);
	memcpy(p->name, rec, (size_t)(nul - rec) + 1);
	return 0;
}

static int parse_record(const uint8_t *rec, size_t at, const struct pmt_fmt *f, struct mtk_part *p,
                        struct pmt_why *w)
{
	struct mtk_rd r = mtk_rd_init(rec + NAME_LEN, f->rec - NAME_LEN);
	uint64_t end;
	memset(p, 0, sizeof *p);
	int rc = read_name(rec, at, p, w);
	if (rc)
		return rc;
	p->size = f->wide ? mtk_rd_u64le(&r) : mtk_rd_u32le(&r);
	p->part_id = f->has_part_id ? mtk_rd_u64le(&r) : 0;
	p->start = f->wide ? mtk_rd_u64le(&r) : mtk_rd_u32le(&r);
	p->attrs = f->wide ? mtk_rd_u64le(&r) : mtk_rd_u32le(&r);
	p->region = region_of(p->part_id);
	if (mtk_add_overflows(p->start, p->size, &end))
		return why(w, "record %s at byte 0x%zx: offset 0x%llx + size 0x%llx overflows", p->name, at,
		           (unsigned long long)p->start, (unsigned long long)p->size);
	return 0;
}

static int detect_variant(const uint8_t *buf, enum mtk_pmt_variant want, enum mtk_pmt_variant *got,
                          struct pmt_why *w)
{
	if (want == MTK_PMT_NAND32) {
		*got = want;
		return 0;
	}
	for (int v = MTK_PMT_EMMC_10; v <= MTK_PMT_EMMC_11; v++) {
		if (!memcmp(buf + 4, fmts[v].version, 4)) {
			*got = (enum mtk_pmt_variant)v;
			if (want != MTK_PMT_NONE && want != *got)
				return why(w, "version '%s' at byte 4, expected '%s'", fmts[v].version,
				           fmts[want].version);
			return 0;
		}
	}
	return why(w, "unknown version at byte 4 (%02x %02x %02x %02x), expected \"1.0\" or \"1.1\"", buf[4],
	           buf[5], buf[6], buf[7]);
}

static int parse_copy(mtk_ctx *ctx, const uint8_t *buf, size_t len, enum mtk_pmt_variant want,
                      struct mtk_ptable *out, struct pmt_why *w)
{
	mtk_ptable_init(out, MTK_PTABLE_PMT);
	if (!buf || len < MTK_PMT_REGION_SIZE)
		return why(w, "%zu bytes, a copy is %u", buf ? len : 0, MTK_PMT_REGION_SIZE);
	uint32_t sig = mtk_get_u32le(buf), tail = mtk_get_u32le(buf + MTK_PMT_REGION_SIZE - 4);
	if (sig != MTK_PMT_SIG && sig != MTK_PMT_MIRROR_SIG)
		return why(w, "no signature at byte 0 (got 0x%08x, want PTv1 0x%08x or MPT1 0x%08x)", sig,
		           MTK_PMT_SIG, MTK_PMT_MIRROR_SIG);
	if (tail != sig)
		return why(w, "signature at byte 0x%x is 0x%08x, at byte 0 0x%08x (torn write?)",
		           MTK_PMT_REGION_SIZE - 4, tail, sig);
	enum mtk_pmt_variant v = MTK_PMT_NONE;
	int rc = detect_variant(buf, want, &v, w);
	if (rc < 0)
		return rc;
	const struct pmt_fmt *f = &fmts[v];
	size_t at = f->version ? 8 : 4;
	for (int i = 0; i < MTK_PMT_MAX_COUNT && at + f->rec <= MTK_PMT_REGION_SIZE - 4; i++, at += f->rec) {
		struct mtk_part p;
		rc = parse_record(buf + at, at, f, &p, w);
		if (rc == 1)
			break;
		if (rc == 0 && mtk_ptable_add(ctx, out, &p) < 0)
			rc = why(w, "out of memory");
		if (rc < 0) {
			mtk_ptable_free(out);
			return rc;
		}
	}
	out->pmt_variant = v;
	return 0;
}

int mtk_pmt_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, enum mtk_pmt_variant variant,
                  struct mtk_ptable *out)
{
	struct pmt_why w;
	if (parse_copy(ctx, buf, len, variant, out, &w) < 0)
		return mtk_fail(ctx, MTK_E_PARSE, "PMT: %s", w.msg);
	return 0;
}

int mtk_pmt_parse_pair(mtk_ctx *ctx, const uint8_t *buf, size_t len, enum mtk_pmt_variant variant,
                       struct mtk_ptable *out)
{
	struct pmt_why wm, wr;
	if (parse_copy(ctx, buf, len, variant, out, &wm) == 0)
		return 0;
	size_t rest = buf && len > MTK_PMT_REGION_SIZE ? len - MTK_PMT_REGION_SIZE : 0;
	if (parse_copy(ctx, rest ? buf + MTK_PMT_REGION_SIZE : NULL, rest, variant, out, &wr) == 0) {
		out->used_backup = true;
		snprintf(out->warning, sizeof out->warning, "main PMT: %s; using the mirror", wm.msg);
		return 0;
	}
	return mtk_fail(ctx, MTK_E_PARSE, "no valid PMT: main copy: %s; mirror at byte 0x%x: %s", wm.msg,
	                MTK_PMT_REGION_SIZE, wr.msg);
}

/* ------------------------------------------------------------------ writer */

static int check_name(mtk_ctx *ctx, const struct mtk_part *p)
{
	size_t n = strnlen(p->name, sizeof p->name);
	if (n == 0 || n >= NAME_LEN)
		return mtk_fail(ctx, MTK_E_INVAL, "PMT: partition name '%s' must be 1..%d bytes", p->name,
		                NAME_LEN - 1);
	return 0;
}

static void put_field(uint8_t **q, bool wide, uint64_t v)
{
	if (wide) {
		mtk_put_u64le(*q, v);
		*q += 8;
	} else {
		mtk_put_u32le(*q, (uint32_t)v);
		*q += 4;
	}
}

static int put_record(mtk_ctx *ctx, uint8_t *rec, const struct pmt_fmt *f, const struct mtk_part *p)
{
	int rc = check_name(ctx, p);
	if (rc < 0)
		return rc;
	if (!f->wide && (p->size > UINT32_MAX || p->start > UINT32_MAX || p->attrs > UINT32_MAX))
		return mtk_fail(ctx, MTK_E_RANGE,
		                "PMT: %s does not fit the 32-bit NAND record (0x%llx at 0x%llx)", p->name,
		                (unsigned long long)p->size, (unsigned long long)p->start);
	uint8_t *q = rec + NAME_LEN;
	memcpy(rec, p->name, strlen(p->name));
	put_field(&q, f->wide, p->size);
	if (f->has_part_id)
		put_field(&q, true, p->part_id ? p->part_id : mtk_region_da_id(p->region));
	put_field(&q, f->wide, p->start);
	put_field(&q, f->wide, p->attrs);
	return 0;
}

static int build_copy(mtk_ctx *ctx, const struct mtk_ptable *t, const struct pmt_fmt *f, uint32_t sig,
                      uint8_t *buf)
{
	memset(buf, 0, MTK_PMT_REGION_SIZE);
	mtk_put_u32le(buf, sig);
	mtk_put_u32le(buf + MTK_PMT_REGION_SIZE - 4, sig);
	size_t at = 4;
	if (f->version) {
		memcpy(buf + 4, f->version, 4);
		at = 8;
	}
	for (size_t i = 0; i < t->count; i++, at += f->rec) {
		int rc = put_record(ctx, buf + at, f, &t->parts[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int mtk_pmt_build(mtk_ctx *ctx, const struct mtk_ptable *t, enum mtk_pmt_variant variant, uint8_t *buf,
                  size_t len)
{
	if (variant < MTK_PMT_NAND32 || variant > MTK_PMT_EMMC_11)
		return mtk_fail(ctx, MTK_E_INVAL, "PMT: unknown record variant %d", (int)variant);
	if (len < 2 * MTK_PMT_REGION_SIZE)
		return mtk_fail(ctx, MTK_E_INVAL, "PMT: buffer of %zu bytes, need %u", len,
		                2 * MTK_PMT_REGION_SIZE);
	if (t->count > MTK_PMT_MAX_COUNT)
		return mtk_fail(ctx, MTK_E_RANGE, "PMT: %zu partitions, at most %d fit", t->count,
		                MTK_PMT_MAX_COUNT);
	const struct pmt_fmt *f = &fmts[variant];
	int rc = build_copy(ctx, t, f, MTK_PMT_SIG, buf);
	if (rc == 0)
		rc = build_copy(ctx, t, f, MTK_PMT_MIRROR_SIG, buf + MTK_PMT_REGION_SIZE);
	return rc;
}

/* ------------------------------------------------------------- DA payload */

int mtk_pmt_parse_da(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_ptable *out)
{
	const struct pmt_fmt *f = &fmts[MTK_PMT_EMMC_11];
	struct pmt_why w;
	mtk_ptable_init(out, MTK_PTABLE_PMT);
	out->pmt_variant = MTK_PMT_EMMC_11;
	if (len % MTK_PMT_DA_RECORD)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "0xA5 PMT payload: %zu bytes is not a multiple of 0x%x (%zu bytes "
		                "left at 0x%zx)",
		                len, MTK_PMT_DA_RECORD, len % MTK_PMT_DA_RECORD,
		                len - len % MTK_PMT_DA_RECORD);
	for (size_t at = 0; at < len; at += MTK_PMT_DA_RECORD) {
		struct mtk_part p;
		int rc = parse_record(buf + at, at, f, &p, &w);
		if (rc == 1)
			continue;
		if (rc < 0) {
			mtk_ptable_free(out);
			return mtk_fail(ctx, MTK_E_PARSE, "0xA5 PMT payload: %s", w.msg);
		}
		rc = mtk_ptable_add(ctx, out, &p);
		if (rc < 0) {
			mtk_ptable_free(out);
			return rc;
		}
	}
	return 0;
}

int mtk_pmt_build_da(mtk_ctx *ctx, const struct mtk_ptable *t, uint8_t *buf, size_t len)
{
	if (t->count > DA_MAX_RECORDS)
		return mtk_fail(ctx, MTK_E_RANGE, "0xA5 PMT payload: %zu partitions, at most %d", t->count,
		                DA_MAX_RECORDS);
	size_t need = t->count * MTK_PMT_DA_RECORD;
	if (!buf)
		return (int)need;
	if (len < need)
		return mtk_fail(ctx, MTK_E_INVAL, "0xA5 PMT payload: buffer of %zu bytes, need %zu", len,
		                need);
	memset(buf, 0, need);
	for (size_t i = 0; i < t->count; i++) {
		struct mtk_part p = t->parts[i];
		if (!p.part_id)
			p.part_id = MTK_PMT_DA_PART_ID;
		int rc = put_record(ctx, buf + i * MTK_PMT_DA_RECORD, &fmts[MTK_PMT_EMMC_11], &p);
		if (rc < 0)
			return rc;
	}
	return (int)need;
}
