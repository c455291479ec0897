/* SPDX-License-Identifier: MIT */
/* DA sessions that outlive the process: the probe, the per-port record, the
 * reattach, the end of a command (see include/mtkflash/session.h).
 *
 * Why a probe at all: a phone keeps DA2 in its command loop when the host
 * closes the port (da-legacy.md §2), and the handshake's first byte, 0xA0,
 * is a DA2 command.  So before the first handshake byte we find out what is
 * listening, with one byte that no state can misread dangerously: 0x72.
 *   - legacy DA2: USB_CHECK_STATUS, answered 5A + speed (§4.9); read-only;
 *   - BootROM/preloader waiting for the start command: a wrong start byte,
 *     answered 73 (c+1) and the sequence restarts at A0 (brom-protocol §2.2);
 *   - BootROM/preloader in its command loop: 0x72 is no BootROM or preloader
 *     command (§3.2: "DA-level code"), so it is echoed (§3.23);
 *   - a listening preloader: any non-A0 chunk is collected as part of an
 *     8-byte META token that matches nothing (§2.2a); it keeps listening.
 * Before even that we listen briefly: a preloader that sends READY banners
 * is identified without sending anything (and its first A0 will be eaten,
 * which the handshake expects).  Only once the answer rules a DA out do we
 * send A0 (handshake) or FE/FF (command-loop probe); both would be DA2
 * commands (A0 write-control, FE memory test, FF relay mode). */
#include "mtkflash/session.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "core/fileutil.h"
#include "da/da_priv.h"
#include "da/xflash_priv.h"

#define PROBE_LISTEN_MS 60 /* a listening preloader sends READY every 20 ms (§2.2a) */
#define PROBE_REPLY_MS 300
#define PROBE_QUIET_MS 5
#define CMD_USB_CHECK_STATUS 0x72
#define ACK 0x5A
#define SPEED_MAX 2
#define RECORD_MAX 8192
#define RECORD_MAGIC "mtkflash-session 1"

const char *mtk_dev_state_name(enum mtk_dev_state s)
{
	static const char *const names[] = {
		[MTK_DEV_SILENT] = "nothing answered",
		[MTK_DEV_LISTENING] = "a preloader listening (READY banners)",
		[MTK_DEV_START_CMD] = "a BootROM/preloader waiting for the start command",
		[MTK_DEV_CMD_LOOP] = "a BootROM/preloader already in its command loop",
		[MTK_DEV_DA_LEGACY] = "a legacy Download Agent (DA2) in its command loop",
		[MTK_DEV_OTHER] = "an unrecognised answer",
		[MTK_DEV_DA_XFLASH] = "an xflash Download Agent (DA2) in its command loop",
	};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* ---------------------------------------------------------------- probe */

/* What arrives within window_ms, then until a quiet gap.  Timeouts are no
 * error here: silence is an answer. */
static int collect(struct mtk_transport *tp, uint8_t *buf, size_t cap, size_t *got, int window_ms)
{
	int n = mtk_tp_read_some(tp, buf + *got, cap - *got, window_ms);
	while (n > 0) {
		*got += (size_t)n;
		if (*got == cap)
			return 0;
		n = mtk_tp_read_some(tp, buf + *got, cap - *got, PROBE_QUIET_MS);
	}
	if (n == MTK_E_TIMEOUT) {
		mtk_ctx_clear_error(mtk_transport_ctx(tp));
		return 0;
	}
	return n;
}

/* READY, or a piece of one (a banner cut by the buffer or the quiet gap). */
static bool banner_text(const uint8_t *b, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!memchr("READY", b[i], 5))
			return false;
	return true;
}

static bool contains_banner(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++)
		if (memcmp(b + i, "READY", 5) == 0)
			return true;
	return banner_text(b, n);
}

static bool all_same(const uint8_t *b, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return n > 0;
}

static enum mtk_dev_state classify(const uint8_t *b, size_t n, uint8_t *speed)
{
	if (n == 0)
		return MTK_DEV_SILENT;
	if (b[0] == ACK && n == 2 && b[1] <= SPEED_MAX) {
		*speed = b[1];
		return MTK_DEV_DA_LEGACY;
	}
	if (contains_banner(b, n))
		return MTK_DEV_LISTENING;
	if (b[n - 1] == CMD_USB_CHECK_STATUS + 1)
		return MTK_DEV_START_CMD;
	if (all_same(b, n, CMD_USB_CHECK_STATUS))
		return MTK_DEV_CMD_LOOP;
	return MTK_DEV_OTHER;
}

static void log_probe(mtk_ctx *ctx, const struct mtk_probe_result *r)
{
	char hex[2 * sizeof r->raw + 1];
	mtk_hex_encode(hex, r->raw, r->raw_len);
	mtk_info(ctx, "probe (72 -> %s): %s", r->raw_len ? hex : "nothing", mtk_dev_state_name(r->state));
}

static int probe_72(mtk_ctx *ctx, struct mtk_transport *tp, struct mtk_probe_result *out)
{
	mtk_tp_drain(tp); /* an earlier host's unread tail is no answer */
	out->raw_len = 0;
	uint8_t c = CMD_USB_CHECK_STATUS;
	int rc;
	if ((rc = mtk_tp_write(tp, &c, 1, PROBE_REPLY_MS)) < 0 ||
	    (rc = collect(tp, out->raw, sizeof out->raw, &out->raw_len, PROBE_REPLY_MS)) < 0)
		return mtk_wrap(ctx, rc, "probing %s", mtk_transport_describe(tp));
	/* A DA's 5A and speed byte may arrive a gap apart. */
	if (out->raw_len == 1 && out->raw[0] == ACK &&
	    (rc = collect(tp, out->raw, sizeof out->raw, &out->raw_len, PROBE_REPLY_MS)) < 0)
		return mtk_wrap(ctx, rc, "probing %s", mtk_transport_describe(tp));
	out->state = classify(out->raw, out->raw_len, &out->usb_speed);
	log_probe(ctx, out);
	return 0;
}

