/* SPDX-License-Identifier: MIT */
/* The legacy DA client against scripted device answers: the host's bytes are
 * pinned exactly as da-legacy.md §8.2 (MT6580, BROM mode) and §4.5–§4.9 give
 * them, from DA1's sync to FINISH. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ctx.h"
#include "da/legacy_priv.h"
#include "da/da_priv.h" /* white-box: a session filled by hand */
#include "mtkflash/status.h"
#include "script_tp.h"

#define MiB 0x100000u

struct fx {
	mtk_ctx *ctx;
	struct script sc;
	struct mtk_transport tp;
	struct mtk_da da;
	uint8_t *da2;
};

static uint16_t sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return (uint16_t)s;
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	sc_transport(&f->tp, f->ctx, &f->sc);
	f->da.ctx = f->ctx;
	f->da.tp = &f->tp;
	f->da.brom.ctx = f->ctx;
	f->da.brom.tp = &f->tp;
	f->da.brom.info.hw_code = 0x6580;
	f->da.brom.info.brom_ver = 0x05;
	f->da.brom.info.bl_ver = 0xFE;
	f->da.brom.info.mode = MTK_MODE_BROM;
	f->da2 = malloc(0x5100);
	for (size_t i = 0; i < 0x5100; i++)
		f->da2[i] = (uint8_t)(i * 7 + 3);
	f->da.choice.da2.addr = 0x80000000;
	f->da.choice.da2.data = f->da2;
	f->da.choice.da2.len = 0x5100;
	f->da.choice.da2.sig_len = 0x100;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->da.ops)
		f->da.ops->destroy(&f->da);
	sc_free(&f->sc);
	free(f->da2);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* The 236-byte DA2 report of a 4 MiB-boot, 7.28 GiB-user eMMC phone (§4.7). */
static void dev_report(struct script *s, uint64_t boot, uint64_t user)
{
	uint8_t r[236];
	memset(r, 0, sizeof r);
	be32(r, 0xBC7);           /* NOR: not found */
	be32(r + 28, 0xBC4);      /* NAND: not found, 64-bit layout ... */
	r[28 + 15 + 1] = 7;       /* ... with K = 7 zero device codes */
	uint8_t *e = r + 28 + 17 + 14 + 9;
	be64(e + 4, boot);
	be64(e + 12, boot);
	be64(e + 20, 0x400000);   /* rpmb */
	be64(e + 60, user);
	memcpy(e + 68, "\x90\x01\x4a\x48\x41\x47\x34\x65\x04\x12\x34\x56\x78\xa1\x23\x00", 16);
	uint8_t *c = e + 92 + 28;
	be32(c + 4, 0x20000);          /* int SRAM */
	be64(c + 14, 0x40000000);      /* ext RAM 1 GiB */
	uint8_t *pass = c + 38;
	pass[0] = 0x5A;
	pass[9] = 0xC1;
	assert_int_equal(pass + 10 - r, 236);
	sc_add(s, 'D', r, sizeof r);
}

/* §8.2 from DA1's sync to the post-connect speed check. */
static void script_connect(struct fx *f)
{
	struct script *s = &f->sc;
	sc_hex(s, 'D', "C0 00000BC4 0000 00000000 90014A48 41473465 04123456 78A12300");
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "04 01 00");
	sc_hex(s, 'H', "05 FE 0008 00 7007FFFF 01 00000000 01 01 02 00 | 00000001 4646"
		       "0000000000000000000000000000 FF000000");
	sc_hex(s, 'D', "00000000");
	sc_hex(s, 'H', "80000000 00005100 00001000");
	sc_hex(s, 'D', "5A");
	for (uint32_t off = 0; off < 0x5100; off += 0x1000) {
		uint32_t n = 0x5100 - off < 0x1000 ? 0x5100 - off : 0x1000;
		sc_add(s, 'H', f->da2 + off, n);
		sc_hex(s, 'D', "5A");
	}
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "5A");
	dev_report(s, 0x400000, 0x1D2000000ull);
	sc_hex(s, 'H', "72");
	sc_hex(s, 'D', "5A 01");
}

static void assert_script_ok(struct fx *f, int rc)
{
	if (rc < 0 || f->sc.failure[0])
		fail_msg("rc %d: %s | script: %s", rc, mtk_ctx_error(f->ctx), f->sc.failure);
}

