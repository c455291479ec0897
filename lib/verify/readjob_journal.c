/* SPDX-License-Identifier: MIT */
/* The chunk journal's parser (format in readjob_priv.h).  No I/O: fuzzed
 * alone (tests/fuzz/fuzz_read_journal.c). */
#include "verify/readjob_priv.h"

#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"

#define MAX_FIELDS 6

struct line {
	const char *f[MAX_FIELDS];
	size_t flen[MAX_FIELDS];
	size_t n;
};

struct rjp {
	mtk_ctx *ctx;
	const char *name;
	size_t lineno;
	struct mtk_rj_journal *j;
	size_t cap_c, cap_bad, pending; /* pending: bad ranges waiting for their chunk line */
};

static int bad(struct rjp *p, const char *why)
{
	return mtk_fail(p->ctx, MTK_E_PARSE, "%s line %zu: %s", p->name, p->lineno, why);
}

/* Single spaces between fields; anything else is malformed. */
static int split(struct rjp *p, const char *s, size_t len, struct line *l)
{
	l->n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (i == start || l->n == MAX_FIELDS)
			return bad(p, i == start ? "empty field" : "too many fields");
		l->f[l->n] = s + start;
		l->flen[l->n++] = i - start;
		start = i + 1;
	}
	return 0;
}

