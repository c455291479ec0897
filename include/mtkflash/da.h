/* SPDX-License-Identifier: MIT */
/* A running Download Agent: storage facts, partition I/O, the partition table.
 *
 * mtk_da_connect() takes a device from "just plugged" to "DA2 answering":
 * BROM/preloader handshake (brom.h), DA entry selection (dafile.h), SEND_DA
 * and JUMP_DA of DA1, then the DA family's own protocol (legacy today, xflash
 * later) up to its storage report.  Callers then use the mtk_da_* functions,
 * which dispatch through struct mtk_da_ops, so a new protocol slots in
 * without touching them.
 *
 * All data moves in streams: a read hands packets to a sink callback, a write
 * pulls them from a source callback; no image is ever held whole. */
#ifndef MTKFLASH_DA_H
#define MTKFLASH_DA_H

#include <stdbool.h>
#include <stdint.h>

#include "mtkflash/brom.h"
#include "mtkflash/core.h"
#include "mtkflash/dafile.h"
#include "mtkflash/emi.h"
#include "mtkflash/storage.h"
#include "mtkflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_storage_type {
	MTK_STORAGE_UNKNOWN,
	MTK_STORAGE_EMMC,
	MTK_STORAGE_NAND,
	MTK_STORAGE_NOR,
	MTK_STORAGE_SDMMC,
	MTK_STORAGE_UFS, /* xflash DAs: boot1/boot2/user are LU0/LU1/LU2 */
};
const char *mtk_storage_type_name(enum mtk_storage_type t); /* "emmc", "nand", …, "ufs" */

/* What DA1's probe and DA2's report say about the device (da-legacy.md §4.2, §4.7). */
struct mtk_da_storage {
	enum mtk_storage_type type;
	uint8_t da_version[3]; /* DA1's three version bytes */
	uint8_t cid[16];       /* eMMC CID in CID byte order */
	struct mtk_regions regions; /* boot1, boot2, rpmb, user sizes in bytes */
	uint64_t gp_size[4];
	uint8_t emmc_fwver[8];
	uint64_t nand_size; /* NAND devices */
	uint16_t nand_page_size, nand_spare_size, nand_pages_per_block;
	uint64_t nor_size;
	uint32_t int_sram_size;
	uint64_t ext_ram_size;
	uint8_t usb_speed;            /* 0 full, 1 high, 2 "ultra"; as the DA reports it */
	bool dram_configured_by_host; /* we sent EMI settings (BROM mode) */
	/* xflash DAs (da-xflash.md §1.7, §3.9): */
	char da_version_text[32];  /* GET_DA_VERSION, printable bytes */
	uint32_t write_packet_len; /* the longest WRITE_DATA chunk the DA takes */
	uint32_t read_packet_len;  /* the READ_DATA chunk it sends */
	uint32_t ptable_category;  /* GET_PARTITION_TBL_CATA: 0x64 GPT, 0x65 PMT, 0 not reported */
};

/* Streaming callbacks.  A sink consumes `len` bytes read from `offset`
 * (relative to the start of the transfer); a source fills buf with up to
 * `len` bytes for that offset and returns the count (0 = end of input, so the
 * rest is zero padding), or a negative MTK_E_* code. */
typedef int (*mtk_da_sink_fn)(void *user, uint64_t offset, const uint8_t *buf, size_t len);
typedef int (*mtk_da_source_fn)(void *user, uint64_t offset, uint8_t *buf, size_t len);
/* Work a writer puts off until the host only waits: a write command's first
 * packet is filled before the command goes out, with the link idle, so a
 * source may defer the rest of its work on those bytes (hashing) to its next
 * call or to this.  It must not use the DA; what it fails at it keeps. */
typedef void (*mtk_da_idle_fn)(void *user);

/* FINISH_CMD's mode word (da-legacy.md §4.9). */
enum mtk_da_finish_mode { MTK_FINISH_NORMAL = 0, MTK_FINISH_HOME = 1, MTK_FINISH_FASTBOOT = 2 };

struct mtk_da;

/* Accessors: the session itself is opaque. */
/* BROM/preloader facts of the device behind the DA (chip, mode, ME_ID…). */
const struct mtk_brom_info *mtk_da_brom_info(const struct mtk_da *da);
/* What DA1's probe and DA2's report said about storage. */
const struct mtk_da_storage *mtk_da_storage(const struct mtk_da *da);
/* The DA file entry this session runs (zeroed after a reattach). */
const struct mtk_da_choice *mtk_da_choice(const struct mtk_da *da);
/* Bytes the last read/write/erase completed, also when it failed or was
 * interrupted: what is on the device now. */
uint64_t mtk_da_bytes_done(const struct mtk_da *da);
/* Bytes of the last write sent after the DA accepted its command (padding
 * included), also when it failed: 0 means the device was not touched.  The
 * source may be read ahead of that (a write prepares its first packet before
 * the command goes out), so what a source handed over says less. */
uint64_t mtk_da_bytes_sent(const struct mtk_da *da);
/* FINISH was sent: the DA no longer answers. */
bool mtk_da_finished(const struct mtk_da *da);
/* The protocol's name ("legacy"). */
const char *mtk_da_protocol(const struct mtk_da *da);
/* The transport the session talks through (owned by the caller). */
struct mtk_transport *mtk_da_transport(const struct mtk_da *da);

