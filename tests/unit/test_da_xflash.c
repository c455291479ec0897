/* SPDX-License-Identifier: MIT */
/* The xflash (DA v5) client against scripted device answers: every host
 * byte pinned as da-xflash.md §2.2-§2.7 and §3.3-§3.6 give them (packets of
 * a 12-byte little-endian header and a payload), and the status names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ctx.h"
#include "da/xflash_priv.h" /* white-box: a session filled by hand */
#include "script_tp.h"

#define DA2_LEN 0x2100u
#define DA2_SIG 0x100u
#define RD_PKT 0x400u
#define WR_PKT 0x200u

struct fx {
	mtk_ctx *ctx;
	struct script sc;
	struct mtk_transport tp;
	struct mtk_da da;
	uint8_t *da2;
};

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* One framed packet: EF EE EE FE, type 1, length, payload. */
static void pkt(struct script *s, char dir, const void *payload, size_t n)
{
	uint8_t h[12] = { 0xEF, 0xEE, 0xEE, 0xFE, 1, 0, 0, 0 };
	le32(h + 8, (uint32_t)n);
	sc_add(s, dir, h, sizeof h);
	if (n)
		sc_add(s, dir, payload, n);
}

static void u32(struct script *s, char dir, uint32_t v)
{
	uint8_t b[4];
	le32(b, v);
	pkt(s, dir, b, 4);
}

static void ctrl_head(struct script *s, uint32_t code, uint32_t st)
{
	u32(s, 'H', 0x00010009);
	u32(s, 'D', 0);
	u32(s, 'H', code);
	u32(s, 'D', st);
}

static void ctrl_get(struct script *s, uint32_t code, const void *resp, size_t n)
{
	ctrl_head(s, code, 0);
	pkt(s, 'D', resp, n);
	u32(s, 'D', 0);
}

static void ctrl_set(struct script *s, uint32_t code, uint32_t v)
{
	ctrl_head(s, code, 0);
	u32(s, 'H', v);
	u32(s, 'D', 0);
}

static const uint8_t cid[16] = { 0x90, 0x01, 0x4A, 0x48, 0x41, 0x47, 0x34, 0x65, 0x04, 0x12, 0x34, 0x56, 0x78 };

