/* SPDX-License-Identifier: MIT */
/* The emulator's xflash DA, driven with raw host bytes written from
 * da-xflash.md (not with lib/da): every packet the host sends is built here
 * from the reference's tables, every reply is compared byte for byte.
 * The device runs in-process on one end of a socketpair. */
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
#include <unistd.h>

#include "core/bytes.h"
#include "emu_internal.h"
#include "emu_storage.h"
#include "synth_xflash_da.h"
#include "testutil.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

enum {
	SYNC = 0x434E5953u,
	DEVICE_CTRL = 0x00010009u,
	UNSUPPORTED_CTRL = 0xC0010004u,
	HASH_MISMATCH = 0xC0070004u,
};

struct phone {
	char dir[64];
	struct mtkemu *emu;
	int host, dev;
	pthread_t th;
	int end;
};

static void *serving(void *arg)
{
	struct phone *p = arg;
	p->end = mtkemu_serve(p->emu, p->dev);
	shutdown(p->dev, SHUT_RDWR);
	return NULL;
}

static void plug(struct phone *p)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->host = sv[0];
	p->dev = sv[1];
	assert_int_equal(pthread_create(&p->th, NULL, serving, p), 0);
}

/* The host closes its port (or the device left): how serve() ended. */
static int unplug_session(struct phone *p, bool host_closes)
{
	if (host_closes)
		shutdown(p->host, SHUT_RDWR);
	pthread_join(p->th, NULL);
	close(p->host);
	close(p->dev);
	return p->end;
}

static struct phone *phone_new(const char *chip, const char *mode, bool provisioned, const char *faults)
{
	struct phone *p = calloc(1, sizeof *p);
	char err[512];
	test_mkdtemp(p->dir, sizeof p->dir, "test_emu_xda");
	if (provisioned) {
		static struct emu_provision_result res;
		struct emu_provision_opts o = { .chip = chip, .state_dir = p->dir, .force = true }; /* the chip's own eMMC: its layout needs it */
		if (emu_provision(&o, &res, err, sizeof err) != 0)
			fail_msg("%s", err);
	}
	struct mtkemu_options o = { .chip = chip, .state_dir = p->dir, .mode = mode, .preloader = "simple",
		                    .faults = faults };
	if (mtkemu_new(&o, &p->emu, err, sizeof err) != 0)
		fail_msg("%s", err);
	plug(p);
	return p;
}

static void phone_free(struct phone *p)
{
	unplug_session(p, true);
	mtkemu_free(p->emu);
	test_rmtree(p->dir);
	free(p);
}

static void put(struct phone *p, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	while (len) {
		ssize_t n = write(p->host, b, len);
		assert_true(n > 0);
		b += n;
		len -= (size_t)n;
	}
}

