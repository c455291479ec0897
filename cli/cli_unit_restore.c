/* SPDX-License-Identifier: MIT */
/* mtkflash backup restore DIR: put a full backup unit back (docs/backup.md).
 *
 * Before the phone is touched: the unit's SHA256SUMS must be signed by a
 * trusted key (this station's, or one in trusted-keys), every file it and
 * unit.json list must be there and match.  Before anything is written: the
 * phone's id is the unit's, or every protected partition of the other
 * phone's unit is named in --allow-foreign and the service passphrase is
 * given.  Then, on storage whose tables are gone, the unit's own tables go
 * on first (each range read first, written, read back); the partitions are
 * flashed through Verified Mode (plan, journal and stash, read back,
 * rollback, audit log: cli_flash_phone) from the unit's scatter; boot2 last,
 * because the staged preloader write uses it as its copy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_da.h"
#include "cli_flash.h"
#include "cli_unit.h"
#include "cli_verify.h"
#include "mtkflash/backup_unit.h"
#include "mtkflash/manifest.h"
#include "mtkflash/util.h"
#include "mtkflash/vwrite.h"

#define UNIT_MANIFEST_MAX (4u << 20)

bool cli_unit_is_unit(const char *path)
{
	char p[4200];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", path, MTK_UNIT_MANIFEST);
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* ------------------------------------------------------------ the unit's checks */

/* Names (comma separated) of the files check_dir found in `status`. */
static size_t names_with(const struct mtk_entry_check *c, size_t n, enum mtk_entry_status status, char *out,
			 size_t cap)
{
	size_t k = 0, used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (c[i].status == status && used < cap)
			used += (size_t)snprintf(out + used, cap - used, "%s%s", k++ ? ", " : "", c[i].name);
	return k;
}

static int check_files(struct cli *cli, const char *dir, const struct mtk_manifest *m)
{
	struct mtk_entry_check *c = NULL;
	size_t n = 0;
	char list[1024];
	int rc = mtk_manifest_check_dir(cli->ctx, dir, m, &c, &n);
	if (rc > 0 && names_with(c, n, MTK_ENTRY_MISSING, list, sizeof list))
		rc = mtk_fail(cli->ctx, MTK_E_VERIFY, "incomplete backup unit %s: missing %s", dir, list);
	else if (rc > 0 && names_with(c, n, MTK_ENTRY_MISMATCH, list, sizeof list))
		rc = mtk_fail(cli->ctx, MTK_E_VERIFY, "backup unit %s was altered: %s differ%s from its signed SHA256SUMS",
			      dir, list, strchr(list, ',') ? "" : "s");
	else if (rc > 0)
		rc = 0; /* unlisted files (notes a user left) are not part of the unit */
	mtk_entry_checks_free(c, n);
	return rc;
}

static int check_signature(struct cli *cli, const char *dir, struct mtk_manifest *m)
{
	char station[4096], pub[4200], trust[4096];
	const char *files[1];
	size_t nfiles = 0;
	if (cli_station_dir(station, sizeof station)) {
		snprintf(pub, sizeof pub, "%s/station.pub", station);
		if (access(pub, R_OK) == 0)
			files[nfiles++] = pub;
	}
	int rc = mtk_manifest_load(cli->ctx, dir, files, nfiles, cli_trust_dir(trust, sizeof trust), m);
	if (rc < 0)
		return rc;
	if (m->count == 0)
		return mtk_fail(cli->ctx, MTK_E_VERIFY, "%s has no SHA256SUMS: not a signed backup unit", dir);
	if (m->sig != MTK_SIG_TRUSTED)
		return mtk_fail(cli->ctx, MTK_E_VERIFY, "backup unit %s: SHA256SUMS signature %s (%s): altered, or made "
				"at a station whose key is not in trusted-keys", dir, mtk_sig_state_name(m->sig),
				m->sig_detail);
	return 0;
}

/* Every area's file is listed, holding exactly the area's bytes. */
static int check_areas(struct cli *cli, const char *dir, const struct mtk_unit *u, const struct mtk_manifest *m)
{
	char missing[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < u->count; i++) {
		const uint8_t *sha = mtk_manifest_lookup(m, u->areas[i].file);
		if (!sha && used < sizeof missing)
			used += (size_t)snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "",
						 u->areas[i].file);
		/* a .zst file's own hash is SHA256SUMS's; its bytes are checked as it expands */
		else if (sha && !u->areas[i].zstd && memcmp(sha, u->areas[i].sha256, 32) != 0)
			return mtk_fail(cli->ctx, MTK_E_VERIFY, "backup unit %s: %s's SHA-256 in %s is not the one "
					"SHA256SUMS signs", dir, u->areas[i].file, MTK_UNIT_MANIFEST);
	}
	if (missing[0])
		return mtk_fail(cli->ctx, MTK_E_VERIFY, "incomplete backup unit %s: missing %s", dir, missing);
	if (!mtk_manifest_lookup(m, u->scatter) || !mtk_manifest_lookup(m, MTK_UNIT_MANIFEST))
		return mtk_fail(cli->ctx, MTK_E_VERIFY, "incomplete backup unit %s: missing %s or %s", dir, u->scatter,
				MTK_UNIT_MANIFEST);
	return 0;
}

