/* SPDX-License-Identifier: MIT */
/* The xflash (DA v5) Download Agent, device side (da-xflash.md), from
 * JUMP_DA to the DA2 command loop:
 *
 *   DA1: raw C0 -> host SYNC -> command loop (SETUP_ENVIRONMENT,
 *        SETUP_HW_INIT_PARAMS + DA1 SYNC, DEVICE_CTRL, INIT_EXT_RAM, BOOT_TO)
 *   DA2: after BOOT_TO of the DA2 image: STATUS(0) + STATUS(SYNC), then the
 *        full command set (READ_DATA, WRITE_DATA, FORMAT, SHUTDOWN, ...).
 *
 * Every exchange is framed (§1.2): 12-byte header EF EE EE FE, u32 type, u32
 * length, then the payload; statuses are 4-byte packets.  After an error
 * status the DA sends nothing more for that command (§1.9).
 *
 * Choices where the reference is silent (da-xflash.md §7), made here once:
 * - Which DA runs: BROM kept the SEND_DA payload; it must be the synthetic
 *   xflash DA1 for this chip (docs/da-synthetic.md: marker, filler, the
 *   "MMU MAP: VA" anchor, signature text; the 0x30-byte hash slot before the
 *   anchor may hold any bytes, as a host that patched DA2 rewrites it).
 *   Anything else: no C0, the CPU never answers (as da_legacy.c).
 * - BOOT_TO (§2.5): DA1 takes an image for the DA2 load address 0x40000000
 *   (the synthetic file's region 2 for every xflash chip) when SHA-256 of the
 *   image equals DA1's hash slot; otherwise s1 = 0xC0070004, nothing more.  Any
 *   BOOT_TO to another address, and any BOOT_TO in DA2 (mtkclient's extension
 *   at 0x4FFF0000), is refused the same way after the image (§5.3).  A BOOT_TO
 *   into DRAM that is not up (BROM mode, no INIT_EXT_RAM) stores the image
 *   into nothing: s1 = 0 (received, hash fine), then DA2 never starts: no s2,
 *   the DA hangs.  s2 is SYNC (penumbra's comment; both clients accept 0).
 * - INIT_EXT_RAM (§2.4): the blob is the preloader's MTK_BLOADER_INFO block
 *   (header 0x70 bytes, u32 count at 0x6C, records, optional trailing length
 *   word).  No marker, count 0 or records that do not divide the rest:
 *   STATUS(0xC0040050) (EMI setting version error).  The record is chosen as
 *   the preloader does (formats.md §4.5.3, the standard layout: type +4,
 *   id_length +8, ID +0x10); when none fits, or the chosen one does not carry
 *   this board's timings, DRAM calibration never ends: no status, the DA
 *   hangs (the behaviour field reports show, mtkclient #229/#341).  A second
 *   INIT_EXT_RAM, and INIT_EXT_RAM in DA2: STATUS(0) after the blob (DRAM is
 *   already up; nothing to do).
 * - Flash commands (READ_DATA, WRITE_DATA, FORMAT) in DA1: 0xC0010003 after
 *   the code (DA1 has no storage engine; §5.6 "only after DA2 reported SYNC").
 * - A second SETUP_ENVIRONMENT: its parameters are read and ignored ("can only
 *   be set once", §2.2 [penumbra]), STATUS(0).
 * - Bad packets in the command loop (§1.6, §7 item 11): bytes that do not start
 *   a header with the magic are dropped one at a time until one does, and
 *   nothing is sent for them (a handshake byte there is the host's bug and is
 *   reported as a VIOLATION).  A payload longer than the handler's buffer:
 *   STATUS(0xC0010006) without consuming it (DA-src read_packet).
 * - Parameters of the wrong size: 0xC0030007 (invalid parameters) where the
 *   next status is due; a u32 setter takes exactly 4 bytes.
 * - Op block (§3.2): storage other than 1 (eMMC) -> 0xC0030006 (storage
 *   mismatch); selector 1 boot1, 2 boot2, 8 user; 3 (RPMB) -> 0xC0040001
 *   (plain access to authenticated storage, as the legacy DA); 4..7 (GP, which
 *   this part has none of) and anything else -> 0xC0030007; range outside the
 *   area -> 0xC004000B.  WRITE_DATA and FORMAT need address and length in
 *   512-byte blocks (0xC0030007); READ_DATA serves any (addr, len).
 *   Write-protected storage (fault `write-protect`): WRITE_DATA and FORMAT
 *   are refused at the op block with 0xC002000C / 0xC002000D.
 * - READ_DATA: chunks of min(read_packet_length, remaining); a non-zero host
 *   ACK ends the read with per-chunk STATUS(0xC0010002) (abort).  A storage
 *   error is sent as a status in place of the chunk (the XML engine's way):
 *   0xC0040030, then the DA waits for a command.  The read faults
 *   (`read-error`, `read-flaky`, readfault.c) are checked for the whole chunk
 *   before its first byte goes out; `read-slow` delays each 64 KiB piece.
 * - WRITE_DATA: a non-zero leading flag is a host abort: STATUS(0xC0010002) at
 *   once, nothing more read.  A chunk longer than what is left of `length`:
 *   0xC004000B.  Checksum level (SET_CHECKSUM_LEVEL, a bit mask): bit 0
 *   compares the host's u16 byte sum with the data received, bit 1 reads the
 *   block back after writing and compares u32 byte sums; either mismatch is
 *   0xC0040003 in that chunk's status (the per-chunk one, §1.8 [unverified]),
 *   and on a bit-0 mismatch nothing of the chunk is stored.
 * - FORMAT progress: one report per 256 MiB erased (at least one), percent =
 *   done * 100 / length; a non-zero host ACK ends it with 0xC0010002.
 * - DEVICE_CTRL: unknown sub-codes (GET_EXPIRE_DATE, CC_OPTIONAL_DOWNLOAD_ACT
 *   0x080005 and mtkclient's mistyped 0x800005 among them) -> STATUS(0xC0010004)
 *   after the sub-code and nothing more.  DA-SLA is off (SLA_ENABLED_STATUS 0).
 *   GET_RANDOM_ID is fixed per device (derived from the ME_ID).
 * - SWITCH_USB_SPEED: after the second STATUS a full-speed DA leaves the bus
 *   and re-enumerates at high speed with its state intact; a DA already at
 *   high speed just answers (as the legacy DA's 70 01).
 * - SHUTDOWN (§3.6): field 0 = 0 ("no arguments valid", mtkclient's reset):
 *   the phone goes off the bus and stays off until a replug.  Field 0 = 1: a
 *   watchdog reset; the phone boots again per the boot model and
 *   re-enumerates.  dl_bit, bootmode and the RTC flag are not modelled.
 * - Sessions: the DA outlives the port (§2.7): DA1 and DA2 stay in their
 *   command loops when the host closes it; what DA1/DA2 knows (environment,
 *   checksum level, DRAM) stays in struct mtkemu and power.ini.
 * Large transfers go chunk by chunk straight to and from the sparse files. */
