/* SPDX-License-Identifier: MIT */
/* The emulator's BROM and preloader personalities, driven with raw host bytes
 * over a socketpair (no client code from lib/brom): every reply is compared
 * byte for byte with brom-protocol.md. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu_internal.h"
#include "core/fileutil.h"
#include "mtkemu.h"
#include "synth_xflash_da.h"

#define TIMEOUT_MS 3000

struct dev {
	struct mtkemu *emu;
	int host, devfd;
	pthread_t thread;
	int serve_rc;
	char dir[64];
};

struct devopts {
	const char *chip, *mode, *faults, *speed, *secure, *preloader;
	unsigned listen_ms;
	const char *auth_key; /* the fused test root key (mtkemu mkauth's root.pub) */
	bool golden_ids; /* ME_ID 00..0F, SOC_ID 00..1F as in §6.7 */
	const struct mtkemu_clock *clock;
};

static void *serve_thread(void *arg)
{
	struct dev *d = arg;
	d->serve_rc = mtkemu_serve(d->emu, d->devfd);
	shutdown(d->devfd, SHUT_RDWR);
	return NULL;
}

static void write_golden_identity(const char *dir, const char *chip)
{
	char path[128];
	snprintf(path, sizeof path, "%s/identity.ini", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "chip=%s\nme_id=", chip);
	for (int i = 0; i < 16; i++)
		fprintf(f, "%02x", i);
	fprintf(f, "\nsoc_id=");
	for (int i = 0; i < 32; i++)
		fprintf(f, "%02x", i);
	fprintf(f, "\n");
	fclose(f);
}

/* The host opens the port: a new session on the same phone. */
static void dev_serve(struct dev *d)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	d->host = sv[0];
	d->devfd = sv[1];
	assert_int_equal(pthread_create(&d->thread, NULL, serve_thread, d), 0);
}

/* The session ends (the host closes the port, or the phone left the bus);
 * returns how mtkemu_serve() ended. */
static int dev_end_session(struct dev *d, bool host_closes)
{
	if (host_closes)
		shutdown(d->host, SHUT_RDWR);
	pthread_join(d->thread, NULL);
	close(d->host);
	close(d->devfd);
	return d->serve_rc;
}

static void dev_start(struct dev *d, const struct devopts *o)
{
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "/tmp/test-emu-brom-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	if (o->golden_ids)
		write_golden_identity(d->dir, o->chip);
	struct mtkemu_options opt = {
		.chip = o->chip, .state_dir = d->dir, .mode = o->mode,
		.faults = o->faults, .speed = o->speed, .security = o->secure,
		.preloader = o->preloader, .listen_ms = o->listen_ms, .auth_key = o->auth_key, .clock = o->clock,
	};
	char err[512] = "";
	if (mtkemu_new(&opt, &d->emu, err, sizeof err) != 0)
		fail_msg("mtkemu_new: %s", err);
	dev_serve(d);
}

static void dev_stop(struct dev *d)
{
	mtkemu_stop(d->emu);
	pthread_join(d->thread, NULL);
	close(d->host);
	close(d->devfd);
	mtkemu_free(d->emu);
	mtk_remove_tree(d->dir);
}

/* ---- raw byte helpers --------------------------------------------------------- */

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		unsigned v;
		assert_true(sscanf(s, "%2x", &v) == 1);
		assert_true(n < max);
		out[n++] = (uint8_t)v;
		s++;
	}
	return n;
}

static void put_bytes(struct dev *d, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(d->host, b, n, MSG_NOSIGNAL);
		assert_true(w > 0);
		b += w;
		n -= (size_t)w;
	}
}

static void put(struct dev *d, const char *hex)
{
	uint8_t b[512];
	put_bytes(d, b, unhex(hex, b, sizeof b));
}

