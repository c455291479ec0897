/* SPDX-License-Identifier: MIT */
/* The emulator's own scatter reader (formats.md §1.2, §1.3): just what
 * `mtkemu provision` needs to lay a factory image out, kept apart from
 * lib/image so that the emulator does not share the client's reading of the
 * format.  Strict: anything it does not understand is an error naming the
 * file and line.  V2.x (multi-storage) files give their EMMC block: the
 * emulator has no UFS model, so a file without one is refused, and so is a
 * V1.1.x file whose storage is not eMMC.  XML scatters are refused. */
#include "emu_storage.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fileutil.h"
#include "mtkflash/core.h"

#define BLOCK_SIZE_EMMC 0x20000u /* unit of 0xFFFFxxxx tail addresses (§1.8) */
#define SCATTER_FILE_MAX (16u << 20)

struct line_iter {
	const char *p, *end;
	unsigned no;
	char buf[1024];
};

struct parse {
	const char *fname;
	char *err;
	size_t errlen;
	struct emu_scatter *sc;
	size_t cap;
	bool in_other;        /* inside a V2.x storage_type block that is not EMMC */
	unsigned emmc_line;   /* line of `storage_type: EMMC`, 0 if none yet */
	unsigned first_block; /* line of the first storage_type */
};

static int perr(struct parse *ps, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(struct parse *ps, unsigned line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->fname, line, msg);
	return MTK_E_PARSE;
}

/* Next line without its end-of-line and trailing blanks; -1 at the end, -2
 * for a line too long to be a scatter line. */
