/* SPDX-License-Identifier: MIT */
/* Checking an audit log: every line parses, seq counts 1, 2, 3..., each
 * "prev" is the hash of the line before, the last line signs the head, and
 * the signer is trusted.  The first problem is named by line number. */
#include "mtkflash/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_priv.h"
#include "core/ctx.h"
#include "core/fileutil.h"

/* A log is a few hundred lines; this bounds what verification reads. */
#define LOG_MAX (64u << 20)

/* Lines are parsed when the check first looks at them: the chain stops at
 * the first bad line, and parsing every line of a log that breaks early
 * (JSON, and its allocations) was most of the time spent on it. */
struct line {
	const uint8_t *p;
	size_t len;
	bool torn;       /* no '\n' after it: the writer stopped mid-line */
	bool parsed;     /* j, why, seq, prev and event are set */
	json_t *j;       /* NULL when it is not a log line */
	const char *why; /* why it is not */
	json_int_t seq;
	const char *prev, *event;
};

struct log_view {
	struct line *l;
	size_t n;
	struct mtk_audit_hasher hasher;
};

const char *mtk_audit_problem_name(enum mtk_audit_problem p)
{
	static const char *const names[] = {
		[MTK_AUDIT_OK] = "ok",
		[MTK_AUDIT_ALTERED] = "altered",
		[MTK_AUDIT_REMOVED] = "removed",
		[MTK_AUDIT_REORDERED] = "reordered",
		[MTK_AUDIT_TRUNCATED] = "truncated",
		[MTK_AUDIT_APPENDED] = "appended",
		[MTK_AUDIT_BAD_SIG] = "bad-signature",
		[MTK_AUDIT_UNTRUSTED] = "untrusted-key",
		[MTK_AUDIT_UNSIGNED] = "unsigned",
	};
	return (size_t)p < sizeof names / sizeof *names && names[p] ? names[p] : "?";
}

static int verdict(struct mtk_audit_report *rep, enum mtk_audit_problem p, size_t line, const char *fmt, ...)
	MTK_PRINTF(4, 5);
static int verdict(struct mtk_audit_report *rep, enum mtk_audit_problem p, size_t line, const char *fmt, ...)
{
	rep->problem = p;
	rep->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->detail, sizeof rep->detail, fmt, ap);
	va_end(ap);
	return 0;
}

/* The reason the context holds; the verifier also runs without one (fuzzing). */
static const char *ctx_why(mtk_ctx *ctx)
{
	return ctx ? mtk_ctx_error(ctx) : "(no context)";
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* The chain fields every line must carry; why not, else NULL. */
static const char *read_chain_fields(struct line *ln)
{
	json_t *seq = json_object_get(ln->j, "seq");
	json_t *prev = json_object_get(ln->j, "prev");
	json_t *ev = json_object_get(ln->j, "event");
	if (!json_is_integer(seq) || json_integer_value(seq) < 1)
		return "no positive integer \"seq\"";
	if (!json_is_string(prev) || !is_hex64(json_string_value(prev)))
		return "no \"prev\" of 64 hex digits";
	if (!json_is_string(json_object_get(ln->j, "time")))
		return "no \"time\"";
	if (!json_is_string(ev))
		return "no \"event\"";
	ln->seq = json_integer_value(seq);
	ln->prev = json_string_value(prev);
	ln->event = json_string_value(ev);
	return NULL;
}

static void parse_line(struct line *ln)
{
	json_error_t err;
	ln->j = json_loadb((const char *)ln->p, ln->len, JSON_REJECT_DUPLICATES, &err);
	if (!ln->j) {
		ln->why = "not JSON";
		return;
	}
	ln->why = json_is_object(ln->j) ? read_chain_fields(ln) : "not a JSON object";
	if (ln->why) {
		json_decref(ln->j);
		ln->j = NULL;
	}
}

/* Line i, parsed. */
static const struct line *line_at(struct log_view *v, size_t i)
{
	struct line *ln = &v->l[i];
	if (!ln->parsed)
		parse_line(ln);
	ln->parsed = true;
	return ln;
}

static int split_lines(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct log_view *v)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	n += len && buf[len - 1] != '\n';
	v->n = 0;
	v->l = calloc(n ? n : 1, sizeof *v->l);
	if (!v->l)
		return mtk_fail(ctx, MTK_E_NOMEM, "audit log of %zu lines", n);
	for (size_t start = 0; start < len;) {
		const uint8_t *nl = memchr(buf + start, '\n', len - start);
		struct line *ln = &v->l[v->n++];
		ln->p = buf + start;
		ln->len = nl ? (size_t)(nl - ln->p) : len - start;
		ln->torn = !nl;
		start += ln->len + 1;
	}
	return 0;
}

