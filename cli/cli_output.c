/* SPDX-License-Identifier: MIT */
/* Everything the tool shows a person: log lines, progress, errors, JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_output.h"

static const char *level_tag[] = { "error", "warning", "info", "debug", "spew" };

static void log_to_stderr(void *user, enum mtk_log_level level, const char *msg)
{
	struct cli *cli = user;
	if (cli->tty)
		fputs("\r\033[K", stderr); /* do not draw over a progress bar */
	fprintf(stderr, "%s: %s\n", level_tag[level], msg);
}

struct progress_state {
	char what[96];
	double start;
	double last_draw;
	int last_decile;
};

static struct progress_state prog;

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

static void draw_bar(const char *what, uint64_t done, uint64_t total, double rate, double eta)
{
	char eta_s[16];
	format_eta(eta_s, sizeof eta_s, eta);
	double frac = total ? (double)done / (double)total : 0;
	int filled = (int)(frac * 30);
	char bar[31];
	for (int i = 0; i < 30; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r\033[K%-24.24s [%s] %5.1f%% %8.1f/%.1f MiB %6.1f MB/s ETA %s", what, bar, frac * 100,
		(double)done / 1048576.0, (double)total / 1048576.0, rate / 1e6, eta_s);
	fflush(stderr);
}

/* On a terminal: a bar redrawn at most 10 times a second.  Elsewhere (CI
 * logs, pipes): one plain line per 10 % of transfers of 4 MiB or more, so
 * logs stay readable. */
static void progress_to_stderr(void *user, const char *what, uint64_t done, uint64_t total)
{
	struct cli *cli = user;
	if (cli->verbosity < 0)
		return;
	double t = now_s();
	if (strncmp(prog.what, what, sizeof prog.what - 1) != 0 || done == 0) {
		snprintf(prog.what, sizeof prog.what, "%s", what);
		prog.start = t;
		prog.last_draw = 0;
		prog.last_decile = -1;
	}
	double elapsed = t - prog.start;
	double rate = elapsed > 0 ? (double)done / elapsed : 0;
	double eta = rate > 0 && total >= done ? (double)(total - done) / rate : -1;
	bool finished = total && done >= total;
	/* Tiny transfers (a partition table, DA1) finish before a bar means anything. */
	if (total < (1u << 20))
		return;
	if (cli->tty) {
		if (!finished && t - prog.last_draw < 0.1)
			return;
		prog.last_draw = t;
		draw_bar(what, done, total, rate, eta);
		if (finished)
			fputc('\n', stderr);
		return;
	}
	/* A megabyte goes by in a blink: plain lines are for work that takes time. */
	if (total < (4u << 20))
		return;
	int decile = total ? (int)(done * 10 / total) : 0;
	if (decile == prog.last_decile)
		return;
	prog.last_decile = decile;
	fprintf(stderr, "%s: %d%% (%llu of %llu bytes, %.1f MB/s)\n", what, decile * 10, (unsigned long long)done,
		(unsigned long long)total, rate / 1e6);
}

void cli_output_init(struct cli *cli)
{
	cli->tty = isatty(STDERR_FILENO);
	enum mtk_log_level lvl = MTK_LOG_INFO;
	if (cli->verbosity < 0)
		lvl = MTK_LOG_ERROR;
	else if (cli->verbosity > 0)
		lvl = (enum mtk_log_level)(MTK_LOG_INFO + (cli->verbosity > 2 ? 2 : cli->verbosity));
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
		return EXIT_POLICY;
	case MTK_E_ROLLEDBACK:
		return EXIT_ROLLEDBACK;
	case MTK_E_IO:
		return EXIT_IO;
	case MTK_E_PARSE:
	case MTK_E_RANGE:
	case MTK_E_NOTFOUND:
		return EXIT_PARSE;
	default:
		return EXIT_FAILURE_GENERIC;
	}
}

int cli_fail(struct cli *cli, int rc, const char *doing)
{
	const char *msg = mtk_ctx_error(cli->ctx);
	if (!*msg)
		msg = mtk_error_text(rc);
	if (cli->json) {
		json_t *e = json_object();
		json_object_set_new(e, "code", json_integer(rc));
		json_object_set_new(e, "name", json_string(mtk_error_name(rc)));
		json_object_set_new(e, "message", json_string(msg));
		if (doing)
			json_object_set_new(e, "while", json_string(doing));
		json_object_set_new(cli->out, "error", e);
	}
	if (cli->tty)
		fputs("\r\033[K", stderr);
	if (doing)
		fprintf(stderr, "%s: %s: %s\n", cli->progname, doing, msg);
	else
		fprintf(stderr, "%s: %s\n", cli->progname, msg);
	return cli_exit_for(rc);
}

int cli_usage(struct cli *cli, const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s: %s (see '%s %s --help')\n", cli->progname, cmd, msg, cli->progname, cmd);
	if (cli->json) {
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string("usage"));
		json_object_set_new(e, "message", json_string(msg));
		json_object_set_new(cli->out, "error", e);
	}
	return EXIT_USAGE;
}

void cli_print(struct cli *cli, const char *fmt, ...)
{
	if (cli->json)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

int cli_open_port(struct cli *cli, struct mtk_transport **out)
{
	const char *spec = cli->port ? cli->port : "auto";
	bool named = strncmp(spec, "serial:", 7) == 0 || spec[0] == '/';
	/* auto and usb look for a phone that may not be plugged in yet: say how
	 * to put it in download mode while the user still can. */
	bool searches = strcmp(spec, "auto") == 0 || strcmp(spec, "usb") == 0 || strncmp(spec, "usb:", 4) == 0;
	if (cli->verbosity >= 0 && named)
		fprintf(stderr, "waiting for a MediaTek device on %s (up to %d s)...\n", spec, cli->wait_ms / 1000);
	else if (cli->verbosity >= 0 && searches && cli->wait_ms > 0)
		fprintf(stderr, "waiting for a MediaTek device (hold volume-down while plugging in; up to %d s)...\n",
			cli->wait_ms / 1000);
	return mtk_transport_open(cli->ctx, spec, cli->wait_ms, out);
}

int cli_parse_size(const char *s, unsigned long long *out)
{
	if (!s || !*s || *s == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end)
		return -1;
	if (shift && v > (~0ULL >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

const char *cli_trust_dir(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	/* XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(out, cap, "%s/mtkflash/trusted-keys", xdg);
	else if (home && *home)
		n = snprintf(out, cap, "%s/.config/mtkflash/trusted-keys", home);
	else
		return NULL;
	return n < 0 || (size_t)n >= cap ? NULL : out;
}
