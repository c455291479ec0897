/* SPDX-License-Identifier: MIT */
/* Resumable reads of damaged storage (include/mtkflash/readjob.h).
 *
 * How each DA protocol reports a storage read error, and what is left of the
 * session after it:
 * - legacy (da-legacy.md §4.9 READ_CMD): the only documented error path is
 *   the reply to the parameter block: A5 instead of 5A, the host's A5, a u32
 *   status.  lib/da/legacy.c reads all of it, so the DA is back in its
 *   command loop and the session goes on.  What a real DA does when the
 *   storage fails after its 5A (mid-stream) is not in the sources: the host
 *   sees a timeout or a bad packet checksum, and the stream is out of step
 *   [inferred].  Such an error is a lost link here: with opts.reconnect the
 *   session is replaced (a real device most likely needs a replug and a new
 *   DA), without it the job ends and a resume goes on from its journal.
 * - xflash (da-xflash.md §3.3): the XML engine sends the error as the
 *   chunk's status in place of the data and ends the transfer; where a V5 DA
 *   puts it is [unverified].  lib/da/xflash.c takes a status in place of a
 *   chunk as that, and the DA waits for the next command: the session goes
 *   on.  A status after a chunk (the other reading of §3.3) also leaves it in
 *   step (the host has read everything the DA sent).
 * So MTK_E_STATUS from mtk_da_read is "this range failed, the session is
 * fine"; timeouts, protocol and checksum errors and disconnects mean the
 * session is gone. */
#include "mtkflash/readjob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "da/da_priv.h"
#include "mtkflash/util.h"
#include "verify/readjob_priv.h"

#define HOLE_BLOCK 4096u
#define VERIFY_BUF (1u << 20)
#define JOURNAL_MAX (64u << 20)

struct job {
	mtk_ctx *ctx;
	struct mtk_da *da;
	const char *what;
	enum mtk_region region;
	uint64_t off, len;
	uint32_t chunk, unit;
	unsigned retries;
	const struct mtk_read_job_opts *o;
	struct mtk_read_job_result *res;
	char *out, *part, *journal;
	int fd, jfd;
	EVP_MD_CTX *total, *piece, *snap_total, *snap_piece;
	uint64_t base;     /* job-relative offset of the DA read in flight */
	uint64_t zero_try; /* hole bytes of the read in flight */
	uint64_t stored_try; /* bytes it wrote to the file */
	size_t bad_cap;
	mtk_progress_fn user_fn;
	void *user_arg;
	bool relayed; /* our relay_progress is installed on the context */
};

char *mtk_read_job_journal_path(const char *out_path)
{
	return mtk_str_concat(out_path, ".rdjournal");
}

char *mtk_read_job_part_path(const char *out_path)
{
	return mtk_str_concat(out_path, ".part");
}

uint32_t mtk_read_job_coverage_ppm(const struct mtk_read_job_result *res)
{
	if (!res->bytes_total)
		return 1000000;
	return (uint32_t)((res->bytes_total - res->bytes_bad) * 1000000.0 / (double)res->bytes_total);
}

void mtk_read_job_result_free(struct mtk_read_job_result *res)
{
	free(res->bad);
	res->bad = NULL;
	res->nbad = 0;
}

/* ------------------------------------------------------------ the sink */

/* Non-zero blocks are written in runs; zero blocks are skipped (the file
 * is sparse past what was truncated away, so they read back as zeros). */
static int store(struct job *j, uint64_t at, const uint8_t *buf, size_t len)
{
	j->stored_try += len; /* an upper bound is enough: it only says whether to clean up */
	size_t run = 0, i = 0;
	while (i < len) {
		size_t k = len - i < HOLE_BLOCK ? len - i : HOLE_BLOCK;
		if (mtk_all_zero(buf + i, k)) {
			int rc = run ? mtk_pwrite_all(j->ctx, j->fd, buf + i - run, run, at + i - run, j->part) : 0;
			if (rc < 0)
				return rc;
			run = 0;
			j->zero_try += k;
		} else {
			run += k;
		}
		i += k;
	}
	return run ? mtk_pwrite_all(j->ctx, j->fd, buf + len - run, run, at + len - run, j->part) : 0;
}