#include "emu_internal.h"
#include "emu_storage.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/checksum.h"

enum {
	PKT_MAGIC = 0xFEEEEEEFu,
	DT_PROTOCOL_FLOW = 1,
	HDR_LEN = 12,
	XF_SYNC_BYTE = 0xC0,
};

/* Main commands (§3.1). */
enum {
	CMD_FORMAT = 0x00010003,
	CMD_WRITE_DATA = 0x00010004,
	CMD_READ_DATA = 0x00010005,
	CMD_SHUTDOWN = 0x00010007,
	CMD_BOOT_TO = 0x00010008,
	CMD_DEVICE_CTRL = 0x00010009,
	CMD_INIT_EXT_RAM = 0x0001000A,
	CMD_SWITCH_USB_SPEED = 0x0001000B,
	CMD_SETUP_ENVIRONMENT = 0x00010100,
	CMD_SETUP_HW_INIT_PARAMS = 0x00010101,
	SYNC_SIGNAL = 0x434E5953,
};

/* Statuses (§4). */
enum {
	ST_OK = 0,
	ST_ABORT = 0xC0010002u,
	ST_UNSUPPORTED_CMD = 0xC0010003u,
	ST_UNSUPPORTED_CTRL = 0xC0010004u,
	ST_BUFFER_OVERFLOW = 0xC0010006u,
	ST_WRITE_NOT_ALLOWED = 0xC002000Cu,
	ST_FORMAT_NOT_ALLOWED = 0xC002000Du,
	ST_STORAGE_MISMATCH = 0xC0030006u,
	ST_INVALID_PARAMS = 0xC0030007u,
	ST_UNSUPPORTED_OP = 0xC0040001u,
	ST_CHECKSUM = 0xC0040003u,
	ST_EXCEED_RANGE = 0xC004000Bu,
	ST_MMC_ERROR = 0xC0040030u,
	ST_EMI_VERSION = 0xC0040050u,
	ST_DA_HASH_MISMATCH = 0xC0070004u,
	ST_PROGRESS_CONT = 0x40040004u,
	ST_PROGRESS_DONE = 0x40040005u,
};

enum { CHKSUM_USB = 1u, CHKSUM_STORAGE = 2u };

#define DA2_ADDR         0x40000000ull
#define MAX_DA2          (4u << 20)
#define MAX_EMI          (64u << 10)
#define MAX_PARAM        512u
#define OP_BLOCK_LEN     56u
#define DA1_PKT_LEN      0x1000u
#define DA2_WRITE_PKT    0x200000u
#define DA2_READ_PKT_LNX 0x10000u
#define DA2_READ_PKT_WIN 0x200000u
#define FORMAT_STEP      (256ull << 20)
#define EXT_RAM_SIZE     0x80000000ull

/* The synthetic DA1 (docs/da-synthetic.md). */
#define SYNTH_MARKER   64u
#define SYNTH_SIG      0x100u
#define HASH_ANCHOR    "MMU MAP: VA"
#define HASH_SLOT_BACK 0x40u /* slot starts this far before the end of DA1's code */
#define HASH_LEN       32u

struct xda {
	struct mtkemu *e;
	struct emu_storage *s;
	uint8_t *buf; /* receive buffer, grown on demand */
	size_t cap;
	uint8_t *rbuf; /* read-back buffer (checksum level bit 1) */
	size_t rcap;
};

static uint8_t *grow(uint8_t **p, size_t *cap, size_t n)
{
	if (n > *cap) {
		uint8_t *q = realloc(*p, n);
		if (!q)
			return NULL;
		*p = q;
		*cap = n;
	}
	return *p;
}

/* ---------------------------------------------------------------- framing */

static int send_pkt(struct xda *d, const void *payload, size_t len)
{
	uint8_t h[HDR_LEN + 64];
	mtk_put_u32le(h, PKT_MAGIC);
	mtk_put_u32le(h + 4, DT_PROTOCOL_FLOW);
	mtk_put_u32le(h + 8, (uint32_t)len);
	if (len <= 64) {
		memcpy(h + HDR_LEN, payload, len);
		return emu_send(d->e, h, HDR_LEN + len);
	}
	return emu_send(d->e, h, HDR_LEN) < 0 ? -1 : emu_send(d->e, payload, len);
}

static int send_u32(struct xda *d, uint32_t v)
{
	uint8_t b[4];
	mtk_put_u32le(b, v);
	return send_pkt(d, b, 4);
}

#define send_status send_u32

