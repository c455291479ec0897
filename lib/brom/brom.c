/* SPDX-License-Identifier: MIT */
/* BootROM / preloader download protocol, host side.
 * Wire facts: brom-protocol.md §0 (big-endian, echoes, u16 status),
 * §2 (handshake), §3 (commands), §6.2 (the identify sequence). */
#include "mtkflash/brom.h"
#include "mtkflash/status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/ctx.h"

enum {
	CMD_READ32 = 0xD1,
	CMD_WRITE16 = 0xD2,
	CMD_WRITE32 = 0xD4,
	CMD_JUMP_DA = 0xD5,
	CMD_SEND_DA = 0xD7,
	CMD_GET_TARGET_CONFIG = 0xD8,
	CMD_SEND_CERT = 0xE0,
	CMD_GET_ME_ID = 0xE1,
	CMD_SEND_AUTH = 0xE2,
	CMD_GET_SOC_ID = 0xE7,
	CMD_GET_HW_SW_VER = 0xFC,
	CMD_GET_HW_CODE = 0xFD,
	CMD_GET_BL_VER = 0xFE,
	CMD_GET_VERSION = 0xFF,
};

#define BL_VER_BROM 0xFE       /* the BROM just echoes GET_BL_VER */
#define BL_VER_MAX 0x3F        /* anything above is not a plausible preloader version */
#define BL_VER_LISTED 3        /* the highest version brom-protocol.md §3.4 documents */
#define BL_VER_WITH_IDS 3      /* preloaders from v3 on answer GET_ME_ID / GET_SOC_ID */
#define STATUS_OK 0x0000
#define STATUS_TOLERATED_MAX 0x00FF /* mtkclient's success test, status <= 0xFF (§4.1) */
#define STATUS_WRITE1_TOLERATED_MAX 0x0003 /* ... and for WRITE16/WRITE32 status1, <= 3 */
#define STATUS_BROM_WRITE_OK 0x0001 /* the BROM's success value for WRITE16/WRITE32 (§3.10) */
#define STATUS_NO_AUTH_NEEDED 0x1D0C
#define ID_MAX_LEN 64          /* ME_ID is 16 bytes, SOC_ID 32: longer answers are garbage */
#define MEM_MAX_WORDS 0x10000u /* one READ32/WRITE32: 256 KiB is far more than any real use */
#define SOC_ID_MIN_LEN 16      /* shorter SOC_IDs are placeholders (§3.7) */

/* §5.1: chips missing from the table get the common TOPRGU watchdog. */
#define DEFAULT_WDT_ADDR 0x10007000u
#define DEFAULT_WDT_VALUE 0x22000064u

/* ---- byte-level helpers ------------------------------------------------ */

static int send_bytes(struct mtk_brom *b, const uint8_t *buf, size_t len, const char *name, const char *what)
{
	int rc = mtk_tp_write(b->tp, buf, len, MTK_BROM_CMD_TIMEOUT_MS);
	return rc < 0 ? mtk_wrap(b->ctx, rc, "%s: sending %s", name, what) : 0;
}

static int recv_bytes(struct mtk_brom *b, uint8_t *buf, size_t len, int timeout_ms, const char *name,
		      const char *what)
{
	int rc = mtk_tp_read_exact(b->tp, buf, len, timeout_ms);
	return rc < 0 ? mtk_wrap(b->ctx, rc, "%s: waiting for %s", name, what) : 0;
}

static int recv_u16(struct mtk_brom *b, uint16_t *v, int timeout_ms, const char *name, const char *what)
{
	uint8_t p[2];
	int rc = recv_bytes(b, p, 2, timeout_ms, name, what);
	if (rc == 0)
		*v = mtk_get_u16be(p);
	return rc;
}

static int recv_u32(struct mtk_brom *b, uint32_t *v, const char *name, const char *what)
{
	uint8_t p[4];
	int rc = recv_bytes(b, p, 4, MTK_BROM_CMD_TIMEOUT_MS, name, what);
	if (rc == 0)
		*v = mtk_get_u32be(p);
	return rc;
}

/* Write the command byte and expect it echoed (§3.1). */
static int cmd_echo(struct mtk_brom *b, uint8_t cmd, const char *name)
{
	uint8_t got;
	int rc = send_bytes(b, &cmd, 1, name, "the command");
	if (rc == 0)
		rc = recv_bytes(b, &got, 1, MTK_BROM_CMD_TIMEOUT_MS, name, "the command echo");
	if (rc < 0)
		return rc;
	if (got != cmd)
		return mtk_fail(b->ctx, MTK_E_PROTO,
				"%s: expected the echo 0x%02x, got 0x%02x (the device is out of step; "
				"reconnect it and try again)",
				name, cmd, got);
	return 0;
}

/* Send a 2- or 4-byte big-endian parameter and expect the same bytes back. */
static int send_echo(struct mtk_brom *b, const char *name, const char *field, uint32_t v, size_t width)
{
	uint8_t out[4], in[4];
	if (width == 2)
		mtk_put_u16be(out, (uint16_t)v);
	else
		mtk_put_u32be(out, v);
	int rc = send_bytes(b, out, width, name, field);
	if (rc == 0)
		rc = recv_bytes(b, in, width, MTK_BROM_CMD_TIMEOUT_MS, name, field);
	if (rc < 0)
		return rc;
	if (memcmp(in, out, width) != 0) {
		uint32_t got = width == 2 ? mtk_get_u16be(in) : mtk_get_u32be(in);
		return mtk_fail(b->ctx, MTK_E_PROTO, "%s: sent %s 0x%0*x, the device echoed 0x%0*x", name, field,
				(int)width * 2, v, (int)width * 2, got);
	}
	return 0;
}

