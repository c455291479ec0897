/* SPDX-License-Identifier: MIT */
#ifndef MTK_CLI_COMMANDS_H
#define MTK_CLI_COMMANDS_H

#include "cli.h"

/* NULL-terminated, in the order `--help` lists them. */
extern const struct cli_command cli_commands[];

#endif
