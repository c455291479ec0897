/* SPDX-License-Identifier: MIT */
/* Scatter files: format detection, the builder all syntaxes feed, layout
 * selection, and the public API.  Facts: formats.md §1. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ctx.h"
#include "image/scatter_priv.h"

/* ------------------------------------------------------------ names */

const char *mtk_scatter_format_name(enum mtk_scatter_format f)
{
	static const char *const n[] = {"v1.0", "ota", "v1.1", "v2", "xml"};
	return (unsigned)f < sizeof n / sizeof n[0] ? n[f] : "?";
}

const char *mtk_storage_kind_name(enum mtk_storage_kind k)
{
	static const char *const n[] = {"unknown", "emmc", "ufs", "nand"};
	return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "?";
}

const char *mtk_addr_space_name(enum mtk_addr_space a)
{
	return a == MTK_ADDR_LINEAR_BOOT ? "linear-with-boot" : "region";
}

const char *mtk_image_type_name(enum mtk_image_type t)
{
	static const char *const n[] = {"none", "raw", "preloader", "ext4", "yaffs", "ubi", "other"};
	return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

static const char *const op_names[] = {
        "UPDATE",      "INVISIBLE",  "PROTECTED", "BINREGION", "RESERVED",
        "BOOTLOADERS", "NEEDRESIZE", "LOGIC",     "OTHER",
};

const char *mtk_part_op_name(enum mtk_part_op o)
{
	return (unsigned)o < sizeof op_names / sizeof op_names[0] ? op_names[o] : "?";
}

const char *mtk_part_class_name(enum mtk_part_class c)
{
	static const char *const n[] = {"system", "bootloader", "protected", "userdata", "reserved"};
	return (unsigned)c < sizeof n / sizeof n[0] ? n[c] : "?";
}

const char *mtk_scatter_region_label(const struct mtk_scatter *s, const struct mtk_scatter_part *p)
{
	static const char *const emmc[] = {"boot1", "boot2", "rpmb", "user"};
	static const char *const ufs[] = {"lu0", "lu1", "rpmb", "lu2"};
	if (!p->region_known || (unsigned)p->region >= MTK_REGION_COUNT)
		return "?";
	if (s->storage == MTK_PKG_STORAGE_NAND)
		return "nand";
	bool is_ufs = s->storage == MTK_PKG_STORAGE_UFS;
	if (p->both_boot)
		return is_ufs ? "lu0+lu1" : "boot1+boot2";
	return (is_ufs ? ufs : emmc)[p->region];
}

/* ------------------------------------------------------------ small helpers */

bool sc_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool sc_ieqn(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

/* "0x1F" (any case, leading zeros allowed) or decimal; 64-bit, no sign. */
bool sc_parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (size_t i = 2; i < n; i++) {
			int d = mtk_hex_digit((unsigned char)s[i]);
			if (d < 0 || v >> 60)
				return false;
			v = v << 4 | (uint64_t)d;
		}
	} else {
		if (n == 0)
			return false;
		for (size_t i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9' || mtk_mul_overflows(v, 10, &v) ||
			    mtk_add_overflows(v, (uint64_t)(s[i] - '0'), &v))
				return false;
		}
	}
	*out = v;
	return true;
}

void sc_lines_init(struct sc_lines *l, const uint8_t *buf, size_t len)
{
	l->rd = mtk_rd_init(buf, len);
	l->lineno = 0;
}

bool sc_lines_next(struct sc_lines *l, const char **p, size_t *n)
{
	size_t left = mtk_rd_left(&l->rd);
	if (left == 0)
		return false;
	const uint8_t *start = l->rd.buf + l->rd.off;
	const uint8_t *nl = memchr(start, '\n', left);
	size_t take = nl ? (size_t)(nl - start) + 1 : left;
	mtk_rd_take(&l->rd, take);
	size_t len = nl ? take - 1 : take;
	while (len > 0 && (start[len - 1] == '\r' || start[len - 1] == ' ' || start[len - 1] == '\t'))
		len--;
	l->lineno++;
	*p = (const char *)start;
	*n = len;
	return true;
}

void sc_trim_left(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
}

