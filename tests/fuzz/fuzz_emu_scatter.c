/* SPDX-License-Identifier: MIT */
/* The emulator's scatter reader (emu/scatter_lite.c) on arbitrary text. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu_storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_scatter sc;
	char err[512];
	if (emu_scatter_parse((const char *)data, size, "fuzz", &sc, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < sc.count; i++)
			if (strlen(sc.parts[i].name) >= sizeof(sc.parts[i].name))
				__builtin_trap();
		emu_scatter_free(&sc);
	} else if (sc.parts || !err[0]) {
		__builtin_trap(); /* a failure frees everything and always says why */
	}
	return 0;
}
