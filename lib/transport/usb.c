/* SPDX-License-Identifier: MIT */
/* USB through libusb.  The only file that may include <libusb.h>.
 *
 * Not yet implemented: the libusb backend (claim, bulk endpoints, CDC line
 * setup, hotplug wait) arrives with its own issue and umockdev tests.  Until
 * then the spec is parsed and refused with a way forward. */
#include "transport/transport_priv.h"

#include "core/ctx.h"

int mtk_usb_open(mtk_ctx *ctx, const char *args, int wait_ms, struct mtk_transport **out)
{
	(void)wait_ms;
	(void)out;
	return mtk_fail(ctx, MTK_E_UNSUPPORTED,
			"the USB backend%s%s is not available in this build yet; connect through the phone's "
			"CDC-ACM tty instead (--port serial:/dev/ttyACM0), or use --port emu:CHIP",
			*args ? " " : "", args);
}
