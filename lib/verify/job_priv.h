/* SPDX-License-Identifier: MIT */
/* The parts of one verified-flash job (mtkflash/job.h): connecting
 * (job_connect.c), judging (job_judge.c), recording (job_record.c), and the
 * run that strings them together (job.c). */
#ifndef MTK_VERIFY_JOB_PRIV_H
#define MTK_VERIFY_JOB_PRIV_H

#include "mtkflash/audit.h"
#include "mtkflash/da.h"
#include "mtkflash/dafile.h"
#include "mtkflash/history.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/job.h"
#include "mtkflash/journal.h"
#include "mtkflash/session.h"
#include "job_scatter.h"

#define JOB_PATH_MAX 4096

/* The port, the DA file and the DA session. */
struct job_conn {
	struct mtk_transport *tp;
	struct mtk_da *da;
	struct mtk_dafile file;
	char da_path[JOB_PATH_MAX];
	char session_dir[JOB_PATH_MAX]; /* "" when records are off */
	uint8_t *preloader_buf;
	struct mtk_preloader_info pl;
	struct mtk_da_emi emi;
	bool have_emi;
	uint8_t *cert_buf, *auth_buf;
	struct mtk_da_auth auth;
	int after; /* enum mtk_da_after */
};

struct job {
	mtk_ctx *ctx;
	const struct mtk_job_opts *o;
	const struct mtk_job_callbacks *cb;
	struct mtk_job_view v;
	struct job_conn c;
	bool unlocked; /* service mode: the passphrase was checked */
	const char *confirmed;
	char refusal[512];
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	struct mtk_audit *log;
	char *log_path;
	struct mtk_journal *journal;
	struct mtk_job_result *res;
	/* progress */
	enum mtk_job_stage stage;
	char step[MTK_PART_NAME_SIZE];
	long long step_start_ms, write_start_ms;
	uint64_t run_done, run_total;
	mtk_progress_fn prev_progress;
	void *prev_progress_user;
};

void job_stage(struct job *j, enum mtk_job_stage stage, const char *event, const char *fmt, ...) MTK_PRINTF(4, 5);

/* job_connect.c */
int job_connect(struct job *j, const char *preloader);
void job_disconnect(struct job *j);

/* job_judge.c */
int job_policy_open(struct job *j);
int job_unlock(struct job *j);
int job_prepare(struct job *j);
int job_policy_check(struct job *j);
/* The plan's, the mode's or the policy's refusal into v.p (refused, refusal). */
void job_note_refusal(struct job *j);
json_t *job_policy_record(const struct job *j);

/* job_record.c */
int job_station_key(struct job *j);
int job_log_begin(struct job *j);
int job_log_end(struct job *j, int rc);
int job_make_report(struct job *j);
void job_history_end(struct job *j, struct mtk_history_record *rec, int rc, bool refused);

#endif