bool sc_lines_next_trimmed(struct sc_lines *l, const char **p, size_t *n)
{
	if (!sc_lines_next(l, p, n))
		return false;
	if (l->lineno == 1 && *n >= 3 && memcmp(*p, "\xEF\xBB\xBF", 3) == 0) {
		*p += 3;
		*n -= 3;
	}
	sc_trim_left(p, n);
	return true;
}

bool sc_lines_next_meaningful(struct sc_lines *l, const char **p, size_t *n)
{
	while (sc_lines_next_trimmed(l, p, n))
		if (*n > 0 && **p != '#')
			return true;
	*p = "";
	*n = 0;
	return false;
}

/* ------------------------------------------------------------ errors and notes */

int sc_oom(struct sc_builder *b)
{
	return mtk_fail(b->ctx, MTK_E_NOMEM, "%s: out of memory", b->fname);
}

int sc_perr(struct sc_builder *b, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line)
		return mtk_fail(b->ctx, MTK_E_PARSE, "%s:%u: %s", b->fname, line, msg);
	return mtk_fail(b->ctx, MTK_E_PARSE, "%s: %s", b->fname, msg);
}

int sc_note(struct sc_builder *b, enum mtk_severity sev, unsigned line, const char *part, const char *fmt,
            ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (mtk_problems_add(&b->s->notes, sev, b->fname, line, part, "%s", msg) < 0)
		return sc_oom(b);
	return 0;
}

/* ------------------------------------------------------------ records */

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void sc_part_free(struct mtk_scatter_part *p)
{
	free(p->name);
	free(p->index);
	free(p->region_name);
	free(p->file);
	free(p->file_hint);
	free(p->type_name);
	free(p->op_name);
	memset(p, 0, sizeof *p);
}

static int new_record(struct sc_builder *b, unsigned line, struct mtk_scatter_part **out)
{
	if (b->count >= SC_MAX_PARTS)
		return sc_perr(b, line, "more than %d partition records", SC_MAX_PARTS);
	if (b->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct mtk_scatter_part *np = realloc(b->parts, cap * sizeof *np);
		if (!np)
			return sc_oom(b);
		b->parts = np;
		struct sc_rec *nr = realloc(b->recs, cap * sizeof *nr);
		if (!nr)
			return sc_oom(b);
		b->recs = nr;
		b->cap = cap;
	}
	struct mtk_scatter_part *p = &b->parts[b->count];
	*p = (struct mtk_scatter_part){.line = line, .boundary_check = true};
	b->recs[b->count] = (struct sc_rec){.block = b->nblocks ? (unsigned)b->nblocks - 1 : 0};
	b->count++;
	*out = p;
	return 0;
}

int sc_add_addr_record(struct sc_builder *b, const char *name, size_t n, uint64_t addr, unsigned line)
{
	struct mtk_scatter_part *p = NULL;
	int rc = new_record(b, line, &p);
	if (rc < 0)
		return rc;
	p->name = dupn(name, n);
	if (!p->name)
		return sc_oom(b);
	p->start = addr;
	p->physical = addr;
	return 0;
}

/* ------------------------------------------------------------ YAML/XML keys */

static int set_str(struct sc_builder *b, char **dst, const char *val)
{
	free(*dst);
	*dst = strdup(val);
	return *dst ? 0 : sc_oom(b);
}

static int set_num(struct sc_builder *b, uint64_t *dst, const char *key, const char *val, unsigned line)
{
	if (!sc_parse_u64(val, strlen(val), dst))
		return sc_perr(b, line, "%s: '%s' is not a number", key, val);
	return 0;
}

static int set_bool(struct sc_builder *b, bool *dst, const char *key, const char *val, unsigned line)
{
	if (sc_ieq(val, "true"))
		*dst = true;
	else if (sc_ieq(val, "false"))
		*dst = false;
	else
		return sc_perr(b, line, "%s: '%s' is neither true nor false", key, val);
	return 0;
}

