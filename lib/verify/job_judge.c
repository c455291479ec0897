/* SPDX-License-Identifier: MIT */
/* A job's judgement before anything is written: the station and the
 * policy, the service passphrase, the package, fingerprint, plan, risk and
 * the mode's decision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_priv.h"
#include "mtkflash/backup.h"
#include "mtkflash/service.h"
#include "mtkflash/util.h"

static int refuse_by_policy(struct job *j)
{
	char line[320];
	return mtk_fail(j->ctx, MTK_E_POLICY, "%s",
			mtk_policy_refusal_text(&j->v.policy_verdict.refusals[0], line, sizeof line));
}

int job_policy_open(struct job *j)
{
	char path[JOB_PATH_MAX];
	struct mtk_station st;
	memset(&st, 0, sizeof st);
	const char *conf = job_dir(j->o->station_config, "XDG_CONFIG_HOME", ".config", "mtkflash/station.json", path,
				   sizeof path);
	int rc = conf ? mtk_station_load(j->ctx, conf, &st) : 0;
	if (rc == 0 && j->o->policy)
		rc = mtk_policy_load(j->ctx, j->o->policy, st.keys, st.nkeys, &j->v.policy);
	if (rc < 0)
		return rc;
	const struct mtk_policy *p = j->v.p.policy = j->v.policy;
	if (p)
		mtk_info(j->ctx, "policy %s (%s): %s, %s", j->o->policy, p->name[0] ? p->name : "unnamed",
			 mtk_sig_state_name(p->sig), p->sig_detail);
	mtk_policy_admit(p, &st, &j->v.policy_verdict);
	if (p && !j->v.policy_verdict.count) {
		struct mtk_policy_request req = {
			.mode = j->o->mode,
			.scene = j->o->scene,
			.overrides = j->o->overrides,
			.noverrides = j->o->noverrides,
			.only = j->o->only,
			.nonly = j->o->nonly,
			.after = j->o->after,
			.device_checks = j->o->device_checks,
			.ntrust = j->o->ntrust,
		};
		mtk_policy_check_request(p, &req, &j->v.policy_verdict);
		if (p->after >= 0 && j->o->after < 0)
			j->c.after = p->after;
	}
	return j->v.policy_verdict.count ? refuse_by_policy(j) : 0;
}

int job_unlock(struct job *j)
{
	char path[JOB_PATH_MAX];
	const char *file = job_dir(j->o->service_file, "XDG_CONFIG_HOME", ".config", "mtkflash/service.pass", path,
				   sizeof path);
	if (!file)
		return mtk_fail(j->ctx, MTK_E_DENIED, "service mode is locked: neither XDG_CONFIG_HOME nor HOME is "
				"set, so there is no service passphrase");
	int rc = mtk_service_is_set(j->ctx, file);
	if (rc == 0)
		return mtk_service_check(j->ctx, file, "", 0); /* says how to set one */
	if (rc > 0 && !j->o->passphrase)
		return mtk_fail(j->ctx, MTK_E_DENIED, "service mode needs the service passphrase");
	if (rc > 0)
		rc = mtk_service_check(j->ctx, file, j->o->passphrase, j->o->passphrase_len);
	j->unlocked = rc == 0;
	return rc;
}

/* Only a backup that still verifies counts (docs/verified-mode.md). */
static bool backup_on_record(struct job *j)
{
	char root[JOB_PATH_MAX];
	const char *dir = job_dir(j->o->backup_root, "XDG_DATA_HOME", ".local/share", "mtkflash/backups", root,
				  sizeof root);
	int rc = dir ? mtk_backup_has_for_device(j->ctx, dir, j->v.fp.device_id) : 0;
	mtk_ctx_clear_error(j->ctx);
	return rc == 1;
}

static int assess(struct job *j)
{
	struct mtk_job_view *v = &j->v;
	struct mtk_risk_input in = {
		.have_manifest = v->package.have_manifest,
		.sig = v->package.sig,
		.checksum_mismatch = v->package.checksum_mismatch,
		.nvram_backup_on_record = v->p.nvram_backup = backup_on_record(j),
		.battery_mv = -1,
	};
	snprintf(in.checksum_detail, sizeof in.checksum_detail, "%s", v->package.detail);
	struct mtk_overrides ov = { j->o->overrides, j->o->noverrides, j->unlocked };
	int rc = mtk_risk_assess(j->ctx, &v->fp, &v->plan, &in, &v->risk);
	return rc < 0 ? rc : mtk_risk_decide(j->ctx, &v->risk, j->o->mode, &ov, &v->decision);
}

