/* SPDX-License-Identifier: MIT */
/* The legacy Download Agent, device side (da-legacy.md §4), from JUMP_DA to
 * the DA2 command loop:
 *
 *   DA1: sync + storage probe (§4.2) -> 5A -> version bytes -> stage-2 config
 *        (§4.3) -> result (§4.4): 0 when DRAM is up (the device came up in
 *        preloader mode, whose preloader initialised it), 0xBC3 + the EMI
 *        exchange (§4.5) in BROM mode -> DA2 upload (§4.6)
 *   DA2: storage report (§4.7) -> commands (§4.9)
 *
 * Choices where the reference leaves the device's behaviour open:
 * - Which DA runs: BROM kept the SEND_DA payload; it must be the synthetic DA1
 *   for this chip (docs/da-synthetic.md, checked bit for bit).  Anything else
 *   is code the CPU cannot run: the device never answers after JUMP_DA (no
 *   0xC0), as a phone that jumped into garbage.  A DA2 upload that is not the
 *   synthetic DA2 for this chip is refused by DA1's hash check: the final byte
 *   of the upload is NACK (A5) instead of 5A, and the DA says nothing more.
 * - Status words use the older S_DA_* numbering (§5, table T2), the one that
 *   makes 0xBC4 "NAND not found":
 *     0xBDF S_DA_INVALID_RANGE        address/length outside the partition,
 *                                     length not a multiple of 512 (WRITE),
 *                                     packet size 0 or above 16 MiB
 *     0xC45 S_DA_FLASH_NOT_FOUND      storage type other than eMMC
 *     0xC73 S_DA_UNSUPPORTED_OPERATION  partition the part does not have
 *                                     (GP1..GP4), write-protected storage, a
 *                                     plain (unauthenticated) RPMB access
 * - A refused READ (§4.9 error path): NACK A5; the host answers A5 (mtkclient
 *   has already sent the packet-size word, which is skipped); then the u32
 *   status, little-endian.  A refused WRITE_DATA or FORMAT: A5 followed at
 *   once by the u32 status (LE) — the host aborts on the A5 either way.
 * - A WRITE_DATA packet with a wrong checksum, or one the storage refuses, is
 *   answered A5 instead of 69 and the command ends (nothing of that packet is
 *   stored); the host aborts (§4.9, §8.4 item 11).
 * - SWITCH_PART to a partition the part does not have: A5, the selection is
 *   unchanged.  Unknown commands: 0xBB (UNKNOWN_CMD).
 * - 0xA5 READ_PMT: the PMT kept at user_size − 1 MiB (MBR-era devices) as
 *   the stored 0x60-byte records (linear offsets, EMU_PMT_PART_ID); a GPT-era device
 *   has no PMT and answers length 0.
 * - FINISH: 5A, then the mode word if the host sends it within FINISH_WAIT_MS
 *   (answered 5A; mtkclient never sends it, §4.9); then the device resets and
 *   re-enumerates (the boot model picks the next mode), also when the host
 *   closed the port instead of sending the word.
 * - USB speed (§4.8): a DA the BROM loaded runs at full speed (72 -> 5A 00)
 *   until 70 01, answered 5A, then it re-enumerates at high speed with its
 *   state intact; one the preloader loaded is high speed from the start.
 * - Sessions: DA2 stays in its command loop when the host closes the port; a
 *   handshake byte arriving as a command is the host's bug: logged as a
 *   VIOLATION, answered as an unknown command.
 * - DRAM init (§4.5, after 0x80000001): the DA takes the payload as records
 *   of `dramlen` bytes and picks one as the preloader does (formats.md
 *   §4.5.3: the eMMC id, then MR5 among discrete records).  When none fits,
 *   DA1 goes silent, as a DA stuck in DRAM init.  The chosen record must
 *   carry the board's own settings (emu_board_emi_record(), the record its
 *   factory preloader carries; not the preloader now in boot1: a bricked
 *   device has none, and that is the case the EMI exchange exists for);
 *   other timings: result 0xBBA (S_DA_SETUP_DRAM_FAIL, §5 table T2) with
 *   nothing after it, and DA1 stops answering.
 * - Write-protected storage (fault `write-protect`): WRITE_DATA is refused at
 *   its header (A5 + 0xC73), before any data moves; FORMAT likewise.
 * - Storage read faults (`read-error`, `read-flaky`, readfault.c): READ is
 *   refused on the documented error path (§4.9: NACK, the host's A5, the u32
 *   status) with 0xBE7 when any byte of the requested range fails, before
 *   the 5A; the DA stays in its command loop.  Where a real DA reports a
 *   failure it meets after its 5A, mid-stream, is not in the sources: the
 *   emulator knows its worn cells in advance and never has to.  `read-slow`
 *   delays each 64 KiB piece before it is sent.
 * Large transfers go packet by packet straight to and from the sparse files. */
