/* SPDX-License-Identifier: MIT */
/* Verification policy files: the parser and the default policy
 * (include/mtkflash/policy.h, docs/policy.md).  jansson does the JSON; this
 * file checks every value against what the rule accepts and names the JSON
 * path of the first one that is wrong. */
#include "mtkflash/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/da.h"
#include "mtkflash/session.h"
#include "mtkflash/util.h"
#include "policy_priv.h"

static const char *const role_names[] = { "operator", "engineer" };

const char *mtk_role_name(enum mtk_role r)
{
	return (unsigned)r < 2 ? role_names[r] : "?";
}

/* "FILE: $.path: message", as MTK_E_PARSE. */
int policy_fail(mtk_ctx *ctx, const char *fname, const char *path, const char *fmt, ...)
{
	char msg[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return mtk_fail(ctx, MTK_E_PARSE, "%s: %s: %s", fname, path, msg);
}

/* ------------------------------------------------------------- values */

struct pctx {
	mtk_ctx *ctx;
	const char *fname;
	char path[96];
};

static int want_bool(struct pctx *c, json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return policy_fail(c->ctx, c->fname, c->path, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* Index of v's string in names (n entries), or a failure listing them. */
static int want_word(struct pctx *c, json_t *v, const char *const *names, size_t n, const char *what)
{
	if (json_is_string(v))
		for (size_t i = 0; i < n; i++)
			if (strcmp(json_string_value(v), names[i]) == 0)
				return (int)i;
	char list[160] = "";
	for (size_t i = 0, at = 0; i < n && at < sizeof list; i++)
		at += (size_t)snprintf(list + at, sizeof list - at, "%s\"%s\"", i ? ", " : "", names[i]);
	return policy_fail(c->ctx, c->fname, c->path, "expected %s: one of %s", what, list);
}

/* An array, each element passed to fn with the path set to "$.key[i]". */
typedef int (*elem_fn)(struct pctx *c, json_t *v, size_t i, void *out);

static int each_elem(struct pctx *c, json_t *v, size_t max, elem_fn fn, void *out)
{
	if (!json_is_array(v))
		return policy_fail(c->ctx, c->fname, c->path, "expected an array");
	if (json_array_size(v) > max)
		return policy_fail(c->ctx, c->fname, c->path, "more than %zu entries", max);
	char base[sizeof c->path];
	memcpy(base, c->path, sizeof base);
	for (size_t i = 0; i < json_array_size(v); i++) {
		snprintf(c->path, sizeof c->path, "%.70s[%u]", base, (unsigned)i); /* i <= 256 */
		int rc = fn(c, json_array_get(v, i), i, out);
		if (rc < 0)
			return rc;
	}
	memcpy(c->path, base, sizeof base);
	return 0;
}

static int word_bit(struct pctx *c, json_t *v, size_t i, void *out, const char *const *names, size_t n,
		    const char *what)
{
	(void)i;
	int w = want_word(c, v, names, n, what);
	if (w >= 0)
		*(unsigned *)out |= 1u << w;
	return w < 0 ? w : 0;
}

static const char *const mode_words[] = { "safe", "quick", "service" };
static const char *const scene_words[] = { "download", "upgrade", "format-all" };
static const char *const level_words[] = { "low", "medium", "high" };
static const char *const after_words[] = { "stay", "reboot", "poweroff" };
static const char *const check_words[] = { "none", "usb", "storage", "all" };

static int mode_elem(struct pctx *c, json_t *v, size_t i, void *out)
{
	return word_bit(c, v, i, out, mode_words, 3, "a mode");
}

static int scene_elem(struct pctx *c, json_t *v, size_t i, void *out)
{
	return word_bit(c, v, i, out, scene_words, 3, "a scene");
}

static int name_elem(struct pctx *c, json_t *v, size_t i, void *out)
{
	struct mtk_policy_names *l = out;
	const char *s = json_string_value(v);
	if (!s)
		return policy_fail(c->ctx, c->fname, c->path, "expected a name (a string)");
	if (strlen(s) >= MTK_POLICY_NAME_MAX)
		return policy_fail(c->ctx, c->fname, c->path, "longer than %d bytes", MTK_POLICY_NAME_MAX - 1);
	const char *why = mtk_name_problem(s, MTK_NAME_FILE);
	if (why)
		return policy_fail(c->ctx, c->fname, c->path, "not a usable name: %s", why);
	memcpy(l->name[i], s, strlen(s) + 1);
	l->count = i + 1;
	return 0;
}

static int factor_elem(struct pctx *c, json_t *v, size_t i, void *out)
{
	int rc = name_elem(c, v, i, out);
	if (rc < 0)
		return rc;
	const struct mtk_risk_factor *f = mtk_risk_factor_by_name(json_string_value(v));
	if (!f)
		return policy_fail(c->ctx, c->fname, c->path, "\"%s\" is no risk factor (docs/verified-mode.md lists them)",
				   json_string_value(v));
	if (f->flags & MTK_RISK_HARD)
		return policy_fail(c->ctx, c->fname, c->path, "%s can never be overridden", f->name);
	return 0;
}

/* A key list being filled: the policy's trusted_keys or the station's policy_keys. */
struct key_list {
	struct mtk_minisign_pubkey *keys;
	size_t *n;
};

static int key_elem(struct pctx *c, json_t *v, size_t i, void *out)
{
	struct key_list *l = out;
	const char *s = json_string_value(v);
	if (!s)
		return policy_fail(c->ctx, c->fname, c->path, "expected a minisign public key (a string)");
	char label[160];
	snprintf(label, sizeof label, "%s: %s", c->fname, c->path);
	int rc = mtk_minisign_pubkey_parse(c->ctx, label, (const uint8_t *)s, strlen(s), &l->keys[i]);
	if (rc == 0)
		*l->n = i + 1;
	return rc < 0 ? MTK_E_PARSE : 0;
}

static int package_elem(struct pctx *c, json_t *v, size_t i, void *out)
{
	struct mtk_policy *p = out;
	const char *s = json_string_value(v);
	bool ok = s && strlen(s) == 64;
	for (size_t k = 0; ok && k < 32; k++) {
		int hi = mtk_hex_digit(s[2 * k]), lo = mtk_hex_digit(s[2 * k + 1]);
		ok = hi >= 0 && lo >= 0;
		p->packages[i][k] = ok ? (uint8_t)(hi << 4 | lo) : 0; /* never shift a -1 */
	}
	if (!ok)
		return policy_fail(c->ctx, c->fname, c->path, "expected a SHA-256 in hex (64 digits)");
	p->npackages = i + 1;
	return 0;
}

/* ------------------------------------------------------------- the rules */

static int r_name(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) >= sizeof p->name)
		return policy_fail(c->ctx, c->fname, c->path, "expected a string of at most %zu bytes",
				   sizeof p->name - 1);
	memcpy(p->name, s, strlen(s) + 1);
	return 0;
}

static bool history_target_ok(const char *s)
{
	if (strncmp(s, "postgresql://", 13) && strncmp(s, "postgres://", 11) && s[0] != '/')
		return false;
	for (const unsigned char *q = (const unsigned char *)s; *q; q++)
		if (*q < 0x20 || *q == 0x7f)
			return false;
	return true;
}

/* A relative SQLite path would name a different file at every station's
 * working directory: only a URI or an absolute path means one place. */
static int r_history(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	p->history[0] = '\0';
	if (json_is_null(v))
		return 0;
	const char *s = json_string_value(v);
	if (!s || !s[0] || strlen(s) >= sizeof p->history)
		return policy_fail(c->ctx, c->fname, c->path, "expected null or a string of 1 to %zu bytes",
				   sizeof p->history - 1);
	if (!history_target_ok(s))
		return policy_fail(c->ctx, c->fname, c->path,
				   "expected postgresql://… or an absolute path to an SQLite file, without control "
				   "characters");
	memcpy(p->history, s, strlen(s) + 1);
	return 0;
}

static int r_modes(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	p->modes = 0;
	int rc = each_elem(c, v, 3, mode_elem, &p->modes);
	return rc < 0 ? rc : p->modes ? 0 : policy_fail(c->ctx, c->fname, c->path, "allows no mode at all");
}

static int r_scenes(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	p->scenes = 0;
	int rc = each_elem(c, v, 3, scene_elem, &p->scenes);
	return rc < 0 ? rc : p->scenes ? 0 : policy_fail(c->ctx, c->fname, c->path, "allows no scene at all");
}

static int r_max_risk(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	int w = want_word(c, v, level_words, 3, "a risk level");
	p->max_risk = (enum mtk_risk_level)(w < 0 ? 0 : w);
	return w < 0 ? w : 0;
}

static int r_require_signature(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return want_bool(c, v, &p->require_signature);
}

static int r_trusted_keys(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	struct key_list l = { p->keys, &p->nkeys };
	return each_elem(c, v, MTK_POLICY_MAX_KEYS, key_elem, &l);
}

static int r_require_checksum_ini(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return want_bool(c, v, &p->require_checksum_ini);
}

/* null: no restriction; a list restricts (an empty one to nothing). */
static int names_rule(struct pctx *c, json_t *v, struct mtk_policy_names *l, elem_fn fn)
{
	l->set = !json_is_null(v);
	l->count = 0;
	if (!l->set)
		return 0;
	return each_elem(c, v, MTK_POLICY_MAX_NAMES, fn, l);
}

static int r_may_write(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return names_rule(c, v, &p->may_write, name_elem);
}

static int r_never_write(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return names_rule(c, v, &p->never_write, name_elem);
}

static int r_require_nvram_backup(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return want_bool(c, v, &p->require_nvram_backup);
}

static int r_overrides(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return names_rule(c, v, &p->overrides, factor_elem);
}

static int r_after(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	if (json_is_null(v)) {
		p->after = -1;
		return 0;
	}
	p->after = want_word(c, v, after_words, 3, "an --after action or null");
	return p->after < 0 ? p->after : 0;
}

static int r_device_checks(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	int w = want_word(c, v, check_words, 4, "the device checks that stay on");
	p->device_checks = w < 0 ? 0 : (unsigned)w; /* none 0, usb 1, storage 2, all 3: the MTK_DA_CHECK_* bits */
	return w < 0 ? w : 0;
}

static int r_chips(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return names_rule(c, v, &p->chips, name_elem);
}

static int r_boards(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return names_rule(c, v, &p->boards, name_elem);
}

static int r_packages(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	p->packages_set = !json_is_null(v);
	p->npackages = 0;
	if (!p->packages_set)
		return 0;
	return each_elem(c, v, MTK_POLICY_MAX_PACKAGES, package_elem, p);
}

static int r_require_signed_policy(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	return want_bool(c, v, &p->require_signed_policy);
}

static int r_role(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	int w = want_word(c, v, role_names, 2, "a role");
	p->role = (enum mtk_role)(w < 0 ? 0 : w);
	return w < 0 ? w : 0;
}

static int want_format(struct pctx *c, json_t *v, const char *what)
{
	if (!json_is_integer(v) || json_integer_value(v) != MTK_POLICY_FORMAT)
		return policy_fail(c->ctx, c->fname, c->path, "this mtkflash reads %s format %d only", what,
				   MTK_POLICY_FORMAT);
	return 0;
}

static int r_version(struct pctx *c, json_t *v, struct mtk_policy *p)
{
	(void)p;
	return want_format(c, v, "policy");
}

struct rule {
	const char *key;
	int (*parse)(struct pctx *c, json_t *v, struct mtk_policy *p);
};

static const struct rule rules[] = {
	{ "policy", r_version },
	{ "name", r_name },
	{ MTK_RULE_ROLE, r_role },
	{ MTK_RULE_MODES, r_modes },
	{ MTK_RULE_SCENES, r_scenes },
	{ MTK_RULE_MAX_RISK, r_max_risk },
	{ MTK_RULE_REQUIRE_SIGNATURE, r_require_signature },
	{ MTK_RULE_TRUSTED_KEYS, r_trusted_keys },
	{ MTK_RULE_REQUIRE_CHECKSUM_INI, r_require_checksum_ini },
	{ MTK_RULE_MAY_WRITE, r_may_write },
	{ MTK_RULE_NEVER_WRITE, r_never_write },
	{ MTK_RULE_REQUIRE_NVRAM_BACKUP, r_require_nvram_backup },
	{ MTK_RULE_OVERRIDES, r_overrides },
	{ MTK_RULE_AFTER, r_after },
	{ MTK_RULE_DEVICE_CHECKS, r_device_checks },
	{ MTK_RULE_CHIPS, r_chips },
	{ MTK_RULE_BOARDS, r_boards },
	{ MTK_RULE_PACKAGES, r_packages },
	{ MTK_RULE_REQUIRE_SIGNED_POLICY, r_require_signed_policy },
	{ MTK_RULE_HISTORY, r_history },
};

static const struct rule *find_rule(const char *key)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(rules[i].key, key) == 0)
			return &rules[i];
	return NULL;
}

