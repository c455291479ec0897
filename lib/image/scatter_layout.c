/* SPDX-License-Identifier: MIT */
/* What a parsed scatter means: regions, address spaces, classes, and the
 * checks a layout must pass (formats.md §1.6-§1.11). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ctx.h"
#include "core/text.h"
#include "mtkflash/imagefile.h"
#include "image/scatter_priv.h"

/* ------------------------------------------------------------ normalising */

static const struct {
	const char *name;
	enum mtk_region region;
	bool both;
} region_names[] = {
        {"EMMC_BOOT1", MTK_REGION_BOOT1, false},      {"EMMC_BOOT_1", MTK_REGION_BOOT1, false},
        {"EMMC_BOOT2", MTK_REGION_BOOT2, false},      {"EMMC_BOOT_2", MTK_REGION_BOOT2, false},
        {"EMMC_BOOT1_BOOT2", MTK_REGION_BOOT1, true}, {"EMMC_USER", MTK_REGION_USER, false},
        {"EMMC_RPMB", MTK_REGION_RPMB, false},        {"UFS_LU0", MTK_REGION_BOOT1, false},
        {"UFS_LU1", MTK_REGION_BOOT2, false},         {"UFS_LU0_LU1", MTK_REGION_BOOT1, true},
        {"UFS_LU2", MTK_REGION_USER, false},          {"boot1", MTK_REGION_BOOT1, false},
        {"boot2", MTK_REGION_BOOT2, false},           {"user", MTK_REGION_USER, false},
};

static void set_region(const struct mtk_scatter *s, struct mtk_scatter_part *p)
{
	p->region_known = false;
	if (!p->region_name) {
		/* Absent: the boot image goes to the boot area, the rest to user. */
		p->region_known = true;
		p->region = p->type == MTK_IMG_PRELOADER ? MTK_REGION_BOOT1 : MTK_REGION_USER;
		return;
	}
	if (s->storage == MTK_PKG_STORAGE_NAND && sc_ieq(p->region_name, "NONE")) {
		p->region_known = true;
		p->region = MTK_REGION_USER;
		return;
	}
	for (size_t i = 0; i < sizeof region_names / sizeof region_names[0]; i++) {
		if (sc_ieq(p->region_name, region_names[i].name)) {
			p->region_known = true;
			p->region = region_names[i].region;
			p->both_boot = region_names[i].both;
			return;
		}
	}
}

static enum mtk_image_type type_from(const struct mtk_scatter_part *p)
{
	static const struct {
		const char *name;
		enum mtk_image_type t;
	} t[] = {
	        {"NORMAL_ROM", MTK_IMG_RAW},  {"SV5_BL_BIN", MTK_IMG_PRELOADER}, {"EXT4_IMG", MTK_IMG_EXT4},
	        {"YAFFS_IMG", MTK_IMG_YAFFS}, {"UBI_IMG", MTK_IMG_UBI},          {"NONE", MTK_IMG_NONE},
	};
	if (!p->type_name)
		return p->download && (p->file || p->file_hint) ? MTK_IMG_RAW : MTK_IMG_NONE;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (sc_ieq(p->type_name, t[i].name))
			return t[i].t;
	return MTK_IMG_OTHER;
}

static enum mtk_part_op op_from(const struct mtk_scatter_part *p)
{
	if (!p->op_name)
		return p->download ? MTK_OP_UPDATE : MTK_OP_INVISIBLE;
	if (sc_ieq(p->op_name, "BOOTLOADER")) /* one readback tool's spelling */
		return MTK_OP_BOOTLOADERS;
	for (int o = MTK_OP_UPDATE; o < MTK_OP_OTHER; o++)
		if (sc_ieq(p->op_name, mtk_part_op_name((enum mtk_part_op)o)))
			return (enum mtk_part_op)o;
	return MTK_OP_OTHER;
}

/* v1.0/V1.1.1 names and their GPT-era successors (§1.10). */
static const char *const aliases[][2] = {
        {"ANDROID", "system"}, {"USRDATA", "userdata"}, {"BOOTIMG", "boot"},       {"UBOOT", "lk"},
        {"SEC_RO", "secro"},   {"PRO_INFO", "proinfo"}, {"PROTECT_F", "protect1"}, {"PROTECT_S", "protect2"},
};

static const char *alias_of(const char *name)
{
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (sc_ieq(name, aliases[i][0]))
			return aliases[i][1];
		if (sc_ieq(name, aliases[i][1]))
			return aliases[i][0];
	}
	return NULL;
}

