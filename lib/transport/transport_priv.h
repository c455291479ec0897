/* SPDX-License-Identifier: MIT */
/* Shared between the transport backends; not part of the public API. */
#ifndef MTK_TRANSPORT_PRIV_H
#define MTK_TRANSPORT_PRIV_H

#include "mtkflash/transport.h"

/* poll()-based I/O on a non-blocking file descriptor, used by every backend
 * that ends in an fd (serial tty, emulator socketpair). */
int mtk_fd_read(mtk_ctx *ctx, int fd, uint8_t *buf, size_t len, int timeout_ms);
/* is_socket: write with MSG_NOSIGNAL, so a device that hung up gives
 * MTK_E_DISCONNECTED instead of SIGPIPE killing the caller's process (a
 * library must not change the process's signal handling to avoid it). */
int mtk_fd_write(mtk_ctx *ctx, int fd, const uint8_t *buf, size_t len, int timeout_ms, bool is_socket);
void mtk_fd_drain(int fd);
int mtk_fd_set_nonblock(int fd);

/* Backends: parse their part of the spec (after "serial:" / "emu:"). */
int mtk_serial_open(mtk_ctx *ctx, const char *path, int wait_ms, struct mtk_transport **out);
int mtk_emu_open(mtk_ctx *ctx, const char *args, struct mtk_transport **out);
int mtk_usb_open(mtk_ctx *ctx, const char *args, int wait_ms, struct mtk_transport **out);

struct mtk_transport *mtk_transport_alloc(mtk_ctx *ctx, const struct mtk_transport_ops *ops, void *priv);

#endif