/* Reads exactly n bytes; returns how many arrived before EOF or the timeout. */
static size_t get_bytes(struct dev *d, uint8_t *b, size_t n, int timeout_ms)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = { .fd = d->host, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		ssize_t r = read(d->host, b + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static void expect(struct dev *d, const char *hex)
{
	uint8_t want[512], got[512];
	size_t n = unhex(hex, want, sizeof want);
	size_t g = get_bytes(d, got, n, TIMEOUT_MS);
	if (g != n || memcmp(want, got, n) != 0) {
		char shown[1100] = "";
		for (size_t i = 0; i < g; i++)
			sprintf(shown + 2 * i, "%02x", got[i]);
		fail_msg("expected %s, got %s (%zu of %zu bytes)", hex, shown, g, n);
	}
}

/* "> host bytes < device bytes > ..." in wire order. */
static void script(struct dev *d, const char *s)
{
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", s);
	char *save = NULL;
	for (char *part = strtok_r(buf, "<>", &save); part; part = strtok_r(NULL, "<>", &save)) {
		char dir = s[part - buf - 1];
		if (strspn(part, " ") == strlen(part))
			continue;
		if (dir == '>')
			put(d, part);
		else
			expect(d, part);
	}
}

static void expect_silence(struct dev *d, int ms)
{
	uint8_t b;
	assert_int_equal(get_bytes(d, &b, 1, ms), 0);
}

static void expect_eof(struct dev *d)
{
	uint8_t b;
	struct pollfd p = { .fd = d->host, .events = POLLIN };
	assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
	assert_int_equal(read(d->host, &b, 1), 0);
}

static void handshake(struct dev *d)
{
	script(d, "> a0 < 5f > 0a < f5 > 50 < af > 05 < fa");
}

static bool is_banner_byte(uint8_t b)
{
	return b && strchr("READY", b);
}

/* The robust host of §2.6 rule 2 (mtkclient's serial loop): each sync byte
 * until its complement comes, READY banner bytes skipped, anything else or
 * no answer (the real preloader eats the first A0) restarts.  Works on every
 * model; the exact transcripts are tested separately. */
static void sync_any(struct dev *d)
{
	static const uint8_t seq[4] = { 0xA0, 0x0A, 0x50, 0x05 };
	size_t i = 0;
	for (int tries = 0; i < 4; tries++) {
		assert_true(tries < 200);
		put_bytes(d, &seq[i], 1);
		uint8_t b = 0;
		while (get_bytes(d, &b, 1, 50) == 1 && is_banner_byte(b))
			b = 0;
		uint8_t want = (uint8_t)(0xFFu ^ seq[i]);
		i = b == want ? i + 1 : 0;
	}
}

/* Skips READY banners; returns the first other byte (-1: none in time). */
static int next_non_banner(struct dev *d)
{
	uint8_t b;
	while (get_bytes(d, &b, 1, TIMEOUT_MS) == 1)
		if (!is_banner_byte(b))
			return b;
	return -1;
}

static double elapsed_s(const struct timespec *a);

/* Waits (an event, not a time) until the listening preloader ate n A0s. */
static void wait_a0_eaten(struct dev *d, unsigned n)
{
	for (int ms = 0; atomic_load(&d->emu->a0_eaten) < n; ms++) {
		assert_true(ms < TIMEOUT_MS);
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

static uint16_t xor16_reference(const uint8_t *b, size_t n)
{
	uint16_t x = 0;
	for (size_t i = 0; i < n; i += 2)
		x ^= (uint16_t)(b[i] | (i + 1 < n ? b[i + 1] << 8 : 0));
	return x;
}

static void fill_da(uint8_t *b, size_t n)
{
	uint32_t x = 0x12345678;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
}

/* SEND_DA through status2: returns the device's checksum. */
static void send_da(struct dev *d, uint32_t addr, const uint8_t *da, uint32_t len, uint32_t sig, const char *st2)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "> d7 < d7 > %08x < %08x > %08x < %08x > %08x < %08x 0000", addr, addr, len, len,
		 sig, sig);
	script(d, cmd);
	put_bytes(d, da, len);
	char tail[32];
	snprintf(tail, sizeof tail, "%04x %s", xor16_reference(da, len), st2);
	expect(d, tail);
}

#define START(d, ...)                                        \
	do {                                                 \
		struct devopts o_ = { __VA_ARGS__ };         \
		dev_start(d, &o_);                           \
	} while (0)

/* ---- handshake ------------------------------------------------------------------ */

static void test_handshake_brom(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom");
	handshake(&d);
	script(&d, "> fd < fd 0766 0000");
	dev_stop(&d);
}

static void test_handshake_mismatch(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6737", .mode = "brom");
	/* A wrong byte is answered c+1 and restarts the sequence. */
	script(&d, "> a0 < 5f > 0b < 0c > 0a < 0b > 00 < 01 > ff < 00");
	/* The BROM has no repeated-A0 rule: A0 at step 2 is a mismatch. */
	script(&d, "> a0 < 5f > a0 < a1");
	handshake(&d);
	script(&d, "> fd < fd 0335 0000");
	dev_stop(&d);
}

static void test_handshake_preloader_repeated_a0(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "preloader", .preloader = "simple");
	/* A newer preloader swallows a repeated A0 and stays at step 1. */
	script(&d, "> a0 < 5f > a0 > a0 > 0a < f5 > 50 < af > a0 > 0a < f5 > 50 < af > 05 < fa");
	script(&d, "> fe < 03");
	dev_stop(&d);

	/* BL version 1 preloaders do not. */
	START(&d, .chip = "mt6737", .mode = "preloader", .preloader = "simple");
	script(&d, "> a0 < 5f > a0 < a1");
	handshake(&d);
	script(&d, "> fe < 01");
	dev_stop(&d);
}

/* ---- commands, BROM ---------------------------------------------------------------- */

static void read_log(struct dev *d, uint8_t cmd, bool with_status, char *out, size_t outlen)
{
	uint8_t hdr[5];
	put_bytes(d, &cmd, 1);
	assert_int_equal(get_bytes(d, hdr, 5, TIMEOUT_MS), 5);
	assert_int_equal(hdr[0], cmd);
	uint32_t len = (uint32_t)hdr[1] << 24 | hdr[2] << 16 | hdr[3] << 8 | hdr[4];
	assert_true(len > 0 && len < outlen);
	assert_int_equal(get_bytes(d, (uint8_t *)out, len, TIMEOUT_MS), len);
	out[len] = '\0';
	if (with_status)
		expect(d, "0000");
}

static void test_brom_commands_mt6765(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .golden_ids = true);
	handshake(&d);
	script(&d, "> fe < fe > ff < 05");
	script(&d, "> fc < fc 8a00 ca00 0000 0000");
	script(&d, "> d8 < d8 00000000 0000");
	script(&d, "> e1 < e1 00000010 000102030405060708090a0b0c0d0e0f 0000");
	script(&d, "> e7 < e7 00000020 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 0000");
	/* Preloader-only commands: echo only (§3.23), the next command still works. */
	script(&d, "> fb < fb > f0 < f0 > fd < fd 0766 0000");
	script(&d, "> db < db 0000");
	script(&d, "> c8 < c8 > b1 < b1 00 0000");
	/* No DAA: SEND_AUTH and SEND_CERT are not needed. */
	script(&d, "> e2 < e2 > 00000100 < 00000100 1d0c");
	script(&d, "> e0 < e0 > 00000100 < 00000100 1d0c");
	char log[1024];
	read_log(&d, 0xdf, true, log, sizeof log);
	assert_non_null(strstr(log, "handshake ok"));
	read_log(&d, 0xdd, false, log, sizeof log);
	assert_non_null(strstr(log, "mt6765 BROM"));
	dev_stop(&d);
}

static void test_brom_commands_mt6737(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6737", .golden_ids = true); /* no storage: the boot model picks BROM */
	handshake(&d);
	script(&d, "> fd < fd 0335 0000 > fe < fe > ff < 05");
	script(&d, "> fc < fc 0000 ca00 0000 0000");
	script(&d, "> e1 < e1 00000010 000102030405060708090a0b0c0d0e0f 0000");
	/* MT6737 has no SOC_ID: its BROM does not implement E7. */
	script(&d, "> e7 < e7 > d8 < d8 00000000 0000");
	/* Watchdog at the MT6735-class address, BROM write statuses 0001. */
	script(&d, "> d4 < d4 > 10212000 < 10212000 > 00000001 < 00000001 0001 > 22000000 < 22000000 0001");
	script(&d, "> d1 < d1 > 10212000 < 10212000 > 00000001 < 00000001 0000 22000000 0000");
	dev_stop(&d);
}

/* ---- commands, preloader ---------------------------------------------------------------- */

