/* SPDX-License-Identifier: MIT */
/* The audit-log verifier on arbitrary bytes: lines, JSON, chain fields and
 * the embedded minisign signature.  Checked against a fixed trusted key that
 * no seed was signed with, a log must never come out verified.  jansson
 * allocates from json_arena.c (still checked by ASan, leaks still found). */
#include <stdint.h>
#include <stdlib.h>

#include "fixed_key.h"
#include "json_arena.h"
#include "mtkflash/audit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_arena_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_audit_report r;
	if (mtk_audit_verify_buf(NULL, data, size, NULL, 0, &r) == 0 && r.problem == MTK_AUDIT_OK)
		abort(); /* no trusted key: never verified */
	if (mtk_audit_verify_buf(NULL, data, size, &fixed_key, 1, &r) == 0 && r.problem == MTK_AUDIT_OK)
		abort(); /* a forgery, or a check skipped */
	json_arena_end_input();
	return 0;
}
