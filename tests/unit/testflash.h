/* SPDX-License-Identifier: MIT */
/* What the tests that flash an emulated phone share: the sample package's
 * scatter, and the bytes a flash step left in the phone's state folder. */
#ifndef TEST_TESTFLASH_H
#define TEST_TESTFLASH_H

#include <dirent.h>
#include <openssl/evp.h>

#include "mtkflash/flash.h"
#include "testutil.h"

/* The *_Android_scatter.txt that `mtkemu mkfirmware` put in pkg. */
static inline void test_find_scatter(const char *pkg, char *out, size_t cap)
{
	DIR *d = opendir(pkg);
	assert_non_null(d);
	out[0] = '\0';
	for (struct dirent *e; (e = readdir(d));)
		if (strstr(e->d_name, "_Android_scatter.txt"))
			snprintf(out, cap, "%s/%s", pkg, e->d_name);
	closedir(d);
	assert_true(out[0]);
}

/* SHA-256 of the range step o covers, read from STATE/REGION.bin. */
static inline void test_region_sha256(const char *state, const struct mtk_flash_outcome *o, uint8_t md[32])
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s.bin", state, mtk_region_name(o->region));
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(o->bytes);
	assert_non_null(buf);
	assert_int_equal(fseeko(f, (off_t)o->offset, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, o->bytes, f), o->bytes);
	fclose(f);
	assert_true(EVP_Digest(buf, o->bytes, md, NULL, EVP_sha256(), NULL));
	free(buf);
}

#endif
