/* SPDX-License-Identifier: MIT */
/* USB through libusb.  The only file that includes <libusb.h>.
 *
 * A phone in download mode is a CDC-ACM device (brom-protocol.md §1.2): we
 * claim its CDC Data interface (class 0x0A, found by class, never by number,
 * since preloaders order their interfaces either way), taking it from
 * cdc_acm if the kernel bound it (libusb gives it back on release), and move
 * bytes over its bulk endpoints.  Without libusb in the build, or when
 * libusb cannot reach the device, the phone's cdc_acm tty is used instead
 * (discover.c, serial.c). */
#include "transport/transport_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctx.h"
#include "transport/holders.h"

#ifdef MTK_HAVE_LIBUSB
#include <libusb.h>
#endif

/* ":BUS:ADDR" in decimal, as lsusb prints them (":001:005" or ":1:5"). */
static int parse_bus_addr(mtk_ctx *ctx, const char *args, struct mtk_port_filter *f)
{
	const char *colon = args[0] == ':' ? strchr(++args, ':') : NULL;
	if (!colon || mtk_parse_dec(args, (size_t)(colon - args), 65535, &f->busnum) < 0 ||
	    mtk_parse_dec(colon + 1, strlen(colon + 1), 127, &f->devnum) < 0 || f->busnum == 0 || f->devnum == 0)
		return mtk_fail(ctx, MTK_E_INVAL,
				"'usb:%s' is not usb:BUS:ADDR (bus and address in decimal as lsusb shows them, "
				"e.g. usb:1:5 or usb:001:005)",
				args);
	return 0;
}

#ifndef MTK_HAVE_LIBUSB

/* Without libusb a usb spec is served by the tty path (cdc_acm). */
static int open_backend(mtk_ctx *ctx, const struct mtk_port_filter *f, int wait_ms, struct mtk_transport **out)
{
	return mtk_auto_open(ctx, f, wait_ms, out);
}

bool mtk_usb_available(void)
{
	return false;
}

#else

#define MAX_CANDS 16
#define MAX_PORTS 7           /* USB allows 7 tiers */
#define RX_CAP 16384          /* small answers land here first (a multiple of every wMaxPacketSize) */
#define WRITE_CHUNK (1u << 20) /* one bulk transfer: large enough that per-transfer cost vanishes */
#define EVENT_SLICE_MS 100    /* longest single wait for a hotplug event */
#define CTRL_TIMEOUT_MS 1000
#define DESC_MAX 160

/* Where a device is plugged in: bus and the chain of hub ports, which stay
 * the same when the phone re-enumerates (BROM -> preloader, DA speed switch,
 * reboot) while its address changes. */
struct usb_place {
	uint8_t bus, addr;
	uint8_t ports[MAX_PORTS];
	int nports;
};

struct usb_cand {
	libusb_device *dev;
	uint16_t vid, pid;
	enum mtk_usb_role role;
	const char *what;
	struct usb_place at;
};

struct usb_priv {
	libusb_context *lctx;
	libusb_device_handle *h;
	libusb_device *dev; /* referenced: tells the old device from the one that comes back */
	libusb_hotplug_callback_handle hp;
	bool has_hotplug;
	bool left; /* the hotplug LEFT event for dev came */
	int data_if, comm_if;
	uint8_t ep_in, ep_out;
	uint16_t mps_in, mps_out;
	struct usb_place at;
	uint8_t rx[RX_CAP];
	size_t rx_off, rx_len;
};

bool mtk_usb_available(void)
{
	return true;
}

/* "1-1.4", the kernel's name for the port chain. */
static void place_name(const struct usb_place *at, char *out, size_t cap)
{
	size_t pos = (size_t)snprintf(out, cap, "%u", at->bus);
	for (int i = 0; i < at->nports && pos < cap; i++)
		pos += (size_t)snprintf(out + pos, cap - pos, "%c%u", i ? '.' : '-', at->ports[i]);
}

static bool same_place(const struct usb_place *a, const struct usb_place *b)
{
	return a->bus == b->bus && a->nports == b->nports && memcmp(a->ports, b->ports, (size_t)a->nports) == 0;
}