static int hash(struct job *j, const uint8_t *buf, size_t len)
{
	if (EVP_DigestUpdate(j->total, buf, len) != 1 || EVP_DigestUpdate(j->piece, buf, len) != 1)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->what);
	return 0;
}

static int job_sink(void *user, uint64_t offset, const uint8_t *buf, size_t len)
{
	struct job *j = user;
	int rc = store(j, j->base + offset, buf, len);
	return rc < 0 ? rc : hash(j, buf, len);
}

static void relay_progress(void *user, const char *what, uint64_t done, uint64_t total)
{
	struct job *j = user;
	(void)total;
	if (j->user_fn)
		j->user_fn(j->user_arg, what, j->base + done, j->len);
}

/* ------------------------------------------------------- one DA read */

static bool storage_error(int rc)
{
	return rc == MTK_E_STATUS;
}

static bool link_error(int rc)
{
	return rc == MTK_E_DISCONNECTED || rc == MTK_E_TIMEOUT || rc == MTK_E_PROTO || rc == MTK_E_VERIFY;
}

static const uint8_t zeros[HOLE_BLOCK];

/* Zeros again where an attempt that failed may have written: a retry skips
 * the zero blocks it reads, so they must already be zeros in the file. */
static int zero_range(struct job *j, uint64_t rel, uint64_t len)
{
	if (fallocate(j->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)rel, (off_t)len) == 0)
		return 0;
	for (uint64_t d = 0; d < len; d += HOLE_BLOCK) {
		size_t k = len - d < HOLE_BLOCK ? (size_t)(len - d) : HOLE_BLOCK;
		int rc = mtk_pwrite_all(j->ctx, j->fd, zeros, k, rel + d, j->part);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A failed attempt must leave no trace in the hashes: they go back to where
 * they stood before it. */
static int attempt(struct job *j, uint64_t rel, uint64_t len)
{
	if (EVP_MD_CTX_copy_ex(j->snap_total, j->total) != 1 || EVP_MD_CTX_copy_ex(j->snap_piece, j->piece) != 1)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->what);
	j->base = rel;
	j->zero_try = j->stored_try = 0;
	int rc = mtk_da_read(j->da, j->what, j->region, j->off + rel, len, job_sink, j);
	if (rc == 0) {
		j->res->bytes_read += len;
		j->res->bytes_zero += j->zero_try;
		return 0;
	}
	if (EVP_MD_CTX_copy_ex(j->total, j->snap_total) != 1 || EVP_MD_CTX_copy_ex(j->piece, j->snap_piece) != 1)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->what);
	int zrc = j->stored_try ? zero_range(j, rel, len) : 0;
	return zrc < 0 ? zrc : rc;
}

/* The session is gone: a new one from the caller, then the same range again. */
static int reconnect(struct job *j, int rc)
{
	unsigned max = j->o && j->o->max_reconnects ? j->o->max_reconnects : 3;
	if (!j->o || !j->o->reconnect || j->res->reconnects >= max)
		return rc;
	mtk_warn(j->ctx, "%s: %s; reconnecting (%u of %u)", j->what, mtk_ctx_error(j->ctx), j->res->reconnects + 1,
		 max);
	mtk_ctx_clear_error(j->ctx);
	int r2 = j->o->reconnect(j->o->reconnect_user, &j->da);
	if (r2 < 0)
		return r2;
	j->res->reconnects++;
	return 1;
}

static int add_bad(struct job *j, uint64_t rel, uint64_t len)
{
	struct mtk_read_job_result *r = j->res;
	uint64_t at = j->off + rel;
	if (r->nbad && r->bad[r->nbad - 1].off + r->bad[r->nbad - 1].len == at) {
		r->bad[r->nbad - 1].len += len;
		return 0;
	}
	int rc = mtk_rj_grow(j->ctx, (void **)&r->bad, &j->bad_cap, r->nbad + 1, sizeof *r->bad);
	if (rc < 0)
		return rc;
	r->bad[r->nbad++] = (struct mtk_read_bad_range){ at, len };
	return 0;
}