static int load_unit(struct cli *cli, const char *dir, struct mtk_unit *u)
{
	struct mtk_manifest m;
	memset(&m, 0, sizeof m);
	memset(u, 0, sizeof *u);
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, MTK_UNIT_MANIFEST);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = check_signature(cli, dir, &m);
	if (rc == 0)
		rc = check_files(cli, dir, &m);
	if (rc == 0)
		rc = mtk_read_small_file(cli->ctx, path, UNIT_MANIFEST_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_unit_parse(cli->ctx, (const char *)buf, len, path, u);
	if (rc == 0)
		rc = check_areas(cli, dir, u, &m);
	free(buf);
	mtk_manifest_free(&m);
	return rc;
}

/* ------------------------------------------------------------ the phone's checks */

static bool allowed(const struct cli_restore_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nallow; i++)
		if (strcmp(o->allow_foreign[i], name) == 0)
			return true;
	return false;
}

/* Another phone's IMEI and calibration would clone it: refused unless each
 * protected area is named and the service passphrase checked. */
static int check_owner(struct cli *cli, const struct mtk_unit *u, const char *device_id,
		       const struct cli_restore_opts *o)
{
	if (strcmp(device_id, u->device_id) == 0)
		return 0;
	char list[1024] = "";
	size_t used = 0, nprotected = 0;
	for (size_t i = 0; i < u->count; i++) {
		nprotected += u->areas[i].cls == MTK_UNIT_PROTECTED;
		if (u->areas[i].cls == MTK_UNIT_PROTECTED && !allowed(o, u->areas[i].name) && used < sizeof list)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "",
						 u->areas[i].name);
	}
	if (nprotected == 0)
		return 0; /* nothing device-unique to clone */
	if (list[0])
		return mtk_fail(cli->ctx, MTK_E_POLICY, "the unit is of device %s, this phone is %s: restoring it would "
				"write the other phone's protected partitions %s (IMEI, calibration); nothing was "
				"written (service mode overrides by name: --allow-foreign %s with the passphrase)",
				u->device_id, device_id, list, list);
	int rc = cli_service_unlock(cli, o->passphrase_fd);
	return rc < 0 ? mtk_wrap(cli->ctx, rc, "--allow-foreign needs service mode") : 0;
}

static int check_fits(struct cli *cli, struct mtk_da *da, const struct mtk_unit *u)
{
	for (size_t i = 0; i < u->count; i++) {
		const struct mtk_unit_area *a = &u->areas[i];
		uint64_t have = mtk_da_region_size(da, a->region);
		if (a->offset > have || a->size > have - a->offset)
			return mtk_fail(cli->ctx, MTK_E_POLICY, "%s (%s 0x%llx + 0x%llx) does not fit this phone's %s "
					"area (0x%llx bytes)", a->name, mtk_region_name(a->region),
					(unsigned long long)a->offset, (unsigned long long)a->size,
					mtk_region_name(a->region), (unsigned long long)have);
	}
	return 0;
}

/* ------------------------------------------------------------ raw areas */

/* An area written straight from the unit (tables, boot2): what already
 * matches is skipped, the rest written and read back. */
static int put_area(struct cli *cli, struct mtk_da *da, const char *dir, const struct mtk_unit_area *a)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, a->file);
	struct mtk_vwrite_req req = { .partition = a->name, .region = a->region, .offset = a->offset,
				      .max_len = a->size, .image = path, .format = MTK_VWRITE_RAW, .retries = 1,
				      .read_first = true };
	struct mtk_vwrite_result res;
	memset(&res, 0, sizeof res);
	int rc = mtk_vwrite(cli->ctx, da, &req, &res);
	mtk_vwrite_result_free(&res);
	if (rc < 0)
		return mtk_wrap(cli->ctx, rc, "restoring %s", a->name);
	cli_print(cli, "  %-10s %-5s 0x%llx bytes: %s\n", a->name, mtk_region_name(a->region),
		  (unsigned long long)a->size, res.bytes_skipped == res.data_bytes ? "already as in the unit"
										    : "written and verified");
	return 0;
}

