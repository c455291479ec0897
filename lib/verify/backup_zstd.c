/* SPDX-License-Identifier: MIT */
/* zstd for backup units that leave the station (backup full --compress):
 * one NAME.img.zst per area, streamed both ways, never whole in memory.
 * The decompressor takes a hostile file: it must come out at exactly the
 * area's size (never more is written) with the area's SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "core/ctx.h"
#include "mtkflash/backup_unit.h"
#include "mtkflash/util.h"

#define ZLEVEL 3
#define HOLE_BLOCK 4096u

struct zbufs {
	uint8_t *in, *out;
	size_t in_cap, out_cap;
};

static int zbufs_alloc(mtk_ctx *ctx, struct zbufs *b, size_t in_cap, size_t out_cap)
{
	b->in_cap = in_cap;
	b->out_cap = out_cap;
	b->in = malloc(in_cap);
	b->out = malloc(out_cap);
	return b->in && b->out ? 0 : mtk_fail(ctx, MTK_E_NOMEM, "no memory for zstd buffers");
}

static void zbufs_free(struct zbufs *b)
{
	free(b->in);
	free(b->out);
}

static int open_in(mtk_ctx *ctx, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		mtk_fail(ctx, MTK_E_IO, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

static ssize_t read_some(mtk_ctx *ctx, int fd, uint8_t *buf, size_t cap, const char *path)
{
	ssize_t n;
	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		mtk_fail(ctx, MTK_E_IO, "reading %s: %s", path, strerror(errno));
	return n;
}

/* ---------------------------------------------------------------- compress */

static int compress_stream(mtk_ctx *ctx, ZSTD_CCtx *z, int in, struct mtk_outfile *out, struct zbufs *b,
			   const char *src)
{
	for (;;) {
		ssize_t n = read_some(ctx, in, b->in, b->in_cap, src);
		if (n < 0)
			return MTK_E_IO;
		ZSTD_EndDirective mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
		ZSTD_inBuffer ib = { b->in, (size_t)n, 0 };
		size_t left;
		do {
			ZSTD_outBuffer ob = { b->out, b->out_cap, 0 };
			left = ZSTD_compressStream2(z, &ob, &ib, mode);
			if (ZSTD_isError(left))
				return mtk_fail(ctx, MTK_E_IO, "compressing %s: %s", src, ZSTD_getErrorName(left));
			int rc = mtk_write_all(ctx, out->fd, b->out, ob.pos, out->path);
			if (rc < 0)
				return rc;
		} while (mode == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
		if (n == 0)
			return 0;
	}
}

int mtk_unit_compress(mtk_ctx *ctx, const char *src, const char *dst, unsigned out_flags)
{
	struct zbufs b = { 0 };
	struct mtk_outfile out;
	int in = open_in(ctx, src);
	if (in < 0)
		return MTK_E_IO;
	ZSTD_CCtx *z = ZSTD_createCCtx();
	int rc = z ? zbufs_alloc(ctx, &b, ZSTD_CStreamInSize(), ZSTD_CStreamOutSize())
		   : mtk_fail(ctx, MTK_E_NOMEM, "no memory for zstd");
	if (rc == 0)
		ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, ZLEVEL);
	if (rc == 0)
		rc = mtk_outfile_open(ctx, dst, out_flags | MTK_OUT_PRIVATE, &out);
	if (rc == 0) {
		rc = compress_stream(ctx, z, in, &out, &b, src);
		if (rc == 0)
			rc = mtk_outfile_commit(&out);
		else
			mtk_outfile_abort(&out);
	}
	ZSTD_freeCCtx(z);
	zbufs_free(&b);
	close(in);
	return rc;
}

/* -------------------------------------------------------------- decompress */

struct zsink {
	mtk_ctx *ctx;
	struct mtk_outfile *out;
	uint64_t size, pos;
	EVP_MD_CTX *sha;
	const char *src;
};

