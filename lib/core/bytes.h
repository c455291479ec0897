/* SPDX-License-Identifier: MIT */
/* Byte order helpers and a bounds-checked reader.
 *
 * Raw get/put functions assume the caller has checked the length.  Parsers of
 * untrusted input use struct mtk_rd instead: every read checks the remaining
 * length, and a short read sets `bad` and returns 0, so a parser can read a
 * whole header and test `bad` once. */
#ifndef MTK_CORE_BYTES_H
#define MTK_CORE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtkflash/util.h" /* mtk_hex_encode */

static inline uint16_t mtk_get_u16le(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint16_t mtk_get_u16be(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t mtk_get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint32_t mtk_get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline uint64_t mtk_get_u64le(const uint8_t *p)
{
	return (uint64_t)mtk_get_u32le(p) | (uint64_t)mtk_get_u32le(p + 4) << 32;
}
static inline uint64_t mtk_get_u64be(const uint8_t *p)
{
	return (uint64_t)mtk_get_u32be(p) << 32 | (uint64_t)mtk_get_u32be(p + 4);
}

static inline void mtk_put_u16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void mtk_put_u16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void mtk_put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void mtk_put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void mtk_put_u64le(uint8_t *p, uint64_t v)
{
	mtk_put_u32le(p, (uint32_t)v);
	mtk_put_u32le(p + 4, (uint32_t)(v >> 32));
}
static inline void mtk_put_u64be(uint8_t *p, uint64_t v)
{
	mtk_put_u32be(p, (uint32_t)(v >> 32));
	mtk_put_u32be(p + 4, (uint32_t)v);
}

struct mtk_rd {
	const uint8_t *buf;
	size_t len;
	size_t off;
	bool bad; /* a read ran past the end */
};

static inline struct mtk_rd mtk_rd_init(const uint8_t *buf, size_t len)
{
	struct mtk_rd r = { buf, len, 0, false };
	return r;
}

static inline size_t mtk_rd_left(const struct mtk_rd *r) { return r->bad ? 0 : r->len - r->off; }

/* Returns a pointer to the next n bytes and advances, or NULL (and marks bad). */
static inline const uint8_t *mtk_rd_take(struct mtk_rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->buf + r->off;
	r->off += n;
	return p;
}

static inline bool mtk_rd_seek(struct mtk_rd *r, size_t off)
{
	if (off > r->len) {
		r->bad = true;
		return false;
	}
	r->off = off;
	return true;
}

static inline uint8_t mtk_rd_u8(struct mtk_rd *r)
{
	const uint8_t *p = mtk_rd_take(r, 1);
	return p ? p[0] : 0;
}
static inline uint16_t mtk_rd_u16le(struct mtk_rd *r)
{
	const uint8_t *p = mtk_rd_take(r, 2);
	return p ? mtk_get_u16le(p) : 0;
}
static inline uint16_t mtk_rd_u16be(struct mtk_rd *r)
{
	const uint8_t *p = mtk_rd_take(r, 2);
	return p ? mtk_get_u16be(p) : 0;
}
static inline uint32_t mtk_rd_u32le(struct mtk_rd *r)
{
	const uint8_t *p = mtk_rd_take(r, 4);
	return p ? mtk_get_u32le(p) : 0;
}
static inline uint32_t mtk_rd_u32be(struct mtk_rd *r)
{
	const uint8_t *p = mtk_rd_take(r, 4);
	return p ? mtk_get_u32be(p) : 0;
}
static inline uint64_t mtk_rd_u64le(struct mtk_rd *r)
{
	const uint8_t *p = mtk_rd_take(r, 8);
	return p ? mtk_get_u64le(p) : 0;
}
static inline bool mtk_rd_copy(struct mtk_rd *r, void *dst, size_t n)
{
	const uint8_t *p = mtk_rd_take(r, n);
	if (p)
		memcpy(dst, p, n);
	return p != NULL;
}

/* Checked arithmetic for sizes read from untrusted headers. */
static inline bool mtk_add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}
static inline bool mtk_mul_overflows(uint64_t a, uint64_t b, uint64_t *prod)
{
	return __builtin_mul_overflow(a, b, prod);
}

/* The value of one hex digit of either case, or -1. */
static inline int mtk_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
