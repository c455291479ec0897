/* SPDX-License-Identifier: MIT */
/* mtkflash readback DIR: every partition into DIR, plus a scatter file that
 * describes them, so the backup can be flashed back. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <time.h>
#include <unistd.h>

#include "cli_da.h"
#include "cli_history.h"
#include "cli_unit.h"
#include "mtkflash/audit.h"
#include "mtkflash/backup_unit.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/manifest.h"
#include "mtkflash/readjob.h"
#include "mtkflash/util.h"
#include "mtkflash/verify.h"

#define PRELOADER_READ_MAX (1u << 20) /* the largest preloader area seen is 0x81000 bytes */

static const char help[] =
	"Usage: mtkflash readback DIR [--force] [--preloader FILE]\n"
	"\n"
	"The same as 'mtkflash backup full DIR': a full backup unit of the device\n"
	"(boot1, boot2, the partition tables, every partition, the device's facts, a\n"
	"flashable scatter and a manifest signed with the station key) that\n"
	"'mtkflash backup restore DIR' puts back.  DIR is created if missing; an\n"
	"existing DIR must be empty unless --force is given (files of the same names\n"
	"are then replaced, other files are left alone).  All-zero blocks become holes\n"
	"(sparse files).  Each file appears only when complete (mode 0600); symbolic\n"
	"links are never written through.  A table whose names are not safe as file\n"
	"names ('../x', '/', '\\', control characters, not UTF-8) is refused.\n";

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

/* ------------------------------------------------------------ one area */

/* Every area of a unit is read here and only here, through the read engine:
 * a range the device cannot read is retried smaller, then skipped (zeros)
 * and listed in res->bad (region offsets). */
static int read_area(struct cli *cli, struct cli_da *s, const char *dir, const struct mtk_part *p, unsigned flags,
		     struct mtk_unit_area *out, struct mtk_read_job_result *res)
{
	/* The table reader refuses unsafe names already; a file name built from
	 * device data is checked again right where it becomes one. */
	const char *why = mtk_name_problem(p->name, MTK_NAME_FILE);
	if (why) {
		char shown[4 * MTK_PART_NAME_SIZE];
		return mtk_fail(cli->ctx, MTK_E_PARSE, "partition name '%s' %s (not safe as a file name)",
				mtk_escape(p->name, shown, sizeof shown), why);
	}
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", p->name);
	snprintf(out->file, sizeof out->file, "%s.img", p->name);
	out->region = p->region;
	out->offset = p->start;
	out->size = p->size;
	out->cls = mtk_unit_class_of(p->name, p->region);
	char path[4200], what[160];
	snprintf(path, sizeof path, "%s/%s", dir, out->file);
	snprintf(what, sizeof what, "reading %s", p->name);
	struct mtk_read_job_opts o = { .force = flags & MTK_OUT_FORCE };
	int rc = mtk_read_job(s->da, what, p->region, p->start, p->size, path, &o, res);
	if (rc >= 0)
		memcpy(out->sha256, res->sha256, 32);
	return rc;
}

/* ------------------------------------------------------------ the unit */

struct unit_run {
	struct cli *cli;
	const char *dir;
	unsigned flags;
	struct cli_da s;
	struct mtk_fingerprint fp;
	struct mtk_unit u;
	struct mtk_history_record job;
	bool compress;
	char scatter[4200];
	char key_id[17];
	char station[4096];
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	struct mtk_audit *log;
	char *log_path;
};

static int add_bad(struct unit_run *r, const struct mtk_part *p, const struct mtk_read_job_result *res)
{
	if (res->nbad == 0)
		return 0;
	struct mtk_unit_bad_range *bad = realloc(r->u.bad, (r->u.nbad + res->nbad) * sizeof *bad);
	if (!bad)
		return mtk_fail(r->cli->ctx, MTK_E_NOMEM, "out of memory");
	r->u.bad = bad;
	for (size_t i = 0; i < res->nbad; i++) {
		struct mtk_unit_bad_range *b = &bad[r->u.nbad++];
		memset(b, 0, sizeof *b);
		snprintf(b->area, sizeof b->area, "%s", p->name);
		b->offset = res->bad[i].off - p->start;
		b->length = res->bad[i].len;
	}
	return 0;
}

