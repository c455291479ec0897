/* SPDX-License-Identifier: MIT */
/* The backup store on the host: folders, manifests, listing, checking
 * (see include/mtkflash/backup.h).  Every name read from a manifest or a
 * folder is hostile until checked: it must be one safe path component. */
#include "backup_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/fileutil.h"

#define MANIFEST_MAX (1u << 20)
#define HASH_CHUNK (1u << 20)
#define TS_MAX 32 /* struct mtk_backup.timestamp */

const char *mtk_backup_state_name(enum mtk_backup_state s)
{
	static const char *const names[] = {
		[MTK_BACKUP_UNCHECKED] = "unchecked", [MTK_BACKUP_OK] = "ok",
		[MTK_BACKUP_MISSING] = "missing",     [MTK_BACKUP_CHANGED] = "changed",
		[MTK_BACKUP_SKIPPED] = "skipped",
	};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

void mtk_backup_free(struct mtk_backup *b)
{
	free(b->parts);
	b->parts = NULL;
	b->count = 0;
}

void mtk_backup_list_free(struct mtk_backup_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		mtk_backup_free(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* ---------------------------------------------------------------- paths */

bool bk_safe_component(const char *s, size_t cap)
{
	if (!s[0] || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return strlen(s) < cap;
}

static int must_be_dir(mtk_ctx *ctx, const char *dir)
{
	struct stat st;
	if (lstat(dir, &st) < 0)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", dir, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return mtk_fail(ctx, MTK_E_IO, "%s is a symbolic link: the backup store is never used through one",
				dir);
	if (!S_ISDIR(st.st_mode))
		return mtk_fail(ctx, MTK_E_IO, "%s exists and is not a folder", dir);
	return 0;
}

int vf_make_private_dirs(mtk_ctx *ctx, const char *dir)
{
	char *p = strdup(dir);
	if (!p)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		bool end = *s == '\0';
		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = mtk_fail(ctx, MTK_E_IO, "cannot create %s: %s", p, strerror(errno));
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return rc < 0 ? rc : must_be_dir(ctx, dir);
}

int bk_open_part(const char *dir, const char *file)
{
	char path[8192];
	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

static bool is_store_dir(const char *parent, const char *name, size_t cap)
{
	char path[8192];
	struct stat st;
	if (snprintf(path, sizeof path, "%s/%s", parent, name) >= (int)sizeof path)
		return false;
	return bk_safe_component(name, cap) && lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The device folder holding a backup TIMESTAMP, when exactly one does. */
static int find_timestamp(mtk_ctx *ctx, const char *root, const char *ts, char *dev, size_t cap)
{
	DIR *d = opendir(root);
	if (!d)
		return mtk_fail(ctx, MTK_E_NOTFOUND, "no backup %s (the store %s is empty)", ts, root);
	int found = 0;
	char path[8192];
	for (struct dirent *e; (e = readdir(d));) {
		snprintf(path, sizeof path, "%s/%s", root, e->d_name);
		if (!is_store_dir(root, e->d_name, MTK_DEVICE_ID_MAX) || !is_store_dir(path, ts, TS_MAX))
			continue;
		if (found++ == 0)
			snprintf(dev, cap, "%.*s", MTK_DEVICE_ID_MAX - 1, e->d_name);
	}
	closedir(d);
	if (found == 1)
		return 0;
	return found ? mtk_fail(ctx, MTK_E_INVAL, "backup %s exists for %d devices: name it DEVICE/%s", ts, found, ts)
		     : mtk_fail(ctx, MTK_E_NOTFOUND, "no backup %s in %s (see 'mtkflash backup list')", ts, root);
}

int bk_resolve(mtk_ctx *ctx, const char *root, const char *id, char *out, size_t cap, char *dev, char *ts)
{
	char d[MTK_DEVICE_ID_MAX] = "", t[32] = "";
	const char *slash = strchr(id, '/');
	if (slash && (size_t)(slash - id) < sizeof d)
		snprintf(d, sizeof d, "%.*s", (int)(slash - id), id);
	snprintf(t, sizeof t, "%s", slash ? slash + 1 : id);
	bool ok = bk_safe_component(t, TS_MAX) && strlen(t) == strlen(slash ? slash + 1 : id) &&
		  (!slash || bk_safe_component(d, MTK_DEVICE_ID_MAX));
	if (!ok)
		return mtk_fail(ctx, MTK_E_INVAL, "'%s' is not a backup id (DEVICE/TIMESTAMP, see 'mtkflash backup list')",
				id);
	int rc = slash ? 0 : find_timestamp(ctx, root, t, d, sizeof d);
	if (rc < 0)
		return rc;
	if (snprintf(out, cap, "%s/%s/%s", root, d, t) >= (int)cap)
		return mtk_fail(ctx, MTK_E_INVAL, "backup path too long");
	if (dev)
		snprintf(dev, MTK_DEVICE_ID_MAX, "%s", d);
	if (ts)
		snprintf(ts, 32, "%s", t);
	return 0;
}

/* ------------------------------------------------------------- manifest */

static void put_hex(json_t *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];
	if (!b || n == 0 || n > 64) {
		json_object_set_new(o, key, json_null());
		return;
	}
	mtk_hex_encode(hex, b, n);
	json_object_set_new(o, key, json_string(hex));
}

static json_t *part_json(const struct mtk_backup_part *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "partition", json_string(p->name));
	json_object_set_new(o, "file", json_string(p->file));
	json_object_set_new(o, "region", json_string(mtk_region_name(p->region)));
	json_object_set_new(o, "offset", json_integer((json_int_t)p->offset));
	json_object_set_new(o, "size", json_integer((json_int_t)p->size));
	put_hex(o, "sha256", p->sha256, 32);
	return o;
}

static json_t *device_json(const struct bk_device_facts *dev)
{
	json_t *o = json_object();
	char hw[8];
	snprintf(hw, sizeof hw, "0x%04x", dev->hw_code);
	json_object_set_new(o, "chip", json_string(dev->chip));
	json_object_set_new(o, "hw_code", json_string(hw));
	put_hex(o, "me_id", dev->me_id, dev->me_id_len);
	put_hex(o, "soc_id", dev->soc_id, dev->soc_id_len);
	json_object_set_new(o, "storage", json_string(dev->storage));
	put_hex(o, "layout_sha256", dev->layout_sha256, 32);
	return o;
}

json_t *bk_manifest_json(const struct mtk_backup *b, const struct bk_device_facts *dev, json_t *fingerprint)
{
	json_t *parts = json_array();
	for (size_t i = 0; i < b->count; i++)
		json_array_append_new(parts, part_json(&b->parts[i]));
	json_t *tool = json_pack("{s:s, s:s}", "name", "mtkflash", "version", b->tool_version);
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:O, s:o}", "format", MTK_BACKUP_FORMAT, "device_id",
			 b->device_id, "timestamp", b->timestamp, "created", b->created, "tool", tool, "device",
			 device_json(dev), "fingerprint", fingerprint ? fingerprint : json_null(), "partitions", parts);
}

int bk_hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = mtk_hex_digit(s[2 * i]), lo = mtk_hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

const char *bk_get_str(json_t *o, const char *key, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && strlen(s) < cap ? s : NULL;
}

bool bk_get_u64(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static int parse_part(mtk_ctx *ctx, json_t *o, const char *name, size_t i, struct mtk_backup_part *p)
{
	const char *pn = bk_get_str(o, "partition", sizeof p->name);
	const char *file = bk_get_str(o, "file", sizeof p->file);
	const char *region = json_string_value(json_object_get(o, "region"));
	const char *sha = json_string_value(json_object_get(o, "sha256"));
	if (!pn || !pn[0] || !file || !region || !sha)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: partitions[%zu] lacks partition, file, region or sha256", name, i);
	if (!bk_safe_component(file, sizeof p->file))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: partitions[%zu]: file '%s' is not a plain file name", name, i,
				file);
	if (mtk_region_from_name(region, &p->region) < 0 || bk_hex_decode(sha, p->sha256, 32) < 0 ||
	    !bk_get_u64(o, "offset", &p->offset) || !bk_get_u64(o, "size", &p->size))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: partitions[%zu] (%s): bad region, offset, size or sha256", name,
				i, pn);
	snprintf(p->name, sizeof p->name, "%s", pn);
	snprintf(p->file, sizeof p->file, "%s", file);
	return 0;
}

