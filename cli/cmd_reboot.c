/* SPDX-License-Identifier: MIT */
/* mtkflash reboot: end the Download Agent that runs on the phone (FINISH). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_da.h"

static const char help[] =
	"Usage: mtkflash [--port SPEC] [--json] reboot [--mode reboot|poweroff]\n"
	"\n"
	"A phone keeps its Download Agent running after a command (mtkflash's default\n"
	"--after stay), so the next command starts at once. This ends it: mtkflash checks that a\n"
	"DA answers on the port (legacy: the probe byte 0x72, which nothing else misreads;\n"
	"xflash: its packet magic), sends the end command (legacy FINISH: D9, then the mode word;\n"
	"xflash SHUTDOWN) and forgets the session record. The phone then restarts\n"
	"as its boot settings say: into its system, or back to preloader/BootROM download mode\n"
	"while the cable is in (the next 'detect' shows which).\n"
	"\n"
	"Options:\n"
	"  --mode reboot     FINISH mode 0, boot normally (default)\n"
	"  --mode poweroff   FINISH mode 1, which MediaTek's tool calls 'enter charging': the\n"
	"                    state of a phone that is off on a cable (the reference has no\n"
	"                    power-off mode for the legacy DA)\n"
	"  -h, --help        this text\n"
	"\n"
	"Without a running DA nothing is sent beyond the probe and the command says what it\n"
	"found. With --json: ended (true/false), found, mode, sent (FINISH or SHUTDOWN).\n";

enum { OPT_MODE = 256 };

static const struct option options[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	(void)opt;
	int *mode = args;
	*mode = mtk_da_after_parse(val);
	if (*mode == MTK_AFTER_REBOOT || *mode == MTK_AFTER_POWEROFF)
		return CLI_CONTINUE;
	return cli_usage(cli, "reboot", "--mode takes reboot or poweroff, not '%s'", val);
}

/* CLI_CONTINUE to go on, else the exit status (help printed, usage error). */
static int parse_mode(struct cli *cli, int argc, char **argv, int *mode)
{
	*mode = MTK_AFTER_REBOOT;
	int first = argc;
	int st = cli_parse_opts(cli, "reboot", help, argc, argv, options, on_option, mode, &first);
	if (st == CLI_CONTINUE && first < argc)
		return cli_usage(cli, "reboot", "unexpected argument '%s'", argv[first]);
	return st;
}

/* The recorded session when there is one; else a bare legacy DA2, which is
 * all FINISH needs (the probe has shown a legacy DA2 answering). */
static int da_for_finish(struct cli *cli, struct mtk_transport *tp, const char *dir, const struct mtk_probe_result *pr,
			 struct mtk_da **da)
{
	struct mtk_session_record r;
	int found = dir && mtk_transport_port_key(tp)[0] ? mtk_session_load(cli->ctx, dir, mtk_transport_port_key(tp), &r) : 0;
	if (found <= 0) {
		mtk_ctx_clear_error(cli->ctx);
		memset(&r, 0, sizeof r);
		snprintf(r.port_key, sizeof r.port_key, "%s", mtk_transport_port_key(tp));
		snprintf(r.protocol, sizeof r.protocol, "%s", pr->state == MTK_DEV_DA_XFLASH ? "xflash" : "legacy");
		snprintf(r.stage, sizeof r.stage, "da2");
	}
	return mtk_da_from_record(cli->ctx, tp, &r, da);
}

static void report(struct cli *cli, bool ended, const struct mtk_probe_result *pr, int mode)
{
	if (ended)
		cli_print(cli, "sent %s (%s): the Download Agent has ended; the phone restarts\n",
			  pr->state == MTK_DEV_DA_XFLASH ? "SHUTDOWN" : "FINISH",
			  mtk_da_after_name((enum mtk_da_after)mode));
	else
		cli_print(cli, "no Download Agent is running (found %s): nothing to end\n", mtk_dev_state_name(pr->state));
	if (cli->json) {
		json_object_set_new(cli->out, "ended", json_boolean(ended));
		json_object_set_new(cli->out, "found", json_string(mtk_dev_state_name(pr->state)));
		json_object_set_new(cli->out, "mode", json_string(mtk_da_after_name((enum mtk_da_after)mode)));
		if (ended)
			json_object_set_new(cli->out, "sent",
					    json_string(pr->state == MTK_DEV_DA_XFLASH ? "SHUTDOWN" : "FINISH"));
	}
}

int cmd_reboot(struct cli *cli, int argc, char **argv)
{
	int mode, st = parse_mode(cli, argc, argv, &mode);
	if (st != CLI_CONTINUE)
		return st;
	char buf[4096];
	const char *dir = cli_session_dir(cli, buf, sizeof buf);
	struct mtk_transport *tp;
	struct mtk_probe_result pr;
	struct mtk_da *da = NULL;
	int rc = cli_open_port(cli, &tp);
	if (rc < 0)
		return cli_fail(cli, rc, "reboot");
	rc = mtk_probe_port(cli->ctx, tp, dir, &pr);
	bool ended = false;
	bool da_runs = pr.state == MTK_DEV_DA_LEGACY || pr.state == MTK_DEV_DA_XFLASH;
	if (rc == 0 && da_runs && (rc = da_for_finish(cli, tp, dir, &pr, &da)) == 0) {
		rc = mtk_da_end(da, dir, (enum mtk_da_after)mode);
		ended = rc == 0;
	} else if (rc == 0 && dir && mtk_transport_port_key(tp)[0]) {
		rc = mtk_session_forget(cli->ctx, dir, mtk_transport_port_key(tp));
	}
	mtk_da_close(da);
	mtk_transport_close(tp);
	if (rc < 0)
		return cli_fail(cli, rc, "reboot");
	report(cli, ended, &pr, mode);
	return EXIT_OK;
}
