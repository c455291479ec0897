/* SPDX-License-Identifier: MIT */
/* The report drawn with cairo's PDF surface: A4, words first (what was done,
 * did it work), then the table, the throughput plot, and the record's
 * provenance; full hashes in an appendix.  The PDF is built in memory so the
 * seal can hash exactly the bytes that get written. */
#include "mtkflash/report.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/dynlib.h"
#include "mtkflash/util.h"

/* cairo is opened with the first report drawn (core/dynlib.h says why). */
#define CAIRO_CALLS(X) \
	X(cairo_create) X(cairo_destroy) X(cairo_fill) X(cairo_line_to) X(cairo_move_to) \
	X(cairo_pdf_surface_create_for_stream) X(cairo_pdf_surface_set_metadata) X(cairo_rectangle) \
	X(cairo_select_font_face) X(cairo_set_font_size) X(cairo_set_line_width) \
	X(cairo_set_source_rgb) X(cairo_show_page) X(cairo_show_text) X(cairo_status) \
	X(cairo_status_to_string) X(cairo_stroke) X(cairo_surface_destroy) X(cairo_surface_finish) \
	X(cairo_surface_status) X(cairo_text_extents)
struct cairo_api {
	CAIRO_CALLS(MTK_DYNLIB_MEMBER)
};
#define CAIRO_SYM(fn) MTK_DYNLIB_SYM(struct cairo_api, fn)
static const struct mtk_dynsym cairo_syms[] = { CAIRO_CALLS(CAIRO_SYM) };
static struct cairo_api cairo_api;
static struct mtk_dynlib cairo_lib =
	MTK_DYNLIB_INIT("libcairo.so.2", "libcairo2", "PDF reports", cairo_syms, &cairo_api);
/* Below, every cairo call goes through the table. */
#define cairo_create cairo_api.cairo_create
#define cairo_destroy cairo_api.cairo_destroy
#define cairo_fill cairo_api.cairo_fill
#define cairo_line_to cairo_api.cairo_line_to
#define cairo_move_to cairo_api.cairo_move_to
#define cairo_pdf_surface_create_for_stream cairo_api.cairo_pdf_surface_create_for_stream
#define cairo_pdf_surface_set_metadata cairo_api.cairo_pdf_surface_set_metadata
#define cairo_rectangle cairo_api.cairo_rectangle
#define cairo_select_font_face cairo_api.cairo_select_font_face
#define cairo_set_font_size cairo_api.cairo_set_font_size
#define cairo_set_line_width cairo_api.cairo_set_line_width
#define cairo_set_source_rgb cairo_api.cairo_set_source_rgb
#define cairo_show_page cairo_api.cairo_show_page
#define cairo_show_text cairo_api.cairo_show_text
#define cairo_status cairo_api.cairo_status
#define cairo_status_to_string cairo_api.cairo_status_to_string
#define cairo_stroke cairo_api.cairo_stroke
#define cairo_surface_destroy cairo_api.cairo_surface_destroy
#define cairo_surface_finish cairo_api.cairo_surface_finish
#define cairo_surface_status cairo_api.cairo_surface_status
#define cairo_text_extents cairo_api.cairo_text_extents
#define PAGE_W 595.0 /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 42.0
#define BOTTOM (PAGE_H - 48.0)
#define FONT "DejaVu Sans"
#define MONO "DejaVu Sans Mono"

struct sink {
	uint8_t *buf;
	size_t len, cap;
	bool failed;
};

struct page {
	cairo_t *cr;
	cairo_surface_t *surface;
	double y;
	int number;
};