static void free_view(struct log_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		json_decref(v->l[i].j);
	free(v->l);
	mtk_audit_hasher_free(&v->hasher);
}

/* The physical line (1-based) holding seq `want` after line `from`, or 0. */
static size_t find_seq(struct log_view *v, size_t from, json_int_t want)
{
	for (size_t i = from; i < v->n; i++)
		if (line_at(v, i)->j && v->l[i].seq == want)
			return i + 1;
	return 0;
}

static int seq_verdict(struct log_view *v, size_t i, json_int_t want, struct mtk_audit_report *rep)
{
	json_int_t got = v->l[i].seq;
	size_t at = got > want ? find_seq(v, i + 1, want) : 0;
	if (got > want && !at)
		return verdict(rep, MTK_AUDIT_REMOVED, i + 1, "line %zu: seq %lld follows seq %lld: %s removed",
		               i + 1, (long long)got, (long long)want - 1,
		               got - want == 1 ? "a line was" : "lines were");
	if (got > want)
		return verdict(rep, MTK_AUDIT_REORDERED, i + 1,
		               "line %zu: seq %lld where %lld was due (seq %lld is at line %zu): lines reordered", i + 1,
		               (long long)got, (long long)want, (long long)want, at);
	return verdict(rep, MTK_AUDIT_REORDERED, i + 1,
	               "line %zu: seq %lld after seq %lld: lines reordered or repeated", i + 1, (long long)got,
	               (long long)want - 1);
}

static int prev_verdict(size_t i, struct mtk_audit_report *rep)
{
	if (i == 0)
		return verdict(rep, MTK_AUDIT_ALTERED, 1,
		               "line 1: its prev is not the genesis hash: altered, or the lines before it removed");
	return verdict(rep, MTK_AUDIT_ALTERED, i,
	               "line %zu: altered (line %zu records another hash for it), or line %zu's prev altered", i,
	               i + 1, i + 1);
}

static bool is_terminal(const struct line *ln)
{
	return strcmp(ln->event, "signature") == 0 || strcmp(ln->event, "close") == 0;
}

static bool first_line_ok(const struct line *ln)
{
	json_t *fmt = json_object_get(ln->j, "format");
	return strcmp(ln->event, "open") == 0 && json_is_string(fmt) &&
	       strcmp(json_string_value(fmt), MTK_AUDIT_FORMAT) == 0;
}