static size_t take(struct phone *p, void *buf, size_t len, int ms)
{
	uint8_t *b = buf;
	size_t got = 0;
	while (got < len) {
		struct pollfd pfd = { .fd = p->host, .events = POLLIN };
		if (poll(&pfd, 1, ms) <= 0)
			break;
		ssize_t n = read(p->host, b + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void take_all(struct phone *p, void *buf, size_t len)
{
	assert_int_equal(take(p, buf, len, 5000), len);
}

/* Nothing more arrives for a while: what "no status after an error" means. */
static void expect_silence(struct phone *p)
{
	uint8_t b;
	assert_int_equal(take(p, &b, 1, 200), 0);
}

/* ---------------------------------------------------------------- framing */

static void send_pkt(struct phone *p, const void *payload, uint32_t len)
{
	uint8_t h[12];
	mtk_put_u32le(h, 0xFEEEEEEFu);
	mtk_put_u32le(h + 4, 1);
	mtk_put_u32le(h + 8, len);
	put(p, h, 12);
	put(p, payload, len);
}

static void send_u32(struct phone *p, uint32_t v)
{
	uint8_t b[4];
	mtk_put_u32le(b, v);
	send_pkt(p, b, 4);
}

/* One packet from the DA: checks the header, returns the payload length. */
static uint32_t recv_pkt(struct phone *p, uint8_t *buf, uint32_t cap)
{
	uint8_t h[12];
	take_all(p, h, 12);
	assert_int_equal(mtk_get_u32le(h), 0xFEEEEEEFu);
	assert_int_equal(mtk_get_u32le(h + 4), 1); /* never a DT_MESSAGE (§5.3) */
	uint32_t n = mtk_get_u32le(h + 8);
	assert_true(n <= cap);
	take_all(p, buf, n);
	return n;
}

static void expect_status(struct phone *p, uint32_t want)
{
	uint8_t b[4];
	assert_int_equal(recv_pkt(p, b, 4), 4);
	assert_int_equal(mtk_get_u32le(b), want);
}

/* P2 getter (§1.9): returns the response length. */
static uint32_t getter(struct phone *p, uint32_t code, uint8_t *resp, uint32_t cap)
{
	send_u32(p, DEVICE_CTRL);
	expect_status(p, 0);
	send_u32(p, code);
	expect_status(p, 0);
	uint32_t n = recv_pkt(p, resp, cap);
	assert_true(n > 0);
	expect_status(p, 0);
	return n;
}

static void expect_ascii(struct phone *p, uint32_t code, const char *want)
{
	uint8_t b[64];
	uint32_t n = getter(p, code, b, sizeof b);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(b, want, n);
}

/* P3 setter with a u32. */
static void setter(struct phone *p, uint32_t code, uint32_t v)
{
	send_u32(p, DEVICE_CTRL);
	expect_status(p, 0);
	send_u32(p, code);
	expect_status(p, 0);
	send_u32(p, v);
	expect_status(p, 0);
}

/* A refused sub-code: 0xC0010004 and nothing more (§3.9). */
static void refused_ctrl(struct phone *p, uint32_t code)
{
	send_u32(p, DEVICE_CTRL);
	expect_status(p, 0);
	send_u32(p, code);
	expect_status(p, UNSUPPORTED_CTRL);
	expect_silence(p);
}

/* ------------------------------------------------------ BROM to the DA1 */

static void brom_bytes(struct phone *p, const char *hex)
{
	uint8_t b[32];
	size_t n = 0;
	for (const char *s = hex; *s; s += 2) {
		unsigned v;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		b[n++] = (uint8_t)v;
	}
	put(p, b, n);
}

static void brom_expect(struct phone *p, const void *want, size_t n)
{
	uint8_t b[32];
	take_all(p, b, n);
	assert_memory_equal(b, want, n);
}

/* Handshake, SEND_DA of da1 to 0x200000, JUMP_DA (brom-protocol.md §3). */
static void jump_to(struct phone *p, const uint8_t *da1)
{
	static const uint8_t hs[4] = { 0x5F, 0xF5, 0xAF, 0xFA };
	static const uint8_t seq[4] = { 0xA0, 0x0A, 0x50, 0x05 };
	for (int i = 0; i < 4; i++) {
		put(p, &seq[i], 1);
		brom_expect(p, &hs[i], 1);
	}
	uint8_t cmd[13] = { 0xD7 };
	mtk_put_u32be(cmd + 1, 0x200000);
	mtk_put_u32be(cmd + 5, SYNTH_DA1_LEN);
	mtk_put_u32be(cmd + 9, SYNTH_SIG_LEN);
	put(p, cmd, 13);
	brom_expect(p, cmd, 13);
	brom_expect(p, "\0\0", 2);
	put(p, da1, SYNTH_DA1_LEN);
	uint8_t r[4];
	take_all(p, r, 4); /* checksum + status */
	assert_int_equal(mtk_get_u16be(r + 2), 0);
	brom_bytes(p, "D500200000");
	brom_expect(p, "\xD5\x00\x20\x00\x00\x00\x00", 7);
}

/* §2.2: C0, host SYNC, SETUP_ENVIRONMENT (Linux), SETUP_HW_INIT_PARAMS, DA1 SYNC;
 * then the §2.3 device controls. */
static void da1_setup(struct phone *p, const char *agent)
{
	uint8_t c0;
	take_all(p, &c0, 1);
	assert_int_equal(c0, 0xC0);
	send_u32(p, SYNC);
	send_u32(p, 0x00010100);
	uint8_t env[20] = { 0 };
	mtk_put_u32le(env, 2);
	mtk_put_u32le(env + 4, 1);
	mtk_put_u32le(env + 8, 1);
	send_pkt(p, env, sizeof env);
	expect_status(p, 0);
	send_u32(p, 0x00010101);
	send_u32(p, 0);
	expect_status(p, 0);
	expect_status(p, SYNC);
	refused_ctrl(p, 0x040011); /* GET_EXPIRE_DATE */
	setter(p, 0x020004, 0x68); /* SET_RESET_KEY */
	setter(p, 0x020003, 0);    /* SET_CHECKSUM_LEVEL */
	expect_ascii(p, 0x04000A, agent);
}

/* §2.5: BOOT_TO of da2 to addr: s1 (and s2 = SYNC when s1 is 0). */
static void boot_to(struct phone *p, uint64_t addr, const uint8_t *img, size_t len, uint32_t s1, bool s2)
{
	send_u32(p, 0x00010008);
	expect_status(p, 0);
	uint8_t prm[16];
	mtk_put_u64le(prm, addr);
	mtk_put_u64le(prm + 8, len);
	send_pkt(p, prm, 16);
	send_pkt(p, img, (uint32_t)len);
	expect_status(p, s1);
	if (s2)
		expect_status(p, SYNC);
	else
		expect_silence(p);
}

static void boot_da2(struct phone *p, uint16_t code)
{
	size_t n;
	uint8_t *da2 = synth_xflash_da2(code, &n);
	boot_to(p, 0x40000000, da2, n, 0, true);
	free(da2);
}

static struct phone *preloader_da2_faults(const char *chip, const char *faults)
{
	struct phone *p = phone_new(chip, "preloader", true, faults);
	uint16_t code = p->emu->prof->da_code;
	uint8_t *da1 = synth_xflash_da1(code);
	jump_to(p, da1);
	free(da1);
	da1_setup(p, "preloader");
	boot_da2(p, code);
	return p;
}

static struct phone *preloader_da2(const char *chip)
{
	return preloader_da2_faults(chip, NULL);
}

/* --------------------------------------------------------------- flash ops */

static void op_block(uint8_t b[56], uint32_t sel, uint64_t addr, uint64_t len)
{
	memset(b, 0, 56);
	mtk_put_u32le(b, 1);
	mtk_put_u32le(b + 4, sel);
	mtk_put_u64le(b + 8, addr);
	mtk_put_u64le(b + 16, len);
}

/* §3.3; returns the chunk count; st2 the second status. */
static int read_data(struct phone *p, uint32_t sel, uint64_t addr, uint64_t len, uint8_t *out, uint32_t st2)
{
	uint8_t blk[56];
	op_block(blk, sel, addr, len);
	send_u32(p, 0x00010005);
	expect_status(p, 0);
	send_pkt(p, blk, 56);
	expect_status(p, 0);
	expect_status(p, st2);
	if (st2)
		return 0;
	int chunks = 0;
	for (uint64_t done = 0; done < len; chunks++) {
		uint32_t n = recv_pkt(p, out + done, (uint32_t)(len - done));
		assert_int_equal(n, len - done < 0x10000 ? len - done : 0x10000); /* Linux host: 64 KiB */
		send_u32(p, 0);
		expect_status(p, 0);
		done += n;
	}
	return chunks;
}

static uint16_t sum16(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += b[i];
	return (uint16_t)s;
}

/* §3.4 with chunks of `chunk` bytes; bad_sum spoils the checksums and
 * expects `chunk_st` for the first chunk (non-zero: the command is over). */
static void write_data(struct phone *p, uint32_t sel, uint64_t addr, const uint8_t *data, uint64_t len,
                       uint32_t chunk, bool bad_sum, uint32_t chunk_st)
{
	uint8_t blk[56];
	op_block(blk, sel, addr, len);
	send_u32(p, 0x00010004);
	expect_status(p, 0);
	send_pkt(p, blk, 56);
	expect_status(p, 0);
	for (uint64_t done = 0; done < len;) {
		uint32_t n = len - done < chunk ? (uint32_t)(len - done) : chunk;
		send_u32(p, 0);
		send_u32(p, (uint32_t)(sum16(data + done, n) ^ (bad_sum ? 1 : 0)));
		send_pkt(p, data + done, n);
		expect_status(p, bad_sum ? chunk_st : 0);
		if (bad_sum && chunk_st) {
			expect_silence(p);
			return;
		}
		done += n;
	}
	expect_status(p, 0);
}

/* ------------------------------------------------------------------- tests */

/* §2.6/§2.7 on a preloader-loaded DA2 (MT6765): the reinit getters, then the
 * typo sub-code after a write (§3.4). */
static void test_preloader_boot_and_reinit(void **state)
{
	(void)state;
	struct phone *p = preloader_da2("mt6765");
	uint8_t b[256];
	assert_int_equal(getter(p, 0x040016, b, sizeof b), 4); /* SLA off */
	assert_int_equal(mtk_get_u32le(b), 0);
	assert_int_equal(getter(p, 0x04000C, b, sizeof b), 48); /* RAM: SRAM + DRAM */
	assert_int_equal(mtk_get_u32le(b + 24), 1);
	assert_int_equal(mtk_get_u64le(b + 32), 0x40000000);
	assert_true(mtk_get_u64le(b + 40) > 0);
	assert_int_equal(getter(p, 0x040001, b, sizeof b), 104); /* eMMC */
	assert_int_equal(mtk_get_u32le(b), 1);
	assert_int_equal(mtk_get_u32le(b + 4), 512);
	assert_int_equal(mtk_get_u64le(b + 8), 4 * MIB);
	assert_int_equal(mtk_get_u64le(b + 0x40), 8 * GIB);
	assert_memory_equal(b + 0x48, emu_emmc_geometry(p->emu->storage)->cid, 16);
	assert_int_equal(getter(p, 0x040002, b, sizeof b), 45);
	assert_int_equal(mtk_get_u32le(b), 0);
	assert_int_equal(getter(p, 0x040003, b, sizeof b), 16);
	assert_int_equal(getter(p, 0x040004, b, sizeof b), 202); /* UFS type 0 */
	assert_int_equal(mtk_get_u32le(b), 0);
	assert_int_equal(getter(p, 0x04000D, b, sizeof b), 12);
	assert_int_equal(mtk_get_u16le(b), 0x0766);
	assert_true(getter(p, 0x040005, b, sizeof b) > 0);
	assert_int_equal(getter(p, 0x040008, b, sizeof b), 16);
	expect_ascii(p, 0x04000B, "high-speed");
	assert_int_equal(getter(p, 0x040007, b, sizeof b), 8); /* DA2, Linux host */
	assert_int_equal(mtk_get_u32le(b), 0x200000);
	assert_int_equal(mtk_get_u32le(b + 4), 0x10000);
	assert_int_equal(getter(p, 0x040009, b, sizeof b), 4);
	assert_int_equal(mtk_get_u32le(b), 0x64); /* GPT */
	refused_ctrl(p, 0x00800005);                /* mtkclient's typo of 0x080005 */
	refused_ctrl(p, 0x0E0003);
	send_u32(p, 0x0001000C); /* READ_OTP_ZONE: not modelled */
	expect_status(p, 0xC0010003);
	expect_silence(p);
	assert_int_equal(mtkemu_violations(p->emu), 0);
	phone_free(p);
}

static void test_read_write_format(void **state)
{
	(void)state;
	struct phone *p = preloader_da2("mt6765");
	size_t len = 0x30200;
	uint8_t *data = malloc(len), *back = malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	/* GPT: protective MBR at LBA 0, "EFI PART" at LBA 1 */
	assert_int_equal(read_data(p, 8, 0, 0x400, back, 0), 1);
	assert_int_equal(back[0x1FE], 0x55);
	assert_int_equal(back[0x1C2], 0xEE);
	assert_memory_equal(back + 0x200, "EFI PART", 8);
	write_data(p, 8, 0x100000, data, len, 0x10000, false, 0);
	refused_ctrl(p, 0x00800005);
	assert_int_equal(read_data(p, 8, 0x100000, len, back, 0), 4);
	assert_memory_equal(back, data, len);
	/* boot2, then FORMAT it with progress (§3.5) */
	write_data(p, 2, 0x1000, data, 0x4000, 0x4000, false, 0);
	uint8_t blk[56], b[8];
	op_block(blk, 2, 0, 0x40000);
	send_u32(p, 0x00010003);
	expect_status(p, 0);
	send_pkt(p, blk, 56);
	expect_status(p, 0);
	expect_status(p, 0x40040004);
	assert_int_equal(recv_pkt(p, b, 4), 4);
	assert_int_equal(mtk_get_u32le(b), 100);
	send_u32(p, 0);
	expect_status(p, 0x40040005);
	read_data(p, 2, 0x1000, 0x4000, back, 0);
	for (size_t i = 0; i < 0x4000; i++)
		assert_int_equal(back[i], 0);
	/* out of range, RPMB, GP1, UFS: refused in the second status, nothing more */
	read_data(p, 1, 4 * MIB - 0x200, 0x400, back, 0xC004000B);
	read_data(p, 3, 0, 0x200, back, 0xC0040001);
	read_data(p, 4, 0, 0x200, back, 0xC0030007);
	expect_silence(p);
	free(data);
	free(back);
	phone_free(p);
}

/* SET_CHECKSUM_LEVEL bit 0: a wrong chunk sum is 0xC0040003 and nothing is
 * stored; bit 1: a flaky block (corrupt-write fault) is caught by the DA's
 * own read-back. */
static void test_checksum_levels(void **state)
{
	(void)state;
	struct phone *p = preloader_da2("mt6765");
	uint8_t data[0x1000], back[0x1000];
	memset(data, 0xA5, sizeof data);
	write_data(p, 8, 0x200000, data, sizeof data, 0x1000, true, 0); /* level 0: ignored */
	setter(p, 0x020003, 1);
	memset(data, 0x3C, sizeof data);
	write_data(p, 8, 0x200000, data, sizeof data, 0x1000, true, 0xC0040003);
	read_data(p, 8, 0x200000, sizeof back, back, 0);
	assert_int_equal(back[0], 0xA5); /* the refused chunk was not stored */
	write_data(p, 8, 0x200000, data, sizeof data, 0x1000, false, 0);
	phone_free(p);

	p = preloader_da2_faults("mt6765", "corrupt-write=user:0x300000:16");
	write_data(p, 8, 0x300000, data, sizeof data, 0x1000, false, 0); /* level 0: unnoticed */
	setter(p, 0x020003, 2);
	uint8_t blk[56];
	op_block(blk, 8, 0x300000, sizeof data);
	send_u32(p, 0x00010004);
	expect_status(p, 0);
	send_pkt(p, blk, 56);
	expect_status(p, 0);
	send_u32(p, 0);
	send_u32(p, sum16(data, sizeof data));
	send_pkt(p, data, sizeof data);
	expect_status(p, 0xC0040003);
	expect_silence(p);
	phone_free(p);
}

/* BROM mode: DA1 runs from SRAM; BOOT_TO before INIT_EXT_RAM never starts DA2;
 * with the board's EMI block it does; full speed until SWITCH_USB_SPEED. */
static void emi_block(const struct emu_profile *prof, uint8_t *blk, size_t *len)
{
	memset(blk, 0, 0x70);
	memcpy(blk, "MTK_BLOADER_INFO_v20", 20);
	memcpy(blk + 0x64, "MTK_BIN", 7);
	mtk_put_u32le(blk + 0x6C, 1);
	emu_board_emi_record(prof, blk + 0x70);
	*len = 0x70 + EMU_EMI_RECORD_SIZE;
}

static void send_emi(struct phone *p, const uint8_t *blk, size_t len)
{
	send_u32(p, 0x0001000A);
	expect_status(p, 0);
	send_u32(p, (uint32_t)len);
	send_pkt(p, blk, (uint32_t)len);
}

static struct phone *brom_da1(const char *chip)
{
	struct phone *p = phone_new(chip, "brom", true, NULL);
	uint8_t *da1 = synth_xflash_da1(p->emu->prof->da_code);
	jump_to(p, da1);
	free(da1);
	da1_setup(p, "brom");
	return p;
}

static void test_brom_emi_speed_switch(void **state)
{
	(void)state;
	struct phone *p = brom_da1("mt6785");
	uint8_t blk[0x200], b[64];
	size_t len;
	emi_block(p->emu->prof, blk, &len);
	assert_int_equal(getter(p, 0x040007, b, sizeof b), 8); /* DA1: 4 KiB both ways */
	assert_int_equal(mtk_get_u32le(b), 0x1000);
	send_u32(p, 0x00010005); /* no flash operations in DA1 */
	expect_status(p, 0xC0010003);
	send_emi(p, blk, len);
	expect_status(p, 0);
	boot_da2(p, 0x6785);
	expect_ascii(p, 0x04000A, "brom");
	expect_ascii(p, 0x04000B, "full-speed");
	send_u32(p, 0x0001000B);
	expect_status(p, 0);
	send_u32(p, 0x0E8D2001);
	expect_status(p, 0);
	/* the device leaves the bus and comes back at high speed, DA2 running */
	assert_int_equal(unplug_session(p, false), MTKEMU_END_REENUMERATE);
	plug(p);
	expect_ascii(p, 0x04000B, "high-speed");
	phone_free(p);
}

static void test_brom_boot_to_without_dram(void **state)
{
	(void)state;
	struct phone *p = brom_da1("mt6761");
	size_t n;
	uint8_t *da2 = synth_xflash_da2(0x6761, &n);
	boot_to(p, 0x40000000, da2, n, 0, false); /* received, but DA2 never reports */
	free(da2);
	phone_free(p);
}

static void test_emi_for_another_board_hangs(void **state)
{
	(void)state;
	struct phone *p = brom_da1("mt6765");
	uint8_t blk[0x200];
	size_t len;
	emi_block(emu_profile_find("mt6785"), blk, &len); /* another chip's flash id */
	send_emi(p, blk, len);
	expect_silence(p);
	phone_free(p);
	p = brom_da1("mt6765");
	memcpy(blk, "NOT_AN_EMI_BLOCK", 16);
	send_emi(p, blk, len);
	expect_status(p, 0xC0040050);
	phone_free(p);
}

/* DA1 checks DA2 against its own hash slot (§2.1): a changed DA2 is
 * 0xC0070004 and DA1 stays in its loop; so is any other address (§5.3). */
static void test_da2_hash_mismatch(void **state)
{
	(void)state;
	struct phone *p = phone_new("mt6771", "preloader", true, NULL);
	uint8_t *da1 = synth_xflash_da1(0x6771);
	jump_to(p, da1);
	free(da1);
	da1_setup(p, "preloader");
	size_t n;
	uint8_t *da2 = synth_xflash_da2(0x6771, &n);
	da2[0x4000] ^= 1;
	boot_to(p, 0x40000000, da2, n, HASH_MISMATCH, false);
	da2[0x4000] ^= 1;
	boot_to(p, 0x4FFF0000, da2, n, HASH_MISMATCH, false);
	boot_to(p, 0x40000000, da2, n, 0, true);
	boot_to(p, 0x4FFF0000, da2, n, HASH_MISMATCH, false); /* DA2 refuses extensions */
	free(da2);
	phone_free(p);
}

/* A host that patched DA2 rewrites DA1's hash slot: DA1 accepts that DA2. */
static void test_patched_da2_with_its_hash(void **state)
{
	(void)state;
	struct phone *p = phone_new("mt6739", "preloader", true, NULL);
	size_t n;
	uint8_t *da2 = synth_xflash_da2(0x6739, &n);
	da2[0x100] ^= 0xFF;
	uint8_t *da1 = synth_xflash_da1_for(0x6739, da2, n);
	jump_to(p, da1);
	da1_setup(p, "preloader");
	boot_to(p, 0x40000000, da2, n, 0, true);
	free(da1);
	free(da2);
	phone_free(p);
}

static void test_wrong_da1_never_syncs(void **state)
{
	(void)state;
	struct phone *p = phone_new("mt6765", "preloader", true, NULL);
	uint8_t *da1 = synth_xflash_da1(0x6761); /* another chip's DA */
	jump_to(p, da1);
	free(da1);
	expect_silence(p);
	phone_free(p);
}

/* §2.7: the DA outlives the port; SHUTDOWN ends it (all zero: off the bus;
 * reboot flag: a reset and a new enumeration). */
static void test_sessions_and_shutdown(void **state)
{
	(void)state;
	struct phone *p = preloader_da2("mt6768");
	uint8_t b[64], prm[32] = { 0 };
	assert_int_equal(unplug_session(p, true), MTKEMU_END_CLOSED);
	plug(p);
	assert_int_equal(getter(p, 0x04000C, b, sizeof b), 48);
	put(p, "\xA0", 1); /* a handshake byte into the DA: the host's bug */
	send_u32(p, DEVICE_CTRL);
	expect_status(p, 0);
	assert_int_equal(mtkemu_violations(p->emu), 1);
	send_u32(p, 0x040007);
	expect_status(p, 0);
	assert_int_equal(recv_pkt(p, b, sizeof b), 8);
	expect_status(p, 0);
	send_u32(p, 0x00010007);
	expect_status(p, 0);
	send_pkt(p, prm, 32);
	expect_status(p, 0);
	assert_int_equal(unplug_session(p, false), MTKEMU_END_GONE);
	mtkemu_replug(p->emu);
	plug(p);
	static const uint8_t a0 = 0xA0, five_f = 0x5F;
	put(p, &a0, 1);
	brom_expect(p, &five_f, 1); /* the preloader again (simple model) */
	phone_free(p);

	p = preloader_da2("mt6797");
	mtk_put_u32le(prm, 1);
	mtk_put_u32le(prm + 4, 3000);
	send_u32(p, 0x00010007);
	expect_status(p, 0);
	send_pkt(p, prm, 24); /* SP Flash Tool's 24-byte reboot_option */
	expect_status(p, 0);
	assert_int_equal(unplug_session(p, false), MTKEMU_END_REENUMERATE);
	plug(p);
	put(p, &a0, 1);
	brom_expect(p, &five_f, 1);
	phone_free(p);
}

/* Every xflash chip of the table boots its DA2 and reads its GPT. */
static void test_every_xflash_chip(void **state)
{
	(void)state;
	for (const char *const *n = mtkemu_chip_names(); *n; n++) {
		const struct emu_profile *prof = emu_profile_find(*n);
		if (prof->da_family != EMU_DA_XFLASH)
			continue;
		struct phone *p = preloader_da2(*n);
		uint8_t back[0x400];
		read_data(p, 8, 0, sizeof back, back, 0);
		assert_memory_equal(back + 0x200, "EFI PART", 8);
		phone_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preloader_boot_and_reinit),
		cmocka_unit_test(test_read_write_format),
		cmocka_unit_test(test_checksum_levels),
		cmocka_unit_test(test_brom_emi_speed_switch),
		cmocka_unit_test(test_brom_boot_to_without_dram),
		cmocka_unit_test(test_emi_for_another_board_hangs),
		cmocka_unit_test(test_da2_hash_mismatch),
		cmocka_unit_test(test_patched_da2_with_its_hash),
		cmocka_unit_test(test_wrong_da1_never_syncs),
		cmocka_unit_test(test_sessions_and_shutdown),
		cmocka_unit_test(test_every_xflash_chip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
