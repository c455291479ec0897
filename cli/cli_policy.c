/* SPDX-License-Identifier: MIT */
/* plan/flash --policy (cli_policy.h). */
#include <stdio.h>
#include <string.h>

#include "cli_plan.h"
#include "cli_policy.h"
#include "mtkflash/util.h"

const char *cli_station_config(char *out, size_t cap)
{
	return cli_xdg_dir("XDG_CONFIG_HOME", ".config", "mtkflash/station.json", out, cap);
}

/* Every refusal on stdout (and in the document), the first as the error. */
int cli_policy_report_refusals(struct cli *cli, const struct cli_plan_run *r)
{
	char line[320];
	for (size_t i = 0; i < r->pv.count; i++)
		cli_print(cli, "%s\n", mtk_policy_refusal_text(&r->pv.refusals[i], line, sizeof line));
	if (r->pv.truncated)
		cli_print(cli, "(and more refusals)\n");
	cli_policy_show(cli, r);
	cli_fail(cli, mtk_fail(cli->ctx, MTK_E_POLICY, "%s", mtk_policy_refusal_text(&r->pv.refusals[0], line, sizeof line)),
		 NULL);
	return MTK_E_POLICY;
}

static int load(struct cli *cli, const char *path, const struct mtk_station *st, struct cli_plan_run *r)
{
	int rc = mtk_policy_load(cli->ctx, path, st->keys, st->nkeys, &r->policy);
	if (rc < 0)
		return rc;
	char name[sizeof r->policy->name * 4];
	if (cli->verbosity >= 0) /* the name is the file's: escaped for the terminal */
		fprintf(stderr, "[policy] %s (%s): %s, %s\n", path,
			r->policy->name[0] ? mtk_escape(r->policy->name, name, sizeof name) : "unnamed",
			mtk_sig_state_name(r->policy->sig), r->policy->sig_detail);
	return 0;
}

static void request_of(const struct cli *cli, const struct cli_plan_args *a, const struct cli_plan_run *r,
		       struct mtk_policy_request *req)
{
	*req = (struct mtk_policy_request){
		.mode = (enum mtk_flash_mode)r->mode,
		.scene = (enum mtk_scene)r->scene,
		.overrides = a->override,
		.noverrides = a->noverride,
		.only = a->only,
		.nonly = a->nonly,
		.after = cli->after_set ? cli->after : -1,
		.device_checks = cli->device_checks,
		.ntrust = a->ntrust,
	};
}

int cli_policy_open(struct cli *cli, const struct cli_plan_args *a, struct cli_plan_run *r)
{
	char path[4096];
	struct mtk_station st;
	memset(&r->pv, 0, sizeof r->pv);
	memset(&st, 0, sizeof st);
	int rc = cli_station_config(path, sizeof path) ? mtk_station_load(cli->ctx, path, &st) : 0;
	if (rc == 0 && a->policy)
		rc = load(cli, a->policy, &st, r);
	if (rc < 0) {
		cli_fail(cli, rc, NULL);
		return rc;
	}
	mtk_policy_admit(r->policy, &st, &r->pv);
	if (r->policy && !r->pv.count) {
		struct mtk_policy_request req;
		request_of(cli, a, r, &req);
		mtk_policy_check_request(r->policy, &req, &r->pv);
		if (r->policy->after >= 0 && !cli->after_set)
			cli->after = r->policy->after;
	}
	return r->pv.count ? cli_policy_report_refusals(cli, r) : 0;
}

int cli_policy_check_plan(struct cli *cli, const char *scatter, bool service_unlocked, struct cli_plan_run *r)
{
	r->role = mtk_policy_role(r->policy, service_unlocked);
	if (!r->policy)
		return 0;
	struct mtk_policy_package pkg;
	int rc = mtk_policy_package_facts(cli->ctx, r->policy, scatter, (enum mtk_sig_state)r->pkg.sig, &pkg);
	if (rc < 0) {
		cli_fail(cli, rc, NULL);
		return rc;
	}
	struct mtk_policy_subject s = {
		.pkg = &pkg,
		.fp = &r->fp,
		.plan = &r->plan,
		.decision = &r->d,
		.nvram_backup_on_record = r->nvram_backup,
	};
	mtk_policy_check_plan(r->policy, &s, &r->pv);
	return r->pv.count ? cli_policy_report_refusals(cli, r) : 0;
}

json_t *cli_policy_record(const struct cli_plan_run *r)
{
	json_t *o = mtk_policy_record_json(r->policy, r->role);
	json_object_set_new(o, "verdict", json_string(r->pv.count ? "refuse" : "allow"));
	json_object_set_new(o, "refusals", mtk_policy_verdict_to_json(&r->pv));
	return o;
}

void cli_policy_show(struct cli *cli, const struct cli_plan_run *r)
{
	const struct mtk_policy *p = r->policy;
	char name[sizeof p->name * 4];
	if (p && !r->pv.count)
		cli_print(cli, "\npolicy %s (%s, %s%s%s): allowed; role %s\n", p->path,
			  p->name[0] ? mtk_escape(p->name, name, sizeof name) : "unnamed",
			  mtk_sig_state_name(p->sig), p->key_id[0] ? " by " : "", p->key_id, mtk_role_name(r->role));
	if (!cli->json)
		return;
	json_object_set_new(cli->out, "role", json_string(mtk_role_name(r->role)));
	json_object_set_new(cli->out, "policy", cli_policy_record(r));
}