static void test_connect(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	int rc = mtk_da_legacy_start(&f->da, NULL);
	assert_script_ok(f, rc);
	assert_true(sc_done(&f->sc));
	const struct mtk_da_storage *st = &f->da.storage;
	assert_int_equal(st->type, MTK_STORAGE_EMMC);
	assert_int_equal(st->regions.size[MTK_REGION_BOOT1], 0x400000);
	assert_int_equal(st->regions.size[MTK_REGION_BOOT2], 0x400000);
	assert_int_equal(st->regions.size[MTK_REGION_RPMB], 0x400000);
	assert_int_equal(st->regions.size[MTK_REGION_USER], 0x1D2000000ull);
	assert_int_equal(st->cid[0], 0x90);
	assert_int_equal(st->cid[15], 0x00);
	assert_int_equal(st->ext_ram_size, 0x40000000);
	assert_int_equal(st->usb_speed, 1);
	assert_int_equal(st->da_version[0], 4);
}

struct collect {
	uint8_t *buf;
	size_t len;
};

static int collect_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct collect *c = user;
	assert_true(off + len <= c->len);
	memcpy(c->buf + off, buf, len);
	return 0;
}

static void dev_packet(struct script *s, const uint8_t *data, size_t n)
{
	uint8_t sum[2] = { (uint8_t)(sum16(data, n) >> 8), (uint8_t)sum16(data, n) };
	sc_add(s, 'D', data, n);
	sc_add(s, 'D', sum, 2);
}

/* A read of 1 MiB + 0x200 at 0x1000 of the user area: two packets (§4.9). */
static void test_read_two_packets(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	size_t len = MiB + 0x200;
	uint8_t *want = malloc(len), *got = calloc(1, len);
	for (size_t i = 0; i < len; i++)
		want[i] = (uint8_t)(i ^ (i >> 9));
	struct script *s = &f->sc;
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "08");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "D6 0C 02 0000000000001000 0000000000100200 00100000");
	sc_hex(s, 'D', "5A");
	dev_packet(s, want, MiB);
	sc_hex(s, 'H', "5A");
	dev_packet(s, want + MiB, 0x200);
	sc_hex(s, 'H', "5A");
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	struct collect c = { got, len };
	int rc = mtk_da_read(&f->da, "reading test", MTK_REGION_USER, 0x1000, len, collect_sink, &c);
	assert_script_ok(f, rc);
	assert_true(sc_done(&f->sc));
	assert_memory_equal(want, got, len);
	free(want);
	free(got);
}

/* One READ command of `len` bytes at `off` of the user area, 1 MiB packets. */
static void script_read_cmd(struct script *s, uint64_t off, uint64_t len, const uint8_t *data)
{
	uint8_t hdr[23] = { 0xD6, 0x0C, 0x02 };
	be64(hdr + 3, off);
	be64(hdr + 11, len);
	be32(hdr + 19, MiB);
	sc_add(s, 'H', hdr, sizeof hdr);
	sc_hex(s, 'D', "5A");
	for (uint64_t at = 0; at < len; at += MiB) {
		dev_packet(s, data + at, len - at < MiB ? (size_t)(len - at) : MiB);
		sc_hex(s, 'H', "5A");
	}
}

/* What a sink saw of a read, and where the script stood at each call. */
struct streamed {
	uint8_t *buf;
	size_t len, calls, end;
	const struct script *s;
	size_t first_packet_calls_before_ack; /* calls made while packet 0 was still arriving */
	size_t packet0_step;
};

static int streamed_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct streamed *t = user;
	assert_int_equal(off, t->end); /* in order, nothing twice */
	assert_true(off + len <= t->len);
	/* whole 64 KiB steps from a packet's start, but for the rest of a packet */
	assert_int_equal(off % MiB % 0x10000, 0);
	memcpy(t->buf + off, buf, len);
	t->end = off + len;
	t->calls++;
	if (t->s->cur == t->packet0_step)
		t->first_packet_calls_before_ack++;
	return 0;
}

/* A packet reaches the sink while it streams in, 64 KiB at a time from its
 * start, however the port splits the bytes; the rest after the ACK. */