static int usb_err(mtk_ctx *ctx, int lrc, const char *what)
{
	int code = MTK_E_IO;
	if (lrc == LIBUSB_ERROR_NO_DEVICE)
		code = MTK_E_DISCONNECTED;
	else if (lrc == LIBUSB_ERROR_TIMEOUT)
		code = MTK_E_TIMEOUT;
	else if (lrc == LIBUSB_ERROR_NO_MEM)
		code = MTK_E_NOMEM;
	return mtk_fail(ctx, code, "%s: %s", what, libusb_strerror((enum libusb_error)lrc));
}

/* ---- finding devices -------------------------------------------------------- */

static void get_place(libusb_device *dev, struct usb_place *at)
{
	at->bus = libusb_get_bus_number(dev);
	at->addr = libusb_get_device_address(dev);
	int n = libusb_get_port_numbers(dev, at->ports, MAX_PORTS);
	at->nports = n > 0 ? n : 0;
}

static bool cand_wanted(const struct usb_cand *c, const struct mtk_port_filter *f)
{
	if (f->busnum)
		return c->at.bus == f->busnum && c->at.addr == f->devnum;
	return c->role != MTK_USB_ROLE_OTHER;
}

/* Devices with a MediaTek identity (download mode or not), referenced;
 * returns how many were put in out (at most max). */
static int list_cands(struct usb_priv *p, struct usb_cand *out, int max)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(p->lctx, &list);
	if (n < 0)
		return (int)n;
	int count = 0;
	for (ssize_t i = 0; i < n && count < max; i++) {
		struct libusb_device_descriptor dd;
		struct usb_cand *c = &out[count];
		if (libusb_get_device_descriptor(list[i], &dd) < 0 ||
		    !mtk_usb_identity(dd.idVendor, dd.idProduct, &c->role, &c->what))
			continue;
		c->dev = libusb_ref_device(list[i]);
		c->vid = dd.idVendor;
		c->pid = dd.idProduct;
		get_place(list[i], &c->at);
		count++;
	}
	libusb_free_device_list(list, 1);
	return count;
}

static void free_cands(struct usb_cand *c, int n)
{
	for (int i = 0; i < n; i++)
		libusb_unref_device(c[i].dev);
}

static int on_hotplug(libusb_context *lctx, libusb_device *dev, libusb_hotplug_event ev, void *user)
{
	struct usb_priv *p = user;
	(void)lctx;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT && dev == p->dev)
		p->left = true;
	return 0;
}

/* Sleeps until a device arrives or leaves, at most ms.  With hotplug the
 * wake-up is the event itself, so a port that lives a moment is not missed
 * between two looks; without it (some platforms) we poll briskly. */
static void wait_usb_event(struct usb_priv *p, long long ms)
{
	if (ms <= 0)
		return;
	if (ms > EVENT_SLICE_MS)
		ms = EVENT_SLICE_MS;
	if (!p->has_hotplug) {
		usleep((useconds_t)(ms > 20 ? 20 : ms) * 1000); /* libusb's own waits are on real time */
		return;
	}
	struct timeval tv = { 0, (long)ms * 1000 };
	libusb_handle_events_timeout_completed(p->lctx, &tv, NULL);
}

static void describe_cand(char *out, size_t cap, const struct usb_cand *c)
{
	char where[40];
	place_name(&c->at, where, sizeof where);
	snprintf(out, cap, "%04x:%04x %s, USB %s = bus %u address %u", c->vid, c->pid, c->what, where, c->at.bus,
		 c->at.addr);
}

static int refuse_several(mtk_ctx *ctx, const struct usb_cand *c, int n)
{
	char list[1024] = "";
	size_t pos = 0;
	for (int i = 0; i < n && pos < sizeof list; i++) {
		if (c[i].role == MTK_USB_ROLE_OTHER)
			continue;
		char one[160];
		describe_cand(one, sizeof one, &c[i]);
		pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s (--port usb:%u:%u)", pos ? "; " : "",
					one, c[i].at.bus, c[i].at.addr);
	}
	return mtk_fail(ctx, MTK_E_INVAL,
			"several MediaTek devices in download mode: %s. Choose one with --port usb:BUS:ADDR; "
			"flashing the wrong phone cannot be undone", list);
}

