/* SPDX-License-Identifier: MIT */
/* The DA session: connect (BROM → DA1 → protocol), range-checked I/O
 * dispatch, the partition-table probe (da-legacy.md §8.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "da/da_priv.h"

#define T_BROM 10000
#define SECTOR 512u

const char *mtk_storage_type_name(enum mtk_storage_type t)
{
	static const char *const names[] = { "unknown", "emmc", "nand", "nor", "sdmmc", "ufs" };
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

/* ------------------------------------------------------------ connect */

static int check_protocol(mtk_ctx *ctx, const struct mtk_chip *chip, enum mtk_da_family fam)
{
	if (fam == MTK_DA_LEGACY || fam == MTK_DA_XFLASH)
		return 0;
	return mtk_fail(ctx, MTK_E_UNSUPPORTED, "%s uses the XML (V6) DA protocol, which mtkflash does not speak "
			"yet", chip->name);
}

/* A preloader that rejects a DA does not answer: it asserts and resets the
 * phone, which comes back as BROM or preloader (brom-protocol.md §3.25). */
static int preloader_reset_hint(struct mtk_da *da, int rc, const char *doing)
{
	bool vanished = rc == MTK_E_TIMEOUT || rc == MTK_E_DISCONNECTED;
	if (da->brom.info.mode != MTK_MODE_PRELOADER || !vanished)
		return mtk_wrap(da->ctx, rc, "%s", doing);
	return mtk_wrap(da->ctx, rc,
			"%s: the preloader stopped answering — a preloader that rejects a Download Agent "
			"(wrong DA for this phone, or a failed signature check) resets the phone instead of "
			"replying; it will come back in BROM or preloader mode: check the DA file and run the "
			"command again",
			doing);
}

static int start_da1(struct mtk_da *da, const struct mtk_dafile *file, const char *file_name)
{
	const struct mtk_brom_info *bi = &da->brom.info;
	if (!bi->chip) {
		return mtk_fail(da->ctx, MTK_E_NOTFOUND, "the device's hw_code 0x%04x is not in the chip table",
				bi->hw_code);
	}
	int rc = mtk_dafile_select(da->ctx, file, file_name, bi->chip, bi->hw_sub_code, bi->hw_ver, bi->sw_ver,
				   &da->choice);
	if (rc < 0)
		return rc;
	if ((rc = check_protocol(da->ctx, bi->chip, da->choice.family)) < 0)
		return rc;
	const struct mtk_da_stage *s = &da->choice.da1;
	mtk_info(da->ctx, "sending DA1 (%u bytes) to 0x%08x", s->len, s->addr);
	if ((rc = mtk_brom_send_da(&da->brom, s->addr, s->data, s->len, s->sig_len)) < 0)
		return preloader_reset_hint(da, rc, "sending DA1");
	if ((rc = mtk_brom_jump_da(&da->brom, s->addr)) < 0)
		return preloader_reset_hint(da, rc, "starting DA1");
	return 0;
}

struct mtk_da *mtk_da_alloc(mtk_ctx *ctx, struct mtk_transport *tp)
{
	struct mtk_da *da = calloc(1, sizeof *da);
	if (!da) {
		mtk_fail(ctx, MTK_E_NOMEM, "no memory for a DA session");
		return NULL;
	}
	da->ctx = ctx;
	da->tp = tp;
	da->brom.ctx = ctx;
	da->brom.tp = tp;
	return da;
}

static int send_one(struct mtk_da *da, const uint8_t *data, size_t len, bool auth)
{
	const char *what = auth ? "the authentication file (SEND_AUTH)" : "the root certificate (SEND_CERT)";
	if (len > UINT32_MAX - 1)
		return mtk_fail(da->ctx, MTK_E_RANGE, "%s is too large (%zu bytes)", what, len);
	int rc = auth ? mtk_brom_send_auth(&da->brom, data, (uint32_t)len)
		      : mtk_brom_send_cert(&da->brom, data, (uint32_t)len);
	if (rc < 0)
		return mtk_wrap(da->ctx, rc, "the BootROM refused %s: it is not this device's (another model, "
				"or another vendor key); nothing was written", what);
	if (rc == 0)
		mtk_info(da->ctx, "the BootROM accepted %s (%zu bytes)", what, len);
	return 0;
}

