/* SPDX-License-Identifier: MIT */
/* The signed PDF report of an audit log (docs/report.md), as `report`
 * makes it and as `flash --report` makes it at the end of a flash. */
#ifndef MTK_CLI_REPORT_H
#define MTK_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/* Verify the log (against the --trust keys, or this station's), summarise
 * it, draw and seal the PDF with the station key, and write `out` and
 * `out`.minisig (refusing existing files unless force).  Returns 0 or an
 * exit status; a log that does not verify is refused naming its line. */
int cli_report_write(struct cli *cli, const char *log, const char *out, bool force, const char *const *trust,
		     size_t ntrust);

#endif
