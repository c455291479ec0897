/* SPDX-License-Identifier: MIT */
/* `mtkflash doctor`: what on this host stands between the tool and a phone.
 *
 * All state comes from files (sysfs, /proc, udev's rules and database,
 * /etc/group, the kernel's module lists) below env->root, so a test plants
 * a tree that shows one problem and the same code reads the real system
 * with root "".  Nothing is changed; each finding carries its fix. */
#include "mtkflash/doctor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/fileutil.h"
#include "transport/doctor_priv.h"
#include "transport/holders.h"
#include "transport/transport_priv.h"

#define MAX_DEVS 8
#define MEDIATEK_VID 0x0E8D
#define RULE_NAME "60-mtkflash.rules"
#define RULES_MAX (1u << 20)

/* The one fix for permissions and ModemManager: our rule gives the
 * download-mode ids to the logged-in user and tells ModemManager to keep off. */
#define RULE_FIX                                                                                             \
	"sudo install -m 644 data/" RULE_NAME " /etc/udev/rules.d/ && sudo udevadm control --reload-rules && " \
	"sudo udevadm trigger (the file is in mtkflash's source tree; `meson install` puts it in place), "    \
	"then unplug and replug the phone"

struct usbdev {
	char name[64]; /* the kernel's name for its port chain, "1-1.4" */
	uint16_t vid, pid;
	enum mtk_usb_role role;
	const char *what;
	unsigned bus, dev;
	char speed[16]; /* Mbit/s as sysfs says: "12", "480" */
	char tty[64];   /* "ttyACM0", "" without one */
};

struct doc {
	const struct mtk_doctor_env *env;
	const char *root;
	struct usbdev devs[MAX_DEVS];
	size_t ndev;
	const struct usbdev *target; /* the device the per-device checks look at, NULL: none */
	char rule[PATH_MAX];         /* our rule, as the system names it; "" when absent */
	bool rule_inert;             /* only where udev does not look */
	long mm_pid, brltty_pid;
	bool mm_unit; /* ModemManager.service has a live cgroup */
};

/* Where udev reads rules (and /usr/local, where `meson install` with the
 * default prefix may put ours, but udev does not look). */
static const struct {
	const char *dir;
	bool read_by_udev;
} rule_dirs[] = {
	{ "/etc/udev/rules.d", true },
	{ "/run/udev/rules.d", true },
	{ "/usr/lib/udev/rules.d", true },
	{ "/lib/udev/rules.d", true },
	{ "/usr/local/lib/udev/rules.d", false },
};
#define N_RULE_DIRS (sizeof rule_dirs / sizeof rule_dirs[0])

/* ---- reading below the root ---- */

