/* SPDX-License-Identifier: MIT */
/* mtkflash inspect SCATTER: check a firmware package offline.
 *
 * Reads the scatter file, prints its layout, then looks at every image the
 * layout names in the scatter's folder: size, SHA-256, sparse or raw, whether
 * it fits its partition, what Checksum.ini and the signed SHA256SUMS say, and
 * for the preloader which board it was built for.  Every finding is listed
 * with its severity.  Exit 0: complete and nothing failed (warnings allowed;
 * an unsigned package is a warning); 5: an image is missing or a check
 * failed; 9: the scatter file cannot be parsed.
 *
 * A file that is not a scatter file goes to cli_inspect_file(). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mtkflash/util.h"
#include "mtkflash/checksum_ini.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/manifest.h"
#include "mtkflash/scatter.h"

#define SCATTER_MAX   (64u << 20)
#define PRELOADER_MAX (16u << 20)
#define MAX_TRUST     16

struct image {
	const struct mtk_scatter_part *part;
	char *file; /* relative to the package folder */
	bool present;
	uint64_t size;
	uint8_t sha256[32];
	uint16_t sum16;
	bool sparse;
	uint64_t expanded; /* sparse: expanded size */
	int fits;          /* 1, 0, -1 = unknown */
	bool cks_known;
	enum mtk_cks_status cks;
	uint16_t cks_expected;
	const char *manifest; /* "match", "mismatch", "unlisted", NULL = no manifest */
	bool is_preloader;
	bool pl_ok;
	struct mtk_preloader_info pl;
};

struct inspect {
	struct cli *cli;
	const char *path;
	const char *storage;
	const char *trust[MAX_TRUST];
	size_t ntrust;
	char *dir;
	struct mtk_scatter s;
	struct image *img; /* one per partition that names an image */
	size_t nimg;
	bool have_ini;
	char *ini_path;
	struct mtk_checksum_ini ini;
	bool have_manifest;
	struct mtk_manifest m;
	struct mtk_problems pkg; /* findings about the package (beyond the layout) */
};

/* ------------------------------------------------------------ small helpers */

#define PKG_PROBLEM_AT(in, sev, file, line, part, ...)                                                       \
	do {                                                                                                 \
		if (mtk_problems_add(&(in)->pkg, sev, file, line, part, __VA_ARGS__) < 0)                    \
			fprintf(stderr, "%s: out of memory\n", (in)->cli->progname);                         \
	} while (0)
#define PKG_PROBLEM(in, sev, file, part, ...) PKG_PROBLEM_AT(in, sev, file, 0, part, __VA_ARGS__)

/* Hand-made scatters write Windows separators. */
static char *path_join(const char *dir, const char *rel)
{
	char *p = mtk_path_join(dir, rel);
	for (char *q = p ? p + strlen(dir) + 1 : NULL; q && *q; q++)
		if (*q == '\\')
			*q = '/';
	return p;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static json_t *json_u64(uint64_t v)
{
	if (v <= (uint64_t)LLONG_MAX)
		return json_integer((json_int_t)v);
	char hex[24];
	snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)v);
	return json_string(hex);
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* ------------------------------------------------------------ finding images */

/* v1.0 scatters name no files: tools pick the image whose name starts with
 * the partition's prefix (formats.md §1.2).  Exact "hint", "hint.img",
 * "hint.bin" win over "hint_<anything>". */
static char *find_by_hint(const char *dir, const char *hint)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *best = NULL;
	int best_rank = 0;
	size_t hn = strlen(hint);
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (strncasecmp(n, hint, hn) != 0 || (n[hn] && n[hn] != '.' && n[hn] != '_'))
			continue;
		int rank = !n[hn] || !strcasecmp(n + hn, ".img") || !strcasecmp(n + hn, ".bin") ? 2 : 1;
		if (rank > best_rank || (rank == best_rank && best && strcmp(n, best) < 0)) {
			free(best);
			best = strdup(n);
			best_rank = rank;
		}
	}
	closedir(d);
	return best;
}

static char *image_name(const struct inspect *in, const struct mtk_scatter_part *p)
{
	if (p->file)
		return strdup(p->file);
	if (!p->file_hint)
		return NULL;
	char *f = find_by_hint(in->dir, p->file_hint);
	if (!f && p->alias)
		f = find_by_hint(in->dir, p->alias);
	return f ? f : strdup(p->file_hint);
}

static const struct image *same_file_done(const struct inspect *in, const struct image *im)
{
	for (const struct image *o = in->img; o < im; o++)
		if (o->present && strcmp(o->file, im->file) == 0)
			return o;
	return NULL;
}

/* ------------------------------------------------------------ checking one image */

