/* SPDX-License-Identifier: MIT */
/* lib/brom against scripted devices: the exact bytes the host sends for the
 * handshake, every command and the whole identify sequence (brom-protocol.md
 * §6.7 golden transcripts, MT6765), and how it fails when the device does
 * not play along. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtkflash/brom.h"
#include "mtkflash/transport.h"
#include "transport/transport_priv.h" /* white-box: builds transports by hand */

/* ---- the scripted device -------------------------------------------------
 * A script is a list of steps: bytes the host must send (H) and bytes the
 * device answers (D).  Reads while the device has nothing to say time out;
 * a write of anything else than the next expected bytes fails the test.
 * drain_input drops the rest of the device step being read. */

enum step_kind { STEP_HOST, STEP_DEV };

struct step {
	enum step_kind kind;
	uint8_t *bytes;
	size_t len;
};

struct script {
	struct step steps[512];
	size_t n, cur, off;
	bool silent_tail;    /* after the script: accept any write, never answer */
	bool allow_leftover; /* the host may stop before the script ends */
	char failure[512];
	struct mtk_transport tp;
};

static void add_step(struct script *s, enum step_kind kind, const uint8_t *b, size_t len)
{
	assert_true(s->n < sizeof s->steps / sizeof s->steps[0]);
	struct step *st = &s->steps[s->n++];
	st->kind = kind;
	st->bytes = malloc(len ? len : 1);
	assert_non_null(st->bytes);
	memcpy(st->bytes, b, len);
	st->len = len;
}

/* Hex with optional spaces: "fd 0766 0000". */
static void add_hex(struct script *s, enum step_kind kind, const char *hex)
{
	uint8_t buf[256];
	size_t n = 0;
	for (const char *p = hex; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		unsigned v;
		assert_int_equal(sscanf(p, "%2x", &v), 1);
		assert_true(n < sizeof buf);
		buf[n++] = (uint8_t)v;
		p += 2;
	}
	add_step(s, kind, buf, n);
}

#define H(s, hex) add_hex(s, STEP_HOST, hex)
#define D(s, hex) add_hex(s, STEP_DEV, hex)

static void fail_script(struct script *s, const char *fmt, ...)
{
	if (s->failure[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof s->failure, fmt, ap);
	va_end(ap);
}

static struct script *owner(struct mtk_transport *t)
{
	return t->priv;
}

/* Skip finished steps so cur names the step that is due. */
static void settle(struct script *s)
{
	while (s->cur < s->n && s->off == s->steps[s->cur].len) {
		s->cur++;
		s->off = 0;
	}
}

static int fake_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	(void)timeout_ms;
	struct script *s = owner(t);
	settle(s);
	if (s->cur >= s->n || s->steps[s->cur].kind != STEP_DEV)
		return MTK_E_TIMEOUT; /* the device is waiting for us */
	struct step *st = &s->steps[s->cur];
	size_t n = st->len - s->off < len ? st->len - s->off : len;
	memcpy(buf, st->bytes + s->off, n);
	s->off += n;
	return (int)n;
}

static int fake_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	(void)timeout_ms;
	struct script *s = owner(t);
	for (size_t i = 0; i < len; i++) {
		settle(s);
		if (s->cur >= s->n) {
			if (s->silent_tail)
				return 0;
			fail_script(s, "host sent 0x%02x after the end of the script", buf[i]);
			return MTK_E_IO;
		}
		struct step *st = &s->steps[s->cur];
		if (st->kind == STEP_DEV) {
			fail_script(s, "step %zu: host sent 0x%02x while %zu device bytes were unread", s->cur, buf[i],
				    st->len - s->off);
			return MTK_E_IO;
		}
		if (st->bytes[s->off] != buf[i]) {
			fail_script(s, "step %zu byte %zu: host sent 0x%02x, expected 0x%02x", s->cur, s->off, buf[i],
				    st->bytes[s->off]);
			return MTK_E_IO;
		}
		s->off++;
	}
	return 0;
}

static void fake_drain(struct mtk_transport *t)
{
	struct script *s = owner(t);
	settle(s);
	if (s->cur < s->n && s->steps[s->cur].kind == STEP_DEV)
		s->off = s->steps[s->cur].len;
}

static const struct mtk_transport_ops fake_ops = {
	.name = "script",
	.read = fake_read,
	.write = fake_write,
	.drain_input = fake_drain,
};

struct fixture {
	mtk_ctx *ctx;
	struct script *s;
	struct mtk_brom b;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	f->s = calloc(1, sizeof *f->s);
	f->s->tp.ops = &fake_ops;
	f->s->tp.ctx = f->ctx;
	f->s->tp.priv = f->s;
	f->b.tp = &f->s->tp;
	f->b.ctx = f->ctx;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < f->s->n; i++)
		free(f->s->steps[i].bytes);
	free(f->s);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* The host sent exactly the script and read everything the device said. */
static void assert_script_done(struct script *s)
{
	if (s->failure[0])
		fail_msg("%s", s->failure);
	settle(s);
	if (s->cur < s->n && !s->allow_leftover)
		fail_msg("script stopped at step %zu of %zu (%s step, byte %zu)", s->cur, s->n,
			 s->steps[s->cur].kind == STEP_HOST ? "host" : "device", s->off);
}

static void assert_error_has(struct fixture *f, const char *needle)
{
	const char *msg = mtk_ctx_error(f->ctx);
	if (!strstr(msg, needle))
		fail_msg("error message \"%s\" lacks \"%s\"", msg, needle);
}