static int send_u32_echo(struct mtk_brom *b, const char *name, const char *field, uint32_t v)
{
	return send_echo(b, name, field, v, 4);
}

/* ---- status words ------------------------------------------------------ */

/* The preloader's memory commands reuse 0x1000/0x1001 for region checks,
 * which the §4.2 table names after crypto errors (§4.1). */
static const char *status_name_in(uint16_t st, bool mem_cmd)
{
	if (mem_cmd && st == 0x1000)
		return "READ_REGION_CHK_FAIL";
	if (mem_cmd && st == 0x1001)
		return "WRITE_REGION_CHK_FAIL";
	const char *n = mtk_brom_status_name(st);
	return n ? n : "unknown status";
}

static int status_error(struct mtk_brom *b, const char *name, uint16_t st, bool mem_cmd)
{
	const char *hint = mtk_brom_status_hint(st);
	int code = mtk_brom_status_is_security(st) ? MTK_E_SECURITY : MTK_E_STATUS;
	char tail[256] = "";
	if (hint) {
		char clause[240];
		mtk_status_clause(hint, clause, sizeof clause);
		snprintf(tail, sizeof tail, " — %s", clause);
	}
	mtk_fail(b->ctx, code, "%s refused: 0x%04x %s%s", name, st, status_name_in(st, mem_cmd), tail);
	if (!(mem_cmd && (st == 0x1000 || st == 0x1001)))
		mtk_ctx_set_error_status(b->ctx, mtk_brom_status_name(st));
	return code;
}

/* Read a status word; success is 0x0000, and for writes also the BROM's 0x0001. */
static int expect_status(struct mtk_brom *b, const char *name, const char *what, int timeout_ms, bool write_cmd,
			 bool mem_cmd)
{
	uint16_t st = 0;
	int rc = recv_u16(b, &st, timeout_ms, name, what);
	if (rc < 0)
		return rc;
	if (st == STATUS_OK || (write_cmd && st == STATUS_BROM_WRITE_OK))
		return 0;
	return status_error(b, name, st, mem_cmd);
}

static int expect_ok(struct mtk_brom *b, const char *name)
{
	return expect_status(b, name, "the status", MTK_BROM_CMD_TIMEOUT_MS, false, false);
}

/* ---- handshake (§2, §2.2a, §2.6) --------------------------------------- */

static const uint8_t sync_seq[4] = { 0xA0, 0x0A, 0x50, 0x05 };

/* §2.6 rule 2: resend A0 every 10-50 ms until 5F comes back.  A device that
 * stays silent longer gets longer waits (a loaded host or emulator), so late
 * answers do not keep crossing our next A0. */
#define HS_A0_WINDOW_MS 40
#define HS_A0_SLOW_WINDOW_MS 200
/* Quiet gap that ends one answer: the rest of a READY banner or a late 5F
 * arrives well within it. */
#define HS_QUIET_MS 5
/* 0A, 50, 05 must all be answered within the preloader's 300 ms window
 * measured from its swallowed A0 (§2.2a). */
#define HS_BYTE_TIMEOUT_MS 150
#define HS_MAX_MISMATCHES 64
/* A0 echoed this often, and never a 5F: the device is in its command loop. */
#define HS_ECHOES_FOR_LOOP 3
/* After this many unanswered A0s, try 0A once: a newer preloader that is
 * part-way through (i > 0) swallows every further A0 (§2.2). */
#define HS_SILENT_BEFORE_0A 2

struct hs_state {
	int attempts, mismatches, silent, echoes, banners;
	bool heard;        /* any byte at all came back */
	uint8_t sent, got; /* the last wrong answer */
};

/* Everything the device sends in answer to one byte: the first byte within
 * window_ms, then whatever follows without a quiet gap. */
static int hs_collect(struct mtk_brom *b, uint8_t *buf, size_t cap, int window_ms)
{
	int n = mtk_tp_read_some(b->tp, buf, cap, window_ms);
	if (n <= 0)
		return n;
	size_t got = (size_t)n;
	while (got < cap) {
		int m = mtk_tp_read_some(b->tp, buf + got, cap - got, HS_QUIET_MS);
		if (m == MTK_E_TIMEOUT)
			break;
		if (m < 0)
			return m;
		got += (size_t)m;
	}
	return (int)got;
}

static bool has_banner(const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++)
		if (memcmp(buf + i, "READY", 5) == 0)
			return true;
	return false;
}

static bool all_bytes(const uint8_t *buf, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != v)
			return false;
	return n > 0;
}

enum hs_step { HS_SYNCED, HS_RETRY, HS_ECHOING };

/* Classify the answer to one start byte c.  Only the last byte counts:
 * READY banners queued before it, and late answers to earlier A0s, are
 * skipped (§2.2a, §2.6). */
