/* SPDX-License-Identifier: MIT */
/* Writes the seed corpora of fuzz_emu_brom and fuzz_emu_da: valid host sessions
 * (brom-protocol.md §6.7 golden transcript, da-legacy.md §4 exchanges) and
 * their refusal paths, each behind the selector header of emu_fuzz.h, so the
 * fuzzers start deep in the protocol.  Not part of the build; regenerate after
 * a protocol or header change with
 *   cc -std=c17 -D_GNU_SOURCE -Iinclude -Ilib -Iemu tests/fuzz/gen_emu_seeds.c tests/fuzz/emu_fuzz.c \
 *      BUILD/emu/libmtkemu.a BUILD/lib/libmtkcore.a -lpthread -o /tmp/gen_emu_seeds
 *   /tmp/gen_emu_seeds tests/fuzz/corpus
 * (BUILD: any gcc or clang build directory without sanitizers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fuzz.h"
#include "emu_storage.h"

static const char *out_dir;
static const struct emu_profile *all_chips[64], *legacy_chips[16];
static size_t nall, nlegacy;

enum { MODE_AUTO = 0, MODE_BROM = 1, MODE_PL = 2 };
enum { F_NONE = 0, F_USB_DISCONNECT = 3, F_WP = 4, F_SILENT = 5, F_DISCONNECT = 6, F_CORRUPT = 7 };

struct hdr {
	const char *chip;
	unsigned mode, storage, fault;
	bool da_auto, two; /* byte 1 bit 7, for fuzz_emu_da and fuzz_emu_brom */
	uint8_t security, param;
};

static uint8_t chip_index(const char *name, bool legacy)
{
	const struct emu_profile *const *list = legacy ? legacy_chips : all_chips;
	size_t n = legacy ? nlegacy : nall;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i]->name, name) == 0)
			return (uint8_t)i;
	fprintf(stderr, "no chip %s\n", name);
	exit(1);
}

static void save(const char *target, const char *name, const struct hdr *h, const struct emufuzz_buf *b)
{
	bool legacy = strcmp(target, "emu_da") == 0;
	uint8_t sel[EMUFUZZ_HDR] = {
	        chip_index(h->chip, legacy),
	        (uint8_t)(h->mode | h->storage << 2 | h->fault << 4 | (h->da_auto ? EMUFUZZ_DA_AUTO : 0) |
	                  (h->two ? EMUFUZZ_TWO_SESSIONS : 0)),
	        h->security,
	        h->param,
	};
	char path[512];
	snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(sel, 1, sizeof sel, f) != sizeof sel || fwrite(b->p, 1, b->len, f) != b->len ||
	    fclose(f)) {
		perror(path);
		exit(1);
	}
}

static const struct emu_profile *prof(const char *name)
{
	return emu_profile_find(name);
}

#define PUT(b, s) emufuzz_put(b, s, sizeof(s) - 1)

/* ---- BROM --------------------------------------------------------------------------- */

static void handshake(struct emufuzz_buf *b)
{
	PUT(b, "\xA0\x0A\x50\x05");
}

static void write32(struct emufuzz_buf *b, uint32_t addr, uint32_t val)
{
	emufuzz_put_u8(b, 0xD4);
	emufuzz_put_u32be(b, addr);
	emufuzz_put_u32be(b, 1);
	emufuzz_put_u32be(b, val);
}

/* §6.7 up to (not including) SEND_DA: identity, watchdog, IDs. */
static void golden_init(struct emufuzz_buf *b, const struct emu_profile *p)
{
	handshake(b);
	emufuzz_put_u8(b, 0xFD);
	write32(b, p->wdt_addr, 0x22000064);
	PUT(b, "\xD8\xFE\xFF\xFC\xFE\xE1\xFE\xE7");
}

static void send_da(struct emufuzz_buf *b, uint32_t addr, uint32_t len, uint32_t sig, const uint8_t *data)
{
	emufuzz_put_u8(b, 0xD7);
	emufuzz_put_u32be(b, addr);
	emufuzz_put_u32be(b, len);
	emufuzz_put_u32be(b, sig);
	if (data)
		emufuzz_put(b, data, len);
}

static void jump_da(struct emufuzz_buf *b, uint32_t addr)
{
	emufuzz_put_u8(b, 0xD5);
	emufuzz_put_u32be(b, addr);
}