static void script_handshake(struct script *s)
{
	H(s, "a0");
	D(s, "5f");
	H(s, "0a");
	D(s, "f5");
	H(s, "50");
	D(s, "af");
	H(s, "05");
	D(s, "fa");
}

static void script_identify(struct script *s, bool brom);

/* ---- handshake ---------------------------------------------------------- */

static void test_handshake_clean(void **state)
{
	struct fixture *f = *state;
	script_handshake(f->s);
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), 0);
	assert_script_done(f->s);
}

/* An old preloader's "READY" banner answers the first A0: drained, retried. */
static void test_handshake_garbage_then_sync(void **state)
{
	struct fixture *f = *state;
	H(f->s, "a0");
	D(f->s, "52 45 41 44 59");
	script_handshake(f->s);
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), 0);
	assert_script_done(f->s);
}

/* A device that lost step answers c+1 and resets; the host restarts. */
static void test_handshake_restart_after_mismatch(void **state)
{
	struct fixture *f = *state;
	H(f->s, "a0");
	D(f->s, "5f");
	H(f->s, "0a");
	D(f->s, "0b");
	script_handshake(f->s);
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), 0);
	assert_script_done(f->s);
}

/* A newer preloader part-way through swallows every repeated A0 (§2.2):
 * after two unanswered A0s the host tries 0A. */
static void test_handshake_swallowed_a0(void **state)
{
	struct fixture *f = *state;
	H(f->s, "a0");
	H(f->s, "a0");
	H(f->s, "0a");
	D(f->s, "f5");
	H(f->s, "50");
	D(f->s, "af");
	H(f->s, "05");
	D(f->s, "fa");
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), 0);
	assert_script_done(f->s);
}

/* A listening preloader eats the first A0 without an answer (§2.2a): the
 * host resends it and the second one is answered. */
static void test_handshake_eaten_a0(void **state)
{
	struct fixture *f = *state;
	H(f->s, "a0");
	script_handshake(f->s);
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), 0);
	assert_script_done(f->s);
}

/* READY banners queued before the host's first byte are drained, one that
 * arrives after the (eaten) A0 is skipped, and 0A 50 05 follow the 5F. */
static void test_handshake_ready_banners(void **state)
{
	struct fixture *f = *state;
	D(f->s, "52 45 41 44 59 52 45 41 44 59");
	H(f->s, "a0");
	D(f->s, "52 45 41 44 59");
	H(f->s, "a0");
	D(f->s, "52 45 41 44 59 5f");
	H(f->s, "0a");
	D(f->s, "f5");
	H(f->s, "50");
	D(f->s, "af");
	H(f->s, "05");
	D(f->s, "fa");
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), 0);
	assert_script_done(f->s);
}

/* The preloader keeps sending READY but never answers, then goes quiet:
 * its listen window closed (§2.2a).  The message says what to do. */
static void test_handshake_listen_window_closes(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 3; i++) {
		H(f->s, "a0");
		D(f->s, "52 45 41 44 59");
	}
	f->s->silent_tail = true;
	assert_int_equal(mtk_brom_handshake(&f->b, 400), MTK_E_TIMEOUT);
	assert_script_done(f->s);
	assert_error_has(f, "listen window closed");
	assert_error_has(f, "within about 2 s");
}

/* Three A0s echoed: what a device in its command loop answers. */
static void script_echoed_a0(struct script *s)
{
	for (int i = 0; i < 3; i++) {
		H(s, "a0");
		D(s, "a0");
	}
}

/* A device already in its command loop echoes every A0 (§2.6): the host
 * stops after three and says so, it never completes a second handshake. */
static void test_handshake_echoed_a0(void **state)
{
	struct fixture *f = *state;
	script_echoed_a0(f->s);
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), MTK_BROM_HS_ECHO);
	assert_script_done(f->s);
}

/* connect on such a device: the FE/FF probe, then the identify sequence. */
static void test_connect_on_open_session(void **state)
{
	struct fixture *f = *state;
	script_echoed_a0(f->s);
	H(f->s, "fe");
	D(f->s, "03");
	H(f->s, "ff");
	D(f->s, "ff");
	script_identify(f->s, false);
	assert_int_equal(mtk_brom_connect(&f->b, &f->s->tp, 1000), 0);
	assert_int_equal(f->b.info.mode, MTK_MODE_PRELOADER);
	assert_script_done(f->s);
}

/* A port that echoes everything is not taken for a device in its loop. */
static void test_connect_on_loopback(void **state)
{
	struct fixture *f = *state;
	script_echoed_a0(f->s);
	H(f->s, "fe");
	D(f->s, "fe");
	H(f->s, "ff");
	D(f->s, "ff");
	assert_int_equal(mtk_brom_connect(&f->b, &f->s->tp, 1000), MTK_E_PROTO);
	assert_error_has(f, "echoes every byte");
	assert_script_done(f->s);
}

static void test_handshake_garbage_forever(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 100; i++) {
		H(f->s, "a0");
		D(f->s, "41");
	}
	f->s->allow_leftover = true;
	assert_int_equal(mtk_brom_handshake(&f->b, 300), MTK_E_PROTO);
	assert_script_done(f->s);
	assert_error_has(f, "handshake: sent 0xa0, received 0x41 ('A')");
	assert_error_has(f, "MediaTek BootROM/preloader port");
}