/* A 104-byte GET_EMMC_INFO (§3.10): 4 MiB boot areas, 4 MiB RPMB, 64 MiB user. */
static void emmc_info(uint8_t b[104])
{
	memset(b, 0, 104);
	le32(b, 1);
	le32(b + 4, 512);
	le64(b + 0x08, 0x400000);
	le64(b + 0x10, 0x400000);
	le64(b + 0x18, 0x400000);
	le64(b + 0x40, 0x4000000);
	memcpy(b + 0x48, cid, 16);
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
	f->da.brom.info.hw_code = 0x0766;
	f->da.brom.info.mode = MTK_MODE_PRELOADER;
	f->da2 = malloc(DA2_LEN);
	for (size_t i = 0; i < DA2_LEN; i++)
		f->da2[i] = (uint8_t)(i * 13 + 5);
	f->da.choice.family = MTK_DA_XFLASH;
	f->da.choice.da2.addr = 0x40000000;
	f->da.choice.da2.data = f->da2;
	f->da.choice.da2.len = DA2_LEN;
	f->da.choice.da2.sig_len = DA2_SIG;
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

static void assert_script_ok(struct fx *f, int rc)
{
	if (rc < 0 || f->sc.failure[0])
		fail_msg("rc %d: %s | script: %s", rc, mtk_ctx_error(f->ctx), f->sc.failure);
}

/* §2.2: C0, SYNC, SETUP_ENVIRONMENT (INFO, UART, system_os 0: 2 MiB read chunks), SETUP_HW_INIT_PARAMS. */
static void script_da1(struct script *s)
{
	sc_hex(s, 'D', "C0");
	sc_hex(s, 'H', "EFEEEEFE 01000000 04000000 53594E43");
	sc_hex(s, 'H', "EFEEEEFE 01000000 04000000 00010100");
	sc_hex(s, 'H', "EFEEEEFE 01000000 14000000 02000000 01000000 00000000 00000000 00000000");
	sc_hex(s, 'D', "EFEEEEFE 01000000 04000000 00000000");
	sc_hex(s, 'H', "EFEEEEFE 01000000 04000000 01010100");
	sc_hex(s, 'H', "EFEEEEFE 01000000 04000000 00000000");
	sc_hex(s, 'D', "EFEEEEFE 01000000 04000000 00000000");
	sc_hex(s, 'D', "EFEEEEFE 01000000 04000000 53594E43");
	ctrl_set(s, 0x020004, 0x68);
	ctrl_set(s, 0x020003, 0);
}

/* §2.5: BOOT_TO of DA2 without its signature, then s1 and s2. */
static void script_boot_to(struct fx *f, uint32_t s1)
{
	struct script *s = &f->sc;
	u32(s, 'H', 0x00010008);
	u32(s, 'D', 0);
	sc_hex(s, 'H', "EFEEEEFE 01000000 10000000 00000040 00000000 00200000 00000000");
	pkt(s, 'H', f->da2, DA2_LEN - DA2_SIG);
	u32(s, 'D', s1);
	if (s1 == 0)
		u32(s, 'D', 0x434E5953);
}

/* §2.6-§2.7: SLA off, then the storage report; NAND, NOR and UFS refused. */
static void script_reinit(struct script *s, const char *speed)
{
	uint8_t b[104], ram[48] = { 0 };
	ctrl_get(s, 0x040016, "\0\0\0\0", 4);
	le32(ram, 2), le64(ram + 8, 0x100000), le64(ram + 16, 0x40000);
	le32(ram + 24, 1), le64(ram + 32, 0x40000000), le64(ram + 40, 0x80000000);
	ctrl_get(s, 0x04000C, ram, sizeof ram);
	emmc_info(b);
	ctrl_get(s, 0x040001, b, sizeof b);
	ctrl_head(s, 0x040002, 0xC0010004);
	ctrl_head(s, 0x040003, 0xC0010004);
	ctrl_head(s, 0x040004, 0xC0010004);
	ctrl_get(s, 0x04000D, "\x66\x07\x00\x8a\x00\xca\x00\x00\x00\x00\x00\x00", 12);
	ctrl_get(s, 0x040005, "1.0", 3);
	ctrl_get(s, 0x04000B, speed, strlen(speed));
	uint8_t pl[8];
	le32(pl, WR_PKT), le32(pl + 4, RD_PKT);
	ctrl_get(s, 0x040007, pl, sizeof pl);
	ctrl_get(s, 0x040009, "\x64\0\0\0", 4);
}

static void script_connect(struct fx *f)
{
	script_da1(&f->sc);
	ctrl_get(&f->sc, 0x04000A, "preloader", 9);
	script_boot_to(f, 0);
	script_reinit(&f->sc, "high-speed");
}

static void test_connect_preloader(void **state)
{
	struct fx *f = *state;
	script_connect(f);
	assert_script_ok(f, mtk_da_xflash_start(&f->da, NULL));
	assert_true(sc_done(&f->sc));
	const struct mtk_da_storage *st = &f->da.storage;
	assert_int_equal(st->type, MTK_STORAGE_EMMC);
	assert_int_equal(st->regions.size[MTK_REGION_USER], 0x4000000);
	assert_int_equal(st->regions.size[MTK_REGION_BOOT2], 0x400000);
	assert_memory_equal(st->cid, cid, 16);
	assert_int_equal(st->write_packet_len, WR_PKT);
	assert_int_equal(st->read_packet_len, RD_PKT);
	assert_int_equal(st->usb_speed, 1);
	assert_int_equal(st->ext_ram_size, 0x80000000u);
	assert_int_equal(st->ptable_category, 0x64);
	assert_string_equal(st->da_version_text, "1.0");
	assert_false(st->dram_configured_by_host);
	assert_string_equal(mtk_da_protocol(&f->da), "xflash");
}

/* The preloader's EMI block: a v21 header and one eMMC-MCP record naming cid. */
static struct mtk_emi_table emi_table_for(const uint8_t *id)
{
	struct mtk_emi_table t;
	memset(&t, 0, sizeof t);
	t.version = 21;
	t.count = 1;
	t.record_size = 0x100;
	t.described = 1;
	t.rec[0].type = 0x0206;
	t.rec[0].id_len = 9;
	memcpy(t.rec[0].id, id, 9);
	return t;
}

static const uint8_t emi_block[0x30] = "MTK_BLOADER_INFO_v21";

static void script_brom_emi(struct fx *f)
{
	struct script *s = &f->sc;
	uint8_t b[104];
	script_da1(s);
	ctrl_get(s, 0x04000A, "brom", 4);
	emmc_info(b);
	ctrl_get(s, 0x040001, b, sizeof b);
	u32(s, 'H', 0x0001000A);
	u32(s, 'D', 0);
	u32(s, 'H', sizeof emi_block);
	pkt(s, 'H', emi_block, sizeof emi_block);
}

static void test_connect_brom_emi(void **state)
{
	struct fx *f = *state;
	f->da.brom.info.mode = MTK_MODE_BROM;
	script_brom_emi(f);
	u32(&f->sc, 'D', 0);
	script_boot_to(f, 0);
	script_reinit(&f->sc, "high-speed");
	struct mtk_emi_table t = emi_table_for(cid);
	struct mtk_da_emi e = { emi_block + 0x10, 0x20, 21, &t, emi_block, sizeof emi_block };
	assert_script_ok(f, mtk_da_xflash_start(&f->da, &e));
	assert_true(sc_done(&f->sc));
	assert_true(f->da.storage.dram_configured_by_host);
}

/* §2.4: a DA whose DRAM init failed says nothing at all. */
static void test_emi_silence(void **state)
{
	struct fx *f = *state;
	script_brom_emi(f);
	sc_add(&f->sc, 'T', "", 0);
	struct mtk_emi_table t = emi_table_for(cid);
	struct mtk_da_emi e = { emi_block, sizeof emi_block, 21, &t, emi_block, sizeof emi_block };
	assert_int_equal(mtk_da_xflash_start(&f->da, &e), MTK_E_TIMEOUT);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "DRAM init failed"));
	assert_string_equal(f->sc.failure, "");
}

