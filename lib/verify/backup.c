/* SPDX-License-Identifier: MIT */
/* Backups of protected partitions through a DA, and their restore
 * (see include/mtkflash/backup.h). */
#include "backup_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/fileutil.h"
#include "core/outfile.h"
#include "mtkflash/chips.h"
#include "mtkflash/imagefile.h"

#ifndef MTKFLASH_VERSION
#define MTKFLASH_VERSION "unknown"
#endif
#define COMPARE_CHUNK (1u << 20)
#define SAME_SECOND_MAX 100

/* ------------------------------------------------------------ selection */

static bool wanted(const char *const *names, const char *name)
{
	if (!names)
		return true;
	for (size_t i = 0; names[i]; i++)
		if (mtk_part_name_eq(names[i], name))
			return true;
	return false;
}

/* Every name asked for must be in the table: a typo is no empty backup. */
static int check_names_exist(mtk_ctx *ctx, const struct mtk_ptable *t, const char *const *names)
{
	const struct mtk_part *p;
	for (size_t i = 0; names && names[i]; i++) {
		int rc = mtk_part_lookup(ctx, t, names[i], &p);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* "03-nvram.img": the index keeps two names that sanitise alike apart, and
 * a device's partition name never becomes a path. */
static void file_name_for(struct mtk_backup_part *bp, size_t index, const char *name)
{
	size_t o = (size_t)snprintf(bp->file, sizeof bp->file, "%02zu-", index);
	for (size_t k = 0; name[k] && o + 5 < sizeof bp->file; k++)
		bp->file[o++] = plain_char(name[k]) ? name[k] : '_';
	memcpy(bp->file + o, ".img", 5);
}

/* The partitions to save, in table order, into b->parts (names and places only). */
static int select_parts(mtk_ctx *ctx, const struct mtk_ptable *t, const char *const *names, struct mtk_backup *b)
{
	int rc = check_names_exist(ctx, t, names);
	if (rc < 0)
		return rc;
	b->parts = calloc(t->count ? t->count : 1, sizeof *b->parts);
	if (!b->parts)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		if (names ? !wanted(names, p->name) : !mtk_part_name_is_protected(p->name))
			continue;
		struct mtk_backup_part *bp = &b->parts[b->count];
		snprintf(bp->name, sizeof bp->name, "%s", p->name);
		file_name_for(bp, b->count, p->name);
		bp->region = p->region;
		bp->offset = p->start;
		bp->size = p->size;
		b->count++;
	}
	if (b->count == 0)
		return mtk_fail(ctx, MTK_E_NOTFOUND, "the device's partition table has no protected partition to back "
						     "up");
	return 0;
}

/* ------------------------------------------------------------- reading */

struct save_io {
	mtk_ctx *ctx;
	int fd;
	const char *path;
	uint64_t next;
	EVP_MD_CTX *sha;
};

/* Zero blocks stay holes: a mostly empty persist partition costs little. */
static int save_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct save_io *io = user;
	if (off != io->next)
		return mtk_fail(io->ctx, MTK_E_PROTO, "data for 0x%" PRIx64 " arrived while 0x%" PRIx64 " was due", off,
				io->next);
	io->next += len;
	if (EVP_DigestUpdate(io->sha, buf, len) != 1)
		return mtk_fail(io->ctx, MTK_E_NOMEM, "SHA-256 failed");
	return mtk_all_zero(buf, len) ? 0 : mtk_pwrite_all(io->ctx, io->fd, buf, len, off, io->path);
}