/* --- the xflash probe (da-xflash.md §2.7) ---
 * DEVICE_CTRL as two transfers (header, payload: §1.6); only when the whole
 * reply is the DA's STATUS(0) packet does the sub-code follow: GET_RAM_INFO,
 * the getter mtkclient sends first to a reattached DA, read-only.  Its
 * exchange is completed, so the DA is back in its command loop after. */
#define XF_PROBE_LEN 16
static const uint8_t xf_ctrl[XF_PROBE_LEN] = { 0xEF, 0xEE, 0xEE, 0xFE, 1, 0, 0, 0, 4, 0, 0, 0, 0x09, 0x00, 0x01, 0x00 };
static const uint8_t xf_ram_info[XF_PROBE_LEN] = { 0xEF, 0xEE, 0xEE, 0xFE, 1, 0, 0, 0, 4, 0, 0, 0, 0x0C, 0x00, 0x04, 0x00 };
static const uint8_t xf_ok[XF_PROBE_LEN] = { 0xEF, 0xEE, 0xEE, 0xFE, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0 };
#define XF_RAM_INFO_MAX 64

static int xf_send(struct mtk_transport *tp, const uint8_t pkt[XF_PROBE_LEN])
{
	int rc = mtk_tp_write(tp, pkt, XF_HDR, PROBE_REPLY_MS);
	return rc < 0 ? rc : mtk_tp_write(tp, pkt + XF_HDR, XF_PROBE_LEN - XF_HDR, PROBE_REPLY_MS);
}

static int xf_expect_ok(mtk_ctx *ctx, struct mtk_transport *tp, const char *what)
{
	uint8_t b[XF_PROBE_LEN];
	int rc = mtk_tp_read_exact(tp, b, sizeof b, PROBE_REPLY_MS);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "xflash probe: %s", what);
	if (memcmp(b, xf_ok, sizeof b) != 0)
		return mtk_fail(ctx, MTK_E_PROTO, "xflash probe: %s: not a STATUS(0) packet", what);
	return 0;
}

/* GET_RAM_INFO's answer: its status, the data packet, the final status. */
static int xf_finish_probe(mtk_ctx *ctx, struct mtk_transport *tp)
{
	uint8_t h[XF_HDR], data[XF_RAM_INFO_MAX];
	int rc = xf_send(tp, xf_ram_info);
	if (rc < 0 || (rc = xf_expect_ok(ctx, tp, "GET_RAM_INFO")) < 0)
		return rc;
	if ((rc = mtk_tp_read_exact(tp, h, sizeof h, PROBE_REPLY_MS)) < 0)
		return mtk_wrap(ctx, rc, "xflash probe: GET_RAM_INFO data");
	uint32_t len = mtk_get_u32le(h + 8);
	if (mtk_get_u32le(h) != XF_MAGIC || len > sizeof data)
		return mtk_fail(ctx, MTK_E_PROTO, "xflash probe: GET_RAM_INFO: a malformed %u-byte answer", len);
	if ((rc = mtk_tp_read_exact(tp, data, len, PROBE_REPLY_MS)) < 0)
		return mtk_wrap(ctx, rc, "xflash probe: GET_RAM_INFO data");
	return xf_expect_ok(ctx, tp, "GET_RAM_INFO");
}

/* 1: an xflash DA answered (and is back in its loop); 0: something else,
 * whose bytes are in out->raw. */
static int probe_xflash(mtk_ctx *ctx, struct mtk_transport *tp, struct mtk_probe_result *out)
{
	mtk_tp_drain(tp); /* an earlier host's unread tail is no answer */
	out->raw_len = 0;
	int rc = xf_send(tp, xf_ctrl);
	if (rc < 0 || (rc = collect(tp, out->raw, XF_PROBE_LEN, &out->raw_len, PROBE_REPLY_MS)) < 0)
		return mtk_wrap(ctx, rc, "probing %s for an xflash DA", mtk_transport_describe(tp));
	char hex[2 * sizeof out->raw + 1];
	mtk_hex_encode(hex, out->raw, out->raw_len);
	mtk_info(ctx, "probe (xflash DEVICE_CTRL -> %s)", out->raw_len ? hex : "nothing");
	/* The magic alone proves nothing: a command loop echoes EF EE EE FE. */
	if (out->raw_len != XF_PROBE_LEN || memcmp(out->raw, xf_ok, XF_PROBE_LEN) != 0)
		return 0;
	if ((rc = xf_finish_probe(ctx, tp)) < 0)
		return rc;
	out->state = MTK_DEV_DA_XFLASH;
	mtk_info(ctx, "probe: %s", mtk_dev_state_name(out->state));
	return 1;
}

/* Silence after 0x72 is what an xflash DA gives (it waits for the rest of a
 * 12-byte header); every other state answers.  The 11 zeros complete that
 * header: a DA that reads headers whole rejects it (0xC0010005, whatever it
 * sends for that is drained), one that hunts for the magic byte by byte drops
 * them; either way the next packet is read from its first byte. */
static int probe_after_silence(mtk_ctx *ctx, struct mtk_transport *tp, struct mtk_probe_result *out)
{
	static const uint8_t zeros[XF_HDR - 1];
	int rc = mtk_tp_write(tp, zeros, sizeof zeros, PROBE_REPLY_MS);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "probing %s", mtk_transport_describe(tp));
	size_t got = 0;
	uint8_t junk[64];
	if ((rc = collect(tp, junk, sizeof junk, &got, PROBE_REPLY_MS)) < 0)
		return rc;
	if ((rc = probe_xflash(ctx, tp, out)) != 0)
		return rc < 0 ? rc : 0;
	out->state = MTK_DEV_SILENT;
	out->raw_len = 0;
	return 0;
}