static enum hs_step hs_judge(struct hs_state *st, uint8_t c, const uint8_t *buf, int n)
{
	if (n <= 0) {
		st->silent++;
		return HS_RETRY;
	}
	st->heard = true;
	st->silent = 0;
	uint8_t last = buf[n - 1];
	uint8_t want = (uint8_t)(0xFFu ^ c);
	if (last == want)
		return HS_SYNCED;
	if (has_banner(buf, (size_t)n)) {
		st->banners++;
		return HS_RETRY;
	}
	st->sent = c;
	st->got = last;
	if (c == sync_seq[0] && all_bytes(buf, (size_t)n, c))
		return ++st->echoes >= HS_ECHOES_FOR_LOOP ? HS_ECHOING : HS_RETRY;
	st->mismatches++;
	return HS_RETRY;
}

static const char *hs_got_hint(const struct hs_state *st)
{
	if (st->got == st->sent)
		return "the port echoes what we send (a loopback, or a modem with echo on) — "
		       "is this a MediaTek BootROM/preloader port?";
	if (st->got == (uint8_t)(st->sent + 1))
		return "the device restarted its sequence; it kept losing step with us — unplug it and try again";
	return "is this a MediaTek BootROM/preloader port?";
}

static int hs_failure(struct mtk_brom *b, const struct hs_state *st, long long elapsed)
{
	if (st->banners > 0)
		return mtk_fail(b->ctx, MTK_E_TIMEOUT,
				"handshake: the preloader sent READY %d time%s but never answered the start "
				"command within %lld ms — its listen window closed and it booted on; unplug the "
				"phone, plug it in again and run the command within about 2 s (or hold the "
				"download key so that it waits)",
				st->banners, st->banners == 1 ? "" : "s", elapsed);
	if (st->mismatches > 0) {
		char shown[8] = "";
		if (st->got >= 0x20 && st->got < 0x7F)
			snprintf(shown, sizeof shown, " ('%c')", st->got);
		return mtk_fail(b->ctx, MTK_E_PROTO,
				"handshake: sent 0x%02x, received 0x%02x%s instead of 0x%02x "
				"(%d attempts in %lld ms) — %s",
				st->sent, st->got, shown, (uint8_t)~st->sent, st->attempts, elapsed, hs_got_hint(st));
	}
	if (st->heard)
		return mtk_fail(b->ctx, MTK_E_TIMEOUT,
				"handshake: the device answered part of the start sequence, then went quiet "
				"(%d attempts in %lld ms) — reconnect it and try again",
				st->attempts, elapsed);
	return mtk_fail(b->ctx, MTK_E_TIMEOUT,
			"handshake: nothing answered within %lld ms (%d attempts) — the phone is not in download "
			"mode (BootROM or preloader: power it off, then plug it in, holding volume-down for the "
			"BootROM), this is the wrong port, or the cable is charge-only or loose",
			elapsed, st->attempts);
}

static int hs_send(struct mtk_brom *b, uint8_t c, uint8_t *buf, size_t cap, int window_ms)
{
	int rc = mtk_tp_write(b->tp, &c, 1, HS_BYTE_TIMEOUT_MS);
	if (rc < 0)
		return rc;
	rc = hs_collect(b, buf, cap, window_ms);
	return rc == MTK_E_TIMEOUT ? 0 : rc;
}

/* From sequence index `from` (1 after a 5F) to the end: one byte, one
 * answer each, inside the 300 ms window. */
static int hs_finish(struct mtk_brom *b, int from, struct hs_state *st, enum hs_step *out)
{
	uint8_t buf[64];
	for (int i = from; i < 4; i++) {
		int n = hs_send(b, sync_seq[i], buf, sizeof buf, HS_BYTE_TIMEOUT_MS);
		if (n < 0)
			return n;
		*out = hs_judge(st, sync_seq[i], buf, n);
		if (*out != HS_SYNCED)
			return 0;
	}
	return 0;
}

/* One round: A0 (or, after silence, 0A for a preloader part-way through),
 * then the rest of the sequence once the device answers in step. */
static int hs_round(struct mtk_brom *b, struct hs_state *st, enum hs_step *out)
{
	uint8_t buf[64];
	int from = st->silent >= HS_SILENT_BEFORE_0A && st->silent % HS_SILENT_BEFORE_0A == 0 ? 1 : 0;
	int a0_window = st->silent < 4 ? HS_A0_WINDOW_MS : HS_A0_SLOW_WINDOW_MS;
	int n = hs_send(b, sync_seq[from], buf, sizeof buf, from ? HS_BYTE_TIMEOUT_MS : a0_window);
	if (n < 0)
		return n;
	*out = hs_judge(st, sync_seq[from], buf, n);
	if (*out != HS_SYNCED)
		return 0;
	return hs_finish(b, from + 1, st, out);
}

static int hs_link_lost(struct mtk_brom *b, const struct hs_state *st, int rc)
{
	if (st->banners > 0 && rc == MTK_E_DISCONNECTED)
		return mtk_wrap(b->ctx, rc,
				"handshake: the preloader sent READY, then left download mode (its listen window "
				"closed and it booted on) — replug the phone and run the command within about 2 s");
	return mtk_wrap(b->ctx, rc, "handshake");
}

/* §2.6: drain first; resend A0 until 5F (skipping READY banners and stray
 * bytes; a listening preloader eats the first A0 unanswered); then 0A 50
 * 05.  A device that echoes every A0 is past its handshake: report that
 * (MTK_BROM_HS_ECHO), never try a second handshake on it. */