/* The files go to the BootROM only: a preloader echoes E0/E2 as unknown
 * commands (brom-protocol.md §3.23) and would read the length as commands.
 * Only with DAA set, as mtkclient; the certificate first, since the
 * authentication file is checked against the root it installs [inferred]. */
static int send_auth_files(struct mtk_da *da, const struct mtk_da_auth *a)
{
	if (!a || (!a->cert_len && !a->auth_len))
		return 0;
	const struct mtk_brom_info *bi = &da->brom.info;
	if (bi->mode != MTK_MODE_BROM) {
		mtk_warn(da->ctx, "--auth/--cert ignored: the device is in preloader mode, which takes no "
			      "authentication files (only its BootROM does)");
		return 0;
	}
	if (!(bi->target_config & MTK_TGT_DAA)) {
		mtk_info(da->ctx, "--auth/--cert not sent: this BootROM does not require them (DAA clear)");
		return 0;
	}
	int rc = a->cert_len ? send_one(da, a->cert, a->cert_len, false) : 0;
	if (rc == 0 && a->auth_len)
		rc = send_one(da, a->auth, a->auth_len, true);
	return rc < 0 ? rc : a->auth_len ? 1 : 0;
}

/* A secured BootROM that refuses the DA: name what would let it through
 * (auth_sent: it accepted our authentication file). */
static int explain_refused_da(struct mtk_da *da, const struct mtk_da_auth *a, bool auth_sent, int rc)
{
	const struct mtk_brom_info *bi = &da->brom.info;
	uint32_t tc = bi->target_config & (MTK_TGT_DAA | MTK_TGT_SLA);
	if (rc != MTK_E_SECURITY || bi->mode != MTK_MODE_BROM || !tc)
		return rc;
	if (auth_sent)
		return mtk_wrap(da->ctx, rc, "the BootROM accepted the authentication file and still refused the DA");
	if (a && a->auth_len)
		return mtk_wrap(da->ctx, rc, "this BootROM requires SLA but does not set DAA, so --auth was not sent "
				"(authentication files go to a BootROM with DAA only)");
	return mtk_wrap(da->ctx, rc, "this BootROM requires authentication (%s): give the vendor's authentication "
			"file with --auth FILE (and its root certificate with --cert FILE)",
			tc == MTK_TGT_DAA ? "DAA" : tc == MTK_TGT_SLA ? "SLA" : "SLA and DAA");
}

/* A BootROM never sets up DRAM, so DA1 started from BROM mode asks for the
 * preloader's EMI settings before DA2 can run [inferred from da-legacy.md and
 * da-xflash.md §2.4: both DAs ask in BROM mode, neither in preloader mode].
 * Without them, refuse before DA1 is sent: a DA1 stopped half-way holds the
 * phone and leaves no session a next run could take over. */
static int check_dram_settings(struct mtk_da *da, const struct mtk_da_emi *emi)
{
	bool have = emi && ((emi->data && emi->len) || (emi->block && emi->block_len));
	if (have || da->brom.info.mode != MTK_MODE_BROM)
		return 0;
	return mtk_fail(da->ctx, MTK_E_UNSUPPORTED,
			"the DA needs DRAM settings (the device is in BROM mode with DRAM not set up): give "
			"the firmware package's preloader (--preloader FILE) so its EMI settings can be sent; "
			"nothing was sent to the phone beyond the handshake");
}

