/* SPDX-License-Identifier: MIT */
#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mtk_write_all(mtk_ctx *ctx, int fd, const void *buf, size_t len, const char *what)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return mtk_fail(ctx, MTK_E_IO, "writing %s: %s", what, n < 0 ? strerror(errno) : "no progress");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mtk_pwrite_all(mtk_ctx *ctx, int fd, const void *buf, size_t len, uint64_t off, const char *what)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return mtk_fail(ctx, MTK_E_IO, "writing %s at 0x%llx: %s", what, (unsigned long long)off,
			                n < 0 ? strerror(errno) : "no progress");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* What stands at the final name decides whether we may go on at all. */
static int check_final(mtk_ctx *ctx, const char *path, unsigned flags)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return mtk_fail(ctx, MTK_E_IO, "%s is a symbolic link: refusing to write through it", path);
	if (!S_ISREG(st.st_mode))
		return mtk_fail(ctx, MTK_E_IO, "%s exists and is not a regular file", path);
	if (!(flags & MTK_OUT_FORCE))
		return mtk_fail(ctx, MTK_E_IO, "%s already exists, not overwriting it (see --force)", path);
	return 0;
}

int mtk_outfile_open(mtk_ctx *ctx, const char *path, unsigned flags, struct mtk_outfile *o)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->ctx = ctx;
	o->flags = flags;
	int rc = check_final(ctx, path, flags);
	if (rc < 0)
		return rc;
	size_t n = strlen(path) + sizeof ".tmp-XXXXXX";
	o->path = strdup(path);
	o->tmp = malloc(n);
	if (!o->path || !o->tmp) {
		mtk_outfile_abort(o);
		return mtk_fail(ctx, MTK_E_NOMEM, "%s: out of memory", path);
	}
	snprintf(o->tmp, n, "%s.tmp-XXXXXX", path);
	/* mkostemp: O_CREAT|O_EXCL, mode 0600, so the temporary name cannot be a
	 * planted symlink and device data is never readable by others. */
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		rc = mtk_fail(ctx, MTK_E_IO, "cannot create %s: %s", o->tmp, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		mtk_outfile_abort(o);
		return rc;
	}
	return 0;
}

void mtk_fsync_parent(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return;
	char *slash = strrchr(dir, '/');
	const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd); /* best effort: some file systems refuse it on directories */
		close(fd);
	}
	free(dir);
}

/* Without FORCE, a file created at the final name since open() must win. */
static int move_into_place(struct mtk_outfile *o)
{
	if (o->flags & MTK_OUT_FORCE)
		return rename(o->tmp, o->path);
	if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(o->tmp, o->path) < 0)
		return -1;
	unlink(o->tmp);
	return 0;
}

int mtk_outfile_commit(struct mtk_outfile *o)
{
	mode_t mode = (o->flags & MTK_OUT_PRIVATE) ? 0600 : 0644;
	int rc = 0;
	if (fchmod(o->fd, mode) < 0 || fsync(o->fd) < 0)
		rc = mtk_fail(o->ctx, MTK_E_IO, "writing %s: %s", o->tmp, strerror(errno));
	int fd = o->fd;
	o->fd = -1;
	if (close(fd) < 0 && rc == 0)
		rc = mtk_fail(o->ctx, MTK_E_IO, "writing %s: %s", o->tmp, strerror(errno));
	if (rc == 0 && move_into_place(o) < 0)
		rc = errno == EEXIST ? mtk_fail(o->ctx, MTK_E_IO, "%s appeared while writing it: not replacing it",
		                                o->path)
		                     : mtk_fail(o->ctx, MTK_E_IO, "cannot rename %s to %s: %s", o->tmp, o->path,
		                                strerror(errno));
	if (rc == 0) {
		mtk_fsync_parent(o->path);
		free(o->tmp);
		o->tmp = NULL;
	}
	mtk_outfile_abort(o);
	return rc;
}

void mtk_outfile_abort(struct mtk_outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = NULL;
	o->path = NULL;
}

int mtk_write_file_safely(mtk_ctx *ctx, const char *path, const void *buf, size_t len, unsigned flags)
{
	struct mtk_outfile o;
	int rc = mtk_outfile_open(ctx, path, flags, &o);
	if (rc < 0)
		return rc;
	rc = mtk_write_all(ctx, o.fd, buf, len, path);
	if (rc < 0) {
		mtk_outfile_abort(&o);
		return rc;
	}
	return mtk_outfile_commit(&o);
}