#include "emu_internal.h"
#include "emu_storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/checksum.h"

enum {
	ACK = 0x5A,
	NACK = 0xA5,
	SYNC = 0xC0,
	CONT = 0x69,
	SOC_OK = 0xC1,
	UNKNOWN_CMD = 0xBB,
};

enum {
	S_DONE = 0,
	S_DA_SETUP_DRAM_FAIL = 0xBBA,
	S_DA_RAM_NEEDED = 0xBC3, /* stage-2 result: send the EMI settings */
	S_DA_NAND_NOT_FOUND = 0xBC4,
	S_DA_NOR_NOT_FOUND = 0xBC7,
	S_DA_INVALID_RANGE = 0xBDF,
	S_DA_FLASH_NOT_FOUND = 0xC45,
	S_DA_UNSUPPORTED_OPERATION = 0xC73,
	/* Table T2 has no eMMC read failure (T1's SDMMC_READ_FAILED 0xC51 is
	 * S_DA_CBR_FLASH_LAYOUT_NOT_FOUND in T2's numbering, which this DA
	 * speaks).  A worn eMMC fails a read because its NAND cells give an
	 * uncorrectable ECC error, so that word [inferred]. */
	S_DA_NAND_ECC_UNCORRECTABLE_ERROR = 0xBE7,
};

enum { STORAGE_HW_EMMC = 2, STORAGE_DA_EMMC = 1 };

#define MAX_PACKET   (16u << 20)
#define MAX_DA2      (4u << 20)
#define MAX_EMI      (64u << 10)
#define SYNTH_MARKER 64
#define SYNTH_SIG    0x100
#define EXT_RAM_SIZE 0x40000000ull
#define NREGS        64
#define FINISH_WAIT_MS 1000u

struct da {
	struct mtkemu *e;
	struct emu_storage *s;
	int area; /* selected by SWITCH_PART */
	uint8_t *buf;
	size_t bufcap;
	size_t nregs;
	struct {
		uint32_t addr, val;
	} regs[NREGS];
};

/* The device stops answering: it reads (and drops) until the link ends. */
static int go_silent(struct mtkemu *e)
{
	emu_swallow(e);
	return -1;
}

static int send_u8(struct mtkemu *e, uint8_t b)
{
	return emu_send(e, &b, 1);
}

static int recv_u16be(struct mtkemu *e, uint16_t *v)
{
	uint8_t b[2];
	if (emu_recv(e, b, 2) < 0)
		return -1;
	*v = mtk_get_u16be(b);
	return 0;
}

static uint8_t *packet_buf(struct da *d, size_t n)
{
	if (n > d->bufcap) {
		uint8_t *p = realloc(d->buf, n);
		if (!p)
			return NULL;
		d->buf = p;
		d->bufcap = n;
	}
	return d->buf;
}

/* ------------------------------------------------------- synthetic DA check */

/* docs/da-synthetic.md: marker, xorshift32 filler, signature text. */
static bool synthetic_ok(const uint8_t *buf, size_t len, size_t sig_len, uint16_t da_code, unsigned stage)
{
	char text[SYNTH_SIG];
	if (sig_len != SYNTH_SIG || len < SYNTH_MARKER + sig_len)
		return false;
	memset(text, 0, sizeof(text));
	snprintf(text, SYNTH_MARKER, "MTKFLASH-SYNTHETIC-DA%u hw=0x%04x", stage, da_code);
	if (memcmp(buf, text, SYNTH_MARKER) != 0)
		return false;
	if (!emu_xorshift_matches(buf, SYNTH_MARKER, len - sig_len, 0x9E3779B9u ^ ((uint32_t)da_code << 8) ^ stage, 0,
	                          0))
		return false;
	memset(text, 0, sizeof(text));
	snprintf(text, sizeof(text), "MTKFLASH-SYNTHETIC-SIG hw=0x%04x stage=%u", da_code, stage);
	return memcmp(buf + len - sig_len, text, sig_len) == 0;
}

/* ------------------------------------------------------------------- DA1 */

static int send_sync_report(struct da *d)
{
	uint8_t r[1 + 4 + 2 + 4 + 16];
	r[0] = SYNC;
	mtk_put_u32be(r + 1, S_DA_NAND_NOT_FOUND);
	mtk_put_u16be(r + 5, 0); /* no NAND ids */
	mtk_put_u32be(r + 7, S_DONE);
	memcpy(r + 11, emu_emmc_geometry(d->s)->cid, 16);
	return emu_send(d->e, r, sizeof(r));
}

