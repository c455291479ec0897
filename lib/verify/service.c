/* SPDX-License-Identifier: MIT */
/* The service passphrase (see include/mtkflash/service.h). */
#include "mtkflash/service.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "core/fileutil.h"
#include "core/outfile.h"
#include "private_dir.h"

#define MAGIC "mtkflash-service-passphrase 1"
#define MEM_LIMIT (256u << 20)

/* ---------------------------------------------------------------- parse */

static bool hex_field(const char *v, size_t vlen, uint8_t *out, size_t n)
{
	if (vlen != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = mtk_hex_digit(v[2 * i]), lo = mtk_hex_digit(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool num_field(const char *v, size_t vlen, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	if (vlen == 0 || vlen > 10)
		return false;
	for (size_t i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return x >= 1 && x <= max;
}

enum { HAVE_KDF = 1, HAVE_N = 2, HAVE_R = 4, HAVE_P = 8, HAVE_SALT = 16, HAVE_HASH = 32, HAVE_ALL = 63 };

/* One "key=value" line; the bit it filled, or 0 when it is malformed. */
static int parse_field(const char *k, size_t klen, const char *v, size_t vlen, struct mtk_service_record *r)
{
	uint64_t x;
#define KEY(s) (klen == sizeof s - 1 && memcmp(k, s, klen) == 0)
	if (KEY("kdf"))
		return vlen == 6 && memcmp(v, "scrypt", 6) == 0 ? HAVE_KDF : 0;
	if (KEY("n"))
		return num_field(v, vlen, 1u << 20, &r->params.n) && !(r->params.n & (r->params.n - 1)) &&
				       r->params.n > 1
			       ? HAVE_N
			       : 0;
	if (KEY("r"))
		return num_field(v, vlen, 32, &x) ? (r->params.r = (uint32_t)x, HAVE_R) : 0;
	if (KEY("p"))
		return num_field(v, vlen, 16, &x) ? (r->params.p = (uint32_t)x, HAVE_P) : 0;
	if (KEY("salt"))
		return hex_field(v, vlen, r->salt, sizeof r->salt) ? HAVE_SALT : 0;
	if (KEY("hash"))
		return hex_field(v, vlen, r->hash, sizeof r->hash) ? HAVE_HASH : 0;
#undef KEY
	return 0;
}

static int parse_lines(mtk_ctx *ctx, const char *t, size_t len, const char *name, struct mtk_service_record *r)
{
	int have = 0;
	size_t off = 0;
	for (int line = 1; off < len; line++) {
		const char *nl = memchr(t + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - t) : len;
		const char *eq = memchr(t + off, '=', end - off);
		int bit = eq ? parse_field(t + off, (size_t)(eq - (t + off)), eq + 1, end - (size_t)(eq + 1 - t), r) : 0;
		if (line > 1 && (bit == 0 || (have & bit)))
			return mtk_fail(ctx, MTK_E_PARSE, "%s: line %d (byte %zu): not a valid or new key=value", name,
					line, off);
		have |= line > 1 ? bit : 0;
		off = end + 1;
	}
	if (have != HAVE_ALL)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: kdf, n, r, p, salt or hash missing", name);
	if ((uint64_t)128 * r->params.r * r->params.n > MEM_LIMIT)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: scrypt n=%" PRIu64 " r=%u needs more than %u MiB", name,
				r->params.n, r->params.r, MEM_LIMIT >> 20);
	return 0;
}

int mtk_service_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, struct mtk_service_record *r)
{
	memset(r, 0, sizeof *r);
	const char *t = (const char *)buf;
	size_t ml = sizeof MAGIC - 1;
	if (len < ml + 1 || memcmp(t, MAGIC, ml) != 0 || t[ml] != '\n')
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not a service passphrase file (first line is not \"%s\")", name,
				MAGIC);
	return parse_lines(ctx, t, len, name, r);
}

/* ---------------------------------------------------------------- scrypt */

static int derive(mtk_ctx *ctx, const char *pass, size_t len, const struct mtk_service_record *r, uint8_t out[32])
{
	uint64_t n = r->params.n, maxmem = 2ull * MEM_LIMIT;
	uint32_t rr = r->params.r, p = r->params.p;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)r->salt, sizeof r->salt),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int ok = k && EVP_KDF_derive(k, out, 32, params) == 1;
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
	return ok ? 0 : mtk_fail(ctx, MTK_E_UNSUPPORTED, "scrypt (OpenSSL EVP_KDF \"SCRYPT\") failed");
}