static void test_preloader_commands_mt6765(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "preloader", .golden_ids = true);
	sync_any(&d);
	script(&d, "> fe < 03 > ff < ff");
	script(&d, "> fd < fd 0766 0000 > fc < fc 8a00 ca00 0000 0000");
	script(&d, "> d8 < d8 00000000 0000");
	script(&d, "> e1 < e1 00000010 000102030405060708090a0b0c0d0e0f 0000");
	script(&d, "> e7 < e7 00000020 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 0000");
	script(&d, "> fb < fb 00000007 00000000");
	script(&d, "> f0 < f0 > 08825252 < 0000 > f0 < f0 > 12345678 < ffff");
	script(&d, "> db < db 0000");
	/* BROM-only commands: echo only. */
	script(&d, "> c8 < c8 > dd < dd > df < df > e2 < e2 > e0 < e0 > fd < fd 0766 0000");
	script(&d, "> d4 < d4 > 10007000 < 10007000 > 00000001 < 00000001 0000 > 22000064 < 22000064 0000");
	dev_stop(&d);
}

static void test_preloader_commands_mt6737(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6737", .mode = "preloader");
	sync_any(&d);
	script(&d, "> fe < 01 > ff < ff > fd < fd 0335 0000");
	/* BL version 1: no ME_ID, SOC_ID, PL caps. */
	script(&d, "> e1 < e1 > e7 < e7 > fb < fb > f0 < f0");
	script(&d, "> d8 < d8 00000000 0000");
	script(&d, "> d4 < d4 > 10212000 < 10212000 > 00000001 < 00000001 0000 > 22000000 < 22000000 0000");
	dev_stop(&d);
}

/* ---- golden transcripts (§6.7) ------------------------------------------------------------ */

static void golden(bool brom)
{
	struct dev d;
	START(&d, .chip = "mt6765", .mode = brom ? "brom" : "preloader", .golden_ids = true);
	if (brom)
		handshake(&d);
	else
		sync_any(&d);
	script(&d, "> fd < fd 0766 0000");
	script(&d, "> d4 < d4 > 10007000 < 10007000");
	script(&d, brom ? "> 00000001 < 00000001 0001 > 22000064 < 22000064 0001"
			: "> 00000001 < 00000001 0000 > 22000064 < 22000064 0000");
	script(&d, "> d8 < d8 00000000 0000");
	script(&d, brom ? "> fe < fe > ff < 05" : "> fe < 03 > ff < ff");
	script(&d, "> fc < fc 8a00 ca00 0000 0000");
	script(&d, brom ? "> fe < fe" : "> fe < 03");
	script(&d, "> e1 < e1 00000010 000102030405060708090a0b0c0d0e0f 0000");
	script(&d, brom ? "> fe < fe" : "> fe < 03");
	script(&d, "> e7 < e7 00000020 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 0000");
	/* The xflash DA1 starts (C0) only when it is the chip's DA1. */
	uint8_t *da = synth_xflash_da1(0x6765);
	send_da(&d, 0x200000, da, SYNTH_DA1_LEN, 0x100, "0000");
	free(da);
	script(&d, "> d5 < d5 > 00200000 < 00200000 0000 < c0");
	dev_stop(&d);
}

static void test_golden_brom(void **state)
{
	(void)state;
	golden(true);
}

static void test_golden_preloader(void **state)
{
	(void)state;
	golden(false);
}

/* ---- memory ---------------------------------------------------------------------------------- */

static void test_write_read_roundtrip(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom");
	handshake(&d);
	script(&d, "> d4 < d4 > 10007000 < 10007000 > 00000002 < 00000002 0001"
		   "> 22000064 < 22000064 > deadbeef < deadbeef < 0001");
	script(&d, "> d1 < d1 > 10007000 < 10007000 > 00000002 < 00000002 0000 22000064 deadbeef 0000");
	/* Memory is little-endian: the low halfword of 0x22000064 is at the lower address. */
	script(&d, "> d0 < d0 > 10007000 < 10007000 > 00000003 < 00000003 0000 0064 2200 beef 0000");
	script(&d, "> d2 < d2 > 10007002 < 10007002 > 00000001 < 00000001 0001 > 1234 < 1234 0001");
	script(&d, "> d3 < d3 > 10007004 < 10007004 > 00000001 < 00000001 0001 > 5678 < 0001");
	script(&d, "> d1 < d1 > 10007000 < 10007000 > 00000002 < 00000002 0000 12340064 dead5678 0000");
	/* Untouched memory reads as zero. */
	script(&d, "> d1 < d1 > 11000000 < 11000000 > 00000001 < 00000001 0000 00000000 0000");
	dev_stop(&d);
}

static void test_memory_errors(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom");
	handshake(&d);
	script(&d, "> d1 < d1 > 10007001 < 10007001 > 00000001 < 00000001 1d02");
	script(&d, "> d1 < d1 > 10007000 < 10007000 > 00000000 < 00000000 1d12");
	script(&d, "> d1 < d1 > fffffffc < fffffffc > 00000002 < 00000002 1d12");
	script(&d, "> d4 < d4 > 10007002 < 10007002 > 00000001 < 00000001 1d02");
	script(&d, "> fd < fd 0766 0000");
	dev_stop(&d);

	START(&d, .chip = "mt6765", .mode = "preloader");
	sync_any(&d);
	script(&d, "> d1 < d1 > 10007001 < 10007001 > 00000001 < 00000001 ffff");
	script(&d, "> d1 < d1 > 10007000 < 10007000 > 00000000 < 00000000 fffe");
	script(&d, "> d1 < d1 > 10000000 < 10000000 > 40000000 < 40000000 fffd");
	script(&d, "> d0 < d0 > 10007001 < 10007001 > 00000001 < 00000001 ffff");
	script(&d, "> d4 < d4 > 10007000 < 10007000 > 00000000 < 00000000 fffe");
	script(&d, "> fd < fd 0766 0000");
	dev_stop(&d);
}

/* A host writing one word per page cannot grow the emulator without bound:
 * the map stops at 64 MiB (16384 pages); writes past it are lost, read 0. */
