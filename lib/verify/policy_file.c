/* SPDX-License-Identifier: MIT */
/* Policy files on disk: loading with their signature, signing, the
 * station's own settings, and the facts a policy needs about a package. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/ctx.h"
#include "mtkflash/policy.h"
#include "mtkflash/util.h"

#define SIG_MAX (16u << 10)

static char *sig_path(mtk_ctx *ctx, const char *path)
{
	char *s = mtk_str_concat(path, ".minisig");
	if (!s)
		mtk_fail(ctx, MTK_E_NOMEM, "%s", path);
	return s;
}

/* p->sig from PATH.minisig over the file's bytes. */
static int check_signature(mtk_ctx *ctx, const char *path, const uint8_t *msg, size_t len,
			   const struct mtk_minisign_pubkey *keys, size_t nkeys, struct mtk_policy *p)
{
	char *sp = sig_path(ctx, path);
	if (!sp)
		return MTK_E_NOMEM;
	uint8_t *buf = NULL;
	size_t n = 0;
	bool absent = false;
	int rc = mtk_read_small_file(ctx, sp, SIG_MAX, &buf, &n, &absent);
	struct mtk_minisign_sig *sig = rc == 0 && !absent ? malloc(sizeof *sig) : NULL;
	if (rc == 0 && absent) {
		p->sig = MTK_SIG_UNSIGNED;
		snprintf(p->sig_detail, sizeof p->sig_detail, "no %s", sp);
	} else if (rc == 0 && !sig) {
		rc = mtk_fail(ctx, MTK_E_NOMEM, "%s", sp);
	} else if (rc == 0 && (rc = mtk_minisign_sig_parse(ctx, sp, buf, n, sig)) == 0) {
		mtk_minisign_key_id_hex(sig->key_id, p->key_id);
		p->sig = mtk_minisign_verify(ctx, sig, keys, nkeys, msg, len, NULL);
		if (p->sig == MTK_SIG_TRUSTED)
			snprintf(p->sig_detail, sizeof p->sig_detail, "signed by trusted key %s", p->key_id);
		else if (p->sig == MTK_SIG_UNKNOWN_KEY)
			snprintf(p->sig_detail, sizeof p->sig_detail, "key %s is not a trusted policy key", p->key_id);
		else
			snprintf(p->sig_detail, sizeof p->sig_detail, "%s", mtk_ctx_error(ctx));
		mtk_ctx_clear_error(ctx);
	}
	free(sig);
	free(buf);
	free(sp);
	return rc;
}

int mtk_policy_load(mtk_ctx *ctx, const char *path, const struct mtk_minisign_pubkey *keys, size_t nkeys,
		    struct mtk_policy **out)
{
	*out = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = mtk_read_small_file(ctx, path, MTK_POLICY_FILE_MAX + 1, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_policy_parse(ctx, path, buf, len, out);
	if (rc == 0) {
		struct mtk_policy *p = *out;
		mtk_escape(path, p->path, sizeof p->path); /* shown and logged only: valid UTF-8 */
		if (!EVP_Digest(buf, len, p->sha256, NULL, EVP_sha256(), NULL))
			rc = mtk_fail(ctx, MTK_E_UNSUPPORTED, "%s: OpenSSL cannot hash", path);
		if (rc == 0)
			rc = check_signature(ctx, path, buf, len, keys, nkeys, p);
	}
	free(buf);
	if (rc < 0) {
		mtk_policy_free(*out);
		*out = NULL;
	}
	return rc;
}

int mtk_policy_open(mtk_ctx *ctx, const char *path, const struct mtk_station *st, struct mtk_policy **out,
		    struct mtk_policy_verdict *v)
{
	int rc = mtk_policy_load(ctx, path, st ? st->keys : NULL, st ? st->nkeys : 0, out);
	if (rc < 0)
		return rc;
	size_t before = v->count;
	mtk_policy_admit(*out, st, v);
	if (v->count == before)
		return 0;
	mtk_policy_free(*out);
	*out = NULL;
	return mtk_fail(ctx, MTK_E_POLICY, "refused by policy rule \"%s\": %s", v->refusals[before].rule,
			v->refusals[before].detail);
}

int mtk_policy_sign(mtk_ctx *ctx, const char *path, const char *keyfile, bool force)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct mtk_policy *p = NULL;
	int rc = mtk_read_small_file(ctx, path, MTK_POLICY_FILE_MAX + 1, &buf, &len, NULL);
	if (rc == 0) /* never sign what would not load */
		rc = mtk_policy_parse(ctx, path, buf, len, &p);
	mtk_policy_free(p);
	struct mtk_minisign_seckey sk;
	if (rc == 0)
		rc = mtk_minisign_seckey_load(ctx, keyfile, &sk);
	char comment[160], *sig = NULL, *sp = NULL;
	snprintf(comment, sizeof comment, "timestamp:%lld\tmtkflash policy", (long long)time(NULL));
	if (rc == 0) {
		rc = mtk_minisign_sign(ctx, &sk, buf, len, comment, &sig);
		OPENSSL_cleanse(&sk, sizeof sk);
	}
	if (rc == 0 && !(sp = sig_path(ctx, path)))
		rc = MTK_E_NOMEM;
	if (rc == 0)
		rc = mtk_write_file_safely(ctx, sp, sig, strlen(sig), force ? MTK_OUT_FORCE : 0);
	free(sp);
	free(sig);
	free(buf);
	return rc;
}

