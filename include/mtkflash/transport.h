/* SPDX-License-Identifier: MIT */
/* Byte streams to a device: USB (libusb), serial ttys, the in-process emulator.
 *
 * A transport moves bytes and knows nothing of MediaTek commands.  Port specs
 * (the CLI's --port):
 *   auto                      wait for a MediaTek device in download mode (0e8d:0003/2000/…);
 *                             until the libusb backend exists, through its CDC-ACM tty
 *   usb[:BUS:ADDR]            libusb (for now: the tty of that USB device, found in sysfs)
 *   serial:PATH | /dev/ttyX   a tty (CDC-ACM, or an emulator's pty)
 *   emu:CHIP[,state=DIR][,faults=SPEC][,mode=brom|preloader][,speed=MODEL]
 *                             the emulator, in-process on a thread, when the program
 *                             registered it (mtk_transport_register_scheme) */
#ifndef MTKFLASH_TRANSPORT_H
#define MTKFLASH_TRANSPORT_H

#include <stdbool.h>
#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mtk_transport;

struct mtk_transport_ops {
	const char *name;
	/* Read at most `len` bytes; return the count (>0) once some arrived,
	 * MTK_E_TIMEOUT if none came within timeout_ms, MTK_E_DISCONNECTED at EOF. */
	int (*read)(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms);
	/* Write all `len` bytes or fail. */
	int (*write)(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms);
	/* Optional: drop bytes already received but not read (input only). */
	void (*drain_input)(struct mtk_transport *t);
	/* Optional: the device re-enumerated on USB (DA speed switch, FINISH,
	 * reset): wait up to wait_ms for it to come back at the same place (the
	 * same tty path or link, the same physical USB port, the same emulator)
	 * and reopen it in place.  MTK_E_NODEV when it did not come back.
	 * NULL: the backend cannot follow a device (the caller reports it). */
	int (*reopen)(struct mtk_transport *t, int wait_ms);
	void (*close)(struct mtk_transport *t);
};

/* Accessors: the transport itself is opaque. */
/* What names this phone's port across runs, for the session record:
 * "tty:PATH" as given, "usb:1-1.4" (the USB port chain), or "emu:STATE_DIR";
 * "" when nothing outlives the process. */
const char *mtk_transport_port_key(const struct mtk_transport *t);
/* The far end is software (an emulator, or a pseudo-terminal as mtkemu
 * serves), never a phone's own port: only then may a program offer the
 * bundled synthetic Download Agent, which only an emulator can run. */
bool mtk_transport_is_virtual(const struct mtk_transport *t);
/* The backend's name: "serial", "emu", … */
const char *mtk_transport_name(const struct mtk_transport *t);
/* The device re-enumerated (speed switch, FINISH, reset): follow it to where
 * it comes back and reopen in place (see mtk_transport_ops.reopen).
 * MTK_E_UNSUPPORTED when the backend cannot; mtk_transport_can_reopen asks first. */
bool mtk_transport_can_reopen(const struct mtk_transport *t);
int mtk_transport_reopen(struct mtk_transport *t, int wait_ms);
/* Bytes moved since the open, each way. */
void mtk_transport_counts(const struct mtk_transport *t, uint64_t *in, uint64_t *out);

/* Open by spec, waiting up to wait_ms for the device to appear (0 = try once).
 * On failure the context says which path and why. */
int mtk_transport_open(mtk_ctx *ctx, const char *spec, int wait_ms, struct mtk_transport **out);
void mtk_transport_close(struct mtk_transport *t);
const char *mtk_transport_describe(const struct mtk_transport *t);

/* Backends outside the library (the CLI's in-process emulator): specs
 * "SCHEME:ARGS" open with open(ctx, ARGS, wait_ms, out), which fills *out
 * from mtk_transport_alloc().  Any thread may register (the table is
 * locked), but an open finds only what was registered before it; a scheme
 * registered again is replaced.
 * MTK_E_INVAL for a bad scheme name, MTK_E_NOMEM when the table is full. */
