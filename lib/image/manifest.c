/* SPDX-License-Identifier: MIT */
/* Signed package manifests on disk: hashing files and directories, writing
 * DIR/SHA256SUMS and its signature, and checking both against a trust set.
 * The parsers (sha256sums.c, minisign.c) do no I/O; this file does it all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/fileutil.h"
#include "core/outfile.h"
#include "mtkflash/manifest.h"

/* Below glibc's mmap threshold (128 KiB), so a freed buffer is reused by the
 * next file instead of being mapped afresh (and, under `meson test`'s
 * MALLOC_PERTURB_, filled afresh); reads of 64 KiB hash as fast. */
#define HASH_BUF       (64 * 1024)
#define PROGRESS_MIN   (64ull * 1024 * 1024)
#define SUMS_MAX       (16u * 1024 * 1024) /* a SHA256SUMS of ~150 000 files */
#define SMALL_MAX      (64u * 1024)        /* keys and signatures */
#define WALK_DEPTH_MAX 64

const char *mtk_sig_state_name(enum mtk_sig_state s)
{
	static const char *const names[] = {"unsigned", "trusted", "unknown-key", "bad"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *mtk_entry_status_name(enum mtk_entry_status s)
{
	static const char *const names[] = {"match", "mismatch", "missing", "unlisted"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

int mtk_sha256_file(mtk_ctx *ctx, const char *path, uint8_t out[32], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	struct stat st;
	uint64_t total = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	uint8_t *buf = malloc(HASH_BUF);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = 0;
	if (!buf || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "hashing %s", path);
	uint64_t done = 0;
	bool report = total >= PROGRESS_MIN;
	while (rc == 0) {
		ssize_t n = read(fd, buf, HASH_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = mtk_fail(ctx, MTK_E_IO, "%s: read at %llu: %s", path, (unsigned long long)done,
			              strerror(errno));
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		done += (uint64_t)n;
		if (report)
			mtk_progress(ctx, path, done, total);
	}
	unsigned int dlen = 32;
	if (rc == 0 && EVP_DigestFinal_ex(md, out, &dlen) != 1)
		rc = mtk_fail(ctx, MTK_E_UNSUPPORTED, "OpenSSL SHA-256 failed");
	if (rc == 0 && size)
		*size = done;
	EVP_MD_CTX_free(md);
	free(buf);
	close(fd);
	return rc;
}

/* ---- walking a directory ---- */

struct name_list {
	char **v;
	size_t n, cap;
};

static int list_add(mtk_ctx *ctx, struct name_list *l, const char *rel)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, ncap * sizeof *v);
		if (!v)
			return mtk_fail(ctx, MTK_E_NOMEM, "listing files");
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n] = strdup(rel);
	if (!l->v[l->n])
		return mtk_fail(ctx, MTK_E_NOMEM, "listing files");
	l->n++;
	return 0;
}

static void list_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_manifest_file(const char *rel)
{
	return strncmp(rel, "SHA256SUMS", 10) == 0 && !strchr(rel, '/');
}

static int walk(mtk_ctx *ctx, const char *root, const char *rel, int depth, struct name_list *out);

static int walk_entry(mtk_ctx *ctx, const char *root, const char *rel, int depth, struct name_list *out)
{
	char *path = mtk_path_join(root, rel);
	if (!path)
		return mtk_fail(ctx, MTK_E_NOMEM, "listing files");
	struct stat st;
	int rc = 0;
	if (lstat(path, &st) < 0)
		rc = mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		rc = walk(ctx, root, rel, depth + 1, out);
	else if (S_ISREG(st.st_mode) && !is_manifest_file(rel) && mtk_manifest_name_ok(rel))
		rc = list_add(ctx, out, rel);
	else if (!S_ISREG(st.st_mode))
		mtk_warn(ctx, "%s: skipped (not a regular file)", path);
	free(path);
	return rc;
}

static int walk(mtk_ctx *ctx, const char *root, const char *rel, int depth, struct name_list *out)
{
	if (depth > WALK_DEPTH_MAX)
		return mtk_fail(ctx, MTK_E_RANGE, "%s/%s: directories nested more than %d deep", root, rel,
		                WALK_DEPTH_MAX);
	char *path = rel ? mtk_path_join(root, rel) : strdup(root);
	if (!path)
		return mtk_fail(ctx, MTK_E_NOMEM, "listing files");
	DIR *d = opendir(path);
	if (!d) {
		int rc = mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *child = rel ? mtk_path_join(rel, de->d_name) : strdup(de->d_name);
		if (!child) {
			rc = mtk_fail(ctx, MTK_E_NOMEM, "listing files");
			break;
		}
		rc = walk_entry(ctx, root, child, depth, out);
		free(child);
	}
	closedir(d);
	free(path);
	return rc;
}

static int list_dir(mtk_ctx *ctx, const char *dir, struct name_list *out)
{
	memset(out, 0, sizeof *out);
	int rc = walk(ctx, dir, NULL, 0, out);
	if (rc < 0) {
		list_free(out);
		return rc;
	}
	qsort(out->v, out->n, sizeof *out->v, cmp_str);
	return 0;
}

int mtk_manifest_hash_dir(mtk_ctx *ctx, const char *dir, struct mtk_manifest *out)
{
	memset(out, 0, sizeof *out);
	struct name_list l;
	int rc = list_dir(ctx, dir, &l);
	if (rc < 0)
		return rc;
	out->entries = calloc(l.n ? l.n : 1, sizeof *out->entries);
	if (!out->entries)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "manifest");
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		char *path = mtk_path_join(dir, l.v[i]);
		rc = path ? mtk_sha256_file(ctx, path, out->entries[i].sha256, NULL)
		          : mtk_fail(ctx, MTK_E_NOMEM, "%s", dir);
		free(path);
		if (rc == 0) {
			out->entries[i].name = l.v[i];
			l.v[i] = NULL;
			out->count++;
		}
	}
	list_free(&l);
	if (rc < 0)
		mtk_manifest_free(out);
	return rc;
}

