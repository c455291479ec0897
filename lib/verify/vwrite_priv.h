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

#include "mtkflash/imagefile.h"

/* A run of RAW/FILL spans with no hole between them: one DA write. */
struct mtk_vw_range {
	uint64_t off, len; /* in the expanded image (= partition offset) */
	size_t span;       /* its first span */
	bool bad;          /* the last read-back differed */
	uint8_t sha256[32]; /* of its bytes as last written */
};

struct mtk_vw_image {
	int fd; /* -1 when none; closed by mtk_vw_image_free */
	uint64_t file_size;
	uint64_t expanded; /* bytes the image covers, holes included */
	struct mtk_sparse_span *spans;
	size_t nspans;
	struct mtk_vw_range *ranges;
	size_t nranges;
	uint64_t data_bytes; /* sum of the ranges */
	size_t cursor;       /* span of the last fill: reads go forward */
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

#endif
