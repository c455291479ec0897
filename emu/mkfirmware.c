/* SPDX-License-Identifier: MIT */
/* `mtkemu mkfirmware`: a sample firmware package for the emulated board.
 *
 *   mtkemu mkfirmware --chip CHIP --out DIR [--variant V] [--force]
 *
 * The package is what a factory download looks like (formats.md): a V1.1.x
 * scatter named MT<chip>_Android_scatter.txt that describes exactly the
 * chip's default emulated layout (emu_default_layout(), the table `provision`
 * uses), a boot-area preloader for the board (GFH + an EMI record for its
 * eMMC/DRAM), lk and logo with MediaTek image headers, boot and recovery
 * with Android boot headers, secro, trustzone, sparse system/cache/userdata
 * images with DONT_CARE holes (their expanded size is the partition's, their
 * files a few MiB), MBR/EBR1 sectors in the MBR era, Checksum.ini, and a
 * SHA256SUMS signed with the demo key (fwsign.c) whose public half is
 * written too.  Everything is derived from seeded generators: two runs give
 * identical bytes.  Variants spoil one thing each, for tests. */
#include "emu_fw.h"
#include "emu_internal.h"
#include "emu_storage.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"
#include "core/fileutil.h"
#include "core/outfile.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define SPARSE_BLK 4096u
#define NO_FLIP UINT64_MAX
#define MAX_FILES 24

enum variant { V_NONE, V_WRONG_CHIP, V_OTHER_DRAM, V_FLIPPED, V_UNSIGNED, V_LAYOUT, V_COUNT };
static const char *const variant_names[V_COUNT] = {"", "wrong-chip", "other-dram", "flipped-byte", "unsigned",
                                                   "layout-changed"};

/* Where flipped-byte changes boot.img: inside the kernel, after the header page. */
#define FLIP_FILE   "boot.img"
#define FLIP_OFFSET 0x2345u

struct fw_file {
	char name[64];
	uint8_t sha256[32];
	uint16_t sum16;
	uint64_t size;
};

struct pkg {
	mtk_ctx *ctx;
	const char *dir;
	unsigned oflags;
	enum variant v;
	const struct emu_profile *prof; /* the board */
	const struct emu_profile *pl;   /* whom the scatter platform and preloader name */
	bool gpt;
	bool v2; /* the chip's factory scatters are V2.x (multi-storage) */
	char project[32], platform[16], scatter_name[64];
	struct emu_placed_part parts[160];
	size_t nparts;
	struct fw_file files[MAX_FILES];
	size_t nfiles;
};

/* ------------------------------------------------------------ file writer */

/* One package file: written through a temp name and renamed, hashed and
 * summed as it streams; the flipped-byte variant changes one byte after the
 * hashes saw it. */
struct fw_out {
	struct pkg *pk;
	struct mtk_outfile of;
	EVP_MD_CTX *md;
	uint16_t sum;
	uint64_t pos, flip_at;
	int rc;
	char name[64];
};

static int out_open(struct pkg *pk, struct fw_out *o, const char *name)
{
	memset(o, 0, sizeof *o);
	o->pk = pk;
	o->flip_at = pk->v == V_FLIPPED && strcmp(name, FLIP_FILE) == 0 ? FLIP_OFFSET : NO_FLIP;
	snprintf(o->name, sizeof o->name, "%s", name);
	char *path = mtk_path_join(pk->dir, name);
	o->md = EVP_MD_CTX_new();
	if (!path || !o->md || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1)
		o->rc = mtk_fail(pk->ctx, MTK_E_NOMEM, "out of memory");
	else
		o->rc = mtk_outfile_open(pk->ctx, path, pk->oflags, &o->of);
	free(path);
	return o->rc;
}

static void out_put(struct fw_out *o, const void *buf, size_t len)
{
	if (o->rc || len == 0)
		return;
	EVP_DigestUpdate(o->md, buf, len);
	o->sum = mtk_sum16_update(o->sum, buf, len);
	const uint8_t *src = buf;
	uint8_t *flipped = NULL;
	if (o->flip_at >= o->pos && o->flip_at - o->pos < len && (flipped = malloc(len))) {
		memcpy(flipped, buf, len);
		flipped[o->flip_at - o->pos] ^= 0x01;
		src = flipped;
	}
	o->rc = mtk_write_all(o->pk->ctx, o->of.fd, src, len, o->of.path);
	o->pos += len;
	free(flipped);
}

