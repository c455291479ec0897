/* SPDX-License-Identifier: MIT */
/* Legacy Download Agent protocol, host side (da-legacy.md §4, §6.2, §7).
 *
 * Everything on the wire is big-endian.  After JUMP_DA, DA1 reports its
 * storage probe, takes the stage-2 configuration (and DRAM settings when the
 * BootROM left DRAM cold), receives DA2, and DA2 reports the storage in full;
 * then a command loop serves reads, writes and erases in packets of
 * LEGACY_PACKET bytes, each followed by a 16-bit byte sum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"
#include "da/legacy_priv.h"
#include "da/da_priv.h"
#include "mtkflash/status.h"

/* mtkclient's read and write packet: the largest the legacy DAs are known
 * to accept (§4.9). */
#define LEGACY_PACKET 0x00100000u
#define DA2_PACKET 0x1000u /* §4.6 */
#define WRITE_UNIT 512u
#define T_REPLY 5000
#define T_STAGE2 20000 /* DA1 may calibrate DRAM before answering */
#define T_ERASE_STEP 300000
#define PMT_MAX (1u << 20)

struct legacy {
	int cur_part; /* selector last sent with 0x60; -1 unknown */
	uint8_t *pkt; /* [ACK][packet][sum16] */
	uint8_t *next; /* the write's next packet, built while the DA stores the current one */
	size_t pkt_cap; /* both buffers hold this many bytes (grown on demand) */
};

/* ---------------------------------------------------------------- wire */

static int rd(struct mtk_da *da, void *buf, size_t n, int timeout, const char *what)
{
	int rc = mtk_tp_read_exact(da->tp, buf, n, timeout);
	return rc < 0 ? mtk_wrap(da->ctx, rc, "%s", what) : 0;
}

static int wr(struct mtk_da *da, const void *buf, size_t n, const char *what)
{
	int rc = mtk_tp_write(da->tp, buf, n, T_REPLY + (int)(n >> 10));
	return rc < 0 ? mtk_wrap(da->ctx, rc, "%s", what) : 0;
}

static int wr_byte(struct mtk_da *da, uint8_t b, const char *what)
{
	return wr(da, &b, 1, what);
}

static int expect(struct mtk_da *da, uint8_t want, int timeout, const char *what)
{
	uint8_t b;
	int rc = rd(da, &b, 1, timeout, what);
	if (rc < 0)
		return rc;
	if (b != want)
		return mtk_fail(da->ctx, MTK_E_PROTO, "%s: expected 0x%02x, got 0x%02x", what, want, b);
	return 0;
}

static int rd_u32(struct mtk_da *da, uint32_t *v, int timeout, const char *what)
{
	uint8_t b[4];
	int rc = rd(da, b, 4, timeout, what);
	*v = mtk_get_u32be(b);
	return rc;
}

/* Wire time for n bytes at no less than 100 kB/s, plus reply slack. */
static int data_timeout(size_t n)
{
	return T_REPLY + (int)(n / 100);
}

/* ------------------------------------------------ DA1: sync and probe (§4.2) */

static int read_sync(struct mtk_da *da)
{
	uint8_t b[4];
	int rc = rd(da, b, 1, T_REPLY, "waiting for the DA's sync byte");
	if (rc < 0)
		return rc;
	if (b[0] != LEGACY_SYNC)
		return mtk_fail(da->ctx, MTK_E_PROTO, "DA1 did not start: expected sync 0xc0, got 0x%02x", b[0]);
	uint32_t nand_ret, emmc_ret;
	uint8_t cnt[2];
	if ((rc = rd_u32(da, &nand_ret, T_REPLY, "DA1 storage probe")) < 0 ||
	    (rc = rd(da, cnt, 2, T_REPLY, "DA1 storage probe")) < 0)
		return rc;
	uint16_t n = mtk_get_u16be(cnt), first_id = 0;
	if (n > LEGACY_MAX_NAND_IDS)
		return mtk_fail(da->ctx, MTK_E_PROTO, "DA1 storage probe: %u NAND ids (at most %d)", n,
				LEGACY_MAX_NAND_IDS);
	for (unsigned i = 0; i < n; i++) {
		if ((rc = rd(da, cnt, 2, T_REPLY, "DA1 NAND ids")) < 0)
			return rc;
		if (i == 0)
			first_id = mtk_get_u16be(cnt);
	}
	uint8_t cid[16];
	if ((rc = rd_u32(da, &emmc_ret, T_REPLY, "DA1 storage probe")) < 0 ||
	    (rc = rd(da, cid, 16, T_REPLY, "DA1 eMMC id")) < 0)
		return rc;
	memcpy(da->storage.cid, cid, 16);
	if (n > 0 && first_id != 0)
		da->storage.type = MTK_STORAGE_NAND;
	else if (mtk_get_u32be(cid) != 0)
		da->storage.type = MTK_STORAGE_EMMC;
	else
		da->storage.type = MTK_STORAGE_NOR;
	mtk_dbg(da->ctx, "DA1 sync: nand status 0x%x, %u NAND ids, emmc status 0x%x, storage %s", nand_ret, n,
		emmc_ret, mtk_storage_type_name(da->storage.type));
	if ((rc = wr_byte(da, LEGACY_ACK, "acknowledging the DA1 sync")) < 0 ||
	    (rc = rd(da, da->storage.da_version, 3, T_REPLY, "DA1 version bytes")) < 0)
		return rc;
	mtk_info(da->ctx, "DA1 running: version %u.%u.%u, storage %s", da->storage.da_version[0],
		 da->storage.da_version[1], da->storage.da_version[2], mtk_storage_type_name(da->storage.type));
	return 0;
}

/* ---------------------------------------------- stage-2 configuration (§4.3) */

