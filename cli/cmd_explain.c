/* SPDX-License-Identifier: MIT */
/* mtkflash explain CODE|NAME|LOG-LINE: what a status code means, why it
 * happens and what to do, from the status catalogue (docs/status-codes.md). */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "mtkflash/status.h"

static const char help[] =
	"Usage: mtkflash explain CODE|NAME|LOG-LINE [--json]\n"
	"\n"
	"Say what a status code means, its likely causes and what to do.  Takes a number\n"
	"(4001, 0xC0060003, -1073348605), a name (S_FT_DA_NO_RESPONSE, STATUS_BROM_CMD_SEND_DA_FAIL,\n"
	"E_TIMEOUT) or a line pasted from an SP Flash Tool or mtkflash log, quoted or not:\n"
	"  mtkflash explain \"BROM ERROR : S_FT_DA_NO_RESPONSE (4001)\"\n"
	"Covers every SP Flash Tool status (S_*, STATUS_*, tool level), the BootROM and xflash\n"
	"DA statuses, and mtkflash's own errors.  A number that means different things in\n"
	"different tool generations lists each, with the table its number comes from.\n"
	"Negative numbers need no '--'.  Exit status 9 when nothing matches.\n";

/* The forms a log may print the value in: 4001 / 0xFA1, or 0xC0060003 / -1073348605. */
static void value_forms(const struct mtk_status *e, char *a, char *b, size_t cap)
{
	if (e->value < 0) {
		snprintf(a, cap, "%" PRId64, e->value);
		b[0] = '\0';
	} else if (e->value > INT32_MAX) {
		snprintf(a, cap, "0x%08" PRIX64, e->value);
		snprintf(b, cap, "%" PRId64, e->value - ((int64_t)1 << 32));
	} else {
		snprintf(a, cap, "%" PRId64, e->value);
		snprintf(b, cap, "0x%" PRIX64, e->value);
	}
}

static json_t *entry_json(const struct mtk_status *e)
{
	char a[32], b[32];
	value_forms(e, a, b, sizeof a);
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "value", json_integer(e->value));
	json_object_set_new(o, "forms", b[0] ? json_pack("[s,s]", a, b) : json_pack("[s]", a));
	json_object_set_new(o, "table", json_string(e->table));
	json_object_set_new(o, "table_version", json_string(mtk_status_table_desc(e->table)));
	json_object_set_new(o, "meaning", json_string(e->meaning));
	json_object_set_new(o, "causes", json_string(e->causes));
	json_object_set_new(o, "fix", json_string(e->fix));
	json_object_set_new(o, "own_text", json_boolean(e->described));
	return o;
}

static void print_entry(struct cli *cli, const struct mtk_status *e)
{
	char a[32], b[32];
	value_forms(e, a, b, sizeof a);
	cli_print(cli, "%s = %s%s%s\n", e->name, a, b[0] ? " = " : "", b);
	cli_print(cli, "  table:   %s\n", mtk_status_table_desc(e->table));
	cli_print(cli, "  meaning: %s\n", e->meaning);
	cli_print(cli, "  causes:  %s\n", e->causes);
	cli_print(cli, "  fix:     %s\n", e->fix);
}

/* The operands, joined: an unquoted log line arrives as several words. */
static void join_args(int argc, char **argv, int first, char *q, size_t cap)
{
	size_t n = 0;
	q[0] = '\0';
	for (int i = first; i < argc && n + 1 < cap; i++) {
		int w = snprintf(q + n, cap - n, "%s%s", i > first ? " " : "", argv[i]);
		n = w < 0 ? n : (size_t)w >= cap - n ? cap - 1 : n + (size_t)w;
	}
}

static int show(struct cli *cli, const char *q, const struct mtk_status **m, size_t n)
{
	json_t *arr = json_array();
	if (n > 1)
		cli_print(cli, "%zu codes match; the table says which SP Flash Tool generation or layer each is from:\n\n",
			  n);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			cli_print(cli, "\n");
		print_entry(cli, m[i]);
		json_array_append_new(arr, entry_json(m[i]));
	}
	if (cli->json) {
		json_object_set_new(cli->out, "query", cli_json_str(q));
		json_object_set_new(cli->out, "matches", arr);
	} else {
		json_decref(arr);
	}
	return EXIT_OK;
}

int cmd_explain(struct cli *cli, int argc, char **argv)
{
	int first = 1;
	/* Not getopt: "-1073348605" is a status, not an option. */
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_print(cli, "%s", help);
		return EXIT_OK;
	}
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc)
		return cli_usage(cli, "explain", "needs a code, a name or a log line");
	char q[4096];
	join_args(argc, argv, first, q, sizeof q);
	const struct mtk_status *m[64];
	size_t n = mtk_status_explain(q, m, sizeof m / sizeof m[0]);
	if (n > sizeof m / sizeof m[0])
		n = sizeof m / sizeof m[0];
	if (n == 0) {
		if (cli->json)
			json_object_set_new(cli->out, "matches", json_array());
		cli->no_explain_hint = true;
		mtk_fail(cli->ctx, MTK_E_NOTFOUND, "no known status code in '%s'", q);
		return cli_fail(cli, MTK_E_NOTFOUND, NULL);
	}
	return show(cli, q, m, n);
}
