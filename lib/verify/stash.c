/* SPDX-License-Identifier: MIT */
/* Stashes back onto the device, and the device's bytes over a stash's
 * ranges hashed (include/mtkflash/journal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/ctx.h"
#include "mtkflash/journal.h"

struct st {
	mtk_ctx *ctx;
	int fd;
	uint64_t base; /* partition offset of the range in progress */
	EVP_MD_CTX *md;
	const char *path;
};

static int from_stash(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	struct st *s = user;
	ssize_t n = pread(s->fd, buf, len, (off_t)(s->base + off));
	if (n < 0)
		return mtk_fail(s->ctx, MTK_E_IO, "reading the stash %s at 0x%llx: %s", s->path,
				(unsigned long long)(s->base + off), strerror(errno));
	if ((size_t)n < len) /* past the end: a hole at the end of the file */
		memset(buf + n, 0, len - (size_t)n);
	return (int)len;
}

static int hash_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct st *s = user;
	(void)off;
	return EVP_DigestUpdate(s->md, buf, len) == 1 ? 0 : mtk_fail(s->ctx, MTK_E_NOMEM, "SHA-256 failed");
}

static int hash_ranges(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_journal_part *p, uint8_t out[32])
{
	struct st s = { .ctx = ctx, .md = EVP_MD_CTX_new() };
	if (!s.md || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(s.md);
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory for SHA-256");
	}
	char what[MTK_PART_NAME_SIZE + 8];
	snprintf(what, sizeof what, "check %s", p->name);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->nranges; i++)
		rc = mtk_da_read(da, what, p->region, p->offset + p->ranges[i].off, p->ranges[i].len, hash_sink, &s);
	if (rc == 0 && EVP_DigestFinal_ex(s.md, out, NULL) != 1)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
	EVP_MD_CTX_free(s.md);
	return rc;
}

int mtk_stash_device_sha256(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_journal_part *p, uint8_t out[32])
{
	int rc = hash_ranges(ctx, da, p, out);
	return rc < 0 ? mtk_wrap(ctx, rc, "reading %s", p->name) : 0;
}

static int write_back(mtk_ctx *ctx, struct mtk_da *da, const char *path, const struct mtk_journal_part *p)
{
	struct st s = { .ctx = ctx, .path = path };
	s.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (s.fd < 0)
		return mtk_fail(ctx, MTK_E_IO, "cannot open the stash %s: %s", path, strerror(errno));
	char what[MTK_PART_NAME_SIZE + 8];
	snprintf(what, sizeof what, "restore %s", p->name);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->nranges; i++) {
		s.base = p->ranges[i].off;
		rc = mtk_da_write(da, what, p->region, p->offset + p->ranges[i].off, p->ranges[i].len, from_stash, &s);
	}
	close(s.fd);
	return rc;
}

int mtk_stash_restore(mtk_ctx *ctx, struct mtk_da *da, const char *dir, const struct mtk_journal_part *p)
{
	if (!p->stashed)
		return mtk_fail(ctx, MTK_E_POLICY, "%s has no stash (not kept in this mode)", p->name);
	char path[4400];
	snprintf(path, sizeof path, "%s/%s", dir, p->stash);
	int rc = write_back(ctx, da, path, p);
	uint8_t sha[32];
	if (rc == 0)
		rc = hash_ranges(ctx, da, p, sha);
	if (rc == 0 && memcmp(sha, p->old_sha256, 32) != 0)
		rc = mtk_fail(ctx, MTK_E_VERIFY, "read back after the restore, %s differs from its stash", p->name);
	return rc < 0 ? mtk_wrap(ctx, rc, "restoring %s from %s", p->name, path) : 0;
}
