/* SPDX-License-Identifier: MIT */
/* Which Download Agent file the DA commands pick (cli/cli_da.c): --da first,
 * then the user's DA folder, and the bundled synthetic DA only for a device
 * that is software — the in-process emulator or a pseudo-terminal — never for
 * a real serial port.  Also that the serial transport marks a pty as such a
 * device. */
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
#include <time.h>
#include <unistd.h>

#include "../../cli/cli_connect.h"
#include "../../cli/cli_da.h"
#include "transport/transport_priv.h" /* white-box: stand-in transports */
#include "testutil.h"

struct fx {
	mtk_ctx *ctx;
	struct cli cli;
	char xdg[64];
	char da_in_xdg[160];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	f->cli.ctx = f->ctx;
	f->cli.progname = "mtkflash";
	/* An empty DA folder, so whatever the user has installed does not count. */
	test_mkdtemp(f->xdg, sizeof f->xdg, "test_cli_da");
	setenv("XDG_DATA_HOME", f->xdg, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	test_rmtree(f->xdg);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && strcmp(s + a - b, tail) == 0;
}

static void test_real_port_gets_no_synthetic_da(void **state)
{
	struct fx *f = *state;
	struct mtk_transport tp = { .virtual_device = false };
	snprintf(tp.desc, sizeof tp.desc, "serial:/dev/ttyS0");
	char out[4096] = "";
	assert_int_equal(cli_da_find_file(&f->cli, &tp, out, sizeof out), MTK_E_NOTFOUND);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "--da FILE"));
	/* before the port is open, the spec decides */
	f->cli.port = "serial:/dev/ttyS0";
	assert_int_equal(cli_da_find_file(&f->cli, NULL, out, sizeof out), MTK_E_NOTFOUND);
	f->cli.port = "/dev/ttyACM0";
	assert_int_equal(cli_da_find_file(&f->cli, NULL, out, sizeof out), MTK_E_NOTFOUND);
}

static void test_software_device_gets_synthetic_da(void **state)
{
	struct fx *f = *state;
	struct mtk_transport tp = { .virtual_device = true };
	char out[4096] = "";
	assert_int_equal(cli_da_find_file(&f->cli, &tp, out, sizeof out), 0);
	assert_true(ends_with(out, "MTK_AllInOne_DA_synthetic.bin"));
	f->cli.port = "emu:mt6580";
	out[0] = '\0';
	assert_int_equal(cli_da_find_file(&f->cli, NULL, out, sizeof out), 0);
	assert_true(ends_with(out, "MTK_AllInOne_DA_synthetic.bin"));
}

/* --da wins over everything; the user's folder over the synthetic DA. */
static void test_order(void **state)
{
	struct fx *f = *state;
	char dir[128], out[4096];
	snprintf(dir, sizeof dir, "%s/mtkflash", f->xdg);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(f->da_in_xdg, sizeof f->da_in_xdg, "%s/MTK_AllInOne_DA_user.bin", dir);
	FILE *fp = fopen(f->da_in_xdg, "wb");
	assert_non_null(fp);
	fclose(fp);
	struct mtk_transport real = { .virtual_device = false }, soft = { .virtual_device = true };
	assert_int_equal(cli_da_find_file(&f->cli, &real, out, sizeof out), 0);
	assert_string_equal(out, f->da_in_xdg);
	assert_int_equal(cli_da_find_file(&f->cli, &soft, out, sizeof out), 0);
	assert_string_equal(out, f->da_in_xdg);
	f->cli.da = "/some/where/MTK_AllInOne_DA.bin";
	assert_int_equal(cli_da_find_file(&f->cli, &real, out, sizeof out), 0);
	assert_string_equal(out, "/some/where/MTK_AllInOne_DA.bin");
}

