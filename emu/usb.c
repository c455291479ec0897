/* SPDX-License-Identifier: MIT */
/* The phone as a umockdev USB device (see emu_usb.h).
 *
 * Three threads meet here:
 *  - umockdev's ioctl worker calls on_ioctl() for each usbdevfs ioctl of the
 *    host: URBs are queued, control requests answered at once, reaped URBs
 *    handed back;
 *  - the pump moves bytes between queued bulk URBs and our end of the
 *    session's socketpair;
 *  - emu_usb_run()'s thread runs the device model (mtkemu_serve) on the
 *    other end, and plugs the device in and out of the test bed.
 * One mutex guards the queues and the session; a condition variable tells
 * the waiting sides that something changed.
 *
 * A session is what a host open is on the pty: it starts when the host
 * claims the data interface and ends when it releases it (or claims it
 * again).  A re-enumeration removes the device from the test bed (uevent
 * "remove") and adds it again with the next address and the product id of
 * what runs now; the old node answers every ioctl with ENODEV, which libusb
 * takes for "device gone". */
#include "emu_usb.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <pthread.h>
#include <linux/ioctl.h> /* before usbdevice_fs.h */
#include <linux/usbdevice_fs.h>

#include "emu_internal.h"

#define DATA_IF 1
#define EP_IN 0x81
#define EP_OUT 0x01
#define REAP_WAIT_MS 20 /* longest a reap waits for a URB to complete (bounds libusb's own timeouts' lateness) */
#define DRAIN_MS 2000   /* a resetting phone gives the host this long to read its last answer */
#define IDLE_MS 100
#define PACKET_GAP_MS 1 /* an IN transfer that ends on a packet boundary waits this long for more */

struct emu_usb {
	UMockdevTestbed *tb;
	struct mtkemu *emu;
	unsigned port, devnum;
	char syspath[160], devnode[64];
	GMutex mu;
	GCond cond;
	GQueue in_q, out_q, done; /* UMockdevIoctlData of URBs (ref held) */
	/* URBs of a node that left the bus, completed with -ESHUTDOWN: libusb
	 * learns of a disconnect from a reaped URB's status here, since the
	 * emulated node never polls POLLERR as a real one does. */
	GQueue dead;
	int host_fd;              /* our end of the session's socketpair; -1: no session */
	bool session_wanted;      /* the host claimed the interface; the model thread starts serving */
	bool present;             /* on the bus as devnode */
	unsigned mps;             /* bulk wMaxPacketSize now: 64 at full speed, 512 at high */
	gint64 in_held_since;     /* the head IN URB holds whole packets and waits for more (0: none) */
	bool start_unplugged;     /* emu_usb_start_unplugged(): the cable goes in at the first replug */
	/* The host connection that claimed the data interface: the kernel
	 * refuses it to any other open of the node (EBUSY) until released. */
	UMockdevIoctlClient *owner;
	/* One handler for every address the device had: a second handler
	 * object would take over umockdev's worker, and a host still talking
	 * to the old node would wait forever instead of reading ENODEV. */
	UMockdevIoctlBase *handler;
	char attached[64][64];    /* the nodes it serves, detached at the end */
	unsigned nattached;
	int wake;                 /* eventfd: the pump's queue or session changed */
	pthread_t pump;
	bool pump_started;
	atomic_bool quit;
};

/* Addresses on the test bed's bus are handed out in turn, as a host
 * controller does, so two phones that re-enumerate never share one. */
static atomic_uint last_addr;
/* One phone's thread plugs while another's unplugs: the test bed is
 * changed by one at a time. */
static GMutex tb_lock;

static unsigned next_address(void)
{
	unsigned a = atomic_fetch_add(&last_addr, 1) + 1;
	return (a - 2) % 126 + 2;
}

static void note_address(unsigned devnum)
{
	unsigned cur = atomic_load(&last_addr);
	while (cur < devnum && !atomic_compare_exchange_weak(&last_addr, &cur, devnum))
		;
}

