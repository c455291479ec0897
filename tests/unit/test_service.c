/* SPDX-License-Identifier: MIT */
/* The service passphrase: scrypt record, check, replacement rules, the
 * file's mode and its parser's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mtkflash/service.h"
#include "testutil.h"

/* Small parameters: the tests check behaviour, not cost. */
static const struct mtk_scrypt_params fast = { 1024, 8, 1 };

struct fx {
	mtk_ctx *ctx;
	char dir[256];
	char path[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	test_mkdtemp(f->dir, sizeof f->dir, "test_service");
	snprintf(f->path, sizeof f->path, "%s/cfg/mtkflash/service.pass", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	test_rmtree(f->dir);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

static int set_pass(struct fx *f, const char *old, const char *new_pass)
{
	return mtk_service_set(f->ctx, f->path, old, old ? strlen(old) : 0, new_pass, strlen(new_pass), &fast);
}
#define SET(f, old, new_pass) set_pass(f, old, new_pass)
#define CHECK(f, pass) mtk_service_check((f)->ctx, (f)->path, pass, strlen(pass))

static void not_set_is_locked(void **state)
{
	struct fx *f = *state;
	assert_int_equal(mtk_service_is_set(f->ctx, f->path), 0);
	assert_int_equal(CHECK(f, "anything at all"), MTK_E_DENIED);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "set-passphrase"));
}

static void set_then_check(void **state)
{
	struct fx *f = *state;
	assert_int_equal(SET(f, NULL, "correct horse"), 0);
	assert_int_equal(mtk_service_is_set(f->ctx, f->path), 1);
	assert_int_equal(CHECK(f, "correct horse"), 0);
	assert_int_equal(CHECK(f, "correct hors"), MTK_E_DENIED);
	assert_int_equal(CHECK(f, "correct horsf"), MTK_E_DENIED);
	assert_int_equal(CHECK(f, ""), MTK_E_DENIED);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char dir[600];
	snprintf(dir, sizeof dir, "%s/cfg/mtkflash", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* The record holds no passphrase, and its parameters are the ones asked for. */
	size_t len;
	uint8_t *text = test_load(f->path, &len);
	assert_null(strstr((char *)text, "correct horse"));
	assert_non_null(strstr((char *)text, "\nn=1024\nr=8\np=1\n"));
	free(text);
}

static void salt_differs_each_time(void **state)
{
	struct fx *f = *state;
	size_t len;
	assert_int_equal(SET(f, NULL, "same passphrase"), 0);
	uint8_t *a = test_load(f->path, &len);
	assert_int_equal(SET(f, "same passphrase", "same passphrase"), 0);
	uint8_t *b = test_load(f->path, &len);
	assert_string_not_equal((char *)a, (char *)b);
	free(a);
	free(b);
}

static void replace_needs_old(void **state)
{
	struct fx *f = *state;
	assert_int_equal(SET(f, NULL, "first passphrase"), 0);
	assert_int_equal(SET(f, NULL, "second passphrase"), MTK_E_DENIED);
	assert_int_equal(SET(f, "wrong passphrase", "second passphrase"), MTK_E_DENIED);
	assert_int_equal(CHECK(f, "first passphrase"), 0);
	assert_int_equal(SET(f, "first passphrase", "second passphrase"), 0);
	assert_int_equal(CHECK(f, "second passphrase"), 0);
	assert_int_equal(CHECK(f, "first passphrase"), MTK_E_DENIED);
}

static void length_limits(void **state)
{
	struct fx *f = *state;
	assert_int_equal(SET(f, NULL, "short"), MTK_E_INVAL);
	assert_int_equal(mtk_service_is_set(f->ctx, f->path), 0);
	struct mtk_scrypt_params huge = { 1u << 20, 32, 1 };
	assert_int_equal(mtk_service_set(f->ctx, f->path, NULL, 0, "long enough", 11, &huge), MTK_E_INVAL);
	struct mtk_scrypt_params odd = { 1000, 8, 1 };
	assert_int_equal(mtk_service_set(f->ctx, f->path, NULL, 0, "long enough", 11, &odd), MTK_E_INVAL);
}

static void parse_refusals(void **state)
{
	struct fx *f = *state;
	struct mtk_service_record r;
	static const char *const bad[] = {
		"",
		"something else\n",
		"mtkflash-service-passphrase 1\nkdf=scrypt\nn=1024\nr=8\np=1\nsalt=00\nhash=00\n",
		"mtkflash-service-passphrase 1\nkdf=pbkdf2\nn=1024\nr=8\np=1\n"
		"salt=00000000000000000000000000000000\nhash=0000000000000000000000000000000000000000000000000000000000000000\n",
		"mtkflash-service-passphrase 1\nkdf=scrypt\nn=1000\nr=8\np=1\n"
		"salt=00000000000000000000000000000000\nhash=0000000000000000000000000000000000000000000000000000000000000000\n",
		"mtkflash-service-passphrase 1\nkdf=scrypt\nn=1048576\nr=32\np=1\n"
		"salt=00000000000000000000000000000000\nhash=0000000000000000000000000000000000000000000000000000000000000000\n",
		"mtkflash-service-passphrase 1\nkdf=scrypt\nn=1024\nn=1024\nr=8\np=1\n"
		"salt=00000000000000000000000000000000\nhash=0000000000000000000000000000000000000000000000000000000000000000\n",
		"mtkflash-service-passphrase 1\nkdf=scrypt\nn=1024\nr=8\n"
		"salt=00000000000000000000000000000000\nhash=0000000000000000000000000000000000000000000000000000000000000000\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(mtk_service_parse(f->ctx, (const uint8_t *)bad[i], strlen(bad[i]), "t", &r),
				 MTK_E_PARSE);
	const char *good = "mtkflash-service-passphrase 1\nkdf=scrypt\nn=1024\nr=8\np=2\n"
			   "salt=000102030405060708090a0b0c0d0e0f\n"
			   "hash=0000000000000000000000000000000000000000000000000000000000000001\n";
	assert_int_equal(mtk_service_parse(f->ctx, (const uint8_t *)good, strlen(good), "t", &r), 0);
	assert_int_equal(r.params.n, 1024);
	assert_int_equal(r.params.p, 2);
	assert_int_equal(r.salt[15], 0x0f);
	assert_int_equal(r.hash[31], 1);
	/* A malformed file is no "not set": check says it cannot read it. */
	test_write_text(f->dir, "broken.pass", "mtkflash-service-passphrase 1\nkdf=scrypt\n");
	char path[600];
	snprintf(path, sizeof path, "%s/broken.pass", f->dir);
	assert_int_equal(mtk_service_check(f->ctx, path, "whatever it is", 14), MTK_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(not_set_is_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(set_then_check, setup, teardown),
		cmocka_unit_test_setup_teardown(salt_differs_each_time, setup, teardown),
		cmocka_unit_test_setup_teardown(replace_needs_old, setup, teardown),
		cmocka_unit_test_setup_teardown(length_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(parse_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
