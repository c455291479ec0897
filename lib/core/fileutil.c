/* SPDX-License-Identifier: MIT */
#include "core/fileutil.h"

#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *join_with(const char *a, const char *sep, const char *b)
{
	size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s%s", a, sep, b);
	return p;
}

char *mtk_path_join(const char *dir, const char *name)
{
	return join_with(dir, "/", name);
}

char *mtk_str_concat(const char *a, const char *b)
{
	return join_with(a, "", b);
}

int mtk_make_dirs(mtk_ctx *ctx, const char *dir, unsigned mode)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s", dir) >= sizeof tmp)
		return mtk_fail(ctx, MTK_E_RANGE, "directory path too long: %s", dir);
	for (char *p = tmp + 1;; p++) {
		bool last = *p == 0;
		if (*p == '/' || last) {
			*p = 0;
			if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
				return mtk_fail(ctx, MTK_E_IO, "cannot create %s: %s", tmp, strerror(errno));
			if (last)
				return 0;
			*p = '/';
		}
	}
}

/* Reads until `want` bytes or end of file; *got says how many came. */
static int read_upto(mtk_ctx *ctx, int fd, const char *path, uint8_t *buf, size_t want, size_t *got)
{
	*got = 0;
	while (*got < want) {
		ssize_t n = read(fd, buf + *got, want - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

static int check_small(mtk_ctx *ctx, int fd, const char *path, size_t max, size_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mtk_fail(ctx, MTK_E_IO, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return mtk_fail(ctx, MTK_E_RANGE, "%s: %lld bytes, more than the %zu this file may have",
		                path, (long long)st.st_size, max);
	*size = (size_t)st.st_size;
	return 0;
}

static int read_small_fd(mtk_ctx *ctx, int fd, const char *path, size_t max, uint8_t **out, size_t *len)
{
	size_t size = 0, got = 0;
	int rc = check_small(ctx, fd, path, max, &size);
	if (rc < 0)
		return rc;
	uint8_t *buf = malloc(size + 1);
	if (!buf)
		return mtk_fail(ctx, MTK_E_NOMEM, "%s: no memory for %zu bytes", path, size);
	rc = read_upto(ctx, fd, path, buf, size, &got);
	if (rc == 0 && got != size)
		rc = mtk_fail(ctx, MTK_E_IO, "%s: file shrank while reading", path);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int mtk_read_small_file(mtk_ctx *ctx, const char *path, size_t max, uint8_t **out, size_t *len, bool *absent)
{
	*out = NULL;
	*len = 0;
	if (absent)
		*absent = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not hang us */
	if (fd < 0 && errno == ENOENT && absent) {
		*absent = true;
		return 0;
	}
	if (fd < 0)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	int rc = read_small_fd(ctx, fd, path, max, out, len);
	close(fd);
	return rc;
}

/* Where the buffer starts: the file's size (plus one byte, to see its end
 * without growing), at most `max`.  `max` is a limit, often far above what
 * the file holds (a 100 KiB preloader read with a 16 MiB cap): a buffer of
 * `max` bytes was megabytes of page faults for every read, and with
 * MALLOC_PERTURB_ (meson test sets it) as many bytes filled. */
static size_t head_cap(int fd, size_t max)
{
	struct stat st;
	size_t cap = 64u << 10; /* not a regular file: grows as bytes come */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < max)
		cap = (size_t)st.st_size + 1;
	return cap < max ? cap : max;
}

/* Reads up to `max` bytes into a buffer that grows as they come (the file
 * may be longer than fstat said by the time it is read). */
static int read_head_fd(mtk_ctx *ctx, int fd, const char *path, size_t max, uint8_t **out, size_t *len)
{
	size_t cap = head_cap(fd, max), got = 0;
	uint8_t *buf = malloc(cap ? cap : 1);
	for (;;) {
		if (!buf)
			return mtk_fail(ctx, MTK_E_NOMEM, "%s", path);
		size_t n = 0;
		int rc = read_upto(ctx, fd, path, buf + got, cap - got, &n);
		got += n;
		if (rc < 0 || got < cap || cap == max) {
			if (rc < 0)
				free(buf);
			*out = rc < 0 ? NULL : buf;
			*len = rc < 0 ? 0 : got;
			return rc;
		}
		cap = cap > max / 2 ? max : cap * 2;
		uint8_t *more = realloc(buf, cap);
		if (!more)
			free(buf);
		buf = more;
	}
}

int mtk_read_file_head(mtk_ctx *ctx, const char *path, size_t max, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	int rc = read_head_fd(ctx, fd, path, max, out, len);
	close(fd);
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0; /* one stubborn entry must not leave the rest behind */
}

int mtk_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	struct stat st;
	return lstat(dir, &st) == 0 ? -1 : 0;
}
