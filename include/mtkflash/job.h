/* SPDX-License-Identifier: MIT */
/* The verified flash of one phone as one call, for every front end (the
 * mtkflash CLI's `flash` and `batch`, the GTK window): connect, start the DA,
 * fingerprint, plan, score the risk, decide (the caller's `decide` hook sees
 * all of it before a byte is written), journal, back up, write and read back
 * every image, roll back on failure or cancel, sign the audit log, make the
 * PDF report, record the job in the history.  A front end shows; it adds no
 * flashing logic of its own.
 *
 * Threads: one job per mtk_ctx; jobs on different contexts share nothing
 * (a batch runs one per thread).  Callbacks run on the job's thread.
 * Cancel: set *opts.cancel (any thread, __atomic_store_n); the job stops
 * between chunks and rolls back what it changed (MTK_E_ROLLEDBACK). */
#ifndef MTKFLASH_JOB_H
#define MTKFLASH_JOB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/flash.h"
#include "mtkflash/policy.h"
#include "mtkflash/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The stages a user sees, in SP Flash Tool's words and order. */
enum mtk_job_stage {
	MTK_JOB_CONNECT, /* opening the port, the BootROM/preloader handshake */
	MTK_JOB_DA,      /* the Download Agent runs: fingerprint, plan, risk, decision */
	MTK_JOB_BACKUP,  /* protected partitions saved, old bytes stashed in the journal */
	MTK_JOB_WRITE,   /* images written (erase and table steps count here) */
	MTK_JOB_VERIFY,  /* read back and compared (restores of a rollback too) */
	MTK_JOB_FINISH,  /* audit log signed, report and history written */
};
const char *mtk_job_stage_name(enum mtk_job_stage s); /* "connect", "DA", "backup", "write", "verify", "finish" */

/* Everything a job needs; strings are borrowed for the call.  NULL or 0
 * means the default named beside the member.  Lists are arrays of n names. */
struct mtk_job_opts {
	const char *port;      /* transport spec (mtk_transport_open): "auto" (NULL), "emu:mt6737,state=DIR", ... */
	int wait_ms;           /* for the phone to appear (0: do not wait) */
	const char *scatter;   /* the package's scatter file (required) */
	enum mtk_scene scene;  /* MTK_SCENE_DOWNLOAD (0) */
	enum mtk_flash_mode mode; /* MTK_FMODE_SAFE (0) */
	const char *passphrase; /* service mode: checked against service_file, never stored */
	size_t passphrase_len;
	const char *policy;    /* a verification policy file (docs/policy.md); NULL: the station's rules only */
	const char *const *only; size_t nonly;         /* write only these partitions */
	const char *const *skip; size_t nskip;         /* never write these */
	const char *const *overrides; size_t noverrides; /* service mode: risk factors taken out */
	const char *const *trust; size_t ntrust;       /* minisign public keys trusted to sign packages */
	const char *const *expendable; size_t nexpendable; /* quick mode: no stash (mtk_flash_opts) */
	bool expendable_set;   /* false: the default expendables (cache, userdata) */
	const char *preloader; /* DRAM settings for a phone in BROM mode (NULL: the package's own) */
	const char *da_file;   /* NULL: the first MTK_AllInOne_DA*.bin in $XDG_DATA_HOME/mtkflash */
	const char *virtual_da_file; /* used for software devices only, when no other DA is found */
	const char *virtual_trust;   /* a key trusted for software devices only (mtkemu's demo key) */
	const char *auth_file, *cert_file; /* the vendor's SEND_AUTH / SEND_CERT files */
	int after;             /* enum mtk_da_after at the end; -1: the policy's, else stay */
	bool no_speed_switch;
	unsigned device_checks; /* MTK_DA_CHECK_* of each verified write (init: USB and storage) */
	/* Where things live; NULL: the XDG defaults the CLI uses (docs/cli.md). */
	const char *audit_path;  /* this exact file (refused when it exists) */
	const char *audit_dir;   /* else a new file in here ($XDG_STATE_HOME/mtkflash/audit) */
	const char *report_path; /* NULL: no PDF; else PDF and PDF.minisig at the end */
	const char *history;     /* history target: postgresql://... or an SQLite file; NULL: $MTKFLASH_HISTORY,
	                          * then $XDG_DATA_HOME/mtkflash/history.db; "" records nothing */
	const char *history_kind; /* the history's job kind (NULL: "flash") */
	const char *session_dir, *journal_root, *backup_root, *station_dir, *service_file, *station_config;
	volatile sig_atomic_t *cancel; /* see the top of this file; NULL: the context's own flag */
};
void mtk_job_opts_init(struct mtk_job_opts *o); /* zero, with after -1, device_checks both, wait 30 s */

/* The package as judged before the device is touched. */
struct mtk_job_package {
	bool have_manifest;       /* SHA256SUMS beside the scatter */
	enum mtk_sig_state sig;   /* its signature */
	char signer[17];          /* the signing key's id, "" when unsigned */
	bool checksum_mismatch;   /* an image disagrees with SHA256SUMS or Checksum.ini */
	char detail[160];
	size_t errors;
};

/* What the job found and means to do: all of it owned by the job (or by
 * an mtk_job_view), valid during the callback that receives it. */