static void golden_da(struct emufuzz_buf *b, const struct emu_profile *p)
{
	uint8_t da1[EMUFUZZ_DA1_LEN];
	size_t n = emufuzz_synth_da(da1, p->da_code, 1);
	send_da(b, emufuzz_da1_addr(p->da_code), (uint32_t)n, EMUFUZZ_DA_SIG, da1);
	jump_da(b, emufuzz_da1_addr(p->da_code));
}

static void mem_cmd(struct emufuzz_buf *b, uint8_t cmd, uint32_t addr, uint32_t count)
{
	emufuzz_put_u8(b, cmd);
	emufuzz_put_u32be(b, addr);
	emufuzz_put_u32be(b, count);
}

static void memory_session(struct emufuzz_buf *b)
{
	handshake(b);
	mem_cmd(b, 0xD1, 0x00100000, 4); /* READ32 in SRAM */
	mem_cmd(b, 0xD2, 0x00200000, 2); /* WRITE16 */
	PUT(b, "\x12\x34\x56\x78");
	mem_cmd(b, 0xD3, 0x00200004, 1); /* WRITE16_NO_ECHO */
	PUT(b, "\xAB\xCD");
	mem_cmd(b, 0xD4, 0x10007000, 2); /* WRITE32 outside SRAM */
	PUT(b, "\x22\x00\x00\x64\x00\x00\x00\x01");
	mem_cmd(b, 0xD0, 0x00200000, 3);                        /* READ16 back */
	mem_cmd(b, 0xD1, 0x10007000, 2);                        /* READ32 back */
	mem_cmd(b, 0xD1, 0x00100001, 1);                        /* misaligned */
	mem_cmd(b, 0xD1, 0x00100000, 0);                        /* zero count */
	mem_cmd(b, 0xD1, 0xFFFFFFFC, 2);                        /* wraps */
	PUT(b, "\xC8\x00\xDB\xDD\xDF\xD8\xFC\xFD\xFE\xFF\x42"); /* C8, logs, IDs, one unknown */
	PUT(b, "\xE1\xE7\xFB\xF0\x08\x82\x52\x52\xF0\x00\x00\x00\x00");
}

static void auth_session(struct emufuzz_buf *b)
{
	handshake(b);
	PUT(b, "\xD8\xE0\x00\x00\x00\x10");
	PUT(b, "0123456789abcdef");
	PUT(b, "\xE2\x00\x00\x00\x08");
	PUT(b, "authdata");
	PUT(b, "\xE2\x00\x00\x00\x00");  /* zero length */
	mem_cmd(b, 0xD1, 0x10007000, 1); /* refused with mem-read auth */
	mem_cmd(b, 0xD1, 0x00102000, 1); /* SRAM still readable */
	write32(b, 0x10007000, 0x22000064);
	PUT(b, "\xC8\x01");
	send_da(b, 0x200000, 0x100, 0x100, NULL); /* SLA refuses it */
}

static void bad_send_da(struct emufuzz_buf *b, const struct emu_profile *p)
{
	handshake(b);
	send_da(b, 0x200000, 0, 0, NULL);
	send_da(b, 0x200001, 0x100, 0, NULL);
	send_da(b, 0xFFFFFF00, 0x200, 0, NULL);
	send_da(b, 0x200000, 0x40000000, 0, NULL);
	send_da(b, 0x200000, 0x10, 0x20, NULL);
	jump_da(b, 0x200000); /* nothing accepted: refused */
	uint8_t junk[0x40];
	memset(junk, 0x5A, sizeof junk);
	send_da(b, 0x200000, sizeof junk, 0, junk); /* accepted, but no DA for the CPU */
	jump_da(b, 0x300000);
	mem_cmd(b, 0xD1, 0x200000, 4);
	golden_da(b, p); /* another chip's DA1 is not this chip's */
}

/* Two sessions for the EMUFUZZ_TWO_SESSIONS bit: halves of equal length, the
 * shorter padded with 00 (an unknown command after session 1, line noise the
 * handshake skips before session 2). */
static void two_sessions(struct emufuzz_buf *out, const struct emufuzz_buf *s1, const struct emufuzz_buf *s2)
{
	size_t half = s1->len > s2->len ? s1->len : s2->len;
	out->len = 0;
	emufuzz_put(out, s1->p, s1->len);
	for (size_t i = s1->len; i < half; i++)
		emufuzz_put_u8(out, 0x00);
	for (size_t i = s2->len; i < half; i++)
		emufuzz_put_u8(out, 0x00);
	emufuzz_put(out, s2->p, s2->len);
}

