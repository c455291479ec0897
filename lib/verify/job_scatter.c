/* SPDX-License-Identifier: MIT */
/* A job's package: its scatter, its preloader, and the verdict on it
 * (SHA256SUMS and its signature) before the device is touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "job_scatter.h"
#include "mtkflash/manifest.h"
#include "mtkflash/scatter.h"
#include "mtkflash/util.h"

#define SCATTER_MAX (64u << 20)
#define MAX_TRUST 66

int job_scatter_load(mtk_ctx *ctx, const char *path, struct mtk_scatter **out)
{
	uint8_t *buf = NULL;
	size_t len;
	struct mtk_scatter *s = calloc(1, sizeof *s);
	int rc = s ? mtk_read_small_file(ctx, path, SCATTER_MAX, &buf, &len, NULL) : MTK_E_NOMEM;
	if (rc == 0)
		rc = mtk_scatter_parse(ctx, path, buf, len, NULL, s);
	free(buf);
	if (rc < 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void job_scatter_free(struct mtk_scatter *s)
{
	if (s)
		mtk_scatter_free(s);
	free(s);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

char *job_scatter_preloader(const struct mtk_scatter *s)
{
	for (size_t i = 0; i < s->count; i++) {
		const struct mtk_scatter_part *p = &s->parts[i];
		if (!p->file || (p->type != MTK_IMG_PRELOADER && strncasecmp(p->name, "preloader", 9) != 0))
			continue;
		char *dir = dir_of(s->fname);
		char *path = dir ? mtk_path_join(dir, p->file) : NULL;
		free(dir);
		/* scatter files written on Windows name images with backslashes */
		for (char *q = path ? strrchr(path, '/') : NULL; q && *q; q++)
			if (*q == '\\')
				*q = '/';
		return path;
	}
	return NULL;
}

static void first_mismatch(const struct mtk_entry_check *c, size_t n, struct mtk_job_package *v)
{
	for (size_t i = 0; i < n && !v->checksum_mismatch; i++) {
		if (c[i].status != MTK_ENTRY_MISMATCH && c[i].status != MTK_ENTRY_MISSING)
			continue;
		v->checksum_mismatch = true;
		v->errors++;
		snprintf(v->detail, sizeof v->detail, "%s %s SHA256SUMS", c[i].name,
			 c[i].status == MTK_ENTRY_MISSING ? "is missing, listed in" : "differs from");
	}
}

/* What `inspect` says of the manifest, without the per-image report. */
int job_package_check(mtk_ctx *ctx, const struct mtk_job_opts *o, bool virtual_device, struct mtk_job_package *v)
{
	const char *trust[MAX_TRUST];
	size_t n = 0;
	for (; n < o->ntrust && n < MAX_TRUST - 1; n++)
		trust[n] = o->trust[n];
	if (virtual_device && o->virtual_trust) {
		mtk_info(ctx, "software device: trusting the mtkemu demo key %s", o->virtual_trust);
		trust[n++] = o->virtual_trust;
	}
	memset(v, 0, sizeof *v);
	char *dir = dir_of(o->scatter), tdir[4096];
	struct mtk_manifest m;
	memset(&m, 0, sizeof m);
	int rc = dir ? mtk_manifest_load(ctx, dir, trust, n,
					 job_dir(NULL, "XDG_CONFIG_HOME", ".config", "mtkflash/trusted-keys", tdir,
						 sizeof tdir),
					 &m)
		     : MTK_E_NOMEM;
	if (rc == 0) {
		v->have_manifest = true;
		v->sig = m.sig;
		memcpy(v->signer, m.key_id, sizeof v->signer);
		v->errors = m.sig == MTK_SIG_BAD;
		struct mtk_entry_check *c = NULL;
		size_t nc = 0;
		rc = m.count ? mtk_manifest_check_dir(ctx, dir, &m, &c, &nc) : 0;
		if (rc >= 0)
			first_mismatch(c, nc, v);
		mtk_entry_checks_free(c, nc);
		mtk_manifest_free(&m);
	}
	free(dir);
	return rc < 0 ? rc : 0;
}
