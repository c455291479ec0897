/* SPDX-License-Identifier: MIT */
/* The synthetic xflash DA stages of docs/da-synthetic.md, built by the tests
 * themselves (not read from the build's file, not made by tools/mkda.c), so
 * a test of the emulator does not lean on the generator it checks. */
#ifndef SYNTH_XFLASH_DA_H
#define SYNTH_XFLASH_DA_H

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNTH_DA1_LEN 0x2000u
#define SYNTH_DA2_LEN 0x8000u
#define SYNTH_SIG_LEN 0x100u

/* Marker, xorshift32 filler, signature text; len includes the signature. */
static inline uint8_t *synth_stage_bytes(uint16_t hw, unsigned stage, size_t len)
{
	uint8_t *b = calloc(1, len);
	snprintf((char *)b, 64, "MTKFLASH-SYNTHETIC-DA%u hw=0x%04x", stage, hw);
	uint32_t x = 0x9E3779B9u ^ ((uint32_t)hw << 8) ^ stage;
	for (size_t i = 64; i < len - SYNTH_SIG_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	snprintf((char *)b + len - SYNTH_SIG_LEN, SYNTH_SIG_LEN, "MTKFLASH-SYNTHETIC-SIG hw=0x%04x stage=%u", hw,
	         stage);
	return b;
}

/* DA2 as BOOT_TO sends it: without its signature (0x7F00 bytes). */
static inline uint8_t *synth_xflash_da2(uint16_t hw, size_t *len)
{
	*len = SYNTH_DA2_LEN - SYNTH_SIG_LEN;
	return synth_stage_bytes(hw, 2, SYNTH_DA2_LEN);
}

/* DA1 whole (0x2000), its hash slot holding SHA-256 of `da2` (da2_len bytes),
 * 16 zero bytes, then the "MMU MAP: VA" anchor. */
static inline uint8_t *synth_xflash_da1_for(uint16_t hw, const uint8_t *da2, size_t da2_len)
{
	uint8_t *b = synth_stage_bytes(hw, 1, SYNTH_DA1_LEN);
	uint8_t *slot = b + SYNTH_DA1_LEN - SYNTH_SIG_LEN - 0x40;
	unsigned n = 0;
	memset(slot, 0, 0x40);
	EVP_Digest(da2, da2_len, slot, &n, EVP_sha256(), NULL);
	memcpy(slot + 0x30, "MMU MAP: VA", 11);
	return b;
}

static inline uint8_t *synth_xflash_da1(uint16_t hw)
{
	size_t n;
	uint8_t *da2 = synth_xflash_da2(hw, &n);
	uint8_t *da1 = synth_xflash_da1_for(hw, da2, n);
	free(da2);
	return da1;
}

#endif
