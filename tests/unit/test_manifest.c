/* SPDX-License-Identifier: MIT */
/* image/: SHA256SUMS, minisign keys and signatures, signed manifests on disk. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "mtkflash/manifest.h"
#include "testutil.h"

#define HASH_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HASH_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int parse(mtk_ctx *ctx, const char *text, struct mtk_manifest *m)
{
	return mtk_sha256sums_parse(ctx, "SUMS", (const uint8_t *)text, strlen(text), m);
}

static void assert_parse_error(const char *text, const char *expect)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_manifest m;
	assert_int_equal(parse(ctx, text, &m), MTK_E_PARSE);
	if (!strstr(mtk_ctx_error(ctx), expect))
		fail_msg("error '%s' does not mention '%s'", mtk_ctx_error(ctx), expect);
	assert_int_equal(m.count, 0);
	mtk_ctx_free(ctx);
}

static void test_sums_parse(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_manifest m;
	const char *text = HASH_ABC
	        "  boot.img\n"
	        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 *sub/dir/empty.bin\r\n"
	        "\n"
	        "\\" HASH_ABC "  odd\\\\name\\nwith newline\n" HASH_EMPTY "  a..b";
	assert_int_equal(parse(ctx, text, &m), 0);
	assert_int_equal(m.count, 4);
	assert_string_equal(m.entries[0].name, "boot.img");
	assert_int_equal(m.entries[0].sha256[0], 0xba);
	assert_int_equal(m.entries[0].sha256[31], 0xad);
	assert_string_equal(m.entries[1].name, "sub/dir/empty.bin");
	assert_int_equal(m.entries[1].sha256[0], 0xe3);
	assert_string_equal(m.entries[2].name, "odd\\name\nwith newline");
	assert_string_equal(m.entries[3].name, "a..b");
	assert_non_null(mtk_manifest_lookup(&m, "sub/dir/empty.bin"));
	assert_null(mtk_manifest_lookup(&m, "sub/dir"));
	/* Formatting and parsing again gives the same manifest, escapes included. */
	size_t len;
	char *out = mtk_sha256sums_format(&m, &len);
	assert_non_null(out);
	assert_non_null(strstr(out, "\\" HASH_ABC "  odd\\\\name\\nwith newline\n"));
	assert_non_null(strstr(out, HASH_EMPTY "  sub/dir/empty.bin\n"));
	struct mtk_manifest m2;
	assert_int_equal(mtk_sha256sums_parse(ctx, "again", (const uint8_t *)out, len, &m2), 0);
	assert_int_equal(m2.count, m.count);
	for (size_t i = 0; i < m.count; i++) {
		assert_string_equal(m2.entries[i].name, m.entries[i].name);
		assert_memory_equal(m2.entries[i].sha256, m.entries[i].sha256, 32);
	}
	free(out);
	mtk_manifest_free(&m2);
	mtk_manifest_free(&m);
	assert_int_equal(parse(ctx, "", &m), 0);
	assert_int_equal(m.count, 0);
	mtk_ctx_free(ctx);
}

static void test_sums_bad_lines(void **state)
{
	(void)state;
	assert_parse_error(HASH_ABC "  ok\nshort line\n", "SUMS line 2: too short");
	assert_parse_error(HASH_ABC "  ok\n\n"
	                            "zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  n\n",
	                   "SUMS line 3: column 1: 'z' is not a hex digit");
	assert_parse_error(HASH_ABC " onespace-name\n", "line 1: expected two spaces");
	assert_parse_error(HASH_ABC "  /etc/passwd\n", "line 1: file name '/etc/passwd' must be relative");
	assert_parse_error(HASH_ABC "  ../escape\n", "line 1: file name '../escape'");
	assert_parse_error(HASH_ABC "  a/../../b\n", "line 1: file name 'a/../../b'");
	assert_parse_error(HASH_ABC "  a//b\n", "line 1: file name 'a//b'");
	assert_parse_error(HASH_ABC "  dir/\n", "line 1: file name 'dir/'");
	assert_parse_error(HASH_ABC "  x\n" HASH_EMPTY "  y\n" HASH_EMPTY "  x\n",
	                   "line 3: 'x' is already listed on line 1");
	assert_parse_error("\\" HASH_ABC "  bad\\qescape\n", "line 1: unknown backslash escape");
	assert_parse_error("SHA256 (boot.img) = " HASH_ABC "\n", "BSD-style");
	const char nul[] = HASH_ABC "  a\0b\n";
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_manifest m;
	assert_int_equal(mtk_sha256sums_parse(ctx, "SUMS", (const uint8_t *)nul, sizeof nul - 1, &m),
	                 MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(ctx), "NUL"));
	mtk_ctx_free(ctx);
}