int mtk_station_load(mtk_ctx *ctx, const char *path, struct mtk_station *out)
{
	memset(out, 0, sizeof *out);
	uint8_t *buf = NULL;
	size_t len = 0;
	bool absent = false;
	int rc = mtk_read_small_file(ctx, path, MTK_POLICY_FILE_MAX + 1, &buf, &len, &absent);
	if (rc == 0 && !absent) {
		rc = mtk_station_parse(ctx, path, buf, len, out);
		out->present = rc == 0;
	}
	free(buf);
	return rc;
}

/* ------------------------------------------------------------- packages */

static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

static bool exists_in(const char *dir, const char *name)
{
	char *p = mtk_path_join(dir, name);
	struct stat st;
	bool ok = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

static bool has_checksum_ini(const char *dir)
{
	static const char *const names[] = { "Checksum.ini", "checksum.ini", "CHECKSUM.INI" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (exists_in(dir, names[i]))
			return true;
	return false;
}

/* The signature of SHA256SUMS by the policy's own keys. */
static int sig_by_policy_keys(mtk_ctx *ctx, const struct mtk_policy *p, const char *sums,
			      struct mtk_policy_package *out)
{
	struct mtk_policy tmp; /* only the signature fields are used */
	uint8_t *buf = NULL;
	size_t len = 0;
	tmp.key_id[0] = '\0';
	int rc = mtk_read_small_file(ctx, sums, 64u << 20, &buf, &len, NULL);
	if (rc == 0)
		rc = check_signature(ctx, sums, buf, len, p->keys, p->nkeys, &tmp);
	if (rc == 0) {
		out->sig = tmp.sig;
		memcpy(out->sig_key_id, tmp.key_id, sizeof out->sig_key_id);
	}
	free(buf);
	return rc;
}

int mtk_policy_package_facts(mtk_ctx *ctx, const struct mtk_policy *p, const char *scatter_path,
			     enum mtk_sig_state station_sig, struct mtk_policy_package *out)
{
	memset(out, 0, sizeof *out);
	out->sig = station_sig;
	char *dir = folder_of(scatter_path);
	char *sums = dir ? mtk_path_join(dir, "SHA256SUMS") : NULL;
	if (!sums) {
		free(dir);
		return mtk_fail(ctx, MTK_E_NOMEM, "%s", scatter_path);
	}
	out->id_is_manifest = exists_in(dir, "SHA256SUMS");
	out->have_checksum_ini = has_checksum_ini(dir);
	int rc = mtk_sha256_file(ctx, out->id_is_manifest ? sums : scatter_path, out->id, NULL);
	if (rc == 0 && p && p->nkeys)
		rc = out->id_is_manifest ? sig_by_policy_keys(ctx, p, sums, out) : (out->sig = MTK_SIG_UNSIGNED, 0);
	free(sums);
	free(dir);
	return rc;
}