/* The unit stays zeros in the file (zero_range ran after its failed attempt). */
static int skip_bad(struct job *j, uint64_t rel, uint64_t len)
{
	mtk_warn(j->ctx, "%s: 0x%llx bytes at 0x%llx of %s unreadable (%s): skipped, left as zeros", j->what,
		 (unsigned long long)len, (unsigned long long)(j->off + rel), mtk_region_name(j->region),
		 mtk_ctx_error(j->ctx));
	mtk_ctx_clear_error(j->ctx);
	for (uint64_t d = 0; d < len; d += HOLE_BLOCK) {
		size_t k = len - d < HOLE_BLOCK ? (size_t)(len - d) : HOLE_BLOCK;
		int rc = hash(j, zeros, k);
		if (rc < 0)
			return rc;
	}
	j->res->bytes_bad += len;
	return add_bad(j, rel, len);
}

/* One read; a lost session is replaced (opts.reconnect) and the read tried again. */
static int try_read(struct job *j, uint64_t rel, uint64_t len)
{
	for (;;) {
		int rc = attempt(j, rel, len);
		if (!link_error(rc) || (rc = reconnect(j, rc)) <= 0)
			return rc;
	}
}

/* A smallest unit: a few more tries, then it is skipped. */
static int read_unit(struct job *j, uint64_t rel, uint64_t len)
{
	for (unsigned t = 0; t < j->retries; t++) {
		mtk_ctx_clear_error(j->ctx);
		int rc = try_read(j, rel, len);
		if (rc == 0 || !storage_error(rc))
			return rc;
		j->res->retries++;
	}
	return skip_bad(j, rel, len);
}

/* A failed range is read again in halves (on unit boundaries), down to the
 * smallest unit: one bad sector costs a few reads, not the whole chunk. */
static int read_span(struct job *j, uint64_t rel, uint64_t len)
{
	int rc = try_read(j, rel, len);
	if (rc == 0 || !storage_error(rc) || (j->o && j->o->no_retry))
		return rc;
	j->res->retries++;
	mtk_dbg(j->ctx, "%s: retrying 0x%llx bytes at 0x%llx in smaller pieces (%s)", j->what,
		(unsigned long long)len, (unsigned long long)(j->off + rel), mtk_ctx_error(j->ctx));
	mtk_ctx_clear_error(j->ctx);
	if (len <= j->unit)
		return read_unit(j, rel, len);
	uint64_t half = (len / 2 + j->unit - 1) / j->unit * j->unit;
	if ((rc = read_span(j, rel, half)) < 0)
		return rc;
	return read_span(j, rel + half, len - half);
}

/* ------------------------------------------------------------ journal */

static int append(struct job *j, const char *text, size_t len)
{
	int rc = mtk_write_all(j->ctx, j->jfd, text, len, j->journal);
	if (rc == 0 && fsync(j->jfd) != 0)
		rc = mtk_fail(j->ctx, MTK_E_IO, "writing %s: %s", j->journal, strerror(errno));
	return rc;
}

/* The line that vouches for a chunk, after its data.  Neither is fsynced
 * here, and the data is only pushed towards the disk (writeback started, not
 * waited for): an fdatasync per chunk would hold the link idle for as long
 * as the disk takes, and an fsync of the journal as long as the file system
 * takes to commit the chunk's block allocations (ext4: 13-17 ms per 32 MiB
 * chunk measured, 2 % of a high-speed read, where a commit with none takes
 * 0.5 ms).  The journal's word is never taken on trust anyway: a resume
 * re-hashes every chunk, so a line a power cut lost, or kept without its
 * data, only means that chunk is read again; the kernel commits within
 * seconds.  OUT.part is fsynced whole before its rename. */
