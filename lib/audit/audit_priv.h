/* SPDX-License-Identifier: MIT */
/* What the audit log's writer and verifier must agree on. */
#ifndef MTK_AUDIT_PRIV_H
#define MTK_AUDIT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/audit.h"

/* Lower-case hex SHA-256 of `len` bytes into out[65]; false if OpenSSL fails. */
bool mtk_audit_hash_hex(const void *buf, size_t len, char out[65]);

/* The bytes the station key signs for a chain head of `events` event lines:
 * "mtkflash audit log v1\nhead <hex>\nevents <n>\n", into out. */
int mtk_audit_signed_text(const char head[65], size_t events, char *out, size_t cap);

/* RFC 3339, UTC, milliseconds: sortable and unambiguous across stations;
 * the flash history stamps its jobs the same way. */
void mtk_audit_utc_now(char out[32]);

/* Keys every line has; an event may not set them. */
bool mtk_audit_reserved_key(const char *key);

#endif
