/* SPDX-License-Identifier: MIT */
/* xflash (DA v5) Download Agent protocol, host side (da-xflash.md).
 *
 * Everything after DA1's raw 0xC0 byte is a framed packet: a 12-byte header
 * (magic, type, length) and the payload, little-endian.  The whole protocol
 * is built from four primitives (§5.6): send a packet, receive one, receive
 * a status, and the DEVICE_CTRL getter/setter; after any non-zero status
 * the DA sends nothing more for that command (§1.9), so neither do we. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"
#include "da/xflash_priv.h"

#define T_REPLY 5000
#define T_STAGE 20000       /* DA1 hardware init, DA2 start-up */
#define T_ERASE_STEP 300000 /* between two progress reports */
#define WRITE_UNIT 512u
#define STATUS_MAX 64u      /* a status packet longer than this is no status */
#define MESSAGES_MAX 64     /* DT_MESSAGE packets skipped before giving up */
#define MESSAGE_MAX 4096u
#define PROGRESS_MAX 100000 /* progress reports in one FORMAT */
#define READ_PIECE (64u << 10) /* a read chunk goes to the sink this much at a time, as it arrives */

/* Every point where the reference leaves the choice to us (da-xflash.md
 * section in brackets); docs/xflash.md lists them with the reasons. */
const struct xf_choices mtk_xf_choices = {
	.log_level = 2,                    /* §2.2: DEBUG made EMI upload hang [penumbra] */
	.log_channel = 1,                  /* §1.2: UART, so no DT_MESSAGE packets reach us */
	.system_os = 0,                    /* §1.7: "Windows": DA2 answers 2 MiB / 2 MiB (see docs/xflash.md) */
	.reset_key = 0x68,                 /* §2.3: what the validated transcript sends */
	.speed_switch_param = 0x0E8D2001u, /* §2.8: the DA re-enumerates as 0E8D:2001 either way */
	.fallback_packet = 0x1000,         /* §1.7: DA1's defaults, the smallest a DA uses */
	.max_packet = 16u << 20,
	.shutdown_size = 24,               /* §3.6: MediaTek's own struct reboot_option */
	.reboot_timeout_ms = 3000,         /* §3.6: SP Flash Tool's reboot */
	.init_ext_ram_ms = 20000,          /* §2.4: silence is how a failed DRAM init shows */
	.boot_to_ms = T_STAGE,
};

struct xflash {
	uint32_t write_pkt, read_pkt; /* GET_PACKET_LENGTH (§1.7) */
	unsigned checks;              /* SET_CHECKSUM_LEVEL mask in force */
	uint8_t *buf;                 /* one data chunk */
	uint8_t *next;                /* the write chunk filled while the DA takes buf's */
	size_t cap;
};

static struct xflash *X(struct mtk_da *da)
{
	return da->priv;
}

/* Wire time for n bytes at no less than 100 kB/s, plus reply slack. */
static int data_timeout(size_t n)
{
	return T_REPLY + (int)(n / 100);
}

/* ---------------------------------------------------------------- wire */

static int wr(struct mtk_da *da, const void *buf, size_t n, const char *what)
{
	int rc = mtk_tp_write(da->tp, buf, n, data_timeout(n));
	return rc < 0 ? mtk_wrap(da->ctx, rc, "%s", what) : 0;
}

static int rd(struct mtk_da *da, void *buf, size_t n, int timeout, const char *what)
{
	int rc = mtk_tp_read_exact(da->tp, buf, n, timeout);
	return rc < 0 ? mtk_wrap(da->ctx, rc, "%s", what) : 0;
}

/* Header and payload as two transfers: the DA reads them separately, and a
 * merged USB transfer can lose the payload (§1.6). */
static int send_pkt(struct mtk_da *da, const void *payload, uint32_t n, const char *what)
{
	uint8_t h[XF_HDR];
	mtk_put_u32le(h, XF_MAGIC);
	mtk_put_u32le(h + 4, XF_DT_FLOW);
	mtk_put_u32le(h + 8, n);
	int rc = wr(da, h, sizeof h, what);
	if (rc == 0 && n)
		rc = wr(da, payload, n, what);
	return rc;
}

static int send_u32(struct mtk_da *da, uint32_t v, const char *what)
{
	uint8_t b[4];
	mtk_put_u32le(b, v);
	return send_pkt(da, b, 4, what);
}

/* A DT_MESSAGE is a DA log line (§1.2); we never ask for them, but one must
 * not be mistaken for an answer. */
static int skip_message(struct mtk_da *da, uint32_t len, const char *what)
{
	uint8_t text[256];
	if (len > MESSAGE_MAX)
		return mtk_fail(da->ctx, MTK_E_PROTO, "%s: a %u-byte DA log message (at most %u)", what, len,
				MESSAGE_MAX);
	for (uint32_t left = len; left;) {
		uint32_t n = left < sizeof text ? left : (uint32_t)sizeof text;
		int rc = rd(da, text, n, T_REPLY, what);
		if (rc < 0)
			return rc;
		left -= n;
	}
	mtk_dbg(da->ctx, "%s: skipped a %u-byte DA log message", what, len);
	return 0;
}

static int recv_hdr(struct mtk_da *da, uint32_t *len, int timeout, const char *what)
{
	for (int i = 0; i < MESSAGES_MAX; i++) {
		uint8_t h[XF_HDR];
		int rc = rd(da, h, sizeof h, timeout, what);
		if (rc < 0)
			return rc;
		if (mtk_get_u32le(h) != XF_MAGIC)
			return mtk_fail(da->ctx, MTK_E_PROTO, "%s: not a DA packet (header %02x %02x %02x %02x, "
					"expected ef ee ee fe)", what, h[0], h[1], h[2], h[3]);
		*len = mtk_get_u32le(h + 8);
		if (mtk_get_u32le(h + 4) != XF_DT_MESSAGE)
			return 0;
		if ((rc = skip_message(da, *len, what)) < 0)
			return rc;
	}
	return mtk_fail(da->ctx, MTK_E_PROTO, "%s: the DA sends only log messages", what);
}

