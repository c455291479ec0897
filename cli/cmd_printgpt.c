/* SPDX-License-Identifier: MIT */
/* mtkflash printgpt: the device's partition table, through the DA. */
#include <stdlib.h>
#include <string.h>

#include "cli_da.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash printgpt [--preloader FILE] [--json]\n"
	"\n"
	"Start the Download Agent and print the device's partition table (GPT, or the\n"
	"PMT / MBR+EBR of older chips), with the storage facts the DA reports.  The list\n"
	"also shows the areas a scatter file names but the table does not: preloader\n"
	"(boot1) and, on GPT devices, pgpt and sgpt.\n"
	"  --preloader FILE  the package's preloader, for its DRAM settings when the\n"
	"                    device is in BROM mode\n";

static json_t *storage_json(const struct mtk_da_storage *st)
{
	json_t *o = json_object();
	char cid[33];
	mtk_hex_encode(cid, st->cid, 16);
	json_object_set_new(o, "type", json_string(mtk_storage_type_name(st->type)));
	json_object_set_new(o, "cid", json_string(cid));
	for (int r = 0; r < MTK_REGION_COUNT; r++)
		json_object_set_new(o, mtk_region_name((enum mtk_region)r), json_integer((json_int_t)st->regions.size[r]));
	json_object_set_new(o, "ram", json_integer((json_int_t)st->ext_ram_size));
	json_object_set_new(o, "usb_speed", json_integer(st->usb_speed));
	return o;
}

/* Shell completion offers partition names only from this list; a device's
 * names are untrusted, so only plain ones (letters, digits, _ . -) go in. */
static bool completable(const char *name)
{
	if (!name[0])
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    !strchr("_.-", *p))
			return false;
	return true;
}

/* $XDG_CACHE_HOME/mtkflash/partitions, for bash/zsh completion of read,
 * write and erase.  A cache: failing to write it is no error. */
static void cache_names(struct cli *cli, const struct mtk_ptable *t)
{
	char dir[4096];
	if (!cli_xdg_dir("XDG_CACHE_HOME", ".cache", "mtkflash", dir, sizeof dir))
		return;
	size_t cap = t->count * MTK_PART_NAME_SIZE + 1, len = 0;
	char *text = malloc(cap), *path = mtk_path_join(dir, "partitions");
	for (size_t i = 0; text && i < t->count; i++)
		if (completable(t->parts[i].name))
			len += (size_t)snprintf(text + len, cap - len, "%s\n", t->parts[i].name);
	if (text && path && mtk_make_dirs(NULL, dir, 0700) == 0 &&
	    mtk_write_file_safely(NULL, path, text, len, MTK_OUT_FORCE) == 0)
		mtk_dbg(cli->ctx, "partition names cached in %s", path);
	free(text);
	free(path);
}

static const struct option options[] = {
	{ "preloader", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	(void)cli;
	(void)opt;
	*(const char **)args = val;
	return CLI_CONTINUE;
}

int cmd_printgpt(struct cli *cli, int argc, char **argv)
{
	const char *preloader = NULL;
	int first = argc;
	int st = cli_parse_opts(cli, "printgpt", help, argc, argv, options, on_option, &preloader, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first < argc)
		return cli_usage(cli, "printgpt", "unexpected argument '%s'", argv[first]);
	struct cli_da s;
	struct mtk_ptable t;
	int rc = cli_da_open(cli, preloader, &s);
	if (rc < 0) {
		cli_da_close(&s);
		return cli_fail(cli, rc, "connecting");
	}
	rc = mtk_da_read_ptable(s.da, true, &t);
	if (rc < 0) {
		cli_da_close(&s);
		return cli_fail(cli, rc, NULL);
	}
	cli_print(cli, "%s partition table, %zu partitions (user area %llu MiB)\n", mtk_ptable_kind_name(t.kind),
		  t.count, (unsigned long long)(mtk_da_storage(s.da)->regions.size[MTK_REGION_USER] >> 20));
	cli_print(cli, "%-20s %-6s %18s %18s\n", "name", "region", "start", "size");
	json_t *arr = json_array();
	for (size_t i = 0; i < t.count; i++) {
		const struct mtk_part *p = &t.parts[i];
		cli_print(cli, "%-20s %-6s 0x%016llx 0x%016llx\n", p->name, mtk_region_name(p->region),
			  (unsigned long long)p->start, (unsigned long long)p->size);
		json_array_append_new(arr, cli_part_json(p));
	}
	cache_names(cli, &t);
	if (cli->json) {
		json_object_set_new(cli->out, "table", json_string(mtk_ptable_kind_name(t.kind)));
		json_object_set_new(cli->out, "storage", storage_json(mtk_da_storage(s.da)));
		json_object_set_new(cli->out, "partitions", arr);
	} else {
		json_decref(arr);
	}
	mtk_ptable_free(&t);
	cli_da_close(&s);
	return EXIT_OK;
}