static bool is_handshake_byte(uint8_t b)
{
	return b == 0xA0 || b == 0x0A || b == 0x50 || b == 0x05;
}

/* Reads a header, dropping bytes until one starts with the magic.  Returns
 * the payload length, or -1 when the session ended. */
static int64_t recv_header(struct xda *d)
{
	uint8_t h[HDR_LEN];
	bool reported = false;
	size_t have = 0;
	for (;;) {
		if (emu_recv(d->e, h + have, 4 - have) < 0)
			return -1;
		if (mtk_get_u32le(h) == PKT_MAGIC)
			break;
		if (!reported) {
			reported = true;
			if (is_handshake_byte(h[0]))
				emu_violation(d->e, "host sent a handshake byte 0x%02X into the running xflash DA", h[0]);
			else
				emu_violation(d->e, "xflash DA: packet without the 0xFEEEEEEF magic (byte 0x%02X)", h[0]);
		}
		memmove(h, h + 1, 3);
		have = 3;
	}
	if (emu_recv(d->e, h + 4, 8) < 0)
		return -1;
	/* data_type is not checked: mtkclient ignores it too (§1.2). */
	return mtk_get_u32le(h + 8);
}

/* One packet of at most cap bytes into d->buf.  Returns its length; -1 the
 * session ended; -2 it was longer (STATUS(overflow) sent, payload left in the
 * pipe as the DA's read_packet leaves it). */
static int64_t recv_pkt(struct xda *d, size_t cap)
{
	int64_t n = recv_header(d);
	if (n < 0)
		return -1;
	if ((uint64_t)n > cap)
		return send_status(d, ST_BUFFER_OVERFLOW) < 0 ? -1 : -2;
	if (!grow(&d->buf, &d->cap, n ? (size_t)n : 1) || (n && emu_recv(d->e, d->buf, (size_t)n) < 0))
		return -1;
	return n;
}

/* A parameter packet of one of the sizes listed (0-terminated list).  0 got
 * it (*len, bytes in d->buf); 1 too long or a wrong size (status sent); -1
 * the session ended. */
static int recv_param(struct xda *d, const size_t *sizes, size_t cap, size_t *len)
{
	int64_t n = recv_pkt(d, cap);
	if (n == -2)
		return 1;
	if (n < 0)
		return -1;
	*len = (size_t)n;
	for (; *sizes; sizes++)
		if (*sizes == (size_t)n)
			return 0;
	return send_status(d, ST_INVALID_PARAMS) < 0 ? -1 : 1;
}

static const size_t U32_SIZE[] = { 4, 0 };

/* A u32 parameter: returns as recv_param. */
static int recv_u32_param(struct xda *d, uint32_t *v)
{
	size_t n;
	int rc = recv_param(d, U32_SIZE, MAX_PARAM, &n);
	if (rc == 0)
		*v = mtk_get_u32le(d->buf);
	return rc;
}

/* STATUS(0) for the command, then its u32 parameter: returns as recv_param. */
static int accept_u32(struct xda *d, uint32_t *v)
{
	return send_status(d, ST_OK) < 0 ? -1 : recv_u32_param(d, v);
}

/* Command handlers return 0 (next command), 1 (the DA hangs), 2 (the device
 * left the bus) or -1 (the session ended); this maps a recv_param result that
 * stopped the command to it. */
static int stopped(int rc)
{
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ synthetic DA1 */

/* Where DA1 keeps the SHA-256 of DA2's code (docs/da-synthetic.md). */
static size_t hash_slot(size_t code_len)
{
	return code_len - HASH_SLOT_BACK;
}

static bool da1_ok(const uint8_t *buf, size_t len, size_t sig_len, uint16_t da_code)
{
	char text[SYNTH_SIG];
	if (sig_len != SYNTH_SIG || len < SYNTH_MARKER + HASH_SLOT_BACK + sig_len)
		return false;
	size_t code = len - sig_len, slot = hash_slot(code), anchor = slot + 0x30;
	memset(text, 0, sizeof text);
	snprintf(text, SYNTH_MARKER, "MTKFLASH-SYNTHETIC-DA1 hw=0x%04x", da_code);
	if (memcmp(buf, text, SYNTH_MARKER) != 0)
		return false;
	if (!emu_xorshift_matches(buf, SYNTH_MARKER, code, 0x9E3779B9u ^ ((uint32_t)da_code << 8) ^ 1u, slot,
	                          slot + HASH_SLOT_BACK))
		return false;
	memset(text, 0, sizeof text);
	memcpy(text, HASH_ANCHOR, sizeof HASH_ANCHOR - 1);
	if (memcmp(buf + anchor, text, 0x10) != 0)
		return false;
	snprintf(text, sizeof text, "MTKFLASH-SYNTHETIC-SIG hw=0x%04x stage=1", da_code);
	return memcmp(buf + code, text, sig_len) == 0;
}

static bool da2_hash_ok(const struct mtkemu *e, const uint8_t *img, size_t len)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_Digest(img, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != HASH_LEN)
		return false;
	return memcmp(e->da_blob + hash_slot(e->da_len - e->da_sig_len), md, HASH_LEN) == 0;
}

/* ------------------------------------------------------------ DEVICE_CTRL */

static size_t put_ascii(uint8_t *r, const char *s)
{
	size_t n = strlen(s);
	memcpy(r, s, n);
	return n;
}

