/* SPDX-License-Identifier: MIT */
/* Verification policies: the parser's refusals (each naming file and JSON
 * path or line), every rule on the command line and on a plan, admitting
 * signed and unsigned policies, signing, the station file, package ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "mtkflash/policy.h"
#include "mtkflash/session.h"
#include "testutil.h"

static struct mtk_policy *parse_ok(const char *text)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_policy *p = NULL;
	int rc = mtk_policy_parse(ctx, "p.json", (const uint8_t *)text, strlen(text), &p);
	if (rc < 0)
		fail_msg("%s", mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
	return p;
}

/* The parse fails and the message contains `want`. */
static void parse_bad(const char *text, const char *want)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_policy *p = NULL;
	assert_int_equal(mtk_policy_parse(ctx, "p.json", (const uint8_t *)text, strlen(text), &p), MTK_E_PARSE);
	assert_null(p);
	if (!strstr(mtk_ctx_error(ctx), want))
		fail_msg("error \"%s\" lacks \"%s\"", mtk_ctx_error(ctx), want);
	mtk_ctx_free(ctx);
}

/* True when the verdict has a refusal by `rule`. */
static bool refused_by(const struct mtk_policy_verdict *v, const char *rule)
{
	for (size_t i = 0; i < v->count; i++)
		if (strcmp(v->refusals[i].rule, rule) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------- parsing */

static void default_is_safe(void **state)
{
	(void)state;
	struct mtk_policy *p = parse_ok(mtk_policy_default_text());
	assert_int_equal(p->modes, 1u << MTK_FMODE_SAFE);
	assert_int_equal(p->scenes, 1u << MTK_SCENE_DOWNLOAD);
	assert_int_equal(p->max_risk, MTK_RISK_MEDIUM);
	assert_true(p->require_signature);
	assert_int_equal(p->role, MTK_ROLE_OPERATOR);
	assert_true(p->never_write.set);
	assert_string_equal(p->never_write.name[1], "nvram");
	assert_false(p->may_write.set);
	assert_true(p->packages_set);
	assert_int_equal(p->npackages, 0);
	assert_int_equal(p->after, -1);
	mtk_policy_free(p);
	/* an omitted rule takes the same safe value */
	p = parse_ok("{\"policy\": 1}");
	assert_int_equal(p->modes, 1u << MTK_FMODE_SAFE);
	assert_true(p->require_signature);
	mtk_policy_free(p);
}

static void errors_name_path(void **state)
{
	(void)state;
	parse_bad("{\"policy\": 1,\n \"modes\": [\"safe\"", "p.json line 2");
	parse_bad("{\"policy\": 1, \"max_rsik\": \"high\"}", "p.json: $.max_rsik: unknown key");
	parse_bad("{\"policy\": 1, \"_max_rsik\": \"x\"}", "$._max_rsik: documents no rule");
	parse_bad("{\"policy\": 1, \"_modes\": 3}", "$._modes: documentation is a string");
	parse_bad("{\"policy\": 1, \"modes\": [\"safe\", \"fast\"]}", "$.modes[1]: expected a mode");
	parse_bad("{\"policy\": 1, \"modes\": []}", "$.modes: allows no mode");
	parse_bad("{\"policy\": 1, \"policy\": 1}", "duplicate");
	parse_bad("{\"policy\": 2}", "$.policy: this mtkflash reads policy format 1");
	parse_bad("{\"modes\": [\"safe\"]}", "$: no \"policy\"");
	parse_bad("[1]", "$: expected a JSON object");
	parse_bad("{\"policy\": 1, \"max_risk\": \"huge\"}", "$.max_risk: expected a risk level");
	parse_bad("{\"policy\": 1, \"require_signature\": \"yes\"}", "$.require_signature: expected true or false");
	parse_bad("{\"policy\": 1, \"never_write\": [\"nvram\", \"a/b\"]}", "$.never_write[1]: not a usable name");
	parse_bad("{\"policy\": 1, \"never_write\": \"nvram\"}", "$.never_write: expected an array");
	parse_bad("{\"policy\": 1, \"packages\": [\"12\"]}", "$.packages[0]: expected a SHA-256");
	/* 64 characters, not all hex (the fuzzer's find: no shift of a -1) */
	parse_bad("{\"policy\": 1, \"packages\": [\"zz0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\"]}",
		  "$.packages[0]: expected a SHA-256");
	parse_bad("{\"policy\": 1, \"trusted_keys\": [\"RWnotakey\"]}", "$.trusted_keys[0]");
	parse_bad("{\"policy\": 1, \"after\": \"explode\"}", "$.after: expected an --after action");
	parse_bad("{\"policy\": 1, \"device_checks\": \"some\"}", "$.device_checks");
	parse_bad("{\"policy\": 1, \"role\": \"boss\"}", "$.role: expected a role");
}

static void contradictions_refused(void **state)
{
	(void)state;
	parse_bad("{\"policy\": 1, \"modes\": [\"service\"]}", "$.modes: service mode is the engineer's");
	parse_bad("{\"policy\": 1, \"overrides\": [\"layout_change\"]}", "$.overrides: overrides need service mode");
	parse_bad("{\"policy\": 1, \"role\": \"engineer\", \"overrides\": [\"chip_mismatch\"]}",
		  "$.overrides[0]: chip_mismatch can never be overridden");
	parse_bad("{\"policy\": 1, \"role\": \"engineer\", \"overrides\": [\"no_such\"]}", "is no risk factor");
	struct mtk_policy *p =
		parse_ok("{\"policy\": 1, \"role\": \"engineer\", \"modes\": [\"safe\", \"service\"], \"overrides\": "
			 "[\"layout_change\"]}");
	assert_int_equal(p->overrides.count, 1);
	mtk_policy_free(p);
}

static void size_limits(void **state)
{
	(void)state;
	size_t n = MTK_POLICY_FILE_MAX + 2;
	char *big = malloc(n);
	memset(big, ' ', n);
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_policy *p = NULL;
	assert_int_equal(mtk_policy_parse(ctx, "big.json", (const uint8_t *)big, n, &p), MTK_E_PARSE);
	free(big);
	mtk_ctx_free(ctx);
	char list[4096] = "{\"policy\": 1, \"chips\": [";
	for (int i = 0; i <= MTK_POLICY_MAX_NAMES; i++)
		strcat(list, i ? ",\"MT1\"" : "\"MT1\"");
	strcat(list, "]}");
	parse_bad(list, "$.chips: more than 64 entries");
}

/* ------------------------------------------------------------- the command line */

static const struct mtk_policy_request plain = {
	.mode = MTK_FMODE_SAFE,
	.scene = MTK_SCENE_DOWNLOAD,
	.after = -1,
	.device_checks = 3,
};

static struct mtk_policy_verdict check_req(const char *policy, struct mtk_policy_request req)
{
	struct mtk_policy *p = parse_ok(policy);
	struct mtk_policy_verdict v = { .count = 0 };
	mtk_policy_check_request(p, &req, &v);
	mtk_policy_free(p);
	return v;
}

static void request_rules(void **state)
{
	(void)state;
	const char *eng = "{\"policy\": 1, \"role\": \"engineer\", \"modes\": [\"safe\", \"service\"], "
			  "\"overrides\": [\"layout_change\"], \"never_write\": [\"nvram\"], \"may_write\": "
			  "[\"system\", \"nvram\"], \"after\": \"reboot\"}";
	struct mtk_policy_verdict v = check_req(eng, plain);
	assert_int_equal(v.count, 0);
	struct mtk_policy_request r = plain;
	r.mode = MTK_FMODE_QUICK;
	assert_true(refused_by((v = check_req(eng, r), &v), MTK_RULE_MODES));
	r = plain;
	r.mode = MTK_FMODE_SERVICE;
	assert_true(refused_by((v = check_req("{\"policy\": 1}", r), &v), MTK_RULE_ROLE));
	r = plain;
	r.scene = MTK_SCENE_FORMAT_ALL;
	assert_true(refused_by((v = check_req(eng, r), &v), MTK_RULE_SCENES));
	const char *const ov[] = { "layout_change", "package_unsigned" };
	r = plain;
	r.overrides = ov;
	r.noverrides = 2;
	v = check_req(eng, r);
	assert_int_equal(v.count, 1);
	assert_string_equal(v.refusals[0].rule, MTK_RULE_OVERRIDES);
	assert_non_null(strstr(v.refusals[0].detail, "package_unsigned"));
	const char *const only[] = { "NVRAM" };
	r = plain;
	r.only = only;
	r.nonly = 1;
	v = check_req(eng, r);
	assert_true(refused_by(&v, MTK_RULE_NEVER_WRITE)); /* names compare as partition names do */
	const char *const only2[] = { "boot" };
	r.only = only2;
	assert_true(refused_by((v = check_req(eng, r), &v), MTK_RULE_MAY_WRITE));
	r = plain;
	r.after = MTK_AFTER_STAY;
	assert_true(refused_by((v = check_req(eng, r), &v), MTK_RULE_AFTER));
	r.after = MTK_AFTER_REBOOT;
	assert_int_equal((v = check_req(eng, r), v.count), 0);
	r = plain;
	r.device_checks = 1;
	assert_true(refused_by((v = check_req(eng, r), &v), MTK_RULE_DEVICE_CHECKS));
	assert_int_equal((v = check_req("{\"policy\": 1, \"device_checks\": \"usb\"}", r), v.count), 0);
	r = plain;
	r.ntrust = 1;
	assert_true(refused_by((v = check_req(eng, r), &v), MTK_RULE_TRUSTED_KEYS));
}

static void roles(void **state)
{
	(void)state;
	struct mtk_policy *op = parse_ok("{\"policy\": 1}");
	struct mtk_policy *eng = parse_ok("{\"policy\": 1, \"role\": \"engineer\"}");
	assert_int_equal(mtk_policy_role(op, true), MTK_ROLE_OPERATOR);
	assert_int_equal(mtk_policy_role(eng, true), MTK_ROLE_ENGINEER);
	assert_int_equal(mtk_policy_role(eng, false), MTK_ROLE_OPERATOR);
	assert_int_equal(mtk_policy_role(NULL, true), MTK_ROLE_ENGINEER);
	assert_int_equal(mtk_policy_role(NULL, false), MTK_ROLE_OPERATOR);
	assert_string_equal(mtk_role_name(MTK_ROLE_ENGINEER), "engineer");
	mtk_policy_free(op);
	mtk_policy_free(eng);
}

/* ------------------------------------------------------------- the plan */

struct subject {
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_entry entries[3];
	struct mtk_decision d;
	struct mtk_policy_package pkg;
	struct mtk_policy_subject s;
};

static void make_subject(struct subject *x)
{
	memset(x, 0, sizeof *x);
	x->fp.brom.chip = mtk_chip_by_name("MT6737");
	snprintf(x->fp.device_id, sizeof x->fp.device_id, "mt6737-test");
	x->fp.have_preloader = true;
	snprintf(x->fp.preloader.board, sizeof x->fp.preloader.board, "k37mv1");
	static const char *const names[] = { "system", "nvram", "boot" };
	static const enum mtk_plan_action acts[] = { MTK_ACT_WRITE, MTK_ACT_KEEP, MTK_ACT_WRITE };
	for (size_t i = 0; i < 3; i++) {
		snprintf(x->entries[i].name, sizeof x->entries[i].name, "%s", names[i]);
		x->entries[i].action = acts[i];
	}
	x->plan.entries = x->entries;
	x->plan.count = 3;
	x->d.level = MTK_RISK_LOW;
	x->d.score = 10;
	x->pkg.sig = MTK_SIG_TRUSTED;
	x->pkg.id_is_manifest = true;
	memset(x->pkg.id, 0xab, 32);
	x->s = (struct mtk_policy_subject){ &x->pkg, &x->fp, &x->plan, &x->d, true };
}

static const char approved[] = "abababababababababababababababababababababababababababababababab";

static struct mtk_policy_verdict check_plan(const char *policy, const struct subject *x)
{
	struct mtk_policy *p = parse_ok(policy);
	struct mtk_policy_verdict v = { .count = 0 };
	mtk_policy_check_plan(p, &x->s, &v);
	mtk_policy_free(p);
	return v;
}

static void plan_package_rules(void **state)
{
	(void)state;
	struct subject x;
	make_subject(&x);
	char pol[512];
	snprintf(pol, sizeof pol, "{\"policy\": 1, \"packages\": [\"%s\"]}", approved);
	struct mtk_policy_verdict v = check_plan(pol, &x);
	assert_int_equal(v.count, 0);
	/* the operator's default approves nothing */
	v = check_plan("{\"policy\": 1}", &x);
	assert_true(refused_by(&v, MTK_RULE_PACKAGES));
	assert_non_null(strstr(v.refusals[0].detail, "approves none"));
	v = check_plan("{\"policy\": 1, \"role\": \"engineer\", \"packages\": null}", &x);
	assert_int_equal(v.count, 0);
	x.pkg.id[0] = 0;
	assert_true(refused_by((v = check_plan(pol, &x), &v), MTK_RULE_PACKAGES));
	make_subject(&x);
	x.pkg.sig = MTK_SIG_UNKNOWN_KEY;
	assert_true(refused_by((v = check_plan(pol, &x), &v), MTK_RULE_REQUIRE_SIGNATURE));
	snprintf(pol, sizeof pol, "{\"policy\": 1, \"require_signature\": false, \"require_checksum_ini\": true, "
		 "\"packages\": [\"%s\"]}", approved);
	v = check_plan(pol, &x);
	assert_int_equal(v.count, 1);
	assert_string_equal(v.refusals[0].rule, MTK_RULE_REQUIRE_CHECKSUM_INI);
	x.pkg.have_checksum_ini = true;
	assert_int_equal((v = check_plan(pol, &x), v.count), 0);
}

static void plan_device_rules(void **state)
{
	(void)state;
	struct subject x;
	make_subject(&x);
	const char *eng = "{\"policy\": 1, \"role\": \"engineer\", \"packages\": null, \"chips\": [\"mt6737\"], "
			  "\"boards\": [\"k37mv1\"], \"max_risk\": \"low\", \"require_nvram_backup\": true}";
	struct mtk_policy_verdict v = check_plan(eng, &x);
	assert_int_equal(v.count, 0);
	x.fp.brom.chip = mtk_chip_by_name("MT6765");
	assert_true(refused_by((v = check_plan(eng, &x), &v), MTK_RULE_CHIPS));
	make_subject(&x);
	snprintf(x.fp.preloader.board, sizeof x.fp.preloader.board, "other");
	assert_true(refused_by((v = check_plan(eng, &x), &v), MTK_RULE_BOARDS));
	/* no preloader on the phone: the board it will get counts */
	x.fp.have_preloader = false;
	x.plan.have_pkg_preloader = true;
	snprintf(x.plan.pkg_preloader.board, sizeof x.plan.pkg_preloader.board, "k37mv1");
	assert_int_equal((v = check_plan(eng, &x), v.count), 0);
	make_subject(&x);
	x.d.level = MTK_RISK_MEDIUM;
	assert_true(refused_by((v = check_plan(eng, &x), &v), MTK_RULE_MAX_RISK));
	make_subject(&x);
	x.s.nvram_backup_on_record = false;
	assert_true(refused_by((v = check_plan(eng, &x), &v), MTK_RULE_REQUIRE_NVRAM_BACKUP));
}

static void plan_write_rules(void **state)
{
	(void)state;
	struct subject x;
	make_subject(&x);
	const char *pol = "{\"policy\": 1, \"role\": \"engineer\", \"packages\": null, \"never_write\": [\"nvram\"], "
			  "\"may_write\": [\"system\", \"boot\"]}";
	struct mtk_policy_verdict v = check_plan(pol, &x);
	assert_int_equal(v.count, 0); /* nvram is kept, not written */
	x.entries[1].action = MTK_ACT_ERASE;
	v = check_plan(pol, &x);
	assert_int_equal(v.count, 1);
	char line[320];
	assert_string_equal(mtk_policy_refusal_text(&v.refusals[0], line, sizeof line),
			    "refused by policy rule \"never_write\": partition \"nvram\" (erased)");
	make_subject(&x);
	snprintf(x.entries[2].name, sizeof x.entries[2].name, "lk");
	v = check_plan(pol, &x);
	assert_true(refused_by(&v, MTK_RULE_MAY_WRITE));
	/* the staged preloader's boot2 copy counts as the preloader */
	make_subject(&x);
	snprintf(x.entries[2].name, sizeof x.entries[2].name, "preloader@boot2");
	x.entries[2].boot_copy = true;
	assert_int_equal(check_plan(pol, &x).count, 0);
	snprintf(x.entries[1].name, sizeof x.entries[1].name, "preloader");
	x.entries[1].action = MTK_ACT_WRITE;
	struct mtk_policy_verdict pv = check_plan(pol, &x);
	assert_true(refused_by(&pv, MTK_RULE_MAY_WRITE));
	json_t *j = mtk_policy_verdict_to_json(&v);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "rule")), "may_write");
	json_decref(j);
}