struct bmt_row {
	uint16_t hw_code;
	enum mtk_storage_type type; /* UNKNOWN = any */
	uint8_t flag;
	uint32_t size;
};
static const struct bmt_row bmt_rows[] = {
	{ 0x6592, MTK_STORAGE_EMMC, 1, 0x01500000 }, { 0x8127, MTK_STORAGE_EMMC, 1, 0x01500000 },
	{ 0x6571, MTK_STORAGE_EMMC, 1, 0x01500000 }, { 0x6575, MTK_STORAGE_NAND, 0, 0 },
	{ 0x6575, MTK_STORAGE_EMMC, 1, 0x01500000 }, { 0x6582, MTK_STORAGE_EMMC, 2, 0x01500000 },
	{ 0x6572, MTK_STORAGE_NAND, 0, 0x01500000 }, { 0x6572, MTK_STORAGE_EMMC, 0, 0xA8 },
	{ 0x6577, MTK_STORAGE_NAND, 0, 0x00A00000 }, { 0x6583, MTK_STORAGE_NAND, 0, 0x00A00000 },
	{ 0x6589, MTK_STORAGE_NAND, 0, 0x00A00000 },
};

struct s2_tail {
	uint16_t hw_code;
	uint8_t len;
	uint8_t bytes[28];
};
/* slc_percent = 1, then a 16-byte name "FF" and u32 0xFF000000. */
#define SLC_TAIL 0, 0, 0, 1, 'F', 'F', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0
static const struct s2_tail s2_tails[] = {
	{ 0x6592, 4, { 0, 0, 0, 0 } },
	{ 0x6580, 24, { SLC_TAIL } },
	{ 0x8163, 24, { SLC_TAIL } },
	{ 0x8127, 28, { 0, 0, 0, 0, SLC_TAIL } },
	{ 0x6583, 4, { 0, 0, 0, 0 } },
	{ 0x6589, 4, { 0, 0, 0, 1 } },
	{ 0x6582, 4, { 0, 0, 0, 1 } },
};

size_t mtk_legacy_stage2_config(uint16_t hw_code, uint8_t brom_ver, uint8_t bl_ver, enum mtk_storage_type type,
				uint8_t out[LEGACY_STAGE2_MAX])
{
	uint8_t flag = 1;
	uint32_t size = 0;
	for (size_t i = 0; i < sizeof bmt_rows / sizeof bmt_rows[0]; i++) {
		if (bmt_rows[i].hw_code == hw_code && bmt_rows[i].type == type) {
			flag = bmt_rows[i].flag;
			size = bmt_rows[i].size;
		}
	}
	out[0] = brom_ver;
	out[1] = bl_ver;
	out[2] = 0x00; /* NOR chip selects: CS_0, CS_WITH_DECODER */
	out[3] = 0x08;
	out[4] = 0x00; /* NAND chip select */
	mtk_put_u32be(out + 5, 0x7007FFFF); /* NAND ACCCON */
	out[9] = flag;
	mtk_put_u32be(out + 10, size);
	out[14] = 0x01;                          /* force_charge ON */
	out[15] = hw_code == 0x6583 ? 0x00 : 0x01; /* reset_key */
	out[16] = 0x02;                          /* EXT_26M */
	out[17] = 0x00;                          /* msdc_boot_ch */
	size_t n = 18;
	for (size_t i = 0; i < sizeof s2_tails / sizeof s2_tails[0]; i++) {
		if (s2_tails[i].hw_code == hw_code) {
			memcpy(out + n, s2_tails[i].bytes, s2_tails[i].len);
			n += s2_tails[i].len;
		}
	}
	return n;
}

/* ------------------------------------------------------- DRAM / EMI (§4.5) */

/* Fields 1-5 of §4.5; `dram_info` gets field 2 (the eMMC CID). */
static int emi_preamble(struct mtk_da *da, uint8_t dram_info[16])
{
	uint8_t buf[20];
	uint32_t st;
	int rc;
	if ((rc = rd(da, buf, 20, T_REPLY, "DRAM info")) < 0 || (rc = rd_u32(da, &st, T_REPLY, "DRAM info")) < 0)
		return rc;
	memcpy(dram_info, buf + 4, 16);
	if (st != 0xBC4)
		return mtk_fail(da->ctx, MTK_E_PROTO, "DRAM info: expected NAND status 0xbc4, got 0x%x", st);
	if ((rc = rd(da, buf, 2, T_REPLY, "DRAM info")) < 0)
		return rc;
	uint16_t m = mtk_get_u16be(buf);
	if (m > LEGACY_MAX_NAND_IDS)
		return mtk_fail(da->ctx, MTK_E_PROTO, "DRAM info: %u NAND ids (at most %d)", m, LEGACY_MAX_NAND_IDS);
	for (unsigned i = 0; i < m; i++)
		if ((rc = rd(da, buf, 2, T_REPLY, "DRAM info")) < 0)
			return rc;
	return 0;
}

/* Versions with a record-length exchange (da-legacy.md §4.5 table); for any
 * other version the payload follows the DA's 5A at once, no length either way. */
static bool emi_has_dramlen(uint32_t ver)
{
	static const uint8_t known[] = { 0x00, 0x0A, 0x0B, 0x0C, 0x0D, 0x0F, 0x10, 0x11, 0x14, 0x15 };
	return ver <= 0xFF && memchr(known, (int)ver, sizeof known) != NULL;
}

