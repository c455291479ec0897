/* SPDX-License-Identifier: MIT */
/* The text parsers behind `mtkflash doctor` (doctor_parse.c): no I/O, so
 * each can be fuzzed alone (tests/fuzz/fuzz_doctor_parse.c).  Inputs are
 * whole files as the system or a planted tree gives them, hostile or not. */
#ifndef MTK_DOCTOR_PRIV_H
#define MTK_DOCTOR_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /etc/group: does the line of `group` list `user` among its members? */
bool mtk_group_has_member(const uint8_t *buf, size_t len, const char *group, const char *user);

/* A udev rules file: does one rule match idVendor `vid` and set
 * ENV{ID_MM_DEVICE_IGNORE}="1"?  Comment lines are skipped; a rule
 * continued with a backslash counts as one line. */
bool mtk_udev_rules_ignore_mm(const uint8_t *buf, size_t len, uint16_t vid);

/* A udev database entry (/run/udev/data/c189:N): is `line` one of its lines? */
bool mtk_text_has_line(const uint8_t *buf, size_t len, const char *line);

/* modules.builtin or modules.dep: does a line name the module `name`
 * ("cdc_acm": the file is cdc-acm.ko, maybe .xz/.zst/.gz compressed)? */
bool mtk_modules_list_has(const uint8_t *buf, size_t len, const char *name);

#endif