static void check_sparse(struct inspect *in, struct image *im, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t head[28];
	if (fd < 0 || pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
	    !mtk_is_sparse(head, sizeof head)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	im->sparse = true;
	struct mtk_sparse_src src;
	mtk_sparse_src_fd(&src, &fd);
	struct mtk_sparse_span *spans = NULL;
	size_t n = 0;
	struct mtk_sparse_info info;
	mtk_ctx_clear_error(in->cli->ctx);
	int rc = mtk_sparse_map(in->cli->ctx, &src, &spans, &n, &info);
	free(spans);
	close(fd);
	if (rc < 0) {
		PKG_PROBLEM(in, MTK_SEV_ERROR, im->file, im->part->name, "%s: broken sparse image: %s",
		            im->file, mtk_ctx_error(in->cli->ctx));
		return;
	}
	im->expanded = info.expanded_size;
}

static void check_fit(struct inspect *in, struct image *im)
{
	const struct mtk_scatter_part *p = im->part;
	uint64_t need = im->sparse ? im->expanded : im->size;
	im->fits = -1;
	if (p->size == 0 || (im->sparse && im->expanded == 0))
		return;
	im->fits = need <= p->size;
	if (!im->fits && p->boundary_check)
		PKG_PROBLEM(in, MTK_SEV_ERROR, im->file, p->name,
		            "%s: %s%s is 0x%llx bytes, partition %s (line %u) holds 0x%llx", p->name,
		            im->file, im->sparse ? " expanded" : "", (unsigned long long)need, p->name,
		            p->line, (unsigned long long)p->size);
}

static bool platform_differs(const char *a, const char *b)
{
	/* MT6757D packages say MT6757 elsewhere: compare the chip number only. */
	return a && b && *a && *b && strncasecmp(a, b, 6) != 0;
}

static void check_preloader(struct inspect *in, struct image *im, const char *path)
{
	const struct mtk_scatter_part *p = im->part;
	im->is_preloader = p->type == MTK_IMG_PRELOADER || strncasecmp(p->name, "preloader", 9) == 0;
	if (!im->is_preloader)
		return;
	uint8_t *buf;
	size_t len;
	mtk_ctx_clear_error(in->cli->ctx);
	int rc = mtk_read_small_file(in->cli->ctx, path, PRELOADER_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_preloader_parse(in->cli->ctx, buf, len, &im->pl);
	if (rc < 0) {
		PKG_PROBLEM(in, MTK_SEV_ERROR, im->file, p->name, "%s: not a valid preloader: %s", im->file,
		            mtk_ctx_error(in->cli->ctx));
	} else {
		im->pl_ok = true;
		im->pl.emi = NULL; /* points into buf, which goes now */
		/* Boards differ in case between name and scatter (mid1102_96ddr3 vs
		 * mid1102_96DDR3, formats.md §4.6). */
		if (platform_differs(im->pl.platform, in->s.platform))
			PKG_PROBLEM(in, MTK_SEV_ERROR, im->file, p->name, "%s is for %s, the scatter says %s",
			            im->file, im->pl.platform, in->s.platform);
		if (im->pl.board[0] && in->s.project && strcasecmp(im->pl.board, in->s.project) != 0)
			PKG_PROBLEM(in, MTK_SEV_WARNING, im->file, p->name,
			            "%s was built for board '%s', the scatter's project is '%s'", im->file,
			            im->pl.board, in->s.project);
	}
	free(buf);
}

static void check_checksum(struct inspect *in, struct image *im)
{
	if (!in->have_ini)
		return;
	const struct mtk_scatter_part *p = im->part;
	unsigned line;
	im->cks = mtk_checksum_ini_judge(&in->ini, p->name, im->present, im->sum16, &im->cks_expected, &line);
	if (im->cks == MTK_CKS_NOT_LISTED && p->alias)
		im->cks = mtk_checksum_ini_judge(&in->ini, p->alias, im->present, im->sum16,
		                                 &im->cks_expected, &line);
	im->cks_known = true;
	if (im->cks == MTK_CKS_MISMATCH)
		PKG_PROBLEM(
		        in, MTK_SEV_ERROR, in->ini_path, p->name,
		        "%s: %s sums to 0x%04X, Checksum.ini line %u says 0x%04X (image altered or corrupt)",
		        p->name, im->file, im->sum16, line, im->cks_expected);
	else if (im->cks == MTK_CKS_NOT_LISTED && im->present && p->download)
		PKG_PROBLEM(in, MTK_SEV_WARNING, in->ini_path, p->name,
		            "%s: %s is not listed in Checksum.ini", p->name, im->file);
}

static void check_manifest(struct inspect *in, struct image *im)
{
	if (!in->have_manifest || in->m.count == 0 || !im->present)
		return;
	const uint8_t *h = mtk_manifest_lookup(&in->m, im->file);
	if (!h) {
		im->manifest = "unlisted";
		PKG_PROBLEM(in, in->m.sig == MTK_SIG_TRUSTED ? MTK_SEV_ERROR : MTK_SEV_WARNING, im->file,
		            im->part->name, "%s (partition %s) is not listed in SHA256SUMS", im->file,
		            im->part->name);
		return;
	}
	bool same = memcmp(h, im->sha256, 32) == 0;
	im->manifest = same ? "match" : "mismatch";
	if (!same)
		PKG_PROBLEM(in, MTK_SEV_ERROR, im->file, im->part->name,
		            "%s (partition %s): SHA-256 differs from the one SHA256SUMS lists (file altered)",
		            im->file, im->part->name);
}

static void copy_file_facts(struct image *im, const struct image *o)
{
	im->present = true;
	im->size = o->size;
	memcpy(im->sha256, o->sha256, 32);
	im->sum16 = o->sum16;
	im->sparse = o->sparse;
	im->expanded = o->expanded;
}

static void check_image(struct inspect *in, struct image *im)
{
	const struct mtk_scatter_part *p = im->part;
	if (!mtk_scatter_file_name_ok(im->file))
		return; /* the layout check already refused the name; never open it */
	const struct image *done = same_file_done(in, im);
	if (done) {
		copy_file_facts(im, done);
	} else {
		char *path = path_join(in->dir, im->file);
		if (!path)
			return;
		mtk_ctx_clear_error(in->cli->ctx);
		int rc = mtk_image_digest_file(in->cli->ctx, path, &im->size, im->sha256, &im->sum16);
		im->present = rc == 0;
		if (rc < 0 && rc != MTK_E_NOTFOUND)
			PKG_PROBLEM(in, MTK_SEV_ERROR, im->file, p->name, "%s", mtk_ctx_error(in->cli->ctx));
		if (im->present)
			check_sparse(in, im, path);
		if (im->present)
			check_preloader(in, im, path);
		free(path);
	}
	if (!im->present && p->download)
		PKG_PROBLEM_AT(in, MTK_SEV_ERROR, in->path, p->line, p->name,
		               "%s: image %s is missing (marked for download)", p->name, im->file);
	if (im->present) {
		check_fit(in, im);
		check_manifest(in, im);
	}
	check_checksum(in, im);
}

/* ------------------------------------------------------------ the package */

static void load_checksum_ini(struct inspect *in)
{
	static const char *const names[] = {"Checksum.ini", "checksum.ini", "CHECKSUM.INI"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *path = path_join(in->dir, names[i]);
		uint8_t *buf;
		size_t len;
		bool absent;
		mtk_ctx_clear_error(in->cli->ctx);
		int rc = path ? mtk_read_small_file(in->cli->ctx, path, 1u << 20, &buf, &len, &absent)
		              : MTK_E_NOMEM;
		if (rc == 0 && absent) {
			free(path);
			continue;
		}
		if (rc == 0)
			rc = mtk_checksum_ini_parse(in->cli->ctx, path, buf, len, &in->ini);
		if (rc == 0) {
			in->have_ini = true;
			in->ini_path = path;
			if (in->ini.enabled == 0)
				PKG_PROBLEM(in, MTK_SEV_WARNING, path, NULL,
				            "Checksum.ini has CHECKSUM_SWITCH=0; verified anyway");
		} else {
			PKG_PROBLEM(in, MTK_SEV_ERROR, path, NULL, "%s", mtk_ctx_error(in->cli->ctx));
			free(path);
		}
		free(buf);
		return;
	}
}

static void load_manifest(struct inspect *in)
{
	mtk_ctx_clear_error(in->cli->ctx);
	char tdir[4096];
	int rc = mtk_manifest_load(in->cli->ctx, in->dir, in->trust, in->ntrust,
				   cli_trust_dir(tdir, sizeof tdir), &in->m);
	if (rc < 0) {
		PKG_PROBLEM(in, MTK_SEV_ERROR, "SHA256SUMS", NULL, "%s", mtk_ctx_error(in->cli->ctx));
		return;
	}
	in->have_manifest = true;
	switch (in->m.sig) {
	case MTK_SIG_TRUSTED:
		break;
	case MTK_SIG_UNSIGNED:
		PKG_PROBLEM(in, MTK_SEV_WARNING, NULL, NULL, "unsigned package: %s",
		            in->m.sig_detail[0] ? in->m.sig_detail : "no SHA256SUMS.minisig");
		break;
	case MTK_SIG_UNKNOWN_KEY:
		PKG_PROBLEM(in, MTK_SEV_WARNING, "SHA256SUMS.minisig", NULL,
		            "signed by key %s, which is not trusted (use --trust KEYFILE)", in->m.key_id);
		break;
	case MTK_SIG_BAD:
	default:
		PKG_PROBLEM(in, MTK_SEV_ERROR, "SHA256SUMS.minisig", NULL, "signature does not verify: %s",
		            in->m.sig_detail[0] ? in->m.sig_detail : "SHA256SUMS was altered");
		break;
	}
}

static bool is_image_file(const struct inspect *in, const char *name)
{
	for (size_t i = 0; i < in->nimg; i++)
		if (in->img[i].file && strcmp(in->img[i].file, name) == 0)
			return true;
	return false;
}

/* Files the manifest lists that are not images (the scatter, Checksum.ini, ...). */
static void check_other_listed(struct inspect *in)
{
	if (!in->have_manifest)
		return;
	for (size_t i = 0; i < in->m.count; i++) {
		const char *name = in->m.entries[i].name;
		if (is_image_file(in, name))
			continue;
		if (!mtk_manifest_name_ok(name)) {
			PKG_PROBLEM(in, MTK_SEV_ERROR, "SHA256SUMS", NULL,
			            "SHA256SUMS lists '%s', outside the package", name);
			continue;
		}
		char *path = path_join(in->dir, name);
		uint8_t sha[32];
		uint64_t size;
		uint16_t sum;
		mtk_ctx_clear_error(in->cli->ctx);
		int rc = path ? mtk_image_digest_file(in->cli->ctx, path, &size, sha, &sum) : MTK_E_NOMEM;
		if (rc == MTK_E_NOTFOUND)
			PKG_PROBLEM(in, MTK_SEV_ERROR, name, NULL, "%s is listed in SHA256SUMS but missing",
			            name);
		else if (rc < 0)
			PKG_PROBLEM(in, MTK_SEV_ERROR, name, NULL, "%s", mtk_ctx_error(in->cli->ctx));
		else if (memcmp(sha, in->m.entries[i].sha256, 32) != 0)
			PKG_PROBLEM(in, MTK_SEV_ERROR, name, NULL,
			            "%s: SHA-256 differs from the one SHA256SUMS lists (file altered)", name);
		free(path);
	}
}

static void check_ini_extras(struct inspect *in)
{
	for (size_t i = 0; in->have_ini && i < in->ini.count; i++) {
		const struct mtk_checksum_entry *e = &in->ini.entries[i];
		if (!mtk_scatter_find(&in->s, e->name))
			PKG_PROBLEM(in, MTK_SEV_WARNING, in->ini_path, NULL,
			            "Checksum.ini line %u lists '%s', which the scatter does not have",
			            e->line, e->name);
	}
}

static int collect_images(struct inspect *in)
{
	in->img = calloc(in->s.count ? in->s.count : 1, sizeof *in->img);
	if (!in->img)
		return MTK_E_NOMEM;
	for (size_t i = 0; i < in->s.count; i++) {
		const struct mtk_scatter_part *p = &in->s.parts[i];
		char *f = image_name(in, p);
		if (!f)
			continue;
		in->img[in->nimg++] = (struct image){.part = p, .file = f, .fits = -1};
	}
	return 0;
}

static int check_package(struct inspect *in)
{
	if (in->s.format == MTK_SCATTER_OTA)
		PKG_PROBLEM(in, MTK_SEV_ERROR, in->path, NULL,
		            "%s is an OTA/update scatter (addresses only): it cannot describe a flashable "
		            "package",
		            in->path);
	load_checksum_ini(in);
	load_manifest(in);
	int rc = collect_images(in);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < in->nimg; i++)
		check_image(in, &in->img[i]);
	check_ini_extras(in);
	check_other_listed(in);
	return 0;
}

/* ------------------------------------------------------------ output: JSON */

static const struct image *image_of(const struct inspect *in, const struct mtk_scatter_part *p)
{
	for (size_t i = 0; i < in->nimg; i++)
		if (in->img[i].part == p)
			return &in->img[i];
	return NULL;
}

static json_t *image_json(const struct inspect *in, const struct image *im)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(im->file));
	json_object_set_new(o, "present", json_boolean(im->present));
	if (im->present) {
		char hex[65];
		mtk_hex_encode(hex, im->sha256, 32);
		json_object_set_new(o, "size", json_u64(im->size));
		json_object_set_new(o, "sha256", json_string(hex));
		json_object_set_new(o, "format", json_string(im->sparse ? "sparse" : "raw"));
		if (im->sparse)
			json_object_set_new(o, "expanded_size", json_u64(im->expanded));
		json_object_set_new(o, "fits", im->fits < 0 ? json_null() : json_boolean(im->fits));
		json_object_set_new(o, "checksum16", json_integer(im->sum16));
	}
	if (in->have_ini) {
		json_t *c = json_object();
		json_object_set_new(c, "status", json_string(mtk_cks_status_name(im->cks)));
		if (im->cks != MTK_CKS_NOT_LISTED)
			json_object_set_new(c, "expected", json_integer(im->cks_expected));
		if (im->present)
			json_object_set_new(c, "got", json_integer(im->sum16));
		json_object_set_new(o, "checksum_ini", c);
	}
	json_object_set_new(o, "manifest", json_str_or_null(im->manifest));
	if (im->pl_ok) {
		json_t *pl = json_object();
		json_object_set_new(pl, "name", json_string(im->pl.name));
		json_object_set_new(pl, "board", json_string(im->pl.board));
		json_object_set_new(pl, "platform", json_string(im->pl.platform));
		json_object_set_new(o, "preloader", pl);
	}
	return o;
}

