/* SPDX-License-Identifier: MIT */
/* mtkflash manifest create|verify: signed SHA256SUMS for a firmware folder
 * (docs/signing.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mtkflash/manifest.h"

#define MAX_TRUST 32

static void print_help(void)
{
	printf("Usage: mtkflash manifest create DIR --key KEYFILE [--comment TEXT]\n"
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
	       "5 not verified; 8 a file could not be read or written; 9 unparsable SHA256SUMS or key.\n");
}

static int cmd_create(struct cli *cli, int argc, char **argv)
{
	const char *dir = NULL, *key = NULL, *comment = NULL;
	for (int i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "--key") == 0 || strcmp(argv[i], "--comment") == 0) && i + 1 >= argc)
			return cli_usage(cli, "manifest", "%s needs a value", argv[i]);
		if (strcmp(argv[i], "--key") == 0)
			key = argv[++i];
		else if (strcmp(argv[i], "--comment") == 0)
			comment = argv[++i];
		else if (argv[i][0] == '-' || dir)
			return cli_usage(cli, "manifest", "unexpected argument '%s'", argv[i]);
		else
			dir = argv[i];
	}
	if (!dir || !key)
		return cli_usage(cli, "manifest", "create needs DIR and --key KEYFILE");
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
	const char *dir = NULL;
	const char *trust[MAX_TRUST];
	size_t ntrust = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--trust") == 0) {
			if (i + 1 >= argc)
				return cli_usage(cli, "manifest", "--trust needs a public key file");
			if (ntrust == MAX_TRUST)
				return cli_usage(cli, "manifest", "at most %d --trust keys", MAX_TRUST);
			trust[ntrust++] = argv[++i];
		} else if (argv[i][0] == '-' || dir) {
			return cli_usage(cli, "manifest", "unexpected argument '%s'", argv[i]);
		} else {
			dir = argv[i];
		}
	}
	if (!dir)
		return cli_usage(cli, "manifest", "verify needs DIR");
	struct mtk_manifest m;
	char tdir[4096];
	int rc = mtk_manifest_load(cli->ctx, dir, trust, ntrust, cli_trust_dir(tdir, sizeof tdir), &m);
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
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_help();
			return EXIT_OK;
		}
	}
	if (argc < 2)
		return cli_usage(cli, "manifest", "say 'create' or 'verify'");
	if (strcmp(argv[1], "create") == 0)
		return cmd_create(cli, argc - 2, argv + 2);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(cli, argc - 2, argv + 2);
	return cli_usage(cli, "manifest", "unknown subcommand '%s' (create or verify)", argv[1]);
}
