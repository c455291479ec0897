/* SPDX-License-Identifier: MIT */
/* mkda: write the synthetic DA file (docs/da-synthetic.md) for every da_code
 * in the chip table.  Run by the build; deterministic output.
 *
 *   mkda OUTPUT */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "mtkflash/chips.h"
#include "mtkflash/dafile.h"

#define INFO_LEN 0x100u
#define DA1_LEN 0x2000u
#define DA2_LEN 0x8000u
#define SIG_LEN 0x100u
#define MARKER_LEN 64u
#define MAX_CODES 64

/* Load addresses that differ from the common 0x50000000 / 0x200000 /
 * 0x40000000 (da-legacy.md §1.7 (b), brom-protocol.md §5.5). */
struct addr_override {
	uint16_t code;
	uint32_t info, da1, da2;
	uint16_t hw_version;
};
static const struct addr_override overrides[] = {
	{ 0x6572, 0x80010000u, 0x02007000u, 0x80000000u, 0xCA00 },
	{ 0x6580, 0x50000000u, 0x00200000u, 0x80000000u, 0xCA00 },
	{ 0x6582, 0x80010000u, 0x00200000u, 0x80000000u, 0xCA00 },
	{ 0x6592, 0x80010000u, 0x00110000u, 0x80000000u, 0xCA00 },
	{ 0x6752, 0x50000000u, 0x00110000u, 0x40000000u, 0xCA00 },
	{ 0x6795, 0x00210000u, 0x00110000u, 0x40000000u, 0xCA00 },
	{ 0x8127, 0x80010000u, 0x00200000u, 0x80000000u, 0xCA00 },
	{ 0x6797, 0x50000000u, 0x00200000u, 0x40000000u, 0x8A00 },
};

static struct addr_override addrs_for(uint16_t code)
{
	for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++)
		if (overrides[i].code == code)
			return overrides[i];
	struct addr_override d = { code, 0x50000000u, 0x00200000u, 0x40000000u, 0xCA00 };
	return d;
}

static void fill_region(uint8_t *p, uint32_t len, uint32_t sig_len, uint16_t code, unsigned stage)
{
	static const char *const tags[] = { "INFO", "DA1", "DA2" };
	memset(p, 0, len);
	snprintf((char *)p, MARKER_LEN, "MTKFLASH-SYNTHETIC-%s hw=0x%04x", tags[stage], code);
	uint32_t x = 0x9E3779B9u ^ ((uint32_t)code << 8) ^ stage;
	for (uint32_t i = MARKER_LEN; i < len - sig_len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	if (sig_len)
		snprintf((char *)p + len - sig_len, sig_len, "MTKFLASH-SYNTHETIC-SIG hw=0x%04x stage=%u", code, stage);
}

/* xflash DA1 carries SHA-256 of DA2's code (the part BOOT_TO sends), in the
 * 0x30 bytes before the "MMU MAP: VA" anchor at the end of its code
 * (da-legacy.md §1.6 step 3, da-xflash.md §2.1). */
#define HASH_SLOT_BACK 0x40u
static int put_da2_hash(uint8_t *da1, const uint8_t *da2)
{
	uint8_t *slot = da1 + DA1_LEN - SIG_LEN - HASH_SLOT_BACK;
	unsigned n = 0;
	memset(slot, 0, HASH_SLOT_BACK);
	if (!EVP_Digest(da2, DA2_LEN - SIG_LEN, slot, &n, EVP_sha256(), NULL) || n != 32)
		return -1;
	memcpy(slot + 0x30, "MMU MAP: VA", 11);
	return 0;
}

static void put_region(uint8_t *e, unsigned idx, uint32_t off, uint32_t len, uint32_t addr, uint32_t sig)
{
	uint8_t *r = e + 0x14 + idx * 20;
	mtk_put_u32le(r, off);
	mtk_put_u32le(r + 4, len);
	mtk_put_u32le(r + 8, addr);
	mtk_put_u32le(r + 12, sig ? len - sig : 0);
	mtk_put_u32le(r + 16, sig);
}

static size_t distinct_codes(uint16_t *codes, bool *xflash)
{
	size_t n = 0, count = 0;
	const struct mtk_chip *t = mtk_chip_table(&n);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < count && codes[j] != t[i].da_code)
			j++;
		if (j == count && count < MAX_CODES) {
			xflash[count] = t[i].da_family == MTK_DA_XFLASH;
			codes[count++] = t[i].da_code;
		}
	}
	return count;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkda OUTPUT\n");
		return 2;
	}
	uint16_t codes[MAX_CODES];
	bool xflash[MAX_CODES];
	size_t count = distinct_codes(codes, xflash);
	size_t per = INFO_LEN + DA1_LEN + DA2_LEN;
	size_t data_off = MTK_DA_HEADER_SIZE + count * MTK_DA_ENTRY_NEW;
	size_t total = data_off + count * per;
	uint8_t *f = calloc(1, total);
	if (!f) {
		perror("mkda");
		return 1;
	}
	memcpy(f, MTK_DA_FILE_IDENT, strlen(MTK_DA_FILE_IDENT));
	strcpy((char *)f + 0x20, "MTK_AllInOne_DA_mtkflash_synthetic_v1");
	mtk_put_u32le(f + 0x60, 4);
	mtk_put_u32le(f + 0x64, MTK_DA_FILE_MAGIC);
	mtk_put_u32le(f + 0x68, (uint32_t)count);
	for (size_t i = 0; i < count; i++) {
		struct addr_override a = addrs_for(codes[i]);
		uint8_t *e = f + MTK_DA_HEADER_SIZE + i * MTK_DA_ENTRY_NEW;
		uint32_t off = (uint32_t)(data_off + i * per);
		mtk_put_u16le(e, 0xDADA);
		mtk_put_u16le(e + 2, codes[i]);
		mtk_put_u16le(e + 6, a.hw_version);
		mtk_put_u16le(e + 0x10, 1);
		mtk_put_u16le(e + 0x12, 3);
		put_region(e, 0, off, INFO_LEN, a.info, 0);
		put_region(e, 1, off + INFO_LEN, DA1_LEN, a.da1, SIG_LEN);
		put_region(e, 2, off + INFO_LEN + DA1_LEN, DA2_LEN, a.da2, SIG_LEN);
		fill_region(f + off, INFO_LEN, 0, codes[i], 0);
		fill_region(f + off + INFO_LEN, DA1_LEN, SIG_LEN, codes[i], 1);
		fill_region(f + off + INFO_LEN + DA1_LEN, DA2_LEN, SIG_LEN, codes[i], 2);
		if (xflash[i] && put_da2_hash(f + off + INFO_LEN, f + off + INFO_LEN + DA1_LEN) < 0) {
			fprintf(stderr, "mkda: SHA-256 failed\n");
			free(f);
			return 1;
		}
	}
	FILE *out = fopen(argv[1], "wb");
	if (!out || fwrite(f, 1, total, out) != total || fclose(out) != 0) {
		perror(argv[1]);
		free(f);
		return 1;
	}
	free(f);
	return 0;
}
