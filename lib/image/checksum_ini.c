/* SPDX-License-Identifier: MIT */
/* Checksum.ini: parsing (no I/O) and verifying a package against it. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checksum.h"
#include "core/ctx.h"
#include "core/fileutil.h"
#include "image/scatter_priv.h"
#include "mtkflash/checksum_ini.h"

#define CKS_MAX_ENTRIES 4096

/* ------------------------------------------------------------ parsing */

enum ini_section { SEC_NONE, SEC_VERSION, SEC_ENABLE, SEC_CHECKSUM, SEC_OTHER };

struct ini_parser {
	mtk_ctx *ctx;
	struct mtk_checksum_ini *c;
	enum ini_section sec;
	size_t cap;
};

static int perr(struct ini_parser *ip, unsigned line, const char *what, const char *p, size_t n)
{
	return mtk_fail(ip->ctx, MTK_E_PARSE, "%s:%u: %s: '%.*s'", ip->c->fname, line, what,
	                (int)(n > 60 ? 60 : n), p);
}

static int section(struct ini_parser *ip, const char *p, size_t n, unsigned line)
{
	if (n < 2 || p[n - 1] != ']')
		return perr(ip, line, "section header without ']'", p, n);
	static const struct {
		const char *name;
		enum ini_section sec;
	} secs[] = {{"VERSION", SEC_VERSION}, {"IsEnableChecksum", SEC_ENABLE}, {"CheckSum", SEC_CHECKSUM}};
	for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++) {
		if (sc_ieqn(p + 1, n - 2, secs[i].name)) {
			ip->sec = secs[i].sec;
			return 0;
		}
	}
	ip->sec = SEC_OTHER;
	ip->c->other_sections++;
	return 0;
}

static int set_str(struct ini_parser *ip, char **dst, const char *v, size_t n)
{
	free(*dst);
	*dst = strndup(v, n);
	return *dst ? 0 : mtk_fail(ip->ctx, MTK_E_NOMEM, "out of memory");
}

static int add_entry(struct ini_parser *ip, const char *k, size_t kn, const char *v, size_t vn, unsigned line)
{
	struct mtk_checksum_ini *c = ip->c;
	uint64_t val;
	if (!sc_parse_u64(v, vn, &val) || vn < 3 || (v[1] != 'x' && v[1] != 'X'))
		return perr(ip, line, "checksum is not a 0x-hex number", v, vn);
	if (val > 0xFFFF)
		return perr(ip, line, "checksum does not fit 16 bits", v, vn);
	for (size_t i = 0; i < c->count; i++)
		if (strlen(c->entries[i].name) == kn && memcmp(c->entries[i].name, k, kn) == 0)
			return mtk_fail(ip->ctx, MTK_E_PARSE, "%s:%u: '%.*s' listed twice (first at line %u)",
			                c->fname, line, (int)kn, k, c->entries[i].line);
	if (c->count >= CKS_MAX_ENTRIES)
		return mtk_fail(ip->ctx, MTK_E_PARSE, "%s:%u: more than %d entries", c->fname, line,
		                CKS_MAX_ENTRIES);
	if (c->count == ip->cap) {
		size_t cap = ip->cap ? ip->cap * 2 : 32;
		struct mtk_checksum_entry *e = realloc(c->entries, cap * sizeof *e);
		if (!e)
			return mtk_fail(ip->ctx, MTK_E_NOMEM, "out of memory");
		c->entries = e;
		ip->cap = cap;
	}
	struct mtk_checksum_entry *e = &c->entries[c->count];
	e->name = strndup(k, kn);
	if (!e->name)
		return mtk_fail(ip->ctx, MTK_E_NOMEM, "out of memory");
	e->value = (uint16_t)val;
	e->line = line;
	c->count++;
	return 0;
}