/* ------------------------------------------------------------- admitting */

static void admitting(void **state)
{
	(void)state;
	struct mtk_policy *p = parse_ok("{\"policy\": 1}");
	struct mtk_station st = { .require_signed_policy = true };
	struct mtk_policy_verdict v = { .count = 0 };
	mtk_policy_admit(p, NULL, &v);
	assert_int_equal(v.count, 0);
	mtk_policy_admit(p, &st, &v);
	assert_true(refused_by(&v, MTK_RULE_REQUIRE_SIGNED_POLICY));
	p->sig = MTK_SIG_TRUSTED;
	v.count = 0;
	mtk_policy_admit(p, &st, &v);
	assert_int_equal(v.count, 0);
	p->sig = MTK_SIG_BAD; /* altered: refused even where nothing requires a signature */
	mtk_policy_admit(p, NULL, &v);
	assert_int_equal(v.count, 1);
	p->sig = MTK_SIG_UNSIGNED;
	p->require_signed_policy = true;
	v.count = 0;
	mtk_policy_admit(p, NULL, &v);
	assert_int_equal(v.count, 1);
	st.require_policy = true;
	v.count = 0;
	mtk_policy_admit(NULL, &st, &v);
	assert_true(refused_by(&v, MTK_RULE_REQUIRE_POLICY));
	mtk_policy_free(p);
}