static json_t *part_json(const struct inspect *in, const struct mtk_scatter_part *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "alias", json_str_or_null(p->alias));
	json_object_set_new(o, "index", json_str_or_null(p->index));
	json_object_set_new(o, "line", json_integer(p->line));
	json_object_set_new(o, "region", json_string(mtk_scatter_region_label(&in->s, p)));
	json_object_set_new(o, "region_name", json_str_or_null(p->region_name));
	json_object_set_new(o, "start", json_u64(p->start));
	json_object_set_new(o, "offset", p->offset_known ? json_u64(p->offset) : json_null());
	json_object_set_new(o, "size", json_u64(p->size));
	json_object_set_new(o, "file", json_str_or_null(p->file));
	if (p->file_hint)
		json_object_set_new(o, "file_hint", json_string(p->file_hint));
	json_object_set_new(o, "download", json_boolean(p->download));
	json_object_set_new(o, "type", json_string(mtk_image_type_name(p->type)));
	json_object_set_new(o, "operation", json_string(mtk_part_op_name(p->op)));
	json_object_set_new(o, "class", json_string(mtk_part_class_name(p->cls)));
	json_object_set_new(o, "reserved", json_boolean(p->reserved));
	json_object_set_new(o, "boundary_check", json_boolean(p->boundary_check));
	const struct image *im = image_of(in, p);
	json_object_set_new(o, "image", im ? image_json(in, im) : json_null());
	return o;
}

