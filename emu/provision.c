/* SPDX-License-Identifier: MIT */
/* `mtkemu provision`: build a phone's storage as it leaves the factory.
 *
 *   mtkemu provision --chip CHIP --state DIR [--scatter FILE] [--user-size SIZE]
 *                    [--imei IMEI] [--force]
 *
 * The layout comes from the scatter file (or a default one for the chip's
 * era); the partition table is the one that era uses: GPT from MT6580 on,
 * MBR/EBR plus a PMT for MT6572/MT6582 (profile field `table`).  Contents are
 * deterministic, so two provisions of the same inputs are byte-identical:
 *   boot1 (and boot2 for EMMC_BOOT1_BOOT2)  a preloader image: EMMC_BOOT
 *        header + BRLYT + GFH FILE_INFO/BL_INFO + code + MTK_BLOADER_INFO
 *        block + signature (formats.md §4), which the boot model and a real
 *        preloader parser accept;
 *   boot, recovery  an Android boot image header ("ANDROID!") and payload;
 *   the first of nvram / nvdata / protect1  the IMEI record (emu_storage.h);
 *   table partitions (pgpt, sgpt, MBR, EBRn, flashinfo, BMTPOOL, OTP)  only
 *        what the table writer puts there;
 *   everything else  a one-line tag and pattern bytes in its first MiB; the
 *        rest stays a hole in the sparse file (reads as zero). */
#include "emu_internal.h"
#include "emu_storage.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/text.h"
#include "mtkflash/core.h"

#define MIB           (1024ull * 1024)
#define PATTERN_BYTES MIB

