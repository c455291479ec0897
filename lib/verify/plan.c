/* SPDX-License-Identifier: MIT */
/* The plan: the package's layout matched against the device's table, each
 * partition given an action by the scene, in the order a careful flasher
 * writes (data first, the boot chain after, the preloader last). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "core/fileutil.h"
#include "flash_priv.h"
#include "mtkflash/scatter.h"
#include "mtkflash/verify.h"

#define PRELOADER_MAX (16u << 20)

/* ---------------------------------------------------------------- names */

static const char *const scene_names[] = { "download", "upgrade", "format-all" };
static const char *const match_names[] = { "identical", "alias", "moved", "new", "removed", "impossible" };
static const char *const action_names[] = { "write", "skip", "backup", "erase", "keep" };
static const char *const class_names[] = { "data", "bootloader", "protected", "table", "reserved" };

#define NAME_OF(tbl, v) ((unsigned)(v) < sizeof tbl / sizeof tbl[0] ? tbl[v] : "?")

const char *mtk_scene_name(enum mtk_scene s)
{
	return NAME_OF(scene_names, s);
}

int mtk_scene_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof scene_names / sizeof scene_names[0]; i++)
		if (strcmp(s, scene_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *mtk_plan_match_name(enum mtk_plan_match m)
{
	return NAME_OF(match_names, m);
}

const char *mtk_plan_action_name(enum mtk_plan_action a)
{
	return NAME_OF(action_names, a);
}

const char *mtk_plan_class_name(enum mtk_plan_class c)
{
	return NAME_OF(class_names, c);
}

/* ------------------------------------------------------------ partitions */

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return true;
	return false;
}

static bool is_table(const char *name)
{
	static const char *const names[] = { "pgpt", "sgpt", "gpt", "PMT", "__NODL_PMT", "MBR", NULL };
	return name_in(name, names) || (strncasecmp(name, "EBR", 3) == 0 && name[3] >= '0' && name[3] <= '9');
}

static bool is_preloader(const struct mtk_scatter_part *p)
{
	return p->type == MTK_IMG_PRELOADER || strncasecmp(p->name, "preloader", 9) == 0;
}

/* The table synthesises these as whole areas (mtk_da_read_ptable add_layout):
 * their size on the device says nothing about the package's. */
static bool is_layout_entry(const char *name)
{
	static const char *const names[] = { "preloader", "pgpt", "sgpt", NULL };
	return name_in(name, names);
}

/* Written after the data: a failure before them leaves the old boot chain. */
static bool is_boot_chain(const char *name)
{
	static const char *const names[] = { "lk", "lk2", "uboot", "boot", "bootimg", "recovery", "tee1", "tee2",
					     "atf", "logo", "dtbo", "vbmeta", NULL };
	return name_in(name, names) || strncasecmp(name, "tee", 3) == 0;
}

static enum mtk_plan_class class_of(const struct mtk_scatter_part *p)
{
	if (is_table(p->name))
		return MTK_PCLASS_TABLE;
	switch (p->cls) {
	case MTK_CLASS_BOOTLOADER:
		return MTK_PCLASS_BOOTLOADER;
	case MTK_CLASS_PROTECTED:
		return MTK_PCLASS_PROTECTED;
	case MTK_CLASS_RESERVED:
		return MTK_PCLASS_RESERVED;
	default:
		return MTK_PCLASS_DATA;
	}
}

static unsigned rank_of(const char *name, enum mtk_plan_class cls, bool preloader)
{
	if (preloader)
		return 3;
	if (cls == MTK_PCLASS_TABLE)
		return 0;
	return cls == MTK_PCLASS_BOOTLOADER || is_boot_chain(name) ? 2 : 1;
}

/* ---------------------------------------------------------- chip, storage */

int mtk_plan_match_chip(const char *platform, const struct mtk_brom_info *dev, char *note, size_t cap)
{
	const char *devname = dev->chip ? dev->chip->name : "an unknown chip";
	if (!platform || !*platform) {
		snprintf(note, cap, "the scatter names no platform: not checked against %s", devname);
		return 0;
	}
	const struct mtk_chip *c = mtk_chip_by_name(platform);
	if (!c) {
		snprintf(note, cap, "package platform %s is not in the chip table; the device is %s (hw code 0x%04x)",
			 platform, devname, dev->hw_code);
		return MTK_E_POLICY;
	}
	if (c->hw_code != dev->hw_code && c->alt_hw_code != dev->hw_code) {
		snprintf(note, cap, "package is for %s (hw code 0x%04x), the device is %s (hw code 0x%04x)", platform,
			 c->hw_code, devname, dev->hw_code);
		return MTK_E_POLICY;
	}
	if (dev->chip && strcasecmp(platform, dev->chip->name) != 0)
		snprintf(note, cap, "package %s, device %s: variants sharing one BROM (hw code 0x%04x)", platform,
			 devname, dev->hw_code);
	else
		snprintf(note, cap, "package and device: %s", devname);
	return 0;
}

/* The legacy DA reports eMMC, NAND, NOR or SD; no UFS. */
static bool storage_fits(enum mtk_storage_kind pkg, const char *dev)
{
	return pkg == MTK_PKG_STORAGE_UNKNOWN || strcmp(dev, "unknown") == 0 || strcmp(mtk_storage_kind_name(pkg), dev) == 0;
}

/* --------------------------------------------------------------- refusals */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void refuse(struct mtk_plan *p, const char *fmt, ...)
{
	if (p->nrefusals >= MTK_PLAN_MAX_REFUSALS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->refusals[p->nrefusals++], sizeof p->refusals[0], fmt, ap);
	va_end(ap);
}

/* -------------------------------------------------------------- building */

struct build {
	mtk_ctx *ctx;
	const struct mtk_fingerprint *fp;
	struct mtk_scatter *s;
	const struct mtk_plan_opts *o;
	struct mtk_plan *plan;
	char *dir;
	bool *device_used; /* per device table entry */
};

static bool listed(const struct mtk_scatter_part *p, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mtk_part_name_eq(p->name, names[i]) || (p->alias && mtk_part_name_eq(p->alias, names[i])))
			return true;
	return false;
}

