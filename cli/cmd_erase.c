/* SPDX-License-Identifier: MIT */
/* mtkflash erase PART */
#include <string.h>

#include "cli_da.h"

static const char help[] =
	"Usage: mtkflash erase PART [--allow-bootloader] [--allow-protected] [--allow-ptable]\n"
	"                           [--preloader FILE]\n"
	"\n"
	"Erase partition PART (a name from printgpt) with the DA's format command.\n"
	"The boot chain, device-unique data and the partition table need the same\n"
	"--allow-* flags as for write.\n";


static int erase_part(struct cli *cli, struct cli_da *s, const char *part, unsigned allowed, struct mtk_part *out)
{
	struct mtk_ptable t = { 0 };
	const struct mtk_part *p = NULL;
	int rc = mtk_da_read_ptable(s->da, true, &t);
	if (rc == 0)
		rc = cli_da_find_part(cli, &t, part, &p);
	if (rc == 0)
		*out = *p;
	mtk_ptable_free(&t);
	if (rc == 0)
		rc = cli_check_allowed(cli, "erase", out->name, allowed);
	if (rc < 0)
		return rc;
	char what[160];
	snprintf(what, sizeof what, "erasing %s", out->name);
	rc = mtk_da_erase(s->da, what, out->region, out->start, out->size);
	return cli_interrupted(cli, rc, s->da, out->size, out->name, "partially erased");
}

int cmd_erase(struct cli *cli, int argc, char **argv)
{
	struct cli_allow_args a = { 0 };
	int first = argc;
	int st = cli_parse_opts(cli, "erase", help, argc, argv, cli_allow_options, cli_on_allow_option, &a, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (argc - first != 1)
		return argc == first ? cli_usage(cli, "erase", "needs PART")
				     : cli_usage(cli, "erase", "unexpected argument '%s'", argv[first + 1]);
	const char *part = argv[first];
	int rc = cli_check_allowed(cli, "erase", part, a.allowed);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	struct cli_da s;
	struct mtk_part p;
	memset(&p, 0, sizeof p);
	rc = cli_da_open(cli, a.preloader, &s);
	if (rc == 0)
		rc = erase_part(cli, &s, part, a.allowed, &p);
	cli_da_close(&s);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	cli_print(cli, "erased %s (%llu bytes)\n", p.name, (unsigned long long)p.size);
	if (cli->json)
		json_object_set_new(cli->out, "partition", cli_part_json(&p));
	return EXIT_OK;
}