static json_t *problems_json(const struct mtk_problems *a, const struct mtk_problems *b)
{
	json_t *arr = json_array();
	const struct mtk_problems *lists[] = {a, b};
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct mtk_problem *q = &lists[l]->items[i];
			json_t *o = json_object();
			json_object_set_new(o, "severity", json_string(mtk_severity_name(q->severity)));
			json_object_set_new(o, "message", json_string(q->message));
			json_object_set_new(o, "file", json_str_or_null(q->file));
			json_object_set_new(o, "line", q->line ? json_integer(q->line) : json_null());
			json_object_set_new(o, "partition", json_str_or_null(q->part));
			json_array_append_new(arr, o);
		}
	}
	return arr;
}

static json_t *layouts_json(const struct mtk_scatter *s)
{
	json_t *a = json_array();
	for (int k = MTK_PKG_STORAGE_EMMC; k <= MTK_PKG_STORAGE_NAND; k++)
		if (s->layouts & (1u << k))
			json_array_append_new(a,
			                      json_string(mtk_storage_kind_name((enum mtk_storage_kind)k)));
	return a;
}

static json_t *signature_json(const struct inspect *in)
{
	json_t *o = json_object();
	enum mtk_sig_state st = in->have_manifest ? in->m.sig : MTK_SIG_UNSIGNED;
	json_object_set_new(o, "state", json_string(mtk_sig_state_name(st)));
	json_object_set_new(o, "manifest_entries",
	                    json_integer(in->have_manifest ? (json_int_t)in->m.count : 0));
	if (in->have_manifest && in->m.key_id[0])
		json_object_set_new(o, "key_id", json_string(in->m.key_id));
	if (in->have_manifest && in->m.trusted_comment[0])
		json_object_set_new(o, "trusted_comment", json_string(in->m.trusted_comment));
	if (in->have_manifest && in->m.sig_detail[0])
		json_object_set_new(o, "detail", json_string(in->m.sig_detail));
	return o;
}