static int out_close(struct fw_out *o)
{
	struct pkg *pk = o->pk;
	if (o->rc == 0 && pk->nfiles == MAX_FILES)
		o->rc = mtk_fail(pk->ctx, MTK_E_RANGE, "more than %d package files", MAX_FILES);
	if (o->rc == 0)
		o->rc = mtk_outfile_commit(&o->of);
	else
		mtk_outfile_abort(&o->of);
	if (o->rc == 0) {
		struct fw_file *f = &pk->files[pk->nfiles++];
		snprintf(f->name, sizeof f->name, "%s", o->name);
		unsigned n = 32;
		EVP_DigestFinal_ex(o->md, f->sha256, &n);
		f->sum16 = o->sum;
		f->size = o->pos;
	}
	EVP_MD_CTX_free(o->md);
	return o->rc;
}

static int write_whole(struct pkg *pk, const char *name, const void *buf, size_t len)
{
	struct fw_out o;
	if (out_open(pk, &o, name) == 0)
		out_put(&o, buf, len);
	return out_close(&o);
}

static const struct fw_file *file_find(const struct pkg *pk, const char *name)
{
	for (size_t i = 0; i < pk->nfiles; i++)
		if (strcmp(pk->files[i].name, name) == 0)
			return &pk->files[i];
	return NULL;
}

/* ----------------------------------------------------------------- images */

static uint32_t seed_of(const struct pkg *pk, const char *what)
{
	return emu_fnv1a(what, emu_fnv1a(pk->prof->name, 0x5EEDF00Du));
}

static void preloader_spec(const struct pkg *pk, struct emu_preloader_spec *s)
{
	memset(s, 0, sizeof *s);
	s->load_addr = emu_preloader_load_addr(pk->pl);
	s->code_len = 0x18000; /* a real preloader's size class (formats.md §4.6) */
	s->code_seed = seed_of(pk, "preloader");
	snprintf(s->name, sizeof s->name, "preloader_%s.bin", pk->project);
	emu_board_emi_record(pk->pl, s->emi);
	if (pk->v == V_OTHER_DRAM) {
		/* a Samsung eMMC/LPDDR3 MCP this board does not carry: another CID, MR5 0x01 */
		static const uint8_t samsung[EMU_FLASH_ID_LEN] = {0x15, 0x01, 0x00, 'K', 'M', 'Q', '7', 'X', '0'};
		memcpy(s->emi + 0x10, samsung, sizeof samsung);
		mtk_put_u32le(s->emi + EMU_EMI_MR5_OFF, 0x01);
	}
}

static int img_preloader(struct pkg *pk, const char *file)
{
	struct emu_preloader_spec s;
	preloader_spec(pk, &s);
	size_t n = emu_preloader_size(s.code_len);
	uint8_t *img = malloc(n);
	if (!img)
		return mtk_fail(pk->ctx, MTK_E_NOMEM, "out of memory");
	emu_preloader_build(img, n, &s);
	int rc = write_whole(pk, file, img, n);
	free(img);
	return rc;
}

/* MediaTek's partition image header (lk.bin, logo.bin): magic 0x58881688,
 * payload size, name, 0xFF up to 512 bytes. */
static int img_mtk(struct pkg *pk, const char *file, const char *name, size_t payload)
{
	uint8_t *img = malloc(512 + payload);
	if (!img)
		return mtk_fail(pk->ctx, MTK_E_NOMEM, "out of memory");
	memset(img, 0xFF, 512);
	mtk_put_u32le(img, 0x58881688u);
	mtk_put_u32le(img + 4, (uint32_t)payload);
	memset(img + 8, 0, 32);
	memcpy(img + 8, name, strlen(name));
	emu_pattern(img + 512, payload, seed_of(pk, file));
	int rc = write_whole(pk, file, img, 512 + payload);
	free(img);
	return rc;
}

static int img_raw(struct pkg *pk, const char *file, size_t len)
{
	uint8_t *img = malloc(len);
	if (!img)
		return mtk_fail(pk->ctx, MTK_E_NOMEM, "out of memory");
	emu_pattern(img, len, seed_of(pk, file));
	int rc = write_whole(pk, file, img, len);
	free(img);
	return rc;
}

/* Android boot image, header version 0 (page 2048): header page, kernel,
 * ramdisk (gzip magic), each padded to pages; id = SHA-1 as mkbootimg makes it. */