/* Bytes after the fixed 18 of the stage-2 block, by BROM hw_code (§4.3). */
static size_t stage2_tail(uint16_t hw_code)
{
	switch (hw_code) {
	case 0x6592:
	case 0x6583:
	case 0x6589:
	case 0x6582:
		return 4;
	case 0x6580:
	case 0x8163:
		return 24;
	case 0x8127:
		return 28;
	default:
		return 0;
	}
}

static int recv_stage2(struct da *d)
{
	uint8_t cfg[18 + 28];
	size_t n = 18 + stage2_tail(d->e->prof->hw_code);
	/* Every value is accepted, as §4.3 says; none changes what this DA does. */
	return emu_recv(d->e, cfg, n);
}

/* The EMI versions this DA takes, the record size it asks for (dramlen,
 * formats.md §4.5.2 by MTK_BLOADER_INFO version) and where its records keep
 * type, id_length and ID.  0x00 arrives as 0xFFFFFFFF; its layout is not in
 * the reference, the v11 one is assumed.  0x0A/0x0B and 0x0C/0x0D/0x00 take
 * one record (da-legacy.md §4.5). */
struct emi_ver {
	uint32_t emiver, dramlen;
	uint8_t type_off, idlen_off, id_off;
	bool one_record;
};
static const struct emi_ver emi_vers[] = {
        {0x0A, 0xB8, 0x04, 0x08, 0x10, true},  {0x0B, 0xA8, 0x00, 0x14, 0x04, true},
        {0x0C, 0xBC, 0x04, 0x08, 0x10, true},  {0x0D, 0xBC, 0x04, 0x08, 0x10, true},
        {0x0F, 0xB0, 0x04, 0x08, 0x10, false}, {0x10, 0xBC, 0x04, 0x08, 0x10, false},
        {0x11, 0xB0, 0x04, 0x08, 0x10, false}, {0x14, 0xBC, 0x04, 0x08, 0x10, false},
        {0x15, 0xBC, 0x04, 0x08, 0x10, false}, {0xFFFFFFFFu, 0xA8, 0x00, 0x14, 0x04, true},
};

static const struct emi_ver *emi_ver_find(uint32_t v)
{
	for (size_t i = 0; i < sizeof emi_vers / sizeof emi_vers[0]; i++)
		if (emi_vers[i].emiver == v)
			return &emi_vers[i];
	return NULL;
}

/* Receives the EMI settings; returns their length or -1. */
static int recv_emi_data(struct da *d, const struct emi_ver *ev)
{
	uint32_t total = ev->dramlen;
	uint8_t ack;
	if (ev->emiver == 0x0A || ev->emiver == 0x0B) { /* "RAM info" first: the eMMC id again */
		if (emu_send(d->e, emu_emmc_geometry(d->s)->cid, 16) < 0)
			return -1;
	}
	if (emu_send_u32be(d->e, ev->dramlen) < 0 || emu_recv_u8(d->e, &ack) < 0 || ack != ACK)
		return -1;
	bool sends_total = !ev->one_record && d->e->prof->hw_code != 0x8127;
	if ((sends_total || ev->emiver == 0xFFFFFFFFu) && emu_recv_u32be(d->e, &total) < 0)
		return -1;
	if (ev->one_record && ev->emiver != 0xFFFFFFFFu)
		total = ev->dramlen;
	if (total == 0 || total > MAX_EMI)
		return -1;
	uint8_t *p = packet_buf(d, total);
	if (!p || emu_recv(d->e, p, total) < 0)
		return -1;
	return (int)total;
}

static int send_ext_ram(struct da *d, uint32_t emiver)
{
	uint8_t r[4 + 1 + 1 + 8 + 20];
	size_t n = 14;
	mtk_put_u32be(r, S_DONE);
	r[4] = 0x02; /* DRAM */
	r[5] = 0x00;
	mtk_put_u64be(r + 6, EXT_RAM_SIZE);
	if (emiver == 0x0D) { /* the five words observed after v13 settings */
		static const uint32_t extra[5] = {0x3, 0x1C004004, 0xAA080033, 0x13, 0x10};
		for (int i = 0; i < 5; i++)
			mtk_put_u32be(r + 14 + 4 * i, extra[i]);
		n += 20;
	}
	return emu_send(d->e, r, n);
}

static bool rec_is_mcp(uint32_t type)
{
	unsigned cls = (type >> 8) & 0xF;
	return type != 0 && cls >= 1 && cls <= 3;
}

/* The preloader's mt_get_mdl_number (formats.md §4.5.3), which the DA repeats
 * over the records it was sent: the first MCP record naming this eMMC; else,
 * with two or more records and a discrete one, the first discrete record
 * whose MR5 is the DRAM's vendor id (MR5 is known only in the 0xBC layout);
 * a single discrete record is taken as it is.  -1: nothing fits. */