static json_t *checksum_ini_json(const struct inspect *in)
{
	if (!in->have_ini)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(in->ini_path));
	json_object_set_new(o, "version", json_str_or_null(in->ini.version));
	json_object_set_new(o, "tool", json_str_or_null(in->ini.tool));
	json_object_set_new(o, "enabled", in->ini.enabled < 0 ? json_null() : json_boolean(in->ini.enabled));
	json_object_set_new(o, "entries", json_integer((json_int_t)in->ini.count));
	return o;
}

struct tally {
	size_t expected, present, missing, errors, warnings;
};

static struct tally count(const struct inspect *in)
{
	struct tally t = {0};
	for (size_t i = 0; i < in->nimg; i++) {
		if (!in->img[i].part->download)
			continue;
		t.expected++;
		t.present += in->img[i].present;
		t.missing += !in->img[i].present;
	}
	t.errors = mtk_problems_count(&in->s.problems, MTK_SEV_ERROR) +
	           mtk_problems_count(&in->pkg, MTK_SEV_ERROR);
	t.warnings = mtk_problems_count(&in->s.problems, MTK_SEV_WARNING) +
	             mtk_problems_count(&in->pkg, MTK_SEV_WARNING);
	return t;
}

static void emit_json(struct inspect *in, const struct tally *t)
{
	json_t *o = in->cli->out;
	const struct mtk_scatter *s = &in->s;
	json_object_set_new(o, "scatter", json_string(in->path));
	json_object_set_new(o, "format", json_string(mtk_scatter_format_name(s->format)));
	json_object_set_new(o, "config_version", json_str_or_null(s->config_version));
	json_object_set_new(o, "platform", json_str_or_null(s->platform));
	json_object_set_new(o, "project", json_str_or_null(s->project));
	json_object_set_new(o, "storage", json_string(mtk_storage_kind_name(s->storage)));
	json_object_set_new(o, "layouts", layouts_json(s));
	json_object_set_new(o, "address_space", json_string(mtk_addr_space_name(s->addr_space)));
	json_object_set_new(o, "boot_area_size", json_u64(s->boot_area_size));
	json_object_set_new(o, "block_size", json_u64(s->block_size));
	json_t *parts = json_array();
	for (size_t i = 0; i < s->count; i++)
		json_array_append_new(parts, part_json(in, &s->parts[i]));
	json_object_set_new(o, "partitions", parts);
	json_object_set_new(o, "problems", problems_json(&s->problems, &in->pkg));
	json_object_set_new(o, "checksum_ini", checksum_ini_json(in));
	json_object_set_new(o, "signature", signature_json(in));
	json_t *sum = json_object();
	json_object_set_new(sum, "partitions", json_integer((json_int_t)s->count));
	json_object_set_new(sum, "images_expected", json_integer((json_int_t)t->expected));
	json_object_set_new(sum, "images_present", json_integer((json_int_t)t->present));
	json_object_set_new(sum, "images_missing", json_integer((json_int_t)t->missing));
	json_object_set_new(sum, "errors", json_integer((json_int_t)t->errors));
	json_object_set_new(sum, "warnings", json_integer((json_int_t)t->warnings));
	json_object_set_new(o, "summary", sum);
}

