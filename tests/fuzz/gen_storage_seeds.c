/* SPDX-License-Identifier: MIT */
/* Writes the seed corpora of fuzz_gpt and fuzz_pmt with the table writers of
 * lib/storage, so the seeds are what a device really holds.  Not part of the
 * build; regenerate after a format change with
 *   cc -std=c17 -D_GNU_SOURCE -Iinclude -Ilib tests/fuzz/gen_storage_seeds.c \
 *      lib/storage/[a-z]*.c lib/core/ctx.c lib/core/checksum.c -lpthread -o /tmp/gen
 *   /tmp/gen tests/fuzz/corpus
 * Each file starts with the fuzzers' selector bytes (see fuzz_gpt.c, fuzz_pmt.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "mtkflash/storage.h"

static const char *out_dir;

static void save(const char *sub, const char *name, const uint8_t *sel, size_t nsel, const uint8_t *buf,
                 size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/%s", out_dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(sel, 1, nsel, f) != nsel || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void must(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "%s failed: %d\n", what, rc);
		exit(1);
	}
}

/* A small disk around a full 128-entry GPT: 34 + 13 + 33 sectors of 512. */
static void gpt_seeds(void)
{
	const uint32_t ss = 512;
	const uint64_t n = 80;
	uint8_t *disk = calloc(n, ss), sel = 0;
	struct mtk_ptable t;
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	must(mtk_ptable_add_simple(NULL, &t, "boot", 34 * ss, 4 * ss), "add");
	must(mtk_ptable_add_simple(NULL, &t, "system", 38 * ss, 6 * ss), "add");
	must(mtk_ptable_add_simple(NULL, &t, "userdata", 44 * ss, 3 * ss), "add");
	size_t hl = mtk_gpt_head_bytes(ss), tl = mtk_gpt_tail_bytes(ss);
	must(mtk_gpt_build(NULL, &t, ss, n, 1, disk, hl, disk + (n * ss - tl), tl), "gpt build");
	save("gpt", "good-512", &sel, 1, disk, n * ss);
	disk[ss + 60] ^= 1; /* primary header CRC now wrong: the backup path */
	save("gpt", "bad-primary-512", &sel, 1, disk, n * ss);
	free(disk);
	mtk_ptable_free(&t);

	/* 4 KiB sectors: 6 head + 5 tail sectors + data */
	const uint32_t s4 = 4096;
	const uint64_t n4 = 14;
	disk = calloc(n4, s4);
	sel = 1;
	mtk_ptable_init(&t, MTK_PTABLE_GPT);
	must(mtk_ptable_add_simple(NULL, &t, "super", 6 * s4, 3 * s4), "add");
	hl = mtk_gpt_head_bytes(s4);
	tl = mtk_gpt_tail_bytes(s4);
	must(mtk_gpt_build(NULL, &t, s4, n4, 2, disk, hl, disk + (n4 * s4 - tl), tl), "gpt build 4k");
	save("gpt", "good-4096", &sel, 1, disk, n4 * s4);
	free(disk);
	mtk_ptable_free(&t);
}

static void pmt_seeds(void)
{
	static const struct {
		const char *name;
		uint64_t start, size;
	} parts[] = {
	        {"MBR", 0, 0x80000},
	        {"EBR1", 0x80000, 0x80000},
	        {"NVRAM", 0x400000, 0x500000},
	        {"BOOTIMG", 0x1d80000, 0x600000},
	        {"ANDROID", 0x4f40000, 0x3e800000},
	        {"USRDATA", 0x51940000, 0x96000000},
	};
	struct mtk_ptable t;
	static uint8_t buf[8192];
	mtk_ptable_init(&t, MTK_PTABLE_PMT);
	struct mtk_part pl = {.name = "PRELOADER", .size = 0xc00000, .region = MTK_REGION_BOOT1};
	must(mtk_ptable_add(NULL, &t, &pl), "add");
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		must(mtk_ptable_add_simple(NULL, &t, parts[i].name, parts[i].start, parts[i].size), "add");
	static const struct {
		enum mtk_pmt_variant v;
		const char *file;
	} variants[] = {
	        {MTK_PMT_EMMC_11, "pmt-1.1"}, {MTK_PMT_EMMC_10, "pmt-1.0"}, {MTK_PMT_NAND32, "pmt-nand"}};
	for (size_t i = 0; i < 3; i++) {
		uint8_t sel[2] = {0, (uint8_t)variants[i].v};
		must(mtk_pmt_build(NULL, &t, variants[i].v, buf, sizeof buf), "pmt build");
		save("pmt", variants[i].file, sel, 2, buf, sizeof buf);
	}
	uint8_t sel[2] = {0, MTK_PMT_NAND32};
	buf[4092] ^= 0xFF; /* NAND main copy torn: the mirror path */
	save("pmt", "pmt-torn-main", sel, 2, buf, sizeof buf);
	int len = mtk_pmt_build_da(NULL, &t, buf, sizeof buf);
	must(len, "da build");
	sel[0] = 1;
	save("pmt", "da-payload", sel, 2, buf, (size_t)len);
	mtk_ptable_free(&t);

	/* MBR + EBR1 + EBR2 close together so the seed stays small */
	struct mtk_mbr_image img;
	mtk_ptable_init(&t, MTK_PTABLE_MBR);
	must(mtk_ptable_add_simple(NULL, &t, "MBR", 0, 512), "add");
	must(mtk_ptable_add_simple(NULL, &t, "EBR1", 512, 512), "add");
	must(mtk_ptable_add_simple(NULL, &t, "EBR2", 2048, 512), "add");
	for (int i = 0; i < 7; i++) {
		must(mtk_ptable_add_simple(NULL, &t, "L", 2560 + (uint64_t)i * 512, 512), "add");
		t.parts[t.count - 1].mbr_type = 0x83;
	}
	must(mtk_mbr_build(NULL, &t, true, &img), "mbr build");
	memset(buf, 0, sizeof buf);
	for (size_t k = 0; k < img.count; k++)
		memcpy(buf + img.offset[k], img.sector[k], 512);
	sel[0] = 2;
	sel[1] = 0;
	save("pmt", "mbr-ebr-chain", sel, 2, buf, 2560);
	sel[1] = 1;
	save("pmt", "mbr-ebr-sized", sel, 2, buf, 8192);
	mtk_ptable_free(&t);

	struct mtk_extcsd e = {.boot_size = 4 << 20,
	                       .rpmb_size = 4 << 20,
	                       .user_size = 0xE9000000ull,
	                       .partition_config = 0x48};
	must(mtk_extcsd_encode(NULL, &e, buf, 512), "extcsd");
	sel[0] = 3;
	save("pmt", "extcsd", sel, 2, buf, 512);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR (with gpt/ and pmt/ inside)\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	gpt_seeds();
	pmt_seeds();
	return 0;
}
