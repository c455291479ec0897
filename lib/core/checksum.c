/* SPDX-License-Identifier: MIT */
#include "core/checksum.h"

#include <pthread.h>
#include <string.h>

MTK_NO_COVERAGE uint16_t mtk_xor16_update(uint16_t state, int *odd, const uint8_t *buf, size_t len)
{
	size_t i = 0;
	if (*odd >= 0 && len > 0) {
		state ^= (uint16_t)(*odd | buf[0] << 8);
		*odd = -1;
		i = 1;
	}
	for (; i + 1 < len; i += 2)
		state ^= (uint16_t)(buf[i] | buf[i + 1] << 8);
	if (i < len)
		*odd = buf[i];
	return state;
}

uint16_t mtk_xor16(const uint8_t *buf, size_t len)
{
	int odd = -1;
	uint16_t s = mtk_xor16_update(0, &odd, buf, len);
	return odd >= 0 ? (uint16_t)(s ^ odd) : s;
}

/* Slicing by 8: crc_table[k][b] is byte b followed by k zero bytes, so
 * eight input bytes cost eight independent lookups instead of a chain of
 * eight (a GPT's 16 KiB entry array, checked and rebuilt by every fuzz
 * input, made the byte loop a quarter of that target's time). */
static uint32_t crc_table[8][256];

static void crc_table_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[0][n] = c;
	}
	for (int k = 1; k < 8; k++)
		for (uint32_t n = 0; n < 256; n++)
			crc_table[k][n] = crc_table[0][crc_table[k - 1][n] & 0xff] ^ (crc_table[k - 1][n] >> 8);
}

MTK_NO_COVERAGE uint32_t mtk_crc32_update(uint32_t crc, const uint8_t *buf, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, crc_table_init);
	crc = ~crc;
	for (; len >= 8; buf += 8, len -= 8) {
		uint32_t lo = crc ^ ((uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
		                     (uint32_t)buf[3] << 24);
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][lo >> 8 & 0xff] ^ crc_table[5][lo >> 16 & 0xff] ^
		      crc_table[4][lo >> 24] ^ crc_table[3][buf[4]] ^ crc_table[2][buf[5]] ^ crc_table[1][buf[6]] ^
		      crc_table[0][buf[7]];
	}
	for (size_t i = 0; i < len; i++)
		crc = crc_table[0][(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Eight bytes at a time: the legacy DA sums every 1 MiB packet on both ends
 * of the cable, and a byte loop (~0.6 ms per MiB) is time the link stands
 * idle.  Pairs of bytes are added into four 16-bit lanes; a lane gains at
 * most 2 * 255 per word, so the lanes are folded every 128 words, before any
 * can carry into its neighbour.  The sum is modulo 2^16 throughout. */
static uint16_t sum16_lanes(uint64_t lanes)
{
	return (uint16_t)(lanes + (lanes >> 16) + (lanes >> 32) + (lanes >> 48));
}

MTK_NO_COVERAGE uint16_t mtk_sum16_update(uint16_t state, const uint8_t *buf, size_t len)
{
	const uint64_t lo = 0x00FF00FF00FF00FFull;
	while (len >= 8) {
		size_t words = len / 8 < 128 ? len / 8 : 128;
		uint64_t lanes = 0;
		for (size_t i = 0; i < words; i++, buf += 8) {
			uint64_t w;
			memcpy(&w, buf, 8);
			lanes += (w & lo) + ((w >> 8) & lo);
		}
		state = (uint16_t)(state + sum16_lanes(lanes));
		len -= words * 8;
	}
	while (len--)
		state = (uint16_t)(state + *buf++);
	return state;
}