static int perr(char *err, size_t errlen, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int perr(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* ------------------------------------------------------------ default layouts */

struct dpart {
	const char *name;
	uint64_t linear, size;
	enum emu_scatter_region region;
};

#define TAIL(n) (0xFFFF0000u | (n))
/* GPT era, shaped like the MT6735/MT6580 factory scatters in the fixtures. */
static const struct dpart gpt_layout[] = {
        {"preloader", 0, 0x40000, EMU_SR_BOOT1}, {"pgpt", 0, 0x80000, EMU_SR_USER},
        {"proinfo", 0x80000, 0x300000, 0},       {"nvram", 0x380000, 0x500000, 0},
        {"protect1", 0x880000, 0xA00000, 0},     {"protect2", 0x1280000, 0xA00000, 0},
        {"lk", 0x1C80000, 0x80000, 0},           {"para", 0x1D00000, 0x80000, 0},
        {"boot", 0x1D80000, 0x1000000, 0},       {"recovery", 0x2D80000, 0x1000000, 0},
        {"logo", 0x3D80000, 0x800000, 0},        {"expdb", 0x4580000, 0xA00000, 0},
        {"seccfg", 0x4F80000, 0x80000, 0},       {"secro", 0x5000000, 0x600000, 0},
        {"tee1", 0x5600000, 0x500000, 0},        {"tee2", 0x5B00000, 0x500000, 0},
        {"frp", 0x6000000, 0x100000, 0},         {"nvdata", 0x6100000, 0x2000000, 0},
        {"metadata", 0x8100000, 0x2500000, 0},   {"system", 0xA600000, 0xC0000000, 0},
        {"cache", 0xCA600000, 0x10000000, 0},    {"userdata", 0xDA600000, 0, 0},
        {"flashinfo", TAIL(0x84), 0x1000000, 0}, {"sgpt", TAIL(0x4), 0x80000, 0},
};
/* MBR era (MT6572/MT6582): linear space = boot area (12 MiB reserved) + user. */
static const struct dpart mbr_layout[] = {
        {"PRELOADER", 0, 0xC00000, EMU_SR_BOOT1}, {"MBR", 0xC00000, 0x80000, 0},
        {"EBR1", 0xC80000, 0x80000, 0},           {"PRO_INFO", 0xD00000, 0x300000, 0},
        {"NVRAM", 0x1000000, 0x500000, 0},        {"PROTECT_F", 0x1500000, 0xA00000, 0},
        {"PROTECT_S", 0x1F00000, 0xA00000, 0},    {"SECCFG", 0x2900000, 0x20000, 0},
        {"UBOOT", 0x2920000, 0x60000, 0},         {"BOOTIMG", 0x2980000, 0x600000, 0},
        {"RECOVERY", 0x2F80000, 0x600000, 0},     {"SEC_RO", 0x3580000, 0x40000, 0},
        {"MISC", 0x35C0000, 0x80000, 0},          {"LOGO", 0x3640000, 0x300000, 0},
        {"EXPDB", 0x3940000, 0xA00000, 0},        {"ANDROID", 0x4340000, 0x40000000, 0},
        {"CACHE", 0x44340000, 0x10000000, 0},     {"USRDATA", 0x54340000, 0, 0},
        {"BMTPOOL", TAIL(0xA8), 0x1500000, 0},
};

/* xflash era, shaped like the MT6765 factory scatter in the fixtures: the
 * preloader in both boot partitions, OTP in the reserved tail. */
static const struct dpart xflash_layout[] = {
        {"preloader", 0, 0x40000, EMU_SR_BOOT1_BOOT2}, {"pgpt", 0, 0x8000, 0},
        {"boot_para", 0x8000, 0x100000, 0},            {"recovery", 0x108000, 0x2000000, 0},
        {"para", 0x2108000, 0x80000, 0},               {"expdb", 0x2188000, 0x1400000, 0},
        {"frp", 0x3588000, 0x100000, 0},               {"nvcfg", 0x3688000, 0x2000000, 0},
        {"nvdata", 0x5688000, 0x4000000, 0},           {"metadata", 0x9688000, 0x2000000, 0},
        {"protect1", 0xB688000, 0x800000, 0},          {"protect2", 0xBE88000, 0x978000, 0},
        {"seccfg", 0xC800000, 0x800000, 0},            {"persist", 0xD000000, 0x3000000, 0},
        {"sec1", 0x10000000, 0x200000, 0},             {"proinfo", 0x10200000, 0x300000, 0},
        {"md1img", 0x10500000, 0x6400000, 0},          {"spmfw", 0x16900000, 0x100000, 0},
        {"scp1", 0x16A00000, 0x100000, 0},             {"scp2", 0x16B00000, 0x100000, 0},
        {"sspm_1", 0x16C00000, 0x100000, 0},           {"sspm_2", 0x16D00000, 0x100000, 0},
        {"gz1", 0x16E00000, 0x1000000, 0},             {"gz2", 0x17E00000, 0x1000000, 0},
        {"nvram", 0x18E00000, 0x4000000, 0},           {"lk", 0x1CE00000, 0x100000, 0},
        {"lk2", 0x1CF00000, 0x100000, 0},              {"boot", 0x1D000000, 0x2000000, 0},
        {"logo", 0x1F000000, 0x800000, 0},             {"dtbo", 0x1F800000, 0x800000, 0},
        {"tee1", 0x20000000, 0x500000, 0},             {"tee2", 0x20500000, 0xB00000, 0},
        {"vendor", 0x21000000, 0x32000000, 0},         {"system", 0x53000000, 0xC0000000, 0},
        {"vbmeta", 0x113000000, 0x800000, 0},          {"cache", 0x113800000, 0x1B000000, 0},
        {"userdata", 0x12E800000, 0, 0},               {"otp", TAIL(0x1D8), 0x2B00000, 0},
        {"flashinfo", TAIL(0x80), 0x1000000, 0},       {"sgpt", TAIL(0), 0x4200, 0},
};
/* MT6785: the EMMC block of its V2.1.0 factory scatter (dynamic partitions:
 * one `super` instead of system and vendor). */
static const struct dpart mt6785_layout[] = {
        {"preloader", 0, 0x80000, EMU_SR_BOOT1_BOOT2}, {"pgpt", 0, 0x8000, 0},
        {"recovery", 0x8000, 0x6000000, 0},            {"misc", 0x6008000, 0x80000, 0},
        {"para", 0x6088000, 0x80000, 0},               {"expdb", 0x6108000, 0x1400000, 0},
        {"frp", 0x7508000, 0x100000, 0},               {"vbmeta", 0x7608000, 0x800000, 0},
        {"vbmeta_system", 0x7E08000, 0x800000, 0},     {"vbmeta_vendor", 0x8608000, 0x800000, 0},
        {"nvcfg", 0x8E08000, 0x2000000, 0},            {"nvdata", 0xAE08000, 0x4000000, 0},
        {"backup", 0xEE08000, 0xA00000, 0},            {"reserved", 0xF808000, 0xA00000, 0},
        {"vbmeta_oem", 0x10208000, 0x10000, 0},        {"vbmeta_vgc", 0x10218000, 0x10000, 0},
        {"storage", 0x10228000, 0x4000000, 0},         {"logdump", 0x14228000, 0x4000000, 0},
        {"md_udc", 0x18228000, 0x169A000, 0},          {"metadata", 0x198C2000, 0x2000000, 0},
        {"persist", 0x1B8C2000, 0x373E000, 0},         {"protect1", 0x1F000000, 0x800000, 0},
        {"protect2", 0x1F800000, 0x800000, 0},         {"seccfg", 0x20000000, 0x800000, 0},
        {"otp", 0x20800000, 0x3000000, 0},             {"sec1", 0x23800000, 0x200000, 0},
        {"proinfo", 0x23A00000, 0x300000, 0},          {"efuse", 0x23D00000, 0x80000, 0},
        {"nvram", 0x23D80000, 0x4000000, 0},           {"md1img", 0x27D80000, 0x9600000, 0},
        {"boot_para", 0x31380000, 0x1A00000, 0},       {"spmfw", 0x32D80000, 0x100000, 0},
        {"audio_dsp", 0x32E80000, 0x400000, 0},        {"scp1", 0x33280000, 0x600000, 0},
        {"scp2", 0x33880000, 0x600000, 0},             {"sspm_1", 0x33E80000, 0x100000, 0},
        {"sspm_2", 0x33F80000, 0x100000, 0},           {"cam_vpu1", 0x34080000, 0xF00000, 0},
        {"cam_vpu2", 0x34F80000, 0xF00000, 0},         {"cam_vpu3", 0x35E80000, 0xF00000, 0},
        {"gz1", 0x36D80000, 0x2000000, 0},             {"gz2", 0x38D80000, 0x2000000, 0},
        {"lk", 0x3AD80000, 0x1000000, 0},              {"lk2", 0x3BD80000, 0x1000000, 0},
        {"boot", 0x3CD80000, 0x6000000, 0},            {"vendor_boot", 0x42D80000, 0x4000000, 0},
        {"logo", 0x46D80000, 0x800000, 0},             {"dtbo", 0x47580000, 0x800000, 0},
        {"tee1", 0x47D80000, 0x500000, 0},             {"tee2", 0x48280000, 0x580000, 0},
        {"super", 0x48800000, 0x2A0000000, 0},         {"cache", 0x2E8800000, 0x10000000, 0},
        {"userdata", 0x2F8800000, 0, 0},               {"flashinfo", TAIL(0x80), 0x1000000, 0},
        {"sgpt", TAIL(0), 0x8000, 0},
};

#define LAYOUT(t) t, sizeof(t) / sizeof(t[0])
static const struct {
	const char *chip; /* NULL: any chip of the era */
	enum emu_da_family da;
	enum emu_table_kind table;
	const struct dpart *parts;
	size_t count;
} layouts[] = {
        {"mt6785", EMU_DA_XFLASH, EMU_TABLE_GPT, LAYOUT(mt6785_layout)},
        {NULL, EMU_DA_XFLASH, EMU_TABLE_GPT, LAYOUT(xflash_layout)},
        {NULL, EMU_DA_LEGACY, EMU_TABLE_GPT, LAYOUT(gpt_layout)},
        {NULL, EMU_DA_LEGACY, EMU_TABLE_PMT_MBR, LAYOUT(mbr_layout)},
};

static const struct dpart *layout_of(const struct emu_profile *prof, size_t *n)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if ((!layouts[i].chip || strcmp(layouts[i].chip, prof->name) == 0) &&
		    layouts[i].da == prof->da_family && layouts[i].table == prof->table) {
			*n = layouts[i].count;
			return layouts[i].parts;
		}
	*n = sizeof(gpt_layout) / sizeof(gpt_layout[0]);
	return gpt_layout;
}

static int default_scatter(const struct emu_profile *prof, struct emu_scatter *sc)
{
	size_t n;
	const struct dpart *d = layout_of(prof, &n);
	memset(sc, 0, sizeof(*sc));
	sc->parts = calloc(n, sizeof(*sc->parts));
	if (!sc->parts)
		return MTK_E_NOMEM;
	sc->count = n;
	sc->version = 11;
	for (size_t i = 0; i < n; i++) {
		struct emu_scatter_part *p = &sc->parts[i];
		snprintf(p->name, sizeof(p->name), "%s", d[i].name);
		p->linear = d[i].linear;
		p->size = d[i].size;
		p->region = d[i].region;
		p->reserved = (d[i].linear >> 16) == 0xFFFF;
		p->download = true;
	}
	return 0;
}

/* ------------------------------------------------------------------- layout */

struct layout {
	const char *src; /* scatter path or "default layout", for messages */
	size_t count;
	struct emu_placed_part *parts; /* = result->parts */
	unsigned line[160];
};

/* MT6572-era names of partitions that the GPT era renamed (formats.md §1.10),
 * as far as provisioning needs them. */
static const char *era_alias(const char *name)
{
	static const char *const alias[][2] = {
	        {"BOOTIMG", "boot"},        {"ANDROID", "system"},      {"USRDATA", "userdata"},
	        {"PROTECT_F", "protect1"}, {"PROTECT_S", "protect2"}, {"UBOOT", "lk"},
	};
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcasecmp(name, alias[i][0]) == 0)
			return alias[i][1];
	return NULL;
}