typedef int (*mtk_transport_open_fn)(mtk_ctx *ctx, const char *args, int wait_ms, struct mtk_transport **out);
int mtk_transport_register_scheme(const char *scheme, mtk_transport_open_fn open);

/* For backends: a transport holding ops and priv (NULL when out of memory). */
struct mtk_transport *mtk_transport_alloc(mtk_ctx *ctx, const struct mtk_transport_ops *ops, void *priv);
/* For backends: what their ops need back, and what they say of themselves. */
void *mtk_transport_priv(const struct mtk_transport *t);
mtk_ctx *mtk_transport_ctx(const struct mtk_transport *t);
/* The description mtk_transport_describe() returns ("emu:mt6737"), cut to fit. */
void mtk_transport_set_desc(struct mtk_transport *t, const char *desc);
/* A key that does not fit leaves none (MTK_E_RANGE): better no session
 * record than one that names another phone. */
int mtk_transport_set_port_key(struct mtk_transport *t, const char *key);
void mtk_transport_set_virtual(struct mtk_transport *t, bool virtual_device);
/* poll()-based I/O on a non-blocking file descriptor, for every backend
 * that ends in an fd (serial tty, a socketpair to an emulator). */
int mtk_fd_read(mtk_ctx *ctx, int fd, uint8_t *buf, size_t len, int timeout_ms);
/* is_socket: write with MSG_NOSIGNAL, so a device that hung up gives
 * MTK_E_DISCONNECTED instead of SIGPIPE killing the caller's process (a
 * library must not change the process's signal handling to avoid it). */
int mtk_fd_write(mtk_ctx *ctx, int fd, const uint8_t *buf, size_t len, int timeout_ms, bool is_socket);
void mtk_fd_drain(int fd);
int mtk_fd_set_nonblock(int fd);

/* Read exactly len bytes within timeout_ms in total (each new byte does not
 * restart the clock).  On timeout the context says how many bytes came and
 * shows them, since a partial answer is the most useful clue. */
int mtk_tp_read_exact(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms);
/* The same, handing each piece to `seen` as it arrives: a checksum of a
 * long answer then costs nothing after its last byte, when the device is
 * waiting for our reply. */
typedef void (*mtk_tp_seen_fn)(void *user, const uint8_t *piece, size_t len);
int mtk_tp_read_exact_seen(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms, mtk_tp_seen_fn seen,
			   void *user);
/* Read whatever arrives first (1..len bytes). */
int mtk_tp_read_some(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms);
int mtk_tp_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms);
void mtk_tp_drain(struct mtk_transport *t);

/* What a USB identity says about the software answering behind it.  Only a
 * guess: GET_BL_VER decides for certain once the handshake is done. */
enum mtk_usb_role {
	MTK_USB_ROLE_OTHER,     /* MediaTek's vendor id, not a download-mode product (a booted phone) */
	MTK_USB_ROLE_BROM,      /* the boot ROM's download mode */
	MTK_USB_ROLE_PRELOADER, /* the preloader's download mode (or a DA after re-enumeration) */
};

/* A serial port whose USB device has a MediaTek download-mode identity. */
struct mtk_port_info {
	char path[80];       /* "/dev/ttyACM0" */
	uint16_t vid, pid;
	enum mtk_usb_role role;
	const char *what;    /* "MediaTek BROM", "MediaTek preloader", … (static) */
	unsigned busnum;     /* USB bus and address as lsusb shows them; 0 when unknown */
	unsigned devnum;
	char usb_path[32];   /* the kernel's name for the USB port chain, "1-1.4"; "" when unknown */
};

/* The serial ports (Linux: /sys/class/tty) that belong to USB devices with a
 * MediaTek vendor id or a known download-mode identity, sorted by path.
 * Fills at most `max` entries and returns how many there are (possibly more
 * than `max`), or a negative MTK_E_* code. */
int mtk_find_mediatek_ports(mtk_ctx *ctx, struct mtk_port_info *out, size_t max);
/* "BROM", "preloader", "not in download mode". */
const char *mtk_usb_role_name(enum mtk_usb_role role);

#ifdef __cplusplus
}
#endif
#endif
