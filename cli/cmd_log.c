/* SPDX-License-Identifier: MIT */
/* mtkflash log verify|show FILE: check or print an audit log
 * (docs/audit-log.md).  No device is involved. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mtkflash/util.h"
#include "mtkflash/audit.h"

#define MAX_TRUST 32
#define LOG_MAX (64u << 20)
#define VALUE_SHOWN 160 /* characters of one field's value in `show` */

static const char help[] =
	"Usage: mtkflash log verify FILE [--trust PUBKEY]...\n"
	"       mtkflash log show FILE\n"
	"\n"
	"verify  check an audit log: every line's seq and the SHA-256 chain from the first\n"
	"        line to the last, then the signature over the chain head.  The signer must be\n"
	"        trusted: the --trust keys, or without --trust this station's own key\n"
	"        ($XDG_DATA_HOME/mtkflash/station.pub) and every *.pub in\n"
	"        $XDG_CONFIG_HOME/mtkflash/trusted-keys/.  Names the first line altered,\n"
	"        removed or reordered, a replaced or bad signature, or a truncated log.\n"
	"show    print the log for people: line, time, event and its fields (device strings\n"
	"        escaped).  It does not verify; run verify for that.\n"
	"\n"
	"Exit status: 0 verified; 5 not verified; 8 the file or a key could not be read;\n"
	"9 a --trust key could not be parsed.\n";

struct log_args {
	const char *trust[MAX_TRUST];
	size_t ntrust;
};

enum { OPT_TRUST = 256 };

static const struct option options[] = {
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct log_args *a = args;
	(void)opt;
	if (a->ntrust == MAX_TRUST)
		return cli_usage(cli, "log", "at most %d --trust keys", MAX_TRUST);
	a->trust[a->ntrust++] = val;
	return CLI_CONTINUE;
}

static void report(struct cli *cli, const char *file, const struct mtk_audit_report *r)
{
	bool ok = r->problem == MTK_AUDIT_OK;
	cli_print(cli, "Log:        %s\n", file);
	cli_print(cli, "Lines:      %zu\n", r->lines);
	if (r->key_id[0])
		cli_print(cli, "Signed by:  key %s (%s)\n", r->key_id,
		          ok ? "trusted" : r->signature_ok ? "good signature" : "signature not good");
	if (ok)
		cli_print(cli, "Head:       %s (%zu events)\nResult:     verified\n", r->head, r->events);
	else
		cli_print(cli, "Result:     NOT verified: %s: %s\n", mtk_audit_problem_name(r->problem), r->detail);
	if (!cli->json)
		return;
	json_object_set_new(cli->out, "file", json_string(file));
	json_object_set_new(cli->out, "verified", json_boolean(ok));
	json_object_set_new(cli->out, "problem", json_string(mtk_audit_problem_name(r->problem)));
	json_object_set_new(cli->out, "line", r->line ? json_integer((json_int_t)r->line) : json_null());
	json_object_set_new(cli->out, "detail", json_string(r->detail));
	json_object_set_new(cli->out, "lines", json_integer((json_int_t)r->lines));
	json_object_set_new(cli->out, "events", json_integer((json_int_t)r->events));
	json_object_set_new(cli->out, "head", ok ? json_string(r->head) : json_null());
	json_object_set_new(cli->out, "key_id", r->key_id[0] ? json_string(r->key_id) : json_null());
	json_object_set_new(cli->out, "signature_ok", json_boolean(r->signature_ok));
}

static int cmd_verify(struct cli *cli, const struct log_args *a, const char *file)
{
	struct mtk_minisign_pubkey *keys = NULL;
	size_t n = 0;
	struct mtk_audit_report r;
	int rc = cli_load_trust(cli, a->trust, a->ntrust, &keys, &n);
	if (rc == 0)
		rc = mtk_audit_verify(cli->ctx, file, keys, n, &r);
	free(keys);
	if (rc < 0)
		return cli_fail(cli, rc, "log verify");
	report(cli, file, &r);
	return r.problem == MTK_AUDIT_OK ? EXIT_OK : EXIT_VERIFY;
}

/* One field's value, cut to `cap`: strings as they are, the rest as compact
 * JSON.  cli_print escapes control bytes and broken UTF-8 (mtk_escape). */
static void show_value(json_t *v, char *out, size_t cap)
{
	char *dump = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	const char *text = json_is_string(v) ? json_string_value(v) : dump ? dump : "?";
	snprintf(out, cap, "%s", text);
	free(dump);
}

static bool chain_key(const char *k)
{
	return strcmp(k, "seq") == 0 || strcmp(k, "time") == 0 || strcmp(k, "prev") == 0 || strcmp(k, "event") == 0;
}

static void show_line(struct cli *cli, size_t no, json_t *j)
{
	char ev[64], tm[40], val[VALUE_SHOWN + 1];
	show_value(json_object_get(j, "event"), ev, sizeof ev);
	show_value(json_object_get(j, "time"), tm, sizeof tm);
	cli_print(cli, "%4zu  %-24s  %-12s", no, tm, ev);
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		if (chain_key(k) || strcmp(k, "minisig") == 0)
			continue;
		show_value(v, val, sizeof val);
		cli_print(cli, " %.64s=%s", k, val);
	}
	cli_print(cli, "\n");
}

static void show_one(struct cli *cli, json_t *events, size_t no, const uint8_t *p, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb((const char *)p, len, 0, &err);
	if (!json_is_object(j)) {
		char raw[VALUE_SHOWN + 1];
		snprintf(raw, sizeof raw, "%.*s", (int)(len < VALUE_SHOWN ? len : VALUE_SHOWN), (const char *)p);
		cli_print(cli, "%4zu  (not a log line) %s\n", no, raw);
		if (events)
			json_array_append_new(events, json_pack("{s:I, s:o}", "line", (json_int_t)no, "raw",
			                                        cli_json_str(raw)));
		json_decref(j);
		return;
	}
	show_line(cli, no, j);
	if (events)
		json_array_append_new(events, j);
	else
		json_decref(j);
}

static int cmd_show(struct cli *cli, const char *file)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = mtk_read_small_file(cli->ctx, file, LOG_MAX, &buf, &len, NULL);
	if (rc < 0)
		return cli_fail(cli, rc, "log show");
	json_t *events = cli->json ? json_array() : NULL;
	size_t no = 0;
	for (size_t at = 0; at < len;) {
		const uint8_t *nl = memchr(buf + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
		show_one(cli, events, ++no, buf + at, n);
		at += n + 1;
	}
	free(buf);
	cli_print(cli, "(%zu lines, not verified: mtkflash log verify %s)\n", no, file);
	if (events) {
		json_object_set_new(cli->out, "file", json_string(file));
		json_object_set_new(cli->out, "events", events);
	}
	return EXIT_OK;
}

int cmd_log(struct cli *cli, int argc, char **argv)
{
	struct log_args a = { 0 };
	int first = argc;
	int st = cli_parse_opts(cli, "log", help, argc, argv, options, on_option, &a, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (argc - first != 2)
		return cli_usage(cli, "log", "needs 'verify FILE' or 'show FILE'");
	const char *sub = argv[first], *file = argv[first + 1];
	if (strcmp(sub, "verify") == 0)
		return cmd_verify(cli, &a, file);
	if (strcmp(sub, "show") != 0)
		return cli_usage(cli, "log", "unknown subcommand '%s' (verify or show)", sub);
	if (a.ntrust)
		return cli_usage(cli, "log", "--trust goes with verify");
	return cmd_show(cli, file);
}