/* The serial transport marks a pty (what mtkemu serves) as a software device. */
static void test_serial_pty_is_virtual(void **state)
{
	struct fx *f = *state;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	char spec[128];
	snprintf(spec, sizeof spec, "serial:%s", ptsname(master));
	struct mtk_transport *tp = NULL;
	assert_int_equal(mtk_transport_open(f->ctx, spec, 0, &tp), 0);
	assert_true(tp->virtual_device);
	mtk_transport_close(tp);
	close(master);
}

/* A named tty that hangs up before a byte went either way (a phone
 * re-enumerating as it was opened) gets another attempt at the same name;
 * one that hung up mid-conversation is that tty's answer: no retry. */
static void test_named_tty_left_at_once(void **state)
{
	struct fx *f = *state;
	char link[160], spec[200];
	snprintf(link, sizeof link, "%s/tty", f->xdg);
	snprintf(spec, sizeof spec, "serial:%s", link);
	f->cli.port = spec;
	f->cli.wait_ms = 3000;
	int old = test_pty_behind(link);
	struct cli_attempts att;
	struct mtk_transport *tp = NULL;
	assert_int_equal(cli_open_first(&f->cli, &att, &tp), 0);
	close(old); /* gone before a word */
	int now = test_pty_behind(link);
	assert_int_equal(cli_connect_again(&f->cli, &att, &tp, MTK_E_DISCONNECTED), 1);
	assert_int_equal(att.n, 1);
	assert_int_equal(mtk_tp_write(tp, (const uint8_t *)"\xa0", 1, 1000), 0);
	uint8_t b = 0;
	assert_int_equal(read(now, &b, 1), 1); /* the new phone hears us */
	assert_int_equal(b, 0xa0);
	assert_int_equal(cli_connect_again(&f->cli, &att, &tp, MTK_E_DISCONNECTED), MTK_E_DISCONNECTED);
	assert_int_equal(att.n, 1);
	mtk_transport_close(tp);
	close(now);
	f->cli.port = NULL;
}

/* An image that shrank after its size was taken: the source fails naming
 * the partition and the offset instead of letting the DA pad with zeros;
 * one that grew fails at the end. */
static void test_source_delivers_exactly(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	FILE *f = tmpfile();
	assert_non_null(f);
	uint8_t buf[256];
	memset(buf, 0xab, sizeof buf);
	assert_int_equal(fwrite(buf, 1, 100, f), 100);
	rewind(f);
	struct cli_file_io io = { .f = f, .path = "img", .ctx = ctx, .part = "boot", .expect = 200 };
	assert_int_equal(cli_file_source(&io, 0, buf, 64), 64);
	assert_int_equal(cli_file_source(&io, 64, buf, 136), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "writing boot: img ended at 0x64 of the 0xc8 bytes"));
	rewind(f);
	struct cli_file_io grew = { .f = f, .path = "img", .ctx = ctx, .part = "boot", .expect = 50 };
	assert_int_equal(cli_file_source(&grew, 0, buf, sizeof buf), 50); /* never more than promised */
	assert_int_equal(cli_file_source_finish(&grew), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "grew"));
	fclose(f);
	mtk_ctx_free(ctx);
}

/* A stop signal repeated within 0.1 s is the first one again (timeout(1)
 * sends its signal to the command and to its process group); later, it is a
 * person's second Ctrl-C.  The wait is the window itself, not a sync. */
static void test_stop_signal_echo(void **state)
{
	(void)state;
	cli_stop_signal = 0;
	cli_note_stop_signal(SIGINT);
	assert_int_equal(cli_stop_signal, SIGINT);
	assert_true(cli_stop_signal_echo());
	struct timespec pause = { 0, 150000000 };
	while (nanosleep(&pause, &pause) != 0)
		;
	assert_false(cli_stop_signal_echo());
	cli_stop_signal = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real_port_gets_no_synthetic_da, setup, teardown),
		cmocka_unit_test_setup_teardown(test_software_device_gets_synthetic_da, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test(test_source_delivers_exactly),
		cmocka_unit_test(test_stop_signal_echo),
		cmocka_unit_test_setup_teardown(test_serial_pty_is_virtual, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_tty_left_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