static int img_boot(struct pkg *pk, const char *file, uint32_t kernel, uint32_t ramdisk, const char *cmdline)
{
	const uint32_t page = 2048;
	size_t kp = (kernel + page - 1) / page * page, rp = (ramdisk + page - 1) / page * page;
	size_t n = page + kp + rp;
	uint8_t *img = calloc(1, n);
	if (!img)
		return mtk_fail(pk->ctx, MTK_E_NOMEM, "out of memory");
	uint8_t *k = img + page, *r = img + page + kp;
	emu_pattern(k, kernel, seed_of(pk, file));
	emu_pattern(r, ramdisk, seed_of(pk, cmdline));
	memcpy(r, "\x1f\x8b\x08\x00", 4);
	memcpy(img, "ANDROID!", 8);
	mtk_put_u32le(img + 8, kernel);
	mtk_put_u32le(img + 12, 0x40008000);
	mtk_put_u32le(img + 16, ramdisk);
	mtk_put_u32le(img + 20, 0x45000000);
	mtk_put_u32le(img + 28, 0x40F00000);
	mtk_put_u32le(img + 32, 0x44000000);
	mtk_put_u32le(img + 36, page);
	snprintf((char *)img + 48, 16, "mtkemu");
	snprintf((char *)img + 64, 512, "%s", cmdline);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t le[4], id[20];
	unsigned idn = 20;
	EVP_DigestInit_ex(md, EVP_sha1(), NULL);
	EVP_DigestUpdate(md, k, kernel);
	EVP_DigestUpdate(md, (mtk_put_u32le(le, kernel), le), 4);
	EVP_DigestUpdate(md, r, ramdisk);
	EVP_DigestUpdate(md, (mtk_put_u32le(le, ramdisk), le), 4);
	EVP_DigestUpdate(md, (mtk_put_u32le(le, 0), le), 4); /* no second stage */
	EVP_DigestFinal_ex(md, id, &idn);
	EVP_MD_CTX_free(md);
	memcpy(img + 576, id, 20);
	int rc = write_whole(pk, file, img, n);
	free(img);
	return rc;
}

/* Sparse images (formats.md §3): the data extents of a filesystem image,
 * DONT_CARE in between and after, expanded to the whole partition. */
struct extent {
	uint32_t block, blocks;
	bool fill; /* FILL with a zero pattern instead of RAW data */
};

static void sparse_chunk(struct fw_out *o, uint16_t type, uint32_t blocks, uint32_t total)
{
	uint8_t h[12];
	mtk_put_u16le(h, type);
	mtk_put_u16le(h + 2, 0);
	mtk_put_u32le(h + 4, blocks);
	mtk_put_u32le(h + 8, total);
	out_put(o, h, sizeof h);
}

static void sparse_raw(struct fw_out *o, uint32_t blocks, uint32_t seed, bool superblock)
{
	sparse_chunk(o, 0xCAC1, blocks, 12 + blocks * SPARSE_BLK);
	uint8_t *buf = malloc(SPARSE_BLK);
	for (uint32_t b = 0; buf && b < blocks; b++) {
		emu_pattern(buf, SPARSE_BLK, seed + b);
		if (superblock && b == 0) /* an ext4 superblock's magic at 1024 + 0x38 */
			mtk_put_u16le(buf + 1024 + 0x38, 0xEF53);
		out_put(o, buf, SPARSE_BLK);
	}
	if (!buf && !o->rc)
		o->rc = mtk_fail(o->pk->ctx, MTK_E_NOMEM, "out of memory");
	free(buf);
}

static size_t sparse_chunk_count(const struct extent *x, size_t n, uint32_t total)
{
	size_t c = 0;
	uint32_t at = 0;
	for (size_t i = 0; i < n; i++) {
		c += (x[i].block > at) + 1;
		at = x[i].block + x[i].blocks;
	}
	return c + (at < total);
}

