/* SPDX-License-Identifier: MIT */
/* The audit log: a written log verifies; each tamper (a byte changed, a line
 * removed, lines swapped, the signature replaced, another signer, a cut)
 * is named with its line; the file and the station key are made safely. */
#include "testutil.h"

#include <unistd.h>

#include "audit/audit_priv.h"
#include "mtkflash/audit.h"

#define EVENTS 6 /* after "open": lines 2..7, the signature is line 8 */

struct fx {
	mtk_ctx *ctx;
	char dir[64];
	struct mtk_minisign_seckey sk, other_sk;
	struct mtk_minisign_pubkey pk, other_pk;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	test_mkdtemp(f->dir, sizeof f->dir, "mtk-audit");
	char kd[200];
	test_path(kd, sizeof kd, f->dir, "keys/a");
	assert_int_equal(mtk_audit_station_key(f->ctx, kd, &f->sk, &f->pk), 0);
	test_path(kd, sizeof kd, f->dir, "keys/b");
	assert_int_equal(mtk_audit_station_key(f->ctx, kd, &f->other_sk, &f->other_pk), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	test_rmtree(f->dir);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* DIR/NAME with EVENTS partition events, signed by `key` (NULL: unsigned). */
static void write_log(struct fx *f, const char *name, const struct mtk_minisign_seckey *key, char *path, size_t cap)
{
	struct mtk_audit *log;
	test_path(path, cap, f->dir, name);
	assert_int_equal(mtk_audit_open(f->ctx, path, "MT6737-0123", &log), 0);
	for (int i = 0; i < EVENTS; i++) {
		json_t *ev = json_pack("{s:s, s:i, s:s}", "partition", i % 2 ? "boot" : "system", "bytes", 4096 * (i + 1),
		                       "sha256", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
		/* lazy lines (synced with the next) chain exactly like synced ones */
		assert_int_equal((i % 3 ? mtk_audit_event_lazy : mtk_audit_event)(log, "write", ev), 0);
	}
	char *out = NULL;
	assert_int_equal(mtk_audit_close(log, key, &out), 0);
	assert_string_equal(out, path);
	free(out);
}

/* The log's lines (without '\n'), for tampering. */
struct lines {
	char *buf;
	char *l[32];
	size_t n;
};

static void read_lines(const char *path, struct lines *ls)
{
	size_t len;
	ls->buf = (char *)test_load(path, &len);
	ls->n = 0;
	for (char *p = ls->buf; *p && ls->n < 32;) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		*nl = '\0';
		ls->l[ls->n++] = p;
		p = nl + 1;
	}
}

static void write_lines(const char *path, const struct lines *ls)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	for (size_t i = 0; i < ls->n; i++)
		fprintf(fp, "%s\n", ls->l[i]);
	assert_int_equal(fclose(fp), 0);
}

static void expect(struct fx *f, const char *path, const struct mtk_minisign_pubkey *trust,
		   enum mtk_audit_problem want, size_t line)
{
	struct mtk_audit_report r;
	assert_int_equal(mtk_audit_verify(f->ctx, path, trust, trust ? 1 : 0, &r), 0);
	if (r.problem != want || r.line != line)
		fail_msg("wanted %s at line %zu, got %s at line %zu: %s", mtk_audit_problem_name(want), line,
			 mtk_audit_problem_name(r.problem), r.line, r.detail);
}

/* Write a signed log, edit its lines, and expect `want` at `line`. */
static void tamper(void **state, const char *name, void (*edit)(struct lines *), enum mtk_audit_problem want,
		   size_t line)
{
	struct fx *f = *state;
	char path[200];
	write_log(f, name, &f->sk, path, sizeof path);
	struct lines ls;
	read_lines(path, &ls);
	edit(&ls);
	write_lines(path, &ls);
	free(ls.buf);
	expect(f, path, &f->pk, want, line);
}

static void test_chain_verifies(void **state)
{
	struct fx *f = *state;
	char path[200];
	write_log(f, "ok.jsonl", &f->sk, path, sizeof path);
	struct mtk_audit_report r;
	assert_int_equal(mtk_audit_verify(f->ctx, path, &f->pk, 1, &r), 0);
	assert_int_equal(r.problem, MTK_AUDIT_OK);
	assert_int_equal(r.lines, EVENTS + 2);
	assert_int_equal(r.events, EVENTS + 1);
	assert_true(r.signature_ok);
	char id[17];
	mtk_minisign_key_id_hex(f->pk.key_id, id);
	assert_string_equal(r.key_id, id);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* without a trusted key the signature is checked, the signer is not */
	assert_int_equal(mtk_audit_verify(f->ctx, path, NULL, 0, &r), 0);
	assert_int_equal(r.problem, MTK_AUDIT_UNTRUSTED);
	assert_true(r.signature_ok);
}

static void test_line_format(void **state)
{
	struct fx *f = *state;
	char path[200];
	write_log(f, "fmt.jsonl", &f->sk, path, sizeof path);
	struct lines ls;
	read_lines(path, &ls);
	assert_int_equal(ls.n, EVENTS + 2);
	json_t *first = json_loads(ls.l[0], 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(first, "seq")), 1);
	assert_string_equal(json_string_value(json_object_get(first, "event")), "open");
	assert_string_equal(json_string_value(json_object_get(first, "format")), MTK_AUDIT_FORMAT);
	/* the genesis value the documentation gives: SHA-256("mtkflash audit log v1") */
	assert_string_equal(json_string_value(json_object_get(first, "prev")),
			    "0344d46724ea5655772e07d0cd697a4b622565f08c568cd18b89dee52afc333f");
	json_decref(first);
	free(ls.buf);
}

