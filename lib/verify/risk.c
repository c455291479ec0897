/* SPDX-License-Identifier: MIT */
/* The risk score: named factors with weights (one table), each factor's
 * contribution, and the mode's policy on the result. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/verify.h"

/* Refused in safe mode unless overridden in service mode. */
#define SAFE MTK_RISK_SAFE_REFUSES
/* Refused in safe and quick mode unless overridden in service mode. */
#define STRICT (MTK_RISK_SAFE_REFUSES | MTK_RISK_QUICK_REFUSES)
#define HARD (MTK_RISK_HARD | STRICT)

/* A BROM-mode phone usually has its battery out (SP Flash Tool's advice):
 * a long write then rides on USB power alone. */
#define LARGE_WRITE (256ull << 20)
#define BATTERY_LOW_MV 3500

/* clang-format off */
static const struct mtk_risk_factor factors[] = {
	{ "chip_mismatch",        100, HARD,   "the package is for another chip or storage type" },
	{ "storage_too_small",    100, HARD,   "the layout does not fit the device's storage" },
	{ "emi_missing",           70, STRICT, "the package's preloader has no EMI record for this device's DRAM (hard brick)" },
	{ "preloader_foreign",     60, STRICT, "the package's preloader was built for another chip or board" },
	{ "checksum_mismatch",     60, STRICT, "Checksum.ini, SHA256SUMS or its signature disagrees with the package" },
	{ "secure_unsigned",       30, SAFE,   "secure boot (SBC/DAA) is on and the images are not signed for it" },
	{ "layout_change",         20, 0,      "the partition table must change" },
	{ "preloader_selected",    15, 0,      "the preloader will be written" },
	{ "protected_touched",     10, 0,      "device-unique partitions (IMEI, calibration) would be written or erased" },
	{ "format_all_no_backup",  30, SAFE,   "format-all with no NVRAM backup on record" },
	{ "no_nvram_backup",       10, 0,      "no NVRAM backup on record for this device" },
	{ "package_unsigned",      15, SAFE,   "the package is unsigned or signed by an untrusted key" },
	{ "format_all",             5, 0,      "the whole flash is erased first" },
	{ "battery_low",           30, SAFE,   "the battery is low" },
	{ "brom_large_write",      10, 0,      "BROM mode (often battery-less) with a large write" },
};
/* clang-format on */
#define NFACTORS (sizeof factors / sizeof factors[0])
_Static_assert(NFACTORS <= MTK_RISK_MAX, "MTK_RISK_MAX too small");

const struct mtk_risk_factor *mtk_risk_factors(size_t *count)
{
	if (count)
		*count = NFACTORS;
	return factors;
}

const struct mtk_risk_factor *mtk_risk_factor_by_name(const char *name)
{
	for (size_t i = 0; name && i < NFACTORS; i++)
		if (strcmp(factors[i].name, name) == 0)
			return &factors[i];
	return NULL;
}

static const char *const state_names[] = { "no", "yes", "unknown" };
static const char *const level_names[] = { "low", "medium", "high" };
static const char *const mode_names[] = { "safe", "quick", "service" };
static const char *const verdict_names[] = { "allow", "confirm", "refuse" };
#define NAME_OF(tbl, v) ((unsigned)(v) < sizeof tbl / sizeof tbl[0] ? tbl[v] : "?")

const char *mtk_risk_state_name(enum mtk_risk_state s)
{
	return NAME_OF(state_names, s);
}

const char *mtk_risk_level_name(enum mtk_risk_level l)
{
	return NAME_OF(level_names, l);
}

const char *mtk_mode_name(enum mtk_flash_mode m)
{
	return NAME_OF(mode_names, m);
}

const char *mtk_verdict_name(enum mtk_verdict v)
{
	return NAME_OF(verdict_names, v);
}

int mtk_mode_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof mode_names / sizeof mode_names[0]; i++)
		if (strcmp(s, mode_names[i]) == 0)
			return (int)i;
	return -1;
}

enum mtk_risk_level mtk_risk_level_of(unsigned score)
{
	return score >= MTK_RISK_HIGH_AT ? MTK_RISK_HIGH : score >= MTK_RISK_MEDIUM_AT ? MTK_RISK_MEDIUM : MTK_RISK_LOW;
}

/* ------------------------------------------------------------ assessing */

struct assess {
	const struct mtk_fingerprint *fp;
	const struct mtk_plan *plan;
	const struct mtk_risk_input *in;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static enum mtk_risk_state say(struct mtk_risk_item *it, enum mtk_risk_state st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof it->detail, fmt, ap);
	va_end(ap);
	return st;
}