static enum mtk_storage_kind storage_from(const char *v)
{
	static const struct {
		const char *name;
		enum mtk_storage_kind kind;
	} t[] = {
	        {"EMMC", MTK_PKG_STORAGE_EMMC}, {"HW_STORAGE_EMMC", MTK_PKG_STORAGE_EMMC},
	        {"UFS", MTK_PKG_STORAGE_UFS},   {"HW_STORAGE_UFS", MTK_PKG_STORAGE_UFS},
	        {"NAND", MTK_PKG_STORAGE_NAND}, {"HW_STORAGE_NAND", MTK_PKG_STORAGE_NAND},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (sc_ieq(v, t[i].name))
			return t[i].kind;
	return MTK_PKG_STORAGE_UNKNOWN;
}

enum part_key {
	K_NAME,
	K_FILE,
	K_DOWNLOAD,
	K_TYPE,
	K_LINEAR,
	K_PHYS,
	K_SIZE,
	K_REGION,
	K_STORAGE,
	K_BOUNDARY,
	K_RESERVED,
	K_OP,
	K_UPGRADABLE,
	K_IGNORED,
};

/* Keys of a partition record.  Every key except name, start and size is
 * optional (formats.md §1.3); `reserve`, `d_type`, `host` and the two
 * undocumented switches carry nothing a flasher needs. */
static const struct {
	const char *key;
	enum part_key k;
} part_keys[] = {
        {"partition_name", K_NAME},
        {"file_name", K_FILE},
        {"is_download", K_DOWNLOAD},
        {"type", K_TYPE},
        {"linear_start_addr", K_LINEAR},
        {"physical_start_addr", K_PHYS},
        {"partition_size", K_SIZE},
        {"region", K_REGION},
        {"storage", K_STORAGE},
        {"boundary_check", K_BOUNDARY},
        {"is_reserved", K_RESERVED},
        {"operation_type", K_OP},
        {"is_upgradable", K_UPGRADABLE},
        {"empty_boot_needed", K_IGNORED},
        {"combo_partsize_check", K_IGNORED},
        {"reserve", K_IGNORED},
        {"d_type", K_IGNORED},
        {"host", K_IGNORED},
};
#define N_PART_KEYS (sizeof part_keys / sizeof part_keys[0])

static int set_part_value(struct sc_builder *b, struct mtk_scatter_part *p, struct sc_rec *r, enum part_key k,
                          const char *key, const char *val, unsigned line)
{
	switch (k) {
	case K_NAME:
		return set_str(b, &p->name, val);
	case K_FILE:
		if (!*val || sc_ieq(val, "NONE"))
			return 0;
		return set_str(b, &p->file, val);
	case K_DOWNLOAD:
		return set_bool(b, &p->download, key, val, line);
	case K_TYPE:
		return set_str(b, &p->type_name, val);
	case K_LINEAR:
		return set_num(b, &p->start, key, val, line);
	case K_PHYS:
		return set_num(b, &p->physical, key, val, line);
	case K_SIZE:
		return set_num(b, &p->size, key, val, line);
	case K_REGION:
		return set_str(b, &p->region_name, val);
	case K_STORAGE:
		r->storage = storage_from(val);
		return 0;
	case K_BOUNDARY:
		return set_bool(b, &p->boundary_check, key, val, line);
	case K_RESERVED:
		return set_bool(b, &p->reserved, key, val, line);
	case K_OP:
		return set_str(b, &p->op_name, val);
	case K_UPGRADABLE:
		return set_bool(b, &p->upgradable, key, val, line);
	case K_IGNORED:
		return 0;
	}
	return 0;
}

static int warn_unknown(struct sc_builder *b, const char *key, unsigned line)
{
	for (size_t i = 0; i < b->nunknown; i++)
		if (strcmp(b->unknown[i], key) == 0)
			return 0;
	if (b->nunknown < SC_MAX_UNKNOWN)
		snprintf(b->unknown[b->nunknown++], SC_MAX_KEY, "%s", key);
	return sc_note(b, MTK_SEV_WARNING, line, NULL, "unknown key '%s' ignored", key);
}

static int part_key(struct sc_builder *b, const char *key, const char *val, unsigned line)
{
	struct mtk_scatter_part *p = &b->parts[b->count - 1];
	struct sc_rec *r = &b->recs[b->count - 1];
	for (size_t i = 0; i < N_PART_KEYS; i++) {
		if (strcmp(part_keys[i].key, key) != 0)
			continue;
		if (r->seen & (1u << i))
			return sc_perr(b, line, "'%s' given twice in the record starting at line %u", key,
			               p->line);
		r->seen |= 1u << i;
		return set_part_value(b, p, r, part_keys[i].k, key, val, line);
	}
	return warn_unknown(b, key, line);
}

static bool rec_has(const struct sc_rec *r, enum part_key k)
{
	for (size_t i = 0; i < N_PART_KEYS; i++)
		if (part_keys[i].k == k)
			return r->seen & (1u << i);
	return false;
}

int sc_end_record(struct sc_builder *b)
{
	if (!b->in_rec)
		return 0;
	b->in_rec = false;
	const struct mtk_scatter_part *p = &b->parts[b->count - 1];
	const struct sc_rec *r = &b->recs[b->count - 1];
	static const struct {
		enum part_key k;
		const char *key;
	} required[] = {
	        {K_NAME, "partition_name"}, {K_LINEAR, "linear_start_addr"}, {K_SIZE, "partition_size"}};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!rec_has(r, required[i].k))
			return sc_perr(b, p->line, "partition record %s has no %s (truncated record?)",
			               p->index ? p->index : "", required[i].key);
	if (!p->name)
		return sc_oom(b);
	return 0;
}