static void edit_byte_changed(struct lines *ls)
{
	char *p = strstr(ls->l[3], "system");
	assert_non_null(p);
	p[0] = 'S';
}

static void test_byte_changed(void **state)
{
	tamper(state, "byte.jsonl", edit_byte_changed, MTK_AUDIT_ALTERED, 4);
}

static void edit_line_removed(struct lines *ls)
{
	memmove(&ls->l[4], &ls->l[5], (ls->n - 5) * sizeof ls->l[0]);
	ls->n--;
}

static void test_line_removed(void **state)
{
	tamper(state, "removed.jsonl", edit_line_removed, MTK_AUDIT_REMOVED, 5);
}

static void edit_lines_swapped(struct lines *ls)
{
	char *t = ls->l[2];
	ls->l[2] = ls->l[3];
	ls->l[3] = t;
}

static void test_lines_swapped(void **state)
{
	tamper(state, "swapped.jsonl", edit_lines_swapped, MTK_AUDIT_REORDERED, 3);
}

/* Another log's signature line, with its key, in place of this one's. */
static void test_signature_replaced(void **state)
{
	struct fx *f = *state;
	char a[200], b[200];
	write_log(f, "sig-a.jsonl", &f->sk, a, sizeof a);
	write_log(f, "sig-b.jsonl", &f->other_sk, b, sizeof b);
	struct lines la, lb;
	read_lines(a, &la);
	read_lines(b, &lb);
	json_t *mine = json_loads(la.l[la.n - 1], 0, NULL);
	json_t *theirs = json_loads(lb.l[lb.n - 1], 0, NULL);
	const char *keys[] = { "key_id", "public_key", "minisig" };
	for (size_t i = 0; i < 3; i++)
		json_object_set(mine, keys[i], json_object_get(theirs, keys[i]));
	char *forged = json_dumps(mine, JSON_COMPACT);
	la.l[la.n - 1] = forged;
	write_lines(a, &la);
	expect(f, a, &f->pk, MTK_AUDIT_BAD_SIG, EVENTS + 2);
	expect(f, a, NULL, MTK_AUDIT_BAD_SIG, EVENTS + 2);
	free(forged);
	json_decref(mine);
	json_decref(theirs);
	free(la.buf);
	free(lb.buf);
}

