/* SPDX-License-Identifier: MIT */
/* Verified writes: one partition from an image file, then proof that the
 * device holds it.
 *
 * The image (raw, or an Android sparse image) is split into data ranges:
 * a raw image is one range; a sparse image's RAW and FILL chunks make
 * ranges and its DONT_CARE holes are never sent, so the device keeps what
 * it had there.  Each pass streams the image from disk in chunks and hashes
 * it (SHA-256): the write pass sends every range; the verify pass reads
 * every range back, compares it with the image byte for byte and hashes
 * both sides.  A range whose read-back differs is written again (req.retries
 * times) and everything is verified again; then a still-bad range fails with
 * MTK_E_VERIFY naming the partition and the first differing offset.
 *
 * The legacy DA checks each write packet's 16-bit sum and refuses a packet
 * that arrived damaged: that stops a bad write early, but only the read-back
 * proves what the storage holds, so it always runs.
 *
 * Progress goes to the context's progress callback as "write NAME" and
 * "verify NAME", with bytes done and the pass's total.  A cancellation
 * (mtk_ctx_set_cancel) stops at a DA command boundary with
 * MTK_E_INTERRUPTED; out->bytes_written then says how much was written. */
#ifndef MTKFLASH_VWRITE_H
#define MTKFLASH_VWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/da.h"
#include "mtkflash/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_vwrite_format {
	MTK_VWRITE_AUTO = 0, /* sparse when the file starts with the sparse magic */
	MTK_VWRITE_RAW,
	MTK_VWRITE_SPARSE,
};

/* A stretch of a partition a write covers, in partition offsets (rounded up
 * to the sector, as the DA pads the write). */
struct mtk_stash_range {
	uint64_t off, len;
};

struct mtk_vwrite_result;
/* Called after the read pass, before the first byte is written (not at all
 * when every chunk is already there): a non-zero return stops the write
 * (nothing written). */
typedef int (*mtk_vwrite_stashed_fn)(void *user, const struct mtk_vwrite_result *r);

struct mtk_vwrite_req {
	const char *partition; /* its name, for messages and progress */
	enum mtk_region region;
	uint64_t offset;  /* where the partition starts in the region */
	uint64_t max_len; /* the partition's size: the image must fit */
	const char *image; /* path of the image file */
	enum mtk_vwrite_format format;
	unsigned retries; /* rewrites of a range that fails its read-back (1 is usual) */
	/* The DA's own checks during the write (MTK_DA_CHECK_* of mtkflash/da.h),
	 * the fast first check: a chunk the DA finds damaged fails at once and
	 * its range is written again (within `retries`).  A DA without them
	 * (legacy) writes unchecked.  The host read-back follows in any case. */
	unsigned device_checks;
	/* Read first: the device's bytes over the ranges are read before
	 * anything is written; chunks of SKIP_CHUNK that already hold the new
	 * bytes are neither written nor verified again (they were just read). */
	bool read_first;
	const char *stash; /* with read_first: keep the old bytes in this new file (sparse, 0600) */
	mtk_vwrite_stashed_fn on_stashed;
	void *user;
	/* With read_first: stop after the read pass (and on_stashed): the old
	 * bytes are stashed and hashed, nothing is written. */
	bool stash_only;
};
#define MTK_VWRITE_SKIP_CHUNK (1u << 20)

struct mtk_vwrite_result {
	bool sparse;
	uint64_t file_bytes;     /* size of the image file */
	uint64_t data_bytes;     /* bytes the image puts on the device (sparse: RAW and FILL only) */
	uint32_t ranges;         /* data ranges (a raw image: 1) */
	uint64_t bytes_written;  /* sent to the device, rewrites included (also when failing) */
	uint64_t bytes_verified; /* read back and compared in the last verify pass */
	uint32_t rewrites;       /* ranges written again after a bad read-back */
	uint8_t file_sha256[32];     /* the image file as read (raw: equals image_sha256) */
	uint8_t image_sha256[32];    /* the data ranges, in order, as written */
	uint8_t readback_sha256[32]; /* the same ranges as read back from the device */
	unsigned device_checks; /* the DA checks in force during the write (0: none, or not supported) */
	uint32_t device_check_failures; /* chunks the DA's own checks refused */
	bool verified;          /* read-back equals the image */
	bool mismatch;          /* failed because the read-back differs (MTK_E_VERIFY) */
	uint64_t first_bad;     /* then: partition offset of the first differing byte */
	double seconds;         /* whole operation */
	double write_seconds, verify_seconds;
	double mb_per_s;        /* data_bytes / seconds, in 10^6 bytes per second */
	/* read_first */
	bool read_done;             /* the read pass ran to its end */
	bool stashed;               /* the stash file is complete */
	uint64_t bytes_read;        /* read before writing */
	uint64_t bytes_skipped;     /* image bytes already on the device: not written */
	uint8_t old_sha256[32];     /* the device's bytes over stash_ranges before the write */
	uint8_t new_sha256[32];     /* the image's bytes over stash_ranges (zero padded) */
	struct mtk_stash_range *stash_ranges; /* free with mtk_vwrite_result_free */
	size_t nstash_ranges;
	double read_seconds;
};

/* Write req->image into the partition and verify it.  0 when the device
 * holds the image exactly; otherwise a negative MTK_E_* with the context's
 * message naming the partition (and, for MTK_E_VERIFY, the offset), and
 * *out filled as far as the operation went. */
int mtk_vwrite(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_vwrite_req *req, struct mtk_vwrite_result *out);
void mtk_vwrite_result_free(struct mtk_vwrite_result *r);

#ifdef __cplusplus
}
#endif
#endif
