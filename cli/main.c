/* SPDX-License-Identifier: MIT */
/* mtkflash: command-line front end of libmtkflash. */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mtkflash/da.h"
#include "cli_output.h"
#include "commands.h"
#ifdef MTKFLASH_WITH_EMU
#include "mtkemu_port.h"
#endif
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
		"  --device-checks none|usb|storage|all\n"
		"                     the xflash DA's own checks during verified writes (default all)\n"
		"  --auth FILE        the vendor's authentication file, for a BootROM with DAA (SEND_AUTH)\n"
		"  --cert FILE        the vendor's root certificate, for a BootROM with DAA (SEND_CERT)\n"
		"  --history TARGET   the flash history: postgresql://... or an SQLite file (default\n"
		"                  $MTKFLASH_HISTORY, else $XDG_DATA_HOME/mtkflash/history.db)\n"
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

/* --wait SECONDS: a plain non-negative number (fractions allowed); strtod
 * alone would also take "nan", "inf", " 5" and hex floats. */
static bool parse_wait(const char *val, int *ms)
{
	if (!val[0] || !strchr("0123456789.", val[0]) || strpbrk(val, "xXnNiI"))
		return false;
	char *end;
	double s = strtod(val, &end);
	if (*end || !isfinite(s) || s < 0 || s > 86400)
		return false;
	*ms = (int)(s * 1000);
	return true;
}

/* --device-checks: SET_CHECKSUM_LEVEL's bits (da-xflash.md §1.8). */
static bool parse_device_checks(const char *val, unsigned *mask)
{
	static const struct {
		const char *name;
		unsigned mask;
	} levels[] = {
		{ "none", 0 },
		{ "usb", MTK_DA_CHECK_USB },
		{ "storage", MTK_DA_CHECK_STORAGE },
		{ "all", MTK_DA_CHECK_USB | MTK_DA_CHECK_STORAGE },
	};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (strcmp(val, levels[i].name) == 0) {
			*mask = levels[i].mask;
			return true;
		}
	}
	return false;
}

static void set_global(struct cli *cli, const char *opt, const char *val, char *err, size_t cap)
{
	if (strncmp(opt, "--device-checks", 15) == 0) {
		if (!parse_device_checks(val, &cli->device_checks) && !err[0])
			snprintf(err, cap, "--device-checks takes none, usb, storage or all, not '%s'", val);
	} else if (strncmp(opt, "--auth", 6) == 0) {
		cli->auth_file = val;
	} else if (strncmp(opt, "--cert", 6) == 0) {
		cli->cert_file = val;
	} else if (strncmp(opt, "--port", 6) == 0)
		cli->port = val;
	else if (strncmp(opt, "--history", 9) == 0)
		cli->history = val;
	else if (strncmp(opt, "--session-dir", 13) == 0)
		cli->session_dir = val;
	else if (strncmp(opt, "--after", 7) == 0) {
		cli->after_set = true;
		if ((cli->after = mtk_da_after_parse(val)) < 0 && !err[0])
			snprintf(err, cap, "--after takes stay, reboot or poweroff, not '%s'", val);
	} else if (strncmp(opt, "--da", 4) == 0)
		cli->da = val;
	else if (!parse_wait(val, &cli->wait_ms) && !err[0])
		snprintf(err, cap, "--wait takes seconds (0-86400), not '%s'", val);
}

/* Pull the global options out of argv wherever they stand, so that
 * `mtkflash --json inspect F` and `mtkflash inspect F --json` are the same.
 * What remains (command and its arguments) is compacted into argv.  The
 * first problem goes to err; the scan goes on so that a later --json still
 * decides the shape of the error report. */
static void take_global_options(struct cli *cli, int *argc, char **argv, char *err, size_t cap)
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
			   strncmp(a, "--session-dir=", 14) == 0 || strncmp(a, "--device-checks=", 16) == 0 ||
			   strncmp(a, "--auth=", 7) == 0 || strncmp(a, "--cert=", 7) == 0 ||
			   strncmp(a, "--history=", 10) == 0) {
			val = strchr(a, '=') + 1;
		} else if (strcmp(a, "--port") == 0 || strcmp(a, "--da") == 0 || strcmp(a, "--wait") == 0 ||
			   strcmp(a, "--after") == 0 || strcmp(a, "--session-dir") == 0 ||
			   strcmp(a, "--device-checks") == 0 || strcmp(a, "--auth") == 0 || strcmp(a, "--cert") == 0 ||
			   strcmp(a, "--history") == 0) {
			if (i + 1 >= *argc) {
				if (!err[0])
					snprintf(err, cap, "%s needs a value", a);
				continue;
			}
			val = argv[++i];
		} else {
			argv[out++] = argv[i];
			continue;
		}
		if (val)
			set_global(cli, a, val, err, cap);
	}
	argv[out] = NULL;
	*argc = out;
}

/* Usage errors before any command ran still produce the JSON document. */
static int global_usage(struct cli *cli, const char *fmt, const char *arg)
{
	int st = cli_usage(cli, NULL, fmt, arg);
	return cli_output_finish(cli, st);
}

static int run(struct cli *cli, int argc, char **argv, const char *err)
{
	if (err[0])
		return global_usage(cli, "%s", err);
	if (argc < 2) {
		print_help(stderr, cli->progname);
		return global_usage(cli, "%s", "no command given");
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		print_help(stdout, cli->progname);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mtkflash %s\n", MTKFLASH_VERSION);
		return EXIT_OK;
	}
	const struct cli_command *cmd = find_command(argv[1]);
	if (!cmd)
		return global_usage(cli, "unknown command '%s'", argv[1]);
	int status = cmd->run(cli, argc - 1, argv + 1);
	return cli_output_finish(cli, status);
}

/* The first Ctrl-C/SIGTERM asks the library to stop at the next command
 * boundary (the device stays usable, the document is still emitted); a
 * second one ends us at once, by the default action (an echo of the first,
 * as timeout(1) sends, is the same request). */
static void on_stop_signal(int sig)
{
	if (!cli_stop_signal) {
		cli_note_stop_signal(sig);
		return;
	}
	if (cli_stop_signal_echo())
		return;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigaction(sig, &dfl, NULL);
	raise(sig); /* delivered when this handler returns */
}

static void install_stop_handlers(mtk_ctx *ctx)
{
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	mtk_ctx_set_cancel(ctx, &cli_stop_signal);
}

int main(int argc, char **argv)
{
	struct cli cli = { .progname = "mtkflash", .wait_ms = 30000,
			   .device_checks = MTK_DA_CHECK_USB | MTK_DA_CHECK_STORAGE };
	char err[256] = "";
	take_global_options(&cli, &argc, argv, err, sizeof err);
	cli.ctx = mtk_ctx_new();
	if (!cli.ctx) {
		fprintf(stderr, "%s: out of memory\n", cli.progname);
		return EXIT_FAILURE_GENERIC;
	}
	cli_output_init(&cli);
#ifdef MTKFLASH_WITH_EMU
	mtkemu_port_register();
#endif
	install_stop_handlers(cli.ctx);
	int status = run(&cli, argc, argv, err);
	if (cli.out) /* help and --version print no document */
		json_decref(cli.out);
	mtk_ctx_free(cli.ctx);
	return status;
}
