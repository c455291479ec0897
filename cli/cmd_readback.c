/* SPDX-License-Identifier: MIT */
/* mtkflash readback DIR: every partition into DIR, plus a scatter file that
 * describes them, so the backup can be flashed back. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli_da.h"
#include "cli_history.h"
#include "mtkflash/util.h"
#include "mtkflash/imagefile.h"

#define PRELOADER_READ_MAX (1u << 20) /* the largest preloader area seen is 0x81000 bytes */

static const char help[] =
	"Usage: mtkflash readback DIR [--force] [--preloader FILE]\n"
	"\n"
	"Read every partition of the device (as printgpt lists them, including the\n"
	"preloader area and the partition tables) into DIR/NAME.img, and write\n"
	"DIR/<CHIP>_Android_scatter.txt (scatter V1.1.2) describing them, so that the\n"
	"backup can be flashed back.  DIR is created if missing; an existing DIR must be\n"
	"empty unless --force is given (files of the same names are then replaced,\n"
	"other files are left alone).  All-zero blocks become holes (sparse files).\n"
	"Each file appears only when complete (images mode 0600); symbolic links are\n"
	"never written through.  A table whose names are not safe as file names\n"
	"('../x', '/', '\\', control characters, not UTF-8) is refused.\n";

/* A backup holds device-unique data (IMEI, keys): the folder is private, and
 * a symlinked folder is refused, as a symlinked output file is. */
static int prepare_dir(struct cli *cli, const char *dir, bool force)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return mtk_fail(cli->ctx, MTK_E_IO, "cannot create %s: %s", dir, strerror(errno));
	struct stat st;
	if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return mtk_fail(cli->ctx, MTK_E_IO, "%s is a symbolic link or not a directory: name a real directory",
				dir);
	DIR *d = opendir(dir);
	if (!d)
		return mtk_fail(cli->ctx, MTK_E_IO, "cannot open %s: %s", dir, strerror(errno));
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty && !force)
		/* Exit 8 like every output that exists already (docs/cli.md), not a policy refusal. */
		return mtk_fail(cli->ctx, MTK_E_IO, "%s is not empty: give an empty directory, or --force to "
				"overwrite files in it", dir);
	return 0;
}

static const char *scatter_region(enum mtk_region r)
{
	static const char *const names[] = { "EMMC_BOOT_1", "EMMC_BOOT_2", "EMMC_RPMB", "EMMC_USER" };
	return (unsigned)r < 4 ? names[r] : "EMMC_USER";
}

static void scatter_banner(FILE *f, const char *title)
{
	static const char bar[] = "############################################################################"
				  "################################";
	fprintf(f, "%s\n#\n#  %s\n#\n%s\n", bar, title, bar);
}

/* The partitions MediaTek keeps at the end of the user area (formats.md §1.8). */
static bool tail_name(const char *name)
{
	static const char *const names[] = { "sgpt", "flashinfo", "otp", "BMTPOOL", NULL };
	for (const char *const *n = names; *n; n++)
		if (strcasecmp(name, *n) == 0)
			return true;
	return false;
}

/* Marks the run of tail partitions that ends exactly at the end of the user
 * area.  Readback scatters keep their absolute addresses and say
 * is_reserved: true (§1.8), so a flasher knows they sit at the end. */
static void mark_tail(const struct mtk_ptable *t, uint64_t user_size, bool *reserved)
{
	uint64_t end = user_size;
	for (size_t i = t->count; i-- > 0;) {
		const struct mtk_part *p = &t->parts[i];
		if (p->region != MTK_REGION_USER)
			continue;
		if (!tail_name(p->name) || p->start + p->size != end)
			break;
		reserved[i] = true;
		end = p->start;
	}
}

static void scatter_entry(FILE *f, size_t i, const struct mtk_part *p, bool reserved)
{
	bool pt = cli_part_is_ptable(p->name), bl = cli_part_is_bootloader(p->name);
	const char *op = bl ? "BOOTLOADERS" : reserved ? "RESERVED" : pt ? "INVISIBLE" : "UPDATE";
	fprintf(f,
		"- partition_index: SYS%zu\n  partition_name: %s\n  file_name: %s.img\n  is_download: %s\n"
		"  type: %s\n  linear_start_addr: 0x%llx\n  physical_start_addr: 0x%llx\n  partition_size: 0x%llx\n"
		"  region: %s\n  storage: HW_STORAGE_EMMC\n  boundary_check: %s\n  is_reserved: %s\n"
		"  operation_type: %s\n  reserve: 0x00\n\n",
		i, p->name, p->name, pt ? "false" : "true", bl ? "SV5_BL_BIN" : "NORMAL_ROM",
		(unsigned long long)p->start, (unsigned long long)p->start, (unsigned long long)p->size,
		scatter_region(p->region), reserved ? "false" : "true", reserved ? "true" : "false", op);
}

/* The scatter's project is the board the device's own preloader names
 * (MTK_BLOADER_INFO, formats.md §4.5), so the backup's preloader.img matches
 * it; "" when the preloader area holds none. */
static void board_from_preloader(const char *dir, const struct mtk_ptable *t, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < t->count; i++) {
		if (!cli_part_is_bootloader(t->parts[i].name))
			continue;
		char path[4200];
		snprintf(path, sizeof path, "%s/%s.img", dir, t->parts[i].name);
		uint8_t *buf;
		size_t n;
		struct mtk_preloader_info pl;
		if (mtk_read_file_head(NULL, path, PRELOADER_READ_MAX, &buf, &n) == 0 && n &&
		    mtk_preloader_parse(NULL, buf, n, &pl) == 0 && pl.board[0])
			snprintf(out, cap, "%s", pl.board);
		free(buf);
		return;
	}
}