static void test_handshake_silent(void **state)
{
	struct fixture *f = *state;
	f->s->silent_tail = true;
	assert_int_equal(mtk_brom_handshake(&f->b, 1000), MTK_E_TIMEOUT);
	assert_script_done(f->s);
	assert_error_has(f, "nothing answered");
	assert_error_has(f, "download mode");
	assert_error_has(f, "cable");
}

/* ---- single commands ---------------------------------------------------- */

static void test_get_hw_code(void **state)
{
	struct fixture *f = *state;
	H(f->s, "fd");
	D(f->s, "fd 0766 0000");
	uint16_t hw = 0;
	assert_int_equal(mtk_brom_get_hw_code(&f->b, &hw), 0);
	assert_int_equal(hw, 0x0766);
	assert_script_done(f->s);
}

static void test_get_hw_code_bad_echo(void **state)
{
	struct fixture *f = *state;
	H(f->s, "fd");
	D(f->s, "fc");
	uint16_t hw;
	assert_int_equal(mtk_brom_get_hw_code(&f->b, &hw), MTK_E_PROTO);
	assert_script_done(f->s);
	assert_error_has(f, "GET_HW_CODE: expected the echo 0xfd, got 0xfc");
}

static void test_get_hw_code_silent(void **state)
{
	struct fixture *f = *state;
	H(f->s, "fd");
	D(f->s, "fd 07");
	uint16_t hw;
	assert_int_equal(mtk_brom_get_hw_code(&f->b, &hw), MTK_E_TIMEOUT);
	assert_script_done(f->s);
	assert_error_has(f, "GET_HW_CODE: waiting for the hw_code");
}

static void test_get_hw_sw_ver(void **state)
{
	struct fixture *f = *state;
	H(f->s, "fc");
	D(f->s, "fc 8a00 ca00 0001 0000");
	uint16_t sub, hw, sw;
	assert_int_equal(mtk_brom_get_hw_sw_ver(&f->b, &sub, &hw, &sw), 0);
	assert_int_equal(sub, 0x8A00);
	assert_int_equal(hw, 0xCA00);
	assert_int_equal(sw, 0x0001);
	assert_script_done(f->s);
}