static cairo_status_t sink_write(void *user, const unsigned char *data, unsigned int len)
{
	struct sink *s = user;
	if (s->len + len > s->cap) {
		size_t cap = (s->cap ? s->cap * 2 : 65536) + len;
		uint8_t *b = realloc(s->buf, cap);
		if (!b) {
			s->failed = true;
			return CAIRO_STATUS_NO_MEMORY;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return CAIRO_STATUS_SUCCESS;
}

/* ------------------------------------------------------------ text */

static void font(struct page *p, const char *face, double size, bool bold)
{
	cairo_select_font_face(p->cr, face, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(p->cr, size);
}

/* Cut at the first byte that does not start a whole UTF-8 character: a
 * snprintf that ran out of room may have split one, and cairo refuses
 * (and stops drawing at) text that is not UTF-8. */
static void utf8_trim(char *s)
{
	size_t n = strlen(s), at = 0;
	uint32_t cp;
	while (at < n) {
		size_t k = mtk_utf8_decode((const unsigned char *)s + at, n - at, &cp);
		if (!k)
			break;
		at += k;
	}
	s[at] = '\0';
}

/* Whole UTF-8 characters of s that fit in maxw points (an ellipsis marks a cut). */
static void show_fit(struct page *p, double x, double y, const char *s, double maxw)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", s);
	utf8_trim(buf);
	cairo_text_extents_t e;
	cairo_text_extents(p->cr, buf, &e);
	size_t n = strlen(buf);
	while (maxw > 0 && e.x_advance > maxw && n > 0) {
		do
			n--;
		while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80);
		memcpy(buf + n, "\xe2\x80\xa6", 4); /* U+2026 */
		cairo_text_extents(p->cr, buf, &e);
	}
	cairo_move_to(p->cr, x, y);
	cairo_show_text(p->cr, buf);
}

static void textf(struct page *p, double x, double maxw, const char *fmt, ...) MTK_PRINTF(4, 5);
static void textf(struct page *p, double x, double maxw, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	show_fit(p, x, p->y, buf, maxw);
}

static void color(struct page *p, double r, double g, double b)
{
	cairo_set_source_rgb(p->cr, r, g, b);
}

static void footer(struct page *p)
{
	font(p, FONT, 7.5, false);
	color(p, 0.4, 0.4, 0.4);
	cairo_move_to(p->cr, MARGIN, PAGE_H - 24);
	cairo_show_text(p->cr, "Signed by the station that flashed the phone. Check it: mtkflash report verify FILE");
	char n[24];
	snprintf(n, sizeof n, "page %d", p->number);
	cairo_move_to(p->cr, PAGE_W - MARGIN - 30, PAGE_H - 24);
	cairo_show_text(p->cr, n);
	color(p, 0, 0, 0);
}

static void new_page(struct page *p)
{
	footer(p);
	cairo_show_page(p->cr);
	p->number++;
	p->y = MARGIN + 10;
}

/* Room for `h` more points on this page, or a new page. */
static void need(struct page *p, double h)
{
	if (p->y + h > BOTTOM)
		new_page(p);
}

static void heading(struct page *p, const char *title)
{
	need(p, 40);
	p->y += 16;
	font(p, FONT, 11.5, true);
	color(p, 0.1, 0.2, 0.45);
	textf(p, MARGIN, 0, "%s", title);
	color(p, 0, 0, 0);
	p->y += 14;
}

/* "Label:  value" on one line. */
static void field(struct page *p, const char *label, const char *fmt, ...) MTK_PRINTF(3, 4);
static void field(struct page *p, const char *label, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	need(p, 13);
	font(p, FONT, 9, true);
	textf(p, MARGIN, 120, "%s", label);
	font(p, FONT, 9, false);
	show_fit(p, MARGIN + 125, p->y, buf, PAGE_W - 2 * MARGIN - 125);
	p->y += 13;
}

/* ------------------------------------------------------------ words */

static const char *result_words(const struct mtk_report *r, double *red, double *green)
{
	*red = 0.75, *green = 0.1;
	if (!r->have_end)
		return "Unfinished: the record stops before the flash ended";
	if (r->ended_ok) {
		*red = 0.05, *green = 0.5;
		return "Success: every partition written was read back and found identical";
	}
	if (strcmp(r->result, "MTK_E_ROLLEDBACK") == 0)
		return "Failed, and undone: the phone was put back exactly as it was before";
	if (strcmp(r->result, "MTK_E_POLICY") == 0 || (!r->nsteps && strcmp(r->verdict, "refuse") == 0))
		return "Refused: nothing was written to the phone";
	if (!r->nsteps)
		return "Stopped before anything was written to the phone";
	if (r->rollback_failed)
		return "Failed, and NOT all undone: the phone needs `mtkflash recover`";
	return "Failed: see the table for the partitions concerned";
}

static const char *sig_words(const char *s)
{
	static const struct {
		const char *state, *words;
	} t[] = {
		{ "trusted", "signed by a trusted publisher" },
		{ "unknown-key", "signed, but by a publisher this station does not trust" },
		{ "bad", "signature BROKEN: the package was changed after signing" },
		{ "unsigned", "not signed" },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if (strcmp(s, t[i].state) == 0)
			return t[i].words;
	return s[0] ? s : "not recorded";
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void title(struct page *p, const struct mtk_report *r)
{
	font(p, FONT, 20, true);
	p->y = MARGIN + 14;
	textf(p, MARGIN, 0, "Phone flash report");
	p->y += 26;
	double red, green;
	const char *words = result_words(r, &red, &green);
	cairo_rectangle(p->cr, MARGIN, p->y - 14, PAGE_W - 2 * MARGIN, 22);
	color(p, red, green, 0.1);
	cairo_fill(p->cr);
	color(p, 1, 1, 1);
	font(p, FONT, 11.5, true);
	textf(p, MARGIN + 8, PAGE_W - 2 * MARGIN - 16, "%s", words);
	color(p, 0, 0, 0);
	p->y += 24;
	font(p, FONT, 9, false);
	double w = PAGE_W - 2 * MARGIN;
	textf(p, MARGIN, w, "%s phone %s, from %s to %s (UTC).", r->chip[0] ? r->chip : "A", r->device_id,
	      r->started[0] ? r->started : "?", r->ended[0] ? r->ended : "?");
	p->y += 12;
	textf(p, MARGIN, w, "Made by %s from the station's signed record of the flash (its audit log).",
	      r->tool[0] ? r->tool : "mtkflash");
	p->y += 4;
}

static void facts(struct page *p, const struct mtk_report *r)
{
	heading(p, "The phone and the firmware");
	field(p, "Device id", "%s", r->device_id[0] ? r->device_id : "(not recorded)");
	field(p, "Chip", "%s", r->chip[0] ? r->chip : "(not recorded)");
	field(p, "Firmware package", "%s", r->scatter[0] ? base_name(r->scatter) : "(not recorded)");
	field(p, "Package signature", "%s%s", sig_words(r->package_sig), r->manifest ? "" : " (no checksum list)");
	field(p, "How", "%s mode, %s", r->mode[0] ? r->mode : "?", r->scene[0] ? r->scene : "?");
	field(p, "Operator", "%s%s%s", r->role[0] ? r->role : "(role not recorded)", r->policy[0] ? ", policy " : "",
	      r->policy);
	field(p, "Station", "key %s", r->key_id[0] ? r->key_id : "(log not signed)");
}

static void risk(struct page *p, const struct mtk_report *r)
{
	heading(p, "Risk assessed before writing");
	if (r->risk_score < 0) {
		field(p, "Risk", "not assessed (the flash stopped before)");
		return;
	}
	field(p, "Risk score", "%d of 100 (%s); decision: %s%s%s", r->risk_score, r->risk_level, r->verdict,
	      r->confirmed[0] ? ", " : "", r->confirmed);
	if (r->reasons[0])
		field(p, "Because", "%s", r->reasons);
	for (size_t i = 0; i < r->nfactors; i++) {
		const struct mtk_report_factor *f = &r->factors[i];
		if (!f->contribution && strcmp(f->state, "fail") != 0)
			continue;
		field(p, f->name, "+%d  %s", f->contribution, f->detail);
	}
}

/* ------------------------------------------------------------ the table */

static const struct col {
	const char *title;
	double x;
} cols[] = {
	{ "Partition", 0 }, { "Step", 88 }, { "Bytes", 128 }, { "Before (SHA-256)", 190 },
	{ "After (SHA-256)", 270 }, { "Seconds", 350 }, { "MB/s", 392 }, { "Outcome", 430 },
};

static void short_hash(const char *h, char *out, size_t cap)
{
	if (strlen(h) > 12)
		snprintf(out, cap, "%.12s\xe2\x80\xa6", h);
	else
		snprintf(out, cap, "%.12s", h[0] ? h : "-");
}

static void table_row(struct page *p, const struct mtk_report_step *s)
{
	char before[20], after[20], bytes[24];
	short_hash(s->before, before, sizeof before);
	short_hash(s->after, after, sizeof after);
	snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)s->bytes);
	const char *result = !s->rollback[0] ? s->outcome : strcmp(s->rollback, "restored") == 0 ? "put back"
											    : "NOT put back";
	const char *v[] = { s->partition, s->stage, bytes, before, after, "", "", result };
	need(p, 11);
	for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
		bool mono = c == 3 || c == 4;
		font(p, mono ? MONO : FONT, mono ? 7 : 8, c == 7);
		double w = c + 1 < sizeof cols / sizeof *cols ? cols[c + 1].x - cols[c].x - 4 : PAGE_W - 2 * MARGIN - cols[c].x;
		if (c == 5)
			textf(p, MARGIN + cols[c].x, w, "%.2f", s->seconds);
		else if (c == 6)
			textf(p, MARGIN + cols[c].x, w, "%.1f", s->mb_per_s);
		else
			show_fit(p, MARGIN + cols[c].x, p->y, v[c], w);
	}
	p->y += 11;
}