static size_t get_emmc_info(struct xda *d, uint8_t *r)
{
	const struct emu_emmc_geometry *g = emu_emmc_geometry(d->s);
	memset(r, 0, 104);
	mtk_put_u32le(r, 1);
	mtk_put_u32le(r + 4, EMU_EMMC_BLOCK);
	mtk_put_u64le(r + 0x08, g->size[EMU_AREA_BOOT1]);
	mtk_put_u64le(r + 0x10, g->size[EMU_AREA_BOOT2]);
	mtk_put_u64le(r + 0x18, g->size[EMU_AREA_RPMB]);
	/* 0x20..0x3F: GP1..GP4, none */
	mtk_put_u64le(r + 0x40, g->size[EMU_AREA_USER]);
	memcpy(r + 0x48, g->cid, 16);
	memcpy(r + 0x58, "EMU\0\0\0\0\x01", 8);
	r[0x60] = 1; /* pre-EOL: normal */
	r[0x61] = 1; /* life time used 0-10 % */
	r[0x62] = 1;
	return 104;
}

static size_t get_da_version(struct xda *d, uint8_t *r)
{
	(void)d;
	return put_ascii(r, "V5.mtkemu.1");
}

static size_t get_packet_length(struct xda *d, uint8_t *r)
{
	const struct mtkemu *e = d->e;
	bool da2 = e->run == EMU_RUN_DA2;
	mtk_put_u32le(r, da2 ? DA2_WRITE_PKT : DA1_PKT_LEN);
	uint32_t rd = e->xda.system_os == 1 ? DA2_READ_PKT_LNX : DA2_READ_PKT_WIN;
	mtk_put_u32le(r + 4, da2 ? rd : DA1_PKT_LEN);
	return 8;
}

static size_t get_random_id(struct xda *d, uint8_t *r)
{
	for (size_t i = 0; i < 16; i++)
		r[i] = (uint8_t)(d->e->me_id[i] ^ 0x5A ^ (uint8_t)(i * 0x3B));
	return 16;
}

static size_t get_partition_cata(struct xda *d, uint8_t *r)
{
	mtk_put_u32le(r, d->e->prof->table == EMU_TABLE_GPT ? 0x64 : 0x65);
	return 4;
}

static size_t get_connection_agent(struct xda *d, uint8_t *r)
{
	return put_ascii(r, d->e->mode == EMU_MODE_BROM ? "brom" : "preloader");
}

static size_t get_usb_speed(struct xda *d, uint8_t *r)
{
	return put_ascii(r, d->e->high_speed ? "high-speed" : "full-speed");
}

/* Two ram_item_struct {u32 type, u32 pad, u64 base, u64 size}: SRAM, DRAM
 * (size 0 while DRAM is not up). */
static size_t get_ram_info(struct xda *d, uint8_t *r)
{
	memset(r, 0, 48);
	mtk_put_u32le(r, 2);
	mtk_put_u64le(r + 8, 0x00100000);
	mtk_put_u64le(r + 16, 0x00040000);
	mtk_put_u32le(r + 24, 1);
	mtk_put_u64le(r + 32, DA2_ADDR);
	mtk_put_u64le(r + 40, d->e->xda.dram_up ? EXT_RAM_SIZE : 0);
	return 48;
}

static size_t get_chip_id(struct xda *d, uint8_t *r)
{
	const struct emu_profile *p = d->e->prof;
	mtk_put_u16le(r, p->hw_code);
	mtk_put_u16le(r + 2, p->hw_sub_code);
	mtk_put_u16le(r + 4, p->hw_ver);
	mtk_put_u16le(r + 6, p->sw_ver);
	mtk_put_u32le(r + 8, 0); /* chip_evolution */
	return 12;
}

static size_t get_dev_fw_info(struct xda *d, uint8_t *r)
{
	memset(r, 0, 68);
	mtk_put_u32le(r, 1);
	get_random_id(d, r + 4);
	memcpy(r + 36, d->e->soc_id, 32);
	return 68;
}

static int set_checksum_level(struct xda *d, uint32_t v)
{
	d->e->xda.chksum_level = v & (CHKSUM_USB | CHKSUM_STORAGE);
	return 0;
}

static int set_accepted(struct xda *d, uint32_t v)
{
	(void)d;
	(void)v;
	return 0;
}

enum ctrl_kind { GETTER, ZEROS, SETTER, ACTION };

static const struct ctrl {
	uint32_t code;
	enum ctrl_kind kind;
	size_t (*get)(struct xda *d, uint8_t *r);
	int (*set)(struct xda *d, uint32_t v);
	size_t zeros; /* ZEROS: a type-0 ("none") struct of this size */
} ctrls[] = {
	{ 0x020002, SETTER, NULL, set_accepted, 0 },       /* SET_BATTERY_OPT */
	{ 0x020003, SETTER, NULL, set_checksum_level, 0 }, /* SET_CHECKSUM_LEVEL */
	{ 0x020004, SETTER, NULL, set_accepted, 0 },       /* SET_RESET_KEY */
	{ 0x040001, GETTER, get_emmc_info, NULL, 0 },
	/* No NAND, NOR or UFS: type-0 structs of the sizes §3.10 recommends; an
	 * eMMC phone must report no UFS (§2.7). */
	{ 0x040002, ZEROS, NULL, NULL, 45 },
	{ 0x040003, ZEROS, NULL, NULL, 16 },
	{ 0x040004, ZEROS, NULL, NULL, 202 },
	{ 0x040005, GETTER, get_da_version, NULL, 0 },
	{ 0x040007, GETTER, get_packet_length, NULL, 0 },
	{ 0x040008, GETTER, get_random_id, NULL, 0 },
	{ 0x040009, GETTER, get_partition_cata, NULL, 0 },
	{ 0x04000A, GETTER, get_connection_agent, NULL, 0 },
	{ 0x04000B, GETTER, get_usb_speed, NULL, 0 },
	{ 0x04000C, GETTER, get_ram_info, NULL, 0 },
	{ 0x04000D, GETTER, get_chip_id, NULL, 0 },
	{ 0x040013, GETTER, get_dev_fw_info, NULL, 0 },
	{ 0x040016, ZEROS, NULL, NULL, 4 }, /* SLA_ENABLED_STATUS: off */
	{ 0x080001, ACTION, NULL, NULL, 0 },         /* START_DL_INFO */
	{ 0x080002, ACTION, NULL, NULL, 0 },         /* END_DL_INFO */
	{ 0x080007, ZEROS, NULL, NULL, 4 }, /* DA_STOR_LIFE_CYCLE_CHECK */
};

