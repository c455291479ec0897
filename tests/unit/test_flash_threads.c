/* SPDX-License-Identifier: MIT */
/* libmtkflash from several threads of one process, as `mtkflash batch` runs
 * it: each thread flashes its own emulated phone (an in-process emu: port,
 * whose emulator runs on a thread of its own) through the public API only,
 * with its own context, DA session, journal and audit log, while the other
 * threads do the same.  The journal and audit folders are shared, as a
 * station's are.  Every flash must verify, every log must verify, and each
 * phone's storage must hold the package's raw images.  Built under TSan
 * (docs/HACKING.md), this is the test that shows the library's races. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fw.h"
#include "emu_storage.h"
#include "mtkemu_port.h"
#include "mtkflash/audit.h"
#include "mtkflash/dafile.h"
#include "mtkflash/flash.h"
#include "mtkflash/journal.h"
#include "mtkflash/scatter.h"
#include "mtkflash/session.h"
#include "mtkflash/util.h"
#include "mtkflash/verify.h"
#include "testutil.h"
#include "testflash.h"

#define PHONES 3
static const char *const chips[PHONES] = { "mt6737", "mt6572", "mt6737" };

struct shared {
	char dir[256], jroot[320], aroot[320], keydir[320];
	char scatter[2][1024]; /* per chip of chips[0..1] */
};

/* What one thread did; checked by the main thread (cmocka is not
 * thread-safe). */
struct job {
	const struct shared *sh;
	const char *chip, *scatter;
	char state[320];
	int rc;
	char err[512];
	struct mtk_flash_result res;
	char *log_path;
	/* The station key, which every thread asks for at once from a folder
	 * that does not exist yet: one is made, every thread gets it. */
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
};

static void record_error(struct job *j, mtk_ctx *ctx, const char *what)
{
	snprintf(j->err, sizeof j->err, "%s: %s", what, mtk_ctx_error(ctx));
}

static int plan_package(mtk_ctx *ctx, const char *scatter, const struct mtk_fingerprint *fp, struct mtk_plan *plan)
{
	uint8_t *buf = NULL;
	size_t len;
	struct mtk_scatter *s = calloc(1, sizeof *s);
	int rc = s ? mtk_read_small_file(ctx, scatter, 1u << 20, &buf, &len, NULL) : MTK_E_NOMEM;
	if (rc == 0)
		rc = mtk_scatter_parse(ctx, scatter, buf, len, NULL, s);
	free(buf);
	struct mtk_plan_opts po = { .scene = MTK_SCENE_DOWNLOAD };
	if (rc == 0)
		rc = mtk_plan_build(ctx, fp, s, &po, plan);
	if (s)
		mtk_scatter_free(s);
	free(s);
	return rc;
}

/* The flash proper, once the DA runs: journal, audit log, the run. */
static int run_flash(struct job *j, mtk_ctx *ctx, struct mtk_da *da, const struct mtk_fingerprint *fp,
		     const struct mtk_plan *plan)
{
	struct mtk_journal *jn = NULL;
	struct mtk_audit *log = NULL;
	int rc = mtk_journal_create(ctx, j->sh->jroot, fp->device_id, &jn);
	if (rc == 0)
		rc = mtk_audit_open_in(ctx, j->sh->aroot, fp->device_id, &log);
	if (rc < 0) {
		mtk_journal_free(jn);
		return rc;
	}
	struct mtk_flash_opts o = { .audit = log, .journal = jn, .mode = MTK_FMODE_SAFE };
	rc = mtk_flash_run(ctx, da, fp, plan, &o, &j->res);
	int crc = mtk_audit_close(log, &j->sk, &j->log_path);
	mtk_journal_free(jn);
	return rc < 0 ? rc : crc;
}

static void *flash_job(void *arg)
{
	struct job *j = arg;
	mtk_ctx *ctx = mtk_ctx_new();
	char spec[400];
	snprintf(spec, sizeof spec, "emu:%s,state=%s", j->chip, j->state);
	struct mtk_transport *tp = NULL;
	struct mtk_dafile file = { 0 };
	struct mtk_da *da = NULL;
	struct mtk_fingerprint fp = { 0 };
	struct mtk_plan plan = { 0 };
	struct mtk_attach_opts ao = { .reopen_wait_ms = 5000, .speed_switch = true };
	enum mtk_attach_how how;
	/* First, so that the threads ask at the same moment. */
	int rc = mtk_audit_station_key(ctx, j->sh->keydir, &j->sk, &j->pk);
	if (rc == 0)
		rc = mtk_transport_open(ctx, spec, 0, &tp);
	if (rc == 0)
		rc = mtk_dafile_load(ctx, MTKFLASH_BUILD_DA, &file);
	if (rc == 0)
		rc = mtk_da_attach(ctx, tp, &file, MTKFLASH_BUILD_DA, NULL, &ao, &da, &how);
	if (rc == 0)
		rc = mtk_fingerprint_take(ctx, da, &fp);
	if (rc == 0)
		rc = plan_package(ctx, j->scatter, &fp, &plan);
	if (rc == 0)
		rc = run_flash(j, ctx, da, &fp, &plan);
	if (rc < 0)
		record_error(j, ctx, j->state);
	j->rc = rc;
	mtk_plan_free(&plan);
	mtk_fingerprint_free(&fp);
	mtk_da_close(da);
	mtk_transport_close(tp);
	mtk_dafile_free_loaded(&file);
	mtk_ctx_free(ctx);
	return NULL;
}

