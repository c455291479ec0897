/* SPDX-License-Identifier: MIT */
/* mtkflash backup create|list|verify|restore: the store of protected
 * partitions (NVRAM class), see include/mtkflash/backup.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_da.h"
#include "cli_history.h"
#include "cli_unit.h"
#include "cli_verify.h"
#include "mtkflash/util.h"
#include "mtkflash/backup.h"
#include "mtkflash/backup_unit.h"

static const char help[] =
	"Usage: mtkflash backup full DIR [--force] [--compress] [--preloader FILE]\n"
	"       mtkflash backup restore DIR [--yes] [--allow-foreign P,Q] [--passphrase-fd N]\n"
	"       mtkflash backup create [--only P,Q] [--preloader FILE]\n"
	"       mtkflash backup list [--device DEVICE_ID]\n"
	"       mtkflash backup verify ID\n"
	"       mtkflash backup restore ID [--only P,Q] [--preloader FILE]\n"
	"\n"
	"The store of protected partitions (nvram, nvdata, protect1/2, proinfo, persist,\n"
	"seccfg, ...: IMEI, calibration, keys), in $XDG_DATA_HOME/mtkflash/backups\n"
	"(default ~/.local/share/mtkflash/backups), one folder per device and backup.\n"
	"create   read every protected partition (or those --only names) from the device\n"
	"list     every backup: id, chip, time, partitions, bytes\n"
	"verify   every file present, size and SHA-256 as recorded (exit 5 if not)\n"
	"restore  write the backup's partitions (or those --only names) back, each read\n"
	"         back and compared.  Restoring is itself the authorisation to write these\n"
	"         protected partitions (no --allow-protected).  Refused, before anything is\n"
	"         written, when the backup does not verify or was made from another device\n"
	"         (never overridable: it would copy one phone's IMEI onto another).\n"
	"ID is DEVICE_ID/TIMESTAMP as list shows it, or TIMESTAMP alone when unique.\n"
	"\n"
	"full DIR     a full backup unit: boot1, boot2, the partition tables, every\n"
	"             partition, the device's facts, a flashable scatter and unit.json,\n"
	"             every file in SHA256SUMS signed with the station key; all-zero\n"
	"             ranges are holes; RPMB is listed as not backed up (docs/backup.md);\n"
	"             --compress: each area as NAME.img.zst, for archives leaving the station\n"
	"restore DIR  a folder holding unit.json: check the signature and that nothing\n"
	"             is missing, refuse another phone's protected partitions (unless\n"
	"             --allow-foreign names each, with the service passphrase), write\n"
	"             the tables on blank storage, then flash every partition through\n"
	"             Verified Mode (plan, stash, read back, rollback, audit log) and\n"
	"             boot2.  --yes answers the confirmation the plan asks for.\n";

enum { OPT_ONLY = 256, OPT_PRELOADER, OPT_DEVICE, OPT_FORCE, OPT_COMPRESS, OPT_YES, OPT_FOREIGN, OPT_PASSFD };

static const struct option options[] = {
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "compress", no_argument, NULL, OPT_COMPRESS },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "allow-foreign", required_argument, NULL, OPT_FOREIGN },
	{ "passphrase-fd", required_argument, NULL, OPT_PASSFD },
	{ "preloader", required_argument, NULL, OPT_PRELOADER },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct backup_args {
	const char *sub;
	char *only;        /* the --only text, split in place */
	const char **names; /* NULL-terminated, into `only`; NULL = all */
	const char *preloader, *device, *id;
	char root[4096];
	bool force, compress, yes;
	char *foreign;              /* the --allow-foreign text, split in place */
	const char *allow[64];
	size_t nallow;
	int passphrase_fd;
	const char *passfd_text;
};