static void poke(struct emu_usb *u)
{
	uint64_t one = 1;
	ssize_t n = write(u->wake, &one, sizeof one);
	(void)n;
	g_cond_broadcast(&u->cond);
}

static struct usbdevfs_urb *urb_of(UMockdevIoctlData *d)
{
	return (struct usbdevfs_urb *)d->data;
}

static void finish(struct emu_usb *u, UMockdevIoctlData *d, int status)
{
	urb_of(d)->status = status;
	g_queue_push_tail(&u->done, d);
	g_cond_broadcast(&u->cond);
}

static void drop_queue(GQueue *q)
{
	UMockdevIoctlData *d;
	while ((d = g_queue_pop_head(q)))
		g_object_unref(d);
}

/* ---- control requests (endpoint 0) ----------------------------------------------
 * The setup packet is the first 8 bytes of the buffer; actual_length counts
 * the data stage only. */

static void control(struct emu_usb *u, UMockdevIoctlData *d)
{
	struct usbdevfs_urb *urb = urb_of(d);
	uint8_t *b = urb->buffer;
	if (urb->buffer_length < 8) {
		finish(u, d, -EPIPE);
		return;
	}
	uint8_t type = b[0], req = b[1];
	unsigned wlen = (unsigned)(b[6] | b[7] << 8);
	urb->actual_length = 0;
	if (type == 0x21 && (req == 0x20 || req == 0x22)) {
		/* SET_LINE_CODING, SET_CONTROL_LINE_STATE: stored by a real
		 * preloader, used for nothing in download mode (§1.2). */
		urb->actual_length = (int)wlen;
		finish(u, d, 0);
	} else if (type == 0xA1 && req == 0x21 && wlen >= 7 && (unsigned)urb->buffer_length >= 15) {
		/* GET_LINE_CODING: always 921600 8N1. */
		static const uint8_t coding[7] = { 0x00, 0x10, 0x0E, 0x00, 0, 0, 8 };
		memcpy(b + 8, coding, sizeof coding);
		urb->actual_length = sizeof coding;
		finish(u, d, 0);
	} else {
		finish(u, d, -EPIPE); /* STALL */
	}
}

/* ---- the ioctl handler (umockdev's worker thread) --------------------------------- */

static void complete(UMockdevIoctlClient *c, int ret, int err)
{
	umockdev_ioctl_client_complete(c, ret, err);
}

static int arg_int(UMockdevIoctlData *arg)
{
	UMockdevIoctlData *p = umockdev_ioctl_data_resolve(arg, 0, sizeof(int), NULL);
	int v = p ? *(int *)p->data : -1;
	if (p)
		g_object_unref(p);
	return v;
}

static void end_session(struct emu_usb *u)
{
	if (u->host_fd >= 0)
		close(u->host_fd);
	u->host_fd = -1;
	drop_queue(&u->in_q);
	drop_queue(&u->out_q);
	poke(u);
}

static void submit(struct emu_usb *u, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
	UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
	if (!d) {
		complete(c, -1, EFAULT);
		return;
	}
	struct usbdevfs_urb *urb = urb_of(d);
	if (urb->buffer_length < 0) {
		g_object_unref(d);
		complete(c, -1, EINVAL);
		return;
	}
	if (urb->buffer_length > 0) {
		UMockdevIoctlData *buf = umockdev_ioctl_data_resolve(d, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer),
								     (gsize)urb->buffer_length, NULL);
		if (buf)
			g_object_unref(buf);
	}
	urb->actual_length = 0;
	if (urb->type == USBDEVFS_URB_TYPE_CONTROL)
		control(u, d);
	else if (urb->type == USBDEVFS_URB_TYPE_BULK && urb->endpoint == EP_IN)
		g_queue_push_tail(&u->in_q, d);
	else if (urb->type == USBDEVFS_URB_TYPE_BULK && urb->endpoint == EP_OUT && urb->buffer_length == 0)
		finish(u, d, 0); /* a zero-length packet: ends a transfer, carries nothing */
	else if (urb->type == USBDEVFS_URB_TYPE_BULK && urb->endpoint == EP_OUT)
		g_queue_push_tail(&u->out_q, d);
	else
		finish(u, d, -EPIPE);
	poke(u);
	complete(c, 0, 0);
}