static int check_names(struct build *b, const char *const *names, size_t n, const char *opt)
{
	for (size_t i = 0; i < n; i++)
		if (!mtk_scatter_find(b->s, names[i]))
			return mtk_fail(b->ctx, MTK_E_NOTFOUND, "%s %s: the package has no partition '%s'", opt,
					names[i], names[i]);
	return 0;
}

/* Tail partitions (sgpt, BMTPOOL) and size-0 ones are placed now that the
 * area sizes are known. */
static int resolve(struct build *b)
{
	for (int r = 0; r < MTK_REGION_COUNT; r++) {
		uint64_t size = b->fp->storage.regions.size[r];
		if (!size || r == MTK_REGION_RPMB)
			continue;
		int rc = mtk_scatter_resolve(b->ctx, b->s, (enum mtk_region)r, size);
		if (rc == MTK_E_RANGE) {
			b->plan->impossible = true;
			refuse(b->plan, "the package's layout does not fit this device's %s area (%llu bytes): %s",
			       mtk_region_name((enum mtk_region)r), (unsigned long long)size, mtk_ctx_error(b->ctx));
			mtk_ctx_clear_error(b->ctx);
		} else if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static const struct mtk_part *device_part(struct build *b, const struct mtk_scatter_part *p)
{
	const struct mtk_part *d = p->name[0] ? mtk_part_find(&b->fp->table, p->name) : NULL;
	if (!d && p->alias)
		d = mtk_part_find(&b->fp->table, p->alias);
	return d;
}

/* An MBR chain's last partition runs "to the end": the device's may be the
 * larger one, as with a size-0 scatter entry. */
static bool last_in_area(const struct mtk_ptable *t, const struct mtk_part *d)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->parts[i].region == d->region && t->parts[i].start > d->start && !is_layout_entry(t->parts[i].name))
			return false;
	return d->region == MTK_REGION_USER;
}