static int split_foreign(struct cli *cli, struct backup_args *a)
{
	for (char *save = NULL, *t = strtok_r(a->foreign, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (a->nallow == sizeof a->allow / sizeof a->allow[0])
			return cli_usage(cli, "backup", "--allow-foreign names at most %zu partitions",
					 sizeof a->allow / sizeof a->allow[0]);
		a->allow[a->nallow++] = t;
	}
	return a->nallow ? CLI_CONTINUE : cli_usage(cli, "backup", "--allow-foreign takes partition names P,Q");
}

static int on_unit_option(struct cli *cli, struct backup_args *a, int opt, const char *val)
{
	if (opt == OPT_FORCE)
		a->force = true;
	else if (opt == OPT_COMPRESS)
		a->compress = true;
	else if (opt == OPT_YES)
		a->yes = true;
	else if (opt == OPT_PASSFD)
		a->passfd_text = val;
	else if (a->foreign)
		return cli_usage(cli, "backup", "give --allow-foreign once, as P,Q");
	else if (!(a->foreign = strdup(val)))
		return cli_fail(cli, MTK_E_NOMEM, NULL);
	return CLI_CONTINUE;
}

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct backup_args *a = args;
	if (opt >= OPT_FORCE)
		return on_unit_option(cli, a, opt, val);
	if (opt == OPT_PRELOADER)
		a->preloader = val;
	else if (opt == OPT_DEVICE)
		a->device = val;
	else if (a->only)
		return cli_usage(cli, "backup", "give --only once, as P,Q");
	else if (!(a->only = strdup(val)))
		return cli_fail(cli, MTK_E_NOMEM, NULL);
	return CLI_CONTINUE;
}

/* "P,Q" -> {"P", "Q", NULL}; empty items are a usage error. */
static int split_only(struct cli *cli, struct backup_args *a)
{
	size_t n = 2;
	for (const char *p = a->only; *p; p++)
		n += *p == ',';
	a->names = calloc(n, sizeof *a->names);
	if (!a->names)
		return cli_fail(cli, MTK_E_NOMEM, NULL);
	size_t k = 0;
	for (char *save = NULL, *t = strtok_r(a->only, ",", &save); t; t = strtok_r(NULL, ",", &save))
		a->names[k++] = t;
	if (k == 0 || strstr(a->only, ",,") || a->only[strlen(a->only) - 1] == ',')
		return cli_usage(cli, "backup", "--only takes partition names separated by commas");
	return CLI_CONTINUE;
}

static int parse(struct cli *cli, int argc, char **argv, struct backup_args *a)
{
	int first = argc;
	int st = cli_parse_opts(cli, "backup", help, argc - 1, argv + 1, options, on_option, a, &first);
	if (st != CLI_CONTINUE)
		return st;
	int nops = argc - 1 - first;
	bool needs_id = strcmp(a->sub, "verify") == 0 || strcmp(a->sub, "restore") == 0 || strcmp(a->sub, "full") == 0;
	if (nops < (needs_id ? 1 : 0))
		return cli_usage(cli, "backup", "%s needs %s", a->sub, strcmp(a->sub, "full") == 0 ? "DIR"
				 : "a backup ID (see 'mtkflash backup list') or a unit's DIR");
	if (nops > (needs_id ? 1 : 0))
		return cli_usage(cli, "backup", "unexpected argument '%s'", argv[1 + first + (needs_id ? 1 : 0)]);
	a->id = needs_id ? argv[1 + first] : NULL;
	if (a->only && (strcmp(a->sub, "create") != 0 && strcmp(a->sub, "restore") != 0))
		return cli_usage(cli, "backup", "--only goes with create and restore");
	if ((a->force || a->compress) && strcmp(a->sub, "full") != 0)
		return cli_usage(cli, "backup", "--force and --compress go with full");
	if ((a->yes || a->foreign || a->passfd_text) && strcmp(a->sub, "restore") != 0)
		return cli_usage(cli, "backup", "--yes, --allow-foreign and --passphrase-fd go with restore DIR");
	a->passphrase_fd = -1;
	if (a->passfd_text) {
		unsigned long long fd;
		if (cli_parse_size(a->passfd_text, &fd) < 0 || fd > 1024)
			return cli_usage(cli, "backup", "--passphrase-fd %s: a file descriptor number", a->passfd_text);
		a->passphrase_fd = (int)fd;
	}
	if (a->foreign && split_foreign(cli, a) != CLI_CONTINUE)
		return EXIT_USAGE;
	if (!cli_backup_root(a->root, sizeof a->root))
		return cli_usage(cli, "backup", "neither XDG_DATA_HOME nor HOME is set: no backup store");
	return a->only ? split_only(cli, a) : CLI_CONTINUE;
}

/* ---------------------------------------------------------------- output */

static json_t *part_json(const struct mtk_backup_part *p, bool with_state)
{
	char hex[65];
	mtk_hex_encode(hex, p->sha256, 32);
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "partition", p->name, "file", p->file, "region",
			      mtk_region_name(p->region), "offset", (json_int_t)p->offset, "size", (json_int_t)p->size,
			      "sha256", hex);
	if (with_state && p->state != MTK_BACKUP_UNCHECKED) {
		json_object_set_new(o, "state", json_string(mtk_backup_state_name(p->state)));
		if (p->problem[0])
			json_object_set_new(o, "problem", cli_json_str(p->problem));
	}
	return o;
}

