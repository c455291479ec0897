/* SPDX-License-Identifier: MIT */
/* Finding a MediaTek phone's serial port through sysfs.
 *
 * In BROM or preloader mode a phone enumerates as a CDC-ACM device, and
 * Linux gives it a tty.  The kernel's layout ties the two together:
 *   /sys/class/tty/NAME/device         the USB interface (cdc_acm), or the
 *                                      usb-serial port below it (ttyUSB)
 *   …/device/..  or  …/device/../..    the USB device: idVendor, idProduct,
 *                                      busnum, devnum, devpath
 * Every tty is looked at, whatever its name; only the USB identity decides. */
#include "transport/transport_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/ctx.h"

#define POLL_MS 150
/* The tty shows up in sysfs a moment before udev has made its /dev node
 * usable (created, then given the dialout group). */
#define NODE_GRACE_MS 2000
#define MAX_LISTED 16

/* From the reference's VID/PID table (brom-protocol.md §1.1).  UART adapters
 * (FTDI, CH340, CP2102) are left out on purpose: they may be wired to
 * anything, so only an explicit --port picks one. */
static const struct usb_identity {
	uint16_t vid, pid;
	bool any_pid; /* every other product of the vendor */
	enum mtk_usb_role role;
	const char *what;
} identities[] = {
	{ 0x0E8D, 0x0003, false, MTK_USB_ROLE_BROM, "MediaTek BROM" },
	{ 0x0E8D, 0x2000, false, MTK_USB_ROLE_PRELOADER, "MediaTek preloader" },
	{ 0x0E8D, 0x2001, false, MTK_USB_ROLE_PRELOADER, "MediaTek preloader or running DA" },
	{ 0x0E8D, 0x20FF, false, MTK_USB_ROLE_PRELOADER, "MediaTek preloader" },
	{ 0x0E8D, 0x3000, false, MTK_USB_ROLE_PRELOADER, "MediaTek preloader" },
	{ 0x0E8D, 0x6000, false, MTK_USB_ROLE_PRELOADER, "MediaTek preloader" },
	{ 0x1004, 0x6000, false, MTK_USB_ROLE_PRELOADER, "LG preloader" },
	{ 0x22D9, 0x0006, false, MTK_USB_ROLE_PRELOADER, "OPPO preloader" },
	{ 0x0FCE, 0xF200, false, MTK_USB_ROLE_BROM, "Sony BROM" },
	{ 0x0FCE, 0xD1E9, false, MTK_USB_ROLE_BROM, "Sony BROM" },
	{ 0x0FCE, 0xD1E2, false, MTK_USB_ROLE_BROM, "Sony BROM" },
	{ 0x0FCE, 0xD1EC, false, MTK_USB_ROLE_BROM, "Sony BROM" },
	{ 0x0FCE, 0xD1DD, false, MTK_USB_ROLE_BROM, "Sony BROM" },
	/* A booted MediaTek phone (modem or logging ports): listed so that a
	 * timeout can say the phone is there but not in download mode. */
	{ 0x0E8D, 0, true, MTK_USB_ROLE_OTHER, "MediaTek device" },
};

bool mtk_usb_identity(uint16_t vid, uint16_t pid, enum mtk_usb_role *role, const char **what)
{
	for (size_t i = 0; i < sizeof identities / sizeof identities[0]; i++) {
		const struct usb_identity *id = &identities[i];
		if (id->vid == vid && (id->any_pid || id->pid == pid)) {
			*role = id->role;
			*what = id->what;
			return true;
		}
	}
	return false;
}

const char *mtk_usb_role_name(enum mtk_usb_role role)
{
	switch (role) {
	case MTK_USB_ROLE_BROM:
		return "BROM";
	case MTK_USB_ROLE_PRELOADER:
		return "preloader";
	default:
		return "not in download mode";
	}
}

/* ---- attribute parsers ---- */

/* The kernel ends every attribute with one newline; tests may leave it out. */
static size_t strip_newline(const uint8_t *buf, size_t len)
{
	return len > 0 && buf[len - 1] == '\n' ? len - 1 : len;
}

int mtk_sysfs_hex16(const uint8_t *buf, size_t len, uint16_t *out)
{
	len = strip_newline(buf, len);
	if (len == 0 || len > 4)
		return MTK_E_PARSE;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		int d = mtk_hex_digit(buf[i]);
		if (d < 0)
			return MTK_E_PARSE;
		v = v << 4 | (unsigned)d;
	}
	*out = (uint16_t)v;
	return 0;
}

int mtk_parse_dec(const char *s, size_t len, unsigned max, unsigned *out)
{
	if (len == 0)
		return MTK_E_PARSE;
	unsigned long long v = 0; /* v <= max before each step, so v * 10 + 9 cannot wrap */
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return MTK_E_PARSE;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return MTK_E_PARSE;
	}
	*out = (unsigned)v;
	return 0;
}

