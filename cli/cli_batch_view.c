/* SPDX-License-Identifier: MIT */
/* What a batch shows: one line per port, redrawn in place on a terminal in
 * SP Flash Tool's stage colours; plain lines as events happen elsewhere;
 * one JSON object per line with --json.  Every function here runs with
 * b->lock held, so lines of two phones never interleave. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_batch.h"
#include "mtkflash/util.h"

double batch_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const result_names[BATCH_NRESULTS] = {"", "verified", "failed", "rolled-back", "refused"};

const char *batch_result_name(enum batch_result r)
{
	return (unsigned)r < BATCH_NRESULTS ? result_names[r] : "";
}

/* The progress bar colours of SP Flash Tool (anchors.md §1.3), by our stage
 * names: red while connecting and starting the DA, purple for the boot
 * loader, yellow while writing the flash, blue for reading back (a backup),
 * green for a format, teal for a restore (and a rollback, which is one). */
static const struct {
	const char *stage;
	unsigned char rgb[3];
} stage_colours[] = {
        {"connect", {188, 89, 70}},   {"DA", {188, 89, 70}},      {"preloader", {136, 0, 127}},
        {"bootsel", {136, 0, 127}},   {"write", {255, 249, 15}},  {"table", {255, 249, 15}},
        {"backup", {11, 5, 229}},     {"stash", {11, 5, 229}},    {"verify", {11, 5, 229}},
        {"erase", {31, 116, 25}},     {"restore", {18, 139, 124}},
        {"rollback", {18, 139, 124}}, {"journal", {188, 89, 70}},
};

static const unsigned char *stage_rgb(const char *stage)
{
	for (size_t i = 0; i < sizeof stage_colours / sizeof stage_colours[0]; i++)
		if (strcmp(stage, stage_colours[i].stage) == 0)
			return stage_colours[i].rgb;
	return NULL;
}

/* ---------------------------------------------------------------- JSON */

static json_t *event_base(const struct batch_port *p, const char *event)
{
	json_t *o = json_object();
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "port", cli_json_str(p->spec));
	json_object_set_new(o, "stage", json_string(p->stage));
	if (p->device[0])
		json_object_set_new(o, "device", cli_json_str(p->device));
	if (p->chip[0])
		json_object_set_new(o, "chip", json_string(p->chip));
	return o;
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		puts(s);
		fflush(stdout);
		free(s);
	}
	json_decref(o);
}

/* --------------------------------------------------------------- lines */


/* A port's name for the live view's 24 columns: its end, where ports differ
 * ("...phone-01/tty"), not its start. */
static const char *port_tail(const char *spec, char *out, size_t cap)
{
	mtk_escape(spec, out, cap);
	size_t n = strlen(out);
	if (n <= 24)
		return out;
	char *t = out + n - 21;
	memcpy(t - 3, "...", 3);
	return t - 3;
}
static void port_line(const struct batch_port *p, bool colour, char *out, size_t cap)
{
	char dev[40], pct[16] = "", rate[16] = "";
	mtk_escape(p->device[0] ? p->device : "-", dev, sizeof dev);
	if (p->percent > 0)
		snprintf(pct, sizeof pct, "%5.1f%%", p->percent);
	if (p->mb_per_s > 0)
		snprintf(rate, sizeof rate, "%6.1f MB/s", p->mb_per_s);
	const unsigned char *rgb = colour ? stage_rgb(p->stage) : NULL;
	char on[32] = "", off[8] = "";
	if (rgb) {
		snprintf(on, sizeof on, "\033[38;2;%u;%u;%um", rgb[0], rgb[1], rgb[2]);
		snprintf(off, sizeof off, "\033[0m");
	} else if (colour && p->result) {
		snprintf(on, sizeof on, p->result == BATCH_VERIFIED ? "\033[1;32m" : "\033[1;31m");
		snprintf(off, sizeof off, "\033[0m");
	}
	char spec[256];
	snprintf(out, cap, "%-24.24s %-28.28s %s%-10s%s %6s %11s %s", port_tail(p->spec, spec, sizeof spec), dev, on,
		 p->stage, off, pct, rate,
	         p->result ? batch_result_name(p->result) : "");
}

