/* SPDX-License-Identifier: MIT */
/* mtkflash policy init|sign|check: verification policy files (docs/policy.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_policy.h"
#include "mtkflash/policy.h"
#include "mtkflash/util.h"

#define MAX_TRUST 32

static const char help[] =
	"Usage: mtkflash policy init --out FILE [--force]\n"
	"       mtkflash policy sign FILE --key KEYFILE [--force]\n"
	"       mtkflash policy check FILE [--trust PUBKEY]...\n"
	"\n"
	"init   write the default (safe) policy to FILE, every rule explained by a\n"
	"       \"_RULE\" key beside it; an existing FILE is refused unless --force\n"
	"sign   check that FILE parses, then write FILE.minisig, an Ed25519 signature\n"
	"       in minisign's format made with KEYFILE (from `mtkflash keygen`);\n"
	"       an existing signature is replaced only with --force\n"
	"check  parse FILE, print its rules and whether its signature verifies by the\n"
	"       station's policy keys ($XDG_CONFIG_HOME/mtkflash/station.json) or a\n"
	"       --trust key, and whether this station would accept it\n"
	"\n"
	"plan and flash apply a policy with --policy FILE.\n"
	"Exit status: 0 written / signed / acceptable here; 6 this station would refuse\n"
	"it (unsigned where signed policies are required, or altered after signing);\n"
	"8 a file could not be read or written; 9 FILE is not a valid policy.\n";

struct policy_args {
	const char *out, *key;
	const char *trust[MAX_TRUST];
	size_t ntrust;
	bool force;
};

enum { OPT_OUT = 256, OPT_KEY, OPT_TRUST, OPT_FORCE };

static const struct option init_options[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option sign_options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option check_options[] = {
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct policy_args *a = args;
	if (opt == OPT_OUT)
		a->out = val;
	else if (opt == OPT_KEY)
		a->key = val;
	else if (opt == OPT_FORCE)
		a->force = true;
	else if (a->ntrust == MAX_TRUST)
		return cli_usage(cli, "policy", "at most %d --trust keys", MAX_TRUST);
	else
		a->trust[a->ntrust++] = val;
	return CLI_CONTINUE;
}

/* argv[0] is the subcommand; at most `nops` operands, the first in *file. */
static int parse_sub(struct cli *cli, int argc, char **argv, const struct option *opts, struct policy_args *a,
		     int nops, const char **file)
{
	int first = argc;
	int st = cli_parse_opts(cli, "policy", help, argc, argv, opts, on_option, a, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (argc - first > nops)
		return cli_usage(cli, "policy", "unexpected argument '%s'", argv[first + nops]);
	*file = first < argc ? argv[first] : NULL;
	return CLI_CONTINUE;
}

static int cmd_init(struct cli *cli, const struct policy_args *pa, const char *file)
{
	struct policy_args a = *pa;
	(void)file;
	if (!a.out)
		return cli_usage(cli, "policy", "init needs --out FILE");
	const char *text = mtk_policy_default_text();
	int rc = mtk_write_file_safely(cli->ctx, a.out, text, strlen(text), a.force ? MTK_OUT_FORCE : 0);
	if (rc < 0)
		return cli_fail(cli, rc, "policy init");
	if (cli->json)
		json_object_set_new(cli->out, "file", cli_json_str(a.out));
	cli_print(cli, "Wrote the default (safe) policy: %s\n", a.out);
	return EXIT_OK;
}

static int cmd_sign(struct cli *cli, const struct policy_args *pa, const char *file)
{
	struct policy_args a = *pa;
	if (!file || !a.key)
		return cli_usage(cli, "policy", "sign needs FILE and --key KEYFILE");
	int rc = mtk_policy_sign(cli->ctx, file, a.key, a.force);
	if (rc < 0)
		return cli_fail(cli, rc, "policy sign");
	char *sig = mtk_str_concat(file, ".minisig");
	if (cli->json) {
		json_object_set_new(cli->out, "file", cli_json_str(file));
		json_object_set_new(cli->out, "signature", cli_json_str(sig ? sig : ""));
	}
	cli_print(cli, "Signed %s: %s\n", file, sig ? sig : "");
	free(sig);
	return EXIT_OK;
}

/* ------------------------------------------------------------- check */

/* The station's policy keys and the --trust files, in one array. */
static int check_keys(struct cli *cli, const struct policy_args *a, struct mtk_station *st,
		      struct mtk_minisign_pubkey **keys, size_t *n)
{
	char path[4096];
	int rc = cli_station_config(path, sizeof path) ? mtk_station_load(cli->ctx, path, st) : 0;
	struct mtk_minisign_pubkey *extra = NULL;
	size_t nextra = 0;
	if (rc == 0 && a->ntrust)
		rc = mtk_trust_load(cli->ctx, a->trust, a->ntrust, NULL, &extra, &nextra);
	if (rc < 0)
		return rc;
	*keys = calloc(st->nkeys + nextra + 1, sizeof **keys);
	if (!*keys) {
		free(extra);
		return mtk_fail(cli->ctx, MTK_E_NOMEM, "trusted keys");
	}
	memcpy(*keys, st->keys, st->nkeys * sizeof **keys);
	if (nextra)
		memcpy(*keys + st->nkeys, extra, nextra * sizeof **keys);
	*n = st->nkeys + nextra;
	free(extra);
	return 0;
}

static void print_rules(struct cli *cli, json_t *rules)
{
	const char *key;
	json_t *v;
	json_object_foreach(rules, key, v) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		cli_print(cli, "  %-22s %s\n", key, text ? text : "?");
		free(text);
	}
}

