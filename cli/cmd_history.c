/* SPDX-License-Identifier: MIT */
/* mtkflash history [filters] | history show JOB: the jobs recorded by
 * flash, recover, backup, readback and batch (docs/history.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_history.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash history [--device ID] [--since DATE] [--result RESULT] [--limit N]\n"
	"       mtkflash history show JOB\n"
	"\n"
	"The jobs recorded in the flash history, newest first: every flash, recover,\n"
	"backup, readback and each phone of a batch, with its device, package, mode,\n"
	"station, operator, result and audit log.  `show` prints one job with each\n"
	"partition's outcome (JOB: its id or a unique prefix of it).\n"
	"  --device ID      only this device\n"
	"  --since DATE     only jobs started at or after DATE (UTC): 2026-12-01 or\n"
	"                   2026-12-01T08:30:00Z\n"
	"  --result R       verified, failed, rolled-back or refused\n"
	"  --limit N        at most N jobs\n"
	"The history is --history TARGET (postgresql://... or an SQLite file), else\n"
	"$MTKFLASH_HISTORY, else $XDG_DATA_HOME/mtkflash/history.db.  Records a station\n"
	"could not send are queued in $XDG_STATE_HOME/mtkflash/history-queue/ and sent\n"
	"by the next run that reaches the database (this command included).\n"
	"Exit status: 0; 2 bad filter; 3 no such job; 8 the database cannot be read.\n";

struct history_args {
	struct mtk_history_filter f;
};

enum { OPT_DEVICE = 256, OPT_SINCE, OPT_RESULT, OPT_LIMIT };

static const struct option options[] = {
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "result", required_argument, NULL, OPT_RESULT },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* YYYY-MM-DD, optionally followed by THH:MM[:SS[.mmm]][Z]: compared as
 * text with the records' RFC 3339 times, so the shape must match theirs. */
static bool valid_since(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t n = strlen(s);
	if (n != 10 && n != 16 && n != 19 && n != 23 && n != 24 && n != 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		char want = n == 20 && i == 19 ? 'Z' : shape[i];
		if (want == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != want)
			return false;
	}
	return true;
}

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	static const char *const results[] = { "verified", "failed", "rolled-back", "refused" };
	struct history_args *a = args;
	unsigned long long n;
	switch (opt) {
	case OPT_DEVICE:
		a->f.device_id = val;
		return CLI_CONTINUE;
	case OPT_SINCE:
		a->f.since = val;
		return valid_since(val) ? CLI_CONTINUE
					: cli_usage(cli, "history", "--since takes 2026-12-01 or 2026-12-01T08:30:00Z, "
						    "not '%s'", val);
	case OPT_LIMIT:
		if (cli_parse_size(val, &n) < 0 || n == 0 || n > 1000000)
			return cli_usage(cli, "history", "--limit takes a number from 1, not '%s'", val);
		a->f.limit = (size_t)n;
		return CLI_CONTINUE;
	default:
		for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
			if (strcmp(val, results[i]) == 0) {
				a->f.result = results[i];
				return CLI_CONTINUE;
			}
		return cli_usage(cli, "history", "--result takes verified, failed, rolled-back or refused, not '%s'",
				 val);
	}
}

static int open_history(struct cli *cli, struct mtk_history **h)
{
	char target[4096], queue[4096];
	if (!cli_history_target(cli, target, sizeof target))
		return mtk_fail(cli->ctx, MTK_E_IO, "no history named: give --history, or set XDG_DATA_HOME or HOME");
	return mtk_history_open(cli->ctx, target, cli_history_queue_dir(queue, sizeof queue), h);
}

static void print_row(struct cli *cli, const struct mtk_history_record *r)
{
	char dev[40], station[24];
	cli_print(cli, "%-24s %-12.12s %-8s %-24s %-11s %s\n", r->started, r->job_id, r->kind,
		  mtk_escape(r->device_id, dev, sizeof dev), r->result, mtk_escape(r->station, station, sizeof station));
}