static void reap(struct emu_usb *u, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
	/* Waiting here a little, instead of answering EAGAIN at once, keeps
	 * libusb from spinning: its poll() on the emulated node never blocks. */
	gint64 until = g_get_monotonic_time() + REAP_WAIT_MS * 1000;
	while (g_queue_is_empty(&u->done) && !(g_queue_is_empty(&u->in_q) && g_queue_is_empty(&u->out_q)))
		if (!g_cond_wait_until(&u->cond, &u->mu, until))
			break;
	UMockdevIoctlData *d = g_queue_pop_head(&u->done);
	if (!d) {
		complete(c, -1, EAGAIN);
		return;
	}
	UMockdevIoctlData *p = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	umockdev_ioctl_data_set_ptr(p, 0, d);
	complete(c, 0, 0);
	g_object_unref(p);
	g_object_unref(d);
}

static gint by_client_addr(gconstpointer a, gconstpointer b)
{
	return ((const UMockdevIoctlData *)a)->client_addr != (gulong)b;
}

static bool discard_from(struct emu_usb *u, GQueue *q, gulong addr)
{
	GList *l = g_queue_find_custom(q, (gconstpointer)addr, by_client_addr);
	if (!l)
		return false;
	UMockdevIoctlData *d = l->data;
	g_queue_delete_link(q, l);
	finish(u, d, -ENOENT);
	return true;
}

static void discard(struct emu_usb *u, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
	gulong addr = (gulong) * (void **)arg->data;
	bool found = discard_from(u, &u->in_q, addr) || discard_from(u, &u->out_q, addr);
	complete(c, found ? 0 : -1, found ? 0 : EINVAL);
}

static void claim(struct emu_usb *u, UMockdevIoctlClient *c, int iface)
{
	if (iface == DATA_IF && u->owner && u->owner != c) {
		complete(c, -1, EBUSY);
		return;
	}
	if (iface == DATA_IF) {
		u->owner = c;
		end_session(u); /* a host that claims again starts afresh, as a reopened tty does */
		u->session_wanted = true;
		g_cond_broadcast(&u->cond);
	}
	complete(c, 0, 0);
}

static void handle(struct emu_usb *u, UMockdevIoctlClient *c, unsigned long req, UMockdevIoctlData *arg)
{
	switch (req) {
	case USBDEVFS_GET_CAPABILITIES: {
		/* Scatter-gather: else libusb cuts bulk transfers into 16 KiB URBs. */
		UMockdevIoctlData *p = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
		*(guint32 *)p->data = USBDEVFS_CAP_BULK_SCATTER_GATHER | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
				      USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_ZERO_PACKET;
		g_object_unref(p);
		complete(c, 0, 0);
		return;
	}
	case USBDEVFS_SUBMITURB: submit(u, c, arg); return;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY: reap(u, c, arg); return;
	case USBDEVFS_DISCARDURB: discard(u, c, arg); return;
	case USBDEVFS_CLAIMINTERFACE: claim(u, c, arg_int(arg)); return;
	case USBDEVFS_DISCONNECT_CLAIM: claim(u, c, arg_int(arg)); return;
	case USBDEVFS_RELEASEINTERFACE:
		if (arg_int(arg) == DATA_IF && u->owner == c) {
			u->owner = NULL;
			u->session_wanted = false;
			end_session(u);
		}
		complete(c, 0, 0);
		return;
	case USBDEVFS_GETDRIVER:
	case USBDEVFS_IOCTL: complete(c, -1, ENODATA); return; /* no kernel driver bound */
	default: complete(c, 0, 0); return; /* SETINTERFACE, SETCONFIGURATION, CLEAR_HALT, RESET… */
	}
}