static void test_memory_bounded(void **state)
{
	(void)state;
	enum { PAGES = 16384, BATCH = 1024, CMD = 13, REPLY = 17 };
	static uint8_t cmds[BATCH * CMD], replies[BATCH * REPLY];
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom");
	handshake(&d);
	for (uint32_t first = 0; first <= PAGES; first += BATCH) {
		uint32_t n = first + BATCH <= PAGES + 1 ? BATCH : PAGES + 1 - first;
		for (uint32_t i = 0; i < n; i++) {
			uint8_t *c = cmds + i * CMD;
			uint32_t addr = 0x40000000u + (first + i) * 0x1000u, val = first + i + 1;
			c[0] = 0xD4;
			for (int k = 0; k < 4; k++) {
				c[1 + k] = (uint8_t)(addr >> (24 - 8 * k));
				c[5 + k] = (uint8_t)(1u >> (24 - 8 * k));
				c[9 + k] = (uint8_t)(val >> (24 - 8 * k));
			}
		}
		put_bytes(&d, cmds, n * CMD);
		assert_int_equal(get_bytes(&d, replies, n * REPLY, TIMEOUT_MS), n * REPLY);
		assert_memory_equal(replies + (n - 1) * REPLY + 15, "\x00\x01", 2);
	}
	script(&d, "> d1 < d1 > 40000000 < 40000000 > 00000001 < 00000001 0000 00000001 0000");
	script(&d, "> d1 < d1 > 43fff000 < 43fff000 > 00000001 < 00000001 0000 00004000 0000");
	script(&d, "> d1 < d1 > 44000000 < 44000000 > 00000001 < 00000001 0000 00000000 0000");
	/* Mapped pages still take writes. */
	script(&d, "> d4 < d4 > 40000004 < 40000004 > 00000001 < 00000001 0001 > cafef00d < cafef00d 0001");
	script(&d, "> d1 < d1 > 40000004 < 40000004 > 00000001 < 00000001 0000 cafef00d 0000");
	dev_stop(&d);
}

/* ---- DA upload and jump --------------------------------------------------------------------- */

static void test_send_da_checks(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6737", .mode = "brom");
	handshake(&d);
	script(&d, "> d5 < d5 > 00200000 < 00200000 1d0f");
	script(&d, "> d7 < d7 > 00200000 < 00200000 > 00000000 < 00000000 > 00000000 < 00000000 1d13");
	script(&d, "> d7 < d7 > 00200000 < 00200000 > 00000100 < 00000100 > 00000200 < 00000200 1d14");
	script(&d, "> d7 < d7 > 00200001 < 00200001 > 00000100 < 00000100 > 00000000 < 00000000 1d11");
	script(&d, "> d7 < d7 > fffffff0 < fffffff0 > 00000100 < 00000100 > 00000000 < 00000000 1d12");
	/* An odd-length DA: the last byte counts as a word with a zero high byte. */
	uint8_t da[0x301];
	fill_da(da, sizeof da);
	send_da(&d, 0x200000, da, sizeof da, 0, "0000");
	/* Only the address the DA was loaded at is a valid jump target. */
	script(&d, "> d5 < d5 > 00201000 < 00201000 1d0f");
	/* The DA is in RAM now. */
	char rd[128];
	snprintf(rd, sizeof rd, "> d1 < d1 > 00200000 < 00200000 > 00000001 < 00000001 0000 %02x%02x%02x%02x 0000",
		 da[3], da[2], da[1], da[0]);
	script(&d, rd);
	/* Accepted; what follows is the legacy DA personality's business
	 * (da_legacy.c, tested on its own). */
	script(&d, "> d5 < d5 > 00200000 < 00200000 0000");
	dev_stop(&d);
}

static void test_unknown_command_echo(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom");
	handshake(&d);
	script(&d, "> 42 < 42 > aa < aa > 00 < 00 > de < de > fd < fd 0766 0000");
	dev_stop(&d);
}

/* ---- security -------------------------------------------------------------------------------- */

static void test_secure_sla_brom(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .secure = "sbc,sla,daa");
	handshake(&d);
	script(&d, "> d8 < d8 00000007 0000");
	script(&d, "> d7 < d7 > 00200000 < 00200000 > 00000500 < 00000500 > 00000100 < 00000100 1d0d");
	dev_stop(&d);
}

static void test_secure_daa_brom(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .secure = "daa");
	handshake(&d);
	script(&d, "> d8 < d8 00000004 0000");
	script(&d, "> d7 < d7 > 00200000 < 00200000 > 00000500 < 00000500 > 00000000 < 00000000 1d15");
	uint8_t da[0x500];
	fill_da(da, sizeof da);
	send_da(&d, 0x200000, da, sizeof da, 0x100, "2001");
	script(&d, "> d5 < d5 > 00200000 < 00200000 1d0f");
	/* Auth is needed but never verifies: we hold no vendor keys. */
	script(&d, "> e2 < e2 > 00000004 < 00000004 0000 > 01020304 < 0602 2000");
	dev_stop(&d);
}

/* SEND_CERT/SEND_AUTH payload: echo, length, status1 0, the bytes, their
 * checksum, then status2 st2. */
static void send_auth_blob(struct dev *d, uint8_t cmd, const uint8_t *blob, uint32_t len, const char *st2)
{
	char head[96], tail[32];
	snprintf(head, sizeof head, "> %02x < %02x > %08x < %08x 0000", cmd, cmd, len, len);
	script(d, head);
	put_bytes(d, blob, len);
	snprintf(tail, sizeof tail, "%04x %s", xor16_reference(blob, len), st2);
	expect(d, tail);
}

static void read_test_file(const char *dir, const char *name, uint8_t *buf, size_t len)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

/* `mtkemu mkauth` files of a test key in dir (seed byte `seed`), for chip. */
static void make_test_auth(const char *dir, uint8_t seed, const char *chip)
{
	char key[600];
	snprintf(key, sizeof key, "%s/seed", dir);
	uint8_t k[32];
	memset(k, seed, sizeof k);
	FILE *f = fopen(key, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(k, 1, sizeof k, f), sizeof k);
	fclose(f);
	char *argv[] = { "mkauth", "--key", key, "--chip", (char *)chip, "--out", (char *)dir, "--force", NULL };
	assert_int_equal(emu_mkauth_main(8, argv), 0);
}

/* A test key fused with auth-key: the files it signed lift SLA and DAA; a
 * file of another key, or made for another chip, is refused (0x2000) and
 * lifts nothing. */
