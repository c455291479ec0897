/* SPDX-License-Identifier: MIT */
/* Looking codes up in the status catalogue, and finding them in what a person
 * pastes: a number, a name, or a line of an SP Flash Tool log. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/status_table.h"

/* More matches than this for one query would be noise, not an answer. */
#define EXPLAIN_MAX 64
/* A pasted log line longer than this is read only this far. */
#define QUERY_MAX 4096

const char *mtk_status_table_desc(const char *table)
{
	for (const struct mtk_status_table *t = mtk_status_tables; table && t->key; t++)
		if (strcmp(t->key, table) == 0)
			return t->desc;
	return NULL;
}

size_t mtk_status_count(void)
{
	return mtk_status_entry_count;
}

const struct mtk_status *mtk_status_at(size_t i)
{
	return i < mtk_status_entry_count ? &mtk_status_entries[i] : NULL;
}

/* Index of the first entry whose value is >= v. */
static size_t first_at_or_above(int64_t v)
{
	size_t lo = 0, hi = mtk_status_entry_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mtk_status_entries[mid].value < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct mtk_status *mtk_status_find(const char *table, int64_t value)
{
	for (size_t i = first_at_or_above(value); i < mtk_status_entry_count; i++) {
		const struct mtk_status *e = &mtk_status_entries[i];
		if (e->value != value)
			break;
		if (strcmp(e->table, table) == 0)
			return e;
	}
	return NULL;
}

const char *mtk_status_error_key(int code)
{
	const struct mtk_status *e = mtk_status_find("mtkflash", code);
	/* "MTK_E_TIMEOUT" -> "E_TIMEOUT": short to type, and no S_* name starts with E_. */
	return e ? e->name + 4 : NULL;
}

void mtk_status_clause(const char *sentence, char *out, size_t cap)
{
	if (!cap)
		return;
	size_t n = strlen(sentence);
	if (n && sentence[n - 1] == '.')
		n--;
	snprintf(out, cap, "%.*s", (int)n, sentence);
	out[0] = (char)tolower((unsigned char)out[0]);
}

/* ---- collecting matches ---------------------------------------------------- */

struct found {
	const struct mtk_status *e[EXPLAIN_MAX];
	size_t n;
};

static void add(struct found *f, const struct mtk_status *e)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->e[i] == e)
			return;
	if (f->n < EXPLAIN_MAX)
		f->e[f->n++] = e;
}

static size_t add_value(struct found *f, int64_t v)
{
	size_t before = f->n;
	for (size_t i = first_at_or_above(v); i < mtk_status_entry_count && mtk_status_entries[i].value == v; i++)
		add(f, &mtk_status_entries[i]);
	return f->n - before;
}

/* A negative number is an MTK_E_* code or a 32-bit status printed as signed. */
static size_t add_number(struct found *f, int64_t v)
{
	size_t n = add_value(f, v);
	if (v < 0 && v >= INT32_MIN)
		n += add_value(f, v + ((int64_t)1 << 32));
	return n;
}

/* name against s[0..len) without regard to case, in the order of the name
 * index (tools/gen_status.py): < 0, 0, > 0. */
static int name_order(const char *name, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int a = toupper((unsigned char)name[i]), b = toupper((unsigned char)s[i]);
		if (a != b)
			return a - b; /* a name that ends first has a = 0 */
	}
	return name[len] != '\0';
}

/* Adds to pos[*n] (up to cap) the positions of the entries called s[0..len),
 * or `prefix` and s[0..len) when prefix is not NULL: a binary search of the
 * name index.  A scan of every name per word of a pasted line was nearly
 * half of fuzz_status_explain's time. */
