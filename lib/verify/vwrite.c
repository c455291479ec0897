/* SPDX-License-Identifier: MIT */
/* Verified writes (include/mtkflash/vwrite.h): write pass, read-back pass,
 * one rewrite of the ranges that differ, a final verdict. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/ctx.h"
#include "mtkflash/da.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/vwrite.h"
#include "verify/vwrite_priv.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int mtk_vw_md_start(struct mtk_vw *v, EVP_MD_CTX **md)
{
	if (!*md && !(*md = EVP_MD_CTX_new()))
		return mtk_fail(v->ctx, MTK_E_NOMEM, "no memory for SHA-256");
	if (EVP_DigestInit_ex(*md, EVP_sha256(), NULL) != 1)
		return mtk_fail(v->ctx, MTK_E_NOMEM, "cannot start SHA-256");
	return 0;
}

int mtk_vw_md_add(struct mtk_vw *v, EVP_MD_CTX *md, const uint8_t *buf, size_t len)
{
	if (EVP_DigestUpdate(md, buf, len) != 1)
		return mtk_fail(v->ctx, MTK_E_NOMEM, "SHA-256 failed");
	return 0;
}

int mtk_vw_md_end(struct mtk_vw *v, EVP_MD_CTX *md, uint8_t out[32])
{
	if (EVP_DigestFinal_ex(md, out, NULL) != 1)
		return mtk_fail(v->ctx, MTK_E_NOMEM, "SHA-256 failed");
	return 0;
}

/* ------------------------------------------------------------ progress */

/* The DA reports each transfer (one range) on its own: shown as the pass. */
static void relay_progress(void *user, const char *what, uint64_t done, uint64_t total)
{
	struct mtk_vw *v = user;
	(void)what;
	(void)total;
	if (v->user_fn)
		v->user_fn(v->user_arg, v->what, v->pass_base + done, v->pass_total);
}

void mtk_vw_pass_begin(struct mtk_vw *v, const char *stage, uint64_t total)
{
	snprintf(v->what, sizeof v->what, "%s %s", stage, v->req->partition);
	v->pass_base = 0;
	v->pass_total = total;
	mtk_progress(v->ctx, v->what, 0, total);
}

/* ------------------------------------------------------------ the image */

static int check_unchanged(struct mtk_vw *v)
{
	struct stat st;
	if (fstat(v->img.fd, &st) != 0)
		return mtk_fail(v->ctx, MTK_E_IO, "%s: %s", v->req->image, strerror(errno));
	if ((uint64_t)st.st_size != v->img.file_size)
		return mtk_fail(v->ctx, MTK_E_IO, "%s: %s is now 0x%llx bytes, it was 0x%llx when the write began "
				"(it changed during the write)", v->req->partition, v->req->image,
				(unsigned long long)st.st_size, (unsigned long long)v->img.file_size);
	if (st.st_mtim.tv_sec != v->img.mtime.tv_sec || st.st_mtim.tv_nsec != v->img.mtime.tv_nsec)
		return mtk_fail(v->ctx, MTK_E_IO, "%s: %s was modified during the write", v->req->partition,
				v->req->image);
	return 0;
}

int mtk_vw_file_hash_end(struct mtk_vw *v)
{
	switch (mtk_vw_image_hash_end(&v->img, v->res->file_sha256)) {
	case MTK_VW_OK:
		return 0;
	case MTK_VW_SHORT:
		return mtk_fail(v->ctx, MTK_E_IO, "%s: %s is shorter than when the write began (it changed during "
				"the write)", v->req->partition, v->req->image);
	default:
		return mtk_fail(v->ctx, MTK_E_IO, "%s: reading %s: %s", v->req->partition, v->req->image,
				strerror(errno));
	}
}