static json_t *bad_list(const struct mtk_read_job_result *res)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < res->nbad; i++)
		json_array_append_new(arr, json_pack("{s:I, s:I}", "offset", (json_int_t)res->bad[i].off, "length",
						     (json_int_t)res->bad[i].len));
	return arr;
}

/* One audit event per area: what was read, its hash, what could not be. */
static int log_area(struct unit_run *r, const struct mtk_unit_area *a, const struct mtk_read_job_result *res)
{
	char hex[65];
	mtk_hex_encode(hex, a->sha256, 32);
	uint32_t ppm = mtk_read_job_coverage_ppm(res);
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:I, s:f, s:o}", "partition", a->name, "region",
			      mtk_region_name(a->region), "offset", (json_int_t)a->offset, "size", (json_int_t)a->size,
			      "sha256", hex, "bytes_holes", (json_int_t)res->bytes_zero, "coverage", ppm / 1e6,
			      "bad_ranges", bad_list(res));
	return mtk_audit_event_lazy(r->log, "read", o);
}

static void history_area(struct unit_run *r, const struct mtk_unit_area *a, bool bad)
{
	struct mtk_history_part hp = { .bytes = a->size, .verified = !bad };
	snprintf(hp.name, sizeof hp.name, "%s", a->name);
	snprintf(hp.stage, sizeof hp.stage, "read");
	snprintf(hp.state, sizeof hp.state, "%s", bad ? "bad-ranges" : "done");
	mtk_hex_encode(hp.sha256, a->sha256, 32);
	if (mtk_history_add_part(r->cli->ctx, &r->job, &hp) < 0)
		mtk_ctx_clear_error(r->cli->ctx);
}

/* --compress: the area's file becomes NAME.img.zst (its SHA-256 in
 * unit.json stays the area's bytes'). */
static int compress_area(struct unit_run *r, struct mtk_unit_area *a)
{
	char src[4200], dst[4210];
	snprintf(src, sizeof src, "%s/%s", r->dir, a->file);
	snprintf(dst, sizeof dst, "%s.zst", src);
	int rc = mtk_unit_compress(r->cli->ctx, src, dst, r->flags);
	if (rc < 0)
		return rc;
	unlink(src);
	a->zstd = true;
	size_t n = strlen(a->file);
	snprintf(a->file + n, sizeof a->file - n, ".zst");
	return 0;
}

static int read_one(struct unit_run *r, const struct mtk_part *p)
{
	struct mtk_read_job_result res = { 0 };
	struct mtk_unit_area *a = &r->u.areas[r->u.count];
	int rc = read_area(r->cli, &r->s, r->dir, p, r->flags, a, &res);
	if (rc >= 0 && r->compress)
		rc = compress_area(r, a);
	if (rc >= 0)
		rc = add_bad(r, p, &res);
	if (rc >= 0)
		rc = log_area(r, a, &res);
	if (rc >= 0) {
		history_area(r, a, res.nbad > 0);
		r->u.bytes += p->size;
		r->u.count++;
	}
	mtk_read_job_result_free(&res);
	return rc < 0 ? rc : 0;
}

#define PMT_FROM_END (1u << 20) /* the eMMC PMT's place: user_size - 1 MiB (formats.md §5.2) */
#define PMT_COPIES_SIZE 0x2000u /* main table and mirror, 4 KiB each */

/* MBR-era phones keep their partition names in the PMT, which no table
 * entry covers: without it a restored MBR names nothing. */
static bool has_pmt(struct unit_run *r, uint64_t *off)
{
	uint64_t user = r->fp.storage.regions.size[MTK_REGION_USER];
	uint8_t head[512];
	if (r->fp.table.kind == MTK_PTABLE_GPT || user < PMT_FROM_END)
		return false;
	for (size_t i = 0; i < r->fp.table.count; i++)
		if (strcasecmp(r->fp.table.parts[i].name, "PMT") == 0)
			return false; /* listed, so read as a table area already */
	*off = user - PMT_FROM_END;
	if (mtk_da_read_buf(r->s.da, MTK_REGION_USER, *off, head, sizeof head) < 0) {
		mtk_ctx_clear_error(r->cli->ctx);
		return false;
	}
	return memcmp(head, "\x31\x76\x54\x50", 4) == 0; /* PT_SIG "PTv1", little-endian */
}

