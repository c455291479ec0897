/* SPDX-License-Identifier: MIT */
/* SHA256SUMS as GNU sha256sum writes and reads it:
 *   <64 hex><space><space or '*'><name>
 * and, for names holding a backslash or newline, the escaped form
 *   \<64 hex><space><space or '*'><name with \\ and \n>
 * A trailing CR is dropped so that files edited on Windows still parse. */
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "core/text.h"
#include "mtkflash/manifest.h"

bool mtk_manifest_name_ok(const char *name)
{
	return mtk_name_problem(name, MTK_NAME_MANIFEST) == NULL;
}

/* Undo sha256sum's escaping in place; false on an unknown escape. */
static bool unescape(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		r++;
		if (*r == '\\')
			*w++ = '\\';
		else if (*r == 'n')
			*w++ = '\n';
		else if (*r == 'r')
			*w++ = '\r';
		else
			return false;
	}
	*w = '\0';
	return true;
}

static int parse_line(mtk_ctx *ctx, const char *fname, size_t lineno, const char *line, size_t n,
                      struct mtk_manifest_entry *e)
{
	bool escaped = n > 0 && line[0] == '\\';
	if (escaped) {
		line++;
		n--;
	}
	if (n >= 8 && memcmp(line, "SHA256 (", 8) == 0)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "%s line %zu: BSD-style ('SHA256 (name) = hash') lines are not supported",
		                fname, lineno);
	if (n < 67)
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: too short for '<64 hex digits>  <name>'",
		                fname, lineno);
	for (size_t i = 0; i < 64; i++) {
		int hi = mtk_hex_digit((unsigned char)line[i]);
		if (hi < 0)
			return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: column %zu: '%c' is not a hex digit",
			                fname, lineno, i + 1 + escaped, line[i]);
		if (i % 2 == 0)
			e->sha256[i / 2] = (uint8_t)(hi << 4);
		else
			e->sha256[i / 2] |= (uint8_t)hi;
	}
	if (line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
		return mtk_fail(ctx, MTK_E_PARSE,
		                "%s line %zu: expected two spaces (or ' *') after the 64-digit hash", fname,
		                lineno);
	size_t nlen = n - 66;
	if (memchr(line + 66, '\0', nlen))
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: NUL byte in the file name", fname, lineno);
	e->name = malloc(nlen + 1);
	if (!e->name)
		return mtk_fail(ctx, MTK_E_NOMEM, "%s line %zu", fname, lineno);
	memcpy(e->name, line + 66, nlen);
	e->name[nlen] = '\0';
	if (escaped && !unescape(e->name))
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: unknown backslash escape in the file name",
		                fname, lineno);
	if (!mtk_manifest_name_ok(e->name))
		return mtk_fail(
		        ctx, MTK_E_PARSE,
		        "%s line %zu: file name '%s' must be relative, without '.' or '..' components", fname,
		        lineno, e->name);
	return 0;
}

struct name_line {
	const char *name;
	size_t line;
};

static int cmp_name_line(const void *a, const void *b)
{
	const struct name_line *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* A name listed twice with (possibly) different hashes is ambiguous. */
static int check_duplicates(mtk_ctx *ctx, const char *fname, const struct mtk_manifest *m,
                            const size_t *lines)
{
	if (m->count < 2)
		return 0;
	struct name_line *v = malloc(m->count * sizeof *v);
	if (!v)
		return mtk_fail(ctx, MTK_E_NOMEM, "%s", fname);
	for (size_t i = 0; i < m->count; i++)
		v[i] = (struct name_line){m->entries[i].name, lines[i]};
	qsort(v, m->count, sizeof *v, cmp_name_line);
	int rc = 0;
	for (size_t i = 1; i < m->count && rc == 0; i++)
		if (strcmp(v[i - 1].name, v[i].name) == 0)
			rc = mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: '%s' is already listed on line %zu",
			              fname, v[i].line, v[i].name, v[i - 1].line);
	free(v);
	return rc;
}

static int grow(mtk_ctx *ctx, struct mtk_manifest *m, size_t **lines, size_t *cap)
{
	if (m->count < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	struct mtk_manifest_entry *e = realloc(m->entries, ncap * sizeof *e);
	if (!e)
		return mtk_fail(ctx, MTK_E_NOMEM, "manifest entries");
	m->entries = e;
	size_t *l = realloc(*lines, ncap * sizeof *l);
	if (!l)
		return mtk_fail(ctx, MTK_E_NOMEM, "manifest entries");
	*lines = l;
	*cap = ncap;
	return 0;
}

static int parse_all(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
                     struct mtk_manifest *out, size_t **lines)
{
	size_t cap = 0;
	size_t lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		lineno++;
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *line = (const char *)buf + pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		int rc = grow(ctx, out, lines, &cap);
		if (rc < 0)
			return rc;
		struct mtk_manifest_entry *e = &out->entries[out->count];
		e->name = NULL;
		(*lines)[out->count] = lineno;
		out->count++; /* counted before parsing so a half-built entry is freed too */
		rc = parse_line(ctx, fname, lineno, line, n, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int mtk_sha256sums_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
                         struct mtk_manifest *out)
{
	memset(out, 0, sizeof *out);
	if (!fname)
		fname = "SHA256SUMS";
	size_t *lines = NULL;
	int rc = parse_all(ctx, fname, buf, len, out, &lines);
	if (rc == 0)
		rc = check_duplicates(ctx, fname, out, lines);
	free(lines);
	if (rc < 0)
		mtk_manifest_free(out);
	return rc;
}

const uint8_t *mtk_manifest_lookup(const struct mtk_manifest *m, const char *name)
{
	for (size_t i = 0; i < m->count; i++)
		if (strcmp(m->entries[i].name, name) == 0)
			return m->entries[i].sha256;
	return NULL;
}

void mtk_manifest_free(struct mtk_manifest *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->entries[i].name);
	free(m->entries);
	m->entries = NULL;
	m->count = 0;
}

static bool needs_escape(const char *name)
{
	return strpbrk(name, "\\\n\r") != NULL;
}

static size_t format_entry(char *out, const struct mtk_manifest_entry *e)
{
	size_t o = 0;
	bool esc = needs_escape(e->name);
	if (esc)
		out[o++] = '\\';
	o += mtk_hex_encode(out + o, e->sha256, 32);
	out[o++] = ' ';
	out[o++] = ' ';
	for (const char *p = e->name; *p; p++) {
		if (esc && (*p == '\\' || *p == '\n' || *p == '\r')) {
			out[o++] = '\\';
			out[o++] = *p == '\\' ? '\\' : *p == '\n' ? 'n' : 'r';
		} else {
			out[o++] = *p;
		}
	}
	out[o++] = '\n';
	return o;
}

char *mtk_sha256sums_format(const struct mtk_manifest *m, size_t *len)
{
	size_t total = 1;
	for (size_t i = 0; i < m->count; i++)
		total += 1 + 64 + 2 + 2 * strlen(m->entries[i].name) + 1;
	char *out = malloc(total);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < m->count; i++)
		o += format_entry(out + o, &m->entries[i]);
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}