int mtk_vw_fill(struct mtk_vw *v, uint64_t pos, uint8_t *buf, size_t len)
{
	switch (mtk_vw_image_fill(&v->img, pos, buf, len)) {
	case MTK_VW_OK:
		return 0;
	case MTK_VW_SHORT:
		return mtk_fail(v->ctx, MTK_E_IO, "%s: %s ended before partition offset 0x%llx (it changed during "
				"the write)", v->req->partition, v->req->image, (unsigned long long)pos);
	case MTK_VW_HOLE:
		return mtk_fail(v->ctx, MTK_E_INVAL, "%s: partition offset 0x%llx is not data of %s",
				v->req->partition, (unsigned long long)pos, v->req->image);
	default:
		return mtk_fail(v->ctx, MTK_E_IO, "%s: reading %s for partition offset 0x%llx: %s",
				v->req->partition, v->req->image, (unsigned long long)pos, strerror(errno));
	}
}

struct hashing_fd {
	struct mtk_vw *v;
	EVP_MD_CTX *md;
	uint64_t got;
};

/* The sparse map pass reads the whole file: hash it on the way. */
static int hashing_read(void *user, uint8_t *buf, size_t len)
{
	struct hashing_fd *h = user;
	ssize_t n = read(h->v->img.fd, buf, len);
	if (n < 0)
		return mtk_fail(h->v->ctx, MTK_E_IO, "reading %s: %s", h->v->req->image, strerror(errno));
	h->got += (uint64_t)n;
	return mtk_vw_md_add(h->v, h->md, buf, (size_t)n) < 0 ? MTK_E_NOMEM : (int)n;
}

/* Reads every payload, so CRCs are checked, and hashes the file. */
static int map_sparse_whole(struct mtk_vw *v, struct mtk_sparse_info *info)
{
	struct hashing_fd h = { .v = v };
	int rc = mtk_vw_md_start(v, &h.md);
	struct mtk_sparse_src src = { .read = hashing_read, .skip = NULL, .user = &h };
	free(v->img.spans);
	v->img.spans = NULL;
	if (rc == 0 && lseek(v->img.fd, 0, SEEK_SET) != 0)
		rc = mtk_fail(v->ctx, MTK_E_IO, "reading %s: %s", v->req->image, strerror(errno));
	if (rc == 0)
		rc = mtk_sparse_map(v->ctx, &src, &v->img.spans, &v->img.nspans, info);
	/* Bytes after the last chunk are part of the file the user named. */
	int n = 1;
	while (rc == 0 && (n = hashing_read(&h, v->scratch, MTK_VW_SCRATCH)) > 0)
		;
	if (rc == 0 && n < 0)
		rc = n;
	if (rc == 0)
		rc = mtk_vw_md_end(v, h.md, v->res->file_sha256);
	EVP_MD_CTX_free(h.md);
	return rc;
}

static int plain_read(void *user, uint8_t *buf, size_t len)
{
	struct mtk_vw *v = user;
	ssize_t n = read(v->img.fd, buf, len);
	if (n < 0)
		return mtk_fail(v->ctx, MTK_E_IO, "reading %s: %s", v->req->image, strerror(errno));
	return (int)n;
}

/* Passes over a RAW payload, which must be in the file: a payload cut short
 * is found here, before anything is written (MTK_E_RANGE: the reader names
 * the chunk and its offset). */
static int skip_payload(void *user, uint64_t len)
{
	struct mtk_vw *v = user;
	off_t at = lseek(v->img.fd, 0, SEEK_CUR);
	if (at < 0)
		return mtk_fail(v->ctx, MTK_E_IO, "reading %s: %s", v->req->image, strerror(errno));
	if (len > v->img.file_size - (uint64_t)at)
		return MTK_E_RANGE;
	if (lseek(v->img.fd, (off_t)len, SEEK_CUR) < 0)
		return mtk_fail(v->ctx, MTK_E_IO, "reading %s: %s", v->req->image, strerror(errno));
	return 0;
}

/* The chunk headers only: the file's SHA-256 is then taken by the first
 * pass that reads the image (mtk_vw_image_fill), so a sparse image is read
 * once, not once more before anything is sent.  CRCs are checked only by
 * reading every payload, so an image that carries one is read whole first. */
