/* SPDX-License-Identifier: MIT */
/* An audit log summarised for the report: one handler per event type picks
 * the fields a reader needs.  The log is hostile input like any file: every
 * string is escaped and cut, every number checked for its type. */
#include "mtkflash/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "mtkflash/util.h"

#define MAX_STEPS 4096 /* far more than any scatter has partitions */
#define MAX_FACTORS 64

static void put_str(char *out, size_t cap, json_t *v)
{
	const char *s = json_string_value(v);
	if (!s) {
		out[0] = '\0';
		return;
	}
	mtk_escape(s, out, cap);
	size_t n = strlen(out);
	if (strlen(s) < cap || cap < 8 || n + 4 < cap)
		return;
	/* a cut string says so, rather than looking whole; the "..." goes at a
	 * character boundary so the text stays UTF-8 */
	n = cap - 4;
	while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
		n--;
	memcpy(out + n, "...", 4);
}

#define PUT(field, obj, key) put_str((field), sizeof(field), json_object_get((obj), (key)))

static uint64_t get_u64(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));
	return v > 0 ? (uint64_t)v : 0;
}

static double get_real(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	double d = json_is_number(v) ? json_number_value(v) : 0;
	return d > 0 && d < 1e12 ? d : 0;
}

static void on_open(struct mtk_report *r, json_t *j)
{
	PUT(r->tool, j, "tool");
	PUT(r->device_id, j, "device_id");
}

static void on_start(struct mtk_report *r, json_t *j)
{
	PUT(r->started, j, "time");
	PUT(r->mode, j, "mode");
	PUT(r->scene, j, "scene");
	PUT(r->scatter, j, "scatter");
	if (json_string_value(json_object_get(j, "device_id")))
		PUT(r->device_id, j, "device_id");
}

static void on_fingerprint(struct mtk_report *r, json_t *j)
{
	PUT(r->chip, json_object_get(j, "brom"), "chip");
}

static void on_package(struct mtk_report *r, json_t *j)
{
	PUT(r->package_sig, j, "signature");
	PUT(r->package_detail, j, "detail");
	r->manifest = json_is_true(json_object_get(j, "manifest"));
}

static void add_factor(struct mtk_report *r, json_t *f)
{
	if (!json_is_object(f) || r->nfactors == MAX_FACTORS)
		return;
	struct mtk_report_factor *x = &r->factors[r->nfactors++];
	PUT(x->name, f, "factor");
	PUT(x->state, f, "state");
	PUT(x->detail, f, "detail");
	x->contribution = (int)json_integer_value(json_object_get(f, "contribution"));
}

static void on_risk(struct mtk_report *r, json_t *j)
{
	r->risk_score = (int)json_integer_value(json_object_get(j, "score"));
	PUT(r->risk_level, j, "level");
	if (!r->factors)
		r->factors = calloc(MAX_FACTORS, sizeof *r->factors);
	if (!r->factors)
		return;
	r->nfactors = 0;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(j, "factors"), i, f)
		add_factor(r, f);
}

/* What the plan meant to write: the report of a refused flash says what
 * was spared. */
static void on_plan(struct mtk_report *r, json_t *j)
{
	size_t i, n = 0;
	json_t *e;
	r->planned[0] = '\0';
	json_array_foreach(json_object_get(j, "entries"), i, e) {
		const char *action = json_string_value(json_object_get(e, "action"));
		char name[64];
		if (!action || strcmp(action, "write") != 0)
			continue;
		PUT(name, e, "partition");
		if (n + strlen(name) + 6 >= sizeof r->planned) {
			snprintf(r->planned + n, sizeof r->planned - n, ", ...");
			return;
		}
		n += (size_t)snprintf(r->planned + n, sizeof r->planned - n, "%s%s", n ? ", " : "", name);
	}
}

static void on_decision(struct mtk_report *r, json_t *j)
{
	PUT(r->verdict, j, "verdict");
	PUT(r->confirmed, j, "confirmed");
	size_t i, n = 0;
	json_t *why;
	r->reasons[0] = '\0';
	json_array_foreach(json_object_get(j, "reasons"), i, why) {
		char one[MTK_REPORT_TEXT];
		put_str(one, sizeof one, why);
		if (n + strlen(one) + 3 >= sizeof r->reasons)
			break;
		n += (size_t)snprintf(r->reasons + n, sizeof r->reasons - n, "%s%s", n ? "; " : "", one);
	}
}

static void on_policy(struct mtk_report *r, json_t *j)
{
	PUT(r->role, j, "role");
	PUT(r->policy, j, "name");
}

/* What a finished step means in words: a write is verified only when its
 * read-back matched. */
static void step_outcome(struct mtk_report_step *s, const char *event, json_t *j)
{
	const char *state = json_string_value(json_object_get(j, "state"));
	json_t *match = json_object_get(j, "match");
	if (strcmp(event, "error") == 0 || strcmp(event, "interrupted") == 0)
		snprintf(s->outcome, sizeof s->outcome, "%s", json_is_false(match) ? "MISMATCH" : event);
	else if (state && strcmp(state, "done") != 0)
		mtk_escape(state, s->outcome, sizeof s->outcome);
	else if (strcmp(s->stage, "backup") == 0)
		snprintf(s->outcome, sizeof s->outcome, "saved");
	else if (strcmp(s->stage, "erase") == 0)
		snprintf(s->outcome, sizeof s->outcome, "erased");
	else if (json_is_boolean(match))
		snprintf(s->outcome, sizeof s->outcome, "%s", json_is_true(match) ? "verified" : "MISMATCH");
	else
		snprintf(s->outcome, sizeof s->outcome, "done");
}

