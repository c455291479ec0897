/* SPDX-License-Identifier: MIT */
/* The status catalogue and its query parser: every entry found from each form
 * a log prints it in, real log lines, generations, unknown codes. */
#include <ctype.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "mtkflash/core.h"
#include "mtkflash/status.h"
#include "testutil.h"

#define MAXM 64

static bool finds(const char *query, const struct mtk_status *want)
{
	const struct mtk_status *m[MAXM];
	size_t n = mtk_status_explain(query, m, MAXM);
	for (size_t i = 0; i < n && i < MAXM; i++)
		if (m[i] == want)
			return true;
	return false;
}

static void assert_finds(const char *query, const struct mtk_status *want)
{
	if (!finds(query, want))
		fail_msg("'%s' does not find %s (%s)", query, want->name, want->table);
}

/* Each entry from its name, its decimal, its hex and, for 32-bit statuses, the
 * signed decimal SP Flash Tool prints -- and from the line it prints them in. */
static void test_every_entry_every_form(void **state)
{
	(void)state;
	char q[160];
	assert_true(mtk_status_count() > 900);
	for (size_t i = 0; i < mtk_status_count(); i++) {
		const struct mtk_status *e = mtk_status_at(i);
		assert_non_null(mtk_status_table_desc(e->table));
		assert_true(e->meaning[0] && e->causes[0] && e->fix[0]);
		assert_finds(e->name, e);
		snprintf(q, sizeof q, "%" PRId64, e->value);
		assert_finds(q, e);
		if (e->value >= 0) {
			snprintf(q, sizeof q, "0x%" PRIX64, e->value);
			assert_finds(q, e);
			snprintf(q, sizeof q, "ERROR : %s (%" PRId64 ")", e->name, e->value);
			assert_finds(q, e);
		}
		if (e->value > INT32_MAX) {
			snprintf(q, sizeof q, "%" PRId64, e->value - ((int64_t)1 << 32));
			assert_finds(q, e);
			snprintf(q, sizeof q, "BROM ERROR : %s (%" PRId64 ")", e->name, e->value - ((int64_t)1 << 32));
			assert_finds(q, e);
		}
		if (i > 0)
			assert_true(mtk_status_at(i - 1)->value <= e->value);
	}
	assert_null(mtk_status_at(mtk_status_count()));
}

/* Every name, in lower case, finds exactly the entries a scan of the whole
 * catalogue finds for it, in catalogue order (the lookup is a binary search
 * of a generated index); "e_x" finds MTK_E_X too. */
static void test_names_any_case(void **state)
{
	(void)state;
	char q[160];
	const struct mtk_status *m[MAXM];
	for (size_t i = 0; i < mtk_status_count(); i++) {
		const char *name = mtk_status_at(i)->name;
		bool short_e = strncmp(name, "MTK_E_", 6) == 0;
		snprintf(q, sizeof q, "%s", short_e ? name + 4 : name);
		for (char *c = q; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		size_t n = mtk_status_explain(q, m, MAXM), want = 0;
		for (size_t k = 0; k < mtk_status_count(); k++) {
			const struct mtk_status *e = mtk_status_at(k);
			if (strcasecmp(e->name, q) != 0 && !(strncmp(e->name, "MTK_", 4) == 0 && strcasecmp(e->name + 4, q) == 0))
				continue;
			assert_true(want < n);
			assert_ptr_equal(m[want], e);
			want++;
		}
		assert_true(want > 0);
		assert_int_equal(n, want);
	}
}

/* A sample of anchors.md §2.2 (values from SP Flash Tool v5.1952): the
 * transcription of the enum keeps its order, so one slip would shift these. */
static void test_values_from_the_header(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int64_t value;
	} known[] = {
		{ "S_COM_PORT_OPEN_FAIL", 1013 },
		{ "S_TIMEOUT", 1042 },
		{ "S_BROM_CMD_STARTCMD_FAIL", 2005 },
		{ "S_BROM_CMD_JUMP_DA_FAIL", 2035 },
		{ "S_DA_UFS_FLASH_NOT_FOUND", 3159 },
		{ "S_CHIP_TYPE_NOT_MATCH", 3184 },
		{ "S_FT_DA_NO_RESPONSE", 4001 },
		{ "S_FT_ENABLE_DRAM_FAIL", 4032 },
		{ "S_FT_PROTOCOL_EXCEPTION", 4053 },
		{ "S_DL_SCAT_VERSION_UNSUPPORTED", 5079 },
		{ "S_SECURITY_SECURE_USB_DL_IMAGE_SIGN_HEADER_NOT_FOUND", 6045 },
		{ "S_SECURITY_SEC_CFG_IMAGE_CANNOT_ROLL_BACK_SW_LOAD", 6075 },
		{ "S_EPP_FAIL", 7000 },
		{ "S_PL_MODE_UNSUPPORTED", 10001 },
		{ "STATUS_SEC_RSA_OAEP_FAIL", 0xC002004A },
		{ "STATUS_SEC_AUTH_FILE_NEEDED", 0xC0030012 },
		{ "STATUS_STOR_LIFE_EXHAUST", 0xC003001D },
		{ "STATUS_EXT_RAM_EXCEPTION", 0xC0050005 },
		{ "STATUS_BROM_CONNECT_NOT_PL", 0x40060001 },
		{ "STATUS_DA_HASH_MISMATCH", 0xC0070004 },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		const struct mtk_status *m[MAXM];
		size_t n = mtk_status_explain(known[i].name, m, MAXM);
		bool ok = false;
		for (size_t k = 0; k < n; k++)
			ok |= strcmp(m[k]->table, "spft5") == 0 && m[k]->value == known[i].value;
		if (!ok)
			fail_msg("%s is not %" PRId64 " in spft5", known[i].name, known[i].value);
	}
}

