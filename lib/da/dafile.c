/* SPDX-License-Identifier: MIT */
/* DA container files: header, chip entries, regions (da-legacy.md §1). */
#include "mtkflash/dafile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "da/da_paths.h"

#define NAME(n) ((n) ? (n) : "DA file")
/* Real DA files are a few MiB; anything far larger is not one. */
#define DA_FILE_MAX (256u << 20)

/* Printable rendering of untrusted header bytes for error messages. */
static void printable(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '"')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
}

static int check_header(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, struct mtk_dafile *out)
{
	char shown[160];
	if (len < MTK_DA_HEADER_SIZE) {
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not a DA file: %zu bytes, shorter than the 0x%x-byte header",
				NAME(name), len, MTK_DA_HEADER_SIZE);
	}
	size_t idl = strlen(MTK_DA_FILE_IDENT);
	if (memcmp(buf, MTK_DA_FILE_IDENT, idl) != 0 || buf[idl] != 0) {
		printable(buf, 24, shown, sizeof shown);
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not a DA file: header at offset 0 is \"%s\", expected \"%s\"",
				NAME(name), shown, MTK_DA_FILE_IDENT);
	}
	uint32_t magic = mtk_get_u32le(buf + 0x64);
	if (magic != MTK_DA_FILE_MAGIC) {
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not a DA file: magic at offset 0x64 is 0x%08x, expected 0x%08x",
				NAME(name), magic, MTK_DA_FILE_MAGIC);
	}
	memcpy(out->description, buf + 0x20, 64);
	out->description[64] = '\0';
	for (char *c = out->description; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
	out->info_ver = mtk_get_u32le(buf + 0x60);
	out->count = mtk_get_u32le(buf + 0x68);
	/* §1.5: a V6 file is recognised by its build string. */
	out->v6 = memmem(buf, 0x68, "MTK_DA_v6", 9) != NULL;
	return 0;
}

static void read_region(struct mtk_rd *r, struct mtk_da_region *g)
{
	g->offset = mtk_rd_u32le(r);
	g->len = mtk_rd_u32le(r);
	g->addr = mtk_rd_u32le(r);
	g->sig_offset = mtk_rd_u32le(r);
	g->sig_len = mtk_rd_u32le(r);
}

static void read_entry(struct mtk_rd *r, unsigned entry_size, struct mtk_da_entry *e)
{
	e->file_offset = r->off;
	(void)mtk_rd_u16le(r); /* magic, checked by the caller */
	e->hw_code = mtk_rd_u16le(r);
	e->hw_sub_code = mtk_rd_u16le(r);
	e->hw_version = mtk_rd_u16le(r);
	if (entry_size == MTK_DA_ENTRY_NEW) {
		e->sw_version = mtk_rd_u16le(r);
		(void)mtk_rd_u16le(r); /* reserved1 / chip evolution */
	}
	e->feature_set = mtk_rd_u32le(r);
	e->region_index = mtk_rd_u16le(r);
	e->region_count = mtk_rd_u16le(r);
	for (int i = 0; i < MTK_DA_MAX_REGIONS; i++)
		read_region(r, &e->regions[i]);
}

/* Non-IoT files: region 1 is DA1 and region 2 DA2 (§1.4).  IoT files leave
 * region 1 empty and name DA1 by entry_region_index. */
static void locate_stages(struct mtk_da_entry *e)
{
	int first = 1;
	if (e->region_count > 1 && e->regions[1].len == 0 && e->region_index > 1)
		first = e->region_index;
	e->da1 = first < e->region_count && e->regions[first].len ? first : -1;
	e->da2 = e->da1 >= 0 && e->da1 + 1 < e->region_count && e->regions[e->da1 + 1].len ? e->da1 + 1 : -1;
}

static int check_region(mtk_ctx *ctx, const char *name, size_t len, const struct mtk_da_entry *e, unsigned idx,
			unsigned ri)
{
	const struct mtk_da_region *g = &e->regions[ri];
	uint64_t end;
	if (g->len == 0)
		return 0;
	if (mtk_add_overflows(g->offset, g->len, &end) || end > len) {
		return mtk_fail(ctx, MTK_E_PARSE,
				"%s: entry %u (hw_code 0x%04x, at offset 0x%zx) region %u: data 0x%x+0x%x runs past "
				"the end of the file (0x%zx bytes)",
				NAME(name), idx, e->hw_code, e->file_offset, ri, g->offset, g->len, len);
	}
	if (g->sig_len > g->len) {
		return mtk_fail(ctx, MTK_E_PARSE,
				"%s: entry %u (hw_code 0x%04x, at offset 0x%zx) region %u: signature length 0x%x "
				"exceeds the region length 0x%x",
				NAME(name), idx, e->hw_code, e->file_offset, ri, g->sig_len, g->len);
	}
	return 0;
}