/* A JSON file of rules (a policy, the station): which keys it has, and
 * what each does to the target. */
struct schema {
	const char *magic; /* the key holding the format number */
	bool (*known)(const char *key);
	int (*apply)(struct pctx *c, const char *key, json_t *v, void *target);
};

/* "_doc" and "_RULE": text for people, strings or arrays of strings. */
static int doc_key(struct pctx *c, const struct schema *sc, const char *key, json_t *v)
{
	if (strcmp(key, "_doc") != 0 && !sc->known(key + 1))
		return policy_fail(c->ctx, c->fname, c->path, "documents no rule (\"_RULE\" or \"_doc\")");
	bool ok = json_is_string(v) || json_is_array(v);
	for (size_t i = 0; ok && json_is_array(v) && i < json_array_size(v); i++)
		ok = json_is_string(json_array_get(v, i));
	return ok ? 0 : policy_fail(c->ctx, c->fname, c->path, "documentation is a string or an array of strings");
}

static int parse_keys(struct pctx *c, json_t *root, const struct schema *sc, void *target)
{
	if (!json_is_object(root))
		return policy_fail(c->ctx, c->fname, "$", "expected a JSON object");
	if (!json_object_get(root, sc->magic))
		return policy_fail(c->ctx, c->fname, "$", "no \"%s\": %d key: is this the right file?", sc->magic,
				   MTK_POLICY_FORMAT);
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		char shown[64];
		snprintf(c->path, sizeof c->path, "$.%s", mtk_escape(key, shown, sizeof shown));
		int rc = key[0] == '_'	   ? doc_key(c, sc, key, v)
			 : sc->known(key) ? sc->apply(c, key, v, target)
					  : policy_fail(c->ctx, c->fname, c->path,
							"unknown key (a misspelt rule must not leave the policy looser)");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Parse buf as JSON, then through the schema. */
static int parse_json(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len, const struct schema *sc,
		      void *target)
{
	if (len > MTK_POLICY_FILE_MAX)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: %zu bytes, more than such a file may have (%u)", fname, len,
				MTK_POLICY_FILE_MAX);
	json_error_t err;
	json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return mtk_fail(ctx, MTK_E_PARSE, "%s line %d column %d: %s", fname, err.line, err.column, err.text);
	struct pctx c = { ctx, fname, "$" };
	int rc = parse_keys(&c, root, sc, target);
	json_decref(root);
	return rc;
}

