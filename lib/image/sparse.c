/* SPDX-License-Identifier: MIT */
/* Android sparse images (formats.md §3), read as a stream.
 *
 * A sparse image can expand to tens of GiB, so nothing here holds more than
 * the caller's buffer (plus a small scratch buffer).  CRCs cover the
 * expanded data with DONT_CARE counted as zeros; holes and FILL chunks are
 * folded into the CRC arithmetically (CRC-32 is linear over GF(2)), so a
 * hostile 16 TiB hole costs microseconds, not hours. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"
#include "mtkflash/imagefile.h"

#define SPARSE_MAGIC    0xED26FF3Au
#define FILE_HDR_MIN    28u
#define CHUNK_HDR_MIN   12u
#define CHUNK_RAW       0xCAC1
#define CHUNK_FILL      0xCAC2
#define CHUNK_DONT_CARE 0xCAC3
#define CHUNK_CRC32     0xCAC4
#define SCRATCH_SIZE    (64 * 1024)
#define READ_MAX        (1u << 30)

/* ---- CRC-32 arithmetic (reflected polynomial 0xEDB88320) ---- */

/* a(x) * b(x) mod P in the reflected bit order, where bit 31 is x^0. */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
	uint32_t prod = 0;
	for (int k = 31; k >= 0; k--) {
		if (a >> k & 1)
			prod ^= b;
		b = b & 1 ? (b >> 1) ^ 0xEDB88320u : b >> 1;
	}
	return prod;
}

/* x^(8n) mod P: what appending n zero bytes does to the CRC register. */
static uint32_t x8n_mod(uint64_t n)
{
	uint32_t result = 1u << 31;     /* x^0 */
	uint32_t base = 1u << (31 - 8); /* x^8 */
	while (n) {
		if (n & 1)
			result = gf2_mulmod(result, base);
		base = gf2_mulmod(base, base);
		n >>= 1;
	}
	return result;
}

/* CRC of A||B from crc(A), crc(B) and |B| (both CRCs with the usual pre/post inversion). */
static uint32_t crc_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	return gf2_mulmod(x8n_mod(len_b), crc_a) ^ crc_b;
}

static uint32_t crc_zeros(uint32_t crc, uint64_t n)
{
	return ~gf2_mulmod(x8n_mod(n), ~crc);
}

/* CRC of a 4-byte pattern repeated `bytes / 4` times, by doubling.  The
 * piece doubles at every step, so x^(8 * its length) is the previous one
 * squared: one multiplication, not a fresh x8n_mod (which made a hostile
 * FILL chunk of 2^40 bytes cost thousands of them). */
static uint32_t crc_fill(uint32_t crc, uint32_t pattern, uint64_t bytes)
{
	uint8_t p[4];
	mtk_put_u32le(p, pattern);
	uint32_t piece = mtk_crc32_update(0, p, 4);
	uint32_t shift = x8n_mod(4); /* appending the piece */
	uint64_t reps = bytes / 4;
	uint32_t acc = 0;
	uint64_t acc_len = 0;
	for (uint64_t piece_len = 4; reps; piece_len *= 2) {
		if (reps & 1) {
			acc = gf2_mulmod(shift, acc) ^ piece;
			acc_len += piece_len;
		}
		reps >>= 1;
		if (reps) {
			piece = gf2_mulmod(shift, piece) ^ piece;
			shift = gf2_mulmod(shift, shift);
		}
	}
	return acc_len ? crc_combine(crc, acc, acc_len) : crc;
}

/* ---- sources ---- */

static int mem_read(void *user, uint8_t *buf, size_t len)
{
	struct mtk_sparse_mem *m = user;
	size_t n = m->len - m->off < len ? m->len - m->off : len;
	memcpy(buf, m->buf + m->off, n);
	m->off += n;
	return (int)n;
}

static int mem_skip(void *user, uint64_t len)
{
	struct mtk_sparse_mem *m = user;
	if (len > m->len - m->off)
		return MTK_E_RANGE;
	m->off += (size_t)len;
	return 0;
}

void mtk_sparse_src_mem(struct mtk_sparse_src *src, struct mtk_sparse_mem *m, const uint8_t *buf, size_t len)
{
	*m = (struct mtk_sparse_mem){buf, len, 0};
	*src = (struct mtk_sparse_src){mem_read, mem_skip, m};
}

static int fd_read(void *user, uint8_t *buf, size_t len)
{
	int fd = *(int *)user;
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0)
			return (int)n;
		if (errno != EINTR)
			return MTK_E_IO;
	}
}