static bool name_is(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (strcasecmp(name, *set) == 0 || (era_alias(name) && strcasecmp(era_alias(name), *set) == 0))
			return true;
	return false;
}

static int add_placed(struct layout *L, const struct emu_scatter_part *src, int area, uint64_t off,
                      uint64_t size, char *err, size_t errlen)
{
	if (L->count == sizeof(L->line) / sizeof(L->line[0]))
		return perr(err, errlen, MTK_E_RANGE, "%s:%u: more than 160 partitions", L->src, src->line);
	struct emu_placed_part *p = &L->parts[L->count];
	snprintf(p->name, sizeof(p->name), "%s", src->name);
	p->area = area;
	p->offset = off;
	p->size = size;
	p->linear = src->linear;
	p->scatter_size = src->size ? src->size : size;
	p->reserved = (src->linear >> 16) == 0xFFFF && src->linear <= 0xFFFFFFFFu;
	p->fs_image = src->fs_image;
	L->line[L->count++] = src->line;
	return 0;
}

static uint64_t user_base(const struct emu_scatter *sc)
{
	for (size_t i = 0; i < sc->count; i++)
		if (sc->parts[i].region == EMU_SR_USER && !sc->parts[i].reserved)
			return sc->parts[i].linear;
	return 0;
}

static int place_boot(struct layout *L, const struct emu_scatter_part *p, const struct emu_emmc_geometry *g,
                      char *err, size_t errlen)
{
	int rc = 0;
	bool b1 = p->region == EMU_SR_BOOT1 || p->region == EMU_SR_BOOT1_BOOT2;
	bool b2 = p->region == EMU_SR_BOOT2 || p->region == EMU_SR_BOOT1_BOOT2;
	/* MBR-era scatters size the preloader as the whole linear boot window;
	 * what exists is the boot area itself. */
	if (b1)
		rc = add_placed(L, p, EMU_AREA_BOOT1, 0,
		                p->size && p->size < g->size[EMU_AREA_BOOT1] ? p->size
		                                                             : g->size[EMU_AREA_BOOT1],
		                err, errlen);
	if (rc == 0 && b2)
		rc = add_placed(L, p, EMU_AREA_BOOT2, 0,
		                p->size && p->size < g->size[EMU_AREA_BOOT2] ? p->size
		                                                             : g->size[EMU_AREA_BOOT2],
		                err, errlen);
	return rc;
}

/* Reserved partitions are placed from the end of the user area backwards,
 * from their real sizes (formats.md §1.8): the 0xFFFFxxxx form rounds its
 * distance down, and the absolute addresses of readback scatters describe
 * the phone they were read from (one of them puts sgpt inside userdata). */
static bool at_tail(const struct emu_scatter_part *p)
{
	return p->region == EMU_SR_USER && p->reserved;
}

static int place_tail(struct layout *L, const struct emu_scatter *sc, uint64_t user_size,
                      uint64_t *tail_start, char *err, size_t errlen)
{
	uint64_t end = user_size;
	for (size_t i = sc->count; i-- > 0;) {
		const struct emu_scatter_part *p = &sc->parts[i];
		if (!at_tail(p))
			continue;
		if (p->size > end)
			return perr(err, errlen, MTK_E_RANGE,
			            "%s:%u: reserved partition '%s' (0x%llx bytes) does not fit the "
			            "0x%llx-byte user area",
			            L->src, p->line, p->name, (unsigned long long)p->size,
			            (unsigned long long)user_size);
		end -= p->size;
		int rc = add_placed(L, p, EMU_AREA_USER, end, p->size, err, errlen);
		if (rc)
			return rc;
	}
	*tail_start = end;
	return 0;
}

/* The user area a scatter needs: the end of its last partition, a MiB for
 * each "rest of the device" one, and the reserved tail. */
static uint64_t user_need(const struct emu_scatter *sc)
{
	uint64_t base = user_base(sc), end = 0, tail = 0;
	for (size_t i = 0; i < sc->count; i++) {
		const struct emu_scatter_part *p = &sc->parts[i];
		if (p->region != EMU_SR_USER)
			continue;
		if (at_tail(p)) {
			tail += p->size;
			continue;
		}
		uint64_t e = p->linear >= base ? p->linear - base : 0;
		e += p->size ? p->size : MIB;
		end = e > end ? e : end;
		if (end > (1ull << 50))
			return UINT64_MAX; /* no eMMC is that big; let placement report it */
	}
	return end + tail;
}

/* With no --user-size, a layout bigger than the chip's default eMMC gets the
 * next power of two that holds it, as eMMC parts come. */
static uint64_t auto_user_size(const struct emu_scatter *sc, uint64_t dflt)
{
	uint64_t need = user_need(sc), size = dflt;
	while (size < need && size < (1ull << 50))
		size <<= 1;
	return size;
}

static int place_user(struct layout *L, const struct emu_scatter *sc, size_t i, uint64_t base,
                      uint64_t tail_start, char *err, size_t errlen)
{
	const struct emu_scatter_part *p = &sc->parts[i];
	if (p->linear < base)
		return perr(err, errlen, MTK_E_RANGE,
		            "%s:%u: '%s' at 0x%llx lies before the user area (starts at 0x%llx)", L->src,
		            p->line, p->name, (unsigned long long)p->linear, (unsigned long long)base);
	uint64_t off = p->linear - base, size = p->size;
	if (size == 0) { /* "the rest": up to the next partition or the reserved tail */
		uint64_t next = tail_start;
		for (size_t j = i + 1; j < sc->count; j++)
			if (sc->parts[j].region == EMU_SR_USER && !sc->parts[j].reserved) {
				next = sc->parts[j].linear - base;
				break;
			}
		if (next <= off && !p->line) /* the built-in layout has no lines: say what size it needs */
			return perr(err, errlen, MTK_E_RANGE,
			            "the default layout needs a user area of at least %llu GiB for '%s' "
			            "(give --user-size, or --scatter for a smaller layout)",
			            (unsigned long long)((off + (128ull << 20) + (1ull << 30) - 1) >> 30), p->name);
		if (next <= off)
			return perr(err, errlen, MTK_E_RANGE, "%s:%u: '%s' has size 0 and no room after it",
			            L->src, p->line, p->name);
		size = next - off;
	}
	return add_placed(L, p, EMU_AREA_USER, off, size, err, errlen);
}

