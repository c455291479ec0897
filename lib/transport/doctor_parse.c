/* SPDX-License-Identifier: MIT */
/* Parsers for the system files `mtkflash doctor` reads.  Every index is
 * checked against the buffer's length; nothing here trusts a terminator. */
#include "transport/doctor_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/checksum.h" /* MTK_NO_COVERAGE */

struct span {
	const uint8_t *p;
	size_t n;
};

/* The next line at *pos (without its '\n'); false at the end.  With
 * `join`, a line ending in a backslash continues on the next one.  Line ends
 * are found with memchr: a traced compare per byte was half of a fuzz run. */
static bool next_line(const uint8_t *buf, size_t len, size_t *pos, bool join, struct span *line)
{
	if (*pos >= len)
		return false;
	size_t start = *pos, i = start;
	for (;;) {
		const uint8_t *nl = memchr(buf + i, '\n', len - i);
		i = nl ? (size_t)(nl - buf) : len;
		if (!nl || !(join && i > start && buf[i - 1] == '\\'))
			break;
		i++;
	}
	line->p = buf + start;
	line->n = i - start;
	*pos = i < len ? i + 1 : len;
	return true;
}

static bool span_is(struct span s, const char *str)
{
	size_t n = strlen(str);
	return s.n == n && memcmp(s.p, str, n) == 0;
}

/* Field `idx` of a line split at `sep` (empty span when there are fewer). */
static struct span field(struct span line, char sep, size_t idx)
{
	for (size_t start = 0;;) {
		const uint8_t *at = memchr(line.p + start, sep, line.n - start);
		size_t i = at ? (size_t)(at - line.p) : line.n;
		if (idx-- == 0)
			return (struct span){ line.p + start, i - start };
		if (!at)
			return (struct span){ line.p + line.n, 0 };
		start = i + 1;
	}
}

bool mtk_group_has_member(const uint8_t *buf, size_t len, const char *group, const char *user)
{
	struct span line;
	for (size_t pos = 0; next_line(buf, len, &pos, false, &line);) {
		if (!span_is(field(line, ':', 0), group))
			continue;
		/* One pass over the list: asking field() for member k rescanned
		 * it from the start each time, quadratic in a line of commas. */
		struct span rest = field(line, ':', 3);
		for (;;) {
			struct span m = field(rest, ',', 0);
			if (span_is(m, user))
				return true;
			if (m.n == rest.n)
				break;
			rest = (struct span){ m.p + m.n + 1, rest.n - m.n - 1 };
		}
	}
	return false;
}

/* Case-insensitive search (hex digits in rules may be either case).  Not
 * traced, like memmem: its compares per byte were a fifth of a fuzz run. */
MTK_NO_COVERAGE static bool span_contains(struct span s, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= s.n && i <= s.n - n; i++) {
		size_t k = 0;
		while (k < n && tolower(s.p[i + k]) == tolower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

static bool is_comment(struct span s)
{
	size_t i = 0;
	while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t'))
		i++;
	return i < s.n && s.p[i] == '#';
}

bool mtk_udev_rules_ignore_mm(const uint8_t *buf, size_t len, uint16_t vid)
{
	char match[32];
	snprintf(match, sizeof match, "idVendor}==\"%04x\"", vid);
	struct span line;
	for (size_t pos = 0; next_line(buf, len, &pos, true, &line);)
		if (!is_comment(line) && span_contains(line, match) &&
		    span_contains(line, "ENV{ID_MM_DEVICE_IGNORE}=\"1\""))
			return true;
	return false;
}

bool mtk_text_has_line(const uint8_t *buf, size_t len, const char *want)
{
	struct span line;
	for (size_t pos = 0; next_line(buf, len, &pos, false, &line);)
		if (span_is(line, want))
			return true;
	return false;
}

/* "kernel/drivers/usb/class/cdc-acm.ko.zst" names "cdc_acm": the kernel
 * spells module names with '_' and files with '-' or '_'. */
static bool path_names_module(struct span path, const char *name)
{
	size_t base = 0;
	for (size_t i = 0; i < path.n; i++)
		if (path.p[i] == '/')
			base = i + 1;
	size_t n = strlen(name), rest = path.n - base;
	if (rest < n + 3)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = path.p[base + i] == '-' ? '_' : path.p[base + i];
		if (c != (uint8_t)(name[i] == '-' ? '_' : name[i]))
			return false;
	}
	struct span ext = { path.p + base + n, rest - n };
	static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (span_is(ext, exts[i]))
			return true;
	return false;
}

bool mtk_modules_list_has(const uint8_t *buf, size_t len, const char *name)
{
	struct span line;
	for (size_t pos = 0; next_line(buf, len, &pos, false, &line);)
		if (path_names_module(field(line, ':', 0), name))
			return true;
	return false;
}
