/* SPDX-License-Identifier: MIT */
/* The staged preloader's BOOT_PARTITION_ENABLE steps against an in-process
 * emulated MT6580 (its BootROM follows BOOT_PARTITION_ENABLE).  No known DA
 * command sets it, so this white-box test gives the session one that
 * records each call and what the boot areas hold at that moment: the
 * selected copy must always be verified, in the flash and in its rollback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/da/da_priv.h"
#include "emu_storage.h"
#include "mtkemu_port.h"
#include "mtkflash/dafile.h"
#include "mtkflash/flash.h"
#include "mtkflash/journal.h"
#include "mtkflash/session.h"
#include "testutil.h"

#define IMG_LEN (128u << 10)
#define PAYLOAD 0x4000 /* a byte of the preloader's code: changing it keeps it bootable */

struct fx {
	mtk_ctx *ctx;
	char dir[256], state[300], image[320], jroot[320];
	struct mtk_transport *tp;
	struct mtk_dafile file;
	struct mtk_da *da;
	struct mtk_da_ops ops;
	struct mtk_fingerprint fp;
	uint8_t old1[IMG_LEN], old2[IMG_LEN], new_img[IMG_LEN];
};

/* What the fake command saw: the value, and whether the copy it selects
 * held the new image, the old one, or neither. */
static struct fx *cur;
static const struct mtk_da_ops *real_ops;
static unsigned calls[8];
static char held[8];
static size_t ncalls;
static bool fail_boot1_image; /* the next image write to boot1 fails */
static bool fail_boot1_always;  /* every write to boot1 fails (its restore too) */

static void area(const struct fx *f, const char *name, uint8_t *buf)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", f->state, name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, IMG_LEN, fp), IMG_LEN);
	fclose(fp);
}

static int fake_select(struct mtk_da *da, unsigned part, bool ack)
{
	(void)da;
	(void)ack;
	static uint8_t now[IMG_LEN];
	area(cur, part == 2 ? "boot2.bin" : "boot1.bin", now);
	const uint8_t *old = part == 2 ? cur->old2 : cur->old1;
	held[ncalls] = memcmp(now, cur->new_img, IMG_LEN) == 0 ? 'n' : memcmp(now, old, IMG_LEN) == 0 ? 'o' : '?';
	calls[ncalls++] = part;
	return 0;
}

