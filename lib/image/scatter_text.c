/* SPDX-License-Identifier: MIT */
/* The line-oriented scatter syntaxes: the YAML-like V1.1.x/V2.x format (read
 * as "key: value" lines, not as YAML: formats.md §1.3), and the v1.0/OTA
 * "NAME 0xADDR" lists (§1.2, §1.10). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "image/scatter_priv.h"

/* ------------------------------------------------------------ YAML-like */

static bool is_key_char(int c)
{
	return isalnum(c) || c == '_';
}

static void strip_quotes(const char **v, size_t *n)
{
	if (*n >= 2 && ((*v)[0] == '"' || (*v)[0] == '\'') && (*v)[*n - 1] == (*v)[0]) {
		(*v)++;
		*n -= 2;
	}
}

static int yaml_line(struct sc_builder *b, const char *p, size_t n, unsigned line)
{
	if (p[0] == '-') {
		if (n == 1)
			return 0; /* a bare list marker carries nothing */
		if (p[1] != ' ' && p[1] != '\t')
			return sc_perr(b, line, "expected '- key: value', found '%.*s'",
			               (int)(n > 60 ? 60 : n), p);
		p += 2;
		n -= 2;
		sc_trim_left(&p, &n);
	}
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return sc_perr(b, line, "expected 'key: value', found '%.*s'", (int)(n > 60 ? 60 : n), p);
	size_t klen = (size_t)(colon - p);
	while (klen > 0 && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
		klen--;
	if (klen == 0 || klen >= SC_MAX_KEY)
		return sc_perr(b, line, "bad key in '%.*s'", (int)(n > 60 ? 60 : n), p);
	for (size_t i = 0; i < klen; i++)
		if (!is_key_char((unsigned char)p[i]))
			return sc_perr(b, line, "bad key '%.*s'", (int)klen, p);
	const char *v = colon + 1;
	size_t vlen = n - (size_t)(v - p);
	sc_trim_left(&v, &vlen);
	strip_quotes(&v, &vlen);
	if (vlen >= SC_MAX_VALUE)
		return sc_perr(b, line, "value of '%.*s' is longer than %d bytes", (int)klen, p,
		               SC_MAX_VALUE - 1);
	char key[SC_MAX_KEY], val[SC_MAX_VALUE];
	memcpy(key, p, klen);
	key[klen] = '\0';
	memcpy(val, v, vlen);
	val[vlen] = '\0';
	return sc_key(b, key, val, line);
}

int sc_parse_yaml(struct sc_builder *b, const uint8_t *buf, size_t len)
{
	struct sc_lines l;
	sc_lines_init(&l, buf, len);
	const char *p;
	size_t n;
	while (sc_lines_next_meaningful(&l, &p, &n)) {
		int rc = yaml_line(b, p, n, l.lineno);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ v1.0 and OTA */

static int addr_line(struct sc_builder *b, const char *p, size_t n, unsigned line)
{
	size_t i = 0;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	size_t nlen = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t a = i;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	uint64_t addr;
	bool ok = nlen > 0 && a < n && i == n && sc_parse_u64(p + a, n - a, &addr);
	for (size_t k = 0; ok && k < nlen; k++)
		ok = isalnum((unsigned char)p[k]) || p[k] == '_' || p[k] == '-' || p[k] == '.';
	if (!ok)
		return sc_perr(b, line, "expected 'NAME 0xADDRESS', found '%.*s'", (int)(n > 60 ? 60 : n), p);
	return sc_add_addr_record(b, p, nlen, addr, line);
}

enum brace_state { WANT_RECORD, WANT_OPEN, WANT_CLOSE };

static int brace_line(struct sc_builder *b, enum brace_state *st, unsigned *open_line, const char *p,
                      size_t n, unsigned line)
{
	const char *last = b->count ? b->parts[b->count - 1].name : "";
	switch (*st) {
	case WANT_OPEN:
		if (n == 1 && p[0] == '{') {
			*st = WANT_CLOSE;
			*open_line = line;
			return 0;
		}
		if (n == 2 && p[0] == '{' && p[1] == '}') {
			*st = WANT_RECORD;
			return 0;
		}
		return sc_perr(b, line, "expected '{' after '%s'", last);
	case WANT_CLOSE:
		if (n == 1 && p[0] == '}') {
			*st = WANT_RECORD;
			return 0;
		}
		return sc_perr(b, line, "unexpected '%.*s' inside the block of %s opened at line %u",
		               (int)(n > 60 ? 60 : n), p, last, *open_line);
	case WANT_RECORD:
	default:
		if (p[0] == '{' || p[0] == '}')
			return sc_perr(b, line, "'%c' without a 'NAME 0xADDRESS' line before it", p[0]);
		*st = WANT_OPEN;
		return addr_line(b, p, n, line);
	}
}

int sc_parse_addr_lines(struct sc_builder *b, const uint8_t *buf, size_t len, bool braces)
{
	struct sc_lines l;
	sc_lines_init(&l, buf, len);
	const char *p;
	size_t n;
	enum brace_state st = WANT_RECORD;
	unsigned open_line = 0;
	b->blocks[0] = (struct sc_block){.line = 1};
	b->nblocks = 1;
	while (sc_lines_next_meaningful(&l, &p, &n)) {
		int rc;
		if (braces)
			rc = brace_line(b, &st, &open_line, p, n, l.lineno);
		else if (p[0] == '{' || p[0] == '}')
			rc = sc_perr(b, l.lineno, "'%c' in a scatter file without blocks", p[0]);
		else
			rc = addr_line(b, p, n, l.lineno);
		if (rc < 0)
			return rc;
	}
	if (st == WANT_OPEN)
		return sc_perr(b, b->parts[b->count - 1].line, "'%s' has no '{' '}' block (truncated file?)",
		               b->parts[b->count - 1].name);
	if (st == WANT_CLOSE)
		return sc_perr(b, open_line, "the block of '%s' is never closed (truncated file?)",
		               b->parts[b->count - 1].name);
	if (b->count == 0)
		return sc_perr(b, 0, "no partition records");
	return 0;
}

/* ---- what v1.0/OTA leave implicit ---- */

/* Image name prefixes the MTK download tools match for v1.0 names (§1.2). */
static const struct {
	const char *name;
	const char *hint;
} file_hints[] = {
        {"PRELOADER", "preloader"}, {"DSP_BL", "DSP_BL"},    {"UBOOT", "uboot"}, {"BOOTIMG", "boot"},
        {"RECOVERY", "recovery"},   {"SEC_RO", "secro"},     {"LOGO", "logo"},   {"ANDROID", "system"},
        {"CACHE", "cache"},         {"USRDATA", "userdata"}, {"MBR", "MBR"},     {"EBR1", "EBR1"},
        {"EBR2", "EBR2"},           {"FAT", "fat"},          {"TEE1", "tz"},     {"TEE2", "tz"},
};

static char *hint_for(const char *name)
{
	for (size_t i = 0; i < sizeof file_hints / sizeof file_hints[0]; i++)
		if (sc_ieq(name, file_hints[i].name))
			return strdup(file_hints[i].hint);
	char *h = strdup(name);
	for (char *q = h; q && *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return h;
}

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (sc_ieq(name, *list))
			return true;
	return false;
}

static bool is_boot_name(const char *name)
{
	return sc_ieq(name, "PRELOADER") || sc_ieq(name, "DSP_BL");
}

static const char *v10_op(const char *name, bool reserved, bool download)
{
	static const char *const rsv[] = {"BMTPOOL", "OTP", "PMT", "flashinfo", "sgpt", NULL};
	static const char *const prot[] = {"PRO_INFO", "PROTECT_F", "PROTECT_S", "proinfo",
	                                   "protect1", "protect2",  NULL};
	if (is_boot_name(name))
		return "BOOTLOADERS";
	if (reserved || name_in(name, rsv))
		return "RESERVED";
	if (sc_ieq(name, "NVRAM"))
		return "BINREGION";
	if (name_in(name, prot))
		return "PROTECTED";
	return download ? "UPDATE" : "INVISIBLE";
}

static const char *v10_region(enum mtk_storage_kind st, bool boot)
{
	if (st == MTK_PKG_STORAGE_NAND)
		return "NONE";
	if (st == MTK_PKG_STORAGE_EMMC)
		return boot ? "EMMC_BOOT_1" : "EMMC_USER";
	return boot ? "boot1" : "user";
}

/* `__NODL_` = not downloadable, `RSV_` = reserved (§1.2, §1.10). */
static int v10_flags(struct sc_builder *b, struct mtk_scatter_part *p, bool braces)
{
	const char *n = p->name;
	bool nodl = strncmp(n, "__NODL_", 7) == 0;
	n += nodl ? 7 : 0;
	bool rsv = strncmp(n, "RSV_", 4) == 0;
	n += rsv ? 4 : 0;
	uint32_t units;
	bool tail = sc_is_tail(p->start, &units);
	p->download = braces && !nodl && !rsv && !tail;
	p->reserved = rsv || tail;
	p->boundary_check = !p->reserved;
	bool boot = is_boot_name(n);
	p->op_name = strdup(v10_op(n, p->reserved, p->download));
	p->type_name = boot ? strdup("SV5_BL_BIN") : NULL;
	p->region_name = strdup(v10_region(b->s->storage, boot));
	p->file_hint = p->download ? hint_for(n) : NULL;
	memmove(p->name, n, strlen(n) + 1);
	if (!p->op_name || (boot && !p->type_name) || !p->region_name || (p->download && !p->file_hint))
		return sc_oom(b);
	return 0;
}

static enum mtk_storage_kind v10_storage(const struct sc_builder *b, bool braces)
{
	for (size_t i = 0; i < b->count; i++) {
		const char *n = b->parts[i].name;
		n += strncmp(n, "__NODL_", 7) == 0 ? 7 : 0;
		if (sc_ieq(n, "MBR") || sc_ieq(n, "EBR1"))
			return MTK_PKG_STORAGE_EMMC;
	}
	/* The v1.0 NAND layout is the eMMC one without MBR/EBR (§1.2); an OTA
	 * list of the GPT era does not say whether it is eMMC or UFS. */
	return braces ? MTK_PKG_STORAGE_NAND : MTK_PKG_STORAGE_UNKNOWN;
}

/* First user-area record: its address is the boot area's size when the
 * file counts the boot partitions (§1.7). */
static uint64_t v10_user_base(const struct sc_builder *b)
{
	for (size_t i = 0; i < b->count; i++) {
		const struct mtk_scatter_part *p = &b->parts[i];
		if (!is_boot_name(p->name) && !p->reserved)
			return p->start;
	}
	return 0;
}

static bool same_group(const struct mtk_scatter_part *a, const struct mtk_scatter_part *b, bool linear)
{
	return linear || is_boot_name(a->name) == is_boot_name(b->name);
}

/* Size = next record's address - this one's, within the address space.  The
 * last record before the reserved tail reaches up to it: unknown until the
 * storage size is (mtk_scatter_resolve). */
static int v10_sizes(struct sc_builder *b, bool linear)
{
	for (size_t i = 0; i < b->count; i++) {
		struct mtk_scatter_part *p = &b->parts[i];
		p->size_implicit = true;
		if (p->tail) {
			p->size = (uint64_t)p->tail_units * b->s->block_size;
			continue;
		}
		const struct mtk_scatter_part *next = NULL;
		for (size_t j = i + 1; j < b->count && !next; j++)
			if (!b->parts[j].tail && same_group(p, &b->parts[j], linear))
				next = &b->parts[j];
		if (!next) {
			p->size = 0;
			p->fills = true;
			continue;
		}
		if (next->start < p->start) {
			int rc = sc_note(b, MTK_SEV_ERROR, next->line, next->name,
			                 "%s starts at 0x%llx, below %s (line %u) at 0x%llx: negative size",
			                 next->name, (unsigned long long)next->start, p->name, p->line,
			                 (unsigned long long)p->start);
			if (rc < 0)
				return rc;
			continue;
		}
		p->size = next->start - p->start;
	}
	return 0;
}

int sc_addr_finish(struct sc_builder *b, bool braces)
{
	struct mtk_scatter *s = b->s;
	s->storage = v10_storage(b, braces);
	s->layouts = s->storage ? 1u << s->storage : 0;
	/* ptgen's eMMC unit; v1.0 files do not state it (§1.8). */
	s->block_size = s->storage == MTK_PKG_STORAGE_EMMC ? 0x20000 : 0;
	for (size_t i = 0; i < b->count; i++) {
		struct mtk_scatter_part *p = &b->parts[i];
		p->tail = sc_is_tail(p->start, &p->tail_units);
		int rc = v10_flags(b, p, braces);
		if (rc < 0)
			return rc;
	}
	int rc = v10_sizes(b, v10_user_base(b) > 0);
	if (rc < 0)
		return rc;
	if (!braces) {
		rc = sc_note(
		        b, MTK_SEV_WARNING, 0, NULL,
		        "OTA scatter: names and addresses only (no sizes, image files or download flags); "
		        "not a flash package");
		if (rc < 0)
			return rc;
	}
	s->parts = b->parts;
	s->count = b->count;
	b->parts = NULL;
	b->count = 0;
	return 0;
}