/* The node left the bus: its URBs still come back (as failed), then ENODEV. */
static void gone_ioctl(struct emu_usb *u, UMockdevIoctlClient *c, unsigned long req, UMockdevIoctlData *arg)
{
	UMockdevIoctlData *d = NULL;
	if ((req == USBDEVFS_REAPURB || req == USBDEVFS_REAPURBNDELAY) && (d = g_queue_pop_head(&u->dead))) {
		UMockdevIoctlData *p = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
		umockdev_ioctl_data_set_ptr(p, 0, d);
		complete(c, 0, 0);
		g_object_unref(p);
		g_object_unref(d);
		return;
	}
	complete(c, -1, ENODEV);
}

/* A host that exits (or is killed) without releasing: the kernel releases
 * its interfaces when the node's file is closed. */
static void on_vanished(UMockdevIoctlBase *h, UMockdevIoctlClient *c, gpointer user)
{
	struct emu_usb *u = user;
	(void)h;
	g_mutex_lock(&u->mu);
	if (u->owner == c) {
		u->owner = NULL;
		u->session_wanted = false;
		end_session(u);
	}
	g_mutex_unlock(&u->mu);
}

static gboolean on_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *c, gpointer user)
{
	struct emu_usb *u = user;
	(void)h;
	g_mutex_lock(&u->mu);
	unsigned long req = umockdev_ioctl_client_get_request(c);
	if (!u->present || strcmp(umockdev_ioctl_client_get_devnode(c), u->devnode) != 0)
		gone_ioctl(u, c, req, umockdev_ioctl_client_get_arg(c));
	else
		handle(u, c, req, umockdev_ioctl_client_get_arg(c));
	g_mutex_unlock(&u->mu);
	return TRUE;
}

/* ---- the pump ------------------------------------------------------------------------ */