/* ---- trust set ---- */

struct keyset {
	struct mtk_minisign_pubkey *v;
	size_t n;
};

static int keyset_add_file(mtk_ctx *ctx, struct keyset *ks, const char *path, bool missing_ok)
{
	uint8_t *buf;
	size_t len;
	int rc = mtk_read_small_file(ctx, path, SMALL_MAX, &buf, &len, NULL);
	struct mtk_minisign_pubkey k;
	if (rc == 0)
		rc = mtk_minisign_pubkey_parse(ctx, path, buf, len, &k);
	free(buf);
	if (rc < 0) {
		if (!missing_ok)
			return rc;
		mtk_warn(ctx, "trusted key ignored: %s", mtk_ctx_error(ctx));
		mtk_ctx_clear_error(ctx);
		return 0;
	}
	struct mtk_minisign_pubkey *v = realloc(ks->v, (ks->n + 1) * sizeof *v);
	if (!v)
		return mtk_fail(ctx, MTK_E_NOMEM, "trusted keys");
	ks->v = v;
	ks->v[ks->n++] = k;
	return 0;
}

static bool has_pub_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".pub") == 0;
}

/* Keys in the folder are a convenience: a broken one is reported and skipped
 * rather than making every package unverifiable. */
static int keyset_add_dir(mtk_ctx *ctx, struct keyset *ks, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct name_list l = {0};
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (has_pub_suffix(de->d_name))
			rc = list_add(ctx, &l, de->d_name);
	closedir(d);
	qsort(l.v, l.n, sizeof *l.v, cmp_str);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		char *path = mtk_path_join(dir, l.v[i]);
		rc = path ? keyset_add_file(ctx, ks, path, true) : mtk_fail(ctx, MTK_E_NOMEM, "trusted keys");
		free(path);
	}
	list_free(&l);
	return rc;
}

int mtk_trust_load(mtk_ctx *ctx, const char *const *files, size_t nfiles, const char *dir,
                   struct mtk_minisign_pubkey **keys, size_t *n)
{
	struct keyset ks = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nfiles; i++)
		rc = keyset_add_file(ctx, &ks, files[i], false);
	if (rc == 0 && dir)
		rc = keyset_add_dir(ctx, &ks, dir);
	if (rc < 0) {
		free(ks.v);
		ks = (struct keyset){0};
	}
	*keys = ks.v;
	*n = ks.n;
	return rc;
}

/* ---- loading and verifying ---- */

static void set_detail(mtk_ctx *ctx, struct mtk_manifest *m, const char *fallback)
{
	const char *msg = ctx ? mtk_ctx_error(ctx) : "";
	snprintf(m->sig_detail, sizeof m->sig_detail, "%s", *msg ? msg : fallback);
	if (ctx)
		mtk_ctx_clear_error(ctx);
}

