/* SPDX-License-Identifier: MIT */
/* Flash outcomes as JSON, and the audit events of a flash. */
#include <string.h>

#include "flash_priv.h"
#include "mtkflash/util.h"

static void put_hex(json_t *o, const char *key, const uint8_t sha[32])
{
	char hex[65];
	mtk_hex_encode(hex, sha, 32);
	json_object_set_new(o, key, json_string(hex));
}

static void put_error(json_t *o, const struct mtk_flash_outcome *s)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_integer(s->error));
	json_object_set_new(e, "name", json_string(mtk_error_name(s->error)));
	json_object_set_new(e, "message", json_string(s->message));
	json_object_set_new(o, "error", e);
}

json_t *mtk_flash_outcome_to_json(const struct mtk_flash_outcome *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "partition", json_string(s->name));
	json_object_set_new(o, "stage", json_string(mtk_flash_stage_name(s->stage)));
	json_object_set_new(o, "state", json_string(mtk_flash_state_name(s->state)));
	json_object_set_new(o, "region", json_string(mtk_region_name(s->region)));
	json_object_set_new(o, "offset", json_integer((json_int_t)s->offset));
	json_object_set_new(o, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)s->bytes_written));
	if (s->image)
		json_object_set_new(o, "image", json_string(s->image));
	if (s->have_before)
		put_hex(o, "before_sha256", s->before_sha256);
	if (s->have_image && s->stage == MTK_FSTAGE_WRITE)
		put_hex(o, "file_sha256", s->file_sha256);
	if (s->have_image) {
		put_hex(o, "image_sha256", s->image_sha256);
		put_hex(o, "after_sha256", s->readback_sha256);
		json_object_set_new(o, "match", json_boolean(s->verified));
	}
	if (s->stage == MTK_FSTAGE_WRITE) {
		json_object_set_new(o, "stashed", json_boolean(s->stashed));
		json_object_set_new(o, "bytes_skipped", json_integer((json_int_t)s->bytes_skipped));
	}
	if (s->rollback)
		json_object_set_new(o, "rollback", json_string(s->rollback > 0 ? "restored" : "failed"));
	if (s->rewrites)
		json_object_set_new(o, "rewrites", json_integer(s->rewrites));
	if (s->mismatch)
		json_object_set_new(o, "first_bad_offset", json_integer((json_int_t)s->first_bad));
	json_object_set_new(o, "seconds", json_real(s->seconds));
	json_object_set_new(o, "mb_per_s", json_real(s->mb_per_s));
	if (s->state == MTK_FLASH_FAILED || s->state == MTK_FLASH_INTERRUPTED)
		put_error(o, s);
	return o;
}

json_t *mtk_flash_result_to_json(const struct mtk_flash_result *r)
{
	json_t *o = json_object(), *steps = json_array();
	for (size_t i = 0; i < r->count; i++)
		json_array_append_new(steps, mtk_flash_outcome_to_json(&r->steps[i]));
	json_object_set_new(o, "steps", steps);
	json_object_set_new(o, "backup_id", r->backup_id[0] ? json_string(r->backup_id) : json_null());
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)r->bytes_written));
	json_object_set_new(o, "write_bytes", json_integer((json_int_t)r->write_bytes));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	json_object_set_new(o, "interrupted", json_boolean(r->interrupted));
	json_object_set_new(o, "failed_step", r->failed >= 0 ? json_integer(r->failed) : json_null());
	json_object_set_new(o, "bytes_skipped", json_integer((json_int_t)r->bytes_skipped));
	json_object_set_new(o, "rolled_back", json_boolean(r->rolled_back));
	if (r->not_as_before[0])
		json_object_set_new(o, "not_as_before", json_string(r->not_as_before));
	return o;
}

int flash_audit_step(struct mtk_audit *log, const struct mtk_flash_outcome *o)
{
	if (!log)
		return 0;
	const char *type = o->state == MTK_FLASH_INTERRUPTED ? "interrupted"
			   : o->state == MTK_FLASH_FAILED    ? "error"
							     : mtk_flash_stage_name(o->stage);
	json_t *fields = mtk_flash_outcome_to_json(o);
	/* A failure is synced at once; a step done waits for the next sync. */
	return o->state == MTK_FLASH_DONE ? mtk_audit_event_lazy(log, type, fields) : mtk_audit_event(log, type, fields);
}

/* ------------------------------------------------------- begin and end */

static int event(struct mtk_audit *log, const char *type, json_t *fields, int rc)
{
	if (rc < 0) {
		json_decref(fields);
		return rc;
	}
	return mtk_audit_event(log, type, fields);
}

int mtk_flash_audit_begin(struct mtk_audit *log, const struct mtk_flash_decided *d)
{
	json_t *start = json_object();
	json_object_set_new(start, "scene", json_string(mtk_scene_name(d->plan->scene)));
	json_object_set_new(start, "mode", json_string(mtk_mode_name(d->mode)));
	json_object_set_new(start, "scatter", json_string(d->scatter ? d->scatter : ""));
	json_object_set_new(start, "device_id", json_string(d->fp->device_id));
	int rc = event(log, "start", start, 0);
	rc = event(log, "fingerprint", mtk_fingerprint_to_json(d->fp), rc);
	rc = event(log, "package", d->package ? json_incref(d->package) : json_object(), rc);
	rc = event(log, "plan", mtk_plan_to_json(d->plan), rc);
	rc = event(log, "risk", mtk_risk_to_json(d->risk), rc);
	for (size_t i = 0; i < d->decision->noverridden; i++)
		rc = event(log, "override", json_pack("{s:s, s:s}", "factor", d->decision->overridden[i], "mode",
						      mtk_mode_name(d->mode)), rc);
	json_t *dec = mtk_decision_to_json(d->decision);
	json_object_set_new(dec, "mode", json_string(mtk_mode_name(d->mode)));
	json_object_set_new(dec, "confirmed", json_string(d->confirmed ? d->confirmed : "not needed"));
	return event(log, "decision", dec, rc);
}

int mtk_flash_audit_end(struct mtk_audit *log, int rc, const struct mtk_flash_result *r)
{
	json_t *end = json_object();
	json_object_set_new(end, "ok", json_boolean(rc == 0));
	json_object_set_new(end, "result", json_string(rc == 0 ? "verified" : mtk_error_name(rc)));
	if (rc < 0)
		json_object_set_new(end, "code", json_integer(rc));
	if (r) {
		json_object_set_new(end, "bytes_written", json_integer((json_int_t)r->bytes_written));
		json_object_set_new(end, "seconds", json_real(r->seconds));
		if (r->backup_id[0])
			json_object_set_new(end, "backup_id", json_string(r->backup_id));
	}
	return mtk_audit_event(log, "end", end);
}