/* ---- claiming ---------------------------------------------------------------- */

static bool bulk_pair(const struct libusb_interface_descriptor *id, uint8_t *in, uint8_t *out, uint16_t *mps_in,
		      uint16_t *mps_out)
{
	bool got_in = false, got_out = false;
	for (int e = 0; e < id->bNumEndpoints; e++) {
		const struct libusb_endpoint_descriptor *ep = &id->endpoint[e];
		if ((ep->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK)
			continue;
		if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !got_in) {
			*in = ep->bEndpointAddress;
			*mps_in = ep->wMaxPacketSize;
			got_in = true;
		} else if (!(ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !got_out) {
			*out = ep->bEndpointAddress;
			*mps_out = ep->wMaxPacketSize;
			got_out = true;
		}
	}
	return got_in && got_out;
}

/* The CDC Data interface (class 0x0A) with a bulk pair; failing that (a
 * BootROM that calls itself vendor-specific), the first interface with one. */
static int find_interfaces(mtk_ctx *ctx, struct usb_priv *p, const struct libusb_config_descriptor *cfg)
{
	p->data_if = p->comm_if = -1;
	for (int pass = 0; pass < 2 && p->data_if < 0; pass++) {
		for (int i = 0; i < cfg->bNumInterfaces && p->data_if < 0; i++) {
			if (cfg->interface[i].num_altsetting < 1)
				continue;
			const struct libusb_interface_descriptor *id = &cfg->interface[i].altsetting[0];
			if ((pass == 0 && id->bInterfaceClass != LIBUSB_CLASS_DATA) ||
			    !bulk_pair(id, &p->ep_in, &p->ep_out, &p->mps_in, &p->mps_out))
				continue;
			p->data_if = id->bInterfaceNumber;
		}
	}
	for (int i = 0; i < cfg->bNumInterfaces && p->comm_if < 0; i++)
		if (cfg->interface[i].num_altsetting > 0 &&
		    cfg->interface[i].altsetting[0].bInterfaceClass == LIBUSB_CLASS_COMM)
			p->comm_if = cfg->interface[i].altsetting[0].bInterfaceNumber;
	if (p->data_if < 0)
		return mtk_fail(ctx, MTK_E_PROTO, "the device has no interface with a bulk IN and OUT endpoint");
	if (p->mps_in == 0 || p->mps_out == 0 || p->mps_in > RX_CAP || RX_CAP % p->mps_in)
		return mtk_fail(ctx, MTK_E_PROTO, "unusable bulk packet sizes (IN %u, OUT %u bytes)", p->mps_in,
				p->mps_out);
	return 0;
}

static int read_config(mtk_ctx *ctx, struct usb_priv *p)
{
	struct libusb_config_descriptor *cfg = NULL;
	int lrc = libusb_get_active_config_descriptor(p->dev, &cfg);
	if (lrc == LIBUSB_ERROR_NOT_FOUND) {
		/* Unconfigured (no driver picked one): the phone has one configuration. */
		libusb_set_configuration(p->h, 1);
		lrc = libusb_get_active_config_descriptor(p->dev, &cfg);
	}
	if (lrc < 0)
		return usb_err(ctx, lrc, "reading the configuration descriptor");
	int rc = find_interfaces(ctx, p, cfg);
	libusb_free_config_descriptor(cfg);
	return rc;
}

/* 115200 8N1 with DTR and RTS, as a host's tty would set them.  CDC-ACM
 * phones ignore the rate; a preloader takes SET_LINE_CODING as "a tool is
 * here" and starts its READY banner (brom-protocol.md §1.3).  A device may
 * STALL either request: not an error. */
static void line_setup(mtk_ctx *ctx, struct usb_priv *p)
{
	uint8_t coding[7] = { 0x00, 0xC2, 0x01, 0x00, 0 /* 1 stop bit */, 0 /* no parity */, 8 };
	uint16_t idx = (uint16_t)(p->comm_if >= 0 ? p->comm_if : p->data_if);
	int lrc = libusb_control_transfer(p->h, 0x21, 0x20, 0, idx, coding, sizeof coding, CTRL_TIMEOUT_MS);
	if (lrc < 0)
		mtk_dbg(ctx, "SET_LINE_CODING: %s (ignored)", libusb_error_name(lrc));
	lrc = libusb_control_transfer(p->h, 0x21, 0x22, 0x0003, idx, NULL, 0, CTRL_TIMEOUT_MS);
	if (lrc < 0)
		mtk_dbg(ctx, "SET_CONTROL_LINE_STATE: %s (ignored)", libusb_error_name(lrc));
}

static const char *open_hint(int lrc)
{
	switch (lrc) {
	case LIBUSB_ERROR_ACCESS:
		return ": permission denied on the USB device node; install the udev rule (data/60-mtkflash.rules) "
		       "or run as root";
	case LIBUSB_ERROR_BUSY:
		return ": another program has claimed it (ModemManager is the usual suspect: systemctl stop "
		       "ModemManager)";
	default:
		return "";
	}
}

static void release(struct usb_priv *p)
{
	if (!p->h)
		return;
	/* Auto-detach hands each interface back to cdc_acm here. */
	libusb_release_interface(p->h, p->data_if);
	if (p->comm_if >= 0)
		libusb_release_interface(p->h, p->comm_if);
	libusb_close(p->h);
	p->h = NULL;
}

/* Another open of the node claimed the interface first (the kernel lets
 * one file have it): the same words as a busy tty, with the holder when
 * /proc shows it. */
static int port_busy(mtk_ctx *ctx, const struct usb_cand *c, const char *where)
{
	char node[40], comm[64] = "", who[120] = "";
	snprintf(node, sizeof node, "/dev/bus/usb/%03u/%03u", c->at.bus, c->at.addr);
	long pid = mtk_find_holder("/proc", node, 0, (long)getpid(), comm, sizeof comm);
	if (pid > 0)
		snprintf(who, sizeof who, " (PID %ld%s%s)", pid, comm[0] ? ", " : "", comm);
	return mtk_fail(ctx, MTK_E_NODEV,
			"port busy: another program%s has claimed %s (%s); ModemManager is the usual suspect "
			"(systemctl stop ModemManager), or another mtkflash still working on this phone",
			who, where, node);
}

/* Opens and claims c->dev; on failure nothing stays open. */
static int claim(mtk_ctx *ctx, struct usb_priv *p, const struct usb_cand *c)
{
	char where[160];
	describe_cand(where, sizeof where, c);
	int lrc = libusb_open(c->dev, &p->h);
	if (lrc < 0) {
		p->h = NULL;
		if (lrc == LIBUSB_ERROR_NO_DEVICE)
			return mtk_fail(ctx, MTK_E_DISCONNECTED, "%s left the bus before it could be opened", where);
		return mtk_fail(ctx, MTK_E_IO, "cannot open %s: %s%s", where, libusb_strerror((enum libusb_error)lrc),
				open_hint(lrc));
	}
	libusb_unref_device(p->dev);
	p->dev = libusb_ref_device(c->dev);
	p->left = false;
	p->at = c->at;
	p->rx_off = p->rx_len = 0;
	libusb_set_auto_detach_kernel_driver(p->h, 1);
	int rc = read_config(ctx, p);
	if (rc == 0 && (lrc = libusb_claim_interface(p->h, p->data_if)) == LIBUSB_ERROR_BUSY)
		rc = port_busy(ctx, c, where);
	else if (rc == 0 && lrc < 0)
		rc = mtk_fail(ctx, lrc == LIBUSB_ERROR_NO_DEVICE ? MTK_E_DISCONNECTED : MTK_E_IO,
			      "cannot claim interface %d of %s: %s%s", p->data_if, where,
			      libusb_strerror((enum libusb_error)lrc), open_hint(lrc));
	if (rc < 0) {
		libusb_close(p->h);
		p->h = NULL;
		return rc;
	}
	if (p->comm_if >= 0 && (lrc = libusb_claim_interface(p->h, p->comm_if)) < 0) {
		mtk_dbg(ctx, "interface %d (CDC control): %s; line setup may fail", p->comm_if,
			libusb_error_name(lrc));
		p->comm_if = -1;
	}
	line_setup(ctx, p);
	mtk_dbg(ctx, "claimed interface %d of %s: bulk IN 0x%02x (%u), OUT 0x%02x (%u)", p->data_if, where, p->ep_in,
		p->mps_in, p->ep_out, p->mps_out);
	return 0;
}

/* ---- I/O ------------------------------------------------------------------------ */

static int io_timeout(int ms)
{
	return ms > 0 ? ms : 1; /* libusb reads 0 as "forever" */
}

static int transfer_error(struct mtk_transport *t, int lrc, const char *what, size_t done, size_t len)
{
	if (lrc == LIBUSB_ERROR_NO_DEVICE || lrc == LIBUSB_ERROR_IO)
		return mtk_fail(t->ctx, MTK_E_DISCONNECTED, "the device left the bus during a %s (%zu of %zu bytes)",
				what, done, len);
	if (lrc == LIBUSB_ERROR_OVERFLOW)
		return mtk_fail(t->ctx, MTK_E_PROTO, "bulk %s: the device sent more than a whole packet", what);
	return mtk_fail(t->ctx, MTK_E_IO, "bulk %s after %zu of %zu bytes: %s", what, done, len,
			libusb_strerror((enum libusb_error)lrc));
}

static int usb_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct usb_priv *p = t->priv;
	if (p->rx_len == 0 && len >= p->mps_in) {
		/* Large reads go straight into the caller's buffer, in whole
		 * packets so the device can never overflow it. */
		size_t want = len - len % p->mps_in;
		if (want > WRITE_CHUNK)
			want = WRITE_CHUNK;
		int got = 0;
		int lrc = libusb_bulk_transfer(p->h, p->ep_in, buf, (int)want, &got, io_timeout(timeout_ms));
		if (got > 0)
			return got;
		if (lrc == LIBUSB_ERROR_TIMEOUT || lrc == 0)
			return MTK_E_TIMEOUT;
		return transfer_error(t, lrc, "read", 0, len);
	}
	if (p->rx_len == 0) {
		int got = 0;
		int lrc = libusb_bulk_transfer(p->h, p->ep_in, p->rx, RX_CAP, &got, io_timeout(timeout_ms));
		if (got <= 0)
			return lrc == LIBUSB_ERROR_TIMEOUT || lrc == 0 ? MTK_E_TIMEOUT
								       : transfer_error(t, lrc, "read", 0, len);
		p->rx_off = 0;
		p->rx_len = (size_t)got;
	}
	size_t n = len < p->rx_len ? len : p->rx_len;
	memcpy(buf, p->rx + p->rx_off, n);
	p->rx_off += n;
	p->rx_len -= n;
	return (int)n;
}