static int connect_from(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file,
			const char *file_name, const struct mtk_da_emi *emi, const struct mtk_da_auth *auth,
			bool in_loop, struct mtk_da **out)
{
	struct mtk_da *da = mtk_da_alloc(ctx, tp);
	if (!da)
		return MTK_E_NOMEM;
	int rc;
	if (in_loop) {
		rc = mtk_brom_probe_command_loop(&da->brom);
		if (rc >= 0)
			rc = mtk_brom_identify(&da->brom, tp);
	} else {
		rc = mtk_brom_connect(&da->brom, tp, T_BROM);
	}
	if (rc >= 0)
		rc = check_dram_settings(da, emi);
	bool auth_sent = false;
	if (rc >= 0 && (rc = send_auth_files(da, auth)) >= 0)
		auth_sent = rc == 1;
	if (rc >= 0 && (rc = start_da1(da, file, file_name)) < 0)
		rc = explain_refused_da(da, auth, auth_sent, rc);
	if (rc >= 0)
		rc = da->choice.family == MTK_DA_XFLASH ? mtk_da_xflash_start(da, emi) : mtk_da_legacy_start(da, emi);
	if (rc < 0) {
		mtk_da_close(da);
		return rc;
	}
	*out = da;
	return 0;
}

int mtk_da_connect(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file, const char *file_name,
		   const struct mtk_da_emi *emi, struct mtk_da **out)
{
	return connect_from(ctx, tp, file, file_name, emi, NULL, false, out);
}

int mtk_da_connect_auth(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file, const char *file_name,
			const struct mtk_da_emi *emi, const struct mtk_da_auth *auth, bool in_loop, struct mtk_da **out)
{
	return connect_from(ctx, tp, file, file_name, emi, auth, in_loop, out);
}

int mtk_da_connect_in_loop(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file,
			   const char *file_name, const struct mtk_da_emi *emi, struct mtk_da **out)
{
	return connect_from(ctx, tp, file, file_name, emi, NULL, true, out);
}

void mtk_da_close(struct mtk_da *da)
{
	if (!da)
		return;
	if (da->ops && da->ops->destroy)
		da->ops->destroy(da);
	free(da);
}

/* Pull n bytes from a write's source; past its end, zeros: the DA writes
 * whole sectors. */
int mtk_da_fill(uint8_t *buf, size_t n, uint64_t at, mtk_da_source_fn source, void *user, bool *eof)
{
	size_t have = 0;
	while (have < n && !*eof) {
		int got = source(user, at + have, buf + have, n - have);
		if (got < 0)
			return got;
		if (got == 0)
			*eof = true;
		have += (size_t)got;
	}
	memset(buf + have, 0, n - have);
	return 0;
}

/* ------------------------------------------------------------ accessors */

const struct mtk_brom_info *mtk_da_brom_info(const struct mtk_da *da) { return &da->brom.info; }
const struct mtk_da_storage *mtk_da_storage(const struct mtk_da *da) { return &da->storage; }
const struct mtk_da_choice *mtk_da_choice(const struct mtk_da *da) { return &da->choice; }
uint64_t mtk_da_bytes_done(const struct mtk_da *da) { return da->done; }
uint64_t mtk_da_bytes_sent(const struct mtk_da *da) { return da->sent; }
bool mtk_da_finished(const struct mtk_da *da) { return da->finished; }
const char *mtk_da_protocol(const struct mtk_da *da) { return da->ops ? da->ops->name : "none"; }
struct mtk_transport *mtk_da_transport(const struct mtk_da *da) { return da->tp; }

/* ------------------------------------------------------------- dispatch */

uint64_t mtk_da_region_size(const struct mtk_da *da, enum mtk_region r)
{
	return (unsigned)r < MTK_REGION_COUNT ? da->storage.regions.size[r] : 0;
}

static int usable(struct mtk_da *da, const char *what)
{
	if (!da->ops)
		return mtk_fail(da->ctx, MTK_E_INVAL, "%s: the DA is not running", what);
	if (da->finished)
		return mtk_fail(da->ctx, MTK_E_INVAL, "%s: the DA session was already finished", what);
	return 0;
}

