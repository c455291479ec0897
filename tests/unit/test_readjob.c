/* SPDX-License-Identifier: MIT */
/* mtk_read_job (include/mtkflash/readjob.h): the chunk journal's parser,
 * then the engine against in-process emulated phones (a legacy MT6737 and an
 * xflash MT6765) with storage read faults: retry in smaller pieces, skip and
 * record, holes, resume after an interruption and after a damaged OUT.part,
 * and the refusals that keep a user's files safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "emu_storage.h"
#include "mtkemu_port.h"
#include "mtkflash/dafile.h"
#include "mtkflash/readjob.h"
#include "mtkflash/session.h"
#include "testutil.h"
#include "verify/readjob_priv.h"

/* ---- the journal parser ------------------------------------------------------ */

#define HDR "mtkflash-read-journal 1 user 4000000 300000 100000\n"
#define SHA_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static int parse(const char *text, struct mtk_rj_journal *j, mtk_ctx *ctx)
{
	return mtk_rj_parse(ctx, "J", (const uint8_t *)text, strlen(text), j);
}

static void journal_good(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_rj_journal j;
	const char *t = HDR "c 0 100000 " SHA_A "\nb 101000 2000\nb 180000 1000\nc 100000 100000 " SHA_A "\n";
	assert_int_equal(parse(t, &j, ctx), 0);
	assert_int_equal(j.region, MTK_REGION_USER);
	assert_int_equal(j.off, 0x4000000);
	assert_int_equal(j.len, 0x300000);
	assert_int_equal(j.chunk, 0x100000);
	assert_int_equal(j.n, 2);
	assert_int_equal(j.nbad, 2);
	assert_int_equal(j.c[1].first_bad, 0);
	assert_int_equal(j.c[1].nbad, 2);
	assert_int_equal(j.bad[1].off, 0x180000);
	assert_int_equal(j.c[0].sha256[1], 0x11);
	assert_int_equal(j.c[1].text_end, strlen(t));
	mtk_rj_free(&j);
	mtk_ctx_free(ctx);
}

/* A crash during an append leaves a torn line, or bad ranges without their
 * chunk line: both belong to a chunk that is not on disk. */
static void journal_torn_tail(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_rj_journal j;
	const char *t = HDR "c 0 100000 " SHA_A "\nb 101000 2000\nc 100000 100000 0011";
	assert_int_equal(parse(t, &j, ctx), 0);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.nbad, 0);
	assert_int_equal(j.c[0].text_end, strlen(HDR) + 76);
	mtk_rj_free(&j);
	assert_int_equal(parse(HDR, &j, ctx), 0);
	assert_int_equal(j.n, 0);
	assert_int_equal(j.header_end, strlen(HDR));
	mtk_rj_free(&j);
	mtk_ctx_free(ctx);
}

static void expect_bad(mtk_ctx *ctx, const char *text, const char *msg)
{
	struct mtk_rj_journal j;
	assert_int_equal(parse(text, &j, ctx), MTK_E_PARSE);
	if (!strstr(mtk_ctx_error(ctx), msg))
		fail_msg("'%s': expected '%s' in '%s'", text, msg, mtk_ctx_error(ctx));
	assert_null(j.c);
	mtk_ctx_clear_error(ctx);
}

static void journal_hostile(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	expect_bad(ctx, "", "without a complete header");
	expect_bad(ctx, "hello\n", "J line 1: not a read journal");
	expect_bad(ctx, "mtkflash-read-journal 1 nand 0 10 200\n", "unknown region");
	expect_bad(ctx, "mtkflash-read-journal 1 user 0 0 200\n", "LEN is 0");
	expect_bad(ctx, "mtkflash-read-journal 1 user ffffffffffffffff 2 200\n", "past 2^64");
	expect_bad(ctx, "mtkflash-read-journal 1 user 0 10 201\n", "multiple of 512");
	expect_bad(ctx, "mtkflash-read-journal 1 user 0 10000000000000000 200\n", "16 hex digits");
	expect_bad(ctx, "mtkflash-read-journal 1 user 0 1A 200\n", "lower-case hex");
	expect_bad(ctx, "mtkflash-read-journal 1 user 0  1 200\n", "empty field");
	expect_bad(ctx, HDR "c 100000 100000 " SHA_A "\n", "line 2: chunk does not start");
	expect_bad(ctx, HDR "c 0 200000 " SHA_A "\n", "above CHUNK");
	expect_bad(ctx, HDR "c 0 80000 " SHA_A "\n", "short before the end");
	expect_bad(ctx, HDR "c 0 100000 00\n", "64 hex digits");
	expect_bad(ctx, HDR "c 0 100000 " SHA_A " x\n", "64 hex digits");
	expect_bad(ctx, HDR "b 0 0\n", "bad range empty");
	expect_bad(ctx, HDR "b 2ff000 2000\n", "outside the job's range");
	expect_bad(ctx, HDR "b 2000 1000\nb 1000 1000\n", "out of order");
	expect_bad(ctx, HDR "b ff000 2000\nc 0 100000 " SHA_A "\n", "reaches past its chunk");
	expect_bad(ctx, HDR "x 0 1\n", "line 2: unknown record");
	expect_bad(ctx, HDR "c 0 100000 " SHA_A "\nc 100000 100000 zz" SHA_A "\n", "line 3");
	mtk_ctx_free(ctx);
}

