/* SPDX-License-Identifier: MIT */
/* minisign-compatible Ed25519 keys and detached signatures.
 *
 * Public keys and signatures use minisign's text formats, so a package
 * signed here verifies with `minisign -V` and one signed by minisign
 * verifies here.  We create prehashed ("ED") signatures, as minisign does by
 * default since 0.8, and accept the legacy "Ed" ones too.  The secret key is
 * our own unencrypted format (docs/signing.md): minisign's needs scrypt and a
 * BLAKE2b-256 checksum, and OpenSSL 3.0 offers no unkeyed BLAKE2b-256. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/manifest.h"

#define UNTRUSTED_PREFIX      "untrusted comment: "
#define TRUSTED_PREFIX        "trusted comment: "
#define PUBKEY_BYTES          (2 + 8 + 32)
#define SIG_BYTES             (2 + 8 + 64)
#define SECKEY_BYTES          (2 + 2 + 8 + 32 + 32 + 32)
#define MINISIGN_SECKEY_BYTES (2 + 2 + 2 + 32 + 8 + 8 + 104)

/* Strict standard base64 with padding: returns the decoded length, or -1.
 * OpenSSL decodes; the strictness (no whitespace, '=' only as the last one
 * or two characters) is ours, since EVP_DecodeBlock forgives both. */
static long b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n % 4 || n > 4096)
		return -1;
	size_t pad = n && s[n - 1] == '=' ? (n > 1 && s[n - 2] == '=' ? 2 : 1) : 0;
	for (size_t i = 0; i < n - pad; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/'))
			return -1;
	uint8_t tmp[3 * 4096 / 4];
	int got = n ? EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n) : 0;
	if (got < 0 || (size_t)got < pad || (size_t)got - pad > cap)
		return -1;
	memcpy(out, tmp, (size_t)got - pad);
	return (long)((size_t)got - pad);
}

static char *b64_encode(const uint8_t *in, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

void mtk_minisign_key_id_hex(const uint8_t key_id[8], char out[17])
{
	snprintf(out, 17, "%016llX", (unsigned long long)mtk_get_u64le(key_id));
}

/* Up to `max` lines of a text buffer, without their CR/LF. */
struct lines {
	const char *p[4];
	size_t n[4];
	size_t count;
};

static void split_lines(const uint8_t *buf, size_t len, struct lines *l)
{
	memset(l, 0, sizeof *l);
	size_t pos = 0;
	while (pos < len && l->count < 4) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		l->p[l->count] = (const char *)buf + pos;
		l->n[l->count] = n > 0 && buf[pos + n - 1] == '\r' ? n - 1 : n;
		l->count++;
		pos += n + (nl != NULL);
	}
}

static bool starts_with(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(p, prefix, k) == 0;
}

static int check_comment_line(mtk_ctx *ctx, const char *fname, const struct lines *l, size_t i,
                              const char *prefix)
{
	if (l->count <= i || !starts_with(l->p[i], l->n[i], prefix))
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: expected a line starting with '%s'", fname,
		                i + 1, prefix);
	if (l->n[i] - strlen(prefix) > MTK_MINISIGN_COMMENT_MAX)
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: comment longer than %d characters", fname,
		                i + 1, MTK_MINISIGN_COMMENT_MAX);
	if (memchr(l->p[i], '\0', l->n[i]))
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: NUL byte in the comment", fname, i + 1);
	return 0;
}

static int decode_line(mtk_ctx *ctx, const char *fname, const struct lines *l, size_t i, uint8_t *out,
                       size_t want, const char *what)
{
	if (l->count <= i || l->n[i] == 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: missing the base64 %s", fname, i + 1, what);
	uint8_t tmp[MINISIGN_SECKEY_BYTES + 8];
	if (l->n[i] / 4 * 3 > sizeof tmp)
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: the %s is far too long (%zu characters)",
		                fname, i + 1, what, l->n[i]);
	long got = b64_decode(l->p[i], l->n[i], tmp, sizeof tmp);
	if (got < 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: the %s is not valid base64", fname, i + 1,
		                what);
	if ((size_t)got != want)
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %zu: the %s is %ld bytes, expected %zu", fname,
		                i + 1, what, got, want);
	memcpy(out, tmp, want);
	return 0;
}

