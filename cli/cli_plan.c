/* SPDX-License-Identifier: MIT */
/* What plan and flash share (cli_plan.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_plan.h"
#include "cli_verify.h"
#include "mtkflash/backup.h"
#include "mtkflash/util.h"

enum { OPT_SCENE = 256, OPT_MODE, OPT_ONLY, OPT_SKIP, OPT_OVERRIDE, OPT_TRUST, OPT_PRELOADER, OPT_PASSFD, OPT_YES,
       OPT_AUDIT, OPT_EXPENDABLE, OPT_POLICY, OPT_REPORT };

#define PLAN_OPTIONS                                                   \
	{ "scene", required_argument, NULL, OPT_SCENE },               \
	{ "mode", required_argument, NULL, OPT_MODE },                 \
	{ "only", required_argument, NULL, OPT_ONLY },                 \
	{ "skip", required_argument, NULL, OPT_SKIP },                 \
	{ "override", required_argument, NULL, OPT_OVERRIDE },         \
	{ "trust", required_argument, NULL, OPT_TRUST },               \
	{ "preloader", required_argument, NULL, OPT_PRELOADER },       \
	{ "policy", required_argument, NULL, OPT_POLICY },             \
	{ "help", no_argument, NULL, 'h' }

const struct option cli_plan_options[] = {
	PLAN_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

const struct option cli_flash_options[] = {
	PLAN_OPTIONS,
	{ "passphrase-fd", required_argument, NULL, OPT_PASSFD },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "expendable", required_argument, NULL, OPT_EXPENDABLE },
	{ NULL, 0, NULL, 0 },
};

void cli_plan_args_init(struct cli_plan_args *a)
{
	memset(a, 0, sizeof *a);
	a->passphrase_fd = -1;
}

void cli_plan_args_free(struct cli_plan_args *a)
{
	for (size_t i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	a->nowned = 0;
}

/* "a,b" → two entries. */
static void add_list(struct cli_plan_args *a, const char **list, size_t *n, const char *val)
{
	char *copy = a->nowned < CLI_PLAN_MAX_LIST * 2 ? strdup(val) : NULL;
	if (!copy) {
		a->too_many = true;
		return;
	}
	a->owned[a->nowned++] = copy;
	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n >= CLI_PLAN_MAX_LIST) {
			a->too_many = true;
			return;
		}
		list[(*n)++] = t;
	}
}

int cli_plan_on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct cli_plan_args *a = args;
	switch (opt) {
	case OPT_SCENE:
		a->scene = val;
		break;
	case OPT_MODE:
		a->mode = val;
		break;
	case OPT_ONLY:
		add_list(a, a->only, &a->nonly, val);
		break;
	case OPT_SKIP:
		add_list(a, a->skip, &a->nskip, val);
		break;
	case OPT_OVERRIDE:
		add_list(a, a->override, &a->noverride, val);
		break;
	case OPT_TRUST:
		add_list(a, a->trust, &a->ntrust, val);
		break;
	case OPT_PASSFD: {
		unsigned long long fd;
		if (cli_parse_size(val, &fd) < 0 || fd > 1024)
			return cli_usage(cli, "flash", "--passphrase-fd %s: a file descriptor number", val);
		a->passphrase_fd = (int)fd;
		break;
	}
	case OPT_POLICY:
		a->policy = val;
		break;
	case OPT_YES:
		a->yes = true;
		break;
	case OPT_AUDIT:
		a->audit = val;
		break;
	case OPT_REPORT:
		a->report = val;
		break;
	case OPT_EXPENDABLE:
		a->expendable_set = true;
		add_list(a, a->expendable, &a->nexpendable, val);
		break;
	default:
		a->preloader = val;
		break;
	}
	return CLI_CONTINUE;
}

/* ------------------------------------------------------------ connecting */