/* What goes on the wire after ENABLE_DRAM depends on the EMI version. */
static int emi_send_payload(struct mtk_da *da, const struct mtk_da_emi *emi, uint32_t ver, int pick)
{
	uint32_t dramlen;
	uint8_t tmp[16];
	int rc;
	if (!emi_has_dramlen(ver)) {
		mtk_warn(da->ctx, "EMI settings version %u: how the DA takes them is not documented; sending "
			 "them whole", ver);
		return wr(da, emi->data, emi->len, "EMI: settings");
	}
	if (ver == 0x0A || ver == 0x0B) {
		if ((rc = rd(da, tmp, 16, T_REPLY, "EMI: RAM info")) < 0)
			return rc;
	}
	if ((rc = rd_u32(da, &dramlen, T_REPLY, "EMI: record length")) < 0)
		return rc;
	if ((rc = wr_byte(da, LEGACY_ACK, "EMI")) < 0)
		return rc;
	bool with_total = (ver >= 0x0F && ver <= 0x11) || ver == 0x14 || ver == 0x15;
	if (with_total && da->brom.info.hw_code != 0x8127) {
		mtk_put_u32be(tmp, (uint32_t)emi->len);
		if ((rc = wr(da, tmp, 4, "EMI: total length")) < 0)
			return rc;
	}
	if (ver == 0x0A || ver == 0x0B) {
		/* The reference leaves open how much follows (mtkclient sends the
		 * whole table); nothing tells the DA where it ends, and SP Flash
		 * Tool's DL_GetDRAMSetting hands over one record for v06..v15, so
		 * send the board's record alone. */
		size_t at = (size_t)pick * emi->table->record_size;
		if (dramlen != emi->table->record_size || at + dramlen > emi->len)
			return mtk_fail(da->ctx, MTK_E_PROTO, "EMI: DA asks for 0x%x-byte records, the preloader's "
					"are 0x%x bytes", dramlen, emi->table->record_size);
		return wr(da, emi->data + at, dramlen, "EMI: settings");
	}
	if (ver == 0x0C || ver == 0x0D || ver == 0) {
		/* These DAs take one record.  mtkclient always sends record 0; we send
		 * the board's own, as SP Flash Tool's DL_GetDRAMSetting (which takes
		 * the flash ids) most likely does (§4.5). */
		size_t at = emi->table && emi->table->record_size ? (size_t)pick * emi->table->record_size : 0;
		if (dramlen < 4 || dramlen > emi->len - at)
			return mtk_fail(da->ctx, MTK_E_PROTO, "EMI: DA asks for 0x%x-byte records, the preloader's "
					"record %d leaves 0x%zx bytes", dramlen, pick, emi->len - at);
		const uint8_t *rec = emi->data + at;
		if (ver == 0) {
			mtk_put_u32be(tmp, dramlen);
			if ((rc = wr(da, tmp, 4, "EMI: length")) < 0)
				return rc;
			return wr(da, rec, dramlen, "EMI: settings");
		}
		mtk_put_u32be(tmp, 0x100);
		if ((rc = wr(da, tmp, 4, "EMI: settings")) < 0)
			return rc;
		return wr(da, rec + 4, dramlen - 4, "EMI: settings");
	}
	return wr(da, emi->data, emi->len, "EMI: settings");
}

/* A legacy DA given settings that fit no memory part often just stops (§4.5). */
static int dram_silent(struct mtk_da *da, int rc)
{
	return mtk_wrap(da->ctx, rc, "DRAM init failed: this preloader's EMI does not fit this board (the DA "
			"stopped answering after the DRAM settings, as a DA does when none of them fits); nothing "
			"was written");
}

/* A legacy DA numbers its statuses the older way (da-legacy.md §5, the
 * catalogue's "maui" table); v5.1952's numbers only where that has none. */
static const struct mtk_status *legacy_status(uint32_t st)
{
	const struct mtk_status *e = mtk_status_find("maui", st);
	return e ? e : mtk_status_find("spft5", st);
}

static const char *legacy_status_name(uint32_t st)
{
	const struct mtk_status *e = legacy_status(st);
	return e ? e->name : NULL;
}

/* " (NAME: why)" for a refusal, the why only where the catalogue knows one. */
static void refusal_words(uint32_t st, char *out, size_t cap)
{
	const struct mtk_status *e = legacy_status(st);
	char why[200] = "";
	out[0] = '\0';
	if (!e)
		return;
	if (e->described)
		mtk_status_clause(e->causes, why, sizeof why);
	snprintf(out, cap, " (%s%s%s)", e->name, why[0] ? ": " : "", why);
}

/* The status behind the failure just recorded, for `mtkflash explain`. */
static int status_noted(struct mtk_da *da, int rc, uint32_t st)
{
	mtk_ctx_set_error_status(da->ctx, legacy_status_name(st));
	return rc;
}

static int emi_apply(struct mtk_da *da, uint32_t ver)
{
	uint8_t b[16];
	uint32_t ret;
	int rc;
	if ((rc = rd(da, b, 2, T_STAGE2, "EMI: checksum")) == MTK_E_TIMEOUT)
		return dram_silent(da, rc);
	if (rc < 0)
		return rc;
	mtk_put_u32be(b + 1, 0x80000001); /* "apply the DRAM settings" */
	b[0] = LEGACY_ACK;
	if ((rc = wr(da, b, 5, "EMI: apply")) < 0)
		return rc;
	if ((rc = rd_u32(da, &ret, T_STAGE2, "DRAM init")) == MTK_E_TIMEOUT)
		return dram_silent(da, rc);
	if (rc < 0)
		return rc;
	if (ret != 0)
		return status_noted(da,
				    mtk_fail(da->ctx, MTK_E_STATUS,
					     "DRAM init failed with status 0x%x%s: the preloader's EMI settings do not "
					     "fit this board's DRAM (is it the preloader of this device's firmware?); "
					     "nothing was written",
					     ret, ret == 0xBBA ? " (S_DA_SETUP_DRAM_FAIL)" : ""),
				    ret);
	if ((rc = rd(da, b, 10, T_REPLY, "DRAM report")) < 0)
		return rc;
	da->storage.ext_ram_size = mtk_get_u64be(b + 2);
	if (ver == 0x0D) {
		uint8_t extra[20];
		if ((rc = rd(da, extra, 20, T_REPLY, "DRAM report")) < 0)
			return rc;
	}
	da->storage.dram_configured_by_host = true;
	mtk_info(da->ctx, "DRAM set up: %llu MiB", (unsigned long long)(da->storage.ext_ram_size >> 20));
	return 0;
}