/* 1..16 lower-case hex digits. */
static int hex_u64(struct rjp *p, const struct line *l, size_t i, const char *what, uint64_t *out)
{
	if (i >= l->n || l->flen[i] == 0 || l->flen[i] > 16)
		return mtk_fail(p->ctx, MTK_E_PARSE, "%s line %zu: %s missing or longer than 16 hex digits", p->name,
				p->lineno, what);
	uint64_t v = 0;
	for (size_t k = 0; k < l->flen[i]; k++) {
		int d = mtk_hex_digit((unsigned char)l->f[i][k]);
		if (d < 0 || (l->f[i][k] >= 'A' && l->f[i][k] <= 'F'))
			return mtk_fail(p->ctx, MTK_E_PARSE, "%s line %zu: %s is not lower-case hex", p->name,
					p->lineno, what);
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

static bool field_is(const struct line *l, size_t i, const char *s)
{
	return i < l->n && l->flen[i] == strlen(s) && memcmp(l->f[i], s, l->flen[i]) == 0;
}

static int parse_header(struct rjp *p, const char *s, size_t len)
{
	size_t mlen = strlen(MTK_RJ_MAGIC);
	if (len <= mlen || memcmp(s, MTK_RJ_MAGIC, mlen) != 0 || s[mlen] != ' ')
		return bad(p, "not a read journal (expected \"" MTK_RJ_MAGIC " REGION OFF LEN CHUNK\")");
	struct line l;
	int rc = split(p, s + mlen + 1, len - mlen - 1, &l);
	if (rc < 0)
		return rc;
	if (l.n != 4)
		return bad(p, "the header needs REGION OFF LEN CHUNK");
	char region[16];
	if (l.flen[0] >= sizeof region)
		return bad(p, "unknown region");
	memcpy(region, l.f[0], l.flen[0]);
	region[l.flen[0]] = '\0';
	if (mtk_region_from_name(region, &p->j->region) < 0)
		return bad(p, "unknown region");
	uint64_t chunk, end;
	if ((rc = hex_u64(p, &l, 1, "OFF", &p->j->off)) < 0 || (rc = hex_u64(p, &l, 2, "LEN", &p->j->len)) < 0 ||
	    (rc = hex_u64(p, &l, 3, "CHUNK", &chunk)) < 0)
		return rc;
	if (p->j->len == 0 || mtk_add_overflows(p->j->off, p->j->len, &end))
		return bad(p, "LEN is 0 or OFF + LEN is past 2^64");
	if (chunk == 0 || chunk % 512 || chunk > 0x40000000u)
		return bad(p, "CHUNK is not a multiple of 512 between 512 and 1 GiB");
	p->j->chunk = (uint32_t)chunk;
	return 0;
}

int mtk_rj_grow(mtk_ctx *ctx, void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *a = realloc(*arr, ncap * elem);
	if (!a)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory for %zu entries", ncap);
	*arr = a;
	*cap = ncap;
	return 0;
}

/* Where the next chunk starts: the end of the last one. */
static uint64_t next_off(const struct mtk_rj_journal *j)
{
	return j->n ? j->c[j->n - 1].off + j->c[j->n - 1].len : 0;
}

static int parse_bad(struct rjp *p, const struct line *l)
{
	struct mtk_rj_journal *j = p->j;
	uint64_t off, len;
	int rc;
	if (l->n != 3)
		return bad(p, "a bad range is \"b OFF LEN\"");
	if ((rc = hex_u64(p, l, 1, "OFF", &off)) < 0 || (rc = hex_u64(p, l, 2, "LEN", &len)) < 0)
		return rc;
	uint64_t from = p->pending ? j->bad[j->nbad - 1].off + j->bad[j->nbad - 1].len : next_off(j);
	if (len == 0 || off < from || off >= j->len || len > j->len - off)
		return bad(p, "bad range empty, out of order or outside the job's range");
	if ((rc = mtk_rj_grow(p->ctx, (void **)&j->bad, &p->cap_bad, j->nbad + 1, sizeof *j->bad)) < 0)
		return rc;
	j->bad[j->nbad++] = (struct mtk_read_bad_range){ off, len };
	p->pending++;
	return 0;
}

static int parse_chunk(struct rjp *p, const struct line *l, size_t text_end)
{
	struct mtk_rj_journal *j = p->j;
	uint64_t off, len;
	int rc;
	if (l->n != 4 || l->flen[3] != 64)
		return bad(p, "a chunk is \"c OFF LEN SHA256\" (64 hex digits)");
	if ((rc = hex_u64(p, l, 1, "OFF", &off)) < 0 || (rc = hex_u64(p, l, 2, "LEN", &len)) < 0)
		return rc;
	if (off != next_off(j))
		return bad(p, "chunk does not start where the previous one ended");
	if (len == 0 || len > j->chunk || len > j->len - off || (len < j->chunk && off + len != j->len))
		return bad(p, "chunk length 0, above CHUNK, past LEN, or short before the end");
	if (p->pending && j->bad[j->nbad - 1].off + j->bad[j->nbad - 1].len > off + len)
		return bad(p, "a bad range reaches past its chunk");
	if ((rc = mtk_rj_grow(p->ctx, (void **)&j->c, &p->cap_c, j->n + 1, sizeof *j->c)) < 0)
		return rc;
	struct mtk_rj_chunk *c = &j->c[j->n];
	for (size_t k = 0; k < 32; k++) {
		int hi = mtk_hex_digit((unsigned char)l->f[3][2 * k]), lo = mtk_hex_digit((unsigned char)l->f[3][2 * k + 1]);
		if (hi < 0 || lo < 0)
			return bad(p, "SHA256 is not hex");
		c->sha256[k] = (uint8_t)(hi << 4 | lo);
	}
	c->off = off;
	c->len = len;
	c->nbad = p->pending;
	c->first_bad = j->nbad - p->pending;
	c->text_end = text_end;
	j->n++;
	p->pending = 0;
	return 0;
}

static int parse_record(struct rjp *p, const char *s, size_t len, size_t text_end)
{
	struct line l;
	int rc = split(p, s, len, &l);
	if (rc < 0)
		return rc;
	if (field_is(&l, 0, "b"))
		return parse_bad(p, &l);
	if (field_is(&l, 0, "c"))
		return parse_chunk(p, &l, text_end);
	return bad(p, "unknown record (expected \"b\" or \"c\")");
}

int mtk_rj_parse(mtk_ctx *ctx, const char *name, const uint8_t *buf, size_t len, struct mtk_rj_journal *out)
{
	memset(out, 0, sizeof *out);
	struct rjp p = { .ctx = ctx, .name = name, .j = out };
	int rc = 0;
	for (size_t at = 0; at < len && rc == 0;) {
		const uint8_t *nl = memchr(buf + at, '\n', len - at);
		if (!nl)
			break; /* torn last line: the crash came during its append */
		size_t n = (size_t)(nl - (buf + at)), end = at + n + 1;
		p.lineno++;
		if (p.lineno == 1) {
			rc = parse_header(&p, (const char *)buf + at, n);
			out->header_end = end;
		} else {
			rc = parse_record(&p, (const char *)buf + at, n, end);
		}
		at = end;
	}
	if (rc == 0 && p.lineno == 0)
		rc = mtk_fail(ctx, MTK_E_PARSE, "%s: empty or without a complete header line", name);
	/* Bad ranges with no chunk line after them belong to a torn append. */
	out->nbad -= p.pending;
	if (rc < 0)
		mtk_rj_free(out);
	return rc;
}

void mtk_rj_free(struct mtk_rj_journal *j)
{
	free(j->c);
	free(j->bad);
	memset(j, 0, sizeof *j);
}
