/* SPDX-License-Identifier: MIT */
/* What the verified-mode commands share (backup, service, and flash): where
 * the backup store and the service passphrase live, reading a passphrase. */
#ifndef MTK_CLI_VERIFY_H
#define MTK_CLI_VERIFY_H

#include <stddef.h>

#include "cli.h"

/* $XDG_DATA_HOME/mtkflash/backups, else ~/.local/share/mtkflash/backups;
 * NULL when neither variable is set. */
const char *cli_backup_root(char *out, size_t cap);
/* $XDG_CONFIG_HOME/mtkflash/service.pass, else ~/.config/mtkflash/service.pass. */
const char *cli_service_path(char *out, size_t cap);

/* One passphrase line: from file descriptor fd (>= 0; read up to the
 * newline and no further, so a second call reads the next line), else from
 * the terminal (/dev/tty) with echo off after printing `prompt`.  The
 * newline is not part of it.  MTK_E_INVAL when there is no terminal and no
 * fd; MTK_E_INTERRUPTED on Ctrl-C (the terminal's echo is restored).
 * *len gets its length; buf must hold MTK_SERVICE_PASS_MAX + 2 bytes. */
int cli_read_passphrase(struct cli *cli, int fd, const char *prompt, char *buf, size_t cap, size_t *len);

/* For flash --mode service: obtain the passphrase (fd or terminal) and check
 * it against the stored hash.  0, or MTK_E_DENIED with the reason in the
 * context (no passphrase set, wrong one). */
int cli_service_unlock(struct cli *cli, int passphrase_fd);

#endif