static int check_range(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len)
{
	int rc = mtk_region_plain_access(da->ctx, r);
	if (rc < 0)
		return mtk_wrap(da->ctx, rc, "%s", what);
	if ((rc = usable(da, what)) < 0)
		return rc;
	if ((unsigned)r >= MTK_REGION_COUNT || !da->storage.regions.size[r])
		return mtk_fail(da->ctx, MTK_E_RANGE, "%s: the device has no %s area", what, mtk_region_name(r));
	rc = mtk_region_check(da->ctx, &da->storage.regions, r, off, len);
	return rc < 0 ? mtk_wrap(da->ctx, rc, "%s", what) : 0;
}

/* ---- long transfers, one protocol command per piece ----------------------
 * A transfer is split into commands so a cancellation (Ctrl-C) lands between
 * two commands, with the DA back in its command loop and every byte before
 * the boundary committed.  A piece is a multiple of any write unit and packet
 * size in use (powers of two up to 1 MiB).  Each command costs turnarounds
 * and the host's work on its last packet, so on a fast link a piece grows
 * (doubling, from DA_PIECE to DA_PIECE_MAX) while one takes less than
 * PIECE_TARGET_MS, and shrinks back when one takes over twice that: Ctrl-C
 * still lands within about half a second, and a usb2-hs link spends 16 MiB
 * per command instead of 4.  The size carries over to the session's next
 * transfer: a link's speed does not change from one command to the next. */
#define DA_PIECE (4u << 20)
#define DA_PIECE_MAX (32u << 20)
#define PIECE_TARGET_MS 250
#define DA_ERASE_PIECE (64u << 20) /* erases are cheap per byte: fewer commands */

struct piece {
	mtk_da_sink_fn sink;     /* the caller's, for a read */
	mtk_da_source_fn source; /* the caller's, for a write */
	void *user;
	uint64_t base; /* where this piece starts in the caller's transfer */
};

static int piece_sink(void *user, uint64_t offset, const uint8_t *buf, size_t len)
{
	struct piece *pc = user;
	return pc->sink(pc->user, pc->base + offset, buf, len);
}

static int piece_source(void *user, uint64_t offset, uint8_t *buf, size_t len)
{
	struct piece *pc = user;
	return pc->source(pc->user, pc->base + offset, buf, len);
}

enum transfer_kind { T_READ, T_WRITE, T_ERASE };

static int run_piece(struct mtk_da *da, enum transfer_kind k, const char *what, enum mtk_region r, uint64_t off,
		     uint64_t len, struct piece *pc)
{
	switch (k) {
	case T_READ:
		return da->ops->read(da, what, r, off, len, piece_sink, pc);
	case T_WRITE:
		return da->ops->write(da, what, r, off, len, piece_source, pc);
	default:
		return da->ops->erase(da, what, r, off, len);
	}
}

/* The next piece's size from how long a whole one of `step` bytes took. */
static void adapt_piece(struct mtk_da *da, uint64_t step, uint64_t n, long long ms)
{
	if (n != step)
		return; /* a transfer's short tail says nothing about the link */
	if (ms < PIECE_TARGET_MS && da->piece < DA_PIECE_MAX)
		da->piece *= 2;
	else if (ms > 2 * PIECE_TARGET_MS && da->piece > DA_PIECE)
		da->piece /= 2;
}

static int transfer(struct mtk_da *da, enum transfer_kind k, const char *what, enum mtk_region r, uint64_t off,
		    uint64_t len, struct piece pc)
{
	if (da->piece < DA_PIECE || da->piece > DA_PIECE_MAX)
		da->piece = DA_PIECE;
	int rc = 0;
	da->done = da->sent = 0;
	for (uint64_t step; pc.base < len; pc.base += step) {
		step = k == T_ERASE ? DA_ERASE_PIECE : da->piece;
		if (mtk_cancelled(da->ctx)) {
			rc = mtk_fail(da->ctx, MTK_E_INTERRUPTED, "%s: interrupted after 0x%llx of 0x%llx bytes", what,
				      (unsigned long long)pc.base, (unsigned long long)len);
			break;
		}
		uint64_t n = len - pc.base < step ? len - pc.base : step;
		mtk_progress_span(da->ctx, pc.base, len);
		long long t0 = mtk_now_ms(da->ctx);
		rc = run_piece(da, k, what, r, off + pc.base, n, &pc);
		if (rc < 0)
			break;
		da->done = pc.base + n;
		if (k != T_ERASE)
			adapt_piece(da, step, n, mtk_now_ms(da->ctx) - t0);
	}
	mtk_progress_span(da->ctx, 0, 0);
	return rc;
}