static const struct ctrl *ctrl_find(uint32_t code)
{
	for (size_t i = 0; i < sizeof ctrls / sizeof ctrls[0]; i++)
		if (ctrls[i].code == code)
			return &ctrls[i];
	return NULL;
}

static int cmd_device_ctrl(struct xda *d)
{
	uint32_t code, v;
	int rc = accept_u32(d, &code);
	if (rc)
		return stopped(rc);
	const struct ctrl *c = ctrl_find(code);
	if (!c)
		return send_status(d, ST_UNSUPPORTED_CTRL);
	if (send_status(d, ST_OK) < 0)
		return -1;
	if (c->kind == ACTION)
		return send_status(d, ST_OK);
	if (c->kind == GETTER || c->kind == ZEROS) {
		uint8_t r[256] = { 0 };
		size_t n = c->kind == ZEROS ? c->zeros : c->get(d, r);
		return send_pkt(d, r, n) < 0 ? -1 : send_status(d, ST_OK);
	}
	rc = recv_u32_param(d, &v);
	if (rc)
		return stopped(rc);
	return send_status(d, (uint32_t)c->set(d, v));
}

/* --------------------------------------------------------- setup commands */

static int cmd_setup_environment(struct xda *d)
{
	static const size_t sizes[] = { 20, 0 };
	size_t n;
	int rc = recv_param(d, sizes, MAX_PARAM, &n);
	if (rc)
		return stopped(rc);
	if (!d->e->xda.env_set) {
		d->e->xda.env_set = true;
		d->e->xda.system_os = mtk_get_u32le(d->buf + 8);
	}
	return send_status(d, ST_OK);
}

static int cmd_setup_hw_init(struct xda *d)
{
	uint32_t cfg;
	int rc = recv_u32_param(d, &cfg);
	if (rc)
		return stopped(rc);
	/* Storage and PMIC are up: DA1 reports ready (§2.2 step 9). */
	return send_status(d, ST_OK) < 0 ? -1 : send_u32(d, SYNC_SIGNAL);
}

/* ----------------------------------------------------------- INIT_EXT_RAM */

static bool rec_is_mcp(uint32_t type)
{
	unsigned cls = (type >> 8) & 0xF;
	return type != 0 && cls >= 1 && cls <= 3;
}

/* formats.md §4.5.3 over standard-layout records of size rs. */
static int pick_record(const struct xda *d, const uint8_t *recs, size_t count, size_t rs)
{
	const uint8_t *cid = emu_emmc_geometry(d->s)->cid;
	bool any_discrete = false;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *r = recs + i * rs;
		uint32_t type = mtk_get_u32le(r + 4), n = mtk_get_u32le(r + 8);
		if (!rec_is_mcp(type)) {
			any_discrete |= type != 0;
			continue;
		}
		if (n > 0 && n <= 16 && memcmp(r + 0x10, cid, n) == 0)
			return (int)i;
	}
	if (count == 1 && any_discrete)
		return 0;
	if (count < 2 || !any_discrete || rs != EMU_EMI_RECORD_SIZE)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *r = recs + i * rs;
		uint32_t type = mtk_get_u32le(r + 4);
		if (type != 0 && !rec_is_mcp(type) && mtk_get_u32le(r + EMU_EMI_MR5_OFF) == d->e->prof->dram_mr5)
			return (int)i;
	}
	return -1;
}

/* 1 the DRAM came up with the chosen record; 0 the blob is not an EMI block
 * this DA reads; -1 calibration hangs. */
static int apply_emi(struct xda *d, const uint8_t *blob, size_t len)
{
	static const char marker[] = "MTK_BLOADER_INFO_v";
	if (len < 0x70 || memcmp(blob, marker, sizeof marker - 1) != 0)
		return 0;
	uint32_t count = mtk_get_u32le(blob + 0x6C);
	size_t body = len - 0x70;
	if (count && body % count && (body - 4) % count == 0)
		body -= 4; /* the block's trailing length word came along */
	if (count == 0 || body % count || body / count < 0x20)
		return 0;
	size_t rs = body / count;
	int pick = pick_record(d, blob + 0x70, count, rs);
	if (pick < 0)
		return -1;
	const uint8_t *rec = blob + 0x70 + (size_t)pick * rs;
	uint8_t own[EMU_EMI_RECORD_SIZE];
	emu_board_emi_record(d->e->prof, own);
	/* The first u32 (sub_version) is no DRAM setting. */
	if (rs != EMU_EMI_RECORD_SIZE || memcmp(rec + 4, own + 4, EMU_EMI_RECORD_SIZE - 4) != 0)
		return -1;
	return 1;
}

static int cmd_init_ext_ram(struct xda *d)
{
	uint32_t len;
	int rc = accept_u32(d, &len);
	if (rc)
		return stopped(rc);
	int64_t n = recv_pkt(d, MAX_EMI);
	if (n == -2)
		return 0;
	if (n < 0)
		return -1;
	if ((uint64_t)n != len)
		return send_status(d, ST_INVALID_PARAMS);
	if (d->e->xda.dram_up)
		return send_status(d, ST_OK);
	int r = apply_emi(d, d->buf, (size_t)n);
	if (r == 0)
		return send_status(d, ST_EMI_VERSION);
	if (r < 0)
		return 1; /* stuck in DRAM calibration */
	d->e->xda.dram_up = true;
	return send_status(d, ST_OK);
}

/* ----------------------------------------------------------------- BOOT_TO */

