/* SPDX-License-Identifier: MIT */
/* mtkflash recover: the unfinished flash of the connected device, from its
 * journal: what is in doubt is read again, then the flash is rolled back or
 * finished, every action journaled and in a signed audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli_da.h"
#include "cli_history.h"
#include "cli_verify.h"
#include "mtkflash/audit.h"
#include "mtkflash/backup.h"
#include "mtkflash/journal.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash recover [--finish | --rollback] [--yes] [--preloader FILE] [--audit FILE]\n"
	"\n"
	"Find the unfinished flash of the connected device (its journal in\n"
	"$XDG_STATE_HOME/mtkflash/journal/), reconnect (reattaching to a running DA),\n"
	"read again every partition whose write started and did not end (old, new\n"
	"or mixed, by SHA-256 against the journal), then roll the flash back from\n"
	"the stashes (last partition first) or finish it (every partition not yet\n"
	"new written and verified).  On a terminal you choose; safe mode defaults\n"
	"to roll back, quick mode to finish; --yes takes the default.\n"
	"  --rollback    write the stashes back\n"
	"  --finish      write what the flash had not\n"
	"  --yes         no question: take the default (for scripts)\n"
	"  --preloader FILE  DRAM settings for a phone found in BROM mode (default: from the\n"
	"                journal: the old preloader's stash, else the package's preloader,\n"
	"                whichever has an EMI record for the DRAM the flash saw)\n"
	"  --audit FILE  the audit log (default: a new file in $XDG_STATE_HOME/mtkflash/audit/)\n"
	"Exit 0 finished (or nothing to recover), 7 rolled back (device as before),\n"
	"5 a partition could not be restored or verified, 6 no choice made.\n";

enum { OPT_FINISH = 256, OPT_ROLLBACK, OPT_YES, OPT_AUDIT, OPT_PRELOADER };

static const struct option options[] = {
	{ "finish", no_argument, NULL, OPT_FINISH },
	{ "rollback", no_argument, NULL, OPT_ROLLBACK },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "preloader", required_argument, NULL, OPT_PRELOADER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

enum choice { CHOOSE_NONE = 0, CHOOSE_FINISH, CHOOSE_ROLLBACK };

struct rec_args {
	enum choice choice;
	bool yes;
	const char *audit;
	const char *preloader;
};

struct recover {
	struct cli *cli;
	struct rec_args a;
	struct cli_da sd;
	char dir[4096];
	char device_id[MTK_DEVICE_ID_MAX];
	struct mtk_journal_state js;
	struct mtk_journal *j;
	struct mtk_audit *log;
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	char *log_path;
	json_t *actions;
	struct mtk_recover_preloader pl; /* the EMI source offered to a BROM-mode connect */
	bool brom;                       /* the phone was found in BROM mode */
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct rec_args *a = args;
	(void)val;
	if ((opt == OPT_FINISH || opt == OPT_ROLLBACK) && a->choice)
		return cli_usage(cli, "recover", "--finish and --rollback exclude each other");
	if (opt == OPT_FINISH)
		a->choice = CHOOSE_FINISH;
	else if (opt == OPT_ROLLBACK)
		a->choice = CHOOSE_ROLLBACK;
	else if (opt == OPT_YES)
		a->yes = true;
	else if (opt == OPT_PRELOADER)
		a->preloader = val;
	else
		a->audit = val;
	return CLI_CONTINUE;
}

static void event(struct recover *r, const char *type, json_t *fields)
{
	if (r->log && mtk_audit_event(r->log, type, fields) < 0)
		mtk_warn(r->cli->ctx, "audit log: %s", mtk_ctx_error(r->cli->ctx));
}

/* ------------------------------------------------------------- finding */

static int find_journal(struct recover *r)
{
	char root[4096];
	int rc = mtk_da_device_id(r->sd.da, r->device_id);
	if (rc < 0)
		return rc;
	if (!cli_journal_root(root, sizeof root))
		return mtk_fail(r->cli->ctx, MTK_E_IO, "no journal folder: set XDG_STATE_HOME or HOME");
	rc = mtk_journal_find_open(r->cli->ctx, root, r->device_id, r->dir, sizeof r->dir);
	if (rc <= 0)
		return rc;
	rc = mtk_journal_load(r->cli->ctx, r->dir, &r->js);
	if (rc == 0)
		rc = mtk_journal_reopen(r->cli->ctx, r->dir, &r->j);
	return rc < 0 ? rc : 1;
}

