/* SPDX-License-Identifier: MIT */
/* The BootROM and preloader personalities (brom-protocol.md §2, §3, §7.5).
 *
 * Byte layouts follow the reference exactly.  Where it leaves a device-side
 * choice open, the choice is made here and marked "Choice:".
 *
 * Choice: BROM parameter refusals.  The reference gives the preloader's codes
 * (0xFFFF misaligned, 0xFFFE zero count, 0xFFFD length overflow, §3.9) but for
 * the BROM says only "the 0x1Dxx family".  This BROM answers a misaligned
 * address with 0x1D02 INVALID_ADDRESS and a zero or overflowing count with
 * 0x1D12 DA_INVALID_ADDR_AND_LEN.
 *
 * Choice: security.  The BROM checks the DA against target_config's DAA bit
 * and refuses SEND_DA with 0x1D0D while SLA is set (there is no SLA exchange:
 * we hold no vendor keys, so it could never pass).  SEND_CERT/SEND_AUTH accept
 * only files signed with the test key fused by --auth-key (auth.c); an
 * accepted authentication file lifts the profile's auth_unlocks (SLA and DAA)
 * until the next boot.  A preloader verifies the
 * DA whenever SBC or DAA is set: a preloader on a secure-boot phone enforces
 * secure download, which is why hosts take the exploit path for a preloader
 * with SBC (§6.3).  On a failed verification the preloader sends status2 and
 * ASSERTs (§3.12, §3.25): emergency download, the phone resets and comes back
 * in BROM mode (the USBDL flag; this emulator's BROM download is always
 * enabled).  JUMP_DA without a verified DA does the same after its status
 * (§3.13), and on an old preloader (profile pl_region_asserts) so does a
 * READ/WRITE outside the peripheral-register bank, without a status (§3.9).
 * Memory
 * read/write authorisation (target_config 0x20/0x40) is a BROM feature; the
 * preloader reports only bits 0-2 and does not restrict READ32/WRITE32.
 *
 * Choice: the BROM answers JUMP_DA to anything but the address of the last
 * accepted SEND_DA with 0x1D0F DA_INVALID_JUMP_ADDR and keeps serving.  A
 * preloader ignores the host's address (§3.13) and jumps to the DA it holds.
 *
 * Sessions (§2.2, §2.2a, §2.6): the handshake happens once per boot.  A host
 * that closes the port leaves the device in its command loop; the next
 * session's sync bytes are unknown commands and echoed.  A command the host
 * abandoned by closing the port is abandoned by the device too (Choice: a
 * real one would take the next session's bytes as its missing arguments).
 * The preloader's listen phase ("real" model, the default): READY every
 * 20 ms, the first chunk starting with A0 eaten, the start command within
 * 300 ms of it, the listen window (2.5 s from the host's first open, which
 * models the phone being plugged in then) closing = the phone boots on and
 * leaves the bus.  The BROM has no listen phase (no source shows one).
 *
 * Choice: GET_BROM_LOG (0xDD/0xDF) returns a short text trace of the session
 * (personality, handshake, refused or accepted memory and DA commands). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "emu_internal.h"

enum {
	ST_OK = 0x0000,
	ST_BROM_WRITE_OK = 0x0001, /* the BROM's success value for WRITE16/WRITE32 (§3.10) */
	ST_PL_MISALIGNED = 0xFFFF,
	ST_PL_ZERO_COUNT = 0xFFFE,
	ST_PL_OVERFLOW = 0xFFFD,
	ST_PL_BAD_MAGIC = 0xFFFF,
	ST_INVALID_ADDRESS = 0x1D02,
	ST_NO_AUTH_NEEDED = 0x1D0C,
	ST_SLA_ERROR = 0x1D0D,
	ST_DA_INVALID_JUMP_ADDR = 0x1D0F,
	ST_DA_ADDR_NOT_16BITS_ALIGNED = 0x1D11,
	ST_DA_INVALID_ADDR_AND_LEN = 0x1D12,
	ST_DA_LEN_IS_ZERO = 0x1D13,
	ST_DA_SIG_LEN_EXCEED_DA_LEN = 0x1D14,
	ST_DA_SIG_LEN_IS_ZERO_AND_DAA_ACTIVE = 0x1D15,
	ST_AUTH_IMAGE_VERIFY_FAIL = 0x2000, /* also the old preloader's ERR_DA_IMAGE_SIG_VERIFY_FAIL */
	ST_DA_IMAGE_SIG_VERIFY_FAIL = 0x2001,
};

enum {
	TC_SBC = 0x01,
	TC_SLA = 0x02,
	TC_DAA = 0x04,
	TC_ROOT_CERT = 0x10,
	TC_MEM_READ_AUTH = 0x20,
	TC_MEM_WRITE_AUTH = 0x40,
	TC_C8_BLOCKED = 0x80,
};