static void edit_signature_byte_flipped(struct lines *ls)
{
	/* the signed comment, not the untrusted one before it */
	char *p = strstr(ls->l[ls->n - 1], "\\ntrusted comment: ");
	assert_non_null(p);
	p += strlen("\\ntrusted comment: ");
	*p = *p == 'x' ? 'y' : 'x';
}

static void test_signature_byte_flipped(void **state)
{
	tamper(state, "sigbyte.jsonl", edit_signature_byte_flipped, MTK_AUDIT_BAD_SIG, EVENTS + 2);
}

/* A log rewritten and signed whole by someone else's key fails --trust. */
static void test_other_signer(void **state)
{
	struct fx *f = *state;
	char path[200];
	write_log(f, "other.jsonl", &f->other_sk, path, sizeof path);
	expect(f, path, &f->pk, MTK_AUDIT_UNTRUSTED, EVENTS + 2);
	expect(f, path, &f->other_pk, MTK_AUDIT_OK, 0);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	char path[200];
	write_log(f, "cut.jsonl", &f->sk, path, sizeof path);
	struct lines ls;
	read_lines(path, &ls);
	ls.n--; /* the signature line */
	write_lines(path, &ls);
	expect(f, path, &f->pk, MTK_AUDIT_TRUNCATED, EVENTS + 1);
	/* a crash mid-line: the last line has no end */
	FILE *fp = fopen(path, "ab");
	fputs("{\"seq\":8,\"ti", fp);
	fclose(fp);
	expect(f, path, &f->pk, MTK_AUDIT_TRUNCATED, EVENTS + 2);
	free(ls.buf);
	/* an empty file */
	fp = fopen(path, "wb");
	fclose(fp);
	expect(f, path, &f->pk, MTK_AUDIT_TRUNCATED, 0);
}

static void test_appended_and_unsigned(void **state)
{
	struct fx *f = *state;
	char path[200];
	write_log(f, "app.jsonl", &f->sk, path, sizeof path);
	FILE *fp = fopen(path, "ab");
	fputs("{\"seq\":9}\n", fp);
	fclose(fp);
	expect(f, path, &f->pk, MTK_AUDIT_APPENDED, EVENTS + 3);
	write_log(f, "unsigned.jsonl", NULL, path, sizeof path);
	expect(f, path, &f->pk, MTK_AUDIT_UNSIGNED, EVENTS + 2);
}

static void edit_first_line_removed(struct lines *ls)
{
	memmove(&ls->l[0], &ls->l[1], (ls->n - 1) * sizeof ls->l[0]);
	ls->n--;
}

static void test_first_line_removed(void **state)
{
	tamper(state, "first.jsonl", edit_first_line_removed, MTK_AUDIT_REMOVED, 1);
}

/* Lines are parsed only as the check reaches them: a later line that is not
 * JSON at all neither hides the first break nor stops the search for a
 * missing seq from looking past it. */
static void edit_swapped_then_garbage(struct lines *ls)
{
	edit_lines_swapped(ls);
	ls->l[5] = "not json {";
}

static void edit_removed_then_garbage(struct lines *ls)
{
	ls->l[6] = "[1,2";
	edit_line_removed(ls);
}

static void test_break_before_garbage(void **state)
{
	tamper(state, "swap-garbage.jsonl", edit_swapped_then_garbage, MTK_AUDIT_REORDERED, 3);
	tamper(state, "rm-garbage.jsonl", edit_removed_then_garbage, MTK_AUDIT_REMOVED, 5);
}

/* The verifier's kept SHA-256 context gives what the one-shot hash does,
 * line after line. */
static void test_hasher_reused(void **state)
{
	(void)state;
	static const char *const texts[] = {"", "mtkflash audit log v1", "{\"seq\":1}", ""};
	struct mtk_audit_hasher h;
	assert_true(mtk_audit_hasher_init(&h));
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char once[65], kept[65];
		assert_true(mtk_audit_hash_hex(texts[i], strlen(texts[i]), once));
		assert_true(mtk_audit_hasher_hex(&h, texts[i], strlen(texts[i]), kept));
		assert_string_equal(kept, once);
	}
	char empty[65];
	assert_true(mtk_audit_hasher_hex(&h, "", 0, empty));
	assert_string_equal(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	mtk_audit_hasher_free(&h);
	mtk_audit_hasher_free(&h); /* freeing twice is harmless */
}

