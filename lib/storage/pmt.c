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
 *  - which area a record is in: 1.1 records carry a part_id, but the 0xA5
 *    payload holds mtkclient's 0xFF marker there (da-legacy.md §4.9), so the
 *    area comes from the offset instead (below).
 *
 * Offsets are LINEAR addresses (formats.md §5.2, MediaTek's kernel pmt.c):
 * the scatter's linear_start_addr space, PRELOADER at 0 in boot1 and the
 * MBR record at MBR_START_ADDRESS_BYTE (0x600000/0xC00000/0x1400000).  So a
 * user offset is the PMT offset minus the MBR record's offset, and records
 * below it are boot-area records.  A table without an MBR record cannot be
 * placed and is refused, as MediaTek's kernel refuses it.  NAND tables have
 * no boot area or MBR: their offsets are kept as they are.
 * PART_MAX_COUNT is 40 in MediaTek's generated headers.  The table's place
 * (user_size - 1 MiB, mtk_pmt_offset) is the reference's "fixed address"
 * scheme; it also notes kernels that put it 0x600000 lower, which callers
 * probing a real device may want to try too. */
#include "mtkflash/storage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "core/ctx.h"

#define NAME_LEN       64
#define USER_TAIL      (1024u * 1024u)

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
	p->region = MTK_REGION_USER; /* until linear_to_user() places it */
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

static int find_mbr_record(mtk_ctx *ctx, const struct mtk_ptable *t, const char *what, uint64_t *base)
{
	const struct mtk_part *mbr = NULL;
	for (size_t i = 0; i < t->count; i++) {
		if (strcasecmp(t->parts[i].name, "MBR") != 0)
			continue;
		if (mbr)
			return mtk_fail(ctx, MTK_E_PARSE, "%s: two MBR records (linear 0x%llx and 0x%llx)", what,
			                (unsigned long long)mbr->start, (unsigned long long)t->parts[i].start);
		mbr = &t->parts[i];
	}
	if (!mbr) {
		char names[256];
		mtk_part_list_names(t, names, sizeof names);
		return mtk_fail(ctx, MTK_E_PARSE,
		                "%s: no MBR record, so its linear offsets cannot be placed on the storage "
		                "(user offset = PMT offset - the MBR record's offset; the records: %s)",
		                what, names[0] ? names : "none");
	}
	*base = mbr->start;
	return 0;
}

/* Overlapping records make a bad table (sorts the records by area, start). */
static int check_records(mtk_ctx *ctx, struct mtk_ptable *t, const char *what)
{
	if (mtk_ptable_check(ctx, t) == 0)
		return 0;
	mtk_ptable_free(t);
	return mtk_wrap(ctx, MTK_E_PARSE, "%s", what);
}

/* Linear PMT offsets -> (area, offset); then no two records may overlap. */
static int linear_to_user(mtk_ctx *ctx, struct mtk_ptable *t, const char *what)
{
	uint64_t base = 0;
	int rc = find_mbr_record(ctx, t, what, &base);
	for (size_t i = 0; rc == 0 && i < t->count; i++) {
		struct mtk_part *p = &t->parts[i];
		if (p->start >= base) {
			p->start -= base;
			p->region = MTK_REGION_USER;
		} else if (p->start + p->size > base) {
			rc = mtk_fail(ctx, MTK_E_PARSE,
			              "%s: record %s (linear 0x%llx, size 0x%llx) runs over the start of the "
			              "user area at linear 0x%llx (the MBR record)",
			              what, p->name, (unsigned long long)p->start, (unsigned long long)p->size,
			              (unsigned long long)base);
		} else {
			p->region = MTK_REGION_BOOT1; /* PRELOADER: formats.md §5.2 */
		}
	}
	if (rc < 0) {
		mtk_ptable_free(t);
		return rc;
	}
	return check_records(ctx, t, what);
}

static int place_records(mtk_ctx *ctx, struct mtk_ptable *t)
{
	return t->pmt_variant == MTK_PMT_NAND32 ? check_records(ctx, t, "PMT") : linear_to_user(ctx, t, "PMT");
}

int mtk_pmt_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, enum mtk_pmt_variant variant,
                  struct mtk_ptable *out)
{
	struct pmt_why w;
	if (parse_copy(ctx, buf, len, variant, out, &w) < 0)
		return mtk_fail(ctx, MTK_E_PARSE, "PMT: %s", w.msg);
	return place_records(ctx, out);
}

int mtk_pmt_parse_pair(mtk_ctx *ctx, const uint8_t *buf, size_t len, enum mtk_pmt_variant variant,
                       struct mtk_ptable *out)
{
	struct pmt_why wm, wr;
	if (parse_copy(ctx, buf, len, variant, out, &wm) == 0)
		return place_records(ctx, out);
	size_t rest = buf && len > MTK_PMT_REGION_SIZE ? len - MTK_PMT_REGION_SIZE : 0;
	if (parse_copy(ctx, rest ? buf + MTK_PMT_REGION_SIZE : NULL, rest, variant, out, &wr) == 0) {
		out->used_backup = true;
		snprintf(out->warning, sizeof out->warning, "main PMT: %s; using the mirror", wm.msg);
		return place_records(ctx, out);
	}
	return mtk_fail(ctx, MTK_E_PARSE, "no valid PMT: main copy: %s; mirror at byte 0x%x: %s", wm.msg,
	                MTK_PMT_REGION_SIZE, wr.msg);
}


