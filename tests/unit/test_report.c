/* SPDX-License-Identifier: MIT */
/* The report: a log is summarised as written (hostile strings escaped, a
 * rollback marked on its step, the plan's writes kept); a sealed PDF checks
 * out, and one byte changed in the PDF or the seal, another signer, or no
 * seal at all each get their own verdict; the log path survives the seal. */
#include "testutil.h"

#include "mtkflash/report.h"
#include "mtkflash/util.h"

static const char log_text[] =
	"{\"seq\":1,\"event\":\"open\",\"tool\":\"mtkflash 0.1.0\",\"device_id\":\"dev\\u0001x\"}\n"
	"{\"seq\":2,\"event\":\"start\",\"time\":\"2026-01-01T00:00:00.000Z\",\"mode\":\"safe\",\"scene\":\"download\","
	"\"scatter\":\"/p/MT6737_Android_scatter.txt\",\"device_id\":\"mt6737-01\"}\n"
	"{\"seq\":3,\"event\":\"plan\",\"entries\":[{\"partition\":\"system\",\"action\":\"write\"},"
	"{\"partition\":\"nvram\",\"action\":\"keep\"},{\"partition\":\"boot\",\"action\":\"write\"}]}\n"
	"{\"seq\":4,\"event\":\"risk\",\"score\":10,\"level\":\"low\",\"factors\":[{\"factor\":\"no_nvram_backup\","
	"\"state\":\"yes\",\"contribution\":10,\"detail\":\"none\"}]}\n"
	"{\"seq\":5,\"event\":\"decision\",\"verdict\":\"allow\",\"reasons\":[\"a\",\"b\"]}\n"
	"not json at all\n"
	"{\"seq\":5,\"event\":\"write\",\"partition\":\"system\",\"stage\":\"write\",\"state\":\"done\",\"bytes\":4096,"
	"\"match\":true,\"seconds\":0.5,\"mb_per_s\":8.2,\"after_sha256\":\"ab\"}\n"
	"{\"seq\":6,\"event\":\"error\",\"partition\":\"boot\",\"stage\":\"write\",\"state\":\"failed\",\"match\":false,"
	"\"error\":{\"message\":\"read-back mismatch\"}}\n"
	"{\"seq\":7,\"event\":\"rollback\",\"partition\":\"system\",\"restored\":true}\n"
	"{\"seq\":8,\"event\":\"end\",\"ok\":false,\"result\":\"MTK_E_ROLLEDBACK\",\"bytes_written\":4096}\n"
	"{\"seq\":9,\"event\":\"signature\",\"head\":\"" /* 64 hex digits */
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"events\":8,\"key_id\":\"00000000000000AA\"}\n";

static void parse(struct mtk_report *r)
{
	assert_int_equal(mtk_report_parse(NULL, (const uint8_t *)log_text, sizeof log_text - 1, r), 0);
}

static void test_parse(void **state)
{
	(void)state;
	struct mtk_report r;
	parse(&r);
	assert_string_equal(r.device_id, "mt6737-01"); /* start's id wins over open's */
	assert_string_equal(r.mode, "safe");
	assert_string_equal(r.planned, "system, boot");
	assert_int_equal(r.risk_score, 10);
	assert_int_equal(r.nfactors, 1);
	assert_string_equal(r.reasons, "a; b");
	assert_int_equal(r.nsteps, 2);
	assert_string_equal(r.steps[0].outcome, "verified");
	assert_string_equal(r.steps[0].rollback, "restored");
	assert_string_equal(r.steps[1].outcome, "MISMATCH");
	assert_string_equal(r.steps[1].error, "read-back mismatch");
	assert_true(r.have_end && !r.ended_ok);
	assert_string_equal(r.result, "MTK_E_ROLLEDBACK");
	assert_int_equal(r.events, 8);
	mtk_report_free(&r);
	/* the open line's id alone: its control byte escaped */
	const char *only_open = "{\"event\":\"open\",\"device_id\":\"dev\\u0001x\"}\n";
	assert_int_equal(mtk_report_parse(NULL, (const uint8_t *)only_open, strlen(only_open), &r), 0);
	assert_string_equal(r.device_id, "dev\\x01x");
	mtk_report_free(&r);
}

struct sealed {
	uint8_t *buf;
	size_t len;
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
};

static void make_sealed(struct sealed *s, const char *log_path)
{
	struct mtk_report r;
	uint8_t *pdf;
	size_t len;
	parse(&r);
	snprintf(r.log_path, sizeof r.log_path, "%s", log_path);
	assert_int_equal(mtk_minisign_keygen(NULL, &s->sk, &s->pk), 0);
	assert_int_equal(mtk_report_render(NULL, &r, &pdf, &len), 0);
	assert_true(len > 1000 && memcmp(pdf, "%PDF-", 5) == 0);
	assert_int_equal(mtk_report_seal(NULL, pdf, len, &r, &s->sk, &s->buf, &s->len), 0);
	assert_true(s->len > len && memcmp(s->buf, pdf, len) == 0);
	free(pdf);
	mtk_report_free(&r);
}