/* lseek happily goes past the end: check, so a truncated file is caught
 * even when only the headers are read. */
static int fd_skip(void *user, uint64_t len)
{
	int fd = *(int *)user;
	struct stat st;
	off_t cur = lseek(fd, 0, SEEK_CUR);
	if (cur < 0 || fstat(fd, &st) < 0)
		return MTK_E_IO;
	if (S_ISREG(st.st_mode) && len > (uint64_t)(st.st_size > cur ? st.st_size - cur : 0))
		return MTK_E_RANGE;
	if (len > INT64_MAX - (uint64_t)cur)
		return MTK_E_RANGE;
	return lseek(fd, (off_t)len, SEEK_CUR) < 0 ? MTK_E_IO : 0;
}

void mtk_sparse_src_fd(struct mtk_sparse_src *src, int *fd)
{
	*src = (struct mtk_sparse_src){fd_read, fd_skip, fd};
}

/* ---- the reader ---- */

struct mtk_sparse_reader {
	mtk_ctx *ctx;
	struct mtk_sparse_src src;
	struct mtk_sparse_info info;
	uint32_t chunk_hdr_sz;
	uint32_t image_crc;
	bool headers_only; /* RAW payloads skipped: CRCs cannot be checked */
	int err;           /* sticky: once broken, always broken */
	bool done;
	uint64_t in_off; /* bytes consumed from the source */
	uint32_t next_chunk;
	uint64_t blocks; /* output blocks covered by the chunks read so far */
	uint32_t crc;    /* of the expanded output so far */
	/* the chunk being produced */
	bool in_chunk;
	enum mtk_sparse_kind kind;
	uint32_t chunk;
	uint64_t chunk_off; /* its header's offset in the file */
	uint64_t out_off;   /* next output byte */
	uint64_t left;      /* output bytes still to produce */
	uint64_t produced;  /* output bytes produced (for the fill phase) */
	uint32_t fill;
	uint64_t hole_left; /* mtk_sparse_read: zeros still owed */
	uint8_t *scratch;
};

const char *mtk_sparse_kind_name(enum mtk_sparse_kind k)
{
	static const char *const names[] = {"raw", "fill", "dont-care"};
	return (unsigned)k < 3 ? names[k] : "?";
}

bool mtk_is_sparse(const uint8_t *buf, size_t len)
{
	return len >= 4 && mtk_get_u32le(buf) == SPARSE_MAGIC;
}

static int fail(struct mtk_sparse_reader *r, int code, const char *what)
{
	r->err = mtk_fail(r->ctx, code, "sparse chunk %u (header at offset 0x%llx): %s", r->chunk,
	                  (unsigned long long)r->chunk_off, what);
	return r->err;
}

/* Exactly n bytes, or an error saying where the file ended. */
static int src_read(struct mtk_sparse_reader *r, uint8_t *buf, size_t n, const char *what)
{
	size_t got = 0;
	while (got < n) {
		size_t want = n - got < READ_MAX ? n - got : READ_MAX;
		int k = r->src.read(r->src.user, buf + got, want);
		if (k < 0) {
			r->err = mtk_fail(r->ctx, k, "sparse image: read error at offset 0x%llx",
			                  (unsigned long long)(r->in_off + got));
			return r->err;
		}
		if (k == 0) {
			r->err = mtk_fail(r->ctx, MTK_E_PARSE,
			                  "sparse image truncated: file ends at offset 0x%llx inside %s "
			                  "(chunk %u, header at "
			                  "offset 0x%llx), which needs 0x%zx more bytes",
			                  (unsigned long long)(r->in_off + got), what, r->chunk,
			                  (unsigned long long)r->chunk_off, n - got);
			return r->err;
		}
		got += (size_t)k;
	}
	r->in_off += n;
	return 0;
}

static int src_skip(struct mtk_sparse_reader *r, uint64_t n, const char *what)
{
	if (r->src.skip && r->headers_only) {
		int rc = r->src.skip(r->src.user, n);
		if (rc == MTK_E_RANGE) {
			r->err = mtk_fail(r->ctx, MTK_E_PARSE,
			                  "sparse image truncated: %s (chunk %u, header at offset 0x%llx) "
			                  "needs 0x%llx bytes "
			                  "from offset 0x%llx, past the end of the file",
			                  what, r->chunk, (unsigned long long)r->chunk_off,
			                  (unsigned long long)n, (unsigned long long)r->in_off);
			return r->err;
		}
		if (rc < 0) {
			r->err = mtk_fail(r->ctx, rc, "sparse image: cannot skip to offset 0x%llx",
			                  (unsigned long long)(r->in_off + n));
			return r->err;
		}
		r->in_off += n;
		return 0;
	}
	while (n) {
		size_t k = n < SCRATCH_SIZE ? (size_t)n : SCRATCH_SIZE;
		int rc = src_read(r, r->scratch, k, what);
		if (rc < 0)
			return rc;
		n -= k;
	}
	return 0;
}

