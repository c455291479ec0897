/* SPDX-License-Identifier: MIT */
/* mtkflash read PART FILE | read --region R --offset N --length N FILE */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_da.h"
#include "mtkflash/readjob.h"
#include "mtkflash/util.h"

static const char help[] =
	"Usage: mtkflash read PART FILE [--resume] [--force] [--preloader FILE]\n"
	"       mtkflash read --region boot1|boot2|user|rpmb --offset N --length N FILE [--resume] [--force]\n"
	"       options: [--chunk N] [--retries N] [--no-retry]\n"
	"\n"
	"Read a partition (by its name in the device's partition table, see printgpt),\n"
	"or a byte range of an eMMC area, into FILE.  N takes 0x-hex and K/M/G suffixes.\n"
	"All-zero blocks become holes in FILE (a sparse file).  FILE appears only when\n"
	"the read is complete (mode 0600); an existing FILE is refused unless --force,\n"
	"and a symbolic link is never written through.\n"
	"\n"
	"While it runs the data is in FILE.part and a chunk journal (offset, length,\n"
	"SHA-256 of every chunk on disk) in FILE.rdjournal; a chunk is --chunk bytes,\n"
	"default 32M (4M on a full-speed link; a resume keeps the journal's).\n"
	"After a cable pull, a crash or Ctrl-C, the same command with\n"
	"--resume re-checks what is on disk and reads on from there.\n"
	"A range the device cannot read is retried in smaller pieces (down to 4K, each\n"
	"tried --retries more times, default 2), then skipped: it stays zeros in FILE\n"
	"and is listed with the coverage; the exit status is then 5.  --no-retry stops\n"
	"at the first read error instead.\n";

struct read_args {
	const char *part, *file, *region, *preloader;
	unsigned long long offset, length, chunk, retries;
	bool have_offset, have_length, have_chunk, have_retries, force, resume, no_retry;
	enum mtk_region r;
};

enum {
	OPT_REGION = 256,
	OPT_OFFSET,
	OPT_LENGTH,
	OPT_PRELOADER,
	OPT_FORCE,
	OPT_RESUME,
	OPT_CHUNK,
	OPT_RETRIES,
	OPT_NO_RETRY
};

static const struct option options[] = {
	{ "region", required_argument, NULL, OPT_REGION },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "length", required_argument, NULL, OPT_LENGTH },
	{ "preloader", required_argument, NULL, OPT_PRELOADER },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "no-retry", no_argument, NULL, OPT_NO_RETRY },
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
	case OPT_CHUNK:
		return take_size(cli, "--chunk", val, &a->chunk, &a->have_chunk);
	case OPT_RETRIES:
		return take_size(cli, "--retries", val, &a->retries, &a->have_retries);
	case OPT_PRELOADER:
		a->preloader = val;
		return CLI_CONTINUE;
	case OPT_RESUME:
		a->resume = true;
		return CLI_CONTINUE;
	case OPT_NO_RETRY:
		a->no_retry = true;
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
	if (a->have_chunk && (a->chunk < 4096 || a->chunk % 4096 || a->chunk > 0x40000000ull))
		return cli_usage(cli, "read", "--chunk takes a multiple of 4K up to 1G");
	if (a->have_retries && (a->retries == 0 || a->retries > 100))
		return cli_usage(cli, "read", "--retries takes 1 to 100");
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

static json_t *bad_json(const struct mtk_read_job_result *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->nbad; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "offset", json_integer((json_int_t)r->bad[i].off));
		json_object_set_new(o, "length", json_integer((json_int_t)r->bad[i].len));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *result_json(const struct mtk_read_job_result *r)
{
	char hex[65];
	mtk_hex_encode(hex, r->sha256, 32);
	json_t *o = json_object();
	json_object_set_new(o, "complete", json_boolean(r->complete));
	json_object_set_new(o, "bytes_total", json_integer((json_int_t)r->bytes_total));
	json_object_set_new(o, "bytes_read", json_integer((json_int_t)r->bytes_read));
	json_object_set_new(o, "bytes_resumed", json_integer((json_int_t)r->bytes_resumed));
	json_object_set_new(o, "bytes_bad", json_integer((json_int_t)r->bytes_bad));
	json_object_set_new(o, "bytes_holes", json_integer((json_int_t)r->bytes_zero));
	json_object_set_new(o, "retries", json_integer(r->retries));
	json_object_set_new(o, "coverage", json_real(mtk_read_job_coverage_ppm(r) / 1e6));
	json_object_set_new(o, "sha256", r->complete ? json_string(hex) : json_null());
	json_object_set_new(o, "bad_ranges", bad_json(r));
	return o;
}