static int open_log(struct recover *r)
{
	char dir[4096];
	int rc = 0;
	if (!cli_station_dir(dir, sizeof dir))
		return mtk_fail(r->cli->ctx, MTK_E_IO, "no place for the station key: set XDG_DATA_HOME or HOME");
	rc = mtk_audit_station_key(r->cli->ctx, dir, &r->sk, &r->pk);
	if (rc == 0 && r->a.audit)
		return mtk_audit_open(r->cli->ctx, r->a.audit, r->device_id, &r->log);
	if (rc == 0 && !cli_audit_dir(dir, sizeof dir))
		return mtk_fail(r->cli->ctx, MTK_E_IO, "no place for the audit log: set XDG_STATE_HOME or HOME");
	return rc < 0 ? rc : mtk_audit_open_in(r->cli->ctx, dir, r->device_id, &r->log);
}

/* ------------------------------------------------------------ assessing */

static void show_parts(struct recover *r)
{
	cli_print(r->cli, "unfinished flash %s (%s mode, scene %s), journal %s\n", r->js.flash_id, r->js.mode,
		  r->js.scene, r->dir);
	cli_print(r->cli, "%-16s %-9s %s\n", "partition", "journal", "device");
	json_t *doubt = json_array();
	for (size_t i = 0; i < r->js.count; i++) {
		const struct mtk_journal_part *p = &r->js.parts[i];
		cli_print(r->cli, "%-16s %-9s %s%s\n", p->name, mtk_jpart_state_name(p->state),
			  mtk_jdevice_name(p->device), mtk_journal_in_doubt(p) ? "  (was in doubt)" : "");
		if (mtk_journal_in_doubt(p))
			json_array_append_new(doubt, json_pack("{s:s, s:s}", "partition", p->name, "device",
							       mtk_jdevice_name(p->device)));
	}
	event(r, "in_doubt", json_pack("{s:o}", "partitions", doubt));
}

static enum choice default_choice(const struct recover *r)
{
	return strcmp(r->js.mode, "quick") == 0 ? CHOOSE_FINISH : CHOOSE_ROLLBACK;
}

static enum choice ask(enum choice def)
{
	fprintf(stderr, "\n[r]oll back or [f]inish the flash? (default: %s) ",
		def == CHOOSE_ROLLBACK ? "roll back" : "finish");
	char line[16] = "";
	if (!fgets(line, sizeof line, stdin))
		return CHOOSE_NONE;
	if (line[0] == 'r' || line[0] == 'R')
		return CHOOSE_ROLLBACK;
	if (line[0] == 'f' || line[0] == 'F')
		return CHOOSE_FINISH;
	return line[0] == '\n' ? def : CHOOSE_NONE;
}

static int decide(struct recover *r, enum choice *out)
{
	enum choice def = default_choice(r);
	const char *how = "option";
	*out = r->a.choice;
	if (!*out && r->a.yes) {
		*out = def;
		how = "--yes (the default)";
	} else if (!*out && isatty(STDIN_FILENO)) {
		*out = ask(def);
		how = "terminal";
	}
	if (!*out)
		return mtk_fail(r->cli->ctx, MTK_E_POLICY, "no choice: give --rollback or --finish, or --yes for the "
				"default (%s); nothing was written", def == CHOOSE_ROLLBACK ? "roll back" : "finish");
	event(r, "decision", json_pack("{s:s, s:s}", "action", *out == CHOOSE_ROLLBACK ? "rollback" : "finish",
				       "chosen_by", how));
	return 0;
}

/* ------------------------------------------------------------- acting */

static void on_action(void *user, const struct mtk_journal_part *p, const char *action, int rc)
{
	struct recover *r = user;
	json_t *f = json_pack("{s:s, s:s, s:b}", "partition", p->name, "action", action, "ok", rc == 0);
	if (rc < 0)
		json_object_set_new(f, "error", json_string(mtk_ctx_error(r->cli->ctx)));
	json_array_append(r->actions, f);
	event(r, strcmp(action, "restore") == 0 ? "restore" : "finish", f);
	cli_print(r->cli, "%-16s %-9s %s\n", p->name, action, rc == 0 ? "verified" : "FAILED");
}

/* A protected partition (IMEI, calibration) whose stash could not be
 * written back: the device's NVRAM backup holds it too. */