static int parse_parts(mtk_ctx *ctx, json_t *arr, const char *name, struct mtk_backup *b)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: no partitions", name);
	b->parts = calloc(n, sizeof *b->parts);
	if (!b->parts)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int rc = parse_part(ctx, json_array_get(arr, i), name, i, &b->parts[i]);
		if (rc < 0)
			return rc;
		b->count++;
		if (mtk_add_overflows(b->bytes, b->parts[i].size, &b->bytes))
			return mtk_fail(ctx, MTK_E_PARSE, "%s: sizes overflow", name);
	}
	return 0;
}

static int parse_doc(mtk_ctx *ctx, json_t *doc, const char *name, struct mtk_backup *b)
{
	const char *fmt = json_string_value(json_object_get(doc, "format"));
	if (!fmt || strcmp(fmt, MTK_BACKUP_FORMAT) != 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not a backup manifest (format is not \"%s\")", name,
				MTK_BACKUP_FORMAT);
	const char *dev = bk_get_str(doc, "device_id", sizeof b->device_id);
	const char *ts = bk_get_str(doc, "timestamp", sizeof b->timestamp);
	const char *created = bk_get_str(doc, "created", sizeof b->created);
	if (!dev || !ts || !created || !bk_safe_component(dev, sizeof b->device_id) || !bk_safe_component(ts, sizeof b->timestamp))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: device_id, timestamp or created missing or malformed", name);
	json_t *device = json_object_get(doc, "device");
	const char *chip = bk_get_str(device, "chip", sizeof b->chip);
	const char *ver = bk_get_str(json_object_get(doc, "tool"), "version", sizeof b->tool_version);
	snprintf(b->device_id, sizeof b->device_id, "%s", dev);
	snprintf(b->timestamp, sizeof b->timestamp, "%s", ts);
	snprintf(b->created, sizeof b->created, "%s", created);
	snprintf(b->chip, sizeof b->chip, "%s", chip ? chip : "");
	snprintf(b->tool_version, sizeof b->tool_version, "%s", ver ? ver : "");
	snprintf(b->id, sizeof b->id, "%s/%s", dev, ts);
	return parse_parts(ctx, json_object_get(doc, "partitions"), name, b);
}

int bk_load_object(mtk_ctx *ctx, const char *text, size_t len, const char *name, json_t **doc)
{
	json_error_t err;
	*doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!*doc)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: line %d, byte %d: %s", name, err.line, err.position, err.text);
	if (json_is_object(*doc))
		return 0;
	json_decref(*doc);
	*doc = NULL;
	return mtk_fail(ctx, MTK_E_PARSE, "%s: not a JSON object", name);
}