static int img_sparse(struct pkg *pk, const char *file, uint64_t part_size, const struct extent *x, size_t n)
{
	uint32_t total = (uint32_t)(part_size / SPARSE_BLK);
	struct fw_out o;
	if (out_open(pk, &o, file))
		return out_close(&o);
	uint8_t h[28];
	mtk_put_u32le(h, 0xED26FF3Au);
	mtk_put_u16le(h + 4, 1);
	mtk_put_u16le(h + 6, 0);
	mtk_put_u16le(h + 8, 28);
	mtk_put_u16le(h + 10, 12);
	mtk_put_u32le(h + 12, SPARSE_BLK);
	mtk_put_u32le(h + 16, total);
	mtk_put_u32le(h + 20, (uint32_t)sparse_chunk_count(x, n, total));
	mtk_put_u32le(h + 24, 0);
	out_put(&o, h, sizeof h);
	uint32_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (x[i].block > at)
			sparse_chunk(&o, 0xCAC3, x[i].block - at, 12);
		if (x[i].fill) {
			sparse_chunk(&o, 0xCAC2, x[i].blocks, 16);
			out_put(&o, "\0\0\0\0", 4);
		} else {
			sparse_raw(&o, x[i].blocks, seed_of(pk, file) + x[i].block, x[i].block == 0);
		}
		at = x[i].block + x[i].blocks;
	}
	if (at < total)
		sparse_chunk(&o, 0xCAC3, total - at, 12);
	return out_close(&o);
}

/* Data extents (4 KiB blocks): about 8 MiB of system, a little of cache and
 * userdata; everything lies within the smallest partition of either era. */
static const struct extent system_x[] = {{0, 256, false}, {4096, 768, false}, {8192, 16, true},
                                         {131072, 1024, false}};
static const struct extent cache_x[] = {{0, 16, false}, {16384, 16, false}};
static const struct extent userdata_x[] = {{0, 16, false}, {8192, 64, false}};

/* ------------------------------------------------------------- the roles */

enum img_kind { K_NONE, K_PRELOADER, K_LK, K_LOGO, K_BOOT, K_RECOVERY, K_RAW, K_SPARSE, K_MBR };

/* What the package holds for a partition, by its GPT-era and MBR-era names. */
struct role {
	const char *gpt, *mbr, *file;
	enum img_kind kind;
	const char *op;
	size_t len;                /* K_RAW bytes */
	const struct extent *x;    /* K_SPARSE */
	size_t nx;
};

#define X(a) a, sizeof(a) / sizeof(a[0])
static const struct role roles[] = {
        {"preloader", "PRELOADER", NULL, K_PRELOADER, "BOOTLOADERS", 0, NULL, 0},
        {NULL, "MBR", "MBR", K_MBR, "UPDATE", 0, NULL, 0},
        {NULL, "EBR1", "EBR1", K_MBR, "UPDATE", 0, NULL, 0},
        {"lk", "UBOOT", "lk.bin", K_LK, "UPDATE", 0, NULL, 0},
        {"lk2", NULL, "lk.bin", K_LK, "UPDATE", 0, NULL, 0},
        {"dtbo", NULL, "dtbo.img", K_RAW, "UPDATE", 64 * KIB, NULL, 0},
        {"vbmeta", NULL, "vbmeta.img", K_RAW, "UPDATE", 4 * KIB, NULL, 0},
        {"boot", "BOOTIMG", "boot.img", K_BOOT, "UPDATE", 0, NULL, 0},
        {"recovery", "RECOVERY", "recovery.img", K_RECOVERY, "UPDATE", 0, NULL, 0},
        {"logo", "LOGO", "logo.bin", K_LOGO, "UPDATE", 0, NULL, 0},
        {"secro", "SEC_RO", "secro.img", K_RAW, "UPDATE", 128 * KIB, NULL, 0},
        {"tee1", NULL, "trustzone.bin", K_RAW, "UPDATE", 256 * KIB, NULL, 0},
        {"tee2", NULL, "trustzone.bin", K_RAW, "UPDATE", 256 * KIB, NULL, 0},
        {"system", "ANDROID", "system.img", K_SPARSE, "UPDATE", 0, X(system_x)},
        {"vendor", NULL, "vendor.img", K_SPARSE, "UPDATE", 0, X(cache_x)},
        {"super", NULL, "super.img", K_SPARSE, "UPDATE", 0, X(system_x)},
        {"cache", "CACHE", "cache.img", K_SPARSE, "UPDATE", 0, X(cache_x)},
        {"userdata", "USRDATA", "userdata.img", K_SPARSE, "UPDATE", 0, X(userdata_x)},
};

static const struct role *role_of(const struct pkg *pk, const char *name)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		const char *n = pk->gpt ? roles[i].gpt : roles[i].mbr;
		if (n && strcmp(n, name) == 0)
			return &roles[i];
	}
	return NULL;
}