static void reopen_seeds(void)
{
	struct emufuzz_buf a = {0}, b = {0}, both = {0};
	memory_session(&a);
	handshake(&b);
	mem_cmd(&b, 0xD1, 0x00200000, 2); /* session 1's writes are gone */
	PUT(&b, "\xFD\xDD");
	two_sessions(&both, &a, &b);
	save("emu_brom", "reopen_brom_mt6739",
	     &(struct hdr){.chip = "mt6739", .mode = MODE_BROM, .two = true}, &both);
	a.len = 0;
	golden_init(&a, prof("mt6765"));
	two_sessions(&both, &a, &b);
	save("emu_brom", "reopen_after_disconnect_mt6765",
	     &(struct hdr){.chip = "mt6765", .fault = F_DISCONNECT, .param = 1, .two = true}, &both);
	a.len = 0;
	golden_init(&a, prof("mt6580"));
	golden_da(&a, prof("mt6580"));
	two_sessions(&both, &a, &b);
	save("emu_brom", "reopen_after_da_prov_mt6580",
	     &(struct hdr){.chip = "mt6580", .storage = EMUFUZZ_ST_PROV, .two = true}, &both);
	emufuzz_free(&a);
	emufuzz_free(&b);
	emufuzz_free(&both);
}

static void brom_seeds(void)
{
	struct emufuzz_buf b = {0};
	const struct emu_profile *p6765 = prof("mt6765"), *p6737 = prof("mt6737"), *p6580 = prof("mt6580");

	golden_init(&b, p6765);
	golden_da(&b, p6765);
	PUT(&b, "\xEF\xEE\xEE\xFE\x01\x00\x00\x00\x04\x00\x00\x00\x53\x59\x4E\x43");
	save("emu_brom", "golden_brom_mt6765", &(struct hdr){.chip = "mt6765", .mode = MODE_BROM}, &b);
	save("emu_brom", "golden_pl_mt6765", &(struct hdr){.chip = "mt6765", .mode = MODE_PL}, &b);
	save("emu_brom", "golden_disconnect_mt6765",
	     &(struct hdr){.chip = "mt6765", .mode = MODE_BROM, .fault = F_DISCONNECT, .param = 3}, &b);
	save("emu_brom", "golden_usb2hs_disconnect_mt6765",
	     &(struct hdr){.chip = "mt6765", .mode = MODE_BROM, .fault = F_USB_DISCONNECT, .param = 2}, &b);

	/* Up to the legacy DA's first sync: the DA stage itself is fuzz_emu_da's,
	 * and short seeds keep this target fast. */
	b.len = 0;
	golden_init(&b, p6737);
	golden_da(&b, p6737);
	PUT(&b, "\x5A\x05\xFE\x00\x08");
	save("emu_brom", "golden_brom_mt6737_da",
	     &(struct hdr){.chip = "mt6737", .mode = MODE_BROM, .storage = EMUFUZZ_ST_BLANK}, &b);
	save("emu_brom", "golden_da_silent_mt6737",
	     &(struct hdr){
	             .chip = "mt6737", .mode = MODE_BROM, .storage = EMUFUZZ_ST_BLANK, .fault = F_SILENT},
	     &b);

	b.len = 0;
	golden_init(&b, p6580);
	golden_da(&b, p6580);
	PUT(&b, "\x5A");
	save("emu_brom", "golden_auto_prov_mt6580",
	     &(struct hdr){.chip = "mt6580", .mode = MODE_AUTO, .storage = EMUFUZZ_ST_PROV}, &b);

	b.len = 0;
	memory_session(&b);
	save("emu_brom", "memory_brom_mt6739", &(struct hdr){.chip = "mt6739", .mode = MODE_BROM}, &b);
	save("emu_brom", "memory_pl_mt6761", &(struct hdr){.chip = "mt6761", .mode = MODE_PL}, &b);
	save("emu_brom", "memory_pl_mt6582", &(struct hdr){.chip = "mt6582", .mode = MODE_PL}, &b);

	b.len = 0;
	auth_session(&b);
	save("emu_brom", "secure_brom_mt6737",
	     &(struct hdr){.chip = "mt6737", .mode = MODE_BROM, .security = 0xF6}, &b);

	b.len = 0;
	handshake(&b);
	golden_da(&b, p6737);
	jump_da(&b, emufuzz_da1_addr(p6737->da_code));
	save("emu_brom", "daa_brom_mt6737",
	     &(struct hdr){.chip = "mt6737", .mode = MODE_BROM, .security = 0x04}, &b);
	save("emu_brom", "sbc_pl_mt6737", &(struct hdr){.chip = "mt6737", .mode = MODE_PL, .security = 0x01},
	     &b);

	b.len = 0;
	bad_send_da(&b, p6765);
	save("emu_brom", "bad_send_da_mt6737", &(struct hdr){.chip = "mt6737", .mode = MODE_BROM}, &b);
	save("emu_brom", "bad_send_da_pl_mt6755", &(struct hdr){.chip = "mt6755", .mode = MODE_PL}, &b);

	b.len = 0;
	PUT(&b, "\x00\xA0\x0A\xA0\x0A\x50\xA0\x0A\x50\x05\xFE\xFD");
	save("emu_brom", "handshake_noise_pl_mt6771", &(struct hdr){.chip = "mt6771", .mode = MODE_PL}, &b);
	save("emu_brom", "handshake_noise_brom_mt6572", &(struct hdr){.chip = "mt6572", .mode = MODE_BROM},
	     &b);
	emufuzz_free(&b);
}

