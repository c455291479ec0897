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
#include "fuzz_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

void fuzz_default_max_len(int *argc, char ***argv, size_t n)
{
	static char flag[32];
	for (int i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-max_len=", 9) == 0)
			return;
	char **args = calloc((size_t)*argc + 2, sizeof *args);
	if (!args)
		return; /* libFuzzer's own default then */
	memcpy(args, *argv, (size_t)*argc * sizeof *args);
	snprintf(flag, sizeof flag, "-max_len=%zu", n);
	args[(*argc)++] = flag;
	*argv = args; /* lives as long as the process, as argv does */
}
