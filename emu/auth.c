/* SPDX-License-Identifier: MIT */
/* The secured profiles' root certificate and authentication file (SEND_CERT
 * and SEND_AUTH, brom-protocol.md §3.16), and `mtkemu mkauth`, which makes
 * both from a test key.
 *
 * The reference gives the wire exchange only: what a real file holds is
 * signed with vendor keys nobody publishes, and what a BootROM lets through
 * after accepting one is not documented.  Every guess lives here or in the
 * profile flag `auth_unlocks` (profiles.c):
 *
 * - the device's fuses hold one root public key (`--auth-key FILE`, the
 *   32-byte Ed25519 key mkauth writes as root.pub; real parts fuse a hash of
 *   an RSA key in a layout nobody published: Ed25519 is what OpenSSL gives
 *   us without padding choices).  Without a fused key every file is refused,
 *   as a phone refuses files that are not its vendor's;
 * - a certificate is the root key signing itself; an authentication file is
 *   the root key signing the chip's hw_code, so a file made for another chip
 *   is refused too;
 * - both are one layout (AUTH_LEN bytes, little-endian):
 *     magic[12] "MTKEMU-CERT\0" or "MTKEMU-AUTH\0", u16 hw_code (0 in a
 *     certificate), u16 zero, root public key[32], Ed25519 signature[64]
 *     over the 48 bytes before it. */
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/bytes.h"
#include "emu_fw.h"
#include "emu_internal.h"
#include "mtkflash/util.h"

#define SIGNED_LEN 48u
#define AUTH_LEN (SIGNED_LEN + 64u)
#define SEED_LEN 32u

static const char magic_cert[12] = "MTKEMU-CERT";
static const char magic_auth[12] = "MTKEMU-AUTH";

static bool ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len, const uint8_t sig[64])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = key && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
	          EVP_DigestVerify(md, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok;
}

bool emu_auth_accepts(const struct mtkemu *e, bool cert, const uint8_t *buf, size_t len)
{
	/* mtkflash pads to an even length (§3.16); the layout is even already.
	 * Parsed before the key is looked at, so the emu_brom fuzz target (no
	 * key) reaches the parser too. */
	struct mtk_rd r = mtk_rd_init(buf, len);
	const uint8_t *magic = mtk_rd_take(&r, sizeof magic_cert);
	uint16_t code = mtk_rd_u16le(&r), zero = mtk_rd_u16le(&r);
	const uint8_t *pub = mtk_rd_take(&r, 32), *sig = mtk_rd_take(&r, 64);
	if (r.bad || mtk_rd_left(&r) != 0 || memcmp(magic, cert ? magic_cert : magic_auth, sizeof magic_cert) != 0 ||
	    code != (cert ? 0 : e->prof->hw_code) || zero != 0)
		return false;
	if (!e->has_auth_key || memcmp(pub, e->auth_key, 32) != 0)
		return false;
	return ed25519_verify(e->auth_key, buf, SIGNED_LEN, sig);
}

int emu_auth_load_key(struct mtkemu *e, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[33];
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	if (f)
		fclose(f);
	if (!f || n != 32) {
		snprintf(err, errlen, "auth key %s: %s", path,
			 f ? "not a 32-byte root public key (mtkemu mkauth writes one as root.pub)" : "cannot read it");
		return -1;
	}
	memcpy(e->auth_key, buf, 32);
	e->has_auth_key = true;
	return 0;
}

/* ---- mtkemu mkauth ------------------------------------------------------------------------- */

struct test_key {
	EVP_PKEY *pkey;
	uint8_t pub[32];
};

static int test_key_from_seed(mtk_ctx *ctx, const char *path, struct test_key *k)
{
	uint8_t *seed = NULL;
	size_t len = 0;
	bool absent = false;
	int rc = mtk_read_small_file(ctx, path, 4096, &seed, &len, &absent);
	if (rc < 0)
		return rc;
	if (len != SEED_LEN) {
		free(seed);
		return mtk_fail(ctx, MTK_E_INVAL, "%s: a key is %u random bytes, this file has %zu", path, SEED_LEN, len);
	}
	size_t n = 32;
	k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, SEED_LEN);
	free(seed);
	if (!k->pkey || EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &n) != 1 || n != 32)
		return mtk_fail(ctx, MTK_E_IO, "%s: OpenSSL cannot make an Ed25519 key of it", path);
	return 0;
}