static enum mtk_risk_state f_chip(const struct assess *a, struct mtk_risk_item *it)
{
	for (size_t i = 0; i < a->plan->nrefusals; i++)
		if (strstr(a->plan->refusals[i], "package is for") || strstr(a->plan->refusals[i], "chip table"))
			return say(it, MTK_RISK_ACTIVE, "%s", a->plan->refusals[i]);
	return say(it, MTK_RISK_INACTIVE, "%s", a->plan->chip_note);
}

static enum mtk_risk_state f_storage(const struct assess *a, struct mtk_risk_item *it)
{
	for (size_t i = 0; i < a->plan->count; i++)
		if (a->plan->entries[i].match == MTK_MATCH_IMPOSSIBLE)
			return say(it, MTK_RISK_ACTIVE, "%s: %s", a->plan->entries[i].name, a->plan->entries[i].note);
	for (size_t i = 0; i < a->plan->nrefusals; i++)
		if (strstr(a->plan->refusals[i], "does not fit") || strstr(a->plan->refusals[i], "storage"))
			return say(it, MTK_RISK_ACTIVE, "%s", a->plan->refusals[i]);
	return MTK_RISK_INACTIVE;
}

static enum mtk_risk_state f_emi(const struct assess *a, struct mtk_risk_item *it)
{
	const struct mtk_plan *p = a->plan;
	if (!p->have_pkg_preloader)
		return say(it, MTK_RISK_UNKNOWN, "the package has no readable preloader");
	if (p->emi_pick == -2)
		return say(it, MTK_RISK_UNKNOWN, "not checked: discrete DRAM parts or no flash id from the device");
	if (p->emi_pick >= 0)
		return say(it, MTK_RISK_INACTIVE, "record %d matches the device's DRAM id", p->emi_pick);
	char id[2 * MTK_EMI_ID_MAX + 1];
	mtk_hex_encode(id, a->fp->dram_id, a->fp->dram_id_len);
	return say(it, MTK_RISK_ACTIVE, "no record of %u for DRAM id %s%s", p->pkg_preloader.emi_count, id,
		   p->preloader_selected ? "" : " (the package is for another board)");
}

static enum mtk_risk_state f_foreign(const struct assess *a, struct mtk_risk_item *it)
{
	const struct mtk_preloader_info *pl = &a->plan->pkg_preloader;
	if (!a->plan->have_pkg_preloader)
		return say(it, MTK_RISK_UNKNOWN, "the package has no readable preloader");
	char note[160];
	if (pl->platform[0] && mtk_plan_match_chip(pl->platform, &a->fp->brom, note, sizeof note) < 0)
		return say(it, MTK_RISK_ACTIVE, "preloader: %s", note);
	const struct mtk_preloader_info *cur = &a->fp->preloader;
	if (a->fp->have_preloader && cur->board[0] && pl->board[0] && strcasecmp(cur->board, pl->board) != 0)
		return say(it, MTK_RISK_ACTIVE, "package preloader is for board '%s', the device runs '%s'", pl->board,
			   cur->board);
	return say(it, MTK_RISK_INACTIVE, "%s", pl->board[0] ? pl->board : pl->name);
}

static enum mtk_risk_state f_checksum(const struct assess *a, struct mtk_risk_item *it)
{
	if (a->in->checksum_mismatch)
		return say(it, MTK_RISK_ACTIVE, "%s", a->in->checksum_detail);
	if (a->in->have_manifest && a->in->sig == MTK_SIG_BAD)
		return say(it, MTK_RISK_ACTIVE, "the SHA256SUMS signature does not verify");
	return MTK_RISK_INACTIVE;
}

static enum mtk_risk_state f_secure(const struct assess *a, struct mtk_risk_item *it)
{
	if (!(a->fp->brom.target_config & (MTK_TGT_SBC | MTK_TGT_DAA)))
		return MTK_RISK_INACTIVE;
	const struct mtk_plan *p = a->plan;
	if (p->preloader_selected && p->have_pkg_preloader && p->pkg_preloader.sig_len == 0)
		return say(it, MTK_RISK_ACTIVE, "secure boot is on and the package's preloader carries no signature");
	return say(it, MTK_RISK_UNKNOWN, "secure boot is on; vendor signatures on the images cannot be checked here");
}

static enum mtk_risk_state flag(bool on)
{
	return on ? MTK_RISK_ACTIVE : MTK_RISK_INACTIVE;
}

static enum mtk_risk_state f_layout(const struct assess *a, struct mtk_risk_item *it)
{
	(void)it;
	return flag(a->plan->layout_change);
}

static enum mtk_risk_state f_preloader(const struct assess *a, struct mtk_risk_item *it)
{
	(void)it;
	return flag(a->plan->preloader_selected);
}

static enum mtk_risk_state f_protected(const struct assess *a, struct mtk_risk_item *it)
{
	const struct mtk_plan *p = a->plan;
	if (p->protected_written || p->protected_erased)
		return say(it, MTK_RISK_ACTIVE, "%s", p->protected_written ? "written" : "erased");
	return MTK_RISK_INACTIVE;
}

