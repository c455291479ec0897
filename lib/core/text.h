/* SPDX-License-Identifier: MIT */
/* Untrusted text: one validator, one escaper, one size parser, public
 * (mtkflash/util.h) since the CLI and the emulator apply the same rules. */
#ifndef MTK_CORE_TEXT_H
#define MTK_CORE_TEXT_H

#include "core/ctx.h"
#include "mtkflash/util.h"

#endif