/* 0 back to the loop, 1 the DA hangs, -1 the session ended. */
static int cmd_boot_to(struct xda *d)
{
	struct mtkemu *e = d->e;
	static const size_t sizes[] = { 16, 0 };
	size_t pn;
	if (send_status(d, ST_OK) < 0)
		return -1;
	int rc = recv_param(d, sizes, MAX_PARAM, &pn);
	if (rc)
		return stopped(rc);
	uint64_t addr = mtk_get_u64le(d->buf), len = mtk_get_u64le(d->buf + 8);
	int64_t n = recv_pkt(d, MAX_DA2);
	if (n == -2)
		return 0;
	if (n < 0)
		return -1;
	if ((uint64_t)n != len)
		return send_status(d, ST_INVALID_PARAMS);
	bool da1 = e->run == EMU_RUN_XDA1;
	if (!da1 || addr != DA2_ADDR || !da2_hash_ok(e, d->buf, (size_t)n))
		return send_status(d, ST_DA_HASH_MISMATCH);
	if (send_status(d, ST_OK) < 0)
		return -1;
	if (!e->xda.dram_up && e->mode == EMU_MODE_BROM)
		return 1; /* DA2 went into DRAM that is not there */
	e->xda.dram_up = true;
	e->run = EMU_RUN_DA2;
	return send_u32(d, SYNC_SIGNAL);
}

/* ------------------------------------------------------------- flash ops */

struct op {
	int area;
	uint64_t addr, len;
};

/* The 56-byte op block (§3.2) -> a status for it. */
static uint32_t parse_op(const struct xda *d, const uint8_t *p, struct op *op)
{
	uint32_t storage = mtk_get_u32le(p), sel = mtk_get_u32le(p + 4);
	op->addr = mtk_get_u64le(p + 8);
	op->len = mtk_get_u64le(p + 16);
	if (storage != 1)
		return ST_STORAGE_MISMATCH;
	static const int areas[] = { [1] = EMU_AREA_BOOT1, [2] = EMU_AREA_BOOT2, [3] = EMU_AREA_RPMB,
		                     [8] = EMU_AREA_USER };
	if (sel != 1 && sel != 2 && sel != 3 && sel != 8)
		return ST_INVALID_PARAMS;
	op->area = areas[sel];
	if (op->area == EMU_AREA_RPMB)
		return ST_UNSUPPORTED_OP;
	uint64_t end;
	if (mtk_add_overflows(op->addr, op->len, &end) || end > emu_emmc_size(d->s, op->area))
		return ST_EXCEED_RANGE;
	return ST_OK;
}

static bool blocks_aligned(const struct op *op)
{
	return op->addr % EMU_EMMC_BLOCK == 0 && op->len % EMU_EMMC_BLOCK == 0;
}

/* Receives the op block.  0 got it (*st = its status); 1 refused (status
 * sent); -1 ended. */
static int recv_op(struct xda *d, struct op *op, uint32_t *st)
{
	static const size_t sizes[] = { OP_BLOCK_LEN, 0 };
	size_t n;
	int rc = recv_param(d, sizes, MAX_PARAM, &n);
	if (rc)
		return rc;
	*st = parse_op(d, d->buf, op);
	return 0;
}

static int recv_ack(struct xda *d, uint32_t *ack)
{
	int rc = recv_u32_param(d, ack);
	if (rc > 0)
		*ack = ST_ABORT;
	return rc < 0 ? -1 : 0;
}

/* Storage to USB a piece at a time, as a DA's DMA streams it (the link
 * model books the whole packet at its start, so reading a later piece
 * overlaps the wire time of the earlier ones).  1: the first piece could not
 * be read, nothing was sent (the caller answers with a status); -1: the link
 * or, midway, the storage failed. */
#define STREAM_PIECE (64u << 10)

static int send_read_chunk(struct xda *d, const struct op *op, uint64_t at, size_t n, uint8_t *piece)
{
	size_t k = n < STREAM_PIECE ? n : STREAM_PIECE;
	if (emu_fault_read_check(d->e, op->area, at, n) < 0)
		return 1;
	emu_fault_read_pace(d->e, op->area, at, k);
	if (emu_emmc_read(d->s, op->area, at, piece, k) != 0)
		return 1;
	uint8_t h[HDR_LEN];
	mtk_put_u32le(h, PKT_MAGIC);
	mtk_put_u32le(h + 4, DT_PROTOCOL_FLOW);
	mtk_put_u32le(h + 8, (uint32_t)n);
	struct emu_tx tx;
	if (emu_send_begin(d->e, &tx, HDR_LEN + n) < 0 || emu_send_part(d->e, &tx, h, HDR_LEN) < 0)
		return -1;
	for (size_t sent = 0;;) {
		if (emu_send_part(d->e, &tx, piece, k) < 0)
			return -1;
		if ((sent += k) == n)
			return 0;
		k = n - sent < STREAM_PIECE ? n - sent : STREAM_PIECE;
		emu_fault_read_pace(d->e, op->area, at + sent, k);
		if (emu_emmc_read(d->s, op->area, at + sent, piece, k) != 0)
			return -1; /* half a packet is out: nothing sane left to say */
	}
}

static int stream_read(struct xda *d, const struct op *op, uint32_t pkt)
{
	uint8_t *chunk = malloc(pkt < STREAM_PIECE ? pkt : STREAM_PIECE);
	if (!chunk)
		return -1;
	int rc = 0;
	for (uint64_t done = 0; rc == 0 && done < op->len;) {
		size_t n = op->len - done < pkt ? (size_t)(op->len - done) : pkt;
		int sent = send_read_chunk(d, op, op->addr + done, n, chunk);
		if (sent > 0) {
			rc = send_status(d, ST_MMC_ERROR) < 0 ? -1 : 1;
			break;
		}
		uint32_t ack;
		if (sent < 0 || recv_ack(d, &ack) < 0) {
			rc = -1;
			break;
		}
		if (ack != 0) {
			rc = send_status(d, ST_ABORT) < 0 ? -1 : 1;
			break;
		}
		rc = send_status(d, ST_OK) < 0 ? -1 : 0;
		done += n;
	}
	free(chunk);
	return rc < 0 ? -1 : 0;
}