/* ------------------------------------------------------------- files */

struct fx {
	mtk_ctx *ctx;
	char dir[256];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	test_mkdtemp(f->dir, sizeof f->dir, "test_policy");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	test_rmtree(f->dir);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

static void make_key(struct fx *f, struct mtk_minisign_pubkey *pk)
{
	struct mtk_minisign_seckey sk;
	assert_int_equal(mtk_minisign_keygen(f->ctx, &sk, pk), 0);
	char *text = mtk_minisign_seckey_format(&sk, NULL);
	test_write_text(f->dir, "k.key", text);
	free(text);
}

static void sign_and_load(void **state)
{
	struct fx *f = *state;
	struct mtk_minisign_pubkey pk, other;
	make_key(f, &pk);
	struct mtk_minisign_seckey sk2;
	assert_int_equal(mtk_minisign_keygen(f->ctx, &sk2, &other), 0);
	test_write_text(f->dir, "p.json", mtk_policy_default_text());
	char path[512], key[512];
	snprintf(path, sizeof path, "%s/p.json", f->dir);
	snprintf(key, sizeof key, "%s/k.key", f->dir);
	struct mtk_policy *p = NULL;
	assert_int_equal(mtk_policy_load(f->ctx, path, &pk, 1, &p), 0);
	assert_int_equal(p->sig, MTK_SIG_UNSIGNED);
	mtk_policy_free(p);
	assert_int_equal(mtk_policy_sign(f->ctx, path, key, false), 0);
	assert_int_equal(mtk_policy_sign(f->ctx, path, key, false), MTK_E_IO); /* no silent replacement */
	assert_int_equal(mtk_policy_sign(f->ctx, path, key, true), 0);
	assert_int_equal(mtk_policy_load(f->ctx, path, &pk, 1, &p), 0);
	assert_int_equal(p->sig, MTK_SIG_TRUSTED);
	char id[17];
	mtk_minisign_key_id_hex(pk.key_id, id);
	assert_string_equal(p->key_id, id);
	mtk_policy_free(p);
	assert_int_equal(mtk_policy_load(f->ctx, path, &other, 1, &p), 0);
	assert_int_equal(p->sig, MTK_SIG_UNKNOWN_KEY);
	mtk_policy_free(p);
	/* one byte changed after signing */
	char *text = strdup(mtk_policy_default_text());
	memcpy(strstr(text, "(safe)"), "(SAFE)", 6);
	test_write_text(f->dir, "p.json", text);
	free(text);
	struct mtk_station st = { .nkeys = 1 };
	st.keys[0] = pk;
	struct mtk_policy_verdict v = { .count = 0 };
	assert_int_equal(mtk_policy_open(f->ctx, path, &st, &p, &v), MTK_E_POLICY);
	assert_null(p);
	assert_true(refused_by(&v, MTK_RULE_REQUIRE_SIGNED_POLICY));
	/* an invalid policy is never signed */
	test_write_text(f->dir, "bad.json", "{\"policy\": 1, \"mode\": [\"safe\"]}");
	snprintf(path, sizeof path, "%s/bad.json", f->dir);
	assert_int_equal(mtk_policy_sign(f->ctx, path, key, false), MTK_E_PARSE);
}

static void station_file(void **state)
{
	struct fx *f = *state;
	struct mtk_station st;
	char path[512];
	snprintf(path, sizeof path, "%s/station.json", f->dir);
	assert_int_equal(mtk_station_load(f->ctx, path, &st), 0);
	assert_false(st.present);
	assert_false(st.require_signed_policy);
	test_write_text(f->dir, "station.json", "{\"station\": 1, \"require_signed_policy\": true}");
	assert_int_equal(mtk_station_load(f->ctx, path, &st), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "$.policy_keys"));
	test_write_text(f->dir, "station.json", "{\"station\": 1, \"require_signed_polcy\": true}");
	assert_int_equal(mtk_station_load(f->ctx, path, &st), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "$.require_signed_polcy: unknown key"));
	struct mtk_minisign_pubkey pk;
	make_key(f, &pk);
	char *pub = mtk_minisign_pubkey_format(&pk, NULL);
	char text[1024], *line = strchr(pub, '\n') + 1;
	line[strcspn(line, "\n")] = '\0'; /* the base64 line alone, as a .pub file's second line */
	snprintf(text, sizeof text, "{\"station\": 1, \"_doc\": \"line 3\", \"require_signed_policy\": true, "
		 "\"require_policy\": true, \"policy_keys\": [\"%s\"]}", line);
	free(pub);
	test_write_text(f->dir, "station.json", text);
	assert_int_equal(mtk_station_load(f->ctx, path, &st), 0);
	assert_true(st.present && st.require_signed_policy && st.require_policy);
	assert_int_equal(st.nkeys, 1);
	assert_memory_equal(st.keys[0].pk, pk.pk, 32);
}