/* The bad-range map on stdout: what a user needs to judge the copy. */
static void print_bad(struct cli *cli, const struct mtk_part *p, const struct mtk_read_job_result *r)
{
	uint32_t ppm = mtk_read_job_coverage_ppm(r);
	cli_print(cli, "unreadable: %zu range(s), %llu bytes; coverage %u.%04u %%\n", r->nbad,
		  (unsigned long long)r->bytes_bad, ppm / 10000, ppm % 10000);
	for (size_t i = 0; i < r->nbad; i++)
		cli_print(cli, "  %s 0x%llx +0x%llx (%s offset 0x%llx)\n", mtk_region_name(p->region),
			  (unsigned long long)r->bad[i].off, (unsigned long long)r->bad[i].len, p->name,
			  (unsigned long long)(r->bad[i].off - p->start));
}

static void print_done(struct cli *cli, const struct mtk_part *p, const char *file,
		       const struct mtk_read_job_result *r)
{
	char hex[65];
	mtk_hex_encode(hex, r->sha256, 32);
	cli_print(cli, "read %s (%s 0x%llx, %llu bytes) into %s\n", p->name, mtk_region_name(p->region),
		  (unsigned long long)p->start, (unsigned long long)p->size, file);
	cli_print(cli, "sha256 %s; %llu bytes as holes", hex, (unsigned long long)r->bytes_zero);
	if (r->bytes_resumed)
		cli_print(cli, "; %llu bytes resumed from an earlier run", (unsigned long long)r->bytes_resumed);
	cli_print(cli, "\n");
	if (r->nbad)
		print_bad(cli, p, r);
}

static int run_job(struct cli *cli, struct cli_da *s, const struct read_args *a, const struct mtk_part *p,
		   struct mtk_read_job_result *r)
{
	struct mtk_read_job_opts o = {
		.chunk = a->have_chunk ? (uint32_t)a->chunk : 0,
		.retries = a->have_retries ? (unsigned)a->retries : 0,
		.no_retry = a->no_retry,
		.resume = a->resume,
		.force = a->force,
	};
	char what[160];
	snprintf(what, sizeof what, "reading %s", p->name);
	int rc = mtk_read_job(s->da, what, p->region, p->start, p->size, a->file, &o, r);
	char *journal = mtk_read_job_journal_path(a->file);
	bool kept = rc < 0 && journal && access(journal, F_OK) == 0;
	free(journal);
	if (kept)
		mtk_warn(cli->ctx, "the partial read is kept in %s.part: the same command with --resume goes on "
			 "from its last verified chunk", a->file);
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
	struct mtk_read_job_result r = { 0 };
	int rc = cli_da_open(cli, a.preloader, &s);
	if (rc == 0)
		rc = resolve(cli, &s, &a, &p);
	if (rc == 0)
		rc = run_job(cli, &s, &a, &p, &r);
	cli_da_close(&s);
	if (cli->json && r.bytes_total) {
		json_object_set_new(cli->out, "read", result_json(&r));
		json_object_set_new(cli->out, "journal", r.complete ? json_null() : json_sprintf("%s.rdjournal", a.file));
	}
	if (cli->json && rc == MTK_E_INTERRUPTED) {
		json_object_set_new(cli->out, "interrupted", json_true());
		json_object_set_new(cli->out, "bytes_done",
				    json_integer((json_int_t)(r.bytes_resumed + r.bytes_read + r.bytes_bad)));
		json_object_set_new(cli->out, "bytes_total", json_integer((json_int_t)r.bytes_total));
	}
	if (rc < 0) {
		mtk_read_job_result_free(&r);
		return cli_fail(cli, rc, NULL);
	}
	print_done(cli, &p, a.file, &r);
	if (cli->json) {
		json_object_set_new(cli->out, "partition", cli_part_json(&p));
		json_object_set_new(cli->out, "file", cli_json_str(a.file));
	}
	mtk_read_job_result_free(&r);
	if (rc == MTK_READ_JOB_BAD_RANGES) {
		fprintf(cli_diag(cli), "%s: read completed with unreadable ranges (listed above)\n", cli->progname);
		return EXIT_VERIFY;
	}
	return EXIT_OK;
}
