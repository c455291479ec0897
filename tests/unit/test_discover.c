/* SPDX-License-Identifier: MIT */
/* Finding a MediaTek phone's tty through sysfs (lib/transport/discover.c),
 * on a fake sysfs tree laid out as the kernel does it: the tty's class link,
 * its `device` link to the USB interface (or usb-serial port), and the USB
 * device's attributes.  The /dev node of a found port is a symlink to a pty
 * served by the emulator, so `auto` is tested up to the BROM handshake. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "core/ctx.h"
#include "mtkemu.h"
#include "mtkflash/brom.h"
#include "transport/transport_priv.h"

#define PCI "devices/pci0000:00/0000:00:14.0"

struct fx {
	char root[64], sys[96], dev[96];
	mtk_ctx *ctx;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	test_mkdtemp(f->root, sizeof f->root, "test-discover");
	snprintf(f->sys, sizeof f->sys, "%s/sys", f->root);
	snprintf(f->dev, sizeof f->dev, "%s/dev", f->root);
	assert_int_equal(mkdir(f->sys, 0755), 0);
	assert_int_equal(mkdir(f->dev, 0755), 0);
	f->ctx = mtk_ctx_new();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mtk_ctx_free(f->ctx);
	assert_int_equal(test_rmtree(f->root), 0);
	free(f);
	return 0;
}

/* ---- building the fake tree ---- */

static void mkdirs(const char *path)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", tmp, strerror(errno));
}

static void symlink_at(const char *target, const char *dir, const char *name)
{
	char path[1024];
	test_path(path, sizeof path, dir, name);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

struct usbdev {
	const char *name;      /* kernel name, "1-1.4" */
	const char *vid, *pid; /* attribute text, as the kernel writes it */
	unsigned bus, addr;
};

/* SYS/devices/…/usbN/NAME with its identity attributes; the directory into out. */
static void add_usb_device(struct fx *f, const struct usbdev *u, char *out, size_t cap)
{
	snprintf(out, cap, "%s/" PCI "/usb%u/%s", f->sys, u->bus, u->name);
	mkdirs(out);
	char num[32];
	test_write_text(out, "idVendor", u->vid);
	test_write_text(out, "idProduct", u->pid);
	snprintf(num, sizeof num, "%u\n", u->bus);
	test_write_text(out, "busnum", num);
	snprintf(num, sizeof num, "%u\n", u->addr);
	test_write_text(out, "devnum", num);
	const char *dash = strchr(u->name, '-');
	snprintf(num, sizeof num, "%s\n", dash ? dash + 1 : "");
	test_write_text(out, "devpath", num);
}

/* SYS/class/tty/TTY -> the tty's directory DIR (absolute, under SYS). */
static void add_class_link(struct fx *f, const char *tty, const char *dir)
{
	char cls[256];
	snprintf(cls, sizeof cls, "%s/class/tty", f->sys);
	mkdirs(cls);
	char rel[512];
	snprintf(rel, sizeof rel, "../..%s", dir + strlen(f->sys));
	symlink_at(rel, cls, tty);
}

/* cdc_acm: USBDEV/USBDEV:1.0/tty/TTY, device -> ../../../USBDEV:1.0 */
static void add_acm_tty(struct fx *f, const struct usbdev *u, const char *tty)
{
	char usb[512], iface[600], dir[700], link[128];
	add_usb_device(f, u, usb, sizeof usb);
	snprintf(iface, sizeof iface, "%s/%s:1.0", usb, u->name);
	mkdirs(iface);
	test_write_text(iface, "bInterfaceClass", "02\n");
	snprintf(dir, sizeof dir, "%s/tty/%s", iface, tty);
	mkdirs(dir);
	snprintf(link, sizeof link, "../../../%s:1.0", u->name);
	symlink_at(link, dir, "device");
	add_class_link(f, tty, dir);
}

/* usb-serial: USBDEV/USBDEV:1.0/TTY/tty/TTY, device -> ../../../TTY (the port) */
static void add_usbserial_tty(struct fx *f, const struct usbdev *u, const char *tty)
{
	char usb[512], port[700], dir[800], link[128];
	add_usb_device(f, u, usb, sizeof usb);
	snprintf(port, sizeof port, "%s/%s:1.0/%s", usb, u->name, tty);
	mkdirs(port);
	snprintf(dir, sizeof dir, "%s/tty/%s", port, tty);
	mkdirs(dir);
	snprintf(link, sizeof link, "../../../%s", tty);
	symlink_at(link, dir, "device");
	add_class_link(f, tty, dir);
}

/* Ttys that are not USB: a platform UART (its ancestors have no idVendor)
 * and a virtual console (no device link at all). */
static void add_other_ttys(struct fx *f)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/devices/platform/serial8250/tty/ttyS0", f->sys);
	mkdirs(dir);
	symlink_at("../../../serial8250", dir, "device");
	add_class_link(f, "ttyS0", dir);
	snprintf(dir, sizeof dir, "%s/devices/virtual/tty/tty0", f->sys);
	mkdirs(dir);
	add_class_link(f, "tty0", dir);
}