static void package_ids(void **state)
{
	struct fx *f = *state;
	test_write_text(f->dir, "MT6737_Android_scatter.txt", "scatter\n");
	char scatter[512];
	snprintf(scatter, sizeof scatter, "%s/MT6737_Android_scatter.txt", f->dir);
	struct mtk_policy_package pkg;
	assert_int_equal(mtk_policy_package_facts(f->ctx, NULL, scatter, MTK_SIG_TRUSTED, &pkg), 0);
	assert_false(pkg.id_is_manifest);
	assert_false(pkg.have_checksum_ini);
	assert_int_equal(pkg.sig, MTK_SIG_TRUSTED);
	uint8_t want[32];
	assert_int_equal(mtk_sha256_file(f->ctx, scatter, want, NULL), 0);
	assert_memory_equal(pkg.id, want, 32);
	test_write_text(f->dir, "SHA256SUMS", "sums\n");
	test_write_text(f->dir, "Checksum.ini", "[x]\n");
	struct mtk_policy *p = parse_ok("{\"policy\": 1, \"trusted_keys\": "
					"[\"RWQBAgMEBQYHCNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea\"]}");
	assert_int_equal(mtk_policy_package_facts(f->ctx, p, scatter, MTK_SIG_TRUSTED, &pkg), 0);
	assert_true(pkg.id_is_manifest);
	assert_true(pkg.have_checksum_ini);
	/* the policy's own keys decide: no SHA256SUMS.minisig, so unsigned */
	assert_int_equal(pkg.sig, MTK_SIG_UNSIGNED);
	mtk_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_is_safe),
		cmocka_unit_test(errors_name_path),
		cmocka_unit_test(contradictions_refused),
		cmocka_unit_test(size_limits),
		cmocka_unit_test(request_rules),
		cmocka_unit_test(roles),
		cmocka_unit_test(plan_package_rules),
		cmocka_unit_test(plan_device_rules),
		cmocka_unit_test(plan_write_rules),
		cmocka_unit_test(admitting),
		cmocka_unit_test_setup_teardown(sign_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(station_file, setup, teardown),
		cmocka_unit_test_setup_teardown(package_ids, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