static int too_long(struct mtk_da *da, uint32_t len, size_t cap, const char *what)
{
	return mtk_fail(da->ctx, MTK_E_PROTO, "%s: the DA sent a %u-byte packet, at most %zu expected", what, len,
			cap);
}

static int recv_pkt(struct mtk_da *da, uint8_t *buf, size_t cap, size_t *got, int timeout, const char *what)
{
	uint32_t len;
	int rc = recv_hdr(da, &len, timeout, what);
	if (rc < 0)
		return rc;
	if (len > cap)
		return too_long(da, len, cap, what);
	*got = len;
	return rd(da, buf, len, T_REPLY, what);
}

/* §1.4: a 2-byte status is a u16, a longer one starts with a u32. */
static int decode_status(struct mtk_da *da, const uint8_t *p, size_t n, uint32_t *st, const char *what)
{
	if (n == 2) {
		*st = mtk_get_u16le(p);
		return 0;
	}
	if (n < 4)
		return mtk_fail(da->ctx, MTK_E_PROTO, "%s: a %zu-byte status packet", what, n);
	*st = mtk_get_u32le(p);
	return 0;
}

static int recv_status(struct mtk_da *da, uint32_t *st, int timeout, const char *what)
{
	uint8_t p[STATUS_MAX];
	size_t n = 0;
	int rc = recv_pkt(da, p, sizeof p, &n, timeout, what);
	return rc < 0 ? rc : decode_status(da, p, n, st, what);
}

/* Domain 2 is the device's security saying no (§4.1). */
static int status_fail(struct mtk_da *da, uint32_t st, const char *what)
{
	const char *name = mtk_xflash_status_name(st);
	int code = (st & 0xC0FF0000u) == 0xC0020000u ? MTK_E_SECURITY : MTK_E_STATUS;
	mtk_fail(da->ctx, code, "%s: the DA answered 0x%08x (%s)", what, st, name ? name : "unknown status");
	mtk_ctx_set_error_status(da->ctx, name);
	return code;
}

static int expect_ok(struct mtk_da *da, int timeout, const char *what)
{
	uint32_t st = 0;
	int rc = recv_status(da, &st, timeout, what);
	if (rc < 0)
		return rc;
	return st ? status_fail(da, st, what) : 0;
}

/* P1's first half: the command code and its acknowledgement. */
static int cmd(struct mtk_da *da, uint32_t code, const char *what)
{
	int rc = send_u32(da, code, what);
	return rc < 0 ? rc : expect_ok(da, T_REPLY, what);
}

/* DEVICE_CTRL and the sub-code; MTK_E_UNSUPPORTED when the DA does not
 * know the sub-code (0xC0010004), which callers may take calmly. */
static int ctrl_begin(struct mtk_da *da, uint32_t code, const char *what)
{
	uint32_t st = 0;
	int rc = cmd(da, XF_CMD_DEVICE_CTRL, what);
	if (rc < 0 || (rc = send_u32(da, code, what)) < 0 || (rc = recv_status(da, &st, T_REPLY, what)) < 0)
		return rc;
	if (st == XF_ST_UNSUPPORTED_CTRL)
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED, "%s: the DA does not support control 0x%06x", what,
				code);
	return st ? status_fail(da, st, what) : 0;
}

/* P2 (§1.9). */
static int ctrl_get(struct mtk_da *da, uint32_t code, uint8_t *buf, size_t cap, size_t *got, const char *what)
{
	int rc = ctrl_begin(da, code, what);
	if (rc < 0 || (rc = recv_pkt(da, buf, cap, got, T_REPLY, what)) < 0)
		return rc;
	return expect_ok(da, T_REPLY, what);
}

/* P3 (§1.9). */
static int ctrl_set(struct mtk_da *da, uint32_t code, const void *param, uint32_t n, const char *what)
{
	int rc = ctrl_begin(da, code, what);
	if (rc < 0 || (rc = send_pkt(da, param, n, what)) < 0)
		return rc;
	return expect_ok(da, T_REPLY, what);
}

static int ctrl_set_u32(struct mtk_da *da, uint32_t code, uint32_t v, const char *what)
{
	uint8_t b[4];
	mtk_put_u32le(b, v);
	return ctrl_set(da, code, b, 4, what);
}

/* An unsupported control is only worth a note. */
static int optional(struct mtk_da *da, int rc)
{
	if (rc != MTK_E_UNSUPPORTED)
		return rc;
	mtk_dbg(da->ctx, "%s", mtk_ctx_error(da->ctx));
	mtk_ctx_clear_error(da->ctx);
	return 0;
}

/* -------------------------------------------- DA1 start and setup (§2.2) */

static int da1_sync(struct mtk_da *da)
{
	uint8_t b;
	int rc = rd(da, &b, 1, T_REPLY, "waiting for the DA's sync byte");
	if (rc < 0)
		return rc;
	if (b != XF_SYNC_BYTE)
		return mtk_fail(da->ctx, MTK_E_PROTO, "DA1 did not start: expected sync 0xc0, got 0x%02x", b);
	return send_u32(da, XF_SYNC, "DA1 sync");
}

static int setup_environment(struct mtk_da *da)
{
	const struct xf_choices *c = &mtk_xf_choices;
	uint8_t p[XF_ENV_PARAMS] = { 0 };
	mtk_put_u32le(p, c->log_level);
	mtk_put_u32le(p + 4, c->log_channel);
	mtk_put_u32le(p + 8, c->system_os);
	/* ufs_provision and reserved stay 0.  No status follows the code (§1.9). */
	int rc = send_u32(da, XF_CMD_SETUP_ENVIRONMENT, "SETUP_ENVIRONMENT");
	if (rc == 0)
		rc = send_pkt(da, p, sizeof p, "SETUP_ENVIRONMENT");
	return rc < 0 ? rc : expect_ok(da, T_REPLY, "SETUP_ENVIRONMENT");
}