static void test_secure_auth_test_key(void **state)
{
	(void)state;
	char good[64] = "/tmp/test-emu-auth-XXXXXX", bad[64] = "/tmp/test-emu-auth-XXXXXX";
	assert_non_null(mkdtemp(good));
	assert_non_null(mkdtemp(bad));
	make_test_auth(good, 0x11, "mt6765");
	make_test_auth(bad, 0x22, "mt6765");
	uint8_t auth[112], foreign[112], cert[112];
	read_test_file(good, "auth.bin", auth, sizeof auth);
	read_test_file(good, "cert.bin", cert, sizeof cert);
	read_test_file(bad, "auth.bin", foreign, sizeof foreign);
	char root[600];
	snprintf(root, sizeof root, "%s/root.pub", good);
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .secure = "sla,daa", .auth_key = root);
	handshake(&d);
	uint8_t da[0x500];
	fill_da(da, sizeof da);
	script(&d, "> d7 < d7 > 00200000 < 00200000 > 00000500 < 00000500 > 00000100 < 00000100 1d0d");
	send_auth_blob(&d, 0xE2, foreign, sizeof foreign, "2000");
	script(&d, "> d7 < d7 > 00200000 < 00200000 > 00000500 < 00000500 > 00000100 < 00000100 1d0d");
	send_auth_blob(&d, 0xE0, cert, sizeof cert, "0000");
	send_auth_blob(&d, 0xE2, auth, sizeof auth, "0000");
	send_da(&d, 0x200000, da, sizeof da, 0x100, "0000");
	script(&d, "> d5 < d5 > 00200000 < 00200000 0000");
	dev_stop(&d);
	/* Made for MT6785 with the fused key: not this chip's. */
	make_test_auth(bad, 0x11, "mt6785");
	read_test_file(bad, "auth.bin", foreign, sizeof foreign);
	START(&d, .chip = "mt6765", .mode = "brom", .secure = "sla,daa", .auth_key = root);
	handshake(&d);
	send_auth_blob(&d, 0xE2, foreign, sizeof foreign, "2000");
	dev_stop(&d);
	mtk_remove_tree(good);
	mtk_remove_tree(bad);
}

static void test_secure_hex_and_mem_auth(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .secure = "0xe5");
	handshake(&d);
	script(&d, "> d8 < d8 000000e5 0000");
	/* mem-read/mem-write authorisation: only SRAM stays open. */
	script(&d, "> d1 < d1 > 10007000 < 10007000 > 00000001 < 00000001 1d02");
	script(&d, "> d4 < d4 > 10007000 < 10007000 > 00000001 < 00000001 1d02");
	script(&d, "> d1 < d1 > 00102af8 < 00102af8 > 00000001 < 00000001 0000 00000000 0000");
	/* C8 is blocked (bit 7). */
	script(&d, "> c8 < c8 > b1 < b1 1d02");
	dev_stop(&d);

	/* A preloader reports only SBC/SLA/DAA and does not restrict memory. */
	START(&d, .chip = "mt6765", .mode = "preloader", .secure = "0xe5");
	sync_any(&d);
	script(&d, "> d8 < d8 00000005 0000");
	script(&d, "> d1 < d1 > 10007000 < 10007000 > 00000001 < 00000001 0000 00000000 0000");
	dev_stop(&d);
}

/* §3.12, §3.25: a preloader that fails to verify the DA sends status2 and
 * ASSERTs: the phone resets (here into the forced preloader mode again, a
 * fresh listen phase).  JUMP_DA without a verified DA does the same. */
static void test_secure_preloader_sbc_reboots(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "preloader", .secure = "sbc");
	sync_any(&d);
	script(&d, "> d8 < d8 00000001 0000");
	script(&d, "> d7 < d7 > 00200000 < 00200000 > 00000500 < 00000500 > 00000000 < 00000000 1d15");
	uint8_t da[0x500];
	fill_da(da, sizeof da);
	send_da(&d, 0x200000, da, sizeof da, 0x100, "2001");
	expect_eof(&d);
	assert_int_equal(dev_end_session(&d, false), MTKEMU_END_REENUMERATE);
	dev_serve(&d);
	expect(&d, "5245414459"); /* READY: the preloader listens again */
	sync_any(&d);
	script(&d, "> d5 < d5 > 00200000 < 00200000 2000");
	expect_eof(&d);
	assert_int_equal(dev_end_session(&d, false), MTKEMU_END_REENUMERATE);
	dev_serve(&d);
	dev_stop(&d);
}

/* ---- sessions: the phone keeps running across port close/open ------------------------------ */

/* §2.6: after the handshake a second one is echoed as unknown commands; the
 * FE/FF probe tells a BROM from a preloader. */
static void test_session_survives_reopen_brom(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom");
	handshake(&d);
	assert_int_equal(dev_end_session(&d, true), MTKEMU_END_CLOSED);
	dev_serve(&d);
	script(&d, "> a0 < a0 > 0a < 0a > 50 < 50 > 05 < 05 > ff < 05 > fe < fe");
	script(&d, "> fd < fd 0766 0000");
	assert_int_equal(mtkemu_violations(d.emu), 0); /* BROM echoes are not a DA violation */
	dev_stop(&d);
}

static void test_session_survives_reopen_preloader(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6737", .mode = "preloader");
	sync_any(&d);
	assert_int_equal(dev_end_session(&d, true), MTKEMU_END_CLOSED);
	dev_serve(&d);
	/* No banners: the preloader is in its command loop. */
	script(&d, "> a0 < a0 > 0a < 0a > 50 < 50 > 05 < 05 > fe < 01 > ff < ff");
	dev_stop(&d);
}

/* §2.2a: READY every 20 ms, the first chunk starting with A0 eaten without
 * an answer, then the start command (BL 1: no repeated-A0 rule). */
static void test_real_preloader_eats_first_a0(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6737", .mode = "preloader");
	expect(&d, "5245414459 5245414459"); /* two banners: it repeats them */
	put(&d, "a0");
	wait_a0_eaten(&d, 1);
	put(&d, "0a");
	assert_int_equal(next_non_banner(&d), 0x0b); /* start-command state, i = 0: 0A is a mismatch */
	script(&d, "> a0 < 5f > 0a < f5 > 50 < af > 05 < fa > fe < 01");
	dev_stop(&d);
}