static int journal_chunk(struct job *j, uint64_t rel, uint64_t len, size_t first_bad, const uint8_t sha[32])
{
	(void)sync_file_range(j->fd, (off_t)rel, (off_t)len, SYNC_FILE_RANGE_WRITE); /* a hint: failure is harmless */
	size_t nb = j->res->nbad - first_bad, cap = (nb + 2) * 48 + 80, n = 0;
	char *t = malloc(cap);
	if (!t)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "out of memory for the journal");
	/* The range before first_bad may have been merged with this chunk's first. */
	for (size_t i = first_bad ? first_bad - 1 : 0; i < j->res->nbad; i++) {
		const struct mtk_read_bad_range *b = &j->res->bad[i];
		uint64_t from = b->off - j->off, to = from + b->len;
		from = from < rel ? rel : from;
		to = to > rel + len ? rel + len : to;
		if (from < to)
			n += (size_t)snprintf(t + n, cap - n, "b %llx %llx\n", (unsigned long long)from,
					      (unsigned long long)(to - from));
	}
	char hex[65];
	mtk_hex_encode(hex, sha, 32);
	n += (size_t)snprintf(t + n, cap - n, "c %llx %llx %s\n", (unsigned long long)rel, (unsigned long long)len,
			      hex);
	int rc = mtk_write_all(j->ctx, j->jfd, t, n, j->journal);
	free(t);
	return rc;
}

static int open_private(struct job *j, const char *path, int flags, int *fd)
{
	*fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		return mtk_fail(j->ctx, MTK_E_IO, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode))
		return mtk_fail(j->ctx, MTK_E_IO, "%s is not a regular file", path);
	return 0;
}

static int start_fresh(struct job *j)
{
	if (unlink(j->part) != 0 && errno != ENOENT)
		return mtk_fail(j->ctx, MTK_E_IO, "cannot remove %s: %s", j->part, strerror(errno));
	if (unlink(j->journal) != 0 && errno != ENOENT)
		return mtk_fail(j->ctx, MTK_E_IO, "cannot remove %s: %s", j->journal, strerror(errno));
	int rc = open_private(j, j->part, O_RDWR | O_CREAT | O_EXCL, &j->fd);
	if (rc == 0)
		rc = open_private(j, j->journal, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, &j->jfd);
	if (rc < 0)
		return rc;
	char h[160];
	int n = snprintf(h, sizeof h, MTK_RJ_MAGIC " %s %llx %llx %x\n", mtk_region_name(j->region),
			 (unsigned long long)j->off, (unsigned long long)j->len, j->chunk);
	rc = append(j, h, (size_t)n);
	if (rc == 0)
		mtk_fsync_parent(j->journal);
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* ------------------------------------------------------------- resume */

static int hash_file_range(struct job *j, uint8_t *buf, uint64_t rel, uint64_t len, bool *same,
			   const uint8_t want[32])
{
	if (EVP_DigestInit_ex(j->piece, EVP_sha256(), NULL) != 1 || EVP_MD_CTX_copy_ex(j->snap_total, j->total) != 1)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->part);
	j->zero_try = 0;
	for (uint64_t d = 0; d < len;) {
		size_t k = len - d < VERIFY_BUF ? (size_t)(len - d) : VERIFY_BUF;
		ssize_t got = pread(j->fd, buf, k, (off_t)(rel + d));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return mtk_fail(j->ctx, MTK_E_IO, "reading %s: %s", j->part, strerror(errno));
		if (got == 0) /* zero blocks at the end were never written: holes to be */
			memset(buf, 0, k), got = (ssize_t)k;
		for (size_t z = 0; z < (size_t)got; z += HOLE_BLOCK)
			if (mtk_all_zero(buf + z, (size_t)got - z < HOLE_BLOCK ? (size_t)got - z : HOLE_BLOCK))
				j->zero_try += (size_t)got - z < HOLE_BLOCK ? (size_t)got - z : HOLE_BLOCK;
		if (hash(j, buf, (size_t)got) < 0)
			return MTK_E_NOMEM;
		d += (uint64_t)got;
	}
	uint8_t md[32];
	unsigned mdlen = 0;
	if (EVP_DigestFinal_ex(j->piece, md, &mdlen) != 1)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->part);
	*same = memcmp(md, want, 32) == 0;
	if (!*same && EVP_MD_CTX_copy_ex(j->total, j->snap_total) != 1)
		return MTK_E_NOMEM;
	return 0;
}

