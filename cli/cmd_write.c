/* SPDX-License-Identifier: MIT */
/* mtkflash write PART FILE: one image into one partition. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_da.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash write PART FILE [--allow-bootloader] [--allow-protected] [--allow-ptable]\n"
	"                                [--preloader FILE]\n"
	"\n"
	"Write FILE into partition PART (a name from printgpt).  The image is streamed\n"
	"and hashed (SHA-256, reported); its last sector is padded with zeros.  Refused\n"
	"before anything is written when the image is larger than the partition or PART\n"
	"is unknown.  An image that shrinks or grows during the write fails it.\n"
	"  --allow-bootloader  allow writing the boot chain (preloader, lk/uboot, tee*):\n"
	"                      a bad one can leave the device booting only to BROM mode\n"
	"  --allow-protected   allow writing device-unique data (nvram, nvdata,\n"
	"                      protect1/2, proinfo, persist, seccfg, ...)\n"
	"  --allow-ptable      allow writing the partition table (pgpt, sgpt, PMT, MBR, EBRn)\n"
	"  --preloader FILE    the package's preloader, for its DRAM settings in BROM mode\n"
	"If the link fails mid-write the partition may be left partly written: the error\n"
	"names it; write it again.\n";

struct write_args {
	struct cli_allow_args opt;
	const char *part, *file;
};


static int check_size(struct cli *cli, const struct write_args *a, const struct mtk_part *p, uint64_t size)
{
	if (size > p->size)
		return mtk_fail(cli->ctx, MTK_E_POLICY, "%s is %llu bytes, larger than partition %s (%llu bytes); "
				"nothing was written", a->file, (unsigned long long)size, p->name,
				(unsigned long long)p->size);
	return 0;
}

struct written {
	struct mtk_part part;
	uint8_t sha256[32];
};

static int stream_image(struct cli *cli, struct cli_da *s, const struct write_args *a, FILE *f, uint64_t size,
			struct written *w)
{
	char what[160];
	snprintf(what, sizeof what, "writing %s", w->part.name);
	struct cli_file_io io = { .f = f, .path = a->file, .ctx = cli->ctx, .part = w->part.name, .expect = size };
	io.sha = EVP_MD_CTX_new();
	if (!io.sha || EVP_DigestInit_ex(io.sha, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(io.sha);
		return mtk_fail(cli->ctx, MTK_E_NOMEM, "cannot start SHA-256");
	}
	int rc = mtk_da_write(s->da, what, w->part.region, w->part.start, size, cli_file_source, &io);
	if (rc == MTK_E_INTERRUPTED) {
		EVP_MD_CTX_free(io.sha);
		return cli_interrupted(cli, rc, s->da, size, w->part.name, "partially written");
	}
	if (rc == 0)
		rc = cli_file_source_finish(&io);
	if (rc == 0 && EVP_DigestFinal_ex(io.sha, w->sha256, NULL) != 1)
		rc = mtk_fail(cli->ctx, MTK_E_NOMEM, "cannot finish SHA-256");
	EVP_MD_CTX_free(io.sha);
	/* Data is pulled from the image only once the DA took the header: a
	 * refusal before that (write-protected storage) changed nothing. */
	if (rc < 0 && io.sent > 0)
		return mtk_wrap(cli->ctx, rc, "partition %s may now be partially written (0x%llx of 0x%llx bytes "
				"sent)", w->part.name, (unsigned long long)io.sent, (unsigned long long)size);
	return rc;
}

static int do_write(struct cli *cli, struct cli_da *s, const struct write_args *a, FILE *f, uint64_t size,
		    struct written *w)
{
	struct mtk_ptable t;
	const struct mtk_part *p;
	int rc = mtk_da_read_ptable(s->da, true, &t);
	if (rc < 0)
		return rc;
	if ((rc = cli_da_find_part(cli, &t, a->part, &p)) == 0)
		w->part = *p;
	mtk_ptable_free(&t);
	/* The table's own name may be the old-era spelling of what was typed. */
	if (rc < 0 || (rc = cli_check_allowed(cli, "write", w->part.name, a->opt.allowed)) < 0 ||
	    (rc = check_size(cli, a, &w->part, size)) < 0)
		return rc;
	return stream_image(cli, s, a, f, size, w);
}

static int parse_args(struct cli *cli, int argc, char **argv, struct write_args *a)
{
	int first = argc;
	int st = cli_parse_opts(cli, "write", help, argc, argv, cli_allow_options, cli_on_allow_option, &a->opt,
				&first);
	if (st != CLI_CONTINUE)
		return st;
	if (argc - first < 2)
		return cli_usage(cli, "write", "needs PART FILE");
	if (argc - first > 2)
		return cli_usage(cli, "write", "unexpected argument '%s'", argv[first + 2]);
	a->part = argv[first];
	a->file = argv[first + 1];
	return CLI_CONTINUE;
}

static FILE *open_image(struct cli *cli, const char *path, uint64_t *size, int *rc)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	if (f && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) {
		*size = (uint64_t)sb.st_size;
		return f;
	}
	*rc = mtk_fail(cli->ctx, MTK_E_IO, "cannot read image %s: %s", path, f ? "not a regular file" :
		       strerror(errno));
	if (f)
		fclose(f);
	return NULL;
}

static void report(struct cli *cli, const struct write_args *a, const struct written *w, uint64_t size)
{
	char hex[65];
	mtk_hex_encode(hex, w->sha256, 32);
	cli_print(cli, "wrote %s (%llu bytes, SHA-256 %s) to %s\n", a->file, (unsigned long long)size, hex,
		  w->part.name);
	if (cli->json) {
		json_object_set_new(cli->out, "partition", cli_part_json(&w->part));
		json_object_set_new(cli->out, "file", cli_json_str(a->file));
		json_object_set_new(cli->out, "bytes", json_integer((json_int_t)size));
		json_object_set_new(cli->out, "sha256", json_string(hex));
	}
}

int cmd_write(struct cli *cli, int argc, char **argv)
{
	struct write_args a = { 0 };
	int st = parse_args(cli, argc, argv, &a);
	if (st != CLI_CONTINUE)
		return st;
	/* The name alone decides the flags: refuse before touching the device. */
	int rc = cli_check_allowed(cli, "write", a.part, a.opt.allowed);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	uint64_t size = 0;
	FILE *f = open_image(cli, a.file, &size, &rc);
	if (!f)
		return cli_fail(cli, rc, NULL);
	struct cli_da s;
	struct written w;
	memset(&w, 0, sizeof w);
	rc = cli_da_open(cli, a.opt.preloader, &s);
	if (rc == 0)
		rc = do_write(cli, &s, &a, f, size, &w);
	fclose(f);
	cli_da_close(&s);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	report(cli, &a, &w, size);
	return EXIT_OK;
}