int mtk_brom_handshake(struct mtk_brom *b, int timeout_ms)
{
	if (timeout_ms < HS_BYTE_TIMEOUT_MS)
		timeout_ms = HS_BYTE_TIMEOUT_MS;
	struct hs_state st = { 0 };
	long long start = mtk_now_ms(b->ctx), deadline = start + timeout_ms;
	/* Fake links that time out at once must not spin: bound the rounds too. */
	int max_rounds = timeout_ms / (HS_A0_WINDOW_MS / 4) + 8;
	mtk_tp_drain(b->tp);
	for (;;) {
		long long now = mtk_now_ms(b->ctx);
		if (now >= deadline || st.attempts >= max_rounds || st.mismatches >= HS_MAX_MISMATCHES)
			return hs_failure(b, &st, now - start);
		st.attempts++;
		enum hs_step step = HS_RETRY;
		int rc = hs_round(b, &st, &step);
		if (rc < 0)
			return hs_link_lost(b, &st, rc);
		if (step == HS_SYNCED) {
			mtk_dbg(b->ctx, "handshake done after %d round%s (%d READY banner%s skipped)", st.attempts,
				st.attempts == 1 ? "" : "s", st.banners, st.banners == 1 ? "" : "s");
			return 0;
		}
		if (step == HS_ECHOING) {
			mtk_info(b->ctx, "the device echoes the start command: it is already in its command loop");
			return MTK_BROM_HS_ECHO;
		}
		mtk_tp_drain(b->tp);
	}
}

/* ---- identification commands (§3.3–§3.8) ------------------------------- */

/* The second word is the status, 0 (§3.3); mtkclient reads it as a
 * provisional hw version and accepts anything, so a device that puts a value
 * there still works with it: warn and go on. */
int mtk_brom_get_hw_code(struct mtk_brom *b, uint16_t *hw_code)
{
	uint16_t word2;
	int rc = cmd_echo(b, CMD_GET_HW_CODE, "GET_HW_CODE");
	if (rc == 0)
		rc = recv_u16(b, hw_code, MTK_BROM_CMD_TIMEOUT_MS, "GET_HW_CODE", "the hw_code");
	if (rc == 0)
		rc = recv_u16(b, &word2, MTK_BROM_CMD_TIMEOUT_MS, "GET_HW_CODE", "the status");
	if (rc == 0 && word2 != STATUS_OK)
		mtk_warn(b->ctx, "GET_HW_CODE: second word 0x%04x instead of status 0 (accepted, as mtkclient does: "
			 "some devices put a version there)", word2);
	return rc;
}

int mtk_brom_get_hw_sw_ver(struct mtk_brom *b, uint16_t *sub, uint16_t *hw, uint16_t *sw)
{
	uint8_t p[6];
	int rc = cmd_echo(b, CMD_GET_HW_SW_VER, "GET_HW_SW_VER");
	if (rc == 0)
		rc = recv_bytes(b, p, sizeof p, MTK_BROM_CMD_TIMEOUT_MS, "GET_HW_SW_VER", "the versions");
	if (rc < 0)
		return rc;
	*sub = mtk_get_u16be(p);
	*hw = mtk_get_u16be(p + 2);
	*sw = mtk_get_u16be(p + 4);
	return expect_ok(b, "GET_HW_SW_VER");
}

/* The BROM echoes 0xFE; a preloader answers its version instead (§3.4):
 * 1..3 are documented.  mtkclient takes any other byte as a preloader
 * version; we do too up to BL_VER_MAX, with a warning, but not above it,
 * where the byte is more likely a DA's or a stale reply than a version. */
int mtk_brom_get_bl_ver(struct mtk_brom *b, uint8_t *ver)
{
	uint8_t c = CMD_GET_BL_VER;
	int rc = send_bytes(b, &c, 1, "GET_BL_VER", "the command");
	if (rc == 0)
		rc = recv_bytes(b, ver, 1, MTK_BROM_CMD_TIMEOUT_MS, "GET_BL_VER", "the answer");
	if (rc < 0)
		return rc;
	if (*ver != BL_VER_BROM && *ver > BL_VER_MAX)
		return mtk_fail(b->ctx, MTK_E_PROTO,
				"GET_BL_VER: unexpected answer 0x%02x (a BootROM echoes 0xfe, a preloader answers "
				"its version 1..3)",
				*ver);
	if (*ver != BL_VER_BROM && (*ver == 0 || *ver > BL_VER_LISTED))
		mtk_warn(b->ctx, "GET_BL_VER: preloader version %u is not one the reference lists (1..3); treating "
			 "the device as a preloader", *ver);
	b->info.bl_ver = *ver;
	b->info.mode = *ver == BL_VER_BROM ? MTK_MODE_BROM : MTK_MODE_PRELOADER;
	return 0;
}

/* The BROM answers its version; a preloader only echoes 0xFF (§3.5). */
int mtk_brom_get_version(struct mtk_brom *b, uint8_t *ver)
{
	uint8_t c = CMD_GET_VERSION;
	int rc = send_bytes(b, &c, 1, "GET_VERSION", "the command");
	return rc < 0 ? rc : recv_bytes(b, ver, 1, MTK_BROM_CMD_TIMEOUT_MS, "GET_VERSION", "the answer");
}

/* A BROM without the command echoes it and says nothing more (§3.23);
 * mtkclient then assumes every flag off, and so do we, saying so.  A status
 * up to 0xFF is success to mtkclient (§4.1): accepted with a warning. */
static int target_config_unsupported(struct mtk_brom *b, uint32_t *cfg, const char *why)
{
	*cfg = 0;
	mtk_warn(b->ctx, "GET_TARGET_CONFIG is not supported by this device (%s): assuming SBC, SLA and DAA off",
		 why);
	return 0;
}