static int emi_exchange(struct mtk_da *da, const struct mtk_da_emi *emi)
{
	uint8_t dram_info[16];
	int pick;
	int rc = emi_preamble(da, dram_info);
	if (rc < 0)
		return rc;
	if (!emi || !emi->data || emi->len == 0) {
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED,
				"the DA needs DRAM settings (the device is in BROM mode with DRAM not set up): give "
				"the firmware package's preloader (--preloader FILE) so its EMI settings can be sent; "
				"nothing was written");
	}
	if ((rc = mtk_da_emi_fits(da, emi->table, dram_info, &pick)) < 0)
		return rc;
	uint32_t ver = emi->version ? emi->version : 0xFFFFFFFFu;
	uint8_t cmd[5] = { LEGACY_CMD_ENABLE_DRAM };
	mtk_put_u32be(cmd + 1, ver);
	if ((rc = wr(da, cmd, 5, "ENABLE_DRAM")) < 0)
		return rc;
	uint8_t b;
	if ((rc = rd(da, &b, 1, T_REPLY, "ENABLE_DRAM")) < 0)
		return rc;
	if (b != LEGACY_ACK)
		return mtk_fail(da->ctx, MTK_E_STATUS, "the DA refused EMI settings version %u (answer 0x%02x)",
				emi->version, b);
	if ((rc = emi_send_payload(da, emi, emi->version, pick)) < 0)
		return rc;
	return emi_apply(da, emi->version);
}

static int stage2(struct mtk_da *da, const struct mtk_da_emi *emi)
{
	uint8_t cfg[LEGACY_STAGE2_MAX];
	const struct mtk_brom_info *bi = &da->brom.info;
	size_t n = mtk_legacy_stage2_config(bi->hw_code, bi->brom_ver, bi->bl_ver, da->storage.type, cfg);
	uint32_t result;
	int rc;
	if ((rc = wr(da, cfg, n, "stage-2 configuration")) < 0 ||
	    (rc = rd_u32(da, &result, T_STAGE2, "stage-2 configuration result")) < 0)
		return rc;
	if (result == LEGACY_RAM_NEEDED)
		return emi_exchange(da, emi);
	if (result != 0)
		return mtk_fail(da->ctx, MTK_E_STATUS, "DA1 rejected the stage-2 configuration: status 0x%x", result);
	if (bi->hw_code == 0x6592) {
		uint8_t skip[20];
		return rd(da, skip, sizeof skip, T_REPLY, "stage-2 result");
	}
	return 0;
}

/* ------------------------------------------------------ DA2 upload (§4.6) */

static int upload_da2(struct mtk_da *da)
{
	const struct mtk_da_stage *s = &da->choice.da2;
	uint8_t hdr[12];
	mtk_put_u32be(hdr, s->addr);
	mtk_put_u32be(hdr + 4, s->len);
	mtk_put_u32be(hdr + 8, DA2_PACKET);
	int rc;
	if ((rc = wr(da, hdr, sizeof hdr, "DA2 upload header")) < 0 ||
	    (rc = expect(da, LEGACY_ACK, T_REPLY, "DA2 upload header")) < 0)
		return rc;
	for (uint32_t off = 0; off < s->len; off += DA2_PACKET) {
		uint32_t n = s->len - off < DA2_PACKET ? s->len - off : DA2_PACKET;
		if ((rc = wr(da, s->data + off, n, "uploading DA2")) < 0 ||
		    (rc = expect(da, LEGACY_ACK, T_REPLY, "uploading DA2")) < 0)
			return mtk_wrap(da->ctx, rc, "at offset 0x%x", off);
		mtk_progress(da->ctx, "uploading DA2", off + n, s->len);
	}
	if ((rc = wr_byte(da, LEGACY_ACK, "starting DA2")) < 0 ||
	    (rc = expect(da, LEGACY_ACK, T_STAGE2, "starting DA2")) < 0)
		return rc;
	return 0;
}

/* ------------------------------------------------ DA2 storage report (§4.7) */

static int report_nand(struct mtk_da *da)
{
	uint8_t b[17], codes[2 * LEGACY_MAX_NAND_IDS], tail[9];
	int rc = rd(da, b, 17, T_REPLY, "DA2 report (NAND)");
	if (rc < 0)
		return rc;
	uint16_t k = mtk_get_u16be(b + 15);
	size_t more;
	if (k != 0) {
		da->storage.nand_size = mtk_get_u64be(b + 7);
		more = 2u * k;
	} else {
		/* An older DA with a 32-bit size: the count sits at 11 and the
		 * first two device codes are already in hand. */
		da->storage.nand_size = mtk_get_u32be(b + 7);
		k = mtk_get_u16be(b + 11);
		if (k < 2)
			return mtk_fail(da->ctx, MTK_E_PROTO, "DA2 report: NAND id count is %u in both layouts", k);
		more = 2u * k - 4;
	}
	if (k > LEGACY_MAX_NAND_IDS)
		return mtk_fail(da->ctx, MTK_E_PROTO, "DA2 report: %u NAND device codes (at most %d)", k,
				LEGACY_MAX_NAND_IDS);
	if ((rc = rd(da, codes, more, T_REPLY, "DA2 report (NAND)")) < 0 ||
	    (rc = rd(da, tail, 9, T_REPLY, "DA2 report (NAND)")) < 0)
		return rc;
	da->storage.nand_page_size = mtk_get_u16be(tail);
	da->storage.nand_spare_size = mtk_get_u16be(tail + 2);
	da->storage.nand_pages_per_block = mtk_get_u16be(tail + 4);
	return 0;
}