static int write_scatter(struct cli *cli, const char *path, const char *chip, const char *project,
			 const struct mtk_ptable *t, uint64_t user_size, unsigned out_flags)
{
	bool *reserved = calloc(t->count ? t->count : 1, sizeof *reserved);
	char *text = NULL;
	size_t len = 0;
	FILE *f = reserved ? open_memstream(&text, &len) : NULL;
	if (!f) {
		free(reserved);
		return mtk_fail(cli->ctx, MTK_E_NOMEM, "no memory for the scatter of %zu partitions", t->count);
	}
	mark_tail(t, user_size, reserved);
	scatter_banner(f, "General Setting");
	fprintf(f, "- general: MTK_PLATFORM_CFG\n  info:\n    - config_version: V1.1.2\n      platform: %s\n"
		   "      project: %s\n      storage: EMMC\n      boot_channel: MSDC_0\n"
		   "      block_size: 0x20000\n", chip, project);
	scatter_banner(f, "Layout Setting");
	for (size_t i = 0; i < t->count; i++)
		scatter_entry(f, i, &t->parts[i], reserved[i]);
	free(reserved);
	int rc = fclose(f) == 0 ? mtk_write_file_safely(cli->ctx, path, text, len, out_flags)
				: mtk_fail(cli->ctx, MTK_E_NOMEM, "no memory for the scatter of %zu partitions", t->count);
	free(text);
	return rc;
}

static int read_one(struct cli *cli, struct cli_da *s, const char *dir, const struct mtk_part *p, unsigned flags,
		    json_t *arr, struct mtk_history_record *job)
{
	/* The table reader refuses unsafe names already; a file name built from
	 * device data is checked again right where it becomes one. */
	const char *why = mtk_name_problem(p->name, MTK_NAME_FILE);
	if (why) {
		char shown[4 * MTK_PART_NAME_SIZE];
		return mtk_fail(cli->ctx, MTK_E_PARSE, "partition name '%s' %s (not safe as a file name)",
				mtk_escape(p->name, shown, sizeof shown), why);
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.img", dir, p->name);
	int rc = cli_read_to_file(cli, s, p, path, flags);
	if (rc < 0)
		return rc;
	struct mtk_history_part hp = { .bytes = p->size };
	snprintf(hp.name, sizeof hp.name, "%s", p->name);
	snprintf(hp.stage, sizeof hp.stage, "read");
	snprintf(hp.state, sizeof hp.state, "done");
	if (mtk_history_add_part(cli->ctx, job, &hp) < 0)
		mtk_ctx_clear_error(cli->ctx);
	json_t *o = cli_part_json(p);
	json_object_set_new(o, "file", cli_json_str(path));
	json_array_append_new(arr, o);
	return 0;
}

struct readback_args {
	const char *preloader;
	bool force;
};

enum { OPT_PRELOADER = 256, OPT_FORCE };

static const struct option options[] = {
	{ "preloader", required_argument, NULL, OPT_PRELOADER },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	(void)cli;
	struct readback_args *a = args;
	if (opt == OPT_PRELOADER)
		a->preloader = val;
	else
		a->force = true;
	return CLI_CONTINUE;
}

int cmd_readback(struct cli *cli, int argc, char **argv)
{
	struct readback_args a = { 0 };
	int first = argc;
	int st = cli_parse_opts(cli, "readback", help, argc, argv, options, on_option, &a, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (argc - first != 1)
		return argc == first ? cli_usage(cli, "readback", "needs DIR")
				     : cli_usage(cli, "readback", "unexpected argument '%s'", argv[first + 1]);
	const char *dir = argv[first];
	unsigned flags = a.force ? MTK_OUT_FORCE : 0;
	int rc = prepare_dir(cli, dir, a.force);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	struct cli_da s;
	struct mtk_ptable t = { 0 };
	json_t *arr = json_array();
	char scatter[4200] = "";
	struct mtk_history_record job;
	cli_job_begin(&job, "readback");
	rc = cli_da_open(cli, a.preloader, &s);
	if (rc == 0 && mtk_da_device_id(s.da, job.device_id) < 0)
		mtk_ctx_clear_error(cli->ctx);
	if (rc == 0)
		rc = mtk_da_read_ptable(s.da, true, &t);
	for (size_t i = 0; rc == 0 && i < t.count; i++)
		rc = read_one(cli, &s, dir, &t.parts[i], flags, arr, &job);
	if (rc == 0) {
		const struct mtk_chip *c = mtk_da_brom_info(s.da)->chip;
		char board[64];
		board_from_preloader(dir, &t, board, sizeof board);
		snprintf(scatter, sizeof scatter, "%s/%s_Android_scatter.txt", dir, c ? c->name : "MTK");
		rc = write_scatter(cli, scatter, c ? c->name : "MTK", board[0] ? board : "mtkflash-readback", &t,
				   mtk_da_region_size(s.da, MTK_REGION_USER), flags);
	}
	size_t count = t.count;
	mtk_ptable_free(&t);
	cli_da_close(&s);
	snprintf(job.scatter, sizeof job.scatter, "%s", scatter);
	cli_job_end(cli, &job, rc, false, mtk_ctx_error(cli->ctx));
	if (rc < 0) {
		json_decref(arr);
		return cli_fail(cli, rc, "readback");
	}
	cli_print(cli, "read %zu partitions into %s; scatter file %s\n", count, dir, scatter);
	if (cli->json) {
		json_object_set_new(cli->out, "dir", cli_json_str(dir));
		json_object_set_new(cli->out, "scatter", cli_json_str(scatter));
		json_object_set_new(cli->out, "partitions", arr);
	} else {
		json_decref(arr);
	}
	return EXIT_OK;
}
