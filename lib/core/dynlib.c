/* SPDX-License-Identifier: MIT */
#include "core/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int open_and_resolve(struct mtk_dynlib *lib)
{
	/* RTLD_LOCAL: its symbols must not satisfy anyone else's lookups. */
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(lib->why, sizeof lib->why, "%s (install the package %s)", e ? e : lib->soname, lib->package);
		return -1;
	}
	for (size_t i = 0; i < lib->nsyms; i++) {
		void *fn = dlsym(h, lib->syms[i].name);
		if (!fn) {
			snprintf(lib->why, sizeof lib->why, "%s has no %s (too old; upgrade the package %s)", lib->soname,
				 lib->syms[i].name, lib->package);
			dlclose(h);
			return -1;
		}
		/* POSIX makes dlsym's object pointer convertible to a function
		 * pointer of the same size; memcpy says so without a cast. */
		memcpy((char *)lib->table + lib->syms[i].offset, &fn, sizeof fn);
	}
	return 0; /* kept open for the life of the process */
}

int mtk_dynlib_load(mtk_ctx *ctx, struct mtk_dynlib *lib)
{
	pthread_mutex_lock(&lib->lock);
	if (lib->state == 0)
		lib->state = open_and_resolve(lib) == 0 ? 1 : -1;
	int state = lib->state;
	pthread_mutex_unlock(&lib->lock);
	if (state > 0)
		return 0;
	return mtk_fail(ctx, MTK_E_UNSUPPORTED, "%s need %s: %s", lib->feature, lib->soname, lib->why);
}
