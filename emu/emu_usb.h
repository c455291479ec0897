/* SPDX-License-Identifier: MIT */
/* The USB frontend: the emulated phone as a umockdev USB device
 * (reference/testing.md §1).  A host program run under umockdev's preload
 * (umockdev-wrapper, UMOCKDEV_DIR = the test bed) finds it with libusb, and
 * its usbdevfs ioctls (URBs) come to us; the device model behind them is the
 * same mtkemu_serve() the pty frontend runs, over a socketpair. */
#ifndef MTKEMU_USB_H
#define MTKEMU_USB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <umockdev.h>

#include "mtkemu.h"

struct emu_usb;

/* The phone plugged into port `port` (1..15) of bus 1; its first address
 * is `devnum` and each re-enumeration takes the next one.  Nothing is added
 * to the test bed before emu_usb_run(). */
struct emu_usb *emu_usb_new(UMockdevTestbed *tb, struct mtkemu *emu, unsigned port, unsigned devnum, char *err,
			    size_t errlen);

/* The cable is out at first: emu_usb_run() says "unplugged" and plugs the
 * phone in at the first *replug. */
void emu_usb_start_unplugged(struct emu_usb *u);

/* Called with "ready" when the device appears on the bus, "gone" when it
 * leaves for good (until a replug), "unplugged" at the start when the cable
 * is out. */
typedef void (*emu_usb_say_fn)(const char *what, void *ctx);

/* Serves until *stop (checked at least every 100 ms) or a failure (-1).
 * *replug (may be NULL) set: the cable goes out and back in; the caller
 * has told the device model (mtkemu_replug/power_cycle). */
int emu_usb_run(struct emu_usb *u, const atomic_bool *stop, atomic_bool *replug, emu_usb_say_fn say, void *ctx);

/* The address the device has now (for usb:BUS:ADDR). */
unsigned emu_usb_devnum(const struct emu_usb *u);

/* After emu_usb_run() returned. */
void emu_usb_free(struct emu_usb *u);

#endif
