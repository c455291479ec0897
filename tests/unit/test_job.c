/* SPDX-License-Identifier: MIT */
/* The verified-flash job (mtkflash/job.h) end to end, as a front end drives
 * it: an in-process emulated MT6737 (emu: port, a state folder), the sample
 * package mtkemu makes, the public API only.  A verified flash shows every
 * stage, progress and a signed log and report, and leaves the package's
 * images on the phone; a decide hook that says no leaves the phone as it
 * was; a cancel in the middle of a write rolls back to the phone as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_fw.h"
#include "emu_storage.h"
#include "mtkemu_port.h"
#include "mtkflash/audit.h"
#include "mtkflash/job.h"
#include "mtkflash/manifest.h"
#include "mtkflash/util.h"
#include "testutil.h"
#include "testflash.h"

struct fixture {
	char dir[256];
	char scatter[1024];
	char state[320], history[320], report[320];
};

/* What the callbacks saw. */
struct seen {
	char events[512];       /* "connect DA journal backup write verify finish " */
	unsigned progress;      /* reports during the write stage */
	double last_rate;
	int decide_calls;
	bool plan_had_writes;
	char device_id[128];
	int answer;             /* what decide says */
	volatile sig_atomic_t cancel;
	bool cancel_in_write;   /* set the flag in the middle of the first write */
};

static void on_stage(void *user, enum mtk_job_stage stage, const char *event, const char *detail)
{
	struct seen *s = user;
	(void)detail;
	assert_string_not_equal(mtk_job_stage_name(stage), "?");
	size_t n = strlen(s->events);
	snprintf(s->events + n, sizeof s->events - n, "%s ", event);
}

static void on_progress(void *user, const struct mtk_job_progress *p)
{
	struct seen *s = user;
	if (p->stage != MTK_JOB_WRITE)
		return;
	s->progress++;
	s->last_rate = p->bytes_per_s;
	assert_true(p->done <= p->total);
	if (s->cancel_in_write && p->done > 0 && p->done < p->total)
		__atomic_store_n(&s->cancel, 1, __ATOMIC_SEQ_CST);
}

static int decide(void *user, mtk_ctx *ctx, const struct mtk_job_plan *p, const char **confirmed)
{
	struct seen *s = user;
	s->decide_calls++;
	s->plan_had_writes = p->plan->count > 0 && p->plan->total_bytes > 0;
	snprintf(s->device_id, sizeof s->device_id, "%s", p->fp->device_id);
	assert_false(p->refused);
	assert_non_null(p->risk);
	assert_non_null(p->decision);
	*confirmed = "unit test";
	if (s->answer < 0)
		return mtk_fail(ctx, s->answer, "the unit test says no");
	return 0;
}

static const struct mtk_job_callbacks callbacks = {
	.on_stage = on_stage,
	.on_progress = on_progress,
	.decide = decide,
};

/* ---- fixtures -------------------------------------------------------------------- */