int mtk_sysfs_uint(const uint8_t *buf, size_t len, unsigned max, unsigned *out)
{
	return mtk_parse_dec((const char *)buf, strip_newline(buf, len), max, out);
}

/* devpath is the port chain below the root hub: "1", "1.4.2". */
static bool valid_devpath(const uint8_t *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '.')
			return false;
	return true;
}

/* ---- sysfs reading ---- */

/* DIR/NAME into buf (at most cap-1 bytes, '\0'-terminated).  MTK_E_NOTFOUND
 * when it does not exist; no error is recorded, a missing attribute is
 * ordinary here. */
static int read_attr(const char *dir, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return MTK_E_RANGE;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? MTK_E_NOTFOUND : MTK_E_IO;
	ssize_t n;
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return MTK_E_IO;
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

static int read_hex_attr(const char *dir, const char *name, uint16_t *out)
{
	uint8_t buf[16];
	size_t len;
	int rc = read_attr(dir, name, buf, sizeof buf, &len);
	return rc < 0 ? rc : mtk_sysfs_hex16(buf, len, out);
}

/* Optional attributes: left at 0 / "" when absent or odd. */
static void read_location(const char *dir, struct mtk_port_info *pi)
{
	uint8_t buf[32];
	size_t len;
	if (read_attr(dir, "busnum", buf, sizeof buf, &len) == 0)
		mtk_sysfs_uint(buf, len, 65535, &pi->busnum);
	if (read_attr(dir, "devnum", buf, sizeof buf, &len) == 0)
		mtk_sysfs_uint(buf, len, 65535, &pi->devnum);
	if (pi->busnum && read_attr(dir, "devpath", buf, sizeof buf, &len) == 0) {
		len = strip_newline(buf, len);
		if (valid_devpath(buf, len))
			snprintf(pi->usb_path, sizeof pi->usb_path, "%u-%.*s", pi->busnum, (int)len,
				 (const char *)buf);
	}
}

/* The USB device above a tty: its interface's parent (cdc_acm), or one level
 * further up (usb-serial ports sit below the interface).  The first ancestor
 * with an idVendor is the device; interfaces have none. */
static int find_usb_device(mtk_ctx *ctx, const char *ttydir, char *out, size_t cap, uint16_t *vid,
			   uint16_t *pid)
{
	static const char *const ups[] = { "device/..", "device/../.." };
	for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
		if (snprintf(out, cap, "%s/%s", ttydir, ups[i]) >= (int)cap)
			return MTK_E_RANGE;
		int rc = read_hex_attr(out, "idVendor", vid);
		if (rc == MTK_E_NOTFOUND)
			continue;
		if (rc == 0)
			rc = read_hex_attr(out, "idProduct", pid);
		if (rc < 0)
			mtk_dbg(ctx, "%s: unreadable idVendor/idProduct, skipped", out);
		return rc;
	}
	return MTK_E_NOTFOUND;
}

/* 1 when the tty NAME belongs to one of our USB identities, else 0. */
static int probe_tty(mtk_ctx *ctx, const char *sysroot, const char *devroot, const char *name,
		     struct mtk_port_info *pi)
{
	char ttydir[PATH_MAX], usbdir[PATH_MAX];
	memset(pi, 0, sizeof *pi);
	if (snprintf(ttydir, sizeof ttydir, "%s/class/tty/%s", sysroot, name) >= (int)sizeof ttydir)
		return 0;
	if (find_usb_device(ctx, ttydir, usbdir, sizeof usbdir, &pi->vid, &pi->pid) < 0)
		return 0;
	if (!mtk_usb_identity(pi->vid, pi->pid, &pi->role, &pi->what))
		return 0;
	if (snprintf(pi->path, sizeof pi->path, "%s/%s", devroot, name) >= (int)sizeof pi->path)
		return 0;
	read_location(usbdir, pi);
	return 1;
}

static int by_path(const void *a, const void *b)
{
	/* ttyACM2 before ttyACM10, as a person counts */
	return strverscmp(((const struct mtk_port_info *)a)->path, ((const struct mtk_port_info *)b)->path);
}

/* Appends to a growing array; false when out of memory. */
static bool push_port(struct mtk_port_info **all, size_t *n, size_t *cap, const struct mtk_port_info *pi)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct mtk_port_info *p = realloc(*all, ncap * sizeof *p);
		if (!p)
			return false;
		*all = p;
		*cap = ncap;
	}
	(*all)[(*n)++] = *pi;
	return true;
}