/* ---- attribute parsers and the identity table ---- */

static void test_hex16(void **state)
{
	(void)state;
	uint16_t v = 0;
	assert_int_equal(mtk_sysfs_hex16((const uint8_t *)"0e8d\n", 5, &v), 0);
	assert_int_equal(v, 0x0e8d);
	assert_int_equal(mtk_sysfs_hex16((const uint8_t *)"D1E9", 4, &v), 0);
	assert_int_equal(v, 0xd1e9);
	assert_int_equal(mtk_sysfs_hex16((const uint8_t *)"3\n", 2, &v), 0);
	assert_int_equal(v, 3);
	static const char *const bad[] = { "", "\n", "0e8d\n\n", "10e8d", "0x0e", "0e8d ", " 0e8", "zzzz", "0e\n8" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 0x1234;
		assert_int_equal(mtk_sysfs_hex16((const uint8_t *)bad[i], strlen(bad[i]), &v), MTK_E_PARSE);
		assert_int_equal(v, 0x1234);
	}
	/* bounded by len, not by a terminator */
	assert_int_equal(mtk_sysfs_hex16((const uint8_t *)"0e8dffff", 4, &v), 0);
	assert_int_equal(v, 0x0e8d);
}

static void test_decimal(void **state)
{
	(void)state;
	unsigned v = 0;
	assert_int_equal(mtk_sysfs_uint((const uint8_t *)"3\n", 2, 65535, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(mtk_sysfs_uint((const uint8_t *)"65535", 5, 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(mtk_parse_dec("005", 3, 127, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(mtk_parse_dec("127", 3, 127, &v), 0);
	static const char *const bad[] = { "", "\n", "65536", "-1", "+1", "1 2", "0x10", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(mtk_sysfs_uint((const uint8_t *)bad[i], strlen(bad[i]), 65535, &v), MTK_E_PARSE);
	assert_int_equal(mtk_parse_dec("128", 3, 127, &v), MTK_E_PARSE);
	assert_int_equal(mtk_parse_dec("5", 1, 3, &v), MTK_E_PARSE); /* a digit above a small bound */
	assert_int_equal(mtk_parse_dec("0", 1, 0, &v), 0);
	assert_int_equal(mtk_parse_dec("4294967295", 10, 4294967295u, &v), 0);
	assert_int_equal(v, 4294967295u);
	assert_int_equal(mtk_parse_dec("4294967296", 10, 4294967295u, &v), MTK_E_PARSE);
	assert_int_equal(mtk_parse_dec("5\n", 2, 127, &v), MTK_E_PARSE);
}

static void test_identity_table(void **state)
{
	(void)state;
	static const struct {
		uint16_t vid, pid;
		bool ours;
		enum mtk_usb_role role;
	} cases[] = {
		{ 0x0e8d, 0x0003, true, MTK_USB_ROLE_BROM },
		{ 0x0e8d, 0x2000, true, MTK_USB_ROLE_PRELOADER },
		{ 0x0e8d, 0x2001, true, MTK_USB_ROLE_PRELOADER },
		{ 0x0e8d, 0x20ff, true, MTK_USB_ROLE_PRELOADER },
		{ 0x0e8d, 0x3000, true, MTK_USB_ROLE_PRELOADER },
		{ 0x0e8d, 0x6000, true, MTK_USB_ROLE_PRELOADER },
		{ 0x1004, 0x6000, true, MTK_USB_ROLE_PRELOADER },
		{ 0x22d9, 0x0006, true, MTK_USB_ROLE_PRELOADER },
		{ 0x0fce, 0xd1e9, true, MTK_USB_ROLE_BROM },
		{ 0x0fce, 0xf200, true, MTK_USB_ROLE_BROM },
		{ 0x0e8d, 0x2008, true, MTK_USB_ROLE_OTHER }, /* a booted phone */
		{ 0x1004, 0x61f1, false, 0 },                 /* an LG phone's own modem */
		{ 0x0403, 0x6001, false, 0 },                 /* FTDI: only by explicit --port */
		{ 0x1a86, 0x7523, false, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum mtk_usb_role role = MTK_USB_ROLE_OTHER;
		const char *what = NULL;
		bool ours = mtk_usb_identity(cases[i].vid, cases[i].pid, &role, &what);
		if (ours != cases[i].ours || (ours && role != cases[i].role))
			fail_msg("%04x:%04x: ours=%d role=%d", cases[i].vid, cases[i].pid, ours, role);
		if (ours)
			assert_non_null(what);
	}
	assert_string_equal(mtk_usb_role_name(MTK_USB_ROLE_BROM), "BROM");
	assert_string_equal(mtk_usb_role_name(MTK_USB_ROLE_PRELOADER), "preloader");
}

/* ---- scanning ---- */

static void test_scan_mixed_tree(void **state)
{
	struct fx *f = *state;
	add_acm_tty(f, &(struct usbdev){ "1-1.4", "0e8d\n", "2000\n", 1, 7 }, "ttyACM10");
	add_acm_tty(f, &(struct usbdev){ "1-2", "0e8d\n", "0003\n", 1, 3 }, "ttyACM2");
	add_acm_tty(f, &(struct usbdev){ "2-1", "0e8d\n", "2008\n", 2, 2 }, "ttyACM1");
	add_acm_tty(f, &(struct usbdev){ "2-2", "1234\n", "5678\n", 2, 4 }, "ttyACM3");
	add_acm_tty(f, &(struct usbdev){ "2-3", "zzzz\n", "0003\n", 2, 5 }, "ttyACM4");
	add_usbserial_tty(f, &(struct usbdev){ "3-1", "0fce\n", "d1e9\n", 3, 9 }, "ttyUSB0");
	add_usbserial_tty(f, &(struct usbdev){ "3-2", "0403\n", "6001\n", 3, 10 }, "ttyUSB1");
	add_other_ttys(f);

	struct mtk_port_info p[8];
	memset(p, 0, sizeof p);
	assert_int_equal(mtk_find_ports_at(f->ctx, f->sys, f->dev, p, 8), 4);
	char want[160];
	static const char *const order[] = { "ttyACM1", "ttyACM2", "ttyACM10", "ttyUSB0" };
	for (int i = 0; i < 4; i++) {
		snprintf(want, sizeof want, "%s/%s", f->dev, order[i]);
		assert_string_equal(p[i].path, want);
	}
	assert_int_equal(p[0].role, MTK_USB_ROLE_OTHER);
	assert_int_equal(p[0].pid, 0x2008);
	assert_int_equal(p[1].vid, 0x0e8d);
	assert_int_equal(p[1].pid, 0x0003);
	assert_int_equal(p[1].role, MTK_USB_ROLE_BROM);
	assert_string_equal(p[1].what, "MediaTek BROM");
	assert_int_equal(p[1].busnum, 1);
	assert_int_equal(p[1].devnum, 3);
	assert_string_equal(p[1].usb_path, "1-2");
	assert_int_equal(p[2].role, MTK_USB_ROLE_PRELOADER);
	assert_string_equal(p[2].usb_path, "1-1.4");
	assert_int_equal(p[2].devnum, 7);
	/* usb-serial sits one level deeper: the walk must pass the interface */
	assert_int_equal(p[3].vid, 0x0fce);
	assert_int_equal(p[3].pid, 0xd1e9);
	assert_int_equal(p[3].role, MTK_USB_ROLE_BROM);
	assert_string_equal(p[3].usb_path, "3-1");
	assert_int_equal(p[4].path[0], '\0');
}

static void test_scan_reports_total_beyond_max(void **state)
{
	struct fx *f = *state;
	add_acm_tty(f, &(struct usbdev){ "1-1", "0e8d\n", "0003\n", 1, 2 }, "ttyACM0");
	add_acm_tty(f, &(struct usbdev){ "1-2", "0e8d\n", "0003\n", 1, 3 }, "ttyACM1");
	add_acm_tty(f, &(struct usbdev){ "1-3", "0e8d\n", "2000\n", 1, 4 }, "ttyACM2");
	struct mtk_port_info p[2];
	memset(p, 0x5a, sizeof p);
	assert_int_equal(mtk_find_ports_at(f->ctx, f->sys, f->dev, p, 1), 3);
	assert_int_equal(p[0].devnum, 2);
	assert_int_equal(p[1].devnum, 0x5a5a5a5a); /* untouched */
	assert_int_equal(mtk_find_ports_at(f->ctx, f->sys, f->dev, NULL, 0), 3);
}

static void test_scan_missing_attributes(void **state)
{
	struct fx *f = *state;
	/* no busnum/devnum/devpath: still found, location unknown */
	char usb[256];
	snprintf(usb, sizeof usb, "%s/" PCI "/usb1/1-1", f->sys);
	char iface[300], dir[400];
	snprintf(iface, sizeof iface, "%s/1-1:1.0", usb);
	snprintf(dir, sizeof dir, "%s/tty/ttyACM0", iface);
	mkdirs(dir);
	test_write_text(usb, "idVendor", "0e8d");
	test_write_text(usb, "idProduct", "0003");
	test_write_text(usb, "devpath", "../../etc\n"); /* ignored without busnum, and invalid anyway */
	symlink_at("../../../1-1:1.0", dir, "device");
	add_class_link(f, "ttyACM0", dir);
	/* idVendor without idProduct: skipped */
	snprintf(usb, sizeof usb, "%s/" PCI "/usb1/1-2", f->sys);
	snprintf(dir, sizeof dir, "%s/1-2:1.0/tty/ttyACM1", usb);
	mkdirs(dir);
	test_write_text(usb, "idVendor", "0e8d\n");
	symlink_at("../../../1-2:1.0", dir, "device");
	add_class_link(f, "ttyACM1", dir);

	struct mtk_port_info p[4];
	assert_int_equal(mtk_find_ports_at(f->ctx, f->sys, f->dev, p, 4), 1);
	assert_int_equal(p[0].busnum, 0);
	assert_int_equal(p[0].devnum, 0);
	assert_string_equal(p[0].usb_path, "");
	assert_int_equal(p[0].role, MTK_USB_ROLE_BROM);
}

static void test_scan_without_tty_class(void **state)
{
	struct fx *f = *state;
	struct mtk_port_info p[1];
	assert_int_equal(mtk_find_ports_at(f->ctx, f->sys, f->dev, p, 1), 0);
	assert_int_equal(mtk_find_ports_at(f->ctx, "/nonexistent-sysfs", f->dev, p, 1), 0);
}

/* ---- auto: waiting, choosing, opening ---- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A BROM-mode mt6737 served on a pty; FX/dev/TTY will point at its slave. */
struct phone {
	struct mtkemu *emu;
	int master, slave_keep;
	char slave[64];
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct phone *ph = arg;
	mtkemu_serve(ph->emu, ph->master);
	return NULL;
}

static void phone_start(struct phone *ph)
{
	memset(ph, 0, sizeof *ph);
	struct mtkemu_options o = { .chip = "mt6737", .mode = "brom" };
	char err[256] = "";
	if (mtkemu_new(&o, &ph->emu, err, sizeof err) != 0)
		fail_msg("mtkemu_new: %s", err);
	ph->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(ph->master >= 0);
	assert_int_equal(grantpt(ph->master), 0);
	assert_int_equal(unlockpt(ph->master), 0);
	assert_int_equal(ptsname_r(ph->master, ph->slave, sizeof ph->slave), 0);
	/* Held open so the master does not see a hang-up before the tool opens
	 * the port, as a phone's port does not either. */
	ph->slave_keep = open(ph->slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(ph->slave_keep >= 0);
	assert_int_equal(pthread_create(&ph->thread, NULL, serve, ph), 0);
}

static void phone_stop(struct phone *ph)
{
	mtkemu_stop(ph->emu);
	pthread_join(ph->thread, NULL);
	close(ph->slave_keep);
	close(ph->master);
	mtkemu_free(ph->emu);
}

static void plug_node(struct fx *f, const struct phone *ph, const char *tty)
{
	symlink_at(ph->slave, f->dev, tty);
}

static void assert_brom_answers(struct fx *f, struct mtk_transport *tp)
{
	struct mtk_brom b = { .ctx = f->ctx };
	int rc = mtk_brom_connect(&b, tp, 3000);
	if (rc < 0)
		fail_msg("brom connect: %s", mtk_ctx_error(f->ctx));
	assert_int_equal(b.info.hw_code, 0x0335);
	assert_int_equal(b.info.mode, MTK_MODE_BROM);
}

static void test_auto_opens_the_one_phone(void **state)
{
	struct fx *f = *state;
	struct phone ph;
	phone_start(&ph);
	add_acm_tty(f, &(struct usbdev){ "1-1", "0e8d\n", "2008\n", 1, 2 }, "ttyACM0"); /* booted: ignored */
	add_acm_tty(f, &(struct usbdev){ "1-2", "0e8d\n", "0003\n", 1, 3 }, "ttyACM1");
	add_other_ttys(f);
	plug_node(f, &ph, "ttyACM1");
	struct mtk_transport *tp = NULL;
	assert_int_equal(mtk_auto_open_at(f->ctx, f->sys, f->dev, NULL, 0, &tp), 0);
	char want[200];
	snprintf(want, sizeof want, "serial:%s/ttyACM1", f->dev);
	assert_string_equal(mtk_transport_describe(tp), want);
	assert_brom_answers(f, tp);
	mtk_transport_close(tp);
	phone_stop(&ph);
}

struct late_plug {
	struct fx *f;
	struct phone *ph;
	int sysfs_after_ms, node_after_ms; /* sysfs_after_ms < 0: in sysfs from the start */
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void add_phone_tty(struct fx *f)
{
	add_acm_tty(f, &(struct usbdev){ "1-3", "0e8d\n", "0003\n", 1, 5 }, "ttyACM0");
}

/* The kernel adds the sysfs entry first; udev makes the node a little later. */
static void *plug_later(void *arg)
{
	struct late_plug *lp = arg;
	if (lp->sysfs_after_ms >= 0) {
		sleep_ms(lp->sysfs_after_ms);
		add_phone_tty(lp->f);
	}
	sleep_ms(lp->node_after_ms);
	plug_node(lp->f, lp->ph, "ttyACM0");
	return NULL;
}

static void run_late_plug(struct fx *f, int sysfs_after, int node_after, int wait_ms)
{
	struct phone ph;
	phone_start(&ph);
	struct late_plug lp = { f, &ph, sysfs_after, node_after };
	if (sysfs_after < 0)
		add_phone_tty(f);
	pthread_t th;
	long long t0 = now_ms();
	assert_int_equal(pthread_create(&th, NULL, plug_later, &lp), 0);
	struct mtk_transport *tp = NULL;
	int rc = mtk_auto_open_at(f->ctx, f->sys, f->dev, NULL, wait_ms, &tp);
	long long took = now_ms() - t0;
	pthread_join(th, NULL);
	if (rc < 0)
		fail_msg("auto: %s", mtk_ctx_error(f->ctx));
	assert_true(took >= (sysfs_after > 0 ? sysfs_after : 0) + node_after);
	assert_brom_answers(f, tp);
	mtk_transport_close(tp);
	phone_stop(&ph);
}

static void test_auto_waits_for_the_phone(void **state)
{
	run_late_plug(*state, 400, 0, 5000);
}

/* Even at --wait 0, a port seen in sysfs gets time for its node. */
static void test_auto_waits_for_the_node(void **state)
{
	run_late_plug(*state, -1, 300, 0);
}

static void test_auto_refuses_two_phones(void **state)
{
	struct fx *f = *state;
	add_acm_tty(f, &(struct usbdev){ "1-1", "0e8d\n", "0003\n", 1, 2 }, "ttyACM0");
	add_acm_tty(f, &(struct usbdev){ "1-2", "0e8d\n", "2000\n", 1, 3 }, "ttyACM1");
	struct mtk_transport *tp = (struct mtk_transport *)1;
	assert_int_equal(mtk_auto_open_at(f->ctx, f->sys, f->dev, NULL, 1000, &tp), MTK_E_INVAL);
	assert_null(tp);
	const char *msg = mtk_ctx_error(f->ctx);
	assert_non_null(strstr(msg, "2 MediaTek devices are in download mode"));
	assert_non_null(strstr(msg, "ttyACM0 (0e8d:0003 MediaTek BROM, USB 1-1 = bus 1 address 2)"));
	assert_non_null(strstr(msg, "ttyACM1 (0e8d:2000 MediaTek preloader, USB 1-2 = bus 1 address 3)"));
	assert_non_null(strstr(msg, "--port"));
}

static void test_auto_times_out_with_causes(void **state)
{
	struct fx *f = *state;
	add_acm_tty(f, &(struct usbdev){ "1-1", "0e8d\n", "2008\n", 1, 2 }, "ttyACM0");
	struct mtk_transport *tp = NULL;
	long long t0 = now_ms();
	assert_int_equal(mtk_auto_open_at(f->ctx, f->sys, f->dev, NULL, 450, &tp), MTK_E_NODEV);
	long long took = now_ms() - t0;
	assert_true(took >= 450 && took < 2000);
	assert_null(tp);
	const char *msg = mtk_ctx_error(f->ctx);
	assert_non_null(strstr(msg, "no MediaTek device in download mode appeared within 0.4 s"));
	assert_non_null(strstr(msg, "ttyACM0 (0e8d:2008 MediaTek device, not in download mode"));
	assert_non_null(strstr(msg, "volume-down"));
	assert_non_null(strstr(msg, "cable"));
	assert_non_null(strstr(msg, "cdc_acm"));
	assert_non_null(strstr(msg, "ModemManager"));
}

static void test_usb_bus_addr_picks_its_tty(void **state)
{
	struct fx *f = *state;
	struct phone ph;
	phone_start(&ph);
	add_acm_tty(f, &(struct usbdev){ "1-1", "0e8d\n", "0003\n", 1, 2 }, "ttyACM0");
	add_acm_tty(f, &(struct usbdev){ "1-2", "0e8d\n", "0003\n", 1, 3 }, "ttyACM1");
	plug_node(f, &ph, "ttyACM1");
	struct mtk_port_filter flt = { 1, 3 };
	struct mtk_transport *tp = NULL;
	assert_int_equal(mtk_auto_open_at(f->ctx, f->sys, f->dev, &flt, 0, &tp), 0);
	assert_non_null(strstr(mtk_transport_describe(tp), "/ttyACM1"));
	assert_brom_answers(f, tp);
	mtk_transport_close(tp);
	phone_stop(&ph);

	struct mtk_port_filter none = { 1, 9 };
	assert_int_equal(mtk_auto_open_at(f->ctx, f->sys, f->dev, &none, 0, &tp), MTK_E_NODEV);
	const char *msg = mtk_ctx_error(f->ctx);
	assert_non_null(strstr(msg, "USB bus 1 address 9 is connected"));
	assert_non_null(strstr(msg, "libusb"));
	assert_non_null(strstr(msg, "ttyACM0 (0e8d:0003"));
}

/* The spec parsing in front of it (usb.c, through the public entry point). */
static void test_usb_spec_syntax(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = { "usb:", "usb:1", "usb:1:", "usb::2", "usb:a:b", "usb:1:2:3",
					   "usb:0:2", "usb:1:0", "usb:1:128", "usb:-1:2", "usb: 1:2" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct mtk_transport *tp = NULL;
		if (mtk_transport_open(f->ctx, bad[i], 0, &tp) != MTK_E_INVAL)
			fail_msg("%s was accepted: %s", bad[i], mtk_ctx_error(f->ctx));
		assert_non_null(strstr(mtk_ctx_error(f->ctx), "usb:BUS:ADDR"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex16),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_identity_table),
		cmocka_unit_test_setup_teardown(test_scan_mixed_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_reports_total_beyond_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_missing_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_without_tty_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_opens_the_one_phone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_waits_for_the_phone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_waits_for_the_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_refuses_two_phones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_times_out_with_causes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usb_bus_addr_picks_its_tty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usb_spec_syntax, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