static int cmp_placed(const void *a, const void *b)
{
	const struct emu_placed_part *x = a, *y = b;
	if (x->area != y->area)
		return x->area < y->area ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int check_layout(struct layout *L, const struct emu_emmc_geometry *g, char *err, size_t errlen)
{
	for (size_t i = 0; i < L->count; i++) {
		const struct emu_placed_part *p = &L->parts[i];
		uint64_t end;
		if (p->name[0] == 0)
			return perr(err, errlen, MTK_E_PARSE, "%s:%u: partition without a name", L->src,
			            L->line[i]);
		if (mtk_add_overflows(p->offset, p->size, &end) || end > g->size[p->area])
			return perr(err, errlen, MTK_E_RANGE,
			            "%s:%u: '%s' (0x%llx+0x%llx) does not fit the %s area (0x%llx bytes); "
			            "use a bigger "
			            "--user-size",
			            L->src, L->line[i], p->name, (unsigned long long)p->offset,
			            (unsigned long long)p->size, emu_area_name(p->area),
			            (unsigned long long)g->size[p->area]);
	}
	/* sort with the line numbers riding along */
	struct {
		struct emu_placed_part p;
		unsigned line;
	} tmp[160];
	for (size_t i = 0; i < L->count; i++) {
		tmp[i].p = L->parts[i];
		tmp[i].line = L->line[i];
	}
	qsort(tmp, L->count, sizeof(tmp[0]), cmp_placed);
	for (size_t i = 0; i < L->count; i++) {
		L->parts[i] = tmp[i].p;
		L->line[i] = tmp[i].line;
	}
	for (size_t i = 1; i < L->count; i++) {
		const struct emu_placed_part *a = &L->parts[i - 1], *b = &L->parts[i];
		if (a->area == b->area && a->offset + a->size > b->offset)
			return perr(err, errlen, MTK_E_RANGE,
			            "%s:%u: '%s' overlaps '%s' (line %u) in the %s area", L->src, L->line[i],
			            b->name, a->name, L->line[i - 1], emu_area_name(a->area));
	}
	return 0;
}

static int place_all(struct layout *L, const struct emu_scatter *sc, const struct emu_emmc_geometry *g,
                     char *err, size_t errlen)
{
	uint64_t base = user_base(sc), tail = g->size[EMU_AREA_USER];
	int rc = place_tail(L, sc, g->size[EMU_AREA_USER], &tail, err, errlen);
	for (size_t i = 0; rc == 0 && i < sc->count; i++) {
		const struct emu_scatter_part *p = &sc->parts[i];
		if (p->region != EMU_SR_USER)
			rc = place_boot(L, p, g, err, errlen);
		else if (!at_tail(p))
			rc = place_user(L, sc, i, base, tail, err, errlen);
	}
	return rc ? rc : check_layout(L, g, err, errlen);
}

/* The chip's default layout as placed on its default eMMC: what `provision`
 * without --scatter builds, and what `mkfirmware` describes in its scatter. */
int emu_default_layout(const struct emu_profile *prof, struct emu_placed_part *parts, size_t cap, size_t *count,
                       char *err, size_t errlen)
{
	struct emu_emmc_geometry g = {0};
	emu_geometry_default(&g, prof, 0);
	struct emu_scatter sc;
	if (default_scatter(prof, &sc))
		return perr(err, errlen, MTK_E_NOMEM, "out of memory");
	struct emu_placed_part *tmp = calloc(160, sizeof(*tmp));
	struct layout L = {.src = "default layout", .parts = tmp};
	int rc = tmp ? place_all(&L, &sc, &g, err, errlen) : perr(err, errlen, MTK_E_NOMEM, "out of memory");
	emu_scatter_free(&sc);
	if (rc == 0 && L.count > cap)
		rc = perr(err, errlen, MTK_E_RANGE, "the default layout has %zu partitions (room for %zu)", L.count,
		          cap);
	if (rc == 0) {
		memcpy(parts, tmp, L.count * sizeof(*tmp));
		*count = L.count;
	}
	free(tmp);
	return rc;
}

/* ----------------------------------------------------------------- contents */

uint32_t emu_fnv1a(const char *s, uint32_t h)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Untraced like its callers: a helper with other sanitizer attributes is not
 * inlined into them. */
MTK_NO_COVERAGE_INNER static inline uint32_t xorshift32(uint32_t x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* Eight bytes to a store where the host is little-endian: a provision
 * writes a MiB of this per partition, and each byte's store was a checked
 * access under ASan (a third of a sanitizer build's `provision`). */
MTK_NO_COVERAGE void emu_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed ? seed : 0x2545F491u;
	size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= len; i += 8) {
		uint64_t w = 0;
		for (unsigned k = 0; k < 8; k++)
			w |= (uint64_t)(uint8_t)(x = xorshift32(x)) << (8 * k);
		memcpy(buf + i, &w, 8);
	}
#endif
	for (; i < len; i++)
		buf[i] = (uint8_t)(x = xorshift32(x));
}

/* Eight bytes at a time away from the hole: one load and one compare where
 * a byte loop had eight (each checked under ASan); this runs on every DA
 * upload. */
MTK_NO_COVERAGE bool emu_xorshift_matches(const uint8_t *buf, size_t from, size_t to, uint32_t seed,
                                          size_t hole_from, size_t hole_to)
{
	uint32_t x = seed;
	for (size_t i = from; i < to;) {
		if (i + 8 <= to && (i + 8 <= hole_from || i >= hole_to)) {
			uint8_t want[8];
			uint64_t w, got; /* compared as words: memcmp is an interceptor call in a fuzz build */
			for (unsigned k = 0; k < 8; k++)
				want[k] = (uint8_t)(x = xorshift32(x));
			memcpy(&w, want, 8);
			memcpy(&got, buf + i, 8);
			if (w != got)
				return false;
			i += 8;
		} else {
			x = xorshift32(x);
			if ((i < hole_from || i >= hole_to) && buf[i] != (uint8_t)x)
				return false;
			i++;
		}
	}
	return true;
}

static int wr(struct emu_storage *s, int area, uint64_t off, const void *buf, size_t len, char *err,
              size_t errlen)
{
	int rc = emu_emmc_write(s, area, off, buf, len);
	return rc ? perr(err, errlen, rc, "%s", emu_emmc_error(s)) : 0;
}

void emu_board_flash_id(const struct emu_profile *prof, uint8_t id[EMU_FLASH_ID_LEN])
{
	/* MID 0x90 (Hynix), BGA, OID 0x4A as in da-legacy.md's example; the
	 * product name says which emulated board this is ("EM6737"). */
	static const uint8_t head[3] = {0x90, 0x01, 0x4A};
	memcpy(id, head, 3);
	const char *digits = strlen(prof->name) > 2 ? prof->name + 2 : prof->name;
	char pnm[7];
	snprintf(pnm, sizeof pnm, "EM%-4.4s", digits);
	memcpy(id + 3, pnm, 6);
}

/* The board's DRAM: the one EMI record its factory preloader carries, in the
 * v20 "standard" layout (formats.md §4.5.2): type +0x04, id_length +0x08, ID
 * +0x10, settings from +0x28, MR5 (vendor id) +0xB0.  The settings bytes are
 * per chip, so a record with this board's id but other timings fails DRAM
 * init. */
void emu_board_emi_record(const struct emu_profile *prof, uint8_t rec[EMU_EMI_RECORD_SIZE])
{
	emu_pattern(rec, EMU_EMI_RECORD_SIZE, emu_fnv1a(prof->name, 0xE111u));
	mtk_put_u32le(rec + 0x00, 0);                             /* sub_version */
	mtk_put_u32le(rec + 0x04, 0x0200u | prof->dram_type);     /* eMMC MCP */
	mtk_put_u32le(rec + 0x08, EMU_FLASH_ID_LEN);              /* id_length */
	mtk_put_u32le(rec + 0x0C, 0);                             /* fw_id_length */
	memset(rec + 0x10, 0, 0x18);                              /* ID[16], fw_id[8] */
	emu_board_flash_id(prof, rec + 0x10);
	mtk_put_u32le(rec + EMU_EMI_MR5_OFF, prof->dram_mr5);
}

/* A preloader as it sits in boot1 (formats.md §4.1–§4.5). */
#define PL_GFH     0x800u
#define PL_HDR     0x300u
#define PL_BLOADER (0x70u + EMU_EMI_RECORD_SIZE) /* header + one EMI record */
#define PL_SIG     0x124u

/* EMMC_BOOT device header + BRLYT in front of a GFH image of `total` bytes. */
static void put_boot_header(uint8_t *img, uint32_t total)
{
	memset(img, 0xFF, 0x200);
	memcpy(img, "EMMC_BOOT\0\0\0", 12);
	mtk_put_u32le(img + 0x0C, 1);
	mtk_put_u32le(img + 0x10, 0x200);
	uint8_t *b = img + 0x200; /* BRLYT */
	memcpy(b, "BRLYT\0\0\0", 8);
	mtk_put_u32le(b + 0x08, 1);
	mtk_put_u32le(b + 0x0C, PL_GFH);
	mtk_put_u32le(b + 0x10, total);
	mtk_put_u32le(b + 0x14, 0x42424242);
	mtk_put_u32le(b + 0x18, 0x00010005);
	mtk_put_u32le(b + 0x1C, PL_GFH);
	mtk_put_u32le(b + 0x20, total);
	mtk_put_u32le(b + 0x24, 1);
}

static void put_gfh(uint8_t *g, uint32_t load_addr, uint32_t file_len)
{
	memcpy(g, "MMM\x01", 4); /* GFH_FILE_INFO */
	mtk_put_u16le(g + 4, 0x38);
	mtk_put_u16le(g + 6, 0);
	memcpy(g + 0x08, "FILE_INFO", 9);
	mtk_put_u32le(g + 0x14, 1);
	mtk_put_u16le(g + 0x18, 1); /* ARM_BL */
	g[0x1A] = 5;                /* generic flash device */
	g[0x1B] = 3;
	mtk_put_u32le(g + 0x1C, load_addr);
	mtk_put_u32le(g + 0x20, file_len);
	mtk_put_u32le(g + 0x24, 0x40000);
	mtk_put_u32le(g + 0x28, PL_HDR);
	mtk_put_u32le(g + 0x2C, PL_SIG);
	mtk_put_u32le(g + 0x30, PL_HDR);
	mtk_put_u32le(g + 0x34, 1);
	uint8_t *bl = g + 0x38; /* GFH_BL_INFO */
	memcpy(bl, "MMM\x01", 4);
	mtk_put_u16le(bl + 4, 0x0C);
	mtk_put_u16le(bl + 6, 1);
	mtk_put_u32le(bl + 8, 1);
}

uint32_t emu_preloader_load_addr(const struct emu_profile *prof)
{
	return prof->hw_code == 0x6572 ? 0x02007200 : 0x00200D00;
}

size_t emu_preloader_size(uint32_t code_len)
{
	uint32_t file_len = PL_HDR + code_len + PL_BLOADER + 4 + PL_SIG;
	return PL_GFH + ((file_len + 511u) & ~511u);
}

size_t emu_preloader_build(uint8_t *img, size_t cap, const struct emu_preloader_spec *spec)
{
	uint32_t file_len = PL_HDR + spec->code_len + PL_BLOADER + 4 + PL_SIG;
	size_t total = emu_preloader_size(spec->code_len);
	if (total > cap)
		return 0;
	memset(img, 0, total);
	put_boot_header(img, (uint32_t)total);
	uint8_t *g = img + PL_GFH;
	put_gfh(g, spec->load_addr, file_len);
	emu_pattern(g + PL_HDR, spec->code_len, spec->code_seed);
	uint8_t *info = g + PL_HDR + spec->code_len;
	snprintf((char *)info, 0x1B, "MTK_BLOADER_INFO_v20");
	snprintf((char *)info + 0x1B, 0x3D, "%s", spec->name);
	memcpy(info + 0x58, "V116", 4);
	mtk_put_u32le(info + 0x5C, 0x33448822);
	memcpy(info + 0x64, "MTK_BIN\0", 8);
	mtk_put_u32le(info + 0x6C, 1);
	memcpy(info + 0x70, spec->emi, EMU_EMI_RECORD_SIZE);
	mtk_put_u32le(info + PL_BLOADER, PL_BLOADER);
	memset(info + PL_BLOADER + 4, 0x5A, PL_SIG);
	return total;
}

#define PL_FACTORY_CODE 0x4000u

static int write_preloader(struct emu_storage *s, const struct emu_placed_part *p,
                           const struct emu_profile *prof, char *err, size_t errlen)
{
	uint8_t img[PL_GFH + PL_HDR + PL_FACTORY_CODE + PL_BLOADER + 4 + PL_SIG + 512];
	struct emu_preloader_spec spec = {.load_addr = emu_preloader_load_addr(prof),
	                                  .code_len = PL_FACTORY_CODE,
	                                  .code_seed = emu_fnv1a(prof->name, 2166136261u)};
	snprintf(spec.name, sizeof spec.name, "preloader_mtkemu_%s.bin", prof->name);
	emu_board_emi_record(prof, spec.emi);
	size_t n = emu_preloader_build(img, sizeof(img), &spec);
	if (n > p->size)
		n = (size_t)p->size;
	return wr(s, p->area, p->offset, img, n, err, errlen);
}

static int write_bootimg(struct emu_storage *s, const struct emu_placed_part *p, char *err, size_t errlen)
{
	size_t n = p->size < PATTERN_BYTES ? (size_t)p->size : PATTERN_BYTES;
	uint8_t *buf = calloc(1, n);
	if (!buf)
		return perr(err, errlen, MTK_E_NOMEM, "out of memory");
	const uint32_t page = 2048;
	uint32_t kernel = n > 2 * page ? (uint32_t)(n - 2 * page) : 0;
	if (n >= page) {
		memcpy(buf, "ANDROID!", 8);
		mtk_put_u32le(buf + 8, kernel);      /* kernel_size */
		mtk_put_u32le(buf + 12, 0x40008000); /* kernel_addr */
		mtk_put_u32le(buf + 16, 0);          /* ramdisk_size */
		mtk_put_u32le(buf + 20, 0x45000000); /* ramdisk_addr */
		mtk_put_u32le(buf + 32, 0x44000000); /* tags_addr */
		mtk_put_u32le(buf + 36, page);       /* page_size */
		snprintf((char *)buf + 48, 16, "mtkemu");
		snprintf((char *)buf + 64, 512, "bootopt=64S3,32N2,64N2 androidboot.selinux=permissive");
		emu_pattern(buf + page, kernel, emu_fnv1a(p->name, 0x811C9DC5u));
	}
	int rc = wr(s, p->area, p->offset, buf, n, err, errlen);
	free(buf);
	return rc;
}

static int write_imei(struct emu_storage *s, const struct emu_placed_part *p, const char *imei, char *err,
                      size_t errlen)
{
	uint8_t rec[512] = {0};
	snprintf((char *)rec, sizeof(rec), EMU_IMEI_MAGIC "IMEI1=%s\n", imei);
	return wr(s, p->area, p->offset, rec, p->size < sizeof(rec) ? (size_t)p->size : sizeof(rec), err,
	          errlen);
}

static int write_pattern(struct emu_storage *s, const struct emu_placed_part *p, const char *chip, char *err,
                         size_t errlen)
{
	size_t n = p->size < PATTERN_BYTES ? (size_t)p->size : PATTERN_BYTES;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return perr(err, errlen, MTK_E_NOMEM, "out of memory");
	emu_pattern(buf, n, emu_fnv1a(p->name, emu_fnv1a(chip, 0x811C9DC5u)));
	char tag[128];
	int t = snprintf(tag, sizeof(tag), "MTKEMU-FACTORY part=%s chip=%s\n", p->name, chip);
	memcpy(buf, tag, (size_t)t < n ? (size_t)t : n);
	int rc = wr(s, p->area, p->offset, buf, n, err, errlen);
	free(buf);
	return rc;
}

/* lk with MediaTek's partition image header (magic 0x58881688, payload
 * size, name; 0xFF up to 512 bytes), as lk.bin in a factory package: the
 * boot model (boot.c) wants it before the phone boots. */
static int write_lk(struct emu_storage *s, const struct emu_placed_part *p, const char *chip, char *err,
                    size_t errlen)
{
	int rc = write_pattern(s, p, chip, err, errlen);
	if (rc || p->size < 512)
		return rc;
	uint8_t hdr[512];
	memset(hdr, 0xFF, sizeof hdr);
	uint64_t payload = (p->size < PATTERN_BYTES ? p->size : PATTERN_BYTES) - sizeof hdr;
	mtk_put_u32le(hdr, 0x58881688u);
	mtk_put_u32le(hdr + 4, (uint32_t)payload);
	memset(hdr + 8, 0, 32);
	memcpy(hdr + 8, "LK", 2);
	return wr(s, p->area, p->offset, hdr, sizeof hdr, err, errlen);
}

static const char *const lk_images[] = {"lk", NULL};
static const char *const table_parts[] = {"pgpt", "sgpt",    "MBR", "EBR1",      "EBR2", "EBR3",
                                          "PMT",  "BMTPOOL", "OTP", "flashinfo", NULL};
static const char *const boot_images[] = {"boot", "recovery", NULL};
static const char *const nvram_class[] = {"nvram", "nvdata", "protect1", NULL};

/* The partition that gets the IMEI record: the first of nvram_class present. */
static const struct emu_placed_part *imei_home(const struct layout *L)
{
	for (const char *const *n = nvram_class; *n; n++)
		for (size_t i = 0; i < L->count; i++)
			if (L->parts[i].area == EMU_AREA_USER &&
			    name_is(L->parts[i].name, (const char *const[]){*n, NULL}))
				return &L->parts[i];
	return NULL;
}

static bool fill_wanted(const struct emu_provision_opts *o, const struct emu_placed_part *p)
{
	return !o->fill_wanted ||
	       o->fill_wanted(o->fill_ctx, p->area, p->offset, p->size < PATTERN_BYTES ? p->size : PATTERN_BYTES);
}

static int fill_contents(const struct emu_provision_opts *o, struct emu_storage *s, const struct layout *L,
                         const struct emu_profile *prof, const char *imei, char *err, size_t errlen)
{
	const struct emu_placed_part *home = imei_home(L);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < L->count; i++) {
		const struct emu_placed_part *p = &L->parts[i];
		if (p->area != EMU_AREA_USER)
			rc = write_preloader(s, p, prof, err, errlen);
		else if (p == home)
			rc = write_imei(s, p, imei, err, errlen);
		else if (!fill_wanted(o, p))
			continue;
		else if (name_is(p->name, boot_images))
			rc = write_bootimg(s, p, err, errlen);
		else if (name_is(p->name, lk_images))
			rc = write_lk(s, p, prof->name, err, errlen);
		else if (!name_is(p->name, table_parts))
			rc = write_pattern(s, p, prof->name, err, errlen);
	}
	return rc;
}

