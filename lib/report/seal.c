/* SPDX-License-Identifier: MIT */
/* The report's seal: claims and a station signature in PDF comment lines
 * after %%EOF (the layout is in include/mtkflash/report.h).  Comments keep
 * the PDF a PDF for every reader, and a verifier finds the block without
 * parsing PDF objects. */
#include "mtkflash/report.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "mtkflash/util.h"

#define SIG_MARK "%signature"
/* Readers look for startxref in the file's last kilobyte: a log path that
 * would push the block past that is left out (report verify then needs --log). */
#define PATH_KEPT_MAX 300

static bool sha256_hex(const uint8_t *buf, size_t len, char out[65])
{
	uint8_t md[32];
	if (!EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL))
		return false;
	mtk_hex_encode(out, md, 32);
	return true;
}

/* Bytes outside printable ASCII, and '%' itself, as %XX: the path stays one
 * comment line whatever a file name holds. */
static void escape_path(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < cap; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '%')
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
	}
	out[o] = '\0';
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool unescape_path(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (o + 1 >= cap)
			return false;
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		int hi = i + 2 < len ? hexval(in[i + 1]) : -1, lo = hi >= 0 ? hexval(in[i + 2]) : -1;
		if (lo < 0 || (hi == 0 && lo == 0))
			return false;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return true;
}

/* The claims, up to and including "%signature\n". */
static char *claims_text(const uint8_t *pdf, size_t len, const struct mtk_report *rep)
{
	char sha[65], path[PATH_KEPT_MAX * 3 + 1] = "";
	if (!sha256_hex(pdf, len, sha))
		return NULL;
	escape_path(rep->log_path, path, sizeof path);
	if (strlen(path) > PATH_KEPT_MAX)
		path[0] = '\0';
	size_t cap = sizeof path + 512;
	char *t = malloc(cap);
	if (t)
		snprintf(t, cap, "%s%%pdf-sha256 %s\n%%log-head %s\n%%log-key %s\n%%log %s\n%s\n", MTK_REPORT_SEAL_MAGIC,
			 sha, rep->head, rep->key_id, path, SIG_MARK);
	return t;
}

/* Every line of the minisign text as a comment line. */
static size_t commented(const char *sig, char *out)
{
	size_t o = 0;
	bool at_start = true;
	for (const char *p = sig; *p; p++) {
		if (at_start)
			out[o++] = '%';
		out[o++] = *p;
		at_start = *p == '\n';
	}
	return o;
}

int mtk_report_seal(mtk_ctx *ctx, const uint8_t *pdf, size_t len, const struct mtk_report *rep,
		    const struct mtk_minisign_seckey *sk, uint8_t **out, size_t *outlen)
{
	char *claims = claims_text(pdf, len, rep);
	if (!claims)
		return mtk_fail(ctx, MTK_E_NOMEM, "report seal: no memory");
	size_t clen = strlen(claims);
	uint8_t *buf = malloc(len + clen);
	char *sig = NULL;
	int rc = buf ? 0 : mtk_fail(ctx, MTK_E_NOMEM, "report seal: no memory");
	if (rc == 0) {
		memcpy(buf, pdf, len);
		memcpy(buf + len, claims, clen);
		char comment[128];
		snprintf(comment, sizeof comment, "mtkflash report pdf-sha256:%.64s", claims + strlen(MTK_REPORT_SEAL_MAGIC) + 12);
		rc = mtk_minisign_sign(ctx, sk, buf, len + clen, comment, &sig);
	}
	uint8_t *whole = rc == 0 ? realloc(buf, len + clen + 2 * strlen(sig) + 8) : NULL;
	if (rc == 0 && !whole)
		rc = mtk_fail(ctx, MTK_E_NOMEM, "report seal: no memory");
	if (rc == 0) {
		buf = whole;
		*outlen = len + clen + commented(sig, (char *)buf + len + clen);
		*out = buf;
		buf = NULL;
	}
	free(buf);
	free(sig);
	free(claims);
	return rc;
}