static int journal_matches(struct job *j, const struct mtk_rj_journal *jr)
{
	if (!(j->o && j->o->chunk))
		j->chunk = jr->chunk; /* the default may have been another one when the read began */
	if (j->unit > j->chunk)
		j->unit = j->chunk;
	if (jr->region == j->region && jr->off == j->off && jr->len == j->len && jr->chunk == j->chunk)
		return 0;
	return mtk_fail(j->ctx, MTK_E_INVAL, "%s belongs to another read (%s 0x%llx+0x%llx, chunk 0x%x): remove it, "
			"or start over with --force", j->journal, mtk_region_name(jr->region),
			(unsigned long long)jr->off, (unsigned long long)jr->len, jr->chunk);
}

/* Re-hashes every chunk the journal lists; the first that no longer matches
 * and everything after it is read again.  Returns the resume offset. */
static int verify_chunks(struct job *j, const struct mtk_rj_journal *jr, size_t *kept)
{
	uint8_t *buf = malloc(VERIFY_BUF);
	if (!buf)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "out of memory");
	int rc = 0;
	size_t i = 0;
	for (; i < jr->n; i++) {
		bool same = false;
		if ((rc = hash_file_range(j, buf, jr->c[i].off, jr->c[i].len, &same, jr->c[i].sha256)) < 0)
			break;
		if (!same) {
			mtk_warn(j->ctx, "%s: chunk at 0x%llx no longer matches its journal entry: reading again from there",
				 j->part, (unsigned long long)(j->off + jr->c[i].off));
			break;
		}
		uint64_t bad = 0;
		for (size_t b = 0; b < jr->c[i].nbad && rc == 0; b++) {
			const struct mtk_read_bad_range *r = &jr->bad[jr->c[i].first_bad + b];
			bad += r->len;
			rc = add_bad(j, r->off, r->len);
		}
		j->res->bytes_bad += bad;
		j->res->bytes_zero += j->zero_try > bad ? j->zero_try - bad : 0;
		j->res->bytes_resumed += jr->c[i].len;
	}
	free(buf);
	*kept = i;
	return rc;
}

/* Cuts the journal after the last good chunk and the data after its end, so
 * no stale byte of an earlier attempt survives in a block read as zeros. */
static int cut_to(struct job *j, const struct mtk_rj_journal *jr, size_t kept, uint64_t *from)
{
	size_t text_end = kept ? jr->c[kept - 1].text_end : jr->header_end;
	*from = kept ? jr->c[kept - 1].off + jr->c[kept - 1].len : 0;
	if (ftruncate(j->jfd, (off_t)text_end) != 0 || fsync(j->jfd) != 0)
		return mtk_fail(j->ctx, MTK_E_IO, "writing %s: %s", j->journal, strerror(errno));
	if (ftruncate(j->fd, (off_t)*from) != 0)
		return mtk_fail(j->ctx, MTK_E_IO, "writing %s: %s", j->part, strerror(errno));
	return 0;
}

static int resume(struct job *j, uint64_t *from)
{
	uint8_t *text = NULL;
	size_t tlen = 0;
	bool absent = false;
	int rc = mtk_read_small_file(j->ctx, j->journal, JOURNAL_MAX, &text, &tlen, &absent);
	if (rc < 0 && absent) {
		mtk_ctx_clear_error(j->ctx);
		mtk_info(j->ctx, "%s: no journal, reading from the start", j->what);
		*from = 0;
		return start_fresh(j);
	}
	if (rc < 0)
		return rc;
	struct mtk_rj_journal jr;
	rc = mtk_rj_parse(j->ctx, j->journal, text, tlen, &jr);
	free(text);
	if (rc < 0)
		return rc;
	size_t kept = 0;
	if ((rc = journal_matches(j, &jr)) == 0 && (rc = open_private(j, j->part, O_RDWR | O_CREAT, &j->fd)) == 0 &&
	    (rc = open_private(j, j->journal, O_WRONLY | O_APPEND, &j->jfd)) == 0 &&
	    (rc = verify_chunks(j, &jr, &kept)) == 0)
		rc = cut_to(j, &jr, kept, from);
	if (rc == 0)
		mtk_info(j->ctx, "%s: resuming at 0x%llx (%zu chunk(s) on disk verified)", j->what,
			 (unsigned long long)(j->off + *from), kept);
	mtk_rj_free(&jr);
	return rc;
}

