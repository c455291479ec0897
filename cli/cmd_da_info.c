/* SPDX-License-Identifier: MIT */
/* mtkflash da-info FILE: what a Download Agent file holds. */
#include <string.h>

#include "cli_da.h"

static const char help[] =
	"Usage: mtkflash da-info FILE [--json]\n"
	"\n"
	"List the chip entries of a Download Agent file (MTK_AllInOne_DA*.bin): for each\n"
	"the chip code, hardware/software versions, and the DA1/DA2 load addresses,\n"
	"lengths and signature lengths.  Reads the file only; no device is needed.\n";

static json_t *stage_json(const struct mtk_da_region *g)
{
	json_t *o = json_object();
	json_object_set_new(o, "offset", json_integer(g->offset));
	json_object_set_new(o, "length", json_integer(g->len));
	json_object_set_new(o, "address", json_integer(g->addr));
	json_object_set_new(o, "signature_length", json_integer(g->sig_len));
	return o;
}

static json_t *entry_json(const struct mtk_da_entry *e)
{
	json_t *o = cli_da_entry_json(e);
	json_object_set_new(o, "da1", e->da1 >= 0 ? stage_json(&e->regions[e->da1]) : json_null());
	json_object_set_new(o, "da2", e->da2 >= 0 ? stage_json(&e->regions[e->da2]) : json_null());
	return o;
}

static void print_entry(struct cli *cli, unsigned i, const struct mtk_da_entry *e)
{
	char names[128], d1[48] = "-", d2[48] = "-";
	mtk_da_code_names(e->hw_code, names, sizeof names);
	if (e->da1 >= 0)
		snprintf(d1, sizeof d1, "0x%08x %7u/%u", e->regions[e->da1].addr, e->regions[e->da1].len,
			 e->regions[e->da1].sig_len);
	if (e->da2 >= 0)
		snprintf(d2, sizeof d2, "0x%08x %7u/%u", e->regions[e->da2].addr, e->regions[e->da2].len,
			 e->regions[e->da2].sig_len);
	cli_print(cli, "%3u  0x%04x  %-22s 0x%04x 0x%04x 0x%04x  %-24s %s\n", i, e->hw_code, names, e->hw_sub_code,
		  e->hw_version, e->sw_version, d1, d2);
}

int cmd_da_info(struct cli *cli, int argc, char **argv)
{
	int first = argc;
	int st = cli_parse_no_opts(cli, "da-info", help, argc, argv, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first == argc)
		return cli_usage(cli, "da-info", "needs the DA file");
	if (argc - first > 1)
		return cli_usage(cli, "da-info", "unexpected argument '%s'", argv[first + 1]);
	const char *path = argv[first];
	struct mtk_dafile f;
	int rc = mtk_dafile_load(cli->ctx, path, &f);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	cli_print(cli, "%s: \"%s\", %u entries (0x%X-byte layout%s)\n", path, f.description, f.count, f.entry_size,
		  f.v6 ? ", V6/XML" : "");
	cli_print(cli, "  #  code    chips                  sub    hw_ver sw_ver  DA1 addr   len/sig      "
		       "   DA2 addr   len/sig\n");
	json_t *arr = json_array();
	for (uint32_t i = 0; i < f.count; i++) {
		print_entry(cli, i, &f.entries[i]);
		json_array_append_new(arr, entry_json(&f.entries[i]));
	}
	if (cli->json) {
		json_object_set_new(cli->out, "file", json_string(path));
		json_object_set_new(cli->out, "description", json_string(f.description));
		json_object_set_new(cli->out, "entry_size", json_integer(f.entry_size));
		json_object_set_new(cli->out, "v6", json_boolean(f.v6));
		json_object_set_new(cli->out, "entries", arr);
	} else {
		json_decref(arr);
	}
	mtk_dafile_free_loaded(&f);
	return EXIT_OK;
}