static int pick_record(const struct da *d, const struct emi_ver *ev, const uint8_t *recs, size_t count)
{
	const uint8_t *cid = emu_emmc_geometry(d->s)->cid;
	bool any_discrete = false;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *r = recs + i * ev->dramlen;
		uint32_t type = mtk_get_u32le(r + ev->type_off), n = mtk_get_u32le(r + ev->idlen_off);
		if (!rec_is_mcp(type)) {
			any_discrete |= type != 0;
			continue;
		}
		if (n > 0 && n <= 16 && memcmp(r + ev->id_off, cid, n) == 0)
			return (int)i;
	}
	if (count == 1 && any_discrete)
		return 0;
	if (count < 2 || !any_discrete || ev->dramlen != EMU_EMI_RECORD_SIZE)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *r = recs + i * ev->dramlen;
		uint32_t type = mtk_get_u32le(r + ev->type_off);
		if (type != 0 && !rec_is_mcp(type) && mtk_get_u32le(r + EMU_EMI_MR5_OFF) == d->e->prof->dram_mr5)
			return (int)i;
	}
	return -1;
}

/* Did the chosen record carry this board's DRAM settings?  In the board's
 * own (0xBC) layout every byte must be its own; in another layout only the
 * DRAM type can be judged. */
static bool record_fits_board(const struct da *d, const struct emi_ver *ev, const uint8_t *rec)
{
	uint8_t own[EMU_EMI_RECORD_SIZE];
	emu_board_emi_record(d->e->prof, own);
	/* The first u32 (sub_version) is no DRAM setting, and the one-record
	 * versions get 00 00 01 00 there from the host (da-legacy.md §4.5). */
	if (ev->dramlen == EMU_EMI_RECORD_SIZE)
		return memcmp(rec + 4, own + 4, EMU_EMI_RECORD_SIZE - 4) == 0;
	return (mtk_get_u32le(rec + ev->type_off) & 0xF) == d->e->prof->dram_type;
}

/* §4.5: DRAM is not up; the host hands over the EMI settings. */
static int emi_exchange(struct da *d)
{
	struct mtkemu *e = d->e;
	uint8_t pre[4 + 16 + 4 + 2];
	mtk_put_u32be(pre, 0);
	memcpy(pre + 4, emu_emmc_geometry(d->s)->cid, 16); /* "DRAM info" */
	mtk_put_u32be(pre + 20, S_DA_NAND_NOT_FOUND);
	mtk_put_u16be(pre + 24, 0);
	uint8_t cmd;
	uint32_t emiver;
	if (emu_send(e, pre, sizeof(pre)) < 0 || emu_recv_u8(e, &cmd) < 0 || cmd != 0xE8 ||
	    emu_recv_u32be(e, &emiver) < 0)
		return -1;
	const struct emi_ver *ev = emi_ver_find(emiver);
	if (!ev) {
		send_u8(e, NACK); /* "EMI config not accepted" */
		return -1;
	}
	int n;
	if (send_u8(e, ACK) < 0 || (n = recv_emi_data(d, ev)) < 0)
		return -1;
	uint8_t ack;
	uint32_t apply;
	if (emu_send_u16be(e, mtk_sum16_update(0, d->buf, (size_t)n)) < 0 || emu_recv_u8(e, &ack) < 0 ||
	    ack != ACK || emu_recv_u32be(e, &apply) < 0 || apply != 0x80000001u)
		return -1;
	int pick = pick_record(d, ev, d->buf, (size_t)n / ev->dramlen);
	if (pick < 0)
		return go_silent(e); /* no settings for this DRAM: the DA hangs in DRAM init */
	if (!record_fits_board(d, ev, d->buf + (size_t)pick * ev->dramlen)) {
		emu_send_u32be(e, S_DA_SETUP_DRAM_FAIL);
		return -1;
	}
	return send_ext_ram(d, emiver);
}

/* §4.6: DA1 loads DA2 and checks it before jumping to it. */
static int recv_da2(struct da *d)
{
	struct mtkemu *e = d->e;
	uint32_t addr, size, pkt;
	if (emu_recv_u32be(e, &addr) < 0 || emu_recv_u32be(e, &size) < 0 || emu_recv_u32be(e, &pkt) < 0)
		return -1;
	uint8_t *img = size && size <= MAX_DA2 && pkt && pkt <= MAX_PACKET ? malloc(size) : NULL;
	if (!img) {
		send_u8(e, NACK);
		return -1;
	}
	int rc = send_u8(e, ACK);
	for (uint32_t done = 0; rc == 0 && done < size;) {
		uint32_t n = size - done < pkt ? size - done : pkt;
		rc = emu_recv(e, img + done, n);
		if (rc == 0)
			rc = send_u8(e, ACK);
		done += n;
	}
	uint8_t fin;
	if (rc == 0)
		rc = emu_recv_u8(e, &fin);
	bool ok = rc == 0 && fin == ACK && synthetic_ok(img, size, SYNTH_SIG, e->prof->da_code, 2);
	free(img);
	if (rc == 0)
		rc = send_u8(e, ok ? ACK : NACK);
	return rc == 0 && ok ? 0 : -1;
}