static int fake_write(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		      mtk_da_source_fn source, void *user)
{
	if (fail_boot1_always && r == MTK_REGION_BOOT1 && len > 512)
		return mtk_fail(da->ctx, MTK_E_IO, "test: boot1 refuses writes");
	if (fail_boot1_image && r == MTK_REGION_BOOT1 && len > 512) {
		fail_boot1_image = false;
		return mtk_fail(da->ctx, MTK_E_IO, "test: the boot1 write fails");
	}
	return real_ops->write(da, what, r, off, len, source, user);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	test_mkdtemp(f->dir, sizeof f->dir, "test_staged_bootsel");
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->jroot, sizeof f->jroot, "%s/journal", f->dir);
	snprintf(f->image, sizeof f->image, "%s/preloader.bin", f->dir);
	static struct emu_provision_result res;
	char err[512], spec[400];
	struct emu_provision_opts o = { .chip = "mt6580", .state_dir = f->state, .user_size = 4ull << 30 };
	if (emu_provision(&o, &res, err, sizeof err) != 0)
		fail_msg("%s", err);
	area(f, "boot1.bin", f->old1);
	area(f, "boot2.bin", f->old2);
	memcpy(f->new_img, f->old1, IMG_LEN);
	f->new_img[PAYLOAD] ^= 0xFF;
	FILE *fp = fopen(f->image, "wb");
	assert_int_equal(fwrite(f->new_img, 1, IMG_LEN, fp), IMG_LEN);
	fclose(fp);
	snprintf(spec, sizeof spec, "emu:mt6580,state=%s", f->state);
	assert_int_equal(mtk_transport_open(f->ctx, spec, 0, &f->tp), 0);
	assert_int_equal(mtk_dafile_load(f->ctx, MTKFLASH_BUILD_DA, &f->file), 0);
	struct mtk_attach_opts ao = { .reopen_wait_ms = 2000 };
	enum mtk_attach_how how;
	if (mtk_da_attach(f->ctx, f->tp, &f->file, MTKFLASH_BUILD_DA, NULL, &ao, &f->da, &how) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	if (mtk_fingerprint_take(f->ctx, f->da, &f->fp) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	real_ops = f->da->ops;
	f->ops = *f->da->ops;
	f->ops.set_boot_partition = fake_select;
	f->ops.write = fake_write;
	f->da->ops = &f->ops;
	cur = f;
	ncalls = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mtk_da_close(f->da);
	mtk_transport_close(f->tp);
	mtk_fingerprint_free(&f->fp);
	mtk_dafile_free_loaded(&f->file);
	test_rmtree(f->dir);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* The fake command's calls, as "2n1o": value, then what that copy held. */
static void expect_selections(const char *want)
{
	char got[20] = "";
	for (size_t i = 0; i < ncalls && i < 8; i++)
		snprintf(got + 2 * i, sizeof got - 2 * i, "%u%c", calls[i], held[i]);
	assert_string_equal(got, want);
}

static void expect_area(const struct fx *f, const char *name, const uint8_t *want)
{
	static uint8_t now[IMG_LEN];
	area(f, name, now);
	assert_memory_equal(now, want, IMG_LEN);
}

static void expect_journal(const struct fx *f, const char *jdir, unsigned bootsel, const char *result)
{
	struct mtk_journal_state js;
	assert_int_equal(mtk_journal_load(f->ctx, jdir, &js), 0);
	assert_int_equal(js.bootsel, bootsel);
	assert_string_equal(js.boot_select, "ext-csd");
	assert_string_equal(js.result, result);
	mtk_journal_state_free(&js);
}

/* The two entries plan_stage_preloader makes for an EXT_CSD chip. */
static void staged_plan(struct fx *f, struct mtk_plan *p, struct mtk_plan_entry e[2])
{
	memset(p, 0, sizeof *p);
	memset(e, 0, 2 * sizeof *e);
	for (int i = 0; i < 2; i++) {
		snprintf(e[i].name, sizeof e[i].name, "%s", i ? "preloader" : "preloader" MTK_BOOT_COPY_SUFFIX);
		e[i].boot_copy = i == 0;
		e[i].region = i ? MTK_REGION_BOOT1 : MTK_REGION_BOOT2;
		e[i].action = MTK_ACT_WRITE;
		e[i].cls = MTK_PCLASS_BOOTLOADER;
		e[i].size = 1u << 20;
		e[i].bytes = IMG_LEN;
		e[i].rank = 3;
		e[i].image = f->image;
	}
	p->entries = e;
	p->count = 2;
	p->total_bytes = 2 * IMG_LEN;
	p->preloader_selected = p->preloader_staged = true;
	p->boot_select = MTK_BOOT_SELECT_EXT_CSD;
}

static int run_flash(struct fx *f, struct mtk_flash_result *r, char *jdir, size_t cap)
{
	struct mtk_plan p;
	struct mtk_plan_entry e[2];
	staged_plan(f, &p, e);
	struct mtk_journal *j;
	assert_int_equal(mtk_journal_create(f->ctx, f->jroot, f->fp.device_id, &j), 0);
	snprintf(jdir, cap, "%s", mtk_journal_dir(j));
	struct mtk_flash_opts o = { .journal = j, .mode = MTK_FMODE_SAFE };
	int rc = mtk_flash_run(f->ctx, f->da, &f->fp, &p, &o, r);
	mtk_journal_free(j);
	return rc;
}

static void expect_steps(const struct mtk_flash_result *r)
{
	static const struct {
		const char *name;
		enum mtk_flash_stage stage;
	} want[] = { { "preloader@boot2", MTK_FSTAGE_WRITE },
		     { "boot2", MTK_FSTAGE_BOOTSEL },
		     { "preloader", MTK_FSTAGE_WRITE },
		     { "boot1", MTK_FSTAGE_BOOTSEL } };
	assert_int_equal(r->count, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(r->steps[i].name, want[i].name);
		assert_int_equal(r->steps[i].stage, want[i].stage);
	}
	assert_string_equal(mtk_flash_stage_name(MTK_FSTAGE_BOOTSEL), "boot-select");
}

/* boot2 verified new before it is selected; boot1 verified new before
 * BOOT_PARTITION_ENABLE returns to it; both copies new at the end. */
static void clean_flash_selects_verified_copies(void **state)
{
	struct fx *f = *state;
	struct mtk_flash_result r;
	char jdir[4200];
	if (run_flash(f, &r, jdir, sizeof jdir) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	expect_steps(&r);
	expect_selections("2n1n");
	expect_area(f, "boot1.bin", f->new_img);
	expect_area(f, "boot2.bin", f->new_img);
	expect_journal(f, jdir, 1, "verified");
	mtk_flash_result_free(&r);
}

/* boot1's write fails after boot2 was selected: boot1 is restored first
 * (boot2, new and verified, selected meanwhile), then BOOT_PARTITION_ENABLE
 * returns to boot1 — old and verified by then — and boot2 is restored last. */
static void rollback_reselects_boot1_before_boot2(void **state)
{
	struct fx *f = *state;
	struct mtk_flash_result r;
	char jdir[4200];
	fail_boot1_image = true;
	int rc = run_flash(f, &r, jdir, sizeof jdir);
	if (rc != MTK_E_ROLLEDBACK)
		fail_msg("rc %d: %s", rc, mtk_ctx_error(f->ctx));
	expect_steps(&r);
	expect_selections("2n1o");
	expect_area(f, "boot1.bin", f->old1);
	expect_area(f, "boot2.bin", f->old2);
	expect_journal(f, jdir, 1, "rolled-back");
	mtk_flash_result_free(&r);
}

static void on_recover(void *user, const struct mtk_journal_part *p, const char *action, int rc)
{
	(void)user;
	(void)p;
	(void)action;
	assert_int_equal(rc, 0);
}

/* boot1 cannot even be restored: boot2 (new, verified) stays selected and
 * untouched, the journal open.  recover, once boot1 takes writes again,
 * restores boot1, selects it again (old and verified), then restores boot2. */
static void boot1_lost_keeps_boot2_until_recover(void **state)
{
	struct fx *f = *state;
	struct mtk_flash_result r;
	char jdir[4200];
	fail_boot1_always = true;
	int rc = run_flash(f, &r, jdir, sizeof jdir);
	fail_boot1_always = false;
	assert_int_equal(rc, MTK_E_IO);
	assert_non_null(strstr(r.not_as_before, "preloader@boot2"));
	expect_selections("2n"); /* boot2 selected, never deselected */
	expect_area(f, "boot2.bin", f->new_img);
	mtk_flash_result_free(&r);
	struct mtk_journal_state js;
	struct mtk_journal *j;
	assert_int_equal(mtk_journal_load(f->ctx, jdir, &js), 0);
	assert_false(js.closed);
	assert_int_equal(js.bootsel, 2);
	assert_int_equal(mtk_journal_reopen(f->ctx, jdir, &j), 0);
	assert_int_equal(mtk_recover_assess(f->ctx, f->da, &js), 0);
	if (mtk_recover_rollback(f->ctx, f->da, j, &js, on_recover, NULL) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	expect_selections("2n1o");
	expect_area(f, "boot1.bin", f->old1);
	expect_area(f, "boot2.bin", f->old2);
	mtk_journal_free(j);
	mtk_journal_state_free(&js);
	expect_journal(f, jdir, 1, "rolled-back");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(clean_flash_selects_verified_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_reselects_boot1_before_boot2, setup, teardown),
		cmocka_unit_test_setup_teardown(boot1_lost_keeps_boot2_until_recover, setup, teardown),
	};
	if (mtkemu_port_register() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