static void test_read_streams_to_sink(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	size_t len = MiB + 0x30200;
	uint8_t *want = malloc(len), *got = calloc(1, len);
	for (size_t i = 0; i < len; i++)
		want[i] = (uint8_t)(i * 5 ^ (i >> 10));
	struct script *s = &f->sc;
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "08");
	sc_hex(s, 'D', "5A");
	size_t packet0 = s->n + 1; /* after the command: one step with its 5A */
	script_read_cmd(s, 0x1000, len, want);
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	f->sc.max_read = 5000;
	struct streamed t = { .buf = got, .len = len, .s = &f->sc, .packet0_step = packet0 };
	int rc = mtk_da_read(&f->da, "reading test", MTK_REGION_USER, 0x1000, len, streamed_sink, &t);
	assert_script_ok(f, rc);
	assert_true(sc_done(&f->sc));
	assert_int_equal(t.end, len);
	assert_memory_equal(want, got, len);
	/* 15 steps of the first packet as each is in, its last after the
	 * ACK; of the second packet (0x30200 bytes) 3 steps, then its last
	 * 0x200 bytes. */
	assert_int_equal(t.first_packet_calls_before_ack, 15);
	assert_int_equal(t.calls, 15 + 1 + 3 + 1);
	free(want);
	free(got);
}

struct vclock {
	long long now;
};

static long long vclock_now(void *user)
{
	return ((struct vclock *)user)->now;
}

static void vclock_sleep(void *user, int ms)
{
	((struct vclock *)user)->now += ms;
}

/* A sink on a slow link: each packet costs 100 ms of the virtual clock. */
struct slow_sink {
	struct collect c;
	struct vclock *v;
};

static int slow_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct slow_sink *s = user;
	s->v->now += 100;
	return collect_sink(&s->c, off, buf, len);
}

/* A long transfer goes as commands that start at 4 MiB and double while
 * one takes under 250 ms (here: no time at all), so 28 MiB is 4 + 8 + 16;
 * the size carries over to the next transfer, and a full command that
 * takes over 500 ms halves it again. */
static void test_commands_grow_on_a_fast_link(void **state)
{
	struct fx *f = *state;
	struct vclock v = { 1000 };
	struct mtk_clock clock = { vclock_now, vclock_sleep, &v };
	mtk_ctx_set_clock(f->ctx, &clock);
	script_connect(f);
	size_t len = 28 * MiB;
	uint8_t *want = malloc(len), *got = calloc(1, len);
	for (size_t i = 0; i < len; i++)
		want[i] = (uint8_t)(i * 131 + (i >> 20));
	struct script *s = &f->sc;
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "08");
	sc_hex(s, 'D', "5A");
	script_read_cmd(s, 0, 4 * MiB, want);
	script_read_cmd(s, 4 * MiB, 8 * MiB, want + 4 * MiB);
	script_read_cmd(s, 12 * MiB, 16 * MiB, want + 12 * MiB);
	script_read_cmd(s, 0, 8 * MiB, want); /* one command: the size carried over */
	script_read_cmd(s, 0, 8 * MiB, want); /* the slow link's, below */
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	struct collect c = { got, len };
	assert_script_ok(f, mtk_da_read(&f->da, "reading test", MTK_REGION_USER, 0, len, collect_sink, &c));
	assert_memory_equal(want, got, len);
	assert_int_equal(f->da.piece, 32 * MiB);
	c.len = 8 * MiB;
	assert_script_ok(f, mtk_da_read(&f->da, "reading test", MTK_REGION_USER, 0, 8 * MiB, collect_sink, &c));
	assert_int_equal(f->da.piece, 32 * MiB); /* a transfer's short tail changes nothing */
	/* A slow link: a whole command that takes 800 ms halves the next. */
	f->da.piece = 8 * MiB;
	struct slow_sink slow = { { got, 8 * MiB }, &v };
	assert_script_ok(f, mtk_da_read(&f->da, "reading test", MTK_REGION_USER, 0, 8 * MiB, slow_sink, &slow));
	assert_int_equal(f->da.piece, 4 * MiB);
	assert_true(sc_done(&f->sc));
	free(want);
	free(got);
}

static void test_read_bad_checksum(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	struct script *s = &f->sc;
	uint8_t data[0x200];
	memset(data, 1, sizeof data);
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "01");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "D6 0C 02 0000000000000000 0000000000000200 00100000");
	sc_hex(s, 'D', "5A");
	sc_add(s, 'D', data, sizeof data);
	sc_hex(s, 'D', "0201"); /* the right sum is 0x0200 (§6.2 example) */
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	uint8_t got[0x200];
	int rc = mtk_da_read_buf(&f->da, MTK_REGION_BOOT1, 0, got, sizeof got);
	assert_int_equal(rc, MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "checksum 0x0200"));
}

