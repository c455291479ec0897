/* SPDX-License-Identifier: MIT */
/* plan/flash --policy FILE: loading the policy and the station's settings,
 * checking the command line before the device, the plan after it, and
 * reporting refusals by rule (docs/policy.md). */
#ifndef MTK_CLI_POLICY_H
#define MTK_CLI_POLICY_H

#include "cli.h"
#include "mtkflash/policy.h"

struct cli_plan_args;
struct cli_plan_run;

/* $XDG_CONFIG_HOME/mtkflash/station.json (~/.config/...). */
const char *cli_station_config(char *out, size_t cap);

/* Load the station and the policy (a->policy, may be NULL), admit it and
 * check the command line; applies the policy's --after when none was given.
 * 0, or MTK_E_POLICY after reporting the refusals (exit 6), or a load error. */
int cli_policy_open(struct cli *cli, const struct cli_plan_args *a, struct cli_plan_run *r);
/* After planning: the package, device, writes and risk.  0 or MTK_E_POLICY
 * (reported).  Sets r->role from `service_unlocked`. */
int cli_policy_check_plan(struct cli *cli, const char *scatter, bool service_unlocked, struct cli_plan_run *r);
/* The record (file, hash, signature, signer, role) and refusals: JSON. */
json_t *cli_policy_record(const struct cli_plan_run *r);
void cli_policy_show(struct cli *cli, const struct cli_plan_run *r);
/* Every refusal of r->pv on stdout (and in the document), the first as the
 * error; MTK_E_POLICY. */
int cli_policy_report_refusals(struct cli *cli, const struct cli_plan_run *r);

#endif
