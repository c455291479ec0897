/* SPDX-License-Identifier: MIT */
/* Inside the scatter parser: the three syntaxes (YAML-like lines, v1.0/OTA
 * address lines, XML) all feed one builder, which then selects a layout,
 * normalises it and validates it. */
#ifndef MTK_IMAGE_SCATTER_PRIV_H
#define MTK_IMAGE_SCATTER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "mtkflash/scatter.h"

#define SC_MAX_PARTS   4096 /* real files hold 20-130 records per layout */
#define SC_MAX_BLOCKS  8    /* storage_type blocks */
#define SC_MAX_KEY     64
#define SC_MAX_VALUE   4096
#define SC_MAX_UNKNOWN 16

enum sc_where {
	SC_TOP = 0,  /* before any header or record */
	SC_PLATFORM, /* inside "general: MTK_PLATFORM_CFG" */
	SC_BLOCK,    /* inside a storage_type block, before its records */
	SC_PART,     /* inside a partition record */
};

struct sc_block {
	enum mtk_storage_kind storage;
	char *boot_channel;
	uint64_t block_size;
	unsigned line;
};

/* Per-record bookkeeping the public struct does not need. */
struct sc_rec {
	unsigned block;
	uint32_t seen;                 /* bit per part_keys[] entry */
	enum mtk_storage_kind storage; /* the record's own `storage:` value */
};

struct sc_builder {
	mtk_ctx *ctx;
	const char *fname;
	struct mtk_scatter *s;

	enum mtk_storage_kind hdr_storage;
	char *hdr_boot_channel;
	uint64_t hdr_block_size;

	struct sc_block blocks[SC_MAX_BLOCKS];
	size_t nblocks;
	bool v2; /* saw storage_type */
	enum sc_where where;

	struct mtk_scatter_part *parts; /* every record of every block */
	struct sc_rec *recs;
	size_t count, cap;
	bool in_rec;

	char unknown[SC_MAX_UNKNOWN][SC_MAX_KEY]; /* keys already warned about */
	size_t nunknown;
};

/* One line of a text buffer, without its line terminator. */
struct sc_lines {
	struct mtk_rd rd;
	unsigned lineno;
};
void sc_lines_init(struct sc_lines *l, const uint8_t *buf, size_t len);
/* Next line with CR and trailing blanks removed; false at the end. */
bool sc_lines_next(struct sc_lines *l, const char **p, size_t *n);
/* Skip leading blanks (space, tab). */
void sc_trim_left(const char **p, size_t *n);
/* sc_lines_next() with leading blanks, and a UTF-8 BOM on line 1, removed. */
bool sc_lines_next_trimmed(struct sc_lines *l, const char **p, size_t *n);
/* The next line that is neither blank nor a '#' comment, trimmed as above;
 * false (and an empty line) at the end. */
bool sc_lines_next_meaningful(struct sc_lines *l, const char **p, size_t *n);

/* 0xFFFFnnnn (or a 64-bit 0xFFFF... prefix): an address counted from the
 * region's end in block_size units (formats.md §1.8). */
static inline bool sc_is_tail(uint64_t start, uint32_t *units)
{
	if (start <= 0xFFFFFFFFu && (start >> 16) == 0xFFFF) {
		*units = (uint32_t)(start & 0xFFFF);
		return true;
	}
	if ((start >> 48) == 0xFFFF) {
		*units = (uint32_t)(start & 0xFFFFFFFFu);
		return true;
	}
	*units = 0;
	return false;
}

bool sc_parse_u64(const char *s, size_t n, uint64_t *out);
bool sc_ieq(const char *a, const char *b);
bool sc_ieqn(const char *a, size_t n, const char *b);

/* Builder: every syntax reports "key: value" pairs in file order. */
int sc_key(struct sc_builder *b, const char *key, const char *val, unsigned line);
/* A record from a v1.0/OTA line. */
int sc_add_addr_record(struct sc_builder *b, const char *name, size_t n, uint64_t addr, unsigned line);
int sc_end_record(struct sc_builder *b);
int sc_note(struct sc_builder *b, enum mtk_severity sev, unsigned line, const char *part, const char *fmt,
            ...) __attribute__((format(printf, 5, 6)));
int sc_perr(struct sc_builder *b, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sc_oom(struct sc_builder *b);

/* The syntaxes. */
int sc_parse_yaml(struct sc_builder *b, const uint8_t *buf, size_t len);
int sc_parse_addr_lines(struct sc_builder *b, const uint8_t *buf, size_t len, bool braces);
int sc_parse_xml(struct sc_builder *b, const uint8_t *buf, size_t len);

/* v1.0/OTA: what the format leaves implicit (sizes, flags, regions). */
int sc_addr_finish(struct sc_builder *b, bool braces);

/* Normalisation shared by all syntaxes. */
void sc_normalise_part(struct mtk_scatter *s, struct mtk_scatter_part *p);
void sc_classify(struct mtk_scatter_part *p);
void sc_assign_offsets(struct mtk_scatter *s);
void sc_part_free(struct mtk_scatter_part *p);

#endif