static void test_read_refused(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	struct script *s = &f->sc;
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "08");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "D6 0C 02 0000000000000000 0000000000000200 00100000");
	sc_hex(s, 'D', "A5");
	sc_hex(s, 'H', "A5");
	sc_hex(s, 'D', "DF0B0000"); /* u32 LE 0xBDF */
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	uint8_t got[0x200];
	int rc = mtk_da_read_buf(&f->da, MTK_REGION_USER, 0, got, sizeof got);
	assert_int_equal(rc, MTK_E_STATUS);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "0xbdf"));
}

struct src {
	const uint8_t *data;
	size_t len;
	size_t chunk; /* hand out at most this much per call, to test refilling */
};

static int src_fn(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	struct src *s = user;
	if (off >= s->len)
		return 0;
	size_t n = s->len - off;
	if (n > len)
		n = len;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->data + off, n);
	return (int)n;
}

/* §4.9's observed write: 0x180123 bytes go out as 0x100000 + 0x80200. */
static void script_write(struct script *s, const uint8_t *data, size_t len, uint8_t *padded)
{
	memset(padded, 0, 0x180200);
	memcpy(padded, data, len);
	sc_hex(s, 'H', "62 01 08 0000000000200000 0000000000180200 00100000");
	sc_hex(s, 'D', "5A");
	const size_t sizes[2] = { MiB, 0x80200 };
	size_t off = 0;
	for (int i = 0; i < 2; i++) {
		uint16_t sum = sum16(padded + off, sizes[i]);
		uint8_t sb[2] = { (uint8_t)(sum >> 8), (uint8_t)sum };
		sc_hex(s, 'H', "5A");
		sc_add(s, 'H', padded + off, sizes[i]);
		sc_add(s, 'H', sb, 2);
		sc_hex(s, 'D', "69");
		off += sizes[i];
	}
}

static void test_write_padded(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	size_t len = 0x180123;
	uint8_t *data = malloc(len), *padded = malloc(0x180200);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 13 + (i >> 11));
	script_write(&f->sc, data, len, padded);
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	struct src src = { data, len, 0x12345 };
	/* The writer's deferred work runs while the DA stores the last packet. */
	struct sc_idle idle = { .s = &f->sc };
	mtk_da_set_write_idle(&f->da, sc_note_idle, &idle);
	int rc = mtk_da_write(&f->da, "writing recovery", MTK_REGION_USER, 0x200000, len, src_fn, &src);
	assert_script_ok(f, rc);
	assert_true(sc_done(&f->sc));
	assert_true(sc_idle_before_last_answer(&idle));
	free(data);
	free(padded);
}

/* A read of 0x200 bytes at 0x1000 of the current partition. */
static void script_read_sector(struct script *s, const uint8_t *sector)
{
	sc_hex(s, 'H', "D6 0C 02 0000000000001000 0000000000000200 00100000");
	sc_hex(s, 'D', "5A");
	dev_packet(s, sector, 0x200);
	sc_hex(s, 'H', "5A");
}

/* Whether WRITE_DATA (0x62) moves the DA's current partition is not known,
 * but a write to the partition already switched to leaves it there either
 * way: the read after it sends no SWITCH_PART.  After a write elsewhere
 * the partition is unknown and the next read switches again. */
static void test_switch_part_after_write(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	size_t len = 0x180123;
	uint8_t sector[0x200], got[0x200], *data = malloc(len), *padded = malloc(0x180200);
	memset(sector, 0xA5, sizeof sector);
	memset(data, 0x3C, len);
	struct script *s = &f->sc;
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "08");
	sc_hex(s, 'D', "5A");
	script_read_sector(s, sector);
	script_write(s, data, len, padded);
	script_read_sector(s, sector); /* same partition: no 60 */
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "01");
	sc_hex(s, 'D', "5A");
	script_read_sector(s, sector); /* boot1 */
	script_write(s, data, len, padded); /* the user area again, from boot1 */
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "01");
	sc_hex(s, 'D', "5A");
	script_read_sector(s, sector); /* boot1 is not known to be current any more */
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	struct collect c = { got, sizeof got };
	struct src src = { data, len, 0x12345 };
	static const enum mtk_region reads[] = { MTK_REGION_USER, MTK_REGION_USER, MTK_REGION_BOOT1, MTK_REGION_BOOT1 };
	for (int i = 0; i < 4; i++) {
		assert_script_ok(f, mtk_da_read(&f->da, "reading", reads[i], 0x1000, sizeof got, collect_sink, &c));
		if (i % 2 == 0)
			assert_script_ok(f, mtk_da_write(&f->da, "writing", MTK_REGION_USER, 0x200000, len, src_fn, &src));
	}
	assert_true(sc_done(&f->sc));
	assert_memory_equal(got, sector, sizeof got);
	free(data);
	free(padded);
}