static bool record_says_xflash(mtk_ctx *ctx, struct mtk_transport *tp, const char *dir)
{
	struct mtk_session_record r;
	const char *key = mtk_transport_port_key(tp);
	int found = dir && key[0] ? mtk_session_load(ctx, dir, key, &r) : 0;
	if (found < 0)
		mtk_ctx_clear_error(ctx); /* the attach reports a bad record */
	return found > 0 && strcmp(r.protocol, "xflash") == 0;
}

/* Probe order.  An xflash packet must never reach a legacy DA2: EF is its
 * GET_PROJECT_ID and EE an OTP command (da-legacy.md §4), and the rest would
 * be read as their parameters.  0x72 costs an xflash DA one stray byte,
 * which probe_after_silence() flushes.  So: 0x72 first, unless this port's
 * record says an xflash DA runs there; BootROM and preloader take either
 * probe calmly (§2.7: the handshake state answers c+1, the command loop
 * echoes; FE there is GET_BL_VER, which only reads). */
int mtk_probe_port(mtk_ctx *ctx, struct mtk_transport *tp, const char *session_dir, struct mtk_probe_result *out)
{
	memset(out, 0, sizeof *out);
	int rc = collect(tp, out->raw, sizeof out->raw, &out->raw_len, PROBE_LISTEN_MS);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "listening on %s", mtk_transport_describe(tp));
	if (contains_banner(out->raw, out->raw_len)) {
		out->state = MTK_DEV_LISTENING;
		mtk_info(ctx, "probe: READY banners before we sent anything: %s", mtk_dev_state_name(out->state));
		return 0;
	}
	bool xflash_first = record_says_xflash(ctx, tp, session_dir);
	if (xflash_first && (rc = probe_xflash(ctx, tp, out)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = probe_72(ctx, tp, out)) < 0)
		return rc;
	if (out->state == MTK_DEV_SILENT && !xflash_first)
		return probe_after_silence(ctx, tp, out);
	return 0;
}

int mtk_probe_device(mtk_ctx *ctx, struct mtk_transport *tp, struct mtk_probe_result *out)
{
	return mtk_probe_port(ctx, tp, NULL, out);
}

/* ------------------------------------------------------- record: format */

struct field {
	const char *key;
	enum { F_U8, F_U16, F_U32, F_U64, F_HEX } type;
	size_t brom_off, stor_off; /* one of them is SIZE_MAX */
	size_t len;                /* F_HEX: bytes */
};

#define NO SIZE_MAX
#define B(k, t, m) { k, t, offsetof(struct mtk_brom_info, m), NO, 0 }
#define S(k, t, m) { k, t, NO, offsetof(struct mtk_da_storage, m), 0 }
#define SH(k, m) { k, F_HEX, NO, offsetof(struct mtk_da_storage, m), sizeof(((struct mtk_da_storage *)0)->m) }