static void check_signature(mtk_ctx *ctx, const char *sigpath, const uint8_t *sig_buf, size_t sig_len,
                            const struct keyset *ks, const uint8_t *sums, size_t sums_len,
                            struct mtk_manifest *m)
{
	struct mtk_minisign_sig *sig = calloc(1, sizeof *sig);
	if (!sig) {
		m->sig = MTK_SIG_BAD;
		snprintf(m->sig_detail, sizeof m->sig_detail, "out of memory");
		return;
	}
	if (mtk_minisign_sig_parse(ctx, sigpath, sig_buf, sig_len, sig) < 0) {
		m->sig = MTK_SIG_BAD;
		set_detail(ctx, m, "unreadable signature");
		free(sig);
		return;
	}
	mtk_minisign_key_id_hex(sig->key_id, m->key_id);
	/* Shown to people only; the signature covered the full text. */
	size_t tlen = strnlen(sig->trusted_comment, sizeof m->trusted_comment - 1);
	memcpy(m->trusted_comment, sig->trusted_comment, tlen);
	m->trusted_comment[tlen] = '\0';
	size_t which = 0;
	m->sig = mtk_minisign_verify(ctx, sig, ks->v, ks->n, sums, sums_len, &which);
	if (m->sig == MTK_SIG_TRUSTED) {
		snprintf(m->sig_detail, sizeof m->sig_detail, "good signature by trusted key %s", m->key_id);
		mtk_ctx_clear_error(ctx);
	} else {
		set_detail(ctx, m, "signature does not verify");
	}
	free(sig);
}

int mtk_manifest_load(mtk_ctx *ctx, const char *dir, const char *const *trust_files, size_t ntrust,
                      const char *trust_dir, struct mtk_manifest *out)
{
	memset(out, 0, sizeof *out);
	char *sums_path = mtk_path_join(dir, "SHA256SUMS");
	char *sig_path = mtk_path_join(dir, "SHA256SUMS.minisig");
	uint8_t *sums = NULL, *sigbuf = NULL;
	size_t sums_len = 0, sig_len = 0;
	bool no_sums = false, no_sig = false;
	struct keyset ks = {0};
	int rc = sums_path && sig_path ? 0 : mtk_fail(ctx, MTK_E_NOMEM, "%s", dir);
	if (rc == 0)
		rc = mtk_read_small_file(ctx, sums_path, SUMS_MAX, &sums, &sums_len, &no_sums);
	if (rc == 0 && !no_sums)
		rc = mtk_sha256sums_parse(ctx, sums_path, sums, sums_len, out);
	if (rc == 0 && !no_sums)
		rc = mtk_read_small_file(ctx, sig_path, SMALL_MAX, &sigbuf, &sig_len, &no_sig);
	for (size_t i = 0; rc == 0 && i < ntrust; i++)
		rc = keyset_add_file(ctx, &ks, trust_files[i], false);
	if (rc == 0 && trust_dir)
		rc = keyset_add_dir(ctx, &ks, trust_dir);
	if (rc == 0 && no_sums)
		snprintf(out->sig_detail, sizeof out->sig_detail, "no SHA256SUMS in %s", dir);
	else if (rc == 0 && no_sig)
		snprintf(out->sig_detail, sizeof out->sig_detail, "no SHA256SUMS.minisig in %s", dir);
	else if (rc == 0)
		check_signature(ctx, sig_path, sigbuf, sig_len, &ks, sums, sums_len, out);
	if (rc < 0)
		mtk_manifest_free(out);
	free(ks.v);
	free(sums);
	free(sigbuf);
	free(sums_path);
	free(sig_path);
	return rc;
}

/* ---- creating ---- */

/* Through a temporary file and rename, so a crash never leaves a torn manifest. */
static int write_file_atomic(mtk_ctx *ctx, const char *dir, const char *name, const char *text, size_t len)
{
	char *final = mtk_path_join(dir, name);
	if (!final)
		return mtk_fail(ctx, MTK_E_NOMEM, "%s", dir);
	int rc = mtk_write_file_safely(ctx, final, text, len, MTK_OUT_FORCE);
	free(final);
	return rc;
}

/* A secret key kept inside the package would be hashed, listed and shipped. */
static int refuse_key_inside(mtk_ctx *ctx, const char *dir, const char *keyfile)
{
	char *rdir = realpath(dir, NULL);
	char *rkey = realpath(keyfile, NULL);
	int rc = 0;
	if (!rdir)
		rc = mtk_fail(ctx, MTK_E_IO, "%s: %s", dir, strerror(errno));
	else if (!rkey)
		rc = mtk_fail(ctx, MTK_E_IO, "%s: %s", keyfile, strerror(errno));
	else if (strncmp(rkey, rdir, strlen(rdir)) == 0 && rkey[strlen(rdir)] == '/')
		rc = mtk_fail(ctx, MTK_E_POLICY,
		              "%s: the secret key is inside %s and would be published with it", keyfile, dir);
	free(rdir);
	free(rkey);
	return rc;
}

