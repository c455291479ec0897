/* SPDX-License-Identifier: MIT */
/* Signed package manifests: SHA256SUMS (sha256sum's format) plus a detached
 * Ed25519 signature in minisign's format (SHA256SUMS.minisig). */
#ifndef MTKFLASH_MANIFEST_H
#define MTKFLASH_MANIFEST_H

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
};

/* Parse a SHA256SUMS buffer.  Errors name the line. */
int mtk_sha256sums_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len,
			 struct mtk_manifest *out);
/* Load DIR/SHA256SUMS (absent: count 0, MTK_SIG_UNSIGNED, returns 0) and check
 * DIR/SHA256SUMS.minisig against the trusted public keys: the files named in
 * trust_files plus every *.pub in $XDG_CONFIG_HOME/mtkflash/trusted-keys/. */
int mtk_manifest_load(mtk_ctx *ctx, const char *dir, const char *const *trust_files, size_t ntrust,
		      struct mtk_manifest *out);
/* The listed hash for a relative name, or NULL. */
const uint8_t *mtk_manifest_lookup(const struct mtk_manifest *m, const char *name);
void mtk_manifest_free(struct mtk_manifest *m);

/* Hash a whole file, streaming (never loads it whole). */
int mtk_sha256_file(mtk_ctx *ctx, const char *path, uint8_t out[32], uint64_t *size);

#ifdef __cplusplus
}
#endif
#endif
