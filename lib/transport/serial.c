/* SPDX-License-Identifier: MIT */
/* Serial ttys: a phone's CDC-ACM port (/dev/ttyACM*) or an emulator's pty. */
#include "transport/transport_priv.h"
#include "transport/holders.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "core/ctx.h"

struct serial_priv {
	int fd;
	char path[PATH_MAX];   /* as the caller named it (a link stays a link) */
	/* Found by its USB port (auto, usb:): after a re-enumeration the tty
	 * may get another name, the USB port chain stays. */
	char usb_path[32];
	char sysroot[128], devroot[128];
};

static int serial_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct serial_priv *p = t->priv;
	return mtk_fd_read(t->ctx, p->fd, buf, len, timeout_ms);
}

static int serial_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	struct serial_priv *p = t->priv;
	return mtk_fd_write(t->ctx, p->fd, buf, len, timeout_ms, false);
}

static void serial_drain(struct mtk_transport *t)
{
	struct serial_priv *p = t->priv;
	/* TCIFLUSH only touches our own input queue, unlike TCOFLUSH. */
	tcflush(p->fd, TCIFLUSH);
	mtk_fd_drain(p->fd);
}

/* TIOCEXCL outlives our fd on a pty whose master stays open: undo it, or
 * the next (non-root) open of the port would fail with EBUSY. */
static void close_port(int fd)
{
	ioctl(fd, TIOCNXCL);
	close(fd);
}

static void serial_close(struct mtk_transport *t)
{
	struct serial_priv *p = t->priv;
	if (p->fd >= 0)
		close_port(p->fd);
	free(p);
}

static int serial_reopen(struct mtk_transport *t, int wait_ms);

static const struct mtk_transport_ops serial_ops = {
	.name = "serial",
	.read = serial_read,
	.write = serial_write,
	.drain_input = serial_drain,
	.reopen = serial_reopen,
	.close = serial_close,
};

/* 115200 8N1 raw.  CDC-ACM ignores the baud rate and a pty has none, but a
 * real UART adapter needs it.  Modem lines are not touched: ptys answer
 * ENOTTY to TIOCM*, and MediaTek's CDC port does not need DTR. */
static int set_raw(mtk_ctx *ctx, int fd, const char *path)
{
	struct termios tio;
	if (tcgetattr(fd, &tio) < 0)
		return mtk_fail(ctx, MTK_E_IO, "%s is not a serial port (%s)", path, strerror(errno));
	cfmakeraw(&tio);
	cfsetispeed(&tio, B115200);
	cfsetospeed(&tio, B115200);
	tio.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CSIZE | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	/* VMIN 1, not 0: with VMIN = VTIME = 0 an empty tty reads as 0 bytes
	 * (which fdio takes for a hang-up) instead of EAGAIN; O_NONBLOCK keeps
	 * reads from blocking either way. */
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return mtk_fail(ctx, MTK_E_IO, "cannot set raw mode on %s: %s", path, strerror(errno));
	return 0;
}

static const char *open_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "no such file: is the phone connected, and in BROM/preloader mode (hold volume-down while plugging in)?";
	case EACCES:
	case EPERM:
		return "permission denied: add yourself to the 'dialout' group or install the udev rule";
	case ENXIO:
	case ENODEV:
		return "the device behind this path is gone";
	default:
		return strerror(err);
	}
}

/* Unix98 pty slaves have majors 136-143; phones enumerate as ttyACM (166)
 * or, through UART adapters, ttyUSB (188). */
static bool is_pseudo_terminal(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	unsigned maj = major(st.st_rdev);
	return maj >= 136 && maj <= 143;
}

/* ---- exclusive access ----------------------------------------------------
 * Two programs on one port interleave their bytes and break both sessions
 * (a `detect` during a `write`).  TIOCEXCL refuses later open()s of the tty
 * (not for root), flock is the advisory lock that other flashing tools and
 * our own second instance check — also as root. */

/* Best effort: the first other process with an fd on the same tty. */
static long find_holder(int fd)
{
	struct stat mine;
	if (fstat(fd, &mine) < 0)
		return 0;
	return mtk_find_holder("/proc", NULL, mine.st_rdev, (long)getpid(), NULL, 0);
}

static int port_busy(mtk_ctx *ctx, int fd, const char *path)
{
	long pid = fd >= 0 ? find_holder(fd) : 0;
	char who[32] = "";
	if (pid > 0)
		snprintf(who, sizeof who, " (PID %ld)", pid);
	return mtk_fail(ctx, MTK_E_NODEV,
			"port busy: another program%s has %s open; ModemManager is the usual suspect "
			"(systemctl stop ModemManager)", who, path);
}

static int lock_port(mtk_ctx *ctx, int fd, const char *path)
{
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return port_busy(ctx, fd, path);
		return mtk_fail(ctx, MTK_E_IO, "cannot lock %s: %s", path, strerror(errno));
	}
	/* A tty that refuses TIOCEXCL (some adapters) is still flock'ed. */
	if (ioctl(fd, TIOCEXCL) < 0)
		mtk_dbg(ctx, "%s: TIOCEXCL: %s", path, strerror(errno));
	return 0;
}

/* Lock and configure a freshly opened tty; closes it on failure. */
static int claim_tty(mtk_ctx *ctx, int fd, const char *path)
{
	int rc = lock_port(ctx, fd, path);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	rc = set_raw(ctx, fd, path);
	if (rc < 0)
		close_port(fd);
	return rc;
}