static int begin_block(struct sc_builder *b, const char *val, unsigned line)
{
	if (b->nblocks >= SC_MAX_BLOCKS)
		return sc_perr(b, line, "more than %d storage_type blocks", SC_MAX_BLOCKS);
	enum mtk_storage_kind k = storage_from(val);
	if (k == MTK_PKG_STORAGE_UNKNOWN)
		return sc_perr(b, line, "storage_type '%s' is not EMMC, UFS or NAND", val);
	for (size_t i = 0; i < b->nblocks; i++)
		if (b->blocks[i].storage == k)
			return sc_perr(b, line, "a second %s layout (the first starts at line %u)", val,
			               b->blocks[i].line);
	if (b->count > 0 && !b->v2)
		return sc_perr(b, line,
		               "storage_type after partition records that belong to no storage_type");
	b->blocks[b->nblocks++] = (struct sc_block){.storage = k, .line = line};
	b->v2 = true;
	b->where = SC_BLOCK;
	return 0;
}

static int begin_part(struct sc_builder *b, const char *val, unsigned line)
{
	if (b->v2 && b->nblocks == 0)
		return sc_perr(b, line, "partition record outside a storage_type block");
	if (!b->v2 && b->nblocks == 0)
		b->blocks[b->nblocks++] = (struct sc_block){.line = line};
	struct mtk_scatter_part *p = NULL;
	int rc = new_record(b, line, &p);
	if (rc < 0)
		return rc;
	p->index = strdup(val);
	if (!p->index)
		return sc_oom(b);
	b->in_rec = true;
	b->where = SC_PART;
	return 0;
}

static int header_key(struct sc_builder *b, const char *key, const char *val, unsigned line)
{
	struct mtk_scatter *s = b->s;
	bool in_block = b->where == SC_BLOCK && b->nblocks > 0;
	struct sc_block *blk = in_block ? &b->blocks[b->nblocks - 1] : NULL;
	if (strcmp(key, "config_version") == 0)
		return set_str(b, &s->config_version, val);
	if (strcmp(key, "platform") == 0)
		return set_str(b, &s->platform, val);
	if (strcmp(key, "project") == 0)
		return set_str(b, &s->project, val);
	if (strcmp(key, "storage") == 0) {
		enum mtk_storage_kind k = storage_from(val);
		if (blk && blk->storage != k)
			return sc_note(b, MTK_SEV_WARNING, line, NULL, "storage %s inside the %s layout", val,
			               mtk_storage_kind_name(blk->storage));
		if (!blk)
			b->hdr_storage = k;
		return 0;
	}
	if (strcmp(key, "boot_channel") == 0)
		return set_str(b, blk ? &blk->boot_channel : &b->hdr_boot_channel, val);
	if (strcmp(key, "block_size") == 0)
		return set_num(b, blk ? &blk->block_size : &b->hdr_block_size, key, val, line);
	static const char *const known[] = {"info", "description", "check_bootloaders_consistency",
	                                    "modem_check", "modem"};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(key, known[i]) == 0)
			return 0;
	return warn_unknown(b, key, line);
}

