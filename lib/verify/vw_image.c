/* SPDX-License-Identifier: MIT */
/* Spans, ranges and expanded bytes of an image (verify/vwrite_priv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtkflash/core.h"
#include "verify/vwrite_priv.h"

void mtk_vw_image_init(struct mtk_vw_image *im)
{
	memset(im, 0, sizeof *im);
	im->fd = -1;
}

void mtk_vw_image_free(struct mtk_vw_image *im)
{
	if (im->fd >= 0)
		close(im->fd);
	EVP_MD_CTX_free(im->file_md);
	free(im->spans);
	free(im->ranges);
	mtk_vw_image_init(im);
}

int mtk_vw_image_raw(struct mtk_vw_image *im)
{
	im->expanded = im->file_size;
	if (!im->file_size)
		return 0;
	if (!(im->spans = calloc(1, sizeof *im->spans)))
		return MTK_E_NOMEM;
	im->spans[0] = (struct mtk_sparse_span){ .kind = MTK_SPARSE_RAW, .len = im->file_size };
	im->nspans = 1;
	return 0;
}

static bool is_data(const struct mtk_sparse_span *s)
{
	return s->kind != MTK_SPARSE_DONT_CARE && s->len;
}

int mtk_vw_make_ranges(struct mtk_vw_image *im)
{
	/* Never more ranges than data spans. */
	if (im->nspans && !(im->ranges = calloc(im->nspans, sizeof *im->ranges)))
		return MTK_E_NOMEM;
	struct mtk_vw_range *cur = NULL;
	for (size_t i = 0; i < im->nspans; i++) {
		const struct mtk_sparse_span *s = &im->spans[i];
		if (!is_data(s)) {
			cur = NULL;
			continue;
		}
		if (!cur || cur->off + cur->len != s->out_off) {
			cur = &im->ranges[im->nranges++];
			*cur = (struct mtk_vw_range){ .off = s->out_off, .span = i };
		}
		cur->len += s->len;
		im->data_bytes += s->len;
	}
	return 0;
}

/* The span holding pos, searching forward from the last one used. */
static const struct mtk_sparse_span *span_at(struct mtk_vw_image *im, uint64_t pos)
{
	if (im->cursor >= im->nspans || im->spans[im->cursor].out_off > pos)
		im->cursor = 0;
	for (; im->cursor < im->nspans; im->cursor++) {
		const struct mtk_sparse_span *s = &im->spans[im->cursor];
		if (pos >= s->out_off && pos - s->out_off < s->len)
			return s;
	}
	im->cursor = 0;
	return NULL;
}

static int pread_exact(int fd, uint8_t *buf, size_t len, uint64_t at)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return MTK_VW_ERRNO;
		if (n == 0)
			return MTK_VW_SHORT;
		buf += n;
		len -= (size_t)n;
		at += (uint64_t)n;
	}
	return MTK_VW_OK;
}

/* A FILL chunk repeats its 4 bytes from the chunk's start.  The bytes
 * double by memcpy: a byte loop took 2.8 ms per MiB, as long as the link
 * carries 0.1 MiB, and a write's first packet is filled with the link idle. */
static void fill_pattern(uint8_t *buf, size_t len, uint32_t fill, uint64_t phase)
{
	for (size_t i = 0; i < len && i < 4; i++)
		buf[i] = (uint8_t)(fill >> (8 * ((phase + i) & 3)));
	for (size_t done = 4; done < len; done *= 2) /* a whole number of periods: the phase holds */
		memcpy(buf + done, buf, done < len - done ? done : len - done);
}

int mtk_vw_image_hash_begin(struct mtk_vw_image *im)
{
	im->file_hashed = 0;
	if (!im->file_md && !(im->file_md = EVP_MD_CTX_new()))
		return -1;
	return EVP_DigestInit_ex(im->file_md, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int hash_bytes(struct mtk_vw_image *im, const uint8_t *buf, size_t len)
{
	if (EVP_DigestUpdate(im->file_md, buf, len) != 1) {
		errno = ENOMEM;
		return MTK_VW_ERRNO;
	}
	im->file_hashed += len;
	return MTK_VW_OK;
}

/* Feeds the file up to `at`: the chunk headers and whatever the fills did not read. */
static int hash_up_to(struct mtk_vw_image *im, uint64_t at)
{
	uint8_t buf[16384];
	while (im->file_hashed < at) {
		size_t n = at - im->file_hashed < sizeof buf ? (size_t)(at - im->file_hashed) : sizeof buf;
		int rc = pread_exact(im->fd, buf, n, im->file_hashed);
		if (rc == MTK_VW_OK)
			rc = hash_bytes(im, buf, n);
		if (rc)
			return rc;
	}
	return MTK_VW_OK;
}

/* What a fill read at file offset `at`, when it continues the hash (a read
 * behind it, a rewrite's, is already in). */
static int hash_read(struct mtk_vw_image *im, uint64_t at, const uint8_t *buf, size_t len)
{
	if (!im->file_md || im->hash_later || at + len <= im->file_hashed)
		return MTK_VW_OK;
	int rc = hash_up_to(im, at);
	if (rc)
		return rc;
	uint64_t skip = im->file_hashed - at;
	return hash_bytes(im, buf + skip, len - (size_t)skip);
}

int mtk_vw_image_hash_end(struct mtk_vw_image *im, uint8_t out[32])
{
	if (!im->file_md)
		return MTK_VW_OK;
	int rc = hash_up_to(im, im->file_size);
	if (rc == MTK_VW_OK && EVP_DigestFinal_ex(im->file_md, out, NULL) != 1) {
		errno = ENOMEM;
		rc = MTK_VW_ERRNO;
	}
	EVP_MD_CTX_free(im->file_md);
	im->file_md = NULL;
	return rc;
}

int mtk_vw_image_fill(struct mtk_vw_image *im, uint64_t pos, uint8_t *buf, size_t len)
{
	while (len) {
		const struct mtk_sparse_span *s = span_at(im, pos);
		if (!s || !is_data(s))
			return MTK_VW_HOLE;
		uint64_t in = pos - s->out_off;
		size_t n = s->len - in < len ? (size_t)(s->len - in) : len;
		if (s->kind == MTK_SPARSE_FILL)
			fill_pattern(buf, n, s->fill, in);
		else {
			int rc = pread_exact(im->fd, buf, n, s->src_off + in);
			if (rc == MTK_VW_OK)
				rc = hash_read(im, s->src_off + in, buf, n);
			if (rc)
				return rc;
		}
		buf += n;
		pos += n;
		len -= n;
	}
	return MTK_VW_OK;
}