static int run_da1(struct da *d)
{
	struct mtkemu *e = d->e;
	static const uint8_t version[3] = {0x04, 0x01, 0x00};
	uint8_t ack;
	if (send_sync_report(d) < 0 || emu_recv_u8(e, &ack) < 0 || ack != ACK)
		return -1;
	if (emu_send(e, version, sizeof(version)) < 0 || recv_stage2(d) < 0)
		return -1;
	bool dram_up = e->mode == EMU_MODE_PRELOADER;
	if (emu_send_u32be(e, dram_up ? S_DONE : S_DA_RAM_NEEDED) < 0)
		return -1;
	if (dram_up && e->prof->hw_code == 0x6592) {
		static const uint8_t five[20];
		if (emu_send(e, five, sizeof(five)) < 0)
			return -1;
	}
	if (!dram_up && emi_exchange(d) < 0)
		return -1;
	return recv_da2(d);
}

/* ------------------------------------------------------------ DA2 report */

static size_t put_report_nor_nand(uint8_t *r)
{
	memset(r, 0, 28 + 40);
	mtk_put_u32be(r, S_DA_NOR_NOT_FOUND);
	uint8_t *n = r + 28;
	mtk_put_u32be(n, S_DA_NAND_NOT_FOUND);
	mtk_put_u16be(n + 15, 7); /* id count K: 7 zero codes (K = 0 crashes hosts, §4.7) */
	return 28 + 40;
}

static size_t put_report_emmc(uint8_t *r, const struct emu_storage *s)
{
	const struct emu_emmc_geometry *g = emu_emmc_geometry(s);
	memset(r, 0, 92);
	mtk_put_u32be(r, S_DONE);
	mtk_put_u64be(r + 4, g->size[EMU_AREA_BOOT1]);
	mtk_put_u64be(r + 12, g->size[EMU_AREA_BOOT2]);
	mtk_put_u64be(r + 20, g->size[EMU_AREA_RPMB]);
	/* r + 28: four GP sizes, all 0 */
	mtk_put_u64be(r + 60, g->size[EMU_AREA_USER]);
	memcpy(r + 68, g->cid, 16);
	memcpy(r + 84, "EMU\0\0\0\0\x01", 8); /* firmware version */
	return 92;
}

static size_t put_report_sdc_cfg(uint8_t *r, const struct emu_storage *s)
{
	memset(r, 0, 28 + 38);
	mtk_put_u32be(r, S_DA_NAND_NOT_FOUND); /* no SD card */
	uint8_t *c = r + 28;
	mtk_put_u32be(c, S_DONE);
	mtk_put_u32be(c + 4, 0x20000); /* internal SRAM */
	mtk_put_u32be(c + 8, S_DONE);
	c[12] = 0x02;
	c[13] = 0x00;
	mtk_put_u64be(c + 14, EXT_RAM_SIZE);
	memcpy(c + 22, emu_emmc_geometry(s)->cid, 16); /* "random id": stable per device */
	return 28 + 38;
}

static int send_da2_report(struct da *d)
{
	uint8_t r[240];
	size_t n = put_report_nor_nand(r);
	n += put_report_emmc(r + n, d->s);
	n += put_report_sdc_cfg(r + n, d->s);
	uint16_t hw = d->e->prof->hw_code;
	if (hw == 0x8127 || hw == 0x8163) {
		mtk_put_u32be(r + n, S_DONE);
		n += 4;
	}
	r[n] = ACK;
	mtk_put_u32be(r + n + 1, 0); /* download status */
	mtk_put_u32be(r + n + 5, 0); /* boot style */
	r[n + 9] = SOC_OK;
	return emu_send(d->e, r, n + 10);
}

/* --------------------------------------------------------------- commands */

/* Refusal for WRITE_DATA / FORMAT: A5 then the status word. */
static int refuse(struct da *d, uint32_t status)
{
	uint8_t r[5] = {NACK};
	mtk_put_u32le(r + 1, status);
	return emu_send(d->e, r, sizeof(r));
}

static uint32_t range_status(const struct da *d, int area, uint64_t off, uint64_t len)
{
	uint64_t end;
	/* RPMB is authenticated storage: the eMMC serves it only through signed
	 * request/response frames, which the legacy protocol does not carry
	 * (da-legacy.md §4.9: no RPMB access on this path).  The reference does
	 * not say what a real DA answers a plain access with; we refuse it like
	 * any operation the part cannot do [inferred]. */
	if (area < 0 || area == EMU_AREA_RPMB)
		return S_DA_UNSUPPORTED_OPERATION;
	if (mtk_add_overflows(off, len, &end) || end > emu_emmc_size(d->s, area))
		return S_DA_INVALID_RANGE;
	return S_DONE;
}

