/* SPDX-License-Identifier: MIT */
/* Plan and risk (lib/verify): real scatters from tests/fixtures planned
 * against device tables built from other real scatters of the same chip. */
#include "testutil.h"

#include <strings.h>

#include "mtkflash/flash.h"
#include "mtkflash/scatter.h"
#include "mtkflash/verify.h"

#define GIB (1ull << 30)
#define D6737 "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"
#define K6737 "MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt"
#define T6737 "MT6737T__Dewil-King_Sectter-File__MT6737T_Android_scatter.txt"
#define M6735 "MT6735M__Dewil-King_Sectter-File__MT6735M_Android_scatter.txt"
#define W6572 "MT6572__WikoSunset2-LineageOS_wiko_s4050ap_part_layout__MT6572_Android_scatter.txt"

static mtk_ctx *ctx;

static void parse(const char *fixture, struct mtk_scatter *s)
{
	char path[4096];
	size_t len;
	test_fixture_path(path, sizeof path, "scatter", fixture);
	uint8_t *b = test_load(path, &len);
	int rc = mtk_scatter_parse(ctx, path, b, len, NULL, s);
	free(b);
	if (rc < 0)
		fail_msg("%s: %s", fixture, mtk_ctx_error(ctx));
}

/* A device as `fixture` lays it out, with user area `user` bytes; the
 * partition names pass through `rename` (NULL = as written). */
static void device(const char *fixture, uint16_t hw_code, uint64_t user, const char *(*rename)(const char *),
		   struct mtk_fingerprint *fp)
{
	struct mtk_scatter s;
	parse(fixture, &s);
	memset(fp, 0, sizeof *fp);
	fp->brom.hw_code = hw_code;
	fp->brom.chip = mtk_chip_by_hw_code(hw_code);
	fp->brom.mode = MTK_MODE_PRELOADER;
	snprintf(fp->storage.type, sizeof fp->storage.type, "emmc");
	fp->storage.regions.size[MTK_REGION_BOOT1] = 4u << 20;
	fp->storage.regions.size[MTK_REGION_BOOT2] = 4u << 20;
	fp->storage.regions.size[MTK_REGION_USER] = user;
	fp->storage.cid[0] = 0x90;
	fp->dram_id_len = 9;
	memcpy(fp->dram_id, fp->storage.cid, 9);
	assert_int_equal(mtk_scatter_resolve(ctx, &s, MTK_REGION_USER, user), 0);
	mtk_ptable_init(&fp->table, MTK_PTABLE_GPT);
	for (size_t i = 0; i < s.count; i++) {
		const struct mtk_scatter_part *p = &s.parts[i];
		struct mtk_part d = { .start = p->offset, .size = p->size, .region = p->region };
		const char *nm = rename && rename(p->name) ? rename(p->name) : p->name;
		snprintf(d.name, sizeof d.name, "%s", nm);
		assert_int_equal(mtk_ptable_add(ctx, &fp->table, &d), 0);
	}
	mtk_scatter_free(&s);
}

static void plan_with(const char *pkg, const struct mtk_fingerprint *fp, const struct mtk_plan_opts *o,
		      struct mtk_plan *plan)
{
	struct mtk_scatter s;
	parse(pkg, &s);
	int rc = mtk_plan_build(ctx, fp, &s, o, plan);
	mtk_scatter_free(&s);
	if (rc < 0)
		fail_msg("plan %s: %s", pkg, mtk_ctx_error(ctx));
}

static const struct mtk_plan_entry *entry(const struct mtk_plan *p, const char *name)
{
	for (size_t i = 0; i < p->count; i++)
		if (strcasecmp(p->entries[i].name, name) == 0 || strcasecmp(p->entries[i].device_name, name) == 0)
			return &p->entries[i];
	fail_msg("no plan entry %s", name);
	return NULL;
}

static size_t count_match(const struct mtk_plan *p, enum mtk_plan_match m)
{
	size_t n = 0;
	for (size_t i = 0; i < p->count; i++)
		n += p->entries[i].match == m;
	return n;
}

static bool refused_with(const struct mtk_plan *p, const char *needle)
{
	for (size_t i = 0; i < p->nrefusals; i++)
		if (strstr(p->refusals[i], needle))
			return true;
	return false;
}

