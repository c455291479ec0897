/* SPDX-License-Identifier: MIT */
/* mtkflash service set-passphrase | check: the passphrase that unlocks
 * service mode (flash --mode service). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli_da.h"
#include "cli_verify.h"
#include "mtkflash/service.h"

static const char help[] =
	"Usage: mtkflash service set-passphrase [--passphrase-fd N]\n"
	"       mtkflash service check [--passphrase-fd N]\n"
	"\n"
	"set-passphrase  store the passphrase that unlocks 'flash --mode service' (an scrypt\n"
	"                hash with a random salt, in $XDG_CONFIG_HOME/mtkflash/service.pass,\n"
	"                mode 0600).  On a terminal it is asked without echo, twice; replacing\n"
	"                one asks for the current one first.  A forgotten passphrase: remove\n"
	"                the file, then set a new one.\n"
	"check           exit 0 when the passphrase given is the stored one, else 6.\n"
	"  --passphrase-fd N  read it from file descriptor N instead (one line; for\n"
	"                     set-passphrase: the current one first when replacing, then\n"
	"                     the new one, each on its own line)\n";

enum { OPT_FD = 256 };

static const struct option options[] = {
	{ "passphrase-fd", required_argument, NULL, OPT_FD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct pass {
	char buf[MTK_SERVICE_PASS_MAX + 2];
	size_t len;
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	int *fd = args;
	char *end;
	long v = strtol(val, &end, 10);
	(void)opt;
	if (*val == '\0' || *end || v < 0 || v > 65535)
		return cli_usage(cli, "service", "--passphrase-fd takes a file descriptor number, not '%s'", val);
	*fd = (int)v;
	return CLI_CONTINUE;
}

static int ask_new(struct cli *cli, int fd, struct pass *p)
{
	struct pass again;
	int rc = cli_read_passphrase(cli, fd, "New service passphrase: ", p->buf, sizeof p->buf, &p->len);
	if (rc < 0 || fd >= 0)
		return rc;
	rc = cli_read_passphrase(cli, fd, "Repeat it: ", again.buf, sizeof again.buf, &again.len);
	if (rc == 0 && (again.len != p->len || memcmp(again.buf, p->buf, p->len) != 0))
		rc = mtk_fail(cli->ctx, MTK_E_INVAL, "the two passphrases differ: nothing was changed");
	OPENSSL_cleanse(&again, sizeof again);
	return rc;
}

static int set_passphrase(struct cli *cli, const char *path, int fd)
{
	struct pass old = { .len = 0 }, new_pass = { .len = 0 };
	int set = mtk_service_is_set(cli->ctx, path);
	int rc = set;
	if (set == 1)
		rc = cli_read_passphrase(cli, fd, "Current service passphrase: ", old.buf, sizeof old.buf, &old.len);
	/* Checked before the new one is asked: a wrong one wastes no typing. */
	if (rc >= 0 && set == 1)
		rc = mtk_service_check(cli->ctx, path, old.buf, old.len);
	if (rc >= 0)
		rc = ask_new(cli, fd, &new_pass);
	if (rc >= 0)
		rc = mtk_service_set(cli->ctx, path, old.buf, old.len, new_pass.buf, new_pass.len, NULL);
	OPENSSL_cleanse(&old, sizeof old);
	OPENSSL_cleanse(&new_pass, sizeof new_pass);
	if (rc < 0)
		return cli_fail(cli, rc, "service set-passphrase");
	cli_print(cli, "service passphrase %s in %s\n", set == 1 ? "replaced" : "set", path);
	if (cli->json) {
		json_object_set_new(cli->out, "file", cli_json_str(path));
		json_object_set_new(cli->out, "replaced", json_boolean(set == 1));
	}
	return EXIT_OK;
}

static int check(struct cli *cli, int fd)
{
	int rc = cli_service_unlock(cli, fd);
	if (rc < 0)
		return cli_fail(cli, rc, "service check");
	cli_print(cli, "service passphrase accepted\n");
	if (cli->json)
		json_object_set_new(cli->out, "unlocked", json_true());
	return EXIT_OK;
}

int cmd_service(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && cli_is_help(argv[1]))
		return cli_help(help);
	if (argc < 2)
		return cli_usage(cli, "service", "say 'set-passphrase' or 'check'");
	const char *sub = argv[1];
	bool is_set = strcmp(sub, "set-passphrase") == 0;
	if (!is_set && strcmp(sub, "check") != 0)
		return cli_usage(cli, "service", "unknown subcommand '%s' (set-passphrase or check)", sub);
	int fd = -1, first = argc;
	int st = cli_parse_opts(cli, "service", help, argc - 1, argv + 1, options, on_option, &fd, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first < argc - 1)
		return cli_usage(cli, "service", "unexpected argument '%s'", argv[1 + first]);
	if (is_set) {
		char path[4096];
		if (!cli_service_path(path, sizeof path))
			return cli_usage(cli, "service", "neither XDG_CONFIG_HOME nor HOME is set");
		return set_passphrase(cli, path, fd);
	}
	return check(cli, fd);
}