static void test_get_bl_ver_and_version(void **state)
{
	struct fixture *f = *state;
	uint8_t v;
	H(f->s, "fe");
	D(f->s, "fe");
	H(f->s, "ff");
	D(f->s, "05");
	H(f->s, "fe");
	D(f->s, "03");
	H(f->s, "fe");
	D(f->s, "5a");
	assert_int_equal(mtk_brom_get_bl_ver(&f->b, &v), 0);
	assert_int_equal(v, 0xFE);
	assert_int_equal(f->b.info.mode, MTK_MODE_BROM);
	assert_int_equal(mtk_brom_get_version(&f->b, &v), 0);
	assert_int_equal(v, 0x05);
	assert_int_equal(mtk_brom_get_bl_ver(&f->b, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(f->b.info.mode, MTK_MODE_PRELOADER);
	assert_int_equal(mtk_brom_get_bl_ver(&f->b, &v), MTK_E_PROTO);
	assert_script_done(f->s);
}

static void test_get_target_config(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d8");
	D(f->s, "d8 000000e5 0000");
	uint32_t cfg = 0;
	assert_int_equal(mtk_brom_get_target_config(&f->b, &cfg), 0);
	assert_int_equal(cfg, 0xE5);
	assert_script_done(f->s);
}

static void test_get_me_id_and_soc_id(void **state)
{
	struct fixture *f = *state;
	H(f->s, "fe");
	D(f->s, "fe");
	H(f->s, "e1");
	D(f->s, "e1 00000010 f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff 0000");
	H(f->s, "fe");
	D(f->s, "03");
	H(f->s, "e7");
	D(f->s, "e7 00000020 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 0000");
	uint8_t me[16], soc[32];
	assert_int_equal(mtk_brom_get_me_id(&f->b, me), 0);
	assert_int_equal(me[0], 0xF0);
	assert_int_equal(me[15], 0xFF);
	assert_true(f->b.info.have_me_id);
	assert_int_equal(mtk_brom_get_soc_id(&f->b, soc), 0);
	assert_int_equal(soc[31], 0x1F);
	assert_true(f->b.info.have_soc_id);
	assert_int_equal(f->b.info.soc_id_len, 32);
	assert_script_done(f->s);
}

/* Old preloaders (v1, v2) get only the GET_BL_VER probe. */
static void test_get_me_id_old_preloader(void **state)
{
	struct fixture *f = *state;
	H(f->s, "fe");
	D(f->s, "02");
	uint8_t me[16];
	assert_int_equal(mtk_brom_get_me_id(&f->b, me), MTK_E_UNSUPPORTED);
	assert_false(f->b.info.have_me_id);
	assert_script_done(f->s);
}

static void test_get_me_id_bad_status(void **state)
{
	struct fixture *f = *state;
	H(f->s, "fe");
	D(f->s, "fe");
	H(f->s, "e1");
	D(f->s, "e1 00000010 00000000000000000000000000000000 178f");
	uint8_t me[16];
	assert_int_equal(mtk_brom_get_me_id(&f->b, me), MTK_E_SECURITY);
	assert_error_has(f, "GET_ME_ID refused: 0x178f S_SECURITY_GET_ME_ID_FAIL");
	assert_string_equal(mtk_ctx_error_status(f->ctx), "S_SECURITY_GET_ME_ID_FAIL");
	assert_script_done(f->s);
}

static void test_read32(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d1");
	D(f->s, "d1");
	H(f->s, "10007000");
	D(f->s, "10007000");
	H(f->s, "00000002");
	D(f->s, "00000002 0000 22000064 deadbeef 0000");
	uint32_t v[2];
	assert_int_equal(mtk_brom_read32(&f->b, 0x10007000, v, 2), 0);
	assert_int_equal(v[0], 0x22000064);
	assert_int_equal(v[1], 0xDEADBEEF);
	assert_script_done(f->s);
}

/* A refused read ends after one status word: no data phase is read. */
static void test_read32_refused(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d1");
	D(f->s, "d1");
	H(f->s, "00000000");
	D(f->s, "00000000");
	H(f->s, "00000001");
	D(f->s, "00000001 1d02");
	uint32_t v;
	assert_int_equal(mtk_brom_read32(&f->b, 0, &v, 1), MTK_E_STATUS);
	assert_error_has(f, "READ32 refused: 0x1d02 INVALID_ADDRESS");
	assert_script_done(f->s);
}

/* The preloader's region check reuses 0x1000, named for what it means here. */
static void test_read32_preloader_region_check(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d1");
	D(f->s, "d1");
	H(f->s, "00100000");
	D(f->s, "00100000");
	H(f->s, "00000001");
	D(f->s, "00000001 1000");
	uint32_t v;
	assert_int_equal(mtk_brom_read32(&f->b, 0x100000, &v, 1), MTK_E_STATUS);
	assert_error_has(f, "0x1000 READ_REGION_CHK_FAIL");
	assert_script_done(f->s);
}

static void test_read32_bad_address_echo(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d1");
	D(f->s, "d1");
	H(f->s, "10007000");
	D(f->s, "10007001");
	uint32_t v;
	assert_int_equal(mtk_brom_read32(&f->b, 0x10007000, &v, 1), MTK_E_PROTO);
	assert_error_has(f, "READ32: sent address 0x10007000, the device echoed 0x10007001");
	assert_script_done(f->s);
}

/* WRITE32 in BROM mode: 0x0001 is the success status (§3.10). */
static void test_write32_brom_status(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d4");
	D(f->s, "d4");
	H(f->s, "10007000");
	D(f->s, "10007000");
	H(f->s, "00000002");
	D(f->s, "00000002 0001");
	H(f->s, "22000064");
	D(f->s, "22000064");
	H(f->s, "00000000");
	D(f->s, "00000000 0001");
	static const uint32_t v[2] = { 0x22000064, 0 };
	assert_int_equal(mtk_brom_write32(&f->b, 0x10007000, v, 2), 0);
	assert_script_done(f->s);
}

static void test_write32_preloader_status(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d4");
	D(f->s, "d4");
	H(f->s, "10007000");
	D(f->s, "10007000");
	H(f->s, "00000001");
	D(f->s, "00000001 0000");
	H(f->s, "22000064");
	D(f->s, "22000064 0000");
	static const uint32_t v = 0x22000064;
	assert_int_equal(mtk_brom_write32(&f->b, 0x10007000, &v, 1), 0);
	assert_script_done(f->s);
}

static void test_write32_bad_value_echo(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d4");
	D(f->s, "d4");
	H(f->s, "10007000");
	D(f->s, "10007000");
	H(f->s, "00000001");
	D(f->s, "00000001 0001");
	H(f->s, "22000064");
	D(f->s, "22000000");
	static const uint32_t v = 0x22000064;
	assert_int_equal(mtk_brom_write32(&f->b, 0x10007000, &v, 1), MTK_E_PROTO);
	assert_error_has(f, "WRITE32: sent value 0x22000064, the device echoed 0x22000000");
	assert_script_done(f->s);
}

static void test_write16(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d2");
	D(f->s, "d2");
	H(f->s, "c0000000");
	D(f->s, "c0000000");
	H(f->s, "00000001");
	D(f->s, "00000001 0001");
	H(f->s, "2264");
	D(f->s, "2264 0001");
	static const uint16_t v = 0x2264;
	assert_int_equal(mtk_brom_write16(&f->b, 0xC0000000, &v, 1), 0);
	assert_script_done(f->s);
}

static void test_write_count_zero_rejected(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;
	assert_int_equal(mtk_brom_write32(&f->b, 0x10007000, &v, 0), MTK_E_INVAL);
	assert_script_done(f->s); /* nothing sent */
}

/* The watchdog address and value come from the chip table (§3.11). */
static void test_disable_watchdog_per_chip(void **state)
{
	struct fixture *f = *state;
	f->b.info.chip = mtk_chip_by_name("MT6737");
	H(f->s, "d4");
	D(f->s, "d4");
	H(f->s, "10212000");
	D(f->s, "10212000");
	H(f->s, "00000001");
	D(f->s, "00000001 0000");
	H(f->s, "22000000");
	D(f->s, "22000000 0000");
	assert_int_equal(mtk_brom_disable_watchdog(&f->b), 0);
	assert_true(f->b.info.watchdog_disabled);
	assert_script_done(f->s);
}

/* ---- SEND_DA / JUMP_DA -------------------------------------------------- */

#define DA_LEN 0x500
#define DA_CHECKSUM "a123" /* XOR-16 of the LCG bytes below, worked out by hand in test_brom.c */

static void fill_lcg(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static void script_send_da_header(struct script *s, const char *len_hex)
{
	H(s, "d7");
	D(s, "d7");
	H(s, "00200000");
	D(s, "00200000");
	H(s, len_hex);
	D(s, len_hex);
	H(s, "00000100");
	D(s, "00000100");
}

static void test_send_da(void **state)
{
	struct fixture *f = *state;
	uint8_t da[DA_LEN];
	fill_lcg(da, sizeof da, 0x6765);
	script_send_da_header(f->s, "00000500");
	D(f->s, "0000");
	add_step(f->s, STEP_HOST, da, sizeof da);
	D(f->s, DA_CHECKSUM " 0000");
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 0x100), 0);
	assert_script_done(f->s);
}

static void test_send_da_odd_length_padded(void **state)
{
	struct fixture *f = *state;
	static const uint8_t da[5] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
	H(f->s, "d7");
	D(f->s, "d7");
	H(f->s, "00200000");
	D(f->s, "00200000");
	H(f->s, "00000006");
	D(f->s, "00000006");
	H(f->s, "00000000");
	D(f->s, "00000000 0000");
	H(f->s, "11 22 33 44 55 00");
	D(f->s, "6677 0000");
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 0), 0);
	assert_script_done(f->s);
}