/* ---- the engine against emulated phones ----------------------------------------- */

#define AREA_OFF 0x4000000ull /* 64 MiB into the user area: past the provisioned layout's tables */
#define AREA_LEN 0x200000ull

struct fx {
	mtk_ctx *ctx;
	char dir[256], state[300], out[320];
	const char *chip;
	struct mtk_transport *tp;
	struct mtk_dafile file;
	struct mtk_da *da;
	uint8_t *want; /* what the range holds */
	volatile sig_atomic_t stop;
	uint64_t stop_at;
};

static void disconnect(struct fx *f)
{
	mtk_da_close(f->da);
	mtk_transport_close(f->tp);
	mtk_dafile_free_loaded(&f->file);
	f->da = NULL;
	f->tp = NULL;
}

static void connect_emu(struct fx *f, const char *faults)
{
	char spec[600];
	snprintf(spec, sizeof spec, "emu:%s,state=%s%s%s", f->chip, f->state, faults ? ",faults=" : "",
		 faults ? faults : "");
	if (mtk_transport_open(f->ctx, spec, 0, &f->tp) != 0)
		fail_msg("open %s: %s", spec, mtk_ctx_error(f->ctx));
	if (mtk_dafile_load(f->ctx, MTKFLASH_BUILD_DA, &f->file) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	struct mtk_attach_opts o = { .speed_switch = true, .reopen_wait_ms = 2000 };
	enum mtk_attach_how how;
	if (mtk_da_attach(f->ctx, f->tp, &f->file, MTKFLASH_BUILD_DA, NULL, &o, &f->da, &how) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
}

/* Random blocks with all-zero ones between them, written into the state file. */
static void fill_range(struct fx *f)
{
	f->want = calloc(1, AREA_LEN);
	assert_non_null(f->want);
	srand(7);
	for (size_t b = 0; b < AREA_LEN; b += 0x10000)
		if ((b / 0x10000) % 3 != 1)
			for (size_t i = 0; i < 0x10000; i++)
				f->want[b + i] = (uint8_t)rand();
	char path[400];
	snprintf(path, sizeof path, "%s/user.bin", f->state);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, f->want, AREA_LEN, (off_t)AREA_OFF), (ssize_t)AREA_LEN);
	close(fd);
}

static int setup_chip(void **state, const char *chip)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	f->chip = chip;
	test_mkdtemp(f->dir, sizeof f->dir, "test_readjob");
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->out, sizeof f->out, "%s/out.bin", f->dir);
	char err[512];
	static struct emu_provision_result res;
	struct emu_provision_opts o = { .chip = chip, .state_dir = f->state, .user_size = 8ull << 30 };
	if (emu_provision(&o, &res, err, sizeof err) != 0)
		fail_msg("%s", err);
	fill_range(f);
	assert_int_equal(mtkemu_port_register(), 0);
	*state = f;
	return 0;
}

static int setup_legacy(void **state)
{
	return setup_chip(state, "mt6737");
}

static int setup_xflash(void **state)
{
	return setup_chip(state, "mt6765");
}

static int teardown(void **state)
{
	struct fx *f = *state;
	disconnect(f);
	test_rmtree(f->dir);
	mtk_ctx_free(f->ctx);
	free(f->want);
	free(f);
	return 0;
}

static void sha256(const uint8_t *b, size_t n, uint8_t md[32])
{
	unsigned len = 0;
	assert_int_equal(EVP_Digest(b, n, md, &len, EVP_sha256(), NULL), 1);
}

static void assert_file_is(const struct fx *f, const uint8_t *want)
{
	uint8_t *got = malloc(AREA_LEN + 1);
	int fd = open(f->out, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, AREA_LEN + 1), (ssize_t)AREA_LEN);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	close(fd);
	assert_memory_equal(got, want, AREA_LEN);
	free(got);
}

static int job(struct fx *f, const struct mtk_read_job_opts *o, struct mtk_read_job_result *r)
{
	return mtk_read_job(f->da, "test range", MTK_REGION_USER, AREA_OFF, AREA_LEN, f->out, o, r);
}

