/* SPDX-License-Identifier: MIT */
/* Signed package manifests: SHA256SUMS (sha256sum's format) plus a detached
 * Ed25519 signature in minisign's format (SHA256SUMS.minisig). */
#ifndef MTKFLASH_MANIFEST_H
#define MTKFLASH_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_sig_state {
	MTK_SIG_UNSIGNED = 0,   /* no SHA256SUMS.minisig (or no SHA256SUMS at all) */
	MTK_SIG_TRUSTED,        /* good signature by a key in the trust set */
	MTK_SIG_UNKNOWN_KEY,    /* well-formed signature by a key we do not trust */
	MTK_SIG_BAD,            /* signature does not verify (file altered) */
};
const char *mtk_sig_state_name(enum mtk_sig_state s); /* "trusted", "unknown-key", "bad", "unsigned" */

struct mtk_manifest_entry {
	char *name;          /* relative path as listed */
	uint8_t sha256[32];
};

struct mtk_manifest {
	struct mtk_manifest_entry *entries;
	size_t count;
	enum mtk_sig_state sig;
	char key_id[17];     /* hex key id of the signer, "" if unsigned */
	char trusted_comment[256];
	char sig_detail[192]; /* why the state is what it is ("key 1A2B... not in the trust set") */
};

/* Parse a SHA256SUMS buffer.  Errors name the line. */
int mtk_sha256sums_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
			 struct mtk_manifest *out);
/* Load DIR/SHA256SUMS (absent: count 0, MTK_SIG_UNSIGNED, returns 0) and check
 * DIR/SHA256SUMS.minisig against the trusted public keys: the files named in
 * trust_files plus every *.pub in trust_dir (NULL = none).  The library reads
 * no environment: the CLI passes $XDG_CONFIG_HOME/mtkflash/trusted-keys. */
int mtk_manifest_load(mtk_ctx *ctx, const char *dir, const char *const *trust_files, size_t ntrust,
		      const char *trust_dir, struct mtk_manifest *out);
/* The listed hash for a relative name, or NULL. */
const uint8_t *mtk_manifest_lookup(const struct mtk_manifest *m, const char *name);
void mtk_manifest_free(struct mtk_manifest *m);

/* Hash a whole file, streaming (never loads it whole).  Reports progress
 * (what = the path) for files of 64 MiB and more. */
int mtk_sha256_file(mtk_ctx *ctx, const char *path, uint8_t out[32], uint64_t *size);

/* SHA256SUMS text for the entries, in their order, as `sha256sum` writes it
 * (names with '\\' or newline escaped the way GNU sha256sum does).  Caller frees. */
char *mtk_sha256sums_format(const struct mtk_manifest *m, size_t *len);
/* A name as a manifest may list it: relative, no "." or ".." component, no
 * empty component, no NUL. */
bool mtk_manifest_name_ok(const char *name);

/* Every regular file under DIR (recursively, sorted by path; symbolic links
 * and special files are skipped; top-level SHA256SUMS* are skipped), hashed.
 * Names are relative to DIR with '/' separators. */
int mtk_manifest_hash_dir(mtk_ctx *ctx, const char *dir, struct mtk_manifest *out);
/* Hash DIR and write DIR/SHA256SUMS and DIR/SHA256SUMS.minisig signed with
 * the secret key in KEYFILE.  trusted_comment NULL = "timestamp:<now>\tfile:SHA256SUMS". */
int mtk_manifest_create(mtk_ctx *ctx, const char *dir, const char *keyfile, const char *trusted_comment,
			size_t *nfiles);

/* Per-file result of checking a directory against its manifest. */
enum mtk_entry_status {
	MTK_ENTRY_MATCH = 0,
	MTK_ENTRY_MISMATCH, /* listed, present, different hash */
	MTK_ENTRY_MISSING,  /* listed, not present (or not a regular file) */
	MTK_ENTRY_UNLISTED, /* present, not listed */
};
const char *mtk_entry_status_name(enum mtk_entry_status s); /* "match", "mismatch", "missing", "unlisted" */
struct mtk_entry_check {
	char *name;
	enum mtk_entry_status status;
	uint64_t size; /* bytes hashed; 0 when missing */
};
/* Check every listed file and find unlisted ones.  Results are sorted by name;
 * returns the number of entries that are not MTK_ENTRY_MATCH (>= 0) or an error. */