/* A table for another board: refused on the host, INIT_EXT_RAM never sent. */
static void test_emi_mismatch_sends_nothing(void **state)
{
	struct fx *f = *state;
	uint8_t b[104];
	script_da1(&f->sc);
	ctrl_get(&f->sc, 0x04000A, "brom", 4);
	emmc_info(b);
	ctrl_get(&f->sc, 0x040001, b, sizeof b);
	static const uint8_t other[9] = { 0x15, 0x01, 0x00, 0x42, 0x4A, 0x54, 0x41, 0x42, 0x52 };
	struct mtk_emi_table t = emi_table_for(other);
	struct mtk_da_emi e = { emi_block, sizeof emi_block, 21, &t, emi_block, sizeof emi_block };
	assert_int_equal(mtk_da_xflash_start(&f->da, &e), MTK_E_POLICY);
	assert_true(sc_done(&f->sc));
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "do not fit this board"));
}

static void test_brom_without_preloader(void **state)
{
	struct fx *f = *state;
	script_da1(&f->sc);
	ctrl_get(&f->sc, 0x04000A, "brom", 4);
	assert_int_equal(mtk_da_xflash_start(&f->da, NULL), MTK_E_UNSUPPORTED);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "--preloader"));
	assert_true(sc_done(&f->sc));
}

static void test_da2_hash_mismatch(void **state)
{
	struct fx *f = *state;
	script_da1(&f->sc);
	ctrl_get(&f->sc, 0x04000A, "preloader", 9);
	script_boot_to(f, 0xC0070004);
	assert_int_equal(mtk_da_xflash_start(&f->da, NULL), MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "0xc0070004 DA hash mismatch"));
	assert_true(sc_done(&f->sc));
}

static void test_bad_agent(void **state)
{
	struct fx *f = *state;
	script_da1(&f->sc);
	ctrl_get(&f->sc, 0x04000A, "brom\0", 5);
	assert_int_equal(mtk_da_xflash_start(&f->da, NULL), MTK_E_PROTO);
}