/* ------------------------------------------------------------ output: text */

static void human_size(uint64_t v, char *out, size_t cap)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double d = (double)v;
	int u = 0;
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", d, unit[u]);
}

static void image_cell(const struct inspect *in, const struct image *im, char *out, size_t cap)
{
	if (!im) {
		snprintf(out, cap, "-");
		return;
	}
	if (!im->present) {
		snprintf(out, cap, "%s", im->part->download ? "MISSING" : "absent");
		return;
	}
	char sz[32], hex[65];
	human_size(im->sparse ? im->expanded : im->size, sz, sizeof sz);
	mtk_hex_encode(hex, im->sha256, 32);
	snprintf(out, cap, "%s %s%s sha256:%.12s%s%s%s%s", im->sparse ? "sparse" : "raw", sz,
	         im->fits == 0 ? " TOO BIG" : "", hex, in->have_ini ? " cks:" : "",
	         in->have_ini ? mtk_cks_status_name(im->cks) : "", im->manifest ? " sig:" : "",
	         im->manifest ? im->manifest : "");
}

static void print_header(struct inspect *in)
{
	const struct mtk_scatter *s = &in->s;
	struct cli *cli = in->cli;
	cli_print(cli, "scatter   %s\n", in->path);
	cli_print(cli, "format    %s%s%s, platform %s, project %s\n", mtk_scatter_format_name(s->format),
	          s->config_version ? " " : "", s->config_version ? s->config_version : "",
	          s->platform ? s->platform : "?", s->project ? s->project : "?");
	cli_print(cli, "storage   %s (layouts in file:", mtk_storage_kind_name(s->storage));
	for (int k = MTK_PKG_STORAGE_EMMC; k <= MTK_PKG_STORAGE_NAND; k++)
		if (s->layouts & (1u << k))
			cli_print(cli, " %s", mtk_storage_kind_name((enum mtk_storage_kind)k));
	cli_print(cli, "), addresses: %s", mtk_addr_space_name(s->addr_space));
	if (s->addr_space == MTK_ADDR_LINEAR_BOOT)
		cli_print(cli, " (user area at 0x%llx)", (unsigned long long)s->boot_area_size);
	cli_print(cli, "\n\n");
	cli_print(cli, "%3s  %-18s %-11s %-12s %-12s %-2s %-10s %-32s %s\n", "#", "name", "region", "start",
	          "size", "dl", "class", "file", "image");
}

static void print_table(struct inspect *in)
{
	const struct mtk_scatter *s = &in->s;
	for (size_t i = 0; i < s->count; i++) {
		const struct mtk_scatter_part *p = &s->parts[i];
		const struct image *im = image_of(in, p);
		char start[24], size[24], cell[160];
		snprintf(start, sizeof start, "0x%llx", (unsigned long long)p->start);
		snprintf(size, sizeof size, "0x%llx", (unsigned long long)p->size);
		image_cell(in, im, cell, sizeof cell);
		cli_print(in->cli, "%3zu  %-18s %-11s %-12s %-12s %-2s %-10s %-32s %s\n", i,
		          p->name[0] ? p->name : "(unnamed)", mtk_scatter_region_label(s, p), start, size,
		          p->download ? "Y" : "-", mtk_part_class_name(p->cls),
		          p->file ? p->file
		          : im    ? im->file
		                  : "NONE",
		          cell);
	}
}