/* ---- replies mtkclient accepts (issue 7 item 5): accepted with a warning ---- */

static void keep_warning(void *user, enum mtk_log_level level, const char *msg)
{
	if (level == MTK_LOG_WARN)
		snprintf(user, 256, "%s", msg);
}

static void warn_into(struct fixture *f, char warned[256])
{
	warned[0] = '\0';
	mtk_ctx_set_log(f->ctx, keep_warning, warned, MTK_LOG_WARN);
}

static void test_tolerate_hw_code_word2(void **state)
{
	struct fixture *f = *state;
	char warned[256];
	warn_into(f, warned);
	uint16_t hw;
	H(f->s, "fd");
	D(f->s, "fd 0321 ca00");
	assert_int_equal(mtk_brom_get_hw_code(&f->b, &hw), 0);
	assert_int_equal(hw, 0x0321);
	assert_non_null(strstr(warned, "GET_HW_CODE: second word 0xca00"));
	assert_script_done(f->s);
}

/* A BROM without GET_TARGET_CONFIG echoes it and stops (§3.23), or answers
 * another byte: flags off, said so, and the link stays in step. */
static void test_tolerate_target_config_unsupported(void **state)
{
	struct fixture *f = *state;
	char warned[256];
	warn_into(f, warned);
	uint32_t cfg = 0xFFFFFFFF;
	uint16_t hw;
	H(f->s, "d8");
	D(f->s, "d8");
	H(f->s, "fd");
	D(f->s, "fd 6572 0000");
	assert_int_equal(mtk_brom_get_target_config(&f->b, &cfg), 0);
	assert_int_equal(cfg, 0);
	assert_non_null(strstr(warned, "not supported by this device (echo only, no configuration): assuming SBC, "
				       "SLA and DAA off"));
	assert_int_equal(mtk_brom_get_hw_code(&f->b, &hw), 0);
	assert_int_equal(hw, 0x6572);
	H(f->s, "d8");
	D(f->s, "00");
	cfg = 7;
	assert_int_equal(mtk_brom_get_target_config(&f->b, &cfg), 0);
	assert_int_equal(cfg, 0);
	assert_non_null(strstr(warned, "answered 0x00 instead of the echo"));
	/* a status up to 0xFF is success to mtkclient; above, a refusal */
	H(f->s, "d8");
	D(f->s, "d8 00000005 0007");
	assert_int_equal(mtk_brom_get_target_config(&f->b, &cfg), 0);
	assert_int_equal(cfg, 5);
	assert_non_null(strstr(warned, "status 0x0007"));
	H(f->s, "d8");
	D(f->s, "d8 00000005 1d0d");
	assert_int_equal(mtk_brom_get_target_config(&f->b, &cfg), MTK_E_SECURITY);
	assert_script_done(f->s);
}

static void test_tolerate_bl_ver_unlisted(void **state)
{
	struct fixture *f = *state;
	char warned[256];
	warn_into(f, warned);
	uint8_t v;
	H(f->s, "fe");
	D(f->s, "04");
	H(f->s, "fe");
	D(f->s, "00");
	assert_int_equal(mtk_brom_get_bl_ver(&f->b, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(f->b.info.mode, MTK_MODE_PRELOADER);
	assert_non_null(strstr(warned, "preloader version 4 is not one the reference lists"));
	assert_int_equal(mtk_brom_get_bl_ver(&f->b, &v), 0);
	assert_int_equal(v, 0);
	assert_script_done(f->s);
}

static void script_write32(struct script *s, const char *status1, const char *status2)
{
	H(s, "d4");
	D(s, "d4");
	H(s, "10007000");
	D(s, "10007000");
	H(s, "00000001");
	D(s, "00000001");
	D(s, status1);
	if (status2) {
		H(s, "22000000");
		D(s, "22000000");
		D(s, status2);
	}
}

static void test_tolerate_write32_status(void **state)
{
	struct fixture *f = *state;
	char warned[256];
	warn_into(f, warned);
	uint32_t val = 0x22000000;
	script_write32(f->s, "0003", "0001");
	script_write32(f->s, "0002", "0000");
	script_write32(f->s, "0004", NULL);
	assert_int_equal(mtk_brom_write32(&f->b, 0x10007000, &val, 1), 0);
	assert_non_null(strstr(warned, "WRITE32: the first status 0x0003 accepted"));
	assert_int_equal(mtk_brom_write32(&f->b, 0x10007000, &val, 1), 0);
	assert_int_equal(mtk_brom_write32(&f->b, 0x10007000, &val, 1), MTK_E_STATUS);
	assert_script_done(f->s);
}

static void test_tolerate_send_da(void **state)
{
	struct fixture *f = *state;
	char warned[256];
	warn_into(f, warned);
	uint8_t da[DA_LEN];
	fill_lcg(da, sizeof da, 0x6765);
	/* status1 0x0005 goes ahead; the device's checksum 0 means "not computed" */
	script_send_da_header(f->s, "00000500");
	D(f->s, "0005");
	add_step(f->s, STEP_HOST, da, sizeof da);
	D(f->s, "0000 0000");
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 0x100), 0);
	assert_non_null(strstr(warned, "checksum 0 (not computed); ours is 0xa123"));
	assert_script_done(f->s);
}

