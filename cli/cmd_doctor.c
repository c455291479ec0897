/* SPDX-License-Identifier: MIT */
/* mtkflash doctor: what on this host keeps the tool from a phone, and the
 * command that fixes each thing. */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "mtkflash/doctor.h"

static const char help[] =
	"Usage: mtkflash doctor [--json]\n"
	"\n"
	"Check this host for what stands between mtkflash and a phone, and say how to fix\n"
	"each thing: a MediaTek device present and in which mode (USB id, port, speed, tty);\n"
	"permissions on its device nodes; the udev rule 60-mtkflash.rules; ModemManager\n"
	"running without being told to ignore MediaTek devices; brltty (it grabs CH340/CP210x\n"
	"UART adapters); the cdc_acm driver; USB autosuspend on the phone's port; another\n"
	"program holding the port; membership of dialout/plugdev.  Nothing is changed.\n"
	"\n"
	"Each check is ok, warn or fail; the exit status is 0 when none fails, else 1.\n"
	"With --json: checks[] of {id, status, finding, fix}, failed, warnings.\n"
	"Plug the phone in download mode first: the preloader's port lasts a few seconds.\n";

/* MTKFLASH_SYSROOT: a planted tree for tests (docs/doctor.md), never set in use. */
static void host_env(struct mtk_doctor_env *env, struct utsname *u)
{
	const char *root = getenv("MTKFLASH_SYSROOT");
	const struct passwd *pw = getpwuid(getuid());
	env->root = root && root[0] ? root : "";
	env->uid = (unsigned)getuid();
	env->user = pw ? pw->pw_name : getenv("USER");
	env->kernel_release = uname(u) == 0 ? u->release : NULL;
}

static void print_check(struct cli *cli, const struct mtk_check *c)
{
	cli_print(cli, "%-4s  %-12s  %s\n", mtk_check_status_name(c->status), c->id, c->finding);
	if (c->fix[0] && c->status != MTK_CHECK_OK)
		cli_print(cli, "%-4s  %-12s  fix: %s\n", "", "", c->fix);
}

static json_t *check_json(const struct mtk_check *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "status", json_string(mtk_check_status_name(c->status)));
	json_object_set_new(o, "finding", cli_json_str(c->finding));
	json_object_set_new(o, "fix", cli_json_str(c->fix));
	return o;
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	int first = argc;
	int st = cli_parse_no_opts(cli, "doctor", help, argc, argv, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first < argc)
		return cli_usage(cli, "doctor", "unexpected argument '%s'", argv[first]);
	struct mtk_doctor_env env;
	struct utsname u;
	struct mtk_check checks[MTK_DOCTOR_CHECKS];
	host_env(&env, &u);
	int failed = mtk_doctor_run(cli->ctx, &env, checks, MTK_DOCTOR_CHECKS);
	if (failed < 0)
		return cli_fail(cli, failed, "doctor");
	int warnings = 0;
	json_t *arr = json_array();
	for (size_t i = 0; i < MTK_DOCTOR_CHECKS; i++) {
		print_check(cli, &checks[i]);
		warnings += checks[i].status == MTK_CHECK_WARN;
		json_array_append_new(arr, check_json(&checks[i]));
	}
	if (failed)
		cli_print(cli, "%d problem%s block%s flashing\n", failed, failed == 1 ? "" : "s", failed == 1 ? "s" : "");
	else
		cli_print(cli, "nothing blocks flashing (%d warning%s)\n", warnings, warnings == 1 ? "" : "s");
	if (cli->json) {
		json_object_set_new(cli->out, "checks", arr);
		json_object_set_new(cli->out, "failed", json_integer(failed));
		json_object_set_new(cli->out, "warnings", json_integer(warnings));
	} else {
		json_decref(arr);
	}
	return failed ? EXIT_FAILURE_GENERIC : EXIT_OK;
}