/* ---- fixtures ------------------------------------------------------------------ */

static void make_package(struct shared *sh, int i)
{
	char pkg[400];
	snprintf(pkg, sizeof pkg, "%s/pkg-%s", sh->dir, chips[i]);
	char *argv[] = { "mkfirmware", "--chip", (char *)chips[i], "--out", pkg, NULL };
	assert_int_equal(emu_mkfirmware_main(5, argv), 0);
	test_find_scatter(pkg, sh->scatter[i], sizeof sh->scatter[i]);
}

static void provision(const struct job *j)
{
	static struct emu_provision_result res; /* large; the main thread only */
	char err[512];
	struct emu_provision_opts o = { .chip = j->chip, .state_dir = j->state };
	if (emu_provision(&o, &res, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static int setup(void **state)
{
	struct shared *sh = calloc(1, sizeof *sh);
	test_mkdtemp(sh->dir, sizeof sh->dir, "test_flash_threads");
	snprintf(sh->jroot, sizeof sh->jroot, "%s/journal", sh->dir);
	snprintf(sh->aroot, sizeof sh->aroot, "%s/audit", sh->dir);
	snprintf(sh->keydir, sizeof sh->keydir, "%s/key", sh->dir);
	for (int i = 0; i < 2; i++)
		make_package(sh, i);
	assert_int_equal(mtkemu_port_register(), 0);
	*state = sh;
	return 0;
}

static int teardown(void **state)
{
	struct shared *sh = *state;
	test_rmtree(sh->dir);
	free(sh);
	return 0;
}

/* ---- checks -------------------------------------------------------------------- */

/* Raw images only: a sparse image's holes keep what was there. */
static void expect_storage(const struct job *j)
{
	size_t raw = 0;
	for (size_t i = 0; i < j->res.count; i++) {
		const struct mtk_flash_outcome *o = &j->res.steps[i];
		if (o->stage != MTK_FSTAGE_WRITE || memcmp(o->file_sha256, o->image_sha256, 32) != 0)
			continue;
		uint8_t md[32];
		test_region_sha256(j->state, o, md);
		assert_memory_equal(md, o->image_sha256, 32);
		raw++;
	}
	assert_true(raw > 0);
}

static void expect_job(const struct job *j, const struct job *first)
{
	if (j->rc != 0)
		fail_msg("%s: %s", j->chip, j->err);
	assert_int_equal(j->res.failed, -1);
	size_t writes = 0;
	for (size_t i = 0; i < j->res.count; i++) {
		const struct mtk_flash_outcome *o = &j->res.steps[i];
		assert_int_equal(o->state, MTK_FLASH_DONE);
		if (o->stage == MTK_FSTAGE_WRITE && o->bytes_skipped < o->bytes) {
			assert_true(o->verified);
			writes++;
		}
	}
	assert_true(writes > 0);
	expect_storage(j);
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_audit_report rep;
	assert_memory_equal(&j->pk, &first->pk, sizeof j->pk);
	assert_int_equal(mtk_audit_verify(ctx, j->log_path, &first->pk, 1, &rep), 0);
	assert_int_equal(rep.problem, MTK_AUDIT_OK);
	mtk_ctx_free(ctx);
}

static void phones_flash_at_once(void **state)
{
	struct shared *sh = *state;
	struct job jobs[PHONES];
	pthread_t th[PHONES];
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < PHONES; i++) {
		jobs[i].sh = sh;
		jobs[i].chip = chips[i];
		jobs[i].scatter = sh->scatter[i % 2];
		snprintf(jobs[i].state, sizeof jobs[i].state, "%s/phone-%d", sh->dir, i + 1);
		provision(&jobs[i]);
	}
	for (int i = 0; i < PHONES; i++)
		assert_int_equal(pthread_create(&th[i], NULL, flash_job, &jobs[i]), 0);
	for (int i = 0; i < PHONES; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < PHONES; i++)
		expect_job(&jobs[i], &jobs[0]);
	for (int i = 0; i < PHONES; i++) {
		mtk_flash_result_free(&jobs[i].res);
		free(jobs[i].log_path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(phones_flash_at_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