static void test_name_ok(void **state)
{
	(void)state;
	assert_true(mtk_manifest_name_ok("a"));
	assert_true(mtk_manifest_name_ok("a/b.c"));
	assert_true(mtk_manifest_name_ok("..a/b.."));
	assert_false(mtk_manifest_name_ok(""));
	assert_false(mtk_manifest_name_ok("/a"));
	assert_false(mtk_manifest_name_ok(".."));
	assert_false(mtk_manifest_name_ok("./a"));
	assert_false(mtk_manifest_name_ok("a/."));
	assert_false(mtk_manifest_name_ok("a/"));
}

/* ---- keys made with OpenSSL directly, not with the code under test ---- */

static void openssl_key(struct mtk_minisign_seckey *sk, struct mtk_minisign_pubkey *pk, uint8_t id)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;
	assert_non_null(kc);
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_keygen(kc, &k), 1);
	size_t n = 32;
	assert_int_equal(EVP_PKEY_get_raw_private_key(k, sk->seed, &n), 1);
	n = 32;
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, sk->pk, &n), 1);
	for (int i = 0; i < 8; i++)
		sk->key_id[i] = (uint8_t)(id + i);
	memcpy(pk->key_id, sk->key_id, 8);
	memcpy(pk->pk, sk->pk, 32);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(kc);
}

static void openssl_sign(const uint8_t seed[32], const uint8_t *msg, size_t len, uint8_t sig[64])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 64;
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &n, msg, len), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static enum mtk_sig_state verify_text(mtk_ctx *ctx, const char *sigtext,
                                      const struct mtk_minisign_pubkey *keys, size_t nkeys, const char *msg)
{
	struct mtk_minisign_sig *sig = calloc(1, sizeof *sig);
	assert_int_equal(mtk_minisign_sig_parse(ctx, "sig", (const uint8_t *)sigtext, strlen(sigtext), sig),
	                 0);
	enum mtk_sig_state s =
	        mtk_minisign_verify(ctx, sig, keys, nkeys, (const uint8_t *)msg, strlen(msg), NULL);
	free(sig);
	return s;
}

static void test_minisign_roundtrip(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk, other_pk, keys[2];
	struct mtk_minisign_seckey other_sk;
	openssl_key(&sk, &pk, 0x10);
	openssl_key(&other_sk, &other_pk, 0x40);
	const char *msg = HASH_ABC "  boot.img\n";
	char *sig = NULL;
	assert_int_equal(mtk_minisign_sign(ctx, &sk, (const uint8_t *)msg, strlen(msg),
	                                   "timestamp:1\tfile:SUMS", &sig),
	                 0);
	assert_true(strncmp(sig, "untrusted comment: ", 19) == 0);
	assert_non_null(strstr(sig, "\ntrusted comment: timestamp:1\tfile:SUMS\n"));
	keys[0] = other_pk;
	keys[1] = pk;
	assert_int_equal(verify_text(ctx, sig, keys, 2, msg), MTK_SIG_TRUSTED);
	/* one byte of the file changed */
	assert_int_equal(verify_text(ctx, sig, keys, 2, HASH_ABC "  boot.imh\n"), MTK_SIG_BAD);
	assert_non_null(strstr(mtk_ctx_error(ctx), "does not match"));
	/* signed by a key we do not trust */
	assert_int_equal(verify_text(ctx, sig, &other_pk, 1, msg), MTK_SIG_UNKNOWN_KEY);
	assert_non_null(strstr(mtk_ctx_error(ctx), "1716151413121110"));
	/* the trusted comment altered: the global signature catches it */
	char *t = strstr(sig, "timestamp:1");
	t[10] = '2';
	assert_int_equal(verify_text(ctx, sig, keys, 2, msg), MTK_SIG_BAD);
	assert_non_null(strstr(mtk_ctx_error(ctx), "trusted comment"));
	free(sig);
	mtk_ctx_free(ctx);
}

