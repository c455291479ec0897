/* SPDX-License-Identifier: MIT */
/* jansson's allocations from one arena per input (see json_arena.h).
 *
 * Every block is a 16-byte header (its size and state), the bytes asked for,
 * and a redzone; everything but a live block's bytes stays poisoned, so a
 * read past a string jansson returned, or a use of a value after
 * json_decref, is still an ASan report, as with malloc.  A block that does
 * not fit comes from malloc. */
#include "json_arena.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#define ARENA_SIZE (16u << 20)
#define HDR        16u
#define REDZONE    16u
#define LIVE       0x4c495645u /* "LIVE" */
#define FREED      0x46524545u /* "FREE" */

struct hdr {
	uint32_t size;
	uint32_t state;
};

static uint8_t *arena;
static size_t top, high;
static size_t live; /* blocks not freed yet, arena or malloc */

static void bad(const char *what)
{
	fprintf(stderr, "json_arena: %s\n", what);
	abort();
}

static bool in_arena(const void *p)
{
	return arena && (const uint8_t *)p >= arena && (const uint8_t *)p < arena + ARENA_SIZE;
}

static struct hdr read_hdr(uint8_t *b)
{
	struct hdr h;
	ASAN_UNPOISON_MEMORY_REGION(b - HDR, sizeof h);
	memcpy(&h, b - HDR, sizeof h);
	ASAN_POISON_MEMORY_REGION(b - HDR, sizeof h);
	return h;
}

static void write_hdr(uint8_t *b, struct hdr h)
{
	ASAN_UNPOISON_MEMORY_REGION(b - HDR, sizeof h);
	memcpy(b - HDR, &h, sizeof h);
	ASAN_POISON_MEMORY_REGION(b - HDR, sizeof h);
}

static void *arena_malloc(size_t n)
{
	size_t need = HDR + ((n + 15) & ~(size_t)15) + REDZONE;
	live++;
	if (n > UINT32_MAX || need > ARENA_SIZE - top)
		return malloc(n ? n : 1);
	uint8_t *b = arena + top + HDR;
	top += need;
	if (top > high)
		high = top;
	write_hdr(b, (struct hdr){.size = (uint32_t)n, .state = LIVE});
	ASAN_UNPOISON_MEMORY_REGION(b, n);
	return b;
}

static void arena_free(void *p)
{
	if (!p)
		return;
	if (!live)
		bad("free of a block never allocated here");
	live--;
	if (!in_arena(p)) {
		free(p);
		return;
	}
	struct hdr h = read_hdr(p);
	if (h.state != LIVE)
		bad(h.state == FREED ? "double free" : "free of a pointer that is not a block's start");
	h.state = FREED;
	write_hdr(p, h);
	ASAN_POISON_MEMORY_REGION(p, h.size);
}

void json_arena_init(void)
{
	arena = malloc(ARENA_SIZE);
	if (!arena)
		bad("out of memory");
	ASAN_POISON_MEMORY_REGION(arena, ARENA_SIZE);
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void json_arena_end_input(void)
{
	if (live)
		bad("jansson values leaked by this input (json_decref missing)");
	ASAN_POISON_MEMORY_REGION(arena, high);
	top = high = 0;
}
