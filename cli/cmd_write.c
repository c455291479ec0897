/* SPDX-License-Identifier: MIT */
/* mtkflash write PART FILE: one image into one partition. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_da.h"

static const char help[] =
	"Usage: mtkflash write PART FILE [--allow-bootloader] [--allow-ptable] [--preloader FILE]\n"
	"\n"
	"Write FILE into partition PART (a name from printgpt).  The image is streamed;\n"
	"its last sector is padded with zeros.  Refused before anything is written when\n"
	"the image is larger than the partition or PART is unknown.\n"
	"  --allow-bootloader  allow writing the preloader (a bad one can leave the\n"
	"                      device booting only to BROM mode)\n"
	"  --allow-ptable      allow writing the partition table (pgpt, sgpt, PMT, MBR, EBRn)\n"
	"  --preloader FILE    the package's preloader, for its DRAM settings in BROM mode\n"
	"If the link fails mid-write the partition may be left partly written: the error\n"
	"names it; write it again.\n";

struct write_args {
	const char *part, *file, *preloader;
	bool allow_bl, allow_pt;
};

static int parse_args(struct cli *cli, int argc, char **argv, struct write_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--allow-bootloader") == 0)
			a->allow_bl = true;
		else if (strcmp(o, "--allow-ptable") == 0)
			a->allow_pt = true;
		else if (strcmp(o, "--preloader") == 0 && i + 1 < argc)
			a->preloader = argv[++i];
		else if (o[0] == '-')
			return cli_usage(cli, "write", "unknown option '%s'", o);
		else if (!a->part)
			a->part = o;
		else if (!a->file)
			a->file = o;
		else
			return cli_usage(cli, "write", "unexpected argument '%s'", o);
	}
	if (!a->file)
		return cli_usage(cli, "write", "needs PART FILE");
	return 0;
}

static int check_policy(struct cli *cli, const struct write_args *a, const struct mtk_part *p, uint64_t size)
{
	if (cli_part_is_bootloader(p->name) && !a->allow_bl)
		return mtk_fail(cli->ctx, MTK_E_POLICY, "refusing to write the bootloader partition '%s' without "
				"--allow-bootloader", p->name);
	if (cli_part_is_ptable(p->name) && !a->allow_pt)
		return mtk_fail(cli->ctx, MTK_E_POLICY, "refusing to write the partition table ('%s') without "
				"--allow-ptable", p->name);
	if (size > p->size)
		return mtk_fail(cli->ctx, MTK_E_POLICY, "%s is %llu bytes, larger than partition %s (%llu bytes); "
				"nothing was written", a->file, (unsigned long long)size, p->name,
				(unsigned long long)p->size);
	return 0;
}

/* The name alone decides the flags, so check them before touching the device. */
static int early_policy(struct cli *cli, const struct write_args *a)
{
	struct mtk_part p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", a->part);
	p.size = UINT64_MAX;
	return check_policy(cli, a, &p, 0);
}

static int do_write(struct cli *cli, struct cli_da *s, const struct write_args *a, FILE *f, uint64_t size,
		    struct mtk_part *out)
{
	struct mtk_ptable t;
	const struct mtk_part *p;
	int rc = mtk_da_read_ptable(s->da, true, &t);
	if (rc < 0)
		return rc;
	if ((rc = cli_da_find_part(cli, &t, a->part, &p)) == 0)
		*out = *p;
	mtk_ptable_free(&t);
	if (rc < 0 || (rc = check_policy(cli, a, out, size)) < 0)
		return rc;
	char what[160];
	snprintf(what, sizeof what, "writing %s", out->name);
	struct cli_file_io io = { f, a->file, 0, cli->ctx };
	rc = mtk_da_write(s->da, what, out->region, out->start, size, cli_file_source, &io);
	/* Data is pulled from the image only once the DA took the header: a
	 * refusal before that (write-protected storage) changed nothing. */
	if (rc < 0 && ftello(f) > 0)
		return mtk_wrap(cli->ctx, rc, "partition %s may now be partially written", out->name);
	return rc < 0 ? rc : 0;
}

int cmd_write(struct cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i]))
			return cli_help(help);
	struct write_args a = { 0 };
	int st = parse_args(cli, argc, argv, &a);
	if (st)
		return st;
	int rc = early_policy(cli, &a);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	FILE *f = fopen(a.file, "rb");
	struct stat sb;
	if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = mtk_fail(cli->ctx, MTK_E_IO, "cannot read image %s: %s", a.file, f ? "not a regular file" :
			      strerror(errno));
		if (f)
			fclose(f);
		return cli_fail(cli, rc, NULL);
	}
	struct cli_da s;
	struct mtk_part p;
	rc = cli_da_open(cli, a.preloader, &s);
	if (rc == 0)
		rc = do_write(cli, &s, &a, f, (uint64_t)sb.st_size, &p);
	fclose(f);
	cli_da_close(&s);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	cli_print(cli, "wrote %s (%llu bytes) to %s\n", a.file, (unsigned long long)sb.st_size, p.name);
	if (cli->json) {
		json_object_set_new(cli->out, "partition", cli_part_json(&p));
		json_object_set_new(cli->out, "file", json_string(a.file));
		json_object_set_new(cli->out, "bytes", json_integer((json_int_t)sb.st_size));
	}
	return EXIT_OK;
}