static int save_stream(mtk_ctx *ctx, struct mtk_da *da, struct mtk_backup_part *bp, struct save_io *io)
{
	char what[MTK_PART_NAME_SIZE + 16];
	snprintf(what, sizeof what, "backing up %s", bp->name);
	int rc = mtk_da_read(da, what, bp->region, bp->offset, bp->size, save_sink, io);
	if (rc == 0 && io->next != bp->size)
		rc = mtk_fail(ctx, MTK_E_PROTO, "the DA sent 0x%" PRIx64 " of 0x%" PRIx64 " bytes", io->next, bp->size);
	if (rc == 0 && ftruncate(io->fd, (off_t)bp->size) < 0)
		rc = mtk_fail(ctx, MTK_E_IO, "%s: %s", io->path, strerror(errno));
	if (rc == 0 && EVP_DigestFinal_ex(io->sha, bp->sha256, NULL) != 1)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
	return rc;
}

static int save_part(mtk_ctx *ctx, struct mtk_da *da, const char *dir, struct mtk_backup_part *bp)
{
	char *path = mtk_path_join(dir, bp->file);
	struct mtk_outfile o;
	struct save_io io = { .ctx = ctx, .path = path, .sha = EVP_MD_CTX_new() };
	int rc = path && io.sha && EVP_DigestInit_ex(io.sha, EVP_sha256(), NULL)
			 ? mtk_outfile_open(ctx, path, MTK_OUT_PRIVATE, &o)
			 : mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	if (rc == 0) {
		io.fd = o.fd;
		rc = save_stream(ctx, da, bp, &io);
		if (rc == 0)
			rc = mtk_outfile_commit(&o);
		else
			mtk_outfile_abort(&o);
	}
	EVP_MD_CTX_free(io.sha);
	free(path);
	return rc < 0 ? mtk_wrap(ctx, rc, "backing up %s", bp->name) : 0;
}

/* -------------------------------------------------------------- create */

/* SHA-256 of "name region start size\n" for every partition: which layout
 * the offsets in the manifest belong to. */
static int layout_hash(mtk_ctx *ctx, const struct mtk_ptable *t, uint8_t md[32])
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int ok = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	char line[MTK_PART_NAME_SIZE + 64];
	for (size_t i = 0; ok && i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		int n = snprintf(line, sizeof line, "%s %s %" PRIu64 " %" PRIu64 "\n", p->name,
				 mtk_region_name(p->region), p->start, p->size);
		ok = EVP_DigestUpdate(h, line, (size_t)n) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(h, md, NULL) == 1;
	EVP_MD_CTX_free(h);
	return ok ? 0 : mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
}