static int expect_sync(struct mtk_da *da, int timeout, bool zero_ok, const char *what)
{
	uint32_t st = 0;
	int rc = recv_status(da, &st, timeout, what);
	if (rc < 0 || st == XF_SYNC || (zero_ok && st == 0))
		return rc;
	if (st & 0x80000000u)
		return status_fail(da, st, what);
	return mtk_fail(da->ctx, MTK_E_PROTO, "%s: expected SYNC (0x434e5953), got 0x%08x", what, st);
}

static int setup_hw_init(struct mtk_da *da)
{
	int rc = send_u32(da, XF_CMD_SETUP_HW_INIT_PARAMS, "SETUP_HW_INIT_PARAMS");
	if (rc == 0)
		rc = send_u32(da, 0, "SETUP_HW_INIT_PARAMS"); /* "no config" */
	if (rc == 0)
		rc = expect_ok(da, T_REPLY, "SETUP_HW_INIT_PARAMS");
	/* The DA's SYNC: storage and PMIC are up. */
	return rc < 0 ? rc : expect_sync(da, T_STAGE, false, "DA1 hardware init");
}

/* §2.3 without GET_EXPIRE_DATE, whose answer nobody uses. */
static int da1_controls(struct mtk_da *da, bool *brom_agent)
{
	uint8_t agent[32];
	size_t n = 0;
	int rc = optional(da, ctrl_set_u32(da, XF_CTRL_SET_RESET_KEY, mtk_xf_choices.reset_key, "SET_RESET_KEY"));
	if (rc == 0)
		rc = ctrl_set_u32(da, XF_CTRL_SET_CHECKSUM_LEVEL, 0, "SET_CHECKSUM_LEVEL");
	if (rc == 0)
		rc = ctrl_get(da, XF_CTRL_GET_CONNECTION_AGENT, agent, sizeof agent - 1, &n, "GET_CONNECTION_AGENT");
	if (rc < 0)
		return rc;
	agent[n] = '\0';
	if (n == 4 && memcmp(agent, "brom", 4) == 0)
		*brom_agent = true;
	else if (n == 9 && memcmp(agent, "preloader", 9) == 0)
		*brom_agent = false;
	else
		return mtk_fail(da->ctx, MTK_E_PROTO, "GET_CONNECTION_AGENT: expected \"brom\" or \"preloader\", got "
				"%zu bytes", n);
	mtk_info(da->ctx, "DA1 running, started by the %s", *brom_agent ? "BootROM (DRAM still cold)" : "preloader");
	return 0;
}

/* ------------------------------------------------------- storage reports */

static void parse_emmc(struct mtk_da *da, const uint8_t *b, size_t n)
{
	struct mtk_da_storage *st = &da->storage;
	uint32_t type = mtk_get_u32le(b);
	if (n < 0x60 || type == 0)
		return;
	st->type = type == 2 ? MTK_STORAGE_SDMMC : MTK_STORAGE_EMMC;
	st->regions.size[MTK_REGION_BOOT1] = mtk_get_u64le(b + 0x08);
	st->regions.size[MTK_REGION_BOOT2] = mtk_get_u64le(b + 0x10);
	st->regions.size[MTK_REGION_RPMB] = mtk_get_u64le(b + 0x18);
	for (int i = 0; i < 4; i++)
		st->gp_size[i] = mtk_get_u64le(b + 0x20 + 8 * i);
	st->regions.size[MTK_REGION_USER] = mtk_get_u64le(b + 0x40);
	memcpy(st->cid, b + 0x48, 16);
	memcpy(st->emmc_fwver, b + 0x58, 8);
}

static void parse_ufs(struct mtk_da *da, const uint8_t *b, size_t n)
{
	struct mtk_da_storage *st = &da->storage;
	if (n < 0x20 || mtk_get_u32le(b) == 0 || st->type != MTK_STORAGE_UNKNOWN)
		return;
	/* MediaTek's order: lu0 (boot A), lu1 (boot B), lu2 (user); no RPMB size (§3.10). */
	st->type = MTK_STORAGE_UFS;
	st->regions.size[MTK_REGION_BOOT1] = mtk_get_u64le(b + 0x08);
	st->regions.size[MTK_REGION_BOOT2] = mtk_get_u64le(b + 0x10);
	st->regions.size[MTK_REGION_USER] = mtk_get_u64le(b + 0x18);
	if (n >= 0x36)
		memcpy(st->cid, b + 0x22, 16);
}

static void parse_nand(struct mtk_da *da, const uint8_t *b, size_t n)
{
	struct mtk_da_storage *st = &da->storage;
	if (n < 32 || mtk_get_u32le(b) == 0 || st->type != MTK_STORAGE_UNKNOWN)
		return;
	st->type = MTK_STORAGE_NAND;
	st->nand_page_size = (uint16_t)mtk_get_u32le(b + 4);
	st->nand_spare_size = (uint16_t)mtk_get_u32le(b + 12);
	st->nand_size = mtk_get_u64le(b + 16);
	st->regions.size[MTK_REGION_USER] = mtk_get_u64le(b + 24); /* available size */
}

static void parse_nor(struct mtk_da *da, const uint8_t *b, size_t n)
{
	struct mtk_da_storage *st = &da->storage;
	if (n < 16 || mtk_get_u32le(b) == 0 || st->type != MTK_STORAGE_UNKNOWN)
		return;
	st->type = MTK_STORAGE_NOR;
	st->nor_size = mtk_get_u64le(b + 8);
	st->regions.size[MTK_REGION_USER] = st->nor_size;
}

/* 48 bytes: two {u32 type, u32 pad, u64 base, u64 size}; 24: the same as u32s (§3.10). */
static void parse_ram(struct mtk_da *da, const uint8_t *b, size_t n)
{
	if (n == 48) {
		da->storage.int_sram_size = (uint32_t)mtk_get_u64le(b + 16);
		da->storage.ext_ram_size = mtk_get_u64le(b + 40);
	} else if (n == 24) {
		da->storage.int_sram_size = mtk_get_u32le(b + 8);
		da->storage.ext_ram_size = mtk_get_u32le(b + 20);
	}
}

