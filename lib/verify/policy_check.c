/* SPDX-License-Identifier: MIT */
/* Applying a policy (include/mtkflash/policy.h): to the command line before
 * a device is touched, then to the plan.  Pure functions of their
 * arguments, so a batch checks one loaded policy from many threads. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mtkflash/policy.h"
#include "mtkflash/session.h"
#include "mtkflash/storage.h"
#include "mtkflash/util.h"

MTK_PRINTF(3, 4)
static void refuse(struct mtk_policy_verdict *v, const char *rule, const char *fmt, ...)
{
	if (v->count == MTK_POLICY_MAX_REFUSALS) {
		v->truncated = true;
		return;
	}
	struct mtk_policy_refusal *r = &v->refusals[v->count++];
	r->rule = rule;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
}

const char *mtk_policy_refusal_text(const struct mtk_policy_refusal *r, char *out, size_t cap)
{
	snprintf(out, cap, "refused by policy rule \"%s\": %s", r->rule, r->detail);
	return out;
}

json_t *mtk_policy_verdict_to_json(const struct mtk_policy_verdict *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->count; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "rule", v->refusals[i].rule, "detail",
						    v->refusals[i].detail));
	return a;
}

static bool names_has(const struct mtk_policy_names *l, const char *name)
{
	for (size_t i = 0; name && name[0] && i < l->count; i++)
		if (mtk_part_name_eq(l->name[i], name))
			return true;
	return false;
}

/* ------------------------------------------------------------- admitting */

void mtk_policy_admit(const struct mtk_policy *p, const struct mtk_station *st, struct mtk_policy_verdict *v)
{
	if (!p) {
		if (st && st->require_policy)
			refuse(v, MTK_RULE_REQUIRE_POLICY,
			       "this station flashes only under a policy (station.json require_policy): give --policy FILE");
		return;
	}
	if (p->sig == MTK_SIG_BAD) {
		refuse(v, MTK_RULE_REQUIRE_SIGNED_POLICY, "%s changed after it was signed: %s", p->path, p->sig_detail);
		return;
	}
	bool station = st && st->require_signed_policy;
	if ((station || p->require_signed_policy) && p->sig != MTK_SIG_TRUSTED)
		refuse(v, MTK_RULE_REQUIRE_SIGNED_POLICY, "%s is %s, and %s requires a policy signed by a trusted key (%s)",
		       p->path, mtk_sig_state_name(p->sig), station ? "this station" : "the policy itself", p->sig_detail);
}

/* ------------------------------------------------------------- the command line */

enum mtk_role mtk_policy_role(const struct mtk_policy *p, bool service_unlocked)
{
	if (p && p->role == MTK_ROLE_OPERATOR)
		return MTK_ROLE_OPERATOR;
	return service_unlocked ? MTK_ROLE_ENGINEER : MTK_ROLE_OPERATOR;
}

static void check_names_written(const struct mtk_policy *p, const char *name, const char *how,
				struct mtk_policy_verdict *v)
{
	char shown[4 * MTK_PART_NAME_SIZE]; /* a device's table names it too: escaped */
	mtk_escape(name, shown, sizeof shown);
	if (names_has(&p->never_write, name))
		refuse(v, MTK_RULE_NEVER_WRITE, "partition \"%s\"%s", shown, how);
	else if (p->may_write.set && !names_has(&p->may_write, name))
		refuse(v, MTK_RULE_MAY_WRITE, "partition \"%s\"%s is not in the allow-list", shown, how);
}

static void check_overrides(const struct mtk_policy *p, const struct mtk_policy_request *req,
			    struct mtk_policy_verdict *v)
{
	for (size_t i = 0; i < req->noverrides; i++)
		if (!names_has(&p->overrides, req->overrides[i]))
			refuse(v, MTK_RULE_OVERRIDES, "--override %s is not allowed", req->overrides[i]);
}

void mtk_policy_check_request(const struct mtk_policy *p, const struct mtk_policy_request *req,
			      struct mtk_policy_verdict *v)
{
	if (req->mode == MTK_FMODE_SERVICE && p->role == MTK_ROLE_OPERATOR)
		refuse(v, MTK_RULE_ROLE, "service mode is the engineer's; this policy's role is operator");
	else if (!(p->modes & (1u << req->mode)))
		refuse(v, MTK_RULE_MODES, "--mode %s is not allowed", mtk_mode_name(req->mode));
	if (!(p->scenes & (1u << req->scene)))
		refuse(v, MTK_RULE_SCENES, "--scene %s is not allowed", mtk_scene_name(req->scene));
	check_overrides(p, req, v);
	for (size_t i = 0; i < req->nonly; i++)
		check_names_written(p, req->only[i], " (--only)", v);
	if (p->after >= 0 && req->after >= 0 && req->after != p->after)
		refuse(v, MTK_RULE_AFTER, "--after %s, the policy says %s", mtk_da_after_name((enum mtk_da_after)req->after),
		       mtk_da_after_name((enum mtk_da_after)p->after));
	if ((req->device_checks & p->device_checks) != p->device_checks)
		refuse(v, MTK_RULE_DEVICE_CHECKS, "--device-checks turns off a check the policy keeps on");
	if (req->ntrust)
		refuse(v, MTK_RULE_TRUSTED_KEYS, "--trust cannot add package keys: the policy's trusted_keys%s decide",
		       p->nkeys ? "" : " (empty: the station's trusted-keys folder)");
}

