/* SPDX-License-Identifier: MIT */
/* mtkflash erase PART */
#include <string.h>

#include "cli_da.h"

static const char help[] =
	"Usage: mtkflash erase PART [--allow-bootloader] [--allow-ptable] [--preloader FILE]\n"
	"\n"
	"Erase partition PART (a name from printgpt) with the DA's format command.\n"
	"The preloader and the partition table need the same flags as for write.\n";

int cmd_erase(struct cli *cli, int argc, char **argv)
{
	const char *part = NULL, *preloader = NULL;
	bool allow_bl = false, allow_pt = false;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (cli_is_help(o))
			return cli_help(help);
		if (strcmp(o, "--allow-bootloader") == 0) {
			allow_bl = true;
		} else if (strcmp(o, "--allow-ptable") == 0) {
			allow_pt = true;
		} else if (strcmp(o, "--preloader") == 0 && i + 1 < argc) {
			preloader = argv[++i];
		} else if (o[0] == '-' || part) {
			return cli_usage(cli, "erase", "unexpected argument '%s'", o);
		} else {
			part = o;
		}
	}
	if (!part)
		return cli_usage(cli, "erase", "needs PART");
	int rc = 0;
	if (cli_part_is_bootloader(part) && !allow_bl)
		rc = mtk_fail(cli->ctx, MTK_E_POLICY, "refusing to erase the bootloader without --allow-bootloader");
	else if (cli_part_is_ptable(part) && !allow_pt)
		rc = mtk_fail(cli->ctx, MTK_E_POLICY, "refusing to erase the partition table without --allow-ptable");
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	struct cli_da s;
	struct mtk_ptable t = { 0 };
	const struct mtk_part *p = NULL;
	struct mtk_part copy;
	rc = cli_da_open(cli, preloader, &s);
	if (rc == 0)
		rc = mtk_da_read_ptable(s.da, true, &t);
	if (rc == 0)
		rc = cli_da_find_part(cli, &t, part, &p);
	if (rc == 0) {
		copy = *p;
		char what[160];
		snprintf(what, sizeof what, "erasing %s", copy.name);
		rc = mtk_da_erase(s.da, what, copy.region, copy.start, copy.size);
	}
	mtk_ptable_free(&t);
	cli_da_close(&s);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	cli_print(cli, "erased %s (%llu bytes)\n", copy.name, (unsigned long long)copy.size);
	if (cli->json)
		json_object_set_new(cli->out, "partition", cli_part_json(&copy));
	return EXIT_OK;
}
