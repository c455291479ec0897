/* SPDX-License-Identifier: MIT */
/* mtkflash flash SCATTER: the library's verified-flash job (mtkflash/job.h)
 * does the work; this file shows it (stages, steps, plan, risk, the table)
 * and gives it the user's word (--yes, the terminal). */
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
#include "mtkflash/flash.h"
#include "mtkflash/job.h"
#include "mtkflash/service.h"
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
	const struct cli_plan_args *a;
	const char *scatter;
	const struct cli_flash_hooks *hooks;
	struct cli_plan_run r; /* the job's plan as cli_plan_show reads it (borrowed, never freed) */
	bool decided;          /* the decide hook ran: a refusal is already reported */
	int last_stage;
	double write_start;
	char pass[MTK_SERVICE_PASS_MAX + 2];
	size_t pass_len;
	bool have_pass;
	char service_file[4096];
	char synthetic_da[4096];
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

/* The job's events that `flash` has always shown; the others (backup,
 * write, verify) are the step lines' business. */
static void on_stage(void *user, enum mtk_job_stage stage, const char *event, const char *detail)
{
	struct flash_state *f = user;
	static const char *const shown[] = { "connect", "DA", "journal", "finish", "rollback" };
	(void)stage;
	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (strcmp(event, shown[i]) == 0)
			stage_line(f, event, "%s", detail);
	if (strcmp(event, "connect") == 0)
		cli_waiting_notice(f->cli);
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


/* The job's plan in the shape the plan printers and the hooks know. */
static void borrow_plan(struct flash_state *f, const struct mtk_job_plan *p)
{
	struct cli_plan_run *r = &f->r;
	const struct mtk_job_package *k = p->package;
	r->scene = (int)p->scene;
	r->mode = (int)p->mode;
	r->fp = *p->fp;
	r->plan = *p->plan;
	r->risk = *p->risk;
	r->d = *p->decision;
	r->pkg = (struct cli_pkg_verdict){ .have_manifest = k->have_manifest, .sig = (int)k->sig,
					   .checksum_mismatch = k->checksum_mismatch, .errors = k->errors };
	memcpy(r->pkg.key_id, k->signer, sizeof r->pkg.key_id);
	memcpy(r->pkg.detail, k->detail, sizeof r->pkg.detail);
	r->nvram_backup = p->nvram_backup;
	r->policy = (struct mtk_policy *)p->policy;
	r->pv = *p->policy_verdict;
	r->role = p->role;
}

/* A refused plan is shown and reported; the job has the reason. */
static int report_refusal(struct flash_state *f, mtk_ctx *ctx)
{
	if (f->r.pv.count)
		return cli_policy_report_refusals(f->cli, &f->r);
	cli_policy_show(f->cli, &f->r);
	int rc = mtk_ctx_error_code(ctx);
	cli_fail(f->cli, rc, NULL);
	return rc;
}

/* On a terminal the user answers; without one only --yes, or a low risk,
 * lets the flash go ahead: a script never accepts a risk silently. */
static int decide(void *user, mtk_ctx *ctx, const struct mtk_job_plan *p, const char **confirmed)
{
	struct flash_state *f = user;
	struct cli *cli = f->cli;
	const struct cli_plan_run *r = &f->r;
	f->decided = true;
	borrow_plan(f, p);
	cli_plan_show(cli, r);
	if (p->refused)
		return report_refusal(f, ctx);
	cli_policy_show(cli, r);
	int rc = f->hooks && f->hooks->decide ? f->hooks->decide(f->hooks->user, ctx, r) : 0;
	if (rc < 0) {
		cli_fail(cli, rc, NULL);
		*confirmed = "refused";
		return rc;
	}
	if (f->a->yes) {
		*confirmed = "--yes";
		return 0;
	}
	if (!f->a->no_prompt && isatty(STDIN_FILENO)) {
		bool yes = ask_yes(r);
		*confirmed = yes ? "terminal" : "declined";
		if (yes)
			return 0;
		return cli_fail(cli, mtk_fail(ctx, MTK_E_POLICY, "not confirmed: nothing was written"), NULL),
		       MTK_E_POLICY;
	}
	if (r->d.verdict == MTK_VERDICT_ALLOW && r->d.level == MTK_RISK_LOW) {
		*confirmed = "not needed (low risk)";
		return 0;
	}
	*confirmed = "refused (no terminal, no --yes)";
	cli_fail(cli, mtk_fail(ctx, MTK_E_POLICY, "risk %u/100 (%s) needs a confirmation, and there is no "
			       "terminal to ask on: run with --yes to accept it; nothing was written",
			       r->d.score, mtk_risk_level_name(r->d.level)), NULL);
	return MTK_E_POLICY;
}

/* The package's verdict the CLI's way: `inspect`'s checks, judged once for
 * every phone of a batch. */
static int judge_package(void *user, mtk_ctx *ctx, bool virtual_device, struct mtk_job_package *out)
{
	struct flash_state *f = user;
	struct cli_pkg_verdict v;
	(void)ctx;
	cli_plan_package_verdict(f->cli, f->a, f->scatter, virtual_device, &v);
	*out = (struct mtk_job_package){ .have_manifest = v.have_manifest, .sig = (enum mtk_sig_state)v.sig,
					 .checksum_mismatch = v.checksum_mismatch, .errors = v.errors };
	memcpy(out->signer, v.key_id, sizeof out->signer);
	memcpy(out->detail, v.detail, sizeof out->detail);
	return 0;
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

static void report(struct flash_state *f, const struct mtk_job_result *res)
{
	struct cli *cli = f->cli;
	const struct mtk_flash_result *fr = &res->flash;
	int rc = res->rc;
	if (fr->steps)
		print_table(cli, fr);
	if (rc == 0)
		cli_print(cli, "verified: %llu bytes written in %.2f s, every written byte read back and equal\n",
			  (unsigned long long)fr->bytes_written, fr->seconds);
	if (fr->bytes_skipped)
		cli_print(cli, "skipped: %llu bytes already on the device (read, equal, not written)\n",
			  (unsigned long long)fr->bytes_skipped);
	if (rc == MTK_E_ROLLEDBACK)
		cli_print(cli, "rolled back, device as before\n");
	else if (fr->not_as_before[0])
		cli_print(cli, "NOT as before: %s; run `mtkflash recover` when the device answers\n", fr->not_as_before);
	if (cli->json && res->journal[0])
		json_object_set_new(cli->out, "journal", cli_json_str(res->journal));
	if (res->audit_log[0]) {
		cli_print(cli, "audit log: %s\n", res->audit_log);
		if (cli->json)
			json_object_set_new(cli->out, "audit_log", cli_json_str(res->audit_log));
	}
	if (cli->json && fr->steps)
		json_object_set_new(cli->out, "flash", mtk_flash_result_to_json(fr));
	if (cli->json)
		json_object_set_new(cli->out, "result", json_string(rc == 0 ? "verified" : mtk_error_name(rc)));
	if (cli->json && res->job_id[0])
		json_object_set_new(cli->out, "job_id", json_string(res->job_id));
}

/* -------------------------------------------------------------- the run */

/* Service mode: the passphrase is read here (fd or terminal) and checked
 * by the job; with none set (or no place for one) the job says what to do. */
static int read_passphrase(struct flash_state *f)
{
	struct cli *cli = f->cli;
	if (!cli_service_path(f->service_file, sizeof f->service_file))
		return 0;
	int rc = mtk_service_is_set(cli->ctx, f->service_file);
	mtk_ctx_clear_error(cli->ctx);
	if (rc <= 0)
		return 0;
	rc = cli_read_passphrase(cli, f->a->passphrase_fd, "Service passphrase: ", f->pass, sizeof f->pass,
				 &f->pass_len);
	f->have_pass = rc >= 0;
	return rc < 0 ? rc : 0;
}

static void job_options(struct flash_state *f, struct mtk_job_opts *o, int scene, int mode)
{
	const struct cli *cli = f->cli;
	const struct cli_plan_args *a = f->a;
	mtk_job_opts_init(o);
	o->port = cli->port;
	o->wait_ms = cli->wait_ms;
	o->scatter = f->scatter;
	o->scene = (enum mtk_scene)scene;
	o->mode = (enum mtk_flash_mode)mode;
	o->passphrase = f->have_pass ? f->pass : NULL;
	o->passphrase_len = f->pass_len;
	o->service_file = f->service_file[0] ? f->service_file : NULL;
	o->policy = a->policy;
	o->only = a->only, o->nonly = a->nonly;
	o->skip = a->skip, o->nskip = a->nskip;
	o->overrides = a->override, o->noverrides = a->noverride;
	o->trust = a->trust, o->ntrust = a->ntrust;
	o->expendable = a->expendable, o->nexpendable = a->nexpendable;
	o->expendable_set = a->expendable_set;
	o->preloader = a->preloader;
	o->da_file = cli->da;
	o->virtual_da_file = cli_synthetic_da_path(f->synthetic_da, sizeof f->synthetic_da);
	o->virtual_trust = cli_demo_key_path();
	o->auth_file = cli->auth_file;
	o->cert_file = cli->cert_file;
	o->after = cli->after_set ? cli->after : -1;
	o->no_speed_switch = cli->no_speed_switch;
	o->device_checks = cli->device_checks;
	o->audit_path = a->audit;
	o->audit_dir = a->audit_dir;
	o->history = cli->history && cli->history[0] ? cli->history : NULL;
	o->history_kind = f->hooks && f->hooks->kind ? f->hooks->kind : "flash";
	o->session_dir = cli->session_dir;
}

static void fill_report(const struct mtk_job_result *res, int status, struct cli_flash_report *rep)
{
	rep->rc = res->rc;
	rep->status = status;
	rep->refused = res->outcome == MTK_JOB_REFUSED;
	snprintf(rep->device_id, sizeof rep->device_id, "%s", res->device_id);
	snprintf(rep->chip, sizeof rep->chip, "%s", res->chip);
	rep->bytes_written = res->bytes_written;
	rep->seconds = res->seconds;
	snprintf(rep->log_path, sizeof rep->log_path, "%s", res->audit_log);
	snprintf(rep->message, sizeof rep->message, "%s", res->message);
}

/* Before the job: the policy's refusals of the command line are reported
 * by rule, and the passphrase is read; a phone turned away here is a job
 * in the history too. */
static int before_job(struct flash_state *f, struct cli_flash_report *rep)
{
	struct cli *cli = f->cli;
	struct cli_plan_run r;
	memset(&r, 0, sizeof r);
	r.scene = f->r.scene;
	r.mode = f->r.mode;
	int rc = cli_policy_open(cli, f->a, &r);
	bool reported = rc < 0;
	mtk_policy_free(r.policy);
	if (rc == 0 && f->r.mode == MTK_FMODE_SERVICE)
		rc = read_passphrase(f);
	if (rc == 0)
		return 0;
	int status = reported ? cli_exit_for(rc) : cli_fail(cli, rc, NULL);
	struct mtk_history_record job;
	bool refused = rc == MTK_E_POLICY || rc == MTK_E_DENIED;
	char err[512];
	snprintf(err, sizeof err, "%s", mtk_ctx_error(cli->ctx));
	cli_job_begin(&job, f->hooks && f->hooks->kind ? f->hooks->kind : "flash");
	cli_job_end(cli, &job, rc, refused, err);
	struct mtk_job_result res = { .rc = rc, .outcome = refused ? MTK_JOB_REFUSED : MTK_JOB_FAILED };
	snprintf(res.message, sizeof res.message, "%s", err);
	if (rep)
		fill_report(&res, status, rep);
	return status;
}

/* The exit status: a refusal the decide hook reported is exit 6 as it is;
 * anything else is reported here; the report of the log comes last. */
static int status_of(struct flash_state *f, const struct mtk_job_result *res)
{
	int rst = EXIT_OK; /* the report of whatever the log holds, a refusal and a rollback too */
	if (f->a->report && res->audit_log[0])
		rst = cli_report_write(f->cli, res->audit_log, f->a->report, false, NULL, 0);
	if (res->history_warning[0])
		fprintf(cli_diag(f->cli), "warning: history: %s\n", res->history_warning);
	if (res->outcome == MTK_JOB_REFUSED && f->decided)
		return EXIT_POLICY;
	return res->rc < 0 ? cli_fail(f->cli, res->rc, NULL) : rst;
}

int cli_flash_phone(struct cli *cli, const struct cli_plan_args *a, int scene, int mode, const char *scatter,
		    const struct cli_flash_hooks *hooks, struct cli_flash_report *rep)
{
	struct flash_state *f = calloc(1, sizeof *f);
	if (!f)
		return cli_fail(cli, mtk_fail(cli->ctx, MTK_E_NOMEM, "no memory"), NULL);
	f->cli = cli;
	f->a = a;
	f->scatter = scatter;
	f->hooks = hooks;
	f->last_stage = -1;
	f->r.scene = scene;
	f->r.mode = mode;
	int st = before_job(f, rep);
	if (st == 0) {
		struct mtk_job_opts o;
		job_options(f, &o, scene, mode);
		struct mtk_job_callbacks cb = { .user = f, .on_stage = on_stage, .on_step = on_step,
						.decide = decide, .judge_package = judge_package };
		struct mtk_job_result res;
		mtk_job_run(cli->ctx, &o, &cb, &res);
		report(f, &res);
		st = status_of(f, &res);
		if (rep)
			fill_report(&res, st, rep);
		mtk_job_result_free(&res);
	}
	OPENSSL_cleanse(f->pass, sizeof f->pass);
	free(f);
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
