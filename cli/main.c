/* SPDX-License-Identifier: MIT */
/* mtkflash: command-line front end of libmtkflash. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_output.h"
#include "commands.h"
#include "mtkflash/session.h"

static void print_help(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [--port SPEC] [--da FILE] [--json] [-v|-q] COMMAND [ARGS...]\n"
		"\n"
		"A verified flashing tool for MediaTek phones and tablets.\n"
		"\n"
		"Global options (accepted before or after the command):\n"
		"  --port SPEC     auto (default) | usb[:BUS:ADDR] | serial:PATH | /dev/ttyXXX\n"
		"                  | emu:CHIP[,state=DIR][,faults=SPEC][,mode=brom|preloader][,secure=sbc+sla+daa]\n"
		"  --da FILE       Download Agent file (MTK_AllInOne_DA.bin)\n"
		"  --wait SECONDS  how long to wait for the device to appear (default 30)\n"
		"  --after MODE    when a DA command is done: stay (default: the DA keeps running for the\n"
		"                  next command), reboot or poweroff (FINISH; see 'reboot --help')\n"
		"  --no-speed-switch  keep a DA started from BROM at USB full speed (no re-enumeration)\n"
		"  --session-dir DIR  where running DA sessions are recorded\n"
		"                  (default $XDG_RUNTIME_DIR/mtkflash/sessions or ~/.cache/mtkflash/sessions)\n"
		"  --json          print one JSON document on stdout\n"
		"  -v, -vv, -vvv   more log output (-vvv dumps every transfer)\n"
		"  -q              errors only\n"
		"  -h, --help      this text;  --version  the version\n"
		"\n"
		"Commands:\n",
		prog);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-10s %-28s %s\n", c->name, c->args, c->summary);
	fprintf(f, "\nExit status: 0 ok, 2 usage, 3 no device, 4 protocol error, 5 verification failed,\n"
		   "6 refused by policy, 7 rolled back, 8 file I/O error, 9 unparsable input.\n"
		   "Run '%s COMMAND --help' for a command's own options.\n",
		prog);
}

static const struct cli_command *find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Pull the global options out of argv wherever they stand, so that
 * `mtkflash --json inspect F` and `mtkflash inspect F --json` are the same.
 * What remains (command and its arguments) is compacted into argv. */
static int take_global_options(struct cli *cli, int *argc, char **argv)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--json") == 0) {
			cli->json = true;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			cli->verbosity = -1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			cli->verbosity++;
		} else if (strcmp(a, "-vv") == 0) {
			cli->verbosity += 2;
		} else if (strcmp(a, "-vvv") == 0) {
			cli->verbosity += 3;
		} else if (strcmp(a, "--no-speed-switch") == 0) {
			cli->no_speed_switch = true;
		} else if (strncmp(a, "--port=", 7) == 0 || strncmp(a, "--da=", 5) == 0 ||
			   strncmp(a, "--wait=", 7) == 0 || strncmp(a, "--after=", 8) == 0 ||
			   strncmp(a, "--session-dir=", 14) == 0) {
			val = strchr(a, '=') + 1;
		} else if (strcmp(a, "--port") == 0 || strcmp(a, "--da") == 0 || strcmp(a, "--wait") == 0 ||
			   strcmp(a, "--after") == 0 || strcmp(a, "--session-dir") == 0) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "%s: %s needs a value\n", cli->progname, a);
				return -1;
			}
			val = argv[++i];
		} else {
			argv[out++] = argv[i];
			continue;
		}
		if (!val)
			continue;
		if (strncmp(a, "--port", 6) == 0) {
			cli->port = val;
		} else if (strncmp(a, "--session-dir", 13) == 0) {
			cli->session_dir = val;
		} else if (strncmp(a, "--after", 7) == 0) {
			if ((cli->after = mtk_da_after_parse(val)) < 0) {
				fprintf(stderr, "%s: --after takes stay, reboot or poweroff, not '%s'\n", cli->progname,
					val);
				return -1;
			}
		} else if (strncmp(a, "--da", 4) == 0) {
			cli->da = val;
		} else {
			char *end;
			double s = strtod(val, &end);
			if (*end || s < 0 || s > 86400) {
				fprintf(stderr, "%s: --wait takes seconds (0-86400), not '%s'\n", cli->progname, val);
				return -1;
			}
			cli->wait_ms = (int)(s * 1000);
		}
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { .progname = "mtkflash", .wait_ms = 30000 };
	if (take_global_options(&cli, &argc, argv) < 0)
		return EXIT_USAGE;
	if (argc < 2) {
		print_help(stderr, cli.progname);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		print_help(stdout, cli.progname);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mtkflash %s\n", MTKFLASH_VERSION);
		return EXIT_OK;
	}
	const struct cli_command *cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "%s: unknown command '%s' (see '%s --help')\n", cli.progname, argv[1], cli.progname);
		return EXIT_USAGE;
	}
	cli.ctx = mtk_ctx_new();
	if (!cli.ctx) {
		fprintf(stderr, "%s: out of memory\n", cli.progname);
		return EXIT_FAILURE_GENERIC;
	}
	cli_output_init(&cli);
	int status = cmd->run(&cli, argc - 1, argv + 1);
	status = cli_output_finish(&cli, status);
	mtk_ctx_free(cli.ctx);
	return status;
}