int mtk_minisign_pubkey_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
                              struct mtk_minisign_pubkey *out)
{
	struct lines l;
	split_lines(buf, len, &l);
	/* `minisign -P` takes the bare base64 line; accept a file holding just that. */
	size_t keyline = 1;
	if (l.count > 0 && !starts_with(l.p[0], l.n[0], UNTRUSTED_PREFIX))
		keyline = 0;
	else if (check_comment_line(ctx, fname, &l, 0, UNTRUSTED_PREFIX) < 0)
		return MTK_E_PARSE;
	uint8_t raw[PUBKEY_BYTES];
	int rc = decode_line(ctx, fname, &l, keyline, raw, sizeof raw, "public key");
	if (rc < 0)
		return rc;
	if (memcmp(raw, "Ed", 2) != 0)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "%s line %zu: key algorithm '%c%c', expected 'Ed' (Ed25519)", fname,
		                keyline + 1, raw[0], raw[1]);
	memcpy(out->key_id, raw + 2, 8);
	memcpy(out->pk, raw + 10, 32);
	return 0;
}

static int derive_public(mtk_ctx *ctx, const uint8_t seed[32], uint8_t pk[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	size_t n = 32;
	int ok = k && EVP_PKEY_get_raw_public_key(k, pk, &n) == 1 && n == 32;
	EVP_PKEY_free(k);
	return ok ? 0 : mtk_fail(ctx, MTK_E_UNSUPPORTED, "OpenSSL could not load an Ed25519 key");
}

static void sha256(const uint8_t *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 32;
	EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
}

int mtk_minisign_seckey_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
                              struct mtk_minisign_seckey *out)
{
	struct lines l;
	split_lines(buf, len, &l);
	if (check_comment_line(ctx, fname, &l, 0, UNTRUSTED_PREFIX) < 0)
		return MTK_E_PARSE;
	if (l.count > 1) {
		uint8_t probe[MINISIGN_SECKEY_BYTES];
		if (b64_decode(l.p[1], l.n[1], probe, sizeof probe) == MINISIGN_SECKEY_BYTES)
			return mtk_fail(
			        ctx, MTK_E_PARSE,
			        "%s: this is a minisign secret key; mtkflash signs with its own key format "
			        "(create one with 'mtkflash keygen', see docs/signing.md)",
			        fname);
	}
	uint8_t raw[SECKEY_BYTES];
	int rc = decode_line(ctx, fname, &l, 1, raw, sizeof raw, "secret key");
	if (rc < 0)
		return rc;
	if (memcmp(raw, "EdM1", 4) != 0)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "%s line 2: not an mtkflash Ed25519 secret key (format tag)", fname);
	uint8_t sum[32];
	sha256(raw, SECKEY_BYTES - 32, sum);
	if (memcmp(sum, raw + SECKEY_BYTES - 32, 32) != 0)
		return mtk_fail(ctx, MTK_E_VERIFY, "%s line 2: secret key checksum mismatch (file damaged)",
		                fname);
	memcpy(out->key_id, raw + 4, 8);
	memcpy(out->seed, raw + 12, 32);
	memcpy(out->pk, raw + 44, 32);
	uint8_t pk[32];
	rc = derive_public(ctx, out->seed, pk);
	if (rc < 0)
		return rc;
	if (memcmp(pk, out->pk, 32) != 0)
		return mtk_fail(ctx, MTK_E_VERIFY, "%s line 2: public half does not belong to the secret key",
		                fname);
	return 0;
}

int mtk_minisign_sig_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
                           struct mtk_minisign_sig *out)
{
	struct lines l;
	split_lines(buf, len, &l);
	if (check_comment_line(ctx, fname, &l, 0, UNTRUSTED_PREFIX) < 0)
		return MTK_E_PARSE;
	uint8_t raw[SIG_BYTES];
	int rc = decode_line(ctx, fname, &l, 1, raw, sizeof raw, "signature");
	if (rc < 0)
		return rc;
	if (memcmp(raw, "Ed", 2) != 0 && memcmp(raw, "ED", 2) != 0)
		return mtk_fail(ctx, MTK_E_PARSE,
		                "%s line 2: signature algorithm '%c%c', expected 'Ed' or 'ED'", fname, raw[0],
		                raw[1]);
	if (check_comment_line(ctx, fname, &l, 2, TRUSTED_PREFIX) < 0)
		return MTK_E_PARSE;
	size_t tlen = l.n[2] - strlen(TRUSTED_PREFIX);
	memcpy(out->trusted_comment, l.p[2] + strlen(TRUSTED_PREFIX), tlen);
	out->trusted_comment[tlen] = '\0';
	rc = decode_line(ctx, fname, &l, 3, out->global_sig, sizeof out->global_sig, "global signature");
	if (rc < 0)
		return rc;
	memcpy(out->alg, raw, 2);
	out->alg[2] = '\0';
	memcpy(out->key_id, raw + 2, 8);
	memcpy(out->sig, raw + 10, 64);
	return 0;
}

