/* SPDX-License-Identifier: MIT */
/* Attempts at reaching a phone whose port may leave the bus before the
 * session begins (cli_connect.h). */
#include "cli_connect.h"

#include <stdio.h>
#include <string.h>

#include "mtkflash/util.h"

/* Only auto and usb look for a phone; a named tty is that tty or nothing. */
static bool port_searches(const struct cli *cli)
{
	const char *spec = cli->port ? cli->port : "auto";
	return strcmp(spec, "auto") == 0 || strcmp(spec, "usb") == 0 || strncmp(spec, "usb:", 4) == 0;
}

int cli_open_first(struct cli *cli, struct cli_attempts *a, struct mtk_transport **tp)
{
	memset(a, 0, sizeof *a);
	a->start = mtk_now_ms(cli->ctx);
	int rc = cli_open_port(cli, tp);
	a->opened_at = mtk_now_ms(cli->ctx);
	return rc;
}

static void note_attempt(struct cli *cli, struct cli_attempts *a, const struct mtk_transport *tp)
{
	long long lived = mtk_now_ms(cli->ctx) - a->opened_at;
	char one[600];
	snprintf(one, sizeof one, "attempt %d: %s left the bus %lld ms after it was opened (%s)", a->n,
		 mtk_transport_describe(tp), lived, mtk_ctx_error(cli->ctx));
	size_t len = strlen(a->account);
	snprintf(a->account + len, sizeof a->account - len, "%s%s", len ? "; " : "", one);
	mtk_warn(cli->ctx, "%s; waiting for the phone to come back", one);
}

/* The account, and what usually makes a port come and go like that. */
static int gave_up(struct cli *cli, const struct cli_attempts *a)
{
	mtk_ctx_clear_error(cli->ctx);
	return mtk_fail(cli->ctx, MTK_E_NODEV,
			"the phone's port appeared and left the bus before the handshake, %d time%s (%s), and did "
			"not come back within --wait %d s. Likely cause: a preloader's port lives only about 2 s "
			"(its listen window) and the phone then boots on; start mtkflash first and plug the phone in "
			"after it says it is waiting, or power it off and hold volume-down while plugging it in (the "
			"BootROM port 0e8d:0003 waits); a program that opens new serial ports (ModemManager) can "
			"use up the window: stop it or install the udev rule", a->n, a->n == 1 ? "" : "s",
			a->account, cli->wait_ms / 1000);
}

/* A named tty is that tty or nothing; but one that hung up before a byte
 * went either way was a device leaving the bus as we opened it (the
 * re-enumeration after a reboot or a speed switch), and the same name (a
 * udev by-id link, or ttyACM0 again) brings the phone back. */
static bool named_tty_left_at_once(const struct mtk_transport *tp)
{
	/* The serial backend keys a tty opened by its name "tty:PATH" (one it
	 * found on a USB port, for auto, "usb:..."). */
	if (strncmp(mtk_transport_port_key(tp), "tty:", 4) != 0)
		return false;
	uint64_t in, out;
	mtk_transport_counts(tp, &in, &out);
	return in == 0 && out == 0;
}

int cli_connect_again(struct cli *cli, struct cli_attempts *a, struct mtk_transport **tp, int rc)
{
	if (rc != MTK_E_DISCONNECTED || !*tp || !(port_searches(cli) || named_tty_left_at_once(*tp)))
		return rc;
	a->n++;
	note_attempt(cli, a, *tp);
	mtk_transport_close(*tp);
	*tp = NULL;
	long long left = cli->wait_ms - (mtk_now_ms(cli->ctx) - a->start);
	if (left <= 0)
		return gave_up(cli, a);
	mtk_ctx_clear_error(cli->ctx);
	int orc = mtk_transport_open(cli->ctx, cli->port ? cli->port : "auto", (int)left, tp);
	if (orc < 0)
		return orc == MTK_E_NODEV || orc == MTK_E_TIMEOUT ? gave_up(cli, a) : orc;
	a->opened_at = mtk_now_ms(cli->ctx);
	mtk_info(cli->ctx, "attempt %d: %s", a->n + 1, mtk_transport_describe(*tp));
	return 1;
}