static int list(struct cli *cli, const struct history_args *a, struct mtk_history *h)
{
	struct mtk_history_record *v = NULL;
	size_t n = 0;
	int rc = mtk_history_list(h, &a->f, &v, &n);
	if (rc < 0)
		return cli_fail(cli, rc, "reading the history");
	json_t *jobs = cli->json ? json_array() : NULL;
	if (!cli->json && n)
		cli_print(cli, "%-24s %-12s %-8s %-24s %-11s %s\n", "started (UTC)", "job", "kind", "device", "result",
			  "station");
	for (size_t i = 0; i < n; i++) {
		if (jobs)
			json_array_append_new(jobs, mtk_history_record_to_json(&v[i]));
		else
			print_row(cli, &v[i]);
		mtk_history_record_free(&v[i]);
	}
	free(v);
	if (jobs)
		json_object_set_new(cli->out, "jobs", jobs);
	else if (!n)
		cli_print(cli, "no jobs recorded%s\n", a->f.device_id || a->f.since || a->f.result ? " that match" : "");
	return EXIT_OK;
}

static void show_text(struct cli *cli, const struct mtk_history_record *r)
{
	static const char *const labels[][2] = {
		{ "job_id", "Job" }, { "kind", "Kind" }, { "device_id", "Device" }, { "fingerprint", "Fingerprint" },
		{ "scatter", "Package" }, { "manifest_sha256", "SHA256SUMS" }, { "signer", "Signed by" },
		{ "mode", "Mode" }, { "scene", "Scene" }, { "operator", "Operator" }, { "role", "Role" },
		{ "station", "Station" }, { "started", "Started" }, { "ended", "Ended" }, { "result", "Result" },
		{ "error", "Error" }, { "audit_log", "Audit log" }, { "chain_head", "Chain head" },
	};
	json_t *j = mtk_history_record_to_json(r);
	for (size_t i = 0; j && i < sizeof labels / sizeof labels[0]; i++) {
		const char *v = json_string_value(json_object_get(j, labels[i][0]));
		char esc[1200];
		if (v && v[0])
			cli_print(cli, "%-12s %s\n", labels[i][1], mtk_escape(v, esc, sizeof esc));
	}
	json_decref(j);
	if (r->nparts)
		cli_print(cli, "\n%-20s %-8s %-12s %12s  %s\n", "partition", "step", "state", "bytes", "SHA-256 after");
	for (size_t i = 0; i < r->nparts; i++) {
		const struct mtk_history_part *p = &r->parts[i];
		char name[64];
		cli_print(cli, "%-20s %-8s %-12s %12llu  %s\n", mtk_escape(p->name, name, sizeof name), p->stage,
			  p->state, (unsigned long long)p->bytes, p->sha256[0] ? p->sha256 : "-");
	}
}

static int show(struct cli *cli, struct mtk_history *h, const char *job)
{
	struct mtk_history_record r;
	int rc = mtk_history_get(h, job, &r);
	if (rc == MTK_E_NOTFOUND) {
		cli_fail(cli, rc, NULL);
		return EXIT_NODEV;
	}
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	if (cli->json)
		json_object_set_new(cli->out, "job", mtk_history_record_to_json(&r));
	else
		show_text(cli, &r);
	mtk_history_record_free(&r);
	return EXIT_OK;
}

int cmd_history(struct cli *cli, int argc, char **argv)
{
	struct history_args a = {0};
	int first = argc;
	int st = cli_parse_opts(cli, "history", help, argc, argv, options, on_option, &a, &first);
	if (st != CLI_CONTINUE)
		return st;
	int nargs = argc - first;
	bool is_show = nargs >= 1 && strcmp(argv[first], "show") == 0;
	if (is_show ? nargs != 2 : nargs != 0)
		return cli_usage(cli, "history", is_show ? "history show takes one job id" : "unexpected '%s'",
				 argv[first]);
	struct mtk_history *h = NULL;
	int rc = open_history(cli, &h);
	if (rc < 0)
		return cli_fail(cli, rc, "opening the history");
	st = is_show ? show(cli, h, argv[first + 1]) : list(cli, &a, h);
	mtk_history_close(h);
	return st;
}