/* ------------------------------------------------------------- the plan */

static void check_package(const struct mtk_policy *p, const struct mtk_policy_package *pkg,
			  struct mtk_policy_verdict *v)
{
	if (p->require_signature && pkg->sig != MTK_SIG_TRUSTED)
		refuse(v, MTK_RULE_REQUIRE_SIGNATURE, "the package's SHA256SUMS is %s%s", mtk_sig_state_name(pkg->sig),
		       p->nkeys ? " by the policy's trusted_keys" : "");
	if (p->require_checksum_ini && !pkg->have_checksum_ini)
		refuse(v, MTK_RULE_REQUIRE_CHECKSUM_INI, "the package has no Checksum.ini");
	char id[65];
	mtk_hex_encode(id, pkg->id, 32);
	const char *of = pkg->id_is_manifest ? "SHA256SUMS" : "scatter file";
	if (!p->packages_set) {
		if (p->role == MTK_ROLE_OPERATOR)
			refuse(v, MTK_RULE_PACKAGES, "the operator role flashes approved packages only, and the policy "
			       "approves none (package %s %s)", of, id);
		return;
	}
	for (size_t i = 0; i < p->npackages; i++)
		if (memcmp(p->packages[i], pkg->id, 32) == 0)
			return;
	refuse(v, MTK_RULE_PACKAGES, "package %s %s is not approved", of, id);
}

static void check_device(const struct mtk_policy *p, const struct mtk_policy_subject *s, struct mtk_policy_verdict *v)
{
	const char *chip = s->fp->brom.chip ? s->fp->brom.chip->name : "";
	if (p->chips.set && !names_has(&p->chips, chip))
		refuse(v, MTK_RULE_CHIPS, "chip \"%s\" is not in the allow-list", chip[0] ? chip : "unknown");
	if (!p->boards.set)
		return;
	/* A phone with no preloader left is judged by the board it will get. */
	const char *board = s->fp->have_preloader && s->fp->preloader.board[0] ? s->fp->preloader.board
			    : s->plan->have_pkg_preloader			  ? s->plan->pkg_preloader.board
										  : "";
	char shown[4 * sizeof s->fp->preloader.board]; /* the device's bytes */
	if (!names_has(&p->boards, board))
		refuse(v, MTK_RULE_BOARDS, "board \"%s\" is not in the allow-list",
		       board[0] ? mtk_escape(board, shown, sizeof shown) : "unknown");
}

static void check_writes(const struct mtk_policy *p, const struct mtk_plan *plan, struct mtk_policy_verdict *v)
{
	for (size_t i = 0; i < plan->count; i++) {
		const struct mtk_plan_entry *e = &plan->entries[i];
		bool writes = e->action == MTK_ACT_WRITE || e->action == MTK_ACT_ERASE || e->erase_first;
		/* the staged preloader's boot2 copy is judged with the preloader itself */
		if (!writes || e->boot_copy)
			continue;
		const char *name = e->name[0] ? e->name : e->device_name;
		const char *how = e->action == MTK_ACT_WRITE ? " (written)" : " (erased)";
		/* a partition may appear under the package's and the device's name */
		if (e->device_name[0] && !names_has(&p->never_write, name) && names_has(&p->never_write, e->device_name))
			name = e->device_name;
		check_names_written(p, name, how, v);
	}
}

void mtk_policy_check_plan(const struct mtk_policy *p, const struct mtk_policy_subject *s,
			   struct mtk_policy_verdict *v)
{
	if (s->pkg)
		check_package(p, s->pkg, v);
	check_device(p, s, v);
	check_writes(p, s->plan, v);
	if (s->decision->level > p->max_risk)
		refuse(v, MTK_RULE_MAX_RISK, "risk %u/100 is %s, the policy accepts up to %s", s->decision->score,
		       mtk_risk_level_name(s->decision->level), mtk_risk_level_name(p->max_risk));
	if (p->require_nvram_backup && !s->nvram_backup_on_record)
		refuse(v, MTK_RULE_REQUIRE_NVRAM_BACKUP, "no verified NVRAM backup of %s on record", s->fp->device_id);
}

/* ------------------------------------------------------------- the record */

json_t *mtk_policy_record_json(const struct mtk_policy *p, enum mtk_role role)
{
	if (!p)
		return json_pack("{s:n, s:s}", "file", "role", mtk_role_name(role));
	char sha[65];
	mtk_hex_encode(sha, p->sha256, 32);
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "file", p->path, "name", p->name, "sha256", sha, "signature",
			 mtk_sig_state_name(p->sig), "key_id", p->key_id[0] ? json_string(p->key_id) : json_null(),
			 "role", mtk_role_name(role));
}
