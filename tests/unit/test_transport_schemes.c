/* SPDX-License-Identifier: MIT */
/* Port schemes a program registers (the CLI's "emu:"): the library knows
 * none itself, so this test needs no emulator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mtkflash/core.h"
#include "mtkflash/transport.h"

static char seen_args[64];
static int seen_wait_ms;

static void fake_close(struct mtk_transport *t)
{
	(void)t;
}

static const struct mtk_transport_ops fake_ops = { .name = "fake", .close = fake_close };

static int fake_open(mtk_ctx *ctx, const char *args, int wait_ms, struct mtk_transport **out)
{
	snprintf(seen_args, sizeof seen_args, "%s", args);
	seen_wait_ms = wait_ms;
	*out = mtk_transport_alloc(ctx, &fake_ops, NULL);
	return *out ? 0 : MTK_E_NOMEM;
}

static void test_emu_without_registration_is_refused(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_transport *t = NULL;
	assert_int_equal(mtk_transport_open(ctx, "emu:mt6765", 0, &t), MTK_E_INVAL);
	assert_null(t);
	assert_non_null(strstr(mtk_ctx_error(ctx), "this build has no emulator transport"));
	mtk_ctx_free(ctx);
}

static void test_registered_scheme_gets_its_args(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_transport *t = NULL;
	assert_int_equal(mtk_transport_register_scheme("fake", fake_open), 0);
	assert_int_equal(mtk_transport_open(ctx, "fake:a,b=c", 250, &t), 0);
	assert_non_null(t);
	assert_string_equal(seen_args, "a,b=c");
	assert_int_equal(seen_wait_ms, 250);
	mtk_transport_close(t);
	/* A longer name sharing the prefix is not the scheme. */
	assert_int_equal(mtk_transport_open(ctx, "fakeX:a", 0, &t), MTK_E_INVAL);
	assert_null(t);
	mtk_ctx_free(ctx);
}

static void test_bad_scheme_names(void **state)
{
	(void)state;
	assert_int_equal(mtk_transport_register_scheme("", fake_open), MTK_E_INVAL);
	assert_int_equal(mtk_transport_register_scheme("a:b", fake_open), MTK_E_INVAL);
	assert_int_equal(mtk_transport_register_scheme("a-name-far-too-long", fake_open), MTK_E_INVAL);
	assert_int_equal(mtk_transport_register_scheme("ok", NULL), MTK_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_emu_without_registration_is_refused),
	        cmocka_unit_test(test_registered_scheme_gets_its_args),
	        cmocka_unit_test(test_bad_scheme_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
