/* SPDX-License-Identifier: MIT */
/* The image side of a verified write, apart from the device so it can be
 * tested alone: an image file as spans (one RAW span for a raw image, the
 * sparse map otherwise), the data ranges they make, and the expanded bytes
 * at any offset of a range, read from the file on demand. */
#ifndef MTK_VERIFY_VWRITE_PRIV_H
#define MTK_VERIFY_VWRITE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mtkflash/imagefile.h"
#include "mtkflash/util.h"
#include "mtkflash/vwrite.h"

/* A run of RAW/FILL spans with no hole between them: one DA write. */
struct mtk_vw_range {
	uint64_t off, len; /* in the expanded image (= partition offset) */
	size_t span;       /* its first span */
	bool bad;          /* the last read-back differed */
};

struct mtk_vw_image {
	int fd; /* -1 when none; closed by mtk_vw_image_free */
	uint64_t file_size;
	struct timespec mtime; /* a rewrite in place keeps the size, not the time */
	uint64_t expanded; /* bytes the image covers, holes included */
	struct mtk_sparse_span *spans;
	size_t nspans;
	struct mtk_vw_range *ranges;
	size_t nranges;
	uint64_t data_bytes; /* sum of the ranges */
	size_t cursor;       /* span of the last fill: reads go forward */
	/* While set, the file's SHA-256, fed in file order by the fills (and
	 * the bytes between what they read) up to file_hashed. */
	EVP_MD_CTX *file_md;
	uint64_t file_hashed;
	/* While set, fills leave the file's SHA-256 to the next fill or to
	 * mtk_vw_image_hash_end, which read those bytes again (see
	 * struct mtk_vw's held_len). */
	bool hash_later;
};

void mtk_vw_image_init(struct mtk_vw_image *im);
void mtk_vw_image_free(struct mtk_vw_image *im);
/* A raw image: one RAW span over the whole file.  0 or MTK_E_NOMEM. */
int mtk_vw_image_raw(struct mtk_vw_image *im);
/* Ranges from the spans (sorted by out_off, as a map gives them).  0 or MTK_E_NOMEM. */
int mtk_vw_make_ranges(struct mtk_vw_image *im);

enum { MTK_VW_OK = 0, MTK_VW_SHORT, MTK_VW_HOLE, MTK_VW_ERRNO };
/* The expanded bytes [pos, pos+len): MTK_VW_OK; MTK_VW_SHORT when the file
 * ends first; MTK_VW_HOLE when part of it is no data span; MTK_VW_ERRNO
 * (errno says why) when the file cannot be read. */
int mtk_vw_image_fill(struct mtk_vw_image *im, uint64_t pos, uint8_t *buf, size_t len);
/* Starts the file's SHA-256 (0, or -1 without memory); the fills feed it. */
int mtk_vw_image_hash_begin(struct mtk_vw_image *im);
/* Feeds the rest of the file and puts the SHA-256 in out, once: MTK_VW_OK
 * (also when no hash was begun), MTK_VW_SHORT or MTK_VW_ERRNO. */
int mtk_vw_image_hash_end(struct mtk_vw_image *im, uint8_t out[32]);


/* Image bytes are staged in pieces of this size for the comparison: below
 * glibc's mmap threshold, so each partition's write reuses the previous
 * one's buffer instead of mapping (and faulting in) a fresh MiB. */
#define MTK_VW_SCRATCH (64u << 10)
/* The eMMC sector: the DA pads a write to it with zeros, so a sparse range
 * that is not a whole number of sectors would clobber the hole beside it. */
#define MTK_VW_SECTOR 512u

/* One verified write in progress (vwrite.c, vw_stash.c). */
struct mtk_vw {
	mtk_ctx *ctx;
	struct mtk_da *da;
	const struct mtk_vwrite_req *req;
	struct mtk_vwrite_result *res;
	struct mtk_vw_image img;
	uint8_t *scratch;
	/* the pass in progress */
	char what[96];
	uint64_t pass_base, pass_total;
	mtk_progress_fn user_fn;
	void *user_arg;
	struct mtk_vw_range *cur;
	uint64_t cur_done; /* bytes of cur sent or compared */
	EVP_MD_CTX *range_md; /* read pass: the image zero padded to sectors, once padding began */
	EVP_MD_CTX *total_md; /* the whole pass: image (write) or device (verify) */
	EVP_MD_CTX *old_md;   /* read pass: the device's bytes */
	EVP_MD_CTX *retry_md; /* first write: total_md before the range, for a range written again */
	bool first_write;     /* the first pass: its hash is the image's */
	/* A write's first packet is filled before its command goes out, with
	 * the link idle until it is ready: its bytes go into the hashes only
	 * when the next packet is filled or the last has gone out (read again
	 * from the page cache while the DA stores a packet).  Hashing it first
	 * kept the link idle 1.3 ms per MiB of first packet. */
	uint64_t held_off, held_len;
	size_t held_cursor;
	int held_rc; /* a failure of hashing it in the DA's idle time */
	bool padded;          /* read pass: range_md has split from total_md */
	bool hash_device;     /* verify pass: hash what the device sent (else it must equal the image) */
	bool any_bad;
	unsigned checks_before; /* the DA's check mask to restore */
	bool checks_set;        /* this write changed it (else it was already as asked) */
	unsigned rewrites_left; /* of req->retries, for ranges the DA's checks refused */
	/* read pass */
	uint8_t *differs; /* per MTK_VWRITE_SKIP_CHUNK of the partition */
	struct mtk_outfile stash;
	bool stash_open;
};

int mtk_vw_md_start(struct mtk_vw *v, EVP_MD_CTX **md);
int mtk_vw_md_add(struct mtk_vw *v, EVP_MD_CTX *md, const uint8_t *buf, size_t len);
int mtk_vw_md_end(struct mtk_vw *v, EVP_MD_CTX *md, uint8_t out[32]);
void mtk_vw_pass_begin(struct mtk_vw *v, const char *stage, uint64_t total);
/* The expanded image bytes, with an error naming the partition and offset. */
int mtk_vw_fill(struct mtk_vw *v, uint64_t pos, uint8_t *buf, size_t len);
/* Ends the file's SHA-256 into res->file_sha256 (a no-op once done): 0 or MTK_E_IO. */
int mtk_vw_file_hash_end(struct mtk_vw *v);
/* Stores device bytes at partition offset pos in the open stash: 4 KiB
 * blocks of zeros are left as holes.  0 or MTK_E_IO. */
int mtk_vw_stash_put(struct mtk_vw *v, uint64_t pos, const uint8_t *buf, size_t n);
/* read_first: read, stash, hash, compare; the ranges become what differs. */
int mtk_vw_read_pass(struct mtk_vw *v);

#endif