void sc_normalise_part(struct mtk_scatter *s, struct mtk_scatter_part *p)
{
	p->type = type_from(p);
	p->op = op_from(p);
	set_region(s, p);
	p->alias = alias_of(p->name);
	p->tail = sc_is_tail(p->start, &p->tail_units);
	if (p->size == 0 || p->op == MTK_OP_NEEDRESIZE)
		p->fills = true;
}

/* ------------------------------------------------------------ classes */

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (sc_ieq(name, *list))
			return true;
	return false;
}

static bool prefix_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strncasecmp(name, *list, strlen(*list)) == 0)
			return true;
	return false;
}

static bool is_bootloader(const struct mtk_scatter_part *p)
{
	static const char *const names[] = {"lk", "lk2", "lk_a", "lk_b", "uboot", "dsp_bl", NULL};
	static const char *const prefixes[] = {"preloader", "loader_ext", "tee", NULL};
	return p->op == MTK_OP_BOOTLOADERS || p->type == MTK_IMG_PRELOADER ||
	       (p->region_known && p->region != MTK_REGION_USER) || name_in(p->name, names) ||
	       prefix_in(p->name, prefixes);
}

/* Partition tables count as reserved: they describe the layout rather than
 * hold content, and the flasher writes them itself when it must. */
static bool is_reserved_area(const struct mtk_scatter_part *p)
{
	static const char *const names[] = {"bmtpool", "otp", "pmt", "flashinfo", "pgpt", "sgpt", "mbr", NULL};
	static const char *const prefixes[] = {"ebr", NULL};
	return p->op == MTK_OP_RESERVED || p->tail || name_in(p->name, names) || prefix_in(p->name, prefixes);
}

/* Device-unique data that a firmware download must never overwrite. */
static bool is_protected(const struct mtk_scatter_part *p)
{
	static const char *const names[] = {
	        "nvram",   "nvdata",   "nvcfg",  "protect1", "protect2", "protect_f", "protect_s",
	        "proinfo", "pro_info", "seccfg", "persist",  "frp",      "imei",      "calibration",
	        "efuse",   "oeminfo",  "kb",     "dkb",      NULL,
	};
	return p->op == MTK_OP_PROTECTED || p->op == MTK_OP_BINREGION || name_in(p->name, names);
}

static bool is_userdata(const struct mtk_scatter_part *p)
{
	static const char *const names[] = {"userdata", "usrdata", "cache", "fat", "metadata", "intsd", NULL};
	return name_in(p->name, names);
}

void sc_classify(struct mtk_scatter_part *p)
{
	if (is_bootloader(p))
		p->cls = MTK_CLASS_BOOTLOADER;
	else if (is_reserved_area(p))
		p->cls = MTK_CLASS_RESERVED;
	else if (is_protected(p))
		p->cls = MTK_CLASS_PROTECTED;
	else if (is_userdata(p))
		p->cls = MTK_CLASS_USERDATA;
	else
		p->cls = MTK_CLASS_SYSTEM;
}

static enum mtk_part_class class_of_name(const char *name)
{
	struct mtk_scatter_part p;
	memset(&p, 0, sizeof p);
	p.name = (char *)name; /* sc_classify only reads it */
	p.op = MTK_OP_UPDATE;
	sc_classify(&p);
	return p.cls;
}

bool mtk_part_name_is_bootloader(const char *name)
{
	return class_of_name(name) == MTK_CLASS_BOOTLOADER;
}

bool mtk_part_name_is_protected(const char *name)
{
	return class_of_name(name) == MTK_CLASS_PROTECTED;
}

/* ------------------------------------------------------------ address space */

static bool in_user(const struct mtk_scatter_part *p)
{
	return p->region_known && p->region == MTK_REGION_USER;
}

/* MBR-era files count BOOT1‖BOOT2‖RPMB before the user area: the first user
 * partition then starts where the preloader's "partition", which spans the
 * whole boot area, ends (§1.7). */
static uint64_t linear_user_base(const struct mtk_scatter *s)
{
	const struct mtk_scatter_part *first = NULL;
	for (size_t i = 0; i < s->count && !first; i++)
		if (in_user(&s->parts[i]) && !s->parts[i].tail)
			first = &s->parts[i];
	if (!first || first->start == 0)
		return 0;
	for (size_t i = 0; i < s->count; i++) {
		const struct mtk_scatter_part *p = &s->parts[i];
		if (p->region_known && p->region != MTK_REGION_USER && p->start == 0 &&
		    p->size == first->start)
			return first->start;
	}
	return 0;
}

