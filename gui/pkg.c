/* SPDX-License-Identifier: MIT */
#include "pkg.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/checksum_ini.h"
#include "mtkflash/manifest.h"
#include "mtkflash/util.h"

#define SCATTER_MAX (4u << 20)

static bool looks_like_scatter_name(const char *n)
{
	return g_str_has_suffix(n, "_scatter.txt") || g_str_has_suffix(n, "_scatter.xml");
}

char *gui_pkg_find_scatter(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return NULL;
	char *best = NULL;
	const char *n;
	/* Several scatter files: the first by name, so the choice is stable. */
	while ((n = g_dir_read_name(d)))
		if (looks_like_scatter_name(n) && (!best || strcmp(n, best) < 0)) {
			g_free(best);
			best = g_strdup(n);
		}
	g_dir_close(d);
	char *path = best ? g_build_filename(dir, best, NULL) : NULL;
	g_free(best);
	return path;
}

/* Preloader and device-unique partitions stay unticked until the user ticks them. */
/* Preloader and device-unique partitions stay unticked until the user ticks
 * them; the first reason that applies is the one shown. */
static void default_tick(const struct mtk_scatter_part *sp, struct gui_pkg_image *im)
{
	static const struct {
		int kind;
		const char *why;
	} reasons[] = {
		{0, "preloader: a failed write can stop the phone from starting"},
		{1, "protected: holds this phone's own data (IMEI, calibration)"},
		{2, "no image in the package"},
		{3, "image file missing"},
		{4, "the scatter file marks it not for download"},
	};
	bool hit[5] = {sp->type == MTK_IMG_PRELOADER, sp->cls == MTK_CLASS_PROTECTED, !im->file, !im->present,
		       !sp->download};
	im->tick = true;
	for (size_t i = 0; i < G_N_ELEMENTS(reasons) && im->tick; i++)
		if (hit[reasons[i].kind]) {
			im->tick = false;
			snprintf(im->why, sizeof im->why, "%s", reasons[i].why);
		}
}

static void digest_image(mtk_ctx *ctx, const struct gui_pkg *p, const struct mtk_checksum_ini *ini,
			 struct gui_pkg_image *im)
{
	char *path = g_build_filename(p->dir, im->file, NULL);
	uint8_t sha[32];
	uint16_t sum = 0;
	im->present = mtk_image_digest_file(ctx, path, &im->size, sha, &sum) == 0;
	g_free(path);
	if (im->present)
		mtk_hex_encode(im->sha256, sha, 32);
	if (ini) {
		uint16_t want;
		unsigned line;
		enum mtk_cks_status st = mtk_checksum_ini_judge(ini, im->name, im->present, sum, &want, &line);
		snprintf(im->checksum, sizeof im->checksum, "%s", mtk_cks_status_name(st));
	}
	mtk_ctx_clear_error(ctx);
}

static bool load_checksum_ini(mtk_ctx *ctx, struct gui_pkg *p, struct mtk_checksum_ini *ini)
{
	char *path = g_build_filename(p->dir, "Checksum.ini", NULL);
	uint8_t *buf = NULL;
	size_t len = 0;
	bool absent = false;
	bool ok = mtk_read_small_file(ctx, path, 1u << 20, &buf, &len, &absent) == 0 &&
		  mtk_checksum_ini_parse(ctx, path, buf, len, ini) == 0;
	if (absent)
		snprintf(p->checksums, sizeof p->checksums, "No Checksum.ini in the package.");
	else if (!ok)
		snprintf(p->checksums, sizeof p->checksums, "Checksum.ini is unreadable: %s", mtk_ctx_error(ctx));
	free(buf);
	g_free(path);
	mtk_ctx_clear_error(ctx);
	return ok;
}

