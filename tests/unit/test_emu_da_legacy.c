/* SPDX-License-Identifier: MIT */
/* The emulator's legacy DA, driven with raw host bytes over a socketpair
 * (not with lib/da): BROM handshake, SEND_DA/JUMP_DA of a synthetic DA1
 * (docs/da-synthetic.md), DA1 sync, stage 2 (with and without the EMI
 * exchange), DA2 upload and report, then the DA2 commands.  Expected bytes
 * follow da-legacy.md §4 and the §8.2 transcript. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "emu_internal.h"
#include "emu_storage.h"
#include "mtkflash/storage.h"
#include "testutil.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

/* ------------------------------------------------------------ harness */

struct rig {
	char dir[64];
	struct mtkemu *emu;
	int host, dev;
	pthread_t th;
	int serve_rc;
	uint16_t da_code;
	uint8_t speed; /* what 72 answers: 1 from a preloader, 0 from the BROM until 70 01 */
};

static void *serve_thread(void *arg)
{
	struct rig *r = arg;
	r->serve_rc = mtkemu_serve(r->emu, r->dev);
	shutdown(r->dev, SHUT_RDWR); /* the host sees the port go */
	return NULL;
}

static void rig_serve(struct rig *r)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r->host = sv[0];
	r->dev = sv[1];
	assert_int_equal(pthread_create(&r->th, NULL, serve_thread, r), 0);
}

/* The session ends (the host closed the port, or the device left the bus);
 * returns how mtkemu_serve() ended it. */
static int rig_end_session(struct rig *r, bool host_closes)
{
	if (host_closes)
		shutdown(r->host, SHUT_RDWR);
	pthread_join(r->th, NULL);
	close(r->host);
	close(r->dev);
	return r->serve_rc;
}