/* Everything the job keeps on the host goes into the test's folder. */
static void set_xdg(const char *dir)
{
	static const char *const vars[] = { "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR" };
	for (size_t i = 0; i < 4; i++) {
		char p[400];
		snprintf(p, sizeof p, "%s/%s", dir, vars[i]);
		setenv(vars[i], p, 1);
	}
	unsetenv("MTKFLASH_HISTORY");
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	test_mkdtemp(f->dir, sizeof f->dir, "test_job");
	set_xdg(f->dir);
	char pkg[400];
	snprintf(pkg, sizeof pkg, "%s/pkg", f->dir);
	char *argv[] = { "mkfirmware", "--chip", "mt6737", "--out", pkg, NULL };
	assert_int_equal(emu_mkfirmware_main(5, argv), 0);
	test_find_scatter(pkg, f->scatter, sizeof f->scatter);
	snprintf(f->history, sizeof f->history, "%s/history.db", f->dir);
	assert_int_equal(mtkemu_port_register(), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	test_rmtree(f->dir);
	free(f);
	return 0;
}

/* A new phone for each test. */
static void provision(struct fixture *f, const char *name)
{
	static struct emu_provision_result res; /* large */
	char err[512];
	snprintf(f->state, sizeof f->state, "%s/%s", f->dir, name);
	snprintf(f->report, sizeof f->report, "%s/%s.pdf", f->dir, name);
	struct emu_provision_opts o = { .chip = "mt6737", .state_dir = f->state };
	if (emu_provision(&o, &res, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static void job_opts(const struct fixture *f, struct mtk_job_opts *o, char *spec, size_t cap)
{
	mtk_job_opts_init(o);
	snprintf(spec, cap, "emu:mt6737,state=%s", f->state);
	o->port = spec;
	o->wait_ms = 0;
	o->scatter = f->scatter;
	o->virtual_da_file = MTKFLASH_BUILD_DA;
	o->virtual_trust = MTKFLASH_BUILD_DEMO_PUB;
	o->history = f->history;
}

/* ---- the phone's storage ------------------------------------------------------------ */

static void hash_range(EVP_MD_CTX *md, const char *path, uint64_t off, uint64_t len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return; /* a region this phone lacks */
	uint8_t buf[65536];
	assert_int_equal(fseeko(fp, (off_t)off, SEEK_SET), 0);
	while (len) {
		size_t n = fread(buf, 1, len < sizeof buf ? (size_t)len : sizeof buf, fp);
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, n);
		len -= n;
	}
	fclose(fp);
}

/* One SHA-256 over what a flash of the package could change: the boot
 * regions whole and every range the plan writes (the user region is large
 * and sparse: hashing all of it would take the test's time). */
static void storage_digest(const struct fixture *f, const struct mtk_plan *plan, uint8_t out[32])
{
	char path[400];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_true(EVP_DigestInit_ex(md, EVP_sha256(), NULL));
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s.bin", f->state, i ? "boot2" : "boot1");
		hash_range(md, path, 0, UINT64_MAX);
	}
	for (size_t i = 0; i < plan->count; i++) {
		const struct mtk_plan_entry *e = &plan->entries[i];
		if (e->action != MTK_ACT_WRITE)
			continue;
		snprintf(path, sizeof path, "%s/%s.bin", f->state, mtk_region_name(e->region));
		hash_range(md, path, e->offset, e->bytes);
	}
	assert_true(EVP_DigestFinal_ex(md, out, NULL));
	EVP_MD_CTX_free(md);
}

/* The raw images of the package are on the phone (a sparse image's holes
 * keep what was there, so those are left out). */
static void expect_package_on_phone(const struct fixture *f, const struct mtk_flash_result *r)
{
	size_t raw = 0;
	for (size_t i = 0; i < r->count; i++) {
		const struct mtk_flash_outcome *o = &r->steps[i];
		if (o->stage != MTK_FSTAGE_WRITE || memcmp(o->file_sha256, o->image_sha256, 32) != 0)
			continue;
		uint8_t md[32];
		assert_int_equal(access(o->image, R_OK), 0); /* the result outlives the job: its plan too */
		test_region_sha256(f->state, o, md);
		assert_memory_equal(md, o->image_sha256, 32);
		raw++;
	}
	assert_true(raw > 0);
}

/* Against this station's key (the job made it in $XDG_DATA_HOME/mtkflash). */
static void expect_log_verifies(const char *path)
{
	mtk_ctx *ctx = mtk_ctx_new();
	char pub[400];
	snprintf(pub, sizeof pub, "%s/mtkflash/station.pub", getenv("XDG_DATA_HOME"));
	const char *files[] = { pub };
	struct mtk_minisign_pubkey *keys = NULL;
	size_t n = 0;
	struct mtk_audit_report rep;
	assert_true(path[0]);
	assert_int_equal(mtk_trust_load(ctx, files, 1, NULL, &keys, &n), 0);
	assert_int_equal(mtk_audit_verify(ctx, path, keys, n, &rep), 0);
	assert_int_equal(rep.problem, MTK_AUDIT_OK);
	free(keys);
	mtk_ctx_free(ctx);
}

/* The plan-only entry, for the ranges a flash would change. */
static void plan_phone(const struct fixture *f, struct mtk_job_view *v)
{
	struct mtk_job_opts o;
	char spec[400];
	job_opts(f, &o, spec, sizeof spec);
	mtk_ctx *ctx = mtk_ctx_new();
	if (mtk_job_plan(ctx, &o, NULL, v) != 0)
		fail_msg("plan: %s", mtk_ctx_error(ctx));
	mtk_ctx_free(ctx);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void verified_flash(void **state)
{
	struct fixture *f = *state;
	provision(f, "phone-verified");
	struct mtk_job_opts o;
	char spec[400];
	job_opts(f, &o, spec, sizeof spec);
	o.report_path = f->report;
	struct seen s = { 0 };
	struct mtk_job_callbacks cb = callbacks;
	cb.user = &s;
	struct mtk_job_result res;
	mtk_ctx *ctx = mtk_ctx_new();
	int rc = mtk_job_run(ctx, &o, &cb, &res);
	if (rc != 0)
		fail_msg("%s (%s)", res.message, res.status);
	assert_int_equal(res.outcome, MTK_JOB_VERIFIED);
	assert_string_equal(mtk_job_outcome_name(res.outcome), "verified");
	assert_int_equal(s.decide_calls, 1);
	assert_true(s.plan_had_writes);
	assert_string_equal(res.device_id, s.device_id);
	assert_string_equal(res.chip, "MT6737");
	assert_true(res.bytes_written > 0);
	assert_true(strstr(s.events, "connect DA journal ") == s.events);
	assert_non_null(strstr(s.events, " write "));
	assert_non_null(strstr(s.events, " verify finish "));
	assert_true(s.progress > 0);
	assert_true(s.last_rate > 0);
	expect_package_on_phone(f, &res.flash);
	expect_log_verifies(res.audit_log);
	assert_string_equal(res.report, f->report);
	assert_int_equal(access(f->report, F_OK), 0);
	assert_true(res.job_id[0]);
	assert_int_equal(access(f->history, F_OK), 0);
	mtk_job_result_free(&res);
	mtk_ctx_free(ctx);
}

/* A job on a new phone, with the digest of what it could change before
 * (*before) and after (*after). */
static int run_on_new_phone(struct fixture *f, const char *name, struct seen *s, struct mtk_job_result *res,
			    uint8_t before[32], uint8_t after[32])
{
	provision(f, name);
	struct mtk_job_view v;
	plan_phone(f, &v);
	storage_digest(f, &v.plan, before);
	struct mtk_job_opts o;
	char spec[400];
	job_opts(f, &o, spec, sizeof spec);
	o.cancel = &s->cancel;
	struct mtk_job_callbacks cb = callbacks;
	cb.user = s;
	mtk_ctx *ctx = mtk_ctx_new();
	int rc = mtk_job_run(ctx, &o, &cb, res);
	assert_null(mtk_ctx_get_cancel(ctx)); /* the context's own flag is back */
	mtk_ctx_free(ctx);
	expect_log_verifies(res->audit_log); /* a refusal and a rollback are on record too */
	storage_digest(f, &v.plan, after);
	mtk_job_view_free(&v);
	return rc;
}

static void decide_refuses(void **state)
{
	uint8_t before[32], after[32];
	struct seen s = { .answer = MTK_E_POLICY };
	struct mtk_job_result res;
	int rc = run_on_new_phone(*state, "phone-refused", &s, &res, before, after);
	assert_int_equal(rc, MTK_E_POLICY);
	assert_int_equal(res.outcome, MTK_JOB_REFUSED);
	assert_non_null(strstr(res.message, "the unit test says no"));
	assert_int_equal(s.decide_calls, 1);
	assert_int_equal(res.bytes_written, 0);
	assert_int_equal(res.flash.count, 0);
	assert_null(strstr(s.events, "write"));
	assert_memory_equal(before, after, 32);
	mtk_job_result_free(&res);
}

static void cancel_rolls_back(void **state)
{
	uint8_t before[32], after[32];
	struct seen s = { .cancel_in_write = true };
	struct mtk_job_result res;
	int rc = run_on_new_phone(*state, "phone-cancelled", &s, &res, before, after);
	assert_int_equal(s.cancel, 1);
	if (rc != MTK_E_ROLLEDBACK)
		fail_msg("rc %d: %s", rc, res.message);
	assert_int_equal(res.outcome, MTK_JOB_ROLLED_BACK);
	assert_true(res.flash.interrupted);
	assert_true(res.flash.rolled_back);
	assert_non_null(strstr(s.events, "rollback"));
	assert_null(strstr(s.events, "finish"));
	assert_string_equal(res.not_as_before, "");
	assert_memory_equal(before, after, 32);
	mtk_job_result_free(&res);
}

/* The GUI's plan view: everything known, nothing written, no log. */
static void plan_only(void **state)
{
	struct fixture *f = *state;
	provision(f, "phone-plan");
	uint8_t before[32], after[32];
	struct mtk_job_view v;
	plan_phone(f, &v);
	storage_digest(f, &v.plan, before);
	assert_true(v.p.plan->count > 0);
	assert_true(v.p.fp->device_id[0]);
	assert_int_equal(v.p.package->sig, MTK_SIG_TRUSTED);
	assert_false(v.p.refused);
	assert_ptr_equal(v.p.risk, &v.risk);
	struct mtk_job_view again;
	plan_phone(f, &again); /* a second look finds the phone as it was */
	storage_digest(f, &again.plan, after);
	assert_memory_equal(before, after, sizeof before);
	assert_string_equal(again.fp.device_id, v.fp.device_id);
	mtk_job_view_free(&again);
	mtk_job_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verified_flash),
		cmocka_unit_test(decide_refuses),
		cmocka_unit_test(cancel_rolls_back),
		cmocka_unit_test(plan_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
