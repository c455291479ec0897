/* SPDX-License-Identifier: MIT */
/* Making the signed report: the log must verify first, so a report never
 * vouches for a record that was changed. */
#include "cli_report.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mtkflash/audit.h"
#include "mtkflash/report.h"
#include "mtkflash/util.h"

#define LOG_MAX (64u << 20)

static int verified_log(struct cli *cli, const char *log, const char *const *trust, size_t ntrust, uint8_t **buf,
			size_t *len)
{
	struct mtk_minisign_pubkey *keys = NULL;
	size_t n = 0;
	struct mtk_audit_report r;
	int rc = mtk_read_small_file(cli->ctx, log, LOG_MAX, buf, len, NULL);
	if (rc == 0)
		rc = cli_load_trust(cli, trust, ntrust, &keys, &n);
	if (rc == 0)
		rc = mtk_audit_verify_buf(cli->ctx, *buf, *len, keys, n, &r);
	free(keys);
	if (rc < 0)
		return cli_fail(cli, rc, "report");
	if (r.problem == MTK_AUDIT_OK)
		return 0;
	return cli_fail(cli,
			mtk_fail(cli->ctx, MTK_E_VERIFY, "%s does not verify (%s: %s); no report is made from it", log,
				 mtk_audit_problem_name(r.problem), r.detail),
			"report");
}

static int station_key(struct cli *cli, struct mtk_minisign_seckey *sk)
{
	char dir[4096];
	struct mtk_minisign_pubkey pk;
	if (!cli_station_dir(dir, sizeof dir))
		return mtk_fail(cli->ctx, MTK_E_IO, "no station key: set XDG_DATA_HOME or HOME");
	return mtk_audit_station_key(cli->ctx, dir, sk, &pk);
}

/* The PDF and its .minisig: the PDF first, so a .minisig never stands beside
 * a PDF it does not sign. */
static int write_both(struct cli *cli, const char *out, const uint8_t *pdf, size_t len, const char *sig, bool force)
{
	unsigned flags = force ? MTK_OUT_FORCE : 0;
	char *sigpath = mtk_str_concat(out, ".minisig");
	int rc = sigpath ? mtk_write_file_safely(cli->ctx, out, pdf, len, flags) : MTK_E_NOMEM;
	if (rc == 0)
		rc = mtk_write_file_safely(cli->ctx, sigpath, sig, strlen(sig), flags);
	free(sigpath);
	return rc;
}

static int make(struct cli *cli, const char *log, const uint8_t *buf, size_t len, const char *out, bool force)
{
	struct mtk_report rep;
	struct mtk_minisign_seckey sk;
	uint8_t *pdf = NULL, *sealed = NULL;
	size_t pdf_len = 0, sealed_len = 0;
	char *sig = NULL, *real = realpath(log, NULL);
	const char *slash = strrchr(out, '/');
	int rc = station_key(cli, &sk);
	if (rc == 0)
		rc = mtk_report_parse(cli->ctx, buf, len, &rep);
	if (rc < 0)
		goto done;
	snprintf(rep.log_path, sizeof rep.log_path, "%s", real ? real : log);
	rc = mtk_report_render(cli->ctx, &rep, &pdf, &pdf_len);
	if (rc == 0)
		rc = mtk_report_seal(cli->ctx, pdf, pdf_len, &rep, &sk, &sealed, &sealed_len);
	if (rc == 0)
		rc = mtk_report_minisig(cli->ctx, sealed, sealed_len, &sk, slash ? slash + 1 : out, &sig);
	if (rc == 0)
		rc = write_both(cli, out, sealed, sealed_len, sig, force);
	if (rc == 0)
		cli_print(cli, "report: %s (%zu bytes, %zu partition steps, signed by station key %s)\n", out,
			  sealed_len, rep.nsteps, rep.key_id);
	if (rc == 0 && cli->json) {
		json_object_set_new(cli->out, "report", cli_json_str(out));
		if (!json_object_get(cli->out, "audit_log")) /* flash --report: flash's own stays */
			json_object_set_new(cli->out, "audit_log", cli_json_str(rep.log_path));
		json_object_set_new(cli->out, "log_head", json_string(rep.head));
	}
	mtk_report_free(&rep);
done:
	OPENSSL_cleanse(&sk, sizeof sk);
	free(pdf);
	free(sealed);
	free(sig);
	free(real);
	return rc;
}

int cli_report_write(struct cli *cli, const char *log, const char *out, bool force, const char *const *trust,
		     size_t ntrust)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int st = verified_log(cli, log, trust, ntrust, &buf, &len);
	if (st == 0) {
		int rc = make(cli, log, buf, len, out, force);
		st = rc < 0 ? cli_fail(cli, rc, "report") : 0;
	}
	free(buf);
	return st;
}