/* The table's areas (with the layout entries: preloader = boot1, pgpt,
 * sgpt), then what no table lists: boot2, and the PMT of an MBR-era phone. */
static int read_all(struct unit_run *r)
{
	const struct mtk_ptable *t = &r->fp.table;
	struct mtk_part extra[2] = {
		{ .name = "boot2", .region = MTK_REGION_BOOT2, .size = r->fp.storage.regions.size[MTK_REGION_BOOT2] },
		{ .name = "PMT", .region = MTK_REGION_USER },
	};
	if (has_pmt(r, &extra[1].start))
		extra[1].size = PMT_COPIES_SIZE;
	r->u.areas = calloc(t->count + 2, sizeof *r->u.areas);
	if (!r->u.areas)
		return mtk_fail(r->cli->ctx, MTK_E_NOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t->count + 2; i++) {
		const struct mtk_part *p = i < t->count ? &t->parts[i] : &extra[i - t->count];
		if (p->size)
			rc = read_one(r, p);
	}
	return rc;
}

/* RPMB answers only authenticated frames made with the phone's own key: the
 * DA cannot hand it over in plain form, and nothing could write it back. */
static int note_rpmb(struct unit_run *r)
{
	uint64_t size = r->fp.storage.regions.size[MTK_REGION_RPMB];
	if (size == 0)
		return 0;
	r->u.skipped = calloc(1, sizeof *r->u.skipped);
	if (!r->u.skipped)
		return mtk_fail(r->cli->ctx, MTK_E_NOMEM, "out of memory");
	snprintf(r->u.skipped[0].name, sizeof r->u.skipped[0].name, "rpmb");
	r->u.skipped[0].size = size;
	snprintf(r->u.skipped[0].why, sizeof r->u.skipped[0].why,
		 "RPMB is read only as frames authenticated with the phone's secret key, never in plain form; "
		 "it stays on the eMMC and is neither saved nor restored");
	r->u.nskipped = 1;
	return 0;
}

static json_t *device_facts(const struct unit_run *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "fingerprint", mtk_fingerprint_to_json(&r->fp));
	const struct mtk_chip *c = r->fp.brom.chip;
	json_t *boot = json_object();
	json_object_set_new(boot, "boot_select", json_string(!c ? "unknown"
				: c->boot_select == MTK_BOOT_SELECT_EXT_CSD ? "ext-csd" : "boot1-only"));
	json_object_set_new(boot, "ext_csd", json_string("the DA protocol does not hand EXT_CSD over: a restore "
							 "leaves BOOT_PARTITION_ENABLE at boot1, as MediaTek's DA does"));
	json_object_set_new(o, "boot_config", boot);
	return o;
}

static void stamp(struct mtk_unit *u)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(u->created, sizeof u->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_manifest(struct unit_run *r)
{
	struct mtk_unit *u = &r->u;
	snprintf(u->device_id, sizeof u->device_id, "%s", r->fp.device_id);
	EVP_Digest(u->device_id, strlen(u->device_id), u->device_id_sha256, NULL, EVP_sha256(), NULL);
	snprintf(u->chip, sizeof u->chip, "%s", r->fp.brom.chip ? r->fp.brom.chip->name : "MTK");
	snprintf(u->scatter, sizeof u->scatter, "%s", strrchr(r->scatter, '/') + 1);
	snprintf(u->table_kind, sizeof u->table_kind, "%s", mtk_ptable_kind_name(r->fp.table.kind));
	stamp(u);
	json_t *doc = mtk_unit_to_json(u, device_facts(r));
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!text)
		return mtk_fail(r->cli->ctx, MTK_E_NOMEM, "no memory for the unit manifest");
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", r->dir, MTK_UNIT_MANIFEST);
	int rc = mtk_write_file_safely(r->cli->ctx, path, text, strlen(text), r->flags | MTK_OUT_PRIVATE);
	free(text);
	return rc;
}

/* The station key signs the unit and its audit log; loaded before the phone
 * is touched, so a key problem costs no read. */
static int load_key(struct unit_run *r)
{
	if (!cli_station_dir(r->station, sizeof r->station))
		return mtk_fail(r->cli->ctx, MTK_E_IO, "no place for the station key: set XDG_DATA_HOME or HOME");
	int rc = mtk_audit_station_key(r->cli->ctx, r->station, &r->sk, &r->pk);
	if (rc == 0)
		mtk_minisign_key_id_hex(r->pk.key_id, r->key_id);
	return rc;
}