static void print_problems(struct inspect *in, const struct mtk_problems *ps)
{
	for (size_t i = 0; i < ps->count; i++) {
		const struct mtk_problem *q = &ps->items[i];
		if (q->file && q->line)
			cli_print(in->cli, "%s: %s:%u: %s\n", mtk_severity_name(q->severity), q->file,
			          q->line, q->message);
		else
			cli_print(in->cli, "%s: %s\n", mtk_severity_name(q->severity), q->message);
	}
}

static void print_preloaders(struct inspect *in)
{
	for (size_t i = 0; i < in->nimg; i++) {
		const struct image *im = &in->img[i];
		if (im->pl_ok && !same_file_done(in, im))
			cli_print(in->cli, "preloader %s: name %s, board %s%s%s\n", im->file,
			          im->pl.name[0] ? im->pl.name : "?", im->pl.board[0] ? im->pl.board : "?",
			          im->pl.platform[0] ? ", platform " : "", im->pl.platform);
	}
}

static void emit_text(struct inspect *in, const struct tally *t)
{
	print_header(in);
	print_table(in);
	cli_print(in->cli, "\n");
	print_preloaders(in);
	if (in->have_ini)
		cli_print(in->cli, "Checksum.ini: %zu entries (tool %s)\n", in->ini.count,
		          in->ini.tool ? in->ini.tool : "?");
	else
		cli_print(in->cli, "Checksum.ini: none\n");
	enum mtk_sig_state st = in->have_manifest ? in->m.sig : MTK_SIG_UNSIGNED;
	cli_print(in->cli, "signature: %s%s%s\n", mtk_sig_state_name(st),
	          in->have_manifest && in->m.key_id[0] ? ", key " : "",
	          in->have_manifest ? in->m.key_id : "");
	print_problems(in, &in->s.problems);
	print_problems(in, &in->pkg);
	cli_print(in->cli, "\n%zu partitions, %zu of %zu images present; %zu errors, %zu warnings: %s\n",
	          in->s.count, t->present, t->expected, t->errors, t->warnings, t->errors ? "NOT OK" : "ok");
}

/* ------------------------------------------------------------ the command */

static const char help[] =
	"Usage: mtkflash inspect SCATTER [--storage emmc|ufs] [--trust KEYFILE]... [--json]\n"
	"       mtkflash inspect FILE\n\n"
	"Check a firmware package offline: the scatter's layout, and for every image in the\n"
	"scatter's folder its size, SHA-256, sparse/raw, fit, Checksum.ini value, signed\n"
	"SHA256SUMS entry, and the preloader's board.  Any other FILE is identified.\n\n"
	"  --storage S      layout to use from a V2 scatter (default: emmc, else the first)\n"
	"  --trust KEYFILE  minisign public key to trust (repeatable); keys in\n"
	"                   $XDG_CONFIG_HOME/mtkflash/trusted-keys/ are trusted too\n\n"
	"Exit: 0 complete and verified (warnings, e.g. 'unsigned', allowed); 5 an image is\n"
	"missing or a check failed; 9 the scatter cannot be parsed; 2 usage or no such layout.\n";

enum { OPT_STORAGE = 256, OPT_TRUST };

static const struct option options[] = {
	{ "storage", required_argument, NULL, OPT_STORAGE },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct inspect *in = args;
	if (opt == OPT_STORAGE) {
		in->storage = val;
		return CLI_CONTINUE;
	}
	if (in->ntrust == MAX_TRUST)
		return cli_usage(cli, "inspect", "at most %d --trust keys", MAX_TRUST);
	in->trust[in->ntrust++] = val;
	return CLI_CONTINUE;
}

/* CLI_CONTINUE with in->path set, or the exit status (help printed, usage error). */
static int parse_args(struct inspect *in, int argc, char **argv)
{
	int first = argc;
	int st = cli_parse_opts(in->cli, "inspect", help, argc, argv, options, on_option, in, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first == argc)
		return cli_usage(in->cli, "inspect", "which scatter file or image?");
	if (argc - first > 1)
		return cli_usage(in->cli, "inspect", "more than one file given");
	in->path = argv[first];
	return CLI_CONTINUE;
}

static void inspect_free(struct inspect *in)
{
	for (size_t i = 0; i < in->nimg; i++)
		free(in->img[i].file);
	free(in->img);
	free(in->dir);
	free(in->ini_path);
	if (in->have_ini)
		mtk_checksum_ini_free(&in->ini);
	if (in->have_manifest)
		mtk_manifest_free(&in->m);
	mtk_problems_clear(&in->pkg);
	mtk_scatter_free(&in->s);
}

static bool looks_like_scatter(const char *path, const uint8_t *buf, size_t len)
{
	return mtk_scatter_sniff(buf, len) || ends_with_ci(path, ".txt") || ends_with_ci(path, ".xml");
}