static const char *file_of(const struct pkg *pk, const struct role *r, char *buf, size_t cap)
{
	if (r->kind != K_PRELOADER)
		return r->file;
	snprintf(buf, cap, "preloader_%s.bin", pk->project);
	return buf;
}

static int img_mbr(struct pkg *pk, const char *file)
{
	struct emu_mbr_sectors s;
	char err[256];
	if (emu_layout_mbr_sectors(pk->parts, pk->nparts, &s, err, sizeof err))
		return mtk_fail(pk->ctx, MTK_E_RANGE, "building the MBR/EBR sectors: %s", err);
	size_t i = strcmp(file, "MBR") == 0 ? 0 : (size_t)atoi(file + 3);
	if (i >= s.count)
		return mtk_fail(pk->ctx, MTK_E_RANGE, "the layout has no %s", file);
	return write_whole(pk, file, s.sector[i], 512);
}

static int write_image(struct pkg *pk, const struct role *r, const struct emu_placed_part *p)
{
	char buf[96];
	const char *file = file_of(pk, r, buf, sizeof buf);
	if (file_find(pk, file)) /* tee1 and tee2 share trustzone.bin */
		return 0;
	switch (r->kind) {
	case K_PRELOADER:
		return img_preloader(pk, file);
	case K_MBR:
		return img_mbr(pk, file);
	case K_LK:
		return img_mtk(pk, file, "LK", 256 * KIB);
	case K_LOGO:
		return img_mtk(pk, file, "logo", 1 * MIB);
	case K_BOOT:
		return img_boot(pk, file, 1 * MIB + 0x321, 256 * KIB + 0x45,
		                "bootopt=64S3,32N2,64N2 androidboot.selinux=enforcing");
	case K_RECOVERY:
		return img_boot(pk, file, 1 * MIB + 0x123, 512 * KIB + 0x67,
		                "bootopt=64S3,32N2,64N2 androidboot.mode=recovery");
	case K_RAW:
		return img_raw(pk, file, r->len);
	case K_SPARSE:
		return img_sparse(pk, file, p->size, r->x, r->nx);
	default:
		return 0;
	}
}

static int write_images(struct pkg *pk)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < pk->nparts; i++) {
		const struct role *r = role_of(pk, pk->parts[i].name);
		if (r)
			rc = write_image(pk, r, &pk->parts[i]);
	}
	return rc;
}

/* ---------------------------------------------------------------- scatter */

static const char banner[] = "############################################################################"
                             "################################\n";

static const char *op_of(const struct pkg *pk, const struct emu_placed_part *p, const struct role *r)
{
	static const char *const protected_names[] = {"proinfo",   "protect1",  "protect2", "PRO_INFO",
	                                              "PROTECT_F", "PROTECT_S", NULL};
	if (r)
		return r->op;
	if (p->reserved)
		return "RESERVED";
	if (strcasecmp(p->name, "nvram") == 0)
		return "BINREGION";
	for (const char *const *n = protected_names; *n; n++)
		if (strcmp(p->name, *n) == 0)
			return "PROTECTED";
	(void)pk;
	return "INVISIBLE";
}

static const char *type_of(const struct pkg *pk, const struct emu_placed_part *p, const struct role *r)
{
	static const char *const gpt_ext4[] = {"protect1", "protect2", "nvdata", NULL};
	if (r && r->kind == K_PRELOADER)
		return "SV5_BL_BIN";
	if (r && r->kind == K_SPARSE)
		return pk->gpt ? "EXT4_IMG" : "YAFFS_IMG";
	if (!r && p->reserved && !pk->gpt)
		return "NONE";
	for (const char *const *n = gpt_ext4; pk->gpt && *n; n++)
		if (strcmp(p->name, *n) == 0)
			return "EXT4_IMG";
	return "NORMAL_ROM";
}

/* A preloader placed in boot1 and boot2 is one EMMC_BOOT1_BOOT2 record. */
static bool has_twin(const struct pkg *pk, const struct emu_placed_part *p, int area)
{
	for (size_t i = 0; i < pk->nparts; i++)
		if (pk->parts[i].area == area && strcmp(pk->parts[i].name, p->name) == 0)
			return true;
	return false;
}

static const char *region_of(const struct pkg *pk, const struct emu_placed_part *p)
{
	if (p->area == EMU_AREA_USER)
		return "EMMC_USER";
	return has_twin(pk, p, EMU_AREA_BOOT2) ? "EMMC_BOOT1_BOOT2" : "EMMC_BOOT_1";
}

