/* SPDX-License-Identifier: MIT */
/* Reaching a phone whose port may leave the bus before the session begins:
 * a preloader's port lives about 2 s (brom-protocol.md §2.2a), a phone may
 * reset.  When the port searches (auto, usb) and --wait has time left,
 * mtkflash waits for the phone to come back and tries again, warning with
 * an account of each attempt; when it does not come back, the error gives
 * that account and the likely cause. */
#ifndef CLI_CONNECT_H
#define CLI_CONNECT_H

#include "cli.h"

struct cli_attempts {
	long long start;     /* when the wait began: --wait bounds all attempts */
	long long opened_at; /* when the current port was opened */
	int n;               /* attempts that failed so far */
	char account[1024];
};

/* cli_open_port(), starting the clock of the attempts. */
int cli_open_first(struct cli *cli, struct cli_attempts *a, struct mtk_transport **tp);

/* After a connect that failed with rc: 1 when *tp (closed here) was
 * reopened for another attempt; else the error to report (rc itself, or
 * the account when the phone left the bus and did not come back). */
int cli_connect_again(struct cli *cli, struct cli_attempts *a, struct mtk_transport **tp, int rc);

#endif
