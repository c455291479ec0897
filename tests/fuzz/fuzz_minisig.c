/* SPDX-License-Identifier: MIT */
/* minisign signature, public key and secret key parsers on the same bytes;
 * a signature that parses is verified against a fixed key over a fixed
 * message, which must never come out trusted. */
#include <stdint.h>
#include <stdlib.h>

#include "mtkflash/manifest.h"

static const struct mtk_minisign_pubkey fixed_key = {
        .key_id = {1, 2, 3, 4, 5, 6, 7, 8},
        /* the Ed25519 public key of RFC 8032 test 1 */
        .pk = {0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
               0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
               0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mtk_minisign_sig sig;
	struct mtk_minisign_pubkey pk;
	struct mtk_minisign_seckey sk;
	(void)mtk_minisign_pubkey_parse(NULL, "fuzz.pub", data, size, &pk);
	(void)mtk_minisign_seckey_parse(NULL, "fuzz.key", data, size, &sk);
	if (mtk_minisign_sig_parse(NULL, "fuzz.minisig", data, size, &sig) < 0)
		return 0;
	static const uint8_t msg[] = "SHA256SUMS content\n";
	if (mtk_minisign_verify(NULL, &sig, &fixed_key, 1, msg, sizeof msg - 1, NULL) == MTK_SIG_TRUSTED)
		abort(); /* a forgery, or a parser that lets a signature through unchecked */
	return 0;
}