/* Under the mutex: moves what the socket allows. */
static void pump_out(struct emu_usb *u)
{
	UMockdevIoctlData *d;
	while (u->host_fd >= 0 && (d = g_queue_peek_head(&u->out_q))) {
		struct usbdevfs_urb *urb = urb_of(d);
		ssize_t n = send(u->host_fd, (uint8_t *)urb->buffer + urb->actual_length,
				 (size_t)(urb->buffer_length - urb->actual_length), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			return;
		urb->actual_length += (int)n;
		if (urb->actual_length == urb->buffer_length)
			finish(u, g_queue_pop_head(&u->out_q), 0);
	}
}

/* An IN transfer ends as on the wire: when its buffer is full or a short
 * packet (not a multiple of wMaxPacketSize) arrives.  A device that goes
 * quiet on a packet boundary gets PACKET_GAP_MS before the host sees what
 * came (a real one would send a zero-length packet or go on): so a 1 MiB
 * read is one URB, not one per socket buffer. */
static void pump_in(struct emu_usb *u)
{
	UMockdevIoctlData *d;
	while (u->host_fd >= 0 && (d = g_queue_peek_head(&u->in_q))) {
		struct usbdevfs_urb *urb = urb_of(d);
		ssize_t n = recv(u->host_fd, (uint8_t *)urb->buffer + urb->actual_length,
				 (size_t)(urb->buffer_length - urb->actual_length), MSG_DONTWAIT);
		if (n <= 0) {
			if (urb->actual_length > 0 && g_get_monotonic_time() - u->in_held_since >= PACKET_GAP_MS * 1000)
				break;
			return;
		}
		urb->actual_length += (int)n;
		u->in_held_since = g_get_monotonic_time();
		if (urb->actual_length == urb->buffer_length || urb->actual_length % (int)u->mps)
			break;
	}
	if (u->host_fd >= 0 && (d = g_queue_peek_head(&u->in_q)) && urb_of(d)->actual_length > 0) {
		u->in_held_since = 0;
		finish(u, g_queue_pop_head(&u->in_q), 0);
		pump_in(u); /* the next URB may have its bytes there already */
	}
}

/* Bytes held in an IN URB that the host has not seen yet. */
static bool in_held(struct emu_usb *u)
{
	UMockdevIoctlData *d = g_queue_peek_head(&u->in_q);
	return d && urb_of(d)->actual_length > 0;
}

static void *pump_main(void *arg)
{
	struct emu_usb *u = arg;
	while (!atomic_load(&u->quit)) {
		g_mutex_lock(&u->mu);
		struct pollfd p[2] = { { .fd = u->wake, .events = POLLIN }, { .fd = u->host_fd, .events = 0 } };
		if (!g_queue_is_empty(&u->in_q))
			p[1].events |= POLLIN;
		if (!g_queue_is_empty(&u->out_q))
			p[1].events |= POLLOUT;
		if (!p[1].events)
			p[1].fd = -1;
		int wait = in_held(u) ? PACKET_GAP_MS : IDLE_MS;
		g_mutex_unlock(&u->mu);
		poll(p, 2, wait);
		uint64_t junk;
		if (p[0].revents & POLLIN) {
			ssize_t n = read(u->wake, &junk, sizeof junk);
			(void)n;
		}
		g_mutex_lock(&u->mu);
		pump_out(u);
		pump_in(u);
		g_mutex_unlock(&u->mu);
	}
	return NULL;
}

/* ---- plugging in and out ---------------------------------------------------------- */

/* What the phone presents now: the BootROM 0E8D:0003 at full speed, a
 * preloader 0E8D:2000, a DA after its speed switch 0E8D:2001 (§1.1). */
static void identity(struct mtkemu *e, uint16_t *pid, bool *high)
{
	enum emu_mode mode = e->mode;
	bool hs = e->high_speed;
	/* A replug not taken yet boots the phone at the next session. */
	if (e->run == EMU_RUN_BOOT || atomic_load(&e->plug_event) != EMU_PLUG_NONE) {
		if (!e->mode_forced)
			mode = e->usbdl_flag ? EMU_MODE_BROM : emu_boot_decide_mode(e);
		hs = mode == EMU_MODE_PRELOADER;
	}
	if (e->run == EMU_RUN_DA1 || e->run == EMU_RUN_DA2)
		*pid = hs ? 0x2001 : 0x0003;
	else
		*pid = mode == EMU_MODE_BROM ? 0x0003 : 0x2000;
	*high = hs;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* The kernel's binary "descriptors" attribute: device descriptor, then the
 * configuration with a CDC Communication interface (0) and the CDC Data
 * interface (1), as a preloader presents them (§1.2). */
static size_t descriptors(uint8_t *d, uint16_t pid, bool high)
{
	uint8_t mps_lo = high ? 0x00 : 0x40, mps_hi = high ? 0x02 : 0x00;
	const uint8_t dev[18] = { 18, 1, 0x00, 0x02, 0x02, 0, 0, 64, 0x8d, 0x0e, (uint8_t)pid, (uint8_t)(pid >> 8),
				  0x00, 0x01, 0, 0, 0, 1 };
	const uint8_t cfg[] = {
		9, 2, 67, 0, 2, 1, 0, 0x80, 0xfa,               /* configuration, 67 bytes, 2 interfaces */
		9, 4, 0, 0, 1, 0x02, 0x02, 0x01, 0,             /* interface 0: CDC Communication (ACM) */
		5, 0x24, 0x00, 0x10, 0x01,                      /* CDC header */
		4, 0x24, 0x02, 0x02,                            /* ACM */
		5, 0x24, 0x06, 0, 1,                            /* union: 0 controls 1 */
		5, 0x24, 0x01, 0x00, 1,                         /* call management */
		7, 5, 0x83, 3, 64, 0, 0x10,                     /* interrupt IN 0x83 */
		9, 4, DATA_IF, 0, 2, 0x0a, 0, 0, 0,             /* interface 1: CDC Data */
		7, 5, EP_IN, 2, mps_lo, mps_hi, 0,              /* bulk IN */
		7, 5, EP_OUT, 2, mps_lo, mps_hi, 0,             /* bulk OUT */
	};
	memcpy(d, dev, sizeof dev);
	memcpy(d + sizeof dev, cfg, sizeof cfg);
	return sizeof dev + sizeof cfg;
}

/* The handler first (umockdev issue 173): the device must never be
 * visible without it. */
static int add_to_testbed(struct emu_usb *u, uint16_t pid, bool high, GError **gerr)
{
	uint8_t desc[128];
	char hexd[260];
	hex(hexd, desc, descriptors(desc, pid, high));
	if (!umockdev_testbed_attach_ioctl(u->tb, u->devnode, u->handler, gerr))
		return -1;
	char text[2048];
	snprintf(text, sizeof text,
		 "P: %s\nN: bus/usb/001/%03u\n"
		 "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: BUSNUM=001\nE: DEVNUM=%03u\n"
		 "E: DEVNAME=%s\nE: ID_VENDOR_ID=0e8d\nE: ID_MODEL_ID=%04x\n"
		 "A: idVendor=0e8d\\n\nA: idProduct=%04x\\n\nA: busnum=1\\n\nA: devnum=%u\\n\nA: devpath=%u\\n\n"
		 "A: bDeviceClass=02\\n\nA: bNumInterfaces= 2\\n\nA: bConfigurationValue=1\\n\n"
		 "A: speed=%s\\n\nH: descriptors=%s\n",
		 u->syspath, u->devnum, u->devnum, u->devnode, pid, pid, u->devnum, u->port, high ? "480" : "12",
		 hexd);
	return umockdev_testbed_add_from_string(u->tb, text, gerr) ? 0 : -1;
}

static int plug(struct emu_usb *u, char *err, size_t errlen)
{
	uint16_t pid;
	bool high;
	emu_plugged_in(u->emu);
	identity(u->emu, &pid, &high);
	u->mps = high ? 512 : 64;
	snprintf(u->devnode, sizeof u->devnode, "/dev/bus/usb/001/%03u", u->devnum);
	if (u->nattached == sizeof u->attached / sizeof u->attached[0]) {
		snprintf(err, errlen, "too many re-enumerations");
		return -1;
	}
	g_mutex_lock(&u->mu);
	u->present = true;
	g_mutex_unlock(&u->mu);
	snprintf(u->attached[u->nattached++], sizeof u->attached[0], "%s", u->devnode);
	GError *gerr = NULL;
	g_mutex_lock(&tb_lock);
	int rc = add_to_testbed(u, pid, high, &gerr);
	g_mutex_unlock(&tb_lock);
	if (rc < 0) {
		snprintf(err, errlen, "umockdev: %s", gerr ? gerr->message : "cannot add the device");
		g_clear_error(&gerr);
	}
	return rc;
}

static void kill_queue(struct emu_usb *u, GQueue *q)
{
	UMockdevIoctlData *d;
	/* Completed ones go back as they are; those in flight fail. */
	while ((d = g_queue_pop_head(q))) {
		if (q != &u->done)
			urb_of(d)->status = -ESHUTDOWN;
		g_queue_push_tail(&u->dead, d);
	}
}

/* Off the bus: the old node hands back its URBs, then answers ENODEV. */
static void unplug(struct emu_usb *u)
{
	g_mutex_lock(&u->mu);
	u->present = false;
	u->session_wanted = false;
	u->owner = NULL;
	drop_queue(&u->dead);
	kill_queue(u, &u->done);
	kill_queue(u, &u->in_q);
	kill_queue(u, &u->out_q);
	end_session(u);
	g_mutex_unlock(&u->mu);
	char sys[200];
	snprintf(sys, sizeof sys, "/sys%s", u->syspath);
	g_mutex_lock(&tb_lock);
	umockdev_testbed_uevent(u->tb, sys, "remove");
	umockdev_testbed_remove_device(u->tb, sys);
	g_mutex_unlock(&tb_lock);
	u->devnum = next_address();
}

struct emu_usb *emu_usb_new(UMockdevTestbed *tb, struct mtkemu *emu, unsigned port, unsigned devnum, char *err,
			    size_t errlen)
{
	if (port < 1 || port > 15 || devnum < 2 || devnum > 127) {
		snprintf(err, errlen, "USB port 1..15 and address 2..127, not %u and %u", port, devnum);
		return NULL;
	}
	struct emu_usb *u = calloc(1, sizeof *u);
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->tb = tb;
	u->emu = emu;
	u->port = port;
	u->devnum = devnum;
	note_address(devnum);
	u->host_fd = -1;
	u->wake = -1;
	snprintf(u->syspath, sizeof u->syspath, "/devices/pci0000:00/0000:00:14.0/usb1/1-%u", port);
	g_mutex_init(&u->mu);
	g_cond_init(&u->cond);
	u->handler = umockdev_ioctl_base_new();
	g_signal_connect(u->handler, "handle-ioctl", G_CALLBACK(on_ioctl), u);
	g_signal_connect(u->handler, "client-vanished", G_CALLBACK(on_vanished), u);
	u->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->wake < 0 || pthread_create(&u->pump, NULL, pump_main, u) != 0) {
		snprintf(err, errlen, "cannot start the USB pump: %s", strerror(errno));
		emu_usb_free(u);
		return NULL;
	}
	u->pump_started = true;
	return u;
}

unsigned emu_usb_devnum(const struct emu_usb *u)
{
	return u->devnum;
}

/* ---- serving ------------------------------------------------------------------------- */

/* 1 when the host claimed the interface, 0 on stop, 2 on a replug, 3 when
 * the preloader's listen window closed before any host came. */
static int wait_session(struct emu_usb *u, const atomic_bool *stop, atomic_bool *replug)
{
	g_mutex_lock(&u->mu);
	int rc = 0;
	while (!atomic_load(stop)) {
		if (replug && atomic_exchange(replug, false)) {
			rc = 2;
			break;
		}
		if (u->session_wanted) {
			rc = 1;
			break;
		}
		long long left = emu_brom_listen_left(u->emu), wait = IDLE_MS;
		if (left == 0) {
			rc = 3;
			break;
		}
		if (left > 0 && left < wait)
			wait = left;
		g_cond_wait_until(&u->cond, &u->mu, g_get_monotonic_time() + wait * 1000);
	}
	g_mutex_unlock(&u->mu);
	return rc;
}

/* A phone that resets has just sent its last answer: wait (bounded) until
 * the host has read it before the device leaves the bus. */
static void drain_host(struct emu_usb *u, int model_fd)
{
	gint64 until = g_get_monotonic_time() + DRAIN_MS * 1000;
	g_mutex_lock(&u->mu);
	for (;;) {
		int queued = 0;
		int out = 0; /* bytes on their way from the model's end */
		bool sent = u->host_fd < 0 || ioctl(u->host_fd, FIONREAD, &queued) < 0 || queued == 0;
		sent = sent && (ioctl(model_fd, TIOCOUTQ, &out) < 0 || out == 0);
		/* ... and reaped: a completed URB dies with the node otherwise. */
		if (sent && g_queue_is_empty(&u->done) && !in_held(u))
			break;
		if (!g_cond_wait_until(&u->cond, &u->mu, until))
			break;
	}
	g_mutex_unlock(&u->mu);
}

/* One session: the model serves our socketpair until it ends. */
static int serve_session(struct emu_usb *u)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	g_mutex_lock(&u->mu);
	u->session_wanted = false;
	u->host_fd = sv[0];
	poke(u);
	g_mutex_unlock(&u->mu);
	int rc = mtkemu_serve(u->emu, sv[1]);
	if (rc == MTKEMU_END_REENUMERATE)
		drain_host(u, sv[1]);
	g_mutex_lock(&u->mu);
	/* URBs in flight stay queued: the device leaves the bus next (they
	 * fail then) or the host already released it (none left). */
	if (u->host_fd == sv[0]) {
		close(u->host_fd);
		u->host_fd = -1;
	}
	g_mutex_unlock(&u->mu);
	close(sv[1]);
	return rc;
}