int mtk_report_minisig(mtk_ctx *ctx, const uint8_t *buf, size_t len, const struct mtk_minisign_seckey *sk,
		       const char *name, char **out)
{
	char sha[65], comment[256], safe[96];
	if (!sha256_hex(buf, len, sha))
		return mtk_fail(ctx, MTK_E_NOMEM, "report signature: SHA-256 failed");
	escape_path(name, safe, sizeof safe);
	snprintf(comment, sizeof comment, "file:%s\tsha256:%s", safe, sha);
	return mtk_minisign_sign(ctx, sk, buf, len, comment, out);
}

/* ------------------------------------------------------------ reading */

struct cursor {
	const char *p, *end;
	size_t line; /* of the block, 1 = the magic */
};

/* The next line's text (without '\n') after the expected "%key " prefix. */
static int take(mtk_ctx *ctx, struct cursor *c, const char *key, const char **val, size_t *vlen)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	size_t klen = strlen(key);
	c->line++;
	if (!nl || (size_t)(nl - c->p) < klen || memcmp(c->p, key, klen) != 0)
		return mtk_fail(ctx, MTK_E_PARSE, "report seal, line %zu: expected \"%s\"", c->line, key);
	*val = c->p + klen;
	*vlen = (size_t)(nl - *val);
	c->p = nl + 1;
	return 0;
}