static int run_scatter(struct inspect *in, const uint8_t *buf, size_t len)
{
	struct cli *cli = in->cli;
	int rc = mtk_scatter_parse(cli->ctx, in->path, buf, len, in->storage, &in->s);
	if (rc == MTK_E_NOTFOUND || rc == MTK_E_INVAL) {
		cli_fail(cli, rc, "inspect");
		return EXIT_USAGE;
	}
	if (rc < 0)
		return cli_fail(cli, rc, "inspect");
	in->dir = dir_of(in->path);
	if (!in->dir || check_package(in) < 0)
		return cli_fail(cli, MTK_E_NOMEM, "inspect");
	struct tally t = count(in);
	if (cli->json)
		emit_json(in, &t);
	else
		emit_text(in, &t);
	return t.errors ? EXIT_VERIFY : EXIT_OK;
}

int cmd_inspect(struct cli *cli, int argc, char **argv)
{
	struct inspect in = {.cli = cli};
	int rc = parse_args(&in, argc, argv);
	if (rc != CLI_CONTINUE)
		return rc;
	uint8_t *buf;
	size_t len;
	struct stat st;
	if (stat(in.path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > SCATTER_MAX)
		return cli_inspect_file(cli, in.path); /* far too big for a scatter file */
	rc = mtk_read_small_file(cli->ctx, in.path, SCATTER_MAX, &buf, &len, NULL);
	if (rc < 0)
		return cli_fail(cli, rc, "inspect");
	int status;
	if (looks_like_scatter(in.path, buf, len))
		status = run_scatter(&in, buf, len);
	else
		status = cli_inspect_file(cli, in.path);
	free(buf);
	inspect_free(&in);
	return status;
}

/* ------------------------------------------------------ for plan and flash */

static void first_mismatch(const struct inspect *in, struct cli_pkg_verdict *v)
{
	for (size_t i = 0; i < in->nimg && !v->checksum_mismatch; i++) {
		const struct image *im = &in->img[i];
		bool cks = im->cks_known && im->cks == MTK_CKS_MISMATCH;
		bool sha = im->manifest && strcmp(im->manifest, "mismatch") == 0;
		if (!cks && !sha)
			continue;
		v->checksum_mismatch = true;
		snprintf(v->detail, sizeof v->detail, "%s: %s differs from %s", im->part->name, im->file,
		         sha ? "SHA256SUMS" : "Checksum.ini");
	}
}

int cli_package_verdict(struct cli *cli, const char *path, const char *const *trust, size_t ntrust,
                        struct cli_pkg_verdict *v)
{
	struct inspect in = {.cli = cli, .path = path};
	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < ntrust && i < MAX_TRUST; i++)
		in.trust[in.ntrust++] = trust[i];
	uint8_t *buf = NULL;
	size_t len;
	int rc = mtk_read_small_file(cli->ctx, path, SCATTER_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_scatter_parse(cli->ctx, path, buf, len, NULL, &in.s);
	free(buf);
	if (rc == 0) {
		in.dir = dir_of(path);
		rc = in.dir ? check_package(&in) : MTK_E_NOMEM;
	}
	if (rc == 0) {
		v->have_manifest = in.have_manifest;
		v->sig = in.have_manifest ? in.m.sig : MTK_SIG_UNSIGNED;
		if (in.have_manifest)
			memcpy(v->key_id, in.m.key_id, sizeof v->key_id);
		v->errors = mtk_problems_count(&in.pkg, MTK_SEV_ERROR);
		first_mismatch(&in, v);
	}
	inspect_free(&in);
	return rc;
}

/* plan and flash include da.h, whose storage enum clashes with scatter.h's:
 * they hold the scatter through these. */
int cli_load_scatter(struct cli *cli, const char *path, struct mtk_scatter **out)
{
	uint8_t *buf = NULL;
	size_t len;
	struct mtk_scatter *s = calloc(1, sizeof *s);
	int rc = s ? mtk_read_small_file(cli->ctx, path, SCATTER_MAX, &buf, &len, NULL) : MTK_E_NOMEM;
	if (rc == 0)
		rc = mtk_scatter_parse(cli->ctx, path, buf, len, NULL, s);
	free(buf);
	if (rc < 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void cli_free_scatter(struct mtk_scatter *s)
{
	if (s)
		mtk_scatter_free(s);
	free(s);
}

char *cli_scatter_preloader(const struct mtk_scatter *s)
{
	for (size_t i = 0; i < s->count; i++) {
		const struct mtk_scatter_part *p = &s->parts[i];
		if (p->file && (p->type == MTK_IMG_PRELOADER || strncasecmp(p->name, "preloader", 9) == 0)) {
			char *dir = dir_of(s->fname);
			char *path = dir ? path_join(dir, p->file) : NULL;
			free(dir);
			return path;
		}
	}
	return NULL;
}

const char *cli_scatter_platform(const struct mtk_scatter *s)
{
	return s->platform;
}