static int parse_entry(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, unsigned esize,
		       unsigned idx, struct mtk_da_entry *e)
{
	size_t off = MTK_DA_HEADER_SIZE + (size_t)idx * esize;
	struct mtk_rd r = mtk_rd_init(buf, len);
	mtk_rd_seek(&r, off);
	if (len - off < esize || r.bad) {
		return mtk_fail(ctx, MTK_E_PARSE, "%s: entry %u at offset 0x%zx is cut short (file is 0x%zx bytes)",
				NAME(name), idx, off, len);
	}
	uint16_t magic = mtk_get_u16le(buf + off);
	if (magic != 0xDADA) {
		return mtk_fail(ctx, MTK_E_PARSE, "%s: entry %u at offset 0x%zx: magic is 0x%04x, expected 0xdada",
				NAME(name), idx, off, magic);
	}
	memset(e, 0, sizeof *e);
	read_entry(&r, esize, e);
	if (e->region_count > MTK_DA_MAX_REGIONS) {
		return mtk_fail(ctx, MTK_E_PARSE, "%s: entry %u at offset 0x%zx claims %u regions (at most %d)",
				NAME(name), idx, off, e->region_count, MTK_DA_MAX_REGIONS);
	}
	for (unsigned ri = 0; ri < e->region_count; ri++) {
		int rc = check_region(ctx, name, len, e, idx, ri);
		if (rc < 0)
			return rc;
	}
	locate_stages(e);
	return 0;
}

static bool entry_usable(const uint8_t *buf, size_t len, unsigned esize)
{
	struct mtk_da_entry e;
	return parse_entry(NULL, buf, len, NULL, esize, 0, &e) == 0 && e.da1 >= 0 && e.da2 >= 0;
}

/* §1.2: the old 0xD8 stride is recognised by a second entry's magic at
 * 0x6C + 0xD8.  A one-entry file has no second entry: take the layout under
 * which the entry has valid DA1 and DA2 regions. */
static unsigned detect_entry_size(const uint8_t *buf, size_t len, uint32_t count)
{
	size_t second = MTK_DA_HEADER_SIZE + MTK_DA_ENTRY_OLD;
	if (count >= 2)
		return len >= second + 2 && mtk_get_u16le(buf + second) == 0xDADA ? MTK_DA_ENTRY_OLD : MTK_DA_ENTRY_NEW;
	if (!entry_usable(buf, len, MTK_DA_ENTRY_NEW) && entry_usable(buf, len, MTK_DA_ENTRY_OLD))
		return MTK_DA_ENTRY_OLD;
	return MTK_DA_ENTRY_NEW;
}

int mtk_dafile_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, struct mtk_dafile *out)
{
	memset(out, 0, sizeof *out);
	int rc = check_header(ctx, buf, len, name, out);
	if (rc < 0)
		return rc;
	out->entry_size = detect_entry_size(buf, len, out->count);
	uint64_t table_end = MTK_DA_HEADER_SIZE + (uint64_t)out->count * out->entry_size;
	if (out->count == 0 || table_end > len) {
		return mtk_fail(ctx, MTK_E_PARSE,
				"%s: entry count at offset 0x68 is %u, but the file (0x%zx bytes) %s", NAME(name),
				out->count, len, out->count ? "cannot hold that many entries" : "must have at least one");
	}
	out->entries = calloc(out->count, sizeof *out->entries);
	if (!out->entries)
		return mtk_fail(ctx, MTK_E_NOMEM, "%s: no memory for %u entries", NAME(name), out->count);
	for (unsigned i = 0; i < out->count; i++) {
		rc = parse_entry(ctx, buf, len, name, out->entry_size, i, &out->entries[i]);
		if (rc < 0) {
			mtk_dafile_free(out);
			return rc;
		}
	}
	out->buf = buf;
	out->len = len;
	return 0;
}

void mtk_dafile_free(struct mtk_dafile *f)
{
	free(f->entries);
	f->entries = NULL;
	f->count = 0;
}