/* ------------------------------------------------------------- DA payload */

/* mtkclient reads 0x60-byte records only when byte 0x48 of the payload is
 * 0xFF, and fails on anything else (da-legacy.md §4.9); a payload without
 * the marker is in a layout nobody has shown to work, so we refuse it. */
static int check_marker(mtk_ctx *ctx, const uint8_t *buf, size_t len)
{
	if (len < MTK_PMT_DA_RECORD || buf[0x48] == MTK_PMT_DA_PART_ID)
		return 0;
	return mtk_fail(ctx, MTK_E_PARSE,
	                "0xA5 PMT payload: byte 0x48 of the first record ('%.*s') is 0x%02x, not the 0xFF "
	                "marker of the 0x60-byte record layout",
	                (int)strnlen((const char *)buf, NAME_LEN), (const char *)buf, buf[0x48]);
}

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
		                len, MTK_PMT_DA_RECORD, len % MTK_PMT_DA_RECORD, len - len % MTK_PMT_DA_RECORD);
	int rc = check_marker(ctx, buf, len);
	for (size_t at = 0; rc == 0 && at < len; at += MTK_PMT_DA_RECORD) {
		struct mtk_part p;
		int r = parse_record(buf + at, at, f, &p, &w);
		if (r < 0)
			rc = mtk_fail(ctx, MTK_E_PARSE, "0xA5 PMT payload: %s", w.msg);
		else if (r == 0)
			rc = mtk_ptable_add(ctx, out, &p);
	}
	if (rc < 0) {
		mtk_ptable_free(out);
		return rc;
	}
	return out->count ? linear_to_user(ctx, out, "0xA5 PMT payload") : 0;
}

/* ------------------------------------------------------- MBR + PMT merged */

/* The PMT record that describes MBR partition m: it must start where m
 * starts; any other record reaching into m disagrees with the MBR. */
static int match_record(mtk_ctx *ctx, const struct mtk_part *m, bool last, const struct mtk_ptable *pmt,
                        const struct mtk_part **rec)
{
	*rec = NULL;
	for (size_t i = 0; i < pmt->count; i++) {
		const struct mtk_part *r = &pmt->parts[i];
		if (r->region != MTK_REGION_USER || r->start >= m->start + m->size || r->start + r->size <= m->start)
			continue;
		/* the chain's last partition runs "to the end" (formats.md §5.1):
		 * the PMT may give it a smaller size */
		bool size_ok = r->size == m->size || (last && r->size < m->size);
		if (r->start != m->start || !size_ok || *rec)
			return mtk_fail(ctx, MTK_E_PARSE,
			                "the MBR/EBR chain and the PMT disagree: MBR partition %s is at user "
			                "offset 0x%llx, size 0x%llx; PMT record %s at user offset 0x%llx, size "
			                "0x%llx",
			                m->name, (unsigned long long)m->start, (unsigned long long)m->size, r->name,
			                (unsigned long long)r->start, (unsigned long long)r->size);
		*rec = r;
	}
	return 0;
}

static const struct mtk_part *last_in_chain(const struct mtk_ptable *mbr)
{
	const struct mtk_part *last = NULL;
	for (size_t i = 0; i < mbr->count; i++)
		if (!last || mbr->parts[i].start > last->start)
			last = &mbr->parts[i];
	return last;
}

static int add_mbr_parts(mtk_ctx *ctx, const struct mtk_ptable *mbr, const struct mtk_ptable *pmt, bool *used,
                         struct mtk_ptable *out)
{
	const struct mtk_part *last = last_in_chain(mbr);
	for (size_t i = 0; i < mbr->count; i++) {
		const struct mtk_part *rec;
		struct mtk_part p = mbr->parts[i];
		int rc = match_record(ctx, &p, &mbr->parts[i] == last, pmt, &rec);
		if (rc < 0)
			return rc;
		if (rec) { /* the MBR's extent, the PMT's name */
			used[rec - pmt->parts] = true;
			memcpy(p.name, rec->name, sizeof p.name);
			p.part_id = rec->part_id;
			p.attrs = rec->attrs;
		}
		if ((rc = mtk_ptable_add(ctx, out, &p)) < 0)
			return rc;
	}
	return 0;
}

int mtk_pmt_merge_mbr(mtk_ctx *ctx, const struct mtk_ptable *mbr, const struct mtk_ptable *pmt,
                      struct mtk_ptable *out)
{
	mtk_ptable_init(out, MTK_PTABLE_MBR);
	out->disk_size = mbr->disk_size;
	bool *used = calloc(pmt->count ? pmt->count : 1, sizeof *used);
	if (!used)
		return mtk_fail(ctx, MTK_E_NOMEM, "merging the MBR and the PMT: out of memory");
	int rc = add_mbr_parts(ctx, mbr, pmt, used, out);
	for (size_t i = 0; rc == 0 && i < pmt->count; i++)
		if (!used[i]) /* a raw partition: known only through the PMT */
			rc = mtk_ptable_add(ctx, out, &pmt->parts[i]);
	free(used);
	if (rc == 0 && (rc = mtk_ptable_check(ctx, out)) < 0)
		rc = mtk_wrap(ctx, rc, "the MBR/EBR chain with the PMT");
	if (rc < 0)
		mtk_ptable_free(out);
	return rc;
}