static void match_one(struct build *b, const struct mtk_scatter_part *p, struct mtk_plan_entry *e)
{
	uint64_t area = b->fp->storage.regions.size[e->region];
	/* The MT6572-era PRELOADER spans BOOT1‖BOOT2‖RPMB: its image must fit, not its size. */
	bool sized = !p->fills && !is_layout_entry(p->name);
	if (area && p->offset_known && (e->offset > area || (sized && e->size > area - e->offset))) {
		e->match = MTK_MATCH_IMPOSSIBLE;
		snprintf(e->note, sizeof e->note, "ends at 0x%llx, past the %s area's 0x%llx bytes",
			 (unsigned long long)(e->offset + e->size), mtk_region_name(e->region),
			 (unsigned long long)area);
		return;
	}
	const struct mtk_part *d = device_part(b, p);
	if (!d) {
		e->match = MTK_MATCH_NEW;
		snprintf(e->note, sizeof e->note, "the device has no such partition");
		return;
	}
	b->device_used[d - b->fp->table.parts] = true;
	if (strcmp(d->name, p->name) != 0)
		snprintf(e->device_name, sizeof e->device_name, "%s", d->name);
	/* Whole-area entries: only the place matters (the image must fit, checked later). */
	bool anysize = is_layout_entry(d->name);
	bool lenient = p->fills || last_in_area(&b->fp->table, d);
	bool same = d->region == e->region && d->start == e->offset &&
		    (anysize || d->size == e->size || (lenient && e->size <= d->size));
	if (!same) {
		e->match = MTK_MATCH_MOVED;
		snprintf(e->note, sizeof e->note, "device has it at %s 0x%llx, 0x%llx bytes", mtk_region_name(d->region),
			 (unsigned long long)d->start, (unsigned long long)d->size);
		return;
	}
	e->match = e->device_name[0] ? MTK_MATCH_ALIAS : MTK_MATCH_IDENTICAL;
	if (e->device_name[0])
		snprintf(e->note, sizeof e->note, "mapped to the device's '%s'", d->name);
}

static bool selected_by_scene(const struct build *b, const struct mtk_scatter_part *p, enum mtk_plan_class cls)
{
	if (b->o->nonly)
		return listed(p, b->o->only, b->o->nonly);
	if (b->o->scene != MTK_SCENE_DOWNLOAD)
		return true;
	/* SP Flash Tool's advice for Download Only, enforced. */
	return cls != MTK_PCLASS_PROTECTED && cls != MTK_PCLASS_TABLE && !is_preloader(p);
}

static void choose_action(struct build *b, const struct mtk_scatter_part *p, struct mtk_plan_entry *e)
{
	bool has_image = p->file && p->download;
	bool skipped = listed(p, b->o->skip, b->o->nskip);
	enum mtk_scene sc = b->o->scene;
	if (sc == MTK_SCENE_UPGRADE && e->cls == MTK_PCLASS_PROTECTED && !skipped) {
		e->action = MTK_ACT_BACKUP;
		snprintf(e->note + strlen(e->note), sizeof e->note - strlen(e->note), "%sbacked up, restored after",
			 e->note[0] ? "; " : "");
		return;
	}
	if (has_image && !skipped && selected_by_scene(b, p, e->cls)) {
		e->action = MTK_ACT_WRITE;
		e->erase_first = sc == MTK_SCENE_FORMAT_ALL;
		return;
	}
	bool erasable = e->cls != MTK_PCLASS_RESERVED && e->cls != MTK_PCLASS_TABLE;
	if (sc == MTK_SCENE_FORMAT_ALL && !skipped && erasable && !b->o->nonly) {
		e->action = MTK_ACT_ERASE;
		return;
	}
	e->action = has_image ? MTK_ACT_SKIP : MTK_ACT_KEEP;
	if (has_image && !e->note[0])
		snprintf(e->note, sizeof e->note, "%s", skipped || b->o->nonly ? "not selected"
			 : e->cls == MTK_PCLASS_PROTECTED ? "device-unique data: kept by the download scene"
							  : "preloader: kept by the download scene");
}