static int usb_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	struct usb_priv *p = t->priv;
	long long deadline = mtk_now_ms(t->ctx) + timeout_ms;
	size_t done = 0;
	while (done < len) {
		size_t n = len - done > WRITE_CHUNK ? WRITE_CHUNK : len - done;
		int sent = 0;
		long long left = deadline - mtk_now_ms(t->ctx);
		int lrc = libusb_bulk_transfer(p->h, p->ep_out, (uint8_t *)buf + done, (int)n, &sent,
					       io_timeout((int)left));
		done += sent > 0 ? (size_t)sent : 0;
		if (lrc == LIBUSB_ERROR_TIMEOUT && mtk_now_ms(t->ctx) < deadline)
			continue;
		if (lrc == LIBUSB_ERROR_TIMEOUT)
			return mtk_fail(t->ctx, MTK_E_TIMEOUT,
					"the device stopped accepting data after %zu of %zu bytes", done, len);
		if (lrc < 0)
			return transfer_error(t, lrc, "write", done, len);
	}
	/* A transfer that fills its last packet exactly has no short packet
	 * to end it: a zero-length one says "that was all". */
	if (len > 0 && len % p->mps_out == 0) {
		int sent;
		int lrc = libusb_bulk_transfer(p->h, p->ep_out, (uint8_t *)buf, 0, &sent, io_timeout(timeout_ms));
		if (lrc < 0)
			return transfer_error(t, lrc, "write (zero-length packet)", len, len);
	}
	return 0;
}

