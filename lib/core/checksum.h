/* SPDX-License-Identifier: MIT */
/* Checksums the MediaTek protocols and disk formats use. */
#ifndef MTK_CORE_CHECKSUM_H
#define MTK_CORE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* For straight byte loops (checksums, pattern fills) in fuzz builds: their
 * coverage says nothing (every byte takes the same path) but tracing each
 * comparison makes them the slowest part of a run.  No effect elsewhere. */
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(no_sanitize)
/* noinline: inlined into an instrumented caller, the body would be traced
 * after all.  MTK_NO_COVERAGE_INNER is for static helpers that only
 * MTK_NO_COVERAGE functions call: they may be inlined into them. */
#define MTK_NO_COVERAGE       __attribute__((no_sanitize("coverage"), noinline))
#define MTK_NO_COVERAGE_INNER __attribute__((no_sanitize("coverage")))
#endif
#endif
#ifndef MTK_NO_COVERAGE
#define MTK_NO_COVERAGE
#define MTK_NO_COVERAGE_INNER
#endif

/* XOR of the little-endian 16-bit words of a payload, as the BootROM computes
 * it for SEND_DA/SEND_CERT/SEND_AUTH.  Incremental: `*odd` carries a pending
 * low byte between calls when a chunk ends mid-word; start with state 0 and
 * *odd = -1.  An odd trailing byte counts as a word with a zero high byte. */
MTK_NO_COVERAGE uint16_t mtk_xor16_update(uint16_t state, int *odd, const uint8_t *buf, size_t len);
uint16_t mtk_xor16(const uint8_t *buf, size_t len);

/* CRC-32 (IEEE 802.3, reflected, as used by GPT and zlib).  Start with 0. */
MTK_NO_COVERAGE uint32_t mtk_crc32_update(uint32_t crc, const uint8_t *buf, size_t len);

/* 16-bit additive checksum of bytes (legacy DA per-packet checksum). */
MTK_NO_COVERAGE uint16_t mtk_sum16_update(uint16_t state, const uint8_t *buf, size_t len);

#endif