/* The link drops before the second packet is acknowledged: the error says
 * where the write stopped. */
static void test_write_disconnect(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	struct script *s = &f->sc;
	size_t len = 2 * MiB;
	uint8_t *data = calloc(1, len);
	sc_hex(s, 'H', "62 01 01 0000000000000000 0000000000200000 00100000");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "5A");
	sc_add(s, 'H', data, MiB);
	sc_hex(s, 'H', "0000");
	sc_hex(s, 'D', "69");
	sc_hex(s, 'H', "5A");
	sc_add(s, 'H', data, MiB);
	sc_hex(s, 'H', "0000");
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	struct src src = { data, len, len };
	int rc = mtk_da_write(&f->da, "writing preloader", MTK_REGION_BOOT1, 0, len, src_fn, &src);
	assert_int_equal(rc, MTK_E_DISCONNECTED);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "offset 0x100000"));
	free(data);
}

/* Erase: switch to the user area, FORMAT, two progress reports (§4.9). */
static void test_erase(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	struct script *s = &f->sc;
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "08");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "D4 02 00 00 00 0000000000300000 0000000000100000");
	sc_hex(s, 'D', "5A 5A 00000000 32");
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "5A 5A 00000000 64");
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "5A 5A");
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	int rc = mtk_da_erase(&f->da, "erasing cache", MTK_REGION_USER, 0x300000, MiB);
	assert_script_ok(f, rc);
	assert_true(sc_done(&f->sc));
}

/* A refused WRITE_DATA header (A5, then the status word unasked): the message
 * gives the status and says nothing was written; no data was pulled. */
static void test_write_refused(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	struct script *s = &f->sc;
	sc_hex(s, 'H', "62 01 08 0000000000300000 0000000000000200 00100000");
	sc_hex(s, 'D', "A5 730C0000");
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	uint8_t data[0x200] = { 1 };
	struct src src = { data, sizeof data, 0 }; /* chunk 0: a pull would return nothing */
	int rc = mtk_da_write(&f->da, "writing boot", MTK_REGION_USER, 0x300000, sizeof data, src_fn, &src);
	assert_int_equal(rc, MTK_E_STATUS);
	const char *m = mtk_ctx_error(f->ctx);
	assert_non_null(strstr(m, "writing boot"));
	assert_non_null(strstr(m, "0xc73 (S_DA_UNSUPPORTED_OPERATION: often write-protected storage"));
	assert_string_equal(mtk_ctx_error_status(f->ctx), "S_DA_UNSUPPORTED_OPERATION");
	assert_non_null(strstr(m, "nothing was changed"));
	assert_true(sc_done(&f->sc));
}

/* A refused FORMAT: A5 and the status, not a progress report to wait out. */
static void test_erase_refused(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	struct script *s = &f->sc;
	sc_hex(s, 'H', "60");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "08");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "D4 02 00 00 00 0000000000300000 0000000000100000");
	sc_hex(s, 'D', "A5 730C0000");
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	int rc = mtk_da_erase(&f->da, "erasing cache", MTK_REGION_USER, 0x300000, MiB);
	assert_int_equal(rc, MTK_E_STATUS);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "erasing cache: the DA refused the erase with status 0xc73"));
	assert_true(sc_done(&f->sc));
}