/* The start command must complete within 300 ms of the eaten A0; if it does
 * not, the preloader listens again (READY banners) inside its window. */
static void test_start_command_times_out(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "preloader");
	expect(&d, "5245414459");
	put(&d, "a0");
	wait_a0_eaten(&d, 1);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint8_t junk[4096];
	while (get_bytes(&d, junk, 1, 0) == 1) /* banners sent before the A0 was read */
		;
	expect(&d, "5245414459");
	double t = elapsed_s(&t0);
	if (t < 0.29)
		fail_msg("listening again after %.3f s, before the 300 ms start-command window", t);
	sync_any(&d);
	script(&d, "> fe < 03");
	dev_stop(&d);
}

/* The listen window closes: the preloader boots on and leaves the bus
 * (GONE); a replug brings it back listening. */
static void test_listen_window_closes(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "preloader", .listen_ms = 60);
	uint8_t b[4096];
	size_t n = get_bytes(&d, b, sizeof b, TIMEOUT_MS); /* until EOF */
	assert_true(n >= 5 && n % 5 == 0);
	for (size_t i = 0; i < n; i += 5)
		assert_memory_equal(b + i, "READY", 5);
	assert_int_equal(dev_end_session(&d, false), MTKEMU_END_GONE);
	/* Still gone for a new port, until the cable comes back. */
	dev_serve(&d);
	expect_eof(&d);
	assert_int_equal(dev_end_session(&d, false), MTKEMU_END_GONE);
	mtkemu_replug(d.emu);
	dev_serve(&d);
	sync_any(&d);
	script(&d, "> fe < 03");
	dev_stop(&d);
}

/* A replug or power cycle during a session: the session ends as a
 * re-enumeration and the phone boots again (a fresh handshake). */
static void test_replug_and_power_cycle(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom");
	handshake(&d);
	mtkemu_replug(d.emu);
	expect_eof(&d);
	assert_int_equal(dev_end_session(&d, false), MTKEMU_END_REENUMERATE);
	dev_serve(&d);
	handshake(&d);
	mtkemu_power_cycle(d.emu);
	expect_eof(&d);
	assert_int_equal(dev_end_session(&d, false), MTKEMU_END_REENUMERATE);
	/* A plug event between sessions is taken when the next one starts. */
	mtkemu_replug(d.emu);
	dev_serve(&d);
	handshake(&d);
	script(&d, "> fd < fd 0766 0000");
	dev_stop(&d);
}

/* ---- faults and link model ------------------------------------------------------------------ */

static void test_fault_disconnect(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .faults = "disconnect-after=6");
	/* 6 bytes in both directions: three handshake round trips, then the cut. */
	script(&d, "> a0 < 5f > 0a < f5 > 50 < af");
	/* The device may have cut the link already: the write may fail. */
	(void)!send(d.host, "\x05", 1, MSG_NOSIGNAL);
	expect_eof(&d);
	pthread_join(d.thread, NULL);
	assert_int_equal(d.serve_rc, 1);
	close(d.host);
	close(d.devfd);
	mtkemu_free(d.emu);
	mtk_remove_tree(d.dir);
}

static void test_fault_stall_and_da_silent(void **state)
{
	(void)state;
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .faults = "stall-after=9");
	handshake(&d);
	/* The handshake moved 8 bytes; FD is the 9th and last, so no echo comes. */
	put(&d, "fd");
	expect_silence(&d, 300);
	/* A stalled device still notices mtkemu_stop(); stopping is not a fault. */
	dev_stop(&d);
	assert_int_equal(d.serve_rc, 0);

	START(&d, .chip = "mt6765", .mode = "brom", .faults = "da-silent");
	handshake(&d);
	uint8_t da[0x100];
	fill_da(da, sizeof da);
	send_da(&d, 0x200000, da, sizeof da, 0, "0000");
	script(&d, "> d5 < d5 > 00200000 < 00200000 0000");
	expect_silence(&d, 300);
	dev_stop(&d);
}

static double elapsed_s(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static void test_link_pacing(void **state)
{
	(void)state;
	static uint8_t da[64 * 1024];
	fill_da(da, sizeof da);
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .speed = "usb2-fs");
	handshake(&d);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_da(&d, 0x200000, da, sizeof da, 0, "0000");
	double t = elapsed_s(&t0);
	/* 64 KiB at 1 MB/s is 65.5 ms plus 1 ms per transfer (direction turnaround). */
	if (t < 0.065 || t > 5.0)
		fail_msg("usb2-fs SEND_DA of 64 KiB took %.3f s", t);
	dev_stop(&d);

	/* The BROM is a full-speed device (0E8D:0003, §3.25): a high-speed
	 * host port carries it at usb2-fs all the same. */
	START(&d, .chip = "mt6765", .mode = "brom", .speed = "usb2-hs");
	handshake(&d);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_da(&d, 0x200000, da, sizeof da, 0, "0000");
	t = elapsed_s(&t0);
	if (t < 0.065 || t > 5.0)
		fail_msg("BROM on a usb2-hs port: SEND_DA of 64 KiB took %.3f s, not full speed", t);
	dev_stop(&d);
}

/* The latency is paid per transfer (per direction turnaround), not per read
 * the device makes: WRITE16 without echo reads its 500 halfwords one by one
 * from a single 1000-byte host write.  Model: 1 ms + 1 ms for the data, then
 * 1 ms + 2 us for the status; per read it would be over 500 ms. */
static void test_link_latency_per_transfer(void **state)
{
	(void)state;
	uint8_t data[1000];
	fill_da(data, sizeof data);
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .speed = "usb2-fs");
	handshake(&d);
	script(&d, "> d3 < d3 > 00200000 < 00200000 > 000001f4 < 000001f4 0001");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	put_bytes(&d, data, sizeof data);
	expect(&d, "0001");
	double t = elapsed_s(&t0);
	if (t < 0.003 || t > 0.25)
		fail_msg("usb2-fs: 1000 bytes in one transfer and a status took %.3f s", t);
	dev_stop(&d);
}

/* ---- options ----------------------------------------------------------------------------------- */