/* A plain line: "PORT: stage write (system) 42.0%". */
static void plain_line(const struct batch_port *p)
{
	char spec[256], detail[200], dev[160];
	mtk_escape(p->spec, spec, sizeof spec);
	mtk_escape(p->detail, detail, sizeof detail);
	mtk_escape(p->device, dev, sizeof dev);
	if (p->result)
		printf("%s: %s %s%s%s\n", spec, batch_result_name(p->result), dev, detail[0] ? ": " : "",
		       detail);
	else
		printf("%s: %s%s%s\n", spec, p->stage, detail[0] ? " " : "", detail);
	fflush(stdout);
}

void batch_view_redraw(struct batch *b, bool force)
{
	if (!b->live)
		return;
	double t = batch_now();
	if (!force && t - b->last_draw < 0.1)
		return;
	b->last_draw = t;
	if (b->drawn)
		printf("\033[%uA", b->drawn);
	for (unsigned i = 0; i < b->nports; i++) {
		char line[512];
		port_line(b->ports[i], true, line, sizeof line);
		printf("\r\033[K%s\n", line);
	}
	b->drawn = b->nports;
	fflush(stdout);
}

/* ---------------------------------------------------------------- events */

/* The event as the output wants it: its JSON line (o, made only with
 * --json), the live view redrawn, or a plain line. */
static void show(struct batch_port *p, json_t *o, bool force)
{
	if (o)
		print_json(o);
	else if (p->b->live)
		batch_view_redraw(p->b, force);
	else
		plain_line(p);
}

void batch_view_stage(struct batch_port *p, const char *stage, const char *detail)
{
	snprintf(p->stage, sizeof p->stage, "%s", stage);
	snprintf(p->detail, sizeof p->detail, "%s", detail ? detail : "");
	json_t *o = p->b->json ? event_base(p, "stage") : NULL;
	if (o && p->detail[0])
		json_object_set_new(o, "detail", cli_json_str(p->detail));
	show(p, o, false);
}

/* JSON gets a line per tenth of the way, not one per MiB; plain output only
 * the stages. */
void batch_view_progress(struct batch_port *p)
{
	struct batch *b = p->b;
	int decile = (int)(p->percent / 10);
	if (b->live) {
		batch_view_redraw(b, false);
		return;
	}
	if (decile == p->last_decile || !b->json)
		return;
	p->last_decile = decile;
	json_t *o = event_base(p, "progress");
	json_object_set_new(o, "percent", json_real(p->percent));
	json_object_set_new(o, "mb_per_s", json_real(p->mb_per_s));
	print_json(o);
}

void batch_view_result(struct batch_port *p, const struct cli_flash_report *rep, enum batch_result r)
{
	p->result = r;
	snprintf(p->stage, sizeof p->stage, "done");
	snprintf(p->detail, sizeof p->detail, "%.159s", rep->message);
	json_t *o = p->b->json ? event_base(p, "result") : NULL;
	if (o) {
		json_object_set_new(o, "result", json_string(batch_result_name(r)));
		json_object_set_new(o, "exit_status", json_integer(rep->status));
		json_object_set_new(o, "bytes_written", json_integer((json_int_t)rep->bytes_written));
		json_object_set_new(o, "seconds", json_real(rep->seconds));
		if (rep->log_path[0])
			json_object_set_new(o, "audit_log", cli_json_str(rep->log_path));
		if (rep->message[0])
			json_object_set_new(o, "message", cli_json_str(rep->message));
	}
	show(p, o, true);
}

void batch_view_start(struct batch *b)
{
	if (b->json) {
		json_t *ports = json_array();
		for (unsigned i = 0; i < b->nports; i++)
			json_array_append_new(ports, cli_json_str(b->ports[i]->spec));
		json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:i, s:i, s:o}", "event", "start", "port", "all",
		                      "stage", "wait", "ports", ports, "max", (int)b->max, "count",
		                      (int)b->count, "folder", cli_json_str(b->dir));
		print_json(o);
	} else if (!b->live) {
		char dir[512];
		printf("waiting for phones on %s (%u at a time); logs in %s\n",
		       b->ports_arg ? b->ports_arg : "auto", b->max, mtk_escape(b->dir, dir, sizeof dir));
		fflush(stdout);
	} else {
		batch_view_redraw(b, true);
	}
}