/* The chain up to the signature/close line; *end = its index, or n. */
static int check_chain(mtk_ctx *ctx, struct log_view *v, struct mtk_audit_report *rep, size_t *end)
{
	char prev[65];
	if (!mtk_audit_hasher_hex(&v->hasher, MTK_AUDIT_GENESIS, strlen(MTK_AUDIT_GENESIS), prev))
		return mtk_fail(ctx, MTK_E_UNSUPPORTED, "SHA-256 failed");
	*end = v->n;
	for (size_t i = 0; i < v->n; i++) {
		if (v->l[i].torn)
			return verdict(rep, MTK_AUDIT_TRUNCATED, i + 1, "line %zu: cut off mid-line (no line end)", i + 1);
		const struct line *ln = line_at(v, i);
		if (!ln->j)
			return verdict(rep, MTK_AUDIT_ALTERED, i + 1, "line %zu: altered: %s", i + 1, ln->why);
		if (ln->seq != (json_int_t)i + 1)
			return seq_verdict(v, i, (json_int_t)i + 1, rep);
		if (strcmp(ln->prev, prev) != 0)
			return prev_verdict(i, rep);
		if (i == 0 && !first_line_ok(ln))
			return verdict(rep, MTK_AUDIT_ALTERED, 1, "line 1: not the open line of an %s log",
			               MTK_AUDIT_FORMAT);
		if (!mtk_audit_hasher_hex(&v->hasher, ln->p, ln->len, prev))
			return mtk_fail(ctx, MTK_E_UNSUPPORTED, "SHA-256 failed");
		snprintf(rep->head, sizeof rep->head, "%s", ln->prev);
		if (i > 0 && is_terminal(ln)) {
			*end = i;
			rep->events = i;
			break;
		}
	}
	if (*end == v->n)
		return verdict(rep, MTK_AUDIT_TRUNCATED, v->n,
		               "no signature line after line %zu: the log was cut short or never closed", v->n);
	if (*end + 1 < v->n)
		return verdict(rep, MTK_AUDIT_APPENDED, *end + 2, "line %zu: written after the log was closed",
		               *end + 2);
	return 0;
}

static const char *str_field(const struct line *ln, const char *key)
{
	json_t *s = json_object_get(ln->j, key);
	return json_is_string(s) ? json_string_value(s) : NULL;
}

/* head and events restate the chain: a signature must not cover another one. */
static bool restates_chain(const struct line *ln, size_t events)
{
	const char *head = str_field(ln, "head");
	json_t *ev = json_object_get(ln->j, "events");
	return head && strcmp(head, ln->prev) == 0 && json_is_integer(ev) &&
	       json_integer_value(ev) == (json_int_t)events;
}

struct sig_parts {
	struct mtk_minisign_pubkey pk;
	struct mtk_minisign_sig sig;
	char text[256];
};

static int read_sig(mtk_ctx *ctx, const struct line *ln, size_t events, struct sig_parts *s,
                    struct mtk_audit_report *rep)
{
	const char *pub = str_field(ln, "public_key"), *sig = str_field(ln, "minisig");
	const char *id = str_field(ln, "key_id");
	if (!pub || !sig || !id)
		return verdict(rep, MTK_AUDIT_BAD_SIG, rep->lines, "line %zu: the signature line lacks %s",
		               rep->lines, !pub ? "public_key" : !sig ? "minisig" : "key_id");
	if (mtk_minisign_pubkey_parse(ctx, "public_key", (const uint8_t *)pub, strlen(pub), &s->pk) < 0 ||
	    mtk_minisign_sig_parse(ctx, "minisig", (const uint8_t *)sig, strlen(sig), &s->sig) < 0)
		return verdict(rep, MTK_AUDIT_BAD_SIG, rep->lines, "line %zu: unreadable signature: %s", rep->lines,
		               ctx_why(ctx));
	mtk_minisign_key_id_hex(s->pk.key_id, rep->key_id);
	if (strcmp(id, rep->key_id) != 0)
		return verdict(rep, MTK_AUDIT_ALTERED, rep->lines, "line %zu: key_id %.16s is not the public key's %s",
		               rep->lines, id, rep->key_id);
	mtk_audit_signed_text(ln->prev, events, s->text, sizeof s->text);
	return 0;
}