/* Bytes a write sends: the file, or a sparse image's RAW and FILL data. */
static int image_bytes(struct build *b, struct mtk_plan_entry *e)
{
	int fd = open(e->image, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e->missing = true;
		snprintf(e->note, sizeof e->note, "image %s is missing: %s", e->image, strerror(errno));
		return 0;
	}
	uint8_t head[28];
	struct stat st;
	ssize_t n = pread(fd, head, sizeof head, 0);
	int rc = 0;
	if (fstat(fd, &st) == 0)
		e->bytes = (uint64_t)st.st_size;
	if (n == (ssize_t)sizeof head && mtk_is_sparse(head, sizeof head)) {
		struct mtk_sparse_src src;
		struct mtk_sparse_span *spans = NULL;
		struct mtk_sparse_info info;
		size_t ns = 0;
		mtk_sparse_src_fd(&src, &fd);
		rc = mtk_sparse_map(b->ctx, &src, &spans, &ns, &info);
		e->sparse = rc == 0;
		e->bytes = 0;
		for (size_t i = 0; rc == 0 && i < ns; i++)
			if (spans[i].kind != MTK_SPARSE_DONT_CARE)
				e->bytes += spans[i].len;
		if (rc == 0 && e->size && info.expanded_size > e->size) {
			e->match = MTK_MATCH_IMPOSSIBLE;
			snprintf(e->note, sizeof e->note, "sparse image expands to 0x%llx bytes, the partition has 0x%llx",
				 (unsigned long long)info.expanded_size, (unsigned long long)e->size);
		}
		free(spans);
	} else if (e->size && e->bytes > e->size) {
		e->match = MTK_MATCH_IMPOSSIBLE;
		snprintf(e->note, sizeof e->note, "image is 0x%llx bytes, the partition 0x%llx",
			 (unsigned long long)e->bytes, (unsigned long long)e->size);
	}
	close(fd);
	return rc < 0 ? mtk_wrap(b->ctx, rc, "%s", e->image) : 0;
}