/* A legacy (non-prehashed) "Ed" signature built by hand, as old minisign made them. */
static void test_minisign_legacy_ed(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	openssl_key(&sk, &pk, 0x20);
	const char *msg = "payload\n";
	uint8_t raw[74], global[64 + 16];
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, sk.key_id, 8);
	openssl_sign(sk.seed, (const uint8_t *)msg, strlen(msg), raw + 10);
	memcpy(global, raw + 10, 64);
	memcpy(global + 64, "legacy comment", 14);
	uint8_t gsig[64];
	openssl_sign(sk.seed, global, 78, gsig);
	char l2[128], l4[128], text[512];
	b64(raw, sizeof raw, l2);
	b64(gsig, 64, l4);
	snprintf(text, sizeof text, "untrusted comment: x\n%s\ntrusted comment: legacy comment\n%s\n", l2,
	         l4);
	assert_int_equal(verify_text(ctx, text, &pk, 1, msg), MTK_SIG_TRUSTED);
	assert_int_equal(verify_text(ctx, text, &pk, 1, "payload!\n"), MTK_SIG_BAD);
	mtk_ctx_free(ctx);
}

static void test_minisign_parse_errors(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_minisign_sig *sig = calloc(1, sizeof *sig);
	struct mtk_minisign_pubkey pk;
	const char *cases[][2] = {
	        {"no comment\n", "sig line 1: expected a line starting with 'untrusted comment: '"},
	        {"untrusted comment: x\n!!!!\n", "sig line 2: the signature is not valid base64"},
	        {"untrusted comment: x\nRWQ=\n", "sig line 2: the signature is 2 bytes, expected 74"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(mtk_minisign_sig_parse(ctx, "sig", (const uint8_t *)cases[i][0],
		                                        strlen(cases[i][0]), sig),
		                 MTK_E_PARSE);
		if (!strstr(mtk_ctx_error(ctx), cases[i][1]))
			fail_msg("case %zu: '%s'", i, mtk_ctx_error(ctx));
	}
	/* A public key round trip, and the bare-base64 form minisign -P takes. */
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey orig;
	openssl_key(&sk, &orig, 0x30);
	char *text = mtk_minisign_pubkey_format(&orig, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "untrusted comment: minisign public key 3736353433323130\n"));
	assert_int_equal(mtk_minisign_pubkey_parse(ctx, "pub", (const uint8_t *)text, strlen(text), &pk), 0);
	assert_memory_equal(&pk, &orig, sizeof pk);
	const char *bare = strchr(text, '\n') + 1;
	memset(&pk, 0, sizeof pk);
	assert_int_equal(mtk_minisign_pubkey_parse(ctx, "pub", (const uint8_t *)bare, strlen(bare), &pk), 0);
	assert_memory_equal(&pk, &orig, sizeof pk);
	free(text);
	/* Secret key round trip; a flipped bit is caught by the checksum. */
	char *sktext = mtk_minisign_seckey_format(&sk, "test key");
	struct mtk_minisign_seckey sk2;
	assert_int_equal(mtk_minisign_seckey_parse(ctx, "key", (const uint8_t *)sktext, strlen(sktext), &sk2),
	                 0);
	assert_memory_equal(&sk, &sk2, sizeof sk);
	char *p = strchr(sktext, '\n') + 20;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(mtk_minisign_seckey_parse(ctx, "key", (const uint8_t *)sktext, strlen(sktext), &sk2),
	                 MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(ctx), "checksum"));
	free(sktext);
	/* A comment that would break the file format is refused. */
	assert_null(mtk_minisign_pubkey_format(&orig, "two\nlines"));
	free(sig);
	mtk_ctx_free(ctx);
}