static int from_backup(struct recover *r, int rc)
{
	char root[4096], id[MTK_BACKUP_ID_MAX] = "";
	size_t n = 0;
	if (!cli_backup_root(root, sizeof root))
		return rc;
	char *first = strdup(mtk_ctx_error(r->cli->ctx));
	int brc = mtk_recover_protected_from_backup(r->cli->ctx, r->sd.da, root, r->j, &r->js, &n, id, sizeof id);
	if (n)
		cli_print(r->cli, "%zu protected partition%s restored from the NVRAM backup %s, verified\n", n,
			  n > 1 ? "s" : "", id);
	if (n || brc < 0)
		event(r, "nvram_backup", json_pack("{s:s, s:i, s:b}", "backup", id, "partitions", (int)n, "ok", brc == 0));
	if (brc < 0)
		mtk_warn(r->cli->ctx, "%s", mtk_ctx_error(r->cli->ctx));
	bool closed = n && r->js.count && brc == 0;
	for (size_t i = 0; closed && i < r->js.count; i++)
		closed = r->js.parts[i].device == MTK_JDEV_OLD;
	if (!closed)
		mtk_fail(r->cli->ctx, rc, "%s", first ? first : "the rollback failed");
	free(first);
	return closed ? 0 : rc;
}

static int act(struct recover *r, enum choice c)
{
	mtk_ctx *ctx = r->cli->ctx;
	int rc = c == CHOOSE_ROLLBACK ? mtk_recover_rollback(ctx, r->sd.da, r->j, &r->js, on_action, r)
				      : mtk_recover_finish(ctx, r->sd.da, r->j, &r->js, on_action, r);
	if (rc < 0 && c == CHOOSE_ROLLBACK)
		rc = from_backup(r, rc);
	if (rc == 0 && c == CHOOSE_ROLLBACK) {
		cli_print(r->cli, "rolled back, device as before\n");
		return mtk_fail(ctx, MTK_E_ROLLEDBACK, "flash %s rolled back, device as before", r->js.flash_id);
	}
	if (rc == 0)
		cli_print(r->cli, "finished: every partition of flash %s written and verified\n", r->js.flash_id);
	return rc;
}

/* A phone that comes up in BROM mode has DRAM down: the DA needs EMI
 * settings before it can even say which phone it is.  Offered before the
 * connect and used only when the BootROM answers. */
static const char *emi_source(struct recover *r)
{
	char root[4096];
	if (r->a.preloader) {
		snprintf(r->pl.path, sizeof r->pl.path, "%s", r->a.preloader);
		snprintf(r->pl.source, sizeof r->pl.source, "--preloader");
		return r->pl.path;
	}
	if (!cli_journal_root(root, sizeof root) || mtk_recover_pick_preloader(r->cli->ctx, root, &r->pl) != 1)
		return NULL;
	return r->pl.path;
}

static void say_brom(struct recover *r)
{
	const struct mtk_brom_info *bi = mtk_da_brom_info(r->sd.da);
	r->brom = bi && bi->mode == MTK_MODE_BROM;
	if (!r->brom)
		return;
	cli_print(r->cli, "the phone is in BROM mode: it did not boot (its boot chain is broken, DRAM is down)\n");
	cli_print(r->cli, "DRAM set up with the EMI settings of %s (%s)\n", r->pl.source, r->pl.path);
	json_t *f = json_pack("{s:s, s:s, s:i}", "emi_source", r->pl.source, "preloader", r->pl.path, "emi_record",
			      r->pl.emi_record);
	if (r->cli->json)
		json_object_set(r->cli->out, "brom_mode", f);
	event(r, "brom_mode", f);
}

static void say_boot_chain(struct recover *r, int rc)
{
	if (!r->brom || (rc != 0 && rc != MTK_E_ROLLEDBACK))
		return;
	bool preloader = false;
	for (size_t i = 0; i < r->js.count; i++)
		preloader |= mtk_journal_part_is_preloader(&r->js.parts[i]);
	const char *what = preloader ? "the preloader is back in boot1 and boot2, both verified"
				     : "every partition the flash touched is whole and verified";
	cli_print(r->cli, "%s: the phone boots when it restarts\n", what);
	if (r->cli->json)
		json_object_set_new(r->cli->out, "boot_chain", json_string(what));
}