void batch_view_stopping(struct batch *b, int sig)
{
	if (b->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i}", "event", "stopping", "port", "all",
		                      "stage", "stopping", "signal", sig, "in_progress", (int)b->running);
		print_json(o);
	} else if (!b->live) {
		printf("stopping (signal %d): no new phone; %u in progress finish (Ctrl-C again: roll them "
		       "back)\n",
		       sig, b->running);
		fflush(stdout);
	}
}

/* ---------------------------------------------------------------- summary */

static double port_rate(const struct batch_port *p)
{
	return p->seconds > 0 ? (double)p->bytes / p->seconds / 1e6 : 0;
}

static void summary_json(struct batch *b, const unsigned *totals, bool interrupted)
{
	json_t *o = json_object();
	json_object_set_new(o, "event", json_string("summary"));
	json_object_set_new(o, "port", json_string("all"));
	json_object_set_new(o, "stage", json_string("summary"));
	for (int r = BATCH_VERIFIED; r < BATCH_NRESULTS; r++)
		json_object_set_new(o, batch_result_name((enum batch_result)r), json_integer(totals[r]));
	json_object_set_new(o, "phones", json_integer(b->finished));
	unsigned judged = 0;
	for (unsigned i = 0; i < b->npkgs; i++)
		judged += b->pkgs[i].cache.judged;
	json_object_set_new(o, "package_checks", json_integer(judged));
	json_object_set_new(o, "interrupted", json_boolean(interrupted));
	json_object_set_new(o, "folder", cli_json_str(b->dir));
	json_t *ports = json_array();
	for (unsigned i = 0; i < b->nports; i++) {
		const struct batch_port *p = b->ports[i];
		json_array_append_new(ports,
		                      json_pack("{s:o, s:i, s:I, s:f, s:f}", "port", cli_json_str(p->spec),
		                                "phones", (int)p->phones, "bytes", (json_int_t)p->bytes,
		                                "seconds", p->seconds, "mb_per_s", port_rate(p)));
	}
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "exit_status", json_integer(b->worst));
	print_json(o);
}

void batch_view_summary(struct batch *b, bool interrupted)
{
	unsigned totals[BATCH_NRESULTS] = {0};
	for (unsigned i = 0; i < b->nports; i++)
		for (int r = 0; r < BATCH_NRESULTS; r++)
			totals[r] += b->ports[i]->per_result[r];
	if (b->json) {
		summary_json(b, totals, interrupted);
		return;
	}
	batch_view_redraw(b, true);
	printf("\n%s%u phones: %u verified, %u failed, %u rolled back, %u refused\n",
	       interrupted ? "interrupted; " : "", b->finished, totals[BATCH_VERIFIED], totals[BATCH_FAILED],
	       totals[BATCH_ROLLEDBACK], totals[BATCH_REFUSED]);
	/* The summary is kept: every port's whole name, however long. */
	int w = 24;
	char spec[256];
	for (unsigned i = 0; i < b->nports; i++) {
		int n = (int)strlen(mtk_escape(b->ports[i]->spec, spec, sizeof spec));
		w = n > w ? n : w;
	}
	printf("%-*s %6s %14s %9s %9s\n", w, "port", "phones", "bytes", "seconds", "MB/s");
	for (unsigned i = 0; i < b->nports; i++) {
		const struct batch_port *p = b->ports[i];
		printf("%-*s %6u %14llu %9.2f %9.1f\n", w, mtk_escape(p->spec, spec, sizeof spec), p->phones,
		       (unsigned long long)p->bytes, p->seconds, port_rate(p));
	}
	printf("audit logs and per-port logs: %s\n", b->dir);
	fflush(stdout);
}