static json_t *backup_json(const struct mtk_backup *b, bool with_state)
{
	json_t *parts = json_array();
	for (size_t i = 0; i < b->count; i++)
		json_array_append_new(parts, part_json(&b->parts[i], with_state));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "id", b->id, "device_id", b->device_id,
			      "created", b->created, "chip", b->chip, "tool_version", b->tool_version, "bytes",
			      (json_int_t)b->bytes, "partitions", parts);
	if (b->damaged[0])
		json_object_set_new(o, "damaged", cli_json_str(b->damaged));
	return o;
}

static void print_parts(struct cli *cli, const struct mtk_backup *b)
{
	char hex[65];
	for (size_t i = 0; i < b->count; i++) {
		const struct mtk_backup_part *p = &b->parts[i];
		mtk_hex_encode(hex, p->sha256, 32);
		bool checked = p->state != MTK_BACKUP_UNCHECKED;
		cli_print(cli, "  %-12s %-5s 0x%-10" PRIx64 " %12" PRIu64 "  sha256 %.16s…  %s%s%s\n", p->name,
			  mtk_region_name(p->region), p->offset, p->size, hex,
			  checked ? mtk_backup_state_name(p->state) : "", p->problem[0] ? ": " : "", p->problem);
	}
}

/* ---------------------------------------------------------- subcommands */

static void job_add_backup(struct cli *cli, struct mtk_history_record *job, const struct mtk_backup *b,
			   const char *stage)
{
	snprintf(job->device_id, sizeof job->device_id, "%s", b->device_id);
	for (size_t i = 0; i < b->count; i++) {
		struct mtk_history_part p = { .bytes = b->parts[i].size, .verified = true };
		snprintf(p.name, sizeof p.name, "%s", b->parts[i].name);
		snprintf(p.stage, sizeof p.stage, "%s", stage);
		snprintf(p.state, sizeof p.state, "%s", mtk_backup_state_name(b->parts[i].state));
		mtk_hex_encode(p.sha256, b->parts[i].sha256, 32);
		if (mtk_history_add_part(cli->ctx, job, &p) < 0)
			mtk_ctx_clear_error(cli->ctx);
	}
}

static int create(struct cli *cli, struct backup_args *a, struct mtk_history_record *job)
{
	struct cli_da s;
	char id[MTK_BACKUP_ID_MAX] = "";
	int rc = cli_da_open(cli, a->preloader, &s);
	if (rc == 0 && mtk_da_device_id(s.da, job->device_id) < 0)
		mtk_ctx_clear_error(cli->ctx);
	if (rc == 0)
		rc = mtk_backup_create(cli->ctx, a->root, s.da, a->names, NULL, id);
	cli_da_close(&s);
	struct mtk_backup b;
	if (rc < 0 || (rc = mtk_backup_load(cli->ctx, a->root, id, &b)) < 0)
		return rc;
	job_add_backup(cli, job, &b, "backup");
	cli_print(cli, "backup %s: %zu partitions, %" PRIu64 " bytes, in %s/%s\n", b.id, b.count, b.bytes, a->root,
		  b.id);
	print_parts(cli, &b);
	if (cli->json)
		json_object_set_new(cli->out, "backup", backup_json(&b, false));
	mtk_backup_free(&b);
	return 0;
}

static int do_create(struct cli *cli, struct backup_args *a)
{
	struct mtk_history_record job;
	cli_job_begin(&job, "backup");
	int rc = create(cli, a, &job);
	cli_job_end(cli, &job, rc, false, mtk_ctx_error(cli->ctx));
	return rc < 0 ? cli_fail(cli, rc, "backup create") : EXIT_OK;
}