/* ---- legacy DA --------------------------------------------------------------------------- */

static uint16_t sum16(const uint8_t *p, size_t n)
{
	uint16_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint16_t)(s + p[i]);
	return s;
}

static void da_read(struct emufuzz_buf *b, uint8_t storage, uint64_t off, uint64_t len, uint32_t pkt,
                    unsigned acks)
{
	emufuzz_put_u8(b, 0xD6);
	emufuzz_put_u8(b, 0x0C);
	emufuzz_put_u8(b, storage);
	emufuzz_put_u64be(b, off);
	emufuzz_put_u64be(b, len);
	emufuzz_put_u32be(b, pkt);
	for (unsigned i = 0; i < acks; i++)
		emufuzz_put_u8(b, 0x5A);
}

static void da_write_hdr(struct emufuzz_buf *b, uint8_t storage, uint8_t part, uint64_t off, uint64_t len,
                         uint32_t pkt)
{
	emufuzz_put_u8(b, 0x62);
	emufuzz_put_u8(b, storage);
	emufuzz_put_u8(b, part);
	emufuzz_put_u64be(b, off);
	emufuzz_put_u64be(b, len);
	emufuzz_put_u32be(b, pkt);
}

/* A whole WRITE_DATA of `len` pattern bytes in `pkt` packets; `bad` spoils the
 * first packet's checksum. */
static void da_write(struct emufuzz_buf *b, uint8_t part, uint64_t off, uint32_t len, uint32_t pkt, bool bad)
{
	da_write_hdr(b, 0x01, part, off, len, pkt);
	uint8_t data[0x1000];
	for (uint32_t done = 0; done < len;) {
		uint32_t n = len - done < pkt ? len - done : pkt;
		for (uint32_t i = 0; i < n; i++)
			data[i] = (uint8_t)(done + i * 7 + 1);
		emufuzz_put_u8(b, 0x5A);
		emufuzz_put(b, data, n);
		uint16_t s = sum16(data, n);
		emufuzz_put(b, (uint8_t[2]){(uint8_t)(s >> 8), (uint8_t)(s ^ (bad && !done ? 1 : 0))}, 2);
		done += n;
	}
}

static void da_format(struct emufuzz_buf *b, uint8_t storage, uint64_t off, uint64_t len)
{
	emufuzz_put_u8(b, 0xD4);
	emufuzz_put_u8(b, storage);
	PUT(b, "\x00\x00\x00");
	emufuzz_put_u64be(b, off);
	emufuzz_put_u64be(b, len);
	emufuzz_put_u8(b, 0x5A);
}

static void da_commands(struct emufuzz_buf *b)
{
	PUT(b, "\x72\x70\x01\x60\x08");
	da_read(b, 0x02, 0, 0x1000, 0x1000, 1);
	da_write(b, 8, 0x10000, 0x400, 0x200, false);
	PUT(b, "\x60\x08");
	da_read(b, 0x02, 0x10000, 0x400, 0x200, 2);
	da_format(b, 0x02, 0x10000, 0x400);
	PUT(b,
	    "\xA5\x5A\x5A\x7B\x10\x00\x70\x00\x22\x00\x00\x64\x7A\x10\x00\x70\x00\x7A\x00\x00\x00\x00\x55");
	PUT(b, "\xD9\x00\x00\x00\x00");
}