/* ------------------------------------------------------------ the job */

static void report(struct job *j, uint64_t done)
{
	if (j->o && j->o->progress)
		j->o->progress(j->o->progress_user, done, j->len, j->res->bytes_bad);
}

static int read_chunk(struct job *j, uint64_t rel)
{
	uint64_t len = j->len - rel < j->chunk ? j->len - rel : j->chunk;
	size_t first_bad = j->res->nbad;
	if (EVP_DigestInit_ex(j->piece, EVP_sha256(), NULL) != 1)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->what);
	int rc = read_span(j, rel, len);
	uint8_t md[32];
	unsigned mdlen = 0;
	if (rc == 0 && EVP_DigestFinal_ex(j->piece, md, &mdlen) != 1)
		rc = mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->what);
	if (rc == 0)
		rc = journal_chunk(j, rel, len, first_bad, md);
	return rc;
}

/* fsync and rename OUT.part to OUT (refusing a file that appeared meanwhile
 * unless forced), then the journal goes: it vouches for nothing any more. */
static int finish(struct job *j)
{
	if (ftruncate(j->fd, (off_t)j->len) != 0)
		return mtk_fail(j->ctx, MTK_E_IO, "writing %s: %s", j->part, strerror(errno));
	struct mtk_outfile of = { .fd = j->fd, .path = strdup(j->out), .tmp = strdup(j->part), .ctx = j->ctx,
				  .flags = MTK_OUT_PRIVATE | (j->o && j->o->force ? MTK_OUT_FORCE : 0) };
	j->fd = -1;
	if (!of.path || !of.tmp) {
		/* keep OUT.part: abort would remove it with the whole read */
		close(of.fd);
		free(of.path);
		free(of.tmp);
		return mtk_fail(j->ctx, MTK_E_NOMEM, "out of memory");
	}
	int rc = mtk_outfile_commit(&of);
	if (rc < 0)
		return rc;
	unlink(j->journal);
	mtk_fsync_parent(j->journal);
	j->res->complete = true;
	return 0;
}

static int check_final(struct job *j)
{
	struct stat st;
	if (lstat(j->out, &st) != 0)
		return errno == ENOENT ? 0 : mtk_fail(j->ctx, MTK_E_IO, "%s: %s", j->out, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return mtk_fail(j->ctx, MTK_E_IO, "%s is a symbolic link: refusing to write through it", j->out);
	if (!S_ISREG(st.st_mode))
		return mtk_fail(j->ctx, MTK_E_IO, "%s exists and is not a regular file", j->out);
	if (!(j->o && j->o->force))
		return mtk_fail(j->ctx, MTK_E_IO, "%s already exists, not overwriting it (see --force)", j->out);
	return 0;
}

static int open_outputs(struct job *j, uint64_t *from)
{
	int rc = check_final(j);
	if (rc < 0)
		return rc;
	*from = 0;
	if (j->o && j->o->resume)
		return resume(j, from);
	if (!(j->o && j->o->force) && (exists(j->journal) || exists(j->part)))
		return mtk_fail(j->ctx, MTK_E_IO, "%s is there from an earlier read of %s: continue it with --resume, "
				"or start over with --force", exists(j->journal) ? j->journal : j->part, j->out);
	return start_fresh(j);
}

static int setup(struct job *j)
{
	const struct mtk_read_job_opts *o = j->o;
	j->chunk = o && o->chunk ? o->chunk
		   : mtk_da_storage(j->da)->usb_speed ? MTK_READ_JOB_CHUNK : MTK_READ_JOB_CHUNK_SLOW;
	j->unit = o && o->min_unit ? o->min_unit : MTK_READ_JOB_UNIT;
	j->retries = o && o->retries ? o->retries : MTK_READ_JOB_RETRIES;
	if (j->chunk % 512 || j->unit % 512 || j->unit > j->chunk || j->chunk > 0x40000000u)
		return mtk_fail(j->ctx, MTK_E_INVAL, "read job: chunk 0x%x and unit 0x%x must be multiples of 512, "
				"unit <= chunk <= 1 GiB", j->chunk, j->unit);
	uint64_t end, size = mtk_da_region_size(j->da, j->region);
	if (j->len == 0 || mtk_add_overflows(j->off, j->len, &end) || (size && end > size))
		return mtk_fail(j->ctx, MTK_E_RANGE, "%s: 0x%llx bytes at 0x%llx do not fit %s (0x%llx bytes)", j->what,
				(unsigned long long)j->len, (unsigned long long)j->off, mtk_region_name(j->region),
				(unsigned long long)size);
	j->journal = mtk_read_job_journal_path(j->out);
	j->part = mtk_read_job_part_path(j->out);
	j->total = EVP_MD_CTX_new();
	j->piece = EVP_MD_CTX_new();
	j->snap_total = EVP_MD_CTX_new();
	j->snap_piece = EVP_MD_CTX_new();
	if (!j->journal || !j->part || !j->total || !j->piece || !j->snap_total || !j->snap_piece ||
	    EVP_DigestInit_ex(j->total, EVP_sha256(), NULL) != 1 || EVP_DigestInit_ex(j->piece, EVP_sha256(), NULL) != 1)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "out of memory");
	return 0;
}