int mtk_brom_get_target_config(struct mtk_brom *b, uint32_t *cfg)
{
	uint8_t c = CMD_GET_TARGET_CONFIG, echo;
	uint16_t st = 0;
	int rc = send_bytes(b, &c, 1, "GET_TARGET_CONFIG", "the command");
	if (rc == 0)
		rc = recv_bytes(b, &echo, 1, MTK_BROM_CMD_TIMEOUT_MS, "GET_TARGET_CONFIG", "the echo");
	if (rc < 0)
		return rc;
	if (echo != c) {
		char why[48];
		snprintf(why, sizeof why, "it answered 0x%02x instead of the echo", echo);
		return target_config_unsupported(b, cfg, why);
	}
	rc = recv_u32(b, cfg, "GET_TARGET_CONFIG", "the configuration");
	if (rc == MTK_E_TIMEOUT)
		return target_config_unsupported(b, cfg, "echo only, no configuration");
	if (rc == 0)
		rc = recv_u16(b, &st, MTK_BROM_CMD_TIMEOUT_MS, "GET_TARGET_CONFIG", "the status");
	if (rc < 0)
		return rc;
	if (st > STATUS_TOLERATED_MAX)
		return status_error(b, "GET_TARGET_CONFIG", st, false);
	if (st != STATUS_OK)
		mtk_warn(b->ctx, "GET_TARGET_CONFIG: status 0x%04x (accepted: below 0x100, as mtkclient does)", st);
	return 0;
}

/* GET_ME_ID / GET_SOC_ID: echo, u32 length, the bytes, status (§3.7). */
static int fetch_id(struct mtk_brom *b, uint8_t cmd, const char *name, uint8_t *out, size_t cap,
		    uint8_t *out_len)
{
	uint8_t tmp[ID_MAX_LEN];
	uint32_t len = 0;
	int rc = cmd_echo(b, cmd, name);
	if (rc == 0)
		rc = recv_u32(b, &len, name, "the length");
	if (rc < 0)
		return rc;
	if (len > ID_MAX_LEN)
		return mtk_fail(b->ctx, MTK_E_PROTO, "%s: the device announced %u bytes (expected %zu)", name, len,
				cap);
	if (len != cap)
		mtk_warn(b->ctx, "%s: the device sent %u bytes, expected %zu", name, len, cap);
	rc = len ? recv_bytes(b, tmp, len, MTK_BROM_CMD_TIMEOUT_MS, name, "the ID") : 0;
	if (rc == 0)
		rc = expect_ok(b, name);
	if (rc < 0)
		return rc;
	size_t n = len < cap ? len : cap;
	memset(out, 0, cap);
	memcpy(out, tmp, n);
	*out_len = (uint8_t)n;
	return 0;
}

/* mtkclient probes GET_BL_VER before each ID command; the golden
 * transcripts (§6.7) include the probe, so do the same. */
static int ids_supported(struct mtk_brom *b, bool *ok)
{
	uint8_t v;
	int rc = mtk_brom_get_bl_ver(b, &v);
	*ok = rc == 0 && (v == BL_VER_BROM || v >= BL_VER_WITH_IDS);
	return rc;
}

static int get_id(struct mtk_brom *b, uint8_t cmd, const char *name, uint8_t *out, size_t cap, uint8_t *out_len)
{
	bool ok;
	int rc = ids_supported(b, &ok);
	if (rc < 0)
		return rc;
	if (!ok)
		return mtk_fail(b->ctx, MTK_E_UNSUPPORTED, "%s: preloader version %u does not have it (needs %d)", name,
				b->info.bl_ver, BL_VER_WITH_IDS);
	return fetch_id(b, cmd, name, out, cap, out_len);
}

int mtk_brom_get_me_id(struct mtk_brom *b, uint8_t me_id[16])
{
	int rc = get_id(b, CMD_GET_ME_ID, "GET_ME_ID", me_id, 16, &b->info.me_id_len);
	if (rc == 0 && me_id != b->info.me_id)
		memcpy(b->info.me_id, me_id, 16);
	b->info.have_me_id = rc == 0;
	return rc;
}

int mtk_brom_get_soc_id(struct mtk_brom *b, uint8_t soc_id[32])
{
	int rc = get_id(b, CMD_GET_SOC_ID, "GET_SOC_ID", soc_id, 32, &b->info.soc_id_len);
	if (rc == 0 && soc_id != b->info.soc_id)
		memcpy(b->info.soc_id, soc_id, 32);
	b->info.have_soc_id = rc == 0 && b->info.soc_id_len >= SOC_ID_MIN_LEN;
	return rc;
}

/* ---- memory commands (§3.9, §3.10) ------------------------------------- */

/* A status word that may be tolerated: 0 (and `quiet_max`) silently, up
 * to `max` with a warning, anything above as the refusal it is. */
static int tolerant_status(struct mtk_brom *b, const char *name, const char *what, uint16_t quiet_max, uint16_t max,
			   uint16_t *out)
{
	uint16_t st = 0;
	int rc = recv_u16(b, &st, MTK_BROM_CMD_TIMEOUT_MS, name, what);
	if (out)
		*out = st;
	if (rc < 0 || st <= quiet_max)
		return rc;
	if (st > max)
		return status_error(b, name, st, true);
	mtk_warn(b->ctx, "%s: %s 0x%04x accepted (mtkclient takes up to 0x%x as success)", name, what, st, max);
	return 0;
}

