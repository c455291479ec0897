/* SPDX-License-Identifier: MIT */
/* What the emulator fuzz targets (fuzz_emu_brom.c, fuzz_emu_da.c) and their
 * seed writer (gen_emu_seeds.c) share: the device set-up an input selects,
 * one scripted host session on virtual time, and the host byte streams of a valid
 * session (synthetic DA upload, DA1 stage) that seeds and prefixes are made of.
 *
 * Every input starts with EMUFUZZ_HDR selector bytes:
 *   [0] chip: index into the target's chip list (modulo its length)
 *   [1] bits 0-1 mode: 0/3 boot model decides, 1 brom, 2 preloader
 *       bits 2-3 storage: 0 none (the emulator makes its own default eMMC),
 *                1 blank 64 MiB eMMC, 2/3 provisioned 64 MiB eMMC (preloader
 *                in boot1, partition table, PMT)
 *       bits 4-6 fault: 0-2 none, 3 link model usb2-hs and disconnect-after,
 *                4 write-protect, 5 da-silent, 6 disconnect-after,
 *                7 corrupt-write (parameter: region, offset)
 *       bit 7   fuzz_emu_brom: two sessions, the host bytes split in half;
 *                fuzz_emu_da: the harness also plays the DA1 stage, so the
 *                input drives DA2's command loop
 *   [2] target_config (--security as a hex value)
 *   [3] fault parameter (disconnect-after: 61 bytes per unit)
 * then the host's bytes. */
#ifndef EMU_FUZZ_H
#define EMU_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_internal.h"

#define EMUFUZZ_HDR 4

/* The longest input fuzz_emu_brom and fuzz_emu_da make (-max_len still
 * wins): every seed fits, two sessions each with a DA upload included.
 * Their inputs were up to 33 KiB (the seeds' length): a host byte the
 * device does not expect costs as much as one it does, and in 60 s runs the
 * capped fuzz_emu_da made twice the executions and reached more edges. */
#define EMUFUZZ_MAX_LEN 8192

enum emufuzz_storage { EMUFUZZ_ST_NONE, EMUFUZZ_ST_BLANK, EMUFUZZ_ST_PROV, EMUFUZZ_ST_KINDS };

/* Header bit 7 of byte 1. */
#define EMUFUZZ_DA_AUTO      0x80u
#define EMUFUZZ_TWO_SESSIONS 0x80u

/* One device set-up, decoded from the header. */
struct emufuzz_dev {
	const struct emu_profile *prof;
	const char *mode; /* NULL, "brom", "preloader" */
	enum emufuzz_storage storage;
	char security[8];  /* "0x%02x" */
	char faults[96];   /* "" = none */
	const char *speed; /* NULL = no link model */
	bool disconnects;  /* the fault spec may end the link (serve returns 1) */
};

/* Chips in profile order; legacy_only keeps those with the legacy DA. */
size_t emufuzz_chips(const struct emu_profile **out, size_t cap, bool legacy_only);

/* Decodes hdr[EMUFUZZ_HDR] for a chip list; `extra` is added to a
 * disconnect-after count (bytes a harness prefix moves). */
void emufuzz_decode(const uint8_t *hdr, const struct emu_profile *const *chips, size_t nchips, uint64_t extra,
                    struct emufuzz_dev *dev);

/* The personality the device will come up in. */
enum emu_mode emufuzz_mode(const struct emufuzz_dev *dev);

/* Makes the temporary root holding one state directory per chip and storage
 * kind; removed at exit. */
void emufuzz_init(void);

/* A fresh device on a scripted host (mtkemu_serve_script): the host sends host[0, split) and shuts its
 * side, draining every reply (a host that has read EMUFUZZ_OUTPUT_CAP bytes
 * unplugs instead), mtkemu_serve() must return; then the same again with the
 * rest on a new connection (the port opened again), when there is a rest.
 * Afterwards the state directory must hold only the emulator's own files at
 * their sizes, and is reset for the next input.  Any violation aborts. */
#define EMUFUZZ_OUTPUT_CAP (64u << 10)
void emufuzz_session(const struct emufuzz_dev *dev, const uint8_t *host, size_t len, size_t split);

