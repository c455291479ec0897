/* SPDX-License-Identifier: MIT */
/* Safe output files: public (mtkflash/util.h), so that every writer, in the
 * library or in a program built on it, follows one rule. */
#ifndef MTK_CORE_OUTFILE_H
#define MTK_CORE_OUTFILE_H

#include "core/ctx.h"
#include "mtkflash/util.h"

#endif
