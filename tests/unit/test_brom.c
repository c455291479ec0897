/* SPDX-License-Identifier: MIT */
/* lib/brom data: status names, target-config flags, the chip table; and the
 * XOR-16 checksum SEND_DA relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/checksum.h"
#include "mtkflash/brom.h"
#include "mtkflash/chips.h"
#include "mtkflash/status.h"

/* ---- status names ------------------------------------------------------- */

static void test_status_names(void **state)
{
	(void)state;
	static const struct {
		uint16_t code;
		const char *name;
	} known[] = {
		/* SP Flash Tool's BROM-DLL numbers, named as its header names them */
		{ 0x0000, "S_DONE" },
		{ 0x03E8, "S_STOP" },
		{ 0x07F2, "S_BROM_CMD_SEND_DA_CHKSUM_DIFF" },
		{ 0x178F, "S_SECURITY_GET_ME_ID_FAIL" },
		/* mtkclient's table is shifted by +0x40 from 6064 on (anchors.md §2.4) */
		{ 0x17B0, "S_SECURITY_SECURE_USB_DL_IMAGE_INFO_CHECK_CMD_SIGNATURE_LENGTH_TOO_LARGE" },
		{ 0x17BB, "S_SECURITY_SEC_CFG_IMAGE_CANNOT_ROLL_BACK_SW_LOAD" },
		{ 0x17F0, "S_SECURITY_AC_REGION_NOT_FOUND_IN_SECROIMG" },
		{ 0x2711, "S_PL_MODE_UNSUPPORTED" },
		/* the BootROM's own */
		{ 0x1D02, "INVALID_ADDRESS" },
		{ 0x1D0C, "NO_AUTH_NEEDED" },
		{ 0x1D0D, "SLA_ERROR" },
		{ 0x1D13, "DA_LEN_IS_ZERO" },
		{ 0x1D15, "DA_SIG_LEN_IS_ZERO_AND_DAA_ACTIVE" },
		{ 0x1D21, "DA_VERSION_NOT_SUPPORTED" },
		{ 0x2001, "DA_IMAGE_SIG_VERIFY_FAIL" },
		{ 0x5A5B, "DA_IN_BLACKLIST" },
		{ 0x7024, "DAA_SIG_VERIFY_FAILED" },
		{ 0xA005, "OTP_WRITE_FAIL" },
		{ 0xFFFF, "PL_ADDR_NOT_ALIGNED" },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		const char *n = mtk_brom_status_name(known[i].code);
		assert_non_null(n);
		assert_string_equal(n, known[i].name);
	}
	/* Gaps in the table stay unnamed, the shifted copies of mtkclient's included. */
	assert_null(mtk_brom_status_name(0x0001));
	assert_null(mtk_brom_status_name(0x1D03));
	assert_null(mtk_brom_status_name(0x1D18));
	assert_null(mtk_brom_status_name(0x17F1));
	assert_null(mtk_brom_status_name(0x1830));
	assert_null(mtk_brom_status_name(0xFFFC));
}

/* Every 16-bit code of the BROM-DLL and BootROM tables is named. */
static void test_status_table_complete(void **state)
{
	(void)state;
	size_t named = 0;
	for (size_t i = 0; i < mtk_status_count(); i++) {
		const struct mtk_status *e = mtk_status_at(i);
		if (e->value < 0 || e->value > 0xFFFF)
			continue;
		if (strcmp(e->table, "brom") != 0 && strcmp(e->table, "spft5") != 0)
			continue;
		const char *n = mtk_brom_status_name((uint16_t)e->value);
		assert_non_null(n);
		named++;
	}
	/* 561 S_* (S_DONE included), STATUS_OK, and the BootROM's own 104 */
	assert_int_equal(named, 561 + 1 + 104);
}

