/* SPDX-License-Identifier: MIT */
/* The verified flash of one phone, as `flash` runs it and as each phone of
 * a `batch` runs it on its own thread (cli/cmd_flash.c).  Everything the
 * flow keeps lives in the struct cli it is given and in its own state: two
 * phones with two struct cli (two contexts) never share anything. */
#ifndef MTK_CLI_FLASH_H
#define MTK_CLI_FLASH_H

#include "cli_plan.h"
#include "mtkflash/flash.h"

/* What a caller sees of a phone as it goes; any member may be NULL. */
struct cli_flash_hooks {
	void *user;
	const char *kind; /* the history's job kind (NULL: "flash") */
	/* "connect", "DA", "journal", "finish", "rollback", with a detail */
	void (*on_stage)(void *user, const char *stage, const char *detail);
	/* each step as mtk_flash_opts.on_step reports it */
	mtk_flash_step_fn on_step;
	/* The last word before anything is written: 0 lets the flash go on, a
	 * negative MTK_E_* (with its message in the context) refuses it. */
	int (*decide)(void *user, mtk_ctx *ctx, const struct cli_plan_run *r);
};

/* How a phone's flash ended. */
struct cli_flash_report {
	int rc;       /* 0 verified, else the MTK_E_* code it ended with */
	int status;   /* the exit status `mtkflash flash` gives for it */
	bool refused; /* by the plan, the mode, the user or the decide hook: nothing written */
	char device_id[128];
	char chip[16];
	uint64_t bytes_written;
	double seconds; /* of the verified writes */
	char log_path[4096];
	char message[512]; /* the error chain, "" when verified */
};

/* Connect to cli->port, plan against the device, decide, journal, write
 * and read back every image, sign the audit log.  a holds flash's options
 * (a->no_prompt: never ask on the terminal); scene and mode as parsed by
 * cli_plan_check_args.  rep may be NULL.  Returns the exit status. */
int cli_flash_phone(struct cli *cli, const struct cli_plan_args *a, int scene, int mode, const char *scatter,
                    const struct cli_flash_hooks *hooks, struct cli_flash_report *rep);

#endif
