/* SPDX-License-Identifier: MIT */
#include "emu_glue.h"

#include "mtkflash/core.h"

#ifdef MTKGUI_WITH_EMU
#include "mtkemu_port.h"
#endif

int gui_emu_register(void)
{
#ifdef MTKGUI_WITH_EMU
	return mtkemu_port_register();
#else
	return MTK_E_UNSUPPORTED;
#endif
}
