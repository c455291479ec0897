/* SPDX-License-Identifier: MIT */
/* What the audit log's writer and verifier must agree on. */
#ifndef MTK_AUDIT_PRIV_H
#define MTK_AUDIT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mtkflash/audit.h"

/* Lower-case hex SHA-256 of `len` bytes into out[65]; false if OpenSSL fails. */
bool mtk_audit_hash_hex(const void *buf, size_t len, char out[65]);

/* The same hash for many lines (the verifier): the digest fetched and the
 * context made once, not per line, where they were a fifth of verifying. */
struct mtk_audit_hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};
bool mtk_audit_hasher_init(struct mtk_audit_hasher *h);
bool mtk_audit_hasher_hex(struct mtk_audit_hasher *h, const void *buf, size_t len, char out[65]);
void mtk_audit_hasher_free(struct mtk_audit_hasher *h);

/* The bytes the station key signs for a chain head of `events` event lines:
 * "mtkflash audit log v1\nhead <hex>\nevents <n>\n", into out. */
int mtk_audit_signed_text(const char head[65], size_t events, char *out, size_t cap);

/* RFC 3339, UTC, milliseconds: sortable and unambiguous across stations;
 * the flash history stamps its jobs the same way. */
void mtk_audit_utc_now(char out[32]);

/* Keys every line has; an event may not set them. */
bool mtk_audit_reserved_key(const char *key);

#endif
