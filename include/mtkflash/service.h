/* SPDX-License-Identifier: MIT */
/* The station's service passphrase: what unlocks service mode (named
 * overrides of the risk policy).  Stored as an scrypt hash (OpenSSL
 * EVP_KDF "SCRYPT") with its random salt and N/r/p, in a file the caller
 * names (the CLI uses $XDG_CONFIG_HOME/mtkflash/service.pass), mode 0600:
 *
 *   mtkflash-service-passphrase 1
 *   kdf=scrypt
 *   n=32768
 *   r=8
 *   p=1
 *   salt=<32 hex digits>
 *   hash=<64 hex digits>
 *
 * Passphrases are bytes (no trailing newline), MTK_SERVICE_PASS_MIN to
 * MTK_SERVICE_PASS_MAX of them. */
#ifndef MTKFLASH_SERVICE_H
#define MTKFLASH_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_SERVICE_PASS_MIN 8
#define MTK_SERVICE_PASS_MAX 1024
#define MTK_SERVICE_FILE_MAX 1024

struct mtk_scrypt_params {
	uint64_t n; /* CPU/memory cost, a power of two */
	uint32_t r, p;
};
/* About 32 MiB and a tenth of a second per check. */
#define MTK_SCRYPT_DEFAULT ((struct mtk_scrypt_params){ 32768, 8, 1 })

struct mtk_service_record {
	struct mtk_scrypt_params params;
	uint8_t salt[16];
	uint8_t hash[32];
};

/* The file's text into r: every field present, parameters within the
 * limits a check may spend (memory 128*r*n at most 256 MiB).  `name`
 * names the file in messages. */
int mtk_service_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, struct mtk_service_record *r);

/* 1 when a passphrase is set at path, 0 when not, negative when the file
 * cannot be read or is malformed. */
int mtk_service_is_set(mtk_ctx *ctx, const char *path);

/* 0 when `pass` is the passphrase stored at path (compared in constant
 * time); MTK_E_DENIED when it is not, or when none is set. */
int mtk_service_check(mtk_ctx *ctx, const char *path, const char *pass, size_t len);

/* Stores new_pass with a new salt.  Replacing a passphrase takes the old one
 * (`old`, MTK_E_DENIED when wrong); setting the first one takes none (old
 * ignored).  params NULL = MTK_SCRYPT_DEFAULT.  The folder is created 0700. */
int mtk_service_set(mtk_ctx *ctx, const char *path, const char *old, size_t old_len, const char *new_pass,
		    size_t new_len, const struct mtk_scrypt_params *params);

#ifdef __cplusplus
}
#endif
#endif