static void expect_new_error(struct mtkemu_options o, const char *want)
{
	struct mtkemu *e = NULL;
	char err[512] = "";
	assert_int_equal(mtkemu_new(&o, &e, err, sizeof err), -1);
	assert_null(e);
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_option_errors(void **state)
{
	(void)state;
	struct mtkemu_options o = { .chip = "mt1234" };
	expect_new_error(o, "unknown chip 'mt1234' (known: mt6572, mt6580, mt6582, mt6735, mt6737,");
	o = (struct mtkemu_options){ .chip = "mt6765", .faults = "x" };
	expect_new_error(o, "unknown fault 'x' (known: unplug-at=BYTES, power-loss-at=BYTES, da-hang-at=BYTES");
	o.faults = "unplug-at";
	expect_new_error(o, "unplug-at needs a byte count");
	o.faults = "boot-on-at";
	expect_new_error(o, "boot-on-at needs a byte count");
	o.faults = "disconnect-after";
	expect_new_error(o, "disconnect-after needs a byte count");
	o.faults = "da-hang-at-cmd=0";
	expect_new_error(o, "da-hang-at-cmd needs a command number from 1");
	o.faults = "stall-after=12q";
	expect_new_error(o, "stall-after: '12q' is not a byte count");
	o.faults = "corrupt-write=cache:0:1";
	expect_new_error(o, "unknown region 'cache'");
	o.faults = "corrupt-write=user:10";
	expect_new_error(o, "corrupt-write needs REGION:OFFSET:LEN");
	o.faults = "pause-at-write";
	expect_new_error(o, "pause-at-write needs REGION:OFFSET:LEN");
	o.faults = "da-silent,,da-silent";
	expect_new_error(o, "empty entry");
	o.faults = NULL;
	o.speed = "usb3";
	expect_new_error(o, "unknown link speed 'usb3' (known: usb2-hs, usb2-fs, none)");
	o.speed = NULL;
	o.mode = "meta";
	expect_new_error(o, "unknown mode 'meta' (known: brom, preloader)");
	o.mode = NULL;
	o.security = "sbc,foo";
	expect_new_error(o, "unknown security flag 'foo'");
	o.security = NULL;
	o.preloader = "fancy";
	expect_new_error(o, "unknown preloader model 'fancy' (known: real, simple)");
}

static void test_fault_spec_parsed(void **state)
{
	(void)state;
	struct mtkemu_options o = { .chip = "MT6765",
				    .faults = "corrupt-write=user:0x100000:4K,da-silent,corrupt-write=boot1:512:1" };
	struct mtkemu *e;
	char err[256];
	assert_int_equal(mtkemu_new(&o, &e, err, sizeof err), 0);
	const struct emu_fault_corrupt *c;
	assert_int_equal(emu_fault_corrupt_writes(e, &c), 2);
	assert_string_equal(c[0].region, "user");
	assert_int_equal(c[0].offset, 0x100000);
	assert_int_equal(c[0].len, 4096);
	assert_string_equal(c[1].region, "boot1");
	assert_int_equal(c[1].offset, 512);
	assert_true(emu_fault_da_silent(e));
	assert_string_equal(e->prof->name, "mt6765");
	mtkemu_free(e);
}

static void test_identity_deterministic(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-emu-id-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[64];
	snprintf(sub, sizeof sub, "%s/phone", dir);
	struct mtkemu_options o = { .chip = "mt6765", .state_dir = sub };
	struct mtkemu *a, *b, *c;
	char err[256];
	assert_int_equal(mtkemu_new(&o, &a, err, sizeof err), 0); /* creates the missing directory */
	/* One emulator per state folder at a time (the folder is locked). */
	assert_int_equal(mtkemu_new(&o, &b, err, sizeof err), -1);
	assert_non_null(strstr(err, "is in use by another emulator"));
	uint8_t me_id[16], soc_id[32];
	memcpy(me_id, a->me_id, 16);
	memcpy(soc_id, a->soc_id, 32);
	mtkemu_free(a);
	assert_int_equal(mtkemu_new(&o, &b, err, sizeof err), 0);
	assert_memory_equal(me_id, b->me_id, 16);
	assert_memory_equal(soc_id, b->soc_id, 32);
	o.state_dir = NULL; /* a private temp dir: another device */
	assert_int_equal(mtkemu_new(&o, &c, err, sizeof err), 0);
	assert_memory_not_equal(me_id, c->me_id, 16);
	char tmpdir[4096];
	snprintf(tmpdir, sizeof tmpdir, "%s", c->state_dir);
	mtkemu_free(c);
	assert_int_equal(access(tmpdir, F_OK), -1); /* removed at free */
	mtkemu_free(b);

	/* Another chip in the same directory is refused. */
	o = (struct mtkemu_options){ .chip = "mt6737", .state_dir = sub };
	expect_new_error(o, "identity.ini:2: this state directory is a mt6765, not a mt6737");
	/* A bad identity file names the line. */
	char path[128];
	snprintf(path, sizeof path, "%s/identity.ini", sub);
	FILE *f = fopen(path, "w");
	fprintf(f, "chip=mt6765\n# comment\nme_id=zz\n");
	fclose(f);
	o.chip = "mt6765";
	expect_new_error(o, "identity.ini:3: me_id must be 32 hex digits");
	mtk_remove_tree(dir);
}

/* ---- a scripted host on a virtual clock ---------------------------------- */

struct vclock {
	uint64_t now;
	unsigned sleeps;
};

static uint64_t vclock_now(void *user)
{
	return ((struct vclock *)user)->now;
}

static void vclock_sleep_until(void *user, uint64_t t)
{
	struct vclock *v = user;
	v->sleeps++;
	if (t > v->now)
		v->now = t;
}

struct answers {
	uint8_t b[64];
	size_t n;
};

static void collect(void *user, const uint8_t *buf, size_t len)
{
	struct answers *a = user;
	for (size_t i = 0; i < len && a->n < sizeof a->b; i++)
		a->b[a->n++] = buf[i];
}

/* The handshake and GET_HW_CODE from a host known in advance, on the
 * usb2-fs link model: the answers are those of brom-protocol.md, the link
 * model's sleeps all land on the virtual clock (one 1 ms latency per
 * turnaround at least), and the session ends when the script does. */
static void test_script_on_virtual_clock(void **state)
{
	(void)state;
	struct vclock v = { .now = 5000000000ull };
	struct mtkemu_clock clock = { vclock_now, vclock_sleep_until, &v };
	struct mtkemu_options o = { .chip = "mt6737", .mode = "brom", .speed = "usb2-fs", .clock = &clock };
	struct mtkemu *e;
	char err[256];
	assert_int_equal(mtkemu_new(&o, &e, err, sizeof err), 0);
	static const uint8_t host[] = { 0xA0, 0x0A, 0x50, 0x05, 0xFD };
	struct answers a = { .n = 0 };
	struct mtkemu_host_script h = { .in = host, .len = sizeof host, .sink = collect, .user = &a };
	assert_int_equal(mtkemu_serve_script(e, &h), MTKEMU_END_CLOSED);
	static const uint8_t want[] = { 0x5F, 0xF5, 0xAF, 0xFA, 0xFD, 0x03, 0x35, 0x00, 0x00 }; /* MT6737: 0x0335 */
	assert_int_equal(a.n, sizeof want);
	assert_memory_equal(a.b, want, sizeof want);
	assert_true(v.sleeps > 0);
	assert_true(v.now >= 5000000000ull + 5 * 1000000ull);
	/* Out of bytes at once: a second script with none ends at once too. */
	struct mtkemu_host_script none = { .in = host, .len = 0 };
	assert_int_equal(mtkemu_serve_script(e, &none), MTKEMU_END_CLOSED);
	mtkemu_free(e);
}

/* A host that writes a whole request at once (WRITE16: command, address,
 * count and data in one write) and then reads the echoes: the bytes the
 * device reads after its first echo were in that one transfer, so the
 * exchange costs two turnarounds (request, replies), not one per field.
 * On the usb2-fs model (1 ms per turnaround, 1 MB/s) and a virtual clock:
 * 1 ms + the 1009 bytes + 1 ms + the echoes, about 3.02 ms; booked field
 * by field it would be over 9 ms. */
static void test_link_request_in_one_transfer(void **state)
{
	(void)state;
	struct vclock v = { .now = 5000000000ull };
	struct mtkemu_clock clock = { vclock_now, vclock_sleep_until, &v };
	struct dev d;
	START(&d, .chip = "mt6765", .mode = "brom", .speed = "usb2-fs", .clock = &clock);
	handshake(&d);
	uint8_t req[9 + 1000];
	size_t n = unhex("d3 00200000 000001f4", req, sizeof req);
	fill_da(req + n, 1000);
	uint64_t t0 = v.now; /* the device booked the handshake's last reply before sending it */
	put_bytes(&d, req, n + 1000);
	expect(&d, "d3 00200000 000001f4 0001 0001");
	dev_stop(&d);
	uint64_t took = v.now - t0;
	if (took < 3000000 || took > 3100000)
		fail_msg("usb2-fs: a 1009-byte request sent at once and its echoes took %llu ns of link time, "
			 "wanted about 3.02 ms", (unsigned long long)took);
}

static void test_chip_names(void **state)
{
	(void)state;
	static const char *const want[] = { "mt6572", "mt6580", "mt6582", "mt6735", "mt6737", "mt6739",
					    "mt6750", "mt6753", "mt6755", "mt6757", "mt6761", "mt6762",
					    "mt6763", "mt6765", "mt6768", "mt6771", "mt6785", "mt6797" };
	const char *const *n = mtkemu_chip_names();
	size_t i = 0;
	for (; n[i]; i++) {
		assert_true(i < sizeof want / sizeof want[0]);
		assert_string_equal(n[i], want[i]);
		const struct emu_profile *p = emu_profile_find(n[i]);
		assert_non_null(p);
		assert_int_equal(p->brom_ver, 5);
		assert_int_equal(p->target_config, 0);
		assert_int_equal(p->user_size, (strcmp(n[i], "mt6785") == 0 ? 16ull : 8ull) << 30);
	}
	assert_int_equal(i, sizeof want / sizeof want[0]);
	assert_int_equal(emu_profile_find("mt6737")->hw_code, 0x0335);
	assert_int_equal(emu_profile_find("mt6737")->da_family, EMU_DA_LEGACY);
	assert_int_equal(emu_profile_find("mt6765")->da_family, EMU_DA_XFLASH);
	assert_int_equal(emu_profile_find("mt6582")->table, EMU_TABLE_PMT_MBR);
	assert_int_equal(emu_profile_find("mt6797")->hw_ver, 0x8A00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_brom),
		cmocka_unit_test(test_handshake_mismatch),
		cmocka_unit_test(test_handshake_preloader_repeated_a0),
		cmocka_unit_test(test_brom_commands_mt6765),
		cmocka_unit_test(test_brom_commands_mt6737),
		cmocka_unit_test(test_preloader_commands_mt6765),
		cmocka_unit_test(test_preloader_commands_mt6737),
		cmocka_unit_test(test_golden_brom),
		cmocka_unit_test(test_golden_preloader),
		cmocka_unit_test(test_write_read_roundtrip),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_send_da_checks),
		cmocka_unit_test(test_unknown_command_echo),
		cmocka_unit_test(test_secure_sla_brom),
		cmocka_unit_test(test_secure_daa_brom),
		cmocka_unit_test(test_secure_auth_test_key),
		cmocka_unit_test(test_secure_hex_and_mem_auth),
		cmocka_unit_test(test_secure_preloader_sbc_reboots),
		cmocka_unit_test(test_session_survives_reopen_brom),
		cmocka_unit_test(test_session_survives_reopen_preloader),
		cmocka_unit_test(test_real_preloader_eats_first_a0),
		cmocka_unit_test(test_start_command_times_out),
		cmocka_unit_test(test_listen_window_closes),
		cmocka_unit_test(test_replug_and_power_cycle),
		cmocka_unit_test(test_fault_disconnect),
		cmocka_unit_test(test_fault_stall_and_da_silent),
		cmocka_unit_test(test_link_pacing),
		cmocka_unit_test(test_link_latency_per_transfer),
		cmocka_unit_test(test_link_request_in_one_transfer),
		cmocka_unit_test(test_option_errors),
		cmocka_unit_test(test_script_on_virtual_clock),
		cmocka_unit_test(test_fault_spec_parsed),
		cmocka_unit_test(test_identity_deterministic),
		cmocka_unit_test(test_chip_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