int mtk_minisign_seckey_load(mtk_ctx *ctx, const char *keyfile, struct mtk_minisign_seckey *sk)
{
	uint8_t *buf;
	size_t len;
	int rc = mtk_read_small_file(ctx, keyfile, SMALL_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_minisign_seckey_parse(ctx, keyfile, buf, len, sk);
	if (buf)
		OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

static int sign_and_write(mtk_ctx *ctx, const char *dir, const struct mtk_minisign_seckey *sk,
                          const char *text, size_t len, const char *trusted_comment)
{
	char deflt[128];
	if (!trusted_comment) {
		snprintf(deflt, sizeof deflt, "timestamp:%lld\tfile:SHA256SUMS\thashed",
		         (long long)time(NULL));
		trusted_comment = deflt;
	}
	char *sig = NULL;
	int rc = mtk_minisign_sign(ctx, sk, (const uint8_t *)text, len, trusted_comment, &sig);
	if (rc == 0)
		rc = write_file_atomic(ctx, dir, "SHA256SUMS", text, len);
	if (rc == 0)
		rc = write_file_atomic(ctx, dir, "SHA256SUMS.minisig", sig, strlen(sig));
	free(sig);
	return rc;
}

int mtk_manifest_create(mtk_ctx *ctx, const char *dir, const char *keyfile, const char *trusted_comment,
                        size_t *nfiles)
{
	struct mtk_minisign_seckey sk;
	int rc = refuse_key_inside(ctx, dir, keyfile);
	if (rc == 0)
		rc = mtk_minisign_seckey_load(ctx, keyfile, &sk);
	if (rc < 0)
		return rc;
	struct mtk_manifest m;
	rc = mtk_manifest_hash_dir(ctx, dir, &m);
	if (rc < 0) {
		OPENSSL_cleanse(&sk, sizeof sk);
		return mtk_wrap(ctx, rc, "hashing %s", dir);
	}
	size_t len;
	char *text = mtk_sha256sums_format(&m, &len);
	if (!text)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "SHA256SUMS");
	else
		rc = sign_and_write(ctx, dir, &sk, text, len, trusted_comment);
	if (rc == 0 && nfiles)
		*nfiles = m.count;
	OPENSSL_cleanse(&sk, sizeof sk);
	free(text);
	mtk_manifest_free(&m);
	return rc;
}

/* ---- checking a directory ---- */

static int check_listed(mtk_ctx *ctx, const char *dir, const struct mtk_manifest_entry *e,
                        struct mtk_entry_check *c)
{
	c->name = strdup(e->name);
	if (!c->name)
		return mtk_fail(ctx, MTK_E_NOMEM, "checking %s", dir);
	char *path = mtk_path_join(dir, e->name);
	if (!path)
		return mtk_fail(ctx, MTK_E_NOMEM, "checking %s", dir);
	struct stat st;
	int rc = 0;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		c->status = MTK_ENTRY_MISSING;
	} else {
		uint8_t h[32];
		rc = mtk_sha256_file(ctx, path, h, &c->size);
		c->status = memcmp(h, e->sha256, 32) == 0 ? MTK_ENTRY_MATCH : MTK_ENTRY_MISMATCH;
	}
	free(path);
	return rc;
}

static int cmp_check(const void *a, const void *b)
{
	return strcmp(((const struct mtk_entry_check *)a)->name, ((const struct mtk_entry_check *)b)->name);
}

static void add_unlisted(const struct mtk_manifest *m, struct name_list *l, struct mtk_entry_check *c,
                         size_t *n)
{
	for (size_t i = 0; i < l->n; i++) {
		if (mtk_manifest_lookup(m, l->v[i]))
			continue;
		c[*n] = (struct mtk_entry_check){.name = l->v[i], .status = MTK_ENTRY_UNLISTED};
		l->v[i] = NULL;
		(*n)++;
	}
}

int mtk_manifest_check_dir(mtk_ctx *ctx, const char *dir, const struct mtk_manifest *m,
                           struct mtk_entry_check **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct name_list l;
	int rc = list_dir(ctx, dir, &l);
	if (rc < 0)
		return rc;
	struct mtk_entry_check *c = calloc(m->count + l.n + 1, sizeof *c);
	if (!c) {
		list_free(&l);
		return mtk_fail(ctx, MTK_E_NOMEM, "checking %s", dir);
	}
	size_t k = 0;
	for (size_t i = 0; rc == 0 && i < m->count; i++) {
		rc = check_listed(ctx, dir, &m->entries[i], &c[k]);
		k++;
	}
	if (rc == 0)
		add_unlisted(m, &l, c, &k);
	list_free(&l);
	if (rc < 0) {
		mtk_entry_checks_free(c, k);
		return rc;
	}
	qsort(c, k, sizeof *c, cmp_check);
	int bad = 0;
	for (size_t i = 0; i < k; i++)
		bad += c[i].status != MTK_ENTRY_MATCH;
	*out = c;
	*n = k;
	return bad;
}

void mtk_entry_checks_free(struct mtk_entry_check *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}