static bool rooted(const struct doc *d, char *out, size_t cap, const char *fmt, ...)
{
	int n = snprintf(out, cap, "%s", d->root);
	if (n < 0 || (size_t)n >= cap)
		return false;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(out + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
	return m >= 0 && (size_t)m < cap - (size_t)n;
}

static bool exists(const struct doc *d, const char *sub)
{
	char path[PATH_MAX];
	struct stat st;
	return rooted(d, path, sizeof path, "%s", sub) && stat(path, &st) == 0;
}

/* A sysfs or /proc attribute (their sizes lie, so read until EOF), with a
 * trailing newline removed.  False when it is absent or unreadable. */
static bool read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	size_t len = 0;
	ssize_t n = 0;
	while (len + 1 < cap && ((n = read(fd, buf + len, cap - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return n >= 0;
}

static bool read_rooted(const struct doc *d, char *buf, size_t cap, const char *fmt, const char *a, const char *b)
{
	char path[PATH_MAX];
	return rooted(d, path, sizeof path, fmt, a, b) && read_text(path, buf, cap);
}

/* A whole regular file (rules, group, module lists): *buf NULL when absent. */
static void read_whole(const struct doc *d, const char *sub, uint8_t **buf, size_t *len)
{
	char path[PATH_MAX];
	*buf = NULL;
	*len = 0;
	bool absent;
	if (rooted(d, path, sizeof path, "%s", sub) && mtk_read_small_file(NULL, path, RULES_MAX, buf, len, &absent) < 0)
		*buf = NULL;
}

/* ---- what is there: USB devices, processes, our rule ---- */

static void find_tty(const struct doc *d, struct usbdev *u)
{
	char dir[PATH_MAX], devreal[PATH_MAX], ttyreal[PATH_MAX], p[PATH_MAX];
	if (!rooted(d, p, sizeof p, "/sys/bus/usb/devices/%s", u->name) || !realpath(p, devreal) ||
	    !rooted(d, dir, sizeof dir, "/sys/class/tty"))
		return;
	DIR *td = opendir(dir);
	if (!td)
		return;
	size_t n = strlen(devreal);
	for (struct dirent *de; (de = readdir(td));) {
		if (de->d_name[0] == '.' || snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p ||
		    !realpath(p, ttyreal))
			continue;
		if (strncmp(ttyreal, devreal, n) == 0 && ttyreal[n] == '/') {
			snprintf(u->tty, sizeof u->tty, "%.60s", de->d_name);
			break;
		}
	}
	closedir(td);
}

static bool read_usbdev(const struct doc *d, const char *name, struct usbdev *u)
{
	static const char fmt[] = "/sys/bus/usb/devices/%s/%s";
	char v[64], p[64];
	memset(u, 0, sizeof *u);
	if (strchr(name, ':') || snprintf(u->name, sizeof u->name, "%s", name) >= (int)sizeof u->name)
		return false; /* an interface, or a name too odd to show */
	if (!read_rooted(d, v, sizeof v, fmt, name, "idVendor") || !read_rooted(d, p, sizeof p, fmt, name, "idProduct") ||
	    mtk_sysfs_hex16((const uint8_t *)v, strlen(v), &u->vid) < 0 ||
	    mtk_sysfs_hex16((const uint8_t *)p, strlen(p), &u->pid) < 0 ||
	    !mtk_usb_identity(u->vid, u->pid, &u->role, &u->what))
		return false;
	if (read_rooted(d, v, sizeof v, fmt, name, "busnum"))
		mtk_sysfs_uint((const uint8_t *)v, strlen(v), 65535, &u->bus);
	if (read_rooted(d, v, sizeof v, fmt, name, "devnum"))
		mtk_sysfs_uint((const uint8_t *)v, strlen(v), 65535, &u->dev);
	read_rooted(d, u->speed, sizeof u->speed, fmt, name, "speed");
	find_tty(d, u);
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strverscmp(((const struct usbdev *)a)->name, ((const struct usbdev *)b)->name);
}

static void scan_usb(struct doc *d)
{
	char dir[PATH_MAX];
	DIR *ud = rooted(d, dir, sizeof dir, "/sys/bus/usb/devices") ? opendir(dir) : NULL;
	if (!ud)
		return;
	for (struct dirent *de; d->ndev < MAX_DEVS && (de = readdir(ud));)
		if (de->d_name[0] != '.' && read_usbdev(d, de->d_name, &d->devs[d->ndev]))
			d->ndev++;
	closedir(ud);
	qsort(d->devs, d->ndev, sizeof d->devs[0], by_name);
	for (size_t i = 0; i < d->ndev && !d->target; i++)
		if (d->devs[i].role != MTK_USB_ROLE_OTHER)
			d->target = &d->devs[i];
	if (!d->target && d->ndev)
		d->target = &d->devs[0];
}

static void scan_processes(struct doc *d)
{
	char dir[PATH_MAX], comm[64];
	DIR *pd = rooted(d, dir, sizeof dir, "/proc") ? opendir(dir) : NULL;
	if (!pd)
		return;
	for (struct dirent *de; (de = readdir(pd));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || !read_rooted(d, comm, sizeof comm, "/proc/%s/%s", de->d_name, "comm"))
			continue;
		if (strcmp(comm, "ModemManager") == 0)
			d->mm_pid = pid;
		else if (strcmp(comm, "brltty") == 0)
			d->brltty_pid = pid;
	}
	closedir(pd);
	char procs[32];
	d->mm_unit = read_rooted(d, procs, sizeof procs, "/sys/fs/cgroup/system.slice/%s/%s", "ModemManager.service",
				 "cgroup.procs") && procs[0];
}

static void find_rule(struct doc *d)
{
	for (size_t i = 0; i < N_RULE_DIRS; i++) {
		char sub[PATH_MAX];
		snprintf(sub, sizeof sub, "%s/%s", rule_dirs[i].dir, RULE_NAME);
		if (exists(d, sub)) {
			snprintf(d->rule, sizeof d->rule, "%s", sub);
			d->rule_inert = !rule_dirs[i].read_by_udev;
			if (!d->rule_inert)
				return;
		}
	}
}

/* ---- the checks ---- */

static int say(struct mtk_check *c, enum mtk_check_status st, const char *fix, const char *fmt, ...)
{
	c->status = st;
	snprintf(c->fix, sizeof c->fix, "%s", fix ? fix : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->finding, sizeof c->finding, fmt, ap);
	va_end(ap);
	return 0;
}

static const char *speed_name(const char *mbps)
{
	static const struct {
		const char *mbps, *name;
	} speeds[] = {
		{ "1.5", "low speed" },	       { "12", "full speed (12 Mbit/s)" },
		{ "480", "high speed (480 Mbit/s)" }, { "5000", "SuperSpeed (5 Gbit/s)" },
		{ "10000", "SuperSpeed+ (10 Gbit/s)" },
	};
	for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
		if (strcmp(mbps, speeds[i].mbps) == 0)
			return speeds[i].name;
	return "unknown speed";
}

static void describe(const struct usbdev *u, char *out, size_t cap)
{
	snprintf(out, cap, "%04x:%04x %s at USB %s (bus %u address %u), %s, %s%s", u->vid, u->pid, u->what, u->name,
		 u->bus, u->dev, speed_name(u->speed), u->tty[0] ? "tty " : "no tty", u->tty);
}

static int check_device(struct doc *d, struct mtk_check *c)
{
	static const char replug[] = "switch the phone off, unplug it, hold volume-down and plug it in again "
				     "(the preloader's port lasts only a few seconds: run `mtkflash doctor` right away)";
	char what[256];
	size_t download = 0;
	for (size_t i = 0; i < d->ndev; i++)
		download += d->devs[i].role != MTK_USB_ROLE_OTHER;
	if (!d->target)
		return say(c, MTK_CHECK_WARN, replug, "no MediaTek USB device is connected");
	describe(d->target, what, sizeof what);
	if (d->target->role == MTK_USB_ROLE_OTHER)
		return say(c, MTK_CHECK_WARN, replug, "%s: not in download mode (a booted phone)", what);
	if (download > 1)
		return say(c, MTK_CHECK_WARN, "name one with --port usb:BUS:ADDR (auto refuses to guess)",
			   "%zu phones in download mode; the first is %s", download, what);
	if (!d->target->tty[0])
		return say(c, MTK_CHECK_WARN, "sudo modprobe cdc_acm, or use --port usb (libusb needs no tty driver)",
			   "%s in %s mode, but cdc_acm has not bound it", what, mtk_usb_role_name(d->target->role));
	return say(c, MTK_CHECK_OK, NULL, "%s, in %s mode", what, mtk_usb_role_name(d->target->role));
}

/* 0 usable, 1 missing, -1 no access (mode and owner in why). */
static int node_access(const struct doc *d, const char *node, char *why, size_t cap)
{
	char path[PATH_MAX];
	struct stat st;
	if (!rooted(d, path, sizeof path, "%s", node) || stat(path, &st) < 0)
		return 1;
	if (access(path, R_OK | W_OK) == 0)
		return 0;
	snprintf(why, cap, "no read/write access to %s (mode %04o, owner %u, group %u)", node,
		 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
	return -1;
}

static void device_nodes(const struct usbdev *u, char nodes[2][80])
{
	snprintf(nodes[0], 80, "/dev/bus/usb/%03u/%03u", u->bus, u->dev);
	nodes[1][0] = '\0';
	if (u->tty[0])
		snprintf(nodes[1], 80, "/dev/%.60s", u->tty);
}

static int check_permissions(struct doc *d, struct mtk_check *c)
{
	if (!d->target)
		return say(c, MTK_CHECK_OK, NULL, "no MediaTek device connected: no device node to check");
	char nodes[2][80], why[256], missing[256] = "";
	device_nodes(d->target, nodes);
	for (int i = 0; i < 2 && nodes[i][0]; i++) {
		int a = node_access(d, nodes[i], why, sizeof why);
		if (a < 0)
			return say(c, MTK_CHECK_FAIL,
				   d->rule[0] && !d->rule_inert
					   ? "sudo udevadm control --reload-rules && sudo udevadm trigger, then replug "
					     "the phone; or sudo usermod -aG dialout,plugdev $USER and log in again"
					   : RULE_FIX,
				   "%s", why);
		if (a > 0)
			snprintf(missing, sizeof missing, " (%s does not exist yet: udev may still be creating it)",
				 nodes[i]);
	}
	return say(c, MTK_CHECK_OK, NULL, "%s%s%s are readable and writable%s", nodes[0], nodes[1][0] ? " and " : "", nodes[1],
	    missing);
}

static int check_udev_rule(struct doc *d, struct mtk_check *c)
{
	if (!d->rule[0])
		return say(c, MTK_CHECK_WARN, RULE_FIX,
			   RULE_NAME " is not installed (looked in /etc, /run, /usr/lib and /lib udev/rules.d): "
				     "device nodes stay root's and ModemManager probes the phone");
	if (d->rule_inert)
		return say(c, MTK_CHECK_WARN,
			   "sudo ln -s /usr/local/lib/udev/rules.d/" RULE_NAME " /etc/udev/rules.d/ && "
			   "sudo udevadm control --reload-rules",
			   "%s is installed where udev does not read rules", d->rule);
	return say(c, MTK_CHECK_OK, NULL, "installed: %s", d->rule);
}

/* The rules file (as the system names it) that tells ModemManager to leave
 * MediaTek devices alone, into `which`; false when none does. */
static bool rules_ignore_mediatek(const struct doc *d, char *which, size_t cap)
{
	bool found = false;
	for (size_t i = 0; i < N_RULE_DIRS && !found; i++) {
		char dir[PATH_MAX], sub[PATH_MAX];
		DIR *rd = rule_dirs[i].read_by_udev && rooted(d, dir, sizeof dir, "%s", rule_dirs[i].dir) ? opendir(dir) : NULL;
		if (!rd)
			continue;
		for (struct dirent *de; !found && (de = readdir(rd));) {
			size_t n = strlen(de->d_name);
			if (n < 7 || strcmp(de->d_name + n - 6, ".rules") != 0 ||
			    snprintf(sub, sizeof sub, "%s/%s", rule_dirs[i].dir, de->d_name) >= (int)sizeof sub)
				continue;
			uint8_t *buf;
			size_t len;
			read_whole(d, sub, &buf, &len);
			found = buf && mtk_udev_rules_ignore_mm(buf, len, MEDIATEK_VID);
			free(buf);
			if (found)
				snprintf(which, cap, "%s", sub);
		}
		closedir(rd);
	}
	return found;
}

/* udev's database entry for the USB device (char major 189) says so. */
static bool device_ignored(const struct doc *d)
{
	if (!d->target || !d->target->bus || !d->target->dev)
		return false;
	char sub[64];
	uint8_t *buf;
	size_t len;
	snprintf(sub, sizeof sub, "/run/udev/data/c189:%u", (d->target->bus - 1) * 128 + d->target->dev - 1);
	read_whole(d, sub, &buf, &len);
	bool yes = buf && mtk_text_has_line(buf, len, "E:ID_MM_DEVICE_IGNORE=1");
	free(buf);
	return yes;
}

static int check_modemmanager(struct doc *d, struct mtk_check *c)
{
	char which[PATH_MAX], pid[48] = "";
	if (!d->mm_pid && !d->mm_unit)
		return say(c, MTK_CHECK_OK, NULL, "ModemManager is not running");
	if (d->mm_pid)
		snprintf(pid, sizeof pid, " (PID %ld)", d->mm_pid);
	if (device_ignored(d))
		return say(c, MTK_CHECK_OK, NULL, "ModemManager is running%s; udev marks the phone ID_MM_DEVICE_IGNORE", pid);
	if (rules_ignore_mediatek(d, which, sizeof which))
		return say(c, MTK_CHECK_OK, NULL, "ModemManager is running%s; %s tells it to ignore MediaTek devices", pid,
			   which);
	return say(c, MTK_CHECK_FAIL, RULE_FIX "; or: sudo systemctl stop ModemManager",
	    "ModemManager is running%s and no udev rule tells it to ignore MediaTek devices (0e8d): it opens a new "
	    "ttyACM and sends AT commands, which spoils the handshake",
	    pid);
}

static bool brltty_installed(const struct doc *d)
{
	for (size_t i = 0; i < N_RULE_DIRS; i++) {
		char sub[PATH_MAX];
		snprintf(sub, sizeof sub, "%s/85-brltty.rules", rule_dirs[i].dir);
		if (exists(d, sub))
			return true;
	}
	return exists(d, "/usr/bin/brltty") || exists(d, "/bin/brltty");
}

static int check_brltty(struct doc *d, struct mtk_check *c)
{
	static const char fix[] = "sudo systemctl mask --now brltty-udev.service brltty.service "
				  "(or, with no braille display: sudo apt remove brltty)";
	static const char grabs[] = "it claims CH340/CP210x USB-serial adapters (1a86:7523, 10c4:ea60), so a UART "
				    "adapter's ttyUSB disappears as soon as it is plugged in";
	if (d->brltty_pid)
		return say(c, MTK_CHECK_WARN, fix, "brltty is running (PID %ld): %s", d->brltty_pid, grabs);
	if (brltty_installed(d))
		return say(c, MTK_CHECK_WARN, fix, "brltty is installed (its udev rule starts it on demand): %s", grabs);
	return say(c, MTK_CHECK_OK, NULL, "brltty is not installed");
}

static bool module_listed(const struct doc *d, const char *file)
{
	static const char *const bases[] = { "/lib/modules", "/usr/lib/modules" };
	bool yes = false;
	for (size_t i = 0; i < 2 && !yes && d->env->kernel_release; i++) {
		char sub[PATH_MAX];
		uint8_t *buf;
		size_t len;
		if (snprintf(sub, sizeof sub, "%s/%s/%s", bases[i], d->env->kernel_release, file) >= (int)sizeof sub)
			continue;
		read_whole(d, sub, &buf, &len);
		yes = buf && mtk_modules_list_has(buf, len, "cdc_acm");
		free(buf);
	}
	return yes;
}

static int check_cdc_acm(struct doc *d, struct mtk_check *c)
{
	if (exists(d, "/sys/module/cdc_acm"))
		return say(c, MTK_CHECK_OK, NULL, "cdc_acm is loaded");
	if (module_listed(d, "modules.builtin"))
		return say(c, MTK_CHECK_OK, NULL, "cdc_acm is built into the kernel");
	if (module_listed(d, "modules.dep"))
		return say(c, MTK_CHECK_OK, NULL, "cdc_acm is available as a module (loaded when a phone appears)");
	return say(c, MTK_CHECK_WARN,
	    "sudo apt install linux-image-$(uname -r) && sudo modprobe cdc_acm; or use --port usb (libusb)",
	    "cdc_acm is neither loaded nor among the kernel's modules: a phone gets no /dev/ttyACM*");
}

static int check_autosuspend(struct doc *d, struct mtk_check *c)
{
	char ctl[32];
	if (!d->target)
		return say(c, MTK_CHECK_OK, NULL, "no MediaTek device connected: no port to check");
	if (!read_rooted(d, ctl, sizeof ctl, "/sys/bus/usb/devices/%s/%s", d->target->name, "power/control"))
		return say(c, MTK_CHECK_OK, NULL, "USB %s has no power/control: the kernel does not suspend it",
			   d->target->name);
	if (strcmp(ctl, "auto") == 0) {
		char fix[256];
		snprintf(fix, sizeof fix, "echo on | sudo tee /sys/bus/usb/devices/%s/power/control (" RULE_NAME
			 " does this for every download-mode id)", d->target->name);
		return say(c, MTK_CHECK_WARN, fix,
			   "USB autosuspend is on for %s (power/control = auto): an idle phone's port can be "
			   "suspended between commands",
			   d->target->name);
	}
	return say(c, MTK_CHECK_OK, NULL, "USB autosuspend is off for %s (power/control = %s)", d->target->name, ctl);
}

static int check_port_busy(struct doc *d, struct mtk_check *c)
{
	if (!d->target)
		return say(c, MTK_CHECK_OK, NULL, "no MediaTek device connected: no port to check");
	char nodes[2][80], procroot[PATH_MAX], comm[64], path[PATH_MAX];
	device_nodes(d->target, nodes);
	if (!rooted(d, procroot, sizeof procroot, "/proc"))
		return say(c, MTK_CHECK_OK, NULL, "cannot look through /proc");
	for (int i = 0; i < 2 && nodes[i][0]; i++) {
		struct stat st;
		dev_t rdev = rooted(d, path, sizeof path, "%s", nodes[i]) && stat(path, &st) == 0 && S_ISCHR(st.st_mode)
				     ? st.st_rdev
				     : 0;
		long pid = mtk_find_holder(procroot, nodes[i], rdev, (long)getpid(), comm, sizeof comm);
		if (pid <= 0)
			continue;
		char fix[160];
		if (strcmp(comm, "ModemManager") == 0)
			snprintf(fix, sizeof fix, "sudo systemctl stop ModemManager");
		else
			snprintf(fix, sizeof fix, "close %s, or: kill %ld", comm[0] ? comm : "that program", pid);
		return say(c, MTK_CHECK_FAIL, fix, "%s (PID %ld) has %s open: mtkflash cannot claim the port",
			   comm[0] ? comm : "another program", pid, nodes[i]);
	}
	return say(c, MTK_CHECK_OK, NULL, "no other program has %s%s%s open", nodes[0], nodes[1][0] ? " or " : "", nodes[1]);
}

static int check_groups(struct doc *d, struct mtk_check *c)
{
	const char *user = d->env->user;
	if (d->env->uid == 0)
		return say(c, MTK_CHECK_OK, NULL, "running as root: no group needed");
	if (!user || !user[0])
		return say(c, MTK_CHECK_OK, NULL, "unknown user name: group membership not checked");
	uint8_t *buf;
	size_t len;
	read_whole(d, "/etc/group", &buf, &len);
	bool dialout = buf && mtk_group_has_member(buf, len, "dialout", user);
	bool plugdev = buf && mtk_group_has_member(buf, len, "plugdev", user);
	free(buf);
	if (dialout)
		return say(c, MTK_CHECK_OK, NULL, "%s is in dialout%s", user, plugdev ? " and plugdev" : "");
	char fix[160];
	snprintf(fix, sizeof fix, "sudo usermod -aG dialout,plugdev %s, then log out and in again", user);
	return say(c, MTK_CHECK_WARN, fix,
	    "%s is not in the dialout group: UART adapters (ttyUSB), and phones outside a local desktop session "
	    "(over ssh) where the udev rule's uaccess does not apply, need it",
	    user);
}

static const struct {
	const char *id;
	int (*run)(struct doc *d, struct mtk_check *c);
} checks[MTK_DOCTOR_CHECKS] = {
	{ "device", check_device },	    { "permissions", check_permissions },
	{ "udev-rule", check_udev_rule },   { "modemmanager", check_modemmanager },
	{ "brltty", check_brltty },	    { "cdc_acm", check_cdc_acm },
	{ "autosuspend", check_autosuspend }, { "port-busy", check_port_busy },
	{ "groups", check_groups },
};

const char *mtk_check_status_name(enum mtk_check_status s)
{
	static const char *const names[] = { "ok", "warn", "fail" };
	return (unsigned)s < 3 ? names[s] : "?";
}

int mtk_doctor_run(mtk_ctx *ctx, const struct mtk_doctor_env *env, struct mtk_check *out, size_t max)
{
	if (max < MTK_DOCTOR_CHECKS)
		return mtk_fail(ctx, MTK_E_INVAL, "doctor: room for %zu checks, %d needed", max, MTK_DOCTOR_CHECKS);
	struct doc *d = calloc(1, sizeof *d);
	if (!d)
		return mtk_fail(ctx, MTK_E_NOMEM, "doctor: out of memory");
	d->env = env;
	d->root = env->root ? env->root : "";
	struct stat st;
	if (d->root[0] && (stat(d->root, &st) < 0 || !S_ISDIR(st.st_mode))) {
		free(d);
		return mtk_fail(ctx, MTK_E_INVAL, "doctor: root '%s' is not a folder", env->root);
	}
	scan_usb(d);
	scan_processes(d);
	find_rule(d);
	int failed = 0;
	for (size_t i = 0; i < MTK_DOCTOR_CHECKS; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].id = checks[i].id;
		checks[i].run(d, &out[i]);
		failed += out[i].status == MTK_CHECK_FAIL;
		mtk_dbg(ctx, "doctor: %s: %s: %s", out[i].id, mtk_check_status_name(out[i].status), out[i].finding);
	}
	free(d);
	return failed;
}