int mtk_manifest_check_dir(mtk_ctx *ctx, const char *dir, const struct mtk_manifest *m,
			   struct mtk_entry_check **out, size_t *n);
void mtk_entry_checks_free(struct mtk_entry_check *c, size_t n);

/* ---- minisign keys and signatures (buffers in, buffers out; no I/O) ----
 *
 * Public key file:  "untrusted comment: ..." line, then base64 of
 *                   "Ed" || key id (8 bytes, LE) || Ed25519 public key (32).
 * Signature file:   "untrusted comment: ..." line, base64 of
 *                   alg ("Ed" = over the message, "ED" = over its BLAKE2b-512)
 *                   || key id || signature (64); "trusted comment: TEXT" line;
 *                   base64 of the global signature over signature || TEXT.
 * Secret key file:  mtkflash's own unencrypted format, see docs/signing.md:
 *                   "untrusted comment: ..." line, then base64 of
 *                   "Ed" "M1" || key id || seed (32) || public key (32)
 *                   || SHA-256 of the preceding 76 bytes. */
#define MTK_MINISIGN_COMMENT_MAX 1024

struct mtk_minisign_pubkey {
	uint8_t key_id[8];
	uint8_t pk[32];
};
struct mtk_minisign_seckey {
	uint8_t key_id[8];
	uint8_t seed[32];
	uint8_t pk[32];
};
struct mtk_minisign_sig {
	char alg[3];             /* "Ed" or "ED" */
	uint8_t key_id[8];
	uint8_t sig[64];
	char trusted_comment[MTK_MINISIGN_COMMENT_MAX + 1];
	uint8_t global_sig[64];
};

/* Key id as minisign prints it: the little-endian u64 in upper-case hex. */
void mtk_minisign_key_id_hex(const uint8_t key_id[8], char out[17]);

int mtk_minisign_pubkey_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
			      struct mtk_minisign_pubkey *out);
int mtk_minisign_seckey_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
			      struct mtk_minisign_seckey *out);
int mtk_minisign_sig_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
			   struct mtk_minisign_sig *out);

/* The secret key file `keyfile` (read, parsed, the buffer wiped). */
int mtk_minisign_seckey_load(mtk_ctx *ctx, const char *keyfile, struct mtk_minisign_seckey *sk);

/* A trust set: every file in `files` (an unreadable or malformed one is an
 * error) and every *.pub in `dir` (NULL = none; a broken one is skipped with
 * a warning).  *keys (free it) may be NULL when *n is 0. */
int mtk_trust_load(mtk_ctx *ctx, const char *const *files, size_t nfiles, const char *dir,
		   struct mtk_minisign_pubkey **keys, size_t *n);

/* Which trusted key (index into keys) made SIG over MSG.  Returns the state:
 * MTK_SIG_TRUSTED (*which set), MTK_SIG_UNKNOWN_KEY, or MTK_SIG_BAD (with the
 * reason in the context's error message). */
enum mtk_sig_state mtk_minisign_verify(mtk_ctx *ctx, const struct mtk_minisign_sig *sig,
				       const struct mtk_minisign_pubkey *keys, size_t nkeys, const uint8_t *msg,
				       size_t len, size_t *which);

/* A fresh key pair (random key id). */
int mtk_minisign_keygen(mtk_ctx *ctx, struct mtk_minisign_seckey *sk, struct mtk_minisign_pubkey *pk);
/* Text of the key files; untrusted_comment NULL = the default.  Caller frees. */
char *mtk_minisign_pubkey_format(const struct mtk_minisign_pubkey *pk, const char *untrusted_comment);
char *mtk_minisign_seckey_format(const struct mtk_minisign_seckey *sk, const char *untrusted_comment);
/* A prehashed ("ED") signature file over MSG.  Caller frees *out. */
int mtk_minisign_sign(mtk_ctx *ctx, const struct mtk_minisign_seckey *sk, const uint8_t *msg, size_t len,
		      const char *trusted_comment, char **out);

#ifdef __cplusplus
}
#endif
#endif
