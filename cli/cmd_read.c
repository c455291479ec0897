/* SPDX-License-Identifier: MIT */
/* mtkflash read PART FILE | read --region R --offset N --length N FILE */
#include <string.h>

#include "cli_da.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash read PART FILE [--force] [--preloader FILE]\n"
	"       mtkflash read --region boot1|boot2|user|rpmb --offset N --length N FILE [--force]\n"
	"\n"
	"Read a partition (by its name in the device's partition table, see printgpt),\n"
	"or a byte range of an eMMC area, into FILE.  N takes 0x-hex and K/M/G suffixes.\n"
	"All-zero blocks become holes in FILE (a sparse file).  FILE appears only when\n"
	"the read is complete (mode 0600); an existing FILE is refused unless --force,\n"
	"and a symbolic link is never written through.\n";

struct read_args {
	const char *part, *file, *region, *preloader;
	unsigned long long offset, length;
	bool have_offset, have_length, force;
	enum mtk_region r;
};

enum { OPT_REGION = 256, OPT_OFFSET, OPT_LENGTH, OPT_PRELOADER, OPT_FORCE };

static const struct option options[] = {
	{ "region", required_argument, NULL, OPT_REGION },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "length", required_argument, NULL, OPT_LENGTH },
	{ "preloader", required_argument, NULL, OPT_PRELOADER },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int take_size(struct cli *cli, const char *opt, const char *val, unsigned long long *out, bool *have)
{
	if (cli_parse_size(val, out) < 0)
		return cli_usage(cli, "read", "%s takes a size (decimal, 0x-hex, K/M/G), not '%s'", opt, val);
	*have = true;
	return CLI_CONTINUE;
}

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct read_args *a = args;
	switch (opt) {
	case OPT_REGION:
		a->region = val;
		return CLI_CONTINUE;
	case OPT_OFFSET:
		return take_size(cli, "--offset", val, &a->offset, &a->have_offset);
	case OPT_LENGTH:
		return take_size(cli, "--length", val, &a->length, &a->have_length);
	case OPT_PRELOADER:
		a->preloader = val;
		return CLI_CONTINUE;
	default:
		a->force = true;
		return CLI_CONTINUE;
	}
}

/* Everything that can be judged without the device is judged here, so a
 * typo never waits for a phone. */
static int check_args(struct cli *cli, struct read_args *a, int nops, char **ops)
{
	int want = a->region ? 1 : 2;
	if (nops < want)
		return cli_usage(cli, "read", "needs PART FILE, or --region R --offset N --length N FILE");
	if (nops > want)
		return cli_usage(cli, "read", "unexpected argument '%s'", ops[want]);
	a->part = a->region ? NULL : ops[0];
	a->file = ops[want - 1];
	if (!a->region && (a->have_offset || a->have_length))
		return cli_usage(cli, "read", "--offset and --length go with --region");
	if (!a->region)
		return CLI_CONTINUE;
	if (mtk_region_from_name(a->region, &a->r) < 0)
		return cli_usage(cli, "read", "unknown region '%s' (boot1, boot2, user, rpmb)", a->region);
	if (!a->have_offset || !a->have_length)
		return cli_usage(cli, "read", "--region needs --offset and --length");
	if (a->length == 0)
		return cli_usage(cli, "read", "--length 0 reads nothing");
	if (a->offset + a->length < a->offset)
		return cli_usage(cli, "read", "--offset + --length is past 2^64");
	return CLI_CONTINUE;
}

static int resolve_range(struct cli *cli, struct cli_da *s, const struct read_args *a, struct mtk_part *out)
{
	uint64_t size = mtk_da_region_size(s->da, a->r);
	if (size && a->offset + a->length > size)
		return mtk_fail(cli->ctx, MTK_E_INVAL, "0x%llx bytes at 0x%llx go past the end of %s (0x%llx bytes)",
				a->length, a->offset, mtk_region_name(a->r), (unsigned long long)size);
	snprintf(out->name, sizeof out->name, "%s", mtk_region_name(a->r));
	out->region = a->r;
	out->start = a->offset;
	out->size = a->length;
	return 0;
}

static int resolve(struct cli *cli, struct cli_da *s, const struct read_args *a, struct mtk_part *out)
{
	memset(out, 0, sizeof *out);
	if (a->region)
		return resolve_range(cli, s, a, out);
	struct mtk_ptable t;
	const struct mtk_part *p;
	int rc = mtk_da_read_ptable(s->da, true, &t);
	if (rc < 0)
		return rc;
	rc = cli_da_find_part(cli, &t, a->part, &p);
	if (rc == 0)
		*out = *p;
	mtk_ptable_free(&t);
	return rc;
}

int cmd_read(struct cli *cli, int argc, char **argv)
{
	struct read_args a = { 0 };
	int first = argc;
	int st = cli_parse_opts(cli, "read", help, argc, argv, options, on_option, &a, &first);
	if (st == CLI_CONTINUE)
		st = check_args(cli, &a, argc - first, argv + first);
	if (st != CLI_CONTINUE)
		return st;
	struct cli_da s;
	struct mtk_part p;
	enum mtk_region early;
	/* before connecting: nothing a DA could do makes a plain RPMB read work */
	if (a.region && mtk_region_from_name(a.region, &early) >= 0 &&
	    mtk_region_plain_access(cli->ctx, early) < 0)
		return cli_fail(cli, MTK_E_POLICY, NULL);
	int rc = cli_da_open(cli, a.preloader, &s);
	if (rc == 0)
		rc = resolve(cli, &s, &a, &p);
	if (rc == 0)
		rc = cli_read_to_file(cli, &s, &p, a.file, a.force ? MTK_OUT_FORCE : 0);
	cli_da_close(&s);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	cli_print(cli, "read %s (%s 0x%llx, %llu bytes) into %s\n", p.name, mtk_region_name(p.region),
		  (unsigned long long)p.start, (unsigned long long)p.size, a.file);
	if (cli->json) {
		json_object_set_new(cli->out, "partition", cli_part_json(&p));
		json_object_set_new(cli->out, "file", cli_json_str(a.file));
	}
	return EXIT_OK;
}
