/* SPDX-License-Identifier: MIT */
/* Writes the seed corpora of fuzz_gpt and fuzz_pmt: GPT and MBR/EBR with the
 * table writers of lib/storage, PMTs field by field (the client has no PMT
 * writer), so the seeds are what a device really holds.  Not part of the
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

/* PMT seeds written field by field from formats.md §5.2 (the client has no
 * PMT writer): linear offsets, PRELOADER at 0, MBR at 0xC00000. */
static const struct {
	const char *name;
	uint64_t linear, size;
} pmt_parts[] = {
        {"PRELOADER", 0, 0xc00000},          {"MBR", 0xc00000, 0x80000},
        {"EBR1", 0xc80000, 0x80000},         {"NVRAM", 0x1000000, 0x500000},
        {"BOOTIMG", 0x2980000, 0x600000},    {"ANDROID", 0x5b40000, 0x3e800000},
        {"USRDATA", 0x52540000, 0x96000000},
};
#define PMT_PARTS (sizeof pmt_parts / sizeof pmt_parts[0])

static void put_pmt_records(uint8_t *at, size_t rec, bool wide, bool part_id)
{
	for (size_t i = 0; i < PMT_PARTS; i++, at += rec) {
		uint8_t *q = at + 64;
		memcpy(at, pmt_parts[i].name, strlen(pmt_parts[i].name));
		if (wide) {
			mtk_put_u64le(q, pmt_parts[i].size);
			if (part_id)
				mtk_put_u64le(q += 8, 0xFF);
			mtk_put_u64le(q + 8, pmt_parts[i].linear);
		} else {
			mtk_put_u32le(q, (uint32_t)pmt_parts[i].size);
			mtk_put_u32le(q + 4, (uint32_t)pmt_parts[i].linear);
		}
	}
}

static void put_pmt_copy(uint8_t *copy, uint32_t sig, const char *version, size_t rec, bool wide, bool part_id)
{
	memset(copy, 0, MTK_PMT_REGION_SIZE);
	mtk_put_u32le(copy, sig);
	mtk_put_u32le(copy + MTK_PMT_REGION_SIZE - 4, sig);
	if (version)
		memcpy(copy + 4, version, 4);
	put_pmt_records(copy + (version ? 8 : 4), rec, wide, part_id);
}

static void pmt_seeds(void)
{
	static uint8_t buf[8192];
	static const struct {
		enum mtk_pmt_variant v;
		const char *file, *version;
		size_t rec;
	} variants[] = {{MTK_PMT_EMMC_11, "pmt-1.1", "1.1", 96},
	                {MTK_PMT_EMMC_10, "pmt-1.0", "1.0", 88},
	                {MTK_PMT_NAND32, "pmt-nand", NULL, 76}};
	for (size_t i = 0; i < 3; i++) {
		uint8_t sel[2] = {0, (uint8_t)variants[i].v};
		bool wide = variants[i].rec != 76, part_id = variants[i].rec == 96;
		put_pmt_copy(buf, MTK_PMT_SIG, variants[i].version, variants[i].rec, wide, part_id);
		put_pmt_copy(buf + 4096, MTK_PMT_MIRROR_SIG, variants[i].version, variants[i].rec, wide, part_id);
		save("pmt", variants[i].file, sel, 2, buf, sizeof buf);
	}
	uint8_t sel[2] = {0, MTK_PMT_NAND32};
	buf[4092] ^= 0xFF; /* NAND main copy torn: the mirror path */
	save("pmt", "pmt-torn-main", sel, 2, buf, sizeof buf);
	memset(buf, 0, sizeof buf);
	put_pmt_records(buf, MTK_PMT_DA_RECORD, true, true);
	sel[0] = 1;
	save("pmt", "da-payload", sel, 2, buf, PMT_PARTS * MTK_PMT_DA_RECORD);

	struct mtk_ptable t;
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
	memset(buf + 2560, 0, sizeof buf - 2560); /* the chain, then a 0xA5 payload: merged */
	put_pmt_records(buf + 2560, MTK_PMT_DA_RECORD, true, true);
	sel[0] = 4;
	sel[1] = 5;
	save("pmt", "mbr-with-pmt", sel, 2, buf, 2560 + PMT_PARTS * MTK_PMT_DA_RECORD);
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