static int key_value(struct ini_parser *ip, const char *p, size_t n, unsigned line)
{
	const char *eq = memchr(p, '=', n);
	if (!eq)
		return perr(ip, line, "expected 'key=value'", p, n);
	size_t kn = (size_t)(eq - p);
	while (kn > 0 && (p[kn - 1] == ' ' || p[kn - 1] == '\t'))
		kn--;
	const char *v = eq + 1;
	size_t vn = n - (size_t)(v - p);
	sc_trim_left(&v, &vn);
	if (kn == 0)
		return perr(ip, line, "empty key", p, n);
	struct mtk_checksum_ini *c = ip->c;
	switch (ip->sec) {
	case SEC_CHECKSUM:
		return add_entry(ip, p, kn, v, vn, line);
	case SEC_VERSION:
		if (sc_ieqn(p, kn, "VERSION"))
			return set_str(ip, &c->version, v, vn);
		if (sc_ieqn(p, kn, "TOOL"))
			return set_str(ip, &c->tool, v, vn);
		if (sc_ieqn(p, kn, "Change_ID"))
			return set_str(ip, &c->change_id, v, vn);
		return 0;
	case SEC_ENABLE:
		if (!sc_ieqn(p, kn, "CHECKSUM_SWITCH"))
			return 0;
		if (vn != 1 || (v[0] != '0' && v[0] != '1'))
			return perr(ip, line, "CHECKSUM_SWITCH is neither 0 nor 1", v, vn);
		c->enabled = v[0] - '0';
		return 0;
	case SEC_OTHER:
		return 0;
	case SEC_NONE:
	default:
		return perr(ip, line, "key outside any [section]", p, n);
	}
}

int mtk_checksum_ini_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
                           struct mtk_checksum_ini *out)
{
	memset(out, 0, sizeof *out);
	out->enabled = -1;
	out->fname = strdup(fname ? fname : "Checksum.ini");
	if (!out->fname)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	struct ini_parser ip = {.ctx = ctx, .c = out};
	struct sc_lines l;
	sc_lines_init(&l, buf, len);
	const char *p;
	size_t n;
	int rc = 0;
	bool seen_checksum = false;
	while (rc == 0 && sc_lines_next_trimmed(&l, &p, &n)) {
		if (n && memchr(p, '\0', n))
			rc = mtk_fail(ctx, MTK_E_PARSE, "%s:%u: NUL byte (not a text file)", out->fname,
			              l.lineno);
		else if (n == 0 || p[0] == ';' || p[0] == '#')
			continue;
		else if (p[0] == '[')
			rc = section(&ip, p, n, l.lineno);
		else
			rc = key_value(&ip, p, n, l.lineno);
		seen_checksum |= ip.sec == SEC_CHECKSUM;
	}
	if (rc == 0 && !seen_checksum)
		rc = mtk_fail(ctx, MTK_E_PARSE, "%s: no [CheckSum] section", out->fname);
	if (rc < 0)
		mtk_checksum_ini_free(out);
	return rc;
}

void mtk_checksum_ini_free(struct mtk_checksum_ini *c)
{
	for (size_t i = 0; i < c->count; i++)
		free(c->entries[i].name);
	free(c->entries);
	free(c->fname);
	free(c->version);
	free(c->tool);
	free(c->change_id);
	memset(c, 0, sizeof *c);
}

const struct mtk_checksum_entry *mtk_checksum_ini_find(const struct mtk_checksum_ini *c, const char *name)
{
	for (size_t i = 0; i < c->count; i++)
		if (strcmp(c->entries[i].name, name) == 0)
			return &c->entries[i];
	for (size_t i = 0; i < c->count; i++)
		if (strcasecmp(c->entries[i].name, name) == 0)
			return &c->entries[i];
	return NULL;
}

/* ------------------------------------------------------------ checksums */

uint16_t mtk_checksum_v1_update(uint16_t state, const uint8_t *buf, size_t len)
{
	return mtk_sum16_update(state, buf, len);
}

#define DIGEST_CHUNK        (64u << 10) /* as manifest.c HASH_BUF: reused, not mapped afresh per file */
#define DIGEST_PROGRESS_MIN (64ull << 20)

static int digest_fd(mtk_ctx *ctx, int fd, const char *path, uint64_t total, EVP_MD_CTX *md, uint64_t *size,
                     uint16_t *sum16)
{
	uint8_t *buf = malloc(DIGEST_CHUNK);
	if (!buf)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	uint64_t done = 0;
	uint16_t sum = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, buf, DIGEST_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = mtk_fail(ctx, MTK_E_IO, "reading %s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		sum = mtk_sum16_update(sum, buf, (size_t)r);
		if (md && EVP_DigestUpdate(md, buf, (size_t)r) != 1) {
			rc = mtk_fail(ctx, MTK_E_IO, "hashing %s failed", path);
			break;
		}
		done += (uint64_t)r;
		if (total >= DIGEST_PROGRESS_MIN)
			mtk_progress(ctx, path, done, total);
	}
	free(buf);
	*size = done;
	*sum16 = sum;
	return rc;
}