static void parse_chip_id(struct mtk_da *da, const uint8_t *b, size_t n)
{
	uint16_t hw = n >= 2 ? mtk_get_u16le(b) : 0;
	if (n >= 2 && !da->brom.info.hw_code) /* a DA reattached without a record */
		da->brom.info.hw_code = hw;
	else if (n >= 2 && hw != da->brom.info.hw_code)
		mtk_warn(da->ctx, "the DA reports chip 0x%04x, the BootROM said 0x%04x", hw, da->brom.info.hw_code);
}

static void parse_da_version(struct mtk_da *da, const uint8_t *b, size_t n)
{
	struct mtk_da_storage *st = &da->storage;
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < sizeof st->da_version_text; i++)
		if (b[i] >= 0x20 && b[i] < 0x7F)
			st->da_version_text[k++] = (char)b[i];
	st->da_version_text[k] = '\0';
}

static void parse_usb_speed(struct mtk_da *da, const uint8_t *b, size_t n)
{
	static const char *const names[] = { "full-speed", "high-speed", "hyper-speed" };
	for (uint8_t i = 0; i < 3; i++) {
		if (n == strlen(names[i]) && memcmp(b, names[i], n) == 0) {
			da->storage.usb_speed = i;
			return;
		}
	}
	mtk_warn(da->ctx, "GET_USB_SPEED: an unknown answer (%zu bytes); taking it as high speed", n);
	da->storage.usb_speed = 1;
}

static void parse_ptable_category(struct mtk_da *da, const uint8_t *b, size_t n)
{
	da->storage.ptable_category = n >= 4 ? mtk_get_u32le(b) : 0;
}

/* §1.7: never send a chunk longer than the DA expects. */
static void parse_packet_length(struct mtk_da *da, const uint8_t *b, size_t n)
{
	if (n != 8)
		return;
	da->storage.write_packet_len = mtk_get_u32le(b);
	da->storage.read_packet_len = mtk_get_u32le(b + 4);
}

struct getter {
	uint32_t code;
	const char *name;
	bool required;
	void (*parse)(struct mtk_da *da, const uint8_t *b, size_t n);
};

/* mtkclient's reinit order (§2.7, without GET_RANDOM_ID, which nothing
 * uses), then the packet lengths and the partition-table category. */
static const struct getter reinit_getters[] = {
	{ XF_CTRL_GET_RAM_INFO, "GET_RAM_INFO", false, parse_ram },
	{ XF_CTRL_GET_EMMC_INFO, "GET_EMMC_INFO", true, parse_emmc },
	{ XF_CTRL_GET_NAND_INFO, "GET_NAND_INFO", false, parse_nand },
	{ XF_CTRL_GET_NOR_INFO, "GET_NOR_INFO", false, parse_nor },
	{ XF_CTRL_GET_UFS_INFO, "GET_UFS_INFO", false, parse_ufs },
	{ XF_CTRL_GET_CHIP_ID, "GET_CHIP_ID", false, parse_chip_id },
	{ XF_CTRL_GET_DA_VERSION, "GET_DA_VERSION", false, parse_da_version },
	{ XF_CTRL_GET_USB_SPEED, "GET_USB_SPEED", true, parse_usb_speed },
	{ XF_CTRL_GET_PACKET_LENGTH, "GET_PACKET_LENGTH", false, parse_packet_length },
	{ XF_CTRL_GET_PARTITION_TBL_CATA, "GET_PARTITION_TBL_CATA", false, parse_ptable_category },
};

static int run_getter(struct mtk_da *da, const struct getter *g)
{
	uint8_t b[512];
	size_t n = 0;
	int rc = ctrl_get(da, g->code, b, sizeof b, &n, g->name);
	if (rc == MTK_E_UNSUPPORTED && !g->required)
		return optional(da, rc);
	if (rc < 0)
		return rc;
	g->parse(da, b, n);
	return 0;
}

static int fix_packet_lengths(struct mtk_da *da)
{
	const struct xf_choices *c = &mtk_xf_choices;
	struct mtk_da_storage *st = &da->storage;
	if (!st->write_packet_len || !st->read_packet_len) {
		mtk_warn(da->ctx, "the DA did not report its packet lengths; using 0x%x bytes", c->fallback_packet);
		st->write_packet_len = st->read_packet_len = c->fallback_packet;
	}
	if (st->write_packet_len > c->max_packet || st->read_packet_len > c->max_packet ||
	    st->write_packet_len < WRITE_UNIT)
		return mtk_fail(da->ctx, MTK_E_PROTO, "GET_PACKET_LENGTH: write 0x%x, read 0x%x bytes (expected "
				"0x%x..0x%x)", st->write_packet_len, st->read_packet_len, WRITE_UNIT, c->max_packet);
	/* Whole sectors per chunk, and never more than the DA takes. */
	st->write_packet_len -= st->write_packet_len % WRITE_UNIT;
	struct xflash *x = X(da);
	x->write_pkt = st->write_packet_len;
	x->read_pkt = st->read_packet_len;
	size_t cap = x->write_pkt > x->read_pkt ? x->write_pkt : x->read_pkt;
	free(x->buf);
	free(x->next);
	x->buf = malloc(cap);
	if (!x->buf || !(x->next = malloc(cap))) /* swapped with buf: the same size */
		return mtk_fail(da->ctx, MTK_E_NOMEM, "no memory for a 0x%zx-byte DA packet", cap);
	x->cap = cap;
	da->packet_size = x->write_pkt;
	return 0;
}

static int reinit(struct mtk_da *da)
{
	memset(da->storage.regions.size, 0, sizeof da->storage.regions.size);
	da->storage.type = MTK_STORAGE_UNKNOWN;
	for (size_t i = 0; i < sizeof reinit_getters / sizeof reinit_getters[0]; i++) {
		int rc = run_getter(da, &reinit_getters[i]);
		if (rc < 0)
			return mtk_wrap(da->ctx, rc, "DA2 storage report");
	}
	if (da->storage.type == MTK_STORAGE_UNKNOWN || !da->storage.regions.size[MTK_REGION_USER])
		return mtk_fail(da->ctx, MTK_E_NOTFOUND, "the DA found no storage (eMMC, UFS, NAND or NOR)");
	return fix_packet_lengths(da);
}