static void test_bad_magic(void **state)
{
	struct fx *f = *state;
	sc_hex(&f->sc, 'D', "C0");
	sc_hex(&f->sc, 'H', "EFEEEEFE 01000000 04000000 53594E43");
	sc_hex(&f->sc, 'H', "EFEEEEFE 01000000 04000000 00010100");
	sc_hex(&f->sc, 'H', "EFEEEEFE 01000000 14000000 02000000 01000000 00000000 00000000 00000000");
	sc_hex(&f->sc, 'D', "EFEEEEFF 01000000 04000000 00000000");
	assert_int_equal(mtk_da_xflash_start(&f->da, NULL), MTK_E_PROTO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "not a DA packet"));
}

static void connect(struct fx *f)
{
	script_connect(f);
	assert_script_ok(f, mtk_da_xflash_start(&f->da, NULL));
}

/* §3.2: storage, section, address, length, then 32 zero bytes. */
static void op_block(struct script *s, uint32_t code, uint32_t section, uint64_t addr, uint64_t len)
{
	uint8_t op[56] = { 0 };
	le32(op, 1), le32(op + 4, section), le64(op + 8, addr), le64(op + 16, len);
	u32(s, 'H', code);
	u32(s, 'D', 0);
	pkt(s, 'H', op, sizeof op);
	u32(s, 'D', 0);
}

struct collect {
	uint8_t buf[0x800];
	size_t len;
};

static int collect_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct collect *c = user;
	assert_true(off + len <= sizeof c->buf);
	memcpy(c->buf + off, buf, len);
	if (off + len > c->len)
		c->len = off + len;
	return 0;
}

/* §3.3: two statuses after the block, then chunk / ACK / status; the DA
 * chooses the chunk size (read_packet_length). */
static void test_read(void **state)
{
	struct fx *f = *state;
	connect(f);
	struct script *s = &f->sc;
	uint8_t data[0x600];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i ^ 0x5C);
	op_block(s, 0x00010005, 8, 0x200, 0x600);
	u32(s, 'D', 0);
	pkt(s, 'D', data, RD_PKT);
	u32(s, 'H', 0);
	u32(s, 'D', 0);
	pkt(s, 'D', data + RD_PKT, sizeof data - RD_PKT);
	u32(s, 'H', 0);
	u32(s, 'D', 0);
	struct collect c = { .len = 0 };
	/* 0x5F0 bytes: the wire carries whole sectors, the sink what was asked. */
	assert_script_ok(f, mtk_da_read(&f->da, "reading", MTK_REGION_USER, 0x200, 0x5F0, collect_sink, &c));
	assert_true(sc_done(s));
	assert_int_equal(c.len, 0x5F0);
	assert_memory_equal(c.buf, data, 0x5F0);
}

/* Where the sink was called: the script's step, against the step of each
 * chunk's ACK. */
struct after_ack {
	const struct script *s;
	size_t ack_step[2];
	size_t calls;
	size_t fail_call; /* this call fails; past the calls made: none */
};

static int after_ack_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct after_ack *a = user;
	(void)off, (void)buf, (void)len;
	assert_true(a->calls < 2);
	assert_true(a->s->cur > a->ack_step[a->calls]); /* the ACK went out first */
	return a->calls++ == a->fail_call ? MTK_E_IO : 0;
}

/* A READ_DATA of `chunks` zero chunks of RD_PKT bytes, each step of a
 * host ACK noted in *a. */
static void script_zero_read(struct script *s, struct after_ack *a, size_t chunks)
{
	static const uint8_t zero[RD_PKT];
	op_block(s, 0x00010005, 8, 0, chunks * RD_PKT);
	u32(s, 'D', 0);
	for (size_t i = 0; i < chunks; i++) {
		pkt(s, 'D', zero, RD_PKT);
		u32(s, 'H', 0);
		a->ack_step[i] = s->n - 1;
		u32(s, 'D', 0);
	}
}

/* A chunk's last piece (here the whole of each 0x400-byte chunk) reaches the
 * sink after the host's ACK, so the DA sends on while the host works. */