/* Growable host byte stream. */
struct emufuzz_buf {
	uint8_t *p;
	size_t len, cap;
};
void emufuzz_put(struct emufuzz_buf *b, const void *src, size_t n);
void emufuzz_put_u8(struct emufuzz_buf *b, uint8_t v);
void emufuzz_put_u32be(struct emufuzz_buf *b, uint32_t v);
void emufuzz_put_u64be(struct emufuzz_buf *b, uint64_t v);
void emufuzz_free(struct emufuzz_buf *b);

/* The synthetic DA of docs/da-synthetic.md, shorter: its DA1 is 0x2000
 * bytes and its DA2 0x8000, but the emulator checks the marker, filler and
 * signature over whatever length the host announces.  Short, a session with a
 * DA1 and a DA2 upload fits in EMUFUZZ_MAX_LEN, where the 32 KiB DA2 made
 * every such input 33 KiB long.  Both with a 0x100 signature; stage 1 or 2;
 * returns the length written. */
#define EMUFUZZ_DA1_LEN 0x800u
#define EMUFUZZ_DA2_LEN 0x1000u
#define EMUFUZZ_DA_SIG  0x100u
size_t emufuzz_synth_da(uint8_t *out, uint16_t da_code, unsigned stage);
uint32_t emufuzz_da1_addr(uint16_t da_code);
uint32_t emufuzz_da2_addr(uint16_t da_code);

/* Host side of a BROM session up to the DA: handshake, SEND_DA of the
 * synthetic DA1, JUMP_DA (brom-protocol.md §6.6). */
void emufuzz_brom_to_da(struct emufuzz_buf *b, const struct emu_profile *prof);

/* Host side of the DA1 stage (da-legacy.md §4.2-§4.6): ACK of the sync
 * report, stage-2 block, in BROM mode the EMI exchange with the board's
 * record (emiver 0x15), DA2 upload and its final ACK. */
void emufuzz_da1_stage(struct emufuzz_buf *b, const struct emu_profile *prof, enum emu_mode mode);

/* xflash (da-xflash.md): DA1's SHA-256 of DA2 (docs/da-synthetic.md), framed
 * packets (§1.2), and the host side of the DA1 stage: SYNC, environment, hw
 * init, checksum level, in BROM mode INIT_EXT_RAM with the board's EMI
 * block, BOOT_TO of the synthetic DA2. */
void emufuzz_xflash_hash(uint8_t *da1, uint16_t da_code);
void emufuzz_put_xpkt(struct emufuzz_buf *b, const void *payload, uint32_t len);
void emufuzz_put_xu32(struct emufuzz_buf *b, uint32_t v);
void emufuzz_xflash_da1_stage(struct emufuzz_buf *b, const struct emu_profile *prof, enum emu_mode mode);

/* The DA targets (emu_da, emu_xflash) differ only in their chips and in
 * the harness's DA1 stage: one driver for both.  Each input runs after a
 * BROM session that uploads DA1 (and, with EMUFUZZ_DA_AUTO, the DA1 stage).
 * Where the DA is then in a command loop (an xflash DA1, any DA2) that
 * session ran once: its power.ini (what the phone runs) is kept per chip,
 * storage, personality and "DA1 stage too", and each input is the next host
 * session on a phone restored to it.  A legacy DA1 is one exchange that
 * cannot be left and resumed, so its inputs follow the replayed prefix. */
#define EMUFUZZ_DA_MAX_CHIPS 32
typedef void (*emufuzz_stage_fn)(struct emufuzz_buf *b, const struct emu_profile *prof, enum emu_mode mode);
struct emufuzz_da_target {
	enum emu_da_family family;
	emufuzz_stage_fn da1_stage;
	const struct emu_profile *chips[EMUFUZZ_DA_MAX_CHIPS];
	size_t nchips;
	struct emufuzz_buf prefix[EMUFUZZ_DA_MAX_CHIPS][2][2];
	/* power.ini after the prefix, per chip, storage, personality, DA1 stage */
	struct emufuzz_buf power[EMUFUZZ_DA_MAX_CHIPS][EMUFUZZ_ST_KINDS][2][2];
	struct emufuzz_buf input;
};
void emufuzz_da_init(struct emufuzz_da_target *t);
int emufuzz_da_input(struct emufuzz_da_target *t, const uint8_t *data, size_t size);
void emufuzz_da_free(struct emufuzz_da_target *t);

#endif
