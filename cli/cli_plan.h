/* SPDX-License-Identifier: MIT */
/* What plan and flash share: their options, connecting with the package's
 * preloader, fingerprint + plan + risk, and printing them. */
#ifndef MTK_CLI_PLAN_H
#define MTK_CLI_PLAN_H

#include <pthread.h>

#include "cli.h"
#include "cli_da.h"
#include "mtkflash/policy.h"
#include "mtkflash/verify.h"

#define CLI_PLAN_MAX_LIST 64

struct cli_plan_args {
	const char *scene, *mode, *preloader, *policy;
	const char *only[CLI_PLAN_MAX_LIST], *skip[CLI_PLAN_MAX_LIST], *override[CLI_PLAN_MAX_LIST],
		*trust[CLI_PLAN_MAX_LIST];
	size_t nonly, nskip, noverride, ntrust;
	char *owned[CLI_PLAN_MAX_LIST * 2]; /* comma-split copies */
	size_t nowned;
	bool too_many;
	/* flash only */
	int passphrase_fd; /* -1: ask on the terminal */
	bool yes;
	const char *audit;
	const char *report; /* --report FILE: the signed PDF of the audit log, made at the end */
	bool bad_fd;
	const char *expendable[CLI_PLAN_MAX_LIST]; /* quick mode: written without a stash */
	size_t nexpendable;
	bool expendable_set;
	/* batch only */
	bool no_prompt;               /* never ask on the terminal (phones run on threads) */
	const char *audit_dir;        /* each phone's audit log goes to a new file in here */
	struct cli_pkg_cache *pkg;    /* the package judged once for every phone */
};

/* The package's verdict (every image hashed, the signature checked) made
 * once and shared by the phones of a batch: one for real phones and one for
 * software devices, which also trust the mtkemu demo key. */
struct cli_pkg_cache {
	pthread_mutex_t lock;
	bool have[2];
	struct cli_pkg_verdict v[2];
	unsigned judged; /* how many times the package was judged: the batch's tests read it */
};

/* plan's options; flash's are these plus --passphrase-fd, --yes, --audit, --report,
 * --expendable. */
extern const struct option cli_plan_options[];
extern const struct option cli_flash_options[];
void cli_plan_args_init(struct cli_plan_args *a);
int cli_plan_on_option(struct cli *cli, void *args, int opt, const char *val);
void cli_plan_args_free(struct cli_plan_args *a);
/* Usage checks; CLI_CONTINUE with the parsed scene and mode, or EXIT_USAGE. */
int cli_plan_check_args(struct cli *cli, const char *cmd, const struct cli_plan_args *a, int nargs, int *scene,
			int *mode);

struct cli_plan_run {
	int scene, mode;
	struct mtk_fingerprint fp;
	struct mtk_plan plan;
	struct mtk_risk risk;
	struct mtk_decision d;
	struct cli_pkg_verdict pkg;
	bool nvram_backup;              /* a verified backup of the device is on record */
	struct mtk_policy *policy;      /* --policy, NULL without */
	struct mtk_policy_verdict pv;   /* its refusals */
	enum mtk_role role;
};

/* Load the scatter, judge the package, connect, fingerprint, plan, score
 * and decide.  With `keep` the DA stays open in it (flash); else it is
 * closed.  `unlocked`: the service passphrase was checked. */
int cli_plan_prepare(struct cli *cli, const struct cli_plan_args *a, const char *path, bool unlocked,
		     struct cli_plan_run *r, struct cli_da *keep);
/* The package checks of `inspect`, trusting --trust keys, and mtkemu's
 * demo key when the device is software (a rehearsal on a virtual twin runs
 * in safe mode, while a real phone never trusts a key whose secret is
 * public); judged once per batch through a->pkg. */
void cli_plan_package_verdict(struct cli *cli, const struct cli_plan_args *a, const char *path, bool virtual_device,
			      struct cli_pkg_verdict *v);
/* Fingerprint, plan table and risk on stdout; their JSON in the document. */
void cli_plan_show(struct cli *cli, const struct cli_plan_run *r);
/* EXIT_OK, or exit 6 naming the plan's or the mode's refusal. */
int cli_plan_verdict(struct cli *cli, const struct cli_plan_run *r);
void cli_plan_run_free(struct cli_plan_run *r);

#endif