/* ------------------------------------------------------------ partition table */

/* MBR-era partitions that are filesystems the kernel mounts, and so entries
 * of the MBR/EBR chain, besides those the scatter types YAFFS_IMG/EXT4_IMG:
 * the real Wiko s4050ap MBR lists PROTECT_F and PROTECT_S although its
 * scatter types them NORMAL_ROM (formats.md §5.1 names SEC_RO too, but the
 * Wiko keeps SEC_RO raw, so it needs its scatter type). */
static const char *const mbr_linux[] = {"PROTECT_F", "PROTECT_S", "ANDROID", "CACHE",
                                        "USRDATA",   "FAT",       "CUSTPACK", NULL};

static void to_table_part(const struct emu_placed_part *p, bool first_copy, struct emu_table_part *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", p->name);
	t->offset = p->offset;
	t->size = p->size;
	t->linear = p->linear;
	t->pmt_size = p->scatter_size;
	t->user = p->area == EMU_AREA_USER;
	t->in_mbr = t->user && (p->fs_image || name_is(p->name, mbr_linux));
	/* the DA's PMT lists the layout up to the last user partition, boot
	 * images once, the reserved tail not at all (formats.md §5.2) */
	t->in_pmt = !p->reserved && first_copy;
	t->in_gpt = t->user && !name_is(p->name, (const char *const[]){"pgpt", "sgpt", NULL});
}