static uint32_t read_pkt_len(const struct mtkemu *e)
{
	uint8_t r[8];
	struct xda tmp = { .e = (struct mtkemu *)e };
	get_packet_length(&tmp, r);
	return mtk_get_u32le(r + 4);
}

static int cmd_read_data(struct xda *d)
{
	struct op op;
	uint32_t st;
	if (send_status(d, ST_OK) < 0)
		return -1;
	int rc = recv_op(d, &op, &st);
	if (rc)
		return stopped(rc);
	/* Two statuses: parameters received, then the operation's verdict (§3.3). */
	if (send_status(d, ST_OK) < 0 || send_status(d, st) < 0)
		return -1;
	return st == ST_OK ? stream_read(d, &op, read_pkt_len(d->e)) : 0;
}

static uint32_t sum32(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

/* Stores one chunk with the checks the checksum level asks for. */
static uint32_t store_chunk(struct xda *d, const struct op *op, uint64_t off, const uint8_t *p, size_t n,
                            uint32_t host_sum)
{
	uint32_t level = d->e->xda.chksum_level;
	if ((level & CHKSUM_USB) && (uint16_t)host_sum != mtk_sum16_update(0, p, n))
		return ST_CHECKSUM;
	if (emu_emmc_write(d->s, op->area, op->addr + off, p, n) != 0)
		return ST_MMC_ERROR;
	if (level & CHKSUM_STORAGE) {
		uint8_t *back = grow(&d->rbuf, &d->rcap, n ? n : 1);
		if (!back || emu_emmc_read(d->s, op->area, op->addr + off, back, n) != 0)
			return ST_MMC_ERROR;
		if (sum32(back, n) != sum32(p, n))
			return ST_CHECKSUM;
	}
	return ST_OK;
}

/* One flag / checksum / data triple.  0 stored (*n its size), 1 ended with a
 * status sent, -1 the session ended. */
static int write_chunk(struct xda *d, const struct op *op, uint64_t done, size_t *n)
{
	uint32_t flag, sum;
	int rc = recv_u32_param(d, &flag);
	if (rc)
		return rc;
	if (flag != 0)
		return send_status(d, ST_ABORT) < 0 ? -1 : 1;
	if ((rc = recv_u32_param(d, &sum)) != 0)
		return rc;
	int64_t len = recv_pkt(d, DA2_WRITE_PKT);
	if (len == -2)
		return 1;
	if (len < 0)
		return -1;
	uint32_t st = (uint64_t)len > op->len - done ? ST_EXCEED_RANGE
	                                             : store_chunk(d, op, done, d->buf, (size_t)len, sum);
	if (send_status(d, st) < 0)
		return -1;
	*n = (size_t)len;
	return st == ST_OK ? 0 : 1;
}

/* WRITE_DATA and FORMAT up to their one status after the op block: 0 go on,
 * 1 refused (status sent), -1 ended. */
static int begin_storage_change(struct xda *d, struct op *op, uint32_t not_allowed)
{
	uint32_t st;
	if (send_status(d, ST_OK) < 0)
		return -1;
	int rc = recv_op(d, op, &st);
	if (rc)
		return rc;
	if (st == ST_OK && !blocks_aligned(op))
		st = ST_INVALID_PARAMS;
	if (st == ST_OK && emu_emmc_write_protected(d->s))
		st = not_allowed;
	if (send_status(d, st) < 0)
		return -1;
	return st == ST_OK ? 0 : 1;
}

static int cmd_write_data(struct xda *d)
{
	struct op op;
	int rc = begin_storage_change(d, &op, ST_WRITE_NOT_ALLOWED);
	if (rc)
		return stopped(rc);
	for (uint64_t done = 0; done < op.len;) {
		size_t n = 0;
		rc = write_chunk(d, &op, done, &n);
		if (rc)
			return stopped(rc);
		done += n;
	}
	return send_status(d, ST_OK);
}

static int progress(struct xda *d, uint64_t done, uint64_t total)
{
	uint32_t ack;
	if (send_status(d, ST_PROGRESS_CONT) < 0 || send_u32(d, (uint32_t)(done * 100 / total)) < 0 ||
	    recv_ack(d, &ack) < 0)
		return -1;
	return ack == 0 ? 0 : (send_status(d, ST_ABORT) < 0 ? -1 : 1);
}

static int erase_with_progress(struct xda *d, const struct op *op)
{
	for (uint64_t done = 0; done < op->len;) {
		uint64_t n = op->len - done < FORMAT_STEP ? op->len - done : FORMAT_STEP;
		if (emu_emmc_erase(d->s, op->area, op->addr + done, n) != 0)
			return send_status(d, ST_MMC_ERROR) < 0 ? -1 : 0;
		done += n;
		int rc = progress(d, done, op->len);
		if (rc)
			return stopped(rc);
	}
	return send_status(d, ST_PROGRESS_DONE);
}

static int cmd_format(struct xda *d)
{
	struct op op;
	int rc = begin_storage_change(d, &op, ST_FORMAT_NOT_ALLOWED);
	if (rc)
		return stopped(rc);
	return erase_with_progress(d, &op);
}

/* ------------------------------------------------------- leaving the bus */

/* Returns 2: the session ends (the device re-enumerates); the DA keeps running. */
static int cmd_switch_usb_speed(struct xda *d)
{
	uint32_t vidpid;
	int rc = accept_u32(d, &vidpid);
	if (rc)
		return stopped(rc);
	if (send_status(d, ST_OK) < 0)
		return -1;
	if (d->e->high_speed)
		return 0;
	d->e->high_speed = true;
	emu_link_set_high_speed(d->e, true);
	emu_link_end(d->e, EMU_LINK_REENUMERATE);
	return 2;
}

static int cmd_shutdown(struct xda *d)
{
	struct mtkemu *e = d->e;
	/* SP Flash Tool 24, penumbra 28, mtkclient 32 bytes (§3.6) */
	static const size_t sizes[] = { 24, 28, 32, 0 };
	size_t n;
	if (send_status(d, ST_OK) < 0)
		return -1;
	int rc = recv_param(d, sizes, MAX_PARAM, &n);
	if (rc)
		return stopped(rc);
	bool reboot = mtk_get_u32le(d->buf) != 0;
	if (send_status(d, ST_OK) < 0)
		return -1;
	e->xda = (struct emu_xda_state){ 0 };
	if (reboot) {
		e->run = EMU_RUN_BOOT;
		emu_link_end(e, EMU_LINK_REENUMERATE);
	} else {
		e->run = EMU_RUN_GONE;
		emu_link_end(e, EMU_LINK_GONE);
	}
	return 2;
}

/* ------------------------------------------------------------ command loop */

static const struct {
	uint32_t code;
	bool da2_only;
	bool no_status; /* §1.9: no status after the code */
	int (*run)(struct xda *d);
} commands[] = {
	{ CMD_SETUP_ENVIRONMENT, false, true, cmd_setup_environment },
	{ CMD_SETUP_HW_INIT_PARAMS, false, true, cmd_setup_hw_init },
	{ CMD_DEVICE_CTRL, false, false, cmd_device_ctrl },
	{ CMD_INIT_EXT_RAM, false, false, cmd_init_ext_ram },
	{ CMD_BOOT_TO, false, false, cmd_boot_to },
	{ CMD_SWITCH_USB_SPEED, false, false, cmd_switch_usb_speed },
	{ CMD_SHUTDOWN, false, false, cmd_shutdown },
	{ CMD_READ_DATA, true, false, cmd_read_data },
	{ CMD_WRITE_DATA, true, false, cmd_write_data },
	{ CMD_FORMAT, true, false, cmd_format },
};

/* 0 next command; 1 the DA hangs; 2 the device left the bus; -1 ended. */
static int dispatch(struct xda *d, const uint8_t *p, int64_t n)
{
	if (n != 4) /* not a command packet: unknown */
		return send_status(d, ST_UNSUPPORTED_CMD);
	uint32_t code = mtk_get_u32le(p);
	if (code == SYNC_SIGNAL)
		return 0; /* a host SYNC is never answered (§1.5) */
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (commands[i].code != code)
			continue;
		if (commands[i].da2_only && d->e->run != EMU_RUN_DA2)
			break;
		return commands[i].run(d);
	}
	return send_status(d, ST_UNSUPPORTED_CMD);
}