static int read_file_header(struct mtk_sparse_reader *r)
{
	uint8_t h[FILE_HDR_MIN];
	r->chunk_off = 0;
	int rc = src_read(r, h, sizeof h, "the file header");
	if (rc < 0)
		return mtk_wrap(r->ctx, rc, "sparse header");
	const char *bad = NULL;
	uint16_t file_hdr_sz = mtk_get_u16le(h + 8);
	r->chunk_hdr_sz = mtk_get_u16le(h + 10);
	r->info.block_size = mtk_get_u32le(h + 12);
	r->info.total_blocks = mtk_get_u32le(h + 16);
	r->info.total_chunks = mtk_get_u32le(h + 20);
	r->image_crc = mtk_get_u32le(h + 24);
	r->info.has_crc = r->image_crc != 0;
	r->info.expanded_size = (uint64_t)r->info.block_size * r->info.total_blocks;
	if (mtk_get_u32le(h) != SPARSE_MAGIC)
		bad = "bad magic (expected 3A FF 26 ED)";
	else if (mtk_get_u16le(h + 4) != 1)
		bad = "major version is not 1";
	else if (file_hdr_sz < FILE_HDR_MIN)
		bad = "file_hdr_sz (offset 8) is less than 28";
	else if (r->chunk_hdr_sz < CHUNK_HDR_MIN)
		bad = "chunk_hdr_sz (offset 10) is less than 12";
	else if (r->info.block_size == 0 || r->info.block_size % 4)
		bad = "blk_sz (offset 12) is not a non-zero multiple of 4";
	if (bad) {
		r->err = mtk_fail(r->ctx, MTK_E_PARSE, "sparse header: %s", bad);
		return r->err;
	}
	return src_skip(r, file_hdr_sz - FILE_HDR_MIN, "the file header");
}

