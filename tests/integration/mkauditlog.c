/* SPDX-License-Identifier: MIT */
/* Test helper: writes an audit log without a device, so the integration
 * test can drive `mtkflash log verify|show` on it (and tamper with it).
 *   mkauditlog OUT KEYDIR [unsigned]
 * KEYDIR holds (or gets) station.key/station.pub.  The events carry a
 * device string with an escape sequence, which `log show` must escape. */
#include <stdio.h>
#include <string.h>

#include "mtkflash/audit.h"

static int fail(mtk_ctx *ctx)
{
	fprintf(stderr, "mkauditlog: %s\n", mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: mkauditlog OUT KEYDIR [unsigned]\n");
		return 2;
	}
	bool sign = argc == 3 || strcmp(argv[3], "unsigned") != 0;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	struct mtk_audit *log;
	if (mtk_audit_station_key(ctx, argv[2], &sk, &pk) < 0 || mtk_audit_open(ctx, argv[1], "MT6737-test", &log) < 0)
		return fail(ctx);
	static const char *const parts[] = { "system", "boot", "lk\x1b[31mred", "preloader" };
	int rc = mtk_audit_event(log, "start", json_pack("{s:s, s:s}", "mode", "safe", "scene", "download"));
	for (size_t i = 0; rc == 0 && i < sizeof parts / sizeof *parts; i++)
		rc = mtk_audit_event(log, "write", json_pack("{s:s, s:I, s:f}", "partition", parts[i], "bytes",
		                                              (json_int_t)(1 << 20) * (json_int_t)(i + 1), "mb_s", 9.5));
	if (rc == 0)
		rc = mtk_audit_event(log, "end", json_pack("{s:b}", "ok", 1));
	if (rc < 0 || mtk_audit_close(log, sign ? &sk : NULL, NULL) < 0)
		return fail(ctx);
	mtk_ctx_free(ctx);
	return 0;
}
