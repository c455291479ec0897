/* SPDX-License-Identifier: MIT */
/* mtkflash report AUDIT --out PDF | report verify PDF: the signed PDF
 * report of a flash (docs/report.md).  No device is involved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_report.h"
#include "mtkflash/audit.h"
#include "mtkflash/report.h"
#include "mtkflash/util.h"

#define MAX_TRUST 32
#define PDF_MAX (64u << 20)

static const char help[] =
	"Usage: mtkflash report AUDIT.jsonl --out REPORT.pdf [--force] [--trust PUBKEY]...\n"
	"       mtkflash report verify REPORT.pdf [--log AUDIT.jsonl] [--trust PUBKEY]...\n"
	"\n"
	"report  make a one- or two-page PDF of a flash for people who were not there:\n"
	"        the phone, the package and its signature, mode, risk, every partition\n"
	"        (SHA-256 before and after, bytes, times, outcome), backups, the result,\n"
	"        the audit log's chain head and signature, and the speed of each stage.\n"
	"        The log must verify first.  The PDF is signed with the station key (a\n"
	"        seal after its end) and REPORT.pdf.minisig is written beside it.\n"
	"verify  check the seal (the PDF unchanged, signed by a trusted key), the\n"
	"        .minisig beside it when there is one, and the audit log: --log, or\n"
	"        the path the report records; it must verify and end in the chain\n"
	"        head the report states.\n"
	"  --out FILE     the PDF to write (never an existing file without --force)\n"
	"  --force        replace an existing PDF and .minisig\n"
	"  --log FILE     the audit log the report came from\n"
	"  --trust KEY    the keys trusted to sign logs and reports (repeatable;\n"
	"                 default: this station's station.pub and the trusted-keys\n"
	"                 folder, as for `log verify`)\n"
	"\n"
	"Exit status: 0 made / verified; 5 not verified; 8 a file could not be read or\n"
	"written; 9 a --trust key could not be parsed.\n";

struct report_args {
	const char *trust[MAX_TRUST];
	size_t ntrust;
	const char *out, *log;
	bool force;
};

enum { OPT_TRUST = 256, OPT_OUT, OPT_FORCE, OPT_LOG };

static const struct option options[] = {
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct report_args *a = args;
	if (opt == OPT_OUT)
		a->out = val;
	else if (opt == OPT_FORCE)
		a->force = true;
	else if (opt == OPT_LOG)
		a->log = val;
	else if (a->ntrust == MAX_TRUST)
		return cli_usage(cli, "report", "at most %d --trust keys", MAX_TRUST);
	else
		a->trust[a->ntrust++] = val;
	return CLI_CONTINUE;
}

/* ------------------------------------------------------------ verify */

struct verdicts {
	enum mtk_report_verdict seal;
	char seal_detail[320];
	struct mtk_report_seal s;
	const char *minisig; /* "ok", "absent", "bad", "untrusted-key" */
	const char *log;     /* the log checked, NULL when none could be named */
	struct mtk_audit_report lr;
	bool head_matches;
};

/* REPORT.pdf.minisig over the whole file, when it is there. */
static int check_minisig(struct cli *cli, const char *pdf, const uint8_t *buf, size_t len,
			 const struct mtk_minisign_pubkey *keys, size_t n, struct verdicts *v)
{
	char *path = mtk_str_concat(pdf, ".minisig");
	uint8_t *text = NULL;
	size_t tlen = 0;
	bool absent = false;
	struct mtk_minisign_sig sig;
	int rc = path ? mtk_read_small_file(cli->ctx, path, 4096, &text, &tlen, &absent) : MTK_E_NOMEM;
	v->minisig = "absent";
	if (rc == 0 && !absent) {
		v->minisig = "bad";
		if (mtk_minisign_sig_parse(cli->ctx, path, text, tlen, &sig) == 0) {
			enum mtk_sig_state st = mtk_minisign_verify(cli->ctx, &sig, keys, n, buf, len, NULL);
			v->minisig = st == MTK_SIG_TRUSTED ? "ok" : st == MTK_SIG_UNKNOWN_KEY ? "untrusted-key" : "bad";
		}
		mtk_ctx_clear_error(cli->ctx);
	}
	free(text);
	free(path);
	return rc;
}

static int check_log(struct cli *cli, const struct report_args *a, const struct mtk_minisign_pubkey *keys, size_t n,
		     struct verdicts *v)
{
	v->log = a->log ? a->log : v->s.log_path[0] ? v->s.log_path : NULL;
	if (!v->log)
		return mtk_fail(cli->ctx, MTK_E_IO, "the report records no audit log path: give --log FILE");
	int rc = mtk_audit_verify(cli->ctx, v->log, keys, n, &v->lr);
	if (rc < 0)
		return mtk_wrap(cli->ctx, rc, "the report's audit log (give another with --log)");
	v->head_matches = strcmp(v->lr.head, v->s.log_head) == 0;
	return 0;
}

