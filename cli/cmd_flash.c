/* SPDX-License-Identifier: MIT */
/* mtkflash flash SCATTER: plan (cli_plan.c), decide, confirm, then let
 * lib/verify/flash.c carry the plan out, every step verified and logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli_flash.h"
#include "cli_history.h"
#include "cli_plan.h"
#include "cli_policy.h"
#include "cli_report.h"
#include "cli_verify.h"
#include "mtkflash/audit.h"
#include "mtkflash/flash.h"
#include "mtkflash/manifest.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash flash SCATTER [--scene download|upgrade|format-all] [--mode safe|quick|service]\n"
	"                      [--only P,Q] [--skip P] [--override FACTOR] [--passphrase-fd N]\n"
	"                      [--trust KEY] [--yes] [--audit FILE] [--preloader FILE]\n"
	"                      [--expendable P,Q|all|none] [--policy FILE] [--report PDF]\n"
	"\n"
	"Flash a firmware package the verified way: fingerprint the device, plan\n"
	"(as `mtkflash plan`), score the risk, confirm, then back up protected\n"
	"partitions when the scene could touch them, erase (format-all), write the\n"
	"new partition table (layout change), write every selected image in plan\n"
	"order (data, then lk/boot/recovery/tee, the preloader last) reading each\n"
	"back and comparing SHA-256, restore protected partitions (upgrade).\n"
	"Every step goes to a signed audit log.\n"
	"  --scene S          download (default), upgrade, format-all\n"
	"  --mode M           safe (default), quick, service (needs the passphrase)\n"
	"  --only P,Q         write only these partitions (repeatable)\n"
	"  --skip P,Q         never write these (repeatable)\n"
	"  --override F       service mode: take risk factor F out of the decision\n"
	"  --passphrase-fd N  read the service passphrase from file descriptor N\n"
	"  --trust KEY        a minisign public key trusted to sign packages\n"
	"  --yes              no question: for scripts (without it and without a\n"
	"                     terminal, anything above low risk is refused)\n"
	"  --audit FILE       the audit log (default: a new file in\n"
	"                     $XDG_STATE_HOME/mtkflash/audit/)\n"
	"  --report PDF       at the end, a signed PDF report of the audit log\n"
	"                     (as `mtkflash report`; PDF.minisig beside it)\n"
	"  --preloader FILE   DRAM settings for a device in BROM mode (default: the\n"
	"                     package's own preloader)\n"
	"  --expendable P,Q   quick mode: write these without a stash (default\n"
	"                     cache,userdata; `all` or `none`): no read pass, and a\n"
	"                     failure leaves them as written\n"
	"  --policy FILE      apply a verification policy (docs/policy.md) after\n"
	"                     planning, before anything is written; options cannot\n"
	"                     loosen it, and each refusal names its rule\n"
	"Each written partition is first read and stashed in a journal\n"
	"($XDG_STATE_HOME/mtkflash/journal/); chunks already holding the new bytes\n"
	"are not written.  A failure rolls the changed partitions back.\n"
	"Exit 0 verified, 7 failed and rolled back (device as before), 5 a read-back\n"
	"differs and the rollback failed (the partitions are named), 6 refused by\n"
	"the plan, the mode or the user, 130 interrupted without a rollback.\n";

struct flash_state {
	struct cli *cli;
	struct cli_plan_args a;
	const struct cli_flash_hooks *hooks;
	struct cli_plan_run r;
	struct cli_da sd;
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	struct mtk_audit *log;
	char *log_path;
	const char *confirmed;
	struct mtk_flash_result res;
	struct mtk_journal *journal;
	int last_stage;
	double write_start;
	bool unlocked;        /* the service passphrase was checked */
	bool policy_reported; /* the policy's load or refusal is reported already */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- progress */

static void stage_line(struct flash_state *f, const char *stage, const char *fmt, const char *detail)
{
	if (f->hooks && f->hooks->on_stage)
		f->hooks->on_stage(f->hooks->user, stage, detail);
	if (f->cli->verbosity < 0)
		return;
	FILE *out = cli_diag(f->cli);
	fprintf(out, "[%s] ", stage);
	fprintf(out, fmt, detail);
	fputc('\n', out);
}

static void eta_text(char *out, size_t cap, double secs)
{
	int s = secs < 0 || secs > 359999 ? -1 : (int)(secs + 0.5);
	if (s < 0)
		snprintf(out, cap, "--:--");
	else
		snprintf(out, cap, "%d:%02d", s / 60, s % 60);
}

