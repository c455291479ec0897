/* SPDX-License-Identifier: MIT */
/* What the unit tests share: the fixture folder, whole-file loading, and
 * temporary directories.  A failure here fails the calling test. */
#ifndef TEST_TESTUTIL_H
#define TEST_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include "core/fileutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* $MTK_FIXTURES, or tests/fixtures in the source tree (the tests run from the
 * build directory, and __FILE__ is relative to it). */
static inline const char *test_fixtures(void)
{
	static char buf[4096];
	const char *env = getenv("MTK_FIXTURES");
	if (env && *env)
		return env;
	const char *src = __FILE__;
	const char *slash = strrchr(src, '/');
	snprintf(buf, sizeof buf, "%.*s/../fixtures", slash ? (int)(slash - src) : 1,
	         slash ? src : ".");
	return buf;
}

/* "DIR/NAME" into out. */
static inline void test_path(char *out, size_t cap, const char *dir, const char *name)
{
	if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap)
		fail_msg("path too long: %s/%s", dir, name);
}

/* "<fixtures>/SUB/NAME" into out. */
static inline void test_fixture_path(char *out, size_t cap, const char *sub, const char *name)
{
	if (snprintf(out, cap, "%s/%s/%s", test_fixtures(), sub, name) >= (int)cap)
		fail_msg("path too long: %s/%s", sub, name);
}

/* The whole file, with a '\0' after it; free it. */
static inline uint8_t *test_load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

/* Creates DIR/NAME holding `len` bytes (DIR must exist). */
static inline void test_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4200];
	test_path(path, sizeof path, dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot create %s", path);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void test_write_text(const char *dir, const char *name, const char *text)
{
	test_write_file(dir, name, text, strlen(text));
}

/* A new empty directory /tmp/PREFIX.XXXXXX, its name into out. */
static inline void test_mkdtemp(char *out, size_t cap, const char *prefix)
{
	if (snprintf(out, cap, "/tmp/%s.XXXXXX", prefix) >= (int)cap)
		fail_msg("temporary directory name too long");
	if (!mkdtemp(out))
		fail_msg("cannot create %s", out);
}

/* Removes a directory and everything in it; 0 on success. */
static inline int test_rmtree(const char *dir)
{
	return mtk_remove_tree(dir);
}

/* A new pty with `link` (re)pointed at its slave atomically, as mtkemu
 * --link serves a phone and re-points it when the phone re-enumerates;
 * returns the master. */
static inline int test_pty_behind(const char *link)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s.new", link);
	assert_int_equal(symlink(ptsname(m), tmp), 0);
	assert_int_equal(rename(tmp, link), 0);
	return m;
}

#endif