/* ------------------------------------------------------------ the file */

/* 1 with r filled, 0 when there is no file. */
static int load(mtk_ctx *ctx, const char *path, struct mtk_service_record *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	bool absent = false;
	int rc = mtk_read_small_file(ctx, path, MTK_SERVICE_FILE_MAX, &buf, &len, &absent);
	if (rc == 0 && !absent)
		rc = mtk_service_parse(ctx, buf, len, path, r);
	free(buf);
	return rc < 0 ? rc : !absent;
}

int mtk_service_is_set(mtk_ctx *ctx, const char *path)
{
	struct mtk_service_record r;
	return load(ctx, path, &r);
}

static bool length_ok(size_t len)
{
	return len >= MTK_SERVICE_PASS_MIN && len <= MTK_SERVICE_PASS_MAX;
}

int mtk_service_check(mtk_ctx *ctx, const char *path, const char *pass, size_t len)
{
	struct mtk_service_record r;
	uint8_t got[32];
	int rc = load(ctx, path, &r);
	if (rc == 0)
		return mtk_fail(ctx, MTK_E_DENIED, "service mode is locked: no service passphrase is set (set one with "
						   "'mtkflash service set-passphrase')");
	if (rc < 0)
		return rc;
	if (!length_ok(len))
		return mtk_fail(ctx, MTK_E_DENIED, "wrong service passphrase");
	if ((rc = derive(ctx, pass, len, &r, got)) < 0)
		return rc;
	int same = CRYPTO_memcmp(got, r.hash, sizeof got) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return same ? 0 : mtk_fail(ctx, MTK_E_DENIED, "wrong service passphrase");
}

static int format_record(const struct mtk_service_record *r, char *out, size_t cap)
{
	char salt[33], hash[65];
	mtk_hex_encode(salt, r->salt, sizeof r->salt);
	mtk_hex_encode(hash, r->hash, sizeof r->hash);
	return snprintf(out, cap, MAGIC "\nkdf=scrypt\nn=%" PRIu64 "\nr=%u\np=%u\nsalt=%s\nhash=%s\n", r->params.n,
			r->params.r, r->params.p, salt, hash);
}

static int make_parent(mtk_ctx *ctx, const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	int rc = slash && slash != dir ? (*slash = '\0', vf_make_private_dirs(ctx, dir)) : 0;
	free(dir);
	return rc;
}

static int store(mtk_ctx *ctx, const char *path, const char *pass, size_t len, const struct mtk_scrypt_params *pp)
{
	struct mtk_service_record r = { .params = *pp };
	char text[512];
	if (RAND_bytes(r.salt, sizeof r.salt) != 1)
		return mtk_fail(ctx, MTK_E_IO, "no random bytes for the salt");
	int rc = derive(ctx, pass, len, &r, r.hash);
	if (rc < 0)
		return rc;
	int n = format_record(&r, text, sizeof text);
	rc = make_parent(ctx, path);
	if (rc == 0)
		rc = mtk_write_file_safely(ctx, path, text, (size_t)n, MTK_OUT_PRIVATE | MTK_OUT_FORCE);
	OPENSSL_cleanse(&r, sizeof r);
	return rc;
}

int mtk_service_set(mtk_ctx *ctx, const char *path, const char *old, size_t old_len, const char *new_pass,
		    size_t new_len, const struct mtk_scrypt_params *params)
{
	struct mtk_scrypt_params pp = params ? *params : MTK_SCRYPT_DEFAULT;
	if (!length_ok(new_len))
		return mtk_fail(ctx, MTK_E_INVAL, "a service passphrase has %d to %d characters, not %zu",
				MTK_SERVICE_PASS_MIN, MTK_SERVICE_PASS_MAX, new_len);
	if (pp.n < 2 || (pp.n & (pp.n - 1)) || pp.r == 0 || pp.p == 0 || (uint64_t)128 * pp.r * pp.n > MEM_LIMIT)
		return mtk_fail(ctx, MTK_E_INVAL, "scrypt parameters n=%" PRIu64 " r=%u p=%u are out of range", pp.n,
				pp.r, pp.p);
	int rc = mtk_service_is_set(ctx, path);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "the current passphrase file (remove it to start over)");
	if (rc == 1 && (rc = mtk_service_check(ctx, path, old ? old : "", old ? old_len : 0)) < 0)
		return mtk_wrap(ctx, rc, "replacing the service passphrase needs the current one");
	return store(ctx, path, new_pass, new_len, &pp);
}
