/* SPDX-License-Identifier: MIT */
/* The XML scatter (V2.x, formats.md §1.4).  Only the subset MTK writes is
 * read: elements, a `name` attribute, text, comments, the XML declaration and
 * the five predefined entities.  Each element turns into the same "key: value"
 * pair the text format has: an element with a name attribute gives
 * (tag, attribute) when it opens; a leaf element gives (tag, text) when it
 * closes.  So <partition_index name="SYS0"> is "partition_index: SYS0" and
 * <file_name>boot.img</file_name> is "file_name: boot.img". */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "image/scatter_priv.h"

#define XML_MAX_DEPTH 32

struct xml_elem {
	char tag[SC_MAX_KEY];
	unsigned line;
	bool has_name; /* had a name="..." attribute */
	bool has_child;
};

struct xml {
	struct sc_builder *b;
	const char *p;
	size_t len, pos;
	unsigned line;
	struct xml_elem stack[XML_MAX_DEPTH];
	size_t depth;
	char text[SC_MAX_VALUE];
	size_t tlen;
	bool seen_root;
};

static int peek(const struct xml *x, size_t ahead)
{
	return x->pos + ahead < x->len ? (unsigned char)x->p[x->pos + ahead] : -1;
}

static void advance(struct xml *x, size_t n)
{
	for (size_t i = 0; i < n && x->pos < x->len; i++)
		x->line += x->p[x->pos++] == '\n';
}

static bool starts(const struct xml *x, const char *s)
{
	size_t n = strlen(s);
	return x->len - x->pos >= n && memcmp(x->p + x->pos, s, n) == 0;
}

/* Skip to just past `end`; false if the input ends first. */
static bool skip_past(struct xml *x, const char *end)
{
	while (x->pos < x->len) {
		if (starts(x, end)) {
			advance(x, strlen(end));
			return true;
		}
		advance(x, 1);
	}
	return false;
}

static void skip_ws(struct xml *x)
{
	while (x->pos < x->len && isspace((unsigned char)x->p[x->pos]))
		advance(x, 1);
}

static bool is_tag_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

static int read_tag(struct xml *x, char *out)
{
	size_t n = 0;
	while (x->pos < x->len && is_tag_char(peek(x, 0))) {
		if (n + 1 >= SC_MAX_KEY)
			return sc_perr(x->b, x->line, "element name longer than %d bytes", SC_MAX_KEY - 1);
		out[n++] = x->p[x->pos];
		advance(x, 1);
	}
	out[n] = '\0';
	if (n == 0)
		return sc_perr(x->b, x->line, "expected an element name after '<'");
	return 0;
}

static int put_char(struct xml *x, char c, char *dst, size_t *n)
{
	if (*n + 1 >= SC_MAX_VALUE)
		return sc_perr(x->b, x->line, "text longer than %d bytes", SC_MAX_VALUE - 1);
	dst[(*n)++] = c;
	dst[*n] = '\0';
	return 0;
}

static int entity(struct xml *x, char *dst, size_t *n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
		if (starts(x, ents[i].ent)) {
			advance(x, strlen(ents[i].ent));
			return put_char(x, ents[i].c, dst, n);
		}
	}
	return sc_perr(x->b, x->line, "unsupported entity '%.*s'",
	               (int)(x->len - x->pos < 8 ? x->len - x->pos : 8), x->p + x->pos);
}

/* name="value" pairs; keeps the value of `name`. */
static int read_attrs(struct xml *x, char *name_val, bool *has_name, bool *self_close)
{
	*has_name = false;
	*self_close = false;
	for (;;) {
		skip_ws(x);
		if (peek(x, 0) == '>' || (peek(x, 0) == '/' && peek(x, 1) == '>')) {
			*self_close = peek(x, 0) == '/';
			advance(x, *self_close ? 2 : 1);
			return 0;
		}
		char attr[SC_MAX_KEY];
		int rc = read_tag(x, attr);
		if (rc < 0)
			return rc;
		skip_ws(x);
		if (peek(x, 0) != '=')
			return sc_perr(x->b, x->line, "attribute '%s' without a value", attr);
		advance(x, 1);
		skip_ws(x);
		int q = peek(x, 0);
		if (q != '"' && q != '\'')
			return sc_perr(x->b, x->line, "attribute '%s': value not quoted", attr);
		advance(x, 1);
		char val[SC_MAX_VALUE];
		size_t n = 0;
		val[0] = '\0';
		while (peek(x, 0) != q) {
			int c = peek(x, 0);
			if (c < 0 || c == '<')
				return sc_perr(x->b, x->line, "attribute '%s': value not closed", attr);
			if (c == '&') {
				rc = entity(x, val, &n);
			} else {
				rc = put_char(x, (char)c, val, &n);
				advance(x, 1);
			}
			if (rc < 0)
				return rc;
		}
		advance(x, 1);
		if (strcmp(attr, "name") == 0) {
			memcpy(name_val, val, n + 1);
			*has_name = true;
		}
	}
}

