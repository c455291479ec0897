/* SPDX-License-Identifier: MIT */
/* Writing the audit log: one JSON line per event, each chained to the one
 * before by SHA-256, fsynced as it happens (or with the next line), the head
 * signed at the end. */
#include "mtkflash/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit_priv.h"
#include "core/bytes.h"
#include "core/ctx.h"
#include "core/fileutil.h"
#include "core/outfile.h"

#ifndef MTKFLASH_VERSION
#define MTKFLASH_VERSION "unknown"
#endif

struct mtk_audit {
	mtk_ctx *ctx;
	int fd;
	char *path;
	uint64_t seq;   /* of the last line written */
	size_t events;  /* lines written, the "open" line included */
	char prev[65];  /* hash of the last line written */
	bool broken;    /* a write failed: the file may end mid-line, write no more */
};

bool mtk_audit_hasher_init(struct mtk_audit_hasher *h)
{
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (h->md && h->ctx)
		return true;
	mtk_audit_hasher_free(h);
	return false;
}

void mtk_audit_hasher_free(struct mtk_audit_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	h->ctx = NULL;
	h->md = NULL;
}

bool mtk_audit_hasher_hex(struct mtk_audit_hasher *h, const void *buf, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned n = 0;
	if (!EVP_DigestInit_ex2(h->ctx, h->md, NULL) || !EVP_DigestUpdate(h->ctx, buf, len) ||
	    !EVP_DigestFinal_ex(h->ctx, md, &n) || n != sizeof md)
		return false;
	mtk_hex_encode(out, md, sizeof md);
	return true;
}

bool mtk_audit_hash_hex(const void *buf, size_t len, char out[65])
{
	struct mtk_audit_hasher h;
	bool ok = mtk_audit_hasher_init(&h) && mtk_audit_hasher_hex(&h, buf, len, out);
	mtk_audit_hasher_free(&h);
	return ok;
}