static void test_read_pmt_and_finish(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	struct script *s = &f->sc;
	uint8_t rec[0x60];
	memset(rec, 0, sizeof rec);
	strcpy((char *)rec, "PRELOADER");
	rec[0x40 + 2] = 0x04;  /* size 0x40000 (LE) */
	rec[0x48] = 0xFF;
	sc_hex(s, 'H', "A5");
	sc_hex(s, 'D', "5A 00000060");
	sc_hex(s, 'H', "5A");
	sc_add(s, 'D', rec, sizeof rec);
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'H', "D9");
	sc_hex(s, 'D', "5A");
	sc_hex(s, 'H', "00000000");
	sc_hex(s, 'D', "5A");
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	uint8_t *pmt = NULL;
	size_t n = 0;
	assert_script_ok(f, f->da.ops->read_pmt(&f->da, &pmt, &n));
	assert_int_equal(n, 0x60);
	assert_memory_equal(pmt, rec, 0x60);
	free(pmt);
	assert_script_ok(f, mtk_da_finish(&f->da, MTK_FINISH_NORMAL));
	assert_true(sc_done(&f->sc));
	/* The session is over: no more commands go out. */
	uint8_t b[512];
	assert_int_equal(mtk_da_read_buf(&f->da, MTK_REGION_USER, 0, b, sizeof b), MTK_E_INVAL);
}

/* A DA that resets on FINISH without answering the mode word is fine. */
static void test_finish_without_mode_ack(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	sc_hex(&f->sc, 'H', "D9");
	sc_hex(&f->sc, 'D', "5A");
	sc_hex(&f->sc, 'H', "00000000");
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	assert_int_equal(mtk_da_finish(&f->da, MTK_FINISH_NORMAL), 0);
}

/* An EMI table whose record 0 is an eMMC MCP part with this 9-byte flash id. */
static struct mtk_emi_table emmc_table(uint32_t count, uint32_t record_size, const char *id_hex)
{
	struct mtk_emi_table t = { .count = count, .record_size = record_size, .described = count };
	t.rec[0].type = 0x0203; /* eMMC MCP, LPDDR3 */
	t.rec[0].id_len = 9;
	for (int i = 0; i < 9; i++)
		sscanf(id_hex + 2 * i, "%2hhx", &t.rec[0].id[i]);
	for (uint32_t i = 1; i < count; i++)
		t.rec[i] = (struct mtk_emi_record){ .type = 0x0203, .id_len = 9, .id = { 0x15, 0x01, 0x00 } };
	return t;
}

/* Result 0xBC3: the EMI v0x15 exchange of §4.5's transcript, two 0xBC-byte records. */
static void test_emi_upload(void **state)
{
	struct fx *f = *state;
	struct script *s = &f->sc;
	f->da.brom.info.hw_code = 0x0321; /* MT6735: no stage-2 tail */
	uint8_t emi[0x178];
	for (size_t i = 0; i < sizeof emi; i++)
		emi[i] = (uint8_t)(0xA0 + i);
	sc_hex(s, 'D', "C0 00000BC4 0000 00000000 90014A48 41473465 04123456 78A12300");
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "04 01 00");
	sc_hex(s, 'H', "05 FE 0008 00 7007FFFF 01 00000000 01 01 02 00");
	sc_hex(s, 'D', "00000BC3 00000000 90014A48414734650412345678A12300 00000BC4 0000");
	sc_hex(s, 'H', "E8 00000015");
	sc_hex(s, 'D', "5A 000000BC");
	sc_hex(s, 'H', "5A 00000178");
	sc_add(s, 'H', emi, sizeof emi);
	sc_hex(s, 'D', "1234");
	sc_hex(s, 'H', "5A 80000001");
	sc_hex(s, 'D', "00000000 02 00 0000000040000000");
	sc_hex(s, 'H', "80000000 00005100 00001000");
	sc_hex(s, 'D', "5A");
	for (uint32_t off = 0; off < 0x5100; off += 0x1000) {
		uint32_t n = 0x5100 - off < 0x1000 ? 0x5100 - off : 0x1000;
		sc_add(s, 'H', f->da2 + off, n);
		sc_hex(s, 'D', "5A");
	}
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "5A");
	dev_report(s, 0x400000, 0x1D2000000ull);
	sc_hex(s, 'H', "72");
	sc_hex(s, 'D', "5A 01");
	struct mtk_emi_table t = emmc_table(2, 0xBC, "90014A484147346504");
	struct mtk_da_emi e = { emi, sizeof emi, 0x15, &t, emi, sizeof emi };
	assert_script_ok(f, mtk_da_legacy_start(&f->da, &e));
	assert_true(sc_done(&f->sc));
	assert_true(f->da.storage.dram_configured_by_host);
	assert_int_equal(f->da.storage.ext_ram_size, 0x40000000);
}

/* An EMI version outside §4.5's table: no record length either way, the
 * payload follows the DA's 5A; then the checksum and apply as usual. */