static int cmd_usb_check(struct da *d)
{
	uint8_t r[2] = {ACK, d->e->high_speed ? 0x01 : 0x00};
	return emu_send(d->e, r, 2);
}

/* Returns 1 (the session ends) when the device leaves the bus to come back
 * at high speed; the DA keeps running. */
static int cmd_usb_setup(struct da *d)
{
	uint8_t mode;
	if (emu_recv_u8(d->e, &mode) < 0 || send_u8(d->e, ACK) < 0)
		return -1;
	if (mode != 0x01 || d->e->high_speed)
		return 0;
	d->e->high_speed = true;
	emu_link_set_high_speed(d->e, true);
	emu_link_end(d->e, EMU_LINK_REENUMERATE);
	return 1;
}

static int cmd_switch_part(struct da *d)
{
	uint8_t sel;
	if (send_u8(d->e, ACK) < 0 || emu_recv_u8(d->e, &sel) < 0)
		return -1;
	int area = emu_area_from_selector(sel);
	if (area < 0)
		return send_u8(d->e, NACK);
	d->area = d->e->da_area = area;
	return send_u8(d->e, ACK);
}

/* §4.9 READ error path: the host answers our NACK with A5 (mtkclient first
 * finishes its parameter block with the packet-size word). */
static int refuse_read(struct da *d, uint32_t status)
{
	uint8_t b;
	if (send_u8(d->e, NACK) < 0 || emu_recv_u8(d->e, &b) < 0)
		return -1;
	if (b != NACK) {
		uint8_t rest[3];
		if (emu_recv(d->e, rest, 3) < 0 || emu_recv_u8(d->e, &b) < 0)
			return -1;
	}
	uint8_t st[4];
	mtk_put_u32le(st, status);
	return emu_send(d->e, st, 4);
}

/* One packet and its byte sum, read from storage a piece at a time as the
 * USB side sends it (a DA's DMA does not wait for the whole packet). */
#define STREAM_PIECE (64u << 10)

static int send_read_packet(struct da *d, uint64_t off, size_t n, uint8_t *buf)
{
	struct emu_tx tx;
	uint16_t sum = 0;
	if (emu_send_begin(d->e, &tx, n + 2) < 0)
		return -1;
	for (size_t at = 0, k; at < n; at += k) {
		k = n - at < STREAM_PIECE ? n - at : STREAM_PIECE;
		emu_fault_read_pace(d->e, d->area, off + at, k);
		if (emu_emmc_read(d->s, d->area, off + at, buf, k) != 0)
			return -1; /* the backing file failed under us: nothing sane to send */
		sum = mtk_sum16_update(sum, buf, k);
		if (emu_send_part(d->e, &tx, buf, k) < 0)
			return -1;
	}
	uint8_t tail[2];
	mtk_put_u16be(tail, sum);
	return emu_send_part(d->e, &tx, tail, 2);
}

static int stream_read(struct da *d, uint64_t off, uint64_t len, uint32_t pkt)
{
	uint8_t *buf = packet_buf(d, pkt < STREAM_PIECE ? pkt : STREAM_PIECE);
	if (!buf)
		return -1;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < pkt ? (size_t)(len - done) : pkt;
		uint8_t ack;
		if (send_read_packet(d, off + done, n, buf) < 0 || emu_recv_u8(d->e, &ack) < 0)
			return -1;
		if (ack != ACK)
			return 0; /* the host gave up on this read */
		done += n;
	}
	return 0;
}

static int cmd_read(struct da *d)
{
	uint8_t p[18];
	if (emu_recv(d->e, p, sizeof(p)) < 0)
		return -1;
	uint64_t off = mtk_get_u64be(p + 2), len = mtk_get_u64be(p + 10);
	uint32_t st = p[1] != STORAGE_HW_EMMC ? S_DA_FLASH_NOT_FOUND : range_status(d, d->area, off, len);
	if (st == S_DONE && emu_fault_read_check(d->e, d->area, off, len) < 0)
		st = S_DA_NAND_ECC_UNCORRECTABLE_ERROR;
	if (st != S_DONE)
		return refuse_read(d, st);
	uint32_t pkt;
	if (send_u8(d->e, ACK) < 0 || emu_recv_u32be(d->e, &pkt) < 0)
		return -1;
	if (pkt == 0 || pkt > MAX_PACKET)
		return -1; /* no way left to refuse: the 5A is out */
	return stream_read(d, off, len, pkt);
}

/* A packet of n bytes into d->buf, which grows as they arrive (a host may
 * announce 16 MiB packets and send a few bytes). */
