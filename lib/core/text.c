/* SPDX-License-Identifier: MIT */
#include "core/text.h"

#include <stdio.h>
#include <string.h>

size_t mtk_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
	if (n == 0 || n > left)
		return 0;
	uint32_t c = n == 1 ? s[0] : s[0] & (0x7Fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min_cp[n] || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000))
		return 0;
	*cp = c;
	return n;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

static const char *check_bytes(const char *name, bool allow_control)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t left = strlen(name);
	while (left) {
		uint32_t cp;
		size_t n = mtk_utf8_decode(s, left, &cp);
		if (n == 0)
			return "is not valid UTF-8";
		if (!allow_control && is_control(cp))
			return "contains a control character";
		s += n;
		left -= n;
	}
	return NULL;
}

static bool is_sep(char c, enum mtk_name_kind kind)
{
	return c == '/' || (c == '\\' && kind == MTK_NAME_PACKAGE);
}

/* Component rules: ".." never; "." and "" only where a package path may
 * carry them harmlessly (scatter files written by hand). */
static const char *check_components(const char *name, enum mtk_name_kind kind)
{
	const char *c = name;
	for (;;) {
		size_t n = 0;
		while (c[n] && !is_sep(c[n], kind))
			n++;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return "has a '..' component";
		if (kind == MTK_NAME_MANIFEST && (n == 0 || (n == 1 && c[0] == '.')))
			return "has an empty or '.' component";
		if (!c[n])
			return NULL;
		c += n + 1;
	}
}

static const char *check_file(const char *name)
{
	if (strchr(name, '/'))
		return "contains '/'";
	if (strchr(name, '\\'))
		return "contains '\\'";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "is '.' or '..'";
	return check_bytes(name, false);
}

static const char *check_path(const char *name, enum mtk_name_kind kind)
{
	if (is_sep(name[0], kind))
		return "is an absolute path";
	if (kind == MTK_NAME_PACKAGE && ((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':')
		return "starts with a drive letter";
	/* Manifest names are whatever bytes the file system holds: sha256sum
	 * escapes the awkward ones, and only the path structure is a danger. */
	const char *why = kind == MTK_NAME_MANIFEST ? NULL : check_bytes(name, false);
	return why ? why : check_components(name, kind);
}

const char *mtk_name_problem(const char *name, enum mtk_name_kind kind)
{
	if (!name || !name[0])
		return "is empty";
	return kind == MTK_NAME_FILE ? check_file(name) : check_path(name, kind);
}

/* Appends one escape or one whole character; false when it does not fit. */
static bool put_piece(char *out, size_t cap, size_t *o, const char *piece, size_t n)
{
	if (*o + n + 1 > cap)
		return false;
	memcpy(out + *o, piece, n);
	*o += n;
	return true;
}

char *mtk_escape_n(const char *in, size_t len, char *out, size_t cap)
{
	if (!cap)
		return out;
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	while (len) {
		uint32_t cp = 0;
		size_t n = mtk_utf8_decode(s, len, &cp);
		char hex[5];
		bool ok;
		if (n == 0 || is_control(cp) || cp == '\\') {
			n = 1;
			snprintf(hex, sizeof hex, "\\x%02x", s[0]);
			ok = put_piece(out, cap, &o, hex, 4);
		} else {
			ok = put_piece(out, cap, &o, (const char *)s, n);
		}
		if (!ok)
			break;
		s += n;
		len -= n;
	}
	out[o] = '\0';
	return out;
}

char *mtk_escape(const char *in, char *out, size_t cap)
{
	return mtk_escape_n(in, strlen(in), out, cap);
}

static unsigned suffix_shift(const char **end)
{
	static const char units[] = "KMGT";
	char c = (char)(**end & ~0x20);
	const char *u = c ? strchr(units, c) : NULL;
	if (!u)
		return 0;
	(*end)++;
	if (**end == 'i' && (*end)[1] == 'B')
		*end += 2;
	else if (**end == 'B')
		(*end)++;
	return 10u * (unsigned)(u - units + 1);
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool parse_digits(const char *s, unsigned base, uint64_t *v, const char **end)
{
	*v = 0;
	const char *p = s;
	for (;; p++) {
		int d = digit_value(*p);
		if (d < 0 || (unsigned)d >= base)
			break;
		if (*v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		*v = *v * base + (unsigned)d;
	}
	*end = p;
	return p != s;
}

/* strtoull would take leading spaces, signs and octal; a size typed by hand
 * must mean one thing, so "010" is refused rather than read as 8. */
int mtk_parse_size(mtk_ctx *ctx, const char *s, uint64_t *out)
{
	bool hex = s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	uint64_t v;
	const char *end;
	if (!s || !parse_digits(digits, hex ? 16 : 10, &v, &end))
		return mtk_fail(ctx, MTK_E_INVAL, "'%s' is not a size (decimal, 0x-hex, K/M/G suffix)", s ? s : "");
	if (!hex && digits[0] == '0' && end - digits > 1)
		return mtk_fail(ctx, MTK_E_INVAL, "'%s': a leading 0 means octal to some tools; write the number "
		                "without it, or in 0x-hex", s);
	unsigned shift = suffix_shift(&end);
	if (*end)
		return mtk_fail(ctx, MTK_E_INVAL, "'%s' is not a size (decimal, 0x-hex, K/M/G suffix)", s);
	if (shift && v > (UINT64_MAX >> shift))
		return mtk_fail(ctx, MTK_E_INVAL, "'%s' is larger than 2^64", s);
	*out = v << shift;
	return 0;
}