/* What memory authorisation still allows: on-chip SRAM (the IDs at
 * meid_addr/socid_addr, the DA1 load address 0x200000). */
#define SRAM_BASE 0x00100000u
#define SRAM_END 0x00300000u

/* Largest DA (or cert/auth blob) accepted; real DA1 images are < 1 MiB. */
#define MAX_DA_LEN (32u << 20)
#define MAX_AUTH_LEN (64u << 10)
#define RX_CHUNK (64u << 10)

#define PL_CAP_XFLASH 0x1u
#define PL_CAP_MEID 0x2u
#define PL_CAP_SOCID 0x4u
#define ZEROIZATION_MAGIC 0x08825252u

/* Handler results. */
enum { CMD_NEXT = 0, CMD_JUMPED = 1, CMD_END = -1 };

static bool is_brom(const struct mtkemu *e) { return e->mode == EMU_MODE_BROM; }

static uint32_t reported_target_config(const struct mtkemu *e)
{
	return is_brom(e) ? e->target_config : e->target_config & (TC_SBC | TC_SLA | TC_DAA);
}

static void blog(struct mtkemu *e, const char *fmt, ...)
{
	size_t room = sizeof e->brom_log - e->brom_log_len;
	if (room <= 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->brom_log + e->brom_log_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->brom_log_len += (size_t)n < room ? (size_t)n : room - 1;
}

/* ---- sparse memory ------------------------------------------------------------ */

#define PAGE_SHIFT 12
#define PAGE_SIZE (1u << PAGE_SHIFT)
#define NBUCKETS 256
/* Choice: the map holds 64 MiB (twice MAX_DA_LEN).  Unbounded, a host writing
 * one word to each page of the 4 GiB space would grow the emulator by 4 KiB
 * per 13-byte WRITE32, to gigabytes.  Past the limit the bus has nothing
 * behind it: writes to unmapped pages are lost and they read as 0. */
#define MAX_PAGES ((64u << 20) / PAGE_SIZE)

struct mem_page {
	uint32_t base;
	struct mem_page *next;
	uint8_t b[PAGE_SIZE];
};

struct emu_mem {
	struct mem_page *bucket[NBUCKETS];
	size_t npages;
};

static struct mem_page *mem_page(struct mtkemu *e, uint32_t addr, bool create)
{
	struct emu_mem *m = e->mem;
	if (!m) {
		if (!create || !(m = e->mem = calloc(1, sizeof *m)))
			return NULL;
	}
	uint32_t base = addr & ~(PAGE_SIZE - 1);
	struct mem_page **head = &m->bucket[(base >> PAGE_SHIFT) % NBUCKETS];
	for (struct mem_page *p = *head; p; p = p->next)
		if (p->base == base)
			return p;
	if (!create || m->npages == MAX_PAGES)
		return NULL;
	struct mem_page *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	m->npages++;
	p->base = base;
	p->next = *head;
	*head = p;
	return p;
}

/* Loads a blob into device RAM (SEND_DA): READ32 sees it afterwards. */
static void mem_write_bytes(struct mtkemu *e, uint32_t addr, const uint8_t *src, uint32_t len)
{
	while (len) {
		struct mem_page *p = mem_page(e, addr, true);
		uint32_t off = addr & (PAGE_SIZE - 1);
		uint32_t n = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
		if (p) /* else unmapped (MAX_PAGES): lost */
			memcpy(p->b + off, src, n);
		src += n;
		len -= n;
		addr += n;
	}
}

/* Memory is byte-addressed little-endian, as the ARM cores see it.  One
 * page lookup per word (a byte at a time, WRITE32's data was four). */
static void mem_put(struct mtkemu *e, uint32_t addr, unsigned unit, uint32_t v)
{
	uint8_t b[4];
	for (unsigned i = 0; i < unit; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	mem_write_bytes(e, addr, b, unit);
}

/* Device RAM into buf, a page at a time (unmapped pages read 0): a READ32 of
 * a long range costs one lookup per page, not four per word. */
static void mem_read_bytes(struct mtkemu *e, uint32_t addr, uint8_t *dst, uint32_t len)
{
	while (len) {
		struct mem_page *p = mem_page(e, addr, false);
		uint32_t off = addr & (PAGE_SIZE - 1);
		uint32_t n = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
		if (p)
			memcpy(dst, p->b + off, n);
		else
			memset(dst, 0, n);
		dst += n;
		len -= n;
		addr += n;
	}
}

/* Little-endian memory words as the big-endian words READ16/32 send. */
MTK_NO_COVERAGE static void words_to_be(uint8_t *out, const uint8_t *le, size_t n, unsigned unit)
{
	/* A word at a time through fixed-size copies: one load and one store
	 * each, where a byte loop had eight (each checked under ASan). */
	for (size_t i = 0; i < n; i++) {
		uint8_t w[4], b[4];
		if (unit == 4) {
			memcpy(w, le + 4 * i, 4);
			b[0] = w[3], b[1] = w[2], b[2] = w[1], b[3] = w[0];
			memcpy(out + 4 * i, b, 4);
		} else {
			memcpy(w, le + 2 * i, 2);
			b[0] = w[1], b[1] = w[0];
			memcpy(out + 2 * i, b, 2);
		}
	}
}

void emu_brom_free(struct mtkemu *e)
{
	struct emu_mem *m = e->mem;
	if (!m)
		return;
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct mem_page *p = m->bucket[i], *n; p; p = n) {
			n = p->next;
			free(p);
		}
	free(m);
	e->mem = NULL;
}

/* ---- small helpers ------------------------------------------------------------ */

static int echo_u32(struct mtkemu *e, uint32_t *v)
{
	if (emu_recv_u32be(e, v) < 0 || emu_send_u32be(e, *v) < 0)
		return -1;
	return 0;
}

static int status(struct mtkemu *e, uint16_t st)
{
	return emu_send_u16be(e, st) < 0 ? CMD_END : CMD_NEXT;
}

/* A halted device (failed DA verification in the preloader, a silent DA):
 * the port stays open but nothing is ever answered. */
static int halt(struct mtkemu *e)
{
	emu_swallow(e);
	return CMD_END;
}

/* A preloader ASSERT: emergency download, the chip resets and comes back as
 * the BROM (§3.24). */
static int emergency_reset(struct mtkemu *e, const char *why)
{
	blog(e, "ASSERT: %s\n", why);
	e->usbdl_flag = true;
	e->run = EMU_RUN_BOOT;
	emu_link_end(e, EMU_LINK_REENUMERATE);
	return CMD_END;
}

/* Room for the bytes [done, done + n) of a len-byte payload in *out, which
 * grows as they arrive: a host announcing 32 MiB and sending a few bytes
 * costs what it sent, not a 32 MiB allocation (which made SEND_DA the most
 * expensive command to fuzz).  NULL out: a scratch buffer, bytes dropped. */
static uint8_t *payload_room(uint8_t **out, size_t *cap, uint32_t done, uint32_t *n, uint32_t len,
                             uint8_t *scratch, size_t scratch_len)
{
	if (!out) {
		if (*n > scratch_len)
			*n = (uint32_t)scratch_len;
		return scratch;
	}
	if (done + *n > *cap) {
		size_t want = *cap ? 2 * *cap : RX_CHUNK;
		want = want < done + *n ? done + *n : want > len ? len : want;
		uint8_t *p = realloc(*out, want);
		if (!p)
			return NULL;
		*out = p;
		*cap = want;
	}
	return *out + done;
}

/* Receives `len` payload bytes, into a new *out when out is not NULL (the
 * caller frees it, also on failure); returns the XOR16. */
static int recv_payload(struct mtkemu *e, uint8_t **out, uint32_t len, uint16_t *chk)
{
	uint8_t buf[4096];
	uint16_t x = 0;
	int odd = -1;
	size_t cap = 0;
	for (uint32_t done = 0; done < len;) {
		uint32_t n = len - done < RX_CHUNK ? len - done : RX_CHUNK;
		uint8_t *p = payload_room(out, &cap, done, &n, len, buf, sizeof buf);
		if (!p || emu_recv(e, p, n) < 0)
			return -1;
		x = mtk_xor16_update(x, &odd, p, n);
		done += n;
	}
	*chk = odd >= 0 ? (uint16_t)(x ^ odd) : x;
	return 0;
}

/* ---- identity commands ----------------------------------------------------------- */

static bool quirk(const struct mtkemu *e, uint32_t q)
{
	return (e->prof->quirks & q) != 0;
}

static int cmd_get_hw_code(struct mtkemu *e)
{
	if (emu_send_u16be(e, e->prof->hw_code) < 0)
		return CMD_END;
	return status(e, quirk(e, EMU_Q_HW_CODE_WORD2) ? e->prof->hw_ver : ST_OK);
}

static int cmd_get_hw_sw_ver(struct mtkemu *e)
{
	uint8_t b[8];
	mtk_put_u16be(b, e->prof->hw_sub_code);
	mtk_put_u16be(b + 2, e->prof->hw_ver);
	mtk_put_u16be(b + 4, e->prof->sw_ver);
	mtk_put_u16be(b + 6, ST_OK);
	return emu_send(e, b, sizeof b) < 0 ? CMD_END : CMD_NEXT;
}

/* Not echoed: the answer byte replaces the echo (§3.4, §3.5). */
/* A preloader that answers 4 has the version-3 commands too. */
static uint8_t reported_bl_ver(const struct mtkemu *e)
{
	return quirk(e, EMU_Q_BL_VER_4) ? 4 : e->prof->bl_ver;
}

static int cmd_get_bl_ver(struct mtkemu *e)
{
	uint8_t v = reported_bl_ver(e);
	return emu_send(e, &v, 1) < 0 ? CMD_END : CMD_NEXT;
}

static int cmd_get_version(struct mtkemu *e)
{
	return emu_send(e, &e->prof->brom_ver, 1) < 0 ? CMD_END : CMD_NEXT;
}

static int cmd_get_target_config(struct mtkemu *e)
{
	if (quirk(e, EMU_Q_NO_TARGET_CONFIG))
		return CMD_NEXT; /* as an unknown command: the echo and nothing more (§3.23) */
	if (emu_send_u32be(e, reported_target_config(e)) < 0)
		return CMD_END;
	return status(e, ST_OK);
}

static int send_id(struct mtkemu *e, const uint8_t *id, uint32_t len)
{
	if (emu_send_u32be(e, len) < 0 || emu_send(e, id, len) < 0)
		return CMD_END;
	return status(e, ST_OK);
}

static int cmd_get_me_id(struct mtkemu *e)
{
	return send_id(e, e->me_id, sizeof e->me_id);
}

/* A v3 preloader on a chip without a SOC_ID sends zeros ([PL-new]: "zeros if
 * its secure library cannot read the ID"); such a BROM lacks the command. */
static int cmd_get_soc_id(struct mtkemu *e)
{
	static const uint8_t zero[32];
	return send_id(e, e->prof->has_soc_id ? e->soc_id : zero, sizeof e->soc_id);
}

static int cmd_get_pl_cap(struct mtkemu *e)
{
	uint32_t cap0 = PL_CAP_MEID | PL_CAP_SOCID;
	if (e->prof->da_family == EMU_DA_XFLASH)
		cap0 |= PL_CAP_XFLASH;
	if (emu_send_u32be(e, cap0) < 0 || emu_send_u32be(e, 0) < 0)
		return CMD_END;
	return CMD_NEXT;
}

/* ---- memory commands ---------------------------------------------------------------- */

static bool in_sram(uint32_t addr, uint64_t bytes)
{
	return addr >= SRAM_BASE && (uint64_t)addr + bytes <= SRAM_END;
}

static uint16_t mem_check(const struct mtkemu *e, uint32_t addr, uint32_t count, unsigned unit, bool write)
{
	bool brom = is_brom(e);
	uint64_t bytes = (uint64_t)count * unit;
	if (addr % unit)
		return brom ? ST_INVALID_ADDRESS : ST_PL_MISALIGNED;
	if (count == 0)
		return brom ? ST_DA_INVALID_ADDR_AND_LEN : ST_PL_ZERO_COUNT;
	if (bytes > UINT32_MAX || (uint64_t)addr + bytes > (1ull << 32))
		return brom ? ST_DA_INVALID_ADDR_AND_LEN : ST_PL_OVERFLOW;
	uint32_t auth = write ? TC_MEM_WRITE_AUTH : TC_MEM_READ_AUTH;
	if (brom && (e->target_config & auth) && !in_sram(addr, bytes))
		return ST_INVALID_ADDRESS;
	return ST_OK;
}

static int send_words(struct mtkemu *e, uint32_t addr, uint32_t count, unsigned unit)
{
	uint8_t raw[1024], buf[1024];
	size_t per = sizeof buf / unit;
	for (uint32_t done = 0; done < count;) {
		size_t n = count - done < per ? count - done : per;
		mem_read_bytes(e, addr + done * unit, raw, (uint32_t)(n * unit));
		words_to_be(buf, raw, n, unit);
		if (emu_send(e, buf, n * unit) < 0)
			return -1;
		done += (uint32_t)n;
	}
	return 0;
}

/* What READ and WRITE start with: echo ADDR and COUNT, check the range.  False
 * when the command ends there (a refusal is answered), *ret what it returns. */
/* The old preloader's sec_region_check: the whole access in the 256 MiB
 * peripheral-register bank (REGION_MASK 0xF0000000, IO_PHYS 0x1xxxxxxx). */
static bool in_io_bank(uint32_t addr, uint64_t bytes)
{
	return (addr & 0xF0000000u) == 0x10000000u && bytes < 0x10000000u &&
	       (((uint64_t)addr + bytes - 1) & 0xF0000000u) == 0x10000000u;
}

static bool mem_args(struct mtkemu *e, unsigned unit, bool write, uint32_t *addr, uint32_t *count, int *ret)
{
	*ret = CMD_END;
	if (echo_u32(e, addr) < 0 || echo_u32(e, count) < 0)
		return false;
	if (!is_brom(e) && e->prof->pl_region_asserts && !in_io_bank(*addr, (uint64_t)*count * unit)) {
		emergency_reset(e, "sec_region_check");
		return false;
	}
	uint16_t st = mem_check(e, *addr, *count, unit, write);
	if (st == ST_OK)
		return true;
	blog(e, "%s%u %08x x%u refused %04x\n", write ? "WRITE" : "READ", unit * 8, *addr, *count, st);
	*ret = status(e, st);
	return false;
}

static int do_read(struct mtkemu *e, unsigned unit)
{
	uint32_t addr, count;
	int ret;
	if (!mem_args(e, unit, false, &addr, &count, &ret))
		return ret;
	if (status(e, ST_OK) < 0 || send_words(e, addr, count, unit) < 0)
		return CMD_END;
	return status(e, ST_OK);
}

static int cmd_read16(struct mtkemu *e) { return do_read(e, 2); }
static int cmd_read32(struct mtkemu *e) { return do_read(e, 4); }

static int do_write(struct mtkemu *e, unsigned unit, bool echo_data)
{
	uint32_t addr, count;
	int ret;
	if (!mem_args(e, unit, true, &addr, &count, &ret))
		return ret;
	uint16_t ok = is_brom(e) ? ST_BROM_WRITE_OK : ST_OK;
	if (status(e, quirk(e, EMU_Q_WRITE_STATUS_3) ? 3 : ok) < 0)
		return CMD_END;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t v[4];
		if (emu_recv(e, v, unit) < 0 || (echo_data && emu_send(e, v, unit) < 0))
			return CMD_END;
		uint32_t val = unit == 4 ? mtk_get_u32be(v) : mtk_get_u16be(v);
		mem_put(e, addr + i * unit, unit, val);
	}
	blog(e, "WRITE%u %08x x%u\n", unit * 8, addr, count);
	return status(e, ok);
}