static void scatter_record(FILE *f, const struct pkg *pk, size_t idx, const struct emu_placed_part *p)
{
	const struct role *r = role_of(pk, p->name);
	char buf[96];
	const char *file = r ? file_of(pk, r, buf, sizeof buf) : "NONE";
	const char *in = pk->v2 ? "  " : ""; /* V2.x records sit inside their storage_type block */
	unsigned long long lin = p->linear, phys = pk->gpt ? p->linear : 0;
	fprintf(f, "%s- partition_index: SYS%zu\n%s  partition_name: %s\n%s  file_name: %s\n", in, idx, in,
	        p->name, in, file);
	fprintf(f, "%s  is_download: %s\n%s  type: %s\n", in, r ? "true" : "false", in, type_of(pk, p, r));
	fprintf(f, "%s  linear_start_addr: 0x%llx\n%s  physical_start_addr: 0x%llx\n", in, lin, in, phys);
	fprintf(f, "%s  partition_size: 0x%llx\n%s  region: %s\n", in, (unsigned long long)p->scatter_size, in,
	        region_of(pk, p));
	fprintf(f, "%s  storage: HW_STORAGE_EMMC\n%s  boundary_check: %s\n%s  is_reserved: %s\n", in, in,
	        p->reserved ? "false" : "true", in, p->reserved ? "true" : "false");
	fprintf(f, "%s  operation_type: %s\n%s  reserve: 0x00\n\n", in, op_of(pk, p, r), in);
}

/* A text file built with stdio into memory, then written as one. */
static int write_text(struct pkg *pk, const char *name, void (*fill)(FILE *f, const struct pkg *pk))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return mtk_fail(pk->ctx, MTK_E_NOMEM, "out of memory");
	fill(f, pk);
	int rc = fclose(f) == 0 ? write_whole(pk, name, text, len) : mtk_fail(pk->ctx, MTK_E_NOMEM, "out of memory");
	free(text);
	return rc;
}

static void fill_scatter(FILE *f, const struct pkg *pk)
{
	fprintf(f, "%s#\n#  General Setting \n#    \n%s", banner, banner);
	fprintf(f, "- general: MTK_PLATFORM_CFG\n  info: \n    - config_version: %s\n",
	        pk->v2 ? "V2.1.0" : pk->gpt ? "V1.1.2" : "V1.1.1");
	fprintf(f, "      platform: %s\n      project: %s\n", pk->platform, pk->project);
	if (pk->v2) /* storage keys move into the block (formats.md §1.4) */
		fprintf(f, "%s#\n#  EMMC Layout Setting\n#\n%s- storage_type: EMMC\n  description: \n"
		           "  - general: MTK_STORAGE_CFG\n    info: \n      - storage: EMMC\n"
		           "        boot_channel: MSDC_0\n        block_size: 0x20000\n\n",
		        banner, banner);
	else
		fprintf(f, "      storage: EMMC\n      boot_channel: MSDC_0\n      block_size: 0x20000\n%s#\n"
		           "#  Layout Setting\n#\n%s",
		        banner, banner);
	size_t idx = 0;
	for (size_t i = 0; i < pk->nparts; i++)
		if (pk->parts[i].area != EMU_AREA_BOOT2 || !has_twin(pk, &pk->parts[i], EMU_AREA_BOOT1))
			scatter_record(f, pk, idx++, &pk->parts[i]);
}

/* ---------------------------------------------------- checksums, signature */

static void fill_checksum_ini(FILE *f, const struct pkg *pk)
{
	/* Change_ID: a fixed generation time, so the package is reproducible */
	fprintf(f, "[VERSION]\r\nVERSION=V1\r\nTOOL=v5.1540.00\r\nChange_ID=1700000000\r\n");
	fprintf(f, "[IsEnableChecksum]\r\nCHECKSUM_SWITCH=1\r\n[CheckSum]\r\n");
	for (size_t i = 0; i < pk->nparts; i++) {
		const struct role *r = role_of(pk, pk->parts[i].name);
		char buf[96];
		const struct fw_file *ff = r ? file_find(pk, file_of(pk, r, buf, sizeof buf)) : NULL;
		if (ff && pk->parts[i].area != EMU_AREA_BOOT2)
			fprintf(f, "%s=0x%04X\r\n", pk->parts[i].name, ff->sum16);
	}
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct fw_file *)a)->name, ((const struct fw_file *)b)->name);
}