/* SHA256SUMS over every file of the unit, signed with the station key:
 * a restore trusts it. */
static int sign_unit(struct unit_run *r)
{
	char keyfile[4200], comment[200];
	snprintf(keyfile, sizeof keyfile, "%s/station.key", r->station);
	snprintf(comment, sizeof comment, "mtkflash backup unit of %s, %s", r->u.device_id, r->u.created);
	size_t n;
	return mtk_manifest_create(r->cli->ctx, r->dir, keyfile, comment, &n);
}

static int open_log(struct unit_run *r)
{
	char dir[4096];
	if (!cli_audit_dir(dir, sizeof dir))
		return mtk_fail(r->cli->ctx, MTK_E_IO, "no place for the audit log: set XDG_STATE_HOME or HOME");
	int rc = mtk_audit_open_in(r->cli->ctx, dir, r->fp.device_id, &r->log);
	if (rc == 0)
		rc = mtk_audit_event(r->log, "backup-start", json_pack("{s:s, s:o}", "dir", r->dir, "fingerprint",
									mtk_fingerprint_to_json(&r->fp)));
	return rc;
}

static void close_log(struct unit_run *r, int rc)
{
	if (!r->log)
		return;
	char hex[65] = "";
	json_t *o = json_pack("{s:b, s:I, s:I}", "ok", rc == 0, "areas", (json_int_t)r->u.count, "bad_ranges",
			      (json_int_t)r->u.nbad);
	if (rc == 0) {
		/* What the unit is, as signed: ties the log to this folder's SHA256SUMS. */
		uint8_t md[32];
		char sums[4200];
		snprintf(sums, sizeof sums, "%s/SHA256SUMS", r->dir);
		if (mtk_sha256_file(r->cli->ctx, sums, md, NULL) == 0)
			mtk_hex_encode(hex, md, 32);
		json_object_set_new(o, "sha256sums", json_string(hex));
	}
	if (mtk_audit_event(r->log, "backup-end", o) < 0 || mtk_audit_close(r->log, &r->sk, &r->log_path) < 0)
		mtk_ctx_clear_error(r->cli->ctx);
	r->log = NULL;
}

static int make_unit(struct unit_run *r, const char *preloader)
{
	int rc = load_key(r);
	if (rc == 0)
		rc = cli_da_open(r->cli, preloader, &r->s);
	if (rc == 0)
		rc = mtk_fingerprint_take(r->cli->ctx, r->s.da, &r->fp);
	if (rc == 0)
		rc = open_log(r);
	if (rc < 0)
		return rc;
	snprintf(r->job.device_id, sizeof r->job.device_id, "%s", r->fp.device_id);
	if ((rc = read_all(r)) == 0 && (rc = note_rpmb(r)) == 0) {
		const char *chip = r->fp.brom.chip ? r->fp.brom.chip->name : "MTK";
		char board[64];
		board_from_preloader(r->dir, &r->fp.table, board, sizeof board);
		snprintf(r->scatter, sizeof r->scatter, "%s/%s_Android_scatter.txt", r->dir, chip);
		rc = write_scatter(r->cli, r->scatter, chip, board[0] ? board : "mtkflash-readback", &r->fp.table,
				   r->fp.storage.regions.size[MTK_REGION_USER], r->flags);
	}
	if (rc == 0)
		rc = write_manifest(r);
	if (rc == 0)
		rc = sign_unit(r);
	return rc;
}

static json_t *areas_out(const struct mtk_unit *u, const char *dir)
{
	json_t *arr = json_array();
	char hex[65], path[4200];
	for (size_t i = 0; i < u->count; i++) {
		const struct mtk_unit_area *a = &u->areas[i];
		mtk_hex_encode(hex, a->sha256, 32);
		snprintf(path, sizeof path, "%s/%s", dir, a->file);
		json_array_append_new(arr, json_pack("{s:o, s:s, s:s, s:I, s:I, s:o, s:s}", "name", cli_json_str(a->name),
						     "class", mtk_unit_class_name(a->cls), "region",
						     mtk_region_name(a->region), "start", (json_int_t)a->offset, "size",
						     (json_int_t)a->size, "file", cli_json_str(path), "sha256", hex));
	}
	return arr;
}