int mtk_da_read(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		mtk_da_sink_fn sink, void *user)
{
	int rc = check_range(da, what, r, off, len);
	if (rc < 0 || len == 0)
		return rc;
	return transfer(da, T_READ, what, r, off, len, (struct piece){ .sink = sink, .user = user });
}

struct buf_sink {
	uint8_t *buf;
	size_t len;
};

static int copy_sink(void *user, uint64_t offset, const uint8_t *buf, size_t len)
{
	struct buf_sink *s = user;
	if (offset > s->len || len > s->len - offset)
		return MTK_E_RANGE;
	memcpy(s->buf + offset, buf, len);
	return 0;
}

int mtk_da_read_buf(struct mtk_da *da, enum mtk_region r, uint64_t off, uint8_t *buf, size_t len)
{
	struct buf_sink s = { buf, len };
	return mtk_da_read(da, "reading", r, off, len, copy_sink, &s);
}

int mtk_da_write(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len,
		 mtk_da_source_fn source, void *user)
{
	uint64_t unit = da->write_unit ? da->write_unit : 1;
	uint64_t padded = (len + unit - 1) / unit * unit;
	int rc = check_range(da, what, r, off, padded);
	if (rc < 0 || len == 0)
		return rc;
	if (off % unit)
		return mtk_fail(da->ctx, MTK_E_RANGE, "%s: offset 0x%llx is not a multiple of %llu bytes", what,
				(unsigned long long)off, (unsigned long long)unit);
	return transfer(da, T_WRITE, what, r, off, len, (struct piece){ .source = source, .user = user });
}

void mtk_da_set_write_idle(struct mtk_da *da, mtk_da_idle_fn fn, void *user)
{
	da->write_idle = fn;
	da->write_idle_user = user;
}

int mtk_da_erase(struct mtk_da *da, const char *what, enum mtk_region r, uint64_t off, uint64_t len)
{
	int rc = check_range(da, what, r, off, len);
	if (rc < 0 || len == 0)
		return rc;
	return transfer(da, T_ERASE, what, r, off, len, (struct piece){ 0 });
}

bool mtk_da_can_set_boot_partition(const struct mtk_da *da)
{
	return da && da->ops && da->ops->set_boot_partition;
}

int mtk_da_set_boot_partition(struct mtk_da *da, unsigned boot_part, bool ack)
{
	int rc = usable(da, "setting the boot partition");
	if (rc < 0)
		return rc;
	if (!da->ops->set_boot_partition)
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED, "the %s DA protocol cannot set the eMMC boot partition",
				da->ops->name);
	return da->ops->set_boot_partition(da, boot_part, ack);
}

int mtk_da_finish(struct mtk_da *da, enum mtk_da_finish_mode mode)
{
	int rc = usable(da, "finishing");
	if (rc < 0)
		return rc;
	rc = da->ops->finish(da, mode);
	da->finished = true;
	return rc;
}

int mtk_da_speed_switch(struct mtk_da *da, int reopen_wait_ms)
{
	int rc = usable(da, "switching the USB speed");
	if (rc < 0 || da->storage.usb_speed != 0)
		return rc;
	if (!da->ops->speed_switch)
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED, "the %s DA protocol cannot switch the USB speed",
				da->ops->name);
	if (!mtk_transport_can_reopen(da->tp))
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED,
				"the DA runs at USB full speed and asking for high speed makes the phone "
				"re-enumerate, which the %s port cannot follow (use --no-speed-switch to stay at "
				"full speed, ~1 MB/s)",
				mtk_transport_name(da->tp));
	if ((rc = da->ops->speed_switch(da, reopen_wait_ms)) < 0)
		return rc;
	if (da->storage.usb_speed == 0)
		mtk_warn(da->ctx, "the DA still reports full speed after re-enumerating: the link (hub, "
				  "cable or port) may be full-speed only");
	else
		mtk_info(da->ctx, "the DA now runs at USB %s speed", da->storage.usb_speed == 1 ? "high" : "ultra");
	return 0;
}