static void trim_text(const char *t, size_t n, const char **out, size_t *on)
{
	while (n > 0 && isspace((unsigned char)t[0])) {
		t++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)t[n - 1]))
		n--;
	*out = t;
	*on = n;
}

static int close_elem(struct xml *x, const struct xml_elem *e)
{
	if (x->depth > 0)
		x->stack[x->depth - 1].has_child = true;
	if (e->has_name || e->has_child)
		return 0;
	const char *t;
	size_t n;
	trim_text(x->text, x->tlen, &t, &n);
	char val[SC_MAX_VALUE];
	memcpy(val, t, n);
	val[n] = '\0';
	return sc_key(x->b, e->tag, val, e->line);
}

static int start_tag(struct xml *x)
{
	unsigned line = x->line;
	advance(x, 1);
	if (x->depth == 0 && x->seen_root)
		return sc_perr(x->b, line, "a second root element");
	if (x->depth >= XML_MAX_DEPTH)
		return sc_perr(x->b, line, "elements nested deeper than %d", XML_MAX_DEPTH);
	struct xml_elem e = {.line = line};
	int rc = read_tag(x, e.tag);
	if (rc < 0)
		return rc;
	char name_val[SC_MAX_VALUE];
	bool self_close;
	rc = read_attrs(x, name_val, &e.has_name, &self_close);
	if (rc < 0)
		return rc;
	x->seen_root = true;
	x->tlen = 0;
	x->text[0] = '\0';
	if (e.has_name) {
		rc = sc_key(x->b, e.tag, name_val, line);
		if (rc < 0)
			return rc;
	}
	if (x->depth > 0)
		x->stack[x->depth - 1].has_child = true;
	if (self_close)
		return close_elem(x, &e);
	x->stack[x->depth++] = e;
	return 0;
}

static int end_tag(struct xml *x)
{
	unsigned line = x->line;
	advance(x, 2);
	char tag[SC_MAX_KEY];
	int rc = read_tag(x, tag);
	if (rc < 0)
		return rc;
	skip_ws(x);
	if (peek(x, 0) != '>')
		return sc_perr(x->b, line, "'</%s' not closed by '>'", tag);
	advance(x, 1);
	if (x->depth == 0)
		return sc_perr(x->b, line, "'</%s>' without an open element", tag);
	struct xml_elem e = x->stack[--x->depth];
	if (strcmp(e.tag, tag) != 0)
		return sc_perr(x->b, line, "'</%s>' closes <%s> opened at line %u", tag, e.tag, e.line);
	rc = close_elem(x, &e);
	x->tlen = 0;
	x->text[0] = '\0';
	return rc;
}

static int markup(struct xml *x)
{
	unsigned line = x->line;
	if (starts(x, "<?"))
		return skip_past(x, "?>") ? 0 : sc_perr(x->b, line, "'<?' not closed");
	if (starts(x, "<!--"))
		return skip_past(x, "-->") ? 0 : sc_perr(x->b, line, "comment not closed");
	if (starts(x, "<![CDATA["))
		return sc_perr(x->b, line, "CDATA sections are not used in scatter files");
	if (starts(x, "<!"))
		return skip_past(x, ">") ? 0 : sc_perr(x->b, line, "'<!' not closed");
	if (starts(x, "</"))
		return end_tag(x);
	return start_tag(x);
}

static int text_char(struct xml *x)
{
	int c = peek(x, 0);
	if (x->depth == 0) {
		if (!isspace(c))
			return sc_perr(x->b, x->line, "text outside the root element");
		advance(x, 1);
		return 0;
	}
	if (c == '&')
		return entity(x, x->text, &x->tlen);
	int rc = put_char(x, (char)c, x->text, &x->tlen);
	advance(x, 1);
	return rc;
}

int sc_parse_xml(struct sc_builder *b, const uint8_t *buf, size_t len)
{
	struct xml *x = calloc(1, sizeof *x);
	if (!x)
		return sc_oom(b);
	*x = (struct xml){.b = b, .p = (const char *)buf, .len = len, .line = 1};
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		x->pos = 3;
	int rc = 0;
	while (rc == 0 && x->pos < x->len)
		rc = peek(x, 0) == '<' ? markup(x) : text_char(x);
	if (rc == 0 && x->depth > 0)
		rc = sc_perr(b, x->stack[x->depth - 1].line, "<%s> is never closed (truncated file?)",
		             x->stack[x->depth - 1].tag);
	if (rc == 0 && !x->seen_root)
		rc = sc_perr(b, 0, "no root element");
	free(x);
	return rc;
}