static int do_list(struct cli *cli, struct backup_args *a)
{
	struct mtk_backup_list l;
	int rc = mtk_backup_list(cli->ctx, a->root, a->device, &l);
	if (rc < 0)
		return cli_fail(cli, rc, "backup list");
	json_t *arr = json_array();
	if (l.count == 0)
		cli_print(cli, "no backups in %s\n", a->root);
	for (size_t i = 0; i < l.count; i++) {
		const struct mtk_backup *b = &l.items[i];
		json_array_append_new(arr, backup_json(b, false));
		if (b->damaged[0]) {
			cli_print(cli, "%-44s DAMAGED: %s\n", b->id, b->damaged);
			continue;
		}
		cli_print(cli, "%-44s %-8s %s  %zu partitions, %" PRIu64 " bytes:", b->id, b->chip, b->created, b->count,
			  b->bytes);
		for (size_t k = 0; k < b->count; k++)
			cli_print(cli, " %s", b->parts[k].name);
		cli_print(cli, "\n");
	}
	if (cli->json)
		json_object_set_new(cli->out, "backups", arr);
	else
		json_decref(arr);
	mtk_backup_list_free(&l);
	return EXIT_OK;
}

/* verify and restore report the same way: every part's state, then the verdict. */
static int report(struct cli *cli, const char *doing, int rc, struct mtk_backup *b)
{
	if (b->count) {
		cli_print(cli, "backup %s:\n", b->id);
		print_parts(cli, b);
	}
	if (cli->json && b->count)
		json_object_set_new(cli->out, "backup", backup_json(b, true));
	mtk_backup_free(b);
	if (rc < 0)
		return cli_fail(cli, rc, doing);
	cli_print(cli, "%s: ok\n", doing);
	return EXIT_OK;
}

static int do_verify(struct cli *cli, struct backup_args *a)
{
	struct mtk_backup b;
	int rc = mtk_backup_verify(cli->ctx, a->root, a->id, &b);
	return report(cli, "backup verify", rc, &b);
}

static int restore_id(struct cli *cli, struct backup_args *a);

static int do_full(struct cli *cli, struct backup_args *a)
{
	struct cli_unit_opts o = { .preloader = a->preloader, .force = a->force, .compress = a->compress,
				   .kind = "backup full" };
	return cli_backup_full(cli, a->id, &o);
}

/* restore DIR (a full unit) or restore ID (the store of protected partitions). */
static int do_restore(struct cli *cli, struct backup_args *a)
{
	bool unit = cli_unit_is_unit(a->id);
	if (!unit && (a->yes || a->foreign || a->passfd_text))
		return cli_usage(cli, "backup", "--yes, --allow-foreign and --passphrase-fd go with restore DIR (a "
				 "folder holding %s)", MTK_UNIT_MANIFEST);
	if (unit) {
		if (a->only)
			return cli_usage(cli, "backup", "a full unit is restored whole: no --only");
		struct cli_restore_opts o = { .preloader = a->preloader, .yes = a->yes, .allow_foreign = a->allow,
					      .nallow = a->nallow, .passphrase_fd = a->passphrase_fd };
		return cli_unit_restore(cli, a->id, &o);
	}
	return restore_id(cli, a);
}

static int restore_id(struct cli *cli, struct backup_args *a)
{
	struct cli_da s;
	struct mtk_backup b;
	memset(&b, 0, sizeof b);
	/* Before the device: a damaged or unknown backup needs no phone to refuse. */
	int rc = mtk_backup_verify(cli->ctx, a->root, a->id, &b);
	mtk_backup_free(&b);
	if (rc < 0)
		return cli_fail(cli, rc, "backup restore");
	struct mtk_history_record job;
	cli_job_begin(&job, "backup");
	rc = cli_da_open(cli, a->preloader, &s);
	if (rc == 0)
		rc = mtk_backup_restore(cli->ctx, a->root, s.da, a->id, a->names, &b);
	cli_da_close(&s);
	job_add_backup(cli, &job, &b, "restore");
	cli_job_end(cli, &job, rc, false, mtk_ctx_error(cli->ctx));
	return report(cli, "backup restore", rc, &b);
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && cli_is_help(argv[1]))
		return cli_help(help);
	if (argc < 2)
		return cli_usage(cli, "backup", "say full, create, list, verify or restore");
	static const struct {
		const char *name;
		int (*run)(struct cli *, struct backup_args *);
	} subs[] = { { "full", do_full }, { "create", do_create }, { "list", do_list }, { "verify", do_verify }, { "restore", do_restore } };
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		struct backup_args a = { .sub = subs[i].name };
		int st = parse(cli, argc, argv, &a);
		if (st == CLI_CONTINUE)
			st = subs[i].run(cli, &a);
		free(a.names);
		free(a.only);
		free(a.foreign);
		return st;
	}
	return cli_usage(cli, "backup", "unknown subcommand '%s' (full, create, list, verify or restore)", argv[1]);
}