static void usb_drain(struct mtk_transport *t)
{
	struct usb_priv *p = t->priv;
	p->rx_off = p->rx_len = 0;
	for (int i = 0; i < 64; i++) {
		int got = 0;
		if (libusb_bulk_transfer(p->h, p->ep_in, p->rx, RX_CAP, &got, 2) < 0 || got <= 0)
			break;
	}
}

static void free_priv(struct usb_priv *p)
{
	release(p);
	if (p->has_hotplug)
		libusb_hotplug_deregister_callback(p->lctx, p->hp);
	if (p->dev)
		libusb_unref_device(p->dev);
	if (p->lctx)
		libusb_exit(p->lctx);
	free(p);
}

static void usb_close(struct mtk_transport *t)
{
	free_priv(t->priv);
}

/* ---- re-enumeration ------------------------------------------------------------
 * The phone drops off the bus and comes back as a new device (new address,
 * maybe a new product id: BROM 0003 -> preloader 2000, DA 2001) on the same
 * physical port.  We follow the port, not the address. */

static bool still_present(struct usb_priv *p)
{
	struct usb_cand c[MAX_CANDS];
	int n = list_cands(p, c, MAX_CANDS);
	bool here = false;
	for (int i = 0; i < n; i++)
		here |= c[i].dev == p->dev;
	free_cands(c, n > 0 ? n : 0);
	return here && !p->left;
}