static void test_send_da_checksum_mismatch(void **state)
{
	struct fixture *f = *state;
	uint8_t da[DA_LEN];
	fill_lcg(da, sizeof da, 0x6765);
	script_send_da_header(f->s, "00000500");
	D(f->s, "0000");
	add_step(f->s, STEP_HOST, da, sizeof da);
	D(f->s, "a124 0000");
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 0x100), MTK_E_VERIFY);
	assert_error_has(f, "checksum");
	assert_error_has(f, "0xa124");
	assert_error_has(f, "0xa123");
	assert_script_done(f->s);
}

/* SLA required: the device refuses before the data phase, nothing more is sent. */
static void test_send_da_sla_required(void **state)
{
	struct fixture *f = *state;
	uint8_t da[DA_LEN];
	fill_lcg(da, sizeof da, 0x6765);
	script_send_da_header(f->s, "00000500");
	D(f->s, "1d0d");
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 0x100), MTK_E_SECURITY);
	assert_error_has(f, "SEND_DA refused: 0x1d0d SLA_ERROR — this phone requires serial link authentication");
	/* The CLI ends the message with `mtkflash explain SLA_ERROR`. */
	assert_string_equal(mtk_ctx_error_status(f->ctx), "SLA_ERROR");
	assert_script_done(f->s);
}

static void test_send_da_signature_rejected(void **state)
{
	struct fixture *f = *state;
	uint8_t da[DA_LEN];
	fill_lcg(da, sizeof da, 0x6765);
	script_send_da_header(f->s, "00000500");
	D(f->s, "0000");
	add_step(f->s, STEP_HOST, da, sizeof da);
	D(f->s, DA_CHECKSUM " 7024");
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 0x100), MTK_E_SECURITY);
	assert_error_has(f, "0x7024 DAA_SIG_VERIFY_FAILED");
	assert_script_done(f->s);
}

static void test_send_da_bad_arguments(void **state)
{
	struct fixture *f = *state;
	uint8_t da[16] = { 0 };
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, 0, 0), MTK_E_INVAL);
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 17), MTK_E_INVAL);
	assert_script_done(f->s);
}

static void test_jump_da(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d5");
	D(f->s, "d5");
	H(f->s, "00200000");
	D(f->s, "00200000 0000");
	assert_int_equal(mtk_brom_jump_da(&f->b, 0x200000), 0);
	assert_script_done(f->s);
}

static void test_jump_da_refused(void **state)
{
	struct fixture *f = *state;
	H(f->s, "d5");
	D(f->s, "d5");
	H(f->s, "00200000");
	D(f->s, "00200000 1d0f");
	assert_int_equal(mtk_brom_jump_da(&f->b, 0x200000), MTK_E_STATUS);
	assert_error_has(f, "JUMP_DA refused: 0x1d0f DA_INVALID_JUMP_ADDR");
	assert_script_done(f->s);
}

/* ---- SEND_CERT / SEND_AUTH (§3.16) -------------------------------------- */

static void test_send_cert(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cert[4] = { 0x01, 0x02, 0x03, 0x04 };
	H(f->s, "e0");
	D(f->s, "e0");
	H(f->s, "00000004");
	D(f->s, "00000004 0000");
	H(f->s, "01020304");
	D(f->s, "0602 0000");
	assert_int_equal(mtk_brom_send_cert(&f->b, cert, sizeof cert), 0);
	assert_script_done(f->s);
}

static void test_send_auth(void **state)
{
	struct fixture *f = *state;
	static const uint8_t auth[2] = { 0xAB, 0xCD };
	H(f->s, "e2");
	D(f->s, "e2");
	H(f->s, "00000002");
	D(f->s, "00000002 0000");
	H(f->s, "abcd");
	D(f->s, "cdab 0000");
	assert_int_equal(mtk_brom_send_auth(&f->b, auth, sizeof auth), 0);
	assert_script_done(f->s);
}

static void test_send_auth_not_needed(void **state)
{
	struct fixture *f = *state;
	static const uint8_t auth[2] = { 0xAB, 0xCD };
	H(f->s, "e2");
	D(f->s, "e2");
	H(f->s, "00000002");
	D(f->s, "00000002 1d0c");
	assert_int_equal(mtk_brom_send_auth(&f->b, auth, sizeof auth), 1);
	assert_script_done(f->s);
}