static void judge_package(struct job *j)
{
	bool virt = mtk_transport_is_virtual(j->c.tp);
	int rc = j->cb && j->cb->judge_package ? j->cb->judge_package(j->cb->user, j->ctx, virt, &j->v.package)
					       : job_package_check(j->ctx, j->o, virt, &j->v.package);
	if (rc < 0) /* a package that cannot be judged scores as unsigned and unlisted */
		mtk_ctx_clear_error(j->ctx);
}

/* Load the scatter, connect, judge the package, fingerprint, plan, score
 * and decide.  The DA stays open for the flash. */
int job_prepare(struct job *j)
{
	struct mtk_job_view *v = &j->v;
	struct mtk_scatter *s = NULL;
	job_stage(j, MTK_JOB_CONNECT, "connect", "%s", j->o->port ? j->o->port : "auto");
	int rc = job_scatter_load(j->ctx, j->o->scatter, &s);
	if (rc < 0)
		return rc;
	char *pl = job_scatter_preloader(s);
	rc = job_connect(j, pl);
	free(pl);
	if (rc == 0) {
		judge_package(j);
		rc = mtk_fingerprint_take(j->ctx, j->c.da, &v->fp);
	}
	struct mtk_plan_opts po = { j->o->scene, j->o->only, j->o->nonly, j->o->skip, j->o->nskip, NULL };
	if (rc == 0)
		rc = mtk_plan_build(j->ctx, &v->fp, s, &po, &v->plan);
	if (rc == 0)
		rc = assess(j);
	job_scatter_free(s);
	if (rc == 0)
		job_stage(j, MTK_JOB_DA, "DA", "running; the device is %s", v->fp.device_id);
	return rc;
}

int job_policy_check(struct job *j)
{
	struct mtk_job_view *v = &j->v;
	v->p.role = mtk_policy_role(v->policy, j->unlocked);
	if (!v->policy)
		return 0;
	struct mtk_policy_package pkg;
	int rc = mtk_policy_package_facts(j->ctx, v->policy, j->o->scatter, v->package.sig, &pkg);
	if (rc < 0)
		return rc;
	struct mtk_policy_subject s = {
		.pkg = &pkg,
		.fp = &v->fp,
		.plan = &v->plan,
		.decision = &v->decision,
		.nvram_backup_on_record = v->p.nvram_backup,
	};
	mtk_policy_check_plan(v->policy, &s, &v->policy_verdict);
	return v->policy_verdict.count ? refuse_by_policy(j) : 0;
}

/* The plan's own refusal, then the mode's, with the message in the context. */
static int plan_verdict(struct job *j)
{
	const struct mtk_job_view *v = &j->v;
	if (v->plan.nrefusals)
		return mtk_fail(j->ctx, MTK_E_POLICY, "the plan is refused: %s", v->plan.refusals[0]);
	if (v->decision.verdict == MTK_VERDICT_REFUSE)
		return mtk_fail(j->ctx, MTK_E_POLICY, "%s mode refuses: %s", mtk_mode_name(j->o->mode),
				v->decision.reasons[0]);
	return 0;
}

void job_note_refusal(struct job *j)
{
	struct mtk_job_plan *p = &j->v.p;
	int rc = job_policy_check(j);
	if (rc == 0)
		rc = plan_verdict(j);
	p->refused = rc < 0;
	snprintf(j->refusal, sizeof j->refusal, "%s", rc < 0 ? mtk_ctx_error(j->ctx) : "");
	p->refusal = j->refusal;
}

json_t *job_policy_record(const struct job *j)
{
	const struct mtk_job_view *v = &j->v;
	json_t *o = mtk_policy_record_json(v->policy, v->p.role);
	json_object_set_new(o, "verdict", json_string(v->policy_verdict.count ? "refuse" : "allow"));
	json_object_set_new(o, "refusals", mtk_policy_verdict_to_json(&v->policy_verdict));
	return o;
}