static bool has_step(const struct mtk_report *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->nsteps; i++)
		if (strlen(r->steps[i].partition) == len && memcmp(r->steps[i].partition, name, len) == 0)
			return true;
	return false;
}

/* Partitions the plan meant to write that no step reached: a refused or
 * stopped flash still names everything it spared. */
static void unreached_rows(struct page *p, const struct mtk_report *r)
{
	struct mtk_report_step s = { .stage = "write" };
	snprintf(s.outcome, sizeof s.outcome, "%s", r->nsteps ? "not reached" : "not written");
	for (const char *n = r->planned; *n;) {
		const char *comma = strstr(n, ", ");
		size_t len = comma ? (size_t)(comma - n) : strlen(n);
		if (len < sizeof s.partition && !has_step(r, n, len)) {
			snprintf(s.partition, sizeof s.partition, "%.*s", (int)len, n);
			table_row(p, &s);
		}
		n += len + (comma ? 2 : 0);
	}
}

static void table(struct page *p, const struct mtk_report *r)
{
	heading(p, "What was done to each partition");
	if (!r->nsteps && !r->planned[0]) {
		field(p, "Partitions", "none: nothing was read or written");
		return;
	}
	font(p, FONT, 8, true);
	for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
		show_fit(p, MARGIN + cols[c].x, p->y, cols[c].title, 0);
	p->y += 4;
	cairo_move_to(p->cr, MARGIN, p->y);
	cairo_line_to(p->cr, PAGE_W - MARGIN, p->y);
	cairo_set_line_width(p->cr, 0.5);
	cairo_stroke(p->cr);
	p->y += 10;
	for (size_t i = 0; i < r->nsteps; i++)
		table_row(p, &r->steps[i]);
	unreached_rows(p, r);
	font(p, FONT, 7.5, false);
	need(p, 12);
	textf(p, MARGIN, 0, "Hashes are shortened here; the full SHA-256 of each partition is in the appendix.");
	p->y += 4;
}