/* WRITE16/WRITE32 status1: 0 (preloader), 1 (BROM); mtkclient accepts up to 3. */
static int write_status1(struct mtk_brom *b, const char *name)
{
	return tolerant_status(b, name, "the first status", STATUS_BROM_WRITE_OK, STATUS_WRITE1_TOLERATED_MAX, NULL);
}

/* Command, address and count with their echoes, then status1.  After a
 * refusal the device sends nothing more, so neither do we. */
static int mem_cmd_start(struct mtk_brom *b, uint8_t cmd, const char *name, uint32_t addr, uint32_t count,
			 bool write_cmd)
{
	if (count == 0 || count > MEM_MAX_WORDS)
		return mtk_fail(b->ctx, MTK_E_INVAL, "%s: count %u is out of range (1..%u)", name, count,
				MEM_MAX_WORDS);
	int rc = cmd_echo(b, cmd, name);
	if (rc == 0)
		rc = send_u32_echo(b, name, "address", addr);
	if (rc == 0)
		rc = send_u32_echo(b, name, "count", count);
	if (rc == 0)
		rc = write_cmd ? write_status1(b, name) : expect_status(b, name, "the first status",
									  MTK_BROM_CMD_TIMEOUT_MS, false, true);
	return rc;
}

static int mem_status2(struct mtk_brom *b, const char *name, bool write_cmd)
{
	return expect_status(b, name, "the final status", MTK_BROM_CMD_TIMEOUT_MS, write_cmd, true);
}

int mtk_brom_read32(struct mtk_brom *b, uint32_t addr, uint32_t *vals, uint32_t count)
{
	int rc = mem_cmd_start(b, CMD_READ32, "READ32", addr, count, false);
	for (uint32_t i = 0; rc == 0 && i < count; i++)
		rc = recv_u32(b, &vals[i], "READ32", "the data");
	return rc < 0 ? rc : mem_status2(b, "READ32", false);
}

int mtk_brom_write32(struct mtk_brom *b, uint32_t addr, const uint32_t *vals, uint32_t count)
{
	int rc = mem_cmd_start(b, CMD_WRITE32, "WRITE32", addr, count, true);
	for (uint32_t i = 0; rc == 0 && i < count; i++)
		rc = send_echo(b, "WRITE32", "value", vals[i], 4);
	return rc < 0 ? rc : mem_status2(b, "WRITE32", true);
}

int mtk_brom_write16(struct mtk_brom *b, uint32_t addr, const uint16_t *vals, uint32_t count)
{
	int rc = mem_cmd_start(b, CMD_WRITE16, "WRITE16", addr, count, true);
	for (uint32_t i = 0; rc == 0 && i < count; i++)
		rc = send_echo(b, "WRITE16", "value", vals[i], 2);
	return rc < 0 ? rc : mem_status2(b, "WRITE16", true);
}

/* One WRITE32 of the chip's stop value to its watchdog (§3.11), so the
 * device does not reset while the host is still working. */
int mtk_brom_disable_watchdog(struct mtk_brom *b)
{
	const struct mtk_chip *c = b->info.chip;
	uint32_t addr = c ? c->wdt_addr : DEFAULT_WDT_ADDR;
	uint32_t val = c ? c->wdt_value : DEFAULT_WDT_VALUE;
	int rc = mtk_brom_write32(b, addr, &val, 1);
	if (rc < 0)
		return mtk_wrap(b->ctx, rc, "disabling the watchdog at 0x%08x", addr);
	b->info.watchdog_disabled = true;
	return 0;
}

/* ---- uploads (§3.12, §3.16) -------------------------------------------- */

/* Payload in large writes, then the device's checksum and status2.  The
 * device sums what it received, so a mismatch means bytes were lost or
 * changed on the way: a verified tool stops there. */
static int upload(struct mtk_brom *b, const char *name, const char *what, const uint8_t *data, uint32_t len,
		  uint32_t wire_len)
{
	uint16_t chk = 0, dev_chk = 0;
	int odd = -1;
	for (uint32_t off = 0; off < len;) {
		uint32_t n = len - off < MTK_BROM_UPLOAD_CHUNK ? len - off : MTK_BROM_UPLOAD_CHUNK;
		int rc = mtk_tp_write(b->tp, data + off, n, MTK_BROM_VERIFY_TIMEOUT_MS);
		if (rc < 0)
			return mtk_wrap(b->ctx, rc, "%s: sending bytes %u..%u of %u", name, off, off + n, wire_len);
		chk = mtk_xor16_update(chk, &odd, data + off, n);
		off += n;
		mtk_progress(b->ctx, what, off, wire_len);
	}
	if (wire_len > len) {
		static const uint8_t pad = 0;
		int rc = send_bytes(b, &pad, 1, name, "the padding byte");
		if (rc < 0)
			return rc;
		chk = mtk_xor16_update(chk, &odd, &pad, 1);
		mtk_progress(b->ctx, what, wire_len, wire_len);
	}
	if (odd >= 0)
		chk ^= (uint16_t)odd;
	int rc = recv_u16(b, &dev_chk, MTK_BROM_VERIFY_TIMEOUT_MS, name, "the checksum");
	if (rc == 0)
		rc = expect_status(b, name, "the final status", MTK_BROM_VERIFY_TIMEOUT_MS, false, false);
	if (rc < 0)
		return rc;
	if (dev_chk == 0 && chk != 0) {
		/* Some devices do not sum and answer 0; mtkclient only warns on any
		 * mismatch.  A 0 says "not computed", not "bytes changed", so the
		 * upload stands; JUMP_DA still needs the DA to be intact. */
		mtk_warn(b->ctx, "%s: the device answered checksum 0 (not computed); ours is 0x%04x; going on", name,
			 chk);
		return 0;
	}
	if (dev_chk != chk)
		return mtk_fail(b->ctx, MTK_E_VERIFY,
				"%s: the device's checksum of the %u bytes is 0x%04x, ours is 0x%04x — data was "
				"lost or changed on the way",
				name, wire_len, dev_chk, chk);
	return 0;
}