/* ---- on disk ---- */

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	test_mkdtemp(tmpdir, sizeof tmpdir, "mtk_manifest");
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	return test_rmtree(tmpdir);
}

static void test_sha256_file(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	test_write_text(tmpdir, "abc", "abc");
	char path[256];
	snprintf(path, sizeof path, "%s/abc", tmpdir);
	uint8_t h[32];
	uint64_t size = 0;
	assert_int_equal(mtk_sha256_file(ctx, path, h, &size), 0);
	assert_int_equal(size, 3);
	assert_int_equal(h[0], 0xba);
	assert_int_equal(h[31], 0xad);
	snprintf(path, sizeof path, "%s/none", tmpdir);
	assert_int_equal(mtk_sha256_file(ctx, path, h, &size), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(ctx), "/none"));
	mtk_ctx_free(ctx);
}

static struct mtk_entry_check *find(struct mtk_entry_check *c, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	fail_msg("no result for %s", name);
	return NULL;
}

static void make_package(char *pkg, char *keyfile, char *pubfile, struct mtk_minisign_pubkey *pk)
{
	struct mtk_minisign_seckey sk;
	openssl_key(&sk, pk, 0x50);
	snprintf(pkg, 256, "%s/pkg", tmpdir);
	snprintf(keyfile, 256, "%s/signer.key", tmpdir);
	snprintf(pubfile, 256, "%s/signer.pub", tmpdir);
	mkdir(pkg, 0755);
	char sub[300];
	snprintf(sub, sizeof sub, "%s/images", pkg);
	mkdir(sub, 0755);
	test_write_text(pkg, "scatter.txt", "PRELOADER 0x0\n");
	test_write_text(pkg, "images/boot.img", "ANDROID! pretend");
	test_write_text(pkg, "images/system.img", "system");
	char *t = mtk_minisign_seckey_format(&sk, NULL);
	test_write_text(tmpdir, "signer.key", t);
	free(t);
	t = mtk_minisign_pubkey_format(pk, NULL);
	test_write_text(tmpdir, "signer.pub", t);
	free(t);
}