static bool all_good(const struct verdicts *v)
{
	return v->seal == MTK_REPORT_OK && strcmp(v->minisig, "bad") != 0 && strcmp(v->minisig, "untrusted-key") != 0 &&
	       v->lr.problem == MTK_AUDIT_OK && v->head_matches;
}

static void show(struct cli *cli, const char *pdf, const struct verdicts *v)
{
	bool ok = all_good(v);
	cli_print(cli, "Report:     %s\n", pdf);
	cli_print(cli, "Seal:       %s: %s\n", mtk_report_verdict_name(v->seal), v->seal_detail);
	cli_print(cli, "Minisig:    %s\n", v->minisig);
	cli_print(cli, "Audit log:  %s: %s%s\n", v->log, v->lr.problem == MTK_AUDIT_OK ? "verified" : "NOT verified: ",
		  v->lr.problem == MTK_AUDIT_OK ? "" : v->lr.detail);
	if (v->lr.problem == MTK_AUDIT_OK)
		cli_print(cli, "Chain head: %s\n", v->head_matches ? "the one the report states"
								   : "DIFFERENT from the one the report states");
	cli_print(cli, "Result:     %s\n", ok ? "verified" : "NOT verified");
	if (!cli->json)
		return;
	json_object_set_new(cli->out, "report", cli_json_str(pdf));
	json_object_set_new(cli->out, "verified", json_boolean(ok));
	json_object_set_new(cli->out, "seal", json_string(mtk_report_verdict_name(v->seal)));
	json_object_set_new(cli->out, "detail", cli_json_str(v->seal_detail));
	json_object_set_new(cli->out, "minisig", json_string(v->minisig));
	json_object_set_new(cli->out, "audit_log", cli_json_str(v->log));
	json_object_set_new(cli->out, "log_problem", json_string(mtk_audit_problem_name(v->lr.problem)));
	json_object_set_new(cli->out, "log_line", v->lr.line ? json_integer((json_int_t)v->lr.line) : json_null());
	json_object_set_new(cli->out, "head_matches", json_boolean(v->head_matches));
	json_object_set_new(cli->out, "log_head", json_string(v->s.log_head));
}

static int verify_buf(struct cli *cli, const struct report_args *a, const char *pdf, const uint8_t *buf, size_t len,
		      struct verdicts *v)
{
	struct mtk_minisign_pubkey *keys = NULL;
	size_t n = 0;
	int rc = cli_load_trust(cli, a->trust, a->ntrust, &keys, &n);
	if (rc == 0)
		rc = mtk_report_check_seal(cli->ctx, buf, len, keys, n, &v->s, &v->seal, v->seal_detail,
					   sizeof v->seal_detail);
	if (rc == 0)
		rc = check_minisig(cli, pdf, buf, len, keys, n, v);
	if (rc == 0 && v->seal != MTK_REPORT_NO_SEAL)
		rc = check_log(cli, a, keys, n, v);
	free(keys);
	return rc;
}

static int cmd_verify(struct cli *cli, const struct report_args *a, const char *pdf)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct verdicts v = { .minisig = "absent", .log = "(none)" };
	int rc = mtk_read_small_file(cli->ctx, pdf, PDF_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = verify_buf(cli, a, pdf, buf, len, &v);
	free(buf);
	if (rc < 0)
		return cli_fail(cli, rc, "report verify");
	if (v.seal == MTK_REPORT_NO_SEAL) {
		v.lr.problem = MTK_AUDIT_TRUNCATED;
		snprintf(v.lr.detail, sizeof v.lr.detail, "not checked: no seal names it");
	}
	show(cli, pdf, &v);
	return all_good(&v) ? EXIT_OK : EXIT_VERIFY;
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
	struct report_args a = { 0 };
	int first = argc;
	int st = cli_parse_opts(cli, "report", help, argc, argv, options, on_option, &a, &first);
	if (st != CLI_CONTINUE)
		return st;
	int nargs = argc - first;
	if (nargs == 2 && strcmp(argv[first], "verify") == 0) {
		if (a.out || a.force)
			return cli_usage(cli, "report", "verify takes no --out or --force");
		return cmd_verify(cli, &a, argv[first + 1]);
	}
	if (nargs != 1)
		return cli_usage(cli, "report", "needs 'AUDIT.jsonl --out FILE' or 'verify FILE'");
	if (!a.out)
		return cli_usage(cli, "report", "needs --out FILE");
	if (a.log)
		return cli_usage(cli, "report", "--log is for report verify");
	return cli_report_write(cli, argv[first], a.out, a.force, a.trust, a.ntrust);
}