static void summarise_checksums(struct gui_pkg *p)
{
	size_t bad = 0, listed = 0;
	for (size_t i = 0; i < p->nimg; i++) {
		listed += strcmp(p->img[i].checksum, "match") == 0;
		bad += strcmp(p->img[i].checksum, "mismatch") == 0;
	}
	if (bad)
		snprintf(p->checksums, sizeof p->checksums, "Checksum.ini: %zu image(s) do not match.", bad);
	else
		snprintf(p->checksums, sizeof p->checksums, "Checksum.ini: %zu image(s) match.", listed);
}

static void load_signature(mtk_ctx *ctx, struct gui_pkg *p, const char *trust_dir, const char *virtual_key)
{
	struct mtk_manifest m = {0};
	if (mtk_manifest_load(ctx, p->dir, &virtual_key, virtual_key ? 1 : 0, trust_dir, &m) < 0) {
		snprintf(p->signature, sizeof p->signature, "SHA256SUMS is unreadable: %s", mtk_ctx_error(ctx));
		mtk_ctx_clear_error(ctx);
		return;
	}
	switch (m.sig) {
	case MTK_SIG_TRUSTED:
		snprintf(p->signature, sizeof p->signature, "Signed by trusted key %s (%s)%s.", m.key_id,
			 m.trusted_comment, virtual_key ? ", counting the emulator's demo key" : "");
		break;
	case MTK_SIG_UNKNOWN_KEY:
		snprintf(p->signature, sizeof p->signature, "Signed by key %s, which this station does not trust.",
			 m.key_id);
		break;
	case MTK_SIG_BAD:
		snprintf(p->signature, sizeof p->signature, "The signature does not match: the package was altered.");
		break;
	default:
		snprintf(p->signature, sizeof p->signature, "Not signed%s.", m.count ? " (SHA256SUMS only)" : "");
		break;
	}
	mtk_manifest_free(&m);
}

static int parse_scatter(mtk_ctx *ctx, struct gui_pkg *p)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = mtk_read_small_file(ctx, p->scatter, SCATTER_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_scatter_parse(ctx, p->scatter, buf, len, NULL, &p->sc);
	free(buf);
	return rc;
}

static int resolve_path(mtk_ctx *ctx, const char *path, struct gui_pkg *out)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		out->scatter = gui_pkg_find_scatter(path);
		if (!out->scatter)
			return mtk_fail(ctx, MTK_E_NOTFOUND, "%s: no *_scatter.txt in this folder", path);
	} else {
		out->scatter = g_strdup(path);
	}
	out->dir = g_path_get_dirname(out->scatter);
	return 0;
}

int gui_pkg_load(mtk_ctx *ctx, const char *path, const char *trust_dir, const char *virtual_key, struct gui_pkg *out)
{
	memset(out, 0, sizeof *out);
	int rc = resolve_path(ctx, path, out);
	if (rc == 0)
		rc = parse_scatter(ctx, out);
	if (rc < 0) {
		gui_pkg_free(out);
		return rc;
	}
	out->problems = mtk_problems_count(&out->sc.problems, MTK_SEV_ERROR);
	struct mtk_checksum_ini ini = {0};
	bool have_ini = load_checksum_ini(ctx, out, &ini);
	out->img = g_new0(struct gui_pkg_image, out->sc.count ? out->sc.count : 1);
	for (size_t i = 0; i < out->sc.count; i++) {
		const struct mtk_scatter_part *sp = &out->sc.parts[i];
		if (!sp->name[0] || sp->cls == MTK_CLASS_RESERVED)
			continue;
		struct gui_pkg_image *im = &out->img[out->nimg++];
		im->name = sp->name;
		im->file = sp->file;
		if (im->file)
			digest_image(ctx, out, have_ini ? &ini : NULL, im);
		default_tick(sp, im);
	}
	if (have_ini) {
		summarise_checksums(out);
		mtk_checksum_ini_free(&ini);
	}
	load_signature(ctx, out, trust_dir, virtual_key);
	return 0;
}

void gui_pkg_free(struct gui_pkg *p)
{
	mtk_scatter_free(&p->sc);
	g_free(p->scatter);
	g_free(p->dir);
	g_free(p->img);
	memset(p, 0, sizeof *p);
}