static enum mtk_report_verdict check(const struct sealed *s, const uint8_t *buf, size_t len,
				     const struct mtk_minisign_pubkey *pk, struct mtk_report_seal *seal)
{
	enum mtk_report_verdict v;
	char detail[320];
	assert_int_equal(mtk_report_check_seal(NULL, buf, len, pk ? pk : &s->pk, 1, seal, &v, detail, sizeof detail), 0);
	return v;
}

static void test_seal(void **state)
{
	(void)state;
	struct sealed s;
	struct mtk_report_seal seal;
	make_sealed(&s, "/var/log/a b%c.jsonl");
	assert_int_equal(check(&s, s.buf, s.len, NULL, &seal), MTK_REPORT_OK);
	assert_string_equal(seal.log_path, "/var/log/a b%c.jsonl");
	assert_string_equal(seal.log_head, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_string_equal(seal.log_key, "00000000000000AA");

	uint8_t *copy = malloc(s.len);
	memcpy(copy, s.buf, s.len);
	copy[100] ^= 1; /* inside the PDF */
	assert_int_equal(check(&s, copy, s.len, NULL, &seal), MTK_REPORT_ALTERED);
	memcpy(copy, s.buf, s.len);
	copy[seal.signed_len - 14] ^= 1; /* the log path's last character, inside the claims */
	assert_int_equal(check(&s, copy, s.len, NULL, &seal), MTK_REPORT_BAD_SIG);
	assert_int_equal(check(&s, s.buf, seal.pdf_len, NULL, &seal), MTK_REPORT_NO_SEAL);
	free(copy);

	struct mtk_minisign_seckey osk;
	struct mtk_minisign_pubkey opk;
	assert_int_equal(mtk_minisign_keygen(NULL, &osk, &opk), 0);
	assert_int_equal(check(&s, s.buf, s.len, &opk, &seal), MTK_REPORT_UNTRUSTED);
	free(s.buf);
}

static void test_minisig(void **state)
{
	(void)state;
	struct sealed s;
	make_sealed(&s, "");
	char *text = NULL;
	struct mtk_minisign_sig sig;
	assert_int_equal(mtk_report_minisig(NULL, s.buf, s.len, &s.sk, "r.pdf", &text), 0);
	assert_int_equal(mtk_minisign_sig_parse(NULL, "r.pdf.minisig", (const uint8_t *)text, strlen(text), &sig), 0);
	assert_int_equal(mtk_minisign_verify(NULL, &sig, &s.pk, 1, s.buf, s.len, NULL), MTK_SIG_TRUSTED);
	s.buf[0] ^= 1;
	assert_int_equal(mtk_minisign_verify(NULL, &sig, &s.pk, 1, s.buf, s.len, NULL), MTK_SIG_BAD);
	struct mtk_report_seal seal;
	assert_int_equal(mtk_report_parse_seal(NULL, s.buf, s.len, &seal), 0);
	assert_string_equal(seal.log_path, ""); /* none recorded: verify needs --log */
	free(text);
	free(s.buf);
}

static bool valid_utf8(const char *s)
{
	uint32_t cp;
	for (size_t n = strlen(s), at = 0, k; at < n; at += k)
		if ((k = mtk_utf8_decode((const unsigned char *)s + at, n - at, &cp)) == 0)
			return false;
	return true;
}

/* Names longer than the summary keeps, in 2- and 3-byte characters: cut at
 * a character, marked "...", and drawn (cairo refuses broken UTF-8). */
static void test_long_names(void **state)
{
	(void)state;
	char line[2048] = "{\"event\":\"write\",\"stage\":\"write\",\"partition\":\"";
	for (int i = 0; i < 100; i++)
		strcat(line, "\xc3\xa9");
	strcat(line, "\"}\n{\"event\":\"open\",\"device_id\":\"");
	for (int i = 0; i < 100; i++)
		strcat(line, "\xe2\x82\xac");
	strcat(line, "\"}\n");
	struct mtk_report r;
	assert_int_equal(mtk_report_parse(NULL, (const uint8_t *)line, strlen(line), &r), 0);
	assert_int_equal(r.nsteps, 1);
	assert_true(valid_utf8(r.steps[0].partition) && strstr(r.steps[0].partition, "..."));
	assert_true(valid_utf8(r.device_id) && strstr(r.device_id, "..."));
	uint8_t *pdf = NULL;
	size_t len = 0;
	assert_int_equal(mtk_report_render(NULL, &r, &pdf, &len), 0);
	assert_true(len > 1000);
	free(pdf);
	mtk_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_minisig),
		cmocka_unit_test(test_long_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