/* The numeric and fixed-size facts; ids, names and enums are handled apart. */
static const struct field fields[] = {
	B("hw_code", F_U16, hw_code),
	B("hw_sub_code", F_U16, hw_sub_code),
	B("hw_ver", F_U16, hw_ver),
	B("sw_ver", F_U16, sw_ver),
	B("bl_ver", F_U8, bl_ver),
	B("brom_ver", F_U8, brom_ver),
	B("target_config", F_U32, target_config),
	SH("da_version", da_version),
	SH("cid", cid),
	S("boot1_size", F_U64, regions.size[MTK_REGION_BOOT1]),
	S("boot2_size", F_U64, regions.size[MTK_REGION_BOOT2]),
	S("rpmb_size", F_U64, regions.size[MTK_REGION_RPMB]),
	S("user_size", F_U64, regions.size[MTK_REGION_USER]),
	S("gp1_size", F_U64, gp_size[0]),
	S("gp2_size", F_U64, gp_size[1]),
	S("gp3_size", F_U64, gp_size[2]),
	S("gp4_size", F_U64, gp_size[3]),
	SH("emmc_fwver", emmc_fwver),
	S("nand_size", F_U64, nand_size),
	S("nor_size", F_U64, nor_size),
	S("int_sram_size", F_U32, int_sram_size),
	S("ext_ram_size", F_U64, ext_ram_size),
	S("usb_speed", F_U8, usb_speed),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static void *field_ptr(const struct field *f, const struct mtk_session_record *r)
{
	const uint8_t *base = f->brom_off != NO ? (const uint8_t *)&r->brom + f->brom_off
						: (const uint8_t *)&r->storage + f->stor_off;
	return (void *)base;
}

static uint64_t get_num(const struct field *f, const void *p)
{
	switch (f->type) {
	case F_U8:
		return *(const uint8_t *)p;
	case F_U16:
		return *(const uint16_t *)p;
	case F_U32:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

struct out_buf {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void put(struct out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out_buf *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->len, o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0 || o->len + (size_t)n >= o->cap)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

static void put_hex(struct out_buf *o, const char *key, bool have, const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];
	if (!have || n > 64) {
		put(o, "%s=-\n", key);
		return;
	}
	mtk_hex_encode(hex, b, n);
	put(o, "%s=%s\n", key, hex);
}

int mtk_session_format(const struct mtk_session_record *r, char *out, size_t cap)
{
	struct out_buf o = { out, cap, 0, false };
	put(&o, RECORD_MAGIC "\nport=%s\nprotocol=%s\nstage=%s\nstarted=%" PRId64 "\nmode=%s\nstorage=%s\n",
	    r->port_key, r->protocol, r->stage, r->started, r->brom.mode == MTK_MODE_BROM ? "brom" : "preloader",
	    mtk_storage_type_name(r->storage.type));
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		const void *p = field_ptr(f, r);
		if (f->type == F_HEX)
			put_hex(&o, f->key, true, p, f->len);
		else
			put(&o, "%s=%" PRIu64 "\n", f->key, get_num(f, p));
	}
	put_hex(&o, "me_id", r->brom.have_me_id, r->brom.me_id, r->brom.me_id_len);
	put_hex(&o, "soc_id", r->brom.have_soc_id, r->brom.soc_id, r->brom.soc_id_len);
	put_hex(&o, "fingerprint", r->have_fingerprint, r->fingerprint, sizeof r->fingerprint);
	return o.overflow ? MTK_E_RANGE : (int)o.len;
}

/* -------------------------------------------------------- record: parse */

struct line_ctx {
	mtk_ctx *ctx;
	const char *name;
	unsigned line;
};

static int bad(const struct line_ctx *lc, const char *key, const char *why)
{
	return mtk_fail(lc->ctx, MTK_E_PARSE, "%s line %u: %s %s", lc->name, lc->line, key, why);
}

/* Hex of exactly `want` bytes, or of 1..cap bytes when want is 0. */
static int parse_hex(const struct line_ctx *lc, const char *key, const char *v, size_t vlen, uint8_t *out,
		     size_t cap, size_t want, size_t *got)
{
	if (vlen % 2 || vlen / 2 > cap || (want && vlen / 2 != want) || vlen == 0)
		return bad(lc, key, "has the wrong length");
	for (size_t i = 0; i < vlen / 2; i++) {
		int hi = mtk_hex_digit(v[2 * i]), lo = mtk_hex_digit(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return bad(lc, key, "is not hex");
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*got = vlen / 2;
	return 0;
}

static int parse_num(const struct line_ctx *lc, const struct field *f, const char *v, size_t vlen, void *p)
{
	static const uint64_t max[] = { [F_U8] = 0xFF, [F_U16] = 0xFFFF, [F_U32] = 0xFFFFFFFFu, [F_U64] = UINT64_MAX };
	uint64_t x = 0;
	if (vlen == 0 || vlen > 20)
		return bad(lc, f->key, "is not a number");
	for (size_t i = 0; i < vlen; i++) {
		unsigned d = (unsigned)(v[i] - '0');
		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return bad(lc, f->key, "is not a number");
		x = x * 10 + d;
	}
	if (x > max[f->type])
		return bad(lc, f->key, "is out of range");
	switch (f->type) {
	case F_U8:
		*(uint8_t *)p = (uint8_t)x;
		break;
	case F_U16:
		*(uint16_t *)p = (uint16_t)x;
		break;
	case F_U32:
		*(uint32_t *)p = (uint32_t)x;
		break;
	default:
		*(uint64_t *)p = x;
	}
	return 0;
}

static int parse_text(const struct line_ctx *lc, const char *key, const char *v, size_t vlen, char *out,
		      size_t cap)
{
	if (vlen == 0 || vlen >= cap)
		return bad(lc, key, "is empty or too long");
	for (size_t i = 0; i < vlen; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7F)
			return bad(lc, key, "holds a control character");
	memcpy(out, v, vlen);
	out[vlen] = 0;
	return 0;
}

static int parse_id(const struct line_ctx *lc, const char *key, const char *v, size_t vlen, uint8_t *out,
		    size_t cap, size_t want, bool *have, uint8_t *len)
{
	size_t got = 0;
	*have = false;
	if (vlen == 1 && v[0] == '-')
		return 0;
	int rc = parse_hex(lc, key, v, vlen, out, cap, want, &got);
	if (rc == 0) {
		*have = true;
		if (len)
			*len = (uint8_t)got;
	}
	return rc;
}

static int parse_enum(const struct line_ctx *lc, const char *key, const char *v, size_t vlen,
		      struct mtk_session_record *r)
{
	if (strcmp(key, "mode") == 0) {
		if (vlen == 4 && memcmp(v, "brom", 4) == 0)
			r->brom.mode = MTK_MODE_BROM;
		else if (vlen == 9 && memcmp(v, "preloader", 9) == 0)
			r->brom.mode = MTK_MODE_PRELOADER;
		else
			return bad(lc, key, "is neither brom nor preloader");
		return 0;
	}
	for (int t = MTK_STORAGE_UNKNOWN; t <= MTK_STORAGE_SDMMC; t++) {
		const char *n = mtk_storage_type_name((enum mtk_storage_type)t);
		if (strlen(n) == vlen && memcmp(n, v, vlen) == 0) {
			r->storage.type = (enum mtk_storage_type)t;
			return 0;
		}
	}
	return bad(lc, key, "names no storage type");
}

static int parse_field(const struct line_ctx *lc, const char *key, const char *v, size_t vlen,
		       struct mtk_session_record *r, unsigned *seen)
{
	const struct {
		const char *key;
		char *out;
		size_t cap;
	} texts[] = {
		{ "port", r->port_key, sizeof r->port_key },
		{ "protocol", r->protocol, sizeof r->protocol },
		{ "stage", r->stage, sizeof r->stage },
	};
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(key, texts[i].key) == 0) {
			*seen |= 1u << i;
			return parse_text(lc, key, v, vlen, texts[i].out, texts[i].cap);
		}
	}
	if (strcmp(key, "mode") == 0 || strcmp(key, "storage") == 0)
		return parse_enum(lc, key, v, vlen, r);
	if (strcmp(key, "started") == 0) {
		struct field f = { key, F_U64, 0, 0, 0 };
		uint64_t t = 0;
		int rc = parse_num(lc, &f, v, vlen, &t);
		r->started = (int64_t)(t > INT64_MAX ? INT64_MAX : t);
		return rc;
	}
	if (strcmp(key, "me_id") == 0)
		return parse_id(lc, key, v, vlen, r->brom.me_id, sizeof r->brom.me_id, 0, &r->brom.have_me_id,
				&r->brom.me_id_len);
	if (strcmp(key, "soc_id") == 0)
		return parse_id(lc, key, v, vlen, r->brom.soc_id, sizeof r->brom.soc_id, 0, &r->brom.have_soc_id,
				&r->brom.soc_id_len);
	if (strcmp(key, "fingerprint") == 0)
		return parse_id(lc, key, v, vlen, r->fingerprint, 32, 32, &r->have_fingerprint, NULL);
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		if (strcmp(key, f->key) != 0)
			continue;
		size_t got;
		if (f->type == F_HEX)
			return parse_hex(lc, key, v, vlen, field_ptr(f, r), f->len, f->len, &got);
		return parse_num(lc, f, v, vlen, field_ptr(f, r));
	}
	return 0; /* a later version's field: ignored */
}

int mtk_session_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, struct mtk_session_record *r)
{
	memset(r, 0, sizeof *r);
	struct line_ctx lc = { ctx, name, 0 };
	unsigned seen = 0;
	for (size_t pos = 0; pos < len;) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, llen = end - pos;
		const char *l = (const char *)buf + pos;
		lc.line++;
		if (lc.line == 1) {
			if (llen != strlen(RECORD_MAGIC) || memcmp(l, RECORD_MAGIC, llen) != 0)
				return mtk_fail(ctx, MTK_E_PARSE, "%s: not a mtkflash session record", name);
		} else if (llen) {
			const char *eq = memchr(l, '=', llen);
			char key[32];
			size_t klen = eq ? (size_t)(eq - l) : 0;
			if (!eq || klen == 0 || klen >= sizeof key)
				return mtk_fail(ctx, MTK_E_PARSE, "%s line %u: expected key=value", name, lc.line);
			memcpy(key, l, klen);
			key[klen] = 0;
			int rc = parse_field(&lc, key, eq + 1, llen - klen - 1, r, &seen);
			if (rc < 0)
				return rc;
		}
		pos = end + 1;
	}
	if (lc.line == 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: empty session record", name);
	if (seen != 7)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: the record lacks its port, protocol or stage", name);
	r->brom.chip = mtk_chip_by_hw_code(r->brom.hw_code);
	return 0;
}