static int replug_now(struct emu_usb *u, emu_usb_say_fn say, void *ctx)
{
	char err[256];
	unplug(u);
	if (plug(u, err, sizeof err) < 0) {
		fprintf(stderr, "mtkemu: %s\n", err);
		return -1;
	}
	say("ready", ctx);
	return 0;
}

/* Off the bus until a replug (or stop): 1 plugged in again, 0 stop, -1. */
static int wait_plug_in(struct emu_usb *u, const atomic_bool *stop, atomic_bool *replug, emu_usb_say_fn say,
			void *ctx)
{
	while (!atomic_load(stop) && !(replug && atomic_exchange(replug, false)))
		poll(NULL, 0, IDLE_MS);
	if (atomic_load(stop))
		return 0;
	char err[256];
	if (plug(u, err, sizeof err) < 0) {
		fprintf(stderr, "mtkemu: %s\n", err);
		return -1;
	}
	say("ready", ctx);
	return 1;
}

static int stay_gone(struct emu_usb *u, const atomic_bool *stop, atomic_bool *replug, emu_usb_say_fn say,
		     void *ctx)
{
	unplug(u);
	say("gone", ctx);
	return wait_plug_in(u, stop, replug, say, ctx);
}

void emu_usb_start_unplugged(struct emu_usb *u)
{
	u->start_unplugged = true;
}

