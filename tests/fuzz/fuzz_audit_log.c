/* SPDX-License-Identifier: MIT */
/* The audit-log verifier on arbitrary bytes: lines, JSON, chain fields and
 * the embedded minisign signature.  Checked against a fixed trusted key that
 * no seed was signed with, a log must never come out verified. */
#include <stdint.h>
#include <stdlib.h>

#include "mtkflash/audit.h"

static const struct mtk_minisign_pubkey fixed_key = {
	.key_id = {8, 7, 6, 5, 4, 3, 2, 1},
	/* the Ed25519 public key of RFC 8032 test 2 */
	.pk = {0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc,
	       0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4, 0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_audit_report r;
	if (mtk_audit_verify_buf(NULL, data, size, NULL, 0, &r) == 0 && r.problem == MTK_AUDIT_OK)
		abort(); /* no trusted key: never verified */
	if (mtk_audit_verify_buf(NULL, data, size, &fixed_key, 1, &r) == 0 && r.problem == MTK_AUDIT_OK)
		abort(); /* a forgery, or a check skipped */
	return 0;
}
