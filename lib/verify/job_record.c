/* SPDX-License-Identifier: MIT */
/* What a job leaves behind: the signed audit log, the PDF report made from
 * it, and the record in the flash history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "job_priv.h"
#include "mtkflash/report.h"
#include "mtkflash/util.h"

#define LOG_MAX (64u << 20)

const char *job_dir(const char *given, const char *var, const char *fallback, const char *sub, char *out,
		    size_t cap)
{
	const char *xdg = getenv(var), *home = getenv("HOME");
	int n;
	if (given)
		n = snprintf(out, cap, "%s", given);
	else if (xdg && xdg[0] == '/') /* XDG: a relative $XDG_..._HOME is ignored */
		n = snprintf(out, cap, "%s/%s", xdg, sub);
	else if (home && *home)
		n = snprintf(out, cap, "%s/%s/%s", home, fallback, sub);
	else
		return NULL;
	return n < 0 || (size_t)n >= cap ? NULL : out;
}

int job_station_key(struct job *j)
{
	char dir[JOB_PATH_MAX];
	if (!job_dir(j->o->station_dir, "XDG_DATA_HOME", ".local/share", "mtkflash", dir, sizeof dir))
		return mtk_fail(j->ctx, MTK_E_IO, "no place for the station key: set XDG_DATA_HOME or HOME");
	return mtk_audit_station_key(j->ctx, dir, &j->sk, &j->pk);
}

/* ------------------------------------------------------------ audit log */

static int open_log(struct job *j)
{
	const char *id = j->v.fp.device_id;
	if (j->o->audit_path)
		return mtk_audit_open(j->ctx, j->o->audit_path, id, &j->log);
	char dir[JOB_PATH_MAX];
	if (!job_dir(j->o->audit_dir, "XDG_STATE_HOME", ".local/state", "mtkflash/audit", dir, sizeof dir))
		return mtk_fail(j->ctx, MTK_E_IO, "no place for the audit log: set XDG_STATE_HOME or HOME, or "
				"name the file");
	return mtk_audit_open_in(j->ctx, dir, id, &j->log);
}

/* A hash that cannot be taken is left out; its own context keeps the
 * job's error chain (a refusal being logged) as it is. */
static void put_file_hash(json_t *o, const char *key, const char *path)
{
	uint8_t sha[32];
	char hex[65];
	mtk_ctx *ctx = mtk_ctx_new();
	if (ctx && path && mtk_sha256_file(ctx, path, sha, NULL) == 0) {
		mtk_hex_encode(hex, sha, 32);
		json_object_set_new(o, key, json_string(hex));
	}
	mtk_ctx_free(ctx);
}

/* SHA256SUMS beside the scatter (malloc'd). */
static char *sums_path(const char *scatter)
{
	char *dir = strdup(scatter);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	char *sums = dir ? mtk_path_join(slash ? (*slash = '\0', dir) : ".", "SHA256SUMS") : NULL;
	free(dir);
	return sums;
}

static json_t *text(const char *s)
{
	json_t *t = json_string(s);
	if (!t) { /* not UTF-8: device or file data */
		char esc[1024];
		t = json_string(mtk_escape(s, esc, sizeof esc));
	}
	return t;
}

/* The package as judged: its scatter's and manifest's hashes, the signature. */
static json_t *package_json(struct job *j)
{
	const struct mtk_job_package *p = &j->v.package;
	json_t *o = json_object();
	json_object_set_new(o, "scatter", text(j->o->scatter));
	put_file_hash(o, "scatter_sha256", j->o->scatter);
	char *sums = sums_path(j->o->scatter);
	put_file_hash(o, "sha256sums_sha256", sums);
	free(sums);
	json_object_set_new(o, "manifest", json_boolean(p->have_manifest));
	json_object_set_new(o, "signature", json_string(mtk_sig_state_name(p->sig)));
	json_object_set_new(o, "checksum_mismatch", json_boolean(p->checksum_mismatch));
	if (p->detail[0])
		json_object_set_new(o, "detail", text(p->detail));
	return o;
}