static void da_refusals(struct emufuzz_buf *b)
{
	da_read(b, 0x01, 0, 0x200, 0x1000, 0); /* not eMMC: refused, host answers A5 */
	emufuzz_put_u8(b, 0xA5);
	emufuzz_put(b, "\x00\x10\x00\x00\xA5", 5);
	da_read(b, 0x02, 0xFFFFFFFFFFFFFE00ull, 0x400, 0x1000, 0); /* wraps: refused, mtkclient-style tail */
	emufuzz_put(b, "\x00\x10\x00\x00\xA5", 5);
	da_write_hdr(b, 0x02, 8, 0, 0x200, 0x200); /* not DA eMMC */
	da_write_hdr(b, 0x01, 8, 0, 0x201, 0x200); /* not whole sectors */
	da_write_hdr(b, 0x01, 4, 0, 0x200, 0x200); /* GP1: not there */
	da_write_hdr(b, 0x01, 8, 0, 0x200, 0);     /* packet 0 */
	da_write(b, 1, 0, 0x200, 0x200, true);     /* bad checksum */
	da_write_hdr(b, 0x01, 2, 0, 0x400, 0x200); /* host aborts between packets */
	emufuzz_put_u8(b, 0x00);
	da_format(b, 0x02, 0x4000000, 0x200);        /* past the end of a 64 MiB user area */
	da_format(b, 0x00, 0, 0x200);                /* NOR */
	PUT(b, "\x60\x04\x60\x03");                  /* GP1 refused, RPMB selected */
	da_read(b, 0x02, 0x3FFE00, 0x400, 0x200, 1); /* past the end of RPMB */
	da_read(b, 0x02, 0, 0x400, 0, 0);            /* packet 0 after the 5A */
}

static void da_stage_only(struct emufuzz_buf *b, const struct emu_profile *p, uint32_t emiver,
                          bool good_record)
{
	emufuzz_put_u8(b, 0x5A);
	emufuzz_put(b, "\x05\xFE\x00\x08\x00\x70\x07\xFF\xFF\x01\x00\x00\x00\x00\x01\x01\x02\x00", 18);
	if (p->hw_code == 0x6580)
		emufuzz_put(b, "\x00\x00\x00\x01\x46\x46\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xFF\x00\x00\x00", 24);
	if (p->hw_code == 0x6582)
		emufuzz_put_u32be(b, 1);
	emufuzz_put_u8(b, 0xE8);
	emufuzz_put_u32be(b, emiver);
	emufuzz_put_u8(b, 0x5A);
	uint32_t len = emiver >= 0x14 && emiver != 0xFFFFFFFFu ? EMU_EMI_RECORD_SIZE : 0xA8;
	bool sends_total = (emiver >= 0x0F && emiver <= 0x15) || emiver == 0xFFFFFFFFu;
	if (sends_total)
		emufuzz_put_u32be(b, 2 * len);
	uint8_t rec[2 * EMU_EMI_RECORD_SIZE];
	memset(rec, 0x11, sizeof rec);
	if (good_record)
		emu_board_emi_record(p, rec + len);
	emufuzz_put(b, sends_total ? rec : rec + len, sends_total ? 2 * len : len);
	emufuzz_put_u8(b, 0x5A);
	emufuzz_put_u32be(b, 0x80000001);
}

