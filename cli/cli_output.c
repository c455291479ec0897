/* SPDX-License-Identifier: MIT */
/* Everything the tool shows a person: log lines, progress, errors, JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_output.h"
#include "mtkflash/manifest.h"
#include "mtkflash/status.h"
#include "mtkflash/util.h"

static const char *level_tag[] = { "error", "warning", "info", "debug", "spew" };

/* Text that may carry device or file data (partition names, paths) reaches a
 * terminal only through here: control bytes and broken UTF-8 become \xNN,
 * while the line and tab structure of our own output stays. */
static void put_escaped(FILE *f, const char *s)
{
	char buf[1024];
	while (*s) {
		size_t run = strcspn(s, "\n\t");
		while (run) {
			/* escapes take 4 bytes a byte: cut runs so they always fit */
			size_t take = run < (sizeof buf - 1) / 4 ? run : (sizeof buf - 1) / 4;
			fputs(mtk_escape_n(s, take, buf, sizeof buf), f);
			s += take;
			run -= take;
		}
		if (*s)
			fputc(*s++, f);
	}
}

FILE *cli_diag(const struct cli *cli)
{
	return cli->diag ? cli->diag : stderr;
}

static void log_to_stderr(void *user, enum mtk_log_level level, const char *msg)
{
	struct cli *cli = user;
	FILE *f = cli_diag(cli);
	if (cli->tty)
		fputs("\r\033[K", f); /* do not draw over a progress bar */
	fprintf(f, "%s: ", level_tag[level]);
	put_escaped(f, msg);
	fputc('\n', f);
}

