/* SPDX-License-Identifier: MIT */
/* mtkflash write PART FILE: one image into one partition. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_da.h"
#include "mtkflash/util.h"
#include "mtkflash/vwrite.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash write PART FILE [--allow-bootloader] [--allow-protected] [--allow-ptable]\n"
	"                                [--preloader FILE] [--verify]\n"
	"\n"
	"Write FILE into partition PART (a name from printgpt).  The image is streamed\n"
	"and hashed (SHA-256, reported); its last sector is padded with zeros.  Refused\n"
	"before anything is written when the image is larger than the partition or PART\n"
	"is unknown.  An image that shrinks or grows during the write fails it.\n"
	"  --verify            read everything written back and compare it with the image\n"
	"                      (SHA-256 of both reported); a range that differs is written\n"
	"                      once more, then the write fails (exit 5) naming the offset.\n"
	"                      An Android sparse image is expanded on the way: its holes\n"
	"                      (DONT_CARE) are not sent, the device keeps what it had there\n"
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
	bool verify;
	const char *part, *file;
};

enum { OPT_VERIFY = CLI_OPT_OWN };

static const struct option write_options[] = {
	{ "allow-bootloader", no_argument, NULL, CLI_ALLOW_BOOTLOADER },
	{ "allow-protected", no_argument, NULL, CLI_ALLOW_PROTECTED },
	{ "allow-ptable", no_argument, NULL, CLI_ALLOW_PTABLE },
	{ "preloader", required_argument, NULL, CLI_OPT_PRELOADER },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_write_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct write_args *a = args;
	if (opt != OPT_VERIFY)
		return cli_on_allow_option(cli, &a->opt, opt, val);
	a->verify = true;
	return CLI_CONTINUE;
}


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
	struct mtk_vwrite_result v;
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
	/* A refusal of the command itself (write-protected storage) changed
	 * nothing, though the first packet was already read from the image. */
	uint64_t sent = mtk_da_bytes_sent(s->da) < size ? mtk_da_bytes_sent(s->da) : size;
	if (rc < 0 && sent > 0)
		return mtk_wrap(cli->ctx, rc, "partition %s may now be partially written (0x%llx of 0x%llx bytes "
				"sent)", w->part.name, (unsigned long long)sent, (unsigned long long)size);
	return rc;
}

static int verified_write(struct cli *cli, struct cli_da *s, const struct write_args *a, struct written *w)
{
	struct mtk_vwrite_req req = {
		.partition = w->part.name,
		.region = w->part.region,
		.offset = w->part.start,
		.max_len = w->part.size,
		.image = a->file,
		.format = MTK_VWRITE_AUTO,
		.retries = 1,
		.device_checks = cli->device_checks,
	};
	int rc = mtk_vwrite(cli->ctx, s->da, &req, &w->v);
	if (rc == MTK_E_INTERRUPTED && cli->json) {
		json_object_set_new(cli->out, "interrupted", json_true());
		json_object_set_new(cli->out, "bytes_done", json_integer((json_int_t)w->v.bytes_written));
		json_object_set_new(cli->out, "bytes_total", json_integer((json_int_t)w->v.data_bytes));
	}
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
	if (rc < 0 || (rc = cli_check_allowed(cli, "write", w->part.name, a->opt.allowed)) < 0)
		return rc;
	/* A sparse image's file size is not what it covers: mtk_vwrite checks that. */
	if (a->verify)
		return verified_write(cli, s, a, w);
	if ((rc = check_size(cli, a, &w->part, size)) < 0)
		return rc;
	return stream_image(cli, s, a, f, size, w);
}

static int parse_args(struct cli *cli, int argc, char **argv, struct write_args *a)
{
	int first = argc;
	int st = cli_parse_opts(cli, "write", help, argc, argv, write_options, on_write_option, a, &first);
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

static json_t *verify_json(const struct mtk_vwrite_result *v)
{
	char hex[65];
	json_t *o = json_object();
	json_object_set_new(o, "verified", json_boolean(v->verified));
	json_object_set_new(o, "sparse", json_boolean(v->sparse));
	json_object_set_new(o, "ranges", json_integer(v->ranges));
	json_object_set_new(o, "data_bytes", json_integer((json_int_t)v->data_bytes));
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)v->bytes_written));
	json_object_set_new(o, "bytes_verified", json_integer((json_int_t)v->bytes_verified));
	json_object_set_new(o, "rewrites", json_integer(v->rewrites));
	json_object_set_new(o, "device_checks", json_integer(v->device_checks));
	json_object_set_new(o, "device_check_failures", json_integer(v->device_check_failures));
	mtk_hex_encode(hex, v->file_sha256, 32);
	json_object_set_new(o, "file_sha256", json_string(hex));
	mtk_hex_encode(hex, v->image_sha256, 32);
	json_object_set_new(o, "image_sha256", json_string(hex));
	mtk_hex_encode(hex, v->readback_sha256, 32);
	json_object_set_new(o, "readback_sha256", json_string(hex));
	if (v->mismatch)
		json_object_set_new(o, "first_bad_offset", json_integer((json_int_t)v->first_bad));
	json_object_set_new(o, "seconds", json_real(v->seconds));
	json_object_set_new(o, "write_seconds", json_real(v->write_seconds));
	json_object_set_new(o, "verify_seconds", json_real(v->verify_seconds));
	json_object_set_new(o, "mb_per_s", json_real(v->mb_per_s));
	return o;
}

static void report_verified(struct cli *cli, const struct write_args *a, const struct written *w)
{
	const struct mtk_vwrite_result *v = &w->v;
	char img[65], back[65];
	mtk_hex_encode(img, v->image_sha256, 32);
	mtk_hex_encode(back, v->readback_sha256, 32);
	cli_print(cli, "wrote %s to %s: %llu bytes", a->file, w->part.name, (unsigned long long)v->data_bytes);
	if (v->sparse)
		cli_print(cli, " in %u ranges (sparse, holes not sent)", v->ranges);
	cli_print(cli, ", verified %llu bytes%s\n", (unsigned long long)v->bytes_verified,
		  v->rewrites ? " after a rewrite" : "");
	if (v->sparse) {
		char file[65];
		mtk_hex_encode(file, v->file_sha256, 32);
		cli_print(cli, "  file      SHA-256 %s\n", file);
	}
	cli_print(cli, "  image     SHA-256 %s\n  read-back SHA-256 %s (%s)\n", img, back,
		  v->verified ? "match" : "MISMATCH");
	cli_print(cli, "  %.2f s, %.1f MB/s (write %.2f s, verify %.2f s)\n", v->seconds, v->mb_per_s, v->write_seconds,
		  v->verify_seconds);
	if (cli->json) {
		json_object_set_new(cli->out, "partition", cli_part_json(&w->part));
		json_object_set_new(cli->out, "file", cli_json_str(a->file));
		json_object_set_new(cli->out, "bytes", json_integer((json_int_t)v->data_bytes));
		json_object_set_new(cli->out, "sha256", json_string(img));
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
	if (a.verify && cli->json && w.part.name[0])
		json_object_set_new(cli->out, "verify", verify_json(&w.v));
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	if (a.verify)
		report_verified(cli, &a, &w);
	else
		report(cli, &a, &w, size);
	return EXIT_OK;
}