/* --------------------------------------------------------------- plans */

static void test_identical(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_opts o = { .scene = MTK_SCENE_DOWNLOAD };
	device(D6737, 0x0335, 16 * GIB, NULL, &fp);
	plan_with(D6737, &fp, &o, &plan);
	assert_false(plan.layout_change);
	assert_false(plan.impossible);
	assert_int_equal(count_match(&plan, MTK_MATCH_IDENTICAL), plan.count);
	assert_non_null(strstr(plan.chip_note, "variants sharing one BROM"));
	/* Download scene: preloader and protected unselected, system selected. */
	assert_int_equal(entry(&plan, "preloader")->action, MTK_ACT_SKIP);
	assert_int_equal(entry(&plan, "nvram")->action, MTK_ACT_KEEP);
	assert_int_equal(entry(&plan, "system")->action, MTK_ACT_WRITE);
	assert_false(plan.preloader_selected);
	assert_true(plan.incomplete); /* the fixture folder holds no images */
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

static const char *to_gpt_era(const char *name)
{
	return mtk_part_alias(name);
}

static void test_alias(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_opts o = { .scene = MTK_SCENE_DOWNLOAD };
	device(W6572, 0x6572, 4 * GIB, to_gpt_era, &fp);
	plan_with(W6572, &fp, &o, &plan);
	const struct mtk_plan_entry *e = entry(&plan, "ANDROID");
	assert_int_equal(e->match, MTK_MATCH_ALIAS);
	assert_string_equal(e->device_name, "system");
	assert_int_equal(entry(&plan, "USRDATA")->match, MTK_MATCH_ALIAS);
	assert_int_equal(entry(&plan, "BOOTIMG")->match, MTK_MATCH_ALIAS);
	assert_int_equal(entry(&plan, "UBOOT")->match, MTK_MATCH_ALIAS);
	assert_false(plan.layout_change);
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

static void test_moved(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_opts o = { .scene = MTK_SCENE_DOWNLOAD };
	device(K6737, 0x0335, 16 * GIB, NULL, &fp);
	plan_with(D6737, &fp, &o, &plan);
	assert_true(plan.layout_change);
	assert_true(count_match(&plan, MTK_MATCH_MOVED) > 0);
	assert_true(refused_with(&plan, "STATUS_PMT_CHANGED"));
	mtk_plan_free(&plan);
	o.scene = MTK_SCENE_UPGRADE;
	plan_with(D6737, &fp, &o, &plan);
	assert_true(plan.layout_change);
	assert_false(refused_with(&plan, "STATUS_PMT_CHANGED"));
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

static void test_impossible(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_opts o = { .scene = MTK_SCENE_UPGRADE };
	device(D6737, 0x0335, 16 * GIB, NULL, &fp);
	fp.storage.regions.size[MTK_REGION_USER] = 1 * GIB; /* a smaller eMMC */
	plan_with(D6737, &fp, &o, &plan);
	assert_true(plan.impossible);
	assert_true(plan.nrefusals > 0);
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

static void test_other_chip(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_opts o = { .scene = MTK_SCENE_DOWNLOAD };
	device(D6737, 0x0335, 16 * GIB, NULL, &fp);
	plan_with(M6735, &fp, &o, &plan);
	assert_true(plan.impossible);
	assert_true(refused_with(&plan, "package is for MT6735M"));
	mtk_plan_free(&plan);
	plan_with(T6737, &fp, &o, &plan); /* MT6737T: same BROM as MT6737 */
	assert_false(refused_with(&plan, "package is for"));
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

static void test_order(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_opts o = { .scene = MTK_SCENE_UPGRADE };
	device(D6737, 0x0335, 16 * GIB, NULL, &fp);
	plan_with(D6737, &fp, &o, &plan);
	assert_string_equal(plan.entries[plan.count - 1].name, "preloader");
	size_t sys = 0, boot = 0, lk = 0;
	for (size_t i = 0; i < plan.count; i++) {
		if (i)
			assert_true(plan.entries[i - 1].rank <= plan.entries[i].rank);
		sys = strcmp(plan.entries[i].name, "system") ? sys : i;
		boot = strcmp(plan.entries[i].name, "boot") ? boot : i;
		lk = strcmp(plan.entries[i].name, "lk") ? lk : i;
	}
	assert_true(sys < boot && sys < lk);
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

static void test_only_skip(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	const char *only[] = { "boot", "PRELOADER" }, *skip[] = { "system" }, *bad[] = { "nosuch" };
	struct mtk_plan_opts o = { .scene = MTK_SCENE_DOWNLOAD, .only = only, .nonly = 2 };
	device(D6737, 0x0335, 16 * GIB, NULL, &fp);
	plan_with(D6737, &fp, &o, &plan);
	assert_int_equal(entry(&plan, "boot")->action, MTK_ACT_WRITE);
	assert_int_equal(entry(&plan, "preloader")->action, MTK_ACT_WRITE);
	assert_true(plan.preloader_selected);
	assert_int_equal(entry(&plan, "system")->action, MTK_ACT_SKIP);
	mtk_plan_free(&plan);
	o = (struct mtk_plan_opts){ .scene = MTK_SCENE_DOWNLOAD, .skip = skip, .nskip = 1 };
	plan_with(D6737, &fp, &o, &plan);
	assert_int_equal(entry(&plan, "system")->action, MTK_ACT_SKIP);
	assert_int_equal(entry(&plan, "boot")->action, MTK_ACT_WRITE);
	mtk_plan_free(&plan);
	o = (struct mtk_plan_opts){ .scene = MTK_SCENE_DOWNLOAD, .only = bad, .nonly = 1 };
	struct mtk_scatter s;
	parse(D6737, &s);
	assert_int_equal(mtk_plan_build(ctx, &fp, &s, &o, &plan), MTK_E_NOTFOUND);
	assert_non_null(strstr(mtk_ctx_error(ctx), "nosuch"));
	mtk_scatter_free(&s);
	mtk_fingerprint_free(&fp);
}

/* The preloader is written twice: its copy into boot2 right before boot1,
 * both counted; the policy is the chip table's.  No boot2 area: not staged. */
static void test_staged_preloader(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	const char *only[] = { "preloader" };
	struct mtk_plan_opts o = { .scene = MTK_SCENE_DOWNLOAD, .only = only, .nonly = 1 };
	device(D6737, 0x0335, 16 * GIB, NULL, &fp);
	plan_with(D6737, &fp, &o, &plan);
	assert_true(plan.preloader_staged);
	assert_int_equal(plan.boot_select, MTK_BOOT_SELECT_BOOT1_ONLY);
	const struct mtk_plan_entry *copy = &plan.entries[plan.count - 2], *pl = &plan.entries[plan.count - 1];
	assert_string_equal(copy->name, "preloader" MTK_BOOT_COPY_SUFFIX);
	assert_true(copy->boot_copy);
	assert_int_equal(copy->region, MTK_REGION_BOOT2);
	assert_int_equal(copy->action, MTK_ACT_WRITE);
	assert_string_equal(copy->image, pl->image);
	assert_string_equal(pl->name, "preloader");
	assert_false(pl->boot_copy);
	assert_int_equal(pl->region, MTK_REGION_BOOT1);
	assert_int_equal(plan.total_bytes, copy->bytes + pl->bytes);
	assert_non_null(strstr(plan.preloader_note, "boot1 only"));
	json_t *j = mtk_plan_to_json(&plan);
	assert_true(json_is_true(json_object_get(json_object_get(j, "preloader_staging"), "staged")));
	json_decref(j);
	mtk_plan_free(&plan);
	fp.storage.regions.size[MTK_REGION_BOOT2] = 0;
	plan_with(D6737, &fp, &o, &plan);
	assert_false(plan.preloader_staged);
	assert_string_equal(plan.entries[plan.count - 1].name, "preloader");
	assert_string_not_equal(plan.entries[plan.count - 2].name, "preloader" MTK_BOOT_COPY_SUFFIX);
	assert_non_null(strstr(plan.preloader_note, "no boot2 area"));
	mtk_plan_free(&plan);
	fp.brom.hw_code = 0x6580; /* another chip: refused, but its policy is still the table's */
	fp.brom.chip = mtk_chip_by_hw_code(0x6580);
	fp.storage.regions.size[MTK_REGION_BOOT2] = 4u << 20;
	plan_with(D6737, &fp, &o, &plan);
	assert_int_equal(plan.boot_select, MTK_BOOT_SELECT_EXT_CSD);
	assert_non_null(strstr(plan.preloader_note, "no known DA command"));
	assert_non_null(strstr(plan.preloader_note, "cover the window")); /* whole, not cut off */
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

/* BOOT_PARTITION_ENABLE moves only where the BootROM follows it and the DA
 * can set it; the writes are always boot2 first. */
static void test_preloader_substeps(void **state)
{
	(void)state;
	enum mtk_pl_substep s[MTK_PL_MAX_SUBSTEPS];
	assert_int_equal(mtk_preloader_substeps(MTK_BOOT_SELECT_BOOT1_ONLY, true, s), 2);
	assert_int_equal(s[0], MTK_PL_WRITE_BOOT2);
	assert_int_equal(s[1], MTK_PL_WRITE_BOOT1);
	assert_int_equal(mtk_preloader_substeps(MTK_BOOT_SELECT_EXT_CSD, false, s), 2);
	assert_int_equal(s[0], MTK_PL_WRITE_BOOT2);
	assert_int_equal(mtk_preloader_substeps(MTK_BOOT_SELECT_EXT_CSD, true, s), 4);
	assert_int_equal(s[0], MTK_PL_WRITE_BOOT2);
	assert_int_equal(s[1], MTK_PL_SELECT_BOOT2);
	assert_int_equal(s[2], MTK_PL_WRITE_BOOT1);
	assert_int_equal(s[3], MTK_PL_SELECT_BOOT1);
	assert_string_equal(mtk_pl_substep_name(MTK_PL_SELECT_BOOT2), "select-boot2");
	assert_non_null(strstr(mtk_preloader_policy_text(MTK_BOOT_SELECT_EXT_CSD, true), "back at boot1"));
}

static void test_scenes(void **state)
{
	(void)state;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_plan_opts o = { .scene = MTK_SCENE_UPGRADE };
	device(D6737, 0x0335, 16 * GIB, NULL, &fp);
	plan_with(D6737, &fp, &o, &plan);
	assert_int_equal(entry(&plan, "nvram")->action, MTK_ACT_BACKUP);
	assert_int_equal(entry(&plan, "preloader")->action, MTK_ACT_WRITE);
	assert_false(plan.protected_written);
	mtk_plan_free(&plan);
	o.scene = MTK_SCENE_FORMAT_ALL;
	plan_with(D6737, &fp, &o, &plan);
	assert_int_equal(entry(&plan, "nvram")->action, MTK_ACT_ERASE);
	assert_true(entry(&plan, "system")->erase_first);
	assert_int_equal(entry(&plan, "pgpt")->action, MTK_ACT_KEEP);
	assert_true(plan.protected_erased);
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
}

/* ---------------------------------------------------------------- risk */

static void assess(const struct mtk_fingerprint *fp, const struct mtk_plan *p, const struct mtk_risk_input *in,
		   struct mtk_risk *r)
{
	assert_int_equal(mtk_risk_assess(ctx, fp, p, in, r), 0);
}

static enum mtk_risk_state st(const struct mtk_risk *r, const char *name)
{
	const struct mtk_risk_item *it = mtk_risk_item(r, name);
	assert_non_null(it);
	return it->state;
}

static const struct mtk_risk_input signed_with_backup = {
	.have_manifest = true, .sig = MTK_SIG_TRUSTED, .nvram_backup_on_record = true, .battery_mv = -1
};

static void test_risk_clean(void **state)
{
	(void)state;
	struct mtk_fingerprint fp = { 0 };
	struct mtk_plan p = { .scene = MTK_SCENE_DOWNLOAD, .emi_pick = -2 };
	struct mtk_risk r;
	assess(&fp, &p, &signed_with_backup, &r);
	assert_int_equal(r.score, 0);
	assert_int_equal(r.level, MTK_RISK_LOW);
	assert_int_equal(st(&r, "battery_low"), MTK_RISK_UNKNOWN);
	struct mtk_decision d;
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SAFE, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_ALLOW);
}

/* Each factor on its own: active, and its weight is its contribution. */
static void test_risk_each_factor(void **state)
{
	(void)state;
	struct mtk_fingerprint fp = { 0 };
	struct mtk_risk r;
	struct {
		const char *name;
		struct mtk_plan p;
		struct mtk_risk_input in;
		uint32_t tc;
		bool brom;
	} cases[] = {
		{ "preloader_selected", { .preloader_selected = true }, signed_with_backup, 0, false },
		{ "layout_change", { .layout_change = true }, signed_with_backup, 0, false },
		{ "protected_touched", { .protected_written = true }, signed_with_backup, 0, false },
		{ "no_nvram_backup", { 0 }, { .have_manifest = true, .sig = MTK_SIG_TRUSTED, .battery_mv = -1 }, 0, false },
		{ "package_unsigned", { 0 }, { .nvram_backup_on_record = true, .battery_mv = -1 }, 0, false },
		{ "checksum_mismatch", { 0 }, { .have_manifest = true, .sig = MTK_SIG_BAD, .nvram_backup_on_record = true,
						 .battery_mv = -1 }, 0, false },
		{ "format_all", { .scene = MTK_SCENE_FORMAT_ALL }, signed_with_backup, 0, false },
		{ "battery_low", { 0 }, { .have_manifest = true, .sig = MTK_SIG_TRUSTED, .nvram_backup_on_record = true,
					  .battery_mv = 3300 }, 0, false },
		{ "brom_large_write", { .total_bytes = 1ull << 30 }, signed_with_backup, 0, true },
		{ "secure_unsigned", { .preloader_selected = true, .have_pkg_preloader = true }, signed_with_backup,
		  MTK_TGT_SBC, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fp.brom.target_config = cases[i].tc;
		fp.brom.mode = cases[i].brom ? MTK_MODE_BROM : MTK_MODE_PRELOADER;
		cases[i].p.emi_pick = cases[i].p.have_pkg_preloader ? 0 : -2;
		assess(&fp, &cases[i].p, &cases[i].in, &r);
		const struct mtk_risk_item *it = mtk_risk_item(&r, cases[i].name);
		if (it->state != MTK_RISK_ACTIVE)
			fail_msg("%s: not active", cases[i].name);
		assert_int_equal(it->contribution, it->factor->weight);
		assert_true(r.score >= it->factor->weight || r.score == 100);
	}
}

static void test_risk_emi_and_board(void **state)
{
	(void)state;
	struct mtk_fingerprint fp = { .brom = { .hw_code = 0x0335 }, .have_preloader = true, .dram_id_len = 9 };
	fp.brom.chip = mtk_chip_by_hw_code(0x0335);
	snprintf(fp.preloader.board, sizeof fp.preloader.board, "board_a");
	struct mtk_plan p = { .have_pkg_preloader = true, .emi_pick = -1 };
	snprintf(p.pkg_preloader.board, sizeof p.pkg_preloader.board, "board_b");
	struct mtk_risk r;
	assess(&fp, &p, &signed_with_backup, &r);
	assert_int_equal(st(&r, "emi_missing"), MTK_RISK_ACTIVE);
	assert_int_equal(st(&r, "preloader_foreign"), MTK_RISK_ACTIVE);
	assert_int_equal(r.level, MTK_RISK_HIGH);
	snprintf(p.pkg_preloader.platform, sizeof p.pkg_preloader.platform, "MT6580");
	snprintf(p.pkg_preloader.board, sizeof p.pkg_preloader.board, "board_a");
	assess(&fp, &p, &signed_with_backup, &r);
	assert_non_null(strstr(mtk_risk_item(&r, "preloader_foreign")->detail, "MT6580"));
}

static void test_decide_modes(void **state)
{
	(void)state;
	struct mtk_fingerprint fp = { 0 };
	struct mtk_risk r;
	struct mtk_decision d;
	/* Medium: preloader + layout change (35). */
	struct mtk_plan p = { .preloader_selected = true, .layout_change = true, .emi_pick = -2 };
	assess(&fp, &p, &signed_with_backup, &r);
	assert_int_equal(r.level, MTK_RISK_MEDIUM);
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SAFE, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_REFUSE);
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_QUICK, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_CONFIRM);
	/* Unsigned: safe refuses by name, quick only scores it. */
	struct mtk_risk_input unsigned_pkg = { .nvram_backup_on_record = true, .battery_mv = -1 };
	struct mtk_plan q = { .emi_pick = -2 };
	assess(&fp, &q, &unsigned_pkg, &r);
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SAFE, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_REFUSE);
	assert_non_null(strstr(d.reasons[0], "package_unsigned"));
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_QUICK, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_ALLOW);
}

static void test_decide_service(void **state)
{
	(void)state;
	struct mtk_fingerprint fp = { 0 };
	struct mtk_risk r;
	struct mtk_decision d;
	struct mtk_risk_input bad = signed_with_backup;
	bad.checksum_mismatch = true;
	struct mtk_plan p = { .emi_pick = -2 };
	assess(&fp, &p, &bad, &r);
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_QUICK, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_REFUSE);
	const char *names[] = { "checksum_mismatch" };
	struct mtk_overrides ov = { names, 1, true };
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_QUICK, &ov, &d), MTK_E_INVAL); /* not in service */
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SERVICE, &ov, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_ALLOW);
	assert_int_equal(d.noverridden, 1);
	assert_int_equal(d.score, 0);
	ov.service_unlocked = false;
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SERVICE, &ov, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_REFUSE);
	const char *hard[] = { "storage_too_small" }, *unknown[] = { "nope" };
	struct mtk_overrides h = { hard, 1, true }, u = { unknown, 1, true };
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SERVICE, &h, &d), MTK_E_INVAL);
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SERVICE, &u, &d), MTK_E_INVAL);
}