static int add_entry(struct build *b, const struct mtk_scatter_part *p)
{
	struct mtk_plan_entry *e = &b->plan->entries[b->plan->count++];
	snprintf(e->name, sizeof e->name, "%s", p->name);
	e->cls = class_of(p);
	e->region = p->region;
	e->offset = p->offset;
	e->size = p->size;
	e->rank = rank_of(p->name, e->cls, is_preloader(p));
	match_one(b, p, e);
	choose_action(b, p, e);
	if (p->file && p->download && (e->action == MTK_ACT_WRITE)) {
		e->image = mtk_path_join(b->dir, p->file);
		if (!e->image)
			return mtk_fail(b->ctx, MTK_E_NOMEM, "no memory for the plan");
		int rc = image_bytes(b, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void add_removed(struct build *b)
{
	for (size_t i = 0; i < b->fp->table.count; i++) {
		const struct mtk_part *d = &b->fp->table.parts[i];
		if (b->device_used[i] || is_layout_entry(d->name))
			continue;
		struct mtk_plan_entry *e = &b->plan->entries[b->plan->count++];
		snprintf(e->device_name, sizeof e->device_name, "%s", d->name);
		e->match = MTK_MATCH_REMOVED;
		e->action = MTK_ACT_KEEP;
		e->cls = is_table(d->name) ? MTK_PCLASS_TABLE
			 : mtk_part_name_is_protected(d->name) ? MTK_PCLASS_PROTECTED
								: MTK_PCLASS_DATA;
		e->region = d->region;
		e->offset = d->start;
		e->size = d->size;
		e->rank = 1;
		snprintf(e->note, sizeof e->note, "the package has no such partition");
	}
}

static int cmp_entry(const void *a, const void *b)
{
	const struct mtk_plan_entry *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* One line for all missing images: "boot, lk, system". */
static void tally_missing(struct mtk_plan *p)
{
	char names[200] = "";
	size_t n = 0, len = 0;
	for (size_t i = 0; i < p->count; i++) {
		if (!p->entries[i].missing)
			continue;
		if (len + strlen(p->entries[i].name) + 8 < sizeof names)
			len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", n ? ", " : "", p->entries[i].name);
		n++;
	}
	p->incomplete = n > 0;
	if (n)
		refuse(p, "the package is incomplete: %zu selected image%s missing (%s)", n, n > 1 ? "s are" : " is",
		       names);
}

static void tally(struct mtk_plan *p)
{
	size_t changed = 0;
	tally_missing(p);
	for (size_t i = 0; i < p->count; i++) {
		const struct mtk_plan_entry *e = &p->entries[i];
		/* Reserved areas (BMTPOOL, OTP) live outside the table. */
		bool reserved_only = e->match == MTK_MATCH_NEW && e->cls == MTK_PCLASS_RESERVED && !e->image;
		if ((e->match == MTK_MATCH_MOVED || e->match == MTK_MATCH_NEW || e->match == MTK_MATCH_REMOVED) &&
		    !reserved_only)
			changed++;
		if (e->match == MTK_MATCH_IMPOSSIBLE) {
			p->impossible = true;
			refuse(p, "partition %s does not fit: %s", e->name, e->note);
		}
		bool writes = e->action == MTK_ACT_WRITE;
		if (writes)
			p->total_bytes += e->bytes;
		if (writes && e->rank == 3)
			p->preloader_selected = true;
		if (e->cls == MTK_PCLASS_PROTECTED && writes)
			p->protected_written = true;
		if (e->cls == MTK_PCLASS_PROTECTED && (e->action == MTK_ACT_ERASE || e->erase_first))
			p->protected_erased = true;
	}
	p->layout_change = changed > 0;
	if (p->layout_change && p->scene == MTK_SCENE_DOWNLOAD)
		refuse(p, "the package's layout differs from the device's (%zu partitions moved, new or removed): only "
			  "--scene upgrade or format-all may change the partition table (SP Flash Tool: "
			  "STATUS_PMT_CHANGED)", changed);
}

/* The package's own preloader: its chip and board, and the EMI record a
 * BROM-mode connect would send for this device's DRAM. */
static void package_preloader(struct build *b)
{
	struct mtk_plan *plan = b->plan;
	plan->emi_pick = -2;
	const struct mtk_scatter_part *p = NULL;
	for (size_t i = 0; i < b->s->count && !p; i++)
		if (is_preloader(&b->s->parts[i]) && b->s->parts[i].file)
			p = &b->s->parts[i];
	char *path = p ? mtk_path_join(b->dir, p->file) : NULL;
	uint8_t *buf = NULL;
	size_t len;
	bool absent = true;
	if (path && mtk_read_small_file(b->ctx, path, PRELOADER_MAX, &buf, &len, &absent) == 0 && !absent &&
	    mtk_preloader_parse(b->ctx, buf, len, &plan->pkg_preloader) == 0) {
		plan->have_pkg_preloader = true;
		plan->pkg_preloader.emi = NULL; /* pointed into buf */
	}
	mtk_ctx_clear_error(b->ctx);
	free(buf);
	free(path);
	if (!plan->have_pkg_preloader || !b->fp->dram_id_len || !mtk_emi_has_mcp(&plan->pkg_preloader.emi_table))
		return;
	const uint8_t *const ids[] = { b->fp->storage.cid };
	plan->emi_pick = mtk_emi_match(&plan->pkg_preloader.emi_table, ids, 1);
}

static char *dir_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	if (!slash)
		return strdup(".");
	return strndup(path, (size_t)(slash - path) + (slash == path));
}

static int build(struct build *b)
{
	struct mtk_plan *plan = b->plan;
	if (mtk_plan_match_chip(b->s->platform, &b->fp->brom, plan->chip_note, sizeof plan->chip_note) < 0) {
		plan->impossible = true;
		refuse(plan, "%s", plan->chip_note);
	}
	if (!storage_fits(b->s->storage, b->fp->storage.type)) {
		plan->impossible = true;
		refuse(plan, "the package is for %s storage, the device has %s", mtk_storage_kind_name(b->s->storage),
		       b->fp->storage.type);
	}
	int rc = resolve(b);
	for (size_t i = 0; rc == 0 && i < b->s->count; i++)
		rc = add_entry(b, &b->s->parts[i]);
	if (rc < 0)
		return rc;
	add_removed(b);
	qsort(plan->entries, plan->count, sizeof *plan->entries, cmp_entry);
	plan_stage_preloader(b->fp, plan);
	tally(plan);
	package_preloader(b);
	return 0;
}

int mtk_plan_build(mtk_ctx *ctx, const struct mtk_fingerprint *fp, struct mtk_scatter *s,
		   const struct mtk_plan_opts *opts, struct mtk_plan *out)
{
	memset(out, 0, sizeof *out);
	out->scene = opts->scene;
	struct build b = { .ctx = ctx, .fp = fp, .s = s, .o = opts, .plan = out };
	int rc = check_names(&b, opts->only, opts->nonly, "--only");
	if (rc == 0)
		rc = check_names(&b, opts->skip, opts->nskip, "--skip");
	if (rc < 0)
		return rc;
	b.dir = opts->image_dir ? strdup(opts->image_dir) : dir_of(s->fname);
	b.device_used = calloc(fp->table.count + 1, sizeof *b.device_used);
	out->entries = calloc(s->count + fp->table.count + 2, sizeof *out->entries); /* + the boot2 copy */
	rc = b.dir && b.device_used && out->entries ? build(&b) : mtk_fail(ctx, MTK_E_NOMEM, "no memory for the plan");
	free(b.dir);
	free(b.device_used);
	if (rc < 0)
		mtk_plan_free(out);
	return rc;
}

void mtk_plan_free(struct mtk_plan *p)
{
	for (size_t i = 0; p->entries && i < p->count; i++)
		free(p->entries[i].image);
	free(p->entries);
	memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ JSON */

static json_t *str_or_null(const char *s)
{
	json_t *j = s && *s ? json_string(s) : NULL;
	return j ? j : json_null();
}

static json_t *entry_json(const struct mtk_plan_entry *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "partition", str_or_null(e->name));
	json_object_set_new(o, "device_name", str_or_null(e->device_name));
	json_object_set_new(o, "match", json_string(mtk_plan_match_name(e->match)));
	json_object_set_new(o, "action", json_string(mtk_plan_action_name(e->action)));
	json_object_set_new(o, "erase_first", json_boolean(e->erase_first));
	json_object_set_new(o, "class", json_string(mtk_plan_class_name(e->cls)));
	json_object_set_new(o, "region", json_string(mtk_region_name(e->region)));
	json_object_set_new(o, "offset", json_integer((json_int_t)e->offset));
	json_object_set_new(o, "size", json_integer((json_int_t)e->size));
	json_object_set_new(o, "bytes", json_integer((json_int_t)e->bytes));
	json_object_set_new(o, "sparse", json_boolean(e->sparse));
	json_object_set_new(o, "missing", json_boolean(e->missing));
	json_object_set_new(o, "image", str_or_null(e->image));
	json_object_set_new(o, "note", str_or_null(e->note));
	json_object_set_new(o, "boot_copy", json_boolean(e->boot_copy));
	return o;
}

json_t *mtk_plan_to_json(const struct mtk_plan *p)
{
	json_t *o = json_object(), *a = json_array(), *r = json_array();
	for (size_t i = 0; i < p->count; i++)
		json_array_append_new(a, entry_json(&p->entries[i]));
	for (size_t i = 0; i < p->nrefusals; i++)
		json_array_append_new(r, json_string(p->refusals[i]));
	json_object_set_new(o, "scene", json_string(mtk_scene_name(p->scene)));
	json_object_set_new(o, "chip", str_or_null(p->chip_note));
	json_object_set_new(o, "layout_change", json_boolean(p->layout_change));
	json_object_set_new(o, "impossible", json_boolean(p->impossible));
	json_object_set_new(o, "incomplete", json_boolean(p->incomplete));
	json_object_set_new(o, "preloader_selected", json_boolean(p->preloader_selected));
	json_object_set_new(o, "total_bytes", json_integer((json_int_t)p->total_bytes));
	json_object_set_new(o, "emi_record", p->emi_pick >= 0 ? json_integer(p->emi_pick) : json_null());
	json_object_set_new(o, "preloader_staging",
			    p->preloader_selected ? json_pack("{s:b, s:s, s:s}", "staged", p->preloader_staged,
							      "boot_select", p->boot_select == MTK_BOOT_SELECT_EXT_CSD
										 ? "ext-csd" : "boot1-only",
							      "note", p->preloader_note)
						  : json_null());
	json_object_set_new(o, "entries", a);
	json_object_set_new(o, "refusals", r);
	return o;
}