/* ----------------------------------------------- DRAM: EMI upload (§2.4) */

static int emi_check(struct mtk_da *da, const struct mtk_da_emi *emi, int *pick)
{
	uint8_t b[512];
	size_t n = 0;
	int rc = ctrl_get(da, XF_CTRL_GET_EMMC_INFO, b, sizeof b, &n, "GET_EMMC_INFO (for the EMI check)");
	if (rc < 0)
		return rc;
	parse_emmc(da, b, n);
	if (da->storage.type != MTK_STORAGE_EMMC) {
		if ((rc = ctrl_get(da, XF_CTRL_GET_UFS_INFO, b, sizeof b, &n, "GET_UFS_INFO")) < 0 &&
		    (rc = optional(da, rc)) < 0)
			return rc;
		parse_ufs(da, b, n);
	}
	return mtk_da_emi_fits(da, emi->table, NULL, pick);
}

static int dram_silent(struct mtk_da *da, int rc)
{
	return mtk_wrap(da->ctx, rc, "DRAM init failed: the DA stopped answering after the EMI settings, as an "
			"xflash DA does when none of the preloader's records fits this board (da-xflash.md §2.4); "
			"use the preloader of this device's own firmware and power-cycle the phone; nothing was "
			"written");
}

static int init_ext_ram(struct mtk_da *da, const struct mtk_da_emi *emi)
{
	if (!emi || !emi->block || !emi->block_len)
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED,
				"the DA needs DRAM settings (the device is in BROM mode with DRAM not set up): give "
				"the firmware package's preloader (--preloader FILE) so its EMI settings can be sent; "
				"nothing was written");
	int pick, rc = emi_check(da, emi, &pick);
	if (rc < 0)
		return rc;
	if (emi->block_len > UINT32_MAX)
		return mtk_fail(da->ctx, MTK_E_RANGE, "the EMI block is too large");
	/* The whole MTK_BLOADER_INFO block: the DA picks the record (§2.4). */
	if ((rc = cmd(da, XF_CMD_INIT_EXT_RAM, "INIT_EXT_RAM")) < 0 ||
	    (rc = send_u32(da, (uint32_t)emi->block_len, "INIT_EXT_RAM")) < 0 ||
	    (rc = send_pkt(da, emi->block, (uint32_t)emi->block_len, "INIT_EXT_RAM")) < 0)
		return rc;
	uint32_t st = 0;
	rc = recv_status(da, &st, mtk_xf_choices.init_ext_ram_ms, "INIT_EXT_RAM");
	if (rc == MTK_E_TIMEOUT)
		return dram_silent(da, rc);
	if (rc < 0)
		return rc;
	if (st == XF_ST_EMI_VERSION)
		return mtk_fail(da->ctx, MTK_E_STATUS, "INIT_EXT_RAM: the DA does not take EMI settings version %u "
				"(0x%08x): the preloader and the DA come from different firmware generations; "
				"nothing was written", emi->version, st);
	if (st)
		return status_fail(da, st, "INIT_EXT_RAM");
	da->storage.dram_configured_by_host = true;
	mtk_info(da->ctx, "DRAM set up with the preloader's EMI settings (version %u)", emi->version);
	return 0;
}

/* ------------------------------------------------------- BOOT_TO (§2.5) */

static int boot_da2(struct mtk_da *da)
{
	const struct mtk_da_stage *s = &da->choice.da2;
	if (!s->data || s->sig_len >= s->len)
		return mtk_fail(da->ctx, MTK_E_PARSE, "the DA file's DA2 region is empty (%u bytes, %u of them "
				"signature)", s->len, s->sig_len);
	/* DA1 holds a hash of DA2 without its signature and checks it (§2.1). */
	uint32_t n = s->len - s->sig_len;
	uint8_t p[16];
	mtk_put_u64le(p, s->addr);
	mtk_put_u64le(p + 8, n);
	mtk_info(da->ctx, "sending DA2 (%u bytes) to 0x%08x", n, s->addr);
	int rc;
	if ((rc = cmd(da, XF_CMD_BOOT_TO, "BOOT_TO")) < 0 || (rc = send_pkt(da, p, 16, "BOOT_TO")) < 0 ||
	    (rc = send_pkt(da, s->data, n, "uploading DA2")) < 0)
		return rc;
	uint32_t st = 0;
	if ((rc = recv_status(da, &st, data_timeout(n), "BOOT_TO")) < 0)
		return rc;
	if (st == XF_ST_DA_HASH_MISMATCH)
		return mtk_fail(da->ctx, MTK_E_VERIFY, "BOOT_TO: DA1 refused DA2: its hash does not match the one "
				"DA1 carries (0x%08x DA hash mismatch): DA1 and DA2 of this DA file do not belong "
				"together (a modified or mixed DA file)", st);
	if (st)
		return status_fail(da, st, "BOOT_TO");
	rc = expect_sync(da, mtk_xf_choices.boot_to_ms, true, "starting DA2");
	if (rc == MTK_E_TIMEOUT)
		return mtk_wrap(da->ctx, rc, "DA2 was received but did not report running (DRAM problem?)");
	return rc;
}

/* ---------------------------------------------------------- SLA (§2.6) */

static int sla_check(struct mtk_da *da)
{
	uint8_t b[16];
	size_t n = 0;
	int rc = optional(da, ctrl_get(da, XF_CTRL_SLA_ENABLED_STATUS, b, sizeof b, &n, "SLA_ENABLED_STATUS"));
	if (rc < 0 || n < 4 || mtk_get_u32le(b) == 0)
		return rc;
	return mtk_fail(da->ctx, MTK_E_SECURITY, "the DA has DA-SLA enabled: it serves nothing until the host "
			"answers its challenge with the vendor's key (SET_REMOTE_SEC_POLICY), which mtkflash "
			"does not have");
}