static struct emu_table_part *table_parts_of(const struct emu_placed_part *parts, size_t n)
{
	struct emu_table_part *t = calloc(n ? n : 1, sizeof(*t));
	for (size_t i = 0; t && i < n; i++) {
		bool first = true;
		for (size_t j = 0; j < i; j++)
			first &= strcmp(parts[j].name, parts[i].name) != 0;
		to_table_part(&parts[i], first, &t[i]);
	}
	return t;
}

int emu_layout_mbr_sectors(const struct emu_placed_part *parts, size_t n, struct emu_mbr_sectors *out, char *err,
                           size_t errlen)
{
	struct emu_table_part *t = table_parts_of(parts, n);
	if (!t)
		return perr(err, errlen, MTK_E_NOMEM, "out of memory");
	int rc = emu_mbr_build(t, n, out, err, errlen);
	free(t);
	return rc;
}

static int write_mbr_pmt(struct emu_storage *s, const struct emu_table_part *t, size_t n, char *err,
                         size_t errlen)
{
	struct emu_mbr_sectors img;
	uint8_t pmt[2 * EMU_PMT_COPY_SIZE];
	uint64_t off = 0;
	int rc = emu_mbr_build(t, n, &img, err, errlen);
	if (rc == 0 && (rc = emu_pmt_location(emu_emmc_size(s, EMU_AREA_USER), &off)) != 0)
		return perr(err, errlen, rc, "the user area is too small for a PMT at its size - 1 MiB");
	if (rc == 0)
		rc = emu_pmt_build(t, n, pmt, err, errlen);
	for (size_t i = 0; rc == 0 && i < img.count; i++)
		rc = wr(s, EMU_AREA_USER, img.offset[i], img.sector[i], 512, err, errlen);
	return rc ? rc : wr(s, EMU_AREA_USER, off, pmt, sizeof(pmt), err, errlen);
}

