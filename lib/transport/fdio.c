/* SPDX-License-Identifier: MIT */
#include "transport/transport_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/ctx.h"

int mtk_fd_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return MTK_E_IO;
	return 0;
}

int mtk_poll_fd(mtk_ctx *ctx, struct pollfd *p, int timeout_ms)
{
	if (!mtk_ctx_clock_is_virtual(ctx))
		return poll(p, 1, timeout_ms);
	int r = poll(p, 1, 0);
	if (r == 0)
		mtk_sleep_ms(ctx, timeout_ms);
	return r;
}

/* A pty whose master side was closed reports EIO (or POLLHUP); a socket, 0.
 * Either way the device has gone. */
static bool is_hangup(int err)
{
	return err == EIO || err == ECONNRESET || err == EPIPE || err == ENXIO;
}

int mtk_fd_read(mtk_ctx *ctx, int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	long long deadline = mtk_now_ms(ctx) + timeout_ms;
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n > 0)
			return (int)(n > 0x7fffffff ? 0x7fffffff : n);
		if (n == 0)
			return mtk_fail(ctx, MTK_E_DISCONNECTED, "the device closed the connection");
		if (errno == EINTR)
			continue;
		if (is_hangup(errno))
			return mtk_fail(ctx, MTK_E_DISCONNECTED, "the device went away (%s)", strerror(errno));
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return mtk_fail(ctx, MTK_E_IO, "read failed: %s", strerror(errno));
		long long left = deadline - mtk_now_ms(ctx);
		if (left <= 0)
			return MTK_E_TIMEOUT; /* callers word the timeout: they know what they waited for */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = mtk_poll_fd(ctx, &p, (int)left);
		if (r < 0 && errno != EINTR)
			return mtk_fail(ctx, MTK_E_IO, "poll failed: %s", strerror(errno));
		if (r > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN))
			return mtk_fail(ctx, MTK_E_DISCONNECTED, "the device hung up");
	}
}

int mtk_fd_write(mtk_ctx *ctx, int fd, const uint8_t *buf, size_t len, int timeout_ms, bool is_socket)
{
	long long deadline = mtk_now_ms(ctx) + timeout_ms;
	size_t done = 0;
	while (done < len) {
		ssize_t n = is_socket ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
				      : write(fd, buf + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && is_hangup(errno))
			return mtk_fail(ctx, MTK_E_DISCONNECTED, "the device went away after %zu of %zu bytes (%s)",
					done, len, strerror(errno));
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return mtk_fail(ctx, MTK_E_IO, "write failed: %s", strerror(errno));
		long long left = deadline - mtk_now_ms(ctx);
		if (left <= 0)
			return mtk_fail(ctx, MTK_E_TIMEOUT,
					"the device stopped accepting data after %zu of %zu bytes", done, len);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = mtk_poll_fd(ctx, &p, (int)left);
		if (r < 0 && errno != EINTR)
			return mtk_fail(ctx, MTK_E_IO, "poll failed: %s", strerror(errno));
		if (r > 0 && (p.revents & (POLLHUP | POLLERR)))
			return mtk_fail(ctx, MTK_E_DISCONNECTED, "the device hung up after %zu of %zu bytes", done,
					len);
	}
	/* No tcflush(TCOFLUSH) here, ever: on Linux it discards bytes the
	 * device side has not read yet (pty_flush_buffer, cdc-acm). */
	return 0;
}

void mtk_fd_drain(int fd)
{
	uint8_t junk[512];
	while (read(fd, junk, sizeof junk) > 0)
		;
}
