/* SPDX-License-Identifier: MIT */
/* mtkflash read PART FILE | read --region R --offset N --length N FILE */
#include <errno.h>
#include <string.h>

#include "cli_da.h"

static const char help[] =
	"Usage: mtkflash read PART FILE [--preloader FILE]\n"
	"       mtkflash read --region boot1|boot2|user|rpmb --offset N --length N FILE\n"
	"\n"
	"Read a partition (by its name in the device's partition table, see printgpt),\n"
	"or a byte range of an eMMC area, into FILE.  N takes 0x-hex and K/M/G suffixes.\n"
	"All-zero blocks become holes in FILE (a sparse file).\n";

struct read_args {
	const char *part, *file, *region, *preloader;
	unsigned long long offset, length;
	bool have_offset, have_length;
};

static int parse_args(struct cli *cli, int argc, char **argv, struct read_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--region") == 0 && v) {
			a->region = v;
		} else if (strcmp(o, "--offset") == 0 && v) {
			if (cli_parse_size(v, &a->offset) < 0)
				return cli_usage(cli, "read", "--offset takes a size, not '%s'", v);
			a->have_offset = true;
		} else if (strcmp(o, "--length") == 0 && v) {
			if (cli_parse_size(v, &a->length) < 0)
				return cli_usage(cli, "read", "--length takes a size, not '%s'", v);
			a->have_length = true;
		} else if (strcmp(o, "--preloader") == 0 && v) {
			a->preloader = v;
		} else if (o[0] == '-') {
			return cli_usage(cli, "read", "unknown option '%s'", o);
		} else if (!a->region && !a->part) {
			a->part = o;
			continue;
		} else if (!a->file) {
			a->file = o;
			continue;
		} else {
			return cli_usage(cli, "read", "unexpected argument '%s'", o);
		}
		i++;
	}
	if (a->region && a->part && !a->file) {
		a->file = a->part;
		a->part = NULL;
	}
	if (!a->file || (!a->region && !a->part))
		return cli_usage(cli, "read", "needs PART FILE, or --region R --offset N --length N FILE");
	if (a->region && (!a->have_offset || !a->have_length))
		return cli_usage(cli, "read", "--region needs --offset and --length");
	return 0;
}

static int resolve(struct cli *cli, struct cli_da *s, const struct read_args *a, struct mtk_part *out)
{
	memset(out, 0, sizeof *out);
	if (a->region) {
		enum mtk_region r;
		if (mtk_region_from_name(a->region, &r) < 0)
			return mtk_fail(cli->ctx, MTK_E_NOTFOUND, "unknown region '%s' (boot1, boot2, user, rpmb)",
					a->region);
		snprintf(out->name, sizeof out->name, "%s", mtk_region_name(r));
		out->region = r;
		out->start = a->offset;
		out->size = a->length;
		return 0;
	}
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
	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i]))
			return cli_help(help);
	struct read_args a = { 0 };
	int st = parse_args(cli, argc, argv, &a);
	if (st)
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
	if (rc < 0) {
		cli_da_close(&s);
		return cli_fail(cli, rc, NULL);
	}
	FILE *f = fopen(a.file, "wb");
	if (!f) {
		rc = mtk_fail(cli->ctx, MTK_E_IO, "cannot create %s: %s", a.file, strerror(errno));
		cli_da_close(&s);
		return cli_fail(cli, rc, NULL);
	}
	char what[160];
	snprintf(what, sizeof what, "reading %s", p.name);
	struct cli_file_io io = { f, a.file, 0, cli->ctx };
	rc = mtk_da_read(s.da, what, p.region, p.start, p.size, cli_file_sink, &io);
	if (rc == 0)
		rc = cli_file_sink_finish(&io, p.size);
	if (fclose(f) != 0 && rc == 0)
		rc = mtk_fail(cli->ctx, MTK_E_IO, "writing %s: %s", a.file, strerror(errno));
	cli_da_close(&s);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	cli_print(cli, "read %s (%s 0x%llx, %llu bytes) into %s\n", p.name, mtk_region_name(p.region),
		  (unsigned long long)p.start, (unsigned long long)p.size, a.file);
	if (cli->json) {
		json_object_set_new(cli->out, "partition", cli_part_json(&p));
		json_object_set_new(cli->out, "file", json_string(a.file));
	}
	return EXIT_OK;
}