static void parse_emmc(struct mtk_da *da, const uint8_t *b)
{
	struct mtk_da_storage *st = &da->storage;
	st->regions.size[MTK_REGION_BOOT1] = mtk_get_u64be(b + 4);
	st->regions.size[MTK_REGION_BOOT2] = mtk_get_u64be(b + 12);
	st->regions.size[MTK_REGION_RPMB] = mtk_get_u64be(b + 20);
	for (int i = 0; i < 4; i++)
		st->gp_size[i] = mtk_get_u64be(b + 28 + 8 * i);
	st->regions.size[MTK_REGION_USER] = mtk_get_u64be(b + 60);
	if (mtk_get_u64be(b + 68) || mtk_get_u64be(b + 76))
		memcpy(st->cid, b + 68, 16);
	memcpy(st->emmc_fwver, b + 84, 8);
}

static int report_pass(struct mtk_da *da)
{
	uint8_t p[10];
	int rc = rd(da, p, 10, T_REPLY, "DA2 report (status)");
	if (rc < 0)
		return rc;
	if (p[0] != LEGACY_ACK) {
		if (p[4] != LEGACY_ACK)
			return mtk_fail(da->ctx, MTK_E_PROTO, "DA2 report: expected 0x5a, got 0x%02x", p[0]);
		if ((rc = rd(da, p, 1, T_REPLY, "DA2 report (status)")) < 0)
			return rc;
		return 0;
	}
	if (p[9] == LEGACY_SOC_FAIL)
		return mtk_fail(da->ctx, MTK_E_STATUS, "DA2 report: the DA's SoC check failed (0xcf)");
	return 0;
}

static int read_report(struct mtk_da *da)
{
	uint8_t nor[28], emmc[92], sdc[28], cfg[38], extra[4];
	int rc;
	if ((rc = rd(da, nor, sizeof nor, T_STAGE2, "DA2 report (NOR)")) < 0 || (rc = report_nand(da)) < 0 ||
	    (rc = rd(da, emmc, sizeof emmc, T_REPLY, "DA2 report (eMMC)")) < 0 ||
	    (rc = rd(da, sdc, sizeof sdc, T_REPLY, "DA2 report (SD)")) < 0 ||
	    (rc = rd(da, cfg, sizeof cfg, T_REPLY, "DA2 report (RAM)")) < 0)
		return rc;
	uint16_t hw = da->brom.info.hw_code;
	if ((hw == 0x8127 || hw == 0x8163) && (rc = rd(da, extra, 4, T_REPLY, "DA2 report")) < 0)
		return rc;
	if ((rc = report_pass(da)) < 0)
		return rc;
	da->storage.nor_size = mtk_get_u32be(nor + 8);
	parse_emmc(da, emmc);
	da->storage.int_sram_size = mtk_get_u32be(cfg + 4);
	if (!da->storage.dram_configured_by_host || !da->storage.ext_ram_size)
		da->storage.ext_ram_size = mtk_get_u64be(cfg + 14);
	if (da->storage.type == MTK_STORAGE_EMMC || da->storage.regions.size[MTK_REGION_USER]) {
		da->storage.type = MTK_STORAGE_EMMC;
		if (!da->storage.regions.size[MTK_REGION_USER])
			da->storage.regions.size[MTK_REGION_USER] = mtk_get_u64be(sdc + 4);
	}
	return 0;
}

/* ------------------------------------------------- USB speed check (§4.8) */

static int usb_check(struct mtk_da *da)
{
	uint8_t b[2] = { LEGACY_CMD_USB_CHECK_STATUS };
	int rc;
	if ((rc = wr(da, b, 1, "USB speed check")) < 0 || (rc = rd(da, b, 2, T_REPLY, "USB speed check")) < 0)
		return rc;
	if (b[0] != LEGACY_ACK)
		return mtk_fail(da->ctx, MTK_E_PROTO, "USB speed check: expected 0x5a, got 0x%02x", b[0]);
	da->storage.usb_speed = b[1];
	if (b[1] == 0)
		mtk_info(da->ctx, "the DA reports a full-speed USB link (12 Mbit/s)");
	return 0;
}

/* §4.8: a DA the BootROM started runs at the BootROM's full speed.  Ask for
 * high speed (70 01 -> 5A); the phone then drops off the bus and comes
 * back as the DA's high-speed device, with the DA still running. */
static int legacy_speed_switch(struct mtk_da *da, int reopen_wait_ms)
{
	uint8_t b[2] = { LEGACY_CMD_USB_SETUP_PORT, 0x01 };
	int rc;
	if ((rc = wr(da, b, 2, "USB speed switch")) < 0)
		return rc;
	rc = expect(da, LEGACY_ACK, T_REPLY, "USB speed switch (70 01)");
	if (rc == MTK_E_DISCONNECTED) {
		/* The phone left the bus, as 70 01 asks, before we read its 5A: a
		 * tty throws away unread input when its device goes, and a loaded
		 * host (16 phones on 2 cores) reads late.  The speed check after
		 * the reopen tells whether the DA came back. */
		mtk_info(da->ctx, "USB speed switch: the phone re-enumerated before its 0x5a was read");
		mtk_ctx_clear_error(da->ctx);
		rc = 0;
	}
	if (rc < 0)
		return rc;
	mtk_info(da->ctx, "switching to USB high speed: waiting for the phone to re-enumerate");
	if ((rc = mtk_transport_reopen(da->tp, reopen_wait_ms)) < 0)
		return mtk_wrap(da->ctx, rc, "USB speed switch");
	rc = usb_check(da);
	return rc < 0 ? mtk_wrap(da->ctx, rc, "after the USB speed switch") : 0;
}

/* ------------------------------------------------------- commands (§4.9) */