int mtk_da_set_device_checks(struct mtk_da *da, unsigned mask)
{
	int rc = usable(da, "setting the DA's own checks");
	if (rc < 0)
		return rc;
	if (!da->ops->set_checks)
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED, "the %s DA protocol has no device-side checks",
				da->ops->name);
	if (mask & ~(MTK_DA_CHECK_USB | MTK_DA_CHECK_STORAGE))
		return mtk_fail(da->ctx, MTK_E_INVAL, "unknown DA check bits 0x%x", mask);
	return da->ops->set_checks(da, mask);
}

unsigned mtk_da_device_checks(const struct mtk_da *da)
{
	return da->ops && da->ops->checks ? da->ops->checks(da) : 0;
}

/* ------------------------------------------------- partition table (§8.3) */

static int sector_reader(void *user, uint64_t lba, uint32_t count, uint8_t *buf)
{
	struct mtk_da *da = user;
	return mtk_da_read_buf(da, MTK_REGION_USER, lba * SECTOR, buf, (size_t)count * SECTOR);
}

/* The PMT records of the boot area (PRELOADER) are sized by MBR-era scatters
 * as the whole linear boot window (0xC00000 on the Wiko s4050ap), larger
 * than boot1 itself: what exists of them is the boot area. */
static void fit_boot_records(const struct mtk_da *da, struct mtk_ptable *t)
{
	uint64_t boot1 = da->storage.regions.size[MTK_REGION_BOOT1];
	for (size_t i = 0; boot1 && i < t->count; i++) {
		struct mtk_part *p = &t->parts[i];
		if (p->region == MTK_REGION_BOOT1 && p->start < boot1 && p->start + p->size > boot1)
			p->size = boot1 - p->start;
	}
}

/* The DA's PMT in user/boot offsets; an empty table when the DA has none. */
static int read_pmt_table(struct mtk_da *da, struct mtk_ptable *out)
{
	mtk_ptable_init(out, MTK_PTABLE_PMT);
	if (!da->ops->read_pmt)
		return 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = da->ops->read_pmt(da, &buf, &len);
	if (rc < 0)
		return rc;
	rc = mtk_pmt_parse_da(da->ctx, buf, len, out);
	free(buf);
	if (rc < 0)
		return mtk_wrap(da->ctx, rc, "the DA's PMT");
	out->kind = MTK_PTABLE_PMT;
	out->disk_size = da->storage.regions.size[MTK_REGION_USER];
	fit_boot_records(da, out);
	return 0;
}

/* A user area that begins with an MBR (formats.md §5.1, §5.2): the MBR/EBR
 * chain is the authority for the partitions it lists, the PMT names them
 * and adds the raw partitions; they must agree.  Without a PMT (the DA has
 * none) the chain alone. */
static int read_mbr_era(struct mtk_da *da, uint64_t sectors, struct mtk_ptable *out)
{
	struct mtk_ptable mbr, pmt;
	int rc = mtk_mbr_read(da->ctx, sector_reader, da, sectors, &mbr);
	if (rc < 0)
		return rc;
	mbr.kind = MTK_PTABLE_MBR;
	if ((rc = read_pmt_table(da, &pmt)) == 0 && pmt.count == 0) {
		*out = mbr;
		return 0;
	}
	if (rc == 0)
		rc = mtk_pmt_merge_mbr(da->ctx, &mbr, &pmt, out);
	mtk_ptable_free(&mbr);
	mtk_ptable_free(&pmt);
	return rc;
}