/* 0, or 1 with errno set when open() itself failed, or an MTK_E_* code. */
static int open_tty(mtk_ctx *ctx, const char *path, int *fd_out)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == EBUSY ? port_busy(ctx, -1, path) : 1;
	int rc = claim_tty(ctx, fd, path);
	if (rc == 0)
		*fd_out = fd;
	return rc;
}

/* ---- following a re-enumeration ------------------------------------------
 * The phone drops off the bus and comes back (DA speed switch, §4.8): the old
 * fd reports a hang-up (POLLHUP, or EIO on read); then the same name comes
 * back — the same path (a /dev/ttyACMn node, or an emulator's --link
 * re-pointed at its new pty) opens again, or for auto/usb: a tty appears on
 * the same USB port. */

static bool wait_hangup(mtk_ctx *ctx, int fd, long long deadline)
{
	for (;;) {
		long long left = deadline - mtk_now_ms(ctx);
		if (left <= 0)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = mtk_poll_fd(ctx, &pfd, (int)(left > 100 ? 100 : left));
		if (n > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
			return true;
		if (n > 0) {
			uint8_t junk[256];
			ssize_t r = read(fd, junk, sizeof junk);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				return true;
		}
	}
}

static bool came_back(const struct serial_priv *p, char *path, size_t cap, mtk_ctx *ctx)
{
	if (p->usb_path[0]) {
		struct mtk_port_info ports[16];
		int n = mtk_find_ports_at(ctx, p->sysroot, p->devroot, ports, 16);
		mtk_ctx_clear_error(ctx);
		for (int i = 0; i < n && i < 16; i++)
			if (strcmp(ports[i].usb_path, p->usb_path) == 0) {
				snprintf(path, cap, "%s", ports[i].path);
				return true;
			}
		return false;
	}
	/* Not "a new link target": a freed pty number is handed out again, so
	 * the new pty may have the old name.  The old device is known dead (it
	 * hung up), so a path that opens now is the device that came back. */
	snprintf(path, cap, "%s", p->path);
	return access(p->path, F_OK) == 0;
}

static int serial_reopen(struct mtk_transport *t, int wait_ms)
{
	struct serial_priv *p = t->priv;
	long long deadline = mtk_now_ms(t->ctx) + wait_ms;
	if (!wait_hangup(t->ctx, p->fd, deadline))
		return mtk_fail(t->ctx, MTK_E_NODEV,
				"%s: the device did not drop off the bus within %d ms to re-enumerate", p->path, wait_ms);
	close_port(p->fd);
	p->fd = -1;
	char path[PATH_MAX];
	int rc = 1, err = ENOENT;
	while (mtk_now_ms(t->ctx) < deadline) {
		if (came_back(p, path, sizeof path, t->ctx) && (rc = open_tty(t->ctx, path, &p->fd)) == 0)
			break;
		if (rc == MTK_E_NODEV)
			return rc; /* busy: another program took the port that came back */
		if (rc == 1)
			err = errno;
		mtk_ctx_clear_error(t->ctx);
		mtk_sleep_ms(t->ctx, 20);
	}
	if (p->fd < 0) {
		/* Keep close() harmless: nothing is open. */
		return mtk_fail(t->ctx, MTK_E_NODEV,
				"%s: the device went away to re-enumerate and did not come back within %d ms%s%s",
				p->usb_path[0] ? p->usb_path : p->path, wait_ms, err != ENOENT ? ": " : "",
				err != ENOENT ? strerror(err) : "");
	}
	mtk_info(t->ctx, "the device re-enumerated; reopened %s", path);
	return 0;
}

void mtk_serial_follow_usb(struct mtk_transport *t, const char *sysroot, const char *devroot, const char *usb_path)
{
	if (t->ops != &serial_ops || !usb_path[0])
		return;
	struct serial_priv *p = t->priv;
	snprintf(p->usb_path, sizeof p->usb_path, "%s", usb_path);
	snprintf(p->sysroot, sizeof p->sysroot, "%s", sysroot);
	snprintf(p->devroot, sizeof p->devroot, "%s", devroot);
	snprintf(t->port_key, sizeof t->port_key, "usb:%s", usb_path);
}

int mtk_serial_open(mtk_ctx *ctx, const char *path, int wait_ms, struct mtk_transport **out)
{
	if (!*path)
		return mtk_fail(ctx, MTK_E_INVAL, "serial port path is empty (use serial:/dev/ttyACM0)");
	int fd = -1, err = 0;
	/* A phone in BROM mode enumerates a moment after the cable goes in:
	 * keep trying while the path does not exist yet. */
	for (int waited = 0;; waited += 100) {
		int rc = open_tty(ctx, path, &fd);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			break;
		}
		err = errno;
		if ((err != ENOENT && err != ENXIO && err != ENODEV) || waited >= wait_ms)
			return mtk_fail(ctx, err == ENOENT ? MTK_E_NODEV : MTK_E_IO, "cannot open %s: %s", path,
					open_hint(err));
		if (waited == 0)
			mtk_dbg(ctx, "%s does not exist yet; polling every 100 ms", path);
		mtk_sleep_ms(ctx, 100);
	}
	struct serial_priv *p = calloc(1, sizeof *p);
	struct mtk_transport *t = p ? mtk_transport_alloc(ctx, &serial_ops, p) : NULL;
	if (!t) {
		free(p);
		close(fd);
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	}
	p->fd = fd;
	snprintf(p->path, sizeof p->path, "%s", path);
	t->virtual_device = is_pseudo_terminal(fd);
	snprintf(t->desc, sizeof t->desc, "serial:%s", path);
	snprintf(t->port_key, sizeof t->port_key, "tty:%s", path);
	*out = t;
	return 0;
}