static enum mtk_risk_state f_format_backup(const struct assess *a, struct mtk_risk_item *it)
{
	(void)it;
	return flag(a->plan->scene == MTK_SCENE_FORMAT_ALL && !a->in->nvram_backup_on_record);
}

static enum mtk_risk_state f_backup(const struct assess *a, struct mtk_risk_item *it)
{
	(void)it;
	return flag(!a->in->nvram_backup_on_record);
}

static enum mtk_risk_state f_unsigned(const struct assess *a, struct mtk_risk_item *it)
{
	if (!a->in->have_manifest)
		return say(it, MTK_RISK_ACTIVE, "no SHA256SUMS");
	if (a->in->sig == MTK_SIG_UNSIGNED || a->in->sig == MTK_SIG_UNKNOWN_KEY)
		return say(it, MTK_RISK_ACTIVE, "%s", mtk_sig_state_name(a->in->sig));
	return MTK_RISK_INACTIVE;
}

static enum mtk_risk_state f_format(const struct assess *a, struct mtk_risk_item *it)
{
	(void)it;
	return flag(a->plan->scene == MTK_SCENE_FORMAT_ALL);
}

static enum mtk_risk_state f_battery(const struct assess *a, struct mtk_risk_item *it)
{
	if (a->in->battery_mv < 0)
		return say(it, MTK_RISK_UNKNOWN, "not reported: the legacy DA's GET_BATTERY_VOLTAGE (0xD0) exchange "
						 "is not documented");
	return say(it, flag(a->in->battery_mv < BATTERY_LOW_MV), "%d mV", a->in->battery_mv);
}

static enum mtk_risk_state f_brom(const struct assess *a, struct mtk_risk_item *it)
{
	bool brom = a->fp->brom.mode == MTK_MODE_BROM;
	if (!brom)
		return MTK_RISK_INACTIVE;
	return say(it, flag(a->plan->total_bytes > LARGE_WRITE), "BROM mode, %llu MiB to write",
		   (unsigned long long)(a->plan->total_bytes >> 20));
}

/* In the order of factors[]. */
static enum mtk_risk_state (*const evaluators[])(const struct assess *, struct mtk_risk_item *) = {
	f_chip,     f_storage,       f_emi,    f_foreign,  f_checksum, f_secure, f_layout, f_preloader,
	f_protected, f_format_backup, f_backup, f_unsigned, f_format,   f_battery, f_brom,
};
_Static_assert(sizeof evaluators / sizeof evaluators[0] == NFACTORS, "one evaluator per factor");

int mtk_risk_assess(mtk_ctx *ctx, const struct mtk_fingerprint *fp, const struct mtk_plan *plan,
		    const struct mtk_risk_input *in, struct mtk_risk *out)
{
	if (!fp || !plan || !in || !out)
		return mtk_fail(ctx, MTK_E_INVAL, "mtk_risk_assess: missing argument");
	memset(out, 0, sizeof *out);
	const struct assess a = { fp, plan, in };
	unsigned sum = 0;
	for (size_t i = 0; i < NFACTORS; i++) {
		struct mtk_risk_item *it = &out->items[out->count++];
		it->factor = &factors[i];
		it->state = evaluators[i](&a, it);
		it->contribution = it->state == MTK_RISK_ACTIVE ? factors[i].weight : 0;
		sum += it->contribution;
	}
	out->score = sum > 100 ? 100 : sum;
	out->level = mtk_risk_level_of(out->score);
	return 0;
}

const struct mtk_risk_item *mtk_risk_item(const struct mtk_risk *r, const char *name)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->items[i].factor->name, name) == 0)
			return &r->items[i];
	return NULL;
}

/* ------------------------------------------------------------- deciding */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void reason(struct mtk_decision *d, const char *fmt, ...)
{
	if (d->nreasons >= MTK_DECISION_MAX_REASONS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->reasons[d->nreasons++], sizeof d->reasons[0], fmt, ap);
	va_end(ap);
}

static void worsen(struct mtk_decision *d, enum mtk_verdict v)
{
	if (v > d->verdict)
		d->verdict = v;
}

static int check_overrides(mtk_ctx *ctx, enum mtk_flash_mode mode, const struct mtk_overrides *ov)
{
	for (size_t i = 0; ov && i < ov->count; i++) {
		const struct mtk_risk_factor *f = mtk_risk_factor_by_name(ov->names[i]);
		if (!f)
			return mtk_fail(ctx, MTK_E_INVAL, "--override %s: no such risk factor (see docs/verified-mode.md)",
					ov->names[i]);
		if (f->flags & MTK_RISK_HARD)
			return mtk_fail(ctx, MTK_E_INVAL, "--override %s: %s cannot be overridden", f->name, f->what);
		if (mode != MTK_FMODE_SERVICE)
			return mtk_fail(ctx, MTK_E_INVAL, "--override %s: overrides need --mode service", f->name);
	}
	return 0;
}