static bool blake2b512(const uint8_t *msg, size_t len, uint8_t out[64])
{
	unsigned int n = 64;
	return EVP_Digest(msg, len, out, &n, EVP_blake2b512(), NULL) == 1 && n == 64;
}

/* 1 = good, 0 = bad signature, <0 = OpenSSL could not even try. */
static int ed25519_verify(const uint8_t pk[32], const uint8_t sig[64], const uint8_t *msg, size_t len)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;
	if (k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1)
		rc = EVP_DigestVerify(md, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return rc;
}

static int ed25519_sign(const uint8_t seed[32], const uint8_t *msg, size_t len, uint8_t sig[64])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 64;
	int ok = k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
	         EVP_DigestSign(md, sig, &n, msg, len) == 1 && n == 64;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

static enum mtk_sig_state verify_with(mtk_ctx *ctx, const struct mtk_minisign_sig *sig, const uint8_t pk[32],
                                      const uint8_t *msg, size_t len)
{
	uint8_t digest[64];
	const uint8_t *signed_msg = msg;
	size_t signed_len = len;
	if (strcmp(sig->alg, "ED") == 0) {
		if (!blake2b512(msg, len, digest)) {
			mtk_fail(ctx, MTK_E_UNSUPPORTED, "OpenSSL has no BLAKE2b-512");
			return MTK_SIG_BAD;
		}
		signed_msg = digest;
		signed_len = sizeof digest;
	}
	if (ed25519_verify(pk, sig->sig, signed_msg, signed_len) != 1) {
		mtk_fail(ctx, MTK_E_VERIFY, "signature does not match the signed file (file altered?)");
		return MTK_SIG_BAD;
	}
	size_t tlen = strlen(sig->trusted_comment);
	uint8_t global[64 + MTK_MINISIGN_COMMENT_MAX];
	memcpy(global, sig->sig, 64);
	memcpy(global + 64, sig->trusted_comment, tlen);
	if (ed25519_verify(pk, sig->global_sig, global, 64 + tlen) != 1) {
		mtk_fail(ctx, MTK_E_VERIFY, "global signature does not match (trusted comment altered)");
		return MTK_SIG_BAD;
	}
	return MTK_SIG_TRUSTED;
}

enum mtk_sig_state mtk_minisign_verify(mtk_ctx *ctx, const struct mtk_minisign_sig *sig,
                                       const struct mtk_minisign_pubkey *keys, size_t nkeys,
                                       const uint8_t *msg, size_t len, size_t *which)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (memcmp(keys[i].key_id, sig->key_id, 8) != 0)
			continue;
		if (which)
			*which = i;
		return verify_with(ctx, sig, keys[i].pk, msg, len);
	}
	char hex[17];
	mtk_minisign_key_id_hex(sig->key_id, hex);
	mtk_fail(ctx, MTK_E_VERIFY, "signed by key %s, which is not in the trust set", hex);
	return MTK_SIG_UNKNOWN_KEY;
}

int mtk_minisign_keygen(mtk_ctx *ctx, struct mtk_minisign_seckey *sk, struct mtk_minisign_pubkey *pk)
{
	if (RAND_bytes(sk->seed, 32) != 1 || RAND_bytes(sk->key_id, 8) != 1)
		return mtk_fail(ctx, MTK_E_UNSUPPORTED, "no random numbers from OpenSSL");
	int rc = derive_public(ctx, sk->seed, sk->pk);
	if (rc < 0)
		return rc;
	memcpy(pk->key_id, sk->key_id, 8);
	memcpy(pk->pk, sk->pk, 32);
	return 0;
}

static char *key_file_text(const char *comment, const uint8_t *raw, size_t n)
{
	char *b64 = b64_encode(raw, n);
	if (!b64)
		return NULL;
	size_t len = strlen(UNTRUSTED_PREFIX) + strlen(comment) + strlen(b64) + 3;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "%s%s\n%s\n", UNTRUSTED_PREFIX, comment, b64);
	free(b64);
	return out;
}

/* Comments are single lines of bounded length, or the file would not parse back. */
static bool comment_ok(const char *c)
{
	return strlen(c) <= MTK_MINISIGN_COMMENT_MAX && !strpbrk(c, "\r\n");
}

/* The caller's comment, or by default "<head><key id><tail>" (made in buf);
 * NULL when the comment would not parse back. */