static int cmd_write16(struct mtkemu *e) { return do_write(e, 2, true); }
static int cmd_write16_no_echo(struct mtkemu *e) { return do_write(e, 2, false); }
static int cmd_write32(struct mtkemu *e) { return do_write(e, 4, true); }

/* ---- DA upload and jump ---------------------------------------------------------------- */

/* target_config as it still binds: an accepted authentication file lifts
 * the profile's auth_unlocks for the rest of the BROM session (auth.c). */
static uint32_t enforced(const struct mtkemu *e)
{
	return e->target_config & ~(e->auth_ok ? e->prof->auth_unlocks : 0u);
}

static bool checks_da_signature(const struct mtkemu *e)
{
	uint32_t need = is_brom(e) ? TC_DAA : TC_DAA | TC_SBC;
	return (enforced(e) & need) != 0;
}

static uint16_t da_check(const struct mtkemu *e, uint32_t addr, uint32_t len, uint32_t sig_len)
{
	if (is_brom(e) && (enforced(e) & TC_SLA))
		return ST_SLA_ERROR;
	if (len == 0)
		return ST_DA_LEN_IS_ZERO;
	if (addr & 1)
		return ST_DA_ADDR_NOT_16BITS_ALIGNED;
	if (len > MAX_DA_LEN || (uint64_t)addr + len > (1ull << 32))
		return ST_DA_INVALID_ADDR_AND_LEN;
	if (sig_len > len)
		return ST_DA_SIG_LEN_EXCEED_DA_LEN;
	if (sig_len == 0 && checks_da_signature(e))
		return ST_DA_SIG_LEN_IS_ZERO_AND_DAA_ACTIVE;
	return ST_OK;
}