static struct legacy *L(struct mtk_da *da)
{
	return da->priv;
}

static int switch_part(struct mtk_da *da, enum mtk_region r)
{
	uint8_t sel = mtk_region_da_id(r);
	if (L(da)->cur_part == sel)
		return 0;
	int rc;
	if ((rc = wr_byte(da, LEGACY_CMD_SWITCH_PART, "switching partition")) < 0 ||
	    (rc = expect(da, LEGACY_ACK, T_REPLY, "switching partition")) < 0 ||
	    (rc = wr_byte(da, sel, "switching partition")) < 0)
		return rc;
	uint8_t b;
	if ((rc = rd(da, &b, 1, T_REPLY, "switching partition")) < 0)
		return rc;
	if (b != LEGACY_ACK)
		return mtk_fail(da->ctx, MTK_E_STATUS, "the DA cannot switch to %s (answer 0x%02x)",
				mtk_region_name(r), b);
	L(da)->cur_part = sel;
	return 0;
}

/* WRITE_DATA and FORMAT: after its A5 a DA may send the status word unasked
 * (little-endian, as after a refused READ); wait for it only briefly. */
static int refused_now(struct mtk_da *da, uint8_t got, const char *what, const char *detail)
{
	uint8_t st[4];
	if (mtk_tp_read_exact(da->tp, st, 4, 500) < 0) {
		mtk_ctx_clear_error(da->ctx);
		return mtk_fail(da->ctx, MTK_E_STATUS, "%s: the DA refused %s (answer 0x%02x); nothing was changed",
				what, detail, got);
	}
	uint32_t v = mtk_get_u32le(st);
	char words[320];
	refusal_words(v, words, sizeof words);
	int rc = mtk_fail(da->ctx, MTK_E_STATUS, "%s: the DA refused %s with status 0x%x%s; nothing was changed", what,
			  detail, v, words);
	return status_noted(da, rc, v);
}

/* After a refused command the DA waits for NACK and then tells why. */
static int refused(struct mtk_da *da, uint8_t got, const char *what)
{
	uint8_t st[4];
	if (wr_byte(da, LEGACY_NACK, what) < 0 || mtk_tp_read_exact(da->tp, st, 4, T_REPLY) < 0)
		return mtk_fail(da->ctx, MTK_E_STATUS, "%s: refused by the DA (answer 0x%02x)", what, got);
	uint32_t v = mtk_get_u32le(st);
	char words[320];
	refusal_words(v, words, sizeof words);
	int rc = mtk_fail(da->ctx, MTK_E_STATUS, "%s: refused by the DA with status 0x%x%s", what, v, words);
	return status_noted(da, rc, v);
}

/* The packet buffers grow to what a transfer needs, at most one packet and
 * its framing: a session of small reads never pays for two MiB. */
static int need_packets(struct mtk_da *da, uint64_t len)
{
	struct legacy *l = L(da);
	size_t want = (len < LEGACY_PACKET ? (size_t)len : LEGACY_PACKET) + 3;
	if (want <= l->pkt_cap)
		return 0;
	uint8_t *a = realloc(l->pkt, want);
	if (a)
		l->pkt = a;
	uint8_t *b = a ? realloc(l->next, want) : NULL;
	if (!b)
		return mtk_fail(da->ctx, MTK_E_NOMEM, "no memory for a DA packet buffer of %zu bytes", want);
	l->next = b;
	l->pkt_cap = want;
	return 0;
}

/* A read packet as it streams in: its byte sum, and its data handed to the
 * sink while the rest arrives.  The host's work on a packet (hashing,
 * storing, comparing) then overlaps its transfer instead of following it:
 * after the last packet of a command it held the link idle until the next
 * command, 2 ms per MiB of a verified write's read pass.  Each SINK_STEP
 * from the packet's start goes to the sink once it is all in, so the sink
 * sees the same block boundaries however the transport splits the bytes,
 * but for the packet's last step: it follows the ACK, which so never waits
 * for the sink.  So a sink may see the data of a packet whose sum then fails:
 * the read fails, as after a failure in any later packet. */
#define SINK_STEP (64u << 10)

struct packet_in {
	const uint8_t *pkt;
	size_t seen, data_len, sunk;
	uint16_t sum;
	uint64_t at; /* the packet's offset in the read */
	mtk_da_sink_fn sink;
	void *user;
	int rc; /* the sink's first failure */
};

static void sink_upto(struct packet_in *s, size_t end)
{
	if (s->rc == 0 && end > s->sunk)
		s->rc = s->sink(s->user, s->at + s->sunk, s->pkt + s->sunk, end - s->sunk);
	s->sunk = end;
}

static void take_piece(void *user, const uint8_t *piece, size_t len)
{
	struct packet_in *s = user;
	size_t data = s->seen < s->data_len ? s->data_len - s->seen : 0;
	s->sum = mtk_sum16_update(s->sum, piece, len < data ? len : data);
	s->seen += len;
	size_t last_step = s->data_len ? (s->data_len - 1) / SINK_STEP * SINK_STEP : 0;
	size_t whole = s->seen / SINK_STEP * SINK_STEP;
	sink_upto(s, whole < last_step ? whole : last_step);
}