static void test_send_auth_rejected(void **state)
{
	struct fixture *f = *state;
	static const uint8_t auth[2] = { 0xAB, 0xCD };
	H(f->s, "e2");
	D(f->s, "e2");
	H(f->s, "00000002");
	D(f->s, "00000002 0000");
	H(f->s, "abcd");
	D(f->s, "cdab 2000");
	assert_int_equal(mtk_brom_send_auth(&f->b, auth, sizeof auth), MTK_E_SECURITY);
	assert_error_has(f, "SEND_AUTH refused: 0x2000 AUTH_IMAGE_VERIFY_FAIL");
	assert_script_done(f->s);
}

/* ---- the whole identify sequence: §6.7 golden transcripts, MT6765 ------- */

#define ME_ID_HEX "000102030405060708090a0b0c0d0e0f"
#define SOC_ID_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void script_golden(struct script *s, bool brom)
{
	script_handshake(s);
	script_identify(s, brom);
}

/* Everything after the handshake (§6.2 steps 2-9). */
static void script_identify(struct script *s, bool brom)
{
	const char *wr_ok = brom ? "0001" : "0000";
	char buf[64];
	H(s, "fd");
	D(s, "fd 0766 0000");
	H(s, "d4");
	D(s, "d4");
	H(s, "10007000");
	D(s, "10007000");
	H(s, "00000001");
	snprintf(buf, sizeof buf, "00000001 %s", wr_ok);
	D(s, buf);
	H(s, "22000064");
	snprintf(buf, sizeof buf, "22000064 %s", wr_ok);
	D(s, buf);
	H(s, "d8");
	D(s, "d8 00000000 0000");
	H(s, "fe");
	D(s, brom ? "fe" : "03");
	H(s, "ff");
	D(s, brom ? "05" : "ff");
	H(s, "fc");
	D(s, "fc 8a00 ca00 0000 0000");
	H(s, "fe");
	D(s, brom ? "fe" : "03");
	H(s, "e1");
	D(s, "e1 00000010 " ME_ID_HEX " 0000");
	H(s, "fe");
	D(s, brom ? "fe" : "03");
	H(s, "e7");
	D(s, "e7 00000020 " SOC_ID_HEX " 0000");
}

static void assert_golden_info(const struct mtk_brom_info *in)
{
	assert_int_equal(in->hw_code, 0x0766);
	assert_non_null(in->chip);
	assert_string_equal(in->chip->name, "MT6765");
	assert_int_equal(in->hw_sub_code, 0x8A00);
	assert_int_equal(in->hw_ver, 0xCA00);
	assert_int_equal(in->sw_ver, 0);
	assert_int_equal(in->target_config, 0);
	assert_true(in->watchdog_disabled);
	assert_true(in->have_me_id);
	assert_true(in->have_soc_id);
	for (int i = 0; i < 16; i++)
		assert_int_equal(in->me_id[i], i);
	for (int i = 0; i < 32; i++)
		assert_int_equal(in->soc_id[i], i);
}

static void test_connect_golden_brom(void **state)
{
	struct fixture *f = *state;
	uint8_t da[DA_LEN];
	fill_lcg(da, sizeof da, 0x6765);
	script_golden(f->s, true);
	script_send_da_header(f->s, "00000500");
	D(f->s, "0000");
	add_step(f->s, STEP_HOST, da, sizeof da);
	D(f->s, DA_CHECKSUM " 0000");
	H(f->s, "d5");
	D(f->s, "d5");
	H(f->s, "00200000");
	D(f->s, "00200000 0000");
	assert_int_equal(mtk_brom_connect(&f->b, &f->s->tp, 1000), 0);
	assert_golden_info(&f->b.info);
	assert_int_equal(f->b.info.mode, MTK_MODE_BROM);
	assert_int_equal(f->b.info.bl_ver, 0xFE);
	assert_int_equal(f->b.info.brom_ver, 0x05);
	assert_int_equal(mtk_brom_send_da(&f->b, 0x200000, da, sizeof da, 0x100), 0);
	assert_int_equal(mtk_brom_jump_da(&f->b, 0x200000), 0);
	assert_script_done(f->s);
}

static void test_connect_golden_preloader(void **state)
{
	struct fixture *f = *state;
	script_golden(f->s, false);
	assert_int_equal(mtk_brom_connect(&f->b, &f->s->tp, 1000), 0);
	assert_golden_info(&f->b.info);
	assert_int_equal(f->b.info.mode, MTK_MODE_PRELOADER);
	assert_int_equal(f->b.info.bl_ver, 3);
	assert_int_equal(f->b.info.brom_ver, 0xFF);
	assert_script_done(f->s);
}

/* MT6580 behind a v1 preloader: the ID probe only, and the MT6580 watchdog;
 * the security flags come through as read. */
static void test_connect_old_preloader_mt6580(void **state)
{
	struct fixture *f = *state;
	struct script *s = f->s;
	script_handshake(s);
	H(s, "fd");
	D(s, "fd 6580 0000");
	H(s, "d4");
	D(s, "d4");
	H(s, "10007000");
	D(s, "10007000");
	H(s, "00000001");
	D(s, "00000001 0000");
	H(s, "22000064");
	D(s, "22000064 0000");
	H(s, "d8");
	D(s, "d8 00000005 0000");
	H(s, "fe");
	D(s, "01");
	H(s, "ff");
	D(s, "ff");
	H(s, "fc");
	D(s, "fc 0000 ca00 0000 0000");
	H(s, "fe");
	D(s, "01");
	assert_int_equal(mtk_brom_connect(&f->b, &s->tp, 1000), 0);
	assert_string_equal(f->b.info.chip->name, "MT6580");
	assert_int_equal(f->b.info.mode, MTK_MODE_PRELOADER);
	assert_int_equal(f->b.info.bl_ver, 1);
	assert_int_equal(f->b.info.target_config, MTK_TGT_SBC | MTK_TGT_DAA);
	assert_false(f->b.info.have_me_id);
	assert_false(f->b.info.have_soc_id);
	assert_script_done(s);
}

