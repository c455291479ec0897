/* SPDX-License-Identifier: MIT */
/* Serial ttys: a phone's CDC-ACM port (/dev/ttyACM*) or an emulator's pty. */
#include "transport/transport_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "core/ctx.h"

struct serial_priv {
	int fd;
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

static void serial_close(struct mtk_transport *t)
{
	struct serial_priv *p = t->priv;
	close(p->fd);
	free(p);
}

static const struct mtk_transport_ops serial_ops = {
	.name = "serial",
	.read = serial_read,
	.write = serial_write,
	.drain_input = serial_drain,
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
	case EBUSY:
		return "the port is in use by another program (ModemManager often grabs MediaTek ports)";
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

int mtk_serial_open(mtk_ctx *ctx, const char *path, int wait_ms, struct mtk_transport **out)
{
	if (!*path)
		return mtk_fail(ctx, MTK_E_INVAL, "serial port path is empty (use serial:/dev/ttyACM0)");
	int fd = -1, err = 0;
	/* A phone in BROM mode enumerates a moment after the cable goes in:
	 * keep trying while the path does not exist yet. */
	for (int waited = 0;; waited += 100) {
		fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			break;
		err = errno;
		if ((err != ENOENT && err != ENXIO && err != ENODEV) || waited >= wait_ms)
			return mtk_fail(ctx, err == ENOENT ? MTK_E_NODEV : MTK_E_IO, "cannot open %s: %s", path,
					open_hint(err));
		if (waited == 0)
			mtk_dbg(ctx, "%s does not exist yet; polling every 100 ms", path);
		mtk_sleep_ms(100);
	}
	int rc = set_raw(ctx, fd, path);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	struct serial_priv *p = calloc(1, sizeof *p);
	struct mtk_transport *t = p ? mtk_transport_alloc(ctx, &serial_ops, p) : NULL;
	if (!t) {
		free(p);
		close(fd);
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	}
	p->fd = fd;
	t->virtual_device = is_pseudo_terminal(fd);
	snprintf(t->desc, sizeof t->desc, "serial:%s", path);
	*out = t;
	return 0;
}
