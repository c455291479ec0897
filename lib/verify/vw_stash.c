/* SPDX-License-Identifier: MIT */
/* The read pass of a verified write (include/mtkflash/vwrite.h read_first):
 * the device's bytes over the write's ranges are read once, kept in the
 * stash file (zero blocks as holes), hashed on both sides, and compared with
 * the image chunk by chunk so that what is already there is not written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/util.h"
#include "verify/vwrite_priv.h"

#define CHUNK MTK_VWRITE_SKIP_CHUNK
/* Holes are made per file-system block: a block of zeros is not written. */
#define HOLE_BLOCK 4096u

static uint64_t round_sector(uint64_t n)
{
	return (n + MTK_VW_SECTOR - 1) / MTK_VW_SECTOR * MTK_VW_SECTOR;
}

/* The stash keeps partition offsets; zero blocks stay holes of the file.
 * Each run of data blocks is one pwrite: a write per 4 KiB block was 256
 * system calls per MiB, and the last packet of a range is stored while the
 * link waits for the next command. */
int mtk_vw_stash_put(struct mtk_vw *v, uint64_t pos, const uint8_t *buf, size_t n)
{
	if (!v->stash_open)
		return 0;
	size_t run = 0; /* data bytes just before `at`, not written yet */
	for (size_t at = 0; at < n;) {
		size_t k = HOLE_BLOCK - (size_t)((pos + at) % HOLE_BLOCK);
		k = k < n - at ? k : n - at;
		if (!mtk_all_zero(buf + at, k)) {
			run += k;
		} else if (run) {
			int rc = mtk_pwrite_all(v->ctx, v->stash.fd, buf + at - run, run, pos + at - run, v->req->stash);
			if (rc < 0)
				return rc;
			run = 0;
		}
		at += k;
	}
	return run ? mtk_pwrite_all(v->ctx, v->stash.fd, buf + n - run, run, pos + n - run, v->req->stash) : 0;
}

/* One slice inside one chunk: image side (zero padded past the range) to
 * scratch, both hashes, the comparison. */
static int read_slice(struct mtk_vw *v, uint64_t pos, const uint8_t *buf, size_t n)
{
	const struct mtk_vw_range *r = v->cur;
	uint64_t rend = r->off + r->len;
	size_t img = pos >= rend ? 0 : (rend - pos < n ? (size_t)(rend - pos) : n);
	memset(v->scratch + img, 0, n - img);
	int rc = img ? mtk_vw_fill(v, pos, v->scratch, img) : 0;
	/* The padded hash equals the image's until the first padding: only then
	 * is it kept apart (at most the last sector of a raw image). */
	if (rc == 0 && img < n && !v->padded) {
		v->padded = true;
		if (EVP_MD_CTX_copy_ex(v->range_md, v->total_md) != 1)
			rc = mtk_fail(v->ctx, MTK_E_NOMEM, "cannot copy a SHA-256 state");
	}
	if (rc == 0 && v->padded)
		rc = mtk_vw_md_add(v, v->range_md, v->scratch, n);
	if (rc == 0)
		rc = mtk_vw_md_add(v, v->total_md, v->scratch, img);
	if (rc == 0)
		rc = mtk_vw_md_add(v, v->old_md, buf, n);
	if (rc == 0 && memcmp(buf, v->scratch, n) != 0)
		v->differs[pos / CHUNK] = 1;
	return rc == 0 ? mtk_vw_stash_put(v, pos, buf, n) : rc;
}

static int read_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct mtk_vw *v = user;
	(void)off; /* in order: cur_done is where the read is */
	for (size_t at = 0; at < len;) {
		uint64_t pos = v->cur->off + v->cur_done;
		size_t n = len - at < MTK_VW_SCRATCH ? len - at : MTK_VW_SCRATCH;
		if (CHUNK - pos % CHUNK < n)
			n = (size_t)(CHUNK - pos % CHUNK);
		int rc = read_slice(v, pos, buf + at, n);
		if (rc < 0)
			return rc;
		v->cur_done += n;
		v->res->bytes_read += n;
		at += n;
	}
	return 0;
}

static uint64_t rounded_len(const struct mtk_vw *v, const struct mtk_vw_range *r)
{
	uint64_t n = round_sector(r->len);
	return v->req->max_len && r->off + n > v->req->max_len ? v->req->max_len - r->off : n;
}

static int read_ranges(struct mtk_vw *v)
{
	struct mtk_vwrite_result *res = v->res;
	res->stash_ranges = calloc(v->img.nranges ? v->img.nranges : 1, sizeof *res->stash_ranges);
	if (!res->stash_ranges)
		return mtk_fail(v->ctx, MTK_E_NOMEM, "no memory for the stash ranges");
	uint64_t total = 0;
	for (size_t i = 0; i < v->img.nranges; i++)
		total += rounded_len(v, &v->img.ranges[i]);
	mtk_vw_pass_begin(v, "read", total);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < v->img.nranges; i++) {
		struct mtk_vw_range *r = &v->img.ranges[i];
		uint64_t n = rounded_len(v, r);
		if (mtk_cancelled(v->ctx))
			return mtk_fail(v->ctx, MTK_E_INTERRUPTED, "%s: interrupted", v->what);
		v->cur = r;
		v->cur_done = 0;
		rc = mtk_da_read(v->da, v->what, v->req->region, v->req->offset + r->off, n, read_sink, v);
		res->stash_ranges[res->nstash_ranges++] = (struct mtk_stash_range){ r->off, n };
		v->pass_base += n;
	}
	return rc;
}