static void outcome(struct page *p, const struct mtk_report *r)
{
	heading(p, "Backups and result");
	field(p, "Backup taken", "%s", r->backup_id[0] ? r->backup_id : "none (no protected partition at stake)");
	if (r->rolled_back[0])
		field(p, "Put back", "%s", r->rolled_back);
	field(p, "Result", "%s", r->result[0] ? r->result : "(no end line)");
	if (r->have_end)
		field(p, "Written", "%llu bytes in %.2f s", (unsigned long long)r->bytes_written, r->seconds);
	for (size_t i = 0; i < r->nsteps; i++)
		if (r->steps[i].error[0])
			field(p, r->steps[i].partition, "%s", r->steps[i].error);
}

/* ------------------------------------------------------------ the plot */

struct stage_rate {
	char stage[16];
	double bytes, seconds;
};

static size_t stage_rates(const struct mtk_report *r, struct stage_rate *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct mtk_report_step *s = &r->steps[i];
		if (!s->bytes || s->seconds <= 0)
			continue;
		size_t k = 0;
		while (k < n && strcmp(out[k].stage, s->stage) != 0)
			k++;
		if (k == n && n == cap)
			continue;
		if (k == n)
			snprintf(out[n++].stage, sizeof out->stage, "%s", s->stage);
		out[k].bytes += (double)s->bytes;
		out[k].seconds += s->seconds;
	}
	return n;
}

