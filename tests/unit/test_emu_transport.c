/* SPDX-License-Identifier: MIT */
/* The in-process emu: port (emuport/mtkemu_port.c) as a host sees it: each open
 * is one session on a phone that stays plugged in (state=DIR keeps what it
 * runs), plug= replugs it, and reopen() follows a re-enumeration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mtkflash/core.h"
#include "mtkflash/transport.h"
#include "testutil.h"
#include "mtkemu_port.h"

#define REPLY_MS 3000

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; *s; s++) {
		unsigned v;
		if (*s == ' ')
			continue;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s++;
	}
	return n;
}

static void xfer(struct mtk_transport *t, const char *send, const char *want)
{
	uint8_t out[64], in[64], got[64];
	size_t n = unhex(send, out), w = unhex(want, in);
	assert_int_equal(mtk_tp_write(t, out, n, REPLY_MS), 0);
	for (size_t have = 0; have < w;) {
		int r = mtk_tp_read_some(t, got + have, w - have, REPLY_MS);
		if (r <= 0)
			fail_msg("sent %s, expected %s, read %d after %zu bytes", send, want, r, have);
		have += (size_t)r;
	}
	assert_memory_equal(got, in, w);
}

static void handshake(struct mtk_transport *t)
{
	xfer(t, "a0", "5f");
	xfer(t, "0a", "f5");
	xfer(t, "50", "af");
	xfer(t, "05", "fa");
}

static struct mtk_transport *open_port(mtk_ctx *ctx, const char *fmt, const char *dir)
{
	char spec[256];
	snprintf(spec, sizeof spec, fmt, dir);
	struct mtk_transport *t = NULL;
	if (mtk_transport_open(ctx, spec, 0, &t) != 0)
		fail_msg("open %s failed", spec);
	return t;
}

/* The device's end closed: the phone left the bus. */
static void expect_disconnected(struct mtk_transport *t)
{
	uint8_t b[64];
	int r;
	while ((r = mtk_tp_read_some(t, b, sizeof b, REPLY_MS)) > 0)
		;
	assert_int_equal(r, MTK_E_DISCONNECTED);
}

static void test_state_dir_keeps_the_session(void **state)
{
	(void)state;
	char dir[64];
	test_mkdtemp(dir, sizeof dir, "test_emu_transport");
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_transport *t = open_port(ctx, "emu:mt6765,state=%s,mode=brom", dir);
	handshake(t);
	mtk_transport_close(t);
	/* The next run finds the BROM in its command loop: sync bytes echoed. */
	t = open_port(ctx, "emu:mt6765,state=%s,mode=brom", dir);
	xfer(t, "a0", "a0");
	xfer(t, "ff", "05");
	mtk_transport_close(t);
	/* plug=replug: the phone booted again. */
	t = open_port(ctx, "emu:mt6765,state=%s,mode=brom,plug=replug", dir);
	handshake(t);
	mtk_transport_close(t);
	/* Without state= every run is a new phone. */
	t = open_port(ctx, "emu:mt6765,mode=brom%s", "");
	handshake(t);
	mtk_transport_close(t);
	t = open_port(ctx, "emu:mt6765,mode=brom%s", "");
	handshake(t);
	mtk_transport_close(t);
	mtk_ctx_free(ctx);
	assert_int_equal(test_rmtree(dir), 0);
}

/* MT6572's old preloader ASSERTs on a read outside its register bank: the
 * port closes, reopen() gives the rebooted phone a new one. */
static void test_reopen_after_reenumeration(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_transport *t = open_port(ctx, "emu:mt6572,mode=preloader,preloader=simple%s", "");
	assert_true(mtk_transport_can_reopen(t));
	handshake(t);
	xfer(t, "d1 00000000 00000001", "d1 00000000 00000001");
	expect_disconnected(t);
	assert_int_equal(mtk_transport_reopen(t, REPLY_MS), 0);
	handshake(t); /* a fresh boot */
	xfer(t, "fe", "01");
	mtk_transport_close(t);

	/* A phone whose listen window closed booted on: it does not come back. */
	t = open_port(ctx, "emu:mt6765,mode=preloader,listen-ms=50%s", "");
	expect_disconnected(t);
	assert_int_equal(mtk_transport_reopen(t, REPLY_MS), MTK_E_NODEV);
	mtk_transport_close(t);
	mtk_ctx_free(ctx);
}

static void test_spec_errors(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_transport *t = NULL;
	assert_int_equal(mtk_transport_open(ctx, "emu:mt6765,plug=yank", 0, &t), MTK_E_INVAL);
	assert_int_equal(mtk_transport_open(ctx, "emu:mt6765,listen-ms=0", 0, &t), MTK_E_INVAL);
	assert_int_equal(mtk_transport_open(ctx, "emu:mt6765,preloader=fancy", 0, &t), MTK_E_NODEV);
	assert_null(t);
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_state_dir_keeps_the_session),
	        cmocka_unit_test(test_reopen_after_reenumeration),
	        cmocka_unit_test(test_spec_errors),
	};
	if (mtkemu_port_register() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
