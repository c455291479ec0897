/* SPDX-License-Identifier: MIT */
/* Which other process has a port open: for "port busy" messages (serial.c)
 * and for `mtkflash doctor` (doctor.c). */
#ifndef MTK_TRANSPORT_HOLDERS_H
#define MTK_TRANSPORT_HOLDERS_H

#include <stddef.h>
#include <sys/types.h>

/* The first process below `procroot` ("/proc", or a planted tree's), other
 * than `self`, with an open fd whose link reads `devpath` (may be NULL) or
 * that is the character device `rdev` (0: not compared).  Its name (from
 * comm) goes to `comm` when non-NULL.  0 when none is found or /proc cannot
 * be read: best effort, a process may come and go while we look. */
long mtk_find_holder(const char *procroot, const char *devpath, dev_t rdev, long self, char *comm, size_t cap);

#endif