static bool policy_known(const char *key)
{
	return find_rule(key) != NULL;
}

static int policy_apply(struct pctx *c, const char *key, json_t *v, void *target)
{
	return find_rule(key)->parse(c, v, target);
}

static const struct schema policy_schema = { "policy", policy_known, policy_apply };

/* The safe defaults a rule has when its key is left out. */
static void set_defaults(struct mtk_policy *p)
{
	memset(p, 0, sizeof *p);
	p->modes = 1u << MTK_FMODE_SAFE;
	p->scenes = 1u << MTK_SCENE_DOWNLOAD;
	p->max_risk = MTK_RISK_MEDIUM;
	p->require_signature = true;
	p->overrides.set = true;
	p->after = -1;
	p->device_checks = MTK_DA_CHECK_USB | MTK_DA_CHECK_STORAGE;
	p->role = MTK_ROLE_OPERATOR;
}

/* Rules that contradict each other: better refused than half applied. */
static int check_coherent(struct pctx *c, const struct mtk_policy *p)
{
	if (p->role == MTK_ROLE_OPERATOR && (p->modes & (1u << MTK_FMODE_SERVICE)))
		return policy_fail(c->ctx, c->fname, "$.modes", "service mode is the engineer's; the role is operator");
	if (p->role == MTK_ROLE_OPERATOR && p->overrides.count)
		return policy_fail(c->ctx, c->fname, "$.overrides",
				   "overrides need service mode, which the operator role does not have");
	return 0;
}

