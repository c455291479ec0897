/* SPDX-License-Identifier: MIT */
/* Sanitizer defaults linked into every fuzz target (ASAN_OPTIONS still
 * overrides them).
 *
 * quarantine_size_mb: ASan keeps freed memory out of use until 256 MiB more
 * has been freed, to catch a late use after free.  A fuzz target allocates
 * and frees the same buffers for every input, so with that default each
 * input's allocations came from memory not touched for a while: page faults
 * and the allocator refilling its free lists were a quarter to two thirds of
 * an emulator target's time.  16 MiB still outlasts what one input frees
 * many times over (its buffers are at most a few MiB), so a use after free
 * within an input, or in the next one, is still caught. */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}