static int put_class(struct cli *cli, struct mtk_da *da, const char *dir, const struct mtk_unit *u,
		     enum mtk_unit_class cls, enum mtk_region region)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < u->count; i++)
		if (u->areas[i].cls == cls && u->areas[i].region == region)
			rc = put_area(cli, da, dir, &u->areas[i]);
	return rc;
}

/* The first session: the phone's checks, then its tables. */
static int prepare_phone(struct cli *cli, const char *dir, const struct mtk_unit *u, const struct cli_restore_opts *o)
{
	struct cli_da s;
	char dev[MTK_DEVICE_ID_MAX] = "";
	int rc = cli_da_open(cli, o->preloader, &s);
	if (rc == 0)
		rc = mtk_da_device_id(s.da, dev);
	if (rc == 0)
		rc = check_owner(cli, u, dev, o);
	if (rc == 0)
		rc = check_fits(cli, s.da, u);
	if (rc == 0)
		rc = put_class(cli, s.da, dir, u, MTK_UNIT_TABLE, MTK_REGION_USER);
	cli_da_close(&s);
	return rc;
}

static int finish_phone(struct cli *cli, const char *dir, const struct mtk_unit *u, const struct cli_restore_opts *o)
{
	struct cli_da s;
	int rc = cli_da_open(cli, o->preloader, &s);
	if (rc == 0)
		rc = put_class(cli, s.da, dir, u, MTK_UNIT_BOOT, MTK_REGION_BOOT2);
	cli_da_close(&s);
	return rc;
}

/* ------------------------------------------------------------ Verified Mode */

/* Everything the scatter lists with an image: the download scene with these
 * named writes protected partitions and the preloader too. */
static int select_all(struct cli *cli, const struct mtk_unit *u, struct cli_plan_args *a)
{
	for (size_t i = 0; i < u->count; i++) {
		const struct mtk_unit_area *ar = &u->areas[i];
		if (ar->cls == MTK_UNIT_TABLE || ar->region == MTK_REGION_BOOT2)
			continue;
		if (a->nonly == CLI_PLAN_MAX_LIST)
			return mtk_fail(cli->ctx, MTK_E_UNSUPPORTED, "the unit has more than %d partitions to write",
					CLI_PLAN_MAX_LIST);
		a->only[a->nonly++] = ar->name;
	}
	return 0;
}

static int flash_unit(struct cli *cli, const char *dir, const struct mtk_unit *u, const struct cli_restore_opts *o)
{
	struct cli_plan_args a;
	cli_plan_args_init(&a);
	char scatter[4200], station[4096], pub[4200];
	snprintf(scatter, sizeof scatter, "%s/%s", dir, u->scatter);
	if (cli_station_dir(station, sizeof station)) {
		snprintf(pub, sizeof pub, "%s/station.pub", station);
		a.trust[a.ntrust++] = pub;
	}
	a.preloader = o->preloader;
	a.yes = o->yes;
	/* A unit always writes the preloader and protected partitions (a medium
	 * score, which safe mode refuses outright): quick mode asks instead,
	 * and with no expendable partitions every one is stashed first. */
	a.expendable_set = true;
	int status = select_all(cli, u, &a) < 0 ? cli_fail(cli, MTK_E_UNSUPPORTED, "backup restore") : -1;
	struct cli_flash_hooks hooks = { .kind = "backup" };
	struct cli_flash_report rep;
	if (status < 0)
		status = cli_flash_phone(cli, &a, MTK_SCENE_DOWNLOAD, MTK_FMODE_QUICK, scatter, &hooks, &rep);
	cli_plan_args_free(&a);
	return status;
}

/* ------------------------------------------------------------ compressed units */

static bool any_zstd(const struct mtk_unit *u)
{
	for (size_t i = 0; i < u->count; i++)
		if (u->areas[i].zstd)
			return true;
	return false;
}

static int expand_area(struct cli *cli, const char *dir, const char *tmp, struct mtk_unit_area *a)
{
	char src[4200], dst[4200];
	uint8_t sha[32];
	snprintf(src, sizeof src, "%s/%s", dir, a->file);
	char *dot = strrchr(a->file, '.');
	if (!a->zstd || !dot || strcmp(dot, ".zst") != 0)
		return mtk_fail(cli->ctx, MTK_E_VERIFY, "%s: in a compressed unit every area is NAME.zst", a->file);
	*dot = '\0';
	snprintf(dst, sizeof dst, "%s/%s", tmp, a->file);
	int rc = mtk_unit_decompress(cli->ctx, src, dst, a->size, sha);
	if (rc == 0 && memcmp(sha, a->sha256, 32) != 0)
		rc = mtk_fail(cli->ctx, MTK_E_VERIFY, "%s does not expand to the SHA-256 unit.json gives %s", src, a->name);
	return rc;
}