static int write_table(struct emu_storage *s, const struct layout *L, const struct emu_profile *prof,
                       uint64_t seed, char *err, size_t errlen)
{
	struct emu_table_part *t = table_parts_of(L->parts, L->count);
	if (!t)
		return perr(err, errlen, MTK_E_NOMEM, "out of memory");
	bool gpt = prof->table == EMU_TABLE_GPT;
	int rc = gpt ? emu_gpt_write(s, t, L->count, seed, err, errlen) : write_mbr_pmt(s, t, L->count, err, errlen);
	free(t);
	if (rc) {
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		perr(err, errlen, rc, "writing the %s: %s", gpt ? "GPT" : "MBR/EBR and PMT", why);
	}
	return rc;
}

/* --------------------------------------------------------------------- IMEI */

static int luhn_digit(const char *d14)
{
	int sum = 0;
	for (int i = 0; i < 14; i++) {
		int v = d14[i] - '0';
		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (10 - sum % 10) % 10;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[n] == 0;
}

/* 15 digits with a valid Luhn check digit; 14 digits get one appended; no
 * IMEI: TAC 35209900 + a serial derived from the state path. */
static int make_imei(const char *given, const char *seed, char out[16], char *err, size_t errlen)
{
	if (!given) {
		snprintf(out, 16, "35209900%06u", (unsigned)(emu_fnv1a(seed, 0x811C9DC5u) % 1000000u));
		out[14] = (char)('0' + luhn_digit(out));
		out[15] = 0;
		return 0;
	}
	size_t n = strlen(given);
	if ((n != 14 && n != 15) || !all_digits(given, n))
		return perr(err, errlen, MTK_E_INVAL, "--imei '%s': expected 14 or 15 digits", given);
	memcpy(out, given, 14);
	out[14] = (char)('0' + luhn_digit(given));
	out[15] = 0;
	if (n == 15 && given[14] != out[14])
		return perr(err, errlen, MTK_E_INVAL, "--imei '%s': check digit should be %c", given,
		            out[14]);
	return 0;
}

int emu_imei_record_parse(const uint8_t *buf, size_t len, char imei[16])
{
	size_t ml = strlen(EMU_IMEI_MAGIC);
	if (len < ml + 6 + 15 || memcmp(buf, EMU_IMEI_MAGIC, ml) != 0 || memcmp(buf + ml, "IMEI1=", 6) != 0)
		return MTK_E_PARSE;
	const char *d = (const char *)buf + ml + 6;
	for (int i = 0; i < 15; i++)
		if (d[i] < '0' || d[i] > '9')
			return MTK_E_PARSE;
	memcpy(imei, d, 15);
	imei[15] = 0;
	return 0;
}

/* -------------------------------------------------------------- state dir */

/* Ours, plus the identity file device.c keeps (ME_ID/SOC_ID of the old device). */
static const char *const state_files[] = {"device.ini", "ext_csd.bin", "boot1.bin",    "boot2.bin",
                                          "rpmb.bin",   "user.bin",    "identity.ini", NULL};

static int prepare_dir(const char *dir, bool force, char *err, size_t errlen)
{
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return perr(err, errlen, MTK_E_IO, "%s: %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return perr(err, errlen, MTK_E_IO, "%s: %s", dir, strerror(errno));
	bool empty = true;
	for (struct dirent *de; (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty && !force)
		return perr(err, errlen, MTK_E_INVAL,
		            "%s is not empty (use --force to replace the device in it)", dir);
	/* --force replaces our own files only; anything else in DIR is left alone. */
	char p[4200];
	for (const char *const *f = state_files; *f; f++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *f);
		if (unlink(p) != 0 && errno != ENOENT)
			return perr(err, errlen, MTK_E_IO, "%s: %s", p, strerror(errno));
	}
	return 0;
}

/* ------------------------------------------------------------------- driver */

static int load_layout(const struct emu_provision_opts *o, const struct emu_profile *prof,
                       struct emu_scatter *sc, char *err, size_t errlen)
{
	if (!o->scatter)
		return default_scatter(prof, sc) ? perr(err, errlen, MTK_E_NOMEM, "out of memory") : 0;
	return emu_scatter_load(o->scatter, sc, err, errlen);
}

static int provision_storage(const struct emu_provision_opts *o, const struct emu_profile *prof,
                             const struct emu_emmc_geometry *g, struct layout *L, char *err, size_t errlen)
{
	int rc = o->memstate ? emu_emmc_create_mem(o->memstate, g, err, errlen)
	                     : emu_emmc_create(o->state_dir, g, err, errlen);
	struct emu_storage *s = NULL;
	if (rc == 0)
		rc = o->memstate ? emu_emmc_open_mem(o->memstate, &s, err, errlen)
		                 : emu_emmc_open(o->state_dir, &s, err, errlen);
	if (rc == 0)
		rc = write_table(s, L, prof, emu_fnv1a(g->imei, 0x811C9DC5u), err, errlen);
	if (rc == 0)
		rc = fill_contents(o, s, L, prof, g->imei, err, errlen);
	emu_emmc_close(s);
	return rc;
}

int emu_provision(const struct emu_provision_opts *o, struct emu_provision_result *res, char *err,
                  size_t errlen)
{
	memset(res, 0, sizeof(*res));
	const struct emu_profile *prof = emu_profile_find(o->chip);
	if (!prof)
		return perr(err, errlen, MTK_E_NOTFOUND, "unknown chip '%s'", o->chip ? o->chip : "");
	struct emu_emmc_geometry g = {0};
	emu_geometry_default(&g, prof, o->user_size);
	int rc = make_imei(o->imei, o->state_dir, g.imei, err, errlen);
	if (rc)
		return rc;
	emu_emmc_make_board_cid(g.cid, prof, g.imei);
	struct emu_scatter sc;
	if ((rc = load_layout(o, prof, &sc, err, errlen)) != 0)
		return rc;
	if (!o->user_size && o->scatter) {
		g.size[EMU_AREA_USER] = auto_user_size(&sc, prof->user_size);
		res->user_sized = g.size[EMU_AREA_USER] != prof->user_size;
	}
	res->user_size = g.size[EMU_AREA_USER];
	snprintf(res->storages, sizeof(res->storages), "%s", sc.storages);
	struct layout L = {.src = o->scatter ? o->scatter : "default layout", .parts = res->parts};
	rc = place_all(&L, &sc, &g, err, errlen);
	emu_scatter_free(&sc);
	if (rc == 0 && !o->memstate)
		rc = prepare_dir(o->state_dir, o->force, err, errlen);
	if (rc == 0)
		rc = provision_storage(o, prof, &g, &L, err, errlen);
	if (rc)
		return rc;
	res->count = L.count;
	snprintf(res->table, sizeof(res->table), "%s", prof->table == EMU_TABLE_GPT ? "gpt" : "mbr+pmt");
	memcpy(res->imei, g.imei, sizeof(res->imei));
	const struct emu_placed_part *home = imei_home(&L);
	if (home) {
		snprintf(res->imei_part, sizeof(res->imei_part), "%s", home->name);
		res->imei_offset = home->offset;
	}
	return 0;
}

/* ---------------------------------------------------------------------- CLI */

static void human(char *buf, size_t len, uint64_t v)
{
	if (v >= (1ull << 30) && v % (1ull << 30) == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(v >> 30));
	else if (v >= MIB && v % MIB == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(v >> 20));
	else if (v >= 1024 && v % 1024 == 0)
		snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)v);
}