static void da_forget(struct mtkemu *e)
{
	free(e->da_blob);
	e->da_blob = NULL;
	e->da_addr = e->da_len = e->da_sig_len = 0;
	e->da_verified = false;
}

static void da_keep(struct mtkemu *e, uint8_t *blob, uint32_t addr, uint32_t len, uint32_t sig_len)
{
	da_forget(e);
	e->da_blob = blob;
	e->da_addr = addr;
	e->da_len = len;
	e->da_sig_len = sig_len;
	e->da_verified = true;
	mem_write_bytes(e, addr, blob, len);
}

static int cmd_send_da(struct mtkemu *e)
{
	uint32_t addr, len, sig_len;
	if (echo_u32(e, &addr) < 0 || echo_u32(e, &len) < 0 || echo_u32(e, &sig_len) < 0)
		return CMD_END;
	uint16_t st = da_check(e, addr, len, sig_len);
	blog(e, "SEND_DA %08x len %x sig %x: %04x\n", addr, len, sig_len, st);
	if (st != ST_OK)
		return status(e, st);
	uint8_t *blob = NULL;
	uint16_t chk;
	uint16_t go = quirk(e, EMU_Q_SEND_DA_STATUS_LOW) ? 0x0005 : ST_OK;
	if (status(e, go) < 0 || recv_payload(e, &blob, len, &chk) < 0 ||
	    emu_send_u16be(e, quirk(e, EMU_Q_SEND_DA_CHK_ZERO) ? 0 : chk) < 0) {
		free(blob);
		return CMD_END;
	}
	/* We never hold a vendor key, so a signature never verifies. */
	if (checks_da_signature(e)) {
		free(blob);
		da_forget(e);
		blog(e, "DA signature verify failed\n");
		if (status(e, ST_DA_IMAGE_SIG_VERIFY_FAIL) < 0)
			return CMD_END;
		return is_brom(e) ? CMD_NEXT : emergency_reset(e, "DA verify failed");
	}
	da_keep(e, blob, addr, len, sig_len);
	return status(e, ST_OK);
}