static void test_status_security_and_hints(void **state)
{
	(void)state;
	assert_true(mtk_brom_status_is_security(0x1D0D));
	assert_true(mtk_brom_status_is_security(0x1D15));
	assert_true(mtk_brom_status_is_security(0x2001));
	assert_true(mtk_brom_status_is_security(0x7024));
	assert_true(mtk_brom_status_is_security(0x6005));
	assert_false(mtk_brom_status_is_security(0x0000));
	assert_false(mtk_brom_status_is_security(0x1D13));
	assert_false(mtk_brom_status_is_security(0x1D02));
	assert_non_null(strstr(mtk_brom_status_hint(0x1D0D), "serial link authentication"));
	assert_non_null(strstr(mtk_brom_status_hint(0x1D15), "signed"));
	assert_null(mtk_brom_status_hint(0x1D13));
}

/* ---- target config ------------------------------------------------------ */

static uint32_t decode(uint32_t cfg, const char **names, size_t cap, size_t *count)
{
	uint32_t seen = 0;
	*count = 0;
	for (const struct mtk_tgt_flag_info *f = mtk_tgt_flags; f->name; f++) {
		if (!(cfg & f->mask))
			continue;
		seen |= f->mask;
		if (*count < cap)
			names[(*count)++] = f->name;
	}
	return seen;
}

static void test_target_config_flags_table(void **state)
{
	(void)state;
	uint32_t all = 0;
	size_t n = 0;
	for (const struct mtk_tgt_flag_info *f = mtk_tgt_flags; f->name; f++, n++) {
		assert_int_equal(f->mask & (f->mask - 1), 0); /* one bit each */
		assert_int_equal(all & f->mask, 0);           /* no bit twice */
		all |= f->mask;
		assert_non_null(f->meaning);
		assert_true(strlen(f->meaning) > 20);
	}
	assert_int_equal(n, 9);
	assert_int_equal(all, 0x1FF);
	for (const struct mtk_tgt_flag_info *f = mtk_tgt_flags; f->name; f++)
		if (f->mask == MTK_TGT_DAA)
			assert_non_null(strstr(f->meaning, "Download Agent must be signed"));
}

static void test_target_config_decoding(void **state)
{
	(void)state;
	const char *names[16];
	size_t n;
	/* 0x5: SBC + DAA, seen on a MT6765 phone. */
	assert_int_equal(decode(0x5, names, 16, &n), 0x5);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "SBC");
	assert_string_equal(names[1], "DAA");
	/* 0xE5 (MT8167): SBC, DAA, memory read/write auth, C8 blocked. */
	assert_int_equal(decode(0xE5, names, 16, &n), 0xE5);
	assert_int_equal(n, 5);
	assert_string_equal(names[2], "MEM_READ_AUTH");
	assert_string_equal(names[3], "MEM_WRITE_AUTH");
	assert_string_equal(names[4], "CMD_C8_BLOCKED");
	assert_int_equal(decode(0, names, 16, &n), 0);
	assert_int_equal(n, 0);
	/* Bits beyond the table are not claimed by any flag. */
	assert_int_equal(decode(0x80000200, names, 16, &n), 0);
}

/* ---- chip table --------------------------------------------------------- */

static void test_chip_table_required_names(void **state)
{
	(void)state;
	static const char *const required[] = {
		"MT6572", "MT6580", "MT6582", "MT6735", "MT6737", "MT6739", "MT6750", "MT6753", "MT6755",
		"MT6757", "MT6761", "MT6762", "MT6763", "MT6765", "MT6768", "MT6771", "MT6785", "MT6797",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		const struct mtk_chip *c = mtk_chip_by_name(required[i]);
		assert_non_null(c);
		assert_string_equal(c->name, required[i]);
	}
}