static int copy_small(struct cli *cli, const char *src, const char *dst)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = mtk_read_small_file(cli->ctx, src, UNIT_MANIFEST_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_write_file_safely(cli->ctx, dst, buf, len, MTK_OUT_PRIVATE);
	free(buf);
	return rc;
}

/* The areas of a --compress unit into a private folder of plain images, each
 * checked against unit.json; u's file names become theirs. */
static int expand_unit(struct cli *cli, const char *dir, struct mtk_unit *u, char *tmp, size_t cap)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmp, cap, "%s/mtkflash-restore-XXXXXX", base && base[0] == '/' ? base : "/tmp");
	if (!mkdtemp(tmp))
		return mtk_fail(cli->ctx, MTK_E_IO, "cannot make a folder for the expanded unit (%s): %s", tmp,
				strerror(errno));
	char src[4200], dst[4200];
	snprintf(src, sizeof src, "%s/%s", dir, u->scatter);
	snprintf(dst, sizeof dst, "%s/%s", tmp, u->scatter);
	int rc = copy_small(cli, src, dst);
	for (size_t i = 0; rc == 0 && i < u->count; i++)
		rc = expand_area(cli, dir, tmp, &u->areas[i]);
	return rc;
}

static void remove_expanded(const char *tmp, const struct mtk_unit *u)
{
	char path[4200];
	for (size_t i = 0; i < u->count; i++) {
		snprintf(path, sizeof path, "%s/%s", tmp, u->areas[i].file);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/%s", tmp, u->scatter);
	unlink(path);
	rmdir(tmp);
}

/* A wiped phone comes up in BROM mode, where the DA needs DRAM settings:
 * the unit's own preloader has this phone's. */
static const char *unit_preloader(const char *dir, const struct mtk_unit *u, char *buf, size_t cap)
{
	for (size_t i = 0; i < u->count; i++)
		if (u->areas[i].region == MTK_REGION_BOOT1) {
			snprintf(buf, cap, "%s/%s", dir, u->areas[i].file);
			return buf;
		}
	return NULL;
}

static int restore_from(struct cli *cli, const char *dir, const struct mtk_unit *u,
			const struct cli_restore_opts *given)
{
	struct cli_restore_opts opts = *given, *o = &opts;
	char pl[4200];
	if (!o->preloader)
		o->preloader = unit_preloader(dir, u, pl, sizeof pl);
	/* The sessions in between keep the DA; --after applies to the last. */
	int after = cli->after;
	cli->after = MTK_AFTER_STAY;
	int rc = prepare_phone(cli, dir, u, o);
	int status = rc < 0 ? cli_fail(cli, rc, "backup restore") : flash_unit(cli, dir, u, o);
	cli->after = after;
	if (status == EXIT_OK && (rc = finish_phone(cli, dir, u, o)) < 0)
		status = cli_fail(cli, rc, "backup restore");
	return status;
}

int cli_unit_restore(struct cli *cli, const char *dir, const struct cli_restore_opts *o)
{
	struct mtk_unit u;
	char tmp[4096] = "";
	int rc = load_unit(cli, dir, &u);
	if (rc == 0 && any_zstd(&u))
		rc = expand_unit(cli, dir, &u, tmp, sizeof tmp);
	int status = rc < 0 ? cli_fail(cli, rc, "backup restore") : -1;
	if (status < 0) {
		cli_print(cli, "backup unit %s: device %s, %s, %zu areas, signed%s; restoring\n", dir, u.device_id,
			  u.chip, u.count, tmp[0] ? ", expanded" : "");
		for (size_t i = 0; i < u.nbad; i++)
			mtk_warn(cli->ctx, "%s +0x%llx (0x%llx bytes) could not be read when the unit was made: it is "
				 "restored as zeros", u.bad[i].area, (unsigned long long)u.bad[i].offset,
				 (unsigned long long)u.bad[i].length);
		status = restore_from(cli, tmp[0] ? tmp : dir, &u, o);
	}
	if (status == EXIT_OK)
		cli_print(cli, "backup restore: %s is back on the phone, every area verified\n", dir);
	if (cli->json)
		json_object_set_new(cli->out, "unit", cli_json_str(dir));
	if (tmp[0])
		remove_expanded(tmp, &u);
	mtk_unit_free(&u);
	return status;
}