static int recover(struct recover *r)
{
	r->cli->recovering = true;
	int rc = cli_da_open(r->cli, emi_source(r), &r->sd);
	int found = rc < 0 ? rc : find_journal(r);
	if (found <= 0) {
		if (found == 0)
			cli_print(r->cli, "no unfinished flash of device %s: nothing to recover\n", r->device_id);
		return found;
	}
	rc = open_log(r);
	event(r, "journal", json_pack("{s:s, s:s, s:s}", "dir", r->dir, "flash_id", r->js.flash_id, "mode", r->js.mode));
	say_brom(r);
	if (rc == 0)
		rc = mtk_recover_assess(r->cli->ctx, r->sd.da, &r->js);
	if (rc == 0)
		show_parts(r);
	enum choice c = CHOOSE_NONE;
	if (rc == 0)
		rc = decide(r, &c);
	if (rc == 0)
		rc = act(r, c);
	say_boot_chain(r, rc);
	return rc;
}

static int finish_log(struct recover *r, int rc)
{
	if (!r->log)
		return rc;
	event(r, "end", json_pack("{s:b, s:s}", "ok", rc == 0 || rc == MTK_E_ROLLEDBACK, "result",
				  rc == 0 ? "ok" : mtk_error_name(rc)));
	int lrc = mtk_audit_close(r->log, &r->sk, &r->log_path);
	r->log = NULL;
	return rc < 0 ? rc : lrc;
}

/* What recover found and did, for the history: the interrupted flash's
 * device, mode and scene, and each journaled partition as it is now. */
static void record_job(struct recover *r, struct mtk_history_record *job, int rc)
{
	if (rc == 0 && !r->dir[0]) { /* nothing to recover: no job */
		mtk_history_record_free(job);
		return;
	}
	char err[MTK_HISTORY_TEXT];
	snprintf(err, sizeof err, "%s", rc < 0 ? mtk_ctx_error(r->cli->ctx) : "");
	snprintf(job->device_id, sizeof job->device_id, "%s", r->device_id);
	snprintf(job->mode, sizeof job->mode, "%s", r->js.mode);
	snprintf(job->scene, sizeof job->scene, "%s", r->js.scene);
	snprintf(job->audit_log, sizeof job->audit_log, "%s", r->log_path ? r->log_path : "");
	for (size_t i = 0; i < r->js.count; i++) {
		const struct mtk_journal_part *jp = &r->js.parts[i];
		struct mtk_history_part p = { .bytes = jp->size };
		snprintf(p.name, sizeof p.name, "%s", jp->name);
		snprintf(p.stage, sizeof p.stage, "recover");
		snprintf(p.state, sizeof p.state, "%s", mtk_jdevice_name(jp->device));
		if (mtk_history_add_part(r->cli->ctx, job, &p) < 0)
			mtk_ctx_clear_error(r->cli->ctx);
	}
	cli_job_end(r->cli, job, rc, false, err);
}

int cmd_recover(struct cli *cli, int argc, char **argv)
{
	struct recover *r = calloc(1, sizeof *r);
	if (!r)
		return cli_fail(cli, mtk_fail(cli->ctx, MTK_E_NOMEM, "no memory"), NULL);
	r->cli = cli;
	r->actions = json_array();
	int first = argc;
	int st = cli_parse_opts(cli, "recover", help, argc, argv, options, on_option, &r->a, &first);
	if (st == CLI_CONTINUE && first < argc)
		st = cli_usage(cli, "recover", "unexpected argument '%s'", argv[first]);
	if (st == CLI_CONTINUE) {
		struct mtk_history_record job;
		cli_job_begin(&job, "recover");
		int rc = finish_log(r, recover(r));
		cli_da_close(&r->sd);
		record_job(r, &job, rc);
		if (r->log_path)
			cli_print(cli, "audit log: %s\n", r->log_path);
		if (cli->json) {
			json_object_set_new(cli->out, "journal", r->dir[0] ? cli_json_str(r->dir) : json_null());
			json_object_set_new(cli->out, "actions", json_incref(r->actions));
			if (r->log_path)
				json_object_set_new(cli->out, "audit_log", cli_json_str(r->log_path));
		}
		st = rc < 0 ? cli_fail(cli, rc, NULL) : EXIT_OK;
	}
	json_decref(r->actions);
	mtk_journal_free(r->j);
	mtk_journal_state_free(&r->js);
	free(r->log_path);
	OPENSSL_cleanse(&r->sk, sizeof r->sk);
	free(r);
	return st;
}