static int command_loop(struct xda *d)
{
	for (;;) {
		int64_t n = recv_pkt(d, MAX_PARAM);
		if (n == -2)
			continue;
		if (n < 0)
			return 0;
		int rc = dispatch(d, d->buf, n);
		if (rc < 0 || rc == 2)
			return 0;
		if (rc == 1) {
			d->e->run = EMU_RUN_HUNG;
			uint8_t sink;
			while (emu_recv_u8(d->e, &sink) == 0)
				;
			return 0;
		}
	}
}

static int hang(struct mtkemu *e)
{
	uint8_t sink;
	e->run = EMU_RUN_HUNG;
	while (emu_recv_u8(e, &sink) == 0)
		;
	return emu_link_state(e) == EMU_LINK_FAULT ? -1 : 0;
}

/* A DA's receive buffer is in its DRAM from the start.  The emulator's grows
 * as packets come, and the first touch of each new page is a page fault of
 * this process (5 to 20 us each on a virtual machine): in one MT6765 flash
 * on a busy machine, 3 and 8 ms of idle modelled cable while the first 1 and
 * 2 MiB chunks came in, device time that a phone does not spend.  Under a
 * link model the buffer is made whole, and touched, before the session's
 * first packet; without one, or on a virtual clock (fuzzing), the emulator's
 * own time is not on the cable. */
static void presize_buffer(struct xda *d)
{
	if (emu_link_timed(d->e) && grow(&d->buf, &d->cap, DA2_WRITE_PKT))
		memset(d->buf, 0, d->cap);
}

static int serve(struct mtkemu *e)
{
	struct xda d = { .e = e, .s = e->storage };
	presize_buffer(&d);
	command_loop(&d);
	free(d.buf);
	free(d.rbuf);
	return emu_link_state(e) == EMU_LINK_FAULT ? -1 : 0;
}

int emu_da_xflash_run(struct mtkemu *e)
{
	char err[256];
	if (!e->da_blob || !da1_ok(e->da_blob, e->da_len, e->da_sig_len, e->prof->da_code) ||
	    emu_storage_open(e, err, sizeof err) != 0)
		return hang(e);
	/* DRAM is up when the preloader loaded DA1 (§2.4, agent "preloader"). */
	e->xda = (struct emu_xda_state){ .dram_up = e->mode == EMU_MODE_PRELOADER };
	uint8_t sync = XF_SYNC_BYTE;
	if (emu_send(e, &sync, 1) < 0)
		return hang(e);
	e->run = EMU_RUN_XDA1;
	return serve(e);
}

int emu_da_xflash_resume(struct mtkemu *e)
{
	char err[256];
	if (emu_storage_open(e, err, sizeof err) != 0)
		return hang(e);
	return serve(e);
}
