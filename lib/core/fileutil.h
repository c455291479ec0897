/* SPDX-License-Identifier: MIT */
/* Path and small-file helpers: public (mtkflash/util.h), since programs built
 * on the library read and write files by the same rules.  Kept so library
 * and emulator code can name the area it uses. */
#ifndef MTK_CORE_FILEUTIL_H
#define MTK_CORE_FILEUTIL_H

#include "core/ctx.h"
#include "mtkflash/util.h"

#endif