static uint8_t *recv_packet(struct da *d, size_t n)
{
	for (size_t done = 0, k; done < n; done += k) {
		k = n - done < STREAM_PIECE ? n - done : STREAM_PIECE;
		size_t want = d->bufcap > done + k ? d->bufcap : 2 * d->bufcap;
		want = want < done + k ? done + k : want > n ? n : want;
		if (!packet_buf(d, want) || emu_recv(d->e, d->buf + done, k) < 0)
			return NULL;
	}
	return packet_buf(d, n ? n : 1);
}

static int write_packets(struct da *d, int area, uint64_t off, uint64_t len, uint32_t pkt)
{
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < pkt ? (size_t)(len - done) : pkt;
		uint8_t ready, *buf;
		uint16_t sum;
		if (emu_recv_u8(d->e, &ready) < 0)
			return -1;
		if (ready != ACK)
			return 0; /* not our exchange any more: the host aborted */
		if (!(buf = recv_packet(d, n)) || recv_u16be(d->e, &sum) < 0)
			return -1;
		bool ok = sum == mtk_sum16_update(0, buf, n) &&
		          emu_emmc_write(d->s, area, off + done, buf, n) == 0;
		if (send_u8(d->e, ok ? CONT : NACK) < 0)
			return -1;
		if (!ok)
			return 0;
		done += n;
	}
	return 0;
}

static int cmd_write_data(struct da *d)
{
	uint8_t p[22];
	if (emu_recv(d->e, p, sizeof(p)) < 0)
		return -1;
	int area = emu_area_from_selector(p[1]);
	uint64_t off = mtk_get_u64be(p + 2), len = mtk_get_u64be(p + 10);
	uint32_t pkt = mtk_get_u32be(p + 18);
	uint32_t st = p[0] != STORAGE_DA_EMMC ? S_DA_FLASH_NOT_FOUND : range_status(d, area, off, len);
	if (st == S_DONE && (len % EMU_EMMC_BLOCK || pkt == 0 || pkt > MAX_PACKET))
		st = S_DA_INVALID_RANGE;
	if (st == S_DONE && emu_emmc_write_protected(d->s))
		st = S_DA_UNSUPPORTED_OPERATION;
	if (st != S_DONE)
		return refuse(d, st);
	return send_u8(d->e, ACK) < 0 ? -1 : write_packets(d, area, off, len, pkt);
}

static int cmd_format(struct da *d)
{
	uint8_t p[20];
	if (emu_recv(d->e, p, sizeof(p)) < 0)
		return -1;
	uint64_t off = mtk_get_u64be(p + 4), len = mtk_get_u64be(p + 12);
	uint32_t st = p[0] != STORAGE_HW_EMMC ? S_DA_FLASH_NOT_FOUND : range_status(d, d->area, off, len);
	if (st == S_DONE && emu_emmc_erase(d->s, d->area, off, len) != 0)
		st = S_DA_UNSUPPORTED_OPERATION;
	if (st != S_DONE)
		return refuse(d, st);
	uint8_t r[7] = {ACK, ACK, 0, 0, 0, 0, 100}; /* one progress report: done */
	uint8_t ack;
	if (emu_send(d->e, r, sizeof(r)) < 0 || emu_recv_u8(d->e, &ack) < 0)
		return -1;
	if (ack != ACK)
		return 0;
	static const uint8_t fin[2] = {ACK, ACK};
	return emu_send(d->e, fin, 2);
}

/* The 0xA5 payload from the PMT on the user area, or 0 bytes without one. */
static int pmt_payload(struct da *d, uint8_t **out)
{
	*out = NULL;
	uint64_t off;
	uint8_t raw[2 * EMU_PMT_COPY_SIZE];
	if (emu_pmt_location(emu_emmc_size(d->s, EMU_AREA_USER), &off) != 0 ||
	    emu_emmc_read(d->s, EMU_AREA_USER, off, raw, sizeof(raw)) != 0)
		return 0;
	return emu_pmt_payload(raw, out);
}

static int cmd_read_pmt(struct da *d)
{
	uint8_t *pmt;
	int n = pmt_payload(d, &pmt);
	uint8_t ack;
	int rc =
	        send_u8(d->e, ACK) < 0 || emu_send_u32be(d->e, (uint32_t)n) < 0 || emu_recv_u8(d->e, &ack) < 0
	                ? -1
	                : 0;
	if (rc == 0 && ack == ACK)
		rc = emu_send(d->e, pmt, (size_t)n) < 0 || emu_recv_u8(d->e, &ack) < 0 ? -1 : 0;
	free(pmt);
	return rc;
}

