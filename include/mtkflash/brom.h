/* SPDX-License-Identifier: MIT */
/* BootROM / preloader download protocol (the stage before a Download Agent).
 * Byte-level reference: docs/reference/brom-protocol.md (shared). */
#ifndef MTKFLASH_BROM_H
#define MTKFLASH_BROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/chips.h"
#include "mtkflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* GET_TARGET_CONFIG bits (brom-protocol.md §3.8). */
#define MTK_TGT_SBC 0x00000001u
#define MTK_TGT_SLA 0x00000002u
#define MTK_TGT_DAA 0x00000004u
#define MTK_TGT_EPP 0x00000008u
#define MTK_TGT_ROOTCERT 0x00000010u
#define MTK_TGT_MEM_READ_AUTH 0x00000020u
#define MTK_TGT_MEM_WRITE_AUTH 0x00000040u
#define MTK_TGT_CMD_C8_BLOCKED 0x00000080u
#define MTK_TGT_SCTRL_CERT 0x00000100u

struct mtk_tgt_flag_info {
	uint32_t mask;
	const char *name;    /* "DAA" */
	const char *meaning; /* plain language, for flashing: "the Download Agent must be signed by the vendor" */
};
/* NULL-terminated table of every known flag. */
extern const struct mtk_tgt_flag_info mtk_tgt_flags[];

/* Catalogue name of a BROM/preloader status word ("DA_LEN_IS_ZERO",
 * "S_BROM_CMD_SEND_DA_FAIL"), or NULL if unknown (mtkflash/status.h has its texts). */
const char *mtk_brom_status_name(uint16_t status);
/* What a refusal means for flashing ("This phone requires serial link
 * authentication (SLA) ..."), or NULL when there is nothing to add. */
const char *mtk_brom_status_hint(uint16_t status);
/* True when the status comes from the device's security (SLA, DAA, SBC,
 * certificates, anti-rollback): such refusals map to MTK_E_SECURITY. */
bool mtk_brom_status_is_security(uint16_t status);

enum mtk_brom_mode { MTK_MODE_BROM, MTK_MODE_PRELOADER };

/* Everything the handshake-and-identify sequence learns. */
struct mtk_brom_info {
	enum mtk_brom_mode mode;
	uint16_t hw_code;
	uint16_t hw_sub_code, hw_ver, sw_ver;
	uint8_t bl_ver;        /* 0xFE in BROM mode, else the preloader's version (1..3) */
	uint8_t brom_ver;      /* GET_VERSION answer (0xFF echo from a preloader) */
	uint32_t target_config;
	bool have_me_id, have_soc_id;
	uint8_t me_id[16];
	uint8_t soc_id[32];
	uint8_t me_id_len, soc_id_len; /* bytes the device sent (capped at the array sizes) */
	bool watchdog_disabled;
	const struct mtk_chip *chip; /* NULL if the hw_code is not in our table */
};

struct mtk_brom {
	struct mtk_transport *tp;
	mtk_ctx *ctx;
	struct mtk_brom_info info;
};

/* mtk_brom_handshake's answer when every A0 came back as A0: the device is
 * already past its handshake, in its command loop (brom-protocol.md §2.6). */
#define MTK_BROM_HS_ECHO 1
/* Handshake (A0 0A 50 05) as §2.2a/§2.6 say a robust host does it: skips
 * READY banners and stray bytes, resends the A0 a listening preloader eats,
 * says so when a preloader's listen window closes.  0, MTK_BROM_HS_ECHO, or
 * a negative MTK_E_* code. */
int mtk_brom_handshake(struct mtk_brom *b, int timeout_ms);
/* On a device in its command loop: FE/FF tell BootROM from preloader (and
 * from a port that echoes everything) without a second handshake. */
int mtk_brom_probe_command_loop(struct mtk_brom *b);
/* The identify sequence alone, for a device already in its command loop:
 * GET_HW_CODE, watchdog, GET_TARGET_CONFIG, GET_BL_VER, GET_VERSION,
 * GET_HW_SW_VER, GET_ME_ID, GET_SOC_ID: fills b->info. */
int mtk_brom_identify(struct mtk_brom *b, struct mtk_transport *tp);
/* Handshake (or, on an echoing device, the FE/FF probe) + identify. */
int mtk_brom_connect(struct mtk_brom *b, struct mtk_transport *tp, int timeout_ms);

int mtk_brom_get_hw_code(struct mtk_brom *b, uint16_t *hw_code);
int mtk_brom_get_hw_sw_ver(struct mtk_brom *b, uint16_t *sub, uint16_t *hw, uint16_t *sw);
int mtk_brom_get_bl_ver(struct mtk_brom *b, uint8_t *ver);
int mtk_brom_get_version(struct mtk_brom *b, uint8_t *ver);
int mtk_brom_get_target_config(struct mtk_brom *b, uint32_t *cfg);
int mtk_brom_get_me_id(struct mtk_brom *b, uint8_t me_id[16]);
int mtk_brom_get_soc_id(struct mtk_brom *b, uint8_t soc_id[32]);
int mtk_brom_read32(struct mtk_brom *b, uint32_t addr, uint32_t *vals, uint32_t count);
int mtk_brom_write32(struct mtk_brom *b, uint32_t addr, const uint32_t *vals, uint32_t count);
int mtk_brom_write16(struct mtk_brom *b, uint32_t addr, const uint16_t *vals, uint32_t count);
int mtk_brom_disable_watchdog(struct mtk_brom *b);
/* Upload `len` bytes (image followed by its sig_len-byte signature) to addr;
 * verifies the device's XOR-16 checksum (a mismatch is MTK_E_VERIFY).  An odd
 * length is sent with one zero byte appended, as the BootROM wants even ones. */
int mtk_brom_send_da(struct mtk_brom *b, uint32_t addr, const uint8_t *data, uint32_t len, uint32_t sig_len);
int mtk_brom_jump_da(struct mtk_brom *b, uint32_t addr);
int mtk_brom_send_cert(struct mtk_brom *b, const uint8_t *data, uint32_t len);
/* Returns 1 (not an error) when the device answers NO_AUTH_NEEDED. */
int mtk_brom_send_auth(struct mtk_brom *b, const uint8_t *data, uint32_t len);

/* Per-command timeouts (ms).  SEND_DA's final answer waits for the device to
 * check a signature, so it gets longer. */
#define MTK_BROM_CMD_TIMEOUT_MS 2000
#define MTK_BROM_VERIFY_TIMEOUT_MS 5000
/* Largest single write of an upload: the link is a byte stream, so bigger
 * writes only cut per-call overhead; progress is reported per write. */
#define MTK_BROM_UPLOAD_CHUNK 0x10000u

#ifdef __cplusplus
}
#endif
#endif