static int take_hex(mtk_ctx *ctx, struct cursor *c, const char *key, char *out, size_t digits)
{
	const char *v = NULL;
	size_t n = 0;
	int rc = take(ctx, c, key, &v, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (hexval(v[i]) < 0)
			n = 0;
	if (n != digits)
		return mtk_fail(ctx, MTK_E_PARSE, "report seal, line %zu: \"%s\" needs %zu hex digits", c->line, key,
				digits);
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/* The signature lines without their '%'. */
static int read_sig(mtk_ctx *ctx, struct cursor *c, struct mtk_minisign_sig *sig)
{
	size_t left = (size_t)(c->end - c->p);
	char *text = malloc(left + 1);
	if (!text)
		return mtk_fail(ctx, MTK_E_NOMEM, "report seal: no memory");
	size_t o = 0;
	bool at_start = true;
	int rc = 0;
	for (const char *p = c->p; p < c->end && rc == 0; p++) {
		if (at_start && *p != '%')
			rc = mtk_fail(ctx, MTK_E_PARSE, "report seal: a signature line does not start with %%");
		else if (!at_start)
			text[o++] = *p;
		at_start = *p == '\n';
	}
	if (rc == 0)
		rc = mtk_minisign_sig_parse(ctx, "report seal", (const uint8_t *)text, o, sig);
	free(text);
	return rc;
}

/* The last magic in the file: one written after ours (a re-seal) wins, and
 * nothing a PDF object holds can look like it at a line start before it. */
static const uint8_t *find_magic(const uint8_t *buf, size_t len)
{
	size_t mlen = strlen(MTK_REPORT_SEAL_MAGIC);
	for (size_t at = len >= mlen ? len - mlen + 1 : 0; at-- > 0;)
		if ((at == 0 || buf[at - 1] == '\n') && memcmp(buf + at, MTK_REPORT_SEAL_MAGIC, mlen) == 0)
			return buf + at;
	return NULL;
}

int mtk_report_parse_seal(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_report_seal *seal)
{
	memset(seal, 0, sizeof *seal);
	const uint8_t *m = find_magic(buf, len);
	if (!m)
		return mtk_fail(ctx, MTK_E_PARSE, "no report seal (no \"%%mtkflash-report-seal v1\" line): not a "
				"signed mtkflash report");
	struct cursor c = { (const char *)m, (const char *)buf + len, 0 };
	const char *v = NULL;
	size_t n = 0;
	seal->pdf_len = (size_t)(m - buf);
	int rc = take(ctx, &c, "%mtkflash-report-seal v1", &v, &n);
	if (rc == 0)
		rc = take_hex(ctx, &c, "%pdf-sha256 ", seal->pdf_sha256, 64);
	if (rc == 0)
		rc = take_hex(ctx, &c, "%log-head ", seal->log_head, 64);
	if (rc == 0)
		rc = take_hex(ctx, &c, "%log-key ", seal->log_key, 16);
	if (rc == 0 && (rc = take(ctx, &c, "%log ", &v, &n)) == 0 &&
	    !unescape_path(v, n, seal->log_path, sizeof seal->log_path))
		rc = mtk_fail(ctx, MTK_E_PARSE, "report seal, line %zu: a malformed log path", c.line);
	if (rc == 0 && (rc = take(ctx, &c, SIG_MARK, &v, &n)) == 0 && n)
		rc = mtk_fail(ctx, MTK_E_PARSE, "report seal, line %zu: expected \"%s\"", c.line, SIG_MARK);
	if (rc < 0)
		return rc;
	seal->signed_len = (size_t)((const uint8_t *)c.p - buf);
	return read_sig(ctx, &c, &seal->sig);
}

const char *mtk_report_verdict_name(enum mtk_report_verdict v)
{
	static const char *const names[] = {
		[MTK_REPORT_OK] = "ok",
		[MTK_REPORT_NO_SEAL] = "no-seal",
		[MTK_REPORT_ALTERED] = "altered",
		[MTK_REPORT_BAD_SIG] = "bad-signature",
		[MTK_REPORT_UNTRUSTED] = "untrusted-key",
	};
	return (size_t)v < sizeof names / sizeof *names && names[v] ? names[v] : "?";
}

/* The context's message, then cleared: a verdict is no error.  Without a
 * context (the fuzzer) there is none to give. */
static const char *take_error(mtk_ctx *ctx, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", ctx ? mtk_ctx_error(ctx) : "no context");
	if (ctx)
		mtk_ctx_clear_error(ctx);
	return buf;
}

static int say(enum mtk_report_verdict *v, enum mtk_report_verdict what, char *detail, size_t cap, const char *text)
{
	*v = what;
	snprintf(detail, cap, "%s", text);
	return 0;
}

/* The PDF's hash first (a changed drawing is "altered", the likeliest
 * tampering, said plainly), then the signature over PDF and claims: a hash
 * or claim rewritten to match fails there. */
int mtk_report_check_seal(mtk_ctx *ctx, const uint8_t *buf, size_t len, const struct mtk_minisign_pubkey *trusted,
			  size_t ntrusted, struct mtk_report_seal *seal, enum mtk_report_verdict *v, char *detail,
			  size_t cap)
{
	char sha[65], msg[320], why[256];
	if (mtk_report_parse_seal(ctx, buf, len, seal) < 0)
		return say(v, MTK_REPORT_NO_SEAL, detail, cap, take_error(ctx, why, sizeof why));
	if (!sha256_hex(buf, seal->pdf_len, sha))
		return mtk_fail(ctx, MTK_E_NOMEM, "report: SHA-256 failed");
	if (strcmp(sha, seal->pdf_sha256) != 0) {
		snprintf(msg, sizeof msg, "the PDF was changed after it was signed: its SHA-256 is %.16s..., the seal "
			 "says %.16s...", sha, seal->pdf_sha256);
		return say(v, MTK_REPORT_ALTERED, detail, cap, msg);
	}
	size_t which = 0;
	enum mtk_sig_state st = mtk_minisign_verify(ctx, &seal->sig, trusted, ntrusted, buf, seal->signed_len, &which);
	if (st == MTK_SIG_BAD) {
		snprintf(msg, sizeof msg, "the seal's signature does not verify (%s)", take_error(ctx, why, sizeof why));
		return say(v, MTK_REPORT_BAD_SIG, detail, cap, msg);
	}
	char id[17];
	mtk_minisign_key_id_hex(seal->sig.key_id, id);
	if (st != MTK_SIG_TRUSTED) {
		snprintf(msg, sizeof msg, "signed by key %s, which is not trusted", id);
		take_error(ctx, why, sizeof why);
		return say(v, MTK_REPORT_UNTRUSTED, detail, cap, msg);
	}
	snprintf(msg, sizeof msg, "signed by trusted key %s; PDF SHA-256 %s", id, sha);
	return say(v, MTK_REPORT_OK, detail, cap, msg);
}