int mtk_policy_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len, struct mtk_policy **out)
{
	*out = NULL;
	struct mtk_policy *p = malloc(sizeof *p);
	if (!p)
		return mtk_fail(ctx, MTK_E_NOMEM, "%s", fname);
	set_defaults(p);
	int rc = parse_json(ctx, fname, buf, len, &policy_schema, p);
	if (rc == 0) {
		struct pctx c = { ctx, fname, "$" };
		rc = check_coherent(&c, p);
	}
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* ------------------------------------------------------------- the station */

static int s_version(struct pctx *c, json_t *v, struct mtk_station *st)
{
	(void)st;
	return want_format(c, v, "station");
}

static int s_require_signed(struct pctx *c, json_t *v, struct mtk_station *st)
{
	return want_bool(c, v, &st->require_signed_policy);
}

static int s_require_policy(struct pctx *c, json_t *v, struct mtk_station *st)
{
	return want_bool(c, v, &st->require_policy);
}

static int s_keys(struct pctx *c, json_t *v, struct mtk_station *st)
{
	struct key_list l = { st->keys, &st->nkeys };
	return each_elem(c, v, MTK_POLICY_MAX_KEYS, key_elem, &l);
}

static const struct {
	const char *key;
	int (*parse)(struct pctx *c, json_t *v, struct mtk_station *st);
} station_rules[] = {
	{ "station", s_version },
	{ "require_signed_policy", s_require_signed },
	{ "require_policy", s_require_policy },
	{ "policy_keys", s_keys },
};

static int station_rule(const char *key)
{
	for (size_t i = 0; i < sizeof station_rules / sizeof station_rules[0]; i++)
		if (strcmp(station_rules[i].key, key) == 0)
			return (int)i;
	return -1;
}

static bool station_known(const char *key)
{
	return station_rule(key) >= 0;
}

static int station_apply(struct pctx *c, const char *key, json_t *v, void *target)
{
	return station_rules[station_rule(key)].parse(c, v, target);
}

static const struct schema station_schema = { "station", station_known, station_apply };

int mtk_station_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len, struct mtk_station *out)
{
	memset(out, 0, sizeof *out);
	int rc = parse_json(ctx, fname, buf, len, &station_schema, out);
	if (rc == 0 && out->require_signed_policy && !out->nkeys)
		rc = policy_fail(ctx, fname, "$.policy_keys", "require_signed_policy needs at least one key");
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

void mtk_policy_free(struct mtk_policy *p)
{
	free(p);
}

/* ------------------------------------------------------------- printing */

static json_t *words_json(unsigned bits, const char *const *names, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *names_json(const struct mtk_policy_names *l)
{
	if (!l->set)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; i < l->count; i++)
		json_array_append_new(a, json_string(l->name[i]));
	return a;
}

static json_t *keys_json(const struct mtk_policy *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nkeys; i++) {
		char id[17];
		mtk_minisign_key_id_hex(p->keys[i].key_id, id);
		json_array_append_new(a, json_string(id));
	}
	return a;
}