/* Odd payloads get one zero byte appended, as mtkclient does (§3.12). */
static int even_length(struct mtk_brom *b, const char *name, const uint8_t *data, uint32_t len, uint32_t *wire)
{
	if (!data || len == 0)
		return mtk_fail(b->ctx, MTK_E_INVAL, "%s: the payload is empty", name);
	if (len == UINT32_MAX)
		return mtk_fail(b->ctx, MTK_E_RANGE, "%s: the payload is too large", name);
	*wire = len + (len & 1u);
	return 0;
}

/* SEND_DA status1 (§3.12): 0 goes ahead; mtkclient takes anything up to 0xFF
 * as go-ahead too.  0x1D0D (SLA required) is above that: status_error names
 * it as the security refusal it is. */
static int send_da_status1(struct mtk_brom *b)
{
	return tolerant_status(b, "SEND_DA", "the first status", STATUS_OK, STATUS_TOLERATED_MAX, NULL);
}

int mtk_brom_send_da(struct mtk_brom *b, uint32_t addr, const uint8_t *data, uint32_t len, uint32_t sig_len)
{
	uint32_t wire = 0;
	int rc = even_length(b, "SEND_DA", data, len, &wire);
	if (rc == 0 && sig_len > len)
		rc = mtk_fail(b->ctx, MTK_E_INVAL, "SEND_DA: signature length %u exceeds the payload (%u bytes)",
			      sig_len, len);
	if (rc == 0)
		rc = cmd_echo(b, CMD_SEND_DA, "SEND_DA");
	if (rc == 0)
		rc = send_u32_echo(b, "SEND_DA", "address", addr);
	if (rc == 0)
		rc = send_u32_echo(b, "SEND_DA", "length", wire);
	if (rc == 0)
		rc = send_u32_echo(b, "SEND_DA", "signature length", sig_len);
	if (rc == 0)
		rc = send_da_status1(b);
	return rc < 0 ? rc : upload(b, "SEND_DA", "uploading the Download Agent", data, len, wire);
}

int mtk_brom_jump_da(struct mtk_brom *b, uint32_t addr)
{
	int rc = cmd_echo(b, CMD_JUMP_DA, "JUMP_DA");
	if (rc == 0)
		rc = send_u32_echo(b, "JUMP_DA", "address", addr);
	return rc < 0 ? rc : expect_ok(b, "JUMP_DA");
}

/* SEND_CERT / SEND_AUTH: echo, length + echo, status1, data, checksum, status2. */
static int send_blob(struct mtk_brom *b, uint8_t cmd, const char *name, const uint8_t *data, uint32_t len,
		     bool auth)
{
	uint32_t wire = 0;
	uint16_t st = 0;
	int rc = even_length(b, name, data, len, &wire);
	if (rc == 0)
		rc = cmd_echo(b, cmd, name);
	if (rc == 0)
		rc = send_u32_echo(b, name, "length", wire);
	if (rc == 0)
		rc = recv_u16(b, &st, MTK_BROM_CMD_TIMEOUT_MS, name, "the status");
	if (rc < 0)
		return rc;
	if (auth && st == STATUS_NO_AUTH_NEEDED) {
		mtk_info(b->ctx, "%s: the device needs no authentication file", name);
		return 1;
	}
	if (st != STATUS_OK)
		return status_error(b, name, st, false);
	return upload(b, name, auth ? "sending the authentication file" : "sending the certificate", data, len,
		      wire);
}

int mtk_brom_send_cert(struct mtk_brom *b, const uint8_t *data, uint32_t len)
{
	return send_blob(b, CMD_SEND_CERT, "SEND_CERT", data, len, false);
}

int mtk_brom_send_auth(struct mtk_brom *b, const uint8_t *data, uint32_t len)
{
	return send_blob(b, CMD_SEND_AUTH, "SEND_AUTH", data, len, true);
}

/* ---- the identify sequence (§6.2) ------------------------------------- */

static int step_hw_code(struct mtk_brom *b)
{
	int rc = mtk_brom_get_hw_code(b, &b->info.hw_code);
	if (rc < 0)
		return rc;
	b->info.chip = mtk_chip_by_hw_code(b->info.hw_code);
	if (!b->info.chip)
		mtk_warn(b->ctx, "hw_code 0x%04x is not in the chip table; using the common watchdog address 0x%08x",
			 b->info.hw_code, DEFAULT_WDT_ADDR);
	return 0;
}

/* A refused watchdog write (memory write authorization) leaves the link in
 * step, and the device still works, only with its watchdog running. */