static void da_seeds(void)
{
	struct emufuzz_buf b = {0};
	const struct emu_profile *p6580 = prof("mt6580"), *p6582 = prof("mt6582"), *p6737 = prof("mt6737"),
	                         *p6735 = prof("mt6735");

	da_commands(&b);
	save("emu_da", "auto_cmds_brom_blank_mt6737",
	     &(struct hdr){.chip = "mt6737", .mode = MODE_BROM, .storage = EMUFUZZ_ST_BLANK, .da_auto = true},
	     &b);
	save("emu_da", "auto_cmds_usb2hs_mt6737",
	     &(struct hdr){.chip = "mt6737",
	                   .mode = MODE_PL,
	                   .storage = EMUFUZZ_ST_BLANK,
	                   .fault = F_USB_DISCONNECT,
	                   .param = 255,
	                   .da_auto = true},
	     &b);
	save("emu_da", "auto_cmds_pl_none_mt6580",
	     &(struct hdr){.chip = "mt6580", .mode = MODE_PL, .storage = EMUFUZZ_ST_NONE, .da_auto = true},
	     &b);
	save("emu_da", "auto_cmds_wp_mt6735",
	     &(struct hdr){.chip = "mt6735",
	                   .mode = MODE_BROM,
	                   .storage = EMUFUZZ_ST_PROV,
	                   .fault = F_WP,
	                   .da_auto = true},
	     &b);
	save("emu_da", "auto_cmds_corrupt_mt6753",
	     &(struct hdr){.chip = "mt6753",
	                   .mode = MODE_BROM,
	                   .storage = EMUFUZZ_ST_BLANK,
	                   .fault = F_CORRUPT,
	                   .param = 16 << 2 | 3,
	                   .da_auto = true},
	     &b);

	b.len = 0;
	PUT(&b, "\xA5\x5A\x5A\x60\x01");
	da_read(&b, 0x02, 0, 0x400, 0x400, 1);
	PUT(&b, "\x60\x08");
	da_read(&b, 0x02, 0x3F00000, 0x2000, 0x1000, 2);
	PUT(&b, "\xD9");
	save("emu_da", "auto_pmt_prov_mt6572",
	     &(struct hdr){.chip = "mt6572", .mode = MODE_AUTO, .storage = EMUFUZZ_ST_PROV, .da_auto = true},
	     &b);
	save("emu_da", "auto_pmt_prov_mt6582",
	     &(struct hdr){.chip = "mt6582", .mode = MODE_BROM, .storage = EMUFUZZ_ST_PROV, .da_auto = true},
	     &b);

	b.len = 0;
	da_refusals(&b);
	save("emu_da", "auto_refusals_mt6582",
	     &(struct hdr){.chip = "mt6582", .mode = MODE_BROM, .storage = EMUFUZZ_ST_BLANK, .da_auto = true},
	     &b);

	b.len = 0;
	PUT(&b, "\x60\x08");
	da_read(&b, 0x02, (8ull << 30) - 0x200, 0x200, 0x200, 1);
	da_write(&b, 8, (8ull << 30) - 0x400, 0x400, 0x400, false);
	save("emu_da", "auto_default_emmc_mt6580",
	     &(struct hdr){.chip = "mt6580", .mode = MODE_BROM, .storage = EMUFUZZ_ST_NONE, .da_auto = true},
	     &b);

	b.len = 0;
	emufuzz_da1_stage(&b, p6580, EMU_MODE_BROM);
	PUT(&b, "\x72\xD9");
	save("emu_da", "da1_brom_mt6580",
	     &(struct hdr){.chip = "mt6580", .mode = MODE_BROM, .storage = EMUFUZZ_ST_BLANK}, &b);
	b.len = 0;
	emufuzz_da1_stage(&b, p6582, EMU_MODE_PRELOADER);
	PUT(&b, "\x72\xA5\x5A\x5A");
	save("emu_da", "da1_pl_prov_mt6582",
	     &(struct hdr){.chip = "mt6582", .mode = MODE_AUTO, .storage = EMUFUZZ_ST_PROV}, &b);

	static const uint32_t emivers[] = {0x0C, 0x0D, 0x10, 0x14, 0xFFFFFFFFu, 0x0A};
	for (size_t i = 0; i < sizeof emivers / sizeof emivers[0]; i++) {
		char name[64];
		b.len = 0;
		da_stage_only(&b, p6737, emivers[i], true);
		snprintf(name, sizeof name, "da1_emi_%x_mt6737", emivers[i]);
		save("emu_da", name, &(struct hdr){.chip = "mt6737", .mode = MODE_BROM}, &b);
	}
	b.len = 0;
	da_stage_only(&b, p6580, 0x15, false); /* another board's DRAM */
	save("emu_da", "da1_wrong_dram_mt6580", &(struct hdr){.chip = "mt6580", .mode = MODE_BROM}, &b);

	/* DA2 of another chip: refused by DA1's check. */
	b.len = 0;
	emufuzz_da1_stage(&b, p6735, EMU_MODE_PRELOADER);
	b.p[1 + 18 + 12 + 30] ^= 1; /* ACK, stage-2 block, DA2 header, then a digit of the marker's hw= */
	save("emu_da", "da1_bad_da2_mt6735", &(struct hdr){.chip = "mt6735", .mode = MODE_PL}, &b);
	emufuzz_free(&b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	nall = emufuzz_chips(all_chips, 64, false);
	nlegacy = emufuzz_chips(legacy_chips, 16, true);
	brom_seeds();
	reopen_seeds();
	da_seeds();
	return 0;
}