static int legacy_read(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		       mtk_da_sink_fn sink, void *user)
{
	int rc = need_packets(da, len);
	if (rc == 0)
		rc = switch_part(da, r);
	if (rc < 0)
		return rc;
	uint8_t hdr[23] = { LEGACY_CMD_READ, LEGACY_HOST_LINUX, LEGACY_STORAGE_EMMC };
	mtk_put_u64be(hdr + 3, off);
	mtk_put_u64be(hdr + 11, len);
	mtk_put_u32be(hdr + 19, LEGACY_PACKET);
	uint8_t b;
	if ((rc = wr(da, hdr, sizeof hdr, what)) < 0 || (rc = rd(da, &b, 1, T_REPLY, what)) < 0)
		return rc;
	if (b != LEGACY_ACK)
		return refused(da, b, what);
	uint8_t *pkt = L(da)->pkt;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < LEGACY_PACKET ? (size_t)(len - done) : LEGACY_PACKET;
		struct packet_in s = { .pkt = pkt, .data_len = n, .at = done, .sink = sink, .user = user };
		rc = mtk_tp_read_exact_seen(da->tp, pkt, n + 2, data_timeout(n), take_piece, &s);
		if (rc < 0) {
			rc = mtk_wrap(da->ctx, rc, "%s", what);
			return mtk_wrap(da->ctx, rc, "at offset 0x%llx", (unsigned long long)(off + done));
		}
		uint16_t want = mtk_get_u16be(pkt + n), got = s.sum;
		if (want != got)
			return mtk_fail(da->ctx, MTK_E_VERIFY, "%s: packet at offset 0x%llx: checksum 0x%04x, the DA "
					"sent 0x%04x", what, (unsigned long long)(off + done), got, want);
		/* Acknowledge first so the DA sends the next packet while we store the rest of this one. */
		if ((rc = wr_byte(da, LEGACY_ACK, what)) < 0)
			return rc;
		sink_upto(&s, n);
		if (s.rc < 0)
			return s.rc;
		done += n;
		mtk_progress(da->ctx, what, done, len);
	}
	return 0;
}

static size_t write_packet_len(uint64_t padded, uint64_t done)
{
	return padded - done < LEGACY_PACKET ? (size_t)(padded - done) : LEGACY_PACKET;
}

/* [5A "ready"][n bytes from `at`][u16 byte sum], as WRITE_DATA sends each packet (§4.9). */
static int make_packet(uint8_t *pkt, size_t n, uint64_t at, mtk_da_source_fn source, void *user, bool *eof)
{
	pkt[0] = LEGACY_ACK;
	int rc = mtk_da_fill(pkt + 1, n, at, source, user, eof);
	if (rc == 0)
		mtk_put_u16be(pkt + 1 + n, mtk_sum16_update(0, pkt + 1, n));
	return rc;
}

static int legacy_write(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
			mtk_da_source_fn source, void *user)
{
	uint64_t padded = (len + WRITE_UNIT - 1) / WRITE_UNIT * WRITE_UNIT;
	uint8_t hdr[23] = { LEGACY_CMD_WRITE_DATA, LEGACY_DASTORAGE_EMMC, mtk_region_da_id(r) };
	mtk_put_u64be(hdr + 3, off);
	mtk_put_u64be(hdr + 11, padded);
	mtk_put_u32be(hdr + 19, LEGACY_PACKET);
	/* Whether 0x62 moves the DA's current partition is not known: it stays
	 * known only when it already was this write's partition (moved there
	 * or not, it is there). */
	if (L(da)->cur_part != hdr[2])
		L(da)->cur_part = -1;
	/* The first packet is read and summed before the command goes out: made
	 * after the DA's ACK, it kept the link idle for as long as that takes,
	 * once per write; and an image that cannot be read fails the write
	 * while the DA has been told nothing. */
	int rc;
	bool eof = false;
	size_t n = write_packet_len(padded, 0);
	if ((rc = need_packets(da, padded)) < 0 || (rc = make_packet(L(da)->pkt, n, 0, source, user, &eof)) < 0 ||
	    (rc = wr(da, hdr, sizeof hdr, what)) < 0)
		return rc;
	uint8_t b;
	if ((rc = rd(da, &b, 1, T_REPLY, what)) < 0)
		return rc;
	if (b != LEGACY_ACK) {
		char detail[96];
		snprintf(detail, sizeof detail, "the write of 0x%llx bytes at 0x%llx of %s",
			 (unsigned long long)padded, (unsigned long long)off, mtk_region_name(r));
		return refused_now(da, b, what, detail);
	}
	uint8_t *pkt = L(da)->pkt, *next = L(da)->next;
	for (uint64_t done = 0; done < padded;) {
		mtk_da_note_sent(da, n);
		if ((rc = wr(da, pkt, n + 3, what)) < 0)
			return mtk_wrap(da->ctx, rc, "at offset 0x%llx", (unsigned long long)(off + done));
		/* One packet may be outstanding (§4.9: 69 once the DA has committed
		 * it), so the next is read and summed while the DA stores this one. */
		size_t m = write_packet_len(padded, done + n);
		if (m && (rc = make_packet(next, m, done + n, source, user, &eof)) < 0)
			return rc;
		if (!m)
			mtk_da_write_idle(da);
		if ((rc = rd(da, &b, 1, data_timeout(n), what)) < 0)
			return mtk_wrap(da->ctx, rc, "at offset 0x%llx", (unsigned long long)(off + done));
		if (b != LEGACY_CONT)
			return mtk_fail(da->ctx, MTK_E_STATUS, "%s: the DA did not store the packet at offset 0x%llx "
					"(answer 0x%02x, expected 0x69)", what, (unsigned long long)(off + done), b);
		done += n;
		mtk_progress(da->ctx, what, done < len ? done : len, len);
		uint8_t *t = pkt;
		pkt = next;
		next = t;
		n = m;
	}
	return 0;
}