void sc_assign_offsets(struct mtk_scatter *s)
{
	uint64_t base = linear_user_base(s);
	s->addr_space = base ? MTK_ADDR_LINEAR_BOOT : MTK_ADDR_REGION;
	s->boot_area_size = base;
	for (size_t i = 0; i < s->count; i++) {
		struct mtk_scatter_part *p = &s->parts[i];
		p->offset_known = !p->tail && !(in_user(p) && p->start < base);
		p->offset = p->offset_known ? p->start - (in_user(p) ? base : 0) : 0;
	}
}

/* ------------------------------------------------------------ file names */

bool mtk_scatter_file_name_ok(const char *name)
{
	return mtk_name_problem(name, MTK_NAME_PACKAGE) == NULL;
}

/* ------------------------------------------------------------ validation */

struct check {
	struct mtk_scatter *s;
	int rc;
};

#define PROBLEM(ck, sev, p, ...)                                                                             \
	do {                                                                                                 \
		if ((ck)->rc == 0)                                                                           \
			(ck)->rc =                                                                           \
			        mtk_problems_add(&(ck)->s->problems, sev, (ck)->s->fname,                    \
			                         (p) ? (p)->line : 0, (p) ? (p)->name : NULL, __VA_ARGS__);  \
	} while (0)

static const char *disp(const struct mtk_scatter_part *p)
{
	return p->name[0] ? p->name : p->index ? p->index : "(unnamed)";
}

/* The first partition before p called exactly (or, with `any_case`, in any
 * case) as p is, or NULL. */
static const struct mtk_scatter_part *first_named(const struct mtk_scatter *s, const struct mtk_scatter_part *p,
                                                  bool any_case)
{
	for (const struct mtk_scatter_part *q = s->parts; q < p; q++)
		if (any_case ? sc_ieq(p->name, q->name) : strcmp(p->name, q->name) == 0)
			return q;
	return NULL;
}

/* One finding per partition, against the first of its name: a file naming
 * one partition n times had n(n-1)/2 of them (a fuzzer's 6 KiB scatter,
 * 127 "preloader" lines among 365, made some 12000). */
static void check_names(struct check *ck)
{
	const struct mtk_scatter *s = ck->s;
	for (size_t i = 0; i < s->count; i++) {
		const struct mtk_scatter_part *p = &s->parts[i], *q;
		if (!p->name[0])
			PROBLEM(ck, MTK_SEV_WARNING, p, "partition %s has an empty name", disp(p));
		else if ((q = first_named(s, p, false)) != NULL)
			PROBLEM(ck, MTK_SEV_ERROR, p, "duplicate partition name '%s' (first at line %u)", p->name,
			        q->line);
		else if ((q = first_named(s, p, true)) != NULL)
			PROBLEM(ck, MTK_SEV_WARNING, p, "'%s' differs from '%s' (line %u) only in case", p->name,
			        q->name, q->line);
	}
}

static void check_region(struct check *ck, const struct mtk_scatter_part *p)
{
	const struct mtk_scatter *s = ck->s;
	if (!p->region_known) {
		PROBLEM(ck, MTK_SEV_ERROR, p, "%s: unknown region '%s'", disp(p), p->region_name);
		return;
	}
	if (!p->region_name || s->storage == MTK_PKG_STORAGE_UNKNOWN || s->storage == MTK_PKG_STORAGE_NAND)
		return;
	bool ufs_name = strncasecmp(p->region_name, "UFS_", 4) == 0;
	bool emmc_name = strncasecmp(p->region_name, "EMMC_", 5) == 0;
	if ((ufs_name && s->storage != MTK_PKG_STORAGE_UFS) || (emmc_name && s->storage != MTK_PKG_STORAGE_EMMC))
		PROBLEM(ck, MTK_SEV_WARNING, p, "%s: region %s in the %s layout", disp(p), p->region_name,
		        mtk_storage_kind_name(s->storage));
}

static void check_file(struct check *ck, const struct mtk_scatter_part *p)
{
	if (p->file && !mtk_scatter_file_name_ok(p->file))
		PROBLEM(ck, MTK_SEV_ERROR, p,
		        "%s: file name '%s' is absolute or leaves the package folder; refusing it", disp(p),
		        p->file);
	if (p->download && !p->file && !p->file_hint)
		PROBLEM(ck, MTK_SEV_WARNING, p,
		        "%s: is_download is true but file_name is NONE (nothing to write)", disp(p));
}