int mtk_dafile_load(mtk_ctx *ctx, const char *path, struct mtk_dafile *out)
{
	memset(out, 0, sizeof *out);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return mtk_fail(ctx, MTK_E_IO, "cannot open DA file %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)DA_FILE_MAX) {
		fclose(fp);
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not a DA file (not a regular file of at most %u MiB)", path,
				DA_FILE_MAX >> 20);
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		fclose(fp);
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory to load %s (%zu bytes)", path, len);
	}
	size_t got = fread(buf, 1, len, fp);
	int err = ferror(fp);
	fclose(fp);
	if (got != len || err) {
		free(buf);
		return mtk_fail(ctx, MTK_E_IO, "reading %s: got %zu of %zu bytes", path, got, len);
	}
	int rc = mtk_dafile_parse(ctx, buf, len, path, out);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	return 0;
}

void mtk_dafile_free_loaded(struct mtk_dafile *f)
{
	uint8_t *buf = (uint8_t *)(uintptr_t)f->buf;
	mtk_dafile_free(f);
	free(buf);
	f->buf = NULL;
	f->len = 0;
}

void mtk_da_code_names(uint16_t da_code, char *buf, size_t cap)
{
	size_t n = 0, o = 0;
	const struct mtk_chip *t = mtk_chip_table(&n);
	if (cap == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (t[i].da_code != da_code)
			continue;
		int w = snprintf(buf + o, cap - o, "%s%s", o ? "/" : "", t[i].name);
		if (w < 0 || (size_t)w >= cap - o)
			return;
		o += (size_t)w;
	}
	if (o == 0)
		snprintf(buf, cap, "0x%04x", da_code);
}

/* "MT6580, MT6735/MT6737/MT6753, 0x2523" — every distinct hw_code once. */
static void list_covered(const struct mtk_dafile *f, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < f->count; i++) {
		uint16_t code = f->entries[i].hw_code;
		bool seen = code == 0;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = f->entries[j].hw_code == code;
		if (seen)
			continue;
		char names[128];
		mtk_da_code_names(code, names, sizeof names);
		int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", names);
		if (w < 0 || (size_t)w >= cap - o) {
			if (cap > 4)
				strcpy(out + cap - 4, "...");
			return;
		}
		o += (size_t)w;
	}
}

static bool version_ok(const struct mtk_da_entry *e, uint16_t hw_ver, uint16_t sw_ver)
{
	return (hw_ver == 0 || e->hw_version <= hw_ver) && (sw_ver == 0 || e->sw_version <= sw_ver);
}

static void fill_stage(const struct mtk_dafile *f, const struct mtk_da_region *g, struct mtk_da_stage *s)
{
	s->addr = g->addr;
	s->data = f->buf + g->offset;
	s->len = g->len;
	s->sig_len = g->sig_len;
}

static int no_entry(mtk_ctx *ctx, const struct mtk_dafile *f, const char *name, const struct mtk_chip *chip,
		    unsigned for_chip, uint16_t hw_ver, uint16_t sw_ver)
{
	char covered[512];
	list_covered(f, covered, sizeof covered);
	if (for_chip) {
		return mtk_fail(ctx, MTK_E_NOTFOUND,
				"%s has %u entr%s for %s (da_code 0x%04x), but none for this device's hw_version "
				"0x%04x / sw_version 0x%04x (an entry must not be newer than the chip)",
				NAME(name), for_chip, for_chip == 1 ? "y" : "ies", chip->name, chip->da_code, hw_ver,
				sw_ver);
	}
	return mtk_fail(ctx, MTK_E_NOTFOUND, "no entry for %s (hw_code 0x%x, da_code 0x%04x) in %s; it covers: %s",
			chip->name, chip->hw_code, chip->da_code, NAME(name), covered);
}

#define SYNTHETIC_DESC "mtkflash_synthetic" /* tools/mkda.c's description string */

/* mtkclient takes MT65xx entries (MT6580 aside) only from a file whose path
 * contains "mt6590" (da-legacy.md §1.5, verified). */
static bool mt6590_rule_ok(const struct mtk_da_entry *e, const char *name)
{
	if ((e->hw_code & 0xFF00) != 0x6500 || e->hw_code == 0x6580)
		return true;
	return name && strstr(name, "mt6590") != NULL;
}

/* A V6 file speaks XML: it cannot serve a legacy chip, and an XML-only chip
 * needs one. */
static int check_family(mtk_ctx *ctx, const struct mtk_dafile *f, const char *name, const struct mtk_chip *chip)
{
	if (f->v6 && chip->da_family == MTK_DA_LEGACY)
		return mtk_fail(ctx, MTK_E_NOTFOUND, "%s is a V6 (XML protocol) DA; %s takes a legacy DA "
				"(an MTK_AllInOne_DA file without \"MTK_DA_v6\")", NAME(name), chip->name);
	if (!f->v6 && chip->da_family == MTK_DA_XML)
		return mtk_fail(ctx, MTK_E_NOTFOUND, "%s is not a V6 (XML protocol) DA, which %s needs", NAME(name),
				chip->name);
	return 0;
}