static int general_key(struct sc_builder *b, const char *val, unsigned line)
{
	if (strcmp(val, "MTK_PLATFORM_CFG") == 0) {
		b->where = SC_PLATFORM;
		return 0;
	}
	if (strcmp(val, "MTK_STORAGE_CFG") == 0) {
		if (b->nblocks == 0 || !b->v2)
			return sc_perr(b, line, "MTK_STORAGE_CFG outside a storage_type block");
		b->where = SC_BLOCK;
		return 0;
	}
	return sc_note(b, MTK_SEV_WARNING, line, NULL, "unknown general section '%s' ignored", val);
}

int sc_key(struct sc_builder *b, const char *key, const char *val, unsigned line)
{
	if (strcmp(key, "partition_index") == 0 || strcmp(key, "storage_type") == 0 ||
	    strcmp(key, "general") == 0) {
		int rc = sc_end_record(b);
		if (rc < 0)
			return rc;
		if (key[0] == 'p')
			return begin_part(b, val, line);
		if (key[0] == 's')
			return begin_block(b, val, line);
		return general_key(b, val, line);
	}
	if (b->where == SC_PART)
		return part_key(b, key, val, line);
	return header_key(b, key, val, line);
}

/* ------------------------------------------------------------ format detection */

enum sc_syntax { SYN_NONE, SYN_YAML, SYN_V10, SYN_OTA, SYN_XML };

