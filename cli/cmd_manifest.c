/* SPDX-License-Identifier: MIT */
/* mtkflash manifest create|verify: signed SHA256SUMS for a firmware folder
 * (docs/signing.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mtkflash/manifest.h"

#define MAX_TRUST 32

static const char help[] =
	"Usage: mtkflash manifest create DIR --key KEYFILE [--comment TEXT]\n"
	"       mtkflash manifest verify DIR [--trust PUBKEY]...\n"
	"\n"
	"create  hash every regular file under DIR (recursively, in sorted order; SHA256SUMS*\n"
	"        themselves are left out) and write DIR/SHA256SUMS, in the format of sha256sum,\n"
	"        and DIR/SHA256SUMS.minisig, an Ed25519 signature in minisign's format made\n"
	"        with KEYFILE (from 'mtkflash keygen').  --comment sets the signed (trusted)\n"
	"        comment; by default it records the time.\n"
	"verify  check the signature against the trusted keys (--trust files, and every *.pub\n"
	"        in $XDG_CONFIG_HOME/mtkflash/trusted-keys/, default ~/.config/...), then every\n"
	"        file: match, mismatch, missing (listed, absent) or unlisted (present, not listed).\n"
	"        Signature states: trusted, unknown-key, bad, unsigned.\n"
	"\n"
	"Exit status: 0 created / verified (trusted signature, every listed file matches);\n"
	"5 not verified; 8 a file could not be read or written; 9 unparsable SHA256SUMS or key.\n";

struct manifest_args {
	const char *key, *comment;
	const char *trust[MAX_TRUST];
	size_t ntrust;
};

enum { OPT_KEY = 256, OPT_COMMENT, OPT_TRUST };

static const struct option create_options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "comment", required_argument, NULL, OPT_COMMENT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option verify_options[] = {
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct manifest_args *a = args;
	switch (opt) {
	case OPT_KEY:
		a->key = val;
		break;
	case OPT_COMMENT:
		a->comment = val;
		break;
	default:
		if (a->ntrust == MAX_TRUST)
			return cli_usage(cli, "manifest", "at most %d --trust keys", MAX_TRUST);
		a->trust[a->ntrust++] = val;
	}
	return CLI_CONTINUE;
}

/* argv[0] is the subcommand; its one operand DIR in *dir. */
static int parse_sub(struct cli *cli, int argc, char **argv, const struct option *opts, struct manifest_args *a,
		     const char **dir)
{
	int first = argc;
	int st = cli_parse_opts(cli, "manifest", help, argc, argv, opts, on_option, a, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (argc - first > 1)
		return cli_usage(cli, "manifest", "unexpected argument '%s'", argv[first + 1]);
	*dir = first < argc ? argv[first] : NULL;
	return CLI_CONTINUE;
}

static int cmd_create(struct cli *cli, int argc, char **argv)
{
	struct manifest_args a = { 0 };
	const char *dir = NULL;
	int st = parse_sub(cli, argc, argv, create_options, &a, &dir);
	if (st != CLI_CONTINUE)
		return st;
	if (!dir || !a.key)
		return cli_usage(cli, "manifest", "create needs DIR and --key KEYFILE");
	const char *key = a.key, *comment = a.comment;
	size_t n = 0;
	int rc = mtk_manifest_create(cli->ctx, dir, key, comment, &n);
	if (rc < 0)
		return cli_fail(cli, rc, "manifest create");
	if (cli->json) {
		json_object_set_new(cli->out, "dir", json_string(dir));
		json_object_set_new(cli->out, "files", json_integer((json_int_t)n));
	}
	cli_print(cli, "Listed and signed %zu files: %s/SHA256SUMS, %s/SHA256SUMS.minisig\n", n, dir, dir);
	return EXIT_OK;
}

static json_t *signature_json(const struct mtk_manifest *m)
{
	json_t *s = json_object();
	json_object_set_new(s, "state", json_string(mtk_sig_state_name(m->sig)));
	json_object_set_new(s, "key_id", m->key_id[0] ? json_string(m->key_id) : json_null());
	json_object_set_new(s, "trusted_comment",
	                    m->key_id[0] ? json_string(m->trusted_comment) : json_null());
	json_object_set_new(s, "detail", json_string(m->sig_detail));
	return s;
}

static void report(struct cli *cli, const char *dir, const struct mtk_manifest *m,
                   const struct mtk_entry_check *c, size_t n, bool verified)
{
	size_t counts[4] = {0};
	json_t *files = cli->json ? json_array() : NULL;
	cli_print(cli, "Signature:  %s (%s)\n", mtk_sig_state_name(m->sig), m->sig_detail);
	if (m->key_id[0])
		cli_print(cli, "Trusted comment: %s\n", m->trusted_comment);
	for (size_t i = 0; i < n; i++) {
		counts[c[i].status]++;
		if (files) {
			json_t *f = json_object();
			json_object_set_new(f, "name", json_string(c[i].name));
			json_object_set_new(f, "status", json_string(mtk_entry_status_name(c[i].status)));
			json_object_set_new(f, "size", json_integer((json_int_t)c[i].size));
			json_array_append_new(files, f);
		}
		if (c[i].status != MTK_ENTRY_MATCH || cli->verbosity > 0)
			cli_print(cli, "  %-9s %s\n", mtk_entry_status_name(c[i].status), c[i].name);
	}
	cli_print(cli, "Files:      %zu match, %zu mismatch, %zu missing, %zu unlisted\n",
	          counts[MTK_ENTRY_MATCH], counts[MTK_ENTRY_MISMATCH], counts[MTK_ENTRY_MISSING],
	          counts[MTK_ENTRY_UNLISTED]);
	cli_print(cli, "Result:     %s\n", verified ? "verified" : "NOT verified");
	if (!cli->json)
		return;
	json_object_set_new(cli->out, "dir", json_string(dir));
	json_object_set_new(cli->out, "signature", signature_json(m));
	json_object_set_new(cli->out, "files", files);
	json_t *cj = json_object();
	for (int s = 0; s < 4; s++)
		json_object_set_new(cj, mtk_entry_status_name((enum mtk_entry_status)s),
		                    json_integer((json_int_t)counts[s]));
	json_object_set_new(cli->out, "counts", cj);
	json_object_set_new(cli->out, "verified", json_boolean(verified));
}

static int cmd_verify(struct cli *cli, int argc, char **argv)
{
	struct manifest_args a = { 0 };
	const char *dir = NULL;
	int st = parse_sub(cli, argc, argv, verify_options, &a, &dir);
	if (st != CLI_CONTINUE)
		return st;
	if (!dir)
		return cli_usage(cli, "manifest", "verify needs DIR");
	struct mtk_manifest m;
	char tdir[4096];
	int rc = mtk_manifest_load(cli->ctx, dir, a.trust, a.ntrust, cli_trust_dir(tdir, sizeof tdir), &m);
	if (rc < 0)
		return cli_fail(cli, rc, "manifest verify");
	struct mtk_entry_check *c = NULL;
	size_t n = 0;
	rc = mtk_manifest_check_dir(cli->ctx, dir, &m, &c, &n);
	if (rc < 0) {
		mtk_manifest_free(&m);
		return cli_fail(cli, rc, "manifest verify");
	}
	bool content_ok = true;
	for (size_t i = 0; i < n; i++)
		content_ok &= c[i].status == MTK_ENTRY_MATCH || c[i].status == MTK_ENTRY_UNLISTED;
	bool verified = m.sig == MTK_SIG_TRUSTED && content_ok && m.count > 0;
	report(cli, dir, &m, c, n, verified);
	mtk_entry_checks_free(c, n);
	mtk_manifest_free(&m);
	return verified ? EXIT_OK : EXIT_VERIFY;
}

int cmd_manifest(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return cmd_create(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(cli, argc - 1, argv + 1);
	/* No subcommand first: --help, an unknown option, or a wrong word. */
	int first = argc;
	int st = cli_parse_no_opts(cli, "manifest", help, argc, argv, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first == argc)
		return cli_usage(cli, "manifest", "say 'create' or 'verify'");
	return cli_usage(cli, "manifest", "unknown subcommand '%s' (create or verify)", argv[first]);
}