static void test_manifest_dir(void **state)
{
	(void)state;
	mtk_ctx *ctx = mtk_ctx_new();
	char pkg[256], keyfile[256], pubfile[256];
	struct mtk_minisign_pubkey pk;
	make_package(pkg, keyfile, pubfile, &pk);
	size_t n = 0;
	assert_int_equal(mtk_manifest_create(ctx, pkg, keyfile, NULL, &n), 0);
	assert_int_equal(n, 3);
	/* A second run lists the same files: SHA256SUMS* are not hashed into themselves. */
	assert_int_equal(mtk_manifest_create(ctx, pkg, keyfile, "second run", &n), 0);
	assert_int_equal(n, 3);

	const char *trust[] = {pubfile};
	struct mtk_manifest m;
	assert_int_equal(mtk_manifest_load(ctx, pkg, trust, 1, NULL, &m), 0);
	assert_int_equal(m.sig, MTK_SIG_TRUSTED);
	assert_string_equal(m.trusted_comment, "second run");
	assert_int_equal(m.count, 3);
	assert_string_equal(m.entries[0].name, "images/boot.img"); /* sorted */
	assert_string_equal(m.entries[2].name, "scatter.txt");
	struct mtk_entry_check *c;
	size_t nc;
	assert_int_equal(mtk_manifest_check_dir(ctx, pkg, &m, &c, &nc), 0);
	assert_int_equal(nc, 3);
	mtk_entry_checks_free(c, nc);
	mtk_manifest_free(&m);

	/* tampered, removed and added files */
	test_write_text(pkg, "images/system.img", "systen");
	char path[512];
	snprintf(path, sizeof path, "%s/scatter.txt", pkg);
	unlink(path);
	test_write_text(pkg, "extra.bin", "x");
	assert_int_equal(mtk_manifest_load(ctx, pkg, trust, 1, NULL, &m), 0);
	assert_int_equal(mtk_manifest_check_dir(ctx, pkg, &m, &c, &nc), 3);
	assert_int_equal(nc, 4);
	assert_int_equal(find(c, nc, "images/system.img")->status, MTK_ENTRY_MISMATCH);
	assert_int_equal(find(c, nc, "scatter.txt")->status, MTK_ENTRY_MISSING);
	assert_int_equal(find(c, nc, "extra.bin")->status, MTK_ENTRY_UNLISTED);
	assert_int_equal(find(c, nc, "images/boot.img")->status, MTK_ENTRY_MATCH);
	mtk_entry_checks_free(c, nc);
	mtk_manifest_free(&m);

	/* nobody trusted; then the key in a trust folder */
	assert_int_equal(mtk_manifest_load(ctx, pkg, NULL, 0, NULL, &m), 0);
	assert_int_equal(m.sig, MTK_SIG_UNKNOWN_KEY);
	mtk_manifest_free(&m);
	char tdir[300];
	snprintf(tdir, sizeof tdir, "%s/trusted", tmpdir);
	mkdir(tdir, 0755);
	test_write_text(tdir, "broken.pub", "not a key\n"); /* skipped with a warning */
	char *t = mtk_minisign_pubkey_format(&pk, NULL);
	test_write_text(tdir, "vendor.pub", t);
	free(t);
	assert_int_equal(mtk_manifest_load(ctx, pkg, NULL, 0, tdir, &m), 0);
	assert_int_equal(m.sig, MTK_SIG_TRUSTED);
	mtk_manifest_free(&m);

	/* SHA256SUMS edited after signing */
	snprintf(path, sizeof path, "%s/SHA256SUMS", pkg);
	FILE *f = fopen(path, "ab");
	fputs(HASH_EMPTY "  extra.bin\n", f);
	fclose(f);
	assert_int_equal(mtk_manifest_load(ctx, pkg, trust, 1, NULL, &m), 0);
	assert_int_equal(m.sig, MTK_SIG_BAD);
	assert_int_equal(m.count, 4);
	mtk_manifest_free(&m);

	/* no signature at all */
	snprintf(path, sizeof path, "%s/SHA256SUMS.minisig", pkg);
	unlink(path);
	assert_int_equal(mtk_manifest_load(ctx, pkg, trust, 1, NULL, &m), 0);
	assert_int_equal(m.sig, MTK_SIG_UNSIGNED);
	mtk_manifest_free(&m);

	/* a secret key inside the package would be published: refused */
	snprintf(path, sizeof path, "%s/images/leak.key", pkg);
	assert_int_equal(link(keyfile, path), 0);
	assert_int_equal(mtk_manifest_create(ctx, pkg, path, NULL, &n), MTK_E_POLICY);
	mtk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sums_parse),
	        cmocka_unit_test(test_sums_bad_lines),
	        cmocka_unit_test(test_name_ok),
	        cmocka_unit_test(test_minisign_roundtrip),
	        cmocka_unit_test(test_minisign_legacy_ed),
	        cmocka_unit_test(test_minisign_parse_errors),
	        cmocka_unit_test_setup_teardown(test_sha256_file, setup_dir, teardown_dir),
	        cmocka_unit_test_setup_teardown(test_manifest_dir, setup_dir, teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
