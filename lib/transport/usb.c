/* SPDX-License-Identifier: MIT */
/* USB through libusb.  The only file that may include <libusb.h>.
 *
 * Not yet implemented: the libusb backend (claim, bulk endpoints, CDC line
 * setup, hotplug wait) arrives with its own issue and umockdev tests.  Until
 * then a USB device is reached through the tty that cdc_acm gives it: sysfs
 * maps BUS:ADDR to that tty (discover.c). */
#include "transport/transport_priv.h"

#include <string.h>

#include "core/ctx.h"

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
	return mtk_auto_open(ctx, &f, wait_ms, out);
}