int mtk_sparse_open(mtk_ctx *ctx, const struct mtk_sparse_src *src, struct mtk_sparse_reader **out)
{
	*out = NULL;
	struct mtk_sparse_reader *r = calloc(1, sizeof *r);
	uint8_t *scratch = malloc(SCRATCH_SIZE);
	if (!r || !scratch) {
		free(r);
		free(scratch);
		return mtk_fail(ctx, MTK_E_NOMEM, "sparse reader");
	}
	r->ctx = ctx;
	r->src = *src;
	r->scratch = scratch;
	int rc = read_file_header(r);
	if (rc < 0) {
		mtk_sparse_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

const struct mtk_sparse_info *mtk_sparse_reader_info(const struct mtk_sparse_reader *r)
{
	return &r->info;
}

void mtk_sparse_close(struct mtk_sparse_reader *r)
{
	if (!r)
		return;
	free(r->scratch);
	free(r);
}

static int finish(struct mtk_sparse_reader *r)
{
	if (r->blocks != r->info.total_blocks) {
		r->err = mtk_fail(
		        r->ctx, MTK_E_PARSE,
		        "sparse image: the %u chunks cover %llu blocks, the header says total_blks %u",
		        r->info.total_chunks, (unsigned long long)r->blocks, r->info.total_blocks);
		return r->err;
	}
	if (r->image_crc && !r->headers_only && r->crc != r->image_crc) {
		r->err =
		        mtk_fail(r->ctx, MTK_E_VERIFY,
		                 "sparse image: CRC32 of the expanded data is 0x%08x, the header says 0x%08x",
		                 r->crc, r->image_crc);
		return r->err;
	}
	r->done = true;
	return 0;
}

static int check_crc_chunk(struct mtk_sparse_reader *r, uint32_t chunk_sz)
{
	uint8_t v[4];
	if (chunk_sz != 0)
		return fail(r, MTK_E_PARSE, "CRC32 chunk with non-zero chunk_sz");
	r->info.has_crc = true;
	int rc = src_read(r, v, 4, "a CRC32 chunk");
	if (rc < 0)
		return rc;
	if (!r->headers_only && mtk_get_u32le(v) != r->crc) {
		char msg[96];
		snprintf(msg, sizeof msg, "CRC32 chunk says 0x%08x, the data so far has 0x%08x",
		         mtk_get_u32le(v), r->crc);
		return fail(r, MTK_E_VERIFY, msg);
	}
	return 0;
}

/* The total_sz a chunk must have, by type; false for an unknown type. */
static bool expected_total(const struct mtk_sparse_reader *r, uint16_t type, uint32_t chunk_sz,
                           uint64_t *total)
{
	uint64_t h = r->chunk_hdr_sz;
	switch (type) {
	case CHUNK_RAW:
		*total = h + (uint64_t)chunk_sz * r->info.block_size;
		return true;
	case CHUNK_FILL:
	case CHUNK_CRC32:
		*total = h + 4;
		return true;
	case CHUNK_DONT_CARE:
		*total = h;
		return true;
	default:
		return false;
	}
}

static int start_chunk(struct mtk_sparse_reader *r, uint16_t type, uint32_t chunk_sz)
{
	if (r->blocks + chunk_sz > r->info.total_blocks)
		return fail(r, MTK_E_PARSE, "chunk runs past total_blks in the file header");
	r->kind = type == CHUNK_RAW    ? MTK_SPARSE_RAW
	          : type == CHUNK_FILL ? MTK_SPARSE_FILL
	                               : MTK_SPARSE_DONT_CARE;
	r->out_off = r->blocks * r->info.block_size;
	r->left = (uint64_t)chunk_sz * r->info.block_size;
	r->produced = 0;
	r->blocks += chunk_sz;
	if (type == CHUNK_FILL) {
		uint8_t v[4];
		int rc = src_read(r, v, 4, "a FILL chunk");
		if (rc < 0)
			return rc;
		r->fill = mtk_get_u32le(v);
	}
	r->in_chunk = r->left > 0;
	return 0;
}

/* Read chunk headers until one that produces output (CRC32 chunks are
 * checked on the way).  0 with !in_chunk means the image is finished. */
static int next_chunk(struct mtk_sparse_reader *r)
{
	while (!r->in_chunk) {
		if (r->next_chunk == r->info.total_chunks)
			return finish(r);
		r->chunk = r->next_chunk++;
		r->chunk_off = r->in_off;
		uint8_t h[CHUNK_HDR_MIN];
		int rc = src_read(r, h, sizeof h, "a chunk header");
		if (rc == 0)
			rc = src_skip(r, r->chunk_hdr_sz - CHUNK_HDR_MIN, "a chunk header");
		if (rc < 0)
			return rc;
		uint16_t type = mtk_get_u16le(h);
		uint32_t chunk_sz = mtk_get_u32le(h + 4);
		uint32_t total_sz = mtk_get_u32le(h + 8);
		uint64_t want;
		char msg[128];
		if (!expected_total(r, type, chunk_sz, &want)) {
			snprintf(msg, sizeof msg, "unknown chunk type 0x%04x", type);
			return fail(r, MTK_E_PARSE, msg);
		}
		if (total_sz != want) {
			snprintf(msg, sizeof msg,
			         "total_sz is %u, a type 0x%04x chunk of %u blocks needs %llu", total_sz,
			         type, chunk_sz, (unsigned long long)want);
			return fail(r, MTK_E_PARSE, msg);
		}
		rc = type == CHUNK_CRC32 ? check_crc_chunk(r, chunk_sz) : start_chunk(r, type, chunk_sz);
		if (rc < 0)
			return rc;
	}
	return 0;
}

MTK_NO_COVERAGE static void put_fill(uint8_t *buf, size_t n, uint32_t fill, uint64_t phase)
{
	uint8_t p[4];
	mtk_put_u32le(p, fill);
	for (size_t i = 0; i < n; i++)
		buf[i] = p[(phase + i) & 3];
}

/* Produce up to n bytes of the current chunk into buf (or account for them without data when buf is NULL). */
static int produce(struct mtk_sparse_reader *r, uint8_t *buf, uint64_t n)
{
	int rc = 0;
	switch (r->kind) {
	case MTK_SPARSE_RAW:
		if (buf) {
			rc = src_read(r, buf, (size_t)n, "RAW chunk data");
			if (rc == 0)
				r->crc = mtk_crc32_update(r->crc, buf, (size_t)n);
		} else if (r->headers_only) {
			rc = src_skip(r, n, "RAW chunk data");
		} else {
			for (uint64_t done = 0; rc == 0 && done < n;) {
				size_t k = n - done < SCRATCH_SIZE ? (size_t)(n - done) : SCRATCH_SIZE;
				rc = src_read(r, r->scratch, k, "RAW chunk data");
				if (rc == 0)
					r->crc = mtk_crc32_update(r->crc, r->scratch, k);
				done += k;
			}
		}
		break;
	case MTK_SPARSE_FILL:
		if (buf) {
			put_fill(buf, (size_t)n, r->fill, r->produced);
			r->crc = mtk_crc32_update(r->crc, buf, (size_t)n);
		} else if (((r->produced | n) & 3) == 0) {
			r->crc = crc_fill(r->crc, r->fill, n);
		} else {
			/* a chunk left mid-pattern by an earlier call with a buffer */
			for (uint64_t done = 0; done < n;) {
				size_t k = n - done < SCRATCH_SIZE ? (size_t)(n - done) : SCRATCH_SIZE;
				put_fill(r->scratch, k, r->fill, r->produced + done);
				r->crc = mtk_crc32_update(r->crc, r->scratch, k);
				done += k;
			}
		}
		break;
	case MTK_SPARSE_DONT_CARE:
		r->crc = crc_zeros(r->crc, n);
		break;
	}
	return rc;
}

int mtk_sparse_next(struct mtk_sparse_reader *r, uint8_t *buf, size_t cap, struct mtk_sparse_span *span)
{
	if (r->err)
		return r->err;
	if (buf && cap == 0)
		return mtk_fail(r->ctx, MTK_E_INVAL, "mtk_sparse_next: empty buffer");
	int rc = next_chunk(r);
	if (rc < 0 || !r->in_chunk)
		return rc;
	uint64_t n = r->left;
	if (buf && r->kind != MTK_SPARSE_DONT_CARE && n > cap)
		n = cap;
	uint64_t src_off = r->in_off;
	rc = produce(r, buf, n);
	if (rc < 0)
		return rc;
	*span = (struct mtk_sparse_span){.kind = r->kind,
	                                 .out_off = r->out_off,
	                                 .len = n,
	                                 .src_off = r->kind == MTK_SPARSE_RAW ? src_off : 0,
	                                 .fill = r->fill,
	                                 .chunk = r->chunk};
	if (r->kind != MTK_SPARSE_FILL)
		span->fill = 0;
	r->out_off += n;
	r->produced += n;
	r->left -= n;
	r->in_chunk = r->left > 0;
	return 1;
}

int mtk_sparse_read(struct mtk_sparse_reader *r, uint8_t *buf, size_t cap)
{
	if (cap > READ_MAX)
		cap = READ_MAX;
	for (;;) {
		if (r->hole_left) {
			size_t n = r->hole_left < cap ? (size_t)r->hole_left : cap;
			memset(buf, 0, n);
			r->hole_left -= n;
			return (int)n;
		}
		struct mtk_sparse_span s;
		int rc = mtk_sparse_next(r, buf, cap, &s);
		if (rc <= 0)
			return rc;
		if (s.kind != MTK_SPARSE_DONT_CARE)
			return (int)s.len;
		r->hole_left = s.len;
	}
}

int mtk_sparse_map(mtk_ctx *ctx, const struct mtk_sparse_src *src, struct mtk_sparse_span **out, size_t *n,
                   struct mtk_sparse_info *info)
{
	*out = NULL;
	*n = 0;
	struct mtk_sparse_reader *r;
	int rc = mtk_sparse_open(ctx, src, &r);
	if (rc < 0)
		return rc;
	r->headers_only = src->skip != NULL;
	/* total_chunks is untrusted: grow as chunks actually arrive. */
	size_t cap = 0;
	struct mtk_sparse_span *v = NULL, s;
	while ((rc = mtk_sparse_next(r, NULL, 0, &s)) == 1) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mtk_sparse_span *nv = realloc(v, ncap * sizeof *nv);
			if (!nv) {
				rc = mtk_fail(ctx, MTK_E_NOMEM, "sparse map");
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[(*n)++] = s;
	}
	if (rc == 0 && info)
		*info = r->info;
	mtk_sparse_close(r);
	if (rc < 0) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

int mtk_sparse_check(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_sparse_info *out)
{
	struct mtk_sparse_mem m;
	struct mtk_sparse_src src;
	mtk_sparse_src_mem(&src, &m, buf, len);
	src.skip = NULL; /* read every payload so CRCs are checked */
	struct mtk_sparse_reader *r;
	int rc = mtk_sparse_open(ctx, &src, &r);
	if (rc < 0)
		return rc;
	struct mtk_sparse_span s;
	while ((rc = mtk_sparse_next(r, NULL, 0, &s)) == 1)
		;
	if (rc == 0 && out)
		*out = r->info;
	mtk_sparse_close(r);
	return rc;
}