/* ---------------------------------------------------------- record: files */

/* One file per port key: its SHA-256, so any key (a path with slashes, a
 * USB chain) makes a safe file name. */
static int record_path(mtk_ctx *ctx, const char *dir, const char *key, char *out, size_t cap)
{
	uint8_t md[32];
	char hex[17];
	if (!EVP_Digest(key, strlen(key), md, NULL, EVP_sha256(), NULL))
		return mtk_fail(ctx, MTK_E_IO, "SHA-256 failed");
	mtk_hex_encode(hex, md, 8);
	if ((size_t)snprintf(out, cap, "%s/%s.session", dir, hex) >= cap)
		return mtk_fail(ctx, MTK_E_RANGE, "session directory path too long: %s", dir);
	return 0;
}

int mtk_session_load(mtk_ctx *ctx, const char *dir, const char *key, struct mtk_session_record *r)
{
	char path[4200];
	uint8_t *buf = NULL;
	size_t len = 0;
	bool absent = false;
	int rc = record_path(ctx, dir, key, path, sizeof path);
	if (rc == 0)
		rc = mtk_read_small_file(ctx, path, RECORD_MAX, &buf, &len, &absent);
	if (rc < 0 || absent)
		return rc < 0 ? mtk_wrap(ctx, rc, "reading the session record") : 0;
	rc = mtk_session_parse(ctx, buf, len, path, r);
	free(buf);
	if (rc == 0 && strcmp(r->port_key, key) != 0)
		rc = mtk_fail(ctx, MTK_E_PARSE, "%s belongs to port %s, not %s", path, r->port_key, key);
	return rc < 0 ? rc : 1;
}

static int write_all(mtk_ctx *ctx, const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return mtk_fail(ctx, MTK_E_IO, "cannot create %s: %s", path, strerror(errno));
	ssize_t n = write(fd, text, len);
	int err = errno;
	if (close(fd) < 0 && n == (ssize_t)len)
		n = -1, err = errno;
	if (n != (ssize_t)len)
		return mtk_fail(ctx, MTK_E_IO, "cannot write %s: %s", path, strerror(err));
	return 0;
}

/* Written beside, then renamed: a crash leaves the old record or the new. */
int mtk_session_save(mtk_ctx *ctx, const char *dir, const struct mtk_session_record *r)
{
	char path[4200], tmp[4300], text[RECORD_MAX];
	int n = mtk_session_format(r, text, sizeof text);
	if (n < 0)
		return mtk_fail(ctx, n, "the session record does not fit %d bytes", RECORD_MAX);
	int rc = mtk_make_dirs(ctx, dir, 0700); /* records name the user's phones */
	if (rc == 0)
		rc = record_path(ctx, dir, r->port_key, path, sizeof path);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "saving the session record");
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((rc = write_all(ctx, tmp, text, (size_t)n)) < 0)
		return rc;
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return mtk_fail(ctx, MTK_E_IO, "cannot rename %s: %s", tmp, strerror(errno));
	}
	mtk_dbg(ctx, "session record %s saved", path);
	return 0;
}