static void clean_read(void **state)
{
	struct fx *f = *state;
	connect_emu(f, NULL);
	struct mtk_read_job_opts o = { .chunk = 0x80000 };
	struct mtk_read_job_result r;
	assert_int_equal(job(f, &o, &r), 0);
	assert_true(r.complete);
	assert_int_equal(r.bytes_read, AREA_LEN);
	assert_int_equal(r.nbad, 0);
	assert_int_equal(mtk_read_job_coverage_ppm(&r), 1000000);
	/* every third 64 KiB block is zeros: left as holes */
	assert_int_equal(r.bytes_zero, (AREA_LEN / 0x10000 + 1) / 3 * 0x10000);
	uint8_t md[32];
	sha256(f->want, AREA_LEN, md);
	assert_memory_equal(r.sha256, md, 32);
	assert_file_is(f, f->want);
	char *jp = mtk_read_job_journal_path(f->out), *pp = mtk_read_job_part_path(f->out);
	assert_int_equal(access(jp, F_OK), -1);
	assert_int_equal(access(pp, F_OK), -1);
	struct stat st;
	assert_int_equal(stat(f->out, &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 < AREA_LEN); /* sparse */
	free(jp);
	free(pp);
	/* an existing OUT is kept unless forced */
	assert_int_equal(job(f, &o, &r), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "already exists"));
	mtk_ctx_clear_error(f->ctx);
	o.force = true;
	assert_int_equal(job(f, &o, &r), 0);
	mtk_read_job_result_free(&r);
}

/* An unreadable range ends in the map, exactly, after retries in smaller
 * pieces; a range that fails twice is read on a later try; the rest is read. */
static void bad_and_flaky(void **state)
{
	struct fx *f = *state;
	connect_emu(f, "read-error=user:0x4101000:0x2000+read-flaky=user:0x4040000:4096:2");
	struct mtk_read_job_opts o = { .chunk = 0x80000 };
	struct mtk_read_job_result r;
	assert_int_equal(job(f, &o, &r), MTK_READ_JOB_BAD_RANGES);
	assert_true(r.complete);
	assert_int_equal(r.nbad, 1);
	assert_int_equal(r.bad[0].off, 0x4101000);
	assert_int_equal(r.bad[0].len, 0x2000);
	assert_int_equal(r.bytes_bad, 0x2000);
	assert_true(r.retries >= 4);
	assert_int_equal(mtk_read_job_coverage_ppm(&r), (uint32_t)((AREA_LEN - 0x2000) * 1000000.0 / AREA_LEN));
	memset(f->want + 0x101000, 0, 0x2000);
	uint8_t md[32];
	sha256(f->want, AREA_LEN, md);
	assert_memory_equal(r.sha256, md, 32);
	assert_file_is(f, f->want);
	mtk_read_job_result_free(&r);
}

static void no_retry(void **state)
{
	struct fx *f = *state;
	connect_emu(f, "read-error=user:0x4101000:0x2000");
	struct mtk_read_job_opts o = { .chunk = 0x80000, .no_retry = true };
	struct mtk_read_job_result r;
	assert_int_equal(job(f, &o, &r), MTK_E_STATUS);
	assert_false(r.complete);
	assert_int_equal(r.bytes_read, 0x100000); /* the two chunks before the bad one */
	assert_int_equal(access(f->out, F_OK), -1);
	/* the partial read stays; a new read without --resume or --force is refused */
	mtk_ctx_clear_error(f->ctx);
	o.no_retry = false;
	assert_int_equal(job(f, &o, &r), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "--resume"));
	mtk_ctx_clear_error(f->ctx);
	o.resume = true;
	assert_int_equal(job(f, &o, &r), MTK_READ_JOB_BAD_RANGES);
	assert_int_equal(r.bytes_resumed, 0x100000);
	assert_int_equal(r.nbad, 1);
	mtk_read_job_result_free(&r);
}

static void stop_after(void *user, uint64_t done, uint64_t total, uint64_t bad)
{
	struct fx *f = user;
	(void)total;
	(void)bad;
	if (done >= f->stop_at)
		f->stop = 1;
}

static void flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b = 0;
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0xff;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

/* Ctrl-C after some chunks, a resume; then again, with a byte of OUT.part
 * changed meanwhile: the damaged chunk and what follows are read again.
 * Every time the file and its SHA-256 are those of an uninterrupted read. */