struct mtk_job_plan {
	const struct mtk_fingerprint *fp; /* fp->device_id, fp->brom.chip, storage, table */
	const struct mtk_plan *plan;      /* entries, total_bytes, refusals */
	const struct mtk_risk *risk;      /* score, level, one item per factor */
	const struct mtk_decision *decision; /* the mode's verdict and its reasons */
	enum mtk_scene scene;
	enum mtk_flash_mode mode;
	const struct mtk_job_package *package;
	const struct mtk_policy *policy;  /* NULL without one */
	const struct mtk_policy_verdict *policy_verdict; /* its refusals, count 0: allowed */
	enum mtk_role role;
	bool nvram_backup;  /* a verified backup of this device is on record */
	bool refused;       /* the plan, the mode or the policy refuses: decide can only be told */
	const char *refusal; /* why, one sentence ("" when not refused) */
};

/* Bytes of the current step and of the whole write, for a bar and an ETA. */
struct mtk_job_progress {
	enum mtk_job_stage stage;
	const char *step;      /* the partition ("system"), or what the library reports ("uploading DA2") */
	uint64_t done, total;  /* of this step */
	uint64_t run_done, run_total; /* of the job's writes (0 total: unknown yet) */
	double bytes_per_s;    /* over the current step so far */
	double eta_s;          /* of the whole write, -1 unknown */
};

struct mtk_job_callbacks {
	void *user;
	/* A stage begins or says something: `event` is a finer word ("connect",
	 * "DA", "journal", "backup", "write", "verify", "finish", "rollback"),
	 * `detail` one line for a log or a status bar. */
	void (*on_stage)(void *user, enum mtk_job_stage stage, const char *event, const char *detail);
	void (*on_progress)(void *user, const struct mtk_job_progress *p);
	/* Each step as mtk_flash_run reports it (start and end), for a table. */
	mtk_flash_step_fn on_step;
	/* The last word before anything is written, called also when the plan
	 * is refused (p->refused: the answer cannot change that).  0 lets the
	 * flash go on; a negative MTK_E_* (the message in ctx, else "declined
	 * by the user") refuses it: nothing is written, the refusal is logged.
	 * `confirmed` (may be set) says how it was decided, for the audit log
	 * ("terminal", "--yes", "window"); NULL decide: allowed only when the
	 * mode's verdict is allow (a confirm needs someone to confirm). */
	int (*decide)(void *user, mtk_ctx *ctx, const struct mtk_job_plan *p, const char **confirmed);
	/* Optional: judge the package in the caller's way (a batch judges once
	 * for every phone).  `virtual_device`: also trust opts.virtual_trust.
	 * NULL: the job checks SHA256SUMS and its signature (trusting opts.trust,
	 * else the station's trusted-keys folder). */
	int (*judge_package)(void *user, mtk_ctx *ctx, bool virtual_device, struct mtk_job_package *out);
};

enum mtk_job_outcome {
	MTK_JOB_VERIFIED,    /* every step done, read back and equal */
	MTK_JOB_REFUSED,     /* by the plan, the mode, the policy or decide: nothing written */
	MTK_JOB_ROLLED_BACK, /* failed or cancelled, every changed partition as before */
	MTK_JOB_FAILED,      /* failed before writing, or the rollback failed (not_as_before) */
};
const char *mtk_job_outcome_name(enum mtk_job_outcome o); /* "verified", "refused", "rolled-back", "failed" */

struct mtk_job_result {
	enum mtk_job_outcome outcome;
	int rc;                  /* 0, or the MTK_E_* the job ended with */
	char status[64];         /* the `mtkflash explain` key of the failure ("" when verified) */
	char message[512];       /* the error chain, "" when verified */
	char device_id[MTK_DEVICE_ID_MAX];
	char chip[16];
	uint64_t bytes_written;
	double seconds;          /* of the verified writes */
	char audit_log[4096];    /* the signed audit log, "" when none was opened */
	char report[4096];       /* the PDF made, "" when none */
	char journal[4096];      /* the flash journal's folder, "" when none */
	char backup_id[MTK_BACKUP_ID_MAX];
	char not_as_before[512]; /* after a failed rollback: the partitions */
	char job_id[40];         /* the history's id, "" when not recorded */
	struct mtk_flash_result flash; /* every step (mtk_job_result_free frees it) */
	char history_warning[320]; /* why the history record is only queued or lost; "" when stored */
	struct mtk_plan plan;      /* what was planned: flash.steps[].image points into it */
};
void mtk_job_result_free(struct mtk_job_result *r); /* flash and plan */

/* The whole verified flash.  Returns res->rc; res is always filled. */
int mtk_job_run(mtk_ctx *ctx, const struct mtk_job_opts *o, const struct mtk_job_callbacks *cb,
		struct mtk_job_result *res);

/* "Plan only": connect, fingerprint, plan, risk, decision, policy; nothing
 * is written, no audit log, no history (the CLI's `plan`, the GUI's plan
 * view).  on_stage and on_progress of cb are used (cb may be NULL). */
struct mtk_job_view {
	struct mtk_job_plan p; /* points into the members below */
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_risk risk;
	struct mtk_decision decision;
	struct mtk_job_package package;
	struct mtk_policy *policy;
	struct mtk_policy_verdict policy_verdict;
	char refusal[512];
};
int mtk_job_plan(mtk_ctx *ctx, const struct mtk_job_opts *o, const struct mtk_job_callbacks *cb,
		 struct mtk_job_view *out);
void mtk_job_view_free(struct mtk_job_view *v);

#ifdef __cplusplus
}
#endif

#endif
