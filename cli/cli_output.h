/* SPDX-License-Identifier: MIT */
#ifndef MTK_CLI_OUTPUT_H
#define MTK_CLI_OUTPUT_H

#include "cli.h"

/* Route library logs and progress to stderr, start the JSON document. */
void cli_output_init(struct cli *cli);
/* Emit the JSON document (with "ok" and, on failure, "error"); returns status. */
int cli_output_finish(struct cli *cli, int status);

#endif
