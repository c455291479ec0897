/* SPDX-License-Identifier: MIT */
/* The sample firmware's signed file list (docs/signing.md): SHA256SUMS as
 * sha256sum writes it and SHA256SUMS.minisig, an Ed25519 signature in
 * minisign's format, made with a demo key whose seed is public (derived from
 * a fixed string), so every run signs the same bytes and anyone can rebuild
 * the key: it proves nothing beyond "this is the emulator's sample".
 *
 * Written from the format description, not with lib/image: the client's
 * verifier must not be able to share a misreading with its test data. */
#include "emu_fw.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/core.h"

#define DEMO_SEED_TEXT "mtkemu sample firmware demo key (public: tests and demos only)"
#define TRUSTED_COMMENT "timestamp:1700000000\tfile:SHA256SUMS\thashed\tmtkemu sample firmware"

struct demo_key {
	EVP_PKEY *pkey;
	uint8_t pk[32], id[8];
};

/* The key pair from its public seed; its id is the first 8 bytes of the
 * public key's SHA-256 (minisign ids are random: any fixed choice will do). */
static int demo_key(struct demo_key *k)
{
	uint8_t seed[32], h[32];
	unsigned n = 32;
	size_t len = 32;
	EVP_Digest(DEMO_SEED_TEXT, strlen(DEMO_SEED_TEXT), seed, &n, EVP_sha256(), NULL);
	k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof seed);
	if (!k->pkey || EVP_PKEY_get_raw_public_key(k->pkey, k->pk, &len) != 1 || len != 32) {
		EVP_PKEY_free(k->pkey);
		return MTK_E_IO;
	}
	EVP_Digest(k->pk, 32, h, &n, EVP_sha256(), NULL);
	memcpy(k->id, h, 8);
	return 0;
}

/* Ed25519 signs the message itself (no pre-hash: the digest type is NULL). */
static int sign_with(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 64;
	bool ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
	          EVP_DigestSign(md, sig, &n, msg, len) == 1;
	EVP_MD_CTX_free(md);
	return ok && n == 64 ? 0 : MTK_E_IO;
}

/* Standard base64 with padding into out (cap >= 4 * ceil(n / 3) + 1). */
static void b64(char *out, const uint8_t *in, size_t n)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

int emu_fw_pubkey_text(char *out, size_t cap)
{
	struct demo_key k;
	if (demo_key(&k))
		return MTK_E_IO;
	EVP_PKEY_free(k.pkey);
	uint8_t blob[42];
	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, k.id, 8);
	memcpy(blob + 10, k.pk, 32);
	char enc[64];
	b64(enc, blob, sizeof blob);
	int n = snprintf(out, cap, "untrusted comment: mtkemu demo key (its secret is public: trust it only in tests)\n%s\n",
	                 enc);
	return n > 0 && (size_t)n < cap ? n : MTK_E_RANGE;
}

int emu_fw_minisig_text(const uint8_t *msg, size_t len, char *out, size_t cap)
{
	struct demo_key k;
	const size_t tc = strlen(TRUSTED_COMMENT);
	uint8_t digest[64], blob[74], global_msg[64 + sizeof TRUSTED_COMMENT], global[64];
	unsigned dn = 64;
	if (demo_key(&k))
		return MTK_E_IO;
	/* "ED": the signature covers the BLAKE2b-512 of the file (minisign >= 0.8);
	 * the global signature covers that signature and the trusted comment */
	memcpy(blob, "ED", 2);
	memcpy(blob + 2, k.id, 8);
	int rc = EVP_Digest(msg, len, digest, &dn, EVP_blake2b512(), NULL) == 1 ? 0 : MTK_E_IO;
	if (rc == 0)
		rc = sign_with(k.pkey, digest, sizeof digest, blob + 10);
	memcpy(global_msg, blob + 10, 64);
	memcpy(global_msg + 64, TRUSTED_COMMENT, tc);
	if (rc == 0)
		rc = sign_with(k.pkey, global_msg, 64 + tc, global);
	EVP_PKEY_free(k.pkey);
	if (rc)
		return rc;
	char e1[128], e2[128];
	b64(e1, blob, sizeof blob);
	b64(e2, global, sizeof global);
	int n = snprintf(out, cap,
	                 "untrusted comment: signature from the mtkemu demo key\n%s\ntrusted comment: %s\n%s\n", e1,
	                 TRUSTED_COMMENT, e2);
	return n > 0 && (size_t)n < cap ? n : MTK_E_RANGE;
}