static void stamp_now(struct mtk_backup *b)
{
	time_t now = time(NULL);
	struct tm tm;
	mtk_utc_tm(now, &tm);
	strftime(b->timestamp, sizeof b->timestamp, "%Y%m%dT%H%M%SZ", &tm);
	strftime(b->created, sizeof b->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(b->tool_version, sizeof b->tool_version, "%s", MTKFLASH_VERSION);
}

static int write_manifest(mtk_ctx *ctx, struct mtk_da *da, const char *dir, const struct mtk_backup *b,
			  const struct mtk_ptable *t, json_t *fingerprint)
{
	const struct mtk_brom_info *bi = mtk_da_brom_info(da);
	uint8_t layout[32];
	int rc = layout_hash(ctx, t, layout);
	if (rc < 0)
		return rc;
	struct bk_device_facts dev = {
		.chip = b->chip, .hw_code = bi->hw_code,
		.me_id = bi->have_me_id ? bi->me_id : NULL, .me_id_len = bi->me_id_len,
		.soc_id = bi->have_soc_id ? bi->soc_id : NULL, .soc_id_len = bi->soc_id_len,
		.storage = mtk_storage_type_name(mtk_da_storage(da)->type), .layout_sha256 = layout,
	};
	json_t *doc = bk_manifest_json(b, &dev, fingerprint);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	char *path = mtk_path_join(dir, MTK_BACKUP_MANIFEST);
	rc = text && path ? mtk_write_file_safely(ctx, path, text, strlen(text), MTK_OUT_PRIVATE)
			  : mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	free(path);
	free(text);
	return rc;
}

/* A backup made in the same second as another is named "-2", "-3", …: the
 * name is chosen before the manifest, which records it, is written. */
static int choose_name(mtk_ctx *ctx, const char *devdir, struct mtk_backup *b)
{
	char base[32], path[8300];
	struct stat st;
	snprintf(base, sizeof base, "%s", b->timestamp);
	for (int i = 1; i <= SAME_SECOND_MAX; i++) {
		if (i > 1)
			snprintf(b->timestamp, sizeof b->timestamp, "%.20s-%d", base, i);
		snprintf(path, sizeof path, "%s/%s", devdir, b->timestamp);
		if (lstat(path, &st) < 0 && errno == ENOENT) {
			snprintf(b->id, sizeof b->id, "%s/%s", b->device_id, b->timestamp);
			return 0;
		}
	}
	return mtk_fail(ctx, MTK_E_IO, "%d backups of %s in one second", SAME_SECOND_MAX, b->device_id);
}

/* The finished folder takes its final name, never replacing another. */
static int publish(mtk_ctx *ctx, const char *devdir, const char *partial, const struct mtk_backup *b)
{
	char path[8300];
	snprintf(path, sizeof path, "%s/%s", devdir, b->timestamp);
	if (renameat2(AT_FDCWD, partial, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	return mtk_fail(ctx, MTK_E_IO, "cannot rename %s to %s: %s", partial, path,
			errno == EEXIST ? "another backup took that name meanwhile" : strerror(errno));
}

static int save_all(mtk_ctx *ctx, struct mtk_da *da, const char *dir, struct mtk_backup *b)
{
	for (size_t i = 0; i < b->count; i++) {
		int rc = save_part(ctx, da, dir, &b->parts[i]);
		if (rc < 0)
			return rc;
		b->bytes += b->parts[i].size;
	}
	return 0;
}

static int create_in(mtk_ctx *ctx, const char *root, struct mtk_da *da, const struct mtk_ptable *t,
		     json_t *fingerprint, struct mtk_backup *b)
{
	char devdir[8192], partial[8300];
	if (snprintf(devdir, sizeof devdir, "%s/%s", root, b->device_id) >= (int)sizeof devdir)
		return mtk_fail(ctx, MTK_E_INVAL, "backup store path too long");
	/* The store and the device folder each must be real folders: a link
	 * planted at either would send device data elsewhere. */
	int rc = vf_make_private_dirs(ctx, root);
	if (rc == 0)
		rc = vf_make_private_dirs(ctx, devdir);
	if (rc == 0)
		rc = choose_name(ctx, devdir, b);
	if (rc < 0)
		return rc;
	snprintf(partial, sizeof partial, "%s/.partial-%s-%ld", devdir, b->timestamp, (long)getpid());
	if (mkdir(partial, 0700) < 0)
		return mtk_fail(ctx, MTK_E_IO, "cannot create %s: %s", partial, strerror(errno));
	rc = save_all(ctx, da, partial, b);
	if (rc == 0)
		rc = write_manifest(ctx, da, partial, b, t, fingerprint);
	if (rc == 0)
		rc = publish(ctx, devdir, partial, b);
	if (rc < 0)
		mtk_remove_tree(partial);
	return rc;
}

int mtk_backup_create(mtk_ctx *ctx, const char *root, struct mtk_da *da, const char *const *names, json_t *fingerprint,
		      char id[MTK_BACKUP_ID_MAX])
{
	struct mtk_backup b;
	struct mtk_ptable t;
	memset(&b, 0, sizeof b);
	memset(&t, 0, sizeof t);
	stamp_now(&b);
	const struct mtk_brom_info *bi = mtk_da_brom_info(da);
	const struct mtk_chip *chip = bi->chip ? bi->chip : mtk_chip_by_hw_code(bi->hw_code);
	snprintf(b.chip, sizeof b.chip, "%s", chip ? chip->name : "");
	int rc = mtk_da_device_id(da, b.device_id);
	if (rc == 0)
		rc = mtk_da_read_ptable(da, true, &t);
	if (rc == 0)
		rc = select_parts(ctx, &t, names, &b);
	if (rc == 0)
		rc = create_in(ctx, root, da, &t, fingerprint, &b);
	if (rc == 0) {
		snprintf(id, MTK_BACKUP_ID_MAX, "%s", b.id);
		mtk_info(ctx, "backup %s: %zu partitions, %" PRIu64 " bytes", b.id, b.count, b.bytes);
	}
	mtk_ptable_free(&t);
	mtk_backup_free(&b);
	return rc < 0 ? mtk_wrap(ctx, rc, "creating a backup") : 0;
}

/* ------------------------------------------------------------- restore */

struct restore_io {
	mtk_ctx *ctx;
	int fd;
	const char *file;
	uint64_t size;
	uint8_t *cmp;          /* COMPARE_CHUNK bytes for the read-back */
	bool mismatch;
	uint64_t first_bad;
};

static int file_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	struct restore_io *io = user;
	if (off >= io->size)
		return 0;
	size_t want = io->size - off < len ? (size_t)(io->size - off) : len;
	for (;;) {
		ssize_t n = pread(io->fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return mtk_fail(io->ctx, MTK_E_IO, "reading %s at 0x%" PRIx64 ": %s", io->file, off,
					n < 0 ? strerror(errno) : "file shrank");
		return (int)n;
	}
}

static uint64_t first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* The read-back, compared with the backup file piece by piece. */
static int compare_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct restore_io *io = user;
	for (size_t done = 0; done < len && !io->mismatch;) {
		size_t n = len - done < COMPARE_CHUNK ? len - done : COMPARE_CHUNK;
		int got = file_source(io, off + done, io->cmp, n);
		if (got < 0)
			return got;
		if ((size_t)got != n || memcmp(io->cmp, buf + done, n) != 0) {
			io->mismatch = true;
			io->first_bad = off + done + first_difference(io->cmp, buf + done, (size_t)got);
		}
		done += (size_t)got;
	}
	return 0;
}

static int write_and_compare(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_part *dst, struct restore_io *io)
{
	char what[MTK_PART_NAME_SIZE + 16];
	snprintf(what, sizeof what, "restoring %s", dst->name);
	int rc = mtk_da_write(da, what, dst->region, dst->start, io->size, file_source, io);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "%s may now be partially written", dst->name);
	snprintf(what, sizeof what, "reading back %s", dst->name);
	rc = mtk_da_read(da, what, dst->region, dst->start, io->size, compare_sink, io);
	if (rc == 0 && io->mismatch)
		rc = mtk_fail(ctx, MTK_E_VERIFY, "read-back of %s differs from the backup at 0x%" PRIx64, dst->name,
			      io->first_bad);
	return rc;
}

static int restore_part(mtk_ctx *ctx, struct mtk_da *da, const char *dir, const struct mtk_part *dst,
			struct mtk_backup_part *bp)
{
	struct restore_io io = { .ctx = ctx, .file = bp->file, .size = bp->size, .cmp = malloc(COMPARE_CHUNK) };
	io.fd = bk_open_part(dir, bp->file);
	int rc = io.fd < 0 ? mtk_fail(ctx, MTK_E_IO, "%s/%s: %s", dir, bp->file, strerror(errno))
			   : io.cmp ? 0 : mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = write_and_compare(ctx, da, dst, &io);
	if (io.fd >= 0)
		close(io.fd);
	free(io.cmp);
	bp->state = rc == 0 ? MTK_BACKUP_OK : MTK_BACKUP_CHANGED;
	if (rc < 0)
		snprintf(bp->problem, sizeof bp->problem, "%s", mtk_ctx_error(ctx));
	return rc < 0 ? mtk_wrap(ctx, rc, "restoring %s", bp->name) : 0;
}

/* Where each selected part goes now, judged before anything is written. */
static int place(mtk_ctx *ctx, const struct mtk_ptable *t, const struct mtk_backup_part *bp,
		 const struct mtk_part **dst)
{
	int rc = mtk_part_lookup(ctx, t, bp->name, dst);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "restoring %s", bp->name);
	if ((*dst)->region != bp->region || (*dst)->size < bp->size)
		return mtk_fail(ctx, MTK_E_POLICY, "restoring %s: the device's %s is %" PRIu64 " bytes in %s, the backup "
						   "%" PRIu64 " bytes from %s: not written",
				bp->name, (*dst)->name, (*dst)->size, mtk_region_name((*dst)->region), bp->size,
				mtk_region_name(bp->region));
	if ((*dst)->start != bp->offset)
		mtk_info(ctx, "%s moved from 0x%" PRIx64 " to 0x%" PRIx64 " since the backup", bp->name, bp->offset,
			 (*dst)->start);
	return 0;
}