static void test_chip_table_self_check(void **state)
{
	(void)state;
	size_t n;
	const struct mtk_chip *t = mtk_chip_table(&n);
	assert_true(n >= 18);
	assert_null(t[n].name); /* NULL-terminated */
	for (size_t i = 0; i < n; i++) {
		const struct mtk_chip *c = &t[i];
		assert_non_null(c->name);
		assert_non_null(c->aliases);
		assert_int_not_equal(c->hw_code, 0);
		assert_int_not_equal(c->da_code, 0);
		assert_non_null(mtk_da_family_name(c->da_family));
		assert_int_not_equal(c->wdt_addr, 0);
		assert_int_not_equal(c->wdt_value, 0);
		assert_int_equal(c->wdt_value >> 24, 0x22); /* the WDT_MODE key */
		assert_int_not_equal(c->uart_addr, 0);
		assert_int_not_equal(c->da_payload_addr, 0);
		assert_int_not_equal(c->brom_payload_addr, 0);
		assert_int_not_equal(c->meid_addr, 0);
		for (size_t j = 0; j < i; j++) {
			assert_true(strcasecmp(t[j].name, c->name) != 0);
			/* Parts sharing a hw_code share everything the protocol uses. */
			if (t[j].hw_code != c->hw_code)
				continue;
			assert_int_equal(t[j].da_code, c->da_code);
			assert_int_equal(t[j].da_family, c->da_family);
			assert_int_equal(t[j].wdt_addr, c->wdt_addr);
			assert_int_equal(t[j].wdt_value, c->wdt_value);
		}
	}
}

static void test_chip_lookups_round_trip(void **state)
{
	(void)state;
	size_t n;
	const struct mtk_chip *t = mtk_chip_table(&n);
	for (size_t i = 0; i < n; i++) {
		char lower[32];
		size_t k;
		for (k = 0; t[i].name[k] && k < sizeof lower - 1; k++)
			lower[k] = (char)(t[i].name[k] | 0x20);
		lower[k] = '\0';
		assert_ptr_equal(mtk_chip_by_name(t[i].name), &t[i]);
		assert_ptr_equal(mtk_chip_by_name(lower), &t[i]);
		/* By code: the first entry with that code, which has the code. */
		const struct mtk_chip *c = mtk_chip_by_hw_code(t[i].hw_code);
		assert_non_null(c);
		assert_int_equal(c->hw_code, t[i].hw_code);
		assert_true(c <= &t[i]);
		if (t[i].alt_hw_code)
			assert_ptr_equal(mtk_chip_by_hw_code(t[i].alt_hw_code), &t[i]);
	}
}

static void test_chip_known_values(void **state)
{
	(void)state;
	assert_string_equal(mtk_chip_by_hw_code(0x0717)->name, "MT6761");
	assert_string_equal(mtk_chip_by_hw_code(0x0326)->name, "MT6755");
	assert_string_equal(mtk_chip_by_hw_code(0x0601)->name, "MT6750");
	assert_string_equal(mtk_chip_by_hw_code(0x0766)->name, "MT6765");
	assert_string_equal(mtk_chip_by_hw_code(0x0335)->name, "MT6737");
	assert_null(mtk_chip_by_hw_code(0x1234));
	assert_null(mtk_chip_by_hw_code(0));
	assert_int_equal(mtk_chip_by_name("mt6762")->hw_code, 0x0717);
	assert_int_equal(mtk_chip_by_name("MT6750")->hw_code, 0x0326);
	assert_string_equal(mtk_chip_by_name("mt8768t")->name, "MT6765"); /* alias */
	assert_null(mtk_chip_by_name("MT9999"));
	assert_null(mtk_chip_by_name(""));
	assert_null(mtk_chip_by_name(NULL));
	const struct mtk_chip *c = mtk_chip_by_name("MT6737");
	assert_int_equal(c->wdt_addr, 0x10212000);
	assert_int_equal(c->wdt_value, 0x22000000);
	assert_int_equal(c->da_family, MTK_DA_LEGACY);
	assert_int_equal(c->da_code, 0x6735);
	c = mtk_chip_by_name("MT6765");
	assert_int_equal(c->wdt_addr, 0x10007000);
	assert_int_equal(c->wdt_value, 0x22000064);
	assert_int_equal(c->da_family, MTK_DA_XFLASH);
	assert_int_equal(c->socid_addr, 0x102B08);
	assert_int_equal(mtk_chip_by_name("MT6580")->socid_addr, 0);
	assert_int_equal(mtk_chip_by_name("MT6572")->da_payload_addr, 0x2008000);
	assert_string_equal(mtk_da_family_name(MTK_DA_LEGACY), "legacy");
	assert_string_equal(mtk_da_family_name(MTK_DA_XFLASH), "xflash");
	assert_string_equal(mtk_da_family_name(MTK_DA_XML), "xml");
	assert_null(mtk_da_family_name((enum mtk_da_family)0));
}

