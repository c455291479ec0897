/* SPDX-License-Identifier: MIT */
/* Full backup units (include/mtkflash/backup_unit.h): `backup full` and
 * `readback` make one (cmd_readback.c), `backup restore DIR` puts one back
 * (cli_unit_restore.c). */
#ifndef MTK_CLI_UNIT_H
#define MTK_CLI_UNIT_H

#include <stdbool.h>

#include "cli.h"

struct cli_unit_opts {
	const char *preloader;
	bool force;
	bool compress;
	const char *kind; /* "readback" or "backup full": the history's job kind and the error prefix */
};
/* Read the whole device into dir as a signed unit; returns the exit status. */
int cli_backup_full(struct cli *cli, const char *dir, const struct cli_unit_opts *o);

/* Whether path is a folder holding a unit manifest. */
bool cli_unit_is_unit(const char *path);

struct cli_restore_opts {
	const char *preloader;
	bool yes;
	const char *const *allow_foreign; /* partition names */
	size_t nallow;
	int passphrase_fd; /* -1: the terminal */
};
/* `backup restore DIR`: check, refuse or flash through Verified Mode; the exit status. */
int cli_unit_restore(struct cli *cli, const char *dir, const struct cli_restore_opts *o);

#endif