static void test_event_rules(void **state)
{
	struct fx *f = *state;
	char path[200];
	struct mtk_audit *log;
	test_path(path, sizeof path, f->dir, "rules.jsonl");
	assert_int_equal(mtk_audit_open(f->ctx, path, NULL, &log), 0);
	/* reserved keys are refused, and the fields are taken either way (ASan checks the leak) */
	assert_int_equal(mtk_audit_event(log, "write", json_pack("{s:i}", "seq", 99)), MTK_E_INVAL);
	assert_int_equal(mtk_audit_event(log, "write", json_string("x")), MTK_E_INVAL);
	assert_int_equal(mtk_audit_event(log, "write", NULL), 0);
	assert_int_equal(mtk_audit_close(log, &f->sk, NULL), 0);
	expect(f, path, &f->pk, MTK_AUDIT_OK, 0);
	/* never over an existing file, never through a symbolic link */
	assert_int_equal(mtk_audit_open(f->ctx, path, NULL, &log), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "already exists"));
	char link[200];
	test_path(link, sizeof link, f->dir, "link.jsonl");
	assert_int_equal(symlink("/nonexistent-target", link), 0);
	assert_int_equal(mtk_audit_open(f->ctx, link, NULL, &log), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "symbolic link"));
}

static void test_open_in_names(void **state)
{
	struct fx *f = *state;
	char dir[200];
	struct mtk_audit *a, *b;
	test_path(dir, sizeof dir, f->dir, "state/mtkflash/audit");
	assert_int_equal(mtk_audit_open_in(f->ctx, dir, "../MT6737 x", &a), 0);
	assert_int_equal(mtk_audit_open_in(f->ctx, dir, "../MT6737 x", &b), 0);
	const char *pa = strrchr(mtk_audit_path(a), '/') + 1, *pb = strrchr(mtk_audit_path(b), '/') + 1;
	/* YYYYMMDDTHHMMSSZ-<id>.jsonl, the id's unsafe bytes replaced */
	assert_int_equal(strlen(pa), 16 + 1 + strlen("_._MT6737_x.jsonl"));
	assert_int_equal(pa[15], 'Z');
	assert_string_equal(pa + 16, "-_._MT6737_x.jsonl");
	assert_string_not_equal(pa, pb);
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	mtk_audit_abandon(a);
	mtk_audit_abandon(b);
}

static void test_station_key(void **state)
{
	struct fx *f = *state;
	char kd[200], key[220];
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	test_path(kd, sizeof kd, f->dir, "keys/a");
	assert_int_equal(mtk_audit_station_key(f->ctx, kd, &sk, &pk), 0);
	assert_memory_equal(pk.key_id, f->pk.key_id, 8); /* loaded, not made anew */
	struct stat st;
	assert_int_equal(stat(kd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	test_path(key, sizeof key, kd, "station.key");
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the same format as keygen's: the public file parses as a minisign key */
	size_t len;
	test_path(key, sizeof key, kd, "station.pub");
	uint8_t *pub = test_load(key, &len);
	struct mtk_minisign_pubkey parsed;
	assert_int_equal(mtk_minisign_pubkey_parse(f->ctx, key, pub, len, &parsed), 0);
	assert_memory_equal(parsed.pk, pk.pk, 32);
	free(pub);
	test_path(key, sizeof key, kd, "station.key");
	chmod(key, 0644);
	assert_int_equal(mtk_audit_station_key(f->ctx, kd, &sk, &pk), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "readable by others"));
	chmod(key, 0600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_swapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature_byte_flipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_signer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appended_and_unsigned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_line_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_break_before_garbage, setup, teardown),
		cmocka_unit_test(test_hasher_reused),
		cmocka_unit_test_setup_teardown(test_event_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_in_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_station_key, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