static int map_sparse(struct mtk_vw *v)
{
	struct mtk_sparse_src src = { .read = plain_read, .skip = skip_payload, .user = v };
	struct mtk_sparse_info info;
	int rc = mtk_sparse_map(v->ctx, &src, &v->img.spans, &v->img.nspans, &info);
	if (rc == 0 && info.has_crc)
		rc = map_sparse_whole(v, &info);
	else if (rc == 0)
		rc = mtk_vw_image_hash_begin(&v->img) == 0 ? 0 : mtk_fail(v->ctx, MTK_E_NOMEM, "cannot start SHA-256");
	if (rc < 0)
		return mtk_wrap(v->ctx, rc, "%s", v->req->image);
	v->img.expanded = info.expanded_size;
	if (info.block_size % MTK_VW_SECTOR)
		return mtk_fail(v->ctx, MTK_E_UNSUPPORTED, "%s: sparse block size %u is not a multiple of the %u-byte "
				"sector", v->req->image, info.block_size, MTK_VW_SECTOR);
	return 0;
}

static int detect_format(struct mtk_vw *v, bool *sparse)
{
	if (v->req->format != MTK_VWRITE_AUTO) {
		*sparse = v->req->format == MTK_VWRITE_SPARSE;
		return 0;
	}
	uint8_t head[4];
	ssize_t n = pread(v->img.fd, head, sizeof head, 0);
	if (n < 0)
		return mtk_fail(v->ctx, MTK_E_IO, "reading %s: %s", v->req->image, strerror(errno));
	*sparse = mtk_is_sparse(head, (size_t)n);
	return 0;
}

static int open_image(struct mtk_vw *v)
{
	struct stat st;
	v->img.fd = open(v->req->image, O_RDONLY | O_CLOEXEC);
	if (v->img.fd < 0)
		return mtk_fail(v->ctx, MTK_E_IO, "cannot read image %s: %s", v->req->image, strerror(errno));
	if (fstat(v->img.fd, &st) != 0 || !S_ISREG(st.st_mode))
		return mtk_fail(v->ctx, MTK_E_IO, "cannot read image %s: not a regular file", v->req->image);
	v->img.file_size = v->res->file_bytes = (uint64_t)st.st_size;
	v->img.mtime = st.st_mtim;
	bool sparse = false;
	int rc = detect_format(v, &sparse);
	if (rc == 0)
		rc = sparse ? map_sparse(v) : mtk_vw_image_raw(&v->img);
	if (rc == MTK_E_NOMEM)
		return mtk_fail(v->ctx, rc, "no memory for the map of %s", v->req->image);
	if (rc < 0)
		return rc;
	v->res->sparse = sparse;
	if ((rc = mtk_vw_make_ranges(&v->img)) < 0)
		return mtk_fail(v->ctx, rc, "no memory for the ranges of %s", v->req->image);
	v->res->ranges = (uint32_t)v->img.nranges;
	v->res->data_bytes = v->img.data_bytes;
	return 0;
}

static int check_fits(struct mtk_vw *v)
{
	if (v->img.expanded <= v->req->max_len)
		return 0;
	return mtk_fail(v->ctx, MTK_E_POLICY, "%s is %llu bytes%s, larger than partition %s (%llu bytes); nothing "
			"was written", v->req->image, (unsigned long long)v->img.expanded,
			v->res->sparse ? " expanded" : "", v->req->partition, (unsigned long long)v->req->max_len);
}

/* ------------------------------------------------------------ write */

/* Feeds the held first packet (see struct mtk_vw) into both hashes, in
 * order: the image's before the next packet's bytes, the file's through the
 * fill (its catch-up reads what the held fill skipped). */
static int hash_held(struct mtk_vw *v)
{
	if (v->held_len)
		v->img.cursor = v->held_cursor; /* back to the held bytes' span, not a scan from the first */
	while (v->held_len) {
		size_t n = v->held_len < MTK_VW_SCRATCH ? (size_t)v->held_len : MTK_VW_SCRATCH;
		int rc = mtk_vw_fill(v, v->held_off, v->scratch, n);
		if (rc == 0)
			rc = mtk_vw_md_add(v, v->total_md, v->scratch, n);
		if (rc < 0)
			return rc;
		v->held_off += n;
		v->held_len -= n;
	}
	return 0;
}