/* One line per finished step; the write stage adds the run's bytes and ETA. */
static void on_step(void *user, const struct mtk_flash_outcome *o, bool done, uint64_t bytes_done,
		    uint64_t bytes_total)
{
	struct flash_state *f = user;
	if (f->hooks && f->hooks->on_step)
		f->hooks->on_step(f->hooks->user, o, done, bytes_done, bytes_total);
	if (f->cli->verbosity < 0)
		return;
	FILE *out = cli_diag(f->cli);
	if ((int)o->stage != f->last_stage) {
		f->last_stage = (int)o->stage;
		if (o->stage == MTK_FSTAGE_WRITE)
			f->write_start = now_s();
	}
	if (!done)
		return;
	char name[64];
	fprintf(out, "[%s] %s: %llu bytes, %s, %.2f s, %.1f MB/s", mtk_flash_stage_name(o->stage),
		mtk_escape(o->name, name, sizeof name), (unsigned long long)o->bytes,
		o->state != MTK_FLASH_DONE ? mtk_flash_state_name(o->state)
		: o->stage == MTK_FSTAGE_BACKUP ? "saved"
		: o->stage == MTK_FSTAGE_ERASE  ? "erased"
						: "verified",
		o->seconds, o->mb_per_s);
	if (o->stage == MTK_FSTAGE_WRITE && bytes_total) {
		double el = now_s() - f->write_start;
		double rate = el > 0 ? (double)bytes_done / el : 0;
		char eta[16];
		eta_text(eta, sizeof eta, rate > 0 ? (double)(bytes_total - bytes_done) / rate : -1);
		fprintf(out, "; %llu of %llu bytes, ETA %s", (unsigned long long)bytes_done,
			(unsigned long long)bytes_total, eta);
	}
	fputc('\n', out);
}

/* ------------------------------------------------------------ deciding */