static int cmd_jump_da(struct mtkemu *e)
{
	uint32_t addr;
	if (echo_u32(e, &addr) < 0)
		return CMD_END;
	if (!is_brom(e) && !e->da_verified) {
		if (status(e, ST_AUTH_IMAGE_VERIFY_FAIL) < 0)
			return CMD_END;
		return emergency_reset(e, "JUMP_DA without a verified DA");
	}
	if (!is_brom(e))
		addr = e->da_addr; /* CFG_DA_RAM_ADDR: the host's address is ignored */
	if (!e->da_verified || addr != e->da_addr) {
		blog(e, "JUMP_DA %08x refused\n", addr);
		return status(e, ST_DA_INVALID_JUMP_ADDR);
	}
	blog(e, "JUMP_DA %08x\n", addr);
	if (status(e, ST_OK) < 0)
		return CMD_END;
	return CMD_JUMPED;
}

/* ---- certificates and auth (BROM) --------------------------------------------------------- */

/* Whether the file is accepted: only one signed with the fused test key
 * (auth.c), never a vendor's; an authentication file needs the certificate
 * first when the part requires a root certificate.  The result is kept in
 * *ok, so a refused second attempt undoes an earlier acceptance. */
static int recv_auth_blob(struct mtkemu *e, bool needed, bool cert, bool *ok)
{
	uint32_t len;
	if (echo_u32(e, &len) < 0)
		return CMD_END;
	if (!needed)
		return status(e, ST_NO_AUTH_NEEDED);
	if (len == 0 || len > MAX_AUTH_LEN)
		return status(e, ST_DA_INVALID_ADDR_AND_LEN);
	uint8_t *blob = NULL;
	uint16_t chk;
	if (status(e, ST_OK) < 0 || recv_payload(e, &blob, len, &chk) < 0 || emu_send_u16be(e, chk) < 0) {
		free(blob);
		return CMD_END;
	}
	bool root = cert || !(e->target_config & TC_ROOT_CERT) || e->cert_ok;
	*ok = root && emu_auth_accepts(e, cert, blob, len);
	free(blob);
	blog(e, "%s %x bytes: %s\n", cert ? "SEND_CERT" : "SEND_AUTH", len, *ok ? "accepted" : "refused");
	return status(e, *ok ? ST_OK : ST_AUTH_IMAGE_VERIFY_FAIL);
}