int mtk_image_digest_file(mtk_ctx *ctx, const char *path, uint64_t *size, uint8_t sha256[32], uint16_t *sum16)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not hang us */
	if (fd < 0)
		return mtk_fail(ctx, errno == ENOENT ? MTK_E_NOTFOUND : MTK_E_IO, "opening %s: %s", path,
		                strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return mtk_fail(ctx, MTK_E_IO, "%s is not a regular file", path);
	}
	EVP_MD_CTX *md = NULL;
	if (sha256) {
		md = EVP_MD_CTX_new();
		if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(md);
			close(fd);
			return mtk_fail(ctx, MTK_E_NOMEM, "cannot set up SHA-256");
		}
	}
	int rc = digest_fd(ctx, fd, path, (uint64_t)st.st_size, md, size, sum16);
	if (rc == 0 && md && EVP_DigestFinal_ex(md, sha256, NULL) != 1)
		rc = mtk_fail(ctx, MTK_E_IO, "hashing %s failed", path);
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ verification */

const char *mtk_cks_status_name(enum mtk_cks_status s)
{
	static const char *const n[] = {"match", "mismatch", "not-listed", "missing", "no-partition"};
	return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

enum mtk_cks_status mtk_checksum_ini_judge(const struct mtk_checksum_ini *c, const char *part, bool present,
                                           uint16_t got, uint16_t *expected, unsigned *line)
{
	const struct mtk_checksum_entry *e = mtk_checksum_ini_find(c, part);
	*expected = e ? e->value : 0;
	*line = e ? e->line : 0;
	if (!e)
		return MTK_CKS_NOT_LISTED;
	if (!present)
		return MTK_CKS_MISSING;
	return e->value == got ? MTK_CKS_MATCH : MTK_CKS_MISMATCH;
}

static int verify_part(mtk_ctx *ctx, const struct mtk_checksum_ini *c, const struct mtk_scatter_part *p,
                       const char *dir, struct mtk_cks_result *r)
{
	*r = (struct mtk_cks_result){.name = p->name, .file = p->file};
	bool present = false;
	if (mtk_scatter_file_name_ok(p->file)) {
		char *path = mtk_path_join(dir, p->file);
		if (!path)
			return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
		uint64_t size;
		int rc = mtk_image_digest_file(ctx, path, &size, NULL, &r->got);
		free(path);
		if (rc < 0 && rc != MTK_E_NOTFOUND)
			return rc;
		present = rc == 0;
	}
	r->status = mtk_checksum_ini_judge(c, p->name, present, r->got, &r->expected, &r->line);
	if (r->status == MTK_CKS_NOT_LISTED && p->alias)
		r->status = mtk_checksum_ini_judge(c, p->alias, present, r->got, &r->expected, &r->line);
	if (r->status == MTK_CKS_NOT_LISTED && !present)
		r->status = MTK_CKS_MISSING;
	return 0;
}

int mtk_checksum_ini_verify(mtk_ctx *ctx, const struct mtk_checksum_ini *c, const struct mtk_scatter *s,
                            const char *dir, struct mtk_cks_result **out, size_t *n)
{
	*out = calloc(s->count + c->count + 1, sizeof **out);
	*n = 0;
	if (!*out)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	int bad = 0;
	for (size_t i = 0; i < s->count; i++) {
		const struct mtk_scatter_part *p = &s->parts[i];
		if (!p->download || !p->file)
			continue;
		struct mtk_cks_result *r = &(*out)[*n];
		int rc = verify_part(ctx, c, p, dir, r);
		if (rc < 0) {
			free(*out);
			*out = NULL;
			*n = 0;
			return mtk_wrap(ctx, rc, "verifying %s against %s", p->name, c->fname);
		}
		(*n)++;
		bad += r->status != MTK_CKS_MATCH;
	}
	for (size_t i = 0; i < c->count; i++) {
		if (mtk_scatter_find(s, c->entries[i].name))
			continue;
		(*out)[(*n)++] = (struct mtk_cks_result){.name = c->entries[i].name,
		                                         .status = MTK_CKS_NO_PARTITION,
		                                         .expected = c->entries[i].value,
		                                         .line = c->entries[i].line};
		bad++;
	}
	return bad;
}