static void test_emi_other_version(void **state)
{
	struct fx *f = *state;
	struct script *s = &f->sc;
	f->da.brom.info.hw_code = 0x0321;
	uint8_t emi[0xC0];
	for (size_t i = 0; i < sizeof emi; i++)
		emi[i] = (uint8_t)(0x11 * i);
	sc_hex(s, 'D', "C0 00000BC4 0000 00000000 90014A48 41473465 04123456 78A12300");
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "04 01 00");
	sc_hex(s, 'H', "05 FE 0008 00 7007FFFF 01 00000000 01 01 02 00");
	sc_hex(s, 'D', "00000BC3 00000000 90014A48414734650412345678A12300 00000BC4 0000");
	sc_hex(s, 'H', "E8 00000018");
	sc_hex(s, 'D', "5A");
	sc_add(s, 'H', emi, sizeof emi);
	sc_hex(s, 'D', "1234");
	sc_hex(s, 'H', "5A 80000001");
	sc_hex(s, 'D', "00000BBA");
	struct mtk_emi_table t = emmc_table(1, 0xC0, "90014A484147346504");
	struct mtk_da_emi e = { emi, sizeof emi, 0x18, &t, emi, sizeof emi };
	int rc = mtk_da_legacy_start(&f->da, &e);
	assert_int_equal(rc, MTK_E_STATUS);
	assert_null(strstr(f->sc.failure, "host"));
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "DRAM init failed with status 0xbba"));
	assert_true(sc_done(&f->sc));
}

/* Up to the DRAM info of §4.5 on an MT6735 whose eMMC CID starts 90014A4841473465 04. */
static void script_to_dram_info(struct script *s)
{
	sc_hex(s, 'D', "C0 00000BC4 0000 00000000 90014A48 41473465 04123456 78A12300");
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "04 01 00");
	sc_hex(s, 'H', "05 FE 0008 00 7007FFFF 01 00000000 01 01 02 00");
	sc_hex(s, 'D', "00000BC3 00000000 90014A48414734650412345678A12300 00000BC4 0000");
}

/* Only MCP records, none naming this eMMC: refused before ENABLE_DRAM, with
 * the device's id and the ids the preloader supports. */
static void test_emi_mismatch_refused(void **state)
{
	struct fx *f = *state;
	f->da.brom.info.hw_code = 0x0321;
	script_to_dram_info(&f->sc);
	uint8_t emi[2 * 0xBC] = { 0 };
	struct mtk_emi_table t = emmc_table(2, 0xBC, "150100514536334d42");
	struct mtk_da_emi e = { emi, sizeof emi, 0x14, &t, emi, sizeof emi };
	assert_int_equal(mtk_da_legacy_start(&f->da, &e), MTK_E_POLICY);
	const char *msg = mtk_ctx_error(f->ctx);
	assert_non_null(strstr(msg, "do not fit this board"));
	assert_non_null(strstr(msg, "90014a484147346504"));
	assert_non_null(strstr(msg, "150100514536334d42, 150100"));
	assert_non_null(strstr(msg, "nothing was sent"));
	assert_true(sc_done(&f->sc)); /* not one byte after the DRAM info */
}

/* A discrete-DRAM table cannot be checked from the host: it is sent, and the
 * log says why it was not checked. */
static void test_emi_discrete_unchecked(void **state)
{
	struct fx *f = *state;
	struct script *s = &f->sc;
	f->da.brom.info.hw_code = 0x0321;
	script_to_dram_info(s);
	uint8_t emi[0xBC];
	memset(emi, 0x77, sizeof emi);
	struct mtk_emi_table t = { .version = 0x14, .count = 1, .record_size = 0xBC, .described = 1 };
	t.rec[0].type = 0x0003; /* discrete LPDDR3 */
	sc_hex(s, 'H', "E8 00000014");
	sc_hex(s, 'D', "5A 000000BC");
	sc_hex(s, 'H', "5A 000000BC");
	sc_add(s, 'H', emi, sizeof emi);
	sc_hex(s, 'D', "1234");
	sc_hex(s, 'H', "5A 80000001");
	sc_hex(s, 'T', "");
	struct mtk_da_emi e = { emi, sizeof emi, 0x14, &t, emi, sizeof emi };
	int rc = mtk_da_legacy_start(&f->da, &e);
	/* ... and a DA that then stops answering is a DRAM init failure, not a hang */
	assert_int_equal(rc, MTK_E_TIMEOUT);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "DRAM init failed: this preloader's EMI does not fit"));
	assert_true(sc_done(&f->sc));
}