static int write_sums(struct pkg *pk)
{
	char key[256];
	int n = emu_fw_pubkey_text(key, sizeof key);
	int rc = n < 0 ? mtk_fail(pk->ctx, n, "deriving the demo key") : write_whole(pk, "mtkemu-demo.pub", key, (size_t)n);
	if (rc)
		return rc;
	struct fw_file sorted[MAX_FILES];
	memcpy(sorted, pk->files, pk->nfiles * sizeof sorted[0]);
	qsort(sorted, pk->nfiles, sizeof sorted[0], cmp_file);
	char text[MAX_FILES * 140], *t = text;
	for (size_t i = 0; i < pk->nfiles; i++) {
		for (int b = 0; b < 32; b++)
			t += sprintf(t, "%02x", sorted[i].sha256[b]);
		t += sprintf(t, "  %s\n", sorted[i].name);
	}
	size_t len = (size_t)(t - text);
	if ((rc = write_whole(pk, "SHA256SUMS", text, len)) != 0 || pk->v == V_UNSIGNED)
		return rc;
	char sig[512];
	n = emu_fw_minisig_text((const uint8_t *)text, len, sig, sizeof sig);
	return n < 0 ? mtk_fail(pk->ctx, n, "signing SHA256SUMS") : write_whole(pk, "SHA256SUMS.minisig", sig, (size_t)n);
}

/* ----------------------------------------------------------------- layout */

static struct emu_placed_part *part_named(struct pkg *pk, const char *gpt, const char *mbr)
{
	for (size_t i = 0; i < pk->nparts; i++)
		if (strcmp(pk->parts[i].name, pk->gpt ? gpt : mbr) == 0)
			return &pk->parts[i];
	return NULL;
}

/* layout-changed: cache shrinks to half, userdata moves down and grows by as
 * much (SP Flash Tool's "layout changed": the table must be rewritten). */
static int change_layout(struct pkg *pk)
{
	struct emu_placed_part *c = part_named(pk, "cache", "CACHE"), *u = part_named(pk, "userdata", "USRDATA");
	if (!c || !u || u->offset != c->offset + c->size)
		return mtk_fail(pk->ctx, MTK_E_RANGE, "the default layout has no cache followed by userdata");
	uint64_t d = c->size / 2;
	c->size -= d;
	c->scatter_size -= d;
	u->offset -= d;
	u->linear -= d;
	u->size += d;
	u->scatter_size += d;
	return 0;
}

static int load_layout(struct pkg *pk)
{
	char err[256];
	if (emu_default_layout(pk->prof, pk->parts, sizeof pk->parts / sizeof pk->parts[0], &pk->nparts, err,
	                       sizeof err))
		return mtk_fail(pk->ctx, MTK_E_RANGE, "%s", err);
	return pk->v == V_LAYOUT ? change_layout(pk) : 0;
}

/* ------------------------------------------------------------------ driver */

/* Names a previous run may have left that this one might not write (a
 * signed package turned unsigned must lose its signature). */
static const char *const stale[] = {"SHA256SUMS.minisig", NULL};

static int prepare_dir(struct pkg *pk, bool force)
{
	if (mkdir(pk->dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return mtk_fail(pk->ctx, MTK_E_IO, "%s: %s", pk->dir, strerror(errno));
	DIR *d = opendir(pk->dir);
	if (!d)
		return mtk_fail(pk->ctx, MTK_E_IO, "%s: %s", pk->dir, strerror(errno));
	bool empty = true;
	for (struct dirent *de; (de = readdir(d));)
		empty &= strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	if (!empty && !force)
		return mtk_fail(pk->ctx, MTK_E_IO, "%s is not empty (use --force to write the package over it)",
		                pk->dir);
	for (const char *const *s = stale; *s; s++) {
		char *p = mtk_path_join(pk->dir, *s);
		int gone = p && (unlink(p) == 0 || errno == ENOENT);
		free(p);
		if (!gone)
			return mtk_fail(pk->ctx, MTK_E_IO, "%s/%s: %s", pk->dir, *s, strerror(errno));
	}
	return 0;
}

static void upper(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < cap; i++)
		dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : src[i]);
	dst[i] = 0;
}