static int range_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	struct mtk_vw *v = user;
	struct mtk_vw_range *r = v->cur;
	(void)off; /* the DA pulls in order; cur_done is where it is */
	if (v->cur_done >= r->len)
		return 0; /* the rest of the last sector: the DA pads it with zeros */
	int rc = hash_held(v);
	if (rc < 0)
		return rc;
	size_t n = r->len - v->cur_done < len ? (size_t)(r->len - v->cur_done) : len;
	bool hold = v->first_write && v->cur_done == 0;
	if (hold)
		v->held_cursor = v->img.cursor;
	v->img.hash_later = hold;
	rc = mtk_vw_fill(v, r->off + v->cur_done, buf, n);
	v->img.hash_later = false;
	if (rc < 0)
		return rc;
	if (hold) {
		v->held_off = r->off;
		v->held_len = n;
	} else if (v->first_write && (rc = mtk_vw_md_add(v, v->total_md, buf, n)) < 0) {
		return rc;
	}
	v->cur_done += n;
	return (int)n;
}

static void write_idle(void *user)
{
	struct mtk_vw *v = user;
	if (v->held_rc == 0)
		v->held_rc = hash_held(v);
}

static int write_range_once(struct mtk_vw *v, struct mtk_vw_range *r)
{
	v->cur = r;
	v->cur_done = 0;
	v->held_len = 0;
	v->held_rc = 0;
	mtk_da_set_write_idle(v->da, write_idle, v);
	int rc = mtk_da_write(v->da, v->what, v->req->region, v->req->offset + r->off, r->len, range_source, v);
	mtk_da_set_write_idle(v->da, NULL, NULL);
	if (rc == 0)
		rc = v->held_rc < 0 ? v->held_rc : hash_held(v); /* a DA that has no idle time to give */
	/* What reached the device, not what was read ahead from the image. */
	uint64_t sent = mtk_da_bytes_sent(v->da);
	v->res->bytes_written += sent < r->len ? sent : r->len;
	if (rc == 0 && v->cur_done != r->len)
		rc = mtk_fail(v->ctx, MTK_E_IO, "%s: only 0x%llx of the 0x%llx bytes at partition offset 0x%llx were "
			      "sent", v->req->partition, (unsigned long long)v->cur_done, (unsigned long long)r->len,
			      (unsigned long long)r->off);
	return rc;
}

/* A chunk the DA's own check refused (MTK_E_VERIFY from the write itself)
 * ends that write: the range is sent again while rewrites are left. */
/* The first write hashes the image as it sends it: a range sent again
 * must go into the hash once, so the hash goes back to where it stood
 * before the range (the file's own hash skips what it has). */
static int mark_image_hash(struct mtk_vw *v, bool back)
{
	if (!v->first_write || !v->res->device_checks)
		return 0;
	if (!v->retry_md && !(v->retry_md = EVP_MD_CTX_new()))
		return mtk_fail(v->ctx, MTK_E_NOMEM, "no memory for a SHA-256 state");
	bool ok = back ? EVP_MD_CTX_copy_ex(v->total_md, v->retry_md) : EVP_MD_CTX_copy_ex(v->retry_md, v->total_md);
	return ok ? 0 : mtk_fail(v->ctx, MTK_E_NOMEM, "cannot copy a SHA-256 state");
}