static int check_selection(mtk_ctx *ctx, struct mtk_backup *b, const char *const *names)
{
	for (size_t i = 0; names && names[i]; i++) {
		bool found = false;
		for (size_t k = 0; k < b->count; k++)
			found = found || mtk_part_name_eq(names[i], b->parts[k].name);
		if (!found)
			return mtk_fail(ctx, MTK_E_NOTFOUND, "backup %s holds no partition '%s'", b->id, names[i]);
	}
	for (size_t k = 0; k < b->count; k++)
		if (!wanted(names, b->parts[k].name))
			b->parts[k].state = MTK_BACKUP_SKIPPED;
	return 0;
}

static int same_device(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_backup *b)
{
	char now[MTK_DEVICE_ID_MAX];
	int rc = mtk_da_device_id(da, now);
	if (rc < 0)
		return rc;
	if (strcmp(now, b->device_id) != 0)
		return mtk_fail(ctx, MTK_E_POLICY, "backup %s was made from device %s, this is %s: a backup of "
						   "protected partitions (IMEI, calibration) is never restored onto "
						   "another phone",
				b->id, b->device_id, now);
	return 0;
}

static int restore_selected(mtk_ctx *ctx, struct mtk_da *da, const char *dir, const struct mtk_ptable *t,
			    struct mtk_backup *b)
{
	const struct mtk_part **dst = calloc(b->count, sizeof *dst);
	if (!dst)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < b->count; i++)
		if (b->parts[i].state != MTK_BACKUP_SKIPPED)
			rc = place(ctx, t, &b->parts[i], &dst[i]);
	for (size_t i = 0; rc == 0 && i < b->count; i++)
		if (b->parts[i].state != MTK_BACKUP_SKIPPED)
			rc = restore_part(ctx, da, dir, dst[i], &b->parts[i]);
	free(dst);
	return rc;
}

int mtk_backup_restore(mtk_ctx *ctx, const char *root, struct mtk_da *da, const char *id, const char *const *names,
		       struct mtk_backup *out)
{
	struct mtk_backup local;
	struct mtk_backup *b = out ? out : &local;
	struct mtk_ptable t;
	memset(&t, 0, sizeof t);
	char dir[8192];
	/* Verified first: a damaged backup must not half-restore. */
	int rc = mtk_backup_verify(ctx, root, id, b);
	rc = rc < 0 ? rc : bk_resolve(ctx, root, b->id, dir, sizeof dir, NULL, NULL);
	rc = rc < 0 ? rc : check_selection(ctx, b, names);
	rc = rc < 0 ? rc : same_device(ctx, da, b);
	rc = rc < 0 ? rc : mtk_da_read_ptable(da, true, &t);
	rc = rc < 0 ? rc : restore_selected(ctx, da, dir, &t, b);
	mtk_ptable_free(&t);
	if (!out)
		mtk_backup_free(&local);
	return rc;
}