int mtk_audit_signed_text(const char head[65], size_t events, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s\nhead %s\nevents %zu\n", MTK_AUDIT_GENESIS, head, events);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

bool mtk_audit_reserved_key(const char *key)
{
	static const char *const reserved[] = { "seq", "time", "prev", "event" };
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (strcmp(key, reserved[i]) == 0)
			return true;
	return false;
}

void mtk_audit_utc_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	mtk_utc_tm(ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static int check_fields(mtk_ctx *ctx, const char *type, json_t *fields)
{
	if (!type || !*type)
		return mtk_fail(ctx, MTK_E_INVAL, "audit event without a type");
	if (!fields)
		return 0;
	if (!json_is_object(fields))
		return mtk_fail(ctx, MTK_E_INVAL, "audit event %s: fields must be a JSON object", type);
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v) {
		if (mtk_audit_reserved_key(key))
			return mtk_fail(ctx, MTK_E_INVAL, "audit event %s: field \"%s\" is reserved", type, key);
	}
	return 0;
}

/* The line's text without '\n' (free it): the chain fields first, so a
 * reader sees them at a glance, then the event's own. */
static char *line_text(struct mtk_audit *log, const char *type, json_t *fields)
{
	char now[32];
	mtk_audit_utc_now(now);
	json_t *line = json_object();
	json_object_set_new(line, "seq", json_integer((json_int_t)(log->seq + 1)));
	json_object_set_new(line, "time", json_string(now));
	json_object_set_new(line, "prev", json_string(log->prev));
	json_object_set_new(line, "event", json_string(type));
	if (fields)
		json_object_update(line, fields);
	char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(line);
	return text;
}

static int append_line(struct mtk_audit *log, const char *text, bool sync)
{
	size_t len = strlen(text);
	char hash[65];
	if (!mtk_audit_hash_hex(text, len, hash))
		return mtk_fail(log->ctx, MTK_E_UNSUPPORTED, "SHA-256 failed");
	int rc = mtk_write_all(log->ctx, log->fd, text, len, log->path);
	if (rc == 0)
		rc = mtk_write_all(log->ctx, log->fd, "\n", 1, log->path);
	if (rc == 0 && sync && fdatasync(log->fd) < 0)
		rc = mtk_fail(log->ctx, MTK_E_IO, "syncing %s: %s", log->path, strerror(errno));
	if (rc < 0) {
		log->broken = true;
		return rc;
	}
	memcpy(log->prev, hash, sizeof hash);
	log->seq++;
	log->events++;
	return 0;
}

static int add_event(struct mtk_audit *log, const char *type, json_t *fields, bool sync)
{
	int rc = check_fields(log->ctx, type, fields);
	if (rc == 0 && log->broken)
		rc = mtk_fail(log->ctx, MTK_E_IO, "%s: an earlier write failed, the log takes no more", log->path);
	char *text = rc == 0 ? line_text(log, type, fields) : NULL;
	if (rc == 0 && !text)
		rc = mtk_fail(log->ctx, MTK_E_INVAL, "audit event %s: fields cannot be written as JSON", type);
	if (rc == 0)
		rc = append_line(log, text, sync);
	free(text);
	json_decref(fields);
	return rc < 0 ? mtk_wrap(log->ctx, rc, "audit log") : 0;
}

int mtk_audit_event(struct mtk_audit *log, const char *type, json_t *fields)
{
	return add_event(log, type, fields, true);
}

int mtk_audit_event_lazy(struct mtk_audit *log, const char *type, json_t *fields)
{
	return add_event(log, type, fields, false);
}

const char *mtk_audit_path(const struct mtk_audit *log)
{
	return log->path;
}

/* O_EXCL refuses an existing name, a symbolic link included; lstat first
 * only to say which it was. */
static int create_file(mtk_ctx *ctx, const char *path, int *fd)
{
	struct stat st;
	if (lstat(path, &st) == 0)
		return mtk_fail(ctx, MTK_E_IO, S_ISLNK(st.st_mode) ? "%s is a symbolic link: refusing to write through it"
		                                                    : "%s already exists, not overwriting it",
		                path);
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		return mtk_fail(ctx, MTK_E_IO, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

int mtk_audit_open(mtk_ctx *ctx, const char *path, const char *device_id, struct mtk_audit **out)
{
	*out = NULL;
	struct mtk_audit *log = calloc(1, sizeof *log);
	if (!log || !(log->path = strdup(path))) {
		free(log);
		return mtk_fail(ctx, MTK_E_NOMEM, "audit log");
	}
	log->ctx = ctx;
	log->fd = -1;
	mtk_audit_hash_hex(MTK_AUDIT_GENESIS, strlen(MTK_AUDIT_GENESIS), log->prev);
	int rc = create_file(ctx, path, &log->fd);
	if (rc == 0)
		mtk_fsync_parent(path);
	if (rc == 0) {
		json_t *f = json_object();
		json_object_set_new(f, "format", json_string(MTK_AUDIT_FORMAT));
		json_object_set_new(f, "tool", json_string("mtkflash " MTKFLASH_VERSION));
		json_object_set_new(f, "device_id", device_id ? json_string(device_id) : json_null());
		rc = mtk_audit_event(log, "open", f);
	}
	if (rc < 0) {
		if (log->fd >= 0)
			unlink(path); /* ours, and holding no event yet */
		mtk_audit_abandon(log);
		return rc;
	}
	*out = log;
	return 0;
}

/* Device ids come from the device: only a safe subset goes into a file name. */
static void name_part(const char *id, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = id ? id : ""; *p && n + 1 < cap; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		          c == '_' || (c == '.' && n > 0);
		out[n++] = ok ? c : '_';
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, cap, "unknown");
}

int mtk_audit_open_in(mtk_ctx *ctx, const char *dir, const char *device_id, struct mtk_audit **out)
{
	int rc = mtk_make_dirs(ctx, dir, 0700);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "audit log folder");
	char stamp[32], id[65], path[4200];
	time_t now = time(NULL);
	struct tm tm;
	mtk_utc_tm(now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	name_part(device_id, id, sizeof id);
	for (int n = 1; n < 100; n++) {
		int w = n == 1 ? snprintf(path, sizeof path, "%s/%s-%s.jsonl", dir, stamp, id)
		               : snprintf(path, sizeof path, "%s/%s-%s-%d.jsonl", dir, stamp, id, n);
		if (w < 0 || (size_t)w >= sizeof path)
			return mtk_fail(ctx, MTK_E_RANGE, "audit log folder path too long: %s", dir);
		struct stat st;
		if (lstat(path, &st) == 0)
			continue;
		return mtk_audit_open(ctx, path, device_id, out);
	}
	return mtk_fail(ctx, MTK_E_IO, "%s: too many audit logs named %s-%s", dir, stamp, id);
}

/* The base64 line of the public key alone: what `minisign -P` takes. */
static int pubkey_line(mtk_ctx *ctx, const struct mtk_minisign_seckey *key, json_t *f)
{
	struct mtk_minisign_pubkey pk;
	memcpy(pk.key_id, key->key_id, 8);
	memcpy(pk.pk, key->pk, 32);
	char *text = mtk_minisign_pubkey_format(&pk, NULL);
	char *nl = text ? strchr(text, '\n') : NULL;
	if (!nl) {
		free(text);
		return mtk_fail(ctx, MTK_E_NOMEM, "formatting the station's public key");
	}
	nl[1 + strcspn(nl + 1, "\n")] = '\0';
	json_object_set_new(f, "public_key", json_string(nl + 1));
	free(text);
	return 0;
}

static int signature_fields(struct mtk_audit *log, const struct mtk_minisign_seckey *key, json_t *f)
{
	char text[256], comment[160], id[17], *sig = NULL;
	snprintf(comment, sizeof comment, "mtkflash audit log: %zu events, head %.16s", log->events, log->prev);
	if (mtk_audit_signed_text(log->prev, log->events, text, sizeof text) < 0)
		return mtk_fail(log->ctx, MTK_E_RANGE, "signed text too long");
	int rc = mtk_minisign_sign(log->ctx, key, (const uint8_t *)text, strlen(text), comment, &sig);
	if (rc == 0)
		rc = pubkey_line(log->ctx, key, f);
	if (rc == 0) {
		mtk_minisign_key_id_hex(key->key_id, id);
		json_object_set_new(f, "key_id", json_string(id));
		json_object_set_new(f, "minisig", json_string(sig));
	}
	free(sig);
	return rc;
}

int mtk_audit_close(struct mtk_audit *log, const struct mtk_minisign_seckey *key, char **path_out)
{
	if (path_out)
		*path_out = NULL;
	json_t *f = json_object();
	json_object_set_new(f, "head", json_string(log->prev));
	json_object_set_new(f, "events", json_integer((json_int_t)log->events));
	int rc = key ? signature_fields(log, key, f) : 0;
	if (rc < 0)
		json_decref(f);
	else
		rc = mtk_audit_event(log, key ? "signature" : "close", f);
	if (rc == 0 && close(log->fd) < 0)
		rc = mtk_fail(log->ctx, MTK_E_IO, "closing %s: %s", log->path, strerror(errno));
	if (rc == 0)
		log->fd = -1;
	if (rc == 0 && path_out && !(*path_out = strdup(log->path)))
		rc = mtk_fail(log->ctx, MTK_E_NOMEM, "audit log");
	mtk_ctx *ctx = log->ctx;
	mtk_audit_abandon(log);
	return rc < 0 ? mtk_wrap(ctx, rc, "closing the audit log") : 0;
}

void mtk_audit_abandon(struct mtk_audit *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log);
}