static json_t *packages_json(const struct mtk_policy *p)
{
	if (!p->packages_set)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; i < p->npackages; i++) {
		char hex[65];
		mtk_hex_encode(hex, p->packages[i], 32);
		json_array_append_new(a, json_string(hex));
	}
	return a;
}

json_t *mtk_policy_to_json(const struct mtk_policy *p)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:b, s:o, s:b, s:o, s:o, s:b, s:o, s:o, s:s, s:o, s:o, s:o, s:b, s:o}",
			 "name", p->name, MTK_RULE_ROLE, mtk_role_name(p->role), MTK_RULE_MODES,
			 words_json(p->modes, mode_words, 3), MTK_RULE_SCENES, words_json(p->scenes, scene_words, 3),
			 MTK_RULE_MAX_RISK, level_words[p->max_risk], MTK_RULE_REQUIRE_SIGNATURE, p->require_signature,
			 MTK_RULE_TRUSTED_KEYS, keys_json(p), MTK_RULE_REQUIRE_CHECKSUM_INI, p->require_checksum_ini,
			 MTK_RULE_MAY_WRITE, names_json(&p->may_write), MTK_RULE_NEVER_WRITE,
			 names_json(&p->never_write), MTK_RULE_REQUIRE_NVRAM_BACKUP, p->require_nvram_backup,
			 MTK_RULE_OVERRIDES, names_json(&p->overrides), MTK_RULE_AFTER,
			 p->after < 0 ? json_null() : json_string(after_words[p->after]), MTK_RULE_DEVICE_CHECKS,
			 check_words[p->device_checks & 3], MTK_RULE_CHIPS, names_json(&p->chips), MTK_RULE_BOARDS,
			 names_json(&p->boards), MTK_RULE_PACKAGES, packages_json(p), MTK_RULE_REQUIRE_SIGNED_POLICY,
			 p->require_signed_policy, MTK_RULE_HISTORY,
			 p->history[0] ? json_string(p->history) : json_null());
}