int mtk_backup_manifest_parse(mtk_ctx *ctx, const char *text, size_t len, const char *name, struct mtk_backup *b)
{
	memset(b, 0, sizeof *b);
	json_t *doc;
	int rc = bk_load_object(ctx, text, len, name, &doc);
	if (rc == 0)
		rc = parse_doc(ctx, doc, name, b);
	json_decref(doc);
	if (rc < 0)
		mtk_backup_free(b);
	return rc;
}

/* The manifest in dir, which must be the backup DEV/TS. */
static int load_dir(mtk_ctx *ctx, const char *dir, const char *dev, const char *ts, struct mtk_backup *b)
{
	char path[8300];
	snprintf(path, sizeof path, "%s/%s", dir, MTK_BACKUP_MANIFEST);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = must_be_dir(ctx, dir);
	if (rc == 0)
		rc = mtk_read_small_file(ctx, path, MANIFEST_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_backup_manifest_parse(ctx, (const char *)buf, len, path, b);
	free(buf);
	if (rc == 0 && (strcmp(b->device_id, dev) != 0 || strcmp(b->timestamp, ts) != 0)) {
		rc = mtk_fail(ctx, MTK_E_VERIFY, "%s names backup %s, but lies in %s/%s: it was moved or edited", path,
			      b->id, dev, ts);
		mtk_backup_free(b);
	}
	return rc;
}

int mtk_backup_load(mtk_ctx *ctx, const char *root, const char *id, struct mtk_backup *out)
{
	char dir[8192], dev[MTK_DEVICE_ID_MAX], ts[32];
	memset(out, 0, sizeof *out);
	int rc = bk_resolve(ctx, root, id, dir, sizeof dir, dev, ts);
	if (rc == 0 && access(dir, F_OK) < 0)
		rc = mtk_fail(ctx, MTK_E_NOTFOUND, "no backup %s/%s in %s (see 'mtkflash backup list')", dev, ts, root);
	return rc < 0 ? rc : load_dir(ctx, dir, dev, ts, out);
}

int bk_load_at(mtk_ctx *ctx, const char *root, const char *id, struct mtk_backup *b, char *dir, size_t cap)
{
	int rc = mtk_backup_load(ctx, root, id, b);
	if (rc == 0)
		rc = bk_resolve(ctx, root, b->id, dir, cap, NULL, NULL);
	return rc;
}

/* ---------------------------------------------------------------- list */

static int list_add(mtk_ctx *ctx, struct mtk_backup_list *l, const char *root, const char *dev, const char *ts)
{
	struct mtk_backup *items = realloc(l->items, (l->count + 1) * sizeof *items);
	if (!items)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	l->items = items;
	struct mtk_backup *b = &items[l->count++];
	char dir[8192];
	snprintf(dir, sizeof dir, "%s/%s/%s", root, dev, ts);
	if (load_dir(ctx, dir, dev, ts, b) < 0) {
		memset(b, 0, sizeof *b);
		snprintf(b->damaged, sizeof b->damaged, "%s", mtk_ctx_error(ctx));
		snprintf(b->device_id, sizeof b->device_id, "%.*s", MTK_DEVICE_ID_MAX - 1, dev);
		snprintf(b->timestamp, sizeof b->timestamp, "%.*s", TS_MAX - 1, ts);
		snprintf(b->id, sizeof b->id, "%s/%s", b->device_id, b->timestamp);
		mtk_ctx_clear_error(ctx);
	}
	return 0;
}

static int list_device(mtk_ctx *ctx, struct mtk_backup_list *l, const char *root, const char *dev)
{
	char dir[8192];
	snprintf(dir, sizeof dir, "%s/%s", root, dev);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));)
		if (is_store_dir(dir, e->d_name, TS_MAX))
			rc = list_add(ctx, l, root, dev, e->d_name);
	closedir(d);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct mtk_backup *)a)->id, ((const struct mtk_backup *)b)->id);
}