static void interrupt_and_resume(void **state)
{
	struct fx *f = *state;
	connect_emu(f, "read-error=user:0x4181000:0x1000");
	uint8_t md[32];
	memset(f->want + 0x181000, 0, 0x1000);
	sha256(f->want, AREA_LEN, md);
	mtk_ctx_set_cancel(f->ctx, &f->stop);
	struct mtk_read_job_opts o = { .chunk = 0x40000, .progress = stop_after, .progress_user = f };
	struct mtk_read_job_result r;
	for (int round = 0; round < 2; round++) {
		f->stop = 0;
		f->stop_at = 0xc0000 + 0x80000 * (uint64_t)round;
		o.resume = round > 0;
		assert_int_equal(job(f, &o, &r), MTK_E_INTERRUPTED);
		mtk_ctx_clear_error(f->ctx);
		assert_false(r.complete);
		if (round == 1)
			assert_int_equal(r.bytes_resumed, 0xc0000);
		mtk_read_job_result_free(&r);
	}
	char *pp = mtk_read_job_part_path(f->out);
	flip_byte(pp, 0x50123); /* inside the second chunk */
	free(pp);
	f->stop = 0;
	f->stop_at = UINT64_MAX;
	o.resume = true;
	assert_int_equal(job(f, &o, &r), MTK_READ_JOB_BAD_RANGES);
	assert_int_equal(r.bytes_resumed, 0x40000);
	assert_int_equal(r.nbad, 1);
	assert_int_equal(r.bad[0].off, 0x4181000);
	assert_memory_equal(r.sha256, md, 32);
	assert_file_is(f, f->want);
	mtk_read_job_result_free(&r);
	mtk_ctx_set_cancel(f->ctx, NULL);
}

static int reconnect(void *user, struct mtk_da **da)
{
	struct fx *f = user;
	disconnect(f);
	mtk_ctx_clear_error(f->ctx);
	connect_emu(f, NULL);
	*da = f->da;
	return 0;
}

/* A cable pull mid-read with a reconnect callback: the read goes on in the
 * new session from the chunk that was cut, in the same call. */
static void reconnects(void **state)
{
	struct fx *f = *state;
	connect_emu(f, "unplug-at=1500K");
	struct mtk_read_job_opts o = { .chunk = 0x80000, .reconnect = reconnect, .reconnect_user = f };
	struct mtk_read_job_result r;
	assert_int_equal(job(f, &o, &r), 0);
	assert_int_equal(r.reconnects, 1);
	assert_int_equal(r.bytes_read, AREA_LEN);
	assert_int_equal(r.nbad, 0);
	uint8_t md[32];
	sha256(f->want, AREA_LEN, md);
	assert_memory_equal(r.sha256, md, 32);
	assert_file_is(f, f->want);
	mtk_read_job_result_free(&r);
}

/* A journal of another read is not taken for this one. */
static void foreign_journal(void **state)
{
	struct fx *f = *state;
	connect_emu(f, NULL);
	char *jp = mtk_read_job_journal_path(f->out);
	FILE *fp = fopen(jp, "w");
	assert_non_null(fp);
	fputs("mtkflash-read-journal 1 user 0 200000 80000\n", fp);
	fclose(fp);
	struct mtk_read_job_opts o = { .chunk = 0x80000, .resume = true };
	struct mtk_read_job_result r;
	assert_int_equal(job(f, &o, &r), MTK_E_INVAL);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "belongs to another read"));
	mtk_ctx_clear_error(f->ctx);
	/* a symbolic link where the output goes is never written through */
	unlink(jp);
	assert_int_equal(symlink("/etc/passwd", f->out), 0);
	o.resume = false;
	o.force = true;
	assert_int_equal(job(f, &o, &r), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "symbolic link"));
	mtk_ctx_clear_error(f->ctx);
	free(jp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(journal_good),
		cmocka_unit_test(journal_torn_tail),
		cmocka_unit_test(journal_hostile),
		cmocka_unit_test_setup_teardown(clean_read, setup_legacy, teardown),
		cmocka_unit_test_setup_teardown(bad_and_flaky, setup_legacy, teardown),
		cmocka_unit_test_setup_teardown(bad_and_flaky, setup_xflash, teardown),
		cmocka_unit_test_setup_teardown(no_retry, setup_legacy, teardown),
		cmocka_unit_test_setup_teardown(no_retry, setup_xflash, teardown),
		cmocka_unit_test_setup_teardown(interrupt_and_resume, setup_legacy, teardown),
		cmocka_unit_test_setup_teardown(interrupt_and_resume, setup_xflash, teardown),
		cmocka_unit_test_setup_teardown(reconnects, setup_legacy, teardown),
		cmocka_unit_test_setup_teardown(reconnects, setup_xflash, teardown),
		cmocka_unit_test_setup_teardown(foreign_journal, setup_legacy, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