static int next_line(struct line_iter *it)
{
	if (it->p >= it->end)
		return -1;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	const char *stop = nl ? nl : it->end;
	size_t n = (size_t)(stop - it->p);
	it->no++;
	const char *start = it->p;
	it->p = nl ? nl + 1 : it->end;
	if (n >= sizeof(it->buf))
		return -2;
	memcpy(it->buf, start, n);
	while (n && (it->buf[n - 1] == '\r' || it->buf[n - 1] == ' ' || it->buf[n - 1] == '\t'))
		n--;
	it->buf[n] = 0;
	return 0;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool parse_hex64(const char *s, uint64_t *out)
{
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s + 2, &end, 16);
	if (errno || *end || s[2] == '-' || s[2] == '+' || s[2] == ' ')
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "true") == 0)
		*out = true;
	else if (strcasecmp(s, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

static const struct {
	const char *name;
	enum emu_scatter_region r;
} regions[] = {
        {"EMMC_USER", EMU_SR_USER},
        {"EMMC_BOOT_1", EMU_SR_BOOT1},
        {"EMMC_BOOT1", EMU_SR_BOOT1},
        {"EMMC_BOOT2", EMU_SR_BOOT2},
        {"EMMC_BOOT1_BOOT2", EMU_SR_BOOT1_BOOT2},
};

static bool parse_region(const char *s, enum emu_scatter_region *out)
{
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (strcasecmp(s, regions[i].name) == 0) {
			*out = regions[i].r;
			return true;
		}
	return false;
}

static bool is_tail_addr(uint64_t a)
{
	return a <= 0xFFFFFFFFu && (a >> 16) == 0xFFFF;
}

static struct emu_scatter_part *new_part(struct parse *ps, unsigned line)
{
	struct emu_scatter *sc = ps->sc;
	if (sc->count == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 32;
		void *p = realloc(sc->parts, cap * sizeof(*sc->parts));
		if (!p)
			return NULL;
		sc->parts = p;
		ps->cap = cap;
	}
	struct emu_scatter_part *p = &sc->parts[sc->count++];
	memset(p, 0, sizeof(*p));
	p->line = line;
	p->download = true;
	return p;
}

/* ------------------------------------------------------------------ V1.1.x */

enum { K_NAME = 1, K_LINEAR = 2, K_PHYS = 4, K_SIZE = 8, K_REGION = 16, K_RESERVED = 32, K_DOWNLOAD = 64 };

struct rec {
	struct emu_scatter_part *p;
	unsigned seen;
	bool skip; /* a record of a storage the emulator does not lay out */
};

static int rec_finish(struct parse *ps, struct rec *r)
{
	if (!r->p)
		return 0;
	static const struct {
		unsigned bit;
		const char *key;
	} need[] = {{K_NAME, "partition_name"}, {K_LINEAR, "linear_start_addr"}, {K_SIZE, "partition_size"}};
	for (size_t i = 0; i < 3; i++)
		if (!(r->seen & need[i].bit))
			return perr(ps, r->p->line, "partition record has no %s", need[i].key);
	if (!(r->seen & K_REGION))
		r->p->region = strcasecmp(r->p->name, "preloader") == 0 ? EMU_SR_BOOT1 : EMU_SR_USER;
	if (is_tail_addr(r->p->linear))
		r->p->reserved = true;
	r->p = NULL;
	return 0;
}

static int rec_key(struct parse *ps, struct rec *r, unsigned line, const char *k, const char *v)
{
	static const struct {
		const char *key;
		unsigned bit;
	} keys[] = {{"partition_name", K_NAME},
	            {"linear_start_addr", K_LINEAR},
	            {"physical_start_addr", K_PHYS},
	            {"partition_size", K_SIZE},
	            {"region", K_REGION},
	            {"is_reserved", K_RESERVED},
	            {"is_download", K_DOWNLOAD}};
	unsigned bit = 0;
	if (strcmp(k, "type") == 0) { /* which MBR-era partitions are filesystems (tables.c) */
		r->p->fs_image = strcmp(v, "YAFFS_IMG") == 0 || strcmp(v, "EXT4_IMG") == 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i].key) == 0)
			bit = keys[i].bit;
	if (!bit)
		return 0; /* file_name, operation_type, ...: not needed to lay storage out */
	if (r->seen & bit)
		return perr(ps, line, "%s given twice in one partition record", k);
	r->seen |= bit;
	struct emu_scatter_part *p = r->p;
	bool ok = true;
	switch (bit) {
	case K_NAME:
		ok = strlen(v) < sizeof(p->name);
		if (ok)
			strcpy(p->name, v);
		break;
	case K_LINEAR:
		ok = parse_hex64(v, &p->linear);
		break;
	case K_PHYS:
		ok = parse_hex64(v, &p->physical);
		break;
	case K_SIZE:
		ok = parse_hex64(v, &p->size);
		break;
	case K_REGION:
		if (!parse_region(v, &p->region))
			return perr(ps, line, "region '%s' is not an eMMC region the emulator has", v);
		break;
	case K_RESERVED:
		ok = parse_bool(v, &p->reserved);
		break;
	case K_DOWNLOAD:
		ok = parse_bool(v, &p->download);
		break;
	}
	return ok ? 0 : perr(ps, line, "bad value '%s' for %s", v, k);
}

/* `storage_type: X` opens a V2.x block (formats.md §1.4). */
static int storage_block(struct parse *ps, struct rec *r, unsigned line, const char *v)
{
	int rc = rec_finish(ps, r);
	if (rc)
		return rc;
	struct emu_scatter *sc = ps->sc;
	if (!*v)
		return perr(ps, line, "storage_type without a value");
	bool emmc = strcasecmp(v, "EMMC") == 0;
	if (emmc && ps->emmc_line)
		return perr(ps, line, "a second EMMC storage_type block (the first is at line %u)", ps->emmc_line);
	size_t n = strlen(sc->storages);
	snprintf(sc->storages + n, sizeof(sc->storages) - n, "%s%s", n ? ", " : "", v);
	if (emmc) {
		ps->emmc_line = line;
		snprintf(sc->storage, sizeof(sc->storage), "EMMC");
	}
	if (!ps->first_block)
		ps->first_block = line;
	sc->version = 20;
	ps->in_other = !emmc;
	r->skip = false;
	return 0;
}