static int step_watchdog(struct mtk_brom *b)
{
	int rc = mtk_brom_disable_watchdog(b);
	if (rc != MTK_E_STATUS && rc != MTK_E_SECURITY)
		return rc;
	mtk_warn(b->ctx, "%s; continuing with the watchdog running", mtk_ctx_error(b->ctx));
	mtk_ctx_clear_error(b->ctx);
	return 0;
}

static int step_target_config(struct mtk_brom *b)
{
	return mtk_brom_get_target_config(b, &b->info.target_config);
}

static int step_bl_ver(struct mtk_brom *b)
{
	return mtk_brom_get_bl_ver(b, &b->info.bl_ver);
}

static int step_version(struct mtk_brom *b)
{
	return mtk_brom_get_version(b, &b->info.brom_ver);
}

static int step_hw_sw_ver(struct mtk_brom *b)
{
	struct mtk_brom_info *i = &b->info;
	return mtk_brom_get_hw_sw_ver(b, &i->hw_sub_code, &i->hw_ver, &i->sw_ver);
}

/* Old preloaders (v1, v2) have no IDs: only the probe is sent. */
static int step_me_id(struct mtk_brom *b)
{
	bool ok;
	int rc = ids_supported(b, &ok);
	if (rc < 0 || !ok)
		return rc;
	rc = fetch_id(b, CMD_GET_ME_ID, "GET_ME_ID", b->info.me_id, sizeof b->info.me_id, &b->info.me_id_len);
	b->info.have_me_id = rc == 0;
	return rc;
}

/* Asked only of chips that have one (§6.2 step 9). */
static int step_soc_id(struct mtk_brom *b)
{
	if (!b->info.have_me_id || !b->info.chip || !b->info.chip->socid_addr)
		return 0;
	bool ok;
	int rc = ids_supported(b, &ok);
	if (rc < 0 || !ok)
		return rc;
	rc = fetch_id(b, CMD_GET_SOC_ID, "GET_SOC_ID", b->info.soc_id, sizeof b->info.soc_id,
		      &b->info.soc_id_len);
	b->info.have_soc_id = rc == 0 && b->info.soc_id_len >= SOC_ID_MIN_LEN;
	return rc;
}

static int (*const connect_steps[])(struct mtk_brom *) = {
	step_hw_code, step_watchdog, step_target_config, step_bl_ver,
	step_version, step_hw_sw_ver, step_me_id,        step_soc_id,
};

/* §2.6 table: in the command loop a BROM echoes FE and answers FF with its
 * version; a preloader answers FE with its version and echoes FF.  Both
 * echoed: something that repeats every byte (a loopback, a modem). */
int mtk_brom_probe_command_loop(struct mtk_brom *b)
{
	uint8_t bl = 0, ver = 0, c = CMD_GET_BL_VER;
	int rc = send_bytes(b, &c, 1, "GET_BL_VER", "the probe");
	if (rc == 0)
		rc = recv_bytes(b, &bl, 1, MTK_BROM_CMD_TIMEOUT_MS, "GET_BL_VER", "the probe's answer");
	if (rc == 0 && (rc = send_bytes(b, &(uint8_t){ CMD_GET_VERSION }, 1, "GET_VERSION", "the probe")) == 0)
		rc = recv_bytes(b, &ver, 1, MTK_BROM_CMD_TIMEOUT_MS, "GET_VERSION", "the probe's answer");
	if (rc < 0)
		return mtk_wrap(b->ctx, rc, "probing a device in its command loop");
	if (bl == BL_VER_BROM && ver == CMD_GET_VERSION)
		return mtk_fail(b->ctx, MTK_E_PROTO,
				"the port echoes every byte (FE and FF came back unchanged): a loopback or a "
				"modem with echo on, not a MediaTek BootROM/preloader");
	if (bl != BL_VER_BROM && ver != CMD_GET_VERSION)
		return mtk_fail(b->ctx, MTK_E_PROTO,
				"probing the command loop: FE answered 0x%02x and FF answered 0x%02x, which is "
				"neither a BootROM (FE echoed) nor a preloader (FF echoed)",
				bl, ver);
	mtk_info(b->ctx, "the device is a %s already in its command loop (FE -> 0x%02x, FF -> 0x%02x): "
			 "no second handshake",
		 bl == BL_VER_BROM ? "BootROM" : "preloader", bl, ver);
	return 0;
}

int mtk_brom_identify(struct mtk_brom *b, struct mtk_transport *tp)
{
	b->tp = tp;
	if (!b->ctx)
		b->ctx = mtk_transport_ctx(tp);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof connect_steps / sizeof connect_steps[0]; i++)
		rc = connect_steps[i](b);
	if (rc < 0)
		return rc;
	mtk_dbg(b->ctx, "connected: hw_code 0x%04x (%s), %s mode", b->info.hw_code,
		b->info.chip ? b->info.chip->name : "unknown chip",
		b->info.mode == MTK_MODE_BROM ? "BootROM" : "preloader");
	return 0;
}

int mtk_brom_connect(struct mtk_brom *b, struct mtk_transport *tp, int timeout_ms)
{
	b->tp = tp;
	if (!b->ctx)
		b->ctx = mtk_transport_ctx(tp);
	memset(&b->info, 0, sizeof b->info);
	int rc = mtk_brom_handshake(b, timeout_ms);
	if (rc == MTK_BROM_HS_ECHO)
		rc = mtk_brom_probe_command_loop(b);
	return rc < 0 ? rc : mtk_brom_identify(b, tp);
}