static int pkg_init(struct pkg *pk, const char *chip, enum variant v)
{
	pk->prof = emu_profile_find(chip);
	if (!pk->prof)
		return mtk_fail(pk->ctx, MTK_E_NOTFOUND, "unknown chip '%s'", chip);
	pk->v = v;
	pk->gpt = pk->prof->table == EMU_TABLE_GPT;
	pk->v2 = strcmp(pk->prof->name, "mt6785") == 0;
	/* wrong-chip: a package built for a chip of the other partition-table era */
	pk->pl = v == V_WRONG_CHIP ? emu_profile_find(pk->prof->hw_code == 0x6572 ? "mt6580" : "mt6572") : pk->prof;
	upper(pk->platform, sizeof pk->platform, pk->pl->name);
	snprintf(pk->project, sizeof pk->project, "mtkemu_%s", pk->pl->name);
	snprintf(pk->scatter_name, sizeof pk->scatter_name, "%s_Android_scatter.txt", pk->platform);
	return 0;
}

static int mkfirmware(mtk_ctx *ctx, const char *chip, const char *dir, enum variant v, bool force,
                      struct pkg *pk)
{
	memset(pk, 0, sizeof *pk);
	pk->ctx = ctx;
	pk->dir = dir;
	pk->oflags = force ? MTK_OUT_FORCE : 0;
	int rc = pkg_init(pk, chip, v);
	if (rc == 0)
		rc = load_layout(pk);
	if (rc == 0)
		rc = prepare_dir(pk, force);
	if (rc == 0)
		rc = write_images(pk);
	if (rc == 0)
		rc = write_text(pk, pk->scatter_name, fill_scatter);
	if (rc == 0)
		rc = write_text(pk, "Checksum.ini", fill_checksum_ini);
	return rc ? rc : write_sums(pk);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mtkemu mkfirmware --chip CHIP --out DIR [--variant V] [--force]\n"
	           "  Writes a sample firmware package for the emulated CHIP into DIR: a scatter\n"
	           "  laid out exactly like `mtkemu provision --chip CHIP` (no --scatter), the\n"
	           "  board's preloader, lk, boot, recovery, logo, secro, tee, sparse system/cache/\n"
	           "  userdata, Checksum.ini, and SHA256SUMS signed with the demo key\n"
	           "  (DIR/mtkemu-demo.pub).  DIR must be empty or new, unless --force.\n"
	           "  V (one thing spoiled, for tests): wrong-chip, other-dram, flipped-byte,\n"
	           "    unsigned, layout-changed\n");
}

static void print_summary(const struct pkg *pk)
{
	uint64_t total = 0;
	for (size_t i = 0; i < pk->nfiles; i++)
		total += pk->files[i].size;
	printf("sample firmware for %s (%s) in %s: %zu files, %.1f MiB%s%s\n", pk->prof->name,
	       pk->gpt ? "gpt" : "mbr+pmt", pk->dir, pk->nfiles, (double)total / MIB, pk->v ? ", variant " : "",
	       variant_names[pk->v]);
	printf("scatter %s/%s\n", pk->dir, pk->scatter_name);
}

static int parse_variant(const char *s, enum variant *v)
{
	for (int i = 1; i < V_COUNT; i++)
		if (strcmp(s, variant_names[i]) == 0) {
			*v = (enum variant)i;
			return 0;
		}
	return -1;
}

int emu_mkfirmware_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"chip", required_argument, NULL, 'c'},    {"out", required_argument, NULL, 'o'},
	        {"variant", required_argument, NULL, 'v'}, {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *chip = NULL, *dir = NULL;
	enum variant v = V_NONE;
	bool force = false;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
		if (c == 'c')
			chip = optarg;
		else if (c == 'o')
			dir = optarg;
		else if (c == 'f')
			force = true;
		else if (c == 'v' && parse_variant(optarg, &v) == 0)
			continue;
		else {
			if (c == 'v')
				fprintf(stderr, "mtkemu mkfirmware: unknown --variant '%s'\n", optarg);
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!chip || !dir || optind < argc) {
		usage(stderr);
		return 2;
	}
	mtk_ctx *ctx = mtk_ctx_new();
	static struct pkg pk; /* large: keep it off the stack */
	int rc = ctx ? mkfirmware(ctx, chip, dir, v, force, &pk) : MTK_E_NOMEM;
	if (rc)
		fprintf(stderr, "mtkemu mkfirmware: %s\n", ctx ? mtk_ctx_error(ctx) : "out of memory");
	else
		print_summary(&pk);
	mtk_ctx_free(ctx);
	return rc ? 1 : 0;
}
