/* SPDX-License-Identifier: MIT */
/* The serial backend follows a re-enumerating device (transport.h reopen):
 * a real pty behind a symlink, as mtkemu --link serves one.  The device
 * "re-enumerates" by closing its pty and pointing the link at a new one. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fileutil.h"
#include "mtkflash/transport.h"
#include "transport/transport_priv.h" /* white-box: builds transports by hand */
#include "testutil.h"

struct fx {
	mtk_ctx *ctx;
	char dir[256], link[300];
	int master;
	struct mtk_transport *tp;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	test_mkdtemp(f->dir, sizeof f->dir, "mtk-reopen");
	snprintf(f->link, sizeof f->link, "%s/tty", f->dir);
	f->master = test_pty_behind(f->link);
	char spec[320];
	snprintf(spec, sizeof spec, "serial:%s", f->link);
	assert_int_equal(mtk_transport_open(f->ctx, spec, 0, &f->tp), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mtk_transport_close(f->tp);
	if (f->master >= 0)
		close(f->master);
	mtk_remove_tree(f->dir);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

static void test_port_key_is_the_link(void **state)
{
	struct fx *f = *state;
	char want[320];
	snprintf(want, sizeof want, "tty:%s", f->link);
	assert_string_equal(f->tp->port_key, want);
	assert_non_null(f->tp->ops->reopen);
}

/* Hang-up, a new pty behind the same link: reopened, and bytes flow. */
static void test_reopen_follows_new_target(void **state)
{
	struct fx *f = *state;
	close(f->master);
	f->master = test_pty_behind(f->link);
	assert_int_equal(f->tp->ops->reopen(f->tp, 2000), 0);
	assert_int_equal(write(f->master, "\x5a\x01", 2), 2);
	uint8_t b[2];
	assert_int_equal(mtk_tp_read_exact(f->tp, b, 2, 2000), 0);
	assert_memory_equal(b, "\x5a\x01", 2);
	assert_int_equal(mtk_tp_write(f->tp, (const uint8_t *)"\x72", 1, 1000), 0);
	assert_int_equal(read(f->master, b, 1), 1);
	assert_int_equal(b[0], 0x72);
}

/* The device never drops off: a clear MTK_E_NODEV, not a hang. */
static void test_reopen_without_hangup(void **state)
{
	struct fx *f = *state;
	assert_int_equal(f->tp->ops->reopen(f->tp, 200), MTK_E_NODEV);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "did not drop off the bus"));
}

/* It drops off and does not come back: MTK_E_NODEV naming the port. */
static void test_reopen_never_back(void **state)
{
	struct fx *f = *state;
	close(f->master);
	f->master = -1;
	/* Gone for good: the link's target must not come back.  The old
	 * /dev/pts/N does, as soon as another program opens a pty (tests run
	 * side by side), and then the device has come back. */
	char gone[320];
	snprintf(gone, sizeof gone, "%s/gone", f->dir);
	assert_int_equal(unlink(f->link), 0);
	assert_int_equal(symlink(gone, f->link), 0);
	assert_int_equal(f->tp->ops->reopen(f->tp, 200), MTK_E_NODEV);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "did not come back"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_port_key_is_the_link),
		T(test_reopen_follows_new_target),
		T(test_reopen_without_hangup),
		T(test_reopen_never_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
