/* SPDX-License-Identifier: MIT */
/* `--port auto` against an emulated phone under umockdev: sysfs carries a
 * 0e8d:0003 USB device whose CDC-ACM interface has the tty ttyACM0, and
 * /dev/ttyACM0 is a pty whose other end the emulator serves.  The library
 * finds the port through sysfs alone and runs the BROM handshake over it.
 *
 * With the path of mtkflash as argument, the command line is checked too:
 * `mtkflash --port auto detect` in a child process, which inherits the
 * preload and the test bed.
 *
 * Run under umockdev-wrapper (the preload redirects /sys and /dev into the
 * test bed); without it the test exits 77, which meson counts as skipped. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umockdev.h>

#include "mtkemu.h"
#include "mtkflash/brom.h"
#include "mtkflash/transport.h"

#define USBDEV "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
#define TTYDIR USBDEV "/1-1:1.0/tty/ttyACM0"

/* The kernel's layout, umockdev's text format: udev properties (E:) and
 * sysfs attributes (A:, values end in a literal \n).  Bus and device numbers
 * are plain in sysfs and zero-padded in udev properties. */
static const char phone[] =
	"P: /devices/pci0000:00/0000:00:14.0/usb1/1-1\n"
	"N: bus/usb/001/002\n"
	"E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: BUSNUM=001\nE: DEVNUM=002\n"
	"E: DEVNAME=/dev/bus/usb/001/002\n"
	"A: idVendor=0e8d\\n\nA: idProduct=0003\\n\nA: busnum=1\\n\nA: devnum=2\\n\nA: devpath=1\\n\n"
	"A: bDeviceClass=02\\n\nA: bNumInterfaces= 2\\n\nA: speed=12\\n\n"
	"\n"
	"P: /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0\n"
	"E: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\nE: DRIVER=cdc_acm\n"
	"A: bInterfaceNumber=00\\n\nA: bInterfaceClass=02\\n\n"
	"\n"
	"P: /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/tty/ttyACM0\n"
	"N: ttyACM0\n"
	"E: SUBSYSTEM=tty\nE: DEVNAME=/dev/ttyACM0\n";

static int failures;

#define CHECK(cond, ...)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                 \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fputc('\n', stderr);                                                                 \
			failures++;                                                                          \
		}                                                                                            \
	} while (0)

struct served {
	struct mtkemu *emu;
	int fd;
};

static void *serve(void *arg)
{
	struct served *s = arg;
	mtkemu_serve(s->emu, s->fd);
	return NULL;
}

static void check_listing(mtk_ctx *ctx)
{
	struct mtk_port_info p[4];
	int n = mtk_find_mediatek_ports(ctx, p, 4);
	CHECK(n == 1, "mtk_find_mediatek_ports: %d (%s)", n, mtk_ctx_error(ctx));
	if (n < 1)
		return;
	CHECK(strcmp(p[0].path, "/dev/ttyACM0") == 0, "path %s", p[0].path);
	CHECK(p[0].vid == 0x0e8d && p[0].pid == 0x0003, "id %04x:%04x", p[0].vid, p[0].pid);
	CHECK(p[0].role == MTK_USB_ROLE_BROM, "role %s", mtk_usb_role_name(p[0].role));
	CHECK(p[0].busnum == 1 && p[0].devnum == 2, "bus %u addr %u", p[0].busnum, p[0].devnum);
	CHECK(strcmp(p[0].usb_path, "1-1") == 0, "usb path '%s'", p[0].usb_path);
}

/* Opens SPEC, handshakes, and checks what the emulated MT6737 says.  The
 * emulator serves one session: a pty master hangs up when the tool closes
 * the port, so it starts only once the port is open. */
static void check_connect(mtk_ctx *ctx, const char *spec, int master)
{
	struct served s = { .fd = master };
	struct mtkemu_options o = { .chip = "mt6737", .mode = "brom" };
	char emsg[256] = "";
	if (mtkemu_new(&o, &s.emu, emsg, sizeof emsg) != 0) {
		CHECK(false, "emulator: %s", emsg);
		return;
	}
	struct mtk_transport *tp = NULL;
	int rc = mtk_transport_open(ctx, spec, 5000, &tp);
	CHECK(rc == 0, "open %s: %s", spec, mtk_ctx_error(ctx));
	if (rc < 0) {
		mtkemu_free(s.emu);
		return;
	}
	pthread_t th;
	pthread_create(&th, NULL, serve, &s);
	CHECK(strcmp(mtk_transport_describe(tp), "serial:/dev/ttyACM0") == 0, "%s opened %s", spec,
	      mtk_transport_describe(tp));
	struct mtk_brom b = { .ctx = ctx };
	rc = mtk_brom_connect(&b, tp, 5000);
	CHECK(rc == 0, "%s: brom connect: %s", spec, mtk_ctx_error(ctx));
	CHECK(rc < 0 || b.info.hw_code == 0x0335, "%s: hw_code 0x%04x", spec, b.info.hw_code);
	CHECK(rc < 0 || b.info.mode == MTK_MODE_BROM, "%s: not in BROM mode", spec);
	mtk_transport_close(tp);
	mtkemu_stop(s.emu);
	pthread_join(th, NULL);
	mtkemu_free(s.emu);
}