static int check_signature(mtk_ctx *ctx, const struct line *ln, size_t events,
                           const struct mtk_minisign_pubkey *trusted, size_t ntrusted, struct mtk_audit_report *rep)
{
	struct sig_parts *s = calloc(1, sizeof *s);
	if (!s)
		return mtk_fail(ctx, MTK_E_NOMEM, "audit log signature");
	int rc = read_sig(ctx, ln, events, s, rep);
	const uint8_t *msg = (const uint8_t *)s->text;
	size_t len = strlen(s->text);
	if (rc == 0 && rep->problem == MTK_AUDIT_OK) {
		enum mtk_sig_state st = mtk_minisign_verify(ctx, &s->sig, &s->pk, 1, msg, len, NULL);
		rep->signature_ok = st == MTK_SIG_TRUSTED;
		if (!rep->signature_ok)
			verdict(rep, MTK_AUDIT_BAD_SIG, rep->lines, "line %zu: the signature does not verify with the "
			        "key the log names (%s): %s", rep->lines, rep->key_id, ctx_why(ctx));
	}
	if (rc == 0 && rep->problem == MTK_AUDIT_OK && ntrusted == 0)
		verdict(rep, MTK_AUDIT_UNTRUSTED, rep->lines,
		        "signed by key %s, but no trusted key was given to check it against", rep->key_id);
	if (rc == 0 && rep->problem == MTK_AUDIT_OK) {
		enum mtk_sig_state st = mtk_minisign_verify(ctx, &s->sig, trusted, ntrusted, msg, len, NULL);
		if (st == MTK_SIG_UNKNOWN_KEY)
			verdict(rep, MTK_AUDIT_UNTRUSTED, rep->lines, "signed by key %s, which is not a trusted key",
			        rep->key_id);
		else if (st != MTK_SIG_TRUSTED)
			verdict(rep, MTK_AUDIT_BAD_SIG, rep->lines,
			        "line %zu: the signature does not verify with the trusted key %s (replaced?): %s",
			        rep->lines, rep->key_id, ctx_why(ctx));
	}
	free(s);
	return rc;
}

static int check_end(mtk_ctx *ctx, const struct line *ln, size_t events, const struct mtk_minisign_pubkey *trusted,
                     size_t ntrusted, struct mtk_audit_report *rep)
{
	if (!restates_chain(ln, events))
		return verdict(rep, MTK_AUDIT_ALTERED, rep->lines,
		               "line %zu: its head/events do not restate the chain before it", rep->lines);
	if (strcmp(ln->event, "close") == 0)
		return verdict(rep, MTK_AUDIT_UNSIGNED, rep->lines, "line %zu: the log was closed without a signature",
		               rep->lines);
	return check_signature(ctx, ln, events, trusted, ntrusted, rep);
}

int mtk_audit_verify_buf(mtk_ctx *ctx, const uint8_t *buf, size_t len, const struct mtk_minisign_pubkey *trusted,
                         size_t ntrusted, struct mtk_audit_report *rep)
{
	memset(rep, 0, sizeof *rep);
	if (len == 0)
		return verdict(rep, MTK_AUDIT_TRUNCATED, 0, "the log is empty");
	struct log_view v = { 0 };
	int rc = mtk_audit_hasher_init(&v.hasher) ? split_lines(ctx, buf, len, &v)
	                                          : mtk_fail(ctx, MTK_E_UNSUPPORTED, "SHA-256 unavailable");
	rep->lines = v.n;
	size_t end = 0;
	if (rc == 0)
		rc = check_chain(ctx, &v, rep, &end);
	if (rc == 0 && rep->problem == MTK_AUDIT_OK)
		rc = check_end(ctx, &v.l[end], end, trusted, ntrusted, rep);
	free_view(&v);
	return rc;
}

int mtk_audit_verify(mtk_ctx *ctx, const char *path, const struct mtk_minisign_pubkey *trusted, size_t ntrusted,
                     struct mtk_audit_report *rep)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = mtk_read_small_file(ctx, path, LOG_MAX, &buf, &len, NULL);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "audit log");
	rc = mtk_audit_verify_buf(ctx, buf, len, trusted, ntrusted, rep);
	free(buf);
	return rc;
}