int mtk_session_forget(mtk_ctx *ctx, const char *dir, const char *key)
{
	char path[4200];
	int rc = record_path(ctx, dir, key, path, sizeof path);
	if (rc < 0)
		return rc;
	if (unlink(path) < 0 && errno != ENOENT)
		return mtk_fail(ctx, MTK_E_IO, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* ------------------------------------------------------ DA <-> record */

int mtk_da_fingerprint(struct mtk_da *da, uint8_t out[32])
{
	uint64_t user = mtk_da_region_size(da, MTK_REGION_USER);
	size_t n = user < MTK_SESSION_FP_BYTES ? (size_t)user : MTK_SESSION_FP_BYTES;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return mtk_fail(da->ctx, MTK_E_NOMEM, "no memory for the fingerprint");
	int rc = n ? mtk_da_read_buf(da, MTK_REGION_USER, 0, buf, n) : 0;
	if (rc == 0 && !EVP_Digest(buf, n, out, NULL, EVP_sha256(), NULL))
		rc = mtk_fail(da->ctx, MTK_E_IO, "SHA-256 failed");
	free(buf);
	return rc < 0 ? mtk_wrap(da->ctx, rc, "fingerprinting the user area") : 0;
}

static bool any_nonzero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return true;
	return false;
}

static void lower_copy(char *out, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* The first identity the device gave, tagged so that a CID can never hash
 * like an ME_ID of the same bytes. */
static bool device_identity(const struct mtk_brom_info *b, const struct mtk_da_storage *s, char *tag,
			    const uint8_t **id, size_t *len)
{
	if (s && any_nonzero(s->cid, sizeof s->cid)) {
		*tag = 'C', *id = s->cid, *len = sizeof s->cid;
		return true;
	}
	if (b->have_me_id && any_nonzero(b->me_id, b->me_id_len)) {
		*tag = 'M', *id = b->me_id, *len = b->me_id_len;
		return true;
	}
	if (b->have_soc_id && any_nonzero(b->soc_id, b->soc_id_len)) {
		*tag = 'S', *id = b->soc_id, *len = b->soc_id_len;
		return true;
	}
	return false;
}

int mtk_device_id(mtk_ctx *ctx, const struct mtk_brom_info *brom, const struct mtk_da_storage *storage,
		  char out[MTK_DEVICE_ID_MAX])
{
	char tag;
	const uint8_t *id;
	size_t len;
	if (!device_identity(brom, storage, &tag, &id, &len))
		return mtk_fail(ctx, MTK_E_UNSUPPORTED, "the device reported no ME_ID, SOC_ID or eMMC CID: it "
							 "cannot be told apart from another phone");
	uint8_t head[3] = { (uint8_t)brom->hw_code, (uint8_t)(brom->hw_code >> 8), (uint8_t)tag };
	uint8_t md[32];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int ok = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) && EVP_DigestUpdate(h, head, sizeof head) &&
		 EVP_DigestUpdate(h, id, len) && EVP_DigestFinal_ex(h, md, NULL);
	EVP_MD_CTX_free(h);
	if (!ok)
		return mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
	const struct mtk_chip *chip = brom->chip ? brom->chip : mtk_chip_by_hw_code(brom->hw_code);
	char name[16];
	if (chip)
		lower_copy(name, sizeof name, chip->name);
	else
		snprintf(name, sizeof name, "hw%04x", brom->hw_code);
	char hex[17];
	mtk_hex_encode(hex, md, 8);
	snprintf(out, MTK_DEVICE_ID_MAX, "%.15s-%s", name, hex);
	return 0;
}

int mtk_da_device_id(struct mtk_da *da, char out[MTK_DEVICE_ID_MAX])
{
	return mtk_device_id(da->ctx, &da->brom.info, &da->storage, out);
}

static void record_basics(struct mtk_da *da, struct mtk_session_record *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->port_key, sizeof r->port_key, "%s", mtk_transport_port_key(da->tp));
	snprintf(r->protocol, sizeof r->protocol, "%s", da->ops ? da->ops->name : "legacy");
	snprintf(r->stage, sizeof r->stage, "da2");
	r->started = (int64_t)time(NULL);
	r->brom = da->brom.info;
	r->storage = da->storage;
}

int mtk_session_from_da(struct mtk_da *da, struct mtk_session_record *r)
{
	record_basics(da, r);
	int rc = mtk_da_fingerprint(da, r->fingerprint);
	r->have_fingerprint = rc == 0;
	return rc;
}

static bool is_protocol(const struct mtk_session_record *r, const char *name)
{
	return strcmp(r->protocol, name) == 0 && strcmp(r->stage, "da2") == 0;
}

int mtk_da_from_record(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_session_record *r,
		       struct mtk_da **out)
{
	bool xflash = is_protocol(r, "xflash");
	if (!xflash && !is_protocol(r, "legacy"))
		return mtk_fail(ctx, MTK_E_UNSUPPORTED, "the recorded session is a %s DA at stage %s, which "
							 "mtkflash cannot resume",
				r->protocol, r->stage);
	struct mtk_da *da = mtk_da_alloc(ctx, tp);
	if (!da)
		return MTK_E_NOMEM;
	da->brom.info = r->brom;
	da->storage = r->storage;
	int rc = xflash ? mtk_da_xflash_resume(da) : mtk_da_legacy_resume(da);
	da->brom.info.chip = mtk_chip_by_hw_code(da->brom.info.hw_code);
	if (rc < 0) {
		mtk_da_close(da);
		return rc;
	}
	*out = da;
	return 0;
}

/* ------------------------------------------------------------ reattach */