static void named(const char *prefix, const char *s, size_t len, size_t *pos, size_t *n, size_t cap)
{
	char key[128];
	if (prefix) {
		size_t p = strlen(prefix);
		if (p + len > sizeof key)
			return; /* no name is that long */
		memcpy(key, prefix, p);
		memcpy(key + p, s, len);
		s = key, len += p;
	}
	size_t lo = 0, hi = mtk_status_entry_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (name_order(mtk_status_entries[mtk_status_by_name[mid]].name, s, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < mtk_status_entry_count && *n < cap; lo++) {
		size_t i = mtk_status_by_name[lo];
		if (name_order(mtk_status_entries[i].name, s, len) != 0)
			break;
		pos[(*n)++] = i;
	}
}

static int by_position(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* Entries called s[0..len), in catalogue order; "E_X" also finds "MTK_E_X". */
static size_t add_name(struct found *f, const char *s, size_t len)
{
	size_t before = f->n, pos[2 * EXPLAIN_MAX], n = 0;
	named(NULL, s, len, pos, &n, EXPLAIN_MAX);
	if (len > 2 && strncasecmp(s, "E_", 2) == 0)
		named("MTK_", s, len, pos, &n, 2 * EXPLAIN_MAX);
	qsort(pos, n, sizeof *pos, by_position);
	for (size_t i = 0; i < n; i++)
		add(f, &mtk_status_entries[pos[i]]);
	return f->n - before;
}

/* ---- numbers and words in a line ---------------------------------------------- */

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Parses s[0..len) whole as 0xHEX (up to 8 digits), bare HEX when `bare_hex`,
 * or [-]DECIMAL (up to 10 digits: every 32-bit status fits). */
static bool parse_number(const char *s, size_t len, bool bare_hex, int64_t *v)
{
	bool neg = len > 1 && s[0] == '-';
	const char *p = s + neg;
	size_t n = len - neg;
	int base = 10;
	if (!neg && n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2, n -= 2, base = 16;
	} else if (bare_hex && !neg) {
		base = 16;
	}
	if (n == 0 || n > (base == 16 ? 8u : 10u))
		return false;
	int64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		int d = isdigit(c) ? c - '0' : (base == 16 && isxdigit(c)) ? tolower(c) - 'a' + 10 : -1;
		if (d < 0)
			return false;
		x = x * base + d;
	}
	*v = neg ? -x : x;
	return true;
}

struct token {
	size_t at, len;
	bool word; /* an identifier (starts with a letter or _), else a number */
};

/* The next token at or after *pos in s[0..end), or false at the end. */
static bool next_token(const char *s, size_t end, size_t *pos, struct token *t)
{
	size_t i = *pos;
	while (i < end && !is_word_char(s[i]) && !(s[i] == '-' && i + 1 < end && isdigit((unsigned char)s[i + 1])))
		i++;
	if (i >= end)
		return false;
	t->at = i;
	t->word = !isdigit((unsigned char)s[i]) && s[i] != '-';
	i++;
	while (i < end && is_word_char(s[i]))
		i++;
	t->len = i - t->at;
	*pos = i;
	return true;
}

/* Keeps, of the entries a name found (from index `from`), those whose value is
 * the number printed beside it: the generation the log came from. */
static void prefer_value(struct found *f, size_t from, int64_t v)
{
	size_t kept = from;
	for (size_t i = from; i < f->n; i++) {
		int64_t ev = f->e[i]->value;
		if (ev == v || (v < 0 && ev == v + ((int64_t)1 << 32)))
			f->e[kept++] = f->e[i];
	}
	if (kept > from)
		f->n = kept;
}

/* The number right after a name ("NAME (4001)", "NAME: 0x7D5", "NAME = -1073348605"). */
static bool number_after(const char *s, size_t end, size_t pos, int64_t *v)
{
	while (pos < end && (s[pos] == ' ' || s[pos] == '(' || s[pos] == ':' || s[pos] == '=' || s[pos] == '\t'))
		pos++;
	struct token t;
	size_t p = pos;
	return next_token(s, end, &p, &t) && t.at == pos && !t.word && parse_number(s + t.at, t.len, false, v);
}

static void scan_names(struct found *f, const char *s, size_t end)
{
	struct token t;
	size_t pos = 0;
	while (next_token(s, end, &pos, &t)) {
		if (!t.word || !memchr(s + t.at, '_', t.len))
			continue;
		size_t from = f->n;
		int64_t v;
		if (add_name(f, s + t.at, t.len) && number_after(s, end, pos, &v))
			prefer_value(f, from, v);
	}
}

/* Without a name: numbers that look like codes -- in parentheses, hex or
 * negative -- and only if none does, any number of four digits or more. */
static void scan_numbers(struct found *f, const char *s, size_t end, bool loose)
{
	struct token t;
	size_t pos = 0;
	while (next_token(s, end, &pos, &t)) {
		int64_t v;
		if (t.word || !parse_number(s + t.at, t.len, false, &v))
			continue;
		bool in_parens = t.at > 0 && s[t.at - 1] == '(';
		bool hex = t.len > 2 && s[t.at + 1] == 'x';
		if (loose ? (v >= 1000 || v <= -1000) : (in_parens || hex || v < 0))
			add_number(f, v);
	}
}

static size_t trimmed(const char *q, size_t *start)
{
	size_t len = strnlen(q, QUERY_MAX);
	size_t a = 0;
	while (a < len && isspace((unsigned char)q[a]))
		a++;
	while (len > a && isspace((unsigned char)q[len - 1]))
		len--;
	*start = a;
	return len - a;
}

static bool all_word(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_word_char(s[i]))
			return false;
	return len > 0;
}

size_t mtk_status_explain(const char *query, const struct mtk_status **out, size_t max)
{
	if (!query)
		return 0;
	struct found f = { .n = 0 };
	size_t a;
	size_t len = trimmed(query, &a);
	const char *s = query + a;
	int64_t v;
	if (parse_number(s, len, false, &v))
		add_number(&f, v);
	else if (all_word(s, len) && !add_name(&f, s, len) && parse_number(s, len, true, &v))
		add_number(&f, v); /* C0060003 */
	if (f.n == 0)
		scan_names(&f, s, len);
	if (f.n == 0)
		scan_numbers(&f, s, len, false);
	if (f.n == 0)
		scan_numbers(&f, s, len, true);
	for (size_t i = 0; i < f.n && i < max; i++)
		out[i] = f.e[i];
	return f.n;
}