int mtk_backup_list(mtk_ctx *ctx, const char *root, const char *device_id, struct mtk_backup_list *out)
{
	memset(out, 0, sizeof *out);
	DIR *d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : mtk_fail(ctx, MTK_E_IO, "cannot read %s: %s", root, strerror(errno));
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));)
		if (is_store_dir(root, e->d_name, MTK_DEVICE_ID_MAX) && (!device_id || strcmp(device_id, e->d_name) == 0))
			rc = list_device(ctx, out, root, e->d_name);
	closedir(d);
	if (rc < 0) {
		mtk_backup_list_free(out);
		return rc;
	}
	/* Timestamps sort as text ("20240131T235959Z"), so this is oldest first. */
	if (out->count)
		qsort(out->items, out->count, sizeof *out->items, by_id);
	return 0;
}

/* -------------------------------------------------------------- verify */

int bk_hash_fd(mtk_ctx *ctx, int fd, uint64_t size, uint8_t md[32], char *why, size_t whycap)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whycap, "not a regular file");
		return mtk_fail(ctx, MTK_E_VERIFY, "%s", why);
	}
	if ((uint64_t)st.st_size != size) {
		snprintf(why, whycap, "%" PRIu64 " bytes, the manifest says %" PRIu64, (uint64_t)st.st_size, size);
		return mtk_fail(ctx, MTK_E_VERIFY, "%s", why);
	}
	uint8_t *buf = malloc(HASH_CHUNK);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int rc = buf && h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) ? 0 : mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	for (uint64_t off = 0; rc == 0 && off < size;) {
		ssize_t n = pread(fd, buf, HASH_CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = mtk_fail(ctx, MTK_E_IO, "read failed at 0x%" PRIx64 ": %s", off,
				      n < 0 ? strerror(errno) : "file shrank");
		else if (EVP_DigestUpdate(h, buf, (size_t)n) != 1)
			rc = mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
		else
			off += (uint64_t)n;
	}
	if (rc == 0 && EVP_DigestFinal_ex(h, md, NULL) != 1)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
	EVP_MD_CTX_free(h);
	free(buf);
	return rc;
}