/* ----------------------------------------------------------- operations */

/* (storage code, section selector) of §3.2 for a region. */
static int target(struct mtk_da *da, enum mtk_region r, uint32_t *storage, uint32_t *part)
{
	static const uint8_t emmc[MTK_REGION_COUNT] = { 1, 2, 3, 8 };
	static const uint8_t ufs[MTK_REGION_COUNT] = { 1, 2, 4, 3 };
	if ((unsigned)r >= MTK_REGION_COUNT)
		return mtk_fail(da->ctx, MTK_E_INVAL, "no such region %d", (int)r);
	switch (da->storage.type) {
	case MTK_STORAGE_EMMC:
	case MTK_STORAGE_SDMMC:
		*storage = XF_STORAGE_EMMC, *part = emmc[r];
		return 0;
	case MTK_STORAGE_UFS:
		*storage = XF_STORAGE_UFS, *part = ufs[r];
		return 0;
	case MTK_STORAGE_NAND:
	case MTK_STORAGE_NOR:
		*storage = da->storage.type == MTK_STORAGE_NAND ? XF_STORAGE_NAND : XF_STORAGE_NOR, *part = 8;
		return 0;
	default:
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED, "unknown storage type");
	}
}

/* The command and the 56-byte operation block (§3.2); its status follows. */
static int send_op(struct mtk_da *da, uint32_t code, const char *what, enum mtk_region r, uint64_t off,
		   uint64_t len)
{
	uint32_t storage = 0, part = 0;
	int rc = target(da, r, &storage, &part);
	if (rc < 0)
		return rc;
	uint8_t op[XF_OP_BLOCK] = { 0 };
	mtk_put_u32le(op, storage);
	mtk_put_u32le(op + 4, part);
	mtk_put_u64le(op + 8, off);
	mtk_put_u64le(op + 16, len);
	if ((rc = cmd(da, code, what)) < 0)
		return rc;
	return send_pkt(da, op, sizeof op, what);
}

/* The command, the operation block and its first status. */
static int start_op(struct mtk_da *da, uint32_t code, const char *what, enum mtk_region r, uint64_t off,
		    uint64_t len)
{
	int rc = send_op(da, code, what, r, off, len);
	return rc < 0 ? rc : expect_ok(da, T_REPLY, what);
}

static int refused(struct mtk_da *da, int rc, const char *what, enum mtk_region r, uint64_t off, uint64_t len)
{
	return mtk_wrap(da->ctx, rc, "%s: the DA refused 0x%llx bytes at 0x%llx of %s; nothing was changed", what,
			(unsigned long long)len, (unsigned long long)off, mtk_region_name(r));
}

/* Where a read stands: the chunks go to the sink as they arrive. */
struct xf_reading {
	const char *what;
	uint64_t off, len, padded, done;
	mtk_da_sink_fn sink;
	void *user;
};

/* Hands k bytes of the chunk, read at rs->done, to the sink; bytes past what
 * the caller asked for (sector padding) are dropped. */
static int sink_piece(struct mtk_da *da, struct xf_reading *rs, const uint8_t *piece, size_t k)
{
	uint64_t keep = rs->done >= rs->len ? 0 : rs->len - rs->done;
	keep = keep < k ? keep : k;
	int rc = keep ? rs->sink(rs->user, rs->done, piece, (size_t)keep) : 0;
	if (rc < 0)
		return rc;
	rs->done += k;
	mtk_progress(da->ctx, rs->what, rs->done < rs->len ? rs->done : rs->len, rs->len);
	return 0;
}

/* n bytes of a chunk, READ_PIECE at a time, each handed to the sink before the
 * next is read: the sink's work (hashing, writing the file) overlaps the DA
 * sending the rest instead of following the whole chunk.  Every piece lands
 * at the start of the buffer, whose first READ_PIECE bytes stay in the cache.
 * All but the last piece: that one (*last bytes) waits for the caller's ACK. */
static int read_pieces(struct mtk_da *da, struct xf_reading *rs, size_t n, size_t *last)
{
	uint8_t *buf = X(da)->buf;
	for (size_t got = 0; got < n;) {
		size_t k = n - got < READ_PIECE ? n - got : READ_PIECE;
		int rc = rd(da, buf, k, data_timeout(k), rs->what);
		if (rc < 0)
			return mtk_wrap(da->ctx, rc, "at offset 0x%llx", (unsigned long long)(rs->off + rs->done));
		got += k;
		if (got == n) {
			*last = k;
			return 0;
		}
		if ((rc = sink_piece(da, rs, buf, k)) < 0)
			return rc;
	}
	return 0;
}

/* A chunk of at most 4 bytes is the DA's status in place of data (§3.3).  The
 * chunk's last piece goes to the sink after the ACK, while the DA sends its
 * status and the next chunk: before, the host's work on it (in a read-back:
 * a SHA-256 and a compare of 64 KiB) held the link once per chunk.  The DA's
 * status is read even when the sink refuses the piece, so a read that ends
 * there leaves nothing unread. */
static int read_chunk(struct mtk_da *da, struct xf_reading *r)
{
	struct xflash *x = X(da);
	uint32_t len;
	int rc = recv_hdr(da, &len, data_timeout(x->read_pkt), r->what);
	if (rc < 0)
		return rc;
	if (len <= 4) {
		uint8_t p[4];
		uint32_t st = 0;
		if ((rc = rd(da, p, len, T_REPLY, r->what)) < 0 || (rc = decode_status(da, p, len, &st, r->what)) < 0)
			return rc;
		return status_fail(da, st, r->what);
	}
	size_t left = (size_t)(r->padded - r->done);
	if (len > left || len > x->cap)
		return too_long(da, len, left < x->cap ? left : x->cap, r->what);
	size_t last = 0;
	if ((rc = read_pieces(da, r, len, &last)) < 0)
		return rc;
	if ((rc = send_u32(da, 0, r->what)) < 0) /* the host's ACK */
		return rc;
	int sunk = sink_piece(da, r, x->buf, last);
	rc = expect_ok(da, T_REPLY, r->what);
	return sunk < 0 ? sunk : rc;
}