static int sign_file(mtk_ctx *ctx, const struct test_key *k, bool cert, uint16_t hw_code, uint8_t out[AUTH_LEN])
{
	memset(out, 0, AUTH_LEN);
	memcpy(out, cert ? magic_cert : magic_auth, sizeof magic_cert);
	mtk_put_u16le(out + 12, cert ? 0 : hw_code);
	memcpy(out + 16, k->pub, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 64;
	bool ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
	          EVP_DigestSign(md, out + SIGNED_LEN, &n, out, SIGNED_LEN) == 1 && n == 64;
	EVP_MD_CTX_free(md);
	return ok ? 0 : mtk_fail(ctx, MTK_E_IO, "OpenSSL could not sign");
}

static int put_file(mtk_ctx *ctx, const char *dir, const char *name, const uint8_t *buf, size_t len, bool force)
{
	char *path = mtk_path_join(dir, name);
	if (!path)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	struct mtk_outfile of;
	int rc = mtk_outfile_open(ctx, path, force ? MTK_OUT_FORCE : 0, &of);
	if (rc == 0)
		rc = mtk_write_all(ctx, of.fd, buf, len, path);
	rc = rc == 0 ? mtk_outfile_commit(&of) : (mtk_outfile_abort(&of), rc);
	if (rc == 0)
		printf("%s\n", path);
	free(path);
	return rc;
}

static int mkauth(mtk_ctx *ctx, const char *key_path, const char *chip, const char *dir, bool force)
{
	const struct emu_profile *prof = emu_profile_find(chip);
	if (!prof)
		return mtk_fail(ctx, MTK_E_NOTFOUND, "unknown chip '%s'", chip);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return mtk_fail(ctx, MTK_E_IO, "cannot create %s: %s", dir, strerror(errno));
	struct test_key k = { 0 };
	uint8_t cert[AUTH_LEN], auth[AUTH_LEN];
	int rc = test_key_from_seed(ctx, key_path, &k);
	if (rc == 0)
		rc = sign_file(ctx, &k, true, 0, cert);
	if (rc == 0)
		rc = sign_file(ctx, &k, false, prof->hw_code, auth);
	EVP_PKEY_free(k.pkey);
	if (rc == 0)
		rc = put_file(ctx, dir, "root.pub", k.pub, sizeof k.pub, force);
	if (rc == 0)
		rc = put_file(ctx, dir, "cert.bin", cert, sizeof cert, force);
	if (rc == 0)
		rc = put_file(ctx, dir, "auth.bin", auth, sizeof auth, force);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mtkemu mkauth --key SEED --chip CHIP --out DIR [--force]\n"
		   "  From SEED (a file of 32 random bytes: a test key, never a vendor's) writes\n"
		   "  DIR/root.pub (the public key to fuse: mtkemu --auth-key, emu:...,auth-key=),\n"
		   "  DIR/cert.bin (for --cert) and DIR/auth.bin (for --auth, made for CHIP).\n"
		   "  Tests and demos of the secured profiles only (docs/emulator.md).\n");
}

int emu_mkauth_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"key", required_argument, NULL, 'k'}, {"chip", required_argument, NULL, 'c'},
	        {"out", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
	};
	const char *key = NULL, *chip = NULL, *dir = NULL;
	bool force = false;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
		if (c == 'k')
			key = optarg;
		else if (c == 'c')
			chip = optarg;
		else if (c == 'o')
			dir = optarg;
		else if (c == 'f')
			force = true;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!key || !chip || !dir || optind < argc) {
		usage(stderr);
		return 2;
	}
	mtk_ctx *ctx = mtk_ctx_new();
	int rc = ctx ? mkauth(ctx, key, chip, dir, force) : MTK_E_NOMEM;
	if (rc)
		fprintf(stderr, "mtkemu mkauth: %s\n", ctx ? mtk_ctx_error(ctx) : "out of memory");
	mtk_ctx_free(ctx);
	return rc ? 1 : 0;
}
