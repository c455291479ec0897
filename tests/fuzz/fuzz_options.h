/* SPDX-License-Identifier: MIT */
/* Per-target libFuzzer defaults (fuzz_options.c). */
#ifndef FUZZ_OPTIONS_H
#define FUZZ_OPTIONS_H

#include <stddef.h>

/* For LLVMFuzzerInitialize: adds -max_len=N to the arguments unless the
 * command line gives one (libFuzzer parses its flags after the call). */
void fuzz_default_max_len(int *argc, char ***argv, size_t n);

#endif