int mtk_find_ports_at(mtk_ctx *ctx, const char *sysroot, const char *devroot, struct mtk_port_info *out,
		      size_t max)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s/class/tty", sysroot) >= (int)sizeof dir)
		return mtk_fail(ctx, MTK_E_INVAL, "sysfs root '%s' is too long", sysroot);
	DIR *d = opendir(dir);
	if (!d) {
		/* No tty class yet (a fresh test bed, a container): no ports. */
		if (errno == ENOENT)
			return 0;
		return mtk_fail(ctx, MTK_E_IO, "cannot list %s: %s", dir, strerror(errno));
	}
	struct mtk_port_info *all = NULL, pi;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.' || !probe_tty(ctx, sysroot, devroot, de->d_name, &pi))
			continue;
		if (!push_port(&all, &n, &cap, &pi)) {
			rc = mtk_fail(ctx, MTK_E_NOMEM, "out of memory listing %s", dir);
			break;
		}
	}
	closedir(d);
	if (rc == 0 && n > 0) {
		qsort(all, n, sizeof *all, by_path);
		if (max > 0)
			memcpy(out, all, (n < max ? n : max) * sizeof *all);
		rc = n > 0x7fffffff ? 0x7fffffff : (int)n;
	}
	free(all);
	return rc;
}

int mtk_find_mediatek_ports(mtk_ctx *ctx, struct mtk_port_info *out, size_t max)
{
	return mtk_find_ports_at(ctx, "/sys", "/dev", out, max);
}

/* ---- waiting for one and opening it ---- */

static bool wanted(const struct mtk_port_info *pi, const struct mtk_port_filter *f)
{
	if (pi->role == MTK_USB_ROLE_OTHER)
		return false;
	return !f->busnum || (pi->busnum == f->busnum && pi->devnum == f->devnum);
}

/* "/dev/ttyACM0 (0e8d:0003 MediaTek BROM, USB 1-1 = bus 1 address 2)" */
static void describe_port(char *out, size_t cap, const struct mtk_port_info *pi)
{
	int n = snprintf(out, cap, "%s (%04x:%04x %s", pi->path, pi->vid, pi->pid, pi->what);
	if (n < 0 || (size_t)n >= cap)
		return;
	if (pi->role == MTK_USB_ROLE_OTHER)
		n += snprintf(out + n, cap - (size_t)n, ", not in download mode");
	if ((size_t)n < cap && pi->busnum)
		n += snprintf(out + n, cap - (size_t)n, ", USB %s%sbus %u address %u", pi->usb_path,
			      pi->usb_path[0] ? " = " : "", pi->busnum, pi->devnum);
	if ((size_t)n < cap)
		snprintf(out + n, cap - (size_t)n, ")");
}

/* Comma-separated descriptions of the ports for which keep() says so. */
static void list_ports(char *out, size_t cap, const struct mtk_port_info *ports, size_t n,
		       bool (*keep)(const struct mtk_port_info *, const struct mtk_port_filter *),
		       const struct mtk_port_filter *f)
{
	size_t pos = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && pos + 1 < cap; i++) {
		if (!keep(&ports[i], f))
			continue;
		char one[256];
		describe_port(one, sizeof one, &ports[i]);
		int w = snprintf(out + pos, cap - pos, "%s%s", pos ? ", " : "", one);
		if (w < 0)
			break;
		pos += (size_t)w;
	}
}

static bool unwanted(const struct mtk_port_info *pi, const struct mtk_port_filter *f)
{
	return !wanted(pi, f);
}

static int refuse_several(mtk_ctx *ctx, const struct mtk_port_info *ports, size_t n, size_t count,
			  size_t first, const struct mtk_port_filter *f)
{
	char list[2048];
	list_ports(list, sizeof list, ports, n, wanted, f);
	return mtk_fail(ctx, MTK_E_INVAL,
			"%zu MediaTek devices are in download mode: %s; say which one with --port PATH "
			"(e.g. --port %s)",
			count, list, ports[first].path);
}

static const char *const none_causes =
	"Likely causes: the phone is not in download mode (power it off, hold volume-down and plug it "
	"in; the preloader's port lasts only a few seconds), a charge-only cable or a bad USB port, "
	"the cdc_acm driver is missing (lsusb lists 0e8d:0003 but no /dev/ttyACM* appears), or "
	"ModemManager is holding the port (stop it, or mark the device ID_MM_DEVICE_IGNORE in udev)";

/* For usb:BUS:ADDR when the tty path was the one tried. */
#ifdef MTK_HAVE_LIBUSB
static const char no_tty_hint[] = "the libusb path needs none: check that the device node is writable "
				  "(mtkflash doctor)";
#else
static const char no_tty_hint[] = "talking to it without one needs the libusb backend, which this build "
				  "left out (meson -Dusb=enabled, libusb-1.0-0-dev)";
#endif