static void print_summary(const struct emu_provision_opts *o, const struct emu_provision_result *r)
{
	const struct emu_profile *prof = emu_profile_find(o->chip);
	struct emu_emmc_geometry g = {0};
	emu_geometry_default(&g, prof, r->user_size);
	char b1[32], rp[32], us[32];
	human(b1, sizeof(b1), g.size[EMU_AREA_BOOT1]);
	human(rp, sizeof(rp), g.size[EMU_AREA_RPMB]);
	human(us, sizeof(us), g.size[EMU_AREA_USER]);
	printf("provisioned %s in %s\n", prof->name, o->state_dir);
	printf("  eMMC    boot1 %s, boot2 %s, rpmb %s, user %s (sparse files)\n", b1, b1, rp, us);
	if (r->user_sized)
		printf("  sizing  user area %s: the next power of two that holds the scatter's layout "
		       "(give --user-size to choose)\n",
		       us);
	printf("  layout  %s\n", o->scatter ? o->scatter : "default layout for the chip");
	if (r->storages[0])
		printf("  storage the EMMC block of this V2.x scatter (it has: %s)\n", r->storages);
	printf("  table   %s, %zu partitions\n", r->table, r->count);
	printf("  IMEI    %s", r->imei);
	if (r->imei_part[0])
		printf(" (record in %s at user+0x%llx)", r->imei_part, (unsigned long long)r->imei_offset);
	printf("\n  boot    preloader in boot1: the device comes up in preloader mode\n");
	printf("  %-16s %-6s %14s %14s\n", "partition", "area", "offset", "size");
	for (size_t i = 0; i < r->count; i++)
		printf("  %-16s %-6s %#14llx %#14llx\n", r->parts[i].name, emu_area_name(r->parts[i].area),
		       (unsigned long long)r->parts[i].offset, (unsigned long long)r->parts[i].size);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mtkemu provision --chip CHIP --state DIR [--scatter FILE] [--user-size SIZE]\n"
	           "                        [--imei IMEI] [--force]\n"
	           "  SIZE: bytes, or with a K/M/G/T suffix (8G, 16GiB)\n");
}

int emu_provision_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"chip", required_argument, NULL, 'c'},    {"state", required_argument, NULL, 's'},
	        {"scatter", required_argument, NULL, 'S'}, {"user-size", required_argument, NULL, 'u'},
	        {"imei", required_argument, NULL, 'i'},    {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	struct emu_provision_opts o = {0};
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
		switch (c) {
		case 'c':
			o.chip = optarg;
			break;
		case 's':
			o.state_dir = optarg;
			break;
		case 'S':
			o.scatter = optarg;
			break;
		case 'i':
			o.imei = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case 'u':
			if (mtk_parse_size(NULL, optarg, &o.user_size) != 0 || o.user_size == 0) {
				fprintf(stderr,
				        "mtkemu provision: --user-size '%s': expected a size like 8G\n",
				        optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.chip || !o.state_dir || optind < argc) {
		usage(stderr);
		return 2;
	}
	static struct emu_provision_result res; /* large: keep it off the stack */
	char err[512] = "";
	int rc = emu_provision(&o, &res, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "mtkemu provision: %s\n", err);
		if (rc == MTK_E_NOTFOUND && !emu_profile_find(o.chip)) {
			fprintf(stderr, "known chips:");
			for (const char *const *n = mtkemu_chip_names(); *n; n++)
				fprintf(stderr, " %s", *n);
			fprintf(stderr, "\n");
		}
		return 1;
	}
	print_summary(&o, &res);
	return 0;
}
