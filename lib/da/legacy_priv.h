/* SPDX-License-Identifier: MIT */
/* Legacy DA protocol constants (da-legacy.md §0, §4.9), shared with the tests. */
#ifndef MTK_DA_LEGACY_PRIV_H
#define MTK_DA_LEGACY_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "da/da_priv.h"

#define LEGACY_ACK 0x5A
#define LEGACY_NACK 0xA5
#define LEGACY_CONT 0x69
#define LEGACY_SYNC 0xC0
#define LEGACY_SOC_OK 0xC1
#define LEGACY_SOC_FAIL 0xCF
#define LEGACY_RAM_NEEDED 0x00000BC3u

#define LEGACY_CMD_SWITCH_PART 0x60
#define LEGACY_CMD_WRITE_DATA 0x62
#define LEGACY_CMD_USB_SETUP_PORT 0x70
#define LEGACY_CMD_USB_CHECK_STATUS 0x72
#define LEGACY_CMD_READ_PMT 0xA5
#define LEGACY_CMD_FORMAT 0xD4
#define LEGACY_CMD_READ 0xD6
#define LEGACY_CMD_FINISH 0xD9
#define LEGACY_CMD_ENABLE_DRAM 0xE8

#define LEGACY_HOST_LINUX 0x0C
#define LEGACY_STORAGE_EMMC 0x02   /* HW storage type in READ/FORMAT */
#define LEGACY_DASTORAGE_EMMC 0x01 /* DaStorage in WRITE_DATA */

/* More would be a confused or hostile device: real DAs send 0 or 7. */
#define LEGACY_MAX_NAND_IDS 64
#define LEGACY_STAGE2_MAX 64

/* The stage-2 configuration block for a BROM hw_code (§4.3); returns its length. */
size_t mtk_legacy_stage2_config(uint16_t hw_code, uint8_t brom_ver, uint8_t bl_ver, enum mtk_storage_type type,
				uint8_t out[LEGACY_STAGE2_MAX]);

#endif
