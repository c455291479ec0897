/* SPDX-License-Identifier: MIT */
/* The parsers behind `mtkflash doctor` (lib/transport/doctor_parse.c): group
 * members in every position, udev rules continued over lines, commented out
 * or in either case, udev database lines and module file names; files that
 * end without a newline, empty fields and lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "transport/doctor_priv.h"

static bool group(const char *text, const char *user)
{
	return mtk_group_has_member((const uint8_t *)text, strlen(text), "dialout", user);
}

static void test_group_members(void **state)
{
	(void)state;
	const char *etc = "root:x:0:\nuucp:x:10:nobody\ndialout:x:20:alice,nobody,bob\nplugdev:x:46:carol\n";
	assert_true(group(etc, "alice"));
	assert_true(group(etc, "nobody"));
	assert_true(group(etc, "bob"));
	assert_false(group(etc, "carol"));  /* another group's member */
	assert_false(group(etc, "nobod"));  /* a prefix is not a member */
	assert_false(group(etc, "dialout")); /* nor the group's own name */
	assert_true(group("dialout:x:20:bob", "bob")); /* no final newline */
	assert_false(group("dialout:x:20:", "bob"));
	assert_false(group("dialout:x:20", "20")); /* three fields: no member list */
	assert_false(group("dialout", "dialout"));
	assert_true(group("dialout:x:20:a,,b", "b"));
	assert_true(group("\n\ndialout:x:20:,bob,\n", "bob"));
	assert_false(group("", "bob"));
	assert_false(group("xdialout:x:20:bob\n", "bob"));
}

static bool ignored(const char *text, uint16_t vid)
{
	return mtk_udev_rules_ignore_mm((const uint8_t *)text, strlen(text), vid);
}

static void test_udev_rules(void **state)
{
	(void)state;
	const char *one = "ATTRS{idVendor}==\"0e8d\", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n";
	assert_true(ignored(one, 0x0e8d));
	assert_false(ignored(one, 0x1004));
	assert_true(ignored("ATTRS{idVendor}==\"0E8D\", env{id_mm_device_ignore}=\"1\"", 0x0e8d));
	assert_false(ignored("# ATTRS{idVendor}==\"0e8d\", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n", 0x0e8d));
	assert_false(ignored("  \t# ATTRS{idVendor}==\"0e8d\", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n", 0x0e8d));
	/* a rule continued with a backslash is one rule; two rules are not */
	assert_true(ignored("ATTRS{idVendor}==\"0e8d\", \\\nENV{ID_MM_DEVICE_IGNORE}=\"1\"\n", 0x0e8d));
	assert_true(ignored("SUBSYSTEM==\"usb\", \\\n  ATTRS{idVendor}==\"0e8d\", \\\nENV{ID_MM_DEVICE_IGNORE}=\"1\"", 0x0e8d));
	assert_false(ignored("ATTRS{idVendor}==\"0e8d\"\nENV{ID_MM_DEVICE_IGNORE}=\"1\"\n", 0x0e8d));
	assert_false(ignored("ATTRS{idVendor}==\"0e8d\", ENV{ID_MM_DEVICE_IGNORE}=\"0\"\n", 0x0e8d));
	assert_false(ignored("\\\n\\", 0x0e8d));
	assert_false(ignored("", 0x0e8d));
}

static void test_text_lines(void **state)
{
	(void)state;
	const char *db = "I:123\nE:ID_MM_DEVICE_IGNORE=1\nE:ID_VENDOR=x";
	assert_true(mtk_text_has_line((const uint8_t *)db, strlen(db), "E:ID_MM_DEVICE_IGNORE=1"));
	assert_true(mtk_text_has_line((const uint8_t *)db, strlen(db), "E:ID_VENDOR=x"));
	assert_false(mtk_text_has_line((const uint8_t *)db, strlen(db), "E:ID_VENDOR"));
	assert_false(mtk_text_has_line((const uint8_t *)db, strlen(db), "I:12"));
	assert_false(mtk_text_has_line((const uint8_t *)"", 0, ""));
}

static bool module(const char *text)
{
	return mtk_modules_list_has((const uint8_t *)text, strlen(text), "cdc_acm");
}

static void test_modules(void **state)
{
	(void)state;
	assert_true(module("kernel/drivers/usb/class/cdc-acm.ko.zst: kernel/drivers/usb/core/usbcore.ko\n"));
	assert_true(module("kernel/net/x.ko\nkernel/drivers/usb/class/cdc_acm.ko"));
	assert_true(module("cdc-acm.ko.xz:"));
	assert_false(module("kernel/drivers/usb/class/cdc-acm.ko.bz2\n"));
	assert_false(module("kernel/drivers/usb/class/cdc-acmx.ko\n"));
	/* only the line's first field names the module, not what it needs */
	assert_false(module("kernel/drivers/net/usb/x.ko: kernel/drivers/usb/class/cdc-acm.ko\n"));
	assert_false(module(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_members),
		cmocka_unit_test(test_udev_rules),
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_modules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
