/* SPDX-License-Identifier: MIT */
#include "plan_text.h"

#include <glib.h>

/* Names listed before "and N more". */
#define NAMES_SHOWN 3

char *gui_device_sentence(const struct mtk_fingerprint *fp)
{
	const char *chip = fp->brom.chip ? fp->brom.chip->name : "an unknown chip";
	char *user = g_format_size(fp->storage.regions.size[MTK_REGION_USER]);
	char *s = g_strdup_printf("%s in %s mode, %s storage (%s user area). Device %s.", chip,
				  fp->brom.mode == MTK_MODE_BROM ? "BootROM" : "preloader", fp->storage.type, user,
				  fp->device_id);
	g_free(user);
	return s;
}

static const char *entry_name(const struct mtk_plan_entry *e)
{
	return e->name[0] ? e->name : e->device_name;
}

/* "a, b, c and 5 more" */
static void append_names(GString *out, const struct mtk_plan *p, bool (*want)(const struct mtk_plan_entry *))
{
	size_t n = 0, total = 0;
	for (size_t i = 0; i < p->count; i++)
		total += want(&p->entries[i]);
	for (size_t i = 0; i < p->count && n < NAMES_SHOWN; i++) {
		if (!want(&p->entries[i]))
			continue;
		n++;
		g_string_append_printf(out, "%s%s", n == 1 ? "" : (n == total ? " and " : ", "), entry_name(&p->entries[i]));
	}
	if (total > n)
		g_string_append_printf(out, " and %zu more", total - n);
}

static bool is_write(const struct mtk_plan_entry *e)
{
	return e->action == MTK_ACT_WRITE && !e->boot_copy;
}

static bool is_protected(const struct mtk_plan_entry *e)
{
	return e->cls == MTK_PCLASS_PROTECTED;
}

static size_t count_if(const struct mtk_plan *p, bool (*want)(const struct mtk_plan_entry *))
{
	size_t n = 0;
	for (size_t i = 0; i < p->count; i++)
		n += want(&p->entries[i]);
	return n;
}

static void protected_clause(GString *s, const struct mtk_job_plan *jp)
{
	const struct mtk_plan *p = jp->plan;
	if (!count_if(p, is_protected))
		return;
	g_string_append(s, "; your IMEI and calibration partitions (");
	append_names(s, p, is_protected);
	if (p->protected_written || p->protected_erased)
		g_string_append(s, ") are backed up first, then changed");
	else if (jp->scene != MTK_SCENE_DOWNLOAD)
		g_string_append(s, ") are backed up first and restored");
	else
		g_string_append(s, ") are not touched");
}

char *gui_plan_sentence(const struct mtk_job_plan *jp)
{
	const struct mtk_plan *p = jp->plan;
	GString *s = g_string_new(NULL);
	if (!count_if(p, is_write)) {
		g_string_append(s, "Nothing would be written");
	} else {
		append_names(s, p, is_write);
		char *size = g_format_size(p->total_bytes);
		g_string_append_printf(s, " will be written and read back (%s)", size);
		g_free(size);
	}
	protected_clause(s, jp);
	g_string_append(s, ".");
	if (p->preloader_selected)
		g_string_append(s, " The preloader is written last, a copy first, so a cut never leaves none.");
	for (size_t i = 0; i < p->nrefusals; i++)
		g_string_append_printf(s, "\nCannot go ahead: %s", p->refusals[i]);
	return g_string_free(s, FALSE);
}

char *gui_factor_sentence(const struct mtk_risk_item *it)
{
	const char *mark = it->state == MTK_RISK_ACTIVE ? "Risk" : "Unknown";
	if (it->detail[0])
		return g_strdup_printf("%s \"%s\": %s — %s (+%u points).", mark, it->factor->name, it->factor->what,
				       it->detail, it->contribution);
	return g_strdup_printf("%s \"%s\": %s (+%u points).", mark, it->factor->name, it->factor->what,
			       it->contribution);
}

char *gui_verdict_sentence(const struct mtk_job_plan *p)
{
	const struct mtk_decision *d = p->decision;
	GString *s = g_string_new(NULL);
	if (p->refused)
		g_string_append_printf(s, "Refused: %s", p->refusal && p->refusal[0] ? p->refusal : "see the reasons");
	else if (d->verdict == MTK_VERDICT_ALLOW)
		g_string_append_printf(s, "Allowed in %s mode: press Flash.", mtk_mode_name(p->mode));
	else
		g_string_append_printf(s, "In %s mode this risk needs your consent: tick \"I accept this risk\", then Flash.",
				       mtk_mode_name(p->mode));
	for (size_t i = 0; i < d->nreasons; i++)
		g_string_append_printf(s, "\n• %s", d->reasons[i]);
	return g_string_free(s, FALSE);
}
