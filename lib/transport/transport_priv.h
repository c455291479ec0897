/* SPDX-License-Identifier: MIT */
/* Shared between the transport backends; not part of the public API. */
#ifndef MTK_TRANSPORT_PRIV_H
#define MTK_TRANSPORT_PRIV_H

#include "mtkflash/transport.h"

/* Opaque in the public API (accessors in mtkflash/transport.h); library code
 * and white-box unit tests use the fields. */
struct mtk_transport {
	const struct mtk_transport_ops *ops;
	mtk_ctx *ctx;
	void *priv;
	char desc[256]; /* "serial:/dev/ttyACM0", "emu:mt6737 (brom)" */
	uint64_t bytes_in, bytes_out;
	bool virtual_device; /* mtk_transport_is_virtual() */
	char port_key[256]; /* mtk_transport_port_key() */
};

struct pollfd;
/* poll() one fd on the context's clock: on a virtual clock it never blocks,
 * and when nothing is ready it advances the clock by timeout_ms (a device
 * with nothing to say times out at once). */
int mtk_poll_fd(mtk_ctx *ctx, struct pollfd *p, int timeout_ms);

/* Backends: parse their part of the spec (after "serial:" / "usb"). */
int mtk_serial_open(mtk_ctx *ctx, const char *path, int wait_ms, struct mtk_transport **out);
/* A serial transport found by its USB port (auto, usb:): its reopen looks
 * for the tty on the same port chain, and its port_key is "usb:PATH". */
void mtk_serial_follow_usb(struct mtk_transport *t, const char *sysroot, const char *devroot, const char *usb_path);
/* usb.c: "" (any one download-mode device) or ":BUS:ADDR", through libusb
 * when the build has it, else (or when libusb cannot reach the device) the
 * device's tty. */
int mtk_usb_open(mtk_ctx *ctx, const char *args, int wait_ms, struct mtk_transport **out);
bool mtk_usb_available(void);

/* Finding a MediaTek device's serial port (discover.c).  The sysfs and /dev
 * roots are parameters so tests can run on a fake tree; the public entry
 * points use "/sys" and "/dev". */
struct mtk_port_filter {
	unsigned busnum, devnum; /* both 0: any download-mode device */
};
int mtk_find_ports_at(mtk_ctx *ctx, const char *sysroot, const char *devroot, struct mtk_port_info *out,
		      size_t max);
/* Wait up to wait_ms until exactly one matching download-mode port exists,
 * then open it with the serial backend.  Several at once: MTK_E_INVAL with
 * the list (guessing which phone to flash is not ours to do). */
int mtk_auto_open_at(mtk_ctx *ctx, const char *sysroot, const char *devroot, const struct mtk_port_filter *f,
		     int wait_ms, struct mtk_transport **out);
int mtk_auto_open(mtk_ctx *ctx, const struct mtk_port_filter *f, int wait_ms, struct mtk_transport **out);
/* One look, after the caller waited waited_ms elsewhere (libusb): a failure
 * says the device did not appear within that time. */
int mtk_auto_open_after(mtk_ctx *ctx, const struct mtk_port_filter *f, int waited_ms, struct mtk_transport **out);

/* Known USB identities (data, from the reference's VID/PID table): false
 * when (vid, pid) is none of ours. */
bool mtk_usb_identity(uint16_t vid, uint16_t pid, enum mtk_usb_role *role, const char **what);

/* Parsers for the text of one sysfs attribute (no I/O): idVendor "0e8d\n",
 * busnum "3\n".  A single trailing newline is allowed, nothing else. */
int mtk_sysfs_hex16(const uint8_t *buf, size_t len, uint16_t *out);
int mtk_sysfs_uint(const uint8_t *buf, size_t len, unsigned max, unsigned *out);
/* Decimal digits only, at most `max`: for BUS and ADDR in usb:BUS:ADDR. */
int mtk_parse_dec(const char *s, size_t len, unsigned max, unsigned *out);

#endif