struct mtk_da_emi {
	const uint8_t *data; /* the EMI payload exactly as a legacy DA takes it */
	size_t len;
	uint32_t version;    /* "MTK_BLOADER_INFO_vNN" → NN */
	/* The records' part ids, for the check against the device's flash id
	 * before anything is sent; NULL = unknown (then the DA refuses to send). */
	const struct mtk_emi_table *table;
	/* The whole MTK_BLOADER_INFO block, as an xflash DA takes it (da-xflash.md §2.4). */
	const uint8_t *block;
	size_t block_len;
};

/* Connect through an open transport.  `emi` may be NULL: then a DA that
 * needs DRAM settings (BROM mode) fails with an error asking for the
 * preloader.  On success *out belongs to the caller (mtk_da_close). */
int mtk_da_connect(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file, const char *file_name,
		   const struct mtk_da_emi *emi, struct mtk_da **out);
/* The same for a BootROM/preloader that is already in its command loop
 * (a previous session did the handshake): FE/FF probe instead of a
 * handshake, then the identify sequence and the DA. */
int mtk_da_connect_in_loop(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file,
			   const char *file_name, const struct mtk_da_emi *emi, struct mtk_da **out);
/* The vendor's files a secured BootROM asks for before it takes a DA
 * (brom-protocol.md §3.16): the root certificate (SEND_CERT) and the
 * authentication file (SEND_AUTH).  Either may be NULL/0. */
struct mtk_da_auth {
	const uint8_t *cert;
	size_t cert_len;
	const uint8_t *auth;
	size_t auth_len;
};
/* mtk_da_connect / mtk_da_connect_in_loop (in_loop) with those files sent
 * in BROM mode before DA1.  auth may be NULL. */
int mtk_da_connect_auth(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file, const char *file_name,
			const struct mtk_da_emi *emi, const struct mtk_da_auth *auth, bool in_loop, struct mtk_da **out);
/* Release the session (does not send FINISH, does not close the transport). */
void mtk_da_close(struct mtk_da *da);

/* The BROM/preloader facts and the storage report of the session, for
 * callers that must not reach into struct mtk_da. */

/* Size of a region as the DA reported it; 0 when absent or unknown. */
uint64_t mtk_da_region_size(const struct mtk_da *da, enum mtk_region r);

/* Range-checked dispatchers: the range must lie inside the region. */
int mtk_da_read(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		mtk_da_sink_fn sink, void *user);
int mtk_da_read_buf(struct mtk_da *da, enum mtk_region r, uint64_t off, uint8_t *buf, size_t len);
int mtk_da_write(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		 mtk_da_source_fn source, void *user);
/* Until changed (NULL: none), every write command calls fn once its last
 * packet has gone out, while the DA stores it and the host waits for the
 * answer. */
void mtk_da_set_write_idle(struct mtk_da *da, mtk_da_idle_fn fn, void *user);
int mtk_da_erase(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len);
int mtk_da_set_boot_partition(struct mtk_da *da, unsigned boot_part, bool ack);
/* Whether the session's protocol has a command for the above.  Neither the
 * legacy DA (da-legacy.md §4.9) nor xflash (da-xflash.md §3.9) is known to
 * have one: this is the one place a found command would be declared. */
bool mtk_da_can_set_boot_partition(const struct mtk_da *da);
int mtk_da_finish(struct mtk_da *da, enum mtk_da_finish_mode mode);

/* Read the partition table (da-legacy.md §8.3: GPT, PMT, MBR/EBR).  With
 * `add_layout` the list also holds what a scatter file shows but the table
 * itself does not: "preloader" (boot1, the whole area) when missing, and on
 * GPT devices "pgpt" (user offset 0 up to the first partition) and "sgpt"
 * (after the last usable LBA to the end).  Sorted by (region, start). */
int mtk_da_read_ptable(struct mtk_da *da, bool add_layout, struct mtk_ptable *out);

/* When the DA reported full speed (storage.usb_speed 0): ask for high speed
 * (legacy 70 01, da-legacy.md §4.8; xflash SWITCH_USB_SPEED, da-xflash.md
 * §2.8), follow the re-enumeration through the transport's reopen, ask the
 * speed again.  Does nothing at high speed. */
int mtk_da_speed_switch(struct mtk_da *da, int reopen_wait_ms);

/* The DA's own checks (xflash SET_CHECKSUM_LEVEL, da-xflash.md §1.8): with
 * USB the DA compares each write chunk's byte sum, with STORAGE it reads
 * back what it stored and compares; a failure fails that write with
 * MTK_E_VERIFY.  MTK_E_UNSUPPORTED for a DA that has no such checks
 * (legacy).  They do not replace a host read-back: the DA checks itself. */
#define MTK_DA_CHECK_USB 1u
#define MTK_DA_CHECK_STORAGE 2u
int mtk_da_set_device_checks(struct mtk_da *da, unsigned mask);
/* The mask in force (0 for a DA without checks). */
unsigned mtk_da_device_checks(const struct mtk_da *da);

/* Catalogue name of an xflash status word (da-xflash.md §4): MediaTek's STATUS_*
 * name, or XFLASH_* for the few it does not name; NULL when unknown. */
const char *mtk_xflash_status_name(uint32_t status);

#ifdef __cplusplus
}
#endif
#endif