/* What a record-less xflash DA is resumed from: everything else comes from
 * its storage report (started stays 0: "no record"). */
static void blank_record(const char *protocol, struct mtk_session_record *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->protocol, sizeof r->protocol, "%s", protocol);
	snprintf(r->stage, sizeof r->stage, "da2");
}

static int no_record(mtk_ctx *ctx, struct mtk_transport *tp)
{
	return mtk_fail(ctx, MTK_E_PROTO,
			"a legacy Download Agent is already running on %s, but there is no record of its "
			"session (another tool or another session directory started it), so its storage facts "
			"are unknown and mtkflash will not guess them: run 'mtkflash reboot' to end it (or "
			"power the phone off and on), then run this command again",
			mtk_transport_describe(tp));
}

static int other_phone(mtk_ctx *ctx, const char *dir, struct mtk_da *da, const struct mtk_session_record *r,
		       const char *what)
{
	mtk_session_forget(ctx, dir, r->port_key);
	return mtk_fail(ctx, MTK_E_VERIFY,
			"the DA running on %s is not the recorded phone's: %s (another phone with a DA running, "
			"or its partition table was changed by another tool); the record is removed — run "
			"'mtkflash reboot' to end this DA (or power-cycle the phone), then run the command again",
			mtk_transport_describe(da->tp), what);
}

/* An xflash DA reports the eMMC CID again: a cheaper and stronger check
 * than the sectors, made first. */
static bool cid_differs(const struct mtk_da *da, const struct mtk_session_record *r)
{
	return strcmp(r->protocol, "xflash") == 0 && any_nonzero(r->storage.cid, sizeof r->storage.cid) &&
	       memcmp(r->storage.cid, da->storage.cid, sizeof r->storage.cid) != 0;
}

static int check_same_phone(mtk_ctx *ctx, const char *dir, struct mtk_da *da, const struct mtk_session_record *r)
{
	if (!r->port_key[0] || !r->started) {
		mtk_info(ctx, "attached to an xflash DA that no record describes: its storage facts are the "
			      "DA's own report; its BootROM facts (ME_ID, SOC_ID, mode) are unknown");
		return 0;
	}
	if (cid_differs(da, r))
		return other_phone(ctx, dir, da, r, "its eMMC CID differs from the record's");
	if (!r->have_fingerprint) {
		mtk_warn(ctx, "reattached to the recorded DA without checking it is the same phone: the record "
			      "has no fingerprint (the session was interrupted while it was made)");
		return 0;
	}
	uint8_t now[32];
	int rc = mtk_da_fingerprint(da, now);
	if (rc < 0)
		return rc;
	if (memcmp(now, r->fingerprint, 32) == 0) {
		mtk_info(ctx, "reattached to the running %s DA (no handshake sent); checked: the SHA-256 of the "
			      "user area's first %u bytes matches the record (%s)",
			 r->protocol, MTK_SESSION_FP_BYTES,
			 strcmp(r->protocol, "xflash") == 0 ? "and the eMMC CID the DA reported again; ME_ID is the "
							      "record's"
							    : "ME_ID and CID are the record's: the legacy DA "
							      "cannot report them again");
		return 0;
	}
	return other_phone(ctx, dir, da, r, "the user area's first sectors differ from the record");
}

int mtk_da_reattach(mtk_ctx *ctx, struct mtk_transport *tp, const char *session_dir,
		    const struct mtk_probe_result *probe, struct mtk_da **out)
{
	struct mtk_session_record r;
	int found = session_dir && mtk_transport_port_key(tp)[0] ? mtk_session_load(ctx, session_dir, mtk_transport_port_key(tp), &r) : 0;
	if (found < 0)
		return found;
	if (!found && probe->state != MTK_DEV_DA_XFLASH)
		return no_record(ctx, tp);
	if (!found)
		blank_record("xflash", &r);
	r.storage.usb_speed = probe->usb_speed;
	struct mtk_da *da = NULL;
	int rc = mtk_da_from_record(ctx, tp, &r, &da);
	if (rc == 0)
		rc = check_same_phone(ctx, session_dir, da, &r);
	if (rc < 0) {
		mtk_da_close(da);
		return rc;
	}
	*out = da;
	return 0;
}

/* -------------------------------------------------------------- attach */

static void forget_stale(mtk_ctx *ctx, const char *dir, struct mtk_transport *tp, enum mtk_dev_state s)
{
	struct mtk_session_record r;
	if (!dir || !mtk_transport_port_key(tp)[0] || mtk_session_load(ctx, dir, mtk_transport_port_key(tp), &r) <= 0) {
		mtk_ctx_clear_error(ctx);
		return;
	}
	mtk_info(ctx, "the recorded DA session on %s is gone (the phone was replugged or reset): found %s",
		 mtk_transport_describe(tp), mtk_dev_state_name(s));
	mtk_session_forget(ctx, dir, mtk_transport_port_key(tp));
	mtk_ctx_clear_error(ctx);
}

/* A record that cannot be written costs the next command its reattach (it
 * will ask for 'mtkflash reboot'), not this command its work: a warning.
 * A DA that fails the fingerprint read is a failure. */
static int save_record(struct mtk_da *da, const char *dir, bool with_fingerprint)
{
	if (!dir || !mtk_transport_port_key(da->tp)[0])
		return 0;
	struct mtk_session_record r;
	/* Without: before the speed switch, so that should the phone not come
	 * back, the next run still knows a DA runs there. */
	int rc = with_fingerprint ? mtk_session_from_da(da, &r) : (record_basics(da, &r), 0);
	if (rc < 0)
		return rc;
	if (mtk_session_save(da->ctx, dir, &r) < 0) {
		mtk_warn(da->ctx, "%s: the next command cannot reattach to this DA and will ask for 'mtkflash reboot'",
			 mtk_ctx_error(da->ctx));
		mtk_ctx_clear_error(da->ctx);
	}
	return 0;
}