/* provision: NULL = blank device (BROM mode) */
static struct rig *rig_new(const char *chip, const char *faults, bool provision, bool persist)
{
	struct rig *r = calloc(1, sizeof(*r));
	test_mkdtemp(r->dir, sizeof(r->dir), "test_emu_da");
	char err[512];
	if (provision) {
		static struct emu_provision_result res;
		struct emu_provision_opts o = {
		        .chip = chip, .state_dir = r->dir, .user_size = 4 * GIB, .force = true};
		int rc = emu_provision(&o, &res, err, sizeof(err));
		if (rc)
			fail_msg("%s", err);
	}
	struct mtkemu_options o = {.chip = chip, .state_dir = r->dir, .faults = faults, .persist_session = persist};
	if (mtkemu_new(&o, &r->emu, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	r->da_code = r->emu->prof->da_code;
	r->speed = provision ? 1 : 0;
	return r;
}

static struct rig *rig_start(const char *chip, const char *faults, bool provision)
{
	struct rig *r = rig_new(chip, faults, provision, false);
	rig_serve(r);
	return r;
}

static int rig_stop(struct rig *r)
{
	shutdown(r->host, SHUT_RDWR);
	close(r->host);
	pthread_join(r->th, NULL);
	close(r->dev);
	mtkemu_free(r->emu);
	test_rmtree(r->dir);
	int rc = r->serve_rc;
	free(r);
	return rc;
}

static void put(struct rig *r, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(r->host, p, len);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/* Reads exactly len bytes within 5 s, or returns how many came. */
static size_t get_some(struct rig *r, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		struct pollfd pfd = {.fd = r->host, .events = POLLIN};
		if (poll(&pfd, 1, timeout_ms) <= 0)
			break;
		ssize_t n = read(r->host, p + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void get(struct rig *r, void *buf, size_t len)
{
	assert_int_equal(get_some(r, buf, len, 5000), len);
}

/* "C0 00000BC4 0000" -> bytes */
static size_t hx(const char *s, uint8_t *out)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ' || *s == '|') {
			s++;
			continue;
		}
		unsigned v;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void put_hex(struct rig *r, const char *s)
{
	uint8_t b[512];
	put(r, b, hx(s, b));
}

static void expect_hex(struct rig *r, const char *s)
{
	uint8_t want[512], got[512];
	size_t n = hx(s, want);
	get(r, got, n);
	assert_memory_equal(got, want, n);
}

/* ------------------------------------------------------- synthetic DA */

static uint8_t *synth_stage(uint16_t hw, unsigned stage, size_t len)
{
	uint8_t *b = calloc(1, len);
	snprintf((char *)b, 64, "MTKFLASH-SYNTHETIC-DA%u hw=0x%04x", stage, hw);
	uint32_t x = 0x9E3779B9u ^ ((uint32_t)hw << 8) ^ stage;
	for (size_t i = 64; i < len - 0x100; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	snprintf((char *)b + len - 0x100, 0x100, "MTKFLASH-SYNTHETIC-SIG hw=0x%04x stage=%u", hw, stage);
	return b;
}

/* ---------------------------------------------------------- BROM part */

static bool is_banner_byte(uint8_t b)
{
	return b && strchr("READY", b);
}

/* The host side of §2.6 rule 2, as mtkclient's serial loop: each sync byte
 * until its complement comes back, READY banner bytes skipped, anything else
 * (no answer: the preloader ate the first A0) restarts the sequence. */
static void sync_device(struct rig *r)
{
	static const uint8_t seq[4] = {0xA0, 0x0A, 0x50, 0x05};
	size_t i = 0;
	for (int tries = 0; i < 4; tries++) {
		assert_true(tries < 200);
		put(r, &seq[i], 1);
		uint8_t b = 0;
		while (get_some(r, &b, 1, 50) == 1 && is_banner_byte(b))
			b = 0;
		uint8_t want = (uint8_t)(0xFFu ^ seq[i]);
		i = b == want ? i + 1 : 0;
	}
}

static void handshake_and_jump(struct rig *r, uint16_t hw_code, uint32_t da1_addr, uint16_t da1_code)
{
	sync_device(r);
	put_hex(r, "FD");
	uint8_t b[16];
	get(r, b, 5);
	assert_int_equal(b[0], 0xFD);
	assert_int_equal(mtk_get_u16be(b + 1), hw_code);
	assert_int_equal(mtk_get_u16be(b + 3), 0);
	/* SEND_DA: D7, addr, len, sig_len echoed; status; payload; xor16; status */
	uint8_t hdr[13] = {0xD7};
	mtk_put_u32be(hdr + 1, da1_addr);
	mtk_put_u32be(hdr + 5, 0x2000);
	mtk_put_u32be(hdr + 9, 0x100);
	for (int i = 0; i < 13; i += i ? 4 : 1) {
		put(r, hdr + i, i ? 4 : 1);
		get(r, b, i ? 4 : 1);
		assert_memory_equal(b, hdr + i, i ? 4 : 1);
	}
	expect_hex(r, "0000");
	uint8_t *da1 = synth_stage(da1_code, 1, 0x2000);
	put(r, da1, 0x2000);
	get(r, b, 4);
	assert_int_equal(mtk_get_u16be(b), mtk_xor16(da1, 0x2000));
	assert_int_equal(mtk_get_u16be(b + 2), 0);
	free(da1);
	/* JUMP_DA */
	put_hex(r, "D5");
	expect_hex(r, "D5");
	put(r, hdr + 1, 4);
	get(r, b, 4);
	assert_memory_equal(b, hdr + 1, 4);
	expect_hex(r, "0000");
}

/* ------------------------------------------------------------ DA part */

static void sync_report(struct rig *r, uint8_t cid[16])
{
	uint8_t b[27];
	get(r, b, sizeof(b));
	uint8_t want[11];
	hx("C0 00000BC4 0000 00000000", want);
	assert_memory_equal(b, want, 11);
	memcpy(cid, b + 11, 16);
	assert_int_not_equal(mtk_get_u32be(cid), 0); /* first CID word != 0: eMMC (§4.2) */
	put_hex(r, "5A");
	expect_hex(r, "04 01 00");
}

static void upload_da2(struct rig *r, uint32_t addr, uint16_t code, bool good)
{
	uint8_t *da2 = synth_stage(code, 2, 0x8000);
	if (!good)
		da2[0x5000] ^= 1; /* one flipped bit */
	uint8_t h[12];
	mtk_put_u32be(h, addr);
	mtk_put_u32be(h + 4, 0x8000);
	mtk_put_u32be(h + 8, 0x1000);
	put(r, h, 12);
	expect_hex(r, "5A");
	for (int i = 0; i < 8; i++) {
		put(r, da2 + i * 0x1000, 0x1000);
		expect_hex(r, "5A");
	}
	put_hex(r, "5A");
	expect_hex(r, good ? "5A" : "A5");
	free(da2);
}

/* 72 USB_CHECK_STATUS (§4.8): 5A and the speed the DA runs at. */
static void expect_speed(struct rig *r)
{
	put_hex(r, "72");
	uint8_t b[2];
	get(r, b, 2);
	assert_int_equal(b[0], 0x5A);
	assert_int_equal(b[1], r->speed);
}

static void da2_report(struct rig *r, const uint8_t cid[16], uint64_t user)
{
	uint8_t b[236];
	get(r, b, sizeof(b));
	assert_int_equal(mtk_get_u32be(b), 0xBC7);       /* NOR not found */
	assert_int_equal(mtk_get_u32be(b + 28), 0xBC4);  /* NAND not found */
	assert_int_equal(mtk_get_u16be(b + 28 + 15), 7); /* K = 7 (§4.7) */
	const uint8_t *m = b + 68;                       /* eMMC info */
	assert_int_equal(mtk_get_u32be(m), 0);
	assert_int_equal(mtk_get_u64be(m + 4), 4 * MIB);
	assert_int_equal(mtk_get_u64be(m + 12), 4 * MIB);
	assert_int_equal(mtk_get_u64be(m + 20), 4 * MIB);
	assert_int_equal(mtk_get_u64be(m + 28), 0);
	assert_int_equal(mtk_get_u64be(m + 60), user);
	assert_memory_equal(m + 68, cid, 16);
	const uint8_t *c = b + 68 + 92 + 28; /* config */
	assert_int_equal(c[12], 0x02);
	assert_int_equal(mtk_get_u64be(c + 14), 0x40000000);
	uint8_t pass[10];
	hx("5A 00000000 00000000 C1", pass);
	assert_memory_equal(b + 226, pass, 10);
	expect_speed(r);
}

/* Stage 2 as mtkclient sends it (§8.2), blver from GET_BL_VER. */
static void stage2_mt6580(struct rig *r, uint8_t blver)
{
	char s[200];
	snprintf(s, sizeof(s),
	         "05 %02X 0008 00 7007FFFF 01 00000000 01 01 02 00 | 00000001 4646 "
	         "0000000000000000000000000000 FF000000",
	         blver);
	put_hex(r, s);
}

static void da_read(struct rig *r, uint8_t part, uint64_t addr, uint64_t len, uint8_t *out)
{
	expect_speed(r);
	put_hex(r, "60");
	expect_hex(r, "5A");
	put(r, &part, 1);
	expect_hex(r, "5A");
	uint8_t c[23] = {0xD6, 0x0C, 0x02};
	mtk_put_u64be(c + 3, addr);
	mtk_put_u64be(c + 11, len);
	mtk_put_u32be(c + 19, 0x100000);
	put(r, c, sizeof(c));
	expect_hex(r, "5A");
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < 0x100000 ? (size_t)(len - done) : 0x100000;
		uint8_t sum[2];
		get(r, out + done, n);
		get(r, sum, 2);
		assert_int_equal(mtk_get_u16be(sum), mtk_sum16_update(0, out + done, n));
		put_hex(r, "5A");
		done += n;
	}
}

static void da_write_header(struct rig *r, uint8_t part, uint64_t addr, uint64_t len)
{
	uint8_t c[23] = {0x62, 0x01, part};
	mtk_put_u64be(c + 3, addr);
	mtk_put_u64be(c + 11, len);
	mtk_put_u32be(c + 19, 0x100000);
	put(r, c, sizeof(c));
}

static void da_write_packet(struct rig *r, const uint8_t *data, size_t n, uint16_t sum, const char *reply)
{
	put_hex(r, "5A");
	put(r, data, n);
	uint8_t s[2];
	mtk_put_u16be(s, sum);
	put(r, s, 2);
	expect_hex(r, reply);
}

/* -------------------------------------------------------------- tests */

/* MT6580 in preloader mode (provisioned: boot1 holds a preloader): DRAM is
 * up, stage-2 result 0, then every DA2 command. */
static void test_mt6580_preloader_session(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6580", NULL, true);
	handshake_and_jump(r, 0x6580, 0x00200000, 0x6580);
	uint8_t cid[16];
	sync_report(r, cid);
	stage2_mt6580(r, 0x01);
	expect_hex(r, "00000000");
	upload_da2(r, 0x80000000, 0x6580, true);
	da2_report(r, cid, 4 * GIB);

	/* READ of two 1 MiB packets from user offset 0: the GPT the provision wrote */
	uint8_t *buf = malloc(2 * MIB), *w = malloc(MIB + 0x200);
	da_read(r, 8, 0, 2 * MIB, buf);
	assert_int_equal(buf[0x1FE], 0x55);
	assert_int_equal(buf[0x1FF], 0xAA);
	assert_memory_equal(buf + 0x200, "EFI PART", 8);

	/* WRITE_DATA of 2 packets (0x100000 + 0x200) at user 0x1D80000 (boot), then read back */
	for (size_t i = 0; i < MIB + 0x200; i++)
		w[i] = (uint8_t)(i * 13 + 1);
	da_write_header(r, 8, 0x1D80000, MIB + 0x200);
	expect_hex(r, "5A");
	da_write_packet(r, w, MIB, mtk_sum16_update(0, w, MIB), "69");
	da_write_packet(r, w + MIB, 0x200, mtk_sum16_update(0, w + MIB, 0x200), "69");
	da_read(r, 8, 0x1D80000, MIB + 0x200, buf);
	assert_memory_equal(buf, w, MIB + 0x200);

	/* a wrong checksum: A5 instead of 69, nothing stored */
	uint8_t z[0x200] = {0};
	da_write_header(r, 8, 0x1D80000, 0x200);
	expect_hex(r, "5A");
	da_write_packet(r, z, 0x200, 0x1234, "A5");
	da_read(r, 8, 0x1D80000, 0x200, buf);
	assert_memory_equal(buf, w, 0x200);

	/* FORMAT 64 KiB of it: one progress report of 100, then the range reads 0 */
	expect_speed(r);
	put_hex(r, "60");
	expect_hex(r, "5A");
	put_hex(r, "08");
	expect_hex(r, "5A");
	put_hex(r, "D4 02 00 00 00 0000000001D80000 0000000000010000");
	expect_hex(r, "5A 5A 00000000 64");
	put_hex(r, "5A");
	expect_hex(r, "5A 5A");
	da_read(r, 8, 0x1D80000, 0x10200, buf);
	for (size_t i = 0; i < 0x10000; i++)
		assert_int_equal(buf[i], 0);
	assert_memory_equal(buf + 0x10000, w + 0x10000, 0x200);

	/* boot1 through SWITCH_PART 1: the provisioned preloader */
	da_read(r, 1, 0, 0x200, buf);
	assert_memory_equal(buf, "EMMC_BOOT", 9);

	/* READ_PMT on a GPT device: no PMT, length 0 */
	put_hex(r, "A5");
	expect_hex(r, "5A 00000000");
	put_hex(r, "5A");
	put_hex(r, "5A");

	/* registers */
	put_hex(r, "7B 10007000 22000064");
	expect_hex(r, "5A");
	put_hex(r, "7A 10007000");
	expect_hex(r, "22000064 5A");
	put_hex(r, "70 01");
	expect_hex(r, "5A");

	/* FINISH: 5A, mode word, 5A; then the device resets (serve returns) */
	put_hex(r, "D9");
	expect_hex(r, "5A");
	put_hex(r, "00000000");
	expect_hex(r, "5A");
	pthread_join(r->th, NULL);
	free(buf);
	free(w);
	shutdown(r->host, SHUT_RDWR);
	close(r->host);
	close(r->dev);
	mtkemu_free(r->emu);
	test_rmtree(r->dir);
	free(r);
}

/* Bad requests get the status codes of §5 (older numbering). */
static void test_bad_requests(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6580", "corrupt-write=user:0x2000100:4", true);
	handshake_and_jump(r, 0x6580, 0x00200000, 0x6580);
	uint8_t cid[16];
	sync_report(r, cid);
	stage2_mt6580(r, 0x01);
	expect_hex(r, "00000000");
	upload_da2(r, 0x80000000, 0x6580, true);
	da2_report(r, cid, 4 * GIB);

	/* READ past the end of the user area: A5, host A5, status LE 0xBDF */
	put_hex(r, "60");
	expect_hex(r, "5A");
	put_hex(r, "08");
	expect_hex(r, "5A");
	put_hex(r, "D6 0C 02 0000000100000000 0000000000000200 00100000");
	expect_hex(r, "A5");
	put_hex(r, "A5");
	expect_hex(r, "DF0B0000");
	/* READ on NAND storage */
	put_hex(r, "D6 0C 01 0000000000000000 0000000000000200 00100000");
	expect_hex(r, "A5");
	put_hex(r, "A5");
	expect_hex(r, "450C0000");
	/* SWITCH_PART to GP1, which the part does not have */
	put_hex(r, "60");
	expect_hex(r, "5A");
	put_hex(r, "04");
	expect_hex(r, "A5");
	/* WRITE_DATA: bad partition, out of range, length not a multiple of 512 */
	da_write_header(r, 0x04, 0, 0x200);
	expect_hex(r, "A5 730C0000");
	da_write_header(r, 0x02, 4 * MIB - 0x200, 0x400);
	expect_hex(r, "A5 DF0B0000");
	da_write_header(r, 0x08, 0, 0x123);
	expect_hex(r, "A5 DF0B0000");
	/* FORMAT past the end of boot1 (selected by SWITCH_PART 1) */
	put_hex(r, "60");
	expect_hex(r, "5A");
	put_hex(r, "01");
	expect_hex(r, "5A");
	put_hex(r, "D4 02 00 00 00 0000000000000000 0000000000400200");
	expect_hex(r, "A5 DF0B0000");
	/* plain RPMB access (selector 3): refused, RPMB needs authenticated frames */
	put_hex(r, "60");
	expect_hex(r, "5A");
	put_hex(r, "03");
	expect_hex(r, "5A");
	put_hex(r, "D6 0C 02 0000000000000000 0000000000000200 00100000");
	expect_hex(r, "A5");
	put_hex(r, "A5");
	expect_hex(r, "730C0000");
	put_hex(r, "D4 02 00 00 00 0000000000000000 0000000000000200");
	expect_hex(r, "A5 730C0000");
	da_write_header(r, 0x03, 0, 0x200);
	expect_hex(r, "A5 730C0000");
	/* unknown command */
	put_hex(r, "99");
	expect_hex(r, "BB");
	/* the corrupt-write fault: data stored inverted, seen on read-back */
	uint8_t w[0x200], rd[0x200];
	memset(w, 0x33, sizeof(w));
	da_write_header(r, 8, 0x2000000, 0x200);
	expect_hex(r, "5A");
	da_write_packet(r, w, 0x200, mtk_sum16_update(0, w, 0x200), "69");
	da_read(r, 8, 0x2000000, 0x200, rd);
	for (size_t i = 0; i < 0x200; i++)
		assert_int_equal(rd[i], i >= 0x100 && i < 0x104 ? 0xCC : 0x33);
	assert_int_equal(rig_stop(r), 0);
}

/* MT6735 up to the EMI exchange of §4.5 (emiver 0x15, two 0xBC records):
 * DRAM init's result word comes back in *result. */
static struct rig *mt6735_emi(const uint8_t emi[0x178], uint8_t cid[16], uint32_t *result)
{
	struct rig *r = rig_start("mt6735", NULL, false);
	handshake_and_jump(r, 0x0321, 0x00200000, 0x6735);
	uint8_t b[32];
	sync_report(r, cid);
	put_hex(r, "05 FE 0008 00 7007FFFF 01 00000000 01 01 02 00"); /* no chip tail for 0x0321 */
	expect_hex(r, "00000BC3");
	get(r, b, 26);
	assert_int_equal(mtk_get_u32be(b), 0);
	assert_memory_equal(b + 4, cid, 16); /* "DRAM info" */
	assert_int_equal(mtk_get_u32be(b + 20), 0xBC4);
	assert_int_equal(mtk_get_u16be(b + 24), 0);
	put_hex(r, "E8 00000015");
	expect_hex(r, "5A 000000BC");
	put_hex(r, "5A 00000178");
	put(r, emi, 0x178);
	get(r, b, 2);
	assert_int_equal(mtk_get_u16be(b), mtk_sum16_update(0, emi, 0x178));
	put_hex(r, "5A 80000001");
	if (result) {
		get(r, b, 4);
		*result = mtk_get_u32be(b);
	}
	return r;
}

/* MT6735 (BROM hw_code 0x0321) in BROM mode: DRAM is down, stage-2 result
 * 0xBC3; the second record is the board's, so DRAM init succeeds. */
static void test_mt6735_brom_emi(void **state)
{
	(void)state;
	uint8_t emi[0x178], cid[16];
	for (size_t i = 0; i < 0xBC; i++)
		emi[i] = (uint8_t)(i * 3);
	emu_board_emi_record(emu_profile_find("mt6735"), emi + 0xBC);
	uint32_t result;
	struct rig *r = mt6735_emi(emi, cid, &result);
	assert_int_equal(result, 0);
	expect_hex(r, "02 00 0000000040000000");
	upload_da2(r, 0x40000000, 0x6735, true);
	da2_report(r, cid, 8 * GIB); /* a blank device has the profile's user size */
	uint8_t buf[0x400];
	da_read(r, 8, 8 * GIB - 0x400, 0x400, buf);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	/* §4.8: a DA the BROM loaded runs at full speed until the host asks
	 * for high speed; then it re-enumerates and keeps running. */
	put_hex(r, "70 01");
	expect_hex(r, "5A");
	assert_int_equal(rig_end_session(r, false), MTKEMU_END_REENUMERATE);
	rig_serve(r);
	r->speed = 1;
	da_read(r, 8, 8 * GIB - 0x400, 0x400, buf);
	assert_int_equal(rig_stop(r), 0);
}

/* EMI settings for other DRAM (another board's record, one flipped bit):
 * DRAM init fails with 0xBBA and DA1 says nothing more. */
static void test_emi_wrong_board(void **state)
{
	(void)state;
	uint8_t emi[0x178], cid[16], b[4];
	emu_board_emi_record(emu_profile_find("mt6580"), emi);
	emu_board_emi_record(emu_profile_find("mt6735"), emi + 0xBC);
	emi[0xBC + 0x40] ^= 0x01;
	uint32_t result;
	struct rig *r = mt6735_emi(emi, cid, &result);
	assert_int_equal(result, 0xBBA);
	assert_int_equal(get_some(r, b, 1, 300), 0);
	assert_int_equal(rig_stop(r), 0);
}

/* No record names this board's eMMC and none is discrete (formats.md
 * §4.5.3): the DA finds no settings and goes silent in DRAM init. */
static void test_emi_no_record_silent(void **state)
{
	(void)state;
	uint8_t emi[0x178], cid[16], b[4];
	emu_board_emi_record(emu_profile_find("mt6580"), emi);
	emu_board_emi_record(emu_profile_find("mt6572"), emi + 0xBC);
	struct rig *r = mt6735_emi(emi, cid, NULL);
	assert_int_equal(get_some(r, b, 1, 300), 0);
	assert_int_equal(rig_stop(r), 0);
}

/* The board's flash id is CID[0:9] and its EMI record names it (type 0x0203
 * eMMC MCP LPDDR3, id_length 9, ID at +0x10). */
static void test_board_record_names_its_emmc(void **state)
{
	(void)state;
	const struct emu_profile *p = emu_profile_find("mt6735");
	uint8_t rec[EMU_EMI_RECORD_SIZE], id[EMU_FLASH_ID_LEN], cid[16];
	emu_board_emi_record(p, rec);
	emu_board_flash_id(p, id);
	assert_memory_equal(id, "\x90\x01\x4a" "EM6735", 9);
	assert_int_equal(mtk_get_u32le(rec + 4), 0x0203);
	assert_int_equal(mtk_get_u32le(rec + 8), 9);
	assert_memory_equal(rec + 0x10, id, 9);
	emu_emmc_make_board_cid(cid, p, "seed");
	assert_memory_equal(cid, id, 9);
	emu_board_flash_id(emu_profile_find("mt6572"), id);
	assert_memory_equal(id, "\x90\x01\x4a" "EM6572", 9);
}

/* "CHIP+QUIRK": the chip with a reply variant (profiles.c), same name and codes. */
static void test_profile_variants(void **state)
{
	(void)state;
	const struct emu_profile *base = emu_profile_find("mt6580");
	const struct emu_profile *v = emu_profile_find("MT6580+bl-ver-4+send-da-checksum-0");
	assert_non_null(v);
	assert_ptr_not_equal(v, base);
	assert_string_equal(v->name, "mt6580");
	assert_int_equal(v->hw_code, base->hw_code);
	assert_int_equal(v->quirks, EMU_Q_BL_VER_4 | EMU_Q_SEND_DA_CHK_ZERO);
	assert_int_equal(base->quirks, 0);
	assert_ptr_equal(emu_profile_find("mt6580+bl-ver-4+send-da-checksum-0"), v);
	assert_null(emu_profile_find("mt6580+no-such-quirk"));
	assert_null(emu_profile_find("mt6580+"));
	assert_null(emu_profile_find("mt658+bl-ver-4"));
}

/* Fault write-protect: WRITE_DATA and FORMAT are refused at the header with
 * 0xC73; reads still work and nothing changed. */
static void test_write_protect_fault(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6580", "write-protect", true);
	handshake_and_jump(r, 0x6580, 0x00200000, 0x6580);
	uint8_t cid[16], before[0x200], after[0x200];
	sync_report(r, cid);
	stage2_mt6580(r, 0x01);
	expect_hex(r, "00000000");
	upload_da2(r, 0x80000000, 0x6580, true);
	da2_report(r, cid, 4 * GIB);
	da_read(r, 1, 0, 0x200, before);
	da_write_header(r, 0x08, 0x1D80000, 0x200);
	expect_hex(r, "A5 730C0000");
	da_write_header(r, 0x01, 0, 0x200);
	expect_hex(r, "A5 730C0000");
	put_hex(r, "60");
	expect_hex(r, "5A");
	put_hex(r, "01");
	expect_hex(r, "5A");
	put_hex(r, "D4 02 00 00 00 0000000000000000 0000000000000200");
	expect_hex(r, "A5 730C0000");
	da_read(r, 1, 0, 0x200, after);
	assert_memory_equal(before, after, 0x200);
	assert_memory_equal(after, "EMMC_BOOT", 9);
	assert_int_equal(rig_stop(r), 0);
}

/* A DA that is not the synthetic DA1 for this chip: the device never answers
 * after JUMP_DA.  A bad DA2: NACK on the final byte of the upload. */
static void test_wrong_da(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6580", NULL, true);
	handshake_and_jump(r, 0x6580, 0x00200000, 0x6735); /* MT6735's DA1 */
	uint8_t b[4];
	assert_int_equal(get_some(r, b, 1, 300), 0);
	assert_int_equal(rig_stop(r), 0);

	r = rig_start("mt6580", NULL, true);
	handshake_and_jump(r, 0x6580, 0x00200000, 0x6580);
	uint8_t cid[16];
	sync_report(r, cid);
	stage2_mt6580(r, 0x01);
	expect_hex(r, "00000000");
	upload_da2(r, 0x80000000, 0x6580, false);
	assert_int_equal(get_some(r, b, 1, 300), 0); /* no report */
	assert_int_equal(rig_stop(r), 0);
}

static void test_da_silent_fault(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6580", "da-silent", true);
	handshake_and_jump(r, 0x6580, 0x00200000, 0x6580);
	uint8_t b[4];
	assert_int_equal(get_some(r, b, 1, 300), 0);
	rig_stop(r);
}

/* MT6572: MBR at LBA 0 and the PMT read through 0xA5, records with 0xFF at 0x48. */
static void test_mt6572_read_pmt(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6572", NULL, true);
	handshake_and_jump(r, 0x6572, 0x02007000, 0x6572);
	uint8_t cid[16], b[8];
	sync_report(r, cid);
	put_hex(r, "05 01 0008 00 7007FFFF 00 000000A8 01 01 02 00"); /* no chip tail for 0x6572 */
	expect_hex(r, "00000000");
	upload_da2(r, 0x80000000, 0x6572, true);
	da2_report(r, cid, 4 * GIB);
	uint8_t lba0[0x400];
	da_read(r, 8, 0, 0x400, lba0);
	assert_int_equal(lba0[0x1FE], 0x55);
	assert_int_equal(lba0[0x1C2], 0x05); /* entry 0: the extended partition (EBR1) */
	put_hex(r, "A5");
	get(r, b, 5);
	assert_int_equal(b[0], 0x5A);
	uint32_t len = mtk_get_u32be(b + 1);
	assert_true(len > 0 && len % 0x60 == 0);
	put_hex(r, "5A");
	uint8_t *pmt = malloc(len);
	get(r, pmt, len);
	put_hex(r, "5A");
	assert_int_equal(pmt[0x48], 0xFF);
	struct mtk_ptable t;
	mtk_ptable_init(&t, MTK_PTABLE_NONE);
	assert_int_equal(mtk_pmt_parse_da(NULL, pmt, len, &t), 0);
	const struct mtk_part *p = mtk_part_find(&t, "BOOTIMG");
	assert_non_null(p);
	assert_int_equal(p->start, 0x2980000 - 0xC00000); /* linear in the PMT, minus the MBR's */
	assert_int_equal(mtk_get_u64le(pmt + 0x50), 0);             /* PRELOADER, linear 0 */
	assert_string_equal((const char *)pmt + 0x60, "MBR");
	assert_int_equal(mtk_get_u64le(pmt + 0x60 + 0x50), 0xC00000);
	assert_int_equal(p->size, 0x600000);
	mtk_ptable_free(&t);
	free(pmt);
	/* the command loop is still in step */
	put_hex(r, "72");
	expect_hex(r, "5A 01");
	assert_int_equal(rig_stop(r), 0);
}

/* ------------------------------------------------ sessions and resets */

/* MT6580 in preloader mode from the handshake to the DA2 command loop. */
static void mt6580_to_da2(struct rig *r)
{
	handshake_and_jump(r, 0x6580, 0x00200000, 0x6580);
	uint8_t cid[16];
	sync_report(r, cid);
	stage2_mt6580(r, 0x01);
	expect_hex(r, "00000000");
	upload_da2(r, 0x80000000, 0x6580, true);
	da2_report(r, cid, 4 * GIB);
}

/* The emulator's stderr into a file in the rig's state folder. */
static int saved_stderr = -1;

static void capture_stderr_begin(struct rig *r)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/stderr.txt", r->dir);
	fflush(stderr);
	saved_stderr = dup(2);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(dup2(fileno(f), 2) == 2);
	fclose(f);
}

static void capture_stderr_end(struct rig *r, char *out, size_t len)
{
	char path[128];
	fflush(stderr);
	assert_true(dup2(saved_stderr, 2) == 2);
	close(saved_stderr);
	snprintf(path, sizeof(path), "%s/stderr.txt", r->dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* A phone that (re)booted into the real preloader model: READY banners. */
static void expect_ready_banner(struct rig *r)
{
	expect_hex(r, "52 45 41 44 59");
}

/* DA2 outlives the port; a handshake byte into it is the host's bug; FINISH
 * with its mode word resets the phone, which boots per its boot model. */
static void test_da2_outlives_the_port(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6580", NULL, true);
	mt6580_to_da2(r);
	put_hex(r, "60 08");
	expect_hex(r, "5A 5A");
	assert_int_equal(rig_end_session(r, true), MTKEMU_END_CLOSED);
	rig_serve(r);
	expect_speed(r); /* no handshake: DA2 still in its command loop */
	assert_int_equal(mtkemu_violations(r->emu), 0);
	char log[256] = "";
	capture_stderr_begin(r);
	put_hex(r, "A0");
	expect_hex(r, "BB");
	capture_stderr_end(r, log, sizeof(log));
	assert_int_equal(mtkemu_violations(r->emu), 1);
	assert_string_equal(log, "mtkemu: VIOLATION: host sent a handshake byte 0xA0 into the running DA\n");
	put_hex(r, "D9");
	expect_hex(r, "5A");
	put_hex(r, "00000000");
	expect_hex(r, "5A");
	assert_int_equal(rig_end_session(r, false), MTKEMU_END_REENUMERATE);
	rig_serve(r);
	expect_ready_banner(r); /* boot1 holds a preloader */
	sync_device(r);
	put_hex(r, "FE");
	expect_hex(r, "01");
	assert_int_equal(rig_stop(r), 0);
}

/* mtkclient never sends FINISH's mode word: the phone resets anyway, when
 * the host closes the port or when the word does not come. */
static void test_finish_without_mode_word(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6580", NULL, true);
	mt6580_to_da2(r);
	put_hex(r, "D9");
	expect_hex(r, "5A");
	assert_int_equal(rig_end_session(r, true), MTKEMU_END_REENUMERATE);
	rig_serve(r);
	expect_ready_banner(r);
	sync_device(r);
	assert_int_equal(rig_stop(r), 0);

	r = rig_start("mt6580", NULL, true);
	mt6580_to_da2(r);
	put_hex(r, "D9");
	expect_hex(r, "5A");
	uint8_t b;
	assert_int_equal(get_some(r, &b, 1, 5000), 0); /* EOF: the phone left the bus */
	assert_int_equal(rig_end_session(r, false), MTKEMU_END_REENUMERATE);
	rig_serve(r);
	expect_ready_banner(r);
	assert_int_equal(rig_stop(r), 0);
}

/* An old preloader (MT6572) reading outside the register bank ASSERTs: no
 * status, the phone resets into BROM download mode (§3.9, §3.24). */
static void test_old_preloader_region_assert(void **state)
{
	(void)state;
	struct rig *r = rig_start("mt6572", NULL, true);
	sync_device(r);
	put_hex(r, "FE");
	expect_hex(r, "01");
	put_hex(r, "D1");
	expect_hex(r, "D1");
	put_hex(r, "10007000");
	expect_hex(r, "10007000");
	put_hex(r, "00000001");
	expect_hex(r, "00000001 0000 00000000 0000"); /* inside the bank: answered */
	put_hex(r, "D1 00200000 00000001");
	expect_hex(r, "D1 00200000 00000001");
	uint8_t b;
	assert_int_equal(get_some(r, &b, 1, 5000), 0);
	assert_int_equal(rig_end_session(r, false), MTKEMU_END_REENUMERATE);
	rig_serve(r);
	put_hex(r, "A0");
	expect_hex(r, "5F"); /* a BROM: no banner, the first A0 answered */
	put_hex(r, "0A 50 05");
	expect_hex(r, "F5 AF FA");
	put_hex(r, "FE FF");
	expect_hex(r, "FE 05");
	/* A power cycle clears the flag: the preloader again. */
	mtkemu_power_cycle(r->emu);
	assert_int_equal(rig_end_session(r, false), MTKEMU_END_REENUMERATE);
	rig_serve(r);
	expect_ready_banner(r);
	assert_int_equal(rig_stop(r), 0);
}

/* In-process, each host session is a process: power.ini carries DA2 over
 * mtkemu_free()/mtkemu_new(); a power cycle ends it. */
static void test_session_persists_in_state_dir(void **state)
{
	(void)state;
	struct rig *r = rig_new("mt6580", NULL, true, true);
	rig_serve(r);
	mt6580_to_da2(r);
	assert_int_equal(rig_end_session(r, true), MTKEMU_END_CLOSED);
	mtkemu_free(r->emu);
	char path[128], text[512] = "";
	snprintf(path, sizeof(path), "%s/power.ini", r->dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "run=da2\n"));
	struct mtkemu_options o = {.chip = "mt6580", .state_dir = r->dir, .persist_session = true};
	char err[256];
	assert_int_equal(mtkemu_new(&o, &r->emu, err, sizeof(err)), 0);
	rig_serve(r);
	expect_speed(r);
	mtkemu_power_cycle(r->emu);
	assert_int_equal(rig_end_session(r, false), MTKEMU_END_REENUMERATE);
	rig_serve(r);
	expect_ready_banner(r);
	assert_int_equal(rig_stop(r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mt6580_preloader_session), cmocka_unit_test(test_bad_requests),
	        cmocka_unit_test(test_da2_outlives_the_port), cmocka_unit_test(test_finish_without_mode_word),
	        cmocka_unit_test(test_old_preloader_region_assert),
	        cmocka_unit_test(test_session_persists_in_state_dir),
	        cmocka_unit_test(test_mt6735_brom_emi),          cmocka_unit_test(test_wrong_da),
	        cmocka_unit_test(test_da_silent_fault),          cmocka_unit_test(test_mt6572_read_pmt),
	        cmocka_unit_test(test_emi_wrong_board),          cmocka_unit_test(test_emi_no_record_silent),
	        cmocka_unit_test(test_board_record_names_its_emmc), cmocka_unit_test(test_profile_variants),          cmocka_unit_test(test_write_protect_fault),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