static int probe_table(struct mtk_da *da, struct mtk_ptable *out)
{
	uint64_t user = da->storage.regions.size[MTK_REGION_USER];
	uint64_t sectors = user / SECTOR;
	uint8_t head[0x400];
	if (user < sizeof head)
		return mtk_fail(da->ctx, MTK_E_RANGE, "the user area is too small for a partition table (%llu bytes)",
				(unsigned long long)user);
	int rc = mtk_da_read_buf(da, MTK_REGION_USER, 0, head, sizeof head);
	if (rc < 0)
		return mtk_wrap(da->ctx, rc, "reading the partition table");
	if (memcmp(head, "BPI\0", 4) == 0)
		return mtk_fail(da->ctx, MTK_E_UNSUPPORTED, "the device uses a BPI partition table (not supported)");
	if (memcmp(head, "EMMC_BOOT", 9) == 0 || memcmp(head, "UFS_BOOT", 8) == 0) {
		rc = read_pmt_table(da, out);
		if (rc == 0 && out->count == 0)
			rc = mtk_fail(da->ctx, MTK_E_NOTFOUND, "the user area starts with a boot header, "
				      "but the DA has no PMT");
		return rc;
	}
	if (mtk_mbr_is_valid(head, SECTOR)) {
		if (mtk_mbr_is_protective(head, SECTOR) || memcmp(head + SECTOR, "EFI PART", 8) == 0) {
			rc = mtk_gpt_read(da->ctx, sector_reader, da, SECTOR, sectors, out);
			if (rc == 0)
				out->kind = MTK_PTABLE_GPT;
			return rc;
		}
		return read_mbr_era(da, sectors, out);
	}
	if ((rc = read_pmt_table(da, out)) < 0 || out->count > 0)
		return rc;
	mtk_ptable_free(out);
	return mtk_fail(da->ctx, MTK_E_NOTFOUND, "no partition table: user-area offset 0 holds no GPT, MBR or "
			"EMMC_BOOT header (first bytes %02x %02x %02x %02x), and the DA has no PMT",
			head[0], head[1], head[2], head[3]);
}

static int add_area(struct mtk_da *da, struct mtk_ptable *t, const char *name, enum mtk_region r, uint64_t start,
		    uint64_t size)
{
	if (size == 0 || mtk_part_find(t, name))
		return 0;
	struct mtk_part p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	p.region = r;
	p.start = start;
	p.size = size;
	return mtk_ptable_add(da->ctx, t, &p);
}

static int add_layout(struct mtk_da *da, struct mtk_ptable *t)
{
	const struct mtk_regions *rg = &da->storage.regions;
	int rc = add_area(da, t, "preloader", MTK_REGION_BOOT1, 0, rg->size[MTK_REGION_BOOT1]);
	if (rc < 0 || t->kind != MTK_PTABLE_GPT)
		return rc;
	/* As scatter files draw them: pgpt up to the first partition, sgpt from
	 * the end of the last one to the end of the area. */
	uint64_t end = rg->size[MTK_REGION_USER], first = end, tail = 0;
	for (size_t i = 0; i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		if (p->region != MTK_REGION_USER)
			continue;
		if (p->start < first)
			first = p->start;
		if (p->start + p->size > tail)
			tail = p->start + p->size;
	}
	if (tail == 0)
		tail = (t->last_usable + 1) * SECTOR;
	if ((rc = add_area(da, t, "pgpt", MTK_REGION_USER, 0, first)) < 0)
		return rc;
	return add_area(da, t, "sgpt", MTK_REGION_USER, tail, end > tail ? end - tail : 0);
}

int mtk_da_read_ptable(struct mtk_da *da, bool with_layout, struct mtk_ptable *out)
{
	mtk_ptable_init(out, MTK_PTABLE_NONE);
	int rc = usable(da, "reading the partition table");
	if (rc < 0)
		return rc;
	enum mtk_ptable_kind kind;
	if ((rc = probe_table(da, out)) < 0)
		goto fail;
	kind = out->kind;
	if (with_layout && (rc = add_layout(da, out)) < 0)
		goto fail;
	if ((rc = mtk_ptable_check(da->ctx, out)) < 0)
		goto fail;
	out->kind = kind;
	return 0;
fail:
	mtk_ptable_free(out);
	return mtk_wrap(da->ctx, rc, "reading the partition table");
}