static void plot(struct page *p, const struct mtk_report *r)
{
	struct stage_rate st[8] = { 0 };
	size_t n = stage_rates(r, st, 8);
	if (!n)
		return;
	heading(p, "Speed of each stage (MB/s: bytes over time spent)");
	double max = 0, h = 14, w = PAGE_W - 2 * MARGIN - 160;
	for (size_t i = 0; i < n; i++)
		max = st[i].bytes / st[i].seconds / 1e6 > max ? st[i].bytes / st[i].seconds / 1e6 : max;
	need(p, (double)n * (h + 4) + 6);
	for (size_t i = 0; i < n; i++) {
		double mbs = st[i].bytes / st[i].seconds / 1e6;
		font(p, FONT, 8.5, false);
		textf(p, MARGIN, 70, "%s", st[i].stage);
		cairo_rectangle(p->cr, MARGIN + 75, p->y - h + 4, max > 0 ? w * mbs / max : 0, h - 2);
		color(p, 0.25, 0.45, 0.75);
		cairo_fill(p->cr);
		color(p, 0, 0, 0);
		textf(p, MARGIN + 80 + (max > 0 ? w * mbs / max : 0), 0, "%.1f MB/s", mbs);
		p->y += h + 4;
	}
}

/* ------------------------------------------------------------ provenance */

static void mono_lines(struct page *p, const char *text, double size)
{
	font(p, MONO, size, false);
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		need(p, size + 3);
		textf(p, MARGIN + 10, PAGE_W - 2 * MARGIN - 10, "%.*s", (int)n, s);
		p->y += size + 3;
		s += n + (nl ? 1 : 0);
	}
}

static void record(struct page *p, const struct mtk_report *r)
{
	heading(p, "The record this report comes from");
	field(p, "Audit log", "%s", r->log_path[0] ? r->log_path : "(path not recorded)");
	field(p, "Events", "%zu, verified before this report was made", r->events);
	field(p, "Chain head", " ");
	p->y -= 13;
	font(p, MONO, 7.5, false);
	textf(p, MARGIN + 125, 0, "%s", r->head[0] ? r->head : "(none: the log is not signed)");
	p->y += 13;
	field(p, "Signed by", "station key %s", r->key_id[0] ? r->key_id : "(none)");
	if (r->log_minisig[0]) {
		field(p, "Log signature", "(minisign)");
		mono_lines(p, r->log_minisig, 6.5);
	}
}

static void appendix(struct page *p, const struct mtk_report *r)
{
	if (!r->nsteps)
		return;
	heading(p, "Appendix: full SHA-256 of each partition, before and after");
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct mtk_report_step *s = &r->steps[i];
		need(p, 20);
		font(p, FONT, 7.5, true);
		textf(p, MARGIN, 0, "%s (%s)", s->partition, s->stage);
		p->y += 9;
		font(p, MONO, 6.5, false);
		textf(p, MARGIN + 10, 0, "before %s   after %s", s->before[0] ? s->before : "-", s->after[0] ? s->after : "-");
		p->y += 10;
	}
}

static void draw(struct page *p, const struct mtk_report *r)
{
	title(p, r);
	facts(p, r);
	risk(p, r);
	table(p, r);
	outcome(p, r);
	plot(p, r);
	record(p, r);
	appendix(p, r);
	footer(p);
	cairo_show_page(p->cr);
}

static void metadata(cairo_surface_t *s, const struct mtk_report *r)
{
	char subject[256];
	snprintf(subject, sizeof subject, "Flash of %s: %s", r->device_id, r->result);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "Phone flash report");
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, subject);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "mtkflash");
	/* a fixed date: the same log makes the same PDF, byte for byte */
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, r->ended[0] ? r->ended : r->started);
}

int mtk_report_render(mtk_ctx *ctx, const struct mtk_report *rep, uint8_t **out, size_t *len)
{
	int rc = mtk_dynlib_load(ctx, &cairo_lib);
	if (rc != 0)
		return rc;
	struct sink sink = { 0 };
	struct page p = { .number = 1 };
	p.surface = cairo_pdf_surface_create_for_stream(sink_write, &sink, PAGE_W, PAGE_H);
	metadata(p.surface, rep);
	p.cr = cairo_create(p.surface);
	draw(&p, rep);
	cairo_status_t st = cairo_status(p.cr);
	cairo_destroy(p.cr);
	cairo_surface_finish(p.surface);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(p.surface);
	cairo_surface_destroy(p.surface);
	if (st != CAIRO_STATUS_SUCCESS || sink.failed) {
		free(sink.buf);
		return mtk_fail(ctx, sink.failed ? MTK_E_NOMEM : MTK_E_IO, "drawing the report: %s",
				cairo_status_to_string(st));
	}
	*out = sink.buf;
	*len = sink.len;
	return 0;
}