/* The device that came back at our place: 1 (claimed), 0 (not yet), < 0. */
static int try_came_back(mtk_ctx *ctx, struct usb_priv *p)
{
	struct usb_cand c[MAX_CANDS];
	int n = list_cands(p, c, MAX_CANDS), rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		if (c[i].dev == p->dev || !same_place(&c[i].at, &p->at) || c[i].role == MTK_USB_ROLE_OTHER)
			continue;
		char desc[160];
		describe_cand(desc, sizeof desc, &c[i]);
		rc = claim(ctx, p, &c[i]);
		if (rc == 0) {
			mtk_info(ctx, "the device re-enumerated: %s", desc);
			rc = 1;
		}
	}
	free_cands(c, n > 0 ? n : 0);
	return rc;
}

static int usb_reopen(struct mtk_transport *t, int wait_ms)
{
	struct usb_priv *p = t->priv;
	long long deadline = mtk_now_ms(t->ctx) + wait_ms;
	char where[40];
	place_name(&p->at, where, sizeof where);
	release(p);
	p->rx_off = p->rx_len = 0;
	bool went = false;
	for (;;) {
		int rc = try_came_back(t->ctx, p);
		if (rc > 0) {
			snprintf(t->desc, sizeof t->desc, "usb:%u:%u (%s)", p->at.bus, p->at.addr, where);
			return 0;
		}
		if (rc < 0)
			return mtk_wrap(t->ctx, rc, "the device came back at USB %s", where);
		went = went || !still_present(p);
		long long left = deadline - mtk_now_ms(t->ctx);
		if (left <= 0)
			break;
		wait_usb_event(p, left);
	}
	if (!went)
		return mtk_fail(t->ctx, MTK_E_NODEV,
				"USB %s: the device did not drop off the bus within %d ms to re-enumerate", where,
				wait_ms);
	return mtk_fail(t->ctx, MTK_E_NODEV,
			"USB %s: the device went away to re-enumerate and did not come back within %d ms", where,
			wait_ms);
}