/* Header keys: the platform, and a V1.1.x file's one storage. */
static int header_key(struct parse *ps, unsigned line, const char *key, const char *v)
{
	if (strcmp(key, "platform") == 0)
		snprintf(ps->sc->platform, sizeof(ps->sc->platform), "%s", v);
	if (strcmp(key, "storage") == 0 && ps->sc->version != 20 && strcasecmp(v, "EMMC") != 0)
		return perr(ps, line, "storage %s: the emulator models eMMC only", v);
	return 0;
}

static int v11_line(struct parse *ps, struct rec *r, unsigned line, const char *s)
{
	s = skip_blanks(s);
	if (!*s || *s == '#')
		return 0;
	if (s[0] == '-' && s[1] == ' ')
		s = skip_blanks(s + 2);
	const char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return perr(ps, line, "expected 'key: value', got '%.60s'", s);
	char key[64];
	size_t kl = (size_t)(colon - s);
	if (kl >= sizeof(key))
		return perr(ps, line, "key too long");
	memcpy(key, s, kl);
	key[kl] = 0;
	const char *v = skip_blanks(colon + 1);
	if (strcmp(key, "storage_type") == 0)
		return storage_block(ps, r, line, v);
	if (strcmp(key, "partition_index") == 0) {
		int rc = rec_finish(ps, r);
		if (rc)
			return rc;
		r->seen = 0;
		r->skip = ps->in_other;
		if (r->skip)
			return 0;
		r->p = new_part(ps, line);
		return r->p ? 0 : perr(ps, line, "out of memory");
	}
	if (r->skip)
		return 0;
	if (!r->p)
		return header_key(ps, line, key, v);
	return rec_key(ps, r, line, key, v);
}

static int parse_v11(struct parse *ps, struct line_iter *it)
{
	struct rec r = {0};
	int rc, l;
	while ((l = next_line(it)) != -1) {
		if (l == -2)
			return perr(ps, it->no, "line too long");
		if ((rc = v11_line(ps, &r, it->no, it->buf)) != 0)
			return rc;
	}
	if ((rc = rec_finish(ps, &r)) != 0)
		return rc;
	if (ps->sc->version == 20 && !ps->emmc_line)
		return perr(ps, ps->first_block,
		            "this V2.x scatter has no EMMC layout (storage_type: %s); the emulator models eMMC, "
		            "not UFS",
		            ps->sc->storages);
	return 0;
}

/* -------------------------------------------------------------------- v1.0 */

/* "NAME 0xADDR" */
static bool v10_head(const char *s, char *name, size_t namelen, uint64_t *addr)
{
	const char *sp = s;
	while (*sp && *sp != ' ' && *sp != '\t')
		sp++;
	if (sp == s || !*sp || (size_t)(sp - s) >= namelen)
		return false;
	memcpy(name, s, (size_t)(sp - s));
	name[sp - s] = 0;
	return parse_hex64(skip_blanks(sp), addr);
}

static int v10_expect(struct parse *ps, struct line_iter *it, const char *what)
{
	int l;
	do
		l = next_line(it);
	while (l == 0 && !*skip_blanks(it->buf));
	if (l != 0 || strcmp(skip_blanks(it->buf), what) != 0)
		return perr(ps, it->no, "expected '%s'", what);
	return 0;
}

static int v10_record(struct parse *ps, struct line_iter *it, const char *s)
{
	char name[80];
	uint64_t addr;
	if (!v10_head(s, name, sizeof(name), &addr))
		return perr(ps, it->no, "expected 'NAME 0xADDRESS', got '%.60s'", s);
	struct emu_scatter_part *p = new_part(ps, it->no);
	if (!p)
		return perr(ps, it->no, "out of memory");
	const char *n = name;
	if (strncmp(n, "__NODL_", 7) == 0) {
		n += 7;
		p->download = false;
	}
	if (strncmp(n, "RSV_", 4) == 0) {
		n += 4;
		p->reserved = true;
	}
	if (strlen(n) >= sizeof(p->name))
		return perr(ps, it->no, "partition name too long");
	strcpy(p->name, n);
	p->linear = addr;
	p->reserved = p->reserved || is_tail_addr(addr);
	p->region = strcmp(n, "PRELOADER") == 0 || strcmp(n, "DSP_BL") == 0 ? EMU_SR_BOOT1 : EMU_SR_USER;
	int rc = v10_expect(ps, it, "{");
	return rc ? rc : v10_expect(ps, it, "}");
}