/* Zero blocks stay holes (the file is sized at the end). */
static int sink(struct zsink *s, const uint8_t *buf, size_t len)
{
	if (len > s->size - s->pos)
		return mtk_fail(s->ctx, MTK_E_VERIFY, "%s holds more than the area's 0x%llx bytes", s->src,
				(unsigned long long)s->size);
	if (!EVP_DigestUpdate(s->sha, buf, len))
		return mtk_fail(s->ctx, MTK_E_NOMEM, "SHA-256 failed");
	for (size_t off = 0; off < len; off += HOLE_BLOCK) {
		size_t n = len - off < HOLE_BLOCK ? len - off : HOLE_BLOCK;
		bool zero = true;
		for (size_t i = 0; i < n && zero; i++)
			zero = buf[off + i] == 0;
		if (!zero) {
			int rc = mtk_pwrite_all(s->ctx, s->out->fd, buf + off, n, s->pos + off, s->out->path);
			if (rc < 0)
				return rc;
		}
	}
	s->pos += len;
	return 0;
}

static int decompress_stream(ZSTD_DCtx *z, int in, struct zbufs *b, struct zsink *s)
{
	size_t last = 0;
	for (;;) {
		ssize_t n = read_some(s->ctx, in, b->in, b->in_cap, s->src);
		if (n < 0)
			return MTK_E_IO;
		if (n == 0)
			break;
		ZSTD_inBuffer ib = { b->in, (size_t)n, 0 };
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { b->out, b->out_cap, 0 };
			last = ZSTD_decompressStream(z, &ob, &ib);
			if (ZSTD_isError(last))
				return mtk_fail(s->ctx, MTK_E_VERIFY, "%s: not a whole zstd stream (%s)", s->src,
						ZSTD_getErrorName(last));
			int rc = sink(s, b->out, ob.pos);
			if (rc < 0)
				return rc;
		}
	}
	if (last != 0)
		return mtk_fail(s->ctx, MTK_E_VERIFY, "%s: the zstd stream is cut short", s->src);
	if (s->pos != s->size)
		return mtk_fail(s->ctx, MTK_E_VERIFY, "%s holds 0x%llx bytes, the area 0x%llx", s->src,
				(unsigned long long)s->pos, (unsigned long long)s->size);
	return ftruncate(s->out->fd, (off_t)s->size) == 0 ? 0
		: mtk_fail(s->ctx, MTK_E_IO, "sizing %s: %s", s->out->path, strerror(errno));
}

int mtk_unit_decompress(mtk_ctx *ctx, const char *src, const char *dst, uint64_t size, uint8_t sha256[32])
{
	struct zbufs b = { 0 };
	struct mtk_outfile out;
	int in = open_in(ctx, src);
	if (in < 0)
		return MTK_E_IO;
	ZSTD_DCtx *z = ZSTD_createDCtx();
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int rc = z && sha && EVP_DigestInit_ex(sha, EVP_sha256(), NULL)
			 ? zbufs_alloc(ctx, &b, ZSTD_DStreamInSize(), ZSTD_DStreamOutSize())
			 : mtk_fail(ctx, MTK_E_NOMEM, "no memory for zstd");
	if (rc == 0)
		rc = mtk_outfile_open(ctx, dst, MTK_OUT_PRIVATE, &out);
	if (rc == 0) {
		struct zsink s = { .ctx = ctx, .out = &out, .size = size, .sha = sha, .src = src };
		rc = decompress_stream(z, in, &b, &s);
		if (rc == 0 && !EVP_DigestFinal_ex(sha, sha256, NULL))
			rc = mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
		if (rc == 0)
			rc = mtk_outfile_commit(&out);
		else
			mtk_outfile_abort(&out);
	}
	EVP_MD_CTX_free(sha);
	ZSTD_freeDCtx(z);
	zbufs_free(&b);
	close(in);
	return rc;
}