static int connect_fresh(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file,
			 const char *file_name, const struct mtk_da_emi *emi, const struct mtk_attach_opts *o,
			 bool in_loop, struct mtk_da **out)
{
	struct mtk_da *da = NULL;
	int rc = mtk_da_connect_auth(ctx, tp, file, file_name, emi, o->auth, in_loop, &da);
	if (rc < 0)
		return rc;
	rc = save_record(da, o->session_dir, false);
	if (rc == 0 && da->storage.usb_speed == 0 && o->speed_switch)
		rc = mtk_da_speed_switch(da, o->reopen_wait_ms);
	else if (rc == 0 && da->storage.usb_speed == 0)
		mtk_warn(ctx, "staying at USB full speed (12 Mbit/s) as asked: transfers will run at ~1 MB/s");
	if (rc == 0)
		rc = save_record(da, o->session_dir, true);
	if (rc < 0) {
		mtk_da_close(da);
		return rc;
	}
	*out = da;
	return 0;
}

/* A DA left at full speed (an earlier run's switch failed, or was declined)
 * gets the switch now, when it is wanted. */
static int reattach_at_speed(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_attach_opts *o,
			     const struct mtk_probe_result *pr, struct mtk_da **out)
{
	struct mtk_da *da = NULL;
	int rc = mtk_da_reattach(ctx, tp, o->session_dir, pr, &da);
	if (rc == 0 && da->storage.usb_speed == 0 && o->speed_switch)
		rc = mtk_da_speed_switch(da, o->reopen_wait_ms);
	if (rc < 0) {
		mtk_da_close(da);
		return rc;
	}
	*out = da;
	return 0;
}

int mtk_da_attach(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file, const char *file_name,
		  const struct mtk_da_emi *emi, const struct mtk_attach_opts *opts, struct mtk_da **out,
		  enum mtk_attach_how *how)
{
	struct mtk_probe_result pr;
	*out = NULL;
	int rc = mtk_probe_port(ctx, tp, opts->session_dir, &pr);
	if (rc < 0)
		return rc;
	switch (pr.state) {
	case MTK_DEV_DA_LEGACY:
	case MTK_DEV_DA_XFLASH:
		*how = MTK_ATTACH_REATTACHED;
		return reattach_at_speed(ctx, tp, opts, &pr, out);
	case MTK_DEV_OTHER: {
		char hex[2 * sizeof pr.raw + 1];
		mtk_hex_encode(hex, pr.raw, pr.raw_len);
		return mtk_fail(ctx, MTK_E_PROTO,
				"the device on %s answered the probe byte 0x72 with %s, which fits no state a "
				"MediaTek phone has (BootROM, preloader, legacy DA): not sending anything else — "
				"unplug it, power it off and plug it in again",
				mtk_transport_describe(tp), hex);
	}
	default:
		break;
	}
	forget_stale(ctx, opts->session_dir, tp, pr.state);
	*how = MTK_ATTACH_CONNECTED;
	if (!file)
		return mtk_fail(ctx, MTK_E_NOTFOUND,
				"the phone runs no Download Agent yet (found %s) and no DA file was given to start one",
				mtk_dev_state_name(pr.state));
	return connect_fresh(ctx, tp, file, file_name, emi, opts, pr.state == MTK_DEV_CMD_LOOP, out);
}

/* ----------------------------------------------------------------- end */

/* --after's FINISH mode word (da-legacy.md §4.9: 0 normal, 1 "home screen",
 * 2 fastboot).  The reference has no power-off mode: SP Flash Tool's header
 * names mode 1 "enter charging" (da-xflash.md §3.6), the state a phone on a
 * cable shows when it is off, so poweroff sends 1 [inferred].  Whether the
 * phone then powers down or boots is its own decision. */
static const struct {
	const char *name;
	int finish_mode; /* -1: no FINISH */
} after_modes[] = {
	[MTK_AFTER_STAY] = { "stay", -1 },
	[MTK_AFTER_REBOOT] = { "reboot", MTK_FINISH_NORMAL },
	[MTK_AFTER_POWEROFF] = { "poweroff", MTK_FINISH_HOME },
};

int mtk_da_after_parse(const char *s)
{
	for (size_t i = 0; i < sizeof after_modes / sizeof after_modes[0]; i++)
		if (s && strcmp(s, after_modes[i].name) == 0)
			return (int)i;
	return -1;
}

const char *mtk_da_after_name(enum mtk_da_after a)
{
	return (unsigned)a < sizeof after_modes / sizeof after_modes[0] ? after_modes[a].name : "?";
}

int mtk_da_end(struct mtk_da *da, const char *session_dir, enum mtk_da_after after)
{
	if ((unsigned)after >= sizeof after_modes / sizeof after_modes[0])
		return mtk_fail(da->ctx, MTK_E_INVAL, "unknown --after mode %d", (int)after);
	int mode = after_modes[after].finish_mode;
	if (mode < 0)
		return save_record(da, session_dir, true);
	int rc = mtk_da_finish(da, (enum mtk_da_finish_mode)mode);
	if (rc < 0)
		return mtk_wrap(da->ctx, rc, "ending the DA session (%s)", after_modes[after].name);
	mtk_info(da->ctx, "sent FINISH (mode %d, %s): the DA has ended and the phone restarts per its boot "
			  "settings",
		 mode, after_modes[after].name);
	if (session_dir && mtk_transport_port_key(da->tp)[0])
		return mtk_session_forget(da->ctx, session_dir, mtk_transport_port_key(da->tp));
	return 0;
}