/* Reads are whole sectors on the wire; the sink sees the bytes asked for. */
static int xf_read(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		   mtk_da_sink_fn sink, void *user)
{
	struct xf_reading st = { what, off, len, (len + WRITE_UNIT - 1) / WRITE_UNIT * WRITE_UNIT, 0, sink, user };
	int rc = start_op(da, XF_CMD_READ_DATA, what, r, off, st.padded);
	if (rc == 0)
		rc = expect_ok(da, T_REPLY, what); /* the range check (§3.3) */
	if (rc < 0)
		return refused(da, rc, what, r, off, st.padded);
	while (st.done < st.padded)
		if ((rc = read_chunk(da, &st)) < 0)
			return rc;
	return 0;
}

/* Flag, byte sum, data (§3.4); the one status for the three is write_status's. */
static int write_send(struct mtk_da *da, const uint8_t *buf, uint16_t sum, const char *what, uint64_t at,
		      size_t n)
{
	int rc;
	if ((rc = send_u32(da, 0, what)) < 0 || (rc = send_u32(da, sum, what)) < 0 ||
	    (rc = send_pkt(da, buf, (uint32_t)n, what)) < 0)
		return mtk_wrap(da->ctx, rc, "at offset 0x%llx", (unsigned long long)at);
	return 0;
}

static int write_status(struct mtk_da *da, const char *what, uint64_t at, size_t n)
{
	struct xflash *x = X(da);
	uint32_t st = 0;
	int rc = recv_status(da, &st, data_timeout(n) + (x->checks ? data_timeout(n) : 0), what);
	if (rc < 0)
		return mtk_wrap(da->ctx, rc, "at offset 0x%llx", (unsigned long long)at);
	if (st == XF_ST_CHECKSUM)
		return mtk_fail(da->ctx, MTK_E_VERIFY, "%s: the DA's own check failed for the chunk at offset 0x%llx "
				"(0x%08x checksum error: %s)", what, (unsigned long long)at, st,
				x->checks & MTK_DA_CHECK_STORAGE ? "USB transfer or storage read-back"
								 : "USB transfer");
	return st ? status_fail(da, st, what) : 0;
}

static size_t write_piece(const struct xflash *x, uint64_t done, uint64_t padded)
{
	return padded - done < x->write_pkt ? (size_t)(padded - done) : x->write_pkt;
}

/* The next chunk is filled from the source while the DA still receives and
 * stores the one just sent (the link's buffer and the DA's storage write):
 * host reading and hashing overlap the link instead of following each
 * chunk.  So is its byte sum, which goes out before it: summed between the
 * flag and the sum packets, 2 MiB held the link for a third of a
 * millisecond per chunk; the first chunk's is summed while the DA answers
 * the operation block.  A status is always read before an error is
 * returned, so the DA is never left with an unread answer. */
static int xf_write(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		    mtk_da_source_fn source, void *user)
{
	struct xflash *x = X(da);
	uint64_t padded = (len + WRITE_UNIT - 1) / WRITE_UNIT * WRITE_UNIT;
	/* The first chunk is ready before the command goes out, so the link
	 * does not wait for it after the DA's answer. */
	bool eof = false;
	size_t n = write_piece(x, 0, padded);
	int rc = mtk_da_fill(x->buf, n, 0, source, user, &eof);
	if (rc < 0)
		return rc;
	uint16_t sum = 0;
	if ((rc = send_op(da, XF_CMD_WRITE_DATA, what, r, off, padded)) == 0) {
		sum = mtk_sum16_update(0, x->buf, n);
		rc = expect_ok(da, T_REPLY, what);
	}
	if (rc < 0)
		return refused(da, rc, what, r, off, padded);
	for (uint64_t done = 0; done < padded;) {
		mtk_da_note_sent(da, n);
		if ((rc = write_send(da, x->buf, sum, what, off + done, n)) < 0)
			return rc;
		uint64_t next = done + n;
		size_t k = write_piece(x, next, padded);
		int fill = k ? mtk_da_fill(x->next, k, next, source, user, &eof) : 0;
		if (!k)
			mtk_da_write_idle(da);
		else if (fill == 0)
			sum = mtk_sum16_update(0, x->next, k);
		if ((rc = write_status(da, what, off + done, n)) < 0 || (rc = fill) < 0)
			return rc;
		/* Not after the last chunk: the next write's first chunk, filled
		 * while the link waits, goes where this one's last was.  In the
		 * other buffer it could land on pages never touched yet, each a
		 * page fault (512 for 2 MiB: 3 to 7 ms on a virtual machine). */
		if (k) {
			uint8_t *t = x->buf;
			x->buf = x->next, x->next = t;
		}
		done = next, n = k;
		mtk_progress(da->ctx, what, done < len ? done : len, len);
	}
	return expect_ok(da, T_REPLY, what);
}

static int xf_erase(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len)
{
	int rc = start_op(da, XF_CMD_FORMAT, what, r, off, len);
	if (rc < 0)
		return refused(da, rc, what, r, off, len);
	for (int i = 0; i < PROGRESS_MAX; i++) {
		uint32_t st = 0;
		if ((rc = recv_status(da, &st, T_ERASE_STEP, what)) < 0)
			return rc;
		if (st == XF_ST_COMPLETE) {
			mtk_progress(da->ctx, what, len, len);
			return 0;
		}
		if (st != XF_ST_PROGRESS)
			return status_fail(da, st, what);
		uint8_t p[8];
		size_t n = 0;
		if ((rc = recv_pkt(da, p, sizeof p, &n, T_REPLY, what)) < 0 || (rc = send_u32(da, 0, what)) < 0)
			return rc;
		uint32_t pct = n >= 4 ? mtk_get_u32le(p) : 0;
		pct = pct > 100 ? 100 : pct;
		mtk_progress(da->ctx, what, len / 100 * pct, len);
	}
	return mtk_fail(da->ctx, MTK_E_PROTO, "%s: %d progress reports and no end", what, PROGRESS_MAX);
}

