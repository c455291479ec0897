/* SPDX-License-Identifier: MIT */
/* For fuzz targets whose code under test parses JSON with jansson: its
 * allocations (a dozen per line parsed) come from one arena that is reset
 * after each input, instead of ASan's allocator, whose bookkeeping (stack
 * traces, quarantine, shadow) was half of fuzz_audit_log's time.  ASan still
 * sees every access: blocks are surrounded by poisoned bytes and poisoned
 * when freed (until the reset, then all of the arena is).  A leak is still
 * found: an input that ends with a block not freed aborts. */
#ifndef JSON_ARENA_H
#define JSON_ARENA_H

/* Once, before any JSON is parsed (LLVMFuzzerInitialize). */
void json_arena_init(void);

/* After each input: aborts if a block is still live, then resets. */
void json_arena_end_input(void);

#endif