static const struct mtk_transport_ops usb_ops = {
	.name = "usb",
	.read = usb_read,
	.write = usb_write,
	.drain_input = usb_drain,
	.reopen = usb_reopen,
	.close = usb_close,
};

/* ---- opening ---------------------------------------------------------------------- */

static int new_priv(mtk_ctx *ctx, struct usb_priv **out)
{
	struct usb_priv *p = calloc(1, sizeof *p);
	if (!p)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	int lrc = libusb_init(&p->lctx);
	if (lrc < 0) {
		free(p);
		return mtk_fail(ctx, MTK_E_UNSUPPORTED, "libusb: %s", libusb_strerror((enum libusb_error)lrc));
	}
	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) &&
	    libusb_hotplug_register_callback(p->lctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
					     0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
					     LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, p, &p->hp) == 0)
		p->has_hotplug = true;
	*out = p;
	return 0;
}

static int wrap_transport(mtk_ctx *ctx, struct usb_priv *p, struct mtk_transport **out)
{
	struct mtk_transport *t = mtk_transport_alloc(ctx, &usb_ops, p);
	if (!t) {
		free_priv(p);
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	}
	char where[40];
	place_name(&p->at, where, sizeof where);
	snprintf(t->desc, sizeof t->desc, "usb:%u:%u (%s)", p->at.bus, p->at.addr, where);
	snprintf(t->port_key, sizeof t->port_key, "usb:%s", where);
	*out = t;
	return 0;
}

/* libusb could not reach the device (no permission on its node, a platform
 * without usbfs): its cdc_acm tty may still work. */
static bool worth_tty(int rc)
{
	return rc == MTK_E_IO;
}

enum pick { PICK_NONE, PICK_ONE, PICK_MANY };

static enum pick pick_cand(const struct usb_cand *c, int n, const struct mtk_port_filter *f, int *which)
{
	int count = 0;
	for (int i = 0; i < n; i++)
		if (cand_wanted(&c[i], f) && count++ == 0)
			*which = i;
	return count == 0 ? PICK_NONE : count == 1 ? PICK_ONE : PICK_MANY;
}

/* A port that lived a moment (a preloader's window, a resetting phone):
 * said, and the wait goes on; open_cand() freed the old libusb context. */
static int wait_again(mtk_ctx *ctx, struct usb_priv **p)
{
	mtk_warn(ctx, "%s; waiting for it to come back", mtk_ctx_error(ctx));
	mtk_ctx_clear_error(ctx);
	return new_priv(ctx, p);
}

/* libusb could not claim the device (p already freed): its tty, when
 * that is worth a try. */
static int try_its_tty(mtk_ctx *ctx, int rc, const char *desc, const struct usb_place *at,
		       struct mtk_transport **out)
{
	if (!worth_tty(rc))
		return rc;
	mtk_info(ctx, "libusb cannot use it (%s); trying its tty", mtk_ctx_error(ctx));
	struct mtk_port_filter f = { at->bus, at->addr };
	struct mtk_port_info ports[4];
	mtk_ctx_clear_error(ctx);
	if (mtk_find_ports_at(ctx, "/sys", "/dev", ports, 4) <= 0) {
		mtk_ctx_clear_error(ctx);
		return mtk_fail(ctx, rc, "cannot use %s through libusb, and it has no tty", desc);
	}
	return mtk_auto_open(ctx, &f, 0, out);
}

/* A tty that libusb does not see (cdc_acm bound, descriptors unreadable):
 * the serial path takes it. */
static bool tty_only(mtk_ctx *ctx, const struct mtk_port_filter *f)
{
	struct mtk_port_info ports[MAX_CANDS];
	int n = mtk_find_ports_at(ctx, "/sys", "/dev", ports, MAX_CANDS);
	mtk_ctx_clear_error(ctx);
	for (int i = 0; i < n && i < MAX_CANDS; i++)
		if (f->busnum ? ports[i].busnum == f->busnum && ports[i].devnum == f->devnum
			      : ports[i].role != MTK_USB_ROLE_OTHER)
			return true;
	return false;
}

