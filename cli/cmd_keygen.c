/* SPDX-License-Identifier: MIT */
/* mtkflash keygen: a key pair for signing firmware packages (docs/signing.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mtkflash/util.h"
#include "mtkflash/manifest.h"

static const char help[] =
	"Usage: mtkflash keygen --out PREFIX [--comment TEXT]\n"
	"\n"
	"Create an Ed25519 key pair for signing firmware packages:\n"
	"  PREFIX.key  the secret key (mode 0600, unencrypted: keep it off shared disks)\n"
	"  PREFIX.pub  the public key, in minisign's format; give it to whoever verifies\n"
	"              (mtkflash manifest verify --trust PREFIX.pub, or copy it into\n"
	"              ~/.config/mtkflash/trusted-keys/)\n"
	"Existing files are never overwritten.\n"
	"\n"
	"Options:\n"
	"  --out PREFIX    where to write the two files\n"
	"  --comment TEXT  the untrusted comment line of both files\n"
	"  -h, --help      this text\n";

/* A file error: on stderr, and in the JSON document when --json. */
static int file_error(struct cli *cli, const char *path, const char *why)
{
	fprintf(stderr, "%s keygen: %s: %s\n", cli->progname, path, why);
	if (cli->json) {
		json_t *e = json_object();
		json_object_set_new(e, "code", json_integer(MTK_E_IO));
		json_object_set_new(e, "name", json_string("MTK_E_IO"));
		json_object_set_new(e, "message", json_string(why));
		json_object_set_new(e, "file", json_string(path));
		json_object_set_new(cli->out, "error", e);
	}
	return EXIT_IO;
}

/* No FORCE: refusing to overwrite a key must not race with another keygen. */
static int write_new(struct cli *cli, const char *path, const char *text, unsigned flags)
{
	int rc = mtk_write_file_safely(cli->ctx, path, text, strlen(text), flags);
	if (rc < 0) {
		file_error(cli, path, mtk_ctx_error(cli->ctx));
		return -1;
	}
	return 0;
}

static int write_pair(struct cli *cli, const char *keypath, const char *pubpath, const char *comment)
{
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	int rc = mtk_minisign_keygen(cli->ctx, &sk, &pk);
	if (rc < 0)
		return cli_fail(cli, rc, "keygen");
	char *sktext = mtk_minisign_seckey_format(&sk, comment);
	char *pktext = mtk_minisign_pubkey_format(&pk, comment);
	int status = EXIT_OK;
	if (!sktext || !pktext) {
		status = cli_usage(cli, "keygen", "--comment must be one line of at most %d characters",
		                   MTK_MINISIGN_COMMENT_MAX);
	} else if (write_new(cli, keypath, sktext, MTK_OUT_PRIVATE) < 0) {
		status = EXIT_IO;
	} else if (write_new(cli, pubpath, pktext, 0) < 0) {
		unlink(keypath); /* a secret key without its public half is useless */
		status = EXIT_IO;
	}
	if (sktext)
		memset(sktext, 0, strlen(sktext));
	free(sktext);
	free(pktext);
	char id[17];
	mtk_minisign_key_id_hex(pk.key_id, id);
	memset(&sk, 0, sizeof sk);
	if (status != EXIT_OK)
		return status;
	if (cli->json) {
		json_object_set_new(cli->out, "key_id", json_string(id));
		json_object_set_new(cli->out, "secret_key", json_string(keypath));
		json_object_set_new(cli->out, "public_key", json_string(pubpath));
	}
	cli_print(cli, "Key id:      %s\nSecret key:  %s (keep it private)\nPublic key:  %s\n", id, keypath,
	          pubpath);
	return EXIT_OK;
}

struct keygen_args {
	const char *prefix, *comment;
};

enum { OPT_OUT = 256, OPT_COMMENT };

static const struct option options[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	{ "comment", required_argument, NULL, OPT_COMMENT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	(void)cli;
	struct keygen_args *a = args;
	if (opt == OPT_OUT)
		a->prefix = val;
	else
		a->comment = val;
	return CLI_CONTINUE;
}

int cmd_keygen(struct cli *cli, int argc, char **argv)
{
	struct keygen_args a = { 0 };
	int first = argc;
	int st = cli_parse_opts(cli, "keygen", help, argc, argv, options, on_option, &a, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first < argc)
		return cli_usage(cli, "keygen", "unexpected argument '%s'", argv[first]);
	const char *prefix = a.prefix, *comment = a.comment;
	if (!prefix || !*prefix)
		return cli_usage(cli, "keygen", "--out PREFIX is required");
	char *keypath = mtk_str_concat(prefix, ".key");
	char *pubpath = mtk_str_concat(prefix, ".pub");
	int status;
	if (!keypath || !pubpath)
		status = cli_fail(cli, MTK_E_NOMEM, "keygen");
	else if (access(keypath, F_OK) == 0)
		status = file_error(cli, keypath, "already exists, not overwriting it");
	else if (access(pubpath, F_OK) == 0)
		status = file_error(cli, pubpath, "already exists, not overwriting it");
	else
		status = write_pair(cli, keypath, pubpath, comment);
	free(keypath);
	free(pubpath);
	return status;
}