/* ------------------------------------------------------------- the default */

static const char default_text[] =
	"{\n"
	"  \"_doc\": [\"mtkflash verification policy (docs/policy.md).  Every rule has a '_RULE' key beside it\",\n"
	"           \"that explains it; mtkflash reads those as documentation.  An unknown key is an error.\",\n"
	"           \"Sign it with: mtkflash policy sign FILE --key KEY; check it with: mtkflash policy check FILE\"],\n"
	"  \"policy\": 1,\n"
	"  \"name\": \"default (safe)\",\n"
	"  \"_role\": \"operator: approved packages only, never service mode; engineer: service mode with its passphrase\",\n"
	"  \"role\": \"operator\",\n"
	"  \"_modes\": \"the --mode values allowed: safe, quick, service (service: engineer only)\",\n"
	"  \"modes\": [\"safe\"],\n"
	"  \"_scenes\": \"the --scene values allowed: download, upgrade, format-all\",\n"
	"  \"scenes\": [\"download\"],\n"
	"  \"_max_risk\": \"the highest risk level accepted, after overrides: low, medium or high\",\n"
	"  \"max_risk\": \"medium\",\n"
	"  \"_require_signature\": \"the package's SHA256SUMS must carry a signature by a trusted key\",\n"
	"  \"require_signature\": true,\n"
	"  \"_trusted_keys\": [\"minisign public keys (the base64 line of a .pub file) that may sign packages;\",\n"
	"                    \"empty: the station's trusted-keys folder.  --trust is refused under a policy\"],\n"
	"  \"trusted_keys\": [],\n"
	"  \"_require_checksum_ini\": \"the package must carry a Checksum.ini (it is verified whenever present)\",\n"
	"  \"require_checksum_ini\": false,\n"
	"  \"_may_write\": \"null: any partition the scene writes; a list: only these may be written or erased\",\n"
	"  \"may_write\": null,\n"
	"  \"_never_write\": \"partitions that must never be written or erased, whatever the scene or --only\",\n"
	"  \"never_write\": [\"preloader\", \"nvram\", \"nvdata\", \"nvcfg\", \"proinfo\", \"protect1\", \"protect2\",\n"
	"                  \"persist\", \"seccfg\", \"otp\", \"frp\"],\n"
	"  \"_require_nvram_backup\": \"a verified NVRAM backup of the phone must be on record before the flash\",\n"
	"  \"require_nvram_backup\": false,\n"
	"  \"_overrides\": \"risk factors --override may take out of the score (service mode only)\",\n"
	"  \"overrides\": [],\n"
	"  \"_after\": \"the --after action every flash ends with (stay, reboot, poweroff); null: the command line's\",\n"
	"  \"after\": null,\n"
	"  \"_device_checks\": \"the DA checks that must stay on: all, usb, storage or none\",\n"
	"  \"device_checks\": \"all\",\n"
	"  \"_chips\": \"null: any chip; a list: only phones with these chips (\\\"MT6765\\\")\",\n"
	"  \"chips\": null,\n"
	"  \"_boards\": \"null: any board; a list: only these preloader board names\",\n"
	"  \"boards\": null,\n"
	"  \"_packages\": [\"approved packages: SHA-256 of their SHA256SUMS (of the scatter file when there is none);\",\n"
	"                \"null: any package (engineer only); the operator role needs a list\"],\n"
	"  \"packages\": [],\n"
	"  \"_require_signed_policy\": \"refuse this file unless its .minisig verifies by a station policy key\",\n"
	"  \"require_signed_policy\": false,\n"
	"  \"_history\": [\"where every job under this policy is recorded: postgresql://user@host/db for one history\",\n"
	"                \"of all stations, or an absolute SQLite path; null: --history, $MTKFLASH_HISTORY or the default\"],\n"
	"  \"history\": null\n"
	"}\n";

const char *mtk_policy_default_text(void)
{
	return default_text;
}