/* v1.0 has no sizes: each partition runs to the next address; a tail
 * partition's size is its block count; the last one before the tail gets 0
 * ("up to the reserved area"). */
static int v10_sizes(struct parse *ps)
{
	struct emu_scatter *sc = ps->sc;
	for (size_t i = 0; i < sc->count; i++) {
		struct emu_scatter_part *p = &sc->parts[i];
		if (is_tail_addr(p->linear)) {
			p->size = (uint64_t)(p->linear & 0xFFFF) * BLOCK_SIZE_EMMC;
			continue;
		}
		if (p->region != EMU_SR_USER) {
			/* the boot area's linear extent ends where the user area starts */
			p->size = i + 1 < sc->count ? sc->parts[i + 1].linear - p->linear : 0;
			continue;
		}
		if (i + 1 == sc->count || is_tail_addr(sc->parts[i + 1].linear))
			continue;
		if (sc->parts[i + 1].linear < p->linear)
			return perr(ps, sc->parts[i + 1].line,
			            "address 0x%llx is below the previous partition's",
			            (unsigned long long)sc->parts[i + 1].linear);
		p->size = sc->parts[i + 1].linear - p->linear;
	}
	return 0;
}

static int parse_v10(struct parse *ps, struct line_iter *it, const char *first)
{
	char line[1024];
	snprintf(line, sizeof(line), "%s", first);
	int rc = v10_record(ps, it, line);
	int l;
	while (rc == 0 && (l = next_line(it)) != -1) {
		const char *s = skip_blanks(it->buf);
		if (l == -2)
			return perr(ps, it->no, "line too long");
		if (*s && *s != '#')
			rc = v10_record(ps, it, s);
	}
	return rc ? rc : v10_sizes(ps);
}

/* ------------------------------------------------------------------ entry */

int emu_scatter_parse(const char *text, size_t len, const char *fname, struct emu_scatter *out, char *err,
                      size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct parse ps = {.fname = fname ? fname : "scatter", .err = err, .errlen = errlen, .sc = out};
	struct line_iter it = {text, text + len, 0, {0}};
	if (memchr(text, 0, len)) {
		emu_scatter_free(out);
		return perr(&ps, 1, "binary data (NUL byte) in a scatter file");
	}
	int l, rc = 0;
	while ((l = next_line(&it)) == 0 && (!*skip_blanks(it.buf) || *skip_blanks(it.buf) == '#'))
		;
	const char *s = skip_blanks(it.buf);
	if (l != 0)
		rc = perr(&ps, it.no ? it.no : 1, l == -2 ? "line too long" : "empty scatter file");
	else if (strncmp(s, "<?xml", 5) == 0)
		rc = perr(&ps, it.no, "XML scatter files are not supported by the emulator");
	else if (strncmp(s, "- general:", 10) == 0 || strncmp(s, "- partition_index:", 18) == 0) {
		out->version = 11;
		it.p = text; /* re-read from the top so the first line is parsed too */
		it.no = 0;
		rc = parse_v11(&ps, &it);
	} else {
		out->version = 10;
		rc = parse_v10(&ps, &it, s);
	}
	if (rc == 0 && out->count == 0)
		rc = perr(&ps, it.no, "no partitions");
	if (rc)
		emu_scatter_free(out);
	return rc;
}

int emu_scatter_load(const char *path, struct emu_scatter *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	mtk_ctx *ctx = mtk_ctx_new();
	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return MTK_E_NOMEM;
	}
	uint8_t *buf;
	size_t len;
	int rc = mtk_read_small_file(ctx, path, SCATTER_FILE_MAX, &buf, &len, NULL);
	if (rc < 0)
		snprintf(err, errlen, "%s", mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
	if (rc < 0)
		return rc;
	rc = emu_scatter_parse((const char *)buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

void emu_scatter_free(struct emu_scatter *sc)
{
	free(sc->parts);
	sc->parts = NULL;
	sc->count = 0;
}