/* The first entry for the chip passing the version rule (and, with
 * `strict`, the mt6590 rule); -1 if none. */
static int first_eligible(const struct mtk_dafile *f, const char *name, const struct mtk_chip *chip,
			  uint16_t hw_ver, uint16_t sw_ver, bool strict, unsigned *for_chip)
{
	*for_chip = 0;
	for (uint32_t i = 0; i < f->count; i++) {
		const struct mtk_da_entry *e = &f->entries[i];
		if (e->hw_code == 0 || e->hw_code != chip->da_code)
			continue;
		(*for_chip)++;
		if (version_ok(e, hw_ver, sw_ver) && (!strict || mt6590_rule_ok(e, name)))
			return (int)i;
	}
	return -1;
}

static void explain(const struct mtk_dafile *f, const char *name, const struct mtk_chip *chip, uint16_t hw_sub_code,
		    uint16_t hw_ver, uint16_t sw_ver, struct mtk_da_choice *out)
{
	const struct mtk_da_entry *e = out->entry;
	snprintf(out->why, sizeof out->why,
		 "DA entry %u of %u in %s (hw_code 0x%04x hw_ver 0x%04x sw_ver 0x%04x sub 0x%04x): the first for %s "
		 "not newer than the device (hw_ver 0x%04x sw_ver 0x%04x sub 0x%04x); %s protocol",
		 out->index, f->count, NAME(name), e->hw_code, e->hw_version, e->sw_version, e->hw_sub_code, chip->name,
		 hw_ver, sw_ver, hw_sub_code, mtk_da_family_name(out->family));
}

int mtk_dafile_select(mtk_ctx *ctx, const struct mtk_dafile *f, const char *name, const struct mtk_chip *chip,
		      uint16_t hw_sub_code, uint16_t hw_ver, uint16_t sw_ver, struct mtk_da_choice *out)
{
	unsigned for_chip;
	memset(out, 0, sizeof *out);
	int rc = check_family(ctx, f, name, chip);
	if (rc < 0)
		return rc;
	int i = first_eligible(f, name, chip, hw_ver, sw_ver, true, &for_chip);
	if (i < 0 && (i = first_eligible(f, name, chip, hw_ver, sw_ver, false, &for_chip)) >= 0)
		/* The rule sorts MediaTek's own files; our synthetic DA is not one. */
		mtk_log(ctx, strstr(f->description, SYNTHETIC_DESC) ? MTK_LOG_INFO : MTK_LOG_WARN,
			"%s: its %s entry is used although the file's name lacks \"mt6590\"; mtkclient takes MT65xx "
			"entries only from MTK_AllInOne_DA_mt6590-style files", NAME(name), chip->name);
	if (i < 0)
		return no_entry(ctx, f, name, chip, for_chip, hw_ver, sw_ver);
	const struct mtk_da_entry *pick = &f->entries[i];
	if (pick->da1 < 0 || pick->da2 < 0) {
		return mtk_fail(ctx, MTK_E_PARSE, "%s: the entry for %s at offset 0x%zx has no %s region", NAME(name),
				chip->name, pick->file_offset, pick->da1 < 0 ? "DA1" : "DA2");
	}
	out->entry = pick;
	out->index = (uint32_t)i;
	fill_stage(f, &pick->regions[pick->da1], &out->da1);
	fill_stage(f, &pick->regions[pick->da2], &out->da2);
	out->family = f->v6 ? MTK_DA_XML : chip->da_family;
	explain(f, name, chip, hw_sub_code, hw_ver, sw_ver, out);
	mtk_info(ctx, "%s", out->why);
	return 0;
}

const char *const *mtk_dafile_synthetic_paths(void)
{
	static const char *const paths[] = { MTK_DA_SYNTHETIC_INSTALL_PATH, NULL };
	return paths;
}

static bool is_regular(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

bool mtk_dafile_find_in_dir(const char *dir, char *out, size_t cap)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	bool found = false;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);
		if (!found && strncmp(nm, "MTK_AllInOne_DA", 15) == 0 && l > 4 && strcmp(nm + l - 4, ".bin") == 0) {
			snprintf(out, cap, "%s/%s", dir, nm);
			found = is_regular(out);
		}
		free(names[i]);
	}
	free(names);
	return found;
}