static bool ask_yes(const struct cli_plan_run *r)
{
	fprintf(stderr, "\nFlash %llu bytes (scene %s, risk %u/100, %s)? [y/N] ",
		(unsigned long long)r->plan.total_bytes, mtk_scene_name((enum mtk_scene)r->scene), r->d.score,
		mtk_risk_level_name(r->d.level));
	char line[16] = "";
	if (!fgets(line, sizeof line, stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

/* On a terminal the user answers; without one only --yes, or a low risk,
 * lets the flash go ahead: a script never accepts a risk silently. */
static int confirm(struct flash_state *f)
{
	struct cli *cli = f->cli;
	const struct cli_plan_run *r = &f->r;
	int rc = cli_plan_verdict(cli, r) == EXIT_OK ? 0 : MTK_E_POLICY;
	if (rc == 0 && f->hooks && f->hooks->decide && (rc = f->hooks->decide(f->hooks->user, cli->ctx, r)) < 0)
		cli_fail(cli, rc, NULL);
	if (rc < 0) {
		f->confirmed = "refused";
		return rc;
	}
	if (f->a.yes) {
		f->confirmed = "--yes";
		return 0;
	}
	if (!f->a.no_prompt && isatty(STDIN_FILENO)) {
		bool yes = ask_yes(r);
		f->confirmed = yes ? "terminal" : "declined";
		if (yes)
			return 0;
		cli_fail(cli, mtk_fail(cli->ctx, MTK_E_POLICY, "not confirmed: nothing was written"), NULL);
		return MTK_E_POLICY;
	}
	if (r->d.verdict == MTK_VERDICT_ALLOW && r->d.level == MTK_RISK_LOW) {
		f->confirmed = "not needed (low risk)";
		return 0;
	}
	f->confirmed = "refused (no terminal, no --yes)";
	cli_fail(cli, mtk_fail(cli->ctx, MTK_E_POLICY, "risk %u/100 (%s) needs a confirmation, and there is no "
			       "terminal to ask on: run with --yes to accept it; nothing was written",
			       r->d.score, mtk_risk_level_name(r->d.level)), NULL);
	return MTK_E_POLICY;
}

/* The verification policy first (its refusals name their rule), then the
 * mode's decision and the user's confirmation. */
static int judge(struct flash_state *f, const char *scatter)
{
	int rc = cli_policy_check_plan(f->cli, scatter, f->unlocked, &f->r);
	if (rc < 0) {
		f->confirmed = "refused by the policy";
		return rc;
	}
	cli_policy_show(f->cli, &f->r);
	return confirm(f);
}

/* ------------------------------------------------------------ the audit log */

static int load_key(struct flash_state *f)
{
	char dir[4096];
	if (!cli_station_dir(dir, sizeof dir))
		return mtk_fail(f->cli->ctx, MTK_E_IO, "no place for the station key: set XDG_DATA_HOME or HOME");
	return mtk_audit_station_key(f->cli->ctx, dir, &f->sk, &f->pk);
}

static int open_log(struct flash_state *f)
{
	if (f->a.audit)
		return mtk_audit_open(f->cli->ctx, f->a.audit, f->r.fp.device_id, &f->log);
	if (f->a.audit_dir)
		return mtk_audit_open_in(f->cli->ctx, f->a.audit_dir, f->r.fp.device_id, &f->log);
	char dir[4096];
	if (!cli_audit_dir(dir, sizeof dir))
		return mtk_fail(f->cli->ctx, MTK_E_IO, "no place for the audit log: set XDG_STATE_HOME or HOME, or "
				"give --audit FILE");
	return mtk_audit_open_in(f->cli->ctx, dir, f->r.fp.device_id, &f->log);
}

static void put_file_hash(mtk_ctx *ctx, json_t *o, const char *key, const char *path)
{
	uint8_t sha[32];
	char hex[65];
	if (mtk_sha256_file(ctx, path, sha, NULL) < 0) {
		mtk_ctx_clear_error(ctx);
		return;
	}
	mtk_hex_encode(hex, sha, 32);
	json_object_set_new(o, key, json_string(hex));
}

/* The package as judged: its scatter's and manifest's hashes, the signature. */
static json_t *package_json(struct flash_state *f, const char *scatter)
{
	json_t *o = json_object();
	json_object_set_new(o, "scatter", cli_json_str(scatter));
	put_file_hash(f->cli->ctx, o, "scatter_sha256", scatter);
	char *dir = strdup(scatter), *slash = dir ? strrchr(dir, '/') : NULL;
	char *sums = NULL;
	if (dir && (sums = malloc(strlen(dir) + 16)) != NULL) {
		sprintf(sums, "%s/SHA256SUMS", slash ? (*slash = '\0', dir) : ".");
		put_file_hash(f->cli->ctx, o, "sha256sums_sha256", sums);
	}
	free(sums);
	free(dir);
	json_object_set_new(o, "manifest", json_boolean(f->r.pkg.have_manifest));
	json_object_set_new(o, "signature", json_string(mtk_sig_state_name((enum mtk_sig_state)f->r.pkg.sig)));
	json_object_set_new(o, "checksum_mismatch", json_boolean(f->r.pkg.checksum_mismatch));
	if (f->r.pkg.detail[0])
		json_object_set_new(o, "detail", cli_json_str(f->r.pkg.detail));
	return o;
}

static int log_begin(struct flash_state *f, const char *scatter)
{
	int rc = open_log(f);
	if (rc < 0)
		return rc;
	json_t *pkg = package_json(f, scatter);
	struct mtk_flash_decided d = {
		.fp = &f->r.fp,
		.plan = &f->r.plan,
		.risk = &f->r.risk,
		.decision = &f->r.d,
		.mode = (enum mtk_flash_mode)f->r.mode,
		.scatter = scatter,
		.package = pkg,
		.confirmed = f->confirmed,
	};
	rc = mtk_flash_audit_begin(f->log, &d);
	json_decref(pkg);
	if (rc == 0)
		rc = mtk_audit_event(f->log, "policy", cli_policy_record(&f->r));
	return rc;
}

/* The end line and the signature; the path is kept to print. */
static int log_end(struct flash_state *f, int rc)
{
	if (!f->log)
		return rc;
	int lrc = mtk_flash_audit_end(f->log, rc, f->res.steps ? &f->res : NULL);
	if (lrc < 0) {
		mtk_audit_abandon(f->log);
		f->log = NULL;
		return rc < 0 ? rc : lrc;
	}
	lrc = mtk_audit_close(f->log, &f->sk, &f->log_path);
	f->log = NULL;
	return rc < 0 ? rc : lrc;
}

/* ------------------------------------------------------------- reporting */

static const char *match_text(const struct mtk_flash_outcome *o)
{
	if (o->state == MTK_FLASH_PENDING)
		return "not reached";
	if (o->state != MTK_FLASH_DONE)
		return o->mismatch ? "MISMATCH" : mtk_flash_state_name(o->state);
	if (o->stage == MTK_FSTAGE_BACKUP || o->stage == MTK_FSTAGE_ERASE)
		return "-";
	return o->verified ? "match" : "MISMATCH";
}

static void print_table(struct cli *cli, const struct mtk_flash_result *r)
{
	cli_print(cli, "\n%-16s %-8s %12s  %-12s %-16s %8s %8s\n", "partition", "step", "bytes", "SHA-256",
		  "after", "seconds", "MB/s");
	for (size_t i = 0; i < r->count; i++) {
		const struct mtk_flash_outcome *o = &r->steps[i];
		char after[17] = "-";
		if (o->have_image && o->state == MTK_FLASH_DONE)
			mtk_hex_encode(after, o->readback_sha256, 8);
		else if (o->have_before)
			mtk_hex_encode(after, o->before_sha256, 8);
		cli_print(cli, "%-16s %-8s %12llu  %-12s %-16s %8.2f %8.1f\n", o->name, mtk_flash_stage_name(o->stage),
			  (unsigned long long)o->bytes, match_text(o), after, o->seconds, o->mb_per_s);
	}
	if (r->backup_id[0])
		cli_print(cli, "backup of the protected partitions: %s\n", r->backup_id);
}

static void report(struct flash_state *f, int rc)
{
	struct cli *cli = f->cli;
	if (f->res.steps)
		print_table(cli, &f->res);
	if (rc == 0)
		cli_print(cli, "verified: %llu bytes written in %.2f s, every written byte read back and equal\n",
			  (unsigned long long)f->res.bytes_written, f->res.seconds);
	if (f->res.bytes_skipped)
		cli_print(cli, "skipped: %llu bytes already on the device (read, equal, not written)\n",
			  (unsigned long long)f->res.bytes_skipped);
	if (rc == MTK_E_ROLLEDBACK)
		cli_print(cli, "rolled back, device as before\n");
	else if (f->res.not_as_before[0])
		cli_print(cli, "NOT as before: %s; run `mtkflash recover` when the device answers\n",
			  f->res.not_as_before);
	if (cli->json && f->journal)
		json_object_set_new(cli->out, "journal", cli_json_str(mtk_journal_dir(f->journal)));
	if (f->log_path) {
		cli_print(cli, "audit log: %s\n", f->log_path);
		if (cli->json)
			json_object_set_new(cli->out, "audit_log", cli_json_str(f->log_path));
	}
	if (cli->json && f->res.steps)
		json_object_set_new(cli->out, "flash", mtk_flash_result_to_json(&f->res));
	if (cli->json)
		json_object_set_new(cli->out, "result", json_string(rc == 0 ? "verified" : mtk_error_name(rc)));
}

/* The report of whatever the log holds (a refusal and a rollback too); a
 * report that cannot be written fails a flash that was otherwise fine. */
static int write_report(struct flash_state *f)
{
	if (!f->a.report || !f->log_path)
		return EXIT_OK;
	return cli_report_write(f->cli, f->log_path, f->a.report, false, NULL, 0);
}

/* -------------------------------------------------------------- the run */

static int connect_and_plan(struct flash_state *f, const char *scatter)
{
	struct cli *cli = f->cli;
	bool unlocked = false;
	int rc = cli_policy_open(cli, &f->a, &f->r);
	f->policy_reported = rc < 0;
	if (rc < 0)
		return rc;
	rc = load_key(f);
	if (rc == 0 && f->r.mode == MTK_FMODE_SERVICE) {
		rc = cli_service_unlock(cli, f->a.passphrase_fd);
		unlocked = rc == 0;
	}
	if (rc < 0)
		return rc;
	stage_line(f, "connect", "%s", cli->port ? cli->port : "auto");
	rc = cli_plan_prepare(cli, &f->a, scatter, unlocked, &f->r, &f->sd);
	if (rc < 0)
		return rc;
	stage_line(f, "DA", "running; the device is %s", f->r.fp.device_id);
	cli_plan_show(cli, &f->r);
	f->unlocked = unlocked;
	return 0;
}

/* Quick mode's partitions without a stash, as the log and the user read them. */
static const char *expendable_text(const struct flash_state *f, char *out, size_t cap)
{
	if (f->r.mode != MTK_FMODE_QUICK)
		return "";
	if (!f->a.expendable_set)
		return "cache, userdata";
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < f->a.nexpendable && len < cap; i++) {
		bool all = strcmp(f->a.expendable[i], "all") == 0;
		if (all || strcmp(f->a.expendable[i], "none") == 0)
			return all ? "every partition" : "";
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", f->a.expendable[i]);
	}
	return out;
}

/* The journal goes before the first byte: a flash that cannot keep one
 * cannot promise a rollback, so it does not start. */
static int open_journal(struct flash_state *f)
{
	char root[4096];
	if (!cli_journal_root(root, sizeof root))
		return mtk_fail(f->cli->ctx, MTK_E_IO, "no place for the flash journal: set XDG_STATE_HOME or HOME");
	int rc = mtk_journal_create(f->cli->ctx, root, f->r.fp.device_id, &f->journal);
	if (rc == 0)
		stage_line(f, "journal", "%s", mtk_journal_dir(f->journal));
	char list[512];
	const char *unstashed = expendable_text(f, list, sizeof list);
	if (rc == 0 && *unstashed)
		stage_line(f, "journal", "quick mode: written without a stash (a rollback leaves them as written): %s",
			   unstashed);
	return rc;
}

static int run_flash(struct flash_state *f)
{
	char root[4096];
	int rc = open_journal(f);
	if (rc < 0)
		return rc;
	struct mtk_flash_opts o = {
		.backup_root = cli_backup_root(root, sizeof root),
		.fingerprint = mtk_fingerprint_to_json(&f->r.fp),
		.audit = f->log,
		.on_step = on_step,
		.user = f,
		.device_checks = f->cli->device_checks,
		.journal = f->journal,
		.mode = (enum mtk_flash_mode)f->r.mode,
		.expendable = f->a.expendable_set ? f->a.expendable : NULL,
		.nexpendable = f->a.nexpendable,
	};
	char list[512];
	if (f->log)
		mtk_audit_event(f->log, "journal", json_pack("{s:s, s:s}", "dir", mtk_journal_dir(f->journal),
							     "no_stash", expendable_text(f, list, sizeof list)));
	rc = mtk_flash_run(f->cli->ctx, f->sd.da, &f->r.fp, &f->r.plan, &o, &f->res);
	json_decref(o.fingerprint);
	if (rc == 0)
		stage_line(f, "finish", "%s", "every step done and verified");
	if (rc == MTK_E_ROLLEDBACK)
		stage_line(f, "rollback", "%s", "rolled back, device as before");
	return rc;
}

static int flash(struct flash_state *f, const char *scatter, int *final_rc, bool *refused)
{
	struct cli *cli = f->cli;
	int rc = connect_and_plan(f, scatter);
	*final_rc = rc;
	if (rc < 0) {
		cli_da_close(&f->sd);
		return f->policy_reported ? cli_exit_for(rc) : cli_fail(cli, rc, NULL);
	}
	int policy = judge(f, scatter);
	rc = log_begin(f, scatter);
	if (rc == 0 && policy == 0)
		rc = run_flash(f);
	rc = log_end(f, policy < 0 ? policy : rc);
	cli_da_close(&f->sd);
	report(f, rc);
	int rst = write_report(f);
	*final_rc = policy < 0 ? policy : rc;
	*refused = policy < 0;
	if (policy < 0) /* confirm() said why */
		return EXIT_POLICY;
	return rc < 0 ? cli_fail(cli, rc, NULL) : rst;
}

static void fill_report(const struct flash_state *f, int rc, int status, bool refused, struct cli_flash_report *rep)
{
	rep->rc = rc;
	rep->status = status;
	rep->refused = refused;
	snprintf(rep->device_id, sizeof rep->device_id, "%s", f->r.fp.device_id);
	const struct mtk_chip *chip = f->r.fp.brom.chip;
	snprintf(rep->chip, sizeof rep->chip, "%s", chip ? chip->name : "");
	rep->bytes_written = f->res.bytes_written;
	rep->seconds = f->res.seconds;
	snprintf(rep->log_path, sizeof rep->log_path, "%s", f->log_path ? f->log_path : "");
	snprintf(rep->message, sizeof rep->message, "%s", rc < 0 ? mtk_ctx_error(f->cli->ctx) : "");
}

/* ------------------------------------------------------------- history */

static void fingerprint_summary(const struct mtk_fingerprint *fp, char *out, size_t cap)
{
	const struct mtk_chip *chip = fp->brom.chip;
	snprintf(out, cap, "%s hw 0x%04x sw 0x%04x, %s, DA %s%s%s", chip ? chip->name : "unknown chip",
		 fp->brom.hw_code, fp->brom.sw_ver, fp->storage.type[0] ? fp->storage.type : "no storage",
		 fp->da.protocol, fp->da.version[0] ? " " : "", fp->da.version);
}

/* SHA256SUMS beside the scatter, as the audit log's package names it. */
static void manifest_hash(mtk_ctx *ctx, const char *scatter, char out[65])
{
	char *dir = strdup(scatter);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	char *sums = dir ? mtk_path_join(slash ? (*slash = '\0', dir) : ".", "SHA256SUMS") : NULL;
	uint8_t sha[32];
	if (sums && access(sums, F_OK) == 0 && mtk_sha256_file(ctx, sums, sha, NULL) == 0)
		mtk_hex_encode(out, sha, 32);
	mtk_ctx_clear_error(ctx);
	free(sums);
	free(dir);
}

static void record_job(struct flash_state *f, const char *scatter, struct mtk_history_record *job, int rc,
		       bool refused)
{
	struct cli *cli = f->cli;
	char err[MTK_HISTORY_TEXT];
	snprintf(err, sizeof err, "%s", rc < 0 ? mtk_ctx_error(cli->ctx) : "");
	snprintf(job->device_id, sizeof job->device_id, "%s", f->r.fp.device_id);
	if (f->r.fp.device_id[0])
		fingerprint_summary(&f->r.fp, job->fingerprint, sizeof job->fingerprint);
	char *abs = realpath(scatter, NULL);
	snprintf(job->scatter, sizeof job->scatter, "%s", abs ? abs : scatter);
	free(abs);
	manifest_hash(cli->ctx, scatter, job->manifest_sha256);
	snprintf(job->signer, sizeof job->signer, "%s", f->r.pkg.key_id);
	snprintf(job->mode, sizeof job->mode, "%s", mtk_mode_name((enum mtk_flash_mode)f->r.mode));
	snprintf(job->scene, sizeof job->scene, "%s", mtk_scene_name((enum mtk_scene)f->r.scene));
	snprintf(job->audit_log, sizeof job->audit_log, "%s", f->log_path ? f->log_path : "");
	if (f->r.policy) /* the role is the policy's word (docs/policy.md) */
		snprintf(job->role, sizeof job->role, "%s", mtk_role_name(f->r.role));
	for (size_t i = 0; i < f->res.count; i++)
		cli_job_add_step(cli, job, &f->res.steps[i]);
	cli_job_end(cli, job, rc, refused, err);
}

static void flash_state_free(struct flash_state *f)
{
	mtk_flash_result_free(&f->res);
	mtk_journal_free(f->journal);
	cli_plan_run_free(&f->r);
	free(f->log_path);
	OPENSSL_cleanse(&f->sk, sizeof f->sk);
	free(f);
}

int cli_flash_phone(struct cli *cli, const struct cli_plan_args *a, int scene, int mode, const char *scatter,
		    const struct cli_flash_hooks *hooks, struct cli_flash_report *rep)
{
	struct flash_state *f = calloc(1, sizeof *f);
	if (!f)
		return cli_fail(cli, mtk_fail(cli->ctx, MTK_E_NOMEM, "no memory"), NULL);
	f->cli = cli;
	f->a = *a; /* the lists point into the caller's copies, which outlive us */
	f->a.nowned = 0;
	f->hooks = hooks;
	f->last_stage = -1;
	f->res.failed = -1;
	f->r.scene = scene;
	f->r.mode = mode;
	int rc = 0;
	bool refused = false;
	struct mtk_history_record job;
	cli_job_begin(&job, hooks && hooks->kind ? hooks->kind : "flash");
	int st = flash(f, scatter, &rc, &refused);
	if (rep)
		fill_report(f, rc, st, refused, rep);
	record_job(f, scatter, &job, rc, refused);
	flash_state_free(f);
	return st;
}

int cmd_flash(struct cli *cli, int argc, char **argv)
{
	struct cli_plan_args a;
	int scene = 0, mode = 0;
	cli_plan_args_init(&a);
	int first = argc;
	int st = cli_parse_opts(cli, "flash", help, argc, argv, cli_flash_options, cli_plan_on_option, &a, &first);
	if (st == CLI_CONTINUE)
		st = cli_plan_check_args(cli, "flash", &a, argc - first, &scene, &mode);
	if (st == CLI_CONTINUE)
		st = cli_flash_phone(cli, &a, scene, mode, argv[first], NULL, NULL);
	cli_plan_args_free(&a);
	return st;
}