/* Memory write authorization refuses the watchdog write: identify goes on. */
static void test_connect_watchdog_refused(void **state)
{
	struct fixture *f = *state;
	struct script *s = f->s;
	script_handshake(s);
	H(s, "fd");
	D(s, "fd 0335 0000");
	H(s, "d4");
	D(s, "d4");
	H(s, "10212000");
	D(s, "10212000");
	H(s, "00000001");
	D(s, "00000001 1d02");
	H(s, "d8");
	D(s, "d8 00000047 0000");
	H(s, "fe");
	D(s, "fe");
	H(s, "ff");
	D(s, "05");
	H(s, "fc");
	D(s, "fc 8a00 ca00 0000 0000");
	H(s, "fe");
	D(s, "fe");
	H(s, "e1");
	D(s, "e1 00000010 " ME_ID_HEX " 0000");
	/* MT6737 has no SOC_ID: nothing more. */
	assert_int_equal(mtk_brom_connect(&f->b, &s->tp, 1000), 0);
	assert_false(f->b.info.watchdog_disabled);
	assert_string_equal(f->b.info.chip->name, "MT6737");
	assert_true(f->b.info.have_me_id);
	assert_false(f->b.info.have_soc_id);
	assert_script_done(s);
}

static void test_connect_unknown_chip(void **state)
{
	struct fixture *f = *state;
	struct script *s = f->s;
	script_handshake(s);
	H(s, "fd");
	D(s, "fd 1234 0000");
	H(s, "d4");
	D(s, "d4");
	H(s, "10007000");
	D(s, "10007000");
	H(s, "00000001");
	D(s, "00000001 0001");
	H(s, "22000064");
	D(s, "22000064 0001");
	H(s, "d8");
	D(s, "d8 00000000 0000");
	H(s, "fe");
	D(s, "fe");
	H(s, "ff");
	D(s, "05");
	H(s, "fc");
	D(s, "fc 8a00 ca00 0000 0000");
	H(s, "fe");
	D(s, "fe");
	H(s, "e1");
	D(s, "e1 00000010 " ME_ID_HEX " 0000");
	assert_int_equal(mtk_brom_connect(&f->b, &s->tp, 1000), 0);
	assert_null(f->b.info.chip);
	assert_int_equal(f->b.info.hw_code, 0x1234);
	assert_script_done(s);
}

static void test_connect_silent_after_handshake(void **state)
{
	struct fixture *f = *state;
	script_handshake(f->s);
	H(f->s, "fd");
	assert_int_equal(mtk_brom_connect(&f->b, &f->s->tp, 1000), MTK_E_TIMEOUT);
	assert_error_has(f, "GET_HW_CODE: waiting for the command echo");
	assert_script_done(f->s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_handshake_clean),
		T(test_handshake_garbage_then_sync),
		T(test_handshake_restart_after_mismatch),
		T(test_handshake_swallowed_a0),
		T(test_handshake_eaten_a0),
		T(test_handshake_ready_banners),
		T(test_handshake_listen_window_closes),
		T(test_handshake_echoed_a0),
		T(test_connect_on_open_session),
		T(test_connect_on_loopback),
		T(test_handshake_garbage_forever),
		T(test_handshake_silent),
		T(test_get_hw_code),
		T(test_get_hw_code_bad_echo),
		T(test_get_hw_code_silent),
		T(test_get_hw_sw_ver),
		T(test_get_bl_ver_and_version),
		T(test_get_target_config),
		T(test_get_me_id_and_soc_id),
		T(test_get_me_id_old_preloader),
		T(test_get_me_id_bad_status),
		T(test_read32),
		T(test_read32_refused),
		T(test_read32_preloader_region_check),
		T(test_read32_bad_address_echo),
		T(test_write32_brom_status),
		T(test_write32_preloader_status),
		T(test_write32_bad_value_echo),
		T(test_write16),
		T(test_write_count_zero_rejected),
		T(test_disable_watchdog_per_chip),
		T(test_send_da),
		T(test_send_da_odd_length_padded),
		T(test_send_da_checksum_mismatch), T(test_tolerate_hw_code_word2), T(test_tolerate_target_config_unsupported),
		T(test_tolerate_bl_ver_unlisted), T(test_tolerate_write32_status), T(test_tolerate_send_da),
		T(test_send_da_sla_required),
		T(test_send_da_signature_rejected),
		T(test_send_da_bad_arguments),
		T(test_jump_da),
		T(test_jump_da_refused),
		T(test_send_cert),
		T(test_send_auth),
		T(test_send_auth_not_needed),
		T(test_send_auth_rejected),
		T(test_connect_golden_brom),
		T(test_connect_golden_preloader),
		T(test_connect_old_preloader_mt6580),
		T(test_connect_watchdog_refused),
		T(test_connect_unknown_chip),
		T(test_connect_silent_after_handshake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