static bool is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* "NAME 0xHEX" */
static bool is_addr_line(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && is_name_char((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || (p[i] != ' ' && p[i] != '\t'))
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	uint64_t v;
	return i < n && sc_parse_u64(p + i, n - i, &v);
}

static bool yaml_first_key(const char *p, size_t n)
{
	if (n >= 2 && p[0] == '-' && (p[1] == ' ' || p[1] == '\t')) {
		p += 2;
		n -= 2;
		sc_trim_left(&p, &n);
	}
	static const char *const keys[] = {
	        "general:", "partition_index:", "storage_type:", "config_version:"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (n >= strlen(keys[i]) && strncmp(p, keys[i], strlen(keys[i])) == 0)
			return true;
	return false;
}

static enum sc_syntax detect(const uint8_t *buf, size_t len, unsigned *first_line)
{
	struct sc_lines l;
	sc_lines_init(&l, buf, len);
	const char *p;
	size_t n;
	bool any = sc_lines_next_meaningful(&l, &p, &n);
	*first_line = l.lineno;
	if (!any)
		return SYN_NONE;
	if (p[0] == '<')
		return SYN_XML;
	if (yaml_first_key(p, n))
		return SYN_YAML;
	if (!is_addr_line(p, n))
		return SYN_NONE;
	return sc_lines_next_meaningful(&l, &p, &n) && p[0] == '{' ? SYN_V10 : SYN_OTA;
}

static bool contains(const uint8_t *buf, size_t len, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= len; i++)
		if (buf[i] == (uint8_t)needle[0] && memcmp(buf + i, needle, m) == 0)
			return true;
	return false;
}

bool mtk_scatter_sniff(const uint8_t *buf, size_t len)
{
	unsigned line;
	switch (detect(buf, len, &line)) {
	case SYN_XML: {
		size_t head = len < 65536 ? len : 65536;
		return contains(buf, head, "MTK_PLATFORM_CFG") || contains(buf, head, "partition_index");
	}
	case SYN_YAML:
	case SYN_V10:
	case SYN_OTA:
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------ layout selection */

static int want_storage(mtk_ctx *ctx, const char *storage, enum mtk_storage_kind *out)
{
	*out = MTK_PKG_STORAGE_UNKNOWN;
	if (!storage || !*storage)
		return 0;
	if (sc_ieq(storage, "emmc"))
		*out = MTK_PKG_STORAGE_EMMC;
	else if (sc_ieq(storage, "ufs"))
		*out = MTK_PKG_STORAGE_UFS;
	else if (sc_ieq(storage, "nand"))
		*out = MTK_PKG_STORAGE_NAND;
	else
		return mtk_fail(ctx, MTK_E_INVAL, "storage '%s': expected emmc or ufs", storage);
	return 0;
}

static void layouts_text(const struct sc_builder *b, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < b->nblocks; i++) {
		size_t used = strlen(out);
		snprintf(out + used, cap - used, "%s%s", i ? ", " : "",
		         mtk_storage_kind_name(b->blocks[i].storage));
	}
}

static int select_block(struct sc_builder *b, enum mtk_storage_kind want, size_t *which)
{
	*which = 0;
	for (size_t i = 0; i < b->nblocks; i++) {
		if ((want && b->blocks[i].storage == want) ||
		    (!want && b->blocks[i].storage == MTK_PKG_STORAGE_EMMC)) {
			*which = i;
			return 0;
		}
	}
	if (!want || (!b->v2 && b->blocks[0].storage == MTK_PKG_STORAGE_UNKNOWN))
		return 0;
	char have[64];
	layouts_text(b, have, sizeof have);
	return mtk_fail(b->ctx, MTK_E_NOTFOUND, "%s has no %s layout (it has: %s)", b->fname,
	                mtk_storage_kind_name(want), have);
}

/* Keep the records of the chosen block, drop the others. */
static int take_block(struct sc_builder *b, size_t which)
{
	struct mtk_scatter *s = b->s;
	const struct sc_block *blk = &b->blocks[which];
	size_t n = 0;
	for (size_t i = 0; i < b->count; i++)
		n += b->recs[i].block == which;
	if (n == 0)
		return sc_perr(b, blk->line, "the %s layout has no partition records",
		               mtk_storage_kind_name(blk->storage));
	s->parts = calloc(n, sizeof *s->parts);
	if (!s->parts)
		return sc_oom(b);
	for (size_t i = 0; i < b->count; i++) {
		if (b->recs[i].block != which) {
			sc_part_free(&b->parts[i]);
			continue;
		}
		enum mtk_storage_kind k = b->recs[i].storage;
		if (k && blk->storage && k != blk->storage) {
			int rc = sc_note(b, MTK_SEV_WARNING, b->parts[i].line, b->parts[i].name,
			                 "record says storage %s inside the %s layout",
			                 mtk_storage_kind_name(k), mtk_storage_kind_name(blk->storage));
			if (rc < 0)
				return rc;
		}
		s->parts[s->count++] = b->parts[i];
	}
	b->count = 0;
	s->storage = blk->storage;
	s->block_size = blk->block_size;
	s->boot_channel = blk->boot_channel;
	b->blocks[which].boot_channel = NULL;
	for (size_t i = 0; i < b->nblocks; i++)
		s->layouts |= 1u << b->blocks[i].storage;
	return 0;
}

static int finish_structured(struct sc_builder *b, enum mtk_storage_kind want)
{
	int rc = sc_end_record(b);
	if (rc < 0)
		return rc;
	if (b->count == 0)
		return sc_perr(b, 0, "no partition records");
	if (!b->v2) {
		b->blocks[0].storage = b->hdr_storage;
		b->blocks[0].block_size = b->hdr_block_size;
		b->blocks[0].boot_channel = b->hdr_boot_channel;
		b->hdr_boot_channel = NULL;
	}
	size_t which;
	rc = select_block(b, want, &which);
	if (rc < 0)
		return rc;
	return take_block(b, which);
}

static void builder_free(struct sc_builder *b)
{
	for (size_t i = 0; i < b->count; i++)
		sc_part_free(&b->parts[i]);
	free(b->parts);
	free(b->recs);
	free(b->hdr_boot_channel);
	for (size_t i = 0; i < b->nblocks; i++)
		free(b->blocks[i].boot_channel);
}

static enum mtk_scatter_format structured_format(const struct sc_builder *b, enum sc_syntax syn)
{
	if (syn == SYN_XML)
		return MTK_SCATTER_XML;
	const char *v = b->s->config_version;
	if (b->v2 || (v && (v[0] == 'V' || v[0] == 'v') && v[1] == '2'))
		return MTK_SCATTER_V2;
	return MTK_SCATTER_V1_1;
}

static int parse_syntax(struct sc_builder *b, enum sc_syntax syn, const uint8_t *buf, size_t len,
                        enum mtk_storage_kind want)
{
	int rc;
	switch (syn) {
	case SYN_V10:
	case SYN_OTA:
		rc = sc_parse_addr_lines(b, buf, len, syn == SYN_V10);
		if (rc < 0)
			return rc;
		rc = sc_addr_finish(b, syn == SYN_V10);
		if (rc < 0)
			return rc;
		b->s->format = syn == SYN_V10 ? MTK_SCATTER_V1_0 : MTK_SCATTER_OTA;
		if (want && b->s->storage && want != b->s->storage)
			return mtk_fail(b->ctx, MTK_E_NOTFOUND, "%s has no %s layout (it has: %s)", b->fname,
			                mtk_storage_kind_name(want), mtk_storage_kind_name(b->s->storage));
		return 0;
	case SYN_YAML:
	case SYN_XML:
		rc = syn == SYN_YAML ? sc_parse_yaml(b, buf, len) : sc_parse_xml(b, buf, len);
		if (rc < 0)
			return rc;
		rc = finish_structured(b, want);
		if (rc < 0)
			return rc;
		b->s->format = structured_format(b, syn);
		return 0;
	default:
		return 0;
	}
}

static int check_text(struct sc_builder *b, const uint8_t *buf, size_t len)
{
	const uint8_t *z = memchr(buf, '\0', len);
	if (!z)
		return 0;
	unsigned line = 1;
	for (const uint8_t *q = buf; q < z; q++)
		line += *q == '\n';
	return sc_perr(b, line, "NUL byte (binary data, not a scatter file)");
}

int mtk_scatter_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len, const char *storage,
                      struct mtk_scatter *out)
{
	memset(out, 0, sizeof *out);
	if (!fname)
		fname = "scatter";
	enum mtk_storage_kind want;
	int rc = want_storage(ctx, storage, &want);
	if (rc < 0)
		return rc;
	out->fname = strdup(fname);
	if (!out->fname)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	struct sc_builder b = {.ctx = ctx, .fname = out->fname, .s = out};
	rc = check_text(&b, buf, len);
	unsigned first = 0;
	enum sc_syntax syn = rc < 0 ? SYN_NONE : detect(buf, len, &first);
	if (rc == 0 && syn == SYN_NONE)
		rc = sc_perr(&b, first,
		             "not a scatter file (expected '- general: MTK_PLATFORM_CFG', "
		             "'<?xml', or 'NAME 0xADDRESS' lines)");
	if (rc == 0)
		rc = parse_syntax(&b, syn, buf, len, want);
	if (rc == 0) {
		for (size_t i = 0; i < out->count; i++)
			sc_normalise_part(out, &out->parts[i]);
		sc_assign_offsets(out);
		for (size_t i = 0; i < out->count; i++)
			sc_classify(&out->parts[i]);
		rc = mtk_scatter_validate(out);
		if (rc < 0)
			mtk_fail(ctx, rc, "%s: out of memory", fname);
	}
	builder_free(&b);
	if (rc < 0)
		mtk_scatter_free(out);
	return rc;
}

void mtk_scatter_free(struct mtk_scatter *s)
{
	for (size_t i = 0; i < s->count; i++)
		sc_part_free(&s->parts[i]);
	free(s->parts);
	free(s->fname);
	free(s->config_version);
	free(s->platform);
	free(s->project);
	free(s->boot_channel);
	mtk_problems_clear(&s->notes);
	mtk_problems_clear(&s->problems);
	memset(s, 0, sizeof *s);
}

const struct mtk_scatter_part *mtk_scatter_find(const struct mtk_scatter *s, const char *name)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->parts[i].name, name) == 0)
			return &s->parts[i];
	for (size_t i = 0; i < s->count; i++)
		if (sc_ieq(s->parts[i].name, name))
			return &s->parts[i];
	for (size_t i = 0; i < s->count; i++)
		if (s->parts[i].alias && sc_ieq(s->parts[i].alias, name))
			return &s->parts[i];
	return NULL;
}