static void test_read_sinks_after_ack(void **state)
{
	struct fx *f = *state;
	connect(f);
	struct script *s = &f->sc;
	uint8_t data[2 * RD_PKT];
	struct after_ack a = { .s = s, .fail_call = 2 };
	script_zero_read(s, &a, 2);
	assert_script_ok(f, mtk_da_read(&f->da, "reading", MTK_REGION_USER, 0, sizeof data, after_ack_sink, &a));
	assert_true(sc_done(s));
	assert_int_equal(a.calls, 2);
}

/* A sink that refuses the piece after the ACK: its error is returned, and the
 * DA's status for the chunk is read first, so nothing is left unread. */
static void test_read_sink_fails_after_ack(void **state)
{
	struct fx *f = *state;
	connect(f);
	struct script *s = &f->sc;
	uint8_t data[RD_PKT];
	struct after_ack a = { .s = s, .fail_call = 0 };
	script_zero_read(s, &a, 1);
	assert_int_equal(mtk_da_read(&f->da, "reading", MTK_REGION_USER, 0, sizeof data, after_ack_sink, &a),
			 MTK_E_IO);
	assert_true(sc_done(s));
}

/* A storage error sent in place of a chunk. */
static void test_read_error_in_place_of_data(void **state)
{
	struct fx *f = *state;
	connect(f);
	op_block(&f->sc, 0x00010005, 1, 0, 0x400);
	u32(&f->sc, 'D', 0);
	u32(&f->sc, 'D', 0xC0040030);
	struct collect c = { .len = 0 };
	assert_int_equal(mtk_da_read(&f->da, "reading", MTK_REGION_BOOT1, 0, 0x400, collect_sink, &c),
			 MTK_E_STATUS);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "0xc0040030 (STATUS_MMC_ERR)"));
}

/* A read the DA refuses in its second status: nothing more is exchanged. */
static void test_read_refused(void **state)
{
	struct fx *f = *state;
	connect(f);
	op_block(&f->sc, 0x00010005, 8, 0, 0x200);
	u32(&f->sc, 'D', 0xC004000B);
	struct collect c = { .len = 0 };
	assert_int_equal(mtk_da_read(&f->da, "reading", MTK_REGION_USER, 0, 0x200, collect_sink, &c), MTK_E_STATUS);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "STATUS_EXCEED_AVALIABLE_RANGE"));
	assert_string_equal(mtk_ctx_error_status(f->ctx), "STATUS_EXCEED_AVALIABLE_RANGE");
	assert_true(sc_done(&f->sc));
}

struct pattern {
	size_t len;
};

static int pattern_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	struct pattern *p = user;
	size_t n = off >= p->len ? 0 : (p->len - off < len ? (size_t)(p->len - off) : len);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)((off + i) * 3 + 1);
	return (int)n;
}

static uint32_t sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s & 0xFFFF;
}

/* §3.4: padded to 512, chunks of write_packet_length: flag, sum, data, status. */
static void script_write(struct fx *f, uint32_t chunk2_status)
{
	struct script *s = &f->sc;
	uint8_t data[0x400] = { 0 };
	for (size_t i = 0; i < 0x300; i++)
		data[i] = (uint8_t)(i * 3 + 1);
	op_block(s, 0x00010004, 2, 0x1000, 0x400);
	for (int k = 0; k < 2; k++) {
		u32(s, 'H', 0);
		u32(s, 'H', sum(data + k * WR_PKT, WR_PKT));
		pkt(s, 'H', data + k * WR_PKT, WR_PKT);
		u32(s, 'D', k == 1 ? chunk2_status : 0);
	}
	if (chunk2_status == 0)
		u32(s, 'D', 0);
}

static void test_write(void **state)
{
	struct fx *f = *state;
	connect(f);
	script_write(f, 0);
	struct pattern p = { 0x300 };
	/* The writer's deferred work runs while the DA stores the last chunk. */
	struct sc_idle idle = { .s = &f->sc };
	mtk_da_set_write_idle(&f->da, sc_note_idle, &idle);
	assert_script_ok(f, mtk_da_write(&f->da, "writing", MTK_REGION_BOOT2, 0x1000, 0x300, pattern_source, &p));
	assert_true(sc_done(&f->sc));
	assert_true(sc_idle_before_last_answer(&idle));
}