static int report_check(struct cli *cli, const struct mtk_policy *p, const struct mtk_policy_verdict *v)
{
	char sha[65], line[320];
	mtk_hex_encode(sha, p->sha256, 32);
	json_t *rules = mtk_policy_to_json(p);
	cli_print(cli, "Policy:     %s (format %d), SHA-256 %s\n", p->path, MTK_POLICY_FORMAT, sha);
	cli_print(cli, "Signature:  %s (%s)\n", mtk_sig_state_name(p->sig), p->sig_detail);
	cli_print(cli, "Rules:\n");
	print_rules(cli, rules);
	for (size_t i = 0; i < v->count; i++)
		cli_print(cli, "%s\n", mtk_policy_refusal_text(&v->refusals[i], line, sizeof line));
	cli_print(cli, "Station:    %s\n", v->count ? "would refuse it" : "would accept it");
	if (cli->json) {
		json_object_set_new(cli->out, "policy", mtk_policy_record_json(p, p->role));
		json_object_set_new(cli->out, "rules", rules);
		json_object_set_new(cli->out, "refusals", mtk_policy_verdict_to_json(v));
		json_object_set_new(cli->out, "accepted", json_boolean(v->count == 0));
	} else {
		json_decref(rules);
	}
	return v->count ? EXIT_POLICY : EXIT_OK;
}

static int cmd_check(struct cli *cli, const struct policy_args *pa, const char *file)
{
	const struct policy_args a = *pa;
	int st;
	if (!file)
		return cli_usage(cli, "policy", "check needs FILE");
	struct mtk_station station;
	struct mtk_minisign_pubkey *keys = NULL;
	size_t nkeys = 0;
	struct mtk_policy *p = NULL;
	int rc = check_keys(cli, &a, &station, &keys, &nkeys);
	if (rc == 0)
		rc = mtk_policy_load(cli->ctx, file, keys, nkeys, &p);
	free(keys);
	if (rc < 0)
		return cli_fail(cli, rc, "policy check");
	struct mtk_policy_verdict v = { .count = 0 };
	mtk_policy_admit(p, &station, &v);
	st = report_check(cli, p, &v);
	mtk_policy_free(p);
	return st;
}

static const struct {
	const char *name;
	const struct option *opts;
	int nops; /* operands */
	int (*run)(struct cli *cli, const struct policy_args *a, const char *file);
} subs[] = {
	{ "init", init_options, 0, cmd_init },
	{ "sign", sign_options, 1, cmd_sign },
	{ "check", check_options, 1, cmd_check },
};

int cmd_policy(struct cli *cli, int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof subs[0]; i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		struct policy_args a = { 0 };
		const char *file = NULL;
		int st = parse_sub(cli, argc - 1, argv + 1, subs[i].opts, &a, subs[i].nops, &file);
		return st != CLI_CONTINUE ? st : subs[i].run(cli, &a, file);
	}
	int first = argc;
	int st = cli_parse_no_opts(cli, "policy", help, argc, argv, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first == argc)
		return cli_usage(cli, "policy", "say 'init', 'sign' or 'check'");
	return cli_usage(cli, "policy", "unknown subcommand '%s' (init, sign or check)", argv[first]);
}