/* The same number, other generations; the same name, other numbers. */
static void test_generations(void **state)
{
	(void)state;
	const struct mtk_status *m[MAXM];
	size_t n = mtk_status_explain("1000", m, MAXM);
	assert_int_equal(n, 2);
	assert_true(finds("1000", mtk_status_find("spft5", 1000)));
	assert_string_equal(mtk_status_find("spft6-tool", 1000)->name, "CFT_SUCCESS");
	assert_int_equal(mtk_status_explain("S_COM_PORT_OPEN_FAIL", m, MAXM), 2);
	assert_int_equal(mtk_status_explain("S_COM_PORT_OPEN_FAIL (1003)", m, MAXM), 1);
	assert_string_equal(m[0]->table, "maui");
	assert_int_equal(mtk_status_explain("ERROR_ROM_MUST_ENABLE", m, MAXM), 2);
	assert_int_equal(mtk_status_explain("s_ft_da_no_response", m, MAXM), 1);
}

static void test_own_codes(void **state)
{
	(void)state;
	for (int code = -1; code >= MTK_E_LAST; code--) {
		const char *key = mtk_status_error_key(code);
		assert_non_null(key);
		assert_string_equal(key - 4, mtk_error_name(code)); /* "E_X" is the tail of "MTK_E_X" */
		const struct mtk_status *e = mtk_status_find("mtkflash", code);
		assert_finds(key, e);
		assert_true(e->described);
	}
	assert_null(mtk_status_error_key(0));
	assert_null(mtk_status_error_key(MTK_E_LAST - 1));
}

static void test_unknown(void **state)
{
	(void)state;
	const struct mtk_status *m[MAXM];
	static const char *none[] = { "", "   ", "12345678", "0x12345678", "-5000000000", "S_NOT_A_CODE", "hello",
				      "0x", "-", "((((", "4294967296", "99999999999999999999999" };
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		if (mtk_status_explain(none[i], m, MAXM) != 0)
			fail_msg("'%s' found %s", none[i], m[0]->name);
	assert_int_equal(mtk_status_explain(NULL, m, MAXM), 0);
	assert_null(mtk_status_find("spft5", 1));
	assert_null(mtk_status_table_desc("nope"));
}

/* The fixture's lines: EXPECTED<TAB>LINE, EXPECTED = NAME[@VALUE][,...] or "-". */
static void check_line(const char *expected, const char *line, int lineno)
{
	const struct mtk_status *m[MAXM];
	size_t n = mtk_status_explain(line, m, MAXM);
	if (strcmp(expected, "-") == 0) {
		if (n)
			fail_msg("line %d: found %s in a line with no code", lineno, m[0]->name);
		return;
	}
	char want[1024];
	snprintf(want, sizeof want, "%s", expected);
	size_t wanted = 0;
	for (char *save = NULL, *w = strtok_r(want, ",", &save); w; w = strtok_r(NULL, ",", &save), wanted++) {
		char *at = strchr(w, '@');
		if (at)
			*at++ = '\0';
		bool ok = false;
		for (size_t k = 0; k < n && k < MAXM; k++)
			ok |= strcmp(m[k]->name, w) == 0 && (!at || m[k]->value == strtoll(at, NULL, 0));
		if (!ok)
			fail_msg("line %d: %s%s%s not found in '%s'", lineno, w, at ? "@" : "", at ? at : "", line);
	}
	if (n != wanted)
		fail_msg("line %d: %zu matches, expected %zu", lineno, n, wanted);
}

static void test_log_lines(void **state)
{
	(void)state;
	char path[4096];
	test_fixture_path(path, sizeof path, "status", "spft_log_lines.txt");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[1024];
	int lineno = 0, checked = 0;
	while (fgets(buf, sizeof buf, f)) {
		lineno++;
		buf[strcspn(buf, "\n")] = '\0';
		char *tab = strchr(buf, '\t');
		if (buf[0] == '#' || !tab)
			continue;
		*tab = '\0';
		check_line(buf, tab + 1, lineno);
		checked++;
	}
	fclose(f);
	assert_true(checked >= 20);
}

/* The device status behind a failure survives the callers' wrapping, and a
 * new failure forgets it. */
static void test_ctx_error_status(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	assert_non_null(ctx);
	assert_null(mtk_ctx_error_status(ctx));
	mtk_fail(ctx, MTK_E_SECURITY, "SEND_DA refused");
	mtk_ctx_set_error_status(ctx, "SLA_ERROR");
	mtk_wrap(ctx, MTK_E_SECURITY, "connecting");
	assert_string_equal(mtk_ctx_error_status(ctx), "SLA_ERROR");
	mtk_fail(ctx, MTK_E_IO, "writing the log");
	assert_null(mtk_ctx_error_status(ctx));
	mtk_ctx_set_error_status(ctx, "S_TIMEOUT");
	mtk_ctx_clear_error(ctx);
	assert_null(mtk_ctx_error_status(ctx));
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_entry_every_form),
		cmocka_unit_test(test_names_any_case),
		cmocka_unit_test(test_values_from_the_header),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_own_codes),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_ctx_error_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