/* The ranges, cut at chunk boundaries, keeping only chunks that differ. */
static int keep_differing(struct mtk_vw *v)
{
	size_t cap = 0;
	for (size_t i = 0; i < v->img.nranges; i++)
		cap += (size_t)(v->img.ranges[i].len / CHUNK) + 2;
	struct mtk_vw_range *out = calloc(cap ? cap : 1, sizeof *out);
	if (!out)
		return mtk_fail(v->ctx, MTK_E_NOMEM, "no memory for the ranges to write");
	size_t n = 0;
	uint64_t kept = 0;
	for (size_t i = 0; i < v->img.nranges; i++) {
		const struct mtk_vw_range *r = &v->img.ranges[i];
		bool open = false;
		for (uint64_t pos = r->off, end; pos < r->off + r->len; pos = end) {
			end = (pos / CHUNK + 1) * CHUNK;
			end = end < r->off + r->len ? end : r->off + r->len;
			if (!v->differs[pos / CHUNK]) {
				open = false;
				continue;
			}
			if (!open)
				out[n++] = (struct mtk_vw_range){ .off = pos, .span = r->span };
			out[n - 1].len += end - pos;
			kept += end - pos;
			open = true;
		}
	}
	v->res->bytes_skipped = v->img.data_bytes - kept;
	free(v->img.ranges);
	v->img.ranges = out;
	v->img.nranges = n;
	v->img.data_bytes = kept;
	return 0;
}

static int stash_open(struct mtk_vw *v)
{
	if (!v->req->stash)
		return 0;
	int rc = mtk_outfile_open(v->ctx, v->req->stash, MTK_OUT_PRIVATE, &v->stash);
	v->stash_open = rc == 0;
	uint64_t size = 0;
	for (size_t i = 0; i < v->img.nranges; i++)
		size = v->img.ranges[i].off + rounded_len(v, &v->img.ranges[i]);
	if (rc == 0 && ftruncate(v->stash.fd, (off_t)size) != 0)
		rc = mtk_fail(v->ctx, MTK_E_IO, "sizing the stash %s: %s", v->req->stash, strerror(errno));
	return rc;
}

static int read_hashed(struct mtk_vw *v)
{
	int rc = mtk_vw_md_start(v, &v->total_md);
	if (rc == 0)
		rc = mtk_vw_md_start(v, &v->range_md);
	if (rc == 0)
		rc = mtk_vw_md_start(v, &v->old_md);
	if (rc == 0)
		rc = read_ranges(v);
	if (rc == 0)
		rc = mtk_vw_md_end(v, v->total_md, v->res->image_sha256);
	if (rc == 0 && v->padded)
		rc = mtk_vw_md_end(v, v->range_md, v->res->new_sha256);
	else if (rc == 0)
		memcpy(v->res->new_sha256, v->res->image_sha256, 32);
	if (rc == 0)
		rc = mtk_vw_md_end(v, v->old_md, v->res->old_sha256);
	return rc;
}

int mtk_vw_read_pass(struct mtk_vw *v)
{
	uint64_t nchunks = v->req->max_len / CHUNK + 2;
	if (v->img.expanded / CHUNK + 2 > nchunks)
		nchunks = v->img.expanded / CHUNK + 2;
	v->differs = calloc((size_t)nchunks, 1);
	if (!v->differs)
		return mtk_fail(v->ctx, MTK_E_NOMEM, "no memory for the chunk map");
	int rc = stash_open(v);
	if (rc == 0)
		rc = read_hashed(v);
	if (rc == 0)
		rc = mtk_vw_file_hash_end(v);
	if (rc == 0)
		rc = keep_differing(v);
	if (rc < 0)
		return mtk_wrap(v->ctx, rc, "reading %s before writing it (nothing was written)", v->req->partition);
	if (!v->res->sparse)
		memcpy(v->res->file_sha256, v->res->image_sha256, 32);
	v->res->read_done = true;
	/* Nothing to write: the device stays as it is, so no stash, and no
	 * journal record for a step that never touches it. */
	if (v->img.nranges == 0) {
		if (v->stash_open)
			mtk_outfile_abort(&v->stash);
		v->stash_open = false;
		return 0;
	}
	if (v->stash_open) {
		rc = mtk_outfile_commit(&v->stash);
		v->stash_open = false;
		v->res->stashed = rc == 0;
	}
	if (rc == 0 && v->req->on_stashed)
		rc = v->req->on_stashed(v->req->user, v->res);
	return rc;
}