static int cmd_send_cert(struct mtkemu *e)
{
	return recv_auth_blob(e, (e->target_config & (TC_DAA | TC_ROOT_CERT)) != 0, true, &e->cert_ok);
}

static int cmd_send_auth(struct mtkemu *e)
{
	return recv_auth_blob(e, (e->target_config & TC_DAA) != 0, false, &e->auth_ok);
}

/* ---- misc ------------------------------------------------------------------------------------ */

static int cmd_c8(struct mtkemu *e)
{
	uint8_t sub;
	if (emu_recv_u8(e, &sub) < 0 || emu_send(e, &sub, 1) < 0)
		return CMD_END;
	if (e->target_config & TC_C8_BLOCKED)
		return status(e, ST_INVALID_ADDRESS);
	uint8_t result = 0;
	if (emu_send(e, &result, 1) < 0)
		return CMD_END;
	return status(e, ST_OK);
}

static int cmd_uart1_log_en(struct mtkemu *e)
{
	return status(e, ST_OK);
}

static int send_log(struct mtkemu *e)
{
	if (emu_send_u32be(e, (uint32_t)e->brom_log_len) < 0 || emu_send(e, e->brom_log, e->brom_log_len) < 0)
		return CMD_END;
	return CMD_NEXT;
}

static int cmd_brom_debuglog(struct mtkemu *e)
{
	return send_log(e);
}

static int cmd_get_brom_log_new(struct mtkemu *e)
{
	if (send_log(e) < 0)
		return CMD_END;
	return status(e, ST_OK);
}