json_t *cli_json_str(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	/* jansson refuses strings that are not UTF-8: show them escaped */
	char buf[4096];
	return json_string(mtk_escape(s, buf, sizeof buf));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void format_eta(char *out, size_t cap, double secs)
{
	if (secs < 0 || secs > 359999) {
		snprintf(out, cap, "--:--");
		return;
	}
	int s = (int)(secs + 0.5);
	if (s >= 3600)
		snprintf(out, cap, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, cap, "%d:%02d", s / 60, s % 60);
}

static void draw_bar(FILE *f, const char *what, uint64_t done, uint64_t total, double rate, double eta)
{
	char eta_s[16];
	format_eta(eta_s, sizeof eta_s, eta);
	double frac = total ? (double)done / (double)total : 0;
	int filled = (int)(frac * 30);
	char bar[31];
	for (int i = 0; i < 30; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[30] = '\0';
	fprintf(f, "\r\033[K%-24.24s [%s] %5.1f%% %8.1f/%.1f MiB %6.1f MB/s ETA %s", what, bar, frac * 100,
		(double)done / 1048576.0, (double)total / 1048576.0, rate / 1e6, eta_s);
	fflush(f);
}

/* On a terminal: a bar redrawn at most 10 times a second.  Elsewhere (CI
 * logs, pipes): one plain line per 10 % of transfers of 4 MiB or more, so
 * logs stay readable. */
static void progress_to_stderr(void *user, const char *what, uint64_t done, uint64_t total)
{
	struct cli *cli = user;
	struct cli_progress *prog = &cli->prog;
	FILE *f = cli_diag(cli);
	if (cli->verbosity < 0)
		return;
	double t = now_s();
	if (strncmp(prog->what, what, sizeof prog->what - 1) != 0 || done == 0) {
		snprintf(prog->what, sizeof prog->what, "%s", what);
		prog->start = t;
		prog->last_draw = 0;
		prog->last_decile = -1;
	}
	double elapsed = t - prog->start;
	double rate = elapsed > 0 ? (double)done / elapsed : 0;
	double eta = rate > 0 && total >= done ? (double)(total - done) / rate : -1;
	bool finished = total && done >= total;
	/* Tiny transfers (a partition table, DA1) finish before a bar means anything. */
	if (total < (1u << 20))
		return;
	if (cli->tty) {
		if (!finished && t - prog->last_draw < 0.1)
			return;
		prog->last_draw = t;
		draw_bar(f, what, done, total, rate, eta);
		if (finished)
			fputc('\n', f);
		return;
	}
	/* A megabyte goes by in a blink: plain lines are for work that takes time. */
	if (total < (4u << 20))
		return;
	int decile = total ? (int)(done * 10 / total) : 0;
	if (decile == prog->last_decile)
		return;
	prog->last_decile = decile;
	fprintf(f, "%s: %d%% (%llu of %llu bytes, %.1f MB/s)\n", what, decile * 10, (unsigned long long)done,
		(unsigned long long)total, rate / 1e6);
}

void cli_output_init(struct cli *cli)
{
	cli->tty = isatty(STDERR_FILENO);
	/* default: errors and warnings; -v info, -vv debug, -vvv every transfer */
	enum mtk_log_level lvl = MTK_LOG_WARN;
	if (cli->verbosity < 0)
		lvl = MTK_LOG_ERROR;
	else if (cli->verbosity > 0)
		lvl = (enum mtk_log_level)(MTK_LOG_WARN + (cli->verbosity > 3 ? 3 : cli->verbosity));
	mtk_ctx_set_log(cli->ctx, log_to_stderr, cli, lvl);
	mtk_ctx_set_progress(cli->ctx, progress_to_stderr, cli);
	if (cli->json)
		cli->out = json_object();
}

int cli_output_finish(struct cli *cli, int status)
{
	if (!cli->json)
		return status;
	json_object_set_new(cli->out, "ok", json_boolean(status == EXIT_OK));
	json_object_set_new(cli->out, "exit_status", json_integer(status));
	char *s = json_dumps(cli->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(cli->out);
	cli->out = NULL;
	return status;
}

volatile sig_atomic_t cli_stop_signal;
static struct timespec first_stop_at;

#define STOP_ECHO_NS 100000000LL

void cli_note_stop_signal(int sig)
{
	clock_gettime(CLOCK_MONOTONIC, &first_stop_at);
	cli_stop_signal = sig;
}

bool cli_stop_signal_echo(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ns = (long long)(now.tv_sec - first_stop_at.tv_sec) * 1000000000LL +
		       (now.tv_nsec - first_stop_at.tv_nsec);
	return ns < STOP_ECHO_NS;
}

int cli_exit_for(int rc)
{
	switch (rc) {
	case MTK_OK:
		return EXIT_OK;
	case MTK_E_INVAL:
		return EXIT_USAGE;
	case MTK_E_NODEV:
	case MTK_E_TIMEOUT:
	case MTK_E_DISCONNECTED:
		return EXIT_NODEV;
	case MTK_E_PROTO:
	case MTK_E_STATUS:
	case MTK_E_UNSUPPORTED:
		return EXIT_PROTOCOL;
	case MTK_E_VERIFY:
		return EXIT_VERIFY;
	case MTK_E_POLICY:
	case MTK_E_SECURITY:
	case MTK_E_DENIED:
		return EXIT_POLICY;
	case MTK_E_ROLLEDBACK:
		return EXIT_ROLLEDBACK;
	case MTK_E_IO:
		return EXIT_IO;
	case MTK_E_PARSE:
	case MTK_E_RANGE:
	case MTK_E_NOTFOUND:
		return EXIT_PARSE;
	case MTK_E_INTERRUPTED:
		/* As a shell reports a program killed by the signal. */
		return 128 + (cli_stop_signal ? cli_stop_signal : SIGINT);
	case MTK_E_NOMEM:
		return EXIT_FAILURE_GENERIC;
	default:
		return EXIT_FAILURE_GENERIC;
	}
}

/* What `mtkflash explain` takes for this failure: the device status that caused
 * it when there was one (it says more than our code), else our code. */
static const char *explain_key(struct cli *cli, int rc)
{
	if (cli->no_explain_hint)
		return NULL;
	const char *st = mtk_ctx_error_code(cli->ctx) == rc ? mtk_ctx_error_status(cli->ctx) : NULL;
	return st ? st : mtk_status_error_key(rc);
}

int cli_fail(struct cli *cli, int rc, const char *doing)
{
	const char *msg = mtk_ctx_error(cli->ctx);
	if (!*msg)
		msg = mtk_error_text(rc);
	const char *key = explain_key(cli, rc);
	if (cli->json) {
		json_t *e = json_object();
		json_object_set_new(e, "code", json_integer(rc));
		json_object_set_new(e, "name", json_string(mtk_error_name(rc)));
		json_object_set_new(e, "message", cli_json_str(msg));
		if (doing)
			json_object_set_new(e, "while", cli_json_str(doing));
		if (key)
			json_object_set_new(e, "explain", json_string(key));
		json_object_set_new(cli->out, "error", e);
	}
	FILE *f = cli_diag(cli);
	if (cli->tty)
		fputs("\r\033[K", f);
	fprintf(f, "%s: ", cli->progname);
	if (doing) {
		put_escaped(f, doing);
		fputs(": ", f);
	}
	put_escaped(f, msg);
	if (key)
		fprintf(f, " (%s explain %s)", cli->progname, key);
	fputc('\n', f);
	return cli_exit_for(rc);
}

int cli_usage(struct cli *cli, const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s%s%s: ", cli->progname, cmd ? " " : "", cmd ? cmd : "");
	put_escaped(stderr, msg);
	fprintf(stderr, " (see '%s%s%s --help')\n", cli->progname, cmd ? " " : "", cmd ? cmd : "");
	if (cli->json && cli->out) {
		json_t *e = json_object();
		json_object_set_new(e, "code", json_integer(MTK_E_INVAL));
		json_object_set_new(e, "name", json_string("usage"));
		json_object_set_new(e, "message", cli_json_str(msg));
		json_object_set_new(cli->out, "error", e);
	}
	return EXIT_USAGE;
}

void cli_print(struct cli *cli, const char *fmt, ...)
{
	if (cli->json)
		return;
	char stack[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(stack, sizeof stack, fmt, ap);
	va_end(ap);
	char *text = stack;
	if (n >= (int)sizeof stack && (text = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	put_escaped(cli->human ? cli->human : stdout, text ? text : stack);
	if (text != stack)
		free(text);
}

/* Only auto and usb search for a phone that may not be plugged in yet, so
 * only they say how to put it in download mode while the user still can.
 * A named tty that does not exist is an error at once, not a wait. */
void cli_waiting_notice(const struct cli *cli)
{
	const char *spec = cli->port ? cli->port : "auto";
	bool searches = strcmp(spec, "auto") == 0 || strcmp(spec, "usb") == 0 || strncmp(spec, "usb:", 4) == 0;
	if (cli->verbosity >= 0 && searches && cli->wait_ms > 0)
		fprintf(cli_diag(cli), "waiting for a MediaTek device (hold volume-down while plugging in; up to %d s)...\n",
			cli->wait_ms / 1000);
}

int cli_open_port(struct cli *cli, struct mtk_transport **out)
{
	const char *spec = cli->port ? cli->port : "auto";
	const char *path = strncmp(spec, "serial:", 7) == 0 ? spec + 7 : spec[0] == '/' ? spec : NULL;
	if (path && access(path, F_OK) != 0)
		return mtk_fail(cli->ctx, MTK_E_NODEV, "%s: %s", path, strerror(errno));
	cli_waiting_notice(cli);
	return mtk_transport_open(cli->ctx, spec, cli->wait_ms, out);
}

int cli_parse_size(const char *s, unsigned long long *out)
{
	uint64_t v;
	if (mtk_parse_size(NULL, s, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_opts(struct cli *cli, const char *cmd, const char *help, int argc, char **argv,
		   const struct option *opts, cli_opt_fn fn, void *args, int *first)
{
	optind = 0; /* glibc: start afresh */
	opterr = 0; /* our own messages, in the JSON document too */
	int c, st;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (c == ':')
			return cli_usage(cli, cmd, "%s needs a value", argv[optind - 1]);
		if (c == '?')
			return cli_usage(cli, cmd, "unknown option '%s'", argv[optind - 1]);
		if ((st = fn(cli, args, c, optarg)) != CLI_CONTINUE)
			return st;
	}
	*first = optind;
	return CLI_CONTINUE;
}

static int no_option(struct cli *cli, void *args, int opt, const char *val)
{
	(void)cli, (void)args, (void)opt, (void)val;
	return CLI_CONTINUE; /* getopt_long only returns options from the table: -h alone */
}

int cli_parse_no_opts(struct cli *cli, const char *cmd, const char *help, int argc, char **argv, int *first)
{
	static const struct option only_help[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	return cli_parse_opts(cli, cmd, help, argc, argv, only_help, no_option, NULL, first);
}

const char *cli_xdg_dir(const char *var, const char *fallback, const char *sub, char *out, size_t cap)
{
	const char *xdg = getenv(var);
	const char *home = getenv("HOME");
	int n;
	/* XDG says a relative $XDG_..._HOME is invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(out, cap, "%s/%s", xdg, sub);
	else if (home && *home)
		n = snprintf(out, cap, "%s/%s/%s", home, fallback, sub);
	else
		return NULL;
	return n < 0 || (size_t)n >= cap ? NULL : out;
}

const char *cli_trust_dir(char *out, size_t cap)
{
	return cli_xdg_dir("XDG_CONFIG_HOME", ".config", "mtkflash/trusted-keys", out, cap);
}

const char *cli_station_dir(char *out, size_t cap)
{
	return cli_xdg_dir("XDG_DATA_HOME", ".local/share", "mtkflash", out, cap);
}

int cli_load_trust(struct cli *cli, const char *const *files, size_t nfiles, struct mtk_minisign_pubkey **keys,
		   size_t *n)
{
	if (nfiles)
		return mtk_trust_load(cli->ctx, files, nfiles, NULL, keys, n);
	char sdir[4096], tdir[4096];
	char *station = cli_station_dir(sdir, sizeof sdir) ? mtk_path_join(sdir, "station.pub") : NULL;
	const char *own[1] = { station };
	size_t nown = station && access(station, F_OK) == 0 ? 1 : 0;
	int rc = mtk_trust_load(cli->ctx, own, nown, cli_trust_dir(tdir, sizeof tdir), keys, n);
	free(station);
	return rc;
}

const char *cli_journal_root(char *out, size_t cap)
{
	return cli_xdg_dir("XDG_STATE_HOME", ".local/state", "mtkflash/journal", out, cap);
}

const char *cli_audit_dir(char *out, size_t cap)
{
	return cli_xdg_dir("XDG_STATE_HOME", ".local/state", "mtkflash/audit", out, cap);
}