static void check_size(struct check *ck, const struct mtk_scatter_part *p)
{
	uint64_t end;
	if (mtk_add_overflows(p->start, p->size, &end))
		PROBLEM(ck, MTK_SEV_ERROR, p, "%s: start 0x%llx + size 0x%llx overflows 64 bits", disp(p),
		        (unsigned long long)p->start, (unsigned long long)p->size);
	if (p->size != 0 || p->cls == MTK_CLASS_RESERVED)
		return;
	if (p->size_implicit && !p->tail)
		PROBLEM(ck, MTK_SEV_WARNING, p,
		        "%s: size unknown (reaches up to the next partition or the region end; give the "
		        "storage "
		        "size to resolve it)",
		        disp(p));
	else if (p->op != MTK_OP_NEEDRESIZE)
		PROBLEM(ck, MTK_SEV_WARNING, p, "%s: size is 0 (taken as: up to the next partition)",
		        disp(p));
}

static void check_address(struct check *ck, const struct mtk_scatter_part *p)
{
	const struct mtk_scatter *s = ck->s;
	if (!p->tail && !p->offset_known)
		PROBLEM(ck, MTK_SEV_ERROR, p,
		        "%s: start 0x%llx lies inside the boot area (this file's user area starts at 0x%llx)",
		        disp(p), (unsigned long long)p->start, (unsigned long long)s->boot_area_size);
	if (p->tail && s->block_size == 0 && !s->region_size[p->region])
		PROBLEM(ck, MTK_SEV_WARNING, p,
		        "%s: end-relative address 0x%llx but the file gives no block_size", disp(p),
		        (unsigned long long)p->start);
}

/* Does p occupy area `a` (BOOT1, BOOT2, USER)? */
static bool occupies(const struct mtk_scatter_part *p, enum mtk_region a)
{
	if (!p->region_known || !p->offset_known)
		return false;
	return p->region == a || (p->both_boot && a == MTK_REGION_BOOT2);
}

static int cmp_offset(const void *a, const void *b)
{
	const struct mtk_scatter_part *const *x = a, *const *y = b;
	if ((*x)->offset != (*y)->offset)
		return (*x)->offset < (*y)->offset ? -1 : 1;
	return (*x)->line < (*y)->line ? -1 : (*x)->line > (*y)->line;
}

static void check_order(struct check *ck, enum mtk_region a)
{
	const struct mtk_scatter_part *prev = NULL;
	for (size_t i = 0; i < ck->s->count; i++) {
		const struct mtk_scatter_part *p = &ck->s->parts[i];
		if (!occupies(p, a))
			continue;
		if (prev && p->offset < prev->offset)
			PROBLEM(ck, MTK_SEV_WARNING, p,
			        "%s (0x%llx) is listed after %s (line %u, 0x%llx) but starts "
			        "before it",
			        disp(p), (unsigned long long)p->offset, disp(prev), prev->line,
			        (unsigned long long)prev->offset);
		prev = p;
	}
}

static void check_pair(struct check *ck, const struct mtk_scatter_part *hi, uint64_t hi_end,
                       const struct mtk_scatter_part *p)
{
	if (p->offset < hi_end)
		PROBLEM(ck, MTK_SEV_ERROR, p, "%s [0x%llx, 0x%llx) overlaps %s (line %u) [0x%llx, 0x%llx)",
		        disp(p), (unsigned long long)p->offset, (unsigned long long)(p->offset + p->size),
		        disp(hi), hi->line, (unsigned long long)hi->offset, (unsigned long long)hi_end);
	else if (p->offset > hi_end && !hi->fills)
		PROBLEM(ck, MTK_SEV_WARNING, p, "gap of 0x%llx bytes between %s (line %u) and %s",
		        (unsigned long long)(p->offset - hi_end), disp(hi), hi->line, disp(p));
}

static void check_area(struct check *ck, enum mtk_region a)
{
	struct mtk_scatter *s = ck->s;
	const struct mtk_scatter_part **v = calloc(s->count ? s->count : 1, sizeof *v);
	if (!v) {
		ck->rc = MTK_E_NOMEM;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < s->count; i++)
		if (occupies(&s->parts[i], a))
			v[n++] = &s->parts[i];
	qsort(v, n, sizeof *v, cmp_offset);
	const struct mtk_scatter_part *hi = NULL; /* the one reaching furthest so far */
	uint64_t hi_end = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t end = v[i]->offset + v[i]->size;
		if (end < v[i]->offset)
			continue; /* reported by check_size */
		if (hi)
			check_pair(ck, hi, hi_end, v[i]);
		if (!hi || end > hi_end) {
			hi = v[i];
			hi_end = end;
		}
		if (s->region_size[a] && end > s->region_size[a])
			PROBLEM(ck, MTK_SEV_ERROR, v[i],
			        "%s ends at 0x%llx, past the end of the region (0x%llx)", disp(v[i]),
			        (unsigned long long)end, (unsigned long long)s->region_size[a]);
	}
	check_order(ck, a);
	free(v);
}

