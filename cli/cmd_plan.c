/* SPDX-License-Identifier: MIT */
/* mtkflash plan SCATTER: what `flash` would do to the connected device and
 * how risky it is, without writing anything.  Exit 6 when the plan or the
 * mode's policy refuses. */
#include <string.h>

#include "cli_plan.h"
#include "cli_policy.h"

static const char help[] =
	"Usage: mtkflash plan SCATTER [--scene download|upgrade|format-all] [--mode safe|quick|service]\n"
	"                     [--only P,Q] [--skip P] [--override FACTOR] [--trust KEY] [--preloader FILE]\n"
	"                     [--policy FILE]\n"
	"\n"
	"Connect, fingerprint the device, match the package against its partition\n"
	"table, and print the plan (per partition: action, class, region, offset,\n"
	"bytes) and the risk score with each factor's contribution.  Writes nothing.\n"
	"  --scene S        download (default: preloader and protected partitions\n"
	"                   unselected), upgrade (protected backed up and restored,\n"
	"                   layout may change), format-all (erase, then write all)\n"
	"  --mode M         safe (default), quick, service: the policy applied\n"
	"  --only P,Q       write only these partitions (repeatable)\n"
	"  --skip P,Q       never write these (repeatable)\n"
	"  --override F     service mode: take risk factor F out of the decision\n"
	"  --trust KEY      a minisign public key trusted to sign packages\n"
	"  --preloader FILE DRAM settings for a device in BROM mode (default: the\n"
	"                   package's own preloader)\n"
	"  --policy FILE    apply a verification policy (docs/policy.md): each\n"
	"                   refusal names its rule\n"
	"Exit 6 when the plan, the mode or the policy refuses (docs/verified-mode.md).\n";

/* The policy first: its refusal names the rule the user must look at. */
static int show_and_judge(struct cli *cli, const char *scatter, struct cli_plan_run *r)
{
	cli_plan_show(cli, r);
	int rc = cli_policy_check_plan(cli, scatter, r->mode == MTK_FMODE_SERVICE, r);
	if (rc < 0)
		return cli_exit_for(rc);
	cli_policy_show(cli, r);
	return cli_plan_verdict(cli, r);
}

int cmd_plan(struct cli *cli, int argc, char **argv)
{
	struct cli_plan_args a;
	cli_plan_args_init(&a);
	int first = argc;
	struct cli_plan_run r;
	memset(&r, 0, sizeof r);
	int st = cli_parse_opts(cli, "plan", help, argc, argv, cli_plan_options, cli_plan_on_option, &a, &first);
	if (st == CLI_CONTINUE)
		st = cli_plan_check_args(cli, "plan", &a, argc - first, &r.scene, &r.mode);
	if (st == CLI_CONTINUE) {
		int rc = cli_policy_open(cli, &a, &r);
		/* plan writes nothing: the passphrase is flash's to check. */
		if (rc < 0)
			st = cli_exit_for(rc);
		else if ((rc = cli_plan_prepare(cli, &a, argv[first], true, &r, NULL)) < 0)
			st = cli_fail(cli, rc, NULL);
		else
			st = show_and_judge(cli, argv[first], &r);
		cli_plan_run_free(&r);
	}
	cli_plan_args_free(&a);
	return st;
}