/* ---- XOR-16 ------------------------------------------------------------- */

/* Written out longhand, independently of lib/core, from §3.12. */
static uint16_t xor16_reference(const uint8_t *p, size_t n)
{
	uint16_t c = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		c ^= (uint16_t)(p[i] | p[i + 1] << 8);
	if (n & 1)
		c ^= p[n - 1];
	return c;
}

static void fill_lcg(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static void test_xor16_vectors(void **state)
{
	(void)state;
	static const uint8_t a[] = { 0x01, 0x02 }, b3[] = { 0x01, 0x02, 0x03 }, c5[] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
	assert_int_equal(mtk_xor16(a, 0), 0);
	assert_int_equal(mtk_xor16(a, 1), 0x0001);
	assert_int_equal(mtk_xor16(a, 2), 0x0201);
	assert_int_equal(mtk_xor16(b3, 3), 0x0202);
	assert_int_equal(mtk_xor16(c5, 5), 0x6677);
	uint8_t da[0x500];
	fill_lcg(da, sizeof da, 0x6765);
	assert_int_equal(mtk_xor16(da, sizeof da), 0xA123);
	assert_int_equal(xor16_reference(da, sizeof da), 0xA123);
}

static uint16_t xor16_chunked(const uint8_t *p, size_t n, const size_t *cuts, size_t ncuts)
{
	uint16_t s = 0;
	int odd = -1;
	size_t off = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;
		s = mtk_xor16_update(s, &odd, p + off, end - off);
		off = end;
	}
	return odd >= 0 ? (uint16_t)(s ^ odd) : s;
}

static void test_xor16_chunked_equals_whole(void **state)
{
	(void)state;
	uint8_t buf[1001];
	fill_lcg(buf, sizeof buf, 42);
	static const size_t lens[] = { 1, 2, 3, 7, 64, 255, 256, 1000, 1001 };
	static const size_t cuts[][4] = { { 0, 0, 0, 0 }, { 1, 1, 1, 1 }, { 1, 2, 3, 5 }, { 3, 4, 9, 200 }, { 7, 8, 500, 999 } };
	for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
		size_t n = lens[l];
		uint16_t whole = mtk_xor16(buf, n);
		assert_int_equal(whole, xor16_reference(buf, n));
		for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
			size_t cl[4];
			for (size_t k = 0; k < 4; k++)
				cl[k] = cuts[c][k] < n ? cuts[c][k] : n;
			assert_int_equal(xor16_chunked(buf, n, cl, 4), whole);
		}
		/* One byte at a time: every call ends mid-word half the time. */
		size_t every[1001];
		for (size_t k = 0; k + 1 < n; k++)
			every[k] = k + 1;
		assert_int_equal(xor16_chunked(buf, n, every, n - 1), whole);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_status_table_complete),
		cmocka_unit_test(test_status_security_and_hints),
		cmocka_unit_test(test_target_config_flags_table),
		cmocka_unit_test(test_target_config_decoding),
		cmocka_unit_test(test_chip_table_required_names),
		cmocka_unit_test(test_chip_table_self_check),
		cmocka_unit_test(test_chip_lookups_round_trip),
		cmocka_unit_test(test_chip_known_values),
		cmocka_unit_test(test_xor16_vectors),
		cmocka_unit_test(test_xor16_chunked_equals_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