static int on_step(struct mtk_report *r, const char *event, json_t *j)
{
	if (r->nsteps == MAX_STEPS)
		return 0;
	struct mtk_report_step *grown = realloc(r->steps, (r->nsteps + 1) * sizeof *grown);
	if (!grown)
		return MTK_E_NOMEM;
	r->steps = grown;
	struct mtk_report_step *s = &r->steps[r->nsteps++];
	memset(s, 0, sizeof *s);
	PUT(s->partition, j, "partition");
	PUT(s->stage, j, "stage");
	if (!s->stage[0])
		mtk_escape(event, s->stage, sizeof s->stage);
	step_outcome(s, event, j);
	s->bytes = get_u64(j, "bytes");
	s->seconds = get_real(j, "seconds");
	s->mb_per_s = get_real(j, "mb_per_s");
	PUT(s->before, j, "before_sha256");
	PUT(s->after, j, "after_sha256");
	PUT(s->rollback, j, "rollback");
	PUT(s->error, json_object_get(j, "error"), "message");
	return 0;
}

/* The step a rollback undid reads "put back" in the table, not "verified". */
static void on_rollback(struct mtk_report *r, json_t *j)
{
	char name[64];
	PUT(name, j, "partition");
	bool restored = json_is_true(json_object_get(j, "restored"));
	size_t n = strlen(r->rolled_back);
	snprintf(r->rolled_back + n, sizeof r->rolled_back - n, "%s%s%s", n ? ", " : "", name,
		 restored ? "" : " (FAILED)");
	if (!restored)
		r->rollback_failed = true;
	for (size_t i = r->nsteps; i-- > 0;)
		if (strcmp(r->steps[i].partition, name) == 0) {
			snprintf(r->steps[i].rollback, sizeof r->steps[i].rollback, "%s", restored ? "restored" : "failed");
			break;
		}
}

static void on_end(struct mtk_report *r, json_t *j)
{
	r->have_end = true;
	r->ended_ok = json_is_true(json_object_get(j, "ok"));
	PUT(r->ended, j, "time");
	PUT(r->result, j, "result");
	PUT(r->backup_id, j, "backup_id");
	r->bytes_written = get_u64(j, "bytes_written");
	r->seconds = get_real(j, "seconds");
}

static void on_signature(struct mtk_report *r, json_t *j)
{
	PUT(r->head, j, "head");
	PUT(r->key_id, j, "key_id");
	r->events = (size_t)get_u64(j, "events");
	/* the signature text is base64 and fixed lines: kept raw, not escaped */
	const char *sig = json_string_value(json_object_get(j, "minisig"));
	snprintf(r->log_minisig, sizeof r->log_minisig, "%s", sig && strlen(sig) < sizeof r->log_minisig ? sig : "");
}

static bool is_step(const char *event)
{
	static const char *const steps[] = { "write", "backup", "erase", "table", "restore",
					     "boot-select", "error", "interrupted" };
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
		if (strcmp(event, steps[i]) == 0)
			return true;
	return false;
}

static int on_line(struct mtk_report *r, json_t *j)
{
	static const struct {
		const char *event;
		void (*fn)(struct mtk_report *, json_t *);
	} handlers[] = {
		{ "open", on_open },	   { "start", on_start },   { "fingerprint", on_fingerprint },
		{ "package", on_package }, { "risk", on_risk },	    { "decision", on_decision },
		{ "policy", on_policy },   { "plan", on_plan },	    { "rollback", on_rollback }, { "end", on_end },
		{ "signature", on_signature },
	};
	const char *event = json_string_value(json_object_get(j, "event"));
	if (!event)
		return 0;
	if (is_step(event))
		return on_step(r, event, j);
	for (size_t i = 0; i < sizeof handlers / sizeof *handlers; i++)
		if (strcmp(event, handlers[i].event) == 0)
			handlers[i].fn(r, j);
	return 0;
}

int mtk_report_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_report *rep)
{
	memset(rep, 0, sizeof *rep);
	rep->risk_score = -1;
	int rc = 0;
	for (size_t at = 0; at < len && rc == 0;) {
		const uint8_t *nl = memchr(buf + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
		json_t *j = json_loadb((const char *)buf + at, n, JSON_REJECT_DUPLICATES, NULL);
		if (json_is_object(j))
			rc = on_line(rep, j);
		json_decref(j);
		at += n + 1;
	}
	if (rc < 0) {
		mtk_report_free(rep);
		return mtk_fail(ctx, rc, "audit log summary: no memory");
	}
	return 0;
}

void mtk_report_free(struct mtk_report *rep)
{
	free(rep->factors);
	free(rep->steps);
	rep->factors = NULL;
	rep->steps = NULL;
	rep->nfactors = rep->nsteps = 0;
}