static void test_format_all_needs_backup(void **state)
{
	(void)state;
	struct mtk_fingerprint fp = { 0 };
	struct mtk_risk r;
	struct mtk_decision d;
	struct mtk_plan p = { .scene = MTK_SCENE_FORMAT_ALL, .emi_pick = -2 };
	struct mtk_risk_input none = signed_with_backup;
	none.nvram_backup_on_record = false;
	assess(&fp, &p, &none, &r);
	assert_int_equal(st(&r, "format_all_no_backup"), MTK_RISK_ACTIVE);
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SAFE, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_REFUSE);
	assess(&fp, &p, &signed_with_backup, &r);
	assert_int_equal(mtk_risk_decide(ctx, &r, MTK_FMODE_SAFE, NULL, &d), 0);
	assert_int_equal(d.verdict, MTK_VERDICT_ALLOW);
}

static void test_factor_table(void **state)
{
	(void)state;
	size_t n;
	const struct mtk_risk_factor *f = mtk_risk_factors(&n);
	assert_true(n > 10 && n <= MTK_RISK_MAX);
	for (size_t i = 0; i < n; i++) {
		assert_true(f[i].weight > 0 && f[i].weight <= 100);
		assert_ptr_equal(mtk_risk_factor_by_name(f[i].name), &f[i]);
	}
	assert_int_equal(mtk_scene_parse("format-all"), MTK_SCENE_FORMAT_ALL);
	assert_int_equal(mtk_mode_parse("quick"), MTK_FMODE_QUICK);
	assert_int_equal(mtk_mode_parse("unsafe"), -1);
}

int main(void)
{
	ctx = mtk_ctx_new();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),      cmocka_unit_test(test_alias),
		cmocka_unit_test(test_moved),          cmocka_unit_test(test_impossible),
		cmocka_unit_test(test_other_chip),     cmocka_unit_test(test_order),
		cmocka_unit_test(test_only_skip),      cmocka_unit_test(test_scenes),
		cmocka_unit_test(test_risk_clean),     cmocka_unit_test(test_risk_each_factor),
		cmocka_unit_test(test_risk_emi_and_board), cmocka_unit_test(test_decide_modes),
		cmocka_unit_test(test_decide_service), cmocka_unit_test(test_format_all_needs_backup),
		cmocka_unit_test(test_factor_table),   cmocka_unit_test(test_staged_preloader),
		cmocka_unit_test(test_preloader_substeps),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	mtk_ctx_free(ctx);
	return rc;
}