/* SHUTDOWN (§3.6): reboot = SP Flash Tool's (watchdog after 3 s); "home"
 * (poweroff) boots into charging; fastboot likewise by boot mode. */
static int xf_finish(struct mtk_da *da, enum mtk_da_finish_mode mode)
{
	const struct xf_choices *c = &mtk_xf_choices;
	uint8_t p[32] = { 0 };
	mtk_put_u32le(p, 1);                     /* the fields below are valid */
	mtk_put_u32le(p + 4, c->reboot_timeout_ms);
	mtk_put_u32le(p + 12, (uint32_t)mode);   /* 0 normal, 1 charging, 2 fastboot */
	int rc;
	if ((rc = cmd(da, XF_CMD_SHUTDOWN, "SHUTDOWN")) < 0 || (rc = send_pkt(da, p, c->shutdown_size, "SHUTDOWN")) < 0)
		return rc;
	uint32_t st = 0;
	/* The phone may drop off the bus before the status reaches us. */
	if (recv_status(da, &st, 1000, "SHUTDOWN") < 0) {
		mtk_ctx_clear_error(da->ctx);
		return 0;
	}
	return st ? status_fail(da, st, "SHUTDOWN") : 0;
}

static int usb_speed_query(struct mtk_da *da)
{
	return run_getter(da, &reinit_getters[7]);
}

/* §2.8: the DA re-enumerates as its high-speed device; the session survives. */
static int xf_speed_switch(struct mtk_da *da, int reopen_wait_ms)
{
	int rc;
	if ((rc = cmd(da, XF_CMD_SWITCH_USB_SPEED, "SWITCH_USB_SPEED")) < 0 ||
	    (rc = send_u32(da, mtk_xf_choices.speed_switch_param, "SWITCH_USB_SPEED")) < 0 ||
	    (rc = expect_ok(da, T_REPLY, "SWITCH_USB_SPEED")) < 0)
		return rc;
	mtk_info(da->ctx, "switching to USB high speed: waiting for the phone to re-enumerate");
	if ((rc = mtk_transport_reopen(da->tp, reopen_wait_ms)) < 0)
		return mtk_wrap(da->ctx, rc, "USB speed switch");
	rc = usb_speed_query(da);
	return rc < 0 ? mtk_wrap(da->ctx, rc, "after the USB speed switch") : 0;
}

static int xf_set_checks(struct mtk_da *da, unsigned mask)
{
	int rc = ctrl_set_u32(da, XF_CTRL_SET_CHECKSUM_LEVEL, mask, "SET_CHECKSUM_LEVEL");
	if (rc == 0)
		X(da)->checks = mask;
	return rc;
}

static unsigned xf_checks(const struct mtk_da *da)
{
	return ((const struct xflash *)da->priv)->checks;
}

static void xf_destroy(struct mtk_da *da)
{
	struct xflash *x = da->priv;
	if (x) {
		free(x->buf);
		free(x->next);
	}
	free(x);
	da->priv = NULL;
}

static const struct mtk_da_ops xflash_ops = {
	.name = "xflash",
	.read = xf_read,
	.write = xf_write,
	.erase = xf_erase,
	.read_pmt = NULL,           /* GPT devices; no V5 command reads a PMT */
	.set_boot_partition = NULL, /* no V5 command sets EXT_CSD (§3.1, §3.9) */
	.finish = xf_finish,
	.speed_switch = xf_speed_switch,
	.set_checks = xf_set_checks,
	.checks = xf_checks,
	.destroy = xf_destroy,
};

static int xflash_init(struct mtk_da *da)
{
	struct xflash *x = calloc(1, sizeof *x);
	if (!x)
		return mtk_fail(da->ctx, MTK_E_NOMEM, "no memory for the DA session");
	da->priv = x;
	da->ops = &xflash_ops;
	da->write_unit = WRITE_UNIT;
	return 0;
}

static void report(struct mtk_da *da)
{
	const struct mtk_da_storage *st = &da->storage;
	const struct mtk_regions *rg = &st->regions;
	mtk_info(da->ctx, "DA2 running (%s): %s, boot1 %llu KiB, boot2 %llu KiB, rpmb %llu KiB, user %llu MiB; "
		 "packets: write 0x%x, read 0x%x", st->da_version_text[0] ? st->da_version_text : "xflash",
		 mtk_storage_type_name(st->type), (unsigned long long)(rg->size[MTK_REGION_BOOT1] >> 10),
		 (unsigned long long)(rg->size[MTK_REGION_BOOT2] >> 10),
		 (unsigned long long)(rg->size[MTK_REGION_RPMB] >> 10),
		 (unsigned long long)(rg->size[MTK_REGION_USER] >> 20), st->write_packet_len, st->read_packet_len);
}

/* A DA2 found in its command loop by the session probe (§2.7: mtkclient
 * resumes so too): the storage report is asked again, so the facts are the
 * DA's, not the record's.  The checksum level a previous host left set is
 * unknown: it is set to 0, so that checks() tells the truth. */
int mtk_da_xflash_resume(struct mtk_da *da)
{
	int rc = xflash_init(da);
	if (rc == 0 && (rc = reinit(da)) == 0 && (rc = xf_set_checks(da, 0)) == 0)
		report(da);
	return rc < 0 ? mtk_wrap(da->ctx, rc, "resuming the running xflash DA") : 0;
}

int mtk_da_xflash_start(struct mtk_da *da, const struct mtk_da_emi *emi)
{
	bool brom_agent = false;
	int rc = xflash_init(da);
	if (rc == 0 && (rc = da1_sync(da)) == 0 && (rc = setup_environment(da)) == 0 &&
	    (rc = setup_hw_init(da)) == 0 && (rc = da1_controls(da, &brom_agent)) == 0 && brom_agent)
		rc = init_ext_ram(da, emi);
	if (rc == 0 && (rc = boot_da2(da)) == 0 && (rc = sla_check(da)) == 0)
		rc = reinit(da);
	if (rc == 0)
		report(da);
	return rc;
}