static int cmd_zeroization(struct mtkemu *e)
{
	uint32_t magic;
	if (emu_recv_u32be(e, &magic) < 0)
		return CMD_END;
	return status(e, magic == ZEROIZATION_MAGIC ? ST_OK : ST_PL_BAD_MAGIC);
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

enum {
	AV_BROM = 1,       /* BootROM */
	AV_BROM_SOCID = 2, /* BootROM of a chip that has a SOC_ID */
	AV_PL = 4,         /* any preloader */
	AV_PL3 = 8,        /* preloader with BL version >= 3 */
};

struct command {
	uint8_t code;
	uint8_t avail;
	bool no_echo; /* the answer replaces the echo */
	int (*run)(struct mtkemu *e);
};

static const struct command commands[] = {
	{ 0xC8, AV_BROM, false, cmd_c8 },
	{ 0xD0, AV_BROM | AV_PL, false, cmd_read16 },
	{ 0xD1, AV_BROM | AV_PL, false, cmd_read32 },
	{ 0xD2, AV_BROM | AV_PL, false, cmd_write16 },
	{ 0xD3, AV_BROM | AV_PL, false, cmd_write16_no_echo },
	{ 0xD4, AV_BROM | AV_PL, false, cmd_write32 },
	{ 0xD5, AV_BROM | AV_PL, false, cmd_jump_da },
	{ 0xD7, AV_BROM | AV_PL, false, cmd_send_da },
	{ 0xD8, AV_BROM | AV_PL, false, cmd_get_target_config },
	{ 0xDB, AV_BROM | AV_PL, false, cmd_uart1_log_en },
	{ 0xDD, AV_BROM, false, cmd_brom_debuglog },
	{ 0xDF, AV_BROM, false, cmd_get_brom_log_new },
	{ 0xE0, AV_BROM, false, cmd_send_cert },
	{ 0xE1, AV_BROM | AV_PL3, false, cmd_get_me_id },
	{ 0xE2, AV_BROM, false, cmd_send_auth },
	{ 0xE7, AV_BROM_SOCID | AV_PL3, false, cmd_get_soc_id },
	{ 0xF0, AV_PL3, false, cmd_zeroization },
	{ 0xFB, AV_PL3, false, cmd_get_pl_cap },
	{ 0xFC, AV_BROM | AV_PL, false, cmd_get_hw_sw_ver },
	{ 0xFD, AV_BROM | AV_PL, false, cmd_get_hw_code },
	{ 0xFE, AV_PL, true, cmd_get_bl_ver },
	{ 0xFF, AV_BROM, true, cmd_get_version },
};

static uint8_t personality(const struct mtkemu *e)
{
	if (is_brom(e))
		return (uint8_t)(AV_BROM | (e->prof->has_soc_id ? AV_BROM_SOCID : 0));
	return (uint8_t)(AV_PL | (reported_bl_ver(e) >= 3 ? AV_PL3 : 0));
}

/* Not traced (a search per host byte, whose compares were a tenth of a fuzz
 * run); the handler it finds is.  commands[] is sorted by code. */
MTK_NO_COVERAGE static const struct command *find_command(const struct mtkemu *e, uint8_t code)
{
	size_t lo = 0, hi = sizeof commands / sizeof commands[0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (commands[mid].code == code)
			return commands[mid].avail & personality(e) ? &commands[mid] : NULL;
		if (commands[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The listen window outlives a process (power.ini), so wall-clock time. */
static uint64_t real_ms(const struct mtkemu *e)
{
	return emu_wall_ms(e);
}

/* §2.2, the start-command state: 0 done, 1 out of time (deadline_ms, 0 =
 * none), -1 the session ended.  Newer (BL version 3) preloaders also swallow
 * a repeated A0 so that a host which sent a stray A0 first still lines up. */
static int start_command(struct mtkemu *e, uint64_t deadline_ms)
{
	static const uint8_t seq[4] = { 0xA0, 0x0A, 0x50, 0x05 };
	bool a0_rule = !is_brom(e) && e->prof->bl_ver >= 3;
	size_t i = 0;
	while (i < sizeof seq) {
		uint8_t c, r;
		if (deadline_ms) {
			uint64_t now = emu_now_ms(e);
			int rc = emu_recv_within(e, &c, 1, now < deadline_ms ? (unsigned)(deadline_ms - now) : 0);
			if (rc != 0)
				return rc;
		} else if (emu_recv_u8(e, &c) < 0) {
			return -1;
		}
		if (a0_rule && c == 0xA0 && i > 0) {
			i = 1;
			continue;
		}
		if (c == seq[i]) {
			r = (uint8_t)~c;
			i++;
		} else {
			r = (uint8_t)(c + 1);
			i = 0;
		}
		if (emu_send(e, &r, 1) < 0)
			return -1;
	}
	return 0;
}

/* What arrived so far, as one USB transfer would bring it. */
static int read_chunk(struct mtkemu *e, uint8_t *first)
{
	uint8_t b;
	if (emu_recv_u8(e, first) < 0)
		return -1;
	for (int rc; (rc = emu_wait_input(e, 0)) != 0;)
		if (rc < 0 || emu_recv_u8(e, &b) < 0)
			return -1;
	return 0;
}

/* The listen window closed without a handshake: the preloader boots on and
 * USB goes offline. */
static int boot_on(struct mtkemu *e)
{
	blog(e, "listen window closed: booting on\n");
	e->run = EMU_RUN_GONE;
	emu_link_end(e, EMU_LINK_GONE);
	return -1;
}

/* §2.2a phases 2-3.  Other first bytes would be META tokens: not modelled,
 * they are dropped. */
static int preloader_listen(struct mtkemu *e)
{
	static const uint8_t ready[5] = { 'R', 'E', 'A', 'D', 'Y' };
	if (!e->listening) {
		e->listening = true;
		e->listen_deadline_ms = real_ms(e) + e->listen_ms;
	}
	for (;;) {
		uint64_t now = real_ms(e);
		if (now >= e->listen_deadline_ms)
			return boot_on(e);
		if (emu_send(e, ready, sizeof ready) < 0)
			return -1;
		uint64_t left = e->listen_deadline_ms - now;
		int in = emu_wait_input(e, left < EMU_READY_EVERY_MS ? (unsigned)left : EMU_READY_EVERY_MS);
		if (in <= 0) {
			if (in < 0)
				return -1;
			continue;
		}
		uint8_t first;
		if (read_chunk(e, &first) < 0)
			return -1;
		if (first != 0xA0)
			continue;
		atomic_fetch_add(&e->a0_eaten, 1);
		int rc = start_command(e, emu_now_ms(e) + EMU_START_CMD_MS);
		if (rc <= 0)
			return rc;
		blog(e, "start command timed out\n");
	}
}

void emu_brom_listen_start(struct mtkemu *e)
{
	if (e->run != EMU_RUN_LISTEN || is_brom(e) || e->simple_preloader || e->listening)
		return;
	e->listening = true;
	e->listen_deadline_ms = real_ms(e) + e->listen_ms;
}

long long emu_brom_listen_left(const struct mtkemu *e)
{
	if (e->run != EMU_RUN_LISTEN || !e->listening || is_brom(e) || e->simple_preloader)
		return -1;
	uint64_t now = real_ms(e);
	return now >= e->listen_deadline_ms ? 0 : (long long)(e->listen_deadline_ms - now);
}

void emu_brom_listen_expired(struct mtkemu *e)
{
	blog(e, "listen window closed with no tool at the port: booting on\n");
	e->run = EMU_RUN_GONE;
}

static int handshake(struct mtkemu *e)
{
	if (is_brom(e) || e->simple_preloader)
		return start_command(e, 0);
	if (e->listening && real_ms(e) >= e->listen_deadline_ms)
		return boot_on(e);
	return preloader_listen(e);
}

static int run_da(struct mtkemu *e)
{
	if (emu_fault_da_silent(e)) {
		e->run = EMU_RUN_HUNG;
		return halt(e);
	}
	if (e->prof->da_family == EMU_DA_LEGACY)
		return emu_da_legacy_run(e);
	return emu_da_xflash_run(e);
}

void emu_brom_boot(struct mtkemu *e)
{
	da_forget(e);
	emu_brom_free(e);
	e->cert_ok = e->auth_ok = false;
	e->brom_log_len = 0;
	e->brom_log[0] = '\0';
	blog(e, "%s %s hw_code %04x\n", e->prof->name, is_brom(e) ? "BROM" : "preloader", e->prof->hw_code);
}

static void command_loop(struct mtkemu *e)
{
	for (;;) {
		uint8_t code;
		if (emu_recv_u8(e, &code) < 0)
			return;
		const struct command *c = find_command(e, code);
		if (!c || !c->no_echo) {
			if (emu_send(e, &code, 1) < 0)
				return;
		}
		/* §3.23: an unknown (or unavailable) command is echoed, nothing
		 * more; so are the sync bytes of a second handshake (§2.6). */
		int rc = c ? c->run(e) : CMD_NEXT;
		if (rc == CMD_END)
			return;
		if (rc == CMD_JUMPED) {
			e->run = EMU_RUN_DA1;
			run_da(e);
			return;
		}
	}
}

int emu_brom_run(struct mtkemu *e)
{
	if (e->run == EMU_RUN_LISTEN) {
		if (handshake(e) != 0)
			return emu_link_state(e) == EMU_LINK_FAULT ? -1 : 0;
		e->run = EMU_RUN_COMMANDS;
		blog(e, "handshake ok\n");
	}
	command_loop(e);
	return emu_link_state(e) == EMU_LINK_FAULT ? -1 : 0;
}