int emu_usb_run(struct emu_usb *u, const atomic_bool *stop, atomic_bool *replug, emu_usb_say_fn say, void *ctx)
{
	char err[256];
	if (u->start_unplugged) {
		say("unplugged", ctx);
		int p = wait_plug_in(u, stop, replug, say, ctx);
		if (p <= 0)
			return p;
	} else if (plug(u, err, sizeof err) < 0) {
		fprintf(stderr, "mtkemu: %s\n", err);
		return -1;
	} else {
		say("ready", ctx);
	}
	for (;;) {
		int w = wait_session(u, stop, replug);
		if (w == 0)
			break;
		if (w == 2) {
			if (replug_now(u, say, ctx) < 0)
				return -1;
			continue;
		}
		if (w == 3) {
			emu_brom_listen_expired(u->emu);
			int g = stay_gone(u, stop, replug, say, ctx);
			if (g <= 0)
				return g;
			continue;
		}
		int rc = serve_session(u);
		if (rc < 0 || atomic_load(stop))
			break;
		if (rc == MTKEMU_END_REENUMERATE || rc == MTKEMU_END_FAULT) {
			if (replug)
				atomic_store(replug, false); /* the serve took the plug event itself */
			if (replug_now(u, say, ctx) < 0)
				return -1;
		} else if (rc == MTKEMU_END_GONE) {
			int g = stay_gone(u, stop, replug, say, ctx);
			if (g <= 0)
				return g;
		}
	}
	return 0;
}

void emu_usb_free(struct emu_usb *u)
{
	if (!u)
		return;
	if (u->pump_started) {
		atomic_store(&u->quit, true);
		poke(u);
		pthread_join(u->pump, NULL);
	}
	g_mutex_lock(&u->mu);
	u->present = false;
	end_session(u);
	drop_queue(&u->done);
	drop_queue(&u->dead);
	g_mutex_unlock(&u->mu);
	/* The test bed must not call a handler whose state is gone: no new
	 * call after the disconnect, and one its thread was already running
	 * (it may hold the lock: GLib aborts clearing a locked mutex) is waited
	 * for below. */
	if (u->handler)
		g_signal_handlers_disconnect_by_data(u->handler, u);
	for (unsigned i = 0; i < u->nattached; i++)
		umockdev_testbed_detach_ioctl(u->tb, u->attached[i], NULL);
	if (u->handler)
		g_object_unref(u->handler);
	if (u->wake >= 0)
		close(u->wake);
	g_mutex_lock(&u->mu);
	g_mutex_unlock(&u->mu);
	g_mutex_clear(&u->mu);
	g_cond_clear(&u->cond);
	free(u);
}