static const char *key_comment(const char *given, const char *head, const uint8_t key_id[8], const char *tail,
                               char *buf, size_t cap)
{
	char hex[17];
	mtk_minisign_key_id_hex(key_id, hex);
	snprintf(buf, cap, "%s%s%s", head, hex, tail);
	const char *c = given ? given : buf;
	return comment_ok(c) ? c : NULL;
}

char *mtk_minisign_pubkey_format(const struct mtk_minisign_pubkey *pk, const char *untrusted_comment)
{
	char deflt[64];
	const char *c =
	        key_comment(untrusted_comment, "minisign public key ", pk->key_id, "", deflt, sizeof deflt);
	if (!c)
		return NULL;
	uint8_t raw[PUBKEY_BYTES];
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, pk->key_id, 8);
	memcpy(raw + 10, pk->pk, 32);
	return key_file_text(c, raw, sizeof raw);
}

char *mtk_minisign_seckey_format(const struct mtk_minisign_seckey *sk, const char *untrusted_comment)
{
	char deflt[96];
	const char *c = key_comment(untrusted_comment, "mtkflash secret key ", sk->key_id,
	                            " (unencrypted, keep private)", deflt, sizeof deflt);
	if (!c)
		return NULL;
	uint8_t raw[SECKEY_BYTES];
	memcpy(raw, "EdM1", 4);
	memcpy(raw + 4, sk->key_id, 8);
	memcpy(raw + 12, sk->seed, 32);
	memcpy(raw + 44, sk->pk, 32);
	sha256(raw, SECKEY_BYTES - 32, raw + SECKEY_BYTES - 32);
	char *out = key_file_text(c, raw, sizeof raw);
	OPENSSL_cleanse(raw, sizeof raw);
	return out;
}

static char *sig_file_text(const struct mtk_minisign_sig *s)
{
	uint8_t raw[SIG_BYTES];
	memcpy(raw, s->alg, 2);
	memcpy(raw + 2, s->key_id, 8);
	memcpy(raw + 10, s->sig, 64);
	char *b1 = b64_encode(raw, sizeof raw);
	char *b2 = b64_encode(s->global_sig, 64);
	char hex[17];
	mtk_minisign_key_id_hex(s->key_id, hex);
	size_t len = 128 + strlen(s->trusted_comment) + (b1 ? strlen(b1) : 0) + (b2 ? strlen(b2) : 0);
	char *out = b1 && b2 ? malloc(len) : NULL;
	if (out)
		snprintf(out, len, "%ssignature from mtkflash secret key %s\n%s\n%s%s\n%s\n",
		         UNTRUSTED_PREFIX, hex, b1, TRUSTED_PREFIX, s->trusted_comment, b2);
	free(b1);
	free(b2);
	return out;
}

int mtk_minisign_sign(mtk_ctx *ctx, const struct mtk_minisign_seckey *sk, const uint8_t *msg, size_t len,
                      const char *trusted_comment, char **out)
{
	if (!comment_ok(trusted_comment))
		return mtk_fail(ctx, MTK_E_INVAL, "trusted comment must be one line of at most %d characters",
		                MTK_MINISIGN_COMMENT_MAX);
	struct mtk_minisign_sig *s = calloc(1, sizeof *s);
	if (!s)
		return mtk_fail(ctx, MTK_E_NOMEM, "signature");
	memcpy(s->alg, "ED", 3);
	memcpy(s->key_id, sk->key_id, 8);
	snprintf(s->trusted_comment, sizeof s->trusted_comment, "%s", trusted_comment);
	uint8_t digest[64];
	uint8_t global[64 + MTK_MINISIGN_COMMENT_MAX];
	size_t tlen = strlen(s->trusted_comment);
	int rc = 0;
	if (!blake2b512(msg, len, digest) || ed25519_sign(sk->seed, digest, sizeof digest, s->sig) < 0) {
		rc = mtk_fail(ctx, MTK_E_UNSUPPORTED,
		              "OpenSSL could not make an Ed25519/BLAKE2b-512 signature");
	} else {
		memcpy(global, s->sig, 64);
		memcpy(global + 64, s->trusted_comment, tlen);
		if (ed25519_sign(sk->seed, global, 64 + tlen, s->global_sig) < 0)
			rc = mtk_fail(ctx, MTK_E_UNSUPPORTED, "OpenSSL could not make the global signature");
	}
	if (rc == 0) {
		*out = sig_file_text(s);
		if (!*out)
			rc = mtk_fail(ctx, MTK_E_NOMEM, "signature text");
	}
	free(s);
	return rc;
}