static int fail_none(mtk_ctx *ctx, const struct mtk_port_info *ports, size_t n,
		     const struct mtk_port_filter *f, int wait_ms)
{
	char when[64], seen[2048], also[2100] = "";
	if (wait_ms > 0 && wait_ms % 1000 == 0)
		snprintf(when, sizeof when, "appeared within %d s", wait_ms / 1000);
	else if (wait_ms > 0)
		snprintf(when, sizeof when, "appeared within %d.%d s", wait_ms / 1000, wait_ms % 1000 / 100);
	else
		snprintf(when, sizeof when, "is connected");
	list_ports(seen, sizeof seen, ports, n, unwanted, f);
	if (seen[0])
		snprintf(also, sizeof also, " (present: %s)", seen);
	if (f->busnum)
		return mtk_fail(ctx, MTK_E_NODEV,
				"no MediaTek download-mode tty of USB bus %u address %u %s%s. If lsusb lists "
				"that device, no tty driver is bound to it; %s",
				f->busnum, f->devnum, when, also, no_tty_hint);
	return mtk_fail(ctx, MTK_E_NODEV, "no MediaTek device in download mode %s%s. %s", when, also,
			none_causes);
}

/* Until udev has created the node and applied its permissions, open()
 * would fail for a reason that goes away by itself. */
static void wait_node_ready(mtk_ctx *ctx, const char *path, long long deadline)
{
	long long until = mtk_now_ms(ctx) + NODE_GRACE_MS;
	if (until > deadline)
		until = deadline;
	while (access(path, R_OK | W_OK) < 0 && (errno == ENOENT || errno == EACCES) && mtk_now_ms(ctx) < until)
		mtk_sleep_ms(ctx, 50);
}

static int open_found(mtk_ctx *ctx, const char *sysroot, const char *devroot, const struct mtk_port_info *pi,
		      long long deadline, struct mtk_transport **out)
{
	char desc[256];
	describe_port(desc, sizeof desc, pi);
	mtk_info(ctx, "found %s", desc);
	/* The node may lag the sysfs entry by a little even at --wait 0. */
	long long grace_end = mtk_now_ms(ctx) + NODE_GRACE_MS;
	long long node_deadline = deadline > grace_end ? deadline : grace_end;
	wait_node_ready(ctx, pi->path, node_deadline);
	long long left = node_deadline - mtk_now_ms(ctx);
	int rc = mtk_serial_open(ctx, pi->path, left > 0 ? (int)left : 0, out);
	if (rc == 0)
		mtk_serial_follow_usb(*out, sysroot, devroot, pi->usb_path);
	return rc;
}

/* said_ms: the wait a failure names (the caller may have waited already). */
static int auto_open(mtk_ctx *ctx, const char *sysroot, const char *devroot, const struct mtk_port_filter *f,
		     int wait_ms, int said_ms, struct mtk_transport **out)
{
	static const struct mtk_port_filter any = { 0, 0 };
	struct mtk_port_info ports[MAX_LISTED];
	if (!f)
		f = &any;
	*out = NULL;
	long long deadline = mtk_now_ms(ctx) + (wait_ms > 0 ? wait_ms : 0);
	for (bool first = true;; first = false) {
		int found = mtk_find_ports_at(ctx, sysroot, devroot, ports, MAX_LISTED);
		if (found < 0)
			return found;
		size_t n = (size_t)found < MAX_LISTED ? (size_t)found : MAX_LISTED, count = 0, pick = 0;
		for (size_t i = 0; i < n; i++)
			if (wanted(&ports[i], f) && count++ == 0)
				pick = i;
		if (count == 1)
			return open_found(ctx, sysroot, devroot, &ports[pick], deadline, out);
		if (count > 1)
			return refuse_several(ctx, ports, n, count, pick, f);
		if (mtk_now_ms(ctx) >= deadline)
			return fail_none(ctx, ports, n, f, said_ms);
		if (first)
			mtk_dbg(ctx, "no MediaTek download-mode port in %s/class/tty yet; looking every %d ms",
				sysroot, POLL_MS);
		mtk_sleep_ms(ctx, POLL_MS);
	}
}

int mtk_auto_open_at(mtk_ctx *ctx, const char *sysroot, const char *devroot, const struct mtk_port_filter *f,
		     int wait_ms, struct mtk_transport **out)
{
	return auto_open(ctx, sysroot, devroot, f, wait_ms, wait_ms, out);
}

int mtk_auto_open_after(mtk_ctx *ctx, const struct mtk_port_filter *f, int waited_ms, struct mtk_transport **out)
{
	return auto_open(ctx, "/sys", "/dev", f, 0, waited_ms, out);
}

int mtk_auto_open(mtk_ctx *ctx, const struct mtk_port_filter *f, int wait_ms, struct mtk_transport **out)
{
	return mtk_auto_open_at(ctx, "/sys", "/dev", f, wait_ms, out);
}
