/* SPDX-License-Identifier: MIT */
/* A history record: its parts, its id, its JSON (for --json and the queue). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "audit/audit_priv.h"
#include "hist_priv.h"
#include "mtkflash/util.h"

void mtk_history_record_free(struct mtk_history_record *r)
{
	if (!r)
		return;
	free(r->parts);
	r->parts = NULL;
	r->nparts = 0;
}

int mtk_history_add_part(mtk_ctx *ctx, struct mtk_history_record *r, const struct mtk_history_part *p)
{
	struct mtk_history_part *np = realloc(r->parts, (r->nparts + 1) * sizeof *np);
	if (!np)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory for a history record's parts");
	r->parts = np;
	r->parts[r->nparts++] = *p;
	return 0;
}

int mtk_history_new_job_id(mtk_ctx *ctx, char out[MTK_HISTORY_ID_SIZE])
{
	uint8_t b[16];
	if (RAND_bytes(b, sizeof b) != 1)
		return mtk_fail(ctx, MTK_E_IO, "no random bytes for a job id");
	mtk_hex_encode(out, b, sizeof b);
	return 0;
}

void mtk_history_now(char *out)
{
	mtk_audit_utc_now(out);
}

/* The record's text fields, one table for JSON both ways and for SQL. */
#define TEXT_FIELD(name) { #name, offsetof(struct mtk_history_record, name), \
			   sizeof(((struct mtk_history_record *)0)->name) }
const struct hist_text_field hist_text_fields[HIST_NTEXT] = {
	TEXT_FIELD(job_id), TEXT_FIELD(kind), TEXT_FIELD(device_id), TEXT_FIELD(fingerprint),
	TEXT_FIELD(scatter), TEXT_FIELD(manifest_sha256), TEXT_FIELD(signer), TEXT_FIELD(mode),
	TEXT_FIELD(scene), { "operator", offsetof(struct mtk_history_record, operator_name), 64 },
	TEXT_FIELD(role), TEXT_FIELD(station), TEXT_FIELD(started), TEXT_FIELD(ended), TEXT_FIELD(result),
	TEXT_FIELD(error), TEXT_FIELD(audit_log), TEXT_FIELD(chain_head),
};

static json_t *part_to_json(const struct mtk_history_part *p)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:b}", "name", p->name, "stage", p->stage, "state", p->state,
			 "bytes", (json_int_t)p->bytes, "sha256", p->sha256, "verified", p->verified);
}

json_t *mtk_history_record_to_json(const struct mtk_history_record *r)
{
	json_t *o = json_object(), *parts = json_array();
	if (!o || !parts) {
		json_decref(o);
		json_decref(parts);
		return NULL;
	}
	for (size_t i = 0; i < HIST_NTEXT; i++)
		json_object_set_new(o, hist_text_fields[i].key,
				    json_string((const char *)r + hist_text_fields[i].off));
	for (size_t i = 0; i < r->nparts; i++)
		json_array_append_new(parts, part_to_json(&r->parts[i]));
	json_object_set_new(o, "parts", parts);
	return o;
}

/* Copy a JSON string member into a fixed field; absent is "", too long or
 * not a string is an error naming the member. */
static int take_text(mtk_ctx *ctx, const json_t *j, const char *key, char *out, size_t cap)
{
	const json_t *v = json_object_get(j, key);
	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v))
		return mtk_fail(ctx, MTK_E_PARSE, "history record: \"%s\" is not a string of under %zu bytes", key, cap);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int part_from_json(mtk_ctx *ctx, const json_t *j, struct mtk_history_part *p)
{
	memset(p, 0, sizeof *p);
	if (!json_is_object(j))
		return mtk_fail(ctx, MTK_E_PARSE, "history record: a part is not an object");
	int rc = take_text(ctx, j, "name", p->name, sizeof p->name);
	if (rc == 0)
		rc = take_text(ctx, j, "stage", p->stage, sizeof p->stage);
	if (rc == 0)
		rc = take_text(ctx, j, "state", p->state, sizeof p->state);
	if (rc == 0)
		rc = take_text(ctx, j, "sha256", p->sha256, sizeof p->sha256);
	json_int_t bytes = json_integer_value(json_object_get(j, "bytes"));
	if (rc == 0 && bytes < 0)
		rc = mtk_fail(ctx, MTK_E_PARSE, "history record: part %s has negative bytes", p->name);
	p->bytes = (uint64_t)bytes;
	p->verified = json_is_true(json_object_get(j, "verified"));
	return rc;
}

int mtk_history_record_from_json(mtk_ctx *ctx, const json_t *j, struct mtk_history_record *out)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(j))
		return mtk_fail(ctx, MTK_E_PARSE, "history record: not a JSON object");
	int rc = 0;
	for (size_t i = 0; i < HIST_NTEXT && rc == 0; i++)
		rc = take_text(ctx, j, hist_text_fields[i].key, (char *)out + hist_text_fields[i].off, hist_text_fields[i].cap);
	if (rc == 0 && !out->job_id[0])
		rc = mtk_fail(ctx, MTK_E_PARSE, "history record: no job_id");
	const json_t *parts = json_object_get(j, "parts");
	size_t i;
	const json_t *pj;
	json_array_foreach(parts, i, pj) {
		struct mtk_history_part p;
		if (rc == 0)
			rc = part_from_json(ctx, pj, &p);
		if (rc == 0)
			rc = mtk_history_add_part(ctx, out, &p);
	}
	if (rc < 0)
		mtk_history_record_free(out);
	return rc;
}