static int legacy_erase(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len)
{
	int rc = switch_part(da, r);
	if (rc < 0)
		return rc;
	uint8_t hdr[21] = { LEGACY_CMD_FORMAT, LEGACY_STORAGE_EMMC, 0x00, 0x00, 0x00 };
	mtk_put_u64be(hdr + 5, off);
	mtk_put_u64be(hdr + 13, len);
	if ((rc = wr(da, hdr, sizeof hdr, what)) < 0)
		return rc;
	for (bool first = true;; first = false) {
		uint8_t p[7];
		if ((rc = rd(da, p, 1, T_ERASE_STEP, what)) < 0)
			return rc;
		if (first && p[0] == LEGACY_NACK)
			return refused_now(da, p[0], what, "the erase");
		if ((rc = rd(da, p + 1, sizeof p - 1, T_REPLY, what)) < 0)
			return rc;
		if (p[0] != LEGACY_ACK || p[1] != LEGACY_ACK)
			return mtk_fail(da->ctx, MTK_E_STATUS, "%s: the DA answered %02x %02x (status 0x%x) instead "
					"of a progress report", what, p[0], p[1], mtk_get_u32be(p + 2));
		if ((rc = wr_byte(da, LEGACY_ACK, what)) < 0)
			return rc;
		unsigned pct = p[6] > 100 ? 100 : p[6];
		mtk_progress(da->ctx, what, len / 100 * pct + (pct == 100 ? len % 100 : 0), len);
		if (pct == 100)
			break;
	}
	uint8_t end[2];
	if ((rc = rd(da, end, 2, T_REPLY, what)) < 0)
		return rc;
	if (end[0] != LEGACY_ACK || end[1] != LEGACY_ACK)
		return mtk_fail(da->ctx, MTK_E_STATUS, "%s: erase did not complete (answer %02x %02x)", what, end[0],
				end[1]);
	return 0;
}

static int legacy_read_pmt(struct mtk_da *da, uint8_t **out, size_t *out_len)
{
	uint32_t n;
	int rc;
	if ((rc = wr_byte(da, LEGACY_CMD_READ_PMT, "reading the PMT")) < 0 ||
	    (rc = expect(da, LEGACY_ACK, T_REPLY, "reading the PMT")) < 0 ||
	    (rc = rd_u32(da, &n, T_REPLY, "reading the PMT")) < 0)
		return rc;
	if (n > PMT_MAX)
		return mtk_fail(da->ctx, MTK_E_PROTO, "reading the PMT: the DA announces %u bytes (at most %u)", n,
				PMT_MAX);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return mtk_fail(da->ctx, MTK_E_NOMEM, "reading the PMT: no memory for %u bytes", n);
	if ((rc = wr_byte(da, LEGACY_ACK, "reading the PMT")) < 0 ||
	    (rc = rd(da, buf, n, data_timeout(n), "reading the PMT")) < 0 ||
	    (rc = wr_byte(da, LEGACY_ACK, "reading the PMT")) < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

static int legacy_finish(struct mtk_da *da, enum mtk_da_finish_mode mode)
{
	uint8_t m[4];
	int rc;
	if ((rc = wr_byte(da, LEGACY_CMD_FINISH, "finishing")) < 0 ||
	    (rc = expect(da, LEGACY_ACK, T_REPLY, "finishing")) < 0)
		return rc;
	mtk_put_u32be(m, (uint32_t)mode);
	/* Some DAs reset on the command itself (§4.9): a link that goes away
	 * now is the expected end, not a failure. */
	if (mtk_tp_write(da->tp, m, 4, T_REPLY) < 0 || mtk_tp_read_exact(da->tp, m, 1, 1000) < 0) {
		mtk_ctx_clear_error(da->ctx);
		return 0;
	}
	if (m[0] != LEGACY_ACK)
		mtk_warn(da->ctx, "finishing: the DA answered 0x%02x to the mode word", m[0]);
	return 0;
}

static void legacy_destroy(struct mtk_da *da)
{
	struct legacy *l = da->priv;
	if (l) {
		free(l->pkt);
		free(l->next);
	}
	free(l);
	da->priv = NULL;
}

static const struct mtk_da_ops legacy_ops = {
	.name = "legacy",
	.read = legacy_read,
	.write = legacy_write,
	.erase = legacy_erase,
	.read_pmt = legacy_read_pmt,
	.set_boot_partition = NULL, /* the legacy DA has no EXT_CSD command (§4.9) */
	.finish = legacy_finish,
	.speed_switch = legacy_speed_switch,
	.destroy = legacy_destroy,
};

/* The host side of a DA2 session, before (start) or without (resume) the
 * connect exchange. */
static int legacy_init(struct mtk_da *da)
{
	struct legacy *l = calloc(1, sizeof *l);
	if (!l)
		return mtk_fail(da->ctx, MTK_E_NOMEM, "no memory for the DA session");
	l->cur_part = -1;
	da->priv = l;
	da->ops = &legacy_ops;
	da->packet_size = LEGACY_PACKET;
	da->write_unit = WRITE_UNIT;
	return 0;
}

/* A DA2 already in its command loop: which partition it has switched to is
 * unknown (cur_part -1), so the first transfer sends 0x60 again. */
int mtk_da_legacy_resume(struct mtk_da *da)
{
	return legacy_init(da);
}

int mtk_da_legacy_start(struct mtk_da *da, const struct mtk_da_emi *emi)
{
	int rc = legacy_init(da);
	if (rc < 0)
		return rc;
	if ((rc = read_sync(da)) < 0 || (rc = stage2(da, emi)) < 0 || (rc = upload_da2(da)) < 0 ||
	    (rc = read_report(da)) < 0 || (rc = usb_check(da)) < 0)
		return rc;
	const struct mtk_regions *rg = &da->storage.regions;
	mtk_info(da->ctx, "DA2 running: %s, boot1 %llu KiB, boot2 %llu KiB, rpmb %llu KiB, user %llu MiB",
		 mtk_storage_type_name(da->storage.type), (unsigned long long)(rg->size[MTK_REGION_BOOT1] >> 10),
		 (unsigned long long)(rg->size[MTK_REGION_BOOT2] >> 10),
		 (unsigned long long)(rg->size[MTK_REGION_RPMB] >> 10),
		 (unsigned long long)(rg->size[MTK_REGION_USER] >> 20));
	return 0;
}