/* emiver 0x0D takes one record: the board's (record 1 here), not record 0 as mtkclient sends. */
static void test_emi_one_record_is_the_boards(void **state)
{
	struct fx *f = *state;
	struct script *s = &f->sc;
	f->da.brom.info.hw_code = 0x0321;
	script_to_dram_info(s);
	uint8_t emi[2 * 0xBC];
	for (size_t i = 0; i < sizeof emi; i++)
		emi[i] = (uint8_t)i;
	struct mtk_emi_table t = emmc_table(2, 0xBC, "150100514536334d42");
	t.rec[1] = t.rec[0];
	memcpy(t.rec[1].id, "\x90\x01\x4a\x48\x41\x47\x34\x65\x04", 9);
	sc_hex(s, 'H', "E8 0000000D");
	sc_hex(s, 'D', "5A 000000BC");
	sc_hex(s, 'H', "5A 00000100");
	sc_add(s, 'H', emi + 0xBC + 4, 0xBC - 4);
	sc_hex(s, 'D', "1234");
	sc_hex(s, 'H', "5A 80000001");
	sc_hex(s, 'D', "00000BBA");
	struct mtk_da_emi e = { emi, sizeof emi, 0x0D, &t, emi, sizeof emi };
	assert_int_equal(mtk_da_legacy_start(&f->da, &e), MTK_E_STATUS);
	assert_string_equal(f->sc.failure, "");
	assert_true(sc_done(&f->sc));
}

/* Without EMI settings the client stops with advice instead of guessing. */
static void test_emi_missing(void **state)
{
	struct fx *f = *state;
	struct script *s = &f->sc;
	f->da.brom.info.hw_code = 0x0335;
	sc_hex(s, 'D', "C0 00000BC4 0000 00000000 90014A48 41473465 04123456 78A12300");
	sc_hex(s, 'H', "5A");
	sc_hex(s, 'D', "04 01 00");
	sc_hex(s, 'H', "05 FE 0008 00 7007FFFF 01 00000000 01 01 02 00");
	sc_hex(s, 'D', "00000BC3 00000000 90014A48414734650412345678A12300 00000BC4 0000");
	int rc = mtk_da_legacy_start(&f->da, NULL);
	assert_int_equal(rc, MTK_E_UNSUPPORTED);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "preloader"));
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "--preloader FILE"));
	assert_true(sc_done(&f->sc));
}

static void test_range_refused_before_sending(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	assert_script_ok(f, mtk_da_legacy_start(&f->da, NULL));
	uint8_t b[0x400];
	/* Past the end of boot1: nothing may go out (the script is finished, so a
	 * write would fail differently). */
	assert_int_equal(mtk_da_read_buf(&f->da, MTK_REGION_BOOT1, 0x400000 - 0x200, b, sizeof b), MTK_E_RANGE);
	assert_int_equal(f->sc.failure[0], 0);
}

static void test_stage2_tails(void **state)
{
	(void)state;
	uint8_t out[LEGACY_STAGE2_MAX];
	assert_int_equal(mtk_legacy_stage2_config(0x6580, 5, 0xFE, MTK_STORAGE_EMMC, out), 18 + 24);
	assert_int_equal(mtk_legacy_stage2_config(0x0335, 5, 0xFE, MTK_STORAGE_EMMC, out), 18);
	assert_int_equal(mtk_legacy_stage2_config(0x8127, 5, 0xFE, MTK_STORAGE_EMMC, out), 18 + 28);
	assert_int_equal(out[9], 1);
	assert_int_equal(out[11], 0x50); /* bmt size 0x01500000, big-endian at 10 */
	assert_int_equal(mtk_legacy_stage2_config(0x6572, 5, 1, MTK_STORAGE_EMMC, out), 18);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[9], 0);
	assert_int_equal(out[13], 0xA8);
	assert_int_equal(mtk_legacy_stage2_config(0x6583, 5, 1, MTK_STORAGE_NAND, out), 22);
	assert_int_equal(out[15], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_streams_to_sink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_two_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_bad_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_grow_on_a_fast_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_padded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_disconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_part_after_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_pmt_and_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_without_mode_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_mismatch_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_discrete_unchecked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_one_record_is_the_boards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_refused_before_sending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_other_version, setup, teardown),
		cmocka_unit_test(test_stage2_tails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