static int write_range(struct mtk_vw *v, struct mtk_vw_range *r)
{
	uint64_t base = v->pass_base;
	int rc = mark_image_hash(v, false);
	if (rc == 0)
		rc = write_range_once(v, r);
	while (rc == MTK_E_VERIFY && v->res->device_checks && v->rewrites_left) {
		v->res->device_check_failures++;
		v->rewrites_left--;
		v->res->rewrites++;
		mtk_warn(v->ctx, "%s: %s; writing the range at partition offset 0x%llx again", v->req->partition,
			 mtk_ctx_error(v->ctx), (unsigned long long)r->off);
		mtk_ctx_clear_error(v->ctx);
		rc = mark_image_hash(v, true);
		if (rc == 0)
			rc = write_range_once(v, r);
	}
	if (rc == MTK_E_VERIFY && v->res->device_checks)
		v->res->device_check_failures++;
	v->pass_base = base + r->len;
	return rc;
}

/* Writes every range, or only the bad ones (a rewrite). */
static int write_pass(struct mtk_vw *v, bool only_bad)
{
	uint64_t total = 0;
	for (size_t i = 0; i < v->img.nranges; i++)
		if (!only_bad || v->img.ranges[i].bad)
			total += v->img.ranges[i].len;
	mtk_vw_pass_begin(v, "write", total);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < v->img.nranges; i++) {
		if (only_bad && !v->img.ranges[i].bad)
			continue;
		if (mtk_cancelled(v->ctx))
			return mtk_fail(v->ctx, MTK_E_INTERRUPTED, "%s: interrupted", v->what);
		rc = write_range(v, &v->img.ranges[i]);
		if (rc == 0 && only_bad)
			v->res->rewrites++;
	}
	return rc == 0 ? check_unchanged(v) : rc;
}

/* ------------------------------------------------------------ verify */

static void note_mismatch(struct mtk_vw *v, uint64_t at, const uint8_t *dev, const uint8_t *img, size_t len)
{
	size_t i = 0;
	while (i < len && dev[i] == img[i])
		i++;
	uint64_t bad = v->cur->off + at + i;
	if (!v->any_bad || bad < v->res->first_bad)
		v->res->first_bad = bad;
	v->cur->bad = true;
	v->any_bad = true;
}

/* Compares what the device sent with the image; a difference is only
 * noted: stopping a read midway would leave the DA streaming.  The image
 * side is compared, not hashed: check_unchanged() catches a file rewritten
 * since the write.  The device's side is hashed only in a pass whose result
 * may be a mismatch to report (see verify_pass). */
static int compare_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct mtk_vw *v = user;
	(void)off; /* in order: cur_done is where the read is */
	int rc = v->hash_device ? mtk_vw_md_add(v, v->total_md, buf, len) : 0;
	for (size_t at = 0; rc == 0 && at < len;) {
		size_t n = len - at < MTK_VW_SCRATCH ? len - at : MTK_VW_SCRATCH;
		rc = mtk_vw_fill(v, v->cur->off + v->cur_done, v->scratch, n);
		if (rc == 0 && memcmp(buf + at, v->scratch, n) != 0)
			note_mismatch(v, v->cur_done, buf + at, v->scratch, n);
		v->cur_done += n;
		at += n;
	}
	return rc;
}

static int verify_range(struct mtk_vw *v, struct mtk_vw_range *r)
{
	v->cur = r;
	v->cur_done = 0;
	r->bad = false;
	int rc = mtk_da_read(v->da, v->what, v->req->region, v->req->offset + r->off, r->len, compare_sink, v);
	if (rc == 0)
		v->res->bytes_verified += r->len;
	v->pass_base += r->len;
	return rc;
}

/* A pass that finds every byte equal to the image read exactly the bytes
 * the write pass hashed, in the same order: its SHA-256 is the image's,
 * and hashing them again would only cost the host a second SHA-256 per
 * byte, the last packet's on the link's critical path.  So the device's
 * bytes are hashed only in the pass whose mismatch would be the verdict
 * (the last one allowed), to report what the device holds. */