extern char **environ;

/* All of fd into buf (NUL-terminated), as much as fits. */
static void slurp(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

/* `mtkflash --port auto --json detect` in a child, the emulator serving its session. */
static void check_cli(const char *mtkflash, int master)
{
	struct served s = { .fd = master };
	struct mtkemu_options o = { .chip = "mt6737", .mode = "brom" };
	char emsg[256] = "", out[16384], err[16384];
	int po[2], pe[2];
	if (mtkemu_new(&o, &s.emu, emsg, sizeof emsg) != 0 || pipe(po) < 0 || pipe(pe) < 0) {
		CHECK(false, "cli set-up: %s", emsg);
		return;
	}
	/* Our own hold on the port keeps the master from reading a hang-up
	 * before the child has opened it. */
	int keep = open("/dev/ttyACM0", O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(keep >= 0, "cannot open /dev/ttyACM0: %s", strerror(errno));
	pthread_t th;
	pthread_create(&th, NULL, serve, &s);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	char *const argv[] = { (char *)mtkflash, "--port", "auto", "--wait", "5", "--json", "-v", "detect", NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, mtkflash, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	int status = -1;
	if (rc == 0) {
		slurp(po[0], out, sizeof out);
		slurp(pe[0], err, sizeof err);
		waitpid(pid, &status, 0);
	}
	close(po[0]);
	close(pe[0]);
	mtkemu_stop(s.emu);
	pthread_join(th, NULL);
	mtkemu_free(s.emu);
	if (keep >= 0)
		close(keep);
	CHECK(rc == 0, "cannot run %s: %s", mtkflash, strerror(rc));
	if (rc != 0)
		return;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mtkflash exit status %d; stderr:\n%s", status, err);
	CHECK(strstr(out, "\"hw_code\": 821") && strstr(out, "\"mode\": \"brom\""), "stdout:\n%s", out);
	CHECK(strstr(err, "waiting for a MediaTek device (hold volume-down while plugging in; up to 5 s)"),
	      "no waiting message; stderr:\n%s", err);
	CHECK(strstr(err, "found /dev/ttyACM0 (0e8d:0003 MediaTek BROM, USB 1-1 = bus 1 address 2)"),
	      "no 'found' line; stderr:\n%s", err);
}

int main(int argc, char **argv)
{
	UMockdevTestbed *tb = umockdev_testbed_new();
	/* Meaningful only once a test bed exists. */
	if (!umockdev_in_mock_environment()) {
		fprintf(stderr, "SKIP: run under umockdev-wrapper\n");
		g_object_unref(tb);
		return 77;
	}
	GError *err = NULL;
	if (!umockdev_testbed_add_from_string(tb, phone, &err)) {
		fprintf(stderr, "FAIL: test bed: %s\n", err ? err->message : "?");
		return 1;
	}
	/* umockdev makes no `device` link for class devices. */
	umockdev_testbed_set_attribute_link(tb, TTYDIR, "device", "../../../1-1:1.0");

	/* The pty master behind /dev/ttyACM0: the phone's side of the cable. */
	int master = umockdev_testbed_get_dev_fd(tb, "/dev/ttyACM0");
	if (master < 0) {
		fprintf(stderr, "FAIL: no emulated /dev/ttyACM0\n");
		return 1;
	}
	mtk_ctx *ctx = mtk_ctx_new();
	check_listing(ctx);
	check_connect(ctx, "auto", master);
	check_connect(ctx, "usb:001:002", master);
	if (argc > 1)
		check_cli(argv[1], master);

	mtk_ctx_free(ctx);
	g_object_unref(tb);
	if (failures == 0)
		printf("umockdev auto: found /dev/ttyACM0 (0e8d:0003) and handshook with the emulated MT6737\n");
	return failures ? 1 : 0;
}