int job_log_begin(struct job *j)
{
	int rc = open_log(j);
	if (rc < 0)
		return rc;
	json_t *pkg = package_json(j);
	struct mtk_flash_decided d = {
		.fp = &j->v.fp,
		.plan = &j->v.plan,
		.risk = &j->v.risk,
		.decision = &j->v.decision,
		.mode = j->o->mode,
		.scatter = j->o->scatter,
		.package = pkg,
		.confirmed = j->confirmed,
	};
	rc = mtk_flash_audit_begin(j->log, &d);
	json_decref(pkg);
	if (rc == 0)
		rc = mtk_audit_event(j->log, "policy", job_policy_record(j));
	return rc;
}

int job_log_end(struct job *j, int rc)
{
	if (!j->log)
		return rc;
	const struct mtk_flash_result *fr = &j->res->flash;
	int lrc = mtk_flash_audit_end(j->log, rc, fr->steps ? fr : NULL);
	if (lrc < 0) {
		mtk_audit_abandon(j->log);
		j->log = NULL;
		return rc < 0 ? rc : lrc;
	}
	lrc = mtk_audit_close(j->log, &j->sk, &j->log_path);
	j->log = NULL;
	return rc < 0 ? rc : lrc;
}

/* --------------------------------------------------------------- report */

/* The PDF first, so a .minisig never stands beside a PDF it does not sign. */
static int write_both(struct job *j, const uint8_t *pdf, size_t len, const char *sig)
{
	const char *out = j->o->report_path;
	char *sigpath = mtk_str_concat(out, ".minisig");
	int rc = sigpath ? mtk_write_file_safely(j->ctx, out, pdf, len, 0) : MTK_E_NOMEM;
	if (rc == 0)
		rc = mtk_write_file_safely(j->ctx, sigpath, sig, strlen(sig), 0);
	free(sigpath);
	return rc;
}

static int render(struct job *j, const uint8_t *log, size_t len)
{
	struct mtk_report rep;
	uint8_t *pdf = NULL, *sealed = NULL;
	size_t pdf_len = 0, sealed_len = 0;
	char *sig = NULL, *real = realpath(j->log_path, NULL);
	const char *out = j->o->report_path, *slash = strrchr(out, '/');
	int rc = mtk_report_parse(j->ctx, log, len, &rep);
	if (rc < 0)
		goto done;
	snprintf(rep.log_path, sizeof rep.log_path, "%s", real ? real : j->log_path);
	rc = mtk_report_render(j->ctx, &rep, &pdf, &pdf_len);
	if (rc == 0)
		rc = mtk_report_seal(j->ctx, pdf, pdf_len, &rep, &j->sk, &sealed, &sealed_len);
	if (rc == 0)
		rc = mtk_report_minisig(j->ctx, sealed, sealed_len, &j->sk, slash ? slash + 1 : out, &sig);
	if (rc == 0)
		rc = write_both(j, sealed, sealed_len, sig);
	if (rc == 0)
		snprintf(j->res->report, sizeof j->res->report, "%s", out);
	mtk_report_free(&rep);
done:
	free(pdf);
	free(sealed);
	free(sig);
	free(real);
	return rc;
}