/* Returns 1: the device resets after FINISH, whatever the host did. */
static int cmd_finish(struct da *d)
{
	struct mtkemu *e = d->e;
	uint8_t mode[4];
	if (send_u8(e, ACK) == 0 && emu_recv_within(e, mode, sizeof mode, FINISH_WAIT_MS) == 0)
		send_u8(e, ACK);
	e->run = EMU_RUN_BOOT;
	enum emu_link_end how = emu_link_state(e);
	if (how == EMU_LINK_UP || how == EMU_LINK_CLOSED)
		emu_link_end(e, EMU_LINK_REENUMERATE);
	return 1;
}

static uint32_t *reg_slot(struct da *d, uint32_t addr, bool create)
{
	for (size_t i = 0; i < d->nregs; i++)
		if (d->regs[i].addr == addr)
			return &d->regs[i].val;
	if (!create || d->nregs == NREGS)
		return NULL;
	d->regs[d->nregs].addr = addr;
	d->regs[d->nregs].val = 0;
	return &d->regs[d->nregs++].val;
}

static int cmd_read_reg32(struct da *d)
{
	uint32_t addr;
	if (emu_recv_u32be(d->e, &addr) < 0)
		return -1;
	uint32_t *v = reg_slot(d, addr, false);
	uint8_t r[5];
	mtk_put_u32be(r, v ? *v : 0);
	r[4] = ACK;
	return emu_send(d->e, r, sizeof(r));
}

static int cmd_write_reg32(struct da *d)
{
	uint32_t addr, val;
	if (emu_recv_u32be(d->e, &addr) < 0 || emu_recv_u32be(d->e, &val) < 0)
		return -1;
	uint32_t *v = reg_slot(d, addr, true);
	if (v)
		*v = val; /* a full map drops the write, as unmapped I/O space would */
	return send_u8(d->e, ACK);
}

static const struct {
	uint8_t code;
	int (*run)(struct da *d);
} commands[] = {
        {0x72, cmd_usb_check},  {0x70, cmd_usb_setup},   {0x60, cmd_switch_part}, {0xD6, cmd_read},
        {0x62, cmd_write_data}, {0xD4, cmd_format},      {0xA5, cmd_read_pmt},    {0xD9, cmd_finish},
        {0x7A, cmd_read_reg32}, {0x7B, cmd_write_reg32},
};

typedef int (*da_cmd_fn)(struct da *d);

/* Not traced: it runs for every host byte, and its ten traced compares were
 * a tenth of a fuzz run of the DA; the handler it finds is traced. */
MTK_NO_COVERAGE static da_cmd_fn find_command(uint8_t code)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].code == code)
			return commands[i].run;
	return NULL;
}

static bool is_sync_byte(uint8_t b)
{
	return b == 0xA0 || b == 0x0A || b == 0x50 || b == 0x05;
}

static int hang(struct mtkemu *e);

static int command_loop(struct da *d)
{
	for (;;) {
		uint8_t code;
		if (emu_recv_u8(d->e, &code) < 0)
			return 0;
		if (emu_fault_da_command(d->e))
			return hang(d->e);
		if (is_sync_byte(code))
			emu_violation(d->e, "host sent a handshake byte 0x%02X into the running DA", code);
		da_cmd_fn run = find_command(code);
		int rc = run ? run(d) : send_u8(d->e, UNKNOWN_CMD);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
}

static int hang(struct mtkemu *e)
{
	e->run = EMU_RUN_HUNG;
	go_silent(e);
	return emu_link_state(e) == EMU_LINK_FAULT ? -1 : 0;
}

int emu_da_legacy_run(struct mtkemu *e)
{
	char err[256];
	if (!e->da_blob || !synthetic_ok(e->da_blob, e->da_len, e->da_sig_len, e->prof->da_code, 1) ||
	    emu_storage_open(e, err, sizeof(err)) != 0)
		return hang(e);
	struct da d = {.e = e, .s = e->storage, .area = EMU_AREA_USER};
	e->da_area = EMU_AREA_USER;
	if (run_da1(&d) == 0) {
		if (send_da2_report(&d) == 0) {
			e->run = EMU_RUN_DA2;
			command_loop(&d);
		}
	} else {
		free(d.buf);
		return hang(e); /* DA1 gave up (bad exchange or DA2 refused): the CPU just spins */
	}
	free(d.buf);
	return emu_link_state(e) == EMU_LINK_FAULT ? -1 : 0;
}

/* Registers written with 0x7B are not kept across sessions (Choice: the
 * DA's register cache is a test aid, not device state). */
int emu_da_legacy_resume(struct mtkemu *e)
{
	char err[256];
	if (emu_storage_open(e, err, sizeof(err)) != 0)
		return hang(e);
	struct da d = {.e = e, .s = e->storage, .area = e->da_area >= 0 ? e->da_area : EMU_AREA_USER};
	command_loop(&d);
	free(d.buf);
	return emu_link_state(e) == EMU_LINK_FAULT ? -1 : 0;
}
