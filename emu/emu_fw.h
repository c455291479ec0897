/* SPDX-License-Identifier: MIT */
/* `mtkemu mkfirmware` (mkfirmware.c) and the demo signature (fwsign.c). */
#ifndef MTKEMU_FW_H
#define MTKEMU_FW_H

#include <stddef.h>
#include <stdint.h>

/* The demo public key file (minisign format); returns its length. */
int emu_fw_pubkey_text(char *out, size_t cap);
/* SHA256SUMS.minisig for msg, signed by the demo key; returns its length. */
int emu_fw_minisig_text(const uint8_t *msg, size_t len, char *out, size_t cap);

int emu_mkfirmware_main(int argc, char **argv);

#endif