/* After resolving: does 0xFFFFnnnn agree with where the partition now is? */
static void check_tail_units(struct check *ck, const struct mtk_scatter_part *p)
{
	const struct mtk_scatter *s = ck->s;
	uint64_t rs = s->region_size[p->region];
	if (!p->tail || !p->offset_known || !rs || !s->block_size || p->offset > rs)
		return;
	uint64_t units = (rs - p->offset) / s->block_size;
	if (units != p->tail_units)
		PROBLEM(ck, MTK_SEV_WARNING, p,
		        "%s: 0x%llx says %u blocks from the end, the region size gives %llu", disp(p),
		        (unsigned long long)p->start, p->tail_units, (unsigned long long)units);
}

int mtk_scatter_validate(struct mtk_scatter *s)
{
	mtk_problems_clear(&s->problems);
	struct check ck = {.s = s};
	for (size_t i = 0; i < s->notes.count && ck.rc == 0; i++) {
		const struct mtk_problem *n = &s->notes.items[i];
		ck.rc = mtk_problems_add(&s->problems, n->severity, n->file, n->line, n->part, "%s",
		                         n->message);
	}
	check_names(&ck);
	for (size_t i = 0; i < s->count; i++) {
		check_region(&ck, &s->parts[i]);
		check_file(&ck, &s->parts[i]);
		check_size(&ck, &s->parts[i]);
		check_address(&ck, &s->parts[i]);
		check_tail_units(&ck, &s->parts[i]);
	}
	check_area(&ck, MTK_REGION_BOOT1);
	check_area(&ck, MTK_REGION_BOOT2);
	check_area(&ck, MTK_REGION_USER);
	return ck.rc;
}

/* ------------------------------------------------------------ resolving the tail */

static int place_tail(mtk_ctx *ctx, struct mtk_scatter *s, enum mtk_region r, uint64_t size, uint64_t *low)
{
	uint64_t cur = size;
	for (size_t i = s->count; i-- > 0;) {
		struct mtk_scatter_part *p = &s->parts[i];
		if (!p->tail || !p->region_known || p->region != r)
			continue;
		if (p->size > cur)
			return mtk_fail(ctx, MTK_E_RANGE,
			                "%s:%u: reserved partition %s (0x%llx bytes) does not fit in a "
			                "0x%llx-byte region",
			                s->fname, p->line, disp(p), (unsigned long long)p->size,
			                (unsigned long long)size);
		cur -= p->size;
		p->offset = cur;
		p->offset_known = true;
	}
	*low = cur;
	return 0;
}

/* A size-0/NEEDRESIZE partition gets the room up to whatever follows it. */
static void fill_sizes(struct mtk_scatter *s, enum mtk_region r, uint64_t region_size)
{
	for (size_t i = 0; i < s->count; i++) {
		struct mtk_scatter_part *p = &s->parts[i];
		if (!p->fills || p->tail || !occupies(p, r) || p->cls == MTK_CLASS_RESERVED)
			continue;
		uint64_t next = region_size;
		for (size_t j = 0; j < s->count; j++) {
			const struct mtk_scatter_part *q = &s->parts[j];
			if (q != p && occupies(q, r) && q->offset > p->offset && q->offset < next)
				next = q->offset;
		}
		if (next > p->offset) {
			p->size = next - p->offset;
			p->size_implicit = true;
		}
	}
}

int mtk_scatter_resolve(mtk_ctx *ctx, struct mtk_scatter *s, enum mtk_region region, uint64_t region_size)
{
	if ((unsigned)region >= MTK_REGION_COUNT || region_size == 0)
		return mtk_fail(ctx, MTK_E_INVAL, "resolving %s: bad region or size", s->fname);
	uint64_t low;
	int rc = place_tail(ctx, s, region, region_size, &low);
	if (rc < 0)
		return rc;
	s->region_size[region] = region_size;
	fill_sizes(s, region, region_size);
	rc = mtk_scatter_validate(s);
	if (rc < 0)
		return mtk_fail(ctx, rc, "%s: out of memory", s->fname);
	return 0;
}