/* SET_CHECKSUM_LEVEL (§1.8) and the DA's checksum error on a chunk. */
static void test_device_checks(void **state)
{
	struct fx *f = *state;
	connect(f);
	ctrl_set(&f->sc, 0x020003, 3);
	script_write(f, 0xC0040003);
	assert_script_ok(f, mtk_da_set_device_checks(&f->da, MTK_DA_CHECK_USB | MTK_DA_CHECK_STORAGE));
	assert_int_equal(mtk_da_device_checks(&f->da), 3);
	struct pattern p = { 0x300 };
	assert_int_equal(mtk_da_write(&f->da, "writing", MTK_REGION_BOOT2, 0x1000, 0x300, pattern_source, &p),
			 MTK_E_VERIFY);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "storage read-back"));
	assert_true(sc_done(&f->sc));
	assert_int_equal(mtk_da_set_device_checks(&f->da, 4), MTK_E_INVAL);
}

/* §3.5: progress reports, each acknowledged, until COMPLETE. */
static void test_format(void **state)
{
	struct fx *f = *state;
	connect(f);
	struct script *s = &f->sc;
	op_block(s, 0x00010003, 8, 0x100000, 0x200000);
	u32(s, 'D', 0x40040004);
	u32(s, 'D', 50);
	u32(s, 'H', 0);
	u32(s, 'D', 0x40040004);
	u32(s, 'D', 100);
	u32(s, 'H', 0);
	u32(s, 'D', 0x40040005);
	assert_script_ok(f, mtk_da_erase(&f->da, "erasing", MTK_REGION_USER, 0x100000, 0x200000));
	assert_true(sc_done(s));
}

static void test_format_error(void **state)
{
	struct fx *f = *state;
	connect(f);
	op_block(&f->sc, 0x00010003, 8, 0, 0x1000);
	u32(&f->sc, 'D', 0xC002000D);
	assert_int_equal(mtk_da_erase(&f->da, "erasing", MTK_REGION_USER, 0, 0x1000), MTK_E_SECURITY);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "STATUS_SEC_FORMAT_NOT_ALLOWED"));
}

/* §3.6: SP Flash Tool's 24-byte reboot_option, reboot after 3 s. */
static void test_shutdown(void **state)
{
	struct fx *f = *state;
	connect(f);
	u32(&f->sc, 'H', 0x00010007);
	u32(&f->sc, 'D', 0);
	sc_hex(&f->sc, 'H', "EFEEEEFE 01000000 18000000 01000000 B80B0000 00000000 00000000 00000000 00000000");
	u32(&f->sc, 'D', 0);
	assert_script_ok(f, mtk_da_finish(&f->da, MTK_FINISH_NORMAL));
	assert_true(sc_done(&f->sc));
	assert_true(mtk_da_finished(&f->da));
}

/* Names come from the catalogue: MediaTek's STATUS_* (v5.1952), the XFLASH_* we
 * name for codes only mtkclient describes, the first of aliases (STATUS_OK, not
 * S_DONE, for 0). */
static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(mtk_xflash_status_name(0), "STATUS_OK");
	assert_string_equal(mtk_xflash_status_name(0xC0070004), "STATUS_DA_HASH_MISMATCH");
	assert_string_equal(mtk_xflash_status_name(0xC0010004), "STATUS_UNSUPPORT_CTRL_CODE");
	assert_string_equal(mtk_xflash_status_name(0xC004020A), "STATUS_EFUSE_DATA_PROCESS_ERR");
	assert_string_equal(mtk_xflash_status_name(0xC0040003), "STATUS_CHECKSUM_ERR");
	assert_string_equal(mtk_xflash_status_name(0x40040002), "STATUS_OTP_LOCKED");
	assert_string_equal(mtk_xflash_status_name(0xC0020057), "XFLASH_SEC_FAULT_INJECTION");
	assert_non_null(mtk_xflash_status_name(0x40040005));
	assert_null(mtk_xflash_status_name(0xC0079999));
	/* A BROM-DLL number is not an xflash status. */
	assert_null(mtk_xflash_status_name(4001));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_preloader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_brom_emi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emi_mismatch_sends_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brom_without_preloader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_da2_hash_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_sinks_after_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_sink_fails_after_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_error_in_place_of_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
		cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