static int verify_pass(struct mtk_vw *v, bool last_try)
{
	mtk_vw_pass_begin(v, "verify", v->img.data_bytes);
	v->any_bad = false;
	v->res->bytes_verified = 0;
	v->hash_device = last_try;
	int rc = v->hash_device ? mtk_vw_md_start(v, &v->total_md) : 0;
	for (size_t i = 0; rc == 0 && i < v->img.nranges; i++) {
		if (mtk_cancelled(v->ctx))
			return mtk_fail(v->ctx, MTK_E_INTERRUPTED, "%s: interrupted", v->what);
		rc = verify_range(v, &v->img.ranges[i]);
	}
	if (rc == 0 && v->hash_device)
		rc = mtk_vw_md_end(v, v->total_md, v->res->readback_sha256);
	else if (rc == 0 && !v->any_bad)
		memcpy(v->res->readback_sha256, v->res->image_sha256, 32);
	return rc == 0 ? check_unchanged(v) : rc;
}

/* ------------------------------------------------------------ the whole */

static int first_write(struct mtk_vw *v)
{
	if (v->req->read_first) /* the read pass hashed the image already */
		return write_pass(v, false);
	v->first_write = true;
	int rc = mtk_vw_md_start(v, &v->total_md);
	if (rc == 0)
		rc = write_pass(v, false);
	if (rc == 0)
		rc = mtk_vw_md_end(v, v->total_md, v->res->image_sha256);
	if (rc == 0)
		rc = mtk_vw_file_hash_end(v);
	if (rc == 0 && !v->res->sparse)
		memcpy(v->res->file_sha256, v->res->image_sha256, 32);
	v->first_write = false;
	return rc;
}

static int mismatch(struct mtk_vw *v)
{
	unsigned n = v->req->retries;
	v->res->mismatch = true;
	return mtk_fail(v->ctx, MTK_E_VERIFY, "read-back mismatch at 0x%llx (%s offset 0x%llx)%s%s",
			(unsigned long long)v->res->first_bad, mtk_region_name(v->req->region),
			(unsigned long long)(v->req->offset + v->res->first_bad), n ? ", still after " : "",
			n ? (n == 1 ? "a rewrite" : "rewrites") : "");
}

/* Verify; rewrite what differs and verify again, req->retries times. */
static int verify_and_retry(struct mtk_vw *v)
{
	double t0 = now_s(), rewriting = 0;
	int rc = verify_pass(v, v->req->retries == 0);
	for (unsigned tries = 0; rc == 0 && v->any_bad && tries < v->req->retries; tries++) {
		mtk_warn(v->ctx, "%s: read-back mismatch at 0x%llx: writing the differing range again",
			 v->req->partition, (unsigned long long)v->res->first_bad);
		double t1 = now_s();
		rc = write_pass(v, true);
		rewriting += now_s() - t1;
		if (rc == 0)
			rc = verify_pass(v, tries + 1 == v->req->retries);
	}
	v->res->write_seconds += rewriting;
	v->res->verify_seconds = now_s() - t0 - rewriting;
	if (rc == 0 && v->any_bad)
		rc = mismatch(v);
	v->res->verified = rc == 0;
	/* Skipped chunks were compared byte for byte by the read pass. */
	if (rc == 0 && v->req->read_first)
		memcpy(v->res->readback_sha256, v->res->image_sha256, 32);
	return rc;
}

/* Says exactly how far a failed or interrupted operation came. */
static int describe_failure(struct mtk_vw *v, int rc, bool writing)
{
	const struct mtk_vwrite_result *r = v->res;
	if (!writing)
		return mtk_wrap(v->ctx, rc, "verifying %s (written completely: 0x%llx bytes; read back 0x%llx)",
				v->req->partition, (unsigned long long)r->data_bytes,
				(unsigned long long)r->bytes_verified);
	if (r->bytes_written == 0 && rc != MTK_E_INTERRUPTED)
		return mtk_wrap(v->ctx, rc, "writing %s (nothing was written)", v->req->partition);
	return mtk_wrap(v->ctx, rc, "writing %s (partly written: 0x%llx of 0x%llx bytes sent)", v->req->partition,
			(unsigned long long)r->bytes_written, (unsigned long long)r->data_bytes);
}

/* MTK_E_UNSUPPORTED (a legacy DA) is no failure: the write goes unchecked.
 * A DA already at the level asked (a flash sets it once for all its
 * writes) is told nothing, and left so. */
