/* SPDX-License-Identifier: MIT */
/* Inside a DA session: what the protocol clients (legacy.c, later xflash.c)
 * and the session code fill in.  Not part of the public API, where
 * struct mtk_da is opaque (mtkflash/da.h has the accessors); unit tests that
 * script a protocol include it too. */
#ifndef MTK_DA_PRIV_H
#define MTK_DA_PRIV_H

#include "mtkflash/da.h"

/* What each DA protocol provides.  Optional members may be NULL
 * (MTK_E_UNSUPPORTED then).  `what` names the transfer for progress and
 * error messages ("writing boot"). */
struct mtk_da_ops {
	const char *name; /* "legacy", "xflash" */
	int (*read)(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		    mtk_da_sink_fn sink, void *user);
	/* `len` is the data length; the protocol pads to its write unit with zeros. */
	int (*write)(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		     mtk_da_source_fn source, void *user);
	int (*erase)(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len);
	/* The raw PMT, when the device keeps one (legacy 0xA5).  *buf is malloc'd. */
	int (*read_pmt)(struct mtk_da *da, uint8_t **buf, size_t *len);
	/* eMMC PARTITION_CONFIG: which boot partition the BootROM reads (1, 2, 7 = user). */
	int (*set_boot_partition)(struct mtk_da *da, unsigned boot_part, bool ack);
	int (*finish)(struct mtk_da *da, enum mtk_da_finish_mode mode);
	/* Ask a full-speed DA for high speed and follow the re-enumeration. */
	int (*speed_switch)(struct mtk_da *da, int reopen_wait_ms);
	/* The DA's own checks of what it receives and stores (MTK_DA_CHECK_*). */
	int (*set_checks)(struct mtk_da *da, unsigned mask);
	unsigned (*checks)(const struct mtk_da *da);
	void (*destroy)(struct mtk_da *da);
};

struct mtk_da {
	const struct mtk_da_ops *ops;
	mtk_ctx *ctx;
	struct mtk_transport *tp;
	struct mtk_brom brom;     /* BROM/preloader facts (brom.info) */
	struct mtk_da_choice choice;
	struct mtk_da_storage storage;
	uint32_t write_unit;      /* writes are padded to this many bytes */
	uint32_t packet_size;     /* bytes per data packet the protocol uses */
	bool finished;            /* FINISH sent: the DA no longer answers */
	uint64_t done;            /* bytes the last read/write/erase completed (also when it failed) */
	uint64_t sent;            /* bytes of the last write's packets begun after the DA took its command */
	uint64_t piece;           /* bytes per read/write command now (da.c transfer) */
	mtk_da_idle_fn write_idle; /* mtk_da_set_write_idle */
	void *write_idle_user;
	void *priv;               /* the protocol's own state */
};

/* A zeroed session bound to ctx and tp, for protocol code to fill; NULL
 * (and the context says why) without memory.  Free with mtk_da_close. */
struct mtk_da *mtk_da_alloc(mtk_ctx *ctx, struct mtk_transport *tp);
/* A write's protocol code calls this before each data packet it sends. */
static inline void mtk_da_note_sent(struct mtk_da *da, uint64_t n) { da->sent += n; }
/* A write's protocol code calls this once its last packet has gone out. */
static inline void mtk_da_write_idle(struct mtk_da *da)
{
	if (da->write_idle)
		da->write_idle(da->write_idle_user);
}
/* The legacy protocol's constructor, called by mtk_da_connect after JUMP_DA. */
int mtk_da_legacy_start(struct mtk_da *da, const struct mtk_da_emi *emi);
/* The host side of a legacy DA2 that is already in its command loop (a
 * reattach): no bytes are exchanged. */
int mtk_da_legacy_resume(struct mtk_da *da);
/* The xflash (DA v5) protocol's constructor, called after JUMP_DA. */
int mtk_da_xflash_start(struct mtk_da *da, const struct mtk_da_emi *emi);
/* An xflash DA2 already in its command loop (the session probe found it):
 * the storage report (reinit) is asked again. */
int mtk_da_xflash_resume(struct mtk_da *da);

/* Fill buf with n bytes of a write from offset `at`: the source's, then
 * zeros once it reports its end (*eof). */
int mtk_da_fill(uint8_t *buf, size_t n, uint64_t at, mtk_da_source_fn source, void *user, bool *eof);

/* Does the preloader's EMI table fit this board (its flash id, the eMMC CID
 * in storage.cid; `dram_info` (may be NULL) another CID the DA reported)?
 * 0 with *pick the record the board uses, or MTK_E_POLICY saying why not. */
int mtk_da_emi_fits(struct mtk_da *da, const struct mtk_emi_table *t, const uint8_t dram_info[16], int *pick);

#endif