static bool overridden(const struct mtk_overrides *ov, const char *name)
{
	for (size_t i = 0; ov && i < ov->count; i++)
		if (strcmp(ov->names[i], name) == 0)
			return true;
	return false;
}

/* A factor that refuses in this mode whatever the score. */
static bool refuses_in(const struct mtk_risk_factor *f, enum mtk_flash_mode mode)
{
	if (f->flags & MTK_RISK_HARD)
		return true;
	if (mode == MTK_FMODE_SAFE)
		return f->flags & MTK_RISK_SAFE_REFUSES;
	return f->flags & MTK_RISK_QUICK_REFUSES; /* quick, and service for what it did not override */
}

static void score_policy(struct mtk_decision *d, enum mtk_flash_mode mode)
{
	if (d->level == MTK_RISK_HIGH) {
		worsen(d, MTK_VERDICT_REFUSE);
		reason(d, "high risk (score %u) is refused in %s mode", d->score, mtk_mode_name(mode));
	} else if (d->level == MTK_RISK_MEDIUM && mode == MTK_FMODE_SAFE) {
		worsen(d, MTK_VERDICT_REFUSE);
		reason(d, "medium risk (score %u) is refused in safe mode (--mode quick asks instead)", d->score);
	} else if (d->level == MTK_RISK_MEDIUM) {
		worsen(d, MTK_VERDICT_CONFIRM);
		reason(d, "medium risk (score %u): proceed only on an explicit yes", d->score);
	}
}

int mtk_risk_decide(mtk_ctx *ctx, const struct mtk_risk *risk, enum mtk_flash_mode mode, const struct mtk_overrides *ov,
		    struct mtk_decision *out)
{
	memset(out, 0, sizeof *out);
	int rc = check_overrides(ctx, mode, ov);
	if (rc < 0)
		return rc;
	if (mode == MTK_FMODE_SERVICE && !(ov && ov->service_unlocked)) {
		out->verdict = MTK_VERDICT_REFUSE;
		reason(out, "service mode is locked: it needs the service passphrase");
	}
	unsigned sum = 0;
	for (size_t i = 0; i < risk->count; i++) {
		const struct mtk_risk_item *it = &risk->items[i];
		if (it->state != MTK_RISK_ACTIVE)
			continue;
		if (overridden(ov, it->factor->name)) {
			out->overridden[out->noverridden++] = it->factor->name;
			continue;
		}
		sum += it->contribution;
		if (refuses_in(it->factor, mode)) {
			worsen(out, MTK_VERDICT_REFUSE);
			reason(out, "%s: %s%s%s", it->factor->name, it->factor->what, it->detail[0] ? ": " : "",
			       it->detail);
		}
	}
	out->score = sum > 100 ? 100 : sum;
	out->level = mtk_risk_level_of(out->score);
	score_policy(out, mode);
	return 0;
}

/* ------------------------------------------------------------------ JSON */

json_t *mtk_risk_to_json(const struct mtk_risk *r)
{
	json_t *o = json_object(), *a = json_array();
	for (size_t i = 0; i < r->count; i++) {
		const struct mtk_risk_item *it = &r->items[i];
		json_t *e = json_object();
		json_object_set_new(e, "factor", json_string(it->factor->name));
		json_object_set_new(e, "state", json_string(mtk_risk_state_name(it->state)));
		json_object_set_new(e, "weight", json_integer(it->factor->weight));
		json_object_set_new(e, "contribution", json_integer(it->contribution));
		json_t *detail = json_string(it->detail);
		json_object_set_new(e, "detail", detail ? detail : json_string("(not UTF-8)"));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "score", json_integer(r->score));
	json_object_set_new(o, "level", json_string(mtk_risk_level_name(r->level)));
	json_object_set_new(o, "factors", a);
	return o;
}

json_t *mtk_decision_to_json(const struct mtk_decision *d)
{
	json_t *o = json_object(), *r = json_array(), *ov = json_array();
	for (size_t i = 0; i < d->nreasons; i++) {
		json_t *s = json_string(d->reasons[i]);
		json_array_append_new(r, s ? s : json_string("(not UTF-8)"));
	}
	for (size_t i = 0; i < d->noverridden; i++)
		json_array_append_new(ov, json_string(d->overridden[i]));
	json_object_set_new(o, "verdict", json_string(mtk_verdict_name(d->verdict)));
	json_object_set_new(o, "score", json_integer(d->score));
	json_object_set_new(o, "level", json_string(mtk_risk_level_name(d->level)));
	json_object_set_new(o, "reasons", r);
	json_object_set_new(o, "overridden", ov);
	return o;
}