/* The one candidate: 0 and *out, 1 when it left the bus before it could
 * be opened (*p renewed to look again), or the error.  The candidates'
 * references go before their libusb context does. */
static int open_cand(mtk_ctx *ctx, struct usb_priv **p, struct usb_cand *c, int n, int which, bool may_wait,
		     char *desc, struct mtk_transport **out)
{
	struct usb_place at = c[which].at;
	describe_cand(desc, DESC_MAX, &c[which]);
	mtk_info(ctx, "found %s", desc);
	int rc = claim(ctx, *p, &c[which]);
	free_cands(c, n);
	if (rc == 0)
		return wrap_transport(ctx, *p, out);
	free_priv(*p);
	*p = NULL;
	if (rc == MTK_E_DISCONNECTED && may_wait)
		return wait_again(ctx, p) < 0 ? mtk_ctx_error_code(ctx) : 1;
	return try_its_tty(ctx, rc, desc, &at, out);
}

/* The wait ran out after a device came and went: that is what to say. */
static int came_and_went(mtk_ctx *ctx, const char *desc, int wait_ms)
{
	mtk_ctx_clear_error(ctx);
	return mtk_fail(ctx, MTK_E_NODEV,
			"%s appeared and left the bus before it could be opened, and no device came back within "
			"%d s: a preloader's port lives only about 2 s (start mtkflash first, then plug the phone "
			"in; or hold volume-down for the BootROM's port, which waits)", desc, wait_ms / 1000);
}

static int open_backend(mtk_ctx *ctx, const struct mtk_port_filter *f, int wait_ms, struct mtk_transport **out)
{
	struct usb_priv *p = NULL;
	int rc = new_priv(ctx, &p);
	if (rc < 0) {
		mtk_dbg(ctx, "%s; using the tty path", mtk_ctx_error(ctx));
		mtk_ctx_clear_error(ctx);
		return mtk_auto_open(ctx, f, wait_ms, out);
	}
	long long deadline = mtk_now_ms(ctx) + (wait_ms > 0 ? wait_ms : 0);
	char went[DESC_MAX] = "";
	for (;;) {
		struct usb_cand c[MAX_CANDS];
		int n = list_cands(p, c, MAX_CANDS), which = 0;
		n = n > 0 ? n : 0;
		enum pick k = pick_cand(c, n, f, &which);
		if (k == PICK_ONE && (rc = open_cand(ctx, &p, c, n, which, mtk_now_ms(ctx) < deadline, went, out)) != 1)
			return rc;
		if (k == PICK_MANY) {
			rc = refuse_several(ctx, c, n);
			free_cands(c, n);
			free_priv(p);
			return rc;
		}
		if (k == PICK_NONE)
			free_cands(c, n);
		long long left = deadline - mtk_now_ms(ctx);
		if (left <= 0 || (k == PICK_NONE && tty_only(ctx, f)))
			break;
		wait_usb_event(p, left);
	}
	free_priv(p);
	/* Nothing libusb can see: the tty path looks once more and words the
	 * failure (what is present, the likely causes). */
	long long left = deadline - mtk_now_ms(ctx);
	if (left <= 0 && went[0]) {
		rc = mtk_auto_open_after(ctx, f, wait_ms, out);
		return rc == MTK_E_NODEV ? came_and_went(ctx, went, wait_ms) : rc;
	}
	if (left > 0) /* a tty appeared: it gets the rest of the wait */
		return mtk_auto_open(ctx, f, (int)left, out);
	return mtk_auto_open_after(ctx, f, wait_ms, out);
}

#endif

/* args: what follows "usb" in the spec, "" or ":BUS:ADDR". */
int mtk_usb_open(mtk_ctx *ctx, const char *args, int wait_ms, struct mtk_transport **out)
{
	struct mtk_port_filter f = { 0, 0 };
	*out = NULL;
	if (*args) {
		int rc = parse_bus_addr(ctx, args, &f);
		if (rc < 0)
			return rc;
	}
	return open_backend(ctx, &f, wait_ms, out);
}