static void show_unit(struct unit_run *r)
{
	const struct mtk_unit *u = &r->u;
	cli_print(r->cli, "backup unit %s: %zu areas, %llu bytes, device %s; scatter %s; signed by station key %s\n",
		  r->dir, u->count, (unsigned long long)u->bytes, u->device_id, r->scatter, r->key_id);
	for (size_t i = 0; i < u->nskipped; i++)
		cli_print(r->cli, "  not backed up: %s (%llu bytes): %s\n", u->skipped[i].name,
			  (unsigned long long)u->skipped[i].size, u->skipped[i].why);
	json_t *bad = json_array();
	for (size_t i = 0; i < u->nbad; i++) {
		cli_print(r->cli, "  unreadable: %s +0x%llx, 0x%llx bytes (zeros in its file)\n", u->bad[i].area,
			  (unsigned long long)u->bad[i].offset, (unsigned long long)u->bad[i].length);
		json_array_append_new(bad, json_pack("{s:s, s:I, s:I}", "area", u->bad[i].area, "offset",
						     (json_int_t)u->bad[i].offset, "length", (json_int_t)u->bad[i].length));
	}
	if (r->log_path)
		cli_print(r->cli, "audit log: %s\n", r->log_path);
	if (!r->cli->json) {
		json_decref(bad);
		return;
	}
	json_object_set_new(r->cli->out, "audit_log", r->log_path ? cli_json_str(r->log_path) : json_null());
	json_object_set_new(r->cli->out, "dir", cli_json_str(r->dir));
	json_object_set_new(r->cli->out, "scatter", cli_json_str(r->scatter));
	json_object_set_new(r->cli->out, "device_id", json_string(u->device_id));
	json_object_set_new(r->cli->out, "key_id", json_string(r->key_id));
	json_object_set_new(r->cli->out, "partitions", areas_out(u, r->dir));
	json_t *nb = json_array();
	for (size_t i = 0; i < u->nskipped; i++)
		json_array_append_new(nb, json_pack("{s:s, s:I, s:s}", "name", u->skipped[i].name, "size",
						    (json_int_t)u->skipped[i].size, "why", u->skipped[i].why));
	json_object_set_new(r->cli->out, "not_backed_up", nb);
	json_object_set_new(r->cli->out, "bad_ranges", bad);
}

int cli_backup_full(struct cli *cli, const char *dir, const struct cli_unit_opts *o)
{
	int rc = prepare_dir(cli, dir, o->force);
	if (rc < 0)
		return cli_fail(cli, rc, NULL);
	struct unit_run *r = calloc(1, sizeof *r);
	if (!r)
		return cli_fail(cli, MTK_E_NOMEM, NULL);
	r->cli = cli;
	r->dir = dir;
	r->flags = o->force ? MTK_OUT_FORCE : 0;
	r->compress = o->compress;
	cli_job_begin(&r->job, strcmp(o->kind, "readback") == 0 ? "readback" : "backup");
	rc = make_unit(r, o->preloader);
	close_log(r, rc);
	memset(&r->sk, 0, sizeof r->sk);
	mtk_fingerprint_free(&r->fp);
	cli_da_close(&r->s);
	snprintf(r->job.scatter, sizeof r->job.scatter, "%.*s", (int)sizeof r->job.scatter - 1, r->scatter);
	cli_job_end(cli, &r->job, rc, false, mtk_ctx_error(cli->ctx));
	if (rc == 0)
		show_unit(r);
	size_t nbad = r->u.nbad;
	mtk_unit_free(&r->u);
	free(r->log_path);
	free(r);
	if (rc < 0)
		return cli_fail(cli, rc, o->kind);
	if (nbad) {
		fprintf(cli_diag(cli), "%s: %s completed with %zu unreadable range(s) (listed above and in %s)\n",
			cli->progname, o->kind, nbad, MTK_UNIT_MANIFEST);
		return EXIT_VERIFY;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------ readback */

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
	struct cli_unit_opts o = { .preloader = a.preloader, .force = a.force, .kind = "readback" };
	return cli_backup_full(cli, argv[first], &o);
}
