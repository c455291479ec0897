/* SPDX-License-Identifier: MIT */
/* xflash (DA v5) protocol constants (da-xflash.md §1-§3), shared with the tests. */
#ifndef MTK_DA_XFLASH_PRIV_H
#define MTK_DA_XFLASH_PRIV_H

#include <stdint.h>

#include "da/da_priv.h"

#define XF_MAGIC 0xFEEEEEEFu
#define XF_DT_FLOW 1u
#define XF_DT_MESSAGE 2u
#define XF_HDR 12u
#define XF_SYNC_BYTE 0xC0
#define XF_SYNC 0x434E5953u /* "SYNC" */

/* Main commands (§3.1). */
#define XF_CMD_FORMAT 0x00010003u
#define XF_CMD_WRITE_DATA 0x00010004u
#define XF_CMD_READ_DATA 0x00010005u
#define XF_CMD_SHUTDOWN 0x00010007u
#define XF_CMD_BOOT_TO 0x00010008u
#define XF_CMD_DEVICE_CTRL 0x00010009u
#define XF_CMD_INIT_EXT_RAM 0x0001000Au
#define XF_CMD_SWITCH_USB_SPEED 0x0001000Bu
#define XF_CMD_SETUP_ENVIRONMENT 0x00010100u
#define XF_CMD_SETUP_HW_INIT_PARAMS 0x00010101u

/* DEVICE_CTRL sub-codes (§3.9). */
#define XF_CTRL_SET_CHECKSUM_LEVEL 0x020003u
#define XF_CTRL_SET_RESET_KEY 0x020004u
#define XF_CTRL_GET_EMMC_INFO 0x040001u
#define XF_CTRL_GET_NAND_INFO 0x040002u
#define XF_CTRL_GET_NOR_INFO 0x040003u
#define XF_CTRL_GET_UFS_INFO 0x040004u
#define XF_CTRL_GET_DA_VERSION 0x040005u
#define XF_CTRL_GET_PACKET_LENGTH 0x040007u
#define XF_CTRL_GET_RANDOM_ID 0x040008u
#define XF_CTRL_GET_PARTITION_TBL_CATA 0x040009u
#define XF_CTRL_GET_CONNECTION_AGENT 0x04000Au
#define XF_CTRL_GET_USB_SPEED 0x04000Bu
#define XF_CTRL_GET_RAM_INFO 0x04000Cu
#define XF_CTRL_GET_CHIP_ID 0x04000Du
#define XF_CTRL_SLA_ENABLED_STATUS 0x040016u

/* Statuses (§4). */
#define XF_ST_UNSUPPORTED_CMD 0xC0010003u
#define XF_ST_UNSUPPORTED_CTRL 0xC0010004u
#define XF_ST_CHECKSUM 0xC0040003u
#define XF_ST_EMI_VERSION 0xC0040050u
#define XF_ST_DA_HASH_MISMATCH 0xC0070004u
#define XF_ST_PROGRESS 0x40040004u
#define XF_ST_COMPLETE 0x40040005u

/* Storage codes of the 56-byte operation block (§3.2). */
#define XF_STORAGE_EMMC 0x01u
#define XF_STORAGE_NAND 0x10u
#define XF_STORAGE_NOR 0x20u
#define XF_STORAGE_UFS 0x30u
#define XF_OP_BLOCK 56u

#define XF_ENV_PARAMS 20u

/* Where the reference is silent and we had to choose (the report lists them). */
struct xf_choices {
	uint32_t log_level;          /* SETUP_ENVIRONMENT: 2 (INFO), the safe value per [penumbra] */
	uint32_t log_channel;        /* 1 = UART: never DT_MESSAGE packets on USB */
	uint32_t system_os;          /* 1 = Linux */
	uint32_t reset_key;          /* SET_RESET_KEY: 0x68, as the validated transcript */
	uint32_t speed_switch_param; /* SWITCH_USB_SPEED: VID<<16|PID of the DA's high-speed identity */
	uint32_t fallback_packet;    /* DA1's own default, when GET_PACKET_LENGTH is refused */
	uint32_t max_packet;         /* larger announced lengths are a confused DA */
	uint32_t shutdown_size;      /* SP Flash Tool's struct reboot_option: 24 bytes */
	uint32_t reboot_timeout_ms;  /* SP Flash Tool's reboot: watchdog after 3 s */
	int init_ext_ram_ms;         /* a DA whose DRAM init failed says nothing: give up after this */
	int boot_to_ms;              /* DA2 start-up until its SYNC */
};
extern const struct xf_choices mtk_xf_choices;

#endif