static bool is_file(const char *p)
{
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A phone in BROM mode needs DRAM settings: by default the package's own
 * preloader's, whose record for this board the DA picks by the flash id.
 * A package preloader that cannot be read is no reason to fail a device
 * that does not need it. */
static int connect(struct cli *cli, const struct cli_plan_args *a, const struct mtk_scatter *s, struct cli_da *sd)
{
	if (a->preloader)
		return cli_da_open(cli, a->preloader, sd);
	char *pl = cli_scatter_preloader(s);
	int rc = cli_da_open(cli, is_file(pl) ? pl : NULL, sd);
	if (rc < 0 && is_file(pl) && !sd->tp) {
		mtk_warn(cli->ctx, "the package's preloader gives no DRAM settings (%s): connecting without",
			 mtk_ctx_error(cli->ctx));
		mtk_ctx_clear_error(cli->ctx);
		cli_da_close(sd);
		rc = cli_da_open(cli, NULL, sd);
	}
	free(pl);
	return rc;
}

void cli_plan_package_verdict(struct cli *cli, const struct cli_plan_args *a, const char *path, bool virtual_device,
			      struct cli_pkg_verdict *v)
{
	const char *trust[CLI_PLAN_MAX_LIST + 1];
	size_t n = 0;
	for (; n < a->ntrust && n < CLI_PLAN_MAX_LIST; n++)
		trust[n] = a->trust[n];
	const char *demo = virtual_device ? cli_demo_key_path() : NULL;
	if (demo) {
		mtk_info(cli->ctx, "software device: trusting the mtkemu demo key %s", demo);
		trust[n++] = demo;
	}
	struct cli_pkg_cache *c = a->pkg;
	if (c)
		pthread_mutex_lock(&c->lock);
	if (c && c->have[demo != NULL]) {
		*v = c->v[demo != NULL];
	} else {
		if (cli_package_verdict(cli, path, trust, n, v) < 0)
			mtk_ctx_clear_error(cli->ctx);
		if (c) {
			c->v[demo != NULL] = *v;
			c->have[demo != NULL] = true;
			c->judged++;
		}
	}
	if (c)
		pthread_mutex_unlock(&c->lock);
}

/* Only a backup that still verifies counts (docs/verified-mode.md). */
static bool backup_on_record(struct cli *cli, const char *device_id)
{
	char root[4096];
	if (!cli_backup_root(root, sizeof root))
		return false;
	int rc = mtk_backup_has_for_device(cli->ctx, root, device_id);
	mtk_ctx_clear_error(cli->ctx);
	return rc == 1;
}

/* ------------------------------------------------------------- printing */

static void print_fingerprint(struct cli *cli, const struct mtk_fingerprint *fp)
{
	const struct mtk_brom_info *b = &fp->brom;
	char me[33] = "-", cid[33];
	if (b->have_me_id)
		mtk_hex_encode(me, b->me_id, b->me_id_len > 16 ? 16 : b->me_id_len);
	mtk_hex_encode(cid, fp->storage.cid, 16);
	cli_print(cli, "device %s\n", fp->device_id);
	cli_print(cli, "  chip %s (hw 0x%04x, hw/sw ver 0x%04x/0x%04x), %s mode, BL ver %u, target config 0x%08x\n",
		  b->chip ? b->chip->name : "?", b->hw_code, b->hw_ver, b->sw_ver,
		  b->mode == MTK_MODE_BROM ? "BROM" : "preloader", b->bl_ver, b->target_config);
	cli_print(cli, "  ME_ID %s\n", me);
	cli_print(cli, "  storage %s: boot1 %llu KiB, boot2 %llu KiB, user %llu MiB, CID %s\n", fp->storage.type,
		  (unsigned long long)(fp->storage.regions.size[MTK_REGION_BOOT1] >> 10),
		  (unsigned long long)(fp->storage.regions.size[MTK_REGION_BOOT2] >> 10),
		  (unsigned long long)(fp->storage.regions.size[MTK_REGION_USER] >> 20), cid);
	if (strcmp(fp->da.protocol, "xflash") == 0)
		cli_print(cli, "  DA %s %s, partition table category 0x%x, packets write 0x%x / read 0x%x\n",
			  fp->da.protocol, fp->da.version[0] ? fp->da.version : "?", fp->da.ptable_category,
			  fp->da.write_packet_len, fp->da.read_packet_len);
	char sha[65];
	mtk_hex_encode(sha, fp->table_sha256, 32);
	cli_print(cli, "  table %s, %zu partitions, SHA-256 %s\n", mtk_ptable_kind_name(fp->table.kind),
		  fp->table.count, sha);
	if (fp->have_preloader)
		cli_print(cli, "  preloader %s (board %s, %u EMI records)\n", fp->preloader.name[0] ? fp->preloader.name : "?",
			  fp->preloader.board[0] ? fp->preloader.board : "?", fp->preloader.emi_count);
	else
		cli_print(cli, "  preloader: %s\n", fp->preloader_note);
}

static void print_plan(struct cli *cli, const struct mtk_plan *p)
{
	cli_print(cli, "\nplan: scene %s; %s\n", mtk_scene_name(p->scene), p->chip_note);
	cli_print(cli, "%-16s %-14s %-6s %-10s %-6s %12s %12s  %s\n", "partition", "device name", "action", "class",
		  "region", "offset", "bytes", "note");
	for (size_t i = 0; i < p->count; i++) {
		const struct mtk_plan_entry *e = &p->entries[i];
		char action[16];
		snprintf(action, sizeof action, "%s%s", e->erase_first ? "erase+" : "", mtk_plan_action_name(e->action));
		cli_print(cli, "%-16s %-14s %-6s %-10s %-6s %#12llx %12llu  %s%s%s\n", e->name[0] ? e->name : "-",
			  e->device_name[0] ? e->device_name : "", action, mtk_plan_class_name(e->cls),
			  mtk_region_name(e->region), (unsigned long long)e->offset, (unsigned long long)e->bytes,
			  mtk_plan_match_name(e->match), e->note[0] ? ": " : "", e->note);
	}
	cli_print(cli, "%llu bytes to write%s\n", (unsigned long long)p->total_bytes,
		  p->layout_change ? "; the partition table must change" : "");
	if (p->preloader_selected && p->preloader_note[0])
		cli_print(cli, "preloader: %s%s\n", p->preloader_staged ? "staged (boot2, then boot1); " : "",
			  p->preloader_note);
	for (size_t i = 0; i < p->nrefusals; i++)
		cli_print(cli, "refused: %s\n", p->refusals[i]);
}

static void print_risk(struct cli *cli, const struct mtk_risk *r, const struct mtk_decision *d,
		       enum mtk_flash_mode mode)
{
	cli_print(cli, "\nrisk %u/100 (%s)\n", r->score, mtk_risk_level_name(r->level));
	for (size_t i = 0; i < r->count; i++) {
		const struct mtk_risk_item *it = &r->items[i];
		if (it->state == MTK_RISK_INACTIVE)
			continue;
		cli_print(cli, "  %+4u %-22s %-7s %s%s%s\n", it->contribution, it->factor->name,
			  mtk_risk_state_name(it->state), it->factor->what, it->detail[0] ? ": " : "", it->detail);
	}
	cli_print(cli, "%s mode: %s\n", mtk_mode_name(mode), mtk_verdict_name(d->verdict));
	for (size_t i = 0; i < d->nreasons; i++)
		cli_print(cli, "  %s\n", d->reasons[i]);
}

/* ------------------------------------------------------------- the run */

static int assess(struct cli *cli, const struct cli_plan_args *a, bool unlocked, struct cli_plan_run *r)
{
	struct mtk_risk_input in = {
		.have_manifest = r->pkg.have_manifest,
		.sig = (enum mtk_sig_state)r->pkg.sig,
		.checksum_mismatch = r->pkg.checksum_mismatch,
		.nvram_backup_on_record = r->nvram_backup = backup_on_record(cli, r->fp.device_id),
		.battery_mv = -1,
	};
	snprintf(in.checksum_detail, sizeof in.checksum_detail, "%s", r->pkg.detail);
	struct mtk_overrides ov = { a->override, a->noverride, unlocked };
	int rc = mtk_risk_assess(cli->ctx, &r->fp, &r->plan, &in, &r->risk);
	return rc < 0 ? rc : mtk_risk_decide(cli->ctx, &r->risk, (enum mtk_flash_mode)r->mode, &ov, &r->d);
}

int cli_plan_prepare(struct cli *cli, const struct cli_plan_args *a, const char *path, bool unlocked,
		     struct cli_plan_run *r, struct cli_da *keep)
{
	struct mtk_scatter *s = NULL;
	int rc = cli_load_scatter(cli, path, &s);
	if (rc < 0)
		return rc;
	struct cli_da local;
	struct cli_da *sd = keep ? keep : &local;
	rc = connect(cli, a, s, sd);
	if (rc == 0)
		cli_plan_package_verdict(cli, a, path, mtk_transport_is_virtual(sd->tp), &r->pkg);
	if (rc == 0)
		rc = mtk_fingerprint_take(cli->ctx, sd->da, &r->fp);
	if (!keep)
		cli_da_close(sd);
	struct mtk_plan_opts o = { (enum mtk_scene)r->scene, a->only, a->nonly, a->skip, a->nskip, NULL };
	if (rc == 0)
		rc = mtk_plan_build(cli->ctx, &r->fp, s, &o, &r->plan);
	if (rc == 0)
		rc = assess(cli, a, unlocked, r);
	cli_free_scatter(s);
	return rc;
}

void cli_plan_show(struct cli *cli, const struct cli_plan_run *r)
{
	enum mtk_flash_mode mode = (enum mtk_flash_mode)r->mode;
	print_fingerprint(cli, &r->fp);
	print_plan(cli, &r->plan);
	print_risk(cli, &r->risk, &r->d, mode);
	if (cli->json) {
		json_object_set_new(cli->out, "fingerprint", mtk_fingerprint_to_json(&r->fp));
		json_object_set_new(cli->out, "plan", mtk_plan_to_json(&r->plan));
		json_object_set_new(cli->out, "risk", mtk_risk_to_json(&r->risk));
		json_t *d = mtk_decision_to_json(&r->d);
		json_object_set_new(d, "mode", json_string(mtk_mode_name(mode)));
		json_object_set_new(cli->out, "decision", d);
	}
}

int cli_plan_verdict(struct cli *cli, const struct cli_plan_run *r)
{
	if (r->plan.nrefusals)
		return cli_fail(cli, mtk_fail(cli->ctx, MTK_E_POLICY, "the plan is refused: %s", r->plan.refusals[0]),
				NULL);
	if (r->d.verdict == MTK_VERDICT_REFUSE)
		return cli_fail(cli, mtk_fail(cli->ctx, MTK_E_POLICY, "%s mode refuses: %s",
					      mtk_mode_name((enum mtk_flash_mode)r->mode), r->d.reasons[0]),
				NULL);
	return EXIT_OK;
}

void cli_plan_run_free(struct cli_plan_run *r)
{
	mtk_plan_free(&r->plan);
	mtk_fingerprint_free(&r->fp);
	mtk_policy_free(r->policy);
	r->policy = NULL;
}

int cli_plan_check_args(struct cli *cli, const char *cmd, const struct cli_plan_args *a, int nargs, int *scene,
			int *mode)
{
	if (nargs != 1)
		return cli_usage(cli, cmd, nargs ? "one scatter file, please" : "which scatter file?");
	if (a->too_many)
		return cli_usage(cli, cmd, "at most %d names per list", CLI_PLAN_MAX_LIST);
	*scene = a->scene ? mtk_scene_parse(a->scene) : MTK_SCENE_DOWNLOAD;
	*mode = a->mode ? mtk_mode_parse(a->mode) : MTK_FMODE_SAFE;
	if (*scene < 0)
		return cli_usage(cli, cmd, "--scene %s: download, upgrade or format-all", a->scene);
	if (*mode < 0)
		return cli_usage(cli, cmd, "--mode %s: safe, quick or service", a->mode);
	for (size_t i = 0; i < a->noverride; i++) {
		const struct mtk_risk_factor *f = mtk_risk_factor_by_name(a->override[i]);
		if (!f)
			return cli_usage(cli, cmd, "--override %s: no such risk factor", a->override[i]);
		if (*mode != MTK_FMODE_SERVICE)
			return cli_usage(cli, cmd, "--override needs --mode service");
		if (f->flags & MTK_RISK_HARD)
			return cli_usage(cli, cmd, "--override %s: %s cannot be overridden", f->name, f->what);
	}
	/* safe mode's promise is a rollback of every written partition */
	if (a->expendable_set && *mode != MTK_FMODE_QUICK)
		return cli_usage(cli, cmd, "--expendable needs --mode quick (safe and service stash every partition)");
	return CLI_CONTINUE;
}