static void check_part(mtk_ctx *ctx, const char *dir, struct mtk_backup_part *p)
{
	int fd = bk_open_part(dir, p->file);
	if (fd < 0) {
		p->state = errno == ENOENT ? MTK_BACKUP_MISSING : MTK_BACKUP_CHANGED;
		snprintf(p->problem, sizeof p->problem, "%s: %s", p->file, strerror(errno));
		return;
	}
	uint8_t md[32];
	int rc = bk_hash_fd(ctx, fd, p->size, md, p->problem, sizeof p->problem);
	close(fd);
	if (rc == 0 && memcmp(md, p->sha256, 32) != 0) {
		snprintf(p->problem, sizeof p->problem, "SHA-256 differs from the manifest");
		rc = MTK_E_VERIFY;
	}
	if (rc < 0 && p->problem[0] == '\0')
		snprintf(p->problem, sizeof p->problem, "%s", mtk_ctx_error(ctx));
	p->state = rc == 0 ? MTK_BACKUP_OK : MTK_BACKUP_CHANGED;
	mtk_ctx_clear_error(ctx);
}

/* Checks the loaded backup b in dir; MTK_E_VERIFY naming the first problem. */
static int check_all(mtk_ctx *ctx, const char *dir, struct mtk_backup *b)
{
	const struct mtk_backup_part *bad = NULL;
	size_t nbad = 0;
	for (size_t i = 0; i < b->count; i++) {
		check_part(ctx, dir, &b->parts[i]);
		if (b->parts[i].state != MTK_BACKUP_OK && nbad++ == 0)
			bad = &b->parts[i];
	}
	if (!bad)
		return 0;
	return mtk_fail(ctx, MTK_E_VERIFY, "backup %s: %s is %s (%s)%s", b->id, bad->name,
			mtk_backup_state_name(bad->state), bad->problem, nbad > 1 ? ", and more" : "");
}

int mtk_backup_verify(mtk_ctx *ctx, const char *root, const char *id, struct mtk_backup *out)
{
	struct mtk_backup local;
	struct mtk_backup *b = out ? out : &local;
	char dir[8192];
	int rc = bk_load_at(ctx, root, id, b, dir, sizeof dir);
	if (rc == 0)
		rc = check_all(ctx, dir, b);
	if (!out)
		mtk_backup_free(&local);
	return rc;
}

int mtk_backup_has_for_device(mtk_ctx *ctx, const char *root, const char *device_id)
{
	struct mtk_backup_list l;
	int rc = mtk_backup_list(ctx, root, device_id, &l);
	if (rc < 0)
		return rc;
	int found = 0;
	/* Newest first: the likeliest to be whole. */
	for (size_t i = l.count; i-- > 0 && !found;) {
		if (l.items[i].damaged[0])
			continue;
		found = mtk_backup_verify(ctx, root, l.items[i].id, NULL) == 0;
		mtk_ctx_clear_error(ctx);
	}
	mtk_backup_list_free(&l);
	return found;
}