static int device_checks_on(struct mtk_vw *v)
{
	v->rewrites_left = v->req->retries;
	if (!v->req->device_checks)
		return 0;
	v->checks_before = mtk_da_device_checks(v->da);
	if (v->checks_before == v->req->device_checks) {
		v->res->device_checks = v->req->device_checks;
		return 0;
	}
	v->checks_set = true;
	int rc = mtk_da_set_device_checks(v->da, v->req->device_checks);
	if (rc == MTK_E_UNSUPPORTED) {
		mtk_ctx_clear_error(v->ctx);
		return 0;
	}
	if (rc == 0)
		v->res->device_checks = v->req->device_checks;
	return rc;
}

/* Back as found: the level is the DA's state for every later write of the
 * session, and the next process cannot know it. */
static void device_checks_off(struct mtk_vw *v)
{
	if (v->checks_set && v->res->device_checks && mtk_da_set_device_checks(v->da, v->checks_before) < 0) {
		mtk_warn(v->ctx, "%s", mtk_ctx_error(v->ctx));
		mtk_ctx_clear_error(v->ctx);
	}
}

static int checked_first_write(struct mtk_vw *v)
{
	int rc = device_checks_on(v);
	if (rc < 0)
		return rc;
	rc = first_write(v);
	if (rc == 0) /* after a failure the message must stay the failure's */
		device_checks_off(v);
	return rc;
}

static int run(struct mtk_vw *v)
{
	int rc = open_image(v);
	if (rc == 0)
		rc = check_fits(v);
	if (rc < 0)
		return rc;
	mtk_ctx_get_progress(v->ctx, &v->user_fn, &v->user_arg);
	mtk_ctx_set_progress(v->ctx, relay_progress, v);
	double t0 = now_s();
	if (v->req->read_first) {
		rc = mtk_vw_read_pass(v);
		v->res->read_seconds = now_s() - t0;
		t0 = now_s();
		if (rc < 0 || v->req->stash_only) {
			mtk_ctx_set_progress(v->ctx, v->user_fn, v->user_arg);
			return rc;
		}
	}
	rc = checked_first_write(v);
	v->res->write_seconds = now_s() - t0;
	if (rc < 0)
		rc = describe_failure(v, rc, true);
	else if ((rc = verify_and_retry(v)) < 0)
		rc = rc == MTK_E_VERIFY ? mtk_wrap(v->ctx, rc, "writing %s", v->req->partition)
					: describe_failure(v, rc, false);
	mtk_ctx_set_progress(v->ctx, v->user_fn, v->user_arg);
	return rc;
}

int mtk_vwrite(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_vwrite_req *req, struct mtk_vwrite_result *out)
{
	memset(out, 0, sizeof *out);
	if (!req->partition || !req->image)
		return mtk_fail(ctx, MTK_E_INVAL, "mtk_vwrite: partition and image are required");
	struct mtk_vw v = { .ctx = ctx, .da = da, .req = req, .res = out };
	mtk_vw_image_init(&v.img);
	double t0 = now_s();
	int rc;
	if (!(v.scratch = malloc(MTK_VW_SCRATCH)))
		rc = mtk_fail(ctx, MTK_E_NOMEM, "no memory for the verify buffer");
	else
		rc = run(&v);
	out->seconds = now_s() - t0;
	if (out->seconds > 0)
		out->mb_per_s = (double)out->data_bytes / out->seconds / 1e6;
	free(v.scratch);
	free(v.differs);
	if (v.stash_open)
		mtk_outfile_abort(&v.stash);
	EVP_MD_CTX_free(v.old_md);
	EVP_MD_CTX_free(v.range_md);
	EVP_MD_CTX_free(v.total_md);
	EVP_MD_CTX_free(v.retry_md);
	mtk_vw_image_free(&v.img);
	return rc;
}

void mtk_vwrite_result_free(struct mtk_vwrite_result *r)
{
	free(r->stash_ranges);
	r->stash_ranges = NULL;
	r->nstash_ranges = 0;
}