/* The log must verify first: a report never vouches for a changed record. */
int job_make_report(struct job *j)
{
	if (!j->o->report_path || !j->log_path)
		return 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct mtk_audit_report ar;
	int rc = mtk_read_small_file(j->ctx, j->log_path, LOG_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_audit_verify_buf(j->ctx, buf, len, &j->pk, 1, &ar);
	if (rc == 0 && ar.problem != MTK_AUDIT_OK)
		rc = mtk_fail(j->ctx, MTK_E_VERIFY, "%s does not verify (%s: %s); no report is made from it",
			      j->log_path, mtk_audit_problem_name(ar.problem), ar.detail);
	if (rc == 0)
		rc = render(j, buf, len);
	free(buf);
	return rc < 0 ? mtk_wrap(j->ctx, rc, "report") : 0;
}

/* -------------------------------------------------------------- history */

static void add_step(struct mtk_history_record *rec, const struct mtk_flash_outcome *o)
{
	struct mtk_history_part p = { .bytes = o->bytes, .verified = o->verified };
	snprintf(p.name, sizeof p.name, "%s", o->name);
	snprintf(p.stage, sizeof p.stage, "%s", mtk_flash_stage_name(o->stage));
	snprintf(p.state, sizeof p.state, "%s", o->rollback == 1 ? "rolled-back" : mtk_flash_state_name(o->state));
	if (o->have_image && o->state == MTK_FLASH_DONE)
		mtk_hex_encode(p.sha256, o->readback_sha256, 32);
	else if (o->have_before)
		mtk_hex_encode(p.sha256, o->before_sha256, 32);
	mtk_ctx *own = mtk_ctx_new();
	if (own)
		mtk_history_add_part(own, rec, &p); /* a failure: a shorter record, not a failed job */
	mtk_ctx_free(own);
}

static void describe(struct job *j, struct mtk_history_record *rec)
{
	const struct mtk_fingerprint *fp = &j->v.fp;
	const struct mtk_chip *chip = fp->brom.chip;
	snprintf(rec->device_id, sizeof rec->device_id, "%s", fp->device_id);
	if (fp->device_id[0])
		snprintf(rec->fingerprint, sizeof rec->fingerprint, "%s hw 0x%04x sw 0x%04x, %s, DA %s%s%s",
			 chip ? chip->name : "unknown chip", fp->brom.hw_code, fp->brom.sw_ver,
			 fp->storage.type[0] ? fp->storage.type : "no storage", fp->da.protocol,
			 fp->da.version[0] ? " " : "", fp->da.version);
	char *abs = realpath(j->o->scatter, NULL);
	snprintf(rec->scatter, sizeof rec->scatter, "%s", abs ? abs : j->o->scatter);
	free(abs);
	char *sums = sums_path(j->o->scatter);
	uint8_t sha[32];
	mtk_ctx *own = mtk_ctx_new(); /* the job's error chain stays as the job left it */
	if (own && sums && access(sums, F_OK) == 0 && mtk_sha256_file(own, sums, sha, NULL) == 0)
		mtk_hex_encode(rec->manifest_sha256, sha, 32);
	mtk_ctx_free(own);
	free(sums);
	snprintf(rec->signer, sizeof rec->signer, "%s", j->v.package.signer);
	snprintf(rec->mode, sizeof rec->mode, "%s", mtk_mode_name(j->o->mode));
	snprintf(rec->scene, sizeof rec->scene, "%s", mtk_scene_name(j->o->scene));
	snprintf(rec->audit_log, sizeof rec->audit_log, "%s", j->log_path ? j->log_path : "");
	if (j->v.policy) /* the role is the policy's word (docs/policy.md) */
		snprintf(rec->role, sizeof rec->role, "%s", mtk_role_name(j->v.p.role));
	for (size_t i = 0; i < j->res->flash.count; i++)
		add_step(rec, &j->res->flash.steps[i]);
}

/* Its own context, so that the job's error chain stays as the job left it;
 * a history that cannot be written is a warning, never the job's failure. */
static void save(struct job *j, const struct mtk_history_record *rec)
{
	char target[JOB_PATH_MAX], queue[JOB_PATH_MAX];
	const char *env = getenv("MTKFLASH_HISTORY");
	const char *t = j->o->history ? j->o->history : env && env[0] ? env : NULL;
	if (t && !t[0])
		return;
	t = job_dir(t, "XDG_DATA_HOME", ".local/share", "mtkflash/history.db", target, sizeof target);
	const char *qdir = job_dir(NULL, "XDG_STATE_HOME", ".local/state", "mtkflash/history-queue", queue,
				   sizeof queue);
	mtk_ctx *ctx = mtk_ctx_new();
	if (!ctx)
		return;
	int rc = t ? mtk_history_save(ctx, t, qdir, rec)
		   : mtk_fail(ctx, MTK_E_IO, "no place for the history: set XDG_DATA_HOME or HOME");
	if (rc != 0) /* the caller shows it: a record queued is no failure of the job */
		snprintf(j->res->history_warning, sizeof j->res->history_warning, "%s", mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
}

void job_history_end(struct job *j, struct mtk_history_record *rec, int rc, bool refused)
{
	if (rec->job_id[0]) {
		describe(j, rec);
		mtk_history_now(rec->ended);
		snprintf(rec->result, sizeof rec->result, "%s",
			 refused || rc == MTK_E_POLICY || rc == MTK_E_DENIED ? "refused"
			 : rc == 0				     ? "verified"
			 : rc == MTK_E_ROLLEDBACK		     ? "rolled-back"
								     : "failed");
		snprintf(rec->error, sizeof rec->error, "%.*s", (int)sizeof rec->error - 1, rc < 0 ? j->res->message : "");
		save(j, rec);
		snprintf(j->res->job_id, sizeof j->res->job_id, "%s", rec->job_id);
	}
	mtk_history_record_free(rec);
}