static void teardown(struct job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->jfd >= 0)
		close(j->jfd);
	free(j->journal);
	free(j->part);
	free(j->out);
	EVP_MD_CTX_free(j->total);
	EVP_MD_CTX_free(j->piece);
	EVP_MD_CTX_free(j->snap_total);
	EVP_MD_CTX_free(j->snap_piece);
	if (j->relayed)
		mtk_ctx_set_progress(j->ctx, j->user_fn, j->user_arg);
}

static int run(struct job *j)
{
	uint64_t rel = 0;
	int rc = open_outputs(j, &rel);
	report(j, rel);
	while (rc == 0 && rel < j->len) {
		if (mtk_cancelled(j->ctx))
			return mtk_fail(j->ctx, MTK_E_INTERRUPTED, "%s: interrupted at 0x%llx of 0x%llx bytes (--resume "
					"goes on from there)", j->what, (unsigned long long)rel, (unsigned long long)j->len);
		rc = read_chunk(j, rel);
		if (rc == 0) {
			rel += j->len - rel < j->chunk ? j->len - rel : j->chunk;
			report(j, rel);
		}
	}
	unsigned mdlen = 0;
	if (rc == 0 && EVP_DigestFinal_ex(j->total, j->res->sha256, &mdlen) != 1)
		rc = mtk_fail(j->ctx, MTK_E_NOMEM, "hashing %s", j->what);
	if (rc == 0)
		rc = finish(j);
	return rc;
}

int mtk_read_job(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		 const char *out_path, const struct mtk_read_job_opts *o, struct mtk_read_job_result *res)
{
	memset(res, 0, sizeof *res);
	res->bytes_total = len;
	struct job j = { .ctx = da->ctx, .da = da, .what = what, .region = r, .off = off, .len = len, .o = o,
			 .res = res, .fd = -1, .jfd = -1, .out = strdup(out_path) };
	if (!j.out)
		return mtk_fail(da->ctx, MTK_E_NOMEM, "out of memory");
	int rc = setup(&j);
	if (rc == 0) {
		/* The DA reports progress per read; the user sees the whole job. */
		mtk_ctx_get_progress(j.ctx, &j.user_fn, &j.user_arg);
		mtk_ctx_set_progress(j.ctx, relay_progress, &j);
		j.relayed = true;
		rc = run(&j);
	}
	teardown(&j);
	if (rc < 0 && res->bad) /* the map stays: it tells how far the read got */
		mtk_dbg(da->ctx, "%s: %zu bad range(s) so far", what, res->nbad);
	return rc < 0 ? rc : res->nbad ? MTK_READ_JOB_BAD_RANGES : 0;
}
